/*
 * The node's home directory and its config file (home/ayil.conf, INI).
 *
 * home/ayil.conf      role, name, oblast, addresses, sync settings
 * home/identity.key   node identity (0600)
 * home/reader.key     committee reader key, wrapped (committee only)
 * home/network.key    deployment network key (0600)
 * home/ayil.db        the store (+ -wal, -shm)
 * home/ayild.sock     the daemon's control socket
 */
#ifndef AYIL_CONFIG_H
#define AYIL_CONFIG_H

#include <stddef.h>

#define AYIL_PATH_MAX 4096

typedef struct {
  char role[16];            /* "committee" or "hub" */
  char name[128];           /* committee or hub name */
  char oblast[32];          /* committee only */
  char listen[128];         /* hub: HOST:PORT */
  char advertise[128];      /* hub: HOST:PORT carried in invites */
  char hub_addr[128];       /* committee: HOST:PORT of its hub */
  char hub_id[64];          /* committee: hub node id (text) */
  unsigned poll_interval_s; /* committee: come back at least this often */
  unsigned linger_s;        /* committee: stay this long after caught up */
  unsigned dead_after_s;    /* no progress for this long: link is dead */
  unsigned backoff_max_s;   /* reconnect backoff cap */
  unsigned quarantine_days; /* hub: purged bodies kept sealed this long */
  char log_level[16];
  /* [web]: ayil-web, the members' web app (committee) or the operator's
   * pages (hub). web_cert and web_key are relative to the home unless
   * absolute. Plain HTTP (web_tls = 0) only on a loopback address. */
  char web_listen[128]; /* HOST:PORT, default 0.0.0.0:8443 */
  char web_cert[256];   /* PEM certificate, default web.crt */
  char web_key[256];    /* PEM private key, default web.key */
  int web_tls;          /* 1 (default): HTTPS */
  unsigned web_idle_s;  /* a session's idle time-out, default 900 */
} ayil_config_t;

/* Resolves the home: `opt` (from --home), else $AYIL_HOME, else
 * /var/lib/ayil. Writes into out. */
void ayil_home_resolve(const char *opt, char *out, size_t cap);
/* home + "/" + name into out; AYIL_EINVAL if too long. */
int ayil_home_path(const char *home, const char *name, char *out, size_t cap);
/* Checks the home exists, is a directory we can read and write. Returns
 * AYIL_ENOTFOUND or AYIL_EPERM otherwise. */
int ayil_home_check(const char *home);
/* Creates the home with mode 0700 (refuses if it holds a node already). */
int ayil_home_create(const char *home);

void ayil_config_defaults(ayil_config_t *c);
/* Splits an address of the config, "HOST:PORT" or "[IPv6]:PORT", into the
 * host (brackets removed) and the port (decimal digits, 0 to 65535).
 * AYIL_EINVAL for an empty host, a missing or bad port, or a host longer
 * than cap - 1. */
int ayil_hostport_split(const char *hp, char *host, size_t cap, unsigned *port);
/* Loads home/ayil.conf (at most AYIL_CONFIG_MAX bytes, no NUL) with
 * ayil_config_parse(). On a bad line, writes "PATH: line N: ..." into err. */
#define AYIL_CONFIG_MAX 65536
int ayil_config_load(const char *home, ayil_config_t *c, char *err,
                     size_t errlen);
/* Parses the config text `text` (NUL-terminated) over the defaults into *c.
 * 0, or AYIL_EINVAL with "WHERE: line N: ..." (or "WHERE: [node] role is
 * missing") in err. The one parser of the config file: untrusted text. */
int ayil_config_parse(const char *text, const char *where, ayil_config_t *c,
                      char *err, size_t errlen);
/* The text ayil_config_save() writes for *c into out (NUL-terminated);
 * AYIL_ETOOBIG if cap is too small, AYIL_EINVAL for a value that would not
 * read back as it is (spaces at either end, a ';' after a space or first,
 * a line break, over 160 bytes). */
int ayil_config_format(const ayil_config_t *c, char *out, size_t cap);
/* Writes home/ayil.conf atomically (ayil_config_format()). */
int ayil_config_save(const char *home, const ayil_config_t *c);

#endif

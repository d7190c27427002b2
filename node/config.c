/* Home directory and config file handling (INI via inih). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ini.h>

#include "ayil/error.h"
#include "config.h"
#include "fsutil.h"
#include "store.h"

void ayil_home_resolve(const char *opt, char *out, size_t cap) {
  const char *env = getenv("AYIL_HOME");
  const char *h = opt != NULL                       ? opt
                  : (env != NULL && env[0] != '\0') ? env
                                                    : "/var/lib/ayil";
  snprintf(out, cap, "%s", h);
}

int ayil_home_path(const char *home, const char *name, char *out, size_t cap) {
  int n = snprintf(out, cap, "%s/%s", home, name);
  return (n < 0 || (size_t)n >= cap) ? AYIL_EINVAL : 0;
}

int ayil_home_check(const char *home) {
  struct stat st;
  if (stat(home, &st) != 0)
    return ayil_fs_errno(errno);
  if (!S_ISDIR(st.st_mode))
    return AYIL_ENOTFOUND;
  if (access(home, R_OK | W_OK | X_OK) != 0)
    return AYIL_EPERM;
  return 0;
}

int ayil_home_create(const char *home) {
  char conf[AYIL_PATH_MAX];
  struct stat st;
  if (mkdir(home, 0700) != 0 && errno != EEXIST)
    return ayil_fs_errno(errno);
  if (stat(home, &st) != 0 || !S_ISDIR(st.st_mode))
    return AYIL_EPERM;
  if (chmod(home, 0700) != 0)
    return ayil_fs_errno(errno);
  if (ayil_home_path(home, "ayil.conf", conf, sizeof conf) != 0)
    return AYIL_EINVAL;
  if (access(conf, F_OK) == 0)
    return AYIL_EEXISTS;
  return 0;
}

void ayil_config_defaults(ayil_config_t *c) {
  memset(c, 0, sizeof *c);
  /* An idle committee costs one handshake (~0.6 KB) per poll: every 6 h
   * is ~2.3 KB a day. New local entries bring it back at once anyway. */
  c->poll_interval_s = 21600;
  c->linger_s = 10;
  c->dead_after_s = 60;
  c->backoff_max_s = 600;
  c->quarantine_days = AYIL_QUARANTINE_DAYS;
  snprintf(c->log_level, sizeof c->log_level, "info");
  snprintf(c->web_listen, sizeof c->web_listen, "0.0.0.0:8443");
  snprintf(c->web_cert, sizeof c->web_cert, "web.crt");
  snprintf(c->web_key, sizeof c->web_key, "web.key");
  c->web_tls = 1;
  c->web_idle_s = 900;
}

int ayil_hostport_split(const char *hp, char *host, size_t cap,
                        unsigned *port) {
  const char *colon = strrchr(hp, ':');
  size_t hl, pl;
  unsigned long n;
  if (colon == NULL)
    return AYIL_EINVAL;
  hl = (size_t)(colon - hp);
  pl = strlen(colon + 1);
  if (pl == 0 || pl > 5 || strspn(colon + 1, "0123456789") != pl)
    return AYIL_EINVAL;
  n = strtoul(colon + 1, NULL, 10);
  if (n > 65535)
    return AYIL_EINVAL;
  if (hl >= 2 && hp[0] == '[' && hp[hl - 1] == ']') {
    hp++;
    hl -= 2;
  }
  if (hl == 0 || hl >= cap || memchr(hp, '[', hl) != NULL ||
      memchr(hp, ']', hl) != NULL)
    return AYIL_EINVAL;
  memcpy(host, hp, hl);
  host[hl] = '\0';
  *port = (unsigned)n;
  return 0;
}

typedef struct {
  ayil_config_t *c;
  char *err;
  size_t errlen;
  int failed;
} load_ctx_t;

static int set_str(char *dst, size_t cap, const char *v) {
  if (strlen(v) >= cap)
    return 0;
  snprintf(dst, cap, "%s", v);
  return 1;
}

static int set_uint(unsigned *dst, const char *v) {
  char *end = NULL;
  unsigned long n;
  errno = 0;
  n = strtoul(v, &end, 10);
  if (errno != 0 || end == v || *end != '\0' || n > 86400UL * 365)
    return 0;
  *dst = (unsigned)n;
  return 1;
}

static int on_kv(void *user, const char *section, const char *name,
                 const char *value) {
  load_ctx_t *lc = user;
  ayil_config_t *c = lc->c;
  int ok = 0;
  if (strcmp(section, "node") == 0) {
    if (strcmp(name, "role") == 0)
      ok = (strcmp(value, "committee") == 0 || strcmp(value, "hub") == 0) &&
           set_str(c->role, sizeof c->role, value);
    else if (strcmp(name, "name") == 0)
      ok = set_str(c->name, sizeof c->name, value);
    else if (strcmp(name, "oblast") == 0)
      ok = set_str(c->oblast, sizeof c->oblast, value);
    else if (strcmp(name, "log_level") == 0)
      ok = set_str(c->log_level, sizeof c->log_level, value);
  } else if (strcmp(section, "hub") == 0) {
    if (strcmp(name, "address") == 0)
      ok = set_str(c->hub_addr, sizeof c->hub_addr, value);
    else if (strcmp(name, "id") == 0)
      ok = set_str(c->hub_id, sizeof c->hub_id, value);
  } else if (strcmp(section, "listen") == 0) {
    if (strcmp(name, "address") == 0)
      ok = set_str(c->listen, sizeof c->listen, value);
    else if (strcmp(name, "advertise") == 0)
      ok = set_str(c->advertise, sizeof c->advertise, value);
  } else if (strcmp(section, "sync") == 0) {
    if (strcmp(name, "poll_interval") == 0)
      ok = set_uint(&c->poll_interval_s, value);
    else if (strcmp(name, "linger") == 0)
      ok = set_uint(&c->linger_s, value);
    else if (strcmp(name, "dead_after") == 0)
      ok = set_uint(&c->dead_after_s, value);
    else if (strcmp(name, "backoff_max") == 0)
      ok = set_uint(&c->backoff_max_s, value);
  } else if (strcmp(section, "web") == 0) {
    if (strcmp(name, "listen") == 0)
      ok = set_str(c->web_listen, sizeof c->web_listen, value);
    else if (strcmp(name, "cert") == 0)
      ok = set_str(c->web_cert, sizeof c->web_cert, value);
    else if (strcmp(name, "key") == 0)
      ok = set_str(c->web_key, sizeof c->web_key, value);
    else if (strcmp(name, "tls") == 0) {
      ok = strcmp(value, "on") == 0 || strcmp(value, "off") == 0;
      c->web_tls = strcmp(value, "off") != 0;
    } else if (strcmp(name, "idle_timeout") == 0)
      ok = set_uint(&c->web_idle_s, value) && c->web_idle_s >= 5 &&
           c->web_idle_s <= 86400;
  } else if (strcmp(section, "retention") == 0) {
    /* At least a day, so that a revoke --after has time to roll back. */
    if (strcmp(name, "quarantine_days") == 0)
      ok = set_uint(&c->quarantine_days, value) && c->quarantine_days >= 1 &&
           c->quarantine_days <= 3650;
  }
  if (!ok && !lc->failed) {
    lc->failed = 1;
    snprintf(lc->err, lc->errlen, "[%s] %s: unknown setting or bad value",
             section, name);
  }
  return ok;
}

int ayil_config_parse(const char *text, const char *where, ayil_config_t *c,
                      char *err, size_t errlen) {
  load_ctx_t lc = {c, err, errlen, 0};
  int line;
  ayil_config_defaults(c);
  line = ini_parse_string(text, on_kv, &lc);
  if (line != 0) {
    if (!lc.failed)
      snprintf(err, errlen, "%s: line %d: syntax error", where, line);
    else {
      char tmp[256];
      snprintf(tmp, sizeof tmp, "%s", err);
      snprintf(err, errlen, "%s: line %d: %s", where, line, tmp);
    }
    return AYIL_EINVAL;
  }
  if (c->role[0] == '\0') {
    snprintf(err, errlen, "%s: [node] role is missing", where);
    return AYIL_EINVAL;
  }
  return 0;
}

int ayil_config_load(const char *home, ayil_config_t *c, char *err,
                     size_t errlen) {
  char path[AYIL_PATH_MAX];
  uint8_t *text = NULL;
  size_t len = 0;
  int rc;
  ayil_config_defaults(c);
  if (ayil_home_path(home, "ayil.conf", path, sizeof path) != 0)
    return AYIL_EINVAL;
  rc = ayil_fs_read(path, AYIL_CONFIG_MAX, &text, &len);
  if (rc != 0) {
    snprintf(err, errlen, "cannot read %s: %s", path, ayil_strerror(rc));
    return rc;
  }
  /* One parser for the file and for text (ayil_config_parse). */
  if (strlen((const char *)text) != len) {
    snprintf(err, errlen, "%s: holds a NUL byte", path);
    rc = AYIL_EINVAL;
  } else {
    rc = ayil_config_parse((const char *)text, path, c, err, errlen);
  }
  free(text);
  return rc;
}

/* Whether "key = v" reads back as v: inih strips the spaces at either end,
 * ends the value at a ';' after a space (a comment, as after the "= "),
 * and cuts a line at 200 bytes (Debian's INI_MAX_LINE). */
static int ini_value_ok(const char *v) {
  size_t i, len = strlen(v);
  if (len > 160 || (len > 0 && (isspace((unsigned char)v[0]) ||
                                isspace((unsigned char)v[len - 1]))))
    return 0;
  for (i = 0; i < len; i++)
    if (v[i] == '\n' || v[i] == '\r' ||
        (v[i] == ';' && (i == 0 || isspace((unsigned char)v[i - 1]))))
      return 0;
  return 1;
}

int ayil_config_format(const ayil_config_t *c, char *text, size_t cap) {
  const char *const values[] = {c->role,      c->name,   c->oblast,
                                c->log_level, c->listen, c->advertise,
                                c->hub_addr,  c->hub_id, c->web_listen,
                                c->web_cert,  c->web_key};
  size_t n = 0, i;
  int k;
  /* A value that would read back otherwise (a name "A ; B" as "A") is
   * refused, never saved changed. */
  for (i = 0; i < sizeof values / sizeof values[0]; i++)
    if (!ini_value_ok(values[i]))
      return AYIL_EINVAL;
#define PUT(...)                                                               \
  do {                                                                         \
    k = snprintf(text + n, cap - n, __VA_ARGS__);                              \
    if (k < 0 || (size_t)k >= cap - n)                                         \
      return AYIL_ETOOBIG;                                                     \
    n += (size_t)k;                                                            \
  } while (0)
  if (cap == 0)
    return AYIL_ETOOBIG;
  PUT("# ayil node configuration. `ayild` rereads it on SIGHUP.\n"
      "[node]\nrole = %s\nname = %s\n%s%s%slog_level = %s\n\n",
      c->role, c->name, c->oblast[0] ? "oblast = " : "", c->oblast,
      c->oblast[0] ? "\n" : "", c->log_level);
  if (strcmp(c->role, "hub") == 0)
    PUT("[listen]\naddress = %s\nadvertise = %s\n\n", c->listen, c->advertise);
  /* A committee's hub; a regional hub's national hub (the hub above). */
  if (c->hub_addr[0] != '\0')
    PUT("[hub]\naddress = %s\nid = %s\n\n", c->hub_addr, c->hub_id);
  PUT("[sync]\n# seconds\npoll_interval = %u\nlinger = %u\n"
      "dead_after = %u\nbackoff_max = %u\n",
      c->poll_interval_s, c->linger_s, c->dead_after_s, c->backoff_max_s);
  PUT("\n[web]\n# ayil-web: HTTPS on the LAN (plain HTTP only on "
      "127.0.0.1)\nlisten = %s\ncert = %s\nkey = %s\ntls = %s\n"
      "# seconds\nidle_timeout = %u\n",
      c->web_listen, c->web_cert, c->web_key, c->web_tls ? "on" : "off",
      c->web_idle_s);
  if (strcmp(c->role, "hub") == 0)
    PUT("\n[retention]\n# days a purged body stays sealed in "
        "quarantine (ayil revoke --after)\nquarantine_days = %u\n",
        c->quarantine_days);
#undef PUT
  return 0;
}

int ayil_config_save(const char *home, const ayil_config_t *c) {
  char path[AYIL_PATH_MAX];
  char text[3072];
  int rc;
  if (ayil_home_path(home, "ayil.conf", path, sizeof path) != 0)
    return AYIL_EINVAL;
  rc = ayil_config_format(c, text, sizeof text);
  if (rc != 0)
    return rc;
  return ayil_fs_write_atomic(path, text, strlen(text), 0600);
}

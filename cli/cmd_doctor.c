/*
 * ayil doctor: checks a node the way a sysadmin would, and says how to fix
 * each problem in one sentence.
 *
 *   ayil doctor [--quick] [--offline] [--json]
 *
 * Checks, in order: who runs it; the home (owner, mode); the files in it
 * (owner) and the keys (present, mode 0600); the config; free disk; the
 * clock (a Pi has no real-time clock: after a power cut without network it
 * can wake up in the past); the store (SQLite's integrity check, and every
 * chain and signature unless --quick); the daemon (its control socket);
 * and, unless --offline, the network: a committee opens a TCP connection to
 * its hub, a hub to its own listen address.
 *
 * Run as root on a home owned by another user (the packaged /var/lib/ayil
 * belongs to ayil), it switches to that user before it opens anything, so
 * that it never leaves a root-owned file (a SQLite -shm, say) that the
 * daemon could not open.
 *
 * Exit: 0 when nothing failed (warnings allowed), 1 when a check failed,
 * 2 for a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/timex.h>
#include <sys/types.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "ayil/error.h"
#include "cli.h"
#include "ctl.h"

/* Below this much free space a node cannot be trusted to take records. */
#define DISK_FAIL_BYTES (100ULL * 1024 * 1024)
#define DISK_WARN_BYTES (500ULL * 1024 * 1024)
#define INODES_FAIL 1000ULL
/* No correct clock reads earlier than this (2026-01-01T00:00:00Z): a Pi
 * that boots without network and without fake-hwclock starts in 1970. */
#define CLOCK_FLOOR 1767225600LL
/* A clock this far off the hub's is a problem for the sysadmin to fix. */
#define SKEW_WARN_MS (5LL * 60 * 1000)
/* A committee whose last acknowledgement is older than this is not
 * syncing. */
#define STALE_ACK_S (7LL * 86400)
#define CONNECT_TIMEOUT_MS 10000

enum { ST_OK = 0, ST_WARN = 1, ST_FAIL = 2 };
static const char *const ST_TEXT[] = {"ok", "warn", "FAIL"};
static const char *const ST_JSON[] = {"ok", "warn", "fail"};

typedef struct {
  cli_t *c;
  json_t *checks;
  int nwarn, nfail;
  int owner_known;
  uid_t owner;
  char owner_name[64];
  ayil_node_health_t health; /* the store, once (check_store) */
  int refused;               /* the hub refuses this node (check_refused) */
} doc_t;

/* Records one result: `what` names the check, `detail` says what was found,
 * `fix` (NULL for ok) is the fix in one sentence. */
static void report(doc_t *d, int st, const char *what, const char *fix,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void report(doc_t *d, int st, const char *what, const char *fix,
                   const char *fmt, ...) {
  char detail[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  if (st == ST_WARN)
    d->nwarn++;
  if (st == ST_FAIL)
    d->nfail++;
  if (d->c->json) {
    json_t *o = json_pack("{s:s, s:s, s:s}", "check", what, "status",
                          ST_JSON[st], "detail", detail);
    if (fix != NULL)
      json_object_set_new(o, "fix", json_string(fix));
    json_array_append_new(d->checks, o);
    return;
  }
  printf("  %-5s %-8s %s\n", ST_TEXT[st], what, detail);
  if (fix != NULL && st != ST_OK)
    printf("  %-5s %-8s fix: %s\n", "", "", fix);
}

static void user_name(uid_t uid, char *out, size_t cap) {
  struct passwd *pw = getpwuid(uid);
  if (pw != NULL)
    snprintf(out, cap, "%s", pw->pw_name);
  else
    snprintf(out, cap, "%u", (unsigned)uid);
}

/* Root on a home owned by someone else becomes that user. Returns 0, or -1
 * after reporting why it could not. */
static int drop_to_owner(doc_t *d, const struct stat *st) {
  char fix[256];
  gid_t gid = st->st_gid;
  struct passwd *pw = getpwuid(st->st_uid);
  if (geteuid() != 0 || st->st_uid == 0)
    return 0;
  if (pw != NULL)
    gid = pw->pw_gid;
  if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(st->st_uid) != 0) {
    snprintf(fix, sizeof fix, "Run it as the owner: sudo -u %s ayil doctor.",
             d->owner_name);
    report(d, ST_FAIL, "user", fix, "cannot switch from root to %s: %s",
           d->owner_name, strerror(errno));
    return -1;
  }
  report(d, ST_OK, "user", NULL, "running as %s, the owner of the home",
         d->owner_name);
  return 0;
}

static int check_home(doc_t *d) {
  cli_t *c = d->c;
  struct stat st;
  char fix[AYIL_PATH_MAX + 128];
  char me[64];
  if (stat(c->home, &st) != 0 || !S_ISDIR(st.st_mode)) {
    report(d, ST_FAIL, "home",
           "Create the node with `ayil init` (see man ayil), or point "
           "--home at the right directory.",
           "%s does not exist or is not a directory", c->home);
    return -1;
  }
  d->owner = st.st_uid;
  d->owner_known = 1;
  user_name(st.st_uid, d->owner_name, sizeof d->owner_name);
  if (drop_to_owner(d, &st) != 0)
    return -1;
  if (geteuid() != st.st_uid) {
    user_name(geteuid(), me, sizeof me);
    snprintf(fix, sizeof fix, "Run it as the owner: sudo -u %s ayil doctor.",
             d->owner_name);
    report(d, ST_FAIL, "home", fix, "%s belongs to %s, and this is %s", c->home,
           d->owner_name, me);
    return -1;
  }
  if ((st.st_mode & 077) != 0) {
    snprintf(fix, sizeof fix, "Run: chmod 700 %s", c->home);
    report(d, ST_FAIL, "home", fix,
           "%s is mode %04o: other users can look into it", c->home,
           (unsigned)(st.st_mode & 07777));
  } else {
    report(d, ST_OK, "home", NULL, "%s, owner %s, mode %04o", c->home,
           d->owner_name, (unsigned)(st.st_mode & 07777));
  }
  return 0;
}

/* Every file in the home must belong to its owner: a file created by root
 * (say `sudo ayil record add` made ayil.db-wal) locks the daemon out. */
static void check_owners(doc_t *d) {
  cli_t *c = d->c;
  DIR *dir = opendir(c->home);
  struct dirent *e;
  char path[AYIL_PATH_MAX], fix[AYIL_PATH_MAX + 512], first[256] = "";
  int bad = 0;
  if (dir == NULL)
    return;
  while ((e = readdir(dir)) != NULL) {
    struct stat st;
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    if (ayil_home_path(c->home, e->d_name, path, sizeof path) != 0 ||
        lstat(path, &st) != 0)
      continue;
    if (st.st_uid != d->owner) {
      if (bad++ == 0)
        snprintf(first, sizeof first, "%s", e->d_name);
    }
  }
  closedir(dir);
  if (bad > 0) {
    snprintf(fix, sizeof fix,
             "Run: sudo chown -R %s: %s (and run ayil as %s from now on: "
             "sudo -u %s ayil ...).",
             d->owner_name, c->home, d->owner_name, d->owner_name);
    report(d, ST_FAIL, "files", fix,
           "%d file(s) in the home belong to another user (first: %s)", bad,
           first);
  } else {
    report(d, ST_OK, "files", NULL, "every file in the home belongs to %s",
           d->owner_name);
  }
}

/* Checks one key file: present (when `needed`), a regular file, mode 0600.
 * Returns 0 if it is missing, 1 if it is wrong, 2 if it is fine. */
static int check_key(doc_t *d, const char *name, int needed,
                     const char *missing_fix) {
  char path[AYIL_PATH_MAX], fix[AYIL_PATH_MAX + 64];
  struct stat st;
  if (cli_path(d->c, name, path, sizeof path) != 0)
    return 0;
  if (lstat(path, &st) != 0) {
    if (needed)
      report(d, ST_FAIL, "keys", missing_fix, "%s is missing", name);
    return 0;
  }
  if (!S_ISREG(st.st_mode)) {
    report(d, ST_FAIL, "keys",
           "Restore the node from its recovery kit (guide: replacing a dead "
           "Pi).",
           "%s is not a regular file", name);
    return 1;
  }
  if ((st.st_mode & 077) != 0) {
    snprintf(fix, sizeof fix, "Run: chmod 600 %s", path);
    report(d, ST_FAIL, "keys", fix, "%s is mode %04o: it must be 0600", name,
           (unsigned)(st.st_mode & 07777));
    return 1;
  }
  report(d, ST_OK, "keys", NULL, "%s mode 0600", name);
  return 2;
}

static int check_config(doc_t *d, int *is_hub) {
  cli_t *c = d->c;
  char err[512], fix[AYIL_PATH_MAX + 160];
  uint8_t id[AYIL_ID_BYTES];
  int rc = ayil_config_load(c->home, &c->conf, err, sizeof err);
  if (rc != 0) {
    snprintf(fix, sizeof fix,
             "Correct %s/ayil.conf as in "
             "/usr/share/doc/ayil/examples/ayil.conf.example, then run: "
             "systemctl reload ayild",
             c->home);
    report(d, ST_FAIL, "config", fix, "%s", err);
    return -1;
  }
  *is_hub = strcmp(c->conf.role, "hub") == 0;
  if (*is_hub) {
    const char *colon = strrchr(c->conf.listen, ':');
    if (c->conf.listen[0] == '\0' || colon == NULL || atoi(colon + 1) <= 0) {
      report(d, ST_FAIL, "config",
             "Set [listen] address = IP:PORT in ayil.conf, then run: "
             "systemctl restart ayild",
             "[listen] address is not IP:PORT");
      return 0;
    }
  } else if (c->conf.hub_addr[0] == '\0' ||
             ayil_id_from_text(c->conf.hub_id, id) != 0) {
    report(d, ST_FAIL, "config",
           "Enroll the node with the invite from the hub's sysadmin: "
           "sudo -u ayil ayil join CODE",
           "this committee has no hub yet ([hub] address and id)");
    return 0;
  }
  if (c->conf.dead_after_s == 0 || c->conf.backoff_max_s == 0 ||
      (!*is_hub && c->conf.poll_interval_s == 0))
    report(d, ST_WARN, "config",
           "Set the [sync] values as in "
           "/usr/share/doc/ayil/examples/ayil.conf.example.",
           "a [sync] setting is 0 (poll_interval %u, dead_after %u, "
           "backoff_max %u)",
           c->conf.poll_interval_s, c->conf.dead_after_s,
           c->conf.backoff_max_s);
  else if (!*is_hub && c->conf.poll_interval_s < 300)
    report(d, ST_WARN, "config",
           "Set [sync] poll_interval = 3600 unless the link is free.",
           "poll_interval is %u s: the link is dialled often, and it is "
           "metered",
           c->conf.poll_interval_s);
  else if (strcmp(c->conf.log_level, "debug") == 0)
    report(d, ST_WARN, "config",
           "Set [node] log_level = info when done debugging, then run: "
           "systemctl reload ayild",
           "log_level is debug: many log lines wear the SD card");
  else
    report(d, ST_OK, "config", NULL, "%s \"%s\"%s%s", c->conf.role,
           c->conf.name, *is_hub ? ", listening on " : ", hub ",
           *is_hub ? c->conf.listen : c->conf.hub_addr);
  return 0;
}

static void check_disk(doc_t *d) {
  struct statvfs vfs;
  unsigned long long avail, inodes;
  const char *fix = "Free space: journalctl --vacuum-size=16M and apt-get "
                    "clean, or move the node to a larger SD card (guide: "
                    "replacing a dead Pi).";
  if (statvfs(d->c->home, &vfs) != 0) {
    report(d, ST_WARN, "disk", NULL, "cannot read the file system: %s",
           strerror(errno));
    return;
  }
  avail = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
  inodes = (unsigned long long)vfs.f_favail;
  if (vfs.f_flag & ST_RDONLY)
    report(d, ST_FAIL, "disk",
           "The SD card went read-only, usually after errors: copy the "
           "recovery kit, then replace the card (guide: replacing a dead Pi).",
           "the file system of the home is read-only");
  else if (avail < DISK_FAIL_BYTES || inodes < INODES_FAIL)
    report(d, ST_FAIL, "disk", fix, "%llu MB free (%llu inodes)",
           avail / (1024 * 1024), inodes);
  else if (avail < DISK_WARN_BYTES)
    report(d, ST_WARN, "disk", fix, "only %llu MB free", avail / (1024 * 1024));
  else
    report(d, ST_OK, "disk", NULL, "%llu MB free", avail / (1024 * 1024));
}

static void check_clock(doc_t *d, int is_hub) {
  int64_t now = (int64_t)time(NULL);
  int64_t newest = d->health.open_rc == 0 ? d->health.own_newest_s : 0;
  char nowtext[32], ntext[32];
  const char *ntp_fix = "Enable time sync (timedatectl set-ntp true) and "
                        "install fake-hwclock, so that the Pi keeps a "
                        "plausible time across power cuts.";
  struct timex tx;
  int state;
  ayil_node_time_text(now, nowtext, sizeof nowtext);
  if (now < CLOCK_FLOOR) {
    report(d, ST_FAIL, "clock", ntp_fix,
           "the clock says %s, which cannot be right", nowtext);
    return;
  }
  if (newest > now + 60) {
    ayil_node_time_text(newest, ntext, sizeof ntext);
    report(d, ST_FAIL, "clock", ntp_fix,
           "the clock says %s, before this node's last entry (%s): it went "
           "back",
           nowtext, ntext);
    return;
  }
  if (!is_hub && d->health.open_rc == 0) {
    int64_t sk = d->health.skew_ms;
    if (d->health.has_skew && (sk > SKEW_WARN_MS || sk < -SKEW_WARN_MS)) {
      report(d, ST_WARN, "clock", ntp_fix,
             "the clock was %+.0f s off the hub's at the last contact",
             (double)sk / 1000.0);
      return;
    }
  }
  memset(&tx, 0, sizeof tx);
  state = adjtimex(&tx);
  if (state == TIME_ERROR)
    report(d, ST_WARN, "clock", ntp_fix,
           "%s, but not synchronised (NTP): it may drift or jump", nowtext);
  else
    report(d, ST_OK, "clock", NULL, "%s%s", nowtext,
           state < 0 ? "" : ", synchronised");
}

static void check_store(doc_t *d, int quick) {
  cli_t *c = d->c;
  const ayil_node_health_t *h = &d->health;
  const char *fix = "Stop ayild, keep a copy of the home, and ask the hub's "
                    "sysadmin for a replacement invite: the node's history "
                    "comes back from the hub (guide: replacing a dead Pi).";
  ayil_node_health(c->home, c->ident_loaded ? c->ident.pk : NULL, quick,
                   &d->health);
  if (h->open_rc == AYIL_ECORRUPT && h->wal_damaged) {
    report(d, ST_FAIL, "store", fix,
           "ayil.db's write-ahead log has a damaged frame before sound ones: "
           "SQLite would drop those commits without a word, so every command "
           "refuses the store");
  } else if (h->open_rc == AYIL_ECORRUPT) {
    report(d, ST_FAIL, "store", fix,
           "ayil.db is damaged: it fails SQLite's quick_check, and every "
           "command refuses to write to it");
  } else if (h->open_rc != 0) {
    report(d, ST_FAIL, "store", fix, "cannot open ayil.db: %s",
           ayil_strerror(h->open_rc));
  } else if (h->integrity_rc != 0) {
    report(d, ST_FAIL, "store", fix, "SQLite integrity check: %s",
           ayil_strerror(h->integrity_rc));
  } else if (quick) {
    report(d, ST_OK, "store", NULL,
           "SQLite integrity check passed (chains not checked: --quick)");
  } else if (h->verify_rc != 0) {
    report(d, ST_FAIL, "store", fix, "cannot read the logs: %s",
           ayil_strerror(h->verify_rc));
  } else if (h->v.bad) {
    report(d, ST_FAIL, "store", fix,
           "log entry %llu of a log does not verify: %s (ayil log verify "
           "names it)",
           (unsigned long long)h->v.seq, ayil_strerror(h->v.err));
  } else if (h->v.bodies_damaged > 0) {
    report(d, ST_FAIL, "store",
           "Let ayild sync: a body the hub holds comes back by itself; "
           "ayil log verify names the damaged ones.",
           "%llu record bodies do not match their hash (first: entry %llu "
           "of a log)",
           (unsigned long long)h->v.bodies_damaged,
           (unsigned long long)h->v.damage[0].seq);
  } else {
    report(d, ST_OK, "store", NULL,
           "integrity check passed; %llu entries in %llu logs verify",
           (unsigned long long)h->v.entries_checked,
           (unsigned long long)h->v.origins_checked);
  }
}

static int check_daemon(doc_t *d) {
  json_t *req = json_pack("{s:s}", "cmd", "status");
  json_t *reply = NULL;
  int rc =
      cli_ctl_request(d->c->home, req, CLI_CTL_TIMEOUT_MS, &reply, NULL, 0);
  json_decref(req);
  json_decref(reply);
  if (rc == 0) {
    report(d, ST_OK, "daemon", NULL, "ayild is running");
    return 1;
  }
  if (rc == AYIL_ENOTFOUND)
    report(d, ST_WARN, "daemon",
           "Start it: sudo systemctl start ayild (journalctl -u ayild -n 50 "
           "says why it stopped).",
           "ayild is not running");
  else
    report(d, ST_FAIL, "daemon",
           "Restart it: sudo systemctl restart ayild, then look at "
           "journalctl -u ayild -n 50.",
           "ayild does not answer on its control socket: %s",
           ayil_strerror(rc));
  return 0;
}

/* Splits "host:port" or "[v6]:port". */
static int split_addr(const char *addr, char *host, size_t hcap, char *port,
                      size_t pcap) {
  const char *colon = strrchr(addr, ':');
  size_t hl;
  if (colon == NULL || colon[1] == '\0')
    return -1;
  hl = (size_t)(colon - addr);
  if (hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']') {
    addr++;
    hl -= 2;
  }
  if (hl == 0 || hl >= hcap || strlen(colon + 1) >= pcap)
    return -1;
  memcpy(host, addr, hl);
  host[hl] = '\0';
  snprintf(port, pcap, "%s", colon + 1);
  return 0;
}

static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* TCP connect to addr within the timeout. 0 and the time it took, or an
 * errno-like message in err. */
static int tcp_probe(const char *addr, long long *ms, char *err, size_t cap,
                     char *num, size_t ncap) {
  char host[256], port[16];
  struct addrinfo hints, *res = NULL, *ai;
  long long t0 = mono_ms();
  int rc, ok = -1;
  if (split_addr(addr, host, sizeof host, port, sizeof port) != 0) {
    snprintf(err, cap, "the address is not HOST:PORT");
    return -1;
  }
  if (strcmp(host, "0.0.0.0") == 0)
    snprintf(host, sizeof host, "127.0.0.1");
  else if (strcmp(host, "::") == 0)
    snprintf(host, sizeof host, "::1");
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  rc = getaddrinfo(host, port, &hints, &res);
  if (rc != 0) {
    snprintf(err, cap, "cannot resolve %.120s: %s", host, gai_strerror(rc));
    return -1;
  }
  snprintf(err, cap, "no address");
  for (ai = res; ai != NULL && ok != 0; ai = ai->ai_next) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
    int flags, soerr = 0;
    socklen_t sl = sizeof soerr;
    struct pollfd p;
    long long left;
    if (fd < 0)
      continue;
    flags = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    if (num != NULL)
      getnameinfo(ai->ai_addr, ai->ai_addrlen, num, (socklen_t)ncap, NULL, 0,
                  NI_NUMERICHOST);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      ok = 0;
    } else if (errno == EINPROGRESS) {
      left = CONNECT_TIMEOUT_MS - (mono_ms() - t0);
      p.fd = fd;
      p.events = POLLOUT;
      p.revents = 0;
      if (left > 0 && poll(&p, 1, (int)left) == 1 &&
          getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
        ok = 0;
      else if (soerr != 0)
        snprintf(err, cap, "%s", strerror(soerr));
      else
        snprintf(err, cap, "no answer within %d s", CONNECT_TIMEOUT_MS / 1000);
    } else {
      snprintf(err, cap, "%s", strerror(errno));
    }
    close(fd);
  }
  freeaddrinfo(res);
  *ms = mono_ms() - t0;
  return ok;
}

static void check_network(doc_t *d, int is_hub, int daemon_up) {
  cli_t *c = d->c;
  char err[256], host[256], port[16], num[64] = "";
  long long ms = 0;
  if (is_hub) {
    if (!daemon_up)
      return; /* nothing listens; the daemon check said so */
    if (tcp_probe(c->conf.listen, &ms, err, sizeof err, NULL, 0) != 0)
      report(d, ST_FAIL, "network",
             "Check [listen] address in ayil.conf and that no other "
             "program holds the port, then run: systemctl restart ayild",
             "nothing answers on the listen address %s: %s", c->conf.listen,
             err);
    else
      report(d, ST_OK, "network", NULL, "listening on %s", c->conf.listen);
    return;
  }
  if (c->conf.hub_addr[0] == '\0')
    return;
  if (split_addr(c->conf.hub_addr, host, sizeof host, port, sizeof port) != 0) {
    /* Not an address: it is not shown (it could be anything typed). */
    report(d, ST_FAIL, "hub",
           "Set [hub] address = HOST:PORT in ayil.conf as the invite gave it, "
           "then run: systemctl reload ayild",
           "[hub] address in ayil.conf is not HOST:PORT");
    return;
  }
  /* A name (hub.example.org:7440) is looked up here as ayild does, with
   * getaddrinfo: every address it gives is tried. */
  if (tcp_probe(c->conf.hub_addr, &ms, err, sizeof err, num, sizeof num) != 0) {
    report(d, ST_FAIL, "hub",
           "Check the modem and its data balance (ping -c 3 deb.debian.org), "
           "then ask the hub's sysadmin whether the hub is up at this "
           "address.",
           "cannot reach the hub at %s: %s", c->conf.hub_addr, err);
    return;
  }
  if (num[0] != '\0' && strcmp(num, host) != 0)
    report(d, ST_OK, "hub", NULL, "%s (%s) answers (TCP connect in %lld ms)",
           c->conf.hub_addr, num, ms);
  else
    report(d, ST_OK, "hub", NULL, "%s answers (TCP connect in %lld ms)",
           c->conf.hub_addr, ms);
  /* Answering is not accepting: check_refused() said what the hub does. */
  if (d->health.open_rc == 0 && !d->refused) {
    int64_t now = (int64_t)time(NULL);
    int64_t la = d->health.last_ack, lc = d->health.last_contact;
    if (d->health.has_contact) {
      char t[32];
      if (lc <= 0)
        report(d, ST_WARN, "sync",
               "Start ayild and run: sudo -u ayil ayil sync --wait 600",
               "this node has never been in contact with its hub");
      else if (now - (la > 0 ? la : lc) > STALE_ACK_S) {
        ayil_node_time_text(la > 0 ? la : lc, t, sizeof t);
        report(d, ST_WARN, "sync",
               "Run: sudo -u ayil ayil sync --wait 600, and look at "
               "journalctl -u ayild -n 50 if it fails.",
               "the hub acknowledged nothing since %s", t);
      } else {
        ayil_node_time_text(la > 0 ? la : lc, t, sizeof t);
        report(d, ST_OK, "sync", NULL, "last %s from the hub at %s",
               la > 0 ? "acknowledgement" : "contact", t);
      }
    }
  }
}

/* A committee reads its alerts: the hub may answer on TCP and still refuse
 * this node after authentication (revoked, replaced, an invite already
 * used). Then nothing syncs, whatever the network says. */
static void check_refused(doc_t *d, int is_hub) {
  const ayil_node_health_t *h = &d->health;
  char t[32];
  if (is_hub || h->open_rc != 0)
    return;
  if (strcmp(h->own_state, "replaced") == 0) {
    d->refused = 1;
    report(d, ST_FAIL, "sync",
           _("This Pi is retired: its committee carries on with the new "
             "node. Stop it for good (sudo systemctl disable --now ayild) "
             "and wipe its card; what it wrote after the switch never "
             "reaches the hub."),
           "%s",
           _("the hub replaced this node with a new node of its "
             "committee, and refuses it"));
  } else if (strcmp(h->own_state, "revoked") == 0) {
    d->refused = 1;
    report(d, ST_FAIL, "sync",
           _("Ask the hub's sysadmin why; if the committee goes on, they "
             "issue an invite for a new node (ayil admit --successor-of "
             "ID), and the node is set up again with it."),
           "%s", _("the hub revoked this node, and refuses it"));
  } else if (h->refused_by_hub) {
    d->refused = 1;
    ayil_node_time_text(h->refused_last, t, sizeof t);
    report(d, ST_FAIL, "sync",
           _("Give the hub's sysadmin this node's id (ayil id): `ayil nodes` "
             "on the hub shows whether it was revoked or replaced, or "
             "whether its invite was already used. Once the hub takes it "
             "again the alert clears itself (or: ayil alerts clear "
             "refused_by_hub)."),
           _("the hub refuses this node: it closes the connection after "
             "authentication (refused_by_hub alert, last at %s)"),
           t);
  }
}

static const cli_optdef_t DOCTOR_OPTS[] = {
    {"quick", 0}, {"offline", 0}, {NULL, 0}};

int cmd_doctor(cli_t *c, int argc, char **argv) {
  doc_t d;
  char path[AYIL_PATH_MAX];
  int is_hub = 0, daemon_up = 0, quick, offline, have_id;
  int rc = cli_parse(c, argc, argv, c->first, DOCTOR_OPTS, "doctor");
  if (rc != 0)
    return rc;
  if (c->npos != 0)
    return cli_err(EXIT_USAGE,
                   "usage: ayil doctor [--quick] [--offline] [--json]");
  quick = cli_opt(c, "quick") != NULL;
  offline = cli_opt(c, "offline") != NULL;
  memset(&d, 0, sizeof d);
  d.c = c;
  d.health.open_rc = AYIL_ENOTFOUND; /* until check_store opens it */
  d.checks = json_array();
  if (!c->json)
    printf("ayil doctor: %s\n", c->home);
  if (check_home(&d) == 0) {
    check_owners(&d);
    int conf_ok = check_config(&d, &is_hub) == 0;
    have_id = check_key(&d, "identity.key", 1,
                        "This home holds no node: create one with ayil "
                        "init (guide: enrolling a node).");
    if (conf_ok) {
      check_key(&d, "network.key", 1,
                is_hub ? "Restore the hub's home from its backup."
                       : "Enroll the node: sudo -u ayil ayil join CODE");
      if (!is_hub)
        check_key(&d, "reader.key", 1,
                  "Set the node up again from its recovery kit (guide: "
                  "replacing a dead Pi).");
    }
    if (have_id == 2 && cli_path(c, "identity.key", path, sizeof path) == 0) {
      rc = ayil_identity_load(path, &c->ident);
      if (rc == 0)
        c->ident_loaded = 1;
      else
        report(&d, ST_FAIL, "keys",
               "Set the node up again (guide: replacing a dead Pi).",
               "identity.key cannot be read: %s", ayil_strerror(rc));
    }
    check_disk(&d);
    check_store(&d, quick);
    check_clock(&d, is_hub);
    daemon_up = check_daemon(&d);
    if (conf_ok)
      check_refused(&d, is_hub);
    if (!offline && conf_ok)
      check_network(&d, is_hub, daemon_up);
  }
  cli_close(c);
  if (c->json) {
    json_t *o =
        json_pack("{s:s, s:s?, s:b, s:i, s:i, s:o}", "home", c->home, "role",
                  c->conf.role[0] ? c->conf.role : NULL, "ok", d.nfail == 0,
                  "failed", d.nfail, "warnings", d.nwarn, "checks", d.checks);
    cli_print_json(o);
    json_decref(o);
  } else {
    json_decref(d.checks);
    if (d.nfail == 0 && d.nwarn == 0)
      printf(_("No problems found.\n"));
    else
      printf(_("%d failed, %d warning(s).\n"), d.nfail, d.nwarn);
  }
  return d.nfail > 0 ? EXIT_FAIL : EXIT_OK;
}

/*
 * ayild's log, clock and configuration loading: what main.c and the tests
 * of the connection lifecycle (tests/unit/test_conn.c) share.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon.h"

#define HUB_CACHE_KIB (32 * 1024)

int dlog_journal = 0;
int dlog_verbose = 0;

static void emit(int level, const char *msg) {
  static const char *const names[] = {"",        "",       "",     "error",
                                      "warning", "notice", "info", "debug"};
  if (dlog_journal) {
    fprintf(stderr, "<%d>%s\n", level, msg);
  } else {
    time_t t = time(NULL);
    struct tm tm;
    char ts[32];
    gmtime_r(&t, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s ayild[%d] %s: %s\n", ts, (int)getpid(), names[level],
            msg);
  }
}

/*
 * Repeated lines are rate-limited, so that a flood (a thousand strangers,
 * each closed) cannot fill the journal or hide the lines that matter. Lines
 * that differ only in their digits are the same line: each gets LOG_BURST
 * lines per LOG_WINDOW_S, and when its window ends a summary says how many
 * more there were. Lines that name different nodes stay apart.
 */
#define LOG_BURST 10
#define LOG_WINDOW_S 60
#define LOG_SLOTS 64

static struct {
  uint64_t key;
  int level;
  time_t since;
  unsigned lines, dropped;
  char first[160]; /* the window's first line, for the summary */
} log_slots[LOG_SLOTS];

static time_t mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

/* FNV-1a over the line without its digits. */
static uint64_t line_key(int level, const char *msg) {
  uint64_t h = 1469598103934665603ULL ^ (uint64_t)level;
  for (; *msg != '\0'; msg++)
    if (*msg < '0' || *msg > '9')
      h = (h ^ (uint8_t)*msg) * 1099511628211ULL;
  return h;
}

static void summarize(int i) {
  char msg[320];
  if (log_slots[i].dropped == 0)
    return;
  snprintf(msg, sizeof msg, "%u more lines like \"%s\" in %d s",
           log_slots[i].dropped, log_slots[i].first, LOG_WINDOW_S);
  emit(log_slots[i].level, msg);
  log_slots[i].dropped = 0;
}

static void restart(int i, time_t now, const char *msg) {
  /* Cut to fit: the summary names the kind of line, not all of it. */
  size_t n = strnlen(msg, sizeof log_slots[i].first - 1);
  log_slots[i].since = now;
  log_slots[i].lines = 0;
  memcpy(log_slots[i].first, msg, n);
  log_slots[i].first[n] = '\0';
}

/* 1 if `msg` may be written now. */
static int log_admit(int level, const char *msg) {
  time_t now = mono_s();
  uint64_t key = line_key(level, msg);
  int i, slot = -1, oldest = 0;
  for (i = 0; i < LOG_SLOTS; i++) {
    if (log_slots[i].key == key && log_slots[i].level == level) {
      slot = i;
      break;
    }
    if (log_slots[i].since < log_slots[oldest].since)
      oldest = i;
  }
  if (slot < 0) {
    slot = oldest;
    summarize(slot);
    log_slots[slot].key = key;
    log_slots[slot].level = level;
    restart(slot, now, msg);
  } else if (now - log_slots[slot].since >= LOG_WINDOW_S) {
    summarize(slot);
    restart(slot, now, msg);
  }
  if (log_slots[slot].lines >= LOG_BURST) {
    log_slots[slot].dropped++;
    return 0;
  }
  log_slots[slot].lines++;
  return 1;
}

void dlog_flush(int all) {
  time_t now = mono_s();
  int i;
  for (i = 0; i < LOG_SLOTS; i++)
    if (log_slots[i].dropped > 0 &&
        (all || now - log_slots[i].since >= LOG_WINDOW_S))
      summarize(i);
}

void dlog(int level, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  if (level >= LOG_DEBUG && !dlog_verbose)
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (log_admit(level, msg))
    emit(level, msg);
}

uint64_t now_ms(daemon_t *d) {
  return uv_now(d->loop);
}

int daemon_load(daemon_t *d, int reload) {
  char err[512], path[AYIL_PATH_MAX];
  ayil_config_t conf;
  int rc = ayil_config_load(d->home, &conf, err, sizeof err);
  if (rc != 0) {
    dlog(LOG_ERR, "%s", err);
    return rc;
  }
  if (reload) {
    if (strcmp(conf.role, d->conf.role) != 0 ||
        strcmp(conf.listen, d->conf.listen) != 0)
      dlog(LOG_WARN, "role or listen address changed: restart ayild to apply");
    d->conf.poll_interval_s = conf.poll_interval_s;
    d->conf.linger_s = conf.linger_s;
    d->conf.dead_after_s = conf.dead_after_s;
    d->conf.backoff_max_s = conf.backoff_max_s;
    snprintf(d->conf.log_level, sizeof d->conf.log_level, "%s", conf.log_level);
    if (strcmp(conf.hub_addr, d->conf.hub_addr) != 0 ||
        strcmp(conf.hub_id, d->conf.hub_id) != 0) {
      snprintf(d->conf.hub_addr, sizeof d->conf.hub_addr, "%s", conf.hub_addr);
      snprintf(d->conf.hub_id, sizeof d->conf.hub_id, "%s", conf.hub_id);
      ayil_id_from_text(d->conf.hub_id, d->hub_id);
      if ((!d->is_hub || d->uplink) &&
          ayil_store_set_hub(d->store, d->hub_id) != 0)
        dlog(LOG_WARN, "could not record the new hub id in the store");
    }
    dlog_verbose = strcmp(d->conf.log_level, "debug") == 0 || dlog_verbose;
    dlog(LOG_NOTICE, "configuration reloaded");
    return 0;
  }
  d->conf = conf;
  d->is_hub = strcmp(conf.role, "hub") == 0;
  if (ayil_home_path(d->home, "identity.key", path, sizeof path) != 0)
    return AYIL_EINVAL;
  rc = ayil_identity_load(path, &d->ident);
  if (rc != 0) {
    dlog(LOG_ERR, "identity key %s: %s", path, ayil_strerror(rc));
    return rc;
  }
  ayil_home_path(d->home, "network.key", path, sizeof path);
  rc = ayil_netkey_load(path, d->netkey);
  if (rc != 0) {
    dlog(LOG_ERR, "network key %s: %s%s", path, ayil_strerror(rc),
         d->is_hub ? "" : " (join a hub first: ayil join CODE)");
    return rc;
  }
  if (!d->is_hub && ayil_id_from_text(conf.hub_id, d->hub_id) != 0) {
    dlog(LOG_ERR, "config: [hub] id is missing or not a node id");
    return AYIL_EINVAL;
  }
  if (d->is_hub && conf.hub_id[0] != '\0') {
    /* A regional hub that joined a national hub. */
    if (ayil_id_from_text(conf.hub_id, d->hub_id) != 0) {
      dlog(LOG_ERR, "config: [hub] id is not a node id");
      return AYIL_EINVAL;
    }
    ayil_home_path(d->home, "uplink.key", path, sizeof path);
    rc = ayil_netkey_load(path, d->up_netkey);
    if (rc != 0) {
      dlog(LOG_ERR, "network key of the hub above %s: %s", path,
           ayil_strerror(rc));
      return rc;
    }
    d->uplink = 1;
  }
  ayil_home_path(d->home, "ayil.db", path, sizeof path);
  rc = ayil_store_open(&d->store, path, 0);
  if (rc == 0 && (!d->is_hub || d->uplink))
    rc = ayil_store_set_hub(d->store, d->hub_id); /* only its notices count */
  /* A hub's store holds every committee's log: keep the indexes that
   * every entry touches (bodies by hash, entries by origin) in memory. */
  if (rc == 0 && d->is_hub)
    rc = ayil_store_cache_kib(d->store, HUB_CACHE_KIB);
  if (rc != 0) {
    dlog(LOG_ERR, "store %s: %s", path, ayil_strerror(rc));
    return rc;
  }
  return 0;
}

/* ayil status, and the hub side of ayil report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "ayil/error.h"
#include "cli.h"
#include "ctl.h"
#include "record.h"
#include "registry.h"
#include "report.h"

/* Below this much free space in the home, status raises a disk alert. */
#define DISK_LOW_BYTES (100ULL * 1024 * 1024)
/* The most devices of one committee whose logs a hub offers a peer. */
#define MAX_DEVICES 64

static long long count(cli_t *c, const char *sql) {
  sqlite3_stmt *s = NULL;
  long long n = -1;
  if (sqlite3_prepare_v2(ayil__store_db(c->store), sql, -1, &s, NULL) ==
          SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return n;
}

static json_t *int_or_null(int isnull, int64_t v) {
  return isnull ? json_null() : json_integer((json_int_t)v);
}

/* Entries of `origin` this node holds that `peer` has not acknowledged. */
static int64_t unacked(cli_t *c, const uint8_t *peer, const uint8_t *origin) {
  uint64_t head = 0, acked = 0;
  uint8_t hash[AYIL_HASH_BYTES];
  if (ayil_store_head(c->store, origin, &head, hash) != 0 ||
      ayil_reg_peer_acked(c->store, peer, origin, &acked) != 0)
    return 0;
  return head > acked ? (int64_t)(head - acked) : 0;
}

/*
 * What this node offers `peer` and the peer has not acknowledged. A
 * committee offers its hub its own log. A hub offers a committee's device
 * the logs of the committee's other devices (its history) and the hub's
 * own log; the device wrote its own log, so it is not offered back.
 */
static int64_t unacked_out(cli_t *c, const uint8_t *peer, int64_t committee) {
  int64_t n = 0;
  if (strcmp(c->conf.role, "committee") == 0)
    return unacked(c, peer, c->ident.pk);
  n += unacked(c, peer, c->ident.pk);
  if (committee > 0) {
    uint8_t(*ids)[AYIL_ID_BYTES] = malloc(MAX_DEVICES * AYIL_ID_BYTES);
    size_t k, nd = 0;
    if (ids != NULL && ayil_reg_committee_devices(c->store, committee, ids,
                                                  MAX_DEVICES, &nd) == 0) {
      for (k = 0; k < nd && k < MAX_DEVICES; k++)
        if (memcmp(ids[k], peer, AYIL_ID_BYTES) != 0)
          n += unacked(c, peer, ids[k]);
    }
    free(ids);
  }
  return n;
}

/* The live daemon's view of one peer, or NULL. */
static const json_t *live_peer(const json_t *daemon, const char *idtext) {
  const json_t *peers = json_object_get(daemon, "peers");
  size_t i;
  for (i = 0; i < json_array_size(peers); i++) {
    const json_t *p = json_array_get(peers, i);
    const char *id = json_string_value(json_object_get(p, "id"));
    if (id != NULL && strcmp(id, idtext) == 0)
      return p;
  }
  return NULL;
}

/* Adds the stored bookkeeping of one peer to `o`. */
static void peer_book(cli_t *c, const uint8_t *id, const char *today,
                      json_t *o) {
  sqlite3 *db = ayil__store_db(c->store);
  sqlite3_stmt *s = NULL;
  int64_t lc = 0, la = 0, sk = 0, sent = 0, recv = 0;
  int has_lc = 0, has_la = 0, has_sk = 0;
  if (sqlite3_prepare_v2(db,
                         "SELECT last_contact, last_ack, skew_ms FROM peers "
                         "WHERE id=?1",
                         -1, &s, NULL) == SQLITE_OK) {
    sqlite3_bind_blob(s, 1, id, AYIL_ID_BYTES, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
      has_lc = sqlite3_column_type(s, 0) != SQLITE_NULL;
      has_la = sqlite3_column_type(s, 1) != SQLITE_NULL;
      has_sk = sqlite3_column_type(s, 2) != SQLITE_NULL && has_lc;
      lc = sqlite3_column_int64(s, 0);
      la = sqlite3_column_int64(s, 1);
      sk = sqlite3_column_int64(s, 2);
    }
    sqlite3_finalize(s);
  }
  if (sqlite3_prepare_v2(db,
                         "SELECT sent, recv FROM peer_bytes WHERE peer=?1 AND "
                         "day=?2",
                         -1, &s, NULL) == SQLITE_OK) {
    sqlite3_bind_blob(s, 1, id, AYIL_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, today, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
      sent = sqlite3_column_int64(s, 0);
      recv = sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
  }
  json_object_set_new(o, "last_contact", int_or_null(!has_lc || lc <= 0, lc));
  json_object_set_new(o, "last_ack", int_or_null(!has_la || la <= 0, la));
  json_object_set_new(o, "bytes_today",
                      json_pack("{s:I, s:I}", "sent", (json_int_t)sent, "recv",
                                (json_int_t)recv));
  json_object_set_new(o, "skew_ms", int_or_null(!has_sk, sk));
}

static json_t *peer_json(cli_t *c, const uint8_t *id, const char *name,
                         const char *state, int64_t committee,
                         const json_t *daemon, const char *today) {
  char idtext[AYIL_ID_TEXT];
  const json_t *lp;
  json_t *o;
  int active = state == NULL || strcmp(state, AYIL_DEV_ACTIVE) == 0;
  ayil_id_to_text(id, idtext);
  lp = daemon != NULL ? live_peer(daemon, idtext) : NULL;
  o = json_pack("{s:s, s:s}", "id", idtext, "name", name);
  if (state != NULL)
    json_object_set_new(o, "state", json_string(state));
  if (lp != NULL) {
    json_object_set_new(
        o, "connected",
        json_boolean(json_is_true(json_object_get(lp, "connected"))));
    json_object_set(o, "link", json_object_get(lp, "state"));
  } else {
    json_object_set_new(o, "connected", json_false());
  }
  peer_book(c, id, today, o);
  /* A node that was revoked or replaced is offered nothing any more. */
  json_object_set_new(o, "unacked_out",
                      active ? json_integer(unacked_out(c, id, committee))
                             : json_null());
  if (lp != NULL && json_is_integer(json_object_get(lp, "unacked_in")))
    json_object_set(o, "unacked_in", json_object_get(lp, "unacked_in"));
  else
    json_object_set_new(o, "unacked_in", json_string("unknown"));
  if (lp != NULL && json_is_integer(json_object_get(lp, "since_progress_ms")))
    json_object_set(o, "since_progress_ms",
                    json_object_get(lp, "since_progress_ms"));
  return o;
}

static json_t *peers_json(cli_t *c, const json_t *daemon, const char *today) {
  json_t *a = json_array();
  if (strcmp(c->conf.role, "committee") == 0) {
    uint8_t hub[AYIL_ID_BYTES];
    if (c->conf.hub_id[0] != '\0' &&
        ayil_id_from_text(c->conf.hub_id, hub) == 0)
      json_array_append_new(a,
                            peer_json(c, hub, "hub", NULL, 0, daemon, today));
    return a;
  }
  {
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(ayil__store_db(c->store),
                           "SELECT d.id, d.state, d.committee, c.name FROM "
                           "devices d JOIN committees c ON c.id=d.committee "
                           "ORDER BY c.oblast, c.name, d.admitted",
                           -1, &s, NULL) != SQLITE_OK)
      return a;
    while (sqlite3_step(s) == SQLITE_ROW) {
      const char *st = (const char *)sqlite3_column_text(s, 1);
      const char *name = (const char *)sqlite3_column_text(s, 3);
      if (sqlite3_column_bytes(s, 0) != AYIL_ID_BYTES)
        continue;
      json_array_append_new(
          a, peer_json(c, sqlite3_column_blob(s, 0), name != NULL ? name : "",
                       st != NULL ? st : "?", sqlite3_column_int64(s, 2),
                       daemon, today));
    }
    sqlite3_finalize(s);
  }
  return a;
}

static json_t *alerts_json(cli_t *c, int64_t disk_free, int disk_known) {
  json_t *a = json_array();
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v2(ayil__store_db(c->store),
                         "SELECT kind, peer, origin, seq, first, last FROM "
                         "alerts WHERE cleared=0 ORDER BY n",
                         -1, &s, NULL) == SQLITE_OK) {
    while (sqlite3_step(s) == SQLITE_ROW) {
      const char *kind = (const char *)sqlite3_column_text(s, 0);
      char peer[AYIL_ID_TEXT], origin[AYIL_ID_TEXT];
      int hp = sqlite3_column_bytes(s, 1) == AYIL_ID_BYTES;
      int ho = sqlite3_column_bytes(s, 2) == AYIL_ID_BYTES;
      if (kind == NULL)
        continue;
      if (hp)
        ayil_id_to_text(sqlite3_column_blob(s, 1), peer);
      if (ho)
        ayil_id_to_text(sqlite3_column_blob(s, 2), origin);
      json_array_append_new(
          a, json_pack("{s:s, s:s?, s:s?, s:I, s:I, s:I}", "kind", kind, "peer",
                       hp ? peer : NULL, "origin", ho ? origin : NULL, "seq",
                       (json_int_t)sqlite3_column_int64(s, 3), "first",
                       (json_int_t)sqlite3_column_int64(s, 4), "last",
                       (json_int_t)sqlite3_column_int64(s, 5)));
    }
    sqlite3_finalize(s);
  }
  if (disk_known && disk_free < (int64_t)DISK_LOW_BYTES)
    json_array_append_new(a, json_pack("{s:s, s:I}", "kind", "disk_full",
                                       "free_bytes", (json_int_t)disk_free));
  return a;
}

/* Asks the daemon; fills the "daemon" object. Returns the live reply (a
 * new reference) or NULL when the daemon does not run or did not answer. */
static json_t *daemon_json(cli_t *c, json_t **out) {
  json_t *req = json_pack("{s:s}", "cmd", "status");
  json_t *rep = NULL;
  char sock[AYIL_PATH_MAX];
  int rc = cli_ctl_request(c->home, req, CLI_CTL_TIMEOUT_MS, &rep, sock,
                           sizeof sock);
  json_decref(req);
  if (rc == AYIL_ENOTFOUND) {
    *out = json_pack("{s:b, s:s}", "running", 0, "socket", sock);
    return NULL;
  }
  if (rc != 0 || !json_is_true(json_object_get(rep, "ok"))) {
    const char *e = rc != 0 ? ayil_strerror(rc)
                            : json_string_value(json_object_get(rep, "error"));
    *out = json_pack("{s:n, s:s, s:s}", "running", "socket", sock, "error",
                     e != NULL ? e : "the daemon refused");
    json_decref(rep);
    return NULL;
  }
  *out = json_pack("{s:b, s:s, s:O?, s:O?, s:O?}", "running", 1, "socket", sock,
                   "pid", json_object_get(rep, "pid"), "uptime_s",
                   json_object_get(rep, "uptime_s"), "synced",
                   json_object_get(rep, "synced"));
  return rep;
}

static void print_time(const char *label, const json_t *v) {
  char t[32];
  cli_utc(json_is_integer(v) ? (int64_t)json_integer_value(v) : 0, t, sizeof t);
  printf("    %-18s%s%s\n", label, t, json_is_integer(v) ? " UTC" : "");
}

static void print_status_text(const json_t *o) {
  const json_t *d = json_object_get(o, "daemon");
  const json_t *peers = json_object_get(o, "peers");
  const json_t *alerts = json_object_get(o, "alerts");
  const json_t *hub = json_object_get(o, "hub");
  const char *oblast = json_string_value(json_object_get(o, "oblast"));
  char b1[32], b2[32];
  size_t i;
  printf("role      %s\nid        %s\nname      %s\n",
         json_string_value(json_object_get(o, "role")),
         json_string_value(json_object_get(o, "id")),
         json_string_value(json_object_get(o, "name")));
  if (oblast != NULL && oblast[0] != '\0')
    printf("oblast    %s\n", oblast);
  if (json_is_object(hub))
    printf("hub       %s (%s)\n",
           json_string_value(json_object_get(hub, "address")),
           json_string_value(json_object_get(hub, "id")));
  else if (strcmp(json_string_value(json_object_get(o, "role")), "committee") ==
           0)
    printf("hub       none (enrol with `ayil join CODE`)\n");
  if (json_is_true(json_object_get(o, "enrollment_pending")))
    printf("enrolment pending: ayild presents the invite on its next "
           "connection\n");
  if (json_is_true(json_object_get(d, "running"))) {
    long long up =
        (long long)json_integer_value(json_object_get(d, "uptime_s"));
    printf("daemon    running (pid %lld, up %lldd %02lld:%02lld), %s\n",
           (long long)json_integer_value(json_object_get(d, "pid")), up / 86400,
           up % 86400 / 3600, up % 3600 / 60,
           json_is_true(json_object_get(d, "synced")) ? "synced"
                                                      : "not synced");
  } else if (json_is_false(json_object_get(d, "running"))) {
    printf("daemon    not running\n");
  } else {
    printf("daemon    not answering (%s)\n",
           json_string_value(json_object_get(d, "error")));
  }
  printf("records   %lld\nentries   %lld\n",
         (long long)json_integer_value(json_object_get(o, "records")),
         (long long)json_integer_value(json_object_get(o, "entries")));
  if (json_is_integer(json_object_get(o, "disk_free_bytes"))) {
    cli_bytes_text(
        (uint64_t)json_integer_value(json_object_get(o, "disk_free_bytes")), b1,
        sizeof b1);
    printf("disk free %s\n", b1);
  }
  printf("peers     %s\n", json_array_size(peers) == 0 ? "none" : "");
  for (i = 0; i < json_array_size(peers); i++) {
    const json_t *p = json_array_get(peers, i);
    const json_t *st = json_object_get(p, "state");
    const json_t *link = json_object_get(p, "link");
    const json_t *uo = json_object_get(p, "unacked_out");
    const json_t *ui = json_object_get(p, "unacked_in");
    const json_t *bt = json_object_get(p, "bytes_today");
    const json_t *sk = json_object_get(p, "skew_ms");
    char out[32], in[32];
    printf("  %s  %s%s%s\n", json_string_value(json_object_get(p, "name")),
           json_string_value(json_object_get(p, "id")),
           json_is_string(st) ? "  " : "",
           json_is_string(st) ? json_string_value(st) : "");
    if (json_is_true(json_object_get(d, "running")))
      printf("    %-18s%s%s%s\n", "link",
             json_is_true(json_object_get(p, "connected")) ? "connected"
                                                           : "not connected",
             json_is_string(link) ? ", " : "",
             json_is_string(link) ? json_string_value(link) : "");
    print_time("last contact", json_object_get(p, "last_contact"));
    print_time("last ack", json_object_get(p, "last_ack"));
    if (json_is_integer(uo))
      snprintf(out, sizeof out, "%lld", (long long)json_integer_value(uo));
    else
      snprintf(out, sizeof out, "-");
    if (json_is_integer(ui))
      snprintf(in, sizeof in, "%lld", (long long)json_integer_value(ui));
    else
      snprintf(in, sizeof in, "unknown");
    printf("    %-18sout %s, in %s\n", "not acknowledged", out, in);
    cli_bytes_text((uint64_t)json_integer_value(json_object_get(bt, "sent")),
                   b1, sizeof b1);
    cli_bytes_text((uint64_t)json_integer_value(json_object_get(bt, "recv")),
                   b2, sizeof b2);
    printf("    %-18ssent %s, received %s\n", "today", b1, b2);
    if (json_is_integer(sk))
      printf("    %-18s%+.1f s\n", "clock skew",
             (double)json_integer_value(sk) / 1000.0);
    else
      printf("    %-18sunknown\n", "clock skew");
  }
  printf("alerts    %s\n", json_array_size(alerts) == 0 ? "none" : "");
  for (i = 0; i < json_array_size(alerts); i++) {
    const json_t *a = json_array_get(alerts, i);
    const char *kind = json_string_value(json_object_get(a, "kind"));
    const json_t *peer = json_object_get(a, "peer");
    const json_t *origin = json_object_get(a, "origin");
    char t[32], seq[48];
    if (strcmp(kind, "disk_full") == 0) {
      cli_bytes_text(
          (uint64_t)json_integer_value(json_object_get(a, "free_bytes")), b1,
          sizeof b1);
      printf("  DISK FULL: %s free in %s\n", b1,
             json_string_value(json_object_get(o, "home")));
      continue;
    }
    cli_utc((int64_t)json_integer_value(json_object_get(a, "last")), t,
            sizeof t);
    snprintf(seq, sizeof seq, " at seq %lld",
             (long long)json_integer_value(json_object_get(a, "seq")));
    printf("  %s%s%s%s%s%s (last %s UTC)\n",
           strcmp(kind, "fork") == 0 ? "FORK" : kind,
           json_is_string(peer) ? " peer " : "",
           json_is_string(peer) ? json_string_value(peer) : "",
           json_is_string(origin) ? " origin " : "",
           json_is_string(origin) ? json_string_value(origin) : "",
           json_integer_value(json_object_get(a, "seq")) > 0 ? seq : "", t);
  }
}

int cli_status(cli_t *c, const char *idtext) {
  long long records = count(c, "SELECT count(*) FROM records WHERE deleted=0");
  long long entries = count(c, "SELECT count(*) FROM entries");
  json_t *o, *daemon = NULL, *live;
  struct statvfs vfs;
  int64_t disk_free = 0;
  int disk_known = statvfs(c->home, &vfs) == 0;
  char today[16];
  uint8_t token[AYIL_TOKEN_BYTES];
  int rc = EXIT_OK;
  if (disk_known)
    disk_free = (int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize;
  cli_day((int64_t)time(NULL), today);
  live = daemon_json(c, &daemon);
  o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "role", c->conf.role, "id", idtext,
                "name", c->conf.name, "oblast", c->conf.oblast, "home",
                c->home);
  if (strcmp(c->conf.role, "committee") == 0) {
    if (c->conf.hub_addr[0] != '\0')
      json_object_set_new(o, "hub",
                          json_pack("{s:s, s:s}", "address", c->conf.hub_addr,
                                    "id", c->conf.hub_id));
    else
      json_object_set_new(o, "hub", json_null());
    /* ayild empties the token once the hub admitted this node. */
    json_object_set_new(o, "enrollment_pending",
                        json_boolean(ayil_reg_token_get(c->store, token) == 0));
    sodium_memzero(token, sizeof token);
  }
  json_object_set_new(o, "daemon", daemon);
  json_object_set_new(o, "records", json_integer(records));
  json_object_set_new(o, "entries", json_integer(entries));
  json_object_set_new(o, "disk_free_bytes",
                      int_or_null(!disk_known, disk_free));
  json_object_set_new(o, "peers", peers_json(c, live, today));
  json_object_set_new(o, "alerts", alerts_json(c, disk_free, disk_known));
  if (c->json)
    rc = cli_print_json(o);
  else
    print_status_text(o);
  json_decref(live);
  json_decref(o);
  return rc;
}

/* ---- the hub side of ayil report ---- */

/*
 * The hub's report reads every live record (about a million on a big hub),
 * so it takes the short way: the devices and their committees are loaded
 * once into a sorted array, the records view is scanned in storage order
 * (the counts do not depend on the order), and each header is counted
 * straight from its msgpack bytes by ayil_report_add_packed(), with no
 * per-record allocation or JSON object.
 */
typedef struct {
  uint8_t id[AYIL_ID_BYTES];
  char *name;
  char *oblast;
} hub_dev_t;

static int dev_cmp(const void *a, const void *b) {
  return memcmp(((const hub_dev_t *)a)->id, ((const hub_dev_t *)b)->id,
                AYIL_ID_BYTES);
}

static void devs_free(hub_dev_t *d, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    free(d[i].name);
    free(d[i].oblast);
  }
  free(d);
}

/* Every device the hub registered, with its committee, sorted by id. */
static int devs_load(sqlite3 *db, hub_dev_t **out, size_t *nout) {
  sqlite3_stmt *s = NULL;
  hub_dev_t *d = NULL;
  size_t n = 0, cap = 0;
  int rc = 0, step;
  if (sqlite3_prepare_v2(db,
                         "SELECT d.id, c.name, c.oblast FROM devices d JOIN "
                         "committees c ON c.id = d.committee",
                         -1, &s, NULL) != SQLITE_OK)
    return AYIL_ESTORE;
  while ((step = sqlite3_step(s)) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(s, 1);
    const char *oblast = (const char *)sqlite3_column_text(s, 2);
    if (sqlite3_column_bytes(s, 0) != AYIL_ID_BYTES || name == NULL ||
        oblast == NULL)
      continue;
    if (n == cap) {
      size_t nc = cap != 0 ? cap * 2 : 64;
      hub_dev_t *nd = realloc(d, nc * sizeof *nd);
      if (nd == NULL) {
        rc = AYIL_ENOMEM;
        break;
      }
      d = nd;
      cap = nc;
    }
    memcpy(d[n].id, sqlite3_column_blob(s, 0), AYIL_ID_BYTES);
    d[n].name = strdup(name);
    d[n].oblast = strdup(oblast);
    n++;
    if (d[n - 1].name == NULL || d[n - 1].oblast == NULL) {
      rc = AYIL_ENOMEM;
      break;
    }
  }
  if (rc == 0 && step != SQLITE_DONE)
    rc = AYIL_ESTORE;
  sqlite3_finalize(s);
  if (rc != 0) {
    devs_free(d, n);
    return rc;
  }
  if (n > 1)
    qsort(d, n, sizeof *d, dev_cmp);
  *out = d;
  *nout = n;
  return 0;
}

int cli_report_hub(cli_t *c, struct ayil_report_s *r) {
  sqlite3 *db = ayil__store_db(c->store);
  sqlite3_stmt *s = NULL;
  hub_dev_t *devs = NULL, key;
  const hub_dev_t *last = NULL;
  size_t ndevs = 0;
  uint8_t self[AYIL_ID_BYTES];
  int has_self = 0, step;
  uint64_t unknown = 0, bad = 0;
  char *selftext = NULL;
  int rc;
  if (ayil_store_meta_get(c->store, "node_id", &selftext) == 0)
    has_self = ayil_id_from_text(selftext, self) == 0;
  free(selftext);
  /* Every registered committee appears, with zeros if it sent nothing. */
  if (sqlite3_prepare_v2(db, "SELECT name, oblast FROM committees", -1, &s,
                         NULL) != SQLITE_OK)
    return AYIL_ESTORE;
  rc = 0;
  while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(s, 0);
    const char *oblast = (const char *)sqlite3_column_text(s, 1);
    if (name == NULL || oblast == NULL)
      continue;
    rc = ayil_report_add_committee(r, name, oblast);
    if (rc == AYIL_EINVAL)
      rc = 0; /* a name the report refuses: its records fail alike */
  }
  sqlite3_finalize(s);
  s = NULL;
  if (rc != 0)
    return rc;
  rc = devs_load(db, &devs, &ndevs);
  if (rc != 0)
    return rc;
  if (sqlite3_prepare_v2(db,
                         "SELECT origin, header FROM records WHERE deleted=0",
                         -1, &s, NULL) != SQLITE_OK) {
    devs_free(devs, ndevs);
    return AYIL_ESTORE;
  }
  while ((step = sqlite3_step(s)) == SQLITE_ROW) {
    const uint8_t *origin = sqlite3_column_blob(s, 0);
    const uint8_t *hdr;
    int len;
    if (sqlite3_column_bytes(s, 0) != AYIL_ID_BYTES) {
      bad++;
      continue;
    }
    if (has_self && memcmp(origin, self, AYIL_ID_BYTES) == 0)
      continue; /* the hub's own log holds no records */
    if (last == NULL || memcmp(last->id, origin, AYIL_ID_BYTES) != 0) {
      memcpy(key.id, origin, AYIL_ID_BYTES);
      last =
          ndevs > 0 ? bsearch(&key, devs, ndevs, sizeof *devs, dev_cmp) : NULL;
    }
    if (last == NULL) {
      unknown++;
      continue;
    }
    hdr = sqlite3_column_blob(s, 1);
    len = sqlite3_column_bytes(s, 1);
    rc = ayil_report_add_packed(r, last->name, last->oblast, hdr, (size_t)len);
    if (rc == AYIL_EINVAL) {
      /* A header an indicator cannot read counts nowhere; the rest go on. */
      bad++;
      rc = 0;
    }
    if (rc != 0)
      break;
  }
  if (rc == 0 && step != SQLITE_DONE)
    rc = AYIL_ESTORE;
  sqlite3_finalize(s);
  devs_free(devs, ndevs);
  if (rc != 0)
    return rc;
  if (unknown > 0)
    fprintf(stderr,
            "ayil: report: skipped %llu records of nodes not registered at "
            "this hub\n",
            (unsigned long long)unknown);
  if (bad > 0)
    fprintf(stderr,
            "ayil: report: skipped %llu records whose header is malformed\n",
            (unsigned long long)bad);
  return 0;
}

/* The service API: status, alerts, what a node offers its peers, the data
 * of a report, and the store checks of doctor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <sodium.h>
#include <sqlite3.h>

#include "ayil/error.h"
#include "ayil/header.h"
#include "node_int.h"
#include "policy_view.h"
#include "registry.h"
#include "report.h"

static int store_fail(ayil_node_t *n, int sqlite_rc) {
  int rc = ayil__store_rc(sqlite_rc);
  if (rc == 0)
    rc = AYIL_ESTORE;
  return ayil__node_fail(n, rc, 0, "store: %s", ayil_strerror(rc));
}

static int prepare(ayil_node_t *n, const char *sql, sqlite3_stmt **s) {
  int rc = sqlite3_prepare_v2(ayil__store_db(n->store), sql, -1, s, NULL);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(*s);
    *s = NULL;
    return store_fail(n, rc);
  }
  return 0;
}

static int count(ayil_node_t *n, const char *sql, int64_t *out) {
  sqlite3_stmt *s = NULL;
  int rc = prepare(n, sql, &s);
  if (rc != 0)
    return rc;
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    *out = sqlite3_column_int64(s, 0);
    rc = 0;
  } else {
    rc = store_fail(n, rc);
  }
  sqlite3_finalize(s);
  return rc;
}

uint64_t ayil_node_unacked(ayil_store_t *st, const uint8_t *peer,
                           const uint8_t *origin, const uint64_t *live_acked,
                           const ayil_policy_view_t *v) {
  uint64_t head = 0, acked = 0, lack = 0;
  uint8_t hash[AYIL_HASH_BYTES];
  if (ayil_store_head(st, origin, &head, hash) != 0)
    return 0;
  if (live_acked != NULL)
    acked = *live_acked;
  else if (ayil_reg_peer_acked(st, peer, origin, &acked) != 0)
    acked = 0; /* not known: count every entry as outstanding */
  if (head <= acked)
    return 0;
  /* Sent sparse: only the entries for that peer count. */
  if (v != NULL &&
      ayil_node_sparse_next(st, v, origin, acked, head, NULL, &lack) == 0)
    return lack;
  return head - acked;
}

/*
 * What this node offers `peer` and the peer has not acknowledged: for every
 * log the replication policy (proto/policy.c) offers that peer -- the very
 * rows ayild names in its have -- the head here minus the peer's ack
 * (ayil_node_unacked(): of a log sent sparse, what is for the peer).
 * `committee` is kept for the callers; the policy reads it from the registry.
 */
int64_t ayil_node_unacked_out(ayil_node_t *n, const uint8_t *peer,
                              int64_t committee) {
  ayil_node_view_t nv;
  ayil_sync_origin_t rows[AYIL_POLICY_DEVICES_MAX + 2];
  uint8_t hub[AYIL_ID_BYTES];
  const uint8_t *hubp = NULL;
  size_t k, nrows = 0;
  int64_t total = 0;
  int is_hub;
  (void)committee;
  if (!n->ident_loaded)
    return 0;
  is_hub = !ayil_node_is_committee(n);
  if (!is_hub && n->conf.hub_id[0] != '\0' &&
      ayil_id_from_text(n->conf.hub_id, hub) == 0)
    hubp = hub; /* a hub finds the hub above in its store */
  if (ayil_node_view(&nv, n->store, is_hub, n->ident.pk, hubp, peer) != 0 ||
      ayil_policy_origins(&nv.v, rows, sizeof rows / sizeof rows[0], &nrows) !=
          0)
    return 0;
  if (nrows > sizeof rows / sizeof rows[0])
    nrows = sizeof rows / sizeof rows[0];
  for (k = 0; k < nrows; k++)
    if (rows[k].flags & AYIL_SYNC_OFFER)
      total +=
          (int64_t)ayil_node_unacked(n->store, peer, rows[k].id, NULL, &nv.v);
  return total;
}

/* The stored bookkeeping of one peer. */
static void peer_book(ayil_node_t *n, const char *today, ayil_node_peer_t *p) {
  sqlite3_stmt *s = NULL;
  int64_t lc = 0, la = 0;
  int has_lc = 0, has_la = 0;
  if (prepare(n,
              "SELECT last_contact, last_ack, skew_ms FROM peers WHERE id=?1",
              &s) == 0) {
    sqlite3_bind_blob(s, 1, p->id, AYIL_ID_BYTES, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
      has_lc = sqlite3_column_type(s, 0) != SQLITE_NULL;
      has_la = sqlite3_column_type(s, 1) != SQLITE_NULL;
      p->has_skew = sqlite3_column_type(s, 2) != SQLITE_NULL && has_lc;
      lc = sqlite3_column_int64(s, 0);
      la = sqlite3_column_int64(s, 1);
      p->skew_ms = sqlite3_column_int64(s, 2);
    }
    sqlite3_finalize(s);
  }
  p->has_last_contact = has_lc && lc > 0;
  p->last_contact = lc;
  p->has_last_ack = has_la && la > 0;
  p->last_ack = la;
  if (prepare(n, "SELECT sent, recv FROM peer_bytes WHERE peer=?1 AND day=?2",
              &s) == 0) {
    sqlite3_bind_blob(s, 1, p->id, AYIL_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, today, -1, SQLITE_STATIC);
    if (sqlite3_step(s) == SQLITE_ROW) {
      p->sent_today = sqlite3_column_int64(s, 0);
      p->recv_today = sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
  }
}

static int add_peer(ayil_node_t *n, ayil_node_status_t *st, size_t *cap,
                    const uint8_t *id, const char *name, const char *state,
                    int64_t committee, const char *today) {
  ayil_node_peer_t *p;
  if (ayil__node_grow((void **)&st->peers, cap, st->npeers,
                      sizeof *st->peers) != 0)
    return ayil__node_fail(n, AYIL_ENOMEM, 0, "out of memory");
  p = &st->peers[st->npeers++];
  memset(p, 0, sizeof *p);
  memcpy(p->id, id, AYIL_ID_BYTES);
  snprintf(p->name, sizeof p->name, "%s", name);
  snprintf(p->state, sizeof p->state, "%s", state);
  peer_book(n, today, p);
  /* A node that was revoked or replaced is offered nothing any more. */
  p->has_unacked_out = state[0] == '\0' || strcmp(state, AYIL_DEV_ACTIVE) == 0;
  if (p->has_unacked_out)
    p->unacked_out = ayil_node_unacked_out(n, id, committee);
  return 0;
}

static int status_peers(ayil_node_t *n, const char *today,
                        ayil_node_status_t *st) {
  sqlite3_stmt *s = NULL;
  size_t cap = 0;
  int rc = 0;
  if (ayil_node_is_committee(n)) {
    uint8_t hub[AYIL_ID_BYTES];
    if (n->conf.hub_id[0] != '\0' &&
        ayil_id_from_text(n->conf.hub_id, hub) == 0)
      rc = add_peer(n, st, &cap, hub, "hub", "", 0, today);
    return rc;
  }
  /* A regional hub: the hub above it first. */
  if (n->conf.hub_id[0] != '\0') {
    uint8_t up[AYIL_ID_BYTES];
    if (ayil_id_from_text(n->conf.hub_id, up) == 0)
      rc = add_peer(n, st, &cap, up, "hub above", "", 0, today);
    if (rc != 0)
      return rc;
  }
  /* The nodes that connect here: committees under a hub below do not. */
  if (prepare(n,
              "SELECT d.id, d.state, d.committee, c.name FROM devices d JOIN "
              "committees c ON c.id=d.committee WHERE c.parent IS NULL "
              "ORDER BY c.oblast, c.name, d.admitted",
              &s) != 0)
    return 0; /* a store without a registry shows no peers */
  while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
    const char *state = (const char *)sqlite3_column_text(s, 1);
    const char *name = (const char *)sqlite3_column_text(s, 3);
    if (sqlite3_column_bytes(s, 0) != AYIL_ID_BYTES)
      continue;
    rc = add_peer(n, st, &cap, sqlite3_column_blob(s, 0),
                  name != NULL ? name : "", state != NULL ? state : "?",
                  sqlite3_column_int64(s, 2), today);
  }
  sqlite3_finalize(s);
  return rc;
}

/* Appends the stored alerts (WHERE clause `where`, binding `id` as ?1 when
 * given) to *arr. */
static int stored_alerts(ayil_node_t *n, const char *sql, const uint8_t *id,
                         ayil_node_alert_t **arr, size_t *count, size_t *cap) {
  sqlite3_stmt *s = NULL;
  int rc = prepare(n, sql, &s), step;
  if (rc != 0)
    return rc;
  if (id != NULL)
    sqlite3_bind_blob(s, 1, id, AYIL_ID_BYTES, SQLITE_STATIC);
  while ((step = sqlite3_step(s)) == SQLITE_ROW) {
    const char *kind = (const char *)sqlite3_column_text(s, 0);
    ayil_node_alert_t *a;
    if (kind == NULL)
      continue;
    if (ayil__node_grow((void **)arr, cap, *count, sizeof **arr) != 0) {
      rc = ayil__node_fail(n, AYIL_ENOMEM, 0, "out of memory");
      break;
    }
    a = &(*arr)[(*count)++];
    memset(a, 0, sizeof *a);
    snprintf(a->kind, sizeof a->kind, "%s", kind);
    a->stored = 1;
    if (id != NULL) {
      a->has_peer = 1;
      memcpy(a->peer, id, AYIL_ID_BYTES);
    } else {
      a->has_peer = sqlite3_column_bytes(s, 1) == AYIL_ID_BYTES;
      a->has_origin = sqlite3_column_bytes(s, 2) == AYIL_ID_BYTES;
      if (a->has_peer)
        memcpy(a->peer, sqlite3_column_blob(s, 1), AYIL_ID_BYTES);
      if (a->has_origin)
        memcpy(a->origin, sqlite3_column_blob(s, 2), AYIL_ID_BYTES);
    }
    a->seq = sqlite3_column_int64(s, 3);
    a->first = sqlite3_column_int64(s, 4);
    a->last = sqlite3_column_int64(s, 5);
    a->has_record = sqlite3_column_bytes(s, 6) == AYIL_RECID_BYTES;
    if (a->has_record)
      memcpy(a->record, sqlite3_column_blob(s, 6), AYIL_RECID_BYTES);
  }
  if (rc == 0 && step != SQLITE_DONE)
    rc = store_fail(n, step);
  sqlite3_finalize(s);
  return rc;
}

#define ALERTS_SQL                                                             \
  "SELECT kind, peer, origin, seq, first, last, record FROM alerts "           \
  "WHERE cleared=0 "                                                           \
  "ORDER BY n"

int ayil_node_alerts(ayil_node_t *n, ayil_node_alert_t **out, size_t *count) {
  size_t cap = 0;
  int rc;
  *out = NULL;
  *count = 0;
  rc = stored_alerts(n, ALERTS_SQL, NULL, out, count, &cap);
  if (rc != 0) {
    free(*out);
    *out = NULL;
    *count = 0;
  }
  return rc;
}

int ayil__node_device_alerts(ayil_node_t *n, const uint8_t *id,
                             ayil_node_alert_t **arr, size_t *count,
                             size_t *cap) {
  return stored_alerts(
      n,
      "SELECT kind, NULL, NULL, seq, first, last, record FROM alerts "
      "WHERE cleared=0 AND (peer=?1 OR origin=?1) ORDER BY n",
      id, arr, count, cap);
}

int ayil_node_alerts_clear(ayil_node_t *n, const char *kind,
                           const uint8_t *peer, int *cleared) {
  int rc = ayil_reg_alert_clear(n->store, kind, peer, cleared);
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "alerts clear: store: %s",
                           ayil_strerror(rc));
  return 0;
}

int ayil_node_status(ayil_node_t *n, int64_t now, ayil_node_status_t *out) {
  struct statvfs vfs;
  char today[16];
  size_t cap = 0;
  int rc;
  memset(out, 0, sizeof *out);
  out->records = -1;
  out->entries = -1;
  /* A count the store cannot give shows as -1; status still shows the
   * rest, as it is most wanted when something is wrong. */
  if (count(n, "SELECT count(*) FROM records WHERE deleted=0", &out->records) !=
      0)
    out->records = -1;
  if (count(n, "SELECT count(*) FROM entries", &out->entries) != 0)
    out->entries = -1;
  out->disk_known = statvfs(n->home, &vfs) == 0;
  if (out->disk_known)
    out->disk_free = (int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize;
  if (ayil_node_is_committee(n)) {
    uint8_t token[AYIL_TOKEN_BYTES];
    /* ayild empties the token once the hub admitted this node. */
    out->enrollment_pending = ayil_reg_token_get(n->store, token) == 0;
    sodium_memzero(token, sizeof token);
  }
  ayil__node_day(now, today);
  rc = status_peers(n, today, out);
  if (rc == 0 && stored_alerts(n, ALERTS_SQL, NULL, &out->alerts, &out->nalerts,
                               &cap) != 0) {
    /* As above: the alerts table may be unreadable; show none. */
  }
  if (rc == 0 && out->disk_known &&
      out->disk_free < (int64_t)AYIL_NODE_DISK_LOW) {
    ayil_node_alert_t *a;
    if (ayil__node_grow((void **)&out->alerts, &cap, out->nalerts, sizeof *a) !=
        0) {
      rc = ayil__node_fail(n, AYIL_ENOMEM, 0, "out of memory");
    } else {
      a = &out->alerts[out->nalerts++];
      memset(a, 0, sizeof *a);
      snprintf(a->kind, sizeof a->kind, "disk_full");
      a->free_bytes = out->disk_free;
    }
  }
  if (rc != 0)
    ayil_node_status_free(out);
  return rc;
}

void ayil_node_status_free(ayil_node_status_t *s) {
  if (s == NULL)
    return;
  free(s->peers);
  free(s->alerts);
  memset(s, 0, sizeof *s);
}

/* ---- doctor ---- */

static int last_skew(ayil_store_t *st, int64_t *skew_ms) {
  sqlite3_stmt *s = NULL;
  int found = 0;
  if (sqlite3_prepare_v2(ayil__store_db(st),
                         "SELECT skew_ms FROM peers WHERE skew_ms IS NOT "
                         "NULL ORDER BY last_contact DESC LIMIT 1",
                         -1, &s, NULL) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW) {
    *skew_ms = sqlite3_column_int64(s, 0);
    found = 1;
  }
  sqlite3_finalize(s);
  return found;
}

static int last_contact(ayil_store_t *st, int64_t *last_ack,
                        int64_t *last_contact_out) {
  sqlite3_stmt *s = NULL;
  int found = 0;
  if (sqlite3_prepare_v2(ayil__store_db(st),
                         "SELECT max(last_ack), max(last_contact) FROM peers",
                         -1, &s, NULL) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW) {
    *last_ack = sqlite3_column_int64(s, 0);
    *last_contact_out = sqlite3_column_int64(s, 1);
    found = 1;
  }
  sqlite3_finalize(s);
  return found;
}

/* The standing refused_by_hub alert, if any. */
static void refused_alert(ayil_store_t *st, ayil_node_health_t *out) {
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v2(ayil__store_db(st),
                         "SELECT min(first), max(last) FROM alerts WHERE "
                         "kind='refused_by_hub' AND cleared=0",
                         -1, &s, NULL) == SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW &&
      sqlite3_column_type(s, 1) != SQLITE_NULL) {
    out->refused_by_hub = 1;
    out->refused_first = sqlite3_column_int64(s, 0);
    out->refused_last = sqlite3_column_int64(s, 1);
  }
  sqlite3_finalize(s);
}

/* What the hub's notices held here say of node `id`: a successor was
 * admitted for it (replaced), or it was revoked. */
static void own_state(ayil_store_t *st, const uint8_t *id,
                      ayil_node_health_t *out) {
  sqlite3_stmt *s = NULL;
  if (sqlite3_prepare_v2(
          ayil__store_db(st),
          "SELECT ifnull(max(pred=?1 OR (action=?3 AND node=?1)), 0), "
          "ifnull(max(action=?2 AND node=?1), 0) FROM notices "
          "WHERE node=?1 OR pred=?1",
          -1, &s, NULL) == SQLITE_OK) {
    sqlite3_bind_blob(s, 1, id, AYIL_ID_BYTES, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, AYIL_NOTICE_REVOKE);
    sqlite3_bind_int(s, 3, AYIL_NOTICE_REPLACE);
    if (sqlite3_step(s) == SQLITE_ROW) {
      if (sqlite3_column_int(s, 0))
        snprintf(out->own_state, sizeof out->own_state, "%s",
                 AYIL_DEV_REPLACED);
      else if (sqlite3_column_int(s, 1))
        snprintf(out->own_state, sizeof out->own_state, "%s", AYIL_DEV_REVOKED);
    }
  }
  sqlite3_finalize(s);
}

/* The newest timestamp of log `id`, in unix seconds, or 0. */
static int64_t own_newest(ayil_store_t *st, const uint8_t *id) {
  uint64_t seq = 0;
  uint8_t hash[AYIL_HASH_BYTES];
  uint8_t *bytes = NULL;
  size_t len = 0;
  ayil_entry_t e;
  int64_t ts = 0;
  if (ayil_store_head(st, id, &seq, hash) != 0 || seq == 0)
    return 0;
  if (ayil_store_entry(st, id, seq, &bytes, &len) == 0 &&
      ayil_entry_decode(&e, bytes, len) == 0)
    ts = (int64_t)(e.ts_ms / 1000);
  free(bytes);
  return ts;
}

void ayil_node_health(const char *home, const uint8_t *own_id, int quick,
                      ayil_node_health_t *out) {
  char path[AYIL_PATH_MAX];
  ayil_store_t *st = NULL;
  memset(out, 0, sizeof *out);
  out->open_rc = ayil_home_path(home, "ayil.db", path, sizeof path);
  if (out->open_rc == 0) {
    out->wal_damaged = ayil_store_wal_check(path) == AYIL_ECORRUPT;
    out->open_rc = ayil_store_open(&st, path, 0);
  }
  if (out->open_rc != 0)
    return;
  out->integrity_rc = ayil_store_integrity(st);
  if (out->integrity_rc == 0 && !quick) {
    out->verified = 1;
    out->verify_rc = ayil_store_verify(st, &out->v);
  }
  if (own_id != NULL) {
    out->own_newest_s = own_newest(st, own_id);
    own_state(st, own_id, out);
  }
  refused_alert(st, out);
  out->has_skew = last_skew(st, &out->skew_ms);
  out->has_contact = last_contact(st, &out->last_ack, &out->last_contact);
  ayil_store_close(st);
}

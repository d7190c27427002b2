/*
 * The records view folded from the logs, and the ownership rule it
 * applies: see store.h and include/ayil/policy.h (ayil_policy_change_ok()).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ayil/error.h"
#include "ayil/header.h"
#include "ayil/policy.h"
#include "store.h"
#include "registry.h"
#include "store_int.h"

/* Bound on a committee's lineage (a device and its predecessors). */
#define LINEAGE_MAX AYIL_POLICY_DEVICES_MAX

static int meta_id(ayil_store_t *st, const char *key, uint8_t id[AYIL_ID_BYTES],
                   int *has) {
  char *v = NULL;
  int rc = ayil_store_meta_get(st, key, &v);
  *has = 0;
  if (rc == AYIL_ENOTFOUND)
    return 0;
  if (rc != 0)
    return rc;
  *has = ayil_id_from_text(v, id) == 0;
  free(v);
  return 0;
}

int ayil__store_load_ids(ayil_store_t *st) {
  char *role = NULL;
  int rc = ayil_store_meta_get(st, "role", &role);
  st->role = 0;
  if (rc == 0) {
    if (strcmp(role, "hub") == 0)
      st->role = AYIL_POLICY_HUB;
    else if (strcmp(role, "committee") == 0)
      st->role = AYIL_POLICY_COMMITTEE;
    free(role);
  } else if (rc != AYIL_ENOTFOUND) {
    return rc;
  }
  rc = meta_id(st, "node_id", st->self, &st->has_self);
  if (rc == 0)
    rc = meta_id(st, "hub_id", st->hub, &st->has_hub);
  return rc;
}

int ayil_store_role(const ayil_store_t *st) {
  return st->role;
}

int ayil_store_is_hub_above(const ayil_store_t *st,
                            const uint8_t id[AYIL_ID_BYTES]) {
  return st->role == AYIL_POLICY_HUB && st->has_hub &&
         memcmp(st->hub, id, AYIL_ID_BYTES) == 0;
}

int ayil_store_set_hub(ayil_store_t *st, const uint8_t hub[AYIL_ID_BYTES]) {
  char text[AYIL_ID_TEXT];
  if (st->has_hub && memcmp(st->hub, hub, AYIL_ID_BYTES) == 0)
    return 0;
  ayil_id_to_text(hub, text);
  return ayil_store_meta_set(st, "hub_id", text);
}

/* The committee's lineage: `self` and the predecessors that the hub
 * confirmed in its notices (admit with successor_of), nearest first. */
static int lineage(ayil_store_t *st, uint8_t (*ids)[AYIL_ID_BYTES], size_t cap,
                   size_t *n) {
  sqlite3_stmt *s = NULL;
  int rc, step;
  *n = 0;
  if (!st->has_self || !st->has_hub)
    return 0;
  rc = ayil__store_stmt(
      st,
      "WITH RECURSIVE l(id, depth) AS (SELECT ?1, 0 UNION "
      "SELECT n.pred, l.depth + 1 FROM notices n JOIN l ON n.node = l.id "
      "WHERE n.origin = ?2 AND n.action = 0 AND n.pred IS NOT NULL AND "
      "l.depth < ?3) SELECT id FROM l GROUP BY id ORDER BY min(depth)",
      &s);
  if (rc != 0)
    return rc;
  sqlite3_bind_blob(s, 1, st->self, AYIL_ID_BYTES, SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, st->hub, AYIL_ID_BYTES, SQLITE_STATIC);
  sqlite3_bind_int(s, 3, LINEAGE_MAX);
  while ((step = sqlite3_step(s)) == SQLITE_ROW) {
    if (sqlite3_column_bytes(s, 0) != AYIL_ID_BYTES)
      continue;
    if (*n < cap)
      memcpy(ids[*n], sqlite3_column_blob(s, 0), AYIL_ID_BYTES);
    (*n)++;
  }
  sqlite3_reset(s);
  return step == SQLITE_DONE ? 0 : ayil__store_rc(step);
}

int ayil_store_lineage(ayil_store_t *st, uint8_t (*ids)[AYIL_ID_BYTES],
                       size_t cap, size_t *n) {
  uint8_t all[LINEAGE_MAX + 1][AYIL_ID_BYTES];
  size_t k = 0, i;
  int rc = lineage(st, all, LINEAGE_MAX + 1, &k);
  *n = 0;
  if (rc != 0)
    return rc;
  if (k > LINEAGE_MAX + 1)
    k = LINEAGE_MAX + 1;
  /* Oldest first, without this node itself (the nearest, first). */
  for (i = k; i > 1; i--) {
    if (*n < cap)
      memcpy(ids[*n], all[i - 1], AYIL_ID_BYTES);
    (*n)++;
  }
  return 0;
}

int ayil_store_in_lineage(ayil_store_t *st, const uint8_t id[AYIL_ID_BYTES]) {
  uint8_t all[LINEAGE_MAX + 1][AYIL_ID_BYTES];
  size_t k = 0, i;
  if (lineage(st, all, LINEAGE_MAX + 1, &k) != 0)
    return 0;
  for (i = 0; i < k && i < LINEAGE_MAX + 1; i++)
    if (memcmp(all[i], id, AYIL_ID_BYTES) == 0)
      return 1;
  return 0;
}

int ayil_store_kin(ayil_store_t *st, const uint8_t a[AYIL_ID_BYTES],
                   const uint8_t b[AYIL_ID_BYTES]) {
  sqlite3_stmt *s = NULL;
  int kin;
  if (memcmp(a, b, AYIL_ID_BYTES) == 0)
    return 1;
  if (st->role == AYIL_POLICY_COMMITTEE)
    return ayil_store_in_lineage(st, a) && ayil_store_in_lineage(st, b);
  if (st->role != AYIL_POLICY_HUB)
    return 0;
  /* A hub: one committee in its registry. */
  if (ayil__store_stmt(st,
                       "SELECT 1 FROM devices a JOIN devices b ON "
                       "a.committee = b.committee WHERE a.id=?1 AND b.id=?2",
                       &s) != 0)
    return 0;
  sqlite3_bind_blob(s, 1, a, AYIL_ID_BYTES, SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, b, AYIL_ID_BYTES, SQLITE_STATIC);
  kin = sqlite3_step(s) == SQLITE_ROW;
  sqlite3_reset(s);
  return kin;
}

static int kin_cb(void *ctx, const uint8_t a[AYIL_ID_BYTES],
                  const uint8_t b[AYIL_ID_BYTES]) {
  return ayil_store_kin(ctx, a, b);
}

int ayil__store_is_hub_cb(void *ctx, const uint8_t id[AYIL_ID_BYTES]) {
  return ayil_reg_is_hub(ctx, id);
}

/* This node's ownership view (no peer: the rule does not depend on one). */
static void own_view(ayil_store_t *st, ayil_policy_view_t *v) {
  memset(v, 0, sizeof *v);
  v->role = st->has_self ? st->role : 0;
  v->self = st->self;
  v->peer = st->self;
  v->hub = st->has_hub ? st->hub : NULL;
  if (v->role == AYIL_POLICY_COMMITTEE && v->hub == NULL)
    v->role = 0; /* not enrolled yet: no hub, no lineage */
  v->kin = kin_cb;
  if (v->role == AYIL_POLICY_HUB)
    v->is_hub = ayil__store_is_hub_cb; /* the hubs above and below */
  v->ctx = st;
}

int ayil_store_change_ok(ayil_store_t *st, const uint8_t *owner,
                         const uint8_t origin[AYIL_ID_BYTES], uint32_t op) {
  ayil_policy_view_t v;
  own_view(st, &v);
  return ayil_policy_change_ok(&v, owner, origin, op);
}

/* Whether this node may hold `origin`'s log with gaps: a committee takes
 * its hub's notice log sparse (proto/policy.c, ayil_policy_sparse()). */
int ayil__store_sparse(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES]) {
  ayil_policy_view_t v;
  own_view(st, &v);
  return ayil_policy_sparse(&v, origin);
}

/* Purges the stored bodies of `record` but `keep` (NULL: all). A hub
 * keeps them sealed in quarantine first (ayil_store_rollback_after()). */
static int purge_bodies(ayil_store_t *st, const uint8_t *record,
                        const uint8_t *keep) {
  int rc = 0;
  if (st->role == AYIL_POLICY_HUB)
    rc = ayil__store_run(
        st,
        "INSERT OR IGNORE INTO quarantine(hash, record, sealed, purged) "
        "SELECT hash, ?1, sealed, ?3 FROM body_rows WHERE rec=(SELECT "
        "created_n FROM record_rows WHERE id=?1) AND (?2 IS NULL OR hash != "
        "?2)",
        "bbi", record, (size_t)AYIL_RECID_BYTES, keep, (size_t)AYIL_HASH_BYTES,
        (sqlite3_int64)time(NULL));
  if (rc == 0)
    rc = ayil__store_run(st,
                         "DELETE FROM body_rows WHERE rec=(SELECT created_n "
                         "FROM record_rows WHERE id=?1) AND "
                         "(?2 IS NULL OR hash != ?2)",
                         "bb", record, (size_t)AYIL_RECID_BYTES, keep,
                         (size_t)AYIL_HASH_BYTES);
  if (rc == 0 && sqlite3_changes(st->db) > 0)
    st->purged = 1;
  return rc;
}

int ayil_store_quarantine_expire(ayil_store_t *st, int64_t before, int *n) {
  int rc = ayil__store_run(st, "DELETE FROM quarantine WHERE purged < ?1", "i",
                           (sqlite3_int64)before);
  if (n != NULL)
    *n = rc == 0 ? sqlite3_changes(st->db) : 0;
  if (rc == 0 && sqlite3_changes(st->db) > 0)
    ayil__store_exec(st, "PRAGMA wal_checkpoint(TRUNCATE)");
  return rc;
}

int ayil_store_rollback_after(ayil_store_t *st,
                              const uint8_t origin[AYIL_ID_BYTES],
                              uint64_t after, uint64_t *removed) {
  int own = !st->in_tx;
  int rc;
  *removed = 0;
  if (own) {
    rc = ayil_store_begin(st);
    if (rc != 0)
      return rc;
  }
  rc = ayil__store_run(st,
                       "DELETE FROM log_entries WHERE log=(SELECT id FROM "
                       "logs WHERE origin=?1) AND seq > ?2",
                       "bi", origin, (size_t)AYIL_ID_BYTES,
                       (sqlite3_int64)after);
  if (rc == 0)
    *removed = (uint64_t)sqlite3_changes(st->db);
  if (rc == 0 && *removed > 0)
    rc = ayil_store_reindex(st);
  /* What the rolled-back entries purged, where the record lives again. */
  if (rc == 0 && *removed > 0)
    rc = ayil__store_exec(
        st, "INSERT OR IGNORE INTO body_rows(rec, hash, sealed) "
            "SELECT r.created_n, q.hash, q.sealed FROM quarantine q JOIN "
            "records r ON r.body_hash = q.hash WHERE r.deleted = 0;"
            "DELETE FROM quarantine WHERE EXISTS (SELECT 1 FROM records r "
            "JOIN body_rows b ON b.rec = r.created_n AND b.hash = "
            "r.body_hash WHERE r.body_hash = quarantine.hash AND "
            "r.deleted = 0);");
  if (own) {
    if (rc == 0)
      rc = ayil_store_commit(st);
    else
      ayil_store_rollback(st);
  }
  return rc;
}

/* A notice of the hub's log: the committee's lineage comes from these. */
static int fold_notice(ayil_store_t *st, const ayil_entry_t *e,
                       sqlite3_int64 n) {
  ayil_notice_t nt;
  int rc;
  if (e->header == NULL)
    return AYIL_EFORMAT;
  rc = ayil_hdr_notice(e->header, e->header_len, &nt);
  if (rc != 0)
    return rc;
  if (nt.has_successor_of)
    ayil__store_policy_changed(st); /* a committee's lineage grew */
  /* A hub of the tier below admitted or stopped a committee's device. */
  if (st->role == AYIL_POLICY_HUB && st->has_self &&
      memcmp(e->origin, st->self, AYIL_ID_BYTES) != 0) {
    rc = ayil_reg_directory(st, e->origin, nt.action, nt.node,
                            nt.has_successor_of ? nt.successor_of : NULL,
                            (int64_t)(e->ts_ms / 1000));
    if (rc != 0)
      return rc;
  }
  return ayil__store_run(
      st,
      "INSERT INTO notices(n, origin, action, node, pred) "
      "VALUES(?1, ?2, ?3, ?4, ?5)",
      "ibibb", n, e->origin, (size_t)AYIL_ID_BYTES, (sqlite3_int64)nt.action,
      nt.node, (size_t)AYIL_ID_BYTES,
      nt.has_successor_of ? nt.successor_of : NULL, (size_t)AYIL_ID_BYTES);
}

/* Folds one entry into the records view. Header fields `kind` and `month`
 * are copied into columns so that lists need no decoding; the header itself
 * stays in the entry that last changed the record (`hn`, its arrival
 * number: schema step 12). */
int ayil__store_fold(ayil_store_t *st, const ayil_entry_t *e, sqlite3_int64 n) {
  sqlite3_stmt *q = st->st_state;
  uint8_t owner[AYIL_ID_BYTES];
  int have, deleted = 0, has_owner = 0;
  int rc;
  /* Only whether the record exists, is deleted, and who owns it. */
  sqlite3_bind_blob(q, 1, e->record, AYIL_RECID_BYTES, SQLITE_STATIC);
  rc = sqlite3_step(q);
  have = rc == SQLITE_ROW;
  if (have) {
    deleted = sqlite3_column_int(q, 0);
    if (sqlite3_column_bytes(q, 1) == AYIL_ID_BYTES) {
      memcpy(owner, sqlite3_column_blob(q, 1), AYIL_ID_BYTES);
      has_owner = 1;
    }
  }
  sqlite3_reset(q);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return ayil__store_rc(rc);
  /* Ownership first: a refused entry changes nothing and is not stored. */
  rc = ayil_store_change_ok(st, have && has_owner ? owner : NULL, e->origin,
                            e->op);
  if (rc != 0)
    return rc;
  if (e->op == AYIL_OP_NOTICE)
    return fold_notice(st, e, n);
  if (have && deleted)
    return 0; /* deletion is final; later puts to the id are ignored */
  if (e->op == AYIL_OP_DELETE) {
    if (!have)
      return 0;
    rc = ayil__store_run(st,
                         "UPDATE record_rows SET hn=?1, body_hash=NULL, "
                         "deleted=1 WHERE id=?2",
                         "ib", n, e->record, (size_t)AYIL_RECID_BYTES);
    if (rc == 0)
      rc = purge_bodies(st, e->record, NULL);
    return rc;
  }
  if (e->op != AYIL_OP_PUT)
    return 0;
  {
    /* The fold reads two strings of the header: its kind and month. */
    const char *kp, *mp;
    size_t kn, mn;
    char kind[65], month[65];
    if (e->header == NULL ||
        ayil_hdr_kind_month(e->header, e->header_len, &kp, &kn, &mp, &mn) !=
            0 ||
        kn >= sizeof(kind) || mn >= sizeof(month))
      return AYIL_EFORMAT;
    memcpy(kind, kp, kn);
    kind[kn] = '\0';
    if (mp != NULL) {
      memcpy(month, mp, mn);
      month[mn] = '\0';
    }
    if (have) {
      rc = ayil__store_run(
          st,
          "UPDATE record_rows SET kind=?1, month=?2, hn=?3, body_hash=?4 "
          "WHERE id=?5",
          "ttibb", kind, mp != NULL ? month : NULL, n,
          e->has_body ? e->body_hash : NULL, (size_t)AYIL_HASH_BYTES, e->record,
          (size_t)AYIL_RECID_BYTES);
      /* An update that replaced the identifying fields supersedes the old
       * body: it is purged here as a delete would purge it, and this put
       * is its proof (PROTOCOL.md, "Purge proofs"). */
      if (rc == 0)
        rc = purge_bodies(st, e->record, e->has_body ? e->body_hash : NULL);
    } else
      rc = ayil__store_run(
          st,
          "INSERT INTO record_rows(id, created_n, kind, month, hn, "
          "body_hash, owner) VALUES(?1, ?2, ?3, ?4, ?2, ?5, (SELECT id FROM "
          "logs WHERE origin=?6))",
          "bittbb", e->record, (size_t)AYIL_RECID_BYTES, n, kind,
          mp != NULL ? month : NULL, e->has_body ? e->body_hash : NULL,
          (size_t)AYIL_HASH_BYTES, e->origin, (size_t)AYIL_ID_BYTES);
  }
  return rc;
}

int ayil_store_reindex(ayil_store_t *st) {
  sqlite3_stmt *s = NULL;
  int rc;
  int own = !st->in_tx;
  if (own) {
    rc = ayil_store_begin(st);
    if (rc != 0)
      return rc;
  }
  /* Bodies are kept under their record's created_n (the records rowid,
   * schema step 8): remember each record's, and move the bodies of any
   * record whose creating entry changed (a rollback removed it). */
  rc = ayil__store_exec(
      st, "CREATE TEMP TABLE IF NOT EXISTS reindex_map(old INTEGER PRIMARY "
          "KEY, id BLOB NOT NULL); DELETE FROM temp.reindex_map; INSERT INTO "
          "temp.reindex_map(old, id) SELECT created_n, id FROM records;");
  if (rc == 0)
    rc = ayil__store_exec(st, "DELETE FROM record_rows; DELETE FROM notices");
  if (rc == 0)
    rc = ayil__store_rc(sqlite3_prepare_v2(
        st->db,
        "SELECT e.n, l.origin, e.seq, " AYIL__STORE_PACKED_COLS
        " FROM log_entries e JOIN logs l ON l.id = e.log ORDER BY e.n",
        -1, &s, NULL));
  while (rc == 0) {
    ayil_entry_t e;
    uint8_t bytes[AYIL_ENTRY_MAX];
    size_t len = 0;
    int step = sqlite3_step(s);
    if (step == SQLITE_DONE)
      break;
    if (step != SQLITE_ROW) {
      rc = ayil__store_rc(step);
      break;
    }
    if (sqlite3_column_bytes(s, 1) != AYIL_ID_BYTES) {
      rc = AYIL_ECORRUPT;
      break;
    }
    rc = ayil__store_unpack(s, 3, sqlite3_column_blob(s, 1),
                            (uint64_t)sqlite3_column_int64(s, 2), bytes, &len);
    if (rc == 0)
      rc = ayil_entry_decode(&e, bytes, len);
    if (rc == 0)
      rc = ayil__store_fold(st, &e, sqlite3_column_int64(s, 0));
    /* An entry stored before the ownership rule, by a node that did not
     * own the record: the log keeps it, the view ignores it. */
    if (rc == AYIL_EOWNER)
      rc = 0;
  }
  sqlite3_finalize(s);
  if (rc == 0)
    rc = ayil__store_exec(
        st,
        "UPDATE body_rows SET rec = (SELECT r.created_n FROM temp.reindex_map "
        "m JOIN records r ON r.id = m.id WHERE m.old = body_rows.rec), "
        "record = (SELECT m.id FROM temp.reindex_map m WHERE m.old = "
        "body_rows.rec AND NOT EXISTS (SELECT 1 FROM records r WHERE r.id = "
        "m.id)) WHERE rec IN (SELECT m.old FROM temp.reindex_map m WHERE NOT "
        "EXISTS (SELECT 1 FROM records r WHERE r.created_n = m.old AND r.id = "
        "m.id)); DELETE FROM temp.reindex_map;");
  if (own) {
    if (rc == 0)
      rc = ayil_store_commit(st);
    else
      ayil_store_rollback(st);
  }
  return rc;
}

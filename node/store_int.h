/*
 * Inside the store: shared by store.c (logs, bodies, migrations) and
 * store_view.c (the records view folded from the logs, ownership, the
 * committee's lineage). Not for other modules.
 */
#ifndef AYIL_STORE_INT_H
#define AYIL_STORE_INT_H

#include <sqlite3.h>

#include "ayil/policy.h"
#include "store.h"

struct ayil_store_s {
  sqlite3 *db;
  int in_tx;
  sqlite3_stmt *st_head;
  sqlite3_stmt *st_get;
  sqlite3_stmt *st_ins;
  sqlite3_stmt *st_state;
  /* Statements of other node/ modules, prepared once (ayil__store_stmt). */
  const char *cache_sql[AYIL__STORE_CACHE];
  sqlite3_stmt *cache[AYIL__STORE_CACHE];
  /* Who this node is, from meta (role, node_id, hub_id): the ownership
   * rule's view (ayil_policy_change_ok()). role 0: not yet known. */
  int role;
  uint8_t self[AYIL_ID_BYTES], hub[AYIL_ID_BYTES];
  int has_self, has_hub;
  /* Why the last append was refused, when a rule can say more than its
   * error code (ayil_store_why()); never a value from the entry. */
  char why[192];
  int purged; /* the last fold purged a body (checkpoint the WAL) */
  /* ayil_store_policy_gen(): bumped by ayil__store_policy_changed() and
   * when PRAGMA data_version moves (another connection wrote). */
  uint64_t policy_gen;
  sqlite3_int64 data_version;
};

int ayil__store_exec(ayil_store_t *st, const char *sql);
/* The policy view's is_hub() on a hub: ayil_reg_is_hub(ctx). */
int ayil__store_is_hub_cb(void *ctx, const uint8_t id[AYIL_ID_BYTES]);
/* Whether this node holds `origin`'s log sparse, with gaps (store_view.c). */
int ayil__store_sparse(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES]);
/* A one-shot statement with parameters described by a format string:
 * 'b' blob + size_t length, 'i' sqlite3_int64, 't' text, 'n' null. */
int ayil__store_run(ayil_store_t *st, const char *sql, const char *fmt, ...);
/* Folds one appended entry (arrival number n) into the records view.
 * AYIL_EOWNER: its origin may not change that record (nothing changed). */
int ayil__store_fold(ayil_store_t *st, const ayil_entry_t *e, sqlite3_int64 n);
/* In a SELECT over log_entries e: the stored form and, beside it, the
 * hash its rebuild takes as prev: the one kept with it, else the held
 * predecessor's (NULL when neither). */
#define AYIL__STORE_PACKED_COLS                                                \
  "e.packed, ifnull(e.prev, (SELECT p.hash FROM log_entries p WHERE p.log = "  \
  "e.log AND p.seq = e.seq - 1))"
/* The canonical bytes of the entry at (origin, seq) whose stored form is
 * column `col` of `s` and its predecessor's hash column col + 1 (the two
 * of AYIL__STORE_PACKED_COLS), into out (AYIL_ENTRY_MAX bytes).
 * AYIL_ECORRUPT if they cannot be rebuilt. Not verified. */
int ayil__store_unpack(sqlite3_stmt *s, int col,
                       const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                       uint8_t *out, size_t *len);
/* Reads role, node_id and hub_id from meta into st. */
int ayil__store_load_ids(ayil_store_t *st);

#endif

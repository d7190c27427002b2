/*
 * The node's store: SQLite in WAL mode holding the signed logs (entries),
 * the sealed bodies, and the records view folded from the logs.
 *
 * Durability: journal_mode=WAL with synchronous=FULL, so every committed
 * transaction is fsynced to the WAL before commit returns. An entry is
 * acknowledged (to a user or a peer) only after its commit returned, so an
 * acknowledged entry survives a power cut. secure_delete=ON makes purged
 * bodies unrecoverable from free pages; purges also checkpoint the WAL.
 *
 * One ayil_store_t per thread; it is not thread-safe.
 */
#ifndef AYIL_STORE_H
#define AYIL_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ayil/entry.h"
#include "ayil/policy.h"

typedef struct ayil_store_s ayil_store_t;

#define AYIL_STORE_CREATE 1

/* The write-ahead log's file is cut back to this size whenever SQLite
 * starts it over after a checkpoint: a hub's burst of commits does not leave
 * a WAL of that burst's size on the disk for good (every open checks the
 * whole WAL, ayil_store_wal_check()). */
#define AYIL_STORE_WAL_LIMIT (8 * 1024 * 1024)

/* Opens (and with AYIL_STORE_CREATE creates) the store at `path`, running
 * schema migrations. *out is set only on success. */
int ayil_store_open(ayil_store_t **out, const char *path, int flags);
/* SQLite's quick_check: 0, or AYIL_ECORRUPT when a page is damaged.
 * ayil_store_open() runs it once on every existing store and refuses one
 * that fails it. */
int ayil_store_quick_check(ayil_store_t *st);

/*
 * Body repair. ayil_store_lacking(): the first entry of `origin` after
 * `after` that puts its record's current body while this store holds no
 * sound copy of it (missing, or not hashing to its hash): *seq, or 0. Cheap
 * when there is nothing to repair: it looks only while a body_damaged or
 * body_missing alert stands for that log.
 * ayil_store_repair_body(): stores `body` for entry (origin, seq) when it
 * hashes to the entry's body hash (else AYIL_EDAMAGED) and is still its
 * record's current body (a purged body never comes back: 0, nothing
 * stored); clears the log's body alerts when nothing is left to repair.
 */
int ayil_store_lacking(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                       uint64_t after, uint64_t *seq);
int ayil_store_repair_body(ayil_store_t *st,
                           const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                           const uint8_t *body, size_t len);
/* Closes; NULL is a no-op. */
void ayil_store_close(ayil_store_t *st);

int ayil_store_begin(ayil_store_t *st);
int ayil_store_commit(ayil_store_t *st);
void ayil_store_rollback(ayil_store_t *st);

/*
 * A number that changes whenever a replication policy view (policy_view.h)
 * of this store may have gained an origin: a successor bound to its
 * committee, a predecessor learnt from the hub's notice, an alert cleared,
 * or anything written through another connection (PRAGMA data_version). A
 * view computed at one number still lists every origin it would list now,
 * or more, while the number stays the same; losing one (a revocation, a
 * fork) does not change it. ayild caches each connection's origins on it.
 */
uint64_t ayil_store_policy_gen(ayil_store_t *st);
/* The page cache of this connection to the store, in KiB (SQLite's
 * default is 2,000 KiB). */
int ayil_store_cache_kib(ayil_store_t *st, int kib);
/* For registry.c and store_view.c: such a change happened. */
void ayil__store_policy_changed(ayil_store_t *st);

/* Last seq and hash of `origin`'s log; seq 0 and zero hash if none. */
int ayil_store_head(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                    uint64_t *seq, uint8_t hash[AYIL_HASH_BYTES]);

/*
 * Verifies and appends one encoded entry (and its sealed body, which may be
 * NULL when absent or purged) and folds it into the records view. The entry
 * must verify and follow the origin's head; an entry already held
 * byte-identical returns 0 (idempotent); a different one at a held position
 * returns AYIL_EFORK. A put's header is checked against the schema
 * (ayil_hdr_check(): unknown or identifying keys, wrong types, unknown
 * codes are AYIL_EFORMAT, an unknown code-list version AYIL_EVERSION; see
 * ayil_store_why()). An entry whose origin may not change its record
 * (ayil_store_change_ok()) is refused with AYIL_EOWNER and not stored.
 * Runs inside the caller's transaction if one is open, else in its own.
 */
int ayil_store_append(ayil_store_t *st, const uint8_t *bytes, size_t len,
                      const uint8_t *body, size_t bodylen);
/* Why the last append or local write failed, in words, when the rule that
 * refused it can name more than its error code (the header field at
 * fault, by its RECORDS.md name; never a value): "" otherwise. */
const char *ayil_store_why(const ayil_store_t *st);

/*
 * Like ayil_store_append() for an entry the caller has decoded and verified
 * already: `e` must be that entry, as ayil_sync's deliver() hands it over,
 * and `bytes` its canonical encoding. The store checks they are one (by
 * encoding `e`, no decode) and does not verify the signature again: on the
 * receive path each entry is decoded once and verified once.
 *
 * `body` NULL for an entry with a body hash: the peer sent it with its body
 * marked unavailable (PROTOCOL.md, "Sync", unavailable bodies). The entry is
 * stored without the body and a `body_missing` alert names it; the body
 * can come later, in full (ayil_store_repair_body()).
 */
/* Like ayil_store_append() for an entry that came with its body marked
 * unavailable (a bundle item with neither body nor proof): decoded and
 * verified here, stored without its body, with a `body_missing` alert. */
int ayil_store_append_unavailable(ayil_store_t *st, const uint8_t *bytes,
                                  size_t len);
int ayil_store_append_verified(ayil_store_t *st, const ayil_entry_t *e,
                               const uint8_t *bytes, size_t len,
                               const uint8_t *body, size_t bodylen);
/* Like ayil_store_append_verified() for an entry that came with its body
 * held (PROTOCOL.md, "Sync", held bodies): its body is the one stored under
 * its body hash for its record; if there is none, it is stored as
 * unavailable (a `body_missing` alert, then body repair). */
int ayil_store_append_held(ayil_store_t *st, const ayil_entry_t *e,
                           const uint8_t *bytes, size_t len);

/*
 * Like ayil_store_append() for an entry whose body was purged: `proof`, the
 * signed DELETE of its record, must hold under the replication policy for
 * the peer that sent it (ayil_policy_purge_ok(); `v` is that peer's view).
 * Without a valid proof nothing is stored and the policy's error returns;
 * ayil_store_append() refuses an entry with a body hash and no body
 * (AYIL_EPEER) unless it is already held.
 */
int ayil_store_append_purged(ayil_store_t *st, const ayil_policy_view_t *v,
                             const uint8_t *bytes, size_t len,
                             const uint8_t *proof, size_t proof_len);
/* The same for an entry the sync receiver already decoded and verified
 * (`e`, NULL: decode and verify here): the entry is not verified again. */
int ayil_store_append_purged_verified(ayil_store_t *st,
                                      const ayil_policy_view_t *v,
                                      const ayil_entry_t *e,
                                      const uint8_t *bytes, size_t len,
                                      const uint8_t *proof, size_t proof_len);

/*
 * Builds, signs and appends the next entry of the local log in one
 * transaction. `header` is the canonical msgpack header (NULL for a delete),
 * `sealed` the sealed body (NULL to keep no body), or `reuse_body_hash` to
 * point at a body already stored. Writes the new seq to *seq_out if given.
 */
int ayil_store_write_local(ayil_store_t *st, const uint8_t origin_sk[64],
                           uint32_t op, const uint8_t record[AYIL_RECID_BYTES],
                           const uint8_t *header, size_t header_len,
                           const uint8_t *sealed, size_t sealed_len,
                           const uint8_t *reuse_body_hash, uint64_t *seq_out);

/* The ts (ms) of the newest entry of `origin`'s log. AYIL_ENOTFOUND if
 * it holds none. */
int ayil_store_head_ts(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                       uint64_t *ts_ms);
/* Encoded entry (origin, seq), malloc'd. AYIL_ENOTFOUND if absent. */
int ayil_store_entry(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                     uint64_t seq, uint8_t **bytes, size_t *len);
/* Sealed body of `record` by hash, malloc'd. AYIL_ENOTFOUND if absent or
 * purged; AYIL_EDAMAGED if its bytes do not match the hash. */
int ayil_store_body(ayil_store_t *st, const uint8_t record[AYIL_RECID_BYTES],
                    const uint8_t hash[AYIL_HASH_BYTES], uint8_t **sealed,
                    size_t *len);

/*
 * What a peer needs to receive entry (origin, seq): the entry, its sealed
 * body, or -- when the body was purged -- the signed delete entry of the
 * record as proof. All three malloc'd (body and proof may be NULL).
 * AYIL_ECORRUPT if a body is missing without a delete to explain it.
 */
int ayil_store_item(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                    uint64_t seq, uint8_t **entry, size_t *entry_len,
                    uint8_t **body, size_t *body_len, uint8_t **proof,
                    size_t *proof_len);
/* ayil_store_item(), and *held: 1 when the body was stored first with an
 * earlier entry (lower seq) of the same log and record, so a peer that holds
 * the log up to this entry holds the body (one lookup, no scan). With
 * `held_ok` (the entry goes out in the held form if it is held), a held
 * body is not read: *body stays NULL. */
/* Earlier entries of the same log that a back-reference may name
 * (PROTOCOL.md, "Sync", Records): one of the same record (the one that
 * brought a held body, else the one that created the record) and, for a
 * held body, the one that brought it; 0: none. */
typedef struct {
  uint64_t record, body;
} ayil_store_refs_t;
int ayil_store_item_held(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                         uint64_t seq, uint8_t **entry, size_t *entry_len,
                         uint8_t **body, size_t *body_len, uint8_t **proof,
                         size_t *proof_len, int *held, int held_ok,
                         ayil_store_refs_t *refs);
/* The record id and body hash of the stored entry (origin, seq), for the
 * receiver of a back-reference; *has_body 0 when its body hash is nil.
 * AYIL_ENOTFOUND if this store does not hold it. */
int ayil_store_entry_refs(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                          uint64_t seq, uint8_t record[AYIL_RECID_BYTES],
                          uint8_t body_hash[AYIL_HASH_BYTES], int *has_body);

/* Converts an SQLite result code to an AYIL_E* code (0 for OK, ROW, DONE). */
int ayil__store_rc(int sqlite_rc);

/* Small key/value settings kept in the store (text values). */
int ayil_store_meta_get(ayil_store_t *st, const char *key, char **value);
int ayil_store_meta_set(ayil_store_t *st, const char *key, const char *value);

/* A row of the records view. Buffers are malloc'd; free with
 * ayil_store_row_clear. */
typedef struct {
  uint8_t id[AYIL_RECID_BYTES];
  uint8_t origin[AYIL_ID_BYTES];
  uint64_t seq;
  char kind[32];
  char month[8];
  uint8_t *header;
  size_t header_len;
  int has_body;
  uint8_t body_hash[AYIL_HASH_BYTES];
  int deleted;
} ayil_store_row_t;

void ayil_store_row_clear(ayil_store_row_t *row);
int ayil_store_record(ayil_store_t *st, const uint8_t id[AYIL_RECID_BYTES],
                      ayil_store_row_t *row);
typedef int (*ayil_store_row_cb)(void *ctx, const ayil_store_row_t *row);
/* Calls cb for each live record (optionally of one kind) in creation order;
 * a non-zero return from cb stops and is returned. */
int ayil_store_records(ayil_store_t *st, const char *kind, ayil_store_row_cb cb,
                       void *ctx);

/* A held body that does not hash to its entry's body hash. */
typedef struct {
  uint8_t origin[AYIL_ID_BYTES];
  uint64_t seq;
  uint8_t record[AYIL_RECID_BYTES];
} ayil_store_damage_t;
#define AYIL_STORE_DAMAGE_MAX 16

/* Result of a verification: the first bad entry, and the damaged bodies
 * (all counted, the first AYIL_STORE_DAMAGE_MAX named). */
typedef struct {
  int bad;
  uint8_t origin[AYIL_ID_BYTES];
  uint64_t seq;
  int err;
  uint64_t entries_checked;
  uint64_t origins_checked;
  uint64_t bodies_checked;
  uint64_t bodies_damaged;
  size_t ndamage;
  ayil_store_damage_t damage[AYIL_STORE_DAMAGE_MAX];
} ayil_store_verify_t;
/* Checks every chain, signature and body hash. Returns 0 when it ran (look
 * at out->bad), or an error if it could not read the store. */
int ayil_store_verify(ayil_store_t *st, ayil_store_verify_t *out);
/*
 * Ownership (include/ayil/policy.h, ayil_policy_change_ok()), as this node
 * sees it: meta "role", "node_id" and, on a committee, "hub_id" say who it
 * is (a store with none of them lets only a record's owner change it).
 * Every append and local write is checked here, whoever calls.
 */
int ayil_store_change_ok(ayil_store_t *st, const uint8_t *owner,
                         const uint8_t origin[AYIL_ID_BYTES], uint32_t op);
/* Committee: records its hub's id (meta "hub_id") if it is not that yet.
 * A hub of a regional tier: the id of the hub above it (its notices count
 * here; PROTOCOL.md, "National tier"). */
int ayil_store_set_hub(ayil_store_t *st, const uint8_t hub[AYIL_ID_BYTES]);
/* The store's role (AYIL_POLICY_HUB, AYIL_POLICY_COMMITTEE) or 0. */
int ayil_store_role(const ayil_store_t *st);
/* Hub: whether `id` is the hub above this one (meta "hub_id"). */
int ayil_store_is_hub_above(const ayil_store_t *st,
                            const uint8_t id[AYIL_ID_BYTES]);
/* Whether a and b are one committee's devices: on a hub, its registry; on a
 * committee, both in its lineage. */
int ayil_store_kin(ayil_store_t *st, const uint8_t a[AYIL_ID_BYTES],
                   const uint8_t b[AYIL_ID_BYTES]);
/* Committee: the predecessors of this node that the hub confirmed in
 * signed notices (admit with successor_of), oldest first; up to cap, *n
 * set to how many there are. */
int ayil_store_lineage(ayil_store_t *st, uint8_t (*ids)[AYIL_ID_BYTES],
                       size_t cap, size_t *n);
/* Whether `id` is this node or one of its confirmed predecessors (on a
 * regional hub: the hubs it replaced, as the hub above's notices say). */
int ayil_store_in_lineage(ayil_store_t *st, const uint8_t id[AYIL_ID_BYTES]);
/* Hub: purged bodies stay sealed in quarantine this many days by default. */
#define AYIL_QUARANTINE_DAYS 30
/* Hub: erases the quarantined bodies purged before `before` (unix
 * seconds); *n (if given) how many. */
int ayil_store_quarantine_expire(ayil_store_t *st, int64_t before, int *n);
/*
 * Hub: rolls back what `origin` signed after `after`: its entries past it
 * leave the log, the view is folded again without them, and bodies they
 * purged come back from quarantine where the records live again. In the
 * caller's transaction if one is open. *removed: entries removed.
 */
int ayil_store_rollback_after(ayil_store_t *st,
                              const uint8_t origin[AYIL_ID_BYTES],
                              uint64_t after, uint64_t *removed);
/* Drops and rebuilds the records view from the logs, in arrival order
 * (an entry that breaks the ownership rule stays in its log, unfolded). */
int ayil_store_reindex(ayil_store_t *st);
/* Runs PRAGMA integrity_check; 0 when "ok". */
int ayil_store_integrity(ayil_store_t *st);

/* The raw handle, for modules of node/ that keep their own tables
 * (peers, nodes). Not for the CLI. */
struct sqlite3 *ayil__store_db(ayil_store_t *st);

/* ---- the audit of opened bodies (node/audit.c) ---- */

/* One row per opened body (record NULL: an action on no one record). Rows
 * added between begin and commit share one transaction (a search opens
 * every body: one fsync, not thousands). */
int ayil_store_audit_begin(ayil_store_t *st);
int ayil_store_audit_add(ayil_store_t *st, int64_t at, const char *member,
                         const char *addr, const char *action,
                         const uint8_t *record);
int ayil_store_audit_commit(ayil_store_t *st);
void ayil_store_audit_rollback(ayil_store_t *st);
/* The newest `limit` rows, newest first: cb(ctx, at, member, addr, action,
 * record or NULL); a non-zero return stops and is returned. */
typedef int (*ayil_store_audit_cb)(void *ctx, int64_t at, const char *member,
                                   const char *addr, const char *action,
                                   const uint8_t *record);
int ayil_store_audit_list(ayil_store_t *st, size_t limit,
                          ayil_store_audit_cb cb, void *ctx);

/* How many statements ayil__store_stmt keeps. */
#define AYIL__STORE_CACHE 64
/*
 * A statement for `sql` (a string constant: it is kept by address),
 * prepared once per store and kept until the store closes; reset and with
 * its bindings cleared. The caller resets it when done so that it holds no
 * read transaction. Not for the CLI.
 */
struct sqlite3_stmt;
int ayil__store_stmt(ayil_store_t *st, const char *sql,
                     struct sqlite3_stmt **out);

/* store_wal.c: AYIL_ECORRUPT when replaying db_path's write-ahead log would
 * silently drop committed frames (a damaged frame or header in front of
 * sound ones); 0 when it is sound, absent, or only torn at its end.
 * ayil_store_open() runs it first. */
int ayil_store_wal_check(const char *db_path);
/* The same over the log's bytes (the fuzzer's door); db_path is read only
 * to tell frames a checkpoint already copied. */
int ayil_store_wal_bytes(const uint8_t *wal, size_t len, const char *db_path);

#endif

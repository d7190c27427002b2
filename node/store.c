/*
 * The SQLite store. See store.h for the durability contract.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "ayil/error.h"
#include "ayil/header.h"
#include "ayil/policy.h"
#include "registry.h"
#include "record.h"
#include "store.h"
#include "store_int.h"

/* Schema migrations, applied in order and keyed on PRAGMA user_version.
 * Never edit a released step: add one. */
static const char *const MIGRATIONS[] = {
    /* 1: logs, bodies, records view, settings. `n` is arrival order, so the
     * view can be rebuilt exactly as it was folded. */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE entries(n INTEGER PRIMARY KEY, origin BLOB NOT NULL,"
    " seq INTEGER NOT NULL, hash BLOB NOT NULL, bytes BLOB NOT NULL,"
    " UNIQUE(origin, seq));"
    "CREATE TABLE bodies(hash BLOB PRIMARY KEY, record BLOB NOT NULL,"
    " sealed BLOB NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX bodies_record ON bodies(record);"
    "CREATE TABLE records(id BLOB PRIMARY KEY, origin BLOB NOT NULL,"
    " seq INTEGER NOT NULL, created_n INTEGER NOT NULL, kind TEXT,"
    " month TEXT, header BLOB, body_hash BLOB,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX records_kind ON records(kind, created_n);",
    /* 2: sync. The hub's registry of committees, devices and invites
     * (tokens kept only as hashes); on every node, what each peer has
     * acknowledged, contact times, bytes per day, and alerts. */
    "CREATE TABLE committees(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
    " oblast TEXT NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE devices(id BLOB PRIMARY KEY, committee INTEGER NOT NULL"
    " REFERENCES committees(id), state TEXT NOT NULL, admitted INTEGER,"
    " revoked INTEGER, revoked_after INTEGER) WITHOUT ROWID;"
    "CREATE TABLE invites(token_hash BLOB PRIMARY KEY, committee INTEGER NOT"
    " NULL REFERENCES committees(id), successor_of BLOB, expires INTEGER NOT"
    " NULL, used_by BLOB, created INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE peers(id BLOB PRIMARY KEY, last_contact INTEGER,"
    " last_ack INTEGER, skew_ms INTEGER) WITHOUT ROWID;"
    "CREATE TABLE peer_acks(peer BLOB NOT NULL, origin BLOB NOT NULL,"
    " seq INTEGER NOT NULL, PRIMARY KEY(peer, origin)) WITHOUT ROWID;"
    "CREATE TABLE peer_bytes(peer BLOB NOT NULL, day TEXT NOT NULL,"
    " sent INTEGER NOT NULL DEFAULT 0, recv INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(peer, day)) WITHOUT ROWID;"
    "CREATE TABLE alerts(n INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
    " peer BLOB, origin BLOB, seq INTEGER, first INTEGER NOT NULL,"
    " last INTEGER NOT NULL, cleared INTEGER NOT NULL DEFAULT 0);"
    "CREATE UNIQUE INDEX alerts_once ON alerts(kind, ifnull(peer, x''),"
    " ifnull(origin, x'')) WHERE cleared = 0;",
    /* 3: ownership. A record's owner is the origin of its first put; the
     * hub's notices (the committee's lineage) are folded into `notices`;
     * an alert may name a record. The view is folded again after this
     * step (ayil_store_open()). */
    "ALTER TABLE records ADD COLUMN owner BLOB;"
    "CREATE TABLE notices(n INTEGER PRIMARY KEY, origin BLOB NOT NULL,"
    " action INTEGER NOT NULL, node BLOB NOT NULL, pred BLOB);"
    "CREATE INDEX notices_node ON notices(node);"
    "ALTER TABLE alerts ADD COLUMN record BLOB;",
    /* 4: enrolment needs the operator's confirmation: the nodes that
     * presented a valid invite, and codes confirmed ahead of them. */
    "CREATE TABLE candidates(token_hash BLOB NOT NULL, node BLOB NOT NULL,"
    " first INTEGER NOT NULL, PRIMARY KEY(token_hash, node)) WITHOUT ROWID;"
    "CREATE TABLE confirmations(code INTEGER PRIMARY KEY,"
    " expires INTEGER NOT NULL);",
    /* 5: a hub keeps purged bodies, sealed as they were, in quarantine for
     * some days (a stolen key's deletes can be rolled back); a device
     * records what a rollback undid. */
    "CREATE TABLE quarantine(hash BLOB PRIMARY KEY, record BLOB NOT NULL,"
    " sealed BLOB NOT NULL, purged INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX quarantine_record ON quarantine(record);"
    "ALTER TABLE devices ADD COLUMN rolled_back INTEGER NOT NULL DEFAULT 0;",
    /* 6: deletes taken in per origin and UTC day of receipt, for the
     * delete_burst alert (ayil_reg_count_delete()): per connection, a
     * thief would only have to spread them. */
    "CREATE TABLE delete_days(origin BLOB NOT NULL, day INTEGER NOT NULL,"
    " n INTEGER NOT NULL, PRIMARY KEY(origin, day)) WITHOUT ROWID;",
    /* 7: the audit of opened bodies (ayil_node_audit()): local to the Pi,
     * never an entry, never replicated. */
    "CREATE TABLE audit(n INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
    " member TEXT NOT NULL, addr TEXT NOT NULL, action TEXT NOT NULL,"
    " record BLOB);",
    /* 8 (wire): the first log position (origin, seq) that carried each
     * body, so that a sender knows without a scan that a peer holding the
     * log up to an entry holds its body (PROTOCOL.md, "Sync", held bodies).
     * NULL for bodies stored before: they are sent inline, as before. */
    "ALTER TABLE bodies ADD COLUMN origin BLOB;"
    "ALTER TABLE bodies ADD COLUMN seq INTEGER;",
    /* 9: keys that keep locality as the store grows (issue 16). Random
     * keys (origins, record ids, body hashes) put every insert on a random
     * page of a growing index: each entry dirtied 4-5 such pages, written
     * whole to the WAL at each commit, and read back from disk once the
     * store outgrew the cache. Now:
     * - a log's 32-byte origin is kept once, in `logs`; its entries name it
     *   by a small integer, so the (log, seq) index holds 3 integers a row
     *   and a log's entries sit together in it;
     * - a record's arrival number (created_n, the n of the entry that made
     *   it) is its rowid: deterministic, so that folding the view again
     *   gives every record the same one. Its random 16-byte id is in one
     *   index only;
     * - sealed bodies are kept in arrival order (an integer rowid: the
     *   largest table only grows at its end) and found by (their record's
     *   created_n, hash): new records' bodies go at the end of that index
     *   too. No index holds a body's hash alone (a body is always read for
     *   a record: ayil_store_body()). `record` is kept only for a body
     *   whose record the view does not hold (an entry the view ignores).
     * `entries` and `bodies` stay, as views with the columns they had, for
     * tools and tests that read them; the store itself reads and writes
     * the tables. `records` keeps its columns. Converted in place, in this
     * one transaction: a failure leaves version 7 as it was. */
    "CREATE TABLE logs(id INTEGER PRIMARY KEY, origin BLOB NOT NULL UNIQUE);"
    "INSERT INTO logs(origin) SELECT origin FROM entries GROUP BY origin"
    " ORDER BY min(n);"
    "CREATE TABLE log_entries(n INTEGER PRIMARY KEY, log INTEGER NOT NULL"
    " REFERENCES logs(id), seq INTEGER NOT NULL, hash BLOB NOT NULL,"
    " bytes BLOB NOT NULL, UNIQUE(log, seq));"
    "INSERT INTO log_entries(n, log, seq, hash, bytes) SELECT e.n, l.id,"
    " e.seq, e.hash, e.bytes FROM entries e JOIN logs l ON l.origin ="
    " e.origin ORDER BY e.n;"
    "DROP TABLE entries;"
    "CREATE VIEW entries(n, origin, seq, hash, bytes) AS SELECT e.n,"
    " l.origin, e.seq, e.hash, e.bytes FROM log_entries e JOIN logs l ON"
    " l.id = e.log;"
    "CREATE TRIGGER entries_insert INSTEAD OF INSERT ON entries BEGIN"
    " INSERT OR IGNORE INTO logs(origin) VALUES(NEW.origin);"
    " INSERT INTO log_entries(n, log, seq, hash, bytes) SELECT NEW.n, id,"
    " NEW.seq, NEW.hash, NEW.bytes FROM logs WHERE origin = NEW.origin; END;"
    "CREATE TRIGGER entries_update INSTEAD OF UPDATE ON entries BEGIN"
    " UPDATE log_entries SET seq = NEW.seq, hash = NEW.hash, bytes ="
    " NEW.bytes WHERE n = OLD.n; END;"
    "CREATE TRIGGER entries_delete INSTEAD OF DELETE ON entries BEGIN"
    " DELETE FROM log_entries WHERE n = OLD.n; END;"
    "CREATE TABLE records_v8(id BLOB NOT NULL UNIQUE, origin BLOB NOT NULL,"
    " seq INTEGER NOT NULL, created_n INTEGER PRIMARY KEY, kind TEXT,"
    " month TEXT, header BLOB, body_hash BLOB,"
    " deleted INTEGER NOT NULL DEFAULT 0, owner BLOB);"
    "INSERT INTO records_v8(id, origin, seq, created_n, kind, month, header,"
    " body_hash, deleted, owner) SELECT id, origin, seq, created_n, kind,"
    " month, header, body_hash, deleted, owner FROM records"
    " ORDER BY created_n;"
    "DROP INDEX records_kind;"
    "DROP TABLE records;"
    "ALTER TABLE records_v8 RENAME TO records;"
    "CREATE INDEX records_kind ON records(kind, created_n);"
    "CREATE TABLE body_rows(n INTEGER PRIMARY KEY, rec INTEGER,"
    " hash BLOB NOT NULL, sealed BLOB NOT NULL, record BLOB, log INTEGER,"
    " seq INTEGER);"
    "INSERT INTO body_rows(rec, hash, sealed, record, log, seq) SELECT"
    " r.created_n, b.hash, b.sealed, CASE WHEN r.created_n IS NULL THEN"
    " b.record END, l.id, b.seq FROM bodies b LEFT JOIN records r ON r.id ="
    " b.record LEFT JOIN logs l ON l.origin = b.origin"
    " ORDER BY r.created_n, b.hash;"
    "DROP INDEX bodies_record;"
    "DROP TABLE bodies;"
    "CREATE UNIQUE INDEX body_rows_rec ON body_rows(rec, hash);"
    "CREATE VIEW bodies(hash, record, sealed, origin, seq) AS SELECT b.hash,"
    " ifnull(r.id, b.record), b.sealed, l.origin, b.seq FROM body_rows b"
    " LEFT JOIN records r ON r.created_n = b.rec LEFT JOIN logs l"
    " ON l.id = b.log;"
    "CREATE TRIGGER bodies_insert INSTEAD OF INSERT ON bodies BEGIN"
    " INSERT INTO body_rows(rec, hash, sealed, record, log, seq) SELECT"
    " r.created_n, NEW.hash, NEW.sealed, CASE WHEN r.created_n IS NULL THEN"
    " NEW.record END, (SELECT id FROM logs WHERE origin = NEW.origin),"
    " NEW.seq FROM (SELECT 1) LEFT JOIN records r ON r.id = NEW.record; END;"
    "CREATE TRIGGER bodies_update INSTEAD OF UPDATE ON bodies BEGIN"
    " UPDATE body_rows SET hash = NEW.hash, sealed = NEW.sealed"
    " WHERE hash = OLD.hash; END;"
    "CREATE TRIGGER bodies_delete INSTEAD OF DELETE ON bodies BEGIN"
    " DELETE FROM body_rows WHERE hash = OLD.hash; END;",
    /* 10: the national tier (issue 12). A registry row is a committee or a
     * hub of the tier below (kind); on a national hub, a committee that a
     * regional hub admitted is learnt from that hub's signed notices and
     * names it as its parent (registry.c, ayil_reg_directory()). A peer's
     * acknowledgement of an origin keeps when it last grew (`at`): when a
     * log's entries reached this hub, for `ayil nodes`, ... */
    "ALTER TABLE committees ADD COLUMN kind TEXT NOT NULL DEFAULT"
    " 'committee';"
    "ALTER TABLE committees ADD COLUMN parent INTEGER;"
    "CREATE INDEX committees_parent ON committees(parent);"
    "ALTER TABLE peer_acks ADD COLUMN at INTEGER;"
    /* (by origin: ayil_reg_arrival() and `ayil nodes` ask per log) */
    "CREATE INDEX peer_acks_origin ON peer_acks(origin);"
    /* ... and, on a national hub, when a log's entries reached the hub
     * below that forwards it, as that hub says (ARRIVED messages). */
    "CREATE TABLE arrivals(origin BLOB PRIMARY KEY, via BLOB NOT NULL,"
    " seq INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;",
    /* 11: entries kept packed (issue 16; PROTOCOL.md, "Entries at rest"):
     * without the version, origin, seq and prev that their place in the
     * log gives, the header compact. `prev` is kept only where the entry
     * before is not held (a gap of a sparse log). pack_entries() (below)
     * fills the new table from the old one, in this step's transaction. */
    "CREATE TABLE log_packed(n INTEGER PRIMARY KEY, log INTEGER NOT NULL"
    " REFERENCES logs(id), seq INTEGER NOT NULL, hash BLOB NOT NULL,"
    " prev BLOB, packed BLOB NOT NULL, UNIQUE(log, seq));",
    /* 12: the records view keeps nothing its entries hold (issue 16). A
     * record's header, origin and seq are those of the entry that last
     * changed it: `hn`, that entry's arrival number, replaces the copy of
     * the header and the 32-byte origin; its owner is a log's small id.
     * `records` stays, as a view with the columns it had and `entry` (the
     * stored form of that entry, whose header is the record's), for the
     * readers; the store writes `record_rows`. A record whose entry the
     * store no longer holds keeps a NULL hn and reads as damaged until
     * `ayil reindex`. Converted in this one transaction. */
    "INSERT OR IGNORE INTO logs(origin) SELECT owner FROM records WHERE"
    " owner IS NOT NULL;"
    "CREATE TABLE record_rows(created_n INTEGER PRIMARY KEY, id BLOB NOT"
    " NULL UNIQUE, kind TEXT, month TEXT, hn INTEGER, body_hash BLOB,"
    " deleted INTEGER NOT NULL DEFAULT 0, owner INTEGER REFERENCES"
    " logs(id));"
    "INSERT INTO record_rows(created_n, id, kind, month, hn, body_hash,"
    " deleted, owner) SELECT r.created_n, r.id, r.kind, r.month, (SELECT e.n"
    " FROM log_entries e JOIN logs l ON l.id = e.log WHERE l.origin ="
    " r.origin AND e.seq = r.seq), r.body_hash, r.deleted, (SELECT id FROM"
    " logs WHERE origin = r.owner) FROM records r ORDER BY r.created_n;"
    "DROP TABLE records;"
    "CREATE INDEX record_rows_kind ON record_rows(kind, created_n);"
    "CREATE VIEW records(id, origin, seq, created_n, kind, month, hn,"
    " body_hash, deleted, owner, entry) AS SELECT r.id, l.origin, e.seq,"
    " r.created_n, r.kind, r.month, r.hn, r.body_hash, r.deleted, o.origin,"
    " e.packed FROM record_rows r LEFT JOIN log_entries e ON e.n = r.hn"
    " LEFT JOIN logs l ON l.id = e.log LEFT JOIN logs o ON o.id = r.owner;",
};
#define NMIGRATIONS (sizeof MIGRATIONS / sizeof MIGRATIONS[0])

int ayil__store_rc(int rc) {
  switch (rc & 0xff) {
  case SQLITE_OK:
  case SQLITE_DONE:
  case SQLITE_ROW:
    return 0;
  case SQLITE_FULL:
    return AYIL_EFULL;
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
    return AYIL_ECORRUPT;
  case SQLITE_CANTOPEN:
  case SQLITE_PERM:
  case SQLITE_READONLY:
  case SQLITE_AUTH:
    return AYIL_EPERM;
  case SQLITE_NOMEM:
    return AYIL_ENOMEM;
  case SQLITE_CONSTRAINT:
    return AYIL_EEXISTS;
  case SQLITE_IOERR:
    return AYIL_EIO;
  default:
    return AYIL_ESTORE;
  }
}

int ayil__store_exec(ayil_store_t *st, const char *sql) {
  return ayil__store_rc(sqlite3_exec(st->db, sql, NULL, NULL, NULL));
}

/* The bytes to keep for entry `e` (its canonical encoding `bytes`): its
 * packed form, when that rebuilds to exactly `bytes`, else `bytes` as they
 * are. Never a form that would not read back. */
static int pack_for_store(const ayil_entry_t *e, const uint8_t *bytes,
                          size_t len, uint8_t *out, size_t *olen) {
  uint8_t again[AYIL_ENTRY_MAX];
  size_t alen = 0;
  if (ayil_entry_pack(e, out, AYIL_ENTRY_MAX, olen) == 0 &&
      ayil_entry_unpack(out, *olen, e->origin, e->seq, e->prev, again,
                        sizeof again, &alen) == 0 &&
      alen == len && memcmp(again, bytes, len) == 0)
    return 0;
  if (len > AYIL_ENTRY_MAX)
    return AYIL_ETOOBIG;
  memcpy(out, bytes, len);
  *olen = len;
  return 0;
}

/* Schema step 11: every entry of log_entries packed into log_packed, which
 * then takes its name. An entry that does not decode (damaged on disk) is
 * kept as it was: `ayil log verify` names it as before. */
static int pack_entries(ayil_store_t *st) {
  static const uint8_t zero[AYIL_HASH_BYTES];
  sqlite3_stmt *s = NULL, *ins = NULL;
  int rc = ayil__store_rc(sqlite3_prepare_v2(
      st->db,
      "SELECT e.n, e.log, e.seq, e.hash, e.bytes, l.origin, (SELECT p.hash "
      "FROM log_entries p WHERE p.log = e.log AND p.seq = e.seq - 1) FROM "
      "log_entries e JOIN logs l ON l.id = e.log ORDER BY e.n",
      -1, &s, NULL));
  if (rc == 0)
    rc = ayil__store_rc(sqlite3_prepare_v2(
        st->db,
        "INSERT INTO log_packed(n, log, seq, hash, prev, packed) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
        -1, &ins, NULL));
  while (rc == 0) {
    uint8_t out[AYIL_ENTRY_MAX];
    size_t olen = 0, len;
    const uint8_t *bytes, *keep, *prev = NULL;
    ayil_entry_t e;
    int step = sqlite3_step(s);
    if (step == SQLITE_DONE)
      break;
    if (step != SQLITE_ROW) {
      rc = ayil__store_rc(step);
      break;
    }
    /* Kept as it is, canonical bytes or not, unless it packs. */
    keep = bytes = sqlite3_column_blob(s, 4);
    olen = len = (size_t)sqlite3_column_bytes(s, 4);
    if (len <= AYIL_ENTRY_MAX && ayil_entry_decode(&e, bytes, len) == 0 &&
        sqlite3_column_bytes(s, 5) == AYIL_ID_BYTES &&
        memcmp(e.origin, sqlite3_column_blob(s, 5), AYIL_ID_BYTES) == 0 &&
        e.seq == (uint64_t)sqlite3_column_int64(s, 2)) {
      const uint8_t *held = sqlite3_column_bytes(s, 6) == AYIL_HASH_BYTES
                                ? sqlite3_column_blob(s, 6)
                            : e.seq == 1 ? zero
                                         : NULL;
      rc = pack_for_store(&e, bytes, len, out, &olen);
      keep = out;
      if (held == NULL || memcmp(held, e.prev, AYIL_HASH_BYTES) != 0)
        prev = e.prev;
    }
    if (rc != 0)
      break;
    sqlite3_bind_int64(ins, 1, sqlite3_column_int64(s, 0));
    sqlite3_bind_int64(ins, 2, sqlite3_column_int64(s, 1));
    sqlite3_bind_int64(ins, 3, sqlite3_column_int64(s, 2));
    sqlite3_bind_value(ins, 4, sqlite3_column_value(s, 3));
    if (prev != NULL)
      sqlite3_bind_blob(ins, 5, prev, AYIL_HASH_BYTES, SQLITE_TRANSIENT);
    else
      sqlite3_bind_null(ins, 5);
    sqlite3_bind_blob(ins, 6, keep, (int)olen, SQLITE_TRANSIENT);
    step = sqlite3_step(ins);
    sqlite3_reset(ins);
    sqlite3_clear_bindings(ins);
    if (step != SQLITE_DONE)
      rc = ayil__store_rc(step);
  }
  sqlite3_finalize(s);
  sqlite3_finalize(ins);
  if (rc == 0)
    rc = ayil__store_exec(
        st,
        "DROP VIEW entries;"
        "DROP TABLE log_entries;"
        "ALTER TABLE log_packed RENAME TO log_entries;"
        /* For tools and tests: `packed` is the stored form; the canonical
         * bytes are rebuilt by the store (ayil_store_entry()). */
        "CREATE VIEW entries(n, origin, seq, hash, prev, packed) AS SELECT"
        " e.n, l.origin, e.seq, e.hash, e.prev, e.packed FROM log_entries e"
        " JOIN logs l ON l.id = e.log;"
        "CREATE TRIGGER entries_insert INSTEAD OF INSERT ON entries BEGIN"
        " INSERT OR IGNORE INTO logs(origin) VALUES(NEW.origin);"
        " INSERT INTO log_entries(n, log, seq, hash, prev, packed) SELECT"
        " NEW.n, id, NEW.seq, NEW.hash, NEW.prev, NEW.packed FROM logs WHERE"
        " origin = NEW.origin; END;"
        "CREATE TRIGGER entries_update INSTEAD OF UPDATE ON entries BEGIN"
        " UPDATE log_entries SET seq = NEW.seq, hash = NEW.hash, prev ="
        " NEW.prev, packed = NEW.packed WHERE n = OLD.n; END;"
        "CREATE TRIGGER entries_delete INSTEAD OF DELETE ON entries BEGIN"
        " DELETE FROM log_entries WHERE n = OLD.n; END;");
  return rc;
}

/* The steps that need more than SQL: run after MIGRATIONS[i], in its
 * transaction. */
static int migrate_code(ayil_store_t *st, int step) {
  return step == 10 ? pack_entries(st) : 0;
}

/* *from: the version the store had (0: new). */
static int migrate(ayil_store_t *st, int *from) {
  sqlite3_stmt *s = NULL;
  int version = 0;
  int rc = ayil__store_rc(
      sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL));
  if (rc != 0)
    return rc;
  if (sqlite3_step(s) == SQLITE_ROW)
    version = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  *from = version;
  if (version > (int)NMIGRATIONS)
    return AYIL_EVERSION; /* a store from a newer ayil */
  while (version < (int)NMIGRATIONS) {
    char pragma[64];
    rc = ayil__store_exec(st, "BEGIN IMMEDIATE");
    if (rc != 0)
      return rc;
    rc = ayil__store_exec(st, MIGRATIONS[version]);
    if (rc == 0)
      rc = migrate_code(st, version);
    snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", version + 1);
    if (rc == 0)
      rc = ayil__store_exec(st, pragma);
    if (rc == 0)
      rc = ayil__store_exec(st, "COMMIT");
    if (rc != 0) {
      ayil__store_exec(st, "ROLLBACK");
      return rc;
    }
    version++;
  }
  return 0;
}

static int prepare(ayil_store_t *st, sqlite3_stmt **s, const char *sql) {
  return ayil__store_rc(
      sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, s, NULL));
}

int ayil_store_open(ayil_store_t **out, const char *path, int flags) {
  ayil_store_t *st = calloc(1, sizeof *st);
  int oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  int rc, from = 0;
  if (st == NULL)
    return AYIL_ENOMEM;
  if (flags & AYIL_STORE_CREATE)
    oflags |= SQLITE_OPEN_CREATE;
  /* Before SQLite replays the write-ahead log, which would drop committed
   * frames behind a damaged one without a word (store_wal.c). */
  rc = flags & AYIL_STORE_CREATE ? 0 : ayil_store_wal_check(path);
  if (rc != 0) {
    free(st);
    return rc;
  }
  rc = ayil__store_rc(sqlite3_open_v2(path, &st->db, oflags, NULL));
  if (rc == AYIL_EPERM && !(flags & AYIL_STORE_CREATE))
    rc = AYIL_ENOTFOUND;
  if (rc != 0)
    goto fail;
  sqlite3_extended_result_codes(st->db, 1);
  sqlite3_busy_timeout(st->db, 10000);
  rc = ayil__store_exec(st, "PRAGMA journal_mode=WAL");
  if (rc == 0) {
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA journal_size_limit=%d",
             AYIL_STORE_WAL_LIMIT);
    rc = ayil__store_exec(st, sql);
  }
  if (rc == 0)
    rc = ayil__store_exec(st, "PRAGMA synchronous=FULL");
  if (rc == 0)
    rc = ayil__store_exec(st, "PRAGMA secure_delete=ON");
  if (rc == 0)
    rc = ayil__store_exec(st, "PRAGMA foreign_keys=ON");
  /* Once per open, before anything is written: a store whose pages are
   * damaged (a flipped bit on the SD card) is refused by every command,
   * so that nothing is built on it. quick_check reads every page and
   * checks its structure, not the indexes' contents: what one open can
   * afford on a Pi (doctor runs the full integrity_check). */
  if (rc == 0 && !(flags & AYIL_STORE_CREATE))
    rc = ayil_store_quick_check(st);
  if (rc == 0)
    rc = migrate(st, &from);
  if (rc == 0)
    rc = prepare(st, &st->st_head,
                 "SELECT seq, hash FROM log_entries WHERE log=(SELECT id "
                 "FROM logs WHERE origin=?1) ORDER BY seq DESC LIMIT 1");
  if (rc == 0)
    rc = prepare(st, &st->st_get,
                 "SELECT " AYIL__STORE_PACKED_COLS " FROM log_entries e "
                 "WHERE e.log=(SELECT id FROM logs WHERE origin=?1) AND "
                 "e.seq=?2");
  if (rc == 0)
    rc = prepare(st, &st->st_state,
                 "SELECT r.deleted, o.origin FROM record_rows r LEFT JOIN "
                 "logs o ON o.id = r.owner WHERE r.id=?1");
  if (rc == 0)
    rc = prepare(st, &st->st_ins,
                 "INSERT INTO log_entries(log, seq, hash, prev, packed) "
                 "VALUES((SELECT id FROM logs WHERE origin=?1), ?2, ?3, ?4, "
                 "?5)");
  if (rc == 0)
    rc = ayil__store_load_ids(st);
  /* Owners and the lineage are new in version 3: fold the view again. */
  if (rc == 0 && from > 0 && from < 3)
    rc = ayil_store_reindex(st);
  if (rc != 0)
    goto fail;
  *out = st;
  return 0;
fail:
  ayil_store_close(st);
  return rc;
}

void ayil_store_close(ayil_store_t *st) {
  if (st == NULL)
    return;
  sqlite3_finalize(st->st_head);
  sqlite3_finalize(st->st_get);
  sqlite3_finalize(st->st_ins);
  sqlite3_finalize(st->st_state);
  {
    int i;
    for (i = 0; i < AYIL__STORE_CACHE; i++)
      sqlite3_finalize(st->cache[i]);
  }
  sqlite3_close(st->db);
  free(st);
}

struct sqlite3 *ayil__store_db(ayil_store_t *st) {
  return st->db;
}

int ayil__store_stmt(ayil_store_t *st, const char *sql,
                     struct sqlite3_stmt **out) {
  int i, rc;
  /* By address first: every call site passes a string constant. */
  for (i = 0; i < AYIL__STORE_CACHE && st->cache_sql[i] != NULL; i++)
    if (st->cache_sql[i] == sql) {
      sqlite3_reset(st->cache[i]);
      sqlite3_clear_bindings(st->cache[i]);
      *out = st->cache[i];
      return 0;
    }
  for (i = 0; i < AYIL__STORE_CACHE && st->cache_sql[i] != NULL; i++)
    if (strcmp(st->cache_sql[i], sql) == 0) {
      sqlite3_reset(st->cache[i]);
      sqlite3_clear_bindings(st->cache[i]);
      *out = st->cache[i];
      return 0;
    }
  if (i == AYIL__STORE_CACHE)
    return AYIL_ENOMEM; /* raise AYIL__STORE_CACHE */
  rc = prepare(st, &st->cache[i], sql);
  if (rc != 0)
    return rc;
  st->cache_sql[i] = sql;
  *out = st->cache[i];
  return 0;
}

void ayil__store_policy_changed(ayil_store_t *st) {
  st->policy_gen++;
}

uint64_t ayil_store_policy_gen(ayil_store_t *st) {
  /* Another connection (the CLI: admit --confirm, alert clearing) changed
   * the database: any view may have changed. */
  sqlite3_stmt *s = NULL;
  if (ayil__store_stmt(st, "PRAGMA data_version", &s) == 0) {
    if (sqlite3_step(s) == SQLITE_ROW) {
      sqlite3_int64 v = sqlite3_column_int64(s, 0);
      if (v != st->data_version) {
        st->data_version = v;
        st->policy_gen++;
      }
    } else {
      st->policy_gen++;
    }
    sqlite3_reset(s);
  } else {
    st->policy_gen++;
  }
  return st->policy_gen;
}

int ayil_store_cache_kib(ayil_store_t *st, int kib) {
  char sql[64];
  snprintf(sql, sizeof sql, "PRAGMA cache_size=-%d", kib > 0 ? kib : 2000);
  return ayil__store_exec(st, sql);
}

int ayil_store_begin(ayil_store_t *st) {
  int rc = ayil__store_exec(st, "BEGIN IMMEDIATE");
  if (rc == 0)
    st->in_tx = 1;
  return rc;
}

int ayil_store_commit(ayil_store_t *st) {
  int rc = ayil__store_exec(st, "COMMIT");
  if (rc != 0) {
    ayil__store_exec(st, "ROLLBACK");
  }
  st->in_tx = 0;
  return rc;
}

void ayil_store_rollback(ayil_store_t *st) {
  if (st->in_tx)
    ayil__store_exec(st, "ROLLBACK");
  st->in_tx = 0;
}

int ayil_store_head(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                    uint64_t *seq, uint8_t hash[AYIL_HASH_BYTES]) {
  sqlite3_stmt *s = st->st_head;
  int rc;
  sqlite3_bind_blob(s, 1, origin, AYIL_ID_BYTES, SQLITE_STATIC);
  rc = sqlite3_step(s);
  *seq = 0;
  memset(hash, 0, AYIL_HASH_BYTES);
  if (rc == SQLITE_ROW) {
    *seq = (uint64_t)sqlite3_column_int64(s, 0);
    if (sqlite3_column_bytes(s, 1) == AYIL_HASH_BYTES)
      memcpy(hash, sqlite3_column_blob(s, 1), AYIL_HASH_BYTES);
    rc = 0;
  } else {
    rc = ayil__store_rc(rc);
  }
  sqlite3_reset(s);
  return rc;
}

static int blob_out(sqlite3_stmt *s, int col, uint8_t **out, size_t *len) {
  int n = sqlite3_column_bytes(s, col);
  const void *p = sqlite3_column_blob(s, col);
  uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
  if (b == NULL)
    return AYIL_ENOMEM;
  if (n > 0)
    memcpy(b, p, (size_t)n);
  *out = b;
  *len = (size_t)n;
  return 0;
}

/* The canonical bytes of the stored entry at (origin, seq), into out
 * (AYIL_ENTRY_MAX bytes). `prev`: the hash of the entry before (kept with
 * it, or the held predecessor's), NULL when there is none; seq 1 needs
 * none. AYIL_ESEQ when a packed entry's predecessor is missing (it cannot
 * be rebuilt), else ayil_entry_unpack()'s result. */
static int rebuild(const uint8_t *stored, size_t n,
                   const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                   const uint8_t *prev, uint8_t *out, size_t *len) {
  static const uint8_t zero[AYIL_HASH_BYTES];
  if (prev == NULL && seq == 1)
    prev = zero;
  if (prev == NULL && ayil_entry_is_packed(stored, n))
    return AYIL_ESEQ;
  return ayil_entry_unpack(stored, n, origin, seq, prev != NULL ? prev : zero,
                           out, AYIL_ENTRY_MAX, len);
}

int ayil__store_unpack(sqlite3_stmt *s, int col,
                       const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                       uint8_t *out, size_t *len) {
  const uint8_t *prev = sqlite3_column_bytes(s, col + 1) == AYIL_HASH_BYTES
                            ? sqlite3_column_blob(s, col + 1)
                            : NULL;
  return rebuild(sqlite3_column_blob(s, col),
                 (size_t)sqlite3_column_bytes(s, col), origin, seq, prev, out,
                 len) == 0
             ? 0
             : AYIL_ECORRUPT;
}

int ayil_store_entry(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                     uint64_t seq, uint8_t **bytes, size_t *len) {
  sqlite3_stmt *s = st->st_get;
  uint8_t buf[AYIL_ENTRY_MAX];
  int rc;
  sqlite3_bind_blob(s, 1, origin, AYIL_ID_BYTES, SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    rc = ayil__store_unpack(s, 0, origin, seq, buf, len);
    if (rc == 0) {
      *bytes = malloc(*len);
      if (*bytes == NULL)
        rc = AYIL_ENOMEM;
      else
        memcpy(*bytes, buf, *len);
    }
  } else {
    rc = rc == SQLITE_DONE ? AYIL_ENOTFOUND : ayil__store_rc(rc);
  }
  sqlite3_reset(s);
  return rc;
}

/* The header of the stored entry in column `col` of `s`, malloc'd (NULL,
 * 0 for none). AYIL_ECORRUPT if that entry does not read. */
static int stored_header(sqlite3_stmt *s, int col, uint8_t **header,
                         size_t *len) {
  uint8_t hbuf[AYIL_HEADER_MAX];
  const uint8_t *h = NULL;
  size_t hlen = 0;
  *header = NULL;
  *len = 0;
  if (sqlite3_column_type(s, col) != SQLITE_BLOB)
    return 0;
  if (ayil_entry_stored_header(sqlite3_column_blob(s, col),
                               (size_t)sqlite3_column_bytes(s, col), hbuf, &h,
                               &hlen) != 0)
    return AYIL_ECORRUPT;
  if (h == NULL)
    return 0;
  *header = malloc(hlen > 0 ? hlen : 1);
  if (*header == NULL)
    return AYIL_ENOMEM;
  memcpy(*header, h, hlen);
  *len = hlen;
  return 0;
}

int ayil_store_head_ts(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                       uint64_t *ts_ms) {
  uint8_t hash[AYIL_HASH_BYTES], *bytes = NULL;
  uint64_t seq = 0;
  size_t len = 0;
  ayil_entry_t e;
  int rc = ayil_store_head(st, origin, &seq, hash);
  if (rc == 0 && seq == 0)
    rc = AYIL_ENOTFOUND;
  if (rc == 0)
    rc = ayil_store_entry(st, origin, seq, &bytes, &len);
  if (rc == 0)
    rc = ayil_entry_decode(&e, bytes, len) == 0 ? 0 : AYIL_ECORRUPT;
  if (rc == 0)
    *ts_ms = e.ts_ms;
  free(bytes);
  return rc;
}

static int bindv(sqlite3_stmt *s, const char *fmt, va_list ap) {
  int i;
  for (i = 0; fmt[i] != '\0'; i++) {
    int rc = SQLITE_OK;
    if (fmt[i] == 'b') {
      const void *p = va_arg(ap, const void *);
      size_t n = va_arg(ap, size_t);
      rc = p == NULL ? sqlite3_bind_null(s, i + 1)
                     : sqlite3_bind_blob(s, i + 1, p, (int)n, SQLITE_STATIC);
    } else if (fmt[i] == 'i') {
      rc = sqlite3_bind_int64(s, i + 1, va_arg(ap, sqlite3_int64));
    } else if (fmt[i] == 't') {
      const char *t = va_arg(ap, const char *);
      rc = t == NULL ? sqlite3_bind_null(s, i + 1)
                     : sqlite3_bind_text(s, i + 1, t, -1, SQLITE_STATIC);
    } else {
      rc = sqlite3_bind_null(s, i + 1);
    }
    if (rc != SQLITE_OK)
      return ayil__store_rc(rc);
  }
  return 0;
}

/* Runs a one-shot statement with parameters described by a format string:
 * 'b' blob + size_t length, 'i' sqlite3_int64, 't' text, 'n' null. */
int ayil__store_run(ayil_store_t *st, const char *sql, const char *fmt, ...) {
  sqlite3_stmt *s = NULL;
  va_list ap;
  /* Prepared once per store (the SQL is a constant at every call site); a
   * full cache falls back to a one-shot statement. */
  int cached = ayil__store_stmt(st, sql, &s) == 0;
  int rc = 0;
  if (!cached)
    rc = ayil__store_rc(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL));
  if (rc != 0)
    return rc;
  va_start(ap, fmt);
  rc = bindv(s, fmt, ap);
  va_end(ap);
  if (rc == 0) {
    rc = sqlite3_step(s);
    rc = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0 : ayil__store_rc(rc);
  }
  if (cached) {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  } else {
    sqlite3_finalize(s);
  }
  return rc;
}

int ayil_store_body(ayil_store_t *st, const uint8_t record[AYIL_RECID_BYTES],
                    const uint8_t hash[AYIL_HASH_BYTES], uint8_t **sealed,
                    size_t *len) {
  sqlite3_stmt *s = NULL;
  /* By the record's small id (schema step 8); then a body whose record the
   * view does not hold. */
  int rc = ayil__store_stmt(
      st,
      "SELECT sealed FROM body_rows WHERE rec=(SELECT created_n FROM "
      "record_rows WHERE id=?1) AND hash=?2 UNION ALL SELECT sealed FROM "
      "body_rows WHERE "
      "rec IS NULL AND hash=?2 AND record=?1 LIMIT 1",
      &s);
  if (rc != 0)
    return rc;
  sqlite3_bind_blob(s, 1, record, AYIL_RECID_BYTES, SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, hash, AYIL_HASH_BYTES, SQLITE_STATIC);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW)
    rc = blob_out(s, 0, sealed, len);
  else
    rc = rc == SQLITE_DONE ? AYIL_ENOTFOUND : ayil__store_rc(rc);
  sqlite3_reset(s);
  if (rc == 0) {
    /* Every body read is checked against the hash it is stored under: a
     * flipped bit on the SD card must not leave here as a body (a peer
     * would refuse the entry and the whole link with it), nor be blamed on
     * the reader key. */
    uint8_t h[AYIL_HASH_BYTES];
    ayil_body_hash(*sealed, *len, h);
    if (sodium_memcmp(h, hash, AYIL_HASH_BYTES) != 0) {
      free(*sealed);
      *sealed = NULL;
      *len = 0;
      rc = AYIL_EDAMAGED;
    }
  }
  return rc;
}

static uint64_t now_ms(void);

/* *found = 1 when `sql` finds a row, and *col (unless NULL) its first
 * column: ?1 the entry's body hash, ?2 its record, ?3 its origin, ?4 its
 * seq (those it names; primary-key lookups). */
static int entry_row(ayil_store_t *st, const char *sql, const ayil_entry_t *e,
                     int *found, uint64_t *col) {
  sqlite3_stmt *s = NULL;
  int rc = ayil__store_stmt(st, sql, &s); /* prepared once */
  if (rc != 0)
    return rc;
  sqlite3_bind_blob(s, 1, e->body_hash, AYIL_HASH_BYTES, SQLITE_STATIC);
  sqlite3_bind_blob(s, 2, e->record, AYIL_RECID_BYTES, SQLITE_STATIC);
  sqlite3_bind_blob(s, 3, e->origin, AYIL_ID_BYTES, SQLITE_STATIC);
  sqlite3_bind_int64(s, 4, (sqlite3_int64)e->seq);
  rc = sqlite3_step(s);
  *found = rc == SQLITE_ROW;
  if (col != NULL)
    *col = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(s, 0) : 0;
  rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : ayil__store_rc(rc);
  sqlite3_reset(s);
  return rc;
}

int ayil_store_item(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                    uint64_t seq, uint8_t **entry, size_t *entry_len,
                    uint8_t **body, size_t *body_len, uint8_t **proof,
                    size_t *proof_len) {
  return ayil_store_item_held(st, origin, seq, entry, entry_len, body, body_len,
                              proof, proof_len, NULL, 0, NULL);
}

int ayil_store_item_held(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                         uint64_t seq, uint8_t **entry, size_t *entry_len,
                         uint8_t **body, size_t *body_len, uint8_t **proof,
                         size_t *proof_len, int *held, int held_ok,
                         ayil_store_refs_t *refs) {
  ayil_entry_t e;
  ayil_store_row_t row;
  int rc, found = 0;
  *entry = *body = *proof = NULL;
  *entry_len = *body_len = *proof_len = 0;
  if (held != NULL)
    *held = 0;
  if (refs != NULL)
    refs->record = refs->body = 0;
  rc = ayil_store_entry(st, origin, seq, entry, entry_len);
  if (rc != 0)
    return rc;
  if (ayil_entry_decode(&e, *entry, *entry_len) != 0) {
    rc = AYIL_ECORRUPT;
    goto fail;
  }
  if (held != NULL && e.has_body) {
    /* The body came first with an earlier entry of this log and record:
     * a peer holding the log up to here holds it (PROTOCOL.md, "Sync",
     * held bodies). That entry is also the one a back-reference names. */
    uint64_t at = 0;
    rc = entry_row(st,
                   "SELECT seq FROM body_rows WHERE rec=(SELECT created_n "
                   "FROM record_rows WHERE id=?2) AND hash=?1 AND "
                   "log=(SELECT id FROM logs WHERE origin=?3) AND seq<?4",
                   &e, held, &at);
    if (rc != 0)
      goto fail;
    if (refs != NULL && *held)
      refs->record = refs->body = at;
  }
  if (refs != NULL && refs->record == 0 && e.op != AYIL_OP_NOTICE) {
    /* Else the entry that created the record, if it is of this log. */
    rc = entry_row(st,
                   "SELECT le.seq FROM record_rows r JOIN log_entries le "
                   "ON le.n=r.created_n WHERE r.id=?2 AND le.log=(SELECT id "
                   "FROM logs WHERE origin=?3) AND le.seq<?4",
                   &e, &found, &refs->record);
    if (rc != 0)
      goto fail;
  }
  if (!e.has_body)
    return 0;
  if (held != NULL && *held && held_ok)
    return 0; /* it goes out held: the body is not needed */
  rc = ayil_store_body(st, e.record, e.body_hash, body, body_len);
  if (rc == AYIL_EDAMAGED) {
    /* Never sent as it is: the entry goes out with its body marked
     * unavailable (no body, no proof), and the damage is an alert. */
    (void)ayil_reg_alert_record(st, "body_damaged", NULL, e.origin, e.seq,
                                e.record, now_ms() / 1000);
    return 0;
  }
  if (rc != AYIL_ENOTFOUND) {
    if (rc != 0)
      goto fail;
    return 0;
  }
  /* Purged: the record's delete entry is the proof, or the update that
   * superseded this body (the record's last put, with another body or
   * none). */
  rc = ayil_store_record(st, e.record, &row);
  if (rc == 0 && (row.deleted || !row.has_body ||
                  memcmp(row.body_hash, e.body_hash, AYIL_HASH_BYTES) != 0))
    rc = ayil_store_entry(st, row.origin, row.seq, proof, proof_len);
  /* else the record's current body is not held here (it came unavailable):
   * no body, no proof, and the entry goes out marked so. */
  ayil_store_row_clear(&row);
  if (rc == 0)
    return 0;
fail:
  free(*entry);
  *entry = NULL;
  return rc;
}

int ayil_store_entry_refs(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                          uint64_t seq, uint8_t record[AYIL_RECID_BYTES],
                          uint8_t body_hash[AYIL_HASH_BYTES], int *has_body) {
  ayil_entry_t e;
  uint8_t *bytes = NULL;
  size_t len = 0;
  int rc = ayil_store_entry(st, origin, seq, &bytes, &len);
  if (rc != 0)
    return rc;
  rc = ayil_entry_decode(&e, bytes, len) == 0 ? 0 : AYIL_ECORRUPT;
  if (rc == 0) {
    memcpy(record, e.record, AYIL_RECID_BYTES);
    *has_body = e.has_body;
    if (e.has_body)
      memcpy(body_hash, e.body_hash, AYIL_HASH_BYTES);
  }
  free(bytes);
  return rc;
}

int ayil_store_meta_get(ayil_store_t *st, const char *key, char **value) {
  sqlite3_stmt *s = NULL;
  int rc = ayil__store_rc(sqlite3_prepare_v2(
      st->db, "SELECT value FROM meta WHERE key=?1", -1, &s, NULL));
  if (rc != 0)
    return rc;
  sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW) {
    const char *v = (const char *)sqlite3_column_text(s, 0);
    *value = strdup(v != NULL ? v : "");
    rc = *value == NULL ? AYIL_ENOMEM : 0;
  } else {
    rc = rc == SQLITE_DONE ? AYIL_ENOTFOUND : ayil__store_rc(rc);
  }
  sqlite3_finalize(s);
  return rc;
}

int ayil_store_meta_set(ayil_store_t *st, const char *key, const char *value) {
  int rc =
      ayil__store_run(st,
                      "INSERT INTO meta(key, value) VALUES(?1, ?2) "
                      "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                      "tt", key, value);
  /* Who this node is decides the ownership rule: keep it current. */
  if (rc == 0 && (strcmp(key, "role") == 0 || strcmp(key, "node_id") == 0 ||
                  strcmp(key, "hub_id") == 0))
    rc = ayil__store_load_ids(st);
  return rc;
}

/* `no_body_ok` of append_in_tx() for an entry received with its body
 * marked unavailable. */
#define NO_BODY_UNAVAILABLE 2
/* ... for an entry received with its body held: the receiver's own copy. */
#define NO_BODY_HELD 3

/* Appends one entry. `no_body_ok`: the entry may come without its body
 * (a purge already proven, or a local write pointing at a held body; or
 * NO_BODY_UNAVAILABLE). */
static int append_in_tx(ayil_store_t *st, const ayil_entry_t *verified,
                        const uint8_t *bytes, size_t len, const uint8_t *body,
                        size_t bodylen, int no_body_ok) {
  ayil_entry_t e;
  uint64_t head = 0;
  uint8_t head_hash[AYIL_HASH_BYTES];
  uint8_t hash[AYIL_HASH_BYTES];
  uint8_t packed[AYIL_ENTRY_MAX];
  size_t plen = 0;
  sqlite3_stmt *s = st->st_ins;
  int rc;
  if (verified != NULL) {
    /* Decoded and verified by the caller: only check that the bytes are
     * that entry's encoding. */
    uint8_t again[AYIL_ENTRY_MAX];
    size_t alen = 0;
    rc = ayil_entry_encode(verified, again, sizeof again, &alen);
    if (rc != 0)
      return rc;
    if (alen != len || memcmp(again, bytes, len) != 0)
      return AYIL_EINVAL;
    e = *verified;
  } else {
    rc = ayil_entry_decode(&e, bytes, len);
    if (rc != 0)
      return rc;
    rc = ayil_entry_verify(&e);
    if (rc != 0)
      return rc;
  }
  /* Every header is checked on receipt, not only where it was written. */
  if (e.op == AYIL_OP_PUT) {
    if (e.codes_version != AYIL_CODES_VERSION) {
      snprintf(st->why, sizeof st->why,
               "code-list version %u is not this node's (%u)",
               (unsigned)e.codes_version, (unsigned)AYIL_CODES_VERSION);
      return AYIL_EVERSION;
    }
    if (e.header == NULL)
      return AYIL_EFORMAT;
    rc = ayil_hdr_check(e.header, e.header_len, st->why, sizeof st->why);
    if (rc != 0)
      return rc;
  }
  ayil_entry_hash(bytes, len, hash);
  rc = ayil_store_head(st, e.origin, &head, head_hash);
  if (rc != 0)
    return rc;
  if (e.seq <= head) {
    /* Already held: the same bytes are a harmless duplicate, other bytes a
     * fork. */
    uint8_t *mine = NULL;
    size_t mlen = 0;
    rc = ayil_store_entry(st, e.origin, e.seq, &mine, &mlen);
    if (rc == AYIL_ENOTFOUND && ayil__store_sparse(st, e.origin))
      return 0; /* in a gap of a sparse log: not for this node, not kept */
    if (rc != 0)
      return rc;
    rc = (mlen == len && memcmp(mine, bytes, len) == 0) ? 0 : AYIL_EFORK;
    free(mine);
    return rc;
  }
  /* A sparse log may skip entries; its next one still follows the chain. */
  if (e.seq == head + 1 || !ayil__store_sparse(st, e.origin))
    rc = ayil_entry_follows(&e, head, head_hash);
  if (rc != 0)
    return rc;
  if (body == NULL && e.has_body && !no_body_ok)
    return AYIL_EPEER; /* purged without a proof */
  if (body == NULL && e.has_body && no_body_ok == NO_BODY_HELD) {
    /* Held: the body this node stores under that hash for this record is
     * the entry's body. None (received unavailable, purged by another
     * log's delete, or the peer's claim is wrong): stored as unavailable
     * below, and repaired. Another record's body is never taken. */
    int found = 0;
    rc = entry_row(st,
                   "SELECT 1 FROM body_rows WHERE rec=(SELECT created_n "
                   "FROM record_rows WHERE id=?2) AND hash=?1 "
                   "UNION ALL SELECT 1 FROM record_rows WHERE id=?2 AND "
                   "deleted=1",
                   &e, &found, NULL);
    if (rc != 0)
      return rc;
    no_body_ok = found ? 1 : NO_BODY_UNAVAILABLE;
  }
  if (body == NULL && e.has_body && no_body_ok == NO_BODY_UNAVAILABLE) {
    /* Signed, but its body is lost at the sender: kept without it, and
     * said loudly. The alert's origin is the log, its seq the first such
     * entry of that log. */
    rc = ayil_reg_alert_record(st, "body_missing", NULL, e.origin, e.seq,
                               e.record, now_ms() / 1000);
    if (rc != 0)
      return rc;
  }
  if (body != NULL) {
    uint8_t bh[AYIL_HASH_BYTES];
    if (!e.has_body)
      return AYIL_EINVAL;
    ayil_body_hash(body, bodylen, bh);
    if (memcmp(bh, e.body_hash, AYIL_HASH_BYTES) != 0)
      return AYIL_EDECRYPT;
  }
  if (head == 0) {
    /* The log's first entry here: its origin gets its small id. */
    rc = ayil__store_run(
        st,
        "INSERT INTO logs(origin) VALUES(?1) ON CONFLICT(origin) DO NOTHING",
        "b", e.origin, (size_t)AYIL_ID_BYTES);
    if (rc != 0)
      return rc;
  }
  rc = pack_for_store(&e, bytes, len, packed, &plen);
  if (rc != 0)
    return rc;
  sqlite3_bind_blob(s, 1, e.origin, AYIL_ID_BYTES, SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, (sqlite3_int64)e.seq);
  sqlite3_bind_blob(s, 3, hash, AYIL_HASH_BYTES, SQLITE_STATIC);
  /* prev is given by the entry before, unless that is not held (a sparse
   * log's gap): then it is kept. */
  if (e.seq == head + 1)
    sqlite3_bind_null(s, 4);
  else
    sqlite3_bind_blob(s, 4, e.prev, AYIL_HASH_BYTES, SQLITE_STATIC);
  sqlite3_bind_blob(s, 5, packed, (int)plen, SQLITE_STATIC);
  rc = sqlite3_step(s);
  sqlite3_reset(s);
  if (rc != SQLITE_DONE)
    return ayil__store_rc(rc);
  /* The view first: the body is kept under its record's small id. */
  rc = ayil__store_fold(st, &e, sqlite3_last_insert_rowid(st->db));
  if (rc == 0 && body != NULL)
    rc = ayil__store_run(
        st,
        "INSERT INTO body_rows(rec, hash, sealed, record, log, seq) SELECT "
        "r.created_n, ?2, ?3, CASE WHEN r.created_n IS NULL THEN ?1 END, "
        "(SELECT id FROM logs WHERE origin=?4), ?5 FROM (SELECT 1) "
        "LEFT JOIN record_rows r ON r.id = ?1 WHERE 1 "
        "ON CONFLICT(rec, hash) DO NOTHING",
        "bbbbi", e.record, (size_t)AYIL_RECID_BYTES, e.body_hash,
        (size_t)AYIL_HASH_BYTES, body, bodylen, e.origin, (size_t)AYIL_ID_BYTES,
        (sqlite3_int64)e.seq);
  return rc;
}

const char *ayil_store_why(const ayil_store_t *st) {
  return st->why;
}

static int append(ayil_store_t *st, const ayil_entry_t *verified,
                  const uint8_t *bytes, size_t len, const uint8_t *body,
                  size_t bodylen, int no_body_ok) {
  int own = !st->in_tx;
  int rc;
  st->why[0] = '\0';
  st->purged = 0;
  if (own) {
    rc = ayil_store_begin(st);
    if (rc != 0)
      return rc;
  }
  if (!own) {
    /* Inside the caller's transaction a failed append must leave no trace:
     * a savepoint undoes a half-folded entry. */
    rc = ayil__store_run(st, "SAVEPOINT append", ""); /* prepared once */
    if (rc != 0)
      return rc;
  }
  rc = append_in_tx(st, verified, bytes, len, body, bodylen, no_body_ok);
  if (own) {
    if (rc == 0)
      rc = ayil_store_commit(st);
    else
      ayil_store_rollback(st);
  } else {
    if (rc != 0)
      ayil__store_run(st, "ROLLBACK TO append", "");
    ayil__store_run(st, "RELEASE append", "");
  }
  return rc;
}

int ayil_store_append(ayil_store_t *st, const uint8_t *bytes, size_t len,
                      const uint8_t *body, size_t bodylen) {
  return append(st, NULL, bytes, len, body, bodylen, 0);
}

int ayil_store_append_verified(ayil_store_t *st, const ayil_entry_t *e,
                               const uint8_t *bytes, size_t len,
                               const uint8_t *body, size_t bodylen) {
  return append(st, e, bytes, len, body, bodylen,
                body == NULL && e->has_body ? NO_BODY_UNAVAILABLE : 0);
}

int ayil_store_append_held(ayil_store_t *st, const ayil_entry_t *e,
                           const uint8_t *bytes, size_t len) {
  return append(st, e, bytes, len, NULL, 0, NO_BODY_HELD);
}

int ayil_store_append_unavailable(ayil_store_t *st, const uint8_t *bytes,
                                  size_t len) {
  return append(st, NULL, bytes, len, NULL, 0, NO_BODY_UNAVAILABLE);
}

int ayil_store_append_purged(ayil_store_t *st, const ayil_policy_view_t *v,
                             const uint8_t *bytes, size_t len,
                             const uint8_t *proof, size_t proof_len) {
  return ayil_store_append_purged_verified(st, v, NULL, bytes, len, proof,
                                           proof_len);
}

int ayil_store_append_purged_verified(ayil_store_t *st,
                                      const ayil_policy_view_t *v,
                                      const ayil_entry_t *e,
                                      const uint8_t *bytes, size_t len,
                                      const uint8_t *proof, size_t proof_len) {
  int rc = ayil_policy_purge_ok(v, bytes, len, proof, proof_len);
  if (rc != 0)
    return rc;
  return append(st, e, bytes, len, NULL, 0, 1);
}

static uint64_t now_ms(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

int ayil_store_write_local(ayil_store_t *st, const uint8_t origin_sk[64],
                           uint32_t op, const uint8_t record[AYIL_RECID_BYTES],
                           const uint8_t *header, size_t header_len,
                           const uint8_t *sealed, size_t sealed_len,
                           const uint8_t *reuse_body_hash, uint64_t *seq_out) {
  ayil_entry_t e;
  uint8_t buf[AYIL_ENTRY_MAX];
  size_t len = 0;
  int own = !st->in_tx;
  int rc;
  memset(&e, 0, sizeof e);
  memcpy(e.origin, origin_sk + 32, AYIL_ID_BYTES);
  st->why[0] = '\0';
  st->purged = 0;
  if (own) {
    rc = ayil_store_begin(st);
    if (rc != 0)
      return rc;
  }
  rc = ayil_store_head(st, e.origin, &e.seq, e.prev);
  if (rc != 0)
    goto fail;
  e.seq++;
  /* Coarsened to the UTC day before signing (PROTOCOL.md, "ts"): the hub
   * learns the day an entry was written, never the time of a case. */
  e.ts_ms = now_ms() / AYIL_TS_DAY_MS * AYIL_TS_DAY_MS;
  memcpy(e.record, record, AYIL_RECID_BYTES);
  e.op = op;
  e.codes_version = 1;
  e.header = header;
  e.header_len = header_len;
  if (sealed != NULL) {
    e.has_body = 1;
    ayil_body_hash(sealed, sealed_len, e.body_hash);
  } else if (reuse_body_hash != NULL) {
    e.has_body = 1;
    memcpy(e.body_hash, reuse_body_hash, AYIL_HASH_BYTES);
  }
  rc = ayil_entry_sign(&e, origin_sk, buf, sizeof buf, &len);
  if (rc == 0)
    rc = append_in_tx(st, NULL, buf, len, sealed, sealed_len, 1);
  if (rc != 0)
    goto fail;
  if (own) {
    rc = ayil_store_commit(st);
    if (rc != 0)
      return rc;
  }
  if (st->purged) /* a delete, or an update that superseded a body */
    ayil__store_exec(st, "PRAGMA wal_checkpoint(TRUNCATE)"); /* old pages */
  if (seq_out != NULL)
    *seq_out = e.seq;
  return 0;
fail:
  if (own)
    ayil_store_rollback(st);
  return rc;
}

void ayil_store_row_clear(ayil_store_row_t *row) {
  free(row->header);
  row->header = NULL;
}

static int row_from(sqlite3_stmt *s, ayil_store_row_t *row) {
  const char *t;
  memset(row, 0, sizeof *row);
  if (sqlite3_column_bytes(s, 0) != AYIL_RECID_BYTES ||
      sqlite3_column_bytes(s, 1) != AYIL_ID_BYTES)
    return AYIL_ECORRUPT;
  memcpy(row->id, sqlite3_column_blob(s, 0), AYIL_RECID_BYTES);
  memcpy(row->origin, sqlite3_column_blob(s, 1), AYIL_ID_BYTES);
  row->seq = (uint64_t)sqlite3_column_int64(s, 2);
  t = (const char *)sqlite3_column_text(s, 3);
  if (t != NULL)
    snprintf(row->kind, sizeof row->kind, "%s", t);
  t = (const char *)sqlite3_column_text(s, 4);
  if (t != NULL)
    snprintf(row->month, sizeof row->month, "%s", t);
  if (sqlite3_column_type(s, 5) == SQLITE_BLOB) {
    int rc = stored_header(s, 5, &row->header, &row->header_len);
    if (rc != 0)
      return rc;
  }
  if (sqlite3_column_bytes(s, 6) == AYIL_HASH_BYTES) {
    row->has_body = 1;
    memcpy(row->body_hash, sqlite3_column_blob(s, 6), AYIL_HASH_BYTES);
  }
  row->deleted = sqlite3_column_int(s, 7);
  return 0;
}

#define ROW_COLS "id, origin, seq, kind, month, entry, body_hash, deleted"

int ayil_store_record(ayil_store_t *st, const uint8_t id[AYIL_RECID_BYTES],
                      ayil_store_row_t *row) {
  sqlite3_stmt *s = NULL;
  int rc = ayil__store_rc(sqlite3_prepare_v2(
      st->db, "SELECT " ROW_COLS " FROM records WHERE id=?1", -1, &s, NULL));
  if (rc != 0)
    return rc;
  sqlite3_bind_blob(s, 1, id, AYIL_RECID_BYTES, SQLITE_STATIC);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW)
    rc = row_from(s, row);
  else
    rc = rc == SQLITE_DONE ? AYIL_ENOTFOUND : ayil__store_rc(rc);
  sqlite3_finalize(s);
  return rc;
}

int ayil_store_records(ayil_store_t *st, const char *kind, ayil_store_row_cb cb,
                       void *ctx) {
  sqlite3_stmt *s = NULL;
  int rc = ayil__store_rc(
      sqlite3_prepare_v2(st->db,
                         "SELECT " ROW_COLS " FROM records WHERE deleted=0 AND "
                         "(?1 IS NULL OR kind=?1) ORDER BY created_n",
                         -1, &s, NULL));
  if (rc != 0)
    return rc;
  if (kind != NULL)
    sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
  for (;;) {
    ayil_store_row_t row;
    int step = sqlite3_step(s);
    if (step == SQLITE_DONE)
      break;
    if (step != SQLITE_ROW) {
      rc = ayil__store_rc(step);
      break;
    }
    rc = row_from(s, &row);
    if (rc == 0)
      rc = cb(ctx, &row);
    ayil_store_row_clear(&row);
    if (rc != 0)
      break;
  }
  sqlite3_finalize(s);
  return rc;
}

int ayil_store_verify(ayil_store_t *st, ayil_store_verify_t *out) {
  sqlite3_stmt *s = NULL;
  uint8_t origin[AYIL_ID_BYTES];
  uint8_t prev_hash[AYIL_HASH_BYTES];
  uint64_t prev_seq = 0;
  int have_origin = 0;
  int rc;
  memset(out, 0, sizeof *out);
  rc = ayil__store_rc(sqlite3_prepare_v2(
      st->db,
      "SELECT l.origin, e.seq, e.hash, e.packed, e.prev FROM logs l JOIN "
      "log_entries e ON e.log = l.id ORDER BY l.origin, e.seq",
      -1, &s, NULL));
  if (rc != 0)
    return rc;
  for (;;) {
    ayil_entry_t e;
    const uint8_t *stored, *prev;
    uint8_t bytes[AYIL_ENTRY_MAX];
    size_t len = 0, stored_len;
    uint8_t hash[AYIL_HASH_BYTES];
    int err = 0;
    int step = sqlite3_step(s);
    if (step == SQLITE_DONE)
      break;
    if (step != SQLITE_ROW) {
      rc = ayil__store_rc(step);
      break;
    }
    if (sqlite3_column_bytes(s, 0) != AYIL_ID_BYTES) {
      out->bad = 1;
      out->err = AYIL_ECORRUPT;
      break;
    }
    if (!have_origin ||
        memcmp(origin, sqlite3_column_blob(s, 0), AYIL_ID_BYTES) != 0) {
      memcpy(origin, sqlite3_column_blob(s, 0), AYIL_ID_BYTES);
      have_origin = 1;
      prev_seq = 0;
      memset(prev_hash, 0, sizeof prev_hash);
      out->origins_checked++;
    }
    stored = sqlite3_column_blob(s, 3);
    stored_len = (size_t)sqlite3_column_bytes(s, 3);
    /* Report the position the store claims, in case the bytes lie. */
    out->seq = (uint64_t)sqlite3_column_int64(s, 1);
    memcpy(out->origin, origin, AYIL_ID_BYTES);
    /* A packed entry is rebuilt with its prev: the one kept with it, else
     * the hash of the entry before, checked on the row before (a missing
     * one breaks the chain here). */
    prev = sqlite3_column_bytes(s, 4) == AYIL_HASH_BYTES
               ? sqlite3_column_blob(s, 4)
           : out->seq == prev_seq + 1 ? prev_hash
                                      : NULL;
    err = rebuild(stored, stored_len, origin, out->seq, prev, bytes, &len);
    if (err == 0)
      err = ayil_entry_decode(&e, bytes, len);
    if (err == 0 && memcmp(e.origin, origin, AYIL_ID_BYTES) != 0)
      err = AYIL_ECHAIN;
    if (err == 0 && e.seq != out->seq)
      err = AYIL_ESEQ;
    if (err == 0)
      err = ayil_entry_verify(&e);
    /* A sparse log (a committee's copy of its hub's notices) has gaps:
     * an entry after one checks by its signature alone. */
    if (err == 0 && (e.seq == prev_seq + 1 || !ayil__store_sparse(st, origin)))
      err = ayil_entry_follows(&e, prev_seq, prev_hash);
    if (err == 0) {
      ayil_entry_hash(bytes, len, hash);
      if (sqlite3_column_bytes(s, 2) != AYIL_HASH_BYTES ||
          memcmp(hash, sqlite3_column_blob(s, 2), AYIL_HASH_BYTES) != 0)
        err = AYIL_ECHAIN;
    }
    if (err != 0) {
      out->bad = 1;
      out->err = err;
      break;
    }
    if (e.has_body) {
      uint8_t *sealed = NULL;
      size_t slen = 0;
      int brc = ayil_store_body(st, e.record, e.body_hash, &sealed, &slen);
      free(sealed);
      if (brc == 0) {
        out->bodies_checked++;
      } else if (brc == AYIL_EDAMAGED) {
        out->bodies_checked++;
        if (out->bodies_damaged++ < AYIL_STORE_DAMAGE_MAX) {
          ayil_store_damage_t *d = &out->damage[out->ndamage++];
          memcpy(d->origin, origin, AYIL_ID_BYTES);
          d->seq = e.seq;
          memcpy(d->record, e.record, sizeof d->record);
        }
      } else if (brc != AYIL_ENOTFOUND) { /* not held: purged or missing */
        rc = brc;
        break;
      }
    }
    out->entries_checked++;
    prev_seq = e.seq;
    memcpy(prev_hash, hash, AYIL_HASH_BYTES);
  }
  sqlite3_finalize(s);
  if (!out->bad)
    out->seq = 0;
  return rc;
}

/* Runs an integrity PRAGMA: 0 when its first row is "ok". */
static int pragma_ok(ayil_store_t *st, const char *sql) {
  sqlite3_stmt *s = NULL;
  int rc = ayil__store_rc(sqlite3_prepare_v2(st->db, sql, -1, &s, NULL));
  if (rc != 0)
    return rc;
  rc = AYIL_ECORRUPT;
  if (sqlite3_step(s) == SQLITE_ROW) {
    const char *t = (const char *)sqlite3_column_text(s, 0);
    if (t != NULL && strcmp(t, "ok") == 0)
      rc = 0;
  }
  sqlite3_finalize(s);
  return rc;
}

int ayil_store_quick_check(ayil_store_t *st) {
  return pragma_ok(st, "PRAGMA quick_check(1)");
}

int ayil_store_integrity(ayil_store_t *st) {
  return pragma_ok(st, "PRAGMA integrity_check");
}

int ayil_store_lacking(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                       uint64_t after, uint64_t *seq) {
  sqlite3_stmt *s = NULL;
  int rc, step, guard;
  *seq = 0;
  rc = ayil__store_rc(sqlite3_prepare_v2(
      st->db,
      "SELECT 1 FROM alerts WHERE kind IN ('body_damaged', 'body_missing') "
      "AND origin=?1 AND cleared=0 LIMIT 1",
      -1, &s, NULL));
  if (rc != 0)
    return rc;
  sqlite3_bind_blob(s, 1, origin, AYIL_ID_BYTES, SQLITE_STATIC);
  step = sqlite3_step(s);
  sqlite3_finalize(s);
  s = NULL;
  if (step != SQLITE_ROW)
    return step == SQLITE_DONE ? 0 : ayil__store_rc(step);
  rc = ayil__store_rc(sqlite3_prepare_v2(
      st->db,
      "SELECT seq, body_hash, id FROM records WHERE origin=?1 AND seq>?2 AND "
      "deleted=0 AND length(body_hash)=32 ORDER BY seq",
      -1, &s, NULL));
  if (rc != 0)
    return rc;
  sqlite3_bind_blob(s, 1, origin, AYIL_ID_BYTES, SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, (sqlite3_int64)after);
  /* Bounded by the records of one log (the store holds at most that). */
  for (guard = 0; guard < INT32_MAX; guard++) {
    uint8_t *sealed = NULL;
    size_t slen = 0;
    int brc;
    step = sqlite3_step(s);
    if (step != SQLITE_ROW) {
      rc = step == SQLITE_DONE ? 0 : ayil__store_rc(step);
      break;
    }
    if (sqlite3_column_bytes(s, 1) != AYIL_HASH_BYTES ||
        sqlite3_column_bytes(s, 2) != AYIL_RECID_BYTES) {
      rc = AYIL_ECORRUPT;
      break;
    }
    brc = ayil_store_body(st, sqlite3_column_blob(s, 2),
                          sqlite3_column_blob(s, 1), &sealed, &slen);
    free(sealed);
    if (brc == AYIL_ENOTFOUND || brc == AYIL_EDAMAGED) {
      *seq = (uint64_t)sqlite3_column_int64(s, 0);
      break;
    }
    if (brc != 0) {
      rc = brc;
      break;
    }
  }
  sqlite3_finalize(s);
  return rc;
}

int ayil_store_repair_body(ayil_store_t *st,
                           const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                           const uint8_t *body, size_t len) {
  uint8_t *bytes = NULL;
  size_t blen = 0;
  uint8_t bh[AYIL_HASH_BYTES];
  ayil_entry_t e;
  ayil_store_row_t row;
  uint64_t left = 0;
  int rc = ayil_store_entry(st, origin, seq, &bytes, &blen);
  if (rc != 0)
    return rc;
  if (ayil_entry_decode(&e, bytes, blen) != 0) {
    rc = AYIL_ECORRUPT;
    goto done;
  }
  ayil_body_hash(body, len, bh);
  if (!e.has_body || sodium_memcmp(bh, e.body_hash, AYIL_HASH_BYTES) != 0) {
    rc = AYIL_EDAMAGED;
    goto done;
  }
  memset(&row, 0, sizeof row);
  rc = ayil_store_record(st, e.record, &row);
  if (rc == 0 && !row.deleted && row.has_body &&
      memcmp(row.body_hash, e.body_hash, AYIL_HASH_BYTES) == 0)
    rc = ayil__store_run(
        st,
        "INSERT INTO body_rows(rec, hash, sealed, log, seq) "
        "VALUES((SELECT created_n FROM record_rows WHERE id=?2), "
        "?1, ?3, (SELECT id FROM logs WHERE origin=?4), ?5) "
        "ON CONFLICT(rec, hash) DO UPDATE "
        "SET sealed=excluded.sealed",
        "bbbbi", e.body_hash, (size_t)AYIL_HASH_BYTES, e.record,
        (size_t)AYIL_RECID_BYTES, body, len, e.origin, (size_t)AYIL_ID_BYTES,
        (sqlite3_int64)e.seq);
  else if (rc == AYIL_ENOTFOUND)
    rc = 0;
  ayil_store_row_clear(&row);
  if (rc == 0)
    rc = ayil_store_lacking(st, origin, 0, &left);
  if (rc == 0 && left == 0)
    rc = ayil__store_run(st,
                         "UPDATE alerts SET cleared=1 WHERE cleared=0 AND "
                         "kind IN ('body_damaged', 'body_missing') AND "
                         "origin=?1",
                         "b", origin, (size_t)AYIL_ID_BYTES);
done:
  free(bytes);
  return rc;
}

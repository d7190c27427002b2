/* The store: append, fold, verify (every byte flip, removed entries),
 * reindex, idempotence and forks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "record.h"
#include "store.h"

static char dir[] = "/tmp/ayil-test-store-XXXXXX";
static char path[256];
static uint8_t pk[32], sk[64];

static int setup(void **state) {
  (void)state;
  if (sodium_init() < 0 || mkdtemp(dir) == NULL)
    return -1;
  crypto_sign_keypair(pk, sk);
  return 0;
}

static int teardown(void **state) {
  char cmd[300];
  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd);
}

static ayil_store_t *fresh(const char *name) {
  ayil_store_t *st = NULL;
  snprintf(path, sizeof path, "%s/%s.db", dir, name);
  unlink(path);
  assert_int_equal(ayil_store_open(&st, path, AYIL_STORE_CREATE), 0);
  return st;
}

/* Writes a session record (header only, no body) and returns its id. */
static void put(ayil_store_t *st, uint8_t id[16], int cases) {
  json_t *h =
      json_pack("{s:s, s:s, s:i, s:b}", "kind", "session", "month", "2026-03",
                "cases_reviewed", cases, "violence_related", 1);
  uint8_t *hb = NULL;
  size_t hl = 0;
  assert_int_equal(ayil_record_pack(h, &hb, &hl), 0);
  assert_int_equal(ayil_store_write_local(st, sk, AYIL_OP_PUT, id, hb, hl, NULL,
                                          0, NULL, NULL),
                   0);
  free(hb);
  json_decref(h);
}

/* Copies entries 1..n of pk's log, with their bodies, from a to b. */
static void copy_log(ayil_store_t *a, ayil_store_t *b, uint64_t n) {
  uint64_t i;
  for (i = 1; i <= n; i++) {
    uint8_t *entry = NULL, *body = NULL, *proof = NULL;
    size_t elen = 0, blen = 0, plen = 0;
    assert_int_equal(
        ayil_store_item(a, pk, i, &entry, &elen, &body, &blen, &proof, &plen),
        0);
    assert_int_equal(ayil_store_append(b, entry, elen, body, blen), 0);
    free(entry);
    free(body);
    free(proof);
  }
}

/* A burst of commits grows the WAL; once SQLite starts it over after a
 * checkpoint, the file is cut back to AYIL_STORE_WAL_LIMIT instead of
 * keeping the burst's size. */
static void test_wal_cut_back(void **state) {
  ayil_store_t *st = fresh("walcut");
  char walp[300];
  struct stat sb;
  sqlite3 *db = ayil__store_db(st);
  (void)state;
  snprintf(walp, sizeof walp, "%s-wal", path);
  assert_int_equal(
      sqlite3_exec(db,
                   "CREATE TABLE burst(x BLOB);"
                   "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
                   "FROM c WHERE i < 384) INSERT INTO burst SELECT "
                   "randomblob(65536) FROM c;",
                   NULL, NULL, NULL),
      SQLITE_OK);
  assert_int_equal(stat(walp, &sb), 0);
  assert_true(sb.st_size > 3 * (off_t)AYIL_STORE_WAL_LIMIT); /* the burst */
  assert_int_equal(sqlite3_exec(db,
                                "PRAGMA wal_checkpoint(PASSIVE);"
                                "INSERT INTO burst VALUES(1);",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  assert_int_equal(stat(walp, &sb), 0);
  assert_true(sb.st_size <= (off_t)AYIL_STORE_WAL_LIMIT);
  ayil_store_close(st);
}

static void test_append_and_view(void **state) {
  ayil_store_t *st = fresh("view");
  uint8_t a[16], b[16], hash[32];
  uint64_t seq = 0;
  ayil_store_row_t row;
  (void)state;
  randombytes_buf(a, 16);
  randombytes_buf(b, 16);
  put(st, a, 1);
  put(st, b, 2);
  put(st, a, 3); /* update */
  assert_int_equal(ayil_store_head(st, pk, &seq, hash), 0);
  assert_int_equal(seq, 3);
  assert_int_equal(ayil_store_record(st, a, &row), 0);
  assert_int_equal(row.seq, 3);
  assert_string_equal(row.kind, "session");
  assert_string_equal(row.month, "2026-03");
  ayil_store_row_clear(&row);
  assert_int_equal(ayil_store_write_local(st, sk, AYIL_OP_DELETE, b, NULL, 0,
                                          NULL, 0, NULL, NULL),
                   0);
  assert_int_equal(ayil_store_record(st, b, &row), 0);
  assert_int_equal(row.deleted, 1);
  ayil_store_row_clear(&row);
  ayil_store_close(st);
}

static void dump_view(ayil_store_t *st, char *out, size_t cap) {
  sqlite3_stmt *s = NULL;
  size_t n = 0;
  assert_int_equal(sqlite3_prepare_v2(ayil__store_db(st),
                                      "SELECT hex(id), hex(origin), seq, "
                                      "created_n, kind, month, hn, "
                                      "hex(body_hash), deleted FROM records "
                                      "ORDER BY id",
                                      -1, &s, NULL),
                   SQLITE_OK);
  out[0] = '\0';
  while (sqlite3_step(s) == SQLITE_ROW) {
    int i;
    for (i = 0; i < 9; i++) {
      const char *t = (const char *)sqlite3_column_text(s, i);
      n += (size_t)snprintf(out + n, cap - n, "%s|", t ? t : "NULL");
      assert_true(n < cap);
    }
  }
  sqlite3_finalize(s);
}

static void test_reindex_identical(void **state) {
  ayil_store_t *st = fresh("reindex");
  static char before[65536], after[65536];
  uint8_t ids[5][16];
  int i;
  (void)state;
  for (i = 0; i < 5; i++) {
    randombytes_buf(ids[i], 16);
    put(st, ids[i], i);
  }
  put(st, ids[2], 42);
  assert_int_equal(ayil_store_write_local(st, sk, AYIL_OP_DELETE, ids[4], NULL,
                                          0, NULL, 0, NULL, NULL),
                   0);
  dump_view(st, before, sizeof before);
  assert_int_equal(ayil_store_reindex(st), 0);
  dump_view(st, after, sizeof after);
  assert_string_equal(before, after);
  assert_true(strlen(before) > 100);
  ayil_store_close(st);
}

static void flip(ayil_store_t *st, uint64_t seq, size_t off, int restore) {
  sqlite3_stmt *s = NULL;
  uint8_t buf[AYIL_ENTRY_MAX];
  int len;
  sqlite3 *db = ayil__store_db(st);
  (void)restore;
  assert_int_equal(sqlite3_prepare_v2(db,
                                      "SELECT packed FROM entries WHERE "
                                      "seq=?1",
                                      -1, &s, NULL),
                   SQLITE_OK);
  sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
  assert_int_equal(sqlite3_step(s), SQLITE_ROW);
  len = sqlite3_column_bytes(s, 0);
  memcpy(buf, sqlite3_column_blob(s, 0), (size_t)len);
  sqlite3_finalize(s);
  buf[off] ^= 0x01;
  assert_int_equal(sqlite3_prepare_v2(db,
                                      "UPDATE entries SET packed=?1 WHERE "
                                      "seq=?2",
                                      -1, &s, NULL),
                   SQLITE_OK);
  sqlite3_bind_blob(s, 1, buf, len, SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
  assert_int_equal(sqlite3_step(s), SQLITE_DONE);
  sqlite3_finalize(s);
}

/* Every single-byte change of every stored entry is named by verify. */
static void test_verify_every_flip(void **state) {
  ayil_store_t *st = fresh("flip");
  ayil_store_verify_t v;
  uint8_t id[16];
  uint64_t seq;
  int i;
  (void)state;
  for (i = 0; i < 4; i++) {
    randombytes_buf(id, 16);
    put(st, id, i);
  }
  assert_int_equal(ayil_store_verify(st, &v), 0);
  assert_int_equal(v.bad, 0);
  assert_int_equal(v.entries_checked, 4);
  for (seq = 1; seq <= 4; seq++) {
    /* Every byte as stored: the entry packed (PROTOCOL.md, "Entries at
     * rest"), shorter than its canonical bytes. */
    sqlite3_stmt *s = NULL;
    size_t len = 0, off;
    assert_int_equal(sqlite3_prepare_v2(ayil__store_db(st),
                                        "SELECT length(packed) FROM entries "
                                        "WHERE seq=?1",
                                        -1, &s, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(s, 1, (sqlite3_int64)seq);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    len = (size_t)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    assert_true(len > 64 && len < 200);
    for (off = 0; off < len; off++) {
      flip(st, seq, off, 0);
      assert_int_equal(ayil_store_verify(st, &v), 0);
      assert_int_equal(v.bad, 1);
      assert_int_equal(v.seq, seq);
      assert_memory_equal(v.origin, pk, 32);
      flip(st, seq, off, 1);
    }
  }
  assert_int_equal(ayil_store_verify(st, &v), 0);
  assert_int_equal(v.bad, 0);
  ayil_store_close(st);
}

static void test_verify_removed(void **state) {
  ayil_store_t *st = fresh("removed");
  ayil_store_verify_t v;
  uint8_t id[16];
  int i;
  (void)state;
  for (i = 0; i < 5; i++) {
    randombytes_buf(id, 16);
    put(st, id, i);
  }
  assert_int_equal(sqlite3_exec(ayil__store_db(st),
                                "DELETE FROM entries WHERE seq=3", NULL, NULL,
                                NULL),
                   SQLITE_OK);
  assert_int_equal(ayil_store_verify(st, &v), 0);
  assert_int_equal(v.bad, 1);
  assert_int_equal(v.seq, 4); /* the chain breaks where 3 is missing */
  assert_int_equal(v.err, AYIL_ESEQ);
  ayil_store_close(st);
}

static void test_append_idempotent_and_fork(void **state) {
  ayil_store_t *a = fresh("a");
  ayil_store_t *b = NULL;
  uint8_t id[16], *bytes = NULL, *other = NULL;
  size_t len = 0, olen = 0;
  uint64_t seq = 0;
  uint8_t hash[32];
  (void)state;
  randombytes_buf(id, 16);
  put(a, id, 1);
  assert_int_equal(ayil_store_entry(a, pk, 1, &bytes, &len), 0);
  snprintf(path, sizeof path, "%s/b.db", dir);
  unlink(path);
  assert_int_equal(ayil_store_open(&b, path, AYIL_STORE_CREATE), 0);
  assert_int_equal(ayil_store_append(b, bytes, len, NULL, 0), 0);
  assert_int_equal(ayil_store_append(b, bytes, len, NULL, 0), 0);
  assert_int_equal(ayil_store_head(b, pk, &seq, hash), 0);
  assert_int_equal(seq, 1);
  /* A clone of the node writes a different entry 1: a fork. */
  ayil_store_close(a);
  a = fresh("a2");
  put(a, id, 99);
  assert_int_equal(ayil_store_entry(a, pk, 1, &other, &olen), 0);
  assert_int_equal(ayil_store_append(b, other, olen, NULL, 0), AYIL_EFORK);
  /* A bad signature is refused and nothing is stored. */
  other[olen - 1] ^= 1;
  assert_int_not_equal(ayil_store_append(b, other, olen, NULL, 0), 0);
  assert_int_equal(ayil_store_head(b, pk, &seq, hash), 0);
  assert_int_equal(seq, 1);
  free(bytes);
  free(other);
  ayil_store_close(a);
  ayil_store_close(b);
}

/* The receive path's append: the entry the sync receiver verified and its
 * bytes must be one; a mismatch is refused and stores nothing. */
static void test_append_verified(void **state) {
  ayil_store_t *a = fresh("va");
  ayil_store_t *b = NULL;
  uint8_t id[16], *bytes = NULL, hash[32];
  size_t len = 0;
  uint64_t seq = 0;
  ayil_entry_t e;
  (void)state;
  randombytes_buf(id, 16);
  put(a, id, 2);
  assert_int_equal(ayil_store_entry(a, pk, 1, &bytes, &len), 0);
  assert_int_equal(ayil_entry_decode(&e, bytes, len), 0);
  snprintf(path, sizeof path, "%s/vb.db", dir);
  unlink(path);
  assert_int_equal(ayil_store_open(&b, path, AYIL_STORE_CREATE), 0);
  /* Another entry than the bytes: refused, nothing stored. */
  e.ts_ms ^= 1;
  assert_int_equal(ayil_store_append_verified(b, &e, bytes, len, NULL, 0),
                   AYIL_EINVAL);
  assert_int_equal(ayil_store_head(b, pk, &seq, hash), 0);
  assert_int_equal(seq, 0);
  /* The same entry: stored and folded, as ayil_store_append would. */
  e.ts_ms ^= 1;
  assert_int_equal(ayil_store_append_verified(b, &e, bytes, len, NULL, 0), 0);
  assert_int_equal(ayil_store_head(b, pk, &seq, hash), 0);
  assert_int_equal(seq, 1);
  assert_int_equal(ayil_store_verify(b, &(ayil_store_verify_t){0}), 0);
  free(bytes);
  ayil_store_close(a);
  ayil_store_close(b);
}

static int alerts_of(ayil_store_t *st, const char *kind) {
  sqlite3_stmt *s = NULL;
  int n;
  assert_int_equal(sqlite3_prepare_v2(ayil__store_db(st),
                                      "SELECT count(*) FROM alerts WHERE "
                                      "kind=?1 AND cleared=0",
                                      -1, &s, NULL),
                   SQLITE_OK);
  sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC);
  assert_int_equal(sqlite3_step(s), SQLITE_ROW);
  n = sqlite3_column_int(s, 0);
  sqlite3_finalize(s);
  return n;
}

/* A body that fails its hash: named by verify, never handed out, an alert;
 * a body with the right hash repairs it; a wrong one does not. A store
 * that received the entry without its body lacks it until a repair, and a
 * purge is never undone by one. */
static void test_damaged_body(void **state) {
  ayil_store_t *a = fresh("da"), *b = NULL;
  uint8_t id[16], sealed[304], *got = NULL, *entry = NULL, *proof = NULL;
  uint8_t *bytes = NULL, *del = NULL;
  size_t glen = 0, elen = 0, plen = 0, len = 0, dlen = 0;
  uint64_t seq = 0, lack = 0;
  ayil_store_verify_t v;
  ayil_entry_t e;
  json_t *h = json_pack("{s:s, s:s, s:i, s:b}", "kind", "session", "month",
                        "2026-03", "cases_reviewed", 1, "violence_related", 1);
  uint8_t *hb = NULL;
  size_t hl = 0;
  (void)state;
  assert_int_equal(ayil_record_pack(h, &hb, &hl), 0);
  randombytes_buf(id, 16);
  randombytes_buf(sealed, sizeof sealed);
  sealed[99] = 0x55; /* the byte the store's copy loses */
  assert_int_equal(ayil_store_write_local(a, sk, AYIL_OP_PUT, id, hb, hl,
                                          sealed, sizeof sealed, NULL, &seq),
                   0);
  assert_int_equal(seq, 1);
  assert_int_equal(ayil_store_lacking(a, pk, 0, &lack), 0);
  assert_int_equal(lack, 0);
  /* One flipped bit in the stored body. */
  assert_int_equal(sqlite3_exec(ayil__store_db(a),
                                "UPDATE bodies SET sealed=substr(sealed,1,99)"
                                "||x'00'||substr(sealed,101)",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  {
    uint8_t bh[32];
    ayil_entry_t e1;
    assert_int_equal(ayil_store_entry(a, pk, 1, &bytes, &len), 0);
    assert_int_equal(ayil_entry_decode(&e1, bytes, len), 0);
    ayil_body_hash(sealed, sizeof sealed, bh);
    assert_memory_equal(bh, e1.body_hash, 32);
  }
  assert_int_equal(ayil_entry_decode(&e, bytes, len), 0);
  assert_int_equal(ayil_store_body(a, e.record, e.body_hash, &got, &glen),
                   AYIL_EDAMAGED);
  assert_null(got);
  assert_int_equal(ayil_store_verify(a, &v), 0);
  assert_false(v.bad);
  assert_int_equal(v.bodies_checked, 1);
  assert_int_equal(v.bodies_damaged, 1);
  {
    assert_int_equal(v.damage[0].seq, 1);
    assert_memory_equal(v.damage[0].record, id, 16);
    /* Handed out with neither body nor proof, and an alert. */
    assert_int_equal(
        ayil_store_item(a, pk, 1, &entry, &elen, &got, &glen, &proof, &plen),
        0);
    assert_non_null(entry);
    assert_null(got);
    assert_null(proof);
    assert_int_equal(alerts_of(a, "body_damaged"), 1);
    assert_int_equal(ayil_store_lacking(a, pk, 0, &lack), 0);
    assert_int_equal(lack, 1);
    /* A wrong body does not repair it; the right one does. */
    sealed[0] ^= 1;
    assert_int_equal(ayil_store_repair_body(a, pk, 1, sealed, sizeof sealed),
                     AYIL_EDAMAGED);
    sealed[0] ^= 1;
    assert_int_equal(ayil_store_repair_body(a, pk, 1, sealed, sizeof sealed),
                     0);
    assert_int_equal(ayil_store_verify(a, &v), 0);
    assert_int_equal(v.bodies_damaged, 0);
    assert_int_equal(alerts_of(a, "body_damaged"), 0);
    assert_int_equal(ayil_store_lacking(a, pk, 0, &lack), 0);
    assert_int_equal(lack, 0);
  }

  /* b received the entry with its body unavailable. */
  snprintf(path, sizeof path, "%s/db.db", dir);
  unlink(path);
  assert_int_equal(ayil_store_open(&b, path, AYIL_STORE_CREATE), 0);
  assert_int_equal(ayil_store_append_unavailable(b, bytes, len), 0);
  assert_int_equal(alerts_of(b, "body_missing"), 1);
  assert_int_equal(ayil_store_verify(b, &v), 0);
  assert_int_equal(v.bodies_damaged, 0); /* not held is not damage */
  assert_int_equal(ayil_store_lacking(b, pk, 0, &lack), 0);
  assert_int_equal(lack, 1);
  /* The record is deleted: nothing to repair, and a repair stores nothing. */
  assert_int_equal(ayil_store_write_local(a, sk, AYIL_OP_DELETE, id, NULL, 0,
                                          NULL, 0, NULL, &seq),
                   0);
  assert_int_equal(ayil_store_entry(a, pk, 2, &del, &dlen), 0);
  assert_int_equal(ayil_store_append(b, del, dlen, NULL, 0), 0);
  assert_int_equal(ayil_store_lacking(b, pk, 0, &lack), 0);
  assert_int_equal(lack, 0);
  assert_int_equal(ayil_store_repair_body(b, pk, 1, sealed, sizeof sealed), 0);
  assert_int_equal(ayil_store_body(b, e.record, e.body_hash, &got, &glen),
                   AYIL_ENOTFOUND);
  free(entry);
  free(bytes);
  free(del);
  free(hb);
  json_decref(h);
  ayil_store_close(a);
  ayil_store_close(b);
}

/* Held bodies (PROTOCOL.md, "Sync", Records): the store says which
 * entries carry a body an earlier entry of the same log and record brought
 * (one lookup), and an entry received with its body held takes the body
 * stored for that record, never another record's; lacking one, it is
 * stored as unavailable (body_missing, then repair). */
static void test_held_body(void **state) {
  ayil_store_t *a = fresh("ha"), *b = NULL;
  uint8_t r1[16], r2[16], s1[304], s2[304], *got = NULL, *entry = NULL,
                                            *proof = NULL, *bytes = NULL;
  size_t glen = 0, elen = 0, plen = 0, len = 0, i;
  uint64_t seq = 0, lack = 0;
  int held = -1;
  ayil_entry_t e, u;
  json_t *h = json_pack("{s:s, s:s, s:i, s:b}", "kind", "session", "month",
                        "2026-03", "cases_reviewed", 1, "violence_related", 1);
  uint8_t *hb = NULL, bh1[32], bh2[32];
  size_t hl = 0;
  (void)state;
  assert_int_equal(ayil_record_pack(h, &hb, &hl), 0);
  randombytes_buf(r1, 16);
  randombytes_buf(r2, 16);
  randombytes_buf(s1, sizeof s1);
  randombytes_buf(s2, sizeof s2);
  ayil_body_hash(s1, sizeof s1, bh1);
  ayil_body_hash(s2, sizeof s2, bh2);
  /* a: 1 r1 with s1, 2 r2 with s2, 3 r1 keeping s1. */
  assert_int_equal(ayil_store_write_local(a, sk, AYIL_OP_PUT, r1, hb, hl, s1,
                                          sizeof s1, NULL, &seq),
                   0);
  assert_int_equal(ayil_store_write_local(a, sk, AYIL_OP_PUT, r2, hb, hl, s2,
                                          sizeof s2, NULL, &seq),
                   0);
  assert_int_equal(ayil_store_write_local(a, sk, AYIL_OP_PUT, r1, hb, hl, NULL,
                                          0, bh1, &seq),
                   0);
  assert_int_equal(seq, 3);
  for (i = 1; i <= 3; i++) {
    assert_int_equal(ayil_store_item_held(a, pk, i, &entry, &elen, &got, &glen,
                                          &proof, &plen, &held, 0, NULL),
                     0);
    assert_int_equal(held, i == 3);
    assert_non_null(got); /* the body too, for a peer without the form */
    free(entry);
    free(got);
    free(proof);
    /* For a peer that reads the held form, a held body is not read. */
    assert_int_equal(ayil_store_item_held(a, pk, i, &entry, &elen, &got, &glen,
                                          &proof, &plen, &held, 1, NULL),
                     0);
    assert_int_equal(held, i == 3);
    if (i == 3)
      assert_null(got);
    else
      assert_non_null(got);
    assert_non_null(entry);
    free(entry);
    free(got);
    free(proof);
  }

  /* b holds entries 1 and 2 with their bodies, then gets 3 held. */
  snprintf(path, sizeof path, "%s/hb.db", dir);
  assert_int_equal(ayil_store_open(&b, path, AYIL_STORE_CREATE), 0);
  copy_log(a, b, 2);
  assert_int_equal(ayil_store_entry(a, pk, 3, &bytes, &len), 0);
  assert_int_equal(ayil_entry_decode(&e, bytes, len), 0);
  assert_int_equal(ayil_store_append_held(b, &e, bytes, len), 0);
  assert_int_equal(alerts_of(b, "body_missing"), 0);
  assert_int_equal(ayil_store_lacking(b, pk, 0, &lack), 0);
  assert_int_equal(lack, 0);
  assert_int_equal(ayil_store_body(b, r1, bh1, &got, &glen), 0);
  assert_int_equal(glen, sizeof s1);
  assert_memory_equal(got, s1, sizeof s1);
  free(got);
  /* And b, in turn, would send entry 3 held. */
  assert_int_equal(ayil_store_item_held(b, pk, 3, &entry, &elen, &got, &glen,
                                        &proof, &plen, &held, 0, NULL),
                   0);
  assert_int_equal(held, 1);
  free(entry);
  free(got);
  ayil_store_close(b);

  /* An entry of r1 signed with r2's body hash (a misbehaving origin), sent
   * held: r2's body is not taken for r1; r1 lacks a body and says so. */
  snprintf(path, sizeof path, "%s/hc.db", dir);
  assert_int_equal(ayil_store_open(&b, path, AYIL_STORE_CREATE), 0);
  copy_log(a, b, 2);
  {
    uint8_t buf[AYIL_ENTRY_MAX];
    size_t blen = 0;
    u = e;
    memcpy(u.body_hash, bh2, 32);
    assert_int_equal(ayil_entry_sign(&u, sk, buf, sizeof buf, &blen), 0);
    assert_int_equal(ayil_entry_decode(&u, buf, blen), 0);
    assert_int_equal(ayil_store_append_held(b, &u, buf, blen), 0);
  }
  assert_int_equal(alerts_of(b, "body_missing"), 1);
  {
    /* r2's body is still r2's alone. */
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(ayil__store_db(b),
                                        "SELECT record FROM bodies WHERE "
                                        "hash=?1",
                                        -1, &q, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(q, 1, bh2, 32, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_memory_equal(sqlite3_column_blob(q, 0), r2, 16);
    assert_int_equal(sqlite3_step(q), SQLITE_DONE);
    sqlite3_finalize(q);
  }
  ayil_store_close(b);
  free(bytes);
  free(hb);
  json_decref(h);
  ayil_store_close(a);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_append_and_view),
      cmocka_unit_test(test_wal_cut_back),
      cmocka_unit_test(test_reindex_identical),
      cmocka_unit_test(test_verify_every_flip),
      cmocka_unit_test(test_verify_removed),
      cmocka_unit_test(test_append_idempotent_and_fork),
      cmocka_unit_test(test_append_verified),
      cmocka_unit_test(test_damaged_body),
      cmocka_unit_test(test_held_body),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

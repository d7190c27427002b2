/* Record ownership, checked by the store for every caller (store_view.c,
 * ayil_policy_change_ok()): on a hub over its registry, on a committee over
 * the lineage its hub confirmed in signed notices. Every refused entry
 * leaves the store as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "ayil/enrol.h"
#include "ayil/policy.h"
#include "record.h"
#include "registry.h"
#include "store.h"

typedef struct {
  uint8_t pk[32], sk[64];
} keypair_t;

static keypair_t hub, a, a2, b, stranger;
static char dir[] = "/tmp/ayil-test-owner-XXXXXX";
static uint8_t *hdr;
static size_t hlen;

static int setup(void **state) {
  json_t *h;
  (void)state;
  if (sodium_init() < 0 || mkdtemp(dir) == NULL)
    return -1;
  crypto_sign_keypair(hub.pk, hub.sk);
  crypto_sign_keypair(a.pk, a.sk);
  crypto_sign_keypair(a2.pk, a2.sk);
  crypto_sign_keypair(b.pk, b.sk);
  crypto_sign_keypair(stranger.pk, stranger.sk);
  h = json_pack("{s:s, s:s, s:i, s:b}", "kind", "session", "month", "2026-03",
                "cases_reviewed", 1, "violence_related", 1);
  if (h == NULL || ayil_record_pack(h, &hdr, &hlen) != 0)
    return -1;
  json_decref(h);
  return 0;
}

static int teardown(void **state) {
  char cmd[300];
  (void)state;
  free(hdr);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static ayil_store_t *open_as(const char *name, const char *role,
                             const keypair_t *self, const keypair_t *hubkp) {
  ayil_store_t *st = NULL;
  char path[300], id[AYIL_ID_TEXT];
  snprintf(path, sizeof path, "%s/%s.db", dir, name);
  assert_int_equal(ayil_store_open(&st, path, AYIL_STORE_CREATE), 0);
  assert_int_equal(ayil_store_meta_set(st, "role", role), 0);
  ayil_id_to_text(self->pk, id);
  assert_int_equal(ayil_store_meta_set(st, "node_id", id), 0);
  if (hubkp != NULL)
    assert_int_equal(ayil_store_set_hub(st, hubkp->pk), 0);
  return st;
}

static int put(ayil_store_t *st, const keypair_t *k, const uint8_t rec[16]) {
  uint8_t body[48];
  memset(body, 0x33, sizeof body);
  body[0] = k->pk[0];
  return ayil_store_write_local(st, k->sk, AYIL_OP_PUT, rec, hdr, hlen, body,
                                sizeof body, NULL, NULL);
}

static int del(ayil_store_t *st, const keypair_t *k, const uint8_t rec[16]) {
  return ayil_store_write_local(st, k->sk, AYIL_OP_DELETE, rec, NULL, 0, NULL,
                                0, NULL, NULL);
}

static uint64_t head(ayil_store_t *st, const keypair_t *k) {
  uint64_t seq = 99;
  uint8_t h[AYIL_HASH_BYTES];
  assert_int_equal(ayil_store_head(st, k->pk, &seq, h), 0);
  return seq;
}

/* The record's last writer, and whether it is live with a body. */
static void expect_row(ayil_store_t *st, const uint8_t rec[16],
                       const keypair_t *writer, int deleted) {
  ayil_store_row_t row;
  assert_int_equal(ayil_store_record(st, rec, &row), 0);
  assert_memory_equal(row.origin, writer->pk, 32);
  assert_int_equal(row.deleted, deleted);
  if (!deleted) {
    uint8_t *sealed = NULL;
    size_t n = 0;
    assert_int_equal(row.has_body, 1);
    assert_int_equal(ayil_store_body(st, rec, row.body_hash, &sealed, &n), 0);
    free(sealed);
  }
  ayil_store_row_clear(&row);
}

static void enrol(ayil_store_t *st, const char *name, const uint8_t *pred,
                  const keypair_t *dev) {
  ayil_invite_t inv;
  memset(&inv, 0, sizeof inv);
  assert_int_equal(ayil_reg_admit(st, pred == NULL ? name : NULL,
                                  pred == NULL ? "talas" : NULL, NULL, pred, 7,
                                  &inv),
                   0);
  {
    uint8_t got[AYIL_ID_BYTES];
    int admitted = 1;
    /* The operator confirms the device's code ahead of its first contact. */
    assert_int_equal(
        ayil_reg_confirm(st, hub.sk, ayil_enrol_code(dev->pk), got, &admitted),
        0);
    assert_int_equal(admitted, 0);
  }
  assert_int_equal(ayil_reg_redeem(st, hub.sk, inv.token, dev->pk), 0);
}

static void test_hub(void **state) {
  ayil_store_t *st = open_as("hub", "hub", &hub, NULL);
  uint8_t r[16], fresh[16];
  (void)state;
  memset(r, 0x51, sizeof r);
  memset(fresh, 0x52, sizeof fresh);
  enrol(st, "Invented Committee A", NULL, &a);
  enrol(st, "Invented Committee B", NULL, &b);
  assert_int_equal(put(st, &a, r), 0);
  expect_row(st, r, &a, 0);
  /* B's device may neither take A's record over nor delete it. */
  assert_int_equal(put(st, &b, r), AYIL_EOWNER);
  assert_int_equal(del(st, &b, r), AYIL_EOWNER);
  assert_int_equal(head(st, &b), 0); /* nothing of it was stored */
  expect_row(st, r, &a, 0);
  /* The hub's own log holds notices only. */
  assert_int_equal(del(st, &hub, r), AYIL_EOWNER);
  assert_int_equal(put(st, &hub, fresh), AYIL_EOWNER);
  expect_row(st, r, &a, 0);
  /* A successor of A's device carries on its records. */
  enrol(st, NULL, a.pk, &a2);
  assert_int_equal(put(st, &a2, r), 0);
  expect_row(st, r, &a2, 0);
  /* ...and B still may not, after the update. */
  assert_int_equal(del(st, &b, r), AYIL_EOWNER);
  assert_int_equal(del(st, &a2, r), 0);
  expect_row(st, r, &a2, 1);
  /* The view folds the same from the logs again. */
  assert_int_equal(ayil_store_reindex(st), 0);
  expect_row(st, r, &a2, 1);
  ayil_store_close(st);
}

static void test_committee(void **state) {
  ayil_store_t *st = open_as("committee", "committee", &a2, &hub);
  uint8_t r[16], ids[4][AYIL_ID_BYTES];
  size_t n = 9;
  (void)state;
  memset(r, 0x61, sizeof r);
  /* Before the hub confirms it, `a` is a stranger to this device. */
  assert_int_equal(put(st, &a, r), 0);
  assert_int_equal(put(st, &a2, r), AYIL_EOWNER);
  assert_int_equal(ayil_store_lineage(st, ids, 4, &n), 0);
  assert_int_equal(n, 0);
  /* A notice signed by anyone but the hub is refused and confirms nothing. */
  assert_int_equal(ayil_reg_notice(st, stranger.sk, "admit", a2.pk, a.pk),
                   AYIL_EOWNER);
  assert_int_equal(ayil_store_lineage(st, ids, 4, &n), 0);
  assert_int_equal(n, 0);
  /* The hub's notice: a2 carries on a's committee. */
  assert_int_equal(ayil_reg_notice(st, hub.sk, "admit", a2.pk, a.pk), 0);
  assert_int_equal(ayil_store_lineage(st, ids, 4, &n), 0);
  assert_int_equal(n, 1);
  assert_memory_equal(ids[0], a.pk, 32);
  assert_int_equal(put(st, &a2, r), 0);
  expect_row(st, r, &a2, 0);
  /* The hub (compromised) may not delete the Pi's only copy; nor may a
   * stranger. */
  assert_int_equal(del(st, &hub, r), AYIL_EOWNER);
  assert_int_equal(del(st, &stranger, r), AYIL_EOWNER);
  assert_int_equal(head(st, &stranger), 0);
  expect_row(st, r, &a2, 0);
  ayil_store_close(st);
}

/* An update that replaces the identifying fields purges the superseded
 * body, here and at every node that takes the update: the update is the
 * proof, as a delete would be. */
static void test_superseded_body(void **state) {
  ayil_store_t *st = open_as("supersede", "committee", &a, &hub);
  ayil_store_t *other = open_as("supersede2", "hub", &hub, NULL);
  uint8_t r[16], b1[40], b2[40], *e1 = NULL, *e2 = NULL, *body = NULL,
                                 *proof = NULL, *ent = NULL;
  size_t l1 = 0, l2 = 0, bl = 0, pl = 0, el = 0;
  ayil_store_row_t row;
  ayil_policy_view_t v;
  uint8_t h1[AYIL_HASH_BYTES];
  (void)state;
  memset(r, 0x81, sizeof r);
  memset(b1, 0x01, sizeof b1);
  memset(b2, 0x02, sizeof b2);
  assert_int_equal(ayil_store_write_local(st, a.sk, AYIL_OP_PUT, r, hdr, hlen,
                                          b1, sizeof b1, NULL, NULL),
                   0);
  ayil_body_hash(b1, sizeof b1, h1);
  assert_int_equal(ayil_store_body(st, r, h1, &body, &bl), 0);
  free(body);
  body = NULL;
  assert_int_equal(ayil_store_write_local(st, a.sk, AYIL_OP_PUT, r, hdr, hlen,
                                          b2, sizeof b2, NULL, NULL),
                   0);
  /* The old body is gone; the record reads the new one. */
  assert_int_equal(ayil_store_body(st, r, h1, &body, &bl), AYIL_ENOTFOUND);
  assert_int_equal(ayil_store_record(st, r, &row), 0);
  assert_int_equal(row.has_body, 1);
  ayil_store_row_clear(&row);
  /* What a peer gets for the first put: no body, the update as proof. */
  assert_int_equal(
      ayil_store_item(st, a.pk, 1, &ent, &el, &body, &bl, &proof, &pl), 0);
  assert_null(body);
  assert_non_null(proof);
  assert_int_equal(ayil_store_entry(st, a.pk, 2, &e2, &l2), 0);
  assert_int_equal(pl, l2);
  assert_memory_equal(proof, e2, l2);
  /* Another node takes the first put with that proof, not with a put that
   * kept the same body. */
  memset(&v, 0, sizeof v);
  v.role = AYIL_POLICY_HUB;
  v.self = hub.pk;
  v.peer = a.pk;
  assert_int_equal(ayil_store_entry(st, a.pk, 1, &e1, &l1), 0);
  assert_int_equal(ayil_store_append_purged(other, &v, e1, l1, e1, l1),
                   AYIL_EPEER);
  assert_int_equal(ayil_store_append_purged(other, &v, e1, l1, proof, pl), 0);
  free(e1);
  free(e2);
  free(ent);
  free(proof);
  ayil_store_close(st);
  ayil_store_close(other);
}

/* A stolen device key signs deletes; the operator rolls back what it
 * signed after the theft (revoke --after): the records live again, with
 * their bodies from the hub's quarantine. Quarantine expires. */
static void test_rollback(void **state) {
  ayil_store_t *st = open_as("rollback", "hub", &hub, NULL);
  uint8_t r1[16], r2[16];
  uint64_t rolled = 0;
  ayil_device_t d;
  int n = -1;
  (void)state;
  memset(r1, 0x91, sizeof r1);
  memset(r2, 0x92, sizeof r2);
  enrol(st, "Invented Committee R", NULL, &a);
  assert_int_equal(put(st, &a, r1), 0); /* seq 1 */
  assert_int_equal(put(st, &a, r2), 0); /* seq 2 */
  /* The thief, with a's key: */
  assert_int_equal(del(st, &a, r1), 0); /* seq 3 */
  assert_int_equal(del(st, &a, r2), 0); /* seq 4 */
  expect_row(st, r1, &a, 1);
  assert_int_equal(ayil_reg_revoke(st, hub.sk, a.pk, &(uint64_t){2}, &rolled),
                   0);
  assert_int_equal(rolled, 2);
  assert_int_equal(head(st, &a), 2);
  expect_row(st, r1, &a, 0); /* live again, its body back */
  expect_row(st, r2, &a, 0);
  assert_int_equal(ayil_reg_device(st, a.pk, &d), 0);
  assert_string_equal(d.state, AYIL_DEV_REVOKED);
  assert_int_equal(d.revoked_after, 2);
  assert_int_equal(d.rolled_back, 2);
  /* Entries after the cut are refused from now on (the policy's stop). */
  assert_int_equal(ayil_store_quarantine_expire(st, INT64_MAX, &n), 0);
  assert_int_equal(n, 0); /* the restored bodies left quarantine */
  assert_int_equal(del(st, &a, r1), 0); /* a local write is not the policy */
  assert_int_equal(ayil_store_quarantine_expire(st, 0, &n), 0);
  assert_int_equal(n, 0); /* purged now, not before 1970 */
  assert_int_equal(ayil_store_quarantine_expire(st, INT64_MAX, &n), 0);
  assert_int_equal(n, 1);
  ayil_store_close(st);
}

/* A store that says nothing of who it is: only a record's owner. */
static void test_no_role(void **state) {
  ayil_store_t *st = NULL;
  char path[300];
  uint8_t r[16];
  (void)state;
  memset(r, 0x71, sizeof r);
  snprintf(path, sizeof path, "%s/bare.db", dir);
  assert_int_equal(ayil_store_open(&st, path, AYIL_STORE_CREATE), 0);
  assert_int_equal(put(st, &a, r), 0);
  assert_int_equal(put(st, &a2, r), AYIL_EOWNER);
  assert_int_equal(del(st, &b, r), AYIL_EOWNER);
  assert_int_equal(del(st, &a, r), 0);
  {
    /* The writer coarsens ts to the UTC day (PROTOCOL.md, "ts"). */
    uint8_t *bytes = NULL;
    size_t len = 0;
    ayil_entry_t e;
    assert_int_equal(ayil_store_entry(st, a.pk, 1, &bytes, &len), 0);
    assert_int_equal(ayil_entry_decode(&e, bytes, len), 0);
    assert_int_equal(e.ts_ms % AYIL_TS_DAY_MS, 0);
    assert_true(e.ts_ms > 1767225600000ull); /* 2026-01-01 */
    free(bytes);
  }
  ayil_store_close(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hub),
      cmocka_unit_test(test_committee),
      cmocka_unit_test(test_superseded_body),
      cmocka_unit_test(test_rollback),
      cmocka_unit_test(test_no_role),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

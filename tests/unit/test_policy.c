/* The replication policy (proto/policy.c): the offer/want tables of a hub
 * and a committee, successors, revoked devices, forks, acceptance, purge
 * proofs; and the store, which refuses a purge without a valid proof. The
 * national tier: the uplink and peer_hub tables, a hub's log holding
 * notices only at every tier. */
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

#include "ayil/policy.h"
#include "record.h"
#include "store.h"

typedef struct {
  uint8_t pk[32], sk[64];
} keypair_t;

/* hub, committee devices: old (replaced), cur (the peer), other committee
 * device, a stranger */
static keypair_t hub, old, cur, stranger;
static uint8_t forked_id[32];
static int forked_on;

static int setup(void **state) {
  (void)state;
  if (sodium_init() < 0)
    return -1;
  crypto_sign_keypair(hub.pk, hub.sk);
  crypto_sign_keypair(old.pk, old.sk);
  crypto_sign_keypair(cur.pk, cur.sk);
  crypto_sign_keypair(stranger.pk, stranger.sk);
  return 0;
}

static int is_forked(void *ctx, const uint8_t origin[AYIL_ID_BYTES]) {
  (void)ctx;
  return forked_on && memcmp(origin, forked_id, 32) == 0;
}

/* The hub's view of `cur`, whose committee had `old` before it (stopped
 * after seq 7). */
static void hub_view(ayil_policy_view_t *v, ayil_policy_device_t dev[2]) {
  memset(v, 0, sizeof *v);
  memset(dev, 0, 2 * sizeof dev[0]);
  memcpy(dev[0].id, old.pk, 32);
  dev[0].stopped = 1;
  dev[0].stopped_after = 7;
  memcpy(dev[1].id, cur.pk, 32);
  v->role = AYIL_POLICY_HUB;
  v->self = hub.pk;
  v->peer = cur.pk;
  v->devices = dev;
  v->ndevices = 2;
  v->forked = is_forked;
}

/* `cur`, whose predecessor `old` the hub confirmed in a notice. */
static ayil_policy_device_t preds[1];
static void committee_view(ayil_policy_view_t *v) {
  memset(v, 0, sizeof *v);
  memset(preds, 0, sizeof preds);
  memcpy(preds[0].id, old.pk, 32);
  v->role = AYIL_POLICY_COMMITTEE;
  v->self = cur.pk;
  v->hub = hub.pk;
  v->peer = hub.pk;
  v->devices = preds;
  v->ndevices = 1;
  v->forked = is_forked;
}

static void test_hub_table(void **state) {
  ayil_policy_view_t v;
  ayil_policy_device_t dev[2];
  ayil_sync_origin_t o[4];
  size_t n = 0;
  (void)state;
  forked_on = 0;
  hub_view(&v, dev);
  assert_int_equal(ayil_policy_origins(&v, o, 4, &n), 0);
  /* Every log of the committee goes down (the peer's too), only the peer's
   * own comes up; the hub's own log goes down. In this order. */
  assert_int_equal(n, 3);
  assert_memory_equal(o[0].id, old.pk, 32);
  assert_int_equal(o[0].flags, AYIL_SYNC_OFFER);
  assert_memory_equal(o[1].id, cur.pk, 32);
  assert_int_equal(o[1].flags, AYIL_SYNC_OFFER | AYIL_SYNC_WANT);
  assert_memory_equal(o[2].id, hub.pk, 32);
  assert_int_equal(o[2].flags, AYIL_SYNC_OFFER);
  /* Its own log goes sparse to a device that asks: the notices naming a
   * device of the peer's committee, no other. */
  assert_int_equal(ayil_policy_sparse(&v, hub.pk), 1);
  assert_int_equal(ayil_policy_sparse(&v, cur.pk), 0);
  assert_int_equal(ayil_policy_notice_for(&v, cur.pk), 1);
  assert_int_equal(ayil_policy_notice_for(&v, old.pk), 1);
  assert_int_equal(ayil_policy_notice_for(&v, stranger.pk), 0);
  v.peer_hub = 1; /* between tiers of hubs nothing is sparse */
  assert_int_equal(ayil_policy_sparse(&v, hub.pk), 0);
  assert_int_equal(ayil_policy_notice_for(&v, cur.pk), 0);
  v.peer_hub = 0;
  /* A hub takes nothing it did not list. */
  assert_int_equal(ayil_policy_discover(&v, stranger.pk), 0);
  assert_int_equal(ayil_policy_flags(&v, stranger.pk), 0);
  /* Too small a buffer: counted, not written past. */
  assert_int_equal(ayil_policy_origins(&v, o, 1, &n), 0);
  assert_int_equal(n, 3);
  /* The peer's log forked: still offered, no longer wanted. */
  forked_on = 1;
  memcpy(forked_id, cur.pk, 32);
  assert_int_equal(ayil_policy_origins(&v, o, 4, &n), 0);
  assert_int_equal(o[1].flags, AYIL_SYNC_OFFER);
  forked_on = 0;
  /* A peer that is no registered device gets only the hub's log. */
  v.ndevices = 0;
  v.peer = stranger.pk;
  assert_int_equal(ayil_policy_origins(&v, o, 4, &n), 0);
  assert_int_equal(n, 1);
  assert_memory_equal(o[0].id, hub.pk, 32);
  assert_int_equal(o[0].flags, AYIL_SYNC_OFFER);
  /* ... whole: a stranger has no committee to filter for. */
  assert_int_equal(ayil_policy_sparse(&v, hub.pk), 0);
}

static void test_committee_table(void **state) {
  ayil_policy_view_t v;
  ayil_sync_origin_t o[4];
  size_t n = 0;
  (void)state;
  forked_on = 0;
  committee_view(&v);
  assert_int_equal(ayil_policy_origins(&v, o, 4, &n), 0);
  assert_int_equal(n, 3);
  assert_memory_equal(o[0].id, cur.pk, 32);
  assert_int_equal(o[0].flags, AYIL_SYNC_OFFER); /* not WANT: its own */
  assert_memory_equal(o[1].id, hub.pk, 32);
  /* The hub's notices, sparse: only those naming this committee. */
  assert_int_equal(o[1].flags, AYIL_SYNC_WANT | AYIL_SYNC_SPARSE);
  assert_int_equal(ayil_policy_sparse(&v, hub.pk), 1);
  assert_int_equal(ayil_policy_sparse(&v, old.pk), 0);
  assert_int_equal(ayil_policy_sparse(&v, cur.pk), 0);
  /* The confirmed predecessor's log is wanted. */
  assert_memory_equal(o[2].id, old.pk, 32);
  assert_int_equal(o[2].flags, AYIL_SYNC_WANT);
  /* Nothing the hub names beyond these: not a stranger's log, not its own. */
  assert_int_equal(ayil_policy_discover(&v, stranger.pk), 0);
  assert_int_equal(ayil_policy_discover(&v, cur.pk), 0);
  assert_int_equal(ayil_policy_flags(&v, stranger.pk), 0);
  /* Before the hub's notice confirms it, a predecessor is a stranger. */
  v.ndevices = 0;
  assert_int_equal(ayil_policy_flags(&v, old.pk), 0);
  v.ndevices = 1;
  forked_on = 1;
  memcpy(forked_id, old.pk, 32);
  assert_int_equal(ayil_policy_origins(&v, o, 4, &n), 0);
  assert_int_equal(n, 2);
  assert_int_equal(ayil_policy_flags(&v, old.pk), 0);
  forked_on = 0;
  /* A bad view is refused, not guessed. */
  v.hub = NULL;
  assert_int_equal(ayil_policy_origins(&v, o, 4, &n), AYIL_EINVAL);
}

static void test_accept(void **state) {
  ayil_policy_view_t v;
  ayil_policy_device_t dev[2];
  (void)state;
  forked_on = 0;
  hub_view(&v, dev);
  assert_int_equal(ayil_policy_accept(&v, cur.pk, 1), 0);
  assert_int_equal(ayil_policy_accept(&v, cur.pk, 1000000), 0);
  /* Only the peer's own log comes up, not its predecessor's. */
  assert_int_equal(ayil_policy_accept(&v, old.pk, 1), AYIL_EPERM);
  assert_int_equal(ayil_policy_accept(&v, hub.pk, 1), AYIL_EPERM);
  assert_int_equal(ayil_policy_accept(&v, stranger.pk, 1), AYIL_EPERM);
  /* The replaced device writing its own bundle: up to where it stopped. */
  v.peer = old.pk;
  assert_int_equal(ayil_policy_accept(&v, old.pk, 7), 0);
  assert_int_equal(ayil_policy_accept(&v, old.pk, 8), AYIL_EREVOKED);
  forked_on = 1;
  memcpy(forked_id, old.pk, 32);
  assert_int_equal(ayil_policy_accept(&v, old.pk, 1), AYIL_EFORK);
  forked_on = 0;
  committee_view(&v);
  assert_int_equal(ayil_policy_accept(&v, hub.pk, 3), 0);
  assert_int_equal(ayil_policy_accept(&v, old.pk, 3), 0);
  assert_int_equal(ayil_policy_accept(&v, cur.pk, 3), AYIL_EPERM);
  assert_int_equal(ayil_policy_accept(&v, stranger.pk, 1), AYIL_EPERM);
}

/* Ownership: who may change a record (include/ayil/policy.h). */
static void test_ownership(void **state) {
  ayil_policy_view_t v;
  ayil_policy_device_t dev[2];
  (void)state;
  forked_on = 0;
  hub_view(&v, dev);
  /* A new record belongs to its creator; the owner may change it. */
  assert_int_equal(ayil_policy_change_ok(&v, NULL, cur.pk, AYIL_OP_PUT), 0);
  assert_int_equal(ayil_policy_change_ok(&v, cur.pk, cur.pk, AYIL_OP_PUT), 0);
  assert_int_equal(ayil_policy_change_ok(&v, cur.pk, cur.pk, AYIL_OP_DELETE),
                   0);
  /* A successor in the same committee may change its predecessor's. */
  assert_int_equal(ayil_policy_change_ok(&v, old.pk, cur.pk, AYIL_OP_PUT), 0);
  assert_int_equal(ayil_policy_change_ok(&v, old.pk, cur.pk, AYIL_OP_DELETE),
                   0);
  /* Another committee's device may not, nor a stranger. */
  assert_int_equal(ayil_policy_change_ok(&v, cur.pk, stranger.pk, AYIL_OP_PUT),
                   AYIL_EOWNER);
  assert_int_equal(
      ayil_policy_change_ok(&v, cur.pk, stranger.pk, AYIL_OP_DELETE),
      AYIL_EOWNER);
  /* The hub's log holds notices only: no put, no delete, not even of a
   * record it would create; and only the hub writes notices. */
  assert_int_equal(ayil_policy_change_ok(&v, cur.pk, hub.pk, AYIL_OP_DELETE),
                   AYIL_EOWNER);
  assert_int_equal(ayil_policy_change_ok(&v, NULL, hub.pk, AYIL_OP_PUT),
                   AYIL_EOWNER);
  assert_int_equal(ayil_policy_change_ok(&v, NULL, hub.pk, AYIL_OP_NOTICE), 0);
  assert_int_equal(ayil_policy_change_ok(&v, NULL, cur.pk, AYIL_OP_NOTICE),
                   AYIL_EOWNER);
  /* The same rule on a committee, over its lineage. */
  committee_view(&v);
  assert_int_equal(ayil_policy_change_ok(&v, old.pk, cur.pk, AYIL_OP_PUT), 0);
  assert_int_equal(ayil_policy_change_ok(&v, cur.pk, hub.pk, AYIL_OP_DELETE),
                   AYIL_EOWNER);
  assert_int_equal(
      ayil_policy_change_ok(&v, old.pk, stranger.pk, AYIL_OP_DELETE),
      AYIL_EOWNER);
  assert_int_equal(ayil_policy_change_ok(&v, NULL, hub.pk, AYIL_OP_NOTICE), 0);
  /* No role: only the owner. */
  memset(&v, 0, sizeof v);
  assert_int_equal(ayil_policy_change_ok(&v, old.pk, cur.pk, AYIL_OP_PUT),
                   AYIL_EOWNER);
  assert_int_equal(ayil_policy_change_ok(&v, old.pk, old.pk, AYIL_OP_PUT), 0);
}

/* Signs entry `seq` of k's log for `record` (a body hash with `body`). */
static void make(const keypair_t *k, uint64_t seq, uint8_t rec_byte,
                 uint32_t op, int body, uint8_t *buf, size_t *len) {
  static const uint8_t header[] = {0x81, 0xa1, 'k', 0x02};
  ayil_entry_t e;
  memset(&e, 0, sizeof e);
  memcpy(e.origin, k->pk, 32);
  e.seq = seq;
  memset(e.prev, seq > 1 ? 0x11 : 0, 32);
  e.ts_ms = 1000 + seq;
  memset(e.record, rec_byte, sizeof e.record);
  e.op = op;
  e.codes_version = 1;
  if (op != AYIL_OP_DELETE) {
    e.header = header;
    e.header_len = sizeof header;
  }
  if (body) {
    e.has_body = 1;
    memset(e.body_hash, 0x42, 32);
  }
  assert_int_equal(ayil_entry_sign(&e, k->sk, buf, AYIL_ENTRY_MAX, len), 0);
}

static void test_purge_proofs(void **state) {
  ayil_policy_view_t v;
  ayil_policy_device_t dev[2];
  uint8_t put[AYIL_ENTRY_MAX], del[AYIL_ENTRY_MAX];
  size_t plen = 0, dlen = 0;
  (void)state;
  forked_on = 0;
  committee_view(&v);
  v.self = stranger.pk; /* a node holding `old`'s and `cur`'s logs */
  make(&old, 3, 0xaa, AYIL_OP_PUT, 1, put, &plen);
  /* Valid: a DELETE of the record later in the same log. */
  make(&old, 5, 0xaa, AYIL_OP_DELETE, 0, del, &dlen);
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), 0);
  /* Valid: the successor deleted it (the committee's lineage). */
  v.self = cur.pk;
  make(&cur, 2, 0xaa, AYIL_OP_DELETE, 0, del, &dlen);
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), 0);
  /* A DELETE earlier in the same log than the purged entry. */
  make(&old, 2, 0xaa, AYIL_OP_DELETE, 0, del, &dlen);
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), AYIL_EPEER);
  make(&old, 3, 0xaa, AYIL_OP_DELETE, 0, del, &dlen);
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), AYIL_EPEER);
  /* A DELETE of another record. */
  make(&old, 5, 0xab, AYIL_OP_DELETE, 0, del, &dlen);
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), AYIL_EPEER);
  /* A later put that kept the same body is no proof; one that superseded
   * it (here: no body any more) is. */
  make(&old, 5, 0xaa, AYIL_OP_PUT, 1, del, &dlen);
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), AYIL_EPEER);
  make(&old, 5, 0xaa, AYIL_OP_PUT, 0, del, &dlen);
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), 0);
  /* Not a put or a delete. */
  make(&old, 5, 0xaa, AYIL_OP_NOTICE, 0, del, &dlen);
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), AYIL_EPEER);
  /* A bad signature. */
  make(&old, 5, 0xaa, AYIL_OP_DELETE, 0, del, &dlen);
  del[dlen - 1] ^= 1;
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), AYIL_ESIG);
  /* A DELETE from a key that may not change the record: a stranger (not of
   * the committee), the hub, or a stopped device past its stop. */
  hub_view(&v, dev);
  make(&cur, 3, 0xbb, AYIL_OP_PUT, 1, put, &plen);
  make(&stranger, 9, 0xbb, AYIL_OP_DELETE, 0, del, &dlen);
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), AYIL_EOWNER);
  make(&hub, 9, 0xbb, AYIL_OP_DELETE, 0, del, &dlen);
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), AYIL_EOWNER);
  make(&old, 9, 0xbb, AYIL_OP_DELETE, 0, del, &dlen);
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen),
                   AYIL_EREVOKED);
  make(&old, 6, 0xbb, AYIL_OP_DELETE, 0, del, &dlen);
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), 0);
  /* ...and on a committee, a hub's DELETE purges nothing. */
  committee_view(&v);
  make(&old, 3, 0xaa, AYIL_OP_PUT, 1, put, &plen);
  make(&hub, 2, 0xaa, AYIL_OP_DELETE, 0, del, &dlen);
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), AYIL_EOWNER);
  make(&cur, 2, 0xaa, AYIL_OP_DELETE, 0, del, &dlen);
  /* No proof, truncated proof, an entry without a body. */
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, NULL, 0), AYIL_EPEER);
  assert_int_not_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen - 3), 0);
  make(&old, 3, 0xaa, AYIL_OP_PUT, 0, put, &plen);
  make(&old, 5, 0xaa, AYIL_OP_DELETE, 0, del, &dlen);
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), AYIL_EPEER);
}

/* ---- the store refuses a purge without a valid proof ------------------ */

static char dir[] = "/tmp/ayil-test-policy-XXXXXX";

static ayil_store_t *open_at(const char *name) {
  ayil_store_t *st = NULL;
  char path[256];
  snprintf(path, sizeof path, "%s/%s.db", dir, name);
  assert_int_equal(ayil_store_open(&st, path, AYIL_STORE_CREATE), 0);
  return st;
}

static int count_records(ayil_store_t *st) {
  int n = 0;
  ayil_store_row_t row;
  uint8_t id[16];
  memset(id, 0x5a, sizeof id);
  if (ayil_store_record(st, id, &row) == 0) {
    n = 1;
    ayil_store_row_clear(&row);
  }
  return n;
}

/* ---- the national tier ------------------------------------------------
 * `hub` is the regional hub here, `nat` the national hub above it, `cur`
 * and `other` devices of two of its committees, `old` a regional hub
 * admitted beside it (another hub below the national hub). */
static keypair_t nat, other;

static int tier_is_hub(void *ctx, const uint8_t id[AYIL_ID_BYTES]) {
  (void)ctx;
  return memcmp(id, hub.pk, 32) == 0 || memcmp(id, nat.pk, 32) == 0 ||
         memcmp(id, old.pk, 32) == 0;
}

/* The regional hub facing the national hub: every log it forwards. */
static void uplink_view(ayil_policy_view_t *v, ayil_policy_device_t dev[2]) {
  memset(v, 0, sizeof *v);
  memset(dev, 0, 2 * sizeof dev[0]);
  memcpy(dev[0].id, cur.pk, 32);
  memcpy(dev[1].id, other.pk, 32);
  v->role = AYIL_POLICY_UPLINK;
  v->self = hub.pk;
  v->hub = nat.pk;
  v->peer = nat.pk;
  v->devices = dev;
  v->ndevices = 2;
  v->forked = is_forked;
}

/* The national hub facing the regional hub: the peer's log, then every
 * log its notices admitted. */
static void nat_view(ayil_policy_view_t *v, ayil_policy_device_t dev[3]) {
  memset(v, 0, sizeof *v);
  memset(dev, 0, 3 * sizeof dev[0]);
  memcpy(dev[0].id, hub.pk, 32);
  memcpy(dev[1].id, cur.pk, 32);
  memcpy(dev[2].id, other.pk, 32);
  v->role = AYIL_POLICY_HUB;
  v->peer_hub = 1;
  v->self = nat.pk;
  v->peer = hub.pk;
  v->devices = dev;
  v->ndevices = 3;
  v->forked = is_forked;
}

static void test_uplink_table(void **state) {
  ayil_policy_view_t v;
  ayil_policy_device_t dev[2];
  ayil_sync_origin_t o[6];
  size_t n = 0;
  (void)state;
  forked_on = 0;
  crypto_sign_keypair(nat.pk, nat.sk);
  crypto_sign_keypair(other.pk, other.sk);
  uplink_view(&v, dev);
  assert_int_equal(ayil_policy_origins(&v, o, 6, &n), 0);
  /* Its own log goes up, the national hub's comes down; every committee
   * log goes up and is wanted back (a replacement gets its history). */
  assert_int_equal(n, 4);
  assert_memory_equal(o[0].id, hub.pk, 32);
  assert_int_equal(o[0].flags, AYIL_SYNC_OFFER);
  assert_memory_equal(o[1].id, nat.pk, 32);
  assert_int_equal(o[1].flags, AYIL_SYNC_WANT);
  assert_memory_equal(o[2].id, cur.pk, 32);
  assert_int_equal(o[2].flags, AYIL_SYNC_OFFER | AYIL_SYNC_WANT);
  assert_memory_equal(o[3].id, other.pk, 32);
  assert_int_equal(o[3].flags, AYIL_SYNC_OFFER | AYIL_SYNC_WANT);
  assert_int_equal(ayil_policy_flags(&v, stranger.pk), 0);
  /* A forked committee log: still forwarded, no longer wanted. */
  forked_on = 1;
  memcpy(forked_id, cur.pk, 32);
  assert_int_equal(ayil_policy_origins(&v, o, 6, &n), 0);
  assert_int_equal(n, 4);
  assert_int_equal(ayil_policy_flags(&v, cur.pk), AYIL_SYNC_OFFER);
  assert_int_equal(ayil_policy_accept(&v, cur.pk, 1), AYIL_EFORK);
  /* The national hub's log forked: not wanted, so not listed. */
  memcpy(forked_id, nat.pk, 32);
  assert_int_equal(ayil_policy_origins(&v, o, 6, &n), 0);
  assert_int_equal(n, 3);
  assert_int_equal(ayil_policy_flags(&v, nat.pk), 0);
  forked_on = 0;
  /* Its own id or the hub above among the devices: named once. */
  memcpy(dev[1].id, nat.pk, 32);
  assert_int_equal(ayil_policy_origins(&v, o, 6, &n), 0);
  assert_int_equal(n, 3);
  uplink_view(&v, dev);
  assert_int_equal(ayil_policy_accept(&v, nat.pk, 4), 0);
  assert_int_equal(ayil_policy_accept(&v, other.pk, 9), 0);
  assert_int_equal(ayil_policy_accept(&v, hub.pk, 1), AYIL_EPERM);
  assert_int_equal(ayil_policy_accept(&v, stranger.pk, 1), AYIL_EPERM);
  /* An uplink view without the hub above is refused, not guessed. */
  v.hub = NULL;
  assert_int_equal(ayil_policy_origins(&v, o, 6, &n), AYIL_EINVAL);
  assert_int_equal(ayil_policy_accept(&v, cur.pk, 1), AYIL_EINVAL);
}

static void test_peer_hub_table(void **state) {
  ayil_policy_view_t v;
  ayil_policy_device_t dev[3];
  ayil_sync_origin_t o[6];
  size_t n = 0;
  (void)state;
  forked_on = 0;
  nat_view(&v, dev);
  assert_int_equal(ayil_policy_origins(&v, o, 6, &n), 0);
  /* Every log under the regional hub both ways, its own first; the
   * national hub's own log goes down. */
  assert_int_equal(n, 4);
  assert_memory_equal(o[0].id, hub.pk, 32);
  assert_int_equal(o[0].flags, AYIL_SYNC_OFFER | AYIL_SYNC_WANT);
  assert_memory_equal(o[1].id, cur.pk, 32);
  assert_int_equal(o[1].flags, AYIL_SYNC_OFFER | AYIL_SYNC_WANT);
  assert_memory_equal(o[2].id, other.pk, 32);
  assert_int_equal(o[2].flags, AYIL_SYNC_OFFER | AYIL_SYNC_WANT);
  assert_memory_equal(o[3].id, nat.pk, 32);
  assert_int_equal(o[3].flags, AYIL_SYNC_OFFER);
  assert_int_equal(ayil_policy_flags(&v, stranger.pk), 0);
  assert_int_equal(ayil_policy_accept(&v, hub.pk, 1), 0);
  assert_int_equal(ayil_policy_accept(&v, other.pk, 12), 0);
  assert_int_equal(ayil_policy_accept(&v, nat.pk, 1), AYIL_EPERM);
  assert_int_equal(ayil_policy_accept(&v, stranger.pk, 1), AYIL_EPERM);
  /* A forked device under it: offered, neither wanted nor accepted. */
  forked_on = 1;
  memcpy(forked_id, other.pk, 32);
  assert_int_equal(ayil_policy_flags(&v, other.pk), AYIL_SYNC_OFFER);
  assert_int_equal(ayil_policy_accept(&v, other.pk, 1), AYIL_EFORK);
  forked_on = 0;
  /* The regional hub's own device stopped (revoked here): nothing past
   * its stop. */
  dev[0].stopped = 1;
  dev[0].stopped_after = 5;
  assert_int_equal(ayil_policy_accept(&v, hub.pk, 5), 0);
  assert_int_equal(ayil_policy_accept(&v, hub.pk, 6), AYIL_EREVOKED);
}

/* A hub's log holds notices only, at every tier: puts and deletes from a
 * hub below or the hub above are refused; their notices are taken. */
static void test_tier_ownership(void **state) {
  ayil_policy_view_t v;
  ayil_policy_device_t dev[3];
  const uint32_t ops[2] = {AYIL_OP_PUT, AYIL_OP_DELETE};
  int i;
  (void)state;
  forked_on = 0;
  /* At the national hub, knowing the hubs below (is_hub). */
  nat_view(&v, dev);
  v.is_hub = tier_is_hub;
  for (i = 0; i < 2; i++) {
    assert_int_equal(ayil_policy_change_ok(&v, NULL, hub.pk, ops[i]),
                     AYIL_EOWNER);
    assert_int_equal(ayil_policy_change_ok(&v, cur.pk, hub.pk, ops[i]),
                     AYIL_EOWNER);
    assert_int_equal(ayil_policy_change_ok(&v, cur.pk, old.pk, ops[i]),
                     AYIL_EOWNER);
    assert_int_equal(ayil_policy_change_ok(&v, cur.pk, nat.pk, ops[i]),
                     AYIL_EOWNER);
  }
  assert_int_equal(ayil_policy_change_ok(&v, NULL, hub.pk, AYIL_OP_NOTICE), 0);
  assert_int_equal(ayil_policy_change_ok(&v, NULL, old.pk, AYIL_OP_NOTICE), 0);
  assert_int_equal(ayil_policy_change_ok(&v, NULL, cur.pk, AYIL_OP_NOTICE),
                   AYIL_EOWNER);
  assert_int_equal(ayil_policy_change_ok(&v, NULL, cur.pk, AYIL_OP_PUT), 0);
  assert_int_equal(ayil_policy_change_ok(&v, cur.pk, cur.pk, AYIL_OP_DELETE),
                   0);
  /* Without is_hub the peer of a peer_hub view is still a hub: its puts
   * are refused, its notices taken; and two logs under it are not one
   * committee's unless kin() says so (they are many committees'). */
  v.is_hub = NULL;
  assert_int_equal(ayil_policy_change_ok(&v, NULL, hub.pk, AYIL_OP_PUT),
                   AYIL_EOWNER);
  assert_int_equal(ayil_policy_change_ok(&v, cur.pk, hub.pk, AYIL_OP_DELETE),
                   AYIL_EOWNER);
  assert_int_equal(ayil_policy_change_ok(&v, NULL, hub.pk, AYIL_OP_NOTICE), 0);
  assert_int_equal(ayil_policy_change_ok(&v, cur.pk, other.pk, AYIL_OP_PUT),
                   AYIL_EOWNER);
  assert_int_equal(ayil_policy_kin(&v, cur.pk, other.pk), 0);
  assert_int_equal(ayil_policy_kin(&v, cur.pk, cur.pk), 1);
  /* At the regional hub facing the national hub: the hub above's puts and
   * deletes are refused, its notices taken; a committee's put is not. */
  uplink_view(&v, dev);
  for (i = 0; i < 2; i++) {
    assert_int_equal(ayil_policy_change_ok(&v, NULL, nat.pk, ops[i]),
                     AYIL_EOWNER);
    assert_int_equal(ayil_policy_change_ok(&v, cur.pk, nat.pk, ops[i]),
                     AYIL_EOWNER);
    assert_int_equal(ayil_policy_change_ok(&v, cur.pk, hub.pk, ops[i]),
                     AYIL_EOWNER);
  }
  assert_int_equal(ayil_policy_change_ok(&v, NULL, nat.pk, AYIL_OP_NOTICE), 0);
  assert_int_equal(ayil_policy_change_ok(&v, NULL, cur.pk, AYIL_OP_PUT), 0);
  assert_int_equal(ayil_policy_change_ok(&v, cur.pk, other.pk, AYIL_OP_PUT),
                   AYIL_EOWNER);
  /* At the regional hub facing a committee, the hub above named: the same. */
  hub_view(&v, dev);
  v.hub = nat.pk;
  assert_int_equal(ayil_policy_change_ok(&v, cur.pk, nat.pk, AYIL_OP_PUT),
                   AYIL_EOWNER);
  assert_int_equal(ayil_policy_change_ok(&v, NULL, nat.pk, AYIL_OP_NOTICE), 0);
  assert_int_equal(ayil_policy_change_ok(&v, cur.pk, cur.pk, AYIL_OP_PUT), 0);
}

/* A purge proof signed by the regional hub (a delete of a committee's
 * record in its own log) proves nothing at the national hub. */
static void test_tier_purge(void **state) {
  ayil_policy_view_t v;
  ayil_policy_device_t dev[3];
  uint8_t put[AYIL_ENTRY_MAX], del[AYIL_ENTRY_MAX];
  size_t plen = 0, dlen = 0;
  (void)state;
  forked_on = 0;
  nat_view(&v, dev);
  make(&cur, 3, 0xbb, AYIL_OP_PUT, 1, put, &plen);
  make(&hub, 4, 0xbb, AYIL_OP_DELETE, 0, del, &dlen);
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), AYIL_EOWNER);
  v.is_hub = tier_is_hub;
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), AYIL_EOWNER);
  /* Nor one by another committee's device under the same hub. */
  make(&other, 4, 0xbb, AYIL_OP_DELETE, 0, del, &dlen);
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), AYIL_EOWNER);
  /* The owner's own later delete does. */
  make(&cur, 9, 0xbb, AYIL_OP_DELETE, 0, del, &dlen);
  assert_int_equal(ayil_policy_purge_ok(&v, put, plen, del, dlen), 0);
}

static void test_store_refuses_unproven_purge(void **state) {
  ayil_store_t *a, *b;
  ayil_policy_view_t v;
  ayil_policy_device_t dev[2];
  json_t *h = json_pack("{s:s, s:s, s:i, s:b}", "kind", "session", "month",
                        "2026-03", "cases_reviewed", 1, "violence_related", 1);
  uint8_t id[16], sealed[64], *hb = NULL, *e1 = NULL, *e2 = NULL, hash[32];
  uint8_t bad[AYIL_ENTRY_MAX];
  size_t hl = 0, l1 = 0, l2 = 0, blen = 0;
  uint64_t seq = 0;
  (void)state;
  forked_on = 0;
  assert_non_null(mkdtemp(dir));
  a = open_at("a");
  b = open_at("b");
  memset(id, 0x5a, sizeof id);
  memset(sealed, 0x33, sizeof sealed);
  assert_int_equal(ayil_record_pack(h, &hb, &hl), 0);
  /* `cur` writes a record with a body, then deletes it (purging it). */
  assert_int_equal(ayil_store_write_local(a, cur.sk, AYIL_OP_PUT, id, hb, hl,
                                          sealed, sizeof sealed, NULL, NULL),
                   0);
  assert_int_equal(ayil_store_write_local(a, cur.sk, AYIL_OP_DELETE, id, NULL,
                                          0, NULL, 0, NULL, NULL),
                   0);
  assert_int_equal(ayil_store_entry(a, cur.pk, 1, &e1, &l1), 0);
  assert_int_equal(ayil_store_entry(a, cur.pk, 2, &e2, &l2), 0);
  hub_view(&v, dev);
  /* No proof at all. */
  assert_int_equal(ayil_store_append(b, e1, l1, NULL, 0), AYIL_EPEER);
  /* A DELETE of the record signed by a key that does not own it. */
  make(&stranger, 1, 0x5a, AYIL_OP_DELETE, 0, bad, &blen);
  assert_int_equal(ayil_store_append_purged(b, &v, e1, l1, bad, blen),
                   AYIL_EOWNER);
  /* A DELETE of another record. */
  make(&cur, 2, 0x5b, AYIL_OP_DELETE, 0, bad, &blen);
  assert_int_equal(ayil_store_append_purged(b, &v, e1, l1, bad, blen),
                   AYIL_EPEER);
  /* Nothing changed. */
  assert_int_equal(ayil_store_head(b, cur.pk, &seq, hash), 0);
  assert_int_equal(seq, 0);
  assert_int_equal(count_records(b), 0);
  /* With the real DELETE as proof it is stored, and so is the DELETE. */
  assert_int_equal(ayil_store_append_purged(b, &v, e1, l1, e2, l2), 0);
  assert_int_equal(ayil_store_append(b, e2, l2, NULL, 0), 0);
  assert_int_equal(ayil_store_head(b, cur.pk, &seq, hash), 0);
  assert_int_equal(seq, 2);
  free(e1);
  free(e2);
  free(hb);
  json_decref(h);
  ayil_store_close(a);
  ayil_store_close(b);
  {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hub_table),
      cmocka_unit_test(test_committee_table),
      cmocka_unit_test(test_ownership),
      cmocka_unit_test(test_accept),
      cmocka_unit_test(test_purge_proofs),
      cmocka_unit_test(test_store_refuses_unproven_purge),
      cmocka_unit_test(test_uplink_table),
      cmocka_unit_test(test_peer_hub_table),
      cmocka_unit_test(test_tier_ownership),
      cmocka_unit_test(test_tier_purge),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

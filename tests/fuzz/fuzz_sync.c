/*
 * libFuzzer target: the sync state machine fed hostile bytes.
 *
 * Input: a 2-byte big-endian length and that many bytes of peer have
 * payload (ayil_sync_start), then messages, each a 2-byte big-endian length
 * and its bytes (ayil_sync_recv), with ayil_sync_poll() after each. The
 * store holds a short genuine log of one origin and accepts another, so
 * valid-looking messages reach deep paths. An odd-sized input makes this
 * side stream A early (ayil_sync_assume) before the have arrives. Nothing may
 * crash, leak or read out of bounds; errors are fine. The seeds (fuzz_seed) are
 * genuine streams of the other origin: an ENTRIES then MOREs, with compact and
 * raw headers and timestamp deltas, for the mutations to start from.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Iinclude -Iproto
 *        tests/fuzz/fuzz_sync.c proto/[a-z]*.c -lsodium -lmsgpackc
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ayil/sync.h"
#include "sync_int.h"

#define NENT 4
#define NSEED 2

typedef struct {
  uint8_t entry[AYIL_ENTRY_MAX];
  size_t len;
  uint8_t hash[AYIL_HASH_BYTES];
  uint8_t body[64];
} fent_t;

static uint8_t pk_a[32], sk_a[64], pk_b[32], sk_b[64];
static fent_t log_a[NENT];
static uint64_t delivered_b;
static uint8_t last_b[AYIL_HASH_BYTES];
static fent_t log_b[NENT];
static uint8_t seeds[NSEED][4096];
static size_t seed_len[NSEED];
static uint8_t appeal[256];
static size_t appeal_len;
static const uint64_t ts_b[NENT] = {7000, 14000, 5000, 12000};
static int ready;
static void setup(void);

/* Appends a 2-byte length and the bytes to seed k. */
static void seed_put(size_t k, const uint8_t *p, size_t n) {
  if (seed_len[k] + 2 + n > sizeof seeds[k])
    abort();
  seeds[k][seed_len[k]++] = (uint8_t)(n >> 8);
  seeds[k][seed_len[k]++] = (uint8_t)n;
  memcpy(seeds[k] + seed_len[k], p, n);
  seed_len[k] += n;
}

/* Seed k: B's have row (empty log, OFFER), then entries 1..2 in an ENTRIES
 * and 3..4 in a MORE (seed 0: compact headers; seed 1: raw). */
static void make_seed(size_t k) {
  uint8_t m[2048];
  ayil_mp_wbuf_t w;
  size_t i;
  ayil_mp_wbuf_init(&w, m, sizeof m);
  msgpack_pack_array(&w.pk, 2);
  msgpack_pack_uint32(&w.pk, AYIL_SYNC_VERSION);
  msgpack_pack_array(&w.pk, 1);
  msgpack_pack_array(&w.pk, 4);
  ayil_mp_pack_bin(&w.pk, pk_b, 32);
  msgpack_pack_uint32(&w.pk, 0);
  msgpack_pack_nil(&w.pk);
  msgpack_pack_uint32(&w.pk, AYIL_SYNC_OFFER);
  seed_put(k, m, w.len);
  for (i = 0; i < NENT; i++) {
    ayil_entry_t e;
    ayil__rec_t rec;
    if (i % 2 == 0) {
      ayil_mp_wbuf_init(&w, m, sizeof m);
      msgpack_pack_array(&w.pk, i == 0 ? 6 : 4);
      msgpack_pack_uint32(&w.pk, i == 0 ? AYIL__SYNC_ENTRIES : AYIL__SYNC_MORE);
      msgpack_pack_uint32(&w.pk, 0);
      if (i == 0) {
        msgpack_pack_uint32(&w.pk, 1);
        msgpack_pack_nil(&w.pk);
      }
    }
    if (ayil_entry_decode(&e, log_b[i].entry, log_b[i].len) != 0)
      abort();
    memset(&rec, 0, sizeof rec);
    rec.ts_ms = e.ts_ms;
    rec.ts_rel = i > 0;
    rec.ts_base = i > 0 ? ts_b[i - 1] : 0;
    rec.record = e.record;
    rec.op = e.op;
    rec.codes_version = e.codes_version;
    rec.header = e.header;
    rec.header_len = e.header_len;
    rec.compact = k == 0;
    rec.body_kind = AYIL__BODY_INLINE;
    rec.body = log_b[i].body;
    rec.body_len = 16;
    rec.sig = e.sig;
    ayil__rec_write(&w.pk, &rec);
    if (i % 2 == 1)
      seed_put(k, m, w.len);
  }
}

const uint8_t *fuzz_seed(size_t i, size_t *len);
const uint8_t *fuzz_seed(size_t i, size_t *len) {
  if (i >= NSEED)
    return NULL;
  if (!ready) {
    setup();
    ready = 1;
  }
  if (seed_len[i] == 0)
    make_seed(i);
  *len = seed_len[i];
  return seeds[i];
}

static void setup(void) {
  uint8_t seed[32];
  size_t i;
  if (sodium_init() < 0)
    abort();
  memset(seed, 1, sizeof seed);
  crypto_sign_seed_keypair(pk_a, sk_a, seed);
  memset(seed, 2, sizeof seed);
  crypto_sign_seed_keypair(pk_b, sk_b, seed);
  for (i = 0; i < NENT; i++) {
    ayil_entry_t e;
    memset(&e, 0, sizeof e);
    memcpy(e.origin, pk_a, 32);
    e.seq = i + 1;
    if (i > 0)
      memcpy(e.prev, log_a[i - 1].hash, 32);
    e.ts_ms = 1000 * (i + 1);
    memset(e.record, (int)i, sizeof e.record);
    e.op = AYIL_OP_PUT;
    e.codes_version = 1;
    memset(log_a[i].body, (int)i, sizeof log_a[i].body);
    ayil_body_hash(log_a[i].body, sizeof log_a[i].body, e.body_hash);
    e.has_body = 1;
    if (ayil_entry_sign(&e, sk_a, log_a[i].entry, AYIL_ENTRY_MAX,
                        &log_a[i].len) != 0)
      abort();
    ayil_entry_hash(log_a[i].entry, log_a[i].len, log_a[i].hash);
  }
  /* B's log: appeals (whose headers have a compact form), ts going down
   * once (a negative delta). */
  {
    static const uint8_t compact[] = {0x98, 0x00, 0xcd, 0x05, 0xea, 0x00,
                                      0x03, 0x09, 0x00, 0x03, 0x00};
    ayil_mp_t r = {compact, compact + sizeof compact};
    if (ayil__dict_decode(&r, 1, appeal, sizeof appeal, &appeal_len) != 0)
      abort();
  }
  for (i = 0; i < NENT; i++) {
    ayil_entry_t e;
    memset(&e, 0, sizeof e);
    memcpy(e.origin, pk_b, 32);
    e.seq = i + 1;
    if (i > 0)
      memcpy(e.prev, log_b[i - 1].hash, 32);
    e.ts_ms = ts_b[i];
    memset(e.record, (int)(0x40 + i), sizeof e.record);
    e.op = AYIL_OP_PUT;
    e.codes_version = 1;
    e.header = appeal;
    e.header_len = appeal_len;
    memset(log_b[i].body, (int)(0x50 + i), 16);
    ayil_body_hash(log_b[i].body, 16, e.body_hash);
    e.has_body = 1;
    if (ayil_entry_sign(&e, sk_b, log_b[i].entry, AYIL_ENTRY_MAX,
                        &log_b[i].len) != 0)
      abort();
    ayil_entry_hash(log_b[i].entry, log_b[i].len, log_b[i].hash);
  }
}

static int cb_origins(void *ctx, ayil_sync_origin_t *out, size_t cap,
                      size_t *n) {
  (void)ctx;
  if (cap < 2)
    return AYIL_ETOOBIG;
  memcpy(out[0].id, pk_a, 32);
  out[0].flags = AYIL_SYNC_OFFER;
  memcpy(out[1].id, pk_b, 32);
  out[1].flags = AYIL_SYNC_WANT | AYIL_SYNC_OFFER;
  *n = 2;
  return 0;
}

static unsigned cb_discover(void *ctx, const uint8_t *origin) {
  (void)ctx;
  return origin[0] & 1 ? AYIL_SYNC_WANT : 0;
}

static int cb_head(void *ctx, const uint8_t *origin, uint64_t *seq,
                   uint8_t *hash) {
  (void)ctx;
  *seq = 0;
  if (memcmp(origin, pk_a, 32) == 0) {
    *seq = NENT;
    memcpy(hash, log_a[NENT - 1].hash, 32);
  } else if (memcmp(origin, pk_b, 32) == 0 && delivered_b > 0) {
    *seq = delivered_b;
    memcpy(hash, last_b, 32);
  }
  return 0;
}

static int cb_get(void *ctx, const uint8_t *origin, uint64_t seq,
                  ayil_sync_item_t *it) {
  (void)ctx;
  if (memcmp(origin, pk_a, 32) != 0 || seq == 0 || seq > NENT)
    return AYIL_ENOTFOUND;
  it->entry = log_a[seq - 1].entry;
  it->entry_len = log_a[seq - 1].len;
  it->body = log_a[seq - 1].body;
  it->body_len = sizeof log_a[seq - 1].body;
  return 0;
}

/* Back-references resolve against B's entries delivered so far (a fixed
 * record id and body hash: whatever the input names, the signature check
 * after decides). */
static int cb_ref(void *ctx, const uint8_t *origin, uint64_t seq,
                  uint8_t record[AYIL_RECID_BYTES],
                  uint8_t body_hash[AYIL_HASH_BYTES], int *has_body) {
  (void)ctx;
  if (memcmp(origin, pk_b, 32) != 0 || seq == 0 || seq > delivered_b)
    return AYIL_ENOTFOUND;
  memset(record, (int)(seq & 0xff), AYIL_RECID_BYTES);
  memset(body_hash, 0xbb, AYIL_HASH_BYTES);
  *has_body = (int)(seq & 1);
  return 0;
}

static int cb_deliver(void *ctx, const ayil_entry_t *e,
                      const ayil_sync_item_t *it) {
  (void)ctx;
  if (memcmp(e->origin, pk_b, 32) == 0 && e->seq == delivered_b + 1) {
    delivered_b = e->seq;
    ayil_entry_hash(it->entry, it->entry_len, last_b);
  }
  return 0;
}

static size_t take(const uint8_t **p, size_t *left, const uint8_t **msg) {
  size_t n;
  if (*left < 2)
    return (size_t)-1;
  n = ((size_t)(*p)[0] << 8) | (*p)[1];
  *p += 2;
  *left -= 2;
  if (n > *left)
    n = *left;
  *msg = *p;
  *p += n;
  *left -= n;
  return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ayil_sync_config_t cfg;
  ayil_sync_t *s = NULL;
  uint8_t have[AYIL_SYNC_HAVE_MAX];
  const uint8_t *p = data, *msg;
  size_t left = size, n, hl = 0;
  uint64_t now = 0;

  if (!ready) {
    setup();
    ready = 1;
  }
  delivered_b = 0;
  memset(&cfg, 0, sizeof cfg);
  cfg.origins = cb_origins;
  cfg.discover = cb_discover;
  cfg.head = cb_head;
  cfg.get = cb_get;
  cfg.deliver = cb_deliver;
  cfg.ref = cb_ref;
  cfg.refs = (int)(size & 2); /* says so in its have, sends them too */
  cfg.msg_max = 16384;
  if (ayil_sync_new(&s, &cfg, 0) != 0)
    return 0;
  /* An odd-sized input also streams A early, from an assumed head that the
   * peer's have then proves right, short or long. */
  if ((size & 1) && ayil_sync_assume(s, pk_a, (size >> 1) % NENT) != 0)
    goto done;
  if (ayil_sync_have_payload(s, have, sizeof have, &hl) != 0)
    goto done;
  {
    const uint8_t *out;
    size_t olen = 0;
    int guard = 0;
    while (ayil_sync_poll(s, now, &out, &olen) == 0 && olen > 0 && guard++ < 64)
      ;
  }
  n = take(&p, &left, &msg);
  if (n == (size_t)-1 || ayil_sync_start(s, msg, n, now) != 0)
    goto done;
  for (;;) {
    const uint8_t *out;
    size_t olen = 0;
    int guard = 0;
    while (ayil_sync_poll(s, now, &out, &olen) == 0 && olen > 0 && guard++ < 64)
      ;
    n = take(&p, &left, &msg);
    if (n == (size_t)-1)
      break;
    now += 1000;
    if (ayil_sync_recv(s, msg, n, now) != 0)
      break;
    (void)ayil_sync_committed(s, pk_b, delivered_b);
    (void)ayil_sync_idle(s);
    (void)ayil_sync_timeout_ms(s);
  }
done:
  ayil_sync_free(s);
  return 0;
}

/*
 * libFuzzer target: the sync state machine fed hostile bytes.
 *
 * Input: a 2-byte big-endian length and that many bytes of peer have
 * payload (ayil_sync_start), then messages, each a 2-byte big-endian length
 * and its bytes (ayil_sync_recv), with ayil_sync_poll() after each. The
 * store holds a short genuine log of one origin and accepts another, so
 * valid-looking messages reach deep paths. Nothing may crash, leak or read
 * out of bounds; errors are fine.
 *
 * Build: clang -fsanitize=fuzzer,address,undefined -Iinclude -Iproto
 *        tests/fuzz/fuzz_sync.c proto/[a-z]*.c -lsodium -lmsgpackc
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ayil/sync.h"

#define NENT 4

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
  static int ready;
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
  cfg.msg_max = 16384;
  if (ayil_sync_new(&s, &cfg, 0) != 0)
    return 0;
  if (ayil_sync_have_payload(s, have, sizeof have, &hl) != 0)
    goto done;
  n = take(&p, &left, &msg);
  if (n == (size_t)-1 || ayil_sync_start(s, msg, n, now) != 0)
    goto done;
  for (;;) {
    const uint8_t *out;
    size_t olen = 0;
    int guard = 0;
    while (ayil_sync_poll(s, now, &out, &olen) == 0 && olen > 0 &&
           guard++ < 64)
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

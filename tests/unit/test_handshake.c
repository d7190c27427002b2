/* Tests of the handshake state machine (proto/handshake.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "ayil/handshake.h"
#include "testhooks.h"

/*
 * Pinned vectors (also in proto/PROTOCOL.md): N = 00..1f, client seed 20..3f,
 * server seed 40..5f, client ephemeral 60..7f, server ephemeral 80..9f,
 * hdr_c2s a0..b7, hdr_s2c c0..d7, payloads below.
 */
#define V_CPAY "client has: nothing"
#define V_SPAY "server has: nothing"
#define V_MSG1                                                                 \
  "675dd574ed7789310b3d2e7681f3790b466c773b1521fecf36577958371ea52f"           \
  "51fdf3658e5532ceae0e9e28b9205631"
#define V_MSG2                                                                 \
  "493e82fc74464a59268817623d2053c5eb8e2cc4a988b4fee179ec6b010d531d"           \
  "f8050ba80f853fbc612896c0a54ee395bf5d97d8113eb49cce13a622ed0a6888"
#define V_MSG3                                                                 \
  "009b645a4f9707ff27b534ee38955490911f3b9af206edf0b7e2a3dab2a1ca38"           \
  "8e87de05d8641872293ba041a3e2fd982ce6a4e524cb31b6ab1ec3219d597a7c"           \
  "70719953da62421375c29b961e6b7f34943ca786acd558e291e89c6bfe034251"           \
  "8f0c02e3a2aa2223df0cc2af75bd29a960cda16fc2025a39aba251be04379524"           \
  "d1ad16a1faf3fed237f6fa4e0664990d6d8f7a86bd4f4f61603ddae212"
#define V_MSG4                                                                 \
  "003b0a2cd416ee39b8df6d455472fafba983b1c3e5cd7f16b3350c10bf64b273"           \
  "e51849d14a117ac6af102e3011e9ee929590e2bd6d17f7132bc292dbbd"
#define V_C2S_FRAME "00040321313b23bf3cfcfb229b6e5855db28e6698efe7d"
#define V_S2C_FRAME "000469d710a1cbb6c7de3c5eef1d28b22b3e5e8f861add"

#define MSG_MAX (AYIL_HS_CLIENT_AUTH_BYTES(AYIL_HS_PAYLOAD_MAX))

enum { MUT_NONE, MUT_FLIP, MUT_TRUNC };

typedef struct {
  uint8_t netkey_c[AYIL_NETKEY_BYTES];
  uint8_t netkey_s[AYIL_NETKEY_BYTES];
  uint8_t c_pk[32], c_sk[64];
  uint8_t s_pk[32], s_sk[64];
  uint8_t expect_server[32]; /* what the client dials */
  const uint8_t *cpay;
  size_t cpay_len;
  const uint8_t *spay;
  size_t spay_len;
  size_t chunk;
  int mut;       /* MUT_* */
  int mut_msg;   /* 0..3 */
  size_t mut_at; /* byte to flip, or length to truncate to */
  uint8_t mut_xor;
  int vectors; /* inject the pinned ephemerals and headers */
} cfg_t;

typedef struct {
  ayil_hs_t *c, *s;
  uint8_t msg[4][MSG_MAX];
  size_t len[4];
  int err;      /* first error, 0 if none */
  int err_side; /* 0 client, 1 server */
  int err_msg;  /* delivery of which message caused it */
} res_t;

static void fill(uint8_t *p, size_t n, uint8_t start) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)(start + i);
}

static void cfg_init(cfg_t *cfg) {
  uint8_t seed[32];
  memset(cfg, 0, sizeof(*cfg));
  fill(cfg->netkey_c, 32, 0x00);
  fill(cfg->netkey_s, 32, 0x00);
  fill(seed, 32, 0x20);
  crypto_sign_seed_keypair(cfg->c_pk, cfg->c_sk, seed);
  fill(seed, 32, 0x40);
  crypto_sign_seed_keypair(cfg->s_pk, cfg->s_sk, seed);
  memcpy(cfg->expect_server, cfg->s_pk, 32);
  cfg->cpay = (const uint8_t *)V_CPAY;
  cfg->cpay_len = strlen(V_CPAY);
  cfg->spay = (const uint8_t *)V_SPAY;
  cfg->spay_len = strlen(V_SPAY);
  cfg->chunk = 1 << 20;
}

static void res_free(res_t *r) {
  ayil_hs_free(r->c);
  ayil_hs_free(r->s);
  free(r);
}

/* Feeds a whole message in chunks; returns the error or 0. */
static int deliver(ayil_hs_t *to, const uint8_t *b, size_t n, size_t chunk,
                   size_t *consumed) {
  size_t off = 0;
  *consumed = 0;
  while (off < n) {
    size_t k = n - off < chunk ? n - off : chunk;
    size_t used = 0;
    int rc = ayil_hs_feed(to, b + off, k, &used);
    *consumed += used;
    if (rc < 0)
      return rc;
    if (used < k)
      break; /* the handshake is over; the rest is stream data */
    off += k;
  }
  return 0;
}

/*
 * Runs a whole handshake between an in-memory client and server, applying
 * cfg's mutation to one message on the way. Stops at the first error; if a
 * receiver is still waiting after a whole (mutated) message, tells it the
 * connection ended.
 */
static res_t *run(const cfg_t *cfg) {
  res_t *r = calloc(1, sizeof(*r));
  assert_non_null(r);
  assert_int_equal(ayil_hs_client_new(&r->c, cfg->netkey_c, cfg->c_sk,
                                      cfg->expect_server, cfg->cpay,
                                      cfg->cpay_len),
                   0);
  assert_int_equal(ayil_hs_server_new(&r->s, cfg->netkey_s, cfg->s_sk), 0);
  if (cfg->vectors) {
    uint8_t eph[32], hdr[24];
    fill(eph, 32, 0x60);
    fill(hdr, 24, 0xa0);
    assert_int_equal(ayil__hs_set_test_randomness(r->c, eph, hdr), 0);
    fill(eph, 32, 0x80);
    fill(hdr, 24, 0xc0);
    assert_int_equal(ayil__hs_set_test_randomness(r->s, eph, hdr), 0);
  }
  for (int k = 0; k < 4; k++) {
    ayil_hs_t *src = k % 2 ? r->s : r->c;
    ayil_hs_t *dst = k % 2 ? r->c : r->s;
    const uint8_t *out = NULL;
    size_t n = 0, consumed = 0;
    int rc;
    if (k == 3) {
      assert_int_equal(ayil_hs_status(r->s), AYIL_HS_DECIDE);
      assert_int_equal(ayil_hs_accept(r->s, cfg->spay, cfg->spay_len), 0);
    }
    ayil_hs_output(src, &out, &n);
    assert_true(n > 0 && n <= MSG_MAX);
    memcpy(r->msg[k], out, n);
    r->len[k] = n;
    if (cfg->mut != MUT_NONE && cfg->mut_msg == k) {
      if (cfg->mut == MUT_FLIP)
        r->msg[k][cfg->mut_at] ^= cfg->mut_xor;
      else
        n = cfg->mut_at;
    }
    rc = deliver(dst, r->msg[k], n, cfg->chunk, &consumed);
    /* A mutated message may leave the receiver waiting: the peer hangs up. */
    if (rc == 0 && cfg->mut != MUT_NONE && cfg->mut_msg == k &&
        ayil_hs_status(dst) == AYIL_HS_WANT_INPUT)
      rc = ayil_hs_eof(dst);
    if (rc < 0) {
      r->err = rc;
      r->err_side = dst == r->s;
      r->err_msg = k;
      assert_int_equal(ayil_hs_status(dst), rc);
      return r;
    }
    assert_int_equal(consumed, n);
    assert_int_equal(ayil_hs_status(dst),
                     k == 2 ? AYIL_HS_DECIDE
                            : (k == 3 ? AYIL_HS_DONE : AYIL_HS_WANT_INPUT));
  }
  return r;
}

static void hex_of(char *hex, size_t cap, const uint8_t *b, size_t n) {
  assert_true(cap >= 2 * n + 1);
  sodium_bin2hex(hex, cap, b, n);
}

static int setup(void **state) {
  (void)state;
  return sodium_init() < 0 ? -1 : 0;
}

/* Seals one frame on tx and opens it on rx. */
static void pass_frame(ayil_tx_t *tx, ayil_rx_t *rx, const char *text) {
  uint8_t wire[128];
  size_t n = 0, used = 0, flen = 0;
  const uint8_t *frame = NULL;
  assert_int_equal(ayil_tx_seal(tx, (const uint8_t *)text, strlen(text), wire,
                                sizeof(wire), &n),
                   0);
  assert_int_equal(ayil_rx_feed(rx, wire, n, &used, &frame, &flen), 0);
  assert_int_equal(used, n);
  assert_non_null(frame);
  assert_int_equal(flen, strlen(text));
  assert_memory_equal(frame, text, flen);
}

static void test_full_handshake(void **state) {
  cfg_t cfg;
  res_t *r;
  const uint8_t *p = NULL;
  size_t n = 0;
  ayil_tx_t *ctx = NULL, *stx = NULL;
  ayil_rx_t *crx = NULL, *srx = NULL;
  (void)state;
  cfg_init(&cfg);
  r = run(&cfg);
  assert_int_equal(r->err, 0);
  assert_int_equal(r->len[0], AYIL_HS_CLIENT_HELLO_BYTES);
  assert_int_equal(r->len[1], AYIL_HS_SERVER_HELLO_BYTES);
  assert_int_equal(r->len[2], AYIL_HS_CLIENT_AUTH_BYTES(cfg.cpay_len));
  assert_int_equal(r->len[3], AYIL_HS_SERVER_ACCEPT_BYTES(cfg.spay_len));
  /* Both ends learn who the other is, and get its payload. */
  assert_memory_equal(ayil_hs_peer_id(r->c), cfg.s_pk, 32);
  assert_memory_equal(ayil_hs_peer_id(r->s), cfg.c_pk, 32);
  assert_int_equal(ayil_hs_peer_payload(r->s, &p, &n), 0);
  assert_int_equal(n, cfg.cpay_len);
  assert_memory_equal(p, cfg.cpay, n);
  assert_int_equal(ayil_hs_peer_payload(r->c, &p, &n), 0);
  assert_int_equal(n, cfg.spay_len);
  assert_memory_equal(p, cfg.spay, n);
  /* Nothing more to send, and no more input is taken. */
  ayil_hs_output(r->c, &p, &n);
  assert_int_equal(n, 0);
  ayil_hs_output(r->s, &p, &n);
  assert_int_equal(n, 0);
  assert_int_equal(ayil_hs_eof(r->c), 0);
  /* The stream keys interoperate both ways. */
  assert_int_equal(ayil_hs_take_tx(r->c, &ctx), 0);
  assert_int_equal(ayil_hs_take_rx(r->c, &crx), 0);
  assert_int_equal(ayil_hs_take_tx(r->s, &stx), 0);
  assert_int_equal(ayil_hs_take_rx(r->s, &srx), 0);
  assert_int_equal(ayil_hs_take_tx(r->s, &stx), AYIL_ESTATE);
  assert_int_equal(ayil_hs_take_rx(r->s, &srx), AYIL_ESTATE);
  pass_frame(ctx, srx, "from the committee");
  pass_frame(stx, crx, "from the hub");
  pass_frame(ctx, srx, "again");
  pass_frame(stx, crx, "again");
  /* Directions have distinct keys: a frame cannot be reflected. */
  {
    uint8_t wire[64];
    size_t wn = 0, used = 0, flen = 0;
    const uint8_t *frame = NULL;
    assert_int_equal(
        ayil_tx_seal(ctx, (const uint8_t *)"x", 1, wire, sizeof(wire), &wn), 0);
    assert_int_equal(ayil_rx_feed(crx, wire, wn, &used, &frame, &flen),
                     AYIL_EDECRYPT);
  }
  ayil_tx_free(ctx);
  ayil_tx_free(stx);
  ayil_rx_free(crx);
  ayil_rx_free(srx);
  res_free(r);
}

/*
 * The client sends stream data right after its auth, before the accept
 * arrives; the server, fed everything at once, stops at the end of the auth
 * and the embedder hands the rest to the transport after accepting.
 */
static void test_early_client_data(void **state) {
  cfg_t cfg;
  ayil_hs_t *c = NULL, *s = NULL;
  ayil_tx_t *ctx = NULL, *stx = NULL;
  ayil_rx_t *crx = NULL, *srx = NULL;
  uint8_t buf[1024];
  const uint8_t *p = NULL, *frame = NULL;
  size_t n = 0, blen = 0, used = 0, fn = 0, flen = 0;
  (void)state;
  cfg_init(&cfg);
  assert_int_equal(
      ayil_hs_client_new(&c, cfg.netkey_c, cfg.c_sk, cfg.s_pk, NULL, 0), 0);
  assert_int_equal(ayil_hs_server_new(&s, cfg.netkey_s, cfg.s_sk), 0);
  assert_int_equal(ayil_hs_take_tx(c, &ctx), AYIL_ESTATE);
  assert_null(ayil_hs_peer_id(c));
  ayil_hs_output(c, &p, &n);
  assert_int_equal(ayil_hs_feed(s, p, n, &used), 0);
  ayil_hs_output(s, &p, &n);
  assert_int_equal(ayil_hs_feed(c, p, n, &used), 0);
  assert_memory_equal(ayil_hs_peer_id(c), cfg.s_pk, 32);
  ayil_hs_output(c, &p, &n);
  assert_int_equal(n, AYIL_HS_CLIENT_AUTH_BYTES(0));
  memcpy(buf, p, n);
  blen = n;
  assert_int_equal(ayil_hs_take_tx(c, &ctx), 0);
  assert_int_equal(ayil_tx_seal(ctx, (const uint8_t *)"early", 5, buf + blen,
                                sizeof(buf) - blen, &fn),
                   0);
  blen += fn;
  /* The server takes only the auth; the frame waits for the decision. */
  assert_int_equal(ayil_hs_feed(s, buf, blen, &used), 0);
  assert_int_equal(used, AYIL_HS_CLIENT_AUTH_BYTES(0));
  assert_int_equal(ayil_hs_status(s), AYIL_HS_DECIDE);
  assert_int_equal(ayil_hs_peer_payload(s, &p, &n), 0);
  assert_int_equal(n, 0);
  assert_int_equal(ayil_hs_take_rx(s, &srx), AYIL_ESTATE);
  {
    size_t u2 = 99;
    assert_int_equal(ayil_hs_feed(s, buf + used, blen - used, &u2),
                     AYIL_ESTATE);
    assert_int_equal(u2, 0);
  }
  assert_int_equal(ayil_hs_accept(s, NULL, 0), 0);
  assert_int_equal(ayil_hs_accept(s, NULL, 0), AYIL_ESTATE);
  assert_int_equal(ayil_hs_take_rx(s, &srx), 0);
  assert_int_equal(
      ayil_rx_feed(srx, buf + used, blen - used, &fn, &frame, &flen), 0);
  assert_non_null(frame);
  assert_memory_equal(frame, "early", 5);
  /* The accept and a first server frame arrive in one chunk. */
  ayil_hs_output(s, &p, &n);
  assert_int_equal(n, AYIL_HS_SERVER_ACCEPT_BYTES(0));
  memcpy(buf, p, n);
  blen = n;
  assert_int_equal(ayil_hs_take_tx(s, &stx), 0);
  assert_int_equal(ayil_tx_seal(stx, (const uint8_t *)"welcome", 7, buf + blen,
                                sizeof(buf) - blen, &fn),
                   0);
  blen += fn;
  assert_int_equal(ayil_hs_feed(c, buf, blen, &used), 0);
  assert_int_equal(used, AYIL_HS_SERVER_ACCEPT_BYTES(0));
  assert_int_equal(ayil_hs_status(c), AYIL_HS_DONE);
  assert_int_equal(ayil_hs_take_rx(c, &crx), 0);
  assert_int_equal(
      ayil_rx_feed(crx, buf + used, blen - used, &fn, &frame, &flen), 0);
  assert_non_null(frame);
  assert_memory_equal(frame, "welcome", 7);
  ayil_tx_free(ctx);
  ayil_tx_free(stx);
  ayil_rx_free(crx);
  ayil_rx_free(srx);
  ayil_hs_free(c);
  ayil_hs_free(s);
}

static void test_one_byte_at_a_time(void **state) {
  cfg_t cfg;
  res_t *r;
  (void)state;
  cfg_init(&cfg);
  cfg.chunk = 1;
  r = run(&cfg);
  assert_int_equal(r->err, 0);
  res_free(r);
  cfg.chunk = 7;
  r = run(&cfg);
  assert_int_equal(r->err, 0);
  res_free(r);
}

static void test_max_payloads(void **state) {
  cfg_t cfg;
  res_t *r;
  uint8_t *big = malloc(AYIL_HS_PAYLOAD_MAX + 1);
  const uint8_t *p = NULL;
  size_t n = 0;
  ayil_hs_t *hs = NULL;
  (void)state;
  assert_non_null(big);
  fill(big, AYIL_HS_PAYLOAD_MAX + 1, 3);
  cfg_init(&cfg);
  cfg.cpay = big;
  cfg.cpay_len = AYIL_HS_PAYLOAD_MAX;
  cfg.spay = big + 1;
  cfg.spay_len = AYIL_HS_PAYLOAD_MAX;
  r = run(&cfg);
  assert_int_equal(r->err, 0);
  assert_int_equal(ayil_hs_peer_payload(r->c, &p, &n), 0);
  assert_int_equal(n, AYIL_HS_PAYLOAD_MAX);
  assert_memory_equal(p, big + 1, n);
  assert_int_equal(ayil_hs_peer_payload(r->s, &p, &n), 0);
  assert_memory_equal(p, big, n);
  res_free(r);
  assert_int_equal(ayil_hs_client_new(&hs, cfg.netkey_c, cfg.c_sk, cfg.s_pk,
                                      big, AYIL_HS_PAYLOAD_MAX + 1),
                   AYIL_ETOOBIG);
  free(big);
}

/* A client without the network key gets nothing at all back. */
static void test_wrong_network_key(void **state) {
  cfg_t cfg;
  res_t *r;
  const uint8_t *p = NULL;
  size_t n = 0;
  (void)state;
  cfg_init(&cfg);
  cfg.netkey_c[5] ^= 0x40;
  r = run(&cfg);
  assert_int_equal(r->err, AYIL_EAUTH);
  assert_int_equal(r->err_side, 1);
  assert_int_equal(r->err_msg, 0);
  ayil_hs_output(r->s, &p, &n);
  assert_int_equal(n, 0);
  assert_null(ayil_hs_peer_id(r->s));
  res_free(r);
}

/* The client learns it reached the wrong node from the server's hello. */
static void test_wrong_server_id(void **state) {
  cfg_t cfg;
  res_t *r;
  uint8_t seed[32], sk[64];
  const uint8_t *p = NULL;
  size_t n = 0;
  (void)state;
  cfg_init(&cfg);
  fill(seed, 32, 0x41);
  crypto_sign_seed_keypair(cfg.expect_server, sk, seed);
  r = run(&cfg);
  assert_int_equal(r->err, AYIL_EUNKNOWN_NODE);
  assert_int_equal(r->err_side, 0);
  assert_int_equal(r->err_msg, 1);
  ayil_hs_output(r->c, &p, &n);
  assert_int_equal(n, 0); /* the client did not reveal who it is */
  assert_null(ayil_hs_peer_id(r->c));
  res_free(r);
  /* A server id that is not a valid Ed25519 key is refused up front. */
  {
    ayil_hs_t *hs = NULL;
    uint8_t bad[32] = {0};
    bad[0] = 1; /* the identity point: small order */
    assert_int_equal(
        ayil_hs_client_new(&hs, cfg.netkey_c, cfg.c_sk, bad, NULL, 0),
        AYIL_EINVAL);
    assert_null(hs);
  }
}

/* A recorded client hello and auth, replayed to a fresh server, fail. */
static void test_replay(void **state) {
  cfg_t cfg;
  res_t *r;
  ayil_hs_t *s2 = NULL;
  const uint8_t *p = NULL;
  size_t n = 0, used = 0;
  (void)state;
  cfg_init(&cfg);
  r = run(&cfg);
  assert_int_equal(r->err, 0);
  assert_int_equal(ayil_hs_server_new(&s2, cfg.netkey_s, cfg.s_sk), 0);
  assert_int_equal(ayil_hs_feed(s2, r->msg[0], r->len[0], &used), 0);
  ayil_hs_output(s2, &p, &n);
  assert_int_equal(n, AYIL_HS_SERVER_HELLO_BYTES);
  assert_memory_not_equal(p, r->msg[1], n); /* a fresh ephemeral */
  assert_int_equal(ayil_hs_feed(s2, r->msg[2], r->len[2], &used),
                   AYIL_EDECRYPT);
  assert_int_equal(ayil_hs_status(s2), AYIL_EDECRYPT);
  assert_null(ayil_hs_peer_id(s2));
  assert_int_equal(ayil_hs_feed(s2, r->msg[2], 1, &used), AYIL_EDECRYPT);
  ayil_hs_free(s2);
  res_free(r);
}

static int expected_flip_error(int rc) {
  return rc == AYIL_EAUTH || rc == AYIL_EUNKNOWN_NODE || rc == AYIL_EDECRYPT ||
         rc == AYIL_EFORMAT || rc == AYIL_ETOOBIG || rc == AYIL_ETRUNC;
}

/* Every single-byte flip of every message ends the handshake with an error
 * at the receiver of that message. */
static void test_flip_every_byte(void **state) {
  cfg_t cfg;
  res_t *clean;
  static const uint8_t xors[] = {0x01, 0x80, 0xff};
  (void)state;
  cfg_init(&cfg);
  clean = run(&cfg);
  assert_int_equal(clean->err, 0);
  for (int k = 0; k < 4; k++) {
    for (size_t i = 0; i < clean->len[k]; i++) {
      for (size_t x = 0; x < sizeof(xors); x++) {
        res_t *r;
        cfg.mut = MUT_FLIP;
        cfg.mut_msg = k;
        cfg.mut_at = i;
        cfg.mut_xor = xors[x];
        r = run(&cfg);
        if (!expected_flip_error(r->err))
          print_message("msg %d byte %zu: %s\n", k, i, ayil_err_name(r->err));
        assert_true(expected_flip_error(r->err));
        assert_int_equal(r->err_msg, k);
        assert_int_equal(r->err_side, k % 2 == 0);
        if (k == 0) {
          const uint8_t *p = NULL;
          size_t n = 0;
          ayil_hs_output(r->s, &p, &n);
          assert_int_equal(n, 0);
        }
        res_free(r);
      }
    }
  }
  res_free(clean);
}

static void test_truncation(void **state) {
  cfg_t cfg;
  res_t *clean;
  (void)state;
  cfg_init(&cfg);
  clean = run(&cfg);
  assert_int_equal(clean->err, 0);
  for (int k = 0; k < 4; k++) {
    for (size_t cut = 0; cut < clean->len[k]; cut++) {
      res_t *r;
      cfg.mut = MUT_TRUNC;
      cfg.mut_msg = k;
      cfg.mut_at = cut;
      cfg.chunk = cut % 2 ? 1 : 1 << 20;
      r = run(&cfg);
      assert_int_equal(r->err, cut == 0 ? AYIL_ECLOSED : AYIL_ETRUNC);
      assert_int_equal(r->err_msg, k);
      res_free(r);
    }
  }
  res_free(clean);
}

/* Oversized and undersized length prefixes are refused before reading. */
static void test_bad_lengths(void **state) {
  cfg_t cfg;
  res_t *r;
  ayil_hs_t *s2 = NULL;
  size_t used = 0;
  uint8_t len[2];
  (void)state;
  cfg_init(&cfg);
  r = run(&cfg);
  assert_int_equal(r->err, 0);
  assert_int_equal(ayil_hs_server_new(&s2, cfg.netkey_s, cfg.s_sk), 0);
  assert_int_equal(ayil_hs_feed(s2, r->msg[0], r->len[0], &used), 0);
  len[0] = 0xff;
  len[1] = 0xff;
  assert_int_equal(ayil_hs_feed(s2, len, 2, &used), AYIL_ETOOBIG);
  ayil_hs_free(s2);
  assert_int_equal(ayil_hs_server_new(&s2, cfg.netkey_s, cfg.s_sk), 0);
  assert_int_equal(ayil_hs_feed(s2, r->msg[0], r->len[0], &used), 0);
  len[0] = 0;
  len[1] = 135;
  assert_int_equal(ayil_hs_feed(s2, len, 2, &used), AYIL_EFORMAT);
  ayil_hs_free(s2);
  res_free(r);
}

/* A hello that carries the network key but a low-order ephemeral. */
static void test_low_order_ephemeral(void **state) {
  cfg_t cfg;
  ayil_hs_t *s = NULL;
  uint8_t hello[AYIL_HS_CLIENT_HELLO_BYTES] = {0};
  uint8_t mac[crypto_auth_BYTES];
  uint8_t msg[16 + 32];
  const uint8_t *p = NULL;
  size_t n = 0, used = 0;
  (void)state;
  cfg_init(&cfg);
  memcpy(msg, "ayil-hs1/c-hello", 16);
  memset(msg + 16, 0, 32); /* the X25519 point 0 */
  crypto_auth(mac, msg, sizeof(msg), cfg.netkey_s);
  memcpy(hello + 32, mac, 16);
  assert_int_equal(ayil_hs_server_new(&s, cfg.netkey_s, cfg.s_sk), 0);
  assert_int_equal(ayil_hs_feed(s, hello, sizeof(hello), &used), AYIL_EAUTH);
  ayil_hs_output(s, &p, &n);
  assert_int_equal(n, 0);
  ayil_hs_free(s);
}

static void test_reject_and_states(void **state) {
  cfg_t cfg;
  ayil_hs_t *c = NULL, *s = NULL;
  ayil_tx_t *tx = NULL;
  const uint8_t *p = NULL;
  size_t n = 0, used = 0;
  (void)state;
  cfg_init(&cfg);
  assert_int_equal(
      ayil_hs_client_new(&c, cfg.netkey_c, cfg.c_sk, cfg.s_pk, NULL, 0), 0);
  assert_int_equal(ayil_hs_server_new(&s, cfg.netkey_s, cfg.s_sk), 0);
  assert_int_equal(ayil_hs_accept(s, NULL, 0), AYIL_ESTATE);
  assert_int_equal(ayil_hs_peer_payload(s, &p, &n), AYIL_ESTATE);
  assert_int_equal(ayil_hs_take_tx(s, &tx), AYIL_ESTATE);
  ayil_hs_output(s, &p, &n);
  assert_int_equal(n, 0);
  ayil_hs_output(c, &p, &n);
  assert_int_equal(ayil_hs_feed(s, p, n, &used), 0);
  assert_int_equal(ayil__hs_set_test_randomness(s, cfg.c_sk, cfg.c_sk),
                   AYIL_ESTATE);
  ayil_hs_output(s, &p, &n);
  assert_int_equal(ayil_hs_feed(c, p, n, &used), 0);
  ayil_hs_output(c, &p, &n);
  assert_int_equal(ayil_hs_feed(s, p, n, &used), 0);
  assert_int_equal(ayil_hs_status(s), AYIL_HS_DECIDE);
  assert_int_equal(ayil_hs_eof(s), 0);
  assert_int_equal(ayil_hs_accept(s, p, AYIL_HS_PAYLOAD_MAX + 1), AYIL_ETOOBIG);
  ayil_hs_reject(s);
  assert_int_equal(ayil_hs_status(s), AYIL_EPERM);
  assert_null(ayil_hs_peer_id(s));
  assert_int_equal(ayil_hs_peer_payload(s, &p, &n), AYIL_ESTATE);
  ayil_hs_output(s, &p, &n);
  assert_int_equal(n, 0);
  /* The client sees only the connection close. */
  assert_int_equal(ayil_hs_eof(c), AYIL_ECLOSED);
  assert_int_equal(ayil_hs_status(c), AYIL_ECLOSED);
  ayil_hs_free(c);
  ayil_hs_free(s);
}

static void check_hex(const char *what, const uint8_t *b, size_t n,
                      const char *expect) {
  char *hex = malloc(2 * n + 1);
  assert_non_null(hex);
  hex_of(hex, 2 * n + 1, b, n);
  if (strcmp(hex, expect) != 0)
    print_message("%s: %s\n", what, hex);
  assert_string_equal(hex, expect);
  free(hex);
}

/* Seals `text` as the next frame, pins its bytes, and opens it. */
static void seal_open(ayil_tx_t *tx, ayil_rx_t *rx, const char *text,
                      const char *expect_hex) {
  uint8_t wire[64];
  size_t n = 0, used = 0, flen = 0;
  const uint8_t *frame = NULL;
  assert_int_equal(ayil_tx_seal(tx, (const uint8_t *)text, strlen(text), wire,
                                sizeof(wire), &n),
                   0);
  check_hex(text, wire, n, expect_hex);
  assert_int_equal(ayil_rx_feed(rx, wire, n, &used, &frame, &flen), 0);
  assert_non_null(frame);
  assert_memory_equal(frame, text, strlen(text));
}

/* The pinned vectors of proto/PROTOCOL.md. */
static void test_vectors(void **state) {
  cfg_t cfg;
  res_t *r;
  ayil_tx_t *ctx = NULL, *stx = NULL;
  ayil_rx_t *crx = NULL, *srx = NULL;
  (void)state;
  cfg_init(&cfg);
  cfg.vectors = 1;
  r = run(&cfg);
  assert_int_equal(r->err, 0);
  check_hex("client hello", r->msg[0], r->len[0], V_MSG1);
  check_hex("server hello", r->msg[1], r->len[1], V_MSG2);
  check_hex("client auth", r->msg[2], r->len[2], V_MSG3);
  check_hex("server accept", r->msg[3], r->len[3], V_MSG4);
  assert_int_equal(ayil_hs_take_tx(r->c, &ctx), 0);
  assert_int_equal(ayil_hs_take_tx(r->s, &stx), 0);
  assert_int_equal(ayil_hs_take_rx(r->c, &crx), 0);
  assert_int_equal(ayil_hs_take_rx(r->s, &srx), 0);
  seal_open(ctx, srx, "ping", V_C2S_FRAME);
  seal_open(stx, crx, "pong", V_S2C_FRAME);
  pass_frame(ctx, srx, "interop");
  pass_frame(stx, crx, "interop");
  ayil_tx_free(ctx);
  ayil_tx_free(stx);
  ayil_rx_free(crx);
  ayil_rx_free(srx);
  res_free(r);
}

/*
 * The hellos recomputed from the specification with libsodium directly,
 * independent of proto/handshake.c.
 */
static void test_spec_hellos(void **state) {
  cfg_t cfg;
  res_t *r;
  uint8_t eph[32], pk[32], mac[crypto_auth_BYTES], msg[16 + 64];
  uint8_t es_c[32], sx[32], ee[32], kid[32];
  crypto_generichash_state h;
  (void)state;
  cfg_init(&cfg);
  cfg.vectors = 1;
  r = run(&cfg);
  assert_int_equal(r->err, 0);
  fill(eph, 32, 0x60);
  crypto_scalarmult_base(pk, eph);
  assert_memory_equal(r->msg[0], pk, 32);
  memcpy(msg, "ayil-hs1/c-hello", 16);
  memcpy(msg + 16, pk, 32);
  crypto_auth(mac, msg, 48, cfg.netkey_c);
  assert_memory_equal(r->msg[0] + 32, mac, 16);
  /* Server hello: s_pub || tag_n || tag_id. */
  memcpy(msg, "ayil-hs1/s-hello", 16);
  memcpy(msg + 16, pk, 32);
  memcpy(msg + 48, r->msg[1], 32);
  crypto_auth(mac, msg, 80, cfg.netkey_c);
  assert_memory_equal(r->msg[1] + 32, mac, 16);
  assert_int_equal(crypto_scalarmult(ee, eph, r->msg[1]), 0);
  assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(sx, cfg.s_pk), 0);
  assert_int_equal(crypto_scalarmult(es_c, eph, sx), 0);
  crypto_generichash_init(&h, NULL, 0, 32);
  crypto_generichash_update(&h, (const uint8_t *)"ayil-hs1/s-id", 13);
  crypto_generichash_update(&h, cfg.netkey_c, 32);
  crypto_generichash_update(&h, ee, 32);
  crypto_generichash_update(&h, es_c, 32);
  crypto_generichash_final(&h, kid, 32);
  memcpy(msg, pk, 32);
  memcpy(msg + 32, r->msg[1], 32);
  crypto_auth(mac, msg, 64, kid);
  assert_memory_equal(r->msg[1] + 48, mac, 16);
  res_free(r);
}

/* BLAKE2b-256 over up to five parts (NULL ends the list early). */
static void h5(uint8_t out[32], const void *a, size_t an, const void *b,
               size_t bn, const void *c, size_t cn, const void *d, size_t dn,
               const void *e, size_t en) {
  crypto_generichash_state h;
  crypto_generichash_init(&h, NULL, 0, 32);
  crypto_generichash_update(&h, a, an);
  if (b != NULL)
    crypto_generichash_update(&h, b, bn);
  if (c != NULL)
    crypto_generichash_update(&h, c, cn);
  if (d != NULL)
    crypto_generichash_update(&h, d, dn);
  if (e != NULL)
    crypto_generichash_update(&h, e, en);
  crypto_generichash_final(&h, out, 32);
}

static void unhex(uint8_t *out, size_t cap, const char *hex, size_t *len) {
  assert_int_equal(sodium_hex2bin(out, cap, hex, strlen(hex), NULL, len, NULL),
                   0);
}

/*
 * The whole key schedule of PROTOCOL.md recomputed with libsodium directly
 * from the pinned bytes, independent of proto/handshake.c; then a forged
 * auth (valid box, bad signature) is refused with AYIL_ESIG.
 */
static void test_spec_keys(void **state) {
  cfg_t cfg;
  uint8_t m1[64], m2[64], m3[256], m4[128], f[64], plain[256];
  size_t l1, l2, l3, l4, lf;
  uint8_t ceph[32], sx[32], cx_sk[32], ee[32], es[32], se[32];
  uint8_t dh3[96], h1[32], h2[32], k1[32], k2[32], kc2s[32], ks2c[32], hp[32];
  uint8_t hdr[24], sigmsg[14 + 32 + 32 + 64];
  crypto_secretstream_xchacha20poly1305_state st;
  unsigned long long mlen = 0;
  unsigned char tag = 0;
  static const uint8_t nonce[crypto_secretbox_NONCEBYTES];
  (void)state;
  cfg_init(&cfg);
  unhex(m1, sizeof(m1), V_MSG1, &l1);
  unhex(m2, sizeof(m2), V_MSG2, &l2);
  unhex(m3, sizeof(m3), V_MSG3, &l3);
  unhex(m4, sizeof(m4), V_MSG4, &l4);
  fill(ceph, 32, 0x60);
  assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(sx, cfg.s_pk), 0);
  assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(cx_sk, cfg.c_sk), 0);
  assert_int_equal(crypto_scalarmult(ee, ceph, m2), 0);
  assert_int_equal(crypto_scalarmult(es, ceph, sx), 0);
  assert_int_equal(crypto_scalarmult(se, cx_sk, m2), 0);
  memcpy(dh3, ee, 32);
  memcpy(dh3 + 32, es, 32);
  memcpy(dh3 + 64, se, 32);

  /* Client auth. */
  h5(h1, m1, l1, m2, l2, NULL, 0, NULL, 0, NULL, 0);
  h5(k1, "ayil-hs1/k1", 11, cfg.netkey_c, 32, h1, 32, dh3, 64, NULL, 0);
  assert_int_equal((size_t)m3[0] << 8 | m3[1], l3 - 2);
  assert_int_equal(crypto_secretbox_open_easy(plain, m3 + 2, l3 - 2, nonce, k1),
                   0);
  assert_memory_equal(plain, cfg.c_pk, 32);
  fill(hdr, 24, 0xa0);
  assert_memory_equal(plain + 96, hdr, 24);
  assert_int_equal(l3 - 2 - 16 - 120, strlen(V_CPAY));
  assert_memory_equal(plain + 120, V_CPAY, strlen(V_CPAY));
  h5(hp, hdr, 24, V_CPAY, strlen(V_CPAY), NULL, 0, NULL, 0, NULL, 0);
  memcpy(sigmsg, "ayil-hs1/c-sig", 14);
  memcpy(sigmsg + 14, cfg.netkey_c, 32);
  memcpy(sigmsg + 46, cfg.s_pk, 32);
  memcpy(sigmsg + 78, h1, 32);
  memcpy(sigmsg + 110, hp, 32);
  assert_int_equal(
      crypto_sign_verify_detached(plain + 32, sigmsg, sizeof(sigmsg), cfg.c_pk),
      0);

  /* The c2s stream: key from h1, header from the auth. */
  h5(kc2s, "ayil-hs1/c2s", 12, cfg.netkey_c, 32, h1, 32, dh3, 96, NULL, 0);
  unhex(f, sizeof(f), V_C2S_FRAME, &lf);
  crypto_secretstream_xchacha20poly1305_init_pull(&st, hdr, kc2s);
  assert_int_equal(crypto_secretstream_xchacha20poly1305_pull(
                       &st, plain, &mlen, &tag, f + 2, lf - 2, f, 2),
                   0);
  assert_memory_equal(plain, "ping", 4);

  /* Server accept and the s2c stream: from h2. */
  h5(h2, h1, 32, m3, l3, NULL, 0, NULL, 0, NULL, 0);
  h5(k2, "ayil-hs1/k2", 11, cfg.netkey_c, 32, h2, 32, dh3, 96, NULL, 0);
  h5(ks2c, "ayil-hs1/s2c", 12, cfg.netkey_c, 32, h2, 32, dh3, 96, NULL, 0);
  assert_int_equal(crypto_secretbox_open_easy(plain, m4 + 2, l4 - 2, nonce, k2),
                   0);
  fill(hdr, 24, 0xc0);
  assert_memory_equal(plain, hdr, 24);
  assert_memory_equal(plain + 24, V_SPAY, strlen(V_SPAY));
  unhex(f, sizeof(f), V_S2C_FRAME, &lf);
  crypto_secretstream_xchacha20poly1305_init_pull(&st, hdr, ks2c);
  assert_int_equal(crypto_secretstream_xchacha20poly1305_pull(
                       &st, plain, &mlen, &tag, f + 2, lf - 2, f, 2),
                   0);
  assert_memory_equal(plain, "pong", 4);

  /* A box that opens but whose signature does not verify: AYIL_ESIG. */
  {
    ayil_hs_t *s = NULL;
    uint8_t eph[32], sh[24], forged[256];
    const uint8_t *p = NULL;
    size_t n = 0, used = 0;
    assert_int_equal(
        crypto_secretbox_open_easy(plain, m3 + 2, l3 - 2, nonce, k1), 0);
    plain[40] ^= 1;
    forged[0] = m3[0];
    forged[1] = m3[1];
    crypto_secretbox_easy(forged + 2, plain, l3 - 2 - 16, nonce, k1);
    assert_int_equal(ayil_hs_server_new(&s, cfg.netkey_s, cfg.s_sk), 0);
    fill(eph, 32, 0x80);
    fill(sh, 24, 0xc0);
    assert_int_equal(ayil__hs_set_test_randomness(s, eph, sh), 0);
    assert_int_equal(ayil_hs_feed(s, m1, l1, &used), 0);
    ayil_hs_output(s, &p, &n);
    assert_int_equal(n, l2);
    assert_memory_equal(p, m2, l2);
    assert_int_equal(ayil_hs_feed(s, forged, l3, &used), AYIL_ESIG);
    assert_null(ayil_hs_peer_id(s));
    ayil_hs_free(s);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_full_handshake),
      cmocka_unit_test(test_early_client_data),
      cmocka_unit_test(test_one_byte_at_a_time),
      cmocka_unit_test(test_max_payloads),
      cmocka_unit_test(test_wrong_network_key),
      cmocka_unit_test(test_wrong_server_id),
      cmocka_unit_test(test_replay),
      cmocka_unit_test(test_flip_every_byte),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_bad_lengths),
      cmocka_unit_test(test_low_order_ephemeral),
      cmocka_unit_test(test_reject_and_states),
      cmocka_unit_test(test_vectors),
      cmocka_unit_test(test_spec_hellos),
      cmocka_unit_test(test_spec_keys),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

/* The session (proto/session.c): two sessions in memory, as ayild and the
 * simulator drive them. It adds no bytes of its own: the handshake and the
 * envelope have their golden vectors in test_handshake and test_envelope;
 * here, the order of things, admission, refusals and the clean end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "ayil/session.h"

typedef struct {
  uint64_t clock;    /* this side's wall clock */
  int admit_rc;      /* server: what admit() answers */
  int admits;        /* server: admit() calls */
  uint8_t peer[32];  /* server: the id admit() saw */
  int had_token;     /* server: the envelope carried a token */
  uint8_t token[16]; /* server: which */
} side_t;

static int cb_origins(void *ctx, ayil_sync_origin_t *out, size_t cap,
                      size_t *n) {
  (void)ctx;
  (void)out;
  (void)cap;
  *n = 0;
  return 0;
}

static int cb_head(void *ctx, const uint8_t origin[AYIL_ID_BYTES],
                   uint64_t *seq, uint8_t hash[AYIL_HASH_BYTES]) {
  (void)ctx;
  (void)origin;
  (void)hash;
  *seq = 0;
  return 0;
}

static int cb_get(void *ctx, const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                  ayil_sync_item_t *out) {
  (void)ctx;
  (void)origin;
  (void)seq;
  (void)out;
  return AYIL_ENOTFOUND;
}

static int cb_deliver(void *ctx, const ayil_entry_t *e,
                      const ayil_sync_item_t *item) {
  (void)ctx;
  (void)e;
  (void)item;
  return AYIL_EPERM;
}

static void cb_event(void *ctx, const ayil_sync_event_t *ev) {
  (void)ctx;
  (void)ev;
}

static uint64_t cb_wall(void *ctx) {
  return ((side_t *)ctx)->clock;
}

static int cb_admit(void *ctx, const uint8_t peer[AYIL_ID_BYTES],
                    const ayil_envelope_t *env) {
  side_t *s = ctx;
  s->admits++;
  memcpy(s->peer, peer, 32);
  s->had_token = env->has_token;
  if (env->has_token)
    memcpy(s->token, env->token, sizeof s->token);
  return s->admit_rc;
}

static ayil_session_config_t config(side_t *s) {
  ayil_session_config_t c;
  memset(&c, 0, sizeof c);
  c.sync.ctx = s;
  c.sync.origins = cb_origins;
  c.sync.head = cb_head;
  c.sync.get = cb_get;
  c.sync.deliver = cb_deliver;
  c.sync.event = cb_event;
  c.wall_ms = cb_wall;
  c.admit = cb_admit;
  return c;
}

typedef struct {
  uint8_t netkey[32], wrongkey[32];
  uint8_t cpk[32], csk[64], spk[32], ssk[64];
  side_t cs, ss;
  ayil_session_t *c, *s;
} pair_t;

static void pair_new(pair_t *p, int token, int wrong_netkey) {
  ayil_session_config_t cc, sc;
  memset(p, 0, sizeof *p);
  randombytes_buf(p->netkey, sizeof p->netkey);
  randombytes_buf(p->wrongkey, sizeof p->wrongkey);
  crypto_sign_keypair(p->cpk, p->csk);
  crypto_sign_keypair(p->spk, p->ssk);
  p->cs.clock = 1764758400111ULL;
  p->ss.clock = 1764758400222ULL;
  cc = config(&p->cs);
  cc.admit = NULL; /* a client never admits */
  if (token) {
    cc.has_token = 1;
    memset(cc.token, 0x5a, sizeof cc.token);
  }
  sc = config(&p->ss);
  assert_int_equal(ayil_session_client(&p->c, &cc,
                                       wrong_netkey ? p->wrongkey : p->netkey,
                                       p->csk, p->spk, 1000),
                   0);
  assert_int_equal(ayil_session_server(&p->s, &sc, p->netkey, p->ssk, 1000), 0);
}

static void pair_free(pair_t *p) {
  ayil_session_free(p->c);
  ayil_session_free(p->s);
}

/* Moves everything one side transmits to the other, `chunk` bytes per
 * feed. Returns the other side's first feed error, or 0. Bytes moved in
 * *moved. */
static int move(ayil_session_t *from, ayil_session_t *to, size_t chunk,
                size_t *moved) {
  int round;
  *moved = 0;
  for (round = 0; round < 64; round++) {
    const uint8_t *out = NULL;
    size_t n = 0, off;
    int rc = ayil_session_transmit(from, 5000, &out, &n);
    if (rc != 0 || n == 0)
      return 0;
    *moved += n;
    for (off = 0; off < n; off += chunk) {
      size_t k = n - off < chunk ? n - off : chunk;
      rc = ayil_session_feed(to, out + off, k, 5000);
      if (rc != 0)
        return rc;
    }
  }
  return 0;
}

/* Both ways until neither side has anything to send. */
static void settle(pair_t *p, size_t chunk) {
  int i;
  for (i = 0; i < 16; i++) {
    size_t a = 0, b = 0;
    assert_int_equal(move(p->c, p->s, chunk, &a), 0);
    assert_int_equal(move(p->s, p->c, chunk, &b), 0);
    if (a == 0 && b == 0)
      return;
  }
  fail_msg("the sessions never settled");
}

static void open_and_end(size_t chunk) {
  pair_t p;
  ayil_session_event_t ev;
  pair_new(&p, 1, 0);
  assert_int_equal(ayil_session_state(p.c), AYIL_SESSION_HANDSHAKE);
  assert_null(ayil_session_peer(p.c));
  settle(&p, chunk);
  /* Admitted once, with the client's id and its invite token. */
  assert_int_equal(p.ss.admits, 1);
  assert_memory_equal(p.ss.peer, p.cpk, 32);
  assert_int_equal(p.ss.had_token, 1);
  assert_int_equal(p.ss.token[0], 0x5a);
  assert_int_equal(p.ss.token[15], 0x5a);
  assert_memory_equal(ayil_session_peer(p.c), p.spk, 32);
  assert_memory_equal(ayil_session_peer(p.s), p.cpk, 32);
  assert_int_equal(ayil_session_state(p.c), AYIL_SESSION_OPEN);
  assert_int_equal(ayil_session_state(p.s), AYIL_SESSION_OPEN);
  /* Each side learns the other's clock from its envelope. */
  assert_int_equal(ayil_session_event(p.c, &ev), 1);
  assert_int_equal(ev.type, AYIL_SESSION_EV_OPEN);
  assert_int_equal(ev.peer_clock_ms, p.ss.clock);
  assert_int_equal(ayil_session_event(p.c, &ev), 0);
  assert_int_equal(ayil_session_event(p.s, &ev), 1);
  assert_int_equal(ev.type, AYIL_SESSION_EV_OPEN);
  assert_int_equal(ev.peer_clock_ms, p.cs.clock);
  assert_non_null(ayil_session_sync(p.c));
  assert_int_equal(ayil_sync_idle(ayil_session_sync(p.c)), 1);
  assert_int_equal(ayil_sync_idle(ayil_session_sync(p.s)), 1);
  assert_int_equal(ayil_session_early_frames(p.c), 0);
  /* The client leaves: the server hears it and answers with its own. */
  ayil_session_leave(p.c);
  assert_int_equal(ayil_session_leaving(p.c), 1);
  settle(&p, chunk);
  assert_int_equal(ayil_session_event(p.s, &ev), 1);
  assert_int_equal(ev.type, AYIL_SESSION_EV_PEER_LEFT);
  ayil_session_leave(p.s);
  settle(&p, chunk);
  assert_int_equal(ayil_session_event(p.c, &ev), 1);
  assert_int_equal(ev.type, AYIL_SESSION_EV_PEER_LEFT);
  assert_int_equal(ayil_session_state(p.c), AYIL_SESSION_ENDED);
  assert_int_equal(ayil_session_state(p.s), AYIL_SESSION_ENDED);
  /* A clean end: the TCP close after both final frames is no error. */
  assert_int_equal(ayil_session_eof(p.c), 0);
  assert_int_equal(ayil_session_eof(p.s), 0);
  pair_free(&p);
}

static void test_open_and_end(void **state) {
  (void)state;
  open_and_end(1 << 20);
}

/* Byte by byte, as a 2G link may deliver it: the same story. */
static void test_byte_by_byte(void **state) {
  (void)state;
  open_and_end(1);
}

/* The server refuses: nothing follows the client's auth, and the client,
 * whose hub closes, sees a closed connection, not a protocol error. */
static void test_refused(void **state) {
  pair_t p;
  size_t moved = 0;
  const uint8_t *out = NULL;
  size_t n = 0;
  (void)state;
  pair_new(&p, 0, 0);
  p.ss.admit_rc = AYIL_EUNKNOWN_NODE;
  assert_int_equal(move(p.c, p.s, 4096, &moved), 0); /* hello */
  assert_int_equal(move(p.s, p.c, 4096, &moved), 0); /* hello */
  assert_int_equal(move(p.c, p.s, 4096, &moved), AYIL_EUNKNOWN_NODE);
  assert_int_equal(p.ss.admits, 1);
  assert_int_equal(p.ss.had_token, 0);
  assert_int_equal(ayil_session_state(p.s), AYIL_EUNKNOWN_NODE);
  assert_int_equal(ayil_session_transmit(p.s, 5000, &out, &n),
                   AYIL_EUNKNOWN_NODE);
  assert_int_equal(n, 0);
  assert_null(ayil_session_sync(p.s));
  /* The client proved the hub and sent its auth: it knows who refused. */
  assert_memory_equal(ayil_session_peer(p.c), p.spk, 32);
  assert_int_equal(ayil_session_state(p.c), AYIL_SESSION_HANDSHAKE);
  assert_int_equal(ayil_session_eof(p.c), AYIL_ECLOSED);
  pair_free(&p);
}

/* A wrong network key: the server fails on the hello and answers nothing. */
static void test_wrong_netkey(void **state) {
  pair_t p;
  size_t moved = 0;
  const uint8_t *out = NULL;
  size_t n = 0;
  (void)state;
  pair_new(&p, 0, 1);
  assert_int_equal(move(p.c, p.s, 4096, &moved), AYIL_EAUTH);
  assert_int_equal(ayil_session_transmit(p.s, 5000, &out, &n), AYIL_EAUTH);
  assert_int_equal(n, 0);
  assert_int_equal(p.ss.admits, 0);
  pair_free(&p);
}

/* After the handshake, a flipped byte in a frame ends the session, and
 * the error stays. */
static void test_flipped_frame(void **state) {
  pair_t p;
  const uint8_t *out = NULL;
  uint8_t buf[64];
  size_t n = 0;
  (void)state;
  pair_new(&p, 0, 0);
  settle(&p, 4096);
  ayil_session_leave(p.c);
  assert_int_equal(ayil_session_transmit(p.c, 5000, &out, &n), 0);
  assert_true(n > 0 && n <= sizeof buf);
  memcpy(buf, out, n);
  buf[n - 1] ^= 0x01;
  assert_int_equal(ayil_session_feed(p.s, buf, n, 5000), AYIL_EDECRYPT);
  assert_int_equal(ayil_session_feed(p.s, buf, 1, 5000), AYIL_EDECRYPT);
  assert_int_equal(ayil_session_state(p.s), AYIL_EDECRYPT);
  /* Nothing more after the final frame. */
  assert_int_equal(ayil_session_transmit(p.c, 5000, &out, &n), 0);
  assert_int_equal(n, 0);
  pair_free(&p);
}

/* A stream cut in the middle of a frame is a truncation, not a clean end. */
static void test_cut_mid_frame(void **state) {
  pair_t p;
  const uint8_t *out = NULL;
  size_t n = 0;
  (void)state;
  pair_new(&p, 0, 0);
  settle(&p, 4096);
  ayil_session_leave(p.c);
  assert_int_equal(ayil_session_transmit(p.c, 5000, &out, &n), 0);
  assert_true(n > 2);
  assert_int_equal(ayil_session_feed(p.s, out, n - 1, 5000), 0);
  assert_int_equal(ayil_session_eof(p.s), AYIL_ETRUNC);
  assert_int_equal(ayil_session_state(p.s), AYIL_ETRUNC);
  pair_free(&p);
}

/* Memory a peer can make the server hold (PROTOCOL.md, "Sessions"): a
 * stranger before its hello costs under 2 KiB; an idle open session holds
 * no message or frame buffers; a frame's buffer grows with the bytes that
 * arrive, not with the length a peer announces. */
static void test_memory(void **state) {
  pair_t p;
  size_t idle, moved = 0;
  static uint8_t junk[60000];
  uint8_t len[2] = {0xff, 0xff};
  (void)state;
  pair_new(&p, 0, 0);
  assert_true(ayil_session_memory(p.s) < 2048);
  /* The client's hello proves the network key: a handshake's buffers. */
  assert_int_equal(move(p.c, p.s, 4096, &moved), 0);
  assert_true(ayil_session_memory(p.s) > 32768);
  settle(&p, 4096);
  assert_int_equal(ayil_session_state(p.s), AYIL_SESSION_OPEN);
  idle = ayil_session_memory(p.s);
  assert_true(idle < 24576);
  assert_true(ayil_session_memory(p.c) < 24576);
  assert_int_equal(ayil_session_partial(p.s), 0);
  /* A frame announced at 64 KiB, of which 100 bytes arrive. */
  assert_int_equal(ayil_session_feed(p.s, len, 2, 5000), 0);
  assert_int_equal(ayil_session_feed(p.s, junk, 100, 5000), 0);
  assert_int_equal(ayil_session_partial(p.s), 102);
  assert_true(ayil_session_memory(p.s) <= idle + 1024);
  assert_int_equal(ayil_session_feed(p.s, junk, sizeof junk, 5000), 0);
  assert_int_equal(ayil_session_partial(p.s), 102 + sizeof junk);
  assert_true(ayil_session_memory(p.s) >= idle + sizeof junk);
  /* The rest of it fails to authenticate; the buffers go with the error. */
  assert_int_equal(
      ayil_session_feed(p.s, junk, 65535 + 17 - 100 - sizeof junk, 5000),
      AYIL_EDECRYPT);
  assert_true(ayil_session_memory(p.s) <= idle);
  pair_free(&p);
}

/* Configurations that cannot work are refused at once. */
static void test_bad_config(void **state) {
  side_t s;
  ayil_session_config_t c;
  ayil_session_t *x = NULL;
  uint8_t netkey[32] = {0}, pk[32], sk[64];
  (void)state;
  memset(&s, 0, sizeof s);
  crypto_sign_keypair(pk, sk);
  c = config(&s);
  c.admit = NULL;
  assert_int_equal(ayil_session_server(&x, &c, netkey, sk, 0), AYIL_EINVAL);
  c = config(&s);
  c.wall_ms = NULL;
  assert_int_equal(ayil_session_client(&x, &c, netkey, sk, pk, 0), AYIL_EINVAL);
  assert_null(x);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_open_and_end),
      cmocka_unit_test(test_byte_by_byte),
      cmocka_unit_test(test_refused),
      cmocka_unit_test(test_wrong_netkey),
      cmocka_unit_test(test_flipped_frame),
      cmocka_unit_test(test_cut_mid_frame),
      cmocka_unit_test(test_bad_config),
      cmocka_unit_test(test_memory),
  };
  if (sodium_init() < 0)
    return 1;
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Fuzz target: the session (proto/session.c) as a hub runs it for whoever
 * reaches its port. The first byte picks where the hostile bytes go:
 *   0  straight to a fresh server: without the network key it must never
 *      answer a single byte, nor call admit();
 *   1  behind a real client's hello (the network key is right): the bytes
 *      are its "auth"; admit() must never be called (no signature);
 *   2+ after a real handshake, as the client's stream: the session ends
 *      with an error or takes them, and never crashes.
 * The handshake's, the envelope's and sync's decoders have their own
 * targets; this one checks that the session wires them together safely. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ayil/session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const uint8_t *fuzz_seed(size_t i, size_t *len);

static uint8_t netkey[32], cpk[32], csk[64], spk[32], ssk[64];
static int ready, admitted;

static void setup(void) {
  uint8_t seed[32];
  if (ready)
    return;
  if (sodium_init() < 0)
    abort();
  memset(netkey, 0x4e, sizeof netkey);
  memset(seed, 0x43, sizeof seed);
  crypto_sign_seed_keypair(cpk, csk, seed);
  memset(seed, 0x53, sizeof seed);
  crypto_sign_seed_keypair(spk, ssk, seed);
  ready = 1;
}

static int cb_origins(void *ctx, ayil_sync_origin_t *out, size_t cap,
                      size_t *n) {
  (void)ctx;
  (void)out;
  (void)cap;
  *n = 0;
  return 0;
}
static int cb_head(void *ctx, const uint8_t *o, uint64_t *seq, uint8_t *h) {
  (void)ctx;
  (void)o;
  (void)h;
  *seq = 0;
  return 0;
}
static int cb_get(void *ctx, const uint8_t *o, uint64_t seq,
                  ayil_sync_item_t *it) {
  (void)ctx;
  (void)o;
  (void)seq;
  (void)it;
  return AYIL_ENOTFOUND;
}
static int cb_deliver(void *ctx, const ayil_entry_t *e,
                      const ayil_sync_item_t *it) {
  (void)ctx;
  (void)e;
  (void)it;
  return AYIL_EPERM;
}
static void cb_event(void *ctx, const ayil_sync_event_t *ev) {
  (void)ctx;
  (void)ev;
}
static uint64_t cb_wall(void *ctx) {
  (void)ctx;
  return 1764758400000ULL;
}
static int cb_admit(void *ctx, const uint8_t *peer, const ayil_envelope_t *e) {
  (void)ctx;
  (void)e;
  if (memcmp(peer, cpk, 32) != 0)
    abort(); /* admit() for a key that did not sign the transcript */
  admitted++;
  return 0;
}

static ayil_session_config_t config(void) {
  ayil_session_config_t c;
  memset(&c, 0, sizeof c);
  c.sync.origins = cb_origins;
  c.sync.head = cb_head;
  c.sync.get = cb_get;
  c.sync.deliver = cb_deliver;
  c.sync.event = cb_event;
  c.wall_ms = cb_wall;
  c.admit = cb_admit;
  return c;
}

/* Everything `from` sends now, fed to `to`. */
static int move(ayil_session_t *from, ayil_session_t *to) {
  int i;
  for (i = 0; i < 16; i++) {
    const uint8_t *out = NULL;
    size_t n = 0;
    int rc = ayil_session_transmit(from, 1, &out, &n);
    if (rc != 0 || n == 0)
      return rc;
    rc = ayil_session_feed(to, out, n, 1);
    if (rc != 0)
      return rc;
  }
  return 0;
}

const uint8_t *fuzz_seed(size_t i, size_t *len) {
  static const uint8_t seeds[3][8] = {
      {0, 0x01, 0x02, 0x03}, {1, 0x00, 0x8a, 0x10}, {2, 0x00, 0x12, 0x91}};
  if (i >= 3)
    return NULL;
  *len = 4;
  return seeds[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ayil_session_config_t c = config();
  ayil_session_t *srv = NULL, *cli = NULL;
  const uint8_t *out = NULL;
  size_t n = 0;
  int mode;
  if (size < 1)
    return 0;
  setup();
  mode = data[0];
  data++;
  size--;
  admitted = 0;
  if (ayil_session_server(&srv, &c, netkey, ssk, 1) != 0)
    abort();
  if (mode >= 1) {
    c.admit = NULL;
    if (ayil_session_client(&cli, &c, netkey, csk, spk, 1) != 0)
      abort();
    if (move(cli, srv) != 0)
      abort(); /* a real hello is taken */
    if (mode >= 2 &&
        (move(srv, cli) != 0 || move(cli, srv) != 0 || move(srv, cli) != 0 ||
         ayil_session_state(srv) != AYIL_SESSION_OPEN))
      abort(); /* a real handshake completes */
  }
  if (ayil_session_feed(srv, data, size, 2) != 0 &&
      ayil_session_state(srv) >= 0)
    abort(); /* an error that does not stick */
  if (mode == 0) {
    /* The port answers nothing to a stranger without the network key. */
    if (ayil_session_transmit(srv, 2, &out, &n) == 0 && n > 0)
      abort();
    if (admitted)
      abort();
  } else if (mode == 1 && admitted) {
    abort();
  } else if (ayil_session_transmit(srv, 2, &out, &n) != 0 && n > 0) {
    abort(); /* bytes after a failure */
  }
  (void)ayil_session_eof(srv);
  ayil_session_free(srv);
  ayil_session_free(cli);
  return 0;
}

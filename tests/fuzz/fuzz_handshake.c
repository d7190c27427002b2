/*
 * libFuzzer target for the handshake and the frame decoder: every byte a
 * peer can send before and after authentication. Not built by default:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *     tests/fuzz/fuzz_handshake.c proto/handshake.c proto/transport.c \
 *     proto/error.c -lsodium -o fuzz_handshake
 *
 * The first input byte picks what is fed, the second how it is chunked:
 *   0  a fresh server, raw bytes (client hello onwards)
 *   1  a server that got a valid client hello: the bytes as the auth
 *   2  a client that sent its hello: the bytes as server hello onwards
 *   3  a client whose handshake reached the accept: the bytes as the accept
 *   4  a frame decoder under a fixed key
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "ayil/handshake.h"
#include "ayil/transport.h"
#include "testhooks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t netkey[32], c_pk[32], c_sk[64], s_pk[32], s_sk[64];
static int ready;

static void fill(uint8_t *p, size_t n, uint8_t start) {
  for (size_t i = 0; i < n; i++)
    p[i] = (uint8_t)(start + i);
}

static void init(void) {
  uint8_t seed[32];
  if (ready)
    return;
  if (sodium_init() < 0)
    __builtin_trap();
  fill(netkey, 32, 0x00);
  fill(seed, 32, 0x20);
  crypto_sign_seed_keypair(c_pk, c_sk, seed);
  fill(seed, 32, 0x40);
  crypto_sign_seed_keypair(s_pk, s_sk, seed);
  ready = 1;
}

/* Deterministic ephemerals, so that a found input replays. */
static void pin(ayil_hs_t *hs, uint8_t eph_start, uint8_t hdr_start) {
  uint8_t eph[32], hdr[24];
  fill(eph, 32, eph_start);
  fill(hdr, 24, hdr_start);
  if (ayil__hs_set_test_randomness(hs, eph, hdr) != 0)
    __builtin_trap();
}

/* Feeds in chunks of `chunk` bytes (0 means all at once). */
static void feed_hs(ayil_hs_t *hs, const uint8_t *d, size_t n, size_t chunk) {
  size_t off = 0;
  while (off < n) {
    size_t k = chunk == 0 || n - off < chunk ? n - off : chunk;
    size_t used = 0;
    if (ayil_hs_feed(hs, d + off, k, &used) < 0)
      return;
    if (used > k)
      __builtin_trap();
    if (used < k) {
      if (ayil_hs_status(hs) == AYIL_HS_DECIDE) {
        const uint8_t *p = NULL;
        size_t len = 0;
        if (ayil_hs_peer_payload(hs, &p, &len) != 0 ||
            len > AYIL_HS_PAYLOAD_MAX || ayil_hs_peer_id(hs) == NULL)
          __builtin_trap();
        if (ayil_hs_accept(hs, NULL, 0) != 0)
          __builtin_trap();
      }
      return;
    }
    off += k;
  }
  (void)ayil_hs_eof(hs);
}

static void feed_rx(const uint8_t *d, size_t n, size_t chunk) {
  uint8_t key[AYIL_STREAM_KEY_BYTES], hdr[AYIL_STREAM_HEADER_BYTES];
  ayil_rx_t *rx = NULL;
  size_t off = 0;
  fill(key, sizeof(key), 0x30);
  fill(hdr, sizeof(hdr), 0xa0);
  if (ayil_rx_new(&rx, key, hdr) != 0)
    return;
  while (off < n) {
    size_t k = chunk == 0 || n - off < chunk ? n - off : chunk;
    size_t used = 0, flen = 0;
    const uint8_t *frame = NULL;
    if (ayil_rx_feed(rx, d + off, k, &used, &frame, &flen) < 0)
      break;
    if (used > k || (frame != NULL && flen > AYIL_FRAME_MAX))
      __builtin_trap();
    if (frame != NULL && flen > 0)
      (void)frame[flen - 1];
    off += used;
  }
  (void)!ayil_rx_eof(rx);
  ayil_rx_free(rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ayil_hs_t *c = NULL, *s = NULL;
  const uint8_t *p = NULL;
  size_t n = 0, used = 0, chunk;
  if (size < 2)
    return 0;
  init();
  chunk = data[1];
  switch (data[0] % 5) {
  case 0:
    if (ayil_hs_server_new(&s, netkey, s_sk) != 0)
      return 0;
    pin(s, 0x80, 0xc0);
    feed_hs(s, data + 2, size - 2, chunk);
    break;
  case 1:
  case 3:
    if (ayil_hs_client_new(&c, netkey, c_sk, s_pk, data, 2) != 0 ||
        ayil_hs_server_new(&s, netkey, s_sk) != 0)
      break;
    pin(c, 0x60, 0xa0);
    pin(s, 0x80, 0xc0);
    ayil_hs_output(c, &p, &n);
    if (ayil_hs_feed(s, p, n, &used) != 0)
      __builtin_trap();
    if (data[0] % 5 == 1) {
      feed_hs(s, data + 2, size - 2, chunk);
      break;
    }
    ayil_hs_output(s, &p, &n);
    if (ayil_hs_feed(c, p, n, &used) != 0)
      __builtin_trap();
    ayil_hs_output(c, &p, &n);
    feed_hs(c, data + 2, size - 2, chunk);
    break;
  case 2:
    if (ayil_hs_client_new(&c, netkey, c_sk, s_pk, NULL, 0) != 0)
      return 0;
    pin(c, 0x60, 0xa0);
    ayil_hs_output(c, &p, &n);
    feed_hs(c, data + 2, size - 2, chunk);
    break;
  default:
    feed_rx(data + 2, size - 2, chunk);
    break;
  }
  ayil_hs_free(c);
  ayil_hs_free(s);
  return 0;
}

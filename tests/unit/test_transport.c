/* Tests of the framed secretstream transport (proto/transport.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "ayil/transport.h"
#include "testhooks.h"

/* 0004 = length, then the secretstream message: tag, "ping", MAC. */
#define TRANSPORT_VECTOR "0004766c7a7863aa1192d099bfcfe41a4a49a3be89a8d3"

#define STREAM_MAX (4 * (AYIL_FRAME_MAX + AYIL_FRAME_OVERHEAD))

typedef struct {
  uint8_t key[AYIL_STREAM_KEY_BYTES];
  uint8_t header[AYIL_STREAM_HEADER_BYTES];
  ayil_tx_t *tx;
  uint8_t *wire; /* sealed frames, back to back */
  size_t wire_len;
} fx_t;

static int setup(void **state) {
  fx_t *fx = calloc(1, sizeof(*fx));
  assert_non_null(fx);
  assert_int_equal(sodium_init() < 0, 0);
  for (size_t i = 0; i < sizeof(fx->key); i++)
    fx->key[i] = (uint8_t)(0x30 + i);
  assert_int_equal(ayil_tx_new(&fx->tx, fx->key, fx->header), 0);
  fx->wire = malloc(STREAM_MAX);
  assert_non_null(fx->wire);
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  fx_t *fx = *state;
  ayil_tx_free(fx->tx);
  free(fx->wire);
  free(fx);
  return 0;
}

static void seal(fx_t *fx, const uint8_t *msg, size_t len) {
  size_t n = 0;
  assert_int_equal(ayil_tx_seal(fx->tx, msg, len, fx->wire + fx->wire_len,
                                STREAM_MAX - fx->wire_len, &n),
                   0);
  assert_int_equal(n, AYIL_FRAME_WIRE_LEN(len));
  fx->wire_len += n;
}

static void seal_end(fx_t *fx) {
  size_t n = 0;
  assert_int_equal(ayil_tx_end(fx->tx, fx->wire + fx->wire_len,
                               STREAM_MAX - fx->wire_len, &n),
                   0);
  assert_int_equal(n, AYIL_FRAME_OVERHEAD);
  fx->wire_len += n;
}

/*
 * Feeds `len` bytes in chunks of `chunk`, checking each delivered frame
 * against the pattern that make_msg() wrote. Returns the first error (or the
 * result of ayil_rx_eof when `eof`) and the number of frames delivered.
 */
static int feed_all(ayil_rx_t *rx, const uint8_t *wire, size_t len,
                    size_t chunk, int eof, size_t *nframes,
                    const size_t *expect_lens) {
  size_t off = 0;
  *nframes = 0;
  while (off < len) {
    size_t n = len - off < chunk ? len - off : chunk;
    size_t pos = 0;
    while (pos < n) {
      size_t used = 0, flen = 0;
      const uint8_t *frame = NULL;
      int rc =
          ayil_rx_feed(rx, wire + off + pos, n - pos, &used, &frame, &flen);
      if (rc < 0)
        return rc;
      assert_true(used <= n - pos);
      pos += used;
      if (frame != NULL) {
        if (expect_lens != NULL) {
          assert_int_equal(flen, expect_lens[*nframes]);
          for (size_t i = 0; i < flen; i++)
            assert_int_equal(frame[i], (uint8_t)(i * 7 + flen));
        }
        (*nframes)++;
      } else {
        assert_int_equal(pos, n); /* no frame: all input was taken */
      }
    }
    off += n;
  }
  return eof ? ayil_rx_eof(rx) : 0;
}

static uint8_t *make_msg(size_t len) {
  uint8_t *m = malloc(len ? len : 1);
  assert_non_null(m);
  for (size_t i = 0; i < len; i++)
    m[i] = (uint8_t)(i * 7 + len);
  return m;
}

static const size_t LENS[] = {0, 1, 100, 4608, AYIL_FRAME_MAX, 17};
#define NLENS (sizeof(LENS) / sizeof(LENS[0]))

static void seal_standard(fx_t *fx) {
  for (size_t i = 0; i < NLENS; i++) {
    uint8_t *m = make_msg(LENS[i]);
    seal(fx, m, LENS[i]);
    free(m);
  }
  seal_end(fx);
}

static void test_round_trip(void **state) {
  fx_t *fx = *state;
  ayil_rx_t *rx = NULL;
  size_t nframes = 0;
  seal_standard(fx);
  assert_int_equal(ayil_rx_new(&rx, fx->key, fx->header), 0);
  assert_int_equal(
      feed_all(rx, fx->wire, fx->wire_len, fx->wire_len, 1, &nframes, LENS), 0);
  assert_int_equal(nframes, NLENS);
  assert_true(ayil_rx_ended(rx));
  ayil_rx_free(rx);
}

static void test_chunk_sizes(void **state) {
  fx_t *fx = *state;
  static const size_t chunks[] = {1, 2, 3, 18, 19, 20, 1000, 70000};
  seal_standard(fx);
  for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
    ayil_rx_t *rx = NULL;
    size_t nframes = 0;
    assert_int_equal(ayil_rx_new(&rx, fx->key, fx->header), 0);
    assert_int_equal(
        feed_all(rx, fx->wire, fx->wire_len, chunks[c], 1, &nframes, LENS), 0);
    assert_int_equal(nframes, NLENS);
    ayil_rx_free(rx);
  }
}

/* Every single-byte flip anywhere in a short stream kills it, for good. */
static void test_flip_every_byte(void **state) {
  fx_t *fx = *state;
  uint8_t *m = make_msg(40);
  uint8_t *copy = malloc(STREAM_MAX);
  assert_non_null(copy);
  seal(fx, m, 40);
  seal(fx, m, 40);
  seal_end(fx);
  for (size_t i = 0; i < fx->wire_len; i++) {
    for (int bit = 0; bit < 8; bit++) {
      ayil_rx_t *rx = NULL;
      size_t nframes = 0, used = 0, flen = 0;
      const uint8_t *frame = NULL;
      int rc;
      memcpy(copy, fx->wire, fx->wire_len);
      copy[i] ^= (uint8_t)(1u << bit);
      assert_int_equal(ayil_rx_new(&rx, fx->key, fx->header), 0);
      rc = feed_all(rx, copy, fx->wire_len, 1, 1, &nframes, NULL);
      assert_true(rc == AYIL_EDECRYPT || rc == AYIL_ETRUNC);
      /* Frames before the flipped one were fine; none after it. */
      assert_true(nframes <= i / AYIL_FRAME_WIRE_LEN(40));
      /* Sticky: even the original bytes are refused now. */
      assert_int_equal(
          ayil_rx_feed(rx, fx->wire, fx->wire_len, &used, &frame, &flen), rc);
      assert_null(frame);
      assert_int_equal(ayil_rx_eof(rx), rc);
      ayil_rx_free(rx);
    }
  }
  free(copy);
  free(m);
}

static void test_reorder_replay_drop(void **state) {
  fx_t *fx = *state;
  uint8_t *m = make_msg(10);
  uint8_t *bad = malloc(STREAM_MAX);
  size_t f = AYIL_FRAME_WIRE_LEN(10);
  ayil_rx_t *rx = NULL;
  size_t nframes = 0;
  assert_non_null(bad);
  seal(fx, m, 10);
  seal(fx, m, 10);
  seal(fx, m, 10);

  /* Swap frames 1 and 2. */
  memcpy(bad, fx->wire + f, f);
  memcpy(bad + f, fx->wire, f);
  assert_int_equal(ayil_rx_new(&rx, fx->key, fx->header), 0);
  assert_int_equal(feed_all(rx, bad, 2 * f, 7, 0, &nframes, NULL),
                   AYIL_EDECRYPT);
  assert_int_equal(nframes, 0);
  ayil_rx_free(rx);

  /* Replay frame 1. */
  memcpy(bad, fx->wire, f);
  memcpy(bad + f, fx->wire, f);
  assert_int_equal(ayil_rx_new(&rx, fx->key, fx->header), 0);
  assert_int_equal(feed_all(rx, bad, 2 * f, f, 0, &nframes, NULL),
                   AYIL_EDECRYPT);
  assert_int_equal(nframes, 1);
  ayil_rx_free(rx);

  /* Drop frame 2. */
  memcpy(bad, fx->wire, f);
  memcpy(bad + f, fx->wire + 2 * f, f);
  assert_int_equal(ayil_rx_new(&rx, fx->key, fx->header), 0);
  assert_int_equal(feed_all(rx, bad, 2 * f, 1, 0, &nframes, NULL),
                   AYIL_EDECRYPT);
  assert_int_equal(nframes, 1);
  ayil_rx_free(rx);
  free(bad);
  free(m);
}

static void test_truncation(void **state) {
  fx_t *fx = *state;
  uint8_t *m = make_msg(30);
  seal(fx, m, 30);
  seal_end(fx);
  /* Cut anywhere, including right after a whole frame: ETRUNC. */
  for (size_t cut = 0; cut < fx->wire_len; cut++) {
    ayil_rx_t *rx = NULL;
    size_t nframes = 0;
    assert_int_equal(ayil_rx_new(&rx, fx->key, fx->header), 0);
    assert_int_equal(feed_all(rx, fx->wire, cut, 3, 1, &nframes, NULL),
                     AYIL_ETRUNC);
    assert_false(ayil_rx_ended(rx));
    ayil_rx_free(rx);
  }
  free(m);
}

static void test_wrong_key_and_header(void **state) {
  fx_t *fx = *state;
  uint8_t *m = make_msg(5);
  uint8_t key2[AYIL_STREAM_KEY_BYTES], hdr2[AYIL_STREAM_HEADER_BYTES];
  ayil_rx_t *rx = NULL;
  size_t nframes = 0;
  seal(fx, m, 5);
  memcpy(key2, fx->key, sizeof(key2));
  key2[0] ^= 1;
  assert_int_equal(ayil_rx_new(&rx, key2, fx->header), 0);
  assert_int_equal(feed_all(rx, fx->wire, fx->wire_len, 64, 0, &nframes, NULL),
                   AYIL_EDECRYPT);
  ayil_rx_free(rx);
  memcpy(hdr2, fx->header, sizeof(hdr2));
  hdr2[23] ^= 1;
  assert_int_equal(ayil_rx_new(&rx, fx->key, hdr2), 0);
  assert_int_equal(feed_all(rx, fx->wire, fx->wire_len, 64, 0, &nframes, NULL),
                   AYIL_EDECRYPT);
  ayil_rx_free(rx);
  free(m);
}

static void test_after_end(void **state) {
  fx_t *fx = *state;
  uint8_t *m = make_msg(3);
  uint8_t out[64];
  size_t n = 0, nframes = 0, used = 0, flen = 0;
  const uint8_t *frame = NULL;
  ayil_rx_t *rx = NULL;
  seal(fx, m, 3);
  seal_end(fx);
  assert_int_equal(ayil_tx_seal(fx->tx, m, 3, out, sizeof(out), &n),
                   AYIL_ESTATE);
  assert_int_equal(ayil_tx_end(fx->tx, out, sizeof(out), &n), AYIL_ESTATE);
  assert_int_equal(ayil_rx_new(&rx, fx->key, fx->header), 0);
  assert_int_equal(feed_all(rx, fx->wire, fx->wire_len, 5, 0, &nframes, NULL),
                   0);
  assert_int_equal(nframes, 1);
  assert_true(ayil_rx_ended(rx));
  /* Anything after the final frame is a protocol violation. */
  assert_int_equal(ayil_rx_feed(rx, out, 1, &used, &frame, &flen), AYIL_EPEER);
  assert_false(ayil_rx_ended(rx));
  assert_int_equal(ayil_rx_eof(rx), AYIL_EPEER);
  ayil_rx_free(rx);
  free(m);
}

static void test_limits(void **state) {
  fx_t *fx = *state;
  uint8_t *m = make_msg(AYIL_FRAME_MAX + 1);
  uint8_t *out = malloc(AYIL_FRAME_WIRE_LEN(AYIL_FRAME_MAX + 1));
  size_t n = 0;
  assert_non_null(out);
  assert_int_equal(ayil_tx_seal(fx->tx, m, AYIL_FRAME_MAX + 1, out,
                                AYIL_FRAME_WIRE_LEN(AYIL_FRAME_MAX + 1), &n),
                   AYIL_ETOOBIG);
  assert_int_equal(
      ayil_tx_seal(fx->tx, m, 10, out, AYIL_FRAME_WIRE_LEN(10) - 1, &n),
      AYIL_EINVAL);
  /* Neither refusal used up a stream position: the next frame decodes. */
  seal(fx, m, 10);
  {
    ayil_rx_t *rx = NULL;
    size_t nframes = 0;
    assert_int_equal(ayil_rx_new(&rx, fx->key, fx->header), 0);
    assert_int_equal(feed_all(rx, fx->wire, fx->wire_len, 1, 0, &nframes, NULL),
                     0);
    assert_int_equal(nframes, 1);
    ayil_rx_free(rx);
  }
  free(out);
  free(m);
}

/* The frame format, pinned: key 0x30.., a chosen header, payload "ping". */
static void test_vector(void **state) {
  (void)state;
  uint8_t key[AYIL_STREAM_KEY_BYTES], hdr[AYIL_STREAM_HEADER_BYTES];
  uint8_t out[64];
  char hex[2 * sizeof(out) + 1];
  size_t n = 0;
  ayil_tx_t *tx = NULL;
  for (size_t i = 0; i < sizeof(key); i++)
    key[i] = (uint8_t)(0x30 + i);
  for (size_t i = 0; i < sizeof(hdr); i++)
    hdr[i] = (uint8_t)(0xa0 + i);
  assert_int_equal(ayil__tx_new_with_header(&tx, key, hdr), 0);
  assert_int_equal(
      ayil_tx_seal(tx, (const uint8_t *)"ping", 4, out, sizeof(out), &n), 0);
  assert_int_equal(n, 4 + AYIL_FRAME_OVERHEAD);
  sodium_bin2hex(hex, sizeof(hex), out, n);
  if (strcmp(hex, TRANSPORT_VECTOR) != 0)
    print_message("frame vector: %s\n", hex);
  assert_string_equal(hex, TRANSPORT_VECTOR);
  /* The same bytes, opened with libsodium directly: the spec, not our rx. */
  {
    crypto_secretstream_xchacha20poly1305_state st;
    uint8_t m[4];
    unsigned long long mlen = 0;
    unsigned char tag = 0xff;
    crypto_secretstream_xchacha20poly1305_init_pull(&st, hdr, key);
    assert_int_equal(crypto_secretstream_xchacha20poly1305_pull(
                         &st, m, &mlen, &tag, out + 2, n - 2, out, 2),
                     0);
    assert_int_equal(mlen, 4);
    assert_memory_equal(m, "ping", 4);
    assert_int_equal(tag, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  }
  ayil_tx_free(tx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chunk_sizes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_flip_every_byte, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reorder_replay_drop, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wrong_key_and_header, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_after_end, setup, teardown),
      cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
      cmocka_unit_test(test_vector),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

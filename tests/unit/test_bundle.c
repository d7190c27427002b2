/* Tests for the bundle codec (proto/bundle.c): round trip, the plaintext
 * layout of PROTOCOL.md "Bundles" read back with libsodium alone, and
 * every kind of damage refused. node/bundle.c's import policy is not
 * tested here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "ayil/bundle.h"

#define CREATED 1700000000000ULL

static uint8_t spk[32], ssk[64], rpk[32], rsk[64], opk[32], osk[64];
static uint8_t file[4096];
static size_t file_len;
static const uint8_t entry1[] = "entry-one-bytes";
static const uint8_t body1[] = "sealed-body-bytes";
static const uint8_t entry2[] = "entry-two";
static const uint8_t proof2[] = "delete-proof";

static void append(const uint8_t *p, size_t n) {
  assert_true(file_len + n <= sizeof file);
  memcpy(file + file_len, p, n);
  file_len += n;
}

/* Writes a bundle of two items from spk to rpk into `file`. */
static void make_bundle(const uint8_t *token) {
  ayil_bundle_w_t *w = NULL;
  uint8_t head[AYIL_BUNDLE_HEAD_BYTES + 256];
  uint8_t *chunk = NULL;
  size_t n = 0;
  ayil_bundle_item_t it1 = {entry1,       sizeof entry1, body1,
                            sizeof body1, NULL,          0};
  ayil_bundle_item_t it2 = {entry2, sizeof entry2, NULL,
                            0,      proof2,        sizeof proof2};
  file_len = 0;
  assert_int_equal(
      ayil_bundle_w_new(&w, spk, rpk, CREATED, token, head, sizeof head, &n),
      0);
  append(head, n);
  assert_int_equal(ayil_bundle_w_item(w, &it1, &chunk, &n), 0);
  append(chunk, n);
  free(chunk);
  assert_int_equal(ayil_bundle_w_item(w, &it2, &chunk, &n), 0);
  append(chunk, n);
  free(chunk);
  assert_int_equal(ayil_bundle_w_end(w, head, 64, &n), 0);
  append(head, n);
  ayil_bundle_w_free(w);
}

/* Feeds `len` bytes in pieces of `step`; returns the first error, counts
 * items, and reports whether the reader saw the final chunk. */
static int read_all(const uint8_t *sk, const uint8_t *in, size_t len,
                    size_t step, int *items, int *done) {
  ayil_bundle_r_t *r = NULL;
  size_t off = 0;
  int rc = 0, guard = 0;
  *items = 0;
  assert_int_equal(ayil_bundle_r_new(&r, sk), 0);
  while (off < len && guard++ < 100000) {
    size_t k = len - off < step ? len - off : step, used = 0;
    ayil_bundle_item_t it;
    int got = 0;
    rc = ayil_bundle_r_feed(r, in + off, k, &used, &it, &got);
    if (rc != 0)
      break;
    off += used;
    if (got) {
      (*items)++;
      if (*items == 1) {
        assert_int_equal(it.entry_len, sizeof entry1);
        assert_memory_equal(it.entry, entry1, sizeof entry1);
        assert_int_equal(it.body_len, sizeof body1);
        assert_memory_equal(it.body, body1, sizeof body1);
        assert_null(it.proof);
      } else {
        assert_memory_equal(it.entry, entry2, sizeof entry2);
        assert_null(it.body);
        assert_int_equal(it.proof_len, sizeof proof2);
        assert_memory_equal(it.proof, proof2, sizeof proof2);
      }
    }
  }
  *done = ayil_bundle_r_done(r);
  ayil_bundle_r_free(r);
  return rc;
}

static int setup(void **state) {
  (void)state;
  if (sodium_init() < 0)
    return -1;
  crypto_sign_keypair(spk, ssk);
  crypto_sign_keypair(rpk, rsk);
  crypto_sign_keypair(opk, osk);
  return 0;
}

static void test_round_trip(void **state) {
  static const size_t steps[] = {1, 3, 17, 4096};
  uint8_t token[16], got_tok[16], id[32];
  uint64_t created = 0;
  ayil_bundle_r_t *r = NULL;
  size_t used = 0;
  ayil_bundle_item_t it;
  int items = 0, done = 0, got = 0;
  (void)state;
  make_bundle(NULL);
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    assert_int_equal(read_all(rsk, file, file_len, steps[i], &items, &done), 0);
    assert_int_equal(items, 2);
    assert_true(done);
  }
  /* Sender, time and token come from the first chunk. */
  memset(token, 0x5A, sizeof token);
  make_bundle(token);
  assert_int_equal(ayil_bundle_r_new(&r, rsk), 0);
  assert_int_equal(ayil_bundle_r_sender(r, id, &created), AYIL_ESTATE);
  assert_int_equal(
      ayil_bundle_r_feed(r, file, AYIL_BUNDLE_HEAD_BYTES, &used, &it, &got), 0);
  /* The length prefix, then the meta chunk. */
  assert_int_equal(ayil_bundle_r_feed(r, file + AYIL_BUNDLE_HEAD_BYTES,
                                      file_len - AYIL_BUNDLE_HEAD_BYTES, &used,
                                      &it, &got),
                   0);
  assert_int_equal(used, 4);
  assert_int_equal(ayil_bundle_r_feed(r, file + AYIL_BUNDLE_HEAD_BYTES + 4,
                                      file_len - AYIL_BUNDLE_HEAD_BYTES - 4,
                                      &used, &it, &got),
                   0);
  assert_int_equal(got, 0);
  assert_int_equal(ayil_bundle_r_sender(r, id, &created), 0);
  assert_memory_equal(id, spk, 32);
  assert_int_equal(created, CREATED);
  assert_int_equal(ayil_bundle_r_token(r, got_tok), 0);
  assert_memory_equal(got_tok, token, 16);
  ayil_bundle_r_free(r);
}

/* An independent reader built from PROTOCOL.md and libsodium alone pins
 * the layout: head fields, chunk framing and each plaintext byte. */
static void test_golden_layout(void **state) {
  static const uint8_t meta_tail[] = {0xcf, 0x00, 0x00, 0x01, 0x8b,
                                      0xcf, 0xe5, 0x68, 0x00, 0xc0};
  crypto_secretstream_xchacha20poly1305_state st;
  uint8_t xpk[32], xsk[32], key[32], plain[256];
  unsigned long long plen = 0;
  unsigned char tag = 0xff;
  size_t off = AYIL_BUNDLE_HEAD_BYTES;
  uint32_t n;
  (void)state;
  make_bundle(NULL);
  assert_int_equal(AYIL_BUNDLE_HEAD_BYTES, 144);
  assert_memory_equal(file, "AYILBDL1", 8);
  assert_memory_equal(file + 8, rpk, 32);
  assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(xpk, rpk), 0);
  assert_int_equal(crypto_sign_ed25519_sk_to_curve25519(xsk, rsk), 0);
  assert_int_equal(crypto_box_seal_open(key, file + 40, 80, xpk, xsk), 0);
  assert_int_equal(
      crypto_secretstream_xchacha20poly1305_init_pull(&st, file + 120, key), 0);

  /* meta: [1, bin32 sender, uint64 created, nil] */
  n = (uint32_t)file[off] << 24 | (uint32_t)file[off + 1] << 16 |
      (uint32_t)file[off + 2] << 8 | file[off + 3];
  assert_int_equal(n, 46 + 17);
  assert_int_equal(
      crypto_secretstream_xchacha20poly1305_pull(
          &st, plain, &plen, &tag, file + off + 4, n, file + off, 4),
      0);
  assert_int_equal(plen, 46);
  assert_int_equal(tag, 0);
  assert_memory_equal(plain, "\x94\x01\xc4\x20", 4);
  assert_memory_equal(plain + 4, spk, 32);
  assert_memory_equal(plain + 36, meta_tail, sizeof meta_tail);
  off += 4 + n;

  /* item 1: [bin entry, bin body, nil] */
  n = (uint32_t)file[off + 2] << 8 | file[off + 3];
  assert_int_equal(
      crypto_secretstream_xchacha20poly1305_pull(
          &st, plain, &plen, &tag, file + off + 4, n, file + off, 4),
      0);
  assert_int_equal(plen, 1 + 2 + sizeof entry1 + 2 + sizeof body1 + 1);
  assert_int_equal(plain[0], 0x93);
  assert_int_equal(plain[1], 0xc4);
  assert_int_equal(plain[2], sizeof entry1);
  assert_memory_equal(plain + 3, entry1, sizeof entry1);
  assert_int_equal(plain[plen - 1], 0xc0);
  off += 4 + n;

  /* item 2: [bin entry, nil, bin proof] */
  n = (uint32_t)file[off + 2] << 8 | file[off + 3];
  assert_int_equal(
      crypto_secretstream_xchacha20poly1305_pull(
          &st, plain, &plen, &tag, file + off + 4, n, file + off, 4),
      0);
  assert_int_equal(plain[3 + sizeof entry2], 0xc0);
  off += 4 + n;

  /* final: [2] with the FINAL tag */
  n = (uint32_t)file[off + 2] << 8 | file[off + 3];
  assert_int_equal(n, 2 + 17);
  assert_int_equal(
      crypto_secretstream_xchacha20poly1305_pull(
          &st, plain, &plen, &tag, file + off + 4, n, file + off, 4),
      0);
  assert_int_equal(plen, 2);
  assert_memory_equal(plain, "\x91\x02", 2);
  assert_int_equal(tag, crypto_secretstream_xchacha20poly1305_TAG_FINAL);
  assert_int_equal(off + 4 + n, file_len);
  sodium_memzero(xsk, sizeof xsk);
  sodium_memzero(key, sizeof key);
}

/* Every proper prefix is "not done", never an error and never a crash. */
static void test_truncation_every_offset(void **state) {
  int items = 0, done = 0;
  (void)state;
  make_bundle(NULL);
  for (size_t cut = 0; cut < file_len; cut++) {
    assert_int_equal(read_all(rsk, file, cut, 7, &items, &done), 0);
    assert_false(done);
    assert_true(items <= 2);
  }
}

/* Every flipped byte is refused: the head by its own check, the rest by
 * authentication; a flipped length may instead leave the file unfinished. */
static void test_flip_every_byte(void **state) {
  uint8_t bad[sizeof file];
  uint8_t is_len[sizeof file];
  int items = 0, done = 0, rc;
  (void)state;
  make_bundle(NULL);
  memset(is_len, 0, sizeof is_len);
  for (size_t off = AYIL_BUNDLE_HEAD_BYTES; off + 4 <= file_len;) {
    memset(is_len + off, 1, 4);
    off += 4 + ((size_t)file[off + 2] << 8 | file[off + 3]);
  }
  for (size_t i = 0; i < file_len; i++) {
    memcpy(bad, file, file_len);
    bad[i] ^= 0x01;
    rc = read_all(rsk, bad, file_len, 4096, &items, &done);
    assert_false(done);
    if (i < 8)
      assert_int_equal(rc, AYIL_EFORMAT);
    else if (i < 40)
      assert_int_equal(rc, AYIL_EAUTH);
    else if (i < AYIL_BUNDLE_HEAD_BYTES || !is_len[i])
      assert_int_equal(rc, AYIL_EDECRYPT);
    else /* a length prefix: too big, too small, or a misframed stream */
      assert_true(rc == AYIL_EDECRYPT || rc == AYIL_EFORMAT ||
                  rc == AYIL_ETOOBIG || rc == 0);
  }
}

static void test_wrong_recipient(void **state) {
  int items = 0, done = 0;
  (void)state;
  make_bundle(NULL);
  assert_int_equal(read_all(osk, file, file_len, 4096, &items, &done),
                   AYIL_EAUTH);
  assert_int_equal(items, 0);
  assert_false(done);
}

static void test_bad_lengths_and_sticky(void **state) {
  uint8_t bad[AYIL_BUNDLE_HEAD_BYTES + 4];
  ayil_bundle_r_t *r = NULL;
  ayil_bundle_item_t it;
  size_t used = 0;
  int got = 0, items = 0, done = 0;
  (void)state;
  make_bundle(NULL);
  memcpy(bad, file, AYIL_BUNDLE_HEAD_BYTES);
  memcpy(bad + AYIL_BUNDLE_HEAD_BYTES, "\x7f\xff\xff\xff", 4);
  assert_int_equal(read_all(rsk, bad, sizeof bad, 4096, &items, &done),
                   AYIL_ETOOBIG);
  memcpy(bad + AYIL_BUNDLE_HEAD_BYTES, "\x00\x00\x00\x10", 4); /* < ABYTES */
  assert_int_equal(read_all(rsk, bad, sizeof bad, 4096, &items, &done),
                   AYIL_EFORMAT);
  /* Errors are sticky: good bytes after them are still refused. */
  assert_int_equal(ayil_bundle_r_new(&r, rsk), 0);
  assert_int_equal(ayil_bundle_r_feed(r, bad, sizeof bad, &used, &it, &got), 0);
  assert_int_equal(
      ayil_bundle_r_feed(r, bad + used, sizeof bad - used, &used, &it, &got),
      AYIL_EFORMAT);
  assert_int_equal(
      ayil_bundle_r_feed(r, file + 148, file_len - 148, &used, &it, &got),
      AYIL_EFORMAT);
  ayil_bundle_r_free(r);
  /* Bytes after the final chunk are trailing. */
  {
    uint8_t more[sizeof file + 1];
    memcpy(more, file, file_len);
    more[file_len] = 0;
    assert_int_equal(read_all(rsk, more, file_len + 1, 4096, &items, &done),
                     AYIL_ETRAILING);
  }
}

static void test_writer_limits(void **state) {
  ayil_bundle_w_t *w = NULL;
  uint8_t head[AYIL_BUNDLE_HEAD_BYTES + 256];
  uint8_t *chunk = NULL;
  size_t n = 0;
  ayil_bundle_item_t none = {NULL, 0, NULL, 0, NULL, 0};
  ayil_bundle_item_t big = {entry1, AYIL_ENTRY_MAX + 1, NULL, 0, NULL, 0};
  (void)state;
  assert_int_equal(ayil_bundle_w_new(&w, spk, rpk, CREATED, NULL, head,
                                     AYIL_BUNDLE_HEAD_BYTES, &n),
                   AYIL_EINVAL);
  assert_int_equal(
      ayil_bundle_w_new(&w, spk, rpk, CREATED, NULL, head, sizeof head, &n), 0);
  assert_int_equal(ayil_bundle_w_item(w, &none, &chunk, &n), AYIL_ETOOBIG);
  assert_int_equal(ayil_bundle_w_item(w, &big, &chunk, &n), AYIL_ETOOBIG);
  assert_null(chunk);
  ayil_bundle_w_free(w);
  ayil_bundle_w_free(NULL);
}

/* Acknowledgements (version 2 of the first chunk): written, read back,
 * verified only with the signer's key and for the recipient they name. */
static void test_acks(void **state) {
  ayil_bundle_w_t *w = NULL;
  ayil_bundle_r_t *r = NULL;
  uint8_t head[AYIL_BUNDLE_HEAD_BYTES + 128 + 128 * 2], fin[64];
  ayil_bundle_ack_t a[2];
  const ayil_bundle_ack_t *got = NULL;
  size_t n = 0, fn = 0, used = 0, nacks = 0, off = 0;
  ayil_bundle_item_t it;
  int gi = 0;
  uint8_t buf[sizeof head + 64];
  (void)state;
  memset(a, 0, sizeof a);
  memcpy(a[0].origin, rpk, 32);
  a[0].seq = 4;
  memcpy(a[1].origin, opk, 32);
  a[1].seq = 0x0102030405ULL;
  ayil_bundle_ack_sign(ssk, rpk, &a[0]);
  ayil_bundle_ack_sign(ssk, rpk, &a[1]);
  assert_int_equal(ayil_bundle_ack_verify(spk, rpk, &a[0]), 0);
  assert_int_equal(ayil_bundle_ack_verify(opk, rpk, &a[0]), AYIL_ESIG);
  assert_int_equal(ayil_bundle_ack_verify(spk, opk, &a[0]), AYIL_ESIG);
  a[1].seq++;
  assert_int_equal(ayil_bundle_ack_verify(spk, rpk, &a[1]), AYIL_ESIG);
  a[1].seq--;
  assert_int_equal(ayil_bundle_w_new_acks(&w, spk, rpk, CREATED, NULL, a, 2,
                                          head, sizeof head, &n),
                   0);
  assert_int_equal(ayil_bundle_w_end(w, fin, sizeof fin, &fn), 0);
  ayil_bundle_w_free(w);
  memcpy(buf, head, n);
  memcpy(buf + n, fin, fn);
  assert_int_equal(ayil_bundle_r_new(&r, rsk), 0);
  while (off < n + fn) {
    assert_int_equal(
        ayil_bundle_r_feed(r, buf + off, n + fn - off, &used, &it, &gi), 0);
    off += used;
  }
  assert_true(ayil_bundle_r_done(r));
  ayil_bundle_r_acks(r, &got, &nacks);
  assert_int_equal(nacks, 2);
  assert_memory_equal(got[0].origin, rpk, 32);
  assert_int_equal(got[0].seq, 4);
  assert_int_equal(got[1].seq, 0x0102030405ULL);
  assert_int_equal(ayil_bundle_ack_verify(spk, rpk, &got[0]), 0);
  assert_int_equal(ayil_bundle_ack_verify(spk, rpk, &got[1]), 0);
  ayil_bundle_r_free(r);
  /* Too many, or no room: refused. */
  assert_int_equal(ayil_bundle_w_new_acks(&w, spk, rpk, CREATED, NULL, a,
                                          AYIL_BUNDLE_ACKS_MAX + 1, head,
                                          sizeof head, &n),
                   AYIL_EINVAL);
  assert_int_equal(ayil_bundle_w_new_acks(&w, spk, rpk, CREATED, NULL, a, 2,
                                          head, AYIL_BUNDLE_HEAD_BYTES + 128,
                                          &n),
                   AYIL_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_golden_layout),
      cmocka_unit_test(test_truncation_every_offset),
      cmocka_unit_test(test_flip_every_byte),
      cmocka_unit_test(test_wrong_recipient),
      cmocka_unit_test(test_bad_lengths_and_sticky),
      cmocka_unit_test(test_writer_limits),
      cmocka_unit_test(test_acks),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

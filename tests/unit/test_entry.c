/* Log entry encoding: golden bytes, strict decoding, signatures, chains. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "ayil/entry.h"
#include "ayil/error.h"

static uint8_t pk[32], sk[64];
static const uint8_t HEADER[] = {0x81, 0xa4, 'k', 'i', 'n', 'd', 0xa7,
                                 's',  'e',  's', 's', 'i', 'o', 'n'};

/* The golden entry: key from seed 0x01 * 32, seq 1, ts 1767225600000, record
 * 00..0f, put, codes v1, the header above, body hash 0xbb * 32. */
static const char GOLDEN_HEX[] =
    "9b01c4208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c"
    "01c4200000000000000000000000000000000000000000000000000000000000000000cf"
    "0000019b76daa800c410000102030405060708090a0b0c0d0e0f0101c40e81a46b696e64"
    "a773657373696f6ec420bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    "bbbbbbbbbbbbc44010a83fcdf6010b1299629da8648065675d2fee236acefd172e36e633"
    "d0732dd40f276eebdb2759cb30ebbffae1ccb198618061cebcbd983513928c6238174809";

static void make_entry(ayil_entry_t *e, uint64_t seq, const uint8_t prev[32]) {
  size_t i;
  memset(e, 0, sizeof *e);
  memcpy(e->origin, pk, 32);
  e->seq = seq;
  if (prev != NULL)
    memcpy(e->prev, prev, 32);
  e->ts_ms = 1767225600000ULL;
  for (i = 0; i < AYIL_RECID_BYTES; i++)
    e->record[i] = (uint8_t)i;
  e->op = AYIL_OP_PUT;
  e->codes_version = 1;
  e->header = HEADER;
  e->header_len = sizeof HEADER;
  e->has_body = 1;
  memset(e->body_hash, 0xbb, 32);
}

static int setup(void **state) {
  uint8_t seed[32];
  (void)state;
  if (sodium_init() < 0)
    return -1;
  memset(seed, 1, sizeof seed);
  crypto_sign_seed_keypair(pk, sk, seed);
  return 0;
}

static void test_golden(void **state) {
  ayil_entry_t e;
  uint8_t buf[AYIL_ENTRY_MAX];
  char hex[2 * AYIL_ENTRY_MAX + 1];
  size_t len = 0;
  (void)state;
  make_entry(&e, 1, NULL);
  assert_int_equal(ayil_entry_sign(&e, sk, buf, sizeof buf, &len), 0);
  sodium_bin2hex(hex, sizeof hex, buf, len);
  /* Ed25519 is deterministic, so the whole entry, signature included, is
   * pinned byte for byte (proto/PROTOCOL.md shows the same bytes). */
  assert_int_equal(len, strlen(GOLDEN_HEX) / 2);
  assert_string_equal(hex, GOLDEN_HEX);
  assert_int_equal(ayil_entry_verify(&e), 0);
}

/* The golden entry at rest (PROTOCOL.md, "Entries at rest"): without
 * version, origin, seq and prev; its header raw (the dictionary has no
 * compact form of a session without its required fields). */
static const char PACKED_HEX[] =
    "97cf0000019b76daa800c410000102030405060708090a0b0c0d0e0f0101c40e81a46b69"
    "6e64a773657373696f6e91c420bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    "bbbbbbbbbbbbbbbbbbc44010a83fcdf6010b1299629da8648065675d2fee236acefd172e"
    "36e633d0732dd40f276eebdb2759cb30ebbffae1ccb198618061cebcbd983513928c6238"
    "174809";

/* The appeal of PROTOCOL.md's compact header example. */
static const uint8_t APPEAL[] = {
    0x87, 0xa4, 'k', 'i',  'n', 'd',  0xa6, 'a',  'p',  'p', 'e',  'a',
    'l',  0xa5, 'm', 'o',  'n', 't',  'h',  0xa7, '2',  '0', '2',  '6',
    '-',  '0',  '3', 0xa6, 's', 'o',  'u',  'r',  'c',  'e', 0xa6, 'p',
    'o',  'l',  'i', 'c',  'e', 0xa6, 's',  't',  'a',  't', 'u',  's',
    0xa4, 'o',  'p', 'e',  'n', 0xac, 's',  'u',  'r',  'v', 'i',  'v',
    'o',  'r',  '_', 'a',  'g', 'e',  0xa5, '2',  '6',  '-', '4',  '0',
    0xac, 's',  'u', 'r',  'v', 'i',  'v',  'o',  'r',  '_', 's',  'e',
    'x',  0xa6, 'f', 'e',  'm', 'a',  'l',  'e',  0xa8, 'v', 'i',  'o',
    'l',  'e',  'n', 'c',  'e', 0x92, 0xa8, 'p',  'h',  'y', 's',  'i',
    'c',  'a',  'l', 0xa8, 'e', 'c',  'o',  'n',  'o',  'm', 'i',  'c'};

static void test_packed(void **state) {
  static const uint8_t zero[32];
  ayil_entry_t e, d;
  uint8_t buf[AYIL_ENTRY_MAX], packed[AYIL_ENTRY_MAX], back[AYIL_ENTRY_MAX];
  uint8_t prev[32];
  char hex[2 * AYIL_ENTRY_MAX + 1];
  size_t len = 0, plen = 0, blen = 0;
  (void)state;
  /* The golden entry: pinned bytes, and back to the golden bytes. */
  make_entry(&e, 1, NULL);
  assert_int_equal(ayil_entry_sign(&e, sk, buf, sizeof buf, &len), 0);
  assert_int_equal(ayil_entry_pack(&e, packed, sizeof packed, &plen), 0);
  sodium_bin2hex(hex, sizeof hex, packed, plen);
  assert_string_equal(hex, PACKED_HEX);
  assert_true(ayil_entry_is_packed(packed, plen));
  assert_false(ayil_entry_is_packed(buf, len));
  assert_int_equal(
      ayil_entry_unpack(packed, plen, pk, 1, zero, back, sizeof back, &blen),
      0);
  assert_int_equal(blen, len);
  assert_memory_equal(back, buf, len);
  /* Too small a buffer is TOOBIG, never a cut entry. */
  assert_int_equal(ayil_entry_pack(&e, packed, plen - 1, &blen), AYIL_ETOOBIG);

  /* A compact header, a seq past 1 and a prev: back byte for byte, and the
   * header is 11 bytes instead of 120. */
  make_entry(&e, 9, NULL);
  memset(prev, 0x5a, sizeof prev);
  memcpy(e.prev, prev, 32);
  e.header = APPEAL;
  e.header_len = sizeof APPEAL;
  assert_int_equal(ayil_entry_sign(&e, sk, buf, sizeof buf, &len), 0);
  assert_int_equal(ayil_entry_pack(&e, packed, sizeof packed, &plen), 0);
  /* version, origin, seq 9 and prev (70 bytes) are left out; the header
   * is 11 bytes instead of bin8 + 120; the body hash is [bin32]: one more. */
  assert_int_equal(sizeof APPEAL, 120);
  assert_int_equal(len - plen, 70 + (2 + 120 - 11) - 1);
  assert_int_equal(
      ayil_entry_unpack(packed, plen, pk, 9, prev, back, sizeof back, &blen),
      0);
  assert_int_equal(blen, len);
  assert_memory_equal(back, buf, len);
  /* Rebuilt at another place, it is another entry: its signature fails. */
  assert_int_equal(
      ayil_entry_unpack(packed, plen, pk, 9, zero, back, sizeof back, &blen),
      0);
  assert_int_equal(ayil_entry_decode(&d, back, blen), 0);
  assert_int_equal(ayil_entry_verify(&d), AYIL_ESIG);
  /* Canonical bytes kept as they were come back unchanged. */
  assert_int_equal(
      ayil_entry_unpack(buf, len, pk, 9, zero, back, sizeof back, &blen), 0);
  assert_int_equal(blen, len);
  assert_memory_equal(back, buf, len);
  /* Trailing bytes, a cut form, nothing at all. */
  packed[plen] = 0xc0;
  assert_int_equal(ayil_entry_unpack(packed, plen + 1, pk, 9, prev, back,
                                     sizeof back, &blen),
                   AYIL_ETRAILING);
  assert_int_equal(ayil_entry_unpack(packed, plen - 1, pk, 9, prev, back,
                                     sizeof back, &blen),
                   AYIL_ETRUNC);
  assert_int_equal(
      ayil_entry_unpack(packed, 0, pk, 9, prev, back, sizeof back, &blen),
      AYIL_ETRUNC);
}

/* A body inside a stored entry (the wire's inline form) is refused: the
 * store keeps bodies apart. */
static void test_packed_refuses_body(void **state) {
  /* [ts 0, record 16 x 0, op 1, codes 1, nil, bin 1 (a "body"), sig] */
  uint8_t p[1 + 1 + 18 + 1 + 1 + 1 + 3 + 66], back[AYIL_ENTRY_MAX];
  size_t blen = 0, i = 0;
  (void)state;
  memset(p, 0, sizeof p);
  p[i++] = 0x97;
  p[i++] = 0x00;
  p[i++] = 0xc4;
  p[i++] = 0x10;
  i += 16;
  p[i++] = 0x01;
  p[i++] = 0x01;
  p[i++] = 0xc0;
  p[i++] = 0xc4;
  p[i++] = 0x01;
  p[i++] = 0xee;
  p[i++] = 0xc4;
  p[i++] = 0x40;
  i += 64;
  assert_int_equal(i, sizeof p);
  assert_int_equal(
      ayil_entry_unpack(p, sizeof p, pk, 1, p, back, sizeof back, &blen),
      AYIL_EFORMAT);
}

static void test_roundtrip(void **state) {
  ayil_entry_t e, d;
  uint8_t buf[AYIL_ENTRY_MAX];
  size_t len = 0;
  (void)state;
  make_entry(&e, 7, NULL);
  memset(e.prev, 0x42, 32);
  assert_int_equal(ayil_entry_sign(&e, sk, buf, sizeof buf, &len), 0);
  assert_int_equal(ayil_entry_decode(&d, buf, len), 0);
  assert_int_equal(d.seq, 7);
  assert_memory_equal(d.origin, pk, 32);
  assert_memory_equal(d.prev, e.prev, 32);
  assert_int_equal(d.header_len, sizeof HEADER);
  assert_memory_equal(d.header, HEADER, sizeof HEADER);
  assert_true(d.header >= buf && d.header < buf + len);
  assert_int_equal(d.has_body, 1);
  assert_int_equal(ayil_entry_verify(&d), 0);
}

/* Every single-byte flip is caught: by the decoder, the signature, or (for
 * the hash) by a different entry hash. */
static void test_every_flip(void **state) {
  ayil_entry_t e, d;
  uint8_t buf[AYIL_ENTRY_MAX];
  uint8_t h0[32], h1[32];
  size_t len = 0, i;
  (void)state;
  make_entry(&e, 1, NULL);
  assert_int_equal(ayil_entry_sign(&e, sk, buf, sizeof buf, &len), 0);
  ayil_entry_hash(buf, len, h0);
  for (i = 0; i < len; i++) {
    int bit;
    for (bit = 0; bit < 8; bit += 3) {
      int rc;
      buf[i] ^= (uint8_t)(1u << bit);
      rc = ayil_entry_decode(&d, buf, len);
      if (rc == 0)
        rc = ayil_entry_verify(&d);
      assert_int_not_equal(rc, 0);
      ayil_entry_hash(buf, len, h1);
      assert_memory_not_equal(h0, h1, 32);
      buf[i] ^= (uint8_t)(1u << bit);
    }
  }
}

static void test_truncated_trailing_toobig(void **state) {
  ayil_entry_t e, d;
  uint8_t buf[AYIL_ENTRY_MAX + 8];
  size_t len = 0, i;
  (void)state;
  make_entry(&e, 1, NULL);
  assert_int_equal(ayil_entry_sign(&e, sk, buf, sizeof buf, &len), 0);
  for (i = 0; i < len; i++)
    assert_int_not_equal(ayil_entry_decode(&d, buf, i), 0);
  assert_int_equal(ayil_entry_decode(&d, buf, 0), AYIL_ETRUNC);
  assert_int_equal(ayil_entry_decode(&d, buf, len - 1), AYIL_ETRUNC);
  buf[len] = 0xc0;
  assert_int_equal(ayil_entry_decode(&d, buf, len + 1), AYIL_ETRAILING);
  assert_int_equal(ayil_entry_decode(&d, buf, AYIL_ENTRY_MAX + 1),
                   AYIL_ETOOBIG);
}

static void test_noncanonical(void **state) {
  /* seq 1 written as uint16 (0xcd 0x00 0x01) instead of a fixint. */
  ayil_entry_t e, d;
  uint8_t buf[AYIL_ENTRY_MAX], alt[AYIL_ENTRY_MAX + 4];
  size_t len = 0;
  (void)state;
  make_entry(&e, 1, NULL);
  assert_int_equal(ayil_entry_sign(&e, sk, buf, sizeof buf, &len), 0);
  /* Layout: 9b 01 c4 20 <32> 01 ... : seq is at offset 36. */
  assert_int_equal(buf[36], 0x01);
  memcpy(alt, buf, 36);
  alt[36] = 0xcd;
  alt[37] = 0x00;
  alt[38] = 0x01;
  memcpy(alt + 39, buf + 37, len - 37);
  assert_int_equal(ayil_entry_decode(&d, alt, len + 2), AYIL_ENOTCANON);
  /* A map where an array belongs. */
  alt[0] = 0x8b;
  assert_int_not_equal(ayil_entry_decode(&d, alt, len + 2), 0);
  /* Wrong version. */
  memcpy(alt, buf, len);
  alt[1] = 0x02;
  assert_int_equal(ayil_entry_decode(&d, alt, len), AYIL_EVERSION);
}

static void test_sign_refuses(void **state) {
  ayil_entry_t e;
  uint8_t buf[AYIL_ENTRY_MAX];
  uint8_t big[AYIL_HEADER_MAX + 1];
  uint8_t otherpk[32], othersk[64];
  size_t len = 0;
  (void)state;
  make_entry(&e, 1, NULL);
  memset(big, 0xa0, sizeof big);
  e.header = big;
  e.header_len = sizeof big;
  assert_int_equal(ayil_entry_sign(&e, sk, buf, sizeof buf, &len),
                   AYIL_ETOOBIG);
  make_entry(&e, 0, NULL);
  assert_int_equal(ayil_entry_sign(&e, sk, buf, sizeof buf, &len), AYIL_EINVAL);
  make_entry(&e, 1, NULL);
  crypto_sign_keypair(otherpk, othersk);
  assert_int_equal(ayil_entry_sign(&e, othersk, buf, sizeof buf, &len),
                   AYIL_EINVAL);
  assert_int_equal(ayil_entry_sign(&e, sk, buf, 10, &len), AYIL_ETOOBIG);
}

static void test_follows(void **state) {
  ayil_entry_t a, b;
  uint8_t buf[AYIL_ENTRY_MAX];
  uint8_t h[32], zero[32] = {0};
  size_t len = 0;
  (void)state;
  make_entry(&a, 1, NULL);
  assert_int_equal(ayil_entry_sign(&a, sk, buf, sizeof buf, &len), 0);
  ayil_entry_hash(buf, len, h);
  assert_int_equal(ayil_entry_follows(&a, 0, zero), 0);
  make_entry(&b, 2, h);
  assert_int_equal(ayil_entry_follows(&b, 1, h), 0);
  assert_int_equal(ayil_entry_follows(&b, 0, zero), AYIL_ESEQ);
  assert_int_equal(ayil_entry_follows(&b, 2, h), AYIL_ESEQ);
  h[0] ^= 1;
  assert_int_equal(ayil_entry_follows(&b, 1, h), AYIL_ECHAIN);
  make_entry(&a, 1, NULL);
  a.prev[5] = 1;
  assert_int_equal(ayil_entry_follows(&a, 0, zero), AYIL_ECHAIN);
}

static void test_text_ids(void **state) {
  char t[AYIL_ID_TEXT], r[AYIL_RECID_TEXT];
  uint8_t back[32], rid[16], rback[16];
  (void)state;
  ayil_id_to_text(pk, t);
  assert_int_equal(strlen(t), 44);
  assert_int_equal(ayil_id_from_text(t, back), 0);
  assert_memory_equal(back, pk, 32);
  assert_int_equal(ayil_id_from_text("short", back), AYIL_EINVAL);
  t[10] = '!';
  assert_int_equal(ayil_id_from_text(t, back), AYIL_EINVAL);
  memset(rid, 0xab, sizeof rid);
  ayil_recid_to_text(rid, r);
  assert_string_equal(r, "abababababababababababababababab");
  assert_int_equal(ayil_recid_from_text(r, rback), 0);
  assert_memory_equal(rid, rback, 16);
  assert_int_equal(
      ayil_recid_from_text("ABABABABABABABABABABABABABABABAB", rback),
      AYIL_EINVAL);
  assert_int_equal(ayil_recid_from_text("abab", rback), AYIL_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden),
      cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_packed),
      cmocka_unit_test(test_packed_refuses_body),
      cmocka_unit_test(test_every_flip),
      cmocka_unit_test(test_truncated_trailing_toobig),
      cmocka_unit_test(test_noncanonical),
      cmocka_unit_test(test_sign_refuses),
      cmocka_unit_test(test_follows),
      cmocka_unit_test(test_text_ids),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}

/* Sealed bodies: packing (zstd with the code-list dictionary, or not),
 * padding to buckets, sealing; old bodies; hostile frames. PROTOCOL.md
 * "Bodies", "Body packing", "Body padding". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>
#include <zstd.h>

#include "ayil/entry.h"
#include "ayil/error.h"
#include "body_int.h"

/* PROTOCOL.md "Body packing", test vector: the packed plaintext (before
 * padding) and the canonical map it unpacks to. */
static const char VEC_PACKED[] =
    "c1010128b52ffd207e9d0100608265b2b5d191d0b7d191b52e0dfc2b6110f1fc9fc443e8"
    "829f13e8a14cc712c5ad3cb0d0f4aaf2ad6ece6cfb73c7247a1c6b";
static const char VEC_MAP[] =
    "82a464617465aa323032362d30332d3134a56e6f746573d965d09dd0b0d0bfd180d0b0d0"
    "b2d0bbd0b5d0bdd0b020d0b220d0bad180d0b8d0b7d0b8d181d0bdd18bd0b920d186d0b5"
    "d0bdd182d1802c20d0b7d0b0d0b2d182d180d0b020d0b5d19120d0bed182d0b2d0b5d0b7"
    "d191d18220d181d0b5d181d182d180d0b02e";

static size_t unhex(const char *hex, uint8_t *out, size_t cap) {
  size_t n = 0;
  assert_int_equal(sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &n, NULL),
                   0);
  return n;
}

/* A canonical map {"notes": <str>} of exactly len bytes (len >= 10), its
 * text random (incompressible) or repeated Russian words (compressible). */
static void make_map(uint8_t *m, size_t len, int compressible) {
  static const char ru[] = "семья получила уголь и продукты, дети в школе; ";
  size_t h, s, i;
  m[0] = 0x81;
  m[1] = 0xa5;
  memcpy(m + 2, "notes", 5);
  h = 7;
  s = len - h - 1;
  if (s < 32) {
    m[h] = (uint8_t)(0xa0 | s);
    h += 1;
  } else if (len - h - 2 < 256) {
    s = len - h - 2;
    m[h] = 0xd9;
    m[h + 1] = (uint8_t)s;
    h += 2;
  } else {
    s = len - h - 3;
    m[h] = 0xda;
    m[h + 1] = (uint8_t)(s >> 8);
    m[h + 2] = (uint8_t)s;
    h += 3;
  }
  if (compressible)
    for (i = 0; i < s; i++)
      m[h + i] = (uint8_t)ru[i % (sizeof ru - 1)];
  else
    randombytes_buf(m + h, s);
}

/* Pads and seals a packed plaintext as a writer would, with any content. */
static uint8_t *seal_packed(const uint8_t *p, size_t n, size_t bucket,
                            const uint8_t rpk[32], size_t *slen) {
  uint8_t *buf = calloc(1, bucket), *c = malloc(bucket + crypto_box_SEALBYTES);
  size_t padded = 0;
  assert_non_null(buf);
  assert_non_null(c);
  memcpy(buf, p, n);
  assert_int_equal(sodium_pad(&padded, buf, n, bucket, bucket), 0);
  assert_int_equal(crypto_box_seal(c, buf, bucket, rpk), 0);
  free(buf);
  *slen = bucket + crypto_box_SEALBYTES;
  return c;
}

static void test_vector(void **state) {
  uint8_t packed[256], map[256], *out = NULL, *sealed;
  size_t pn = unhex(VEC_PACKED, packed, sizeof packed);
  size_t mn = unhex(VEC_MAP, map, sizeof map), on = 0, slen = 0, peak = 0;
  uint8_t rpk[32], rsk[32];
  (void)state;
  assert_int_equal(pn, 63);
  assert_int_equal(mn, 126);
  assert_int_equal(ayil__body_unpack(packed, pn, &out, &on, &peak), 0);
  assert_int_equal(on, mn);
  assert_memory_equal(out, map, mn);
  free(out);
  /* The same, sealed in a 64-byte bucket, through the public API. */
  crypto_box_keypair(rpk, rsk);
  sealed = seal_packed(packed, pn, 64, rpk, &slen);
  assert_int_equal(slen, 112);
  assert_int_equal(ayil_body_open(sealed, slen, rpk, rsk, &out, &on), 0);
  assert_int_equal(on, mn);
  assert_memory_equal(out, map, mn);
  free(out);
  free(sealed);
  /* The writer compresses this map, and what it writes unpacks to it. */
  assert_int_equal(ayil__body_pack(map, mn, &out, &on), 0);
  assert_int_equal(out[0], 0xc1);
  assert_int_equal(out[1], 1);
  assert_int_equal(out[2], 1);
  assert_true(on < 64);
  free(out);
  assert_int_equal(ayil_body_seal(map, mn, rpk, &sealed, &slen), 0);
  assert_int_equal(slen, 64 + crypto_box_SEALBYTES);
  for (on = 0; on + 8 <= slen; on++)
    assert_memory_not_equal(sealed + on, map + 20, 8);
  assert_int_equal(ayil_body_open(sealed, slen, rpk, rsk, &out, &on), 0);
  assert_int_equal(on, mn);
  assert_memory_equal(out, map, mn);
  free(out);
  free(sealed);
}

/* Round trips across the bucket edges: an incompressible map stays a map
 * (the writer compresses only when that is shorter) and its length picks
 * the bucket; a compressible one of the same length seals smaller. */
static void test_buckets(void **state) {
  static const struct {
    size_t len, bucket;
  } cases[] = {{10, 64},     {63, 64},     {64, 128},     {127, 128},
               {128, 256},   {255, 256},   {256, 512},    {1023, 1024},
               {1024, 2048}, {5000, 8192}, {40000, 65536}};
  uint8_t rpk[32], rsk[32], wpk[32], wsk[32];
  uint8_t *m = malloc(40000), *sealed = NULL, *out = NULL;
  size_t i, slen = 0, on = 0;
  int comp;
  (void)state;
  assert_non_null(m);
  crypto_box_keypair(rpk, rsk);
  crypto_box_keypair(wpk, wsk);
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (comp = 0; comp < 2; comp++) {
      make_map(m, cases[i].len, comp);
      assert_int_equal(ayil_body_seal(m, cases[i].len, rpk, &sealed, &slen), 0);
      if (comp == 0) {
        assert_int_equal(ayil_body_bucket(cases[i].len), cases[i].bucket);
        assert_int_equal(slen, cases[i].bucket + crypto_box_SEALBYTES);
      } else if (cases[i].len >= 128) {
        assert_true(slen < cases[i].bucket + crypto_box_SEALBYTES);
      }
      assert_int_equal(ayil_body_open(sealed, slen, rpk, rsk, &out, &on), 0);
      assert_int_equal(on, cases[i].len);
      assert_memory_equal(out, m, on);
      free(out);
      assert_int_equal(ayil_body_open(sealed, slen, wpk, wsk, &out, &on),
                       AYIL_EDECRYPT);
      sealed[slen - 1] ^= 1;
      assert_int_equal(ayil_body_open(sealed, slen, rpk, rsk, &out, &on),
                       AYIL_EDECRYPT);
      free(sealed);
    }
  }
  assert_int_equal(ayil_body_bucket(0), 64);
  assert_int_equal(ayil_body_bucket(AYIL_BODY_MAX - crypto_box_SEALBYTES - 1),
                   AYIL_BODY_MAX - crypto_box_SEALBYTES);
  assert_int_equal(ayil_body_bucket(AYIL_BODY_MAX - crypto_box_SEALBYTES), 0);
  /* Only a map is a body: empty or anything else is refused. */
  assert_int_equal(ayil_body_seal(m, 0, rpk, &sealed, &slen), AYIL_EINVAL);
  m[0] = 0xc1;
  assert_int_equal(ayil_body_seal(m, 100, rpk, &sealed, &slen), AYIL_EINVAL);
  m[0] = 'x';
  assert_int_equal(ayil_body_seal(m, 100, rpk, &sealed, &slen), AYIL_EINVAL);
  assert_int_equal(ayil_body_open(sealed, 3, rpk, rsk, &out, &on),
                   AYIL_EDECRYPT);
  free(m);
}

/* Bodies written before packing (a bare map, buckets from 256) open as
 * they are; the padding must still be well formed. */
static void test_old_bodies(void **state) {
  uint8_t rpk[32], rsk[32], m[600], *sealed, *out = NULL, *p;
  size_t slen = 0, on = 0;
  (void)state;
  crypto_box_keypair(rpk, rsk);
  make_map(m, 40, 1);
  sealed = seal_packed(m, 40, 256, rpk, &slen);
  assert_int_equal(slen, 304);
  assert_int_equal(ayil_body_open(sealed, slen, rpk, rsk, &out, &on), 0);
  assert_int_equal(on, 40);
  assert_memory_equal(out, m, 40);
  free(out);
  free(sealed);
  make_map(m, 600, 1);
  sealed = seal_packed(m, 600, 1024, rpk, &slen);
  assert_int_equal(ayil_body_open(sealed, slen, rpk, rsk, &out, &on), 0);
  assert_int_equal(on, 600);
  assert_memory_equal(out, m, 600);
  free(out);
  free(sealed);
  /* Sealed without padding, to a length that is not a bucket: FORMAT. */
  sealed = malloc(300 + crypto_box_SEALBYTES);
  assert_non_null(sealed);
  crypto_box_seal(sealed, m, 300, rpk);
  assert_int_equal(
      ayil_body_open(sealed, 300 + crypto_box_SEALBYTES, rpk, rsk, &out, &on),
      AYIL_EFORMAT);
  p = calloc(1, 256);
  assert_non_null(p);
  memcpy(p, m, 100); /* a bucket, but no 0x80 marker */
  crypto_box_seal(sealed, p, 256, rpk);
  assert_int_equal(
      ayil_body_open(sealed, 256 + crypto_box_SEALBYTES, rpk, rsk, &out, &on),
      AYIL_EFORMAT);
  free(p);
  free(sealed);
}

/* A body that names a method or dictionary this version does not know is
 * VERSION; a malformed packing is FORMAT. */
static void test_wrong_ids(void **state) {
  uint8_t packed[256], rpk[32], rsk[32], *sealed, *out = NULL;
  size_t pn = unhex(VEC_PACKED, packed, sizeof packed), on = 0, slen = 0;
  (void)state;
  crypto_box_keypair(rpk, rsk);
  packed[2] = 2; /* dictionary 2: not shipped */
  assert_int_equal(ayil__body_unpack(packed, pn, &out, &on, NULL),
                   AYIL_EVERSION);
  sealed = seal_packed(packed, pn, 64, rpk, &slen);
  assert_int_equal(ayil_body_open(sealed, slen, rpk, rsk, &out, &on),
                   AYIL_EVERSION);
  free(sealed);
  packed[2] = 0;
  assert_int_equal(ayil__body_unpack(packed, pn, &out, &on, NULL),
                   AYIL_EVERSION);
  packed[2] = 1;
  packed[1] = 2; /* method 2: unknown */
  assert_int_equal(ayil__body_unpack(packed, pn, &out, &on, NULL),
                   AYIL_EVERSION);
  packed[1] = 1;
  /* Not a map and not 0xc1; a header alone; a trailing byte; a frame cut
   * short; a damaged frame. (A frame carries no checksum: the seal
   * authenticates it.) */
  packed[0] = 0xc0;
  assert_int_equal(ayil__body_unpack(packed, pn, &out, &on, NULL),
                   AYIL_EFORMAT);
  packed[0] = 0xc1;
  assert_int_equal(ayil__body_unpack(packed, 3, &out, &on, NULL), AYIL_EFORMAT);
  assert_int_equal(ayil__body_unpack(packed, 0, &out, &on, NULL), AYIL_EFORMAT);
  packed[pn] = 0;
  assert_int_equal(ayil__body_unpack(packed, pn + 1, &out, &on, NULL),
                   AYIL_EFORMAT);
  assert_int_equal(ayil__body_unpack(packed, pn - 1, &out, &on, NULL),
                   AYIL_EFORMAT);
  packed[3] ^= 1; /* not a zstd frame (magic number) */
  assert_int_equal(ayil__body_unpack(packed, pn, &out, &on, NULL),
                   AYIL_EFORMAT);
}

/* A frame for src, without dictionary, as an attacker may write it. */
static size_t frame(uint8_t *dst, size_t cap, const uint8_t *src, size_t n,
                    int content_size) {
  ZSTD_CCtx *c = ZSTD_createCCtx();
  size_t r;
  assert_non_null(c);
  ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, content_size);
  dst[0] = 0xc1;
  dst[1] = 1;
  dst[2] = 1;
  if (content_size) {
    r = ZSTD_compress2(c, dst + 3, cap - 3, src, n);
  } else { /* streamed: the size is not declared */
    ZSTD_inBuffer in = {src, n, 0};
    ZSTD_outBuffer out = {dst + 3, cap - 3, 0};
    r = ZSTD_compressStream2(c, &out, &in, ZSTD_e_end);
    assert_int_equal(r, 0);
    r = out.pos;
  }
  ZSTD_freeCCtx(c);
  assert_false(ZSTD_isError(r));
  return r + 3;
}

/* The offset and width of a frame's Frame_Content_Size field (RFC 8878
 * 3.1.1.1), in a packed body (after its 3-byte head). */
static size_t fcs_field(const uint8_t *p, size_t *width) {
  uint8_t fhd = p[3 + 4];
  size_t off = 3 + 4 + 1, fcs = fhd >> 6, single = (fhd >> 5) & 1;
  static const size_t did[4] = {0, 1, 2, 4};
  if (!single)
    off++;
  off += did[fhd & 3];
  *width = fcs == 0 ? (single ? 1 : 0) : (size_t)1 << fcs;
  return off;
}

/* A decompression bomb is refused before anything is allocated: a frame
 * that declares more than the body limit, or no size at all. A frame that
 * lies about its size is refused without writing past what it declared. */
static void test_bomb(void **state) {
  const size_t big = 16u << 20; /* 16 MiB of one byte: ratio ~ 8000 */
  uint8_t *zeros = calloc(1, big), *p = malloc(64 * 1024), *out = NULL;
  uint8_t m[1000];
  size_t n, on = 0, peak = 1, off, w;
  uint8_t rpk[32], rsk[32], *sealed;
  (void)state;
  assert_non_null(zeros);
  assert_non_null(p);
  zeros[0] = 0x81;
  n = frame(p, 64 * 1024, zeros, big, 1);
  assert_true(n < 4096);
  assert_int_equal(ayil__body_unpack(p, n, &out, &on, &peak), AYIL_ETOOBIG);
  assert_int_equal(peak, 0);
  crypto_box_keypair(rpk, rsk);
  sealed = seal_packed(p, n, ayil_body_bucket(n), rpk, &on);
  assert_int_equal(ayil_body_open(sealed, on, rpk, rsk, &out, &on),
                   AYIL_ETOOBIG);
  free(sealed);
  /* A size of 2^62: had it been trusted, the malloc would fail (NOMEM). */
  off = fcs_field(p, &w);
  assert_int_equal(w, 4);
  /* Rewrite as an 8-byte field: shift the rest of the frame by 4. */
  memmove(p + off + 8, p + off + 4, n - off - 4);
  p[3 + 4] = (uint8_t)(p[3 + 4] | 0xc0);
  memset(p + off, 0, 8);
  p[off + 7] = 0x40;
  assert_int_equal(ayil__body_unpack(p, n + 4, &out, &on, &peak), AYIL_ETOOBIG);
  assert_int_equal(peak, 0);
  /* No declared size: refused, not streamed into a growing buffer. */
  n = frame(p, 64 * 1024, zeros, 100000, 0);
  assert_int_equal(ayil__body_unpack(p, n, &out, &on, &peak), AYIL_EFORMAT);
  assert_int_equal(peak, 0);
  free(zeros);

  /* A frame of 1000 bytes that declares 900, then 1100. */
  make_map(m, sizeof m, 1);
  n = frame(p, 64 * 1024, m, sizeof m, 1);
  assert_int_equal(ayil__body_unpack(p, n, &out, &on, &peak), 0);
  assert_int_equal(on, sizeof m);
  free(out);
  off = fcs_field(p, &w);
  assert_int_equal(w, 2); /* 1000 - 256, little endian */
  assert_int_equal(p[off] | p[off + 1] << 8, 1000 - 256);
  p[off] = (900 - 256) & 0xff;
  p[off + 1] = (900 - 256) >> 8;
  assert_int_equal(ayil__body_unpack(p, n, &out, &on, &peak), AYIL_EFORMAT);
  assert_true(peak < 256 * 1024); /* the 900 bytes and zstd's context */
  p[off] = (1100 - 256) & 0xff;
  p[off + 1] = (1100 - 256) >> 8;
  assert_int_equal(ayil__body_unpack(p, n, &out, &on, &peak), AYIL_EFORMAT);
  assert_true(peak < 256 * 1024);
  /* A frame whose output is not a map. */
  memset(m, 'x', sizeof m);
  n = frame(p, 64 * 1024, m, sizeof m, 1);
  assert_int_equal(ayil__body_unpack(p, n, &out, &on, &peak), AYIL_EFORMAT);
  free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_vector),     cmocka_unit_test(test_buckets),
      cmocka_unit_test(test_old_bodies), cmocka_unit_test(test_wrong_ids),
      cmocka_unit_test(test_bomb),
  };
  if (sodium_init() < 0)
    return 1;
  return cmocka_run_group_tests(tests, NULL, NULL);
}

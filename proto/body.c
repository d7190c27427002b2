/*
 * Sealed bodies: pack (compress with a fixed dictionary, or not), pad to a
 * power-of-two bucket, seal. See proto/PROTOCOL.md, "Bodies", "Body
 * packing" and "Body padding".
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
/* ZSTD_customMem and the *_advanced constructors: an allocator that
 * counts and wipes (Debian 12's libzstd 1.5.4 exports them). */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "ayil/entry.h"
#include "ayil/error.h"
#include "ayil/mp.h"

#include "body_int.h"

/* ---- an allocator for zstd that wipes on free and counts ---- */

typedef struct {
  size_t peak; /* the largest single allocation */
} body_mem_t;

typedef union {
  size_t n;
  max_align_t align;
} mem_hdr_t;

static void *mem_alloc(void *opaque, size_t n) {
  body_mem_t *m = opaque;
  mem_hdr_t *h;
  if (n > SIZE_MAX - sizeof *h)
    return NULL;
  h = malloc(sizeof *h + n);
  if (h == NULL)
    return NULL;
  h->n = n;
  if (n > m->peak)
    m->peak = n;
  return h + 1;
}

static void mem_free(void *opaque, void *p) {
  mem_hdr_t *h;
  (void)opaque;
  if (p == NULL)
    return;
  h = (mem_hdr_t *)p - 1;
  sodium_memzero(p, h->n); /* zstd's buffers held identifying text */
  free(h);
}

/* Whether b can start a msgpack map: the reader's own rule (mp.h). */
static int is_map_start(uint8_t b) {
  ayil_mp_t r = {&b, &b + 1};
  return ayil_mp_peek(&r) == AYIL_MP_MAP;
}

/* The dictionary of an id, or NULL if this version does not know it. */
static const unsigned char *body_dict(uint8_t id, size_t *len) {
  switch (id) {
  case 1:
    *len = ayil__body_dict_v1_len;
    return ayil__body_dict_v1;
  default:
    return NULL;
  }
}

/* The dictionary a writer uses: the one of its code-list version. */
#define BODY_DICT_CURRENT 1

int ayil__body_pack(const uint8_t *map, size_t len, uint8_t **out,
                    size_t *outlen) {
  body_mem_t m = {0};
  ZSTD_customMem cm = {mem_alloc, mem_free, &m};
  ZSTD_CCtx *c;
  const unsigned char *dict;
  size_t dlen = 0, bound, n = 0;
  uint8_t *buf;
  int compressed = 0;

  if (len == 0 || !is_map_start(map[0]))
    return AYIL_EINVAL;
  dict = body_dict(BODY_DICT_CURRENT, &dlen);
  bound = ZSTD_compressBound(len);
  if (ZSTD_isError(bound) || bound > SIZE_MAX - AYIL__BODY_HDR)
    return AYIL_ETOOBIG;
  buf = malloc(AYIL__BODY_HDR + (bound > len ? bound : len));
  if (buf == NULL)
    return AYIL_ENOMEM;
  c = ZSTD_createCCtx_advanced(cm);
  if (c != NULL &&
      !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel,
                                           AYIL__BODY_LEVEL)) &&
      !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1)) &&
      !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 0)) &&
      !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_dictIDFlag, 0)) &&
      !ZSTD_isError(ZSTD_CCtx_loadDictionary_byReference(c, dict, dlen))) {
    n = ZSTD_compress2(c, buf + AYIL__BODY_HDR, bound, map, len);
    /* Compressed only when that is shorter than the map itself. */
    compressed = !ZSTD_isError(n) && AYIL__BODY_HDR + n < len;
  }
  ZSTD_freeCCtx(c);
  if (compressed) {
    buf[0] = AYIL__BODY_PACKED;
    buf[1] = AYIL__BODY_ZSTD;
    buf[2] = BODY_DICT_CURRENT;
    n += AYIL__BODY_HDR;
    sodium_memzero(buf + n, bound - (n - AYIL__BODY_HDR));
  } else {
    sodium_memzero(buf, AYIL__BODY_HDR + (bound > len ? bound : len));
    memcpy(buf, map, len);
    n = len;
  }
  *out = buf;
  *outlen = n;
  return 0;
}

int ayil__body_unpack(const uint8_t *p, size_t len, uint8_t **out,
                      size_t *outlen, size_t *peak) {
  body_mem_t m = {0};
  ZSTD_customMem cm = {mem_alloc, mem_free, &m};
  ZSTD_DCtx *d;
  const unsigned char *dict;
  size_t dlen = 0, flen, r;
  unsigned long long declared;
  uint8_t *o;

  if (peak != NULL)
    *peak = 0;
  if (len == 0)
    return AYIL_EFORMAT;
  if (is_map_start(p[0])) { /* an uncompressed map, as before packing */
    o = malloc(len);
    if (o == NULL)
      return AYIL_ENOMEM;
    memcpy(o, p, len);
    if (peak != NULL)
      *peak = len;
    *out = o;
    *outlen = len;
    return 0;
  }
  if (p[0] != AYIL__BODY_PACKED || len <= AYIL__BODY_HDR)
    return AYIL_EFORMAT;
  if (p[1] != AYIL__BODY_ZSTD)
    return AYIL_EVERSION; /* a method this version does not know */
  dict = body_dict(p[2], &dlen);
  if (dict == NULL)
    return AYIL_EVERSION; /* a dictionary this version does not ship */
  flen = len - AYIL__BODY_HDR;
  /* Exactly one zstd frame, which declares its content size: the output
   * is bounded before anything is allocated. */
  declared = ZSTD_getFrameContentSize(p + AYIL__BODY_HDR, flen);
  if (declared == ZSTD_CONTENTSIZE_ERROR ||
      declared == ZSTD_CONTENTSIZE_UNKNOWN || declared == 0)
    return AYIL_EFORMAT;
  if (declared > AYIL_BODY_MAX)
    return AYIL_ETOOBIG;
  if (ZSTD_findFrameCompressedSize(p + AYIL__BODY_HDR, flen) != flen)
    return AYIL_EFORMAT;
  o = malloc((size_t)declared);
  if (o == NULL)
    return AYIL_ENOMEM;
  d = ZSTD_createDCtx_advanced(cm);
  if (d == NULL) {
    free(o);
    return AYIL_ENOMEM;
  }
  /* Into a buffer of exactly the declared size: a frame that would write
   * more fails (dstSize_tooSmall); one that writes less is caught below
   * (zstd also checks the declared size at the frame's end). */
  r = ZSTD_decompress_usingDict(d, o, (size_t)declared, p + AYIL__BODY_HDR,
                                flen, dict, dlen);
  ZSTD_freeDCtx(d);
  if (peak != NULL)
    *peak = m.peak > declared ? m.peak : (size_t)declared;
  if (ZSTD_isError(r) || r != declared || !is_map_start(o[0])) {
    sodium_memzero(o, (size_t)declared);
    free(o);
    return AYIL_EFORMAT;
  }
  *out = o;
  *outlen = (size_t)declared;
  return 0;
}

/* ---- padding and sealing ---- */

size_t ayil_body_bucket(size_t len) {
  size_t b = AYIL_BODY_BUCKET_MIN;
  const size_t last = AYIL_BODY_MAX - crypto_box_SEALBYTES;
  if (len >= last)
    return 0;
  while (b <= len) /* at least one byte of padding; bounded by last */
    b *= 2;
  return b > last ? last : b;
}

int ayil_body_seal(const uint8_t *plain, size_t len,
                   const uint8_t reader_pk[32], uint8_t **out, size_t *outlen) {
  uint8_t *c, *p, *packed = NULL;
  size_t bucket, padded = 0, plen = 0;
  int rc;
  if (len == 0)
    return AYIL_EINVAL;
  if (len >= AYIL_BODY_MAX)
    return AYIL_ETOOBIG;
  rc = ayil__body_pack(plain, len, &packed, &plen);
  if (rc != 0)
    return rc;
  bucket = ayil_body_bucket(plen);
  if (bucket == 0) {
    sodium_memzero(packed, plen);
    free(packed);
    return AYIL_ETOOBIG;
  }
  p = malloc(bucket);
  c = malloc(bucket + crypto_box_SEALBYTES);
  if (p == NULL || c == NULL) {
    sodium_memzero(packed, plen);
    free(packed);
    free(p);
    free(c);
    return AYIL_ENOMEM;
  }
  memcpy(p, packed, plen);
  sodium_memzero(packed, plen);
  free(packed);
  /* ISO/IEC 7816-4 padding to the bucket: 0x80 then zeros. */
  if (sodium_pad(&padded, p, plen, bucket, bucket) != 0 || padded != bucket ||
      crypto_box_seal(c, p, bucket, reader_pk) != 0) {
    sodium_memzero(p, bucket);
    free(p);
    free(c);
    return AYIL_EINVAL;
  }
  sodium_memzero(p, bucket);
  free(p);
  *out = c;
  *outlen = bucket + crypto_box_SEALBYTES;
  return 0;
}

int ayil_body_open(const uint8_t *sealed, size_t len,
                   const uint8_t reader_pk[32], const uint8_t reader_sk[32],
                   uint8_t **out, size_t *outlen) {
  uint8_t *p;
  size_t plen, unpadded = 0;
  int rc;
  if (len <= crypto_box_SEALBYTES || len > AYIL_BODY_MAX)
    return AYIL_EDECRYPT;
  plen = len - crypto_box_SEALBYTES;
  p = malloc(plen);
  if (p == NULL)
    return AYIL_ENOMEM;
  if (crypto_box_seal_open(p, sealed, len, reader_pk, reader_sk) != 0) {
    free(p);
    return AYIL_EDECRYPT;
  }
  /* The padded length must be a bucket, and the padding well formed. */
  if (ayil_body_bucket(plen - 1) != plen ||
      sodium_unpad(&unpadded, p, plen, plen) != 0 || unpadded == 0) {
    sodium_memzero(p, plen);
    free(p);
    return AYIL_EFORMAT;
  }
  rc = ayil__body_unpack(p, unpadded, out, outlen, NULL);
  sodium_memzero(p, plen);
  free(p);
  return rc;
}

void ayil_body_hash(const uint8_t *sealed, size_t len,
                    uint8_t out[AYIL_HASH_BYTES]) {
  crypto_generichash(out, AYIL_HASH_BYTES, sealed, len, NULL, 0);
}

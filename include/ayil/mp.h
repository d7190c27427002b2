/*
 * The one msgpack reader and writer of ayil (proto/PROTOCOL.md: one
 * canonical form; integers and lengths in their shortest encoding).
 *
 * - ayil_mp_check(): an allocation-free structural pre-scan of untrusted
 *   bytes for the decoders that still hand them to msgpack-c: every claimed
 *   length must fit in the bytes left, nesting is bounded.
 * - ayil_mp_t: a strict reader over untrusted bytes. It never allocates:
 *   every length is checked against the bytes left before it is believed,
 *   and every value must use its shortest encoding (AYIL_ENOTCANON
 *   otherwise), so that a value has exactly one valid encoding. Map key
 *   order is the caller's to check (ayil_mp_key_after()).
 * - ayil_mp_wbuf_t: a msgpack-c packer over a fixed buffer (msgpack-c
 *   writes integers and lengths in their shortest form); nothing is
 *   allocated, and overflow is sticky.
 */
#ifndef AYIL_MP_H
#define AYIL_MP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <msgpack.h>

#include "ayil/error.h"

/*
 * Checks that buf[0..len) starts with one well-formed msgpack value nested
 * at most `max_depth` deep. Ext types and the never-used byte 0xc1 are
 * refused. On success *used is the value's length (the caller decides
 * whether trailing bytes are allowed). Returns 0, AYIL_ETRUNC, AYIL_EDEPTH
 * or AYIL_EFORMAT.
 */
int ayil_mp_check(const uint8_t *buf, size_t len, int max_depth, size_t *used);

/* ---- strict reader ---- */

typedef struct {
  const uint8_t *p;
  const uint8_t *end;
} ayil_mp_t;

enum {
  AYIL_MP_END = 0,
  AYIL_MP_NIL,
  AYIL_MP_UINT,
  AYIL_MP_BIN,
  AYIL_MP_ARRAY,
  AYIL_MP_INT, /* a negative integer */
  AYIL_MP_BOOL,
  AYIL_MP_STR,
  AYIL_MP_MAP,
  AYIL_MP_OTHER,
};

/* The kind of the next value, without consuming it. */
static inline int ayil_mp_peek(const ayil_mp_t *r);
/* An array header; *n is at most the bytes left (each element takes one). */
static inline int ayil_mp_array(ayil_mp_t *r, size_t *n);
/* An array header with exactly `n` elements. */
static inline int ayil_mp_array_n(ayil_mp_t *r, size_t n);
static inline int ayil_mp_uint(ayil_mp_t *r, uint64_t max, uint64_t *v);
/* A bin of at most `max` bytes; *p points into the input. */
static inline int ayil_mp_bin(ayil_mp_t *r, size_t max, const uint8_t **p,
                              size_t *n);
/* A bin of exactly `n` bytes. */
static inline int ayil_mp_bin_n(ayil_mp_t *r, size_t n, const uint8_t **p);
/* A signed integer: a value >= 0 in its uint form, a negative one in the
 * shortest int form. */
static inline int ayil_mp_int(ayil_mp_t *r, int64_t *v);
static inline int ayil_mp_bool(ayil_mp_t *r, int *v);
/* A str of at most `max` bytes; *p points into the input. */
static inline int ayil_mp_str(ayil_mp_t *r, size_t max, const uint8_t **p,
                              size_t *n);
/* A map header; *n is at most half the bytes left. */
static inline int ayil_mp_map(ayil_mp_t *r, size_t *n);
/* Consumes a nil if one is next: returns 1, else 0. */
static inline int ayil_mp_nil(ayil_mp_t *r);
/* AYIL_ETRAILING unless every byte was consumed. */
static inline int ayil_mp_done(const ayil_mp_t *r);
/* 1 if key k (kn bytes) sorts bytewise strictly after prev (pn bytes; prev
 * NULL: the first key), as a canonical map's next key must. */
static inline int ayil_mp_key_after(const uint8_t *prev, size_t pn,
                                    const uint8_t *k, size_t kn);

/*
 * A flat canonical map, as records' headers and bodies are: string keys
 * (1..key_max bytes) sorted bytewise and unique, at most max_keys of them.
 * ayil_mp_map_begin() reads the map header; each ayil_mp_map_next() then
 * returns 1 with the next key, and the caller reads its value from it->r
 * (or skips it with ayil_mp_skip_flat()); after the last key it returns
 * 0 if every byte was read. Errors are the (negative) AYIL_E* codes.
 */
typedef struct {
  ayil_mp_t r;
  size_t left, key_max;
  const uint8_t *pk; /* the previous key, NULL before the first */
  size_t pn;
} ayil_mp_map_it_t;

static inline int ayil_mp_map_begin(ayil_mp_map_it_t *it, const uint8_t *buf,
                                    size_t len, size_t max_keys,
                                    size_t key_max);
static inline int ayil_mp_map_next(ayil_mp_map_it_t *it, const uint8_t **k,
                                   size_t *kn);
/* Skips one flat value: a str, a uint, a bool or an array of strs. */
static inline int ayil_mp_skip_flat(ayil_mp_t *r);

/* ---- writer ---- */

typedef struct {
  uint8_t *buf;
  size_t cap;
  size_t len;
  int overflow;
  msgpack_packer pk;
} ayil_mp_wbuf_t;

void ayil_mp_wbuf_init(ayil_mp_wbuf_t *w, uint8_t *buf, size_t cap);
void ayil_mp_pack_bin(msgpack_packer *pk, const uint8_t *p, size_t n);
void ayil_mp_pack_str(msgpack_packer *pk, const char *p, size_t n);

/* ---- the reader's definitions: inline, as it is the hot path of the
 * report (a million headers) and of sync ---- */

static inline size_t ayil_mp__left(const ayil_mp_t *r) {
  return (size_t)(r->end - r->p);
}

static inline uint64_t ayil_mp__be(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  size_t i;
  for (i = 0; i < n; i++)
    v = (v << 8) | p[i];
  return v;
}

static inline int ayil_mp_peek(const ayil_mp_t *r) {
  uint8_t b;
  if (r->p >= r->end)
    return AYIL_MP_END;
  b = r->p[0];
  if (b <= 0x7f || (b >= 0xcc && b <= 0xcf))
    return AYIL_MP_UINT;
  if (b == 0xc0)
    return AYIL_MP_NIL;
  if (b >= 0xc4 && b <= 0xc6)
    return AYIL_MP_BIN;
  if ((b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd)
    return AYIL_MP_ARRAY;
  if (b >= 0xe0 || (b >= 0xd0 && b <= 0xd3))
    return AYIL_MP_INT;
  if (b == 0xc2 || b == 0xc3)
    return AYIL_MP_BOOL;
  if ((b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb))
    return AYIL_MP_STR;
  if ((b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf)
    return AYIL_MP_MAP;
  return AYIL_MP_OTHER;
}

/* Reads a length or value of `n` bytes after the type byte. */
static inline int ayil_mp__take(ayil_mp_t *r, size_t n, uint64_t *v) {
  if (ayil_mp__left(r) < n)
    return AYIL_ETRUNC;
  *v = ayil_mp__be(r->p, n);
  r->p += n;
  return 0;
}

/*
 * Reads an array or map header: a fix form (fix..fix+15) or 16/32-bit
 * count bytes. Each element takes at least `per` bytes (1 for an array
 * item, 2 for a key and its value), so no count beyond what is left is
 * believed.
 */
static inline int ayil_mp__container(ayil_mp_t *r, uint8_t fix, uint8_t b16,
                                     uint8_t b32, size_t per, size_t *n) {
  uint64_t v = 0;
  uint8_t b;
  int rc = 0;
  if (r->p >= r->end)
    return AYIL_ETRUNC;
  b = *r->p++;
  if (b >= fix && b <= fix + 0x0f) {
    v = b & 0x0f;
  } else if (b == b16) {
    rc = ayil_mp__take(r, 2, &v);
    if (rc == 0 && v < 16)
      rc = AYIL_ENOTCANON;
  } else if (b == b32) {
    rc = ayil_mp__take(r, 4, &v);
    if (rc == 0 && v <= 0xffff)
      rc = AYIL_ENOTCANON;
  } else {
    return AYIL_EFORMAT;
  }
  if (rc != 0)
    return rc;
  if (v > ayil_mp__left(r) / per)
    return AYIL_ETRUNC;
  *n = (size_t)v;
  return 0;
}

static inline int ayil_mp_array(ayil_mp_t *r, size_t *n) {
  return ayil_mp__container(r, 0x90, 0xdc, 0xdd, 1, n);
}

static inline int ayil_mp_array_n(ayil_mp_t *r, size_t n) {
  size_t got = 0;
  int rc = ayil_mp_array(r, &got);
  if (rc != 0)
    return rc;
  return got == n ? 0 : AYIL_EFORMAT;
}

static inline int ayil_mp_uint(ayil_mp_t *r, uint64_t max, uint64_t *v) {
  uint8_t b;
  uint64_t x = 0;
  int rc = 0;
  if (r->p >= r->end)
    return AYIL_ETRUNC;
  b = *r->p++;
  if (b <= 0x7f) {
    x = b;
  } else if (b == 0xcc) {
    rc = ayil_mp__take(r, 1, &x);
    if (rc == 0 && x < 0x80)
      rc = AYIL_ENOTCANON;
  } else if (b == 0xcd) {
    rc = ayil_mp__take(r, 2, &x);
    if (rc == 0 && x <= 0xff)
      rc = AYIL_ENOTCANON;
  } else if (b == 0xce) {
    rc = ayil_mp__take(r, 4, &x);
    if (rc == 0 && x <= 0xffff)
      rc = AYIL_ENOTCANON;
  } else if (b == 0xcf) {
    rc = ayil_mp__take(r, 8, &x);
    if (rc == 0 && x <= 0xffffffffu)
      rc = AYIL_ENOTCANON;
  } else {
    return AYIL_EFORMAT;
  }
  if (rc != 0)
    return rc;
  if (x > max)
    return AYIL_EFORMAT;
  *v = x;
  return 0;
}

static inline int ayil_mp_int(ayil_mp_t *r, int64_t *v) {
  static const int64_t lim[4] = {-32, -128, -32768, -2147483648LL};
  uint64_t x = 0;
  int64_t y;
  uint8_t b;
  int rc;
  if (ayil_mp_peek(r) == AYIL_MP_UINT) {
    rc = ayil_mp_uint(r, INT64_MAX, &x);
    if (rc == 0)
      *v = (int64_t)x;
    return rc;
  }
  if (r->p >= r->end)
    return AYIL_ETRUNC;
  b = *r->p++;
  if (b >= 0xe0) {
    *v = (int64_t)b - 256;
    return 0;
  }
  if (b < 0xd0 || b > 0xd3)
    return AYIL_EFORMAT;
  rc = ayil_mp__take(r, (size_t)1 << (b - 0xd0), &x);
  if (rc != 0)
    return rc;
  /* Sign-extend the big-endian two's complement value. */
  switch (b) {
  case 0xd0:
    y = (int8_t)(uint8_t)x;
    break;
  case 0xd1:
    y = (int16_t)(uint16_t)x;
    break;
  case 0xd2:
    y = (int32_t)(uint32_t)x;
    break;
  default:
    y = x > INT64_MAX ? -(int64_t)(~x) - 1 : (int64_t)x;
  }
  /* Shortest form only: a value >= 0 is a uint, and each int width holds
   * only what the narrower ones cannot. */
  if (y >= lim[b - 0xd0])
    return AYIL_ENOTCANON;
  *v = y;
  return 0;
}

static inline int ayil_mp_bool(ayil_mp_t *r, int *v) {
  if (r->p >= r->end)
    return AYIL_ETRUNC;
  if (r->p[0] != 0xc2 && r->p[0] != 0xc3)
    return AYIL_EFORMAT;
  *v = *r->p++ == 0xc3;
  return 0;
}

static inline int ayil_mp_str(ayil_mp_t *r, size_t max, const uint8_t **p,
                              size_t *n) {
  uint8_t b;
  uint64_t v = 0;
  int rc = 0;
  if (r->p >= r->end)
    return AYIL_ETRUNC;
  b = *r->p++;
  if (b >= 0xa0 && b <= 0xbf) {
    v = b & 0x1f;
  } else if (b == 0xd9) {
    rc = ayil_mp__take(r, 1, &v);
    if (rc == 0 && v < 32)
      rc = AYIL_ENOTCANON;
  } else if (b == 0xda) {
    rc = ayil_mp__take(r, 2, &v);
    if (rc == 0 && v <= 0xff)
      rc = AYIL_ENOTCANON;
  } else if (b == 0xdb) {
    rc = ayil_mp__take(r, 4, &v);
    if (rc == 0 && v <= 0xffff)
      rc = AYIL_ENOTCANON;
  } else {
    return AYIL_EFORMAT;
  }
  if (rc != 0)
    return rc;
  if (v > max)
    return AYIL_ETOOBIG;
  if (v > ayil_mp__left(r))
    return AYIL_ETRUNC;
  *p = r->p;
  *n = (size_t)v;
  r->p += v;
  return 0;
}

static inline int ayil_mp_map(ayil_mp_t *r, size_t *n) {
  return ayil_mp__container(r, 0x80, 0xde, 0xdf, 2, n);
}

static inline int ayil_mp_bin(ayil_mp_t *r, size_t max, const uint8_t **p,
                              size_t *n) {
  uint8_t b;
  uint64_t v = 0;
  int rc = 0;
  if (r->p >= r->end)
    return AYIL_ETRUNC;
  b = *r->p++;
  if (b == 0xc4) {
    rc = ayil_mp__take(r, 1, &v);
  } else if (b == 0xc5) {
    rc = ayil_mp__take(r, 2, &v);
    if (rc == 0 && v <= 0xff)
      rc = AYIL_ENOTCANON;
  } else if (b == 0xc6) {
    rc = ayil_mp__take(r, 4, &v);
    if (rc == 0 && v <= 0xffff)
      rc = AYIL_ENOTCANON;
  } else {
    return AYIL_EFORMAT;
  }
  if (rc != 0)
    return rc;
  if (v > max)
    return AYIL_ETOOBIG;
  if (v > ayil_mp__left(r))
    return AYIL_ETRUNC;
  *p = r->p;
  *n = (size_t)v;
  r->p += v;
  return 0;
}

static inline int ayil_mp_bin_n(ayil_mp_t *r, size_t n, const uint8_t **p) {
  size_t got = 0;
  int rc = ayil_mp_bin(r, n, p, &got);
  if (rc == AYIL_ETOOBIG)
    return AYIL_EFORMAT;
  if (rc != 0)
    return rc;
  return got == n ? 0 : AYIL_EFORMAT;
}

static inline int ayil_mp_nil(ayil_mp_t *r) {
  if (r->p < r->end && r->p[0] == 0xc0) {
    r->p++;
    return 1;
  }
  return 0;
}

static inline int ayil_mp_done(const ayil_mp_t *r) {
  return r->p == r->end ? 0 : AYIL_ETRAILING;
}

static inline int ayil_mp_key_after(const uint8_t *prev, size_t pn,
                                    const uint8_t *k, size_t kn) {
  size_t m = pn < kn ? pn : kn, i;
  if (prev == NULL)
    return 1;
  for (i = 0; i < m; i++) /* keys are short: no call to memcmp */
    if (prev[i] != k[i])
      return prev[i] < k[i];
  return pn < kn;
}

static inline int ayil_mp_map_begin(ayil_mp_map_it_t *it, const uint8_t *buf,
                                    size_t len, size_t max_keys,
                                    size_t key_max) {
  int rc;

  memset(it, 0, sizeof(*it));
  if (buf == NULL)
    return AYIL_ETRUNC;
  it->r.p = buf;
  it->r.end = buf + len;
  it->key_max = key_max;
  if ((rc = ayil_mp_map(&it->r, &it->left)) != 0)
    return rc;
  return it->left > max_keys ? AYIL_ETOOBIG : 0;
}

static inline int ayil_mp_map_next(ayil_mp_map_it_t *it, const uint8_t **k,
                                   size_t *kn) {
  int rc;

  if (it->left == 0)
    return ayil_mp_done(&it->r);
  it->left--;
  if ((rc = ayil_mp_str(&it->r, it->key_max, k, kn)) != 0)
    return rc;
  if (*kn == 0)
    return AYIL_EFORMAT;
  if (!ayil_mp_key_after(it->pk, it->pn, *k, *kn))
    return AYIL_ENOTCANON;
  it->pk = *k;
  it->pn = *kn;
  return 1;
}

static inline int ayil_mp_skip_flat(ayil_mp_t *r) {
  const uint8_t *p;
  size_t n, i, cnt;
  uint64_t u;
  int rc, b = 0;

  switch (ayil_mp_peek(r)) {
  case AYIL_MP_STR:
    return ayil_mp_str(r, SIZE_MAX, &p, &n);
  case AYIL_MP_UINT:
    return ayil_mp_uint(r, UINT64_MAX, &u);
  case AYIL_MP_BOOL:
    return ayil_mp_bool(r, &b);
  case AYIL_MP_ARRAY:
    if ((rc = ayil_mp_array(r, &cnt)) != 0)
      return rc;
    for (i = 0; i < cnt; i++)
      if ((rc = ayil_mp_str(r, SIZE_MAX, &p, &n)) != 0)
        return rc;
    return 0;
  case AYIL_MP_END:
    return AYIL_ETRUNC;
  default:
    return AYIL_EFORMAT;
  }
}

#endif

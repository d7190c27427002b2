/* The one msgpack reader and writer: structural pre-scan, strict canonical
 * reader, fixed-buffer writer. See include/ayil/mp.h. */
#include <string.h>

#include "ayil/mp.h"

static uint64_t be_n(const uint8_t *p, int n) {
  uint64_t v = 0;
  int i;
  for (i = 0; i < n; i++)
    v = (v << 8) | p[i];
  return v;
}

/* Walks one value at *pos. Iterative over siblings, recursive over depth
 * (bounded by max_depth). */
static int walk(const uint8_t *buf, size_t len, size_t *pos, int depth) {
  uint8_t b;
  uint64_t n = 0;   /* payload bytes, or element count */
  int children = 0; /* 1: n elements follow, 2: n pairs follow */
  size_t p = *pos;
  int hl = 0; /* length-field size */
  if (p >= len)
    return AYIL_ETRUNC;
  b = buf[p++];
  if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
    n = 0;
  } else if (b >= 0x80 && b <= 0x8f) {
    n = b & 0x0f;
    children = 2;
  } else if (b >= 0x90 && b <= 0x9f) {
    n = b & 0x0f;
    children = 1;
  } else if (b >= 0xa0 && b <= 0xbf) {
    n = b & 0x1f;
  } else {
    switch (b) {
    case 0xc4:
    case 0xd9:
      hl = 1;
      break; /* bin8, str8 */
    case 0xc5:
    case 0xda:
      hl = 2;
      break; /* bin16, str16 */
    case 0xc6:
    case 0xdb:
      hl = 4;
      break; /* bin32, str32 */
    case 0xcc:
    case 0xd0:
      n = 1;
      break;
    case 0xcd:
    case 0xd1:
      n = 2;
      break;
    case 0xca:
    case 0xce:
    case 0xd2:
      n = 4;
      break;
    case 0xcb:
    case 0xcf:
    case 0xd3:
      n = 8;
      break;
    case 0xdc:
      hl = 2;
      children = 1;
      break;
    case 0xdd:
      hl = 4;
      children = 1;
      break;
    case 0xde:
      hl = 2;
      children = 2;
      break;
    case 0xdf:
      hl = 4;
      children = 2;
      break;
    default:
      return AYIL_EFORMAT; /* 0xc1, ext and fixext */
    }
    if (hl > 0) {
      if (len - p < (size_t)hl)
        return AYIL_ETRUNC;
      n = be_n(buf + p, hl);
      p += (size_t)hl;
    }
  }
  if (children == 0) {
    if (len - p < n)
      return AYIL_ETRUNC;
    *pos = p + (size_t)n;
    return 0;
  }
  if (depth <= 0)
    return AYIL_EDEPTH;
  /* Each element takes at least one byte: a count larger than what is left
   * is a lie, refused before anyone allocates for it. */
  if (n > (len - p) / (size_t)children)
    return AYIL_ETRUNC;
  n *= (uint64_t)children;
  while (n-- > 0) {
    int rc = walk(buf, len, &p, depth - 1);
    if (rc != 0)
      return rc;
  }
  *pos = p;
  return 0;
}

int ayil_mp_check(const uint8_t *buf, size_t len, int max_depth, size_t *used) {
  size_t pos = 0;
  int rc = walk(buf, len, &pos, max_depth);
  if (rc == 0 && used != NULL)
    *used = pos;
  return rc;
}

/* ---- reader ---------------------------------------------------------- */

static size_t left(const ayil_mp_t *r) {
  return (size_t)(r->end - r->p);
}

static uint64_t be(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  size_t i;
  for (i = 0; i < n; i++)
    v = (v << 8) | p[i];
  return v;
}

int ayil_mp_peek(const ayil_mp_t *r) {
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
static int take(ayil_mp_t *r, size_t n, uint64_t *v) {
  if (left(r) < n)
    return AYIL_ETRUNC;
  *v = be(r->p, n);
  r->p += n;
  return 0;
}

/*
 * Reads an array or map header: a fix form (fix..fix+15) or 16/32-bit
 * count bytes. Each element takes at least `per` bytes (1 for an array
 * item, 2 for a key and its value), so no count beyond what is left is
 * believed.
 */
static int container(ayil_mp_t *r, uint8_t fix, uint8_t b16, uint8_t b32,
                     size_t per, size_t *n) {
  uint64_t v = 0;
  uint8_t b;
  int rc = 0;
  if (r->p >= r->end)
    return AYIL_ETRUNC;
  b = *r->p++;
  if (b >= fix && b <= fix + 0x0f) {
    v = b & 0x0f;
  } else if (b == b16) {
    rc = take(r, 2, &v);
    if (rc == 0 && v < 16)
      rc = AYIL_ENOTCANON;
  } else if (b == b32) {
    rc = take(r, 4, &v);
    if (rc == 0 && v <= 0xffff)
      rc = AYIL_ENOTCANON;
  } else {
    return AYIL_EFORMAT;
  }
  if (rc != 0)
    return rc;
  if (v > left(r) / per)
    return AYIL_ETRUNC;
  *n = (size_t)v;
  return 0;
}

int ayil_mp_array(ayil_mp_t *r, size_t *n) {
  return container(r, 0x90, 0xdc, 0xdd, 1, n);
}

int ayil_mp_array_n(ayil_mp_t *r, size_t n) {
  size_t got = 0;
  int rc = ayil_mp_array(r, &got);
  if (rc != 0)
    return rc;
  return got == n ? 0 : AYIL_EFORMAT;
}

int ayil_mp_uint(ayil_mp_t *r, uint64_t max, uint64_t *v) {
  uint8_t b;
  uint64_t x = 0;
  int rc = 0;
  if (r->p >= r->end)
    return AYIL_ETRUNC;
  b = *r->p++;
  if (b <= 0x7f) {
    x = b;
  } else if (b == 0xcc) {
    rc = take(r, 1, &x);
    if (rc == 0 && x < 0x80)
      rc = AYIL_ENOTCANON;
  } else if (b == 0xcd) {
    rc = take(r, 2, &x);
    if (rc == 0 && x <= 0xff)
      rc = AYIL_ENOTCANON;
  } else if (b == 0xce) {
    rc = take(r, 4, &x);
    if (rc == 0 && x <= 0xffff)
      rc = AYIL_ENOTCANON;
  } else if (b == 0xcf) {
    rc = take(r, 8, &x);
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

int ayil_mp_int(ayil_mp_t *r, int64_t *v) {
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
  rc = take(r, (size_t)1 << (b - 0xd0), &x);
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

int ayil_mp_bool(ayil_mp_t *r, int *v) {
  if (r->p >= r->end)
    return AYIL_ETRUNC;
  if (r->p[0] != 0xc2 && r->p[0] != 0xc3)
    return AYIL_EFORMAT;
  *v = *r->p++ == 0xc3;
  return 0;
}

int ayil_mp_str(ayil_mp_t *r, size_t max, const uint8_t **p, size_t *n) {
  uint8_t b;
  uint64_t v = 0;
  int rc = 0;
  if (r->p >= r->end)
    return AYIL_ETRUNC;
  b = *r->p++;
  if (b >= 0xa0 && b <= 0xbf) {
    v = b & 0x1f;
  } else if (b == 0xd9) {
    rc = take(r, 1, &v);
    if (rc == 0 && v < 32)
      rc = AYIL_ENOTCANON;
  } else if (b == 0xda) {
    rc = take(r, 2, &v);
    if (rc == 0 && v <= 0xff)
      rc = AYIL_ENOTCANON;
  } else if (b == 0xdb) {
    rc = take(r, 4, &v);
    if (rc == 0 && v <= 0xffff)
      rc = AYIL_ENOTCANON;
  } else {
    return AYIL_EFORMAT;
  }
  if (rc != 0)
    return rc;
  if (v > max)
    return AYIL_ETOOBIG;
  if (v > left(r))
    return AYIL_ETRUNC;
  *p = r->p;
  *n = (size_t)v;
  r->p += v;
  return 0;
}

int ayil_mp_map(ayil_mp_t *r, size_t *n) {
  return container(r, 0x80, 0xde, 0xdf, 2, n);
}

int ayil_mp_bin(ayil_mp_t *r, size_t max, const uint8_t **p, size_t *n) {
  uint8_t b;
  uint64_t v = 0;
  int rc = 0;
  if (r->p >= r->end)
    return AYIL_ETRUNC;
  b = *r->p++;
  if (b == 0xc4) {
    rc = take(r, 1, &v);
  } else if (b == 0xc5) {
    rc = take(r, 2, &v);
    if (rc == 0 && v <= 0xff)
      rc = AYIL_ENOTCANON;
  } else if (b == 0xc6) {
    rc = take(r, 4, &v);
    if (rc == 0 && v <= 0xffff)
      rc = AYIL_ENOTCANON;
  } else {
    return AYIL_EFORMAT;
  }
  if (rc != 0)
    return rc;
  if (v > max)
    return AYIL_ETOOBIG;
  if (v > left(r))
    return AYIL_ETRUNC;
  *p = r->p;
  *n = (size_t)v;
  r->p += v;
  return 0;
}

int ayil_mp_bin_n(ayil_mp_t *r, size_t n, const uint8_t **p) {
  size_t got = 0;
  int rc = ayil_mp_bin(r, n, p, &got);
  if (rc == AYIL_ETOOBIG)
    return AYIL_EFORMAT;
  if (rc != 0)
    return rc;
  return got == n ? 0 : AYIL_EFORMAT;
}

int ayil_mp_nil(ayil_mp_t *r) {
  if (r->p < r->end && r->p[0] == 0xc0) {
    r->p++;
    return 1;
  }
  return 0;
}

int ayil_mp_done(const ayil_mp_t *r) {
  return r->p == r->end ? 0 : AYIL_ETRAILING;
}

/* ---- writer ---------------------------------------------------------- */

static int wbuf_write(void *data, const char *p, size_t n) {
  ayil_mp_wbuf_t *w = data;
  if (w->overflow || n > w->cap - w->len) {
    w->overflow = 1;
    return -1;
  }
  memcpy(w->buf + w->len, p, n);
  w->len += n;
  return 0;
}

void ayil_mp_wbuf_init(ayil_mp_wbuf_t *w, uint8_t *buf, size_t cap) {
  w->buf = buf;
  w->cap = cap;
  w->len = 0;
  w->overflow = 0;
  msgpack_packer_init(&w->pk, w, wbuf_write);
}

void ayil_mp_pack_bin(msgpack_packer *pk, const uint8_t *p, size_t n) {
  msgpack_pack_bin(pk, n);
  msgpack_pack_bin_body(pk, p, n);
}

void ayil_mp_pack_str(msgpack_packer *pk, const char *p, size_t n) {
  msgpack_pack_str(pk, n);
  msgpack_pack_str_body(pk, p, n);
}

int ayil_mp_key_after(const uint8_t *prev, size_t pn, const uint8_t *k,
                      size_t kn) {
  size_t m = pn < kn ? pn : kn;
  int c;
  if (prev == NULL)
    return 1;
  c = memcmp(prev, k, m);
  return c < 0 || (c == 0 && pn < kn);
}

int ayil_mp_map_begin(ayil_mp_map_it_t *it, const uint8_t *buf, size_t len,
                      size_t max_keys, size_t key_max) {
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

int ayil_mp_map_next(ayil_mp_map_it_t *it, const uint8_t **k, size_t *kn) {
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

int ayil_mp_skip_flat(ayil_mp_t *r) {
  const uint8_t *p;
  size_t n, i, cnt;
  uint64_t u;
  int rc, b;

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

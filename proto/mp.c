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

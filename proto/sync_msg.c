/*
 * Byte codecs of the sync protocol: a strict, allocation-free msgpack reader
 * for untrusted messages, a fixed-buffer msgpack writer, and the wire form
 * of one entry (its header's compact form is in sync_dict.c). See
 * proto/PROTOCOL.md, "Sync".
 */
#include <string.h>

#include "sync_int.h"

/* ---- reader ---------------------------------------------------------- */

static size_t left(const ayil__mp_t *r) {
  return (size_t)(r->end - r->p);
}

static uint64_t be(const uint8_t *p, size_t n) {
  uint64_t v = 0;
  size_t i;
  for (i = 0; i < n; i++)
    v = (v << 8) | p[i];
  return v;
}

int ayil__mp_peek(const ayil__mp_t *r) {
  uint8_t b;
  if (r->p >= r->end)
    return AYIL__MP_END;
  b = r->p[0];
  if (b <= 0x7f || (b >= 0xcc && b <= 0xcf))
    return AYIL__MP_UINT;
  if (b == 0xc0)
    return AYIL__MP_NIL;
  if (b >= 0xc4 && b <= 0xc6)
    return AYIL__MP_BIN;
  if ((b >= 0x90 && b <= 0x9f) || b == 0xdc || b == 0xdd)
    return AYIL__MP_ARRAY;
  if (b >= 0xe0 || (b >= 0xd0 && b <= 0xd3))
    return AYIL__MP_INT;
  if (b == 0xc2 || b == 0xc3)
    return AYIL__MP_BOOL;
  if ((b >= 0xa0 && b <= 0xbf) || (b >= 0xd9 && b <= 0xdb))
    return AYIL__MP_STR;
  if ((b >= 0x80 && b <= 0x8f) || b == 0xde || b == 0xdf)
    return AYIL__MP_MAP;
  return AYIL__MP_OTHER;
}

/* Reads a length or value of `n` bytes after the type byte. */
static int take(ayil__mp_t *r, size_t n, uint64_t *v) {
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
static int container(ayil__mp_t *r, uint8_t fix, uint8_t b16, uint8_t b32,
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

int ayil__mp_array(ayil__mp_t *r, size_t *n) {
  return container(r, 0x90, 0xdc, 0xdd, 1, n);
}

int ayil__mp_array_n(ayil__mp_t *r, size_t n) {
  size_t got = 0;
  int rc = ayil__mp_array(r, &got);
  if (rc != 0)
    return rc;
  return got == n ? 0 : AYIL_EFORMAT;
}

int ayil__mp_uint(ayil__mp_t *r, uint64_t max, uint64_t *v) {
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

int ayil__mp_int(ayil__mp_t *r, int64_t *v) {
  static const int64_t lim[4] = {-32, -128, -32768, -2147483648LL};
  uint64_t x = 0;
  int64_t y;
  uint8_t b;
  int rc;
  if (ayil__mp_peek(r) == AYIL__MP_UINT) {
    rc = ayil__mp_uint(r, INT64_MAX, &x);
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

int ayil__mp_bool(ayil__mp_t *r, int *v) {
  if (r->p >= r->end)
    return AYIL_ETRUNC;
  if (r->p[0] != 0xc2 && r->p[0] != 0xc3)
    return AYIL_EFORMAT;
  *v = *r->p++ == 0xc3;
  return 0;
}

int ayil__mp_str(ayil__mp_t *r, size_t max, const uint8_t **p, size_t *n) {
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

int ayil__mp_map(ayil__mp_t *r, size_t *n) {
  return container(r, 0x80, 0xde, 0xdf, 2, n);
}

int ayil__mp_bin(ayil__mp_t *r, size_t max, const uint8_t **p, size_t *n) {
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

int ayil__mp_bin_n(ayil__mp_t *r, size_t n, const uint8_t **p) {
  size_t got = 0;
  int rc = ayil__mp_bin(r, n, p, &got);
  if (rc == AYIL_ETOOBIG)
    return AYIL_EFORMAT;
  if (rc != 0)
    return rc;
  return got == n ? 0 : AYIL_EFORMAT;
}

int ayil__mp_nil(ayil__mp_t *r) {
  if (r->p < r->end && r->p[0] == 0xc0) {
    r->p++;
    return 1;
  }
  return 0;
}

int ayil__mp_done(const ayil__mp_t *r) {
  return r->p == r->end ? 0 : AYIL_ETRAILING;
}

int ayil__mp_check_entry(const uint8_t *buf, size_t len) {
  ayil__mp_t r = {buf, buf + len};
  const uint8_t *p;
  size_t i, n = 0;
  uint64_t v;
  int rc;
  if (len > AYIL_ENTRY_MAX)
    return AYIL_ETOOBIG;
  rc = ayil__mp_array_n(&r, 11);
  for (i = 0; rc == 0 && i < 11; i++) {
    switch (ayil__mp_peek(&r)) {
    case AYIL__MP_NIL:
      r.p++;
      break;
    case AYIL__MP_UINT:
      rc = ayil__mp_uint(&r, UINT64_MAX, &v);
      break;
    case AYIL__MP_BIN:
      rc = ayil__mp_bin(&r, AYIL_ENTRY_MAX, &p, &n);
      break;
    case AYIL__MP_END:
      rc = AYIL_ETRUNC;
      break;
    default:
      rc = AYIL_EFORMAT;
    }
  }
  if (rc == 0)
    rc = ayil__mp_done(&r);
  return rc;
}

/* ---- writer ---------------------------------------------------------- */

static int wbuf_write(void *data, const char *p, size_t n) {
  ayil__wbuf_t *w = data;
  if (w->overflow || n > w->cap - w->len) {
    w->overflow = 1;
    return -1;
  }
  memcpy(w->buf + w->len, p, n);
  w->len += n;
  return 0;
}

void ayil__wbuf_init(ayil__wbuf_t *w, uint8_t *buf, size_t cap) {
  w->buf = buf;
  w->cap = cap;
  w->len = 0;
  w->overflow = 0;
  msgpack_packer_init(&w->pk, w, wbuf_write);
}

void ayil__pack_bin(msgpack_packer *pk, const uint8_t *p, size_t n) {
  msgpack_pack_bin(pk, n);
  msgpack_pack_bin_body(pk, p, n);
}

/* ---- have rows ------------------------------------------------------- */

#define ROW_FIELDS 4

int ayil__row_read(ayil__mp_t *r, const uint8_t **id, uint64_t *seq,
                   const uint8_t **hash, unsigned *flags) {
  uint64_t f = 0;
  int rc = ayil__mp_array_n(r, ROW_FIELDS);
  if (rc == 0)
    rc = ayil__mp_bin_n(r, AYIL_ID_BYTES, id);
  if (rc == 0)
    rc = ayil__mp_uint(r, INT64_MAX, seq);
  if (rc != 0)
    return rc;
  *hash = NULL;
  if (!ayil__mp_nil(r)) {
    rc = ayil__mp_bin_n(r, AYIL_HASH_BYTES, hash);
    if (rc != 0)
      return rc;
  }
  /* The hash is nil exactly when the log is empty. */
  if ((*seq == 0) != (*hash == NULL))
    return AYIL_EFORMAT;
  rc =
      ayil__mp_uint(r, AYIL_SYNC_OFFER | AYIL_SYNC_WANT | AYIL__SYNC_EARLY, &f);
  *flags = (unsigned)f;
  return rc;
}

void ayil__row_write(msgpack_packer *pk, const uint8_t *id, uint64_t seq,
                     const uint8_t *hash, unsigned flags) {
  msgpack_pack_array(pk, ROW_FIELDS);
  ayil__pack_bin(pk, id, AYIL_ID_BYTES);
  msgpack_pack_uint64(pk, seq);
  if (seq == 0)
    msgpack_pack_nil(pk);
  else
    ayil__pack_bin(pk, hash, AYIL_HASH_BYTES);
  msgpack_pack_uint32(pk, flags);
}

/* ---- records --------------------------------------------------------- */

/* [ts, record, op, codes, header, body, sig] */
#define REC_FIELDS 7

int ayil__ts_delta_ok(uint64_t base, uint64_t ts) {
  /* -(INT64_MIN) does not fit in an int64: keep the range symmetric. */
  return ts >= base ? ts - base <= INT64_MAX : base - ts <= INT64_MAX;
}

static int read_ts(ayil__mp_t *r, const uint64_t *base, uint64_t *ts) {
  int64_t d = 0;
  int rc;
  if (base == NULL)
    return ayil__mp_uint(r, UINT64_MAX, ts);
  rc = ayil__mp_int(r, &d);
  if (rc != 0)
    return rc;
  if (d < -INT64_MAX)
    return AYIL_EFORMAT; /* the writer never sends INT64_MIN */
  if (d >= 0 ? (uint64_t)d > UINT64_MAX - *base : (uint64_t)(-d) > *base)
    return AYIL_EFORMAT;
  *ts = d >= 0 ? *base + (uint64_t)d : *base - (uint64_t)(-d);
  return 0;
}

int ayil__rec_read(ayil__mp_t *r, const uint64_t *ts_base, uint8_t *hbuf,
                   ayil__rec_t *rec) {
  uint64_t v = 0;
  size_t n = 0;
  int rc;

  memset(rec, 0, sizeof *rec);
  rc = ayil__mp_array_n(r, REC_FIELDS);
  if (rc == 0)
    rc = read_ts(r, ts_base, &rec->ts_ms);
  if (rc == 0)
    rc = ayil__mp_bin_n(r, AYIL_RECID_BYTES, &rec->record);
  if (rc == 0)
    rc = ayil__mp_uint(r, UINT32_MAX, &v);
  if (rc != 0)
    return rc;
  rec->op = (uint32_t)v;
  rc = ayil__mp_uint(r, UINT32_MAX, &v);
  if (rc != 0)
    return rc;
  rec->codes_version = (uint32_t)v;
  switch (ayil__mp_peek(r)) {
  case AYIL__MP_NIL:
    r->p++;
    break;
  case AYIL__MP_BIN:
    rc = ayil__mp_bin(r, AYIL_HEADER_MAX, &rec->header, &rec->header_len);
    break;
  case AYIL__MP_ARRAY:
    rc = ayil__dict_decode(r, rec->codes_version, hbuf, AYIL_HEADER_MAX,
                           &rec->header_len);
    rec->header = hbuf;
    break;
  case AYIL__MP_END:
    return AYIL_ETRUNC;
  default:
    return AYIL_EFORMAT;
  }
  if (rc != 0)
    return rc;
  switch (ayil__mp_peek(r)) {
  case AYIL__MP_NIL:
    r->p++;
    rec->body_kind = AYIL__BODY_NONE;
    break;
  case AYIL__MP_BIN:
    rec->body_kind = AYIL__BODY_INLINE;
    rc = ayil__mp_bin(r, AYIL_BODY_MAX, &rec->body, &rec->body_len);
    break;
  case AYIL__MP_UINT:
    rec->body_kind = AYIL__BODY_CHUNKED;
    rc = ayil__mp_uint(r, AYIL_BODY_MAX, &v);
    if (rc == 0 && v == 0)
      rc = AYIL_EFORMAT;
    rec->body_len = (size_t)v;
    break;
  case AYIL__MP_ARRAY:
    rec->body_kind = AYIL__BODY_PURGED;
    rc = ayil__mp_array_n(r, 2);
    if (rc == 0)
      rc = ayil__mp_bin_n(r, AYIL_HASH_BYTES, &rec->body_hash);
    if (rc == 0)
      rc = ayil__mp_bin(r, AYIL_ENTRY_MAX, &rec->proof, &n);
    rec->proof_len = n;
    break;
  case AYIL__MP_END:
    return AYIL_ETRUNC;
  default:
    return AYIL_EFORMAT;
  }
  if (rc == 0)
    rc = ayil__mp_bin_n(r, AYIL_SIG_BYTES, &rec->sig);
  return rc;
}

static void write_header(msgpack_packer *pk, const ayil__rec_t *rec) {
  uint8_t c[AYIL__DICT_MAX];
  size_t n = 0;
  if (rec->header == NULL) {
    msgpack_pack_nil(pk);
    return;
  }
  if (rec->compact && ayil__dict_encode(rec->codes_version, rec->header,
                                        rec->header_len, c, sizeof c, &n)) {
    /* Already msgpack: appended as it is. */
    msgpack_pack_bin_body(pk, c, n);
    return;
  }
  ayil__pack_bin(pk, rec->header, rec->header_len);
}

void ayil__rec_write(msgpack_packer *pk, const ayil__rec_t *rec) {
  msgpack_pack_array(pk, REC_FIELDS);
  if (!rec->ts_rel)
    msgpack_pack_uint64(pk, rec->ts_ms);
  else if (rec->ts_ms >= rec->ts_base)
    msgpack_pack_uint64(pk, rec->ts_ms - rec->ts_base);
  else
    msgpack_pack_int64(pk, -(int64_t)(rec->ts_base - rec->ts_ms));
  ayil__pack_bin(pk, rec->record, AYIL_RECID_BYTES);
  msgpack_pack_uint32(pk, rec->op);
  msgpack_pack_uint32(pk, rec->codes_version);
  write_header(pk, rec);
  switch (rec->body_kind) {
  case AYIL__BODY_INLINE:
    ayil__pack_bin(pk, rec->body, rec->body_len);
    break;
  case AYIL__BODY_CHUNKED:
    msgpack_pack_uint64(pk, rec->body_len);
    break;
  case AYIL__BODY_PURGED:
    msgpack_pack_array(pk, 2);
    ayil__pack_bin(pk, rec->body_hash, AYIL_HASH_BYTES);
    ayil__pack_bin(pk, rec->proof, rec->proof_len);
    break;
  default:
    msgpack_pack_nil(pk);
  }
  ayil__pack_bin(pk, rec->sig, AYIL_SIG_BYTES);
}

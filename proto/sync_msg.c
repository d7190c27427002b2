/*
 * Byte codecs of the sync protocol: a strict, allocation-free msgpack reader
 * for untrusted messages, a fixed-buffer msgpack writer, and the wire form
 * of one entry (its header's compact form is in sync_dict.c). See
 * proto/PROTOCOL.md, "Sync".
 */
#include <string.h>

#include "sync_int.h"

int ayil__mp_check_entry(const uint8_t *buf, size_t len) {
  ayil_mp_t r = {buf, buf + len};
  const uint8_t *p;
  size_t i, n = 0;
  uint64_t v;
  int rc;
  if (len > AYIL_ENTRY_MAX)
    return AYIL_ETOOBIG;
  rc = ayil_mp_array_n(&r, 11);
  for (i = 0; rc == 0 && i < 11; i++) {
    switch (ayil_mp_peek(&r)) {
    case AYIL_MP_NIL:
      r.p++;
      break;
    case AYIL_MP_UINT:
      rc = ayil_mp_uint(&r, UINT64_MAX, &v);
      break;
    case AYIL_MP_BIN:
      rc = ayil_mp_bin(&r, AYIL_ENTRY_MAX, &p, &n);
      break;
    case AYIL_MP_END:
      rc = AYIL_ETRUNC;
      break;
    default:
      rc = AYIL_EFORMAT;
    }
  }
  if (rc == 0)
    rc = ayil_mp_done(&r);
  return rc;
}

/* ---- have rows ------------------------------------------------------- */

#define ROW_FIELDS 4

int ayil__msg_idx_seq(ayil__mp_t *r, size_t n, size_t want, uint64_t *idx,
                      uint64_t *seq) {
  int rc;
  if (n != want)
    return AYIL_EFORMAT;
  rc = ayil_mp_uint(r, AYIL_SYNC_ORIGINS_MAX, idx);
  if (rc == 0)
    rc = ayil_mp_uint(r, INT64_MAX, seq);
  return rc;
}

int ayil__row_read(ayil_mp_t *r, const uint8_t **id, uint64_t *seq,
                   const uint8_t **hash, unsigned *flags) {
  uint64_t f = 0;
  int rc = ayil_mp_array_n(r, ROW_FIELDS);
  if (rc == 0)
    rc = ayil_mp_bin_n(r, AYIL_ID_BYTES, id);
  if (rc == 0)
    rc = ayil_mp_uint(r, INT64_MAX, seq);
  if (rc != 0)
    return rc;
  *hash = NULL;
  if (!ayil_mp_nil(r)) {
    rc = ayil_mp_bin_n(r, AYIL_HASH_BYTES, hash);
    if (rc != 0)
      return rc;
  }
  /* The hash is nil exactly when the log is empty. */
  if ((*seq == 0) != (*hash == NULL))
    return AYIL_EFORMAT;
  rc = ayil_mp_uint(r,
                    AYIL_SYNC_OFFER | AYIL_SYNC_WANT | AYIL__SYNC_EARLY |
                        AYIL__SYNC_HELD | AYIL__SYNC_ARRIVALS |
                        AYIL_SYNC_SPARSE | AYIL__SYNC_REFS,
                    &f);
  *flags = (unsigned)f;
  return rc;
}

void ayil__row_write(msgpack_packer *pk, const uint8_t *id, uint64_t seq,
                     const uint8_t *hash, unsigned flags) {
  msgpack_pack_array(pk, ROW_FIELDS);
  ayil_mp_pack_bin(pk, id, AYIL_ID_BYTES);
  msgpack_pack_uint64(pk, seq);
  if (seq == 0)
    msgpack_pack_nil(pk);
  else
    ayil_mp_pack_bin(pk, hash, AYIL_HASH_BYTES);
  msgpack_pack_uint32(pk, flags);
}

/* ---- records --------------------------------------------------------- */

/* [ts, record, op, codes, header, body, sig] */
#define REC_FIELDS 7

int ayil__ts_delta_ok(uint64_t base, uint64_t ts) {
  /* -(INT64_MIN) does not fit in an int64: keep the range symmetric. */
  return ts >= base ? ts - base <= INT64_MAX : base - ts <= INT64_MAX;
}

static int read_ts(ayil_mp_t *r, const uint64_t *base, uint64_t *ts) {
  int64_t d = 0;
  int rc;
  if (base == NULL)
    return ayil_mp_uint(r, UINT64_MAX, ts);
  rc = ayil_mp_int(r, &d);
  if (rc != 0)
    return rc;
  if (d < -INT64_MAX)
    return AYIL_EFORMAT; /* the writer never sends INT64_MIN */
  if (d >= 0 ? (uint64_t)d > UINT64_MAX - *base : (uint64_t)(-d) > *base)
    return AYIL_EFORMAT;
  *ts = d >= 0 ? *base + (uint64_t)d : *base - (uint64_t)(-d);
  return 0;
}

/* A back-reference k, 1 <= k < 2^63 (its target seq - k is checked by
 * the caller, who knows seq). */
static int read_ref(ayil_mp_t *r, uint64_t *k) {
  int rc = ayil_mp_uint(r, INT64_MAX, k);
  if (rc == 0 && *k == 0)
    rc = AYIL_EFORMAT;
  return rc;
}

int ayil__rec_read(ayil_mp_t *r, const uint64_t *ts_base, int refs,
                   uint8_t *hbuf, ayil__rec_t *rec) {
  uint64_t v = 0;
  size_t n = 0;
  int rc;

  memset(rec, 0, sizeof *rec);
  rc = ayil_mp_array_n(r, REC_FIELDS);
  if (rc == 0)
    rc = read_ts(r, ts_base, &rec->ts_ms);
  if (rc == 0 && refs && ayil_mp_peek(r) == AYIL_MP_UINT)
    rc = read_ref(r, &rec->record_ref);
  else if (rc == 0)
    rc = ayil_mp_bin_n(r, AYIL_RECID_BYTES, &rec->record);
  if (rc == 0)
    rc = ayil_mp_uint(r, UINT32_MAX, &v);
  if (rc != 0)
    return rc;
  rec->op = (uint32_t)v;
  rc = ayil_mp_uint(r, UINT32_MAX, &v);
  if (rc != 0)
    return rc;
  rec->codes_version = (uint32_t)v;
  switch (ayil_mp_peek(r)) {
  case AYIL_MP_NIL:
    r->p++;
    break;
  case AYIL_MP_BIN:
    rc = ayil_mp_bin(r, AYIL_HEADER_MAX, &rec->header, &rec->header_len);
    break;
  case AYIL_MP_ARRAY:
    rc = ayil__dict_decode(r, rec->codes_version, hbuf, AYIL_HEADER_MAX,
                           &rec->header_len);
    rec->header = hbuf;
    break;
  case AYIL_MP_END:
    return AYIL_ETRUNC;
  default:
    return AYIL_EFORMAT;
  }
  if (rc != 0)
    return rc;
  switch (ayil_mp_peek(r)) {
  case AYIL_MP_NIL:
    r->p++;
    rec->body_kind = AYIL__BODY_NONE;
    break;
  case AYIL_MP_BIN:
    rec->body_kind = AYIL__BODY_INLINE;
    rc = ayil_mp_bin(r, AYIL_BODY_MAX, &rec->body, &rec->body_len);
    break;
  case AYIL_MP_UINT:
    rec->body_kind = AYIL__BODY_CHUNKED;
    rc = ayil_mp_uint(r, AYIL_BODY_MAX, &v);
    if (rc == 0 && v == 0)
      rc = AYIL_EFORMAT;
    rec->body_len = (size_t)v;
    break;
  case AYIL_MP_ARRAY:
    /* [hash, proof]: purged; [hash]: unavailable at the sender (damaged
     * there, or never received). Any other arity is FORMAT. */
    rc = ayil_mp_array(r, &n);
    if (rc == 0 && n != 1 && n != 2)
      rc = AYIL_EFORMAT;
    if (rc != 0)
      break;
    if (refs && n == 1 && ayil_mp_peek(r) == AYIL_MP_UINT) {
      /* [k]: held, the body of entry seq - k. */
      rec->body_kind = AYIL__BODY_REF;
      rc = read_ref(r, &rec->body_ref);
      break;
    }
    rec->body_kind = n == 2 ? AYIL__BODY_PURGED : AYIL__BODY_UNAVAILABLE;
    rc = ayil_mp_bin_n(r, AYIL_HASH_BYTES, &rec->body_hash);
    if (rc == 0 && n == 2 && ayil_mp_peek(r) == AYIL_MP_BOOL) {
      /* [hash, true]: held, the receiver has that body already. */
      int t = 0;
      rc = ayil_mp_bool(r, &t);
      if (rc == 0 && !t)
        rc = AYIL_EFORMAT;
      rec->body_kind = AYIL__BODY_HELD;
    } else if (rc == 0 && rec->body_kind == AYIL__BODY_PURGED) {
      rc = ayil_mp_bin(r, AYIL_ENTRY_MAX, &rec->proof, &n);
      rec->proof_len = n;
    }
    break;
  case AYIL_MP_END:
    return AYIL_ETRUNC;
  default:
    return AYIL_EFORMAT;
  }
  if (rc == 0)
    rc = ayil_mp_bin_n(r, AYIL_SIG_BYTES, &rec->sig);
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
  ayil_mp_pack_bin(pk, rec->header, rec->header_len);
}

void ayil__rec_write(msgpack_packer *pk, const ayil__rec_t *rec) {
  msgpack_pack_array(pk, REC_FIELDS);
  if (!rec->ts_rel)
    msgpack_pack_uint64(pk, rec->ts_ms);
  else if (rec->ts_ms >= rec->ts_base)
    msgpack_pack_uint64(pk, rec->ts_ms - rec->ts_base);
  else
    msgpack_pack_int64(pk, -(int64_t)(rec->ts_base - rec->ts_ms));
  if (rec->record_ref > 0)
    msgpack_pack_uint64(pk, rec->record_ref);
  else
    ayil_mp_pack_bin(pk, rec->record, AYIL_RECID_BYTES);
  msgpack_pack_uint32(pk, rec->op);
  msgpack_pack_uint32(pk, rec->codes_version);
  write_header(pk, rec);
  switch (rec->body_kind) {
  case AYIL__BODY_INLINE:
    ayil_mp_pack_bin(pk, rec->body, rec->body_len);
    break;
  case AYIL__BODY_CHUNKED:
    msgpack_pack_uint64(pk, rec->body_len);
    break;
  case AYIL__BODY_PURGED:
    msgpack_pack_array(pk, 2);
    ayil_mp_pack_bin(pk, rec->body_hash, AYIL_HASH_BYTES);
    ayil_mp_pack_bin(pk, rec->proof, rec->proof_len);
    break;
  case AYIL__BODY_UNAVAILABLE:
    msgpack_pack_array(pk, 1);
    ayil_mp_pack_bin(pk, rec->body_hash, AYIL_HASH_BYTES);
    break;
  case AYIL__BODY_HELD:
    msgpack_pack_array(pk, 2);
    ayil_mp_pack_bin(pk, rec->body_hash, AYIL_HASH_BYTES);
    msgpack_pack_true(pk);
    break;
  case AYIL__BODY_REF:
    msgpack_pack_array(pk, 1);
    msgpack_pack_uint64(pk, rec->body_ref);
    break;
  default:
    msgpack_pack_nil(pk);
  }
  ayil_mp_pack_bin(pk, rec->sig, AYIL_SIG_BYTES);
}

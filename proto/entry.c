/*
 * Log entry encoding, signing and verification. See proto/PROTOCOL.md,
 * "Log entries", for the byte layout this file pins.
 */
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <sodium.h>

#include "ayil/entry.h"
#include "ayil/mp.h"

#define ENTRY_FIELDS 11
static const char SIGN_DOMAIN[] = "ayil/entry/v1";

typedef struct {
  uint8_t *buf;
  size_t cap;
  size_t len;
  int overflow;
} fixbuf_t;

/* msgpack_packer write callback into a fixed buffer: no allocation. */
static int fixbuf_write(void *data, const char *p, size_t n) {
  fixbuf_t *fb = data;
  if (fb->overflow || n > fb->cap - fb->len) {
    fb->overflow = 1;
    return -1;
  }
  memcpy(fb->buf + fb->len, p, n);
  fb->len += n;
  return 0;
}

static void pack_bin(msgpack_packer *pk, const uint8_t *p, size_t n) {
  msgpack_pack_bin(pk, n);
  msgpack_pack_bin_body(pk, p, n);
}

/* Encodes the first `nfields` fields (10 = the signed part, 11 = all). */
static int encode(const ayil_entry_t *e, int nfields, uint8_t *out, size_t cap,
                  size_t *outlen) {
  fixbuf_t fb = {out, cap, 0, 0};
  msgpack_packer pk;
  msgpack_packer_init(&pk, &fb, fixbuf_write);
  msgpack_pack_array(&pk, (size_t)nfields);
  msgpack_pack_uint32(&pk, AYIL_ENTRY_VERSION);
  pack_bin(&pk, e->origin, AYIL_ID_BYTES);
  msgpack_pack_uint64(&pk, e->seq);
  pack_bin(&pk, e->prev, AYIL_HASH_BYTES);
  msgpack_pack_uint64(&pk, e->ts_ms);
  pack_bin(&pk, e->record, AYIL_RECID_BYTES);
  msgpack_pack_uint32(&pk, e->op);
  msgpack_pack_uint32(&pk, e->codes_version);
  if (e->header != NULL)
    pack_bin(&pk, e->header, e->header_len);
  else
    msgpack_pack_nil(&pk);
  if (e->has_body)
    pack_bin(&pk, e->body_hash, AYIL_HASH_BYTES);
  else
    msgpack_pack_nil(&pk);
  if (nfields == ENTRY_FIELDS)
    pack_bin(&pk, e->sig, AYIL_SIG_BYTES);
  if (fb.overflow)
    return AYIL_ETOOBIG;
  *outlen = fb.len;
  return 0;
}

static int check_limits(const ayil_entry_t *e) {
  if (e->header != NULL && e->header_len > AYIL_HEADER_MAX)
    return AYIL_ETOOBIG;
  if (e->seq == 0 || e->op < AYIL_OP_PUT || e->op > AYIL_OP_NOTICE)
    return AYIL_EINVAL;
  return 0;
}

/* The signed message is the domain string followed by the 10-field array. */
static int signed_message(const ayil_entry_t *e, uint8_t *msg, size_t cap,
                          size_t *len) {
  size_t n = 0;
  int rc;
  memcpy(msg, SIGN_DOMAIN, sizeof SIGN_DOMAIN);
  rc = encode(e, ENTRY_FIELDS - 1, msg + sizeof SIGN_DOMAIN,
              cap - sizeof SIGN_DOMAIN, &n);
  if (rc != 0)
    return rc;
  *len = n + sizeof SIGN_DOMAIN;
  return 0;
}

int ayil_entry_sign(ayil_entry_t *e, const uint8_t sk[AYIL_SK_BYTES],
                    uint8_t *out, size_t cap, size_t *outlen) {
  uint8_t msg[AYIL_ENTRY_MAX + sizeof SIGN_DOMAIN];
  size_t mlen = 0;
  int rc = check_limits(e);
  if (rc != 0)
    return rc;
  /* The key must be the origin's: a mismatch would write unverifiable logs. */
  if (sodium_memcmp(sk + 32, e->origin, AYIL_ID_BYTES) != 0)
    return AYIL_EINVAL;
  rc = signed_message(e, msg, sizeof msg, &mlen);
  if (rc != 0)
    return rc;
  crypto_sign_detached(e->sig, NULL, msg, mlen, sk);
  rc = encode(e, ENTRY_FIELDS, out, cap < AYIL_ENTRY_MAX ? cap : AYIL_ENTRY_MAX,
              outlen);
  return rc;
}

int ayil_entry_verify(const ayil_entry_t *e) {
  uint8_t msg[AYIL_ENTRY_MAX + sizeof SIGN_DOMAIN];
  size_t mlen = 0;
  if (signed_message(e, msg, sizeof msg, &mlen) != 0)
    return AYIL_ESIG;
  if (crypto_sign_verify_detached(e->sig, msg, mlen, e->origin) != 0)
    return AYIL_ESIG;
  return 0;
}

static int get_uint(const msgpack_object *o, uint64_t max, uint64_t *v) {
  if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
    return AYIL_EFORMAT;
  *v = o->via.u64;
  return 0;
}

static int get_bin(const msgpack_object *o, uint8_t *dst, size_t n) {
  if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != n)
    return AYIL_EFORMAT;
  memcpy(dst, o->via.bin.ptr, n);
  return 0;
}

static int decode_fields(ayil_entry_t *e, const msgpack_object *root,
                         const uint8_t *buf) {
  const msgpack_object *f;
  uint64_t v = 0;
  int rc;
  if (root->type != MSGPACK_OBJECT_ARRAY ||
      root->via.array.size != ENTRY_FIELDS)
    return AYIL_EFORMAT;
  f = root->via.array.ptr;
  rc = get_uint(&f[0], UINT32_MAX, &v);
  if (rc != 0)
    return rc;
  if (v != AYIL_ENTRY_VERSION)
    return AYIL_EVERSION;
  rc = get_bin(&f[1], e->origin, AYIL_ID_BYTES);
  if (rc == 0)
    rc = get_uint(&f[2], INT64_MAX, &e->seq);
  if (rc == 0)
    rc = get_bin(&f[3], e->prev, AYIL_HASH_BYTES);
  if (rc == 0)
    rc = get_uint(&f[4], UINT64_MAX, &e->ts_ms);
  if (rc == 0)
    rc = get_bin(&f[5], e->record, AYIL_RECID_BYTES);
  if (rc == 0)
    rc = get_uint(&f[6], UINT32_MAX, &v);
  if (rc != 0)
    return rc;
  e->op = (uint32_t)v;
  rc = get_uint(&f[7], UINT32_MAX, &v);
  if (rc != 0)
    return rc;
  e->codes_version = (uint32_t)v;
  if (f[8].type == MSGPACK_OBJECT_NIL) {
    e->header = NULL;
    e->header_len = 0;
  } else if (f[8].type == MSGPACK_OBJECT_BIN) {
    if (f[8].via.bin.size > AYIL_HEADER_MAX)
      return AYIL_ETOOBIG;
    /* Point into the caller's buffer, not msgpack's zone. */
    e->header = buf + ((const uint8_t *)f[8].via.bin.ptr - buf);
    e->header_len = f[8].via.bin.size;
  } else {
    return AYIL_EFORMAT;
  }
  if (f[9].type == MSGPACK_OBJECT_NIL) {
    e->has_body = 0;
    memset(e->body_hash, 0, sizeof e->body_hash);
  } else {
    e->has_body = 1;
    rc = get_bin(&f[9], e->body_hash, AYIL_HASH_BYTES);
    if (rc != 0)
      return rc;
  }
  rc = get_bin(&f[10], e->sig, AYIL_SIG_BYTES);
  if (rc != 0)
    return rc;
  if (e->seq == 0 || e->op < AYIL_OP_PUT || e->op > AYIL_OP_NOTICE)
    return AYIL_EFORMAT;
  return 0;
}

int ayil_entry_decode(ayil_entry_t *e, const uint8_t *buf, size_t len) {
  msgpack_unpacked up;
  msgpack_unpack_return ur;
  size_t off = 0;
  uint8_t again[AYIL_ENTRY_MAX];
  size_t againlen = 0;
  int rc;

  if (len > AYIL_ENTRY_MAX)
    return AYIL_ETOOBIG;
  if (len == 0)
    return AYIL_ETRUNC;
  /* Lengths are checked before msgpack-c allocates for them. An entry is a
   * flat array: depth 1. */
  rc = ayil_mp_check(buf, len, 1, &off);
  if (rc != 0)
    return rc;
  if (off != len)
    return AYIL_ETRAILING;
  off = 0;
  msgpack_unpacked_init(&up);
  ur = msgpack_unpack_next(&up, (const char *)buf, len, &off);
  if (ur == MSGPACK_UNPACK_CONTINUE) {
    rc = AYIL_ETRUNC;
    goto fail;
  }
  if (ur != MSGPACK_UNPACK_SUCCESS) {
    rc = ur == MSGPACK_UNPACK_NOMEM_ERROR ? AYIL_EDEPTH : AYIL_EFORMAT;
    goto fail;
  }
  if (off != len) {
    rc = AYIL_ETRAILING;
    goto fail;
  }
  memset(e, 0, sizeof *e);
  rc = decode_fields(e, &up.data, buf);
  if (rc != 0)
    goto fail;
  if (e->header != NULL &&
      (e->header < buf || e->header + e->header_len > buf + len)) {
    rc = AYIL_EFORMAT;
    goto fail;
  }
  /* Exactly one encoding is valid: re-encode and compare. */
  rc = encode(e, ENTRY_FIELDS, again, sizeof again, &againlen);
  if (rc != 0)
    goto fail;
  if (againlen != len || memcmp(again, buf, len) != 0) {
    rc = AYIL_ENOTCANON;
    goto fail;
  }
  rc = 0;
fail:
  msgpack_unpacked_destroy(&up);
  return rc;
}

int ayil_entry_encode(const ayil_entry_t *e, uint8_t *out, size_t cap,
                      size_t *outlen) {
  int rc = check_limits(e);
  if (rc != 0)
    return rc;
  return encode(e, ENTRY_FIELDS, out, cap, outlen);
}

void ayil_entry_hash(const uint8_t *buf, size_t len,
                     uint8_t out[AYIL_HASH_BYTES]) {
  crypto_generichash(out, AYIL_HASH_BYTES, buf, len, NULL, 0);
}

int ayil_entry_follows(const ayil_entry_t *e, uint64_t prev_seq,
                       const uint8_t prev_hash[AYIL_HASH_BYTES]) {
  static const uint8_t zeros[AYIL_HASH_BYTES];
  if (prev_seq == UINT64_MAX || e->seq != prev_seq + 1)
    return AYIL_ESEQ;
  if (memcmp(e->prev, prev_seq == 0 ? zeros : prev_hash, AYIL_HASH_BYTES) != 0)
    return AYIL_ECHAIN;
  return 0;
}

void ayil_id_to_text(const uint8_t id[AYIL_ID_BYTES], char out[AYIL_ID_TEXT]) {
  sodium_bin2base64(out, AYIL_ID_TEXT, id, AYIL_ID_BYTES,
                    sodium_base64_VARIANT_ORIGINAL);
}

int ayil_id_from_text(const char *text, uint8_t id[AYIL_ID_BYTES]) {
  size_t n = 0;
  const char *end = NULL;
  if (text == NULL || strlen(text) != AYIL_ID_TEXT - 1)
    return AYIL_EINVAL;
  if (sodium_base642bin(id, AYIL_ID_BYTES, text, strlen(text), NULL, &n, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      n != AYIL_ID_BYTES || *end != '\0')
    return AYIL_EINVAL;
  return 0;
}

void ayil_recid_to_text(const uint8_t id[AYIL_RECID_BYTES],
                        char out[AYIL_RECID_TEXT]) {
  sodium_bin2hex(out, AYIL_RECID_TEXT, id, AYIL_RECID_BYTES);
}

int ayil_recid_from_text(const char *text, uint8_t id[AYIL_RECID_BYTES]) {
  size_t n = 0;
  size_t i;
  if (text == NULL || strlen(text) != AYIL_RECID_TEXT - 1)
    return AYIL_EINVAL;
  for (i = 0; text[i] != '\0'; i++)
    if (!((text[i] >= '0' && text[i] <= '9') ||
          (text[i] >= 'a' && text[i] <= 'f')))
      return AYIL_EINVAL;
  if (sodium_hex2bin(id, AYIL_RECID_BYTES, text, strlen(text), NULL, &n,
                     NULL) != 0 ||
      n != AYIL_RECID_BYTES)
    return AYIL_EINVAL;
  return 0;
}

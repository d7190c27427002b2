/*
 * Entries at rest: the packed form a store keeps (PROTOCOL.md, "Log
 * entries", "Entries at rest"). It is the record an entry travels as in an
 * ENTRIES message (proto/sync_msg.c), with its ts absolute and its body
 * hash as [body_hash]: the fields its place in the log gives (version,
 * origin, seq, prev) are left out, and the header is in its compact form
 * when the dictionary has one. The canonical bytes, which are signed and
 * hashed, are rebuilt on every read.
 */
#include <string.h>

#include "ayil/entry.h"
#include "ayil/error.h"
#include "ayil/mp.h"
#include "sync_int.h"

/* The first byte of a canonical entry: a msgpack array of 11. */
#define CANONICAL_FIRST 0x9b

int ayil_entry_pack(const ayil_entry_t *e, uint8_t *out, size_t cap,
                    size_t *len) {
  ayil_mp_wbuf_t w;
  ayil__rec_t rec;
  memset(&rec, 0, sizeof rec);
  rec.ts_ms = e->ts_ms;
  rec.compact = 1;
  rec.record = e->record;
  rec.op = e->op;
  rec.codes_version = e->codes_version;
  rec.header = e->header;
  rec.header_len = e->header_len;
  rec.body_kind = e->has_body ? AYIL__BODY_UNAVAILABLE : AYIL__BODY_NONE;
  rec.body_hash = e->body_hash;
  rec.sig = e->sig;
  ayil_mp_wbuf_init(&w, out, cap);
  ayil__rec_write(&w.pk, &rec);
  if (w.overflow)
    return AYIL_ETOOBIG;
  *len = w.len;
  return 0;
}

int ayil_entry_is_packed(const uint8_t *stored, size_t len) {
  return len > 0 && stored[0] != CANONICAL_FIRST;
}

/* Reads a packed entry (not canonical bytes) whole: a compact header is
 * rebuilt into hbuf (AYIL_HEADER_MAX bytes). */
static int read_packed(const uint8_t *stored, size_t len, uint8_t *hbuf,
                       ayil__rec_t *rec) {
  ayil_mp_t r = {stored, stored + len};
  int rc = ayil__rec_read(&r, NULL, 0, hbuf, rec);
  if (rc == 0)
    rc = ayil_mp_done(&r);
  if (rc == 0 && rec->body_kind != AYIL__BODY_NONE &&
      rec->body_kind != AYIL__BODY_UNAVAILABLE)
    rc = AYIL_EFORMAT; /* a body is never stored inside its entry */
  return rc;
}

int ayil_entry_unpack(const uint8_t *stored, size_t len,
                      const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                      const uint8_t prev[AYIL_HASH_BYTES], uint8_t *out,
                      size_t cap, size_t *olen) {
  uint8_t hbuf[AYIL_HEADER_MAX];
  ayil__rec_t rec;
  ayil_entry_t e;
  int rc;
  if (len == 0)
    return AYIL_ETRUNC;
  if (!ayil_entry_is_packed(stored, len)) {
    /* Kept as it came (a store converted from before packing keeps an
     * entry it could not decode): the caller's checks see it as it is. */
    if (len > cap)
      return AYIL_ETOOBIG;
    memcpy(out, stored, len);
    *olen = len;
    return 0;
  }
  rc = read_packed(stored, len, hbuf, &rec);
  if (rc != 0)
    return rc;
  memset(&e, 0, sizeof e);
  memcpy(e.origin, origin, AYIL_ID_BYTES);
  e.seq = seq;
  memcpy(e.prev, prev, AYIL_HASH_BYTES);
  e.ts_ms = rec.ts_ms;
  memcpy(e.record, rec.record, AYIL_RECID_BYTES);
  e.op = rec.op;
  e.codes_version = rec.codes_version;
  e.header = rec.header;
  e.header_len = rec.header_len;
  e.has_body = rec.body_kind == AYIL__BODY_UNAVAILABLE;
  if (e.has_body)
    memcpy(e.body_hash, rec.body_hash, AYIL_HASH_BYTES);
  memcpy(e.sig, rec.sig, AYIL_SIG_BYTES);
  rc = ayil_entry_encode(&e, out, cap, olen);
  return rc == AYIL_EINVAL ? AYIL_EFORMAT : rc;
}

int ayil_entry_stored_header(const uint8_t *stored, size_t len, uint8_t *hbuf,
                             const uint8_t **header, size_t *header_len) {
  ayil__rec_t rec;
  ayil_entry_t e;
  int rc;
  *header = NULL;
  *header_len = 0;
  if (len == 0)
    return AYIL_ETRUNC;
  if (!ayil_entry_is_packed(stored, len)) {
    rc = ayil_entry_decode(&e, stored, len);
    if (rc == 0) {
      *header = e.header;
      *header_len = e.header_len;
    }
    return rc;
  }
  rc = read_packed(stored, len, hbuf, &rec);
  if (rc == 0) {
    *header = rec.header;
    *header_len = rec.header_len;
  }
  return rc;
}

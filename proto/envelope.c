/* The handshake payload envelope. See include/ayil/envelope.h and
 * PROTOCOL.md, "Handshake payload envelope". */
#include <string.h>

#include <sodium.h>

#include "ayil/envelope.h"
#include "ayil/mp.h"

int ayil_envelope_pack(const ayil_envelope_t *e, uint8_t *out, size_t cap,
                       size_t *len) {
  ayil_mp_wbuf_t w;
  *len = 0;
  ayil_mp_wbuf_init(&w, out, cap);
  msgpack_pack_array(&w.pk, 4);
  msgpack_pack_uint32(&w.pk, AYIL_ENVELOPE_VERSION);
  msgpack_pack_uint64(&w.pk, e->clock_ms);
  if (e->has_token)
    ayil_mp_pack_bin(&w.pk, e->token, AYIL_TOKEN_BYTES);
  else
    msgpack_pack_nil(&w.pk);
  ayil_mp_pack_bin(&w.pk, e->have, e->have_len);
  if (w.overflow) {
    /* The token may have been written before the buffer ran out. */
    sodium_memzero(out, cap);
    return AYIL_ETOOBIG;
  }
  *len = w.len;
  return 0;
}

int ayil_envelope_unpack(const uint8_t *p, size_t n, size_t have_max,
                         ayil_envelope_t *e) {
  ayil_mp_t r = {p, p + n};
  const uint8_t *tok = NULL;
  uint64_t v = 0;
  size_t count = 0;
  /* The version comes first, so that a later version may change the rest:
   * a peer speaking one is told AYIL_EVERSION, not AYIL_EFORMAT. */
  int rc = ayil_mp_array(&r, &count);
  memset(e, 0, sizeof *e);
  if (rc == 0 && count == 0)
    rc = AYIL_EFORMAT;
  if (rc == 0 && ayil_mp_peek(&r) != AYIL_MP_UINT)
    rc = AYIL_EVERSION;
  if (rc == 0)
    rc = ayil_mp_uint(&r, UINT64_MAX, &v);
  if (rc == 0 && v != AYIL_ENVELOPE_VERSION)
    rc = AYIL_EVERSION;
  if (rc == 0 && count != 4)
    rc = AYIL_EFORMAT;
  if (rc == 0)
    rc = ayil_mp_uint(&r, UINT64_MAX, &e->clock_ms);
  if (rc == 0 && !ayil_mp_nil(&r)) {
    rc = ayil_mp_bin_n(&r, AYIL_TOKEN_BYTES, &tok);
    if (rc == 0) {
      memcpy(e->token, tok, AYIL_TOKEN_BYTES);
      e->has_token = 1;
    }
  }
  if (rc == 0)
    rc = ayil_mp_bin(&r, have_max, &e->have, &e->have_len);
  if (rc == 0)
    rc = ayil_mp_done(&r);
  if (rc != 0)
    sodium_memzero(e, sizeof *e);
  return rc;
}

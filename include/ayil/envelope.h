/*
 * The handshake payload envelope: what each side carries in its handshake
 * payload around the sync "have" (PROTOCOL.md, "Handshake payload
 * envelope"). No I/O and no clock: the caller passes its wall clock.
 *
 *   [version, sender clock ms, invite token or nil, have]
 *
 * The client carries it in its auth message, the server in its accept.
 */
#ifndef AYIL_ENVELOPE_H
#define AYIL_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "ayil/error.h"

/* The only version there is; any other is refused with AYIL_EVERSION. */
#define AYIL_ENVELOPE_VERSION 1
/* A single-use invite token, as `ayil admit` puts it in the invite code. */
#define AYIL_TOKEN_BYTES 16
/* Bytes the envelope adds around a have of up to 65,535 bytes. */
#define AYIL_ENVELOPE_OVERHEAD 32

typedef struct {
  uint64_t clock_ms; /* the sender's wall clock, ms since the Unix epoch */
  int has_token;     /* a committee's first connection: its invite token */
  uint8_t token[AYIL_TOKEN_BYTES];
  const uint8_t *have; /* the sync have payload (include/ayil/sync.h) */
  size_t have_len;
} ayil_envelope_t;

/*
 * Encodes `e` canonically into out[cap]; *len is its size. AYIL_ETOOBIG
 * when it does not fit (nothing useful is left in `out`).
 */
AYIL_WUR int ayil_envelope_pack(const ayil_envelope_t *e, uint8_t *out,
                                size_t cap, size_t *len);

/*
 * Decodes the peer's envelope (authenticated by the handshake, but still
 * untrusted) with the strict canonical reader: exactly one array of four,
 * the version first, every integer and length in its shortest form, no
 * trailing byte. e->have points into `p`. AYIL_EVERSION (another version),
 * AYIL_EFORMAT (a wrong type or count, a token of the wrong size),
 * AYIL_ENOTCANON, AYIL_ETRUNC, AYIL_ETOOBIG (have over `have_max`),
 * AYIL_ETRAILING. On error *e is zeroed.
 */
AYIL_WUR int ayil_envelope_unpack(const uint8_t *p, size_t n, size_t have_max,
                                  ayil_envelope_t *e);

#endif

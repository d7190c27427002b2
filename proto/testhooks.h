/*
 * Test hooks of proto/: internal, for test vectors and fuzz targets only.
 * Not part of the library's public headers (include/ayil/); production
 * code never calls these, and only proto/ and tests/ may include this file.
 */
#ifndef AYIL_TESTHOOKS_H
#define AYIL_TESTHOOKS_H

#include "ayil/handshake.h"
#include "ayil/transport.h"

/*
 * Replaces the random ephemeral X25519 secret key and the random outgoing
 * stream header of a handshake with chosen ones. Call right after
 * ayil_hs_*_new, before any output is taken or input fed (AYIL_ESTATE
 * otherwise).
 */
int ayil__hs_set_test_randomness(ayil_hs_t *hs, const uint8_t eph_sk[32],
                                 const uint8_t stream_header[24]);

/*
 * Like ayil_tx_new but with a chosen header instead of a random one.
 * Reusing a (key, header) pair leaks plaintext. The handshake uses it to
 * apply ayil__hs_set_test_randomness's header.
 */
int ayil__tx_new_with_header(ayil_tx_t **out,
                             const uint8_t key[AYIL_STREAM_KEY_BYTES],
                             const uint8_t header[AYIL_STREAM_HEADER_BYTES]);

#endif

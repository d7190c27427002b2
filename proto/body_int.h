/*
 * Body packing, internal to proto/ and its tests: the plaintext between a
 * record's canonical msgpack map and its padding (PROTOCOL.md "Body
 * packing"). ayil_body_seal and ayil_body_open (ayil/entry.h) call these.
 */
#ifndef AYIL_BODY_INT_H
#define AYIL_BODY_INT_H

#include <stddef.h>
#include <stdint.h>

#define AYIL__BODY_PACKED 0xc1 /* first byte of a packed body */
#define AYIL__BODY_ZSTD 0x01   /* method: one zstd frame with a dictionary */
#define AYIL__BODY_HDR 3       /* 0xc1, method, dictionary id */
#define AYIL__BODY_LEVEL 19    /* the writer's zstd level */

/* The dictionaries, by id; generated from proto/dict/body-v<id>.zdict. */
extern const unsigned char ayil__body_dict_v1[];
extern const size_t ayil__body_dict_v1_len;

/* Packs a canonical map (first byte a msgpack map) as the writer does:
 * compressed with the current dictionary if that is shorter, else the map
 * itself. *out is malloc'd. AYIL_EINVAL if map is not a map start. */
int ayil__body_pack(const uint8_t *map, size_t len, uint8_t **out,
                    size_t *outlen);

/* Unpacks a packed body (padding already stripped) into a malloc'd map.
 * If peak is not NULL, it receives the largest single allocation made
 * (the output buffer's and zstd's own), 0 if none. AYIL_EFORMAT,
 * AYIL_EVERSION (unknown method or dictionary), AYIL_ETOOBIG (a declared
 * size above AYIL_BODY_MAX), AYIL_ENOMEM. */
int ayil__body_unpack(const uint8_t *p, size_t len, uint8_t **out,
                      size_t *outlen, size_t *peak);

#endif

/* Fuzz target: body unpacking (ayil__body_unpack), the bytes inside a
 * sealed body once its padding is stripped: a bare map, or 0xc1, method,
 * dictionary id and one zstd frame. A body is sealed, so only a holder of
 * the committee's reader key or a damaged store could write them, but a
 * frame is a decompressor's input and must be bounded anyway. Invariants:
 * only the documented errors; a success is a map no larger than the body
 * limit; no allocation above the limit plus zstd's context; and a map the
 * writer packs unpacks to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ayil/entry.h"
#include "ayil/error.h"
#include "body_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const uint8_t *fuzz_seed(size_t i, size_t *len);

/* The test vector of PROTOCOL.md "Body packing", and its map. */
static const uint8_t VEC[] = {
    0xc1, 0x01, 0x01, 0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x7e, 0x9d, 0x01,
    0x00, 0x60, 0x82, 0x65, 0xb2, 0xb5, 0xd1, 0x91, 0xd0, 0xb7, 0xd1,
    0x91, 0xb5, 0x2e, 0x0d, 0xfc, 0x2b, 0x61, 0x10, 0xf1, 0xfc, 0x9f,
    0xc4, 0x43, 0xe8, 0x82, 0x9f, 0x13, 0xe8, 0xa1, 0x4c, 0xc7, 0x12,
    0xc5, 0xad, 0x3c, 0xb0, 0xd0, 0xf4, 0xaa, 0xf2, 0xad, 0x6e, 0xce,
    0x6c, 0xfb, 0x73, 0xc7, 0x24, 0x7a, 0x1c, 0x6b};
static const uint8_t MAP[] = {0x82, 0xa4, 'd', 'a', 't', 'e',  0xaa, '2', '0',
                              '2',  '6',  '-', '0', '3', '-',  '1',  '4', 0xa5,
                              'n',  'o',  't', 'e', 's', 0xa2, 'o',  'k'};

const uint8_t *fuzz_seed(size_t i, size_t *len) {
  switch (i) {
  case 0:
    *len = sizeof VEC;
    return VEC;
  case 1:
    *len = sizeof MAP;
    return MAP;
  default:
    return NULL;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t *out = NULL, *packed = NULL, *back = NULL;
  size_t n = 0, pn = 0, bn = 0, peak = 0;
  int rc = ayil__body_unpack(data, size, &out, &n, &peak);
  if (rc != 0) {
    if (rc != AYIL_EFORMAT && rc != AYIL_EVERSION && rc != AYIL_ETOOBIG &&
        rc != AYIL_ENOMEM)
      abort();
    if (peak > AYIL_BODY_MAX + 512 * 1024)
      abort();
    return 0;
  }
  if (n == 0 || n > AYIL_BODY_MAX || peak > AYIL_BODY_MAX + 512 * 1024)
    abort();
  /* What the writer makes of the map unpacks to the same map. */
  if (n < 16384) {
    if (ayil__body_pack(out, n, &packed, &pn) != 0 ||
        ayil__body_unpack(packed, pn, &back, &bn, NULL) != 0 || bn != n ||
        memcmp(back, out, n) != 0)
      abort();
    free(packed);
    free(back);
  }
  free(out);
  return 0;
}

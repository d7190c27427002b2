/* Fuzz target: the handshake payload envelope (proto/envelope.c), the
 * first thing ayild reads from an authenticated but untrusted peer. Any
 * input is refused or decoded; what decodes re-encodes to the same bytes
 * (one canonical form), and the have lies inside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ayil/envelope.h"
#include "ayil/sync.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const uint8_t *fuzz_seed(size_t i, size_t *len);

static uint8_t seeds[2][64];
static size_t seedlen[2];

const uint8_t *fuzz_seed(size_t i, size_t *len) {
  static const uint8_t have[] = {0x92, 0x01, 0x90};
  if (seedlen[0] == 0) {
    ayil_envelope_t e;
    size_t k;
    memset(&e, 0, sizeof e);
    e.clock_ms = 1764758400000ULL;
    e.have = have;
    e.have_len = sizeof have;
    for (k = 0; k < 2; k++) {
      e.has_token = (int)k;
      memset(e.token, 0x5a, sizeof e.token);
      if (ayil_envelope_pack(&e, seeds[k], sizeof seeds[k], &seedlen[k]) != 0)
        abort();
    }
  }
  if (i >= 2)
    return NULL;
  *len = seedlen[i];
  return seeds[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ayil_envelope_t e;
  uint8_t again[AYIL_SYNC_HAVE_MAX + AYIL_ENVELOPE_OVERHEAD];
  size_t len = 0;
  if (ayil_envelope_unpack(data, size, AYIL_SYNC_HAVE_MAX, &e) != 0)
    return 0;
  if (e.have < data || e.have + e.have_len > data + size)
    abort();
  if (ayil_envelope_pack(&e, again, sizeof again, &len) != 0 || len != size ||
      memcmp(again, data, size) != 0)
    abort(); /* two encodings of one envelope would be accepted */
  return 0;
}

/* Fuzz target: log entry decoding and verification, record header/body
 * unpacking, and invite codes -- every decoder of bytes from a peer, a
 * store or a file. The first byte picks the decoder. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "ayil/entry.h"
#include "record.h"
#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const uint8_t *fuzz_seed(size_t i, size_t *len);

static uint8_t seeds[3][AYIL_ENTRY_MAX];
static size_t seedlen[3];

const uint8_t *fuzz_seed(size_t i, size_t *len) {
  if (seedlen[0] == 0) {
    uint8_t pk[32], sk[64], hdr[64];
    ayil_entry_t e;
    json_t *h;
    uint8_t *hb = NULL;
    size_t hl = 0;
    if (sodium_init() < 0)
      abort();
    crypto_sign_keypair(pk, sk);
    h = json_pack("{s:s, s:s, s:i, s:b}", "kind", "session", "month", "2026-03",
                  "cases_reviewed", 3, "violence_related", 1);
    if (ayil_record_pack(h, &hb, &hl) != 0 || hl > sizeof hdr)
      abort();
    memcpy(hdr, hb, hl);
    free(hb);
    json_decref(h);
    memset(&e, 0, sizeof e);
    memcpy(e.origin, pk, 32);
    e.seq = 1;
    e.op = AYIL_OP_PUT;
    e.codes_version = 1;
    e.header = hdr;
    e.header_len = hl;
    e.has_body = 1;
    seeds[0][0] = 0;
    if (ayil_entry_sign(&e, sk, seeds[0] + 1, AYIL_ENTRY_MAX - 1,
                        &seedlen[0]) != 0)
      abort();
    seedlen[0]++;
    seeds[1][0] = 1;
    memcpy(seeds[1] + 1, hdr, hl);
    seedlen[1] = hl + 1;
    seeds[2][0] = 2;
    memcpy(seeds[2] + 1, "ayil1-", 6);
    seedlen[2] = 7;
  }
  if (i >= 3)
    return NULL;
  *len = seedlen[i];
  return seeds[i];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0)
    return 0;
  if (data[0] % 3 == 0) {
    ayil_entry_t e;
    if (ayil_entry_decode(&e, data + 1, size - 1) == 0)
      (void)!ayil_entry_verify(&e);
  } else if (data[0] % 3 == 1) {
    json_t *o = NULL;
    if (ayil_record_unpack(data + 1, size - 1, &o) == 0) {
      char err[256];
      ayil_record_check_header(o, err, sizeof err);
      json_decref(o);
    }
  } else {
    char text[2048];
    ayil_invite_t inv;
    size_t n = size - 1 < sizeof text - 1 ? size - 1 : sizeof text - 1;
    memcpy(text, data + 1, n);
    text[n] = '\0';
    ayil_invite_decode(text, &inv);
  }
  return 0;
}

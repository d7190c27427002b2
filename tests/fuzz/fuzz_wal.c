/* Fuzz target: the store's write-ahead log check (node/store_wal.c,
 * ayil_store_wal_bytes), which reads ayil.db-wal from the SD card before
 * SQLite replays it. The input is the log's bytes; the database beside it
 * does not exist (nothing counts as already checkpointed). The answer is 0
 * or AYIL_ECORRUPT, never anything else. The seeds are sound logs built
 * with SQLite's checksum (both byte orders), one with a damaged frame
 * before a sound one (which must be AYIL_ECORRUPT) and one torn at its
 * end (which must be 0): the target checks those two answers too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ayil/error.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const uint8_t *fuzz_seed(size_t i, size_t *len);

#define PAGE 512
#define FRAMES 3
#define WAL_LEN (32 + FRAMES * (24 + PAGE))

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint32_t word(int big, const uint8_t *p) {
  return big ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
                   (uint32_t)p[2] << 8 | p[3]
             : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
                   (uint32_t)p[1] << 8 | p[0];
}

static void sum(int big, const uint8_t *p, size_t n, uint32_t s[2]) {
  size_t i;
  for (i = 0; i + 8 <= n; i += 8) {
    s[0] += word(big, p + i) + s[1];
    s[1] += word(big, p + i + 4) + s[0];
  }
}

/* A sound log of FRAMES frames, the last a commit. */
static void build(uint8_t *w, int big) {
  uint32_t s[2] = {0, 0};
  size_t i;
  memset(w, 0, WAL_LEN);
  put32(w, big ? 0x377f0683 : 0x377f0682);
  put32(w + 4, 3007000);
  put32(w + 8, PAGE);
  put32(w + 16, 0x11223344);
  put32(w + 20, 0x55667788);
  sum(big, w, 24, s);
  put32(w + 24, s[0]);
  put32(w + 28, s[1]);
  for (i = 0; i < FRAMES; i++) {
    uint8_t *f = w + 32 + i * (24 + PAGE);
    size_t j;
    put32(f, (uint32_t)i + 2);
    put32(f + 4, i == FRAMES - 1 ? FRAMES + 1 : 0);
    memcpy(f + 8, w + 16, 8);
    for (j = 0; j < PAGE; j++)
      f[24 + j] = (uint8_t)(i * 31 + j);
    sum(big, f, 8, s);
    sum(big, f + 24, PAGE, s);
    put32(f + 16, s[0]);
    put32(f + 20, s[1]);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static uint8_t bad[WAL_LEN], torn[WAL_LEN - 100], full[WAL_LEN];
  static int ready;
  int rc;
  if (!ready) {
    build(bad, 0);
    bad[32 + 24 + 7] ^= 0x01; /* the first frame's page */
    build(full, 1);
    memcpy(torn, full, sizeof torn); /* its last frame cut short */
    ready = 1;
  }
  rc = ayil_store_wal_bytes(data, size, "/nonexistent/ayil-fuzz.db");
  if (rc != 0 && rc != AYIL_ECORRUPT)
    abort();
  if (size == sizeof bad && memcmp(data, bad, size) == 0 && rc != AYIL_ECORRUPT)
    abort();
  if (size == sizeof torn && memcmp(data, torn, size) == 0 && rc != 0)
    abort();
  return 0;
}

const uint8_t *fuzz_seed(size_t i, size_t *len) {
  static uint8_t s[4][WAL_LEN];
  if (i >= 4)
    return NULL;
  build(s[i], i % 2);
  *len = WAL_LEN;
  if (i == 2)
    s[i][32 + 24 + 7] ^= 0x01; /* damaged before sound frames */
  if (i == 3)
    *len = WAL_LEN - 100; /* torn at its end */
  return s[i];
}

/*
 * The store's write-ahead log, checked before SQLite reads it.
 *
 * SQLite replays the WAL (ayil.db-wal) up to its first frame whose checksum
 * fails and silently ignores everything after it: one flipped bit on the SD
 * card in a frame that was committed but not yet copied into the database
 * loses that commit and every later one, and PRAGMA quick_check cannot see
 * it (the pages it reads are consistent, only older). A torn write at the
 * very end (a power cut while appending) looks the same at the tail, and is
 * normal: SQLite never acknowledged that commit.
 *
 * So: a frame of the WAL's current generation (its salts match the header)
 * that fails the checksum chain, followed by a later frame of the same
 * generation that is sound on its own (its checksum verifies from the
 * previous frame's stored checksum), means committed frames would be lost:
 * the store is damaged. A damaged header in front of frames is the same.
 * The format is SQLite's, documented in https://sqlite.org/fileformat2.html
 * ("WAL File Format"); nothing here writes the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "store.h"

#define WAL_HDR 32
#define FRAME_HDR 24
#define WAL_MAX (256u * 1024 * 1024)

static uint32_t be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
         p[3];
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 |
         p[0];
}

/* SQLite's WAL checksum over n bytes (n a multiple of 8), continuing s. */
static void wal_sum(int big, const uint8_t *p, size_t n, uint32_t s[2]) {
  size_t i;
  for (i = 0; i + 8 <= n; i += 8) {
    uint32_t x0 = big ? be32(p + i) : le32(p + i);
    uint32_t x1 = big ? be32(p + i + 4) : le32(p + i + 4);
    s[0] += x0 + s[1];
    s[1] += x1 + s[0];
  }
}

/* Whether frame `f` verifies when its chain starts from `prev`. */
static int frame_ok(int big, const uint8_t *f, size_t page,
                    const uint32_t prev[2]) {
  uint32_t s[2] = {prev[0], prev[1]};
  wal_sum(big, f, 8, s);
  wal_sum(big, f + FRAME_HDR, page, s);
  return s[0] == be32(f + 16) && s[1] == be32(f + 20);
}

static int backfilled(const char *db_path, const uint8_t *w, size_t page,
                      size_t fsz, size_t nframes, size_t from) {
  FILE *db = fopen(db_path, "rb");
  uint8_t *buf = malloc(page);
  size_t i, j;
  int same = db != NULL && buf != NULL;
  for (i = from; same && i < nframes; i++) {
    const uint8_t *f = w + WAL_HDR + i * fsz;
    uint32_t pg = be32(f);
    if (memcmp(f + 8, w + 16, 8) != 0)
      continue;
    for (j = i + 1; j < nframes; j++) /* a later version of the page? */
      if (be32(w + WAL_HDR + j * fsz) == pg &&
          memcmp(w + WAL_HDR + j * fsz + 8, w + 16, 8) == 0)
        break;
    if (j < nframes)
      continue;
    same = pg > 0 && fseek(db, (long)((pg - 1) * page), SEEK_SET) == 0 &&
           fread(buf, 1, page, db) == page &&
           memcmp(buf, f + FRAME_HDR, page) == 0;
  }
  if (db != NULL)
    fclose(db);
  free(buf);
  return same;
}

int ayil_store_wal_check(const char *db_path) {
  char path[4096];
  uint8_t *w = NULL;
  size_t len = 0;
  int rc;
  if (snprintf(path, sizeof path, "%s-wal", db_path) >= (int)sizeof path)
    return AYIL_EINVAL;
  rc = ayil_fs_read(path, WAL_MAX, &w, &len);
  if (rc == AYIL_ENOTFOUND)
    return 0; /* no WAL: nothing to replay */
  if (rc != 0)
    return rc == AYIL_ETOOBIG ? AYIL_ECORRUPT : rc;
  rc = ayil_store_wal_bytes(w, len, db_path);
  free(w);
  return rc;
}

int ayil_store_wal_bytes(const uint8_t *w, size_t len, const char *db_path) {
  size_t page, fsz, nframes, i, from = 0;
  uint32_t magic, chain[2] = {0, 0};
  int big, rc, broken;
  if (len < WAL_HDR)
    return 0; /* empty or torn before its header: SQLite ignores it */
  magic = be32(w);
  page = be32(w + 8);
  big = magic == 0x377f0683;
  /* A page size is a power of two from 512 to 65536 (1 meaning 65536). */
  if (page == 1)
    page = 65536;
  fsz = FRAME_HDR + page;
  if ((magic != 0x377f0682 && magic != 0x377f0683) || page < 512 ||
      page > 65536 || (page & (page - 1)) != 0) {
    /* A damaged header: whatever frames follow it would be ignored. */
    return len > WAL_HDR ? AYIL_ECORRUPT : 0;
  }
  nframes = (len - WAL_HDR) / fsz;
  if (nframes == 0)
    return 0;
  /* `from`: the first frame after the break (the header's, or a frame's
   * that fails the chain). */
  wal_sum(big, w, 24, chain);
  broken = chain[0] != be32(w + 24) || chain[1] != be32(w + 28);
  for (i = 0; i < nframes && !broken; i++) {
    const uint8_t *f = w + WAL_HDR + i * fsz;
    if (memcmp(f + 8, w + 16, 8) != 0)
      break; /* an older generation: SQLite stops here, as it should */
    if (!frame_ok(big, f, page, chain)) {
      broken = 1;
      from = i + 1;
    }
    chain[0] = be32(f + 16);
    chain[1] = be32(f + 20);
  }
  if (!broken)
    return 0;
  /* Is anything of this generation sound after the break? */
  rc = 0;
  for (i = from; i < nframes && rc == 0; i++) {
    const uint8_t *f = w + WAL_HDR + i * fsz;
    const uint8_t *prev = i == 0 ? w + 24 : f - fsz + 16;
    uint32_t p[2];
    p[0] = be32(prev);
    p[1] = be32(prev + 4);
    if (memcmp(f + 8, w + 16, 8) == 0 && frame_ok(big, f, page, p))
      rc = AYIL_ECORRUPT;
  }
  /* Frames a checkpoint already copied into the database lose nothing
   * when SQLite stops before them (the next writer would overwrite them).
   * A checkpoint copies a prefix of the frames, so if the sound frames
   * after the break are in the database (each page's last version there),
   * the damaged one is too: then nothing is lost. */
  if (rc == AYIL_ECORRUPT && backfilled(db_path, w, page, fsz, nframes, from))
    rc = 0;
  return rc;
}

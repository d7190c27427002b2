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
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "store.h"

#define WAL_HDR 32
#define FRAME_HDR 24

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

/*
 * The log is read through a window of one frame at a time (wal_at()), from
 * memory (the fuzzer's door) or from the file, never whole: a WAL that a
 * busy node let grow to hundreds of megabytes costs one page of memory to
 * check, not its size (a report opens the store too).
 */
typedef struct {
  const uint8_t *mem; /* the log's bytes, or NULL: read fd */
  int fd;
  size_t len;
  uint8_t *buf; /* a frame's worth, for fd */
} wal_src_t;

/* n bytes of the log at off (off + n <= len), or NULL when they cannot be
 * read: the file ended early (a checkpoint truncated it while it was
 * read) or a read failed. The scan then takes the log to end there. */
static const uint8_t *wal_at(wal_src_t *s, size_t off, size_t n) {
  size_t got = 0;
  if (s->mem != NULL)
    return s->mem + off;
  while (got < n) {
    ssize_t r = pread(s->fd, s->buf + got, n - got, (off_t)(off + got));
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return NULL;
    got += (size_t)r;
  }
  return s->buf;
}

/* Each frame's page number, with bit 32 set when the frame is of the
 * current generation (its salts are the header's, `salt`): 8 bytes a
 * frame, read once. NULL on failure. */
static uint64_t *frame_pages(wal_src_t *s, size_t fsz, size_t nframes,
                             const uint8_t salt[8]) {
  uint64_t *pg = malloc((nframes ? nframes : 1) * sizeof(*pg));
  size_t i;
  for (i = 0; pg != NULL && i < nframes; i++) {
    const uint8_t *f = wal_at(s, WAL_HDR + i * fsz, 16);
    if (f == NULL) {
      free(pg);
      return NULL;
    }
    pg[i] = be32(f) | (memcmp(f + 8, salt, 8) == 0 ? (uint64_t)1 << 32 : 0);
  }
  return pg;
}

static int backfilled(const char *db_path, wal_src_t *s, const uint8_t salt[8],
                      size_t page, size_t fsz, size_t nframes, size_t from) {
  FILE *db = fopen(db_path, "rb");
  uint8_t *buf = malloc(page);
  uint64_t *pgs = frame_pages(s, fsz, nframes, salt);
  size_t i, j;
  int same = db != NULL && buf != NULL && pgs != NULL;
  for (i = from; same && i < nframes; i++) {
    const uint8_t *f;
    uint32_t pg = (uint32_t)pgs[i];
    if (!(pgs[i] >> 32))
      continue;
    for (j = i + 1; j < nframes; j++) /* a later version of the page? */
      if (pgs[j] == pgs[i])
        break;
    if (j < nframes)
      continue;
    same = pg > 0 && fseek(db, (long)((pg - 1) * page), SEEK_SET) == 0 &&
           fread(buf, 1, page, db) == page &&
           (f = wal_at(s, WAL_HDR + i * fsz + FRAME_HDR, page)) != NULL &&
           memcmp(buf, f, page) == 0;
  }
  if (db != NULL)
    fclose(db);
  free(buf);
  free(pgs);
  return same;
}

static int wal_scan(wal_src_t *s, const char *db_path);

int ayil_store_wal_check(const char *db_path) {
  char path[4096];
  wal_src_t s;
  struct stat sb;
  int rc;
  if (snprintf(path, sizeof path, "%s-wal", db_path) >= (int)sizeof path)
    return AYIL_EINVAL;
  memset(&s, 0, sizeof s);
  s.fd = open(path, O_RDONLY | O_CLOEXEC);
  if (s.fd < 0)
    return errno == ENOENT ? 0 : ayil_fs_errno(errno); /* no WAL: nothing */
  /* No cap on the log's size: a sound log of any size is sound (a busy
   * hub's can grow large between checkpoints), and it costs one frame of
   * memory to read. */
  if (fstat(s.fd, &sb) != 0) {
    rc = ayil_fs_errno(errno);
  } else if ((uint64_t)sb.st_size > (uint64_t)SIZE_MAX / 2) {
    rc = AYIL_ECORRUPT;
  } else {
    s.len = (size_t)sb.st_size;
    s.buf = malloc(FRAME_HDR + 65536);
    rc = s.buf == NULL ? AYIL_ENOMEM : wal_scan(&s, db_path);
  }
  free(s.buf);
  close(s.fd);
  return rc;
}

int ayil_store_wal_bytes(const uint8_t *w, size_t len, const char *db_path) {
  wal_src_t s;
  memset(&s, 0, sizeof s);
  s.mem = w;
  s.fd = -1;
  s.len = len;
  return wal_scan(&s, db_path);
}

static int wal_scan(wal_src_t *s, const char *db_path) {
  size_t page, fsz, nframes, i, from = 0, len = s->len;
  uint32_t magic, chain[2] = {0, 0}, prev[2];
  uint8_t w[WAL_HDR];
  const uint8_t *f;
  int big, rc, broken;
  if (len < WAL_HDR)
    return 0; /* empty or torn before its header: SQLite ignores it */
  if ((f = wal_at(s, 0, WAL_HDR)) == NULL)
    return 0;
  memcpy(w, f, WAL_HDR);
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
    if ((f = wal_at(s, WAL_HDR + i * fsz, fsz)) == NULL)
      return 0;
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
  /* Is anything of this generation sound after the break? Each frame is
   * tried from the checksum stored in the one before it. */
  rc = 0;
  if (from == 0) {
    prev[0] = be32(w + 24);
    prev[1] = be32(w + 28);
  } else {
    if ((f = wal_at(s, WAL_HDR + (from - 1) * fsz, FRAME_HDR)) == NULL)
      return 0;
    prev[0] = be32(f + 16);
    prev[1] = be32(f + 20);
  }
  for (i = from; i < nframes && rc == 0; i++) {
    if ((f = wal_at(s, WAL_HDR + i * fsz, fsz)) == NULL)
      break;
    if (memcmp(f + 8, w + 16, 8) == 0 && frame_ok(big, f, page, prev))
      rc = AYIL_ECORRUPT;
    prev[0] = be32(f + 16);
    prev[1] = be32(f + 20);
  }
  /* Frames a checkpoint already copied into the database lose nothing
   * when SQLite stops before them (the next writer would overwrite them).
   * A checkpoint copies a prefix of the frames, so if the sound frames
   * after the break are in the database (each page's last version there),
   * the damaged one is too: then nothing is lost. */
  if (rc == AYIL_ECORRUPT &&
      backfilled(db_path, s, w + 16, page, fsz, nframes, from))
    rc = 0;
  return rc;
}

/* The store's write-ahead log check (node/store_wal.c): the file door
 * (ayil_store_wal_check, what every open runs, a report's too) says what
 * the bytes door (ayil_store_wal_bytes) says on the same log, sound,
 * damaged or torn; and it reads the log a frame at a time, so a large log
 * costs no memory of its size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fsutil.h"
#include "store.h"

static char dir[] = "/tmp/ayil-test-store-wal-XXXXXX";

static int setup(void **state) {
  (void)state;
  return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state) {
  char cmd[300];
  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd);
}

static void write_file(const char *path, const uint8_t *b, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(b, 1, n, f), n);
  assert_int_equal(fclose(f), 0);
}

/* A real log: SQLite writes 40 commits into NAME.db with checkpoints off;
 * the database and its log are copied (the writer still open, so its log
 * is not checkpointed away) to NAME-copy.db and returned in *wal. */
static void real_wal(const char *name, uint8_t **wal, size_t *len, char *copy,
                     size_t cap) {
  char db[300], walp[320];
  uint8_t *dbb = NULL;
  size_t dbl = 0;
  sqlite3 *c = NULL;
  int i;

  snprintf(db, sizeof db, "%s/%s.db", dir, name);
  snprintf(walp, sizeof walp, "%s-wal", db);
  assert_int_equal(sqlite3_open(db, &c), SQLITE_OK);
  assert_int_equal(sqlite3_exec(c,
                                "PRAGMA journal_mode=WAL;"
                                "PRAGMA wal_autocheckpoint=0;"
                                "CREATE TABLE t(x BLOB)",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  for (i = 0; i < 40; i++)
    assert_int_equal(sqlite3_exec(c, "INSERT INTO t VALUES(randomblob(3000))",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
  assert_int_equal(ayil_fs_read(walp, 64u << 20, wal, len), 0);
  assert_int_equal(ayil_fs_read(db, 64u << 20, &dbb, &dbl), 0);
  snprintf(copy, cap, "%s/%s-copy.db", dir, name);
  write_file(copy, dbb, dbl);
  free(dbb);
  sqlite3_close(c);
  assert_true(*len > 32 + 40 * 4096);
}

/* Both doors on the log bytes w (written beside db as its log). */
static int both(const char *db, const uint8_t *w, size_t len) {
  char walp[320];
  int a, b;
  snprintf(walp, sizeof walp, "%s-wal", db);
  write_file(walp, w, len);
  a = ayil_store_wal_check(db);
  b = ayil_store_wal_bytes(w, len, db);
  assert_int_equal(a, b);
  return a;
}

static void test_file_door_agrees(void **state) {
  char db[300];
  uint8_t *w = NULL;
  size_t len = 0, page, fsz;
  (void)state;
  real_wal("agree", &w, &len, db, sizeof db);
  page = (size_t)w[8] << 24 | (size_t)w[9] << 16 | (size_t)w[10] << 8 | w[11];
  fsz = 24 + page;
  /* Sound. */
  assert_int_equal(both(db, w, len), 0);
  /* Torn at its end: SQLite never acknowledged that commit. */
  assert_int_equal(both(db, w, len - 100), 0);
  /* A bit flipped in the third frame's page, sound frames after it: the
   * commits behind it would be lost. */
  w[32 + 2 * fsz + 24 + 300] ^= 0x10;
  assert_int_equal(both(db, w, len), AYIL_ECORRUPT);
  /* ... also when the log is cut inside a later frame. */
  assert_int_equal(both(db, w, 32 + 10 * fsz + 7), AYIL_ECORRUPT);
  /* A damaged header in front of frames. */
  w[2] ^= 0x01;
  assert_int_equal(both(db, w, len), AYIL_ECORRUPT);
  free(w);
}

/* Peak resident memory of this process so far, in KiB. */
static long vm_hwm(void) {
  char line[128];
  long kib = -1;
  FILE *f = fopen("/proc/self/status", "r");
  assert_non_null(f);
  while (fgets(line, sizeof line, f) != NULL)
    if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
      break;
  fclose(f);
  return kib;
}

/* A 300 MiB log (sparse: a real header, then frames of another
 * generation): checking it costs no memory of its size (read whole, it
 * would raise the peak by 300 MiB), and a log past the 256 MiB that the
 * check once capped is still sound, not refused as corrupt. */
static void test_large_log_small_memory(void **state) {
  char db[300], walp[320];
  uint8_t *w = NULL;
  size_t len = 0;
  long before;
  FILE *f;
  (void)state;
  real_wal("large", &w, &len, db, sizeof db);
  snprintf(walp, sizeof walp, "%s-wal", db);
  f = fopen(walp, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(w, 1, 32, f), 32);
  assert_int_equal(ftruncate(fileno(f), 300l << 20), 0);
  assert_int_equal(fclose(f), 0);
  free(w);
  before = vm_hwm();
  assert_true(before > 0);
  assert_int_equal(ayil_store_wal_check(db), 0);
  assert_true(vm_hwm() - before < 16 * 1024);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_file_door_agrees),
      cmocka_unit_test(test_large_log_small_memory),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

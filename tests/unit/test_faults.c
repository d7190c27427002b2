/* Fault injection, as STYLE.md asks: the Nth SQLite allocation, the Nth
 * write or sync to the database files, each made to fail while the service
 * API (node/node.h) adds, updates and deletes records. For every N until
 * the operation no longer reaches the fault, it must end in a clean error
 * (no crash, no leak under ASan), and afterwards, with faults off, the
 * store verifies, every record written before is there, and the failed
 * operation happened wholly or not at all. No production code is changed:
 * a VFS shim wraps SQLite's default VFS, and SQLite's allocator is wrapped
 * through SQLITE_CONFIG_MALLOC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>

#include "fixture.h"
#include "node.h"

#define PASS "fault-test-passphrase"
#define MAX_N 4000 /* bound on the faults tried per operation */

/* ---- the faults ---- */

enum { F_NONE, F_WRITE, F_SYNC, F_MALLOC };
static int fault_kind = F_NONE;
static long fault_at;  /* fail the fault_at-th counted call (1-based) */
static long counted;   /* calls counted since the fault was armed */
static int fault_hit;  /* the fault fired at least once */
static int fault_code; /* SQLITE_IOERR_WRITE or SQLITE_FULL for writes */

static void arm(int kind, long n, int code) {
  fault_kind = kind;
  fault_at = n;
  counted = 0;
  fault_hit = 0;
  fault_code = code;
}
static void disarm(void) {
  fault_kind = F_NONE;
}
/* The counted call fails at fault_at and, like a disk that stays full,
 * every call after it. */
static int fires(int kind) {
  if (fault_kind != kind)
    return 0;
  if (++counted >= fault_at) {
    fault_hit = 1;
    return 1;
  }
  return 0;
}

/* SQLite's allocator, wrapped. */
static sqlite3_mem_methods real_mem;
static void *f_malloc(int n) {
  return fires(F_MALLOC) ? NULL : real_mem.xMalloc(n);
}
static void f_free(void *p) {
  real_mem.xFree(p);
}
static void *f_realloc(void *p, int n) {
  return fires(F_MALLOC) ? NULL : real_mem.xRealloc(p, n);
}
static int f_size(void *p) {
  return real_mem.xSize(p);
}
static int f_roundup(int n) {
  return real_mem.xRoundup(n);
}
static int f_init(void *a) {
  return real_mem.xInit(a);
}
static void f_shutdown(void *a) {
  real_mem.xShutdown(a);
}

/* A VFS over the default one whose files fail writes or syncs. */
typedef struct {
  sqlite3_file base;
  sqlite3_file *real; /* follows this struct in the same allocation */
} shim_file_t;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs shim_vfs;
static sqlite3_io_methods shim_io;
static const sqlite3_io_methods *real_io;

static int s_close(sqlite3_file *f) {
  shim_file_t *s = (shim_file_t *)f;
  return s->real->pMethods->xClose(s->real);
}
static int s_read(sqlite3_file *f, void *b, int n, sqlite3_int64 o) {
  shim_file_t *s = (shim_file_t *)f;
  return s->real->pMethods->xRead(s->real, b, n, o);
}
static int s_write(sqlite3_file *f, const void *b, int n, sqlite3_int64 o) {
  shim_file_t *s = (shim_file_t *)f;
  if (fires(F_WRITE))
    return fault_code;
  return s->real->pMethods->xWrite(s->real, b, n, o);
}
static int s_truncate(sqlite3_file *f, sqlite3_int64 n) {
  shim_file_t *s = (shim_file_t *)f;
  if (fires(F_WRITE))
    return fault_code;
  return s->real->pMethods->xTruncate(s->real, n);
}
static int s_sync(sqlite3_file *f, int flags) {
  shim_file_t *s = (shim_file_t *)f;
  if (fires(F_SYNC))
    return SQLITE_IOERR_FSYNC;
  return s->real->pMethods->xSync(s->real, flags);
}
#define PASS1(name, T)                                                         \
  static int s_##name(sqlite3_file *f, T a) {                                  \
    shim_file_t *s = (shim_file_t *)f;                                         \
    return s->real->pMethods->x##name(s->real, a);                             \
  }
PASS1(FileSize, sqlite3_int64 *)
PASS1(Lock, int)
PASS1(Unlock, int)
PASS1(CheckReservedLock, int *)
static int s_FileControl(sqlite3_file *f, int op, void *a) {
  shim_file_t *s = (shim_file_t *)f;
  return s->real->pMethods->xFileControl(s->real, op, a);
}
static int s_SectorSize(sqlite3_file *f) {
  shim_file_t *s = (shim_file_t *)f;
  return s->real->pMethods->xSectorSize(s->real);
}
static int s_DeviceCharacteristics(sqlite3_file *f) {
  shim_file_t *s = (shim_file_t *)f;
  return s->real->pMethods->xDeviceCharacteristics(s->real);
}
static int s_ShmMap(sqlite3_file *f, int pg, int sz, int ext,
                    void volatile **pp) {
  shim_file_t *s = (shim_file_t *)f;
  return s->real->pMethods->xShmMap(s->real, pg, sz, ext, pp);
}
static int s_ShmLock(sqlite3_file *f, int off, int n, int flags) {
  shim_file_t *s = (shim_file_t *)f;
  return s->real->pMethods->xShmLock(s->real, off, n, flags);
}
static void s_ShmBarrier(sqlite3_file *f) {
  shim_file_t *s = (shim_file_t *)f;
  s->real->pMethods->xShmBarrier(s->real);
}
static int s_ShmUnmap(sqlite3_file *f, int del) {
  shim_file_t *s = (shim_file_t *)f;
  return s->real->pMethods->xShmUnmap(s->real, del);
}
static int s_Fetch(sqlite3_file *f, sqlite3_int64 o, int n, void **pp) {
  shim_file_t *s = (shim_file_t *)f;
  return s->real->pMethods->xFetch(s->real, o, n, pp);
}
static int s_Unfetch(sqlite3_file *f, sqlite3_int64 o, void *p) {
  shim_file_t *s = (shim_file_t *)f;
  return s->real->pMethods->xUnfetch(s->real, o, p);
}

static int s_open(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags,
                  int *out) {
  shim_file_t *s = (shim_file_t *)f;
  int rc;
  (void)v;
  s->real = (sqlite3_file *)(s + 1);
  rc = real_vfs->xOpen(real_vfs, name, s->real, flags, out);
  if (s->real->pMethods == NULL) {
    f->pMethods = NULL;
    return rc;
  }
  if (real_io == NULL) {
    real_io = s->real->pMethods;
    shim_io = *real_io;
    shim_io.xClose = s_close;
    shim_io.xRead = s_read;
    shim_io.xWrite = s_write;
    shim_io.xTruncate = s_truncate;
    shim_io.xSync = s_sync;
    shim_io.xFileSize = s_FileSize;
    shim_io.xLock = s_Lock;
    shim_io.xUnlock = s_Unlock;
    shim_io.xCheckReservedLock = s_CheckReservedLock;
    shim_io.xFileControl = s_FileControl;
    shim_io.xSectorSize = s_SectorSize;
    shim_io.xDeviceCharacteristics = s_DeviceCharacteristics;
    shim_io.xShmMap = s_ShmMap;
    shim_io.xShmLock = s_ShmLock;
    shim_io.xShmBarrier = s_ShmBarrier;
    shim_io.xShmUnmap = s_ShmUnmap;
    shim_io.xFetch = s_Fetch;
    shim_io.xUnfetch = s_Unfetch;
  }
  f->pMethods = &shim_io;
  return rc;
}

static void install_faults(void) {
  sqlite3_mem_methods m;
  assert_int_equal(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem),
                   SQLITE_OK);
  m = real_mem;
  m.xMalloc = f_malloc;
  m.xFree = f_free;
  m.xRealloc = f_realloc;
  m.xSize = f_size;
  m.xRoundup = f_roundup;
  m.xInit = f_init;
  m.xShutdown = f_shutdown;
  assert_int_equal(sqlite3_config(SQLITE_CONFIG_MALLOC, &m), SQLITE_OK);
  assert_int_equal(sqlite3_initialize(), SQLITE_OK);
  real_vfs = sqlite3_vfs_find(NULL);
  assert_non_null(real_vfs);
  shim_vfs = *real_vfs;
  shim_vfs.zName = "ayil-faults";
  shim_vfs.szOsFile = (int)sizeof(shim_file_t) + real_vfs->szOsFile;
  shim_vfs.xOpen = s_open;
  assert_int_equal(sqlite3_vfs_register(&shim_vfs, 1), SQLITE_OK);
}

/* ---- the node under test ---- */

static char dir[] = "/tmp/ayil-test-faults-XXXXXX";
static char home[256];

static json_t *appeal(int i) {
  char name[64];
  snprintf(name, sizeof name, "Invented Person %d", i);
  return json_pack("{s:s, s:s, s:[s], s:s, s:s, s:s, s:s}", "date",
                   "2026-03-14", "source", "police", "violence", "physical",
                   "survivor_sex", "female", "survivor_age", "26-40", "status",
                   "open", "survivor_name", name);
}

static ayil_node_t *open_node(void) {
  ayil_node_t *n = NULL;
  ayil_node_err_t err;
  assert_int_equal(ayil_node_open(&n, home, AYIL_NODE_IDENTITY, &err), 0);
  return n;
}

/* The ids of the live records, in creation order, and their status. */
typedef struct {
  char ids[64][AYIL_RECID_TEXT];
  char status[64][16];
  size_t n;
} live_t;

static int collect(void *ctx, const ayil_node_record_t *r) {
  live_t *l = ctx;
  const char *st = NULL;
  if (l->n >= 64)
    return 1;
  snprintf(l->ids[l->n], sizeof l->ids[0], "%s", r->idtext);
  if (r->header != NULL)
    json_unpack((json_t *)r->header, "{s?s}", "status", &st);
  snprintf(l->status[l->n], sizeof l->status[0], "%s", st ? st : "");
  l->n++;
  return 0;
}

/* With faults off: the store verifies and its live records are read. */
static void check_store(live_t *l) {
  ayil_node_t *n = open_node();
  ayil_store_verify_t v;
  memset(l, 0, sizeof *l);
  memset(&v, 0, sizeof v);
  assert_int_equal(ayil_node_log_verify(n, &v), 0);
  assert_int_equal(v.bad, 0);
  assert_int_equal(ayil_store_integrity(ayil_node_store(n)), 0);
  assert_int_equal(ayil_node_record_list(n, NULL, NULL, collect, l), 0);
  ayil_node_close(n);
}

static int setup(void **state) {
  ayil_node_err_t err;
  ayil_node_t *n;
  uint8_t rid[AYIL_RECID_BYTES];
  int i;
  (void)state;
  if (sodium_init() < 0 || mkdtemp(dir) == NULL)
    return -1;
  snprintf(home, sizeof home, "%s/committee", dir);
  if (fixture_committee(home, PASS, NULL) != 0)
    return -1;
  n = NULL;
  if (ayil_node_open(&n, home, AYIL_NODE_IDENTITY, &err) != 0)
    return -1;
  for (i = 0; i < 3; i++) { /* what must survive every fault */
    json_t *a = appeal(i);
    int rc = ayil_node_record_add(n, "appeal", a, rid);
    json_decref(a);
    if (rc != 0)
      return -1;
  }
  ayil_node_close(n);
  return 0;
}

static int teardown(void **state) {
  char cmd[300];
  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd);
}

enum { OP_ADD, OP_UPDATE, OP_DELETE };

/* Runs `op` with the Nth call of `kind` failing, for N = 1, 2, ... until
 * the operation no longer reaches the fault; checks the store after each. */
static void sweep(int kind, int code, int op, long *tried) {
  live_t before, after;
  long n;
  int i = 100;
  for (n = 1; n <= MAX_N; n++) {
    ayil_node_t *node = NULL;
    ayil_node_err_t err;
    uint8_t rid[AYIL_RECID_BYTES];
    json_t *in = NULL;
    int rc;
    size_t k;
    check_store(&before);
    assert_true(before.n >= 3);
    arm(kind, n, code);
    rc = ayil_node_open(&node, home, AYIL_NODE_IDENTITY, &err);
    if (rc == 0) {
      if (op == OP_ADD) {
        in = appeal(i++);
        rc = ayil_node_record_add(node, "appeal", in, rid);
      } else if (op == OP_UPDATE) {
        in = json_pack("{s:s}", "status",
                       strcmp(before.status[0], "closed") == 0 ? "open"
                                                               : "closed");
        rc = ayil_node_record_update(node, before.ids[0], in, NULL, rid);
      } else {
        rc = ayil_node_record_delete(node, before.ids[before.n - 1], rid);
      }
      json_decref(in);
      ayil_node_close(node);
    }
    disarm();
    *tried = n;
    check_store(&after);
    /* Wholly or not at all, and nothing else touched. */
    if (op == OP_ADD) {
      assert_true(after.n == before.n || (rc == 0 && after.n == before.n + 1));
      if (rc == 0)
        assert_int_equal(after.n, before.n + 1);
      for (k = 0; k < before.n; k++)
        assert_string_equal(after.ids[k], before.ids[k]);
    } else if (op == OP_UPDATE) {
      assert_int_equal(after.n, before.n);
      for (k = 0; k < before.n; k++)
        assert_string_equal(after.ids[k], before.ids[k]);
      if (rc == 0)
        assert_string_not_equal(after.status[0], before.status[0]);
      for (k = 1; k < before.n; k++)
        assert_string_equal(after.status[k], before.status[k]);
    } else {
      if (rc == 0)
        assert_int_equal(after.n, before.n - 1);
      else
        assert_true(after.n == before.n || after.n == before.n - 1);
      for (k = 0; k + 1 < before.n; k++)
        assert_string_equal(after.ids[k], before.ids[k]);
    }
    if (rc != 0)
      assert_true(fault_hit); /* an error only ever comes from a fault */
    if (!fault_hit) {
      assert_int_equal(rc, 0);
      break; /* past the last counted call: every point was tried */
    }
  }
  assert_true(n <= MAX_N); /* the sweep reached its end */
}

static void test_write_faults(void **state) {
  long t1 = 0, t2 = 0, t3 = 0, t4 = 0;
  (void)state;
  sweep(F_WRITE, SQLITE_IOERR_WRITE, OP_ADD, &t1);
  sweep(F_WRITE, SQLITE_FULL, OP_ADD, &t2);
  sweep(F_WRITE, SQLITE_IOERR_WRITE, OP_UPDATE, &t3);
  sweep(F_WRITE, SQLITE_FULL, OP_DELETE, &t4);
  print_message("write faults: add %ld, add (disk full) %ld, update %ld, "
                "delete (disk full) %ld points\n",
                t1, t2, t3, t4);
}

static void test_sync_faults(void **state) {
  long t1 = 0, t2 = 0;
  (void)state;
  sweep(F_SYNC, 0, OP_ADD, &t1);
  sweep(F_SYNC, 0, OP_DELETE, &t2);
  print_message("sync faults: add %ld, delete %ld points\n", t1, t2);
}

static void test_malloc_faults(void **state) {
  long t1 = 0, t2 = 0;
  (void)state;
  sweep(F_MALLOC, 0, OP_ADD, &t1);
  sweep(F_MALLOC, 0, OP_UPDATE, &t2);
  print_message("allocation faults: add %ld, update %ld points\n", t1, t2);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_write_faults),
      cmocka_unit_test(test_sync_faults),
      cmocka_unit_test(test_malloc_faults),
  };
  install_faults();
  return cmocka_run_group_tests(tests, setup, teardown);
}

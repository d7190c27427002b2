/*
 * Benchmark: `ayil report`'s peak memory (the process's VmHWM, from wait4)
 * and wall time, in every format (text, csv, json, md, html, xlsx), as
 * medians of --runs runs (3), and with --before PATH the same for another
 * binary (main's) on the same store, with the ratios after / before.
 * Figures only, never pass or fail. Target (issue 16): under 32 MB over
 * 100,000 records or 450 committees.
 *
 * Stores: a hub (default), made with `ayil init --role hub` and its
 * registry, records view and entries written straight with SQL, each
 * header a canonical msgpack header from ayil_record_pack() in an unsigned
 * packed entry (the report reads headers from the entries, never their
 * signatures); or with --committee, a committee
 * whose records are written through node.h (signed entries, sealed
 * bodies). --wal-mb MB then leaves a write-ahead log of that size beside
 * the store, held open by this process as a running ayild holds it (the
 * report opens the store, and the store's open checks the log).
 *
 * Usage: bench_report [--committees N] [--records M] [--committee]
 *                     [--wal-mb MB] [--runs R] [--ayil PATH]
 *                     [--before PATH] [--keep DIR]
 * The ayil binary defaults to ../../ayil next to this executable. The
 * numbers of issue 16: --committees 1 --records 10000 / 100000 and
 * --committees 450 --records 100, each with and without --wal-mb 150.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include <sodium.h>

#include "ayil/entry.h"
#include "ayil/schema.h"
#include "node.h"
#include "record.h"
#include "store.h"

static uint64_t rng = 88172645463325252ull;
static uint32_t rnd(uint32_t n) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (uint32_t)(rng % n);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const OBLASTS[] = {"batken",     "chui",    "issyk_kul",
                                      "jalal_abad", "naryn",   "osh",
                                      "talas",      "bishkek", "osh_city"};
static const char *const VIOL[] = {"physical", "psychological", "sexual",
                                   "economic", "neglect"};
static const char *const AGES[] = {"0-11",  "12-17", "18-25",  "26-40",
                                   "41-60", "61+",   "unknown"};
static const char *const SERV[] = {
    "crisis_centre", "shelter",           "police",
    "aksakal_court", "legal_aid",         "psychologist",
    "health",        "social_protection", "other"};
static const char *const ACT[] = {
    "preventive_talk",      "home_visit",        "document_restoration",
    "correctional_session", "referral_followup", "other"};

/* A random valid header of a random kind. */
static json_t *random_header(void) {
  char month[8];
  json_t *h;
  int k = (int)rnd(100);

  snprintf(month, sizeof(month), "%04u-%02u", 2025 + rnd(2), 1 + rnd(12));
  if (k < 35) {
    json_t *v = json_array();
    json_array_append_new(v, json_string(VIOL[rnd(5)]));
    if (rnd(3) == 0)
      json_array_append_new(v, json_string(VIOL[rnd(5)]));
    h = json_pack("{s:s,s:s,s:s,s:o,s:s,s:s,s:s,s:s}", "kind", "appeal",
                  "month", month, "source", "police", "violence", v,
                  "survivor_sex", rnd(5) ? "female" : "male", "survivor_age",
                  AGES[rnd(7)], "status", "open", "gbv_type",
                  "physical_assault");
  } else if (k < 50) {
    h = json_pack("{s:s,s:s,s:s,s:s,s:s}", "kind", "referral", "month", month,
                  "case", "0123456789abcdef0123456789abcdef", "service",
                  SERV[rnd(9)], "status", "referred");
  } else if (k < 60) {
    h = json_pack("{s:s,s:s,s:s,s:s}", "kind", "followup", "month", month,
                  "case", "0123456789abcdef0123456789abcdef", "action",
                  ACT[rnd(6)]);
  } else if (k < 67) {
    h = json_pack("{s:s,s:s,s:[s],s:s,s:s,s:i}", "kind", "family", "month",
                  month, "reason", "alcohol", "risk", "high", "status",
                  rnd(4) ? "active" : "removed", "children", (int)rnd(5));
  } else if (k < 74) {
    h = json_pack("{s:s,s:s,s:i,s:b}", "kind", "session", "month", month,
                  "cases_reviewed", (int)rnd(6), "violence_related",
                  (int)rnd(2));
  } else if (k < 80) {
    h = json_pack("{s:s,s:s,s:s,s:i,s:i}", "kind", "prevention", "month", month,
                  "audience", "parents", "participants_female", (int)rnd(40),
                  "participants_male", (int)rnd(40));
  } else if (k < 85) {
    h = json_pack("{s:s,s:s,s:i,s:i,s:i}", "kind", "training", "month", month,
                  "days", 1 + (int)rnd(2), "participants_female", (int)rnd(30),
                  "participants_male", (int)rnd(30));
  } else if (k < 91) {
    int kind = (int)rnd(3);
    h = json_pack("{s:s,s:s,s:s}", "kind", "aid", "month", month, "aid_kind",
                  kind == 0   ? "money"
                  : kind == 1 ? "housing"
                              : "in_kind");
    if (kind == 0)
      json_object_set_new(h, "amount_som", json_integer(100 * (1 + rnd(100))));
  } else if (k < 95) {
    h = json_pack("{s:s,s:s,s:s,s:i}", "kind", "protection_order", "month",
                  month, "case", "0123456789abcdef0123456789abcdef", "days",
                  15);
  } else {
    h = json_pack("{s:s,s:s,s:s,s:s}", "kind", "closure", "month", month,
                  "case", "0123456789abcdef0123456789abcdef", "reason",
                  "resolved");
  }
  return h;
}

static int run(const char *cmd);

/* A random valid record input (the fields a member types) of one of the
 * kinds that need no case, with a narrative of about 900 bytes on
 * appeals: kind in *kind. */
static json_t *random_input(const char **kind, const char *narr) {
  char date[11];
  json_t *h;
  int k = (int)rnd(100);

  snprintf(date, sizeof(date), "%04u-%02u-%02u", 2025 + rnd(2), 1 + rnd(11),
           1 + rnd(28));
  if (k < 50) {
    json_t *v = json_array();
    json_array_append_new(v, json_string(VIOL[rnd(5)]));
    h = json_pack("{s:s,s:s,s:o,s:s,s:s,s:s,s:s}", "date", date, "source",
                  "police", "violence", v, "survivor_sex",
                  rnd(5) ? "female" : "male", "survivor_age", AGES[rnd(7)],
                  "status", "open", "narrative", narr);
    *kind = "appeal";
  } else if (k < 70) {
    h = json_pack("{s:s,s:i,s:b}", "date", date, "cases_reviewed", (int)rnd(6),
                  "violence_related", (int)rnd(2));
    *kind = "session";
  } else if (k < 85) {
    h = json_pack("{s:s,s:s,s:i,s:i}", "date", date, "audience", "parents",
                  "participants_female", (int)rnd(40), "participants_male",
                  (int)rnd(40));
    *kind = "prevention";
  } else {
    h = json_pack("{s:s,s:i,s:i,s:i}", "date", date, "days", 1 + (int)rnd(2),
                  "participants_female", (int)rnd(30), "participants_male",
                  (int)rnd(30));
    *kind = "training";
  }
  return h;
}

/* A committee's home made with `ayil init`, holding nrec records written
 * through node.h (signed log entries, sealed bodies), 1,000 per
 * transaction. */
static int make_committee(const char *ayil, const char *dir, int nrec) {
  char cmd[4 * PATH_MAX], home[PATH_MAX + 16], narr[901];
  ayil_node_t *node = NULL;
  ayil_node_err_t err;
  int i;

  snprintf(cmd, sizeof(cmd),
           "AYIL_NEW_PASSPHRASE='bench passphrase words' "
           "AYIL_PASSPHRASE='bench passphrase words' '%s' --home "
           "'%s/com' init --role committee --name 'Bench committee' "
           "--oblast talas --recovery-kit '%s/kit.txt' >/dev/null 2>&1",
           ayil, dir, dir);
  if (run(cmd) != 0) {
    fprintf(stderr, "bench_report: %s failed\n", cmd);
    return -1;
  }
  snprintf(home, sizeof(home), "%s/com", dir);
  if (ayil_node_open(&node, home, AYIL_NODE_IDENTITY, &err) != 0) {
    fprintf(stderr, "bench_report: cannot open the committee: %s\n", err.msg);
    return -1;
  }
  memset(narr, 'n', 900);
  narr[900] = '\0';
  for (i = 0; i < nrec; i++) {
    uint8_t id[AYIL_RECID_BYTES];
    const char *kind = NULL;
    json_t *in = random_input(&kind, narr);
    if (i % 1000 == 0 && ayil_store_begin(ayil_node_store(node)) != 0)
      return -1;
    if (in == NULL || ayil_node_record_add(node, kind, in, id) != 0) {
      fprintf(stderr, "bench_report: record add: %s\n", ayil_node_errmsg(node));
      return -1;
    }
    json_decref(in);
    if ((i % 1000 == 999 || i == nrec - 1) &&
        ayil_store_commit(ayil_node_store(node)) != 0)
      return -1;
  }
  ayil_node_close(node);
  return 0;
}

static int run(const char *cmd) {
  int st = system(cmd);
  return st == -1 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* A hub home made with `ayil init --role hub`, its registry and records
 * view written straight with SQL: ncom committees of nrec headers. */
static int make_hub(const char *dir, int ncom, int nrec) {
  char path[PATH_MAX + 16];
  ayil_store_t *st = NULL;
  sqlite3 *db;
  sqlite3_stmt *sc = NULL, *sd = NULL, *sr = NULL, *se = NULL;
  double t0;
  long n = 0, bytes = 0;
  int i, j, rc;

  snprintf(path, sizeof(path), "%s/hub/ayil.db", dir);
  rc = ayil_store_open(&st, path, 0);
  if (rc != 0) {
    fprintf(stderr, "bench_report: cannot open %s\n", path);
    return 1;
  }
  db = ayil__store_db(st);
  t0 = now_s();
  sqlite3_exec(db, "PRAGMA synchronous=OFF; BEGIN", NULL, NULL, NULL);
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO committees(id, name, oblast, created) "
                         "VALUES(?1, ?2, ?3, 0)",
                         -1, &sc, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db,
                         "INSERT INTO devices(id, committee, state, admitted) "
                         "VALUES(?1, ?2, 'active', 0)",
                         -1, &sd, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(
          db,
          "INSERT INTO record_rows(id, created_n, kind, month, hn, "
          "body_hash, deleted) VALUES(?1, ?4, ?5, ?6, ?4, NULL, ?7)",
          -1, &sr, NULL) != SQLITE_OK ||
      /* Each record's header lives in its entry (node/store.c, schema step
       * 12): an unsigned one, packed, which the report reads and never
       * verifies. */
      sqlite3_prepare_v2(db,
                         "INSERT INTO entries(n, origin, seq, hash, packed) "
                         "VALUES(?1, ?2, ?3, zeroblob(32), ?4)",
                         -1, &se, NULL) != SQLITE_OK) {
    fprintf(stderr, "bench_report: %s\n", sqlite3_errmsg(db));
    return 1;
  }
  for (i = 0; i < ncom; i++) {
    uint8_t dev[32], id[16];
    char name[64];
    memset(dev, 0, sizeof(dev));
    memcpy(dev, &i, sizeof(i));
    dev[31] = 0xbe;
    snprintf(name, sizeof(name), "Bench committee %04d", i);
    sqlite3_bind_int(sc, 1, i + 1);
    sqlite3_bind_text(sc, 2, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(sc, 3, OBLASTS[i % 9], -1, SQLITE_STATIC);
    if (sqlite3_step(sc) != SQLITE_DONE)
      return 1;
    sqlite3_reset(sc);
    sqlite3_bind_blob(sd, 1, dev, 32, SQLITE_TRANSIENT);
    sqlite3_bind_int(sd, 2, i + 1);
    if (sqlite3_step(sd) != SQLITE_DONE)
      return 1;
    sqlite3_reset(sd);
    for (j = 0; j < nrec; j++) {
      json_t *h = random_header();
      uint8_t *buf = NULL;
      size_t len = 0;
      n++;
      if (h == NULL || ayil_record_pack(h, &buf, &len) != 0) {
        fprintf(stderr, "bench_report: cannot pack a header\n");
        return 1;
      }
      memcpy(id, &n, sizeof(n));
      memcpy(id + 8, &i, sizeof(i));
      id[15] = 0x5a;
      sqlite3_bind_blob(sr, 1, id, 16, SQLITE_TRANSIENT);
      /* Its origin and seq are its entry's (se, below). */
      sqlite3_bind_int64(sr, 4, n);
      sqlite3_bind_text(sr, 5, json_string_value(json_object_get(h, "kind")),
                        -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(sr, 6, json_string_value(json_object_get(h, "month")),
                        -1, SQLITE_TRANSIENT);
      /* 1 record in 50 is deleted: the report must skip it. */
      sqlite3_bind_int(sr, 7, rnd(50) == 0);
      bytes += (long)len;
      {
        ayil_entry_t e;
        uint8_t packed[AYIL_ENTRY_MAX];
        size_t plen = 0;
        memset(&e, 0, sizeof e);
        memcpy(e.origin, dev, 32);
        e.seq = (uint64_t)j + 1;
        memcpy(e.record, id, 16);
        e.op = AYIL_OP_PUT;
        e.codes_version = AYIL_CODES_VERSION;
        e.header = buf;
        e.header_len = len;
        if (ayil_entry_pack(&e, packed, sizeof packed, &plen) != 0)
          return 1;
        sqlite3_bind_int64(se, 1, n);
        sqlite3_bind_blob(se, 2, dev, 32, SQLITE_TRANSIENT);
        sqlite3_bind_int64(se, 3, j + 1);
        sqlite3_bind_blob(se, 4, packed, (int)plen, SQLITE_TRANSIENT);
      }
      if (sqlite3_step(sr) != SQLITE_DONE || sqlite3_step(se) != SQLITE_DONE) {
        fprintf(stderr, "bench_report: %s\n", sqlite3_errmsg(db));
        return 1;
      }
      sqlite3_reset(sr);
      sqlite3_reset(se);
      free(buf);
      json_decref(h);
    }
  }
  sqlite3_finalize(sc);
  sqlite3_finalize(sd);
  sqlite3_finalize(sr);
  sqlite3_finalize(se);
  if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    fprintf(stderr, "bench_report: %s\n", sqlite3_errmsg(db));
    return 1;
  }
  ayil_store_close(st);
  printf("records written in %.1f s (%ld header bytes, %.1f per header)\n",
         now_s() - t0, bytes, n ? (double)bytes / (double)n : 0.0);
  return 0;
}

/*
 * Leaves a write-ahead log of at least mb MiB beside the store, as a running
 * ayild does when a reader held its checkpoints back: the records view is
 * rewritten (every row's seq raised by one and put back, so its content is
 * unchanged) with checkpoints off, up to 256 times, and the connection is
 * returned open -- the last connection to close would checkpoint the log
 * away. NULL on failure.
 */
static sqlite3 *grow_wal(const char *home, int mb) {
  char db[PATH_MAX + 32], wal[PATH_MAX + 40];
  struct stat sb;
  sqlite3 *c = NULL;
  int i;

  snprintf(db, sizeof(db), "%s/ayil.db", home);
  snprintf(wal, sizeof(wal), "%s-wal", db);
  if (sqlite3_open_v2(db, &c, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
      sqlite3_exec(c, "PRAGMA wal_autocheckpoint=0", NULL, NULL, NULL) !=
          SQLITE_OK) {
    sqlite3_close(c);
    return NULL;
  }
  for (i = 0; i < 256; i++) {
    if (stat(wal, &sb) == 0 && sb.st_size >= (off_t)mb * 1024 * 1024)
      return c;
    if (sqlite3_exec(c,
                     "BEGIN; UPDATE records SET seq = seq + 1;"
                     "UPDATE records SET seq = seq - 1; COMMIT",
                     NULL, NULL, NULL) != SQLITE_OK) {
      fprintf(stderr, "bench_report: %s\n", sqlite3_errmsg(c));
      break;
    }
  }
  sqlite3_close(c);
  return NULL;
}

static const char *const FORMATS[] = {"text", "csv",  "json",
                                      "md",   "html", "xlsx"};

/* Runs `bin --home home report --format fmt --output out` once: wall
 * seconds in *t, peak RSS (the child's VmHWM, from wait4) in KiB in *kib. */
static int run_report(const char *bin, const char *home, const char *fmt,
                      const char *lang, const char *out, double *t, long *kib) {
  struct rusage ru;
  double t0 = now_s();
  int st;
  pid_t pid = fork();

  if (pid < 0)
    return -1;
  if (pid == 0) {
    int fd = open("/dev/null", O_WRONLY);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execl(bin, bin, "--home", home, "report", "--format", fmt, "--lang", lang,
          "--output", out, (char *)NULL);
    _exit(127);
  }
  if (wait4(pid, &st, 0, &ru) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
    return -1;
  *t = now_s() - t0;
  *kib = ru.ru_maxrss;
  return 0;
}

static int cmp_l(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return x < y ? -1 : x > y;
}

/* Median time and peak RSS of `runs` reports (at most 9). */
static int measure(const char *bin, const char *home, const char *fmt,
                   const char *out, int runs, double *t, long *kib) {
  double ts[9];
  long ks[9];
  int i;

  for (i = 0; i < runs; i++)
    if (run_report(bin, home, fmt, "ru", out, &ts[i], &ks[i]) != 0) {
      fprintf(stderr, "bench_report: %s report --format %s failed\n", bin, fmt);
      return -1;
    }
  qsort(ts, (size_t)runs, sizeof(ts[0]), cmp_d);
  qsort(ks, (size_t)runs, sizeof(ks[0]), cmp_l);
  *t = ts[runs / 2];
  *kib = ks[runs / 2];
  return 0;
}

int main(int argc, char **argv) {
  int ncom = 500, nrec = 2000, committee = 0, runs = 3, wal_mb = 0, i;
  sqlite3 *holder = NULL;
  char ayil[PATH_MAX + 16] = "", dir[PATH_MAX], home[PATH_MAX + 16],
                       out[PATH_MAX + 16], cmd[4 * PATH_MAX];
  const char *keep = NULL, *before = NULL;
  double t0;

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--committees") == 0 && i + 1 < argc)
      ncom = atoi(argv[++i]);
    else if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
      nrec = atoi(argv[++i]);
    else if (strcmp(argv[i], "--committee") == 0)
      committee = 1;
    else if (strcmp(argv[i], "--wal-mb") == 0 && i + 1 < argc)
      wal_mb = atoi(argv[++i]);
    else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
      runs = atoi(argv[++i]);
    else if (strcmp(argv[i], "--ayil") == 0 && i + 1 < argc)
      snprintf(ayil, sizeof(ayil), "%.*s", PATH_MAX - 1, argv[++i]);
    else if (strcmp(argv[i], "--before") == 0 && i + 1 < argc)
      before = argv[++i];
    else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
      keep = argv[++i];
    else {
      fprintf(stderr, "usage: bench_report [--committees N] [--records M] "
                      "[--committee] [--wal-mb MB] [--runs R] [--ayil PATH] "
                      "[--before PATH] "
                      "[--keep DIR]\n");
      return 2;
    }
  }
  if (ayil[0] == '\0') {
    char self[PATH_MAX];
    ssize_t l = readlink("/proc/self/exe", self, sizeof(self) - 1);
    char *slash;
    if (l <= 0)
      return 1;
    self[l] = '\0';
    slash = strrchr(self, '/');
    *slash = '\0';
    snprintf(ayil, sizeof(ayil), "%s/../../ayil", self);
  }
  if (ncom < 1 || nrec < 0 || runs < 1 || runs > 9 || sodium_init() < 0)
    return 2;
  if (keep != NULL) {
    snprintf(dir, sizeof(dir), "%.*s", PATH_MAX - 64, keep);
    mkdir(dir, 0700);
  } else {
    snprintf(dir, sizeof(dir), "/tmp/ayil-bench-report.XXXXXX");
    if (mkdtemp(dir) == NULL)
      return 1;
  }
  t0 = now_s();
  if (committee) {
    printf("bench_report: a committee with %d records (signed log entries, "
           "sealed bodies, written through node.h)\n",
           nrec);
    snprintf(home, sizeof(home), "%s/com", dir);
    if (make_committee(ayil, dir, nrec) != 0)
      return 1;
  } else {
    printf("bench_report: a hub with %d committees x %d records = %ld "
           "headers\n",
           ncom, nrec, (long)ncom * nrec);
    printf("setup: ayil init --role hub, then registry and records view "
           "written directly with SQL (headers from ayil_record_pack, in "
           "unsigned packed entries)\n");
    snprintf(cmd, sizeof(cmd),
             "'%s' --home '%s/hub' init --role hub --name 'Bench hub' "
             "--listen 127.0.0.1:1 >/dev/null 2>&1",
             ayil, dir);
    if (run(cmd) != 0) {
      fprintf(stderr, "bench_report: %s failed\n", cmd);
      return 1;
    }
    snprintf(home, sizeof(home), "%s/hub", dir);
    if (make_hub(dir, ncom, nrec) != 0)
      return 1;
  }
  if (wal_mb > 0) {
    struct stat sb;
    char wal[PATH_MAX + 40];
    holder = grow_wal(home, wal_mb);
    snprintf(wal, sizeof(wal), "%s/ayil.db-wal", home);
    if (holder == NULL || stat(wal, &sb) != 0) {
      fprintf(stderr, "bench_report: cannot grow the write-ahead log\n");
      return 1;
    }
    printf("a write-ahead log of %.1f MiB is left beside the store, held "
           "open by this process (as by a running ayild)\n",
           (double)sb.st_size / 1048576.0);
  }
  printf("setup took %.1f s\n", now_s() - t0);
  printf("timed: ayil --home H report --format F --lang ru --output FILE; "
         "medians of %d runs on %ld CPUs; peak RSS is the process's VmHWM\n",
         runs, sysconf(_SC_NPROCESSORS_ONLN));
  if (before != NULL)
    printf("%-5s %12s %10s %12s %10s %9s %9s\n", "form", "before KiB",
           "before s", "after KiB", "after s", "RSS ratio", "time ratio");
  else
    printf("%-5s %12s %10s\n", "form", "peak KiB", "s");
  for (i = 0; i < (int)(sizeof(FORMATS) / sizeof(FORMATS[0])); i++) {
    double tb = 0, ta = 0;
    long kb = 0, ka = 0;
    snprintf(out, sizeof(out), "%s/report.%s", dir, FORMATS[i]);
    if (before != NULL &&
        measure(before, home, FORMATS[i], out, runs, &tb, &kb) != 0)
      return 1;
    if (measure(ayil, home, FORMATS[i], out, runs, &ta, &ka) != 0)
      return 1;
    if (before != NULL)
      printf("%-5s %12ld %10.3f %12ld %10.3f %9.2f %9.2f\n", FORMATS[i], kb, tb,
             ka, ta, (double)ka / (double)kb, ta / tb);
    else
      printf("%-5s %12ld %10.3f\n", FORMATS[i], ka, ta);
  }
  sqlite3_close(holder);
  if (keep == NULL) {
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    run(cmd);
  } else {
    printf("kept in %s\n", dir);
  }
  return 0;
}

/*
 * Benchmark: records/s for `record add`, one record per transaction and
 * 1,000 per transaction, with 1 KiB bodies, and where the time goes
 * (header encoding, sealing, signing, the store's insert and commit).
 *
 *   build/tests/bench/bench_records [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "record.h"
#include "store.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

typedef struct {
  double encode, seal, sign, store, commit;
} phases_t;

static uint8_t sk[64], pk[32], rpk[32], rsk[32];

static void one(ayil_store_t *st, phases_t *ph, int own_tx) {
  char body_text[1025];
  json_t *h, *b;
  uint8_t *hb = NULL, *bb = NULL, *sealed = NULL;
  size_t hl = 0, bl = 0, sl = 0;
  uint8_t id[16];
  double t0 = now(), t1, t2, t3;
  memset(body_text, 'n', 1024);
  body_text[1024] = '\0';
  h = json_pack("{s:s, s:s, s:s, s:[s,s], s:s, s:s, s:s}", "kind", "appeal",
                "month", "2026-03", "source", "police", "violence", "physical",
                "economic", "survivor_sex", "female", "survivor_age", "26-40",
                "status", "open");
  b = json_pack("{s:s, s:s}", "date", "2026-03-14", "narrative", body_text);
  if (ayil_record_pack(h, &hb, &hl) != 0 || ayil_record_pack(b, &bb, &bl) != 0)
    abort();
  t1 = now();
  if (ayil_body_seal(bb, bl, rpk, &sealed, &sl) != 0)
    abort();
  t2 = now();
  randombytes_buf(id, sizeof id);
  if (own_tx && ayil_store_begin(st) != 0)
    abort();
  if (ayil_store_write_local(st, sk, AYIL_OP_PUT, id, hb, hl, sealed, sl, NULL,
                             NULL) != 0)
    abort();
  t3 = now();
  if (own_tx && ayil_store_commit(st) != 0)
    abort();
  ph->encode += t1 - t0;
  ph->seal += t2 - t1;
  ph->store += t3 - t2;
  ph->commit += now() - t3;
  free(hb);
  free(bb);
  free(sealed);
  json_decref(h);
  json_decref(b);
}

/* Signing alone, to split it out of the store phase. */
static double sign_cost(int n) {
  ayil_entry_t e;
  uint8_t hdr[64], buf[AYIL_ENTRY_MAX];
  size_t len;
  double t0;
  int i;
  memset(&e, 0, sizeof e);
  memset(hdr, 0x80, sizeof hdr);
  hdr[0] = 0x80;
  memcpy(e.origin, pk, 32);
  e.op = AYIL_OP_PUT;
  e.header = hdr;
  e.header_len = 60;
  e.has_body = 1;
  t0 = now();
  for (i = 0; i < n; i++) {
    e.seq = (uint64_t)i + 1;
    if (ayil_entry_sign(&e, sk, buf, sizeof buf, &len) != 0)
      abort();
  }
  return (now() - t0) / n;
}

static void report(const char *what, int n, double total, const phases_t *ph,
                   double sign_each) {
  double store_wo_sign = ph->store - sign_each * n;
  printf("%-28s %6d records  %8.0f records/s  per record: encode %.1f us, "
         "seal %.1f us, sign %.1f us, store %.1f us, commit %.1f us\n",
         what, n, n / total, ph->encode / n * 1e6, ph->seal / n * 1e6,
         sign_each * 1e6, store_wo_sign / n * 1e6, ph->commit / n * 1e6);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  char dir[] = "/tmp/ayil-bench-XXXXXX";
  char path[128];
  ayil_store_t *st = NULL;
  phases_t ph;
  double t0, total, sign_each;
  int i;
  if (sodium_init() < 0 || mkdtemp(dir) == NULL || n <= 0)
    return 1;
  crypto_sign_keypair(pk, sk);
  crypto_box_keypair(rpk, rsk);
  sign_each = sign_cost(2000);
  snprintf(path, sizeof path, "%s/ayil.db", dir);
  if (ayil_store_open(&st, path, AYIL_STORE_CREATE) != 0)
    return 1;
  printf("bench_records: 1 KiB bodies, synchronous=FULL WAL store in %s\n",
         dir);
  memset(&ph, 0, sizeof ph);
  t0 = now();
  for (i = 0; i < n; i++)
    one(st, &ph, 1);
  total = now() - t0;
  report("1 record per transaction", n, total, &ph, sign_each);
  memset(&ph, 0, sizeof ph);
  t0 = now();
  if (ayil_store_begin(st) != 0)
    return 1;
  for (i = 0; i < 1000; i++)
    one(st, &ph, 0);
  {
    double c0 = now();
    if (ayil_store_commit(st) != 0)
      return 1;
    ph.commit += now() - c0;
  }
  total = now() - t0;
  report("1,000 per transaction", 1000, total, &ph, sign_each);
  ayil_store_close(st);
  snprintf(path, sizeof path, "rm -rf %s", dir);
  return system(path) == 0 ? 0 : 1;
}

/* benchlib: see benchlib.h. */
#include "benchlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "ayil/schema.h"
#include "record.h"

const char *bench_prog = "bench";

void bench_die(const char *what) {
  fprintf(stderr, "%s: %s\n", bench_prog, what);
  exit(1);
}

double bench_mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long bench_proc_kb(pid_t pid, const char *key) {
  char path[64], line[256];
  long v = 0;
  size_t kl = strlen(key);
  FILE *f;
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  f = fopen(path, "r");
  if (f == NULL)
    return 0;
  while (fgets(line, sizeof line, f) != NULL)
    if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
      v = strtol(line + kl + 1, NULL, 10);
      break;
    }
  fclose(f);
  return v;
}

double bench_proc_cpu(pid_t pid) {
  char path[64], buf[2048], *p;
  unsigned long ut = 0, st = 0;
  FILE *f;
  size_t n;
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  f = fopen(path, "r");
  if (f == NULL)
    return 0;
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  p = strrchr(buf, ')');
  if (p == NULL ||
      sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut,
             &st) != 2)
    return 0;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double bench_verify_rate(double *per_cpu_s) {
  uint8_t pk[32], sk[64], sig[64], msg[300];
  double t0, c0, t;
  long k = 0;
  crypto_sign_keypair(pk, sk);
  randombytes_buf(msg, sizeof msg);
  crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
  t0 = bench_mono_s();
  c0 = bench_cpu_s();
  do {
    int i;
    for (i = 0; i < 500; i++)
      if (crypto_sign_verify_detached(sig, msg, sizeof msg, pk) != 0)
        bench_die("verify failed");
    k += 500;
    t = bench_mono_s();
  } while (t - t0 < 2.0);
  *per_cpu_s = (double)k / (bench_cpu_s() - c0);
  sodium_memzero(sk, sizeof sk);
  return (double)k / (t - t0);
}

void bench_record_parts(uint8_t **hdr, size_t *hlen, uint8_t **plain,
                        size_t *plen) {
  const char *text =
      "{\"date\":\"2026-03-14\",\"source\":\"police\",\"violence\":"
      "[\"physical\"],\"survivor_sex\":\"female\",\"survivor_age\":\"26-40\","
      "\"status\":\"open\",\"survivor_name\":\"Invented Name\"}";
  json_t *in = json_loads(text, 0, NULL), *h = NULL, *b = NULL;
  char err[256];
  if (in == NULL ||
      ayil_record_build("appeal", in, NULL, NULL, &h, &b, err, sizeof err) !=
          0 ||
      b == NULL || ayil_record_pack(h, hdr, hlen) != 0 ||
      ayil_record_pack(b, plain, plen) != 0)
    bench_die("cannot build the record");
  json_decref(in);
  json_decref(h);
  json_decref(b);
}

void bench_sign_put(const uint8_t pk[32], const uint8_t sk[64], uint64_t seq,
                    uint8_t prev[AYIL_HASH_BYTES], uint64_t day,
                    const uint8_t *hdr, size_t hlen, const uint8_t *plain,
                    size_t plen, const uint8_t rpk[32], uint8_t **body,
                    size_t *blen, uint8_t buf[AYIL_ENTRY_MAX], size_t *elen) {
  ayil_entry_t e;
  memset(&e, 0, sizeof e);
  memcpy(e.origin, pk, 32);
  e.seq = seq;
  memcpy(e.prev, prev, AYIL_HASH_BYTES);
  e.ts_ms = day;
  randombytes_buf(e.record, sizeof e.record);
  e.op = AYIL_OP_PUT;
  e.codes_version = AYIL_CODES_VERSION;
  e.header = hdr;
  e.header_len = hlen;
  if (ayil_body_seal(plain, plen, rpk, body, blen) != 0)
    bench_die("cannot seal a body");
  ayil_body_hash(*body, *blen, e.body_hash);
  e.has_body = 1;
  if (ayil_entry_sign(&e, sk, buf, AYIL_ENTRY_MAX, elen) != 0)
    bench_die("cannot sign an entry");
  ayil_entry_hash(buf, *elen, prev);
}

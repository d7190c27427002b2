/*
 * Benchmark: records/s for `record add` -- the same node.h call the CLI
 * makes (validate, encode, seal, sign, store) -- one record per
 * transaction and 1,000 per transaction, with 1 KiB bodies, and how much
 * of a record is its signature.
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

#include "node.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *input;

static void one(ayil_node_t *n) {
  uint8_t id[AYIL_RECID_BYTES];
  if (ayil_node_record_add(n, "appeal", input, id) != 0) {
    fprintf(stderr, "bench_records: %s\n", ayil_node_errmsg(n));
    abort();
  }
}

/* Signing alone, to show its share. */
static double sign_cost(int n) {
  uint8_t pk[32], sk[64];
  ayil_entry_t e;
  uint8_t hdr[64], buf[AYIL_ENTRY_MAX];
  size_t len;
  double t0;
  int i;
  crypto_sign_keypair(pk, sk);
  memset(&e, 0, sizeof e);
  memset(hdr, 0x80, sizeof hdr);
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
  sodium_memzero(sk, sizeof sk);
  return (now() - t0) / n;
}

static void report(const char *what, int n, double total, double sign_each) {
  printf("%-28s %6d records  %8.0f records/s  per record: %.1f us, of which "
         "sign %.1f us\n",
         what, n, n / total, total / n * 1e6, sign_each * 1e6);
}

/* A committee node in `home`, made as `ayil init` makes one. */
static ayil_node_t *make_node(const char *home) {
  char kit[256];
  ayil_config_t conf;
  ayil_node_create_t args;
  ayil_node_err_t err;
  ayil_node_t *n = NULL;
  char id[AYIL_ID_TEXT];
  ayil_config_defaults(&conf);
  snprintf(conf.role, sizeof conf.role, "committee");
  snprintf(conf.name, sizeof conf.name, "Bench Committee");
  snprintf(conf.oblast, sizeof conf.oblast, "talas");
  snprintf(kit, sizeof kit, "%s.kit", home);
  memset(&args, 0, sizeof args);
  args.conf = &conf;
  args.kit = kit;
  args.pass = "bench-passphrase";
  args.passlen = strlen(args.pass);
  if (ayil_home_create(home) != 0 ||
      ayil_node_create(home, &args, id, &err) != 0 ||
      ayil_node_open(&n, home, AYIL_NODE_IDENTITY, &err) != 0) {
    fprintf(stderr, "bench_records: cannot make a node: %s\n", err.msg);
    exit(1);
  }
  unlink(kit);
  return n;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 1000;
  char dir[] = "/tmp/ayil-bench-XXXXXX";
  char home[128], cmd[160];
  char body_text[1025];
  ayil_node_t *node;
  double t0, total, sign_each;
  int i;
  if (sodium_init() < 0 || mkdtemp(dir) == NULL || n <= 0)
    return 1;
  sign_each = sign_cost(2000);
  snprintf(home, sizeof home, "%s/home", dir);
  node = make_node(home);
  memset(body_text, 'n', 1024);
  body_text[1024] = '\0';
  input = json_pack("{s:s, s:s, s:[s,s], s:s, s:s, s:s, s:s}", "date",
                    "2026-03-14", "source", "police", "violence", "physical",
                    "economic", "survivor_sex", "female", "survivor_age",
                    "26-40", "status", "open", "narrative", body_text);
  printf("bench_records: 1 KiB bodies, synchronous=FULL WAL store in %s\n",
         dir);
  t0 = now();
  for (i = 0; i < n; i++)
    one(node);
  total = now() - t0;
  report("1 record per transaction", n, total, sign_each);
  t0 = now();
  if (ayil_store_begin(ayil_node_store(node)) != 0)
    return 1;
  for (i = 0; i < 1000; i++)
    one(node);
  if (ayil_store_commit(ayil_node_store(node)) != 0)
    return 1;
  total = now() - t0;
  report("1,000 per transaction", 1000, total, sign_each);
  json_decref(input);
  ayil_node_close(node);
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : 1;
}

/*
 * bench_national: the helper of bench_national.sh (issue 12, the national
 * tier's scale benchmark). A benchmark tool, never run by ctest.
 *
 *   bench_national preload --home HUB --committees N --records M
 *                          --oblast O --ids FILE
 *   bench_national count --home HUB --ids FILE
 *   bench_national verify
 *
 * preload: gives a regional hub (a real `ayil init --role hub` home, its
 * ayild stopped) N simulated committees with M records each, as if they
 * had synced to it: each committee is registered as an operator and
 * ayild would do it -- an invite (ayil_node_admit), the confirmation of
 * the committee's enrolment code (ayil_node_confirm) and the redemption
 * of the invite's token by the committee's own key (ayil_reg_redeem,
 * what the hub does in the committee's first handshake), which signs the
 * "admit" notice into the hub's log -- and its M put entries (a header
 * and a sealed body built from a record's fields, signed and chained with
 * the committee's Ed25519 key) are appended to the hub's store, which
 * verifies each one, 1,000 to a transaction. The committees' ids are
 * appended to FILE, one a line. Prints "PRELOAD committees=N entries=K
 * secs=S".
 *
 * count: the number of entries of the logs in FILE that HUB's store holds
 * (the sum of their heads' seqs), read while ayild runs. Prints
 * "COUNT n".
 *
 * verify: this machine's single-core Ed25519 verify rate, "VERIFY
 * wall=W cpu=C" (per second of wall time and of CPU time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <sodium.h>

#include "ayil/enrol.h"
#include "ayil/entry.h"
#include "benchlib.h"
#include "node.h"
#include "registry.h"
#include "store.h"

#define N_MAX 10000
#define M_MAX 100000
#define IDS_MAX 200000

static void usage(void) {
  fprintf(stderr, "usage: bench_national preload --home HUB --committees N "
                  "--records M --oblast O --ids FILE\n"
                  "       bench_national count --home HUB --ids FILE\n"
                  "       bench_national verify\n");
  exit(2);
}

static uint64_t today_ms(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return ((uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000) /
         AYIL_TS_DAY_MS * AYIL_TS_DAY_MS;
}

static void node_die(ayil_node_t *n, const char *what) {
  fprintf(stderr, "bench_national: %s: %s\n", what, ayil_node_errmsg(n));
  exit(1);
}

static void preload(const char *home, int nc, int nr, const char *oblast,
                    const char *ids) {
  ayil_node_t *n = NULL;
  ayil_node_err_t err;
  ayil_store_t *st;
  const ayil_identity_t *ident;
  uint8_t *hdr = NULL, *plain = NULL;
  size_t hlen = 0, plen = 0;
  uint64_t day = today_ms();
  FILE *f;
  double t0 = bench_mono_s();
  int i, j;
  if (ayil_node_open(&n, home, AYIL_NODE_IDENTITY, &err) != 0) {
    fprintf(stderr, "bench_national: %s\n", err.msg);
    exit(1);
  }
  st = ayil_node_store(n);
  ident = ayil_node_identity(n);
  f = fopen(ids, "a");
  if (st == NULL || ident == NULL || f == NULL)
    bench_die("cannot open the hub's store, identity or the ids file");
  bench_record_parts(&hdr, &hlen, &plain, &plen);
  for (i = 0; i < nc; i++) {
    char name[64], code[AYIL_INVITE_MAX], ecode[AYIL_ENROL_TEXT];
    char idtext[AYIL_ID_TEXT];
    uint8_t pk[32], sk[64], rpk[32], rsk[32], id[AYIL_ID_BYTES];
    uint8_t prev[AYIL_HASH_BYTES] = {0};
    ayil_node_admit_t a;
    ayil_invite_t inv;
    int admitted = 0, rc;
    crypto_sign_keypair(pk, sk);
    crypto_box_keypair(rpk, rsk); /* the committee's reader key */
    snprintf(name, sizeof name, "Bench committee %s %04d", oblast, i + 1);
    memset(&a, 0, sizeof a);
    a.name = name;
    a.oblast = oblast;
    a.advertise = "127.0.0.1:1";
    if (ayil_node_admit(n, &a, &inv, code, sizeof code) != 0)
      node_die(n, "admit");
    sodium_memzero(code, sizeof code);
    ayil_enrol_code_text(pk, ecode);
    if (ayil_node_confirm(n, ecode, id, &admitted) != 0)
      node_die(n, "confirm");
    rc = ayil_reg_redeem(st, ident->sk, inv.token, pk);
    sodium_memzero(&inv, sizeof inv);
    if (rc != 0) {
      fprintf(stderr, "bench_national: redeem: %s\n", ayil_strerror(rc));
      exit(1);
    }
    for (j = 0; j < nr; j++) {
      uint8_t buf[AYIL_ENTRY_MAX], *body = NULL;
      size_t elen = 0, blen = 0;
      if (j % 1000 == 0 && ayil_store_begin(st) != 0)
        bench_die("preload: cannot begin");
      bench_sign_put(pk, sk, (uint64_t)j + 1, prev, day, hdr, hlen, plain, plen,
                     rpk, &body, &blen, buf, &elen);
      rc = ayil_store_append(st, buf, elen, body, blen);
      free(body);
      if (rc != 0) {
        fprintf(stderr,
                "bench_national: the hub's store refused an entry: "
                "%s\n",
                ayil_strerror(rc));
        exit(1);
      }
      if ((j % 1000 == 999 || j == nr - 1) && ayil_store_commit(st) != 0)
        bench_die("preload: cannot commit");
    }
    ayil_id_to_text(pk, idtext);
    fprintf(f, "%s\n", idtext);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(rsk, sizeof rsk);
  }
  if (fclose(f) != 0)
    bench_die("cannot write the ids file");
  sodium_memzero(plain, plen);
  free(plain);
  free(hdr);
  ayil_node_close(n);
  printf("PRELOAD committees=%d entries=%lld secs=%.2f\n", nc,
         (long long)nc * nr, bench_mono_s() - t0);
}

static void count(const char *home, const char *ids) {
  char path[1024], line[128];
  ayil_store_t *st = NULL;
  unsigned long long total = 0;
  int k = 0;
  FILE *f = fopen(ids, "r");
  snprintf(path, sizeof path, "%s/ayil.db", home);
  if (f == NULL || ayil_store_open(&st, path, 0) != 0)
    bench_die("count: cannot open the ids file or the store");
  while (k++ < IDS_MAX && fgets(line, sizeof line, f) != NULL) {
    uint8_t id[AYIL_ID_BYTES], hash[AYIL_HASH_BYTES];
    uint64_t seq = 0;
    line[strcspn(line, "\n")] = '\0';
    if (ayil_id_from_text(line, id) != 0)
      bench_die("count: a line of the ids file is not a node id");
    if (ayil_store_head(st, id, &seq, hash) != 0)
      bench_die("count: cannot read a head");
    total += seq;
  }
  fclose(f);
  ayil_store_close(st);
  printf("COUNT %llu\n", total);
}

int main(int argc, char **argv) {
  const char *home = NULL, *oblast = NULL, *ids = NULL;
  int i, nc = 0, nr = 0;
  bench_prog = "bench_national";
  if (argc < 2)
    usage();
  for (i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--home") == 0 && i + 1 < argc)
      home = argv[++i];
    else if (strcmp(argv[i], "--committees") == 0 && i + 1 < argc)
      nc = atoi(argv[++i]);
    else if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
      nr = atoi(argv[++i]);
    else if (strcmp(argv[i], "--oblast") == 0 && i + 1 < argc)
      oblast = argv[++i];
    else if (strcmp(argv[i], "--ids") == 0 && i + 1 < argc)
      ids = argv[++i];
    else
      usage();
  }
  if (sodium_init() < 0)
    bench_die("sodium_init failed");
  if (strcmp(argv[1], "preload") == 0) {
    if (home == NULL || oblast == NULL || ids == NULL || nc < 1 || nc > N_MAX ||
        nr < 1 || nr > M_MAX)
      usage();
    preload(home, nc, nr, oblast, ids);
  } else if (strcmp(argv[1], "count") == 0) {
    if (home == NULL || ids == NULL)
      usage();
    count(home, ids);
  } else if (strcmp(argv[1], "verify") == 0) {
    double cpu = 0, wall = bench_verify_rate(&cpu);
    printf("VERIFY wall=%.0f cpu=%.0f\n", wall, cpu);
  } else {
    usage();
  }
  return 0;
}

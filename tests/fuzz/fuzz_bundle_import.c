/* Fuzz target: `ayil bundle import` (node/bundle.c, ayil_bundle_import) on
 * a file from a USB stick: the reader, then every entry's decoding,
 * signature, chain, body hash and purge proof, the replication policy and
 * the store. Byte 0 picks the side: even, a committee whose hub wrote the
 * bundle; odd, the hub, for a writer it does not know. The rest is the
 * file; or, with bit 1 set, items (write_items) that the target seals into
 * a genuine bundle, so that mutations reach the entry checks behind the
 * bundle's authenticated encryption. Each input runs on a fresh store (a
 * directory under /dev/shm or /tmp, made at start and removed at exit), so a
 * finding replays. Invariants: an import returns 0 or an AYIL_E* code; its
 * counts add up (added + held + refused <= items); importing the same file
 * again adds nothing and leaves the hub's log where it was. The seeds are
 * genuine bundles of the hub's notices (with a body and a proof).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "ayil/bundle.h"
#include "bundle.h"
#include "record.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const uint8_t *fuzz_seed(size_t i, size_t *len);

static uint8_t hub_pk[32], hub_sk[64], com_pk[32], com_sk[64];
static char dir[64], db[128], file[128];
static uint8_t *empty;
static size_t empty_len;
static int ready;

static void rm_path(const char *p) {
  (void)unlink(p);
}

static void cleanup(void) {
  static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
  char p[160];
  size_t i;
  for (i = 0; i < 4; i++) {
    snprintf(p, sizeof p, "%s%s", db, ext[i]);
    rm_path(p);
  }
  rm_path(file);
  (void)rmdir(dir);
}

static void setup(void) {
  uint8_t seed[32];
  if (ready)
    return;
  if (sodium_init() < 0)
    abort();
  memset(seed, 0x61, sizeof seed);
  crypto_sign_seed_keypair(hub_pk, hub_sk, seed);
  memset(seed, 0x62, sizeof seed);
  crypto_sign_seed_keypair(com_pk, com_sk, seed);
  snprintf(dir, sizeof dir, "%s/ayil-fuzz-import-XXXXXX",
           access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
  if (mkdtemp(dir) == NULL)
    abort();
  snprintf(db, sizeof db, "%s/ayil.db", dir);
  snprintf(file, sizeof file, "%s/in.bundle", dir);
  atexit(cleanup);
  /* A new store's bytes, copied for each input: creating one runs the
   * schema's migrations, slower than the import itself. */
  {
    ayil_store_t *st = NULL;
    FILE *f;
    long n;
    if (ayil_store_open(&st, db, AYIL_STORE_CREATE) != 0)
      abort();
    ayil_store_close(st);
    f = fopen(db, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
        fseek(f, 0, SEEK_SET) != 0)
      abort();
    empty_len = (size_t)n;
    empty = malloc(empty_len);
    if (empty == NULL || fread(empty, 1, empty_len, f) != empty_len)
      abort();
    fclose(f);
  }
  ready = 1;
}

static void write_file(const char *path, const uint8_t *p, size_t n) {
  FILE *f = fopen(path, "wb");
  if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
    abort();
}

static int known_err(int rc) {
  return rc > AYIL__E_BASE && rc < AYIL__E_END; /* an AYIL_E* code */
}

/* Mode 2: the items d[0..n) (each entry, body and proof with a 2-byte
 * big-endian length) sealed into a genuine bundle from the hub to the
 * committee (is_hub 0) or from the committee to the hub, written to `file`:
 * the fuzzer's bytes reach the entry checks behind the bundle's crypto. */
static void write_items(int is_hub, const uint8_t *d, size_t n) {
  uint8_t head[AYIL_BUNDLE_HEAD_BYTES + 128], end[64];
  ayil_bundle_w_t *w = NULL;
  size_t i = 0, hl = 0, items = 0;
  FILE *f = fopen(file, "wb");
  if (f == NULL ||
      ayil_bundle_w_new(&w, is_hub ? com_pk : hub_pk, is_hub ? hub_pk : com_pk,
                        1764758400000ULL, NULL, head, sizeof head, &hl) != 0 ||
      fwrite(head, 1, hl, f) != hl)
    abort();
  while (i < n && items++ < 16) {
    const uint8_t *p[3] = {NULL, NULL, NULL};
    size_t l[3] = {0, 0, 0}, k;
    uint8_t *chunk = NULL;
    for (k = 0; k < 3 && i + 2 <= n; k++) {
      l[k] = (size_t)d[i] << 8 | d[i + 1];
      i += 2;
      if (l[k] > n - i)
        l[k] = n - i;
      p[k] = l[k] > 0 || k == 0 ? d + i : NULL;
      i += l[k];
    }
    if (p[0] == NULL)
      break;
    {
      ayil_bundle_item_t it = {p[0], l[0], p[1], l[1], p[2], l[2]};
      size_t cl = 0;
      if (ayil_bundle_w_item(w, &it, &chunk, &cl) != 0)
        continue; /* over a limit: the writer refuses it */
      if (fwrite(chunk, 1, cl, f) != cl)
        abort();
      free(chunk);
    }
  }
  if (ayil_bundle_w_end(w, end, sizeof end, &hl) != 0 ||
      fwrite(end, 1, hl, f) != hl || fclose(f) != 0)
    abort();
  ayil_bundle_w_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ayil_store_t *st = NULL;
  ayil_bundle_stats_t stats, again;
  uint8_t sender[AYIL_ID_BYTES], hh[AYIL_HASH_BYTES];
  int is_hub, rc;
  uint64_t head = 0, head2 = 0;
  if (size < 1)
    return 0;
  setup();
  is_hub = data[0] & 1;
  cleanup();
  if (mkdir(dir, 0700) != 0)
    abort();
  if (data[0] & 2)
    write_items(is_hub, data + 1, size - 1);
  else
    write_file(file, data + 1, size - 1);
  write_file(db, empty, empty_len);
  if (ayil_store_open(&st, db, 0) != 0)
    abort();
  rc = ayil_bundle_import(st, is_hub ? hub_sk : com_sk, is_hub,
                          is_hub ? NULL : hub_pk, file, &stats, sender);
  if (getenv("AYIL_FUZZ_VERBOSE") != NULL) /* to check the seeds */
    fprintf(stderr, "rc %d items %llu added %llu held %llu refused %llu\n", rc,
            (unsigned long long)stats.items, (unsigned long long)stats.added,
            (unsigned long long)stats.held, (unsigned long long)stats.refused);
  if (rc != 0 && !known_err(rc))
    abort();
  if (stats.added + stats.held + stats.refused > stats.items)
    abort(); /* counts that do not add up */
  if (ayil_store_head(st, hub_pk, &head, hh) != 0)
    abort();
  if (rc == 0) {
    /* The same file again: everything is held or refused, nothing new. */
    rc = ayil_bundle_import(st, is_hub ? hub_sk : com_sk, is_hub,
                            is_hub ? NULL : hub_pk, file, &again, sender);
    if (rc != 0 || again.added != 0 ||
        ayil_store_head(st, hub_pk, &head2, hh) != 0 || head2 != head)
      abort(); /* an import that is not idempotent */
  }
  ayil_store_close(st);
  return 0;
}

/* Seeds: bundles from the hub to the committee: three notices of the hub's
 * log; the same with an acknowledgement; and for the hub, one from the
 * committee with an invite token. */
const uint8_t *fuzz_seed(size_t i, size_t *len) {
  static uint8_t s[4][4096];
  static size_t sl[4];
  size_t k;
  if (i >= 4)
    return NULL;
  setup();
  if (sl[0] == 0) {
    uint8_t entries[3][AYIL_ENTRY_MAX], prev[AYIL_HASH_BYTES] = {0};
    size_t elen[3];
    for (k = 0; k < 3; k++) {
      char node[AYIL_ID_TEXT];
      uint8_t id[AYIL_ID_BYTES], *hb = NULL;
      size_t hl = 0;
      ayil_entry_t e;
      json_t *h;
      memset(id, (int)(0x30 + k), sizeof id);
      ayil_id_to_text(id, node);
      h = json_pack("{s:s, s:s, s:s}", "action", "admit", "kind", "notice",
                    "node", node);
      if (h == NULL || ayil_record_pack(h, &hb, &hl) != 0)
        abort();
      json_decref(h);
      memset(&e, 0, sizeof e);
      memcpy(e.origin, hub_pk, 32);
      e.seq = k + 1;
      memcpy(e.prev, prev, sizeof prev);
      e.ts_ms = 1764758400000ULL + k;
      memset(e.record, (int)(0x70 + k), sizeof e.record);
      e.op = AYIL_OP_NOTICE;
      e.codes_version = 1;
      e.header = hb;
      e.header_len = hl;
      if (ayil_entry_sign(&e, hub_sk, entries[k], AYIL_ENTRY_MAX, &elen[k]) !=
          0)
        abort();
      ayil_entry_hash(entries[k], elen[k], prev);
      free(hb);
    }
    for (k = 0; k < 3; k++) {
      const uint8_t token[16] = {0x5a, 0x5b};
      ayil_bundle_ack_t ack;
      ayil_bundle_w_t *w = NULL;
      size_t n = 1, hl = 0, j;
      s[k][0] = (uint8_t)(k == 2);
      memset(&ack, 0, sizeof ack);
      memcpy(ack.origin, com_pk, 32);
      ack.seq = 1;
      ayil_bundle_ack_sign(hub_sk, com_pk, &ack);
      if (ayil_bundle_w_new_acks(&w, k == 2 ? com_pk : hub_pk,
                                 k == 2 ? hub_pk : com_pk, 1764758400000ULL,
                                 k == 2 ? token : NULL, &ack, k == 1 ? 1 : 0,
                                 s[k] + n, sizeof s[k] - n, &hl) != 0)
        abort();
      n += hl;
      for (j = 0; j < 3; j++) {
        ayil_bundle_item_t it = {entries[j], elen[j], NULL, 0, NULL, 0};
        uint8_t *chunk = NULL;
        size_t cl = 0;
        if (ayil_bundle_w_item(w, &it, &chunk, &cl) != 0 ||
            n + cl > sizeof s[k])
          abort();
        memcpy(s[k] + n, chunk, cl);
        n += cl;
        free(chunk);
      }
      if (ayil_bundle_w_end(w, s[k] + n, sizeof s[k] - n, &hl) != 0)
        abort();
      n += hl;
      ayil_bundle_w_free(w);
      sl[k] = n;
    }
    /* Mode 2: the same entries as items. */
    s[3][0] = 2;
    sl[3] = 1;
    for (k = 0; k < 3; k++) {
      s[3][sl[3]++] = (uint8_t)(elen[k] >> 8);
      s[3][sl[3]++] = (uint8_t)elen[k];
      memcpy(s[3] + sl[3], entries[k], elen[k]);
      sl[3] += elen[k];
      s[3][sl[3]++] = 0;
      s[3][sl[3]++] = 0;
      s[3][sl[3]++] = 0;
      s[3][sl[3]++] = 0;
    }
  }
  *len = sl[i];
  return s[i];
}

/*
 * ayil-forge: writes entries that ayil itself never would, for the
 * ownership attacks of tests/e2e/ownership.sh.
 *
 *   ayil-forge raw --home DIR --delete RECID
 *       signs a DELETE of RECID as the next entry of the log of the node
 *       in DIR and inserts it into the entries table behind the store's
 *       back, which would refuse it: a hostile but admitted device deleting
 *       another committee's record, or a compromised hub deleting one in
 *       its own log
 *   ayil-forge sign --home DIR --delete RECID
 *       the same through the store (which refuses a record it does not
 *       know or that the node does not own: exit 3)
 *   ayil-forge badheader --home DIR
 *       like raw, a PUT of a new record whose cleartext header carries an
 *       identifying field (survivor_name, an invented name)
 *   ayil-forge bundle --to NODE_ID --delete RECID --out FILE
 *       a bundle from a fresh key that no hub ever admitted, sealed to
 *       NODE_ID (a stranger who knows only a committee's public id): a fake
 *       record, then a DELETE of RECID
 *
 * It prints one line, "forge: ... seq=N" or "forge: bundle items=N", and
 * exits 0 when it wrote what it was asked to, 2 on a usage error, 3 when it
 * could not (the node's store refused, a file could not be written).
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <sodium.h>
#include <jansson.h>
#include <sqlite3.h>

#include "ayil/bundle.h"
#include "ayil/entry.h"
#include "ayil/error.h"
#include "config.h"
#include "keys.h"
#include "record.h"
#include "store.h"

static int usage(void) {
  fprintf(stderr, "usage: ayil-forge sign|raw --home DIR --delete RECID\n"
                  "       ayil-forge bundle --to NODE_ID --delete RECID "
                  "--out FILE\n");
  return 2;
}

static int hex_recid(const char *s, uint8_t out[AYIL_RECID_BYTES]) {
  size_t n = 0;
  if (s == NULL || strlen(s) != 2 * AYIL_RECID_BYTES ||
      sodium_hex2bin(out, AYIL_RECID_BYTES, s, strlen(s), NULL, &n, NULL) !=
          0 ||
      n != AYIL_RECID_BYTES)
    return -1;
  return 0;
}

static uint64_t now_ms(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

/* A header that the schema refuses, with an invented name in clear. */
static uint8_t *bad_header;
static size_t bad_header_len;

/* The next entry of k's log in st: a DELETE of rec, or with bad_header set
 * a PUT of rec with that header. */
static int sign_next(ayil_store_t *st, const ayil_identity_t *k,
                     const uint8_t rec[AYIL_RECID_BYTES], uint8_t *buf,
                     size_t *len, uint64_t *seq) {
  ayil_entry_t e;
  int rc;
  memset(&e, 0, sizeof e);
  if (bad_header != NULL) {
    e.header = bad_header;
    e.header_len = bad_header_len;
  }
  memcpy(e.origin, k->pk, AYIL_ID_BYTES);
  rc = ayil_store_head(st, e.origin, &e.seq, e.prev);
  if (rc != 0)
    return rc;
  e.seq++;
  e.ts_ms = now_ms();
  memcpy(e.record, rec, AYIL_RECID_BYTES);
  e.op = bad_header != NULL ? AYIL_OP_PUT : AYIL_OP_DELETE;
  e.codes_version = 1;
  *seq = e.seq;
  return ayil_entry_sign(&e, k->sk, buf, AYIL_ENTRY_MAX, len);
}

static int open_home(const char *home, ayil_identity_t *id, ayil_store_t **st) {
  char path[AYIL_PATH_MAX];
  int rc;
  if (ayil_home_path(home, "identity.key", path, sizeof path) != 0)
    return AYIL_EINVAL;
  rc = ayil_identity_load(path, id);
  if (rc != 0)
    return rc;
  if (ayil_home_path(home, "ayil.db", path, sizeof path) != 0)
    return AYIL_EINVAL;
  return ayil_store_open(st, path, 0);
}

static int do_log(const char *home, const uint8_t rec[AYIL_RECID_BYTES],
                  int raw) {
  ayil_identity_t id;
  ayil_store_t *st = NULL;
  uint8_t buf[AYIL_ENTRY_MAX], hash[AYIL_HASH_BYTES];
  size_t len = 0;
  uint64_t seq = 0;
  int rc = open_home(home, &id, &st);
  if (rc == 0 && !raw) {
    rc = ayil_store_write_local(st, id.sk, AYIL_OP_DELETE, rec, NULL, 0, NULL,
                                0, NULL, &seq);
  } else if (rc == 0) {
    /* Behind the store's back, as a compromised node's code would. */
    sqlite3_stmt *s = NULL;
    rc = sign_next(st, &id, rec, buf, &len, &seq);
    ayil_entry_hash(buf, len, hash);
    if (rc == 0 &&
        sqlite3_prepare_v2(ayil__store_db(st),
                           "INSERT INTO entries(origin, seq, hash, packed) "
                           "VALUES(?1, ?2, ?3, ?4)",
                           -1, &s, NULL) == SQLITE_OK) {
      sqlite3_bind_blob(s, 1, id.pk, AYIL_ID_BYTES, SQLITE_STATIC);
      sqlite3_bind_int64(s, 2, (sqlite3_int64)seq);
      sqlite3_bind_blob(s, 3, hash, AYIL_HASH_BYTES, SQLITE_STATIC);
      sqlite3_bind_blob(s, 4, buf, (int)len, SQLITE_STATIC);
      if (sqlite3_step(s) != SQLITE_DONE)
        rc = AYIL_ESTORE;
    } else if (rc == 0) {
      rc = AYIL_ESTORE;
    }
    sqlite3_finalize(s);
  }
  ayil_store_close(st);
  ayil_identity_wipe(&id);
  if (rc != 0) {
    fprintf(stderr, "forge: %s\n", ayil_strerror(rc));
    return 3;
  }
  printf("forge: %s %s seq=%llu\n", raw ? "raw" : "sign",
         bad_header != NULL ? "put" : "delete", (unsigned long long)seq);
  return 0;
}

static int write_chunk(int fd, const uint8_t *p, size_t n) {
  return write(fd, p, n) == (ssize_t)n ? 0 : AYIL_EIO;
}

static int do_bundle(const char *to, const uint8_t rec[AYIL_RECID_BYTES],
                     const char *out) {
  uint8_t pk[32], sk[64], recipient[AYIL_ID_BYTES], fake[AYIL_RECID_BYTES];
  uint8_t head[AYIL_BUNDLE_HEAD_BYTES + 128], e1[AYIL_ENTRY_MAX],
      e2[AYIL_ENTRY_MAX], body[64], *chunk = NULL, *hdr = NULL;
  size_t hlen = 0, l1 = 0, l2 = 0, clen = 0, hdrlen = 0;
  ayil_bundle_w_t *w = NULL;
  ayil_bundle_item_t item;
  ayil_entry_t e;
  json_t *h;
  int fd, rc;
  if (ayil_id_from_text(to, recipient) != 0)
    return usage();
  crypto_sign_keypair(pk, sk);
  randombytes_buf(fake, sizeof fake);
  randombytes_buf(body, sizeof body);
  h = json_pack("{s:s, s:s, s:i, s:b}", "kind", "session", "month", "2026-03",
                "cases_reviewed", 9, "violence_related", 1);
  rc = h == NULL ? AYIL_ENOMEM : ayil_record_pack(h, &hdr, &hdrlen);
  json_decref(h);
  /* A planted record, then a DELETE of the committee's record. */
  memset(&e, 0, sizeof e);
  memcpy(e.origin, pk, 32);
  e.seq = 1;
  e.ts_ms = now_ms();
  memcpy(e.record, fake, sizeof fake);
  e.op = AYIL_OP_PUT;
  e.codes_version = 1;
  e.header = hdr;
  e.header_len = hdrlen;
  e.has_body = 1;
  ayil_body_hash(body, sizeof body, e.body_hash);
  if (rc == 0)
    rc = ayil_entry_sign(&e, sk, e1, sizeof e1, &l1);
  if (rc == 0) {
    ayil_entry_hash(e1, l1, e.prev);
    e.seq = 2;
    memcpy(e.record, rec, AYIL_RECID_BYTES);
    e.op = AYIL_OP_DELETE;
    e.header = NULL;
    e.header_len = 0;
    e.has_body = 0;
    rc = ayil_entry_sign(&e, sk, e2, sizeof e2, &l2);
  }
  free(hdr);
  fd = open(out, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0)
    rc = AYIL_EIO;
  if (rc == 0)
    rc = ayil_bundle_w_new(&w, pk, recipient, now_ms(), NULL, head, sizeof head,
                           &hlen);
  if (rc == 0)
    rc = write_chunk(fd, head, hlen);
  memset(&item, 0, sizeof item);
  item.entry = e1;
  item.entry_len = l1;
  item.body = body;
  item.body_len = sizeof body;
  if (rc == 0)
    rc = ayil_bundle_w_item(w, &item, &chunk, &clen);
  if (rc == 0)
    rc = write_chunk(fd, chunk, clen);
  free(chunk);
  chunk = NULL;
  memset(&item, 0, sizeof item);
  item.entry = e2;
  item.entry_len = l2;
  if (rc == 0)
    rc = ayil_bundle_w_item(w, &item, &chunk, &clen);
  if (rc == 0)
    rc = write_chunk(fd, chunk, clen);
  free(chunk);
  if (rc == 0)
    rc = ayil_bundle_w_end(w, head, sizeof head, &hlen);
  if (rc == 0)
    rc = write_chunk(fd, head, hlen);
  ayil_bundle_w_free(w);
  if (fd >= 0)
    close(fd);
  sodium_memzero(sk, sizeof sk);
  if (rc != 0) {
    fprintf(stderr, "forge: bundle: %s\n", ayil_strerror(rc));
    return 3;
  }
  printf("forge: bundle items=2\n");
  return 0;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {{"home", required_argument, NULL, 'h'},
                                       {"delete", required_argument, NULL, 'd'},
                                       {"to", required_argument, NULL, 't'},
                                       {"out", required_argument, NULL, 'o'},
                                       {NULL, 0, NULL, 0}};
  const char *home = NULL, *recid = NULL, *to = NULL, *out = NULL, *mode;
  uint8_t rec[AYIL_RECID_BYTES];
  int c;
  if (argc < 2 || sodium_init() < 0)
    return usage();
  mode = argv[1];
  optind = 2;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    if (c == 'h')
      home = optarg;
    else if (c == 'd')
      recid = optarg;
    else if (c == 't')
      to = optarg;
    else if (c == 'o')
      out = optarg;
    else
      return usage();
  }
  if (strcmp(mode, "badheader") == 0 && home != NULL) {
    json_t *h =
        json_pack("{s:s, s:s, s:s, s:[s], s:s, s:s, s:s}", "kind", "appeal",
                  "month", "2026-03", "source", "police", "violence",
                  "physical", "survivor_sex", "female", "survivor_age", "26-40",
                  "survivor_name", "Invented Zarina Testova");
    int rc2;
    if (h == NULL || ayil_record_pack(h, &bad_header, &bad_header_len) != 0)
      return 3;
    json_decref(h);
    randombytes_buf(rec, sizeof rec);
    rc2 = do_log(home, rec, 1);
    free(bad_header);
    return rc2;
  }
  if (hex_recid(recid, rec) != 0)
    return usage();
  if ((strcmp(mode, "sign") == 0 || strcmp(mode, "raw") == 0) && home != NULL)
    return do_log(home, rec, mode[0] == 'r');
  if (strcmp(mode, "bundle") == 0 && to != NULL && out != NULL)
    return do_bundle(to, rec, out);
  return usage();
}

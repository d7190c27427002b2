/* Bundle files: export and import through the store. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "bundle.h"
#include "fsutil.h"
#include "policy_view.h"
#include "registry.h"

int ayil_bundle_export(ayil_store_t *st, const uint8_t sender_sk[64],
                       const uint8_t recipient[AYIL_ID_BYTES],
                       const ayil_policy_view_t *v,
                       const uint8_t (*origins)[AYIL_ID_BYTES],
                       const uint64_t *from, size_t n, const uint8_t *token,
                       const ayil_bundle_ack_t *acks, size_t nacks,
                       const char *path, ayil_bundle_stats_t *stats) {
  ayil_bundle_w_t *w = NULL;
  uint8_t head[AYIL_BUNDLE_HEAD_BYTES + 128 + 128 * AYIL_BUNDLE_ACKS_MAX];
  size_t hlen = 0, i;
  struct timeval tv;
  int fd, rc;
  memset(stats, 0, sizeof *stats);
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return ayil_fs_errno(errno);
  gettimeofday(&tv, NULL);
  rc = ayil_bundle_w_new_acks(&w, sender_sk + 32, recipient,
                              (uint64_t)tv.tv_sec * 1000, token, acks, nacks,
                              head, sizeof head, &hlen);
  if (rc == 0)
    rc = ayil_fs_write_all(fd, head, hlen);
  stats->bytes += hlen;
  for (i = 0; rc == 0 && i < n; i++) {
    uint64_t head_seq = 0, seq;
    uint8_t hh[AYIL_HASH_BYTES];
    /* A log the recipient takes sparse: only what it is to get. */
    int sparse = v != NULL && ayil_policy_sparse(v, origins[i]);
    rc = ayil_store_head(st, origins[i], &head_seq, hh);
    for (seq = from[i] > 0 ? from[i] : 1; rc == 0 && seq <= head_seq; seq++) {
      ayil_bundle_item_t item;
      uint8_t *entry = NULL, *body = NULL, *proof = NULL, *chunk = NULL;
      size_t elen = 0, blen = 0, plen = 0, clen = 0;
      if (sparse) {
        uint64_t nx = 0;
        rc = ayil_node_sparse_next(st, v, origins[i], seq - 1, head_seq, &nx,
                                   NULL);
        if (rc != 0 || nx == 0)
          break;
        seq = nx;
      }
      rc = ayil_store_item(st, origins[i], seq, &entry, &elen, &body, &blen,
                           &proof, &plen);
      if (rc == 0) {
        item.entry = entry;
        item.entry_len = elen;
        item.body = body;
        item.body_len = blen;
        item.proof = proof;
        item.proof_len = plen;
        rc = ayil_bundle_w_item(w, &item, &chunk, &clen);
      }
      if (rc == 0)
        rc = ayil_fs_write_all(fd, chunk, clen);
      stats->bytes += clen;
      stats->items++;
      free(entry);
      free(body);
      free(proof);
      free(chunk);
    }
  }
  if (rc == 0) {
    rc = ayil_bundle_w_end(w, head, sizeof head, &hlen);
    if (rc == 0)
      rc = ayil_fs_write_all(fd, head, hlen);
    stats->bytes += hlen;
  }
  if (rc == 0 && fsync(fd) != 0)
    rc = ayil_fs_errno(errno);
  if (close(fd) != 0 && rc == 0)
    rc = ayil_fs_errno(errno);
  ayil_bundle_w_free(w);
  if (rc != 0)
    unlink(path);
  return rc;
}

/* Hub: the bundle's writer, never admitted, carries an invite token: it is
 * redeemed exactly as on the writer's first connection. */
static void introduce(ayil_store_t *st, const uint8_t sk[64],
                      const uint8_t sender[AYIL_ID_BYTES], const uint8_t *token,
                      ayil_bundle_stats_t *stats) {
  ayil_device_t dev;
  if (token != NULL && ayil_reg_device(st, sender, &dev) == AYIL_ENOTFOUND) {
    int rc = ayil_reg_redeem(st, sk, token, sender);
    stats->admitted = rc == 0;
    stats->pending = rc == AYIL_EPENDING;
  }
}

/* An entry the policy refuses from this writer but that is held here
 * byte-identical changes nothing: it counts as held, not refused. */
static int held(ayil_store_t *st, const ayil_entry_t *e,
                const ayil_bundle_item_t *item) {
  uint64_t head = 0;
  uint8_t hh[AYIL_HASH_BYTES];
  return ayil_store_head(st, e->origin, &head, hh) == 0 && e->seq <= head &&
         ayil_store_append(st, item->entry, item->entry_len, NULL, 0) == 0;
}

/* Committee: takes the acknowledgements its hub signed for this node. An
 * acknowledgement says the hub holds the log up to seq: it raises peer_acks
 * (never lowers it), capped at what this node holds. */
static void take_acks(ayil_store_t *st, const uint8_t sk[64],
                      const uint8_t *hub_id, const ayil_bundle_r_t *r,
                      ayil_bundle_stats_t *stats) {
  const ayil_bundle_ack_t *acks;
  size_t n, k;
  ayil_bundle_r_acks(r, &acks, &n);
  for (k = 0; k < n; k++) {
    uint64_t head = 0, seq;
    uint8_t hh[AYIL_HASH_BYTES];
    if (hub_id == NULL ||
        ayil_bundle_ack_verify(hub_id, sk + 32, &acks[k]) != 0) {
      stats->acks_bad++;
      continue;
    }
    if (ayil_store_head(st, acks[k].origin, &head, hh) != 0)
      continue;
    seq = acks[k].seq < head ? acks[k].seq : head;
    if (seq > 0 && ayil_reg_acked(st, hub_id, acks[k].origin, seq,
                                  (uint64_t)time(NULL)) == 0)
      stats->acks++;
  }
}

#define BATCH 500

int ayil_bundle_import(ayil_store_t *st, const uint8_t sk[64], int is_hub,
                       const uint8_t *hub_id, const char *path,
                       ayil_bundle_stats_t *stats,
                       uint8_t sender[AYIL_ID_BYTES]) {
  ayil_bundle_r_t *r = NULL;
  ayil_node_view_t nv;
  uint8_t buf[65536];
  uint8_t refused_origin[AYIL_ID_BYTES], view_origin[AYIL_ID_BYTES] = {0};
  int have_refused = 0;
  int fd, rc, in_tx = 0, introduced = 0;
  uint64_t batch = 0;
  memset(stats, 0, sizeof *stats);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return ayil_fs_errno(errno);
  rc = ayil_bundle_r_new(&r, sk);
  while (rc == 0) {
    ssize_t got = read(fd, buf, sizeof buf);
    size_t off = 0;
    if (got < 0 && errno == EINTR)
      continue;
    if (got < 0) {
      rc = ayil_fs_errno(errno);
      break;
    }
    if (got == 0) {
      if (!ayil_bundle_r_done(r))
        rc = AYIL_ETRUNC;
      break;
    }
    stats->bytes += (uint64_t)got;
    while (rc == 0 && off < (size_t)got) {
      ayil_bundle_item_t item;
      ayil_entry_t e;
      size_t used = 0;
      int item_got = 0, arc, hdr_bad;
      rc = ayil_bundle_r_feed(r, buf + off, (size_t)got - off, &used, &item,
                              &item_got);
      off += used;
      if (rc == 0 && !introduced &&
          ayil_bundle_r_sender(r, sender, &(uint64_t){0}) == 0) {
        uint8_t token[16];
        int has = ayil_bundle_r_token(r, token) == 0;
        introduced = 1;
        if (is_hub)
          introduce(st, sk, sender, has ? token : NULL, stats);
        sodium_memzero(token, sizeof token);
        /* The policy's view of the writer, as for a live peer. */
        rc = ayil_node_view(&nv, st, is_hub, sk + 32, hub_id, sender);
      }
      if (rc != 0 || !item_got)
        continue;
      stats->items++;
      if (ayil_entry_decode(&e, item.entry, item.entry_len) != 0) {
        rc = AYIL_EFORMAT;
        break;
      }
      if (have_refused &&
          memcmp(refused_origin, e.origin, AYIL_ID_BYTES) == 0) {
        stats->refused++;
        continue;
      }
      if (introduced && memcmp(e.origin, view_origin, AYIL_ID_BYTES) != 0) {
        /* A new log: the notices stored so far may have confirmed it. */
        memcpy(view_origin, e.origin, AYIL_ID_BYTES);
        rc = ayil_node_view(&nv, st, is_hub, sk + 32, hub_id, sender);
        if (rc != 0)
          break;
      }
      arc =
          introduced ? ayil_policy_accept(&nv.v, e.origin, e.seq) : AYIL_EPERM;
      if (arc == AYIL_EPERM && held(st, &e, &item)) {
        stats->held++;
        continue;
      }
      if (arc == 0 && !in_tx) {
        rc = ayil_store_begin(st);
        if (rc != 0)
          break;
        in_tx = 1;
      }
      if (arc == 0) {
        uint64_t before = 0, after = 0;
        uint8_t hh[AYIL_HASH_BYTES];
        ayil_store_head(st, e.origin, &before, hh);
        if (item.body == NULL && item.proof != NULL)
          arc = ayil_store_append_purged(st, &nv.v, item.entry, item.entry_len,
                                         item.proof, item.proof_len);
        else if (item.body == NULL && e.has_body)
          arc = ayil_store_append_unavailable(st, item.entry, item.entry_len);
        else
          arc = ayil_store_append(st, item.entry, item.entry_len, item.body,
                                  item.body_len);
        ayil_store_head(st, e.origin, &after, hh);
        if (arc == 0 && after > before && e.op == AYIL_OP_DELETE)
          arc = ayil_reg_count_delete(st, sender, e.origin, e.seq,
                                      (uint64_t)time(NULL), NULL);
        if (arc == 0 && after > before)
          stats->added++;
        else if (arc == 0)
          stats->held++;
      }
      if (arc == AYIL_EOWNER)
        ayil_reg_alert_record(st, "not_owner", sender, e.origin, e.seq,
                              e.record, (uint64_t)time(NULL));
      /* A header the schema refuses (the entry decoded and verified). */
      hdr_bad = (arc == AYIL_EFORMAT || arc == AYIL_EVERSION) &&
                ayil_store_why(st)[0] != '\0';
      if (hdr_bad) {
        ayil_reg_alert_record(st, "bad_header", sender, e.origin, e.seq,
                              e.record, (uint64_t)time(NULL));
        if (stats->refused == 0)
          snprintf(stats->why, sizeof stats->why, "%s", ayil_store_why(st));
      }
      if (arc != 0) {
        /* Nothing after a refused entry of the same log can follow it. */
        if (stats->refused++ == 0) {
          memcpy(stats->refused_origin, e.origin, AYIL_ID_BYTES);
          stats->refused_seq = e.seq;
          stats->refused_err = arc;
          if (arc == AYIL_EREVOKED) {
            /* The policy stops a replaced node's log as a revoked one's;
             * the error says which. */
            ayil_device_t dev;
            if (ayil_reg_device(st, e.origin, &dev) == 0 &&
                strcmp(dev.state, AYIL_DEV_REPLACED) == 0)
              stats->refused_err = AYIL_EREPLACED;
          }
        }
        memcpy(refused_origin, e.origin, AYIL_ID_BYTES);
        have_refused = 1;
        if (arc != AYIL_EPERM && arc != AYIL_EREVOKED && arc != AYIL_EFORK &&
            arc != AYIL_ESEQ && arc != AYIL_ECHAIN && arc != AYIL_EOWNER &&
            !hdr_bad) {
          rc = arc; /* damage, not policy: stop */
          break;
        }
      }
      if (in_tx && ++batch % BATCH == 0) {
        rc = ayil_store_commit(st);
        in_tx = 0;
      }
    }
  }
  close(fd);
  if (rc == 0)
    ayil_bundle_r_sender(r, sender, &(uint64_t){0});
  if (introduced && !is_hub)
    take_acks(st, sk, hub_id, r, stats);
  if (in_tx) {
    /* Entries before any damage were verified one by one: keep them. */
    int crc = ayil_store_commit(st);
    if (rc == 0)
      rc = crc;
  }
  ayil_bundle_r_free(r);
  return rc;
}

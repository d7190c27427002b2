/*
 * Bundle files: export a node's entries for another node and import them,
 * with the same rules as live sync (see ayil/bundle.h for the codec).
 */
#ifndef AYIL_NODE_BUNDLE_H
#define AYIL_NODE_BUNDLE_H

#include <stdint.h>

#include "ayil/bundle.h"
#include "ayil/policy.h"
#include "store.h"

typedef struct {
  uint64_t items;   /* entries in the bundle */
  uint64_t added;   /* newly stored */
  uint64_t held;    /* already held, byte-identical: skipped */
  uint64_t refused; /* not accepted (policy, fork) */
  uint64_t bytes;   /* file size */
  /* The first refused entry, when refused > 0. */
  uint8_t refused_origin[AYIL_ID_BYTES];
  uint64_t refused_seq;
  int refused_err;
  char why[192]; /* a refused header: the field at fault, never a value */
  /* Committee: signed acknowledgements of its hub taken (peer_acks raised)
   * and ones that did not verify (ignored). */
  uint64_t acks, acks_bad;
  int admitted; /* hub: the writer was admitted here with its invite */
  int pending;  /* hub: ...its invite is valid; awaiting confirmation */
} ayil_bundle_stats_t;

/*
 * Writes `path` (refusing to overwrite) with the entries of each origin in
 * `origins` from seq from[i] on, sealed to `recipient`, carrying `nacks`
 * signed acknowledgements (a hub's, of the recipient's own log). `v`, the
 * policy's view of the recipient (NULL: none), leaves out of a log it takes
 * sparse what is not for it (ayil_node_sparse_next()). On a failure the
 * partial file is removed.
 */
int ayil_bundle_export(ayil_store_t *st, const uint8_t sender_sk[64],
                       const uint8_t recipient[AYIL_ID_BYTES],
                       const ayil_policy_view_t *v,
                       const uint8_t (*origins)[AYIL_ID_BYTES],
                       const uint64_t *from, size_t n, const uint8_t *token,
                       const ayil_bundle_ack_t *acks, size_t nacks,
                       const char *path, ayil_bundle_stats_t *stats);

/*
 * Imports `path` for the node whose key is `sk` (a hub, or a committee
 * whose hub is `hub_id`, NULL if it has none yet). Every entry is verified
 * (signature, chain, body hash, purge proof) and accepted or refused by the
 * replication policy exactly as live sync from the bundle's writer would
 * (ayil/policy.h); entries already held are skipped, so importing twice
 * changes nothing. On a hub, a writer never seen before that carries an
 * invite token is admitted with it first, as on its first connection
 * (stats->admitted). Entries refused by policy or continuity (a fork, a
 * revoked node, a gap) are counted and their log is skipped; damage to the
 * file stops the import, keeping what was verified before it. On a
 * committee, the acknowledgements the bundle carries that its hub signed for
 * this node raise what the hub acknowledged (peer_acks), up to what this
 * node holds, so that its next export leaves those entries out. `sender`
 * receives the id the bundle names as its writer.
 */
int ayil_bundle_import(ayil_store_t *st, const uint8_t sk[64], int is_hub,
                       const uint8_t *hub_id, const char *path,
                       ayil_bundle_stats_t *stats,
                       uint8_t sender[AYIL_ID_BYTES]);

#endif

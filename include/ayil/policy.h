/*
 * The replication policy: who offers and who wants which log, which entries
 * are accepted, and when a purged body is proven. Pure functions over a
 * small view that the embedder (node/, the simulator) fills in; nothing here
 * does I/O, allocates or keeps state. proto/PROTOCOL.md, "Replication
 * policy", is the same rule in prose.
 *
 * One view describes this node and one peer: the other end of a live
 * connection, or the writer of a bundle. The same view answers for live sync
 * (origins(), discover()), for bundle import and the store (accept(),
 * purge_ok()) and for `ayil status` (origins(), rows with AYIL_SYNC_OFFER).
 */
#ifndef AYIL_POLICY_H
#define AYIL_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "ayil/entry.h"
#include "ayil/sync.h"

#define AYIL_POLICY_HUB 1
#define AYIL_POLICY_COMMITTEE 2
/* A hub facing the hub above it (a regional hub facing the national hub):
 * it dials up as a committee does and forwards every log it holds. */
#define AYIL_POLICY_UPLINK 3
/* Logs a view can name beside this node and its hub: the rows of one have
 * payload (AYIL_SYNC_ROWS_MAX) less those two. A committee's devices (a
 * device and its successors), or every log under a hub of the tier below. */
#define AYIL_POLICY_DEVICES_MAX (AYIL_SYNC_ROWS_MAX - 2)

/* One device of the peer's committee, as the hub's registry knows it. */
typedef struct {
  uint8_t id[AYIL_ID_BYTES];
  int stopped;            /* revoked, or replaced by a successor */
  uint64_t stopped_after; /* stopped: the last seq of its log accepted */
} ayil_policy_device_t;

typedef struct {
  int role;            /* AYIL_POLICY_HUB, _COMMITTEE or _UPLINK */
  const uint8_t *self; /* this node's id */
  /* Committee: its hub's id. Uplink: the id of the hub above. Hub: the id
   * of the hub above if it has one (its notices count here), else NULL. */
  const uint8_t *hub;
  const uint8_t *peer; /* the other end, or the writer of a bundle */
  /* Hub, peer_hub 0: every device of the peer's committee, oldest first,
   * the peer among them; none (0) when the peer is not a registered device.
   * Hub, peer_hub 1: every log under the peer hub: the peer and its
   * predecessors, then every device that their notices admitted.
   * Uplink: every log this hub forwards: the devices of its committees.
   * Committee: its predecessors that the hub confirmed in signed notices
   * (admit with successor_of), oldest first; this node is not among them. */
  const ayil_policy_device_t *devices;
  size_t ndevices;
  /* Hub: the peer is a hub of the tier below, admitted here (a regional
   * hub facing the national hub). */
  int peer_hub;
  /* Optional: non-zero when `id` is a hub's log: this hub, the hub above,
   * a hub admitted below, or one of their predecessors. Their logs hold
   * notices only. NULL: only this view's hub (self on a hub) is one. */
  int (*is_hub)(void *ctx, const uint8_t id[AYIL_ID_BYTES]);
  /* Optional: non-zero when `a` and `b` are devices of one committee (on a
   * hub: its registry; on a committee: its lineage, itself and its
   * confirmed predecessors). NULL: both are this view's devices (or self,
   * on a committee); in an UPLINK or peer_hub view, whose devices are many
   * committees', only a and b the same. */
  int (*kin)(void *ctx, const uint8_t a[AYIL_ID_BYTES],
             const uint8_t b[AYIL_ID_BYTES]);
  /* Optional: non-zero when `origin`'s log forked here (it is then neither
   * wanted nor accepted). NULL: no log forked. */
  int (*forked)(void *ctx, const uint8_t origin[AYIL_ID_BYTES]);
  void *ctx;
} ayil_policy_view_t;

/*
 * The origins this node names to the peer, with their AYIL_SYNC_OFFER /
 * AYIL_SYNC_WANT flags, in a fixed order (it is the order of the have
 * payload's rows). Fills up to `cap` rows and sets *n to the number there
 * are (> cap: the caller's buffer was too small). An offered log goes up
 * to this node's durable head; a wanted one is accepted as accept() says.
 * Fits ayil_sync_config_t.origins(). AYIL_EINVAL for a bad view.
 *
 * `ayil status` counts what a peer still lacks with it: for each row with
 * AYIL_SYNC_OFFER, (head of the origin here) - (what the peer acked of it).
 */
int ayil_policy_origins(const ayil_policy_view_t *v, ayil_sync_origin_t *out,
                        size_t cap, size_t *n);

/* The flags for an origin the peer named that origins() did not list.
 * Fits ayil_sync_config_t.discover(). */
unsigned ayil_policy_discover(const ayil_policy_view_t *v,
                              const uint8_t origin[AYIL_ID_BYTES]);

/* The flags of any origin: its origins() row, else discover(). */
unsigned ayil_policy_flags(const ayil_policy_view_t *v,
                           const uint8_t origin[AYIL_ID_BYTES]);

/*
 * Whether entry `seq` of `origin`, coming from the view's peer (live or in
 * its bundle), may be stored: 0, AYIL_EFORK (the log forked here),
 * AYIL_EPERM (this node does not want the log from this peer) or
 * AYIL_EREVOKED (past the point where the device was stopped).
 */
int ayil_policy_accept(const ayil_policy_view_t *v,
                       const uint8_t origin[AYIL_ID_BYTES], uint64_t seq);

/*
 * Ownership: whether an entry with `op` from `origin` may change a record
 * whose first put came from `owner` (NULL: the record is new here).
 * - A notice may come only from a hub (this node on a hub, v->hub on a
 *   committee, and whatever is_hub() names: the hub above, a hub below);
 *   a hub's log holds notices only, so a put or delete from a hub is
 *   refused: a hub forwards committees' records, it never makes, changes
 *   or deletes one.
 * - A put that creates a record makes its origin the owner.
 * - A put or delete of an existing record is applied only when its origin
 *   is the owner or a device of the owner's committee (kin()).
 * 0 or AYIL_EOWNER. A view with no role (0) knows no hub and no kin: only
 * the owner may change its records there.
 */
int ayil_policy_change_ok(const ayil_policy_view_t *v, const uint8_t *owner,
                          const uint8_t origin[AYIL_ID_BYTES], uint32_t op);

/* Whether `a` and `b` are one committee's devices, as the view knows it. */
int ayil_policy_kin(const ayil_policy_view_t *v, const uint8_t a[AYIL_ID_BYTES],
                    const uint8_t b[AYIL_ID_BYTES]);

/*
 * Sparse logs (PROTOCOL.md, "Sparse logs"): a hub's log holds notices, and
 * a committee needs only those that name one of its own devices. Whether
 * `origin`'s log goes sparse between this node and the view's peer: on a
 * committee, its hub's log, which it takes sparse (origins() marks that
 * row AYIL_SYNC_SPARSE); on a hub facing a registered device of a
 * committee, the hub's own log, which it sends sparse when the peer asks.
 * Between two tiers of hubs no log is sparse.
 */
int ayil_policy_sparse(const ayil_policy_view_t *v,
                       const uint8_t origin[AYIL_ID_BYTES]);

/* For a log that ayil_policy_sparse() says a hub sends sparse: whether its
 * notice about `node` goes to the view's peer, i.e. `node` is a device of
 * the peer's committee (its admission, its revocation, its successor). */
int ayil_policy_notice_for(const ayil_policy_view_t *v,
                           const uint8_t node[AYIL_ID_BYTES]);

/* Answers whether this node wants `origin`'s log (AYIL_SYNC_WANT). */
typedef unsigned (*ayil_policy_wants_cb)(void *ctx,
                                         const uint8_t origin[AYIL_ID_BYTES]);

/*
 * Whether `proof` (untrusted bytes) proves that the body of entry `seq` of
 * `origin`, of record `record`, with body `body_hash`, was purged: it must
 * be a canonical, correctly signed entry of the same record that removed
 * the body -- an OP_DELETE, or an OP_PUT that superseded it (no body, or
 * another body hash: the identifying fields were replaced) -- written later
 * in the same log (proof seq > seq) or in the log of another origin that
 * `wants` says this node wants (a successor in the same committee).
 * 0, or the entry decoder's error, AYIL_ESIG (does not verify), AYIL_EPEER
 * (not a DELETE of that record, or not later in the same log) or
 * AYIL_EPERM (written by a key whose log this node does not want).
 */
int ayil_policy_purge_check(const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                            const uint8_t record[AYIL_RECID_BYTES],
                            const uint8_t body_hash[AYIL_HASH_BYTES],
                            const uint8_t *proof, size_t proof_len,
                            ayil_policy_wants_cb wants, void *ctx);

/* ayil_policy_purge_check() for the encoded entry `entry`, where a proof
 * from another origin must come from a device that may change the
 * entry's record (ayil_policy_change_ok() with the entry's origin as
 * owner): a successor in the same committee, never the hub. AYIL_EOWNER
 * otherwise. */
int ayil_policy_purge_ok(const ayil_policy_view_t *v, const uint8_t *entry,
                         size_t entry_len, const uint8_t *proof,
                         size_t proof_len);

#endif

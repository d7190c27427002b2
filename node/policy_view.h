/*
 * Fills the replication policy's view (include/ayil/policy.h) from the
 * store and its registry, for one peer: ayild per connection, bundle import
 * per bundle writer, the store's purge check, `ayil status` per peer.
 */
#ifndef AYIL_POLICY_VIEW_H
#define AYIL_POLICY_VIEW_H

#include "ayil/policy.h"
#include "store.h"

/* A view and the storage it points into: fill it in place, do not copy. */
typedef struct {
  ayil_policy_view_t v;
  ayil_policy_device_t dev[AYIL_POLICY_DEVICES_MAX];
  uint8_t self[AYIL_ID_BYTES], hub[AYIL_ID_BYTES], peer[AYIL_ID_BYTES];
} ayil_node_view_t;

/*
 * Fills `nv` for this node (`self`, hub or committee) facing `peer`. A
 * committee passes its hub's id (NULL: none yet); a hub reads the peer's
 * committee and its devices from the registry (none when the peer is not
 * registered). Forks are looked up in the store's alerts as the policy asks.
 * `st` must outlive the view. 0 or a store error.
 */
int ayil_node_view(ayil_node_view_t *nv, ayil_store_t *st, int is_hub,
                   const uint8_t self[AYIL_ID_BYTES], const uint8_t *hub,
                   const uint8_t peer[AYIL_ID_BYTES]);

/*
 * Sparse logs (ayil_policy_sparse()): of `origin`'s entries after `after`
 * and up to `upto`, the ones the view's peer is to get -- for a log sent
 * sparse, the notices that ayil_policy_notice_for() gives the peer, and any
 * entry that is no notice (a hub's log should hold none; the peer refuses
 * it, and says so); for any other log, all of them. *next (optional): the
 * first, or 0 if none; *count (optional): how many. 0 or a store error.
 */
int ayil_node_sparse_next(ayil_store_t *st, const ayil_policy_view_t *v,
                          const uint8_t origin[AYIL_ID_BYTES], uint64_t after,
                          uint64_t upto, uint64_t *next, uint64_t *count);

#endif

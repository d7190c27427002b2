/* The policy's view, filled from the registry: see policy_view.h. */
#include <stdint.h>
#include <string.h>

#include <sqlite3.h>

#include "policy_view.h"
#include "registry.h"
#include "store_int.h"

static int forked(void *ctx, const uint8_t origin[AYIL_ID_BYTES]) {
  return ayil_reg_forked(ctx, origin);
}

static int kin(void *ctx, const uint8_t a[AYIL_ID_BYTES],
               const uint8_t b[AYIL_ID_BYTES]) {
  return ayil_store_kin(ctx, a, b);
}

int ayil_node_view(ayil_node_view_t *nv, ayil_store_t *st, int is_hub,
                   const uint8_t self[AYIL_ID_BYTES], const uint8_t *hub,
                   const uint8_t peer[AYIL_ID_BYTES]) {
  uint8_t ids[AYIL_POLICY_DEVICES_MAX][AYIL_ID_BYTES];
  ayil_device_t dev;
  size_t nd = 0, i;
  int rc;
  memset(nv, 0, sizeof *nv);
  memcpy(nv->self, self, AYIL_ID_BYTES);
  memcpy(nv->peer, peer, AYIL_ID_BYTES);
  if (hub != NULL)
    memcpy(nv->hub, hub, AYIL_ID_BYTES);
  nv->v.role = is_hub ? AYIL_POLICY_HUB : AYIL_POLICY_COMMITTEE;
  nv->v.self = nv->self;
  nv->v.hub = nv->hub;
  nv->v.peer = nv->peer;
  nv->v.devices = nv->dev;
  nv->v.forked = forked;
  nv->v.kin = kin;
  nv->v.ctx = st;
  if (is_hub)
    nv->v.is_hub = ayil__store_is_hub_cb;
  if (!is_hub || ayil_store_is_hub_above(st, peer)) {
    /* A committee facing its hub: the predecessors its hub confirmed. A
     * hub facing the hub above it (uplink): the hubs it replaced (their
     * notices say which committees it takes over), then every device of
     * its committees: every log it forwards. */
    size_t np = 0;
    rc = ayil_store_lineage(st, ids, AYIL_POLICY_DEVICES_MAX, &np);
    if (rc != 0)
      return rc;
    if (np > AYIL_POLICY_DEVICES_MAX)
      np = AYIL_POLICY_DEVICES_MAX;
    if (is_hub) {
      nv->v.role = AYIL_POLICY_UPLINK;
      memcpy(nv->hub, peer, AYIL_ID_BYTES);
      rc = ayil_reg_below(st, 0, ids + np, AYIL_POLICY_DEVICES_MAX - np, &nd);
      if (rc != 0)
        return rc;
    }
    nd += np;
    if (nd > AYIL_POLICY_DEVICES_MAX)
      nd = AYIL_POLICY_DEVICES_MAX;
    for (i = 0; i < nd; i++)
      memcpy(nv->dev[i].id, ids[i], AYIL_ID_BYTES);
    nv->v.ndevices = nd;
    return 0;
  }
  rc = ayil_reg_device(st, peer, &dev);
  if (rc == AYIL_ENOTFOUND)
    return 0;
  if (rc != 0)
    return rc;
  nv->v.peer_hub = strcmp(dev.kind, AYIL_KIND_HUB) == 0;
  rc =
      nv->v.peer_hub
          ? ayil_reg_below(st, dev.committee, ids, AYIL_POLICY_DEVICES_MAX, &nd)
          : ayil_reg_committee_devices(st, dev.committee, ids,
                                       AYIL_POLICY_DEVICES_MAX, &nd);
  if (rc != 0)
    return rc;
  if (nd > AYIL_POLICY_DEVICES_MAX)
    nd = AYIL_POLICY_DEVICES_MAX;
  for (i = 0; i < nd; i++) {
    ayil_device_t d;
    memcpy(nv->dev[i].id, ids[i], AYIL_ID_BYTES);
    rc = ayil_reg_device(st, ids[i], &d);
    if (rc != 0)
      return rc;
    /* A device under a hub below is stopped by that hub, which forwards
     * nothing past its stop; here only the hub's own devices are. */
    if (d.committee == dev.committee) {
      nv->dev[i].stopped = d.revoked;
      nv->dev[i].stopped_after = d.revoked_after;
    }
  }
  nv->v.ndevices = nd;
  return 0;
}

int ayil_node_sparse_next(ayil_store_t *st, const ayil_policy_view_t *v,
                          const uint8_t origin[AYIL_ID_BYTES], uint64_t after,
                          uint64_t upto, uint64_t *next, uint64_t *count) {
  sqlite3_stmt *s = NULL;
  uint64_t n = 0, first = 0;
  int rc;
  if (next != NULL)
    *next = 0;
  if (count != NULL)
    *count = 0;
  if (upto > INT64_MAX)
    upto = INT64_MAX;
  if (after >= upto)
    return 0;
  if (!ayil_policy_sparse(v, origin)) {
    if (next != NULL)
      *next = after + 1;
    if (count != NULL)
      *count = upto - after;
    return 0;
  }
  /* A hub's log holds notices only, each folded into `notices` (its
   * entry's n) as it was stored: the node each names, in log order. An
   * entry that is no notice should not be there; it goes too, so that the
   * peer refuses it and says so (a compromised hub is seen). */
  rc = ayil__store_stmt(st,
                        "SELECT e.seq, t.node FROM log_entries e LEFT JOIN "
                        "notices t ON t.n = e.n WHERE e.log = (SELECT id FROM "
                        "logs WHERE origin = ?1) AND e.seq > ?2 AND e.seq <= "
                        "?3 ORDER BY e.seq",
                        &s);
  if (rc != 0)
    return rc;
  sqlite3_bind_blob(s, 1, origin, AYIL_ID_BYTES, SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, (sqlite3_int64)after);
  sqlite3_bind_int64(s, 3, (sqlite3_int64)upto);
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (sqlite3_column_type(s, 1) != SQLITE_NULL &&
        (sqlite3_column_bytes(s, 1) != AYIL_ID_BYTES ||
         !ayil_policy_notice_for(v, sqlite3_column_blob(s, 1))))
      continue;
    if (n++ == 0)
      first = (uint64_t)sqlite3_column_int64(s, 0);
    if (count == NULL)
      break; /* the first is all the caller asked */
  }
  sqlite3_reset(s);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return ayil__store_rc(rc);
  if (next != NULL)
    *next = first;
  if (count != NULL)
    *count = n;
  return 0;
}

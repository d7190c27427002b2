/*
 * The service API's bundles (node/node.h): sync on a USB stick. Which logs
 * a bundle carries is what the replication policy (proto/policy.c) offers
 * its recipient, exactly as live sync would; node/bundle.c owns the file.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "ayil/error.h"
#include "bundle.h"
#include "node_int.h"
#include "policy_view.h"
#include "registry.h"

int ayil_node_bundle_export(ayil_node_t *n, const char *to, int all,
                            const char *path, ayil_node_bundle_out_t *out) {
  ayil_node_view_t nv;
  ayil_sync_origin_t rows[AYIL_POLICY_DEVICES_MAX + 2];
  uint8_t origins[AYIL_POLICY_DEVICES_MAX + 2][AYIL_ID_BYTES];
  uint64_t from[AYIL_POLICY_DEVICES_MAX + 2];
  uint8_t hub[AYIL_ID_BYTES], token[AYIL_TOKEN_BYTES];
  ayil_bundle_ack_t ack;
  size_t nacks = 0;
  const uint8_t *hubp = NULL;
  size_t nrows = 0, k, no = 0;
  int is_hub = !ayil_node_is_committee(n), has_token = 0, rc;
  ayil_bundle_stats_t stats;
  memset(out, 0, sizeof *out);
  if (!n->ident_loaded)
    return ayil__node_fail(n, AYIL_ESTATE, 0, "bundle export: no identity");
  if (is_hub) {
    ayil_device_t dev;
    if (to == NULL)
      return ayil__node_fail(n, AYIL_EINVAL, 1,
                             "bundle export: on a hub, --to NODE_ID names the "
                             "committee node it is for");
    /* a whole id, a unique prefix of one, or the committee's name */
    if (ayil_node_node_resolve(n, to, out->recipient) != 0)
      return n->err.code;
    if (ayil_reg_device(n->store, out->recipient, &dev) != 0) {
      char t[AYIL_ID_TEXT];
      ayil_id_to_text(out->recipient, t);
      return ayil__node_fail(n, AYIL_ENOTFOUND, 1,
                             "bundle export: node %s is not registered here",
                             t);
    }
  } else {
    if (to != NULL)
      return ayil__node_fail(n, AYIL_EINVAL, 1,
                             "bundle export: a committee's bundles are for "
                             "its hub; --to is for hubs");
    if (ayil_id_from_text(n->conf.hub_id, hub) != 0)
      return ayil__node_fail(n, AYIL_ESTATE, 1,
                             "bundle export: this node has no hub yet (ayil "
                             "join CODE)");
    memcpy(out->recipient, hub, AYIL_ID_BYTES);
    hubp = hub;
    has_token = ayil_reg_token_get(n->store, token) == 0;
  }
  /* The logs the policy offers the recipient, from what it acknowledged. */
  rc = ayil_node_view(&nv, n->store, is_hub, n->ident.pk, hubp, out->recipient);
  if (rc == 0)
    rc = ayil_policy_origins(&nv.v, rows, sizeof rows / sizeof rows[0], &nrows);
  if (rc != 0) {
    sodium_memzero(token, sizeof token);
    return ayil__node_fail(n, rc, 0, "store: %s", ayil_strerror(rc));
  }
  if (nrows > sizeof rows / sizeof rows[0])
    nrows = sizeof rows / sizeof rows[0];
  /* The writer's own log first: a hub's notices confirm the predecessors
   * whose logs follow, and the reader takes them in this order. */
  for (k = 0; k < nrows; k++)
    if (memcmp(rows[k].id, n->ident.pk, AYIL_ID_BYTES) == 0 && k > 0) {
      ayil_sync_origin_t own = rows[k];
      memmove(&rows[1], &rows[0], k * sizeof rows[0]);
      rows[0] = own;
      break;
    }
  for (k = 0; k < nrows; k++) {
    if (!(rows[k].flags & AYIL_SYNC_OFFER))
      continue;
    memcpy(origins[no], rows[k].id, AYIL_ID_BYTES);
    from[no] = 1;
    if (!all && ayil_reg_peer_acked(n->store, out->recipient, rows[k].id,
                                    &from[no]) == 0)
      from[no]++;
    no++;
  }
  /* A hub acknowledges what it holds of the recipient's own log, signed
   * for it: after the import the committee leaves those entries out. */
  if (is_hub) {
    uint8_t hh[AYIL_HASH_BYTES];
    memset(&ack, 0, sizeof ack);
    memcpy(ack.origin, out->recipient, AYIL_ID_BYTES);
    if (ayil_store_head(n->store, out->recipient, &ack.seq, hh) == 0 &&
        ack.seq > 0) {
      ayil_bundle_ack_sign(n->ident.sk, out->recipient, &ack);
      nacks = 1;
    }
  }
  rc = ayil_bundle_export(n->store, n->ident.sk, out->recipient, &nv.v,
                          (const uint8_t(*)[AYIL_ID_BYTES])origins, from, no,
                          has_token ? token : NULL, &ack, nacks, path, &stats);
  sodium_memzero(token, sizeof token);
  if (rc == AYIL_EEXISTS)
    return ayil__node_fail(n, rc, 1, "bundle export: %s already exists", path);
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "bundle export: %s: %s", path,
                           ayil_strerror(rc));
  out->items = stats.items;
  out->bytes = stats.bytes;
  return 0;
}

int ayil_node_bundle_import(ayil_node_t *n, const char *path,
                            ayil_bundle_stats_t *stats,
                            uint8_t sender[AYIL_ID_BYTES]) {
  uint8_t hub[AYIL_ID_BYTES];
  int has_hub = ayil_id_from_text(n->conf.hub_id, hub) == 0;
  int rc;
  memset(stats, 0, sizeof *stats);
  if (!n->ident_loaded)
    return ayil__node_fail(n, AYIL_ESTATE, 0, "bundle import: no identity");
  rc = ayil_bundle_import(n->store, n->ident.sk, !ayil_node_is_committee(n),
                          has_hub ? hub : NULL, path, stats, sender);
  if (rc == AYIL_ENOTFOUND || rc == AYIL_EPERM)
    return ayil__node_fail(n, rc, 1, "bundle import: cannot read %s", path);
  if (rc == AYIL_EAUTH)
    return ayil__node_fail(n, rc, 1,
                           "bundle import: %s is sealed to another node", path);
  if (rc != 0)
    return ayil__node_fail(
        n, rc, rc != AYIL_EFULL,
        "bundle import: %s is damaged or not a bundle (%s); %llu entries "
        "before the damage were verified and kept",
        path, ayil_strerror(rc), (unsigned long long)stats->added);
  return 0;
}

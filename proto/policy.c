/* The replication policy: see include/ayil/policy.h and PROTOCOL.md. */
#include <string.h>

#include "ayil/policy.h"
#include "sync_int.h"

static int same(const uint8_t *a, const uint8_t *b) {
  return a != NULL && b != NULL && memcmp(a, b, AYIL_ID_BYTES) == 0;
}

static int is_forked(const ayil_policy_view_t *v, const uint8_t *origin) {
  return v->forked != NULL && v->forked(v->ctx, origin) != 0;
}

static int view_ok(const ayil_policy_view_t *v) {
  if (v == NULL || v->self == NULL || v->peer == NULL ||
      (v->ndevices > 0 && v->devices == NULL) ||
      v->ndevices > AYIL_POLICY_DEVICES_MAX)
    return 0;
  if (v->role == AYIL_POLICY_COMMITTEE || v->role == AYIL_POLICY_UPLINK)
    return v->hub != NULL;
  return v->role == AYIL_POLICY_HUB;
}

/* The hub's id as this view knows it, or NULL. */
static const uint8_t *hub_of(const ayil_policy_view_t *v) {
  if (v == NULL)
    return NULL;
  if (v->role == AYIL_POLICY_HUB || v->role == AYIL_POLICY_UPLINK)
    return v->self;
  return v->role == AYIL_POLICY_COMMITTEE ? v->hub : NULL;
}

/* Whether `id` is a hub's log here: its logs hold notices only. The peer
 * of a peer_hub view is a hub whatever is_hub() says (or without one). */
static int hub_log(const ayil_policy_view_t *v, const uint8_t *id) {
  if (same(id, hub_of(v)) ||
      (v->role != AYIL_POLICY_COMMITTEE && same(id, v->hub)) ||
      (v->role == AYIL_POLICY_HUB && v->peer_hub && same(id, v->peer)))
    return 1;
  return v->is_hub != NULL && v->is_hub(v->ctx, id) != 0;
}

static int listed(const ayil_policy_view_t *v, const uint8_t *id) {
  size_t i;
  if (v->role == AYIL_POLICY_COMMITTEE && same(id, v->self))
    return 1;
  for (i = 0; i < v->ndevices && v->devices != NULL; i++)
    if (same(v->devices[i].id, id))
      return 1;
  return 0;
}

int ayil_policy_kin(const ayil_policy_view_t *v, const uint8_t a[AYIL_ID_BYTES],
                    const uint8_t b[AYIL_ID_BYTES]) {
  if (v == NULL || a == NULL || b == NULL)
    return 0;
  if (same(a, b))
    return 1;
  if (v->role != AYIL_POLICY_HUB && v->role != AYIL_POLICY_COMMITTEE &&
      v->role != AYIL_POLICY_UPLINK)
    return 0;
  if (v->kin != NULL)
    return v->kin(v->ctx, a, b) != 0;
  /* Between two tiers of hubs the devices are many committees' (and hubs'):
   * without kin() no two of them are known to be one committee's. */
  if (v->role == AYIL_POLICY_UPLINK || v->peer_hub)
    return 0;
  return listed(v, a) && listed(v, b);
}

int ayil_policy_change_ok(const ayil_policy_view_t *v, const uint8_t *owner,
                          const uint8_t origin[AYIL_ID_BYTES], uint32_t op) {
  const uint8_t *hub = hub_of(v);
  if (origin == NULL)
    return AYIL_EOWNER;
  if (op == AYIL_OP_NOTICE)
    return hub == NULL || hub_log(v, origin) ? 0 : AYIL_EOWNER;
  if (op != AYIL_OP_PUT && op != AYIL_OP_DELETE)
    return 0;
  if (hub != NULL && hub_log(v, origin))
    return AYIL_EOWNER; /* a hub's log holds notices only */
  if (owner == NULL)
    return op == AYIL_OP_PUT ? 0 : AYIL_EOWNER;
  return ayil_policy_kin(v, owner, origin) ? 0 : AYIL_EOWNER;
}

static void put(ayil_sync_origin_t *out, size_t cap, size_t *k,
                const uint8_t *id, unsigned flags) {
  if (*k < cap) {
    memcpy(out[*k].id, id, AYIL_ID_BYTES);
    out[*k].flags = flags;
  }
  (*k)++;
}

int ayil_policy_origins(const ayil_policy_view_t *v, ayil_sync_origin_t *out,
                        size_t cap, size_t *n) {
  size_t k = 0, i;
  if (!view_ok(v) || (out == NULL && cap > 0))
    return AYIL_EINVAL;
  if (v->role == AYIL_POLICY_COMMITTEE) {
    /* Its own log goes up; the hub's log comes down, and so do the logs
     * of the predecessors that the hub confirmed (a successor's history),
     * unless they forked. Nothing else: a hub cannot push a stranger's or
     * another committee's log onto a committee. */
    put(out, cap, &k, v->self, AYIL_SYNC_OFFER);
    if (!is_forked(v, v->hub))
      put(out, cap, &k, v->hub, AYIL_SYNC_WANT | AYIL_SYNC_SPARSE);
    for (i = 0; i < v->ndevices; i++)
      if (!same(v->devices[i].id, v->self) && !same(v->devices[i].id, v->hub) &&
          !is_forked(v, v->devices[i].id))
        put(out, cap, &k, v->devices[i].id, AYIL_SYNC_WANT);
  } else if (v->role == AYIL_POLICY_UPLINK || v->peer_hub) {
    /* Between two tiers of hubs every log under the lower hub goes both
     * ways: up, so the upper hub holds the backups of the backups; down,
     * so a replacement of the lower hub gets its history back. The lower
     * hub wants the upper hub's notices; the upper hub offers them. */
    if (v->role == AYIL_POLICY_UPLINK) {
      put(out, cap, &k, v->self, AYIL_SYNC_OFFER);
      if (!is_forked(v, v->hub))
        put(out, cap, &k, v->hub, AYIL_SYNC_WANT);
    }
    for (i = 0; i < v->ndevices; i++) {
      const uint8_t *id = v->devices[i].id;
      unsigned f = AYIL_SYNC_OFFER;
      if (same(id, v->self) || same(id, v->hub))
        continue;
      if (!is_forked(v, id))
        f |= AYIL_SYNC_WANT;
      put(out, cap, &k, id, f);
    }
    if (v->role == AYIL_POLICY_HUB)
      put(out, cap, &k, v->self, AYIL_SYNC_OFFER);
  } else {
    /* Every log of the peer's committee goes down, so a successor gets its
     * history; only the peer's own log comes up, unless it forked. */
    for (i = 0; i < v->ndevices; i++) {
      const uint8_t *id = v->devices[i].id;
      unsigned f = AYIL_SYNC_OFFER;
      if (same(id, v->peer) && !is_forked(v, id))
        f |= AYIL_SYNC_WANT;
      put(out, cap, &k, id, f);
    }
    put(out, cap, &k, v->self, AYIL_SYNC_OFFER);
  }
  *n = k;
  return 0;
}

int ayil_policy_sparse(const ayil_policy_view_t *v,
                       const uint8_t origin[AYIL_ID_BYTES]) {
  if (!view_ok(v) || origin == NULL)
    return 0;
  if (v->role == AYIL_POLICY_COMMITTEE)
    return same(origin, v->hub);
  return v->role == AYIL_POLICY_HUB && !v->peer_hub && v->ndevices > 0 &&
         same(origin, v->self);
}

int ayil_policy_notice_for(const ayil_policy_view_t *v,
                           const uint8_t node[AYIL_ID_BYTES]) {
  size_t i;
  if (!view_ok(v) || node == NULL || v->role != AYIL_POLICY_HUB || v->peer_hub)
    return 0;
  for (i = 0; i < v->ndevices; i++)
    if (same(v->devices[i].id, node))
      return 1;
  return 0;
}

unsigned ayil_policy_discover(const ayil_policy_view_t *v,
                              const uint8_t origin[AYIL_ID_BYTES]) {
  /* Every log a node wants is in its origins() rows: an origin the peer
   * names beyond them is neither wanted nor offered. */
  (void)v;
  (void)origin;
  return 0;
}

unsigned ayil_policy_flags(const ayil_policy_view_t *v,
                           const uint8_t origin[AYIL_ID_BYTES]) {
  ayil_sync_origin_t rows[AYIL_POLICY_DEVICES_MAX + 2];
  size_t n = 0, i;
  if (ayil_policy_origins(v, rows, AYIL_POLICY_DEVICES_MAX + 2, &n) != 0)
    return 0;
  for (i = 0; i < n && i < AYIL_POLICY_DEVICES_MAX + 2; i++)
    if (same(rows[i].id, origin))
      return rows[i].flags;
  return ayil_policy_discover(v, origin);
}

int ayil_policy_accept(const ayil_policy_view_t *v,
                       const uint8_t origin[AYIL_ID_BYTES], uint64_t seq) {
  size_t i;
  if (!view_ok(v))
    return AYIL_EINVAL;
  if (is_forked(v, origin))
    return AYIL_EFORK;
  if (!(ayil_policy_flags(v, origin) & AYIL_SYNC_WANT))
    return AYIL_EPERM;
  if (v->role == AYIL_POLICY_HUB)
    for (i = 0; i < v->ndevices; i++)
      if (same(v->devices[i].id, origin) && v->devices[i].stopped &&
          seq > v->devices[i].stopped_after)
        return AYIL_EREVOKED;
  return 0;
}

int ayil_policy_purge_check(const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                            const uint8_t record[AYIL_RECID_BYTES],
                            const uint8_t body_hash[AYIL_HASH_BYTES],
                            const uint8_t *proof, size_t proof_len,
                            ayil_policy_wants_cb wants, void *ctx) {
  ayil_entry_t pe;
  int rc;
  if (proof == NULL || proof_len == 0)
    return AYIL_EPEER;
  rc = ayil__mp_check_entry(proof, proof_len);
  if (rc == 0)
    rc = ayil_entry_decode(&pe, proof, proof_len);
  if (rc != 0)
    return rc;
  if (ayil_entry_verify(&pe) != 0)
    return AYIL_ESIG;
  if (memcmp(pe.record, record, AYIL_RECID_BYTES) != 0)
    return AYIL_EPEER;
  /* A delete, or an update that superseded the body (another body, or
   * none: the identifying fields were replaced). */
  if (pe.op != AYIL_OP_DELETE &&
      !(pe.op == AYIL_OP_PUT &&
        (!pe.has_body || body_hash == NULL ||
         memcmp(pe.body_hash, body_hash, AYIL_HASH_BYTES) != 0)))
    return AYIL_EPEER;
  if (same(pe.origin, origin))
    return pe.seq > seq ? 0 : AYIL_EPEER;
  /* Another device of the committee (a successor) deleted it. */
  if (wants != NULL && (wants(ctx, pe.origin) & AYIL_SYNC_WANT))
    return 0;
  return AYIL_EPERM;
}

/* A proof from another origin: it must be allowed to change the record. */
static unsigned view_may_purge(void *ctx, const uint8_t writer[AYIL_ID_BYTES]) {
  const void **c = ctx;
  return ayil_policy_change_ok(c[0], c[1], writer, AYIL_OP_DELETE) == 0
             ? AYIL_SYNC_WANT
             : 0;
}

int ayil_policy_purge_ok(const ayil_policy_view_t *v, const uint8_t *entry,
                         size_t entry_len, const uint8_t *proof,
                         size_t proof_len) {
  ayil_entry_t e;
  const void *c[2];
  int rc;
  if (!view_ok(v))
    return AYIL_EINVAL;
  rc = ayil_entry_decode(&e, entry, entry_len);
  if (rc != 0)
    return rc;
  if (!e.has_body)
    return AYIL_EPEER; /* nothing to purge */
  c[0] = v;
  c[1] = e.origin;
  rc = ayil_policy_purge_check(e.origin, e.seq, e.record, e.body_hash, proof,
                               proof_len, view_may_purge, c);
  if (rc == AYIL_EPERM)
    return AYIL_EOWNER;
  if (rc == 0 && v->role == AYIL_POLICY_HUB) {
    /* A stopped device's entries past its stop prove nothing here. */
    ayil_entry_t pe;
    size_t i;
    if (ayil_entry_decode(&pe, proof, proof_len) != 0)
      return AYIL_EPEER;
    for (i = 0; i < v->ndevices; i++)
      if (same(v->devices[i].id, pe.origin) && v->devices[i].stopped &&
          pe.seq > v->devices[i].stopped_after)
        return AYIL_EREVOKED;
  }
  return rc;
}

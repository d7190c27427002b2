/*
 * Body repair (PROTOCOL.md, "Sync", body repair): a side that holds an
 * entry but no sound copy of its body (damaged in its store, or received
 * unavailable) asks the peer for it with WANTBODY; a peer that offers that
 * log and holds the body answers with REPAIR; the asker checks the body
 * against the entry's body hash before it hands it to repair().
 */
#include <stdlib.h>
#include <string.h>

#include "ayil/error.h"
#include "sync_state.h"

/* The requests of this side: asked once, per connection, right after the
 * peer's have (bounded by AYIL__REPAIR_MAX). */
int ayil__sync_repair_scan(ayil_sync_t *s) {
  size_t i;
  if (s->cfg.lacking == NULL)
    return 0;
  for (i = 0; i < s->nslots && s->rp_nwant < AYIL__REPAIR_MAX; i++) {
    slot_t *sl = &s->slots[i];
    uint64_t after = 0, seq = 0;
    int guard;
    /* Only a log this side named and the peer offers, up to what the
     * peer's have said it holds. */
    if (sl->my_idx < 0 || sl->peer_idx < 0 || sl->forked ||
        !(sl->peer_flags & AYIL_SYNC_OFFER))
      continue;
    for (guard = 0; guard < AYIL__REPAIR_MAX && s->rp_nwant < AYIL__REPAIR_MAX;
         guard++) {
      int rc =
          ayil__sync_cb_rc(s->cfg.lacking(s->cfg.ctx, sl->id, after, &seq));
      if (rc != 0)
        return rc;
      if (seq == 0 || seq <= after || seq > sl->peer_seq)
        break;
      s->rp_want[s->rp_nwant].slot = (uint32_t)i;
      s->rp_want[s->rp_nwant].seq = seq;
      s->rp_nwant++;
      after = seq;
    }
  }
  return 0;
}

/* [9, idx, seq]: idx in this side's list. */
static void send_want(ayil_sync_t *s, size_t *len) {
  ayil__wbuf_t w;
  const slot_t *sl = &s->slots[s->rp_want[s->rp_wsent].slot];
  ayil__wbuf_init(&w, s->out, s->cfg.msg_max);
  msgpack_pack_array(&w.pk, 3);
  msgpack_pack_uint32(&w.pk, AYIL__SYNC_WANTBODY);
  msgpack_pack_uint32(&w.pk, (uint32_t)sl->my_idx);
  msgpack_pack_uint64(&w.pk, s->rp_want[s->rp_wsent].seq);
  s->rp_wsent++;
  *len = w.len;
}

/* [10, idx, seq, body]: idx in this side's list. A body that is not held
 * here (purged, unavailable) or does not fit one message is not sent. */
static int send_answer(ayil_sync_t *s, size_t *len) {
  uint32_t si = s->rp_ans[s->rp_asent].slot;
  uint64_t seq = s->rp_ans[s->rp_asent].seq;
  const slot_t *sl = &s->slots[si];
  ayil_sync_item_t it;
  ayil_entry_t e;
  uint8_t bh[AYIL_HASH_BYTES];
  ayil__wbuf_t w;
  int rc;
  s->rp_asent++;
  memset(&it, 0, sizeof it);
  rc = ayil__sync_cb_rc(s->cfg.get(s->cfg.ctx, sl->id, seq, &it));
  if (rc == AYIL_ENOTFOUND)
    return 0;
  if (rc != 0)
    return rc;
  if (it.entry == NULL || ayil_entry_decode(&e, it.entry, it.entry_len) != 0)
    return AYIL_ECORRUPT;
  if (!e.has_body || it.body == NULL ||
      it.body_len + MSG_HDR_RESERVE > s->cfg.msg_max)
    return 0;
  ayil_body_hash(it.body, it.body_len, bh);
  if (memcmp(bh, e.body_hash, AYIL_HASH_BYTES) != 0)
    return 0;
  ayil__wbuf_init(&w, s->out, s->cfg.msg_max);
  msgpack_pack_array(&w.pk, 4);
  msgpack_pack_uint32(&w.pk, AYIL__SYNC_REPAIR);
  msgpack_pack_uint32(&w.pk, (uint32_t)sl->my_idx);
  msgpack_pack_uint64(&w.pk, seq);
  ayil__pack_bin(&w.pk, it.body, it.body_len);
  if (w.overflow)
    return AYIL_ETOOBIG;
  *len = w.len;
  return 0;
}

int ayil__sync_repair_poll(ayil_sync_t *s, size_t *len) {
  if (s->rp_asent < s->rp_nans)
    return send_answer(s, len);
  if (s->rp_wsent < s->rp_nwant)
    send_want(s, len);
  return 0;
}

int ayil__sync_on_wantbody(ayil_sync_t *s, ayil__mp_t *r, size_t n) {
  uint64_t idx = 0, seq = 0;
  slot_t *sl;
  int rc = ayil__msg_idx_seq(r, n, 3, &idx, &seq);
  if (rc != 0)
    return rc;
  if (seq == 0)
    return AYIL_EFORMAT;
  if (idx >= s->ntheirs)
    return AYIL_EPEER;
  sl = &s->slots[s->theirs[idx]];
  /* Only a log this side offers the peer: a body is never handed out
   * where its entries would not go. */
  if (!(sl->my_flags & AYIL_SYNC_OFFER))
    return AYIL_EPERM;
  if (s->rp_nans >= AYIL__REPAIR_MAX)
    return AYIL_EPEER; /* more than a side ever asks on one connection */
  if (sl->forked || seq > sl->my_seq)
    return 0; /* nothing to answer with: no answer */
  s->rp_ans[s->rp_nans].slot = s->theirs[idx];
  s->rp_ans[s->rp_nans].seq = seq;
  s->rp_nans++;
  return 0;
}

int ayil__sync_on_repair(ayil_sync_t *s, ayil__mp_t *r, size_t n) {
  uint64_t idx = 0, seq = 0;
  const uint8_t *body = NULL;
  size_t blen = 0, i;
  uint32_t si;
  ayil_sync_item_t it;
  ayil_entry_t e;
  uint8_t bh[AYIL_HASH_BYTES];
  int rc = ayil__msg_idx_seq(r, n, 4, &idx, &seq);
  if (rc == 0)
    rc = ayil__mp_bin(r, AYIL_BODY_MAX, &body, &blen);
  if (rc != 0)
    return rc;
  if (idx >= s->ntheirs)
    return AYIL_EPEER;
  si = s->theirs[idx];
  /* Only an answer to a question this side asked, once. */
  for (i = 0; i < s->rp_wsent; i++)
    if (s->rp_want[i].slot == si && s->rp_want[i].seq == seq &&
        !s->rp_want[i].done)
      break;
  if (i == s->rp_wsent)
    return AYIL_EPEER;
  s->rp_want[i].done = 1;
  memset(&it, 0, sizeof it);
  rc = ayil__sync_cb_rc(s->cfg.get(s->cfg.ctx, s->slots[si].id, seq, &it));
  if (rc != 0)
    return rc;
  if (it.entry == NULL || ayil_entry_decode(&e, it.entry, it.entry_len) != 0)
    return AYIL_ECORRUPT;
  if (!e.has_body)
    return AYIL_EPEER;
  ayil_body_hash(body, blen, bh);
  if (memcmp(bh, e.body_hash, AYIL_HASH_BYTES) != 0)
    return AYIL_EPEER;
  if (s->cfg.repair == NULL)
    return 0;
  return ayil__sync_cb_rc(
      s->cfg.repair(s->cfg.ctx, s->slots[si].id, seq, body, blen));
}

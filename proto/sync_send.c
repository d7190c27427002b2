/*
 * The sync state machine, sender half: this side's logs streamed within the
 * window, bodies in chunks, acks, pings and fork proofs. See sync.c and
 * sync_state.h.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sync_state.h"

static const uint8_t ZEROS[AYIL_HASH_BYTES];

/* ---- sending --------------------------------------------------------- */

static int flight_push(ayil_sync_t *s, uint32_t si, uint64_t seq,
                       size_t bytes) {
  flight_t *f;
  if (s->fl_off > 0 && s->fl_off + s->fl_len == s->fl_cap) {
    memmove(s->fl, s->fl + s->fl_off, s->fl_len * sizeof *s->fl);
    s->fl_off = 0;
  }
  if (s->fl_off + s->fl_len == s->fl_cap) {
    size_t cap = s->fl_cap ? s->fl_cap * 2 : 64;
    flight_t *n = realloc(s->fl, cap * sizeof *n);
    if (n == NULL)
      return AYIL_ENOMEM;
    s->fl = n;
    s->fl_cap = cap;
  }
  f = &s->fl[s->fl_off + s->fl_len++];
  f->slot = si;
  f->done = 0;
  f->seq = seq;
  f->bytes = bytes;
  s->inflight += bytes;
  return 0;
}

/* Reads and checks this side's own entry before it goes out: a store that
 * returns something else is corrupt, and the peer must not be blamed. */
static int own_entry(ayil_sync_t *s, const slot_t *sl, uint64_t seq,
                     ayil_sync_item_t *it, ayil_entry_t *e,
                     uint8_t hash[AYIL_HASH_BYTES]) {
  uint8_t bh[AYIL_HASH_BYTES];
  int rc;
  memset(it, 0, sizeof *it);
  /* A held body goes out as [hash, true]: the embedder need not read it. */
  it->held_ok = s->cfg.held || s->peer_held;
  /* References only to a peer that reads them, of a log it takes whole. */
  it->refs_ok = (s->cfg.refs || s->peer_refs) && !sl->peer_sparse;
  rc = ayil__sync_cb_rc(s->cfg.get(s->cfg.ctx, sl->id, seq, it));
  if (rc != 0)
    return rc;
  if (it->entry == NULL || ayil_entry_decode(e, it->entry, it->entry_len) != 0)
    return AYIL_ECORRUPT;
  if (it->held && it->held_ok)
    it->body = NULL; /* not sent, whatever the embedder gave */
  if (memcmp(e->origin, sl->id, AYIL_ID_BYTES) != 0 || e->seq != seq ||
      memcmp(e->prev, seq == 1 ? ZEROS : sl->out_prev, AYIL_HASH_BYTES) != 0)
    return AYIL_ECORRUPT;
  if (e->has_body && it->body != NULL) {
    if (it->body_len > AYIL_BODY_MAX)
      return AYIL_ECORRUPT;
    ayil_body_hash(it->body, it->body_len, bh);
    if (memcmp(bh, e->body_hash, AYIL_HASH_BYTES) != 0)
      return AYIL_ECORRUPT;
  } else if (e->has_body && it->proof != NULL &&
             (it->proof_len == 0 || it->proof_len > AYIL_ENTRY_MAX)) {
    return AYIL_ECORRUPT;
  }
  /* A body hash with neither body nor proof: the store holds no sound
   * copy of the body (it failed its hash there). The entry goes out with
   * its body marked unavailable, so the entries after it still flow. */
  ayil_entry_hash(it->entry, it->entry_len, hash);
  return 0;
}

/* The back-reference to entry `target` of the same log from entry `seq`,
 * or 0: only to an earlier entry the peer has acknowledged (or showed in its
 * have), so that it holds it durably when the reference arrives. */
static uint64_t back_ref(const slot_t *sl, uint64_t seq, uint64_t target) {
  if (target == 0 || target >= seq || target > sl->out_acked)
    return 0;
  return seq - target;
}

/* The wire record of entry `e` of `sl`'s log, as own_entry() read it into
 * `it` (its held_ok and refs_ok say which forms the peer reads). */
static void rec_from(ayil__rec_t *rec, const ayil_entry_t *e,
                     const ayil_sync_item_t *it, const slot_t *sl) {
  memset(rec, 0, sizeof *rec);
  rec->ts_ms = e->ts_ms;
  rec->record = e->record;
  if (it->refs_ok)
    rec->record_ref = back_ref(sl, e->seq, it->ref_record);
  rec->op = e->op;
  rec->codes_version = e->codes_version;
  rec->header = e->header;
  rec->header_len = e->header_len;
  rec->sig = e->sig;
  if (!e->has_body) {
    rec->body_kind = AYIL__BODY_NONE;
  } else if (it->held && it->held_ok) {
    /* An earlier entry of this log and record carries this body: the peer
     * holds the log up to here, so it holds the body (or repairs it). */
    rec->body_kind = AYIL__BODY_HELD;
    rec->body_hash = e->body_hash;
    if (it->refs_ok)
      rec->body_ref = back_ref(sl, e->seq, it->ref_body);
    if (rec->body_ref > 0)
      rec->body_kind = AYIL__BODY_REF;
  } else if (it->body != NULL) {
    rec->body_kind = AYIL__BODY_INLINE;
    rec->body = it->body;
    rec->body_len = it->body_len;
  } else if (it->proof != NULL) {
    rec->body_kind = AYIL__BODY_PURGED;
    rec->body_hash = e->body_hash;
    rec->proof = it->proof;
    rec->proof_len = it->proof_len;
  } else {
    rec->body_kind = AYIL__BODY_UNAVAILABLE;
    rec->body_hash = e->body_hash;
  }
}

/*
 * A sparse stream (PROTOCOL.md, "Sparse logs"): moves slot `si` to the next
 * entry the peer is to get, cfg.next() says which; past out_head when there
 * is none (SKIPPED then tells the peer). After a jump its predecessor's
 * hash, which the ENTRIES carries as `prev`, is the one in the entry.
 */
static int sparse_seek(ayil_sync_t *s, int si) {
  slot_t *sl = &s->slots[si];
  ayil_sync_item_t it;
  ayil_entry_t e;
  uint64_t nx = 0;
  int rc;
  if (!sl->out_sparse || sl->out_next > sl->out_head ||
      (s->cs_active && s->cs_slot == (uint32_t)si))
    return 0;
  rc = ayil__sync_cb_rc(s->cfg.next(s->cfg.ctx, sl->id, sl->out_next - 1, &nx));
  if (rc != 0)
    return rc;
  if (nx != 0 && nx < sl->out_next)
    return AYIL_EINVAL; /* the embedder went back */
  if (nx == 0 || nx > sl->out_head) {
    sl->out_next = sl->out_head + 1;
    sl->out_gap = 1;
    return 0;
  }
  if (nx == sl->out_next && !sl->out_gap)
    return 0;
  memset(&it, 0, sizeof it);
  rc = ayil__sync_cb_rc(s->cfg.get(s->cfg.ctx, sl->id, nx, &it));
  if (rc != 0)
    return rc;
  if (it.entry == NULL || ayil_entry_decode(&e, it.entry, it.entry_len) != 0 ||
      e.seq != nx)
    return AYIL_ECORRUPT;
  memcpy(sl->out_prev, e.prev, AYIL_HASH_BYTES);
  sl->out_next = nx;
  sl->out_gap = 0;
  return 0;
}

/* Whether a sparse slot's next entry follows the one just sent, so that
 * it may go in the same message. */
static int sparse_follows(ayil_sync_t *s, const slot_t *sl, int *yes) {
  uint64_t nx = 0;
  int rc;
  *yes = 1;
  if (!sl->out_sparse)
    return 0;
  rc = ayil__sync_cb_rc(s->cfg.next(s->cfg.ctx, sl->id, sl->out_next - 1, &nx));
  *yes = rc == 0 && nx == sl->out_next;
  return rc;
}

/*
 * Builds one ENTRIES or MORE message of slot `si` into s->out. *len stays 0
 * if there is nothing to send; *blocked is set when the window is full.
 */
int ayil__sync_send_entries(ayil_sync_t *s, int si, size_t *len, int *blocked) {
  slot_t *sl = &s->slots[si];
  slot_t saved;
  size_t room = s->cfg.msg_max - MSG_HDR_RESERVE;
  size_t batch = s->cfg.batch < room ? s->cfg.batch : room;
  size_t used = 0, nrec = 0, need = 0, fl_len0, inflight0;
  uint8_t prev0[AYIL_HASH_BYTES];
  uint64_t first, ts = 0, sent0;
  int more = 0;
  ayil__wbuf_t w, h;
  int rc;

  rc = sparse_seek(s, si);
  if (rc != 0)
    return rc;
  if (!sl->out_prev_ok) {
    uint8_t mine[AYIL_HASH_BYTES];
    if (sl->out_head <= sl->out_acked)
      return 0;
    rc = ayil__sync_stored_hash(s, sl->id, sl->out_acked, mine);
    if (rc != 0)
      return rc;
    if (memcmp(mine, sl->peer_hash, AYIL_HASH_BYTES) != 0) {
      ayil__sync_fork_found(s, si, sl->out_acked, 0);
      return 0;
    }
    sl->out_prev_ok = 1;
  }
  if (s->inflight > 0 && sl->out_wait_seq == sl->out_next &&
      s->inflight + sl->out_wait_bytes > s->cfg.window) {
    *blocked = 1;
    return 0;
  }
  first = sl->out_next;
  memcpy(prev0, sl->out_prev, AYIL_HASH_BYTES);
  /* What the loop changes, to take it back if the message is not sent. */
  saved = *sl;
  fl_len0 = s->fl_len;
  inflight0 = s->inflight;
  sent0 = s->st.entries_sent;
  ayil__wbuf_init(&w, s->recs, room);
  while (sl->out_next <= sl->out_head) {
    ayil_sync_item_t it;
    ayil_entry_t e;
    ayil__rec_t rec;
    uint8_t hash[AYIL_HASH_BYTES];
    size_t r;
    int chunked = 0, follows = 1;

    if (nrec > 0) {
      /* A sparse stream's next entry past a gap starts a new ENTRIES. */
      rc = sparse_follows(s, sl, &follows);
      if (rc != 0)
        return rc;
      if (!follows)
        break;
    }
    rc = own_entry(s, sl, sl->out_next, &it, &e, hash);
    if (rc != 0)
      return rc;
    rec_from(&rec, &e, &it, sl);
    rec.compact = 1;
    if (nrec == 0) {
      /* Right after the last record sent: the peer knows where it is. */
      more = sl->tx_next != 0 && sl->tx_next == first &&
             ayil__ts_delta_ok(sl->tx_ts, e.ts_ms);
      rec.ts_rel = more;
      rec.ts_base = sl->tx_ts;
    } else {
      if (!ayil__ts_delta_ok(ts, e.ts_ms))
        break; /* the next message starts with an absolute ts */
      rec.ts_rel = 1;
      rec.ts_base = ts;
    }
    w.len = used;
    w.overflow = 0;
    ayil__rec_write(&w.pk, &rec);
    if (w.overflow) {
      /* Too big for one message: only an inline body can be, and it goes
       * alone, first in its message, with nothing else in flight. */
      if (nrec > 0 || rec.body_kind != AYIL__BODY_INLINE)
        break;
      if (s->inflight > 0) {
        *blocked = 1;
        sl->out_wait_seq = sl->out_next;
        sl->out_wait_bytes = s->cfg.window; /* needs an empty window */
        break;
      }
      rec.body_kind = AYIL__BODY_CHUNKED;
      w.len = 0;
      w.overflow = 0;
      ayil__rec_write(&w.pk, &rec);
      if (w.overflow)
        return AYIL_ECORRUPT;
      chunked = 1;
    }
    r = w.len - used;
    if (nrec > 0 && used + r > batch)
      break;
    if (s->inflight > 0 &&
        s->inflight + r + (chunked ? it.body_len : 0) > s->cfg.window) {
      if (nrec == 0) {
        *blocked = 1;
        sl->out_wait_seq = sl->out_next;
        sl->out_wait_bytes = r + (chunked ? it.body_len : 0);
      } else {
        need = used + r;
      }
      break;
    }
    rc = flight_push(s, (uint32_t)si, sl->out_next,
                     r + (chunked ? it.body_len : 0));
    if (rc != 0)
      return rc;
    if (chunked) {
      memcpy(s->cs_prev, sl->out_prev, AYIL_HASH_BYTES);
      s->cs_active = 1;
      s->cs_slot = (uint32_t)si;
      s->cs_seq = sl->out_next;
      s->cs_total = it.body_len;
      s->cs_off = 0;
    }
    memcpy(sl->out_prev, hash, AYIL_HASH_BYTES);
    if (sl->in_active && sl->in_next == sl->out_next) {
      /* Both sides hold this origin: what this side sends, the peer need
       * not send back (and if it crosses, it must be the same). */
      sl->in_next = sl->out_next + 1;
      memcpy(sl->in_prev, hash, AYIL_HASH_BYTES);
      sl->in_delivered = sl->in_committed = sl->in_acked = sl->out_next;
    }
    sl->out_next++;
    ts = e.ts_ms;
    used += r;
    nrec++;
    s->st.entries_sent++;
    if (chunked)
      break;
  }
  if (nrec == 0)
    return 0;
  if (need > 0 && inflight0 > 0) {
    /* The window, not the batch, cut this message short: rather than a
     * short message now (and one per ack after it), a full one when the
     * acknowledgements make room for it. Take it all back. */
    *sl = saved;
    s->fl_len = fl_len0;
    s->inflight = inflight0;
    s->st.entries_sent = sent0;
    *blocked = 1;
    sl->out_wait_seq = first;
    sl->out_wait_bytes = need;
    return 0;
  }
  sl->tx_next = sl->out_next;
  sl->tx_ts = ts;
  if (sl->out_hw < sl->out_next)
    sl->out_hw = sl->out_next;
  ayil__wbuf_init(&h, s->out, MSG_HDR_RESERVE);
  msgpack_pack_array(&h.pk, (more ? 2 : 4) + nrec);
  msgpack_pack_uint32(&h.pk, more ? AYIL__SYNC_MORE : AYIL__SYNC_ENTRIES);
  msgpack_pack_uint32(&h.pk, (uint32_t)sl->my_idx);
  if (!more) {
    msgpack_pack_uint64(&h.pk, first);
    if (first == 1)
      msgpack_pack_nil(&h.pk);
    else
      ayil__pack_bin(&h.pk, prev0, AYIL_HASH_BYTES);
  }
  if (h.overflow)
    return AYIL_EINVAL;
  memcpy(s->out + h.len, s->recs, used);
  *len = h.len + used;
  return 0;
}

/* Takes back the record being sent in BODY messages: it goes again. */
static void chunk_rewind(ayil_sync_t *s) {
  slot_t *sl = &s->slots[s->cs_slot];
  size_t i;
  for (i = 0; i < s->fl_len; i++) {
    flight_t *f = &s->fl[s->fl_off + i];
    if (f->slot == s->cs_slot && f->seq == s->cs_seq && !f->done) {
      f->done = 1;
      s->inflight -= f->bytes;
    }
  }
  while (s->fl_len > 0 && s->fl[s->fl_off].done) {
    s->fl_off++;
    s->fl_len--;
  }
  sl->out_next = s->cs_seq;
  memcpy(sl->out_prev, s->cs_prev, AYIL_HASH_BYTES);
  sl->tx_next = 0; /* the peer dropped it: start again with first and prev */
  s->cs_active = 0;
  ayil__sync_chunk_done(s, s->cs_slot);
}

static int send_chunk(ayil_sync_t *s, size_t *len) {
  const slot_t *sl = &s->slots[s->cs_slot];
  ayil_sync_item_t it;
  ayil__wbuf_t w;
  size_t k;
  int rc;
  memset(&it, 0, sizeof it);
  rc = ayil__sync_cb_rc(s->cfg.get(s->cfg.ctx, sl->id, s->cs_seq, &it));
  if (rc != 0)
    return rc;
  ayil__wbuf_init(&w, s->out, s->cfg.msg_max);
  msgpack_pack_array(&w.pk, 2);
  msgpack_pack_uint32(&w.pk, AYIL__SYNC_BODY);
  if (it.body == NULL || it.body_len != s->cs_total) {
    /* Purged while being sent: abort it (nil); it goes again, purged. */
    msgpack_pack_nil(&w.pk);
    chunk_rewind(s);
    *len = w.len;
    return 0;
  }
  k = s->cs_total - s->cs_off;
  if (k > s->cfg.msg_max - 16)
    k = s->cfg.msg_max - 16;
  ayil__pack_bin(&w.pk, it.body + s->cs_off, k);
  if (w.overflow)
    return AYIL_EINVAL;
  s->cs_off += k;
  if (s->cs_off == s->cs_total) {
    s->cs_active = 0;
    ayil__sync_chunk_done(s, s->cs_slot);
  }
  *len = w.len;
  return 0;
}

/* 1 when something durable is not acknowledged yet; *drained is set when
 * nothing more is expected either: all the peer announced is durable. */
int ayil__sync_ack_pending(const ayil_sync_t *s, int *drained) {
  size_t i;
  int any = 0;
  *drained = !s->cr_active;
  for (i = 0; i < s->nslots; i++) {
    const slot_t *sl = &s->slots[i];
    if (!sl->in_active)
      continue;
    if (sl->in_committed > sl->in_acked)
      any = 1;
    if (sl->in_delivered > sl->in_committed || ayil__sync_in_waiting(sl))
      *drained = 0;
  }
  return any;
}

static int want_ack(const ayil_sync_t *s, uint64_t now) {
  int drained = 0;
  if (!ayil__sync_ack_pending(s, &drained))
    return 0;
  /* Cumulative ACKs: when the stream drained, else every ack_bytes of data
   * or ack_ms after data came, whichever is first; never only at the end
   * of a big backlog, and not one per message either. */
  return drained || s->st.bytes_recv - s->recv_at_ack >= s->cfg.ack_bytes ||
         (s->ack_timer && now >= s->ack_since + s->cfg.ack_ms);
}

static int send_ack(ayil_sync_t *s, uint64_t now, size_t *len) {
  ayil__wbuf_t w;
  size_t i, n = 0;
  for (i = 0; i < s->nslots; i++)
    if (s->slots[i].in_active &&
        s->slots[i].in_committed > s->slots[i].in_acked)
      n++;
  ayil__wbuf_init(&w, s->out, s->cfg.msg_max);
  msgpack_pack_array(&w.pk, 1 + 2 * n);
  msgpack_pack_uint32(&w.pk, AYIL__SYNC_ACK);
  for (i = 0; i < s->nslots; i++) {
    slot_t *sl = &s->slots[i];
    if (!sl->in_active || sl->in_committed <= sl->in_acked)
      continue;
    msgpack_pack_uint32(&w.pk, (uint32_t)sl->my_idx);
    msgpack_pack_uint64(&w.pk, sl->in_committed);
    sl->in_acked = sl->in_committed;
  }
  if (w.overflow)
    return AYIL_EINVAL;
  s->recv_at_ack = s->st.bytes_recv;
  /* Entries received but not durable yet restart the timer. */
  s->ack_timer = 0;
  s->ack_since = now;
  for (i = 0; i < s->nslots; i++)
    if (s->slots[i].in_active &&
        s->slots[i].in_delivered > s->slots[i].in_acked)
      s->ack_timer = 1;
  s->st.acks_sent++;
  *len = w.len;
  return 0;
}

static int send_rows(ayil_sync_t *s, size_t *len) {
  ayil__wbuf_t w;
  size_t i, n = s->nmine - s->mine_sent;
  if (n > AYIL_SYNC_ROWS_MAX)
    n = AYIL_SYNC_ROWS_MAX;
  ayil__wbuf_init(&w, s->out, s->cfg.msg_max);
  msgpack_pack_array(&w.pk, 1 + n);
  msgpack_pack_uint32(&w.pk, AYIL__SYNC_ROWS);
  for (i = 0; i < n; i++) {
    const slot_t *sl = &s->slots[s->mine[s->mine_sent + i]];
    ayil__row_write(&w.pk, sl->id, sl->my_seq, sl->my_hash,
                    sl->my_flags | (s->cfg.held ? AYIL__SYNC_HELD : 0u) |
                        (s->cfg.refs ? AYIL__SYNC_REFS : 0u) |
                        (s->arrivals ? AYIL__SYNC_ARRIVALS : 0u));
  }
  if (w.overflow)
    return AYIL_EINVAL;
  s->mine_sent += n;
  *len = w.len;
  return 0;
}

int ayil__sync_send_fork(ayil_sync_t *s, slot_t *sl, size_t *len) {
  ayil_sync_item_t it;
  ayil__wbuf_t w;
  int rc;
  sl->fork_pending = 0;
  memset(&it, 0, sizeof it);
  rc = ayil__sync_cb_rc(s->cfg.get(s->cfg.ctx, sl->id, sl->fork_seq, &it));
  if (rc == AYIL_ENOTFOUND)
    return 0;
  if (rc != 0)
    return rc;
  if (it.entry == NULL || it.entry_len > AYIL_ENTRY_MAX)
    return AYIL_ECORRUPT;
  ayil__wbuf_init(&w, s->out, s->cfg.msg_max);
  msgpack_pack_array(&w.pk, 3);
  msgpack_pack_uint32(&w.pk, AYIL__SYNC_FORK);
  ayil__pack_bin(&w.pk, sl->id, AYIL_ID_BYTES);
  ayil__pack_bin(&w.pk, it.entry, it.entry_len);
  if (w.overflow)
    return AYIL_EINVAL;
  *len = w.len;
  return 0;
}

static void send_tiny(ayil_sync_t *s, int type, size_t *len) {
  s->out[0] = 0x91; /* fixarray of 1 */
  s->out[1] = (uint8_t)type;
  *len = 2;
}

/* Work that needs the link: data in flight, or data the peer announced. */
int ayil__sync_work(const ayil_sync_t *s) {
  size_t i;
  if (s->inflight > 0 || s->cs_active || s->cr_active)
    return 1;
  for (i = 0; i < s->nslots; i++)
    if (s->slots[i].in_active && ayil__sync_in_waiting(&s->slots[i]))
      return 1;
  return 0;
}

/* A sparse stream that moved past its last entries without sending them
 * says so: [13, idx, seq], nothing more for the peer up to seq. */
static int skipped_due(const slot_t *sl) {
  return sl->out_sparse && sl->out_active && !sl->forked &&
         sl->out_next > sl->out_head && sl->out_skipped < sl->out_head &&
         sl->out_hw <= sl->out_head && sl->my_idx >= 0;
}

static void send_skipped(ayil_sync_t *s, slot_t *sl, size_t *len) {
  ayil__wbuf_t w;
  ayil__wbuf_init(&w, s->out, s->cfg.msg_max);
  msgpack_pack_array(&w.pk, 3);
  msgpack_pack_uint32(&w.pk, AYIL__SYNC_SKIPPED);
  msgpack_pack_uint32(&w.pk, (uint32_t)sl->my_idx);
  msgpack_pack_uint64(&w.pk, sl->out_head);
  sl->out_skipped = sl->out_head;
  *len = w.len;
}

/* The next ENTRIES or MORE of any origin, in turn. */
static int send_some(ayil_sync_t *s, size_t *len) {
  size_t i;
  int rc;
  for (i = 0; i < s->nslots; i++) {
    int si = (int)((s->rr + i) % s->nslots), blocked = 0;
    slot_t *sl = &s->slots[si];
    if (!sl->out_active || sl->forked)
      continue;
    if (sl->out_next <= sl->out_head) {
      rc = ayil__sync_send_entries(s, si, len, &blocked);
      if (rc != 0)
        return rc;
      if (*len > 0) {
        s->rr = (size_t)si + 1;
        return 0;
      }
      if (blocked)
        break; /* the window is shared by all origins */
    }
    if (skipped_due(sl) && s->state == ST_STARTED) {
      send_skipped(s, sl, len);
      s->rr = (size_t)si + 1;
      return 0;
    }
  }
  return 0;
}

int ayil__sync_arrived_due(const ayil_sync_t *s) {
  size_t i;
  if (!s->peer_arrivals)
    return 0;
  for (i = 0; i < s->nslots; i++)
    if ((s->slots[i].arr_due || s->slots[i].name_due) &&
        s->slots[i].my_idx >= 0)
      return 1;
  return 0;
}

/* [12, idx, name] or [11, idx, seq, at]: the first origin, in slot order,
 * with a name or an arrival due. */
static void send_arrived(ayil_sync_t *s, size_t *len) {
  ayil__wbuf_t w;
  size_t i;
  if (!s->peer_arrivals)
    return;
  for (i = 0; i < s->nslots; i++) {
    slot_t *sl = &s->slots[i];
    if (sl->name_due && sl->my_idx >= 0) {
      /* [12, idx, name] */
      char name[AYIL_SYNC_NAME_MAX];
      size_t n = s->cfg.name_of != NULL
                     ? s->cfg.name_of(s->cfg.ctx, sl->id, name, sizeof name)
                     : 0;
      sl->name_due = 0;
      if (n > 0 && n <= sizeof name) {
        ayil__wbuf_init(&w, s->out, s->cfg.msg_max);
        msgpack_pack_array(&w.pk, 3);
        msgpack_pack_uint32(&w.pk, AYIL__SYNC_NAMED);
        msgpack_pack_uint32(&w.pk, (uint32_t)sl->my_idx);
        msgpack_pack_str(&w.pk, n);
        msgpack_pack_str_body(&w.pk, name, n);
        *len = w.len;
        return;
      }
    }
    if (!sl->arr_due || sl->my_idx < 0)
      continue;
    ayil__wbuf_init(&w, s->out, s->cfg.msg_max);
    msgpack_pack_array(&w.pk, 4);
    msgpack_pack_uint32(&w.pk, AYIL__SYNC_ARRIVED);
    msgpack_pack_uint32(&w.pk, (uint32_t)sl->my_idx);
    msgpack_pack_uint64(&w.pk, sl->arr_seq);
    msgpack_pack_uint64(&w.pk, sl->arr_at);
    sl->arr_due = 0;
    *len = w.len;
    return;
  }
}

static int poll_one(ayil_sync_t *s, uint64_t now, size_t *len) {
  size_t i;
  int rc;

  if (s->pong_due) {
    s->pong_due = 0;
    s->pings_unanswered = 0;
    send_tiny(s, AYIL__SYNC_PONG, len);
    return 0;
  }
  if (s->cs_abort) {
    /* [BODY, nil]: the chunked record is taken back. */
    s->cs_abort = 0;
    s->out[0] = 0x92;
    s->out[1] = AYIL__SYNC_BODY;
    s->out[2] = 0xc0;
    *len = 3;
    return 0;
  }
  for (i = 0; i < s->nslots; i++) {
    if (s->slots[i].fork_pending) {
      rc = ayil__sync_send_fork(s, &s->slots[i], len);
      if (rc != 0 || *len > 0)
        return rc;
    }
  }
  /* Rows go first: later messages name origins by their row index. */
  if (s->mine_sent < s->nmine)
    return send_rows(s, len);
  if (want_ack(s, now))
    return send_ack(s, now, len);
  if (s->cs_active)
    return send_chunk(s, len);
  rc = ayil__sync_repair_poll(s, len);
  if (rc != 0 || *len > 0)
    return rc;
  send_arrived(s, len);
  if (*len > 0)
    return 0;
  rc = send_some(s, len);
  if (rc != 0 || *len > 0)
    return rc;
  if (ayil__sync_work(s) && now >= s->last_recv + s->cfg.ping_ms &&
      now >= s->last_ping + s->cfg.ping_ms) {
    s->last_ping = now;
    s->st.pings_sent++;
    send_tiny(s, AYIL__SYNC_PING, len);
  }
  return 0;
}

int ayil_sync_poll(ayil_sync_t *s, uint64_t now_ms, const uint8_t **msg,
                   size_t *len) {
  int rc;
  *len = 0;
  *msg = NULL;
  if (s->err)
    return s->err;
  if (s->state != ST_STARTED && !(s->state == ST_HAVE && s->early))
    return 0;
  if (s->out == NULL) {
    if (ayil_sync_idle(s))
      return 0; /* nothing to build: no buffers either */
    rc = ayil__sync_bufs(s, 1);
    if (rc != 0)
      return ayil__sync_fail(s, rc);
  }
  if (s->state == ST_HAVE && s->early) {
    /* Before the peer's have: only the early streams (and their bodies). */
    rc = s->cs_active ? send_chunk(s, len) : send_some(s, len);
  } else if (s->state != ST_STARTED) {
    return 0;
  } else {
    rc = poll_one(s, now_ms, len);
  }
  if (rc != 0) {
    *len = 0;
    return ayil__sync_fail(s, rc);
  }
  if (*len > 0) {
    *msg = s->out;
    s->st.msgs_sent++;
    s->st.bytes_sent += *len;
  } else if (ayil_sync_idle(s)) {
    ayil__sync_bufs(s, 0);
  }
  return 0;
}

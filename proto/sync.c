/*
 * The sync state machine: log shipping with no I/O. See include/ayil/sync.h
 * for the contract and proto/PROTOCOL.md, "Sync", for the bytes.
 *
 * Each origin named on a connection has a slot. A slot has two halves:
 * outbound (this side streams the origin's log, re-reading it from the
 * store) and inbound (this side verifies and delivers the peer's stream).
 * Messages name origins by their index in the *sender's* list: its have
 * payload rows, then its ROWS messages, in order.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sync_state.h"

static const uint8_t ZEROS[AYIL_HASH_BYTES];

/* A callback's failure, made into an AYIL_E* code. */
int ayil__sync_cb_rc(int rc) {
  return rc > 0 ? AYIL_ESTORE : rc;
}

int ayil__sync_fail(ayil_sync_t *s, int rc) {
  if (rc < 0 && s->err == 0)
    s->err = rc;
  return rc;
}

void ayil__sync_emit(ayil_sync_t *s, int type, const uint8_t *origin,
                     uint64_t seq, int by_peer) {
  ayil_sync_event_t ev;
  if (s->cfg.event == NULL)
    return;
  ev.type = type;
  ev.origin = origin;
  ev.seq = seq;
  ev.by_peer = by_peer;
  s->cfg.event(s->cfg.ctx, &ev);
}

/* ---- slots ----------------------------------------------------------- */

int ayil__sync_find_slot(const ayil_sync_t *s,
                         const uint8_t id[AYIL_ID_BYTES]) {
  size_t i;
  for (i = 0; i < s->nslots; i++)
    if (memcmp(s->slots[i].id, id, AYIL_ID_BYTES) == 0)
      return (int)i;
  return -1;
}

/* Finds or adds the slot of `id`. Invalidates slot_t pointers. */
int ayil__sync_get_slot(ayil_sync_t *s, const uint8_t id[AYIL_ID_BYTES],
                        int *out) {
  int i = ayil__sync_find_slot(s, id);
  slot_t *sl;
  if (i >= 0) {
    *out = i;
    return 0;
  }
  if (s->nslots >= AYIL_SYNC_ORIGINS_MAX)
    return AYIL_ETOOBIG;
  if (s->nslots == s->slots_cap) {
    size_t cap = s->slots_cap ? s->slots_cap * 2 : 8;
    slot_t *n = realloc(s->slots, cap * sizeof *n);
    uint32_t *m, *t;
    if (n == NULL)
      return AYIL_ENOMEM;
    s->slots = n;
    m = realloc(s->mine, cap * sizeof *m);
    if (m == NULL)
      return AYIL_ENOMEM;
    s->mine = m;
    t = realloc(s->theirs, cap * sizeof *t);
    if (t == NULL)
      return AYIL_ENOMEM;
    s->theirs = t;
    s->slots_cap = cap;
  }
  sl = &s->slots[s->nslots];
  memset(sl, 0, sizeof *sl);
  memcpy(sl->id, id, AYIL_ID_BYTES);
  sl->my_idx = -1;
  sl->peer_idx = -1;
  *out = (int)s->nslots++;
  return 0;
}

int ayil__sync_head(ayil_sync_t *s, const uint8_t *id, uint64_t *seq,
                    uint8_t hash[AYIL_HASH_BYTES]) {
  int rc;
  *seq = 0;
  rc = ayil__sync_cb_rc(s->cfg.head(s->cfg.ctx, id, seq, hash));
  if (rc == 0 && *seq > INT64_MAX)
    rc = AYIL_ESTORE;
  if (rc == 0 && *seq == 0)
    memset(hash, 0, AYIL_HASH_BYTES);
  return rc;
}

/* The hash of this side's durable entry (id, seq). */
int ayil__sync_stored_hash(ayil_sync_t *s, const uint8_t *id, uint64_t seq,
                           uint8_t hash[AYIL_HASH_BYTES]) {
  ayil_sync_item_t it;
  int rc;
  memset(&it, 0, sizeof it);
  rc = ayil__sync_cb_rc(s->cfg.get(s->cfg.ctx, id, seq, &it));
  if (rc != 0)
    return rc;
  if (it.entry == NULL || it.entry_len == 0)
    return AYIL_ECORRUPT;
  ayil_entry_hash(it.entry, it.entry_len, hash);
  return 0;
}

/* Adds this side's row for slot `si`; sent in the have payload or, after
 * it, in a ROWS message. */
int ayil__sync_add_mine(ayil_sync_t *s, int si, unsigned flags) {
  slot_t *sl = &s->slots[si];
  int rc = ayil__sync_head(s, sl->id, &sl->my_seq, sl->my_hash);
  if (rc != 0)
    return rc;
  sl->my_flags = flags & (AYIL_SYNC_OFFER | AYIL_SYNC_WANT);
  if ((flags & AYIL_SYNC_SPARSE) && (flags & AYIL_SYNC_WANT))
    sl->my_flags |= AYIL_SYNC_SPARSE;
  sl->my_idx = (int)s->nmine;
  s->mine[s->nmine++] = (uint32_t)si;
  return 0;
}

static void drop_flights(ayil_sync_t *s, uint32_t si) {
  size_t i;
  for (i = 0; i < s->fl_len; i++) {
    flight_t *f = &s->fl[s->fl_off + i];
    if (f->slot == si && !f->done) {
      f->done = 1;
      s->inflight -= f->bytes;
    }
  }
  while (s->fl_len > 0 && s->fl[s->fl_off].done) {
    s->fl_off++;
    s->fl_len--;
  }
}

/* Two different entries at (slot, seq): close the origin both ways. */
void ayil__sync_fork_found(ayil_sync_t *s, int si, uint64_t seq, int by_peer) {
  slot_t *sl = &s->slots[si];
  sl->forked = 1;
  sl->out_active = 0;
  sl->in_active = 0;
  drop_flights(s, (uint32_t)si);
  if (!by_peer) {
    sl->fork_pending = 1;
    sl->fork_seq = seq;
  }
  ayil__sync_emit(s, AYIL_SYNC_EV_FORK, sl->id, seq, by_peer);
}

/* Takes back a chunked record of slot `si` being sent: [BODY, nil] goes
 * next, and the record is not in flight any more. */
static void chunk_abort(ayil_sync_t *s, int si) {
  if (!s->cs_active || s->cs_slot != (uint32_t)si)
    return;
  s->cs_active = 0;
  s->cs_abort = 1;
  ayil__sync_chunk_done(s, (uint32_t)si);
}

/* Ends the early stream of slot `si`: the peer does not take it on this
 * connection (no WANT, not named, a fork). What it ignored is not in
 * flight. */
static void early_stop(ayil_sync_t *s, int si) {
  slot_t *sl = &s->slots[si];
  if (!sl->early)
    return;
  sl->early = 0;
  sl->skip_to = 0;
  chunk_abort(s, si);
  drop_flights(s, (uint32_t)si);
  sl->out_active = 0;
  sl->tx_next = 0;
  sl->out_wait_seq = 0;
}

/*
 * The peer's have arrived for slot `si`, which streamed early from the
 * assumed head a = assume_seq + 1. Its real head p: p == a, nothing
 * changes; p > a, the peer holds more: skip to p + 1 (what crosses is a
 * harmless duplicate there); p < a (a restored peer), it ignored the whole
 * early stream: take it all back and start again at p + 1 with an ENTRIES.
 */
static void link_early(ayil_sync_t *s, int si, uint64_t h, uint64_t p) {
  slot_t *sl = &s->slots[si];
  uint64_t a = sl->assume_seq;
  if (!((sl->my_flags & AYIL_SYNC_OFFER) &&
        (sl->peer_flags & AYIL_SYNC_WANT))) {
    early_stop(s, si);
    return;
  }
  sl->early = 0;
  if (h > sl->out_head)
    sl->out_head = h;
  if (p > a) {
    sl->skip_to = p;
    memcpy(sl->skip_hash, sl->peer_hash, AYIL_HASH_BYTES);
    /* Now, or once the record going out in BODY messages is done (a
     * record is never cut short for this: the peer takes it whole). */
    if (!(s->cs_active && s->cs_slot == (uint32_t)si)) {
      ayil__sync_chunk_done(s, (uint32_t)si);
    } else if (sl->out_next - 1 > sl->out_acked) {
      /* Meanwhile, what was sent before that record is acknowledged. */
      sl->out_acked = p < sl->out_next ? p : sl->out_next - 1;
      ayil__sync_flights_ack(s, (uint32_t)si, sl->out_acked);
    }
    /* The embedder's belief was stale (an ACK lost with the link): the
     * have is as good as an acknowledgement, so its next assumption is
     * right even if this connection is cut before any ACK. Only where
     * this side could compare: the peer's entry at p is its own. */
    if (p <= h)
      ayil__sync_emit(s, AYIL_SYNC_EV_ACKED, sl->id, p, 1);
  } else if (p < a) {
    chunk_abort(s, si);
    drop_flights(s, (uint32_t)si);
    sl->out_next = p + 1;
    sl->out_acked = p;
    memcpy(sl->out_prev, p == 0 ? ZEROS : sl->peer_hash, AYIL_HASH_BYTES);
    sl->out_prev_ok = 1;
    sl->tx_next = 0; /* the peer follows no stream: ENTRIES, first, prev */
    sl->out_wait_seq = 0;
  }
}

/*
 * A pending skip of slot `si` (see slot_t.skip_to) takes effect: the stream
 * continues after the peer's head, and what was sent up to it counts as
 * acknowledged (the peer holds it; it sends no ACK for what it held
 * already). Called when no record of the slot is going out in BODY
 * messages.
 */
void ayil__sync_chunk_done(ayil_sync_t *s, uint32_t si) {
  slot_t *sl = &s->slots[si];
  uint64_t p = sl->skip_to, acked;
  if (p == 0)
    return;
  sl->skip_to = 0;
  if (sl->out_next <= p) {
    sl->out_next = p + 1;
    memcpy(sl->out_prev, sl->skip_hash, AYIL_HASH_BYTES);
    /* A peer ahead of this side: send_entries() checks its head if this
     * side ever gets past it. */
    sl->out_prev_ok = p <= sl->out_head;
  }
  acked = p < sl->out_next ? p : sl->out_next - 1;
  if (acked > sl->out_acked) {
    sl->out_acked = acked;
    ayil__sync_flights_ack(s, si, acked);
  }
}

/* Both sides have named slot `si`: compare heads, then set up the halves. */
int ayil__sync_link(ayil_sync_t *s, int si) {
  slot_t *sl = &s->slots[si];
  uint8_t hh[AYIL_HASH_BYTES], mine[AYIL_HASH_BYTES];
  uint64_t h = 0, p;
  int rc;

  if (sl->linked || sl->forked || sl->my_idx < 0 || sl->peer_idx < 0)
    return 0;
  sl->linked = 1;
  rc = ayil__sync_head(s, sl->id, &h, hh);
  if (rc != 0)
    return rc;
  p = sl->peer_seq;
  if (p >= 1 && p <= h) {
    rc = ayil__sync_stored_hash(s, sl->id, p, mine);
    if (rc == AYIL_ENOTFOUND && (sl->my_flags & AYIL_SYNC_SPARSE)) {
      /* A gap of this side's sparse copy (the peer, a hub restored from a
       * backup, announces less than this side took): nothing to compare
       * there, and nothing of it to send back. */
      memcpy(mine, sl->peer_hash, AYIL_HASH_BYTES);
      rc = 0;
    }
    if (rc != 0)
      return rc;
    if (memcmp(mine, sl->peer_hash, AYIL_HASH_BYTES) != 0) {
      early_stop(s, si);
      ayil__sync_fork_found(s, si, p, 0);
      return 0;
    }
  }
  if (sl->early) {
    link_early(s, si, h, p);
  } else if ((sl->my_flags & AYIL_SYNC_OFFER) &&
             (sl->peer_flags & AYIL_SYNC_WANT)) {
    sl->out_active = 1;
    sl->out_head = h;
    sl->out_acked = p;
    sl->out_next = p + 1;
    /* When the peer is ahead we cannot check its head yet: send_entries()
     * does it if this side ever gets past it. */
    sl->out_prev_ok = p <= h;
    memcpy(sl->out_prev, p == 0 ? ZEROS : sl->peer_hash, AYIL_HASH_BYTES);
    /* Sent sparse only by an embedder that can tell what to skip. */
    sl->out_sparse = sl->peer_sparse && s->cfg.next != NULL;
  }
  if ((sl->my_flags & AYIL_SYNC_WANT) && (sl->peer_flags & AYIL_SYNC_OFFER)) {
    sl->in_active = 1;
    sl->in_next = sl->my_seq + 1;
    memcpy(sl->in_prev, sl->my_hash, AYIL_HASH_BYTES);
    sl->in_delivered = sl->in_committed = sl->in_acked = sl->my_seq;
    sl->in_target = p;
    sl->in_sparse = (sl->my_flags & AYIL_SYNC_SPARSE) != 0;
  }
  return 0;
}

/* ---- rows ------------------------------------------------------------ */

/* Reads `n` peer rows, then links them (after discovering origins this side
 * did not name). */
int ayil__sync_peer_rows(ayil_sync_t *s, ayil__mp_t *r, size_t n, int in_have) {
  size_t i, first = s->ntheirs;
  int rc;
  if (n > AYIL_SYNC_ROWS_MAX)
    return AYIL_ETOOBIG;
  for (i = 0; i < n; i++) {
    const uint8_t *id = NULL, *hash = NULL;
    uint64_t seq = 0;
    unsigned flags = 0;
    int si;
    slot_t *sl;
    rc = ayil__row_read(r, &id, &seq, &hash, &flags);
    if (rc != 0)
      return rc;
    rc = ayil__sync_get_slot(s, id, &si);
    if (rc != 0)
      return rc;
    sl = &s->slots[si];
    if (sl->peer_idx >= 0)
      return AYIL_EPEER; /* named twice */
    sl->peer_idx = (int)s->ntheirs;
    s->theirs[s->ntheirs++] = (uint32_t)si;
    /* Only a have row can announce an early stream: ROWS come after. */
    if ((flags & AYIL__SYNC_EARLY) && !in_have)
      return AYIL_EPEER;
    sl->peer_seq = seq;
    sl->peer_flags = flags & (AYIL_SYNC_OFFER | AYIL_SYNC_WANT);
    /* SPARSE qualifies WANT: alone it means nothing, and is refused. */
    if ((flags & AYIL_SYNC_SPARSE) && !(flags & AYIL_SYNC_WANT))
      return AYIL_EPEER;
    sl->peer_sparse = (flags & AYIL_SYNC_SPARSE) != 0;
    if (flags & AYIL__SYNC_HELD)
      s->peer_held = 1;
    if (flags & AYIL__SYNC_REFS)
      s->peer_refs = 1;
    if (flags & AYIL__SYNC_ARRIVALS)
      s->peer_arrivals = 1;
    sl->rx_early = (flags & AYIL__SYNC_EARLY) && (flags & AYIL_SYNC_OFFER);
    memcpy(sl->peer_hash, hash != NULL ? hash : ZEROS, AYIL_HASH_BYTES);
  }
  for (i = first; i < s->ntheirs; i++) {
    int si = (int)s->theirs[i];
    if (s->slots[si].my_idx < 0 && s->cfg.discover != NULL) {
      unsigned f = s->cfg.discover(s->cfg.ctx, s->slots[si].id);
      f &= AYIL_SYNC_OFFER | AYIL_SYNC_WANT;
      if (f != 0) {
        rc = ayil__sync_add_mine(s, si, f);
        if (rc != 0)
          return rc;
      }
    }
    rc = ayil__sync_link(s, si);
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* ---- lifecycle ------------------------------------------------------- */

/* The two message buffers, msg_max bytes each: allocated while there is
 * something to send and released when the state machine is idle, so an
 * idle connection holds neither (PROTOCOL.md, "Sessions"). */
int ayil__sync_bufs(ayil_sync_t *s, int want) {
  if (!want) {
    free(s->out);
    free(s->recs);
    s->out = s->recs = NULL;
    return 0;
  }
  if (s->out != NULL)
    return 0;
  s->out = malloc(s->cfg.msg_max);
  s->recs = malloc(s->cfg.msg_max);
  if (s->out == NULL || s->recs == NULL) {
    ayil__sync_bufs(s, 0);
    return AYIL_ENOMEM;
  }
  return 0;
}

size_t ayil_sync_memory(const ayil_sync_t *s) {
  if (s == NULL)
    return 0;
  return sizeof *s +
         s->slots_cap *
             (sizeof *s->slots + sizeof *s->mine + sizeof *s->theirs) +
         s->fl_cap * sizeof *s->fl + (s->out != NULL ? 2 * s->cfg.msg_max : 0) +
         s->cr_cap;
}

int ayil_sync_new(ayil_sync_t **out, const ayil_sync_config_t *cfg,
                  uint64_t now_ms) {
  ayil_sync_t *s;
  if (out == NULL || cfg == NULL || cfg->origins == NULL || cfg->head == NULL ||
      cfg->get == NULL || cfg->deliver == NULL ||
      (cfg->refs && cfg->ref == NULL))
    return AYIL_EINVAL;
  s = calloc(1, sizeof *s);
  if (s == NULL)
    return AYIL_ENOMEM;
  s->cfg = *cfg;
  s->arrivals = cfg->arrivals != NULL && cfg->arrivals(cfg->ctx) != 0;
  if (s->cfg.window == 0)
    s->cfg.window = AYIL_SYNC_WINDOW_DEFAULT;
  if (s->cfg.batch == 0)
    s->cfg.batch = AYIL_SYNC_BATCH_DEFAULT;
  if (s->cfg.ack_bytes == 0)
    s->cfg.ack_bytes = AYIL_SYNC_ACK_BYTES_DEFAULT;
  if (s->cfg.msg_max == 0)
    s->cfg.msg_max = AYIL_SYNC_MSG_MAX;
  if (s->cfg.ping_ms == 0)
    s->cfg.ping_ms = AYIL_SYNC_PING_MS_DEFAULT;
  if (s->cfg.ack_ms == 0)
    s->cfg.ack_ms = AYIL_SYNC_ACK_MS_DEFAULT;
  if (s->cfg.msg_max < MSG_MIN || s->cfg.msg_max > AYIL_SYNC_MSG_MAX) {
    free(s);
    return AYIL_EINVAL;
  }
  /* s->out and s->recs come with the first message to build
   * (ayil__sync_bufs) and go when the connection is idle. */
  s->last_recv = now_ms;
  s->last_ping = now_ms;
  *out = s;
  return 0;
}

void ayil_sync_free(ayil_sync_t *s) {
  if (s == NULL)
    return;
  free(s->slots);
  free(s->mine);
  free(s->theirs);
  free(s->fl);
  free(s->cr_body);
  free(s->out);
  free(s->recs);
  free(s);
}

int ayil_sync_assume(ayil_sync_t *s, const uint8_t origin[AYIL_ID_BYTES],
                     uint64_t seq) {
  int si = -1, rc;
  if (s->err)
    return s->err;
  if (s->state != ST_NEW)
    return AYIL_ESTATE;
  if (seq > INT64_MAX)
    return AYIL_EINVAL;
  rc = ayil__sync_get_slot(s, origin, &si);
  if (rc != 0)
    return ayil__sync_fail(s, rc);
  s->slots[si].assume_set = 1;
  s->slots[si].assume_seq = seq;
  return 0;
}

/* An origin this side offers, with an assumption below its head: it
 * streams from there before the peer's have arrives. */
static int early_setup(ayil_sync_t *s, int si) {
  slot_t *sl = &s->slots[si];
  uint64_t a = sl->assume_seq;
  int rc;
  if (!sl->assume_set || !(sl->my_flags & AYIL_SYNC_OFFER) || a >= sl->my_seq)
    return 0;
  memset(sl->out_prev, 0, AYIL_HASH_BYTES);
  if (a > 0) {
    rc = ayil__sync_stored_hash(s, sl->id, a, sl->out_prev);
    if (rc == AYIL_ENOTFOUND)
      return 0; /* no such entry here: no early stream */
    if (rc != 0)
      return rc;
  }
  sl->early = 1;
  sl->out_active = 1;
  sl->out_prev_ok = 1;
  sl->out_head = sl->my_seq;
  sl->out_acked = a;
  sl->out_next = a + 1;
  s->early = 1;
  return 0;
}

int ayil_sync_have_payload(ayil_sync_t *s, uint8_t *out, size_t cap,
                           size_t *len) {
  ayil_sync_origin_t *rows;
  size_t i, n = 0;
  ayil__wbuf_t w;
  int rc;

  if (s->err)
    return s->err;
  if (s->state != ST_NEW)
    return AYIL_ESTATE;
  rows = calloc(AYIL_SYNC_ROWS_MAX + 1, sizeof *rows);
  if (rows == NULL)
    return AYIL_ENOMEM;
  rc = ayil__sync_cb_rc(
      s->cfg.origins(s->cfg.ctx, rows, AYIL_SYNC_ROWS_MAX + 1, &n));
  if (rc == 0 && n > AYIL_SYNC_ROWS_MAX)
    rc = AYIL_ETOOBIG;
  for (i = 0; rc == 0 && i < n; i++) {
    int si = -1;
    if ((rows[i].flags & (AYIL_SYNC_OFFER | AYIL_SYNC_WANT)) == 0)
      continue;
    si = ayil__sync_find_slot(s, rows[i].id);
    if (si >= 0 && s->slots[si].my_idx >= 0) {
      rc = AYIL_EINVAL; /* the embedder named an origin twice */
      break;
    }
    rc = ayil__sync_get_slot(s, rows[i].id, &si);
    if (rc == 0)
      rc = ayil__sync_add_mine(s, si, rows[i].flags);
    if (rc == 0)
      rc = early_setup(s, si);
  }
  free(rows);
  if (rc != 0)
    return ayil__sync_fail(s, rc);
  ayil__wbuf_init(&w, out, cap);
  msgpack_pack_array(&w.pk, 2);
  msgpack_pack_uint32(&w.pk, AYIL_SYNC_VERSION);
  msgpack_pack_array(&w.pk, s->nmine);
  for (i = 0; i < s->nmine; i++) {
    const slot_t *sl = &s->slots[s->mine[i]];
    ayil__row_write(&w.pk, sl->id, sl->my_seq, sl->my_hash,
                    sl->my_flags | (sl->early ? AYIL__SYNC_EARLY : 0u) |
                        (s->cfg.held ? AYIL__SYNC_HELD : 0u) |
                        (s->cfg.refs ? AYIL__SYNC_REFS : 0u) |
                        (s->arrivals ? AYIL__SYNC_ARRIVALS : 0u));
  }
  if (w.overflow)
    return ayil__sync_fail(s, AYIL_ETOOBIG);
  s->mine_sent = s->nmine;
  s->state = ST_HAVE;
  *len = w.len;
  return 0;
}

int ayil_sync_start(ayil_sync_t *s, const uint8_t *peer, size_t len,
                    uint64_t now_ms) {
  ayil__mp_t r = {peer, peer + len};
  size_t n = 0;
  uint64_t v = 0;
  int rc;

  if (s->err)
    return s->err;
  if (s->state != ST_HAVE)
    return AYIL_ESTATE;
  if (len > AYIL_SYNC_HAVE_MAX)
    return ayil__sync_fail(s, AYIL_ETOOBIG);
  s->state = ST_STARTED;
  s->last_recv = now_ms;
  s->last_ping = now_ms;
  rc = ayil__mp_array(&r, &n);
  if (rc == 0 && n < 1)
    rc = AYIL_EFORMAT;
  if (rc == 0)
    rc = ayil__mp_uint(&r, UINT32_MAX, &v);
  if (rc == 0 && v != AYIL_SYNC_VERSION)
    rc = AYIL_EVERSION;
  if (rc == 0 && n != 2)
    rc = AYIL_EFORMAT;
  if (rc == 0)
    rc = ayil__mp_array(&r, &n);
  if (rc == 0)
    rc = ayil__sync_peer_rows(s, &r, n, 1);
  if (rc == 0)
    rc = ayil__mp_done(&r);
  if (rc == 0 && s->early) {
    /* Early streams of origins the peer did not name end here. */
    size_t i;
    for (i = 0; i < s->nslots; i++)
      early_stop(s, (int)i);
    s->early = 0;
  }
  /* Bodies to ask back: known now, so that idle() says so at once. */
  if (rc == 0)
    rc = ayil__sync_repair_scan(s);
  return ayil__sync_fail(s, rc);
}

/* ---- status ---------------------------------------------------------- */

uint64_t ayil_sync_progress_ms(const ayil_sync_t *s) {
  return s->last_recv;
}

uint64_t ayil_sync_timeout_ms(const ayil_sync_t *s) {
  uint64_t t = UINT64_MAX;
  int drained = 0;
  if (s->err || s->state != ST_STARTED)
    return UINT64_MAX;
  if (ayil__sync_work(s)) {
    t = s->last_recv > s->last_ping ? s->last_recv : s->last_ping;
    t += s->cfg.ping_ms;
  }
  if (s->ack_timer && ayil__sync_ack_pending(s, &drained) &&
      s->ack_since + s->cfg.ack_ms < t)
    t = s->ack_since + s->cfg.ack_ms;
  return t;
}

int ayil_sync_idle(const ayil_sync_t *s) {
  size_t i;
  if (s->err || s->state != ST_STARTED)
    return 0;
  if (s->pong_due || s->mine_sent < s->nmine || s->cs_active || s->cr_active ||
      s->inflight > 0)
    return 0;
  /* Body repair still to ask or to answer (sync_repair.c). */
  if (s->rp_wsent < s->rp_nwant || s->rp_asent < s->rp_nans)
    return 0;
  if (ayil__sync_arrived_due(s))
    return 0;
  for (i = 0; i < s->nslots; i++) {
    const slot_t *sl = &s->slots[i];
    if (sl->fork_pending)
      return 0;
    if (sl->forked)
      continue;
    if (ayil__sync_out_waiting(sl))
      return 0;
    if (sl->in_active &&
        (ayil__sync_in_waiting(sl) || sl->in_delivered > sl->in_committed ||
         sl->in_committed > sl->in_acked))
      return 0;
  }
  return 1;
}

void ayil_sync_stats(const ayil_sync_t *s, ayil_sync_stats_t *out) {
  *out = s->st;
}

int ayil_sync_peer_acked(const ayil_sync_t *s,
                         const uint8_t origin[AYIL_ID_BYTES], uint64_t *seq) {
  int si = ayil__sync_find_slot(s, origin);
  if (si < 0 || s->slots[si].peer_idx < 0)
    return AYIL_ENOTFOUND;
  *seq =
      s->slots[si].out_active ? s->slots[si].out_acked : s->slots[si].peer_seq;
  return 0;
}

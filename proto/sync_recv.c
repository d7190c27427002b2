/*
 * The sync state machine, receiver half: rows, entries, bodies, acks and
 * fork proofs from the peer, each checked before anything is delivered.
 * See sync.c and sync_state.h.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "sync_state.h"

static const uint8_t ZEROS[AYIL_HASH_BYTES];

/* ---- receiving ------------------------------------------------------- */

/* Whether this side wants `origin` on this connection: its slot's flags,
 * else what discover() would say. */
static unsigned wants(void *ctx, const uint8_t origin[AYIL_ID_BYTES]) {
  ayil_sync_t *s = ctx;
  int oi = ayil__sync_find_slot(s, origin);
  if (oi >= 0 && (s->slots[oi].my_flags & AYIL_SYNC_WANT))
    return AYIL_SYNC_WANT;
  if (s->cfg.discover != NULL)
    return s->cfg.discover(s->cfg.ctx, origin);
  return 0;
}

/* A purged body must be proven: the rule is the policy's. */
static int check_proof(ayil_sync_t *s, const slot_t *sl, uint64_t seq,
                       const ayil__rec_t *rec) {
  return ayil_policy_purge_check(sl->id, seq, rec->record, rec->body_hash,
                                 rec->proof, rec->proof_len, wants, s);
}

/* The peer holds entry `seq` (it sent it, or acknowledged it): nothing of
 * it goes back, and whatever of it this side sent is settled. */
static void peer_holds(ayil_sync_t *s, int si, uint64_t seq,
                       const uint8_t hash[AYIL_HASH_BYTES]) {
  slot_t *sl = &s->slots[si];
  if (!sl->out_active)
    return;
  if (sl->out_next <= seq && !(s->cs_active && s->cs_slot == (uint32_t)si)) {
    sl->out_next = seq + 1;
    memcpy(sl->out_prev, hash, AYIL_HASH_BYTES);
    sl->out_prev_ok = 1;
  }
  if (sl->out_acked < seq && seq < sl->out_next)
    sl->out_acked = seq;
  ayil__sync_flights_ack(s, (uint32_t)si,
                         seq < sl->out_next ? seq : sl->out_next - 1);
}

/*
 * Rebuilds entry (slot si, seq) from its wire form, `prev` being the hash
 * of its predecessor and `body` the inline or reassembled body, then checks
 * it and, if it is the next one, delivers it. Writes the entry's hash to
 * `hash`. Returns 0, 1 when the origin turned out forked (stop), or an
 * error.
 */
/* Entry `target` of `sl`'s log as this side holds it: its record id into
 * rid and its body hash into bh (*has 0: it has none). A reference to an
 * entry this side does not hold is the peer's fault. */
static int ref_lookup(ayil_sync_t *s, const slot_t *sl, uint64_t seq,
                      uint64_t k, uint8_t rid[AYIL_RECID_BYTES],
                      uint8_t bh[AYIL_HASH_BYTES], int *has) {
  int rc;
  if (k >= seq)
    return AYIL_EFORMAT; /* before the log's first entry */
  *has = 0;
  rc = s->cfg.ref(s->cfg.ctx, sl->id, seq - k, rid, bh, has);
  if (rc == AYIL_ENOTFOUND)
    return AYIL_EPEER;
  return ayil__sync_cb_rc(rc);
}

/* Resolves the back-references of record `seq` of `sl`'s log (PROTOCOL.md,
 * "Sync", Records): its record id, or its held body's hash, named by an
 * earlier entry of the same log that this side holds. A resolved body is
 * then held, as if it came as [hash, true]. rid and bh keep what rec points
 * to. Nothing is trusted here: the signature over the rebuilt entry is
 * checked after, and a wrong reference fails it (AYIL_ESIG). */
static int resolve_refs(ayil_sync_t *s, const slot_t *sl, uint64_t seq,
                        ayil__rec_t *rec, uint8_t rid[AYIL_RECID_BYTES],
                        uint8_t bh[AYIL_HASH_BYTES]) {
  uint8_t r2[AYIL_RECID_BYTES], h2[AYIL_HASH_BYTES];
  int has = 0, rc = 0;
  if (rec->record_ref > 0) {
    rc = ref_lookup(s, sl, seq, rec->record_ref, rid, h2, &has);
    if (rc != 0)
      return rc;
    rec->record = rid;
  }
  if (rec->body_kind != AYIL__BODY_REF)
    return 0;
  if (rec->body_ref == rec->record_ref)
    memcpy(bh, h2, AYIL_HASH_BYTES); /* the same entry: looked up above */
  else
    rc = ref_lookup(s, sl, seq, rec->body_ref, r2, bh, &has);
  if (rc != 0)
    return rc;
  if (!has)
    return AYIL_EPEER; /* an entry without a body holds none */
  rec->body_kind = AYIL__BODY_HELD;
  rec->body_hash = bh;
  return 0;
}

static int check_record(ayil_sync_t *s, int si, const ayil__rec_t *rec,
                        const uint8_t *body, size_t body_len, uint64_t seq,
                        const uint8_t prev[AYIL_HASH_BYTES], uint64_t store_seq,
                        uint8_t hash[AYIL_HASH_BYTES]);

/* accept_record() (below), noting the origin of an entry that does not
 * verify or follow its chain: the embedder may refuse that log (a hub
 * below that forwards an altered entry). */
static int accept_record(ayil_sync_t *s, int si, const ayil__rec_t *rec,
                         const uint8_t *body, size_t body_len, uint64_t seq,
                         const uint8_t prev[AYIL_HASH_BYTES],
                         uint64_t store_seq, uint8_t hash[AYIL_HASH_BYTES]) {
  int rc = check_record(s, si, rec, body, body_len, seq, prev, store_seq, hash);
  if ((rc == AYIL_ESIG || rc == AYIL_ECHAIN || rc == AYIL_ESEQ) &&
      !s->has_bad) {
    s->has_bad = 1;
    memcpy(s->bad_origin, s->slots[si].id, AYIL_ID_BYTES);
  }
  return rc;
}

static int check_record(ayil_sync_t *s, int si, const ayil__rec_t *rec,
                        const uint8_t *body, size_t body_len, uint64_t seq,
                        const uint8_t prev[AYIL_HASH_BYTES], uint64_t store_seq,
                        uint8_t hash[AYIL_HASH_BYTES]) {
  slot_t *sl = &s->slots[si];
  uint8_t ebuf[AYIL_ENTRY_MAX], held[AYIL_HASH_BYTES];
  ayil_entry_t e;
  ayil_sync_item_t item;
  size_t elen = 0;
  int rc;

  if (seq > sl->in_next)
    return AYIL_ESEQ;
  if (seq == sl->in_next && memcmp(prev, sl->in_prev, AYIL_HASH_BYTES) != 0)
    return AYIL_ECHAIN;
  memset(&e, 0, sizeof e);
  memcpy(e.origin, sl->id, AYIL_ID_BYTES);
  e.seq = seq;
  memcpy(e.prev, prev, AYIL_HASH_BYTES);
  e.ts_ms = rec->ts_ms;
  memcpy(e.record, rec->record, AYIL_RECID_BYTES);
  e.op = rec->op;
  e.codes_version = rec->codes_version;
  e.header = rec->header;
  e.header_len = rec->header_len;
  memset(&item, 0, sizeof item);
  switch (rec->body_kind) {
  case AYIL__BODY_NONE:
    break;
  case AYIL__BODY_PURGED:
    rc = check_proof(s, sl, e.seq, rec);
    if (rc != 0)
      return rc;
    e.has_body = 1;
    memcpy(e.body_hash, rec->body_hash, AYIL_HASH_BYTES);
    item.proof = rec->proof;
    item.proof_len = rec->proof_len;
    break;
  case AYIL__BODY_UNAVAILABLE:
    /* The signature (below) proves the entry; the body it commits to is
     * delivered as absent, neither purged nor proven: the embedder stores
     * the entry without it and raises an alert. */
    e.has_body = 1;
    memcpy(e.body_hash, rec->body_hash, AYIL_HASH_BYTES);
    item.unavailable = 1;
    break;
  case AYIL__BODY_HELD:
    /* The body hash comes from the wire and the signature (below) proves
     * it; the body is the one the embedder holds under that hash for this
     * record, or, lacking it, the entry is stored as unavailable and the
     * body repaired. Never another record's body. */
    e.has_body = 1;
    memcpy(e.body_hash, rec->body_hash, AYIL_HASH_BYTES);
    item.held = 1;
    break;
  default:
    e.has_body = 1;
    ayil_body_hash(body, body_len, e.body_hash);
    item.body = body;
    item.body_len = body_len;
  }
  memcpy(e.sig, rec->sig, AYIL_SIG_BYTES);
  /* The canonical stored bytes, encoded once; the encoder refuses what an
   * entry may not hold (seq 0, an unknown op, an oversized header). Entry
   * and bytes are one by construction, so they are not decoded again. */
  rc = ayil_entry_encode(&e, ebuf, sizeof ebuf, &elen);
  if (rc == AYIL_EINVAL)
    rc = AYIL_EFORMAT; /* the peer's values, not this side's */
  if (rc != 0)
    return rc;
  /* Verified once, here. The signature covers origin, seq, prev and the
   * body hash that this side filled in: any of them wrong and it fails. */
  if (ayil_entry_verify(&e) != 0)
    return AYIL_ESIG;
  ayil_entry_hash(ebuf, elen, hash);
  if (seq < sl->in_next || seq <= store_seq) {
    /* This side holds that position already: it sent it itself on this
     * connection (both sides streamed at once), or stored it since its
     * have. It must be the very same entry. */
    rc = ayil__sync_stored_hash(s, sl->id, seq, held);
    if (rc == AYIL_ENOTFOUND)
      return AYIL_EPEER;
    if (rc != 0)
      return rc;
    if (memcmp(held, hash, AYIL_HASH_BYTES) != 0) {
      ayil__sync_fork_found(s, si, seq, 0);
      return 1;
    }
    if (seq == sl->in_next)
      sl->in_committed = seq;
  } else {
    item.entry = ebuf;
    item.entry_len = elen;
    rc = ayil__sync_cb_rc(s->cfg.deliver(s->cfg.ctx, &e, &item));
    sl = &s->slots[si];
    if (rc == AYIL_EFORK) {
      /* The proof goes out only if the entry held here is durable by
       * then (send_fork() skips it otherwise). */
      ayil__sync_fork_found(s, si, seq, 0);
      return 1;
    }
    if (rc != 0)
      return rc;
    s->st.entries_delivered++;
  }
  if (seq == sl->in_next) {
    sl->in_delivered = seq;
    sl->in_next = seq + 1;
    memcpy(sl->in_prev, hash, AYIL_HASH_BYTES);
    if (sl->in_target < seq)
      sl->in_target = seq;
  }
  sl->rx_next = seq + 1;
  memcpy(sl->rx_prev, hash, AYIL_HASH_BYTES);
  peer_holds(s, si, seq, hash);
  return 0;
}

/* For an ENTRIES of `sl` at `first` with `prev` (NULL for first = 1):
 * 1 if it is to be handled as usual (the peer announced no early stream of
 * the origin, or it joined one already, or it fits: the origin is wanted and
 * the stream starts at or before the next entry over a matching
 * predecessor), 0 if it is an early stream to ignore. */
static int early_fit(ayil_sync_t *s, const slot_t *sl, uint64_t first,
                     const uint8_t *prev) {
  uint8_t hh[AYIL_HASH_BYTES], held[AYIL_HASH_BYTES];
  uint64_t store_seq = 0;
  int rc;
  if (!sl->rx_early)
    return 1;
  if (!(sl->my_flags & AYIL_SYNC_WANT) || !sl->in_active)
    return 0;
  if (first < sl->in_next)
    return 1; /* over entries held here: compared one by one */
  if (first == sl->in_next)
    return memcmp(prev != NULL ? prev : ZEROS, sl->in_prev, AYIL_HASH_BYTES) ==
           0;
  rc = ayil__sync_head(s, sl->id, &store_seq, hh);
  if (rc != 0)
    return rc;
  if (first - 1 > store_seq)
    return 0; /* beyond this side's head + 1: a gap */
  rc = ayil__sync_stored_hash(s, sl->id, first - 1, held);
  if (rc != 0)
    return rc;
  return memcmp(held, prev, AYIL_HASH_BYTES) == 0;
}

/* ENTRIES [1, idx, first, prev, rec...] starts or resumes a stream; MORE
 * [8, idx, rec...] continues it right after the last record received. */
static int on_entries(ayil_sync_t *s, ayil__mp_t *r, size_t n, int more) {
  uint64_t idx = 0, first = 0, store_seq = 0, seq, ts = 0;
  const uint8_t *prev = NULL;
  uint8_t hh[AYIL_HASH_BYTES], cur[AYIL_HASH_BYTES];
  uint8_t hbuf[AYIL_HEADER_MAX];
  size_t i, nrec;
  int si, discard, rc, has_ts;
  slot_t *sl;

  if (n < (more ? 3u : 5u))
    return AYIL_EFORMAT;
  nrec = n - (more ? 2 : 4);
  rc = ayil__mp_uint(r, AYIL_SYNC_ORIGINS_MAX, &idx);
  if (rc == 0 && !more)
    rc = ayil__mp_uint(r, INT64_MAX, &first);
  if (rc == 0 && !more && !ayil__mp_nil(r))
    rc = ayil__mp_bin_n(r, AYIL_HASH_BYTES, &prev);
  if (rc != 0)
    return rc;
  if (idx >= s->ntheirs || s->cr_active)
    return AYIL_EPEER;
  si = (int)s->theirs[idx];
  sl = &s->slots[si];
  discard = sl->forked;
  has_ts = more;
  ts = sl->rx_ts;
  if (more) {
    /* Nothing to continue (or a stream of a forked origin, dropped). */
    if (sl->rx_ignoring)
      discard = 1; /* continues an ignored early stream */
    if (sl->rx_next == 0 && !discard)
      return AYIL_EPEER;
    first = sl->rx_next;
    prev = sl->rx_prev;
  }
  if (!more && (first == 0 || (first == 1) != (prev == NULL)))
    return AYIL_EPEER;
  if (first > INT64_MAX - nrec)
    return AYIL_EPEER;
  if (!discard && !more) {
    /* A stream the peer started on an assumption (the EARLY flag of its
     * have row) that does not fit here is ignored, not an error, until a
     * stream of the origin is joined: the peer had not read this side's
     * have, and will resume at the right place once it does. */
    rc = early_fit(s, sl, first, prev);
    if (rc < 0)
      return rc;
    sl->rx_ignoring = rc == 0;
    if (rc == 0)
      discard = 1;
    else
      sl->rx_early = 0; /* joined: strict from here on */
  }
  if (!discard) {
    if (!(sl->my_flags & AYIL_SYNC_WANT))
      return AYIL_EPERM;
    if (!sl->in_active)
      return AYIL_EPEER;
    rc = ayil__sync_head(s, sl->id, &store_seq, hh);
    if (rc != 0)
      return rc;
    if (first > sl->in_next) {
      /* The peer skipped entries this side holds durably (it sent them
       * itself on this connection): continue from there. */
      uint8_t held[AYIL_HASH_BYTES];
      rc = first - 1 > store_seq
               ? AYIL_ENOTFOUND
               : ayil__sync_stored_hash(s, sl->id, first - 1, held);
      if (rc == AYIL_ENOTFOUND && sl->in_sparse) {
        /* A sparse log: the entries in between are not for this side.
         * `prev` is the entry's own, which its signature covers. */
        memcpy(held, prev, AYIL_HASH_BYTES);
      } else if (rc == AYIL_ENOTFOUND) {
        return AYIL_ESEQ;
      } else if (rc != 0) {
        return rc;
      } else if (memcmp(held, prev, AYIL_HASH_BYTES) != 0) {
        return AYIL_ECHAIN;
      } else {
        sl->in_delivered = sl->in_committed = first - 1;
      }
      sl->in_next = first;
      memcpy(sl->in_prev, held, AYIL_HASH_BYTES);
    }
  }
  memcpy(cur, prev != NULL ? prev : ZEROS, AYIL_HASH_BYTES);
  seq = first;
  for (i = 0; i < nrec; i++, seq++) {
    ayil__rec_t rec;
    uint8_t rid[AYIL_RECID_BYTES], bh[AYIL_HASH_BYTES];
    /* Every ts is a delta from the record before, but the first of an
     * ENTRIES message. */
    rc = ayil__rec_read(r, has_ts ? &ts : NULL, s->cfg.ref != NULL, hbuf, &rec);
    if (rc == 0 && !discard)
      rc = resolve_refs(s, &s->slots[si], seq, &rec, rid, bh);
    if (rc != 0)
      return rc;
    ts = rec.ts_ms;
    has_ts = 1;
    s->slots[si].rx_ts = ts;
    s->st.entries_recv++;
    if (rec.body_kind == AYIL__BODY_CHUNKED) {
      if (i != nrec - 1)
        return AYIL_EPEER;
      /* The buffer grows as chunks arrive (on_body), not to the size a
       * peer announces and may never send. */
      s->cr_body = NULL;
      s->cr_cap = 0;
      s->cr_active = 1;
      s->cr_discard = discard;
      s->cr_slot = (uint32_t)si;
      s->cr_seq = seq;
      memcpy(s->cr_prev, cur, AYIL_HASH_BYTES);
      s->cr_ts = rec.ts_ms;
      if (rec.record != NULL) /* a discarded one may be unresolved */
        memcpy(s->cr_record, rec.record, AYIL_RECID_BYTES);
      s->cr_op = rec.op;
      s->cr_codes = rec.codes_version;
      s->cr_has_header = rec.header != NULL;
      s->cr_header_len = rec.header_len;
      if (rec.header_len > 0)
        memcpy(s->cr_header, rec.header, rec.header_len);
      memcpy(s->cr_sig, rec.sig, AYIL_SIG_BYTES);
      s->cr_total = rec.body_len;
      s->cr_fill = 0;
      return 0;
    }
    if (discard)
      continue;
    rc = accept_record(s, si, &rec, rec.body, rec.body_len, seq, cur, store_seq,
                       cur);
    if (rc < 0)
      return rc;
    if (rc == 1)
      discard = 1;
  }
  return 0;
}

static int on_body(ayil_sync_t *s, ayil__mp_t *r, size_t n) {
  const uint8_t *p = NULL;
  size_t k = 0;
  uint64_t store_seq = 0;
  uint8_t hh[AYIL_HASH_BYTES], hash[AYIL_HASH_BYTES];
  ayil__rec_t rec;
  int si, rc;

  if (n != 2)
    return AYIL_EFORMAT;
  if (!s->cr_active)
    return AYIL_EPEER;
  if (ayil__mp_nil(r)) {
    /* The sender took the record back (its body was purged meanwhile). */
    s->cr_active = 0;
    free(s->cr_body);
    s->cr_body = NULL;
    s->cr_cap = 0;
    return 0;
  }
  rc = ayil__mp_bin(r, AYIL_SYNC_MSG_MAX, &p, &k);
  if (rc != 0)
    return rc;
  if (k == 0 || k > s->cr_total - s->cr_fill)
    return AYIL_EPEER;
  if (s->cr_fill + k > s->cr_cap) {
    size_t cap = s->cr_cap > 0 ? s->cr_cap : 4096;
    uint8_t *nb;
    while (cap < s->cr_fill + k)
      cap *= 2;
    if (cap > s->cr_total)
      cap = s->cr_total;
    nb = realloc(s->cr_body, cap);
    if (nb == NULL)
      return AYIL_ENOMEM;
    s->cr_body = nb;
    s->cr_cap = cap;
  }
  memcpy(s->cr_body + s->cr_fill, p, k);
  s->cr_fill += k;
  if (s->cr_fill < s->cr_total)
    return 0;
  s->cr_active = 0;
  si = (int)s->cr_slot;
  rc = 0;
  if (!s->cr_discard && !s->slots[si].forked) {
    memset(&rec, 0, sizeof rec);
    rec.ts_ms = s->cr_ts;
    rec.record = s->cr_record;
    rec.op = s->cr_op;
    rec.codes_version = s->cr_codes;
    rec.header = s->cr_has_header ? s->cr_header : NULL;
    rec.header_len = s->cr_header_len;
    rec.body_kind = AYIL__BODY_CHUNKED;
    rec.sig = s->cr_sig;
    rc = ayil__sync_head(s, s->slots[si].id, &store_seq, hh);
    if (rc == 0)
      rc = accept_record(s, si, &rec, s->cr_body, s->cr_total, s->cr_seq,
                         s->cr_prev, store_seq, hash);
    if (rc == 1)
      rc = 0;
  }
  free(s->cr_body);
  s->cr_body = NULL;
  s->cr_cap = 0;
  return rc;
}

void ayil__sync_flights_ack(ayil_sync_t *s, uint32_t si, uint64_t seq) {
  size_t i;
  for (i = 0; i < s->fl_len; i++) {
    flight_t *f = &s->fl[s->fl_off + i];
    if (f->slot == si && !f->done && f->seq <= seq) {
      f->done = 1;
      s->inflight -= f->bytes;
    }
  }
  while (s->fl_len > 0 && s->fl[s->fl_off].done) {
    s->fl_off++;
    s->fl_len--;
  }
}

static int on_ack(ayil_sync_t *s, ayil__mp_t *r, size_t n) {
  size_t i;
  int rc;
  if (n < 3 || n % 2 != 1)
    return AYIL_EFORMAT;
  for (i = 0; i < (n - 1) / 2; i++) {
    uint64_t idx = 0, seq = 0;
    slot_t *sl;
    rc = ayil__mp_uint(r, AYIL_SYNC_ORIGINS_MAX, &idx);
    if (rc == 0)
      rc = ayil__mp_uint(r, INT64_MAX, &seq);
    if (rc != 0)
      return rc;
    if (idx >= s->ntheirs)
      return AYIL_EPEER;
    sl = &s->slots[s->theirs[idx]];
    if (sl->forked)
      continue;
    /* Only what was sent on this connection can be acknowledged. */
    if (!sl->out_active || seq >= sl->out_hw)
      return AYIL_EPEER;
    if (seq >= sl->out_next) {
      /* Part of an early stream taken back (the peer's have was behind
       * it) that the peer got from elsewhere meanwhile and accepted:
       * continue after it. */
      uint32_t si = s->theirs[idx];
      if (s->cs_active && s->cs_slot == si)
        continue;
      rc = ayil__sync_stored_hash(s, sl->id, seq, sl->out_prev);
      if (rc != 0)
        return rc;
      sl = &s->slots[si];
      sl->out_next = seq + 1;
      sl->out_prev_ok = 1;
      sl->tx_next = 0;
      sl->out_wait_seq = 0;
    }
    if (seq <= sl->out_acked)
      continue; /* already known, e.g. from its own stream */
    sl->out_acked = seq;
    ayil__sync_flights_ack(s, s->theirs[idx], seq);
    s->st.acks_recv++;
    ayil__sync_emit(s, AYIL_SYNC_EV_ACKED, sl->id, seq, 1);
  }
  return 0;
}

/* [13, idx, seq]: the sender's sparse stream of origin `idx` has nothing
 * more for this side up to `seq` (PROTOCOL.md, "Sparse logs"). Only for a
 * log this side takes sparse, never below what the peer sent already. */
static int on_skipped(ayil_sync_t *s, ayil__mp_t *r, size_t n) {
  uint64_t idx = 0, seq = 0;
  slot_t *sl;
  int rc = ayil__msg_idx_seq(r, n, 3, &idx, &seq);
  if (rc != 0)
    return rc;
  if (idx >= s->ntheirs || s->cr_active)
    return AYIL_EPEER;
  sl = &s->slots[s->theirs[idx]];
  if (sl->forked)
    return 0;
  if (!sl->in_active || !sl->in_sparse || seq + 1 < sl->in_next)
    return AYIL_EPEER;
  if (seq > sl->in_skipped)
    sl->in_skipped = seq;
  return 0;
}

/* [11, idx, seq, at]: entries of the sender's origin `idx` up to `seq`
 * reached the sender at `at` (unix seconds). Only to a side that asked for
 * them (its rows carry ARRIVALS); informational: it changes no stream. */
static int on_arrived(ayil_sync_t *s, ayil__mp_t *r, size_t n) {
  uint64_t idx = 0, seq = 0, at = 0;
  int rc = ayil__msg_idx_seq(r, n, 4, &idx, &seq);
  if (rc == 0)
    rc = ayil__mp_uint(r, INT64_MAX, &at);
  if (rc != 0)
    return rc;
  if (!s->arrivals || idx >= s->ntheirs)
    return AYIL_EPEER;
  if (s->cfg.arrived != NULL)
    s->cfg.arrived(s->cfg.ctx, s->slots[s->theirs[idx]].id, seq, at);
  return 0;
}

/* [12, idx, name]: the committee whose log is the sender's origin `idx`
 * is named `name` there (a str of 1..AYIL_SYNC_NAME_MAX bytes). Like
 * ARRIVED: only to a side that asked, informational. */
static int on_named(ayil_sync_t *s, ayil__mp_t *r, size_t n) {
  uint64_t idx = 0;
  const uint8_t *p = NULL;
  size_t len = 0;
  int rc;
  if (n != 3)
    return AYIL_EFORMAT;
  rc = ayil__mp_uint(r, AYIL_SYNC_ORIGINS_MAX, &idx);
  if (rc == 0)
    rc = ayil_mp_str(r, AYIL_SYNC_NAME_MAX, &p, &len);
  if (rc != 0)
    return rc == AYIL_ETOOBIG ? AYIL_EFORMAT : rc;
  if (!s->arrivals || idx >= s->ntheirs || len == 0)
    return AYIL_EPEER;
  if (s->cfg.named != NULL)
    s->cfg.named(s->cfg.ctx, s->slots[s->theirs[idx]].id, (const char *)p, len);
  return 0;
}

static int on_fork(ayil_sync_t *s, ayil__mp_t *r, size_t n) {
  const uint8_t *id = NULL, *eb = NULL;
  uint8_t held[AYIL_HASH_BYTES], theirs[AYIL_HASH_BYTES];
  uint8_t hh[AYIL_HASH_BYTES];
  uint64_t h = 0;
  size_t elen = 0;
  ayil_entry_t e;
  int si, rc;

  if (n != 3)
    return AYIL_EFORMAT;
  rc = ayil__mp_bin_n(r, AYIL_ID_BYTES, &id);
  if (rc == 0)
    rc = ayil__mp_bin(r, AYIL_ENTRY_MAX, &eb, &elen);
  if (rc == 0)
    rc = ayil__mp_check_entry(eb, elen);
  if (rc == 0)
    rc = ayil_entry_decode(&e, eb, elen);
  if (rc != 0)
    return rc;
  si = ayil__sync_find_slot(s, id);
  if (si < 0 || memcmp(e.origin, id, AYIL_ID_BYTES) != 0)
    return AYIL_EPEER;
  if (ayil_entry_verify(&e) != 0)
    return AYIL_ESIG;
  if (s->slots[si].forked)
    return 0;
  /* The peer claims its entry differs from ours: check it, never trust. */
  rc = ayil__sync_head(s, id, &h, hh);
  if (rc != 0)
    return rc;
  if (e.seq > h)
    return AYIL_EPEER;
  rc = ayil__sync_stored_hash(s, id, e.seq, held);
  if (rc != 0)
    return rc;
  ayil_entry_hash(eb, elen, theirs);
  if (memcmp(held, theirs, AYIL_HASH_BYTES) == 0)
    return AYIL_EPEER;
  ayil__sync_fork_found(s, si, e.seq, 1);
  return 0;
}

int ayil_sync_recv(ayil_sync_t *s, const uint8_t *msg, size_t len,
                   uint64_t now_ms) {
  ayil__mp_t r = {msg, msg + len};
  uint64_t type = 0;
  size_t n = 0;
  int rc;

  if (s->err)
    return s->err;
  if (s->state != ST_STARTED)
    return ayil__sync_fail(s, AYIL_ESTATE);
  if (len > AYIL_SYNC_MSG_MAX)
    return ayil__sync_fail(s, AYIL_ETOOBIG);
  s->last_recv = now_ms;
  s->st.msgs_recv++;
  s->st.bytes_recv += len;
  rc = ayil__mp_array(&r, &n);
  if (rc == 0 && n < 1)
    rc = AYIL_EFORMAT;
  if (rc == 0)
    rc = ayil__mp_uint(&r, 255, &type);
  if (rc != 0)
    return ayil__sync_fail(s, rc);
  if (!s->ack_timer && (type == AYIL__SYNC_ENTRIES || type == AYIL__SYNC_MORE ||
                        type == AYIL__SYNC_BODY)) {
    /* Data to acknowledge within ack_ms, once it is durable. */
    s->ack_timer = 1;
    s->ack_since = now_ms;
  }
  switch (type) {
  case AYIL__SYNC_ENTRIES:
  case AYIL__SYNC_MORE:
    rc = on_entries(s, &r, n, type == AYIL__SYNC_MORE);
    break;
  case AYIL__SYNC_ACK:
    rc = on_ack(s, &r, n);
    break;
  case AYIL__SYNC_BODY:
    rc = on_body(s, &r, n);
    break;
  case AYIL__SYNC_ROWS:
    rc = n < 2 ? AYIL_EFORMAT : ayil__sync_peer_rows(s, &r, n - 1, 0);
    break;
  case AYIL__SYNC_FORK:
    rc = on_fork(s, &r, n);
    break;
  case AYIL__SYNC_PING:
    rc = n == 1 ? 0 : AYIL_EFORMAT;
    /* A peer pings at most once per ping_ms of silence; pings that a link
     * held back arrive together, but never PINGS_UNANSWERED_MAX of them
     * (that is minutes of silence, past any dead-link time). More is a
     * flood: PROTOCOL.md, "Liveness". */
    if (s->pong_due && ++s->pings_unanswered > AYIL__SYNC_PINGS_UNANSWERED_MAX)
      rc = AYIL_EPEER;
    s->pong_due = 1;
    break;
  case AYIL__SYNC_PONG:
    rc = n == 1 ? 0 : AYIL_EFORMAT;
    break;
  case AYIL__SYNC_WANTBODY:
    rc = ayil__sync_on_wantbody(s, &r, n);
    break;
  case AYIL__SYNC_REPAIR:
    rc = ayil__sync_on_repair(s, &r, n);
    break;
  case AYIL__SYNC_ARRIVED:
    rc = on_arrived(s, &r, n);
    break;
  case AYIL__SYNC_NAMED:
    rc = on_named(s, &r, n);
    break;
  case AYIL__SYNC_SKIPPED:
    rc = on_skipped(s, &r, n);
    break;
  default:
    rc = AYIL_EFORMAT;
  }
  if (rc == 0)
    rc = ayil__mp_done(&r);
  return ayil__sync_fail(s, rc);
}

int ayil_sync_committed(ayil_sync_t *s, const uint8_t origin[AYIL_ID_BYTES],
                        uint64_t seq) {
  int si;
  slot_t *sl;
  if (s->err)
    return s->err;
  si = ayil__sync_find_slot(s, origin);
  if (si < 0)
    return 0;
  sl = &s->slots[si];
  if (!sl->in_active)
    return 0;
  if (seq > sl->in_delivered)
    seq = sl->in_delivered;
  if (seq > sl->in_committed)
    sl->in_committed = seq;
  return 0;
}

/* The flags origins() gives `origin` now (0 if it is not listed). */
static int origin_flags(ayil_sync_t *s, const uint8_t *origin,
                        unsigned *flags) {
  ayil_sync_origin_t *rows = calloc(AYIL_SYNC_ORIGINS_MAX, sizeof *rows);
  size_t i, n = 0;
  int rc;
  *flags = 0;
  if (rows == NULL)
    return AYIL_ENOMEM;
  rc = ayil__sync_cb_rc(
      s->cfg.origins(s->cfg.ctx, rows, AYIL_SYNC_ORIGINS_MAX, &n));
  for (i = 0; rc == 0 && i < n && i < AYIL_SYNC_ORIGINS_MAX; i++)
    if (memcmp(rows[i].id, origin, AYIL_ID_BYTES) == 0)
      *flags = rows[i].flags & (AYIL_SYNC_OFFER | AYIL_SYNC_WANT);
  free(rows);
  return rc;
}

int ayil_sync_name(ayil_sync_t *s, const uint8_t origin[AYIL_ID_BYTES]) {
  int si;
  if (s->err)
    return s->err;
  si = ayil__sync_find_slot(s, origin);
  if (si >= 0 && s->slots[si].my_idx >= 0)
    s->slots[si].name_due = 1;
  return 0;
}

int ayil_sync_bad_origin(const ayil_sync_t *s, uint8_t origin[AYIL_ID_BYTES]) {
  if (!s->has_bad)
    return 0;
  memcpy(origin, s->bad_origin, AYIL_ID_BYTES);
  return 1;
}

int ayil_sync_arrived(ayil_sync_t *s, const uint8_t origin[AYIL_ID_BYTES],
                      uint64_t seq, uint64_t at) {
  int si;
  if (s->err)
    return s->err;
  si = ayil__sync_find_slot(s, origin);
  if (si < 0 || s->slots[si].my_idx < 0 || seq > INT64_MAX || at > INT64_MAX)
    return 0; /* not named by this side: nothing to say of it */
  if (s->slots[si].arr_seq == seq && s->slots[si].arr_at == at &&
      !s->slots[si].arr_due)
    return 0;
  s->slots[si].arr_seq = seq;
  s->slots[si].arr_at = at;
  s->slots[si].arr_due = 1;
  return 0;
}

int ayil_sync_notify(ayil_sync_t *s, const uint8_t origin[AYIL_ID_BYTES]) {
  uint8_t hh[AYIL_HASH_BYTES];
  uint64_t h = 0;
  unsigned flags = 0;
  int si, rc;

  if (s->err)
    return s->err;
  si = ayil__sync_find_slot(s, origin);
  if (si >= 0 && s->slots[si].my_idx >= 0) {
    slot_t *sl = &s->slots[si];
    if (!sl->out_active)
      return 0;
    rc = ayil__sync_head(s, origin, &h, hh);
    if (rc != 0)
      return ayil__sync_fail(s, rc);
    if (h > sl->out_head)
      sl->out_head = h;
    return 0;
  }
  if (s->state == ST_NEW)
    return 0; /* the have payload will name it */
  /* A new origin: announce it in a ROWS message. */
  rc = origin_flags(s, origin, &flags);
  if (rc != 0 || flags == 0)
    return ayil__sync_fail(s, rc);
  rc = ayil__sync_get_slot(s, origin, &si);
  if (rc == 0)
    rc = ayil__sync_add_mine(s, si, flags);
  if (rc == 0 && s->state == ST_STARTED)
    rc = ayil__sync_link(s, si);
  return ayil__sync_fail(s, rc);
}

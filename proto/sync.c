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

#include "ayil/handshake.h"
#include "ayil/policy.h"
#include "ayil/sync.h"
#include "ayil/transport.h"
#include "sync_int.h"

_Static_assert(AYIL_SYNC_MSG_MAX == AYIL_FRAME_MAX, "a message is a frame");
_Static_assert(AYIL_SYNC_HAVE_MAX == AYIL_HS_PAYLOAD_MAX,
               "the have payload rides in the handshake");

/* Bytes kept free in a message for its header: array, type, idx, seq, prev. */
#define MSG_HDR_RESERVE 64
/* Smallest msg_max: one record with a maximal header and a maximal purge
 * proof must fit in one message. */
#define MSG_MIN 12288

enum { ST_NEW = 0, ST_HAVE, ST_STARTED };

typedef struct {
  uint8_t id[AYIL_ID_BYTES];
  int my_idx, peer_idx; /* -1 until named by that side */
  unsigned my_flags, peer_flags;
  int linked, forked;
  uint64_t my_seq; /* head this side announced */
  uint8_t my_hash[AYIL_HASH_BYTES];
  uint64_t peer_seq; /* head the peer announced */
  uint8_t peer_hash[AYIL_HASH_BYTES];
  int fork_pending; /* a FORK proof is to be sent */
  uint64_t fork_seq;
  /* outbound */
  int out_active, out_prev_ok;
  uint64_t out_head, out_next, out_acked;
  uint8_t out_prev[AYIL_HASH_BYTES]; /* hash of entry out_next-1 */
  /* The record out_wait_seq needs out_wait_bytes of window: remembered so
   * that a blocked sender does not re-read it at every poll. */
  uint64_t out_wait_seq;
  size_t out_wait_bytes;
  /* The stream as the peer follows it: the seq after the last record sent
   * on this connection (0: none, or taken back) and that record's ts. A
   * message starting there is a MORE: no first, no prev, ts as a delta. */
  uint64_t tx_next, tx_ts;
  /* inbound */
  int in_active;
  uint64_t in_next, in_delivered, in_committed, in_acked, in_target;
  uint8_t in_prev[AYIL_HASH_BYTES]; /* hash of entry in_next-1 */
  /* The peer's stream as received: the seq after the last record accepted
   * from it (0: none), that record's hash, and the last record's ts. */
  uint64_t rx_next, rx_ts;
  uint8_t rx_prev[AYIL_HASH_BYTES];
  /* Early streaming (PROTOCOL.md, "Sync", early streams). Sender: the
   * embedder's assumption of the peer's head (ayil_sync_assume), and
   * `early` while this side streams on it, before ayil_sync_start(). */
  int assume_set, early;
  uint64_t assume_seq;
  /* Sender: the seq after the last record sent on this connection, ever
   * (out_next can go back, after a rewind). */
  uint64_t out_hw;
  /* Receiver: the peer announced an early stream of this origin; until a
   * stream of it is joined, what does not fit is ignored, and `rx_ignoring`
   * while the peer's current stream is being ignored (its MOREs too). */
  int rx_early, rx_ignoring;
} slot_t;

/* One record sent and not yet acknowledged. */
typedef struct {
  uint32_t slot;
  uint32_t done;
  uint64_t seq;
  size_t bytes;
} flight_t;

struct ayil_sync_s {
  ayil_sync_config_t cfg;
  int state;
  int err;
  slot_t *slots;
  size_t nslots, slots_cap;
  uint32_t *mine; /* my list: slot index by my idx */
  size_t nmine, mine_sent;
  uint32_t *theirs; /* peer's list */
  size_t ntheirs;
  flight_t *fl;
  size_t fl_off, fl_len, fl_cap;
  size_t inflight;
  size_t rr;
  /* a body being sent in BODY messages */
  int cs_active;
  uint32_t cs_slot;
  uint64_t cs_seq;
  size_t cs_total, cs_off;
  uint8_t cs_prev[AYIL_HASH_BYTES]; /* out_prev before that record */
  /* a body being received in BODY messages */
  int cr_active, cr_discard;
  uint32_t cr_slot;
  uint64_t cr_seq;
  uint8_t cr_prev[AYIL_HASH_BYTES];
  uint64_t cr_ts;
  uint8_t cr_record[AYIL_RECID_BYTES];
  uint32_t cr_op, cr_codes;
  int cr_has_header;
  uint8_t cr_header[AYIL_HEADER_MAX];
  size_t cr_header_len;
  uint8_t cr_sig[AYIL_SIG_BYTES];
  uint8_t *cr_body;
  size_t cr_total, cr_fill;
  int pong_due;
  int early;    /* some origin streams before ayil_sync_start() */
  int cs_abort; /* a chunked record was taken back: send [BODY, nil] */
  uint64_t last_recv, last_ping;
  uint64_t recv_at_ack;
  int ack_timer; /* data arrived since the last ACK, at ack_since */
  uint64_t ack_since;
  ayil_sync_stats_t st;
  uint8_t *out;  /* the message handed out by poll */
  uint8_t *recs; /* records being batched */
};

static const uint8_t ZEROS[AYIL_HASH_BYTES];

/* A callback's failure, made into an AYIL_E* code. */
static int cb_rc(int rc) {
  return rc > 0 ? AYIL_ESTORE : rc;
}

static int fail(ayil_sync_t *s, int rc) {
  if (rc < 0 && s->err == 0)
    s->err = rc;
  return rc;
}

static void emit(ayil_sync_t *s, int type, const uint8_t *origin, uint64_t seq,
                 int by_peer) {
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

static void flights_ack(ayil_sync_t *s, uint32_t si, uint64_t seq);

static int find_slot(const ayil_sync_t *s, const uint8_t id[AYIL_ID_BYTES]) {
  size_t i;
  for (i = 0; i < s->nslots; i++)
    if (memcmp(s->slots[i].id, id, AYIL_ID_BYTES) == 0)
      return (int)i;
  return -1;
}

/* Finds or adds the slot of `id`. Invalidates slot_t pointers. */
static int get_slot(ayil_sync_t *s, const uint8_t id[AYIL_ID_BYTES], int *out) {
  int i = find_slot(s, id);
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

static int head(ayil_sync_t *s, const uint8_t *id, uint64_t *seq,
                uint8_t hash[AYIL_HASH_BYTES]) {
  int rc;
  *seq = 0;
  rc = cb_rc(s->cfg.head(s->cfg.ctx, id, seq, hash));
  if (rc == 0 && *seq > INT64_MAX)
    rc = AYIL_ESTORE;
  if (rc == 0 && *seq == 0)
    memset(hash, 0, AYIL_HASH_BYTES);
  return rc;
}

/* The hash of this side's durable entry (id, seq). */
static int stored_hash(ayil_sync_t *s, const uint8_t *id, uint64_t seq,
                       uint8_t hash[AYIL_HASH_BYTES]) {
  ayil_sync_item_t it;
  int rc;
  memset(&it, 0, sizeof it);
  rc = cb_rc(s->cfg.get(s->cfg.ctx, id, seq, &it));
  if (rc != 0)
    return rc;
  if (it.entry == NULL || it.entry_len == 0)
    return AYIL_ECORRUPT;
  ayil_entry_hash(it.entry, it.entry_len, hash);
  return 0;
}

/* Adds this side's row for slot `si`; sent in the have payload or, after
 * it, in a ROWS message. */
static int add_mine(ayil_sync_t *s, int si, unsigned flags) {
  slot_t *sl = &s->slots[si];
  int rc = head(s, sl->id, &sl->my_seq, sl->my_hash);
  if (rc != 0)
    return rc;
  sl->my_flags = flags & (AYIL_SYNC_OFFER | AYIL_SYNC_WANT);
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
static void fork_found(ayil_sync_t *s, int si, uint64_t seq, int by_peer) {
  slot_t *sl = &s->slots[si];
  sl->forked = 1;
  sl->out_active = 0;
  sl->in_active = 0;
  drop_flights(s, (uint32_t)si);
  if (!by_peer) {
    sl->fork_pending = 1;
    sl->fork_seq = seq;
  }
  emit(s, AYIL_SYNC_EV_FORK, sl->id, seq, by_peer);
}

/* Takes back a chunked record of slot `si` being sent: [BODY, nil] goes
 * next, and the record is not in flight any more. */
static void chunk_abort(ayil_sync_t *s, int si) {
  if (!s->cs_active || s->cs_slot != (uint32_t)si)
    return;
  s->cs_active = 0;
  s->cs_abort = 1;
}

/* Ends the early stream of slot `si`: the peer does not take it on this
 * connection (no WANT, not named, a fork). What it ignored is not in
 * flight. */
static void early_stop(ayil_sync_t *s, int si) {
  slot_t *sl = &s->slots[si];
  if (!sl->early)
    return;
  sl->early = 0;
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
    if (sl->out_next <= p && !(s->cs_active && s->cs_slot == (uint32_t)si)) {
      sl->out_next = p + 1;
      memcpy(sl->out_prev, sl->peer_hash, AYIL_HASH_BYTES);
      /* A peer ahead of this side: send_entries() checks its head if this
       * side ever gets past it. */
      sl->out_prev_ok = p <= h;
    }
    sl->out_acked = p < sl->out_next ? p : sl->out_next - 1;
    flights_ack(s, (uint32_t)si, sl->out_acked);
    /* The embedder's belief was stale (an ACK lost with the link): the
     * have is as good as an acknowledgement, so its next assumption is
     * right even if this connection is cut before any ACK. Only where
     * this side could compare: the peer's entry at p is its own. */
    if (p <= h)
      emit(s, AYIL_SYNC_EV_ACKED, sl->id, p, 1);
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

/* Both sides have named slot `si`: compare heads, then set up the halves. */
static int link(ayil_sync_t *s, int si) {
  slot_t *sl = &s->slots[si];
  uint8_t hh[AYIL_HASH_BYTES], mine[AYIL_HASH_BYTES];
  uint64_t h = 0, p;
  int rc;

  if (sl->linked || sl->forked || sl->my_idx < 0 || sl->peer_idx < 0)
    return 0;
  sl->linked = 1;
  rc = head(s, sl->id, &h, hh);
  if (rc != 0)
    return rc;
  p = sl->peer_seq;
  if (p >= 1 && p <= h) {
    rc = stored_hash(s, sl->id, p, mine);
    if (rc != 0)
      return rc;
    if (memcmp(mine, sl->peer_hash, AYIL_HASH_BYTES) != 0) {
      early_stop(s, si);
      fork_found(s, si, p, 0);
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
  }
  if ((sl->my_flags & AYIL_SYNC_WANT) && (sl->peer_flags & AYIL_SYNC_OFFER)) {
    sl->in_active = 1;
    sl->in_next = sl->my_seq + 1;
    memcpy(sl->in_prev, sl->my_hash, AYIL_HASH_BYTES);
    sl->in_delivered = sl->in_committed = sl->in_acked = sl->my_seq;
    sl->in_target = p;
  }
  return 0;
}

/* ---- rows ------------------------------------------------------------ */

/* Reads `n` peer rows, then links them (after discovering origins this side
 * did not name). */
static int peer_rows(ayil_sync_t *s, ayil__mp_t *r, size_t n, int in_have) {
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
    rc = get_slot(s, id, &si);
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
    sl->rx_early = (flags & AYIL__SYNC_EARLY) && (flags & AYIL_SYNC_OFFER);
    memcpy(sl->peer_hash, hash != NULL ? hash : ZEROS, AYIL_HASH_BYTES);
  }
  for (i = first; i < s->ntheirs; i++) {
    int si = (int)s->theirs[i];
    if (s->slots[si].my_idx < 0 && s->cfg.discover != NULL) {
      unsigned f = s->cfg.discover(s->cfg.ctx, s->slots[si].id);
      f &= AYIL_SYNC_OFFER | AYIL_SYNC_WANT;
      if (f != 0) {
        rc = add_mine(s, si, f);
        if (rc != 0)
          return rc;
      }
    }
    rc = link(s, si);
    if (rc != 0)
      return rc;
  }
  return 0;
}

/* ---- lifecycle ------------------------------------------------------- */

int ayil_sync_new(ayil_sync_t **out, const ayil_sync_config_t *cfg,
                  uint64_t now_ms) {
  ayil_sync_t *s;
  if (out == NULL || cfg == NULL || cfg->origins == NULL || cfg->head == NULL ||
      cfg->get == NULL || cfg->deliver == NULL)
    return AYIL_EINVAL;
  s = calloc(1, sizeof *s);
  if (s == NULL)
    return AYIL_ENOMEM;
  s->cfg = *cfg;
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
  s->out = malloc(s->cfg.msg_max);
  s->recs = malloc(s->cfg.msg_max);
  if (s->out == NULL || s->recs == NULL) {
    ayil_sync_free(s);
    return AYIL_ENOMEM;
  }
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
  rc = get_slot(s, origin, &si);
  if (rc != 0)
    return fail(s, rc);
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
    rc = stored_hash(s, sl->id, a, sl->out_prev);
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
  rc = cb_rc(s->cfg.origins(s->cfg.ctx, rows, AYIL_SYNC_ROWS_MAX + 1, &n));
  if (rc == 0 && n > AYIL_SYNC_ROWS_MAX)
    rc = AYIL_ETOOBIG;
  for (i = 0; rc == 0 && i < n; i++) {
    int si = -1;
    if ((rows[i].flags & (AYIL_SYNC_OFFER | AYIL_SYNC_WANT)) == 0)
      continue;
    si = find_slot(s, rows[i].id);
    if (si >= 0 && s->slots[si].my_idx >= 0) {
      rc = AYIL_EINVAL; /* the embedder named an origin twice */
      break;
    }
    rc = get_slot(s, rows[i].id, &si);
    if (rc == 0)
      rc = add_mine(s, si, rows[i].flags);
    if (rc == 0)
      rc = early_setup(s, si);
  }
  free(rows);
  if (rc != 0)
    return fail(s, rc);
  ayil__wbuf_init(&w, out, cap);
  msgpack_pack_array(&w.pk, 2);
  msgpack_pack_uint32(&w.pk, AYIL_SYNC_VERSION);
  msgpack_pack_array(&w.pk, s->nmine);
  for (i = 0; i < s->nmine; i++) {
    const slot_t *sl = &s->slots[s->mine[i]];
    ayil__row_write(&w.pk, sl->id, sl->my_seq, sl->my_hash,
                    sl->my_flags | (sl->early ? AYIL__SYNC_EARLY : 0u));
  }
  if (w.overflow)
    return fail(s, AYIL_ETOOBIG);
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
    return fail(s, AYIL_ETOOBIG);
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
    rc = peer_rows(s, &r, n, 1);
  if (rc == 0)
    rc = ayil__mp_done(&r);
  if (rc == 0 && s->early) {
    /* Early streams of origins the peer did not name end here. */
    size_t i;
    for (i = 0; i < s->nslots; i++)
      early_stop(s, (int)i);
    s->early = 0;
  }
  return fail(s, rc);
}

/* ---- receiving ------------------------------------------------------- */

/* Whether this side wants `origin` on this connection: its slot's flags,
 * else what discover() would say. */
static unsigned wants(void *ctx, const uint8_t origin[AYIL_ID_BYTES]) {
  ayil_sync_t *s = ctx;
  int oi = find_slot(s, origin);
  if (oi >= 0 && (s->slots[oi].my_flags & AYIL_SYNC_WANT))
    return AYIL_SYNC_WANT;
  if (s->cfg.discover != NULL)
    return s->cfg.discover(s->cfg.ctx, origin);
  return 0;
}

/* A purged body must be proven: the rule is the policy's. */
static int check_proof(ayil_sync_t *s, const slot_t *sl, uint64_t seq,
                       const ayil__rec_t *rec) {
  return ayil_policy_purge_check(sl->id, seq, rec->record, rec->proof,
                                 rec->proof_len, wants, s);
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
  flights_ack(s, (uint32_t)si, seq < sl->out_next ? seq : sl->out_next - 1);
}

/*
 * Rebuilds entry (slot si, seq) from its wire form, `prev` being the hash
 * of its predecessor and `body` the inline or reassembled body, then checks
 * it and, if it is the next one, delivers it. Writes the entry's hash to
 * `hash`. Returns 0, 1 when the origin turned out forked (stop), or an
 * error.
 */
static int accept_record(ayil_sync_t *s, int si, const ayil__rec_t *rec,
                         const uint8_t *body, size_t body_len, uint64_t seq,
                         const uint8_t prev[AYIL_HASH_BYTES],
                         uint64_t store_seq, uint8_t hash[AYIL_HASH_BYTES]) {
  slot_t *sl = &s->slots[si];
  uint8_t ebuf[AYIL_ENTRY_MAX], held[AYIL_HASH_BYTES];
  ayil_entry_t e, d;
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
  default:
    e.has_body = 1;
    ayil_body_hash(body, body_len, e.body_hash);
    item.body = body;
    item.body_len = body_len;
  }
  memcpy(e.sig, rec->sig, AYIL_SIG_BYTES);
  rc = ayil_entry_encode(&e, ebuf, sizeof ebuf, &elen);
  if (rc == 0)
    rc = ayil_entry_decode(&d, ebuf, elen);
  if (rc != 0)
    return rc;
  /* The signature covers origin, seq, prev and the body hash that this
   * side filled in: any of them wrong and it fails. */
  if (ayil_entry_verify(&d) != 0)
    return AYIL_ESIG;
  ayil_entry_hash(ebuf, elen, hash);
  if (seq < sl->in_next || seq <= store_seq) {
    /* This side holds that position already: it sent it itself on this
     * connection (both sides streamed at once), or stored it since its
     * have. It must be the very same entry. */
    rc = stored_hash(s, sl->id, seq, held);
    if (rc == AYIL_ENOTFOUND)
      return AYIL_EPEER;
    if (rc != 0)
      return rc;
    if (memcmp(held, hash, AYIL_HASH_BYTES) != 0) {
      fork_found(s, si, seq, 0);
      return 1;
    }
    if (seq == sl->in_next)
      sl->in_committed = seq;
  } else {
    item.entry = ebuf;
    item.entry_len = elen;
    rc = cb_rc(s->cfg.deliver(s->cfg.ctx, &d, &item));
    sl = &s->slots[si];
    if (rc == AYIL_EFORK) {
      /* The proof goes out only if the entry held here is durable by
       * then (send_fork() skips it otherwise). */
      fork_found(s, si, seq, 0);
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
  rc = head(s, sl->id, &store_seq, hh);
  if (rc != 0)
    return rc;
  if (first - 1 > store_seq)
    return 0; /* beyond this side's head + 1: a gap */
  rc = stored_hash(s, sl->id, first - 1, held);
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
    rc = head(s, sl->id, &store_seq, hh);
    if (rc != 0)
      return rc;
    if (first > sl->in_next) {
      /* The peer skipped entries this side holds durably (it sent them
       * itself on this connection): continue from there. */
      uint8_t held[AYIL_HASH_BYTES];
      if (first - 1 > store_seq)
        return AYIL_ESEQ;
      rc = stored_hash(s, sl->id, first - 1, held);
      if (rc != 0)
        return rc;
      if (memcmp(held, prev, AYIL_HASH_BYTES) != 0)
        return AYIL_ECHAIN;
      sl->in_next = first;
      memcpy(sl->in_prev, held, AYIL_HASH_BYTES);
      sl->in_delivered = sl->in_committed = first - 1;
    }
  }
  memcpy(cur, prev != NULL ? prev : ZEROS, AYIL_HASH_BYTES);
  seq = first;
  for (i = 0; i < nrec; i++, seq++) {
    ayil__rec_t rec;
    /* Every ts is a delta from the record before, but the first of an
     * ENTRIES message. */
    rc = ayil__rec_read(r, has_ts ? &ts : NULL, hbuf, &rec);
    if (rc != 0)
      return rc;
    ts = rec.ts_ms;
    has_ts = 1;
    s->slots[si].rx_ts = ts;
    s->st.entries_recv++;
    if (rec.body_kind == AYIL__BODY_CHUNKED) {
      if (i != nrec - 1)
        return AYIL_EPEER;
      s->cr_body = malloc(rec.body_len);
      if (s->cr_body == NULL)
        return AYIL_ENOMEM;
      s->cr_active = 1;
      s->cr_discard = discard;
      s->cr_slot = (uint32_t)si;
      s->cr_seq = seq;
      memcpy(s->cr_prev, cur, AYIL_HASH_BYTES);
      s->cr_ts = rec.ts_ms;
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
    return 0;
  }
  rc = ayil__mp_bin(r, AYIL_SYNC_MSG_MAX, &p, &k);
  if (rc != 0)
    return rc;
  if (k == 0 || k > s->cr_total - s->cr_fill)
    return AYIL_EPEER;
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
    rc = head(s, s->slots[si].id, &store_seq, hh);
    if (rc == 0)
      rc = accept_record(s, si, &rec, s->cr_body, s->cr_total, s->cr_seq,
                         s->cr_prev, store_seq, hash);
    if (rc == 1)
      rc = 0;
  }
  free(s->cr_body);
  s->cr_body = NULL;
  return rc;
}

static void flights_ack(ayil_sync_t *s, uint32_t si, uint64_t seq) {
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
      rc = stored_hash(s, sl->id, seq, sl->out_prev);
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
    flights_ack(s, s->theirs[idx], seq);
    s->st.acks_recv++;
    emit(s, AYIL_SYNC_EV_ACKED, sl->id, seq, 1);
  }
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
  si = find_slot(s, id);
  if (si < 0 || memcmp(e.origin, id, AYIL_ID_BYTES) != 0)
    return AYIL_EPEER;
  if (ayil_entry_verify(&e) != 0)
    return AYIL_ESIG;
  if (s->slots[si].forked)
    return 0;
  /* The peer claims its entry differs from ours: check it, never trust. */
  rc = head(s, id, &h, hh);
  if (rc != 0)
    return rc;
  if (e.seq > h)
    return AYIL_EPEER;
  rc = stored_hash(s, id, e.seq, held);
  if (rc != 0)
    return rc;
  ayil_entry_hash(eb, elen, theirs);
  if (memcmp(held, theirs, AYIL_HASH_BYTES) == 0)
    return AYIL_EPEER;
  fork_found(s, si, e.seq, 1);
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
    return fail(s, AYIL_ESTATE);
  if (len > AYIL_SYNC_MSG_MAX)
    return fail(s, AYIL_ETOOBIG);
  s->last_recv = now_ms;
  s->st.msgs_recv++;
  s->st.bytes_recv += len;
  rc = ayil__mp_array(&r, &n);
  if (rc == 0 && n < 1)
    rc = AYIL_EFORMAT;
  if (rc == 0)
    rc = ayil__mp_uint(&r, 255, &type);
  if (rc != 0)
    return fail(s, rc);
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
    rc = n < 2 ? AYIL_EFORMAT : peer_rows(s, &r, n - 1, 0);
    break;
  case AYIL__SYNC_FORK:
    rc = on_fork(s, &r, n);
    break;
  case AYIL__SYNC_PING:
    rc = n == 1 ? 0 : AYIL_EFORMAT;
    s->pong_due = 1;
    break;
  case AYIL__SYNC_PONG:
    rc = n == 1 ? 0 : AYIL_EFORMAT;
    break;
  default:
    rc = AYIL_EFORMAT;
  }
  if (rc == 0)
    rc = ayil__mp_done(&r);
  return fail(s, rc);
}

int ayil_sync_committed(ayil_sync_t *s, const uint8_t origin[AYIL_ID_BYTES],
                        uint64_t seq) {
  int si;
  slot_t *sl;
  if (s->err)
    return s->err;
  si = find_slot(s, origin);
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
  rc = cb_rc(s->cfg.origins(s->cfg.ctx, rows, AYIL_SYNC_ORIGINS_MAX, &n));
  for (i = 0; rc == 0 && i < n && i < AYIL_SYNC_ORIGINS_MAX; i++)
    if (memcmp(rows[i].id, origin, AYIL_ID_BYTES) == 0)
      *flags = rows[i].flags & (AYIL_SYNC_OFFER | AYIL_SYNC_WANT);
  free(rows);
  return rc;
}

int ayil_sync_notify(ayil_sync_t *s, const uint8_t origin[AYIL_ID_BYTES]) {
  uint8_t hh[AYIL_HASH_BYTES];
  uint64_t h = 0;
  unsigned flags = 0;
  int si, rc;

  if (s->err)
    return s->err;
  si = find_slot(s, origin);
  if (si >= 0 && s->slots[si].my_idx >= 0) {
    slot_t *sl = &s->slots[si];
    if (!sl->out_active)
      return 0;
    rc = head(s, origin, &h, hh);
    if (rc != 0)
      return fail(s, rc);
    if (h > sl->out_head)
      sl->out_head = h;
    return 0;
  }
  if (s->state == ST_NEW)
    return 0; /* the have payload will name it */
  /* A new origin: announce it in a ROWS message. */
  rc = origin_flags(s, origin, &flags);
  if (rc != 0 || flags == 0)
    return fail(s, rc);
  rc = get_slot(s, origin, &si);
  if (rc == 0)
    rc = add_mine(s, si, flags);
  if (rc == 0 && s->state == ST_STARTED)
    rc = link(s, si);
  return fail(s, rc);
}

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
  rc = cb_rc(s->cfg.get(s->cfg.ctx, sl->id, seq, it));
  if (rc != 0)
    return rc;
  if (it->entry == NULL || ayil_entry_decode(e, it->entry, it->entry_len) != 0)
    return AYIL_ECORRUPT;
  if (memcmp(e->origin, sl->id, AYIL_ID_BYTES) != 0 || e->seq != seq ||
      memcmp(e->prev, seq == 1 ? ZEROS : sl->out_prev, AYIL_HASH_BYTES) != 0)
    return AYIL_ECORRUPT;
  if (e->has_body && it->body != NULL) {
    if (it->body_len > AYIL_BODY_MAX)
      return AYIL_ECORRUPT;
    ayil_body_hash(it->body, it->body_len, bh);
    if (memcmp(bh, e->body_hash, AYIL_HASH_BYTES) != 0)
      return AYIL_ECORRUPT;
  } else if (e->has_body && (it->proof == NULL || it->proof_len == 0 ||
                             it->proof_len > AYIL_ENTRY_MAX)) {
    return AYIL_ECORRUPT;
  }
  ayil_entry_hash(it->entry, it->entry_len, hash);
  return 0;
}

static void rec_from(ayil__rec_t *rec, const ayil_entry_t *e,
                     const ayil_sync_item_t *it) {
  memset(rec, 0, sizeof *rec);
  rec->ts_ms = e->ts_ms;
  rec->record = e->record;
  rec->op = e->op;
  rec->codes_version = e->codes_version;
  rec->header = e->header;
  rec->header_len = e->header_len;
  rec->sig = e->sig;
  if (!e->has_body) {
    rec->body_kind = AYIL__BODY_NONE;
  } else if (it->body != NULL) {
    rec->body_kind = AYIL__BODY_INLINE;
    rec->body = it->body;
    rec->body_len = it->body_len;
  } else {
    rec->body_kind = AYIL__BODY_PURGED;
    rec->body_hash = e->body_hash;
    rec->proof = it->proof;
    rec->proof_len = it->proof_len;
  }
}

/*
 * Builds one ENTRIES or MORE message of slot `si` into s->out. *len stays 0
 * if there is nothing to send; *blocked is set when the window is full.
 */
static int send_entries(ayil_sync_t *s, int si, size_t *len, int *blocked) {
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

  if (!sl->out_prev_ok) {
    uint8_t mine[AYIL_HASH_BYTES];
    if (sl->out_head <= sl->out_acked)
      return 0;
    rc = stored_hash(s, sl->id, sl->out_acked, mine);
    if (rc != 0)
      return rc;
    if (memcmp(mine, sl->peer_hash, AYIL_HASH_BYTES) != 0) {
      fork_found(s, si, sl->out_acked, 0);
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
    int chunked = 0;

    rc = own_entry(s, sl, sl->out_next, &it, &e, hash);
    if (rc != 0)
      return rc;
    rec_from(&rec, &e, &it);
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
}

static int send_chunk(ayil_sync_t *s, size_t *len) {
  const slot_t *sl = &s->slots[s->cs_slot];
  ayil_sync_item_t it;
  ayil__wbuf_t w;
  size_t k;
  int rc;
  memset(&it, 0, sizeof it);
  rc = cb_rc(s->cfg.get(s->cfg.ctx, sl->id, s->cs_seq, &it));
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
  if (s->cs_off == s->cs_total)
    s->cs_active = 0;
  *len = w.len;
  return 0;
}

/* 1 when something durable is not acknowledged yet; *drained is set when
 * nothing more is expected either: all the peer announced is durable. */
static int ack_pending(const ayil_sync_t *s, int *drained) {
  size_t i;
  int any = 0;
  *drained = !s->cr_active;
  for (i = 0; i < s->nslots; i++) {
    const slot_t *sl = &s->slots[i];
    if (!sl->in_active)
      continue;
    if (sl->in_committed > sl->in_acked)
      any = 1;
    if (sl->in_delivered > sl->in_committed || sl->in_target > sl->in_delivered)
      *drained = 0;
  }
  return any;
}

static int want_ack(const ayil_sync_t *s, uint64_t now) {
  int drained = 0;
  if (!ack_pending(s, &drained))
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
    ayil__row_write(&w.pk, sl->id, sl->my_seq, sl->my_hash, sl->my_flags);
  }
  if (w.overflow)
    return AYIL_EINVAL;
  s->mine_sent += n;
  *len = w.len;
  return 0;
}

static int send_fork(ayil_sync_t *s, slot_t *sl, size_t *len) {
  ayil_sync_item_t it;
  ayil__wbuf_t w;
  int rc;
  sl->fork_pending = 0;
  memset(&it, 0, sizeof it);
  rc = cb_rc(s->cfg.get(s->cfg.ctx, sl->id, sl->fork_seq, &it));
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
static int work(const ayil_sync_t *s) {
  size_t i;
  if (s->inflight > 0 || s->cs_active || s->cr_active)
    return 1;
  for (i = 0; i < s->nslots; i++)
    if (s->slots[i].in_active &&
        s->slots[i].in_target > s->slots[i].in_delivered)
      return 1;
  return 0;
}

/* The next ENTRIES or MORE of any origin, in turn. */
static int send_some(ayil_sync_t *s, size_t *len) {
  size_t i;
  int rc;
  for (i = 0; i < s->nslots; i++) {
    int si = (int)((s->rr + i) % s->nslots), blocked = 0;
    const slot_t *sl = &s->slots[si];
    if (!sl->out_active || sl->forked || sl->out_next > sl->out_head)
      continue;
    rc = send_entries(s, si, len, &blocked);
    if (rc != 0)
      return rc;
    if (*len > 0) {
      s->rr = (size_t)si + 1;
      return 0;
    }
    if (blocked)
      break; /* the window is shared by all origins */
  }
  return 0;
}

static int poll_one(ayil_sync_t *s, uint64_t now, size_t *len) {
  size_t i;
  int rc;

  if (s->pong_due) {
    s->pong_due = 0;
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
      rc = send_fork(s, &s->slots[i], len);
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
  rc = send_some(s, len);
  if (rc != 0 || *len > 0)
    return rc;
  if (work(s) && now >= s->last_recv + s->cfg.ping_ms &&
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
    return fail(s, rc);
  }
  if (*len > 0) {
    *msg = s->out;
    s->st.msgs_sent++;
    s->st.bytes_sent += *len;
  }
  return 0;
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
  if (work(s)) {
    t = s->last_recv > s->last_ping ? s->last_recv : s->last_ping;
    t += s->cfg.ping_ms;
  }
  if (s->ack_timer && ack_pending(s, &drained) &&
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
  for (i = 0; i < s->nslots; i++) {
    const slot_t *sl = &s->slots[i];
    if (sl->fork_pending)
      return 0;
    if (sl->forked)
      continue;
    if (sl->out_active && sl->out_acked < sl->out_head)
      return 0;
    if (sl->in_active && (sl->in_target > sl->in_delivered ||
                          sl->in_delivered > sl->in_committed ||
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
  int si = find_slot(s, origin);
  if (si < 0 || s->slots[si].peer_idx < 0)
    return AYIL_ENOTFOUND;
  *seq =
      s->slots[si].out_active ? s->slots[si].out_acked : s->slots[si].peer_seq;
  return 0;
}

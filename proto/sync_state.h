/*
 * The sync state machine's state, shared by its three files: sync.c (slots,
 * rows, lifecycle, status), sync_recv.c (the receiver half: verify and
 * deliver the peer's stream) and sync_send.c (the sender half: stream this
 * side's logs, acks, pings). Internal to proto/.
 */
#ifndef AYIL_SYNC_STATE_H
#define AYIL_SYNC_STATE_H

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
  /* ARRIVED to send: entries up to arr_seq reached this side at arr_at */
  int arr_due;
  uint64_t arr_seq, arr_at;
  int name_due; /* NAMED to send (the name from cfg.name_of()) */
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
  /* Sender: the peer's have showed it holds this origin up to skip_to
   * (hash skip_hash), past this side's early stream, while a record of it
   * was going out in BODY messages: skip there once that record is done
   * (ayil__sync_chunk_done). 0: nothing pending. */
  uint64_t skip_to;
  uint8_t skip_hash[AYIL_HASH_BYTES];
  /* Sparse logs (PROTOCOL.md, "Sparse logs"). The peer's row asked for
   * this log sparse (with WANT). */
  int peer_sparse;
  /* Sender: the stream skips what cfg.next() leaves out; out_gap once it
   * moved past entries it did not send (out_prev is then unknown), and
   * SKIPPED told the peer there is nothing more up to out_skipped. */
  int out_sparse, out_gap;
  uint64_t out_skipped;
  /* Receiver: this side takes the log sparse (its row's AYIL_SYNC_SPARSE):
   * a stream may start past a gap, and SKIPPED says that nothing more up
   * to in_skipped is coming. */
  int in_sparse;
  uint64_t in_skipped;
} slot_t;

/* The peer announced entries of this slot that have not come yet: its
 * head is past what was delivered, and (sparse) it did not say that it
 * skips them. */
static inline int ayil__sync_in_waiting(const slot_t *sl) {
  return sl->in_target > sl->in_delivered &&
         !(sl->in_sparse && sl->in_skipped >= sl->in_target);
}

/* This side offers entries of this slot the peer has not settled: not
 * acknowledged, and (sparse) not passed over with SKIPPED either. */
static inline int ayil__sync_out_waiting(const slot_t *sl) {
  return sl->out_active && sl->out_acked < sl->out_head &&
         !(sl->out_sparse && sl->out_next > sl->out_head &&
           sl->out_skipped >= sl->out_head);
}

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
  size_t cr_total, cr_fill, cr_cap;
  int pong_due;
  unsigned pings_unanswered; /* PINGs received while a PONG was due */
  int early;                 /* some origin streams before ayil_sync_start() */
  int peer_held;             /* the peer's rows say it reads the held form */
  int peer_refs;             /* ... that it reads back-references */
  int peer_arrivals;         /* the peer's rows say it reads ARRIVED */
  int arrivals;              /* this side reads them (cfg.arrivals()) */
  /* The entry that ended the connection did not verify or follow its
   * chain: its origin (ayil_sync_bad_origin()). */
  int has_bad;
  uint8_t bad_origin[AYIL_ID_BYTES];
  int cs_abort; /* a chunked record was taken back: send [BODY, nil] */
  uint64_t last_recv, last_ping;
  uint64_t recv_at_ack;
  int ack_timer; /* data arrived since the last ACK, at ack_since */
  uint64_t ack_since;
  ayil_sync_stats_t st;
  uint8_t *out;  /* the message handed out by poll */
  uint8_t *recs; /* records being batched */
  /* body repair (sync_repair.c): what this side asks, what it answers */
  struct {
    uint32_t slot;
    uint64_t seq;
    int done;
  } rp_want[AYIL__REPAIR_MAX];
  size_t rp_nwant, rp_wsent;
  struct {
    uint32_t slot;
    uint64_t seq;
  } rp_ans[AYIL__REPAIR_MAX];
  size_t rp_nans, rp_asent;
};

/* PINGs a peer may send while our PONG is still due (sync_recv.c). */
#define AYIL__SYNC_PINGS_UNANSWERED_MAX 16

/* Shared by the three files; each is defined, with its comment, in one. */
int ayil__sync_bufs(ayil_sync_t *s, int want);
int ayil__sync_ack_pending(const ayil_sync_t *s, int *drained);
int ayil__sync_add_mine(ayil_sync_t *s, int si, unsigned flags);
int ayil__sync_cb_rc(int rc);
void ayil__sync_chunk_done(ayil_sync_t *s, uint32_t si);
void ayil__sync_emit(ayil_sync_t *s, int type, const uint8_t *origin,
                     uint64_t seq, int by_peer);
int ayil__sync_fail(ayil_sync_t *s, int rc);
int ayil__sync_find_slot(const ayil_sync_t *s, const uint8_t id[AYIL_ID_BYTES]);
void ayil__sync_flights_ack(ayil_sync_t *s, uint32_t si, uint64_t seq);
void ayil__sync_fork_found(ayil_sync_t *s, int si, uint64_t seq, int by_peer);
int ayil__sync_get_slot(ayil_sync_t *s, const uint8_t id[AYIL_ID_BYTES],
                        int *out);
int ayil__sync_head(ayil_sync_t *s, const uint8_t *id, uint64_t *seq,
                    uint8_t hash[AYIL_HASH_BYTES]);
int ayil__sync_link(ayil_sync_t *s, int si);
int ayil__sync_peer_rows(ayil_sync_t *s, ayil__mp_t *r, size_t n, int in_have);
int ayil__sync_send_entries(ayil_sync_t *s, int si, size_t *len, int *blocked);
int ayil__sync_send_fork(ayil_sync_t *s, slot_t *sl, size_t *len);
int ayil__sync_stored_hash(ayil_sync_t *s, const uint8_t *id, uint64_t seq,
                           uint8_t hash[AYIL_HASH_BYTES]);
int ayil__sync_work(const ayil_sync_t *s);
/* An ARRIVED is waiting for the peer (sync_send.c). */
int ayil__sync_arrived_due(const ayil_sync_t *s);
int ayil__sync_repair_poll(ayil_sync_t *s, size_t *len);
/* Lists the bodies to ask back (once, from ayil_sync_start). */
int ayil__sync_repair_scan(ayil_sync_t *s);
int ayil__sync_on_wantbody(ayil_sync_t *s, ayil__mp_t *r, size_t n);
int ayil__sync_on_repair(ayil_sync_t *s, ayil__mp_t *r, size_t n);

#endif

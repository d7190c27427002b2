/*
 * The sync state machine: log shipping between two nodes, with no I/O.
 *
 * One ayil_sync_t lives for one connection. It turns bytes and decisions in
 * into bytes and actions out, the way h11 or quinn-proto do:
 *
 *   ayil_sync_new()           with the embedder's store and policy callbacks
 *   ayil_sync_assume()        <- optional: what the peer probably holds
 *   ayil_sync_have_payload()  -> this side's handshake payload ("have")
 *   [ayil_sync_poll()         -> early entries, see ayil_sync_assume()]
 *   ayil_sync_start()         <- the peer's handshake payload
 *   loop:
 *     ayil_sync_recv()        <- each transport frame payload from the peer
 *     ayil_sync_poll()        -> messages to send, one frame payload each
 *     ayil_sync_committed()   <- the embedder made delivered entries durable
 *     ayil_sync_notify()      <- the embedder stored a new entry of an origin
 *     ayil_sync_timeout_ms()  -> when to call ayil_sync_poll() again
 *   ayil_sync_idle(), ayil_sync_progress_ms(): when to linger, leave, or
 *     declare the link dead.
 *
 * The wire format of every message is in proto/PROTOCOL.md, "Sync".
 *
 * What the state machine promises:
 * - Entries of one origin flow in order, from the peer's acknowledged (in
 *   fact durable) head, starting right after the handshake (or, with
 *   ayil_sync_assume(), from an assumed head right behind this side's have,
 *   corrected by the peer's have).
 * - A received entry is handed to deliver() only once its signature, its
 *   place in the chain, its body hash (or purge proof) and its origin's
 *   policy have been checked. Nothing past a bad entry is delivered.
 * - An acknowledgement names only entries the embedder said are durable.
 * - The sender holds no copy of what it sent: it re-reads the store with
 *   get(), and never has more than `window` unacknowledged bytes in flight.
 * - Two different entries at one position (a fork) are never merged: the
 *   origin is closed on this connection and a FORK event is raised on both
 *   sides (the side that sees it sends its entry as proof).
 *
 * Time is passed in by the caller (now_ms, any monotonic milliseconds);
 * nothing here reads a clock, allocates per entry, or blocks.
 */
#ifndef AYIL_SYNC_H
#define AYIL_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "ayil/entry.h"
#include "ayil/error.h"

#define AYIL_SYNC_VERSION 2
/* Longest committee name a NAMED message carries, in bytes. */
#define AYIL_SYNC_NAME_MAX 128
/* Largest message: one transport frame payload (AYIL_FRAME_MAX). */
#define AYIL_SYNC_MSG_MAX 65535
/* Largest have payload: the handshake's payload limit (AYIL_HS_PAYLOAD_MAX). */
#define AYIL_SYNC_HAVE_MAX 16384
/* Rows (origins) in one have payload or ROWS message; 79 bytes each. */
#define AYIL_SYNC_ROWS_MAX 200
/* Origins one connection may name in total, both sides together. */
#define AYIL_SYNC_ORIGINS_MAX 1024

/* Defaults for the ayil_sync_config_t tunables left at 0. */
#define AYIL_SYNC_WINDOW_DEFAULT 16384   /* unacked bytes in flight */
#define AYIL_SYNC_BATCH_DEFAULT 4096     /* target bytes of one ENTRIES */
#define AYIL_SYNC_ACK_BYTES_DEFAULT 4096 /* ack at least every this much */
#define AYIL_SYNC_ACK_MS_DEFAULT 500     /* ...or this long after data */
#define AYIL_SYNC_PING_MS_DEFAULT 10000  /* silence before a ping */

/* Policy flags for an origin, as seen from this side of this connection. */
#define AYIL_SYNC_OFFER 1u /* this side sends the origin's log to the peer */
#define AYIL_SYNC_WANT 2u  /* this side accepts the origin's log from it */
/* With AYIL_SYNC_WANT: this side takes the origin's log sparse, only the
 * entries the peer's policy says concern it, with gaps between them (a
 * committee and its hub's notice log; PROTOCOL.md, "Sparse logs"). */
#define AYIL_SYNC_SPARSE 32u

typedef struct ayil_sync_s ayil_sync_t;

typedef struct {
  uint8_t id[AYIL_ID_BYTES];
  unsigned flags; /* AYIL_SYNC_OFFER | AYIL_SYNC_WANT | AYIL_SYNC_SPARSE */
} ayil_sync_origin_t;

/*
 * One stored entry, as get() returns it and deliver() receives it. All
 * pointers are borrowed: from get(), valid until the next store callback or
 * until the ayil_sync_* call returns; in deliver(), valid during the call.
 *
 * body is NULL when the entry has no body (entry's body hash is nil) or when
 * its body was purged. A purged body must come with `proof`: the encoded
 * OP_DELETE entry, for the same record id, that purged it (see
 * PROTOCOL.md, "Sync", purged bodies). An entry from get() with a body hash,
 * no body and no proof is one whose body this side holds no sound copy of
 * (damaged in the store, or received unavailable): it is sent with its body
 * marked unavailable. deliver() gets such an entry with `unavailable` set
 * (never from get(): there body and proof say it).
 */
typedef struct {
  const uint8_t *entry;
  size_t entry_len;
  const uint8_t *body;
  size_t body_len;
  const uint8_t *proof;
  size_t proof_len;
  int unavailable;
  /* From get(): 1 when an earlier entry of the same log (a lower seq) and
   * the same record carries the same body hash, so a peer that holds the
   * log up to this entry holds its body already; the body may still be
   * given (it is sent to a peer that does not read the held form). In
   * deliver(): the entry came with its body held (body NULL): store it
   * with the body this side holds under that hash for that record, or, if
   * it holds none, as with `unavailable` (PROTOCOL.md, "Sync", Records). */
  int held;
  /* Set by the state machine before get(), read by the embedder: 1 when an
   * entry that is `held` goes out in the held form, so get() may leave its
   * body out (not read it at all). 0: give the body as usual. */
  int held_ok;
  /* Set by the state machine before get(), read by the embedder: 1 when
   * this entry may go out with back-references (the peer reads them and
   * takes the log whole), so get() should look up ref_record and ref_body;
   * 0: it need not. */
  int refs_ok;
  /* From get(), optional (back-references, PROTOCOL.md "Sync", Records):
   * the seq of an earlier entry of the same log with the same record id
   * (ref_record), and of one that carries the same body hash (ref_body,
   * only with `held`); 0: none known. The state machine sends the record
   * id or the held body as a reference to that entry when the peer reads
   * references and has acknowledged it. Never set in deliver(). */
  uint64_t ref_record, ref_body;
} ayil_sync_item_t;

enum {
  /* Two different entries of `origin` at `seq`. The origin is closed on
   * this connection (both directions); others go on. by_peer is 1 when the
   * peer detected it and proved it with its signed entry. The embedder must
   * raise an alert and should keep refusing the origin. */
  AYIL_SYNC_EV_FORK = 1,
  /* The peer acknowledged (stored durably) `origin` up to `seq`; also
   * raised by ayil_sync_start() when the peer's have shows more than
   * ayil_sync_assume() assumed. */
  AYIL_SYNC_EV_ACKED = 2,
};

typedef struct {
  int type;
  const uint8_t *origin; /* AYIL_ID_BYTES, borrowed for the call */
  uint64_t seq;
  int by_peer;
} ayil_sync_event_t;

/*
 * The embedder's store and policy. Callbacks return 0 or a negative AYIL_E*
 * code; a failing callback makes the ayil_sync_* call that ran it fail with
 * that code (the connection must then be closed). Callbacks must not call
 * into the same ayil_sync_t.
 */
typedef struct {
  void *ctx;
  /* The origins this side cares about on this connection with their flags:
   * fills up to `cap` rows, sets *n (> cap means AYIL_ETOOBIG). Called by
   * ayil_sync_have_payload() and by ayil_sync_notify() for a new origin. */
  int (*origins)(void *ctx, ayil_sync_origin_t *out, size_t cap, size_t *n);
  /* Optional. The peer named an origin that origins() did not list: return
   * the flags to use for it (usually AYIL_SYNC_WANT, or 0 to ignore it).
   * This is how a replacement device learns its predecessor's log. */
  unsigned (*discover)(void *ctx, const uint8_t origin[AYIL_ID_BYTES]);
  /* The last durably stored entry of `origin`: *seq = 0 if none (hash is
   * then ignored). */
  int (*head)(void *ctx, const uint8_t origin[AYIL_ID_BYTES], uint64_t *seq,
              uint8_t hash[AYIL_HASH_BYTES]);
  /* The durably stored entry (origin, seq), 1 <= seq <= head. AYIL_ENOTFOUND
   * if absent. */
  int (*get)(void *ctx, const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
             ayil_sync_item_t *out);
  /* A verified entry that directly follows the previous one delivered (or
   * the head announced in the have payload). item->entry is the canonical
   * encoding, byte-identical to what the origin signed; `e` is that entry,
   * already verified (signature, chain, body hash, policy), its header
   * borrowed from the received message: the embedder need not decode or
   * verify it again (ayil_store_append_verified). Store it (durably, at the
   * embedder's pace), then call ayil_sync_committed(). Return 0 (also when the
   * very same entry is already stored or pending from another connection),
   * AYIL_EFORK if a different entry is stored or pending at that position (a
   * FORK event follows), or another error to end the connection. */
  int (*deliver)(void *ctx, const ayil_entry_t *e,
                 const ayil_sync_item_t *item);
  /* Optional. Events: see AYIL_SYNC_EV_*. */
  void (*event)(void *ctx, const ayil_sync_event_t *ev);
  /* Optional (body repair). The first entry of `origin` after `after` that
   * this side holds without a sound copy of its body (damaged in the
   * store, or received unavailable): *seq, or 0 when there is none. Asked
   * once per connection, for the logs the peer offers. */
  int (*lacking)(void *ctx, const uint8_t origin[AYIL_ID_BYTES], uint64_t after,
                 uint64_t *seq);
  /* Optional (body repair). The body of entry (origin, seq), from the peer,
   * already checked against the entry's body hash: store it in place of
   * the lacking one, unless the record's body was purged since. */
  int (*repair)(void *ctx, const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                const uint8_t *body, size_t len);

  /* Optional (sparse logs). For an origin this side OFFERs and the peer
   * takes sparse (AYIL_SYNC_SPARSE on its row): the first seq after
   * `after` that the peer is to get, in *seq, or 0 when none is. The
   * sender skips the others and says so with SKIPPED. NULL: every entry
   * is sent, which a sparse receiver takes too. */
  int (*next)(void *ctx, const uint8_t origin[AYIL_ID_BYTES], uint64_t after,
              uint64_t *seq);

  /* 1: this side dials a hub (upgraded before its committees): its have
   * says it reads the held body form, and it sends that form from the
   * start. 0: it sends it only to a peer whose have says it reads it. */
  int held;
  /* Optional (back-references): the record id and body hash of the stored
   * entry (origin, seq), 1 <= seq <= head, and *has_body (0: its body hash
   * is nil, body_hash untouched). AYIL_ENOTFOUND if absent. A side
   * without it refuses a reference (AYIL_EFORMAT); with it and `refs` set
   * its have says it reads them (PROTOCOL.md, "Sync", Records). */
  int (*ref)(void *ctx, const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
             uint8_t record[AYIL_RECID_BYTES],
             uint8_t body_hash[AYIL_HASH_BYTES], int *has_body);
  /* 1: as `held`, for back-references: this side dials a hub, its have
   * says it reads them (needs `ref`), and it sends them from the start.
   * 0: it sends them only to a peer whose have says it reads them. */
  int refs;
  /* Optional: non-zero when this side reads ARRIVED messages (a hub
   * facing a hub of the tier below), asked once, when the machine is made
   * (on a server: after admit(), the peer known): its have says so, and
   * arrived() hears them. NULL or 0: a peer that sends one anyway breaks
   * the protocol (AYIL_EPEER). */
  int (*arrivals)(void *ctx);
  /* Optional, with arrivals: the peer took in entries of `origin` up to
   * `seq` at `at` (unix seconds, the peer's clock): informational. */
  void (*arrived)(void *ctx, const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                  uint64_t at);
  /* Optional, with arrivals: the peer names the committee whose log
   * `origin` is (`len` bytes of UTF-8, at most AYIL_SYNC_NAME_MAX, not
   * NUL-terminated; untrusted): informational. */
  void (*named)(void *ctx, const uint8_t origin[AYIL_ID_BYTES],
                const char *name, size_t len);
  /* Optional, sender: the name of the committee whose log `origin` is,
   * into buf (at most cap bytes, no NUL needed): its length, or 0 for
   * none. Asked when a NAMED that ayil_sync_name() queued is sent. */
  size_t (*name_of)(void *ctx, const uint8_t origin[AYIL_ID_BYTES], char *buf,
                    size_t cap);

  size_t window;    /* 0: AYIL_SYNC_WINDOW_DEFAULT */
  size_t batch;     /* 0: AYIL_SYNC_BATCH_DEFAULT */
  size_t ack_bytes; /* 0: AYIL_SYNC_ACK_BYTES_DEFAULT */
  size_t msg_max;   /* 0: AYIL_SYNC_MSG_MAX; at least 12288 */
  uint64_t ping_ms; /* 0: AYIL_SYNC_PING_MS_DEFAULT */
  uint64_t ack_ms;  /* 0: AYIL_SYNC_ACK_MS_DEFAULT */
} ayil_sync_config_t;

typedef struct {
  uint64_t msgs_sent, msgs_recv;
  uint64_t bytes_sent, bytes_recv; /* message bytes, frame overhead excluded */
  uint64_t entries_sent, entries_recv, entries_delivered;
  uint64_t acks_sent, acks_recv, pings_sent;
} ayil_sync_stats_t;

/*
 * Creates the state machine for one connection. `cfg` is copied; its ctx
 * must outlive the result. Sets *out only on success. AYIL_EINVAL for a
 * missing required callback or an out-of-range tunable, AYIL_ENOMEM.
 */
int ayil_sync_new(ayil_sync_t **out, const ayil_sync_config_t *cfg,
                  uint64_t now_ms);

/* Frees everything; NULL is a no-op. Fires no callback. */
void ayil_sync_free(ayil_sync_t *s);

/*
 * Writes this side's handshake payload: one row (origin, head seq, head
 * hash, flags) per origin from origins(), never one per entry, so it does
 * not grow with the backlog. Call once, before ayil_sync_start(). `cap`
 * should be AYIL_SYNC_HAVE_MAX. AYIL_ETOOBIG with more than
 * AYIL_SYNC_ROWS_MAX origins, AYIL_ESTATE if called twice.
 */
int ayil_sync_have_payload(ayil_sync_t *s, uint8_t *out, size_t cap,
                           size_t *len);

/*
 * Optional, before ayil_sync_have_payload(): this side believes the peer
 * holds `origin` up to `seq` (e.g. the head it acknowledged on an earlier
 * connection). If this side OFFERs the origin and holds more than `seq`, it
 * streams it from seq + 1 right away: ayil_sync_poll() has ENTRIES for it
 * after ayil_sync_have_payload(), before ayil_sync_start() (a client sends
 * them right behind its auth message). The peer's have corrects a wrong
 * assumption: if the peer holds more, the stream skips ahead; if it holds
 * less (restored from a backup), the peer ignores the early stream and it
 * starts again at the peer's head + 1 (PROTOCOL.md, "Sync", early streams).
 * Only a side that has not read the peer's have may use it: a server
 * starts first, so it has nothing to assume. AYIL_ESTATE after
 * ayil_sync_have_payload(), AYIL_EINVAL for a seq past INT64_MAX.
 */
int ayil_sync_assume(ayil_sync_t *s, const uint8_t origin[AYIL_ID_BYTES],
                     uint64_t seq);

/*
 * Consumes the peer's handshake payload (untrusted). Compares heads for
 * forks (FORK events may fire) and schedules what the peer lacks, so that
 * ayil_sync_poll() has entries right away. Format errors (AYIL_EFORMAT,
 * AYIL_ETRUNC, AYIL_ETOOBIG, AYIL_ENOTCANON, AYIL_ETRAILING, AYIL_EVERSION)
 * or AYIL_EPEER (an origin named twice) end the connection.
 */
int ayil_sync_start(ayil_sync_t *s, const uint8_t *peer, size_t len,
                    uint64_t now_ms);

/*
 * Consumes one message (one frame payload, untrusted). May call deliver()
 * and event(). Any error is sticky, and every later call returns it: the
 * embedder closes the connection. Errors: the format errors above; AYIL_ESIG
 * (an entry does not verify: bad signature, or a field it commits to, such
 * as its body or its predecessor, does not match), AYIL_ECHAIN (a batch does
 * not follow the entry we hold), AYIL_ESEQ (not the next sequence number),
 * AYIL_EPERM (an origin this side does not accept from this peer),
 * AYIL_EPEER (any other protocol violation), or a callback's error.
 */
int ayil_sync_recv(ayil_sync_t *s, const uint8_t *msg, size_t len,
                   uint64_t now_ms);

/*
 * Produces the next message to send: *msg points at *len bytes (borrowed
 * until the next call on `s`), or *len is 0 when there is nothing to send
 * now. Call it until *len is 0 whenever the transport can take more, after
 * every other ayil_sync_* call, and at ayil_sync_timeout_ms(). May call
 * get() and head(). Errors are sticky; AYIL_ECORRUPT means the local store
 * returned an entry that does not fit its log.
 */
int ayil_sync_poll(ayil_sync_t *s, uint64_t now_ms, const uint8_t **msg,
                   size_t *len);

/*
 * The embedder made `origin` durable up to `seq`. Call it on every
 * connection that may be receiving that origin whenever its durable head
 * advances; the state machine only acknowledges what it received itself.
 * Unknown origins are ignored.
 */
int ayil_sync_committed(ayil_sync_t *s, const uint8_t origin[AYIL_ID_BYTES],
                        uint64_t seq);

/*
 * The embedder stored new entries of `origin` (its own, or received from
 * another peer): re-reads head() and sends them if the peer wants them. An
 * origin not yet named on this connection is looked up in origins() and
 * announced with a ROWS message.
 */
int ayil_sync_notify(ayil_sync_t *s, const uint8_t origin[AYIL_ID_BYTES]);

/* 1 and the origin when an entry of that origin did not verify (AYIL_ESIG)
 * or follow its chain (AYIL_ECHAIN, AYIL_ESEQ): the error that ended this
 * machine came from that log. 0 otherwise. */
int ayil_sync_bad_origin(const ayil_sync_t *s, uint8_t origin[AYIL_ID_BYTES]);

/*
 * Tells the peer, if its have said it reads them (ARRIVALS), that this side
 * took in entries of `origin` up to `seq` at `at` (unix seconds): one
 * ARRIVED message, the latest value per origin, sent before new entries.
 * Ignored for an origin this side did not name, or for a peer that does
 * not read them. 0, or the machine's sticky error.
 */
int ayil_sync_arrived(ayil_sync_t *s, const uint8_t origin[AYIL_ID_BYTES],
                      uint64_t seq, uint64_t at);
/* The same for the name of the committee whose log `origin` is: one NAMED
 * message, its text from cfg.name_of() when it is sent. */
int ayil_sync_name(ayil_sync_t *s, const uint8_t origin[AYIL_ID_BYTES]);

/* now_ms of the last message received (or of ayil_sync_start). The embedder
 * declares the link dead when !ayil_sync_idle() and this is too old. */
uint64_t ayil_sync_progress_ms(const ayil_sync_t *s);

/* When ayil_sync_poll() must be called next even if nothing else happens
 * (a ping or an acknowledgement is due), or UINT64_MAX. Pings are sent only
 * while work is outstanding, never on an idle connection. */
uint64_t ayil_sync_timeout_ms(const ayil_sync_t *s);

/*
 * 1 when nothing is outstanding either way: everything this side offers is
 * acknowledged by the peer, everything the peer announced is received,
 * delivered, committed and acknowledged, and no message is waiting in
 * ayil_sync_poll(). Forked origins are left out. 0 before ayil_sync_start()
 * or after an error.
 */
int ayil_sync_idle(const ayil_sync_t *s);

/* Heap bytes the state machine holds (ayil_session_memory()). */
size_t ayil_sync_memory(const ayil_sync_t *s);

/* Counters for `ayil status` and the benchmarks. */
void ayil_sync_stats(const ayil_sync_t *s, ayil_sync_stats_t *out);

/*
 * The peer's acknowledged head of `origin` as known on this connection
 * (from its have payload and its ACKs). AYIL_ENOTFOUND if not named.
 */
int ayil_sync_peer_acked(const ayil_sync_t *s,
                         const uint8_t origin[AYIL_ID_BYTES], uint64_t *seq);

#endif

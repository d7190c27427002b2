/*
 * Internals of the sync state machine shared by proto/sync.c (the state
 * machine), proto/sync_msg.c (the byte codecs) and proto/sync_dict.c (the
 * compact record headers). Not a public API.
 */
#ifndef AYIL_SYNC_INT_H
#define AYIL_SYNC_INT_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "ayil/entry.h"
#include "ayil/mp.h"
#include "ayil/sync.h"

/* Message types: the first element of every message array. */
enum {
  AYIL__SYNC_ENTRIES = 1,
  AYIL__SYNC_ACK = 2,
  AYIL__SYNC_BODY = 3,
  AYIL__SYNC_ROWS = 4,
  AYIL__SYNC_FORK = 5,
  AYIL__SYNC_PING = 6,
  AYIL__SYNC_PONG = 7,
  AYIL__SYNC_MORE = 8,     /* ENTRIES continuing the origin's stream */
  AYIL__SYNC_WANTBODY = 9, /* asks for a body this side lacks */
  AYIL__SYNC_REPAIR = 10,  /* the answer: that body */
  AYIL__SYNC_ARRIVED = 11, /* when the sender took in an origin's entries */
  AYIL__SYNC_NAMED = 12,   /* the name of the committee an origin is of */
  AYIL__SYNC_SKIPPED = 13, /* a sparse stream has nothing more up to seq */
};
/* Body repairs asked (and answered) on one connection, at most. */
#define AYIL__REPAIR_MAX 16

/* Have row flag beside AYIL_SYNC_OFFER and AYIL_SYNC_WANT: this side streams
 * the origin before it reads the peer's have (PROTOCOL.md, early streams). */
#define AYIL__SYNC_EARLY 4u
/* Have row flag: this side reads the held body form (PROTOCOL.md, "Sync",
 * Records). Set on every row of a side or on none. */
#define AYIL__SYNC_HELD 8u
/* Have row flag: this side reads ARRIVED messages (a hub facing a hub of
 * the tier below; PROTOCOL.md, "National tier", freshness). Set on every
 * row of a side or on none. */
#define AYIL__SYNC_ARRIVALS 16u
/* Have row flag: this side reads back-references, a record id or a held
 * body named by an earlier entry of the same log (PROTOCOL.md, "Sync",
 * Records). Set on every row of a side or on none. */
#define AYIL__SYNC_REFS 64u

/* The strict reader and the fixed-buffer writer are proto/mp.c's
 * (ayil/mp.h). The old names stay for proto/sync.c and
 * tests/tools/evilpeer.c until they move to the new ones. */
#define ayil__mp_t ayil_mp_t
#define ayil__mp_array ayil_mp_array
#define ayil__mp_array_n ayil_mp_array_n
#define ayil__mp_bin ayil_mp_bin
#define ayil__mp_bin_n ayil_mp_bin_n
#define ayil__mp_nil ayil_mp_nil
#define ayil__mp_done ayil_mp_done
#define ayil__mp_uint ayil_mp_uint
#define ayil__wbuf_t ayil_mp_wbuf_t
#define ayil__wbuf_init ayil_mp_wbuf_init
#define ayil__pack_bin ayil_mp_pack_bin

/*
 * Checks that untrusted bytes are an array of 11 scalars (the shape of an
 * encoded entry) before they go to ayil_entry_decode(), whose msgpack-c
 * unpacker would otherwise believe an array length it has not seen.
 */
int ayil__mp_check_entry(const uint8_t *buf, size_t len);

/* The origin index and seq that WANTBODY [9, idx, seq], REPAIR [10, idx,
 * seq, body], ARRIVED [11, idx, seq, at] and SKIPPED [13, idx, seq] begin
 * with, read after the type; `n` is the message's element count and `want`
 * the count its type has (AYIL_EFORMAT otherwise). */
int ayil__msg_idx_seq(ayil__mp_t *r, size_t n, size_t want, uint64_t *idx,
                      uint64_t *seq);

/* A have row [origin, seq, hash | nil, flags] (hash nil iff seq is 0). */
int ayil__row_read(ayil__mp_t *r, const uint8_t **id, uint64_t *seq,
                   const uint8_t **hash, unsigned *flags);
void ayil__row_write(msgpack_packer *pk, const uint8_t *id, uint64_t seq,
                     const uint8_t *hash, unsigned flags);

/* How a record carries its body on the wire. */
enum {
  AYIL__BODY_NONE = 0,    /* nil: the entry has no body */
  AYIL__BODY_INLINE,      /* bin: the sealed body */
  AYIL__BODY_CHUNKED,     /* uint: that many bytes follow in BODY messages */
  AYIL__BODY_PURGED,      /* [hash, proof]: purged, proven by a DELETE entry */
  AYIL__BODY_UNAVAILABLE, /* [hash]: the sender holds no sound copy */
  AYIL__BODY_HELD,        /* [hash, true]: the receiver holds it already */
  AYIL__BODY_REF,         /* [k]: held, the body of entry seq - k */
};

/* One entry as it travels in an ENTRIES message: the fields the receiver
 * cannot derive (origin, seq, prev and an inline body's hash it can). */
typedef struct {
  uint64_t ts_ms;
  /* Writing only, both 0 after a memset: the wire form of the last two.
   * ts_rel: ts goes as a signed delta from ts_base (the previous record of
   * the stream; check ayil__ts_delta_ok() first), else as a uint.
   * compact: the header goes in its compact form when it has one. */
  int ts_rel;
  uint64_t ts_base;
  int compact;
  const uint8_t *record; /* AYIL_RECID_BYTES; NULL with record_ref */
  /* A back-reference (k >= 1): the record id is entry seq - k's, and for
   * AYIL__BODY_REF the body hash is body_ref's (PROTOCOL.md, "Sync"). */
  uint64_t record_ref, body_ref;
  uint32_t op;
  uint32_t codes_version;
  const uint8_t *header; /* NULL for nil */
  size_t header_len;
  int body_kind;
  const uint8_t *body;      /* INLINE */
  size_t body_len;          /* INLINE, CHUNKED */
  const uint8_t *body_hash; /* PURGED, UNAVAILABLE, HELD */
  const uint8_t *proof;     /* PURGED */
  size_t proof_len;
  const uint8_t *sig; /* AYIL_SIG_BYTES */
} ayil__rec_t;

/*
 * Reads one record. ts_base NULL: its ts is absolute (a uint), else a
 * signed delta from *ts_base. A compact header is rebuilt into `hbuf`
 * (AYIL_HEADER_MAX bytes), which rec->header then points into. refs: 1 if
 * back-references are read (then record or body_ref may be set instead of
 * the record id or the body hash, for the caller to resolve), 0 if they
 * are AYIL_EFORMAT.
 */
int ayil__rec_read(ayil__mp_t *r, const uint64_t *ts_base, int refs,
                   uint8_t *hbuf, ayil__rec_t *rec);
void ayil__rec_write(msgpack_packer *pk, const ayil__rec_t *rec);
/* 1 if `ts` can be sent as a delta from `base` (it fits in an int64). */
int ayil__ts_delta_ok(uint64_t base, uint64_t ts);

/*
 * Compact record headers (proto/sync_dict.c, PROTOCOL.md "Sync"): a header
 * written with the static dictionary of its code-list version, every name
 * and code a small integer.
 *
 * ayil__dict_encode: the compact form of the canonical header `hdr` of an
 * entry with code-list version `codes`, into out (at most `cap` bytes).
 * Returns 1 when it wrote one that rebuilds to exactly `hdr`, 0 when `hdr`
 * has none (unknown version, kind, key or code, a notice, any shape the
 * dictionary does not cover, or bytes that are not its canonical form):
 * the caller then sends the raw bytes.
 *
 * ayil__dict_decode: reads a compact header (untrusted) and rebuilds the
 * canonical header bytes into out (cap bytes). AYIL_EFORMAT for anything
 * that cannot be rebuilt (an unknown version, a bad index, a bad month,
 * wrong field count or type); the reader's errors otherwise.
 */
#define AYIL__DICT_MAX 256 /* bytes of a compact header, at most */
int ayil__dict_encode(uint32_t codes, const uint8_t *hdr, size_t len,
                      uint8_t *out, size_t cap, size_t *olen);
int ayil__dict_decode(ayil__mp_t *r, uint32_t codes, uint8_t *out, size_t cap,
                      size_t *olen);

#endif

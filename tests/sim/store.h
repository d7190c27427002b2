/* The simulator's in-memory node store: logs per origin, durable prefix. */
#ifndef AYIL_SIM_STORE_H
#define AYIL_SIM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ayil/entry.h"

/* One seq of a log. A log held sparse (a committee's copy of its hub's
 * notice log: PROTOCOL.md, "Sparse logs") has holes, seqs it does not
 * hold: entry == NULL, nothing else set. The last seq held is never a
 * hole. */
typedef struct {
  uint8_t *entry, *body, *proof;
  size_t elen, blen, plen;
  uint8_t hash[AYIL_HASH_BYTES];
  uint8_t record[AYIL_RECID_BYTES];
  uint32_t op;
  uint64_t n;  /* the store's append order (the real store's entries.n) */
  int has_bh;  /* the entry has a body hash: bhash */
  int missing; /* stored without its body: a clone's held body (body_missing) */
  uint8_t bhash[AYIL_HASH_BYTES];
} sim_ent_t;

typedef struct {
  uint8_t id[AYIL_ID_BYTES];
  sim_ent_t *e;
  size_t n, cap;        /* n: the head, the last seq held (holes included) */
  size_t durable;       /* e[0..durable) survive a crash */
  uint64_t hub_ack;     /* highest seq the hub acknowledged to this node */
  int forks;            /* FORK events raised here for this origin */
  int refused;          /* not_owner alerts: entries refused by ownership */
  uint64_t refused_seq; /* the first entry refused */
} sim_log_t;

/* One record of the records view folded from the logs (node/store_view.c):
 * who owns it, and its current state. */
typedef struct {
  uint8_t record[AYIL_RECID_BYTES];
  uint8_t owner[AYIL_ID_BYTES];
  int deleted;
  uint8_t header_hash[AYIL_HASH_BYTES]; /* of the header bytes */
  int has_body;
  uint8_t body_hash[AYIL_HASH_BYTES];
  uint8_t origin[AYIL_ID_BYTES]; /* the entry that set this state */
  uint64_t seq;
} sim_rec_t;

typedef struct {
  sim_log_t *logs;
  size_t nlogs, cap;
  sim_rec_t *recs;
  size_t nrecs, rcap;
  uint64_t next_n; /* the append counter */
} sim_store_t;

sim_log_t *sim_log(sim_store_t *st, const uint8_t *id, int create);
/* The entry of seq `seq` that `l` holds, NULL for a hole or past its head. */
const sim_ent_t *sim_log_at(const sim_log_t *l, uint64_t seq);
/* The entries `l` holds, holes left out. */
size_t sim_log_held_count(const sim_log_t *l);
/* Appends holes to `l` up to seq `seq` - 1 (a gap: seq > l->n + 1). */
void sim_log_gap(sim_log_t *l, uint64_t seq);
/* Appends an entry (NULL `entry`: a hole). */
void sim_log_append(sim_log_t *l, const uint8_t *entry, size_t elen,
                    const uint8_t *body, size_t blen, const uint8_t *proof,
                    size_t plen);
/* Drops everything past the durable prefix (a crash). */
void sim_store_crash(sim_store_t *st);
/* Keeps the first n entries (a node restored from an older backup). */
void sim_log_truncate(sim_log_t *l, size_t n);
/* Makes entries durable; applies purges of DELETE entries that became
 * durable. Returns 1 if anything changed. */
int sim_log_commit(sim_log_t *l);
/* Purges the bodies of record `rec` in `l` before `seq`, proven by the
 * DELETE entry `del`. */
void sim_log_purge(sim_log_t *l, const uint8_t *rec, uint64_t seq,
                   const uint8_t *del, size_t dlen);
/* The record `rec` of the records view, created (zeroed) if asked. */
/* The body this store holds for `rec` under body hash `bh` (NULL if none):
 * as the real store's bodies table, one per hash and record. */
const sim_ent_t *sim_body(const sim_store_t *st, const uint8_t *rec,
                          const uint8_t *bh);
/* The seq of an entry of `l` before `seq` of the same record as its entry
 * `seq` that carries the same body hash and still holds that body (the
 * held form, and the entry a body back-reference names), 0 if none. */
uint64_t sim_log_held(const sim_log_t *l, uint64_t seq);
/* The first entry of `l` before `seq` of the same record, 0 if none (the
 * entry a record back-reference names: as ayild, the one that created it). */
uint64_t sim_log_same_record(const sim_log_t *l, uint64_t seq);
sim_rec_t *sim_rec(sim_store_t *st, const uint8_t *rec, int create);
/* Appends to `l` of `st`, numbering the entry in the store's order. */
void sim_store_append(sim_store_t *st, sim_log_t *l, const uint8_t *entry,
                      size_t elen, const uint8_t *body, size_t blen,
                      const uint8_t *proof, size_t plen);
void sim_store_copy(sim_store_t *dst, const sim_store_t *src);
void sim_store_free(sim_store_t *st);

#endif

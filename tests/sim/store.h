/* The simulator's in-memory node store: logs per origin, durable prefix. */
#ifndef AYIL_SIM_STORE_H
#define AYIL_SIM_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ayil/entry.h"

typedef struct {
  uint8_t *entry, *body, *proof;
  size_t elen, blen, plen;
  uint8_t hash[AYIL_HASH_BYTES];
  uint8_t record[AYIL_RECID_BYTES];
  uint32_t op;
} sim_ent_t;

typedef struct {
  uint8_t id[AYIL_ID_BYTES];
  sim_ent_t *e;
  size_t n, cap;
  size_t durable;   /* e[0..durable) survive a crash */
  uint64_t hub_ack; /* highest seq the hub acknowledged to this node */
  int forks;        /* FORK events raised here for this origin */
} sim_log_t;

typedef struct {
  sim_log_t *logs;
  size_t nlogs, cap;
} sim_store_t;

sim_log_t *sim_log(sim_store_t *st, const uint8_t *id, int create);
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
void sim_store_copy(sim_store_t *dst, const sim_store_t *src);
void sim_store_free(sim_store_t *st);

#endif

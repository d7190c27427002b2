/*
 * The simulator's world, shared by its files: sim.c (the scenario, the
 * writers and a run), net.c (the sessions over simulated links, the store
 * and policy callbacks) and check.c (the records view, the oracle and the
 * checks). Not an interface: a test program's internals.
 */
#ifndef AYIL_SIM_WORLD_H
#define AYIL_SIM_WORLD_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <sodium.h>

#include "ayil/envelope.h"
#include "ayil/header.h"
#include "ayil/session.h"
#include "ayil/policy.h"
#include "ayil/schema.h"
#include "ayil/sync.h"
#include "ayil/transport.h"
#include "store.h"

#define MAX_NODES 16
#define MAX_CONNS 48
#define MAX_DEVICES 4
#define STEP_MS 10
#define CHAOS_MS 60000
#define HEAL_MAX_MS 1800000
#define DEAD_MS 35000
#define LINGER_MS 2000
#define HUB_IDLE_MS 60000
#define POLL_MS 30000
#define PIPE_MAX 65536 /* bytes queued in a socket before the writer waits */
/* The national tier (--tier): regional hubs, committees under each. */
#define TIER_REGIONS 3
#define TIER_COMMS 3
/* The most logs one policy view names (a national hub facing a region). */
#define VIEW_MAX (MAX_NODES * MAX_DEVICES + 1)

/* ---- PRNG: splitmix64, our own so runs do not depend on libc ---------- */

typedef struct {
  uint64_t s;
} rng_t;

static inline uint64_t rnd(rng_t *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static inline uint64_t below(rng_t *r, uint64_t n) {
  return n ? rnd(r) % n : 0;
}

static inline uint64_t range(rng_t *r, uint64_t lo, uint64_t hi) {
  return lo + below(r, hi - lo + 1);
}

/* True with probability p per million. */
static inline int chance(rng_t *r, uint64_t ppm) {
  return below(r, 1000000) < ppm;
}

static inline void fill(rng_t *r, uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    p[i] = (uint8_t)rnd(r);
}

/* ---- the world -------------------------------------------------------- */

enum { HUB = 0, COMMITTEE = 1 };
/* Hostile nodes: an admitted device of a committee of its own that signs
 * puts and deletes of other committees' records; a key never admitted. */
enum { HOSTILE_DEVICE = 1, HOSTILE_STRANGER = 2 };
/* --tier: a regional hub that signs puts and deletes of committees' records
 * in its own log (HOSTILE_REGION), or alters an entry of a committee's log
 * that it forwards to the national hub (HOSTILE_ALTER). */
enum { HOSTILE_REGION = 3, HOSTILE_ALTER = 4 };

/* One legitimate write, as the simulator made it: the oracle that the
 * records view of every node is checked against. */
typedef struct {
  uint8_t origin[AYIL_ID_BYTES];
  uint64_t seq;
  uint8_t hash[AYIL_HASH_BYTES]; /* of the entry */
  uint8_t record[AYIL_RECID_BYTES];
  uint32_t op;
  uint8_t header_hash[AYIL_HASH_BYTES];
  int has_body;
  uint8_t body_hash[AYIL_HASH_BYTES];
  int committee; /* the writer's */
} legit_t;

typedef struct node_s {
  int kind;
  int committee; /* index, -1 for a hub */
  int up;        /* the node it dials (its hub), -1 for the top hub */
  int retired;   /* replaced by a successor: gone for good */
  int is_clone;
  int hostile;      /* HOSTILE_DEVICE or HOSTILE_STRANGER, else 0 */
  uint64_t bad_seq; /* the first entry of its log that changes a record
                       its origin does not own (0: none) */
  uint8_t pk[32], sk[64];
  sim_store_t st;
  uint64_t down_until;        /* crashed until then */
  uint64_t partitioned_until; /* black-holed until then */
  uint64_t next_connect, backoff;
  int writes; /* entries this node wrote */
} node_t;

typedef struct {
  uint8_t *data;
  size_t len;
  uint64_t arrive;
} frame_t;

typedef struct {
  frame_t *q;
  size_t head, n, cap;
  size_t queued; /* bytes not yet arrived */
  size_t sent;   /* bytes ever sent this way */
  size_t cut_at; /* SIZE_MAX: never cut */
  uint64_t busy_until;
  int blackholed; /* a partition swallowed a frame: all later ones too */
} pipe_t;

struct conn_s;

typedef struct {
  struct sim_s *sim;
  struct conn_s *c;
  node_t *self, *peer;
} end_t;

typedef struct conn_s {
  int live;
  end_t end[2];          /* 0: committee (client), 1: hub (server) */
  ayil_session_t *ss[2]; /* the sessions ayild runs, client and server */
  pipe_t p[2];           /* p[i]: from end i to end 1-i */
  uint64_t rate;         /* bytes per ms */
  uint64_t latency;
  uint64_t close_at; /* UINT64_MAX: none scheduled */
  uint64_t idle_since[2];
  uint64_t opened; /* when it was dialed */
  int sparse;      /* the hub's next() was asked of a log sent sparse */
} conn_t;

typedef struct sim_s {
  uint64_t seed;
  rng_t r;
  uint64_t now;
  int chaos;
  node_t nodes[MAX_NODES];
  int nnodes;
  int ncomm;
  /* device ids of each committee, oldest first */
  uint8_t devices[MAX_NODES][MAX_DEVICES][32];
  int ndevices[MAX_NODES];
  conn_t conns[MAX_CONNS];
  int clone_of;         /* committee cloned, or -1 */
  size_t clone_split;   /* the clone's log length when cloned */
  int replaced;         /* committee whose device was replaced, or -1 */
  int restored;         /* committee whose log the hub lost, or -1 */
  int hostile_comm;     /* the hostile device's committee (ncomm), or -1 */
  int hub_hostile;      /* the hub signs puts and deletes in its own log */
  int stranger;         /* a key never admitted connects to the hub */
  uint64_t hub_bad_seq; /* its first such entry (0: none yet) */
  unsigned victims;     /* committees whose record ids the hostile device has */
  legit_t *legit;       /* the oracle */
  size_t nlegit, legit_cap;
  char failure[256];
  char why[128]; /* what converged() last found missing */
  int verbose;
  int plain; /* --overhead: only PUTs with a 1000-byte body */
  /* --tier: node 0 is the national hub, nodes 1..TIER_REGIONS regional
   * hubs (each dials node 0), then the committees (each dials its
   * regional hub: node_t.up). */
  int tier;
  uint64_t altered_seq; /* HOSTILE_ALTER: the committee entry it altered */
  uint8_t altered_log[AYIL_ID_BYTES];
  uint8_t altered[AYIL_ENTRY_MAX]; /* the altered bytes it forwards */
  size_t altered_len;
  uint64_t sig_refused; /* entries the national hub refused: AYIL_ESIG */
  uint64_t left_behind; /* logs an altering regional hub did not get up */
  /* numbers */
  uint64_t wire_bytes, connects, cuts, crashes, partitions, forks_alerted;
  uint64_t restores;
  uint64_t entries_written, acked;
  /* status-only updates written (same body hash); entries received with
   * their body held (PROTOCOL.md, "Sync", Records) */
  uint64_t status_updates, held_recv, refs_resolved;
  uint64_t held_missing; /* held bodies a clone's log kept, purged here */
  /* hostile entries written by devices, the hub, strangers; refused */
  uint64_t attacks[3], refusals;
  uint64_t stranger_recv;    /* a stranger's entries that reached the hub */
  uint64_t stranger_refused; /* its connections the hub's admit() refused */
  /* sparse logs: next() calls of hubs, those that skipped entries, those
   * that answered none (the hub then says SKIPPED once its head is past
   * what it sent); gaps the committees stored (and the seqs in them);
   * entries delivered into a gap below the head (ignored); committees that
   * took their hub's log sparse */
  uint64_t next_calls, next_skips, next_none, gaps, gap_seqs, gap_ignored;
  uint64_t sparse_logs, sparse_streams;
  uint64_t quiet_conns; /* connections that went idle after convergence */
  int next_all; /* --break-next: next() answers every entry (a check test) */
  uint8_t netkey[AYIL_NETKEY_BYTES];
} sim_t;

/* End k's sync machine (NULL before its session has one). */
static inline ayil_sync_t *csync(const conn_t *c, int k) {
  return c->ss[k] != NULL ? ayil_session_sync(c->ss[k]) : NULL;
}

static inline node_t *hub(sim_t *w) {
  return &w->nodes[0];
}

/* The hub node n dials (its regional hub, or the national hub). */
static inline node_t *up_of(sim_t *w, const node_t *n) {
  return &w->nodes[n->up >= 0 ? n->up : 0];
}

/* A hub of any tier. */
static inline int is_hub_id(const sim_t *w, const uint8_t *id) {
  int i;
  for (i = 0; i < w->nnodes; i++)
    if (w->nodes[i].kind == HUB && memcmp(w->nodes[i].pk, id, 32) == 0)
      return 1;
  return 0;
}

static inline int alive(const sim_t *w, const node_t *n) {
  return !n->retired && w->now >= n->down_until;
}

void failf(sim_t *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* sim.c */
node_t *current_device(sim_t *w, int c);

/* net.c */
int node_is_device_of(const sim_t *w, int c, const uint8_t *id);
void conn_close(conn_t *c);
void connect_node(sim_t *w, node_t *n);
int pump_conn(sim_t *w, conn_t *c);
void close_node_conns(sim_t *w, node_t *n);
int conn_clean(const conn_t *c);
void node_commit(sim_t *w, node_t *n);
void notify_local(sim_t *w, node_t *n);
int has_conn(sim_t *w, node_t *n);
size_t admitted_by(const sim_t *w, node_t *at, const node_t *r,
                   ayil_policy_device_t *dev, size_t d);
int lineage_known(const sim_t *w, const node_t *n, const uint8_t *pred);

/* check.c */
int committee_of(const sim_t *w, const uint8_t *id, int *pos);
void header_hash(const uint8_t *h, size_t len, uint8_t out[32]);
int fold(sim_t *w, const node_t *n, sim_store_t *st, const ayil_entry_t *e);
void refold(sim_t *w, node_t *n);
int fork_expected(sim_t *w);
int converged(sim_t *w);
void check_all(sim_t *w);
void dump(sim_t *w);
void check_done(void);

#endif

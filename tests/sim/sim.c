/*
 * The deterministic sync simulator.
 *
 * One hub and a few committees run the real sync state machine over a
 * simulated network: links with a byte rate and a delay, cut at random byte
 * offsets, partitions that black-hole a node, duplicate connections, nodes
 * that crash (losing whatever was not yet durable) and restart, a committee
 * whose device is replaced by a successor, and a cloned committee that
 * forks its log. Entries are real: Ed25519-signed, hash-chained, with
 * random bodies; devices create records, update and delete their own and
 * their predecessors'. Everything comes from one seed, so a failing seed
 * replays.
 *
 * Hostile origins, each in some seeds (the seed decides which, and when):
 * - a hostile device: admitted, the only device of a committee of its own,
 *   it writes like any committee, then signs puts (updates) and deletes of
 *   other committees' records, whose ids it is handed as if they leaked
 *   (live ones that the hub holds already: see victim_record());
 * - a compromised hub: it signs puts and deletes of committees' records in
 *   its own log, which every committee pulls;
 * - a stranger: a key never admitted that connects to the hub and streams
 *   its log of puts and deletes of others' records (and its own).
 * Their entries take the path of every received entry: the sync state
 * machine, the replication policy (proto/policy.c), then each node's store
 * (cb_deliver(), as ayild's): a purged body's proof must come from a device
 * that may change the record, and the records view folds each entry only
 * if its origin may change the record (ayil_policy_change_ok(), as
 * node/store_view.c does); a refused entry is not stored, raises the
 * not_owner alert and its log is not wanted again (it stops there).
 *
 * After a chaotic phase the network heals; once everything converged the
 * run is checked:
 * - every entry the hub acknowledged is at the hub, once, byte-identical;
 * - every durably written entry of a live device reached the hub, and the
 *   hub's log every committee, but for a log refused at its first hostile
 *   entry;
 * - every log at every node is a valid chain (signatures, links, bodies or
 *   purge proofs);
 * - replicas agree: of two copies of a log, one is a prefix of the other;
 * - a fork is refused (never merged) and alerted at the hub; no alert
 *   without a fork; no sync error at all;
 * - no record changes except by its owner: at every node not hostile
 *   itself, every record (live or deleted, its header and body hash, its
 *   owner) is what the legitimate writes it holds make of it, from an
 *   oracle of the writes the simulator made, the creating device's and its
 *   successors' only (check_records());
 * - only hostile logs are refused, at their first hostile entry; the hub
 *   stores nothing of a stranger.
 *
 * Usage: ayil-sim [--seeds N] [--first S] [--verbose] [--overhead]
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <sodium.h>

#include "ayil/envelope.h"
#include "ayil/session.h"
#include "ayil/policy.h"
#include "ayil/schema.h"
#include "ayil/sync.h"
#include "ayil/transport.h"
#include "store.h"

#define MAX_NODES 12
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

/* ---- PRNG: splitmix64, our own so runs do not depend on libc ---------- */

typedef struct {
  uint64_t s;
} rng_t;

static uint64_t rnd(rng_t *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint64_t below(rng_t *r, uint64_t n) {
  return n ? rnd(r) % n : 0;
}

static uint64_t range(rng_t *r, uint64_t lo, uint64_t hi) {
  return lo + below(r, hi - lo + 1);
}

/* True with probability p per million. */
static int chance(rng_t *r, uint64_t ppm) {
  return below(r, 1000000) < ppm;
}

static void fill(rng_t *r, uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    p[i] = (uint8_t)rnd(r);
}

/* ---- record headers --------------------------------------------------- */

/*
 * Record headers as node/record.c writes them (a canonical msgpack map,
 * keys sorted bytewise, lists in code-list order), packed here on their
 * own, not with the sync code: so the simulator checks that the compact
 * wire form rebuilds exactly what the origin signed.
 */
typedef struct {
  const char *key;
  int type; /* 0 str, 1 uint, 2 bool, 3 list */
  const char *str;
  char text[40];
  uint64_t v;
  const ayil_field_t *f;
} hkv_t;

typedef struct {
  uint8_t *buf;
  size_t cap, len;
} hbuf_t;

static int hbuf_write(void *data, const char *p, size_t n) {
  hbuf_t *h = data;
  if (n > h->cap - h->len)
    return -1;
  memcpy(h->buf + h->len, p, n);
  h->len += n;
  return 0;
}

static void pack_s(msgpack_packer *pk, const char *s) {
  msgpack_pack_str(pk, strlen(s));
  msgpack_pack_str_body(pk, s, strlen(s));
}

static int hkv_cmp(const void *a, const void *b) {
  return strcmp(((const hkv_t *)a)->key, ((const hkv_t *)b)->key);
}

static void rand_month(rng_t *r, char out[8]) {
  snprintf(out, 8, "%04u-%02u", (unsigned)range(r, 2020, 2035),
           (unsigned)range(r, 1, 12));
}

/* A random header of a random kind (or, with `bench`, the appeal of
 * tests/bench/bench_sync.sh); returns its length. */
static size_t make_header(rng_t *r, int bench, uint8_t *out, size_t cap) {
  static const uint64_t counts[] = {0,   1,   5,     127,
                                    128, 300, 70000, AYIL_COUNT_MAX};
  const ayil_kind_t *k =
      ayil_schema_kind_at(bench ? 0 : (size_t)below(r, ayil_schema_nkinds()));
  hkv_t kv[24];
  size_t n = 0, i, j;
  hbuf_t hb = {out, cap, 0};
  msgpack_packer pk;

  memset(kv, 0, sizeof kv);
  kv[n].key = "kind";
  kv[n++].str = k->name;
  kv[n].key = "month";
  if (bench)
    snprintf(kv[n].text, sizeof kv[n].text, "2026-03");
  else
    rand_month(r, kv[n].text);
  n++;
  for (i = 0; i < k->nfields; i++) {
    const ayil_field_t *f = &k->fields[i];
    hkv_t *x = &kv[n];
    if (bench) {
      static const char *const b[][2] = {{"source", "police"},
                                         {"survivor_sex", "female"},
                                         {"survivor_age", "26-40"},
                                         {"status", "open"}};
      for (j = 0; j < 4; j++)
        if (f->hkey != NULL && strcmp(f->hkey, b[j][0]) == 0) {
          x->key = f->hkey;
          x->str = b[j][1];
          n++;
        }
      if (f->hkey != NULL && strcmp(f->hkey, "violence") == 0) {
        x->key = f->hkey;
        x->type = 3;
        x->f = f;
        x->v = 1 | 8; /* physical, economic */
        n++;
      }
      continue;
    }
    if (f->type == AYIL_FT_DATE && strcmp(f->month_key, "month") != 0) {
      if (below(r, 2)) {
        x->key = f->month_key;
        rand_month(r, x->text);
        n++;
      }
      continue;
    }
    if (f->cls != AYIL_CLASS_A || (!f->required && below(r, 2)))
      continue;
    x->key = f->hkey;
    x->f = f;
    switch (f->type) {
    case AYIL_FT_CODE:
      x->str = f->codes[below(r, f->ncodes)];
      break;
    case AYIL_FT_CODES:
      x->type = 3;
      x->v = range(r, 1, (1u << f->ncodes) - 1);
      break;
    case AYIL_FT_BOOL:
      x->type = 2;
      x->v = below(r, 2);
      break;
    case AYIL_FT_COUNT:
      x->type = 1;
      x->v = counts[below(r, sizeof counts / sizeof counts[0])];
      break;
    default: /* AYIL_FT_CASE */
      for (j = 0; j < 32; j++)
        x->text[j] = "0123456789abcdef"[below(r, 16)];
    }
    n++;
  }
  qsort(kv, n, sizeof kv[0], hkv_cmp);
  msgpack_packer_init(&pk, &hb, hbuf_write);
  msgpack_pack_map(&pk, n);
  for (i = 0; i < n; i++) {
    pack_s(&pk, kv[i].key);
    switch (kv[i].type) {
    case 1:
      msgpack_pack_uint64(&pk, kv[i].v);
      break;
    case 2:
      if (kv[i].v)
        msgpack_pack_true(&pk);
      else
        msgpack_pack_false(&pk);
      break;
    case 3:
      msgpack_pack_array(&pk, (size_t)__builtin_popcountll(kv[i].v));
      for (j = 0; j < kv[i].f->ncodes; j++)
        if ((kv[i].v >> j) & 1)
          pack_s(&pk, kv[i].f->codes[j]);
      break;
    default:
      pack_s(&pk, kv[i].str != NULL ? kv[i].str : kv[i].text);
    }
  }
  return hb.len;
}

/* ---- the world -------------------------------------------------------- */

enum { HUB = 0, COMMITTEE = 1 };
/* Hostile nodes: an admitted device of a committee of its own that signs
 * puts and deletes of other committees' records; a key never admitted. */
enum { HOSTILE_DEVICE = 1, HOSTILE_STRANGER = 2 };

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
  int committee; /* index, -1 for the hub */
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
  int verbose;
  int plain; /* --overhead: only PUTs with a 1000-byte body */
  /* numbers */
  uint64_t wire_bytes, connects, cuts, crashes, partitions, forks_alerted;
  uint64_t restores;
  uint64_t entries_written, acked;
  /* hostile entries written by devices, the hub, strangers; refused */
  uint64_t attacks[3], refusals;
  uint64_t stranger_recv;    /* a stranger's entries that reached the hub */
  uint64_t stranger_refused; /* its connections the hub's admit() refused */
  uint8_t netkey[AYIL_NETKEY_BYTES];
} sim_t;

/* End k's sync machine (NULL before its session has one). */
static ayil_sync_t *csync(const struct conn_s *c, int k) {
  return c->ss[k] != NULL ? ayil_session_sync(c->ss[k]) : NULL;
}

static void failf(sim_t *w, const char *fmt, ...) {
  va_list ap;
  if (w->failure[0])
    return;
  va_start(ap, fmt);
  vsnprintf(w->failure, sizeof w->failure, fmt, ap);
  va_end(ap);
}

static node_t *hub(sim_t *w) {
  return &w->nodes[0];
}

static int alive(const sim_t *w, const node_t *n) {
  return !n->retired && w->now >= n->down_until;
}

static void node_commit(sim_t *w, node_t *n);

/* ---- the records view: node/store_view.c's fold, ownership first ------ */

/* Committees, the hostile device's own among them. */
static int ncomm_all(const sim_t *w) {
  return w->ncomm + (w->hostile_comm >= 0);
}

/* The committee whose device `id` is in the hub's registry (its place in
 * the lineage in *pos), or -1. */
static int committee_of(const sim_t *w, const uint8_t *id, int *pos) {
  int c, k;
  for (c = 0; c < ncomm_all(w); c++)
    for (k = 0; k < w->ndevices[c]; k++)
      if (memcmp(w->devices[c][k], id, 32) == 0) {
        if (pos != NULL)
          *pos = k;
        return c;
      }
  return -1;
}

typedef struct {
  sim_t *w;
  const node_t *n;
} own_ctx_t;

/* kin() of a node's own view, as node/store_view.c answers it: on the hub,
 * one committee in its registry; on a committee, both in its lineage
 * (itself and its predecessors, which the hub confirmed). */
static int own_kin(void *ctx, const uint8_t a[AYIL_ID_BYTES],
                   const uint8_t b[AYIL_ID_BYTES]) {
  own_ctx_t *o = ctx;
  int pa = 0, pb = 0, ps = 0, ca, cs;
  if (memcmp(a, b, 32) == 0)
    return 1;
  ca = committee_of(o->w, a, &pa);
  if (ca < 0 || committee_of(o->w, b, &pb) != ca)
    return 0;
  if (o->n->kind == HUB)
    return 1;
  cs = committee_of(o->w, o->n->pk, &ps);
  return cs == ca && pa <= ps && pb <= ps;
}

/* The ownership view of a node's store (no peer: the rule has none). */
static void own_view(own_ctx_t *o, ayil_policy_view_t *v) {
  memset(v, 0, sizeof *v);
  v->role = o->n->kind == HUB ? AYIL_POLICY_HUB : AYIL_POLICY_COMMITTEE;
  v->self = o->n->pk;
  v->peer = o->n->pk;
  v->hub = hub(o->w)->pk;
  v->kin = own_kin;
  v->ctx = o;
}

static void header_hash(const uint8_t *h, size_t len, uint8_t out[32]) {
  crypto_generichash(out, 32, h, len, NULL, 0);
}

/* Folds entry `e` into n's records view as ayil__store_fold() does:
 * AYIL_EOWNER, and nothing changed, when its origin may not change the
 * record (ayil_policy_change_ok(), the rule under test). */
static int fold(sim_t *w, const node_t *n, sim_store_t *st,
                const ayil_entry_t *e) {
  own_ctx_t o = {w, n};
  ayil_policy_view_t v;
  sim_rec_t *r = sim_rec(st, e->record, 0);
  int rc;
  own_view(&o, &v);
  rc = ayil_policy_change_ok(&v, r != NULL ? r->owner : NULL, e->origin, e->op);
  if (rc != 0 || (e->op != AYIL_OP_PUT && e->op != AYIL_OP_DELETE))
    return rc;
  if (r != NULL && r->deleted)
    return 0; /* deletion is final; later puts to the id are ignored */
  if (e->op == AYIL_OP_DELETE) {
    if (r != NULL) {
      r->deleted = 1;
      memcpy(r->origin, e->origin, 32);
      r->seq = e->seq;
    }
    return 0;
  }
  if (r == NULL) {
    r = sim_rec(st, e->record, 1);
    memcpy(r->owner, e->origin, 32);
  }
  header_hash(e->header, e->header_len, r->header_hash);
  r->has_body = e->has_body;
  memcpy(r->body_hash, e->body_hash, 32);
  memcpy(r->origin, e->origin, 32);
  r->seq = e->seq;
  return 0;
}

typedef struct {
  uint64_t n;
  const sim_ent_t *x;
} ord_t;

static int ord_cmp(const void *a, const void *b) {
  uint64_t x = ((const ord_t *)a)->n, y = ((const ord_t *)b)->n;
  return x < y ? -1 : x > y;
}

/* The node's entries in the order it stored them (its records view folds
 * them in that order). Returns a malloc'ed array of *k. */
static ord_t *stored_order(const node_t *n, size_t *k) {
  size_t i, j, total = 0;
  ord_t *o;
  *k = 0;
  for (i = 0; i < n->st.nlogs; i++)
    total += n->st.logs[i].n;
  o = malloc((total ? total : 1) * sizeof *o);
  if (o == NULL)
    abort();
  for (i = 0; i < n->st.nlogs; i++)
    for (j = 0; j < n->st.logs[i].n; j++) {
      o[*k].n = n->st.logs[i].e[j].n;
      o[(*k)++].x = &n->st.logs[i].e[j];
    }
  qsort(o, *k, sizeof *o, ord_cmp);
  return o;
}

/* Rebuilds n's records view from what its logs hold, in the order it
 * stored it (ayil_store_reindex()): after a crash, a restore, a copy. A
 * refused entry was never stored; a hostile node's own is in its log, and
 * the view ignores it, as a reindex would. */
static void refold(sim_t *w, node_t *n) {
  size_t i, k = 0;
  ord_t *o = stored_order(n, &k);
  n->st.nrecs = 0;
  for (i = 0; i < k; i++) {
    ayil_entry_t e;
    if (ayil_entry_decode(&e, o[i].x->entry, o[i].x->elen) == 0)
      (void)fold(w, n, &n->st, &e);
  }
  free(o);
}

/* ---- entries ---------------------------------------------------------- */

static void oracle_add(sim_t *w, const node_t *n, const ayil_entry_t *e,
                       const uint8_t *buf, size_t len) {
  legit_t *o;
  if (w->nlegit == w->legit_cap) {
    size_t cap = w->legit_cap ? w->legit_cap * 2 : 64;
    legit_t *x = realloc(w->legit, cap * sizeof *x);
    if (x == NULL)
      abort();
    w->legit = x;
    w->legit_cap = cap;
  }
  o = &w->legit[w->nlegit++];
  memset(o, 0, sizeof *o);
  memcpy(o->origin, e->origin, 32);
  o->seq = e->seq;
  ayil_entry_hash(buf, len, o->hash);
  memcpy(o->record, e->record, AYIL_RECID_BYTES);
  o->op = e->op;
  header_hash(e->header, e->header_len, o->header_hash);
  o->has_body = e->has_body;
  memcpy(o->body_hash, e->body_hash, 32);
  o->committee = n->committee;
}

/* Starts the next entry of n's own log. A write commits the node's
 * transaction: pending entries first, and the connections hear of it like
 * of any other commit. */
static sim_log_t *entry_begin(sim_t *w, node_t *n, ayil_entry_t *e) {
  sim_log_t *l;
  node_commit(w, n);
  l = sim_log(&n->st, n->pk, 1);
  memset(e, 0, sizeof *e);
  memcpy(e->origin, n->pk, 32);
  e->seq = l->n + 1;
  if (l->n > 0)
    memcpy(e->prev, l->e[l->n - 1].hash, AYIL_HASH_BYTES);
  e->ts_ms = 1767225600000ull + w->now;
  e->codes_version = 1;
  return l;
}

/* Signs `e`, folds it into the writer's view and appends it, durably. A
 * legitimate write must be taken by the writer's own store, and goes into
 * the oracle; a hostile node signs its entry whatever its store says
 * (its log keeps it, its view ignores it). Returns 0 or an error. */
static int entry_finish(sim_t *w, node_t *n, sim_log_t *l, ayil_entry_t *e,
                        const uint8_t *body, size_t blen, int legit) {
  uint8_t buf[AYIL_ENTRY_MAX];
  size_t len = 0;
  int rc = ayil_entry_sign(e, n->sk, buf, sizeof buf, &len);
  if (rc != 0) {
    failf(w, "sign: %s", ayil_err_name(rc));
    return rc;
  }
  rc = fold(w, n, &n->st, e);
  if (rc != 0 && legit) {
    failf(w, "node %d: own write refused: %s", (int)(n - w->nodes),
          ayil_err_name(rc));
    return rc;
  }
  sim_store_append(&n->st, l, buf, len, body, blen, NULL, 0);
  l->durable = l->n;
  if (e->op == AYIL_OP_DELETE)
    sim_log_purge(l, e->record, e->seq, buf, len);
  if (legit)
    oracle_add(w, n, e, buf, len);
  n->writes++;
  w->entries_written++;
  return 0;
}

/* A record of n's lineage that n holds (in its own log or a
 * predecessor's): one it may update or delete. 0 if none. */
static int lineage_record(sim_t *w, node_t *n, uint8_t rec[AYIL_RECID_BYTES]) {
  int pos = 0, c = committee_of(w, n->pk, &pos), k;
  size_t total = 0, pick;
  if (c < 0)
    return 0;
  for (k = 0; k <= pos; k++) {
    sim_log_t *l = sim_log(&n->st, w->devices[c][k], 0);
    total += l ? l->n : 0;
  }
  if (total == 0)
    return 0;
  pick = (size_t)below(&w->r, total);
  for (k = 0; k <= pos; k++) {
    sim_log_t *l = sim_log(&n->st, w->devices[c][k], 0);
    if (l == NULL)
      continue;
    if (pick < l->n) {
      memcpy(rec, l->e[pick].record, AYIL_RECID_BYTES);
      return 1;
    }
    pick -= l->n;
  }
  return 0;
}

static uint8_t *random_body(sim_t *w, size_t blen, ayil_entry_t *e) {
  uint8_t *body = malloc(blen ? blen : 1);
  if (body == NULL)
    abort();
  fill(&w->r, body, blen);
  ayil_body_hash(body, blen, e->body_hash);
  e->has_body = 1;
  return body;
}

/* A legitimate write of n: a new record, an update or a delete of a record
 * of its lineage, or (the hub) a notice. */
static void write_entry(sim_t *w, node_t *n) {
  sim_log_t *l;
  uint8_t header[512], *body = NULL;
  ayil_entry_t e;
  size_t blen = 0;
  uint64_t roll = below(&w->r, 100);

  l = entry_begin(w, n, &e);
  fill(&w->r, e.record, sizeof e.record);
  e.op = AYIL_OP_PUT;
  e.header = header;
  if (w->plain || (n->kind != HUB && roll >= 30)) {
    /* A record header: compact on the wire. */
    e.header_len = make_header(&w->r, w->plain, header, sizeof header);
  } else {
    /* A header the dictionary does not know (as a hub notice): raw. */
    header[0] = 0x81; /* {"k": n} */
    header[1] = 0xa1;
    header[2] = 'k';
    header[3] = (uint8_t)(below(&w->r, 100));
    e.header_len = 4;
  }
  if (w->plain) {
    blen = 1000;
    body = random_body(w, blen, &e);
  } else if (n->kind == HUB) {
    e.op = AYIL_OP_NOTICE;
  } else if (roll < 10 && lineage_record(w, n, e.record)) {
    /* Delete a record of its own or of a predecessor: its bodies are
     * purged here at once. */
    e.op = AYIL_OP_DELETE;
  } else {
    /* Some puts update a record of the lineage (a successor updates what
     * its predecessor created). */
    if (roll >= 20 && roll < 45)
      (void)lineage_record(w, n, e.record);
    if (roll >= 15) {
      blen = roll < 17 ? range(&w->r, 70000, 140000) : range(&w->r, 50, 2000);
      body = random_body(w, blen, &e);
    }
  }
  /* Once a hostile device went rogue, nothing of it is legitimate. */
  (void)entry_finish(w, n, l, &e, body, blen, !(n->hostile && n->bad_seq));
  free(body);
}

/* A record id of another committee for the hostile node n, as if it
 * leaked out of band: a live one, whose first put the hub holds durably,
 * so the
 * hostile entry cannot reach the hub before it and take the id (a hostile
 * put of an id the hub does not know yet would create the record there).
 * 0 if none. */
static int victim_record(sim_t *w, node_t *n, uint8_t rec[AYIL_RECID_BYTES]) {
  int t;
  for (t = 0; t < 8 && w->nlegit > 0; t++) {
    legit_t *o = &w->legit[below(&w->r, w->nlegit)];
    sim_log_t *at = sim_log(&hub(w)->st, o->origin, 0);
    sim_rec_t *r = sim_rec(&hub(w)->st, o->record, 0);
    if (o->op != AYIL_OP_PUT || o->committee < 0 || r == NULL || r->deleted ||
        o->committee == n->committee || o->committee == w->restored)
      continue;
    if (at == NULL || at->durable < o->seq ||
        memcmp(at->e[o->seq - 1].hash, o->hash, AYIL_HASH_BYTES) != 0)
      continue;
    memcpy(rec, o->record, AYIL_RECID_BYTES);
    if (n->hostile == HOSTILE_DEVICE)
      w->victims |= 1u << o->committee; /* never restored from a backup */
    return 1;
  }
  return 0;
}

/* A hostile write: an update (a put) or a delete of another committee's
 * record, signed by the hostile device, the compromised hub (in its own
 * log, which holds notices only) or a stranger (which, lacking an id, puts
 * a record of its own). */
static void write_hostile(sim_t *w, node_t *n) {
  sim_log_t *l;
  uint8_t header[512], *body = NULL;
  ayil_entry_t e;
  size_t blen = 0;

  l = entry_begin(w, n, &e);
  if (!victim_record(w, n, e.record)) {
    if (n->hostile != HOSTILE_STRANGER)
      return;
    fill(&w->r, e.record, sizeof e.record);
  }
  e.header = header;
  e.header_len = make_header(&w->r, 0, header, sizeof header);
  if (below(&w->r, 2)) {
    e.op = AYIL_OP_DELETE;
  } else {
    e.op = AYIL_OP_PUT;
    if (below(&w->r, 2)) {
      blen = range(&w->r, 50, 2000);
      body = random_body(w, blen, &e);
    }
  }
  if (entry_finish(w, n, l, &e, body, blen, 0) == 0) {
    w->attacks[n->kind == HUB ? 1 : n->hostile == HOSTILE_DEVICE ? 0 : 2]++;
    if (n->kind == HUB && w->hub_bad_seq == 0)
      w->hub_bad_seq = e.seq;
    else if (n->kind != HUB && n->bad_seq == 0)
      n->bad_seq = e.seq;
  }
  free(body);
}

/* ---- store callbacks -------------------------------------------------- */

/* ---- the replication policy: ayild's, from proto/policy.c ------------ */

static int node_is_device_of(const sim_t *w, int c, const uint8_t *id) {
  int k;
  for (k = 0; k < w->ndevices[c]; k++)
    if (memcmp(w->devices[c][k], id, 32) == 0)
      return 1;
  return 0;
}

/* A log forked here: this node raised a FORK for it (ayild's fork alert),
 * or refused an entry of it that changes a record its origin does not own
 * (ayild's not_owner alert): ayil_reg_forked(). */
static int sim_forked(void *ctx, const uint8_t origin[AYIL_ID_BYTES]) {
  end_t *e = ctx;
  sim_log_t *l = sim_log(&e->self->st, origin, 0);
  return l != NULL && (l->forks > 0 || l->refused > 0);
}

/* Fills the policy's view of one end as node/policy_view.c does from the
 * registry: the hub sees the devices of the peer's committee, oldest
 * first. */
static void sim_view(end_t *e, ayil_policy_view_t *v,
                     ayil_policy_device_t dev[MAX_DEVICES]) {
  sim_t *w = e->sim;
  int d;
  memset(v, 0, sizeof *v);
  v->self = e->self->pk;
  v->hub = hub(w)->pk;
  v->peer = e->peer->pk;
  v->forked = sim_forked;
  v->ctx = e;
  v->devices = dev;
  if (e->self->kind != HUB) {
    /* Its predecessors (as the hub's notices confirm them to ayild; the
     * simulator knows them at once, without the notice's delay). */
    int c = e->self->committee;
    v->role = AYIL_POLICY_COMMITTEE;
    if (c < 0)
      return; /* a stranger: no predecessors */
    for (d = 0;
         d < w->ndevices[c] && memcmp(w->devices[c][d], e->self->pk, 32) != 0;
         d++) {
      memset(&dev[d], 0, sizeof dev[d]);
      memcpy(dev[d].id, w->devices[c][d], 32);
    }
    v->ndevices = d < w->ndevices[c] ? (size_t)d : 0;
    return;
  }
  v->role = AYIL_POLICY_HUB;
  if (e->peer->committee < 0)
    return; /* a stranger: not in the registry, no devices */
  for (d = 0; d < w->ndevices[e->peer->committee]; d++) {
    memset(&dev[d], 0, sizeof dev[d]);
    memcpy(dev[d].id, w->devices[e->peer->committee][d], 32);
  }
  v->ndevices = (size_t)w->ndevices[e->peer->committee];
}

static int cb_origins(void *ctx, ayil_sync_origin_t *out, size_t cap,
                      size_t *n) {
  ayil_policy_view_t v;
  ayil_policy_device_t dev[MAX_DEVICES];
  sim_view(ctx, &v, dev);
  return ayil_policy_origins(&v, out, cap, n);
}

static unsigned cb_discover(void *ctx, const uint8_t *origin) {
  ayil_policy_view_t v;
  ayil_policy_device_t dev[MAX_DEVICES];
  sim_view(ctx, &v, dev);
  return ayil_policy_discover(&v, origin);
}

static int cb_head(void *ctx, const uint8_t *origin, uint64_t *seq,
                   uint8_t *hash) {
  end_t *e = ctx;
  sim_log_t *l = sim_log(&e->self->st, origin, 0);
  *seq = l ? l->durable : 0;
  if (*seq > 0)
    memcpy(hash, l->e[*seq - 1].hash, AYIL_HASH_BYTES);
  return 0;
}

static int cb_get(void *ctx, const uint8_t *origin, uint64_t seq,
                  ayil_sync_item_t *it) {
  end_t *e = ctx;
  sim_log_t *l = sim_log(&e->self->st, origin, 0);
  sim_ent_t *x;
  if (l == NULL || seq == 0 || seq > l->durable)
    return AYIL_ENOTFOUND;
  x = &l->e[seq - 1];
  it->entry = x->entry;
  it->entry_len = x->elen;
  it->body = x->body;
  it->body_len = x->blen;
  it->proof = x->proof;
  it->proof_len = x->plen;
  return 0;
}

static int cb_deliver(void *ctx, const ayil_entry_t *d,
                      const ayil_sync_item_t *it) {
  end_t *e = ctx;
  sim_log_t *l = sim_log(&e->self->st, d->origin, 1);
  int rc = 0;
  if (d->seq <= l->n) {
    uint8_t h[AYIL_HASH_BYTES];
    ayil_entry_hash(it->entry, it->entry_len, h);
    /* The same entry from another connection: nothing to do. */
    return memcmp(h, l->e[d->seq - 1].hash, AYIL_HASH_BYTES) == 0 ? 0
                                                                  : AYIL_EFORK;
  }
  if (d->seq != l->n + 1) {
    failf(e->sim, "deliver out of order: seq %llu after %zu",
          (unsigned long long)d->seq, l->n);
    return AYIL_ESEQ;
  }
  /* As ayild stores it (node/daemon/conn.c): a purged body's proof must
   * come from a device that may change the record (ayil_policy_purge_ok());
   * then the fold, ownership first. A refused entry is not stored. */
  if (it->body == NULL && it->proof != NULL) {
    ayil_policy_view_t v;
    ayil_policy_device_t dev[MAX_DEVICES];
    sim_view(e, &v, dev);
    rc = ayil_policy_purge_ok(&v, it->entry, it->entry_len, it->proof,
                              it->proof_len);
  }
  if (rc == 0)
    rc = fold(e->sim, e->self, &e->self->st, d);
  if (rc == AYIL_EOWNER) {
    /* ayild's not_owner alert: the log is not wanted again (sim_forked()). */
    if (l->refused++ == 0)
      l->refused_seq = d->seq;
    e->sim->refusals++;
  }
  if (rc != 0)
    return rc;
  sim_store_append(&e->self->st, l, it->entry, it->entry_len, it->body,
                   it->body_len, it->proof, it->proof_len);
  return 0;
}

static void cb_event(void *ctx, const ayil_sync_event_t *ev) {
  end_t *e = ctx;
  sim_log_t *l = sim_log(&e->self->st, ev->origin, 1);
  if (ev->type == AYIL_SYNC_EV_FORK) {
    l->forks++;
    if (e->self->kind == HUB)
      e->sim->forks_alerted++;
  } else if (ev->type == AYIL_SYNC_EV_ACKED && e->self->kind == COMMITTEE &&
             ev->seq > l->hub_ack) {
    l->hub_ack = ev->seq;
    e->sim->acked++;
  }
}

/* ---- connections ------------------------------------------------------ */

static void pipe_free(pipe_t *p) {
  size_t i;
  for (i = 0; i < p->n; i++)
    free(p->q[(p->head + i) % p->cap].data);
  free(p->q);
  memset(p, 0, sizeof *p);
}

static void conn_close(conn_t *c) {
  if (!c->live)
    return;
  if (csync(c, 1) != NULL && c->end[0].self->hostile == HOSTILE_STRANGER) {
    /* What reached the hub of a stranger's log (and was dropped). */
    ayil_sync_stats_t st;
    ayil_sync_stats(csync(c, 1), &st);
    c->end[0].sim->stranger_recv += st.entries_recv;
  }
  ayil_session_free(c->ss[0]);
  ayil_session_free(c->ss[1]);
  pipe_free(&c->p[0]);
  pipe_free(&c->p[1]);
  c->live = 0;
  c->ss[0] = c->ss[1] = NULL;
}

/* The committee end decides when to come back. */
static void client_closed(sim_t *w, node_t *n, int progressed) {
  if (progressed)
    n->backoff = 1000;
  else
    n->backoff = n->backoff * 2 > 60000 ? 60000 : n->backoff * 2;
  n->next_connect = w->now + n->backoff + below(&w->r, n->backoff / 2 + 1);
}

static void conn_end(sim_t *w, conn_t *c, int progressed) {
  node_t *n = c->end[0].self;
  conn_close(c);
  client_closed(w, n, progressed);
}

static void pipe_push(sim_t *w, conn_t *c, int dir, const uint8_t *msg,
                      size_t len) {
  pipe_t *p = &c->p[dir];
  size_t wire = len; /* real bytes: handshake messages and sealed frames */
  frame_t *f;
  uint64_t start = p->busy_until > w->now ? p->busy_until : w->now;
  node_t *a = c->end[dir].self, *b = c->end[1 - dir].self;

  p->busy_until = start + (wire + c->rate - 1) / c->rate;
  w->wire_bytes += wire;
  if (p->sent + wire > p->cut_at) {
    /* The link drops mid-frame: this frame and all after it are lost. */
    uint64_t t = p->busy_until + c->latency;
    if (t < c->close_at)
      c->close_at = t;
    p->sent += wire;
    return;
  }
  p->sent += wire;
  /* A partition black-holes the stream: like TCP, nothing after a lost
   * byte ever arrives; only lack of progress tells the ends. */
  if (w->now < a->partitioned_until || w->now < b->partitioned_until)
    p->blackholed = 1;
  if (p->blackholed)
    return;
  if (p->n == p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 16, i;
    frame_t *q = malloc(cap * sizeof *q);
    if (q == NULL)
      abort();
    for (i = 0; i < p->n; i++)
      q[i] = p->q[(p->head + i) % p->cap];
    free(p->q);
    p->q = q;
    p->head = 0;
    p->cap = cap;
  }
  f = &p->q[(p->head + p->n++) % p->cap];
  f->data = malloc(len ? len : 1);
  if (f->data == NULL)
    abort();
  memcpy(f->data, msg, len);
  f->len = len;
  f->arrive = p->busy_until + c->latency;
  p->queued += wire;
}

static int sync_fail(sim_t *w, conn_t *c, int side, const char *what, int rc);

/* The envelope's wall clock: the simulated one. */
static uint64_t sim_wall(void *ctx) {
  end_t *e = ctx;
  return e->sim->now;
}

/* The hub admits the devices it knows, as ayild's admit() does from its
 * registry; a stranger's key is refused at the handshake (its early
 * stream, behind its auth, never reaches the sync machine). */
static int sim_admit(void *ctx, const uint8_t peer[AYIL_ID_BYTES],
                     const ayil_envelope_t *env) {
  end_t *e = ctx;
  (void)env;
  if (memcmp(peer, e->peer->pk, AYIL_ID_BYTES) != 0)
    return AYIL_EPEER; /* the handshake proved another key: impossible */
  if (e->peer->hostile == HOSTILE_STRANGER || e->peer->committee < 0) {
    e->sim->stranger_refused++;
    return AYIL_EUNKNOWN_NODE;
  }
  return 0;
}

static ayil_session_config_t config_for(end_t *e) {
  ayil_session_config_t cfg;
  ayil_sync_config_t *sc = &cfg.sync;
  memset(&cfg, 0, sizeof cfg);
  sc->ctx = e;
  sc->origins = cb_origins;
  sc->discover = cb_discover;
  sc->head = cb_head;
  sc->get = cb_get;
  sc->deliver = cb_deliver;
  sc->event = cb_event;
  cfg.wall_ms = sim_wall;
  cfg.admit = sim_admit;
  return cfg;
}

static int sync_fail(sim_t *w, conn_t *c, int side, const char *what, int rc) {
  if (rc == AYIL_EUNKNOWN_NODE && side == 1 &&
      c->end[0].self->hostile == HOSTILE_STRANGER) {
    /* The hub refused a stranger at the handshake, as it should. */
    conn_end(w, c, 0);
    return rc;
  }
  if (rc == AYIL_EOWNER) {
    /* An entry refused by ownership (cb_deliver): ayild ends the
     * connection and commits the alert with what came before it. Whose
     * entries may be refused is for check() to say. */
    node_t *n = c->end[side].self;
    conn_end(w, c, 0);
    node_commit(w, n);
    return rc;
  }
  failf(w, "%s at %s: %s", what, side ? "hub" : "committee", ayil_err_name(rc));
  conn_end(w, c, 0);
  return rc;
}

static void connect_node(sim_t *w, node_t *n) {
  int i, k;
  for (i = 0; i < MAX_CONNS && w->conns[i].live; i++)
    ;
  if (i == MAX_CONNS)
    return;
  {
    conn_t *c = &w->conns[i];
    ayil_session_config_t cfg;
    int rc;
    memset(c, 0, sizeof *c);
    c->live = 1;
    c->end[0] = (end_t){w, c, n, hub(w)};
    c->end[1] = (end_t){w, c, hub(w), n};
    c->rate = range(&w->r, 6, 32); /* 48..256 kbit/s */
    c->latency = range(&w->r, 150, 450);
    c->close_at = UINT64_MAX;
    for (k = 0; k < 2; k++) {
      c->p[k].cut_at = SIZE_MAX;
      if (w->chaos && chance(&w->r, 600000))
        c->p[k].cut_at = (size_t)range(&w->r, 0, 80000);
    }
    /* The committee's session, as ayild's start_client() sets it up: it
     * streams right behind its auth, assuming the hub holds what it last
     * acknowledged here; sometimes wrongly (a lost ACK, a stale or corrupt
     * record of it), and a restored hub holds less anyway. */
    cfg = config_for(&c->end[0]);
    {
      sim_log_t *own = sim_log(&n->st, n->pk, 0);
      uint64_t a = own ? own->hub_ack : 0;
      if (own && chance(&w->r, 200000))
        a = below(&w->r, own->n + 4);
      cfg.early = 1;
      memcpy(cfg.early_origin, n->pk, AYIL_ID_BYTES);
      cfg.early_seq = a;
    }
    rc = ayil_session_client(&c->ss[0], &cfg, w->netkey, n->sk, hub(w)->pk,
                             w->now);
    if (rc == 0) {
      /* The hub's, as ayild's conn_accept() makes it. */
      cfg = config_for(&c->end[1]);
      rc = ayil_session_server(&c->ss[1], &cfg, w->netkey, hub(w)->sk, w->now);
    }
    if (rc != 0) {
      sync_fail(w, c, 0, "session", rc);
      return;
    }
    w->connects++;
    c->idle_since[0] = c->idle_since[1] = w->now;
  }
}

/* Bytes arrive at end `to` of c: the session reads them as ayild's
 * on_read() feeds them. Returns nonzero if c is gone. */
static int arrive(sim_t *w, conn_t *c, int to, const uint8_t *msg, size_t len) {
  ayil_session_event_t ev;
  int rc = ayil_session_feed(c->ss[to], msg, len, w->now);
  if (rc != 0)
    return sync_fail(w, c, to, "feed", rc);
  while (ayil_session_event(c->ss[to], &ev))
    ; /* OPEN: nothing to record; PEER_LEFT: the simulator never leaves */
  return 0;
}

static int pump_conn(sim_t *w, conn_t *c) {
  int dir, k;

  if (w->now >= c->close_at) {
    w->cuts++;
    conn_end(w, c, 0);
    return 1;
  }
  for (dir = 0; dir < 2; dir++) {
    pipe_t *p = &c->p[dir];
    while (p->n > 0 && p->q[p->head].arrive <= w->now) {
      frame_t f = p->q[p->head];
      p->head = (p->head + 1) % p->cap;
      p->n--;
      p->queued -= f.len;
      if (arrive(w, c, 1 - dir, f.data, f.len)) {
        free(f.data);
        return 1;
      }
      free(f.data);
    }
  }
  for (k = 0; k < 2; k++) {
    ayil_sync_t *s = csync(c, k);
    int rc;
    while (c->p[k].queued < PIPE_MAX) {
      const uint8_t *out;
      size_t len;
      rc = ayil_session_transmit(c->ss[k], w->now, &out, &len);
      if (rc != 0)
        return sync_fail(w, c, k, "transmit", rc) ? 1 : 1;
      if (len == 0)
        break;
      pipe_push(w, c, k, out, len);
    }
    if (s == NULL || ayil_session_state(c->ss[k]) != AYIL_SESSION_OPEN)
      continue;
    if (!ayil_sync_idle(s))
      c->idle_since[k] = w->now;
    /* Dead links are found by lack of progress, not by deadlines. */
    if (!ayil_sync_idle(s) && w->now > ayil_sync_progress_ms(s) + DEAD_MS) {
      conn_end(w, c, 0);
      return 1;
    }
  }
  /* A handshake that does not finish (a cut, a partition) ends as ayild's
   * conns_tick() ends it. */
  if (ayil_session_state(c->ss[0]) == AYIL_SESSION_HANDSHAKE &&
      w->now > c->idle_since[0] + DEAD_MS) {
    conn_end(w, c, 0);
    return 1;
  }
  /* The committee lingers briefly once idle, then leaves. */
  if (ayil_session_state(c->ss[0]) == AYIL_SESSION_OPEN &&
      ayil_sync_idle(csync(c, 0)) && w->now > c->idle_since[0] + LINGER_MS) {
    conn_end(w, c, 1);
    c->end[0].self->next_connect = w->now + POLL_MS;
    return 1;
  }
  if (csync(c, 1) != NULL && ayil_sync_idle(csync(c, 1)) &&
      w->now > c->idle_since[1] + HUB_IDLE_MS) {
    conn_end(w, c, 0);
    return 1;
  }
  return 0;
}

static void close_node_conns(sim_t *w, node_t *n) {
  int i;
  for (i = 0; i < MAX_CONNS; i++) {
    conn_t *c = &w->conns[i];
    if (c->live && (c->end[0].self == n || c->end[1].self == n))
      conn_end(w, c, 0);
  }
}

/* The node's durable heads advanced: tell every connection it has. */
static void node_commit(sim_t *w, node_t *n) {
  size_t j;
  int i;
  for (j = 0; j < n->st.nlogs; j++) {
    sim_log_t *l = &n->st.logs[j];
    if (!sim_log_commit(l))
      continue;
    for (i = 0; i < MAX_CONNS; i++) {
      conn_t *c = &w->conns[i];
      int k;
      if (!c->live)
        continue;
      for (k = 0; k < 2; k++) {
        int rc;
        if (c->end[k].self != n || csync(c, k) == NULL)
          continue;
        rc = ayil_sync_committed(csync(c, k), l->id, l->durable);
        if (rc == 0)
          rc = ayil_sync_notify(csync(c, k), l->id);
        if (rc != 0)
          sync_fail(w, c, k, "committed", rc);
      }
    }
  }
}

static void notify_local(sim_t *w, node_t *n) {
  int i, k;
  for (i = 0; i < MAX_CONNS; i++) {
    conn_t *c = &w->conns[i];
    for (k = 0; c->live && k < 2; k++) {
      int rc;
      if (c->end[k].self != n || csync(c, k) == NULL)
        continue;
      rc = ayil_sync_notify(csync(c, k), n->pk);
      if (rc != 0)
        sync_fail(w, c, k, "notify", rc);
    }
  }
}

static int has_conn(sim_t *w, node_t *n) {
  int i;
  for (i = 0; i < MAX_CONNS; i++)
    if (w->conns[i].live && w->conns[i].end[0].self == n)
      return 1;
  return 0;
}

/* ---- scenario --------------------------------------------------------- */

/* The deployment's network key, from the seed (not from the seed's random
 * stream, which decides everything else). */
static void sim_netkey(sim_t *w) {
  crypto_generichash(w->netkey, sizeof w->netkey, (const uint8_t *)&w->seed,
                     sizeof w->seed, NULL, 0);
}

static node_t *add_node(sim_t *w, int kind, int committee) {
  node_t *n = &w->nodes[w->nnodes++];
  uint8_t seed[32];
  memset(n, 0, sizeof *n);
  n->kind = kind;
  n->committee = committee;
  fill(&w->r, seed, sizeof seed);
  crypto_sign_seed_keypair(n->pk, n->sk, seed);
  n->backoff = 1000;
  n->next_connect = below(&w->r, 5000);
  if (kind == COMMITTEE && committee >= 0)
    memcpy(w->devices[committee][w->ndevices[committee]++], n->pk, 32);
  return n;
}

static node_t *current_device(sim_t *w, int c) {
  int i;
  for (i = 1; i < w->nnodes; i++)
    if (w->nodes[i].committee == c && !w->nodes[i].retired &&
        !w->nodes[i].is_clone)
      return &w->nodes[i];
  return NULL;
}

static void chaos_events(sim_t *w, uint64_t fork_at, uint64_t replace_at) {
  int i;
  for (i = 0; i < w->nnodes; i++) {
    node_t *n = &w->nodes[i];
    if (n->retired)
      continue;
    if (alive(w, n) && chance(&w->r, n->kind == HUB ? 100 : 200)) {
      /* Crash: whatever is not durable is lost, every connection too. */
      close_node_conns(w, n);
      sim_store_crash(&n->st);
      refold(w, n);
      n->down_until = w->now + range(&w->r, 500, 20000);
      w->crashes++;
      continue;
    }
    if (n->kind == COMMITTEE && chance(&w->r, 250)) {
      n->partitioned_until = w->now + range(&w->r, 5000, 60000);
      w->partitions++;
    }
    if (alive(w, n) &&
        chance(&w->r, n->kind == HUB ? 500 : (n->is_clone ? 2000 : 4000))) {
      if (n->hostile == HOSTILE_STRANGER ||
          (n->hostile && chance(&w->r, 250000)))
        write_hostile(w, n);
      else
        write_entry(w, n);
      if (n->kind == COMMITTEE)
        n->next_connect = n->next_connect < w->now ? n->next_connect : w->now;
      notify_local(w, n);
    }
  }
  if (w->hub_hostile && alive(w, hub(w)) && chance(&w->r, 700)) {
    /* The compromised hub puts and deletes committees' records in its own
     * log, which every committee pulls. */
    write_hostile(w, hub(w));
    notify_local(w, hub(w));
  }
  if (w->restored < 0 && alive(w, hub(w)) && chance(&w->r, 150)) {
    /* The hub restored from an older backup: it lost the end of one
     * committee's log, which that committee thinks it acknowledged. */
    int c = (int)below(&w->r, (uint64_t)w->ncomm);
    node_t *dev = current_device(w, c);
    sim_log_t *at = dev ? sim_log(&hub(w)->st, dev->pk, 0) : NULL;
    if (at != NULL && at->durable > 0 && c != w->clone_of && c != w->replaced &&
        w->ndevices[c] == 1 && !((w->victims >> c) & 1)) {
      close_node_conns(w, hub(w));
      sim_log_truncate(at, (size_t)below(&w->r, at->durable));
      refold(w, hub(w));
      w->restored = c;
      w->restores++;
    }
  }
  if (w->now == fork_at) {
    /* A node restored from a copy (a clone with the same key). */
    int c = (int)below(&w->r, (uint64_t)w->ncomm);
    node_t *orig = current_device(w, c), *cl;
    if (orig != NULL && w->nnodes < MAX_NODES && c != w->restored) {
      cl = &w->nodes[w->nnodes++];
      *cl = *orig;
      cl->is_clone = 1;
      cl->writes = 0;
      sim_store_copy(&cl->st, &orig->st);
      refold(w, cl);
      w->clone_of = c;
      {
        sim_log_t *l = sim_log(&cl->st, cl->pk, 0);
        w->clone_split = l ? l->n : 0;
      }
    }
  }
  if (w->now == replace_at && w->clone_of < 0) {
    /* A dead Pi replaced: a new key, admitted as the successor. */
    int c = (int)below(&w->r, (uint64_t)w->ncomm);
    node_t *old = current_device(w, c);
    if (old != NULL && w->nnodes < MAX_NODES && w->ndevices[c] < MAX_DEVICES &&
        c != w->restored) {
      close_node_conns(w, old);
      old->retired = 1;
      add_node(w, COMMITTEE, c);
      w->replaced = c;
    }
  }
}

static void step(sim_t *w, uint64_t fork_at, uint64_t replace_at) {
  int i;
  if (w->chaos)
    chaos_events(w, fork_at, replace_at);
  for (i = 0; i < w->nnodes; i++) {
    node_t *n = &w->nodes[i];
    /* Durable commits happen at the store's own pace. */
    if (alive(w, n) && chance(&w->r, 300000))
      node_commit(w, n);
  }
  for (i = 1; i < w->nnodes; i++) {
    node_t *n = &w->nodes[i];
    if (!alive(w, n) || !alive(w, hub(w)) || w->now < n->next_connect ||
        w->now < n->partitioned_until || has_conn(w, n))
      continue;
    connect_node(w, n);
    /* Sometimes a second connection at once (a reconnect that overlaps). */
    if (w->chaos && chance(&w->r, 100000))
      connect_node(w, n);
  }
  for (i = 0; i < MAX_CONNS; i++)
    if (w->conns[i].live)
      pump_conn(w, &w->conns[i]);
}

/* ---- checks ----------------------------------------------------------- */

static int same_entry(const sim_ent_t *a, const sim_ent_t *b) {
  return a->elen == b->elen && memcmp(a->entry, b->entry, a->elen) == 0;
}

/* Signatures already checked in this run: replicas share entries, and an
 * Ed25519 verification is the costliest thing the checks do. */
static uint8_t (*verified)[AYIL_HASH_BYTES];
static size_t nverified, verified_cap;

static int verify_once(const ayil_entry_t *e, const uint8_t *hash) {
  size_t i;
  for (i = 0; i < nverified; i++)
    if (memcmp(verified[i], hash, AYIL_HASH_BYTES) == 0)
      return 0;
  if (ayil_entry_verify(e) != 0)
    return AYIL_ESIG;
  if (nverified == verified_cap) {
    size_t cap = verified_cap ? verified_cap * 2 : 256;
    uint8_t(*v)[AYIL_HASH_BYTES] = realloc(verified, cap * sizeof *v);
    if (v == NULL)
      abort();
    verified = v;
    verified_cap = cap;
  }
  memcpy(verified[nverified++], hash, AYIL_HASH_BYTES);
  return 0;
}

static void check_chain(sim_t *w, const node_t *n, const sim_log_t *l) {
  uint8_t prev[AYIL_HASH_BYTES] = {0}, bh[AYIL_HASH_BYTES];
  size_t j;
  for (j = 0; j < l->n; j++) {
    const sim_ent_t *x = &l->e[j];
    ayil_entry_t e, p;
    if (ayil_entry_decode(&e, x->entry, x->elen) != 0 ||
        verify_once(&e, x->hash) != 0 || memcmp(e.origin, l->id, 32) != 0 ||
        ayil_entry_follows(&e, j, prev) != 0) {
      failf(w, "node %d: chain broken at seq %zu", (int)(n - w->nodes), j + 1);
      return;
    }
    if (e.has_body && x->body != NULL) {
      ayil_body_hash(x->body, x->blen, bh);
      if (memcmp(bh, e.body_hash, 32) != 0)
        failf(w, "node %d: body hash at seq %zu", (int)(n - w->nodes), j + 1);
    } else if (e.has_body) {
      if (x->proof == NULL || ayil_entry_decode(&p, x->proof, x->plen) != 0 ||
          ayil_entry_verify(&p) != 0 || p.op != AYIL_OP_DELETE ||
          memcmp(p.record, e.record, AYIL_RECID_BYTES) != 0)
        failf(w, "node %d: body missing without proof at seq %zu",
              (int)(n - w->nodes), j + 1);
    }
    memcpy(prev, x->hash, 32);
  }
}

/* One of a and b is a prefix of the other. */
static int agree(const sim_log_t *a, const sim_log_t *b) {
  size_t j, m = a->n < b->n ? a->n : b->n;
  for (j = 0; j < m; j++)
    if (!same_entry(&a->e[j], &b->e[j]))
      return 0;
  return 1;
}

static int is_fork_origin(const sim_t *w, const uint8_t *id) {
  return w->clone_of >= 0 && node_is_device_of(w, w->clone_of, id);
}

/* Both lineages of the clone wrote past the split: a real fork. */
static int fork_expected(sim_t *w) {
  int i, both = 0;
  if (w->clone_of < 0)
    return 0;
  for (i = 1; i < w->nnodes; i++) {
    node_t *n = &w->nodes[i];
    sim_log_t *l;
    if (n->committee != w->clone_of || n->retired)
      continue;
    l = sim_log(&n->st, n->pk, 0);
    if (l && l->n > w->clone_split) {
      /* The original may have written before the clone was made: compare
       * the entries after the split. */
      both++;
    }
  }
  if (both < 2)
    return 0;
  {
    node_t *a = current_device(w, w->clone_of), *b = NULL;
    sim_log_t *la, *lb;
    for (i = 1; i < w->nnodes; i++)
      if (w->nodes[i].is_clone)
        b = &w->nodes[i];
    if (a == NULL || b == NULL)
      return 0;
    la = sim_log(&a->st, a->pk, 0);
    lb = sim_log(&b->st, b->pk, 0);
    return la && lb && !agree(la, lb);
  }
}

/* Everything that can arrive has arrived. */
static int converged(sim_t *w) {
  node_t *h = hub(w);
  sim_log_t *hh = sim_log(&h->st, h->pk, 0);
  size_t j;
  int i, d;
  for (i = 0; i < w->nnodes; i++)
    for (j = 0; j < w->nodes[i].st.nlogs; j++)
      if (!w->nodes[i].retired &&
          w->nodes[i].st.logs[j].n != w->nodes[i].st.logs[j].durable)
        return 0;
  for (i = 1; i < w->nnodes; i++) {
    node_t *n = &w->nodes[i];
    sim_log_t *own, *at_hub, *nh;
    if (n->retired || n->hostile == HOSTILE_STRANGER)
      continue;
    own = sim_log(&n->st, n->pk, 0);
    at_hub = sim_log(&h->st, n->pk, 0);
    /* A log refused for a change to a record it does not own stops there
     * (check() says it was a hostile one, at its first hostile entry). */
    if (!is_fork_origin(w, n->pk) && own && own->n > 0 &&
        (!at_hub || (at_hub->n != own->n && at_hub->refused == 0)))
      return 0;
    nh = sim_log(&n->st, h->pk, 0);
    if (hh && hh->n > 0 && (!nh || (nh->n != hh->n && nh->refused == 0)))
      return 0;
    /* A successor holds its predecessors' logs as the hub does. */
    for (d = 0; d < w->ndevices[n->committee]; d++) {
      const uint8_t *id = w->devices[n->committee][d];
      sim_log_t *a = sim_log(&h->st, id, 0), *b = sim_log(&n->st, id, 0);
      if (is_fork_origin(w, id) || memcmp(id, n->pk, 32) == 0)
        continue;
      if (a && a->n > 0 && (!b || b->n != a->n))
        return 0;
    }
  }
  if (fork_expected(w)) {
    sim_log_t *l = sim_log(&h->st, w->devices[w->clone_of][0], 0);
    if (l == NULL || l->forks == 0)
      return 0;
  }
  return 1;
}

/* The records view of node n is what the legitimate writes that it holds
 * make of it, each record changed by its owner's lineage only: computed
 * from the oracle of the writes the simulator made, not from the store.
 * The node's store says only which writes it holds and in which order it
 * took them (a successor may update a record before it has the rest of
 * its predecessor's log; the view follows arrival). */
static void check_records(sim_t *w, node_t *n) {
  sim_store_t exp;
  size_t i, q, k = 0;
  int id = (int)(n - w->nodes);
  ord_t *ord = stored_order(n, &k);
  memset(&exp, 0, sizeof exp);
  for (i = 0; i < k && !w->failure[0]; i++) {
    const legit_t *o = NULL;
    sim_rec_t *r;
    for (q = 0; q < w->nlegit && o == NULL; q++)
      if (memcmp(w->legit[q].hash, ord[i].x->hash, AYIL_HASH_BYTES) == 0)
        o = &w->legit[q];
    if (o == NULL)
      continue; /* not a legitimate write: it must change nothing */
    r = sim_rec(&exp, o->record, 0);
    if (r == NULL) {
      if (o->op != AYIL_OP_PUT)
        continue;
      r = sim_rec(&exp, o->record, 1);
      memcpy(r->owner, o->origin, 32); /* the creating device */
    } else if (committee_of(w, r->owner, NULL) != o->committee) {
      failf(w, "oracle: a write outside the owner's lineage");
      break;
    }
    if (r->deleted)
      continue;
    if (o->op == AYIL_OP_DELETE) {
      r->deleted = 1;
      continue;
    }
    memcpy(r->header_hash, o->header_hash, 32);
    r->has_body = o->has_body;
    memcpy(r->body_hash, o->body_hash, 32);
  }
  free(ord);
  for (i = 0; i < exp.nrecs && !w->failure[0]; i++) {
    const sim_rec_t *x = &exp.recs[i], *g = sim_rec(&n->st, x->record, 0);
    if (g == NULL)
      failf(w, "node %d: a record its owner wrote is missing", id);
    else if (memcmp(g->owner, x->owner, 32) != 0)
      failf(w, "node %d: a record has another owner", id);
    else if (g->deleted != x->deleted)
      failf(w, "node %d: a record is %s, its owner %s it", id,
            g->deleted ? "deleted" : "live", x->deleted ? "deleted" : "kept");
    else if (!x->deleted &&
             (memcmp(g->header_hash, x->header_hash, 32) != 0 ||
              g->has_body != x->has_body ||
              (x->has_body && memcmp(g->body_hash, x->body_hash, 32) != 0)))
      failf(w, "node %d: a record's header or body is not its owner's", id);
  }
  if (!w->failure[0] && n->st.nrecs != exp.nrecs)
    failf(w, "node %d: %zu records, its owners wrote %zu", id, n->st.nrecs,
          exp.nrecs);
  free(exp.recs);
}

/* Refusals: only of a hostile log, at its first hostile entry, which the
 * log stops right before; the hub holds nothing of a stranger. */
static void check_refusals(sim_t *w, node_t *n) {
  size_t j;
  int id = (int)(n - w->nodes), k;
  for (j = 0; j < n->st.nlogs; j++) {
    sim_log_t *l = &n->st.logs[j];
    uint64_t bad = 0;
    if (memcmp(l->id, hub(w)->pk, 32) == 0)
      bad = w->hub_bad_seq;
    for (k = 1; k < w->nnodes; k++)
      if (w->nodes[k].hostile && memcmp(l->id, w->nodes[k].pk, 32) == 0) {
        if (w->nodes[k].hostile == HOSTILE_STRANGER && n == hub(w) && l->n)
          failf(w, "the hub stored a stranger's entries");
        bad = w->nodes[k].bad_seq;
      }
    if (l->refused == 0)
      continue;
    if (bad == 0)
      failf(w, "node %d refused an entry of a legitimate log", id);
    else if (l->refused_seq != bad || l->n != bad - 1)
      failf(w,
            "node %d: log refused at %llu, holds %zu; its first hostile "
            "entry is %llu",
            id, (unsigned long long)l->refused_seq, l->n,
            (unsigned long long)bad);
  }
}

static void check(sim_t *w) {
  node_t *h = hub(w);
  int i, k;
  size_t j, m;
  nverified = 0;
  /* No record changes but by its owner, at any node not hostile itself. */
  for (i = 0; i < w->nnodes; i++)
    if (!w->nodes[i].hostile) {
      check_refusals(w, &w->nodes[i]);
      check_records(w, &w->nodes[i]);
    }
  if (w->failure[0])
    return;
  for (i = 0; i < w->nnodes; i++)
    for (j = 0; j < w->nodes[i].st.nlogs; j++)
      check_chain(w, &w->nodes[i], &w->nodes[i].st.logs[j]);
  for (i = 1; i < w->nnodes; i++) {
    node_t *n = &w->nodes[i];
    for (j = 0; j < n->st.nlogs; j++) {
      sim_log_t *l = &n->st.logs[j], *at = sim_log(&h->st, l->id, 0);
      /* Acknowledged means held by the hub, byte for byte. */
      if (l->hub_ack > 0) {
        if (at == NULL || at->durable < l->hub_ack) {
          failf(w, "node %d: hub acked %llu but holds %zu", i,
                (unsigned long long)l->hub_ack, at ? at->durable : 0);
          return;
        }
        for (m = 0; m < l->hub_ack; m++)
          if (!same_entry(&l->e[m], &at->e[m])) {
            failf(w, "node %d: acked entry %zu differs at hub", i, m + 1);
            return;
          }
      }
      if (l->forks > 0 && !is_fork_origin(w, l->id))
        failf(w, "node %d: fork alert without a fork", i);
    }
  }
  /* Replicas agree, except the two lineages of a fork with each other. */
  for (i = 0; i < w->nnodes; i++)
    for (k = i + 1; k < w->nnodes; k++)
      for (j = 0; j < w->nodes[i].st.nlogs; j++) {
        sim_log_t *a = &w->nodes[i].st.logs[j];
        sim_log_t *b = sim_log(&w->nodes[k].st, a->id, 0);
        if (b == NULL || is_fork_origin(w, a->id))
          continue;
        if (!agree(a, b))
          failf(w, "nodes %d and %d disagree on a log", i, k);
      }
  if (w->clone_of >= 0) {
    /* The hub's copy is one lineage, never a mix (check_chain), and
     * matches one of the two. */
    const uint8_t *id = w->devices[w->clone_of][0];
    sim_log_t *at = sim_log(&h->st, id, 0);
    int ok = 0;
    for (i = 1; i < w->nnodes && at; i++) {
      sim_log_t *l = sim_log(&w->nodes[i].st, id, 0);
      if (w->nodes[i].committee == w->clone_of && l && l->n >= at->n &&
          agree(l, at))
        ok = 1;
    }
    if (at && !ok)
      failf(w, "hub holds a log that no lineage wrote");
    if (fork_expected(w) && (at == NULL || at->forks == 0))
      failf(w, "fork not alerted at the hub");
  }
}

static void dump(sim_t *w) {
  int i, k;
  size_t j;
  for (i = 0; i < w->nnodes; i++) {
    node_t *n = &w->nodes[i];
    printf(
        "  node %d %s c%d%s%s%s writes %d:", i, n->kind == HUB ? "hub" : "com",
        n->committee, n->retired ? " retired" : "", n->is_clone ? " clone" : "",
        n->hostile ? (n->hostile == HOSTILE_DEVICE ? " hostile" : " stranger")
                   : "",
        n->writes);
    for (j = 0; j < n->st.nlogs; j++) {
      sim_log_t *l = &n->st.logs[j];
      for (k = 0; k < w->nnodes; k++)
        if (memcmp(w->nodes[k].pk, l->id, 32) == 0)
          break;
      printf(" [%d: %zu/%zu ack %llu f%d r%d]", k, l->durable, l->n,
             (unsigned long long)l->hub_ack, l->forks, l->refused);
    }
    printf("\n");
  }
  for (i = 0; i < MAX_CONNS; i++) {
    conn_t *c = &w->conns[i];
    if (!c->live)
      continue;
    printf("  conn %d: node %d, idle %d/%d\n", i,
           (int)(c->end[0].self - w->nodes),
           csync(c, 0) ? ayil_sync_idle(csync(c, 0)) : -1,
           csync(c, 1) ? ayil_sync_idle(csync(c, 1)) : -1);
    for (k = 0; k < 2; k++) {
      ayil_sync_stats_t st;
      if (csync(c, k) == NULL)
        continue;
      ayil_sync_stats(csync(c, k), &st);
      printf(
          "    %s: sent %llu msgs %llu entries %llu pings, recv %llu msgs "
          "%llu entries, progress %llu, pipe sent %zu queued %zu cut %d "
          "blackholed %d\n",
          k ? "hub" : "committee", (unsigned long long)st.msgs_sent,
          (unsigned long long)st.entries_sent,
          (unsigned long long)st.pings_sent, (unsigned long long)st.msgs_recv,
          (unsigned long long)st.entries_recv,
          (unsigned long long)ayil_sync_progress_ms(csync(c, k)), c->p[k].sent,
          c->p[k].queued, c->p[k].sent > c->p[k].cut_at, c->p[k].blackholed);
    }
  }
}

/* ---- a run ------------------------------------------------------------ */

static int run(uint64_t seed, int verbose, sim_t *w) {
  uint64_t fork_at = UINT64_MAX, replace_at = UINT64_MAX, heal_start;
  int i;

  memset(w, 0, sizeof *w);
  w->seed = seed;
  w->r.s = seed * 0x2545f4914f6cdd1dull + 1;
  w->verbose = verbose;
  w->clone_of = -1;
  w->replaced = -1;
  w->restored = -1;
  w->hostile_comm = -1;
  w->chaos = 1;
  sim_netkey(w);
  add_node(w, HUB, -1);
  w->ncomm = (int)range(&w->r, 2, 4);
  for (i = 0; i < w->ncomm; i++)
    add_node(w, COMMITTEE, i);
  /* Hostile origins, each in some seeds. */
  if (chance(&w->r, 400000)) {
    w->hostile_comm = w->ncomm;
    add_node(w, COMMITTEE, w->ncomm)->hostile = HOSTILE_DEVICE;
  }
  if ((w->stranger = chance(&w->r, 300000)) != 0)
    add_node(w, COMMITTEE, -1)->hostile = HOSTILE_STRANGER;
  w->hub_hostile = chance(&w->r, 300000);
  if (chance(&w->r, 150000))
    fork_at = range(&w->r, 5000, CHAOS_MS - 10000) / STEP_MS * STEP_MS;
  else if (chance(&w->r, 150000))
    replace_at = range(&w->r, 5000, CHAOS_MS - 10000) / STEP_MS * STEP_MS;

  for (w->now = 0; w->now < CHAOS_MS && !w->failure[0]; w->now += STEP_MS)
    step(w, fork_at, replace_at);
  /* Heal: no more cuts, partitions, crashes or writes. */
  w->chaos = 0;
  for (i = 0; i < MAX_CONNS; i++) {
    /* A connection already cut stays cut; the others will not be. */
    int k;
    for (k = 0; k < 2; k++)
      if (w->conns[i].p[k].sent <= w->conns[i].p[k].cut_at)
        w->conns[i].p[k].cut_at = SIZE_MAX;
  }
  for (i = 0; i < w->nnodes; i++) {
    node_t *n = &w->nodes[i];
    n->partitioned_until = 0;
    if (n->down_until > w->now)
      n->down_until = w->now;
    n->backoff = 1000;
  }
  heal_start = w->now;
  while (!w->failure[0]) {
    step(w, fork_at, replace_at);
    w->now += STEP_MS;
    if ((w->now - heal_start) % 1000 == 0 && converged(w))
      break;
    if (w->now - heal_start > HEAL_MAX_MS)
      failf(w, "no convergence after the network healed");
  }
  if (!w->failure[0])
    check(w);
  if (verbose && w->failure[0])
    dump(w);
  if (verbose)
    printf("seed %llu: %d committees, %llu entries, %llu connects, %llu cuts, "
           "%llu crashes, %llu partitions, %s%s, hostile entries: %llu by a "
           "device, %llu by the hub, %llu by a stranger, %llu refused, healed "
           "in %llu s, %llu wire bytes%s%s\n",
           (unsigned long long)seed, w->ncomm,
           (unsigned long long)w->entries_written,
           (unsigned long long)w->connects, (unsigned long long)w->cuts,
           (unsigned long long)w->crashes, (unsigned long long)w->partitions,
           w->clone_of >= 0 ? (fork_expected(w) ? "fork" : "clone") : "",
           w->replaced >= 0 ? "successor" : "",
           (unsigned long long)w->attacks[0], (unsigned long long)w->attacks[1],
           (unsigned long long)w->attacks[2], (unsigned long long)w->refusals,
           (unsigned long long)(w->now - heal_start) / 1000,
           (unsigned long long)w->wire_bytes, w->failure[0] ? ": " : "",
           w->failure);
  for (i = 0; i < MAX_CONNS; i++)
    conn_close(&w->conns[i]);
  for (i = 0; i < w->nnodes; i++)
    sim_store_free(&w->nodes[i].st);
  free(w->legit);
  w->legit = NULL;
  return w->failure[0] ? 1 : 0;
}

/* ---- wire overhead on a clean link ------------------------------------ */

static int overhead(void) {
  sim_t *w = calloc(1, sizeof *w);
  node_t *n;
  conn_t *c;
  sim_log_t *l, *at;
  uint64_t body = 0, header = 0, msgs = 0;
  size_t j, count = 1000;
  ayil_sync_stats_t s0, s1;

  if (w == NULL)
    return 1;
  w->r.s = 42;
  w->plain = 1;
  sim_netkey(w);
  w->hostile_comm = -1;
  w->clone_of = -1;
  w->replaced = -1;
  w->restored = -1;
  add_node(w, HUB, -1);
  n = add_node(w, COMMITTEE, 0);
  w->ncomm = 1;
  while (sim_log(&n->st, n->pk, 1)->n < count)
    write_entry(w, n);
  l = sim_log(&n->st, n->pk, 0);
  for (j = 0; j < l->n; j++) {
    ayil_entry_t e;
    if (ayil_entry_decode(&e, l->e[j].entry, l->e[j].elen) == 0)
      header += e.header_len;
    body += l->e[j].blen;
  }
  connect_node(w, n);
  c = &w->conns[0];
  c->p[0].cut_at = c->p[1].cut_at = SIZE_MAX;
  c->rate = 8; /* 64 kbit/s */
  c->latency = 300;
  for (w->now = 0; w->now < 36000000 && c->live; w->now += STEP_MS) {
    node_commit(w, hub(w));
    pump_conn(w, c);
    if (c->live && csync(c, 1) && ayil_sync_idle(csync(c, 0)) &&
        ayil_sync_idle(csync(c, 1)))
      break;
  }
  at = sim_log(&hub(w)->st, n->pk, 0);
  if (!c->live || at == NULL || at->n != count) {
    printf("overhead run failed\n");
    return 1;
  }
  ayil_sync_stats(csync(c, 0), &s0);
  ayil_sync_stats(csync(c, 1), &s1);
  msgs = s0.msgs_sent + s1.msgs_sent;
  printf("clean 64 kbit/s, 600 ms RTT link: %zu appeals (the header of "
         "tests/bench/bench_sync.sh, %.0f bytes raw), %llu body bytes\n",
         count, (double)header / (double)count, (unsigned long long)body);
  printf("wire: %llu bytes in %llu frames (%llu ENTRIES/MORE, %llu acks), "
         "%.1f s\n",
         (unsigned long long)w->wire_bytes, (unsigned long long)msgs,
         (unsigned long long)s0.msgs_sent, (unsigned long long)s1.acks_sent,
         (double)w->now / 1000.0);
  printf("per record beyond the sealed body: %.1f bytes, both ways, "
         "handshake included\n",
         (double)(w->wire_bytes - body) / (double)count);
  printf("throughput: %.1f kbit/s of 64; goodput (body bytes / time / rate) "
         "%.3f\n",
         (double)w->wire_bytes * 8.0 / (double)w->now,
         (double)body * 8.0 / (double)w->now / 64.0);
  conn_close(c);
  sim_store_free(&hub(w)->st);
  sim_store_free(&n->st);
  free(w->legit);
  free(w);
  return 0;
}

int main(int argc, char **argv) {
  uint64_t seeds = 1000, first = 1, s;
  uint64_t passed = 0, failed = 0, entries = 0, connects = 0, cuts = 0,
           crashes = 0, forks = 0, successors = 0, restores = 0, bytes = 0,
           refusals = 0, stranger_recv = 0, stranger_refused = 0,
           attacks[3] = {0, 0, 0}, attacked[3] = {0, 0, 0};
  int k;
  int verbose = 0, i;
  sim_t *w;

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc)
      seeds = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--first") == 0 && i + 1 < argc)
      first = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--verbose") == 0)
      verbose = 1;
    else if (strcmp(argv[i], "--overhead") == 0)
      return sodium_init() < 0 ? 1 : overhead();
    else {
      fprintf(stderr, "usage: ayil-sim [--seeds N] [--first S] [--verbose] "
                      "[--overhead]\n");
      return 2;
    }
  }
  if (sodium_init() < 0)
    return 1;
  w = malloc(sizeof *w);
  if (w == NULL)
    return 1;
  for (s = first; s < first + seeds; s++) {
    if (run(s, verbose, w) != 0) {
      failed++;
      printf("FAIL seed %llu: %s (rerun: ayil-sim --first %llu --seeds 1 "
             "--verbose)\n",
             (unsigned long long)s, w->failure, (unsigned long long)s);
    } else {
      passed++;
    }
    entries += w->entries_written;
    connects += w->connects;
    cuts += w->cuts;
    crashes += w->crashes;
    forks += w->clone_of >= 0 && w->forks_alerted > 0;
    successors += w->replaced >= 0;
    restores += w->restores;
    bytes += w->wire_bytes;
    for (k = 0; k < 3; k++) {
      attacks[k] += w->attacks[k];
      attacked[k] += w->attacks[k] > 0;
    }
    refusals += w->refusals;
    stranger_recv += w->stranger_recv;
    stranger_refused += w->stranger_refused;
  }
  printf("%llu entries, %llu connections, %llu cuts, %llu crashes, %llu "
         "forks alerted, %llu successors, %llu hub restores, %llu wire "
         "bytes\n",
         (unsigned long long)entries, (unsigned long long)connects,
         (unsigned long long)cuts, (unsigned long long)crashes,
         (unsigned long long)forks, (unsigned long long)successors,
         (unsigned long long)restores, (unsigned long long)bytes);
  printf("hostile entries: %llu by devices (%llu seeds), %llu by the hub "
         "(%llu seeds), %llu by strangers (%llu seeds); %llu refused by "
         "ownership; %llu of strangers received by the hub, none stored; "
         "%llu of their connections refused at the handshake\n",
         (unsigned long long)attacks[0], (unsigned long long)attacked[0],
         (unsigned long long)attacks[1], (unsigned long long)attacked[1],
         (unsigned long long)attacks[2], (unsigned long long)attacked[2],
         (unsigned long long)refusals, (unsigned long long)stranger_recv,
         (unsigned long long)stranger_refused);
  printf("%llu passed, %llu failed\n", (unsigned long long)passed,
         (unsigned long long)failed);
  free(w);
  free(verified);
  return failed ? 1 : 0;
}

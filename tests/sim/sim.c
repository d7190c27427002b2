/*
 * The deterministic sync simulator.
 *
 * One hub and a few committees run ayild's session (proto/session.c: the
 * real handshake, payload envelope, transport, sync and early stream) and
 * its replication policy over a simulated network: links with a byte rate and a
 * delay, cut at random byte offsets, partitions that black-hole a node,
 * duplicate connections, nodes that crash (losing whatever was not yet durable)
 * and restart, a committee whose device is replaced by a successor, and a
 * cloned committee that forks its log. Entries are real: Ed25519-signed,
 * hash-chained, with random bodies; devices create records, update and delete
 * their own and their predecessors'. Everything comes from one seed, so a
 * failing seed replays.
 *
 * Hostile origins, each in some seeds (the seed decides which, and when):
 * - a hostile device: admitted, the only device of a committee of its own,
 *   it writes like any committee, then signs puts (updates) and deletes of
 *   other committees' records, whose ids it is handed as if they leaked
 *   (live ones that the hub holds already: see victim_record());
 * - a compromised hub: it signs puts and deletes of committees' records in
 *   its own log, which every committee pulls;
 * - a stranger: a key never admitted that connects to the hub and streams
 *   its log of puts and deletes of others' records (and its own) right
 *   behind its auth; the hub's admit() refuses it at the handshake, as
 *   ayild's does, so none of it reaches sync.
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
 *   stores nothing of a stranger;
 * - sparse logs (PROTOCOL.md, "Sparse logs"): a hub's log holds notices
 *   (the admission of each committee's device, a successor's admission
 *   naming its predecessor, and others about its committees' devices or
 *   keys it never served: hub_notice()); the hub's next() (net.c,
 *   cb_next(), as ayild's) sends each committee only those naming one of
 *   its devices, and the committee's store holds that log with holes
 *   (store.h). Each committee holds exactly those notices, byte-identical
 *   to the hub's, and no other entry of the hub's log (up to the forgery it
 *   refused, if the hub is compromised); a successor learns its
 *   predecessors from the notices it holds (net.c, lineage_known()) and
 *   pulls their logs (check_sparse()); once healed no connection stalls on
 *   a clean link, and after convergence every connection goes idle and
 *   closes (quiesce(): the hub says SKIPPED past the last notice for a
 *   committee). --break-next (the hubs send every entry) must fail every
 *   seed (ctest sim_sparse_check).
 *
 * --tier runs the national tier instead: a national hub (node 0), three
 * regional hubs that dial it and three committees under each that dial
 * their regional hub, with the same chaos (cuts, delays, partitions of
 * committees and regional hubs, duplicate connections, crashes of every
 * node losing what was not durable), no clone, successor or restore. A
 * regional hub is a hub to its committees and an AYIL_POLICY_UPLINK client
 * of the national hub (it forwards every committee log it holds); the
 * national hub faces it with a peer_hub view whose devices it learns by
 * folding the regional hub's admit notices (net.c, admitted_by(): as
 * node/registry.c's ayil_reg_directory(), so a committee's log flows up
 * only after the notice that admitted it, and ayild's named_refresh()
 * announces it on the live connection). In some seeds one regional hub is
 * hostile: it signs puts and deletes of committees' records in its own log
 * (the national hub and its committees refuse its log there: AYIL_EOWNER),
 * or it forwards one committee entry altered (the national hub refuses it:
 * AYIL_ESIG, and takes nothing of that log from there on). Checked besides
 * the above (check.c, check_tier()): every entry an honest regional hub
 * acknowledged to a committee is at the national hub, once,
 * byte-identical; the national hub holds no put or delete signed by a hub;
 * it learnt exactly the committees each regional hub admitted. The runs
 * without --tier are unchanged (same seeds, same results).
 *
 * Usage: ayil-sim [--seeds N] [--first S] [--verbose] [--tier] [--overhead]
 *                [--break-next]
 */
#include <time.h>

#include "world.h"

void failf(sim_t *w, const char *fmt, ...) {
  va_list ap;
  if (w->failure[0])
    return;
  va_start(ap, fmt);
  vsnprintf(w->failure, sizeof w->failure, fmt, ap);
  va_end(ap);
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

/* For a status-only update of e->record: a copy of the record's current
 * body as n holds it, and e's body hash set to it; NULL when the record is
 * deleted, has no body or n holds none. */
static uint8_t *status_body(node_t *n, ayil_entry_t *e, size_t *blen) {
  const sim_rec_t *r = sim_rec(&n->st, e->record, 0);
  const sim_ent_t *b;
  uint8_t *copy;
  if (r == NULL || r->deleted || !r->has_body)
    return NULL;
  b = sim_body(&n->st, e->record, r->body_hash);
  if (b == NULL)
    return NULL;
  copy = malloc(b->blen ? b->blen : 1);
  if (copy == NULL)
    abort();
  memcpy(copy, b->body, b->blen);
  *blen = b->blen;
  memcpy(e->body_hash, r->body_hash, AYIL_HASH_BYTES);
  e->has_body = 1;
  return copy;
}

/* A legitimate write of n: a new record, an update or a delete of a record
 * of its lineage, or (a hub) a notice (hub_notice()). */
static void write_notice(sim_t *w, node_t *h, int action, const uint8_t *id,
                         const uint8_t *pred);
static void hub_notice(sim_t *w, node_t *h);

static void write_entry(sim_t *w, node_t *n) {
  sim_log_t *l;
  uint8_t header[512], *body = NULL;
  ayil_entry_t e;
  size_t blen = 0;
  uint64_t roll;

  if (n->kind == HUB && !w->plain) {
    hub_notice(w, n);
    return;
  }
  roll = below(&w->r, 100);

  l = entry_begin(w, n, &e);
  fill(&w->r, e.record, sizeof e.record);
  e.op = AYIL_OP_PUT;
  e.header = header;
  if (w->plain || roll >= 30) {
    /* A record header: compact on the wire. */
    e.header_len = make_header(&w->r, w->plain, header, sizeof header);
  } else {
    /* A header the dictionary does not know: raw on the wire. */
    header[0] = 0x81; /* {"k": n} */
    header[1] = 0xa1;
    header[2] = 'k';
    header[3] = (uint8_t)(below(&w->r, 100));
    e.header_len = 4;
  }
  if (w->plain) {
    blen = 1000;
    body = random_body(w, blen, &e);
  } else if (roll < 10 && lineage_record(w, n, e.record)) {
    /* Delete a record of its own or of a predecessor: its bodies are
     * purged here at once. */
    e.op = AYIL_OP_DELETE;
  } else if (roll >= 45 && roll < 60 && lineage_record(w, n, e.record) &&
             (body = status_body(n, &e, &blen)) != NULL) {
    /* A status-only update: a new header, the record's body kept (the same
     * body hash), as `ayil record update` writes it. On the wire the body
     * goes held when an earlier entry of this log carries it. */
    w->status_updates++;
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
    if (n == hub(w) && w->hub_bad_seq == 0)
      w->hub_bad_seq = e.seq;
    else if (n != hub(w) && n->bad_seq == 0)
      n->bad_seq = e.seq;
  }
  free(body);
}

/* The hostile regional hub `r` alters the first entry of one of its
 * committees' logs that the national hub lacks (its timestamp: the
 * committee's signature no longer verifies) and from then on forwards that
 * log up to the altered entry only (uplink_head(), uplink_altered()): its
 * own store keeps the genuine log, which its committee still syncs. */
static void alter_forwarded(sim_t *w, node_t *r) {
  /* One of its own committees (tier_setup()'s order). */
  int c = (int)(r - w->nodes - 1) * TIER_COMMS + (int)below(&w->r, TIER_COMMS);
  node_t *dev = current_device(w, c);
  sim_log_t *l, *at;
  ayil_entry_t e;
  size_t j, len = 0;
  /* Not while it talks to the national hub: the genuine bytes could be on
   * their way already. */
  if (dev == NULL || up_of(w, dev) != r || has_conn(w, r))
    return;
  l = sim_log(&r->st, dev->pk, 0);
  at = sim_log(&hub(w)->st, dev->pk, 0);
  j = at != NULL ? at->n : 0; /* the first entry the national hub lacks */
  if (l == NULL || j >= l->durable)
    return;
  if (ayil_entry_decode(&e, l->e[j].entry, l->e[j].elen) != 0)
    return;
  e.ts_ms++;
  if (ayil_entry_encode(&e, w->altered, sizeof w->altered, &len) != 0)
    return;
  w->altered_len = len;
  w->altered_seq = j + 1;
  memcpy(w->altered_log, dev->pk, 32);
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
  n->up = kind == HUB ? -1 : 0;
  fill(&w->r, seed, sizeof seed);
  crypto_sign_seed_keypair(n->pk, n->sk, seed);
  n->backoff = 1000;
  n->next_connect = below(&w->r, 5000);
  if (kind == COMMITTEE && committee >= 0)
    memcpy(w->devices[committee][w->ndevices[committee]++], n->pk, 32);
  return n;
}

node_t *current_device(sim_t *w, int c) {
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
    if ((n->kind == COMMITTEE || (w->tier && n->up >= 0)) &&
        chance(&w->r, 250)) {
      n->partitioned_until = w->now + range(&w->r, 5000, 60000);
      w->partitions++;
    }
    if (alive(w, n) &&
        chance(&w->r, n->kind == HUB ? 500 : (n->is_clone ? 2000 : 4000))) {
      if (n->hostile == HOSTILE_STRANGER ||
          (n->hostile && n->hostile != HOSTILE_ALTER && chance(&w->r, 250000)))
        write_hostile(w, n);
      else
        write_entry(w, n);
      if (n->up >= 0)
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
  if (w->tier) {
    /* No restore from a backup, clone or successor in --tier; a hostile
     * regional hub instead. */
    for (i = 1; i <= TIER_REGIONS; i++) {
      node_t *r = &w->nodes[i];
      if (!r->hostile || !alive(w, r) || !chance(&w->r, 700))
        continue;
      if (r->hostile == HOSTILE_REGION) {
        write_hostile(w, r);
        notify_local(w, r);
      } else if (w->altered_seq == 0) {
        alter_forwarded(w, r);
      }
    }
    return;
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
      node_t *succ;
      close_node_conns(w, old);
      old->retired = 1;
      succ = add_node(w, COMMITTEE, c);
      w->replaced = c;
      /* The hub admits it as the successor (`ayil admit --successor-of`):
       * the notice that tells it its lineage, in its sparse copy. */
      write_notice(w, hub(w), AYIL_NOTICE_ADMIT, succ->pk, old->pk);
      notify_local(w, hub(w));
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
    if (!alive(w, n) || !alive(w, up_of(w, n)) || w->now < n->next_connect ||
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

/* ---- a run ------------------------------------------------------------ */

/* Hub h signs a notice about device `id` in its own log, durably, as
 * `ayil admit` (and revoke, and admit --successor-of) do:
 * {"action": A, "kind": "notice", "node": ID[, "successor_of": PRED]}
 * (PROTOCOL.md, "Notices"). */
static void write_notice(sim_t *w, node_t *h, int action, const uint8_t *id,
                         const uint8_t *pred) {
  uint8_t header[256];
  char text[AYIL_ID_TEXT], ptext[AYIL_ID_TEXT];
  hbuf_t hb = {header, sizeof header, 0};
  msgpack_packer pk;
  ayil_notice_t nt;
  ayil_entry_t e;
  sim_log_t *l = entry_begin(w, h, &e);
  ayil_id_to_text(id, text);
  msgpack_packer_init(&pk, &hb, hbuf_write);
  msgpack_pack_map(&pk, pred != NULL ? 4 : 3);
  pack_s(&pk, "action");
  pack_s(&pk, action == AYIL_NOTICE_REVOKE ? "revoke" : "admit");
  pack_s(&pk, "kind");
  pack_s(&pk, "notice");
  pack_s(&pk, "node");
  pack_s(&pk, text);
  if (pred != NULL) {
    ayil_id_to_text(pred, ptext);
    pack_s(&pk, "successor_of");
    pack_s(&pk, ptext);
  }
  if (ayil_hdr_notice(header, hb.len, &nt) != 0) {
    failf(w, "an admit notice the header reader refuses");
    return;
  }
  fill(&w->r, e.record, sizeof e.record); /* random, as ayil_reg_notice() */
  e.op = AYIL_OP_NOTICE;
  e.header = header;
  e.header_len = hb.len;
  (void)entry_finish(w, h, l, &e, NULL, 0, 1);
}

static void write_admit(sim_t *w, node_t *h, const uint8_t *id) {
  write_notice(w, h, AYIL_NOTICE_ADMIT, id, NULL);
}

/*
 * A hub's notice during the run: about a device of one of the committees
 * that dial it (an admission confirmed again, or a revocation that the
 * simulator does not act on), or about a key it never served (a revocation:
 * no committee's). Each committee takes only those naming its own devices
 * (its sparse copy of the hub's log: cb_next()), so the others leave gaps.
 */
static void hub_notice(sim_t *w, node_t *h) {
  int cs[MAX_NODES], nc = 0, c;
  uint8_t id[32];
  for (c = 0; c < w->ncomm + (w->hostile_comm >= 0); c++) {
    node_t *d = current_device(w, c);
    if (d != NULL && up_of(w, d) == h)
      cs[nc++] = c;
  }
  if (nc == 0 || below(&w->r, 4) == 0) {
    fill(&w->r, id, sizeof id);
    write_notice(w, h, AYIL_NOTICE_REVOKE, id, NULL);
    return;
  }
  c = cs[below(&w->r, (uint64_t)nc)];
  memcpy(id, w->devices[c][below(&w->r, (uint64_t)w->ndevices[c])], 32);
  write_notice(w, h,
               below(&w->r, 3) == 0 && !w->tier ? AYIL_NOTICE_REVOKE
                                                : AYIL_NOTICE_ADMIT,
               id, NULL);
}

/* --tier: the national hub (node 0), TIER_REGIONS regional hubs that dial
 * it, TIER_COMMS committees under each that dial their regional hub and
 * that it admitted (its admit notices open its log); in some seeds a
 * hostile regional hub. */
static void tier_setup(sim_t *w) {
  int r, k;
  for (r = 0; r < TIER_REGIONS; r++)
    add_node(w, HUB, -1)->up = 0;
  for (r = 0; r < TIER_REGIONS; r++)
    for (k = 0; k < TIER_COMMS; k++) {
      node_t *c = add_node(w, COMMITTEE, w->ncomm++);
      c->up = 1 + r;
      write_admit(w, &w->nodes[1 + r], c->pk);
    }
  if (chance(&w->r, 400000))
    w->nodes[1 + below(&w->r, TIER_REGIONS)].hostile =
        chance(&w->r, 500000) ? HOSTILE_REGION : HOSTILE_ALTER;
}

/* Every open connection is idle at both ends. */
static int all_idle(sim_t *w) {
  int i;
  for (i = 0; i < MAX_CONNS; i++) {
    conn_t *c = &w->conns[i];
    if (c->live &&
        (csync(c, 0) == NULL || csync(c, 1) == NULL ||
         !ayil_sync_idle(csync(c, 0)) || !ayil_sync_idle(csync(c, 1))))
      return 0;
  }
  return 1;
}

/*
 * After convergence nothing is left to send: every connection goes idle at
 * both ends (a committee's hub log taken sparse included: its hub says
 * SKIPPED past the last notice for it). Runs the healed network until all
 * open connections are idle at both ends, for DEAD_MS + HUB_IDLE_MS at
 * most; a connection dialed before DEAD_MS + LINGER_MS and still busy at
 * the end, or one that stalled (pump_conn()), fails the seed.
 */
static void quiesce(sim_t *w, uint64_t fork_at, uint64_t replace_at) {
  uint64_t start = w->now, end = start + DEAD_MS + HUB_IDLE_MS;
  int i;
  for (i = 0; i < MAX_CONNS; i++)
    if (w->conns[i].live)
      w->quiet_conns++;
  while (!w->failure[0] && w->now < end && !all_idle(w)) {
    step(w, fork_at, replace_at);
    w->now += STEP_MS;
  }
  for (i = 0; i < MAX_CONNS && !w->failure[0]; i++) {
    conn_t *c = &w->conns[i];
    if (c->live && c->opened + DEAD_MS + LINGER_MS < w->now &&
        (csync(c, 0) == NULL || csync(c, 1) == NULL ||
         !ayil_sync_idle(csync(c, 0)) || !ayil_sync_idle(csync(c, 1))))
      failf(w,
            "node %d: a connection still busy %llu s after convergence "
            "(idle %d/%d)",
            (int)(c->end[0].self - w->nodes),
            (unsigned long long)(w->now - c->opened) / 1000,
            csync(c, 0) ? ayil_sync_idle(csync(c, 0)) : -1,
            csync(c, 1) ? ayil_sync_idle(csync(c, 1)) : -1);
  }
}

static int run(uint64_t seed, int verbose, int tier, int next_all, sim_t *w) {
  uint64_t fork_at = UINT64_MAX, replace_at = UINT64_MAX, heal_start, healed;
  int i;

  memset(w, 0, sizeof *w);
  w->next_all = next_all;
  w->seed = seed;
  w->r.s = seed * 0x2545f4914f6cdd1dull + 1;
  w->verbose = verbose;
  w->clone_of = -1;
  w->replaced = -1;
  w->restored = -1;
  w->hostile_comm = -1;
  w->chaos = 1;
  w->tier = tier;
  sim_netkey(w);
  add_node(w, HUB, -1);
  if (tier) {
    tier_setup(w);
  } else {
    w->ncomm = (int)range(&w->r, 2, 4);
    for (i = 0; i < w->ncomm; i++)
      add_node(w, COMMITTEE, i);
    /* Hostile origins, each in some seeds. */
    if (chance(&w->r, 400000)) {
      w->hostile_comm = w->ncomm;
      add_node(w, COMMITTEE, w->ncomm)->hostile = HOSTILE_DEVICE;
    }
    /* The hub admitted every committee's device (the hostile one too):
     * its log opens with their admit notices. */
    for (i = 0; i < w->ncomm + (w->hostile_comm >= 0); i++)
      write_admit(w, hub(w), w->devices[i][0]);
    if ((w->stranger = chance(&w->r, 300000)) != 0)
      add_node(w, COMMITTEE, -1)->hostile = HOSTILE_STRANGER;
    w->hub_hostile = chance(&w->r, 300000);
    if (chance(&w->r, 150000))
      fork_at = range(&w->r, 5000, CHAOS_MS - 10000) / STEP_MS * STEP_MS;
    else if (chance(&w->r, 150000))
      replace_at = range(&w->r, 5000, CHAOS_MS - 10000) / STEP_MS * STEP_MS;
  }

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
      failf(w, "no convergence after the network healed (%s)", w->why);
  }
  healed = w->now - heal_start;
  if (!w->failure[0])
    check_all(w);
  if (!w->failure[0])
    quiesce(w, fork_at, replace_at);
  if (verbose && w->failure[0])
    dump(w);
  if (verbose)
    printf("seed %llu: %d committees, %llu entries, %llu connects, %llu cuts, "
           "%llu crashes, %llu partitions, %s%s, hostile entries: %llu by a "
           "device, %llu by the hub, %llu by a stranger, %llu refused, healed "
           "in %llu s, %llu wire bytes, %llu committees with a sparse copy, "
           "%llu gaps stored%s%s\n",
           (unsigned long long)seed, w->ncomm,
           (unsigned long long)w->entries_written,
           (unsigned long long)w->connects, (unsigned long long)w->cuts,
           (unsigned long long)w->crashes, (unsigned long long)w->partitions,
           w->clone_of >= 0 ? (fork_expected(w) ? "fork" : "clone") : "",
           w->replaced >= 0 ? "successor" : "",
           (unsigned long long)w->attacks[0], (unsigned long long)w->attacks[1],
           (unsigned long long)w->attacks[2], (unsigned long long)w->refusals,
           (unsigned long long)healed / 1000, (unsigned long long)w->wire_bytes,
           (unsigned long long)w->sparse_logs, (unsigned long long)w->gaps,
           w->failure[0] ? ": " : "", w->failure);
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
           status_updates = 0, held_recv = 0, refs_resolved = 0,
           held_missing = 0, sig_refused = 0, altered = 0, left_behind = 0,
           attacks[3] = {0, 0, 0}, attacked[3] = {0, 0, 0}, sparse_logs = 0,
           sparse_streams = 0, quiet = 0, next_calls = 0, next_skips = 0,
           next_none = 0, gaps = 0, gap_seqs = 0, gap_ignored = 0, caught = 0;
  int k, next_all = 0;
  int verbose = 0, tier = 0, i;
  struct timespec t0, t1;
  double secs;
  sim_t *w;

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc)
      seeds = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--first") == 0 && i + 1 < argc)
      first = strtoull(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--verbose") == 0)
      verbose = 1;
    else if (strcmp(argv[i], "--tier") == 0)
      tier = 1;
    else if (strcmp(argv[i], "--break-next") == 0)
      next_all = 1; /* hubs send every entry: check_sparse() must fail */
    else if (strcmp(argv[i], "--overhead") == 0)
      return sodium_init() < 0 ? 1 : overhead();
    else {
      fprintf(stderr, "usage: ayil-sim [--seeds N] [--first S] [--verbose] "
                      "[--tier] [--overhead] [--break-next]\n");
      return 2;
    }
  }
  if (sodium_init() < 0)
    return 1;
  w = malloc(sizeof *w);
  if (w == NULL)
    return 1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (s = first; s < first + seeds; s++) {
    if (run(s, verbose, tier, next_all, w) != 0) {
      failed++;
      printf("FAIL seed %llu: %s (rerun: ayil-sim%s --first %llu --seeds 1 "
             "--verbose)\n",
             (unsigned long long)s, w->failure, tier ? " --tier" : "",
             (unsigned long long)s);
      caught += strstr(w->failure, "a notice for another committee") != NULL;
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
    status_updates += w->status_updates;
    held_recv += w->held_recv;
    refs_resolved += w->refs_resolved;
    held_missing += w->held_missing;
    stranger_recv += w->stranger_recv;
    stranger_refused += w->stranger_refused;
    sig_refused += w->sig_refused;
    altered += w->altered_seq > 0;
    left_behind += w->left_behind > 0;
    sparse_logs += w->sparse_logs;
    sparse_streams += w->sparse_streams;
    quiet += w->quiet_conns;
    next_calls += w->next_calls;
    next_skips += w->next_skips;
    next_none += w->next_none;
    gaps += w->gaps;
    gap_seqs += w->gap_seqs;
    gap_ignored += w->gap_ignored;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  secs =
      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
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
  printf("%llu status-only updates, %llu entries received with their body "
         "held, %llu back-references resolved, %llu held bodies of a clone's "
         "log not held (stored without, body_missing)\n",
         (unsigned long long)status_updates, (unsigned long long)held_recv,
         (unsigned long long)refs_resolved, (unsigned long long)held_missing);
  if (tier)
    printf("national tier: %d regional hubs, %d committees each; hostile "
           "entries \"by the hub\" above are a regional hub's puts and "
           "deletes in its own log; %llu seeds with a regional hub that "
           "altered a committee's entry it forwards, refused %llu times by "
           "the national hub for its signature; in %llu of them other logs "
           "it forwards had not all reached the national hub when the rest "
           "converged (ayild ends the connection at a bad signature and "
           "still wants the log)\n",
           TIER_REGIONS, TIER_COMMS, (unsigned long long)altered,
           (unsigned long long)sig_refused, (unsigned long long)left_behind);
  printf("sparse logs: %llu committees held their hub's log sparse at the "
         "end; %llu connections streamed it sparse; hubs' next(): %llu "
         "calls, %llu skipped entries, %llu answered none (then SKIPPED); "
         "committees stored %llu gaps (%llu seqs), %llu entries into a gap "
         "ignored; %llu connections open at convergence, all went idle\n",
         (unsigned long long)sparse_logs, (unsigned long long)sparse_streams,
         (unsigned long long)next_calls, (unsigned long long)next_skips,
         (unsigned long long)next_none, (unsigned long long)gaps,
         (unsigned long long)gap_seqs, (unsigned long long)gap_ignored,
         (unsigned long long)quiet);
  printf("%llu seeds in %.1f s: %.2f seeds/s\n", (unsigned long long)seeds,
         secs, secs > 0 ? (double)seeds / secs : 0.0);
  printf("%llu passed, %llu failed\n", (unsigned long long)passed,
         (unsigned long long)failed);
  free(w);
  check_done();
  if (next_all) {
    /* The check test (CMakeLists.txt, sim_sparse_check): every seed must
     * fail, on check_sparse()'s word. */
    printf("break-next: %llu of %llu seeds caught by check_sparse\n",
           (unsigned long long)caught, (unsigned long long)seeds);
    return caught == seeds ? 0 : 1;
  }
  return failed ? 1 : 0;
}

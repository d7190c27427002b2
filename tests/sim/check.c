/*
 * The simulator's records view (node/store_view.c's fold, ownership
 * first) and the checks run once the network healed: chains, replicas,
 * forks, refusals, and every record against the oracle of legitimate
 * writes.
 */
#include "world.h"

/* ---- the records view: node/store_view.c's fold, ownership first ------ */

/* Committees, the hostile device's own among them. */
static int ncomm_all(const sim_t *w) {
  return w->ncomm + (w->hostile_comm >= 0);
}

/* The committee whose device `id` is in the hub's registry (its place in
 * the lineage in *pos), or -1. */
int committee_of(const sim_t *w, const uint8_t *id, int *pos) {
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

/* A hub's log at any tier (ayil_reg_is_hub()). */
static int own_is_hub(void *ctx, const uint8_t id[AYIL_ID_BYTES]) {
  own_ctx_t *o = ctx;
  return is_hub_id(o->w, id);
}

/* The ownership view of a node's store (no peer: the rule has none). On a
 * committee the hub is the one it dials; in --tier a hub names the hub
 * above (none for the national hub) and knows every hub's log. */
static void own_view(own_ctx_t *o, ayil_policy_view_t *v) {
  memset(v, 0, sizeof *v);
  v->role = o->n->kind == HUB ? AYIL_POLICY_HUB : AYIL_POLICY_COMMITTEE;
  v->self = o->n->pk;
  v->peer = o->n->pk;
  v->hub = up_of(o->w, o->n)->pk;
  if (o->w->tier && o->n->kind == HUB) {
    v->hub = o->n->up >= 0 ? up_of(o->w, o->n)->pk : NULL;
    v->is_hub = own_is_hub;
  }
  v->kin = own_kin;
  v->ctx = o;
}

void header_hash(const uint8_t *h, size_t len, uint8_t out[32]) {
  crypto_generichash(out, 32, h, len, NULL, 0);
}

/* Folds entry `e` into n's records view as ayil__store_fold() does:
 * AYIL_EOWNER, and nothing changed, when its origin may not change the
 * record (ayil_policy_change_ok(), the rule under test). */
int fold(sim_t *w, const node_t *n, sim_store_t *st, const ayil_entry_t *e) {
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
      if (n->st.logs[i].e[j].entry == NULL)
        continue; /* a hole of a log held sparse */
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
void refold(sim_t *w, node_t *n) {
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

/* ---- checks ----------------------------------------------------------- */

static int same_entry(const sim_ent_t *a, const sim_ent_t *b) {
  if (a->entry == NULL || b->entry == NULL)
    return a->entry == b->entry; /* holes */
  return a->elen == b->elen && memcmp(a->entry, b->entry, a->elen) == 0;
}

/* Whether node n may hold log l sparse (with holes): a committee's copy of
 * the log of the hub it dials (ayil_policy_sparse()'s only case). */
static int may_be_sparse(const sim_t *w, const node_t *n, const sim_log_t *l) {
  return n->kind == COMMITTEE &&
         memcmp(l->id, w->nodes[n->up >= 0 ? n->up : 0].pk, 32) == 0;
}

/* Signatures already checked in this run: replicas share entries, and an
 * Ed25519 verification is the costliest thing the checks do. */
static uint8_t (*verified)[AYIL_HASH_BYTES];
static size_t nverified, verified_cap;

/* Frees what the checks kept across runs. */
void check_done(void) {
  free(verified);
  verified = NULL;
  nverified = verified_cap = 0;
}

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
  int gap = 0;
  if (l->n > 0 && l->e[l->n - 1].entry == NULL)
    failf(w, "node %d: a log's head is a hole", (int)(n - w->nodes));
  for (j = 0; j < l->n; j++) {
    const sim_ent_t *x = &l->e[j];
    ayil_entry_t e, p;
    if (x->entry == NULL) {
      /* A hole: only in a log held sparse. The entry after it is checked
       * by its signature (which covers its seq and prev) alone. */
      if (!may_be_sparse(w, n, l)) {
        failf(w, "node %d: a hole at seq %zu of a log not held sparse",
              (int)(n - w->nodes), j + 1);
        return;
      }
      gap = 1;
      continue;
    }
    if (ayil_entry_decode(&e, x->entry, x->elen) != 0 ||
        verify_once(&e, x->hash) != 0 || memcmp(e.origin, l->id, 32) != 0 ||
        (gap ? e.seq != j + 1 : ayil_entry_follows(&e, j, prev) != 0)) {
      failf(w, "node %d: chain broken at seq %zu", (int)(n - w->nodes), j + 1);
      return;
    }
    if (e.has_body && x->body != NULL) {
      ayil_body_hash(x->body, x->blen, bh);
      if (memcmp(bh, e.body_hash, 32) != 0)
        failf(w, "node %d: body hash at seq %zu", (int)(n - w->nodes), j + 1);
    } else if (e.has_body && !x->missing) {
      if (x->proof == NULL || ayil_entry_decode(&p, x->proof, x->plen) != 0 ||
          ayil_entry_verify(&p) != 0 || p.op != AYIL_OP_DELETE ||
          memcmp(p.record, e.record, AYIL_RECID_BYTES) != 0)
        failf(w, "node %d: body missing without proof at seq %zu",
              (int)(n - w->nodes), j + 1);
    }
    memcpy(prev, x->hash, 32);
    gap = 0;
  }
}

/* One of a and b is a prefix of the other, where both hold the seq (a
 * copy held sparse has holes). */
static int agree(const sim_log_t *a, const sim_log_t *b) {
  size_t j, m = a->n < b->n ? a->n : b->n;
  for (j = 0; j < m; j++)
    if (a->e[j].entry != NULL && b->e[j].entry != NULL &&
        !same_entry(&a->e[j], &b->e[j]))
      return 0;
  return 1;
}

/*
 * The oracle of sparse logs (PROTOCOL.md, "Sparse logs"): whether entry x
 * of a hub's log is for committee c, from what the simulator knows, not
 * from the policy: a notice that names a device the hub admitted to c (its
 * lineage: w->devices), or an entry that is no notice at all (a compromised
 * hub's, which every committee gets so that it refuses it).
 */
static int for_committee(const sim_t *w, int c, const sim_ent_t *x) {
  ayil_entry_t e;
  ayil_notice_t nt;
  if (x == NULL || ayil_entry_decode(&e, x->entry, x->elen) != 0 ||
      e.op != AYIL_OP_NOTICE ||
      ayil_hdr_notice(e.header, e.header_len, &nt) != 0)
    return 1;
  return nt.has_node && c >= 0 && node_is_device_of(w, c, nt.node);
}

/* A compromised hub (its put or delete is in its log) blocks a lineage:
 * committee node n refused its hub's log at that entry (not_owner) and
 * takes nothing of it after, so an admit notice that names n's successor
 * or predecessor past it never reaches n (until an operator clears the
 * alert). */
static int lineage_blocked(sim_t *w, const node_t *n) {
  node_t *u = up_of(w, n);
  sim_log_t *hl = sim_log(&u->st, u->pk, 0);
  sim_log_t *nh = sim_log((sim_store_t *)&n->st, u->pk, 0);
  uint64_t j;
  if (hl == NULL || nh == NULL || nh->refused == 0)
    return 0;
  for (j = nh->refused_seq; j <= hl->n; j++) {
    const sim_ent_t *x = sim_log_at(hl, j);
    ayil_entry_t e;
    ayil_notice_t nt;
    if (x != NULL && ayil_entry_decode(&e, x->entry, x->elen) == 0 &&
        e.op == AYIL_OP_NOTICE &&
        ayil_hdr_notice(e.header, e.header_len, &nt) == 0 &&
        nt.has_successor_of && node_is_device_of(w, n->committee, nt.node))
      return 1;
  }
  return 0;
}

/* The last seq of hub log hl, up to its durable head, that is for
 * committee c (0: none). */
static uint64_t sparse_want(const sim_t *w, int c, const sim_log_t *hl) {
  uint64_t j;
  for (j = hl->durable; j > 0; j--)
    if (for_committee(w, c, &hl->e[j - 1]))
      return j;
  return 0;
}

static int is_fork_origin(const sim_t *w, const uint8_t *id) {
  return w->clone_of >= 0 && node_is_device_of(w, w->clone_of, id);
}

/* Both lineages of the clone wrote past the split: a real fork. */
int fork_expected(sim_t *w) {
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

/* --tier: a regional hub that forwards an altered entry: what it forwards
 * need not all reach the national hub. A hub can always withhold what it
 * forwards, and ayild ends the connection at a bad signature (no alert, the
 * log stays wanted), so the altered entry ends every connection it is sent
 * on and can starve the logs sent after it. Only safety is checked there
 * (chains, replicas, nothing altered taken: check_tier()). */
static int withholds(const sim_t *w, const node_t *n) {
  return n->hostile == HOSTILE_ALTER && w->altered_seq > 0;
}

/* --tier: every log an honest regional hub holds is at the national hub,
 * but for a log the national hub refused. */
static int tier_converged(sim_t *w) {
  node_t *h = hub(w);
  int i;
  size_t j;
  for (i = 1; i <= TIER_REGIONS; i++) {
    node_t *r = &w->nodes[i];
    for (j = 0; j < r->st.nlogs && !withholds(w, r); j++) {
      sim_log_t *l = &r->st.logs[j], *at = sim_log(&h->st, l->id, 0);
      if (memcmp(l->id, h->pk, 32) == 0 || l->n == 0)
        continue;
      if (at == NULL || (at->n != l->n && at->refused == 0))
        return 0;
    }
  }
  return 1;
}

/* Everything that can arrive has arrived. */
/* converged() says no: what, at node i (sim_t.why). */
static int unconverged(sim_t *w, int i, const char *what) {
  snprintf(w->why, sizeof w->why, "node %d: %s", i, what);
  return 0;
}

int converged(sim_t *w) {
  node_t *h = hub(w);
  size_t j;
  int i, d;
  for (i = 0; i < w->nnodes; i++)
    for (j = 0; j < w->nodes[i].st.nlogs; j++)
      if (!w->nodes[i].retired &&
          w->nodes[i].st.logs[j].n != w->nodes[i].st.logs[j].durable)
        return unconverged(w, i, "entries not yet durable");
  for (i = 1; i < w->nnodes; i++) {
    node_t *n = &w->nodes[i], *u = up_of(w, n);
    sim_log_t *own, *at_hub, *nh, *hh = sim_log(&u->st, u->pk, 0);
    if (n->retired || n->hostile == HOSTILE_STRANGER || withholds(w, n))
      continue;
    h = u; /* the hub it dials */
    own = sim_log(&n->st, n->pk, 0);
    at_hub = sim_log(&h->st, n->pk, 0);
    /* A log refused for a change to a record it does not own stops there
     * (check() says it was a hostile one, at its first hostile entry). */
    if (!is_fork_origin(w, n->pk) && own && own->n > 0 &&
        (!at_hub || (at_hub->n != own->n && at_hub->refused == 0)))
      return unconverged(w, i, "its log not all at its hub");
    /* Of its hub's log, up to the last entry for its committee (taken
     * sparse): check_sparse() says it holds exactly those. */
    nh = sim_log(&n->st, h->pk, 0);
    if (hh && sparse_want(w, n->committee, hh) > 0 &&
        (!nh || (nh->n < sparse_want(w, n->committee, hh) && nh->refused == 0)))
      return unconverged(w, i, "lacks notices of its hub's log for it");
    /* A successor holds its predecessors' logs as the hub does. */
    for (d = 0; n->committee >= 0 && d < w->ndevices[n->committee]; d++) {
      const uint8_t *id = w->devices[n->committee][d];
      sim_log_t *a = sim_log(&h->st, id, 0), *b = sim_log(&n->st, id, 0);
      if (is_fork_origin(w, id) || memcmp(id, n->pk, 32) == 0 ||
          lineage_blocked(w, n))
        continue;
      if (a && a->n > 0 && (!b || b->n != a->n))
        return unconverged(w, i,
                           lineage_known(w, n, id)
                               ? "lacks entries of a predecessor's log"
                               : "does not know a predecessor (no notice)");
    }
  }
  h = hub(w);
  if (w->tier && !tier_converged(w))
    return unconverged(w, 0, "the national tier");
  if (fork_expected(w)) {
    sim_log_t *l = sim_log(&h->st, w->devices[w->clone_of][0], 0);
    if (l == NULL || l->forks == 0)
      return unconverged(w, 0, "fork not alerted");
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
    else if (l->refused_seq != bad ||
             (may_be_sparse(w, n, l) ? l->n > bad - 1 : l->n != bad - 1))
      failf(w,
            "node %d: log refused at %llu, holds %zu; its first hostile "
            "entry is %llu",
            id, (unsigned long long)l->refused_seq, l->n,
            (unsigned long long)bad);
  }
}

static int hash_cmp(const void *a, const void *b) {
  return memcmp(a, b, AYIL_HASH_BYTES);
}

/*
 * --tier, the national hub:
 * - every entry an honest regional hub acknowledged to a committee is at
 *   the national hub, byte-identical;
 * - it holds every entry once: no entry hash twice, no log twice;
 * - it learnt the committees under each honest regional hub from that
 *   hub's admit notices, all of them and no other;
 * - it holds no put or delete signed by a hub, of any tier (a hostile
 *   regional hub's log stops before its first: check_refusals());
 * - of the log a hostile regional hub altered, nothing from the altered
 *   entry on (it was refused: AYIL_ESIG, sim_t.sig_refused).
 */
static void check_tier(sim_t *w) {
  node_t *h = hub(w);
  uint8_t(*hs)[AYIL_HASH_BYTES];
  size_t j, m, total = 0, k = 0;
  int i;
  for (i = 1; i < w->nnodes; i++) {
    node_t *n = &w->nodes[i];
    sim_log_t *l = sim_log(&n->st, n->pk, 0), *at = sim_log(&h->st, n->pk, 0);
    size_t lim;
    if (n->kind != COMMITTEE || l == NULL || l->hub_ack == 0 ||
        withholds(w, up_of(w, n)))
      continue;
    lim = l->hub_ack;
    if (lim > 0 && (at == NULL || at->durable < lim)) {
      failf(w,
            "node %d: its regional hub acked %llu, the national hub "
            "holds %zu",
            i, (unsigned long long)l->hub_ack, at ? at->durable : 0);
      return;
    }
    for (m = 0; m < lim; m++)
      if (!same_entry(&l->e[m], &at->e[m])) {
        failf(w, "node %d: acked entry %zu differs at the national hub", i,
              m + 1);
        return;
      }
  }
  for (j = 0; j < h->st.nlogs; j++) {
    sim_log_t *l = &h->st.logs[j];
    total += l->n;
    for (m = j + 1; m < h->st.nlogs; m++)
      if (memcmp(l->id, h->st.logs[m].id, 32) == 0)
        failf(w, "the national hub holds a log twice");
    if (w->altered_seq > 0 && memcmp(l->id, w->altered_log, 32) == 0 &&
        l->n >= w->altered_seq)
      failf(w, "the national hub took an altered entry (or what follows)");
    if (!is_hub_id(w, l->id))
      continue;
    for (m = 0; m < l->n; m++) {
      ayil_entry_t e;
      if (l->e[m].entry == NULL ||
          ayil_entry_decode(&e, l->e[m].entry, l->e[m].elen) != 0 ||
          e.op != AYIL_OP_NOTICE)
        failf(w,
              "the national hub holds a hub's entry %zu that is not a "
              "notice",
              m + 1);
    }
  }
  /* Of an altering regional hub: the logs but the altered one that the
   * national hub still lacks entries of when all else converged (reported,
   * not failed: see withholds()). */
  for (i = 1; i <= TIER_REGIONS; i++) {
    node_t *r = &w->nodes[i];
    for (j = 0; j < r->st.nlogs && withholds(w, r); j++) {
      sim_log_t *l = &r->st.logs[j], *at = sim_log(&h->st, l->id, 0);
      if (memcmp(l->id, h->pk, 32) != 0 &&
          memcmp(l->id, w->altered_log, 32) != 0 && l->n > 0 &&
          (at == NULL || at->n < l->n))
        w->left_behind++;
    }
  }
  /* It learnt every committee of an honest regional hub from its admit
   * notices, and nothing else. */
  for (i = 1; i <= TIER_REGIONS; i++) {
    ayil_policy_device_t dev[VIEW_MAX];
    size_t nd = admitted_by(w, h, &w->nodes[i], dev, 0), q;
    int c, want = 0;
    if (withholds(w, &w->nodes[i]))
      continue;
    for (c = 0; c < w->ncomm; c++)
      if (up_of(w, current_device(w, c)) == &w->nodes[i])
        want++;
    for (q = 0; q < nd; q++) {
      c = committee_of(w, dev[q].id, NULL);
      if (c < 0 || up_of(w, current_device(w, c)) != &w->nodes[i])
        failf(w,
              "the national hub learnt a device under regional hub %d "
              "that it did not admit",
              i);
    }
    if ((int)nd != want)
      failf(w,
            "the national hub learnt %zu committees under regional hub "
            "%d, it admitted %d",
            nd, i, want);
  }
  hs = malloc((total ? total : 1) * sizeof *hs);
  if (hs == NULL)
    abort();
  for (j = 0; j < h->st.nlogs; j++)
    for (m = 0; m < h->st.logs[j].n; m++)
      if (h->st.logs[j].e[m].entry != NULL)
        memcpy(hs[k++], h->st.logs[j].e[m].hash, AYIL_HASH_BYTES);
  qsort(hs, k, sizeof *hs, hash_cmp);
  for (m = 1; m < k; m++)
    if (memcmp(hs[m - 1], hs[m], AYIL_HASH_BYTES) == 0)
      failf(w, "the national hub holds an entry twice");
  free(hs);
}

/*
 * Sparse logs, at convergence: each committee holds, of the log of the hub
 * it dials, exactly the entries for its committee (for_committee()),
 * byte-identical to the hub's at the same seqs, and nothing else (up to
 * the entry it refused, if the hub is compromised: check_refusals() says
 * where); a successor knows every predecessor from the hub's notices it
 * holds (lineage_known()) and holds their logs as the hub does.
 */
static void check_sparse(sim_t *w) {
  int i, d;
  for (i = 1; i < w->nnodes && !w->failure[0]; i++) {
    node_t *n = &w->nodes[i], *u = up_of(w, n);
    sim_log_t *hl = sim_log(&u->st, u->pk, 0), *nh = sim_log(&n->st, u->pk, 0);
    uint64_t lim, j, holes = 0;
    if (n->kind != COMMITTEE || n->retired || n->committee < 0 ||
        n->hostile == HOSTILE_STRANGER || hl == NULL)
      continue;
    lim = hl->n;
    if (nh != NULL && nh->refused > 0 && nh->refused_seq - 1 < lim)
      lim = nh->refused_seq - 1;
    if (nh != NULL && nh->n > lim) {
      failf(w, "node %d holds its hub's log to %zu, past %llu", i, nh->n,
            (unsigned long long)lim);
      return;
    }
    for (j = 1; j <= lim; j++) {
      const sim_ent_t *x = sim_log_at(hl, j);
      const sim_ent_t *y = nh != NULL ? sim_log_at(nh, j) : NULL;
      int want = for_committee(w, n->committee, x);
      if (want && y == NULL)
        failf(w, "node %d lacks entry %llu of its hub's log, a notice for it",
              i, (unsigned long long)j);
      else if (!want && y != NULL)
        failf(w,
              "node %d holds entry %llu of its hub's log, a notice for "
              "another committee",
              i, (unsigned long long)j);
      else if (y != NULL && !same_entry(x, y))
        failf(w, "node %d: entry %llu of its hub's log differs from the hub's",
              i, (unsigned long long)j);
      holes += !want;
    }
    if (holes > 0 && nh != NULL && nh->n > 0)
      w->sparse_logs++;
    for (d = 0; d < w->ndevices[n->committee] && !w->failure[0]; d++) {
      const uint8_t *p = w->devices[n->committee][d];
      if (memcmp(p, n->pk, 32) == 0)
        break;
      if (!lineage_known(w, n, p) && !lineage_blocked(w, n))
        failf(w, "node %d does not know its predecessor %d from the notices", i,
              d);
    }
  }
}

void check_all(sim_t *w) {
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
    h = up_of(w, n); /* the hub it dials acknowledged it */
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
  h = hub(w);
  check_sparse(w);
  if (w->tier)
    check_tier(w);
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

void dump(sim_t *w) {
  int i, k;
  size_t j;
  for (i = 0; i < w->nnodes; i++) {
    node_t *n = &w->nodes[i];
    printf("  node %d %s c%d%s%s%s writes %d:", i,
           n->kind == HUB ? "hub" : "com", n->committee,
           n->retired ? " retired" : "", n->is_clone ? " clone" : "",
           n->hostile == HOSTILE_DEVICE     ? " hostile"
           : n->hostile == HOSTILE_STRANGER ? " stranger"
           : n->hostile                     ? " hostile-hub"
                                            : "",
           n->writes);
    for (j = 0; j < n->st.nlogs; j++) {
      sim_log_t *l = &n->st.logs[j];
      for (k = 0; k < w->nnodes; k++)
        if (memcmp(w->nodes[k].pk, l->id, 32) == 0)
          break;
      printf(" [%d: %zu/%zu held %zu ack %llu f%d r%d]", k, l->durable, l->n,
             sim_log_held_count(l), (unsigned long long)l->hub_ack, l->forks,
             l->refused);
    }
    printf("\n");
  }
  if (w->altered_seq > 0)
    printf("  altered: entry %llu of the log of node %d\n",
           (unsigned long long)w->altered_seq,
           (int)(current_device(w, committee_of(w, w->altered_log, NULL)) -
                 w->nodes));
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

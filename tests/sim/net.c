/*
 * The simulator's network: each connection is a pair of sessions
 * (proto/session.c, as ayild runs them) over a simulated link with a rate,
 * a delay, cuts and black holes; the store and policy callbacks are
 * ayild's, over the in-memory store.
 */
#include "world.h"

/* ---- store callbacks -------------------------------------------------- */

/* ---- the replication policy: ayild's, from proto/policy.c ------------ */

int node_is_device_of(const sim_t *w, int c, const uint8_t *id) {
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

/* A hub's log, at any tier: its log holds notices only (as
 * ayil_reg_is_hub() answers it from the registry). */
static int sim_is_hub(void *ctx, const uint8_t id[AYIL_ID_BYTES]) {
  end_t *e = ctx;
  return is_hub_id(e->sim, id);
}

/* --tier: kin() as node/policy_view.c sets it (ayil_store_kin(): one
 * committee row of the registry): between tiers the view's devices are many
 * committees', so the policy's default would not do. */
static int sim_kin(void *ctx, const uint8_t a[AYIL_ID_BYTES],
                   const uint8_t b[AYIL_ID_BYTES]) {
  end_t *e = ctx;
  int ca = committee_of(e->sim, a, NULL);
  return memcmp(a, b, 32) == 0 ||
         (ca >= 0 && committee_of(e->sim, b, NULL) == ca);
}

/* Adds every device of every committee that dials node `r` to dev[]. */
static size_t region_devices(sim_t *w, const node_t *r,
                             ayil_policy_device_t *dev, size_t d) {
  int c, k;
  for (c = 0; c < w->ncomm; c++) {
    node_t *cur = current_device(w, c);
    if (cur == NULL || up_of(w, cur) != r)
      continue;
    for (k = 0; k < w->ndevices[c] && d < VIEW_MAX; k++, d++) {
      memset(&dev[d], 0, sizeof dev[d]);
      memcpy(dev[d].id, w->devices[c][k], 32);
    }
  }
  return d;
}

/*
 * The national hub's registry below regional hub `r`, as
 * ayil_reg_directory() folds it: every node that an admit notice of r's log,
 * as far as node `at` holds it, names. Added to dev[] from d, once each, in
 * the order of the notices.
 */
size_t admitted_by(const sim_t *w, node_t *at, const node_t *r,
                   ayil_policy_device_t *dev, size_t d) {
  sim_log_t *l = sim_log(&at->st, r->pk, 0);
  size_t j, k;
  (void)w;
  for (j = 0; l != NULL && j < l->n && d < VIEW_MAX; j++) {
    ayil_entry_t e;
    ayil_notice_t nt;
    if (l->e[j].entry == NULL ||
        ayil_entry_decode(&e, l->e[j].entry, l->e[j].elen) != 0 ||
        e.op != AYIL_OP_NOTICE ||
        ayil_hdr_notice(e.header, e.header_len, &nt) != 0 ||
        nt.action != AYIL_NOTICE_ADMIT || !nt.has_node)
      continue;
    for (k = 0; k < d && memcmp(dev[k].id, nt.node, 32) != 0; k++)
      ;
    if (k < d)
      continue;
    memset(&dev[d], 0, sizeof dev[d]);
    memcpy(dev[d++].id, nt.node, 32);
  }
  return d;
}

/*
 * The national tier's views, as node/policy_view.c fills them from the
 * registry. A regional hub facing the national hub: AYIL_POLICY_UPLINK,
 * every log of its committees. The national hub facing a regional hub:
 * peer_hub, the regional hub's log then every log of the committees it
 * admitted, learnt from its admit notices (admitted_by()), so a committee
 * log flows up only once the notice that admitted it is at the national
 * hub. A regional hub facing a committee: a hub's view, the hub above
 * named.
 */
static int tier_view(end_t *e, ayil_policy_view_t *v,
                     ayil_policy_device_t dev[VIEW_MAX]) {
  sim_t *w = e->sim;
  node_t *self = e->self, *peer = e->peer;
  v->is_hub = sim_is_hub;
  v->kin = sim_kin;
  if (self->up >= 0 && up_of(w, self) == peer) {
    /* A regional hub dialing the national hub. */
    v->role = AYIL_POLICY_UPLINK;
    v->hub = peer->pk;
    v->ndevices = region_devices(w, self, dev, 0);
    return 1;
  }
  v->role = AYIL_POLICY_HUB;
  if (self->up < 0) {
    /* The national hub facing a regional hub. */
    v->hub = NULL;
    v->peer_hub = 1;
    memset(&dev[0], 0, sizeof dev[0]);
    memcpy(dev[0].id, peer->pk, 32);
    v->ndevices = admitted_by(w, self, peer, dev, 1);
    return 1;
  }
  /* A regional hub facing one of its committees: the committee's devices
   * (sim_view()), the hub above named. */
  v->hub = up_of(w, self)->pk;
  return 0;
}

/* A notice of the hub's log that node n holds (NULL: a hole, or not a
 * notice the header reader takes). */
static int held_notice(const sim_log_t *l, size_t j, ayil_notice_t *nt) {
  ayil_entry_t e;
  return l->e[j].entry != NULL &&
         ayil_entry_decode(&e, l->e[j].entry, l->e[j].elen) == 0 &&
         e.op == AYIL_OP_NOTICE &&
         ayil_hdr_notice(e.header, e.header_len, nt) == 0;
}

/*
 * Whether committee node n knows `pred` as its predecessor: an admit notice
 * of its hub's log that it holds names a device of its lineage (itself, or
 * a predecessor it knows) as the successor of `pred`, as ayild's registry
 * folds them (node/store_view.c, fold_notice()). Those notices name a
 * device of n's committee: its sparse copy of the hub's log carries them.
 */
int lineage_known(const sim_t *w, const node_t *n, const uint8_t *pred) {
  const uint8_t *hub_id = w->nodes[n->up >= 0 ? n->up : 0].pk;
  const sim_log_t *l = sim_log((sim_store_t *)&n->st, hub_id, 0);
  uint8_t known[MAX_DEVICES + 1][32];
  int nk = 1, grew = 1, k, rounds;
  size_t j;
  memcpy(known[0], n->pk, 32);
  for (rounds = 0; l != NULL && grew && rounds <= MAX_DEVICES; rounds++) {
    grew = 0;
    for (j = 0; j < l->n && nk <= MAX_DEVICES; j++) {
      ayil_notice_t nt;
      int in = 0, dup = 0;
      if (!held_notice(l, j, &nt) || nt.action != AYIL_NOTICE_ADMIT ||
          !nt.has_node || !nt.has_successor_of)
        continue;
      for (k = 0; k < nk; k++) {
        in |= memcmp(known[k], nt.node, 32) == 0;
        dup |= memcmp(known[k], nt.successor_of, 32) == 0;
      }
      if (in && !dup) {
        memcpy(known[nk++], nt.successor_of, 32);
        grew = 1;
      }
    }
  }
  for (k = 1; k < nk; k++)
    if (memcmp(known[k], pred, 32) == 0)
      return 1;
  return 0;
}

/* Fills the policy's view of one end as node/policy_view.c does from the
 * registry: the hub sees the devices of the peer's committee, oldest
 * first. */
static void sim_view(end_t *e, ayil_policy_view_t *v,
                     ayil_policy_device_t dev[VIEW_MAX]) {
  sim_t *w = e->sim;
  int d;
  memset(v, 0, sizeof *v);
  v->self = e->self->pk;
  v->hub = up_of(w, e->self)->pk;
  v->peer = e->peer->pk;
  v->forked = sim_forked;
  v->ctx = e;
  v->devices = dev;
  if (e->self->kind != HUB) {
    /* Its predecessors, as the hub's notices that it holds confirm them
     * (lineage_known()): they come in its sparse copy of the hub's log. */
    int c = e->self->committee;
    v->role = AYIL_POLICY_COMMITTEE;
    if (c < 0)
      return; /* a stranger: no predecessors */
    for (d = 0;
         d < w->ndevices[c] && memcmp(w->devices[c][d], e->self->pk, 32) != 0;
         d++)
      if (lineage_known(w, e->self, w->devices[c][d])) {
        memset(&dev[v->ndevices], 0, sizeof dev[0]);
        memcpy(dev[v->ndevices++].id, w->devices[c][d], 32);
      }
    if (d == w->ndevices[c])
      v->ndevices = 0;
    return;
  }
  v->role = AYIL_POLICY_HUB;
  if (w->tier && tier_view(e, v, dev))
    return;
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
  ayil_policy_device_t dev[VIEW_MAX];
  sim_view(ctx, &v, dev);
  return ayil_policy_origins(&v, out, cap, n);
}

static unsigned cb_discover(void *ctx, const uint8_t *origin) {
  ayil_policy_view_t v;
  ayil_policy_device_t dev[VIEW_MAX];
  sim_view(ctx, &v, dev);
  return ayil_policy_discover(&v, origin);
}

/* --tier: end e is a hostile regional hub's facing the national hub, and
 * `origin` the log it altered (alter_forwarded()). */
static int uplink_altered(const end_t *e, const uint8_t *origin) {
  return e->self->hostile == HOSTILE_ALTER && e->sim->altered_seq > 0 &&
         e->self->up >= 0 && up_of(e->sim, e->self) == e->peer &&
         memcmp(origin, e->sim->altered_log, AYIL_ID_BYTES) == 0;
}

/* The head end e offers of log l: its durable head, but for the log a
 * hostile regional hub altered, which it forwards up to the altered entry
 * only. */
static uint64_t uplink_head(const end_t *e, const sim_log_t *l) {
  if (uplink_altered(e, l->id) && l->durable > e->sim->altered_seq)
    return e->sim->altered_seq;
  return l->durable;
}

static int cb_head(void *ctx, const uint8_t *origin, uint64_t *seq,
                   uint8_t *hash) {
  end_t *e = ctx;
  sim_log_t *l = sim_log(&e->self->st, origin, 0);
  *seq = l ? uplink_head(e, l) : 0;
  if (*seq > 0) {
    if (uplink_altered(e, origin) && *seq == e->sim->altered_seq)
      ayil_entry_hash(e->sim->altered, e->sim->altered_len, hash);
    else
      memcpy(hash, l->e[*seq - 1].hash, AYIL_HASH_BYTES);
  }
  return 0;
}

static int cb_get(void *ctx, const uint8_t *origin, uint64_t seq,
                  ayil_sync_item_t *it) {
  end_t *e = ctx;
  sim_log_t *l = sim_log(&e->self->st, origin, 0);
  sim_ent_t *x;
  if (l == NULL || seq == 0 || seq > uplink_head(e, l) ||
      sim_log_at(l, seq) == NULL)
    return AYIL_ENOTFOUND; /* past the head, or a hole of a sparse log */
  x = &l->e[seq - 1];
  it->entry = x->entry;
  it->entry_len = x->elen;
  if (uplink_altered(e, origin) && seq == e->sim->altered_seq) {
    it->entry = e->sim->altered;
    it->entry_len = e->sim->altered_len;
  }
  it->body = x->body;
  it->body_len = x->blen;
  it->proof = x->proof;
  it->proof_len = x->plen;
  /* As the real store answers it (ayil_store_item_held()). */
  it->ref_body = sim_log_held(l, seq);
  it->held = it->ref_body > 0;
  it->ref_record = it->held ? it->ref_body : sim_log_same_record(l, seq);
  return 0;
}

/* Back-references (as ayil_store_entry_refs()): a durable entry's record id
 * and body hash. */
static int cb_ref(void *ctx, const uint8_t *origin, uint64_t seq,
                  uint8_t record[AYIL_RECID_BYTES],
                  uint8_t body_hash[AYIL_HASH_BYTES], int *has_body) {
  end_t *e = ctx;
  sim_log_t *l = sim_log(&e->self->st, origin, 0);
  const sim_ent_t *x;
  if (l == NULL || seq == 0 || seq > l->n || sim_log_at(l, seq) == NULL)
    return AYIL_ENOTFOUND;
  x = &l->e[seq - 1];
  memcpy(record, x->record, AYIL_RECID_BYTES);
  *has_body = x->has_bh;
  if (x->has_bh)
    memcpy(body_hash, x->bhash, AYIL_HASH_BYTES);
  e->sim->refs_resolved++;
  return 0;
}

/* Entry `seq` of a log held sparse comes past a gap: the seqs between are
 * holes (node/store.c stores the entry after the gap, by its signature). */
static void deliver_gap(end_t *e, sim_log_t *l, uint64_t seq) {
  if (seq <= l->n + 1)
    return;
  e->sim->gaps++;
  e->sim->gap_seqs += seq - l->n - 1;
  sim_log_gap(l, seq);
}

/*
 * The hub's next(), as ayild's cb_next() -> ayil_node_sparse_next(): of a
 * log that ayil_policy_sparse() says goes sparse to the peer, the first
 * entry after `after`, up to the head this end offers, that is a notice
 * naming a device of the peer's committee (ayil_policy_notice_for()), or
 * no notice at all (a compromised hub's put or delete: it goes, so that
 * the committee refuses it); 0 when none is. Any other log: after + 1.
 */
static int cb_next(void *ctx, const uint8_t *origin, uint64_t after,
                   uint64_t *seq) {
  end_t *e = ctx;
  sim_t *w = e->sim;
  ayil_policy_view_t v;
  ayil_policy_device_t dev[VIEW_MAX];
  sim_log_t *l = sim_log(&e->self->st, origin, 0);
  uint64_t head = l != NULL ? uplink_head(e, l) : 0, j;
  sim_view(e, &v, dev);
  *seq = 0;
  w->next_calls++;
  if (!ayil_policy_sparse(&v, origin)) {
    *seq = after + 1;
    return 0;
  }
  if (!e->c->sparse) {
    e->c->sparse = 1; /* a sparse stream on this connection */
    w->sparse_streams++;
  }
  for (j = after + 1; j <= head && *seq == 0; j++) {
    ayil_entry_t x;
    ayil_notice_t nt;
    const sim_ent_t *s = sim_log_at(l, j);
    if (s == NULL)
      continue; /* a hole: not held here */
    if (w->next_all || ayil_entry_decode(&x, s->entry, s->elen) != 0 ||
        x.op != AYIL_OP_NOTICE ||
        ayil_hdr_notice(x.header, x.header_len, &nt) != 0 ||
        (nt.has_node && ayil_policy_notice_for(&v, nt.node)))
      *seq = j;
  }
  if (*seq == 0)
    w->next_none++;
  else if (*seq > after + 1)
    w->next_skips++;
  return 0;
}

/* 1 if a clone of the device whose log is `origin` exists in this world. */
static int cloned_origin(const sim_t *w, const uint8_t *origin) {
  int i;
  for (i = 0; i < w->nnodes; i++)
    if (w->nodes[i].is_clone &&
        memcmp(w->nodes[i].pk, origin, AYIL_ID_BYTES) == 0)
      return 1;
  return 0;
}

static int cb_deliver(void *ctx, const ayil_entry_t *d,
                      const ayil_sync_item_t *it) {
  end_t *e = ctx;
  sim_log_t *l = sim_log(&e->self->st, d->origin, 1);
  int rc = 0, sparse, missing = 0;
  ayil_policy_view_t v;
  ayil_policy_device_t dev[VIEW_MAX];
  sim_view(e, &v, dev);
  sparse = ayil_policy_sparse(&v, d->origin);
  if (d->seq <= l->n && l->e[d->seq - 1].entry == NULL) {
    /* An entry in a gap below the head of a log held sparse: not for this
     * node, not kept (as node/store.c). The sync machine never delivers
     * one: sparse senders go forward only. */
    e->sim->gap_ignored++;
    return 0;
  }
  if (d->seq <= l->n) {
    uint8_t h[AYIL_HASH_BYTES];
    ayil_entry_hash(it->entry, it->entry_len, h);
    /* The same entry from another connection: nothing to do. */
    return memcmp(h, l->e[d->seq - 1].hash, AYIL_HASH_BYTES) == 0 ? 0
                                                                  : AYIL_EFORK;
  }
  if (d->seq != l->n + 1 && !sparse) {
    failf(e->sim, "deliver out of order: seq %llu after %zu",
          (unsigned long long)d->seq, l->n);
    return AYIL_ESEQ;
  }
  /* As ayild stores it (node/daemon/conn.c): a purged body's proof must
   * come from a device that may change the record (ayil_policy_purge_ok());
   * then the fold, ownership first. A refused entry is not stored. */
  if (it->body == NULL && it->proof != NULL) {
    rc = ayil_policy_purge_ok(&v, it->entry, it->entry_len, it->proof,
                              it->proof_len);
  }
  if (rc == 0 && it->held) {
    /* Held: the body this node stores under that hash for that record (as
     * ayil_store_append_held()). The peer sends it held only when an
     * earlier entry of this log carries it, and this node holds the log up
     * to here: an honest world always has it. */
    const sim_ent_t *b = sim_body(&e->self->st, d->record, d->body_hash);
    if (b == NULL && !cloned_origin(e->sim, d->origin)) {
      failf(e->sim, "held body not held: seq %llu", (unsigned long long)d->seq);
      return AYIL_EPEER;
    }
    if (b == NULL) {
      /* A clone's log keeps a body that the original's later update (not
       * here yet: its seq is past the fork) purged here: ayild stores the
       * entry without it and raises body_missing (ayil_store_append_held()),
       * as any entry below. The fork is found when both entries at a seq
       * meet. */
      e->sim->held_missing++;
      missing = 1;
    } else {
      e->sim->held_recv++;
    }
    rc = fold(e->sim, e->self, &e->self->st, d);
    if (rc == 0 && b != NULL) {
      uint8_t *copy = malloc(b->blen ? b->blen : 1);
      size_t blen = b->blen;
      if (copy == NULL)
        abort();
      memcpy(copy, b->body, blen);
      deliver_gap(e, l, d->seq);
      sim_store_append(&e->self->st, l, it->entry, it->entry_len, copy, blen,
                       NULL, 0);
      free(copy);
      return 0;
    }
  } else if (rc == 0) {
    rc = fold(e->sim, e->self, &e->self->st, d);
  }
  if (rc == AYIL_EOWNER) {
    /* ayild's not_owner alert: the log is not wanted again (sim_forked()). */
    if (l->refused++ == 0)
      l->refused_seq = d->seq;
    e->sim->refusals++;
  }
  if (rc != 0)
    return rc;
  deliver_gap(e, l, d->seq);
  sim_store_append(&e->self->st, l, it->entry, it->entry_len, it->body,
                   it->body_len, it->proof, it->proof_len);
  l->e[l->n - 1].missing = missing;
  return 0;
}

static void cb_event(void *ctx, const ayil_sync_event_t *ev) {
  end_t *e = ctx;
  sim_log_t *l = sim_log(&e->self->st, ev->origin, 1);
  if (ev->type == AYIL_SYNC_EV_FORK) {
    l->forks++;
    if (e->self->kind == HUB)
      e->sim->forks_alerted++;
  } else if (ev->type == AYIL_SYNC_EV_ACKED && e == &e->c->end[0] &&
             ev->seq > l->hub_ack) {
    /* The dialer's hub acknowledged it (a committee's, or a regional
     * hub's from the national hub). */
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

void conn_close(conn_t *c) {
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
  if (e->peer->hostile == HOSTILE_STRANGER ||
      (e->peer->committee < 0 && e->peer->kind != HUB)) {
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
  sc->next = cb_next;
  sc->deliver = cb_deliver;
  sc->event = cb_event;
  /* As ayild: the dialer (a committee, or a regional hub dialing the
   * national hub) says its hub reads held bodies. */
  sc->held = e == &e->c->end[0];
  sc->ref = cb_ref;
  sc->refs = sc->held;
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
  if (rc == AYIL_ESIG && side == 1 &&
      c->end[0].self->hostile == HOSTILE_ALTER) {
    /* --tier: the national hub refused an entry that the hostile regional
     * hub altered (the sync receiver checks every signature): ayild ends
     * the connection; nothing of the entry was stored. */
    c->end[0].sim->sig_refused++;
    conn_end(w, c, 0);
    return rc;
  }
  if (rc == AYIL_EOWNER) {
    /* An entry refused by ownership (cb_deliver): ayild ends the
     * connection and commits the alert with what came before it. Whose
     * entries may be refused is for check_all() to say. */
    node_t *n = c->end[side].self;
    conn_end(w, c, 0);
    node_commit(w, n);
    return rc;
  }
  failf(w, "%s at %s: %s", what, side ? "hub" : "committee", ayil_err_name(rc));
  conn_end(w, c, 0);
  return rc;
}

void connect_node(sim_t *w, node_t *n) {
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
    c->end[0] = (end_t){w, c, n, up_of(w, n)};
    c->end[1] = (end_t){w, c, up_of(w, n), n};
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
    rc = ayil_session_client(&c->ss[0], &cfg, w->netkey, n->sk, up_of(w, n)->pk,
                             w->now);
    if (rc == 0) {
      /* The hub's, as ayild's conn_accept() makes it. */
      cfg = config_for(&c->end[1]);
      rc = ayil_session_server(&c->ss[1], &cfg, w->netkey, up_of(w, n)->sk,
                               w->now);
    }
    if (rc != 0) {
      sync_fail(w, c, 0, "session", rc);
      return;
    }
    w->connects++;
    c->opened = w->now;
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

int pump_conn(sim_t *w, conn_t *c) {
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
      /* Once healed, a link that is neither cut nor black-holed is never
       * dead: an end that waits for nothing is a stall (say, a sparse
       * stream whose sender never says SKIPPED, so that it never goes
       * idle). */
      if (!w->chaos && conn_clean(c))
        failf(w,
              "node %d: a connection stalled on a clean link (%s end not "
              "idle, no progress for %d s)",
              (int)(c->end[0].self - w->nodes), k ? "hub" : "committee",
              DEAD_MS / 1000);
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

/* Neither direction of c was cut or black-holed. */
int conn_clean(const conn_t *c) {
  int k;
  for (k = 0; k < 2; k++)
    if (c->p[k].blackholed || c->p[k].sent > c->p[k].cut_at ||
        c->close_at != UINT64_MAX)
      return 0;
  return 1;
}

void close_node_conns(sim_t *w, node_t *n) {
  int i;
  for (i = 0; i < MAX_CONNS; i++) {
    conn_t *c = &w->conns[i];
    if (c->live && (c->end[0].self == n || c->end[1].self == n))
      conn_end(w, c, 0);
  }
}

/* The node's policy may have grown (--tier: a regional hub's admit notice
 * was stored at the national hub; a committee: its hub's notice confirmed
 * a predecessor): every origin the view of each of its connections lists
 * is named on it, as ayild's named_refresh() does; the sync machine
 * announces the new ones with a ROWS message. */
static void named_refresh(sim_t *w, node_t *n) {
  ayil_sync_origin_t rows[VIEW_MAX + 2];
  int i, k;
  for (i = 0; i < MAX_CONNS; i++) {
    conn_t *c = &w->conns[i];
    for (k = 0; c->live && k < 2; k++) {
      size_t m = 0, q;
      if (c->end[k].self != n || csync(c, k) == NULL ||
          cb_origins(&c->end[k], rows, VIEW_MAX + 2, &m) != 0)
        continue;
      for (q = 0; q < m && q < VIEW_MAX + 2 && c->live; q++) {
        int rc = ayil_sync_notify(csync(c, k), rows[q].id);
        if (rc != 0)
          sync_fail(w, c, k, "notify", rc);
      }
    }
  }
}

/* The node's durable heads advanced: tell every connection it has. */
void node_commit(sim_t *w, node_t *n) {
  size_t j;
  int i, grew = 0;
  for (j = 0; j < n->st.nlogs; j++) {
    sim_log_t *l = &n->st.logs[j];
    if (!sim_log_commit(l))
      continue;
    if (w->tier && n->up < 0 && is_hub_id(w, l->id) &&
        memcmp(l->id, n->pk, 32) != 0)
      grew = 1;
    /* A committee's copy of its hub's log grew: a notice may have told it
     * a predecessor (lineage_known()), whose log its policy now names. */
    if (n->kind == COMMITTEE && memcmp(l->id, up_of(w, n)->pk, 32) == 0)
      grew = 1;
    for (i = 0; i < MAX_CONNS; i++) {
      conn_t *c = &w->conns[i];
      int k;
      if (!c->live)
        continue;
      for (k = 0; k < 2; k++) {
        int rc;
        if (c->end[k].self != n || csync(c, k) == NULL)
          continue;
        rc =
            ayil_sync_committed(csync(c, k), l->id, uplink_head(&c->end[k], l));
        if (rc == 0)
          rc = ayil_sync_notify(csync(c, k), l->id);
        if (rc != 0)
          sync_fail(w, c, k, "committed", rc);
      }
    }
  }
  if (grew)
    named_refresh(w, n);
}

void notify_local(sim_t *w, node_t *n) {
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

int has_conn(sim_t *w, node_t *n) {
  int i;
  for (i = 0; i < MAX_CONNS; i++)
    if (w->conns[i].live && w->conns[i].end[0].self == n)
      return 1;
  return 0;
}

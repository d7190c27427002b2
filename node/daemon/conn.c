/*
 * Connections: sessions (proto/session.c) driven by libuv. This file does
 * I/O, backoff, timers and the store's side (admission, commits, alerts);
 * the handshake, the envelope, the transport and sync are the session's.
 * See daemon.h for ownership rules.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <msgpack.h>
#include <sodium.h>

#include "daemon.h"
#include "policy_view.h"

#define READ_BUF 65536
#define WRITE_HIGH_WATER 16384 /* stop polling sync above this much queued */
#define HUB_IDLE_CLOSE_MS (10 * 60 * 1000)
/* After a connection to the hub that got nothing acknowledged, the next one
 * streams nothing ahead of the hub's reply and halves its batch and window,
 * down to these floors, and stays there while connections are cut; the
 * first connection that ends cleanly restores the defaults. A
 * link that is cut sooner than one full batch would otherwise carry the same
 * first batch, cut, forever. */
#define STALL_SHIFT_MAX 3
#define STALL_BATCH_MIN 512
#define STALL_WINDOW_MIN 2048

typedef struct {
  uv_write_t req;
  uv_buf_t buf;
  conn_t *c;
} wreq_t;

static void on_close(uv_handle_t *h);
static void conn_leave(conn_t *c, const char *why);

/* ---- writing ---- */

static void on_write(uv_write_t *req, int status) {
  wreq_t *w = (wreq_t *)req;
  conn_t *c = w->c;
  free(w->buf.base);
  free(w);
  if (status < 0 && c->state != CONN_CLOSING)
    conn_close(c, 0, "write failed");
  else if (c->state == CONN_SYNC)
    conn_pump(c);
}

static int send_bytes(conn_t *c, const uint8_t *p, size_t n) {
  wreq_t *w;
  if (n == 0)
    return 0;
  w = malloc(sizeof *w);
  if (w == NULL)
    return AYIL_ENOMEM;
  w->buf.base = malloc(n);
  if (w->buf.base == NULL) {
    free(w);
    return AYIL_ENOMEM;
  }
  memcpy(w->buf.base, p, n);
  w->buf.len = n;
  w->c = c;
  if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &w->buf, 1, on_write) != 0) {
    free(w->buf.base);
    free(w);
    return AYIL_EIO;
  }
  c->bytes_sent += n;
  return 0;
}

/* The wall clock in ms, for the clock-skew estimate only (never for
 * ordering or reports). */
static uint64_t wall_ms(void *ctx) {
  struct timeval tv;
  (void)ctx;
  gettimeofday(&tv, NULL);
  return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

/* ---- sync callbacks: the store and the policy ---- */

/* The policy's view of this connection: this node facing its peer (a
 * committee faces its hub, known before the handshake ends). */
static int conn_view(conn_t *c, ayil_node_view_t *nv) {
  daemon_t *d = c->d;
  return ayil_node_view(nv, d->store, d->is_hub, d->ident.pk,
                        d->is_hub ? NULL : d->hub_id,
                        c->peer_known ? c->peer : d->hub_id);
}

/* How many logs the policy wants from the peer now. */
static size_t wanted(const ayil_sync_origin_t *rows, size_t n, size_t cap) {
  size_t i, k = 0;
  for (i = 0; i < n && i < cap; i++)
    if (rows[i].flags & AYIL_SYNC_WANT)
      k++;
  return k;
}

static int cb_origins(void *ctx, ayil_sync_origin_t *out, size_t cap,
                      size_t *n) {
  conn_t *c = ctx;
  ayil_node_view_t nv;
  int rc = conn_view(c, &nv);
  if (rc == 0)
    rc = ayil_policy_origins(&nv.v, out, cap, n);
  if (rc == 0)
    c->nwant = wanted(out, *n, cap);
  return rc;
}

/* Committee: the hub's notices that arrived on this connection confirmed
 * a predecessor, whose log it now wants and did not ask for. */
int conn_lineage_grew(conn_t *c) {
  ayil_sync_origin_t rows[AYIL_POLICY_DEVICES_MAX + 2];
  ayil_node_view_t nv;
  size_t n = 0;
  if (conn_view(c, &nv) != 0 ||
      ayil_policy_origins(&nv.v, rows, AYIL_POLICY_DEVICES_MAX + 2, &n) != 0)
    return 0;
  return wanted(rows, n, AYIL_POLICY_DEVICES_MAX + 2) > c->nwant;
}

static unsigned cb_discover(void *ctx, const uint8_t origin[AYIL_ID_BYTES]) {
  ayil_node_view_t nv;
  if (conn_view(ctx, &nv) != 0)
    return 0;
  return ayil_policy_discover(&nv.v, origin);
}

/* Where `origin` is or would be in d->pend (sorted). */
static size_t pend_pos(const daemon_t *d, const uint8_t *origin, int *found) {
  size_t lo = 0, hi = d->npend;
  *found = 0;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int k = memcmp(d->pend[mid].id, origin, AYIL_ID_BYTES);
    if (k == 0) {
      *found = 1;
      return mid;
    }
    if (k < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static int pend_add(daemon_t *d, const uint8_t *origin, const conn_t *c) {
  int found;
  size_t i = pend_pos(d, origin, &found);
  if (found) {
    if (d->pend[i].by != c)
      d->pend[i].by = NULL;
    return 0;
  }
  if (d->npend == d->cap_pend) {
    size_t cap = d->cap_pend ? d->cap_pend * 2 : 64;
    struct pend_s *p = realloc(d->pend, cap * sizeof *p);
    if (p == NULL)
      return AYIL_ENOMEM;
    d->pend = p;
    d->cap_pend = cap;
  }
  memmove(&d->pend[i + 1], &d->pend[i], (d->npend - i) * sizeof *d->pend);
  memcpy(d->pend[i].id, origin, AYIL_ID_BYTES);
  d->pend[i].by = c;
  d->npend++;
  return 0;
}

static int tx_durable(daemon_t *d);

/* The head the sync machine compares with and acknowledges from must be
 * durable. Entries another connection delivered in this loop turn's open
 * transaction are not yet: make them durable first (rare: two connections
 * carrying one log in one turn). Our own are tracked by our machine. */
static int cb_head(void *ctx, const uint8_t origin[AYIL_ID_BYTES],
                   uint64_t *seq, uint8_t hash[AYIL_HASH_BYTES]) {
  conn_t *c = ctx;
  daemon_t *d = c->d;
  if (d->in_tx && d->npend > 0) {
    int found;
    size_t i = pend_pos(d, origin, &found);
    if (found && d->pend[i].by != c) {
      int rc = tx_durable(d);
      if (rc != 0)
        return rc;
    }
  }
  return ayil_store_head(d->store, origin, seq, hash);
}

static void free_lent(conn_t *c) {
  free(c->g_entry);
  free(c->g_body);
  free(c->g_proof);
  c->g_entry = c->g_body = c->g_proof = NULL;
}

/* Hub: the next of its notices for the committee at the other end, which
 * takes the hub's log sparse. */
static int cb_next(void *ctx, const uint8_t origin[AYIL_ID_BYTES],
                   uint64_t after, uint64_t *seq) {
  conn_t *c = ctx;
  ayil_node_view_t nv;
  int rc = conn_view(c, &nv);
  if (rc == 0)
    rc = ayil_node_sparse_next(c->d->store, &nv.v, origin, after, INT64_MAX,
                               seq, NULL);
  return rc;
}

static int cb_lacking(void *ctx, const uint8_t origin[AYIL_ID_BYTES],
                      uint64_t after, uint64_t *seq) {
  return ayil_store_lacking(((conn_t *)ctx)->d->store, origin, after, seq);
}

static int cb_ref(void *ctx, const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                  uint8_t record[AYIL_RECID_BYTES],
                  uint8_t body_hash[AYIL_HASH_BYTES], int *has_body) {
  return ayil_store_entry_refs(((conn_t *)ctx)->d->store, origin, seq, record,
                               body_hash, has_body);
}

static int cb_repair(void *ctx, const uint8_t origin[AYIL_ID_BYTES],
                     uint64_t seq, const uint8_t *body, size_t len) {
  return ayil_store_repair_body(((conn_t *)ctx)->d->store, origin, seq, body,
                                len);
}

static int cb_get(void *ctx, const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                  ayil_sync_item_t *out) {
  conn_t *c = ctx;
  ayil_store_refs_t refs = {0, 0};
  int rc;
  int held_ok = out->held_ok, refs_ok = out->refs_ok;
  free_lent(c);
  memset(out, 0, sizeof *out);
  out->held_ok = held_ok;
  out->refs_ok = refs_ok;
  rc = ayil_store_item_held(c->d->store, origin, seq, &c->g_entry,
                            &out->entry_len, &c->g_body, &out->body_len,
                            &c->g_proof, &out->proof_len, &out->held,
                            out->held_ok, refs_ok ? &refs : NULL);
  out->ref_record = refs.record;
  out->ref_body = refs.body;
  out->entry = c->g_entry;
  out->body = c->g_body;
  out->proof = c->g_proof;
  return rc;
}

/* Remembers that `c` delivered entries of `origin` in the open
 * transaction, so that deliver() never has to commit (and call back into
 * the sync state machine that is calling it). */
static int delivered_origin(conn_t *c, const uint8_t *origin) {
  size_t i;
  for (i = c->ndl; i > 0; i--)
    if (memcmp(c->dl[i - 1], origin, AYIL_ID_BYTES) == 0)
      return 0;
  if (c->ndl == c->cap_dl) {
    size_t cap = c->cap_dl ? c->cap_dl * 2 : 4;
    uint8_t(*p)[AYIL_ID_BYTES];
    if (cap > AYIL_SYNC_ORIGINS_MAX)
      return AYIL_ETOOBIG;
    p = realloc(c->dl, cap * sizeof *p);
    if (p == NULL)
      return AYIL_ENOMEM;
    c->dl = p;
    c->cap_dl = cap;
  }
  memcpy(c->dl[c->ndl++], origin, AYIL_ID_BYTES);
  return 0;
}

static void on_commit_check(uv_check_t *h);

/* Opens the loop turn's transaction; the commit handle commits it. */
static int tx_open(daemon_t *d) {
  int rc;
  if (d->in_tx)
    return 0;
  rc = ayil_store_begin(d->store);
  if (rc != 0)
    return rc;
  d->in_tx = 1;
  if (!d->commit_check_init) {
    uv_check_init(d->loop, &d->commit_check);
    d->commit_check.data = d;
    d->commit_check_init = 1;
  }
  if (!uv_is_closing((uv_handle_t *)&d->commit_check))
    uv_check_start(&d->commit_check, on_commit_check);
  return 0;
}

static int cb_deliver(void *ctx, const ayil_entry_t *e,
                      const ayil_sync_item_t *item) {
  conn_t *c = ctx;
  daemon_t *d = c->d;
  int rc;
  if (d->tx_failed)
    return AYIL_ESTORE;
  rc = tx_open(d);
  if (rc != 0)
    return rc;
  if (item->body == NULL && item->proof != NULL) {
    ayil_node_view_t nv;
    rc = conn_view(c, &nv);
    if (rc == 0)
      rc = ayil_store_append_purged_verified(d->store, &nv.v, e, item->entry,
                                             item->entry_len, item->proof,
                                             item->proof_len);
  } else if (item->held) {
    rc = ayil_store_append_held(d->store, e, item->entry, item->entry_len);
  } else {
    /* Decoded and verified once, by the sync receiver. */
    rc = ayil_store_append_verified(d->store, e, item->entry, item->entry_len,
                                    item->body, item->body_len);
  }
  if (rc == 0) {
    rc = delivered_origin(c, e->origin);
    if (rc == 0)
      rc = pend_add(d, e->origin, c);
    c->delivered = 1;
    int burst = 0;
    if (e->op == AYIL_OP_DELETE &&
        ayil_reg_count_delete(d->store, c->peer, e->origin, e->seq,
                              (uint64_t)time(NULL), &burst) == 0 &&
        burst) {
      /* Many deletes in a day: a stolen key, or a mistake. Undo with
       * `ayil revoke ID --after SEQ` within the quarantine. */
      char id[AYIL_ID_TEXT];
      ayil_id_to_text(e->origin, id);
      dlog(LOG_WARN, "%d deletes from log %s today (up to seq %llu)",
           AYIL_DELETE_BURST, id, (unsigned long long)e->seq);
    }
  } else if (rc == AYIL_EOWNER) {
    /* Nothing of it was stored (the store's savepoint). The alert commits
     * with what came before it; the log is not wanted again until the
     * alert is cleared (ayil_reg_forked()). */
    char id[AYIL_ID_TEXT], rec[AYIL_RECID_TEXT];
    ayil_id_to_text(e->origin, id);
    ayil_recid_to_text(e->record, rec);
    dlog(LOG_ERR,
         "refused entry %llu of log %s: it changes record %s, which that "
         "log does not own; refusing that log",
         (unsigned long long)e->seq, id, rec);
    ayil_reg_alert_record(d->store, "not_owner", c->peer, e->origin, e->seq,
                          e->record, (uint64_t)time(NULL));
  } else if (ayil_store_why(d->store)[0] != '\0') {
    /* A header the schema refuses: the field is named, never a value. */
    char id[AYIL_ID_TEXT];
    ayil_id_to_text(e->origin, id);
    dlog(LOG_ERR, "refused entry %llu of log %s: %s",
         (unsigned long long)e->seq, id, ayil_store_why(d->store));
    ayil_reg_alert_record(d->store, "bad_header", c->peer, e->origin, e->seq,
                          e->record, (uint64_t)time(NULL));
  }
  return rc;
}

static void cb_event(void *ctx, const ayil_sync_event_t *ev) {
  conn_t *c = ctx;
  daemon_t *d = c->d;
  char id[AYIL_ID_TEXT], peer[AYIL_ID_TEXT];
  uint64_t now = (uint64_t)time(NULL);
  ayil_id_to_text(ev->origin, id);
  ayil_id_to_text(c->peer, peer);
  if (ev->type == AYIL_SYNC_EV_FORK) {
    dlog(LOG_ERR,
         "FORK: two different entries of log %s at seq %llu (peer %s%s); "
         "refusing that log",
         id, (unsigned long long)ev->seq, peer,
         ev->by_peer ? ", detected by the peer" : "");
    ayil_reg_alert(d->store, "fork", c->peer, ev->origin, ev->seq, now);
  } else if (ev->type == AYIL_SYNC_EV_ACKED) {
    ayil_reg_acked(d->store, c->peer, ev->origin, ev->seq, now);
  }
}

/* ---- lifecycle ---- */

static conn_t *conn_new(daemon_t *d, int outbound) {
  conn_t *c = calloc(1, sizeof *c);
  if (c == NULL)
    return NULL;
  c->d = d;
  c->outbound = outbound;
  c->started_ms = now_ms(d);
  if (uv_tcp_init(d->loop, &c->tcp) != 0) {
    free(c);
    return NULL;
  }
  c->tcp.data = c;
  uv_tcp_nodelay(&c->tcp, 1);
  c->next = d->conns;
  d->conns = c;
  return c;
}

static int admit(void *ctx, const uint8_t peer[AYIL_ID_BYTES],
                 const ayil_envelope_t *env);

/* The session's view of the store and policy for this connection. */
/* National hub: a regional hub says when its committees' entries reached
 * it (ARRIVED); only a hub below is asked (its rows then say so). */
static int cb_arrivals(void *ctx) {
  conn_t *c = ctx;
  return !c->outbound && c->peer_known &&
         strcmp(c->dev.kind, AYIL_KIND_HUB) == 0;
}

static void cb_arrived(void *ctx, const uint8_t origin[AYIL_ID_BYTES],
                       uint64_t seq, uint64_t at) {
  conn_t *c = ctx;
  if (ayil_reg_arrived(c->d->store, c->peer, origin, seq, at) != 0)
    dlog(LOG_WARN, "could not record when a log reached the hub below");
}

/* National hub: a regional hub names the committee of a log it forwards. */
static void cb_named(void *ctx, const uint8_t origin[AYIL_ID_BYTES],
                     const char *name, size_t len) {
  conn_t *c = ctx;
  if (ayil_reg_named(c->d->store, c->peer, origin, name, len) != 0)
    dlog(LOG_WARN, "could not record a committee's name from the hub below");
}

/* Regional hub: its name for the committee whose log `origin` is. */
static size_t cb_name_of(void *ctx, const uint8_t origin[AYIL_ID_BYTES],
                         char *buf, size_t cap) {
  conn_t *c = ctx;
  return ayil_reg_name_of(c->d->store, origin, buf, cap);
}

int uplink_offers(daemon_t *d, uint8_t (*ids)[AYIL_ID_BYTES], size_t cap,
                  size_t *n) {
  static ayil_sync_origin_t rows[AYIL_POLICY_DEVICES_MAX + 2];
  ayil_node_view_t nv;
  size_t nr = 0, i;
  int rc = ayil_node_view(&nv, d->store, 1, d->ident.pk, NULL, d->hub_id);
  *n = 0;
  if (rc == 0)
    rc = ayil_policy_origins(&nv.v, rows, AYIL_POLICY_DEVICES_MAX + 2, &nr);
  for (i = 0; rc == 0 && i < nr && i < AYIL_POLICY_DEVICES_MAX + 2; i++)
    if ((rows[i].flags & AYIL_SYNC_OFFER) && *n < cap)
      memcpy(ids[(*n)++], rows[i].id, AYIL_ID_BYTES);
  return rc;
}

/* Regional hub, on its connection to the hub above: tells it when each log
 * it forwards reached this hub (from the registry's acknowledgements), and
 * the name of its committee. */
static void arrivals_up(conn_t *c) {
  static uint8_t ids[AYIL_POLICY_DEVICES_MAX + 2][AYIL_ID_BYTES];
  daemon_t *d = c->d;
  size_t n = 0, i;
  if (!d->uplink || conn_sync(c) == NULL ||
      uplink_offers(d, ids, AYIL_POLICY_DEVICES_MAX + 2, &n) != 0)
    return;
  for (i = 0; i < n; i++) {
    uint64_t seq = 0, at = 0;
    ayil_sync_name(conn_sync(c), ids[i]);
    if (ayil_reg_arrival(d->store, ids[i], d->hub_id, &seq, &at) == 0 &&
        seq > 0)
      ayil_sync_arrived(conn_sync(c), ids[i], seq, at);
  }
  c->pump_soon = 1;
}

static void session_cfg(conn_t *c, ayil_session_config_t *cfg) {
  ayil_sync_config_t *sc = &cfg->sync;
  memset(cfg, 0, sizeof *cfg);
  sc->ctx = c;
  sc->origins = cb_origins;
  sc->discover = cb_discover;
  sc->head = cb_head;
  sc->get = cb_get;
  sc->next = cb_next;
  sc->lacking = cb_lacking;
  sc->repair = cb_repair;
  sc->deliver = cb_deliver;
  sc->event = cb_event;
  sc->arrivals = cb_arrivals;
  sc->arrived = cb_arrived;
  sc->named = cb_named;
  sc->name_of = cb_name_of;
  cfg->wall_ms = wall_ms;
  cfg->admit = admit;
  /* A dialer's hub reads the held body form and back-references (hubs
   * are upgraded first); every side reads back-references. */
  sc->held = c->outbound;
  sc->ref = cb_ref;
  sc->refs = c->outbound;
  if (c->outbound && c->d->hub_stalls > 0) {
    unsigned sh =
        c->d->hub_stalls < STALL_SHIFT_MAX ? c->d->hub_stalls : STALL_SHIFT_MAX;
    sc->batch = AYIL_SYNC_BATCH_DEFAULT >> sh;
    sc->window = AYIL_SYNC_WINDOW_DEFAULT >> sh;
    if (sc->batch < STALL_BATCH_MIN)
      sc->batch = STALL_BATCH_MIN;
    if (sc->window < STALL_WINDOW_MIN)
      sc->window = STALL_WINDOW_MIN;
  }
}

static void flush_stats(conn_t *c) {
  uint64_t s = c->bytes_sent - c->flushed_sent;
  uint64_t r = c->bytes_recv - c->flushed_recv;
  if (!c->peer_known || (s == 0 && r == 0))
    return;
  if (ayil_reg_bytes(c->d->store, c->peer, (uint64_t)time(NULL), s, r) == 0) {
    c->flushed_sent = c->bytes_sent;
    c->flushed_recv = c->bytes_recv;
  }
}

void conn_close(conn_t *c, int clean, const char *why) {
  char id[AYIL_ID_TEXT] = "?";
  if (c->state == CONN_CLOSING)
    return;
  if (c->peer_known)
    ayil_id_to_text(c->peer, id);
  else if (c->sess != NULL && ayil_session_peer(c->sess) != NULL)
    ayil_id_to_text(ayil_session_peer(c->sess), id);
  if (why != c->why)
    snprintf(c->why, sizeof c->why, "%s", why);
  dlog(clean ? LOG_INFO : LOG_NOTICE,
       "connection %s %s closed: %s (sent %llu B, received %llu B)",
       c->outbound ? "to" : "from", id, c->why,
       (unsigned long long)c->bytes_sent, (unsigned long long)c->bytes_recv);
  c->clean = clean;
  c->state = CONN_CLOSING;
  flush_stats(c);
  if (c->resolving)
    uv_cancel((uv_req_t *)&c->gai);
  uv_read_stop((uv_stream_t *)&c->tcp);
  if (!uv_is_closing((uv_handle_t *)&c->tcp))
    uv_close((uv_handle_t *)&c->tcp, on_close);
}

static void conn_free(conn_t *c) {
  ayil_session_free(c->sess);
  free_lent(c);
  free(c->dl);
  free(c->named);
  free(c);
}

static void on_close(uv_handle_t *h) {
  conn_t *c = h->data;
  daemon_t *d = c->d;
  conn_t **pp;
  for (pp = &d->conns; *pp != NULL; pp = &(*pp)->next)
    if (*pp == c) {
      *pp = c->next;
      break;
    }
  if (c->outbound) {
    uint64_t now = now_ms(d), acked = 0;
    if (conn_sync(c) != NULL &&
        ayil_sync_peer_acked(conn_sync(c), d->ident.pk, &acked) == 0 &&
        acked > c->own_acked_at0) {
      /* Progress. Full batches again only after a connection that ended
       * cleanly: on a link cut sooner than one full batch, going back to
       * full batches after each acknowledgement would waste the next few
       * connections on cuts before it shrank again. */
      if (c->clean) {
        if (d->hub_stalls > 0)
          dlog(LOG_INFO, "a connection to the hub ended cleanly; full "
                         "batches again");
        d->hub_stalls = 0;
      }
    } else if (!c->clean && d->own_head > c->own_acked_at0) {
      if (d->hub_stalls == 0)
        dlog(LOG_NOTICE, "nothing acknowledged on this connection; the next "
                         "sends smaller batches and waits for the hub first");
      if (d->hub_stalls < 16)
        d->hub_stalls++;
    }
    if (c->clean) {
      d->backoff_n = 0;
      d->next_attempt_ms = now + (uint64_t)d->conf.poll_interval_s * 1000;
    } else {
      /* Exponential backoff with jitter; progress resets it. */
      uint64_t base, delay;
      if (c->made_progress)
        d->backoff_n = 0;
      base = 1000ULL << (d->backoff_n < 16 ? d->backoff_n : 16);
      if (base > (uint64_t)d->conf.backoff_max_s * 1000)
        base = (uint64_t)d->conf.backoff_max_s * 1000;
      /* Refused by the hub: dialing every few minutes would only spend the
       * metered link; ask again at the poll interval (or on `ayil sync`). */
      if (d->hub_hangups >= HUB_HANGUPS_REFUSED &&
          base < (uint64_t)d->conf.poll_interval_s * 1000)
        base = (uint64_t)d->conf.poll_interval_s * 1000;
      delay = base / 2 + randombytes_uniform((uint32_t)(base > 1 ? base : 2));
      if (d->backoff_n < 30)
        d->backoff_n++;
      d->next_attempt_ms = now + delay;
      dlog(LOG_INFO, "reconnecting in %.1f s", (double)delay / 1000.0);
    }
  }
  if (c->resolving) {
    /* The lookup is still in libuv's thread pool (cancelled, but it may
     * have started): on_resolved() frees the connection. */
    c->close_done = 1;
    return;
  }
  conn_free(c);
}

static int on_events(conn_t *c);

/* Sends what the session has, while the socket's queue is short: the
 * handshake's messages, the early stream behind a client's auth, sync
 * frames, and the final frame after conn_leave(). */
void conn_pump(conn_t *c) {
  int rc = 0;
  /* A leaving connection has sent its final frame: nothing may follow. */
  if (c->state == CONN_CLOSING || c->state == CONN_CONNECTING || c->leaving ||
      c->sess == NULL)
    return;
  while (uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp) <
         WRITE_HIGH_WATER) {
    const uint8_t *out = NULL;
    size_t len = 0;
    rc = ayil_session_transmit(c->sess, now_ms(c->d), &out, &len);
    if (rc != 0 || len == 0)
      break;
    rc = send_bytes(c, out, len);
    if (rc != 0)
      break;
  }
  if (rc == 0)
    rc = on_events(c);
  if (rc != 0)
    conn_close(c, 0, ayil_strerror(rc));
}

/* Refreshes the origins the policy lists for `c` when the policy may have
 * gained one since (ayil_store_policy_gen()). The list only grows: an
 * origin the sync machine announced stays in it. */
static void named_refresh(conn_t *c, uint64_t gen) {
  static ayil_sync_origin_t rows[AYIL_SYNC_ORIGINS_MAX];
  ayil_node_view_t nv;
  size_t n = 0, i, j;
  if (c->named_ok && c->named_gen == gen)
    return;
  if (conn_view(c, &nv) != 0 ||
      ayil_policy_origins(&nv.v, rows, AYIL_SYNC_ORIGINS_MAX, &n) != 0)
    return; /* not ok: tried again at the next commit */
  if (n > AYIL_SYNC_ORIGINS_MAX)
    n = AYIL_SYNC_ORIGINS_MAX;
  for (i = 0; i < n; i++) {
    uint8_t(*p)[AYIL_ID_BYTES];
    for (j = 0; j < c->nnamed; j++)
      if (memcmp(c->named[j], rows[i].id, AYIL_ID_BYTES) == 0)
        break;
    if (j < c->nnamed || c->nnamed >= AYIL_SYNC_ORIGINS_MAX)
      continue;
    p = realloc(c->named, (c->nnamed + 1) * sizeof *p);
    if (p == NULL)
      return;
    c->named = p;
    memcpy(c->named[c->nnamed++], rows[i].id, AYIL_ID_BYTES);
    /* A log the policy gained since the handshake (a hub below admitted a
     * committee): name it to the peer now (a ROWS message), so that it
     * flows on this connection. */
    if (conn_sync(c) != NULL && ayil_sync_notify(conn_sync(c), rows[i].id) == 0)
      c->pump_soon = 1;
    if (conn_sync(c) != NULL && c->outbound && c->d->uplink)
      ayil_sync_name(conn_sync(c), rows[i].id); /* a committee admitted */
  }
  c->named_gen = gen;
  c->named_ok = 1;
}

static int id_cmp(const void *a, const void *b) {
  return memcmp(a, b, AYIL_ID_BYTES);
}

/* Commits the open transaction, with the "last acknowledgement" rows of
 * what each peer sent; the connections hear of it in daemon_commit(). */
static int tx_durable(daemon_t *d) {
  conn_t *c;
  size_t i;
  uint64_t now = (uint64_t)time(NULL);
  int rc;
  if (!d->in_tx)
    return 0;
  /* What we received from each peer is acknowledged to it with this
   * commit: that is the "last acknowledgement" `ayil status` and `nodes`
   * show. Written in the same transaction. */
  for (c = d->conns; c != NULL; c = c->next)
    for (i = 0; i < c->ndl; i++) {
      uint64_t seq = 0;
      uint8_t hash[AYIL_HASH_BYTES];
      if (c->peer_known && ayil_store_head(d->store, c->dl[i], &seq, hash) == 0)
        ayil_reg_acked(d->store, c->peer, c->dl[i], seq, now);
    }
  d->in_tx = 0;
  rc = ayil_store_commit(d->store);
  if (rc != 0) {
    dlog(LOG_ERR, "store commit failed: %s; nothing acknowledged",
         ayil_strerror(rc));
    if (rc == AYIL_EFULL)
      ayil_reg_alert(d->store, "disk_full", NULL, NULL, 0,
                     (uint64_t)time(NULL));
    d->tx_failed = 1;
    for (c = d->conns; c != NULL; c = c->next)
      c->ndl = 0;
  }
  d->npend = 0;
  return rc;
}

/* Commits what deliver() stored in this loop turn, from every connection,
 * with the "last acknowledgement" rows of what each peer sent; only then
 * lets each connection acknowledge what it delivered, and tells the
 * connections whose policy names a committed origin (to pass it on). The
 * sync machines hear of it here; they are pumped at the end of the turn. */
void daemon_commit(daemon_t *d) {
  conn_t *c;
  size_t i, nt = 0;
  uint64_t gen;
  if (tx_durable(d) != 0)
    return;
  /* Every origin committed now, sorted, once. */
  for (c = d->conns; c != NULL; c = c->next)
    nt += c->ndl;
  if (nt > d->cap_touched) {
    uint8_t(*p)[AYIL_ID_BYTES] = realloc(d->touched, nt * sizeof *p);
    if (p == NULL) {
      dlog(LOG_ERR, "out of memory after a commit");
      for (c = d->conns; c != NULL; c = c->next)
        c->ndl = 0;
      return;
    }
    d->touched = p;
    d->cap_touched = nt;
  }
  nt = 0;
  for (c = d->conns; c != NULL; c = c->next) {
    if (c->ndl > 0)
      memcpy(d->touched[nt], c->dl, c->ndl * AYIL_ID_BYTES);
    nt += c->ndl;
  }
  if (nt == 0)
    return;
  if (d->uplink) {
    /* News for the hub above: dial it, unless a connection is up that
     * will carry it. */
    for (c = d->conns; c != NULL; c = c->next)
      if (c->outbound && c->state != CONN_CLOSING && !c->leaving)
        break;
    if (c == NULL)
      d->want_connect = 1;
  }
  qsort(d->touched, nt, AYIL_ID_BYTES, id_cmp);
  {
    size_t k = 1;
    for (i = 1; i < nt; i++)
      if (memcmp(d->touched[i], d->touched[k - 1], AYIL_ID_BYTES) != 0)
        memcpy(d->touched[k++], d->touched[i], AYIL_ID_BYTES);
    nt = k;
  }
  gen = ayil_store_policy_gen(d->store);
  for (c = d->conns; c != NULL; c = c->next) {
    ayil_sync_t *sy = conn_sync(c);
    if (c->state != CONN_SYNC || sy == NULL) {
      c->ndl = 0;
      continue;
    }
    /* Acknowledge what this connection delivered. */
    for (i = 0; i < c->ndl; i++) {
      uint64_t seq = 0;
      uint8_t hash[AYIL_HASH_BYTES];
      if (ayil_store_head(d->store, c->dl[i], &seq, hash) == 0) {
        ayil_sync_committed(sy, c->dl[i], seq);
        c->pump_soon = 1;
      }
    }
    c->ndl = 0;
    /* Pass on what its policy names: no other connection can want it.
     * To the hub above, also when it reached this hub. */
    named_refresh(c, gen);
    for (i = 0; i < c->nnamed; i++)
      if (bsearch(c->named[i], d->touched, nt, AYIL_ID_BYTES, id_cmp) != NULL) {
        uint64_t seq = 0, at = 0;
        ayil_sync_notify(sy, c->named[i]);
        if (c->outbound && d->uplink &&
            ayil_reg_arrival(d->store, c->named[i], d->hub_id, &seq, &at) ==
                0 &&
            seq > 0)
          ayil_sync_arrived(sy, c->named[i], seq, at);
        c->pump_soon = 1;
      }
  }
}

/* The end of a loop turn: commit, close the connections whose entries a
 * failed commit lost, and let the others send what the commit allowed. */
static void on_commit_check(uv_check_t *h) {
  daemon_t *d = h->data;
  conn_t *c, *next;
  daemon_commit(d);
  for (c = d->conns; c != NULL; c = next) {
    next = c->next;
    if (d->tx_failed && c->delivered && c->state != CONN_CLOSING)
      conn_close(c, 0, "store commit failed");
    c->delivered = 0;
    if (c->pump_soon) {
      c->pump_soon = 0;
      conn_pump(c);
    }
  }
  d->tx_failed = 0;
  if (!d->in_tx)
    uv_check_stop(h);
}

void daemon_commit_stop(daemon_t *d) {
  daemon_commit(d);
  free(d->touched);
  free(d->pend);
  d->touched = NULL;
  d->pend = NULL;
  d->cap_touched = d->cap_pend = d->npend = 0;
  if (d->commit_check_init && !uv_is_closing((uv_handle_t *)&d->commit_check))
    uv_close((uv_handle_t *)&d->commit_check, NULL);
}

/* The local log grew (a record entered with the CLI). */
void daemon_notify_local(daemon_t *d) {
  conn_t *c;
  for (c = d->conns; c != NULL; c = c->next) {
    if (c->state == CONN_SYNC && !c->leaving && conn_sync(c) != NULL) {
      ayil_sync_notify(conn_sync(c), d->ident.pk);
      conn_pump(c);
    } else if (c->outbound && c->leaving) {
      /* It is on its way out: come straight back for the new entries. */
      d->want_connect = 1;
    }
  }
}

/* Server side, from the session: the client proved its id; admit it or
 * not. Its envelope (read by the session's strict reader) may carry an
 * invite token. */
static int admit(void *ctx, const uint8_t peer[AYIL_ID_BYTES],
                 const ayil_envelope_t *env) {
  conn_t *c = ctx;
  daemon_t *d = c->d;
  char id[AYIL_ID_TEXT];
  int rc;
  /* The registry opens its own transactions, and the have that follows
   * must name only durable heads: commit the turn's entries first. */
  daemon_commit(d);
  memcpy(c->peer, peer, AYIL_ID_BYTES);
  c->peer_known = 1;
  ayil_id_to_text(c->peer, id);
  rc = ayil_reg_device(d->store, c->peer, &c->dev);
  if (rc == AYIL_ENOTFOUND && env->has_token) {
    rc = ayil_reg_redeem(d->store, d->ident.sk, env->token, c->peer);
    if (rc == 0) {
      dlog(LOG_NOTICE, "node %s admitted with an invite", id);
      rc = ayil_reg_device(d->store, c->peer, &c->dev);
    } else if (rc == AYIL_EPENDING) {
      /* The code alone enrols no one: the operator confirms the node's
       * enrolment code, which its committee reads out. */
      dlog(LOG_NOTICE,
           "node %s presented a valid invite; it is admitted once the "
           "operator confirms the enrolment code its committee reads out "
           "(ayil admit --confirm CODE)",
           id);
      return AYIL_EPENDING;
    }
  }
  if (rc == AYIL_ENOTFOUND || rc == AYIL_EAUTH) {
    dlog(LOG_WARN, "refused unknown node %s", id);
    return AYIL_EUNKNOWN_NODE;
  }
  if (rc != 0)
    return rc;
  if (c->dev.revoked) {
    /* A replaced node is "replaced", not "revoked": its committee lives on
     * in its successor. */
    int replaced = strcmp(c->dev.state, AYIL_DEV_REPLACED) == 0;
    dlog(LOG_WARN, "refused %s node %s%s", c->dev.state, id,
         replaced ? " (its committee has a new node)" : "");
    ayil_reg_alert(d->store, replaced ? "replaced" : "revoked", c->peer, NULL,
                   0, (uint64_t)time(NULL));
    return replaced ? AYIL_EREPLACED : AYIL_EREVOKED;
  }
  guard_admitted(c);
  return 0;
}

/* Hub: what the peer's have shows it holds of the logs offered to it is
 * acknowledged, as an ACK would have said: an ACK lost with a cut link, or
 * a log taken sparse whose last entries were skipped, would otherwise stay
 * owed in `ayil status`. Written only when it moved. */
static void have_acks(conn_t *c) {
  static ayil_sync_origin_t rows[AYIL_POLICY_DEVICES_MAX + 2];
  daemon_t *d = c->d;
  ayil_node_view_t nv;
  size_t n = 0, i;
  if (conn_sync(c) == NULL || conn_view(c, &nv) != 0 ||
      ayil_policy_origins(&nv.v, rows, AYIL_POLICY_DEVICES_MAX + 2, &n) != 0)
    return;
  for (i = 0; i < n && i < AYIL_POLICY_DEVICES_MAX + 2; i++) {
    uint64_t seq = 0, known = 0, head = 0;
    uint8_t hh[AYIL_HASH_BYTES];
    if (!(rows[i].flags & AYIL_SYNC_OFFER) ||
        ayil_sync_peer_acked(conn_sync(c), rows[i].id, &seq) != 0 || seq == 0 ||
        ayil_store_head(d->store, rows[i].id, &head, hh) != 0 || seq > head ||
        ayil_reg_peer_acked(d->store, c->peer, rows[i].id, &known) != 0 ||
        seq <= known)
      continue;
    /* In the loop turn's transaction: no commit of its own. */
    if (tx_open(d) != 0)
      return;
    ayil_reg_acked(d->store, c->peer, rows[i].id, seq, (uint64_t)time(NULL));
  }
}

/* Both: the session is open (keys agreed, haves exchanged). */
static void opened(conn_t *c, uint64_t peer_clock_ms) {
  daemon_t *d = c->d;
  ayil_reg_contact(d->store, c->peer, (uint64_t)time(NULL),
                   (int64_t)peer_clock_ms - (int64_t)wall_ms(NULL));
  if (c->outbound) {
    /* What the hub holds of our log, for the next early stream (see
     * start_client); ACKED events raise the registry's. */
    uint64_t have_seq = 0, acked = 0;
    char buf[48];
    if (ayil_sync_peer_acked(conn_sync(c), d->ident.pk, &have_seq) == 0 &&
        ayil_reg_peer_acked(d->store, d->hub_id, d->ident.pk, &acked) == 0) {
      snprintf(buf, sizeof buf, "%llu:%llu", (unsigned long long)have_seq,
               (unsigned long long)acked);
      ayil_store_meta_set(d->store, "hub_have_seen", buf);
    }
    if (d->hub_hangups >= HUB_HANGUPS_REFUSED)
      dlog(LOG_NOTICE, "the hub accepts this node again");
    d->hub_hangups = 0;
    ayil_reg_alert_clear(d->store, "refused_by_hub", NULL, NULL);
    /* Admitted: the invite token is spent. */
    ayil_reg_token_set(d->store, NULL);
    arrivals_up(c);
  } else {
    have_acks(c);
  }
  c->state = CONN_SYNC;
  c->made_progress = 1;
  dlog(LOG_INFO, "connection %s established",
       c->outbound ? "to the hub" : "from a committee");
}

/* What the session says happened: it opened, or the peer left. */
static int on_events(conn_t *c) {
  ayil_session_event_t ev;
  while (c->state != CONN_CLOSING && ayil_session_event(c->sess, &ev)) {
    if (ev.type == AYIL_SESSION_EV_OPEN) {
      opened(c, ev.peer_clock_ms);
    } else if (ev.type == AYIL_SESSION_EV_PEER_LEFT) {
      /* The peer's final frame: answer with ours (the FINAL exchange),
       * or, if ours is out already, the stream is over both ways. */
      if (c->leaving)
        conn_close(c, 1, c->why);
      else
        conn_leave(c, "peer left");
    }
  }
  return 0;
}

/* One buffer for every connection's reads: libuv calls on_read() right
 * after alloc_cb(), and on_read() consumes all of it (one thread). */
static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  static char rbuf[READ_BUF];
  (void)h;
  (void)hint;
  buf->base = rbuf;
  buf->len = sizeof rbuf;
}

static int feed(conn_t *c, const uint8_t *p, size_t n) {
  int rc = ayil_session_feed(c->sess, p, n, now_ms(c->d));
  if (rc == 0)
    rc = on_events(c);
  return rc;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  conn_t *c = s->data;
  daemon_t *d = c->d;
  int rc = 0;
  if (nread > 0) {
    c->bytes_recv += (uint64_t)nread;
    c->last_recv_ms = now_ms(d);
    rc = feed(c, (const uint8_t *)buf->base, (size_t)nread);
    /* This read completed the hello, which the session verified. */
    if (rc == 0 && !c->outbound &&
        c->bytes_recv - (uint64_t)nread < AYIL_HS_CLIENT_HELLO_BYTES &&
        c->bytes_recv >= AYIL_HS_CLIENT_HELLO_BYTES)
      guard_proven(c);
  }
  /* What arrived is made durable, and only then acknowledged, at the end
   * of this loop turn (on_commit_check), with every other connection's. */
  if (rc != 0) {
    if (d->in_tx) {
      /* Entries before the bad one were verified: keep them. */
      daemon_commit(d);
    }
    /* An admitted peer sent an entry that is not what its origin signed
     * (altered, invented or out of its chain): a compromised hub below or
     * a hostile node. Refused, and told to the operator. */
    if (c->state == CONN_SYNC && c->peer_known &&
        (rc == AYIL_ESIG || rc == AYIL_ECHAIN || rc == AYIL_ESEQ)) {
      /* A log a hub below forwards: refused from now on, like a fork, so
       * that the hub's other logs still flow; an operator clears it. */
      uint8_t bad[AYIL_ID_BYTES];
      int fwd = !c->outbound && strcmp(c->dev.kind, AYIL_KIND_HUB) == 0 &&
                conn_sync(c) != NULL &&
                ayil_sync_bad_origin(conn_sync(c), bad) &&
                memcmp(bad, c->peer, AYIL_ID_BYTES) != 0;
      ayil_reg_alert(d->store, "bad_entry", c->peer, fwd ? bad : NULL, 0,
                     (uint64_t)time(NULL));
    }
    conn_close(c, 0, ayil_strerror(rc));
  } else if (nread < 0 && c->state == CONN_SYNC &&
             (c->leaving || ayil_session_eof(c->sess) == 0)) {
    /* After a final frame (ours or the peer's): a clean end. */
    conn_close(c, 1, c->leaving ? c->why : "peer left");
  } else if (nread < 0) {
    if (c->state == CONN_SYNC)
      snprintf(c->why, sizeof c->why, "%s",
               "connection cut: no final frame from the peer");
    if (c->outbound && c->state == CONN_HANDSHAKE &&
        ayil_session_peer(c->sess) != NULL &&
        ayil_session_early_frames(c->sess) > 0) {
      /* Entries streamed behind our auth message filled the link: a cut
       * looks just like a refusal here. The next connection waits for the
       * hub's reply (hub_stalls), so only then does a hangup count. */
      dlog(LOG_NOTICE, "the connection closed before the hub answered our "
                       "authentication; retrying without streaming ahead");
    } else if (c->outbound && c->state == CONN_HANDSHAKE &&
               ayil_session_peer(c->sess) != NULL) {
      /* The hub proved itself, saw who we are, and hung up. Once can be a
       * cut or the hub restarting mid-handshake, and the alert is never
       * cleared; several times in a row, with no handshake completing in
       * between, we are not (or no longer) admitted there. */
      d->hub_hangups++;
      if (d->hub_hangups >= HUB_HANGUPS_REFUSED) {
        dlog(LOG_ERR,
             "the hub refused this node after authentication %u "
             "times in a row: it may be revoked, replaced, or its "
             "invite already used",
             d->hub_hangups);
        ayil_reg_alert(d->store, "refused_by_hub", c->peer, NULL, 0,
                       (uint64_t)time(NULL));
      } else {
        dlog(LOG_NOTICE, "the hub closed the connection after "
                         "authentication; a refusal if it happens again");
      }
    }
    conn_close(c, 0,
               c->state == CONN_SYNC ? c->why
               : nread == UV_EOF     ? "peer closed"
                                     : uv_strerror((int)nread));
  }
  conn_pump(c);
}

static int start_client(conn_t *c) {
  daemon_t *d = c->d;
  ayil_session_config_t cfg;
  uint64_t acked = 0;
  int rc;
  /* Our have must name only durable heads. */
  daemon_commit(d);
  session_cfg(c, &cfg);
  cfg.has_token = ayil_reg_token_get(d->store, cfg.token) == 0;
  memcpy(c->peer, d->hub_id, AYIL_ID_BYTES);
  c->peer_known = 1;
  /* Our log streams right behind the auth message, from what the hub last
   * acknowledged; its have corrects us if it holds more or less. */
  if (ayil_reg_peer_acked(d->store, d->hub_id, d->ident.pk, &acked) == 0) {
    /* Unless the hub's last have showed less (restored from a backup) and
     * no acknowledgement came since: then its head is that have's. */
    char *seen = NULL;
    unsigned long long have_seq = 0, acked_then = 0;
    if (ayil_store_meta_get(d->store, "hub_have_seen", &seen) == 0) {
      if (sscanf(seen, "%llu:%llu", &have_seq, &acked_then) == 2 &&
          acked_then == acked && have_seq < acked)
        acked = have_seq;
      free(seen);
    }
    c->own_acked_at0 = acked;
    /* After a connection that got nothing acknowledged, wait for the hub's
     * have instead: on a link cut every few KB, the early stream is what
     * the cut hits, before the hub's reply ever arrives. */
    if (d->hub_stalls == 0) {
      cfg.early = 1;
      memcpy(cfg.early_origin, d->ident.pk, AYIL_ID_BYTES);
      cfg.early_seq = acked;
    }
  }
  /* A hub dials the hub above it with that hub's network key. */
  rc = ayil_session_client(&c->sess, &cfg, d->uplink ? d->up_netkey : d->netkey,
                           d->ident.sk, d->hub_id, now_ms(d));
  sodium_memzero(cfg.token, sizeof cfg.token);
  return rc;
}

static void on_connect(uv_connect_t *req, int status) {
  conn_t *c = req->data;
  int rc;
  if (c->state == CONN_CLOSING)
    return;
  if (status < 0) {
    c->d->addr_turn++; /* a name's next address, next time */
    conn_close(c, 0, uv_strerror(status));
    return;
  }
  c->state = CONN_HANDSHAKE;
  rc = start_client(c);
  if (rc == 0)
    conn_pump(c);
  if (c->state != CONN_CLOSING && rc == 0 &&
      uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read) != 0)
    rc = AYIL_EIO;
  if (rc != 0)
    conn_close(c, 0, ayil_strerror(rc));
}

/* A listening address: "IP:PORT" or "[IPv6]:PORT" (ayil_hostport_split,
 * the one rule for the config's addresses), or "localhost:PORT"; numbers
 * only, no lookup: a hub binds where it is told. */
int daemon_parse_addr(const char *hostport, struct sockaddr_storage *ss) {
  char host[256];
  unsigned port = 0;
  if (ayil_hostport_split(hostport, host, sizeof host, &port) != 0)
    return AYIL_EINVAL;
  if (strcmp(host, "localhost") == 0)
    snprintf(host, sizeof host, "127.0.0.1");
  if (uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss) == 0 ||
      uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)ss) == 0)
    return 0;
  return AYIL_EINVAL;
}

static void on_resolved(uv_getaddrinfo_t *req, int status,
                        struct addrinfo *res) {
  conn_t *c = req->data;
  daemon_t *d = c->d;
  struct addrinfo *ai;
  char why[160];
  int n = 0, pick;
  c->resolving = 0;
  if (c->close_done) {
    /* Closed meanwhile, and its handle is gone already. */
    uv_freeaddrinfo(res);
    conn_free(c);
    return;
  }
  if (c->state == CONN_CLOSING) {
    uv_freeaddrinfo(res); /* on_close() frees it */
    return;
  }
  if (status < 0) {
    snprintf(why, sizeof why, "cannot resolve the hub's name %s: %s",
             d->conf.hub_addr, uv_strerror(status));
    dlog(LOG_WARN, "%s", why);
    conn_close(c, 0, why);
    return;
  }
  for (ai = res; ai != NULL; ai = ai->ai_next)
    n++;
  /* The address that worked last time; after a failed connect, the next
   * one the name has (IPv4 and IPv6 alike): a dead one costs one attempt. */
  pick = n > 0 ? (int)(d->addr_turn % (unsigned)n) : 0;
  for (ai = res; ai != NULL && pick > 0; ai = ai->ai_next)
    pick--;
  if (ai == NULL ||
      uv_tcp_connect(&c->connect_req, &c->tcp, ai->ai_addr, on_connect) != 0) {
    uv_freeaddrinfo(res);
    conn_close(c, 0, "connect failed");
    return;
  }
  uv_freeaddrinfo(res);
}

/* A committee dials its hub: `[hub] address` is "HOST:PORT" with a name or
 * an IP (or "[IPv6]:PORT"). A name is looked up on every connect, so a hub
 * that moves is found at its new address; numbers need no lookup. */
int conn_connect(daemon_t *d) {
  struct sockaddr_storage ss;
  struct addrinfo hints;
  char host[256], port[12];
  unsigned p = 0;
  conn_t *c;
  int numeric, rc;
  if (ayil_hostport_split(d->conf.hub_addr, host, sizeof host, &p) != 0 ||
      p == 0) {
    dlog(LOG_ERR, "[hub] address in ayil.conf is not HOST:PORT");
    return AYIL_EINVAL;
  }
  snprintf(port, sizeof port, "%u", p);
  numeric = uv_ip4_addr(host, (int)p, (struct sockaddr_in *)&ss) == 0 ||
            uv_ip6_addr(host, (int)p, (struct sockaddr_in6 *)&ss) == 0;
  c = conn_new(d, 1);
  if (c == NULL)
    return AYIL_ENOMEM;
  c->state = CONN_CONNECTING;
  c->connect_req.data = c;
  dlog(LOG_INFO, "connecting to the hub at %s", d->conf.hub_addr);
  if (numeric) {
    rc = uv_tcp_connect(&c->connect_req, &c->tcp, (struct sockaddr *)&ss,
                        on_connect);
  } else {
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    c->gai.data = c;
    rc = uv_getaddrinfo(d->loop, &c->gai, on_resolved, host, port, &hints);
    if (rc == 0)
      c->resolving = 1;
  }
  if (rc != 0) {
    conn_close(c, 0, "connect failed");
    return AYIL_EIO;
  }
  return 0;
}

/* Unauthenticated connections are bounded per address and in total, and
 * time out (guard.c). */
void conn_accept(daemon_t *d, uv_stream_t *server) {
  conn_t *c = conn_new(d, 0);
  int rc;
  if (c == NULL)
    return;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0) {
    conn_close(c, 0, "accept failed");
    return;
  }
  guard_source(c);
  if (guard_accept(d, c) != 0) {
    conn_close(c, 0, "connection limit reached");
    return;
  }
  c->state = CONN_HANDSHAKE;
  c->last_recv_ms = c->started_ms;
  {
    ayil_session_config_t cfg;
    session_cfg(c, &cfg);
    rc = ayil_session_server(&c->sess, &cfg, d->netkey, d->ident.sk, now_ms(d));
  }
  if (rc == 0 && uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read) != 0)
    rc = AYIL_EIO;
  if (rc != 0)
    conn_close(c, 0, ayil_strerror(rc));
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  conn_t *c = req->data;
  /* Our final frame is out: wait (bounded, conns_tick) for the peer's, so
   * both sides see the stream end cleanly (PROTOCOL.md, "Transport"). */
  if (status == 0 && c->state != CONN_CLOSING && c->sess != NULL &&
      ayil_session_state(c->sess) == AYIL_SESSION_OPEN)
    return;
  conn_close(c, 1, c->why[0] ? c->why : "left");
}

/* Ends the stream cleanly (final frame), then closes. */
static void conn_leave(conn_t *c, const char *why) {
  if (c->leaving || c->state == CONN_CLOSING)
    return;
  if (c->sess != NULL) {
    ayil_session_leave(c->sess);
    conn_pump(c); /* the final frame, and nothing after it */
  }
  if (c->state == CONN_CLOSING)
    return;
  snprintf(c->why, sizeof c->why, "%s", why);
  c->shutdown_req.data = c;
  c->leaving = 1; /* reads go on until the peer's final frame */
  c->leave_ms = now_ms(c->d);
  if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown) != 0)
    conn_close(c, 1, why);
}

/* How long a leaving connection waits for the peer's final frame. */
#define LEAVE_WAIT_MS 5000

/* Called every tick: dead links, lingering, pings, revocations. */
void conns_tick(daemon_t *d) {
  conn_t *c, *next;
  uint64_t now = now_ms(d);
  int check_devices = now - d->last_check_ms >= 2000;
  if (check_devices)
    d->last_check_ms = now;
  for (c = d->conns; c != NULL; c = next) {
    next = c->next;
    if (c->state != CONN_CLOSING && c->leaving &&
        now - c->leave_ms > LEAVE_WAIT_MS) {
      conn_close(c, 1, c->why); /* no final frame back: leave anyway */
      continue;
    }
    if (c->state == CONN_CLOSING || c->leaving)
      continue;
    if (!c->outbound) {
      const char *why = guard_expired(c, now);
      if (why != NULL) {
        conn_close(c, 0, why);
        continue;
      }
    }
    if (c->state != CONN_SYNC) {
      /* A handshake is two round trips: even at 2G latency it is done in
       * seconds, so a hub gets at most 30 s to answer (an inbound one's
       * limits are guard.c's). */
      uint64_t limit = (uint64_t)d->conf.dead_after_s * 1000;
      if (limit > 30000)
        limit = 30000;
      if (c->outbound && now - c->started_ms > limit)
        conn_close(c, 0, "no progress during connect/handshake");
      continue;
    }
    if (!c->outbound && check_devices) {
      ayil_device_t dev;
      if (ayil_reg_device(d->store, c->peer, &dev) == 0 && dev.revoked) {
        conn_close(c, 0, "peer revoked");
        continue;
      }
    }
    if (ayil_sync_idle(conn_sync(c))) {
      if (c->idle_since_ms == 0 && !d->is_hub && c->outbound &&
          conn_lineage_grew(c)) {
        /* Its history is one more connection away: not synced yet. */
        d->synced_once = 0;
        d->want_connect = 1;
        conn_leave(c, "the hub confirmed a predecessor of this node; "
                      "reconnecting for its history");
        continue;
      }
      if (c->idle_since_ms == 0) {
        c->idle_since_ms = now;
        flush_stats(c); /* so `ayil status` shows today's bytes at once */
        if (c->outbound)
          d->synced_once = 1;
      }
      if (c->outbound &&
          now - c->idle_since_ms >= (uint64_t)d->conf.linger_s * 1000) {
        conn_leave(c, "synced; leaving until new data or the poll interval");
        continue;
      }
      if (!c->outbound && now - c->idle_since_ms >= HUB_IDLE_CLOSE_MS) {
        conn_leave(c, "idle");
        continue;
      }
    } else {
      /* No progress counts from the last message received, or from when
       * there was something to wait for again after an idle spell: the
       * last message of that spell says nothing about the link now. */
      uint64_t from = ayil_sync_progress_ms(conn_sync(c));
      if (c->idle_since_ms != 0)
        c->busy_since_ms = now;
      c->idle_since_ms = 0;
      if (c->busy_since_ms > from)
        from = c->busy_since_ms;
      if (now - from > (uint64_t)d->conf.dead_after_s * 1000) {
        conn_close(c, 0, "no progress: link dead");
        continue;
      }
    }
    if (ayil_session_timeout_ms(c->sess) <= now)
      conn_pump(c);
  }
}

void conns_flush_stats(daemon_t *d) {
  conn_t *c;
  for (c = d->conns; c != NULL; c = c->next)
    if (c->state != CONN_CLOSING)
      flush_stats(c);
}

int conns_active(daemon_t *d) {
  conn_t *c;
  int n = 0;
  for (c = d->conns; c != NULL; c = c->next)
    if (c->state != CONN_CLOSING)
      n++;
  return n;
}

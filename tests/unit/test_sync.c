/* The sync state machine over in-memory stores: two machines, no I/O. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "ayil/entry.h"
#include "ayil/schema.h"
#include "ayil/sync.h"
#include "record.h"
#include "sync_int.h"

/* ---- an in-memory store ---------------------------------------------- */

typedef struct {
  uint8_t *entry, *body, *proof;
  size_t elen, blen, plen;
  uint8_t hash[AYIL_HASH_BYTES];
} ment_t;

typedef struct {
  uint8_t id[AYIL_ID_BYTES];
  ment_t e[400];
  size_t n;       /* entries held, durable or not */
  size_t durable; /* the first `durable` are committed */
} mlog_t;

typedef struct {
  mlog_t logs[6];
  size_t nlogs;
  ayil_sync_origin_t pol[6];
  size_t npol;
  unsigned discover_flags; /* answer of discover() */
  int autocommit;          /* commit right after each recv */
  int forks, forks_by_peer;
  uint64_t fork_seq;
  uint64_t acked;
  size_t delivered;
} mstore_t;

static mlog_t *find_log(mstore_t *m, const uint8_t *id, int create) {
  size_t i;
  for (i = 0; i < m->nlogs; i++)
    if (memcmp(m->logs[i].id, id, AYIL_ID_BYTES) == 0)
      return &m->logs[i];
  if (!create)
    return NULL;
  assert_true(m->nlogs < 6);
  memcpy(m->logs[m->nlogs].id, id, AYIL_ID_BYTES);
  return &m->logs[m->nlogs++];
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n) {
  uint8_t *d;
  if (p == NULL)
    return NULL;
  d = malloc(n ? n : 1);
  assert_non_null(d);
  memcpy(d, p, n);
  return d;
}

static void log_append(mlog_t *l, const uint8_t *entry, size_t elen,
                       const uint8_t *body, size_t blen, const uint8_t *proof,
                       size_t plen) {
  ment_t *e = &l->e[l->n++];
  assert_true(l->n <= 400);
  e->entry = dup_bytes(entry, elen);
  e->elen = elen;
  e->body = dup_bytes(body, blen);
  e->blen = body ? blen : 0;
  e->proof = dup_bytes(proof, plen);
  e->plen = proof ? plen : 0;
  ayil_entry_hash(entry, elen, e->hash);
}

static void mstore_free(mstore_t *m) {
  size_t i, j;
  for (i = 0; i < m->nlogs; i++)
    for (j = 0; j < m->logs[i].n; j++) {
      free(m->logs[i].e[j].entry);
      free(m->logs[i].e[j].body);
      free(m->logs[i].e[j].proof);
    }
  memset(m, 0, sizeof *m);
}

static int cb_origins(void *ctx, ayil_sync_origin_t *out, size_t cap,
                      size_t *n) {
  mstore_t *m = ctx;
  size_t i;
  for (i = 0; i < m->npol && i < cap; i++)
    out[i] = m->pol[i];
  *n = m->npol;
  return 0;
}

static unsigned cb_discover(void *ctx, const uint8_t *origin) {
  mstore_t *m = ctx;
  (void)origin;
  return m->discover_flags;
}

static int cb_head(void *ctx, const uint8_t *origin, uint64_t *seq,
                   uint8_t *hash) {
  mlog_t *l = find_log(ctx, origin, 0);
  *seq = l ? l->durable : 0;
  if (*seq > 0)
    memcpy(hash, l->e[*seq - 1].hash, AYIL_HASH_BYTES);
  return 0;
}

static int cb_get(void *ctx, const uint8_t *origin, uint64_t seq,
                  ayil_sync_item_t *it) {
  mlog_t *l = find_log(ctx, origin, 0);
  ment_t *e;
  if (l == NULL || seq == 0 || seq > l->durable)
    return AYIL_ENOTFOUND;
  e = &l->e[seq - 1];
  it->entry = e->entry;
  it->entry_len = e->elen;
  it->body = e->body;
  it->body_len = e->blen;
  it->proof = e->proof;
  it->proof_len = e->plen;
  return 0;
}

static int cb_deliver(void *ctx, const ayil_entry_t *d,
                      const ayil_sync_item_t *it) {
  mstore_t *m = ctx;
  mlog_t *l = find_log(m, d->origin, 1);
  if (d->seq <= l->n) {
    uint8_t h[AYIL_HASH_BYTES];
    ayil_entry_hash(it->entry, it->entry_len, h);
    return memcmp(h, l->e[d->seq - 1].hash, AYIL_HASH_BYTES) == 0 ? 0
                                                                  : AYIL_EFORK;
  }
  assert_int_equal(d->seq, l->n + 1);
  log_append(l, it->entry, it->entry_len, it->body, it->body_len, it->proof,
             it->proof_len);
  m->delivered++;
  return 0;
}

static void cb_event(void *ctx, const ayil_sync_event_t *ev) {
  mstore_t *m = ctx;
  if (ev->type == AYIL_SYNC_EV_FORK) {
    m->forks++;
    m->forks_by_peer += ev->by_peer;
    m->fork_seq = ev->seq;
  } else if (ev->type == AYIL_SYNC_EV_ACKED) {
    m->acked = ev->seq;
  }
}

static void mstore_policy(mstore_t *m, const uint8_t *id, unsigned flags) {
  memcpy(m->pol[m->npol].id, id, AYIL_ID_BYTES);
  m->pol[m->npol].flags = flags;
  m->npol++;
}

static ayil_sync_config_t config_for(mstore_t *m) {
  ayil_sync_config_t c;
  memset(&c, 0, sizeof c);
  c.ctx = m;
  c.origins = cb_origins;
  c.discover = cb_discover;
  c.head = cb_head;
  c.get = cb_get;
  c.deliver = cb_deliver;
  c.event = cb_event;
  return c;
}

/* ---- entries ---------------------------------------------------------- */

typedef struct {
  uint8_t pk[32];
  uint8_t sk[64];
} tkey_t;

static void key_from(tkey_t *k, uint8_t n) {
  uint8_t seed[32];
  memset(seed, n, sizeof seed);
  crypto_sign_seed_keypair(k->pk, k->sk, seed);
}

/* Appends a signed entry (durable) to `l`, with a body of `blen` bytes
 * (none if 0), op `op` on record `rec`, header `hdr` (NULL: none). */
static void write_entry_h(mlog_t *l, const tkey_t *k, size_t blen, uint8_t rec,
                          uint32_t op, const uint8_t *hdr, size_t hlen) {
  uint8_t buf[AYIL_ENTRY_MAX], *body = NULL;
  ayil_entry_t e;
  size_t len = 0, i;

  memset(&e, 0, sizeof e);
  memcpy(e.origin, k->pk, 32);
  memcpy(l->id, k->pk, 32);
  e.seq = l->n + 1;
  if (l->n > 0)
    memcpy(e.prev, l->e[l->n - 1].hash, AYIL_HASH_BYTES);
  e.ts_ms = 1767225600000ull + e.seq * 1000;
  memset(e.record, rec, sizeof e.record);
  e.op = op;
  e.codes_version = 1;
  e.header = hdr;
  e.header_len = hlen;
  if (blen > 0) {
    body = malloc(blen);
    assert_non_null(body);
    for (i = 0; i < blen; i++)
      body[i] = (uint8_t)(i * 7 + e.seq);
    ayil_body_hash(body, blen, e.body_hash);
    e.has_body = 1;
  }
  assert_int_equal(ayil_entry_sign(&e, k->sk, buf, sizeof buf, &len), 0);
  log_append(l, buf, len, body, blen, NULL, 0);
  l->durable = l->n;
  free(body);
}

/* The same with the header {"k": 1}, which has no compact form. */
static void write_entry(mlog_t *l, const tkey_t *k, size_t blen, uint8_t rec,
                        uint32_t op) {
  static const uint8_t header[] = {0x81, 0xa1, 'k', 0x01};
  write_entry_h(l, k, blen, rec, op, header, sizeof header);
}

static void write_n(mlog_t *l, const tkey_t *k, size_t n, size_t blen) {
  size_t i;
  for (i = 0; i < n; i++)
    write_entry(l, k, blen, (uint8_t)(i % 250 + 1), AYIL_OP_PUT);
}

/* ---- a connection between two machines -------------------------------- */

typedef struct {
  ayil_sync_t *s[2];
  mstore_t *m[2];
  uint64_t now;
  size_t wire[2];   /* bytes sent by side i (message + 19 frame bytes) */
  size_t cut_after; /* side 0 -> 1 bytes before a cut; 0: none */
  int cut;
  int err[2];
  size_t msgs[2], data_msgs[2], more_msgs[2]; /* sent by side i */
} conn_t;

/* The type of a message, or -1. */
static int msg_type(const uint8_t *msg, size_t len) {
  ayil_mp_t r = {msg, msg + len};
  size_t n = 0;
  uint64_t t = 0;
  if (ayil_mp_array(&r, &n) != 0 || n < 1 || ayil_mp_uint(&r, 255, &t) != 0)
    return -1;
  return (int)t;
}

static void commit_all(conn_t *c, int i) {
  mstore_t *m = c->m[i];
  size_t j;
  for (j = 0; j < m->nlogs; j++) {
    m->logs[j].durable = m->logs[j].n;
    if (c->s[i] != NULL)
      assert_int_equal(
          ayil_sync_committed(c->s[i], m->logs[j].id, m->logs[j].durable), 0);
  }
}

static void conn_open(conn_t *c, mstore_t *a, mstore_t *b) {
  ayil_sync_config_t ca = config_for(a), cb = config_for(b);
  uint8_t pa[AYIL_SYNC_HAVE_MAX], pb[AYIL_SYNC_HAVE_MAX];
  size_t la = 0, lb = 0;
  memset(c, 0, sizeof *c);
  c->m[0] = a;
  c->m[1] = b;
  c->now = 1000;
  assert_int_equal(ayil_sync_new(&c->s[0], &ca, c->now), 0);
  assert_int_equal(ayil_sync_new(&c->s[1], &cb, c->now), 0);
  assert_int_equal(ayil_sync_have_payload(c->s[0], pa, sizeof pa, &la), 0);
  assert_int_equal(ayil_sync_have_payload(c->s[1], pb, sizeof pb, &lb), 0);
  assert_int_equal(ayil_sync_start(c->s[0], pb, lb, c->now), 0);
  assert_int_equal(ayil_sync_start(c->s[1], pa, la, c->now), 0);
}

static void conn_close(conn_t *c) {
  ayil_sync_free(c->s[0]);
  ayil_sync_free(c->s[1]);
  c->s[0] = c->s[1] = NULL;
}

/* Moves messages both ways until neither side has anything to say, the
 * link is cut or a side fails. Returns the number of messages moved. When
 * both are quiet, the clock jumps to a timer due within an ack interval (an
 * ACK waiting for its time), as an embedder's timer would; pings are due
 * much later and end the pumping. */
static size_t pump(conn_t *c) {
  size_t moved = 0;
  int progress = 1;
  while (progress && !c->cut) {
    int i;
    progress = 0;
    for (i = 0; i < 2 && !c->cut; i++) {
      const uint8_t *msg;
      size_t len = 0;
      int rc = ayil_sync_poll(c->s[i], c->now, &msg, &len);
      if (rc != 0) {
        c->err[i] = rc;
        return moved;
      }
      if (len == 0)
        continue;
      progress = 1;
      moved++;
      c->wire[i] += len + 19;
      if (i == 0 && c->cut_after && c->wire[0] > c->cut_after) {
        c->cut = 1;
        break;
      }
      rc = ayil_sync_recv(c->s[1 - i], msg, len, c->now);
      if (rc != 0) {
        c->err[1 - i] = rc;
        return moved;
      }
      if (c->m[1 - i]->autocommit)
        commit_all(c, 1 - i);
      c->msgs[i]++;
      if (msg_type(msg, len) == AYIL__SYNC_ENTRIES ||
          msg_type(msg, len) == AYIL__SYNC_MORE) {
        c->data_msgs[i]++;
        c->more_msgs[i] += msg_type(msg, len) == AYIL__SYNC_MORE;
      }
    }
    c->now += 5;
    if (!progress) {
      uint64_t t0 = ayil_sync_timeout_ms(c->s[0]);
      uint64_t t1 = ayil_sync_timeout_ms(c->s[1]);
      uint64_t t = t0 < t1 ? t0 : t1;
      if (t != UINT64_MAX && t <= c->now + AYIL_SYNC_ACK_MS_DEFAULT) {
        if (t > c->now)
          c->now = t;
        progress = 1;
      }
    }
  }
  return moved;
}

static void assert_same_log(mstore_t *a, mstore_t *b, const uint8_t *id) {
  mlog_t *la = find_log(a, id, 0), *lb = find_log(b, id, 0);
  size_t j;
  assert_non_null(la);
  assert_non_null(lb);
  assert_int_equal(la->n, lb->n);
  for (j = 0; j < la->n; j++) {
    assert_int_equal(la->e[j].elen, lb->e[j].elen);
    assert_memory_equal(la->e[j].entry, lb->e[j].entry, la->e[j].elen);
    assert_int_equal(la->e[j].blen, lb->e[j].blen);
    if (la->e[j].blen)
      assert_memory_equal(la->e[j].body, lb->e[j].body, la->e[j].blen);
  }
}

/* A committee (a) and a hub (h) with the usual policies. */
typedef struct {
  tkey_t kc, kh;
  mstore_t c, h;
} pair_t;

static pair_t *pair_new(void) {
  pair_t *p = calloc(1, sizeof *p);
  assert_non_null(p);
  key_from(&p->kc, 1);
  key_from(&p->kh, 2);
  mstore_policy(&p->c, p->kc.pk, AYIL_SYNC_OFFER | AYIL_SYNC_WANT);
  mstore_policy(&p->c, p->kh.pk, AYIL_SYNC_WANT);
  mstore_policy(&p->h, p->kc.pk, AYIL_SYNC_OFFER | AYIL_SYNC_WANT);
  mstore_policy(&p->h, p->kh.pk, AYIL_SYNC_OFFER);
  find_log(&p->c, p->kc.pk, 1);
  find_log(&p->h, p->kh.pk, 1);
  p->c.autocommit = p->h.autocommit = 1;
  return p;
}

static void pair_free(pair_t *p) {
  mstore_free(&p->c);
  mstore_free(&p->h);
  free(p);
}

/* ---- tests ------------------------------------------------------------ */

static void test_exchange(void **state) {
  pair_t *p = pair_new();
  conn_t c;
  ayil_sync_stats_t st;
  (void)state;
  write_n(find_log(&p->c, p->kc.pk, 0), &p->kc, 50, 300);
  write_n(find_log(&p->h, p->kh.pk, 0), &p->kh, 5, 0);
  conn_open(&c, &p->c, &p->h);
  pump(&c);
  assert_int_equal(c.err[0], 0);
  assert_int_equal(c.err[1], 0);
  assert_same_log(&p->c, &p->h, p->kc.pk);
  assert_same_log(&p->c, &p->h, p->kh.pk);
  assert_true(ayil_sync_idle(c.s[0]));
  assert_true(ayil_sync_idle(c.s[1]));
  assert_int_equal(p->c.acked, 50);
  assert_int_equal(p->h.acked, 5);
  /* Nothing outstanding: no ping timer on an idle link. */
  assert_true(ayil_sync_timeout_ms(c.s[0]) == UINT64_MAX);
  ayil_sync_stats(c.s[0], &st);
  assert_int_equal(st.entries_sent, 50);
  assert_int_equal(st.pings_sent, 0);
  /* Live push: a new entry goes out while connected. */
  write_n(find_log(&p->c, p->kc.pk, 0), &p->kc, 1, 300);
  assert_int_equal(ayil_sync_notify(c.s[0], p->kc.pk), 0);
  assert_false(ayil_sync_idle(c.s[0]));
  pump(&c);
  assert_same_log(&p->c, &p->h, p->kc.pk);
  assert_true(ayil_sync_idle(c.s[0]));
  assert_true(ayil_sync_idle(c.s[1]));
  conn_close(&c);
  /* A second connection between caught-up nodes sends no entry at all. */
  conn_open(&c, &p->c, &p->h);
  assert_true(ayil_sync_idle(c.s[0]));
  assert_int_equal(pump(&c), 0);
  conn_close(&c);
  pair_free(p);
}

static void test_resume_after_cut(void **state) {
  pair_t *p = pair_new();
  conn_t c;
  size_t cut, total = 120, rounds = 0;
  mlog_t *hl = find_log(&p->h, p->kc.pk, 1);
  (void)state;
  write_n(find_log(&p->c, p->kc.pk, 0), &p->kc, total, 1000);
  /* Cut every connection after a growing number of bytes, at offsets that
   * fall anywhere in a frame. */
  for (cut = 3000; rounds < 60; cut += 1709, rounds++) {
    uint64_t before = hl->durable, unacked;
    ayil_sync_stats_t st;
    conn_open(&c, &p->c, &p->h);
    c.cut_after = cut;
    pump(&c);
    assert_int_equal(c.err[0], 0);
    assert_int_equal(c.err[1], 0);
    ayil_sync_stats(c.s[0], &st);
    conn_close(&c);
    /* The connection started at the hub's durable head. What it sent and
     * the hub did not keep is re-sent next time: at most one window (each
     * record is more than its 1000-byte body). */
    assert_true(hl->durable >= before);
    unacked = before + st.entries_sent - hl->durable;
    assert_true(unacked * 1000 <= AYIL_SYNC_WINDOW_DEFAULT);
    if (!c.cut)
      break;
  }
  assert_int_equal(hl->n, total);
  assert_same_log(&p->c, &p->h, p->kc.pk);
  pair_free(p);
}

/* One cut, measured precisely: the entries sent on the first connection
 * that the hub did not hold are all that the second connection re-sends. */
static void test_resend_at_most_one_window(void **state) {
  pair_t *p = pair_new();
  conn_t c;
  ayil_sync_stats_t st;
  uint64_t sent1, held;
  (void)state;
  write_n(find_log(&p->c, p->kc.pk, 0), &p->kc, 100, 1000);
  conn_open(&c, &p->c, &p->h);
  c.cut_after = 60000;
  pump(&c);
  assert_true(c.cut);
  ayil_sync_stats(c.s[0], &st);
  sent1 = st.entries_sent;
  held = find_log(&p->h, p->kc.pk, 0)->durable;
  conn_close(&c);
  assert_true(held > 0);
  /* Each re-sent record carries a 1000-byte body: bytes > 1000 * count. */
  assert_true((sent1 - held) * 1000 <= AYIL_SYNC_WINDOW_DEFAULT);
  conn_open(&c, &p->c, &p->h);
  pump(&c);
  ayil_sync_stats(c.s[0], &st);
  assert_int_equal(st.entries_sent, 100 - held);
  assert_same_log(&p->c, &p->h, p->kc.pk);
  conn_close(&c);
  pair_free(p);
}

/* A receiver acknowledges every few KB, never only at the end of a long
 * stream, and not after every message either: ACKs are cumulative. */
static void test_acks_are_frequent(void **state) {
  pair_t *p = pair_new();
  conn_t c;
  ayil_sync_stats_t st, st1;
  (void)state;
  write_n(find_log(&p->c, p->kc.pk, 0), &p->kc, 100, 1000);
  conn_open(&c, &p->c, &p->h);
  pump(&c);
  assert_int_equal(c.err[0], 0);
  assert_int_equal(c.err[1], 0);
  assert_same_log(&p->c, &p->h, p->kc.pk);
  ayil_sync_stats(c.s[1], &st1);
  /* ~110 KB in ~3.4 KB messages: one ACK at least every ack_bytes plus one
   * message, fewer ACKs than messages. */
  assert_true(st1.acks_sent >= st1.bytes_recv / (AYIL_SYNC_ACK_BYTES_DEFAULT +
                                                 AYIL_SYNC_BATCH_DEFAULT));
  assert_true(st1.acks_sent * 3 <= c.data_msgs[0] * 2);
  ayil_sync_stats(c.s[0], &st);
  assert_int_equal(st.acks_recv, st1.acks_sent);
  assert_int_equal(p->c.acked, 100);
  conn_close(&c);
  pair_free(p);
}

/* Every message but the last carries a full batch: the window never makes
 * the sender squeeze out a short one, and a stream goes on in MOREs. */
static void test_full_batches(void **state) {
  pair_t *p = pair_new();
  conn_t c;
  ayil_sync_stats_t st;
  size_t per;
  (void)state;
  write_n(find_log(&p->c, p->kc.pk, 0), &p->kc, 120, 1000);
  conn_open(&c, &p->c, &p->h);
  pump(&c);
  assert_int_equal(c.err[0], 0);
  assert_int_equal(c.err[1], 0);
  assert_same_log(&p->c, &p->h, p->kc.pk);
  ayil_sync_stats(c.s[0], &st);
  /* A record is ~1,100 bytes: three to a 4 KiB batch. */
  per = AYIL_SYNC_BATCH_DEFAULT / 1100;
  assert_int_equal(c.data_msgs[0], (120 + per - 1) / per);
  assert_int_equal(c.more_msgs[0], c.data_msgs[0] - 1);
  conn_close(&c);
  pair_free(p);
}

static void test_large_body_chunked(void **state) {
  pair_t *p = pair_new();
  conn_t c;
  (void)state;
  write_n(find_log(&p->c, p->kc.pk, 0), &p->kc, 2, 200);
  write_n(find_log(&p->c, p->kc.pk, 0), &p->kc, 1, 200 * 1024);
  write_n(find_log(&p->c, p->kc.pk, 0), &p->kc, 2, 200);
  conn_open(&c, &p->c, &p->h);
  pump(&c);
  assert_int_equal(c.err[0], 0);
  assert_int_equal(c.err[1], 0);
  assert_same_log(&p->c, &p->h, p->kc.pk);
  assert_true(ayil_sync_idle(c.s[0]));
  conn_close(&c);
  pair_free(p);
}

/* Entry 2 of the committee is deleted by entry 3, which purged its body. */
static void test_purged_body_with_proof(void **state) {
  pair_t *p = pair_new();
  mlog_t *l = find_log(&p->c, p->kc.pk, 0);
  conn_t c;
  mlog_t *hl;
  (void)state;
  write_entry(l, &p->kc, 100, 1, AYIL_OP_PUT);
  write_entry(l, &p->kc, 100, 2, AYIL_OP_PUT);
  write_entry(l, &p->kc, 0, 2, AYIL_OP_DELETE);
  free(l->e[1].body);
  l->e[1].body = NULL;
  l->e[1].blen = 0;
  l->e[1].proof = dup_bytes(l->e[2].entry, l->e[2].elen);
  l->e[1].plen = l->e[2].elen;
  conn_open(&c, &p->c, &p->h);
  pump(&c);
  assert_int_equal(c.err[1], 0);
  hl = find_log(&p->h, p->kc.pk, 0);
  assert_int_equal(hl->n, 3);
  assert_null(hl->e[1].body);
  assert_non_null(hl->e[1].proof);
  assert_same_log(&p->c, &p->h, p->kc.pk);
  conn_close(&c);

  /* A "purged" body whose proof deletes another record is refused. */
  free(l->e[1].proof);
  l->e[1].proof = dup_bytes(l->e[2].entry, l->e[2].elen);
  mstore_free(&p->h);
  mstore_policy(&p->h, p->kc.pk, AYIL_SYNC_OFFER | AYIL_SYNC_WANT);
  p->h.autocommit = 1;
  l->e[0].proof = dup_bytes(l->e[2].entry, l->e[2].elen);
  l->e[0].plen = l->e[2].elen;
  free(l->e[0].body);
  l->e[0].body = NULL;
  l->e[0].blen = 0;
  conn_open(&c, &p->c, &p->h);
  pump(&c);
  assert_int_equal(c.err[1], AYIL_EPEER);
  assert_int_equal(p->h.delivered, 0);
  conn_close(&c);
  pair_free(p);
}

static void test_discover_origin(void **state) {
  pair_t *p = pair_new();
  tkey_t kold;
  mlog_t *hl;
  conn_t c;
  (void)state;
  /* The hub holds a predecessor device's log; the committee does not know
   * that origin, but its discover() wants whatever the hub offers. */
  key_from(&kold, 9);
  hl = find_log(&p->h, kold.pk, 1);
  write_n(hl, &kold, 10, 50);
  mstore_policy(&p->h, kold.pk, AYIL_SYNC_OFFER);
  p->c.discover_flags = AYIL_SYNC_WANT;
  conn_open(&c, &p->c, &p->h);
  pump(&c);
  assert_int_equal(c.err[0], 0);
  assert_int_equal(c.err[1], 0);
  assert_same_log(&p->c, &p->h, kold.pk);
  assert_true(ayil_sync_idle(c.s[0]));
  assert_true(ayil_sync_idle(c.s[1]));
  conn_close(&c);
  pair_free(p);
}

static void test_fork_via_have(void **state) {
  pair_t *p = pair_new();
  mlog_t *cl = find_log(&p->c, p->kc.pk, 0), *hl;
  conn_t c;
  size_t j;
  (void)state;
  write_n(cl, &p->kc, 3, 10);
  hl = find_log(&p->h, p->kc.pk, 1);
  for (j = 0; j < 3; j++)
    log_append(hl, cl->e[j].entry, cl->e[j].elen, cl->e[j].body, cl->e[j].blen,
               NULL, 0);
  /* The hub holds a different 4th entry (from a clone of the committee). */
  write_entry(hl, &p->kc, 10, 77, AYIL_OP_PUT);
  write_n(cl, &p->kc, 2, 10);
  conn_open(&c, &p->c, &p->h);
  pump(&c);
  assert_int_equal(c.err[0], 0);
  assert_int_equal(c.err[1], 0);
  /* The committee compared and proved it; the hub checked the proof. */
  assert_int_equal(p->c.forks, 1);
  assert_int_equal(p->c.fork_seq, 4);
  assert_int_equal(p->h.forks, 1);
  assert_int_equal(p->h.forks_by_peer, 1);
  assert_int_equal(hl->n, 4); /* nothing merged */
  assert_true(ayil_sync_idle(c.s[0]));
  assert_true(ayil_sync_idle(c.s[1]));
  conn_close(&c);
  pair_free(p);
}

static void test_fork_via_entry(void **state) {
  pair_t *p = pair_new();
  mlog_t *cl = find_log(&p->c, p->kc.pk, 0), *hl;
  ayil_sync_config_t ca = config_for(&p->c), ch = config_for(&p->h);
  uint8_t pa[AYIL_SYNC_HAVE_MAX], ph[AYIL_SYNC_HAVE_MAX];
  size_t la = 0, lh = 0, j;
  conn_t c;
  (void)state;
  write_n(cl, &p->kc, 5, 10);
  hl = find_log(&p->h, p->kc.pk, 1);
  for (j = 0; j < 3; j++)
    log_append(hl, cl->e[j].entry, cl->e[j].elen, cl->e[j].body, cl->e[j].blen,
               NULL, 0);
  hl->durable = 3;
  memset(&c, 0, sizeof c);
  c.m[0] = &p->c;
  c.m[1] = &p->h;
  c.now = 1000;
  assert_int_equal(ayil_sync_new(&c.s[0], &ca, c.now), 0);
  assert_int_equal(ayil_sync_new(&c.s[1], &ch, c.now), 0);
  assert_int_equal(ayil_sync_have_payload(c.s[0], pa, sizeof pa, &la), 0);
  assert_int_equal(ayil_sync_have_payload(c.s[1], ph, sizeof ph, &lh), 0);
  /* After the hub's have, another connection stores a different 4th. */
  write_entry(hl, &p->kc, 10, 77, AYIL_OP_PUT);
  assert_int_equal(ayil_sync_start(c.s[0], ph, lh, c.now), 0);
  assert_int_equal(ayil_sync_start(c.s[1], pa, la, c.now), 0);
  pump(&c);
  assert_int_equal(c.err[0], 0);
  assert_int_equal(c.err[1], 0);
  assert_int_equal(p->h.forks, 1);
  assert_int_equal(p->h.forks_by_peer, 0);
  assert_int_equal(p->h.fork_seq, 4);
  assert_int_equal(p->c.forks, 1);
  assert_int_equal(p->c.forks_by_peer, 1);
  assert_int_equal(hl->n, 4);
  assert_int_equal(p->h.delivered, 0);
  conn_close(&c);
  pair_free(p);
}

/* ---- hostile messages ---------------------------------------------------
 * A hub machine is started from a hand-made committee have payload; then
 * hand-made ENTRIES messages are fed to it. */

typedef struct {
  pair_t *p;
  ayil_sync_t *h;
  mlog_t *cl; /* the committee's genuine log, for material */
} hostile_t;

static hostile_t hostile_new_flags(size_t n, uint8_t flags) {
  hostile_t t;
  ayil_sync_config_t ch;
  uint8_t buf[AYIL_SYNC_HAVE_MAX];
  uint8_t row_have[] = {
      0x92, 0x02, 0x91, 0x94, 0xc4, 0x20, /* origin follows */
  };
  uint8_t pay[256];
  size_t len = 0, o = 0;
  t.p = pair_new();
  t.cl = find_log(&t.p->c, t.p->kc.pk, 0);
  write_n(t.cl, &t.p->kc, n, 40);
  ch = config_for(&t.p->h);
  assert_int_equal(ayil_sync_new(&t.h, &ch, 0), 0);
  assert_int_equal(ayil_sync_have_payload(t.h, buf, sizeof buf, &len), 0);
  /* [1, [[origin, 0, nil, OFFER|WANT]]] */
  memcpy(pay, row_have, sizeof row_have);
  o = sizeof row_have;
  memcpy(pay + o, t.p->kc.pk, 32);
  o += 32;
  pay[o++] = 0x00;
  pay[o++] = 0xc0;
  pay[o++] = flags;
  assert_int_equal(ayil_sync_start(t.h, pay, o, 0), 0);
  return t;
}

static hostile_t hostile_new(size_t n) {
  return hostile_new_flags(n, 0x03);
}

static void hostile_free(hostile_t *t) {
  ayil_sync_free(t->h);
  pair_free(t->p);
}

/* Builds [1, 0, first, prev|nil, records of entries first..first+n-1]
 * from the committee's log; `tweak` may alter the records. */
typedef void (*tweak_fn)(ayil__rec_t *rec, size_t i, uint8_t *scratch);

static size_t entries_msg(const mlog_t *l, uint64_t first, size_t n,
                          const uint8_t *prev, tweak_fn tweak, uint8_t *out,
                          size_t cap) {
  ayil_mp_wbuf_t w;
  size_t i;
  uint64_t base = 0;
  uint8_t scratch[512];
  ayil_mp_wbuf_init(&w, out, cap);
  msgpack_pack_array(&w.pk, 4 + n);
  msgpack_pack_uint32(&w.pk, 1);
  msgpack_pack_uint32(&w.pk, 0);
  msgpack_pack_uint64(&w.pk, first);
  if (prev == NULL)
    msgpack_pack_nil(&w.pk);
  else
    ayil_mp_pack_bin(&w.pk, prev, 32);
  for (i = 0; i < n; i++) {
    const ment_t *m = &l->e[first - 1 + i];
    ayil_entry_t e;
    ayil__rec_t rec;
    assert_int_equal(ayil_entry_decode(&e, m->entry, m->elen), 0);
    memset(&rec, 0, sizeof rec);
    rec.ts_ms = e.ts_ms;
    rec.record = e.record;
    rec.op = e.op;
    rec.codes_version = e.codes_version;
    rec.header = e.header;
    rec.header_len = e.header_len;
    rec.body_kind = AYIL__BODY_INLINE;
    rec.body = m->body;
    rec.body_len = m->blen;
    rec.sig = e.sig;
    if (tweak)
      tweak(&rec, i, scratch);
    /* ts: absolute in the first record, then deltas. */
    rec.ts_rel = i > 0;
    rec.ts_base = base;
    base = rec.ts_ms;
    ayil__rec_write(&w.pk, &rec);
  }
  assert_false(w.overflow);
  return w.len;
}

static void tweak_sig(ayil__rec_t *rec, size_t i, uint8_t *scratch) {
  if (i != 2)
    return;
  memcpy(scratch, rec->sig, 64);
  scratch[10] ^= 1;
  rec->sig = scratch;
}

static void tweak_body(ayil__rec_t *rec, size_t i, uint8_t *scratch) {
  if (i != 2)
    return;
  memcpy(scratch, rec->body, rec->body_len);
  scratch[0] ^= 0x80;
  rec->body = scratch;
}

static void tweak_ts(ayil__rec_t *rec, size_t i, uint8_t *scratch) {
  (void)scratch;
  if (i == 2)
    rec->ts_ms++;
}

static void expect_refused(tweak_fn tweak, int want) {
  hostile_t t = hostile_new(5);
  uint8_t msg[8192];
  size_t len = entries_msg(t.cl, 1, 5, NULL, tweak, msg, sizeof msg);
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), want);
  /* Entries before the bad one were delivered, none after. */
  assert_int_equal(t.p->h.delivered, 2);
  /* The error is sticky. */
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), want);
  hostile_free(&t);
}

static void test_bad_signature(void **state) {
  (void)state;
  expect_refused(tweak_sig, AYIL_ESIG);
}

/* The body hash is implied by the body: a changed body fails the signed
 * entry (AYIL_ESIG), as does any signed field. */
static void test_body_hash_mismatch(void **state) {
  (void)state;
  expect_refused(tweak_body, AYIL_ESIG);
  expect_refused(tweak_ts, AYIL_ESIG);
}

static void test_broken_chain(void **state) {
  hostile_t t = hostile_new(6);
  uint8_t msg[8192];
  size_t len;
  (void)state;
  /* A batch that does not follow the entry we hold. */
  len = entries_msg(t.cl, 1, 2, NULL, NULL, msg, sizeof msg);
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), 0);
  assert_int_equal(t.p->h.delivered, 2);
  len = entries_msg(t.cl, 3, 2, t.cl->e[0].hash, NULL, msg, sizeof msg);
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), AYIL_ECHAIN);
  assert_int_equal(t.p->h.delivered, 2);
  hostile_free(&t);

  /* A gap in sequence numbers. */
  t = hostile_new(6);
  len = entries_msg(t.cl, 2, 2, t.cl->e[0].hash, NULL, msg, sizeof msg);
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), AYIL_ESEQ);
  assert_int_equal(t.p->h.delivered, 0);
  hostile_free(&t);

  /* Inside a batch a link that does not chain cannot verify: entry 3 of a
   * different log spliced in. */
  {
    hostile_t u = hostile_new(6);
    mlog_t other;
    size_t j;
    memset(&other, 0, sizeof other);
    for (j = 0; j < 6; j++)
      write_entry(&other, &u.p->kc, 41, 3, AYIL_OP_PUT);
    /* Same key, different content: entry 4 of `other` follows other's 3. */
    for (j = 3; j < 6; j++) {
      ment_t tmp = u.cl->e[j];
      u.cl->e[j] = other.e[j];
      other.e[j] = tmp;
    }
    len = entries_msg(u.cl, 1, 6, NULL, NULL, msg, sizeof msg);
    assert_int_equal(ayil_sync_recv(u.h, msg, len, 1), AYIL_ESIG);
    assert_int_equal(u.p->h.delivered, 3);
    for (j = 0; j < other.n; j++) {
      free(other.e[j].entry);
      free(other.e[j].body);
    }
    hostile_free(&u);
  }
}

static void test_wrong_origin(void **state) {
  pair_t *p = pair_new();
  tkey_t kx;
  mlog_t *xl;
  conn_t c;
  uint8_t msg[8192];
  size_t len;
  (void)state;
  /* The committee offers an origin the hub does not accept from it. */
  key_from(&kx, 5);
  xl = find_log(&p->c, kx.pk, 1);
  write_n(xl, &kx, 3, 20);
  mstore_policy(&p->c, kx.pk, AYIL_SYNC_OFFER);
  conn_open(&c, &p->c, &p->h);
  pump(&c);
  assert_int_equal(c.err[1], 0);
  assert_null(find_log(&p->h, kx.pk, 0)); /* an honest peer sends nothing */
  /* A dishonest one does, naming the origin by its row index (2). */
  len = entries_msg(xl, 1, 1, NULL, NULL, msg, sizeof msg);
  assert_int_equal(msg[2], 0x00);
  msg[2] = 0x02;
  assert_int_equal(ayil_sync_recv(c.s[1], msg, len, c.now), AYIL_EPERM);
  assert_null(find_log(&p->h, kx.pk, 0));
  conn_close(&c);
  pair_free(p);
}

static void test_garbage(void **state) {
  static const struct {
    const char *hex;
    int rc;
  } cases[] = {
      {"", AYIL_ETRUNC},
      {"c0", AYIL_EFORMAT},
      {"90", AYIL_EFORMAT},
      {"9108", AYIL_EFORMAT},             /* unknown type */
      {"dd7fffffff", AYIL_ETRUNC},        /* huge array, no bytes */
      {"91cc06", AYIL_ENOTCANON},         /* 6 as uint8 */
      {"920600", AYIL_EFORMAT},           /* PING with a field */
      {"9106c0", AYIL_ETRAILING},         /* trailing byte */
      {"9302ce7fffffff01", AYIL_EFORMAT}, /* ACK idx over the limit */
      {"930200ff", AYIL_EFORMAT},         /* negative fixint */
      {"9203c6ffffffff", AYIL_EPEER},     /* BODY with none pending */
      {"950100010000", AYIL_EFORMAT},     /* prev neither nil nor bin */
      {"95010002c090", AYIL_EPEER},       /* first=2 without prev */
      {"940100010c", AYIL_EFORMAT},       /* ENTRIES without records */
      {"9302000a", AYIL_EPEER},           /* ACK of nothing sent */
      {"920800", AYIL_EFORMAT},           /* MORE without records */
      {"93080090", AYIL_EPEER},           /* MORE with nothing to continue */
      {"93080190", AYIL_EPEER},           /* MORE of an unnamed origin */
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hostile_t t = hostile_new(1);
    uint8_t msg[64];
    size_t len = strlen(cases[i].hex) / 2;
    assert_int_equal(sodium_hex2bin(msg, sizeof msg, cases[i].hex, 2 * len,
                                    NULL, &len, NULL),
                     0);
    if (ayil_sync_recv(t.h, msg, len, 1) != cases[i].rc)
      fail_msg("case %zu (%s): %s", i, cases[i].hex,
               ayil_err_name(ayil_sync_recv(t.h, msg, len, 1)));
    assert_int_equal(t.p->h.delivered, 0);
    hostile_free(&t);
  }
}

static void test_bad_have(void **state) {
  static const struct {
    const char *hex;
    int rc;
  } cases[] = {
      {"", AYIL_ETRUNC},
      {"9201c0", AYIL_EVERSION},
      {"9203c0", AYIL_EVERSION},
      {"930290c0", AYIL_EFORMAT},
      {"9202dcffff", AYIL_ETRUNC},
      {"92029190", AYIL_EFORMAT},
      {"920290c0", AYIL_ETRAILING},
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pair_t *p = pair_new();
    ayil_sync_config_t ch = config_for(&p->h);
    ayil_sync_t *h = NULL;
    uint8_t buf[AYIL_SYNC_HAVE_MAX], msg[64];
    size_t len = 0;
    assert_int_equal(ayil_sync_new(&h, &ch, 0), 0);
    assert_int_equal(ayil_sync_have_payload(h, buf, sizeof buf, &len), 0);
    len = strlen(cases[i].hex) / 2;
    assert_int_equal(sodium_hex2bin(msg, sizeof msg, cases[i].hex, 2 * len,
                                    NULL, &len, NULL),
                     0);
    assert_int_equal(ayil_sync_start(h, msg, len, 0), cases[i].rc);
    ayil_sync_free(h);
    pair_free(p);
  }
}

/* A row naming the same origin twice is refused. */
static void test_have_duplicate_origin(void **state) {
  hostile_t t = hostile_new(1);
  uint8_t msg[200];
  size_t o = 0;
  int k;
  (void)state;
  msg[o++] = 0x93;
  msg[o++] = 0x04;
  for (k = 0; k < 2; k++) {
    msg[o++] = 0x94;
    msg[o++] = 0xc4;
    msg[o++] = 0x20;
    memset(msg + o, 0x55, 32);
    o += 32;
    msg[o++] = 0x00;
    msg[o++] = 0xc0;
    msg[o++] = 0x01;
  }
  assert_int_equal(ayil_sync_recv(t.h, msg, o, 1), AYIL_EPEER);
  hostile_free(&t);
}

/* Pings only while work is outstanding, and the ping timer says when. */
static void test_ping_only_with_work(void **state) {
  pair_t *p = pair_new();
  conn_t c;
  const uint8_t *msg;
  size_t len = 0, n = 0;
  ayil_sync_stats_t st;
  (void)state;
  write_n(find_log(&p->c, p->kc.pk, 0), &p->kc, 40, 1000);
  conn_open(&c, &p->c, &p->h);
  /* The committee fills its window; the hub hears nothing (a dead link). */
  for (;;) {
    assert_int_equal(ayil_sync_poll(c.s[0], c.now, &msg, &len), 0);
    if (len == 0)
      break;
    n++;
  }
  assert_true(n >= 2);
  assert_int_equal(ayil_sync_timeout_ms(c.s[0]),
                   1000 + AYIL_SYNC_PING_MS_DEFAULT);
  assert_int_equal(ayil_sync_poll(c.s[0], 5000, &msg, &len), 0);
  assert_int_equal(len, 0);
  assert_int_equal(ayil_sync_poll(c.s[0], 11000, &msg, &len), 0);
  assert_int_equal(len, 2);
  assert_memory_equal(msg, "\x91\x06", 2);
  /* One ping per interval, not one per poll. */
  assert_int_equal(ayil_sync_poll(c.s[0], 11001, &msg, &len), 0);
  assert_int_equal(len, 0);
  assert_int_equal(ayil_sync_progress_ms(c.s[0]), 1000);
  assert_false(ayil_sync_idle(c.s[0]));
  ayil_sync_stats(c.s[0], &st);
  assert_int_equal(st.pings_sent, 1);
  /* The peer answers a ping with a pong, which counts as progress. */
  assert_int_equal(
      ayil_sync_recv(c.s[1], (const uint8_t *)"\x91\x06", 2, 11100), 0);
  assert_int_equal(ayil_sync_poll(c.s[1], 11100, &msg, &len), 0);
  assert_int_equal(len, 2);
  assert_memory_equal(msg, "\x91\x07", 2);
  assert_int_equal(ayil_sync_recv(c.s[0], msg, len, 11200), 0);
  assert_int_equal(ayil_sync_progress_ms(c.s[0]), 11200);
  conn_close(&c);
  pair_free(p);
}

#define GOLDEN_HAVE                                                            \
  "92029294c4208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f" \
  "5c01c420e114c3076e75b5974de832c2017567f7f26ada5b6b155b7d6d0e0dffc8853f88"   \
  "0394c4208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394"   \
  "00c002"
#define GOLDEN_ENTRIES                                                         \
  "95010001c097cf0000019b76daabe8c410111111111111111111111111111111110101c4"   \
  "0481a16b01c0c440f86a023dc82b7078ff4da61c66c78ecb07427eb143e73250b3b408eb"   \
  "875da9695acd9edafcce02702372ab07987765205879ce5296cbf68fa48a5ca6a6e8dc04"
#define GOLDEN_MORE                                                            \
  "93080097cd03e8c4102222222222222222222222222222222201019800cd05ea0003090003" \
  "00"                                                                         \
  "c40402091017c4402caaecb16b058dc1f4ea98d33309b37a1167ba7c7dcf48e71084cd6a89" \
  "f5f4fcd7d2be9f9b16055ca8f9c1a8cfdce04ac3b00e6bbb2816eb01ac696d0b884706"

/* The canonical header of an appeal, as `ayil record add` builds it. */
static void appeal_header(uint8_t **hdr, size_t *hlen) {
  json_t *h = json_pack("{s:s, s:s, s:s, s:[s,s], s:s, s:s, s:s}", "kind",
                        "appeal", "month", "2026-03", "source", "police",
                        "violence", "physical", "economic", "survivor_sex",
                        "female", "survivor_age", "26-40", "status", "open");
  assert_non_null(h);
  assert_int_equal(ayil_record_pack(h, hdr, hlen), 0);
  json_decref(h);
}

/* Golden bytes: the have payload, an ENTRIES message (a raw header), a MORE
 * message (a compact header, a ts delta) and an ACK. Keys come from fixed
 * seeds and entries carry fixed timestamps, so these bytes are what any
 * implementation must produce. See PROTOCOL.md, "Sync". */
static void test_golden(void **state) {
  pair_t *p = pair_new();
  mlog_t *cl = find_log(&p->c, p->kc.pk, 0);
  ayil_sync_config_t cc = config_for(&p->c), ch = config_for(&p->h);
  ayil_sync_t *a = NULL, *h = NULL;
  uint8_t pa[AYIL_SYNC_HAVE_MAX], ph[AYIL_SYNC_HAVE_MAX], *hdr = NULL;
  size_t la = 0, lh = 0, hlen = 0;
  const uint8_t *msg;
  size_t len = 0;
  char hex[4096];
  int print = getenv("AYIL_PRINT_GOLDEN") != NULL;
  (void)state;
  write_entry(cl, &p->kc, 0, 0x11, AYIL_OP_PUT);
  p->h.autocommit = 0;
  assert_int_equal(ayil_sync_new(&a, &cc, 0), 0);
  assert_int_equal(ayil_sync_new(&h, &ch, 0), 0);
  assert_int_equal(ayil_sync_have_payload(a, pa, sizeof pa, &la), 0);
  assert_int_equal(ayil_sync_have_payload(h, ph, sizeof ph, &lh), 0);
  sodium_bin2hex(hex, sizeof hex, pa, la);
  if (print)
    printf("have: %s\n", hex);
  assert_string_equal(hex, GOLDEN_HAVE);
  assert_int_equal(ayil_sync_start(a, ph, lh, 0), 0);
  assert_int_equal(ayil_sync_start(h, pa, la, 0), 0);
  assert_int_equal(ayil_sync_poll(a, 0, &msg, &len), 0);
  sodium_bin2hex(hex, sizeof hex, msg, len);
  if (print)
    printf("entries: %s\n", hex);
  assert_string_equal(hex, GOLDEN_ENTRIES);
  assert_int_equal(ayil_sync_recv(h, msg, len, 0), 0);
  /* Entry 2, an appeal with a 4-byte body, continues the stream. */
  appeal_header(&hdr, &hlen);
  write_entry_h(cl, &p->kc, 4, 0x22, AYIL_OP_PUT, hdr, hlen);
  assert_int_equal(ayil_sync_notify(a, p->kc.pk), 0);
  assert_int_equal(ayil_sync_poll(a, 0, &msg, &len), 0);
  sodium_bin2hex(hex, sizeof hex, msg, len);
  if (print)
    printf("more: %s\n", hex);
  assert_string_equal(hex, GOLDEN_MORE);
  assert_int_equal(ayil_sync_recv(h, msg, len, 0), 0);
  assert_same_log(&p->c, &p->h, p->kc.pk);
  find_log(&p->h, p->kc.pk, 0)->durable = 2;
  assert_int_equal(ayil_sync_committed(h, p->kc.pk, 2), 0);
  assert_int_equal(ayil_sync_poll(h, 0, &msg, &len), 0);
  sodium_bin2hex(hex, sizeof hex, msg, len);
  if (print)
    printf("ack: %s\n", hex);
  assert_string_equal(hex, "93020002");
  free(hdr);
  ayil_sync_free(a);
  ayil_sync_free(h);
  pair_free(p);
}

/* ---- compact headers ---------------------------------------------------- */

/* Checks that a canonical header has a compact form that rebuilds to the
 * very same bytes, and returns its size. */
static size_t compact_roundtrip(const uint8_t *hdr, size_t hlen) {
  uint8_t c[AYIL__DICT_MAX], back[AYIL_HEADER_MAX];
  size_t clen = 0, blen = 0;
  ayil_mp_t r;
  assert_int_equal(ayil__dict_encode(1, hdr, hlen, c, sizeof c, &clen), 1);
  assert_true(clen < hlen);
  r.p = c;
  r.end = c + clen;
  assert_int_equal(ayil__dict_decode(&r, 1, back, sizeof back, &blen), 0);
  assert_int_equal(ayil_mp_done(&r), 0);
  assert_int_equal(blen, hlen);
  assert_memory_equal(back, hdr, hlen);
  /* Another version's dictionary is not this one: raw. */
  assert_int_equal(ayil__dict_encode(2, hdr, hlen, c, sizeof c, &clen), 0);
  return clen;
}

/* A field's value for variant `v` of a record: cycles through every code,
 * list subsets, both bools, small and large counts. */
static json_t *field_value(const ayil_field_t *f, size_t v) {
  static const json_int_t counts[] = {0,   1,     127,   128,           255,
                                      256, 65535, 65536, AYIL_COUNT_MAX};
  static const char *const cases[] = {"00112233445566778899aabbccddeeff",
                                      "0f1e2d3c4b5a69788796a5b4c3d2e1f0"};
  json_t *a;
  size_t i;
  switch (f->type) {
  case AYIL_FT_DATE:
    return json_string(v % 2 ? "2031-12-31" : "2026-01-15");
  case AYIL_FT_CODE:
    return json_string(f->codes[v % f->ncodes]);
  case AYIL_FT_CODES:
    a = json_array();
    for (i = 0; i < f->ncodes; i++)
      if (((v * 5 + 1) >> (i % 8)) & 1 || (v == 3))
        json_array_append_new(a, json_string(f->codes[i]));
    if (json_array_size(a) == 0)
      json_array_append_new(a, json_string(f->codes[f->ncodes - 1]));
    return a;
  case AYIL_FT_BOOL:
    return json_boolean(v % 2);
  case AYIL_FT_COUNT:
    return json_integer(counts[v % (sizeof counts / sizeof counts[0])]);
  case AYIL_FT_CASE:
    return json_string(cases[v % 2]);
  default:
    return json_string("an invented text");
  }
}

/* Every kind of RECORDS.md, built with the record code the CLI uses, with
 * every code of every field, with and without its optional fields: each
 * header's compact form rebuilds it byte for byte. */
static void test_compact_every_kind(void **state) {
  size_t ki, v, f, ok = 0, raw = 0, small = 0;
  (void)state;
  for (ki = 0; ki < ayil_schema_nkinds(); ki++) {
    const ayil_kind_t *k = ayil_schema_kind_at(ki);
    size_t built = 0;
    for (v = 0; v < 20; v++) {
      json_t *in = json_object(), *hj = NULL, *bj = NULL;
      uint8_t *hdr = NULL;
      size_t hlen = 0;
      char err[200];
      for (f = 0; f < k->nfields; f++) {
        const ayil_field_t *fd = &k->fields[f];
        /* Optional fields: all in odd variants, none in every fourth. */
        if (!fd->required && (v % 4 == 0 || (v % 2 == 0 && f % 2 == 0)))
          continue;
        json_object_set_new(in, fd->name, field_value(fd, v + f));
      }
      if (ayil_record_build(k->name, in, NULL, NULL, &hj, &bj, err,
                            sizeof err) == 0) {
        assert_int_equal(ayil_record_pack(hj, &hdr, &hlen), 0);
        small += compact_roundtrip(hdr, hlen);
        raw += hlen;
        built++;
        ok++;
        free(hdr);
      }
      json_decref(hj);
      json_decref(bj);
      json_decref(in);
    }
    if (built < 10)
      fail_msg("kind %s: only %zu headers built", k->name, built);
  }
  /* Names and codes are gone: a fraction of the bytes. */
  assert_true(small * 4 < raw);
  if (getenv("AYIL_PRINT_GOLDEN"))
    printf("%zu headers: %zu raw bytes, %zu compact\n", ok, raw, small);
}

/* A notice, as the hub writes it. */
static void notice_header(uint8_t **hdr, size_t *hlen) {
  json_t *h = json_pack("{s:s, s:s, s:s}", "action", "admit", "kind", "notice",
                        "node", "ipmDzXQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=");
  assert_non_null(h);
  assert_int_equal(ayil_record_pack(h, hdr, hlen), 0);
  json_decref(h);
}

/* Headers the dictionary cannot express exactly go raw: each still
 * travels, and arrives byte-identical. */
static void test_compact_fallback(void **state) {
  static const char *const cases[] = {
      /* unknown key, unknown code, unknown kind */
      "{\"kind\":\"session\",\"month\":\"2026-03\",\"cases_reviewed\":1,"
      "\"violence_related\":true,\"venue\":\"school\"}",
      "{\"kind\":\"closure\",\"month\":\"2026-03\",\"case\":"
      "\"00112233445566778899aabbccddeeff\",\"reason\":\"emigrated\"}",
      "{\"kind\":\"meeting\",\"month\":\"2026-03\"}",
      /* a required field missing, no month, a month out of range */
      "{\"kind\":\"session\",\"month\":\"2026-03\",\"cases_reviewed\":1}",
      "{\"kind\":\"session\",\"cases_reviewed\":1,\"violence_related\":true}",
      "{\"kind\":\"session\",\"month\":\"1899-12\",\"cases_reviewed\":1,"
      "\"violence_related\":true}",
      "{\"kind\":\"session\",\"month\":\"2026-13\",\"cases_reviewed\":1,"
      "\"violence_related\":true}",
      /* a list out of code-list order, a duplicate, an empty one */
      "{\"kind\":\"training\",\"month\":\"2026-03\",\"days\":2,"
      "\"participants_female\":3,\"participants_male\":4,"
      "\"groups\":[\"ngo\",\"state\"]}",
      "{\"kind\":\"training\",\"month\":\"2026-03\",\"days\":2,"
      "\"participants_female\":3,\"participants_male\":4,"
      "\"groups\":[\"ngo\",\"ngo\"]}",
      "{\"kind\":\"training\",\"month\":\"2026-03\",\"days\":2,"
      "\"participants_female\":3,\"participants_male\":4,\"groups\":[]}",
      /* a count too large, an uppercase case id, a type mismatch */
      "{\"kind\":\"session\",\"month\":\"2026-03\",\"cases_reviewed\":"
      "1000000001,\"violence_related\":true}",
      "{\"kind\":\"referral\",\"month\":\"2026-03\",\"case\":"
      "\"00112233445566778899AABBCCDDEEFF\",\"service\":\"shelter\","
      "\"status\":\"referred\"}",
      "{\"kind\":\"session\",\"month\":\"2026-03\",\"cases_reviewed\":\"1\","
      "\"violence_related\":true}",
  };
  pair_t *p = pair_new();
  mlog_t *cl = find_log(&p->c, p->kc.pk, 0);
  uint8_t c[AYIL__DICT_MAX], *hdr = NULL;
  uint8_t nc[] = {0x82, 0xa4, 'k', 'i', 'n', 'd',  0xd9, 0x07, 's', 'e',
                  's',  's',  'i', 'o', 'n', 0xa5, 'm',  'o',  'n', 't',
                  'h',  0xa7, '2', '0', '2', '6',  '-',  '0',  '3'};
  size_t i, clen = 0, hlen = 0;
  conn_t cn;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *j = json_loads(cases[i], 0, NULL);
    assert_non_null(j);
    assert_int_equal(ayil_record_pack(j, &hdr, &hlen), 0);
    if (ayil__dict_encode(1, hdr, hlen, c, sizeof c, &clen) != 0)
      fail_msg("case %zu has a compact form", i);
    write_entry_h(cl, &p->kc, 30, (uint8_t)(i + 1), AYIL_OP_PUT, hdr, hlen);
    free(hdr);
    json_decref(j);
  }
  notice_header(&hdr, &hlen);
  assert_int_equal(ayil__dict_encode(1, hdr, hlen, c, sizeof c, &clen), 0);
  write_entry_h(cl, &p->kc, 0, 0x70, AYIL_OP_NOTICE, hdr, hlen);
  free(hdr);
  /* Bytes not in canonical form ("session" as a str8): raw. */
  assert_int_equal(ayil__dict_encode(1, nc, sizeof nc, c, sizeof c, &clen), 0);
  write_entry_h(cl, &p->kc, 0, 0x71, AYIL_OP_PUT, nc, sizeof nc);
  write_entry_h(cl, &p->kc, 0, 0x72, AYIL_OP_DELETE, NULL, 0);
  /* And a compact one among them. */
  appeal_header(&hdr, &hlen);
  write_entry_h(cl, &p->kc, 30, 0x73, AYIL_OP_PUT, hdr, hlen);
  free(hdr);
  conn_open(&cn, &p->c, &p->h);
  pump(&cn);
  assert_int_equal(cn.err[0], 0);
  assert_int_equal(cn.err[1], 0);
  assert_same_log(&p->c, &p->h, p->kc.pk);
  conn_close(&cn);
  pair_free(p);
}

/* Hostile compact headers: every one is refused with a clear error, none
 * crashes or delivers. The appeal of appeal_header() is
 * [0, 1514, 0, 3, 9, 0, 3, 0]: kind, month, optional fields, source,
 * violence, survivor_sex, survivor_age, status. */
static void test_compact_hostile(void **state) {
  static const struct {
    const char *hex;
    int rc;
  } cases[] = {
      {"9800cd05ea00030900030000", AYIL_EFORMAT}, /* sanity: see below */
      {"980bcd05ea000309000300", AYIL_EFORMAT},   /* kind 11 */
      {"98ffcd05ea000309000300", AYIL_EFORMAT},   /* kind -1 */
      {"9800cd096c000309000300", AYIL_EFORMAT},   /* month 2412 (2101-01) */
      {"9800cf0000000100000000000309000300", AYIL_EFORMAT}, /* huge month */
      {"9800cd05ea20030900030000", AYIL_EFORMAT},           /* optional bit 5 */
      {"9900cd05ea00030900030000", AYIL_EFORMAT}, /* a field too many */
      {"9700cd05ea0003090003", AYIL_EFORMAT},     /* a field too few */
      {"9800cd05ea01030900030000", AYIL_EFORMAT}, /* gbv_type, no room */
      {"9800cd05ea00090900030000", AYIL_EFORMAT}, /* source 9 */
      {"9800cd05ea000300000300", AYIL_EFORMAT},   /* no violence at all */
      {"9800cd05ea000320000300", AYIL_EFORMAT},   /* violence bit 5 */
      {"9800cd05ea000309020300", AYIL_EFORMAT},   /* survivor_sex 2 */
      {"9800cd05ea000309000700", AYIL_EFORMAT},   /* survivor_age 7 */
      {"9800cd05ea000309000303", AYIL_EFORMAT},   /* status 3 */
      {"9800cd05ea0003c3000300", AYIL_EFORMAT},   /* a bool for a list */
      {"9800cd05ea0003090003c0", AYIL_EFORMAT},   /* nil for a code */
      {"9800cd05ea00ff09000300", AYIL_EFORMAT},   /* a negative code */
      {"9800cc0500030900030000", AYIL_ENOTCANON}, /* 5 as a uint8 */
      {"9800cd05ea000309000300", 0},              /* the genuine one */
      {"9800cd05ea0003090003", AYIL_ETRUNC},      /* cut short */
      {"92", AYIL_ETRUNC},                        /* nothing */
      {"9200cd05ea", AYIL_EFORMAT},               /* kind and month only */
      {"dc00ff00", AYIL_ETRUNC},                  /* 255 fields claimed */
      /* session [6, m, 0, cases_reviewed, violence_related]: */
      {"9506cd05ea0001c3", 0},                    /* genuine */
      {"9506cd05ea00ce3b9aca01c3", AYIL_EFORMAT}, /* count over the max */
      {"9506cd05ea000101", AYIL_EFORMAT},         /* 1 for a bool */
      /* closure [10, m, 0, case, reason]: */
      {"950acd05ea00c410"
       "00112233445566778899aabbccddeeff"
       "00",
       0},
      {"950acd05ea00c40f"
       "00112233445566778899aabbccddee"
       "00",
       AYIL_EFORMAT},
      {"950acd05ea00c410"
       "00112233445566778899aabbccddeeff"
       "05",
       AYIL_EFORMAT},
      /* family [4, m, opt, reason, risk, status, (children), (removed)]: */
      {"9704cd05ea02010001cd0600", 0},            /* removed 2028-01 */
      {"9704cd05ea02010001cd096c", AYIL_EFORMAT}, /* removed 2101-01 */
      {"9704cd05ea04010001cd0600", AYIL_EFORMAT}, /* optional bit 2 */
  };
  uint8_t back[AYIL_HEADER_MAX], bin[128], *hdr = NULL;
  size_t i, blen = 0, hlen = 0, len = 0;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ayil_mp_t r;
    int rc;
    assert_int_equal(sodium_hex2bin(bin, sizeof bin, cases[i].hex,
                                    strlen(cases[i].hex), NULL, &len, NULL),
                     0);
    r.p = bin;
    r.end = bin + len;
    rc = ayil__dict_decode(&r, 1, back, sizeof back, &blen);
    if (rc == 0)
      rc = ayil_mp_done(&r) == 0 ? 0 : AYIL_ETRAILING;
    if (rc != cases[i].rc && !(i == 0 && rc == AYIL_ETRAILING))
      fail_msg("case %zu (%s): %s", i, cases[i].hex, ayil_err_name(rc));
  }
  /* The genuine appeal is the one appeal_header() builds; an unknown
   * code-list version has no dictionary. */
  appeal_header(&hdr, &hlen);
  assert_int_equal(sodium_hex2bin(bin, sizeof bin, "9800cd05ea000309000300", 22,
                                  NULL, &len, NULL),
                   0);
  {
    ayil_mp_t r = {bin, bin + len};
    assert_int_equal(ayil__dict_decode(&r, 1, back, sizeof back, &blen), 0);
    assert_int_equal(blen, hlen);
    assert_memory_equal(back, hdr, hlen);
    r.p = bin;
    assert_int_equal(ayil__dict_decode(&r, 2, back, sizeof back, &blen),
                     AYIL_EFORMAT);
    r.p = bin;
    assert_int_equal(ayil__dict_decode(&r, 0, back, sizeof back, &blen),
                     AYIL_EFORMAT);
    /* A rebuilt header larger than the room for it. */
    r.p = bin;
    assert_int_equal(ayil__dict_decode(&r, 1, back, hlen - 1, &blen),
                     AYIL_EFORMAT);
  }
  free(hdr);
}

/* A hostile compact header inside an ENTRIES message ends the connection
 * with AYIL_EFORMAT; the records before it were delivered, none after. */
static void tweak_compact(ayil__rec_t *rec, size_t i, uint8_t *scratch) {
  (void)scratch;
  rec->compact = 1;
  (void)i;
}

static void test_compact_hostile_in_message(void **state) {
  hostile_t t = hostile_new(5);
  uint8_t msg[8192], *hdr = NULL;
  size_t len, hlen = 0, j, k;
  mlog_t *cl = t.cl;
  (void)state;
  /* Entries 6..8 of the committee carry appeal headers: compact. */
  appeal_header(&hdr, &hlen);
  for (j = 0; j < 3; j++)
    write_entry_h(cl, &t.p->kc, 40, (uint8_t)(0x60 + j), AYIL_OP_PUT, hdr,
                  hlen);
  free(hdr);
  len = entries_msg(cl, 1, 8, NULL, tweak_compact, msg, sizeof msg);
  /* Find the third compact header (entry 8) and break its month. */
  for (j = 0, k = 0; j + 4 < len; j++)
    if (memcmp(msg + j, "\x98\x00\xcd\x05\xea", 5) == 0 && ++k == 3)
      break;
  assert_int_equal(k, 3);
  msg[j + 3] = 0x09;
  msg[j + 4] = 0x6c;
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), AYIL_EFORMAT);
  assert_int_equal(t.p->h.delivered, 7);
  hostile_free(&t);

  /* The same message unbroken goes through. */
  t = hostile_new(5);
  appeal_header(&hdr, &hlen);
  for (j = 0; j < 3; j++)
    write_entry_h(t.cl, &t.p->kc, 40, (uint8_t)(0x60 + j), AYIL_OP_PUT, hdr,
                  hlen);
  free(hdr);
  len = entries_msg(t.cl, 1, 8, NULL, tweak_compact, msg, sizeof msg);
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), 0);
  assert_int_equal(t.p->h.delivered, 8);
  assert_same_log(&t.p->c, &t.p->h, t.p->kc.pk);
  hostile_free(&t);
}

/* A MORE continues exactly where the stream stood: a record with a
 * timestamp earlier than the one before (a clock set back) goes as a
 * negative delta; a MORE after a cut-off stream is refused. */
static void test_more_and_deltas(void **state) {
  pair_t *p = pair_new();
  mlog_t *cl = find_log(&p->c, p->kc.pk, 0);
  uint8_t buf[AYIL_ENTRY_MAX];
  conn_t c;
  size_t j;
  (void)state;
  write_n(cl, &p->kc, 30, 900);
  /* Entry 31 is signed with a ts far earlier than entry 30's. */
  {
    ayil_entry_t e;
    size_t len = 0;
    static const uint8_t header[] = {0x81, 0xa1, 'k', 0x02};
    memset(&e, 0, sizeof e);
    memcpy(e.origin, p->kc.pk, 32);
    e.seq = 31;
    memcpy(e.prev, cl->e[29].hash, 32);
    e.ts_ms = 1000;
    memset(e.record, 0x31, sizeof e.record);
    e.op = AYIL_OP_PUT;
    e.codes_version = 1;
    e.header = header;
    e.header_len = sizeof header;
    assert_int_equal(ayil_entry_sign(&e, p->kc.sk, buf, sizeof buf, &len), 0);
    log_append(cl, buf, len, NULL, 0, NULL, 0);
    cl->durable = cl->n;
  }
  write_n(cl, &p->kc, 3, 900);
  conn_open(&c, &p->c, &p->h);
  pump(&c);
  assert_int_equal(c.err[0], 0);
  assert_int_equal(c.err[1], 0);
  assert_same_log(&p->c, &p->h, p->kc.pk);
  assert_true(c.more_msgs[0] > 0);
  assert_int_equal(c.more_msgs[0] + 1, c.data_msgs[0]);
  conn_close(&c);

  /* A MORE on a new connection has nothing to continue. */
  for (j = 0; j < 2; j++) {
    hostile_t t = hostile_new(4);
    uint8_t msg[4096];
    size_t len = entries_msg(t.cl, 1, 2, NULL, NULL, msg, sizeof msg);
    if (j == 1)
      assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), 0);
    /* Entries 3..4 as a MORE: [8, 0, rec, rec], ts deltas throughout. */
    len = entries_msg(t.cl, 3, 2, t.cl->e[1].hash, NULL, msg, sizeof msg);
    {
      ayil_mp_wbuf_t w;
      ayil_entry_t e2;
      ayil_mp_t r = {msg, msg + len};
      uint8_t out[4096];
      size_t n = 0, i;
      uint64_t v;
      const uint8_t *pv;
      assert_int_equal(
          ayil_entry_decode(&e2, t.cl->e[1].entry, t.cl->e[1].elen), 0);
      assert_int_equal(ayil_mp_array(&r, &n), 0);
      assert_int_equal(ayil_mp_uint(&r, 255, &v), 0);
      assert_int_equal(ayil_mp_uint(&r, 255, &v), 0);
      assert_int_equal(ayil_mp_uint(&r, 255, &v), 0);
      assert_int_equal(ayil_mp_bin_n(&r, 32, &pv), 0);
      ayil_mp_wbuf_init(&w, out, sizeof out);
      msgpack_pack_array(&w.pk, 4);
      msgpack_pack_uint32(&w.pk, AYIL__SYNC_MORE);
      msgpack_pack_uint32(&w.pk, 0);
      for (i = 0; i < 2; i++) {
        ayil_entry_t e;
        ayil__rec_t rec;
        const ment_t *m = &t.cl->e[2 + i];
        assert_int_equal(ayil_entry_decode(&e, m->entry, m->elen), 0);
        memset(&rec, 0, sizeof rec);
        rec.ts_ms = e.ts_ms;
        rec.ts_rel = 1;
        rec.ts_base = i == 0 ? e2.ts_ms : e.ts_ms - 1000;
        rec.record = e.record;
        rec.op = e.op;
        rec.codes_version = e.codes_version;
        rec.header = e.header;
        rec.header_len = e.header_len;
        rec.body_kind = AYIL__BODY_INLINE;
        rec.body = m->body;
        rec.body_len = m->blen;
        rec.sig = e.sig;
        ayil__rec_write(&w.pk, &rec);
      }
      assert_false(w.overflow);
      assert_int_equal(ayil_sync_recv(t.h, out, w.len, 1),
                       j == 0 ? AYIL_EPEER : 0);
      assert_int_equal(t.p->h.delivered, j == 0 ? 0 : 4);
    }
    hostile_free(&t);
  }
  pair_free(p);
}

/* Hostile timestamps: a delta before 0 or past UINT64_MAX. */
static void test_ts_delta_bounds(void **state) {
  static const struct {
    const char *hex;
    uint64_t base;
    int rc;
    uint64_t want;
  } cases[] = {
      {"05", 10, 0, 15},
      {"f6", 10, 0, 0},                          /* -10 */
      {"f5", 10, AYIL_EFORMAT, 0},               /* -11 */
      {"d0df", 100, 0, 67},                      /* -33 */
      {"d0e0", 100, AYIL_ENOTCANON, 0},          /* -32 as an int8 */
      {"d1ff7f", 1000, 0, 871},                  /* -129 */
      {"d1ff80", 1000, AYIL_ENOTCANON, 0},       /* -128 as an int16 */
      {"d3ffffffff7fffffff", 0x80000005u, 0, 4}, /* -2^31 - 1 */
      {"d3ffffffff7fffffff", 0x80000000u, AYIL_EFORMAT, 0},
      {"d38000000000000000", UINT64_MAX, AYIL_EFORMAT, 0}, /* INT64_MIN */
      {"cf7fffffffffffffff", 1, 0, 0x8000000000000000u},
      {"cf7fffffffffffffff", 0x8000000000000001u, AYIL_EFORMAT, 0},
      {"cf8000000000000000", 0, AYIL_EFORMAT, 0}, /* over INT64_MAX */
      {"c3", 0, AYIL_EFORMAT, 0},
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    /* [ts, rec16, 1, 1, nil, nil, sig64] */
    uint8_t m[200], hbuf[AYIL_HEADER_MAX];
    size_t o = 0, n = 0;
    ayil__rec_t rec;
    ayil_mp_t r;
    int rc;
    m[o++] = 0x97;
    assert_int_equal(sodium_hex2bin(m + o, sizeof m - o, cases[i].hex,
                                    strlen(cases[i].hex), NULL, &n, NULL),
                     0);
    o += n;
    m[o++] = 0xc4;
    m[o++] = 16;
    memset(m + o, 1, 16);
    o += 16;
    m[o++] = 1;
    m[o++] = 1;
    m[o++] = 0xc0;
    m[o++] = 0xc0;
    m[o++] = 0xc4;
    m[o++] = 64;
    memset(m + o, 2, 64);
    o += 64;
    r.p = m;
    r.end = m + o;
    rc = ayil__rec_read(&r, &cases[i].base, hbuf, &rec);
    if (rc != cases[i].rc)
      fail_msg("case %zu (%s): %s", i, cases[i].hex, ayil_err_name(rc));
    if (rc == 0 && cases[i].want != 0)
      assert_true(rec.ts_ms == cases[i].want);
  }
}

/* The v1 dictionary is frozen: its kinds, keys and code counts, in order.
 * A change to the schema tables that moves an index fails here, and must
 * come as a new code-list version that only appends. */
static void test_dictionary_v1_frozen(void **state) {
  static const char *const want =
      "appeal:source9,violence5,gbv_type7,survivor_sex2,survivor_age7,"
      "perpetrator_relation9,reviewed_with4,consent_services,"
      "consent_reporting,status3;referral:case,service9,status4;"
      "protection_order:case,days,extended,breached;correction:case,"
      "outcome3;family:reason7,risk3,children,status2,removed_month;"
      "followup:case,action6,result4;session:cases_reviewed,"
      "members_present,violence_related;prevention:audience9,"
      "participants_female,participants_male;training:days,"
      "participants_female,participants_male,groups7;aid:case,aid_kind3,"
      "amount_som;closure:case,reason5;";
  char got[2048];
  size_t ki, f, o = 0;
  (void)state;
  assert_int_equal(AYIL_CODES_VERSION, 1);
  for (ki = 0; ki < ayil_schema_nkinds(); ki++) {
    const ayil_kind_t *k = ayil_schema_kind_at(ki);
    int first = 1;
    o += (size_t)snprintf(got + o, sizeof got - o, "%s:", k->name);
    for (f = 0; f < k->nfields; f++) {
      const ayil_field_t *fd = &k->fields[f];
      const char *key = fd->hkey;
      if (fd->type == AYIL_FT_DATE && strcmp(fd->month_key, "month") != 0)
        key = fd->month_key;
      else if (fd->cls != AYIL_CLASS_A)
        continue;
      o += (size_t)snprintf(got + o, sizeof got - o, "%s%s", first ? "" : ",",
                            key);
      if (fd->ncodes > 0)
        o += (size_t)snprintf(got + o, sizeof got - o, "%zu", fd->ncodes);
      first = 0;
    }
    o += (size_t)snprintf(got + o, sizeof got - o, ";");
  }
  assert_string_equal(got, want);
}

/* ---- early streams (ayil_sync_assume) ----------------------------------- */

/* The hub's copy of the committee's log: its first n entries, durable. */
static void hub_holds(pair_t *p, size_t n) {
  mlog_t *cl = find_log(&p->c, p->kc.pk, 0), *hl = find_log(&p->h, p->kc.pk, 1);
  size_t j;
  for (j = hl->n; j < n; j++)
    log_append(hl, cl->e[j].entry, cl->e[j].elen, cl->e[j].body, cl->e[j].blen,
               cl->e[j].proof, cl->e[j].plen);
  hl->durable = hl->n;
}

/*
 * Opens a connection as a client and a server do with an early stream:
 * the committee (side 0) assumes the hub holds its log up to `assume`,
 * writes its have and polls at once (at most `max_early` messages, as much
 * as the link takes before the accept); the hub starts with that have,
 * then reads the early messages; then the committee reads the hub's have.
 * Returns the number of early messages.
 */
/* If set: the hub gets the committee's log up to this seq from elsewhere
 * right after it read the committee's have (another connection). */
static size_t early_hub_gets;

static size_t conn_open_early(conn_t *c, pair_t *p, uint64_t assume,
                              size_t max_early) {
  ayil_sync_config_t ca = config_for(&p->c), cb = config_for(&p->h);
  uint8_t pa[AYIL_SYNC_HAVE_MAX], pb[AYIL_SYNC_HAVE_MAX];
  uint8_t *early[64];
  size_t elen[64], la = 0, lb = 0, n = 0, i;
  memset(c, 0, sizeof *c);
  c->m[0] = &p->c;
  c->m[1] = &p->h;
  c->now = 1000;
  assert_int_equal(ayil_sync_new(&c->s[0], &ca, c->now), 0);
  assert_int_equal(ayil_sync_new(&c->s[1], &cb, c->now), 0);
  assert_int_equal(ayil_sync_assume(c->s[0], p->kc.pk, assume), 0);
  assert_int_equal(ayil_sync_have_payload(c->s[0], pa, sizeof pa, &la), 0);
  assert_int_equal(ayil_sync_assume(c->s[0], p->kc.pk, assume), AYIL_ESTATE);
  while (n < max_early && n < 64) {
    const uint8_t *msg;
    size_t len = 0;
    assert_int_equal(ayil_sync_poll(c->s[0], c->now, &msg, &len), 0);
    if (len == 0)
      break;
    early[n] = dup_bytes(msg, len);
    elen[n++] = len;
  }
  assert_false(ayil_sync_idle(c->s[0]));
  assert_int_equal(ayil_sync_have_payload(c->s[1], pb, sizeof pb, &lb), 0);
  assert_int_equal(ayil_sync_start(c->s[1], pa, la, c->now), 0);
  if (early_hub_gets > 0)
    hub_holds(p, early_hub_gets);
  for (i = 0; i < n; i++) {
    assert_int_equal(ayil_sync_recv(c->s[1], early[i], elen[i], c->now), 0);
    if (p->h.autocommit)
      commit_all(c, 1);
    free(early[i]);
  }
  assert_int_equal(ayil_sync_start(c->s[0], pb, lb, c->now), 0);
  return n;
}

/* What a finished early connection must show: no error, both idle, the
 * hub holds the committee's whole log, byte-identical. */
static void assert_early_done(conn_t *c, pair_t *p) {
  assert_int_equal(c->err[0], 0);
  assert_int_equal(c->err[1], 0);
  assert_true(ayil_sync_idle(c->s[0]));
  assert_true(ayil_sync_idle(c->s[1]));
  assert_same_log(&p->c, &p->h, p->kc.pk);
  assert_int_equal(p->c.forks + p->h.forks, 0);
}

static void test_early_assumption_right(void **state) {
  pair_t *p = pair_new();
  conn_t c;
  ayil_sync_stats_t st;
  (void)state;
  write_n(find_log(&p->c, p->kc.pk, 0), &p->kc, 40, 300);
  hub_holds(p, 10);
  assert_true(conn_open_early(&c, p, 10, 64) > 0);
  /* The early stream went straight in, before the committee saw a thing. */
  assert_true(p->h.delivered > 0);
  pump(&c);
  assert_early_done(&c, p);
  assert_int_equal(p->h.delivered, 30);
  ayil_sync_stats(c.s[0], &st);
  assert_int_equal(st.entries_sent, 30); /* nothing twice */
  assert_int_equal(p->c.acked, 40);
  conn_close(&c);
  /* Caught up, the same assumption streams nothing early. */
  assert_int_equal(conn_open_early(&c, p, 40, 64), 0);
  assert_int_equal(pump(&c), 0);
  assert_early_done(&c, p);
  conn_close(&c);
  /* An assumption past this side's head (a committee restored from a
   * backup) streams nothing early either; the have says the rest. */
  assert_int_equal(conn_open_early(&c, p, 90, 64), 0);
  pump(&c);
  assert_early_done(&c, p);
  conn_close(&c);
  pair_free(p);
}

/* The hub holds more than assumed (an ACK was lost with the link): what
 * crosses is a harmless duplicate, and the stream skips ahead. */
static void test_early_peer_ahead(void **state) {
  size_t window;
  (void)state;
  for (window = 0; window < 2; window++) {
    pair_t *p = pair_new();
    conn_t c;
    ayil_sync_stats_t st;
    write_n(find_log(&p->c, p->kc.pk, 0), &p->kc, window ? 200 : 40, 300);
    hub_holds(p, window ? 150 : 25);
    assert_true(conn_open_early(&c, p, 10, 64) > 0);
    pump(&c);
    assert_early_done(&c, p);
    assert_int_equal(p->h.delivered, window ? 50 : 15);
    ayil_sync_stats(c.s[0], &st);
    /* Only the early window went twice: then it skipped to 151. */
    if (window)
      assert_true(st.entries_sent < 50 + AYIL_SYNC_WINDOW_DEFAULT / 300);
    conn_close(&c);
    pair_free(p);
  }
}

/* The hub holds less than it acknowledged (restored from a backup): it
 * ignores the early stream, which starts again at its head + 1. */
static void test_early_peer_behind(void **state) {
  uint64_t held;
  (void)state;
  for (held = 0; held < 8; held += 4) {
    pair_t *p = pair_new();
    conn_t c;
    ayil_sync_stats_t st;
    write_n(find_log(&p->c, p->kc.pk, 0), &p->kc, 60, 300);
    hub_holds(p, held);
    assert_true(conn_open_early(&c, p, 20, 64) > 0);
    assert_int_equal(p->h.delivered, 0); /* ignored, not an error */
    pump(&c);
    assert_early_done(&c, p);
    assert_int_equal(p->h.delivered, 60 - held);
    assert_int_equal(p->c.acked, 60);
    ayil_sync_stats(c.s[0], &st);
    assert_true(st.entries_sent > 60 - held);
    conn_close(&c);
    pair_free(p);
  }
}

/* The hub's have is behind the assumption, but it gets the missing part
 * from elsewhere before the early stream arrives: it takes the stream and
 * acknowledges beyond where the committee went back to. */
static void test_early_peer_behind_catches_up(void **state) {
  pair_t *p = pair_new();
  conn_t c;
  (void)state;
  write_n(find_log(&p->c, p->kc.pk, 0), &p->kc, 60, 300);
  hub_holds(p, 4);
  early_hub_gets = 20;
  assert_true(conn_open_early(&c, p, 20, 64) > 0);
  early_hub_gets = 0;
  assert_true(p->h.delivered > 0);
  pump(&c);
  assert_early_done(&c, p);
  assert_int_equal(p->c.acked, 60);
  conn_close(&c);
  pair_free(p);
}

/* A chunked record cut short by the hub's have: [BODY, nil] takes it
 * back, and the stream starts again at the hub's head. */
static void test_early_peer_behind_chunked(void **state) {
  pair_t *p = pair_new();
  mlog_t *cl = find_log(&p->c, p->kc.pk, 0);
  conn_t c;
  (void)state;
  write_n(cl, &p->kc, 12, 100);
  write_entry(cl, &p->kc, 150000, 77, AYIL_OP_PUT);
  write_n(cl, &p->kc, 3, 100);
  hub_holds(p, 3);
  /* The ENTRIES with the big record and one BODY before the accept. */
  assert_int_equal(conn_open_early(&c, p, 12, 2), 2);
  pump(&c);
  assert_early_done(&c, p);
  assert_int_equal(p->h.delivered, 13);
  conn_close(&c);
  pair_free(p);

  /* The same with a hub that holds more: the record goes on. */
  p = pair_new();
  cl = find_log(&p->c, p->kc.pk, 0);
  write_n(cl, &p->kc, 12, 100);
  write_entry(cl, &p->kc, 150000, 77, AYIL_OP_PUT);
  write_n(cl, &p->kc, 3, 100);
  hub_holds(p, 14);
  assert_int_equal(conn_open_early(&c, p, 12, 2), 2);
  pump(&c);
  assert_early_done(&c, p);
  assert_int_equal(p->h.delivered, 2);
  conn_close(&c);
  pair_free(p);
}

/* The hub does not take the log any more (it refuses a forked one): the
 * early stream is ignored there and stops at the committee. */
static void test_early_not_wanted(void **state) {
  pair_t *p = pair_new();
  conn_t c;
  (void)state;
  write_n(find_log(&p->c, p->kc.pk, 0), &p->kc, 30, 300);
  hub_holds(p, 5);
  p->h.pol[0].flags = AYIL_SYNC_OFFER;
  assert_true(conn_open_early(&c, p, 5, 64) > 0);
  pump(&c);
  assert_int_equal(c.err[0], 0);
  assert_int_equal(c.err[1], 0);
  assert_int_equal(p->h.delivered, 0);
  assert_true(ayil_sync_idle(c.s[0]));
  assert_true(ayil_sync_idle(c.s[1]));
  conn_close(&c);
  pair_free(p);
}

/* The hub holds another log at the assumed head: the early stream does not
 * chain there, is ignored, and the have comparison finds the fork. */
static void test_early_fork(void **state) {
  pair_t *p = pair_new();
  mlog_t *hl = find_log(&p->h, p->kc.pk, 1);
  conn_t c;
  size_t j;
  (void)state;
  write_n(find_log(&p->c, p->kc.pk, 0), &p->kc, 20, 300);
  for (j = 0; j < 8; j++)
    write_entry(hl, &p->kc, 301, 9, AYIL_OP_PUT);
  assert_true(conn_open_early(&c, p, 8, 64) > 0);
  assert_int_equal(p->h.delivered, 0);
  pump(&c);
  assert_int_equal(c.err[0], 0);
  assert_int_equal(c.err[1], 0);
  assert_int_equal(p->c.forks, 1);
  assert_int_equal(p->h.forks, 1);
  assert_int_equal(p->h.forks_by_peer, 1);
  assert_int_equal(hl->n, 8);
  conn_close(&c);
  pair_free(p);
}

/* An early stream is ignored only where it does not fit, and only until
 * the peer joins a stream of the origin; it is never delivered unchecked;
 * ROWS cannot announce one. */
static void test_early_hostile(void **state) {
  hostile_t t;
  uint8_t msg[8192];
  size_t len;
  (void)state;
  /* Announced early: a gap is ignored, so is its MORE, then a fitting
   * stream is joined and a gap after that is an error again. */
  t = hostile_new_flags(8, 0x07);
  len = entries_msg(t.cl, 3, 2, t.cl->e[1].hash, NULL, msg, sizeof msg);
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), 0);
  assert_int_equal(t.p->h.delivered, 0);
  {
    static const uint8_t more_hdr[] = {0x93, 0x08, 0x00};
    uint8_t m2[8192];
    /* [8, 0, rec]: the record of entry 5 after the ignored 3 and 4. */
    size_t l2 = entries_msg(t.cl, 5, 1, t.cl->e[3].hash, NULL, m2, sizeof m2);
    /* ENTRIES header is 95 01 00 05 c4 20 <32>: 38 bytes; keep the record
     * (its ts absolute, which a delta reads as a large positive one). */
    memcpy(msg, more_hdr, sizeof more_hdr);
    memcpy(msg + 3, m2 + 38, l2 - 38);
    assert_int_equal(ayil_sync_recv(t.h, msg, 3 + l2 - 38, 1), 0);
    assert_int_equal(t.p->h.delivered, 0);
  }
  /* Fitting (first 1): checked in full, a bad signature is an error. */
  {
    hostile_t u = hostile_new_flags(8, 0x07);
    size_t l3 = entries_msg(u.cl, 1, 5, NULL, tweak_sig, msg, sizeof msg);
    assert_int_equal(ayil_sync_recv(u.h, msg, l3, 1), AYIL_ESIG);
    assert_int_equal(u.p->h.delivered, 2);
    hostile_free(&u);
  }
  len = entries_msg(t.cl, 1, 2, NULL, NULL, msg, sizeof msg);
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), 0);
  assert_int_equal(t.p->h.delivered, 2);
  len = entries_msg(t.cl, 5, 2, t.cl->e[3].hash, NULL, msg, sizeof msg);
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), AYIL_ESEQ);
  assert_int_equal(t.p->h.delivered, 2);
  hostile_free(&t);

  /* Not announced: a gap is an error as ever. */
  t = hostile_new_flags(8, 0x03);
  len = entries_msg(t.cl, 3, 2, t.cl->e[1].hash, NULL, msg, sizeof msg);
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), AYIL_ESEQ);
  hostile_free(&t);

  /* Announced without OFFER: no leniency. */
  t = hostile_new_flags(8, 0x06);
  len = entries_msg(t.cl, 3, 2, t.cl->e[1].hash, NULL, msg, sizeof msg);
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), AYIL_EPEER);
  hostile_free(&t);

  /* A flag past EARLY is a format error. */
  {
    ayil_sync_t *h;
    ayil_sync_config_t ch;
    pair_t *p = pair_new();
    uint8_t buf[AYIL_SYNC_HAVE_MAX], pay[64];
    size_t o = 0;
    ch = config_for(&p->h);
    assert_int_equal(ayil_sync_new(&h, &ch, 0), 0);
    assert_int_equal(ayil_sync_have_payload(h, buf, sizeof buf, &len), 0);
    pay[o++] = 0x92;
    pay[o++] = 0x02;
    pay[o++] = 0x91;
    pay[o++] = 0x94;
    pay[o++] = 0xc4;
    pay[o++] = 0x20;
    memcpy(pay + o, p->kc.pk, 32);
    o += 32;
    pay[o++] = 0x00;
    pay[o++] = 0xc0;
    pay[o++] = 0x08;
    assert_int_equal(ayil_sync_start(h, pay, o, 0), AYIL_EFORMAT);
    ayil_sync_free(h);
    pair_free(p);
  }

  /* ROWS cannot announce an early stream. */
  {
    tkey_t kx;
    size_t o = 0;
    t = hostile_new(1);
    key_from(&kx, 9);
    msg[o++] = 0x92;
    msg[o++] = 0x04;
    msg[o++] = 0x94;
    msg[o++] = 0xc4;
    msg[o++] = 0x20;
    memcpy(msg + o, kx.pk, 32);
    o += 32;
    msg[o++] = 0x00;
    msg[o++] = 0xc0;
    msg[o++] = 0x05;
    assert_int_equal(ayil_sync_recv(t.h, msg, o, 1), AYIL_EPEER);
    hostile_free(&t);
  }
}

static void test_api_misuse(void **state) {
  pair_t *p = pair_new();
  ayil_sync_config_t cc = config_for(&p->c);
  ayil_sync_t *s = NULL;
  uint8_t buf[AYIL_SYNC_HAVE_MAX];
  const uint8_t *msg;
  size_t len = 0;
  (void)state;
  ayil_sync_free(NULL);
  cc.get = NULL;
  assert_int_equal(ayil_sync_new(&s, &cc, 0), AYIL_EINVAL);
  assert_null(s);
  cc = config_for(&p->c);
  cc.msg_max = 100;
  assert_int_equal(ayil_sync_new(&s, &cc, 0), AYIL_EINVAL);
  cc = config_for(&p->c);
  assert_int_equal(ayil_sync_new(&s, &cc, 0), 0);
  assert_int_equal(ayil_sync_start(s, buf, 0, 0), AYIL_ESTATE);
  assert_int_equal(ayil_sync_poll(s, 0, &msg, &len), 0);
  assert_int_equal(len, 0);
  assert_false(ayil_sync_idle(s));
  assert_int_equal(ayil_sync_have_payload(s, buf, sizeof buf, &len), 0);
  assert_int_equal(ayil_sync_have_payload(s, buf, sizeof buf, &len),
                   AYIL_ESTATE);
  ayil_sync_free(s);
  pair_free(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exchange),
      cmocka_unit_test(test_resume_after_cut),
      cmocka_unit_test(test_resend_at_most_one_window),
      cmocka_unit_test(test_acks_are_frequent),
      cmocka_unit_test(test_full_batches),
      cmocka_unit_test(test_large_body_chunked),
      cmocka_unit_test(test_purged_body_with_proof),
      cmocka_unit_test(test_discover_origin),
      cmocka_unit_test(test_fork_via_have),
      cmocka_unit_test(test_fork_via_entry),
      cmocka_unit_test(test_bad_signature),
      cmocka_unit_test(test_body_hash_mismatch),
      cmocka_unit_test(test_broken_chain),
      cmocka_unit_test(test_wrong_origin),
      cmocka_unit_test(test_garbage),
      cmocka_unit_test(test_bad_have),
      cmocka_unit_test(test_have_duplicate_origin),
      cmocka_unit_test(test_ping_only_with_work),
      cmocka_unit_test(test_golden),
      cmocka_unit_test(test_compact_every_kind),
      cmocka_unit_test(test_compact_fallback),
      cmocka_unit_test(test_compact_hostile),
      cmocka_unit_test(test_compact_hostile_in_message),
      cmocka_unit_test(test_more_and_deltas),
      cmocka_unit_test(test_ts_delta_bounds),
      cmocka_unit_test(test_dictionary_v1_frozen),
      cmocka_unit_test(test_early_assumption_right),
      cmocka_unit_test(test_early_peer_ahead),
      cmocka_unit_test(test_early_peer_behind),
      cmocka_unit_test(test_early_peer_behind_chunked),
      cmocka_unit_test(test_early_peer_behind_catches_up),
      cmocka_unit_test(test_early_not_wanted),
      cmocka_unit_test(test_early_fork),
      cmocka_unit_test(test_early_hostile),
      cmocka_unit_test(test_api_misuse),
  };
  if (sodium_init() < 0)
    return 1;
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The sync tests' fixture, shared by test_sync.c, test_sync_compact.c and
 * test_sync_early.c: an in-memory store, entries, two machines connected in
 * memory, and hand-made hostile messages. Not an interface. */
#ifndef AYIL_TEST_SYNC_FIXTURE_H
#define AYIL_TEST_SYNC_FIXTURE_H
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
  size_t unavailable; /* delivered with the body marked unavailable */
  size_t repaired;    /* bodies repaired from the peer */
  size_t held;        /* delivered with the body held, and found here */
  int dials;          /* config: held = 1 (a dialer of a hub) */
  int refs;           /* config: ref() set, refs = dials (back-references) */
  size_t refs_asked;  /* ref() calls answered */
  int arrivals;       /* config: arrivals = 1 (a hub facing a hub below) */
  size_t narrived;    /* ARRIVED messages heard, the last one: */
  uint8_t arr_origin[AYIL_ID_BYTES];
  uint64_t arr_seq, arr_at;
  /* Sparse logs: `sparse` stores what comes past a gap (the seqs in
   * between held as holes, entry NULL); `only` (sender) makes next() give
   * only the seqs marked in it. */
  int sparse;
  const uint8_t *only; /* only[seq] != 0: that entry goes to the peer */
  const char *name;    /* name_of() answers it for every origin */
  char named[AYIL_SYNC_NAME_MAX + 1]; /* the last NAMED heard */
} mstore_t;

static inline mlog_t *find_log(mstore_t *m, const uint8_t *id, int create) {
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

static inline uint8_t *dup_bytes(const uint8_t *p, size_t n) {
  uint8_t *d;
  if (p == NULL)
    return NULL;
  d = malloc(n ? n : 1);
  assert_non_null(d);
  memcpy(d, p, n);
  return d;
}

static inline void log_append(mlog_t *l, const uint8_t *entry, size_t elen,
                              const uint8_t *body, size_t blen,
                              const uint8_t *proof, size_t plen) {
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

static inline void mstore_free(mstore_t *m) {
  size_t i, j;
  for (i = 0; i < m->nlogs; i++)
    for (j = 0; j < m->logs[i].n; j++) {
      free(m->logs[i].e[j].entry);
      free(m->logs[i].e[j].body);
      free(m->logs[i].e[j].proof);
    }
  memset(m, 0, sizeof *m);
}

static inline int cb_origins(void *ctx, ayil_sync_origin_t *out, size_t cap,
                             size_t *n) {
  mstore_t *m = ctx;
  size_t i;
  for (i = 0; i < m->npol && i < cap; i++)
    out[i] = m->pol[i];
  *n = m->npol;
  return 0;
}

static inline unsigned cb_discover(void *ctx, const uint8_t *origin) {
  mstore_t *m = ctx;
  (void)origin;
  return m->discover_flags;
}

static inline int cb_head(void *ctx, const uint8_t *origin, uint64_t *seq,
                          uint8_t *hash) {
  mlog_t *l = find_log(ctx, origin, 0);
  *seq = l ? l->durable : 0;
  if (*seq > 0)
    memcpy(hash, l->e[*seq - 1].hash, AYIL_HASH_BYTES);
  return 0;
}

/* The body `m` holds under body hash `bh` for record `rec`: any entry of
 * any log with that record and body hash that still has its body. */
static inline const ment_t *mstore_body(const mstore_t *m, const uint8_t *rec,
                                        const uint8_t *bh) {
  size_t i, j;
  for (i = 0; i < m->nlogs; i++)
    for (j = 0; j < m->logs[i].n; j++) {
      const ment_t *x = &m->logs[i].e[j];
      ayil_entry_t e;
      if (x->body == NULL || ayil_entry_decode(&e, x->entry, x->elen) != 0 ||
          !e.has_body)
        continue;
      if (memcmp(e.record, rec, AYIL_RECID_BYTES) == 0 &&
          memcmp(e.body_hash, bh, AYIL_HASH_BYTES) == 0)
        return x;
    }
  return NULL;
}

/* As ayil_store_item_held(): an earlier entry of the log, same record,
 * same body hash, still with its body: its seq, 0 if none. */
static inline uint64_t ment_held(const mlog_t *l, uint64_t seq) {
  ayil_entry_t e, f;
  size_t j;
  if (ayil_entry_decode(&e, l->e[seq - 1].entry, l->e[seq - 1].elen) != 0 ||
      !e.has_body)
    return 0;
  for (j = 0; j + 1 < seq; j++)
    if (l->e[j].body != NULL &&
        ayil_entry_decode(&f, l->e[j].entry, l->e[j].elen) == 0 && f.has_body &&
        memcmp(f.record, e.record, AYIL_RECID_BYTES) == 0 &&
        memcmp(f.body_hash, e.body_hash, AYIL_HASH_BYTES) == 0)
      return j + 1;
  return 0;
}

/* The first earlier entry of the log with the same record id, 0 if none
 * (as ayil_store_item_held() names the one that created the record). */
static inline uint64_t ment_same_record(const mlog_t *l, uint64_t seq) {
  ayil_entry_t e, f;
  size_t j;
  if (ayil_entry_decode(&e, l->e[seq - 1].entry, l->e[seq - 1].elen) != 0 ||
      e.op == AYIL_OP_NOTICE)
    return 0;
  for (j = 0; j + 1 < seq; j++)
    if (l->e[j].entry != NULL &&
        ayil_entry_decode(&f, l->e[j].entry, l->e[j].elen) == 0 &&
        memcmp(f.record, e.record, AYIL_RECID_BYTES) == 0)
      return j + 1;
  return 0;
}

static inline int cb_get(void *ctx, const uint8_t *origin, uint64_t seq,
                         ayil_sync_item_t *it) {
  mlog_t *l = find_log(ctx, origin, 0);
  ment_t *e;
  if (l == NULL || seq == 0 || seq > l->durable)
    return AYIL_ENOTFOUND;
  e = &l->e[seq - 1];
  if (e->entry == NULL)
    return AYIL_ENOTFOUND; /* a hole of a sparse log */
  it->entry = e->entry;
  it->entry_len = e->elen;
  it->body = e->body;
  it->body_len = e->blen;
  it->proof = e->proof;
  it->proof_len = e->plen;
  it->ref_body = ment_held(l, seq);
  it->held = it->ref_body > 0;
  it->ref_record = it->held ? it->ref_body : ment_same_record(l, seq);
  return 0;
}

/* Back-references: the record id and body hash of a durable entry. */
static inline int cb_ref(void *ctx, const uint8_t *origin, uint64_t seq,
                         uint8_t rec[AYIL_RECID_BYTES],
                         uint8_t bh[AYIL_HASH_BYTES], int *has) {
  mstore_t *m = ctx;
  mlog_t *l = find_log(m, origin, 0);
  ayil_entry_t e;
  if (l == NULL || seq == 0 || seq > l->durable || l->e[seq - 1].entry == NULL)
    return AYIL_ENOTFOUND;
  if (ayil_entry_decode(&e, l->e[seq - 1].entry, l->e[seq - 1].elen) != 0)
    return AYIL_ECORRUPT;
  memcpy(rec, e.record, AYIL_RECID_BYTES);
  *has = e.has_body;
  if (e.has_body)
    memcpy(bh, e.body_hash, AYIL_HASH_BYTES);
  m->refs_asked++;
  return 0;
}

static inline int cb_deliver(void *ctx, const ayil_entry_t *d,
                             const ayil_sync_item_t *it) {
  mstore_t *m = ctx;
  mlog_t *l = find_log(m, d->origin, 1);
  if (d->seq <= l->n) {
    uint8_t h[AYIL_HASH_BYTES];
    ayil_entry_hash(it->entry, it->entry_len, h);
    return memcmp(h, l->e[d->seq - 1].hash, AYIL_HASH_BYTES) == 0 ? 0
                                                                  : AYIL_EFORK;
  }
  while (m->sparse && l->n + 1 < d->seq) {
    memset(&l->e[l->n], 0, sizeof l->e[0]); /* a hole */
    l->n++;
    assert_true(l->n < 400);
  }
  assert_int_equal(d->seq, l->n + 1);
  if (it->held) {
    /* As ayil_store_append_held(): the body held here under that hash for
     * that record, else stored without it (then repaired). */
    const ment_t *b = mstore_body(m, d->record, d->body_hash);
    uint8_t *copy = b != NULL ? dup_bytes(b->body, b->blen) : NULL;
    size_t blen = b != NULL ? b->blen : 0;
    assert_null(it->body);
    log_append(l, it->entry, it->entry_len, copy, blen, NULL, 0);
    free(copy);
    m->delivered++;
    if (b != NULL)
      m->held++;
    else
      m->unavailable++;
    return 0;
  }
  log_append(l, it->entry, it->entry_len, it->body, it->body_len, it->proof,
             it->proof_len);
  m->delivered++;
  if (it->unavailable) {
    assert_null(it->body);
    assert_null(it->proof);
    m->unavailable++;
  }
  return 0;
}

/* Body repair: an entry with a body hash held with neither body nor proof
 * lacks its body; a repair stores it. */
static inline int cb_lacking(void *ctx, const uint8_t *origin, uint64_t after,
                             uint64_t *seq) {
  mlog_t *l = find_log(ctx, origin, 0);
  size_t i;
  *seq = 0;
  for (i = after; l != NULL && i < l->durable; i++) {
    ayil_entry_t e;
    if (l->e[i].entry == NULL)
      continue; /* a hole of a sparse log */
    assert_int_equal(ayil_entry_decode(&e, l->e[i].entry, l->e[i].elen), 0);
    if (e.has_body && l->e[i].body == NULL && l->e[i].proof == NULL) {
      *seq = i + 1;
      break;
    }
  }
  return 0;
}

static inline int cb_repair(void *ctx, const uint8_t *origin, uint64_t seq,
                            const uint8_t *body, size_t len) {
  mstore_t *m = ctx;
  mlog_t *l = find_log(m, origin, 0);
  assert_non_null(l);
  assert_true(seq >= 1 && seq <= l->n);
  assert_null(l->e[seq - 1].body);
  l->e[seq - 1].body = dup_bytes(body, len);
  l->e[seq - 1].blen = len;
  m->repaired++;
  return 0;
}

static inline void cb_event(void *ctx, const ayil_sync_event_t *ev) {
  mstore_t *m = ctx;
  if (ev->type == AYIL_SYNC_EV_FORK) {
    m->forks++;
    m->forks_by_peer += ev->by_peer;
    m->fork_seq = ev->seq;
  } else if (ev->type == AYIL_SYNC_EV_ACKED) {
    m->acked = ev->seq;
  }
}

/* The sender's next entry for a sparse peer: every one, or those in
 * `only`. */
static inline int cb_next(void *ctx, const uint8_t *origin, uint64_t after,
                          uint64_t *seq) {
  mstore_t *m = ctx;
  mlog_t *l = find_log(m, origin, 0);
  uint64_t i;
  *seq = 0;
  for (i = after + 1; l != NULL && i <= l->durable; i++)
    if (m->only == NULL || m->only[i]) {
      *seq = i;
      break;
    }
  return 0;
}

static inline int cb_arrivals(void *ctx) {
  return ((mstore_t *)ctx)->arrivals;
}

static inline void cb_arrived(void *ctx, const uint8_t origin[AYIL_ID_BYTES],
                              uint64_t seq, uint64_t at) {
  mstore_t *m = ctx;
  m->narrived++;
  memcpy(m->arr_origin, origin, AYIL_ID_BYTES);
  m->arr_seq = seq;
  m->arr_at = at;
}

static inline void cb_named(void *ctx, const uint8_t origin[AYIL_ID_BYTES],
                            const char *name, size_t len) {
  mstore_t *m = ctx;
  (void)origin;
  memcpy(m->named, name, len);
  m->named[len] = '\0';
}

static inline size_t cb_name_of(void *ctx, const uint8_t origin[AYIL_ID_BYTES],
                                char *buf, size_t cap) {
  mstore_t *m = ctx;
  size_t n = m->name != NULL ? strlen(m->name) : 0;
  (void)origin;
  if (n > cap)
    return 0;
  memcpy(buf, m->name, n);
  return n;
}

static inline void mstore_policy(mstore_t *m, const uint8_t *id,
                                 unsigned flags) {
  memcpy(m->pol[m->npol].id, id, AYIL_ID_BYTES);
  m->pol[m->npol].flags = flags;
  m->npol++;
}

static inline ayil_sync_config_t config_for(mstore_t *m) {
  ayil_sync_config_t c;
  memset(&c, 0, sizeof c);
  c.ctx = m;
  c.origins = cb_origins;
  c.discover = cb_discover;
  c.head = cb_head;
  c.get = cb_get;
  c.next = cb_next;
  c.deliver = cb_deliver;
  c.event = cb_event;
  c.lacking = cb_lacking;
  c.repair = cb_repair;
  c.held = m->dials;
  if (m->refs) {
    c.ref = cb_ref;
    c.refs = m->dials;
  }
  c.arrivals = cb_arrivals;
  c.arrived = cb_arrived;
  c.named = cb_named;
  c.name_of = cb_name_of;
  return c;
}

/* ---- entries ---------------------------------------------------------- */

typedef struct {
  uint8_t pk[32];
  uint8_t sk[64];
} tkey_t;

static inline void key_from(tkey_t *k, uint8_t n) {
  uint8_t seed[32];
  memset(seed, n, sizeof seed);
  crypto_sign_seed_keypair(k->pk, k->sk, seed);
}

/* Appends a signed entry (durable) to `l`, with a body of `blen` bytes
 * (none if 0), op `op` on record `rec`, header `hdr` (NULL: none). */
static inline void write_entry_h(mlog_t *l, const tkey_t *k, size_t blen,
                                 uint8_t rec, uint32_t op, const uint8_t *hdr,
                                 size_t hlen) {
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

/* A status-only update of record `rec`: header `hdr`, the body of the last
 * entry of `l` on that record kept (its body hash, and a copy here). */
static inline void write_keep(mlog_t *l, const tkey_t *k, uint8_t rec,
                              const uint8_t *hdr, size_t hlen) {
  uint8_t buf[AYIL_ENTRY_MAX];
  ayil_entry_t e, f;
  const ment_t *b = NULL;
  size_t len = 0, j;
  memset(&e, 0, sizeof e);
  memset(e.record, rec, sizeof e.record);
  for (j = l->n; j > 0 && b == NULL; j--)
    if (ayil_entry_decode(&f, l->e[j - 1].entry, l->e[j - 1].elen) == 0 &&
        f.has_body && memcmp(f.record, e.record, AYIL_RECID_BYTES) == 0) {
      b = &l->e[j - 1];
      memcpy(e.body_hash, f.body_hash, AYIL_HASH_BYTES);
    }
  assert_non_null(b);
  memcpy(e.origin, k->pk, 32);
  e.seq = l->n + 1;
  memcpy(e.prev, l->e[l->n - 1].hash, AYIL_HASH_BYTES);
  e.ts_ms = 1767225600000ull + e.seq * 1000;
  e.op = AYIL_OP_PUT;
  e.codes_version = 1;
  e.header = hdr;
  e.header_len = hlen;
  e.has_body = 1;
  assert_int_equal(ayil_entry_sign(&e, k->sk, buf, sizeof buf, &len), 0);
  {
    uint8_t *copy = dup_bytes(b->body, b->blen);
    size_t blen = b->blen;
    log_append(l, buf, len, copy, blen, NULL, 0);
    free(copy);
  }
  l->durable = l->n;
}

/* The same with the header {"k": 1}, which has no compact form. */
static inline void write_entry(mlog_t *l, const tkey_t *k, size_t blen,
                               uint8_t rec, uint32_t op) {
  static const uint8_t header[] = {0x81, 0xa1, 'k', 0x01};
  write_entry_h(l, k, blen, rec, op, header, sizeof header);
}

static inline void write_n(mlog_t *l, const tkey_t *k, size_t n, size_t blen) {
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
static inline int msg_type(const uint8_t *msg, size_t len) {
  ayil_mp_t r = {msg, msg + len};
  size_t n = 0;
  uint64_t t = 0;
  if (ayil_mp_array(&r, &n) != 0 || n < 1 || ayil_mp_uint(&r, 255, &t) != 0)
    return -1;
  return (int)t;
}

static inline void commit_all(conn_t *c, int i) {
  mstore_t *m = c->m[i];
  size_t j;
  for (j = 0; j < m->nlogs; j++) {
    m->logs[j].durable = m->logs[j].n;
    if (c->s[i] != NULL)
      assert_int_equal(
          ayil_sync_committed(c->s[i], m->logs[j].id, m->logs[j].durable), 0);
  }
}

static inline void conn_open(conn_t *c, mstore_t *a, mstore_t *b) {
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

static inline void conn_close(conn_t *c) {
  ayil_sync_free(c->s[0]);
  ayil_sync_free(c->s[1]);
  c->s[0] = c->s[1] = NULL;
}

/* Moves messages both ways until neither side has anything to say, the
 * link is cut or a side fails. Returns the number of messages moved. When
 * both are quiet, the clock jumps to a timer due within an ack interval (an
 * ACK waiting for its time), as an embedder's timer would; pings are due
 * much later and end the pumping. */
static inline size_t pump(conn_t *c) {
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

static inline void assert_same_log(mstore_t *a, mstore_t *b,
                                   const uint8_t *id) {
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

static inline pair_t *pair_new(void) {
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

static inline void pair_free(pair_t *p) {
  mstore_free(&p->c);
  mstore_free(&p->h);
  free(p);
}

/* ---- hostile messages ---------------------------------------------------
 * A hub machine is started from a hand-made committee have payload; then
 * hand-made ENTRIES messages are fed to it. */

typedef struct {
  pair_t *p;
  ayil_sync_t *h;
  mlog_t *cl; /* the committee's genuine log, for material */
} hostile_t;

static inline hostile_t hostile_new_refs(size_t n, uint8_t flags, int refs) {
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
  t.p->h.refs = refs;
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

static inline hostile_t hostile_new_flags(size_t n, uint8_t flags) {
  return hostile_new_refs(n, flags, 0);
}

static inline hostile_t hostile_new(size_t n) {
  return hostile_new_flags(n, 0x03);
}

static inline void hostile_free(hostile_t *t) {
  ayil_sync_free(t->h);
  pair_free(t->p);
}

/* Builds [1, 0, first, prev|nil, records of entries first..first+n-1]
 * from the committee's log; `tweak` may alter the records. */
typedef void (*tweak_fn)(ayil__rec_t *rec, size_t i, uint8_t *scratch);

static inline size_t entries_msg(const mlog_t *l, uint64_t first, size_t n,
                                 const uint8_t *prev, tweak_fn tweak,
                                 uint8_t *out, size_t cap) {
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

static inline void tweak_sig(ayil__rec_t *rec, size_t i, uint8_t *scratch) {
  if (i != 2)
    return;
  memcpy(scratch, rec->sig, 64);
  scratch[10] ^= 1;
  rec->sig = scratch;
}

static inline void tweak_body(ayil__rec_t *rec, size_t i, uint8_t *scratch) {
  if (i != 2)
    return;
  memcpy(scratch, rec->body, rec->body_len);
  scratch[0] ^= 0x80;
  rec->body = scratch;
}

static inline void tweak_ts(ayil__rec_t *rec, size_t i, uint8_t *scratch) {
  (void)scratch;
  if (i == 2)
    rec->ts_ms++;
}

static inline void expect_refused(tweak_fn tweak, int want) {
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

/* The canonical header of an appeal, as `ayil record add` builds it. */
static inline void appeal_header_status(uint8_t **hdr, size_t *hlen,
                                        const char *status) {
  json_t *h = json_pack("{s:s, s:s, s:s, s:[s,s], s:s, s:s, s:s}", "kind",
                        "appeal", "month", "2026-03", "source", "police",
                        "violence", "physical", "economic", "survivor_sex",
                        "female", "survivor_age", "26-40", "status", status);
  assert_non_null(h);
  assert_int_equal(ayil_record_pack(h, hdr, hlen), 0);
  json_decref(h);
}

static inline void appeal_header(uint8_t **hdr, size_t *hlen) {
  json_t *h = json_pack("{s:s, s:s, s:s, s:[s,s], s:s, s:s, s:s}", "kind",
                        "appeal", "month", "2026-03", "source", "police",
                        "violence", "physical", "economic", "survivor_sex",
                        "female", "survivor_age", "26-40", "status", "open");
  assert_non_null(h);
  assert_int_equal(ayil_record_pack(h, hdr, hlen), 0);
  json_decref(h);
}

#endif

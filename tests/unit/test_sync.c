/* The sync state machine over in-memory stores: two machines, no I/O.
 * The exchange, windows, bodies, forks and hostile messages here; the
 * compact headers in test_sync_compact.c, early streams in
 * test_sync_early.c. */
#include "sync_fixture.h"

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

/* Sparse logs (PROTOCOL.md, "Sparse logs"): a committee takes its hub's
 * notice log sparse; the hub sends only what next() gives it, each run
 * after a gap as a new ENTRIES whose prev is the entry's own, and says
 * SKIPPED for what it leaves out at the end, so both sides go idle. */
static void hub_sends(conn_t *c, int *types, size_t *nt, uint8_t *last,
                      size_t *last_len) {
  size_t guard;
  *nt = 0;
  for (guard = 0; guard < 200; guard++) {
    int i, moved = 0;
    for (i = 1; i >= 0; i--) {
      const uint8_t *msg;
      size_t len = 0;
      assert_int_equal(ayil_sync_poll(c->s[i], c->now, &msg, &len), 0);
      if (len == 0)
        continue;
      moved = 1;
      if (i == 1) {
        types[(*nt)++] = msg_type(msg, len);
        memcpy(last, msg, len < 64 ? len : 64);
        *last_len = len;
      }
      assert_int_equal(ayil_sync_recv(c->s[1 - i], msg, len, c->now), 0);
      commit_all(c, 1 - i);
    }
    c->now += 600;
    if (!moved && ayil_sync_idle(c->s[0]) && ayil_sync_idle(c->s[1]))
      return;
  }
  fail_msg("the connection never went idle");
}

static void test_sparse(void **state) {
  static const uint8_t only[16] = {[2] = 1, [3] = 1, [7] = 1, [10] = 1};
  pair_t *p = pair_new();
  mlog_t *hl, *cl;
  conn_t c;
  ayil_sync_stats_t st;
  uint8_t have[AYIL_SYNC_HAVE_MAX], last[64];
  int types[64];
  size_t nt = 0, len = 0, last_len = 0, i;
  ayil_sync_t *s;
  ayil_sync_config_t cc;
  (void)state;
  hl = find_log(&p->h, p->kh.pk, 0);
  write_n(hl, &p->kh, 8, 0);
  p->h.only = only;
  p->c.pol[1].flags = AYIL_SYNC_WANT | AYIL_SYNC_SPARSE;
  p->c.sparse = 1;
  /* The committee's have row for the hub's log carries flag 32 with WANT:
   * [hub, 0, nil, 0x22]. */
  cc = config_for(&p->c);
  assert_int_equal(ayil_sync_new(&s, &cc, 0), 0);
  assert_int_equal(ayil_sync_have_payload(s, have, sizeof have, &len), 0);
  assert_int_equal(have[len - 1], 0x22);
  assert_int_equal(have[len - 2], 0xc0);
  ayil_sync_free(s);

  conn_open(&c, &p->c, &p->h);
  hub_sends(&c, types, &nt, last, &last_len);
  /* ENTRIES first=2 (2 and 3), ENTRIES first=7, then SKIPPED up to 8:
   * [13, 1, 8], 1 being the hub's log in the hub's own list. */
  assert_int_equal(nt, 3);
  assert_int_equal(types[0], AYIL__SYNC_ENTRIES);
  assert_int_equal(types[1], AYIL__SYNC_ENTRIES);
  assert_int_equal(types[2], AYIL__SYNC_SKIPPED);
  {
    static const uint8_t golden[] = {0x93, 0x0d, 0x01, 0x08};
    assert_int_equal(last_len, sizeof golden);
    assert_memory_equal(last, golden, sizeof golden);
  }
  ayil_sync_stats(c.s[1], &st);
  assert_int_equal(st.entries_sent, 3);
  cl = find_log(&p->c, p->kh.pk, 0);
  assert_non_null(cl);
  assert_int_equal(cl->n, 7);
  for (i = 1; i <= 7; i++) {
    if (only[i]) {
      assert_non_null(cl->e[i - 1].entry);
      assert_int_equal(cl->e[i - 1].elen, hl->e[i - 1].elen);
      assert_memory_equal(cl->e[i - 1].entry, hl->e[i - 1].entry,
                          hl->e[i - 1].elen);
    } else {
      assert_null(cl->e[i - 1].entry);
    }
  }
  assert_int_equal(p->c.delivered, 3);
  /* The hub heard 7 acknowledged; the link is idle, no ping due. */
  {
    uint64_t a = 0;
    assert_int_equal(ayil_sync_peer_acked(c.s[1], p->kh.pk, &a), 0);
    assert_int_equal(a, 7);
  }
  assert_true(ayil_sync_timeout_ms(c.s[0]) == UINT64_MAX);
  assert_true(ayil_sync_timeout_ms(c.s[1]) == UINT64_MAX);

  /* Live: two more notices, 9 not for the committee, 10 for it. */
  write_n(hl, &p->kh, 2, 0);
  assert_int_equal(ayil_sync_notify(c.s[1], p->kh.pk), 0);
  hub_sends(&c, types, &nt, last, &last_len);
  assert_int_equal(nt, 1);
  assert_int_equal(types[0], AYIL__SYNC_ENTRIES);
  assert_int_equal(cl->n, 10);
  assert_null(cl->e[8].entry);
  assert_memory_equal(cl->e[9].entry, hl->e[9].entry, hl->e[9].elen);
  conn_close(&c);

  /* A hub restored from a backup that ends at 9, a gap of the committee's
   * copy: nothing to compare there (start() used to fail NOTFOUND, on every
   * connection), nothing sent either way. */
  hl->durable = 9;
  conn_open(&c, &p->c, &p->h);
  hub_sends(&c, types, &nt, last, &last_len);
  assert_int_equal(p->c.forks, 0);
  assert_int_equal(cl->n, 10);
  conn_close(&c);
  hl->durable = 10;

  /* A new connection from the committee's head (10): nothing to send. */
  conn_open(&c, &p->c, &p->h);
  hub_sends(&c, types, &nt, last, &last_len);
  assert_int_equal(nt, 0);
  conn_close(&c);
  /* The hub's log grew by one that is not for it: only SKIPPED goes. */
  write_n(hl, &p->kh, 1, 0);
  conn_open(&c, &p->c, &p->h);
  assert_false(ayil_sync_idle(c.s[0])); /* it waits for 11, or SKIPPED */
  hub_sends(&c, types, &nt, last, &last_len);
  assert_int_equal(nt, 1);
  assert_int_equal(types[0], AYIL__SYNC_SKIPPED);
  assert_int_equal(cl->n, 10);
  conn_close(&c);

  /* A hub without next() sends every entry; the sparse side takes them. */
  p->h.only = NULL;
  conn_open(&c, &p->c, &p->h);
  hub_sends(&c, types, &nt, last, &last_len);
  assert_int_equal(nt, 1);
  assert_int_equal(cl->n, 11);
  assert_non_null(cl->e[10].entry);
  conn_close(&c);
  pair_free(p);
}

/* What a sparse receiver refuses: a gap whose prev is not the entry's own
 * (the signature covers it), SKIPPED below what was sent, SKIPPED of a log
 * not taken sparse, and a gap on a log not taken sparse. */
static void test_sparse_hostile(void **state) {
  uint8_t msg[4096], prev[AYIL_HASH_BYTES];
  size_t len;
  hostile_t t;
  (void)state;
  /* A hub machine that takes the committee's log sparse (WANT|SPARSE in
   * its own rows) from a peer that offers it. */
  t = hostile_new_flags(8, 0x03);
  t.p->h.pol[0].flags = AYIL_SYNC_OFFER | AYIL_SYNC_WANT;
  /* Not sparse: a gap is a sequence error. */
  len = entries_msg(t.cl, 5, 1, t.cl->e[3].hash, NULL, msg, sizeof msg);
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), AYIL_ESEQ);
  hostile_free(&t);
  /* Not sparse: SKIPPED is a protocol violation. */
  t = hostile_new_flags(8, 0x03);
  msg[0] = 0x93;
  msg[1] = 0x0d;
  msg[2] = 0x00;
  msg[3] = 0x05;
  assert_int_equal(ayil_sync_recv(t.h, msg, 4, 1), AYIL_EPEER);
  hostile_free(&t);
  {
    /* Sparse: a gap is taken; the entry after it is checked by its
     * signature, which covers prev. */
    pair_t *p = pair_new();
    ayil_sync_t *h;
    ayil_sync_config_t ch;
    uint8_t buf[AYIL_SYNC_HAVE_MAX], pay[128];
    mlog_t *cl = find_log(&p->c, p->kc.pk, 0);
    size_t o = 0;
    static const uint8_t head[] = {0x92, 0x02, 0x91, 0x94, 0xc4, 0x20};
    write_n(cl, &p->kc, 8, 40);
    p->h.pol[0].flags = AYIL_SYNC_WANT | AYIL_SYNC_SPARSE;
    p->h.sparse = 1;
    ch = config_for(&p->h);
    assert_int_equal(ayil_sync_new(&h, &ch, 0), 0);
    assert_int_equal(ayil_sync_have_payload(h, buf, sizeof buf, &len), 0);
    memcpy(pay, head, sizeof head);
    o = sizeof head;
    memcpy(pay + o, p->kc.pk, 32);
    o += 32;
    pay[o++] = 0x08; /* the peer holds 8 */
    pay[o++] = 0xc4;
    pay[o++] = 0x20;
    memcpy(pay + o, cl->e[7].hash, 32);
    o += 32;
    pay[o++] = 0x01; /* OFFER */
    assert_int_equal(ayil_sync_start(h, pay, o, 0), 0);
    /* A wrong prev past the gap: the rebuilt entry does not verify. */
    memcpy(prev, cl->e[3].hash, sizeof prev);
    prev[0] ^= 1;
    len = entries_msg(cl, 5, 1, prev, NULL, msg, sizeof msg);
    assert_int_equal(ayil_sync_recv(h, msg, len, 1), AYIL_ESIG);
    ayil_sync_free(h);
    assert_int_equal(ayil_sync_new(&h, &ch, 0), 0);
    assert_int_equal(ayil_sync_have_payload(h, buf, sizeof buf, &len), 0);
    assert_int_equal(ayil_sync_start(h, pay, o, 0), 0);
    len = entries_msg(cl, 5, 1, cl->e[3].hash, NULL, msg, sizeof msg);
    assert_int_equal(ayil_sync_recv(h, msg, len, 1), 0);
    assert_int_equal(p->h.delivered, 1);
    /* SKIPPED below what came: refused. */
    msg[0] = 0x93;
    msg[1] = 0x0d;
    msg[2] = 0x00;
    msg[3] = 0x03;
    assert_int_equal(ayil_sync_recv(h, msg, 4, 1), AYIL_EPEER);
    ayil_sync_free(h);
    pair_free(p);
  }
}

/* ARRIVED (PROTOCOL.md, "National tier", freshness): a side whose rows
 * carry ARRIVALS hears when the peer took in an origin's entries; a side
 * that did not ask gets none, and one sent anyway breaks the protocol. */
static void test_arrived(void **state) {
  int asks;
  (void)state;
  for (asks = 0; asks < 2; asks++) {
    pair_t *p = pair_new();
    conn_t c;
    p->h.arrivals = asks;
    write_n(find_log(&p->c, p->kc.pk, 0), &p->kc, 3, 100);
    conn_open(&c, &p->c, &p->h);
    pump(&c);
    assert_same_log(&p->c, &p->h, p->kc.pk);
    assert_int_equal(ayil_sync_arrived(c.s[0], p->kc.pk, 3, 1764806400), 0);
    assert_int_equal(ayil_sync_idle(c.s[0]), !asks);
    if (asks) {
      /* The golden bytes of PROTOCOL.md: [11, 0, 3, 1764806400]. */
      static const uint8_t gold[] = {0x94, 0x0b, 0x00, 0x03, 0xce,
                                     0x69, 0x30, 0xcf, 0x00};
      const uint8_t *msg = NULL;
      size_t len = 0;
      assert_int_equal(ayil_sync_poll(c.s[0], c.now, &msg, &len), 0);
      assert_int_equal(len, sizeof gold);
      assert_memory_equal(msg, gold, sizeof gold);
      assert_int_equal(ayil_sync_recv(c.s[1], msg, len, c.now), 0);
    }
    assert_int_equal(pump(&c), 0);
    assert_int_equal(c.err[0], 0);
    assert_int_equal(c.err[1], 0);
    assert_int_equal(p->h.narrived, (size_t)asks);
    if (asks) {
      assert_memory_equal(p->h.arr_origin, p->kc.pk, AYIL_ID_BYTES);
      assert_int_equal(p->h.arr_seq, 3);
      assert_int_equal(p->h.arr_at, 1764806400);
      {
        /* NAMED, [12, 0, "Ak-Suu"], as PROTOCOL.md's golden bytes. */
        static const uint8_t gold12[] = {0x93, 0x0c, 0x00, 0xa6, 0x41,
                                         0x6b, 0x2d, 0x53, 0x75, 0x75};
        const uint8_t *msg = NULL;
        size_t len = 0;
        p->c.name = "Ak-Suu";
        assert_int_equal(ayil_sync_name(c.s[0], p->kc.pk), 0);
        assert_int_equal(ayil_sync_poll(c.s[0], c.now, &msg, &len), 0);
        assert_int_equal(len, sizeof gold12);
        assert_memory_equal(msg, gold12, sizeof gold12);
        assert_int_equal(ayil_sync_recv(c.s[1], msg, len, c.now), 0);
        assert_string_equal(p->h.named, "Ak-Suu");
      }
      /* The same again says nothing new; an origin not named, nothing. */
      assert_int_equal(ayil_sync_arrived(c.s[0], p->kc.pk, 3, 1764806400), 0);
      {
        uint8_t stranger[AYIL_ID_BYTES];
        memset(stranger, 0x5a, sizeof stranger);
        assert_int_equal(ayil_sync_arrived(c.s[0], stranger, 9, 1), 0);
      }
      assert_int_equal(pump(&c), 0);
      assert_true(ayil_sync_idle(c.s[0]));
    } else {
      /* [11, 0, 3, 7] to a side that did not ask: EPEER, and sticky. */
      static const uint8_t msg[] = {0x94, 0x0b, 0x00, 0x03, 0x07};
      assert_int_equal(ayil_sync_recv(c.s[1], msg, sizeof msg, c.now),
                       AYIL_EPEER);
    }
    conn_close(&c);
    pair_free(p);
  }
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

/* Entry 3's body is damaged in the committee's store: its store hands it
 * out with neither body nor proof. The entry goes with its body marked
 * unavailable, and the entries around it sync. */
static void test_unavailable_body(void **state) {
  pair_t *p = pair_new();
  mlog_t *l = find_log(&p->c, p->kc.pk, 0);
  conn_t c;
  mlog_t *hl;
  size_t i;
  (void)state;
  write_n(l, &p->kc, 5, 300);
  free(l->e[2].body);
  l->e[2].body = NULL;
  l->e[2].blen = 0;
  conn_open(&c, &p->c, &p->h);
  pump(&c);
  assert_int_equal(c.err[0], 0);
  assert_int_equal(c.err[1], 0);
  hl = find_log(&p->h, p->kc.pk, 0);
  assert_int_equal(hl->n, 5);
  assert_int_equal(p->h.delivered, 5);
  assert_int_equal(p->h.unavailable, 1);
  for (i = 0; i < 5; i++) {
    assert_memory_equal(hl->e[i].hash, l->e[i].hash, AYIL_HASH_BYTES);
    if (i == 2)
      assert_null(hl->e[i].body);
    else
      assert_memory_equal(hl->e[i].body, l->e[i].body, 300);
  }
  assert_int_equal(p->c.acked, 5);
  assert_true(ayil_sync_idle(c.s[0]));
  conn_close(&c);
  pair_free(p);
}

/* The committee's body of entry 2 is damaged after the hub stored it: on
 * the next connection the committee asks for it (WANTBODY) and gets it back
 * (REPAIR), checked against the hash; entry 4, lost at both, is asked for
 * and not answered; nothing else moves. */
static void test_body_repair(void **state) {
  pair_t *p = pair_new();
  mlog_t *l = find_log(&p->c, p->kc.pk, 0), *hl;
  conn_t c;
  (void)state;
  write_n(l, &p->kc, 5, 300);
  conn_open(&c, &p->c, &p->h);
  pump(&c);
  conn_close(&c);
  hl = find_log(&p->h, p->kc.pk, 0);
  assert_int_equal(hl->n, 5);
  free(l->e[1].body);
  l->e[1].body = NULL;
  l->e[1].blen = 0;
  free(l->e[3].body);
  l->e[3].body = NULL;
  free(hl->e[3].body);
  hl->e[3].body = NULL;
  conn_open(&c, &p->c, &p->h);
  pump(&c);
  assert_int_equal(c.err[0], 0);
  assert_int_equal(c.err[1], 0);
  assert_int_equal(p->c.repaired, 1);
  assert_memory_equal(l->e[1].body, hl->e[1].body, 300);
  assert_null(l->e[3].body);
  assert_int_equal(p->h.repaired, 0);
  assert_int_equal(p->h.delivered, 5); /* all from the first connection */
  conn_close(&c);

  /* Repaired: the next connection asks for entry 4 only. */
  conn_open(&c, &p->c, &p->h);
  pump(&c);
  assert_int_equal(c.msgs[0], 1); /* [WANTBODY, 0, 4] */
  assert_int_equal(p->c.repaired, 1);
  conn_close(&c);
  pair_free(p);
}

/* A REPAIR nobody asked for, one whose body is not the entry's, and a
 * WANTBODY for a log the side does not offer end the connection. */
static void test_body_repair_hostile(void **state) {
  hostile_t t = hostile_new(3);
  uint8_t msg[512];
  ayil_mp_wbuf_t w;
  (void)state;
  /* [10, 0, 1, body]: unsolicited. */
  ayil_mp_wbuf_init(&w, msg, sizeof msg);
  msgpack_pack_array(&w.pk, 4);
  msgpack_pack_uint32(&w.pk, AYIL__SYNC_REPAIR);
  msgpack_pack_uint32(&w.pk, 0);
  msgpack_pack_uint64(&w.pk, 1);
  ayil_mp_pack_bin(&w.pk, t.cl->e[0].body, t.cl->e[0].blen);
  assert_int_equal(ayil_sync_recv(t.h, msg, w.len, 1), AYIL_EPEER);
  hostile_free(&t);

  {
    pair_t *p = pair_new();
    conn_t c;
    write_n(find_log(&p->h, p->kh.pk, 0), &p->kh, 2, 100);
    conn_open(&c, &p->c, &p->h);
    pump(&c);
    /* The committee holds the hub's log; it offers it nowhere. */
    ayil_mp_wbuf_init(&w, msg, sizeof msg);
    msgpack_pack_array(&w.pk, 3);
    msgpack_pack_uint32(&w.pk, AYIL__SYNC_WANTBODY);
    msgpack_pack_uint32(&w.pk, 1); /* the hub's row 1: its own log */
    msgpack_pack_uint64(&w.pk, 1);
    assert_int_equal(ayil_sync_recv(c.s[0], msg, w.len, 5), AYIL_EPERM);
    /* Wrong arity. */
    conn_close(&c);
    conn_open(&c, &p->c, &p->h);
    msg[0] = 0x92; /* [9, 1] */
    assert_int_equal(ayil_sync_recv(c.s[0], msg, 3, 5), AYIL_EFORMAT);
    conn_close(&c);
    pair_free(p);
  }
}

static void tweak_unavailable(ayil__rec_t *rec, size_t i, uint8_t *scratch) {
  if (i != 2)
    return;
  ayil_body_hash(rec->body, rec->body_len, scratch);
  rec->body_kind = AYIL__BODY_UNAVAILABLE;
  rec->body_hash = scratch;
}

static void tweak_unavailable_wrong(ayil__rec_t *rec, size_t i,
                                    uint8_t *scratch) {
  tweak_unavailable(rec, i, scratch);
  if (i == 2)
    scratch[5] ^= 1;
}

/* The wire form [body_hash]: delivered without its body when the hash is
 * the signed one; another hash fails the signature; other arities and a
 * hash of another size are FORMAT. */
static void test_unavailable_body_wire(void **state) {
  hostile_t t = hostile_new(5);
  uint8_t msg[8192];
  size_t len, o;
  static const uint8_t arity[] = {0x90, 0x92, 0x93};
  (void)state;
  len = entries_msg(t.cl, 1, 5, NULL, tweak_unavailable, msg, sizeof msg);
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), 0);
  assert_int_equal(t.p->h.delivered, 5);
  assert_int_equal(t.p->h.unavailable, 1);
  hostile_free(&t);

  expect_refused(tweak_unavailable_wrong, AYIL_ESIG);

  for (size_t a = 0; a < sizeof arity + 1; a++) {
    t = hostile_new(5);
    len = entries_msg(t.cl, 1, 5, NULL, tweak_unavailable, msg, sizeof msg);
    for (o = 0; o + 3 < len; o++)
      if (msg[o] == 0x91 && msg[o + 1] == 0xc4 && msg[o + 2] == 0x20)
        break;
    assert_true(o + 3 < len);
    if (a < sizeof arity)
      msg[o] = arity[a]; /* [], [hash, ...], [hash, ..., ...] */
    else
      msg[o + 2] = 0x1f; /* a 31-byte hash */
    assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), AYIL_EFORMAT);
    assert_int_equal(t.p->h.delivered, 2);
    hostile_free(&t);
  }
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

/* Pings held back by a stalled link arrive together and are answered by
 * one pong; 17 in a row with the pong still due is a flood (PROTOCOL.md,
 * "Liveness"), and the connection ends with AYIL_EPEER. */
static void test_ping_flood(void **state) {
  pair_t *p = pair_new();
  conn_t c;
  const uint8_t *msg;
  size_t len = 0;
  int i;
  (void)state;
  conn_open(&c, &p->c, &p->h);
  for (i = 0; i < 5; i++)
    assert_int_equal(
        ayil_sync_recv(c.s[1], (const uint8_t *)"\x91\x06", 2, 2000), 0);
  assert_int_equal(ayil_sync_poll(c.s[1], 2000, &msg, &len), 0);
  assert_int_equal(len, 2);
  assert_memory_equal(msg, "\x91\x07", 2);
  assert_int_equal(ayil_sync_poll(c.s[1], 2000, &msg, &len), 0);
  assert_int_equal(len, 0);
  /* Answered: the count starts again. A flood without polls: */
  for (i = 0; i < 17; i++)
    assert_int_equal(
        ayil_sync_recv(c.s[1], (const uint8_t *)"\x91\x06", 2, 3000), 0);
  assert_int_equal(ayil_sync_recv(c.s[1], (const uint8_t *)"\x91\x06", 2, 3000),
                   AYIL_EPEER);
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

/* Sends the committee's log to the hub over one connection; the bytes the
 * committee sent. */
static uint64_t sync_bytes(pair_t *p) {
  conn_t c;
  ayil_sync_stats_t st;
  conn_open(&c, &p->c, &p->h);
  pump(&c);
  assert_int_equal(c.err[0], 0);
  assert_int_equal(c.err[1], 0);
  ayil_sync_stats(c.s[0], &st);
  conn_close(&c);
  return st.bytes_sent;
}

/* A status-only update keeps its record's body hash: to a peer whose have
 * says HELD, it goes as [hash, true] and the hub stores the body it holds;
 * to a peer that does not say so, inline as before. Same logs either way. */
static void test_held_body(void **state) {
  uint64_t bytes[2];
  size_t held[2];
  int dials;
  (void)state;
  for (dials = 0; dials < 2; dials++) {
    pair_t *p = pair_new();
    mlog_t *l = find_log(&p->c, p->kc.pk, 0), *hl;
    uint8_t *h1 = NULL, *h2 = NULL;
    size_t n1 = 0, n2 = 0;
    appeal_header_status(&h1, &n1, "open");
    appeal_header_status(&h2, &n2, "closed");
    p->c.dials = dials;
    write_entry_h(l, &p->kc, 2000, 0x22, AYIL_OP_PUT, h1, n1);
    write_entry(l, &p->kc, 300, 0x33, AYIL_OP_PUT);
    (void)sync_bytes(p);
    /* Two status-only updates of record 0x22, one of 0x33. */
    write_keep(l, &p->kc, 0x22, h2, n2);
    write_keep(l, &p->kc, 0x33, h1, n1);
    write_keep(l, &p->kc, 0x22, h1, n1);
    bytes[dials] = sync_bytes(p);
    held[dials] = p->h.held;
    hl = find_log(&p->h, p->kc.pk, 0);
    assert_int_equal(hl->n, 5);
    assert_same_log(&p->c, &p->h, p->kc.pk);
    assert_int_equal(p->h.unavailable, 0);
    assert_memory_equal(hl->e[2].body, l->e[0].body, 2000);
    assert_memory_equal(hl->e[4].body, l->e[0].body, 2000);
    assert_memory_equal(hl->e[3].body, l->e[1].body, 300);
    free(h1);
    free(h2);
    pair_free(p);
  }
  assert_int_equal(held[0], 0);
  assert_int_equal(held[1], 3);
  /* 2000 + 300 + 2000 bytes of bodies not sent, 3 x 36 bytes of marks. */
  assert_true(bytes[0] > 4300 && bytes[1] < bytes[0] - 4300 + 3 * 36);
}

static void tweak_held3(ayil__rec_t *rec, size_t i, uint8_t *scratch) {
  if (i != 2)
    return;
  ayil_body_hash(rec->body, rec->body_len, scratch);
  rec->body_kind = AYIL__BODY_HELD;
  rec->body_hash = scratch;
}

static void tweak_unavail1_held3(ayil__rec_t *rec, size_t i, uint8_t *scratch) {
  if (i == 0) {
    ayil_body_hash(rec->body, rec->body_len, scratch + 64);
    rec->body_kind = AYIL__BODY_UNAVAILABLE;
    rec->body_hash = scratch + 64;
  }
  tweak_held3(rec, i, scratch);
}

/* Entry 1's body hash, for the hostile tweak below: another record's body,
 * which the hub holds. */
static uint8_t g_foreign[AYIL_HASH_BYTES];

static void tweak_held_foreign(ayil__rec_t *rec, size_t i, uint8_t *scratch) {
  if (i != 2)
    return;
  memcpy(scratch, g_foreign, AYIL_HASH_BYTES);
  rec->body_kind = AYIL__BODY_HELD;
  rec->body_hash = scratch;
}

/* Hand-made held forms at a hub: the held body is the one the hub holds for
 * that record; one it does not hold makes the entry unavailable (body
 * repair follows); another record's body hash fails the signature; a
 * malformed mark is FORMAT. */
static void test_held_body_wire(void **state) {
  hostile_t t;
  uint8_t msg[8192], *hdr = NULL;
  size_t len, hlen = 0, o;
  mlog_t *hl;
  (void)state;
  appeal_header_status(&hdr, &hlen, "closed");

  /* Entry 3 keeps entry 1's body (record 1); entries 4, 5 are new. */
  t = hostile_new(2);
  write_keep(t.cl, &t.p->kc, 1, hdr, hlen);
  write_n(t.cl, &t.p->kc, 2, 40);
  len = entries_msg(t.cl, 1, 5, NULL, tweak_held3, msg, sizeof msg);
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), 0);
  assert_int_equal(t.p->h.delivered, 5);
  assert_int_equal(t.p->h.held, 1);
  assert_int_equal(t.p->h.unavailable, 0);
  hl = find_log(&t.p->h, t.p->kc.pk, 0);
  assert_memory_equal(hl->e[2].body, t.cl->e[0].body, 40);
  hostile_free(&t);

  /* The hub never got entry 1's body: entry 3 is stored without it. */
  t = hostile_new(2);
  write_keep(t.cl, &t.p->kc, 1, hdr, hlen);
  write_n(t.cl, &t.p->kc, 2, 40);
  len = entries_msg(t.cl, 1, 5, NULL, tweak_unavail1_held3, msg, sizeof msg);
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), 0);
  assert_int_equal(t.p->h.delivered, 5);
  assert_int_equal(t.p->h.held, 0);
  assert_int_equal(t.p->h.unavailable, 2);
  hl = find_log(&t.p->h, t.p->kc.pk, 0);
  assert_null(hl->e[2].body);
  {
    uint64_t lack = 0;
    hl->durable = hl->n;
    assert_int_equal(cb_lacking(&t.p->h, t.p->kc.pk, 1, &lack), 0);
    assert_int_equal(lack, 3); /* what the next connection asks for */
  }
  hostile_free(&t);

  /* Entry 2's body hash (record 2, held by the hub) for entry 3 (record 1):
   * the entry signed another hash, so it does not verify. */
  t = hostile_new(2);
  write_keep(t.cl, &t.p->kc, 1, hdr, hlen);
  write_n(t.cl, &t.p->kc, 2, 40);
  ayil_body_hash(t.cl->e[1].body, t.cl->e[1].blen, g_foreign);
  len = entries_msg(t.cl, 1, 5, NULL, tweak_held_foreign, msg, sizeof msg);
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), AYIL_ESIG);
  assert_int_equal(t.p->h.delivered, 2);
  assert_int_equal(t.p->h.held, 0);
  hostile_free(&t);

  /* [hash, false], [hash, nil], a 31-byte hash: FORMAT. */
  for (int k = 0; k < 3; k++) {
    t = hostile_new(2);
    write_keep(t.cl, &t.p->kc, 1, hdr, hlen);
    len = entries_msg(t.cl, 1, 3, NULL, tweak_held3, msg, sizeof msg);
    for (o = 0; o + 36 < len; o++)
      if (msg[o] == 0x92 && msg[o + 1] == 0xc4 && msg[o + 2] == 0x20 &&
          msg[o + 35] == 0xc3)
        break;
    assert_true(o + 36 < len);
    if (k == 0)
      msg[o + 35] = 0xc2;
    else if (k == 1)
      msg[o + 35] = 0xc0;
    else
      msg[o + 2] = 0x1f;
    assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), AYIL_EFORMAT);
    assert_int_equal(t.p->h.delivered, 2);
    hostile_free(&t);
  }
  free(hdr);
}

/* Back-references: to a hub that reads them, a status-only update names
 * its record id and its held body by an earlier entry of the log that the
 * hub acknowledged, a few bytes instead of 16 + 36. Updates of entries not
 * yet acknowledged go as before. Same logs either way. */
static void test_refs_body(void **state) {
  uint64_t bytes[2], unacked[2];
  size_t held[2];
  int refs;
  (void)state;
  for (refs = 0; refs < 2; refs++) {
    pair_t *p = pair_new();
    mlog_t *l = find_log(&p->c, p->kc.pk, 0), *hl;
    uint8_t *h1 = NULL, *h2 = NULL;
    size_t n1 = 0, n2 = 0, asked;
    appeal_header_status(&h1, &n1, "open");
    appeal_header_status(&h2, &n2, "closed");
    p->c.dials = 1;
    p->c.refs = p->h.refs = refs;
    write_entry_h(l, &p->kc, 2000, 0x22, AYIL_OP_PUT, h1, n1);
    write_entry(l, &p->kc, 300, 0x33, AYIL_OP_PUT);
    (void)sync_bytes(p);
    /* Acknowledged: entries 1 and 2. Three updates name them. */
    write_keep(l, &p->kc, 0x22, h2, n2);
    write_keep(l, &p->kc, 0x33, h1, n1);
    write_entry_h(l, &p->kc, 500, 0x22, AYIL_OP_PUT, h1, n1); /* new body */
    bytes[refs] = sync_bytes(p);
    held[refs] = p->h.held;
    hl = find_log(&p->h, p->kc.pk, 0);
    assert_int_equal(hl->n, 5);
    assert_same_log(&p->c, &p->h, p->kc.pk);
    assert_int_equal(p->h.unavailable, 0);
    assert_memory_equal(hl->e[2].body, l->e[0].body, 2000);
    assert_memory_equal(hl->e[3].body, l->e[1].body, 300);
    assert_memory_equal(hl->e[4].body, l->e[4].body, 500);
    /* Entry 6 keeps entry 5's body, written before any of it was
     * acknowledged: both go in one message, entry 6 as [hash, true]. */
    write_entry_h(l, &p->kc, 0, 0x44, AYIL_OP_PUT, h1, n1);
    write_entry_h(l, &p->kc, 700, 0x55, AYIL_OP_PUT, h1, n1);
    write_keep(l, &p->kc, 0x55, h2, n2);
    unacked[refs] = sync_bytes(p);
    assert_same_log(&p->c, &p->h, p->kc.pk);
    assert_memory_equal(hl->e[7].body, l->e[6].body, 700);
    /* A new body too big for one message (BODY chunks) for record 0x22:
     * its record id still goes as a reference to entry 1. */
    asked = p->h.refs_asked;
    write_entry_h(l, &p->kc, 70000, 0x22, AYIL_OP_PUT, h2, n2);
    (void)sync_bytes(p);
    assert_int_equal(p->h.refs_asked, asked + (refs ? 1 : 0));
    assert_same_log(&p->c, &p->h, p->kc.pk);
    assert_int_equal(hl->e[8].blen, 70000);
    assert_memory_equal(hl->e[8].body, l->e[8].body, 70000);
    if (refs)
      assert_true(p->h.refs_asked >= 3);
    else
      assert_int_equal(p->h.refs_asked, 0);
    free(h1);
    free(h2);
    pair_free(p);
  }
  assert_int_equal(held[0], 2);
  assert_int_equal(held[1], 2);
  /* Three record ids (16 bytes each) and two held marks (36 bytes each)
   * became references of a byte or two. */
  assert_true(bytes[1] + 3 * 14 + 2 * 33 <= bytes[0]);
  /* Nothing acknowledged to name: the same bytes. */
  assert_int_equal(unacked[1], unacked[0]);
}

/* Entry 3 is a status-only update of record 1 (entry 1's body): as refs. */
static uint64_t g_rref, g_bref;
static size_t hlen_g;

static void tweak_refs3(ayil__rec_t *rec, size_t i, uint8_t *scratch) {
  (void)scratch;
  if (i != 0)
    return;
  rec->record_ref = g_rref;
  if (g_bref != UINT64_MAX) {
    rec->body_kind = AYIL__BODY_REF;
    rec->body_ref = g_bref;
  }
}

/* Hand-made back-references at a hub: resolved against the entries the hub
 * holds; a wrong one fails the signature, one before the log's start is
 * FORMAT, one to an entry the hub does not hold (or to one without a body,
 * for a body) is the peer's fault, and a hub that does not read them takes
 * them for FORMAT. Nothing is delivered from the bad record on. */
static void test_refs_wire(void **state) {
  static const struct {
    uint64_t rref, bref;
    int refs, commit, want;
  } cases[] = {
      {2, 2, 1, 1, 0},            /* record 1 and its body: stored */
      {2, UINT64_MAX, 1, 1, 0},   /* the record id only, body inline */
      {0, 2, 1, 1, 0},            /* the body only */
      {1, 2, 1, 1, AYIL_ESIG},    /* entry 2's record id: record 2 */
      {2, 1, 1, 1, AYIL_ESIG},    /* entry 2's body: another hash */
      {3, 2, 1, 1, AYIL_EFORMAT}, /* before entry 1 */
      {2, 3, 1, 1, AYIL_EFORMAT}, /* body: before entry 1 */
      {2, 0, 1, 1, AYIL_EFORMAT}, /* body [0] */
      {2, 2, 1, 0, AYIL_EPEER},   /* entries 1, 2 not durable here */
      {2, 2, 0, 1, AYIL_EFORMAT}, /* a hub that does not read them */
      {2, UINT64_MAX, 0, 1, AYIL_EFORMAT},
  };
  uint8_t msg[8192], *hdr = NULL;
  size_t len, i;
  (void)state;
  appeal_header_status(&hdr, &hlen_g, "closed");
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    hostile_t t = hostile_new_refs(2, 0x03, cases[i].refs);
    mlog_t *hl;
    write_keep(t.cl, &t.p->kc, 1, hdr, hlen_g);
    len = entries_msg(t.cl, 1, 2, NULL, NULL, msg, sizeof msg);
    assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), 0);
    hl = find_log(&t.p->h, t.p->kc.pk, 0);
    if (cases[i].commit)
      hl->durable = hl->n;
    g_rref = cases[i].rref;
    g_bref = cases[i].bref;
    len =
        entries_msg(t.cl, 3, 1, t.cl->e[1].hash, tweak_refs3, msg, sizeof msg);
    assert_int_equal(ayil_sync_recv(t.h, msg, len, 2), cases[i].want);
    assert_int_equal(t.p->h.delivered, cases[i].want == 0 ? 3 : 2);
    if (cases[i].want == 0) {
      assert_same_log(&t.p->c, &t.p->h, t.p->kc.pk);
      assert_memory_equal(hl->e[2].body, t.cl->e[0].body, 40);
      assert_int_equal(t.p->h.held, cases[i].bref == UINT64_MAX ? 0 : 1);
    }
    hostile_free(&t);
  }
  free(hdr);
}

#define GOLDEN_HELD_HAVE                                                       \
  "92029294c4208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f"   \
  "6f5c01c42056347d13d5f1a8df7deee72265ed607052ec8085ec5c1f345e6beb9e127ddb"   \
  "930b94c4208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b3"   \
  "9400c00a"
#define GOLDEN_HELD_MORE                                                       \
  "93080097cd03e8c4102222222222222222222222222222222201019800cd05ea00030900"   \
  "030292c4204dd2d41e9c8fb5196ba5d0ca5060b6b3378a5ba4ab06c9452616dc0d279fc5"   \
  "1dc3c4407e5e4826616992387072d1bf7b52f11c8e65e47e12000985c10e5c3a5cc47a1b"   \
  "e1ec6d26eb61f529dfa11067ac334bbbc2df65c2b1559972e1b35bc949e0b801"

#define GOLDEN_REFS_HAVE                                                       \
  "92029294c4208a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f"   \
  "6f5c01c42056347d13d5f1a8df7deee72265ed607052ec8085ec5c1f345e6beb9e127ddb"   \
  "934b94c4208139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b3"   \
  "9400c04a"
#define GOLDEN_REFS_MORE                                                       \
  "93080097cd03e80101019800cd05ea0003090003029101c4407e5e4826616992387072d1"   \
  "bf7b52f11c8e65e47e12000985c10e5c3a5cc47a1be1ec6d26eb61f529dfa11067ac334b"   \
  "bbc2df65c2b1559972e1b35bc949e0b801"

/* A committee that dials a hub sends an appeal (entry 1) with a 4-byte body;
 * the hub stores and acknowledges it; then a status-only update (entry 2:
 * status open -> closed, the body kept) goes in a MORE. Checks the have and
 * that MORE against golden bytes, and that the hub stores entry 2 with the
 * body it holds. refs: the committee and the hub read back-references. */
static void golden_update(int refs, const char *want_have,
                          const char *want_more) {
  pair_t *p = pair_new();
  mlog_t *cl = find_log(&p->c, p->kc.pk, 0);
  ayil_sync_config_t cc, ch;
  ayil_sync_t *a = NULL, *h = NULL;
  uint8_t pa[AYIL_SYNC_HAVE_MAX], ph[AYIL_SYNC_HAVE_MAX], *h1 = NULL,
                                                          *h2 = NULL;
  size_t la = 0, lh = 0, n1 = 0, n2 = 0;
  const uint8_t *msg;
  size_t len = 0;
  char hex[4096];
  int print = getenv("AYIL_PRINT_GOLDEN") != NULL;
  p->c.dials = 1;
  p->c.refs = p->h.refs = refs;
  cc = config_for(&p->c);
  ch = config_for(&p->h);
  appeal_header_status(&h1, &n1, "open");
  appeal_header_status(&h2, &n2, "closed");
  write_entry_h(cl, &p->kc, 4, 0x22, AYIL_OP_PUT, h1, n1);
  assert_int_equal(ayil_sync_new(&a, &cc, 0), 0);
  assert_int_equal(ayil_sync_new(&h, &ch, 0), 0);
  assert_int_equal(ayil_sync_have_payload(a, pa, sizeof pa, &la), 0);
  assert_int_equal(ayil_sync_have_payload(h, ph, sizeof ph, &lh), 0);
  sodium_bin2hex(hex, sizeof hex, pa, la);
  if (print)
    printf("%s have: %s\n", refs ? "refs" : "held", hex);
  assert_string_equal(hex, want_have);
  assert_int_equal(ayil_sync_start(a, ph, lh, 0), 0);
  assert_int_equal(ayil_sync_start(h, pa, la, 0), 0);
  assert_int_equal(ayil_sync_poll(a, 0, &msg, &len), 0);
  assert_int_equal(ayil_sync_recv(h, msg, len, 0), 0);
  /* The hub commits entry 1 and acknowledges it. */
  find_log(&p->h, p->kc.pk, 0)->durable = 1;
  assert_int_equal(ayil_sync_committed(h, p->kc.pk, 1), 0);
  assert_int_equal(ayil_sync_poll(h, AYIL_SYNC_ACK_MS_DEFAULT, &msg, &len), 0);
  assert_int_equal(msg_type(msg, len), AYIL__SYNC_ACK);
  assert_int_equal(ayil_sync_recv(a, msg, len, 0), 0);
  write_keep(cl, &p->kc, 0x22, h2, n2);
  assert_int_equal(ayil_sync_notify(a, p->kc.pk), 0);
  assert_int_equal(ayil_sync_poll(a, 0, &msg, &len), 0);
  sodium_bin2hex(hex, sizeof hex, msg, len);
  if (print)
    printf("%s more: %s\n", refs ? "refs" : "held", hex);
  assert_string_equal(hex, want_more);
  /* The receiver decodes exactly those bytes into the held entry (with
   * references: one lookup of entry 1 for both). */
  assert_int_equal(ayil_sync_recv(h, msg, len, 0), 0);
  assert_int_equal(p->h.held, 1);
  assert_int_equal(p->h.refs_asked, refs ? 1 : 0);
  assert_same_log(&p->c, &p->h, p->kc.pk);
  free(h1);
  free(h2);
  ayil_sync_free(a);
  ayil_sync_free(h);
  pair_free(p);
}

/* Golden bytes of the held form: the committee marks its have rows HELD
 * (8); its update goes as [body_hash, true]. */
static void test_golden_held(void **state) {
  (void)state;
  golden_update(0, GOLDEN_HELD_HAVE, GOLDEN_HELD_MORE);
}

/* Golden bytes of back-references: HELD | REFS (8 | 64); the update names
 * the record id and the kept body by entry 1: record 1 (k = 2 - 1), body
 * [1]. */
static void test_golden_refs(void **state) {
  (void)state;
  golden_update(1, GOLDEN_REFS_HAVE, GOLDEN_REFS_MORE);
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
      cmocka_unit_test(test_arrived),
      cmocka_unit_test(test_resume_after_cut),
      cmocka_unit_test(test_resend_at_most_one_window),
      cmocka_unit_test(test_acks_are_frequent),
      cmocka_unit_test(test_full_batches),
      cmocka_unit_test(test_large_body_chunked),
      cmocka_unit_test(test_purged_body_with_proof),
      cmocka_unit_test(test_unavailable_body),
      cmocka_unit_test(test_unavailable_body_wire),
      cmocka_unit_test(test_body_repair),
      cmocka_unit_test(test_body_repair_hostile),
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
      cmocka_unit_test(test_ping_flood),
      cmocka_unit_test(test_sparse),
      cmocka_unit_test(test_sparse_hostile),
      cmocka_unit_test(test_golden),
      cmocka_unit_test(test_golden_held),
      cmocka_unit_test(test_held_body),
      cmocka_unit_test(test_held_body_wire),
      cmocka_unit_test(test_refs_body),
      cmocka_unit_test(test_golden_refs),
      cmocka_unit_test(test_refs_wire),
      cmocka_unit_test(test_api_misuse),
  };
  if (sodium_init() < 0)
    return 1;
  return cmocka_run_group_tests(tests, NULL, NULL);
}

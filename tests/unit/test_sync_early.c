/* Sync: early streams (ayil_sync_assume), the client streaming behind
 * its auth before it read the server's have. */
#include "sync_fixture.h"

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

/* The hub holds more than assumed, by more than a window, while the early
 * stream is in the middle of a chunked record: the record goes on whole,
 * then the stream skips to the hub's head. (It used to go on with entries
 * the hub held, which the hub never acknowledges, until the window was
 * full and the connection stalled for good: simulator seed 835.) */
static void test_early_peer_ahead_chunked(void **state) {
  pair_t *p = pair_new();
  mlog_t *cl = find_log(&p->c, p->kc.pk, 0);
  conn_t c;
  ayil_sync_stats_t st;
  (void)state;
  write_n(cl, &p->kc, 3, 100);
  write_entry(cl, &p->kc, 150000, 77, AYIL_OP_PUT); /* seq 4, chunked */
  write_n(cl, &p->kc, 100, 300); /* 5..104: 30 KB, twice the window */
  write_n(cl, &p->kc, 5, 300);   /* 105..109: new to the hub */
  hub_holds(p, 104);
  /* The ENTRIES with the big record and one BODY before the accept. */
  assert_int_equal(conn_open_early(&c, p, 3, 2), 2);
  pump(&c);
  assert_early_done(&c, p);
  assert_int_equal(p->h.delivered, 5);
  assert_int_equal(p->c.acked, 109);
  ayil_sync_stats(c.s[0], &st);
  /* The chunked record, then 105..109: none of 5..104 went. */
  assert_int_equal(st.entries_sent, 6);
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

  /* A flag past REFS is a format error. */
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
    pay[o++] = 0xcc;
    pay[o++] = 0x80; /* no such flag (64 is REFS) */
    assert_int_equal(ayil_sync_start(h, pay, o, 0), AYIL_EFORMAT);
    ayil_sync_free(h);
    /* SPARSE qualifies WANT: alone it is a protocol violation. */
    assert_int_equal(ayil_sync_new(&h, &ch, 0), 0);
    assert_int_equal(ayil_sync_have_payload(h, buf, sizeof buf, &len), 0);
    o -= 2;
    pay[o++] = 0x20;
    assert_int_equal(ayil_sync_start(h, pay, o, 0), AYIL_EPEER);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_early_assumption_right),
      cmocka_unit_test(test_early_peer_ahead),
      cmocka_unit_test(test_early_peer_behind),
      cmocka_unit_test(test_early_peer_behind_chunked),
      cmocka_unit_test(test_early_peer_ahead_chunked),
      cmocka_unit_test(test_early_peer_behind_catches_up),
      cmocka_unit_test(test_early_not_wanted),
      cmocka_unit_test(test_early_fork),
      cmocka_unit_test(test_early_hostile),
  };
  if (sodium_init() < 0)
    return 1;
  return cmocka_run_group_tests(tests, NULL, NULL);
}

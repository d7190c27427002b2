/* ayild's connection lifecycle on a loop of the test's own, in the manner
 * of libuv's test/test-tcp-close.c: callbacks are counted, the loop is run,
 * the counts asserted, every handle closed and uv_loop_close() must be 0
 * (ASan finds what a close path leaks or frees twice). The peer is a plain
 * libuv listener on 127.0.0.1, not ayil. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>
#include <uv.h>

#include "daemon.h"
#include "fixture.h"
#include "node.h"

#define PASS "conn-test-passphrase"

static char dir[] = "/tmp/ayil-test-conn-XXXXXX";
static char home[256];

/* The peer: accepts, and reads (counting bytes) or not at all. */
static uv_tcp_t listener;
static int port, accepted, peer_read_bytes, peer_reading;
static uv_tcp_t peer_conn;
static int peer_open;

static void peer_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b) {
  static char buf[65536];
  (void)h;
  (void)hint;
  b->base = buf;
  b->len = sizeof buf;
}
static void peer_on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  (void)s;
  (void)b;
  if (n > 0)
    peer_read_bytes += (int)n;
}
static void on_peer(uv_stream_t *server, int status) {
  assert_int_equal(status, 0);
  assert_int_equal(uv_tcp_init(server->loop, &peer_conn), 0);
  assert_int_equal(uv_accept(server, (uv_stream_t *)&peer_conn), 0);
  peer_open = 1;
  accepted++;
  if (peer_reading)
    uv_read_start((uv_stream_t *)&peer_conn, peer_alloc, peer_on_read);
}

static void start_peer(uv_loop_t *loop) {
  struct sockaddr_in a;
  struct sockaddr_storage got;
  int len = sizeof got;
  uv_ip4_addr("127.0.0.1", 0, &a);
  assert_int_equal(uv_tcp_init(loop, &listener), 0);
  assert_int_equal(uv_tcp_bind(&listener, (struct sockaddr *)&a, 0), 0);
  assert_int_equal(uv_listen((uv_stream_t *)&listener, 8, on_peer), 0);
  assert_int_equal(uv_tcp_getsockname(&listener, (struct sockaddr *)&got, &len),
                   0);
  port = ntohs(((struct sockaddr_in *)&got)->sin_port);
  accepted = peer_read_bytes = 0;
  peer_open = 0;
}

static void stop_peer(void) {
  uv_close((uv_handle_t *)&listener, NULL);
  if (peer_open)
    uv_close((uv_handle_t *)&peer_conn, NULL);
  peer_open = 0;
}

/* A committee home enrolled at a hub that "lives" at 127.0.0.1:port. */
static void make_committee(void) {
  char hubhome[300], code[1024], id[AYIL_ID_TEXT], adv[64];
  ayil_config_t conf;
  ayil_node_create_t args;
  ayil_node_admit_t adm;
  ayil_invite_t inv;
  ayil_node_err_t err;
  ayil_node_t *hub = NULL;
  snprintf(hubhome, sizeof hubhome, "%s/hub", dir);
  snprintf(home, sizeof home, "%s/committee", dir);
  snprintf(adv, sizeof adv, "127.0.0.1:%d", port);
  ayil_config_defaults(&conf);
  snprintf(conf.role, sizeof conf.role, "hub");
  snprintf(conf.name, sizeof conf.name, "Invented Hub");
  snprintf(conf.listen, sizeof conf.listen, "%s", adv);
  snprintf(conf.advertise, sizeof conf.advertise, "%s", adv);
  memset(&args, 0, sizeof args);
  args.conf = &conf;
  assert_int_equal(ayil_home_create(hubhome), 0);
  assert_int_equal(ayil_node_create(hubhome, &args, id, &err), 0);
  assert_int_equal(ayil_node_open(&hub, hubhome, AYIL_NODE_IDENTITY, &err), 0);
  memset(&adm, 0, sizeof adm);
  adm.name = "Invented Committee";
  adm.oblast = "talas";
  adm.expires_days = 30;
  adm.advertise = adv;
  assert_int_equal(ayil_node_admit(hub, &adm, &inv, code, sizeof code), 0);
  ayil_node_close(hub);
  assert_int_equal(fixture_committee(home, PASS, &inv), 0);
  sodium_memzero(&inv, sizeof inv);
}

static int setup(void **state) {
  (void)state;
  dlog_verbose = 1; /* the close paths log; the output shows them */
  if (sodium_init() < 0 || mkdtemp(dir) == NULL)
    return -1;
  return 0;
}

static int teardown(void **state) {
  char cmd[300];
  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd);
}

/* A committee daemon on `loop`, loaded from the home like ayild's. */
static void daemon_up(daemon_t *d, uv_loop_t *loop) {
  uint8_t hash[AYIL_HASH_BYTES];
  memset(d, 0, sizeof *d);
  snprintf(d->home, sizeof d->home, "%s", home);
  assert_int_equal(daemon_load(d, 0), 0);
  d->loop = loop;
  /* This test's peer listens on a new port each time. */
  snprintf(d->conf.hub_addr, sizeof d->conf.hub_addr, "127.0.0.1:%d", port);
  assert_int_equal(ayil_store_head(d->store, d->ident.pk, &d->own_head, hash),
                   0);
}

static void daemon_down(daemon_t *d) {
  ayil_store_close(d->store);
  ayil_identity_wipe(&d->ident);
  sodium_memzero(d->netkey, sizeof d->netkey);
}

/* Runs the loop once at a time until `done` or 200 rounds (each waits at
 * most for what is pending; the listener keeps the loop alive). */
static void run_until(uv_loop_t *loop, int *done) {
  int i;
  for (i = 0; i < 200 && !*done; i++)
    uv_run(loop, UV_RUN_NOWAIT), usleep(5000);
}

static void finish(uv_loop_t *loop, daemon_t *d) {
  stop_peer();
  assert_int_equal(uv_run(loop, UV_RUN_DEFAULT), 0);
  assert_null(d->conns); /* every connection was freed by its close */
  assert_int_equal(uv_loop_close(loop), 0);
  daemon_down(d);
}

/* Closed before the connect completes: the connect request is cancelled,
 * the connection freed once, the backoff scheduled. */
static void test_close_while_connecting(void **state) {
  uv_loop_t loop;
  daemon_t d;
  (void)state;
  assert_int_equal(uv_loop_init(&loop), 0);
  start_peer(&loop);
  make_committee();
  daemon_up(&d, &loop);
  assert_int_equal(conn_connect(&d), 0);
  assert_non_null(d.conns);
  assert_int_equal(d.conns->state, CONN_CONNECTING);
  conn_close(d.conns, 0, "test: closed while connecting");
  assert_int_equal(d.conns->state, CONN_CLOSING);
  conn_close(d.conns, 0, "test: a second close is a no-op");
  finish(&loop, &d);
  assert_int_equal(d.backoff_n, 1); /* a failed attempt: backoff grows */
  assert_true(d.next_attempt_ms > 0);
}

/* Closed while its handshake message is still being written: the write
 * callback comes (cancelled or done) before the close callback frees it. */
static void test_close_with_pending_writes(void **state) {
  uv_loop_t loop;
  daemon_t d;
  (void)state;
  assert_int_equal(uv_loop_init(&loop), 0);
  peer_reading = 0; /* the peer never reads nor answers */
  start_peer(&loop);
  daemon_up(&d, &loop);
  assert_int_equal(conn_connect(&d), 0);
  run_until(&loop, &accepted);
  assert_int_equal(accepted, 1);
  {
    int in_hs = 0, i;
    for (i = 0; i < 200 && !in_hs; i++) {
      uv_run(&loop, UV_RUN_NOWAIT);
      in_hs = d.conns != NULL && d.conns->state == CONN_HANDSHAKE;
    }
    assert_true(in_hs);
  }
  assert_true(d.conns->bytes_sent > 0); /* the hello went to uv_write */
  conn_close(d.conns, 0, "test: closed with a write pending");
  finish(&loop, &d);
}

/* The peer hangs up in the middle of the handshake: the connection closes
 * itself, is freed, and the committee backs off. Then it dials again and
 * gets as far as before. */
static void test_peer_hangs_up(void **state) {
  uv_loop_t loop;
  daemon_t d;
  int i;
  (void)state;
  assert_int_equal(uv_loop_init(&loop), 0);
  peer_reading = 1;
  start_peer(&loop);
  daemon_up(&d, &loop);
  assert_int_equal(conn_connect(&d), 0);
  run_until(&loop, &peer_read_bytes);
  assert_true(peer_read_bytes > 0); /* the client's hello arrived */
  uv_close((uv_handle_t *)&peer_conn, NULL);
  peer_open = 0;
  for (i = 0; i < 200 && d.conns != NULL; i++) {
    uv_run(&loop, UV_RUN_NOWAIT);
    usleep(5000);
  }
  assert_null(d.conns); /* closed and freed on the peer's EOF */
  assert_int_equal(d.backoff_n, 1);
  assert_int_equal(d.hub_hangups, 0); /* not authenticated: no refusal */
  peer_read_bytes = 0;
  assert_int_equal(conn_connect(&d), 0);
  run_until(&loop, &peer_read_bytes);
  assert_true(peer_read_bytes > 0);
  assert_int_equal(accepted, 2);
  conn_close(d.conns, 1, "test: done");
  finish(&loop, &d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_close_while_connecting),
      cmocka_unit_test(test_close_with_pending_writes),
      cmocka_unit_test(test_peer_hangs_up),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

/*
 * ayild: the ayil daemon, one binary for committee and hub.
 *
 *   ayild [--home DIR] [--verbose] [--version]
 *
 * Runs in the foreground and logs to stderr (with syslog level prefixes
 * when started by systemd, so journald keeps levels). SIGTERM and SIGINT
 * stop it cleanly; SIGHUP rereads the config.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon.h"
#include "sdnotify.h"

#define TICK_MS 500
#define FLUSH_MS 10000
/* Connections the kernel completes before ayild accepts them. A flood of
 * strangers must not fill it (committees would wait for SYN retries):
 * ayild accepts at once and evicts (guard.c); the kernel caps it at
 * net.core.somaxconn. */
#define LISTEN_BACKLOG 1024

static void close_all(daemon_t *d) {
  conn_t *c;
  d->stopping = 1;
  sdnotify_stopping();
  daemon_commit_stop(d);
  conns_flush_stats(d);
  for (c = d->conns; c != NULL; c = c->next)
    conn_close(c, 1, "daemon stopping");
  if (d->listening)
    uv_close((uv_handle_t *)&d->listener, NULL);
  d->listening = 0;
  ctl_stop(d);
  uv_close((uv_handle_t *)&d->tick, NULL);
  uv_close((uv_handle_t *)&d->sig_term, NULL);
  uv_close((uv_handle_t *)&d->sig_int, NULL);
  uv_close((uv_handle_t *)&d->sig_hup, NULL);
  sdnotify_close();
}

static void on_signal(uv_signal_t *s, int signum) {
  daemon_t *d = s->data;
  if (signum == SIGHUP) {
    sdnotify_reloading();
    daemon_load(d, 1);
    sdnotify_ready(NULL);
    return;
  }
  if (!d->stopping) {
    dlog(LOG_NOTICE, "stopping on signal %d", signum);
    close_all(d);
  }
}

static int has_outbound(daemon_t *d) {
  conn_t *c;
  for (c = d->conns; c != NULL; c = c->next)
    if (c->outbound && c->state != CONN_CLOSING)
      return 1;
  return 0;
}

static void on_tick(uv_timer_t *t) {
  daemon_t *d = t->data;
  uint64_t now = now_ms(d);
  if (d->stopping)
    return;
  conns_tick(d);
  guard_trim(d);
  dlog_flush(0);
  if (d->is_hub && !d->in_tx &&
      (d->last_quarantine_ms == 0 || now - d->last_quarantine_ms >= 3600000)) {
    /* Purged bodies stay sealed in quarantine for [retention]
     * quarantine_days (a rollback can bring them back); then they are
     * erased. */
    int n = 0;
    d->last_quarantine_ms = now;
    if (ayil_store_quarantine_expire(
            d->store, (int64_t)time(NULL) - 86400LL * d->conf.quarantine_days,
            &n) == 0 &&
        n > 0)
      dlog(LOG_INFO, "erased %d purged bodies past their quarantine", n);
  }
  if (!d->is_hub || d->uplink) {
    uint64_t seq = 0;
    uint8_t hash[AYIL_HASH_BYTES];
    if (ayil_store_head(d->store, d->ident.pk, &seq, hash) == 0 &&
        seq != d->own_head) {
      d->own_head = seq;
      d->synced_once = 0;
      if (has_outbound(d))
        daemon_notify_local(d);
      else
        d->want_connect = 1; /* come back on new local entries */
    }
    if (!has_outbound(d) &&
        ((d->want_connect && d->backoff_n == 0) || now >= d->next_attempt_ms)) {
      if (now >= d->next_attempt_ms || d->backoff_n == 0) {
        d->want_connect = 0;
        if (conn_connect(d) != 0)
          d->next_attempt_ms = now + 5000;
        else
          d->next_attempt_ms = now + (uint64_t)d->conf.poll_interval_s * 1000;
      }
    }
  }
  if (now - d->last_flush_ms >= FLUSH_MS) {
    d->last_flush_ms = now;
    conns_flush_stats(d);
  }
}

static void on_connection(uv_stream_t *server, int status) {
  daemon_t *d = server->data;
  if (status < 0 || d->stopping)
    return;
  conn_accept(d, server);
}

static int start_listener(daemon_t *d) {
  struct sockaddr_storage ss;
  int rc;
  if (daemon_parse_addr(d->conf.listen, &ss) != 0) {
    dlog(LOG_ERR, "[listen] address in ayil.conf is not IP:PORT");
    return AYIL_EINVAL;
  }
  uv_tcp_init(d->loop, &d->listener);
  d->listener.data = d;
  d->listening = 1;
  rc = uv_tcp_bind(&d->listener, (struct sockaddr *)&ss, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&d->listener, LISTEN_BACKLOG, on_connection);
  if (rc != 0) {
    dlog(LOG_ERR, "cannot listen on %s: %s", d->conf.listen, uv_strerror(rc));
    return AYIL_EIO;
  }
  dlog(LOG_NOTICE, "hub listening on %s", d->conf.listen);
  return 0;
}

static const struct option OPTS[] = {{"home", required_argument, NULL, 'H'},
                                     {"verbose", no_argument, NULL, 'v'},
                                     {"version", no_argument, NULL, 'V'},
                                     {"help", no_argument, NULL, 'h'},
                                     {NULL, 0, NULL, 0}};

int main(int argc, char **argv) {
  daemon_t d;
  const char *home = NULL;
  char idtext[AYIL_ID_TEXT];
  int opt, rc;
  memset(&d, 0, sizeof d);
  dlog_journal = getenv("JOURNAL_STREAM") != NULL;
  umask(077);
  /* Before anything allocates: no core dumps, wiping frees (keys.h). */
  if (ayil_keys_harden_process() != 0)
    return 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":hvV", OPTS, NULL)) != -1) {
    switch (opt) {
    case 'H':
      home = optarg;
      break;
    case 'v':
      dlog_verbose = 1;
      break;
    case 'V':
      printf("ayild %s\n", AYIL_VERSION);
      return 0;
    case 'h':
      printf("usage: ayild [--home DIR] [--verbose] [--version]\n"
             "The ayil daemon: syncs a committee with its hub, or serves a "
             "hub.\nStops on SIGTERM, rereads its config on SIGHUP.\n");
      return 0;
    case ':':
      fprintf(stderr, "ayild: an option needs a value (see ayild --help)\n");
      return 2;
    default:
      fprintf(stderr, "ayild: unknown argument (it is not shown; see ayild "
                      "--help)\n");
      return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "ayild: unknown argument (it is not shown; see ayild "
                    "--help)\n");
    return 2;
  }
  if (sodium_init() < 0)
    return 1;
  ayil_home_resolve(home, d.home, sizeof d.home);
  if (ayil_home_check(d.home) != 0) {
    dlog(LOG_ERR, "home directory %s is missing or not accessible", d.home);
    return 2;
  }
  rc = daemon_load(&d, 0);
  if (rc != 0)
    return rc == AYIL_EINVAL ? 2 : 1;
  dlog_verbose = dlog_verbose || strcmp(d.conf.log_level, "debug") == 0;
  guard_init(&d);
  d.loop = uv_default_loop();
  d.started_ms = uv_now(d.loop);
  rc = ctl_start(&d);
  if (rc == 0 && d.is_hub)
    rc = start_listener(&d);
  if (rc != 0) {
    if (d.listening)
      uv_close((uv_handle_t *)&d.listener, NULL);
    ctl_stop(&d);
    uv_run(d.loop, UV_RUN_DEFAULT);
    uv_loop_close(d.loop);
    ayil_store_close(d.store);
    ayil_identity_wipe(&d.ident);
    sodium_memzero(d.netkey, sizeof d.netkey);
    sodium_memzero(d.up_netkey, sizeof d.up_netkey);
    return 1;
  }
  uv_timer_init(d.loop, &d.tick);
  d.tick.data = &d;
  uv_timer_start(&d.tick, on_tick, TICK_MS, TICK_MS);
  uv_signal_init(d.loop, &d.sig_term);
  uv_signal_init(d.loop, &d.sig_int);
  uv_signal_init(d.loop, &d.sig_hup);
  d.sig_term.data = d.sig_int.data = d.sig_hup.data = &d;
  uv_signal_start(&d.sig_term, on_signal, SIGTERM);
  uv_signal_start(&d.sig_int, on_signal, SIGINT);
  uv_signal_start(&d.sig_hup, on_signal, SIGHUP);
  signal(SIGPIPE, SIG_IGN);
  if (!d.is_hub || d.uplink) {
    uint8_t hash[AYIL_HASH_BYTES];
    ayil_store_head(d.store, d.ident.pk, &d.own_head, hash);
    d.want_connect = 1;
  }
  ayil_id_to_text(d.ident.pk, idtext);
  dlog(LOG_NOTICE, "ayild %s started as %s %s (%s)", AYIL_VERSION, d.conf.role,
       idtext, d.conf.name);
  if (sdnotify_start(d.loop) != 0)
    dlog(LOG_WARN, "NOTIFY_SOCKET is set but unusable: systemd will not see "
                   "ayild start");
  sdnotify_ready(d.is_hub ? "hub: listening"
                          : "committee: syncing with its "
                            "hub");
  uv_run(d.loop, UV_RUN_DEFAULT);
  rc = uv_loop_close(d.loop);
  ayil_store_close(d.store);
  ayil_identity_wipe(&d.ident);
  sodium_memzero(d.netkey, sizeof d.netkey);
  sodium_memzero(d.up_netkey, sizeof d.up_netkey);
  dlog_flush(1);
  dlog(LOG_NOTICE, "stopped");
  return rc == 0 ? 0 : 1;
}

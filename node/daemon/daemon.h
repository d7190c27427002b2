/*
 * ayild internals: one libuv loop, one thread. Not for the CLI.
 *
 * Ownership: the daemon owns its connections (a list); a connection owns
 * its TCP handle and its session (proto/session.c: the handshake, the
 * transport halves and the sync state machine). This file's connections do
 * I/O, backoff and timers only; every byte's meaning is the session's. A
 * connection is closed by marking it and calling uv_close; it is freed in
 * the close callback, never inside its own read or write callback.
 */
#ifndef AYIL_DAEMON_H
#define AYIL_DAEMON_H

#include <stdint.h>

#include <uv.h>

#include "ayil/entry.h"
#include "ayil/session.h"
#include "config.h"
#include "keys.h"
#include "registry.h"
#include "store.h"

enum { LOG_ERR = 3, LOG_WARN = 4, LOG_NOTICE = 5, LOG_INFO = 6, LOG_DEBUG = 7 };
void dlog(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* dlog: syslog level prefixes for journald; debug lines too. */
extern int dlog_journal, dlog_verbose;
/* Writes the summaries of rate-limited lines whose window has ended
 * (every tick), or of all of them (`all`, at exit). */
void dlog_flush(int all);

/* The hub closed the connection after authentication this many times in a
 * row: it refuses this node (refused_by_hub). */
#define HUB_HANGUPS_REFUSED 3

typedef struct daemon_s daemon_t;

enum {
  CONN_CONNECTING = 1, /* looking up the hub's name, or connecting */
  CONN_HANDSHAKE,
  CONN_SYNC,
  CONN_CLOSING,
};

typedef struct conn_s {
  uv_tcp_t tcp;
  uv_connect_t connect_req;
  uv_getaddrinfo_t gai; /* the hub's name, looked up on every connect */
  int resolving;        /* gai is pending: the connection waits for it */
  int close_done;       /* closed while resolving: on_resolved frees it */
  uv_shutdown_t shutdown_req;
  daemon_t *d;
  struct conn_s *next;
  int outbound;
  int state;
  int clean; /* closed by linger/leave, not by an error */
  int made_progress;
  uint64_t own_acked_at0; /* committee: own log acked by the hub at start */
  size_t nwant;      /* logs the policy wanted from the peer at the handshake */
  uint64_t leave_ms; /* when conn_leave() sent our final frame */
  int leaving;       /* sent the final frame, shutting down */
  int delivered;     /* handed entries to the store in this transaction */
  /* The origins it delivered in the open transaction (acknowledged to it
   * once committed), and every origin the policy ever listed for it
   * (those whose commits it is told of), as of policy generation
   * named_gen. */
  uint8_t (*dl)[AYIL_ID_BYTES];
  size_t ndl, cap_dl;
  uint8_t (*named)[AYIL_ID_BYTES];
  size_t nnamed;
  uint64_t named_gen;
  int named_ok;
  int pump_soon; /* a commit gave its sync machine news: pump it */
  ayil_session_t *sess;
  uint8_t peer[AYIL_ID_BYTES];
  int peer_known;
  ayil_device_t dev; /* hub: the peer's committee */
  uint64_t started_ms;
  uint64_t last_recv_ms;  /* when the last byte arrived */
  uint64_t idle_since_ms; /* 0 while not idle */
  uint64_t busy_since_ms; /* when it last stopped being idle */
  uint8_t src[9];         /* the peer's address as a key (guard.c) */
  uint64_t bytes_sent, bytes_recv;
  uint64_t flushed_sent, flushed_recv;
  /* Buffers lent to the sync state machine by get(). */
  uint8_t *g_entry, *g_body, *g_proof;
  char why[96]; /* why it closed, for the log */
} conn_t;

/* The connection's sync machine, or NULL before the session has one. */
static inline ayil_sync_t *conn_sync(conn_t *c) {
  return c->sess != NULL ? ayil_session_sync(c->sess) : NULL;
}

struct daemon_s {
  uv_loop_t *loop;
  char home[AYIL_PATH_MAX];
  ayil_config_t conf;
  ayil_identity_t ident;
  uint8_t netkey[AYIL_NETKEY_BYTES];
  uint8_t hub_id[AYIL_ID_BYTES]; /* committee: its hub; hub: the one above */
  int is_hub;
  /* Hub of a regional tier: it dials the hub above it (hub_id, at
   * conf.hub_addr) with that hub's network key, as a committee does, and
   * forwards every log it holds (PROTOCOL.md, "National tier"). */
  int uplink;
  uint8_t up_netkey[AYIL_NETKEY_BYTES];
  ayil_store_t *store;
  uv_tcp_t listener;
  int listening;
  uv_pipe_t ctl;
  int ctl_open;
  struct ctl_client_s *ctl_clients; /* ctl.c's, newest first */
  char ctl_path[AYIL_PATH_MAX];
  uv_timer_t tick;
  uv_signal_t sig_term, sig_int, sig_hup;
  conn_t *conns;
  unsigned conns_max;  /* connections at once: RLIMIT_NOFILE less a reserve */
  unsigned conns_peak; /* most connections since memory was last trimmed */
  int stopping;
  uint64_t started_ms;
  /* Committee: connection scheduling. */
  uint64_t next_attempt_ms;
  unsigned backoff_n;
  uint64_t own_head;
  int want_connect;
  int synced_once;      /* reached idle since the last `sync` request */
  unsigned hub_hangups; /* closed after authentication, in a row */
  unsigned hub_stalls;  /* connections in a row that got nothing acked */
  unsigned addr_turn;   /* which of the hub name's addresses is next */
  /* Store transaction opened by deliver(), committed once per loop turn
   * (commit_check), for every connection's reads of that turn. */
  int in_tx;
  uint8_t (*touched)[AYIL_ID_BYTES]; /* scratch of daemon_commit */
  /* Origins with entries in the open transaction, sorted, and the one
   * connection that delivered them (NULL: several). */
  struct pend_s {
    uint8_t id[AYIL_ID_BYTES];
    const conn_t *by;
  } * pend;
  size_t npend, cap_pend;
  size_t cap_touched;
  int tx_failed;
  uv_check_t commit_check;
  int commit_check_init;
  uint64_t last_flush_ms;
  uint64_t last_check_ms;
  uint64_t last_quarantine_ms; /* hub: when quarantine was last expired */
};

uint64_t now_ms(daemon_t *d);
/* Loads d->home's config, identity, network key and store into `d`, or on
 * `reload` (SIGHUP) only the settings that may change while running.
 * Logs what was wrong; returns 0, AYIL_EINVAL (a bad config) or another
 * error. */
int daemon_load(daemon_t *d, int reload);

/* conn.c */
int daemon_parse_addr(const char *hostport, struct sockaddr_storage *ss);
int conn_connect(daemon_t *d);
void conn_accept(daemon_t *d, uv_stream_t *server);
void conn_close(conn_t *c, int clean, const char *why);
void conn_pump(conn_t *c);
void conns_tick(daemon_t *d);
/* Committee: the hub's notices on this connection confirmed a predecessor
 * whose log this connection did not ask for (it reconnects for it). */
int conn_lineage_grew(conn_t *c);
/* Regional hub: the logs it offers the hub above (its uplink view's OFFER
 * rows), up to cap into ids; *n how many. 0 or the view's error. */
int uplink_offers(daemon_t *d, uint8_t (*ids)[AYIL_ID_BYTES], size_t cap,
                  size_t *n);
void conns_flush_stats(daemon_t *d);
int conns_active(daemon_t *d);
/* Commits what deliver() stored and tells the connections (acks, new
 * entries to pass on); the pumping is left to the end of the loop turn. */
void daemon_commit(daemon_t *d);
/* Stops the end-of-turn commit handle (shutdown); commits first. */
void daemon_commit_stop(daemon_t *d);
void daemon_notify_local(daemon_t *d);

/* guard.c: what a peer may hold of a hub (connections, memory, time). */
void guard_init(daemon_t *d);
/* Inbound, accepted: note the peer's address. */
void guard_source(conn_t *c);
/* Inbound, accepted: evicts the oldest pending connection of the busiest
 * address when a cap is reached; nonzero when `c` must be refused. */
int guard_accept(daemon_t *d, conn_t *c);
/* Inbound: its hello proved the network key; evicts the oldest of that
 * stage from the busiest address when a cap is reached. */
void guard_proven(conn_t *c);
/* The node on `c` was admitted: closes its oldest connection beyond the
 * per-node cap. */
void guard_admitted(conn_t *c);
/* Why an inbound connection has run out of time, or NULL. */
const char *guard_expired(conn_t *c, uint64_t now);
/* For `ayil status`: connections open, unauthenticated, and the heap
 * bytes they hold (conn_t and session). */
void guard_usage(daemon_t *d, unsigned *open, unsigned *pending, size_t *bytes);
/* Every tick: returns the memory of a flood's closed connections to the
 * system once they are gone. */
void guard_trim(daemon_t *d);

/* ctl.c */
int ctl_start(daemon_t *d);
/* A control request, decoded from its line (the bytes before the newline,
 * untrusted: whatever reached the socket): a JSON object whose "cmd" is
 * "status" or "sync"; anything else is CTL_REQ_UNKNOWN. Pure, for ctl.c and
 * its fuzz target (tests/fuzz/fuzz_ctl.c). */
typedef enum { CTL_REQ_UNKNOWN = 0, CTL_REQ_STATUS, CTL_REQ_SYNC } ctl_req_t;
ctl_req_t ctl_decode(const char *line, size_t len);
void ctl_stop(daemon_t *d);

#endif

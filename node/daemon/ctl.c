/*
 * The control socket (HOME/ayild.sock): one line of JSON in, one line of
 * JSON out, then close. Serves `ayil status` and `ayil sync`. Only the
 * node's owner can reach it: the home is 0700 and the socket 0600. Even
 * so, a stuck or misbehaving local client is bounded: its request must
 * arrive within CTL_IDLE_MS, and at most CTL_CLIENTS_MAX are held (a new
 * one closes the oldest that has not asked yet), so `ayil status` always
 * gets through.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "daemon.h"
#include "policy_view.h"
#include "node.h"

#define CTL_MAX 4096
#define CTL_IDLE_MS 5000
#define CTL_CLIENTS_MAX 16

typedef struct ctl_client_s {
  uv_pipe_t pipe;
  uv_timer_t timer; /* CTL_IDLE_MS for the request */
  daemon_t *d;
  struct ctl_client_s *next; /* d->ctl_clients, newest first */
  char buf[CTL_MAX];
  size_t len;
  int answered;
  int handles; /* open handles: freed when both are closed */
  int closing;
} ctl_client_t;

static void handle_closed(uv_handle_t *h) {
  ctl_client_t *cl = h->data;
  if (--cl->handles == 0)
    free(cl);
}

static void client_close(ctl_client_t *cl) {
  ctl_client_t **pp;
  if (cl->closing)
    return;
  cl->closing = 1;
  for (pp = &cl->d->ctl_clients; *pp != NULL; pp = &(*pp)->next)
    if (*pp == cl) {
      *pp = cl->next;
      break;
    }
  uv_close((uv_handle_t *)&cl->pipe, handle_closed);
  uv_close((uv_handle_t *)&cl->timer, handle_closed);
}

static void after_write(uv_write_t *req, int status) {
  ctl_client_t *cl = req->data;
  (void)status;
  free(((uv_buf_t *)(req + 1))->base);
  free(req);
  client_close(cl);
}

static void reply(ctl_client_t *cl, json_t *o) {
  /* Into our own buffer: jansson's allocator wipes and frees its own. */
  size_t n = json_dumpb(o, NULL, 0, JSON_COMPACT);
  char *text = NULL;
  uv_write_t *req = malloc(sizeof *req + sizeof(uv_buf_t));
  uv_buf_t *b;
  char *line = n > 0 ? malloc(n + 2) : NULL;
  if (line != NULL && json_dumpb(o, line, n, JSON_COMPACT) != n) {
    free(line);
    line = NULL;
  }
  json_decref(o);
  cl->answered = 1;
  if (line == NULL || req == NULL) {
    free(line != NULL ? line : text);
    free(req);
    client_close(cl);
    return;
  }
  text = line;
  text[n] = '\n';
  b = (uv_buf_t *)(req + 1);
  *b = uv_buf_init(text, (unsigned)n + 1);
  req->data = cl;
  if (uv_write(req, (uv_stream_t *)&cl->pipe, b, 1, after_write) != 0) {
    free(text);
    free(req);
    client_close(cl);
  }
}

static const char *state_name(conn_t *c) {
  if (c->state == CONN_CONNECTING)
    return "connecting";
  if (c->state == CONN_HANDSHAKE)
    return "handshake";
  if (c->state == CONN_CLOSING || c->leaving)
    return "down";
  return ayil_sync_idle(conn_sync(c)) ? "idle" : "syncing";
}

/* Entries of `origin` the peer has not acknowledged yet: what the live
 * session knows, else what the registry kept. */
static uint64_t unacked(daemon_t *d, conn_t *c, const uint8_t *origin) {
  uint64_t acked = 0;
  int live = c != NULL && conn_sync(c) != NULL &&
             ayil_sync_peer_acked(conn_sync(c), origin, &acked) == 0;
  return ayil_node_unacked(d->store, d->hub_id, origin, live ? &acked : NULL,
                           NULL);
}

/* Entries the hub above lacks: of this node's own log (a committee), or
 * of every log it forwards (a regional hub: its uplink's OFFER rows). */
static uint64_t unacked_up(daemon_t *d, conn_t *out) {
  static uint8_t ids[AYIL_POLICY_DEVICES_MAX + 2][AYIL_ID_BYTES];
  size_t n = 0, i;
  uint64_t sum = 0;
  if (!d->uplink)
    return unacked(d, out, d->ident.pk);
  if (uplink_offers(d, ids, AYIL_POLICY_DEVICES_MAX + 2, &n) != 0)
    return 1; /* cannot tell: not synced */
  for (i = 0; i < n; i++)
    sum += unacked(d, out, ids[i]);
  return sum;
}

static int committee_synced(daemon_t *d, conn_t *out) {
  if (out != NULL && out->state == CONN_SYNC && !out->leaving)
    return ayil_sync_idle(conn_sync(out)) && unacked_up(d, out) == 0 &&
           !conn_lineage_grew(out);
  return d->synced_once && unacked_up(d, NULL) == 0;
}

static json_t *status_json(daemon_t *d) {
  json_t *peers = json_array();
  json_t *o;
  conn_t *c, *out = NULL;
  int synced = 1;
  char id[AYIL_ID_TEXT];
  for (c = d->conns; c != NULL; c = c->next) {
    ayil_sync_stats_t st;
    json_t *p;
    if (c->outbound && c->state != CONN_CLOSING)
      out = c;
    if (!c->peer_known)
      continue;
    ayil_id_to_text(c->peer, id);
    memset(&st, 0, sizeof st);
    if (conn_sync(c) != NULL)
      ayil_sync_stats(conn_sync(c), &st);
    p = json_pack(
        "{s:s, s:s, s:b, s:s, s:I, s:I, s:I, s:I}", "id", id, "name",
        c->outbound ? "hub" : c->dev.name, "connected",
        c->state == CONN_SYNC && !c->leaving, "state", state_name(c),
        "unacked_out", (json_int_t)(c->outbound ? unacked_up(d, c) : 0),
        "bytes_sent", (json_int_t)c->bytes_sent, "bytes_recv",
        (json_int_t)c->bytes_recv, "since_progress_ms",
        (json_int_t)(conn_sync(c) != NULL
                         ? now_ms(d) - ayil_sync_progress_ms(conn_sync(c))
                         : now_ms(d) - c->started_ms));
    if (c->state == CONN_SYNC && ayil_sync_idle(conn_sync(c)))
      json_object_set_new(p, "unacked_in", json_integer(0));
    else
      json_object_set_new(p, "unacked_in", json_null());
    json_array_append_new(peers, p);
    if (!c->outbound && c->state != CONN_CLOSING &&
        !(c->state == CONN_SYNC && ayil_sync_idle(conn_sync(c))))
      synced = 0;
  }
  if (!d->is_hub || d->uplink) {
    synced = synced && committee_synced(d, out);
    if (out == NULL) {
      ayil_id_to_text(d->hub_id, id);
      json_array_append_new(
          peers, json_pack("{s:s, s:s, s:b, s:s, s:I, s:n, s:I, s:I, s:n}",
                           "id", id, "name", "hub", "connected", 0, "state",
                           d->backoff_n > 0 ? "backoff" : "down", "unacked_out",
                           (json_int_t)unacked_up(d, NULL), "unacked_in",
                           "bytes_sent", (json_int_t)0, "bytes_recv",
                           (json_int_t)0, "since_progress_ms"));
    }
  }
  o = json_pack("{s:b, s:s, s:i, s:I, s:b, s:o}", "ok", 1, "role", d->conf.role,
                "pid", (int)getpid(), "uptime_s",
                (json_int_t)((now_ms(d) - d->started_ms) / 1000), "synced",
                synced, "peers", peers);
  {
    /* What the peers hold of this daemon (guard.c bounds it). */
    unsigned n = 0, pend = 0;
    size_t mem = 0;
    guard_usage(d, &n, &pend, &mem);
    json_object_set_new(o, "connections",
                        json_pack("{s:I, s:I, s:I, s:I}", "open", (json_int_t)n,
                                  "unauthenticated", (json_int_t)pend,
                                  "memory_bytes", (json_int_t)mem, "max",
                                  (json_int_t)d->conns_max));
  }
  /* A committee the hub keeps hanging up on after authentication: it is
   * refused there (revoked, replaced, or its invite already used). */
  if (!d->is_hub)
    json_object_set_new(o, "refused_by_hub",
                        json_boolean(d->hub_hangups >= HUB_HANGUPS_REFUSED));
  return o;
}

ctl_req_t ctl_decode(const char *line, size_t len) {
  json_error_t err;
  json_t *req = json_loadb(line, len, 0, &err);
  const char *cmd = json_string_value(json_object_get(req, "cmd"));
  ctl_req_t what = CTL_REQ_UNKNOWN;
  if (cmd != NULL && strcmp(cmd, "status") == 0)
    what = CTL_REQ_STATUS;
  else if (cmd != NULL && strcmp(cmd, "sync") == 0)
    what = CTL_REQ_SYNC;
  json_decref(req);
  return what;
}

static void handle(ctl_client_t *cl) {
  daemon_t *d = cl->d;
  ctl_req_t what = ctl_decode(cl->buf, cl->len);
  if (what == CTL_REQ_STATUS) {
    reply(cl, status_json(d));
  } else if (what == CTL_REQ_SYNC) {
    if (!d->is_hub || d->uplink) {
      /* Come now, whatever the backoff said. */
      d->synced_once = 0;
      d->backoff_n = 0;
      d->next_attempt_ms = now_ms(d);
      d->want_connect = 1;
      daemon_notify_local(d);
    }
    reply(cl, json_pack("{s:b}", "ok", 1));
  } else {
    reply(cl, json_pack("{s:b, s:s}", "ok", 0, "error", "unknown command"));
  }
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  ctl_client_t *cl = h->data;
  (void)hint;
  buf->base = cl->buf + cl->len;
  buf->len = CTL_MAX - cl->len - 1;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  ctl_client_t *cl = s->data;
  char *nl;
  (void)buf;
  if (cl->answered)
    return;
  if (n < 0 || cl->len + (size_t)(n > 0 ? n : 0) >= CTL_MAX - 1) {
    uv_read_stop(s);
    client_close(cl);
    return;
  }
  cl->len += (size_t)n;
  cl->buf[cl->len] = '\0';
  nl = memchr(cl->buf, '\n', cl->len);
  if (nl != NULL) {
    cl->len = (size_t)(nl - cl->buf);
    uv_read_stop(s);
    handle(cl);
  }
}

static void on_idle(uv_timer_t *t) {
  ctl_client_t *cl = t->data;
  if (!cl->answered)
    client_close(cl); /* no request within CTL_IDLE_MS */
}

static void on_conn(uv_stream_t *server, int status) {
  daemon_t *d = server->data;
  ctl_client_t *cl, *it, *oldest = NULL;
  unsigned n = 0;
  if (status < 0)
    return;
  cl = calloc(1, sizeof *cl);
  if (cl == NULL)
    return;
  cl->d = d;
  uv_pipe_init(d->loop, &cl->pipe, 0);
  uv_timer_init(d->loop, &cl->timer);
  cl->pipe.data = cl;
  cl->timer.data = cl;
  cl->handles = 2;
  for (it = d->ctl_clients; it != NULL; it = it->next) {
    n++;
    if (!it->answered)
      oldest = it;
  }
  if (n >= CTL_CLIENTS_MAX && oldest != NULL) {
    dlog(LOG_WARN, "control socket: %u clients waiting; closing the oldest", n);
    client_close(oldest);
  }
  cl->next = d->ctl_clients;
  d->ctl_clients = cl;
  if (uv_accept(server, (uv_stream_t *)&cl->pipe) != 0 ||
      uv_timer_start(&cl->timer, on_idle, CTL_IDLE_MS, 0) != 0 ||
      uv_read_start((uv_stream_t *)&cl->pipe, alloc_cb, on_read) != 0)
    client_close(cl);
}

static int socket_alive(const char *path) {
  struct sockaddr_un sa;
  int fd, alive;
  if (strlen(path) >= sizeof sa.sun_path)
    return 0;
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return 0;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, path, strlen(path));
  alive = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
  close(fd);
  return alive;
}

int ctl_start(daemon_t *d) {
  int rc;
  if (ayil_home_path(d->home, "ayild.sock", d->ctl_path, sizeof d->ctl_path) !=
      0)
    return AYIL_EINVAL;
  /* A live daemon answers on the socket; a stale socket file is removed. */
  if (socket_alive(d->ctl_path)) {
    dlog(LOG_ERR, "another ayild is running for %s (socket %s)", d->home,
         d->ctl_path);
    return AYIL_EEXISTS;
  }
  unlink(d->ctl_path);
  uv_pipe_init(d->loop, &d->ctl, 0);
  d->ctl.data = d;
  d->ctl_open = 1;
  rc = uv_pipe_bind(&d->ctl, d->ctl_path);
  if (rc == 0)
    chmod(d->ctl_path, 0600);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&d->ctl, 8, on_conn);
  if (rc != 0) {
    dlog(LOG_ERR, "control socket %s: %s", d->ctl_path, uv_strerror(rc));
    return AYIL_EIO;
  }
  return 0;
}

void ctl_stop(daemon_t *d) {
  while (d->ctl_clients != NULL)
    client_close(d->ctl_clients);
  if (d->ctl_open) {
    uv_close((uv_handle_t *)&d->ctl, NULL);
    unlink(d->ctl_path);
  }
  d->ctl_open = 0;
}

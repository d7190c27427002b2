/*
 * ayil-linkemu: the tests' own link emulator.
 *
 * A TCP forwarder on 127.0.0.1 that makes a loopback connection look like a
 * slow, far and unreliable mobile link: a rate (serialization delay per
 * direction), a one-way latency with optional jitter, cuts at random byte
 * offsets or times drawn from a seed, a half-open "blackhole" mode and a
 * "down" mode that resets everything. See README.md next to this file.
 *
 * Shape: one loop, one thread. Each accepted connection is a conn_t holding
 * both TCP handles and two directions (dir_t). A direction reads its source,
 * cuts what it read into segments of at most --mtu bytes, gives each segment
 * the time it would arrive on the emulated link, and a per-direction timer
 * writes the segments that are due to the destination, in order. A
 * direction stops reading its source when more than --queue-max bytes wait
 * for the other side, so memory stays bounded whatever the peers do.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#define READ_BUF_SIZE 65536
#define NS_PER_MS UINT64_C(1000000)
#define NS_PER_S UINT64_C(1000000000)
#define MAX_MS UINT64_C(86400000) /* one day bounds every time option */
#define MAX_BYTES (UINT64_C(1) << 50)

enum { C2S = 0, S2C = 1 };
enum { SIDE_CLIENT = 0, SIDE_SERVER = 1 };

typedef struct emu_s emu_t;
typedef struct conn_s conn_t;
typedef struct dir_s dir_t;

/* One piece of the byte stream on its way across the link. It owns its bytes
 * and its write request; it is freed in its write callback, or when dropped
 * before it was written. A segment with eof set carries the sender's FIN. */
typedef struct seg_s {
  struct seg_s *next;
  dir_t *dir;
  uv_write_t req;
  uint64_t due_ns;
  size_t len;
  int eof;
  char data[];
} seg_t;

struct dir_s {
  conn_t *conn;
  int idx;               /* C2S or S2C */
  uv_timer_t timer;      /* fires when the head segment is due */
  seg_t *head, *tail;    /* not yet written */
  size_t queued;         /* bytes in head..tail */
  size_t inflight;       /* bytes handed to uv_write, callback pending */
  uint64_t link_free_ns; /* when the emulated wire is free again */
  uint64_t last_due_ns;  /* due times never go backwards: in order */
  int reading;           /* uv_read_start is active on the source */
  int paused;            /* stopped reading because of backpressure */
  int eof;               /* the source sent EOF */
  int shut;              /* uv_shutdown issued on the destination */
  int shut_done;
  uv_shutdown_t shutdown_req;
};

struct conn_s {
  emu_t *emu;
  conn_t *prev, *next;
  uint64_t id;
  uv_tcp_t tcp[2]; /* SIDE_CLIENT, SIDE_SERVER */
  int tcp_open[2]; /* initialised and not yet closing */
  uv_connect_t connect_req;
  uv_timer_t cut_timer;
  dir_t dir[2];
  uint64_t fwd_total; /* bytes handed to uv_write, both directions */
  uint64_t cut_at;    /* cut when fwd_total reaches this; UINT64_MAX: never */
  uint64_t black_at;  /* blackhole when fwd_total reaches this */
  uint64_t cut_ms;    /* 0: no timed cut */
  uint64_t rng;
  int connected;
  int black;
  int closing;
  int pending_closes;
};

typedef struct {
  struct sockaddr_in listen_addr;
  struct sockaddr_in connect_addr;
  uint64_t rate_bps; /* 0: unlimited */
  uint64_t delay_ms;
  uint64_t jitter_ms;
  uint64_t seed;
  uint64_t cut_bytes;
  uint64_t cut_ms;
  uint64_t black_after;
  int blackhole;
  size_t queue_max;
  size_t mtu;
  unsigned max_conns;
  const char *stats_path;
  const char *tap_path; /* --tap: every byte forwarded, appended */
  int verbose;
} opts_t;

typedef struct {
  uint64_t connections; /* accepted */
  uint64_t cuts;        /* by --cut-bytes / --cut-ms */
  uint64_t down_resets; /* reset because the link was (or went) down */
  uint64_t refused;     /* reset because --max-conns was reached */
  uint64_t connect_failures;
  uint64_t blackholed; /* connections that went half-open */
  uint64_t bytes[2];   /* written to the destination, per direction */
  uint64_t dropped;    /* read and thrown away by a blackholed link */
} stats_t;

struct emu_s {
  uv_loop_t loop;
  opts_t opt;
  stats_t st;
  uv_tcp_t listener;
  uv_signal_t sig[4];
  uv_timer_t stats_timer;
  conn_t *conns;
  unsigned nconns;
  int blackhole; /* global mode: new and existing connections go black */
  int down;      /* global mode: everything is reset */
  int stopping;
  int exit_code;
  FILE *tap;
};

static char read_buf[READ_BUF_SIZE];

static void conn_close(conn_t *c, int reset);

static void logf_(emu_t *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void logf_(emu_t *e, const char *fmt, ...) {
  va_list ap;

  if (!e->opt.verbose)
    return;
  va_start(ap, fmt);
  fputs("linkemu: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

/* splitmix64: small, good enough, and the same on every platform. */
static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));

  z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
  z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
  return z ^ (z >> 31);
}

/* Uniform in [lo, hi]; hi - lo is far below 2^63 here, so the modulo bias is
 * negligible for a test tool. */
static uint64_t rng_range(uint64_t *s, uint64_t lo, uint64_t hi) {
  return lo + rng_next(s) % (hi - lo + 1);
}

/* ---- connections ------------------------------------------------------- */

static conn_t *dir_conn(dir_t *d) {
  return d->conn;
}

static uv_stream_t *dir_src(dir_t *d) {
  return (uv_stream_t *)&d->conn
      ->tcp[d->idx == C2S ? SIDE_CLIENT : SIDE_SERVER];
}

static uv_stream_t *dir_dst(dir_t *d) {
  return (uv_stream_t *)&d->conn
      ->tcp[d->idx == C2S ? SIDE_SERVER : SIDE_CLIENT];
}

static int dir_src_side(dir_t *d) {
  return d->idx == C2S ? SIDE_CLIENT : SIDE_SERVER;
}

static int dir_dst_side(dir_t *d) {
  return d->idx == C2S ? SIDE_SERVER : SIDE_CLIENT;
}

static void dir_drop_queue(dir_t *d) {
  seg_t *s = d->head;

  while (s != NULL) {
    seg_t *next = s->next;
    free(s);
    s = next;
  }
  d->head = d->tail = NULL;
  d->queued = 0;
}

static void conn_maybe_free(conn_t *c) {
  emu_t *e = c->emu;

  if (!c->closing || c->pending_closes > 0)
    return;
  if (c->prev != NULL)
    c->prev->next = c->next;
  else
    e->conns = c->next;
  if (c->next != NULL)
    c->next->prev = c->prev;
  e->nconns--;
  free(c);
}

static void on_handle_closed(uv_handle_t *h) {
  conn_t *c = h->data;

  c->pending_closes--;
  conn_maybe_free(c);
}

/* A direction's timer points at its dir_t, not at the connection. */
static void on_dir_timer_closed(uv_handle_t *h) {
  dir_t *d = h->data;

  h->data = d->conn;
  on_handle_closed(h);
}

/* Close one TCP side. With reset, the peer gets an RST (SO_LINGER 0) rather
 * than a FIN; libuv refuses that while a shutdown is pending, and then a
 * plain close has to do. */
static void conn_close_side(conn_t *c, int side, int reset) {
  uv_tcp_t *t = &c->tcp[side];

  if (!c->tcp_open[side])
    return;
  c->tcp_open[side] = 0;
  c->pending_closes++;
  if (reset && uv_tcp_close_reset(t, on_handle_closed) == 0)
    return;
  uv_close((uv_handle_t *)t, on_handle_closed);
}

/* Close the whole connection; it is freed once every handle's close callback
 * ran, never from inside one of its own callbacks. */
static void conn_close(conn_t *c, int reset) {
  int i;

  if (c->closing)
    return;
  c->closing = 1;
  for (i = 0; i < 2; i++) {
    dir_drop_queue(&c->dir[i]);
    c->pending_closes++;
    uv_close((uv_handle_t *)&c->dir[i].timer, on_dir_timer_closed);
  }
  c->pending_closes++;
  uv_close((uv_handle_t *)&c->cut_timer, on_handle_closed);
  conn_close_side(c, SIDE_CLIENT, reset);
  conn_close_side(c, SIDE_SERVER, reset);
  conn_maybe_free(c);
}

static void conn_cut(conn_t *c, const char *why) {
  c->emu->st.cuts++;
  logf_(c->emu, "conn %" PRIu64 " cut (%s) at byte %" PRIu64, c->id, why,
        c->fwd_total);
  conn_close(c, 1);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  /* One buffer serves every read: read_cb copies out of it before the loop
   * can call another alloc_cb. */
  *buf = uv_buf_init(read_buf, sizeof(read_buf));
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);
static void on_dir_timer(uv_timer_t *t);

static void dir_read_start(dir_t *d) {
  conn_t *c = dir_conn(d);

  if (d->reading || d->eof || !c->tcp_open[dir_src_side(d)])
    return;
  if (uv_read_start(dir_src(d), on_alloc, on_read) == 0)
    d->reading = 1;
}

static void dir_read_stop(dir_t *d) {
  if (!d->reading)
    return;
  uv_read_stop(dir_src(d));
  d->reading = 0;
}

/* Backpressure with hysteresis: stop above queue_max, resume below half. */
static void dir_check_pressure(dir_t *d) {
  conn_t *c = dir_conn(d);
  size_t waiting = d->queued + d->inflight;
  size_t max = c->emu->opt.queue_max;

  if (c->closing || c->black)
    return;
  if (!d->paused && waiting > max) {
    d->paused = 1;
    dir_read_stop(d);
  } else if (d->paused && waiting <= max / 2) {
    d->paused = 0;
    dir_read_start(d);
  }
}

/* A connection goes half-open: nothing more crosses, nothing is closed by
 * us. We keep reading both sides (and drop what we read) so that a peer that
 * gives up and closes is noticed and its socket freed; the other peer is not
 * told. What was in flight is lost, so a black connection never comes back:
 * TCP would never skip bytes. */
static void conn_blackhole(conn_t *c, const char *why) {
  int i;

  if (c->black || c->closing)
    return;
  c->black = 1;
  c->emu->st.blackholed++;
  logf_(c->emu, "conn %" PRIu64 " blackholed (%s) at byte %" PRIu64, c->id, why,
        c->fwd_total);
  for (i = 0; i < 2; i++) {
    dir_t *d = &c->dir[i];

    dir_drop_queue(d);
    uv_timer_stop(&d->timer);
    d->paused = 0;
    if (d->eof)
      conn_close_side(c, dir_src_side(d), 0);
    else if (c->connected || i == C2S)
      dir_read_start(d);
  }
  if (!c->tcp_open[SIDE_CLIENT] && !c->tcp_open[SIDE_SERVER])
    conn_close(c, 0);
}

static void dir_arm(dir_t *d) {
  uint64_t now, wait_ms;

  if (d->head == NULL || uv_is_active((uv_handle_t *)&d->timer))
    return;
  /* Refresh the loop's clock so the timeout counts from now, not from the
   * start of this loop iteration. A timer that still fires a little early
   * finds the head not yet due and re-arms (at least 1 ms later), so no
   * byte ever arrives before its time and the loop never spins. */
  uv_update_time(&d->conn->emu->loop);
  now = uv_hrtime();
  wait_ms = 0;
  if (d->head->due_ns > now)
    wait_ms = (d->head->due_ns - now + NS_PER_MS - 1) / NS_PER_MS;
  uv_timer_start(&d->timer, on_dir_timer, wait_ms, 0);
}

/* Put n bytes (or, with eof, the sender's FIN) on the emulated wire. Each
 * segment occupies the wire for len*8/rate seconds after the previous one,
 * then travels for delay (+ jitter) ms; due times never go backwards, so the
 * stream stays in order as TCP would keep it. */
static int dir_enqueue(dir_t *d, const char *p, size_t n, int eof) {
  conn_t *c = dir_conn(d);
  const opts_t *o = &c->emu->opt;
  uint64_t now = uv_hrtime();

  do {
    size_t k = n < o->mtu ? n : o->mtu;
    uint64_t start, due;
    seg_t *s = malloc(sizeof(*s) + k);

    if (s == NULL)
      return UV_ENOMEM;
    if (k > 0)
      memcpy(s->data, p, k);
    s->next = NULL;
    s->dir = d;
    s->len = k;
    s->eof = eof;
    start = d->link_free_ns > now ? d->link_free_ns : now;
    d->link_free_ns = start;
    if (o->rate_bps > 0)
      d->link_free_ns += (uint64_t)k * 8 * NS_PER_S / o->rate_bps;
    due = d->link_free_ns + o->delay_ms * NS_PER_MS;
    if (o->jitter_ms > 0)
      due += rng_range(&c->rng, 0, o->jitter_ms * NS_PER_MS);
    if (due < d->last_due_ns)
      due = d->last_due_ns;
    d->last_due_ns = due;
    s->due_ns = due;
    if (d->tail != NULL)
      d->tail->next = s;
    else
      d->head = s;
    d->tail = s;
    d->queued += k;
    p += k;
    n -= k;
  } while (n > 0);
  dir_arm(d);
  return 0;
}

static void on_write(uv_write_t *req, int status) {
  seg_t *s = req->data;
  dir_t *d = s->dir;
  conn_t *c = dir_conn(d);

  d->inflight -= s->len;
  if (status == 0)
    c->emu->st.bytes[d->idx] += s->len;
  free(s);
  if (c->closing || c->black)
    return;
  if (status < 0) {
    logf_(c->emu, "conn %" PRIu64 " write: %s", c->id, uv_strerror(status));
    conn_close(c, 1);
    return;
  }
  dir_check_pressure(d);
}

static int dir_write(dir_t *d, seg_t *s) {
  uv_buf_t buf = uv_buf_init(s->data, (unsigned)s->len);
  int rc;

  s->req.data = s;
  d->inflight += s->len;
  if (d->conn->emu->tap != NULL && s->len > 0)
    fwrite(s->data, 1, s->len, d->conn->emu->tap);
  rc = uv_write(&s->req, dir_dst(d), &buf, 1, on_write);
  if (rc != 0) {
    d->inflight -= s->len;
    free(s);
  }
  return rc;
}

static void on_shutdown(uv_shutdown_t *req, int status) {
  dir_t *d = req->data;
  conn_t *c = dir_conn(d);

  if (status == UV_ECANCELED || c->closing || c->black)
    return;
  if (status < 0) {
    conn_close(c, 1);
    return;
  }
  d->shut_done = 1;
  if (c->dir[C2S].shut_done && c->dir[S2C].shut_done)
    conn_close(c, 0);
}

static void dir_send_eof(dir_t *d) {
  conn_t *c = dir_conn(d);

  if (d->shut || !c->tcp_open[dir_dst_side(d)])
    return;
  d->shut = 1;
  d->shutdown_req.data = d;
  if (uv_shutdown(&d->shutdown_req, dir_dst(d), on_shutdown) != 0)
    conn_close(c, 1);
}

/* Write every segment that is due. A byte limit (cut or blackhole) that falls
 * inside a segment splits it: the peer gets the bytes before the offset and
 * then the event, so cuts land mid-frame. */
static void dir_deliver(dir_t *d) {
  conn_t *c = dir_conn(d);
  uint64_t now = uv_hrtime();

  while (d->head != NULL && d->head->due_ns <= now) {
    seg_t *s = d->head;
    uint64_t limit = c->cut_at < c->black_at ? c->cut_at : c->black_at;
    uint64_t room = limit - c->fwd_total;

    d->head = s->next;
    if (d->head == NULL)
      d->tail = NULL;
    d->queued -= s->len;
    if (s->eof) {
      free(s);
      dir_send_eof(d);
      continue;
    }
    if (s->len > room)
      s->len = (size_t)room;
    if (s->len == 0) {
      free(s);
    } else {
      c->fwd_total += s->len;
      if (dir_write(d, s) != 0) {
        conn_close(c, 1);
        return;
      }
    }
    if (c->fwd_total >= c->cut_at) {
      conn_cut(c, "bytes");
      return;
    }
    if (c->fwd_total >= c->black_at) {
      conn_blackhole(c, "bytes");
      return;
    }
  }
  dir_check_pressure(d);
  dir_arm(d);
}

static void on_dir_timer(uv_timer_t *t) {
  dir_t *d = t->data;

  if (d->conn->closing || d->conn->black)
    return;
  dir_deliver(d);
}

/* A blackholed connection lost one peer: close our socket to it, and keep
 * the other open until that peer gives up too. */
static void conn_black_side_gone(conn_t *c, int side, int reset) {
  conn_close_side(c, side, reset);
  if (!c->tcp_open[SIDE_CLIENT] && !c->tcp_open[SIDE_SERVER])
    conn_close(c, 0);
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  conn_t *c = stream->data;
  int side =
      stream == (uv_stream_t *)&c->tcp[SIDE_CLIENT] ? SIDE_CLIENT : SIDE_SERVER;
  dir_t *d = &c->dir[side == SIDE_CLIENT ? C2S : S2C];

  if (nread == 0 || c->closing)
    return;
  if (nread > 0) {
    if (c->black) {
      c->emu->st.dropped += (uint64_t)nread;
      return;
    }
    if (dir_enqueue(d, buf->base, (size_t)nread, 0) != 0) {
      conn_close(c, 1);
      return;
    }
    dir_check_pressure(d);
    return;
  }
  dir_read_stop(d);
  if (nread == UV_EOF) {
    d->eof = 1;
    if (c->black) {
      conn_black_side_gone(c, side, 0);
      return;
    }
    if (dir_enqueue(d, NULL, 0, 1) != 0)
      conn_close(c, 1);
    return;
  }
  logf_(c->emu, "conn %" PRIu64 " %s read: %s", c->id,
        side == SIDE_CLIENT ? "client" : "server", uv_strerror((int)nread));
  if (c->black) {
    conn_black_side_gone(c, side, 1);
    return;
  }
  conn_close(c, 1);
}

static void on_connect(uv_connect_t *req, int status) {
  conn_t *c = req->data;

  if (status == UV_ECANCELED || c->closing)
    return;
  if (status < 0) {
    c->emu->st.connect_failures++;
    logf_(c->emu, "conn %" PRIu64 " connect: %s", c->id, uv_strerror(status));
    conn_close(c, 1);
    return;
  }
  c->connected = 1;
  uv_tcp_nodelay(&c->tcp[SIDE_SERVER], 1);
  /* Reading starts only now, so nothing waits for a server that is not
   * there yet. A connection that went black meanwhile drops what it reads. */
  dir_read_start(&c->dir[C2S]);
  dir_read_start(&c->dir[S2C]);
}

static void on_cut_timer(uv_timer_t *t) {
  conn_t *c = t->data;

  /* A half-open link stays half-open: it never closes by itself. */
  if (c->closing || c->black)
    return;
  conn_cut(c, "time");
}

/* ---- the emulator ------------------------------------------------------ */

static void emu_stop(emu_t *e, int code) {
  conn_t *c;
  int i;

  if (e->stopping)
    return;
  e->stopping = 1;
  e->exit_code = code;
  uv_close((uv_handle_t *)&e->listener, NULL);
  for (i = 0; i < 4; i++)
    uv_close((uv_handle_t *)&e->sig[i], NULL);
  uv_close((uv_handle_t *)&e->stats_timer, NULL);
  for (c = e->conns; c != NULL; c = c->next)
    conn_close(c, 0);
}

/* The cut points come from the seed and the connection's number only, so a
 * run with the same seed and the same sequence of connections cuts at the
 * same byte offsets, whatever the timing. */
static void conn_draw(conn_t *c) {
  const opts_t *o = &c->emu->opt;

  c->rng = o->seed ^ (c->id * UINT64_C(0xD1B54A32D192ED03));
  (void)rng_next(&c->rng);
  c->cut_at = UINT64_MAX;
  c->black_at = UINT64_MAX;
  c->cut_ms = 0;
  /* Both are always drawn, so turning one on does not move the other. */
  {
    uint64_t b =
        rng_range(&c->rng, o->cut_bytes / 2, o->cut_bytes + o->cut_bytes / 2);
    uint64_t t = rng_range(&c->rng, o->cut_ms / 2, o->cut_ms + o->cut_ms / 2);

    if (o->cut_bytes > 0)
      c->cut_at = b > 0 ? b : 1;
    if (o->cut_ms > 0)
      c->cut_ms = t > 0 ? t : 1;
  }
  if (o->black_after > 0)
    c->black_at = o->black_after;
}

static void on_connection(uv_stream_t *server, int status) {
  emu_t *e = server->data;
  conn_t *c;
  int i;

  if (status < 0) {
    logf_(e, "accept: %s", uv_strerror(status));
    return;
  }
  c = calloc(1, sizeof(*c));
  if (c == NULL) {
    /* Not accepting would stall the listener for good; better say so. */
    fprintf(stderr, "linkemu: out of memory\n");
    emu_stop(e, 1);
    return;
  }
  c->emu = e;
  c->id = ++e->st.connections;
  c->next = e->conns;
  if (e->conns != NULL)
    e->conns->prev = c;
  e->conns = c;
  e->nconns++;
  conn_draw(c);
  for (i = 0; i < 2; i++) {
    c->dir[i].conn = c;
    c->dir[i].idx = i;
    uv_timer_init(&e->loop, &c->dir[i].timer);
    c->dir[i].timer.data = &c->dir[i];
  }
  uv_timer_init(&e->loop, &c->cut_timer);
  c->cut_timer.data = c;
  uv_tcp_init(&e->loop, &c->tcp[SIDE_CLIENT]);
  c->tcp[SIDE_CLIENT].data = c;
  c->tcp_open[SIDE_CLIENT] = 1;
  if (uv_accept(server, (uv_stream_t *)&c->tcp[SIDE_CLIENT]) != 0) {
    conn_close(c, 0);
    return;
  }
  uv_tcp_nodelay(&c->tcp[SIDE_CLIENT], 1);
  if (e->down) {
    e->st.down_resets++;
    logf_(e, "conn %" PRIu64 " reset: link down", c->id);
    conn_close(c, 1);
    return;
  }
  if (e->nconns > e->opt.max_conns) {
    e->st.refused++;
    logf_(e, "conn %" PRIu64 " reset: too many connections", c->id);
    conn_close(c, 1);
    return;
  }
  logf_(e, "conn %" PRIu64 " open", c->id);
  if (c->cut_ms > 0)
    uv_timer_start(&c->cut_timer, on_cut_timer, c->cut_ms, 0);
  if (e->blackhole) {
    /* Half-open from the start: the client believes it is connected; the
     * server never hears of it. */
    conn_blackhole(c, "mode");
    return;
  }
  uv_tcp_init(&e->loop, &c->tcp[SIDE_SERVER]);
  c->tcp[SIDE_SERVER].data = c;
  c->tcp_open[SIDE_SERVER] = 1;
  c->connect_req.data = c;
  if (uv_tcp_connect(&c->connect_req, &c->tcp[SIDE_SERVER],
                     (const struct sockaddr *)&e->opt.connect_addr,
                     on_connect) != 0) {
    e->st.connect_failures++;
    conn_close(c, 1);
  }
}

static void emu_write_stats(emu_t *e) {
  char tmp[PATH_MAX];
  FILE *f;
  int ok;

  if (e->opt.stats_path == NULL)
    return;
  if (snprintf(tmp, sizeof(tmp), "%s.tmp", e->opt.stats_path) >=
      (int)sizeof(tmp))
    return;
  f = fopen(tmp, "w");
  if (f == NULL)
    return;
  fprintf(f,
          "connections=%" PRIu64 "\nactive=%u\ncuts=%" PRIu64
          "\ndown_resets=%" PRIu64 "\nrefused=%" PRIu64
          "\nconnect_failures=%" PRIu64 "\nblackholed=%" PRIu64
          "\nbytes_c2s=%" PRIu64 "\nbytes_s2c=%" PRIu64
          "\ndropped_bytes=%" PRIu64 "\nblackhole=%d\ndown=%d\n",
          e->st.connections, e->nconns, e->st.cuts, e->st.down_resets,
          e->st.refused, e->st.connect_failures, e->st.blackholed,
          e->st.bytes[C2S], e->st.bytes[S2C], e->st.dropped, e->blackhole,
          e->down);
  ok = fflush(f) == 0;
  ok = (fclose(f) == 0) && ok;
  /* Rename so a reader never sees half a file. */
  if (!ok || rename(tmp, e->opt.stats_path) != 0)
    remove(tmp);
}

static void on_stats_timer(uv_timer_t *t) {
  emu_write_stats(t->data);
}

static void on_signal(uv_signal_t *h, int signum) {
  emu_t *e = h->data;
  conn_t *c;

  switch (signum) {
  case SIGUSR1:
    e->blackhole = !e->blackhole;
    logf_(e, "blackhole %s", e->blackhole ? "on" : "off");
    if (e->blackhole)
      for (c = e->conns; c != NULL; c = c->next)
        if (!c->closing)
          conn_blackhole(c, "mode");
    break;
  case SIGUSR2:
    e->down = !e->down;
    logf_(e, "link %s", e->down ? "down" : "up");
    if (e->down)
      for (c = e->conns; c != NULL; c = c->next)
        if (!c->closing) {
          e->st.down_resets++;
          conn_close(c, 1);
        }
    break;
  default:
    logf_(e, "stopping on signal %d", signum);
    emu_stop(e, 0);
    break;
  }
  /* Written at once, so a script can wait for the mode to take effect. */
  emu_write_stats(e);
}

/* ---- command line ------------------------------------------------------ */

static void usage(FILE *f) {
  fputs(
      "usage: ayil-linkemu --listen 127.0.0.1:PORT --connect 127.0.0.1:PORT\n"
      "                    [--rate BPS] [--delay MS] [--jitter MS]\n"
      "                    [--seed S] [--cut-bytes N] [--cut-ms T]\n"
      "                    [--blackhole] [--blackhole-after-bytes N]\n"
      "                    [--mtu BYTES] [--queue-max BYTES] [--max-conns N]\n"
      "                    [--stats FILE] [--tap FILE] [-v]\n"
      "Forwards TCP on 127.0.0.1 through an emulated slow, lossy link.\n"
      "  --listen ADDR      where to accept; port 0 picks one. Prints "
      "port=N.\n"
      "  --connect ADDR     where to forward each connection\n"
      "  --rate BPS         bits per second, each direction (0: unlimited)\n"
      "  --delay MS         one-way latency, each direction\n"
      "  --jitter MS        extra latency, uniform in [0, MS]; order kept\n"
      "  --seed S           seed of the cut points and the jitter\n"
      "  --cut-bytes N      reset each connection after U[N/2,3N/2] bytes\n"
      "                     forwarded, both directions counted\n"
      "  --cut-ms T         reset each connection after U[T/2,3T/2] ms\n"
      "  --blackhole        start half-open: accept, forward nothing, close "
      "nothing\n"
      "  --blackhole-after-bytes N  each connection goes half-open after N\n"
      "                     bytes forwarded\n"
      "  --mtu BYTES        largest segment on the wire (default 512)\n"
      "  --queue-max BYTES  stop reading a side when this much waits "
      "(256 KiB)\n"
      "  --max-conns N      reset connections beyond N (default 128)\n"
      "  --stats FILE       key=value counters, every second and on exit\n"
      "  --tap FILE         append every byte forwarded (both directions)\n"
      "  -v, --verbose      log events to stderr\n"
      "Signals: SIGUSR1 toggles blackhole, SIGUSR2 toggles link down,\n"
      "SIGTERM/SIGINT stop cleanly.\n",
      f);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out) {
  char *end;
  unsigned long long v;

  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  errno = 0;
  v = strtoull(s, &end, 10);
  if (errno != 0 || *end != '\0' || v > max)
    return -1;
  *out = v;
  return 0;
}

/* Only 127.0.0.1: this tool must never listen on or reach a real network. */
static int parse_addr(const char *s, int allow_zero, struct sockaddr_in *out) {
  static const char prefix[] = "127.0.0.1:";
  uint64_t port;

  if (strncmp(s, prefix, sizeof(prefix) - 1) != 0)
    return -1;
  if (parse_u64(s + sizeof(prefix) - 1, 65535, &port) != 0)
    return -1;
  if (port == 0 && !allow_zero)
    return -1;
  return uv_ip4_addr("127.0.0.1", (int)port, out) == 0 ? 0 : -1;
}

enum {
  OPT_LISTEN = 256,
  OPT_CONNECT,
  OPT_RATE,
  OPT_DELAY,
  OPT_JITTER,
  OPT_SEED,
  OPT_CUT_BYTES,
  OPT_CUT_MS,
  OPT_BLACKHOLE,
  OPT_BLACK_AFTER,
  OPT_MTU,
  OPT_QUEUE_MAX,
  OPT_MAX_CONNS,
  OPT_STATS,
  OPT_TAP,
  OPT_HELP
};

static int parse_opts(int argc, char **argv, opts_t *o) {
  static const struct option longopts[] = {
      {"listen", required_argument, NULL, OPT_LISTEN},
      {"connect", required_argument, NULL, OPT_CONNECT},
      {"rate", required_argument, NULL, OPT_RATE},
      {"delay", required_argument, NULL, OPT_DELAY},
      {"jitter", required_argument, NULL, OPT_JITTER},
      {"seed", required_argument, NULL, OPT_SEED},
      {"cut-bytes", required_argument, NULL, OPT_CUT_BYTES},
      {"cut-ms", required_argument, NULL, OPT_CUT_MS},
      {"blackhole", no_argument, NULL, OPT_BLACKHOLE},
      {"blackhole-after-bytes", required_argument, NULL, OPT_BLACK_AFTER},
      {"mtu", required_argument, NULL, OPT_MTU},
      {"queue-max", required_argument, NULL, OPT_QUEUE_MAX},
      {"max-conns", required_argument, NULL, OPT_MAX_CONNS},
      {"stats", required_argument, NULL, OPT_STATS},
      {"tap", required_argument, NULL, OPT_TAP},
      {"verbose", no_argument, NULL, 'v'},
      {"help", no_argument, NULL, OPT_HELP},
      {NULL, 0, NULL, 0}};
  int have_listen = 0, have_connect = 0;
  uint64_t v;
  int ch;

  memset(o, 0, sizeof(*o));
  o->mtu = 512;
  o->queue_max = 256 * 1024;
  o->max_conns = 128;
  while ((ch = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
    const char *bad = NULL;

    switch (ch) {
    case OPT_LISTEN:
      if (parse_addr(optarg, 1, &o->listen_addr) != 0)
        bad = "--listen (must be 127.0.0.1:PORT)";
      have_listen = 1;
      break;
    case OPT_CONNECT:
      if (parse_addr(optarg, 0, &o->connect_addr) != 0)
        bad = "--connect (must be 127.0.0.1:PORT, PORT 1-65535)";
      have_connect = 1;
      break;
    case OPT_RATE:
      if (parse_u64(optarg, UINT64_C(100000000000), &o->rate_bps) != 0)
        bad = "--rate";
      break;
    case OPT_DELAY:
      if (parse_u64(optarg, MAX_MS, &o->delay_ms) != 0)
        bad = "--delay";
      break;
    case OPT_JITTER:
      if (parse_u64(optarg, MAX_MS, &o->jitter_ms) != 0)
        bad = "--jitter";
      break;
    case OPT_SEED:
      if (parse_u64(optarg, UINT64_MAX, &o->seed) != 0)
        bad = "--seed";
      break;
    case OPT_CUT_BYTES:
      if (parse_u64(optarg, MAX_BYTES, &o->cut_bytes) != 0)
        bad = "--cut-bytes";
      break;
    case OPT_CUT_MS:
      if (parse_u64(optarg, MAX_MS, &o->cut_ms) != 0)
        bad = "--cut-ms";
      break;
    case OPT_BLACKHOLE:
      o->blackhole = 1;
      break;
    case OPT_BLACK_AFTER:
      if (parse_u64(optarg, MAX_BYTES, &o->black_after) != 0)
        bad = "--blackhole-after-bytes";
      break;
    case OPT_MTU:
      if (parse_u64(optarg, READ_BUF_SIZE, &v) != 0 || v == 0)
        bad = "--mtu (1-65536)";
      o->mtu = (size_t)v;
      break;
    case OPT_QUEUE_MAX:
      if (parse_u64(optarg, UINT64_C(64) << 20, &v) != 0 || v < 4096)
        bad = "--queue-max (4096 to 64 MiB)";
      o->queue_max = (size_t)v;
      break;
    case OPT_MAX_CONNS:
      if (parse_u64(optarg, 4096, &v) != 0 || v == 0)
        bad = "--max-conns (1-4096)";
      o->max_conns = (unsigned)v;
      break;
    case OPT_STATS:
      o->stats_path = optarg;
      break;
    case OPT_TAP:
      o->tap_path = optarg;
      break;
    case 'v':
      o->verbose = 1;
      break;
    case OPT_HELP:
      usage(stdout);
      exit(0);
    default:
      usage(stderr);
      return -1;
    }
    if (bad != NULL) {
      fprintf(stderr, "ayil-linkemu: bad value for %s\n", bad);
      return -1;
    }
  }
  if (optind != argc || !have_listen || !have_connect) {
    fprintf(stderr, "ayil-linkemu: --listen and --connect are required\n");
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  static const int signums[4] = {SIGTERM, SIGINT, SIGUSR1, SIGUSR2};
  emu_t *e;
  struct sockaddr_storage ss;
  int namelen = sizeof(ss);
  int rc, i, code;

  e = calloc(1, sizeof(*e));
  if (e == NULL)
    return 1;
  if (parse_opts(argc, argv, &e->opt) != 0) {
    free(e);
    return 2;
  }
  e->blackhole = e->opt.blackhole;
  /* A peer that vanishes must give us EPIPE, not kill us. */
  signal(SIGPIPE, SIG_IGN);
  if (uv_loop_init(&e->loop) != 0) {
    free(e);
    return 1;
  }
  uv_tcp_init(&e->loop, &e->listener);
  e->listener.data = e;
  for (i = 0; i < 4; i++) {
    uv_signal_init(&e->loop, &e->sig[i]);
    e->sig[i].data = e;
  }
  uv_timer_init(&e->loop, &e->stats_timer);
  e->stats_timer.data = e;

  rc = uv_tcp_bind(&e->listener, (const struct sockaddr *)&e->opt.listen_addr,
                   0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&e->listener, 128, on_connection);
  if (rc == 0)
    rc = uv_tcp_getsockname(&e->listener, (struct sockaddr *)&ss, &namelen);
  if (rc != 0) {
    fprintf(stderr, "ayil-linkemu: listen: %s\n", uv_strerror(rc));
    emu_stop(e, 1);
  } else {
    if (e->opt.tap_path != NULL &&
        (e->tap = fopen(e->opt.tap_path, "ab")) == NULL) {
      fprintf(stderr, "ayil-linkemu: --tap %s: %s\n", e->opt.tap_path,
              strerror(errno));
      emu_stop(e, 1);
    } else if (e->tap != NULL) {
      setvbuf(e->tap, NULL, _IONBF, 0); /* a test greps it while it runs */
    }
    printf("port=%d\n", ntohs(((struct sockaddr_in *)&ss)->sin_port));
    fflush(stdout);
    for (i = 0; i < 4; i++)
      uv_signal_start(&e->sig[i], on_signal, signums[i]);
    if (e->opt.stats_path != NULL) {
      emu_write_stats(e);
      uv_timer_start(&e->stats_timer, on_stats_timer, 1000, 1000);
    }
  }
  uv_run(&e->loop, UV_RUN_DEFAULT);
  if (e->tap != NULL)
    fclose(e->tap);
  emu_write_stats(e);
  code = e->exit_code;
  rc = uv_loop_close(&e->loop);
  if (rc != 0) {
    fprintf(stderr, "ayil-linkemu: loop not closed: %s\n", uv_strerror(rc));
    code = 1;
  }
  free(e);
  return code;
}

/*
 * ayil-evilpeer: a malicious, replaying or cloned client for the tests.
 *
 *   ayil-evilpeer --mode MODE --home DIR [--hub HOST:PORT] [--file PATH]
 *                 [--timeout SECONDS]
 *
 * It reads the node in DIR the way ayild does (identity.key, network.key,
 * ayil.conf for the hub's address and id) and talks to the hub over plain
 * blocking sockets. The honest modes (plain, replay-record, fork) run the
 * session ayild runs (proto/session.c); the attacks use proto/'s handshake,
 * transport and sync codecs directly, so each is the real protocol with one
 * thing wrong:
 *
 *   plain         a correct client: handshake, sync its own log, leave
 *                 (the control: an admitted node is accepted; a revoked one
 *                 is refused)
 *   unknown       a fresh identity that was never admitted (right network key)
 *   wrongkey      the node's identity with a random network key: the hub
 *                 must send back nothing at all
 *   replay-record like plain, then one ping; writes every byte it sent to
 *                 --file
 *   replay        sends the bytes of --file again on a new connection
 *   flip          after the handshake, one ping that must be answered, then
 *                 a frame with one flipped byte
 *   badsig        announces nothing, then sends an ENTRIES message with the
 *                 next entry of its own log whose signature is broken; with
 *                 --origin ID, the next entry of log ID (a committee's, from
 *                 a regional hub's home: an entry it invented or altered),
 *                 signed with its own key
 *   badref        like badsig, but the entry is signed right and its record
 *                 id goes as a back-reference to the entry before it in the
 *                 hub's copy (another record): the rebuilt entry must fail
 *                 its signature (needs a log the hub holds at least 1 of)
 *   fork          like plain from a home whose log differs from the hub's
 *                 copy (a cloned node): the hub must raise a fork
 *
 * It prints one line, "evilpeer: mode=... result=... sent=N received=M ...",
 * and exits 0 when the hub refused (closed the connection without
 * accepting, or for fork, refused the log), 1 when the hub accepted, 2 on a
 * usage error, 3 when it could not run the attack (connect failed, keys
 * unreadable, a timeout, a step that should have worked did not).
 *
 * A test tool: it uses the internal sync codecs (proto/sync_int.h) to build
 * messages that the state machine would never produce.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <msgpack.h>
#include <sodium.h>

#include "ayil/envelope.h"
#include "ayil/entry.h"
#include "ayil/handshake.h"
#include "ayil/session.h"
#include "ayil/sync.h"
#include "ayil/transport.h"
#include "config.h"
#include "keys.h"
#include "store.h"
#include "sync_int.h"

#define EXIT_REFUSED 0
#define EXIT_ACCEPTED 1
#define EXIT_USAGE 2
#define EXIT_ERROR 3

/* ---- the connection ---------------------------------------------------- */

typedef struct {
  int fd;
  uint64_t sent, recv;
  int eof;           /* the hub closed (FIN or RST) */
  uint64_t deadline; /* ms on the monotonic clock */
  FILE *record;      /* replay-record: every byte sent */
  ayil_hs_t *hs;
  ayil_tx_t *tx;
  ayil_rx_t *rx;
  uint8_t in[65536]; /* received, not yet consumed */
  size_t in_off, in_len;
  const uint8_t *hub_have; /* inside the handshake's peer payload */
  size_t hub_have_len;
} peer_t;

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void die(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "ayil-evilpeer: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(EXIT_ERROR);
}

static int dial(const char *hostport) {
  char host[64];
  const char *colon = strrchr(hostport, ':');
  struct sockaddr_in sa;
  int fd, one = 1;
  if (colon == NULL || (size_t)(colon - hostport) >= sizeof host)
    die("--hub %s is not IP:PORT", hostport);
  memcpy(host, hostport, (size_t)(colon - hostport));
  host[colon - hostport] = '\0';
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)atoi(colon + 1));
  if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
    die("--hub %s: only IPv4 addresses", hostport);
  fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    die("socket: %s", strerror(errno));
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
    die("connect to %s: %s", hostport, strerror(errno));
  return fd;
}

static void send_raw(peer_t *p, const uint8_t *buf, size_t n) {
  size_t off = 0;
  if (p->record != NULL && n > 0 && fwrite(buf, 1, n, p->record) != n)
    die("writing the record file failed");
  while (off < n) {
    ssize_t k = send(p->fd, buf + off, n - off, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0) {
      /* The hub may already have closed: that is an answer, not an error. */
      p->eof = 1;
      return;
    }
    off += (size_t)k;
    p->sent += (uint64_t)k;
  }
}

/* Reads more bytes into p->in. Returns 1 if some arrived, 0 on EOF or
 * reset (p->eof set), -1 at the deadline. */
static int fill(peer_t *p) {
  struct pollfd pfd;
  ssize_t k;
  uint64_t now;
  if (p->in_off > 0) {
    memmove(p->in, p->in + p->in_off, p->in_len);
    p->in_off = 0;
  }
  if (p->in_len == sizeof p->in)
    die("receive buffer full");
  for (;;) {
    now = mono_ms();
    if (now >= p->deadline)
      return -1;
    pfd.fd = p->fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    if (poll(&pfd, 1, (int)(p->deadline - now)) < 0) {
      if (errno == EINTR)
        continue;
      die("poll: %s", strerror(errno));
    }
    if (pfd.revents == 0)
      continue;
    k = recv(p->fd, p->in + p->in_len, sizeof p->in - p->in_len, 0);
    if (k < 0 && errno == EINTR)
      continue;
    if (k <= 0) {
      p->eof = 1;
      return 0;
    }
    p->in_len += (size_t)k;
    p->recv += (uint64_t)k;
    return 1;
  }
}

static void flush_hs(peer_t *p) {
  const uint8_t *out = NULL;
  size_t n = 0;
  ayil_hs_output(p->hs, &out, &n);
  send_raw(p, out, n);
}

/* Runs the client handshake. Returns 0 when done, AYIL_ECLOSED when the hub
 * closed (refused), AYIL_ETIMEOUT, or the handshake's own error. */
static int handshake(peer_t *p, const uint8_t netkey[32], const uint8_t sk[64],
                     const uint8_t hub_id[32], const uint8_t *payload,
                     size_t plen) {
  int rc = ayil_hs_client_new(&p->hs, netkey, sk, hub_id, payload, plen);
  if (rc != 0)
    die("handshake setup: %s", ayil_strerror(rc));
  flush_hs(p);
  for (;;) {
    size_t used = 0;
    int st;
    if (p->in_len > 0) {
      rc = ayil_hs_feed(p->hs, p->in + p->in_off, p->in_len, &used);
      p->in_off += used;
      p->in_len -= used;
      if (rc != 0)
        return rc;
      flush_hs(p);
    }
    st = ayil_hs_status(p->hs);
    if (st < 0)
      return st;
    if (st == AYIL_HS_DONE)
      break;
    rc = fill(p);
    if (rc < 0)
      return AYIL_ETIMEOUT;
    if (rc == 0) {
      rc = ayil_hs_eof(p->hs);
      return rc != 0 ? rc : AYIL_ECLOSED;
    }
  }
  if (ayil_hs_take_tx(p->hs, &p->tx) != 0 || ayil_hs_take_rx(p->hs, &p->rx))
    die("handshake: no transport");
  return 0;
}

static void send_msg(peer_t *p, const uint8_t *msg, size_t len) {
  uint8_t frame[AYIL_FRAME_WIRE_LEN(AYIL_FRAME_MAX)];
  size_t n = 0;
  if (ayil_tx_seal(p->tx, msg, len, frame, sizeof frame, &n) != 0)
    die("seal failed");
  send_raw(p, frame, n);
}

/* Next frame from the hub. Returns 0 with *msg set, AYIL_ECLOSED when the
 * hub closed or ended its stream, AYIL_ETIMEOUT, or a transport error. */
static int recv_msg(peer_t *p, const uint8_t **msg, size_t *len) {
  for (;;) {
    while (p->in_len > 0) {
      size_t used = 0;
      int rc =
          ayil_rx_feed(p->rx, p->in + p->in_off, p->in_len, &used, msg, len);
      p->in_off += used;
      p->in_len -= used;
      if (rc != 0)
        return rc;
      if (*msg != NULL)
        return 0;
      if (ayil_rx_ended(p->rx))
        return AYIL_ECLOSED;
      if (used == 0)
        break;
    }
    {
      int rc = fill(p);
      if (rc < 0)
        return AYIL_ETIMEOUT;
      if (rc == 0)
        return AYIL_ECLOSED;
    }
  }
}

/* Sync message type of a frame payload, or -1. */
static int msg_type(const uint8_t *msg, size_t len) {
  ayil__mp_t r = {msg, msg + len};
  size_t n = 0;
  uint64_t t = 0;
  if (ayil__mp_array(&r, &n) != 0 || n < 1 || ayil__mp_uint(&r, 255, &t) != 0)
    return -1;
  return (int)t;
}

/* Reads and drops everything until the hub closes. Returns 1 if it closed
 * before the deadline; counts ACK messages it saw in *acks. */
static int wait_close(peer_t *p, int *acks) {
  for (;;) {
    const uint8_t *msg = NULL;
    size_t len = 0;
    int rc;
    if (p->rx == NULL) {
      p->in_len = 0;
      p->in_off = 0;
      rc = fill(p);
      if (rc < 0)
        return 0;
      if (rc == 0)
        return 1;
      continue;
    }
    rc = recv_msg(p, &msg, &len);
    if (rc == AYIL_ETIMEOUT)
      return 0;
    if (rc == AYIL_ECLOSED)
      return 1;
    if (rc != 0) {
      /* A broken stream from the hub: drop the rest raw. */
      ayil_rx_free(p->rx);
      p->rx = NULL;
      continue;
    }
    if (acks != NULL && msg_type(msg, len) == AYIL__SYNC_ACK)
      (*acks)++;
  }
}

/* ---- the envelope around the sync "have" (proto/envelope.c) ------------ */

static size_t envelope(const uint8_t *have, size_t hlen, uint8_t *out,
                       size_t cap) {
  ayil_envelope_t e;
  size_t len = 0;
  memset(&e, 0, sizeof e);
  e.clock_ms = (uint64_t)time(NULL) * 1000;
  e.have = have;
  e.have_len = hlen;
  if (ayil_envelope_pack(&e, out, cap, &len) != 0)
    die("envelope too big");
  return len;
}

/* Finds the hub's have inside its handshake payload. */
static int hub_have(peer_t *p) {
  const uint8_t *pl = NULL;
  size_t plen = 0;
  ayil_envelope_t e;
  int rc = ayil_hs_peer_payload(p->hs, &pl, &plen);
  if (rc == 0)
    rc = ayil_envelope_unpack(pl, plen, AYIL_SYNC_HAVE_MAX, &e);
  if (rc == 0) {
    p->hub_have = e.have;
    p->hub_have_len = e.have_len;
  }
  return rc;
}

/* The hub's row for `origin` in its have: *seq, hash (zeros when 0).
 * AYIL_ENOTFOUND if the hub does not name it. */
static int hub_row(const peer_t *p, const uint8_t origin[AYIL_ID_BYTES],
                   uint64_t *seq, uint8_t hash[AYIL_HASH_BYTES]) {
  ayil__mp_t r = {p->hub_have, p->hub_have + p->hub_have_len};
  size_t n = 0, i;
  uint64_t v = 0;
  int rc = ayil__mp_array_n(&r, 2);
  if (rc == 0)
    rc = ayil__mp_uint(&r, UINT32_MAX, &v);
  if (rc == 0)
    rc = ayil__mp_array(&r, &n);
  for (i = 0; rc == 0 && i < n; i++) {
    const uint8_t *id = NULL, *h = NULL;
    uint64_t s = 0, f = 0;
    rc = ayil__mp_array_n(&r, 4);
    if (rc == 0)
      rc = ayil__mp_bin_n(&r, AYIL_ID_BYTES, &id);
    if (rc == 0)
      rc = ayil__mp_uint(&r, INT64_MAX, &s);
    if (rc == 0 && !ayil__mp_nil(&r))
      rc = ayil__mp_bin_n(&r, AYIL_HASH_BYTES, &h);
    if (rc == 0)
      rc = ayil__mp_uint(&r, 255, &f); /* any flags: HELD, ARRIVALS... */
    if (rc == 0 && memcmp(id, origin, AYIL_ID_BYTES) == 0) {
      *seq = s;
      if (h != NULL)
        memcpy(hash, h, AYIL_HASH_BYTES);
      else
        memset(hash, 0, AYIL_HASH_BYTES);
      return 0;
    }
  }
  return rc != 0 ? rc : AYIL_ENOTFOUND;
}

/* A have payload naming `id` (or nothing if NULL) as an empty log:
 * [1, [[id, 0, nil, flags]]] */
static size_t have_rows(const uint8_t *id, unsigned flags, uint8_t *out,
                        size_t cap) {
  ayil__wbuf_t w;
  ayil__wbuf_init(&w, out, cap);
  msgpack_pack_array(&w.pk, 2);
  msgpack_pack_uint32(&w.pk, AYIL_SYNC_VERSION);
  msgpack_pack_array(&w.pk, id != NULL ? 1 : 0);
  if (id != NULL) {
    msgpack_pack_array(&w.pk, 4);
    ayil__pack_bin(&w.pk, id, AYIL_ID_BYTES);
    msgpack_pack_uint64(&w.pk, 0);
    msgpack_pack_nil(&w.pk);
    msgpack_pack_uint32(&w.pk, flags);
  }
  return w.len;
}

/* ---- a store-backed sync client (plain, replay-record, fork) ----------- */

typedef struct {
  ayil_store_t *st;
  const uint8_t *self;
  uint8_t *g_entry, *g_body, *g_proof;
  int forks, fork_by_peer, acked;
  uint64_t fork_seq, acked_seq;
} client_t;

static int c_origins(void *ctx, ayil_sync_origin_t *out, size_t cap,
                     size_t *n) {
  client_t *c = ctx;
  /* Only our own log goes up; we take nothing from the hub. */
  if (cap > 0) {
    memcpy(out[0].id, c->self, AYIL_ID_BYTES);
    out[0].flags = AYIL_SYNC_OFFER;
  }
  *n = 1;
  return 0;
}

static int c_head(void *ctx, const uint8_t origin[AYIL_ID_BYTES], uint64_t *seq,
                  uint8_t hash[AYIL_HASH_BYTES]) {
  client_t *c = ctx;
  return ayil_store_head(c->st, origin, seq, hash);
}

static void c_free_lent(client_t *c) {
  free(c->g_entry);
  free(c->g_body);
  free(c->g_proof);
  c->g_entry = c->g_body = c->g_proof = NULL;
}

/* As ayild's get(): the entry, its body, or the delete that purged it. */
static int c_get(void *ctx, const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                 ayil_sync_item_t *out) {
  client_t *c = ctx;
  ayil_entry_t e;
  size_t len = 0;
  int rc;
  c_free_lent(c);
  memset(out, 0, sizeof *out);
  rc = ayil_store_entry(c->st, origin, seq, &c->g_entry, &len);
  if (rc != 0)
    return rc;
  out->entry = c->g_entry;
  out->entry_len = len;
  if (ayil_entry_decode(&e, c->g_entry, len) != 0)
    return AYIL_ECORRUPT;
  if (!e.has_body)
    return 0;
  rc = ayil_store_body(c->st, e.record, e.body_hash, &c->g_body, &len);
  if (rc == 0) {
    out->body = c->g_body;
    out->body_len = len;
    return 0;
  }
  if (rc == AYIL_ENOTFOUND) {
    ayil_store_row_t row;
    rc = ayil_store_record(c->st, e.record, &row);
    if (rc == 0 && row.deleted)
      rc = ayil_store_entry(c->st, row.origin, row.seq, &c->g_proof, &len);
    else if (rc == 0)
      rc = AYIL_ECORRUPT;
    ayil_store_row_clear(&row);
    if (rc == 0) {
      out->proof = c->g_proof;
      out->proof_len = len;
    }
  }
  return rc;
}

static int c_deliver(void *ctx, const ayil_entry_t *e,
                     const ayil_sync_item_t *item) {
  return AYIL_EPERM; /* we want nothing */
}

static void c_event(void *ctx, const ayil_sync_event_t *ev) {
  client_t *c = ctx;
  if (ev->type == AYIL_SYNC_EV_FORK) {
    c->forks++;
    c->fork_by_peer = ev->by_peer;
    c->fork_seq = ev->seq;
  } else if (ev->type == AYIL_SYNC_EV_ACKED) {
    c->acked++;
    c->acked_seq = ev->seq;
  }
}

/* ---- an honest client: the session ayild runs (proto/session.c) -------- */

/* Sends everything the session has now. */
static int sess_flush(peer_t *p, ayil_session_t *ss) {
  for (;;) {
    const uint8_t *out = NULL;
    size_t n = 0;
    int rc = ayil_session_transmit(ss, mono_ms(), &out, &n);
    if (rc != 0 || n == 0)
      return rc;
    send_raw(p, out, n);
  }
}

/* Waits for bytes and feeds them all. Returns 0, AYIL_ECLOSED (the hub
 * closed, cleanly or not), AYIL_ETIMEOUT, or the session's error. */
static int sess_read(peer_t *p, ayil_session_t *ss) {
  int rc = fill(p);
  if (rc < 0)
    return AYIL_ETIMEOUT;
  if (rc == 0) {
    rc = ayil_session_eof(ss);
    return rc != 0 ? rc : AYIL_ECLOSED;
  }
  rc = ayil_session_feed(ss, p->in + p->in_off, p->in_len, mono_ms());
  p->in_off = 0;
  p->in_len = 0;
  return rc;
}

/* Until the session is open (the hub accepted), or why not. */
static int sess_open(peer_t *p, ayil_session_t *ss) {
  int rc = sess_flush(p, ss);
  while (rc == 0 && ayil_session_state(ss) == AYIL_SESSION_HANDSHAKE) {
    rc = sess_read(p, ss);
    if (rc == 0)
      rc = sess_flush(p, ss);
  }
  return rc;
}

/* Pumps the session until sync is idle, the hub closes or the deadline
 * (or, with `forks`, until a fork is raised). */
static int sess_until(peer_t *p, ayil_session_t *ss, const int *forks) {
  for (;;) {
    int rc = sess_flush(p, ss);
    if (rc != 0)
      return rc;
    if (forks != NULL ? *forks > 0 : ayil_sync_idle(ayil_session_sync(ss)))
      return 0;
    rc = sess_read(p, ss);
    if (rc != 0)
      return rc;
  }
}

static uint64_t wall_ms(void *ctx) {
  struct timeval tv;
  (void)ctx;
  gettimeofday(&tv, NULL);
  return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

/* ---- the attacks -------------------------------------------------------- */

typedef struct {
  const char *mode, *home, *hub, *file;
  unsigned timeout_s;
  ayil_identity_t ident;
  uint8_t netkey[32];
  uint8_t hub_id[32];
  char hub_addr[128];
  /* badsig --origin ID: the entry claims that log (a committee's, which
   * a regional hub forwards) instead of its own: an invented or altered
   * entry that the origin never signed. */
  const char *origin_text;
  uint8_t origin[AYIL_ID_BYTES];
} opts_t;

static int result(const opts_t *o, const peer_t *p, int code, const char *what,
                  const char *detail) {
  printf("evilpeer: mode=%s result=%s hub_closed=%d sent=%llu received=%llu"
         "%s%s\n",
         o->mode, what, p->eof, (unsigned long long)p->sent,
         (unsigned long long)p->recv, detail[0] ? " " : "", detail);
  fflush(stdout);
  return code;
}

static void peer_init(peer_t *p, const opts_t *o) {
  memset(p, 0, sizeof *p);
  p->deadline = mono_ms() + (uint64_t)o->timeout_s * 1000;
  p->fd = dial(o->hub_addr);
}

static void peer_done(peer_t *p) {
  ayil_hs_free(p->hs);
  ayil_tx_free(p->tx);
  ayil_rx_free(p->rx);
  if (p->fd >= 0)
    close(p->fd);
  p->fd = -1;
}

/* Handshake refused: tell how far it got. */
static int refused_hs(const opts_t *o, peer_t *p, int rc) {
  char d[128];
  int code = rc == AYIL_ECLOSED ? EXIT_REFUSED : EXIT_ERROR;
  snprintf(d, sizeof d, "stage=handshake error=%s", ayil_err_name(rc));
  return result(o, p, code, code == EXIT_REFUSED ? "refused" : "error", d);
}

/* plain, replay-record and fork: a real client from the home's store,
 * running the session ayild runs. */
static int run_client(const opts_t *o) {
  char path[AYIL_PATH_MAX], d[256];
  ayil_session_config_t cfg;
  ayil_session_t *ss = NULL;
  client_t c;
  peer_t p;
  int rc, code, fork_mode = strcmp(o->mode, "fork") == 0;

  memset(&c, 0, sizeof c);
  c.self = o->ident.pk;
  if (ayil_home_path(o->home, "ayil.db", path, sizeof path) != 0 ||
      ayil_store_open(&c.st, path, 0) != 0)
    die("cannot open the store of %s", o->home);
  memset(&cfg, 0, sizeof cfg);
  cfg.sync.ctx = &c;
  cfg.sync.origins = c_origins;
  cfg.sync.head = c_head;
  cfg.sync.get = c_get;
  cfg.sync.deliver = c_deliver;
  cfg.sync.event = c_event;
  cfg.wall_ms = wall_ms;
  if (ayil_session_client(&ss, &cfg, o->netkey, o->ident.sk, o->hub_id,
                          mono_ms()) != 0)
    die("session setup failed");
  peer_init(&p, o);
  if (strcmp(o->mode, "replay-record") == 0) {
    p.record = fopen(o->file, "wb");
    if (p.record == NULL)
      die("cannot write %s", o->file);
  }
  rc = sess_open(&p, ss);
  if (rc != 0) {
    code = refused_hs(o, &p, rc);
    /* A clone is an admitted id: refusing it at the door shows nothing. */
    if (fork_mode)
      code = EXIT_ERROR;
    goto out;
  }
  rc = sess_until(&p, ss, NULL);
  if (rc == 0 && fork_mode) {
    /* A hub that finds a fork sends its proof, which may arrive after this
     * side went idle: keep reading for up to 3 s. */
    uint64_t saved = p.deadline;
    if (mono_ms() + 3000 < p.deadline)
      p.deadline = mono_ms() + 3000;
    rc = sess_until(&p, ss, &c.forks);
    if (rc == AYIL_ETIMEOUT)
      rc = 0;
    p.deadline = saved;
  }
  if (rc == 0) {
    /* Our final frame (recorded too: stream bytes for the replay), then
     * the hub's. */
    ayil_session_leave(ss);
    rc = sess_flush(&p, ss);
    shutdown(p.fd, SHUT_WR);
    wait_close(&p, NULL);
  }
  if (fork_mode) {
    snprintf(d, sizeof d, "forks=%d fork_seq=%llu detected_by=%s acked=%d%s%s",
             c.forks, (unsigned long long)c.fork_seq,
             c.forks == 0     ? "none"
             : c.fork_by_peer ? "hub"
                              : "us",
             c.acked, rc != 0 ? " error=" : "",
             rc != 0 ? ayil_err_name(rc) : "");
    /* Refused: a fork was raised and not one of our entries was taken. */
    code = c.forks > 0 && c.acked == 0 ? EXIT_REFUSED : EXIT_ACCEPTED;
    result(o, &p, code, code == EXIT_REFUSED ? "refused" : "accepted", d);
  } else if (rc == 0 || rc == AYIL_ECLOSED) {
    snprintf(d, sizeof d, "stage=sync acked=%d%s", c.acked,
             rc ? " note=hub-closed-after-accept" : "");
    code = result(o, &p, EXIT_ACCEPTED, "accepted", d);
  } else {
    snprintf(d, sizeof d, "stage=sync error=%s", ayil_err_name(rc));
    code = result(o, &p, EXIT_ERROR, "error", d);
  }
out:
  if (p.record != NULL && fclose(p.record) != 0)
    die("writing %s failed", o->file);
  peer_done(&p);
  ayil_session_free(ss);
  c_free_lent(&c);
  ayil_store_close(c.st);
  return code;
}

/* unknown: a fresh identity that the hub never admitted. */
static int run_unknown(const opts_t *o) {
  uint8_t have[256], env[512];
  ayil_identity_t stranger;
  size_t hlen, elen;
  peer_t p;
  int rc, code;
  crypto_sign_keypair(stranger.pk, stranger.sk);
  hlen = have_rows(stranger.pk, AYIL_SYNC_OFFER, have, sizeof have);
  elen = envelope(have, hlen, env, sizeof env);
  peer_init(&p, o);
  rc = handshake(&p, o->netkey, stranger.sk, o->hub_id, env, elen);
  sodium_memzero(&stranger, sizeof stranger);
  if (rc != 0)
    code = refused_hs(o, &p, rc);
  else
    code = result(o, &p, EXIT_ACCEPTED, "accepted", "stage=handshake");
  peer_done(&p);
  return code;
}

/* wrongkey: the node's identity under another network key. */
static int run_wrongkey(const opts_t *o) {
  uint8_t badkey[32], have[256], env[512];
  size_t hlen, elen;
  peer_t p;
  int rc, closed;
  char d[128];
  randombytes_buf(badkey, sizeof badkey);
  hlen = have_rows(o->ident.pk, AYIL_SYNC_OFFER, have, sizeof have);
  elen = envelope(have, hlen, env, sizeof env);
  peer_init(&p, o);
  rc = handshake(&p, badkey, o->ident.sk, o->hub_id, env, elen);
  closed = p.eof;
  if (rc == AYIL_ETIMEOUT)
    closed = 0;
  snprintf(d, sizeof d, "stage=hello error=%s",
           rc ? ayil_err_name(rc) : "none");
  if (rc == 0 || p.recv > 0)
    rc = result(o, &p, EXIT_ACCEPTED, "answered", d);
  else if (!closed)
    rc = result(o, &p, EXIT_ERROR, "left-open", d);
  else
    rc = result(o, &p, EXIT_REFUSED, "silent-close", d);
  peer_done(&p);
  return rc;
}

/* replay: the recorded bytes of a legitimate session, sent again. */
static int run_replay(const opts_t *o) {
  uint8_t *buf;
  long n;
  FILE *f = fopen(o->file, "rb");
  peer_t p;
  int closed, code;
  char d[128];
  if (f == NULL)
    die("cannot read %s", o->file);
  if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) <= 0 ||
      fseek(f, 0, SEEK_SET) != 0)
    die("%s is empty", o->file);
  buf = malloc((size_t)n);
  if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
    die("cannot read %s", o->file);
  fclose(f);
  peer_init(&p, o);
  /* The hello first, as a client would, then the rest once the hub
   * answered: so the hub sees the auth after its own hello. */
  send_raw(&p, buf, AYIL_HS_CLIENT_HELLO_BYTES);
  while (p.recv < AYIL_HS_SERVER_HELLO_BYTES && !p.eof && fill(&p) > 0)
    ;
  send_raw(&p, buf + AYIL_HS_CLIENT_HELLO_BYTES,
           (size_t)n - AYIL_HS_CLIENT_HELLO_BYTES);
  free(buf);
  closed = wait_close(&p, NULL);
  snprintf(d, sizeof d, "stage=auth hello_bytes=%d",
           AYIL_HS_SERVER_HELLO_BYTES);
  /* A fresh server hello is all a replay may get; an accept would follow
   * it. */
  if (p.recv > AYIL_HS_SERVER_HELLO_BYTES)
    code = result(o, &p, EXIT_ACCEPTED, "accepted", d);
  else if (!closed)
    code = result(o, &p, EXIT_ERROR, "left-open", d);
  else
    code = result(o, &p, EXIT_REFUSED, "refused", d);
  peer_done(&p);
  return code;
}

/* flip, badsig and badref: an authenticated session, then one bad
 * message. */
static int run_session_attack(const opts_t *o) {
  uint8_t have[256], env[512];
  const uint8_t *msg = NULL;
  size_t hlen, elen, len = 0;
  int badref = strcmp(o->mode, "badref") == 0;
  int bad_entry = badref || strcmp(o->mode, "badsig") == 0;
  const uint8_t *origin = o->origin_text != NULL ? o->origin : o->ident.pk;
  peer_t p;
  int rc, code, acks = 0, closed;
  uint64_t before;
  char d[256];

  /* badsig and badref announce the log as empty, so the hub checks nothing
   * before the entries arrive and expects them from its own head on. */
  hlen =
      have_rows(bad_entry ? origin : NULL, AYIL_SYNC_OFFER, have, sizeof have);
  elen = envelope(have, hlen, env, sizeof env);
  peer_init(&p, o);
  rc = handshake(&p, o->netkey, o->ident.sk, o->hub_id, env, elen);
  if (rc != 0) {
    code = refused_hs(o, &p, rc);
    peer_done(&p);
    return code == EXIT_REFUSED ? EXIT_ERROR : code; /* should be admitted */
  }
  if (!bad_entry) {
    const uint8_t ping[2] = {0x91, AYIL__SYNC_PING};
    uint8_t frame[64];
    size_t n = 0;
    /* The stream works: a ping is answered. */
    send_msg(&p, ping, sizeof ping);
    rc = recv_msg(&p, &msg, &len);
    if (rc != 0 || msg_type(msg, len) != AYIL__SYNC_PONG) {
      code = result(o, &p, EXIT_ERROR, "error", "stage=ping no pong");
      peer_done(&p);
      return code;
    }
    /* Then one flipped byte, in the ciphertext of the next frame. */
    if (ayil_tx_seal(p.tx, ping, sizeof ping, frame, sizeof frame, &n) != 0)
      die("seal failed");
    frame[AYIL_FRAME_LEN_BYTES + 1] ^= 0x01;
    before = p.recv;
    send_raw(&p, frame, n);
    closed = wait_close(&p, &acks);
    snprintf(d, sizeof d, "stage=stream after_flip_received=%llu",
             (unsigned long long)(p.recv - before));
    code = closed ? result(o, &p, EXIT_REFUSED, "refused", d)
                  : result(o, &p, EXIT_ACCEPTED, "left-open", d);
    peer_done(&p);
    return code;
  }

  {
    /* The next entry of our own log after what the hub holds, with a
     * valid header, signed, then with one signature bit flipped. */
    static const char hdr[] = "\x84\xae"
                              "cases_reviewed"
                              "\x01\xa4"
                              "kind"
                              "\xa7"
                              "session"
                              "\xa5"
                              "month"
                              "\xa7"
                              "2026-03"
                              "\xb0"
                              "violence_related"
                              "\xc3";
    uint8_t ebuf[AYIL_ENTRY_MAX], out[1024], hub_hash[AYIL_HASH_BYTES];
    uint64_t hub_seq = 0;
    ayil_entry_t e;
    ayil__rec_t rec;
    ayil__wbuf_t w;
    size_t eblen = 0;

    rc = hub_have(&p);
    if (rc == 0)
      rc = hub_row(&p, origin, &hub_seq, hub_hash);
    if (rc != 0) {
      snprintf(d, sizeof d, "stage=have error=%s", ayil_err_name(rc));
      code = result(o, &p, EXIT_ERROR, "error", d);
      peer_done(&p);
      return code;
    }
    memset(&e, 0, sizeof e);
    memcpy(e.origin, o->ident.pk, AYIL_ID_BYTES); /* signable by us */
    e.seq = hub_seq + 1;
    memcpy(e.prev, hub_hash, AYIL_HASH_BYTES);
    e.ts_ms = (uint64_t)time(NULL) * 1000;
    randombytes_buf(e.record, sizeof e.record);
    e.op = AYIL_OP_PUT;
    e.codes_version = 1;
    e.header = (const uint8_t *)hdr;
    e.header_len = sizeof hdr - 1;
    if (ayil_entry_sign(&e, o->ident.sk, ebuf, sizeof ebuf, &eblen) != 0 ||
        ayil_entry_verify(&e) != 0)
      die("cannot build the entry");
    if (o->origin_text != NULL)
      memcpy(e.origin, origin, AYIL_ID_BYTES); /* now claimed as theirs */
    else if (!badref)
      e.sig[17] ^= 0x20;
    if (!badref && ayil_entry_verify(&e) != AYIL_ESIG)
      die("the broken signature still verifies");
    if (badref && hub_seq == 0) {
      code = result(o, &p, EXIT_ERROR, "error", "stage=have hub holds none");
      peer_done(&p);
      return code;
    }
    memset(&rec, 0, sizeof rec);
    rec.ts_ms = e.ts_ms;
    rec.record = e.record;
    rec.op = e.op;
    rec.codes_version = e.codes_version;
    rec.header = e.header;
    rec.header_len = e.header_len;
    rec.body_kind = AYIL__BODY_NONE;
    rec.sig = e.sig;
    if (badref)
      rec.record_ref = 1; /* entry hub_seq: another record's id */
    ayil__wbuf_init(&w, out, sizeof out);
    msgpack_pack_array(&w.pk, 5);
    msgpack_pack_uint32(&w.pk, AYIL__SYNC_ENTRIES);
    msgpack_pack_uint32(&w.pk, 0); /* our row 0 */
    msgpack_pack_uint64(&w.pk, e.seq);
    if (e.seq == 1)
      msgpack_pack_nil(&w.pk);
    else
      ayil__pack_bin(&w.pk, hub_hash, AYIL_HASH_BYTES);
    ayil__rec_write(&w.pk, &rec);
    if (w.overflow)
      die("message too big");
    send_msg(&p, out, w.len);
    closed = wait_close(&p, &acks);
    snprintf(d, sizeof d, "stage=entries seq=%llu acks=%d",
             (unsigned long long)e.seq, acks);
    if (acks > 0)
      code = result(o, &p, EXIT_ACCEPTED, "accepted", d);
    else if (!closed)
      code = result(o, &p, EXIT_ACCEPTED, "left-open", d);
    else
      code = result(o, &p, EXIT_REFUSED, "refused", d);
    peer_done(&p);
    return code;
  }
}

static void usage(void) {
  fprintf(
      stderr,
      "usage: ayil-evilpeer --mode MODE --home DIR [--hub HOST:PORT]\n"
      "                     [--file PATH] [--timeout SECONDS] [--origin ID]\n"
      "MODE: plain unknown wrongkey replay-record replay flip badsig badref "
      "fork\n"
      "Exit: 0 the hub refused, 1 it accepted, 2 usage, 3 could not "
      "run.\n");
  exit(EXIT_USAGE);
}

int main(int argc, char **argv) {
  static const char *const modes[] = {"plain",         "unknown", "wrongkey",
                                      "replay-record", "replay",  "flip",
                                      "badsig",        "badref",  "fork"};
  char path[AYIL_PATH_MAX], err[256];
  ayil_config_t conf;
  opts_t o;
  size_t i;
  int rc, known = 0;

  memset(&o, 0, sizeof o);
  o.timeout_s = 15;
  for (i = 1; i < (size_t)argc; i++) {
    const char *a = argv[i], *v = i + 1 < (size_t)argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--help") == 0)
      usage();
    if (v == NULL)
      usage();
    if (strcmp(a, "--mode") == 0)
      o.mode = v;
    else if (strcmp(a, "--home") == 0)
      o.home = v;
    else if (strcmp(a, "--hub") == 0)
      o.hub = v;
    else if (strcmp(a, "--file") == 0)
      o.file = v;
    else if (strcmp(a, "--timeout") == 0)
      o.timeout_s = (unsigned)atoi(v);
    else if (strcmp(a, "--origin") == 0)
      o.origin_text = v;
    else
      usage();
    i++;
  }
  for (i = 0; o.mode != NULL && i < sizeof modes / sizeof modes[0]; i++)
    known |= strcmp(o.mode, modes[i]) == 0;
  if (!known || o.home == NULL || o.timeout_s == 0 ||
      ((strcmp(o.mode, "replay") == 0 ||
        strcmp(o.mode, "replay-record") == 0) &&
       o.file == NULL))
    usage();
  if (sodium_init() < 0)
    die("libsodium init failed");
  signal(SIGPIPE, SIG_IGN);

  rc = ayil_config_load(o.home, &conf, err, sizeof err);
  if (rc != 0)
    die("config of %s: %s", o.home, err);
  snprintf(o.hub_addr, sizeof o.hub_addr, "%s",
           o.hub != NULL ? o.hub : conf.hub_addr);
  if (ayil_id_from_text(conf.hub_id, o.hub_id) != 0)
    die("config of %s: no hub id (a committee home is needed)", o.home);
  if (ayil_home_path(o.home, "identity.key", path, sizeof path) != 0 ||
      (rc = ayil_identity_load(path, &o.ident)) != 0)
    die("identity key of %s: %s", o.home, ayil_strerror(rc));
  if (o.origin_text != NULL && ayil_id_from_text(o.origin_text, o.origin) != 0)
    die("--origin: not a node id");
  /* A regional hub dials the hub above with that hub's network key. */
  if (ayil_home_path(
          o.home, strcmp(conf.role, "hub") == 0 ? "uplink.key" : "network.key",
          path, sizeof path) != 0 ||
      (rc = ayil_netkey_load(path, o.netkey)) != 0)
    die("network key of %s: %s", o.home, ayil_strerror(rc));

  if (strcmp(o.mode, "unknown") == 0)
    rc = run_unknown(&o);
  else if (strcmp(o.mode, "wrongkey") == 0)
    rc = run_wrongkey(&o);
  else if (strcmp(o.mode, "replay") == 0)
    rc = run_replay(&o);
  else if (strcmp(o.mode, "flip") == 0 || strcmp(o.mode, "badsig") == 0 ||
           strcmp(o.mode, "badref") == 0)
    rc = run_session_attack(&o);
  else
    rc = run_client(&o);
  ayil_identity_wipe(&o.ident);
  sodium_memzero(o.netkey, sizeof o.netkey);
  return rc;
}

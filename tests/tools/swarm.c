/*
 * ayil-swarm: many hostile connections at once, for tests/e2e/hostile.sh
 * and tests/bench/bench_hostile.sh. It is not ayil: it speaks just enough
 * of the protocol (proto/'s handshake and transport) to get one thing
 * wrong, on up to 4,000 non-blocking sockets in one poll() loop.
 *
 *   ayil-swarm --hub IP:PORT --mode MODE [--count N] [--from IP]
 *              [--spread K] [--home DIR] [--seconds S] [--every MS]
 *
 *   silent     N connections that never send a byte
 *   drip       N connections that send one random byte every --every ms
 *   garbage    N connections that send 4 KiB of random bytes every
 *              --every ms
 *   hello      (--home: a node's network key) N connections that send a
 *              valid hello, proving the network key, and never authenticate
 *   stall      (--home: an admitted node) N connections that authenticate
 *              with the node's keys, then send the length of a 64 KiB frame
 *              and 1 KiB of it, and stop
 *   lying      (--home) N connections that authenticate, then send a frame
 *              whose length says 64 KiB and whose bytes are random
 *   pingflood  (--home) N connections that authenticate, then send sealed
 *              PING messages as fast as the socket takes them and never
 *              read
 *
 * --from binds the connections to a local address (127.0.0.2 ...) so that
 * a test can tell them from its committees; with --spread K they come from
 * K consecutive addresses starting there, as a botnet's would. It runs until
 * the hub has closed every connection or --seconds have passed, then prints one
 * line:
 *
 *   swarm: mode=M opened=N connected=C authenticated=A closed_by_hub=K
 *   still_open=O median_close_ms=X max_close_ms=Y sent=B received=R
 *
 * and exits 0, or 2 on a usage error, 3 when it could not run at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <msgpack.h>
#include <sodium.h>

#include "ayil/envelope.h"
#include "ayil/handshake.h"
#include "ayil/sync.h"
#include "ayil/transport.h"
#include "config.h"
#include "keys.h"
#include "sync_int.h"

#define MAX_CONNS 4000

enum { M_SILENT, M_DRIP, M_GARBAGE, M_HELLO, M_STALL, M_LYING, M_PINGFLOOD };
static const char *const mode_names[] = {"silent", "drip",  "garbage",  "hello",
                                         "stall",  "lying", "pingflood"};

enum { S_CONNECTING, S_OPEN, S_HANDSHAKE, S_AUTHED, S_DONE, S_CLOSED };

typedef struct {
  int fd;
  int state;
  int connected;
  int authed; /* completed a handshake */
  uint64_t opened_ms, closed_ms, next_ms;
  ayil_hs_t *hs;
  ayil_tx_t *tx;
  uint8_t pending[AYIL_FRAME_WIRE_LEN(AYIL_FRAME_MAX)];
  size_t pend_off, pend_len; /* bytes queued for the socket */
} sconn_t;

static struct {
  int mode;
  unsigned count, seconds, every_ms;
  struct sockaddr_in hub, from;
  int has_from;
  unsigned spread;
  ayil_identity_t ident;
  uint8_t netkey[32], hub_id[32];
  int has_home;
  uint8_t env[256];
  size_t env_len;
  uint64_t sent, recv;
} g;

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void usage(void) {
  fprintf(stderr, "usage: ayil-swarm --hub IP:PORT --mode "
                  "silent|drip|garbage|hello|stall|lying|pingflood\n"
                  "                  [--count N] [--from IP] [--spread K] "
                  "[--home DIR] [--seconds S] [--every MS]\n");
  exit(2);
}

/* IPv4 HOST:PORT (ayil_hostport_split, as ayild reads it), or a bare
 * address (--from). */
static int parse_addr(const char *hostport, struct sockaddr_in *sa) {
  char host[64];
  unsigned port = 0;
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  if (strchr(hostport, ':') == NULL)
    return inet_pton(AF_INET, hostport, &sa->sin_addr) == 1 ? 0 : -1;
  if (ayil_hostport_split(hostport, host, sizeof host, &port) != 0)
    return -1;
  sa->sin_port = htons((uint16_t)port);
  return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

/* An empty have in an envelope: a node that offers and wants nothing. */
static void build_envelope(void) {
  uint8_t have[32];
  ayil__wbuf_t w;
  ayil_envelope_t e;
  ayil__wbuf_init(&w, have, sizeof have);
  msgpack_pack_array(&w.pk, 2);
  msgpack_pack_uint32(&w.pk, AYIL_SYNC_VERSION);
  msgpack_pack_array(&w.pk, 0);
  memset(&e, 0, sizeof e);
  e.clock_ms = (uint64_t)time(NULL) * 1000;
  e.have = have;
  e.have_len = w.len;
  if (ayil_envelope_pack(&e, g.env, sizeof g.env, &g.env_len) != 0) {
    fprintf(stderr, "ayil-swarm: envelope\n");
    exit(3);
  }
}

static void load_home(const char *home) {
  char path[AYIL_PATH_MAX], err[256];
  ayil_config_t conf;
  int rc = ayil_config_load(home, &conf, err, sizeof err);
  if (rc != 0 || ayil_id_from_text(conf.hub_id, g.hub_id) != 0) {
    fprintf(stderr, "ayil-swarm: %s is not a committee home\n", home);
    exit(3);
  }
  if (ayil_home_path(home, "identity.key", path, sizeof path) != 0 ||
      ayil_identity_load(path, &g.ident) != 0 ||
      ayil_home_path(home, "network.key", path, sizeof path) != 0 ||
      ayil_netkey_load(path, g.netkey) != 0) {
    fprintf(stderr, "ayil-swarm: the keys of %s are unreadable\n", home);
    exit(3);
  }
  g.has_home = 1;
}

static void close_conn(sconn_t *c, int by_hub, uint64_t now) {
  if (c->fd >= 0)
    close(c->fd);
  c->fd = -1;
  if (by_hub && c->state != S_CLOSED) {
    c->closed_ms = now;
    c->state = S_CLOSED;
  }
  ayil_hs_free(c->hs);
  ayil_tx_free(c->tx);
  c->hs = NULL;
  c->tx = NULL;
}

static void queue(sconn_t *c, const uint8_t *p, size_t n) {
  if (c->pend_off == c->pend_len)
    c->pend_off = c->pend_len = 0;
  if (n > sizeof c->pending - c->pend_len)
    n = sizeof c->pending - c->pend_len;
  memcpy(c->pending + c->pend_len, p, n);
  c->pend_len += n;
}

static void flush_out(sconn_t *c, uint64_t now) {
  while (c->pend_off < c->pend_len) {
    ssize_t k = send(c->fd, c->pending + c->pend_off, c->pend_len - c->pend_off,
                     MSG_NOSIGNAL | MSG_DONTWAIT);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    if (k < 0) {
      close_conn(c, 1, now);
      return;
    }
    c->pend_off += (size_t)k;
    g.sent += (uint64_t)k;
  }
}

static void hs_flush(sconn_t *c) {
  const uint8_t *out = NULL;
  size_t n = 0;
  ayil_hs_output(c->hs, &out, &n);
  if (n > 0)
    queue(c, out, n);
}

/* What an authenticated connection does once, then (stall) nothing. */
static void authed(sconn_t *c) {
  uint8_t junk[1024];
  randombytes_buf(junk, sizeof junk);
  if (g.mode == M_STALL || g.mode == M_LYING) {
    static const uint8_t len[2] = {0xff, 0xff};
    queue(c, len, sizeof len);
    queue(c, junk, sizeof junk);
    if (g.mode == M_LYING) {
      size_t left = 0xffff + AYIL_FRAME_ABYTES - sizeof junk;
      while (left > 0) {
        size_t k = left < sizeof junk ? left : sizeof junk;
        queue(c, junk, k);
        left -= k;
      }
    }
    c->state = S_DONE;
  }
}

/* pingflood: as many sealed PINGs as fit in the queue. */
static void more_pings(sconn_t *c) {
  static const uint8_t ping[2] = {0x91, AYIL__SYNC_PING};
  unsigned i;
  if (c->pend_off < c->pend_len)
    return;
  for (i = 0; i < 64; i++) {
    uint8_t frame[64];
    size_t n = 0;
    if (ayil_tx_seal(c->tx, ping, sizeof ping, frame, sizeof frame, &n) != 0)
      return;
    queue(c, frame, n);
  }
}

static void on_readable(sconn_t *c, uint64_t now) {
  uint8_t buf[16384];
  ssize_t k = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
  if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
    return;
  if (k <= 0) {
    close_conn(c, 1, now);
    return;
  }
  g.recv += (uint64_t)k;
  if (c->state == S_HANDSHAKE && g.mode != M_HELLO) {
    size_t used = 0;
    int st;
    if (ayil_hs_feed(c->hs, buf, (size_t)k, &used) != 0) {
      close_conn(c, 1, now);
      return;
    }
    hs_flush(c);
    st = ayil_hs_status(c->hs);
    if (st == AYIL_HS_DONE) {
      ayil_rx_t *rx = NULL;
      if (ayil_hs_take_tx(c->hs, &c->tx) != 0 ||
          ayil_hs_take_rx(c->hs, &rx) != 0) {
        close_conn(c, 1, now);
        return;
      }
      ayil_rx_free(rx); /* what the hub says next is not read */
      c->state = S_AUTHED;
      c->authed = 1;
      authed(c);
    }
  }
}

static void on_connected(sconn_t *c, uint64_t now) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
    close_conn(c, 1, now);
    return;
  }
  c->connected = 1;
  c->opened_ms = now;
  c->next_ms = now;
  c->state = S_OPEN;
  if (g.mode >= M_HELLO) {
    if (ayil_hs_client_new(&c->hs, g.netkey, g.ident.sk, g.hub_id, g.env,
                           g.env_len) != 0) {
      close_conn(c, 0, now);
      return;
    }
    hs_flush(c);
    c->state = S_HANDSHAKE;
  }
}

static void tick(sconn_t *c, uint64_t now) {
  if (c->state != S_OPEN || now < c->next_ms)
    return;
  if (g.mode == M_DRIP) {
    uint8_t b = (uint8_t)randombytes_uniform(256);
    queue(c, &b, 1);
  } else if (g.mode == M_GARBAGE) {
    uint8_t junk[4096];
    randombytes_buf(junk, sizeof junk);
    queue(c, junk, sizeof junk);
  }
  c->next_ms = now + g.every_ms;
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  static const struct option opts[] = {
      {"hub", required_argument, NULL, 'h'},
      {"mode", required_argument, NULL, 'm'},
      {"count", required_argument, NULL, 'n'},
      {"from", required_argument, NULL, 'f'},
      {"home", required_argument, NULL, 'H'},
      {"seconds", required_argument, NULL, 's'},
      {"every", required_argument, NULL, 'e'},
      {"spread", required_argument, NULL, 'k'},
      {NULL, 0, NULL, 0}};
  static sconn_t conns[MAX_CONNS];
  static struct pollfd pfd[MAX_CONNS];
  static uint64_t close_ms[MAX_CONNS];
  const char *hub = NULL, *mode = NULL, *home = NULL;
  unsigned i, connected = 0, authd = 0, closed = 0, open_left = 0;
  uint64_t start, deadline;
  struct rlimit rl;
  int opt;

  g.count = 1;
  g.seconds = 30;
  g.every_ms = 3000;
  g.spread = 1;
  while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (opt) {
    case 'h':
      hub = optarg;
      break;
    case 'm':
      mode = optarg;
      break;
    case 'n':
      g.count = (unsigned)strtoul(optarg, NULL, 10);
      break;
    case 'f':
      if (parse_addr(optarg, &g.from) != 0)
        usage();
      g.has_from = 1;
      break;
    case 'H':
      home = optarg;
      break;
    case 's':
      g.seconds = (unsigned)strtoul(optarg, NULL, 10);
      break;
    case 'e':
      g.every_ms = (unsigned)strtoul(optarg, NULL, 10);
      break;
    case 'k':
      g.spread = (unsigned)strtoul(optarg, NULL, 10);
      break;
    default:
      usage();
    }
  }
  g.mode = -1;
  for (i = 0; mode != NULL && i < sizeof mode_names / sizeof mode_names[0]; i++)
    if (strcmp(mode, mode_names[i]) == 0)
      g.mode = (int)i;
  if (hub == NULL || g.mode < 0 || g.count == 0 || g.count > MAX_CONNS ||
      g.seconds == 0 || g.every_ms == 0 || g.spread == 0 || g.spread > 250 ||
      parse_addr(hub, &g.hub) != 0 || (g.mode >= M_HELLO && home == NULL))
    usage();
  if (sodium_init() < 0)
    return 3;
  signal(SIGPIPE, SIG_IGN);
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < g.count + 16) {
    rl.rlim_cur = rl.rlim_max < g.count + 16 ? rl.rlim_max : g.count + 16;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (home != NULL) {
    load_home(home);
    build_envelope();
  }

  start = mono_ms();
  deadline = start + (uint64_t)g.seconds * 1000;
  for (i = 0; i < g.count; i++) {
    sconn_t *c = &conns[i];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    c->fd = -1;
    c->state = S_CLOSED; /* not counted as closed by the hub */
    if (fd < 0)
      break;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (g.has_from) {
      struct sockaddr_in from = g.from;
      from.sin_addr.s_addr =
          htonl(ntohl(g.from.sin_addr.s_addr) + i % g.spread);
      if (bind(fd, (struct sockaddr *)&from, sizeof from) != 0) {
        close(fd);
        break;
      }
    }
    if (connect(fd, (struct sockaddr *)&g.hub, sizeof g.hub) != 0 &&
        errno != EINPROGRESS) {
      close(fd);
      break;
    }
    c->fd = fd;
    c->state = S_CONNECTING;
  }
  if (i < g.count)
    fprintf(stderr, "ayil-swarm: opened %u of %u connections: %s\n", i, g.count,
            strerror(errno));
  g.count = i;

  for (;;) {
    uint64_t now = mono_ms();
    unsigned n = 0, live = 0;
    if (now >= deadline)
      break;
    for (i = 0; i < g.count; i++) {
      sconn_t *c = &conns[i];
      if (c->fd < 0)
        continue;
      live++;
      tick(c, now);
      if (g.mode == M_PINGFLOOD && c->state == S_AUTHED)
        more_pings(c);
      if (c->connected)
        flush_out(c, now);
      if (c->fd < 0)
        continue;
      pfd[n].fd = c->fd;
      /* pingflood never reads once authenticated: the hub's pongs pile
       * up on its side. */
      pfd[n].events =
          (short)((g.mode == M_PINGFLOOD && c->state == S_AUTHED) ? 0 : POLLIN);
      if (!c->connected || c->pend_off < c->pend_len)
        pfd[n].events |= POLLOUT;
      pfd[n].revents = 0;
      n++;
    }
    if (live == 0)
      break;
    if (poll(pfd, n, 100) < 0 && errno != EINTR)
      break;
    now = mono_ms();
    for (i = 0, n = 0; i < g.count; i++) {
      sconn_t *c = &conns[i];
      short re;
      if (c->fd < 0)
        continue;
      re = pfd[n++].revents;
      if (re == 0)
        continue;
      if (!c->connected) {
        if (re & (POLLOUT | POLLERR | POLLHUP))
          on_connected(c, now);
        continue;
      }
      if (re & (POLLIN | POLLERR | POLLHUP))
        on_readable(c, now);
      else if (re & POLLOUT)
        flush_out(c, now);
    }
  }

  for (i = 0; i < g.count; i++) {
    sconn_t *c = &conns[i];
    connected += c->connected;
    authd += c->authed;
    if (c->connected && c->state == S_CLOSED && c->closed_ms >= c->opened_ms)
      close_ms[closed++] = c->closed_ms - c->opened_ms;
    if (c->fd >= 0) {
      open_left++;
      close_conn(c, 0, 0);
    }
  }
  qsort(close_ms, closed, sizeof close_ms[0], cmp_u64);
  printf("swarm: mode=%s opened=%u connected=%u authenticated=%u "
         "closed_by_hub=%u still_open=%u median_close_ms=%llu "
         "max_close_ms=%llu sent=%llu received=%llu\n",
         mode_names[g.mode], g.count, connected, authd, closed, open_left,
         closed > 0 ? (unsigned long long)close_ms[closed / 2] : 0ULL,
         closed > 0 ? (unsigned long long)close_ms[closed - 1] : 0ULL,
         (unsigned long long)g.sent, (unsigned long long)g.recv);
  ayil_identity_wipe(&g.ident);
  sodium_memzero(g.netkey, sizeof g.netkey);
  return 0;
}

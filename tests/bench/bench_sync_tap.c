/*
 * bench_sync_tap: a transparent TCP forwarder on 127.0.0.1 that writes down
 * when each handshake message and each transport frame of an ayil
 * connection passes, for tests/bench/bench_sync.sh. It reads nothing
 * secret: it only follows the cleartext lengths of proto/PROTOCOL.md
 * (hello 48 and 64 bytes, auth and accept be16(L) || L, then frames
 * be16(len) || len + 17), so it tells a handshake flight from a frame and a
 * big ENTRIES frame from a tiny ACK without opening either.
 *
 *   bench_sync_tap --listen PORT --connect PORT --log FILE [--timeout S]
 *
 * PORT 0 for --listen picks a free port; the first line on stdout is then
 * `port=NNNN`. Log lines (times are CLOCK_MONOTONIC in ms, so two taps on one
 * machine share a clock):
 *
 *   T CONN open
 *   T CONN c2s|s2c hs1|hs2|hs3|hs4|frame PAYLOAD WIRE T_FIRST_BYTE
 *   T CONN c2s|s2c eof
 *   T CONN reset
 *   T CONN close C2S_BYTES S2C_BYTES
 *
 * A FIN is passed on as a FIN (shutdown), a reset or a read error as a reset
 * (SO_LINGER 0), so the ends see what they would see without the tap. The
 * tap exits on SIGTERM or SIGINT, or after --timeout seconds (default 3600),
 * so that a forgotten one cannot outlive the benchmark for long.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 16
#define BUF_SIZE 65536
#define FRAME_OVERHEAD 17 /* secretstream: 1 tag + 16 MAC, after be16 */

enum { C2S = 0, S2C = 1 };

/* Follows the unit boundaries of one direction of the byte stream. */
typedef struct {
  int stage;  /* 0: hello, 1: auth/accept, 2: frames */
  int in_hdr; /* reading the 2 length bytes */
  uint8_t hdr[2];
  int hdr_got;
  size_t left; /* bytes of the current unit still to come */
  size_t paylen, wire;
  double t_first;
  int active; /* inside a unit */
  int broken; /* lost track (not an ayil stream): stop logging units */
} parser_t;

typedef struct {
  int used;
  int id;
  int fd[2]; /* fd[C2S] reads from the client, fd[S2C] from the server */
  int eof[2];
  uint64_t bytes[2];
  parser_t p[2];
} conn_t;

static volatile sig_atomic_t g_stop = 0;
static FILE *g_log;
static conn_t g_conns[MAX_CONNS];
static int g_next_id = 1;

static void on_signal(int sig) {
  (void)sig;
  g_stop = 1;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *const DIR_NAME[2] = {"c2s", "s2c"};

static void unit_done(conn_t *c, int dir, parser_t *p) {
  static const char *const hs[2][2] = {{"hs1", "hs3"}, {"hs2", "hs4"}};
  const char *kind = p->stage < 2 ? hs[dir][p->stage] : "frame";
  fprintf(g_log, "%.3f %d %s %s %zu %zu %.3f\n", now_ms(), c->id, DIR_NAME[dir],
          kind, p->paylen, p->wire, p->t_first);
  if (p->stage < 2)
    p->stage++;
  p->active = 0;
}

/* Feeds bytes that just went through in direction `dir`. */
static void parse(conn_t *c, int dir, const uint8_t *b, size_t n) {
  parser_t *p = &c->p[dir];
  while (n > 0 && !p->broken) {
    if (!p->active) {
      p->active = 1;
      p->t_first = now_ms();
      if (p->stage == 0) {
        p->in_hdr = 0;
        p->left = dir == C2S ? 48 : 64;
        p->paylen = 0;
        p->wire = p->left;
      } else {
        p->in_hdr = 1;
        p->hdr_got = 0;
      }
    }
    if (p->in_hdr) {
      size_t len;
      p->hdr[p->hdr_got++] = *b++;
      n--;
      if (p->hdr_got < 2)
        continue;
      p->in_hdr = 0;
      len = ((size_t)p->hdr[0] << 8) | p->hdr[1];
      if (p->stage == 1) {
        p->paylen = len;
        p->left = len;
      } else {
        p->paylen = len;
        p->left = len + FRAME_OVERHEAD;
      }
      p->wire = 2 + p->left;
      if (p->left == 0) {
        p->broken = 1;
        break;
      }
      continue;
    }
    {
      size_t k = n < p->left ? n : p->left;
      b += k;
      n -= k;
      p->left -= k;
      if (p->left == 0)
        unit_done(c, dir, p);
    }
  }
}

static void hard_close(int fd) {
  struct linger lg = {1, 0};
  if (fd < 0)
    return;
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(fd);
}

static void conn_end(conn_t *c, int reset) {
  if (reset) {
    fprintf(g_log, "%.3f %d reset\n", now_ms(), c->id);
    hard_close(c->fd[0]);
    hard_close(c->fd[1]);
  } else {
    close(c->fd[0]);
    close(c->fd[1]);
  }
  fprintf(g_log, "%.3f %d close %llu %llu\n", now_ms(), c->id,
          (unsigned long long)c->bytes[C2S], (unsigned long long)c->bytes[S2C]);
  memset(c, 0, sizeof *c);
}

static int write_all(int fd, const uint8_t *b, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return -1;
    b += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Moves what direction `dir` has to read. Returns 0, or -1 to reset. */
static int pump(conn_t *c, int dir) {
  static uint8_t buf[BUF_SIZE];
  int to = c->fd[dir == C2S ? S2C : C2S];
  ssize_t r = recv(c->fd[dir], buf, sizeof buf, 0);
  if (r < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (r < 0)
    return -1;
  if (r == 0) {
    fprintf(g_log, "%.3f %d %s eof\n", now_ms(), c->id, DIR_NAME[dir]);
    c->eof[dir] = 1;
    shutdown(to, SHUT_WR);
    return 0;
  }
  if (write_all(to, buf, (size_t)r) != 0)
    return -1;
  c->bytes[dir] += (uint64_t)r;
  parse(c, dir, buf, (size_t)r);
  return 0;
}

static int parse_port(const char *s) {
  char *end = NULL;
  long v = strtol(s, &end, 10);
  if (end == s || *end != '\0' || v < 0 || v > 65535)
    return -1;
  return (int)v;
}

static void usage(void) {
  fprintf(stderr, "usage: bench_sync_tap --listen PORT --connect PORT --log "
                  "FILE [--timeout S]\n");
}

static void accept_one(int lfd, int up_port) {
  struct sockaddr_in sa;
  int cfd, sfd, one = 1, i;
  conn_t *c = NULL;
  cfd = accept(lfd, NULL, NULL);
  if (cfd < 0)
    return;
  for (i = 0; i < MAX_CONNS; i++)
    if (!g_conns[i].used) {
      c = &g_conns[i];
      break;
    }
  sfd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)up_port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (c == NULL || sfd < 0 ||
      connect(sfd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    hard_close(cfd);
    if (sfd >= 0)
      close(sfd);
    return;
  }
  setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  memset(c, 0, sizeof *c);
  c->used = 1;
  c->id = g_next_id++;
  c->fd[C2S] = cfd;
  c->fd[S2C] = sfd;
  fprintf(g_log, "%.3f %d open\n", now_ms(), c->id);
}

int main(int argc, char **argv) {
  const char *log_path = NULL;
  int lport = -1, cport = -1, lfd, one = 1, i;
  double timeout_s = 3600, t0;
  struct sockaddr_in sa;
  socklen_t slen = sizeof sa;
  struct sigaction act;

  for (i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--listen") == 0)
      lport = parse_port(argv[i + 1]);
    else if (strcmp(argv[i], "--connect") == 0)
      cport = parse_port(argv[i + 1]);
    else if (strcmp(argv[i], "--log") == 0)
      log_path = argv[i + 1];
    else if (strcmp(argv[i], "--timeout") == 0)
      timeout_s = atof(argv[i + 1]);
    else
      break;
  }
  if (i != argc || lport < 0 || cport <= 0 || log_path == NULL ||
      timeout_s <= 0) {
    usage();
    return 2;
  }
  g_log = fopen(log_path, "w");
  if (g_log == NULL) {
    fprintf(stderr, "bench_sync_tap: cannot write %s\n", log_path);
    return 1;
  }
  setvbuf(g_log, NULL, _IOLBF, 0);
  memset(&act, 0, sizeof act);
  act.sa_handler = on_signal;
  sigaction(SIGTERM, &act, NULL);
  sigaction(SIGINT, &act, NULL);

  lfd = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((uint16_t)lport);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
      listen(lfd, 16) != 0 ||
      getsockname(lfd, (struct sockaddr *)&sa, &slen) != 0) {
    fprintf(stderr, "bench_sync_tap: cannot listen on 127.0.0.1:%d\n", lport);
    return 1;
  }
  printf("port=%d\n", ntohs(sa.sin_port));
  fflush(stdout);

  t0 = now_ms();
  while (!g_stop && now_ms() - t0 < timeout_s * 1e3) {
    struct pollfd pfd[1 + 2 * MAX_CONNS];
    int who[1 + 2 * MAX_CONNS];
    int n = 0, k;
    pfd[n].fd = lfd;
    pfd[n].events = POLLIN;
    who[n++] = -1;
    for (i = 0; i < MAX_CONNS; i++) {
      int d;
      if (!g_conns[i].used)
        continue;
      for (d = 0; d < 2; d++) {
        if (g_conns[i].eof[d])
          continue;
        pfd[n].fd = g_conns[i].fd[d];
        pfd[n].events = POLLIN;
        who[n++] = i * 2 + d;
      }
    }
    k = poll(pfd, (nfds_t)n, 200);
    if (k <= 0)
      continue;
    for (i = 1; i < n; i++) {
      conn_t *c = &g_conns[who[i] / 2];
      int d = who[i] % 2;
      if (!c->used || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
        continue;
      if (pump(c, d) != 0)
        conn_end(c, 1);
      else if (c->eof[C2S] && c->eof[S2C])
        conn_end(c, 0);
    }
    if (pfd[0].revents & POLLIN)
      accept_one(lfd, cport);
  }
  for (i = 0; i < MAX_CONNS; i++)
    if (g_conns[i].used)
      conn_end(&g_conns[i], 1);
  close(lfd);
  fclose(g_log);
  return 0;
}

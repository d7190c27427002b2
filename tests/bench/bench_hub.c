/*
 * bench_hub: hub scale (issue 14). N simulated committees (default 1,000)
 * connect at once to a real ayild hub on 127.0.0.1 and each syncs M entries
 * (default 100). A benchmark, never run by ctest.
 *
 *   bench_hub --bin BUILD_DIR [--committees N] [--entries M]
 *             [--preload N] [--timeout S] [--restart] [--keep]
 *
 * --preload N first gives the hub's store N records (store growth: CPU per
 * 1,000 entries against a store that already holds them). After the run it
 * prints the bytes of the hub's store (database and WAL) per record.
 *
 * It makes a hub with `ayil init --role hub`, then admits every committee
 * through node.h as an operator would: an invite (ayil_node_admit) and the
 * confirmation of the committee's enrolment code (ayil_node_confirm). Each
 * committee has its own Ed25519 key and redeems its invite token in its
 * first handshake. Before the clock starts, every committee's entries are
 * made as a committee node makes them: a header and a body built from a
 * record's fields (ayil_record_build), the body sealed to the committee's
 * reader key, the entry signed and chained. Then ayild starts, and all N
 * connect at once from this one process (epoll, non-blocking sockets), each
 * running the session ayild runs (proto/session.c), with nothing new to
 * send yet. The hub lets at most 64 handshakes wait at once and drops the
 * rest; a dropped committee retries with exponential backoff and jitter,
 * as ayild does, and the drops are counted. Once all are connected and
 * idle, the hub's RSS gives the memory per connection. Then the clock
 * starts: every committee writes its entries, which go up on the
 * connection it holds (as ayild pushes new entries while its link is up),
 * and the clock stops when every committee heard the hub acknowledge its
 * last entry (the hub acknowledges only what it committed).
 *
 * It prints entries per second verified and committed, the time until every
 * entry is acknowledged, the hub's CPU seconds per 1,000 entries, the hub's
 * peak RSS (VmHWM) and its memory per connection ((RSS with N connected
 * and idle - RSS before the first connection) / N), the connect storm's
 * duration and its dropped handshakes, and this
 * machine's single-core Ed25519 verify rate measured in the same run, with
 * the ratio. The last line, "RESULT k=v ...", is for bench_hub.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sodium.h>

#include "ayil/enrol.h"
#include "ayil/entry.h"
#include "ayil/schema.h"
#include "ayil/session.h"
#include "benchlib.h"
#include "node.h"
#include "registry.h"
#include "store.h"

#define N_MAX 5000
#define M_MAX 10000
#define READ_SIZE 65536
#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000

typedef struct {
  uint8_t *entry, *body;
  size_t elen, blen;
} item_t;

enum { C_WAIT = 0, C_CONNECTING, C_LIVE, C_DONE_CLOSED };

typedef struct {
  int idx;
  int fd;
  int state;
  int opened;   /* the current session reached OPEN */
  int want_out; /* EPOLLOUT is asked for */
  int ever_opened;
  int attempts; /* consecutive failed connections */
  uint64_t retry_ms;
  uint8_t pk[32], sk[64];
  uint8_t netkey[32], hub_id[32], token[AYIL_TOKEN_BYTES];
  uint8_t head_hash[AYIL_HASH_BYTES];
  item_t *items;
  uint64_t acked;
  uint64_t done_ms;
  ayil_session_t *ss;
  uint8_t *out; /* bytes the socket did not take yet */
  size_t out_len, out_cap;
} client_t;

static client_t *g_cl;
static int g_n = 1000, g_m = 100, g_epfd = -1, g_done = 0, g_opened = 0;
/* Phase 1 (connect, hold nothing new), 2 (the entries are written) or 3
 * (--restart: the hub restarted, and each committee wrote one more). */
static int g_phase = 1;
/* Entries made per committee (g_m, one more with --restart), and how many
 * of them the committees hold now. */
static int g_made = 100, g_head = 0;
static uint64_t g_drops = 0, g_cuts = 0, g_connects = 0, g_hs_timeouts = 0;
static struct sockaddr_in g_addr;

static uint64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t wall_ms(void *ctx) {
  struct timeval tv;
  (void)ctx;
  gettimeofday(&tv, NULL);
  return (uint64_t)tv.tv_sec * 1000 + (uint64_t)tv.tv_usec / 1000;
}

static void die(const char *what) {
  fprintf(stderr, "bench_hub: %s\n", what);
  exit(1);
}

/* ---- the hub process ---------------------------------------------------- */

static double load1(void) {
  double l = 0;
  FILE *f = fopen("/proc/loadavg", "r");
  if (f != NULL) {
    if (fscanf(f, "%lf", &l) != 1)
      l = 0;
    fclose(f);
  }
  return l;
}

static int free_port(void) {
  struct sockaddr_in sa;
  socklen_t sl = sizeof sa;
  int fd = socket(AF_INET, SOCK_STREAM, 0), port;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
      getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
    die("no free port");
  port = ntohs(sa.sin_port);
  close(fd);
  return port;
}

static int run(const char *cmd) {
  int rc = system(cmd);
  return rc == -1 || !WIFEXITED(rc) ? -1 : WEXITSTATUS(rc);
}

static pid_t start_hub(const char *bin, const char *home, const char *log) {
  char path[1024];
  pid_t pid;
  uint64_t deadline = mono_ms() + 20000;
  snprintf(path, sizeof path, "%s/ayild", bin);
  pid = fork();
  if (pid < 0)
    die("fork failed");
  if (pid == 0) {
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
      dup2(fd, 2);
      close(fd);
    }
    execl(path, path, "--home", home, (char *)NULL);
    _exit(127);
  }
  while (mono_ms() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int ok =
        fd >= 0 && connect(fd, (struct sockaddr *)&g_addr, sizeof g_addr) == 0;
    if (fd >= 0)
      close(fd);
    if (ok)
      return pid;
    usleep(50000);
  }
  kill(pid, SIGTERM);
  die("the hub did not listen within 20 s");
  return -1;
}

/* ---- admission and entries, before the clock --------------------------- */

static void admit_all(const char *home, int port) {
  ayil_node_t *n = NULL;
  ayil_node_err_t err;
  char addr[64];
  int i;
  snprintf(addr, sizeof addr, "127.0.0.1:%d", port);
  if (ayil_node_open(&n, home, AYIL_NODE_IDENTITY, &err) != 0) {
    fprintf(stderr, "bench_hub: %s\n", err.msg);
    exit(1);
  }
  for (i = 0; i < g_n; i++) {
    client_t *c = &g_cl[i];
    char name[64], code[AYIL_INVITE_MAX], ecode[AYIL_ENROL_TEXT];
    ayil_node_admit_t a;
    ayil_invite_t inv;
    uint8_t id[AYIL_ID_BYTES];
    int admitted = 0;
    crypto_sign_keypair(c->pk, c->sk);
    snprintf(name, sizeof name, "Bench committee %04d", i + 1);
    memset(&a, 0, sizeof a);
    a.name = name;
    a.oblast = "osh";
    a.advertise = addr;
    if (ayil_node_admit(n, &a, &inv, code, sizeof code) != 0) {
      fprintf(stderr, "bench_hub: admit: %s\n", ayil_node_errmsg(n));
      exit(1);
    }
    memcpy(c->netkey, inv.netkey, 32);
    memcpy(c->hub_id, inv.hub_id, 32);
    memcpy(c->token, inv.token, AYIL_TOKEN_BYTES);
    sodium_memzero(&inv, sizeof inv);
    sodium_memzero(code, sizeof code);
    ayil_enrol_code_text(c->pk, ecode);
    if (ayil_node_confirm(n, ecode, id, &admitted) != 0) {
      fprintf(stderr, "bench_hub: confirm: %s\n", ayil_node_errmsg(n));
      exit(1);
    }
  }
  ayil_node_close(n);
}

static void make_entries(void) {
  uint8_t *hdr = NULL, *plain = NULL, rpk[32], rsk[32];
  size_t hlen = 0, plen = 0;
  uint64_t day = wall_ms(NULL) / AYIL_TS_DAY_MS * AYIL_TS_DAY_MS;
  int i, j;
  bench_record_parts(&hdr, &hlen, &plain, &plen);
  for (i = 0; i < g_n; i++) {
    client_t *c = &g_cl[i];
    uint8_t prev[AYIL_HASH_BYTES] = {0};
    crypto_box_keypair(rpk, rsk); /* the committee's reader key */
    c->items = calloc((size_t)g_made, sizeof *c->items);
    if (c->items == NULL)
      die("out of memory");
    for (j = 0; j < g_made; j++) {
      item_t *it = &c->items[j];
      uint8_t buf[AYIL_ENTRY_MAX];
      bench_sign_put(c->pk, c->sk, (uint64_t)j + 1, prev, day, hdr, hlen, plain,
                     plen, rpk, &it->body, &it->blen, buf, &it->elen);
      it->entry = malloc(it->elen);
      if (it->entry == NULL)
        die("out of memory");
      memcpy(it->entry, buf, it->elen);
      if (j + 1 == g_m)
        memcpy(c->head_hash, prev, sizeof prev);
    }
    sodium_memzero(rsk, sizeof rsk);
  }
  free(hdr);
  sodium_memzero(plain, plen);
  free(plain);
}

/* Store growth (issue 16): before ayild starts, the hub's store is given
 * `n` records of its own, 100 to a log, as committees that synced earlier
 * would have left them (signed, chained puts with sealed bodies), so that
 * the fan-in meets a store that already holds them. */
static void preload(const char *home, int n) {
  uint8_t *hdr = NULL, *plain = NULL, rpk[32], rsk[32], pk[32], sk[64];
  uint8_t prev[AYIL_HASH_BYTES];
  size_t hlen = 0, plen = 0;
  uint64_t day = wall_ms(NULL) / AYIL_TS_DAY_MS * AYIL_TS_DAY_MS;
  char path[1024];
  ayil_store_t *st = NULL;
  int i;
  snprintf(path, sizeof path, "%s/ayil.db", home);
  if (ayil_store_open(&st, path, 0) != 0)
    die("cannot open the hub's store to preload it");
  bench_record_parts(&hdr, &hlen, &plain, &plen);
  crypto_box_keypair(rpk, rsk);
  for (i = 0; i < n; i++) {
    uint8_t buf[AYIL_ENTRY_MAX], *body = NULL;
    size_t elen = 0, blen = 0;
    if (i % 100 == 0) {
      crypto_sign_keypair(pk, sk);
      memset(prev, 0, sizeof prev);
    }
    if (i % 1000 == 0 && ayil_store_begin(st) != 0)
      die("preload: cannot begin");
    bench_sign_put(pk, sk, (uint64_t)(i % 100) + 1, prev, day, hdr, hlen, plain,
                   plen, rpk, &body, &blen, buf, &elen);
    if (ayil_store_append(st, buf, elen, body, blen) != 0)
      die("preload: the hub's store refused an entry");
    free(body);
    if ((i % 1000 == 999 || i == n - 1) && ayil_store_commit(st) != 0)
      die("preload: cannot commit");
  }
  sodium_memzero(sk, sizeof sk);
  sodium_memzero(rsk, sizeof rsk);
  sodium_memzero(plain, plen);
  free(plain);
  free(hdr);
  ayil_store_close(st);
}

/* Bytes of the store's files (database, WAL) in `home`. */
static long long store_bytes(const char *home) {
  static const char *const files[] = {"ayil.db", "ayil.db-wal"};
  long long sum = 0;
  size_t i;
  for (i = 0; i < sizeof files / sizeof files[0]; i++) {
    char path[1024];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", home, files[i]);
    if (stat(path, &sb) == 0)
      sum += (long long)sb.st_size;
  }
  return sum;
}

/* ---- a committee's side of sync ----------------------------------------- */

static int c_origins(void *ctx, ayil_sync_origin_t *out, size_t cap,
                     size_t *n) {
  client_t *c = ctx;
  if (cap > 0) {
    memcpy(out[0].id, c->pk, AYIL_ID_BYTES);
    out[0].flags = AYIL_SYNC_OFFER;
  }
  *n = 1;
  return 0;
}

static int c_head(void *ctx, const uint8_t origin[AYIL_ID_BYTES], uint64_t *seq,
                  uint8_t hash[AYIL_HASH_BYTES]) {
  client_t *c = ctx;
  *seq = 0;
  if (memcmp(origin, c->pk, AYIL_ID_BYTES) == 0 && g_head > 0) {
    *seq = (uint64_t)g_head;
    if (g_head == g_m)
      memcpy(hash, c->head_hash, AYIL_HASH_BYTES);
    else
      ayil_entry_hash(c->items[g_head - 1].entry, c->items[g_head - 1].elen,
                      hash);
  }
  return 0;
}

static int c_get(void *ctx, const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                 ayil_sync_item_t *out) {
  client_t *c = ctx;
  memset(out, 0, sizeof *out);
  if (memcmp(origin, c->pk, AYIL_ID_BYTES) != 0 || seq < 1 ||
      seq > (uint64_t)g_head)
    return AYIL_ENOTFOUND;
  out->entry = c->items[seq - 1].entry;
  out->entry_len = c->items[seq - 1].elen;
  out->body = c->items[seq - 1].body;
  out->body_len = c->items[seq - 1].blen;
  return 0;
}

static int c_deliver(void *ctx, const ayil_entry_t *e,
                     const ayil_sync_item_t *item) {
  (void)ctx;
  (void)e;
  (void)item;
  return AYIL_EPERM; /* a committee here takes nothing from the hub */
}

static void c_event(void *ctx, const ayil_sync_event_t *ev) {
  client_t *c = ctx;
  if (ev->type != AYIL_SYNC_EV_ACKED ||
      memcmp(ev->origin, c->pk, AYIL_ID_BYTES) != 0)
    return;
  if (ev->seq > c->acked)
    c->acked = ev->seq;
  if (g_head > 0 && c->acked >= (uint64_t)g_head && c->done_ms == 0) {
    c->done_ms = mono_ms();
    g_done++;
  }
}

/* ---- connections -------------------------------------------------------- */

static void c_drop(client_t *c, uint64_t now) {
  if (c->fd >= 0) {
    epoll_ctl(g_epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
  }
  c->fd = -1;
  ayil_session_free(c->ss);
  c->ss = NULL;
  c->out_len = 0;
  if (c->done_ms != 0) {
    c->state = C_DONE_CLOSED;
    return;
  }
  if (c->opened)
    g_cuts++;
  else
    g_drops++;
  if (g_phase == 3) {
    /* After the restart, ayild's own backoff (node/daemon/conn.c): 1 s
     * doubling per failed attempt, reset by a connection that made
     * progress, each delay drawn from [base/2, base*3/2). */
    uint64_t base;
    if (c->opened)
      c->attempts = 0; /* the connection made progress */
    base = 1000ULL << (c->attempts < 9 ? c->attempts : 9);
    if (base > 600000)
      base = 600000;
    c->retry_ms = now + base / 2 + randombytes_uniform((uint32_t)base);
    c->attempts++;
    c->state = C_WAIT;
    return;
  }
  /* Backoff with jitter, as ayild's reconnects (shorter: a bench). */
  {
    uint64_t base = (uint64_t)BACKOFF_MIN_MS
                    << (c->attempts < 6 ? c->attempts : 6);
    if (base > BACKOFF_MAX_MS)
      base = BACKOFF_MAX_MS;
    c->retry_ms = now + base / 2 + randombytes_uniform((uint32_t)base);
  }
  c->attempts++;
  c->state = C_WAIT;
}

static void c_connect(client_t *c) {
  struct epoll_event ev;
  int one = 1;
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (c->fd < 0)
    die("socket failed (raise ulimit -n)");
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->opened = 0;
  {
    /* Each committee dials from an address of its own, as in the field
     * (127.1.A.B): ayild caps pending connections per address. */
    struct sockaddr_in from;
    memset(&from, 0, sizeof from);
    from.sin_family = AF_INET;
    from.sin_addr.s_addr = htonl(0x7f010000u | (uint32_t)(c->idx / 250) << 8 |
                                 (uint32_t)(c->idx % 250 + 2));
    if (bind(c->fd, (struct sockaddr *)&from, sizeof from) != 0)
      die("bind to a loopback address failed");
  }
  if (connect(c->fd, (struct sockaddr *)&g_addr, sizeof g_addr) != 0 &&
      errno != EINPROGRESS) {
    c_drop(c, mono_ms());
    return;
  }
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN | EPOLLOUT; /* until connected */
  ev.data.ptr = c;
  if (epoll_ctl(g_epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
    die("epoll_ctl failed");
  c->want_out = 1;
  c->state = C_CONNECTING;
  g_connects++;
}

/* Level-triggered: ask for EPOLLOUT only while bytes wait, or every
 * writable socket would wake the loop on every turn. */
static void c_want_out(client_t *c, int want) {
  struct epoll_event ev;
  if (want == c->want_out)
    return;
  memset(&ev, 0, sizeof ev);
  ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
  ev.data.ptr = c;
  epoll_ctl(g_epfd, EPOLL_CTL_MOD, c->fd, &ev);
  c->want_out = want;
}

static int c_write_out(client_t *c) {
  while (c->out_len > 0) {
    ssize_t k = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      break;
    if (k < 0)
      return -1;
    memmove(c->out, c->out + k, c->out_len - (size_t)k);
    c->out_len -= (size_t)k;
  }
  c_want_out(c, c->out_len > 0);
  return 0;
}

/* Everything the session has now, through the socket (or queued). */
static int c_flush(client_t *c, uint64_t now) {
  ayil_session_event_t sev;
  int guard;
  for (guard = 0; guard < 100000; guard++) {
    const uint8_t *p = NULL;
    size_t n = 0;
    if (c->out_len > 64 * 1024)
      break;
    if (ayil_session_transmit(c->ss, now, &p, &n) != 0)
      return -1;
    if (n == 0)
      break;
    if (c->out_len + n > c->out_cap) {
      size_t cap = (c->out_len + n) * 2;
      uint8_t *o = realloc(c->out, cap);
      if (o == NULL)
        die("out of memory");
      c->out = o;
      c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
  }
  while (ayil_session_event(c->ss, &sev))
    if (sev.type == AYIL_SESSION_EV_OPEN) {
      c->opened = 1;
      if (!c->ever_opened)
        g_opened++;
      c->ever_opened = 1;
      c->attempts = 0;
    }
  return c_write_out(c);
}

static int c_start(client_t *c, uint64_t now) {
  ayil_session_config_t cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.sync.ctx = c;
  cfg.sync.origins = c_origins;
  cfg.sync.head = c_head;
  cfg.sync.get = c_get;
  cfg.sync.deliver = c_deliver;
  cfg.sync.event = c_event;
  cfg.wall_ms = wall_ms;
  cfg.has_token = 1;
  memcpy(cfg.token, c->token, AYIL_TOKEN_BYTES);
  if (ayil_session_client(&c->ss, &cfg, c->netkey, c->sk, c->hub_id, now) != 0)
    return -1;
  sodium_memzero(cfg.token, sizeof cfg.token);
  c->state = C_LIVE;
  return c_flush(c, now);
}

static void c_io(client_t *c, uint32_t events, uint8_t *buf) {
  uint64_t now = mono_ms();
  if (c->state == C_CONNECTING) {
    int err = 0;
    socklen_t el = sizeof err;
    if ((events & (EPOLLERR | EPOLLHUP)) ||
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
      c_drop(c, now);
      return;
    }
    if (c_start(c, now) != 0) {
      c_drop(c, now);
      return;
    }
  }
  if (c->state != C_LIVE)
    return;
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    int guard;
    for (guard = 0; guard < 64; guard++) {
      ssize_t k = recv(c->fd, buf, READ_SIZE, 0);
      if (k < 0 && errno == EINTR)
        continue;
      if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      if (k <= 0) {
        c_drop(c, now);
        return;
      }
      if (ayil_session_feed(c->ss, buf, (size_t)k, now) != 0) {
        c_drop(c, now);
        return;
      }
    }
  }
  if (c_flush(c, now) != 0)
    c_drop(c, now);
}

/* ---- the measurement ---------------------------------------------------- */

static int all_opened(void) {
  return g_opened >= g_n;
}

static int all_done(void) {
  return g_done >= g_n;
}

static int never(void) {
  return 0;
}

/* Runs the committees until cond() or the deadline. */
static void run_until(int (*cond)(void), uint64_t deadline, uint8_t *buf) {
  struct epoll_event evs[256];
  uint64_t last_scan = 0;
  while (!cond() && mono_ms() < deadline) {
    int k = epoll_wait(g_epfd, evs, 256, 10), j;
    uint64_t now;
    for (j = 0; j < k; j++)
      c_io(evs[j].data.ptr, evs[j].events, buf);
    now = mono_ms();
    if (now - last_scan >= 10) {
      /* Retries due, sessions' timers (acks, pings). */
      last_scan = now;
      for (j = 0; j < g_n; j++) {
        client_t *c = &g_cl[j];
        if (c->state == C_WAIT && c->retry_ms <= now && c->done_ms == 0)
          c_connect(c);
        else if (c->state == C_LIVE && ayil_session_timeout_ms(c->ss) <= now &&
                 c_flush(c, now)) {
          if (!c->opened)
            g_hs_timeouts++; /* the handshake ran out of time */
          c_drop(c, now);
        }
      }
    }
  }
}

static void usage(void) {
  fprintf(stderr, "usage: bench_hub --bin BUILD_DIR [--committees N] "
                  "[--entries M] [--preload N] [--timeout S] [--restart] "
                  "[--keep]\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *bin = NULL;
  char dir[] = "/tmp/ayil-bench-hub.XXXXXX", home[256], log[256], cmd[2048];
  int i, port, keep = 0, timeout_s = 900, npre = 0, restart = 0;
  double t_pre = 0, t_restart = 0, t_down = 0;
  long long disk = 0;
  uint64_t restart_drops = 0, restart_timeouts = 0, restart_done = 0;
  struct rlimit rl;
  uint8_t *buf;
  pid_t hub;
  long rss0, rss_idle, hwm;
  double t_adm, t_gen, vrate, t0, t1, cpu0, cpu1, secs, eps, first = 0;
  double t_storm, vcpu, ecpu, self0, self1;
  uint64_t drops_storm;
  uint64_t entries;

  for (i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--bin") == 0 && i + 1 < argc)
      bin = argv[++i];
    else if (strcmp(argv[i], "--committees") == 0 && i + 1 < argc)
      g_n = atoi(argv[++i]);
    else if (strcmp(argv[i], "--entries") == 0 && i + 1 < argc)
      g_m = atoi(argv[++i]);
    else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
      timeout_s = atoi(argv[++i]);
    else if (strcmp(argv[i], "--preload") == 0 && i + 1 < argc)
      npre = atoi(argv[++i]);
    else if (strcmp(argv[i], "--keep") == 0)
      keep = 1;
    else if (strcmp(argv[i], "--restart") == 0)
      restart = 1;
    else
      usage();
  }
  if (bin == NULL || g_n < 1 || g_n > N_MAX || g_m < 1 || g_m > M_MAX ||
      timeout_s < 1 || npre < 0 || npre > 1000000)
    usage();
  bench_prog = "bench_hub";
  if (sodium_init() < 0)
    die("sodium_init failed");
  g_made = g_m + restart;
  /* One socket per committee here and one at the hub, which inherits it. */
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)g_n + 64)
    die("too few file descriptors for that many committees (ulimit -n)");
  if (mkdtemp(dir) == NULL)
    die("mkdtemp failed");
  snprintf(home, sizeof home, "%s/hub", dir);
  snprintf(log, sizeof log, "%s/hub.log", dir);
  port = free_port();
  memset(&g_addr, 0, sizeof g_addr);
  g_addr.sin_family = AF_INET;
  g_addr.sin_port = htons((uint16_t)port);
  g_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  snprintf(cmd, sizeof cmd,
           "'%s/ayil' --home '%s' init --role hub --name 'Bench hub' "
           "--listen 127.0.0.1:%d >/dev/null 2>&1",
           bin, home, port);
  if (run(cmd) != 0)
    die("ayil init --role hub failed");
  g_cl = calloc((size_t)g_n, sizeof *g_cl);
  buf = malloc(READ_SIZE);
  if (g_cl == NULL || buf == NULL)
    die("out of memory");
  for (i = 0; i < g_n; i++) {
    g_cl[i].idx = i;
    g_cl[i].fd = -1;
  }
  t0 = bench_mono_s();
  admit_all(home, port);
  t_adm = bench_mono_s() - t0;
  t0 = bench_mono_s();
  make_entries();
  t_gen = bench_mono_s() - t0;
  if (npre > 0) {
    t0 = bench_mono_s();
    preload(home, npre);
    t_pre = bench_mono_s() - t0;
    printf("bench_hub: the hub's store preloaded with %d records (%d logs) in "
           "%.1f s\n",
           npre, (npre + 99) / 100, t_pre);
  }
  printf("bench_hub: %d committees x %d entries = %llu entries; admitted "
         "(invite + confirmation) in %.1f s, entries made in %.1f s\n",
         g_n, g_m, (unsigned long long)g_n * (unsigned long long)g_m, t_adm,
         t_gen);
  vrate = bench_verify_rate(&vcpu);
  printf("verify rate, one core, this run: %.0f signatures/s (%.0f per CPU "
         "second)\n",
         vrate, vcpu);
  fflush(stdout);

  hub = start_hub(bin, home, log);
  usleep(500000);
  rss0 = bench_proc_kb(hub, "VmRSS");
  g_epfd = epoll_create1(0);
  if (g_epfd < 0)
    die("epoll_create1 failed");

  /* Phase 1: everyone connects at once, with nothing new to send yet. */
  t0 = bench_mono_s();
  for (i = 0; i < g_n; i++)
    c_connect(&g_cl[i]);
  run_until(all_opened, mono_ms() + (uint64_t)timeout_s * 1000, buf);
  t_storm = bench_mono_s() - t0;
  drops_storm = g_drops;
  /* Idle, all connected: the memory a connection costs. */
  run_until(never, mono_ms() + 1000, buf);
  rss_idle = bench_proc_kb(hub, "VmRSS");
  /* Phase 2, the clock: every committee writes its entries, which go up
   * on the connection it holds, as a committee's ayild pushes new entries
   * while its link is up. */
  g_phase = 2;
  g_head = g_m;
  cpu0 = bench_proc_cpu(hub);
  self0 = bench_proc_cpu(getpid());
  t0 = bench_mono_s();
  for (i = 0; i < g_n; i++) {
    client_t *c = &g_cl[i];
    if (c->state == C_LIVE && ayil_session_sync(c->ss) != NULL &&
        (ayil_sync_notify(ayil_session_sync(c->ss), c->pk) != 0 ||
         c_flush(c, mono_ms()) != 0))
      c_drop(c, mono_ms());
  }
  run_until(all_done, mono_ms() + (uint64_t)timeout_s * 1000, buf);
  t1 = bench_mono_s();
  cpu1 = bench_proc_cpu(hub);
  self1 = bench_proc_cpu(getpid());
  for (i = 0; i < g_n; i++)
    if (g_cl[i].done_ms != 0 &&
        (first == 0 || (double)g_cl[i].done_ms / 1000.0 < first))
      first = (double)g_cl[i].done_ms / 1000.0;

  hwm = bench_proc_kb(hub, "VmHWM");
  {
    int live = 0;
    double kpc = (double)(rss_idle - rss0) / g_n;
    for (i = 0; i < g_n; i++)
      live += g_cl[i].state == C_LIVE;
    entries = 0;
    for (i = 0; i < g_n; i++)
      entries += g_cl[i].acked;
    secs = t1 - t0;
    eps = (double)entries / secs;
    printf("connect storm: %d of %d committees connected (handshake, invite "
           "redeemed, sync open) in %.2f s, %llu handshakes dropped by the "
           "hub and retried\n",
           g_opened, g_n, t_storm, (unsigned long long)drops_storm);
    printf("acknowledged: %llu of %llu entries, %d of %d committees complete, "
           "%d connected at the end\n",
           (unsigned long long)entries,
           (unsigned long long)g_n * (unsigned long long)g_m, g_done, g_n,
           live);
    printf("time until every entry was acknowledged: %.2f s (first committee "
           "done after %.2f s)\n",
           secs, first > 0 ? first - t0 : 0.0);
    printf("entries verified and committed: %.0f /s (%.3f of one core's "
           "verify rate)\n",
           eps, eps / vrate);
    ecpu = cpu1 > cpu0 ? (double)entries / (cpu1 - cpu0) : 0.0;
    printf("hub CPU: %.2f s, %.3f s per 1,000 entries: %.0f entries per CPU "
           "second of the hub (%.3f of one core's verify rate per CPU "
           "second)\n",
           cpu1 - cpu0,
           entries ? (cpu1 - cpu0) * 1000.0 / (double)entries : 0.0, ecpu,
           ecpu / vcpu);
    printf("the committees (this process) used %.2f s of CPU meanwhile; "
           "load average then %.2f\n",
           self1 - self0, load1());
    printf("hub memory: peak RSS (VmHWM) %.1f MiB; RSS %.1f MiB at start, "
           "%.1f MiB with %d connected and idle: %.1f KiB per connection\n",
           hwm / 1024.0, rss0 / 1024.0, rss_idle / 1024.0, g_n, kpc);
    printf("connections: %llu attempts, %llu handshakes dropped and retried, "
           "%llu cut after opening\n",
           (unsigned long long)g_connects, (unsigned long long)g_drops,
           (unsigned long long)g_cuts);
    printf("RESULT committees=%d entries=%llu complete=%d secs=%.3f eps=%.1f "
           "verify=%.0f ratio=%.4f cpu=%.3f cpu_per_1000=%.4f hwm_kb=%ld "
           "rss0_kb=%ld rss_idle_kb=%ld kb_per_conn=%.1f drops=%llu "
           "cuts=%llu storm_secs=%.3f verify_cpu=%.0f eps_cpu=%.1f "
           "ratio_cpu=%.4f bench_cpu=%.3f load=%.2f\n",
           g_n, (unsigned long long)entries, g_done, secs, eps, vrate,
           eps / vrate, cpu1 - cpu0,
           entries ? (cpu1 - cpu0) * 1000.0 / (double)entries : 0.0, hwm, rss0,
           rss_idle, kpc, (unsigned long long)g_drops,
           (unsigned long long)g_cuts, t_storm, vcpu, ecpu, ecpu / vcpu,
           self1 - self0, load1());
  }
  if (restart && g_done == g_n) {
    /* Phase 3: the hub restarts (an upgrade, a reboot: SIGTERM, then a
     * new ayild on the same store) while every committee is connected;
     * meanwhile each committee writes one more entry. The clock runs from
     * when the new hub listens until every committee heard it acknowledge
     * that entry: reconnected through the hub's handshake caps with
     * ayild's backoff, have exchanged, entry sent and committed. */
    int status = 0;
    double td = bench_mono_s();
    g_phase = 3;
    g_head = g_m + 1;
    g_done = 0;
    g_drops = 0;
    g_hs_timeouts = 0;
    for (i = 0; i < g_n; i++) {
      g_cl[i].done_ms = 0;
      if (g_cl[i].state == C_DONE_CLOSED) { /* cut after it was done */
        g_cl[i].state = C_WAIT;
        g_cl[i].retry_ms = mono_ms();
        g_cl[i].attempts = 0;
      }
    }
    kill(hub, SIGTERM);
    if (waitpid(hub, &status, 0) != hub)
      die("waitpid failed");
    /* The committees see their links cut and start backing off. */
    run_until(never, mono_ms() + 200, buf);
    hub = start_hub(bin, home, log);
    t0 = bench_mono_s();
    t_down = t0 - td;
    run_until(all_done, mono_ms() + (uint64_t)timeout_s * 1000, buf);
    t_restart = bench_mono_s() - t0;
    restart_drops = g_drops;
    restart_timeouts = g_hs_timeouts;
    restart_done = (uint64_t)g_done;
    printf("restart: the hub was down %.2f s; %llu of %d committees "
           "reconnected and had their new entry acknowledged %.2f s after "
           "it listened again; %llu connection attempts failed or were "
           "dropped by the hub, %llu handshakes timed out\n",
           t_down, (unsigned long long)restart_done, g_n, t_restart,
           (unsigned long long)restart_drops,
           (unsigned long long)restart_timeouts);
    printf("RESTART committees=%d restart_done=%llu restart_secs=%.3f "
           "restart_down=%.3f restart_drops=%llu restart_hs_timeouts=%llu\n",
           g_n, (unsigned long long)restart_done, t_restart, t_down,
           (unsigned long long)restart_drops,
           (unsigned long long)restart_timeouts);
  }
  for (i = 0; i < g_n; i++) {
    if (g_cl[i].fd >= 0)
      close(g_cl[i].fd);
    ayil_session_free(g_cl[i].ss);
  }
  kill(hub, SIGTERM);
  {
    int status = 0;
    if (waitpid(hub, &status, 0) == hub &&
        (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
      printf("the hub did not stop cleanly on SIGTERM (status %d)\n", status);
  }
  disk = store_bytes(home);
  printf("hub store on disk after the run: %lld bytes, %.0f bytes per record "
         "(%d preloaded + %llu entered)\n",
         disk, (double)disk / ((double)npre + (double)entries), npre,
         (unsigned long long)entries);
  printf("DISK preload=%d disk_bytes=%lld disk_per_record=%.1f\n", npre, disk,
         (double)disk / ((double)npre + (double)entries));
  if (!keep && g_done == g_n) {
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (run(cmd) != 0)
      fprintf(stderr, "bench_hub: could not remove %s\n", dir);
  } else {
    printf("hub home and log kept in %s\n", dir);
  }
  for (i = 0; i < g_n; i++) {
    int j;
    for (j = 0; g_cl[i].items != NULL && j < g_made; j++) {
      free(g_cl[i].items[j].entry);
      free(g_cl[i].items[j].body);
    }
    free(g_cl[i].items);
    free(g_cl[i].out);
    sodium_memzero(g_cl[i].sk, sizeof g_cl[i].sk);
  }
  free(g_cl);
  free(buf);
  close(g_epfd);
  return g_done == g_n ? 0 : 1;
}

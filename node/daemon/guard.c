/*
 * What a peer may hold of a hub: connections, memory, descriptors and time.
 * Anyone who can reach the port can open connections, and an admitted node
 * may be hostile; none of them may lock the committees out.
 *
 *   - A stranger (no proven hello yet) holds one pending connection of
 *     about 2.3 KiB (conn_t and a session before the hello,
 *     ayil_session_memory()), and not for long: its hello must be complete
 *     within HELLO_MS, its handshake within HANDSHAKE_MS.
 *   - Pending connections are capped per source address (IPv4 address or
 *     IPv6 /64) and in total, in two stages: strangers (no hello yet), and
 *     peers whose hello proved the network key but who have not
 *     authenticated (a committee, or someone holding a Pi's network key,
 *     with a whole handshake's buffers: ayil_session_memory()). At any cap
 *     the oldest pending connection of the same stage from the busiest
 *     address is evicted, so a flood from some addresses evicts its own
 *     connections, not a committee's handshake. The caps per address are
 *     generous because committees behind one mobile operator's NAT share
 *     an address and reconnect together after a hub restart.
 *   - An admitted node holds at most PER_NODE connections; a newer one
 *     evicts its oldest (after a cut, the newest is the live one).
 *   - A frame stalled in the middle holds only the bytes that arrived (the
 *     transport grows its buffer with them), and a connection whose
 *     partial frame makes no progress for [sync] dead_after is closed.
 *   - All connections together leave DESCRIPTOR_RESERVE descriptors of
 *     RLIMIT_NOFILE for the store, the control socket and the log.
 *
 * deploy/README.md ("A hub facing the internet") gives these to operators.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "daemon.h"

#define HELLO_MS 10000
#define HANDSHAKE_MS 20000
#define STRANGERS_PER_SOURCE 32
#define STRANGERS_MAX 256
#define PROVEN_PER_SOURCE 64
#define PROVEN_MAX 512
#define PER_NODE 2
#define DESCRIPTOR_RESERVE 64

void guard_init(daemon_t *d) {
  struct rlimit rl;
  d->conns_max = 1024 - DESCRIPTOR_RESERVE;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
      rl.rlim_cur > DESCRIPTOR_RESERVE * 2)
    d->conns_max = (unsigned)(rl.rlim_cur - DESCRIPTOR_RESERVE);
  if (d->is_hub)
    dlog(LOG_INFO,
         "a hub holds up to %u connections (descriptor limit less %d); "
         "strangers: %d at once, %d per address; unauthenticated peers with "
         "the network key: %d, %d per address",
         d->conns_max, DESCRIPTOR_RESERVE, STRANGERS_MAX, STRANGERS_PER_SOURCE,
         PROVEN_MAX, PROVEN_PER_SOURCE);
}

/* The peer's address as a key: IPv4 whole, IPv6 by its /64. */
void guard_source(conn_t *c) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  memset(c->src, 0, sizeof c->src);
  if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0)
    return;
  if (ss.ss_family == AF_INET) {
    const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
    c->src[0] = 4;
    memcpy(c->src + 1, &a->sin_addr, 4);
  } else if (ss.ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
    c->src[0] = 6;
    memcpy(c->src + 1, &a->sin6_addr, 8);
  }
}

/* 0: not pending; 1: a stranger (no hello yet); 2: its hello proved the
 * network key (the session fails on any other), not yet authenticated. */
static int stage(const conn_t *c) {
  if (c->outbound || c->state != CONN_HANDSHAKE)
    return 0;
  return c->bytes_recv >= AYIL_HS_CLIENT_HELLO_BYTES ? 2 : 1;
}

void guard_usage(daemon_t *d, unsigned *open, unsigned *pending,
                 size_t *bytes) {
  conn_t *c;
  *open = *pending = 0;
  *bytes = 0;
  for (c = d->conns; c != NULL; c = c->next) {
    if (c->state == CONN_CLOSING)
      continue;
    (*open)++;
    *pending += stage(c) != 0;
    *bytes += sizeof *c + (c->sess != NULL ? ayil_session_memory(c->sess) : 0);
  }
}

static int by_source_age(const void *a, const void *b) {
  const conn_t *x = *(conn_t *const *)a, *y = *(conn_t *const *)b;
  int k = memcmp(x->src, y->src, sizeof x->src);
  if (k != 0)
    return k;
  return x->started_ms < y->started_ms ? -1 : x->started_ms > y->started_ms;
}

/*
 * The oldest pending connection at `c`'s stage, from `c`'s address when
 * that is over its cap, else from the busiest address when the stage is
 * over its total (or all connections are at the descriptor limit). One
 * pass and a sort of at most the stage's cap: cheap even under a flood.
 * Returns 1 when no connection may be added (the descriptor limit).
 */
static int pick_victim(daemon_t *d, conn_t *c, int st, conn_t **victim) {
  static conn_t *p[PROVEN_MAX + PROVEN_PER_SOURCE + 1];
  unsigned per_source = st == 1 ? STRANGERS_PER_SOURCE : PROVEN_PER_SOURCE;
  unsigned max = st == 1 ? STRANGERS_MAX : PROVEN_MAX;
  conn_t *it;
  size_t np = 0, i, run, best_run = 0, best = 0, mine = 0, mine_at = 0;
  unsigned total = 0;
  *victim = NULL;
  for (it = d->conns; it != NULL; it = it->next) {
    if (it == c || it->state == CONN_CLOSING)
      continue;
    total++;
    if (stage(it) == st && np < sizeof p / sizeof p[0])
      p[np++] = it;
  }
  qsort(p, np, sizeof p[0], by_source_age);
  for (i = 0; i < np; i += run) {
    for (run = 1;
         i + run < np && memcmp(p[i]->src, p[i + run]->src, sizeof c->src) == 0;
         run++)
      ;
    if (run > best_run) {
      best_run = run;
      best = i;
    }
    if (memcmp(p[i]->src, c->src, sizeof c->src) == 0) {
      mine = run;
      mine_at = i;
    }
  }
  if (mine >= per_source)
    *victim = p[mine_at];
  else if ((np >= max || total >= d->conns_max) && best_run > 0)
    *victim = p[best];
  return total - (*victim != NULL) >= d->conns_max;
}

static void evict(conn_t *victim) {
  dlog(LOG_WARN, "too many unauthenticated connections: evicting the "
                 "oldest from the busiest address");
  conn_close(victim, 0, "evicted: too many unauthenticated connections");
}

int guard_accept(daemon_t *d, conn_t *c) {
  conn_t *victim = NULL;
  int full = pick_victim(d, c, 1, &victim);
  if (victim != NULL)
    evict(victim);
  if (full) {
    dlog(LOG_WARN, "connection limit reached (%u): refusing a new one",
         d->conns_max);
    return AYIL_ETOOBIG;
  }
  return 0;
}

void guard_proven(conn_t *c) {
  conn_t *victim = NULL;
  pick_victim(c->d, c, 2, &victim);
  if (victim != NULL)
    evict(victim);
}

void guard_admitted(conn_t *c) {
  daemon_t *d = c->d;
  conn_t *it, *oldest = NULL;
  unsigned n = 0;
  for (it = d->conns; it != NULL; it = it->next)
    if (it != c && it->state != CONN_CLOSING && it->peer_known &&
        memcmp(it->peer, c->peer, AYIL_ID_BYTES) == 0) {
      n++;
      oldest = it;
    }
  if (n >= PER_NODE && oldest != NULL) {
    dlog(LOG_NOTICE,
         "a node opened more than %d connections: closing its "
         "oldest",
         PER_NODE);
    conn_close(oldest, 0, "superseded by a newer connection from the node");
  }
}

const char *guard_expired(conn_t *c, uint64_t now) {
  daemon_t *d = c->d;
  if (c->outbound || c->state == CONN_CLOSING)
    return NULL;
  if (c->state == CONN_HANDSHAKE) {
    /* A hello is one message: even at 2G latency it is in within
     * seconds. */
    if (stage(c) == 1 && now - c->started_ms > HELLO_MS)
      return "no hello within 10 s";
    if (now - c->started_ms > HANDSHAKE_MS)
      return "no authentication within 20 s";
    return NULL;
  }
  if (c->state == CONN_SYNC && c->sess != NULL &&
      ayil_session_partial(c->sess) > 0 &&
      now - c->last_recv_ms > (uint64_t)d->conf.dead_after_s * 1000)
    return "stalled in the middle of a frame";
  return NULL;
}

/* After a flood is over, gives the freed memory of its connections back to
 * the system (glibc keeps it in the heap otherwise): when the connections
 * fell to half of their peak since the last time, and the peak was a
 * flood's. */
void guard_trim(daemon_t *d) {
  conn_t *it;
  unsigned n = 0;
  for (it = d->conns; it != NULL; it = it->next)
    n++;
  if (n > d->conns_peak)
    d->conns_peak = n;
  if (d->conns_peak >= 64 && n <= d->conns_peak / 2) {
    malloc_trim(0);
    d->conns_peak = n;
  }
}

/*
 * One connection, sans-I/O: handshake, envelope, transport and sync in one
 * object. See include/ayil/session.h and PROTOCOL.md, "Sessions".
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ayil/session.h"

struct ayil_session_s {
  ayil_session_config_t cfg;
  int server;
  int err;      /* sticky */
  int open;     /* handshake done, both halves taken */
  int leaving;  /* leave() called */
  int fin_sent; /* our final frame returned by transmit() */
  int peer_left;
  int admitted; /* server: admit() said yes */
  uint64_t early_frames;
  ayil_hs_t *hs;
  ayil_tx_t *tx;
  ayil_rx_t *rx;
  ayil_sync_t *sync;
  uint8_t peer[AYIL_ID_BYTES];
  int peer_known;
  /* Events not yet popped: at most one of each type. */
  ayil_session_event_t ev[2];
  int nev;
  /* The frame transmit() returned last, sized to it: no buffer while
   * nothing is being sent (PROTOCOL.md, "Sessions": memory). */
  uint8_t *frame;
  size_t frame_cap;
};

/* Room for a frame of `need` wire bytes. */
static int frame_reserve(ayil_session_t *s, size_t need) {
  uint8_t *p;
  if (need <= s->frame_cap)
    return 0;
  p = malloc(need);
  if (p == NULL)
    return AYIL_ENOMEM;
  free(s->frame);
  s->frame = p;
  s->frame_cap = need;
  return 0;
}

static void frame_release(ayil_session_t *s) {
  free(s->frame);
  s->frame = NULL;
  s->frame_cap = 0;
}

static int fail(ayil_session_t *s, int rc) {
  if (s->err == 0)
    s->err = rc;
  return s->err;
}

static void push_event(ayil_session_t *s, int type, uint64_t clock) {
  if (s->nev < 2) {
    s->ev[s->nev].type = type;
    s->ev[s->nev].peer_clock_ms = clock;
    s->nev++;
  }
}

/* Our envelope around our have: our clock, a client's token, the have. */
static int our_envelope(ayil_session_t *s, int with_token, uint8_t *out,
                        size_t cap, size_t *len) {
  uint8_t have[AYIL_SYNC_HAVE_MAX];
  ayil_envelope_t e;
  size_t hlen = 0;
  int rc = ayil_sync_have_payload(s->sync, have, sizeof have, &hlen);
  if (rc != 0)
    return rc;
  memset(&e, 0, sizeof e);
  e.clock_ms = s->cfg.wall_ms(s->cfg.sync.ctx);
  if (with_token && s->cfg.has_token) {
    e.has_token = 1;
    memcpy(e.token, s->cfg.token, sizeof e.token);
  }
  e.have = have;
  e.have_len = hlen;
  rc = ayil_envelope_pack(&e, out, cap, len);
  sodium_memzero(e.token, sizeof e.token);
  return rc;
}

static int new_common(ayil_session_t **out, const ayil_session_config_t *cfg,
                      int server) {
  ayil_session_t *s;
  if (cfg == NULL || cfg->wall_ms == NULL || (server && cfg->admit == NULL))
    return AYIL_EINVAL;
  s = calloc(1, sizeof *s);
  if (s == NULL)
    return AYIL_ENOMEM;
  s->cfg = *cfg;
  s->server = server;
  *out = s;
  return 0;
}

int ayil_session_client(ayil_session_t **out, const ayil_session_config_t *cfg,
                        const uint8_t netkey[AYIL_NETKEY_BYTES],
                        const uint8_t sk[64], const uint8_t server_id[32],
                        uint64_t now_ms) {
  uint8_t env[AYIL_HS_PAYLOAD_MAX];
  size_t elen = 0;
  ayil_session_t *s = NULL;
  int rc = new_common(&s, cfg, 0);
  if (rc != 0)
    return rc;
  rc = ayil_sync_new(&s->sync, &s->cfg.sync, now_ms);
  if (rc == 0 && s->cfg.early)
    rc = ayil_sync_assume(s->sync, s->cfg.early_origin, s->cfg.early_seq);
  if (rc == 0)
    rc = our_envelope(s, 1, env, sizeof env, &elen);
  if (rc == 0)
    rc = ayil_hs_client_new(&s->hs, netkey, sk, server_id, env, elen);
  sodium_memzero(env, sizeof env);
  /* The token is in the handshake now; the session keeps no copy. */
  sodium_memzero(s->cfg.token, sizeof s->cfg.token);
  if (rc != 0) {
    ayil_session_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

int ayil_session_server(ayil_session_t **out, const ayil_session_config_t *cfg,
                        const uint8_t netkey[AYIL_NETKEY_BYTES],
                        const uint8_t sk[64], uint64_t now_ms) {
  ayil_session_t *s = NULL;
  int rc = new_common(&s, cfg, 1);
  (void)now_ms;
  if (rc != 0)
    return rc;
  s->cfg.has_token = 0;
  s->cfg.early = 0;
  rc = ayil_hs_server_new(&s->hs, netkey, sk);
  if (rc != 0) {
    ayil_session_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

void ayil_session_free(ayil_session_t *s) {
  if (s == NULL)
    return;
  ayil_sync_free(s->sync);
  ayil_hs_free(s->hs);
  ayil_tx_free(s->tx);
  ayil_rx_free(s->rx);
  frame_release(s);
  sodium_memzero(s, sizeof *s);
  free(s);
}

/* Server, the client authenticated: its envelope, the embedder's word, our
 * accept with our own have. */
static int decide(ayil_session_t *s, uint64_t now) {
  const uint8_t *payload = NULL;
  size_t plen = 0, olen = 0;
  ayil_envelope_t env;
  uint8_t out[AYIL_HS_PAYLOAD_MAX];
  int rc;
  memcpy(s->peer, ayil_hs_peer_id(s->hs), AYIL_ID_BYTES);
  s->peer_known = 1;
  rc = ayil_hs_peer_payload(s->hs, &payload, &plen);
  if (rc == 0)
    rc = ayil_envelope_unpack(payload, plen, AYIL_SYNC_HAVE_MAX, &env);
  if (rc != 0)
    return rc;
  rc = s->cfg.admit(s->cfg.sync.ctx, s->peer, &env);
  sodium_memzero(env.token, sizeof env.token);
  if (rc != 0)
    return rc;
  s->admitted = 1;
  rc = ayil_sync_new(&s->sync, &s->cfg.sync, now);
  if (rc == 0)
    rc = our_envelope(s, 0, out, sizeof out, &olen);
  if (rc == 0)
    rc = ayil_hs_accept(s->hs, out, olen);
  if (rc == 0)
    rc = ayil_sync_start(s->sync, env.have, env.have_len, now);
  if (rc == 0)
    push_event(s, AYIL_SESSION_EV_OPEN, env.clock_ms);
  return rc;
}

/* Both: the keys are agreed both ways. A client reads the server's
 * envelope now and starts sync with its have. */
static int opened(ayil_session_t *s, uint64_t now) {
  int rc;
  if (s->tx == NULL) {
    rc = ayil_hs_take_tx(s->hs, &s->tx);
    if (rc != 0)
      return rc;
  }
  rc = ayil_hs_take_rx(s->hs, &s->rx);
  if (rc != 0)
    return rc;
  if (!s->server) {
    const uint8_t *payload = NULL;
    size_t plen = 0;
    ayil_envelope_t env;
    rc = ayil_hs_peer_payload(s->hs, &payload, &plen);
    if (rc == 0)
      rc = ayil_envelope_unpack(payload, plen, AYIL_SYNC_HAVE_MAX, &env);
    if (rc == 0)
      rc = ayil_sync_start(s->sync, env.have, env.have_len, now);
    if (rc != 0)
      return rc;
    push_event(s, AYIL_SESSION_EV_OPEN, env.clock_ms);
  }
  s->open = 1;
  return 0;
}

static int feed_handshake(ayil_session_t *s, const uint8_t *p, size_t n,
                          size_t *used, uint64_t now) {
  int rc = ayil_hs_feed(s->hs, p, n, used);
  int st;
  if (rc != 0)
    return rc;
  st = ayil_hs_status(s->hs);
  if (!s->server && !s->peer_known && ayil_hs_peer_id(s->hs) != NULL) {
    memcpy(s->peer, ayil_hs_peer_id(s->hs), AYIL_ID_BYTES);
    s->peer_known = 1;
  }
  if (!s->server && s->tx == NULL && st == AYIL_HS_WANT_INPUT &&
      s->peer_known) {
    /* Our auth is in the output: frames may follow it (the early stream). */
    rc = ayil_hs_take_tx(s->hs, &s->tx);
    if (rc != 0)
      return rc;
  }
  if (st == AYIL_HS_DECIDE) {
    rc = decide(s, now);
    if (rc != 0) {
      ayil_hs_reject(s->hs);
      return rc;
    }
    st = ayil_hs_status(s->hs);
  }
  if (st == AYIL_HS_DONE)
    return opened(s, now);
  return 0;
}

int ayil_session_feed(ayil_session_t *s, const uint8_t *p, size_t n,
                      uint64_t now_ms) {
  size_t guard = n + 8; /* each pass consumes a byte or changes state */
  if (s->err != 0)
    return s->err;
  while (n > 0 && !s->peer_left && guard-- > 0) {
    size_t used = 0;
    int rc;
    if (!s->open) {
      int was_open = s->open;
      rc = feed_handshake(s, p, n, &used, now_ms);
      if (rc != 0)
        return fail(s, rc);
      if (used == 0 && s->open == was_open)
        break;
    } else {
      const uint8_t *frame = NULL;
      size_t flen = 0;
      rc = ayil_rx_feed(s->rx, p, n, &used, &frame, &flen);
      if (rc == 0 && frame != NULL)
        rc = ayil_sync_recv(s->sync, frame, flen, now_ms);
      if (rc != 0)
        return fail(s, rc);
      if (ayil_rx_ended(s->rx)) {
        s->peer_left = 1;
        push_event(s, AYIL_SESSION_EV_PEER_LEFT, 0);
      } else if (used == 0) {
        break;
      }
    }
    p += used;
    n -= used;
  }
  return 0;
}

int ayil_session_transmit(ayil_session_t *s, uint64_t now_ms,
                          const uint8_t **out, size_t *len) {
  const uint8_t *hs = NULL;
  size_t hn = 0;
  *out = NULL;
  *len = 0;
  if (s->err != 0)
    return s->err;
  if (s->hs != NULL) {
    ayil_hs_output(s->hs, &hs, &hn);
    if (hn > 0) {
      *out = hs;
      *len = hn;
      return 0;
    }
    if (s->open) {
      /* Its last output is sent: the handshake's buffers and secrets go. */
      ayil_hs_free(s->hs);
      s->hs = NULL;
    }
  }
  if (s->tx == NULL || s->fin_sent)
    return 0;
  if (s->leaving) {
    int rc = frame_reserve(s, AYIL_FRAME_WIRE_LEN(0));
    if (rc == 0)
      rc = ayil_tx_end(s->tx, s->frame, s->frame_cap, len);
    if (rc != 0)
      return fail(s, rc);
    s->fin_sent = 1;
    *out = s->frame;
    return 0;
  }
  {
    const uint8_t *msg = NULL;
    size_t mlen = 0;
    int rc = ayil_sync_poll(s->sync, now_ms, &msg, &mlen);
    if (rc == 0 && mlen > 0)
      rc = frame_reserve(s, AYIL_FRAME_WIRE_LEN(mlen));
    if (rc == 0 && mlen > 0)
      rc = ayil_tx_seal(s->tx, msg, mlen, s->frame, s->frame_cap, len);
    if (rc != 0) {
      *len = 0;
      return fail(s, rc);
    }
    if (mlen > 0) {
      *out = s->frame;
      if (!s->open)
        s->early_frames++;
    } else if (ayil_sync_idle(s->sync)) {
      frame_release(s); /* an idle connection holds no frame buffer */
    }
  }
  return 0;
}

int ayil_session_event(ayil_session_t *s, ayil_session_event_t *ev) {
  if (s->nev == 0)
    return 0;
  *ev = s->ev[0];
  s->ev[0] = s->ev[1];
  s->nev--;
  return 1;
}

void ayil_session_leave(ayil_session_t *s) {
  s->leaving = 1;
}

int ayil_session_eof(ayil_session_t *s) {
  int rc;
  if (s->err != 0)
    return s->err;
  if (!s->open)
    rc = s->hs != NULL ? ayil_hs_eof(s->hs) : AYIL_ECLOSED;
  else
    rc = ayil_rx_eof(s->rx);
  return rc != 0 ? fail(s, rc) : 0;
}

int ayil_session_state(const ayil_session_t *s) {
  if (s->err != 0)
    return s->err;
  if (!s->open)
    return AYIL_SESSION_HANDSHAKE;
  if (s->peer_left && s->fin_sent)
    return AYIL_SESSION_ENDED;
  return AYIL_SESSION_OPEN;
}

const uint8_t *ayil_session_peer(const ayil_session_t *s) {
  return s->peer_known ? s->peer : NULL;
}

int ayil_session_leaving(const ayil_session_t *s) {
  return s->leaving || s->fin_sent;
}

uint64_t ayil_session_early_frames(const ayil_session_t *s) {
  return s->early_frames;
}

uint64_t ayil_session_timeout_ms(const ayil_session_t *s) {
  if (s->err != 0 || s->sync == NULL || s->tx == NULL || s->fin_sent)
    return UINT64_MAX;
  return ayil_sync_timeout_ms(s->sync);
}

ayil_sync_t *ayil_session_sync(ayil_session_t *s) {
  return s->sync;
}

size_t ayil_session_partial(const ayil_session_t *s) {
  return s->open && s->rx != NULL ? ayil_rx_partial(s->rx) : 0;
}

size_t ayil_session_memory(const ayil_session_t *s) {
  return sizeof *s + s->frame_cap + ayil_hs_memory(s->hs) +
         ayil_tx_memory(s->tx) + ayil_rx_memory(s->rx) +
         ayil_sync_memory(s->sync);
}

/*
 * A session: one connection between two nodes, sans-I/O, from the first
 * handshake byte to the last final frame (PROTOCOL.md, "Sessions"). It owns
 * the handshake, the payload envelope around each side's have, the two
 * transport halves, the sync state machine, the early stream and the clean
 * end. ayild, the simulator and the test peers drive this one object, so
 * what the simulator's seeds exercise is what ships.
 *
 * The embedder does I/O, timers and policy about when to connect:
 *   - ayil_session_feed() with every byte received, in order;
 *   - ayil_session_transmit() until it has nothing more (or the embedder's
 *     send queue is full), after every other call and at
 *     ayil_session_timeout_ms(); each returned chunk goes out in order;
 *   - ayil_session_event() after feed() and transmit(), until it returns 0;
 *   - ayil_session_eof() when the peer's stream ends;
 *   - ayil_session_leave() to end cleanly: the final frame goes out next,
 *     and nothing after it.
 * It reads no clock: `now` is the embedder's monotonic ms, and the wall
 * clock for the envelope comes from the config's callback.
 *
 *   client                                   server
 *   hello                           ->
 *                                   <-       hello
 *   auth [envelope: clock, token, have] ->   admit(): the embedder decides
 *   early stream frames (optional)  ->
 *                                   <-       accept [envelope: clock, have]
 *   sync frames                     <->      sync frames
 *   final frame                     <->      final frame
 */
#ifndef AYIL_SESSION_H
#define AYIL_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "ayil/entry.h"
#include "ayil/envelope.h"
#include "ayil/error.h"
#include "ayil/handshake.h"
#include "ayil/sync.h"

typedef struct ayil_session_s ayil_session_t;

typedef struct {
  /* The store and the policy: the sync callbacks and tunables. sync.ctx is
   * also passed to the callbacks below. */
  ayil_sync_config_t sync;
  /* This node's wall clock in ms since the Unix epoch, for the envelope
   * (the peer's clock-skew estimate only). Required. */
  uint64_t (*wall_ms)(void *ctx);
  /* Server only, required there: the client proved it holds `peer`'s key
   * and sent `env` (already read with the strict reader; env->token is
   * wiped after the call). Return 0 to admit it, or a negative AYIL_E* to
   * refuse: nothing more is sent, and feed() returns that code. Called once,
   * from ayil_session_feed(). */
  int (*admit)(void *ctx, const uint8_t peer[AYIL_ID_BYTES],
               const ayil_envelope_t *env);
  /* Client only. A committee's unspent invite token for its first
   * connection (copied, and wiped by the session once sent). */
  int has_token;
  uint8_t token[AYIL_TOKEN_BYTES];
  /* Client only. Stream `early_origin` right behind the auth message,
   * assuming the server holds it up to `early_seq` (ayil_sync_assume());
   * the server's have corrects a wrong guess. 0: wait for the accept. */
  int early;
  uint8_t early_origin[AYIL_ID_BYTES];
  uint64_t early_seq;
} ayil_session_config_t;

/* ayil_session_state() values; a failure is the sticky negative AYIL_E*. */
enum {
  AYIL_SESSION_HANDSHAKE = 1, /* keys are not yet agreed both ways */
  AYIL_SESSION_OPEN = 2,      /* the handshake is done: sync runs */
  AYIL_SESSION_ENDED = 3,     /* both final frames seen: nothing more */
};

/* ayil_session_event() types. */
enum {
  /* The handshake is done: peer_clock_ms is the peer's wall clock from its
   * envelope (as of when it sent it). */
  AYIL_SESSION_EV_OPEN = 1,
  /* The peer's final frame arrived: it sends nothing more. Answer with
   * ayil_session_leave() unless ours is out already (then the state is
   * AYIL_SESSION_ENDED). */
  AYIL_SESSION_EV_PEER_LEFT = 2,
};

typedef struct {
  int type;
  uint64_t peer_clock_ms;
} ayil_session_event_t;

/*
 * A client dialing `server_id`, or a server. Keys are copied. The client's
 * hello (and nothing else) is ready in ayil_session_transmit() at once.
 * `cfg` is copied; cfg->sync.ctx must outlive the session. Sets *out only
 * on success. AYIL_EINVAL (a missing callback, a bad server id), AYIL_ENOMEM,
 * or an error of the sync machine's have.
 */
int ayil_session_client(ayil_session_t **out, const ayil_session_config_t *cfg,
                        const uint8_t netkey[AYIL_NETKEY_BYTES],
                        const uint8_t sk[64], const uint8_t server_id[32],
                        uint64_t now_ms);
int ayil_session_server(ayil_session_t **out, const ayil_session_config_t *cfg,
                        const uint8_t netkey[AYIL_NETKEY_BYTES],
                        const uint8_t sk[64], uint64_t now_ms);

/* Wipes every secret and frees; NULL is a no-op. Fires no callback. */
void ayil_session_free(ayil_session_t *s);

/*
 * Consumes all of the `n` bytes received (bytes after the peer's final
 * frame are ignored). May call the sync callbacks and admit(). Errors are
 * sticky and end the session; the embedder closes without sending more:
 * the handshake's errors (ayil/handshake.h), the envelope's
 * (ayil/envelope.h), the transport's, the sync machine's (ayil/sync.h),
 * admit()'s or a callback's. Entries delivered before an error were
 * verified: the embedder may keep them.
 */
AYIL_WUR int ayil_session_feed(ayil_session_t *s, const uint8_t *p, size_t n,
                               uint64_t now_ms);

/*
 * The next bytes to send: *out points at *len bytes (borrowed until the
 * next call on `s`), or *len is 0 when there is nothing to send now.
 * Handshake messages first, then (client, after its auth; both, once open)
 * sealed sync frames, then the final frame once ayil_session_leave() was
 * called, then never anything. Errors are sticky.
 */
AYIL_WUR int ayil_session_transmit(ayil_session_t *s, uint64_t now_ms,
                                   const uint8_t **out, size_t *len);

/* Pops the next event into *ev: 1 if there was one, else 0. */
int ayil_session_event(ayil_session_t *s, ayil_session_event_t *ev);

/*
 * Ends the session cleanly: the final frame is the next thing transmit()
 * returns (if the transport is up) and nothing follows it. Reads go on
 * until the peer's final frame. Idempotent.
 */
void ayil_session_leave(ayil_session_t *s);

/*
 * The peer's stream ended (TCP FIN or reset). Returns 0 for a clean end
 * (after the peer's final frame, or a handshake that was over or awaiting
 * a decision), else AYIL_ECLOSED (between messages) or AYIL_ETRUNC (in the
 * middle of one). Sticky.
 */
int ayil_session_eof(ayil_session_t *s);

/* AYIL_SESSION_HANDSHAKE, _OPEN, _ENDED, or the sticky negative error. */
int ayil_session_state(const ayil_session_t *s);

/*
 * The peer's id once proven: for a client, after the server's hello (its
 * auth is then out); for a server, from admit() on. NULL before.
 */
const uint8_t *ayil_session_peer(const ayil_session_t *s);

/* 1 if leave() was called (or the final frame is out). */
int ayil_session_leaving(const ayil_session_t *s);

/* Frames this client sent ahead of the server's accept (the early stream). */
uint64_t ayil_session_early_frames(const ayil_session_t *s);

/*
 * When transmit() must be called next even if nothing else happens, or
 * UINT64_MAX. Timeouts of silence (a dead link, a slow handshake) are the
 * embedder's policy: see ayil_session_progress_ms().
 */
uint64_t ayil_session_timeout_ms(const ayil_session_t *s);

/*
 * Bytes of an incomplete frame received and held (0 between frames and
 * during the handshake). A peer that stops in the middle of a frame holds
 * them; the embedder closes a connection whose partial frame makes no
 * progress for too long.
 */
size_t ayil_session_partial(const ayil_session_t *s);

/*
 * Heap bytes this session holds now (its buffers, the handshake, the
 * transport and sync state), for the embedder's limits and the tests.
 * PROTOCOL.md, "Sessions", states the bounds.
 */
size_t ayil_session_memory(const ayil_session_t *s);

/*
 * The sync machine, for what concerns the store rather than the wire:
 * ayil_sync_committed(), _notify(), _idle(), _progress_ms(), _stats(),
 * _peer_acked(). NULL on a server before admit(). Never feed or poll it
 * directly: that is the session's.
 */
ayil_sync_t *ayil_session_sync(ayil_session_t *s);

#endif

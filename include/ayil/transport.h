/*
 * The encrypted framed transport: what flows after the handshake.
 *
 * Each direction of a connection is one crypto_secretstream_xchacha20poly1305
 * stream. A frame on the wire is
 *
 *   len (2 bytes, big-endian, = payload length) || secretstream(payload)
 *
 * where the 2 length bytes are the secretstream message's associated data,
 * so they are authenticated together with the payload. The overhead is
 * AYIL_FRAME_OVERHEAD = 2 + 17 = 19 bytes per frame. Order, loss, replay and
 * truncation are caught by secretstream's internal counter; a stream is
 * closed cleanly by one final frame (ayil_tx_end). See proto/PROTOCOL.md,
 * "Transport".
 *
 * Sans-I/O: these functions only turn bytes into bytes. The handshake
 * (ayil/handshake.h) hands out a ready ayil_tx_t and ayil_rx_t; the
 * constructors below are for embedders that bring their own keys.
 */
#ifndef AYIL_TRANSPORT_H
#define AYIL_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "ayil/error.h"

#define AYIL_STREAM_KEY_BYTES 32    /* crypto_secretstream_..._KEYBYTES */
#define AYIL_STREAM_HEADER_BYTES 24 /* crypto_secretstream_..._HEADERBYTES */
#define AYIL_FRAME_MAX 65535        /* payload bytes of one frame */
#define AYIL_FRAME_LEN_BYTES 2      /* the cleartext, authenticated length */
#define AYIL_FRAME_ABYTES 17        /* crypto_secretstream_..._ABYTES */
#define AYIL_FRAME_OVERHEAD (AYIL_FRAME_LEN_BYTES + AYIL_FRAME_ABYTES)
/* Wire bytes of a frame that carries `len` payload bytes. */
#define AYIL_FRAME_WIRE_LEN(len) ((size_t)(len) + AYIL_FRAME_OVERHEAD)

typedef struct ayil_tx_s ayil_tx_t;
typedef struct ayil_rx_s ayil_rx_t;

/*
 * Starts a sending stream under `key`, writing the 24-byte stream header
 * that the receiver needs into `header` (random: fresh for every stream).
 * Sets *out only on success. AYIL_ENOMEM, AYIL_EIO (no randomness).
 */
int ayil_tx_new(ayil_tx_t **out, const uint8_t key[AYIL_STREAM_KEY_BYTES],
                uint8_t header[AYIL_STREAM_HEADER_BYTES]);
/* Wipes and frees; NULL is a no-op. */
void ayil_tx_free(ayil_tx_t *tx);

/*
 * Seals `len` (<= AYIL_FRAME_MAX) bytes of `msg` into one frame of
 * AYIL_FRAME_WIRE_LEN(len) bytes at out[0..*outlen). `msg` and `out` must
 * not overlap. Returns AYIL_ETOOBIG if len is over the limit, AYIL_EINVAL
 * if `cap` is too small (neither consumes a stream position), AYIL_ESTATE
 * after ayil_tx_end.
 */
int ayil_tx_seal(ayil_tx_t *tx, const uint8_t *msg, size_t len, uint8_t *out,
                 size_t cap, size_t *outlen);

/*
 * Writes the final frame (AYIL_FRAME_OVERHEAD bytes, no payload) that tells
 * the receiver the stream ended cleanly rather than was cut. Nothing can be
 * sealed afterwards.
 */
int ayil_tx_end(ayil_tx_t *tx, uint8_t *out, size_t cap, size_t *outlen);

/*
 * Starts a receiving stream from the sender's key and header. Allocates
 * nothing proportional to the stream: the frame buffers grow on demand up
 * to one maximal frame. Sets *out only on success.
 */
int ayil_rx_new(ayil_rx_t **out, const uint8_t key[AYIL_STREAM_KEY_BYTES],
                const uint8_t header[AYIL_STREAM_HEADER_BYTES]);
/* Wipes and frees; NULL is a no-op. */
void ayil_rx_free(ayil_rx_t *rx);

/*
 * Feeds untrusted bytes in chunks of any size (one byte at a time works).
 * Consumes input up to the end of at most one frame and sets *used to the
 * bytes consumed. When that completes an authenticated frame, *frame points
 * at its payload and *frame_len is its length (*frame is non-NULL even for
 * an empty frame); the pointer stays valid until the next call on `rx`.
 * Otherwise *frame is NULL. Call again with the rest of the input.
 *
 * When the peer's final frame arrives, *frame stays NULL and ayil_rx_ended()
 * becomes true.
 *
 * Errors are sticky: once a call fails, every later call returns the same
 * error and the stream is dead. AYIL_EDECRYPT: a flipped bit, reordered,
 * replayed or spliced frame. AYIL_EPEER: bytes after the final frame, or a
 * frame tag that ayil never sends.
 */
AYIL_WUR int ayil_rx_feed(ayil_rx_t *rx, const uint8_t *in, size_t len,
                          size_t *used, const uint8_t **frame,
                          size_t *frame_len);

/* Whether the peer's final frame has arrived. */
int ayil_rx_ended(const ayil_rx_t *rx);

/* Bytes of an incomplete frame held (its length and ciphertext so far). */
size_t ayil_rx_partial(const ayil_rx_t *rx);

/* Heap bytes held: a frame's buffer grows as its bytes arrive, not when
 * its length does, and a large one is released once the frame is used. */
size_t ayil_rx_memory(const ayil_rx_t *rx);
size_t ayil_tx_memory(const ayil_tx_t *tx);

/*
 * Tells the decoder the underlying connection ended. Returns 0 if the final
 * frame was received, else AYIL_ETRUNC (sticky): the stream was cut, in the
 * middle of a frame or between frames.
 */
AYIL_WUR int ayil_rx_eof(ayil_rx_t *rx);

#endif

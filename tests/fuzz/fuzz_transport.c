/* Fuzz target: the transport's frame decoder (proto/transport.c,
 * ayil_rx_feed), fed in random splits -- every byte a peer sends after the
 * handshake. Input: byte 0 picks the mode, bytes 1..2 seed the splits.
 *   even  the rest is a 24-byte stream header and the wire under a fixed
 *         key (the seeds are genuine streams: frames and a final frame).
 *         Nothing may crash; a frame is at most AYIL_FRAME_MAX bytes; an
 *         error is one of the documented ones and sticks.
 *   odd   the rest is cut into payloads (a length byte each), sealed with
 *         ayil_tx_seal and ended, and fed back in random splits: every
 *         payload comes out once, in order, and the stream ends cleanly.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ayil/transport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const uint8_t *fuzz_seed(size_t i, size_t *len);

static uint8_t key[AYIL_STREAM_KEY_BYTES];
static int ready;

static void setup(void) {
  if (ready)
    return;
  if (sodium_init() < 0)
    abort();
  memset(key, 0x30, sizeof key);
  ready = 1;
}

static uint32_t split_rng;
static size_t split(size_t left) {
  size_t k;
  split_rng = split_rng * 1103515245u + 12345u;
  k = (split_rng >> 16) % 4 == 0 ? 1 + (split_rng >> 8) % 3 : (split_rng >> 12);
  k = k == 0 ? 1 : k;
  return k < left ? k : left;
}

static int known_err(int rc) {
  return rc == AYIL_EDECRYPT || rc == AYIL_EPEER || rc == AYIL_ETOOBIG ||
         rc == AYIL_ENOMEM || rc == AYIL_ETRUNC;
}

static void hostile(const uint8_t *d, size_t n) {
  ayil_rx_t *rx = NULL;
  size_t off = 0;
  int rc = 0, i;
  if (n < AYIL_STREAM_HEADER_BYTES)
    return;
  if (ayil_rx_new(&rx, key, d) != 0)
    abort();
  d += AYIL_STREAM_HEADER_BYTES;
  n -= AYIL_STREAM_HEADER_BYTES;
  for (i = 0; off < n && i < 100000; i++) {
    size_t k = split(n - off), used = 0, flen = 0;
    const uint8_t *frame = NULL;
    rc = ayil_rx_feed(rx, d + off, k, &used, &frame, &flen);
    if (rc < 0)
      break;
    if (used > k || (used == 0 && frame == NULL && !ayil_rx_ended(rx)))
      abort(); /* no progress */
    if (frame != NULL && (flen > AYIL_FRAME_MAX || ayil_rx_ended(rx)))
      abort();
    if (frame != NULL && flen > 0)
      (void)((volatile const uint8_t *)frame)[flen - 1];
    off += used;
    if (used == 0)
      break; /* ended: the rest is refused below */
  }
  if (rc < 0) {
    size_t used = 0, flen = 0;
    const uint8_t *frame = NULL;
    if (!known_err(rc) || ayil_rx_feed(rx, d, n, &used, &frame, &flen) != rc ||
        frame != NULL)
      abort(); /* an undocumented or a non-sticky error */
  } else {
    rc = ayil_rx_eof(rx);
    if (rc != 0 && (rc != AYIL_ETRUNC || ayil_rx_ended(rx)))
      abort();
  }
  ayil_rx_free(rx);
}

static void round_trip(const uint8_t *d, size_t n) {
  static uint8_t wire[16 * AYIL_FRAME_WIRE_LEN(255) + AYIL_FRAME_OVERHEAD];
  uint8_t hdr[AYIL_STREAM_HEADER_BYTES];
  const uint8_t *pay[16];
  size_t plen[16], np = 0, wl = 0, got = 0, off = 0, i = 0;
  ayil_tx_t *tx = NULL;
  ayil_rx_t *rx = NULL;
  while (i < n && np < 16) {
    size_t l = d[i++];
    if (l > n - i)
      l = n - i;
    pay[np] = d + i;
    plen[np++] = l;
    i += l;
  }
  if (ayil_tx_new(&tx, key, hdr) != 0 || ayil_rx_new(&rx, key, hdr) != 0)
    abort();
  for (i = 0; i < np; i++) {
    size_t ol = 0;
    if (ayil_tx_seal(tx, pay[i], plen[i], wire + wl, sizeof wire - wl, &ol) !=
            0 ||
        ol != AYIL_FRAME_WIRE_LEN(plen[i]))
      abort();
    wl += ol;
  }
  {
    size_t ol = 0;
    if (ayil_tx_end(tx, wire + wl, sizeof wire - wl, &ol) != 0)
      abort();
    wl += ol;
  }
  for (i = 0; off < wl && i < 100000; i++) {
    size_t k = split(wl - off), used = 0, flen = 0;
    const uint8_t *frame = NULL;
    if (ayil_rx_feed(rx, wire + off, k, &used, &frame, &flen) != 0)
      abort(); /* a genuine stream refused */
    if (frame != NULL) {
      if (got >= np || flen != plen[got] ||
          (flen > 0 && memcmp(frame, pay[got], flen) != 0))
        abort(); /* not the frame that was sealed */
      got++;
    }
    off += used;
  }
  if (got != np || !ayil_rx_ended(rx) || ayil_rx_eof(rx) != 0)
    abort();
  ayil_tx_free(tx);
  ayil_rx_free(rx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3)
    return 0;
  setup();
  split_rng = (uint32_t)data[1] << 8 | data[2];
  if (data[0] & 1)
    round_trip(data + 3, size - 3);
  else
    hostile(data + 3, size - 3);
  return 0;
}

/* Seeds: genuine streams (header, frames of 0, 5 and 300 bytes, the final
 * frame), one cut short, and a round-trip input. */
const uint8_t *fuzz_seed(size_t i, size_t *len) {
  static uint8_t s[3][1024];
  static size_t sl[3];
  if (sl[0] == 0) {
    static const uint8_t msg[300] = {1, 2, 3, 4, 5};
    const size_t lens[3] = {0, 5, 300};
    ayil_tx_t *tx = NULL;
    size_t k, n = 3, ol = 0;
    setup();
    s[0][0] = 0;
    s[0][1] = 0x12;
    s[0][2] = 0x34;
    if (ayil_tx_new(&tx, key, s[0] + 3) != 0)
      abort();
    n += AYIL_STREAM_HEADER_BYTES;
    for (k = 0; k < 3; k++) {
      if (ayil_tx_seal(tx, msg, lens[k], s[0] + n, sizeof s[0] - n, &ol) != 0)
        abort();
      n += ol;
    }
    if (ayil_tx_end(tx, s[0] + n, sizeof s[0] - n, &ol) != 0)
      abort();
    n += ol;
    ayil_tx_free(tx);
    sl[0] = n;
    memcpy(s[1], s[0], n - 10);
    s[1][1] = 0x01;
    sl[1] = n - 10;
    memcpy(s[2],
           "\x01\x07\x00\x03"
           "abc\x00\x05"
           "hello",
           15);
    sl[2] = 15;
  }
  if (i >= 3)
    return NULL;
  *len = sl[i];
  return s[i];
}

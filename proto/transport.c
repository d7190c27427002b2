/*
 * Framed crypto_secretstream transport. See include/ayil/transport.h and
 * proto/PROTOCOL.md, "Transport", for the wire format this file pins.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ayil/transport.h"
#include "testhooks.h"

typedef crypto_secretstream_xchacha20poly1305_state ss_state_t;

_Static_assert(AYIL_STREAM_KEY_BYTES ==
                   crypto_secretstream_xchacha20poly1305_KEYBYTES,
               "key size");
_Static_assert(AYIL_STREAM_HEADER_BYTES ==
                   crypto_secretstream_xchacha20poly1305_HEADERBYTES,
               "header size");
_Static_assert(AYIL_FRAME_ABYTES ==
                   crypto_secretstream_xchacha20poly1305_ABYTES,
               "abytes");
_Static_assert(AYIL_FRAME_MAX <= 0xffff, "length must fit in 2 bytes");

struct ayil_tx_s {
  ss_state_t st;
  int err;
  int ended;
};

struct ayil_rx_s {
  ss_state_t st;
  int err;
  int ended;
  uint8_t lenbuf[AYIL_FRAME_LEN_BYTES];
  size_t lenbuf_fill;
  size_t body_need; /* ciphertext bytes of the current frame */
  size_t body_fill;
  uint8_t *cbuf; /* ciphertext of the current frame, as it arrives */
  size_t ccap;
  uint8_t *pbuf; /* plaintext of the last frame delivered */
  size_t pcap;
  size_t plen; /* plaintext bytes in pbuf to wipe on the next call */
};

/* Buffers up to this size are kept for the next frame; larger ones are
 * released once their frame is used, so that an idle stream holds little. */
#define RX_KEEP 2048

static int tx_alloc(ayil_tx_t **out) {
  ayil_tx_t *tx;
  if (sodium_init() < 0)
    return AYIL_EIO;
  tx = calloc(1, sizeof(*tx));
  if (tx == NULL)
    return AYIL_ENOMEM;
  *out = tx;
  return 0;
}

int ayil_tx_new(ayil_tx_t **out, const uint8_t key[AYIL_STREAM_KEY_BYTES],
                uint8_t header[AYIL_STREAM_HEADER_BYTES]) {
  ayil_tx_t *tx = NULL;
  int rc = tx_alloc(&tx);
  if (rc < 0)
    return rc;
  crypto_secretstream_xchacha20poly1305_init_push(&tx->st, header, key);
  *out = tx;
  return 0;
}

/*
 * init_push is randombytes(header) followed by exactly what init_pull does
 * with that header, so init_pull with a chosen header yields the state that
 * init_push would have produced had the RNG returned it. Only test vectors
 * use this; the interoperation tests check it against the real init_push.
 */
int ayil__tx_new_with_header(ayil_tx_t **out,
                             const uint8_t key[AYIL_STREAM_KEY_BYTES],
                             const uint8_t header[AYIL_STREAM_HEADER_BYTES]) {
  ayil_tx_t *tx = NULL;
  int rc = tx_alloc(&tx);
  if (rc < 0)
    return rc;
  crypto_secretstream_xchacha20poly1305_init_pull(&tx->st, header, key);
  *out = tx;
  return 0;
}

void ayil_tx_free(ayil_tx_t *tx) {
  if (tx == NULL)
    return;
  sodium_memzero(tx, sizeof(*tx));
  free(tx);
}

static int tx_push(ayil_tx_t *tx, const uint8_t *msg, size_t len, uint8_t *out,
                   size_t cap, size_t *outlen, unsigned char tag) {
  unsigned long long clen = 0;
  if (tx->err < 0)
    return tx->err;
  if (tx->ended)
    return AYIL_ESTATE;
  if (len > AYIL_FRAME_MAX)
    return AYIL_ETOOBIG;
  if (cap < AYIL_FRAME_WIRE_LEN(len))
    return AYIL_EINVAL;
  out[0] = (uint8_t)(len >> 8);
  out[1] = (uint8_t)(len & 0xff);
  if (crypto_secretstream_xchacha20poly1305_push(
          &tx->st, out + AYIL_FRAME_LEN_BYTES, &clen, msg, len, out,
          AYIL_FRAME_LEN_BYTES, tag) != 0) {
    /* Cannot happen for len <= AYIL_FRAME_MAX; the state is unusable. */
    sodium_memzero(&tx->st, sizeof(tx->st));
    tx->err = AYIL_ESTATE;
    return tx->err;
  }
  *outlen = AYIL_FRAME_LEN_BYTES + (size_t)clen;
  return 0;
}

int ayil_tx_seal(ayil_tx_t *tx, const uint8_t *msg, size_t len, uint8_t *out,
                 size_t cap, size_t *outlen) {
  if (msg == NULL && len > 0)
    return AYIL_EINVAL;
  return tx_push(tx, msg, len, out, cap, outlen,
                 crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
}

int ayil_tx_end(ayil_tx_t *tx, uint8_t *out, size_t cap, size_t *outlen) {
  int rc = tx_push(tx, NULL, 0, out, cap, outlen,
                   crypto_secretstream_xchacha20poly1305_TAG_FINAL);
  if (rc == 0) {
    tx->ended = 1;
    sodium_memzero(&tx->st, sizeof(tx->st));
  }
  return rc;
}

int ayil_rx_new(ayil_rx_t **out, const uint8_t key[AYIL_STREAM_KEY_BYTES],
                const uint8_t header[AYIL_STREAM_HEADER_BYTES]) {
  ayil_rx_t *rx;
  if (sodium_init() < 0)
    return AYIL_EIO;
  rx = calloc(1, sizeof(*rx));
  if (rx == NULL)
    return AYIL_ENOMEM;
  /* Cannot fail: it only derives a subkey from key and header. */
  crypto_secretstream_xchacha20poly1305_init_pull(&rx->st, header, key);
  *out = rx;
  return 0;
}

static void wipe_free(uint8_t **p, size_t *cap) {
  if (*p != NULL) {
    sodium_memzero(*p, *cap);
    free(*p);
  }
  *p = NULL;
  *cap = 0;
}

static void rx_wipe_buffers(ayil_rx_t *rx) {
  wipe_free(&rx->cbuf, &rx->ccap);
  wipe_free(&rx->pbuf, &rx->pcap);
  rx->plen = 0;
}

void ayil_rx_free(ayil_rx_t *rx) {
  if (rx == NULL)
    return;
  rx_wipe_buffers(rx);
  sodium_memzero(rx, sizeof(*rx));
  free(rx);
}

/* Kills the stream: the error sticks and every secret is wiped. */
static int rx_fail(ayil_rx_t *rx, int err) {
  rx_wipe_buffers(rx);
  sodium_memzero(&rx->st, sizeof(rx->st));
  sodium_memzero(rx->lenbuf, sizeof(rx->lenbuf));
  rx->err = err;
  return err;
}

/*
 * Makes room for `need` bytes in *buf, keeping its first `keep` bytes: the
 * ciphertext grows as it arrives (doubling, from 1 KiB, up to the frame's
 * length), so a peer that announces a large frame and stalls holds only
 * what it sent. `need` is at most one maximal frame: the 2-byte length
 * cannot claim more.
 */
static int rx_grow(uint8_t **buf, size_t *cap, size_t keep, size_t need,
                   size_t limit) {
  size_t n = *cap > 0 ? *cap : 1024;
  uint8_t *p;
  if (need <= *cap)
    return 0;
  while (n < need)
    n *= 2;
  if (n > limit)
    n = limit;
  p = malloc(n);
  if (p == NULL)
    return AYIL_ENOMEM;
  if (keep > 0)
    memcpy(p, *buf, keep);
  wipe_free(buf, cap);
  *buf = p;
  *cap = n;
  return 0;
}

int ayil_rx_feed(ayil_rx_t *rx, const uint8_t *in, size_t len, size_t *used,
                 const uint8_t **frame, size_t *frame_len) {
  size_t off = 0;
  *used = 0;
  *frame = NULL;
  *frame_len = 0;
  if (rx->err < 0)
    return rx->err;
  /* The previous frame's plaintext is no longer the caller's. */
  if (rx->plen > 0) {
    sodium_memzero(rx->pbuf, rx->plen);
    rx->plen = 0;
  }
  if (rx->pcap > RX_KEEP)
    wipe_free(&rx->pbuf, &rx->pcap);
  while (off < len) {
    size_t n;
    unsigned long long mlen = 0;
    unsigned char tag = 0;
    int rc;

    if (rx->ended)
      return rx_fail(rx, AYIL_EPEER);
    if (rx->lenbuf_fill < AYIL_FRAME_LEN_BYTES) {
      rx->lenbuf[rx->lenbuf_fill++] = in[off++];
      if (rx->lenbuf_fill < AYIL_FRAME_LEN_BYTES)
        continue;
      rx->body_need =
          ((size_t)rx->lenbuf[0] << 8 | rx->lenbuf[1]) + AYIL_FRAME_ABYTES;
      rx->body_fill = 0;
      continue;
    }
    n = rx->body_need - rx->body_fill;
    if (n > len - off)
      n = len - off;
    /* At most AYIL_FRAME_MAX + ABYTES; the length field cannot say more. */
    rc = rx_grow(&rx->cbuf, &rx->ccap, rx->body_fill, rx->body_fill + n,
                 rx->body_need);
    if (rc < 0)
      return rx_fail(rx, rc);
    memcpy(rx->cbuf + rx->body_fill, in + off, n);
    rx->body_fill += n;
    off += n;
    if (rx->body_fill < rx->body_need)
      break;

    /* A whole frame: authenticate it, length bytes as associated data. */
    *used = off;
    rc = rx_grow(&rx->pbuf, &rx->pcap, 0, rx->body_need, rx->body_need);
    if (rc < 0)
      return rx_fail(rx, rc);
    if (crypto_secretstream_xchacha20poly1305_pull(
            &rx->st, rx->pbuf, &mlen, &tag, rx->cbuf, rx->body_need, rx->lenbuf,
            AYIL_FRAME_LEN_BYTES) != 0)
      return rx_fail(rx, AYIL_EDECRYPT);
    rx->lenbuf_fill = 0;
    rx->body_need = 0;
    rx->body_fill = 0;
    if (rx->ccap > RX_KEEP)
      wipe_free(&rx->cbuf, &rx->ccap);
    if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
      if (mlen != 0)
        return rx_fail(rx, AYIL_EPEER);
      rx->ended = 1;
      sodium_memzero(&rx->st, sizeof(rx->st));
      return 0;
    }
    if (tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)
      return rx_fail(rx, AYIL_EPEER);
    rx->plen = (size_t)mlen;
    *frame = rx->pbuf;
    *frame_len = (size_t)mlen;
    return 0;
  }
  *used = off;
  return 0;
}

int ayil_rx_ended(const ayil_rx_t *rx) {
  return rx->err == 0 && rx->ended;
}

int ayil_rx_eof(ayil_rx_t *rx) {
  if (rx->err < 0)
    return rx->err;
  if (rx->ended && rx->lenbuf_fill == 0)
    return 0;
  return rx_fail(rx, AYIL_ETRUNC);
}

size_t ayil_rx_partial(const ayil_rx_t *rx) {
  return rx->lenbuf_fill + rx->body_fill;
}

size_t ayil_rx_memory(const ayil_rx_t *rx) {
  return rx != NULL ? sizeof *rx + rx->ccap + rx->pcap : 0;
}

size_t ayil_tx_memory(const ayil_tx_t *tx) {
  return tx != NULL ? sizeof *tx : 0;
}

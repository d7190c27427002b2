/*
 * The handshake state machine. proto/PROTOCOL.md, "Handshake", is the
 * specification; the names below (c, s, C, S, ee, es, se, h1, h2, k1, k2)
 * follow it.
 *
 * Every secret lives in the ayil_hs_t (or in a local that is wiped before
 * the function returns); hs_fail() and ayil_hs_free() wipe them all.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ayil/handshake.h"
#include "testhooks.h"

#define X_BYTES crypto_scalarmult_BYTES     /* 32 */
#define H_BYTES 32                          /* BLAKE2b-256 */
#define TAG_BYTES 16                        /* truncated HMAC-SHA512-256 */
#define MAC_BYTES crypto_secretbox_MACBYTES /* 16 */
#define HDR_BYTES AYIL_STREAM_HEADER_BYTES  /* 24 */
#define LEN_BYTES 2

#define ID_BYTES 32 /* Ed25519 public key */

/* Client auth plaintext: C || sig || hdr_c2s || payload. */
#define AUTH_FIXED (ID_BYTES + crypto_sign_BYTES + HDR_BYTES) /* 120 */
#define AUTH_BOX_MIN (MAC_BYTES + AUTH_FIXED)
#define AUTH_BOX_MAX (AUTH_BOX_MIN + AYIL_HS_PAYLOAD_MAX)
/* Server accept plaintext: hdr_s2c || payload. */
#define ACCEPT_BOX_MIN (MAC_BYTES + HDR_BYTES)
#define ACCEPT_BOX_MAX (ACCEPT_BOX_MIN + AYIL_HS_PAYLOAD_MAX)

#define IN_MAX (LEN_BYTES + AUTH_BOX_MAX)
#define OUT_MAX (AYIL_HS_SERVER_HELLO_BYTES + LEN_BYTES + AUTH_BOX_MAX)
#define PLAIN_MAX (AUTH_BOX_MAX - MAC_BYTES)

_Static_assert(AUTH_BOX_MAX <= 0xffff, "auth length must fit in 2 bytes");
_Static_assert(AYIL_HS_CLIENT_AUTH_BYTES(0) == LEN_BYTES + AUTH_BOX_MIN,
               "auth size");
_Static_assert(AYIL_HS_SERVER_ACCEPT_BYTES(0) == LEN_BYTES + ACCEPT_BOX_MIN,
               "accept size");
_Static_assert(AYIL_HS_CLIENT_HELLO_BYTES == X_BYTES + TAG_BYTES, "hello");
_Static_assert(AYIL_HS_SERVER_HELLO_BYTES == X_BYTES + 2 * TAG_BYTES, "hello");
_Static_assert(crypto_auth_BYTES >= TAG_BYTES, "tag");
_Static_assert(crypto_auth_KEYBYTES == AYIL_NETKEY_BYTES, "netkey");

/* Domain labels: none is a prefix of another. */
static const char L_C_HELLO[] = "ayil-hs1/c-hello";
static const char L_S_HELLO[] = "ayil-hs1/s-hello";
static const char L_S_ID[] = "ayil-hs1/s-id";
static const char L_K1[] = "ayil-hs1/k1";
static const char L_C_SIG[] = "ayil-hs1/c-sig";
static const char L_K2[] = "ayil-hs1/k2";
static const char L_C2S[] = "ayil-hs1/c2s";
static const char L_S2C[] = "ayil-hs1/s2c";
#define LBL(l) (const uint8_t *)(l), (sizeof(l) - 1)

static const uint8_t ZERO_NONCE[crypto_secretbox_NONCEBYTES];

enum {
  ST_C_WAIT_HELLO = 1,
  ST_C_WAIT_ACCEPT,
  ST_S_WAIT_HELLO,
  ST_S_WAIT_AUTH,
  ST_S_DECIDE,
  ST_DONE,
  ST_FAILED,
};

struct ayil_hs_s {
  int is_server;
  int st;
  int err;
  int rx_taken;
  int test_header;

  /* Long-term. */
  uint8_t netkey[AYIL_NETKEY_BYTES];
  uint8_t sk[crypto_sign_SECRETKEYBYTES];
  uint8_t xsk[X_BYTES];    /* our Ed25519 key as X25519 */
  uint8_t peer[ID_BYTES];  /* S (client: given) or C (server: learned) */
  uint8_t peer_x[X_BYTES]; /* client: S as X25519 */
  int peer_known;

  /* Ephemeral. */
  uint8_t eph_sk[X_BYTES];
  uint8_t eph_pk[X_BYTES];
  uint8_t peer_eph[X_BYTES];
  uint8_t ee[X_BYTES], es[X_BYTES], se[X_BYTES];
  uint8_t h1[H_BYTES];
  uint8_t h2[H_BYTES];
  uint8_t k1[H_BYTES];
  uint8_t k2[H_BYTES];
  uint8_t key_tx[AYIL_STREAM_KEY_BYTES];
  uint8_t key_rx[AYIL_STREAM_KEY_BYTES];
  uint8_t hdr_rx[HDR_BYTES];
  uint8_t hdr_test[HDR_BYTES];
  uint8_t hello[AYIL_HS_CLIENT_HELLO_BYTES]; /* client hello, for h1 */
  ayil_tx_t *tx;

  /* The peer's payload, inside plain[] (server: at AUTH_FIXED). */
  const uint8_t *peer_payload;
  size_t peer_payload_len;
  size_t my_payload_len; /* client: payload parked at plain + AUTH_FIXED */

  /* Input: the message being collected, in in_small until the peer's
   * hello is proven (a stranger without the network key costs no more),
   * then in big. */
  size_t in_fill;
  size_t in_need;
  uint8_t *in;
  uint8_t in_small[AYIL_HS_SERVER_HELLO_BYTES];
  /* Output: out[out_off..out_len) not yet handed to the embedder. */
  size_t out_off;
  size_t out_len;
  uint8_t *out;
  uint8_t *plain;
  /* in, out and plain of a handshake past the hello: one allocation,
   * wiped when the handshake ends. */
  uint8_t *big;
};

#define BIG_BYTES (IN_MAX + OUT_MAX + PLAIN_MAX)
_Static_assert(AYIL_HS_SERVER_HELLO_BYTES >= AYIL_HS_CLIENT_HELLO_BYTES,
               "in_small holds either hello");

/* The buffers of a handshake past the hello. */
static int big_alloc(ayil_hs_t *hs) {
  if (hs->big != NULL)
    return 0;
  hs->big = malloc(BIG_BYTES);
  if (hs->big == NULL)
    return AYIL_ENOMEM;
  hs->out = hs->big + IN_MAX;
  hs->plain = hs->out + OUT_MAX;
  return 0;
}

static void big_free(ayil_hs_t *hs) {
  if (hs->big == NULL)
    return;
  sodium_memzero(hs->big, BIG_BYTES);
  free(hs->big);
  hs->big = hs->out = hs->plain = NULL;
  hs->in = hs->in_small;
}

/* Wipes every ephemeral secret and intermediate key. */
static void wipe_session(ayil_hs_t *hs) {
  sodium_memzero(hs->eph_sk, sizeof(hs->eph_sk));
  sodium_memzero(hs->ee, sizeof(hs->ee));
  sodium_memzero(hs->es, sizeof(hs->es));
  sodium_memzero(hs->se, sizeof(hs->se));
  sodium_memzero(hs->k1, sizeof(hs->k1));
  sodium_memzero(hs->k2, sizeof(hs->k2));
}

/* Wipes the long-term secrets once they are no longer needed. */
static void wipe_longterm(ayil_hs_t *hs) {
  sodium_memzero(hs->netkey, sizeof(hs->netkey));
  sodium_memzero(hs->sk, sizeof(hs->sk));
  sodium_memzero(hs->xsk, sizeof(hs->xsk));
}

/* Fails for good: the error sticks, every secret and pending byte goes. */
static int hs_fail(ayil_hs_t *hs, int err) {
  wipe_session(hs);
  wipe_longterm(hs);
  sodium_memzero(hs->key_tx, sizeof(hs->key_tx));
  sodium_memzero(hs->key_rx, sizeof(hs->key_rx));
  big_free(hs);
  sodium_memzero(hs->in_small, sizeof(hs->in_small));
  hs->out_off = hs->out_len = 0;
  hs->peer_payload = NULL;
  hs->peer_payload_len = 0;
  ayil_tx_free(hs->tx);
  hs->tx = NULL;
  hs->st = ST_FAILED;
  hs->err = err;
  return err;
}

/* HMAC-SHA512-256 under `key` over a || b || c, truncated to 16 bytes. */
static void tag16(uint8_t out[TAG_BYTES], const uint8_t key[32],
                  const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
                  const uint8_t *c, size_t clen) {
  crypto_auth_hmacsha512256_state st;
  uint8_t full[crypto_auth_BYTES];
  crypto_auth_hmacsha512256_init(&st, key, crypto_auth_KEYBYTES);
  crypto_auth_hmacsha512256_update(&st, a, alen);
  crypto_auth_hmacsha512256_update(&st, b, blen);
  if (c != NULL)
    crypto_auth_hmacsha512256_update(&st, c, clen);
  crypto_auth_hmacsha512256_final(&st, full);
  memcpy(out, full, TAG_BYTES);
  sodium_memzero(full, sizeof(full));
  sodium_memzero(&st, sizeof(st));
}

/* BLAKE2b-256(label || N || h || x1 || x2 [|| x3]); h may be NULL. */
static void kdf(uint8_t out[H_BYTES], const uint8_t *label, size_t label_len,
                const ayil_hs_t *hs, const uint8_t *h, const uint8_t *x1,
                const uint8_t *x2, const uint8_t *x3) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, H_BYTES);
  crypto_generichash_update(&st, label, label_len);
  crypto_generichash_update(&st, hs->netkey, AYIL_NETKEY_BYTES);
  if (h != NULL)
    crypto_generichash_update(&st, h, H_BYTES);
  crypto_generichash_update(&st, x1, X_BYTES);
  crypto_generichash_update(&st, x2, X_BYTES);
  if (x3 != NULL)
    crypto_generichash_update(&st, x3, X_BYTES);
  crypto_generichash_final(&st, out, H_BYTES);
  sodium_memzero(&st, sizeof(st));
}

/* BLAKE2b-256(a || b). */
static void hash2(uint8_t out[H_BYTES], const uint8_t *a, size_t alen,
                  const uint8_t *b, size_t blen) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, H_BYTES);
  crypto_generichash_update(&st, a, alen);
  crypto_generichash_update(&st, b, blen);
  crypto_generichash_final(&st, out, H_BYTES);
  sodium_memzero(&st, sizeof(st));
}

/* Reserves n bytes at the end of the output queue. */
static uint8_t *out_reserve(ayil_hs_t *hs, size_t n) {
  uint8_t *p;
  if (hs->out_off == hs->out_len)
    hs->out_off = hs->out_len = 0;
  if (hs->out == NULL || n > OUT_MAX - hs->out_len)
    return NULL; /* cannot happen: OUT_MAX covers the largest sequence */
  p = hs->out + hs->out_len;
  hs->out_len += n;
  return p;
}

static void build_client_hello(ayil_hs_t *hs) {
  memcpy(hs->hello, hs->eph_pk, X_BYTES);
  tag16(hs->hello + X_BYTES, hs->netkey, LBL(L_C_HELLO), hs->eph_pk, X_BYTES,
        NULL, 0);
  hs->out_off = hs->out_len = 0;
  memcpy(out_reserve(hs, sizeof(hs->hello)), hs->hello, sizeof(hs->hello));
}

static int hs_alloc(ayil_hs_t **out, const uint8_t netkey[AYIL_NETKEY_BYTES],
                    const uint8_t sk[64]) {
  ayil_hs_t *hs;
  if (sodium_init() < 0)
    return AYIL_EIO;
  hs = calloc(1, sizeof(*hs));
  if (hs == NULL)
    return AYIL_ENOMEM;
  memcpy(hs->netkey, netkey, AYIL_NETKEY_BYTES);
  memcpy(hs->sk, sk, crypto_sign_SECRETKEYBYTES);
  hs->in = hs->in_small;
  /* Cannot fail for a secret key; it hashes the seed. */
  crypto_sign_ed25519_sk_to_curve25519(hs->xsk, hs->sk);
  randombytes_buf(hs->eph_sk, sizeof(hs->eph_sk));
  crypto_scalarmult_base(hs->eph_pk, hs->eph_sk);
  *out = hs;
  return 0;
}

int ayil_hs_client_new(ayil_hs_t **out, const uint8_t netkey[AYIL_NETKEY_BYTES],
                       const uint8_t sk[64], const uint8_t server_id[32],
                       const uint8_t *payload, size_t payload_len) {
  ayil_hs_t *hs = NULL;
  int rc;
  if (payload_len > AYIL_HS_PAYLOAD_MAX)
    return AYIL_ETOOBIG;
  if (payload == NULL && payload_len > 0)
    return AYIL_EINVAL;
  rc = hs_alloc(&hs, netkey, sk);
  if (rc < 0)
    return rc;
  memcpy(hs->peer, server_id, ID_BYTES);
  if (big_alloc(hs) != 0) {
    ayil_hs_free(hs);
    return AYIL_ENOMEM;
  }
  if (crypto_sign_ed25519_pk_to_curve25519(hs->peer_x, hs->peer) != 0) {
    ayil_hs_free(hs);
    return AYIL_EINVAL;
  }
  if (payload_len > 0)
    memcpy(hs->plain + AUTH_FIXED, payload, payload_len);
  hs->my_payload_len = payload_len;
  hs->st = ST_C_WAIT_HELLO;
  hs->in_need = AYIL_HS_SERVER_HELLO_BYTES;
  build_client_hello(hs);
  *out = hs;
  return 0;
}

int ayil_hs_server_new(ayil_hs_t **out, const uint8_t netkey[AYIL_NETKEY_BYTES],
                       const uint8_t sk[64]) {
  ayil_hs_t *hs = NULL;
  int rc = hs_alloc(&hs, netkey, sk);
  if (rc < 0)
    return rc;
  hs->is_server = 1;
  hs->st = ST_S_WAIT_HELLO;
  hs->in_need = AYIL_HS_CLIENT_HELLO_BYTES;
  *out = hs;
  return 0;
}

int ayil__hs_set_test_randomness(ayil_hs_t *hs, const uint8_t eph_sk[32],
                                 const uint8_t stream_header[24]) {
  int fresh = hs->is_server ? (hs->st == ST_S_WAIT_HELLO && hs->in_fill == 0)
                            : (hs->st == ST_C_WAIT_HELLO && hs->in_fill == 0 &&
                               hs->out_off == 0);
  if (!fresh)
    return AYIL_ESTATE;
  memcpy(hs->eph_sk, eph_sk, X_BYTES);
  crypto_scalarmult_base(hs->eph_pk, hs->eph_sk);
  memcpy(hs->hdr_test, stream_header, HDR_BYTES);
  hs->test_header = 1;
  if (!hs->is_server)
    build_client_hello(hs);
  return 0;
}

void ayil_hs_free(ayil_hs_t *hs) {
  if (hs == NULL)
    return;
  ayil_tx_free(hs->tx);
  big_free(hs);
  sodium_memzero(hs, sizeof(*hs));
  free(hs);
}

size_t ayil_hs_memory(const ayil_hs_t *hs) {
  if (hs == NULL)
    return 0;
  return sizeof *hs + (hs->big != NULL ? BIG_BYTES : 0) +
         ayil_tx_memory(hs->tx);
}

static int new_tx(ayil_hs_t *hs, uint8_t header[HDR_BYTES]) {
  int rc;
  if (hs->test_header) {
    memcpy(header, hs->hdr_test, HDR_BYTES);
    rc = ayil__tx_new_with_header(&hs->tx, hs->key_tx, header);
  } else {
    rc = ayil_tx_new(&hs->tx, hs->key_tx, header);
  }
  sodium_memzero(hs->key_tx, sizeof(hs->key_tx));
  return rc;
}

/* Server: a complete client hello is in hs->in. */
static int server_on_hello(ayil_hs_t *hs) {
  uint8_t expect[TAG_BYTES];
  uint8_t kid[H_BYTES];
  uint8_t *p;
  int rc = 0;

  tag16(expect, hs->netkey, LBL(L_C_HELLO), hs->in, X_BYTES, NULL, 0);
  if (crypto_verify_16(expect, hs->in + X_BYTES) != 0) {
    rc = AYIL_EAUTH; /* no network key: we send nothing at all */
    goto done;
  }
  memcpy(hs->peer_eph, hs->in, X_BYTES);
  memcpy(hs->hello, hs->in, AYIL_HS_CLIENT_HELLO_BYTES);
  if (crypto_scalarmult(hs->ee, hs->eph_sk, hs->peer_eph) != 0 ||
      crypto_scalarmult(hs->es, hs->xsk, hs->peer_eph) != 0) {
    rc = AYIL_EAUTH; /* low-order point */
    goto done;
  }
  /* The peer holds the network key: now it gets the buffers of a whole
   * handshake (PROTOCOL.md, "Sessions": memory per connection). */
  rc = big_alloc(hs);
  if (rc != 0)
    goto done;
  hs->in = hs->big;
  p = out_reserve(hs, AYIL_HS_SERVER_HELLO_BYTES);
  if (p == NULL) {
    rc = AYIL_ESTATE;
    goto done;
  }
  memcpy(p, hs->eph_pk, X_BYTES);
  tag16(p + X_BYTES, hs->netkey, LBL(L_S_HELLO), hs->peer_eph, X_BYTES,
        hs->eph_pk, X_BYTES);
  kdf(kid, LBL(L_S_ID), hs, NULL, hs->ee, hs->es, NULL);
  tag16(p + X_BYTES + TAG_BYTES, kid, hs->peer_eph, X_BYTES, hs->eph_pk,
        X_BYTES, NULL, 0);
  hash2(hs->h1, hs->hello, AYIL_HS_CLIENT_HELLO_BYTES, p,
        AYIL_HS_SERVER_HELLO_BYTES);
  kdf(hs->k1, LBL(L_K1), hs, hs->h1, hs->ee, hs->es, NULL);
  hs->st = ST_S_WAIT_AUTH;
  hs->in_need = LEN_BYTES;
done:
  sodium_memzero(expect, sizeof(expect));
  sodium_memzero(kid, sizeof(kid));
  return rc;
}

/* The message the client signs: label || N || S || h1 || hp. */
#define SIGMSG_BYTES                                                           \
  (sizeof(L_C_SIG) - 1 + AYIL_NETKEY_BYTES + ID_BYTES + 2 * H_BYTES)
static void build_sigmsg(uint8_t out[SIGMSG_BYTES], const ayil_hs_t *hs,
                         const uint8_t server_id[ID_BYTES],
                         const uint8_t hp[H_BYTES]) {
  size_t off = 0;
  memcpy(out + off, L_C_SIG, sizeof(L_C_SIG) - 1);
  off += sizeof(L_C_SIG) - 1;
  memcpy(out + off, hs->netkey, AYIL_NETKEY_BYTES);
  off += AYIL_NETKEY_BYTES;
  memcpy(out + off, server_id, ID_BYTES);
  off += ID_BYTES;
  memcpy(out + off, hs->h1, H_BYTES);
  off += H_BYTES;
  memcpy(out + off, hp, H_BYTES);
}

/* Client: a complete server hello is in hs->in; answer with auth. */
static int client_on_hello(ayil_hs_t *hs) {
  uint8_t expect[TAG_BYTES];
  uint8_t kid[H_BYTES];
  uint8_t hp[H_BYTES];
  uint8_t sigmsg[SIGMSG_BYTES];
  uint8_t *plain = hs->plain;
  uint8_t *hdr = plain + ID_BYTES + crypto_sign_BYTES;
  size_t plen = AUTH_FIXED + hs->my_payload_len;
  size_t boxlen = MAC_BYTES + plen;
  uint8_t *p;
  int rc = 0;

  memset(kid, 0, sizeof(kid));
  memset(hp, 0, sizeof(hp));
  memset(sigmsg, 0, sizeof(sigmsg));
  tag16(expect, hs->netkey, LBL(L_S_HELLO), hs->eph_pk, X_BYTES, hs->in,
        X_BYTES);
  if (crypto_verify_16(expect, hs->in + X_BYTES) != 0) {
    rc = AYIL_EAUTH; /* not our network */
    goto done;
  }
  memcpy(hs->peer_eph, hs->in, X_BYTES);
  if (crypto_scalarmult(hs->ee, hs->eph_sk, hs->peer_eph) != 0 ||
      crypto_scalarmult(hs->es, hs->eph_sk, hs->peer_x) != 0 ||
      crypto_scalarmult(hs->se, hs->xsk, hs->peer_eph) != 0) {
    rc = AYIL_EAUTH;
    goto done;
  }
  kdf(kid, LBL(L_S_ID), hs, NULL, hs->ee, hs->es, NULL);
  tag16(expect, kid, hs->eph_pk, X_BYTES, hs->peer_eph, X_BYTES, NULL, 0);
  if (crypto_verify_16(expect, hs->in + X_BYTES + TAG_BYTES) != 0) {
    rc = AYIL_EUNKNOWN_NODE; /* in our network, but not server_id */
    goto done;
  }
  hs->peer_known = 1;

  hash2(hs->h1, hs->hello, AYIL_HS_CLIENT_HELLO_BYTES, hs->in,
        AYIL_HS_SERVER_HELLO_BYTES);
  kdf(hs->k1, LBL(L_K1), hs, hs->h1, hs->ee, hs->es, NULL);
  kdf(hs->key_tx, LBL(L_C2S), hs, hs->h1, hs->ee, hs->es, hs->se);

  /* plain = C || sig || hdr_c2s || payload (parked there at new). */
  rc = new_tx(hs, hdr);
  if (rc < 0)
    goto done;
  hash2(hp, hdr, HDR_BYTES, plain + AUTH_FIXED, hs->my_payload_len);
  build_sigmsg(sigmsg, hs, hs->peer, hp);
  memcpy(plain, hs->sk + crypto_sign_SEEDBYTES, ID_BYTES);
  crypto_sign_detached(plain + ID_BYTES, NULL, sigmsg, sizeof(sigmsg), hs->sk);

  p = out_reserve(hs, LEN_BYTES + boxlen);
  if (p == NULL) {
    rc = AYIL_ESTATE;
    goto done;
  }
  p[0] = (uint8_t)(boxlen >> 8);
  p[1] = (uint8_t)(boxlen & 0xff);
  crypto_secretbox_easy(p + LEN_BYTES, plain, plen, ZERO_NONCE, hs->k1);
  sodium_memzero(plain, plen);

  hash2(hs->h2, hs->h1, H_BYTES, p, LEN_BYTES + boxlen);
  kdf(hs->k2, LBL(L_K2), hs, hs->h2, hs->ee, hs->es, hs->se);
  kdf(hs->key_rx, LBL(L_S2C), hs, hs->h2, hs->ee, hs->es, hs->se);
  wipe_longterm(hs);
  sodium_memzero(hs->eph_sk, sizeof(hs->eph_sk));
  sodium_memzero(hs->k1, sizeof(hs->k1));
  hs->st = ST_C_WAIT_ACCEPT;
  hs->in_need = LEN_BYTES;
  hs->in = hs->big; /* the accept may be larger than in_small */
done:
  sodium_memzero(expect, sizeof(expect));
  sodium_memzero(kid, sizeof(kid));
  sodium_memzero(hp, sizeof(hp));
  sodium_memzero(sigmsg, sizeof(sigmsg));
  return rc;
}

/* Server: a complete auth message is in hs->in. */
static int server_on_auth(ayil_hs_t *hs) {
  uint8_t hp[H_BYTES];
  uint8_t sigmsg[SIGMSG_BYTES];
  uint8_t cx[X_BYTES];
  const uint8_t *client_id = hs->plain;
  const uint8_t *sig = hs->plain + ID_BYTES;
  const uint8_t *hdr = hs->plain + ID_BYTES + crypto_sign_BYTES;
  size_t boxlen = hs->in_need - LEN_BYTES;
  size_t plen = boxlen - MAC_BYTES; /* >= AUTH_FIXED: checked in on_length */
  int rc = 0;

  memset(hp, 0, sizeof(hp));
  memset(sigmsg, 0, sizeof(sigmsg));
  memset(cx, 0, sizeof(cx));
  if (crypto_secretbox_open_easy(hs->plain, hs->in + LEN_BYTES, boxlen,
                                 ZERO_NONCE, hs->k1) != 0) {
    rc = AYIL_EDECRYPT;
    goto done;
  }
  hash2(hp, hdr, HDR_BYTES, hs->plain + AUTH_FIXED, plen - AUTH_FIXED);
  build_sigmsg(sigmsg, hs, hs->sk + crypto_sign_SEEDBYTES, hp);
  if (crypto_sign_verify_detached(sig, sigmsg, sizeof(sigmsg), client_id) !=
      0) {
    rc = AYIL_ESIG;
    goto done;
  }
  if (crypto_sign_ed25519_pk_to_curve25519(cx, client_id) != 0 ||
      crypto_scalarmult(hs->se, hs->eph_sk, cx) != 0) {
    rc = AYIL_EAUTH;
    goto done;
  }
  memcpy(hs->peer, client_id, ID_BYTES);
  memcpy(hs->hdr_rx, hdr, HDR_BYTES);
  hs->peer_known = 1;
  hs->peer_payload = hs->plain + AUTH_FIXED;
  hs->peer_payload_len = plen - AUTH_FIXED;

  kdf(hs->key_rx, LBL(L_C2S), hs, hs->h1, hs->ee, hs->es, hs->se);
  hash2(hs->h2, hs->h1, H_BYTES, hs->in, hs->in_need);
  kdf(hs->k2, LBL(L_K2), hs, hs->h2, hs->ee, hs->es, hs->se);
  kdf(hs->key_tx, LBL(L_S2C), hs, hs->h2, hs->ee, hs->es, hs->se);
  wipe_longterm(hs);
  sodium_memzero(hs->eph_sk, sizeof(hs->eph_sk));
  sodium_memzero(hs->ee, sizeof(hs->ee));
  sodium_memzero(hs->es, sizeof(hs->es));
  sodium_memzero(hs->se, sizeof(hs->se));
  sodium_memzero(hs->k1, sizeof(hs->k1));
  hs->st = ST_S_DECIDE;
done:
  sodium_memzero(sigmsg, sizeof(sigmsg));
  sodium_memzero(hp, sizeof(hp));
  sodium_memzero(cx, sizeof(cx));
  return rc;
}

/* Client: a complete accept message is in hs->in. */
static int client_on_accept(ayil_hs_t *hs) {
  size_t boxlen = hs->in_need - LEN_BYTES;
  if (crypto_secretbox_open_easy(hs->plain, hs->in + LEN_BYTES, boxlen,
                                 ZERO_NONCE, hs->k2) != 0)
    return AYIL_EDECRYPT;
  memcpy(hs->hdr_rx, hs->plain, HDR_BYTES);
  hs->peer_payload = hs->plain + HDR_BYTES;
  hs->peer_payload_len = boxlen - MAC_BYTES - HDR_BYTES;
  wipe_session(hs);
  hs->st = ST_DONE;
  return 0;
}

/* A complete length prefix is in hs->in: size the rest of the message. */
static int on_length(ayil_hs_t *hs) {
  size_t boxlen = (size_t)hs->in[0] << 8 | hs->in[1];
  size_t min = hs->is_server ? AUTH_BOX_MIN : ACCEPT_BOX_MIN;
  size_t max = hs->is_server ? AUTH_BOX_MAX : ACCEPT_BOX_MAX;
  if (boxlen < min)
    return AYIL_EFORMAT;
  if (boxlen > max)
    return AYIL_ETOOBIG;
  hs->in_need = LEN_BYTES + boxlen;
  return 0;
}

/* A complete unit (hello, length prefix or box) is in hs->in. */
static int step(ayil_hs_t *hs) {
  int rc;
  switch (hs->st) {
  case ST_S_WAIT_HELLO:
    rc = server_on_hello(hs);
    break;
  case ST_C_WAIT_HELLO:
    rc = client_on_hello(hs);
    break;
  case ST_S_WAIT_AUTH:
  case ST_C_WAIT_ACCEPT:
    if (hs->in_need == LEN_BYTES)
      return on_length(hs); /* keep collecting into the same buffer */
    rc = hs->is_server ? server_on_auth(hs) : client_on_accept(hs);
    break;
  default:
    return AYIL_ESTATE;
  }
  hs->in_fill = 0;
  if (hs->st == ST_S_WAIT_AUTH || hs->st == ST_C_WAIT_ACCEPT)
    hs->in_need = LEN_BYTES;
  return rc;
}

static int wants_input(const ayil_hs_t *hs) {
  return hs->st == ST_C_WAIT_HELLO || hs->st == ST_C_WAIT_ACCEPT ||
         hs->st == ST_S_WAIT_HELLO || hs->st == ST_S_WAIT_AUTH;
}

int ayil_hs_feed(ayil_hs_t *hs, const uint8_t *in, size_t len, size_t *used) {
  size_t off = 0;
  *used = 0;
  if (hs->st == ST_FAILED)
    return hs->err;
  if (!wants_input(hs))
    return len == 0 ? 0 : AYIL_ESTATE;
  while (off < len && wants_input(hs)) {
    size_t n = hs->in_need - hs->in_fill;
    int rc;
    if (n > len - off)
      n = len - off;
    memcpy(hs->in + hs->in_fill, in + off, n);
    hs->in_fill += n;
    off += n;
    if (hs->in_fill < hs->in_need)
      break;
    rc = step(hs);
    if (rc < 0) {
      *used = off;
      return hs_fail(hs, rc);
    }
  }
  *used = off;
  return 0;
}

int ayil_hs_eof(ayil_hs_t *hs) {
  if (hs->st == ST_FAILED)
    return hs->err;
  if (!wants_input(hs))
    return 0;
  return hs_fail(hs, hs->in_fill == 0 ? AYIL_ECLOSED : AYIL_ETRUNC);
}

void ayil_hs_output(ayil_hs_t *hs, const uint8_t **buf, size_t *len) {
  *buf = hs->out != NULL ? hs->out + hs->out_off : NULL;
  *len = hs->out_len - hs->out_off;
  hs->out_off = hs->out_len;
}

int ayil_hs_status(const ayil_hs_t *hs) {
  switch (hs->st) {
  case ST_FAILED:
    return hs->err;
  case ST_S_DECIDE:
    return AYIL_HS_DECIDE;
  case ST_DONE:
    return AYIL_HS_DONE;
  default:
    return AYIL_HS_WANT_INPUT;
  }
}

const uint8_t *ayil_hs_peer_id(const ayil_hs_t *hs) {
  if (hs->st == ST_FAILED || !hs->peer_known)
    return NULL;
  return hs->peer;
}

int ayil_hs_peer_payload(const ayil_hs_t *hs, const uint8_t **payload,
                         size_t *len) {
  if (hs->peer_payload == NULL)
    return AYIL_ESTATE;
  *payload = hs->peer_payload;
  *len = hs->peer_payload_len;
  return 0;
}

int ayil_hs_accept(ayil_hs_t *hs, const uint8_t *payload, size_t payload_len) {
  uint8_t *p;
  size_t boxlen;
  int rc;
  if (hs->st != ST_S_DECIDE)
    return AYIL_ESTATE;
  if (payload_len > AYIL_HS_PAYLOAD_MAX)
    return AYIL_ETOOBIG;
  if (payload == NULL && payload_len > 0)
    return AYIL_EINVAL;
  boxlen = ACCEPT_BOX_MIN + payload_len;
  p = out_reserve(hs, LEN_BYTES + boxlen);
  if (p == NULL)
    return hs_fail(hs, AYIL_ESTATE);
  p[0] = (uint8_t)(boxlen >> 8);
  p[1] = (uint8_t)(boxlen & 0xff);
  /* Build hdr_s2c || payload where the ciphertext goes; seal in place. */
  rc = new_tx(hs, p + LEN_BYTES + MAC_BYTES);
  if (rc < 0)
    return hs_fail(hs, rc);
  if (payload_len > 0)
    memcpy(p + LEN_BYTES + MAC_BYTES + HDR_BYTES, payload, payload_len);
  crypto_secretbox_easy(p + LEN_BYTES, p + LEN_BYTES + MAC_BYTES,
                        HDR_BYTES + payload_len, ZERO_NONCE, hs->k2);
  wipe_session(hs);
  hs->st = ST_DONE;
  return 0;
}

void ayil_hs_reject(ayil_hs_t *hs) {
  if (hs->st != ST_FAILED)
    hs_fail(hs, AYIL_EPERM);
}

int ayil_hs_take_tx(ayil_hs_t *hs, ayil_tx_t **out) {
  int ready = hs->st == ST_DONE || hs->st == ST_C_WAIT_ACCEPT;
  if (!ready || hs->tx == NULL)
    return AYIL_ESTATE;
  *out = hs->tx;
  hs->tx = NULL;
  return 0;
}

int ayil_hs_take_rx(ayil_hs_t *hs, ayil_rx_t **out) {
  int rc;
  if (hs->st != ST_DONE || hs->rx_taken)
    return AYIL_ESTATE;
  rc = ayil_rx_new(out, hs->key_rx, hs->hdr_rx);
  if (rc < 0)
    return rc;
  sodium_memzero(hs->key_rx, sizeof(hs->key_rx));
  hs->rx_taken = 1;
  return 0;
}

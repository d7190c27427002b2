/* The bundle codec. See ayil/bundle.h and proto/PROTOCOL.md "Bundles". */
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <sodium.h>

#include "ayil/bundle.h"
#include "ayil/mp.h"

#define KEYBYTES crypto_secretstream_xchacha20poly1305_KEYBYTES
#define ABYTES crypto_secretstream_xchacha20poly1305_ABYTES
#define SEALED_KEY (crypto_box_SEALBYTES + KEYBYTES)
#define CHUNK_MAX (AYIL_BUNDLE_ITEM_MAX + ABYTES)

struct ayil_bundle_w_s {
  crypto_secretstream_xchacha20poly1305_state st;
  uint64_t count;
};

struct ayil_bundle_r_s {
  crypto_secretstream_xchacha20poly1305_state st;
  uint8_t sk[AYIL_SK_BYTES];
  uint8_t head[AYIL_BUNDLE_HEAD_BYTES];
  size_t head_have;
  int keyed;
  uint8_t lenbuf[4];
  size_t len_have;
  uint32_t chunk_len;
  uint8_t *chunk;
  size_t chunk_have;
  uint8_t *plain;
  int err;
  int done;
  int got_meta;
  uint8_t sender[AYIL_ID_BYTES];
  uint64_t created_ms;
  int has_token;
  uint8_t token[16];
  uint64_t items;
  ayil_bundle_ack_t acks[AYIL_BUNDLE_ACKS_MAX];
  size_t nacks;
  msgpack_unpacked up;
  int up_live;
};

static void be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* Seals one chunk: be32(len) || push(msg, ad = those 4 bytes). */
static int seal_chunk(ayil_bundle_w_t *w, const uint8_t *msg, size_t n,
                      unsigned char tag, uint8_t *out, size_t cap,
                      size_t *len) {
  if (n > AYIL_BUNDLE_ITEM_MAX || cap < 4 + n + ABYTES)
    return AYIL_ETOOBIG;
  be32(out, (uint32_t)(n + ABYTES));
  crypto_secretstream_xchacha20poly1305_push(&w->st, out + 4, NULL, msg, n, out,
                                             4, tag);
  *len = 4 + n + ABYTES;
  return 0;
}

/* What an acknowledgement signs: the domain, the recipient, the origin and
 * the seq (big-endian). */
static void ack_msg(const uint8_t recipient[AYIL_ID_BYTES],
                    const ayil_bundle_ack_t *a, uint8_t msg[16 + 32 + 32 + 8]) {
  int i;
  memcpy(msg, AYIL_BUNDLE_ACK_DOMAIN, 16);
  memcpy(msg + 16, recipient, AYIL_ID_BYTES);
  memcpy(msg + 48, a->origin, AYIL_ID_BYTES);
  for (i = 0; i < 8; i++)
    msg[80 + i] = (uint8_t)(a->seq >> (56 - 8 * i));
}

void ayil_bundle_ack_sign(const uint8_t sk[AYIL_SK_BYTES],
                          const uint8_t recipient[AYIL_ID_BYTES],
                          ayil_bundle_ack_t *a) {
  uint8_t msg[88];
  ack_msg(recipient, a, msg);
  crypto_sign_detached(a->sig, NULL, msg, sizeof msg, sk);
}

int ayil_bundle_ack_verify(const uint8_t signer[AYIL_ID_BYTES],
                           const uint8_t recipient[AYIL_ID_BYTES],
                           const ayil_bundle_ack_t *a) {
  uint8_t msg[88];
  ack_msg(recipient, a, msg);
  return crypto_sign_verify_detached(a->sig, msg, sizeof msg, signer) == 0
             ? 0
             : AYIL_ESIG;
}

int ayil_bundle_w_new(ayil_bundle_w_t **out_w,
                      const uint8_t sender[AYIL_ID_BYTES],
                      const uint8_t recipient[AYIL_ID_BYTES],
                      uint64_t created_ms, const uint8_t *token, uint8_t *out,
                      size_t cap, size_t *len) {
  return ayil_bundle_w_new_acks(out_w, sender, recipient, created_ms, token,
                                NULL, 0, out, cap, len);
}

int ayil_bundle_w_new_acks(ayil_bundle_w_t **out_w,
                           const uint8_t sender[AYIL_ID_BYTES],
                           const uint8_t recipient[AYIL_ID_BYTES],
                           uint64_t created_ms, const uint8_t *token,
                           const ayil_bundle_ack_t *acks, size_t nacks,
                           uint8_t *out, size_t cap, size_t *len) {
  ayil_bundle_w_t *w;
  uint8_t key[KEYBYTES], xpk[crypto_box_PUBLICKEYBYTES];
  msgpack_sbuffer sb;
  msgpack_packer pk;
  size_t clen = 0;
  int rc;
  size_t k;
  if (nacks > AYIL_BUNDLE_ACKS_MAX ||
      cap < AYIL_BUNDLE_HEAD_BYTES + 128 + 128 * nacks)
    return AYIL_EINVAL;
  if (crypto_sign_ed25519_pk_to_curve25519(xpk, recipient) != 0)
    return AYIL_EINVAL;
  w = calloc(1, sizeof *w);
  if (w == NULL)
    return AYIL_ENOMEM;
  memcpy(out, AYIL_BUNDLE_MAGIC, 8);
  memcpy(out + 8, recipient, AYIL_ID_BYTES);
  crypto_secretstream_xchacha20poly1305_keygen(key);
  crypto_box_seal(out + 40, key, KEYBYTES, xpk);
  crypto_secretstream_xchacha20poly1305_init_push(&w->st, out + 40 + SEALED_KEY,
                                                  key);
  sodium_memzero(key, sizeof key);
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, nacks > 0 ? 5 : 4);
  msgpack_pack_uint32(&pk, nacks > 0 ? 2 : 1);
  msgpack_pack_bin(&pk, AYIL_ID_BYTES);
  msgpack_pack_bin_body(&pk, sender, AYIL_ID_BYTES);
  msgpack_pack_uint64(&pk, created_ms);
  if (token != NULL) {
    msgpack_pack_bin(&pk, 16);
    msgpack_pack_bin_body(&pk, token, 16);
  } else {
    msgpack_pack_nil(&pk);
  }
  if (nacks > 0) {
    msgpack_pack_array(&pk, (uint32_t)nacks);
    for (k = 0; k < nacks; k++) {
      msgpack_pack_array(&pk, 3);
      msgpack_pack_bin(&pk, AYIL_ID_BYTES);
      msgpack_pack_bin_body(&pk, acks[k].origin, AYIL_ID_BYTES);
      msgpack_pack_uint64(&pk, acks[k].seq);
      msgpack_pack_bin(&pk, 64);
      msgpack_pack_bin_body(&pk, acks[k].sig, 64);
    }
  }
  rc = seal_chunk(w, (const uint8_t *)sb.data, sb.size, 0,
                  out + AYIL_BUNDLE_HEAD_BYTES, cap - AYIL_BUNDLE_HEAD_BYTES,
                  &clen);
  sodium_memzero(sb.data, sb.size);
  msgpack_sbuffer_destroy(&sb);
  if (rc != 0) {
    ayil_bundle_w_free(w);
    return rc;
  }
  *len = AYIL_BUNDLE_HEAD_BYTES + clen;
  *out_w = w;
  return 0;
}

static void pack_opt(msgpack_packer *pk, const uint8_t *p, size_t n) {
  if (p == NULL) {
    msgpack_pack_nil(pk);
  } else {
    msgpack_pack_bin(pk, n);
    msgpack_pack_bin_body(pk, p, n);
  }
}

int ayil_bundle_w_item(ayil_bundle_w_t *w, const ayil_bundle_item_t *item,
                       uint8_t **out, size_t *len) {
  msgpack_sbuffer sb;
  msgpack_packer pk;
  uint8_t *buf;
  int rc;
  if (item->entry == NULL || item->entry_len > AYIL_ENTRY_MAX ||
      item->body_len > AYIL_BODY_MAX || item->proof_len > AYIL_ENTRY_MAX)
    return AYIL_ETOOBIG;
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, 3);
  pack_opt(&pk, item->entry, item->entry_len);
  pack_opt(&pk, item->body, item->body_len);
  pack_opt(&pk, item->proof, item->proof_len);
  buf = malloc(sb.size + 4 + ABYTES);
  if (buf == NULL) {
    msgpack_sbuffer_destroy(&sb);
    return AYIL_ENOMEM;
  }
  rc = seal_chunk(w, (const uint8_t *)sb.data, sb.size, 0, buf,
                  sb.size + 4 + ABYTES, len);
  msgpack_sbuffer_destroy(&sb);
  if (rc != 0) {
    free(buf);
    return rc;
  }
  w->count++;
  *out = buf;
  return 0;
}

int ayil_bundle_w_end(ayil_bundle_w_t *w, uint8_t *out, size_t cap,
                      size_t *len) {
  uint8_t msg[16];
  msgpack_sbuffer sb;
  msgpack_packer pk;
  int rc;
  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  msgpack_pack_array(&pk, 1);
  msgpack_pack_uint64(&pk, w->count);
  memcpy(msg, sb.data, sb.size);
  rc = seal_chunk(w, msg, sb.size,
                  crypto_secretstream_xchacha20poly1305_TAG_FINAL, out, cap,
                  len);
  msgpack_sbuffer_destroy(&sb);
  return rc;
}

void ayil_bundle_w_free(ayil_bundle_w_t *w) {
  if (w != NULL) {
    sodium_memzero(w, sizeof *w);
    free(w);
  }
}

int ayil_bundle_r_new(ayil_bundle_r_t **out, const uint8_t sk[AYIL_SK_BYTES]) {
  ayil_bundle_r_t *r = calloc(1, sizeof *r);
  if (r == NULL)
    return AYIL_ENOMEM;
  memcpy(r->sk, sk, AYIL_SK_BYTES);
  *out = r;
  return 0;
}

void ayil_bundle_r_free(ayil_bundle_r_t *r) {
  if (r == NULL)
    return;
  if (r->up_live)
    msgpack_unpacked_destroy(&r->up);
  free(r->chunk);
  if (r->plain != NULL) {
    sodium_memzero(r->plain, CHUNK_MAX);
    free(r->plain);
  }
  sodium_memzero(r, sizeof *r);
  free(r);
}

static int open_head(ayil_bundle_r_t *r) {
  uint8_t xpk[32], xsk[32], key[KEYBYTES];
  int rc = 0;
  if (memcmp(r->head, AYIL_BUNDLE_MAGIC, 8) != 0)
    return AYIL_EFORMAT;
  if (sodium_memcmp(r->head + 8, r->sk + 32, AYIL_ID_BYTES) != 0)
    return AYIL_EAUTH;
  if (crypto_sign_ed25519_pk_to_curve25519(xpk, r->sk + 32) != 0 ||
      crypto_sign_ed25519_sk_to_curve25519(xsk, r->sk) != 0)
    return AYIL_EINVAL;
  if (crypto_box_seal_open(key, r->head + 40, SEALED_KEY, xpk, xsk) != 0)
    rc = AYIL_EDECRYPT;
  else if (crypto_secretstream_xchacha20poly1305_init_pull(
               &r->st, r->head + 40 + SEALED_KEY, key) != 0)
    rc = AYIL_EDECRYPT;
  sodium_memzero(xsk, sizeof xsk);
  sodium_memzero(key, sizeof key);
  return rc;
}

static int bin_or_nil(const msgpack_object *o, const uint8_t *base,
                      size_t baselen, const uint8_t **p, size_t *n,
                      size_t max) {
  if (o->type == MSGPACK_OBJECT_NIL) {
    *p = NULL;
    *n = 0;
    return 0;
  }
  if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size > max)
    return AYIL_EFORMAT;
  *p = (const uint8_t *)o->via.bin.ptr;
  *n = o->via.bin.size;
  if (*p < base || *p + *n > base + baselen)
    return AYIL_EFORMAT;
  return 0;
}

/* Decodes one opened chunk. */
static int on_chunk(ayil_bundle_r_t *r, size_t n, unsigned char tag,
                    ayil_bundle_item_t *item, int *got) {
  const msgpack_object *f;
  size_t used = 0;
  int rc = ayil_mp_check(r->plain, n, 3, &used);
  if (rc != 0)
    return rc;
  if (used != n)
    return AYIL_ETRAILING;
  if (r->up_live)
    msgpack_unpacked_destroy(&r->up);
  msgpack_unpacked_init(&r->up);
  r->up_live = 1;
  if (msgpack_unpack_next(&r->up, (const char *)r->plain, n, NULL) !=
          MSGPACK_UNPACK_SUCCESS ||
      r->up.data.type != MSGPACK_OBJECT_ARRAY)
    return AYIL_EFORMAT;
  f = r->up.data.via.array.ptr;
  if (!r->got_meta) {
    /* Version 1: four fields; version 2 adds the acknowledgements. */
    if (f[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        !((f[0].via.u64 == 1 && r->up.data.via.array.size == 4) ||
          (f[0].via.u64 == 2 && r->up.data.via.array.size == 5)))
      return AYIL_EVERSION;
    if (f[0].via.u64 == 2) {
      const msgpack_object *acks = &f[4];
      uint32_t k;
      if (acks->type != MSGPACK_OBJECT_ARRAY || acks->via.array.size == 0 ||
          acks->via.array.size > AYIL_BUNDLE_ACKS_MAX)
        return AYIL_EFORMAT;
      for (k = 0; k < acks->via.array.size; k++) {
        const msgpack_object *a = &acks->via.array.ptr[k];
        const msgpack_object *af = a->via.array.ptr;
        if (a->type != MSGPACK_OBJECT_ARRAY || a->via.array.size != 3 ||
            af[0].type != MSGPACK_OBJECT_BIN ||
            af[0].via.bin.size != AYIL_ID_BYTES ||
            af[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
            af[2].type != MSGPACK_OBJECT_BIN || af[2].via.bin.size != 64)
          return AYIL_EFORMAT;
        memcpy(r->acks[k].origin, af[0].via.bin.ptr, AYIL_ID_BYTES);
        r->acks[k].seq = af[1].via.u64;
        memcpy(r->acks[k].sig, af[2].via.bin.ptr, 64);
      }
      r->nacks = acks->via.array.size;
    }
    if (f[1].type != MSGPACK_OBJECT_BIN || f[1].via.bin.size != AYIL_ID_BYTES ||
        f[2].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
      return AYIL_EFORMAT;
    if (f[3].type == MSGPACK_OBJECT_BIN && f[3].via.bin.size == 16) {
      memcpy(r->token, f[3].via.bin.ptr, 16);
      r->has_token = 1;
    } else if (f[3].type != MSGPACK_OBJECT_NIL) {
      return AYIL_EFORMAT;
    }
    memcpy(r->sender, f[1].via.bin.ptr, AYIL_ID_BYTES);
    r->created_ms = f[2].via.u64;
    r->got_meta = 1;
    return tag == 0 ? 0 : AYIL_EFORMAT;
  }
  if (tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL) {
    if (r->up.data.via.array.size != 1 ||
        f[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
        f[0].via.u64 != r->items)
      return AYIL_EFORMAT; /* chunks were dropped */
    r->done = 1;
    return 0;
  }
  if (tag != 0 || r->up.data.via.array.size != 3)
    return AYIL_EFORMAT;
  memset(item, 0, sizeof *item);
  rc = bin_or_nil(&f[0], r->plain, n, &item->entry, &item->entry_len,
                  AYIL_ENTRY_MAX);
  if (rc == 0)
    rc = bin_or_nil(&f[1], r->plain, n, &item->body, &item->body_len,
                    AYIL_BODY_MAX);
  if (rc == 0)
    rc = bin_or_nil(&f[2], r->plain, n, &item->proof, &item->proof_len,
                    AYIL_ENTRY_MAX);
  if (rc == 0 && item->entry == NULL)
    rc = AYIL_EFORMAT;
  if (rc == 0) {
    r->items++;
    *got = 1;
  }
  return rc;
}

static int feed(ayil_bundle_r_t *r, const uint8_t *in, size_t len, size_t *used,
                ayil_bundle_item_t *item, int *got) {
  size_t k;
  *used = 0;
  if (r->done)
    return len > 0 ? AYIL_ETRAILING : 0;
  if (!r->keyed) {
    k = AYIL_BUNDLE_HEAD_BYTES - r->head_have;
    if (k > len)
      k = len;
    memcpy(r->head + r->head_have, in, k);
    r->head_have += k;
    *used = k;
    if (r->head_have < AYIL_BUNDLE_HEAD_BYTES)
      return 0;
    r->keyed = 1;
    return open_head(r);
  }
  if (r->len_have < 4) {
    k = 4 - r->len_have;
    if (k > len)
      k = len;
    memcpy(r->lenbuf + r->len_have, in, k);
    r->len_have += k;
    *used = k;
    if (r->len_have < 4)
      return 0;
    r->chunk_len = (uint32_t)r->lenbuf[0] << 24 | (uint32_t)r->lenbuf[1] << 16 |
                   (uint32_t)r->lenbuf[2] << 8 | r->lenbuf[3];
    if (r->chunk_len < ABYTES)
      return AYIL_EFORMAT;
    if (r->chunk_len > CHUNK_MAX)
      return AYIL_ETOOBIG;
    if (r->chunk == NULL) {
      r->chunk = malloc(CHUNK_MAX);
      r->plain = malloc(CHUNK_MAX);
      if (r->chunk == NULL || r->plain == NULL)
        return AYIL_ENOMEM;
    }
    r->chunk_have = 0;
    return 0;
  }
  k = r->chunk_len - r->chunk_have;
  if (k > len)
    k = len;
  memcpy(r->chunk + r->chunk_have, in, k);
  r->chunk_have += k;
  *used = k;
  if (r->chunk_have == r->chunk_len) {
    unsigned long long plen = 0;
    unsigned char tag = 0;
    r->len_have = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&r->st, r->plain, &plen,
                                                   &tag, r->chunk, r->chunk_len,
                                                   r->lenbuf, 4) != 0)
      return AYIL_EDECRYPT;
    return on_chunk(r, (size_t)plen, tag, item, got);
  }
  return 0;
}

int ayil_bundle_r_feed(ayil_bundle_r_t *r, const uint8_t *in, size_t len,
                       size_t *used, ayil_bundle_item_t *item, int *got) {
  int rc;
  *got = 0;
  if (r->err != 0)
    return r->err;
  rc = feed(r, in, len, used, item, got);
  if (rc != 0)
    r->err = rc;
  return rc;
}

int ayil_bundle_r_done(const ayil_bundle_r_t *r) {
  return r->done;
}

int ayil_bundle_r_sender(const ayil_bundle_r_t *r, uint8_t id[AYIL_ID_BYTES],
                         uint64_t *created_ms) {
  if (!r->got_meta)
    return AYIL_ESTATE;
  memcpy(id, r->sender, AYIL_ID_BYTES);
  *created_ms = r->created_ms;
  return 0;
}

void ayil_bundle_r_acks(const ayil_bundle_r_t *r,
                        const ayil_bundle_ack_t **acks, size_t *n) {
  *acks = r->acks;
  *n = r->got_meta ? r->nacks : 0;
}

int ayil_bundle_r_token(const ayil_bundle_r_t *r, uint8_t token[16]) {
  if (!r->has_token)
    return AYIL_ENOTFOUND;
  memcpy(token, r->token, 16);
  return 0;
}

/*
 * Bundles: sync for links that never come up. The same signed entries
 * (with their sealed bodies, or the proof that a body was purged), written
 * to a file sealed to one recipient node and carried on a USB stick.
 * Importing is idempotent: entries already held are skipped, and the
 * entries' own signatures and chains decide what is accepted.
 *
 * This is the codec only, with no I/O: the writer turns items into bytes,
 * the reader turns untrusted bytes (fed in any chunks) back into items.
 * Layout: proto/PROTOCOL.md, "Bundles".
 */
#ifndef AYIL_BUNDLE_H
#define AYIL_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "ayil/entry.h"
#include "ayil/error.h"

#define AYIL_BUNDLE_MAGIC "AYILBDL1"
#define AYIL_BUNDLE_HEAD_BYTES (8 + 32 + 80 + 24)
/* Largest item: an entry, a body and a proof, with msgpack framing. */
#define AYIL_BUNDLE_ITEM_MAX (AYIL_ENTRY_MAX * 2 + AYIL_BODY_MAX + 64)

typedef struct ayil_bundle_w_s ayil_bundle_w_t;
typedef struct ayil_bundle_r_s ayil_bundle_r_t;

typedef struct {
  const uint8_t *entry;
  size_t entry_len;
  const uint8_t *body; /* NULL if none or purged */
  size_t body_len;
  const uint8_t *proof; /* the delete entry that purged the body, or NULL */
  size_t proof_len;
} ayil_bundle_item_t;

/*
 * Starts a bundle from `sender` to the node `recipient` (Ed25519 ids). The
 * stream key is random and sealed to the recipient's X25519 form.
 * out (at least AYIL_BUNDLE_HEAD_BYTES + 128) receives the head and the
 * first, encrypted chunk (sender, created_ms, and the 16-byte invite
 * token of a node that has not been admitted yet, or NULL).
 */
int ayil_bundle_w_new(ayil_bundle_w_t **w, const uint8_t sender[AYIL_ID_BYTES],
                      const uint8_t recipient[AYIL_ID_BYTES],
                      uint64_t created_ms, const uint8_t *token, uint8_t *out,
                      size_t cap, size_t *len);
/*
 * Acknowledgements a bundle carries back (PROTOCOL.md "Bundles"): "the
 * writer holds `origin` up to `seq`", signed by the writer's key for this
 * recipient alone. A hub's bundle acknowledges the recipient's own log.
 */
#define AYIL_BUNDLE_ACKS_MAX 8
#define AYIL_BUNDLE_ACK_DOMAIN "AYIL-BUNDLE-ACK1" /* 16 bytes */
typedef struct {
  uint8_t origin[AYIL_ID_BYTES];
  uint64_t seq;
  uint8_t sig[64];
} ayil_bundle_ack_t;
/* Signs a->origin, a->seq for `recipient` with `sk` into a->sig. */
void ayil_bundle_ack_sign(const uint8_t sk[AYIL_SK_BYTES],
                          const uint8_t recipient[AYIL_ID_BYTES],
                          ayil_bundle_ack_t *a);
/* 0 if `signer` signed *a for `recipient`, else AYIL_ESIG. */
int ayil_bundle_ack_verify(const uint8_t signer[AYIL_ID_BYTES],
                           const uint8_t recipient[AYIL_ID_BYTES],
                           const ayil_bundle_ack_t *a);
/* As ayil_bundle_w_new, with `nacks` (at most AYIL_BUNDLE_ACKS_MAX) signed
 * acknowledgements in the first chunk (version 2 of it; with none, the
 * first chunk is version 1, as ayil_bundle_w_new writes). out needs
 * AYIL_BUNDLE_HEAD_BYTES + 128 + 128 per acknowledgement. */
int ayil_bundle_w_new_acks(ayil_bundle_w_t **w,
                           const uint8_t sender[AYIL_ID_BYTES],
                           const uint8_t recipient[AYIL_ID_BYTES],
                           uint64_t created_ms, const uint8_t *token,
                           const ayil_bundle_ack_t *acks, size_t nacks,
                           uint8_t *out, size_t cap, size_t *len);
/* Encodes one item as a chunk into a malloc'd buffer. */
int ayil_bundle_w_item(ayil_bundle_w_t *w, const ayil_bundle_item_t *item,
                       uint8_t **out, size_t *len);
/* The final chunk (item count); out needs 64 bytes. Frees nothing. */
int ayil_bundle_w_end(ayil_bundle_w_t *w, uint8_t *out, size_t cap,
                      size_t *len);
void ayil_bundle_w_free(ayil_bundle_w_t *w);

/*
 * Starts a reader for the node whose Ed25519 secret key is `sk`. Bytes are
 * fed with ayil_bundle_r_feed; AYIL_EAUTH if the bundle is for another
 * node, AYIL_EDECRYPT for any damage, AYIL_ETOOBIG for a chunk over the
 * limit (checked before allocation), AYIL_EFORMAT otherwise. Sticky.
 */
int ayil_bundle_r_new(ayil_bundle_r_t **r, const uint8_t sk[AYIL_SK_BYTES]);
/*
 * Consumes input up to the end of at most one chunk (*used). When a chunk
 * completes with an item, *item is filled (pointers valid until the next
 * call) and *got = 1. ayil_bundle_r_done() is true after the final chunk.
 */
AYIL_WUR int ayil_bundle_r_feed(ayil_bundle_r_t *r, const uint8_t *in,
                                size_t len, size_t *used,
                                ayil_bundle_item_t *item, int *got);
int ayil_bundle_r_done(const ayil_bundle_r_t *r);
/* The sender id and creation time, once the first chunk is read. */
int ayil_bundle_r_sender(const ayil_bundle_r_t *r, uint8_t id[AYIL_ID_BYTES],
                         uint64_t *created_ms);
/* The invite token the sender presents, once the first chunk is read:
 * 0 and the 16 bytes, or AYIL_ENOTFOUND. */
int ayil_bundle_r_token(const ayil_bundle_r_t *r, uint8_t token[16]);
/* The acknowledgements of the first chunk (unverified: check each with
 * ayil_bundle_ack_verify), once it is read; *acks is valid while r is. */
void ayil_bundle_r_acks(const ayil_bundle_r_t *r,
                        const ayil_bundle_ack_t **acks, size_t *n);
void ayil_bundle_r_free(ayil_bundle_r_t *r);

#endif

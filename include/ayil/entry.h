/*
 * Log entries: the signed, hash-chained unit that ayil stores and ships.
 *
 * An entry is a canonical msgpack array (see proto/PROTOCOL.md, "Log
 * entries"). It is signed with the origin node's Ed25519 key and names the
 * BLAKE2b-256 hash of the previous entry of the same origin. It commits to
 * the hash of the sealed body, never the body, so a body can be purged and
 * the chain still verifies.
 *
 * Nothing here does I/O or allocates, except where stated.
 */
#ifndef AYIL_ENTRY_H
#define AYIL_ENTRY_H

#include <stddef.h>
#include <stdint.h>

#include "ayil/error.h"

#define AYIL_ENTRY_VERSION 1
/* A writer coarsens `ts` to a multiple of this (the UTC day). */
#define AYIL_TS_DAY_MS 86400000ull
#define AYIL_ID_BYTES 32           /* Ed25519 public key: a node id */
#define AYIL_SK_BYTES 64           /* Ed25519 secret key (libsodium form) */
#define AYIL_HASH_BYTES 32         /* BLAKE2b-256 */
#define AYIL_RECID_BYTES 16        /* random record id */
#define AYIL_SIG_BYTES 64          /* Ed25519 signature */
#define AYIL_HEADER_MAX 4096       /* bytes of the cleartext header */
#define AYIL_ENTRY_MAX 4608        /* bytes of an encoded entry, all included */
#define AYIL_BODY_MAX (256 * 1024) /* bytes of a sealed body */

/* Operations. A later version may add ops; a decoder refuses unknown ones. */
enum {
  AYIL_OP_PUT = 1,    /* create or replace a record (header + body hash) */
  AYIL_OP_DELETE = 2, /* delete a record and purge its bodies */
  AYIL_OP_NOTICE = 3, /* hub log: admin notice (admit, revoke, successor) */
};

typedef struct ayil_entry_s {
  uint8_t origin[AYIL_ID_BYTES]; /* signer and owner of this log */
  uint64_t seq;                  /* 1, 2, 3, ... per origin */
  uint8_t prev[AYIL_HASH_BYTES]; /* hash of entry seq-1; zeros for seq 1 */
  uint64_t ts_ms;                /* node clock, informational only */
  uint8_t record[AYIL_RECID_BYTES];
  uint32_t op;
  uint32_t codes_version; /* RECORDS.md code-list version */
  const uint8_t *header;  /* canonical msgpack map; borrowed, may be NULL */
  size_t header_len;
  int has_body;
  uint8_t body_hash[AYIL_HASH_BYTES];
  uint8_t sig[AYIL_SIG_BYTES];
} ayil_entry_t;

/*
 * Signs `e` with `sk` (which must belong to e->origin), writes the signature
 * into e->sig and the encoded entry into out[0..*outlen). Returns
 * AYIL_ETOOBIG if it does not fit in `cap` or exceeds the limits.
 */
int ayil_entry_sign(ayil_entry_t *e, const uint8_t sk[AYIL_SK_BYTES],
                    uint8_t *out, size_t cap, size_t *outlen);

/*
 * Encodes an entry whose signature is already in e->sig (for example one
 * rebuilt from a sync message) in the one canonical form. The result
 * verifies only if the signature does. AYIL_ETOOBIG if it does not fit.
 */
int ayil_entry_encode(const ayil_entry_t *e, uint8_t *out, size_t cap,
                      size_t *outlen);

/*
 * Strictly decodes untrusted bytes. On success `e` borrows e->header from
 * `buf`. Refuses anything but the one canonical encoding. Does not check the
 * signature: call ayil_entry_verify.
 */
int ayil_entry_decode(ayil_entry_t *e, const uint8_t *buf, size_t len);

/* Checks e->sig against e->origin. Returns 0 or AYIL_ESIG. */
AYIL_WUR int ayil_entry_verify(const ayil_entry_t *e);

/* The entry hash: BLAKE2b-256 over the whole encoding, signature included. */
void ayil_entry_hash(const uint8_t *buf, size_t len,
                     uint8_t out[AYIL_HASH_BYTES]);

/*
 * Entries at rest (PROTOCOL.md, "Entries at rest"): a store keeps an entry
 * packed, without what its place in the log gives (version, origin, seq,
 * prev) and with its header compact, and rebuilds the canonical bytes on
 * read. Both are proto/entry_pack.c.
 *
 * ayil_entry_pack: the packed form of `e` (signed: e->sig is kept), into
 * out (cap bytes; AYIL_ENTRY_MAX always suffices). AYIL_ETOOBIG if not.
 *
 * ayil_entry_unpack: the canonical encoding of the stored entry at (origin,
 * seq) whose predecessor has hash `prev` (zeros for seq 1), into out (cap
 * bytes). Stored bytes that are a canonical entry (first byte 0x9b, kept
 * as they were) are copied unchanged. The result is not verified: decode
 * and verify it, as any entry. AYIL_EFORMAT and the reader's errors for
 * stored bytes that are not a packed entry.
 *
 * ayil_entry_is_packed: 1 if stored bytes are in the packed form.
 *
 * ayil_entry_stored_header: the header of a stored entry (either form),
 * without rebuilding the rest: *header points into `stored` (a raw or
 * canonical header) or into hbuf (AYIL_HEADER_MAX bytes: a compact one,
 * rebuilt); NULL for an entry without one. Not verified.
 */
int ayil_entry_pack(const ayil_entry_t *e, uint8_t *out, size_t cap,
                    size_t *len);
int ayil_entry_unpack(const uint8_t *stored, size_t len,
                      const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                      const uint8_t prev[AYIL_HASH_BYTES], uint8_t *out,
                      size_t cap, size_t *olen);
int ayil_entry_is_packed(const uint8_t *stored, size_t len);
int ayil_entry_stored_header(const uint8_t *stored, size_t len, uint8_t *hbuf,
                             const uint8_t **header, size_t *header_len);

/*
 * Checks that `e` follows an entry at (prev_seq, prev_hash) of its origin:
 * seq is prev_seq+1 and e->prev equals prev_hash (zeros when prev_seq is 0).
 * Returns 0, AYIL_ESEQ or AYIL_ECHAIN.
 */
int ayil_entry_follows(const ayil_entry_t *e, uint64_t prev_seq,
                       const uint8_t prev_hash[AYIL_HASH_BYTES]);

/*
 * Sealed bodies. A body (a canonical msgpack map) is packed -- compressed
 * with zstd and the dictionary of its code-list version when that is
 * shorter, PROTOCOL.md "Body packing" -- then padded to a size bucket and
 * sealed (crypto_box_seal) to the committee's reader public key; its hash is
 * BLAKE2b-256 of the sealed bytes. The buckets are the powers of two from
 * AYIL_BODY_BUCKET_MIN, the last one AYIL_BODY_MAX - crypto_box_SEALBYTES;
 * the padding is ISO/IEC 7816-4 (sodium_pad: 0x80 then zeros), at least one
 * byte. So the hub and the link learn a body's size only to a power of two.
 * ayil_body_seal allocates *out (free with free()); AYIL_ETOOBIG past the
 * last bucket, AYIL_EINVAL for an empty body or one that is not a msgpack
 * map (its first byte).
 */
#define AYIL_BODY_BUCKET_MIN 64
/* The bucket a plaintext of len bytes is padded to (> len), or 0 if none. */
size_t ayil_body_bucket(size_t len);
int ayil_body_seal(const uint8_t *plain, size_t len,
                   const uint8_t reader_pk[32], uint8_t **out, size_t *outlen);
/* Opens a sealed body into a malloc'd buffer and strips its padding
 * and unpacks it (*outlen is the map's length). AYIL_EDECRYPT if it does not
 * open, AYIL_EFORMAT if its length is not a bucket, its padding is malformed
 * or its packing is (a bad frame, a size it does not keep), AYIL_EVERSION
 * for a compression method or dictionary id this version does not know,
 * AYIL_ETOOBIG for a frame that declares more than AYIL_BODY_MAX bytes
 * (refused before anything is allocated). */
AYIL_WUR int ayil_body_open(const uint8_t *sealed, size_t len,
                            const uint8_t reader_pk[32],
                            const uint8_t reader_sk[32], uint8_t **out,
                            size_t *outlen);
void ayil_body_hash(const uint8_t *sealed, size_t len,
                    uint8_t out[AYIL_HASH_BYTES]);

/* Node ids as text: standard base64 of the 32 bytes, 44 chars, as WireGuard. */
#define AYIL_ID_TEXT 45
void ayil_id_to_text(const uint8_t id[AYIL_ID_BYTES], char out[AYIL_ID_TEXT]);
int ayil_id_from_text(const char *text, uint8_t id[AYIL_ID_BYTES]);

/* Record ids as text: 32 lowercase hex chars. */
#define AYIL_RECID_TEXT 33
void ayil_recid_to_text(const uint8_t id[AYIL_RECID_BYTES],
                        char out[AYIL_RECID_TEXT]);
int ayil_recid_from_text(const char *text, uint8_t id[AYIL_RECID_BYTES]);

#endif

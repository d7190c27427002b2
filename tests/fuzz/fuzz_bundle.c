/* Fuzz target: the bundle reader (proto/bundle.c, what `ayil bundle
 * import` runs on a file from a USB stick), fed in random splits. Byte 0
 * picks the mode, bytes 1..2 seed the splits.
 *   even  the rest is a bundle file for the fixed recipient (the seeds are
 *         genuine bundles, with acknowledgements, bodies and proofs).
 *         Nothing may crash; an item's parts are within the limits; every
 *         acknowledgement is verified; an error is a documented one and
 *         sticks; nothing is taken after the final chunk.
 *   odd   the rest is cut into items (entry, body, proof: a length byte
 *         each), written for the recipient and read back in random splits:
 *         every item comes out once, in order, and the bundle is done.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ayil/bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const uint8_t *fuzz_seed(size_t i, size_t *len);

static uint8_t spk[32], ssk[64], rpk[32], rsk[64];
static int ready;

static void setup(void) {
  uint8_t seed[32];
  if (ready)
    return;
  if (sodium_init() < 0)
    abort();
  memset(seed, 0x51, sizeof seed);
  crypto_sign_seed_keypair(spk, ssk, seed);
  memset(seed, 0x52, sizeof seed);
  crypto_sign_seed_keypair(rpk, rsk, seed);
  ready = 1;
}

static uint32_t split_rng;
static size_t split(size_t left) {
  size_t k;
  split_rng = split_rng * 1103515245u + 12345u;
  k = (split_rng >> 16) % 4 == 0 ? 1 + (split_rng >> 8) % 3
                                 : (split_rng >> 10) % 2048;
  k = k == 0 ? 1 : k;
  return k < left ? k : left;
}

static int known_err(int rc) {
  return rc == AYIL_EAUTH || rc == AYIL_EDECRYPT || rc == AYIL_ETOOBIG ||
         rc == AYIL_EFORMAT || rc == AYIL_ENOMEM || rc == AYIL_EVERSION ||
         rc == AYIL_ETRAILING;
}

static void hostile(const uint8_t *d, size_t n) {
  ayil_bundle_r_t *r = NULL;
  size_t off = 0;
  int rc = 0, i, headed = 0;
  if (ayil_bundle_r_new(&r, rsk) != 0)
    abort();
  for (i = 0; off < n && i < 100000; i++) {
    size_t k = split(n - off), used = 0;
    ayil_bundle_item_t it;
    int got = 0;
    memset(&it, 0, sizeof it);
    rc = ayil_bundle_r_feed(r, d + off, k, &used, &it, &got);
    if (rc != 0)
      break;
    if (used > k)
      abort();
    if (got && (it.entry == NULL || it.entry_len > AYIL_ENTRY_MAX ||
                it.body_len > AYIL_BODY_MAX || it.proof_len > AYIL_ENTRY_MAX ||
                (it.body == NULL && it.body_len > 0) ||
                (it.proof == NULL && it.proof_len > 0)))
      abort();
    if (got && it.entry_len > 0)
      (void)((volatile const uint8_t *)it.entry)[it.entry_len - 1];
    if (!headed) {
      uint8_t id[32];
      uint64_t created = 0;
      if (ayil_bundle_r_sender(r, id, &created) == 0) {
        const ayil_bundle_ack_t *acks = NULL;
        size_t na = 0, a;
        uint8_t tok[16];
        headed = 1;
        ayil_bundle_r_acks(r, &acks, &na);
        if (na > AYIL_BUNDLE_ACKS_MAX)
          abort();
        for (a = 0; a < na; a++)
          (void)ayil_bundle_ack_verify(id, rpk, &acks[a]);
        (void)ayil_bundle_r_token(r, tok);
      }
    }
    off += used;
    if (used == 0 && !got)
      break;
  }
  if (rc != 0) {
    size_t used = 0;
    ayil_bundle_item_t it;
    int got = 0;
    if (!known_err(rc) || ayil_bundle_r_feed(r, d, n, &used, &it, &got) != rc ||
        got)
      abort(); /* an undocumented or a non-sticky error */
  } else if (ayil_bundle_r_done(r) && off < n) {
    abort(); /* bytes after the final chunk taken silently */
  }
  ayil_bundle_r_free(r);
}

typedef struct {
  const uint8_t *p[3];
  size_t l[3];
} titem_t;

static uint8_t *append(uint8_t *buf, size_t *len, size_t *cap, const uint8_t *p,
                       size_t n) {
  if (*len + n > *cap) {
    size_t nc = (*len + n) * 2;
    uint8_t *nb = realloc(buf, nc);
    if (nb == NULL)
      abort();
    buf = nb;
    *cap = nc;
  }
  memcpy(buf + *len, p, n);
  *len += n;
  return buf;
}

static void round_trip(const uint8_t *d, size_t n) {
  titem_t items[8];
  size_t ni = 0, i = 0, len = 0, cap = 0, off = 0, got_n = 0, hl = 0;
  uint8_t head[AYIL_BUNDLE_HEAD_BYTES + 128], end[64];
  uint8_t *file = NULL;
  ayil_bundle_w_t *w = NULL;
  ayil_bundle_r_t *r = NULL;
  int guard;
  while (i < n && ni < 8) {
    int k;
    for (k = 0; k < 3; k++) {
      size_t l = i < n ? d[i++] : 0;
      if (l > n - i)
        l = n - i;
      items[ni].p[k] = l > 0 || k == 0 ? d + i : NULL;
      items[ni].l[k] = l;
      i += l;
    }
    ni++;
  }
  if (ayil_bundle_w_new(&w, spk, rpk, 1764758400000ULL, NULL, head, sizeof head,
                        &hl) != 0)
    abort();
  file = append(file, &len, &cap, head, hl);
  for (i = 0; i < ni; i++) {
    ayil_bundle_item_t it = {items[i].p[0], items[i].l[0], items[i].p[1],
                             items[i].l[1], items[i].p[2], items[i].l[2]};
    uint8_t *chunk = NULL;
    size_t cl = 0;
    if (ayil_bundle_w_item(w, &it, &chunk, &cl) != 0)
      abort();
    file = append(file, &len, &cap, chunk, cl);
    free(chunk);
  }
  if (ayil_bundle_w_end(w, end, sizeof end, &hl) != 0)
    abort();
  file = append(file, &len, &cap, end, hl);
  ayil_bundle_w_free(w);
  if (ayil_bundle_r_new(&r, rsk) != 0)
    abort();
  for (guard = 0; off < len && guard < 100000; guard++) {
    size_t k = split(len - off), used = 0, j;
    ayil_bundle_item_t it;
    int got = 0;
    if (ayil_bundle_r_feed(r, file + off, k, &used, &it, &got) != 0)
      abort(); /* a genuine bundle refused */
    if (got) {
      const uint8_t *gp[3] = {it.entry, it.body, it.proof};
      size_t gl[3] = {it.entry_len, it.body_len, it.proof_len};
      if (got_n >= ni)
        abort();
      for (j = 0; j < 3; j++)
        if (gl[j] != items[got_n].l[j] ||
            (gl[j] > 0 && memcmp(gp[j], items[got_n].p[j], gl[j]) != 0))
          abort(); /* not the item written */
      got_n++;
    }
    off += used;
  }
  if (got_n != ni || !ayil_bundle_r_done(r))
    abort();
  ayil_bundle_r_free(r);
  free(file);
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

/* Seeds: a bundle with two acknowledgements, a token and three items (a
 * body, a proof, neither); one with no acknowledgements; a round-trip
 * input. */
const uint8_t *fuzz_seed(size_t i, size_t *len) {
  static uint8_t s[3][2048];
  static size_t sl[3];
  size_t k;
  if (sl[0] == 0) {
    static const uint8_t entry[40] = {0x94, 1, 2, 3}, body[64] = {9, 9},
                         proof[20] = {0x92, 7};
    const uint8_t token[16] = {0x5a};
    ayil_bundle_ack_t acks[2];
    setup();
    for (k = 0; k < 2; k++) {
      size_t n = 3, hl = 0, j;
      ayil_bundle_w_t *w = NULL;
      uint8_t end[64];
      memset(acks, 0, sizeof acks);
      for (j = 0; j < 2; j++) {
        memcpy(acks[j].origin, rpk, 32);
        acks[j].seq = 3 + j;
        ayil_bundle_ack_sign(ssk, rpk, &acks[j]);
      }
      s[k][0] = 0;
      s[k][1] = 0x21;
      s[k][2] = (uint8_t)(0x43 + k);
      if (ayil_bundle_w_new_acks(&w, spk, rpk, 1764758400000ULL,
                                 k == 0 ? token : NULL, acks, k == 0 ? 2 : 0,
                                 s[k] + n, sizeof s[k] - n, &hl) != 0)
        abort();
      n += hl;
      for (j = 0; j < 3; j++) {
        ayil_bundle_item_t it = {entry,
                                 sizeof entry,
                                 j == 0 ? body : NULL,
                                 j == 0 ? sizeof body : 0,
                                 j == 1 ? proof : NULL,
                                 j == 1 ? sizeof proof : 0};
        uint8_t *chunk = NULL;
        size_t cl = 0;
        if (ayil_bundle_w_item(w, &it, &chunk, &cl) != 0 ||
            n + cl > sizeof s[k])
          abort();
        memcpy(s[k] + n, chunk, cl);
        n += cl;
        free(chunk);
      }
      if (ayil_bundle_w_end(w, end, sizeof end, &hl) != 0)
        abort();
      memcpy(s[k] + n, end, hl);
      n += hl;
      ayil_bundle_w_free(w);
      sl[k] = n;
    }
    {
      static const uint8_t rt[] = {1,   0x33, 0x44, 4,   'a', 'b', 'c',
                                   'd', 2,    'x',  'y', 0,   3,   'e',
                                   'f', 'g',  0,    1,   'z'};
      memcpy(s[2], rt, sizeof rt);
      sl[2] = sizeof rt;
    }
  }
  if (i >= 3)
    return NULL;
  *len = sl[i];
  return s[i];
}

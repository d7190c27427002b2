/*
 * The one msgpack reader and writer of ayil (proto/PROTOCOL.md: one
 * canonical form; integers and lengths in their shortest encoding).
 *
 * - ayil_mp_check(): an allocation-free structural pre-scan of untrusted
 *   bytes for the decoders that still hand them to msgpack-c: every claimed
 *   length must fit in the bytes left, nesting is bounded.
 * - ayil_mp_t: a strict reader over untrusted bytes. It never allocates:
 *   every length is checked against the bytes left before it is believed,
 *   and every value must use its shortest encoding (AYIL_ENOTCANON
 *   otherwise), so that a value has exactly one valid encoding. Map key
 *   order is the caller's to check (ayil_mp_key_after()).
 * - ayil_mp_wbuf_t: a msgpack-c packer over a fixed buffer (msgpack-c
 *   writes integers and lengths in their shortest form); nothing is
 *   allocated, and overflow is sticky.
 */
#ifndef AYIL_MP_H
#define AYIL_MP_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "ayil/error.h"

/*
 * Checks that buf[0..len) starts with one well-formed msgpack value nested
 * at most `max_depth` deep. Ext types and the never-used byte 0xc1 are
 * refused. On success *used is the value's length (the caller decides
 * whether trailing bytes are allowed). Returns 0, AYIL_ETRUNC, AYIL_EDEPTH
 * or AYIL_EFORMAT.
 */
int ayil_mp_check(const uint8_t *buf, size_t len, int max_depth, size_t *used);

/* ---- strict reader ---- */

typedef struct {
  const uint8_t *p;
  const uint8_t *end;
} ayil_mp_t;

enum {
  AYIL_MP_END = 0,
  AYIL_MP_NIL,
  AYIL_MP_UINT,
  AYIL_MP_BIN,
  AYIL_MP_ARRAY,
  AYIL_MP_INT, /* a negative integer */
  AYIL_MP_BOOL,
  AYIL_MP_STR,
  AYIL_MP_MAP,
  AYIL_MP_OTHER,
};

/* The kind of the next value, without consuming it. */
int ayil_mp_peek(const ayil_mp_t *r);
/* An array header; *n is at most the bytes left (each element takes one). */
int ayil_mp_array(ayil_mp_t *r, size_t *n);
/* An array header with exactly `n` elements. */
int ayil_mp_array_n(ayil_mp_t *r, size_t n);
int ayil_mp_uint(ayil_mp_t *r, uint64_t max, uint64_t *v);
/* A bin of at most `max` bytes; *p points into the input. */
int ayil_mp_bin(ayil_mp_t *r, size_t max, const uint8_t **p, size_t *n);
/* A bin of exactly `n` bytes. */
int ayil_mp_bin_n(ayil_mp_t *r, size_t n, const uint8_t **p);
/* A signed integer: a value >= 0 in its uint form, a negative one in the
 * shortest int form. */
int ayil_mp_int(ayil_mp_t *r, int64_t *v);
int ayil_mp_bool(ayil_mp_t *r, int *v);
/* A str of at most `max` bytes; *p points into the input. */
int ayil_mp_str(ayil_mp_t *r, size_t max, const uint8_t **p, size_t *n);
/* A map header; *n is at most half the bytes left. */
int ayil_mp_map(ayil_mp_t *r, size_t *n);
/* Consumes a nil if one is next: returns 1, else 0. */
int ayil_mp_nil(ayil_mp_t *r);
/* AYIL_ETRAILING unless every byte was consumed. */
int ayil_mp_done(const ayil_mp_t *r);
/* 1 if key k (kn bytes) sorts bytewise strictly after prev (pn bytes; prev
 * NULL: the first key), as a canonical map's next key must. */
int ayil_mp_key_after(const uint8_t *prev, size_t pn, const uint8_t *k,
                      size_t kn);

/*
 * A flat canonical map, as records' headers and bodies are: string keys
 * (1..key_max bytes) sorted bytewise and unique, at most max_keys of them.
 * ayil_mp_map_begin() reads the map header; each ayil_mp_map_next() then
 * returns 1 with the next key, and the caller reads its value from it->r
 * (or skips it with ayil_mp_skip_flat()); after the last key it returns
 * 0 if every byte was read. Errors are the (negative) AYIL_E* codes.
 */
typedef struct {
  ayil_mp_t r;
  size_t left, key_max;
  const uint8_t *pk; /* the previous key, NULL before the first */
  size_t pn;
} ayil_mp_map_it_t;

int ayil_mp_map_begin(ayil_mp_map_it_t *it, const uint8_t *buf, size_t len,
                      size_t max_keys, size_t key_max);
int ayil_mp_map_next(ayil_mp_map_it_t *it, const uint8_t **k, size_t *kn);
/* Skips one flat value: a str, a uint, a bool or an array of strs. */
int ayil_mp_skip_flat(ayil_mp_t *r);

/* ---- writer ---- */

typedef struct {
  uint8_t *buf;
  size_t cap;
  size_t len;
  int overflow;
  msgpack_packer pk;
} ayil_mp_wbuf_t;

void ayil_mp_wbuf_init(ayil_mp_wbuf_t *w, uint8_t *buf, size_t cap);
void ayil_mp_pack_bin(msgpack_packer *pk, const uint8_t *p, size_t n);
void ayil_mp_pack_str(msgpack_packer *pk, const char *p, size_t n);

#endif

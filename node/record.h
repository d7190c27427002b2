/*
 * Records: turning a user's JSON into a record's header and body, and the
 * canonical msgpack encoding of both.
 *
 * A record is split by the dictionary of include/ayil/schema.h:
 *  - the header, a JSON object {"kind": K, "month": "YYYY-MM", ...} holding
 *    only class-A fields (under their header keys) and the derived months;
 *    it travels in cleartext and the hub counts it;
 *  - the body, a JSON object of the class-I fields (dates included), which
 *    the caller seals to the reader key.
 *
 * Error text. Functions that take `err` write one line there (always
 * NUL-terminated when errlen > 0) naming the field and what was wrong. The
 * line never contains the value of a class-I field or any free text; a code
 * typed for a class-A field, or an unknown key or kind, is shown only when
 * it is [a-z0-9_+-] (cut to 32 chars), so it cannot carry a name.
 */
#ifndef AYIL_RECORD_H
#define AYIL_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "ayil/entry.h"
#include "ayil/error.h"
#include "ayil/schema.h"

/*
 * Validates `input` for a record of kind `kind` and builds its header and
 * body. Neither `input` nor the old objects are modified or stolen.
 *
 * Add: old_header == NULL (old_body is ignored). Every key of `input` must
 * be a field of the kind; `month`, `removed_month` and (except for aid's
 * own field) `kind` are derived and refused. A JSON null counts as absent.
 * *header_out and *body_out are new references.
 *
 * Update: old_header is the record's current header; old_body its opened
 * body, or NULL when the caller could not open it. Input fields replace
 * old ones; a JSON null removes an optional field. If the input touches no
 * class-I field, *body_out is set to NULL, meaning "body unchanged". If it
 * touches one and old_body is NULL, returns AYIL_ESTATE (the passphrase is
 * needed). The merged record is validated as a whole.
 *
 * Returns 0, AYIL_EINVAL (bad input; err says why), AYIL_ESTATE or
 * AYIL_ENOMEM. On failure *header_out and *body_out are set to NULL.
 */
int ayil_record_build(const char *kind, const json_t *input,
                      const json_t *old_header, const json_t *old_body,
                      json_t **header_out, json_t **body_out, char *err,
                      size_t errlen);

/*
 * Every problem of `input` at once, for a form that shows each next to its
 * field (ayil_record_build stops at the first). What is wrong with a field:
 */
typedef enum {
  AYIL_PROB_UNKNOWN = 1, /* not a field of the kind (or derived) */
  AYIL_PROB_REQUIRED,    /* required and missing (or removed) */
  AYIL_PROB_FORMAT,      /* not a value of the field's type */
  AYIL_PROB_CODE,        /* not one of the field's codes */
  AYIL_PROB_TOO_LONG,    /* text over AYIL_TEXT_MAX bytes */
  AYIL_PROB_FUTURE,      /* a date after today (node: input only) */
  AYIL_PROB_CASE         /* no appeal or family of this committee (node) */
} ayil_prob_t;
/* Called once per problem with the field's RECORDS.md name (the key as
 * given for an unknown one; the caller must not show it, it may be typed
 * text). */
typedef void (*ayil_record_prob_cb)(void *ctx, const char *field,
                                    ayil_prob_t what);
/* Walks input (add: old_header NULL; update: the fields merged over
 * old_header, with the body's required fields assumed present unless
 * given as null); returns the number of problems. */
size_t ayil_record_problems(const char *kind, const json_t *input,
                            const json_t *old_header, ayil_record_prob_cb cb,
                            void *ctx);

/*
 * 1 if `input` (an object) has a key naming a class-I field of `kind`
 * (a JSON null for one counts: removing it changes the body), else 0.
 * Tells the caller whether an update needs the passphrase.
 */
int ayil_record_touches_body(const char *kind, const json_t *input);

/*
 * The encoder's guard: checks a whole header. It must be an object with
 * "kind" (a known record kind) and "month" (YYYY-MM); every other key must
 * be the header key of a class-A field of that kind, or a derived month
 * (removed_month for family), with a value of the field's type and codes;
 * required class-A fields present; aid of kind money has amount_som.
 * Any identifying field is refused. Returns 0 or AYIL_EINVAL.
 */
int ayil_record_check_header(const json_t *header, char *err, size_t errlen);

/*
 * Canonical msgpack of a header or body object: a map with keys sorted
 * bytewise (shorter first on a common prefix), values str, uint (smallest
 * encoding), bool or array of str. At most 64 keys of at most 64 bytes,
 * arrays of at most 32 strings, no NUL in strings.
 * *out is malloc'd (free with free()). Returns 0, AYIL_EINVAL for an object
 * outside that shape, AYIL_ETOOBIG beyond AYIL_BODY_MAX bytes, AYIL_ENOMEM.
 */
int ayil_record_pack(const json_t *obj, uint8_t **out, size_t *len);

/*
 * The strict inverse, for untrusted bytes. *out is a new JSON object.
 * Refuses with:
 *   AYIL_ETOOBIG   len > AYIL_BODY_MAX, > 64 keys, key > 64 bytes,
 *                  array > 32 items, or a length prefix that cannot fit in
 *                  AYIL_BODY_MAX;
 *   AYIL_ETRUNC    input ends inside a value (or a length prefix points past
 *                  the end);
 *   AYIL_EFORMAT   top level not a map, a type other than those above (nil,
 *                  negative or signed int, float, bin, ext), non-string key
 *                  or array item, a string with NUL or invalid UTF-8, an
 *                  integer above INT64_MAX;
 *   AYIL_EDEPTH    a map or array inside an array or a map value that is a
 *                  map;
 *   AYIL_ENOTCANON keys not sorted or not unique, non-minimal integer or
 *                  length encoding;
 *   AYIL_ETRAILING bytes after the map.
 */
int ayil_record_unpack(const uint8_t *buf, size_t len, json_t **out);

/*
 * The dictionary for `ayil schema [KIND] [--json]`. For NULL, every kind;
 * otherwise that kind only (NULL if unknown). Shape:
 *   {"codes_version": 1,
 *    "kinds": [{"name", "description", "fields": [{"name", "class"
 *              ("aggregatable"/"identifying"), "required", "type",
 *              "codes" (CODE/CODES only), "header_key" (class A),
 *              "month_key" (dates), "note" (when a rule applies)}]}],
 *    "oblasts": [{"name", "region"}]}
 * Returns a new reference, or NULL.
 */
json_t *ayil_schema_to_json(const char *kind_or_null);

/*
 * Prints the same as text for a terminal. Returns 0, or AYIL_EINVAL for an
 * unknown kind (nothing printed).
 */
int ayil_schema_print(FILE *f, const char *kind_or_null);

/* Strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF): 1
 * when the n bytes at p are. */
int ayil_utf8_ok(const uint8_t *p, size_t n);

#endif

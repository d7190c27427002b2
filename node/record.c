/*
 * Records: validation of user input against the dictionary, the split into
 * header (class A) and body (class I), and the canonical msgpack encoding.
 *
 * The one rule this file exists for: nothing identifying reaches a header or
 * an error message. Values are only ever echoed for class-A code fields, and
 * only when they look like a code (see show_token).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "ayil/header.h"

#include "record.h"

#define MAP_MAX_KEYS 64
#define KEY_MAX 64
#define ARRAY_MAX 32
#define SHOW_MAX 32

#if defined(__GNUC__)
#define PRINTF_LIKE(a, b) __attribute__((format(printf, a, b)))
#else
#define PRINTF_LIKE(a, b)
#endif

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    PRINTF_LIKE(3, 4);

static void seterr(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;

  if (err == NULL || errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/*
 * Copies `s` into out (as a quoted token) if every byte is [a-z0-9_+-], cut
 * to SHOW_MAX chars. Anything else might be a name, so it is never shown.
 * Returns 1 if `s` may be shown.
 */
static int show_token(const char *s, char out[SHOW_MAX + 8]) {
  size_t i, n = strlen(s);

  if (n == 0)
    return 0;
  for (i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-' || c == '+'))
      return 0;
  }
  if (n > SHOW_MAX)
    snprintf(out, SHOW_MAX + 8, "\"%.*s...\"", SHOW_MAX, s);
  else
    snprintf(out, SHOW_MAX + 8, "\"%s\"", s);
  return 1;
}

/* Joins a list of names with ", " into out (cut if it does not fit). */
static void join_names(const char *const *names, size_t n, char *out,
                       size_t cap) {
  size_t i, used = 0;

  out[0] = '\0';
  for (i = 0; i < n && used < cap; i++) {
    int w = snprintf(out + used, cap - used, "%s%s", i ? ", " : "", names[i]);
    if (w < 0)
      break;
    used += (size_t)w;
  }
}

static void join_fields(const ayil_kind_t *k, char *out, size_t cap) {
  const char *names[64];
  size_t i, n = k->nfields < 64 ? k->nfields : 64;

  for (i = 0; i < n; i++)
    names[i] = k->fields[i].name;
  join_names(names, n, out, cap);
}

static void join_kinds(char *out, size_t cap) {
  const char *names[64];
  size_t i, n = ayil_schema_nkinds();

  if (n > 64)
    n = 64;
  for (i = 0; i < n; i++)
    names[i] = ayil_schema_kind_at(i)->name;
  join_names(names, n, out, cap);
}

static int unknown_kind(const char *kind, char *err, size_t errlen) {
  char kinds[512], tok[SHOW_MAX + 8];

  join_kinds(kinds, sizeof(kinds));
  if (kind != NULL && show_token(kind, tok))
    seterr(err, errlen, "unknown record kind %s; kinds: %s", tok, kinds);
  else
    seterr(err, errlen, "unknown record kind; kinds: %s", kinds);
  return AYIL_EINVAL;
}

/* ---- dates ---- */

static int digits(const char *s, size_t n) {
  size_t i;

  for (i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9')
      return 0;
  return 1;
}

static int num(const char *s, size_t n) {
  int v = 0;
  size_t i;

  for (i = 0; i < n; i++)
    v = v * 10 + (s[i] - '0');
  return v;
}

/* "YYYY-MM" with a year in range and a month 1..12. */
static int month_ok(const char *s, size_t len) {
  return ayil_month_parse(s, len) >= 0;
}

/* "YYYY-MM-DD", a real calendar date. */
static int date_ok(const char *s, size_t len) {
  static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int y, m, d, max;

  if (len != 10 || !month_ok(s, 7) || s[7] != '-' || !digits(s + 8, 2))
    return 0;
  y = num(s, 4);
  m = num(s + 5, 2);
  d = num(s + 8, 2);
  max = mdays[m - 1];
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
    max = 29;
  return d >= 1 && d <= max;
}

/* ---- field values ---- */

static int is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
         (c >= 'A' && c <= 'F');
}

static int field_err(const ayil_kind_t *k, const ayil_field_t *f, char *err,
                     size_t errlen, const char *what) {
  seterr(err, errlen, "%s: field \"%s\": %s", k->name, f->name, what);
  return AYIL_EINVAL;
}

static int code_err(const ayil_kind_t *k, const ayil_field_t *f,
                    const char *code, char *err, size_t errlen) {
  char allowed[512], tok[SHOW_MAX + 8];

  join_names(f->codes, f->ncodes, allowed, sizeof(allowed));
  if (code != NULL && f->cls == AYIL_CLASS_A && show_token(code, tok))
    seterr(err, errlen, "%s: field \"%s\": code %s is not allowed; allowed: %s",
           k->name, f->name, tok, allowed);
  else if (code != NULL)
    seterr(err, errlen,
           "%s: field \"%s\": code (not shown) is not allowed; allowed: %s",
           k->name, f->name, allowed);
  else
    seterr(err, errlen, "%s: field \"%s\": must be %s; allowed: %s", k->name,
           f->name,
           f->type == AYIL_FT_CODES ? "a non-empty list of codes"
                                    : "a code (a string)",
           allowed);
  return AYIL_EINVAL;
}

/*
 * Checks value `v` of field `f`. If `norm` is not NULL it receives the
 * normalised value (codes in list order, case id in lowercase). If `strict`,
 * the value must already be normalised (used for stored headers and bodies).
 */
static int check_value(const ayil_kind_t *k, const ayil_field_t *f,
                       const json_t *v, int strict, json_t **norm, char *err,
                       size_t errlen) {
  json_t *n = NULL;
  const char *s;
  size_t len, i;

  switch (f->type) {
  case AYIL_FT_DATE:
    if (!json_is_string(v) ||
        !date_ok(json_string_value(v), json_string_length(v)))
      return field_err(
          k, f, err, errlen,
          "must be a date YYYY-MM-DD (a real calendar date, year 1900-2100)");
    n = json_stringn(json_string_value(v), json_string_length(v));
    break;
  case AYIL_FT_CODE:
    if (!json_is_string(v))
      return code_err(k, f, NULL, err, errlen);
    s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
      return code_err(k, f, "", err, errlen);
    if (ayil_field_code_index(f, s) < 0)
      return code_err(k, f, s, err, errlen);
    n = json_string(s);
    break;
  case AYIL_FT_CODES: {
    uint64_t seen = 0;
    if (!json_is_array(v) || json_array_size(v) == 0)
      return code_err(k, f, NULL, err, errlen);
    for (i = 0; i < json_array_size(v); i++) {
      const json_t *it = json_array_get(v, i);
      int idx;
      if (!json_is_string(it))
        return code_err(k, f, NULL, err, errlen);
      s = json_string_value(it);
      if (strlen(s) != json_string_length(it))
        return code_err(k, f, "", err, errlen);
      idx = ayil_field_code_index(f, s);
      if (idx < 0)
        return code_err(k, f, s, err, errlen);
      seen |= (uint64_t)1 << idx;
    }
    n = json_array();
    if (n == NULL)
      return AYIL_ENOMEM;
    for (i = 0; i < f->ncodes; i++)
      if ((seen & ((uint64_t)1 << i)) &&
          json_array_append_new(n, json_string(f->codes[i])) != 0) {
        json_decref(n);
        return AYIL_ENOMEM;
      }
    break;
  }
  case AYIL_FT_BOOL:
    if (!json_is_boolean(v))
      return field_err(k, f, err, errlen, "must be true or false");
    n = json_boolean(json_is_true(v));
    break;
  case AYIL_FT_COUNT:
    if (!json_is_integer(v) || json_integer_value(v) < 0 ||
        json_integer_value(v) > AYIL_COUNT_MAX)
      return field_err(k, f, err, errlen,
                       "must be a whole number from 0 to 1000000000");
    n = json_integer(json_integer_value(v));
    break;
  case AYIL_FT_CASE: {
    char id[AYIL_CASE_LEN + 1];
    if (!json_is_string(v) || json_string_length(v) != AYIL_CASE_LEN)
      return field_err(k, f, err, errlen,
                       "must be a record id (32 hex characters)");
    s = json_string_value(v);
    for (i = 0; i < AYIL_CASE_LEN; i++) {
      if (!is_hex(s[i]))
        return field_err(k, f, err, errlen,
                         "must be a record id (32 hex characters)");
      id[i] = (s[i] >= 'A' && s[i] <= 'F') ? (char)(s[i] - 'A' + 'a') : s[i];
    }
    id[AYIL_CASE_LEN] = '\0';
    n = json_string(id);
    break;
  }
  case AYIL_FT_TEXT:
    if (!json_is_string(v))
      return field_err(k, f, err, errlen, "must be a string");
    len = json_string_length(v);
    if (len > AYIL_TEXT_MAX)
      return field_err(k, f, err, errlen, "text is longer than 16384 bytes");
    if (strlen(json_string_value(v)) != len)
      return field_err(k, f, err, errlen, "text contains a NUL character");
    n = json_stringn(json_string_value(v), len);
    break;
  default:
    return field_err(k, f, err, errlen, "has an unknown type");
  }
  if (n == NULL)
    return AYIL_ENOMEM;
  if (strict && !json_equal(n, (json_t *)v)) {
    json_decref(n);
    return field_err(k, f, err, errlen, "value is not in canonical form");
  }
  if (norm != NULL)
    *norm = n;
  else
    json_decref(n);
  return 0;
}

/* The key names the node derives; refused in input. */
static int is_derived_key(const ayil_kind_t *k, const char *key) {
  if (strcmp(key, "month") == 0 || strcmp(key, "removed_month") == 0)
    return 1;
  /* `kind` is the record kind, except in aid where it is a real field. */
  return strcmp(key, "kind") == 0 && ayil_kind_field(k, "kind") == NULL;
}

static int input_key_err(const ayil_kind_t *k, const char *key, char *err,
                         size_t errlen) {
  char fields[512], tok[SHOW_MAX + 8];

  if (is_derived_key(k, key)) {
    seterr(err, errlen,
           "%s: field \"%s\" is derived by the node and cannot be given",
           k->name, key);
    return AYIL_EINVAL;
  }
  join_fields(k, fields, sizeof(fields));
  if (show_token(key, tok))
    seterr(err, errlen, "%s: unknown field %s; fields: %s", k->name, tok,
           fields);
  else
    seterr(err, errlen, "%s: unknown field (name not shown); fields: %s",
           k->name, fields);
  return AYIL_EINVAL;
}

int ayil_record_touches_body(const char *kind, const json_t *input) {
  const ayil_kind_t *k = ayil_schema_kind(kind);
  const char *key;
  json_t *v;

  if (k == NULL || !json_is_object(input))
    return 0;
  json_object_foreach((json_t *)input, key, v) {
    const ayil_field_t *f = ayil_kind_field(k, key);
    if (f != NULL && f->cls == AYIL_CLASS_I)
      return 1;
  }
  return 0;
}

/* Cross-field rule of RECORDS.md: aid of kind money needs amount_som. */
/* The schema's cross-field rules (ayil_schema_xrule_at()) over a header. */
static int check_rules(const ayil_kind_t *k, const json_t *header, char *err,
                       size_t errlen) {
  size_t i;

  for (i = 0; i < ayil_schema_nxrules(); i++) {
    const ayil_xrule_t *x = ayil_schema_xrule_at(i);
    const ayil_field_t *f, *need;
    const json_t *v;
    if (strcmp(k->name, x->kind) != 0)
      continue;
    f = ayil_kind_field(k, x->field);
    need = ayil_kind_field(k, x->need);
    if (f == NULL || f->hkey == NULL || need == NULL || need->hkey == NULL)
      continue; /* test_header.c checks that none is */
    v = json_object_get(header, f->hkey);
    if (json_is_string(v) && strcmp(json_string_value(v), x->code) == 0 &&
        json_object_get(header, need->hkey) == NULL) {
      seterr(err, errlen, "%s: field \"%s\": required when %s is %s", k->name,
             x->need, x->field, x->code);
      return AYIL_EINVAL;
    }
  }
  return 0;
}

int ayil_record_check_header(const json_t *header, char *err, size_t errlen) {
  const ayil_kind_t *k;
  const json_t *kv, *mv;
  const char *key;
  json_t *v;
  size_t i;
  int rc;

  if (!json_is_object(header)) {
    seterr(err, errlen, "record header: not an object");
    return AYIL_EINVAL;
  }
  kv = json_object_get(header, "kind");
  if (!json_is_string(kv)) {
    seterr(err, errlen, "record header: no \"kind\"");
    return AYIL_EINVAL;
  }
  k = ayil_schema_kind(json_string_value(kv));
  if (k == NULL)
    return unknown_kind(json_string_value(kv), err, errlen);
  json_object_foreach((json_t *)header, key, v) {
    const ayil_field_t *f;
    if (strcmp(key, "kind") == 0)
      continue;
    f = ayil_kind_field_by_month_key(k, key);
    if (f != NULL) {
      if (!json_is_string(v) ||
          !month_ok(json_string_value(v), json_string_length(v))) {
        seterr(err, errlen, "%s: header field \"%s\": must be YYYY-MM", k->name,
               key);
        return AYIL_EINVAL;
      }
      continue;
    }
    f = ayil_kind_field_by_hkey(k, key);
    if (f == NULL) {
      char tok[SHOW_MAX + 8];
      f = ayil_kind_field(k, key);
      if (f != NULL && f->cls == AYIL_CLASS_I)
        seterr(err, errlen,
               "%s: field \"%s\" is identifying and may never go into a "
               "header",
               k->name, key);
      else if (show_token(key, tok))
        seterr(err, errlen, "%s: header field %s is not aggregatable", k->name,
               tok);
      else
        seterr(err, errlen, "%s: header has a key that is not a field",
               k->name);
      return AYIL_EINVAL;
    }
    rc = check_value(k, f, v, 1, NULL, err, errlen);
    if (rc != 0)
      return rc;
  }
  for (i = 0; i < k->nfields; i++) {
    const ayil_field_t *f = &k->fields[i];
    const char *need = NULL;
    if (f->required && f->cls == AYIL_CLASS_A)
      need = f->hkey;
    else if (f->required && f->type == AYIL_FT_DATE)
      need = f->month_key;
    if (need != NULL && json_object_get(header, need) == NULL) {
      seterr(err, errlen, "%s: header field \"%s\" is missing", k->name, need);
      return AYIL_EINVAL;
    }
  }
  mv = json_object_get(header, "month");
  if (mv == NULL) {
    seterr(err, errlen, "%s: header field \"month\" is missing", k->name);
    return AYIL_EINVAL;
  }
  return check_rules(k, header, err, errlen);
}

/* A stored body (an old one, or one just merged): only class-I fields. */
static int check_body(const ayil_kind_t *k, const json_t *body, char *err,
                      size_t errlen) {
  const char *key;
  json_t *v;
  size_t i;
  int rc;

  if (!json_is_object(body)) {
    seterr(err, errlen, "%s: record body: not an object", k->name);
    return AYIL_EINVAL;
  }
  json_object_foreach((json_t *)body, key, v) {
    const ayil_field_t *f = ayil_kind_field(k, key);
    if (f == NULL || f->cls != AYIL_CLASS_I) {
      seterr(err, errlen,
             "%s: record body has a key that is not an "
             "identifying field",
             k->name);
      return AYIL_EINVAL;
    }
    rc = check_value(k, f, v, 1, NULL, err, errlen);
    if (rc != 0)
      return rc;
  }
  for (i = 0; i < k->nfields; i++) {
    const ayil_field_t *f = &k->fields[i];
    if (f->required && f->cls == AYIL_CLASS_I &&
        json_object_get(body, f->name) == NULL)
      return field_err(k, f, err, errlen, "is required");
  }
  return 0;
}

/* Sets a new reference, reporting allocation failure. */
static int set_new(json_t *obj, const char *key, json_t *v) {
  if (v == NULL)
    return AYIL_ENOMEM;
  return json_object_set_new(obj, key, v) == 0 ? 0 : AYIL_ENOMEM;
}

int ayil_record_build(const char *kind, const json_t *input,
                      const json_t *old_header, const json_t *old_body,
                      json_t **header_out, json_t **body_out, char *err,
                      size_t errlen) {
  const ayil_kind_t *k;
  json_t *header = NULL, *body = NULL, *v;
  const char *key;
  int update = old_header != NULL;
  int touches;
  size_t i;
  int rc;

  *header_out = NULL;
  *body_out = NULL;
  if (err != NULL && errlen > 0)
    err[0] = '\0';
  k = ayil_schema_kind(kind);
  if (k == NULL)
    return unknown_kind(kind, err, errlen);
  if (!json_is_object(input)) {
    seterr(err, errlen, "%s: record input must be a JSON object", k->name);
    return AYIL_EINVAL;
  }
  if (update) {
    const json_t *ok = json_object_get(old_header, "kind");
    if (!json_is_object(old_header) || !json_is_string(ok) ||
        strcmp(json_string_value(ok), k->name) != 0) {
      seterr(err, errlen, "%s: the record to update is of another kind",
             k->name);
      return AYIL_EINVAL;
    }
  }

  /* Pass 1: every input key and value, before anything is merged. */
  json_object_foreach((json_t *)input, key, v) {
    const ayil_field_t *f = ayil_kind_field(k, key);
    if (f == NULL || is_derived_key(k, key))
      return input_key_err(k, key, err, errlen);
    if (json_is_null(v)) {
      if (update && f->required)
        return field_err(k, f, err, errlen,
                         "is required and cannot be removed");
      continue;
    }
    rc = check_value(k, f, v, 0, NULL, err, errlen);
    if (rc != 0)
      return rc;
  }

  touches = ayil_record_touches_body(kind, input);
  if (update && touches && old_body == NULL) {
    seterr(err, errlen,
           "%s: changing identifying fields needs the passphrase (the "
           "record's body must be opened)",
           k->name);
    return AYIL_ESTATE;
  }

  rc = AYIL_ENOMEM;
  if (update) {
    header = json_deep_copy(old_header);
    if (touches)
      body = json_deep_copy(old_body);
    if (header == NULL || (touches && body == NULL))
      goto fail;
    if (touches) {
      rc = check_body(k, body, err, errlen);
      if (rc != 0)
        goto fail;
    }
  } else {
    header = json_object();
    body = json_object();
    if (header == NULL || body == NULL)
      goto fail;
    rc = set_new(header, "kind", json_string(k->name));
    if (rc != 0)
      goto fail;
  }

  /* Pass 2: merge. */
  json_object_foreach((json_t *)input, key, v) {
    const ayil_field_t *f = ayil_kind_field(k, key);
    json_t *n = NULL;
    if (json_is_null(v)) {
      if (f->cls == AYIL_CLASS_A) {
        json_object_del(header, f->hkey);
      } else {
        json_object_del(body, f->name);
        if (f->type == AYIL_FT_DATE)
          json_object_del(header, f->month_key);
      }
      continue;
    }
    rc = check_value(k, f, v, 0, &n, err, errlen);
    if (rc != 0)
      goto fail;
    if (f->cls == AYIL_CLASS_A) {
      rc = set_new(header, f->hkey, n);
    } else {
      if (f->type == AYIL_FT_DATE) {
        rc = set_new(header, f->month_key,
                     json_stringn(json_string_value(n), 7));
        if (rc != 0) {
          json_decref(n);
          goto fail;
        }
      }
      rc = set_new(body, f->name, n);
    }
    if (rc != 0)
      goto fail;
  }

  /* The merged record as a whole. */
  rc = AYIL_EINVAL;
  for (i = 0; i < k->nfields; i++) {
    const ayil_field_t *f = &k->fields[i];
    if (!f->required)
      continue;
    if (f->cls == AYIL_CLASS_A && json_object_get(header, f->hkey) == NULL) {
      field_err(k, f, err, errlen, "is required");
      goto fail;
    }
    if (f->cls == AYIL_CLASS_I && body != NULL &&
        json_object_get(body, f->name) == NULL) {
      field_err(k, f, err, errlen, "is required");
      goto fail;
    }
  }
  rc = check_rules(k, header, err, errlen);
  if (rc != 0)
    goto fail;
  rc = ayil_record_check_header(header, err, errlen);
  if (rc != 0)
    goto fail;
  if (body != NULL) {
    rc = check_body(k, body, err, errlen);
    if (rc != 0)
      goto fail;
  }
  *header_out = header;
  *body_out = body;
  return 0;

fail:
  json_decref(body);
  json_decref(header);
  return rc;
}

/* ---- canonical msgpack ---- */

static int cmp_keys(const void *a, const void *b) {
  /* strcmp compares as unsigned char: bytewise, a prefix sorts first. */
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int pack_str(msgpack_packer *pk, const json_t *s) {
  const char *p = json_string_value(s);
  size_t n = json_string_length(s);

  if (strlen(p) != n)
    return AYIL_EINVAL;
  if (msgpack_pack_str(pk, n) != 0 || msgpack_pack_str_body(pk, p, n) != 0)
    return AYIL_ENOMEM;
  return 0;
}

int ayil_record_pack(const json_t *obj, uint8_t **out, size_t *len) {
  const char *keys[MAP_MAX_KEYS];
  msgpack_sbuffer sb;
  msgpack_packer pk;
  const char *key;
  json_t *v;
  size_t n = 0, i, j;
  int rc;

  *out = NULL;
  *len = 0;
  if (!json_is_object(obj) || json_object_size(obj) > MAP_MAX_KEYS)
    return AYIL_EINVAL;
  json_object_foreach((json_t *)obj, key, v) {
    size_t kl = strlen(key);
    if (kl == 0 || kl > KEY_MAX || n >= MAP_MAX_KEYS)
      return AYIL_EINVAL;
    keys[n++] = key;
  }
  qsort(keys, n, sizeof(keys[0]), cmp_keys);

  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  rc = AYIL_ENOMEM;
  if (msgpack_pack_map(&pk, n) != 0)
    goto fail;
  for (i = 0; i < n; i++) {
    size_t kl = strlen(keys[i]);
    v = json_object_get(obj, keys[i]);
    if (msgpack_pack_str(&pk, kl) != 0 ||
        msgpack_pack_str_body(&pk, keys[i], kl) != 0) {
      rc = AYIL_ENOMEM;
      goto fail;
    }
    switch (json_typeof(v)) {
    case JSON_STRING:
      rc = pack_str(&pk, v);
      break;
    case JSON_INTEGER:
      if (json_integer_value(v) < 0) {
        rc = AYIL_EINVAL;
        break;
      }
      rc = msgpack_pack_uint64(&pk, (uint64_t)json_integer_value(v)) == 0
               ? 0
               : AYIL_ENOMEM;
      break;
    case JSON_TRUE:
      rc = msgpack_pack_true(&pk) == 0 ? 0 : AYIL_ENOMEM;
      break;
    case JSON_FALSE:
      rc = msgpack_pack_false(&pk) == 0 ? 0 : AYIL_ENOMEM;
      break;
    case JSON_ARRAY:
      if (json_array_size(v) > ARRAY_MAX) {
        rc = AYIL_EINVAL;
        break;
      }
      rc = msgpack_pack_array(&pk, json_array_size(v)) == 0 ? 0 : AYIL_ENOMEM;
      for (j = 0; rc == 0 && j < json_array_size(v); j++) {
        const json_t *it = json_array_get(v, j);
        rc = json_is_string(it) ? pack_str(&pk, it) : AYIL_EINVAL;
      }
      break;
    default:
      rc = AYIL_EINVAL;
      break;
    }
    if (rc != 0)
      goto fail;
  }
  if (sb.size > AYIL_BODY_MAX) {
    rc = AYIL_ETOOBIG;
    goto fail;
  }
  *len = sb.size;
  *out = (uint8_t *)msgpack_sbuffer_release(&sb);
  return 0;

fail:
  msgpack_sbuffer_destroy(&sb);
  return rc;
}

/*
 * Unpacking is two steps. First a scan of the raw bytes, which allocates
 * nothing and checks every tag, length prefix and count against the limits
 * and the remaining input, the nesting, minimal encodings and key order.
 * Only bytes that passed it are handed to msgpack_unpack_next, so it never
 * sees a length it could over-allocate for.
 */
typedef struct {
  const uint8_t *p;
  size_t len;
  size_t off;
} scan_t;

static int take(scan_t *s, size_t n, const uint8_t **at) {
  if (s->len - s->off < n)
    return AYIL_ETRUNC;
  *at = s->p + s->off;
  s->off += n;
  return 0;
}

static int read_be(scan_t *s, size_t n, uint64_t *v) {
  const uint8_t *b;
  size_t i;
  int rc = take(s, n, &b);

  if (rc != 0)
    return rc;
  *v = 0;
  for (i = 0; i < n; i++)
    *v = (*v << 8) | b[i];
  return 0;
}

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
static int utf8_ok(const uint8_t *p, size_t n) {
  size_t i = 0;

  while (i < n) {
    uint8_t c = p[i];
    size_t need;
    uint32_t cp, min;
    if (c < 0x80) {
      i++;
      continue;
    }
    if ((c & 0xe0) == 0xc0) {
      need = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      need = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      need = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return 0;
    }
    if (n - i - 1 < need)
      return 0;
    for (size_t j = 1; j <= need; j++) {
      if ((p[i + j] & 0xc0) != 0x80)
        return 0;
      cp = (cp << 6) | (p[i + j] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return 0;
    i += need + 1;
  }
  return 1;
}

/* Reads a string (tag already read); returns its bytes. */
static int scan_str(scan_t *s, uint8_t tag, const uint8_t **str, size_t *n) {
  uint64_t l;
  int rc = 0;

  if (tag >= 0xa0 && tag <= 0xbf) {
    l = tag & 0x1f;
  } else if (tag == 0xd9) {
    rc = read_be(s, 1, &l);
    if (rc == 0 && l < 32)
      rc = AYIL_ENOTCANON;
  } else if (tag == 0xda) {
    rc = read_be(s, 2, &l);
    if (rc == 0 && l < 256)
      rc = AYIL_ENOTCANON;
  } else if (tag == 0xdb) {
    rc = read_be(s, 4, &l);
    if (rc == 0 && l > AYIL_BODY_MAX)
      rc = AYIL_ETOOBIG;
    else if (rc == 0 && l < 65536)
      rc = AYIL_ENOTCANON;
  } else {
    return AYIL_EFORMAT;
  }
  if (rc != 0)
    return rc;
  rc = take(s, (size_t)l, str);
  if (rc != 0)
    return rc;
  *n = (size_t)l;
  if (memchr(*str, 0, *n) != NULL || !utf8_ok(*str, *n))
    return AYIL_EFORMAT;
  return 0;
}

static int is_str_tag(uint8_t t) {
  return (t >= 0xa0 && t <= 0xbf) || (t >= 0xd9 && t <= 0xdb);
}

static int is_container_tag(uint8_t t) {
  return (t >= 0x80 && t <= 0x9f) || (t >= 0xdc && t <= 0xdf);
}

/* Reads a container header (tag already read): its count, minimal. */
static int scan_count(scan_t *s, uint8_t tag, size_t max, size_t *count) {
  uint64_t n;
  size_t w = 0;
  int rc;

  if ((tag >= 0x80 && tag <= 0x8f) || (tag >= 0x90 && tag <= 0x9f)) {
    n = tag & 0x0f;
  } else {
    w = (tag == 0xdc || tag == 0xde) ? 2 : 4;
    rc = read_be(s, w, &n);
    if (rc != 0)
      return rc;
  }
  if (n > max)
    return AYIL_ETOOBIG;
  if ((w == 2 && n < 16) || (w == 4 && n < 65536))
    return AYIL_ENOTCANON;
  *count = (size_t)n;
  return 0;
}

static int scan_value(scan_t *s) {
  const uint8_t *b, *str;
  uint64_t v;
  size_t n, i;
  uint8_t t;
  int rc = take(s, 1, &b);

  if (rc != 0)
    return rc;
  t = b[0];
  if (t <= 0x7f || t == 0xc2 || t == 0xc3)
    return 0;
  if (t >= 0xcc && t <= 0xcf) {
    static const uint64_t min[] = {0x80, 0x100, 0x10000, 0x100000000};
    rc = read_be(s, (size_t)1 << (t - 0xcc), &v);
    if (rc != 0)
      return rc;
    if (v > (uint64_t)INT64_MAX)
      return AYIL_EFORMAT;
    return v < min[t - 0xcc] ? AYIL_ENOTCANON : 0;
  }
  if (is_str_tag(t))
    return scan_str(s, t, &str, &n);
  if ((t >= 0x90 && t <= 0x9f) || t == 0xdc || t == 0xdd) {
    rc = scan_count(s, t, ARRAY_MAX, &n);
    for (i = 0; rc == 0 && i < n; i++) {
      rc = take(s, 1, &b);
      if (rc != 0)
        break;
      if (is_container_tag(b[0]))
        return AYIL_EDEPTH;
      size_t sl;
      rc = scan_str(s, b[0], &str, &sl);
    }
    return rc;
  }
  if (is_container_tag(t))
    return AYIL_EDEPTH; /* a map as a value */
  return AYIL_EFORMAT;
}

static int scan_map(const uint8_t *buf, size_t len) {
  scan_t s = {buf, len, 0};
  const uint8_t *b, *key, *prev = NULL;
  size_t n, i, kl, prevl = 0;
  int rc = take(&s, 1, &b);

  if (rc != 0)
    return rc;
  if (!((b[0] >= 0x80 && b[0] <= 0x8f) || b[0] == 0xde || b[0] == 0xdf))
    return AYIL_EFORMAT;
  rc = scan_count(&s, b[0], MAP_MAX_KEYS, &n);
  for (i = 0; rc == 0 && i < n; i++) {
    rc = take(&s, 1, &b);
    if (rc != 0)
      break;
    if (is_container_tag(b[0]))
      return AYIL_EDEPTH;
    rc = scan_str(&s, b[0], &key, &kl);
    if (rc != 0)
      break;
    if (kl == 0)
      return AYIL_EFORMAT;
    if (kl > KEY_MAX)
      return AYIL_ETOOBIG;
    if (prev != NULL) {
      int c = memcmp(prev, key, prevl < kl ? prevl : kl);
      if (c > 0 || (c == 0 && prevl >= kl))
        return AYIL_ENOTCANON;
    }
    prev = key;
    prevl = kl;
    rc = scan_value(&s);
  }
  if (rc != 0)
    return rc;
  return s.off == len ? 0 : AYIL_ETRAILING;
}

static json_t *str_to_json(const msgpack_object_str *s) {
  return json_stringn_nocheck(s->ptr, s->size);
}

static int object_to_json(const msgpack_object *o, json_t **out) {
  json_t *obj, *v = NULL;
  uint32_t i, j;

  if (o->type != MSGPACK_OBJECT_MAP)
    return AYIL_EFORMAT;
  obj = json_object();
  if (obj == NULL)
    return AYIL_ENOMEM;
  for (i = 0; i < o->via.map.size; i++) {
    const msgpack_object_kv *kv = &o->via.map.ptr[i];
    char key[KEY_MAX + 1];
    if (kv->key.type != MSGPACK_OBJECT_STR || kv->key.via.str.size > KEY_MAX)
      goto format;
    memcpy(key, kv->key.via.str.ptr, kv->key.via.str.size);
    key[kv->key.via.str.size] = '\0';
    switch (kv->val.type) {
    case MSGPACK_OBJECT_STR:
      v = str_to_json(&kv->val.via.str);
      break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
      if (kv->val.via.u64 > (uint64_t)INT64_MAX)
        goto format;
      v = json_integer((json_int_t)kv->val.via.u64);
      break;
    case MSGPACK_OBJECT_BOOLEAN:
      v = json_boolean(kv->val.via.boolean);
      break;
    case MSGPACK_OBJECT_ARRAY:
      v = json_array();
      for (j = 0; v != NULL && j < kv->val.via.array.size; j++) {
        const msgpack_object *it = &kv->val.via.array.ptr[j];
        if (it->type != MSGPACK_OBJECT_STR) {
          json_decref(v);
          goto format;
        }
        if (json_array_append_new(v, str_to_json(&it->via.str)) != 0) {
          json_decref(v);
          v = NULL;
        }
      }
      break;
    default:
      goto format;
    }
    if (v == NULL || json_object_set_new(obj, key, v) != 0) {
      json_decref(obj);
      return AYIL_ENOMEM;
    }
  }
  *out = obj;
  return 0;

format:
  json_decref(obj);
  return AYIL_EFORMAT;
}

int ayil_record_unpack(const uint8_t *buf, size_t len, json_t **out) {
  msgpack_unpacked u;
  size_t off = 0;
  int rc;

  *out = NULL;
  if (len > AYIL_BODY_MAX)
    return AYIL_ETOOBIG;
  if (buf == NULL || len == 0)
    return AYIL_ETRUNC;
  rc = scan_map(buf, len);
  if (rc != 0)
    return rc;
  msgpack_unpacked_init(&u);
  switch (msgpack_unpack_next(&u, (const char *)buf, len, &off)) {
  case MSGPACK_UNPACK_SUCCESS:
    rc = off == len ? object_to_json(&u.data, out) : AYIL_ETRAILING;
    break;
  case MSGPACK_UNPACK_NOMEM_ERROR:
    rc = AYIL_ENOMEM;
    break;
  case MSGPACK_UNPACK_CONTINUE:
    rc = AYIL_ETRUNC;
    break;
  default:
    rc = AYIL_EFORMAT;
    break;
  }
  msgpack_unpacked_destroy(&u);
  return rc;
}

/* ---- the dictionary for `ayil schema` ---- */

/* A rule that the tables alone do not say, for one field, into buf. */
static const char *field_note(const ayil_kind_t *k, const ayil_field_t *f,
                              char *buf, size_t cap) {
  size_t i;

  for (i = 0; i < ayil_schema_nxrules(); i++) {
    const ayil_xrule_t *x = ayil_schema_xrule_at(i);
    if (strcmp(k->name, x->kind) == 0 && strcmp(f->name, x->need) == 0) {
      snprintf(buf, cap, "required when %s is %s", x->field, x->code);
      return buf;
    }
  }
  if (f->hkey != NULL && strcmp(f->hkey, f->name) != 0) {
    snprintf(buf, cap, "stored in the header as %s", f->hkey);
    return buf;
  }
  return NULL;
}

static json_t *field_to_json(const ayil_kind_t *k, const ayil_field_t *f) {
  char note[128];
  json_t *o = json_object(), *codes;
  size_t i;
  int bad = o == NULL;

  bad = bad || json_object_set_new(o, "name", json_string(f->name)) != 0;
  bad = bad || json_object_set_new(o, "class",
                                   json_string(ayil_class_name(f->cls))) != 0;
  bad =
      bad || json_object_set_new(o, "required", json_boolean(f->required)) != 0;
  bad = bad || json_object_set_new(o, "type",
                                   json_string(ayil_ftype_name(f->type))) != 0;
  if (!bad && f->codes != NULL) {
    codes = json_array();
    for (i = 0; codes != NULL && i < f->ncodes; i++)
      if (json_array_append_new(codes, json_string(f->codes[i])) != 0) {
        json_decref(codes);
        codes = NULL;
      }
    bad = json_object_set_new(o, "codes", codes) != 0;
  }
  if (!bad && f->hkey != NULL)
    bad = json_object_set_new(o, "header_key", json_string(f->hkey)) != 0;
  if (!bad && f->month_key != NULL)
    bad = json_object_set_new(o, "month_key", json_string(f->month_key)) != 0;
  if (!bad && field_note(k, f, note, sizeof note) != NULL)
    bad = json_object_set_new(o, "note", json_string(note)) != 0;
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static json_t *kind_to_json(const ayil_kind_t *k) {
  json_t *o = json_object(), *fields = json_array();
  size_t i;
  int bad = o == NULL || fields == NULL;

  for (i = 0; !bad && i < k->nfields; i++)
    bad = json_array_append_new(fields, field_to_json(k, &k->fields[i])) != 0;
  bad = bad || json_object_set_new(o, "name", json_string(k->name)) != 0;
  bad = bad ||
        json_object_set_new(o, "description", json_string(k->description)) != 0;
  if (bad) {
    json_decref(fields);
    json_decref(o);
    return NULL;
  }
  if (json_object_set_new(o, "fields", fields) != 0) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *ayil_schema_to_json(const char *kind_or_null) {
  const ayil_kind_t *only = NULL;
  json_t *root, *kinds, *obl;
  size_t i;
  int bad;

  if (kind_or_null != NULL) {
    only = ayil_schema_kind(kind_or_null);
    if (only == NULL)
      return NULL;
  }
  root = json_object();
  kinds = json_array();
  obl = json_array();
  bad = root == NULL || kinds == NULL || obl == NULL;
  for (i = 0; !bad && i < ayil_schema_nkinds(); i++) {
    const ayil_kind_t *k = ayil_schema_kind_at(i);
    if (only == NULL || only == k)
      bad = json_array_append_new(kinds, kind_to_json(k)) != 0;
  }
  for (i = 0; !bad && i < ayil_schema_noblasts(); i++) {
    const char *o = ayil_schema_oblast_at(i);
    bad =
        json_array_append_new(obl, json_pack("{s:s, s:s}", "name", o, "region",
                                             ayil_oblast_region(o))) != 0;
  }
  if (bad) {
    json_decref(obl);
    json_decref(kinds);
    json_decref(root);
    return NULL;
  }
  if (json_object_set_new(root, "codes_version",
                          json_integer(AYIL_CODES_VERSION)) != 0 ||
      json_object_set_new(root, "kinds", kinds) != 0 ||
      json_object_set_new(root, "oblasts", obl) != 0) {
    json_decref(root);
    return NULL;
  }
  return root;
}

#define PRINT_WIDTH 78
#define CODES_INDENT 6

/* Prints the codes of `f` on their own lines, indented and wrapped. */
static void print_codes(FILE *fp, const ayil_field_t *f) {
  size_t i;
  int col = CODES_INDENT;

  fprintf(fp, "%*s", CODES_INDENT, "");
  for (i = 0; i < f->ncodes; i++) {
    int last = i + 1 == f->ncodes;
    int w = (int)strlen(f->codes[i]) + (last ? 0 : 1);
    if (i > 0 && col + 1 + w > PRINT_WIDTH) {
      fprintf(fp, "\n%*s", CODES_INDENT, "");
      col = CODES_INDENT;
    } else if (i > 0) {
      fputc(' ', fp);
      col++;
    }
    fprintf(fp, "%s%s", f->codes[i], last ? "" : ",");
    col += w;
  }
  fputc('\n', fp);
}

static void print_kind(FILE *fp, const ayil_kind_t *k) {
  size_t i;

  fprintf(fp, "%s: %s\n", k->name, k->description);
  fprintf(fp, "  %-20s  %-12s  %-8s  %s\n", "FIELD", "CLASS", "REQUIRED",
          "TYPE");
  for (i = 0; i < k->nfields; i++) {
    const ayil_field_t *f = &k->fields[i];
    char nbuf[128];
    const char *note = field_note(k, f, nbuf, sizeof nbuf);
    char detail[64] = "";
    if (f->type == AYIL_FT_DATE)
      snprintf(detail, sizeof(detail), "YYYY-MM-DD");
    else if (f->type == AYIL_FT_COUNT)
      snprintf(detail, sizeof(detail), "0..%d", AYIL_COUNT_MAX);
    else if (f->type == AYIL_FT_CASE)
      snprintf(detail, sizeof(detail), "a record id");
    else if (f->type == AYIL_FT_TEXT)
      snprintf(detail, sizeof(detail), "up to %d bytes", AYIL_TEXT_MAX);
    else if (f->type == AYIL_FT_CODES)
      snprintf(detail, sizeof(detail), "one or more of:");
    else if (f->type == AYIL_FT_CODE)
      snprintf(detail, sizeof(detail), "one of:");
    if (detail[0] != '\0')
      fprintf(fp, "  %-20s  %-12s  %-8s  %-5s  %s\n", f->name,
              ayil_class_name(f->cls), f->required ? "yes" : "no",
              ayil_ftype_name(f->type), detail);
    else
      fprintf(fp, "  %-20s  %-12s  %-8s  %s\n", f->name,
              ayil_class_name(f->cls), f->required ? "yes" : "no",
              ayil_ftype_name(f->type));
    if (f->month_key != NULL)
      fprintf(fp, "%*s(its month goes in the header as %s)\n", CODES_INDENT, "",
              f->month_key);
    if (f->codes != NULL)
      print_codes(fp, f);
    if (note != NULL)
      fprintf(fp, "%*s(%s)\n", CODES_INDENT, "", note);
  }
}

int ayil_schema_print(FILE *fp, const char *kind_or_null) {
  const ayil_kind_t *only = NULL;
  size_t i;

  if (kind_or_null != NULL) {
    only = ayil_schema_kind(kind_or_null);
    if (only == NULL)
      return AYIL_EINVAL;
    print_kind(fp, only);
    return 0;
  }
  fprintf(fp,
          "Record kinds (code-list version %d). Aggregatable fields go "
          "in the header\nthe hub reads; identifying fields only in the "
          "sealed body.\n",
          AYIL_CODES_VERSION);
  for (i = 0; i < ayil_schema_nkinds(); i++) {
    fputc('\n', fp);
    print_kind(fp, ayil_schema_kind_at(i));
  }
  fputs("\nOblasts (macro-region):\n", fp);
  for (i = 0; i < ayil_schema_noblasts(); i++) {
    const char *o = ayil_schema_oblast_at(i);
    fprintf(fp, "  %-12s %s\n", o, ayil_oblast_region(o));
  }
  return 0;
}

/*
 * Records: validation of user input against the dictionary, the split into
 * header (class A) and body (class I), and the canonical msgpack encoding.
 *
 * The one rule this file exists for: nothing identifying reaches a header or
 * an error message. An error names the field and what was expected, never
 * the value given, nor a key or kind that is not in the schema (a person may
 * type a name anywhere, even in lower case into a code field).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "ayil/header.h"

#include "record.h"

#include "node_int.h"
#include "record_int.h"

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
  vsnprintf(err, errlen, ayil__node_tr(fmt), ap);
  va_end(ap);
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
  char kinds[512];

  (void)kind; /* never shown */
  join_kinds(kinds, sizeof(kinds));
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
  seterr(err, errlen, "%s: field \"%s\": %s", k->name, f->name,
         ayil__node_tr(what));
  return AYIL_EINVAL;
}

static int code_err(const ayil_kind_t *k, const ayil_field_t *f,
                    const char *code, char *err, size_t errlen) {
  char allowed[512];

  join_names(f->codes, f->ncodes, allowed, sizeof(allowed));
  if (code != NULL)
    seterr(err, errlen,
           "%s: field \"%s\": not one of the allowed codes (the value given "
           "is not shown); allowed: %s",
           k->name, f->name, allowed);
  else
    seterr(err, errlen, "%s: field \"%s\": must be %s; allowed: %s", k->name,
           f->name,
           f->type == AYIL_FT_CODES ? ayil__node_tr("a non-empty list of codes")
                                    : ayil__node_tr("a code (a string)"),
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
  char fields[512];

  if (is_derived_key(k, key)) {
    seterr(err, errlen,
           "%s: field \"%s\" is derived by the node and cannot be given",
           k->name, key);
    return AYIL_EINVAL;
  }
  join_fields(k, fields, sizeof(fields));
  seterr(err, errlen, "%s: unknown field (its name is not shown); fields: %s",
         k->name, fields);
  return AYIL_EINVAL;
}

/*
 * 1 if cross-field rule x (the schema's: `need` required when `field` has
 * `code`) is broken by the values fv of its field and nv of the field it
 * needs (NULL when absent; a JSON null removes a field). The one test of
 * the rules, for an input (ayil_record_problems()) and for a header
 * (check_rules()).
 */
static int xrule_broken(const ayil_xrule_t *x, const json_t *fv,
                        const json_t *nv) {
  return json_is_string(fv) && strcmp(json_string_value(fv), x->code) == 0 &&
         (nv == NULL || json_is_null(nv));
}

/* The value of field `name` of an input, or for an update that leaves it
 * out, of the record's header before (old_header, may be NULL); NULL when
 * neither has it. */
static const json_t *input_value(const ayil_kind_t *k, const json_t *input,
                                 const json_t *old_header, const char *name) {
  const json_t *v = json_object_get(input, name);
  const ayil_field_t *f;

  if (v != NULL || old_header == NULL)
    return v;
  f = ayil_kind_field(k, name);
  return f != NULL && f->hkey != NULL ? json_object_get(old_header, f->hkey)
                                      : NULL;
}

size_t ayil_record_problems(const char *kind, const json_t *input,
                            const json_t *old_header, ayil_record_prob_cb cb,
                            void *ctx) {
  const ayil_kind_t *k = ayil_schema_kind(kind);
  const char *key;
  json_t *v;
  size_t i, n = 0;
  char err[512];

  if (k == NULL || !json_is_object(input))
    return 0;
  json_object_foreach((json_t *)input, key, v) {
    const ayil_field_t *f = ayil_kind_field(k, key);
    if (f == NULL || is_derived_key(k, key)) {
      cb(ctx, key, AYIL_PROB_UNKNOWN);
      n++;
      continue;
    }
    if (json_is_null(v))
      continue; /* a removal: the required check below */
    if (check_value(k, f, v, 0, NULL, err, sizeof err) != 0) {
      ayil_prob_t what = AYIL_PROB_FORMAT;
      if (f->type == AYIL_FT_CODE || f->type == AYIL_FT_CODES)
        what = AYIL_PROB_CODE;
      else if (f->type == AYIL_FT_TEXT && json_is_string(v) &&
               json_string_length(v) > AYIL_TEXT_MAX)
        what = AYIL_PROB_TOO_LONG;
      cb(ctx, f->name, what);
      n++;
    }
  }
  for (i = 0; i < k->nfields; i++) {
    const ayil_field_t *f = &k->fields[i];
    const json_t *iv = json_object_get(input, f->name);
    int present;
    if (!f->required)
      continue;
    if (iv != NULL)
      present = !json_is_null(iv);
    else if (old_header == NULL)
      present = 0;
    else
      present = f->cls == AYIL_CLASS_I ||
                json_object_get(old_header, f->hkey) != NULL;
    if (!present) {
      cb(ctx, f->name, AYIL_PROB_REQUIRED);
      n++;
    }
  }
  for (i = 0; i < ayil_schema_nxrules(); i++) {
    const ayil_xrule_t *x = ayil_schema_xrule_at(i);
    if (strcmp(k->name, x->kind) == 0 &&
        xrule_broken(x, input_value(k, input, old_header, x->field),
                     input_value(k, input, old_header, x->need))) {
      cb(ctx, x->need, AYIL_PROB_REQUIRED);
      n++;
    }
  }
  return n;
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

/* The schema's cross-field rules (ayil_schema_xrule_at()) over a header:
 * RECORDS.md's aid of kind money needs amount_som. */
static int check_rules(const ayil_kind_t *k, const json_t *header, char *err,
                       size_t errlen) {
  size_t i;

  for (i = 0; i < ayil_schema_nxrules(); i++) {
    const ayil_xrule_t *x = ayil_schema_xrule_at(i);
    const ayil_field_t *f, *need;
    if (strcmp(k->name, x->kind) != 0)
      continue;
    f = ayil_kind_field(k, x->field);
    need = ayil_kind_field(k, x->need);
    if (f == NULL || f->hkey == NULL || need == NULL || need->hkey == NULL)
      continue; /* test_header.c checks that none is */
    if (xrule_broken(x, json_object_get(header, f->hkey),
                     json_object_get(header, need->hkey))) {
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
      f = ayil_kind_field(k, key);
      if (f != NULL && f->cls == AYIL_CLASS_I)
        seterr(err, errlen,
               "%s: field \"%s\" is identifying and may never go into a "
               "header",
               k->name, key);
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

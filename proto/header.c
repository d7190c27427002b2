/*
 * The canonical record header as a typed view over the schema. See
 * include/ayil/header.h.
 */
#include <string.h>

#include "ayil/entry.h"
#include "ayil/header.h"
#include "ayil/mp.h"

#define KEYS_MAX (AYIL_HDR_FIELDS_MAX + 2) /* of a known kind: fields, kind */
#define MAP_KEYS_MAX 64 /* of any header (a later code-list version) */
#define KEY_MAX 64      /* bytes of a header key */
#define CODES_MAX 64    /* codes of one list: a bitmask */

int ayil_month_parse(const char *s, size_t n) {
  int y = 0, m = 0;
  size_t i;

  if (s == NULL || n != 7 || s[4] != '-')
    return -1;
  for (i = 0; i < 7; i++) {
    if (i == 4)
      continue;
    if (s[i] < '0' || s[i] > '9')
      return -1;
    if (i < 4)
      y = y * 10 + (s[i] - '0');
    else
      m = m * 10 + (s[i] - '0');
  }
  if (y < AYIL_DATE_MIN_YEAR || y > AYIL_DATE_MAX_YEAR || m < 1 || m > 12)
    return -1;
  return y * 12 + m - 1;
}

/* 1 if p[0..n) is the C string s; stops at the first difference, as most
 * comparisons here fail on the first byte (this is the report's hot path). */
static int str_is(const uint8_t *p, size_t n, const char *s) {
  size_t i;

  for (i = 0; i < n; i++)
    if (s[i] == '\0' || (uint8_t)s[i] != p[i])
      return 0;
  return s[n] == '\0';
}

static int code_of(const ayil_field_t *f, const uint8_t *p, size_t n) {
  size_t i;

  for (i = 0; i < f->ncodes; i++)
    if (n > 0 && f->codes[i][0] == p[0] && str_is(p, n, f->codes[i]))
      return (int)i;
  return -1;
}

static int is_lower_hex(uint8_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* A too-long string is a wrong value: AYIL_EFORMAT. */
static int fmt(int rc) {
  return rc == AYIL_ETOOBIG ? AYIL_EFORMAT : rc;
}

/* A string value: a code of f, a case id, or (month 1) a month. */
static int read_str(ayil_mp_t *r, const ayil_field_t *f, int month,
                    ayil_hval_t *v) {
  const uint8_t *p;
  size_t n, i;
  int rc, c;

  if ((rc = fmt(ayil_mp_str(r, KEY_MAX, &p, &n))) != 0)
    return rc;
  if (month) {
    c = ayil_month_parse((const char *)p, n);
  } else if (f->type == AYIL_FT_CODE) {
    c = code_of(f, p, n);
  } else {
    c = n == AYIL_CASE_LEN ? 0 : -1;
    for (i = 0; c == 0 && i < n; i++)
      if (!is_lower_hex(p[i]))
        c = -1;
  }
  if (c < 0)
    return AYIL_EFORMAT;
  v->u = (uint64_t)c;
  v->s = (const char *)p;
  v->n = n;
  return 0;
}

/* A non-empty list of codes of f in code-list order, each once (lax: in
 * any order, a repeated code counting once). */
static int read_codes(ayil_mp_t *r, const ayil_field_t *f, int lax,
                      ayil_hval_t *v) {
  const uint8_t *p;
  size_t cnt, n, i;
  int rc, c, prev = -1;

  if ((rc = ayil_mp_array(r, &cnt)) != 0)
    return rc;
  if (cnt == 0 || cnt > (lax ? CODES_MAX : f->ncodes) || f->ncodes > CODES_MAX)
    return AYIL_EFORMAT;
  v->u = 0;
  for (i = 0; i < cnt; i++) {
    if ((rc = fmt(ayil_mp_str(r, KEY_MAX, &p, &n))) != 0)
      return rc;
    if ((c = code_of(f, p, n)) < 0)
      return AYIL_EFORMAT;
    if (c <= prev && !lax)
      return AYIL_ENOTCANON;
    prev = c;
    v->u |= (uint64_t)1 << c;
  }
  return 0;
}

/* One value of field f (its month when month is 1) into *v. */
static int read_value(ayil_mp_t *r, const ayil_field_t *f, int month, int lax,
                      ayil_hval_t *v) {
  int rc, b = 0;

  v->present = 1;
  if (month)
    return read_str(r, f, 1, v);
  switch (f->type) {
  case AYIL_FT_CODE:
  case AYIL_FT_CASE:
    return read_str(r, f, 0, v);
  case AYIL_FT_CODES:
    return read_codes(r, f, lax, v);
  case AYIL_FT_BOOL:
    rc = ayil_mp_bool(r, &b);
    v->u = (uint64_t)b;
    return rc;
  case AYIL_FT_COUNT:
    return ayil_mp_uint(r, AYIL_COUNT_MAX, &v->u);
  default:
    return AYIL_EFORMAT; /* a class-I field has no header value */
  }
}

/* The field of k stored under header key (p, n); *month 1 when it is the
 * month key of a date field. */
static int field_of(const ayil_kind_t *k, uint32_t want, const uint8_t *p,
                    size_t n, int *month) {
  size_t i;

  for (i = 0; i < k->nfields; i++) {
    const ayil_field_t *f = &k->fields[i];
    if (!(want & ((uint32_t)1 << i)))
      continue;
    if (f->hkey != NULL && f->hkey[0] == p[0] && str_is(p, n, f->hkey)) {
      *month = 0;
      return (int)i;
    }
    if (f->month_key != NULL && f->month_key[0] == p[0] &&
        str_is(p, n, f->month_key)) {
      *month = 1;
      return (int)i;
    }
  }
  return -1;
}

/* Pass 1 over a header: its keys in canonical order, where each value
 * starts, and the kind and month strings. */
typedef struct {
  const uint8_t *key[KEYS_MAX], *val[KEYS_MAX];
  size_t keyn[KEYS_MAX], n;
  const uint8_t *kind, *month;
  size_t kindn, monthn;
} scan_t;

static int scan(const uint8_t *buf, size_t len, scan_t *s) {
  ayil_mp_map_it_t it;
  const uint8_t *k;
  size_t kn;
  int rc;

  s->n = 0;
  s->kind = s->month = NULL;
  s->kindn = s->monthn = 0;
  if (len > AYIL_HEADER_MAX)
    return AYIL_ETOOBIG;
  if ((rc = ayil_mp_map_begin(&it, buf, len, MAP_KEYS_MAX, KEY_MAX)) != 0)
    return rc == AYIL_ETOOBIG ? AYIL_EFORMAT : rc;
  while ((rc = ayil_mp_map_next(&it, &k, &kn)) == 1) {
    if (s->n < KEYS_MAX) {
      s->key[s->n] = k;
      s->keyn[s->n] = kn;
      s->val[s->n] = it.r.p;
    }
    s->n++;
    if (str_is(k, kn, "kind"))
      rc = fmt(ayil_mp_str(&it.r, KEY_MAX, &s->kind, &s->kindn));
    else if (str_is(k, kn, "month"))
      rc = fmt(ayil_mp_str(&it.r, KEY_MAX, &s->month, &s->monthn));
    else
      rc = ayil_mp_skip_flat(&it.r);
    if (rc != 0)
      return fmt(rc);
  }
  return fmt(rc);
}

int ayil_hdr_kind_month(const uint8_t *buf, size_t len, const char **kind,
                        size_t *kindn, const char **month, size_t *monthn) {
  scan_t s;
  int rc = scan(buf, len, &s);

  if (rc != 0)
    return rc;
  if (s.kind == NULL)
    return AYIL_EFORMAT;
  *kind = (const char *)s.kind;
  *kindn = s.kindn;
  *month = (const char *)s.month;
  *monthn = s.monthn;
  return 0;
}

/* Pass 2 of a lax read with a want mask: only the wanted fields, each
 * looked up among the keys (the report wants one to three of them). */
static int read_wanted(const scan_t *s, const ayil_kind_t *k, uint32_t w,
                       ayil_mp_t *r, ayil_hdr_t *h) {
  size_t j, i;

  for (j = 0; j < k->nfields; j++) {
    const ayil_field_t *f = &k->fields[j];
    const char *key = f->hkey != NULL ? f->hkey : f->month_key;
    h->f[j].present = 0;
    if (!(w & ((uint32_t)1 << j)) || key == NULL)
      continue;
    for (i = 0; i < s->n; i++)
      if (s->key[i][0] == (uint8_t)key[0] &&
          str_is(s->key[i], s->keyn[i], key)) {
        r->p = s->val[i];
        if (read_value(r, f, f->hkey == NULL, 1, &h->f[j]) != 0)
          h->f[j].present = -1;
        break;
      }
  }
  return 0;
}

/* Where a strict read failed: the key at fault (into the input), if any. */
typedef struct {
  const uint8_t *key;
  size_t keyn;
  int value; /* 1: the key is known, its value is wrong */
} fault_t;

static int hdr_read(const uint8_t *buf, size_t len, int lax,
                    const uint32_t *want, ayil_hdr_t *h, fault_t *fault) {
  ayil_mp_t r;
  scan_t s;
  size_t i, nk;
  uint32_t w = UINT32_MAX;
  int rc, idx, month;

  h->kind = NULL;
  h->month = -1;
  if ((rc = scan(buf, len, &s)) != 0)
    return rc;
  nk = ayil_schema_nkinds();
  for (i = 0; s.kind != NULL && h->kind == NULL && i < nk; i++) {
    const ayil_kind_t *k = ayil_schema_kind_at(i);
    if (k->name[0] == s.kind[0] && str_is(s.kind, s.kindn, k->name)) {
      h->kind = k;
      if (want != NULL)
        w = want[i];
    }
  }
  h->month =
      s.month != NULL ? ayil_month_parse((const char *)s.month, s.monthn) : -1;
  if (h->kind == NULL || h->kind->nfields > AYIL_HDR_FIELDS_MAX ||
      s.n > KEYS_MAX)
    return AYIL_EFORMAT;
  r.end = buf + len;
  if (want != NULL)
    return read_wanted(&s, h->kind, w, &r, h);
  memset(h->f, 0, h->kind->nfields * sizeof(h->f[0]));
  /* Pass 2: each value, typed by its field. */
  for (i = 0; i < s.n; i++) {
    if (str_is(s.key[i], s.keyn[i], "kind"))
      continue;
    if ((idx = field_of(h->kind, w, s.key[i], s.keyn[i], &month)) < 0) {
      if (lax)
        continue;
      if (fault != NULL) {
        fault->key = s.key[i];
        fault->keyn = s.keyn[i];
      }
      return AYIL_EFORMAT;
    }
    r.p = s.val[i];
    rc = read_value(&r, &h->kind->fields[idx], month, lax, &h->f[idx]);
    if (rc != 0 && !lax) {
      if (fault != NULL) {
        fault->key = s.key[i];
        fault->keyn = s.keyn[i];
        fault->value = 1;
      }
      return rc;
    }
    if (rc != 0)
      h->f[idx].present = -1;
  }
  return 0;
}

int ayil_hdr_read(const uint8_t *buf, size_t len, ayil_hdr_t *h) {
  return hdr_read(buf, len, 0, NULL, h, NULL);
}

int ayil_hdr_read_lax(const uint8_t *buf, size_t len, const uint32_t *want,
                      ayil_hdr_t *h) {
  return hdr_read(buf, len, 1, want, h, NULL);
}

/* The schema field whose RECORDS.md name or header key is (p, n), in any
 * kind; NULL if none. */
static const ayil_field_t *schema_field(const uint8_t *p, size_t n) {
  size_t i, j;
  for (i = 0; i < ayil_schema_nkinds(); i++) {
    const ayil_kind_t *k = ayil_schema_kind_at(i);
    for (j = 0; j < k->nfields; j++) {
      const ayil_field_t *f = &k->fields[j];
      if (str_is(p, n, f->name) || (f->hkey != NULL && str_is(p, n, f->hkey)) ||
          (f->month_key != NULL && str_is(p, n, f->month_key)))
        return f;
    }
  }
  return NULL;
}

/* Appends the strings of a NULL-terminated list to why (truncated). */
static void say(char *why, size_t cap, const char *const *parts) {
  size_t n = 0, i, j;
  for (i = 0; parts[i] != NULL; i++)
    for (j = 0; parts[i][j] != '\0' && n + 1 < cap; j++)
      why[n++] = parts[i][j];
  why[n] = '\0';
}

int ayil_hdr_check(const uint8_t *buf, size_t len, char *why, size_t cap) {
  ayil_hdr_t h;
  fault_t fault = {NULL, 0, 0};
  const ayil_field_t *f;
  const char *kind;
  int rc = hdr_read(buf, len, 0, NULL, &h, &fault);
  if (rc == 0 || why == NULL || cap == 0)
    return rc;
  /* Only names the schema knows are written out: a key or value from the
   * peer may itself be identifying. */
  f = fault.key != NULL ? schema_field(fault.key, fault.keyn) : NULL;
  kind = h.kind != NULL ? h.kind->name : "";
  if (h.kind == NULL) {
    const char *const m[] = {"a header of no known record kind", NULL};
    say(why, cap, m);
  } else if (f != NULL && fault.value) {
    const char *const m[] = {"field ",
                             f->name,
                             " of a ",
                             kind,
                             " header: not a value of type ",
                             ayil_ftype_name(f->type),
                             f->codes != NULL ? " from its code list" : "",
                             NULL};
    say(why, cap, m);
  } else if (f != NULL && f->cls == AYIL_CLASS_I) {
    const char *const m[] = {"identifying field ",
                             f->name,
                             " in a ",
                             kind,
                             " header (it belongs in the sealed body)",
                             NULL};
    say(why, cap, m);
  } else if (f != NULL) {
    const char *const m[] = {"field ", f->name, " is not a header field of a ",
                             kind, NULL};
    say(why, cap, m);
  } else if (fault.key != NULL) {
    const char *const m[] = {"a key unknown to the schema in a ", kind,
                             " header", NULL};
    say(why, cap, m);
  } else {
    const char *const m[] = {
        "a ", kind, " header not in canonical form (", ayil_strerror(rc),
        ")",  NULL};
    say(why, cap, m);
  }
  return rc;
}

const ayil_hval_t *ayil_hdr_get(const ayil_hdr_t *h, const char *name) {
  size_t i;

  if (h == NULL || h->kind == NULL || name == NULL)
    return NULL;
  for (i = 0; i < h->kind->nfields; i++)
    if (strcmp(h->kind->fields[i].name, name) == 0)
      return h->f[i].present == 1 ? &h->f[i] : NULL;
  return NULL;
}

/* A node id in its text form (AYIL_ID_TEXT - 1 chars) into raw bytes. */
static int read_id(ayil_mp_t *r, uint8_t id[AYIL_ID_BYTES]) {
  char text[AYIL_ID_TEXT];
  const uint8_t *p;
  size_t n;
  int rc = fmt(ayil_mp_str(r, KEY_MAX, &p, &n));

  if (rc != 0)
    return rc;
  if (n != AYIL_ID_TEXT - 1)
    return AYIL_EFORMAT;
  memcpy(text, p, n);
  text[n] = '\0';
  return ayil_id_from_text(text, id) == 0 ? 0 : AYIL_EFORMAT;
}

int ayil_hdr_notice(const uint8_t *buf, size_t len, ayil_notice_t *out) {
  static const char *const actions[] = {"admit", "revoke", "replace"};
  ayil_mp_map_it_t it;
  const uint8_t *k, *p;
  size_t kn, n, i;
  int rc, has_kind = 0;

  memset(out, 0, sizeof *out);
  out->action = -1;
  if (len > AYIL_HEADER_MAX)
    return AYIL_ETOOBIG;
  if ((rc = ayil_mp_map_begin(&it, buf, len, 4, KEY_MAX)) != 0)
    return rc == AYIL_ETOOBIG ? AYIL_EFORMAT : rc;
  while ((rc = ayil_mp_map_next(&it, &k, &kn)) == 1) {
    if (str_is(k, kn, "action")) {
      if ((rc = fmt(ayil_mp_str(&it.r, KEY_MAX, &p, &n))) != 0)
        return rc;
      for (i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (str_is(p, n, actions[i]))
          out->action = (int)i;
      if (out->action < 0)
        return AYIL_EFORMAT;
    } else if (str_is(k, kn, "kind")) {
      if ((rc = fmt(ayil_mp_str(&it.r, KEY_MAX, &p, &n))) != 0)
        return rc;
      if (!str_is(p, n, "notice"))
        return AYIL_EFORMAT;
      has_kind = 1;
    } else if (str_is(k, kn, "node")) {
      if ((rc = read_id(&it.r, out->node)) != 0)
        return rc;
      out->has_node = 1;
    } else if (str_is(k, kn, "successor_of")) {
      if ((rc = read_id(&it.r, out->successor_of)) != 0)
        return rc;
      out->has_successor_of = 1;
    } else {
      return AYIL_EFORMAT;
    }
  }
  if (rc != 0)
    return fmt(rc);
  if (!has_kind || !out->has_node || out->action < 0 ||
      (out->has_successor_of && out->action != AYIL_NOTICE_ADMIT))
    return AYIL_EFORMAT;
  return 0;
}

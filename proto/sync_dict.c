/*
 * Compact record headers on the sync wire (PROTOCOL.md, "Sync", compact
 * headers).
 *
 * A record header is a canonical msgpack map of string keys and values
 * (node/record.c): some 120 bytes for an appeal, most of them names that
 * both ends already hold in the dictionary of include/ayil/schema.h. On
 * the wire it travels as
 *
 *   [kind, month, optional, value, value, ...]
 *
 * with every name and code a small integer of that dictionary (a dozen
 * bytes), and the receiver rebuilds the canonical bytes exactly, so the
 * signed entry is unchanged. The dictionary of a code-list version is
 * fixed for good: later versions only append kinds, fields and codes, so
 * an index means the same thing forever. Whatever the dictionary cannot
 * express exactly (an unknown version, kind, key or code, a notice, bytes
 * in another form) goes raw; the encoder proves each compact form by
 * rebuilding it before it is used.
 *
 * No allocation, no I/O; decoding treats its input as hostile.
 */
#include <string.h>

#include "ayil/header.h"
#include "ayil/schema.h"
#include "sync_int.h"

/* Code-list version 1 is the dictionary of schema.c as it stands. A later
 * version appends to those tables; before it does, the v1 limits (kinds,
 * slots per kind, codes per field) must be frozen here, so that a v1 entry
 * is never written with a v2 index. */
_Static_assert(AYIL_CODES_VERSION == 1,
               "freeze the v1 dictionary limits in sync_dict.c first");

#define SLOTS_MAX 16 /* header keys of one kind besides kind and month */
#define OPT_MAX 16   /* optional ones among them */
#define CODES_MAX 64 /* codes of one list: a codes value is a bitmask */
#define MONTH_MAX                                                              \
  ((uint64_t)(AYIL_DATE_MAX_YEAR - AYIL_DATE_MIN_YEAR) * 12 + 11)

enum { T_CODE = 1, T_CODES, T_BOOL, T_COUNT, T_CASE, T_MONTH };

/* One header key of a kind, besides kind and month, in schema order. */
typedef struct {
  const char *key;
  int type;
  int required;
  const ayil_field_t *f;
} dslot_t;

typedef struct {
  const ayil_kind_t *k;
  uint64_t idx; /* its index: the kind on the wire */
  dslot_t s[SLOTS_MAX];
  size_t n, nopt;
} dkind_t;

/* One value: a number (index, bitmask, count, month, bool) or a case id. */
typedef struct {
  int present;
  uint64_t v;
  uint8_t id[AYIL_RECID_BYTES];
} dval_t;

/* The header keys of kind `i` of version `codes`: its class-A fields and
 * the months of its dates other than `month`. 0 or AYIL_EFORMAT. */
static int dict_kind(uint32_t codes, uint64_t i, dkind_t *d) {
  size_t j;
  if (codes != 1 || i >= ayil_schema_nkinds())
    return AYIL_EFORMAT;
  memset(d, 0, sizeof *d);
  d->k = ayil_schema_kind_at((size_t)i);
  d->idx = i;
  for (j = 0; j < d->k->nfields; j++) {
    const ayil_field_t *f = &d->k->fields[j];
    dslot_t *s = &d->s[d->n];
    if (f->type == AYIL_FT_DATE && f->month_key != NULL &&
        strcmp(f->month_key, "month") != 0) {
      s->key = f->month_key;
      s->type = T_MONTH;
    } else if (f->cls == AYIL_CLASS_A && f->hkey != NULL) {
      s->key = f->hkey;
      switch (f->type) {
      case AYIL_FT_CODE:
        s->type = f->ncodes > 0 ? T_CODE : 0;
        break;
      case AYIL_FT_CODES:
        s->type = f->ncodes > 0 && f->ncodes <= CODES_MAX ? T_CODES : 0;
        break;
      case AYIL_FT_BOOL:
        s->type = T_BOOL;
        break;
      case AYIL_FT_COUNT:
        s->type = T_COUNT;
        break;
      case AYIL_FT_CASE:
        s->type = T_CASE;
        break;
      default:
        s->type = 0;
      }
      if (s->type == 0)
        return AYIL_EFORMAT; /* a type the dictionary does not cover */
    } else {
      continue;
    }
    s->required = f->required;
    s->f = f;
    if (!s->required)
      d->nopt++;
    if (++d->n > SLOTS_MAX || d->nopt > OPT_MAX)
      return AYIL_EFORMAT;
  }
  return 0;
}

/* ---- rebuilding the canonical header ---------------------------------- */

static void pack_cstr(msgpack_packer *pk, const char *s) {
  size_t n = strlen(s);
  msgpack_pack_str(pk, n);
  msgpack_pack_str_body(pk, s, n);
}

/* Months since 1900-01 (at most MONTH_MAX) as "YYYY-MM". */
static void pack_month(msgpack_packer *pk, uint64_t m) {
  unsigned y = (unsigned)(AYIL_DATE_MIN_YEAR + m / 12);
  unsigned mo = (unsigned)(m % 12 + 1);
  char t[8];
  t[0] = (char)('0' + y / 1000);
  t[1] = (char)('0' + y / 100 % 10);
  t[2] = (char)('0' + y / 10 % 10);
  t[3] = (char)('0' + y % 10);
  t[4] = '-';
  t[5] = (char)('0' + mo / 10);
  t[6] = (char)('0' + mo % 10);
  t[7] = 0;
  pack_cstr(pk, t);
}

static void pack_value(msgpack_packer *pk, const dslot_t *s, const dval_t *v) {
  static const char hex[] = "0123456789abcdef";
  char t[2 * AYIL_RECID_BYTES + 1];
  size_t i, n = 0;
  switch (s->type) {
  case T_CODE:
    pack_cstr(pk, s->f->codes[v->v]);
    break;
  case T_CODES:
    for (i = 0; i < s->f->ncodes; i++)
      n += (v->v >> i) & 1;
    msgpack_pack_array(pk, n);
    for (i = 0; i < s->f->ncodes; i++)
      if ((v->v >> i) & 1)
        pack_cstr(pk, s->f->codes[i]);
    break;
  case T_BOOL:
    if (v->v)
      msgpack_pack_true(pk);
    else
      msgpack_pack_false(pk);
    break;
  case T_COUNT:
    msgpack_pack_uint64(pk, v->v);
    break;
  case T_CASE:
    for (i = 0; i < AYIL_RECID_BYTES; i++) {
      t[2 * i] = hex[v->id[i] >> 4];
      t[2 * i + 1] = hex[v->id[i] & 15];
    }
    t[2 * AYIL_RECID_BYTES] = 0;
    pack_cstr(pk, t);
    break;
  default: /* T_MONTH */
    pack_month(pk, v->v);
  }
}

/* The canonical map: keys sorted bytewise (node/record.c), so the bytes
 * are the ones the origin signed. */
static int rebuild(const dkind_t *d, uint64_t month, const dval_t *v,
                   uint8_t *out, size_t cap, size_t *olen) {
  const char *keys[SLOTS_MAX + 2];
  int idx[SLOTS_MAX + 2];
  size_t i, j, n = 0;
  ayil_mp_wbuf_t w;

  keys[n] = "kind";
  idx[n++] = -1;
  keys[n] = "month";
  idx[n++] = -2;
  for (i = 0; i < d->n; i++)
    if (v[i].present) {
      keys[n] = d->s[i].key;
      idx[n++] = (int)i;
    }
  for (i = 1; i < n; i++) { /* insertion sort: a dozen keys at most */
    const char *k = keys[i];
    int x = idx[i];
    for (j = i; j > 0 && strcmp(keys[j - 1], k) > 0; j--) {
      keys[j] = keys[j - 1];
      idx[j] = idx[j - 1];
    }
    keys[j] = k;
    idx[j] = x;
  }
  for (i = 1; i < n; i++)
    if (strcmp(keys[i - 1], keys[i]) == 0)
      return AYIL_EFORMAT; /* a field keyed like kind or month */
  ayil_mp_wbuf_init(&w, out, cap);
  msgpack_pack_map(&w.pk, n);
  for (i = 0; i < n; i++) {
    pack_cstr(&w.pk, keys[i]);
    if (idx[i] == -1)
      pack_cstr(&w.pk, d->k->name);
    else if (idx[i] == -2)
      pack_month(&w.pk, month);
    else
      pack_value(&w.pk, &d->s[idx[i]], &v[idx[i]]);
  }
  if (w.overflow)
    return AYIL_EFORMAT;
  *olen = w.len;
  return 0;
}

/* ---- decoding ---------------------------------------------------------- */

static int read_value(ayil_mp_t *r, const dslot_t *s, dval_t *v) {
  const uint8_t *p = NULL;
  int b = 0, rc;
  v->present = 1;
  switch (s->type) {
  case T_CODE:
    return ayil_mp_uint(r, s->f->ncodes - 1, &v->v);
  case T_CODES:
    /* A bitmask of the list, lowest bit first: never empty. */
    rc = ayil_mp_uint(
        r, s->f->ncodes == 64 ? UINT64_MAX : (UINT64_C(1) << s->f->ncodes) - 1,
        &v->v);
    return rc == 0 && v->v == 0 ? AYIL_EFORMAT : rc;
  case T_BOOL:
    rc = ayil_mp_bool(r, &b);
    v->v = (uint64_t)b;
    return rc;
  case T_COUNT:
    return ayil_mp_uint(r, AYIL_COUNT_MAX, &v->v);
  case T_CASE:
    rc = ayil_mp_bin_n(r, AYIL_RECID_BYTES, &p);
    if (rc == 0)
      memcpy(v->id, p, AYIL_RECID_BYTES);
    return rc;
  default: /* T_MONTH */
    return ayil_mp_uint(r, MONTH_MAX, &v->v);
  }
}

static int popcount(uint64_t x) {
  int n = 0;
  for (; x != 0; x &= x - 1)
    n++;
  return n;
}

int ayil__dict_decode(ayil_mp_t *r, uint32_t codes, uint8_t *out, size_t cap,
                      size_t *olen) {
  dkind_t d;
  dval_t v[SLOTS_MAX];
  uint64_t kind = 0, month = 0, opt = 0;
  size_t n = 0, i, nreq, o = 0;
  int rc;

  rc = ayil_mp_array(r, &n);
  if (rc == 0 && n < 3)
    rc = AYIL_EFORMAT;
  if (rc == 0)
    rc = ayil_mp_uint(r, UINT32_MAX, &kind);
  if (rc == 0)
    rc = dict_kind(codes, kind, &d);
  if (rc == 0)
    rc = ayil_mp_uint(r, MONTH_MAX, &month);
  if (rc == 0)
    rc = ayil_mp_uint(r, (UINT64_C(1) << d.nopt) - 1, &opt);
  if (rc != 0)
    return rc;
  nreq = d.n - d.nopt;
  if (n != 3 + nreq + (size_t)popcount(opt))
    return AYIL_EFORMAT;
  memset(v, 0, sizeof v);
  for (i = 0; i < d.n; i++) {
    if (!d.s[i].required && !((opt >> o++) & 1))
      continue;
    rc = read_value(r, &d.s[i], &v[i]);
    if (rc != 0)
      return rc;
  }
  return rebuild(&d, month, v, out, cap, olen);
}

/* ---- encoding ---------------------------------------------------------- */

static int hexval(uint8_t c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1; /* uppercase too: the rebuilt text is lowercase */
}

/* The raw header as the dictionary's kind, month and slot values, read
 * through the typed header view (include/ayil/header.h): 1, or 0 when it
 * is not a header the dictionary covers (then it goes raw). */
static int parse_raw(uint32_t codes, const uint8_t *hdr, size_t len, dkind_t *d,
                     uint64_t *month, dval_t *v) {
  ayil_hdr_t h;
  size_t i, j;

  if (ayil_hdr_read(hdr, len, &h) != 0 || h.month < 0 ||
      dict_kind(codes, (uint64_t)(h.kind - ayil_schema_kind_at(0)), d) != 0)
    return 0;
  *month = (uint64_t)(h.month - AYIL_DATE_MIN_YEAR * 12);
  memset(v, 0, SLOTS_MAX * sizeof *v);
  for (j = 0; j < d->n; j++) {
    const ayil_hval_t *x = &h.f[d->s[j].f - d->k->fields];
    if (x->present != 1) {
      if (d->s[j].required)
        return 0;
      continue;
    }
    v[j].present = 1;
    v[j].v = x->u;
    if (d->s[j].type == T_MONTH) {
      v[j].v = x->u - (uint64_t)AYIL_DATE_MIN_YEAR * 12;
    } else if (d->s[j].type == T_CASE) {
      for (i = 0; i < AYIL_RECID_BYTES; i++)
        v[j].id[i] = (uint8_t)(hexval((uint8_t)x->s[2 * i]) << 4 |
                               hexval((uint8_t)x->s[2 * i + 1]));
    }
  }
  return 1;
}

int ayil__dict_encode(uint32_t codes, const uint8_t *hdr, size_t len,
                      uint8_t *out, size_t cap, size_t *olen) {
  uint8_t back[AYIL_HEADER_MAX];
  dkind_t d;
  dval_t v[SLOTS_MAX];
  uint64_t month = 0, opt = 0;
  size_t i, o = 0, n = 0, blen = 0;
  ayil_mp_wbuf_t w;
  ayil_mp_t r;

  if (hdr == NULL || len > sizeof back ||
      !parse_raw(codes, hdr, len, &d, &month, v))
    return 0;
  for (i = 0; i < d.n; i++) {
    if (!d.s[i].required) {
      if (v[i].present)
        opt |= UINT64_C(1) << o;
      o++;
    }
    n += v[i].present;
  }
  ayil_mp_wbuf_init(&w, out, cap);
  msgpack_pack_array(&w.pk, 3 + n);
  msgpack_pack_uint64(&w.pk, d.idx);
  msgpack_pack_uint64(&w.pk, month);
  msgpack_pack_uint64(&w.pk, opt);
  for (i = 0; i < d.n; i++) {
    if (!v[i].present)
      continue;
    switch (d.s[i].type) {
    case T_BOOL:
      if (v[i].v)
        msgpack_pack_true(&w.pk);
      else
        msgpack_pack_false(&w.pk);
      break;
    case T_CASE:
      ayil_mp_pack_bin(&w.pk, v[i].id, AYIL_RECID_BYTES);
      break;
    default:
      msgpack_pack_uint64(&w.pk, v[i].v);
    }
  }
  if (w.overflow)
    return 0;
  /* The proof: the receiver's decoder must give back these very bytes. */
  r.p = out;
  r.end = out + w.len;
  if (ayil__dict_decode(&r, codes, back, len, &blen) != 0 ||
      ayil_mp_done(&r) != 0 || blen != len || memcmp(back, hdr, len) != 0)
    return 0;
  *olen = w.len;
  return 1;
}

/*
 * The report engine (see report.h): counting record headers into the
 * indicators of RECORDS.md, by the rows of the indicator table
 * (include/ayil/indicators.h, compiled here against the schema). The table
 * of cells with its small-cell suppression is in report_tab.c, the five
 * output forms in report_out.c (labels from po/ayil), what they share in
 * report_int.h.
 *
 * Counting is the hot path (a hub counts about a million headers for one
 * report): a committee is found through a hash table (with a one-entry
 * cache, since a caller usually passes one committee's records in a row),
 * each committee holds its counters in an array indexed by column, and a
 * record is parsed by the rows of its kind into a small delta on the stack
 * before it is applied, so nothing is allocated per record and a rejected
 * record leaves no trace.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ayil/header.h"
#include "ayil/schema.h"
#include "record.h"
#include "report_int.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the report ---- */

static int month_parse(const char *s) {
  return s != NULL ? ayil_month_parse(s, strlen(s)) : -1;
}

/* The index of oblast s in RECORDS.md order, or -1: through r's copy of
 * the schema's pointers, trying first the oblast found last, since a
 * report asks once per header and headers come committee by committee. */
static int oblast_index(ayil_report_t *r, const char *s) {
  size_t i;

  if (s == NULL)
    return -1;
  if (strcmp(s, r->obl[r->last_obl]) == 0)
    return (int)r->last_obl;
  for (i = 0; i < r->nobl; i++)
    if (strcmp(s, r->obl[i]) == 0) {
      r->last_obl = i;
      return (int)i;
    }
  return -1;
}

static int ind_compile(ayil_report_t *r);

int ayil_report_new(ayil_report_t **out, const char *from_month,
                    const char *to_month, const char *oblast_filter) {
  ayil_report_t *r;
  int from = 0, to = INT32_MAX, ob = -1;
  size_t i;

  if (out == NULL)
    return AYIL_EINVAL;
  if (from_month != NULL && (from = month_parse(from_month)) < 0)
    return AYIL_EINVAL;
  if (to_month != NULL && (to = month_parse(to_month)) < 0)
    return AYIL_EINVAL;
  if (from > to)
    return AYIL_EINVAL;
  r = calloc(1, sizeof(*r));
  if (r == NULL)
    return AYIL_ENOMEM;
  r->nobl = ayil_schema_noblasts();
  for (i = 0; i < r->nobl && i < N(r->obl); i++)
    r->obl[i] = ayil_schema_oblast_at(i);
  if (r->nobl == 0 || r->nobl > N(r->obl) || ind_compile(r) != 0 ||
      (oblast_filter != NULL && (ob = oblast_index(r, oblast_filter)) < 0)) {
    free(r);
    return AYIL_EINVAL;
  }
  r->from = from;
  r->to = to;
  if (from_month != NULL)
    memcpy(r->from_s, from_month, 8);
  if (to_month != NULL)
    memcpy(r->to_s, to_month, 8);
  r->oblast = ob;
  *out = r;
  return 0;
}

void ayil_report_free(ayil_report_t *r) {
  size_t i;

  if (r == NULL)
    return;
  for (i = 0; i < r->ncom; i++) {
    free(r->com[i].name);
    free(r->com[i].c);
    free(r->com[i].days);
  }
  free(r->com);
  free(r->own_name);
  free(r->ht);
  free(r->days_vals);
  free(r);
}

/* FNV-1a over the name, then the oblast. */
static uint32_t com_hash(const char *name, int oblast) {
  uint32_t h = 2166136261u;

  for (; *name != '\0'; name++)
    h = (h ^ (unsigned char)*name) * 16777619u;
  return (h ^ (uint32_t)oblast) * 16777619u;
}

static int ht_grow(ayil_report_t *r) {
  size_t cap = r->htcap ? r->htcap * 2 : 64, i, j;
  uint32_t *ht = calloc(cap, sizeof(*ht));

  if (ht == NULL)
    return AYIL_ENOMEM;
  for (i = 0; i < r->ncom; i++) {
    j = r->com[i].hash & (cap - 1);
    while (ht[j] != 0)
      j = (j + 1) & (cap - 1);
    ht[j] = (uint32_t)(i + 1);
  }
  free(r->ht);
  r->ht = ht;
  r->htcap = cap;
  return 0;
}

/* Finds or adds the committee; *idx is its index in r->com. */
static int committee_get(ayil_report_t *r, const char *name, int oblast,
                         size_t *idx) {
  uint32_t h;
  size_t j;
  committee_t *c;
  int rc;

  if (r->ncom > 0 && r->com[r->last].oblast == oblast &&
      strcmp(r->com[r->last].name, name) == 0) {
    *idx = r->last;
    return 0;
  }
  h = com_hash(name, oblast);
  if (r->htcap > 0) {
    j = h & (r->htcap - 1);
    while (r->ht[j] != 0) {
      c = &r->com[r->ht[j] - 1];
      if (c->hash == h && c->oblast == oblast && strcmp(c->name, name) == 0) {
        *idx = r->last = r->ht[j] - 1;
        return 0;
      }
      j = (j + 1) & (r->htcap - 1);
    }
  }
  if (r->ncom >= UINT32_MAX - 1)
    return AYIL_ENOMEM;
  if ((r->ncom + 1) * 2 > r->htcap) {
    rc = ht_grow(r);
    if (rc != 0)
      return rc;
  }
  if (r->ncom == r->capcom) {
    size_t cap = r->capcom ? r->capcom * 2 : 16;
    committee_t *nc = realloc(r->com, cap * sizeof(*nc));
    if (nc == NULL)
      return AYIL_ENOMEM;
    r->com = nc;
    r->capcom = cap;
  }
  c = &r->com[r->ncom];
  memset(c, 0, sizeof(*c));
  c->name = strdup(name);
  c->c = calloc(r->nfix, sizeof(*c->c));
  if (c->name == NULL || c->c == NULL) {
    free(c->name);
    free(c->c);
    return AYIL_ENOMEM;
  }
  c->oblast = oblast;
  c->hash = h;
  j = h & (r->htcap - 1);
  while (r->ht[j] != 0)
    j = (j + 1) & (r->htcap - 1);
  r->ht[j] = (uint32_t)(r->ncom + 1);
  *idx = r->last = r->ncom++;
  return 0;
}

/* The committee's slot (*idx), or *idx = SIZE_MAX for a committee that the
 * oblast filter leaves out. */
static int committee_slot(ayil_report_t *r, const char *committee_name,
                          const char *oblast, size_t *idx) {
  int ob;
  *idx = SIZE_MAX;
  if (r == NULL || committee_name == NULL || committee_name[0] == '\0')
    return AYIL_EINVAL;
  ob = oblast_index(r, oblast);
  if (ob < 0)
    return AYIL_EINVAL;
  if (r->oblast >= 0 && ob != r->oblast)
    return 0;
  return committee_get(r, committee_name, ob, idx);
}

int ayil_report_add_committee(ayil_report_t *r, const char *committee_name,
                              const char *oblast) {
  size_t idx;
  return committee_slot(r, committee_name, oblast, &idx);
}

int ayil_report_set_own(ayil_report_t *r, const char *committee_name,
                        const char *oblast) {
  size_t idx;
  int rc = committee_slot(r, committee_name, oblast, &idx);

  if (rc != 0)
    return rc;
  if (r->ncom > 1 || r->own)
    return AYIL_EINVAL; /* another committee is there */
  r->own_name = strdup(committee_name);
  if (r->own_name == NULL)
    return AYIL_ENOMEM;
  r->own = 1; /* with no committee when the oblast filter left it out */
  return 0;
}

int ayil_report_note_contact(ayil_report_t *r, const char *committee_name,
                             const char *oblast, int64_t last_word) {
  size_t idx;
  int rc = committee_slot(r, committee_name, oblast, &idx);

  if (rc == 0 && idx != SIZE_MAX) {
    committee_t *c = &r->com[idx];
    if (!c->noted || last_word > c->last_word)
      c->last_word = last_word;
    c->noted = 1;
  }
  return rc;
}

int ayil_report_note_rollback(ayil_report_t *r, const char *committee_name,
                              const char *oblast, int64_t entries) {
  size_t idx;
  int rc;
  if (entries < 0)
    return AYIL_EINVAL;
  rc = committee_slot(r, committee_name, oblast, &idx);
  if (rc == 0 && idx != SIZE_MAX)
    r->com[idx].rolled_back += entries;
  return rc;
}

/* What one record adds: at most 12 fixed counters and one days cell. */
typedef struct delta_s {
  int n;
  int ind[12];
  int64_t val[12];
  int has_days;
  int64_t days, days_part;
} delta_t;

static void d_add(delta_t *d, int ind, int64_t v) {
  assert(d->n < (int)N(d->ind));
  d->ind[d->n] = ind;
  d->val[d->n] = v;
  d->n++;
}

/* ---- the indicator table, compiled ---- */

/* The first column of the row named `name`, or -1. */
static int col_of(const ayil_report_t *r, const char *name) {
  size_t i;

  for (i = 0; name != NULL && i < r->nind; i++)
    if (strcmp(r->ind[i].def->name, name) == 0)
      return r->ind[i].col;
  return -1;
}

#define T(type) (1u << (type))

/* The position of the header field `name` of kind k (the kx-th), which
 * must be of one of the types in the mask `types` (T(AYIL_FT_*)), marked
 * as read; or -1. */
static int want_field(ayil_report_t *r, size_t kx, const ayil_kind_t *k,
                      const char *name, unsigned types) {
  const ayil_field_t *f = ayil_kind_field(k, name);
  int pos;

  if (f == NULL || !(types & T(f->type)) ||
      (f->type != AYIL_FT_DATE && f->cls != AYIL_CLASS_A))
    return -1;
  pos = (int)(f - k->fields);
  r->want[kx] |= (uint32_t)1 << pos;
  return pos;
}

/*
 * Compiles the indicator table against the schema into r: its columns,
 * field positions and code bits, the rows of each kind and the fields the
 * header reader must read. AYIL_EINVAL when the table names what the
 * schema lacks (tests/unit/test_indicators.c checks that it does not).
 */
static int ind_compile(ayil_report_t *r) {
  const ayil_kind_t *k0 = ayil_schema_kind_at(0);
  unsigned char krow[IND_KIND_MAX][IND_PER_KIND];
  size_t i, j, col = 0;
  int nbycount = 0;

  r->kind0 = k0;
  if (ayil_indicators_n() > IND_MAX || ayil_schema_nkinds() > IND_KIND_MAX)
    return AYIL_EINVAL;
  for (i = 0; i < ayil_indicators_n(); i++) {
    const ayil_indicator_t *d = ayil_indicator_at(i);
    const ayil_kind_t *k = ayil_schema_kind(d->kind);
    ind_t *x = &r->ind[i];
    size_t kx;

    if (k == NULL)
      return AYIL_EINVAL;
    kx = (size_t)(k - k0);
    if (r->nkrow[kx] >= IND_PER_KIND || k->nfields > 32)
      return AYIL_EINVAL;
    krow[kx][r->nkrow[kx]++] = (unsigned char)i;
    x->def = d;
    x->op = d->op;
    x->where = x->until = x->byx = -1;
    x->sum[0] = x->sum[1] = -1;
    if (d->where != NULL) {
      const ayil_field_t *f;
      x->where =
          want_field(r, kx, k, d->where,
                     T(AYIL_FT_BOOL) | T(AYIL_FT_CODE) | T(AYIL_FT_CODES));
      if (x->where < 0)
        return AYIL_EINVAL;
      f = &k->fields[x->where];
      x->wtype = (int)f->type;
      for (j = 0; f->codes != NULL && j < N(d->codes); j++) {
        int c = ayil_field_code_index(f, d->codes[j]);
        if (d->codes[j] != NULL && (c < 0 || c >= 64))
          return AYIL_EINVAL;
        if (c >= 0)
          x->codes |= (uint64_t)1 << c;
      }
    }
    for (j = 0; j < N(d->sum); j++)
      if (d->sum[j] != NULL &&
          (x->sum[j] = want_field(r, kx, k, d->sum[j], T(AYIL_FT_COUNT))) < 0)
        return AYIL_EINVAL;
    if (d->until != NULL &&
        (x->until = want_field(r, kx, k, d->until, T(AYIL_FT_DATE))) < 0)
      return AYIL_EINVAL;
    x->by = BY_NONE;
    x->ncol = 1;
    if (d->by != NULL) {
      x->byx =
          want_field(r, kx, k, d->by,
                     T(AYIL_FT_CODE) | T(AYIL_FT_CODES) | T(AYIL_FT_COUNT));
      if (x->byx < 0)
        return AYIL_EINVAL;
      x->byf = &k->fields[x->byx];
      x->by = x->byf->type == AYIL_FT_CODE    ? BY_CODE
              : x->byf->type == AYIL_FT_CODES ? BY_CODES
                                              : BY_COUNT;
      x->ncol = x->by == BY_COUNT ? 0 : (int)x->byf->ncodes;
      /* One row by a count at most: committee_t.days is its columns. */
      if (x->ncol > 64 || (x->by == BY_COUNT && nbycount++ > 0))
        return AYIL_EINVAL;
    }
    x->col = (int)col;
    col += (size_t)x->ncol;
  }
  r->nind = ayil_indicators_n();
  r->nfix = col;
  for (i = 0; i < r->nind; i++) {
    ind_t *x = &r->ind[i];
    x->sums_to = col_of(r, x->def->sums_to);
    x->hidden_with = col_of(r, x->def->hidden_with);
    if ((x->def->sums_to != NULL && x->sums_to < 0) ||
        (x->def->hidden_with != NULL && x->hidden_with < 0))
      return AYIL_EINVAL;
    x->plain = x->op == AYIL_IND_RECORDS && x->where < 0 && x->by == BY_NONE;
  }
  /* The rows again, grouped by kind, for parse_record(). */
  for (i = 0, col = 0; i < ayil_schema_nkinds(); i++) {
    r->kfirst[i] = (unsigned char)col;
    for (j = 0; j < r->nkrow[i]; j++)
      r->krows[col++] = r->ind[krow[i][j]];
  }
  return 0;
}

/* The value of field position pos in h, or NULL when it is absent or
 * not of its type. */
static const ayil_hval_t *fv(const ayil_hdr_t *h, int pos) {
  const ayil_hval_t *v = &h->f[pos];
  return v->present == 1 ? v : NULL;
}

/*
 * Parses one header into *d by the rows of its kind. A record counts in
 * the period (month from..to), except for AYIL_IND_ACTIVE. A record
 * lacking a field that a row it falls under reads is refused (AYIL_EINVAL),
 * in the period or not: the fields of `where` and `by`, and those of `sum`
 * where `where` holds; an `until` may be absent but not wrong.
 */
static int parse_record(const ayil_report_t *r, const ayil_hdr_t *h,
                        delta_t *d) {
  size_t kx = (size_t)(h->kind - r->kind0), j;
  int month = h->month, in, i;

  if (month < 0)
    return AYIL_EINVAL;
  in = month >= r->from && month <= r->to;
  for (j = 0; j < r->nkrow[kx]; j++) {
    const ind_t *x = &r->krows[r->kfirst[kx] + j];
    const ayil_hval_t *v, *b = NULL;
    int64_t val = x->sum[0] >= 0 ? 0 : 1;
    int match = 1;

    if (x->plain) { /* every record of the kind: the usual case */
      if (in)
        d_add(d, x->col, 1);
      continue;
    }
    if (x->where >= 0) {
      if ((v = fv(h, x->where)) == NULL)
        return AYIL_EINVAL;
      if (x->wtype == AYIL_FT_BOOL)
        match = v->u != 0;
      else if (x->wtype == AYIL_FT_CODES)
        match = (v->u & x->codes) != 0;
      else
        match = v->u < 64 && ((x->codes >> v->u) & 1) != 0;
    }
    if (x->op == AYIL_IND_ACTIVE) {
      int removed = -1;
      if (h->f[x->until].present < 0)
        return AYIL_EINVAL;
      if ((v = fv(h, x->until)) != NULL)
        removed = (int)v->u;
      /* Still on the register at the end of the period: see report.h. */
      if (month <= r->to && (removed >= 0 ? removed > r->to : match))
        d_add(d, x->col, 1);
      continue;
    }
    if (!match)
      continue;
    for (i = 0; i < 2 && x->sum[i] >= 0; i++) {
      if ((v = fv(h, x->sum[i])) == NULL)
        return AYIL_EINVAL;
      val += (int64_t)v->u;
    }
    if (x->by != BY_NONE && (b = fv(h, x->byx)) == NULL)
      return AYIL_EINVAL;
    if (!in)
      continue;
    if (b == NULL) {
      d_add(d, x->col, val);
    } else if (x->by == BY_CODE) {
      d_add(d, x->col + (int)b->u, val);
    } else if (x->by == BY_CODES) {
      uint64_t m;
      for (m = b->u; m != 0; m &= m - 1)
        d_add(d, x->col + __builtin_ctzll(m), val);
    } else {
      d->has_days = 1;
      d->days = (int64_t)b->u;
      d->days_part = val;
    }
  }
  return 0;
}

static int days_slot(ayil_report_t *r, int64_t days, size_t *slot) {
  size_t i;

  for (i = 0; i < r->ndays; i++)
    if (r->days_vals[i] == days) {
      *slot = i;
      return 0;
    }
  if (r->ndays == r->capdays) {
    size_t cap = r->capdays ? r->capdays * 2 : 8;
    int64_t *nv = realloc(r->days_vals, cap * sizeof(*nv));
    if (nv == NULL)
      return AYIL_ENOMEM;
    r->days_vals = nv;
    r->capdays = cap;
  }
  r->days_vals[r->ndays] = days;
  *slot = r->ndays++;
  return 0;
}

/* Counts a parsed header into committee (name, ob). */
static int add_hdr(ayil_report_t *r, const char *committee_name, int ob,
                   const ayil_hdr_t *h) {
  delta_t d;
  committee_t *c;
  size_t idx, slot = 0;
  int rc, i;

  d.n = 0;
  d.has_days = 0;
  d.days = d.days_part = 0;
  rc = parse_record(r, h, &d);
  if (rc != 0)
    return rc;
  rc = committee_get(r, committee_name, ob, &idx);
  if (rc != 0)
    return rc;
  c = &r->com[idx];
  if (d.has_days) {
    rc = days_slot(r, d.days, &slot);
    if (rc != 0)
      return rc;
    if (slot >= c->ndays) {
      int64_t *nd = realloc(c->days, r->ndays * sizeof(*nd));
      if (nd == NULL)
        return AYIL_ENOMEM;
      memset(nd + c->ndays, 0, (r->ndays - c->ndays) * sizeof(*nd));
      c->days = nd;
      c->ndays = r->ndays;
    }
  }
  if (h->month >= r->from && h->month <= r->to)
    c->in_period = 1;
  for (i = 0; i < d.n; i++)
    c->c[d.ind[i]] = ayil__report_add_sat(c->c[d.ind[i]], d.val[i]);
  if (d.has_days)
    c->days[slot] = ayil__report_add_sat(c->days[slot], d.days_part);
  return 0;
}

int ayil_report_add(ayil_report_t *r, const char *committee_name,
                    const char *oblast, const json_t *header) {
  uint8_t *buf = NULL;
  size_t len = 0;
  int rc;

  if (!json_is_object(header) || ayil_record_pack(header, &buf, &len) != 0)
    return AYIL_EINVAL;
  rc = ayil_report_add_packed(r, committee_name, oblast, buf, len);
  free(buf);
  return rc;
}

int ayil_report_add_packed(ayil_report_t *r, const char *committee_name,
                           const char *oblast, const uint8_t *header,
                           size_t len) {
  ayil_hdr_t h;
  int ob;

  if (r == NULL || committee_name == NULL || committee_name[0] == '\0')
    return AYIL_EINVAL;
  ob = oblast_index(r, oblast);
  if (ob < 0)
    return AYIL_EINVAL;
  if (r->oblast >= 0 && ob != r->oblast)
    return 0;
  if (header == NULL || ayil_hdr_read_lax(header, len, r->want, &h) != 0)
    return AYIL_EINVAL;
  return add_hdr(r, committee_name, ob, &h);
}

/*
 * The report engine (see report.h): counting record headers into the
 * indicators of RECORDS.md. The table of cells with its small-cell
 * suppression is in report_tab.c, the five output forms in report_out.c (labels
 * from po/ayil), what they share in report_int.h.
 *
 * Counting is the hot path (a hub counts about a million headers for one
 * report): a committee is found through a hash table (with a one-entry
 * cache, since a caller usually passes one committee's records in a row),
 * each committee holds its counters in a fixed array indexed by indicator
 * number, and a record is parsed into a small delta on the stack before it
 * is applied, so nothing is allocated per record and a rejected record
 * leaves no trace.
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

/* ---- code lists (tests check them against include/ayil/schema.h) ---- */

const char *const ayil__report_violence[] = {"physical", "psychological",
                                             "sexual", "economic", "neglect"};
const char *const ayil__report_sexes[] = {"female", "male"};
const char *const ayil__report_ages[] = {"0-11",  "12-17", "18-25",  "26-40",
                                         "41-60", "61+",   "unknown"};
const char *const ayil__report_services[] = {
    "crisis_centre", "shelter",           "police",
    "aksakal_court", "legal_aid",         "psychologist",
    "health",        "social_protection", "other"};
const char *const ayil__report_actions[] = {
    "preventive_talk",      "home_visit",        "document_restoration",
    "correctional_session", "referral_followup", "other"};

/* Oblasts in RECORDS.md order, with their macro-region (0 north, 1 south). */
const char *const ayil__report_oblasts[] = {
    "batken", "chui",  "issyk_kul", "jalal_abad", "naryn",
    "osh",    "talas", "bishkek",   "osh_city"};
const unsigned char ayil__report_oblast_region[NOBL] = {1, 0, 0, 1, 0,
                                                        1, 0, 0, 1};
const char *const ayil__report_regions[] = {"north", "south"};
_Static_assert(N(ayil__report_violence) == NVIOL &&
                   N(ayil__report_sexes) == NSEX &&
                   N(ayil__report_ages) == NAGE &&
                   N(ayil__report_services) == NSERV &&
                   N(ayil__report_actions) == NACT &&
                   N(ayil__report_oblasts) == NOBL &&
                   N(ayil__report_regions) == NREG,
               "a code list and its length in report_int.h differ");

/* ---- the report ---- */

static int month_parse(const char *s) {
  return s != NULL ? ayil_month_parse(s, strlen(s)) : -1;
}

static int code_index(const char *s, const char *const *list, int n) {
  int i;

  if (s == NULL)
    return -1;
  for (i = 0; i < n; i++)
    if (strcmp(s, list[i]) == 0)
      return i;
  return -1;
}

static int oblast_index(const char *s) {
  return code_index(s, ayil__report_oblasts, NOBL);
}

static void fx_init(ayil_report_t *r);

int ayil_report_new(ayil_report_t **out, const char *from_month,
                    const char *to_month, const char *oblast_filter) {
  ayil_report_t *r;
  int from = 0, to = INT32_MAX, ob = -1;

  if (out == NULL)
    return AYIL_EINVAL;
  if (from_month != NULL && (from = month_parse(from_month)) < 0)
    return AYIL_EINVAL;
  if (to_month != NULL && (to = month_parse(to_month)) < 0)
    return AYIL_EINVAL;
  if (from > to)
    return AYIL_EINVAL;
  if (oblast_filter != NULL && (ob = oblast_index(oblast_filter)) < 0)
    return AYIL_EINVAL;
  r = calloc(1, sizeof(*r));
  if (r == NULL)
    return AYIL_ENOMEM;
  r->from = from;
  r->to = to;
  if (from_month != NULL)
    memcpy(r->from_s, from_month, 8);
  if (to_month != NULL)
    memcpy(r->to_s, to_month, 8);
  r->oblast = ob;
  fx_init(r);
  *out = r;
  return 0;
}

void ayil_report_free(ayil_report_t *r) {
  size_t i;

  if (r == NULL)
    return;
  for (i = 0; i < r->ncom; i++) {
    free(r->com[i].name);
    free(r->com[i].days);
  }
  free(r->com);
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
  if (c->name == NULL)
    return AYIL_ENOMEM;
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
  ob = oblast_index(oblast);
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

/* What one record adds: at most 8 fixed counters and one days cell. */
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

/* The fields an indicator reads, by kind: their positions in the kind's
 * field table (include/ayil/schema.h), found once per report. */
static const struct {
  const char *kind, *field;
} FX_NAMES[] = {
    {"appeal", "violence"},
    {"appeal", "survivor_sex"},
    {"appeal", "survivor_age"},
    {"session", "violence_related"},
    {"family", "status"},
    {"family", "removed_date"},
    {"referral", "service"},
    {"aid", "kind"},
    {"aid", "amount_som"},
    {"prevention", "participants_female"},
    {"prevention", "participants_male"},
    {"training", "days"},
    {"training", "participants_female"},
    {"training", "participants_male"},
    {"followup", "action"},
};
enum {
  FX_A_VIOL,
  FX_A_SEX,
  FX_A_AGE,
  FX_S_VR,
  FX_F_STATUS,
  FX_F_REMOVED,
  FX_R_SERVICE,
  FX_AID_KIND,
  FX_AID_SOM,
  FX_P_PF,
  FX_P_PM,
  FX_T_DAYS,
  FX_T_PF,
  FX_T_PM,
  FX_FU_ACTION,
};
_Static_assert(N(FX_NAMES) == FX_N, "FX_NAMES and report_int.h's FX_N");

/* The kinds counted, in the order of report_int.h's K_*. */
static const char *const K_NAMES[] = {
    "appeal", "session",    "family",   "referral", "protection_order",
    "aid",    "prevention", "training", "followup", "closure"};
_Static_assert(N(K_NAMES) == K_N, "K_NAMES and report_int.h's K_*");

static void fx_init(ayil_report_t *r) {
  size_t i, j;

  assert(ayil_schema_nkinds() <= N(r->want));
  for (i = 0; i < N(K_NAMES); i++) {
    r->kinds[i] = ayil_schema_kind(K_NAMES[i]);
    assert(r->kinds[i] != NULL);
  }
  for (i = 0; i < N(FX_NAMES); i++) {
    const ayil_kind_t *k = ayil_schema_kind(FX_NAMES[i].kind);
    const ayil_field_t *f = ayil_kind_field(k, FX_NAMES[i].field);
    assert(f != NULL);
    j = (size_t)(f - k->fields);
    r->fx[i] = (int)j;
    r->want[k - ayil_schema_kind_at(0)] |= (uint32_t)1 << j;
  }
}

/* The value of indicator field fx in h (of the right kind), or NULL. */
static const ayil_hval_t *fv(const ayil_report_t *r, const ayil_hdr_t *h,
                             int fx) {
  const ayil_hval_t *v = &h->f[r->fx[fx]];
  return v->present == 1 ? v : NULL;
}

/* Parses one header into *d. in: the record's month is in the period. A
 * record lacking a field an indicator needs is refused (AYIL_EINVAL). */
static int parse_record(const ayil_report_t *r, const ayil_hdr_t *h,
                        delta_t *d) {
  const ayil_kind_t *kind = h->kind;
  const ayil_hval_t *v, *w, *x;
  int month = h->month;
  int in, i;

  if (month < 0)
    return AYIL_EINVAL;
  in = month >= r->from && month <= r->to;
  if (kind == r->kinds[K_APPEAL]) {
    v = fv(r, h, FX_A_VIOL);
    w = fv(r, h, FX_A_SEX);
    x = fv(r, h, FX_A_AGE);
    if (v == NULL || w == NULL || x == NULL)
      return AYIL_EINVAL;
    if (!in)
      return 0;
    d_add(d, I_APPEALS, 1);
    for (i = 0; i < NVIOL; i++)
      if (v->u & (1u << i))
        d_add(d, I_VIOL + i, 1);
    d_add(d, I_SEX + (int)w->u, 1);
    d_add(d, I_AGE + (int)x->u, 1);
  } else if (kind == r->kinds[K_SESSION]) {
    if ((v = fv(r, h, FX_S_VR)) == NULL)
      return AYIL_EINVAL;
    if (in) {
      d_add(d, I_SESSIONS, 1);
      if (v->u)
        d_add(d, I_SESSIONS_VR, 1);
    }
  } else if (kind == r->kinds[K_FAMILY]) {
    int removed = -1, st;

    if ((v = fv(r, h, FX_F_STATUS)) == NULL)
      return AYIL_EINVAL;
    st = (int)v->u;
    if (h->f[r->fx[FX_F_REMOVED]].present < 0)
      return AYIL_EINVAL;
    if ((w = fv(r, h, FX_F_REMOVED)) != NULL)
      removed = (int)w->u;
    if (in)
      d_add(d, I_FAM_REG, 1);
    /* Active at the end of the period: see report.h. */
    if (month <= r->to && ((st == 0 && (removed < 0 || removed > r->to)) ||
                           (st == 1 && removed >= 0 && removed > r->to)))
      d_add(d, I_FAM_ACTIVE, 1);
  } else if (kind == r->kinds[K_REFERRAL]) {
    if ((v = fv(r, h, FX_R_SERVICE)) == NULL)
      return AYIL_EINVAL;
    if (in) {
      d_add(d, I_REFERRALS, 1);
      d_add(d, I_REF + (int)v->u, 1);
      if (v->u == 0 || v->u == 1) /* crisis_centre, shelter */
        d_add(d, I_REF_CS, 1);
    }
  } else if (kind == r->kinds[K_PO]) {
    if (in)
      d_add(d, I_PO, 1);
  } else if (kind == r->kinds[K_AID]) {
    if ((v = fv(r, h, FX_AID_KIND)) == NULL)
      return AYIL_EINVAL;
    if (v->u == 0) { /* money */
      if ((w = fv(r, h, FX_AID_SOM)) == NULL)
        return AYIL_EINVAL;
      if (in) {
        d_add(d, I_MONEY_PEOPLE, 1);
        d_add(d, I_MONEY_SOM, (int64_t)w->u);
      }
    } else if (in) {
      d_add(d, v->u == 1 ? I_HOUSING : I_INKIND, 1);
    }
  } else if (kind == r->kinds[K_PREV]) {
    if ((v = fv(r, h, FX_P_PF)) == NULL || (w = fv(r, h, FX_P_PM)) == NULL)
      return AYIL_EINVAL;
    if (in) {
      d_add(d, I_PREV_EVENTS, 1);
      d_add(d, I_PREV_PART, (int64_t)(v->u + w->u));
    }
  } else if (kind == r->kinds[K_TRAIN]) {
    if ((x = fv(r, h, FX_T_DAYS)) == NULL || (v = fv(r, h, FX_T_PF)) == NULL ||
        (w = fv(r, h, FX_T_PM)) == NULL)
      return AYIL_EINVAL;
    if (in) {
      d_add(d, I_TRAIN_EVENTS, 1);
      d_add(d, I_TRAIN_PART, (int64_t)(v->u + w->u));
      d->has_days = 1;
      d->days = (int64_t)x->u;
      d->days_part = (int64_t)(v->u + w->u);
    }
  } else if (kind == r->kinds[K_FU]) {
    if ((v = fv(r, h, FX_FU_ACTION)) == NULL)
      return AYIL_EINVAL;
    if (in)
      d_add(d, I_FU + (int)v->u, 1);
  } else if (kind == r->kinds[K_CLOSURE]) {
    if (in)
      d_add(d, I_CLOSURES, 1);
  } /* correction: a known kind no indicator counts */
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
  ob = oblast_index(oblast);
  if (ob < 0)
    return AYIL_EINVAL;
  if (r->oblast >= 0 && ob != r->oblast)
    return 0;
  if (header == NULL || ayil_hdr_read_lax(header, len, r->want, &h) != 0)
    return AYIL_EINVAL;
  return add_hdr(r, committee_name, ob, &h);
}

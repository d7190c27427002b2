/*
 * The report engine (see report.h): counting record headers into the
 * indicators of RECORDS.md, small-cell suppression, and the five output
 * forms. Labels live in report_i18n.c.
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

#include "ayil/schema.h"
#include "report.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- code lists (tests check them against include/ayil/schema.h) ---- */

static const char *const VIOLENCE[] = {"physical", "psychological", "sexual",
                                       "economic", "neglect"};
static const char *const SEXES[] = {"female", "male"};
static const char *const AGES[] = {"0-11",  "12-17", "18-25",  "26-40",
                                   "41-60", "61+",   "unknown"};
static const char *const SERVICES[] = {
    "crisis_centre", "shelter",           "police",
    "aksakal_court", "legal_aid",         "psychologist",
    "health",        "social_protection", "other"};
static const char *const ACTIONS[] = {
    "preventive_talk",      "home_visit",        "document_restoration",
    "correctional_session", "referral_followup", "other"};
static const char *const AID_KINDS[] = {"money", "housing", "in_kind"};
static const char *const FAMILY_STATUS[] = {"active", "removed"};

/* Oblasts in RECORDS.md order, with their macro-region (0 north, 1 south). */
static const char *const OBLASTS[] = {"batken",     "chui",    "issyk_kul",
                                      "jalal_abad", "naryn",   "osh",
                                      "talas",      "bishkek", "osh_city"};
static const unsigned char OBLAST_REGION[] = {1, 0, 0, 1, 0, 1, 0, 0, 1};
static const char *const REGIONS[] = {"north", "south"};
#define NOBL ((int)N(OBLASTS))
#define NREG ((int)N(REGIONS))

#define NVIOL ((int)N(VIOLENCE))
#define NSEX ((int)N(SEXES))
#define NAGE ((int)N(AGES))
#define NSERV ((int)N(SERVICES))
#define NACT ((int)N(ACTIONS))

/* Indicator numbers: the order of RECORDS.md. The training.participants.
 * days_<n> indicators are not here: their number depends on the data, and
 * they are kept apart (committee_t.days) and placed after I_TRAIN_PART. */
enum {
  I_APPEALS,
  I_VIOL,
  I_SEX = I_VIOL + NVIOL,
  I_AGE = I_SEX + NSEX,
  I_SESSIONS = I_AGE + NAGE,
  I_SESSIONS_VR,
  I_FAM_REG,
  I_FAM_ACTIVE,
  I_REFERRALS,
  I_REF,
  I_REF_CS = I_REF + NSERV,
  I_PO,
  I_MONEY_PEOPLE,
  I_MONEY_SOM,
  I_HOUSING,
  I_INKIND,
  I_PREV_EVENTS,
  I_PREV_PART,
  I_TRAIN_EVENTS,
  I_TRAIN_PART,
  I_FU,
  I_CLOSURES = I_FU + NACT,
  NFIX
};

/* Names of the indicators that are not expanded over a code list. */
static const struct {
  int ind;
  const char *name;
} PLAIN[] = {
    {I_APPEALS, "appeals"},
    {I_SESSIONS, "sessions"},
    {I_SESSIONS_VR, "sessions.violence_related"},
    {I_FAM_REG, "families.registered"},
    {I_FAM_ACTIVE, "families.active"},
    {I_REFERRALS, "referrals"},
    {I_REF_CS, "referrals.crisis_or_shelter"},
    {I_PO, "protection_orders"},
    {I_MONEY_PEOPLE, "aid.money.people"},
    {I_MONEY_SOM, "aid.money.som"},
    {I_HOUSING, "aid.housing"},
    {I_INKIND, "aid.in_kind"},
    {I_PREV_EVENTS, "prevention.events"},
    {I_PREV_PART, "prevention.participants"},
    {I_TRAIN_EVENTS, "training.events"},
    {I_TRAIN_PART, "training.participants"},
    {I_CLOSURES, "closures"},
};

/* Indicators expanded over a code list: name prefix, label keys. */
static const struct {
  int first;
  int n;
  const char *const *codes;
  const char *prefix;   /* indicator name prefix */
  const char *grp_key;  /* label of the family */
  const char *code_pfx; /* label key prefix of its codes */
} CODED[] = {
    {I_VIOL, NVIOL, VIOLENCE, "appeals.violence.", "grp.appeals.violence",
     "code.violence."},
    {I_SEX, NSEX, SEXES, "appeals.sex.", "grp.appeals.sex", "code.sex."},
    {I_AGE, NAGE, AGES, "appeals.age.", "grp.appeals.age", "code.age."},
    {I_REF, NSERV, SERVICES, "referrals.", "grp.referrals", "code.service."},
    {I_FU, NACT, ACTIONS, "followups.", "grp.followups", "code.action."},
};

#define DAYS_PREFIX "training.participants.days_"

enum { SC_COMMITTEE, SC_OBLAST, SC_REGION, SC_TOTAL };
static const char *const SCOPES[] = {"committee", "oblast", "region", "total"};

/* ---- the report ---- */

typedef struct committee_s {
  char *name;
  int oblast;
  uint32_t hash;
  int64_t c[NFIX];
  int64_t *days; /* participants per days slot; ndays entries */
  size_t ndays;
} committee_t;

struct ayil_report_s {
  int from, to;            /* month numbers (year * 12 + month - 1) */
  char from_s[8], to_s[8]; /* "" when unbounded */
  int oblast;              /* filter, or -1 */
  committee_t *com;
  size_t ncom, capcom;
  uint32_t *ht;       /* committee index + 1; 0 is empty */
  size_t htcap;       /* power of two */
  size_t last;        /* index of the committee of the last add */
  int64_t *days_vals; /* days value of each slot, in order of appearance */
  size_t ndays, capdays;
};

static int month_parse(const char *s) {
  int y, m, i;

  if (s == NULL || strlen(s) != 7 || s[4] != '-')
    return -1;
  for (i = 0; i < 7; i++)
    if (i != 4 && (s[i] < '0' || s[i] > '9'))
      return -1;
  y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
      (s[3] - '0');
  m = (s[5] - '0') * 10 + (s[6] - '0');
  if (m < 1 || m > 12)
    return -1;
  return y * 12 + m - 1;
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
  return code_index(s, OBLASTS, NOBL);
}

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

int ayil_report_add_committee(ayil_report_t *r, const char *committee_name,
                              const char *oblast) {
  int ob;
  size_t idx;

  if (r == NULL || committee_name == NULL || committee_name[0] == '\0')
    return AYIL_EINVAL;
  ob = oblast_index(oblast);
  if (ob < 0)
    return AYIL_EINVAL;
  if (r->oblast >= 0 && ob != r->oblast)
    return 0;
  return committee_get(r, committee_name, ob, &idx);
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

/* A header reduced to the fields an indicator reads, filled from a JSON
 * object (hdr_from_json) or straight from the canonical msgpack bytes
 * (hdr_from_msgpack, the hub's fast path); parse_record() then works on
 * this alone, so both paths count alike. */
typedef struct sv_s {
  const char *p; /* NULL when absent or not a string */
  size_t n;
} sv_t;

enum { C_ABSENT, C_OK, C_BAD };

typedef struct count_s {
  int st; /* C_ABSENT (absent or null), C_OK, C_BAD (not a count) */
  int64_t v;
} count_t;

typedef struct hdr_s {
  sv_t kind, month, sex, age, status, service, aid_kind, action, rmonth;
  int rm_present; /* removed_month present and not null */
  int viol_st;    /* C_ABSENT (absent or not an array), C_OK, C_BAD */
  unsigned viol;  /* bit per VIOLENCE code */
  size_t nviol;
  int vr; /* violence_related: -1 absent or not a bool, else 0/1 */
  count_t amount, pf, pm, days;
} hdr_t;

static int month_parse_n(sv_t s) {
  char buf[8];

  if (s.p == NULL || s.n != 7)
    return -1;
  memcpy(buf, s.p, 7);
  buf[7] = '\0';
  return month_parse(buf);
}

static int code_index_n(sv_t s, const char *const *list, int n) {
  int i;

  if (s.p == NULL)
    return -1;
  for (i = 0; i < n; i++)
    if (strlen(list[i]) == s.n && memcmp(s.p, list[i], s.n) == 0)
      return i;
  return -1;
}

static sv_t j_sv(const json_t *h, const char *key) {
  const json_t *v = json_object_get(h, key);
  sv_t s = {NULL, 0};

  if (json_is_string(v)) {
    s.p = json_string_value(v);
    s.n = json_string_length(v);
  }
  return s;
}

static count_t j_count(const json_t *h, const char *key) {
  const json_t *v = json_object_get(h, key);
  count_t c = {C_ABSENT, 0};
  json_int_t x;

  if (v == NULL || json_is_null(v))
    return c;
  c.st = C_BAD;
  if (!json_is_integer(v))
    return c;
  x = json_integer_value(v);
  if (x < 0 || x > AYIL_COUNT_MAX)
    return c;
  c.st = C_OK;
  c.v = (int64_t)x;
  return c;
}

static void hdr_from_json(const json_t *h, hdr_t *o) {
  const json_t *vl = json_object_get(h, "violence");
  const json_t *rm = json_object_get(h, "removed_month");
  const json_t *vr = json_object_get(h, "violence_related");
  size_t j;

  memset(o, 0, sizeof(*o));
  o->kind = j_sv(h, "kind");
  o->month = j_sv(h, "month");
  o->sex = j_sv(h, "survivor_sex");
  o->age = j_sv(h, "survivor_age");
  o->status = j_sv(h, "status");
  o->service = j_sv(h, "service");
  o->aid_kind = j_sv(h, "aid_kind");
  o->action = j_sv(h, "action");
  o->rmonth = j_sv(h, "removed_month");
  o->rm_present = rm != NULL && !json_is_null(rm);
  o->vr = json_is_boolean(vr) ? json_is_true(vr) : -1;
  if (json_is_array(vl)) {
    o->viol_st = C_OK;
    o->nviol = json_array_size(vl);
    for (j = 0; j < o->nviol; j++) {
      const json_t *it = json_array_get(vl, j);
      sv_t c;
      int k;
      c.p = json_string_value(it);
      c.n = c.p != NULL ? json_string_length(it) : 0;
      k = code_index_n(c, VIOLENCE, NVIOL);
      if (k < 0)
        o->viol_st = C_BAD;
      else
        o->viol |= 1u << k; /* a code listed twice counts once */
    }
  }
  o->amount = j_count(h, "amount_som");
  o->pf = j_count(h, "participants_female");
  o->pm = j_count(h, "participants_male");
  o->days = j_count(h, "days");
}

/* ---- a minimal reader of header msgpack (untrusted bytes: every length
 * is checked against the end before use; nothing is allocated) ---- */

typedef struct mp_s {
  const uint8_t *p, *end;
} mp_t;

static int mp_be(mp_t *m, size_t w, uint64_t *v) {
  size_t i;

  if ((size_t)(m->end - m->p) < w)
    return -1;
  *v = 0;
  for (i = 0; i < w; i++)
    *v = (*v << 8) | m->p[i];
  m->p += w;
  return 0;
}

/* A string whose tag was read: *s points into the buffer. */
static int mp_str_body(mp_t *m, uint8_t t, sv_t *s) {
  uint64_t n;

  if (t >= 0xa0 && t <= 0xbf)
    n = t & 0x1f;
  else if (t == 0xd9 || t == 0xda || t == 0xdb) {
    if (mp_be(m, t == 0xd9 ? 1 : t == 0xda ? 2 : 4, &n) != 0)
      return -1;
  } else
    return -1;
  if ((uint64_t)(m->end - m->p) < n)
    return -1;
  s->p = (const char *)m->p;
  s->n = (size_t)n;
  m->p += n;
  return 0;
}

static int mp_tag(mp_t *m, uint8_t *t) {
  if (m->p >= m->end)
    return -1;
  *t = *m->p++;
  return 0;
}

static int mp_is_str(uint8_t t) {
  return (t >= 0xa0 && t <= 0xbf) || t == 0xd9 || t == 0xda || t == 0xdb;
}

static int mp_array_len(mp_t *m, uint8_t t, uint64_t *n) {
  if (t >= 0x90 && t <= 0x9f) {
    *n = t & 0x0f;
    return 0;
  }
  if (t == 0xdc || t == 0xdd)
    return mp_be(m, t == 0xdc ? 2 : 4, n);
  return -1;
}

/* One map value into the field of key k (or skipped). */
static int mp_value(mp_t *m, sv_t k, hdr_t *o) {
  uint8_t t;
  uint64_t n, i, u;
  sv_t s = {NULL, 0};
#define KEY(lit) (k.n == sizeof(lit) - 1 && memcmp(k.p, lit, k.n) == 0)

  if (mp_tag(m, &t) != 0)
    return -1;
  if (mp_is_str(t)) {
    if (mp_str_body(m, t, &s) != 0)
      return -1;
    if (KEY("kind"))
      o->kind = s;
    else if (KEY("month"))
      o->month = s;
    else if (KEY("survivor_sex"))
      o->sex = s;
    else if (KEY("survivor_age"))
      o->age = s;
    else if (KEY("status"))
      o->status = s;
    else if (KEY("service"))
      o->service = s;
    else if (KEY("aid_kind"))
      o->aid_kind = s;
    else if (KEY("action"))
      o->action = s;
    else if (KEY("removed_month")) {
      o->rmonth = s;
      o->rm_present = 1;
    } else if (KEY("amount_som") || KEY("participants_female") ||
               KEY("participants_male") || KEY("days")) {
      count_t *c = KEY("amount_som")            ? &o->amount
                   : KEY("participants_female") ? &o->pf
                   : KEY("participants_male")   ? &o->pm
                                                : &o->days;
      c->st = C_BAD;
    }
    return 0;
  }
  if (t <= 0x7f || (t >= 0xcc && t <= 0xcf)) {
    if (t <= 0x7f)
      u = t;
    else if (mp_be(m, (size_t)1 << (t - 0xcc), &u) != 0)
      return -1;
    if (KEY("amount_som") || KEY("participants_female") ||
        KEY("participants_male") || KEY("days")) {
      count_t *c = KEY("amount_som")            ? &o->amount
                   : KEY("participants_female") ? &o->pf
                   : KEY("participants_male")   ? &o->pm
                                                : &o->days;
      c->st = u <= AYIL_COUNT_MAX ? C_OK : C_BAD;
      c->v = (int64_t)(u <= AYIL_COUNT_MAX ? u : 0);
    } else if (KEY("removed_month")) {
      o->rm_present = 1; /* not a string: refused below */
    }
    return 0;
  }
  if (t == 0xc2 || t == 0xc3) {
    if (KEY("violence_related"))
      o->vr = t == 0xc3;
    else if (KEY("removed_month"))
      o->rm_present = 1;
    else if (KEY("amount_som") || KEY("participants_female") ||
             KEY("participants_male") || KEY("days")) {
      count_t *c = KEY("amount_som")            ? &o->amount
                   : KEY("participants_female") ? &o->pf
                   : KEY("participants_male")   ? &o->pm
                                                : &o->days;
      c->st = C_BAD;
    }
    return 0;
  }
  if (mp_array_len(m, t, &n) == 0) {
    int isv = KEY("violence");
    if (n > 64)
      return -1;
    if (isv) {
      o->viol_st = C_OK;
      o->nviol = (size_t)n;
    }
    for (i = 0; i < n; i++) {
      if (mp_tag(m, &t) != 0 || mp_str_body(m, t, &s) != 0)
        return -1;
      if (isv) {
        int c = code_index_n(s, VIOLENCE, NVIOL);
        if (c < 0)
          o->viol_st = C_BAD;
        else
          o->viol |= 1u << c;
      }
    }
    if (KEY("removed_month"))
      o->rm_present = 1;
    return 0;
  }
#undef KEY
  return -1; /* nil, signed, float, bin, ext, map: not a header value */
}

static int hdr_from_msgpack(const uint8_t *buf, size_t len, hdr_t *o) {
  mp_t m;
  uint8_t t;
  uint64_t n, i;
  sv_t k;

  memset(o, 0, sizeof(*o));
  o->vr = -1;
  if (buf == NULL)
    return AYIL_EINVAL;
  m.p = buf;
  m.end = buf + len;
  if (mp_tag(&m, &t) != 0)
    return AYIL_EINVAL;
  if (t >= 0x80 && t <= 0x8f)
    n = t & 0x0f;
  else if (t == 0xde || t == 0xdf) {
    if (mp_be(&m, t == 0xde ? 2 : 4, &n) != 0)
      return AYIL_EINVAL;
  } else
    return AYIL_EINVAL;
  if (n > 64)
    return AYIL_EINVAL;
  for (i = 0; i < n; i++) {
    if (mp_tag(&m, &t) != 0 || mp_str_body(&m, t, &k) != 0 ||
        mp_value(&m, k, o) != 0)
      return AYIL_EINVAL;
  }
  return m.p == m.end ? 0 : AYIL_EINVAL;
}

static int sv_is(sv_t s, const char *lit) {
  return s.p != NULL && strlen(lit) == s.n && memcmp(s.p, lit, s.n) == 0;
}

static int h_req(count_t c, int64_t *out) {
  *out = c.v;
  return c.st == C_OK ? 0 : AYIL_EINVAL;
}

/* Parses one header into *d. in: the record's month is in the period. */
static int parse_record(const ayil_report_t *r, const hdr_t *h, delta_t *d) {
  int month = month_parse_n(h->month);
  int in, i, k;
  int64_t a, b;

  if (h->kind.p == NULL || month < 0)
    return AYIL_EINVAL;
  in = month >= r->from && month <= r->to;
  if (sv_is(h->kind, "appeal")) {
    int sx = code_index_n(h->sex, SEXES, NSEX);
    int ag = code_index_n(h->age, AGES, NAGE);

    if (h->viol_st != C_OK || h->nviol == 0 || sx < 0 || ag < 0)
      return AYIL_EINVAL;
    if (!in)
      return 0;
    d_add(d, I_APPEALS, 1);
    for (i = 0; i < NVIOL; i++)
      if (h->viol & (1u << i))
        d_add(d, I_VIOL + i, 1);
    d_add(d, I_SEX + sx, 1);
    d_add(d, I_AGE + ag, 1);
  } else if (sv_is(h->kind, "session")) {
    if (h->vr < 0)
      return AYIL_EINVAL;
    if (in) {
      d_add(d, I_SESSIONS, 1);
      if (h->vr)
        d_add(d, I_SESSIONS_VR, 1);
    }
  } else if (sv_is(h->kind, "family")) {
    int st = code_index_n(h->status, FAMILY_STATUS, (int)N(FAMILY_STATUS));
    int removed = -1;

    if (st < 0)
      return AYIL_EINVAL;
    if (h->rm_present && (removed = month_parse_n(h->rmonth)) < 0)
      return AYIL_EINVAL;
    if (in)
      d_add(d, I_FAM_REG, 1);
    /* Active at the end of the period: see report.h. */
    if (month <= r->to && ((st == 0 && (removed < 0 || removed > r->to)) ||
                           (st == 1 && removed >= 0 && removed > r->to)))
      d_add(d, I_FAM_ACTIVE, 1);
  } else if (sv_is(h->kind, "referral")) {
    k = code_index_n(h->service, SERVICES, NSERV);
    if (k < 0)
      return AYIL_EINVAL;
    if (in) {
      d_add(d, I_REFERRALS, 1);
      d_add(d, I_REF + k, 1);
      if (k == 0 || k == 1) /* crisis_centre, shelter */
        d_add(d, I_REF_CS, 1);
    }
  } else if (sv_is(h->kind, "protection_order")) {
    if (in)
      d_add(d, I_PO, 1);
  } else if (sv_is(h->kind, "aid")) {
    k = code_index_n(h->aid_kind, AID_KINDS, (int)N(AID_KINDS));
    if (k < 0)
      return AYIL_EINVAL;
    if (k == 0) {
      if (h_req(h->amount, &a) != 0)
        return AYIL_EINVAL;
      if (in) {
        d_add(d, I_MONEY_PEOPLE, 1);
        d_add(d, I_MONEY_SOM, a);
      }
    } else if (in) {
      d_add(d, k == 1 ? I_HOUSING : I_INKIND, 1);
    }
  } else if (sv_is(h->kind, "prevention")) {
    if (h_req(h->pf, &a) != 0 || h_req(h->pm, &b) != 0)
      return AYIL_EINVAL;
    if (in) {
      d_add(d, I_PREV_EVENTS, 1);
      d_add(d, I_PREV_PART, a + b);
    }
  } else if (sv_is(h->kind, "training")) {
    int64_t days;

    if (h_req(h->days, &days) != 0 || h_req(h->pf, &a) != 0 ||
        h_req(h->pm, &b) != 0)
      return AYIL_EINVAL;
    if (in) {
      d_add(d, I_TRAIN_EVENTS, 1);
      d_add(d, I_TRAIN_PART, a + b);
      d->has_days = 1;
      d->days = days;
      d->days_part = a + b;
    }
  } else if (sv_is(h->kind, "followup")) {
    k = code_index_n(h->action, ACTIONS, NACT);
    if (k < 0)
      return AYIL_EINVAL;
    if (in)
      d_add(d, I_FU + k, 1);
  } else if (sv_is(h->kind, "closure")) {
    if (in)
      d_add(d, I_CLOSURES, 1);
  } else if (!sv_is(h->kind, "correction")) {
    return AYIL_EINVAL; /* correction: a known kind no indicator counts */
  }
  return 0;
}

/* Sums saturate: a report never wraps around, whatever the input. */
static int64_t add_sat(int64_t a, int64_t b) {
  return a > INT64_MAX - b ? INT64_MAX : a + b;
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
                   const hdr_t *h) {
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
    c->c[d.ind[i]] = add_sat(c->c[d.ind[i]], d.val[i]);
  if (d.has_days)
    c->days[slot] = add_sat(c->days[slot], d.days_part);
  return 0;
}

int ayil_report_add(ayil_report_t *r, const char *committee_name,
                    const char *oblast, const json_t *header) {
  hdr_t h;
  int ob;

  if (r == NULL || committee_name == NULL || committee_name[0] == '\0' ||
      !json_is_object(header))
    return AYIL_EINVAL;
  ob = oblast_index(oblast);
  if (ob < 0)
    return AYIL_EINVAL;
  if (r->oblast >= 0 && ob != r->oblast)
    return 0;
  hdr_from_json(header, &h);
  return add_hdr(r, committee_name, ob, &h);
}

int ayil_report_add_packed(ayil_report_t *r, const char *committee_name,
                           const char *oblast, const uint8_t *header,
                           size_t len) {
  hdr_t h;
  int ob;

  if (r == NULL || committee_name == NULL || committee_name[0] == '\0')
    return AYIL_EINVAL;
  ob = oblast_index(oblast);
  if (ob < 0)
    return AYIL_EINVAL;
  if (r->oblast >= 0 && ob != r->oblast)
    return 0;
  if (hdr_from_msgpack(header, len, &h) != 0)
    return AYIL_EINVAL;
  return add_hdr(r, committee_name, ob, &h);
}

/* ---- the table of cells ---- */

/* Cell flags. F_LT: a count in 1..N-1, shown "<N". F_X: shown "x": a cell
 * suppressed to protect another (complementary), or aid.money.som where
 * aid.money.people is F_LT. */
enum { F_SHOW = 0, F_LT = 1, F_X = 2 };

typedef struct group_s {
  uint32_t total; /* cell index */
  uint32_t off;   /* first part in tab_t.parts */
  uint32_t n;     /* number of parts */
  int count;      /* parts are counts of people or records (not som) */
} group_t;

typedef struct tab_s {
  size_t ne, ni;     /* entities (rows of v) and indicators (columns) */
  int64_t *v;        /* ne * ni */
  unsigned char *f;  /* ne * ni flags */
  int *scope;        /* per entity: SC_* */
  const char **name; /* per entity: committee name or code */
  int *oblast;       /* per entity: oblast (committee, oblast), or -1 */
  int *region;       /* per entity: region (oblast, region), or -1 */
  size_t nob, nreg;  /* emitted oblasts and regions */
  size_t com0, ob0, reg0, tot; /* first entity of each scope */
  int64_t *days;               /* ni - NFIX days values, ascending */
  int *ord;                    /* ni columns in output order */
  group_t *g;
  size_t ng, capg;
  uint32_t *parts;
  size_t nparts, capparts;
} tab_t;

static void tab_free(tab_t *t) {
  free(t->v);
  free(t->f);
  free(t->scope);
  free(t->name);
  free(t->oblast);
  free(t->region);
  free(t->days);
  free(t->ord);
  free(t->g);
  free(t->parts);
}

/* qsort has no context argument; a report is written by one thread. */
static const ayil_report_t *sort_r;

static int com_cmp(const void *a, const void *b) {
  const committee_t *x = &sort_r->com[*(const size_t *)a];
  const committee_t *y = &sort_r->com[*(const size_t *)b];

  if (x->oblast != y->oblast)
    return x->oblast < y->oblast ? -1 : 1;
  return strcmp(x->name, y->name);
}

static int slot_cmp(const void *a, const void *b) {
  int64_t x = sort_r->days_vals[*(const size_t *)a];
  int64_t y = sort_r->days_vals[*(const size_t *)b];

  return x < y ? -1 : x > y;
}

static int64_t *cell(tab_t *t, size_t e, size_t i) {
  return &t->v[e * t->ni + i];
}

static int group_begin(tab_t *t, size_t total, int count) {
  if (t->ng == t->capg) {
    size_t cap = t->capg ? t->capg * 2 : 256;
    group_t *ng = realloc(t->g, cap * sizeof(*ng));
    if (ng == NULL)
      return AYIL_ENOMEM;
    t->g = ng;
    t->capg = cap;
  }
  t->g[t->ng].total = (uint32_t)total;
  t->g[t->ng].off = (uint32_t)t->nparts;
  t->g[t->ng].n = 0;
  t->g[t->ng].count = count;
  t->ng++;
  return 0;
}

static int group_part(tab_t *t, size_t cellidx) {
  if (t->nparts == t->capparts) {
    size_t cap = t->capparts ? t->capparts * 2 : 1024;
    uint32_t *np = realloc(t->parts, cap * sizeof(*np));
    if (np == NULL)
      return AYIL_ENOMEM;
    t->parts = np;
    t->capparts = cap;
  }
  t->parts[t->nparts++] = (uint32_t)cellidx;
  t->g[t->ng - 1].n++;
  return 0;
}

/* A group of parts within one entity: total = sum of columns first..+n. */
static int group_within(tab_t *t, size_t e, size_t total, size_t first,
                        size_t n) {
  size_t i;
  int rc = group_begin(t, e * t->ni + total, 1);

  for (i = 0; rc == 0 && i < n; i++)
    rc = group_part(t, e * t->ni + first + i);
  return rc;
}

/*
 * The summing groups: each is a cell that the report shows to be the sum of
 * other shown cells. Within an entity: appeals = appeals.sex.* = appeals.
 * age.*; referrals = referrals.<service>; referrals.crisis_or_shelter =
 * referrals.crisis_centre + referrals.shelter, and so referrals =
 * crisis_or_shelter + the other services; training.participants =
 * training.participants.days_*. (appeals.violence.* do not sum: an appeal
 * can name several types; followups.* have no total row.) Across scopes,
 * for every indicator: an oblast = its committees, a region = its oblasts,
 * the total = the regions.
 */
static int build_groups(tab_t *t) {
  size_t e, i, k, o, rg, ndays = t->ni - NFIX;
  int rc = 0;

  for (e = 0; rc == 0 && e < t->ne; e++) {
    rc = group_within(t, e, I_APPEALS, I_SEX, NSEX);
    if (rc == 0)
      rc = group_within(t, e, I_APPEALS, I_AGE, NAGE);
    if (rc == 0)
      rc = group_within(t, e, I_REFERRALS, I_REF, NSERV);
    if (rc == 0)
      rc = group_within(t, e, I_REF_CS, I_REF, 2);
    /* The two above imply referrals = crisis_or_shelter + the other
     * services: without it, referrals - crisis_or_shelter - shown others
     * would give away a lone hidden other service. */
    if (rc == 0)
      rc = group_within(t, e, I_REFERRALS, I_REF + 2, NSERV - 2);
    if (rc == 0)
      rc = group_part(t, e * t->ni + I_REF_CS);
    if (rc == 0 && ndays > 0)
      rc = group_within(t, e, I_TRAIN_PART, NFIX, ndays);
  }
  for (i = 0; rc == 0 && i < t->ni; i++) {
    int count = i != I_MONEY_SOM;

    for (o = 0; rc == 0 && o < t->nob; o++) {
      size_t oe = t->ob0 + o;
      int first = 1;
      for (k = t->com0; rc == 0 && k < t->ob0; k++) {
        if (t->oblast[k] != t->oblast[oe])
          continue;
        if (first)
          rc = group_begin(t, oe * t->ni + i, count);
        first = 0;
        if (rc == 0)
          rc = group_part(t, k * t->ni + i);
      }
    }
    for (rg = 0; rc == 0 && rg < t->nreg; rg++) {
      size_t re = t->reg0 + rg;
      rc = group_begin(t, re * t->ni + i, count);
      for (k = t->ob0; rc == 0 && k < t->reg0; k++)
        if (t->region[k] == t->region[re])
          rc = group_part(t, k * t->ni + i);
    }
    if (rc == 0)
      rc = group_begin(t, t->tot * t->ni + i, count);
    for (k = t->reg0; rc == 0 && k < t->tot; k++)
      rc = group_part(t, k * t->ni + i);
  }
  return rc;
}

/* Suppresses the smallest non-zero shown part of g (the first on a tie),
 * or else its total. Returns 1 if it suppressed a cell. */
static int suppress_one_more(tab_t *t, const group_t *g) {
  uint32_t j, best = UINT32_MAX;
  int64_t bv = 0;

  for (j = 0; j < g->n; j++) {
    uint32_t p = t->parts[g->off + j];
    if (t->f[p] == F_SHOW && t->v[p] > 0 &&
        (best == UINT32_MAX || t->v[p] < bv)) {
      best = p;
      bv = t->v[p];
    }
  }
  if (best == UINT32_MAX && t->f[g->total] == F_SHOW && t->v[g->total] > 0)
    best = g->total;
  if (best == UINT32_MAX)
    return 0;
  t->f[best] = F_X;
  return 1;
}

/* Checks one group; returns 1 if it had to suppress another cell. */
static int fix_group(tab_t *t, const group_t *g, int64_t nb) {
  uint32_t j;
  int64_t kp = 0, kc = 0, shown = 0, rest, omin, omax, lo, hi;

  for (j = 0; j < g->n; j++) {
    uint32_t p = t->parts[g->off + j];
    if (t->f[p] == F_LT)
      kp++;
    else if (t->f[p] == F_X)
      kc++;
    else
      shown += t->v[p];
  }
  if (t->f[g->total] != F_SHOW) {
    /* The total is hidden: it must not be the sum of shown parts. */
    if (kp + kc == 0 && t->v[g->total] > 0)
      return suppress_one_more(t, g);
    return 0;
  }
  if (kp + kc == 0)
    return 0;
  if (kp + kc == 1)
    return suppress_one_more(t, g);
  if (!g->count || kp == 0)
    return 0;
  /* A reader knows rest = the sum of the hidden parts, that a "<N" part is
   * in 1..N-1 and that an "x" part is >= N (it was shown-worthy). Work out
   * the range one "<N" part can take; if it is one value, hide more. */
  rest = t->v[g->total] - shown;
  omin = (kp - 1) + kc * nb;
  omax = kc > 0 ? INT64_MAX : (kp - 1) * (nb - 1);
  lo = omax == INT64_MAX ? 1 : rest - omax;
  if (lo < 1)
    lo = 1;
  hi = rest - omin;
  if (hi > nb - 1)
    hi = nb - 1;
  if (lo < hi)
    return 0;
  return suppress_one_more(t, g);
}

/*
 * Small-cell suppression with threshold nb (suppress_below).
 *
 * 1. Primary: every count in 1..nb-1 is hidden and shown as "<nb".
 *    aid.money.som is a sum of money, not a count: it is hidden (as "x")
 *    where aid.money.people is "<nb", since it would tell what those few
 *    people got.
 * 2. Complementary: for every summing group (build_groups()), a reader
 *    knows total - sum(shown parts) = sum(hidden parts). So:
 *    - a shown total may not have exactly one hidden part: hide one more
 *      part, the smallest non-zero shown one, or if there is none the total;
 *    - a hidden total may not have all its parts shown: hide the smallest
 *      non-zero part;
 *    - with two or more hidden parts in a group of counts, a "<nb" part
 *      must still have at least two possible values given 1 <= "<nb" <=
 *      nb-1 and "x" >= nb (e.g. total - shown = 2 with two "<5" parts
 *      would make both 1); otherwise hide one more as above.
 *    Every newly hidden cell is "x" and is itself a part or a total of
 *    other groups, so the checks run over all groups again until nothing
 *    changes (it ends: each round hides at least one more cell).
 * Zeros are never hidden.
 *
 * What this guarantees: no hidden cell can be worked out from one group,
 * nor by solving groups one unknown at a time in any order, nor can a
 * "<N" cell be pinned by its group's bounds. It is not a full audit of
 * the linear system of all groups together: where within-committee groups
 * and across-scope groups interlock (a committee whose appeals and one age
 * group are both hidden and equal, next to others), combining several
 * equations can, rarely, still fix a hidden cell. A complete check needs
 * an LP/elimination audit (as tau-ARGUS does); see the report to the lead.
 */
#define BIG (INT64_MAX / 4) /* "no upper bound" in bounds() */

static int64_t b_add(int64_t a, int64_t b) {
  return a >= BIG || b >= BIG ? BIG : a + b > BIG ? BIG : a + b;
}

/*
 * The reader's bounds. Every cell a reader cannot see starts with what the
 * page says about it: "<N" is 1..N-1; "x" of a count is at least N (it is
 * neither 0 nor "<N"), "x" of som at least 1; shown cells are exact. Then
 * every summing group narrows its cells (a total lies between the sums of
 * its parts' bounds, a part between the total's bounds minus the others'),
 * again and again until nothing moves (or `rounds` passes: the bounds are
 * then still true, only maybe not the narrowest). This is what an attacker
 * does by hand across several tables at once.
 */
static void bounds(const tab_t *t, int nb, int64_t *lo, int64_t *hi,
                   int rounds) {
  size_t c, k, j, n = t->ne * t->ni;
  int moved = 1;

  for (c = 0; c < n; c++) {
    if (t->f[c] == F_SHOW)
      lo[c] = hi[c] = t->v[c];
    else if (t->f[c] == F_LT) {
      lo[c] = 1;
      hi[c] = nb - 1;
    } else {
      lo[c] = c % t->ni == I_MONEY_SOM ? 1 : nb;
      hi[c] = BIG;
    }
  }
  while (moved && rounds-- > 0) {
    moved = 0;
    for (k = 0; k < t->ng; k++) {
      const group_t *g = &t->g[k];
      int64_t slo = 0, shi = 0, x;
      size_t nbig = 0, tc = g->total;

      for (j = 0; j < g->n; j++) {
        uint32_t p = t->parts[g->off + j];
        slo = b_add(slo, lo[p]);
        if (hi[p] >= BIG)
          nbig++;
        else
          shi = b_add(shi, hi[p]);
      }
      if (t->f[tc] != F_SHOW) {
        if (slo > lo[tc]) {
          lo[tc] = slo;
          moved = 1;
        }
        if (nbig == 0 && shi < hi[tc]) {
          hi[tc] = shi;
          moved = 1;
        }
      }
      for (j = 0; j < g->n; j++) {
        uint32_t p = t->parts[g->off + j];
        int64_t olo, ohi_known;
        if (t->f[p] == F_SHOW)
          continue;
        olo = slo >= BIG ? BIG : slo - lo[p];
        /* part <= hi(total) - lo(others) */
        if (hi[tc] < BIG && olo < BIG) {
          x = hi[tc] - olo;
          if (x < hi[p]) {
            hi[p] = x;
            moved = 1;
          }
        }
        /* part >= lo(total) - hi(others), when the others are bounded */
        if (nbig == 0 || (nbig == 1 && hi[p] >= BIG)) {
          ohi_known = hi[p] >= BIG ? shi : shi - hi[p];
          x = lo[tc] - ohi_known;
          if (x > lo[p]) {
            lo[p] = x;
            moved = 1;
          }
        }
      }
    }
  }
}

/* Hides one more cell of some group that holds cell c. */
static int widen(tab_t *t, const uint32_t *goff, const uint32_t *gof,
                 size_t c) {
  uint32_t j;

  for (j = goff[c]; j < goff[c + 1]; j++)
    if (suppress_one_more(t, &t->g[gof[j]]))
      return 1;
  return 0;
}

/*
 * Small-cell suppression with threshold nb (suppress_below).
 *
 * 1. Primary: every count in 1..nb-1 is hidden and shown as "<nb".
 *    aid.money.som is a sum of money, not a count: it is hidden (as "x")
 *    where aid.money.people is "<nb", since it would tell what those few
 *    people got.
 * 2. Complementary, per group (build_groups()): a reader knows total -
 *    sum(shown parts) = sum(hidden parts). So:
 *    - a shown total may not have exactly one hidden part: hide one more
 *      part, the smallest non-zero shown one, or if there is none the total;
 *    - a hidden total may not have all its parts shown: hide the smallest
 *      non-zero part;
 *    - with two or more hidden parts in a group of counts, a "<nb" part
 *      must still have at least two possible values given 1 <= "<nb" <=
 *      nb-1 and "x" >= nb; otherwise hide one more as above.
 *    Every newly hidden cell is "x" and is itself a part or a total of
 *    other groups, so the checks run over all groups again until nothing
 *    changes.
 * 3. Audit of all groups together: the one-group checks miss what a reader
 *    gets by combining tables (a committee's age groups bounded by its
 *    oblast's, which are bounded by the region's...). bounds() narrows
 *    every hidden cell's range over all groups to a fixpoint; a hidden
 *    cell left with one possible value gets one more cell hidden in one of
 *    its groups, then 2 and 3 run again, until no hidden cell is pinned.
 * Zeros are never hidden. Each round hides at least one more cell, so it
 * ends.
 *
 * What this guarantees: within the bounds a reader can draw from the page
 * by propagating sums (the way such tables are attacked by hand), every
 * hidden cell keeps at least two possible values. It does not solve the
 * linear system exactly (an LP or an exact elimination, as tau-ARGUS does);
 * tests/e2e/lib/report_check.py audits the output both ways (bounds, and
 * exact elimination over fractions).
 */
static int suppress(tab_t *t, int nb) {
  size_t e, i, k, c, n = t->ne * t->ni;
  int changed, rc = AYIL_ENOMEM;
  int64_t *lo = NULL, *hi = NULL;
  uint32_t *goff = NULL, *gof = NULL;

  memset(t->f, F_SHOW, n);
  if (nb < 2)
    return 0;
  for (e = 0; e < t->ne; e++)
    for (i = 0; i < t->ni; i++) {
      int64_t v = t->v[e * t->ni + i];
      if (i != I_MONEY_SOM && v >= 1 && v < nb)
        t->f[e * t->ni + i] = F_LT;
    }
  for (e = 0; e < t->ne; e++)
    if (t->f[e * t->ni + I_MONEY_PEOPLE] == F_LT &&
        t->v[e * t->ni + I_MONEY_SOM] > 0)
      t->f[e * t->ni + I_MONEY_SOM] = F_X;
  lo = malloc(n * sizeof(*lo));
  hi = malloc(n * sizeof(*hi));
  goff = calloc(n + 1, sizeof(*goff));
  gof = malloc((t->nparts + t->ng + 1) * sizeof(*gof));
  if (lo == NULL || hi == NULL || goff == NULL || gof == NULL)
    goto done;
  /* The groups of each cell (as total or part), for widen(). */
  for (k = 0; k < t->ng; k++) {
    goff[t->g[k].total + 1]++;
    for (i = 0; i < t->g[k].n; i++)
      goff[t->parts[t->g[k].off + i] + 1]++;
  }
  for (c = 0; c < n; c++)
    goff[c + 1] += goff[c];
  {
    uint32_t *fill = calloc(n + 1, sizeof(*fill));
    if (fill == NULL)
      goto done;
    for (k = 0; k < t->ng; k++) {
      c = t->g[k].total;
      gof[goff[c] + fill[c]++] = (uint32_t)k;
      for (i = 0; i < t->g[k].n; i++) {
        c = t->parts[t->g[k].off + i];
        gof[goff[c] + fill[c]++] = (uint32_t)k;
      }
    }
    free(fill);
  }
  for (;;) {
    int widened = 0;
    do {
      changed = 0;
      for (k = 0; k < t->ng; k++)
        changed |= fix_group(t, &t->g[k], nb);
    } while (changed);
    bounds(t, nb, lo, hi, 1000);
    for (c = 0; c < n; c++)
      if (t->f[c] != F_SHOW && lo[c] >= hi[c])
        widened |= widen(t, goff, gof, c);
    if (!widened)
      break;
  }
  rc = 0;

done:
  free(gof);
  free(goff);
  free(hi);
  free(lo);
  return rc;
}

static int tab_build(const ayil_report_t *r, tab_t *t, int nb) {
  size_t *corder = NULL, *slots = NULL, *slotpos = NULL;
  size_t e, i, k, n, ndays = r->ndays;
  int o, rg, rc = AYIL_ENOMEM;
  int has_ob[NOBL], has_reg[NREG];

  memset(t, 0, sizeof(*t));
  /* Entities: committees, oblasts, regions, the total. */
  for (o = 0; o < NOBL; o++)
    has_ob[o] = r->oblast < 0 || r->oblast == o;
  for (rg = 0; rg < NREG; rg++)
    has_reg[rg] = 0;
  for (o = 0; o < NOBL; o++)
    if (has_ob[o]) {
      t->nob++;
      has_reg[OBLAST_REGION[o]] = 1;
    }
  for (rg = 0; rg < NREG; rg++)
    t->nreg += has_reg[rg] != 0;
  t->com0 = 0;
  t->ob0 = r->ncom;
  t->reg0 = t->ob0 + t->nob;
  t->tot = t->reg0 + t->nreg;
  t->ne = t->tot + 1;
  t->ni = NFIX + ndays;
  n = t->ne * t->ni;
  t->v = calloc(n, sizeof(*t->v));
  t->f = calloc(n, 1);
  t->scope = calloc(t->ne, sizeof(*t->scope));
  t->name = calloc(t->ne, sizeof(*t->name));
  t->oblast = calloc(t->ne, sizeof(*t->oblast));
  t->region = calloc(t->ne, sizeof(*t->region));
  t->days = calloc(ndays + 1, sizeof(*t->days));
  t->ord = calloc(t->ni, sizeof(*t->ord));
  corder = calloc(r->ncom + 1, sizeof(*corder));
  slots = calloc(ndays + 1, sizeof(*slots));
  slotpos = calloc(ndays + 1, sizeof(*slotpos));
  if (t->v == NULL || t->f == NULL || t->scope == NULL || t->name == NULL ||
      t->oblast == NULL || t->region == NULL || t->days == NULL ||
      t->ord == NULL || corder == NULL || slots == NULL || slotpos == NULL)
    goto fail;

  sort_r = r;
  for (k = 0; k < r->ncom; k++)
    corder[k] = k;
  qsort(corder, r->ncom, sizeof(*corder), com_cmp);
  for (k = 0; k < ndays; k++)
    slots[k] = k;
  qsort(slots, ndays, sizeof(*slots), slot_cmp);
  for (k = 0; k < ndays; k++) {
    slotpos[slots[k]] = k;
    t->days[k] = r->days_vals[slots[k]];
  }
  /* Output order: fixed indicators, days after training.participants. */
  for (i = 0, k = 0; i <= I_TRAIN_PART; i++)
    t->ord[k++] = (int)i;
  for (i = 0; i < ndays; i++)
    t->ord[k++] = (int)(NFIX + i);
  for (i = I_FU; i < NFIX; i++)
    t->ord[k++] = (int)i;

  for (k = 0; k < r->ncom; k++) {
    const committee_t *c = &r->com[corder[k]];
    e = t->com0 + k;
    t->scope[e] = SC_COMMITTEE;
    t->name[e] = c->name;
    t->oblast[e] = c->oblast;
    t->region[e] = OBLAST_REGION[c->oblast];
    memcpy(cell(t, e, 0), c->c, sizeof(c->c));
    for (i = 0; i < c->ndays; i++)
      *cell(t, e, NFIX + slotpos[i]) = c->days[i];
  }
  e = t->ob0;
  for (o = 0; o < NOBL; o++)
    if (has_ob[o]) {
      t->scope[e] = SC_OBLAST;
      t->name[e] = OBLASTS[o];
      t->oblast[e] = o;
      t->region[e] = OBLAST_REGION[o];
      e++;
    }
  for (rg = 0; rg < NREG; rg++)
    if (has_reg[rg]) {
      t->scope[e] = SC_REGION;
      t->name[e] = REGIONS[rg];
      t->oblast[e] = -1;
      t->region[e] = rg;
      e++;
    }
  t->scope[t->tot] = SC_TOTAL;
  t->name[t->tot] = "total";
  t->oblast[t->tot] = -1;
  t->region[t->tot] = -1;
  /* Sums upwards: committees into oblasts, oblasts into regions, regions
   * into the total. */
  for (e = t->com0; e < t->tot; e++) {
    size_t up = t->tot;
    if (t->scope[e] == SC_COMMITTEE) {
      for (up = t->ob0; up < t->reg0; up++)
        if (t->oblast[up] == t->oblast[e])
          break;
    } else if (t->scope[e] == SC_OBLAST) {
      for (up = t->reg0; up < t->tot; up++)
        if (t->region[up] == t->region[e])
          break;
    }
    assert(up <= t->tot);
    for (i = 0; i < t->ni; i++)
      *cell(t, up, i) = add_sat(*cell(t, up, i), *cell(t, e, i));
  }
  rc = build_groups(t);
  if (rc != 0)
    goto fail;
  rc = suppress(t, nb);
  if (rc != 0)
    goto fail;
  free(corder);
  free(slots);
  free(slotpos);
  return 0;

fail:
  free(slotpos);
  free(slots);
  free(corder);
  tab_free(t);
  return rc;
}

size_t ayil__report_nrows(const ayil_report_t *r) {
  size_t nob = r->oblast >= 0 ? 1 : NOBL;
  size_t nreg = r->oblast >= 0 ? 1 : NREG;

  return (r->ncom + nob + nreg + 1) * (NFIX + r->ndays);
}

/* ---- names and labels ---- */

/* The indicator name of column i into buf (at least 64 bytes). */
static void ind_name(const tab_t *t, int i, char *buf, size_t n) {
  size_t k;

  if (i >= NFIX) {
    snprintf(buf, n, DAYS_PREFIX "%lld", (long long)t->days[i - NFIX]);
    return;
  }
  for (k = 0; k < N(PLAIN); k++)
    if (PLAIN[k].ind == i) {
      snprintf(buf, n, "%s", PLAIN[k].name);
      return;
    }
  for (k = 0; k < N(CODED); k++)
    if (i >= CODED[k].first && i < CODED[k].first + CODED[k].n) {
      snprintf(buf, n, "%s%s", CODED[k].prefix,
               CODED[k].codes[i - CODED[k].first]);
      return;
    }
  assert(0);
  buf[0] = '\0';
}

enum { L_EN, L_RU, L_KY };

static int lang_index(const char *lang) {
  if (lang == NULL || strcmp(lang, "en") == 0)
    return L_EN;
  if (strcmp(lang, "ru") == 0)
    return L_RU;
  if (strcmp(lang, "ky") == 0)
    return L_KY;
  return -1;
}

static const ayil__report_label_t *label_row(const char *key) {
  size_t i;

  for (i = 0; i < ayil__report_nlabels; i++)
    if (strcmp(ayil__report_labels[i].key, key) == 0)
      return &ayil__report_labels[i];
  return NULL;
}

/* The text of `key` in language l; English if that one is missing, and the
 * key itself if the row is missing (the tests make sure neither happens). */
static const char *lbl(int l, const char *key) {
  const ayil__report_label_t *row = label_row(key);
  const char *s;

  if (row == NULL)
    return key;
  s = l == L_RU ? row->ru : l == L_KY ? row->ky : row->en;
  if (s == NULL || s[0] == '\0')
    s = row->en;
  return s != NULL ? s : key;
}

/* Copies template tmpl into buf replacing "{k}" by v for each pair. */
static void subst(char *buf, size_t n, const char *tmpl, const char *k1,
                  const char *v1, const char *k2, const char *v2) {
  size_t o = 0, kl;
  const char *s = tmpl, *v;

  while (*s != '\0' && o + 1 < n) {
    v = NULL;
    kl = 0;
    if (*s == '{') {
      if (k1 != NULL && strncmp(s + 1, k1, strlen(k1)) == 0 &&
          s[1 + strlen(k1)] == '}') {
        v = v1;
        kl = strlen(k1) + 2;
      } else if (k2 != NULL && strncmp(s + 1, k2, strlen(k2)) == 0 &&
                 s[1 + strlen(k2)] == '}') {
        v = v2;
        kl = strlen(k2) + 2;
      }
    }
    if (v != NULL) {
      for (; *v != '\0' && o + 1 < n; v++)
        buf[o++] = *v;
      s += kl;
    } else {
      buf[o++] = *s++;
    }
  }
  buf[o] = '\0';
}

#define LABEL_MAX 256

/* The label of column i in language l. */
static void ind_label(const tab_t *t, int l, int i, char *buf, size_t n) {
  char key[96], num[32];
  size_t k;

  if (i >= NFIX) {
    snprintf(num, sizeof(num), "%lld", (long long)t->days[i - NFIX]);
    subst(buf, n, lbl(l, "grp.training.participants.days"), "n", num, NULL,
          NULL);
    return;
  }
  for (k = 0; k < N(PLAIN); k++)
    if (PLAIN[k].ind == i) {
      snprintf(key, sizeof(key), "ind.%s", PLAIN[k].name);
      snprintf(buf, n, "%s", lbl(l, key));
      return;
    }
  for (k = 0; k < N(CODED); k++)
    if (i >= CODED[k].first && i < CODED[k].first + CODED[k].n) {
      snprintf(key, sizeof(key), "%s%s", CODED[k].code_pfx,
               CODED[k].codes[i - CODED[k].first]);
      subst(buf, n, lbl(l, CODED[k].grp_key), "code", lbl(l, key), NULL, NULL);
      return;
    }
  buf[0] = '\0';
}

/* Fixed label keys, besides the indicator and code keys. */
static const char *const FIXED_KEYS[] = {
    "title",           "period",
    "period.start",    "period.end",
    "filter.oblast",   "legend.suppressed",
    "heading.total",   "heading.regions",
    "heading.oblasts", "heading.committees",
    "heading.charts",  "heading.no_committees",
    "col.indicator",   "chart.violence",
    "chart.referrals", "chart.trainings",
    "scope.total",     "grp.training.participants.days",
};

/* 1 if `key` lacks a row or a text in some language; the first such key
 * is copied to first_buf. */
static char first_buf[96];

static int check_key(const char *key, int bad) {
  const ayil__report_label_t *row = label_row(key);

  if (row != NULL && row->en != NULL && row->en[0] != '\0' && row->ru != NULL &&
      row->ru[0] != '\0' && row->ky != NULL && row->ky[0] != '\0')
    return 0;
  if (bad == 0)
    snprintf(first_buf, sizeof(first_buf), "%s", key);
  return 1;
}

int ayil__report_labels_check(const char **first) {
  char key[96];
  size_t i, j;
  int bad = 0, c;

  for (i = 0; i < N(FIXED_KEYS); i++)
    bad += check_key(FIXED_KEYS[i], bad);
  for (i = 0; i < N(PLAIN); i++) {
    snprintf(key, sizeof(key), "ind.%s", PLAIN[i].name);
    bad += check_key(key, bad);
  }
  for (i = 0; i < N(CODED); i++) {
    bad += check_key(CODED[i].grp_key, bad);
    for (c = 0; c < CODED[i].n; c++) {
      snprintf(key, sizeof(key), "%s%s", CODED[i].code_pfx, CODED[i].codes[c]);
      bad += check_key(key, bad);
    }
  }
  for (c = 0; c < NOBL; c++) {
    snprintf(key, sizeof(key), "oblast.%s", OBLASTS[c]);
    bad += check_key(key, bad);
  }
  for (c = 0; c < NREG; c++) {
    snprintf(key, sizeof(key), "region.%s", REGIONS[c]);
    bad += check_key(key, bad);
  }
  for (i = 0; i < ayil__report_nlabels; i++)
    for (j = i + 1; j < ayil__report_nlabels; j++)
      if (strcmp(ayil__report_labels[i].key, ayil__report_labels[j].key) == 0) {
        if (bad++ == 0)
          snprintf(first_buf, sizeof(first_buf), "%s",
                   ayil__report_labels[i].key);
      }
  if (first != NULL)
    *first = bad > 0 ? first_buf : NULL;
  return bad;
}

/* ---- writing helpers ---- */

/* "1,234" (en) or "1 234" with a no-break space (ru, ky). */
static void fmt_num(char *buf, size_t n, int64_t v, int l) {
  char d[32], *o = buf;
  int len, i;
  const char *sep = l == L_EN ? "," : "\xc2\xa0";
  size_t sl = strlen(sep);

  len = snprintf(d, sizeof(d), "%lld", (long long)(v < 0 ? -v : v));
  if (v < 0)
    *o++ = '-';
  for (i = 0; i < len; i++) {
    if (i > 0 && (len - i) % 3 == 0 && (size_t)(o - buf) + sl + 2 < n) {
      memcpy(o, sep, sl);
      o += sl;
    }
    if ((size_t)(o - buf) + 1 < n)
      *o++ = d[i];
  }
  *o = '\0';
}

/* The text a cell shows: its number, "<N" or "x". raw: no grouping. */
static void cell_text(const tab_t *t, size_t e, size_t i, int l, int raw,
                      int nb, char *buf, size_t n) {
  unsigned char f = t->f[e * t->ni + i];
  int64_t v = t->v[e * t->ni + i];

  if (f == F_LT)
    snprintf(buf, n, "<%d", nb);
  else if (f == F_X)
    snprintf(buf, n, "x");
  else if (raw)
    snprintf(buf, n, "%lld", (long long)v);
  else
    fmt_num(buf, n, v, l);
}

static void json_str(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s != '\0'; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') {
      fputc('\\', out);
      fputc(ch, out);
    } else if (ch < 0x20 || ch == 0x7f) {
      fprintf(out, "\\u%04x", ch);
    } else {
      fputc(ch, out);
    }
  }
  fputc('"', out);
}

static void json_opt(FILE *out, const char *s) {
  if (s == NULL || s[0] == '\0')
    fputs("null", out);
  else
    json_str(out, s);
}

static void write_json(const ayil_report_t *r, const tab_t *t, FILE *out,
                       int nb) {
  size_t e, k;
  char name[96], disp[32];
  int first = 1;

  fputs("{\"from\":", out);
  json_opt(out, r->from_s);
  fputs(",\"to\":", out);
  json_opt(out, r->to_s);
  fputs(",\"oblast\":", out);
  json_opt(out, r->oblast >= 0 ? OBLASTS[r->oblast] : NULL);
  fprintf(out, ",\"suppress_below\":%d,\"rows\":[", nb < 2 ? 0 : nb);
  for (e = 0; e < t->ne; e++)
    for (k = 0; k < t->ni; k++) {
      int i = t->ord[k];
      fputs(first ? "\n" : ",\n", out);
      first = 0;
      ind_name(t, i, name, sizeof(name));
      fprintf(out, "{\"scope\":\"%s\",\"name\":", SCOPES[t->scope[e]]);
      json_str(out, t->name[e]);
      fprintf(out, ",\"indicator\":\"%s\",\"value\":", name);
      if (t->f[e * t->ni + i] == F_SHOW) {
        fprintf(out, "%lld}", (long long)t->v[e * t->ni + i]);
      } else {
        cell_text(t, e, (size_t)i, L_EN, 1, nb, disp, sizeof(disp));
        fprintf(out, "null,\"suppressed\":true,\"display\":\"%s\"}", disp);
      }
    }
  fputs("\n]}\n", out);
}

static void csv_field(FILE *out, const char *s) {
  if (strpbrk(s, ",\"\r\n") == NULL) {
    fputs(s, out);
    return;
  }
  fputc('"', out);
  for (; *s != '\0'; s++) {
    if (*s == '"')
      fputc('"', out);
    fputc(*s, out);
  }
  fputc('"', out);
}

static void write_csv(const tab_t *t, FILE *out, int nb) {
  size_t e, k;
  char name[96], disp[32];

  fputs("scope,name,indicator,value,suppressed\r\n", out);
  for (e = 0; e < t->ne; e++)
    for (k = 0; k < t->ni; k++) {
      int i = t->ord[k];
      ind_name(t, i, name, sizeof(name));
      fputs(SCOPES[t->scope[e]], out);
      fputc(',', out);
      csv_field(out, t->name[e]);
      fprintf(out, ",%s,", name);
      cell_text(t, e, (size_t)i, L_EN, 1, nb, disp, sizeof(disp));
      fprintf(out, "%s,%d\r\n", disp, t->f[e * t->ni + i] != F_SHOW);
    }
}

/* ---- tables for people: text, md, html ---- */

enum { FMT_TEXT, FMT_MD, FMT_HTML };

#define BLOCK_COLS 6 /* columns of names per table block */

typedef struct human_s {
  const ayil_report_t *r;
  const tab_t *t;
  FILE *out;
  int fmt, l, nb;
  char (*labels)[LABEL_MAX]; /* per column */
} human_t;

/* Display width of UTF-8 text: code points (the labels have no wide
 * characters). */
static size_t u8width(const char *s) {
  size_t w = 0;

  for (; *s != '\0'; s++)
    if (((unsigned char)*s & 0xc0) != 0x80)
      w++;
  return w;
}

/* Text output: control characters of a name become '?', so a name cannot
 * move the cursor or change colours in a terminal. */
static void text_put(FILE *out, const char *s) {
  for (; *s != '\0'; s++)
    fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

static void pad(FILE *out, size_t n) {
  while (n-- > 0)
    fputc(' ', out);
}

static void md_put(FILE *out, const char *s) {
  for (; *s != '\0'; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch < 0x20 || ch == 0x7f)
      fputc(' ', out);
    else if (strchr("\\`*_{}[]<>()#+-.!|&~", ch) != NULL) {
      fputc('\\', out);
      fputc(ch, out);
    } else {
      fputc(ch, out);
    }
  }
}

/* md for our own labels: only '|' and newlines would break a table. */
static void md_label(FILE *out, const char *s) {
  for (; *s != '\0'; s++) {
    if (*s == '|')
      fputs("\\|", out);
    else if (*s == '\n' || *s == '\r')
      fputc(' ', out);
    else
      fputc(*s, out);
  }
}

static void html_put(FILE *out, const char *s) {
  for (; *s != '\0'; s++) {
    unsigned char ch = (unsigned char)*s;
    switch (ch) {
    case '<':
      fputs("&lt;", out);
      break;
    case '>':
      fputs("&gt;", out);
      break;
    case '&':
      fputs("&amp;", out);
      break;
    case '"':
      fputs("&quot;", out);
      break;
    case '\'':
      fputs("&#39;", out);
      break;
    default:
      fputc(ch < 0x20 || ch == 0x7f ? ' ' : ch, out);
    }
  }
}

/* Puts text in the current format; `trusted` is our own label. */
static void h_put(const human_t *h, const char *s, int trusted) {
  if (h->fmt == FMT_HTML)
    html_put(h->out, s);
  else if (h->fmt == FMT_MD)
    trusted ? md_label(h->out, s) : md_put(h->out, s);
  else
    text_put(h->out, s);
}

/* The column header of entity e. *trusted: it is one of our labels. */
static const char *ent_label(const human_t *h, size_t e, char *buf, size_t n,
                             int *trusted) {
  const tab_t *t = h->t;

  *trusted = 1;
  switch (t->scope[e]) {
  case SC_OBLAST:
    snprintf(buf, n, "oblast.%s", t->name[e]);
    return lbl(h->l, buf);
  case SC_REGION:
    snprintf(buf, n, "region.%s", t->name[e]);
    return lbl(h->l, buf);
  case SC_TOTAL:
    return lbl(h->l, "scope.total");
  default:
    *trusted = 0;
    return t->name[e];
  }
}

static void h_heading(const human_t *h, int level, const char *text) {
  FILE *out = h->out;
  size_t w;

  if (h->fmt == FMT_HTML) {
    fprintf(out, "<h%d>", level);
    html_put(out, text);
    fprintf(out, "</h%d>\n", level);
  } else if (h->fmt == FMT_MD) {
    fputs(level == 1 ? "# " : level == 2 ? "## " : "### ", out);
    md_label(out, text);
    fputs("\n\n", out);
  } else {
    text_put(out, text);
    fputc('\n', out);
    for (w = u8width(text); w > 0; w--)
      fputc(level == 1 ? '=' : level == 2 ? '=' : '-', out);
    fputs("\n\n", out);
  }
}

/* One table: rows = indicators, columns = entities ents[0..n-1]. */
static void h_table(const human_t *h, const size_t *ents, size_t n) {
  const tab_t *t = h->t;
  FILE *out = h->out;
  char buf[LABEL_MAX], val[48];
  size_t k, j, lw, cw[BLOCK_COLS];
  const char *ind = lbl(h->l, "col.indicator");
  int trusted;

  assert(n <= BLOCK_COLS);
  if (h->fmt == FMT_TEXT) {
    lw = u8width(ind);
    for (k = 0; k < t->ni; k++)
      if (u8width(h->labels[t->ord[k]]) > lw)
        lw = u8width(h->labels[t->ord[k]]);
    for (j = 0; j < n; j++) {
      cw[j] = u8width(ent_label(h, ents[j], buf, sizeof(buf), &trusted));
      for (k = 0; k < t->ni; k++) {
        cell_text(t, ents[j], (size_t)t->ord[k], h->l, 0, h->nb, val,
                  sizeof(val));
        if (u8width(val) > cw[j])
          cw[j] = u8width(val);
      }
    }
    text_put(out, ind);
    pad(out, lw - u8width(ind));
    for (j = 0; j < n; j++) {
      const char *s = ent_label(h, ents[j], buf, sizeof(buf), &trusted);
      pad(out, 2 + cw[j] - u8width(s));
      text_put(out, s);
    }
    fputc('\n', out);
    for (k = 0; k < lw; k++)
      fputc('-', out);
    for (j = 0; j < n; j++) {
      fputs("  ", out);
      for (k = 0; k < cw[j]; k++)
        fputc('-', out);
    }
    fputc('\n', out);
    for (k = 0; k < t->ni; k++) {
      const char *s = h->labels[t->ord[k]];
      text_put(out, s);
      pad(out, lw - u8width(s));
      for (j = 0; j < n; j++) {
        cell_text(t, ents[j], (size_t)t->ord[k], h->l, 0, h->nb, val,
                  sizeof(val));
        pad(out, 2 + cw[j] - u8width(val));
        fputs(val, out);
      }
      fputc('\n', out);
    }
    fputc('\n', out);
  } else if (h->fmt == FMT_MD) {
    fputs("| ", out);
    md_label(out, ind);
    for (j = 0; j < n; j++) {
      const char *s = ent_label(h, ents[j], buf, sizeof(buf), &trusted);
      fputs(" | ", out);
      h_put(h, s, trusted);
    }
    fputs(" |\n| :---", out);
    for (j = 0; j < n; j++)
      fputs(" | ---:", out);
    fputs(" |\n", out);
    for (k = 0; k < t->ni; k++) {
      fputs("| ", out);
      md_label(out, h->labels[t->ord[k]]);
      for (j = 0; j < n; j++) {
        cell_text(t, ents[j], (size_t)t->ord[k], h->l, 0, h->nb, val,
                  sizeof(val));
        fputs(" | ", out);
        md_label(out, val);
      }
      fputs(" |\n", out);
    }
    fputc('\n', out);
  } else {
    fputs("<table>\n<thead><tr><th class=\"ind\">", out);
    html_put(out, ind);
    fputs("</th>", out);
    for (j = 0; j < n; j++) {
      fputs("<th>", out);
      html_put(out, ent_label(h, ents[j], buf, sizeof(buf), &trusted));
      fputs("</th>", out);
    }
    fputs("</tr></thead>\n<tbody>\n", out);
    for (k = 0; k < t->ni; k++) {
      fputs("<tr><th class=\"ind\">", out);
      html_put(out, h->labels[t->ord[k]]);
      fputs("</th>", out);
      for (j = 0; j < n; j++) {
        unsigned char f = t->f[ents[j] * t->ni + (size_t)t->ord[k]];
        cell_text(t, ents[j], (size_t)t->ord[k], h->l, 0, h->nb, val,
                  sizeof(val));
        fputs(f != F_SHOW ? "<td class=\"s\">" : "<td>", out);
        html_put(out, val);
        fputs("</td>", out);
      }
      fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
  }
}

/* A table of many entities, cut into blocks of BLOCK_COLS columns. */
static void h_tables(const human_t *h, const size_t *ents, size_t n) {
  size_t k;

  for (k = 0; k < n; k += BLOCK_COLS)
    h_table(h, ents + k, n - k < BLOCK_COLS ? n - k : BLOCK_COLS);
}

/* A horizontal bar chart in inline SVG (no xmlns: inline SVG in HTML needs
 * none, and the page must hold no address). */
static void svg_bars(const human_t *h, const char *title, size_t n,
                     const char *const *labels, const size_t *cells) {
  const tab_t *t = h->t;
  FILE *out = h->out;
  int64_t max = 0;
  size_t k, height = n * 24 + 8;
  char val[48];

  for (k = 0; k < n; k++)
    if (t->f[cells[k]] == F_SHOW && t->v[cells[k]] > max)
      max = t->v[cells[k]];
  fputs("<figure>\n<figcaption>", out);
  html_put(out, title);
  fprintf(out,
          "</figcaption>\n<svg width=\"660\" height=\"%zu\" "
          "viewBox=\"0 0 660 %zu\" role=\"img\" aria-label=\"",
          height, height);
  html_put(out, title);
  fputs("\">\n", out);
  for (k = 0; k < n; k++) {
    size_t y = 4 + k * 24;
    int64_t w = 0;
    unsigned char f = t->f[cells[k]];

    if (f == F_SHOW && max > 0)
      w = t->v[cells[k]] * 320 / max;
    if (f == F_SHOW && t->v[cells[k]] > 0 && w < 1)
      w = 1;
    fprintf(out, "<text x=\"246\" y=\"%zu\" text-anchor=\"end\">", y + 15);
    html_put(out, labels[k]);
    fputs("</text>", out);
    if (w > 0)
      fprintf(out,
              "<rect x=\"252\" y=\"%zu\" width=\"%lld\" height=\"16\" "
              "fill=\"#4a6fa5\"/>",
              y + 2, (long long)w);
    fmt_num(val, sizeof(val), t->v[cells[k]], h->l);
    if (f != F_SHOW)
      cell_text(t, cells[k] / t->ni, cells[k] % t->ni, h->l, 0, h->nb, val,
                sizeof(val));
    fprintf(out, "<text x=\"%lld\" y=\"%zu\">", (long long)(258 + w), y + 15);
    html_put(out, val);
    fputs("</text>\n", out);
  }
  fputs("</svg>\n</figure>\n", out);
}

static void html_charts(const human_t *h) {
  const tab_t *t = h->t;
  const char *labels[NOBL > NSERV ? NOBL : NSERV];
  size_t cells[NOBL > NSERV ? NOBL : NSERV];
  char keys[NOBL > NSERV ? NOBL : NSERV][64];
  size_t k, n;

  h_heading(h, 2, lbl(h->l, "heading.charts"));
  for (k = 0; k < (size_t)NVIOL; k++) {
    snprintf(keys[k], sizeof(keys[k]), "code.violence.%s", VIOLENCE[k]);
    labels[k] = lbl(h->l, keys[k]);
    cells[k] = t->tot * t->ni + I_VIOL + k;
  }
  svg_bars(h, lbl(h->l, "chart.violence"), NVIOL, labels, cells);
  for (k = 0; k < (size_t)NSERV; k++) {
    snprintf(keys[k], sizeof(keys[k]), "code.service.%s", SERVICES[k]);
    labels[k] = lbl(h->l, keys[k]);
    cells[k] = t->tot * t->ni + I_REF + k;
  }
  svg_bars(h, lbl(h->l, "chart.referrals"), NSERV, labels, cells);
  for (k = 0, n = 0; k < t->nob; k++) {
    snprintf(keys[n], sizeof(keys[n]), "oblast.%s", t->name[t->ob0 + k]);
    labels[n] = lbl(h->l, keys[n]);
    cells[n] = (t->ob0 + k) * t->ni + I_TRAIN_EVENTS;
    n++;
  }
  svg_bars(h, lbl(h->l, "chart.trainings"), n, labels, cells);
}

static const char HTML_CSS[] =
    "body{font-family:\"DejaVu Sans\",Arial,sans-serif;font-size:10pt;"
    "color:#111;margin:1.5em;max-width:60em}\n"
    "h1{font-size:16pt;margin:0 0 .3em}h2{font-size:13pt;margin:1.2em 0 "
    ".4em;border-bottom:1px solid #999}h3{font-size:11pt;margin:1em 0 .3em}\n"
    "p.meta{margin:.2em 0;color:#333}\n"
    "table{border-collapse:collapse;margin:0 0 1em;font-size:9pt}\n"
    "th,td{border:1px solid #bbb;padding:2px 6px}\n"
    "td{text-align:right;white-space:nowrap;font-variant-numeric:"
    "tabular-nums}\n"
    "th.ind{text-align:left;font-weight:normal}\n"
    "thead th{background:#e8eef6}\n"
    "td.s{color:#666;font-style:italic}\n"
    "figure{margin:0 0 1em}figcaption{font-weight:bold;margin-bottom:.3em}\n"
    "svg text{font-size:11px;fill:#111}\n"
    "@page{size:A4;margin:15mm}\n"
    "@media print{body{margin:0;max-width:none;font-size:9pt}"
    "h2{break-before:page;page-break-before:always}"
    "h2.first{break-before:auto;page-break-before:auto}"
    "table,figure{break-inside:auto}tr,figure{break-inside:avoid;"
    "page-break-inside:avoid}thead{display:table-header-group}"
    "h2,h3{break-after:avoid;page-break-after:avoid}}\n";

static int write_human(const ayil_report_t *r, const tab_t *t, FILE *out,
                       int fmt, int l, int nb) {
  human_t h;
  char buf[LABEL_MAX * 2], from[64], to[64];
  size_t *ents = NULL, k, n, o;
  static const char *const LANGS[] = {"en", "ru", "ky"};

  h.r = r;
  h.t = t;
  h.out = out;
  h.fmt = fmt;
  h.l = l;
  h.nb = nb;
  h.labels = malloc(t->ni * sizeof(*h.labels));
  ents = malloc((t->ne + 1) * sizeof(*ents));
  if (h.labels == NULL || ents == NULL) {
    free(h.labels);
    free(ents);
    return AYIL_ENOMEM;
  }
  for (k = 0; k < t->ni; k++)
    ind_label(t, l, (int)k, h.labels[k], LABEL_MAX);

  if (fmt == FMT_HTML) {
    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
            "<meta charset=\"utf-8\">\n"
            /* The page may load nothing: a browser refuses any request, and
             * the tests check that it makes none. */
            "<meta http-equiv=\"Content-Security-Policy\" content=\""
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
            "<title>",
            LANGS[l]);
    html_put(out, lbl(l, "title"));
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", HTML_CSS);
  }
  h_heading(&h, 1, lbl(l, "title"));
  snprintf(from, sizeof(from), "%s",
           r->from_s[0] ? r->from_s : lbl(l, "period.start"));
  snprintf(to, sizeof(to), "%s", r->to_s[0] ? r->to_s : lbl(l, "period.end"));
  subst(buf, sizeof(buf), lbl(l, "period"), "from", from, "to", to);
  if (fmt == FMT_HTML)
    fputs("<p class=\"meta\">", out);
  h_put(&h, buf, 1);
  fputs(fmt == FMT_HTML ? "</p>\n" : fmt == FMT_MD ? "\n\n" : "\n", out);
  if (r->oblast >= 0) {
    char key[64];
    snprintf(key, sizeof(key), "oblast.%s", OBLASTS[r->oblast]);
    subst(buf, sizeof(buf), lbl(l, "filter.oblast"), "oblast", lbl(l, key),
          NULL, NULL);
    if (fmt == FMT_HTML)
      fputs("<p class=\"meta\">", out);
    h_put(&h, buf, 1);
    fputs(fmt == FMT_HTML ? "</p>\n" : fmt == FMT_MD ? "\n\n" : "\n", out);
  }
  if (nb >= 2) {
    char sn[16], sm[16];
    snprintf(sn, sizeof(sn), "%d", nb);
    snprintf(sm, sizeof(sm), "%d", nb - 1);
    subst(buf, sizeof(buf), lbl(l, "legend.suppressed"), "n", sn, "m", sm);
    if (fmt == FMT_HTML)
      fputs("<p class=\"meta\">", out);
    h_put(&h, buf, 1);
    fputs(fmt == FMT_HTML ? "</p>\n" : fmt == FMT_MD ? "\n\n" : "\n", out);
  }
  if (fmt == FMT_TEXT)
    fputc('\n', out);
  if (fmt == FMT_HTML) {
    fputs("<h2 class=\"first\">", out);
    html_put(out, lbl(l, "heading.total"));
    fputs("</h2>\n", out);
  } else {
    h_heading(&h, 2, lbl(l, "heading.total"));
  }
  ents[0] = t->tot;
  h_tables(&h, ents, 1);
  if (fmt == FMT_HTML)
    html_charts(&h);
  h_heading(&h, 2, lbl(l, "heading.regions"));
  for (k = 0; k < t->nreg; k++)
    ents[k] = t->reg0 + k;
  h_tables(&h, ents, t->nreg);
  h_heading(&h, 2, lbl(l, "heading.oblasts"));
  for (k = 0; k < t->nob; k++)
    ents[k] = t->ob0 + k;
  h_tables(&h, ents, t->nob);
  if (t->ob0 == t->com0) {
    h_heading(&h, 2, lbl(l, "heading.no_committees"));
  } else {
    for (o = t->ob0; o < t->reg0; o++) {
      char key[64];
      for (k = t->com0, n = 0; k < t->ob0; k++)
        if (t->oblast[k] == t->oblast[o])
          ents[n++] = k;
      if (n == 0)
        continue;
      snprintf(key, sizeof(key), "oblast.%s", t->name[o]);
      subst(buf, sizeof(buf), lbl(l, "heading.committees"), "oblast",
            lbl(l, key), NULL, NULL);
      h_heading(&h, 2, buf);
      h_tables(&h, ents, n);
    }
  }
  if (fmt == FMT_HTML)
    fputs("</body>\n</html>\n", out);
  free(ents);
  free(h.labels);
  return 0;
}

int ayil_report_write(ayil_report_t *r, FILE *out, const char *format,
                      const char *lang, int suppress_below) {
  tab_t t;
  int l = lang_index(lang), fmt, rc;

  if (r == NULL || out == NULL || l < 0 || suppress_below < 0)
    return AYIL_EINVAL;
  if (format == NULL || strcmp(format, "text") == 0)
    fmt = FMT_TEXT;
  else if (strcmp(format, "md") == 0)
    fmt = FMT_MD;
  else if (strcmp(format, "html") == 0)
    fmt = FMT_HTML;
  else if (strcmp(format, "json") == 0)
    fmt = -1;
  else if (strcmp(format, "csv") == 0)
    fmt = -2;
  else
    return AYIL_EINVAL;
  rc = tab_build(r, &t, suppress_below);
  if (rc != 0)
    return rc;
  if (fmt == -1) {
    write_json(r, &t, out, suppress_below);
  } else if (fmt == -2) {
    write_csv(&t, out, suppress_below);
  } else {
    rc = write_human(r, &t, out, fmt, l, suppress_below);
  }
  tab_free(&t);
  if (rc != 0)
    return rc;
  if (fflush(out) != 0 || ferror(out))
    return AYIL_EIO;
  return 0;
}

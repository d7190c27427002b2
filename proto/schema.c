/*
 * The record dictionary of RECORDS.md, code-list version 1, as static
 * tables. RECORDS.md is the contract: names and order here follow it, and
 * a later code-list version may only append codes.
 */
#include <string.h>

#include "ayil/schema.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Field constructors, so each table row reads like its RECORDS.md entry. */
#define F_DATE(name, req, mkey)                                                \
  { name, NULL, AYIL_CLASS_I, req, AYIL_FT_DATE, NULL, 0, mkey }
#define F_TEXT(name)                                                           \
  { name, NULL, AYIL_CLASS_I, 0, AYIL_FT_TEXT, NULL, 0, NULL }
#define F_CODE(name, req, list)                                                \
  { name, name, AYIL_CLASS_A, req, AYIL_FT_CODE, list, N(list), NULL }
#define F_CODES(name, req, list)                                               \
  { name, name, AYIL_CLASS_A, req, AYIL_FT_CODES, list, N(list), NULL }
#define F_BOOL(name, req)                                                      \
  { name, name, AYIL_CLASS_A, req, AYIL_FT_BOOL, NULL, 0, NULL }
#define F_COUNT(name, req)                                                     \
  { name, name, AYIL_CLASS_A, req, AYIL_FT_COUNT, NULL, 0, NULL }
#define F_CASE(req)                                                            \
  { "case", "case", AYIL_CLASS_A, req, AYIL_FT_CASE, NULL, 0, NULL }

/* ---- code lists ---- */

static const char *const c_appeal_source[] = {
    "survivor", "family",        "neighbour", "police", "school",
    "health",   "aksakal_court", "anonymous", "other"};
static const char *const c_violence[] = {"physical", "psychological", "sexual",
                                         "economic", "neglect"};
static const char *const c_gbv_type[] = {"rape",
                                         "sexual_assault",
                                         "physical_assault",
                                         "forced_marriage",
                                         "denial_of_resources",
                                         "psychological_abuse",
                                         "non_gbv"};
static const char *const c_sex[] = {"female", "male"};
static const char *const c_age[] = {"0-11",  "12-17", "18-25",  "26-40",
                                    "41-60", "61+",   "unknown"};
static const char *const c_relation[] = {"spouse", "former_spouse",  "partner",
                                         "parent", "child",          "sibling",
                                         "in_law", "other_relative", "other"};
static const char *const c_reviewed_with[] = {"police", "aksakal_court",
                                              "social_services", "none"};
static const char *const c_appeal_status[] = {"open", "in_progress", "closed"};

static const char *const c_service[] = {
    "crisis_centre", "shelter",           "police",
    "aksakal_court", "legal_aid",         "psychologist",
    "health",        "social_protection", "other"};
static const char *const c_referral_status[] = {"referred", "provided",
                                                "declined", "unavailable"};

static const char *const c_outcome[] = {"ongoing", "completed", "dropped"};

static const char *const c_family_reason[] = {
    "violence_history", "alcohol",  "unemployment", "migration",
    "disability",       "conflict", "other"};
static const char *const c_risk[] = {"high", "medium", "low"};
static const char *const c_family_status[] = {"active", "removed"};

static const char *const c_action[] = {
    "preventive_talk",      "home_visit",        "document_restoration",
    "correctional_session", "referral_followup", "other"};
static const char *const c_result[] = {"done", "not_reached", "refused",
                                       "other"};

static const char *const c_audience[] = {
    "parents",      "pupils_8_11", "community", "women", "youth",
    "door_to_door", "whatsapp",    "press",     "other"};

static const char *const c_groups[] = {
    "state", "municipal", "ngo", "activist", "police", "school", "health"};

static const char *const c_aid_kind[] = {"money", "housing", "in_kind"};

static const char *const c_closure_reason[] = {
    "resolved", "moved", "referred_elsewhere", "survivor_request", "other"};

/* ---- kinds ---- */

static const ayil_field_t f_appeal[] = {
    F_DATE("date", 1, "month"),
    F_CODE("source", 1, c_appeal_source),
    F_CODES("violence", 1, c_violence),
    F_CODE("gbv_type", 0, c_gbv_type),
    F_CODE("survivor_sex", 1, c_sex),
    F_CODE("survivor_age", 1, c_age),
    F_CODE("perpetrator_relation", 0, c_relation),
    F_CODES("reviewed_with", 0, c_reviewed_with),
    F_BOOL("consent_services", 0),
    F_BOOL("consent_reporting", 0),
    F_CODE("status", 1, c_appeal_status),
    F_TEXT("survivor_name"),
    F_TEXT("survivor_phone"),
    F_TEXT("address"),
    F_TEXT("perpetrator_name"),
    F_TEXT("narrative"),
};

static const ayil_field_t f_referral[] = {
    F_CASE(1),
    F_DATE("date", 1, "month"),
    F_CODE("service", 1, c_service),
    F_CODE("status", 1, c_referral_status),
    F_TEXT("notes"),
};

static const ayil_field_t f_protection_order[] = {
    F_CASE(1),
    F_DATE("date", 1, "month"),
    F_COUNT("days", 1),
    F_BOOL("extended", 0),
    F_BOOL("breached", 0),
    F_TEXT("order_number"),
};

static const ayil_field_t f_correction[] = {
    F_CASE(1),
    F_DATE("date", 1, "month"),
    F_CODE("outcome", 1, c_outcome),
    F_TEXT("notes"),
};

static const ayil_field_t f_family[] = {
    F_DATE("date", 1, "month"),
    F_CODES("reason", 1, c_family_reason),
    F_CODE("risk", 1, c_risk),
    F_COUNT("children", 0),
    F_CODE("status", 1, c_family_status),
    F_DATE("removed_date", 0, "removed_month"),
    F_TEXT("family_name"),
    F_TEXT("address"),
    F_TEXT("members"),
    F_TEXT("notes"),
};

static const ayil_field_t f_followup[] = {
    F_CASE(1),
    F_DATE("date", 1, "month"),
    F_CODE("action", 1, c_action),
    F_CODE("result", 0, c_result),
    F_TEXT("notes"),
};

static const ayil_field_t f_session[] = {
    F_DATE("date", 1, "month"),    F_COUNT("cases_reviewed", 1),
    F_COUNT("members_present", 0), F_BOOL("violence_related", 1),
    F_TEXT("decisions"),
};

static const ayil_field_t f_prevention[] = {
    F_DATE("date", 1, "month"),
    F_CODE("audience", 1, c_audience),
    F_COUNT("participants_female", 1),
    F_COUNT("participants_male", 1),
    F_TEXT("notes"),
};

static const ayil_field_t f_training[] = {
    F_DATE("date", 1, "month"),        F_COUNT("days", 1),
    F_COUNT("participants_female", 1), F_COUNT("participants_male", 1),
    F_CODES("groups", 0, c_groups),    F_TEXT("notes"),
};

/* The aid field `kind` is stored in the header as `aid_kind`: the header's
 * own `kind` key is the record kind (see schema.h). */
static const ayil_field_t f_aid[] = {
    F_CASE(0),
    F_DATE("date", 1, "month"),
    {"kind", "aid_kind", AYIL_CLASS_A, 1, AYIL_FT_CODE, c_aid_kind,
     N(c_aid_kind), NULL},
    F_COUNT("amount_som", 0), /* required when kind is money: xrules */
    F_TEXT("recipient_name"),
    F_TEXT("notes"),
};

static const ayil_field_t f_closure[] = {
    F_CASE(1),
    F_DATE("date", 1, "month"),
    F_CODE("reason", 1, c_closure_reason),
};

#define KIND(name, desc, fields)                                               \
  { name, desc, fields, N(fields) }

static const ayil_kind_t kinds[] = {
    KIND("appeal", "a citizen's appeal about family violence", f_appeal),
    KIND("referral", "a survivor sent to a service", f_referral),
    KIND("protection_order", "a protection order", f_protection_order),
    KIND("correction", "a correctional programme", f_correction),
    KIND("family", "an at-risk family on the register", f_family),
    KIND("followup", "work with a case or family", f_followup),
    KIND("session", "a committee session", f_session),
    KIND("prevention", "a preventive meeting or outreach", f_prevention),
    KIND("training", "a training", f_training),
    KIND("aid", "material aid", f_aid),
    KIND("closure", "a case closed", f_closure),
};

size_t ayil_schema_nkinds(void) {
  return N(kinds);
}

const ayil_kind_t *ayil_schema_kind_at(size_t i) {
  return i < N(kinds) ? &kinds[i] : NULL;
}

const ayil_kind_t *ayil_schema_kind(const char *name) {
  size_t i;

  if (name == NULL)
    return NULL;
  for (i = 0; i < N(kinds); i++)
    if (strcmp(kinds[i].name, name) == 0)
      return &kinds[i];
  return NULL;
}

const ayil_field_t *ayil_kind_field(const ayil_kind_t *k, const char *name) {
  size_t i;

  if (k == NULL || name == NULL)
    return NULL;
  for (i = 0; i < k->nfields; i++)
    if (strcmp(k->fields[i].name, name) == 0)
      return &k->fields[i];
  return NULL;
}

const ayil_field_t *ayil_kind_field_by_hkey(const ayil_kind_t *k,
                                            const char *hkey) {
  size_t i;

  if (k == NULL || hkey == NULL)
    return NULL;
  for (i = 0; i < k->nfields; i++)
    if (k->fields[i].hkey != NULL && strcmp(k->fields[i].hkey, hkey) == 0)
      return &k->fields[i];
  return NULL;
}

const ayil_field_t *ayil_kind_field_by_month_key(const ayil_kind_t *k,
                                                 const char *mkey) {
  size_t i;

  if (k == NULL || mkey == NULL)
    return NULL;
  for (i = 0; i < k->nfields; i++)
    if (k->fields[i].month_key != NULL &&
        strcmp(k->fields[i].month_key, mkey) == 0)
      return &k->fields[i];
  return NULL;
}

int ayil_field_code_index(const ayil_field_t *f, const char *code) {
  size_t i;

  if (f == NULL || code == NULL)
    return -1;
  for (i = 0; i < f->ncodes; i++)
    if (strcmp(f->codes[i], code) == 0)
      return (int)i;
  return -1;
}

const char *ayil_ftype_name(ayil_ftype_t t) {
  switch (t) {
  case AYIL_FT_DATE:
    return "date";
  case AYIL_FT_CODE:
    return "code";
  case AYIL_FT_CODES:
    return "codes";
  case AYIL_FT_BOOL:
    return "bool";
  case AYIL_FT_COUNT:
    return "count";
  case AYIL_FT_CASE:
    return "case";
  case AYIL_FT_TEXT:
    return "text";
  }
  return "unknown";
}

const char *ayil_class_name(ayil_class_t c) {
  return c == AYIL_CLASS_A ? "aggregatable" : "identifying";
}

/* ---- cross-field rules ---- */

static const ayil_xrule_t xrules[] = {
    {"aid", "kind", "money", "amount_som"},
};

size_t ayil_schema_nxrules(void) {
  return N(xrules);
}

const ayil_xrule_t *ayil_schema_xrule_at(size_t i) {
  return i < N(xrules) ? &xrules[i] : NULL;
}

/* ---- oblasts ---- */

static const struct {
  const char *name;
  const char *region;
} oblasts[] = {
    {"batken", "south"},     {"chui", "north"},    {"issyk_kul", "north"},
    {"jalal_abad", "south"}, {"naryn", "north"},   {"osh", "south"},
    {"talas", "north"},      {"bishkek", "north"}, {"osh_city", "south"},
};

size_t ayil_schema_noblasts(void) {
  return N(oblasts);
}

const char *ayil_schema_oblast_at(size_t i) {
  return i < N(oblasts) ? oblasts[i].name : NULL;
}

const char *ayil_oblast_region(const char *name) {
  size_t i;

  if (name == NULL)
    return NULL;
  for (i = 0; i < N(oblasts); i++)
    if (strcmp(oblasts[i].name, name) == 0)
      return oblasts[i].region;
  return NULL;
}

static const char *const regions[] = {"north", "south"};

size_t ayil_schema_nregions(void) {
  return N(regions);
}

const char *ayil_schema_region_at(size_t i) {
  return i < N(regions) ? regions[i] : NULL;
}

int ayil_oblast_valid(const char *name) {
  return ayil_oblast_region(name) != NULL;
}

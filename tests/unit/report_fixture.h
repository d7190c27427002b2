/* The report tests' fixture, shared by test_report.c and
 * test_report_suppress.c: the indicator names in output order, records
 * made by hand, and reports read back. Not an interface. All names here
 * are invented. */
#ifndef AYIL_TEST_REPORT_FIXTURE_H
#define AYIL_TEST_REPORT_FIXTURE_H
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ayil/schema.h"
#include "record.h"
#include "report.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Every indicator without training days, in output order (RECORDS.md). */
static const char *const INDICATORS[] = {
    "appeals",
    "appeals.violence.physical",
    "appeals.violence.psychological",
    "appeals.violence.sexual",
    "appeals.violence.economic",
    "appeals.violence.neglect",
    "appeals.sex.female",
    "appeals.sex.male",
    "appeals.age.0-11",
    "appeals.age.12-17",
    "appeals.age.18-25",
    "appeals.age.26-40",
    "appeals.age.41-60",
    "appeals.age.61+",
    "appeals.age.unknown",
    "sessions",
    "sessions.violence_related",
    "families.registered",
    "families.active",
    "referrals",
    "referrals.crisis_centre",
    "referrals.shelter",
    "referrals.police",
    "referrals.aksakal_court",
    "referrals.legal_aid",
    "referrals.psychologist",
    "referrals.health",
    "referrals.social_protection",
    "referrals.other",
    "referrals.crisis_or_shelter",
    "protection_orders",
    "aid.money.people",
    "aid.money.som",
    "aid.housing",
    "aid.in_kind",
    "prevention.events",
    "prevention.participants",
    "training.events",
    "training.participants",
    /* training.participants.days_<n> go here */
    "followups.preventive_talk",
    "followups.home_visit",
    "followups.document_restoration",
    "followups.correctional_session",
    "followups.referral_followup",
    "followups.other",
    "closures",
};
#define I_AFTER_TRAINING 39 /* index of the first followups row */

/* ---- helpers ---- */

static inline void add(ayil_report_t *r, const char *name, const char *oblast,
                       const char *hdr) {
  json_error_t err;
  json_t *h = json_loads(hdr, 0, &err);

  assert_non_null(h);
  assert_int_equal(ayil_report_add(r, name, oblast, h), 0);
  json_decref(h);
}

static inline int add_rc(ayil_report_t *r, const char *name, const char *oblast,
                         const char *hdr) {
  json_t *h = json_loads(hdr, 0, NULL);
  int rc;

  assert_non_null(h);
  rc = ayil_report_add(r, name, oblast, h);
  json_decref(h);
  return rc;
}

/* Writes the report into a malloc'd string. */
static inline char *render(ayil_report_t *r, const char *fmt, const char *lang,
                           int nb) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);

  assert_non_null(f);
  assert_int_equal(ayil_report_write(r, f, fmt, lang, nb), 0);
  fclose(f);
  return buf;
}

static inline json_t *render_json(ayil_report_t *r, int nb) {
  char *s = render(r, "json", NULL, nb);
  json_error_t err;
  json_t *doc = json_loads(s, 0, &err);

  if (doc == NULL)
    fail_msg("bad json at line %d: %s", err.line, err.text);
  free(s);
  return doc;
}

/* The value of a row; -1 when suppressed; fails if the row is missing. */
static inline long long val(const json_t *doc, const char *scope,
                            const char *name, const char *ind) {
  const json_t *rows = json_object_get(doc, "rows"), *row;
  size_t i;

  json_array_foreach(rows, i, row) {
    if (strcmp(json_string_value(json_object_get(row, "scope")), scope) == 0 &&
        strcmp(json_string_value(json_object_get(row, "name")), name) == 0 &&
        strcmp(json_string_value(json_object_get(row, "indicator")), ind) ==
            0) {
      const json_t *v = json_object_get(row, "value");
      if (json_is_null(v)) {
        assert_true(json_is_true(json_object_get(row, "suppressed")));
        return -1;
      }
      assert_true(json_is_integer(v));
      return (long long)json_integer_value(v);
    }
  }
  fail_msg("no row %s/%s/%s", scope, name, ind);
  return -2;
}

static inline const char *display(const json_t *doc, const char *scope,
                                  const char *name, const char *ind) {
  const json_t *rows = json_object_get(doc, "rows"), *row;
  size_t i;

  json_array_foreach(rows, i, row) {
    if (strcmp(json_string_value(json_object_get(row, "scope")), scope) == 0 &&
        strcmp(json_string_value(json_object_get(row, "name")), name) == 0 &&
        strcmp(json_string_value(json_object_get(row, "indicator")), ind) ==
            0) {
      const char *d = json_string_value(json_object_get(row, "display"));
      if (d == NULL)
        fail_msg("%s %s %s is not suppressed", scope, name, ind);
      return d;
    }
  }
  fail_msg("no row %s/%s/%s", scope, name, ind);
  return NULL;
}

/* Expected values: all indicators 0 except those listed. */
typedef struct {
  const char *ind;
  long long v;
} kv_t;

static inline void expect(const json_t *doc, const char *scope,
                          const char *name, const kv_t *kv, size_t n,
                          const char *const *extra, size_t nextra) {
  size_t i, k;

  for (i = 0; i < N(INDICATORS) + nextra; i++) {
    const char *ind =
        i < N(INDICATORS) ? INDICATORS[i] : extra[i - N(INDICATORS)];
    long long want = 0, got = val(doc, scope, name, ind);
    for (k = 0; k < n; k++)
      if (strcmp(kv[k].ind, ind) == 0)
        want = kv[k].v;
    if (got != want)
      fail_msg("%s %s %s: want %lld got %lld", scope, name, ind, want, got);
  }
}

/* Record headers as JSON, for the random reports and the fast path. */
#define HDR_APPEAL                                                             \
  "{\"kind\":\"appeal\",\"month\":\"%s\",\"violence\":[\"%s\"],"               \
  "\"survivor_sex\":\"%s\",\"survivor_age\":\"%s\"}"
#define HDR_REFERRAL                                                           \
  "{\"kind\":\"referral\",\"month\":\"%s\",\"service\":\"%s\"}"
#define HDR_TRAINING                                                           \
  "{\"kind\":\"training\",\"month\":\"%s\",\"days\":%d,"                       \
  "\"participants_female\":%d,\"participants_male\":%d}"
#define HDR_MONEY                                                              \
  "{\"kind\":\"aid\",\"month\":\"%s\",\"aid_kind\":\"money\","                 \
  "\"amount_som\":%d}"

#endif

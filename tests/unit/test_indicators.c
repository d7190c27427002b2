/*
 * The indicator table (include/ayil/indicators.h) against the record
 * dictionary (include/ayil/schema.h) and the catalogues: every kind, field
 * and code it names exists and has the right type, every name it gives
 * (expanded over the code lists) is unique, every cross-reference leads to
 * a row that fits, and every label it asks for is in po/ayil in en, ky
 * and ru.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ayil/indicators.h"
#include "ayil/schema.h"
#include "i18n.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const ayil_field_t *field(const ayil_indicator_t *d, const char *name) {
  return ayil_kind_field(ayil_schema_kind(d->kind), name);
}

/* Number of parts in angle brackets in a name; the part must end it or be
 * followed by nothing with a '<' or '>'. */
static int placeholders(const char *name) {
  const char *lt = strchr(name, '<'), *gt;

  if (lt == NULL)
    return strchr(name, '>') == NULL ? 0 : -1;
  gt = strchr(lt, '>');
  if (gt == NULL || gt == lt + 1 || strpbrk(gt + 1, "<>") != NULL)
    return -1;
  return 1;
}

static void test_rows_match_schema(void **state) {
  size_t i, j;
  int ncount = 0;

  (void)state;
  assert_true(ayil_indicators_n() > 0);
  assert_null(ayil_indicator_at(ayil_indicators_n()));
  assert_null(ayil_indicator("nothing"));
  assert_null(ayil_indicator(NULL));
  for (i = 0; i < ayil_indicators_n(); i++) {
    const ayil_indicator_t *d = ayil_indicator_at(i);
    const ayil_field_t *f;

    assert_non_null(d->name);
    assert_ptr_equal(ayil_indicator(d->name), d);
    if (ayil_schema_kind(d->kind) == NULL)
      fail_msg("%s: no kind %s", d->name, d->kind);
    assert_true(d->op == AYIL_IND_RECORDS || d->op == AYIL_IND_SUM ||
                d->op == AYIL_IND_ACTIVE);
    assert_non_null(d->label);
    /* where: a bool, or a code field and codes of its list. */
    if (d->where != NULL) {
      f = field(d, d->where);
      if (f == NULL || f->cls != AYIL_CLASS_A)
        fail_msg("%s: no header field %s", d->name, d->where);
      if (f->type == AYIL_FT_BOOL) {
        assert_null(d->codes[0]);
      } else {
        assert_true(f->type == AYIL_FT_CODE || f->type == AYIL_FT_CODES);
        assert_non_null(d->codes[0]);
        for (j = 0; j < N(d->codes) && d->codes[j] != NULL; j++)
          if (ayil_field_code_index(f, d->codes[j]) < 0)
            fail_msg("%s: %s is not a code of %s.%s", d->name, d->codes[j],
                     d->kind, d->where);
      }
    } else {
      assert_null(d->codes[0]);
    }
    assert_false(d->codes[1] != NULL && d->codes[0] == NULL);
    /* sum: counts, and only for AYIL_IND_SUM. */
    assert_int_equal(d->sum[0] != NULL, d->op == AYIL_IND_SUM);
    for (j = 0; j < N(d->sum) && d->sum[j] != NULL; j++) {
      f = field(d, d->sum[j]);
      if (f == NULL || f->type != AYIL_FT_COUNT)
        fail_msg("%s: %s is not a count of %s", d->name, d->sum[j], d->kind);
    }
    /* active: a where field and the date of removal. */
    assert_int_equal(d->until != NULL, d->op == AYIL_IND_ACTIVE);
    if (d->until != NULL) {
      f = field(d, d->until);
      assert_non_null(d->where);
      assert_null(d->by);
      if (f == NULL || f->type != AYIL_FT_DATE || f->month_key == NULL)
        fail_msg("%s: %s is not a date of %s", d->name, d->until, d->kind);
    }
    /* by: a code list or a count; the name has its place in brackets. */
    assert_int_equal(placeholders(d->name), d->by != NULL);
    if (d->by != NULL) {
      f = field(d, d->by);
      if (f == NULL || f->cls != AYIL_CLASS_A ||
          (f->type != AYIL_FT_CODE && f->type != AYIL_FT_CODES &&
           f->type != AYIL_FT_COUNT))
        fail_msg("%s: %s is not a code or count of %s", d->name, d->by,
                 d->kind);
      if (f->type == AYIL_FT_COUNT)
        ncount++;
      else
        assert_true(f->ncodes > 0 && f->ncodes <= 64);
    }
  }
  /* The report keeps the one row by a count apart (report_int.h). */
  assert_true(ncount <= 1);
}

/* The rows a row refers to exist and fit. */
static void test_references(void **state) {
  size_t i, j;

  (void)state;
  for (i = 0; i < ayil_indicators_n(); i++) {
    const ayil_indicator_t *d = ayil_indicator_at(i), *t;

    if (d->hidden_with != NULL) {
      /* An amount hidden with a count of the same records. */
      t = ayil_indicator(d->hidden_with);
      if (t == NULL)
        fail_msg("%s: no row %s", d->name, d->hidden_with);
      assert_null(t->hidden_with);
      assert_null(t->by);
      assert_null(d->by);
      assert_string_equal(t->kind, d->kind);
      assert_true(t->where != NULL && d->where != NULL &&
                  strcmp(t->where, d->where) == 0);
      assert_true(t->codes[0] != NULL && d->codes[0] != NULL &&
                  strcmp(t->codes[0], d->codes[0]) == 0);
    }
    if (d->sums_to == NULL)
      continue;
    t = ayil_indicator(d->sums_to);
    if (t == NULL)
      fail_msg("%s: no row %s", d->name, d->sums_to);
    /* The total: one indicator over every record of the kind, summing
     * what d sums. */
    assert_string_equal(t->kind, d->kind);
    assert_null(t->by);
    assert_null(t->where);
    assert_int_equal(t->op, d->op);
    assert_null(t->hidden_with);
    assert_null(d->hidden_with);
    for (j = 0; j < N(d->sum); j++)
      assert_true((t->sum[j] == NULL && d->sum[j] == NULL) ||
                  (t->sum[j] != NULL && d->sum[j] != NULL &&
                   strcmp(t->sum[j], d->sum[j]) == 0));
    if (d->by != NULL) {
      /* Expanded by one code of each record, or by a count. */
      const ayil_field_t *f = field(d, d->by);
      assert_true(f->type == AYIL_FT_CODE || f->type == AYIL_FT_COUNT);
      assert_true(f->required);
    } else {
      /* Some codes of a field that another row with this total is
       * expanded by. */
      const ayil_indicator_t *e = NULL;
      assert_non_null(d->where);
      assert_non_null(d->codes[0]);
      for (j = 0; j < ayil_indicators_n() && e == NULL; j++) {
        const ayil_indicator_t *c = ayil_indicator_at(j);
        if (c->by != NULL && strcmp(c->by, d->where) == 0 &&
            strcmp(c->kind, d->kind) == 0 && c->sums_to != NULL &&
            strcmp(c->sums_to, d->sums_to) == 0)
          e = c;
      }
      if (e == NULL)
        fail_msg("%s: no row expanded by %s sums to %s", d->name, d->where,
                 d->sums_to);
    }
  }
}

/* Every indicator name the table gives (a row by a count with n = 1) is
 * unique. */
static void test_names_unique(void **state) {
  char names[256][96];
  size_t n = 0, i, j, c;

  (void)state;
  for (i = 0; i < ayil_indicators_n(); i++) {
    const ayil_indicator_t *d = ayil_indicator_at(i);
    const ayil_field_t *f = d->by != NULL ? field(d, d->by) : NULL;
    const char *lt = strchr(d->name, '<'), *gt = lt ? strchr(lt, '>') : NULL;
    size_t nc = f == NULL ? 1 : f->type == AYIL_FT_COUNT ? 1 : f->ncodes;

    for (c = 0; c < nc; c++) {
      assert_true(n < N(names));
      if (gt == NULL)
        snprintf(names[n], sizeof(names[n]), "%s", d->name);
      else
        snprintf(names[n], sizeof(names[n]), "%.*s%s%s", (int)(lt - d->name),
                 d->name, f->type == AYIL_FT_COUNT ? "1" : f->codes[c], gt + 1);
      for (j = 0; j < n; j++)
        if (strcmp(names[j], names[n]) == 0)
          fail_msg("indicator %s twice", names[n]);
      n++;
    }
  }
  /* RECORDS.md's 46 with training days of one length. */
  assert_int_equal(n, 47);
  assert_string_equal(names[0], "appeals");
  assert_string_equal(names[1], "appeals.violence.physical");
  assert_string_equal(names[n - 1], "closures");
}

static int missing;

static void need(const char *ctx, const char *msgid) {
  static const char *const langs[] = {"en", "ky", "ru"};
  size_t l;

  for (l = 0; l < N(langs); l++)
    if (!ayil_tr_has(langs[l], AYIL_DOMAIN, ctx, msgid)) {
      print_error("po/ayil/%s.po: no \"%s\" in context \"%s\"\n", langs[l],
                  msgid, ctx);
      missing++;
    }
}

/* The labels, charts and code labels of every row are in the catalogues
 * (scripts/i18n-check.sh checks that they compile and are complete). */
static void test_labels_in_catalogues(void **state) {
  char ctx[96];
  size_t i, c;

  (void)state;
  missing = 0;
  for (i = 0; i < ayil_indicators_n(); i++) {
    const ayil_indicator_t *d = ayil_indicator_at(i);
    const ayil_field_t *f = d->by != NULL ? field(d, d->by) : NULL;

    need("report", d->label);
    if (d->chart != NULL)
      need("report", d->chart);
    if (f == NULL)
      continue;
    snprintf(ctx, sizeof(ctx), "code.%s.%s", d->kind, f->name);
    for (c = 0; c < f->ncodes; c++)
      need(ctx, f->codes[c]);
  }
  if (missing > 0)
    fail_msg("%d labels of the indicator table are missing (above)", missing);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rows_match_schema),
      cmocka_unit_test(test_references),
      cmocka_unit_test(test_names_unique),
      cmocka_unit_test(test_labels_in_catalogues),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}

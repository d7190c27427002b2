/*
 * Completeness of the "ayil" catalogues (po/ayil/LANG.po, node/i18n.h):
 * every kind, field, hint, code and oblast of the record dictionary
 * (walked from proto/schema.c), yes/no, and every label the report can ask
 * for has a translation in ky, ru and en. A message added without its
 * translations fails here and names what is missing.
 *
 * The catalogues are the build tree's (AYIL_LOCALEDIR, set by ctest and
 * by main() from AYIL_TEST_LOCALEDIR), so a test run never reads installed
 * ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ayil/schema.h"
#include "i18n.h"
#include "report.h"

#ifndef AYIL_TEST_LOCALEDIR
#error "AYIL_TEST_LOCALEDIR (the build tree's locale dir) must be defined"
#endif

static int missing;

/* Counts and names a message of domain "ayil" that `lang` lacks. */
static void need(const char *lang, const char *ctx, const char *msgid) {
  if (ayil_tr_has(lang, AYIL_DOMAIN, ctx, msgid))
    return;
  if (missing < 40)
    print_message("missing in po/ayil/%s.po: msgctxt \"%s\" msgid \"%s\"\n",
                  lang, ctx, msgid);
  missing++;
}

/* 1 if s has a Cyrillic letter (U+0400..U+04FF: lead byte 0xd0..0xd3). */
static int has_cyrillic(const char *s) {
  for (; *s != '\0'; s++)
    if ((unsigned char)*s >= 0xd0 && (unsigned char)*s <= 0xd3)
      return 1;
  return 0;
}

/* A kind's, field's or hint's text in ky or ru is written in Cyrillic (an
 * English text copied into ky.po or ru.po is not a translation). */
static void need_cyrillic(const char *lang, const char *ctx,
                          const char *msgid) {
  const char *s;

  if (strcmp(lang, "en") == 0 || !ayil_tr_has(lang, AYIL_DOMAIN, ctx, msgid))
    return;
  s = ayil_trc(lang, AYIL_DOMAIN, ctx, msgid);
  if (has_cyrillic(s))
    return;
  if (missing < 40)
    print_message("not Cyrillic in po/ayil/%s.po: msgctxt \"%s\" msgid "
                  "\"%s\": \"%s\"\n",
                  lang, ctx, msgid, s);
  missing++;
}

static void test_locale_dir(void **state) {
  (void)state;
  assert_string_equal(ayil_i18n_init(), getenv("AYIL_LOCALEDIR"));
  /* The lookup works, per language, and a missing message is missing. */
  assert_true(ayil_tr_has("ky", AYIL_DOMAIN, "kind", "appeal"));
  assert_string_equal(ayil_trc("en", AYIL_DOMAIN, "kind", "appeal"), "Appeal");
  assert_string_equal(ayil_trc("ru", AYIL_DOMAIN, "kind", "appeal"),
                      "Обращение");
  assert_string_equal(ayil_trc("ky", AYIL_DOMAIN, "kind", "appeal"),
                      "Кайрылуу");
  assert_false(ayil_tr_has("ky", AYIL_DOMAIN, "kind", "no_such_kind"));
  assert_false(ayil_tr_has("ky", AYIL_DOMAIN, "oblast", "appeal"));
  assert_string_equal(ayil_trc("ru", AYIL_DOMAIN, "kind", "no_such_kind"),
                      "no_such_kind");
  /* A context keeps a code's own label: "school" as a source and as a
   * group trained. */
  assert_string_equal(
      ayil_trc("en", AYIL_DOMAIN, "code.training.groups", "school"), "schools");
  assert_string_equal(
      ayil_trc("en", AYIL_DOMAIN, "code.appeal.source", "school"), "school");
}

static void test_dictionary(void **state) {
  char ctx[128];
  size_t i, j, c, n = 0;
  int l;

  (void)state;
  missing = 0;
  for (l = 0; l < AYIL_LANGS; l++) {
    const char *lang = ayil_langs[l];
    assert_true(ayil_schema_nkinds() >= 11);
    for (i = 0; i < ayil_schema_nkinds(); i++) {
      const ayil_kind_t *k = ayil_schema_kind_at(i);
      need(lang, "kind", k->name);
      need_cyrillic(lang, "kind", k->name);
      for (j = 0; j < k->nfields; j++) {
        const ayil_field_t *f = &k->fields[j];
        snprintf(ctx, sizeof(ctx), "field.%s", k->name);
        need(lang, ctx, f->name);
        need_cyrillic(lang, ctx, f->name);
        snprintf(ctx, sizeof(ctx), "hint.%s", k->name);
        need(lang, ctx, f->name);
        need_cyrillic(lang, ctx, f->name);
        n += 2;
        if (f->type != AYIL_FT_CODE && f->type != AYIL_FT_CODES)
          continue;
        assert_true(f->ncodes > 0);
        snprintf(ctx, sizeof(ctx), "code.%s.%s", k->name, f->name);
        for (c = 0; c < f->ncodes; c++, n++)
          need(lang, ctx, f->codes[c]);
      }
    }
    for (i = 0; i < ayil_schema_noblasts(); i++, n++)
      need(lang, "oblast", ayil_schema_oblast_at(i));
    need(lang, "bool", "true");
    need(lang, "bool", "false");
  }
  if (missing > 0)
    fail_msg("%d messages of the record dictionary are missing (above)",
             missing);
  /* The walk saw the whole dictionary: 71 fields (label and hint) and 108
   * codes in code-list version 1, and 9 oblasts, in each language. */
  assert_true(n >= 3 * (2 * 71 + 108 + 9));
}

static void test_report_labels(void **state) {
  const char *first = NULL;
  size_t i;
  int l, bad;

  (void)state;
  bad = ayil__report_labels_check(&first);
  if (bad != 0)
    fail_msg("%d report labels lack a translation, first: %s", bad, first);
  assert_null(first);
  assert_true(ayil__report_nlabels >= 80);
  missing = 0;
  for (i = 0; i < ayil__report_nlabels; i++) {
    const ayil__report_label_t *v = &ayil__report_labels[i];
    for (l = 0; l < AYIL_LANGS; l++) {
      need(ayil_langs[l], v->ctx, v->msgid);
      if (strcmp(v->ctx, "report") == 0)
        need_cyrillic(ayil_langs[l], v->ctx, v->msgid);
    }
  }
  if (missing > 0)
    fail_msg("%d report labels are missing (above)", missing);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_locale_dir),
      cmocka_unit_test(test_dictionary),
      cmocka_unit_test(test_report_labels),
  };

  /* ctest sets it; a run by hand gets the build tree's too. */
  setenv("AYIL_LOCALEDIR", AYIL_TEST_LOCALEDIR, 0);
  return cmocka_run_group_tests(tests, NULL, NULL);
}

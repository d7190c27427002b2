/*
 * Every label of the record dictionary has a translation in Kyrgyz,
 * Russian and English: a walk of proto/schema.c over the catalogues the
 * build compiled (po/ayil), so that a new kind, field or code cannot be
 * left out of the forms. And the language is chosen per call.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ayil/schema.h"
#include "i18n.h"

static size_t missing(const char *lang, const char *ctx, const char *msgid) {
  if (ayil_tr_has(lang, AYIL_DOMAIN, ctx, msgid))
    return 0;
  print_message("missing in %s: [%s] %s\n", lang, ctx, msgid);
  return 1;
}

static void test_dictionary_complete(void **state) {
  size_t i, j, c, l, n = 0, checked = 0;
  char ctx[128];
  (void)state;
  ayil_i18n_init();
  for (l = 0; l < AYIL_LANGS; l++) {
    const char *lang = ayil_langs[l];
    for (i = 0; i < ayil_schema_nkinds(); i++) {
      const ayil_kind_t *k = ayil_schema_kind_at(i);
      n += missing(lang, "kind", k->name);
      checked++;
      for (j = 0; j < k->nfields; j++) {
        const ayil_field_t *f = &k->fields[j];
        snprintf(ctx, sizeof ctx, "field.%s", k->name);
        n += missing(lang, ctx, f->name);
        snprintf(ctx, sizeof ctx, "hint.%s", k->name);
        n += missing(lang, ctx, f->name);
        snprintf(ctx, sizeof ctx, "code.%s.%s", k->name, f->name);
        for (c = 0; c < f->ncodes; c++)
          n += missing(lang, ctx, f->codes[c]);
        checked += 2 + f->ncodes;
      }
    }
    for (i = 0; i < ayil_schema_noblasts(); i++)
      n += missing(lang, "oblast", ayil_schema_oblast_at(i));
    n += missing(lang, "bool", "true") + missing(lang, "bool", "false");
  }
  print_message("%zu labels checked in 3 languages\n", checked);
  assert_int_equal(n, 0);
}

static void test_language_per_call(void **state) {
  (void)state;
  ayil_i18n_init();
  assert_string_equal(ayil_trc("ky", AYIL_DOMAIN, "kind", "appeal"),
                      "Кайрылуу");
  assert_string_equal(ayil_trc("ru", AYIL_DOMAIN, "kind", "appeal"),
                      "Обращение");
  assert_string_equal(ayil_trc("en", AYIL_DOMAIN, "kind", "appeal"), "Appeal");
  /* back and forth: no language sticks */
  assert_string_equal(ayil_trc("ky", AYIL_DOMAIN, "kind", "appeal"),
                      "Кайрылуу");
  assert_string_equal(ayil_tr("ru", AYIL_DOMAIN_WEB, "Log in"), "Войти");
  assert_string_equal(ayil_tr("ky", AYIL_DOMAIN_WEB, "Log in"), "Кирүү");
  assert_string_equal(ayil_tr("en", AYIL_DOMAIN_WEB, "Log in"), "Log in");
  /* an unknown language or message: the msgid */
  assert_string_equal(ayil_tr("xx", AYIL_DOMAIN_WEB, "Log in"), "Log in");
  assert_string_equal(ayil_tr("ky", AYIL_DOMAIN_WEB, "no such message"),
                      "no such message");
  assert_false(ayil_tr_has("ky", AYIL_DOMAIN, "kind", "no_such_kind"));
  assert_null(ayil_lang_valid("de"));
  assert_string_equal(ayil_lang_valid("ru"), "ru");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dictionary_complete),
      cmocka_unit_test(test_language_per_call),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The record dictionary: tables match RECORDS.md (code-list version 1). */
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

static const char *const kind_names[] = {
    "appeal",   "referral", "protection_order", "correction",
    "family",   "followup", "session",          "prevention",
    "training", "aid",      "closure"};

static void test_kinds_in_order(void **state) {
  size_t i, n = sizeof(kind_names) / sizeof(kind_names[0]);

  (void)state;
  assert_int_equal(AYIL_CODES_VERSION, 1);
  assert_int_equal(ayil_schema_nkinds(), n);
  for (i = 0; i < n; i++) {
    const ayil_kind_t *k = ayil_schema_kind_at(i);
    assert_non_null(k);
    assert_string_equal(k->name, kind_names[i]);
    assert_ptr_equal(ayil_schema_kind(kind_names[i]), k);
    assert_non_null(k->description);
    assert_true(k->nfields > 0);
  }
  assert_null(ayil_schema_kind_at(n));
  assert_null(ayil_schema_kind("appeals"));
  assert_null(ayil_schema_kind(""));
  assert_null(ayil_schema_kind(NULL));
}

/* Every field is consistent with its class and type. */
static void test_field_invariants(void **state) {
  size_t i, j, c;

  (void)state;
  for (i = 0; i < ayil_schema_nkinds(); i++) {
    const ayil_kind_t *k = ayil_schema_kind_at(i);
    const ayil_field_t *date = ayil_kind_field(k, "date");
    /* Every kind has a required date whose month is the header's month. */
    assert_non_null(date);
    assert_int_equal(date->type, AYIL_FT_DATE);
    assert_int_equal(date->cls, AYIL_CLASS_I);
    assert_true(date->required);
    assert_string_equal(date->month_key, "month");
    for (j = 0; j < k->nfields; j++) {
      const ayil_field_t *f = &k->fields[j];
      assert_ptr_equal(ayil_kind_field(k, f->name), f);
      if (f->cls == AYIL_CLASS_A) {
        assert_non_null(f->hkey);
        assert_ptr_equal(ayil_kind_field_by_hkey(k, f->hkey), f);
        assert_true(f->type != AYIL_FT_TEXT && f->type != AYIL_FT_DATE);
        /* No field may collide with the derived header keys. */
        assert_string_not_equal(f->hkey, "kind");
        assert_string_not_equal(f->hkey, "month");
      } else {
        assert_int_equal(f->cls, AYIL_CLASS_I);
        assert_null(f->hkey);
        assert_true(f->type == AYIL_FT_TEXT || f->type == AYIL_FT_DATE);
      }
      if (f->type == AYIL_FT_CODE || f->type == AYIL_FT_CODES) {
        assert_non_null(f->codes);
        assert_true(f->ncodes > 0 && f->ncodes <= 64);
        for (c = 0; c < f->ncodes; c++)
          assert_int_equal(ayil_field_code_index(f, f->codes[c]), (int)c);
      } else {
        assert_null(f->codes);
        assert_int_equal(f->ncodes, 0);
      }
      assert_true((f->type == AYIL_FT_DATE) == (f->month_key != NULL));
    }
  }
}

static void test_some_fields(void **state) {
  const ayil_kind_t *appeal = ayil_schema_kind("appeal");
  const ayil_kind_t *family = ayil_schema_kind("family");
  const ayil_kind_t *aid = ayil_schema_kind("aid");
  const ayil_field_t *f;

  (void)state;
  assert_int_equal(appeal->nfields, 16);
  assert_string_equal(appeal->fields[0].name, "date");
  assert_string_equal(appeal->fields[1].name, "source");
  assert_string_equal(appeal->fields[15].name, "narrative");
  f = ayil_kind_field(appeal, "source");
  assert_int_equal(f->ncodes, 9);
  assert_string_equal(f->codes[6], "aksakal_court");
  assert_int_equal(ayil_field_code_index(f, "xyz"), -1);
  assert_int_equal(ayil_field_code_index(f, NULL), -1);
  f = ayil_kind_field(appeal, "survivor_age");
  assert_int_equal(f->type, AYIL_FT_CODE);
  assert_int_equal(ayil_field_code_index(f, "61+"), 5);
  f = ayil_kind_field(appeal, "violence");
  assert_int_equal(f->type, AYIL_FT_CODES);
  assert_true(f->required);
  f = ayil_kind_field(appeal, "survivor_name");
  assert_int_equal(f->cls, AYIL_CLASS_I);
  assert_false(f->required);
  assert_null(ayil_kind_field(appeal, "nope"));
  assert_null(ayil_kind_field(NULL, "date"));

  f = ayil_kind_field(family, "removed_date");
  assert_int_equal(f->type, AYIL_FT_DATE);
  assert_false(f->required);
  assert_string_equal(f->month_key, "removed_month");
  assert_ptr_equal(ayil_kind_field_by_month_key(family, "removed_month"), f);
  assert_null(ayil_kind_field_by_month_key(appeal, "removed_month"));
  assert_int_equal(ayil_kind_field(family, "children")->type, AYIL_FT_COUNT);

  f = ayil_kind_field(aid, "kind");
  assert_non_null(f);
  assert_string_equal(f->hkey, "aid_kind");
  assert_true(f->required);
  assert_false(ayil_kind_field(aid, "case")->required);
  assert_true(ayil_kind_field(ayil_schema_kind("referral"), "case")->required);
  assert_int_equal(ayil_kind_field(aid, "case")->type, AYIL_FT_CASE);
  assert_null(ayil_kind_field_by_hkey(aid, "kind"));
  assert_null(ayil_kind_field_by_hkey(appeal, "survivor_name"));

  assert_string_equal(ayil_ftype_name(AYIL_FT_CODES), "codes");
  assert_string_equal(ayil_class_name(AYIL_CLASS_I), "identifying");
}

static void test_oblasts(void **state) {
  static const char *const north[] = {"chui", "talas", "issyk_kul", "naryn",
                                      "bishkek"};
  static const char *const south[] = {"osh", "batken", "jalal_abad",
                                      "osh_city"};
  size_t i;

  (void)state;
  assert_int_equal(ayil_schema_noblasts(), 9);
  assert_string_equal(ayil_schema_oblast_at(0), "batken");
  assert_null(ayil_schema_oblast_at(9));
  for (i = 0; i < 5; i++) {
    assert_true(ayil_oblast_valid(north[i]));
    assert_string_equal(ayil_oblast_region(north[i]), "north");
  }
  for (i = 0; i < 4; i++) {
    assert_true(ayil_oblast_valid(south[i]));
    assert_string_equal(ayil_oblast_region(south[i]), "south");
  }
  assert_false(ayil_oblast_valid("Osh"));
  assert_false(ayil_oblast_valid("tashkent"));
  assert_false(ayil_oblast_valid(""));
  assert_false(ayil_oblast_valid(NULL));
  assert_null(ayil_oblast_region("nowhere"));
}

static void test_schema_json(void **state) {
  json_t *all = ayil_schema_to_json(NULL), *one, *kinds, *fields, *f;
  size_t i;

  (void)state;
  assert_non_null(all);
  assert_int_equal(json_integer_value(json_object_get(all, "codes_version")),
                   1);
  kinds = json_object_get(all, "kinds");
  assert_int_equal(json_array_size(kinds), ayil_schema_nkinds());
  for (i = 0; i < json_array_size(kinds); i++)
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(kinds, i), "name")),
        kind_names[i]);
  assert_int_equal(json_array_size(json_object_get(all, "oblasts")), 9);
  json_decref(all);

  one = ayil_schema_to_json("appeal");
  assert_non_null(one);
  kinds = json_object_get(one, "kinds");
  assert_int_equal(json_array_size(kinds), 1);
  fields = json_object_get(json_array_get(kinds, 0), "fields");
  assert_int_equal(json_array_size(fields), 16);
  f = json_array_get(fields, 1);
  assert_string_equal(json_string_value(json_object_get(f, "name")), "source");
  assert_string_equal(json_string_value(json_object_get(f, "class")),
                      "aggregatable");
  assert_true(json_is_true(json_object_get(f, "required")));
  assert_string_equal(json_string_value(json_object_get(f, "type")), "code");
  assert_int_equal(json_array_size(json_object_get(f, "codes")), 9);
  f = json_array_get(fields, 0);
  assert_string_equal(json_string_value(json_object_get(f, "class")),
                      "identifying");
  assert_string_equal(json_string_value(json_object_get(f, "month_key")),
                      "month");
  assert_null(json_object_get(f, "codes"));
  json_decref(one);

  assert_null(ayil_schema_to_json("nope"));
}

static void test_schema_print(void **state) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);

  (void)state;
  assert_non_null(f);
  assert_int_equal(ayil_schema_print(f, NULL), 0);
  fclose(f);
  assert_non_null(strstr(buf, "appeal: a citizen's appeal"));
  assert_non_null(strstr(buf, "closure: a case closed"));
  assert_non_null(strstr(buf, "aksakal_court"));
  assert_non_null(strstr(buf, "identifying"));
  assert_non_null(strstr(buf, "required when kind is money"));
  assert_non_null(strstr(buf, "osh_city     south"));
  free(buf);

  buf = NULL;
  f = open_memstream(&buf, &len);
  assert_int_equal(ayil_schema_print(f, "session"), 0);
  fclose(f);
  assert_non_null(strstr(buf, "session: a committee session"));
  assert_null(strstr(buf, "appeal"));
  free(buf);

  buf = NULL;
  f = open_memstream(&buf, &len);
  assert_int_equal(ayil_schema_print(f, "nope"), AYIL_EINVAL);
  fclose(f);
  assert_int_equal(len, 0);
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kinds_in_order),
      cmocka_unit_test(test_field_invariants),
      cmocka_unit_test(test_some_fields),
      cmocka_unit_test(test_oblasts),
      cmocka_unit_test(test_schema_json),
      cmocka_unit_test(test_schema_print),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

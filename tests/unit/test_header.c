/* The one msgpack reader (proto/mp.c) and the typed header view
 * (proto/header.c): canonical bytes in, typed values out, anything else
 * refused with its error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ayil/error.h"
#include "ayil/header.h"
#include "ayil/mp.h"
#include "ayil/schema.h"
#include "record.h"

static void test_month_parse(void **state) {
  (void)state;
  assert_int_equal(ayil_month_parse("2026-01", 7), 2026 * 12);
  assert_int_equal(ayil_month_parse("2026-12", 7), 2026 * 12 + 11);
  assert_int_equal(ayil_month_parse("1900-01", 7), 1900 * 12);
  assert_int_equal(ayil_month_parse("2100-12", 7), 2100 * 12 + 11);
  assert_int_equal(ayil_month_parse("1899-12", 7), -1);
  assert_int_equal(ayil_month_parse("2101-01", 7), -1);
  assert_int_equal(ayil_month_parse("2026-00", 7), -1);
  assert_int_equal(ayil_month_parse("2026-13", 7), -1);
  assert_int_equal(ayil_month_parse("2026-1", 6), -1);
  assert_int_equal(ayil_month_parse("2026/01", 7), -1);
  assert_int_equal(ayil_month_parse("20a6-01", 7), -1);
  assert_int_equal(ayil_month_parse("2026-01-05", 7), 2026 * 12);
  assert_int_equal(ayil_month_parse(NULL, 7), -1);
}

/* Packs a JSON header with the record module's canonical writer. */
static uint8_t *pack(const char *js, size_t *len) {
  json_t *h = json_loads(js, 0, NULL);
  uint8_t *buf = NULL;

  assert_non_null(h);
  assert_int_equal(ayil_record_pack(h, &buf, len), 0);
  json_decref(h);
  return buf;
}

static void test_view(void **state) {
  /* The header of PROTOCOL.md's entry test vector. */
  static const uint8_t session[] = {0x81, 0xa4, 'k', 'i', 'n', 'd', 0xa7,
                                    's',  'e',  's', 's', 'i', 'o', 'n'};
  ayil_hdr_t h;
  const ayil_hval_t *v;
  uint8_t *buf;
  size_t len;

  (void)state;
  assert_int_equal(ayil_hdr_read(session, sizeof session, &h), 0);
  assert_string_equal(h.kind->name, "session");
  assert_null(ayil_hdr_get(&h, "date"));

  buf = pack("{\"kind\":\"appeal\",\"month\":\"2026-02\",\"violence\":"
             "[\"physical\",\"economic\"],\"survivor_sex\":\"male\","
             "\"survivor_age\":\"61+\",\"consent_services\":true,"
             "\"source\":\"police\",\"status\":\"open\"}",
             &len);
  assert_int_equal(ayil_hdr_read(buf, len, &h), 0);
  assert_string_equal(h.kind->name, "appeal");
  v = ayil_hdr_get(&h, "date");
  assert_non_null(v);
  assert_int_equal(v->u, 2026 * 12 + 1);
  assert_int_equal(v->n, 7);
  assert_memory_equal(v->s, "2026-02", 7);
  v = ayil_hdr_get(&h, "violence");
  assert_int_equal(v->u, (1u << 0) | (1u << 3));
  assert_int_equal(ayil_hdr_get(&h, "survivor_sex")->u, 1);
  assert_int_equal(ayil_hdr_get(&h, "survivor_age")->u, 5);
  assert_int_equal(ayil_hdr_get(&h, "consent_services")->u, 1);
  assert_null(ayil_hdr_get(&h, "consent_reporting"));
  assert_null(ayil_hdr_get(&h, "narrative"));
  free(buf);

  buf = pack("{\"kind\":\"aid\",\"month\":\"2026-02\",\"aid_kind\":\"money\","
             "\"amount_som\":1000000000,\"case\":"
             "\"0123456789abcdef0123456789abcdef\"}",
             &len);
  assert_int_equal(ayil_hdr_read(buf, len, &h), 0);
  assert_int_equal(ayil_hdr_get(&h, "kind")->u, 0);
  assert_int_equal(ayil_hdr_get(&h, "amount_som")->u, AYIL_COUNT_MAX);
  assert_int_equal(ayil_hdr_get(&h, "case")->n, 32);
  free(buf);
}

static void test_refused(void **state) {
  static const struct {
    const char *js;
    int rc;
  } bad[] = {
      {"{\"month\":\"2026-01\"}", AYIL_EFORMAT},
      {"{\"kind\":\"nonsense\"}", AYIL_EFORMAT},
      {"{\"kind\":\"closure\",\"month\":\"2026-13\"}", AYIL_EFORMAT},
      {"{\"kind\":\"closure\",\"colour\":\"red\"}", AYIL_EFORMAT},
      {"{\"kind\":\"closure\",\"reason\":\"bored\"}", AYIL_EFORMAT},
      {"{\"kind\":\"closure\",\"reason\":[\"moved\"]}", AYIL_EFORMAT},
      {"{\"kind\":\"appeal\",\"narrative\":\"x\"}", AYIL_EFORMAT},
      {"{\"kind\":\"appeal\",\"violence\":[\"sexual\",\"physical\"]}",
       AYIL_ENOTCANON},
      {"{\"kind\":\"appeal\",\"violence\":[\"sexual\",\"sexual\"]}",
       AYIL_ENOTCANON},
      {"{\"kind\":\"training\",\"days\":1000000001}", AYIL_EFORMAT},
      {"{\"kind\":\"training\",\"days\":true}", AYIL_EFORMAT},
      {"{\"kind\":\"session\",\"violence_related\":1}", AYIL_EFORMAT},
      {"{\"kind\":\"aid\",\"case\":\"0123456789ABCDEF0123456789abcdef\"}",
       AYIL_EFORMAT},
  };
  /* Not the canonical form: keys out of order; a str8 for a short string;
   * a uint16 for a small count; trailing bytes; cut short. */
  static const uint8_t order[] = {0x82, 0xa4, 'k',  'i', 'n',  'd',
                                  0xa1, 'x',  0xa1, 'a', 0xa1, 'y'};
  static const uint8_t str8[] = {0x81, 0xa4, 'k', 'i', 'n', 'd', 0xd9, 7,
                                 's',  'e',  's', 's', 'i', 'o', 'n'};
  static const uint8_t u16[] = {0x82, 0xa4, 'd', 'a', 'y', 's', 0xcd, 0,
                                5,    0xa4, 'k', 'i', 'n', 'd', 0xa8, 't',
                                'r',  'a',  'i', 'n', 'i', 'n', 'g'};
  static const uint8_t trail[] = {0x81, 0xa4, 'k', 'i', 'n', 'd', 0xa7, 's',
                                  'e',  's',  's', 'i', 'o', 'n', 0};
  ayil_hdr_t h;
  uint8_t *buf;
  size_t i, len;

  (void)state;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    buf = pack(bad[i].js, &len);
    assert_int_equal(ayil_hdr_read(buf, len, &h), bad[i].rc);
    free(buf);
  }
  assert_int_equal(ayil_hdr_read(order, sizeof order, &h), AYIL_ENOTCANON);
  assert_int_equal(ayil_hdr_read(str8, sizeof str8, &h), AYIL_ENOTCANON);
  assert_int_equal(ayil_hdr_read(u16, sizeof u16, &h), AYIL_ENOTCANON);
  assert_int_equal(ayil_hdr_read(trail, sizeof trail, &h), AYIL_ETRAILING);
  for (i = 0; i < sizeof trail - 1; i++)
    assert_int_not_equal(ayil_hdr_read(trail, i, &h), 0);
}

/* A received header's refusal names the field, never a value, and never
 * a key the schema does not know. */
static void test_check(void **state) {
  static const struct {
    const char *js;
    const char *why;
  } bad[] = {
      {"{\"kind\":\"appeal\",\"narrative\":\"Invented Zarina\"}",
       "identifying field narrative in a appeal header"},
      {"{\"kind\":\"appeal\",\"survivor_name\":\"Invented Zarina\"}",
       "identifying field survivor_name in a appeal header"},
      {"{\"kind\":\"closure\",\"reason\":\"Invented Zarina\"}",
       "field reason of a closure header: not a value of type"},
      {"{\"kind\":\"closure\",\"Invented Zarina\":\"x\"}",
       "a key unknown to the schema in a closure header"},
      {"{\"kind\":\"Invented Zarina\"}", "a header of no known record kind"},
  };
  char why[192];
  uint8_t *buf;
  size_t i, len;

  (void)state;
  for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    buf = pack(bad[i].js, &len);
    memset(why, 'x', sizeof why);
    assert_int_not_equal(ayil_hdr_check(buf, len, why, sizeof why), 0);
    assert_non_null(strstr(why, bad[i].why));
    assert_null(strstr(why, "Invented"));
    assert_null(strstr(why, "Zarina"));
    free(buf);
  }
  buf = pack("{\"kind\":\"session\",\"month\":\"2026-03\","
             "\"cases_reviewed\":1,\"violence_related\":true}",
             &len);
  assert_int_equal(ayil_hdr_check(buf, len, why, sizeof why), 0);
  free(buf);
}

/* The report's reading: unknown keys skipped, a wrong value marked, codes
 * in any order; structure and encoding still strict. */
static void test_lax(void **state) {
  static const uint8_t str8[] = {0x81, 0xa4, 'k', 'i', 'n', 'd', 0xd9, 7,
                                 's',  'e',  's', 's', 'i', 'o', 'n'};
  ayil_hdr_t h;
  uint8_t *buf;
  size_t len;

  (void)state;
  buf = pack("{\"kind\":\"appeal\",\"month\":\"2026-02\",\"violence\":"
             "[\"sexual\",\"physical\",\"sexual\"],\"survivor_sex\":\"x\","
             "\"colour\":\"red\",\"case\":\"aa\"}",
             &len);
  assert_int_equal(ayil_hdr_read(buf, len, &h), AYIL_EFORMAT);
  assert_int_equal(ayil_hdr_read_lax(buf, len, NULL, &h), 0);
  assert_int_equal(ayil_hdr_get(&h, "violence")->u, (1u << 0) | (1u << 2));
  assert_null(ayil_hdr_get(&h, "survivor_sex"));
  assert_int_equal(h.f[4].present, -1); /* survivor_sex */
  assert_int_equal(ayil_hdr_get(&h, "date")->u, 2026 * 12 + 1);
  free(buf);
  buf = pack("{\"kind\":\"nonsense\",\"month\":\"2026-02\"}", &len);
  assert_int_equal(ayil_hdr_read_lax(buf, len, NULL, &h), AYIL_EFORMAT);
  free(buf);
  assert_int_equal(ayil_hdr_read_lax(str8, sizeof str8, NULL, &h),
                   AYIL_ENOTCANON);
}

/* The fold reads kind and month of any header, known kind or not. */
static void test_kind_month(void **state) {
  const char *k, *m;
  size_t kn, mn, len;
  uint8_t *buf;

  (void)state;
  buf =
      pack("{\"action\":\"admit\",\"kind\":\"notice\",\"node\":\"ab\"}", &len);
  assert_int_equal(ayil_hdr_kind_month(buf, len, &k, &kn, &m, &mn), 0);
  assert_int_equal(kn, 6);
  assert_memory_equal(k, "notice", 6);
  assert_null(m);
  free(buf);
  buf = pack("{\"kind\":\"future\",\"month\":\"2031-07\",\"z\":[\"a\"]}", &len);
  assert_int_equal(ayil_hdr_kind_month(buf, len, &k, &kn, &m, &mn), 0);
  assert_memory_equal(m, "2031-07", 7);
  assert_int_equal(mn, 7);
  free(buf);
  buf = pack("{\"month\":\"2031-07\"}", &len);
  assert_int_equal(ayil_hdr_kind_month(buf, len, &k, &kn, &m, &mn),
                   AYIL_EFORMAT);
  free(buf);
}

static void test_xrules(void **state) {
  const ayil_xrule_t *x;
  const ayil_kind_t *k;
  size_t i;

  (void)state;
  assert_int_equal(ayil_schema_nxrules(), 1);
  x = ayil_schema_xrule_at(0);
  assert_string_equal(x->kind, "aid");
  assert_string_equal(x->field, "kind");
  assert_string_equal(x->code, "money");
  assert_string_equal(x->need, "amount_som");
  assert_null(ayil_schema_xrule_at(1));
  /* Every rule names real fields and a real code. */
  for (i = 0; i < ayil_schema_nxrules(); i++) {
    x = ayil_schema_xrule_at(i);
    k = ayil_schema_kind(x->kind);
    assert_non_null(k);
    assert_true(ayil_field_code_index(ayil_kind_field(k, x->field), x->code) >=
                0);
    assert_non_null(ayil_kind_field(k, x->need));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_month_parse), cmocka_unit_test(test_view),
      cmocka_unit_test(test_refused),     cmocka_unit_test(test_check),
      cmocka_unit_test(test_lax),         cmocka_unit_test(test_kind_month),
      cmocka_unit_test(test_xrules),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

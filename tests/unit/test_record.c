/*
 * Record input validation, the header/body split, update semantics and the
 * canonical msgpack encoding. Names in here are invented.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "record.h"

#define CASE_ID "0123456789abcdef0123456789abcdef"
#define NAME "Zhyldyz Inventedova"

static json_t *J(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &e);
  if (j == NULL)
    fail_msg("bad test JSON: %s", e.text);
  return j;
}

static const struct {
  const char *kind;
  const char *input;
  const char *header; /* expected header */
  const char *body;   /* expected body */
} examples[] = {
    {"appeal",
     "{\"date\":\"2026-03-14\",\"source\":\"police\",\"violence\":[\"sexual\","
     "\"physical\",\"physical\"],\"survivor_sex\":\"female\",\"survivor_age\":"
     "\"26-40\",\"status\":\"open\",\"consent_services\":true,"
     "\"reviewed_with\":[\"none\"],\"survivor_name\":\"" NAME "\","
     "\"narrative\":\"an invented story\"}",
     "{\"kind\":\"appeal\",\"month\":\"2026-03\",\"source\":\"police\","
     "\"violence\":[\"physical\",\"sexual\"],\"survivor_sex\":\"female\","
     "\"survivor_age\":\"26-40\",\"status\":\"open\",\"consent_services\":true,"
     "\"reviewed_with\":[\"none\"]}",
     "{\"date\":\"2026-03-14\",\"survivor_name\":\"" NAME "\","
     "\"narrative\":\"an invented story\"}"},
    {"referral",
     "{\"case\":\"0123456789ABCDEF0123456789abcdef\",\"date\":\"2026-02-28\","
     "\"service\":\"crisis_centre\",\"status\":\"referred\",\"notes\":\"n\"}",
     "{\"kind\":\"referral\",\"month\":\"2026-02\",\"case\":\"" CASE_ID "\","
     "\"service\":\"crisis_centre\",\"status\":\"referred\"}",
     "{\"date\":\"2026-02-28\",\"notes\":\"n\"}"},
    {"protection_order",
     "{\"case\":\"" CASE_ID "\",\"date\":\"2024-02-29\",\"days\":30,"
     "\"extended\":false,\"order_number\":\"PO-17\"}",
     "{\"kind\":\"protection_order\",\"month\":\"2024-02\",\"case\":\"" CASE_ID
     "\",\"days\":30,\"extended\":false}",
     "{\"date\":\"2024-02-29\",\"order_number\":\"PO-17\"}"},
    {"correction",
     "{\"case\":\"" CASE_ID
     "\",\"date\":\"2026-01-05\",\"outcome\":\"ongoing\"}",
     "{\"kind\":\"correction\",\"month\":\"2026-01\",\"case\":\"" CASE_ID "\","
     "\"outcome\":\"ongoing\"}",
     "{\"date\":\"2026-01-05\"}"},
    {"family",
     "{\"date\":\"2025-11-02\",\"reason\":[\"other\",\"alcohol\"],\"risk\":"
     "\"high\",\"children\":3,\"status\":\"removed\",\"removed_date\":"
     "\"2026-04-01\",\"family_name\":\"Inventedovs\"}",
     "{\"kind\":\"family\",\"month\":\"2025-11\",\"reason\":[\"alcohol\","
     "\"other\"],\"risk\":\"high\",\"children\":3,\"status\":\"removed\","
     "\"removed_month\":\"2026-04\"}",
     "{\"date\":\"2025-11-02\",\"removed_date\":\"2026-04-01\","
     "\"family_name\":\"Inventedovs\"}"},
    {"followup",
     "{\"case\":\"" CASE_ID "\",\"date\":\"2026-03-01\",\"action\":"
     "\"home_visit\",\"result\":\"done\"}",
     "{\"kind\":\"followup\",\"month\":\"2026-03\",\"case\":\"" CASE_ID "\","
     "\"action\":\"home_visit\",\"result\":\"done\"}",
     "{\"date\":\"2026-03-01\"}"},
    {"session",
     "{\"date\":\"2026-03-10\",\"cases_reviewed\":4,\"violence_related\":true}",
     "{\"kind\":\"session\",\"month\":\"2026-03\",\"cases_reviewed\":4,"
     "\"violence_related\":true}",
     "{\"date\":\"2026-03-10\"}"},
    {"prevention",
     "{\"date\":\"2026-03-08\",\"audience\":\"pupils_8_11\","
     "\"participants_female\":40,\"participants_male\":0}",
     "{\"kind\":\"prevention\",\"month\":\"2026-03\",\"audience\":"
     "\"pupils_8_11\",\"participants_female\":40,\"participants_male\":0}",
     "{\"date\":\"2026-03-08\"}"},
    {"training",
     "{\"date\":\"2026-03-20\",\"days\":2,\"participants_female\":20,"
     "\"participants_male\":10,\"groups\":[\"police\",\"ngo\"],\"notes\":\"\"}",
     "{\"kind\":\"training\",\"month\":\"2026-03\",\"days\":2,"
     "\"participants_female\":20,\"participants_male\":10,\"groups\":[\"ngo\","
     "\"police\"]}",
     "{\"date\":\"2026-03-20\",\"notes\":\"\"}"},
    {"aid",
     "{\"date\":\"2026-03-21\",\"kind\":\"money\",\"amount_som\":6500,"
     "\"recipient_name\":\"" NAME "\"}",
     "{\"kind\":\"aid\",\"month\":\"2026-03\",\"aid_kind\":\"money\","
     "\"amount_som\":6500}",
     "{\"date\":\"2026-03-21\",\"recipient_name\":\"" NAME "\"}"},
    {"closure",
     "{\"case\":\"" CASE_ID "\",\"date\":\"2026-03-30\",\"reason\":"
     "\"resolved\"}",
     "{\"kind\":\"closure\",\"month\":\"2026-03\",\"case\":\"" CASE_ID "\","
     "\"reason\":\"resolved\"}",
     "{\"date\":\"2026-03-30\"}"},
};
#define NEXAMPLES (sizeof(examples) / sizeof(examples[0]))

static int contains(const uint8_t *p, size_t n, const char *s) {
  size_t i, l = strlen(s);

  for (i = 0; i + l <= n; i++)
    if (memcmp(p + i, s, l) == 0)
      return 1;
  return 0;
}

static void build_ok(const char *kind, const char *input, json_t **h,
                     json_t **b) {
  char err[512];
  json_t *in = J(input);
  int rc = ayil_record_build(kind, in, NULL, NULL, h, b, err, sizeof(err));
  if (rc != 0)
    fail_msg("%s: rc %d: %s", kind, rc, err);
  json_decref(in);
}

static void assert_json(const json_t *got, const char *want_text) {
  json_t *want = J(want_text);
  if (!json_equal((json_t *)got, want)) {
    char *g = json_dumps(got, JSON_SORT_KEYS);
    fail_msg("got %s\nwant %s", g, want_text);
  }
  json_decref(want);
}

static void assert_packs_back(const json_t *obj) {
  uint8_t *buf = NULL, *buf2 = NULL;
  size_t len = 0, len2 = 0;
  json_t *back = NULL;

  assert_int_equal(ayil_record_pack(obj, &buf, &len), 0);
  assert_int_equal(ayil_record_unpack(buf, len, &back), 0);
  assert_true(json_equal((json_t *)obj, back));
  assert_int_equal(ayil_record_pack(back, &buf2, &len2), 0);
  assert_int_equal(len, len2);
  assert_memory_equal(buf, buf2, len);
  free(buf);
  free(buf2);
  json_decref(back);
}

static void test_examples(void **state) {
  size_t i;

  (void)state;
  assert_int_equal(NEXAMPLES, ayil_schema_nkinds());
  for (i = 0; i < NEXAMPLES; i++) {
    json_t *h = NULL, *b = NULL;
    char err[256];
    build_ok(examples[i].kind, examples[i].input, &h, &b);
    assert_json(h, examples[i].header);
    assert_json(b, examples[i].body);
    assert_int_equal(ayil_record_check_header(h, err, sizeof(err)), 0);
    assert_packs_back(h);
    assert_packs_back(b);
    json_decref(h);
    json_decref(b);
  }
}

/* One bad input, the code and a piece the one-line error must contain. */
static const struct {
  const char *kind;
  const char *input;
  const char *want;
} bad[] = {
    {"appeals", "{}",
     "unknown record kind; kinds: appeal, referral, "
     "protection_order, correction, family, followup, session, prevention, "
     "training, aid, closure"},
    {"appeal", "[]", "appeal: record input must be a JSON object"},
    {"appeal", "{\"colour\":\"red\"}",
     "appeal: unknown field (its name is not shown); fields: "},
    {"appeal",
     "{\"date\":\"2026-03-14\",\"source\":\"xyz\",\"violence\":[\"physical\"],"
     "\"survivor_sex\":\"female\",\"survivor_age\":\"26-40\",\"status\":"
     "\"open\"}",
     "appeal: field \"source\": not one of the allowed codes (the value "
     "given is not shown); allowed: "
     "survivor, family, neighbour, police, school, health, aksakal_court, "
     "anonymous, other"},
    {"appeal", "{\"violence\":[\"physical\",\"kicking\"]}",
     "appeal: field \"violence\": not one of the allowed codes (the value "
     "given is not shown); allowed: "
     "physical, psychological, sexual, economic, neglect"},
    {"appeal", "{\"violence\":[]}",
     "appeal: field \"violence\": must be a non-empty list of codes"},
    {"appeal", "{\"violence\":\"physical\"}",
     "appeal: field \"violence\": must be a non-empty list of codes"},
    {"appeal", "{\"violence\":[1]}",
     "appeal: field \"violence\": must be a non-empty list of codes"},
    {"appeal", "{\"source\":7}", "appeal: field \"source\": must be a code"},
    {"appeal",
     "{\"date\":\"2026-03-14\",\"source\":\"police\",\"violence\":"
     "[\"physical\"],\"survivor_sex\":\"female\",\"survivor_age\":\"26-40\"}",
     "appeal: field \"status\": is required"},
    {"appeal",
     "{\"source\":\"police\",\"violence\":[\"physical\"],\"survivor_sex\":"
     "\"female\",\"survivor_age\":\"26-40\",\"status\":\"open\"}",
     "appeal: field \"date\": is required"},
    {"appeal",
     "{\"date\":\"2026-03-14\",\"source\":\"police\",\"violence\":"
     "[\"physical\"],\"survivor_sex\":\"female\",\"survivor_age\":\"26-40\","
     "\"status\":null}",
     "appeal: field \"status\": is required"},
    {"appeal", "{\"consent_services\":\"yes\"}",
     "appeal: field \"consent_services\": must be true or false"},
    {"appeal", "{\"consent_services\":1}",
     "appeal: field \"consent_services\": must be true or false"},
    {"session", "{\"cases_reviewed\":\"4\"}",
     "session: field \"cases_reviewed\": must be a whole number"},
    {"session", "{\"cases_reviewed\":-1}",
     "session: field \"cases_reviewed\": must be a whole number"},
    {"session", "{\"cases_reviewed\":4.0}",
     "session: field \"cases_reviewed\": must be a whole number"},
    {"session", "{\"cases_reviewed\":1000000001}",
     "session: field \"cases_reviewed\": must be a whole number"},
    {"session", "{\"decisions\":5}",
     "session: field \"decisions\": must be a string"},
    {"referral", "{\"case\":\"0123456789abcdef0123456789abcde\"}",
     "referral: field \"case\": must be a record id"},
    {"referral", "{\"case\":\"0123456789abcdef0123456789abcdeg\"}",
     "referral: field \"case\": must be a record id"},
    {"session", "{\"date\":\"2026-02-29\"}",
     "session: field \"date\": must be a date YYYY-MM-DD"},
    {"session", "{\"date\":\"2026-13-01\"}",
     "session: field \"date\": must be a date"},
    {"session", "{\"date\":\"2026-04-31\"}",
     "session: field \"date\": must be a date"},
    {"session", "{\"date\":\"2026-04-00\"}",
     "session: field \"date\": must be a date"},
    {"session", "{\"date\":\"1899-12-31\"}",
     "session: field \"date\": must be a date"},
    {"session", "{\"date\":\"2101-01-01\"}",
     "session: field \"date\": must be a date"},
    {"session", "{\"date\":\"2026-3-1\"}",
     "session: field \"date\": must be a date"},
    {"session", "{\"date\":\"2026-03-01T00:00\"}",
     "session: field \"date\": must be a date"},
    {"session", "{\"date\":20260301}",
     "session: field \"date\": must be a date"},
    {"family", "{\"removed_date\":\"1900-02-29\"}",
     "family: field \"removed_date\": must be a date"},
    {"appeal", "{\"month\":\"2026-03\"}",
     "appeal: field \"month\" is derived by the node and cannot be given"},
    {"appeal", "{\"kind\":\"appeal\"}",
     "appeal: field \"kind\" is derived by the node and cannot be given"},
    {"family", "{\"removed_month\":\"2026-03\"}",
     "family: field \"removed_month\" is derived by the node"},
    {"aid", "{\"aid_kind\":\"money\"}",
     "aid: unknown field (its name is not shown)"},
    {"aid", "{\"date\":\"2026-03-21\",\"kind\":\"money\"}",
     "aid: field \"amount_som\": required when kind is money"},
    {"aid", "{\"date\":\"2026-03-21\",\"kind\":\"gold\"}",
     "aid: field \"kind\": not one of the allowed codes (the value given is "
     "not shown); allowed: money, "
     "housing, in_kind"},
    {"appeal", "{\"source\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
     "field \"source\": not one of the allowed codes (the value given is "
     "not shown)"},
    /* A lower-case name typed into a code field is not echoed either. */
    {"appeal", "{\"source\":\"zarina\"}",
     "appeal: field \"source\": not one of the allowed codes (the value "
     "given is not shown)"},
};

static void test_bad_input(void **state) {
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    char err[1024];
    json_t *in = J(bad[i].input), *h = (json_t *)1, *b = (json_t *)1;
    int rc = ayil_record_build(bad[i].kind, in, NULL, NULL, &h, &b, err,
                               sizeof(err));
    if (rc != AYIL_EINVAL || strstr(err, bad[i].want) == NULL)
      fail_msg("case %zu: rc %d, err \"%s\", want \"%s\"", i, rc, err,
               bad[i].want);
    assert_null(h);
    assert_null(b);
    assert_null(strchr(err, '\n'));
    /* What was typed is never echoed (the schema's own names may be). */
    {
      static const char *const given[] = {"appeals", "colour", "xyz",
                                          "kicking", "gold",   "aaaaaaaaaa",
                                          "zarina"};
      size_t g;
      for (g = 0; g < sizeof(given) / sizeof(given[0]); g++)
        if (strstr(err, given[g]) != NULL)
          fail_msg("case %zu echoes what was typed: \"%s\"", i, err);
    }
    json_decref(in);
  }
}

static void test_long_text(void **state) {
  char *big = malloc(AYIL_TEXT_MAX + 2), err[512];
  json_t *in, *h, *b;

  (void)state;
  memset(big, 'x', AYIL_TEXT_MAX + 1);
  big[AYIL_TEXT_MAX + 1] = '\0';
  in = J("{\"date\":\"2026-03-10\",\"cases_reviewed\":4,\"violence_related\":"
         "false}");
  json_object_set_new(in, "decisions", json_string(big));
  assert_int_equal(
      ayil_record_build("session", in, NULL, NULL, &h, &b, err, sizeof(err)),
      AYIL_EINVAL);
  assert_string_equal(err, "session: field \"decisions\": text is longer "
                           "than 16384 bytes");
  big[AYIL_TEXT_MAX] = '\0'; /* exactly the limit is fine */
  json_object_set_new(in, "decisions", json_string(big));
  assert_int_equal(
      ayil_record_build("session", in, NULL, NULL, &h, &b, err, sizeof(err)),
      0);
  json_decref(h);
  json_decref(b);
  /* A NUL inside text is refused. */
  json_object_set_new(in, "decisions", json_stringn("a\0b", 3));
  assert_int_equal(
      ayil_record_build("session", in, NULL, NULL, &h, &b, err, sizeof(err)),
      AYIL_EINVAL);
  assert_non_null(strstr(err, "NUL"));
  json_decref(in);
  free(big);
}

/* An identifying value never reaches a header or an error message. */
static void test_no_leak(void **state) {
  static const char *const inputs[] = {
      /* bad code elsewhere, name in its I field */
      "{\"date\":\"2026-03-14\",\"source\":\"xyz\",\"survivor_name\":\"" NAME
      "\"}",
      /* a name typed into a code field */
      "{\"source\":\"" NAME "\"}",
      "{\"violence\":[\"" NAME "\"]}",
      /* a name as a key */
      "{\"" NAME "\":\"x\"}",
      /* a name in a date, a count, a bool, a case */
      "{\"date\":\"" NAME "\"}",
      "{\"survivor_sex\":\"female\",\"consent_services\":\"" NAME "\"}",
      "{\"survivor_name\":[\"" NAME "\"]}",
  };
  size_t i;
  char err[1024];
  json_t *in, *h, *b;
  char *dump;
  uint8_t *packed;
  size_t plen;

  (void)state;
  for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
    in = J(inputs[i]);
    assert_int_equal(
        ayil_record_build("appeal", in, NULL, NULL, &h, &b, err, sizeof(err)),
        AYIL_EINVAL);
    assert_null(strstr(err, "Zhyldyz"));
    assert_null(strstr(err, "Inventedova"));
    json_decref(in);
  }
  in = J("{\"case\":\"" CASE_ID "\",\"date\":\"" NAME "\"}");
  assert_int_equal(
      ayil_record_build("referral", in, NULL, NULL, &h, &b, err, sizeof(err)),
      AYIL_EINVAL);
  assert_null(strstr(err, "Zhyldyz"));
  json_decref(in);
  in = J("{}");
  assert_int_equal(
      ayil_record_build(NAME, in, NULL, NULL, &h, &b, err, sizeof(err)),
      AYIL_EINVAL);
  json_decref(in);
  assert_null(strstr(err, "Zhyldyz"));

  /* The successful appeal: the name is in the body, not in the header. */
  build_ok("appeal", examples[0].input, &h, &b);
  dump = json_dumps(h, 0);
  assert_null(strstr(dump, "Zhyldyz"));
  free(dump);
  assert_int_equal(ayil_record_pack(h, &packed, &plen), 0);
  assert_false(contains(packed, plen, "Zhyldyz"));
  free(packed);
  dump = json_dumps(b, 0);
  assert_non_null(strstr(dump, "Zhyldyz"));
  free(dump);
  json_decref(h);
  json_decref(b);
}

static void test_check_header(void **state) {
  char err[512];
  json_t *h, *b;
  size_t i;
  static const char *const bad_headers[] = {
      "[]",
      "{\"month\":\"2026-03\"}",
      "{\"kind\":\"nope\",\"month\":\"2026-03\"}",
      /* missing month */
      "{\"kind\":\"session\",\"cases_reviewed\":1,\"violence_related\":true}",
      "{\"kind\":\"session\",\"month\":\"2026-13\",\"cases_reviewed\":1,"
      "\"violence_related\":true}",
      /* missing required */
      "{\"kind\":\"session\",\"month\":\"2026-03\",\"cases_reviewed\":1}",
      /* an unknown key */
      "{\"kind\":\"session\",\"month\":\"2026-03\",\"cases_reviewed\":1,"
      "\"violence_related\":true,\"x\":1}",
      /* a date in a header */
      "{\"kind\":\"session\",\"month\":\"2026-03\",\"cases_reviewed\":1,"
      "\"violence_related\":true,\"date\":\"2026-03-01\"}",
      /* codes out of list order */
      "{\"kind\":\"training\",\"month\":\"2026-03\",\"days\":1,"
      "\"participants_female\":1,\"participants_male\":1,\"groups\":"
      "[\"police\",\"ngo\"]}",
      /* removed_month on a kind that has none */
      "{\"kind\":\"session\",\"month\":\"2026-03\",\"cases_reviewed\":1,"
      "\"violence_related\":true,\"removed_month\":\"2026-03\"}",
      /* aid: money without amount, and the field under its input name */
      "{\"kind\":\"aid\",\"month\":\"2026-03\",\"aid_kind\":\"money\"}",
  };

  (void)state;
  build_ok("appeal", examples[0].input, &h, &b);
  json_object_set_new(h, "survivor_name", json_string(NAME));
  assert_int_equal(ayil_record_check_header(h, err, sizeof(err)), AYIL_EINVAL);
  assert_string_equal(err, "appeal: field \"survivor_name\" is identifying and "
                           "may never go into a header");
  json_decref(h);
  json_decref(b);

  for (i = 0; i < sizeof(bad_headers) / sizeof(bad_headers[0]); i++) {
    json_t *hh = J(bad_headers[i]);
    if (ayil_record_check_header(hh, err, sizeof(err)) != AYIL_EINVAL)
      fail_msg("header %zu accepted", i);
    json_decref(hh);
  }
  h = J("{\"kind\":\"aid\",\"month\":\"2026-03\",\"aid_kind\":\"in_kind\"}");
  assert_int_equal(ayil_record_check_header(h, err, sizeof(err)), 0);
  json_decref(h);
}

static void test_update(void **state) {
  char err[512];
  json_t *h0, *b0, *h, *b, *in;

  (void)state;
  build_ok("appeal",
           "{\"date\":\"2026-03-14\",\"source\":\"police\",\"violence\":"
           "[\"physical\"],\"survivor_sex\":\"female\",\"survivor_age\":"
           "\"26-40\",\"status\":\"open\",\"gbv_type\":\"physical_assault\","
           "\"survivor_name\":\"" NAME "\",\"narrative\":\"n\"}",
           &h0, &b0);

  /* A header-only update needs no body and leaves it unchanged. */
  in = J("{\"status\":\"closed\",\"violence\":[\"neglect\",\"physical\"]}");
  assert_int_equal(ayil_record_touches_body("appeal", in), 0);
  assert_int_equal(
      ayil_record_build("appeal", in, h0, NULL, &h, &b, err, sizeof(err)), 0);
  assert_null(b);
  assert_string_equal(json_string_value(json_object_get(h, "status")),
                      "closed");
  assert_string_equal(json_string_value(json_object_get(h, "source")),
                      "police");
  assert_string_equal(json_string_value(json_object_get(h, "month")),
                      "2026-03");
  assert_json(json_object_get(h, "violence"), "[\"physical\",\"neglect\"]");
  json_decref(h);
  /* Even with the old body given, the body stays unchanged (NULL). */
  assert_int_equal(
      ayil_record_build("appeal", in, h0, b0, &h, &b, err, sizeof(err)), 0);
  assert_null(b);
  json_decref(h);
  json_decref(in);

  /* null removes an optional A field. */
  in = J("{\"gbv_type\":null}");
  assert_int_equal(
      ayil_record_build("appeal", in, h0, NULL, &h, &b, err, sizeof(err)), 0);
  assert_null(json_object_get(h, "gbv_type"));
  assert_null(b);
  json_decref(h);
  json_decref(in);

  /* null on a required field fails. */
  in = J("{\"status\":null}");
  assert_int_equal(
      ayil_record_build("appeal", in, h0, NULL, &h, &b, err, sizeof(err)),
      AYIL_EINVAL);
  assert_string_equal(
      err, "appeal: field \"status\": is required and cannot be removed");
  json_decref(in);
  in = J("{\"date\":null}");
  assert_int_equal(
      ayil_record_build("appeal", in, h0, b0, &h, &b, err, sizeof(err)),
      AYIL_EINVAL);
  assert_non_null(strstr(err, "field \"date\": is required"));
  json_decref(in);

  /* Touching an I field needs the body. */
  in = J("{\"narrative\":\"changed\",\"date\":\"2026-04-02\"}");
  assert_int_equal(ayil_record_touches_body("appeal", in), 1);
  assert_int_equal(
      ayil_record_build("appeal", in, h0, NULL, &h, &b, err, sizeof(err)),
      AYIL_ESTATE);
  assert_non_null(strstr(err, "passphrase"));
  assert_null(h);
  assert_int_equal(
      ayil_record_build("appeal", in, h0, b0, &h, &b, err, sizeof(err)), 0);
  assert_string_equal(json_string_value(json_object_get(h, "month")),
                      "2026-04");
  assert_json(b, "{\"date\":\"2026-04-02\",\"survivor_name\":\"" NAME "\","
                 "\"narrative\":\"changed\"}");
  json_decref(h);
  json_decref(b);
  json_decref(in);

  /* null removes an optional I field. */
  in = J("{\"survivor_name\":null}");
  assert_int_equal(ayil_record_touches_body("appeal", in), 1);
  assert_int_equal(
      ayil_record_build("appeal", in, h0, b0, &h, &b, err, sizeof(err)), 0);
  assert_json(b, "{\"date\":\"2026-03-14\",\"narrative\":\"n\"}");
  json_decref(h);
  json_decref(b);
  json_decref(in);

  /* A bad field is reported before the missing passphrase. */
  in = J("{\"narrative\":\"x\",\"status\":\"shut\"}");
  assert_int_equal(
      ayil_record_build("appeal", in, h0, NULL, &h, &b, err, sizeof(err)),
      AYIL_EINVAL);
  json_decref(in);

  /* The old record must be of the same kind. */
  in = J("{}");
  assert_int_equal(
      ayil_record_build("session", in, h0, NULL, &h, &b, err, sizeof(err)),
      AYIL_EINVAL);
  /* An empty update is the same header, body unchanged. */
  assert_int_equal(
      ayil_record_build("appeal", in, h0, NULL, &h, &b, err, sizeof(err)), 0);
  assert_true(json_equal(h, h0));
  assert_null(b);
  json_decref(h);
  json_decref(in);
  json_decref(h0);
  json_decref(b0);
}

/* The merged record is checked as a whole: aid's cross-field rule. */
static void test_update_aid_and_family(void **state) {
  char err[512];
  json_t *h0, *b0, *h, *b, *in;

  (void)state;
  build_ok("aid", "{\"date\":\"2026-03-21\",\"kind\":\"housing\"}", &h0, &b0);
  in = J("{\"kind\":\"money\"}");
  assert_int_equal(
      ayil_record_build("aid", in, h0, NULL, &h, &b, err, sizeof(err)),
      AYIL_EINVAL);
  assert_non_null(strstr(err, "\"amount_som\""));
  json_decref(in);
  in = J("{\"kind\":\"money\",\"amount_som\":13000}");
  assert_int_equal(
      ayil_record_build("aid", in, h0, NULL, &h, &b, err, sizeof(err)), 0);
  json_decref(in);
  in = J("{\"amount_som\":null}");
  {
    json_t *h2, *b2;
    assert_int_equal(
        ayil_record_build("aid", in, h, NULL, &h2, &b2, err, sizeof(err)),
        AYIL_EINVAL);
    assert_null(h2);
  }
  assert_non_null(strstr(err, "\"amount_som\""));
  json_decref(in);
  json_decref(h);
  json_decref(h0);
  json_decref(b0);

  build_ok("family", examples[4].input, &h0, &b0);
  in = J("{\"removed_date\":null,\"status\":\"active\"}");
  assert_int_equal(
      ayil_record_build("family", in, h0, b0, &h, &b, err, sizeof(err)), 0);
  assert_null(json_object_get(h, "removed_month"));
  assert_null(json_object_get(b, "removed_date"));
  assert_non_null(json_object_get(h, "month"));
  json_decref(h);
  json_decref(b);
  json_decref(in);
  json_decref(h0);
  json_decref(b0);
}

/* ---- msgpack ---- */

static const uint8_t golden_session[] = {
    0x84, 0xae, 'c', 'a',  's',  'e',  's', '_', 'r', 'e',  'v',  'i', 'e',
    'w',  'e',  'd', 0x04, 0xa4, 'k',  'i', 'n', 'd', 0xa7, 's',  'e', 's',
    's',  'i',  'o', 'n',  0xa5, 'm',  'o', 'n', 't', 'h',  0xa7, '2', '0',
    '2',  '6',  '-', '0',  '3',  0xb0, 'v', 'i', 'o', 'l',  'e',  'n', 'c',
    'e',  '_',  'r', 'e',  'l',  'a',  't', 'e', 'd', 0xc3};

static void test_pack_golden(void **state) {
  json_t *h, *b, *o;
  uint8_t *buf;
  size_t len;
  static const uint8_t golden2[] = {0x82, 0xa1, 'a', 0x92, 0xa1, 'x', 0xa1,
                                    'y',  0xa1, 'n', 0xcd, 0x01, 0x2c};

  (void)state;
  build_ok("session", examples[6].input, &h, &b);
  assert_int_equal(ayil_record_pack(h, &buf, &len), 0);
  assert_int_equal(len, sizeof(golden_session));
  assert_memory_equal(buf, golden_session, len);
  free(buf);
  json_decref(h);
  json_decref(b);

  o = J("{\"n\":300,\"a\":[\"x\",\"y\"]}");
  assert_int_equal(ayil_record_pack(o, &buf, &len), 0);
  assert_int_equal(len, sizeof(golden2));
  assert_memory_equal(buf, golden2, len);
  free(buf);
  json_decref(o);

  /* Key order is bytewise and a prefix sorts first. */
  o = J("{\"ab\":1,\"b\":true,\"a\":false,\"B\":0}");
  assert_int_equal(ayil_record_pack(o, &buf, &len), 0);
  {
    static const uint8_t want[] = {0x84, 0xa1, 'B', 0x00, 0xa1, 'a', 0xc2,
                                   0xa2, 'a',  'b', 0x01, 0xa1, 'b', 0xc3};
    assert_int_equal(len, sizeof(want));
    assert_memory_equal(buf, want, len);
  }
  free(buf);
  json_decref(o);
}

static void test_pack_refuses(void **state) {
  static const char *const bad_objs[] = {
      "[]",
      "{\"a\":-1}",
      "{\"a\":1.5}",
      "{\"a\":null}",
      "{\"a\":{\"b\":1}}",
      "{\"a\":[1]}",
      "{\"a\":[[\"x\"]]}",
      "{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":"
      "1}",
      "{\"\":1}",
  };
  uint8_t *buf = (uint8_t *)1;
  size_t len = 1, i;
  json_t *o;

  (void)state;
  for (i = 0; i < sizeof(bad_objs) / sizeof(bad_objs[0]); i++) {
    o = J(bad_objs[i]);
    if (ayil_record_pack(o, &buf, &len) != AYIL_EINVAL)
      fail_msg("object %zu packed", i);
    assert_null(buf);
    json_decref(o);
  }
  o = json_object();
  for (i = 0; i < 65; i++) {
    char k[8];
    snprintf(k, sizeof(k), "k%zu", i);
    json_object_set_new(o, k, json_true());
  }
  assert_int_equal(ayil_record_pack(o, &buf, &len), AYIL_EINVAL);
  json_object_del(o, "k0");
  assert_int_equal(ayil_record_pack(o, &buf, &len), 0);
  assert_packs_back(o);
  free(buf);
  json_decref(o);
}

static int unpack_hex(const uint8_t *p, size_t n) {
  json_t *o = (json_t *)1;
  int rc = ayil_record_unpack(p, n, &o);
  if (rc == 0)
    json_decref(o);
  else
    assert_null(o);
  return rc;
}

#define U(rc, ...)                                                             \
  do {                                                                         \
    static const uint8_t v_[] = {__VA_ARGS__};                                 \
    int got_ = unpack_hex(v_, sizeof(v_));                                     \
    if (got_ != (rc))                                                          \
      fail_msg("line %d: got %s, want %s", __LINE__, ayil_err_name(got_),      \
               ayil_err_name(rc));                                             \
  } while (0)

static void test_unpack_strict(void **state) {
  size_t i;
  uint8_t *big;
  json_t *o;

  (void)state;
  /* Every strict prefix of a valid encoding is truncated. */
  for (i = 0; i < sizeof(golden_session); i++)
    assert_int_equal(unpack_hex(golden_session, i), AYIL_ETRUNC);
  assert_int_equal(unpack_hex(golden_session, sizeof(golden_session)), 0);

  U(0, 0x80);
  U(0, 0x81, 0xa1, 'a', 0x90); /* an empty array decodes */
  U(0, 0x82, 0xa1, 'a', 0x01, 0xa2, 'a', 'b', 0x01);
  /* unsorted and duplicate keys */
  U(AYIL_ENOTCANON, 0x82, 0xa1, 'b', 0x01, 0xa1, 'a', 0x01);
  U(AYIL_ENOTCANON, 0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x01);
  U(AYIL_ENOTCANON, 0x82, 0xa2, 'a', 'b', 0x01, 0xa1, 'a', 0x01);
  /* non-minimal encodings */
  U(AYIL_ENOTCANON, 0x81, 0xa1, 'a', 0xcc, 0x05);
  U(AYIL_ENOTCANON, 0x81, 0xa1, 'a', 0xcd, 0x00, 0xff);
  U(AYIL_ENOTCANON, 0x81, 0xa1, 'a', 0xce, 0x00, 0x00, 0xff, 0xff);
  U(AYIL_ENOTCANON, 0x81, 0xa1, 'a', 0xcf, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff);
  U(AYIL_ENOTCANON, 0x81, 0xa1, 'a', 0xd9, 0x01, 'x');
  U(AYIL_ENOTCANON, 0x81, 0xd9, 0x01, 'a', 0x01);
  U(AYIL_ENOTCANON, 0xde, 0x00, 0x01, 0xa1, 'a', 0x01);
  U(AYIL_ENOTCANON, 0x81, 0xa1, 'a', 0xdc, 0x00, 0x01, 0xa1, 'x');
  /* nesting */
  U(AYIL_EDEPTH, 0x81, 0xa1, 'a', 0x81, 0xa1, 'b', 0x01);
  U(AYIL_EDEPTH, 0x81, 0xa1, 'a', 0x91, 0x90);
  U(AYIL_EDEPTH, 0x81, 0xa1, 'a', 0x91, 0x80);
  U(AYIL_EDEPTH, 0x81, 0x80, 0x01);
  /* trailing bytes */
  U(AYIL_ETRAILING, 0x80, 0xc0);
  U(AYIL_ETRAILING, 0x81, 0xa1, 'a', 0x01, 0x01);
  /* oversized length prefixes and counts */
  U(AYIL_ETOOBIG, 0x81, 0xa1, 'a', 0xdb, 0xff, 0xff, 0xff, 0xff);
  U(AYIL_ETOOBIG, 0x81, 0xa1, 'a', 0xdd, 0xff, 0xff, 0xff, 0xff);
  U(AYIL_ETOOBIG, 0xdf, 0xff, 0xff, 0xff, 0xff);
  U(AYIL_ETOOBIG, 0xde, 0x00, 0x41);
  U(AYIL_ETOOBIG, 0x81, 0xa1, 'a', 0xdc, 0x00, 0x21);
  U(AYIL_ETRUNC, 0x81, 0xa1, 'a', 0xdb, 0x00, 0x01, 0x00, 0x00);
  U(AYIL_ETRUNC, 0x81, 0xa1, 'a', 0xda, 0x01, 0x00);
  U(AYIL_ETRUNC, 0x81, 0xa1, 'a', 0xd9, 0xff);
  U(AYIL_ETRUNC, 0x8f);
  /* types that have no place here */
  U(AYIL_EFORMAT, 0x91, 0xa1, 'a');
  U(AYIL_EFORMAT, 0xa1, 'a');
  U(AYIL_EFORMAT, 0x81, 0xa1, 'a', 0xc0);
  U(AYIL_EFORMAT, 0x81, 0xa1, 'a', 0xff);
  U(AYIL_EFORMAT, 0x81, 0xa1, 'a', 0xd0, 0x01);
  U(AYIL_EFORMAT, 0x81, 0xa1, 'a', 0xca, 0, 0, 0, 0);
  U(AYIL_EFORMAT, 0x81, 0xa1, 'a', 0xc4, 0x01, 0x00);
  U(AYIL_EFORMAT, 0x81, 0xa1, 'a', 0xd4, 0x01, 0x00);
  U(AYIL_EFORMAT, 0x81, 0x01, 0x01);
  U(AYIL_EFORMAT, 0x81, 0xa1, 'a', 0x91, 0x01);
  U(AYIL_EFORMAT, 0x81, 0xa1, 'a', 0xa1, 0x00);
  U(AYIL_EFORMAT, 0x81, 0xa1, 'a', 0xa1, 0xff);
  U(AYIL_EFORMAT, 0x81, 0xa1, 'a', 0xa2, 0xc0, 0x80);       /* overlong */
  U(AYIL_EFORMAT, 0x81, 0xa1, 'a', 0xa3, 0xed, 0xa0, 0x80); /* surrogate */
  U(AYIL_EFORMAT, 0x81, 0xa0, 0x01);
  U(AYIL_EFORMAT, 0x81, 0xa1, 'a', 0xcf, 0x80, 0, 0, 0, 0, 0, 0, 0);
  U(AYIL_EFORMAT, 0xc1);
  U(0, 0x81, 0xa1, 'a', 0xa2, 0xd0, 0x96); /* Cyrillic is fine */

  /* A long key, and the size limit before anything is read. */
  {
    uint8_t k[2 + 65 + 1];
    k[0] = 0x81;
    k[1] = 0xd9;
    k[2] = 65;
    memset(k + 3, 'k', 65);
    /* no room for the value: the key length is refused first */
    assert_int_equal(unpack_hex(k, sizeof(k)), AYIL_ETOOBIG);
  }
  big = calloc(1, AYIL_BODY_MAX + 1);
  big[0] = 0x80;
  assert_int_equal(ayil_record_unpack(big, AYIL_BODY_MAX + 1, &o),
                   AYIL_ETOOBIG);
  assert_int_equal(ayil_record_unpack(big, AYIL_BODY_MAX, &o), AYIL_ETRAILING);
  free(big);
  assert_int_equal(ayil_record_unpack(NULL, 0, &o), AYIL_ETRUNC);
}

/* Mutated encodings never crash, and what decodes re-encodes to itself. */
static void test_unpack_mutations(void **state) {
  json_t *h, *b;
  uint8_t *base, *buf;
  size_t blen, i;
  unsigned seed = 12345;

  (void)state;
  build_ok("appeal", examples[0].input, &h, &b);
  assert_int_equal(ayil_record_pack(h, &base, &blen), 0);
  buf = malloc(blen + 8);
  for (i = 0; i < 20000; i++) {
    size_t len = blen, n, j;
    json_t *o = NULL;
    memcpy(buf, base, blen);
    seed = seed * 1103515245u + 12345u;
    n = 1 + (seed >> 16) % 4;
    for (j = 0; j < n; j++) {
      seed = seed * 1103515245u + 12345u;
      buf[(seed >> 8) % blen] = (uint8_t)(seed >> 20);
    }
    seed = seed * 1103515245u + 12345u;
    if ((seed >> 16) % 4 == 0)
      len = (seed >> 4) % blen;
    if (ayil_record_unpack(buf, len, &o) == 0) {
      uint8_t *re;
      size_t rlen;
      assert_int_equal(ayil_record_pack(o, &re, &rlen), 0);
      assert_int_equal(rlen, len);
      assert_memory_equal(re, buf, len);
      free(re);
      json_decref(o);
    }
  }
  free(buf);
  free(base);
  json_decref(h);
  json_decref(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_examples),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_long_text),
      cmocka_unit_test(test_no_leak),
      cmocka_unit_test(test_check_header),
      cmocka_unit_test(test_update),
      cmocka_unit_test(test_update_aid_and_family),
      cmocka_unit_test(test_pack_golden),
      cmocka_unit_test(test_pack_refuses),
      cmocka_unit_test(test_unpack_strict),
      cmocka_unit_test(test_unpack_mutations),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

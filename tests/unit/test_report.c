/*
 * Tests of the report engine (node/report.c): exact counts in every scope,
 * exact JSON and CSV for a tiny report, the HTML's self-containment, the
 * hub's fast path and the completeness of the translations. Small-cell
 * suppression, checked by an independent "attacker", is in
 * test_report_suppress.c. All names here are invented.
 */
#include "report_fixture.h"

/* ---- counting ---- */

static ayil_report_t *scenario(void) {
  ayil_report_t *r;

  assert_int_equal(ayil_report_new(&r, "2026-01", "2026-03", NULL), 0);
  /* Alpha, chui (north) */
  add(r, "Alpha", "chui",
      "{\"kind\":\"appeal\",\"month\":\"2026-01\",\"source\":\"police\","
      "\"violence\":[\"physical\",\"psychological\"],\"survivor_sex\":"
      "\"female\",\"survivor_age\":\"26-40\",\"status\":\"open\"}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"appeal\",\"month\":\"2026-03\",\"violence\":[\"sexual\"],"
      "\"survivor_sex\":\"male\",\"survivor_age\":\"0-11\",\"status\":"
      "\"closed\"}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"appeal\",\"month\":\"2025-12\",\"violence\":[\"physical\"],"
      "\"survivor_sex\":\"female\",\"survivor_age\":\"18-25\"}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"appeal\",\"month\":\"2026-04\",\"violence\":[\"physical\"],"
      "\"survivor_sex\":\"female\",\"survivor_age\":\"18-25\"}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"session\",\"month\":\"2026-02\",\"cases_reviewed\":3,"
      "\"violence_related\":true}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"session\",\"month\":\"2026-02\",\"cases_reviewed\":0,"
      "\"violence_related\":false}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"referral\",\"month\":\"2026-02\",\"case\":\"aa\","
      "\"service\":\"crisis_centre\",\"status\":\"referred\"}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"referral\",\"month\":\"2026-02\",\"service\":\"legal_aid\","
      "\"status\":\"provided\"}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"aid\",\"month\":\"2026-01\",\"aid_kind\":\"money\","
      "\"amount_som\":1500}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"aid\",\"month\":\"2026-02\",\"aid_kind\":\"money\","
      "\"amount_som\":2500}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"aid\",\"month\":\"2026-05\",\"aid_kind\":\"money\","
      "\"amount_som\":999}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"aid\",\"month\":\"2026-03\",\"aid_kind\":\"housing\"}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"training\",\"month\":\"2026-01\",\"days\":1,"
      "\"participants_female\":3,\"participants_male\":2}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"training\",\"month\":\"2026-02\",\"days\":2,"
      "\"participants_female\":10,\"participants_male\":5,\"groups\":"
      "[\"ngo\"]}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"training\",\"month\":\"2025-02\",\"days\":4,"
      "\"participants_female\":1,\"participants_male\":1}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"family\",\"month\":\"2025-06\",\"reason\":[\"alcohol\"],"
      "\"risk\":\"high\",\"status\":\"active\"}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"family\",\"month\":\"2026-02\",\"reason\":[\"other\"],"
      "\"risk\":\"low\",\"status\":\"removed\",\"removed_month\":\"2026-03\"}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"family\",\"month\":\"2026-01\",\"reason\":[\"other\"],"
      "\"risk\":\"low\",\"status\":\"removed\",\"removed_month\":\"2026-05\"}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"family\",\"month\":\"2026-05\",\"reason\":[\"other\"],"
      "\"risk\":\"low\",\"status\":\"active\"}");
  add(r, "Alpha", "chui",
      "{\"kind\":\"correction\",\"month\":\"2026-02\",\"case\":\"aa\","
      "\"outcome\":\"ongoing\"}");
  /* Beta, chui */
  add(r, "Beta", "chui",
      "{\"kind\":\"appeal\",\"month\":\"2026-02\",\"violence\":[\"physical\","
      "\"neglect\",\"physical\"],\"survivor_sex\":\"female\","
      "\"survivor_age\":\"61+\"}");
  add(r, "Beta", "chui",
      "{\"kind\":\"followup\",\"month\":\"2026-02\",\"action\":\"home_"
      "visit\"}");
  add(r, "Beta", "chui",
      "{\"kind\":\"followup\",\"month\":\"2026-03\",\"action\":\"home_visit\","
      "\"result\":\"done\"}");
  add(r, "Beta", "chui",
      "{\"kind\":\"followup\",\"month\":\"2026-01\",\"action\":\"other\"}");
  add(r, "Beta", "chui",
      "{\"kind\":\"closure\",\"month\":\"2026-03\",\"reason\":\"resolved\"}");
  add(r, "Beta", "chui",
      "{\"kind\":\"protection_order\",\"month\":\"2026-01\",\"days\":30}");
  add(r, "Beta", "chui",
      "{\"kind\":\"prevention\",\"month\":\"2026-02\",\"audience\":\"women\","
      "\"participants_female\":8,\"participants_male\":4}");
  add(r, "Beta", "chui",
      "{\"kind\":\"training\",\"month\":\"2026-03\",\"days\":1,"
      "\"participants_female\":7,\"participants_male\":0}");
  /* Gamma, osh (south) */
  add(r, "Gamma", "osh",
      "{\"kind\":\"appeal\",\"month\":\"2026-01\",\"violence\":[\"economic\"],"
      "\"survivor_sex\":\"female\",\"survivor_age\":\"unknown\"}");
  add(r, "Gamma", "osh",
      "{\"kind\":\"referral\",\"month\":\"2026-03\",\"service\":\"shelter\","
      "\"status\":\"referred\"}");
  add(r, "Gamma", "osh",
      "{\"kind\":\"aid\",\"month\":\"2026-02\",\"aid_kind\":\"in_kind\"}");
  add(r, "Gamma", "osh",
      "{\"kind\":\"family\",\"month\":\"2025-01\",\"reason\":[\"other\"],"
      "\"risk\":\"low\",\"status\":\"active\"}");
  add(r, "Gamma", "osh",
      "{\"kind\":\"family\",\"month\":\"2025-01\",\"reason\":[\"other\"],"
      "\"risk\":\"low\",\"status\":\"removed\",\"removed_month\":\"2025-12\"}");
  /* Delta, bishkek: no records */
  assert_int_equal(ayil_report_add_committee(r, "Delta", "bishkek"), 0);
  return r;
}

static const kv_t ALPHA[] = {
    {"appeals", 2},
    {"appeals.violence.physical", 1},
    {"appeals.violence.psychological", 1},
    {"appeals.violence.sexual", 1},
    {"appeals.sex.female", 1},
    {"appeals.sex.male", 1},
    {"appeals.age.26-40", 1},
    {"appeals.age.0-11", 1},
    {"sessions", 2},
    {"sessions.violence_related", 1},
    {"families.registered", 2},
    {"families.active", 2},
    {"referrals", 2},
    {"referrals.crisis_centre", 1},
    {"referrals.legal_aid", 1},
    {"referrals.crisis_or_shelter", 1},
    {"aid.money.people", 2},
    {"aid.money.som", 4000},
    {"aid.housing", 1},
    {"training.events", 2},
    {"training.participants", 20},
    {"training.participants.days_1", 5},
    {"training.participants.days_2", 15},
};

static const kv_t BETA[] = {
    {"appeals", 1},
    {"appeals.violence.physical", 1},
    {"appeals.violence.neglect", 1},
    {"appeals.sex.female", 1},
    {"appeals.age.61+", 1},
    {"followups.home_visit", 2},
    {"followups.other", 1},
    {"closures", 1},
    {"protection_orders", 1},
    {"prevention.events", 1},
    {"prevention.participants", 12},
    {"training.events", 1},
    {"training.participants", 7},
    {"training.participants.days_1", 7},
};

static const kv_t GAMMA[] = {
    {"appeals", 1},
    {"appeals.violence.economic", 1},
    {"appeals.sex.female", 1},
    {"appeals.age.unknown", 1},
    {"referrals", 1},
    {"referrals.shelter", 1},
    {"referrals.crisis_or_shelter", 1},
    {"aid.in_kind", 1},
    {"families.active", 1},
};

static const char *const DAYS[] = {"training.participants.days_1",
                                   "training.participants.days_2"};

/* Sums kv lists (the expected value of a scope holding those
 * committees). */
static size_t kv_sum(kv_t *out, size_t cap, const kv_t *const *lists,
                     const size_t *lens, size_t nlists) {
  size_t n = 0, l, i, k;

  for (l = 0; l < nlists; l++)
    for (i = 0; i < lens[l]; i++) {
      for (k = 0; k < n; k++)
        if (strcmp(out[k].ind, lists[l][i].ind) == 0)
          break;
      if (k == n) {
        assert_true(n < cap);
        out[n].ind = lists[l][i].ind;
        out[n++].v = 0;
      }
      out[k].v += lists[l][i].v;
    }
  return n;
}

static void test_counts(void **state) {
  ayil_report_t *r = scenario();
  json_t *doc = render_json(r, 0);
  kv_t sum[128];
  size_t n, o;
  const kv_t *const chui[] = {ALPHA, BETA};
  const size_t chui_n[] = {N(ALPHA), N(BETA)};
  const kv_t *const all[] = {ALPHA, BETA, GAMMA};
  const size_t all_n[] = {N(ALPHA), N(BETA), N(GAMMA)};
  const char *other[] = {"batken", "issyk_kul", "jalal_abad", "naryn",
                         "talas",  "bishkek",   "osh_city"};

  (void)state;
  assert_string_equal(json_string_value(json_object_get(doc, "from")),
                      "2026-01");
  assert_string_equal(json_string_value(json_object_get(doc, "to")), "2026-03");
  /* 4 committees, 9 oblasts, 2 regions, total; 46 + 2 day rows. */
  assert_int_equal(json_array_size(json_object_get(doc, "rows")),
                   (4 + 9 + 2 + 1) * (N(INDICATORS) + 2));
  assert_int_equal(ayil__report_nrows(r),
                   json_array_size(json_object_get(doc, "rows")));
  expect(doc, "committee", "Alpha", ALPHA, N(ALPHA), DAYS, 2);
  expect(doc, "committee", "Beta", BETA, N(BETA), DAYS, 2);
  expect(doc, "committee", "Gamma", GAMMA, N(GAMMA), DAYS, 2);
  expect(doc, "committee", "Delta", NULL, 0, DAYS, 2);
  n = kv_sum(sum, N(sum), chui, chui_n, 2);
  expect(doc, "oblast", "chui", sum, n, DAYS, 2);
  expect(doc, "region", "north", sum, n, DAYS, 2);
  expect(doc, "oblast", "osh", GAMMA, N(GAMMA), DAYS, 2);
  expect(doc, "region", "south", GAMMA, N(GAMMA), DAYS, 2);
  for (o = 0; o < N(other); o++)
    expect(doc, "oblast", other[o], NULL, 0, DAYS, 2);
  n = kv_sum(sum, N(sum), all, all_n, 3);
  expect(doc, "total", "total", sum, n, DAYS, 2);
  /* A training outside the period makes no days_4 row. */
  {
    const json_t *row;
    size_t i;
    json_array_foreach(json_object_get(doc, "rows"), i, row) {
      assert_string_not_equal(
          json_string_value(json_object_get(row, "indicator")),
          "training.participants.days_4");
    }
  }
  json_decref(doc);
  ayil_report_free(r);
}

/* The coded rows follow the code lists of the schema. */
static void test_codes_match_schema(void **state) {
  static const struct {
    const char *kind, *field, *prefix;
  } F[] = {
      {"appeal", "violence", "appeals.violence."},
      {"appeal", "survivor_sex", "appeals.sex."},
      {"appeal", "survivor_age", "appeals.age."},
      {"referral", "service", "referrals."},
      {"followup", "action", "followups."},
  };
  size_t i, c, k, n = 0;
  char name[96];

  (void)state;
  for (i = 0; i < N(F); i++) {
    const ayil_field_t *f =
        ayil_kind_field(ayil_schema_kind(F[i].kind), F[i].field);
    assert_non_null(f);
    for (c = 0; c < f->ncodes; c++) {
      snprintf(name, sizeof(name), "%s%s", F[i].prefix, f->codes[c]);
      for (k = 0; k < N(INDICATORS); k++)
        if (strcmp(INDICATORS[k], name) == 0)
          break;
      assert_true(k < N(INDICATORS));
      n++;
    }
  }
  /* appeals.violence 5 + sex 2 + age 7 + referrals 9 + followups 6 */
  assert_int_equal(n, 29);
  assert_int_equal(ayil_schema_noblasts(), 9);
  for (i = 0; i < ayil_schema_noblasts(); i++) {
    ayil_report_t *r;
    const char *ob = ayil_schema_oblast_at(i);
    json_t *doc;
    assert_int_equal(ayil_report_new(&r, NULL, NULL, ob), 0);
    doc = render_json(r, 0);
    assert_int_equal(val(doc, "oblast", ob, "appeals"), 0);
    assert_int_equal(val(doc, "region", ayil_oblast_region(ob), "appeals"), 0);
    json_decref(doc);
    ayil_report_free(r);
  }
}

static void test_invalid(void **state) {
  ayil_report_t *r = NULL;
  json_t *doc;
  const char *bad[] = {
      "{\"month\":\"2026-01\"}",
      "{\"kind\":\"appeal\"}",
      "{\"kind\":\"nonsense\",\"month\":\"2026-01\"}",
      "{\"kind\":\"closure\",\"month\":\"2026-13\"}",
      "{\"kind\":\"closure\",\"month\":\"26-01\"}",
      "{\"kind\":\"appeal\",\"month\":\"2026-01\",\"violence\":[\"loud\"],"
      "\"survivor_sex\":\"female\",\"survivor_age\":\"0-11\"}",
      "{\"kind\":\"appeal\",\"month\":\"2026-01\",\"violence\":[],"
      "\"survivor_sex\":\"female\",\"survivor_age\":\"0-11\"}",
      "{\"kind\":\"appeal\",\"month\":\"2026-01\",\"violence\":[\"sexual\"],"
      "\"survivor_sex\":\"other\",\"survivor_age\":\"0-11\"}",
      "{\"kind\":\"training\",\"month\":\"2026-01\",\"days\":-1,"
      "\"participants_female\":1,\"participants_male\":1}",
      "{\"kind\":\"training\",\"month\":\"2026-01\",\"days\":1.5,"
      "\"participants_female\":1,\"participants_male\":1}",
      "{\"kind\":\"aid\",\"month\":\"2026-01\",\"aid_kind\":\"money\"}",
      "{\"kind\":\"session\",\"month\":\"2026-01\",\"cases_reviewed\":1}",
      "{\"kind\":\"family\",\"month\":\"2026-01\",\"status\":\"gone\"}",
  };
  size_t i;

  (void)state;
  assert_int_equal(ayil_report_new(&r, "2026-1", NULL, NULL), AYIL_EINVAL);
  assert_null(r);
  assert_int_equal(ayil_report_new(&r, "2026-03", "2026-01", NULL),
                   AYIL_EINVAL);
  assert_int_equal(ayil_report_new(&r, NULL, "2026-00", NULL), AYIL_EINVAL);
  assert_int_equal(ayil_report_new(&r, NULL, NULL, "atlantis"), AYIL_EINVAL);
  assert_null(r);
  assert_int_equal(ayil_report_new(&r, "2026-01", "2026-01", "naryn"), 0);
  for (i = 0; i < N(bad); i++)
    assert_int_equal(add_rc(r, "Eta", "naryn", bad[i]), AYIL_EINVAL);
  assert_int_equal(add_rc(r, "Eta", "atlantis",
                          "{\"kind\":\"closure\","
                          "\"month\":\"2026-01\"}"),
                   AYIL_EINVAL);
  assert_int_equal(add_rc(r, "", "naryn",
                          "{\"kind\":\"closure\","
                          "\"month\":\"2026-01\"}"),
                   AYIL_EINVAL);
  /* Another oblast than the filter: ignored. */
  add(r, "Theta", "talas", "{\"kind\":\"closure\",\"month\":\"2026-01\"}");
  /* Rejected records left nothing: no committee, no count. */
  assert_int_equal(ayil__report_nrows(r), (0 + 1 + 1 + 1) * N(INDICATORS));
  doc = render_json(r, 0);
  assert_int_equal(val(doc, "total", "total", "appeals"), 0);
  assert_int_equal(val(doc, "total", "total", "aid.money.people"), 0);
  json_decref(doc);
  {
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_int_equal(ayil_report_write(r, f, "xml", "en", 0), AYIL_EINVAL);
    assert_int_equal(ayil_report_write(r, f, "json", "fr", 0), AYIL_EINVAL);
    assert_int_equal(ayil_report_write(r, f, "json", "en", -1), AYIL_EINVAL);
    fclose(f);
  }
  ayil_report_free(r);
  ayil_report_free(NULL);
}

/* ---- exact JSON and CSV ---- */

/* The csv `s` with only the first five fields of each line, quoted as
 * they came (RFC 4180). */
static char *csv_first5(const char *s) {
  char *out = malloc(strlen(s) + 1), *o = out;
  int quoted = 0, field = 0;

  assert_non_null(out);
  for (; *s != '\0'; s++) {
    if (*s == '"')
      quoted = !quoted;
    else if (!quoted && *s == ',')
      field++;
    else if (!quoted && *s == '\r' && s[1] == '\n') {
      *o++ = *s++;
      *o++ = *s;
      field = 0;
      continue;
    }
    if (field < 5)
      *o++ = *s;
  }
  *o = '\0';
  return out;
}

static void test_json_csv_exact(void **state) {
  ayil_report_t *r;
  char *got, *want, *p;
  size_t cap = 64 * 1024, i, e;
  static const char *const ENT[][2] = {{"committee", "Ala \"Too\", 1"},
                                       {"oblast", "talas"},
                                       {"region", "north"},
                                       {"total", "total"}};

  (void)state;
  assert_int_equal(ayil_report_new(&r, "2026-02", "2026-02", "talas"), 0);
  add(r, "Ala \"Too\", 1", "talas",
      "{\"kind\":\"appeal\",\"month\":\"2026-02\",\"violence\":[\"physical\"],"
      "\"survivor_sex\":\"female\",\"survivor_age\":\"18-25\"}");
  add(r, "Ala \"Too\", 1", "talas",
      "{\"kind\":\"training\",\"month\":\"2026-02\",\"days\":3,"
      "\"participants_female\":4,\"participants_male\":0}");

  /* JSON, built here from the indicator list. */
  want = malloc(cap);
  assert_non_null(want);
  p = want;
  p += sprintf(p, "{\"from\":\"2026-02\",\"to\":\"2026-02\",\"oblast\":"
                  "\"talas\",\"suppress_below\":0,\"rows\":[");
  for (e = 0; e < N(ENT); e++)
    for (i = 0; i <= N(INDICATORS); i++) {
      const char *ind;
      int v = 0;
      if (i == I_AFTER_TRAINING)
        ind = "training.participants.days_3";
      else
        ind = INDICATORS[i < I_AFTER_TRAINING ? i : i - 1];
      if (strcmp(ind, "appeals") == 0 ||
          strcmp(ind, "appeals.violence.physical") == 0 ||
          strcmp(ind, "appeals.sex.female") == 0 ||
          strcmp(ind, "appeals.age.18-25") == 0 ||
          strcmp(ind, "training.events") == 0)
        v = 1;
      if (strcmp(ind, "training.participants") == 0 ||
          strcmp(ind, "training.participants.days_3") == 0)
        v = 4;
      p += sprintf(p,
                   "%s\n{\"scope\":\"%s\",\"name\":\"%s\",\"indicator\":\"%s\","
                   "\"value\":%d}",
                   e == 0 && i == 0 ? "" : ",", ENT[e][0],
                   e == 0 ? "Ala \\\"Too\\\", 1" : ENT[e][1], ind, v);
    }
  p += sprintf(p, "\n],\"rolled_back\":[]}\n");
  got = render(r, "json", "en", 0);
  assert_string_equal(got, want);
  free(got);

  /* CSV */
  p = want;
  p += sprintf(p, "scope,name,indicator,value,suppressed\r\n");
  for (e = 0; e < N(ENT); e++)
    for (i = 0; i <= N(INDICATORS); i++) {
      const char *ind, *v = "0";
      if (i == I_AFTER_TRAINING)
        ind = "training.participants.days_3";
      else
        ind = INDICATORS[i < I_AFTER_TRAINING ? i : i - 1];
      if (strcmp(ind, "appeals") == 0 ||
          strcmp(ind, "appeals.violence.physical") == 0 ||
          strcmp(ind, "appeals.sex.female") == 0 ||
          strcmp(ind, "appeals.age.18-25") == 0 ||
          strcmp(ind, "training.events") == 0)
        v = "<3";
      if (strcmp(ind, "training.participants") == 0 ||
          strcmp(ind, "training.participants.days_3") == 0)
        v = "4";
      p += sprintf(p, "%s,%s,%s,%s,%d\r\n", ENT[e][0],
                   e == 0 ? "\"Ala \"\"Too\"\", 1\"" : ENT[e][1], ind, v,
                   v[0] == '<');
    }
  got = render(r, "csv", "en", 3);
  /* A byte order mark, and the labels after the five columns of codes
   * (checked in every language by tests/e2e/report_sheet.sh). */
  assert_memory_equal(got, "\xef\xbb\xbf", 3);
  {
    static const char head[] = "scope,name,indicator,value,suppressed,name_"
                               "label,indicator_label,note\r\n";
    assert_memory_equal(got + 3, head, sizeof(head) - 1);
  }
  p = csv_first5(got + 3);
  assert_string_equal(p, want);
  free(p);
  free(got);
  free(want);
  ayil_report_free(r);
}

/* Not synced for the period (report.h): the end of the period is the
 * first second of the month after `to`, UTC; a record in the period, or a
 * word at or after the end, clears the mark; a committee never noted is
 * never marked. */
static void test_not_synced(void **state) {
  ayil_report_t *r;
  json_t *doc;
  size_t i;
  const int64_t end = 1780272000; /* 2026-06-01T00:00:00Z */
  int seen[5] = {0, 0, 0, 0, 0};
  static const char *const NAME[] = {"Ak", "Bel", "Cho", "Dyk", "Ene"};
  static const int WANT[] = {1, 0, 0, 0, 1};

  (void)state;
  assert_int_equal(ayil_report_new(&r, "2026-02", "2026-05", NULL), 0);
  assert_int_equal(ayil_report_note_contact(r, "Ak", "talas", end - 1), 0);
  assert_int_equal(ayil_report_note_contact(r, "Bel", "talas", end), 0);
  assert_int_equal(ayil_report_note_contact(r, "Cho", "talas", 0), 0);
  add(r, "Cho", "talas",
      "{\"kind\":\"session\",\"month\":\"2026-05\",\"cases_reviewed\":0,"
      "\"violence_related\":false}");
  add(r, "Dyk", "talas",
      "{\"kind\":\"session\",\"month\":\"2026-07\",\"cases_reviewed\":0,"
      "\"violence_related\":false}");
  assert_int_equal(ayil_report_note_contact(r, "Ene", "naryn", 0), 0);
  add(r, "Ene", "naryn",
      "{\"kind\":\"session\",\"month\":\"2026-06\",\"cases_reviewed\":0,"
      "\"violence_related\":false}");
  doc = render_json(r, 0);
  for (i = 0; i < json_array_size(json_object_get(doc, "rows")); i++) {
    json_t *row = json_array_get(json_object_get(doc, "rows"), i);
    const char *scope = json_string_value(json_object_get(row, "scope"));
    const char *name = json_string_value(json_object_get(row, "name"));
    int ns = json_is_true(json_object_get(row, "not_synced"));
    size_t k;
    if (strcmp(scope, "committee") != 0) {
      assert_false(ns);
      continue;
    }
    for (k = 0; k < 5; k++)
      if (strcmp(name, NAME[k]) == 0) {
        assert_int_equal(ns, WANT[k]);
        seen[k]++;
      }
  }
  for (i = 0; i < 5; i++)
    assert_true(seen[i] > 0);
  json_decref(doc);
  ayil_report_free(r);
  /* Without `to`: marked only when never heard from. */
  assert_int_equal(ayil_report_new(&r, "2026-02", NULL, NULL), 0);
  assert_int_equal(ayil_report_note_contact(r, "Ak", "talas", 1), 0);
  assert_int_equal(ayil_report_note_contact(r, "Bel", "talas", 0), 0);
  doc = render_json(r, 0);
  for (i = 0; i < json_array_size(json_object_get(doc, "rows")); i++) {
    json_t *row = json_array_get(json_object_get(doc, "rows"), i);
    const char *name = json_string_value(json_object_get(row, "name"));
    assert_int_equal(json_is_true(json_object_get(row, "not_synced")),
                     strcmp(name, "Bel") == 0);
  }
  json_decref(doc);
  ayil_report_free(r);
}

/* ---- people's formats ---- */

static void test_human_formats(void **state) {
  static const char *const fmts[] = {"text", "md", "html"};
  static const char *const langs[] = {"en", "ru", "ky"};
  ayil_report_t *r = scenario();
  size_t f, l;
  char *s;

  (void)state;
  add(r, "<b>Evil & \"co\"</b>\x1b[31m", "naryn",
      "{\"kind\":\"aid\",\"month\":\"2026-02\",\"aid_kind\":\"money\","
      "\"amount_som\":1234567}");
  for (f = 0; f < N(fmts); f++)
    for (l = 0; l < N(langs); l++) {
      s = render(r, fmts[f], langs[l], f == 2 ? 3 : 0);
      /* No label fell back to its key. */
      assert_null(strstr(s, "ind."));
      assert_null(strstr(s, "grp."));
      assert_null(strstr(s, "code."));
      assert_null(strstr(s, "oblast.naryn"));
      /* The name cannot drive a terminal. */
      assert_null(strchr(s, '\x1b'));
      if (strcmp(fmts[f], "html") == 0) {
        assert_null(strstr(s, "<script"));
        assert_null(strstr(s, "<SCRIPT"));
        assert_null(strstr(s, "http:"));
        assert_null(strstr(s, "https:"));
        assert_null(strstr(s, "://"));
        assert_null(strstr(s, "url("));
        assert_null(strstr(s, "@import"));
        /* A browser that opens it refuses any request at all. */
        assert_non_null(strstr(s,
                               "<meta http-equiv=\"Content-Security-Policy\" "
                               "content=\"default-src 'none'; style-src "
                               "'unsafe-inline'; img-src data:\">"));
        assert_null(strstr(s, "<link"));
        assert_null(strstr(s, "src="));
        assert_null(strstr(s, "<b>"));
        assert_non_null(strstr(s, "&lt;b&gt;Evil &amp; &quot;co&quot;"));
        assert_non_null(strstr(s, "<svg"));
        assert_non_null(strstr(s, "@media print"));
        assert_non_null(strstr(s, "<style>"));
        assert_non_null(strstr(s, "&lt;3"));
      }
      if (strcmp(fmts[f], "md") == 0) {
        assert_non_null(strstr(s, "\\<b\\>Evil \\& \"co\"\\</b\\>"));
      }
      if (f != 2 && strcmp(langs[l], "en") == 0)
        assert_non_null(strstr(s, "1,234,567"));
      if (f != 2 && strcmp(langs[l], "en") != 0)
        assert_non_null(strstr(s, "1\xc2\xa0"
                                  "234\xc2\xa0"
                                  "567"));
      if (strcmp(langs[l], "ru") == 0)
        assert_non_null(strstr(s, "Обращения"));
      if (strcmp(langs[l], "ky") == 0)
        assert_non_null(strstr(s, "Кайрылуулар"));
      free(s);
    }
  /* Text columns line up: every line of a table has the same width. */
  s = render(r, "text", "ru", 0);
  assert_non_null(strstr(s, "Участники обучений длительностью 2 дн."));
  free(s);
  ayil_report_free(r);
}

/* ---- the hub's fast path: headers counted from their msgpack bytes ---- */

static void test_packed(void **state) {
  static const char *const hdrs[] = {
      "",
      "",
      "",
      "",
      "{\"kind\":\"family\",\"month\":\"MMMMMMM\",\"status\":\"removed\","
      "\"removed_month\":\"2026-02\",\"risk\":\"high\",\"reason\":"
      "[\"alcohol\"]}",
      "{\"kind\":\"session\",\"month\":\"MMMMMMM\",\"cases_reviewed\":3,"
      "\"violence_related\":true}",
      "{\"kind\":\"prevention\",\"month\":\"MMMMMMM\",\"audience\":\"parents\","
      "\"participants_female\":300,\"participants_male\":70000}",
      "{\"kind\":\"followup\",\"month\":\"MMMMMMM\",\"action\":\"home_visit\"}",
      "{\"kind\":\"aid\",\"month\":\"MMMMMMM\",\"aid_kind\":\"housing\"}",
      "{\"kind\":\"closure\",\"month\":\"MMMMMMM\",\"reason\":\"moved\"}",
      "{\"kind\":\"correction\",\"month\":\"MMMMMMM\",\"outcome\":\"ongoing\"}",
  };
  static const char *const months[] = {"2025-12", "2026-01", "2026-03"};
  ayil_report_t *a, *b;
  char hdr[512], *sa, *sb;
  size_t i, k, len;
  uint8_t *buf;
  json_t *h;
  static const uint8_t junk[][6] = {
      {0x81, 0xa4, 'k', 'i', 'n', 'd'}, /* ends inside */
      {0x81, 0xa1, 'k', 0xc0, 0, 0},    /* nil value, then trailing */
      {0x91, 0xa1, 'k', 0, 0, 0},       /* an array, not a map */
  };

  (void)state;
  assert_int_equal(ayil_report_new(&a, "2026-01", "2026-03", NULL), 0);
  assert_int_equal(ayil_report_new(&b, "2026-01", "2026-03", NULL), 0);
  for (i = 0; i < 300; i++) {
    const char *m = months[i % 3];
    k = i % N(hdrs);
    if (k == 0)
      snprintf(hdr, sizeof(hdr), HDR_APPEAL, m, "sexual", "male", "61+");
    else if (k == 1)
      snprintf(hdr, sizeof(hdr), HDR_REFERRAL, m, "shelter");
    else if (k == 2)
      snprintf(hdr, sizeof(hdr), HDR_TRAINING, m, 1 + (int)(i % 3), 5, 7);
    else if (k == 3)
      snprintf(hdr, sizeof(hdr), HDR_MONEY, m, 100 + (int)i);
    else {
      /* The templates' month is "MMMMMMM". */
      char *at;
      snprintf(hdr, sizeof(hdr), "%s", hdrs[k]);
      at = strstr(hdr, "MMMMMMM");
      assert_non_null(at);
      memcpy(at, m, 7);
    }
    h = json_loads(hdr, 0, NULL);
    assert_non_null(h);
    assert_int_equal(ayil_record_pack(h, &buf, &len), 0);
    assert_int_equal(ayil_report_add(a, i % 2 ? "Mu" : "Nu", "naryn", h), 0);
    assert_int_equal(
        ayil_report_add_packed(b, i % 2 ? "Mu" : "Nu", "naryn", buf, len), 0);
    /* Every cut of the bytes is refused and counts nowhere. */
    if (i < N(hdrs))
      for (k = 0; k < len; k++)
        assert_int_equal(ayil_report_add_packed(b, "Xi", "naryn", buf, k),
                         AYIL_EINVAL);
    free(buf);
    json_decref(h);
  }
  for (i = 0; i < N(junk); i++)
    assert_int_equal(
        ayil_report_add_packed(b, "Xi", "naryn", junk[i], sizeof(junk[i])),
        AYIL_EINVAL);
  sa = render(a, "json", NULL, 0);
  sb = render(b, "json", NULL, 0);
  assert_string_equal(sa, sb);
  free(sa);
  free(sb);
  ayil_report_free(a);
  ayil_report_free(b);
}

/* ---- the one HTML escaper ---- */

static void test_html_put(void **state) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);

  (void)state;
  assert_non_null(f);
  ayil_html_put(f, "<a href=\"x\">Tom & 'Jo'</a>\t\x7f!");
  fclose(f);
  assert_string_equal(
      buf, "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jo&#39;&lt;/a&gt;  !");
  free(buf);
}

/* ---- translations ---- */

static void test_labels(void **state) {
  const char *first = NULL;
  int bad = ayil__report_labels_check(&first);

  (void)state;
  if (bad != 0)
    fail_msg("%d label problems, first: %s", bad, first);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_counts),
      cmocka_unit_test(test_codes_match_schema),
      cmocka_unit_test(test_invalid),
      cmocka_unit_test(test_json_csv_exact),
      cmocka_unit_test(test_not_synced),
      cmocka_unit_test(test_human_formats),
      cmocka_unit_test(test_labels),
      cmocka_unit_test(test_packed),
      cmocka_unit_test(test_html_put),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * The report's small-cell suppression (node/report_tab.c): simple cases,
 * and an independent "attacker" that tries to pin a hidden cell from the
 * totals it can see, over random reports. All names here are invented.
 */
#include "report_fixture.h"

/* ---- suppression ---- */

static void test_suppress_simple(void **state) {
  ayil_report_t *r;
  json_t *doc;
  int i;

  (void)state;
  assert_int_equal(ayil_report_new(&r, NULL, NULL, "issyk_kul"), 0);
  for (i = 0; i < 3 + 10 + 12; i++) {
    const char *c = i < 3 ? "Iota" : i < 13 ? "Kappa" : "Lambda";
    add(r, c, "issyk_kul",
        "{\"kind\":\"appeal\",\"month\":\"2026-02\",\"violence\":"
        "[\"physical\"],\"survivor_sex\":\"female\",\"survivor_age\":"
        "\"18-25\"}");
  }
  add(r, "Iota", "issyk_kul",
      "{\"kind\":\"aid\",\"month\":\"2026-02\",\"aid_kind\":\"money\","
      "\"amount_som\":5000}");
  doc = render_json(r, 5);
  assert_string_equal(display(doc, "committee", "Iota", "appeals"), "<5");
  /* Kappa (10) is the smallest other non-zero committee: hidden too. */
  assert_string_equal(display(doc, "committee", "Kappa", "appeals"), "x");
  assert_int_equal(val(doc, "committee", "Lambda", "appeals"), 12);
  assert_int_equal(val(doc, "oblast", "issyk_kul", "appeals"), 25);
  assert_int_equal(val(doc, "total", "total", "appeals"), 25);
  /* The money of one person is hidden with the count. */
  assert_string_equal(display(doc, "committee", "Iota", "aid.money.people"),
                      "<5");
  assert_string_equal(display(doc, "committee", "Iota", "aid.money.som"), "x");
  assert_string_equal(display(doc, "oblast", "issyk_kul", "aid.money.som"),
                      "x");
  /* Zeros stay. */
  assert_int_equal(val(doc, "committee", "Iota", "appeals.sex.male"), 0);
  json_decref(doc);
  /* Threshold 0 or 1: nothing hidden. */
  doc = render_json(r, 1);
  assert_int_equal(val(doc, "committee", "Iota", "appeals"), 3);
  json_decref(doc);
  ayil_report_free(r);
}

/* An independent attacker. The cells of a report, with the summing groups
 * a reader can see, built here from RECORDS.md (not from report.c). */
#define MAXC 24
#define MAXE (MAXC + 9 + 2 + 1)
#define MAXI 64

typedef struct {
  const char *scope[MAXE];
  char name[MAXE][32];
  int oblast[MAXE]; /* committee, oblast */
  int region[MAXE]; /* oblast, region */
  size_t ne;
  char ind[MAXI][64];
  size_t ni;
  long long truth[MAXE][MAXI];
  long long shown[MAXE][MAXI]; /* -1 hidden */
  int lt[MAXE][MAXI];          /* shown as "<N" */
} cells_t;

static const char *const TOBL[] = {"batken",     "chui",    "issyk_kul",
                                   "jalal_abad", "naryn",   "osh",
                                   "talas",      "bishkek", "osh_city"};

static size_t ind_idx(const cells_t *c, const char *ind) {
  size_t i;

  for (i = 0; i < c->ni; i++)
    if (strcmp(c->ind[i], ind) == 0)
      return i;
  fail_msg("no indicator %s", ind);
  return 0;
}

static void load_cells(cells_t *c, const json_t *truth, const json_t *sup,
                       const int *com_oblast) {
  const json_t *rows = json_object_get(truth, "rows"), *row;
  const json_t *srows = json_object_get(sup, "rows");
  size_t i, e = 0, k;
  const char *prev = NULL, *prevscope = NULL;

  memset(c, 0, sizeof(*c));
  assert_int_equal(json_array_size(rows), json_array_size(srows));
  json_array_foreach(rows, i, row) {
    const char *scope = json_string_value(json_object_get(row, "scope"));
    const char *name = json_string_value(json_object_get(row, "name"));
    const char *ind = json_string_value(json_object_get(row, "indicator"));
    const json_t *srow = json_array_get(srows, i);
    const json_t *sv = json_object_get(srow, "value");

    if (prev == NULL || strcmp(prev, name) != 0 ||
        strcmp(prevscope, scope) != 0) {
      if (prev != NULL)
        e++;
      assert_true(e < MAXE);
      c->scope[e] = strcmp(scope, "committee") == 0 ? "committee"
                    : strcmp(scope, "oblast") == 0  ? "oblast"
                    : strcmp(scope, "region") == 0  ? "region"
                                                    : "total";
      snprintf(c->name[e], sizeof(c->name[e]), "%s", name);
      c->oblast[e] = c->region[e] = -1;
      if (strcmp(scope, "committee") == 0)
        c->oblast[e] = com_oblast[atoi(name + 1)];
      if (strcmp(scope, "oblast") == 0)
        for (k = 0; k < N(TOBL); k++)
          if (strcmp(TOBL[k], name) == 0) {
            c->oblast[e] = (int)k;
            c->region[e] =
                strcmp(ayil_oblast_region(name), "north") == 0 ? 0 : 1;
          }
      if (strcmp(scope, "region") == 0)
        c->region[e] = strcmp(name, "north") == 0 ? 0 : 1;
      prev = name;
      prevscope = scope;
    }
    if (e == 0) {
      assert_true(c->ni < MAXI);
      snprintf(c->ind[c->ni++], 64, "%s", ind);
    }
    k = ind_idx(c, ind);
    assert_string_equal(json_string_value(json_object_get(srow, "indicator")),
                        ind);
    c->truth[e][k] = json_integer_value(json_object_get(row, "value"));
    c->shown[e][k] = json_is_null(sv) ? -1 : json_integer_value(sv);
    c->lt[e][k] = json_is_null(sv) &&
                  json_string_value(json_object_get(srow, "display"))[0] == '<';
  }
  c->ne = e + 1;
}

typedef struct {
  int total[2];
  int part[MAXE][2];
  size_t n;
  int count;
} tgroup_t;

/* All summing groups of the report. */
static size_t tgroups(const cells_t *c, tgroup_t *g, size_t cap) {
  size_t n = 0, e, k, i, j;
  static const char *const sums[][2] = {
      {"appeals", "appeals.sex."},
      {"appeals", "appeals.age."},
      {"referrals", "referrals."},
      {"training.participants", "training.participants.days_"},
  };

  for (e = 0; e < c->ne; e++) {
    for (k = 0; k < N(sums); k++) {
      assert_true(n < cap);
      g[n].total[0] = (int)e;
      g[n].total[1] = (int)ind_idx(c, sums[k][0]);
      g[n].n = 0;
      g[n].count = 1;
      for (i = 0; i < c->ni; i++)
        if (strncmp(c->ind[i], sums[k][1], strlen(sums[k][1])) == 0 &&
            strcmp(c->ind[i], "referrals.crisis_or_shelter") != 0) {
          g[n].part[g[n].n][0] = (int)e;
          g[n].part[g[n].n++][1] = (int)i;
        }
      if (g[n].n > 0)
        n++;
    }
    assert_true(n < cap);
    g[n].total[0] = (int)e;
    g[n].total[1] = (int)ind_idx(c, "referrals.crisis_or_shelter");
    g[n].part[0][0] = g[n].part[1][0] = (int)e;
    g[n].part[0][1] = (int)ind_idx(c, "referrals.crisis_centre");
    g[n].part[1][1] = (int)ind_idx(c, "referrals.shelter");
    g[n].n = 2;
    g[n++].count = 1;
    /* referrals = crisis_or_shelter + the other services */
    assert_true(n < cap);
    g[n].total[0] = (int)e;
    g[n].total[1] = (int)ind_idx(c, "referrals");
    g[n].n = 0;
    g[n].count = 1;
    for (i = 0; i < c->ni; i++)
      if (strncmp(c->ind[i], "referrals.", 10) == 0 &&
          strcmp(c->ind[i], "referrals.crisis_centre") != 0 &&
          strcmp(c->ind[i], "referrals.shelter") != 0) {
        g[n].part[g[n].n][0] = (int)e;
        g[n].part[g[n].n++][1] = (int)i;
      }
    n++;
  }
  for (i = 0; i < c->ni; i++)
    for (e = 0; e < c->ne; e++) {
      if (strcmp(c->scope[e], "committee") == 0)
        continue;
      assert_true(n < cap);
      g[n].total[0] = (int)e;
      g[n].total[1] = (int)i;
      g[n].n = 0;
      g[n].count = strcmp(c->ind[i], "aid.money.som") != 0;
      for (j = 0; j < c->ne; j++) {
        int in = 0;
        if (strcmp(c->scope[e], "oblast") == 0)
          in = strcmp(c->scope[j], "committee") == 0 &&
               c->oblast[j] == c->oblast[e];
        else if (strcmp(c->scope[e], "region") == 0)
          in = strcmp(c->scope[j], "oblast") == 0 &&
               c->region[j] == c->region[e];
        else
          in = strcmp(c->scope[j], "region") == 0;
        if (in) {
          g[n].part[g[n].n][0] = (int)j;
          g[n].part[g[n].n++][1] = (int)i;
        }
      }
      if (g[n].n > 0)
        n++;
    }
  return n;
}

#define INF (LLONG_MAX / 4) /* no upper bound */

static long long sat(long long v) {
  return v > INF ? INF : v;
}

/* Narrows [*lo, *hi] to [l, h]; 1 if it moved. */
static int narrow(long long *lo, long long *hi, long long l, long long h) {
  int moved = 0;

  if (l > *lo) {
    *lo = l;
    moved = 1;
  }
  if (h < *hi) {
    *hi = h;
    moved = 1;
  }
  return moved;
}

/* Runs the attacker; fails if any hidden cell can be pinned down. */
static void attack(cells_t *c, int nb) {
  static tgroup_t g[4096];
  size_t ng = tgroups(c, g, N(g)), k, j;
  static long long known[MAXE][MAXI], blo[MAXE][MAXI], bhi[MAXE][MAXI];
  int changed;
  size_t e, i;

  for (e = 0; e < c->ne; e++)
    for (i = 0; i < c->ni; i++) {
      /* What was shown is the truth, and small counts are hidden. */
      if (c->shown[e][i] >= 0)
        assert_int_equal(c->shown[e][i], c->truth[e][i]);
      if (strcmp(c->ind[i], "aid.money.som") != 0 && c->truth[e][i] >= 1 &&
          c->truth[e][i] < nb)
        assert_true(c->shown[e][i] < 0);
      if (c->shown[e][i] < 0)
        assert_true(c->truth[e][i] > 0);
      known[e][i] = c->shown[e][i];
    }
  /* 1. Solve every group with a single unknown, until nothing moves. */
  do {
    changed = 0;
    for (k = 0; k < ng; k++) {
      int unk = 0, ue = 0, ui = 0, tot_unknown;
      long long sum = 0;
      tot_unknown = known[g[k].total[0]][g[k].total[1]] < 0;
      if (tot_unknown) {
        unk++;
        ue = g[k].total[0];
        ui = g[k].total[1];
      }
      for (j = 0; j < g[k].n; j++) {
        long long v = known[g[k].part[j][0]][g[k].part[j][1]];
        if (v < 0) {
          unk++;
          ue = g[k].part[j][0];
          ui = g[k].part[j][1];
        } else {
          sum += v;
        }
      }
      if (unk != 1)
        continue;
      known[ue][ui] =
          tot_unknown ? sum : known[g[k].total[0]][g[k].total[1]] - sum;
      if (c->shown[ue][ui] < 0)
        fail_msg("hidden %s %s %s recomputed as %lld", c->scope[ue],
                 c->name[ue], c->ind[ui], known[ue][ui]);
      changed = 1;
    }
  } while (changed);
  /* 2. Bounds: "<N" is 1..N-1, "x" is >= 1 (a hidden cell is never 0),
   * a shown cell is exact; every group narrows its cells (a total between
   * the sums of its parts' bounds, a part between the total's bounds minus
   * the others'), until nothing moves. No hidden cell may be left with one
   * value, and the truth must stay inside (else this attacker is wrong). */
  for (e = 0; e < c->ne; e++)
    for (i = 0; i < c->ni; i++) {
      blo[e][i] = c->shown[e][i] >= 0 ? c->shown[e][i] : 1;
      bhi[e][i] = c->shown[e][i] >= 0 ? c->shown[e][i]
                  : c->lt[e][i]       ? nb - 1
                                      : INF;
    }
  do {
    changed = 0;
    for (k = 0; k < ng; k++) {
      int te = g[k].total[0], ti = g[k].total[1];
      long long slo = 0, shi = 0; /* shi: over the bounded parts */
      size_t ninf = 0;
      for (j = 0; j < g[k].n; j++) {
        long long h = bhi[g[k].part[j][0]][g[k].part[j][1]];
        slo = sat(slo + blo[g[k].part[j][0]][g[k].part[j][1]]);
        if (h >= INF)
          ninf++;
        else
          shi = sat(shi + h);
      }
      changed |= narrow(&blo[te][ti], &bhi[te][ti], slo, ninf ? INF : shi);
      for (j = 0; j < g[k].n; j++) {
        int pe = g[k].part[j][0], pi = g[k].part[j][1];
        long long olo = slo - blo[pe][pi], l = 0, h = INF;
        int self_inf = bhi[pe][pi] >= INF;
        if (ninf == 0 || (ninf == 1 && self_inf))
          l = blo[te][ti] - (self_inf ? shi : shi - bhi[pe][pi]);
        if (bhi[te][ti] < INF)
          h = bhi[te][ti] - olo;
        changed |= narrow(&blo[pe][pi], &bhi[pe][pi], l, h);
      }
    }
  } while (changed);
  for (e = 0; e < c->ne; e++)
    for (i = 0; i < c->ni; i++) {
      if (c->truth[e][i] < blo[e][i] || c->truth[e][i] > bhi[e][i])
        fail_msg("attacker wrong on %s %s %s", c->scope[e], c->name[e],
                 c->ind[i]);
      if (c->shown[e][i] < 0 && blo[e][i] >= bhi[e][i])
        fail_msg("hidden %s %s %s (%s) is pinned to %lld at N=%d", c->scope[e],
                 c->name[e], c->ind[i], c->lt[e][i] ? "<N" : "x", blo[e][i],
                 nb);
    }
}

static void random_report(unsigned seed, int nb) {
  static const char *const viol[] = {"physical", "psychological", "sexual",
                                     "economic", "neglect"};
  static const char *const sex[] = {"female", "male"};
  static const char *const age[] = {"0-11",  "12-17", "18-25",  "26-40",
                                    "41-60", "61+",   "unknown"};
  static const char *const serv[] = {"crisis_centre", "shelter", "police",
                                     "legal_aid", "other"};
  static const char *const months[] = {"2025-12", "2026-01", "2026-02"};
  static cells_t c;
  int com_oblast[MAXC];
  int ncom, i, k, nrec;
  ayil_report_t *r;
  json_t *truth, *sup;
  char name[16], hdr[512];

  srand(seed);
  ncom = 3 + rand() % (MAXC - 3);
  assert_int_equal(ayil_report_new(&r, "2026-01", "2026-02", NULL), 0);
  for (i = 0; i < ncom; i++) {
    /* Few oblasts, so oblasts hold several committees. */
    static const int pick[] = {1, 6, 7, 5, 8};
    com_oblast[i] = pick[rand() % 5];
    snprintf(name, sizeof(name), "C%d", i);
    assert_int_equal(ayil_report_add_committee(r, name, TOBL[com_oblast[i]]),
                     0);
    nrec = rand() % 40;
    for (k = 0; k < nrec; k++) {
      const char *m = months[rand() % 3];
      switch (rand() % 4) {
      case 0:
        snprintf(hdr, sizeof(hdr), HDR_APPEAL, m, viol[rand() % 5],
                 sex[rand() % 2], age[rand() % 3]);
        break;
      case 1:
        snprintf(hdr, sizeof(hdr), HDR_REFERRAL, m, serv[rand() % 5]);
        break;
      case 2:
        snprintf(hdr, sizeof(hdr), HDR_TRAINING, m, 1 + rand() % 2, rand() % 4,
                 rand() % 3);
        break;
      default:
        snprintf(hdr, sizeof(hdr), HDR_MONEY, m, 100 * (1 + rand() % 9));
      }
      add(r, name, TOBL[com_oblast[i]], hdr);
    }
  }
  truth = render_json(r, 0);
  sup = render_json(r, nb);
  load_cells(&c, truth, sup, com_oblast);
  attack(&c, nb);
  json_decref(truth);
  json_decref(sup);
  ayil_report_free(r);
}

static void test_suppress_attack(void **state) {
  static const int nbs[] = {3, 4, 5, 10};
  unsigned seed;

  (void)state;
  for (seed = 1; seed <= 160; seed++)
    random_report(seed, nbs[seed % 4]);
}

/* ncom committees of one oblast with one appeal each (a man of 18-25), at
 * threshold nb with ncom >= nb - 1: every cell on the way up is small. Read
 * as "<nb" (1..nb-1), the oblast's appeals would be at most nb-1 and at
 * least ncom, so each committee's 1 would be known. The topmost small cells
 * must show "x" instead, and no hidden cell may be pinned. */
static void small_chain(int ncom, int nb) {
  static cells_t c;
  int com_oblast[MAXC], i;
  ayil_report_t *r;
  json_t *truth, *sup;
  char name[16], want[8];

  assert_int_equal(ayil_report_new(&r, NULL, NULL, "naryn"), 0);
  for (i = 0; i < ncom; i++) {
    com_oblast[i] = 4; /* naryn */
    snprintf(name, sizeof(name), "C%d", i);
    add(r, name, "naryn",
        "{\"kind\":\"appeal\",\"month\":\"2026-02\",\"violence\":"
        "[\"physical\"],\"survivor_sex\":\"male\",\"survivor_age\":"
        "\"18-25\"}");
  }
  truth = render_json(r, 0);
  sup = render_json(r, nb);
  snprintf(want, sizeof(want), "<%d", nb);
  assert_int_equal(val(truth, "oblast", "naryn", "appeals"), ncom);
  for (i = 0; i < ncom; i++) {
    snprintf(name, sizeof(name), "C%d", i);
    assert_string_equal(display(sup, "committee", name, "appeals"), want);
    assert_string_equal(display(sup, "committee", name, "appeals.sex.male"),
                        want);
  }
  /* The oblast, its region and the total are all ncom < nb: hidden, and
   * not as "<nb", which would give the committees away. */
  assert_string_equal(display(sup, "oblast", "naryn", "appeals"), "x");
  assert_string_equal(display(sup, "oblast", "naryn", "appeals.sex.male"), "x");
  assert_string_equal(display(sup, "region", "north", "appeals"), "x");
  assert_string_equal(display(sup, "total", "total", "appeals"), "x");
  /* Zeros stay. */
  assert_int_equal(val(sup, "oblast", "naryn", "appeals.sex.female"), 0);
  load_cells(&c, truth, sup, com_oblast);
  attack(&c, nb);
  json_decref(truth);
  json_decref(sup);
  ayil_report_free(r);
}

static void test_suppress_small_chain(void **state) {
  (void)state;
  small_chain(2, 3); /* two committees "<3" under an oblast of 2 */
  small_chain(3, 4); /* k = N-1 = 3 parts "<4" under a total of 3 */
  small_chain(4, 4); /* k > N-1: an oblast of 4 = k parts is hidden too */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_suppress_simple),
      cmocka_unit_test(test_suppress_attack),
      cmocka_unit_test(test_suppress_small_chain),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}

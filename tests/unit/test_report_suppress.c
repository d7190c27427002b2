/*
 * The report's small-cell suppression (node/report_tab.c): simple cases,
 * and an independent "attacker" that tries to pin a hidden cell from the
 * totals it can see, over random reports; across the hierarchy, the
 * national report against each oblast's own (a regional hub's, and
 * `--oblast`): the same cells for the oblast, and the attacker over all of
 * them together. All names here are invented.
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
/* A report's entities, or those of a national report and of each of its
 * oblasts' reports together (see attack_union()). */
#define MAXE (3 * MAXC + 2 * (9 + 2 + 1))
#define MAXI 64
#define MAXP 32 /* parts of a group */

typedef struct {
  const char *scope[MAXE];
  char name[MAXE][32];
  int oblast[MAXE]; /* committee, oblast */
  int region[MAXE]; /* oblast, region */
  int rep[MAXE];    /* which report the entity is of */
  size_t ne;
  /* Cells of two reports that are one number: (entity, indicator) of
   * one, of the other. */
  int link[MAXE * MAXI][4];
  size_t nlink;
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

/* The column of indicator ind, added if new. */
static size_t ind_add(cells_t *c, const char *ind) {
  size_t i;

  for (i = 0; i < c->ni; i++)
    if (strcmp(c->ind[i], ind) == 0)
      return i;
  assert_true(c->ni < MAXI);
  snprintf(c->ind[c->ni], 64, "%s", ind);
  return c->ni++;
}

/* Adds the entities of a report (its rows unsuppressed, truth, and at
 * threshold N, sup) to c as report rep. */
static void add_cells(cells_t *c, int rep, const json_t *truth,
                      const json_t *sup, const int *com_oblast) {
  const json_t *rows = json_object_get(truth, "rows"), *row;
  const json_t *srows = json_object_get(sup, "rows");
  size_t i, e = c->ne, k;
  const char *prev = NULL, *prevscope = NULL;

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
      c->rep[e] = rep;
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
    k = ind_add(c, ind);
    assert_string_equal(json_string_value(json_object_get(srow, "indicator")),
                        ind);
    c->truth[e][k] = json_integer_value(json_object_get(row, "value"));
    c->shown[e][k] = json_is_null(sv) ? -1 : json_integer_value(sv);
    c->lt[e][k] = json_is_null(sv) &&
                  json_string_value(json_object_get(srow, "display"))[0] == '<';
  }
  c->ne = e + 1;
}

static void load_cells(cells_t *c, const json_t *truth, const json_t *sup,
                       const int *com_oblast) {
  memset(c, 0, sizeof(*c));
  add_cells(c, 0, truth, sup, com_oblast);
}

typedef struct {
  int total[2];
  int part[MAXP][2];
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
          assert_true(g[n].n < MAXP);
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
        assert_true(g[n].n < MAXP);
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
        if (c->rep[j] != c->rep[e])
          continue;
        if (strcmp(c->scope[e], "oblast") == 0)
          in = strcmp(c->scope[j], "committee") == 0 &&
               c->oblast[j] == c->oblast[e];
        else if (strcmp(c->scope[e], "region") == 0)
          in = strcmp(c->scope[j], "oblast") == 0 &&
               c->region[j] == c->region[e];
        else
          in = strcmp(c->scope[j], "region") == 0;
        if (in) {
          assert_true(g[n].n < MAXP);
          g[n].part[g[n].n][0] = (int)j;
          g[n].part[g[n].n++][1] = (int)i;
        }
      }
      if (g[n].n > 0)
        n++;
    }
  /* A number published in two reports: total = the one part. */
  for (k = 0; k < c->nlink; k++) {
    assert_true(n < cap);
    g[n].total[0] = c->link[k][0];
    g[n].total[1] = c->link[k][1];
    g[n].part[0][0] = c->link[k][2];
    g[n].part[0][1] = c->link[k][3];
    g[n].n = 1;
    g[n++].count = 1;
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
  static tgroup_t g[16384];
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
        fail_msg("hidden %s %s %s (report %d) recomputed as %lld", c->scope[ue],
                 c->name[ue], c->ind[ui], c->rep[ue], known[ue][ui]);
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
        fail_msg("hidden %s %s %s (report %d, %s) is pinned to %lld at N=%d",
                 c->scope[e], c->name[e], c->ind[i], c->rep[e],
                 c->lt[e][i] ? "<N" : "x", blo[e][i], nb);
    }
}

/* Random records: ncom committees C<i> of oblasts com_oblast[i] (TOBL
 * indices), and nrec headers, hdr[k] of committee hc[k]. */
typedef struct {
  int ncom, com_oblast[MAXC];
  int nrec, hc[MAXC * 40];
  char hdr[MAXC * 40][256];
} data_t;

/* Fills d from seed, the committees' oblasts drawn from pick[0..npick). */
static void gen_data(data_t *d, unsigned seed, const int *pick, int npick) {
  static const char *const viol[] = {"physical", "psychological", "sexual",
                                     "economic", "neglect"};
  static const char *const sex[] = {"female", "male"};
  static const char *const age[] = {"0-11",  "12-17", "18-25",  "26-40",
                                    "41-60", "61+",   "unknown"};
  static const char *const serv[] = {"crisis_centre", "shelter", "police",
                                     "legal_aid", "other"};
  static const char *const months[] = {"2025-12", "2026-01", "2026-02"};
  int i, k, nrec;

  srand(seed);
  d->ncom = 3 + rand() % (MAXC - 3);
  d->nrec = 0;
  for (i = 0; i < d->ncom; i++) {
    d->com_oblast[i] = pick[rand() % npick];
    nrec = rand() % 40;
    for (k = 0; k < nrec; k++) {
      const char *m = months[rand() % 3];
      char *h = d->hdr[d->nrec];
      switch (rand() % 4) {
      case 0:
        snprintf(h, 256, HDR_APPEAL, m, viol[rand() % 5], sex[rand() % 2],
                 age[rand() % 3]);
        break;
      case 1:
        snprintf(h, 256, HDR_REFERRAL, m, serv[rand() % 5]);
        break;
      case 2:
        snprintf(h, 256, HDR_TRAINING, m, 1 + rand() % 2, rand() % 4,
                 rand() % 3);
        break;
      default:
        snprintf(h, 256, HDR_MONEY, m, 100 * (1 + rand() % 9));
      }
      d->hc[d->nrec++] = i;
    }
  }
}

/* The report of d's records, for 2026-01..2026-02: with filter (an oblast
 * code, or NULL) as `ayil report --oblast`; with only >= 0, of the
 * committees of that oblast only, as a regional hub holds them. */
static ayil_report_t *build(const data_t *d, const char *filter, int only) {
  ayil_report_t *r;
  char name[16];
  int i, k;

  assert_int_equal(ayil_report_new(&r, "2026-01", "2026-02", filter), 0);
  for (i = 0; i < d->ncom; i++) {
    if (only >= 0 && d->com_oblast[i] != only)
      continue;
    snprintf(name, sizeof(name), "C%d", i);
    assert_int_equal(ayil_report_add_committee(r, name, TOBL[d->com_oblast[i]]),
                     0);
  }
  for (k = 0; k < d->nrec; k++) {
    if (only >= 0 && d->com_oblast[d->hc[k]] != only)
      continue;
    snprintf(name, sizeof(name), "C%d", d->hc[k]);
    add(r, name, TOBL[d->com_oblast[d->hc[k]]], d->hdr[k]);
  }
  return r;
}

static void random_report(unsigned seed, int nb) {
  /* Few oblasts, so oblasts hold several committees. */
  static const int pick[] = {1, 6, 7, 5, 8};
  static cells_t c;
  static data_t d;
  ayil_report_t *r;
  json_t *truth, *sup;

  gen_data(&d, seed, pick, 5);
  r = build(&d, NULL, -1);
  truth = render_json(r, 0);
  sup = render_json(r, nb);
  load_cells(&c, truth, sup, d.com_oblast);
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

/* ---- across the hierarchy ---- */

/* The rows of a report by "scope/name/indicator" (a new reference). */
static json_t *rows_by_key(const json_t *doc) {
  json_t *ix = json_object(), *row;
  size_t i;
  char k[160];

  assert_non_null(ix);
  json_array_foreach(json_object_get(doc, "rows"), i, row) {
    snprintf(k, sizeof(k), "%s/%s/%s",
             json_string_value(json_object_get(row, "scope")),
             json_string_value(json_object_get(row, "name")),
             json_string_value(json_object_get(row, "indicator")));
    assert_int_equal(json_object_set(ix, k, row), 0);
  }
  return ix;
}

/* The row (scope, name, ind) in an index of rows_by_key(), or NULL. */
static const json_t *row_of(const json_t *ix, const char *scope,
                            const char *name, const char *ind) {
  char k[160];

  snprintf(k, sizeof(k), "%s/%s/%s", scope, name, ind);
  return json_object_get(ix, k);
}

/* 1 if rows a and b show the same: value (null when hidden), display and
 * suppressed. */
static int same_cell(const json_t *a, const json_t *b) {
  static const char *const K[] = {"value", "display", "suppressed"};
  size_t k;

  for (k = 0; k < N(K); k++) {
    const json_t *x = json_object_get(a, K[k]), *y = json_object_get(b, K[k]);
    if ((x == NULL) != (y == NULL) || (x != NULL && !json_equal(x, y)))
      return 0;
  }
  return 1;
}

/* Every row of `part` (all of them with ob < 0, else those of oblast
 * ob's committees and of ob) shows the same in `whole`; a row of `whole`
 * of those entities that `part` does not have is 0 (a training days column
 * of another oblast's data). Returns the number of rows compared. */
static size_t same_rows(const json_t *whole, const json_t *part, int ob,
                        const char *what) {
  const json_t *row;
  size_t i, n = 0;
  json_t *wix = rows_by_key(whole), *pix = rows_by_key(part);

  json_array_foreach(json_object_get(part, "rows"), i, row) {
    const char *scope = json_string_value(json_object_get(row, "scope"));
    const char *name = json_string_value(json_object_get(row, "name"));
    const char *ind = json_string_value(json_object_get(row, "indicator"));
    const json_t *w;
    if (ob >= 0 &&
        !(strcmp(scope, "oblast") == 0 && strcmp(name, TOBL[ob]) == 0) &&
        strcmp(scope, "committee") != 0)
      continue;
    w = row_of(wix, scope, name, ind);
    if (w == NULL)
      fail_msg("%s: no row %s %s %s", what, scope, name, ind);
    if (!same_cell(w, row))
      fail_msg("%s: %s %s %s differs: %s vs %s", what, scope, name, ind,
               json_dumps(w, JSON_COMPACT), json_dumps(row, JSON_COMPACT));
    n++;
  }
  json_array_foreach(json_object_get(whole, "rows"), i, row) {
    const char *scope = json_string_value(json_object_get(row, "scope"));
    const char *name = json_string_value(json_object_get(row, "name"));
    const char *ind = json_string_value(json_object_get(row, "indicator"));
    /* A row of one of the part's entities (all, or ob's subtree). */
    int mine = row_of(pix, scope, name, "appeals") != NULL &&
               (ob < 0 || strcmp(scope, "committee") == 0 ||
                (strcmp(scope, "oblast") == 0 && strcmp(name, TOBL[ob]) == 0));
    if (mine && row_of(pix, scope, name, ind) == NULL &&
        json_integer_value(json_object_get(row, "value")) != 0)
      fail_msg("%s: %s %s %s is only in the whole report", what, scope, name,
               ind);
  }
  json_decref(wix);
  json_decref(pix);
  return n;
}

/*
 * The national report (d's records, no filter) at threshold nb, against,
 * for each oblast O of d: the regional hub's report (O's records only, no
 * filter) and the national hub's `--oblast O`. Asserts:
 *  - every committee and oblast cell of O shows the same (value, "<N",
 *    "x") in the national report and in the regional one;
 *  - `--oblast O` shows every cell as the regional report does (its
 *    region and total too);
 *  - the attacker, over the national report and every `--oblast O` report
 *    together (each with its own sums, and each cell of O's committees
 *    and of O equal to the national one), pins no hidden cell.
 */
static void union_report(const data_t *d, int nb) {
  static cells_t u;
  ayil_report_t *nat = build(d, NULL, -1);
  json_t *nt = render_json(nat, 0), *ns = render_json(nat, nb);
  int used[9] = {0}, o, rep = 0, k;
  size_t e, e2, i;
  char what[64];

  for (k = 0; k < d->ncom; k++)
    used[d->com_oblast[k]] = 1;
  load_cells(&u, nt, ns, d->com_oblast);
  for (o = 0; o < 9; o++) {
    ayil_report_t *reg, *fil;
    json_t *rs, *ft, *fs;
    size_t e0 = u.ne;
    if (!used[o])
      continue;
    reg = build(d, NULL, o);
    fil = build(d, TOBL[o], -1);
    rs = render_json(reg, nb);
    ft = render_json(fil, 0);
    fs = render_json(fil, nb);
    snprintf(what, sizeof(what), "national vs %s's hub", TOBL[o]);
    assert_true(same_rows(ns, rs, o, what) > 0);
    snprintf(what, sizeof(what), "%s's hub vs --oblast %s", TOBL[o], TOBL[o]);
    assert_true(same_rows(rs, fs, -1, what) > 0);
    add_cells(&u, ++rep, ft, fs, d->com_oblast);
    for (e = e0; e < u.ne; e++) {
      if (strcmp(u.scope[e], "committee") != 0 &&
          strcmp(u.scope[e], "oblast") != 0)
        continue;
      for (e2 = 0; e2 < u.ne && u.rep[e2] == 0; e2++)
        if (u.scope[e2] == u.scope[e] && strcmp(u.name[e2], u.name[e]) == 0)
          break;
      assert_true(u.rep[e2] == 0);
      for (i = 0; i < u.ni; i++) {
        assert_true(u.nlink < N(u.link));
        u.link[u.nlink][0] = (int)e2;
        u.link[u.nlink][1] = (int)i;
        u.link[u.nlink][2] = (int)e;
        u.link[u.nlink++][3] = (int)i;
      }
    }
    json_decref(rs);
    json_decref(ft);
    json_decref(fs);
    ayil_report_free(reg);
    ayil_report_free(fil);
  }
  attack(&u, nb);
  json_decref(nt);
  json_decref(ns);
  ayil_report_free(nat);
}

/* Random data over oblasts of both regions, several committees each. */
static void test_suppress_across_hierarchy(void **state) {
  static const int nbs[] = {3, 4, 5, 10};
  static const int pick[] = {1, 6, 7, 2, 5, 8, 0};
  static data_t d;
  unsigned seed;

  (void)state;
  for (seed = 1; seed <= 60; seed++) {
    gen_data(&d, 1000 + seed, pick, 3 + (int)(seed % 5));
    union_report(&d, nbs[seed % 4]);
  }
}

/*
 * One small oblast beside a large one in its region. Chui has one
 * committee with 3 appeals, talas one with 40, osh one with 20. Alone,
 * chui's 3 is "<5" and talas' 40 is shown: so the regional hubs print
 * them. Suppressing the national table on its own, north (43) shown with
 * chui hidden would hide talas as well (its smallest other oblast); but
 * talas' hub prints 40, and 43 - 40 gives chui away. Talas must stay as
 * its hub shows it, and north and the total be hidden instead.
 */
static void test_suppress_regional_vs_national(void **state) {
  static data_t d;
  const char *ap = "{\"kind\":\"appeal\",\"month\":\"2026-02\",\"violence\":"
                   "[\"physical\"],\"survivor_sex\":\"female\","
                   "\"survivor_age\":\"26-40\"}";
  static const int obl[] = {1, 6, 5}, nap[] = {3, 40, 20};
  ayil_report_t *r;
  json_t *doc;
  int i, k;

  (void)state;
  memset(&d, 0, sizeof(d));
  d.ncom = 3;
  for (i = 0; i < 3; i++) {
    d.com_oblast[i] = obl[i];
    for (k = 0; k < nap[i]; k++) {
      snprintf(d.hdr[d.nrec], sizeof(d.hdr[0]), "%s", ap);
      d.hc[d.nrec++] = i;
    }
  }
  r = build(&d, NULL, -1);
  doc = render_json(r, 5);
  assert_string_equal(display(doc, "committee", "C0", "appeals"), "<5");
  assert_string_equal(display(doc, "oblast", "chui", "appeals"), "<5");
  assert_int_equal(val(doc, "committee", "C1", "appeals"), 40);
  assert_int_equal(val(doc, "oblast", "talas", "appeals"), 40);
  assert_string_equal(display(doc, "region", "north", "appeals"), "x");
  assert_int_equal(val(doc, "region", "south", "appeals"), 20);
  assert_string_equal(display(doc, "total", "total", "appeals"), "x");
  json_decref(doc);
  ayil_report_free(r);
  union_report(&d, 5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_suppress_simple),
      cmocka_unit_test(test_suppress_attack),
      cmocka_unit_test(test_suppress_small_chain),
      cmocka_unit_test(test_suppress_across_hierarchy),
      cmocka_unit_test(test_suppress_regional_vs_national),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}

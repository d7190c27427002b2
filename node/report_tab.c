/*
 * The report's table of cells (report_int.h): committees, oblasts,
 * regions and the total as rows, indicators as columns, and the small-cell
 * suppression that no published sum can undo. Split from report.c (which
 * counts) along its seam.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ayil/header.h"
#include "ayil/schema.h"
#include "record.h"
#include "report_int.h"

/* ---- the table of cells ---- */

void ayil__report_tab_free(tab_t *t) {
  free(t->v);
  free(t->f);
  free(t->scope);
  free(t->name);
  free(t->oblast);
  free(t->region);
  free(t->crow);
  free(t->cidx);
  free(t->days);
  free(t->ord);
  free(t->nosync);
  free(t->g);
  free(t->parts);
}

/* qsort has no context argument; a report is written by one thread. */
static const ayil_report_t *sort_r;

static int com_cmp(const void *a, const void *b) {
  const committee_t *x = &sort_r->com[*(const size_t *)a];
  const committee_t *y = &sort_r->com[*(const size_t *)b];

  if (x->oblast != y->oblast)
    return x->oblast < y->oblast ? -1 : 1;
  return strcmp(x->name, y->name);
}

static int slot_cmp(const void *a, const void *b) {
  int64_t x = sort_r->days_vals[*(const size_t *)a];
  int64_t y = sort_r->days_vals[*(const size_t *)b];

  return x < y ? -1 : x > y;
}

static int64_t *cell(tab_t *t, size_t e, size_t i) {
  return &t->v[e * t->ni + i];
}

static int group_begin(tab_t *t, size_t total, int count) {
  if (t->ng == t->capg) {
    size_t cap = t->capg ? t->capg * 2 : 256;
    group_t *ng = realloc(t->g, cap * sizeof(*ng));
    if (ng == NULL)
      return AYIL_ENOMEM;
    t->g = ng;
    t->capg = cap;
  }
  t->g[t->ng].total = (uint32_t)total;
  t->g[t->ng].off = (uint32_t)t->nparts;
  t->g[t->ng].n = 0;
  t->g[t->ng].count = count;
  t->ng++;
  return 0;
}

static int group_part(tab_t *t, size_t cellidx) {
  if (t->nparts == t->capparts) {
    size_t cap = t->capparts ? t->capparts * 2 : 1024;
    uint32_t *np = realloc(t->parts, cap * sizeof(*np));
    if (np == NULL)
      return AYIL_ENOMEM;
    t->parts = np;
    t->capparts = cap;
  }
  t->parts[t->nparts++] = (uint32_t)cellidx;
  t->g[t->ng - 1].n++;
  return 0;
}

/* A group of parts within one entity: total = sum of columns first..+n. */
static int group_within(tab_t *t, size_t e, size_t total, size_t first,
                        size_t n) {
  size_t i;
  int rc = group_begin(t, e * t->ni + total, 1);

  for (i = 0; rc == 0 && i < n; i++)
    rc = group_part(t, e * t->ni + first + i);
  return rc;
}

/* The groups of row x within entity e, if it sums to another row (see
 * sums_to in include/ayil/indicators.h). */
static int row_groups(tab_t *t, size_t e, const ind_t *x) {
  const ind_t *y = NULL;
  size_t base = e * t->ni, j;
  int c, rc;

  if (x->sums_to < 0)
    return 0;
  if (x->by == BY_COUNT)
    return t->ni > t->nfix ? group_within(t, e, (size_t)x->sums_to, t->nfix,
                                          t->ni - t->nfix)
                           : 0;
  if (x->by != BY_NONE)
    return group_within(t, e, (size_t)x->sums_to, (size_t)x->col,
                        (size_t)x->ncol);
  /* Some codes of a field that a row with the same total is expanded by:
   * x is the sum of their columns, and the total is x plus the others. */
  for (j = 0; j < t->nind && y == NULL; j++)
    if (t->ind[j].by == BY_CODE && t->ind[j].byx == x->where &&
        t->ind[j].sums_to == x->sums_to &&
        strcmp(t->ind[j].def->kind, x->def->kind) == 0)
      y = &t->ind[j];
  assert(y != NULL); /* tests/unit/test_indicators.c */
  if (y == NULL)
    return 0;
  rc = group_begin(t, base + (size_t)x->col, 1);
  for (c = 0; rc == 0 && c < y->ncol; c++)
    if ((x->codes >> c) & 1)
      rc = group_part(t, base + (size_t)(y->col + c));
  /* Implied by the two sums, but without it total - x - the shown others
   * would give away a lone hidden other code. */
  if (rc == 0)
    rc = group_begin(t, base + (size_t)x->sums_to, 1);
  for (c = 0; rc == 0 && c < y->ncol; c++)
    if (!((x->codes >> c) & 1))
      rc = group_part(t, base + (size_t)(y->col + c));
  if (rc == 0)
    rc = group_part(t, base + (size_t)x->col);
  return rc;
}

/*
 * The summing groups: each is a cell that the report shows to be the sum of
 * other shown cells. Within an entity, those of the rows of the indicator
 * table that sum to another (row_groups()): appeals = appeals.sex.* =
 * appeals.age.*, referrals = referrals.<service> =
 * referrals.crisis_or_shelter + the other services, training.participants
 * = training.participants.days_*. Across scopes, for every indicator: an
 * oblast = its committees, a region = its oblasts, the total = the
 * regions; amounts (hidden_with) are not counts.
 */
static int build_groups(tab_t *t) {
  size_t e, i, k, o, rg;
  int rc = 0;

  for (e = 0; rc == 0 && e < t->ne; e++)
    for (i = 0; rc == 0 && i < t->nind; i++)
      rc = row_groups(t, e, &t->ind[i]);
  for (i = 0; rc == 0 && i < t->ni; i++) {
    int count = t->ind[t->crow[i]].hidden_with < 0;

    for (o = 0; rc == 0 && o < t->nob; o++) {
      size_t oe = t->ob0 + o;
      int first = 1;
      for (k = t->com0; rc == 0 && k < t->ob0; k++) {
        if (t->oblast[k] != t->oblast[oe])
          continue;
        if (first)
          rc = group_begin(t, oe * t->ni + i, count);
        first = 0;
        if (rc == 0)
          rc = group_part(t, k * t->ni + i);
      }
    }
    for (rg = 0; rc == 0 && rg < t->nreg; rg++) {
      size_t re = t->reg0 + rg;
      rc = group_begin(t, re * t->ni + i, count);
      for (k = t->ob0; rc == 0 && k < t->reg0; k++)
        if (t->region[k] == t->region[re])
          rc = group_part(t, k * t->ni + i);
    }
    if (rc == 0 && t->tot < t->ne)
      rc = group_begin(t, t->tot * t->ni + i, count);
    for (k = t->reg0; rc == 0 && t->tot < t->ne && k < t->tot; k++)
      rc = group_part(t, k * t->ni + i);
  }
  return rc;
}

/* Suppresses the smallest non-zero shown part of g (the first on a tie),
 * or else its total; never a cell locked (lock, if not NULL: see
 * suppress()). Returns 1 if it suppressed a cell. */
static int suppress_one_more(tab_t *t, const unsigned char *lock,
                             const group_t *g) {
  uint32_t j, best = UINT32_MAX;
  int64_t bv = 0;

  for (j = 0; j < g->n; j++) {
    uint32_t p = t->parts[g->off + j];
    if (t->f[p] == F_SHOW && t->v[p] > 0 && (lock == NULL || !lock[p]) &&
        (best == UINT32_MAX || t->v[p] < bv)) {
      best = p;
      bv = t->v[p];
    }
  }
  if (best == UINT32_MAX && t->f[g->total] == F_SHOW && t->v[g->total] > 0 &&
      (lock == NULL || !lock[g->total]))
    best = g->total;
  if (best == UINT32_MAX)
    return 0;
  t->f[best] = F_X;
  return 1;
}

/* Checks one group; returns 1 if it had to suppress another cell. */
static int fix_group(tab_t *t, const unsigned char *lock, const group_t *g,
                     int64_t nb) {
  uint32_t j;
  int64_t kp = 0, kc = 0, shown = 0, rest, omin, omax, lo, hi;

  for (j = 0; j < g->n; j++) {
    uint32_t p = t->parts[g->off + j];
    if (t->f[p] == F_LT)
      kp++;
    else if (t->f[p] == F_X)
      kc++;
    else
      shown += t->v[p];
  }
  if (t->f[g->total] != F_SHOW) {
    /* The total is hidden: it must not be the sum of shown parts. */
    if (kp + kc == 0 && t->v[g->total] > 0)
      return suppress_one_more(t, lock, g);
    return 0;
  }
  if (kp + kc == 0)
    return 0;
  if (kp + kc == 1)
    return suppress_one_more(t, lock, g);
  if (!g->count || kp == 0)
    return 0;
  /* A reader knows rest = the sum of the hidden parts, that a "<N" part is
   * in 1..N-1 and that an "x" part is >= 1 (hidden cells are never 0).
   * Work out the range one "<N" part can take; if it is one value, hide
   * more. */
  rest = t->v[g->total] - shown;
  omin = (kp - 1) + kc;
  omax = kc > 0 ? INT64_MAX : (kp - 1) * (nb - 1);
  lo = omax == INT64_MAX ? 1 : rest - omax;
  if (lo < 1)
    lo = 1;
  hi = rest - omin;
  if (hi > nb - 1)
    hi = nb - 1;
  if (lo < hi)
    return 0;
  return suppress_one_more(t, lock, g);
}

#define BIG (INT64_MAX / 4) /* "no upper bound" in bounds() */

static int64_t b_add(int64_t a, int64_t b) {
  return a >= BIG || b >= BIG ? BIG : a + b > BIG ? BIG : a + b;
}

/*
 * The reader's bounds. Every cell a reader cannot see starts with what the
 * page says about it: "<N" is 1..N-1; "x" is at least 1 (zeros are never
 * hidden, and an "x" may be a small count, see suppress()); shown cells
 * are exact. Then
 * every summing group narrows its cells (a total lies between the sums of
 * its parts' bounds, a part between the total's bounds minus the others'),
 * again and again until nothing moves (or `rounds` passes: the bounds are
 * then still true, only maybe not the narrowest). This is what an attacker
 * does by hand across several tables at once.
 */
static void bounds(const tab_t *t, int nb, int64_t *lo, int64_t *hi,
                   int rounds) {
  size_t c, k, j, n = t->ne * t->ni;
  int moved = 1;

  for (c = 0; c < n; c++) {
    if (t->f[c] == F_SHOW)
      lo[c] = hi[c] = t->v[c];
    else if (t->f[c] == F_LT) {
      lo[c] = 1;
      hi[c] = nb - 1;
    } else {
      lo[c] = 1;
      hi[c] = BIG;
    }
  }
  while (moved && rounds-- > 0) {
    moved = 0;
    for (k = 0; k < t->ng; k++) {
      const group_t *g = &t->g[k];
      int64_t slo = 0, shi = 0, x;
      size_t nbig = 0, tc = g->total;

      for (j = 0; j < g->n; j++) {
        uint32_t p = t->parts[g->off + j];
        slo = b_add(slo, lo[p]);
        if (hi[p] >= BIG)
          nbig++;
        else
          shi = b_add(shi, hi[p]);
      }
      if (t->f[tc] != F_SHOW) {
        if (slo > lo[tc]) {
          lo[tc] = slo;
          moved = 1;
        }
        if (nbig == 0 && shi < hi[tc]) {
          hi[tc] = shi;
          moved = 1;
        }
      }
      for (j = 0; j < g->n; j++) {
        uint32_t p = t->parts[g->off + j];
        int64_t olo, ohi_known;
        if (t->f[p] == F_SHOW)
          continue;
        olo = slo >= BIG ? BIG : slo - lo[p];
        /* part <= hi(total) - lo(others) */
        if (hi[tc] < BIG && olo < BIG) {
          x = hi[tc] - olo;
          if (x < hi[p]) {
            hi[p] = x;
            moved = 1;
          }
        }
        /* part >= lo(total) - hi(others), when the others are bounded */
        if (nbig == 0 || (nbig == 1 && hi[p] >= BIG)) {
          ohi_known = hi[p] >= BIG ? shi : shi - hi[p];
          x = lo[tc] - ohi_known;
          if (x > lo[p]) {
            lo[p] = x;
            moved = 1;
          }
        }
      }
    }
  }
}

/* Hides one more cell of some group that holds cell c. */
static int widen(tab_t *t, const unsigned char *lock, const uint32_t *goff,
                 const uint32_t *gof, size_t c) {
  uint32_t j;

  for (j = goff[c]; j < goff[c + 1]; j++)
    if (suppress_one_more(t, lock, &t->g[gof[j]]))
      return 1;
  return 0;
}

/*
 * Shows as "x" small counts whose "<nb" lets a reader pin a hidden cell.
 * any = 0: only a pinned "<nb" cell whose upper bound is its own nb-1 (so
 * its "<nb" may be what pins it) and that is not a part of a group whose
 * total is such a cell too: the top of a chain (oblast "<3" over two
 * committees "<3"), so that one change frees the cells below it. any = 1
 * (the last resort): every "<nb" cell that is pinned or shares a group with
 * a pinned cell. Returns the number of cells changed.
 */
static size_t relax(tab_t *t, const unsigned char *lock, int nb,
                    const int64_t *lo, const int64_t *hi, const uint32_t *goff,
                    const uint32_t *gof, int any) {
  size_t c, n = t->ne * t->ni, changed = 0;
  uint32_t j, k;

#define FREE_LT(x) (t->f[x] == F_LT && (lock == NULL || !lock[x]))
  for (c = 0; c < n; c++) {
    int top = 1;
    if (t->f[c] == F_SHOW || lo[c] < hi[c])
      continue;
    if (any) {
      if (FREE_LT(c))
        t->f[c] = F_MARK;
      for (j = goff[c]; j < goff[c + 1]; j++) {
        const group_t *g = &t->g[gof[j]];
        if (FREE_LT(g->total))
          t->f[g->total] = F_MARK;
        for (k = 0; k < g->n; k++)
          if (FREE_LT(t->parts[g->off + k]))
            t->f[t->parts[g->off + k]] = F_MARK;
      }
      continue;
    }
    if (!FREE_LT(c) || hi[c] != nb - 1)
      continue;
    for (j = goff[c]; top && j < goff[c + 1]; j++) {
      uint32_t tc = t->g[gof[j]].total;
      if (tc != c && (t->f[tc] == F_LT || t->f[tc] == F_MARK) &&
          lo[tc] >= hi[tc] && hi[tc] == nb - 1)
        top = 0;
    }
    if (top)
      t->f[c] = F_MARK;
  }
#undef FREE_LT
  /* Marked first, changed after: a cell's test reads its totals' flags. */
  for (c = 0; c < n; c++)
    if (t->f[c] == F_MARK) {
      t->f[c] = F_X;
      changed++;
    }
  return changed;
}

/* The groups of each cell (as total or part), for widen() and relax():
 * those of cell c are gof[goff[c]..goff[c + 1]). */
static int cell_groups(const tab_t *t, uint32_t **goffp, uint32_t **gofp) {
  size_t k, i, c, n = t->ne * t->ni;
  uint32_t *goff = calloc(n + 1, sizeof(*goff));
  uint32_t *gof = malloc((t->nparts + t->ng + 1) * sizeof(*gof));
  uint32_t *fill = calloc(n + 1, sizeof(*fill));

  if (goff == NULL || gof == NULL || fill == NULL) {
    free(fill);
    free(gof);
    free(goff);
    return AYIL_ENOMEM;
  }
  for (k = 0; k < t->ng; k++) {
    goff[t->g[k].total + 1]++;
    for (i = 0; i < t->g[k].n; i++)
      goff[t->parts[t->g[k].off + i] + 1]++;
  }
  for (c = 0; c < n; c++)
    goff[c + 1] += goff[c];
  for (k = 0; k < t->ng; k++) {
    c = t->g[k].total;
    gof[goff[c] + fill[c]++] = (uint32_t)k;
    for (i = 0; i < t->g[k].n; i++) {
      c = t->parts[t->g[k].off + i];
      gof[goff[c] + fill[c]++] = (uint32_t)k;
    }
  }
  free(fill);
  *goffp = goff;
  *gofp = gof;
  return 0;
}

/* Rule 4b of suppress(): a region or the total whose sum over the level
 * below has one non-zero part, shown "x", is that part's copy and is "x"
 * too, never "<nb". The groups are in build_groups() order: a column's
 * regions come before its total. */
static void copy_x(tab_t *t, const unsigned char *lock) {
  size_t k, j;

  for (k = 0; k < t->ng; k++) {
    const group_t *g = &t->g[k];
    size_t te = g->total / t->ni;
    uint32_t nz = 0, last = 0;
    if ((lock != NULL && lock[g->total]) || t->f[g->total] != F_LT ||
        (t->scope[te] != SC_REGION && t->scope[te] != SC_TOTAL) || g->n == 0 ||
        t->parts[g->off] / t->ni == te)
      continue;
    for (j = 0; j < g->n; j++)
      if (t->v[t->parts[g->off + j]] != 0) {
        nz++;
        last = t->parts[g->off + j];
      }
    if (nz == 1 && t->f[last] == F_X)
      t->f[g->total] = F_X;
  }
}

/* Rule 4c of suppress(): locks, shown, every unlocked cell a reader can
 * work out from the locked cells that are shown (and the zeros), whatever
 * else is hidden: a group with one cell not known makes it known, again
 * and again. known: n bytes of scratch. Each round that moves knows one
 * more cell, so there are at most n + 1 rounds. */
static void lock_exposed(const tab_t *t, unsigned char *lock,
                         unsigned char *known) {
  size_t c, k, j, n = t->ne * t->ni;
  int moved = 1;

  for (c = 0; c < n; c++)
    known[c] = lock[c] ? t->f[c] == F_SHOW : t->v[c] == 0;
  while (moved) {
    moved = 0;
    for (k = 0; k < t->ng; k++) {
      const group_t *g = &t->g[k];
      size_t unk = !known[g->total];
      uint32_t u = g->total;
      for (j = 0; j < g->n && unk < 2; j++) {
        uint32_t p = t->parts[g->off + j];
        if (!known[p]) {
          unk++;
          u = p;
        }
      }
      if (unk == 1 && !lock[u]) {
        known[u] = 1;
        moved = 1;
      }
    }
  }
  for (c = 0; c < n; c++)
    if (!lock[c] && known[c] && t->f[c] == F_SHOW)
      lock[c] = 1;
}

/* Rule 4d of suppress(), the last resort of the upper pass: every unlocked
 * non-zero cell not yet "x" is shown "x". Returns how many changed. */
static size_t hide_rest(tab_t *t, const unsigned char *lock) {
  size_t c, n = t->ne * t->ni, changed = 0;

  for (c = 0; c < n; c++)
    if (!lock[c] && t->v[c] > 0 && t->f[c] != F_X) {
      t->f[c] = F_X;
      changed++;
    }
  return changed;
}

/* Steps 1 to 3 of suppress() over t's groups. With lock NULL, over every
 * cell (the pass of one oblast); else only over the cells not locked (the
 * pass above oblast level, rule 4: lock gets the exposed cells too). */
static int suppress_pass(tab_t *t, int nb, unsigned char *lock) {
  size_t e, i, c, k, n = t->ne * t->ni;
  int changed, rc = AYIL_ENOMEM;
  int64_t *lo = NULL, *hi = NULL;
  uint32_t *goff = NULL, *gof = NULL;

  for (e = 0; e < t->ne; e++)
    for (i = 0; i < t->ni; i++) {
      int64_t v = t->v[e * t->ni + i];
      if (lock != NULL && lock[e * t->ni + i])
        continue;
      if (t->ind[t->crow[i]].hidden_with < 0 && v >= 1 && v < nb)
        t->f[e * t->ni + i] = F_LT;
    }
  /* An amount is hidden where its count is small. */
  for (e = 0; e < t->ne; e++)
    for (i = 0; i < t->ni; i++) {
      int hw = t->ind[t->crow[i]].hidden_with;
      if (lock != NULL && lock[e * t->ni + i])
        continue;
      if (hw >= 0 && t->f[e * t->ni + (size_t)hw] == F_LT &&
          t->v[e * t->ni + i] > 0)
        t->f[e * t->ni + i] = F_X;
    }
  lo = malloc(n * sizeof(*lo));
  hi = malloc(n * sizeof(*hi));
  if (lo == NULL || hi == NULL || cell_groups(t, &goff, &gof) != 0)
    goto done;
  if (lock != NULL) {
    copy_x(t, lock);
    lock_exposed(t, lock, (unsigned char *)lo); /* lo as n bytes of scratch */
  }
  for (;;) {
    int widened = 0, pinned = 0;
    do {
      changed = 0;
      for (k = 0; k < t->ng; k++)
        changed |= fix_group(t, lock, &t->g[k], nb);
    } while (changed);
    bounds(t, nb, lo, hi, 1000);
    if (relax(t, lock, nb, lo, hi, goff, gof, 0) > 0)
      continue;
    for (c = 0; c < n; c++)
      if (t->f[c] != F_SHOW && lo[c] >= hi[c]) {
        pinned = 1;
        widened |= widen(t, lock, goff, gof, c);
      }
    if (widened || relax(t, lock, nb, lo, hi, goff, gof, 1) > 0)
      continue;
    if (!pinned || lock == NULL || hide_rest(t, lock) == 0)
      break;
  }
  rc = 0;

done:
  free(gof);
  free(goff);
  free(hi);
  free(lo);
  return rc;
}

/*
 * Step 4a of suppress(): the table of the oblast of entity oe alone, as a
 * report of that oblast's records holds it: its committees, the oblast, its
 * region and the total (both the oblast again), and the columns of t (those
 * a report of the oblast alone does not have are zeros, which change
 * nothing), suppressed by steps 1 to 3 and rule 4b. Its committees' and
 * oblast's flags are copied into t; with single (t's committees are all of
 * this oblast, so its region and total are the oblast again) its region's
 * and total's too.
 */
static int suppress_oblast(tab_t *t, size_t oe, int nb, int single) {
  tab_t s;
  size_t k0, nc = 0, e, ni = t->ni;
  int rc = AYIL_ENOMEM;

  for (k0 = t->com0; k0 < t->ob0 && t->oblast[k0] != t->oblast[oe]; k0++)
    ;
  while (k0 + nc < t->ob0 && t->oblast[k0 + nc] == t->oblast[oe])
    nc++;
  if (nc == 0)
    return 0; /* zeros */
  memset(&s, 0, sizeof(s));
  s.ne = nc + 3;
  s.ni = ni;
  s.com0 = 0;
  s.ob0 = nc;
  s.reg0 = nc + 1;
  s.tot = nc + 2;
  s.nob = 1;
  s.nreg = 1;
  s.ind = t->ind;
  s.nind = t->nind;
  s.nfix = t->nfix;
  s.crow = t->crow; /* t's: not freed with s */
  s.v = malloc(s.ne * ni * sizeof(*s.v));
  s.f = calloc(s.ne * ni, 1);
  s.scope = malloc(s.ne * sizeof(*s.scope));
  s.oblast = malloc(s.ne * sizeof(*s.oblast));
  s.region = malloc(s.ne * sizeof(*s.region));
  if (s.v == NULL || s.f == NULL || s.scope == NULL || s.oblast == NULL ||
      s.region == NULL)
    goto done;
  memcpy(s.v, t->v + k0 * ni, nc * ni * sizeof(*s.v));
  for (e = nc; e < s.ne; e++)
    memcpy(s.v + e * ni, t->v + oe * ni, ni * sizeof(*s.v));
  for (e = 0; e < s.ne; e++) {
    size_t from = e < nc ? k0 + e : oe;
    s.scope[e] = e <= nc ? t->scope[from] : e == s.reg0 ? SC_REGION : SC_TOTAL;
    s.oblast[e] = e <= nc ? t->oblast[from] : -1;
    s.region[e] = e < s.tot ? t->region[from] : -1;
  }
  rc = build_groups(&s);
  if (rc == 0)
    rc = suppress_pass(&s, nb, NULL);
  if (rc != 0)
    goto done;
  copy_x(&s, NULL);
  memcpy(t->f + k0 * ni, s.f, nc * ni);
  memcpy(t->f + oe * ni, s.f + nc * ni, ni);
  if (single) {
    for (e = t->reg0; e < t->tot; e++)
      if (t->region[e] == t->region[oe])
        memcpy(t->f + e * ni, s.f + s.reg0 * ni, ni);
    memcpy(t->f + t->tot * ni, s.f + s.tot * ni, ni);
  }

done:
  s.crow = NULL;
  ayil__report_tab_free(&s);
  return rc;
}

/*
 * Small-cell suppression with threshold nb (suppress_below).
 *
 * What a reader sees: a number (exact), "<nb" (a count in 1..nb-1) or "x"
 * (hidden, and not 0: zeros are never hidden; nothing more is said, an "x"
 * may be a small count or a large one). The rule below makes sure that from
 * the shown numbers, those ranges, and every sum the report shows
 * (build_groups()), no hidden cell can be narrowed to one value.
 *
 * 1. Primary: every count in 1..nb-1 is hidden and shown as "<nb".
 *    aid.money.som is a sum of money, not a count: it is hidden (as "x")
 *    where aid.money.people is in 1..nb-1, since it would tell what those
 *    few people got.
 * 2. Complementary, per group: a reader knows total - sum(shown parts) =
 *    sum(hidden parts). So:
 *    - a shown total may not have exactly one hidden part: hide one more
 *      part, the smallest non-zero shown one, or if there is none the total;
 *    - a hidden total may not have all its parts shown: hide the smallest
 *      non-zero part;
 *    - with two or more hidden parts in a group of counts, a "<nb" part
 *      must still have at least two possible values given 1 <= "<nb" <=
 *      nb-1 and "x" >= 1; otherwise hide one more as above.
 *    Every newly hidden cell is "x" and is itself a part or a total of
 *    other groups, so the checks run over all groups again until nothing
 *    changes.
 * 3. Audit of all groups together: bounds() narrows every hidden cell's
 *    range over all groups to a fixpoint, as a reader combining tables by
 *    hand would (a committee's age groups bounded by its oblast's, bounded
 *    by the region's...). For the hidden cells left with one value:
 *    a. First, a "<nb" on that path may itself be the cause, which no
 *       further hiding can cure since every cell there may already be
 *       hidden: a total "<nb" (at most nb-1) over k >= nb-1 parts "<nb"
 *       (each at least 1) is exactly k and each part exactly 1 (at nb = 3:
 *       an oblast "<3" over two committees "<3" says both are 1). The
 *       topmost such "<nb" cell of each pinned chain is shown as "x"
 *       instead (relax()): its upper bound goes, and the sums no longer
 *       pin it or its parts.
 *    b. Else hide one more cell in one of its groups (widen()), as in 2.
 *    c. Else (a last resort, not met in the tests) show as "x" every "<nb"
 *       cell that is pinned or shares a group with a pinned cell.
 *    Then 2 and 3 run again, until no hidden cell is pinned.
 * Each round hides one more cell or turns a "<nb" into "x" and never the
 * other way, so it ends. When c finds nothing left to change, no "<nb"
 * and no shown non-zero cell is in a group of a pinned cell; at the
 * fixpoint of bounds() a pinned cell's upper bound comes through pinned
 * cells from such a cell (nothing else is bounded above), so then no cell
 * is pinned.
 * 4. Across the hierarchy. A number published in two reports must be shown
 *    alike in both, or a reader holding both can pin a hidden cell. The
 *    regional hub (its committees are those of one oblast) shows oblast O
 *    and O's committees; the national hub shows them too, inside sums over
 *    other oblasts. Had the national table been suppressed in one go, its
 *    complementary choices for O would differ from those of O's hub (north
 *    shown with chui "<5" would hide talas, the smallest other oblast; but
 *    talas' hub shows talas, and north - talas = chui). So steps 1 to 3
 *    run per oblast first, and above it after:
 *    a. The cells of each oblast O, its committees' and its own, are those
 *       of the table of O alone (suppress_oblast()): O's committees, O,
 *       O's region and the total (these two O again), as a report of O's
 *       records alone holds them, suppressed by 1 to 3. They depend on O's
 *       records only: a report's other rows and extra training days
 *       columns there are zeros, and zeros are never hidden, never chosen
 *       and add nothing to a sum or a bound. So O's hub, `--oblast O` on any
 *       hub that holds O's committees, and the national report show every
 *       cell of O's committees and of O alike. A report whose committees
 *       are all of one oblast (a regional hub, `--oblast`, a committee) is
 *       that table, the rest zeros: its cells are this table's, as they were
 *       before this step existed.
 *    b. A region or the total whose sum over the level below has one
 *       non-zero part, shown "x", is that part's copy and is shown "x" too,
 *       not "<nb" (copy_x()). With it, every copy of O's numbers (its
 *       region and total in its own report, a region or total in another
 *       report with only O non-zero below) says no more than O's cell:
 *       shown where O is shown, "<nb" or "x" where O is "<nb", "x" where O
 *       is "x".
 *    c. Then, with the cells of the committees and the oblasts locked, the
 *       cells above them by 1 to 3 over every group of the table, never
 *       hiding, showing or changing a locked cell: the choices of 2 and 3b
 *       fall on regions and the total only (a region shown over exactly one
 *       hidden oblast is hidden itself, and then the total or another
 *       region), and 3a and 3c turn only their "<nb" into "x". First, each
 *       cell above that a reader can work out from the shown locked cells
 *       and zeros whatever else is hidden (south when all its oblasts are
 *       shown, lock_exposed()) is locked as shown: hiding it would protect
 *       nothing, and it would be pinned.
 *    d. If a hidden cell is still pinned and 3 finds nothing left to
 *       change (a last resort, not met in the tests), every cell above the
 *       oblasts that is not locked and not 0 is shown "x" (hide_rest()).
 *       They then say nothing beyond the sums of the oblasts' bounds, and
 *       each oblast's table passed 3 on its own.
 *    What a reader of every report together holds is then the national
 *    table (3 audits it with all its groups), plus per oblast O's cells
 *    again, shown alike, and copies of them that say no more (b): no more
 *    than the national table. tests/unit/test_report_suppress.c attacks
 *    the national report and every oblast's together.
 *    The cost: a column where one oblast of a region is hidden hides that
 *    region, and the total unless the other region is hidden too. A
 *    national table suppressed in one go hid a second oblast instead.
 *
 * What this guarantees: within the bounds a reader can draw from the page
 * by propagating sums (the way such tables are attacked by hand), every
 * hidden cell keeps at least two possible values, and no hidden cell is a
 * linear function of the shown cells over one group. It does not solve the
 * linear system exactly (an LP, as tau-ARGUS does);
 * tests/e2e/lib/report_check.py audits the output both ways (bounds, and
 * exact elimination over fractions; `audit-set` the national report and
 * its oblasts' together), and tests/unit/test_report_suppress.c with an
 * attacker of its own.
 */
static int suppress(tab_t *t, int nb) {
  size_t e, n = t->ne * t->ni;
  unsigned char *lock;
  int rc = 0, single;

  memset(t->f, F_SHOW, n);
  if (nb < 2)
    return 0;
  /* Committees are sorted by oblast: all of one if the first and last
   * are. */
  single = t->ob0 == t->com0 || t->oblast[t->com0] == t->oblast[t->ob0 - 1];
  for (e = t->ob0; rc == 0 && e < t->reg0; e++)
    rc = suppress_oblast(t, e, nb, single);
  if (rc != 0 || single)
    return rc;
  lock = calloc(n, 1);
  if (lock == NULL)
    return AYIL_ENOMEM;
  /* Committees and oblasts: the rows before the regions. */
  memset(lock + t->com0 * t->ni, 1, (t->reg0 - t->com0) * t->ni);
  rc = suppress_pass(t, nb, lock);
  free(lock);
  return rc;
}

/* The macro-region of oblast o (RECORDS.md order), as an index of
 * ayil_schema_region_at(); 0 if the schema has none for it. */
static int region_of(size_t o) {
  const char *rn = ayil_oblast_region(ayil_schema_oblast_at(o));
  size_t rg;

  for (rg = 0; rn != NULL && rg < ayil_schema_nregions(); rg++)
    if (strcmp(rn, ayil_schema_region_at(rg)) == 0)
      return (int)rg;
  return 0;
}

/* The end of r's period (report.h, "Not synced for the period"): the
 * first second of the month after `to`, UTC, as unix time; without `to`, 1
 * (a last word of 0 or less is "never"). */
static int64_t period_end(const ayil_report_t *r) {
  int64_t y, m, days;

  if (r->to == INT32_MAX)
    return 1;
  y = (r->to + 1) / 12;
  m = (r->to + 1) % 12 + 1;
  /* Days from 1970-01-01 to y-m-01 (civil calendar, proleptic Gregorian). */
  y -= m <= 2;
  days = 365 * y + y / 4 - y / 100 + y / 400 +
         (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 - 719468;
  return days * 86400;
}

int ayil__report_tab_build(const ayil_report_t *r, tab_t *t, int nb) {
  size_t *corder = NULL, *slots = NULL, *slotpos = NULL;
  size_t e, i, j, k, n, ndays = r->ndays;
  size_t o, rg, nobl = ayil_schema_noblasts(), nreg = ayil_schema_nregions();
  int rc = AYIL_ENOMEM;
  unsigned char *has_ob = calloc(nobl + nreg, 1), *has_reg;

  memset(t, 0, sizeof(*t));
  if (has_ob == NULL)
    return AYIL_ENOMEM;
  has_reg = has_ob + nobl;
  /* Entities: committees, oblasts, regions, the total. */
  for (o = 0; o < nobl; o++)
    if (r->oblast < 0 || (size_t)r->oblast == o) {
      has_ob[o] = 1;
      t->nob++;
      has_reg[region_of(o)] = 1;
    }
  for (rg = 0; rg < nreg; rg++)
    t->nreg += has_reg[rg] != 0;
  t->com0 = 0;
  t->ob0 = r->ncom;
  t->reg0 = t->ob0 + t->nob;
  t->tot = t->reg0 + t->nreg;
  t->ne = t->tot + 1;
  t->own = r->own;
  t->ind = r->ind;
  t->nind = r->nind;
  t->nfix = r->nfix;
  t->ni = r->nfix + ndays;
  n = t->ne * t->ni;
  t->v = calloc(n, sizeof(*t->v));
  t->f = calloc(n, 1);
  t->scope = calloc(t->ne, sizeof(*t->scope));
  t->name = calloc(t->ne, sizeof(*t->name));
  t->oblast = calloc(t->ne, sizeof(*t->oblast));
  t->region = calloc(t->ne, sizeof(*t->region));
  t->days = calloc(ndays + 1, sizeof(*t->days));
  t->ord = calloc(t->ni, sizeof(*t->ord));
  t->crow = calloc(t->ni, sizeof(*t->crow));
  t->cidx = calloc(t->ni, sizeof(*t->cidx));
  t->nosync = calloc(t->ne, 1);
  corder = calloc(r->ncom + 1, sizeof(*corder));
  slots = calloc(ndays + 1, sizeof(*slots));
  slotpos = calloc(ndays + 1, sizeof(*slotpos));
  if (t->v == NULL || t->f == NULL || t->scope == NULL || t->name == NULL ||
      t->oblast == NULL || t->region == NULL || t->days == NULL ||
      t->ord == NULL || t->crow == NULL || t->cidx == NULL ||
      t->nosync == NULL || corder == NULL || slots == NULL || slotpos == NULL)
    goto fail;

  sort_r = r;
  for (k = 0; k < r->ncom; k++)
    corder[k] = k;
  qsort(corder, r->ncom, sizeof(*corder), com_cmp);
  for (k = 0; k < ndays; k++)
    slots[k] = k;
  qsort(slots, ndays, sizeof(*slots), slot_cmp);
  for (k = 0; k < ndays; k++) {
    slotpos[slots[k]] = k;
    t->days[k] = r->days_vals[slots[k]];
  }
  /* Columns in output order, the indicator table's: the fixed columns,
   * and the days ones (after the fixed ones) in their row's place. */
  for (i = 0, k = 0; i < t->nind; i++) {
    const ind_t *x = &t->ind[i];
    size_t first = x->by == BY_COUNT ? t->nfix : (size_t)x->col;
    size_t nc = x->by == BY_COUNT ? ndays : (size_t)x->ncol;
    for (j = 0; j < nc; j++) {
      t->crow[first + j] = (int)i;
      t->cidx[first + j] = (int)j;
      t->ord[k++] = (int)(first + j);
    }
  }

  for (k = 0; k < r->ncom; k++) {
    const committee_t *c = &r->com[corder[k]];
    e = t->com0 + k;
    t->scope[e] = SC_COMMITTEE;
    t->name[e] = c->name;
    t->oblast[e] = c->oblast;
    t->region[e] = region_of((size_t)c->oblast);
    if (c->noted && !c->in_period && c->last_word < period_end(r)) {
      t->nosync[e] = 1;
      t->nnosync++;
    }
    memcpy(cell(t, e, 0), c->c, t->nfix * sizeof(*c->c));
    for (i = 0; i < c->ndays; i++)
      *cell(t, e, t->nfix + slotpos[i]) = c->days[i];
  }
  e = t->ob0;
  for (o = 0; o < nobl; o++)
    if (has_ob[o]) {
      t->scope[e] = SC_OBLAST;
      t->name[e] = ayil_schema_oblast_at(o);
      t->oblast[e] = (int)o;
      t->region[e] = region_of(o);
      e++;
    }
  for (rg = 0; rg < nreg; rg++)
    if (has_reg[rg]) {
      t->scope[e] = SC_REGION;
      t->name[e] = ayil_schema_region_at(rg);
      t->oblast[e] = -1;
      t->region[e] = (int)rg;
      e++;
    }
  t->scope[t->tot] = SC_TOTAL;
  t->name[t->tot] = "total";
  t->oblast[t->tot] = -1;
  t->region[t->tot] = -1;
  /* Sums upwards: committees into oblasts, oblasts into regions, regions
   * into the total. */
  for (e = t->com0; e < t->tot; e++) {
    size_t up = t->tot;
    if (t->scope[e] == SC_COMMITTEE) {
      for (up = t->ob0; up < t->reg0; up++)
        if (t->oblast[up] == t->oblast[e])
          break;
    } else if (t->scope[e] == SC_OBLAST) {
      for (up = t->reg0; up < t->tot; up++)
        if (t->region[up] == t->region[e])
          break;
    }
    assert(up <= t->tot);
    for (i = 0; i < t->ni; i++)
      *cell(t, up, i) = ayil__report_add_sat(*cell(t, up, i), *cell(t, e, i));
  }
  rc = build_groups(t);
  if (rc != 0)
    goto fail;
  rc = suppress(t, nb);
  if (rc != 0)
    goto fail;
  free(corder);
  free(slots);
  free(slotpos);
  free(has_ob);
  return 0;

fail:
  free(has_ob);
  free(slotpos);
  free(slots);
  free(corder);
  ayil__report_tab_free(t);
  return rc;
}

size_t ayil__report_nrows(const ayil_report_t *r) {
  size_t nob = r->oblast >= 0 ? 1 : ayil_schema_noblasts();
  size_t nreg = r->oblast >= 0 ? 1 : ayil_schema_nregions();

  return (r->ncom + nob + nreg + 1) * (r->nfix + r->ndays);
}

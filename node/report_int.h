/*
 * Internals of the report engine, shared by its files and by no one else:
 * report.c counts record headers into a table of cells and suppresses the
 * small ones; report_out.c writes that table as json, csv, text, md or
 * html (labels from the gettext catalogue, node/i18n.h). Not an interface: the
 * layouts below change with the code.
 */
#ifndef AYIL_REPORT_INT_H
#define AYIL_REPORT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "report.h"

/* Lengths of the code lists below (report.c checks them at compile time). */
enum {
  NVIOL = 5,
  NSEX = 2,
  NAGE = 7,
  NSERV = 9,
  NACT = 6,
  NOBL = 9, /* oblasts */
  NREG = 2  /* macro-regions */
};

/* Code lists of RECORDS.md in code-list order (in report.c; the tests
 * check them against include/ayil/schema.h), the oblasts in RECORDS.md
 * order and the macro-regions (north, south). */
extern const char *const ayil__report_violence[];
extern const char *const ayil__report_sexes[];
extern const char *const ayil__report_ages[];
extern const char *const ayil__report_services[];
extern const char *const ayil__report_actions[];
extern const char *const ayil__report_oblasts[];
extern const char *const ayil__report_regions[];
/* Per oblast: its macro-region (0 north, 1 south). */
extern const unsigned char ayil__report_oblast_region[];

/* Indicator numbers: the order of RECORDS.md. The training.participants.
 * days_<n> indicators are not here: their number depends on the data, and
 * they are kept apart (committee_t.days) and placed after I_TRAIN_PART. */
enum {
  I_APPEALS,
  I_VIOL,
  I_SEX = I_VIOL + NVIOL,
  I_AGE = I_SEX + NSEX,
  I_SESSIONS = I_AGE + NAGE,
  I_SESSIONS_VR,
  I_FAM_REG,
  I_FAM_ACTIVE,
  I_REFERRALS,
  I_REF,
  I_REF_CS = I_REF + NSERV,
  I_PO,
  I_MONEY_PEOPLE,
  I_MONEY_SOM,
  I_HOUSING,
  I_INKIND,
  I_PREV_EVENTS,
  I_PREV_PART,
  I_TRAIN_EVENTS,
  I_TRAIN_PART,
  I_FU,
  I_CLOSURES = I_FU + NACT,
  NFIX
};

/* Fields the counting reads (report.c, FX_NAMES), and the kinds it counts
 * (report.c, K_NAMES). */
enum { FX_N = 15 };
enum {
  K_APPEAL,
  K_SESSION,
  K_FAMILY,
  K_REFERRAL,
  K_PO,
  K_AID,
  K_PREV,
  K_TRAIN,
  K_FU,
  K_CLOSURE,
  K_N
};

/* Scopes of an entity (a row of the table). */
enum { SC_COMMITTEE, SC_OBLAST, SC_REGION, SC_TOTAL };

/* ---- the report ---- */

typedef struct committee_s {
  char *name;
  int oblast;
  uint32_t hash;
  int64_t c[NFIX];
  int64_t *days; /* participants per days slot; ndays entries */
  size_t ndays;
  int64_t rolled_back; /* entries cut by revoke --after (not a cell) */
} committee_t;

struct ayil_report_s {
  int from, to;            /* month numbers (year * 12 + month - 1) */
  char from_s[8], to_s[8]; /* "" when unbounded */
  int oblast;              /* filter, or -1 */
  committee_t *com;
  size_t ncom, capcom;
  uint32_t *ht;       /* committee index + 1; 0 is empty */
  size_t htcap;       /* power of two */
  size_t last;        /* index of the committee of the last add */
  int64_t *days_vals; /* days value of each slot, in order of appearance */
  size_t ndays, capdays;
  int fx[FX_N]; /* positions of the fields counted (report.c, fx_init()) */
  const struct ayil_kind_s *kinds[K_N]; /* the kinds counted */
  uint32_t want[16]; /* per schema kind: a bit per field counted */
};

/* ---- the table of cells ---- */

/* Cell flags. F_LT: a count in 1..N-1, shown "<N". F_X: shown "x", which
 * says only "hidden, not 0": a cell suppressed to protect another
 * (complementary), aid.money.som where aid.money.people is small, or a
 * small count whose "<N" would pin a hidden cell (see suppress()). */
enum { F_SHOW = 0, F_LT = 1, F_X = 2, F_MARK = 3 /* relax() only */ };

typedef struct group_s {
  uint32_t total; /* cell index */
  uint32_t off;   /* first part in tab_t.parts */
  uint32_t n;     /* number of parts */
  int count;      /* parts are counts of people or records (not som) */
} group_t;

typedef struct tab_s {
  size_t ne, ni;     /* entities (rows of v) and indicators (columns) */
  int64_t *v;        /* ne * ni */
  unsigned char *f;  /* ne * ni flags */
  int *scope;        /* per entity: SC_* */
  const char **name; /* per entity: committee name or code */
  int *oblast;       /* per entity: oblast (committee, oblast), or -1 */
  int *region;       /* per entity: region (oblast, region), or -1 */
  size_t nob, nreg;  /* emitted oblasts and regions */
  size_t com0, ob0, reg0, tot; /* first entity of each scope */
  int64_t *days;               /* ni - NFIX days values, ascending */
  int *ord;                    /* ni columns in output order */
  group_t *g;
  size_t ng, capg;
  uint32_t *parts;
  size_t nparts, capparts;
} tab_t;

/*
 * Builds the table of report r: every entity (committees sorted by oblast
 * then name, oblasts, regions, the total) by every indicator column, sums
 * upwards, the summing groups, and small-cell suppression at threshold nb
 * (suppress() in report.c). *t is overwritten; on success free it with
 * ayil__report_tab_free(). Returns 0 or AYIL_ENOMEM (then nothing is
 * left to free).
 */
int ayil__report_tab_build(const ayil_report_t *r, tab_t *t, int nb);

/* Frees what ayil__report_tab_build() allocated in *t. */
void ayil__report_tab_free(tab_t *t);

/* Sums saturate: a report never wraps around, whatever the input. */
static inline int64_t ayil__report_add_sat(int64_t a, int64_t b) {
  return a > INT64_MAX - b ? INT64_MAX : a + b;
}

#endif

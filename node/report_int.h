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

#include "ayil/indicators.h"
#include "ayil/schema.h"
#include "report.h"

/*
 * The indicator table (include/ayil/indicators.h), compiled against the
 * schema once per report (report.c, ind_compile()): fields as positions in
 * their kind's field table, codes as bits, and each row's columns. The
 * fixed columns are the rows' in table order; the one row expanded by a
 * COUNT field (training.participants.days_<n>) has none: its columns
 * depend on the data, are kept apart (committee_t.days) and follow the
 * fixed ones (report.c; tab_t.ord puts them in the row's place).
 */
enum { IND_MAX = 32, IND_KIND_MAX = 16, IND_PER_KIND = 8 };
enum { BY_NONE, BY_CODE, BY_CODES, BY_COUNT };

typedef struct ind_s {
  const ayil_indicator_t *def;
  const ayil_field_t *byf; /* the field expanded by, or NULL */
  int op;                  /* AYIL_IND_* */
  int by;                  /* BY_* */
  int col, ncol;           /* its columns (ncol 0: BY_COUNT) */
  int where, until;        /* field positions, or -1 */
  int wtype;               /* type of the `where` field (AYIL_FT_*) */
  uint64_t codes;          /* `where` codes: a bit per code index */
  int sum[2];              /* field positions, or -1 */
  int byx;                 /* position of the field expanded by, or -1 */
  int sums_to;             /* column of the total, or -1 */
  int hidden_with;         /* column of the count it hides with, or -1 */
  int plain;               /* every record of the kind counts 1 */
} ind_t;

/* Scopes of an entity (a row of the table). */
enum { SC_COMMITTEE, SC_OBLAST, SC_REGION, SC_TOTAL };

/* ---- the report ---- */

typedef struct committee_s {
  char *name;
  int oblast;
  uint32_t hash;
  int64_t *c;    /* the fixed columns (ayil_report_t.nfix) */
  int64_t *days; /* participants per days slot; ndays entries */
  size_t ndays;
  int64_t rolled_back; /* entries cut by revoke --after (not a cell) */
  int64_t last_word;   /* ayil_report_note_contact(), if noted */
  int noted;           /* last_word was given */
  int in_period;       /* a record of it in the period was counted */
} committee_t;

struct ayil_report_s {
  int from, to;            /* month numbers (year * 12 + month - 1) */
  char from_s[8], to_s[8]; /* "" when unbounded */
  int oblast;              /* filter, or -1 */
  int own;                 /* a committee's own report: ayil_report_set_own */
  char *own_name;          /* its committee's name */
  committee_t *com;
  size_t ncom, capcom;
  uint32_t *ht;       /* committee index + 1; 0 is empty */
  size_t htcap;       /* power of two */
  size_t last;        /* index of the committee of the last add */
  int64_t *days_vals; /* days value of each slot, in order of appearance */
  size_t ndays, capdays;
  const char *obl[16];      /* the schema's oblasts */
  size_t nobl, last_obl;    /* last_obl: cache of oblast_index() */
  const ayil_kind_t *kind0; /* ayil_schema_kind_at(0) */
  ind_t ind[IND_MAX];       /* the indicator table, compiled */
  size_t nind;
  size_t nfix; /* fixed columns */
  /* The rows again, grouped by schema kind: those of the kind kx are
   * krows[kfirst[kx]] on, nkrow[kx] of them. */
  ind_t krows[IND_MAX];
  unsigned char kfirst[IND_KIND_MAX], nkrow[IND_KIND_MAX];
  uint32_t want[IND_KIND_MAX]; /* per schema kind: a bit per field read */
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
  int own; /* a committee's own report: only committees are written */
  unsigned char *nosync; /* per entity: a committee not synced for the
                            period (report.h) */
  size_t nnosync;        /* how many */
  const ind_t *ind;      /* the report's compiled indicators */
  size_t nind, nfix;
  int *crow;     /* per column: its row in ind */
  int *cidx;     /* per column: its code index or days slot */
  int64_t *days; /* ni - nfix days values, ascending */
  int *ord;      /* ni columns in output order */
  group_t *g;
  size_t ng, capg;
  uint32_t *parts;
  size_t nparts, capparts;
} tab_t;

/*
 * Builds the table of report r: every entity (committees sorted by oblast
 * then name, oblasts, regions, the total) by every indicator column, sums
 * upwards, the summing groups, and small-cell suppression at threshold nb
 * (suppress() in report_tab.c). *t is overwritten; on success free it with
 * ayil__report_tab_free(). Returns 0 or AYIL_ENOMEM (then nothing is
 * left to free).
 */
int ayil__report_tab_build(const ayil_report_t *r, tab_t *t, int nb);

/* Frees what ayil__report_tab_build() allocated in *t. */
void ayil__report_tab_free(tab_t *t);

/* For report_xlsx.c: what report_out.c writes with (l is a language
 * index, 0 en, 1 ru, 2 ky; see report_out.c). */
const char *ayil__report_lang(int l);
void ayil__report_ind_name(const tab_t *t, int i, char *buf, size_t n);
void ayil__report_ind_label(const tab_t *t, int l, int i, char *buf, size_t n);
const char *ayil__report_ent_label(const tab_t *t, int l, size_t e, char *buf,
                                   size_t n, int *trusted);
void ayil__report_cell_text(const tab_t *t, size_t e, size_t i, int l, int raw,
                            int nb, char *buf, size_t n);
void ayil__report_subst(char *buf, size_t n, const char *tmpl, const char *k1,
                        const char *v1, const char *k2, const char *v2);
/* The human formats' order of the entities (the total, regions, oblasts,
 * committees by oblast) into ents (t->ne entries); returns how many. */
size_t ayil__report_human_order(const tab_t *t, size_t *ents);
/* The tables for people (report_human.c). */
enum { FMT_TEXT, FMT_MD, FMT_HTML };
#define LABEL_MAX 256

/* For report_human.c: a code list's gettext context, a report word in
 * language l, a number grouped for language l, and the tables for people
 * (fmt: FMT_TEXT, FMT_MD or FMT_HTML). */
void ayil__report_code_ctx(const ind_t *x, char *buf, size_t n);
const char *ayil__report_rlabel(int l, const char *key);
void ayil__report_fmt_num(char *buf, size_t n, int64_t v, int l);
int ayil__report_write_human(const ayil_report_t *r, const tab_t *t, FILE *out,
                             int fmt, int l, int nb);
/* Writes the xlsx form (report_xlsx.c). */
int ayil__report_write_xlsx(const ayil_report_t *r, const tab_t *t,
                            const char *path, int l, int nb);

/* Writes the dhis2 (adx 0) or adx (adx 1) form (report_export.c). */
int ayil__report_write_export(const ayil_report_t *r, const tab_t *t, FILE *out,
                              int adx, const ayil_report_map_t *m,
                              ayil_report_export_stats_t *st);

/* Sums saturate: a report never wraps around, whatever the input. */
static inline int64_t ayil__report_add_sat(int64_t a, int64_t b) {
  return a > INT64_MAX - b ? INT64_MAX : a + b;
}

#endif

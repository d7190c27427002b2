/*
 * The report indicators of RECORDS.md ("Report indicators") as one table
 * beside the record dictionary (include/ayil/schema.h): what each counts,
 * from which kind and fields, how its cells sum, and its label. The report
 * (node/report*.c) counts, names, groups, suppresses and labels by looping
 * over it; nothing else spells an indicator.
 *
 * A row is one indicator or a family of them expanded over a field:
 *  - by a CODE or CODES field: one indicator per code of the field's list
 *    (from the schema, in code-list order);
 *  - by a COUNT field: one indicator per value of the field that occurs in
 *    the records counted, ascending; so the set of these depends on the
 *    data.
 * The row's name is then RECORDS.md's pattern, and the part in angle
 * brackets is replaced by the code or the value: "appeals.violence.<code>"
 * gives appeals.violence.physical, "training.participants.days_<n>" gives
 * training.participants.days_2.
 * Rows are in output order. Field and code names are RECORDS.md names; a
 * unit test (tests/unit/test_indicators.c) checks every one against the
 * schema.
 */
#ifndef AYIL_INDICATORS_H
#define AYIL_INDICATORS_H

#include <stddef.h>

typedef enum {
  /* Records of the kind in the period (month from..to). */
  AYIL_IND_RECORDS = 1,
  /* The sum of the count fields `sum` over those records. */
  AYIL_IND_SUM,
  /* Records of the kind still on the register at the end of the period:
   * month <= to, and if the date field `until` is present its month is
   * after `to`, else `where` has one of `codes` (families.active; see
   * node/report.h). Without `to`: `until` absent and `where` matches. */
  AYIL_IND_ACTIVE,
} ayil_ind_op_t;

typedef struct ayil_indicator_s {
  /* RECORDS.md's name; an expanded row's has a part in angle brackets. */
  const char *name;
  const char *kind;     /* the record kind counted */
  ayil_ind_op_t op;     /* AYIL_IND_* */
  const char *where;    /* NULL, or a field: only records where it holds */
  const char *codes[2]; /* ... for a CODE(S) field: one of these codes (a
                         * second NULL if one); a BOOL field: true */
  const char *sum[2];   /* AYIL_IND_SUM: the COUNT fields added (NULL: none) */
  const char *by;       /* NULL, or the field the row is expanded by */
  const char *until;    /* AYIL_IND_ACTIVE: the date field of removal */
  /*
   * The indicator whose cell the row's cells sum to in every scope, or
   * NULL. An expanded row: its indicators add up to it (appeals.sex.* =
   * appeals). A row restricted by `where` to some codes of the field that
   * an expanded row with the same total is expanded by: it is the sum of
   * those codes' indicators, and with the others adds up to the total
   * (referrals.crisis_or_shelter). Small-cell suppression keeps every such
   * sum from giving a hidden cell away.
   */
  const char *sums_to;
  /*
   * NULL for a count (of records or of people): a value in 1..N-1 is a
   * small cell. Else the row is an amount (som), never small itself but
   * hidden wherever the count named here is small: it would tell what
   * those few got.
   */
  const char *hidden_with;
  /* gettext key (context "report") of its label: "ind.NAME" for one
   * indicator, a template with {code} or {n} for an expanded row. */
  const char *label;
  /* NULL, or the key (context "report") of an HTML bar chart of it: an
   * expanded row over its codes in the total, one indicator over the
   * oblasts. */
  const char *chart;
} ayil_indicator_t;

/* Number of rows, and the i-th in output order (NULL past the end). */
size_t ayil_indicators_n(void);
const ayil_indicator_t *ayil_indicator_at(size_t i);
/* The row named `name` (a row's own name, "<code>" and all), or NULL. */
const ayil_indicator_t *ayil_indicator(const char *name);

#endif

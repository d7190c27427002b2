/*
 * The report engine: counts record headers into the indicators of
 * RECORDS.md ("Report indicators"; their table: include/ayil/indicators.h)
 * and writes them as JSON, CSV, text, markdown or HTML in English, Russian
 * or Kyrgyz.
 *
 * Use: ayil_report_new(), then ayil_report_add() once per live record (the
 * latest version of each record that is not deleted), then
 * ayil_report_write() once or more, then ayil_report_free().
 *
 * Scopes. Every indicator is given for each committee, each oblast, each
 * macro-region (north, south) and the total. With an oblast filter, only
 * that oblast, its region and the total appear; without one, all nine
 * oblasts and both regions appear, with zeros where nothing was counted.
 * A committee appears once it was added with ayil_report_add_committee()
 * or had a record passed to ayil_report_add() (even one outside the period).
 * A committee is the pair (name, oblast).
 *
 * Rows. Every indicator row is written even when it is 0. Coded indicators
 * are expanded over every code of their code list in code-list order
 * (appeals.violence.<code>, appeals.sex.<code>, appeals.age.<code>,
 * referrals.<service>, followups.<action>). training.participants.days_<n>
 * is written for each n (a training's `days`) that occurs in any training
 * counted in the report, ascending, in every scope, right after
 * training.participants; so the set of rows depends on the data.
 *
 * Periods. A record counts when from <= month <= to. The one exception is
 * families.active: a family record counts there when it was registered by
 * the end of the period (month <= to) and was not removed by then. "Not
 * removed by then" means: status active and removed_month absent or after
 * `to`, or status removed with a removed_month after `to` (it was removed
 * later, so it was still active at the end of the period). Without `to`,
 * families.active is the families whose status is active.
 *
 * Small cells. See ayil_report_write() and the comment above suppress() in
 * report_tab.c for the exact rule.
 */
#ifndef AYIL_REPORT_H
#define AYIL_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "ayil/error.h"

/*
 * Small cells are suppressed below this count unless the caller asks for
 * another threshold: every report may leave the committee (printed, mailed,
 * forwarded to the oblast), and a cell of 1 (one woman of an age group in
 * one village in one month) can name a survivor. Seeing exact small counts
 * takes an explicit --suppress-below 0. RECORDS.md's indicators; DESIGN.md.
 */
#define AYIL_REPORT_SUPPRESS_DEFAULT 5

typedef struct ayil_report_s ayil_report_t;

/*
 * Creates an empty report for the months from_month..to_month, both
 * included (YYYY-MM; NULL means unbounded on that side), restricted to
 * oblast_filter (an oblast code of RECORDS.md; NULL means all). The strings
 * are copied. *out is set only on success; free it with ayil_report_free().
 * Returns 0, AYIL_EINVAL (a malformed month, from after to, or an unknown
 * oblast) or AYIL_ENOMEM.
 */
int ayil_report_new(ayil_report_t **out, const char *from_month,
                    const char *to_month, const char *oblast_filter);

/*
 * Makes a committee appear in the report even if none of its records
 * counts, so a committee that reported nothing shows zeros instead of
 * missing. Idempotent. Committees of another oblast than the filter are
 * ignored. Returns 0, AYIL_EINVAL (empty name or unknown oblast) or
 * AYIL_ENOMEM.
 */
int ayil_report_add_committee(ayil_report_t *r, const char *committee_name,
                              const char *oblast);

/*
 * Makes r a committee's own report (what `ayil report` gives on a
 * committee node): the committee (name, oblast) is added, and every format
 * shows that committee only, headed with its name, instead of the total,
 * regions and oblasts again with zeros for every other place. json gives
 * "committee":NAME after "oblast" and only the committee's rows; csv only
 * its rows; text, md and html a title with its name and one table (html:
 * the charts over codes, of its cells); xlsx one sheet. The cells are
 * those of the committee in a report without this call (suppression
 * alike). With an oblast filter that leaves the committee out, the report
 * shows no committee. Returns as ayil_report_add_committee(); AYIL_EINVAL
 * also when the report already holds another committee.
 */
int ayil_report_set_own(ayil_report_t *r, const char *committee_name,
                        const char *oblast);

/*
 * Not synced for the period. A hub's figures for a committee are zeros
 * both when it had nothing to count and when nothing of the period ever
 * reached the hub. This tells them apart. ayil_report_note_contact() gives
 * the last time the hub heard from the committee (`last_word`, unix
 * seconds; 0 or less for never): the latest of its devices' sync contacts
 * and of the times of the newest entries of their logs (a bundle's entries
 * too; an entry's time is its writer's clock, coarsened to the UTC day).
 * A noted committee is *not synced for the period* when both:
 *  - no record of it with a month in the period was counted (any live
 *    record passed to ayil_report_add*() with from <= month <= to, of any
 *    kind), and
 *  - its last word came before the end of the period: the first second of
 *    the month after `to`, UTC; without `to`, the hub never heard from it.
 * Word after the end means the committee's logs were shipped past the
 * period (a log is shipped in order), so what it had entered for the
 * period by then is here and its zeros are zeros. A committee never noted
 * (a committee's own report) is never marked.
 *
 * A committee so marked is shown so in every format: json adds
 * "not_synced":true to each of its rows; csv fills its column note with
 * the legend's text (in `lang`); text, md and html put " *" after its name
 * in the tables' headers and a legend line under the others; xlsx the same
 * in its sheet (the name in the table's header, the legend in row 5).
 * Without a marked committee, every format is as before.
 * Adds the committee if it is new; AYIL_EINVAL as
 * ayil_report_add_committee().
 */
int ayil_report_note_contact(ayil_report_t *r, const char *committee_name,
                             const char *oblast, int64_t last_word);

/*
 * Notes that `entries` entries of a committee's devices were rolled back at
 * this hub (`ayil revoke ID --after SEQ`). Every human format lists such
 * committees under the legend, and json gives "rolled_back":[{"name":C,
 * "entries":N}] (csv has only the cells). A count of entries, not a cell: it
 * is not suppressed and no indicator changes by it. Adds the committee if
 * it is new. AYIL_EINVAL as ayil_report_add_committee().
 */
int ayil_report_note_rollback(ayil_report_t *r, const char *committee_name,
                              const char *oblast, int64_t entries);

/*
 * Counts one live record of the committee (committee_name, oblast), given
 * its cleartext header. The header is only read; nothing of it is kept
 * (the committee name is copied, once per committee). Records of another
 * oblast than the filter are ignored (return 0). A record of a known kind
 * that no indicator uses (correction) counts nowhere.
 *
 * Returns 0; AYIL_EINVAL when the oblast is unknown, the committee name
 * empty, or the header lacks or mangles a field an indicator needs (kind,
 * month, an unknown code, a negative or non-integer count) -- then nothing
 * of that record is counted, and the caller may skip it and go on; or
 * AYIL_ENOMEM. Does not allocate except for a new committee or a new
 * training length.
 */
int ayil_report_add(ayil_report_t *r, const char *committee_name,
                    const char *oblast, const json_t *header);

/*
 * The same as ayil_report_add() for a header given as its msgpack bytes
 * (as stored in the records view), read in place without building a JSON
 * object: the hub's fast path (a report reads about a million headers).
 * The bytes are untrusted: anything that is not a map of string keys to
 * strings, unsigned integers, booleans or arrays of strings, or that ends
 * early or has bytes after the map, is AYIL_EINVAL and counts nowhere. It
 * does not insist on the canonical form (ayil_record_unpack() does); the
 * counts are those ayil_report_add() gives for the unpacked header.
 */
int ayil_report_add_packed(ayil_report_t *r, const char *committee_name,
                           const char *oblast, const uint8_t *header,
                           size_t len);

/*
 * Writes the report to `out`.
 *
 * format: "json", "csv", "text", "md" or "html" (NULL means "text").
 *  - json: {"from":F,"to":T,"oblast":O,"suppress_below":N,"rows":[{"scope":
 *    "committee"|"oblast"|"region"|"total","name":NAME,"indicator":IND,
 *    "value":V}, ...]} with F, T, O null when unbounded and N 0 when
 *    nothing is suppressed. A suppressed cell
 *    has "value":null,"suppressed":true,"display":D, D being "<N" (a
 *    count in 1..N-1) or "x" (hidden to protect another cell: not 0, and
 *    maybe small or large; see suppress_below). Rows come committee
 *    by committee (sorted by oblast in code-list order, then name by
 *    bytes), then oblasts, regions and the total. Names of oblasts and
 *    regions are their codes; the total's name is "total".
 *  - csv: header "scope,name,indicator,value,suppressed", then the same
 *    rows; a suppressed cell has value D ("<N" or "x", as in json) and
 *    suppressed 1 (else 0), then the labels in `lang`; a BOM first, CRLF
 *    line ends, RFC 4180 quoting: see ayil_report_opts_t.
 *  - text, md, html: tables for people, labels in `lang`, numbers grouped
 *    per language; the total first, then regions, oblasts, and committees
 *    grouped by oblast, wide tables split into column blocks. html is one
 *    self-contained page (inline CSS, inline SVG charts, no script, no
 *    link, no external resource).
 * lang: "en", "ru" or "ky" (NULL means "en"); json ignores it, csv gives
 *   its labels in it.
 * suppress_below: N >= 0. With N >= 2, every count in 1..N-1 is suppressed
 *   and shown as D = "<N". Cells suppressed only so that those cannot be
 *   worked back from totals (complementary suppression) are shown as
 *   D = "x", and so is a count in 1..N-1 whose "<N" would, with the sums
 *   of the report, pin a hidden cell to one value (a total "<3" over two
 *   parts "<3" makes both parts 1). So "x" says only "hidden to protect
 *   another cell, not 0". aid.money.som (not a count of people) is
 *   suppressed, as "x", wherever aid.money.people is in 1..N-1, and takes
 *   part in the complementary rule. Zeros are never suppressed. 0 and 1
 *   suppress nothing. The exact rule is above suppress() in report_tab.c.
 *
 * The report is not changed; it can be written again in another form.
 * Returns 0, AYIL_EINVAL (unknown format or language, N < 0), AYIL_ENOMEM
 * or AYIL_EIO (a write to `out` failed).
 */
int ayil_report_write(ayil_report_t *r, FILE *out, const char *format,
                      const char *lang, int suppress_below);

/*
 * How ayil_report_write_opts() writes: format, lang and suppress_below as
 * for ayil_report_write(), and for csv:
 *  - csv_sep: ',' (0 means ','), ';' or '\t'; anything else is AYIL_EINVAL.
 *  - wide: 0 for the long layout (a row per scope, name and indicator), 1
 *    for the wide one (a row per committee, oblast, region and the total;
 *    a column per indicator).
 * Every csv starts with a UTF-8 byte order mark (so a spreadsheet reads it
 * as UTF-8), has CRLF line ends and RFC 4180 quoting (a cell holding the
 * separator, '"', CR or LF is quoted), and gives labels in `lang` beside the
 * codes:
 *  - long: "scope,name,indicator,value,suppressed,name_label,
 *    indicator_label,note", the first five as before the labels came;
 *    note is empty but for a committee not synced for the period (see
 *    ayil_report_note_contact()).
 *  - wide: a header "scope,name,name_label,note,IND1,IND2..." (the
 *    indicators' names in the order of the long rows), then a row of their
 *    labels (scope, name and note empty, name_label the label
 *    "Indicator"), then a row
 *    per scope in the long layout's order; a cell is the value or its
 *    display ("<N", "x") when suppressed.
 * A text cell (a name, a label) that starts with '=', '+', '-', '@', tab or
 * CR is written with a "'" before it, so that no spreadsheet takes it for a
 * formula: committee names come from operators. *
 * format "xlsx" writes a workbook to `path` (out is not used and may be
 * NULL; the file is written beside it under another name and renamed, so
 * a reader never sees half of one, and an older file of that name is
 * replaced): a sheet per scope, in the order of the human formats (the
 * total, the regions, the oblasts, the committees), named by its label in
 * `lang` (a committee by its name, cut to 31 characters with []:*?/\
 * replaced by '_', and " (2)", " (3)"... after a name already taken).
 * Each sheet: the title, the period, the suppression legend (N >= 2); the
 * scope and name as in json (row 4: A "scope", B its code, C "name", D
 * the name); then a table from row 6: A the indicator's name, B its label,
 * C its value (a number, or the display "<N" or "x" as text in italics
 * when suppressed). Every cell is a string or a number, never a formula.
 * AYIL_EIO when the file cannot be written.
 */
typedef struct ayil_report_map_s ayil_report_map_t;
typedef struct ayil_report_export_stats_s ayil_report_export_stats_t;

typedef struct ayil_report_opts_s {
  const char *format; /* also "xlsx", "dhis2", "adx": see below */
  const char *lang;
  int suppress_below;
  char csv_sep;
  int wide;
  const char *path; /* xlsx: the file to write */
  /* dhis2 and adx: the mapping (needed), and what was left out (may be
   * NULL). See "Export" below. */
  const ayil_report_map_t *map;
  ayil_report_export_stats_t *stats;
} ayil_report_opts_t;

/* ayil_report_write() with the options above. */
int ayil_report_write_opts(ayil_report_t *r, FILE *out,
                           const ayil_report_opts_t *o);

/*
 * Export for the ministry's statistics systems (node/report_export.c).
 *
 * format "dhis2": a DHIS2 dataValueSets document as the Web API imports it
 * (POST /api/dataValueSets): {"dataSet":DS,"period":P,"dataValues":[
 * {"dataElement":DE,"period":P,"orgUnit":OU,"categoryOptionCombo":COC,
 * "attributeOptionCombo":AOC,"value":"V"}, ...]}; dataSet only when the
 * mapping gives one, categoryOptionCombo and attributeOptionCombo only
 * when it gives them. P is a DHIS2 period: YYYYMM (one month), YYYYQn (a
 * calendar quarter), YYYYSn (a half year) or YYYY (a calendar year); any
 * other --from..--to is AYIL_EINVAL (see ayil_report_export_period()).
 * format "adx": IHE ADX XML (namespace urn:ihe:qrph:adx:2015, the schema
 * in deploy/adx.xsd): <adx exported=UTC-TIME> with one <group orgUnit=OU
 * period="YYYY-MM-01/PnM" dataSet=DS [attributeOptionCombo=AOC]> per org
 * unit with a value, holding <dataValue dataElement=DE
 * [categoryOptionCombo=COC] value=V/>. The mapping must give a data set.
 *
 * Cells come in the order of json, the entity (committee, oblast, region,
 * total) mapped to an org unit and the indicator to a data element by the
 * mapping file (ayil_report_map_load()). A cell whose entity or indicator
 * the mapping lacks is left out and counted (stats->unmapped). A
 * suppressed cell ("<N" or "x" in the other forms) is never exported:
 * neither DHIS2 dataValueSets nor ADX has a standard mark for a value
 * withheld for confidentiality (DHIS2's comment and ADX's annotation are
 * free text that an importer would store beside a number, or refuse
 * without one), so the cell is left out and counted (stats->suppressed),
 * never sent as 0 or as a number. When no cell is exported, nothing is
 * written and the call returns AYIL_ENOTFOUND (stats tells why: nothing
 * mapped, or all that is mapped is suppressed).
 */
struct ayil_report_export_stats_s {
  uint64_t exported;   /* cells written */
  uint64_t suppressed; /* mapped cells left out because suppressed */
  uint64_t unmapped;   /* cells whose entity or indicator is not mapped */
};

/*
 * The mapping file, kept by the operator: an INI file (inih), documented
 * with a complete example in deploy/report-mapping.example:
 *   [dataset]       id = DS; attribute_option_combo = AOC (both optional)
 *   [data_elements] INDICATOR = DE [COC]   (an indicator of the report:
 *                   appeals, appeals.violence.physical, ...,
 *                   training.participants.days_<n> for any n)
 *   [org_units]     total = OU; region.REGION = OU; oblast.OBLAST = OU;
 *                   committee.OBLAST.NAME = OU (a committee is its name
 *                   and oblast in the report)
 * Every id is 1..64 of A-Z a-z 0-9 _ - . (DHIS2 uids and codes).
 * Loads `path` into *out (free with ayil_report_map_free()). Returns 0;
 * AYIL_ENOTFOUND, AYIL_EPERM, AYIL_ETOOBIG (over 4 MiB) or AYIL_EIO when
 * it cannot be read; AYIL_EINVAL when it is malformed, with *line the line
 * (1-based; 0 for the whole file) and *why an AYIL_MAP_* below.
 */
enum {
  AYIL_MAP_SYNTAX = 1, /* not [section], KEY = VALUE or a comment */
  AYIL_MAP_LONG,       /* a line over 199 bytes */
  AYIL_MAP_NUL,        /* a NUL byte */
  AYIL_MAP_SECTION,    /* a section other than the three */
  AYIL_MAP_KEY,        /* not an indicator, org unit or dataset key */
  AYIL_MAP_VALUE,      /* not an id (or DE COC for a data element) */
  AYIL_MAP_DUPKEY,     /* a key given twice */
  AYIL_MAP_DUPID,      /* an org unit, or data element and option combo,
                          given to two keys (DHIS2 keeps one value) */
};
int ayil_report_map_load(const char *path, ayil_report_map_t **out, int *line,
                         int *why);
/* 1 if the mapping gives a data set ([dataset] id), else 0. */
int ayil_report_map_has_dataset(const ayil_report_map_t *m);
void ayil_report_map_free(ayil_report_map_t *m);

/*
 * The period of report r in `format` ("dhis2" or "adx") into buf: dhis2
 * YYYYMM, YYYYQn, YYYYSn or YYYY; adx YYYY-MM-01/PnM. AYIL_EINVAL when the
 * report is unbounded on a side, or (dhis2) its months are none of those.
 */
int ayil_report_export_period(const ayil_report_t *r, const char *format,
                              char *buf, size_t n);

/* Frees the report. NULL is a no-op. */
void ayil_report_free(ayil_report_t *r);

/*
 * Writes s to out escaped for HTML text and attribute values: & < > " '
 * as entities, control characters as spaces. The one HTML escaper (the
 * report's html form uses it; so may any other HTML the CLI writes).
 */
void ayil_html_put(FILE *out, const char *s);
/* The entity of a character HTML must escape (& < > " '), or NULL: the one
 * table of ayil_html_put and the web app's pages (web/html.c), which keep
 * newlines (a narrative in a textarea) where a report makes them spaces. */
const char *ayil_html_entity(unsigned char ch);

/* ---- internal, for report*.c and the tests (more in report_int.h) ---- */

/*
 * The report's labels come from the gettext catalogue of the "ayil"
 * domain (node/i18n.h, po/ayil/LANG.po): its own words with the context
 * "report" and a key for msgid ("title", "ind.appeals", "grp.referrals",
 * "region.north"...), codes and oblasts with the record dictionary's
 * contexts ("code.appeal.violence", "oblast"), shared with the web forms.
 *
 * ayil__report_labels is a view of them for the tests: every label the
 * report can ask for, with its text in each language ("" when the
 * catalogue lacks it) and key "CTX|MSGID". ayil__report_labels_check()
 * fills it.
 */
typedef struct ayil__report_label_s {
  const char *key; /* "CTX|MSGID" */
  const char *en;
  const char *ru;
  const char *ky;
  const char *ctx;
  const char *msgid;
} ayil__report_label_t;

extern ayil__report_label_t ayil__report_labels[];
extern size_t ayil__report_nlabels;

/*
 * Fills ayil__report_labels from the catalogues and checks that each
 * label has a translation in en, ru and ky. Returns the number of
 * labels lacking one; if `first` is not NULL it is set to the key of the
 * first (in ayil__report_labels), or NULL.
 */
int ayil__report_labels_check(const char **first);

/* Number of rows a json/csv write of this report would give (for tests). */
size_t ayil__report_nrows(const ayil_report_t *r);

#endif

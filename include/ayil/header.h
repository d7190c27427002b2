/*
 * The canonical record header (PROTOCOL.md, "Headers"), as a typed view.
 *
 * A header is a canonical msgpack map of the class-A fields of one record
 * kind (include/ayil/schema.h) under their header keys, plus `kind` and the
 * month keys of its date fields. ayil_hdr_read() reads the bytes once,
 * with the strict reader of ayil/mp.h, and checks every key and value
 * against the schema: keys sorted bytewise and unique, each key known to
 * the kind, each value of its field's type (a code of its list, codes in
 * code-list order, a bool, a count up to AYIL_COUNT_MAX, a case id, a
 * month). It does not check which fields are required (that is the
 * record's rule, ayil_hdr_rules() and node/record.c). Nothing allocates;
 * string values point into the input.
 */
#ifndef AYIL_HEADER_H
#define AYIL_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "ayil/schema.h"

#define AYIL_HDR_FIELDS_MAX 16 /* fields of one kind, at most */

/*
 * "YYYY-MM" (exactly n = 7 bytes) with a year in AYIL_DATE_MIN_YEAR ..
 * AYIL_DATE_MAX_YEAR and a month 01..12: returns year * 12 + month - 1,
 * or -1. The one month parser of ayil.
 */
int ayil_month_parse(const char *s, size_t n);

/* The value of one field in a header. */
typedef struct {
  int present; /* 1; 0 absent; -1 a wrong value (ayil_hdr_read_lax only) */
  /* CODE: index in the list; CODES: bit per code index; BOOL: 0 or 1;
   * COUNT: the count; DATE: the month number of its month key
   * (ayil_month_parse()). */
  uint64_t u;
  /* CASE: the 32 hex chars; DATE: the 7 chars of the month; CODE: the
   * code. Points into the header bytes. */
  const char *s;
  size_t n;
} ayil_hval_t;

typedef struct {
  const ayil_kind_t *kind;
  int month; /* the `month` key (ayil_month_parse()), or -1: absent */
  /* By field position in kind->fields (only the first kind->nfields are
   * set): class-A fields and the months of date fields; class-I fields
   * other than dates are never present. */
  ayil_hval_t f[AYIL_HDR_FIELDS_MAX];
} ayil_hdr_t;

/*
 * Reads the canonical header buf[0..len) into *h. Returns 0, or
 * AYIL_EFORMAT (not a header of a known kind: unknown key or code, wrong
 * type), AYIL_ENOTCANON (keys out of order or repeated, codes out of
 * order, a non-shortest encoding), AYIL_ETRUNC or AYIL_ETRAILING.
 */
int ayil_hdr_read(const uint8_t *buf, size_t len, ayil_hdr_t *h);

/*
 * The same for a reader that judges only the fields it uses (the report):
 * the map must still be canonical and flat and its kind known, but only
 * the fields in want[i] (a bit per field position, for the i-th kind of
 * ayil_schema_kind_at(); want NULL: every field) are read, any other key
 * is skipped, a list of codes may be in any order
 * with repeats (each code counts once), and a field whose value is not of
 * its type is marked present = -1 instead of refusing the header.
 */
int ayil_hdr_read_lax(const uint8_t *buf, size_t len, const uint32_t *want,
                      ayil_hdr_t *h);

/*
 * Only the `kind` and `month` strings of a header (month NULL when it has
 * none), for a header of any kind or code-list version: the map is read
 * strictly (canonical, flat), its kind and keys are not checked against
 * the schema. The strings point into buf and are not NUL-terminated.
 */
int ayil_hdr_kind_month(const uint8_t *buf, size_t len, const char **kind,
                        size_t *kindn, const char **month, size_t *monthn);

/*
 * ayil_hdr_read() for a header received from a peer or a bundle, that says
 * what is wrong in `why` (NUL-terminated, truncated to cap): the field by
 * its RECORDS.md name and what was expected, never a value, and no key
 * that the schema does not know (it might itself be identifying). The same
 * return codes.
 */
int ayil_hdr_check(const uint8_t *buf, size_t len, char *why, size_t cap);

/* The value of field `name` (RECORDS.md name) in h, or NULL if the kind
 * has no such field or it is absent. */
const ayil_hval_t *ayil_hdr_get(const ayil_hdr_t *h, const char *name);

/*
 * A notice of the hub's log (op AYIL_OP_NOTICE; PROTOCOL.md "Notices"):
 * {"action": "admit"|"revoke"|"replace", "kind": "notice", "node": ID
 * [, "successor_of": ID]} with node ids in their text form. An admit with
 * successor_of confirms that `node` carries on the committee of the device
 * `successor_of` (its predecessor): the committee's lineage.
 */
enum { AYIL_NOTICE_ADMIT = 0, AYIL_NOTICE_REVOKE, AYIL_NOTICE_REPLACE };
typedef struct {
  int action; /* AYIL_NOTICE_* */
  int has_node, has_successor_of;
  uint8_t node[32], successor_of[32];
} ayil_notice_t;

/* Reads a notice header strictly: canonical, only the keys above, a known
 * action. 0, AYIL_EFORMAT, AYIL_ENOTCANON, AYIL_ETRUNC or AYIL_ETRAILING. */
int ayil_hdr_notice(const uint8_t *buf, size_t len, ayil_notice_t *out);

#endif

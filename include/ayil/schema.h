/*
 * The record dictionary of RECORDS.md (code-list version 1) as static
 * tables: record kinds, their fields, each field's class, type, required
 * flag and code list, and the oblasts with their macro-regions.
 *
 * Everything here is read-only static data: nothing allocates, nothing
 * fails except by returning NULL or 0 for a name that does not exist.
 * Tables keep the order of RECORDS.md; code lists keep their order too,
 * and a list field's codes are stored in that order.
 *
 * Header keys. A class-A field goes into the record header under its
 * header key, which is its name with one exception: the `aid` field `kind`
 * (money, housing, in_kind) is stored as `aid_kind`, because the header's
 * `kind` holds the record kind. Input, the body and `ayil schema` use the
 * field names of RECORDS.md; only the header uses `aid_kind`.
 * A date field is class I; its month (YYYY-MM) goes into the header under
 * the field's month_key (`month`, or `removed_month` for `removed_date`).
 */
#ifndef AYIL_SCHEMA_H
#define AYIL_SCHEMA_H

#include <stddef.h>

#define AYIL_CODES_VERSION 1

#define AYIL_COUNT_MAX 1000000000 /* largest value of a count field */
#define AYIL_TEXT_MAX (16 * 1024) /* bytes of a text field */
#define AYIL_CASE_LEN 32          /* a case field: 32 lowercase hex chars */
#define AYIL_DATE_MIN_YEAR 1900
#define AYIL_DATE_MAX_YEAR 2100

typedef enum {
  AYIL_CLASS_A = 1, /* aggregatable: cleartext header */
  AYIL_CLASS_I = 2, /* identifying: sealed body only */
} ayil_class_t;

typedef enum {
  AYIL_FT_DATE = 1, /* "YYYY-MM-DD", a real date; its month goes in header */
  AYIL_FT_CODE,     /* one code of the field's list */
  AYIL_FT_CODES,    /* non-empty list of codes, in code-list order */
  AYIL_FT_BOOL,     /* true / false */
  AYIL_FT_COUNT,    /* integer 0..AYIL_COUNT_MAX */
  AYIL_FT_CASE,     /* a record id: 32 lowercase hex chars */
  AYIL_FT_TEXT,     /* free text, at most AYIL_TEXT_MAX bytes, no NUL */
} ayil_ftype_t;

typedef struct ayil_field_s {
  const char *name;         /* the name in RECORDS.md, input and body */
  const char *hkey;         /* header key for class A; NULL for class I */
  ayil_class_t cls;         /* AYIL_CLASS_A or AYIL_CLASS_I */
  int required;             /* 1 if the field must be present */
  ayil_ftype_t type;        /* AYIL_FT_* */
  const char *const *codes; /* code list for CODE / CODES, else NULL */
  size_t ncodes;
  const char *month_key; /* for a DATE field: header key of its month */
} ayil_field_t;

typedef struct ayil_kind_s {
  const char *name;        /* e.g. "appeal" */
  const char *description; /* one line, for `ayil schema` */
  const ayil_field_t *fields;
  size_t nfields;
} ayil_kind_t;

/* Number of record kinds, and the i-th in RECORDS.md order (NULL past end).
 * The kinds are one array: ayil_schema_kind_at(i) is
 * ayil_schema_kind_at(0) + i. */
size_t ayil_schema_nkinds(void);
const ayil_kind_t *ayil_schema_kind_at(size_t i);
/* The kind named `name`, or NULL. */
const ayil_kind_t *ayil_schema_kind(const char *name);

/* The field of `k` named `name` (RECORDS.md name), or NULL. */
const ayil_field_t *ayil_kind_field(const ayil_kind_t *k, const char *name);
/* The class-A field of `k` stored in the header under `hkey`, or NULL. */
const ayil_field_t *ayil_kind_field_by_hkey(const ayil_kind_t *k,
                                            const char *hkey);
/* The date field of `k` whose month goes under header key `mkey`, or NULL */
const ayil_field_t *ayil_kind_field_by_month_key(const ayil_kind_t *k,
                                                 const char *mkey);

/* Position of `code` in the code list of `f`, or -1 if it is not in it. */
int ayil_field_code_index(const ayil_field_t *f, const char *code);

/* "date", "code", "codes", "bool", "count", "case" or "text". */
const char *ayil_ftype_name(ayil_ftype_t t);
/* "aggregatable" or "identifying". */
const char *ayil_class_name(ayil_class_t c);

/*
 * Cross-field rules of RECORDS.md: a field required only when another
 * field of the same kind has a given code (aid: amount_som when kind is
 * money). Field names are RECORDS.md names.
 */
typedef struct {
  const char *kind;  /* record kind */
  const char *field; /* the field whose value triggers the rule */
  const char *code;  /* ... when it is this code */
  const char *need;  /* the field then required */
} ayil_xrule_t;

size_t ayil_schema_nxrules(void);
const ayil_xrule_t *ayil_schema_xrule_at(size_t i);

/* Oblasts (and the cities bishkek and osh_city), in RECORDS.md order. */
size_t ayil_schema_noblasts(void);
const char *ayil_schema_oblast_at(size_t i);
/* 1 if `name` is an oblast code, else 0 (also for NULL). */
int ayil_oblast_valid(const char *name);
/* "north" or "south" for an oblast code; NULL if it is not one. */
const char *ayil_oblast_region(const char *name);
/* The macro-regions, north then south: the regions of the oblasts. */
size_t ayil_schema_nregions(void);
const char *ayil_schema_region_at(size_t i);

#endif

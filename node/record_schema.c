/*
 * The record dictionary as `ayil schema` shows it (record.h): kinds,
 * fields, codes and the rules the tables alone do not say. Split from
 * record.c along its seam.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "ayil/header.h"

#include "record.h"
#include "record_int.h"

/* ---- the dictionary for `ayil schema` ---- */

/* A rule that the tables alone do not say, for one field, into buf. */
static const char *field_note(const ayil_kind_t *k, const ayil_field_t *f,
                              char *buf, size_t cap) {
  size_t i;

  for (i = 0; i < ayil_schema_nxrules(); i++) {
    const ayil_xrule_t *x = ayil_schema_xrule_at(i);
    if (strcmp(k->name, x->kind) == 0 && strcmp(f->name, x->need) == 0) {
      snprintf(buf, cap, "required when %s is %s", x->field, x->code);
      return buf;
    }
  }
  if (f->hkey != NULL && strcmp(f->hkey, f->name) != 0) {
    snprintf(buf, cap, "stored in the header as %s", f->hkey);
    return buf;
  }
  return NULL;
}

static json_t *field_to_json(const ayil_kind_t *k, const ayil_field_t *f) {
  char note[128];
  json_t *o = json_object(), *codes;
  size_t i;
  int bad = o == NULL;

  bad = bad || json_object_set_new(o, "name", json_string(f->name)) != 0;
  bad = bad || json_object_set_new(o, "class",
                                   json_string(ayil_class_name(f->cls))) != 0;
  bad =
      bad || json_object_set_new(o, "required", json_boolean(f->required)) != 0;
  bad = bad || json_object_set_new(o, "type",
                                   json_string(ayil_ftype_name(f->type))) != 0;
  if (!bad && f->codes != NULL) {
    codes = json_array();
    for (i = 0; codes != NULL && i < f->ncodes; i++)
      if (json_array_append_new(codes, json_string(f->codes[i])) != 0) {
        json_decref(codes);
        codes = NULL;
      }
    bad = json_object_set_new(o, "codes", codes) != 0;
  }
  if (!bad && f->hkey != NULL)
    bad = json_object_set_new(o, "header_key", json_string(f->hkey)) != 0;
  if (!bad && f->month_key != NULL)
    bad = json_object_set_new(o, "month_key", json_string(f->month_key)) != 0;
  if (!bad && field_note(k, f, note, sizeof note) != NULL)
    bad = json_object_set_new(o, "note", json_string(note)) != 0;
  if (bad) {
    json_decref(o);
    return NULL;
  }
  return o;
}

static json_t *kind_to_json(const ayil_kind_t *k) {
  json_t *o = json_object(), *fields = json_array();
  size_t i;
  int bad = o == NULL || fields == NULL;

  for (i = 0; !bad && i < k->nfields; i++)
    bad = json_array_append_new(fields, field_to_json(k, &k->fields[i])) != 0;
  bad = bad || json_object_set_new(o, "name", json_string(k->name)) != 0;
  bad = bad ||
        json_object_set_new(o, "description", json_string(k->description)) != 0;
  if (bad) {
    json_decref(fields);
    json_decref(o);
    return NULL;
  }
  if (json_object_set_new(o, "fields", fields) != 0) {
    json_decref(o);
    return NULL;
  }
  return o;
}

json_t *ayil_schema_to_json(const char *kind_or_null) {
  const ayil_kind_t *only = NULL;
  json_t *root, *kinds, *obl;
  size_t i;
  int bad;

  if (kind_or_null != NULL) {
    only = ayil_schema_kind(kind_or_null);
    if (only == NULL)
      return NULL;
  }
  root = json_object();
  kinds = json_array();
  obl = json_array();
  bad = root == NULL || kinds == NULL || obl == NULL;
  for (i = 0; !bad && i < ayil_schema_nkinds(); i++) {
    const ayil_kind_t *k = ayil_schema_kind_at(i);
    if (only == NULL || only == k)
      bad = json_array_append_new(kinds, kind_to_json(k)) != 0;
  }
  for (i = 0; !bad && i < ayil_schema_noblasts(); i++) {
    const char *o = ayil_schema_oblast_at(i);
    bad =
        json_array_append_new(obl, json_pack("{s:s, s:s}", "name", o, "region",
                                             ayil_oblast_region(o))) != 0;
  }
  if (bad) {
    json_decref(obl);
    json_decref(kinds);
    json_decref(root);
    return NULL;
  }
  if (json_object_set_new(root, "codes_version",
                          json_integer(AYIL_CODES_VERSION)) != 0 ||
      json_object_set_new(root, "kinds", kinds) != 0 ||
      json_object_set_new(root, "oblasts", obl) != 0) {
    json_decref(root);
    return NULL;
  }
  return root;
}

#define PRINT_WIDTH 78
#define CODES_INDENT 6

/* Prints the codes of `f` on their own lines, indented and wrapped. */
static void print_codes(FILE *fp, const ayil_field_t *f) {
  size_t i;
  int col = CODES_INDENT;

  fprintf(fp, "%*s", CODES_INDENT, "");
  for (i = 0; i < f->ncodes; i++) {
    int last = i + 1 == f->ncodes;
    int w = (int)strlen(f->codes[i]) + (last ? 0 : 1);
    if (i > 0 && col + 1 + w > PRINT_WIDTH) {
      fprintf(fp, "\n%*s", CODES_INDENT, "");
      col = CODES_INDENT;
    } else if (i > 0) {
      fputc(' ', fp);
      col++;
    }
    fprintf(fp, "%s%s", f->codes[i], last ? "" : ",");
    col += w;
  }
  fputc('\n', fp);
}

static void print_kind(FILE *fp, const ayil_kind_t *k) {
  size_t i;

  fprintf(fp, "%s: %s\n", k->name, k->description);
  fprintf(fp, "  %-20s  %-12s  %-8s  %s\n", "FIELD", "CLASS", "REQUIRED",
          "TYPE");
  for (i = 0; i < k->nfields; i++) {
    const ayil_field_t *f = &k->fields[i];
    char nbuf[128];
    const char *note = field_note(k, f, nbuf, sizeof nbuf);
    char detail[64] = "";
    if (f->type == AYIL_FT_DATE)
      snprintf(detail, sizeof(detail), "YYYY-MM-DD");
    else if (f->type == AYIL_FT_COUNT)
      snprintf(detail, sizeof(detail), "0..%d", AYIL_COUNT_MAX);
    else if (f->type == AYIL_FT_CASE)
      snprintf(detail, sizeof(detail), "a record id");
    else if (f->type == AYIL_FT_TEXT)
      snprintf(detail, sizeof(detail), "up to %d bytes", AYIL_TEXT_MAX);
    else if (f->type == AYIL_FT_CODES)
      snprintf(detail, sizeof(detail), "one or more of:");
    else if (f->type == AYIL_FT_CODE)
      snprintf(detail, sizeof(detail), "one of:");
    if (detail[0] != '\0')
      fprintf(fp, "  %-20s  %-12s  %-8s  %-5s  %s\n", f->name,
              ayil_class_name(f->cls), f->required ? "yes" : "no",
              ayil_ftype_name(f->type), detail);
    else
      fprintf(fp, "  %-20s  %-12s  %-8s  %s\n", f->name,
              ayil_class_name(f->cls), f->required ? "yes" : "no",
              ayil_ftype_name(f->type));
    if (f->month_key != NULL)
      fprintf(fp, "%*s(its month goes in the header as %s)\n", CODES_INDENT, "",
              f->month_key);
    if (f->codes != NULL)
      print_codes(fp, f);
    if (note != NULL)
      fprintf(fp, "%*s(%s)\n", CODES_INDENT, "", note);
  }
}

int ayil_schema_print(FILE *fp, const char *kind_or_null) {
  const ayil_kind_t *only = NULL;
  size_t i;

  if (kind_or_null != NULL) {
    only = ayil_schema_kind(kind_or_null);
    if (only == NULL)
      return AYIL_EINVAL;
    print_kind(fp, only);
    return 0;
  }
  fprintf(fp,
          "Record kinds (code-list version %d). Aggregatable fields go "
          "in the header\nthe hub reads; identifying fields only in the "
          "sealed body.\n",
          AYIL_CODES_VERSION);
  for (i = 0; i < ayil_schema_nkinds(); i++) {
    fputc('\n', fp);
    print_kind(fp, ayil_schema_kind_at(i));
  }
  fputs("\nOblasts (macro-region):\n", fp);
  for (i = 0; i < ayil_schema_noblasts(); i++) {
    const char *o = ayil_schema_oblast_at(i);
    fprintf(fp, "  %-12s %s\n", o, ayil_oblast_region(o));
  }
  return 0;
}

/*
 * The report for the ministry's statistics systems (report.h, "Export"):
 * DHIS2 dataValueSets JSON and IHE ADX XML, the report's cells (suppression
 * done, report_int.h) mapped to data elements and org units by the mapping
 * file that the operator keeps (an INI file read with inih, as ayil.conf;
 * deploy/report-mapping.example).
 *
 * Suppressed cells are left out, never written as a number: DHIS2's
 * dataValueSets have no mark for a value withheld for confidentiality (a
 * "comment" is free text stored beside a value) and neither has ADX (its
 * <annotation> is free text too), so a cell shown "<N" or "x" elsewhere is
 * absent here, and counted.
 *
 * Every string written is an id of the mapping (checked: A-Z a-z 0-9 _ - .)
 * or made here (periods, the time), so nothing needs escaping in JSON or
 * XML, and no name of a committee ever reaches the output.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ini.h>

#include "fsutil.h"
#include "report_int.h"

#define MAP_FILE_MAX (4u << 20)
#define ID_MAX 64
#define KEY_MAX 256

typedef struct map_ent_s {
  char *key;
  char id[ID_MAX + 1];  /* data element or org unit */
  char coc[ID_MAX + 1]; /* category option combo, or "" */
} map_ent_t;

typedef struct map_tab_s {
  map_ent_t *e;
  size_t n, cap;
} map_tab_t;

struct ayil_report_map_s {
  char dataset[ID_MAX + 1];
  char aoc[ID_MAX + 1];
  map_tab_t de, ou;
};

/* ---- the mapping file ---- */

/* An id of DHIS2 (a uid or a code) as the mapping may give one. */
static int valid_id(const char *s, size_t len) {
  size_t i;

  if (len == 0 || len > ID_MAX)
    return 0;
  for (i = 0; i < len; i++)
    if (!isalnum((unsigned char)s[i]) && strchr("_-.", s[i]) == NULL)
      return 0;
  return 1;
}

/* Whether `name` is an indicator the report can give: a row's own name,
 * or an expanded row's with the part in angle brackets a code of its
 * field, or (a COUNT field) a number of 1..9 digits. */
static int valid_indicator(const char *name) {
  size_t i, c, nl = strlen(name);

  for (i = 0; i < ayil_indicators_n(); i++) {
    const ayil_indicator_t *d = ayil_indicator_at(i);
    const char *lt = strchr(d->name, '<'), *gt;
    size_t pre, suf;
    const ayil_field_t *f;

    if (lt == NULL) {
      if (strcmp(d->name, name) == 0)
        return 1;
      continue;
    }
    gt = strchr(lt, '>');
    pre = (size_t)(lt - d->name);
    suf = gt != NULL ? strlen(gt + 1) : 0;
    if (gt == NULL || nl <= pre + suf || strncmp(name, d->name, pre) != 0 ||
        strcmp(name + nl - suf, gt + 1) != 0)
      continue;
    f = d->by != NULL ? ayil_kind_field(ayil_schema_kind(d->kind), d->by)
                      : NULL;
    if (f == NULL)
      continue;
    if (f->ncodes == 0) { /* a COUNT field: its values */
      size_t len = nl - pre - suf, k;
      int digits = len >= 1 && len <= 9;
      for (k = 0; digits && k < len; k++)
        digits = isdigit((unsigned char)name[pre + k]) != 0;
      if (digits)
        return 1;
      continue;
    }
    for (c = 0; c < f->ncodes; c++)
      if (strlen(f->codes[c]) == nl - pre - suf &&
          strncmp(name + pre, f->codes[c], nl - pre - suf) == 0)
        return 1;
  }
  return 0;
}

/* Whether `key` names an org unit of a report: total, region.R,
 * oblast.O or committee.O.NAME. */
static int valid_org_key(const char *key) {
  size_t i;
  const char *dot;
  char obl[64];

  if (strcmp(key, "total") == 0)
    return 1;
  if (strncmp(key, "region.", 7) == 0) {
    for (i = 0; i < ayil_schema_nregions(); i++)
      if (strcmp(key + 7, ayil_schema_region_at(i)) == 0)
        return 1;
    return 0;
  }
  if (strncmp(key, "oblast.", 7) == 0)
    return ayil_oblast_valid(key + 7);
  if (strncmp(key, "committee.", 10) != 0)
    return 0;
  dot = strchr(key + 10, '.');
  if (dot == NULL || dot[1] == '\0' || (size_t)(dot - key - 10) >= sizeof(obl))
    return 0;
  snprintf(obl, sizeof(obl), "%.*s", (int)(dot - key - 10), key + 10);
  return ayil_oblast_valid(obl);
}

typedef struct load_s {
  ayil_report_map_t *m;
  const char *text; /* the file, read by reader() a line at a time */
  size_t off, len;
  int line; /* the line reader() last gave */
  int err;  /* the first error's line (0: none) */
  int why;  /* its AYIL_MAP_* */
  int nomem;
} load_t;

static void load_fail(load_t *l, int why) {
  if (l->err == 0) {
    l->err = l->line;
    l->why = why;
  }
}

/* inih's reader: the next line of the text, counted, so that every error
 * names its line. A line that does not fit inih's buffer ends the parse:
 * inih would read its rest as another line. */
static char *reader(char *str, int num, void *stream) {
  load_t *l = stream;
  size_t n = 0;

  if (l->off >= l->len || l->err != 0)
    return NULL;
  l->line++;
  while (l->off < l->len && n + 1 < (size_t)num) {
    char ch = l->text[l->off++];
    str[n++] = ch;
    if (ch == '\n')
      break;
  }
  str[n] = '\0';
  /* A line of num - 1 bytes fits: its newline is dropped (inih strips the
   * line's end anyway). */
  if (str[n - 1] != '\n' && l->off < l->len && l->text[l->off] == '\n')
    l->off++;
  else if (str[n - 1] != '\n' && l->off < l->len) {
    load_fail(l, AYIL_MAP_LONG);
    return NULL;
  }
  return str;
}

static int tab_add(load_t *l, map_tab_t *t, const char *key, const char *id,
                   size_t idlen, const char *coc, size_t coclen) {
  size_t i;
  map_ent_t *e;

  for (i = 0; i < t->n; i++) {
    if (strcmp(t->e[i].key, key) == 0) {
      load_fail(l, AYIL_MAP_DUPKEY);
      return 0;
    }
    if (strlen(t->e[i].id) == idlen && strncmp(t->e[i].id, id, idlen) == 0 &&
        strlen(t->e[i].coc) == coclen &&
        strncmp(t->e[i].coc, coc, coclen) == 0) {
      load_fail(l, AYIL_MAP_DUPID);
      return 0;
    }
  }
  if (t->n == t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 64;
    map_ent_t *ne = realloc(t->e, cap * sizeof(*ne));
    if (ne == NULL) {
      l->nomem = 1;
      return 0;
    }
    t->e = ne;
    t->cap = cap;
  }
  e = &t->e[t->n];
  e->key = strdup(key);
  if (e->key == NULL) {
    l->nomem = 1;
    return 0;
  }
  snprintf(e->id, sizeof(e->id), "%.*s", (int)idlen, id);
  snprintf(e->coc, sizeof(e->coc), "%.*s", (int)coclen, coc);
  t->n++;
  return 1;
}

static int on_kv(void *user, const char *section, const char *name,
                 const char *value) {
  load_t *l = user;
  ayil_report_map_t *m = l->m;
  const char *v2 = NULL;
  size_t len1 = strcspn(value, " \t"), len2 = 0;

  if (l->err != 0 || l->nomem)
    return 0;
  if (value[len1] != '\0') {
    v2 = value + len1 + strspn(value + len1, " \t");
    len2 = strcspn(v2, " \t");
    if (v2[len2] != '\0')
      len2 = 0; /* a third word */
  }
  if (strcmp(section, "dataset") == 0) {
    char *dst = strcmp(name, "id") == 0                       ? m->dataset
                : strcmp(name, "attribute_option_combo") == 0 ? m->aoc
                                                              : NULL;
    if (dst == NULL) {
      load_fail(l, AYIL_MAP_KEY);
      return 0;
    }
    if (dst[0] != '\0') {
      load_fail(l, AYIL_MAP_DUPKEY);
      return 0;
    }
    if (v2 != NULL || !valid_id(value, len1)) {
      load_fail(l, AYIL_MAP_VALUE);
      return 0;
    }
    snprintf(dst, ID_MAX + 1, "%s", value);
    return 1;
  }
  if (strcmp(section, "data_elements") == 0) {
    if (strlen(name) >= KEY_MAX || !valid_indicator(name)) {
      load_fail(l, AYIL_MAP_KEY);
      return 0;
    }
    if (!valid_id(value, len1) || (v2 != NULL && !valid_id(v2, len2))) {
      load_fail(l, AYIL_MAP_VALUE);
      return 0;
    }
    return tab_add(l, &m->de, name, value, len1, v2 != NULL ? v2 : "", len2);
  }
  if (strcmp(section, "org_units") == 0) {
    if (strlen(name) >= KEY_MAX || !valid_org_key(name)) {
      load_fail(l, AYIL_MAP_KEY);
      return 0;
    }
    if (v2 != NULL || !valid_id(value, len1)) {
      load_fail(l, AYIL_MAP_VALUE);
      return 0;
    }
    return tab_add(l, &m->ou, name, value, len1, "", 0);
  }
  load_fail(l, AYIL_MAP_SECTION);
  return 0;
}

void ayil_report_map_free(ayil_report_map_t *m) {
  size_t i;

  if (m == NULL)
    return;
  for (i = 0; i < m->de.n; i++)
    free(m->de.e[i].key);
  for (i = 0; i < m->ou.n; i++)
    free(m->ou.e[i].key);
  free(m->de.e);
  free(m->ou.e);
  free(m);
}

int ayil_report_map_load(const char *path, ayil_report_map_t **out, int *line,
                         int *why) {
  uint8_t *text = NULL;
  size_t len = 0;
  load_t l;
  int rc, ini;

  *out = NULL;
  *line = 0;
  *why = 0;
  rc = ayil_fs_read(path, MAP_FILE_MAX, &text, &len);
  if (rc != 0)
    return rc;
  memset(&l, 0, sizeof(l));
  l.text = (const char *)text;
  l.len = len;
  if (strlen(l.text) != len) {
    size_t i;
    for (i = 0; text[i] != 0; i++)
      l.line += text[i] == '\n';
    free(text);
    *line = l.line + 1;
    *why = AYIL_MAP_NUL;
    return AYIL_EINVAL;
  }
  l.m = calloc(1, sizeof(*l.m));
  if (l.m == NULL) {
    free(text);
    return AYIL_ENOMEM;
  }
  ini = ini_parse_stream(reader, &l, on_kv, &l);
  free(text);
  if (l.nomem || ini == -2) {
    ayil_report_map_free(l.m);
    return AYIL_ENOMEM;
  }
  /* inih's own complaint (a line that is no [section], KEY = VALUE or
   * comment) may come before the handler's. */
  if (ini > 0 && (l.err == 0 || ini < l.err)) {
    l.err = ini;
    l.why = AYIL_MAP_SYNTAX;
  }
  if (l.err != 0) {
    ayil_report_map_free(l.m);
    *line = l.err;
    *why = l.why;
    return AYIL_EINVAL;
  }
  *out = l.m;
  return 0;
}

int ayil_report_map_has_dataset(const ayil_report_map_t *m) {
  return m != NULL && m->dataset[0] != '\0';
}

static const map_ent_t *map_find(const map_tab_t *t, const char *key) {
  size_t i;

  for (i = 0; i < t->n; i++)
    if (strcmp(t->e[i].key, key) == 0)
      return &t->e[i];
  return NULL;
}

/* ---- periods ---- */

int ayil_report_export_period(const ayil_report_t *r, const char *format,
                              char *buf, size_t n) {
  int y, m0, months;

  if (r == NULL || format == NULL || r->from_s[0] == '\0' ||
      r->to_s[0] == '\0' || r->to < r->from)
    return AYIL_EINVAL;
  y = r->from / 12;
  m0 = r->from % 12; /* 0 = January */
  months = r->to - r->from + 1;
  if (strcmp(format, "adx") == 0) {
    snprintf(buf, n, "%04d-%02d-01/P%dM", y, m0 + 1, months);
    return 0;
  }
  if (strcmp(format, "dhis2") != 0)
    return AYIL_EINVAL;
  if (months == 1)
    snprintf(buf, n, "%04d%02d", y, m0 + 1);
  else if (months == 3 && m0 % 3 == 0)
    snprintf(buf, n, "%04dQ%d", y, m0 / 3 + 1);
  else if (months == 6 && m0 % 6 == 0)
    snprintf(buf, n, "%04dS%d", y, m0 / 6 + 1);
  else if (months == 12 && m0 == 0)
    snprintf(buf, n, "%04d", y);
  else
    return AYIL_EINVAL;
  return 0;
}

/* ---- writing ---- */

/* The mapping key of entity e: total, region.R, oblast.O or
 * committee.O.NAME. */
static void ent_key(const tab_t *t, size_t e, char *buf, size_t n) {
  switch (t->scope[e]) {
  case SC_COMMITTEE:
    snprintf(buf, n, "committee.%s.%s",
             ayil_schema_oblast_at((size_t)t->oblast[e]), t->name[e]);
    break;
  case SC_OBLAST:
    snprintf(buf, n, "oblast.%s", t->name[e]);
    break;
  case SC_REGION:
    snprintf(buf, n, "region.%s", t->name[e]);
    break;
  default:
    snprintf(buf, n, "total");
  }
}

int ayil__report_write_export(const ayil_report_t *r, const tab_t *t, FILE *out,
                              int adx, const ayil_report_map_t *m,
                              ayil_report_export_stats_t *st) {
  ayil_report_export_stats_t s = {0, 0, 0};
  size_t ne = t->own ? t->ob0 : t->ne, e, k;
  const map_ent_t **ou = NULL, **de = NULL;
  char key[KEY_MAX + 128], period[32], when[32];
  const char *fmt = adx ? "adx" : "dhis2";
  int first = 1, rc = 0;
  time_t now = time(NULL);
  struct tm tm;

  if (st != NULL)
    memset(st, 0, sizeof(*st));
  if (ayil_report_export_period(r, fmt, period, sizeof(period)) != 0 ||
      (adx && m->dataset[0] == '\0'))
    return AYIL_EINVAL;
  ou = calloc(ne > 0 ? ne : 1, sizeof(*ou));
  de = calloc(t->ni > 0 ? t->ni : 1, sizeof(*de));
  if (ou == NULL || de == NULL) {
    rc = AYIL_ENOMEM;
    goto done;
  }
  for (e = 0; e < ne; e++) {
    ent_key(t, e, key, sizeof(key));
    ou[e] = map_find(&m->ou, key);
  }
  for (k = 0; k < t->ni; k++) {
    ayil__report_ind_name(t, (int)k, key, sizeof(key));
    de[k] = map_find(&m->de, key);
  }
  /* Count first: nothing is written unless a cell is. */
  for (e = 0; e < ne; e++)
    for (k = 0; k < t->ni; k++) {
      if (ou[e] == NULL || de[k] == NULL)
        s.unmapped++;
      else if (t->f[e * t->ni + k] != F_SHOW)
        s.suppressed++;
      else
        s.exported++;
    }
  if (st != NULL)
    *st = s;
  if (s.exported == 0) {
    rc = AYIL_ENOTFOUND;
    goto done;
  }
  if (adx) {
    gmtime_r(&now, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(out,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<adx xmlns=\"urn:ihe:qrph:adx:2015\" exported=\"%s\">\n",
            when);
  } else {
    fputs("{", out);
    if (m->dataset[0] != '\0')
      fprintf(out, "\"dataSet\":\"%s\",", m->dataset);
    fprintf(out, "\"period\":\"%s\",\"dataValues\":[", period);
  }
  for (e = 0; e < ne; e++) {
    int opened = 0;
    if (ou[e] == NULL)
      continue;
    for (k = 0; k < t->ni; k++) {
      int i = t->ord[k];
      const map_ent_t *d = de[i];
      if (d == NULL || t->f[e * t->ni + (size_t)i] != F_SHOW)
        continue;
      if (adx) {
        if (!opened) {
          fprintf(out, "  <group orgUnit=\"%s\" period=\"%s\" dataSet=\"%s\"",
                  ou[e]->id, period, m->dataset);
          if (m->aoc[0] != '\0')
            fprintf(out, " attributeOptionCombo=\"%s\"", m->aoc);
          fputs(">\n", out);
          opened = 1;
        }
        fprintf(out, "    <dataValue dataElement=\"%s\"", d->id);
        if (d->coc[0] != '\0')
          fprintf(out, " categoryOptionCombo=\"%s\"", d->coc);
        fprintf(out, " value=\"%lld\"/>\n",
                (long long)t->v[e * t->ni + (size_t)i]);
        continue;
      }
      fprintf(out,
              "%s{\"dataElement\":\"%s\",\"period\":\"%s\","
              "\"orgUnit\":\"%s\"",
              first ? "\n" : ",\n", d->id, period, ou[e]->id);
      first = 0;
      if (d->coc[0] != '\0')
        fprintf(out, ",\"categoryOptionCombo\":\"%s\"", d->coc);
      if (m->aoc[0] != '\0')
        fprintf(out, ",\"attributeOptionCombo\":\"%s\"", m->aoc);
      fprintf(out, ",\"value\":\"%lld\"}",
              (long long)t->v[e * t->ni + (size_t)i]);
    }
    if (adx && opened)
      fputs("  </group>\n", out);
  }
  fputs(adx ? "</adx>\n" : "\n]}\n", out);
done:
  free(ou);
  free(de);
  return rc;
}

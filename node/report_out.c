/*
 * The report's output forms (see ayil_report_write() in report.h): json and
 * csv rows here, tables for people in text, markdown and html in
 * report_human.c, the workbook in report_xlsx.c, the DHIS2 and ADX
 * exports in report_export.c; numbers grouped per
 * language, names and labels from the gettext
 * catalogue of the "ayil" domain (po/ayil/LANG.po, node/i18n.h): the
 * report's own words with the context "report" and keys for msgids, the
 * codes and oblasts with the record dictionary's contexts, shared with the
 * web forms (code.KIND.FIELD, oblast).
 * The table of cells, suppression done, comes from report.c through
 * report_int.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "report_int.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const SCOPES[] = {"committee", "oblast", "region", "total"};

/* ---- names and labels ---- */

/* The name pattern pat (an indicator table row's) with its part in angle
 * brackets, if any, replaced by s, into buf. */
static void expand_name(const char *pat, const char *s, char *buf, size_t n) {
  const char *lt = strchr(pat, '<'), *gt = lt != NULL ? strchr(lt, '>') : NULL;

  if (gt == NULL)
    snprintf(buf, n, "%s", pat);
  else
    snprintf(buf, n, "%.*s%s%s", (int)(lt - pat), pat, s, gt + 1);
}

/* The code or days value of column i, as text (NULL for a column not
 * expanded), into num (at least 32 bytes) for a days value. */
static const char *col_part(const tab_t *t, int i, char *num, size_t n) {
  const ind_t *x = &t->ind[t->crow[i]];

  if (x->by == BY_COUNT) {
    snprintf(num, n, "%lld", (long long)t->days[t->cidx[i]]);
    return num;
  }
  return x->by != BY_NONE ? x->byf->codes[t->cidx[i]] : NULL;
}

/* The indicator name of column i into buf (at least 64 bytes). */
static void ind_name(const tab_t *t, int i, char *buf, size_t n) {
  char num[32];

  expand_name(t->ind[t->crow[i]].def->name, col_part(t, i, num, sizeof(num)),
              buf, n);
}

/* The context of the labels of the codes row x is expanded by: that of
 * the record dictionary, code.KIND.FIELD (node/i18n.h). */
static void code_ctx(const ind_t *x, char *buf, size_t n) {
  snprintf(buf, n, "code.%s.%s", x->def->kind, x->byf->name);
}

enum { L_EN, L_RU, L_KY };

static int lang_index(const char *lang) {
  if (lang == NULL || strcmp(lang, "en") == 0)
    return L_EN;
  if (strcmp(lang, "ru") == 0)
    return L_RU;
  if (strcmp(lang, "ky") == 0)
    return L_KY;
  return -1;
}

/* The catalogue's languages by L_*. */
static const char *const LN[] = {"en", "ru", "ky"};

/*
 * Labels come from the catalogue; a missing one shows its key (the tests,
 * test_i18n and scripts/i18n-check.sh, make sure none is missing). A key
 * that is a literal is looked up where it is used, as
 * ayil_trc(LN[l], AYIL_DOMAIN, "report", "KEY"), so that xgettext finds
 * it; the keys built from the indicators' names come through rlabel().
 */
static const char *rlabel(int l, const char *key) {
  return ayil_trc(LN[l], AYIL_DOMAIN, "report", key);
}

/* Copies template tmpl into buf replacing "{k}" by v for each pair. */
static void subst(char *buf, size_t n, const char *tmpl, const char *k1,
                  const char *v1, const char *k2, const char *v2) {
  size_t o = 0, kl;
  const char *s = tmpl, *v;

  while (*s != '\0' && o + 1 < n) {
    v = NULL;
    kl = 0;
    if (*s == '{') {
      if (k1 != NULL && strncmp(s + 1, k1, strlen(k1)) == 0 &&
          s[1 + strlen(k1)] == '}') {
        v = v1;
        kl = strlen(k1) + 2;
      } else if (k2 != NULL && strncmp(s + 1, k2, strlen(k2)) == 0 &&
                 s[1 + strlen(k2)] == '}') {
        v = v2;
        kl = strlen(k2) + 2;
      }
    }
    if (v != NULL) {
      for (; *v != '\0' && o + 1 < n; v++)
        buf[o++] = *v;
      s += kl;
    } else {
      buf[o++] = *s++;
    }
  }
  buf[o] = '\0';
}

/* The label of column i in language l: its row's label, with {code} the
 * label of its code or {n} its days value. */
static void ind_label(const tab_t *t, int l, int i, char *buf, size_t n) {
  const ind_t *x = &t->ind[t->crow[i]];
  char ctx[96], num[32];

  if (x->by == BY_COUNT) {
    subst(buf, n, rlabel(l, x->def->label), "n",
          col_part(t, i, num, sizeof(num)), NULL, NULL);
  } else if (x->by != BY_NONE) {
    code_ctx(x, ctx, sizeof(ctx));
    subst(buf, n, rlabel(l, x->def->label), "code",
          ayil_trc(LN[l], AYIL_DOMAIN, ctx, x->byf->codes[t->cidx[i]]), NULL,
          NULL);
  } else {
    snprintf(buf, n, "%s", rlabel(l, x->def->label));
  }
}

/* Label keys used as literals (context "report"), besides those of the
 * indicator table. */
static const char *const FIXED_KEYS[] = {
    "title",
    "period",
    "period.start",
    "period.end",
    "filter.oblast",
    "legend.suppressed",
    "note.rolled_back",
    "heading.total",
    "heading.regions",
    "heading.oblasts",
    "heading.committees",
    "heading.charts",
    "heading.no_committees",
    "legend.not_synced",
    "note.not_synced",
    "title.committee",
    "col.indicator",
    "scope.total",
};

/* Every label the report can ask for: its fixed keys, the indicator
 * table's labels and charts and the codes of its expanded rows, the
 * oblasts and the macro-regions. At most NLABELS. */
#define NLABELS 256

ayil__report_label_t ayil__report_labels[NLABELS];
size_t ayil__report_nlabels;
static char view_key[NLABELS][128];
static char view_ctx[NLABELS][64];
static char view_msgid[NLABELS][64];

static const char *view_text(const char *lang, const char *ctx,
                             const char *msgid) {
  return ayil_tr_has(lang, AYIL_DOMAIN, ctx, msgid)
             ? ayil_trc(lang, AYIL_DOMAIN, ctx, msgid)
             : "";
}

/* Adds a label to the view; 1 if the view is full. */
static int view_add(const char *ctx, const char *msgid) {
  size_t i = ayil__report_nlabels;
  ayil__report_label_t *v = &ayil__report_labels[i];

  if (i >= NLABELS)
    return 1;
  snprintf(view_ctx[i], sizeof(view_ctx[i]), "%s", ctx);
  snprintf(view_msgid[i], sizeof(view_msgid[i]), "%s", msgid);
  snprintf(view_key[i], sizeof(view_key[i]), "%s|%s", ctx, msgid);
  v->key = view_key[i];
  v->ctx = view_ctx[i];
  v->msgid = view_msgid[i];
  v->en = view_text("en", v->ctx, v->msgid);
  v->ru = view_text("ru", v->ctx, v->msgid);
  v->ky = view_text("ky", v->ctx, v->msgid);
  ayil__report_nlabels++;
  return 0;
}

int ayil__report_labels_check(const char **first) {
  char key[96];
  size_t i, c;
  int bad = 0;

  ayil__report_nlabels = 0;
  for (i = 0; i < N(FIXED_KEYS); i++)
    bad += view_add("report", FIXED_KEYS[i]);
  for (i = 0; i < ayil_indicators_n(); i++) {
    const ayil_indicator_t *d = ayil_indicator_at(i);
    const ayil_field_t *f =
        d->by != NULL ? ayil_kind_field(ayil_schema_kind(d->kind), d->by)
                      : NULL;
    bad += view_add("report", d->label);
    if (d->chart != NULL)
      bad += view_add("report", d->chart);
    if (f != NULL)
      snprintf(key, sizeof(key), "code.%s.%s", d->kind, f->name);
    for (c = 0; f != NULL && c < f->ncodes; c++)
      bad += view_add(key, f->codes[c]);
  }
  for (c = 0; c < ayil_schema_noblasts(); c++)
    bad += view_add("oblast", ayil_schema_oblast_at(c));
  for (c = 0; c < ayil_schema_nregions(); c++) {
    snprintf(key, sizeof(key), "region.%s", ayil_schema_region_at(c));
    bad += view_add("report", key);
  }
  if (bad > 0 && first != NULL)
    *first = "(more labels than NLABELS)";
  if (bad > 0)
    return bad;
  if (first != NULL)
    *first = NULL;
  for (i = 0; i < ayil__report_nlabels; i++) {
    const ayil__report_label_t *v = &ayil__report_labels[i];
    if (v->en[0] != '\0' && v->ru[0] != '\0' && v->ky[0] != '\0')
      continue;
    if (bad++ == 0 && first != NULL)
      *first = v->key;
  }
  return bad;
}

/* ---- writing helpers ---- */

/* "1,234" (en) or "1 234" with a no-break space (ru, ky). */
static void fmt_num(char *buf, size_t n, int64_t v, int l) {
  char d[32], *o = buf;
  int len, i;
  const char *sep = l == L_EN ? "," : "\xc2\xa0";
  size_t sl = strlen(sep);

  len = snprintf(d, sizeof(d), "%lld", (long long)(v < 0 ? -v : v));
  if (v < 0)
    *o++ = '-';
  for (i = 0; i < len; i++) {
    if (i > 0 && (len - i) % 3 == 0 && (size_t)(o - buf) + sl + 2 < n) {
      memcpy(o, sep, sl);
      o += sl;
    }
    if ((size_t)(o - buf) + 1 < n)
      *o++ = d[i];
  }
  *o = '\0';
}

/* The text a cell shows: its number, "<N" or "x". raw: no grouping. */
static void cell_text(const tab_t *t, size_t e, size_t i, int l, int raw,
                      int nb, char *buf, size_t n) {
  unsigned char f = t->f[e * t->ni + i];
  int64_t v = t->v[e * t->ni + i];

  if (f == F_LT)
    snprintf(buf, n, "<%d", nb);
  else if (f == F_X)
    snprintf(buf, n, "x");
  else if (raw)
    snprintf(buf, n, "%lld", (long long)v);
  else
    fmt_num(buf, n, v, l);
}

static void json_str(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s != '\0'; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') {
      fputc('\\', out);
      fputc(ch, out);
    } else if (ch < 0x20 || ch == 0x7f) {
      fprintf(out, "\\u%04x", ch);
    } else {
      fputc(ch, out);
    }
  }
  fputc('"', out);
}

static void json_opt(FILE *out, const char *s) {
  if (s == NULL || s[0] == '\0')
    fputs("null", out);
  else
    json_str(out, s);
}

static void write_json(const ayil_report_t *r, const tab_t *t, FILE *out,
                       int nb) {
  size_t e, k;
  char name[96], disp[32];
  int first = 1;

  fputs("{\"from\":", out);
  json_opt(out, r->from_s);
  fputs(",\"to\":", out);
  json_opt(out, r->to_s);
  fputs(",\"oblast\":", out);
  json_opt(out,
           r->oblast >= 0 ? ayil_schema_oblast_at((size_t)r->oblast) : NULL);
  if (r->own) {
    fputs(",\"committee\":", out);
    json_str(out, r->own_name);
  }
  fprintf(out, ",\"suppress_below\":%d,\"rows\":[", nb < 2 ? 0 : nb);
  for (e = 0; e < (t->own ? t->ob0 : t->ne); e++)
    for (k = 0; k < t->ni; k++) {
      int i = t->ord[k];
      fputs(first ? "\n" : ",\n", out);
      first = 0;
      ind_name(t, i, name, sizeof(name));
      fprintf(out, "{\"scope\":\"%s\",\"name\":", SCOPES[t->scope[e]]);
      json_str(out, t->name[e]);
      fprintf(out, ",\"indicator\":\"%s\",\"value\":", name);
      if (t->f[e * t->ni + i] == F_SHOW) {
        fprintf(out, "%lld", (long long)t->v[e * t->ni + i]);
      } else {
        cell_text(t, e, (size_t)i, L_EN, 1, nb, disp, sizeof(disp));
        fprintf(out, "null,\"suppressed\":true,\"display\":\"%s\"", disp);
      }
      fputs(t->nosync[e] ? ",\"not_synced\":true}" : "}", out);
    }
  fputs("\n]", out);
  first = 1;
  fputs(",\"rolled_back\":[", out);
  for (k = 0; k < r->ncom; k++) {
    if (r->com[k].rolled_back <= 0)
      continue;
    fputs(first ? "{\"name\":" : ",{\"name\":", out);
    first = 0;
    json_str(out, r->com[k].name);
    fprintf(out, ",\"entries\":%lld}", (long long)r->com[k].rolled_back);
  }
  fputs("]}\n", out);
}

/* The label of entity e (a scope's row) in language l: an oblast's or a
 * region's name, "Total", or a committee's own name (*trusted = 0). */
static const char *ent_name_label(const tab_t *t, int l, size_t e, char *buf,
                                  size_t n, int *trusted) {
  *trusted = 1;
  switch (t->scope[e]) {
  case SC_OBLAST:
    return ayil_trc(LN[l], AYIL_DOMAIN, "oblast", t->name[e]);
  case SC_REGION:
    snprintf(buf, n, "region.%s", t->name[e]);
    return rlabel(l, buf);
  case SC_TOTAL:
    return ayil_trc(LN[l], AYIL_DOMAIN, "report", "scope.total");
  default:
    *trusted = 0;
    return t->name[e];
  }
}

/* A csv cell: RFC 4180 quoting when it holds the separator, '"', CR or LF;
 * a text cell that a spreadsheet would take for a formula gets a "'"
 * first (see ayil_report_opts_t). */
static void csv_cell(FILE *out, char sep, const char *s, int text) {
  int guard = text && s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;

  if (strchr(s, sep) == NULL && strpbrk(s, "\"\r\n") == NULL) {
    if (guard)
      fputc('\'', out);
    fputs(s, out);
    return;
  }
  fputc('"', out);
  if (guard)
    fputc('\'', out);
  for (; *s != '\0'; s++) {
    if (*s == '"')
      fputc('"', out);
    fputc(*s, out);
  }
  fputc('"', out);
}

static void write_csv(const tab_t *t, FILE *out, int nb, int l, char sep,
                      int wide) {
  size_t e, k;
  char name[96], disp[32], lab[LABEL_MAX], buf[96];
  const char *note = ayil_trc(LN[l], AYIL_DOMAIN, "report", "note.not_synced");
  int trusted;

  fputs("\xef\xbb\xbf", out); /* UTF-8, for a spreadsheet */
  if (wide) {
    fprintf(out, "scope%cname%cname_label%cnote", sep, sep, sep);
    for (k = 0; k < t->ni; k++) {
      ind_name(t, t->ord[k], name, sizeof(name));
      fputc(sep, out);
      csv_cell(out, sep, name, 1);
    }
    fprintf(out, "\r\n%c%c", sep, sep);
    csv_cell(out, sep, ayil_trc(LN[l], AYIL_DOMAIN, "report", "col.indicator"),
             1);
    fputc(sep, out);
    for (k = 0; k < t->ni; k++) {
      ind_label(t, l, t->ord[k], lab, sizeof(lab));
      fputc(sep, out);
      csv_cell(out, sep, lab, 1);
    }
    fputs("\r\n", out);
    for (e = 0; e < (t->own ? t->ob0 : t->ne); e++) {
      fputs(SCOPES[t->scope[e]], out);
      fputc(sep, out);
      csv_cell(out, sep, t->name[e], 1);
      fputc(sep, out);
      csv_cell(out, sep, ent_name_label(t, l, e, buf, sizeof(buf), &trusted),
               1);
      fputc(sep, out);
      csv_cell(out, sep, t->nosync[e] ? note : "", 1);
      for (k = 0; k < t->ni; k++) {
        cell_text(t, e, (size_t)t->ord[k], L_EN, 1, nb, disp, sizeof(disp));
        fputc(sep, out);
        csv_cell(out, sep, disp, 0);
      }
      fputs("\r\n", out);
    }
    return;
  }
  fprintf(out,
          "scope%cname%cindicator%cvalue%csuppressed%cname_label%c"
          "indicator_label%cnote\r\n",
          sep, sep, sep, sep, sep, sep, sep);
  for (e = 0; e < (t->own ? t->ob0 : t->ne); e++) {
    const char *nl = ent_name_label(t, l, e, buf, sizeof(buf), &trusted);
    for (k = 0; k < t->ni; k++) {
      int i = t->ord[k];
      ind_name(t, i, name, sizeof(name));
      ind_label(t, l, i, lab, sizeof(lab));
      fputs(SCOPES[t->scope[e]], out);
      fputc(sep, out);
      csv_cell(out, sep, t->name[e], 1);
      fputc(sep, out);
      csv_cell(out, sep, name, 1);
      fputc(sep, out);
      cell_text(t, e, (size_t)i, L_EN, 1, nb, disp, sizeof(disp));
      csv_cell(out, sep, disp, 0);
      fprintf(out, "%c%d%c", sep, t->f[e * t->ni + i] != F_SHOW, sep);
      csv_cell(out, sep, nl, 1);
      fputc(sep, out);
      csv_cell(out, sep, lab, 1);
      fputc(sep, out);
      csv_cell(out, sep, t->nosync[e] ? note : "", 1);
      fputs("\r\n", out);
    }
  }
}

/* ---- for report_human.c and report_xlsx.c (report_int.h) ---- */

const char *ayil__report_lang(int l) {
  return LN[l];
}

void ayil__report_ind_name(const tab_t *t, int i, char *buf, size_t n) {
  ind_name(t, i, buf, n);
}

void ayil__report_ind_label(const tab_t *t, int l, int i, char *buf, size_t n) {
  ind_label(t, l, i, buf, n);
}

const char *ayil__report_ent_label(const tab_t *t, int l, size_t e, char *buf,
                                   size_t n, int *trusted) {
  return ent_name_label(t, l, e, buf, n, trusted);
}

void ayil__report_cell_text(const tab_t *t, size_t e, size_t i, int l, int raw,
                            int nb, char *buf, size_t n) {
  cell_text(t, e, i, l, raw, nb, buf, n);
}

void ayil__report_subst(char *buf, size_t n, const char *tmpl, const char *k1,
                        const char *v1, const char *k2, const char *v2) {
  subst(buf, n, tmpl, k1, v1, k2, v2);
}

void ayil__report_code_ctx(const ind_t *x, char *buf, size_t n) {
  code_ctx(x, buf, n);
}

const char *ayil__report_rlabel(int l, const char *key) {
  return rlabel(l, key);
}

void ayil__report_fmt_num(char *buf, size_t n, int64_t v, int l) {
  fmt_num(buf, n, v, l);
}

size_t ayil__report_human_order(const tab_t *t, size_t *ents) {
  size_t n = 0, k, o;

  if (t->own) {
    for (k = t->com0; k < t->ob0; k++)
      ents[n++] = k;
    return n;
  }
  ents[n++] = t->tot;
  for (k = 0; k < t->nreg; k++)
    ents[n++] = t->reg0 + k;
  for (k = 0; k < t->nob; k++)
    ents[n++] = t->ob0 + k;
  for (o = t->ob0; o < t->reg0; o++)
    for (k = t->com0; k < t->ob0; k++)
      if (t->oblast[k] == t->oblast[o])
        ents[n++] = k;
  return n;
}

int ayil_report_write(ayil_report_t *r, FILE *out, const char *format,
                      const char *lang, int suppress_below) {
  ayil_report_opts_t o;

  memset(&o, 0, sizeof(o));
  o.format = format;
  o.lang = lang;
  o.suppress_below = suppress_below;
  return ayil_report_write_opts(r, out, &o);
}

int ayil_report_write_opts(ayil_report_t *r, FILE *out,
                           const ayil_report_opts_t *o) {
  tab_t t;
  const char *format = o != NULL ? o->format : NULL;
  int l = lang_index(o != NULL ? o->lang : NULL), fmt, rc;
  int suppress_below = o != NULL ? o->suppress_below : -1;
  char sep = o != NULL && o->csv_sep != 0 ? o->csv_sep : ',';
  int is_xlsx = format != NULL && strcmp(format, "xlsx") == 0;

  if (r == NULL || (out == NULL && !is_xlsx) || l < 0 || suppress_below < 0 ||
      (sep != ',' && sep != ';' && sep != '\t'))
    return AYIL_EINVAL;
  if (format == NULL || strcmp(format, "text") == 0)
    fmt = FMT_TEXT;
  else if (strcmp(format, "md") == 0)
    fmt = FMT_MD;
  else if (strcmp(format, "html") == 0)
    fmt = FMT_HTML;
  else if (strcmp(format, "json") == 0)
    fmt = -1;
  else if (strcmp(format, "csv") == 0)
    fmt = -2;
  else if (strcmp(format, "xlsx") == 0 && o->path != NULL)
    fmt = -3;
  else if (strcmp(format, "dhis2") == 0 && o->map != NULL)
    fmt = -4;
  else if (strcmp(format, "adx") == 0 && o->map != NULL)
    fmt = -5;
  else
    return AYIL_EINVAL;
  rc = ayil__report_tab_build(r, &t, suppress_below);
  if (rc != 0)
    return rc;
  if (fmt == -1) {
    write_json(r, &t, out, suppress_below);
  } else if (fmt == -2) {
    write_csv(&t, out, suppress_below, l, sep, o->wide);
  } else if (fmt == -4 || fmt == -5) {
    rc = ayil__report_write_export(r, &t, out, fmt == -5, o->map, o->stats);
  } else if (fmt == -3) {
    rc = ayil__report_write_xlsx(r, &t, o->path, l, suppress_below);
    ayil__report_tab_free(&t);
    return rc;
  } else {
    rc = ayil__report_write_human(r, &t, out, fmt, l, suppress_below);
  }
  ayil__report_tab_free(&t);
  if (rc != 0)
    return rc;
  if (fflush(out) != 0 || ferror(out))
    return AYIL_EIO;
  return 0;
}

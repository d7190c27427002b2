/*
 * The report's tables for people: text, markdown and html (with inline SVG
 * charts), from the table of cells of report_tab.c, with the names, labels
 * and numbers of report_out.c (report_int.h). ayil_report_write() in
 * report_out.c picks the form.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "report_int.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- tables for people: text, md, html ---- */

#define BLOCK_COLS 6 /* columns of names per table block */

typedef struct human_s {
  const ayil_report_t *r;
  const tab_t *t;
  FILE *out;
  int fmt, l, nb;
  char (*labels)[LABEL_MAX]; /* per column */
} human_t;

/* Display width of UTF-8 text: code points (the labels have no wide
 * characters). */
static size_t u8width(const char *s) {
  size_t w = 0;

  for (; *s != '\0'; s++)
    if (((unsigned char)*s & 0xc0) != 0x80)
      w++;
  return w;
}

/* Text output: control characters of a name become '?', so a name cannot
 * move the cursor or change colours in a terminal. */
static void text_put(FILE *out, const char *s) {
  for (; *s != '\0'; s++)
    fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

static void pad(FILE *out, size_t n) {
  while (n-- > 0)
    fputc(' ', out);
}

static void md_put(FILE *out, const char *s) {
  for (; *s != '\0'; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch < 0x20 || ch == 0x7f)
      fputc(' ', out);
    else if (strchr("\\`*_{}[]<>()#+-.!|&~", ch) != NULL) {
      fputc('\\', out);
      fputc(ch, out);
    } else {
      fputc(ch, out);
    }
  }
}

/* md for our own labels: only '|' and newlines would break a table. */
static void md_label(FILE *out, const char *s) {
  for (; *s != '\0'; s++) {
    if (*s == '|')
      fputs("\\|", out);
    else if (*s == '\n' || *s == '\r')
      fputc(' ', out);
    else
      fputc(*s, out);
  }
}

const char *ayil_html_entity(unsigned char ch) {
  switch (ch) {
  case '<':
    return "&lt;";
  case '>':
    return "&gt;";
  case '&':
    return "&amp;";
  case '"':
    return "&quot;";
  case '\'':
    return "&#39;";
  default:
    return NULL;
  }
}

void ayil_html_put(FILE *out, const char *s) {
  for (; *s != '\0'; s++) {
    unsigned char ch = (unsigned char)*s;
    const char *e = ayil_html_entity(ch);
    if (e != NULL)
      fputs(e, out);
    else
      fputc(ch < 0x20 || ch == 0x7f ? ' ' : ch, out);
  }
}

/* Puts text in the current format; `trusted` is our own label. */
static void h_put(const human_t *h, const char *s, int trusted) {
  if (h->fmt == FMT_HTML)
    ayil_html_put(h->out, s);
  else if (h->fmt == FMT_MD)
    trusted ? md_label(h->out, s) : md_put(h->out, s);
  else
    text_put(h->out, s);
}

/* The column header of entity e. *trusted: it is one of our labels. */
static const char *ent_label(const human_t *h, size_t e, char *buf, size_t n,
                             int *trusted) {
  if (h->t->nosync[e]) { /* not synced for the period: see the legend */
    *trusted = 0;
    snprintf(buf, n, "%s *", h->t->name[e]);
    return buf;
  }
  return ayil__report_ent_label(h->t, h->l, e, buf, n, trusted);
}

static void h_heading(const human_t *h, int level, const char *text) {
  FILE *out = h->out;
  size_t w;

  if (h->fmt == FMT_HTML) {
    fprintf(out, "<h%d>", level);
    ayil_html_put(out, text);
    fprintf(out, "</h%d>\n", level);
  } else if (h->fmt == FMT_MD) {
    fputs(level == 1 ? "# " : level == 2 ? "## " : "### ", out);
    md_label(out, text);
    fputs("\n\n", out);
  } else {
    text_put(out, text);
    fputc('\n', out);
    for (w = u8width(text); w > 0; w--)
      fputc(level == 1 ? '=' : level == 2 ? '=' : '-', out);
    fputs("\n\n", out);
  }
}

/* One table: rows = indicators, columns = entities ents[0..n-1]. */
static void h_table(const human_t *h, const size_t *ents, size_t n) {
  const tab_t *t = h->t;
  FILE *out = h->out;
  char buf[LABEL_MAX * 2], val[48];
  size_t k, j, lw, cw[BLOCK_COLS];
  const char *ind =
      ayil_trc(ayil__report_lang(h->l), AYIL_DOMAIN, "report", "col.indicator");
  int trusted;

  assert(n <= BLOCK_COLS);
  if (h->fmt == FMT_TEXT) {
    lw = u8width(ind);
    for (k = 0; k < t->ni; k++)
      if (u8width(h->labels[t->ord[k]]) > lw)
        lw = u8width(h->labels[t->ord[k]]);
    for (j = 0; j < n; j++) {
      cw[j] = u8width(ent_label(h, ents[j], buf, sizeof(buf), &trusted));
      for (k = 0; k < t->ni; k++) {
        ayil__report_cell_text(t, ents[j], (size_t)t->ord[k], h->l, 0, h->nb,
                               val, sizeof(val));
        if (u8width(val) > cw[j])
          cw[j] = u8width(val);
      }
    }
    text_put(out, ind);
    pad(out, lw - u8width(ind));
    for (j = 0; j < n; j++) {
      const char *s = ent_label(h, ents[j], buf, sizeof(buf), &trusted);
      pad(out, 2 + cw[j] - u8width(s));
      text_put(out, s);
    }
    fputc('\n', out);
    for (k = 0; k < lw; k++)
      fputc('-', out);
    for (j = 0; j < n; j++) {
      fputs("  ", out);
      for (k = 0; k < cw[j]; k++)
        fputc('-', out);
    }
    fputc('\n', out);
    for (k = 0; k < t->ni; k++) {
      const char *s = h->labels[t->ord[k]];
      text_put(out, s);
      pad(out, lw - u8width(s));
      for (j = 0; j < n; j++) {
        ayil__report_cell_text(t, ents[j], (size_t)t->ord[k], h->l, 0, h->nb,
                               val, sizeof(val));
        pad(out, 2 + cw[j] - u8width(val));
        fputs(val, out);
      }
      fputc('\n', out);
    }
    fputc('\n', out);
  } else if (h->fmt == FMT_MD) {
    fputs("| ", out);
    md_label(out, ind);
    for (j = 0; j < n; j++) {
      const char *s = ent_label(h, ents[j], buf, sizeof(buf), &trusted);
      fputs(" | ", out);
      h_put(h, s, trusted);
    }
    fputs(" |\n| :---", out);
    for (j = 0; j < n; j++)
      fputs(" | ---:", out);
    fputs(" |\n", out);
    for (k = 0; k < t->ni; k++) {
      fputs("| ", out);
      md_label(out, h->labels[t->ord[k]]);
      for (j = 0; j < n; j++) {
        ayil__report_cell_text(t, ents[j], (size_t)t->ord[k], h->l, 0, h->nb,
                               val, sizeof(val));
        fputs(" | ", out);
        md_label(out, val);
      }
      fputs(" |\n", out);
    }
    fputc('\n', out);
  } else {
    fputs("<table>\n<thead><tr><th class=\"ind\">", out);
    ayil_html_put(out, ind);
    fputs("</th>", out);
    for (j = 0; j < n; j++) {
      fputs("<th>", out);
      ayil_html_put(out, ent_label(h, ents[j], buf, sizeof(buf), &trusted));
      fputs("</th>", out);
    }
    fputs("</tr></thead>\n<tbody>\n", out);
    for (k = 0; k < t->ni; k++) {
      fputs("<tr><th class=\"ind\">", out);
      ayil_html_put(out, h->labels[t->ord[k]]);
      fputs("</th>", out);
      for (j = 0; j < n; j++) {
        unsigned char f = t->f[ents[j] * t->ni + (size_t)t->ord[k]];
        ayil__report_cell_text(t, ents[j], (size_t)t->ord[k], h->l, 0, h->nb,
                               val, sizeof(val));
        fputs(f != F_SHOW ? "<td class=\"s\">" : "<td>", out);
        ayil_html_put(out, val);
        fputs("</td>", out);
      }
      fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
  }
}

/* A table of many entities, cut into blocks of BLOCK_COLS columns. */
static void h_tables(const human_t *h, const size_t *ents, size_t n) {
  size_t k;

  for (k = 0; k < n; k += BLOCK_COLS)
    h_table(h, ents + k, n - k < BLOCK_COLS ? n - k : BLOCK_COLS);
}

/* A horizontal bar chart in inline SVG (no xmlns: inline SVG in HTML needs
 * none, and the page must hold no address). */
static void svg_bars(const human_t *h, const char *title, size_t n,
                     const char *const *labels, const size_t *cells) {
  const tab_t *t = h->t;
  FILE *out = h->out;
  int64_t max = 0;
  size_t k, height = n * 24 + 8;
  char val[48];

  for (k = 0; k < n; k++)
    if (t->f[cells[k]] == F_SHOW && t->v[cells[k]] > max)
      max = t->v[cells[k]];
  fputs("<figure>\n<figcaption>", out);
  ayil_html_put(out, title);
  fprintf(out,
          "</figcaption>\n<svg width=\"660\" height=\"%zu\" "
          "viewBox=\"0 0 660 %zu\" role=\"img\" aria-label=\"",
          height, height);
  ayil_html_put(out, title);
  fputs("\">\n", out);
  for (k = 0; k < n; k++) {
    size_t y = 4 + k * 24;
    int64_t w = 0;
    unsigned char f = t->f[cells[k]];

    if (f == F_SHOW && max > 0)
      w = t->v[cells[k]] * 320 / max;
    if (f == F_SHOW && t->v[cells[k]] > 0 && w < 1)
      w = 1;
    fprintf(out, "<text x=\"246\" y=\"%zu\" text-anchor=\"end\">", y + 15);
    ayil_html_put(out, labels[k]);
    fputs("</text>", out);
    if (w > 0)
      fprintf(out,
              "<rect x=\"252\" y=\"%zu\" width=\"%lld\" height=\"16\" "
              "fill=\"#4a6fa5\"/>",
              y + 2, (long long)w);
    ayil__report_fmt_num(val, sizeof(val), t->v[cells[k]], h->l);
    if (f != F_SHOW)
      ayil__report_cell_text(t, cells[k] / t->ni, cells[k] % t->ni, h->l, 0,
                             h->nb, val, sizeof(val));
    fprintf(out, "<text x=\"%lld\" y=\"%zu\">", (long long)(258 + w), y + 15);
    ayil_html_put(out, val);
    fputs("</text>\n", out);
  }
  fputs("</svg>\n</figure>\n", out);
}

/* The charts of the indicator table's rows that have one: an expanded row
 * over its codes in the total, one indicator over the oblasts. */
static void html_charts(const human_t *h, size_t ent) {
  const tab_t *t = h->t;
  const char *labels[64];
  size_t cells[64];
  char ctx[96];
  size_t i, k, n;

  h_heading(h, 2,
            ayil_trc(ayil__report_lang(h->l), AYIL_DOMAIN, "report",
                     "heading.charts"));
  for (i = 0; i < t->nind; i++) {
    const ind_t *x = &t->ind[i];
    if (x->def->chart == NULL || x->by == BY_COUNT ||
        (t->own && x->by == BY_NONE)) /* one committee: no oblasts */
      continue;
    n = 0;
    if (x->by != BY_NONE) {
      ayil__report_code_ctx(x, ctx, sizeof(ctx));
      for (k = 0; k < (size_t)x->ncol && n < N(cells); k++) {
        labels[n] = ayil_trc(ayil__report_lang(h->l), AYIL_DOMAIN, ctx,
                             x->byf->codes[k]);
        cells[n++] = ent * t->ni + (size_t)x->col + k;
      }
    } else {
      for (k = 0; k < t->nob && n < N(cells); k++) {
        labels[n] = ayil_trc(ayil__report_lang(h->l), AYIL_DOMAIN, "oblast",
                             t->name[t->ob0 + k]);
        cells[n++] = (t->ob0 + k) * t->ni + (size_t)x->col;
      }
    }
    svg_bars(h, ayil__report_rlabel(h->l, x->def->chart), n, labels, cells);
  }
}

static const char HTML_CSS[] =
    "body{font-family:\"DejaVu Sans\",Arial,sans-serif;font-size:10pt;"
    "color:#111;margin:1.5em;max-width:60em}\n"
    "h1{font-size:16pt;margin:0 0 .3em}h2{font-size:13pt;margin:1.2em 0 "
    ".4em;border-bottom:1px solid #999}h3{font-size:11pt;margin:1em 0 .3em}\n"
    "p.meta{margin:.2em 0;color:#333}\n"
    "table{border-collapse:collapse;margin:0 0 1em;font-size:9pt}\n"
    "th,td{border:1px solid #bbb;padding:2px 6px}\n"
    "td{text-align:right;white-space:nowrap;font-variant-numeric:"
    "tabular-nums}\n"
    "th.ind{text-align:left;font-weight:normal}\n"
    "thead th{background:#e8eef6}\n"
    "td.s{color:#666;font-style:italic}\n"
    "figure{margin:0 0 1em}figcaption{font-weight:bold;margin-bottom:.3em}\n"
    "svg text{font-size:11px;fill:#111}\n"
    "@page{size:A4;margin:15mm}\n"
    /* Printed, a table of every indicator (about 50 rows) fits one A4
     * page under its heading: no page holding one row of it. */
    "@media print{body{margin:0;max-width:none;font-size:9pt}"
    "table{font-size:7.5pt}th,td{padding:0 4px;line-height:1.3}"
    "h2{break-before:page;page-break-before:always}"
    "h2.first{break-before:auto;page-break-before:auto}"
    "table,figure{break-inside:auto}tr,figure{break-inside:avoid;"
    "page-break-inside:avoid}thead{display:table-header-group}"
    "h2,h3{break-after:avoid;page-break-after:avoid}}\n";

int ayil__report_write_human(const ayil_report_t *r, const tab_t *t, FILE *out,
                             int fmt, int l, int nb) {
  human_t h;
  char buf[LABEL_MAX * 2], from[64], to[64], title[LABEL_MAX * 2];
  size_t *ents = NULL, k, n, o;

  h.r = r;
  h.t = t;
  h.out = out;
  h.fmt = fmt;
  h.l = l;
  h.nb = nb;
  h.labels = malloc(t->ni * sizeof(*h.labels));
  ents = malloc((t->ne + 1) * sizeof(*ents));
  if (h.labels == NULL || ents == NULL) {
    free(h.labels);
    free(ents);
    return AYIL_ENOMEM;
  }
  for (k = 0; k < t->ni; k++)
    ayil__report_ind_label(t, l, (int)k, h.labels[k], LABEL_MAX);
  if (r->own)
    ayil__report_subst(title, sizeof(title),
                       ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report",
                                "title.committee"),
                       "committee", r->own_name, NULL, NULL);
  else
    snprintf(title, sizeof(title), "%s",
             ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report", "title"));

  if (fmt == FMT_HTML) {
    fprintf(out,
            "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
            "<meta charset=\"utf-8\">\n"
            /* The page may load nothing: a browser refuses any request, and
             * the tests check that it makes none. */
            "<meta http-equiv=\"Content-Security-Policy\" content=\""
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\n"
            "<title>",
            ayil__report_lang(l));
    ayil_html_put(out, title);
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n", HTML_CSS);
  }
  if (r->own && fmt == FMT_MD) {
    /* The committee's name is not ours: escaped as md text. */
    const char *tm = ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report",
                              "title.committee");
    const char *at = strstr(tm, "{committee}");
    fputs("# ", out);
    if (at == NULL) {
      md_label(out, tm);
    } else {
      snprintf(buf, sizeof(buf), "%.*s", (int)(at - tm), tm);
      md_label(out, buf);
      md_put(out, r->own_name);
      md_label(out, at + strlen("{committee}"));
    }
    fputs("\n\n", out);
  } else {
    h_heading(&h, 1, title);
  }
  snprintf(from, sizeof(from), "%s",
           r->from_s[0] ? r->from_s
                        : ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report",
                                   "period.start"));
  snprintf(to, sizeof(to), "%s",
           r->to_s[0] ? r->to_s
                      : ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report",
                                 "period.end"));
  ayil__report_subst(
      buf, sizeof(buf),
      ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report", "period"), "from",
      from, "to", to);
  if (fmt == FMT_HTML)
    fputs("<p class=\"meta\">", out);
  h_put(&h, buf, 1);
  fputs(fmt == FMT_HTML ? "</p>\n" : fmt == FMT_MD ? "\n\n" : "\n", out);
  if (r->oblast >= 0) {
    ayil__report_subst(
        buf, sizeof(buf),
        ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report", "filter.oblast"),
        "oblast",
        ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "oblast",
                 ayil_schema_oblast_at((size_t)r->oblast)),
        NULL, NULL);
    if (fmt == FMT_HTML)
      fputs("<p class=\"meta\">", out);
    h_put(&h, buf, 1);
    fputs(fmt == FMT_HTML ? "</p>\n" : fmt == FMT_MD ? "\n\n" : "\n", out);
  }
  if (nb >= 2) {
    char sn[16], sm[16];
    snprintf(sn, sizeof(sn), "%d", nb);
    snprintf(sm, sizeof(sm), "%d", nb - 1);
    ayil__report_subst(buf, sizeof(buf),
                       ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report",
                                "legend.suppressed"),
                       "n", sn, "m", sm);
    if (fmt == FMT_HTML)
      fputs("<p class=\"meta\">", out);
    h_put(&h, buf, 1);
    fputs(fmt == FMT_HTML ? "</p>\n" : fmt == FMT_MD ? "\n\n" : "\n", out);
  }
  if (t->nnosync > 0) {
    snprintf(buf, sizeof(buf), "%s %s", fmt == FMT_MD ? "\\*" : "*",
             ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report",
                      "legend.not_synced"));
    if (fmt == FMT_HTML)
      fputs("<p class=\"meta\">", out);
    h_put(&h, buf, 1);
    fputs(fmt == FMT_HTML ? "</p>\n" : fmt == FMT_MD ? "\n\n" : "\n", out);
  }
  for (k = 0; k < r->ncom; k++) {
    /* What a revoke --after took back from this hub's copy: the reader of
     * the report must know that the figures left those entries out. */
    char sn[24];
    if (r->com[k].rolled_back <= 0)
      continue;
    snprintf(sn, sizeof(sn), "%lld", (long long)r->com[k].rolled_back);
    ayil__report_subst(buf, sizeof(buf),
                       ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report",
                                "note.rolled_back"),
                       "committee", r->com[k].name, "n", sn);
    if (fmt == FMT_HTML)
      fputs("<p class=\"meta\">", out);
    h_put(&h, buf, 0);
    fputs(fmt == FMT_HTML ? "</p>\n" : fmt == FMT_MD ? "\n\n" : "\n", out);
  }
  if (fmt == FMT_TEXT)
    fputc('\n', out);
  if (r->own) {
    /* One committee: its table and charts, no scope above it. */
    if (t->ob0 == t->com0)
      h_heading(&h, 2,
                ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report",
                         "heading.no_committees"));
    for (k = t->com0; k < t->ob0; k++) {
      h_tables(&h, &k, 1);
      if (fmt == FMT_HTML)
        html_charts(&h, k);
    }
    goto end;
  }
  if (fmt == FMT_HTML) {
    fputs("<h2 class=\"first\">", out);
    ayil_html_put(out, ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report",
                                "heading.total"));
    fputs("</h2>\n", out);
  } else {
    h_heading(
        &h, 2,
        ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report", "heading.total"));
  }
  ents[0] = t->tot;
  h_tables(&h, ents, 1);
  if (fmt == FMT_HTML)
    html_charts(&h, t->tot);
  h_heading(
      &h, 2,
      ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report", "heading.regions"));
  for (k = 0; k < t->nreg; k++)
    ents[k] = t->reg0 + k;
  h_tables(&h, ents, t->nreg);
  h_heading(
      &h, 2,
      ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report", "heading.oblasts"));
  for (k = 0; k < t->nob; k++)
    ents[k] = t->ob0 + k;
  h_tables(&h, ents, t->nob);
  if (t->ob0 == t->com0) {
    h_heading(&h, 2,
              ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report",
                       "heading.no_committees"));
  } else {
    for (o = t->ob0; o < t->reg0; o++) {
      for (k = t->com0, n = 0; k < t->ob0; k++)
        if (t->oblast[k] == t->oblast[o])
          ents[n++] = k;
      if (n == 0)
        continue;
      ayil__report_subst(
          buf, sizeof(buf),
          ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report",
                   "heading.committees"),
          "oblast",
          ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "oblast", t->name[o]),
          NULL, NULL);
      h_heading(&h, 2, buf);
      h_tables(&h, ents, n);
    }
  }
end:
  if (fmt == FMT_HTML)
    fputs("</body>\n</html>\n", out);
  free(ents);
  free(h.labels);
  return 0;
}

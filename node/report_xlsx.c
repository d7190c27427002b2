/*
 * The report's .xlsx form (ayil_report_opts_t in report.h): a sheet per
 * scope through Debian's libxlsxwriter, with the labels and cells of the
 * other forms (report_out.c). Every cell is written as a string or a
 * number, never as a formula, so a committee's name cannot run in a
 * spreadsheet. A report holds no identifying data; the workbook's
 * properties are left empty but for its title.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "i18n.h"
#include "report_int.h"

#define SHEET_MAX 31 /* characters in a sheet name (Excel's limit) */

/* A sheet name for `s` into buf (at least 4 * SHEET_MAX + 1 bytes): at
 * most max characters, []:*?/\ and control characters as '_', no "'" at
 * either end. */
static void sheet_clean(const char *s, size_t max, char *buf, size_t n) {
  size_t o = 0, chars = 0;

  for (; *s != '\0' && o + 5 < n; s++) {
    unsigned char ch = (unsigned char)*s;
    if ((ch & 0xc0) != 0x80 && chars++ == max)
      break;
    buf[o++] = (ch < 0x20 || ch == 0x7f || strchr("[]:*?/\\", ch) != NULL)
                   ? '_'
                   : (char)ch;
  }
  buf[o] = '\0';
  if (buf[0] == '\'')
    buf[0] = '_';
  if (o > 0 && buf[o - 1] == '\'')
    buf[o - 1] = '_';
  if (buf[0] == '\0')
    snprintf(buf, n, "_");
}

/* names[0..n-1] already taken: Excel compares sheet names without case. */
static int sheet_taken(char (*names)[4 * SHEET_MAX + 1], size_t n,
                       const char *s) {
  size_t i;

  for (i = 0; i < n; i++)
    if (strcasecmp(names[i], s) == 0)
      return 1;
  return 0;
}

/* The name of the k-th sheet, for `label`, into names[k]. */
static void sheet_name(char (*names)[4 * SHEET_MAX + 1], size_t k,
                       const char *label) {
  char base[4 * SHEET_MAX + 1], suf[16];
  unsigned i;

  sheet_clean(label, SHEET_MAX, names[k], sizeof(names[k]));
  for (i = 2; sheet_taken(names, k, names[k]) && i < 100000; i++) {
    snprintf(suf, sizeof(suf), " (%u)", i);
    sheet_clean(label, SHEET_MAX - strlen(suf), base, sizeof(base));
    /* base has at most SHEET_MAX - strlen(suf) characters: both fit. */
    size_t bl = strlen(base), sl = strlen(suf);
    if (bl + sl >= sizeof(names[k]))
      break;
    memcpy(names[k], base, bl);
    memcpy(names[k] + bl, suf, sl + 1);
  }
}

static const char *tr(int l, const char *key) {
  return ayil_trc(ayil__report_lang(l), AYIL_DOMAIN, "report", key);
}

/* One scope's sheet. */
static lxw_error write_sheet(lxw_worksheet *ws, const ayil_report_t *r,
                             const tab_t *t, size_t e, int l, int nb,
                             lxw_format *bold, lxw_format *head,
                             lxw_format *hidden) {
  static const char *const SCOPES[] = {"committee", "oblast", "region",
                                       "total"};
  char buf[512], from[64], to[64], name[96], lab[256], val[48], eb[512];
  lxw_row_t row = 0;
  lxw_error err = LXW_NO_ERROR;
  size_t k;
  int trusted;

  worksheet_set_column(ws, 0, 0, 34, NULL);
  worksheet_set_column(ws, 1, 1, 60, NULL);
  worksheet_set_column(ws, 2, 3, 16, NULL);
  worksheet_write_string(ws, row++, 0, tr(l, "title"), bold);
  snprintf(from, sizeof(from), "%s",
           r->from_s[0] ? r->from_s : tr(l, "period.start"));
  snprintf(to, sizeof(to), "%s", r->to_s[0] ? r->to_s : tr(l, "period.end"));
  ayil__report_subst(buf, sizeof(buf), tr(l, "period"), "from", from, "to", to);
  worksheet_write_string(ws, row++, 0, buf, NULL);
  if (nb >= 2) {
    char sn[16], sm[16];
    snprintf(sn, sizeof(sn), "%d", nb);
    snprintf(sm, sizeof(sm), "%d", nb - 1);
    ayil__report_subst(buf, sizeof(buf), tr(l, "legend.suppressed"), "n", sn,
                       "m", sm);
    worksheet_write_string(ws, row, 0, buf, NULL);
  }
  if (t->nosync[e]) {
    snprintf(buf, sizeof(buf), "* %s", tr(l, "legend.not_synced"));
    worksheet_write_string(ws, 4, 0, buf, NULL);
  }
  row = 3;
  worksheet_write_string(ws, row, 0, "scope", NULL);
  worksheet_write_string(ws, row, 1, SCOPES[t->scope[e]], NULL);
  worksheet_write_string(ws, row, 2, "name", NULL);
  worksheet_write_string(ws, row, 3, t->name[e], NULL);
  row = 5;
  worksheet_write_string(ws, row, 0, "indicator", head);
  worksheet_write_string(ws, row, 1, tr(l, "col.indicator"), head);
  if (t->nosync[e])
    snprintf(eb, sizeof(eb), "%s *", t->name[e]);
  worksheet_write_string(
      ws, row, 2,
      t->nosync[e] ? eb
                   : ayil__report_ent_label(t, l, e, eb, sizeof(eb), &trusted),
      head);
  worksheet_freeze_panes(ws, 6, 0);
  for (k = 0; k < t->ni && err == LXW_NO_ERROR; k++) {
    int i = t->ord[k];
    row++;
    ayil__report_ind_name(t, i, name, sizeof(name));
    ayil__report_ind_label(t, l, i, lab, sizeof(lab));
    worksheet_write_string(ws, row, 0, name, NULL);
    worksheet_write_string(ws, row, 1, lab, NULL);
    if (t->f[e * t->ni + (size_t)i] == F_SHOW) {
      err = worksheet_write_number(ws, row, 2,
                                   (double)t->v[e * t->ni + (size_t)i], NULL);
    } else {
      ayil__report_cell_text(t, e, (size_t)i, l, 1, nb, val, sizeof(val));
      err = worksheet_write_string(ws, row, 2, val, hidden);
    }
  }
  return err;
}

int ayil__report_write_xlsx(const ayil_report_t *r, const tab_t *t,
                            const char *path, int l, int nb) {
  char(*names)[4 * SHEET_MAX + 1] = NULL, *tmp = NULL, eb[96];
  size_t *ents = NULL, n, k;
  lxw_workbook *wb = NULL;
  lxw_format *bold, *head, *hidden;
  lxw_doc_properties props;
  lxw_error err = LXW_NO_ERROR;
  int fd, trusted, rc = AYIL_EIO;

  if (path == NULL || path[0] == '\0')
    return AYIL_EINVAL;
  ents = malloc(t->ne * sizeof(*ents));
  names = calloc(t->ne, sizeof(*names));
  tmp = malloc(strlen(path) + 16);
  if (ents == NULL || names == NULL || tmp == NULL) {
    rc = AYIL_ENOMEM;
    goto done;
  }
  /* Written beside the file and renamed: never half a workbook. */
  snprintf(tmp, strlen(path) + 16, "%s.tmp-XXXXXX", path);
  fd = mkstemp(tmp);
  if (fd < 0) {
    tmp[0] = '\0';
    goto done;
  }
  close(fd);
  wb = workbook_new(tmp);
  if (wb == NULL)
    goto done;
  memset(&props, 0, sizeof(props));
  props.title = (char *)tr(l, "title");
  workbook_set_properties(wb, &props);
  bold = workbook_add_format(wb);
  format_set_bold(bold);
  format_set_font_size(bold, 14);
  head = workbook_add_format(wb);
  format_set_bold(head);
  format_set_bottom(head, LXW_BORDER_THIN);
  hidden = workbook_add_format(wb);
  format_set_italic(hidden);
  format_set_font_color(hidden, 0x666666);
  format_set_align(hidden, LXW_ALIGN_RIGHT);
  n = ayil__report_human_order(t, ents);
  for (k = 0; k < n && err == LXW_NO_ERROR; k++) {
    lxw_worksheet *ws;
    sheet_name(names, k,
               ayil__report_ent_label(t, l, ents[k], eb, sizeof(eb), &trusted));
    ws = workbook_add_worksheet(wb, names[k]);
    if (ws == NULL) {
      err = LXW_ERROR_SHEETNAME_ALREADY_USED;
      break;
    }
    err = write_sheet(ws, r, t, ents[k], l, nb, bold, head, hidden);
  }
  if (workbook_close(wb) != LXW_NO_ERROR || err != LXW_NO_ERROR)
    err = LXW_ERROR_CREATING_XLSX_FILE;
  wb = NULL;
  if (err != LXW_NO_ERROR)
    goto done;
  if (rename(tmp, path) != 0)
    goto done;
  tmp[0] = '\0';
  rc = 0;

done:
  if (tmp != NULL && tmp[0] != '\0')
    unlink(tmp);
  free(tmp);
  free(names);
  free(ents);
  return rc;
}

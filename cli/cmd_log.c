/* ayil log verify, reindex, report, status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ayil/error.h"
#include "cli.h"
#include "report.h"

int cmd_log(cli_t *c, int argc, char **argv) {
  ayil_store_verify_t v;
  char idtext[AYIL_ID_TEXT];
  int rc = cli_parse(c, argc, argv, c->first, NULL, "log");
  if (rc != 0)
    return rc;
  if (c->npos != 1 || strcmp(c->pos[0], "verify") != 0)
    return cli_err(EXIT_USAGE, "usage: ayil log verify [--json]");
  rc = cli_open(c, 0);
  if (rc != 0)
    return rc;
  rc = ayil_node_log_verify(c->node, &v);
  if (rc != 0)
    rc = cli_node_fail(c);
  cli_close(c);
  if (rc != 0)
    return rc;
  ayil_id_to_text(v.origin, idtext);
  if (c->json) {
    json_t *o = json_pack("{s:b, s:I, s:I}", "ok", !v.bad, "entries",
                          (json_int_t)v.entries_checked, "logs",
                          (json_int_t)v.origins_checked);
    if (v.bad) {
      json_object_set_new(o, "bad_entry",
                          json_pack("{s:s, s:I, s:s, s:s}", "origin", idtext,
                                    "seq", (json_int_t)v.seq, "error",
                                    ayil_err_name(v.err), "reason",
                                    ayil_strerror(v.err)));
    }
    {
      json_t *dmg = json_array();
      size_t i;
      for (i = 0; i < v.ndamage; i++) {
        char oid[AYIL_ID_TEXT], rec[AYIL_RECID_TEXT];
        ayil_id_to_text(v.damage[i].origin, oid);
        ayil_recid_to_text(v.damage[i].record, rec);
        rec[8] = '\0'; /* a prefix: enough to find it, nothing more */
        json_array_append_new(dmg, json_pack("{s:s, s:I, s:s}", "origin", oid,
                                             "seq", (json_int_t)v.damage[i].seq,
                                             "record", rec));
      }
      json_object_set_new(o, "bodies",
                          json_integer((json_int_t)v.bodies_checked));
      json_object_set_new(o, "bodies_damaged",
                          json_integer((json_int_t)v.bodies_damaged));
      json_object_set_new(o, "damaged", dmg);
      if (v.bodies_damaged > 0)
        json_object_set_new(o, "ok", json_false());
    }
    cli_print_json(o);
    json_decref(o);
  } else if (!v.bad && v.bodies_damaged == 0) {
    printf(_("ok: %llu entries in %llu logs verify\n"),
           (unsigned long long)v.entries_checked,
           (unsigned long long)v.origins_checked);
  }
  if (v.bad) {
    fprintf(stderr, _("ayil: log verify: bad entry: origin %s seq %llu: %s\n"),
            idtext, (unsigned long long)v.seq, ayil_strerror(v.err));
    return EXIT_FAIL;
  }
  if (v.bodies_damaged > 0) {
    size_t i;
    for (i = 0; i < v.ndamage; i++) {
      char oid[AYIL_ID_TEXT], rec[AYIL_RECID_TEXT];
      ayil_id_to_text(v.damage[i].origin, oid);
      ayil_recid_to_text(v.damage[i].record, rec);
      rec[8] = '\0';
      fprintf(stderr,
              _("ayil: log verify: damaged body: origin %s seq %llu "
                "(record %s...): %s\n"),
              oid, (unsigned long long)v.damage[i].seq, rec,
              ayil_strerror(AYIL_EDAMAGED));
    }
    fprintf(stderr,
            _("ayil: log verify: %llu of %llu bodies are damaged; the chains "
              "verify (%llu entries)\n"),
            (unsigned long long)v.bodies_damaged,
            (unsigned long long)v.bodies_checked,
            (unsigned long long)v.entries_checked);
    return EXIT_FAIL;
  }
  return EXIT_OK;
}

int cmd_reindex(cli_t *c, int argc, char **argv) {
  int rc = cli_parse(c, argc, argv, c->first, NULL, "reindex");
  if (rc != 0)
    return rc;
  rc = cli_open(c, 0);
  if (rc != 0)
    return rc;
  rc = ayil_node_reindex(c->node);
  if (rc != 0)
    rc = cli_node_fail(c);
  cli_close(c);
  if (rc != 0)
    return rc;
  fprintf(stderr, _("ayil: records view rebuilt from the logs\n"));
  return EXIT_OK;
}

/* The report engine is the one judge of a YYYY-MM month. */
static int valid_month(const char *m) {
  ayil_report_t *r = NULL;
  int rc = ayil_report_new(&r, m, NULL, NULL);
  ayil_report_free(r);
  return rc != AYIL_EINVAL;
}

static const cli_optdef_t REPORT_OPTS[] = {
    {"from", 1},   {"to", 1},      {"oblast", 1}, {"format", 1},
    {"lang", 1},   {"csv-sep", 1}, {"layout", 1}, {"suppress-below", 1},
    {"output", 1}, {"mapping", 1}, {NULL, 0}};

/* Why a mapping file is malformed (ayil_report_map_load), for people. */
static const char *map_why(int why) {
  switch (why) {
  case AYIL_MAP_LONG:
    return _("the line is longer than 199 bytes");
  case AYIL_MAP_NUL:
    return _("the file holds a NUL byte");
  case AYIL_MAP_SECTION:
    return _("unknown section (there are [dataset], [data_elements] and "
             "[org_units])");
  case AYIL_MAP_KEY:
    return _("unknown key: not an indicator of the report, an org unit "
             "(total, region.R, oblast.O, committee.O.NAME) or a [dataset] "
             "key (id, attribute_option_combo)");
  case AYIL_MAP_VALUE:
    return _("bad value: an id is 1 to 64 of A-Z a-z 0-9 _ - . (a data "
             "element may be followed by a category option combo)");
  case AYIL_MAP_DUPKEY:
    return _("the key is given twice");
  case AYIL_MAP_DUPID:
    return _("the same id is given to another key above");
  default:
    return _("syntax error: not [section], KEY = VALUE or a ; comment");
  }
}

/* Loads --mapping FILE for --format dhis2 or adx; an exit code on
 * failure, after saying which file and line is wrong. */
static int load_mapping(const char *path, const char *format,
                        ayil_report_map_t **m) {
  int line = 0, why = 0;
  int rc = ayil_report_map_load(path, m, &line, &why);

  if (rc == AYIL_EINVAL)
    return cli_err(EXIT_USAGE, "report: mapping %s: line %d: %s", path, line,
                   map_why(why));
  if (rc != 0)
    return cli_err(rc == AYIL_ENOMEM ? EXIT_FAIL : EXIT_USAGE,
                   "report: cannot read mapping %s: %s", path,
                   ayil_strerror(rc));
  if (strcmp(format, "adx") == 0 && !ayil_report_map_has_dataset(*m)) {
    ayil_report_map_free(*m);
    *m = NULL;
    return cli_err(EXIT_USAGE,
                   "report: mapping %s: --format adx needs [dataset] id", path);
  }
  return 0;
}

/* What an export left out, on stderr: counts only. */
static void export_said(const ayil_report_export_stats_t *st) {
  if (st->unmapped > 0)
    fprintf(stderr,
            _("ayil: report: %llu cells left out: their indicator or place "
              "has no data element or org unit in the mapping\n"),
            (unsigned long long)st->unmapped);
  if (st->suppressed > 0)
    fprintf(stderr,
            _("ayil: report: %llu suppressed cells left out (small counts "
              "are never exported)\n"),
            (unsigned long long)st->suppressed);
}

/* Writes the report to stdout, or to o->path (replacing a file of that
 * name only once the whole report is written), and says why not. */
static int write_report(const ayil_report_opts_t *o, ayil_report_t *r) {
  char tmp[4096];
  FILE *f;
  int rc, fd;

  if (o->path == NULL || strcmp(o->format, "xlsx") == 0) {
    rc = ayil_report_write_opts(r, o->path == NULL ? stdout : NULL, o);
    if (rc == AYIL_ENOTFOUND && o->map != NULL)
      return rc; /* nothing exported: the caller says why */
    if (rc != 0 && o->path != NULL)
      cli_err(EXIT_FAIL, "report: cannot write %s: %s", o->path,
              ayil_strerror(rc));
    else if (rc != 0)
      cli_err(EXIT_FAIL, "report: %s", ayil_strerror(rc));
    return rc;
  }
  if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", o->path) >= (int)sizeof tmp) {
    cli_err(EXIT_FAIL, "report: cannot write %s: %s", o->path,
            ayil_strerror(AYIL_EINVAL));
    return AYIL_EINVAL;
  }
  fd = mkstemp(tmp);
  f = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (f == NULL) {
    if (fd >= 0) {
      close(fd);
      unlink(tmp);
    }
    cli_err(EXIT_FAIL, "report: cannot write %s: %s", o->path,
            ayil_strerror(AYIL_EIO));
    return AYIL_EIO;
  }
  rc = ayil_report_write_opts(r, f, o);
  if (fclose(f) != 0 && rc == 0)
    rc = AYIL_EIO;
  if (rc == 0 && rename(tmp, o->path) != 0)
    rc = AYIL_EIO;
  if (rc != 0) {
    unlink(tmp);
    if (rc != AYIL_ENOTFOUND || o->map == NULL)
      cli_err(EXIT_FAIL, "report: cannot write %s: %s", o->path,
              ayil_strerror(rc));
  }
  return rc;
}

int cmd_report(cli_t *c, int argc, char **argv) {
  const char *from, *to, *oblast, *format, *lang, *sup, *sep, *layout, *output;
  const char *mapping;
  long suppress = AYIL_REPORT_SUPPRESS_DEFAULT;
  ayil_report_opts_t o;
  ayil_report_export_stats_t st;
  ayil_report_map_t *map = NULL;
  ayil_report_t *r = NULL;
  int export;
  uint64_t unknown = 0, bad = 0;
  int rc = cli_parse(c, argc, argv, c->first, REPORT_OPTS, "report");
  if (rc != 0)
    return rc;
  from = cli_opt(c, "from");
  to = cli_opt(c, "to");
  oblast = cli_opt(c, "oblast");
  format = cli_opt(c, "format");
  lang = cli_opt(c, "lang");
  sup = cli_opt(c, "suppress-below");
  sep = cli_opt(c, "csv-sep");
  layout = cli_opt(c, "layout");
  output = cli_opt(c, "output");
  mapping = cli_opt(c, "mapping");
  memset(&o, 0, sizeof o);
  memset(&st, 0, sizeof st);
  if (format == NULL)
    format = c->json ? "json" : "text";
  if (lang == NULL)
    lang = "en";
  if (from != NULL && !valid_month(from))
    return cli_err(EXIT_USAGE, "report: --from must be YYYY-MM");
  if (to != NULL && !valid_month(to))
    return cli_err(EXIT_USAGE, "report: --to must be YYYY-MM");
  if (from != NULL && to != NULL && strcmp(from, to) > 0)
    return cli_err(EXIT_USAGE, "report: --from is after --to");
  if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 &&
      strcmp(format, "csv") != 0 && strcmp(format, "md") != 0 &&
      strcmp(format, "html") != 0 && strcmp(format, "xlsx") != 0 &&
      strcmp(format, "dhis2") != 0 && strcmp(format, "adx") != 0)
    return cli_err(EXIT_USAGE,
                   "report: --format must be text, csv, json, md, html, "
                   "xlsx, dhis2 or adx");
  export = strcmp(format, "dhis2") == 0 || strcmp(format, "adx") == 0;
  if (export && (mapping == NULL || mapping[0] == '\0'))
    return cli_err(EXIT_USAGE, "report: --format %s needs --mapping FILE",
                   format);
  if (!export && mapping != NULL)
    return cli_err(EXIT_USAGE, "report: --mapping is for --format dhis2 or "
                               "adx");
  if (export && (from == NULL || to == NULL))
    return cli_err(EXIT_USAGE, "report: --format %s needs --from and --to",
                   format);
  if (strcmp(format, "xlsx") == 0 && (output == NULL || output[0] == '\0'))
    return cli_err(EXIT_USAGE, "report: --format xlsx needs --output FILE");
  if (strcmp(lang, "en") != 0 && strcmp(lang, "ru") != 0 &&
      strcmp(lang, "ky") != 0)
    return cli_err(EXIT_USAGE, "report: --lang must be en, ru or ky");
  if (sep != NULL) {
    if (strcmp(sep, ",") == 0 || strcmp(sep, "comma") == 0)
      o.csv_sep = ',';
    else if (strcmp(sep, ";") == 0 || strcmp(sep, "semicolon") == 0)
      o.csv_sep = ';';
    else if (strcmp(sep, "\t") == 0 || strcmp(sep, "tab") == 0)
      o.csv_sep = '\t';
    else
      return cli_err(EXIT_USAGE, "report: --csv-sep must be ',', ';' or tab");
    if (strcmp(format, "csv") != 0)
      return cli_err(EXIT_USAGE, "report: --csv-sep is for --format csv");
  }
  if (layout != NULL) {
    if (strcmp(layout, "long") != 0 && strcmp(layout, "wide") != 0)
      return cli_err(EXIT_USAGE, "report: --layout must be long or wide");
    if (strcmp(format, "csv") != 0)
      return cli_err(EXIT_USAGE, "report: --layout is for --format csv");
    o.wide = strcmp(layout, "wide") == 0;
  }
  if (sup != NULL) {
    char *end = NULL;
    suppress = strtol(sup, &end, 10);
    if (end == sup || *end != '\0' || suppress < 0 || suppress > 1000)
      return cli_err(EXIT_USAGE,
                     "report: --suppress-below must be a number 0..1000");
  }
  if (export) {
    rc = load_mapping(mapping, format, &map);
    if (rc != 0)
      return rc;
  }
  rc = cli_open(c, 0);
  if (rc != 0) {
    ayil_report_map_free(map);
    return rc;
  }
  rc = ayil_report_new(&r, from, to, oblast);
  if (rc != 0) {
    cli_close(c);
    ayil_report_map_free(map);
    return cli_err(EXIT_USAGE, "report: bad period or oblast");
  }
  if (export) {
    char period[32];
    if (ayil_report_export_period(r, format, period, sizeof period) != 0) {
      ayil_report_free(r);
      ayil_report_map_free(map);
      cli_close(c);
      return cli_err(EXIT_USAGE,
                     "report: --format dhis2 needs a period DHIS2 knows: "
                     "--from and --to one month, a calendar quarter, a half "
                     "year or a calendar year");
    }
  }
  rc = ayil_node_report(c->node, r, &unknown, &bad);
  if (rc == 0) {
    if (unknown > 0)
      fprintf(stderr,
              _("ayil: report: skipped %llu records of nodes not registered at "
                "this hub\n"),
              (unsigned long long)unknown);
    if (bad > 0)
      fprintf(stderr,
              _("ayil: report: skipped %llu records whose header is "
                "malformed\n"),
              (unsigned long long)bad);
    o.format = format;
    o.lang = lang;
    o.suppress_below = (int)suppress;
    o.path = output;
    o.map = map;
    o.stats = &st;
    rc = write_report(&o, r);
    if (export && (rc == 0 || rc == AYIL_ENOTFOUND))
      export_said(&st);
    if (rc == AYIL_ENOTFOUND && export && st.exported == 0) {
      if (st.suppressed == 0)
        cli_err(EXIT_FAIL,
                "report: nothing exported: no cell of the report has both a "
                "data element and an org unit in mapping %s",
                mapping);
      else
        cli_err(EXIT_FAIL,
                "report: nothing exported: every cell mapped in %s is "
                "suppressed",
                mapping);
    }
  } else {
    cli_node_fail(c);
  }
  ayil_report_free(r);
  ayil_report_map_free(map);
  cli_close(c);
  return rc != 0 ? EXIT_FAIL : EXIT_OK;
}

int cmd_status(cli_t *c, int argc, char **argv) {
  char idtext[AYIL_ID_TEXT];
  int rc = cli_parse(c, argc, argv, c->first, NULL, "status");
  if (rc != 0)
    return rc;
  rc = cli_open(c, 1);
  if (rc != 0)
    return rc;
  ayil_id_to_text(ayil_node_id(c->node), idtext);
  rc = cli_status(c, idtext);
  cli_close(c);
  return rc;
}

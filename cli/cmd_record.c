/* ayil record add|update|delete|show|list, and ayil schema. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "ayil/error.h"
#include "ayil/schema.h"
#include "cli.h"
#include "fsutil.h"
#include "record.h"

/* Record input larger than this is refused before parsing: a record's text
 * fields are at most 16 KiB each. */
#define INPUT_MAX (1024 * 1024)

static int read_input(cli_t *c, json_t **out) {
  const char *src = cli_opt(c, "json");
  uint8_t *buf = NULL;
  size_t len = 0;
  json_error_t jerr;
  int rc;
  if (src == NULL || strcmp(src, "-") == 0)
    rc = ayil_fs_read_fd(0, INPUT_MAX, &buf, &len);
  else
    rc = ayil_fs_read(src, INPUT_MAX, &buf, &len);
  if (rc == AYIL_ETOOBIG)
    return cli_err(EXIT_USAGE, "record input %s is larger than %d bytes",
                   src != NULL ? src : "-", INPUT_MAX);
  if (rc != 0)
    return cli_err(EXIT_USAGE, "record input %s: %s", src != NULL ? src : "-",
                   ayil_strerror(rc));
  *out = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
  sodium_memzero(buf, len);
  free(buf);
  if (*out == NULL)
    /* jansson's text names the position, never the content. */
    return cli_err(EXIT_USAGE,
                   "record input is not valid JSON: line %d, "
                   "column %d",
                   jerr.line, jerr.column);
  if (!json_is_object(*out)) {
    json_decref(*out);
    return cli_err(EXIT_USAGE, "record input must be a JSON object");
  }
  return 0;
}

static int print_id(cli_t *c, const uint8_t id[AYIL_RECID_BYTES]) {
  char t[AYIL_RECID_TEXT];
  ayil_recid_to_text(id, t);
  if (c->json) {
    json_t *o = json_pack("{s:s}", "id", t);
    int rc = cli_print_json(o);
    json_decref(o);
    return rc;
  }
  printf("%s\n", t);
  return EXIT_OK;
}

static int need_committee(cli_t *c, const char *what) {
  if (strcmp(c->conf.role, "committee") != 0)
    return cli_err(EXIT_USAGE,
                   "%s: records are entered on a committee node; "
                   "this is a %s",
                   what, c->conf.role);
  return 0;
}

static int record_add(cli_t *c) {
  json_t *in = NULL;
  uint8_t id[AYIL_RECID_BYTES];
  int rc;
  if (c->npos != 2)
    return cli_err(EXIT_USAGE, "usage: ayil record add KIND [--json FILE|-]");
  rc = read_input(c, &in);
  if (rc != 0)
    return rc;
  rc = ayil_node_record_add(c->node, c->pos[1], in, id);
  json_decref(in);
  return rc != 0 ? cli_node_fail(c) : print_id(c, id);
}

static int record_update(cli_t *c) {
  ayil_node_record_t r;
  json_t *in = NULL;
  uint8_t id[AYIL_RECID_BYTES];
  int rc;
  if (c->npos != 2)
    return cli_err(EXIT_USAGE, "usage: ayil record update ID [--json FILE|-]");
  /* An unknown id is named before the input is read. */
  rc = ayil_node_record_get(c->node, c->pos[1], NULL, &r);
  ayil_node_record_clear(&r);
  if (rc != 0)
    return cli_node_fail(c);
  rc = read_input(c, &in);
  if (rc != 0)
    return rc;
  rc = ayil_node_record_update(c->node, c->pos[1], in, cli_unlock(c), id);
  json_decref(in);
  return rc != 0 ? cli_node_fail(c) : print_id(c, id);
}

static int record_delete(cli_t *c) {
  uint8_t id[AYIL_RECID_BYTES];
  if (c->npos != 2)
    return cli_err(EXIT_USAGE, "usage: ayil record delete ID");
  if (ayil_node_record_delete(c->node, c->pos[1], id) != 0)
    return cli_node_fail(c);
  return print_id(c, id);
}

static json_t *record_json(const ayil_node_record_t *r) {
  json_t *o = json_pack("{s:s, s:s, s:s, s:O}", "id", r->idtext, "kind",
                        r->kind, "month", r->month, "header", r->header);
  if (r->body != NULL)
    json_object_set(o, "body", r->body);
  return o;
}

static void print_value(const json_t *v) {
  size_t i;
  json_t *x;
  if (json_is_string(v))
    fputs(json_string_value(v), stdout);
  else if (json_is_integer(v))
    printf("%lld", (long long)json_integer_value(v));
  else if (json_is_boolean(v))
    fputs(json_is_true(v) ? "yes" : "no", stdout);
  else if (json_is_array(v)) {
    json_array_foreach(v, i, x) {
      if (i > 0)
        fputs(", ", stdout);
      print_value(x);
    }
  }
}

static void print_fields(const char *title, const json_t *o) {
  const char *k;
  json_t *v;
  printf("%s:\n", title);
  json_object_foreach((json_t *)o, k, v) {
    printf("  %-22s ", k);
    print_value(v);
    putchar('\n');
  }
}

static int record_show(cli_t *c) {
  ayil_node_record_t r;
  json_t *o;
  int rc;
  if (c->npos != 2)
    return cli_err(EXIT_USAGE, "usage: ayil record show ID [--json]");
  if (ayil_node_record_get(c->node, c->pos[1], cli_unlock(c), &r) != 0)
    return cli_node_fail(c);
  o = record_json(&r);
  if (c->json) {
    rc = cli_print_json(o);
  } else {
    printf("id     %s\nkind   %s\nmonth  %s\n", r.idtext, r.kind, r.month);
    print_fields("header", r.header);
    print_fields("body", r.body);
    rc = EXIT_OK;
  }
  json_decref(o);
  ayil_node_record_clear(&r);
  return rc;
}

static int list_row(void *ctx, const ayil_node_record_t *r) {
  json_t *arr = ctx;
  return json_array_append_new(arr, record_json(r)) != 0;
}

static const cli_optdef_t LIST_OPTS[] = {
    {"kind", 1}, {"with-body", 0}, {"recovery-kit", 1}, {"as", 1}, {NULL, 0}};

static int record_list(cli_t *c) {
  const char *kind = cli_opt(c, "kind");
  int with_body = cli_opt(c, "with-body") != NULL;
  json_t *arr = json_array();
  size_t i;
  json_t *o;
  int rc;
  rc = ayil_node_record_list(c->node, kind, with_body ? cli_unlock(c) : NULL,
                             list_row, arr);
  if (rc != 0) {
    json_decref(arr);
    return rc < 0 ? cli_node_fail(c) : cli_err(EXIT_FAIL, "out of memory");
  }
  if (c->json) {
    rc = cli_print_json(arr);
  } else {
    json_array_foreach(arr, i, o) {
      const char *k;
      json_t *v;
      printf("%s  %-16s %s ", json_string_value(json_object_get(o, "id")),
             json_string_value(json_object_get(o, "kind")),
             json_string_value(json_object_get(o, "month")));
      json_object_foreach(json_object_get(o, "header"), k, v) {
        if (strcmp(k, "kind") == 0 || strcmp(k, "month") == 0)
          continue;
        printf(" %s=", k);
        print_value(v);
      }
      putchar('\n');
      if (with_body)
        print_fields("  body", json_object_get(o, "body"));
    }
    rc = EXIT_OK;
  }
  json_decref(arr);
  return rc;
}

static const cli_optdef_t RECORD_OPTS[] = {
    {"json", 1}, {"recovery-kit", 1}, {"as", 1}, {NULL, 0}};

int cmd_record(cli_t *c, int argc, char **argv) {
  const char *sub = c->first < argc ? argv[c->first] : NULL;
  const cli_optdef_t *defs = RECORD_OPTS;
  int rc;
  if (sub == NULL)
    return cli_err(EXIT_USAGE, "record: add, update, delete, show or list?");
  if (strcmp(sub, "list") == 0)
    defs = LIST_OPTS;
  else if (strcmp(sub, "show") == 0 || strcmp(sub, "delete") == 0)
    defs = RECORD_OPTS + 1; /* there --json is the common flag */
  rc = cli_parse(c, argc, argv, c->first, defs, "record");
  if (rc != 0)
    return rc;
  if (strcmp(sub, "add") != 0 && strcmp(sub, "update") != 0 &&
      strcmp(sub, "delete") != 0 && strcmp(sub, "show") != 0 &&
      strcmp(sub, "list") != 0)
    return cli_err(EXIT_USAGE, "record: unknown subcommand (it is not shown; "
                               "see ayil record --help)");
  rc = cli_open(c, 1);
  if (rc != 0)
    return rc;
  rc = need_committee(c, "record");
  if (rc == 0) {
    if (strcmp(sub, "add") == 0)
      rc = record_add(c);
    else if (strcmp(sub, "update") == 0)
      rc = record_update(c);
    else if (strcmp(sub, "delete") == 0)
      rc = record_delete(c);
    else if (strcmp(sub, "show") == 0)
      rc = record_show(c);
    else
      rc = record_list(c);
  }
  cli_close(c);
  return rc;
}

int cmd_schema(cli_t *c, int argc, char **argv) {
  const char *kind;
  int rc = cli_parse(c, argc, argv, c->first, NULL, "schema");
  if (rc != 0)
    return rc;
  kind = c->npos > 0 ? c->pos[0] : NULL;
  if (kind != NULL && ayil_schema_kind(kind) == NULL)
    return cli_err(EXIT_USAGE, "unknown record kind (see ayil schema)");
  if (c->json) {
    json_t *o = ayil_schema_to_json(kind);
    rc = cli_print_json(o);
    json_decref(o);
    return rc;
  }
  ayil_schema_print(stdout, kind);
  return EXIT_OK;
}

/* ayil record add|update|delete|show|list, and ayil schema. */
#include <stdio.h>
#include <strings.h>
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

/* Where the record's input comes from: --file FILE, the old spellings
 * --json=FILE and --json FILE (see old_json_file), else standard input
 * (NULL or "-"). */
static const char *input_src(const cli_t *c) {
  const char *j = cli_opt(c, "json");
  if (cli_opt(c, "file") != NULL)
    return cli_opt(c, "file");
  return j != NULL && j[0] != '\0' ? j : NULL;
}

static int read_input(cli_t *c, json_t **out) {
  const char *src = input_src(c);
  uint8_t *buf = NULL;
  size_t len = 0, skip;
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
  /* Some Windows editors start UTF-8 with a byte-order mark: not JSON, but
   * not a mistake either. It is skipped. */
  skip = len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
  *out = json_loadb((const char *)buf + skip, len - skip,
                    JSON_REJECT_DUPLICATES, &jerr);
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

/* ---- asking field by field at a terminal ---- */

/* Tries of one answer, and of the whole record after the node refused a
 * field: every loop is bounded. */
#define ASK_TRIES 50
#define ADD_TRIES 20

typedef struct {
  const ayil_kind_t *k;
  const char *lang;
  char ctx[96]; /* "field.KIND" */
} ask_t;

/* One line from the terminal without its newline; NULL at end of input.
 * Free with line_free (it may hold a name). */
static char *read_line(size_t *len) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  fflush(stderr);
  n = getline(&line, &cap, stdin);
  if (n < 0) {
    if (line != NULL)
      sodium_memzero(line, cap);
    free(line);
    return NULL;
  }
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    line[--n] = '\0';
  *len = (size_t)n;
  return line;
}

static void line_free(char *line, size_t len) {
  if (line != NULL)
    sodium_memzero(line, len);
  free(line);
}

/* The first and last non-blank characters of s, in place. */
static char *trim(char *s) {
  char *e;
  while (*s == ' ' || *s == '\t')
    s++;
  e = s + strlen(s);
  while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
    *--e = '\0';
  return s;
}

static const char *field_label(const ask_t *a, const ayil_field_t *f) {
  return ayil_trc(a->lang, AYIL_DOMAIN, a->ctx, f->name);
}

static const char *code_label(const ask_t *a, const ayil_field_t *f,
                              const char *code) {
  char ctx[160];
  snprintf(ctx, sizeof ctx, "code.%s.%s", a->k->name, f->name);
  return ayil_trc(a->lang, AYIL_DOMAIN, ctx, code);
}

/* The index of a code typed as its number (1..n) or as the code, or -1. */
static int code_pick(const ayil_field_t *f, const char *t) {
  char *end = NULL;
  long v;
  if (t[0] >= '0' && t[0] <= '9') {
    v = strtol(t, &end, 10);
    if (*end == '\0' && v >= 1 && (size_t)v <= f->ncodes)
      return (int)v - 1;
  }
  return ayil_field_code_index(f, t);
}

static int is_word(const char *t, const char *const *words) {
  size_t i;
  for (i = 0; words[i] != NULL; i++)
    if (strcasecmp(t, words[i]) == 0)
      return 1;
  return 0;
}

static int valid_date(const char *t) {
  size_t i;
  if (strlen(t) != 10 || t[4] != '-' || t[7] != '-')
    return 0;
  for (i = 0; i < 10; i++)
    if (i != 4 && i != 7 && (t[i] < '0' || t[i] > '9'))
      return 0;
  return 1;
}

/* Parses one answer `t` (not empty) for `f` into *v. Returns 0, or 1 after
 * saying what is expected. */
static int parse_answer(const ayil_field_t *f, char *t, json_t **v) {
  static const char *const yes[] = {"y", "yes",  "да",   "Да",   "ДА",
                                    "д", "ооба", "Ооба", "ООБА", NULL};
  static const char *const no[] = {"n", "no",  "нет", "Нет", "НЕТ",
                                   "н", "жок", "Жок", "ЖОК", NULL};
  *v = NULL;
  switch (f->type) {
  case AYIL_FT_CODE: {
    int i = code_pick(f, t);
    if (i < 0) {
      fprintf(stderr, _("  Type a number from 1 to %d, or the code.\n"),
              (int)f->ncodes);
      return 1;
    }
    *v = json_string(f->codes[i]);
    return 0;
  }
  case AYIL_FT_CODES: {
    char seen[64] = {0};
    char *save = NULL, *tok;
    size_t i, n = 0;
    for (tok = strtok_r(t, ", ", &save); tok != NULL && n < 64;
         tok = strtok_r(NULL, ", ", &save), n++) {
      int k = code_pick(f, tok);
      if (k < 0 || k >= 64) {
        fprintf(stderr,
                _("  Type numbers from 1 to %d (or codes) separated by "
                  "commas.\n"),
                (int)f->ncodes);
        return 1;
      }
      seen[k] = 1;
    }
    *v = json_array();
    for (i = 0; i < f->ncodes && i < 64; i++)
      if (seen[i])
        json_array_append_new(*v, json_string(f->codes[i]));
    return 0;
  }
  case AYIL_FT_BOOL:
    if (is_word(t, yes))
      *v = json_true();
    else if (is_word(t, no))
      *v = json_false();
    else {
      fprintf(stderr, "%s", _("  Answer y or n.\n"));
      return 1;
    }
    return 0;
  case AYIL_FT_DATE:
    if (!valid_date(t)) {
      fprintf(stderr, "%s", _("  Type the date as YYYY-MM-DD.\n"));
      return 1;
    }
    *v = json_string(t);
    return 0;
  case AYIL_FT_COUNT: {
    char *end = NULL;
    long long n = strtoll(t, &end, 10);
    if (t[0] < '0' || t[0] > '9' || *end != '\0' || n < 0 ||
        n > AYIL_COUNT_MAX) {
      fprintf(stderr, _("  Type a whole number from 0 to %d.\n"),
              AYIL_COUNT_MAX);
      return 1;
    }
    *v = json_integer(n);
    return 0;
  }
  case AYIL_FT_CASE: {
    size_t i, len = strlen(t);
    for (i = 0; i < len && i < AYIL_CASE_LEN; i++)
      if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'a' && t[i] <= 'f') ||
            (t[i] >= 'A' && t[i] <= 'F')))
        break;
    if (len != AYIL_CASE_LEN || i != len) {
      fprintf(stderr, "%s",
              _("  Type the case's record id (32 hex characters, as ayil "
                "record list shows it).\n"));
      return 1;
    }
    *v = json_string(t);
    return 0;
  }
  case AYIL_FT_TEXT:
  default:
    if (strlen(t) > AYIL_TEXT_MAX) {
      fprintf(stderr, _("  The text is longer than %d bytes.\n"),
              AYIL_TEXT_MAX);
      return 1;
    }
    *v = json_string(t);
    return 0;
  }
}

/* Asks field `f` until it gets a valid answer and stores it in `in` (an
 * empty answer removes an optional field). Returns 0, or an exit code at
 * the end of input. */
static int ask_field(const ask_t *a, const ayil_field_t *f, int required,
                     json_t *in) {
  const char *label = field_label(a, f);
  int tries;
  size_t i;
  fputc('\n', stderr);
  if (strcmp(label, f->name) != 0)
    fprintf(stderr, "%s (%s)", label, f->name);
  else
    fputs(f->name, stderr);
  fprintf(stderr, " - %s%s\n",
          required ? _("required") : _("optional, Enter skips"),
          f->cls == AYIL_CLASS_I ? _("; identifying: stored sealed") : "");
  if (f->type == AYIL_FT_CODE || f->type == AYIL_FT_CODES) {
    for (i = 0; i < f->ncodes; i++) {
      const char *cl = code_label(a, f, f->codes[i]);
      if (strcmp(cl, f->codes[i]) != 0)
        fprintf(stderr, "  %2zu) %s (%s)\n", i + 1, cl, f->codes[i]);
      else
        fprintf(stderr, "  %2zu) %s\n", i + 1, f->codes[i]);
    }
  }
  for (tries = 0; tries < ASK_TRIES; tries++) {
    const char *hint = "";
    size_t len = 0;
    char *line, *t;
    json_t *v = NULL;
    int bad;
    switch (f->type) {
    case AYIL_FT_CODE:
      hint = _("number");
      break;
    case AYIL_FT_CODES:
      hint = _("numbers, separated by commas");
      break;
    case AYIL_FT_BOOL:
      hint = _("y/n");
      break;
    case AYIL_FT_DATE:
      hint = _("YYYY-MM-DD");
      break;
    case AYIL_FT_COUNT:
      hint = _("a number");
      break;
    case AYIL_FT_CASE:
      hint = _("record id");
      break;
    default:
      hint = _("text");
      break;
    }
    fprintf(stderr, "  [%s] > ", hint);
    line = read_line(&len);
    if (line == NULL) {
      fputc('\n', stderr);
      return cli_err(EXIT_USAGE, "record add: cancelled; nothing was written");
    }
    t = trim(line);
    if (t[0] == '\0') {
      line_free(line, len);
      if (!required) {
        json_object_del(in, f->name);
        return 0;
      }
      fprintf(stderr, "%s", _("  This field is required.\n"));
      continue;
    }
    bad = parse_answer(f, t, &v);
    line_free(line, len);
    if (bad)
      continue;
    if (v == NULL)
      return cli_err(EXIT_FAIL, "out of memory");
    json_object_set_new(in, f->name, v);
    return 0;
  }
  return cli_err(EXIT_USAGE, "record add: too many tries; nothing was "
                             "written");
}

/* The field of the kind that a refusal names ("...field \"NAME\"..."), or
 * NULL. */
static const ayil_field_t *refused_field(const ayil_kind_t *k,
                                         const char *msg) {
  size_t i;
  for (i = 0; i < k->nfields; i++) {
    char q[80];
    snprintf(q, sizeof q, "\"%s\"", k->fields[i].name);
    if (strstr(msg, q) != NULL)
      return &k->fields[i];
  }
  return NULL;
}

/*
 * `ayil record add KIND` at a terminal: asks each field of the kind, then
 * adds the record as the JSON path does. Nothing typed goes to argv or the
 * shell's history. When the node refuses a field, says why and asks that
 * field again.
 */
static int record_add_ask(cli_t *c, uint8_t id[AYIL_RECID_BYTES]) {
  ask_t a;
  json_t *in;
  size_t i;
  int rc = 0, tries;
  memset(&a, 0, sizeof a);
  a.k = ayil_schema_kind(c->pos[1]);
  if (a.k == NULL)
    return cli_err(EXIT_USAGE, "unknown record kind (see ayil schema)");
  a.lang = cli_lang();
  snprintf(a.ctx, sizeof a.ctx, "field.%s", a.k->name);
  in = json_object();
  if (in == NULL)
    return cli_err(EXIT_FAIL, "out of memory");
  fprintf(stderr,
          _("New record: %s. Answer each field and press Enter; Enter "
            "alone skips an optional field, Ctrl-D cancels.\n"),
          ayil_trc(a.lang, AYIL_DOMAIN, "kind", a.k->name));
  for (i = 0; i < a.k->nfields && rc == 0; i++)
    rc = ask_field(&a, &a.k->fields[i], a.k->fields[i].required, in);
  for (tries = 0; rc == 0 && tries < ADD_TRIES; tries++) {
    const ayil_node_err_t *e;
    const ayil_field_t *f;
    if (ayil_node_record_add(c->node, a.k->name, in, id) == 0)
      break;
    e = ayil_node_error(c->node);
    f = e->input ? refused_field(a.k, e->msg) : NULL;
    if (f == NULL) {
      rc = cli_node_fail(c);
      break;
    }
    fprintf(stderr, "ayil: %s\n", e->msg);
    rc = ask_field(&a, f, 1, in);
  }
  if (rc == 0 && tries == ADD_TRIES)
    rc = cli_err(EXIT_USAGE, "record add: too many tries; nothing was "
                             "written");
  json_decref(in);
  return rc;
}

static int record_add(cli_t *c) {
  json_t *in = NULL;
  uint8_t id[AYIL_RECID_BYTES];
  int rc;
  if (c->npos != 2)
    return cli_err(EXIT_USAGE,
                   "usage: ayil record add KIND [--file FILE|-] [--json]");
  if (input_src(c) == NULL && isatty(0)) {
    rc = record_add_ask(c, id);
    return rc != 0 ? rc : print_id(c, id);
  }
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
    return cli_err(EXIT_USAGE,
                   "usage: ayil record update ID [--file FILE|-] [--json]");
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

/* The options of every subcommand, parsed before the subcommand is known
 * (it may come after them: `ayil record --json list`); sub_opt_ok says
 * which apply to which. In add and update, --json alone asks for JSON
 * output; --json=FILE and `--json FILE` (CLI.md's first spelling of
 * --file) name the input. */
static const cli_optdef_t RECORD_OPTS[] = {
    {"json", CLI_ARG_OPTIONAL}, {"file", 1}, {"kind", 1}, {"with-body", 0},
    {"recovery-kit", 1},        {"as", 1},   {NULL, 0}};

static int sub_opt_ok(const char *sub, const char *opt) {
  int input = strcmp(sub, "add") == 0 || strcmp(sub, "update") == 0;
  if (strcmp(opt, "file") == 0)
    return input;
  if (strcmp(opt, "kind") == 0 || strcmp(opt, "with-body") == 0)
    return strcmp(sub, "list") == 0;
  return 1;
}

/*
 * `record add KIND --json FILE`: the argument right after a bare --json,
 * left over after KIND (or ID), is the input file, and the output stays
 * text as it always was. Rewrites c as if --json=FILE had been given.
 */
static int old_json_file(cli_t *c) {
  if (!c->json || c->json_next == NULL || c->npos != 3 ||
      c->pos[2] != c->json_next || c->nopts >= CLI_MAX_OPTS)
    return 0;
  c->json = 0;
  c->npos = 2;
  c->opt_name[c->nopts] = "json";
  c->opt_val[c->nopts++] = c->pos[2];
  return 1;
}

int cmd_record(cli_t *c, int argc, char **argv) {
  const char *sub, *j;
  int rc, i;
  rc = cli_parse(c, argc, argv, c->first, RECORD_OPTS, "record");
  if (rc != 0)
    return rc;
  if (c->npos == 0)
    return cli_err(EXIT_USAGE, "record: add, update, delete, show or list?");
  sub = c->pos[0];
  if (strcmp(sub, "add") != 0 && strcmp(sub, "update") != 0 &&
      strcmp(sub, "delete") != 0 && strcmp(sub, "show") != 0 &&
      strcmp(sub, "list") != 0)
    return cli_err(EXIT_USAGE, "record: unknown subcommand (it is not shown; "
                               "see ayil record --help)");
  if (strcmp(sub, "add") == 0 || strcmp(sub, "update") == 0)
    (void)old_json_file(c);
  else if ((j = cli_opt(c, "json")) != NULL && j[0] != '\0')
    return cli_err(EXIT_USAGE, "%s: option --%s takes no value", "record",
                   "json");
  for (i = 0; i < c->nopts; i++)
    if (!sub_opt_ok(sub, c->opt_name[i]))
      return cli_err(EXIT_USAGE,
                     "record %s: option --%s is not one of its options (see "
                     "ayil record --help)",
                     sub, c->opt_name[i]);
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

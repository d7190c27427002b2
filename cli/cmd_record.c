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

static int reader_pk(cli_t *c, uint8_t pk[AYIL_READER_PK_BYTES]) {
  char path[AYIL_PATH_MAX];
  int rc;
  cli_path(c, "reader.key", path, sizeof path);
  rc = ayil_reader_pk(path, pk);
  if (rc != 0)
    return cli_err(EXIT_FAIL, "reader key %s: %s", path, ayil_strerror(rc));
  return 0;
}

/* Packs, checks and seals: header bytes into *hdr, sealed body into *sealed
 * (when body != NULL). */
static int encode_record(cli_t *c, const json_t *header, const json_t *body,
                         uint8_t **hdr, size_t *hlen, uint8_t **sealed,
                         size_t *slen) {
  uint8_t pk[AYIL_READER_PK_BYTES];
  uint8_t *plain = NULL;
  size_t plen = 0;
  char err[256];
  int rc;
  *hdr = NULL;
  *sealed = NULL;
  /* The encoder's guard: nothing identifying ever reaches a header. */
  if (ayil_record_check_header(header, err, sizeof err) != 0)
    return cli_err(EXIT_FAIL, "internal: %s", err);
  rc = ayil_record_pack(header, hdr, hlen);
  if (rc == 0 && *hlen > AYIL_HEADER_MAX)
    rc = AYIL_ETOOBIG;
  if (rc != 0)
    return cli_err(EXIT_USAGE, "record header: %s", ayil_strerror(rc));
  if (body == NULL)
    return 0;
  rc = reader_pk(c, pk);
  if (rc != 0)
    return rc;
  rc = ayil_record_pack(body, &plain, &plen);
  if (rc == 0)
    rc = ayil_body_seal(plain, plen, pk, sealed, slen);
  if (plain != NULL) {
    sodium_memzero(plain, plen);
    free(plain);
  }
  if (rc != 0)
    return cli_err(EXIT_USAGE, "record body: %s", ayil_strerror(rc));
  return 0;
}

static int write_failed(int rc) {
  if (rc == AYIL_EFULL)
    return cli_err(EXIT_FAIL, "store: disk full; nothing was written");
  return cli_err(EXIT_FAIL, "store: %s; nothing was written",
                 ayil_strerror(rc));
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
  json_t *in = NULL, *header = NULL, *body = NULL;
  uint8_t *hdr = NULL, *sealed = NULL;
  size_t hlen = 0, slen = 0;
  uint8_t id[AYIL_RECID_BYTES];
  char err[512];
  int rc;
  if (c->npos != 2)
    return cli_err(EXIT_USAGE, "usage: ayil record add KIND [--json FILE|-]");
  rc = read_input(c, &in);
  if (rc != 0)
    return rc;
  rc = ayil_record_build(c->pos[1], in, NULL, NULL, &header, &body, err,
                         sizeof err);
  json_decref(in);
  if (rc != 0)
    return cli_err(EXIT_USAGE, "%s", err);
  rc = encode_record(c, header, body, &hdr, &hlen, &sealed, &slen);
  if (rc == 0) {
    randombytes_buf(id, sizeof id);
    rc = ayil_store_write_local(c->store, c->ident.sk, AYIL_OP_PUT, id, hdr,
                                hlen, sealed, slen, NULL, NULL);
    rc = rc != 0 ? write_failed(rc) : print_id(c, id);
  }
  json_decref(header);
  json_decref(body);
  free(hdr);
  free(sealed);
  return rc;
}

static int load_row(cli_t *c, const char *text, ayil_store_row_t *row) {
  uint8_t id[AYIL_RECID_BYTES];
  int rc;
  if (ayil_recid_from_text(text, id) != 0)
    return cli_err(EXIT_USAGE,
                   "\"%.40s\" is not a record id (32 hex "
                   "characters)",
                   text);
  rc = ayil_store_record(c->store, id, row);
  if (rc == AYIL_ENOTFOUND || (rc == 0 && row->deleted)) {
    ayil_store_row_clear(row);
    return cli_err(EXIT_USAGE, "record %s not found", text);
  }
  if (rc != 0)
    return cli_err(EXIT_FAIL, "store: %s", ayil_strerror(rc));
  return 0;
}

/* Opens a row's body into JSON; needs the reader secret. */
static int open_body(cli_t *c, const ayil_store_row_t *row,
                     const uint8_t sk[AYIL_READER_SK_BYTES], json_t **out) {
  uint8_t pk[AYIL_READER_PK_BYTES];
  uint8_t *sealed = NULL, *plain = NULL;
  size_t slen = 0, plen = 0;
  int rc;
  *out = NULL;
  if (!row->has_body)
    return 0;
  rc = reader_pk(c, pk);
  if (rc != 0)
    return rc;
  rc = ayil_store_body(c->store, row->body_hash, &sealed, &slen);
  if (rc == AYIL_ENOTFOUND)
    return 0; /* purged */
  if (rc != 0)
    return cli_err(EXIT_FAIL, "store: %s", ayil_strerror(rc));
  rc = ayil_body_open(sealed, slen, pk, sk, &plain, &plen);
  free(sealed);
  if (rc != 0)
    return cli_err(EXIT_FAIL, "a record body does not open with this "
                              "committee's reader key");
  rc = ayil_record_unpack(plain, plen, out);
  sodium_memzero(plain, plen);
  free(plain);
  if (rc != 0)
    return cli_err(EXIT_FAIL, "a record body is malformed: %s",
                   ayil_strerror(rc));
  return 0;
}

static int record_update(cli_t *c) {
  ayil_store_row_t row;
  json_t *in = NULL, *old_h = NULL, *old_b = NULL, *header = NULL, *body = NULL;
  uint8_t *hdr = NULL, *sealed = NULL;
  size_t hlen = 0, slen = 0;
  uint8_t sk[AYIL_READER_SK_BYTES];
  char err[512];
  const char *kind;
  int rc;
  memset(&row, 0, sizeof row);
  if (c->npos != 2)
    return cli_err(EXIT_USAGE, "usage: ayil record update ID [--json FILE|-]");
  rc = load_row(c, c->pos[1], &row);
  if (rc != 0)
    return rc;
  rc = read_input(c, &in);
  if (rc != 0)
    goto out;
  if (ayil_record_unpack(row.header, row.header_len, &old_h) != 0) {
    rc = cli_err(EXIT_FAIL, "record %s: stored header is malformed", c->pos[1]);
    goto out;
  }
  kind = json_string_value(json_object_get(old_h, "kind"));
  if (ayil_record_touches_body(kind, in)) {
    rc = cli_reader_secret(c, sk);
    if (rc != 0)
      goto out;
    rc = open_body(c, &row, sk, &old_b);
    sodium_memzero(sk, sizeof sk);
    if (rc != 0)
      goto out;
    if (old_b == NULL)
      old_b = json_object();
  }
  rc = ayil_record_build(kind, in, old_h, old_b, &header, &body, err,
                         sizeof err);
  if (rc != 0) {
    rc = cli_err(EXIT_USAGE, "%s", err);
    goto out;
  }
  rc = encode_record(c, header, body, &hdr, &hlen, &sealed, &slen);
  if (rc != 0)
    goto out;
  rc = ayil_store_write_local(
      c->store, c->ident.sk, AYIL_OP_PUT, row.id, hdr, hlen, sealed, slen,
      body == NULL && row.has_body ? row.body_hash : NULL, NULL);
  rc = rc != 0 ? write_failed(rc) : print_id(c, row.id);
out:
  json_decref(in);
  json_decref(old_h);
  json_decref(old_b);
  json_decref(header);
  json_decref(body);
  free(hdr);
  free(sealed);
  ayil_store_row_clear(&row);
  return rc;
}

static int record_delete(cli_t *c) {
  ayil_store_row_t row;
  int rc;
  memset(&row, 0, sizeof row);
  if (c->npos != 2)
    return cli_err(EXIT_USAGE, "usage: ayil record delete ID");
  rc = load_row(c, c->pos[1], &row);
  if (rc != 0)
    return rc;
  rc = ayil_store_write_local(c->store, c->ident.sk, AYIL_OP_DELETE, row.id,
                              NULL, 0, NULL, 0, NULL, NULL);
  rc = rc != 0 ? write_failed(rc) : print_id(c, row.id);
  ayil_store_row_clear(&row);
  return rc;
}

static json_t *row_json(const ayil_store_row_t *row, json_t *body) {
  char t[AYIL_RECID_TEXT];
  json_t *h = NULL;
  json_t *o;
  ayil_recid_to_text(row->id, t);
  if (ayil_record_unpack(row->header, row->header_len, &h) != 0)
    h = json_null();
  o = json_pack("{s:s, s:s, s:s, s:o}", "id", t, "kind", row->kind, "month",
                row->month, "header", h);
  if (body != NULL)
    json_object_set(o, "body", body);
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
  ayil_store_row_t row;
  uint8_t sk[AYIL_READER_SK_BYTES];
  json_t *body = NULL, *o;
  int rc;
  memset(&row, 0, sizeof row);
  if (c->npos != 2)
    return cli_err(EXIT_USAGE, "usage: ayil record show ID [--json]");
  rc = load_row(c, c->pos[1], &row);
  if (rc != 0)
    return rc;
  rc = cli_reader_secret(c, sk);
  if (rc == 0) {
    rc = open_body(c, &row, sk, &body);
    sodium_memzero(sk, sizeof sk);
  }
  if (rc != 0) {
    ayil_store_row_clear(&row);
    return rc;
  }
  if (body == NULL)
    body = json_object(); /* purged or none */
  o = row_json(&row, body);
  if (c->json) {
    rc = cli_print_json(o);
  } else {
    printf("id     %s\nkind   %s\nmonth  %s\n",
           json_string_value(json_object_get(o, "id")), row.kind, row.month);
    print_fields("header", json_object_get(o, "header"));
    print_fields("body", body);
    rc = EXIT_OK;
  }
  json_decref(o);
  json_decref(body);
  ayil_store_row_clear(&row);
  return rc;
}

typedef struct {
  cli_t *c;
  json_t *arr;
  int with_body;
  uint8_t sk[AYIL_READER_SK_BYTES];
  int err;
} list_ctx_t;

static int list_row(void *ctx, const ayil_store_row_t *row) {
  list_ctx_t *lc = ctx;
  json_t *body = NULL;
  if (lc->with_body) {
    int rc = open_body(lc->c, row, lc->sk, &body);
    if (rc != 0) {
      lc->err = rc;
      return 1;
    }
    if (body == NULL)
      body = json_object();
  }
  json_array_append_new(lc->arr, row_json(row, body));
  json_decref(body);
  return 0;
}

static const cli_optdef_t LIST_OPTS[] = {
    {"kind", 1}, {"with-body", 0}, {"recovery-kit", 1}, {NULL, 0}};

static int record_list(cli_t *c) {
  list_ctx_t lc;
  const char *kind = cli_opt(c, "kind");
  size_t i;
  json_t *o;
  int rc;
  memset(&lc, 0, sizeof lc);
  lc.c = c;
  lc.arr = json_array();
  lc.with_body = cli_opt(c, "with-body") != NULL;
  if (kind != NULL && ayil_schema_kind(kind) == NULL) {
    json_decref(lc.arr);
    return cli_err(EXIT_USAGE, "unknown record kind (see ayil schema)");
  }
  if (lc.with_body) {
    rc = cli_reader_secret(c, lc.sk);
    if (rc != 0) {
      json_decref(lc.arr);
      return rc;
    }
  }
  rc = ayil_store_records(c->store, kind, list_row, &lc);
  sodium_memzero(lc.sk, sizeof lc.sk);
  if (lc.err != 0 || rc < 0) {
    json_decref(lc.arr);
    return lc.err != 0 ? lc.err
                       : cli_err(EXIT_FAIL, "store: %s", ayil_strerror(rc));
  }
  if (c->json) {
    rc = cli_print_json(lc.arr);
  } else {
    json_array_foreach(lc.arr, i, o) {
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
      if (lc.with_body)
        print_fields("  body", json_object_get(o, "body"));
    }
    rc = EXIT_OK;
  }
  json_decref(lc.arr);
  return rc;
}

static const cli_optdef_t RECORD_OPTS[] = {
    {"json", 1}, {"recovery-kit", 1}, {NULL, 0}};

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
    return cli_err(EXIT_USAGE, "record: unknown subcommand \"%.32s\"", sub);
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

/* ayil alerts [--json] | ayil alerts clear KIND [--node ID] */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sqlite3.h>

#include "ayil/error.h"
#include "cli.h"
#include "registry.h"

static const char *const KINDS[] = {"fork", "revoked", "refused_by_hub",
                                    "disk_full", NULL};

static int known_kind(const char *k) {
  int i;
  for (i = 0; KINDS[i] != NULL; i++)
    if (strcmp(KINDS[i], k) == 0)
      return 1;
  return 0;
}

static int list(cli_t *c) {
  sqlite3_stmt *s = NULL;
  json_t *arr = json_array();
  size_t i;
  json_t *a;
  int rc = sqlite3_prepare_v2(ayil__store_db(c->store),
                              "SELECT kind, peer, origin, seq, first, last "
                              "FROM alerts WHERE cleared=0 ORDER BY n",
                              -1, &s, NULL);
  if (rc != SQLITE_OK) {
    json_decref(arr);
    return cli_err(EXIT_FAIL, "store: %s", ayil_strerror(ayil__store_rc(rc)));
  }
  while (sqlite3_step(s) == SQLITE_ROW) {
    char peer[AYIL_ID_TEXT] = "", origin[AYIL_ID_TEXT] = "";
    if (sqlite3_column_bytes(s, 1) == AYIL_ID_BYTES)
      ayil_id_to_text(sqlite3_column_blob(s, 1), peer);
    if (sqlite3_column_bytes(s, 2) == AYIL_ID_BYTES)
      ayil_id_to_text(sqlite3_column_blob(s, 2), origin);
    json_array_append_new(
        arr,
        json_pack("{s:s, s:s?, s:s?, s:I, s:I, s:I}", "kind",
                  (const char *)sqlite3_column_text(s, 0), "peer",
                  peer[0] ? peer : NULL, "origin", origin[0] ? origin : NULL,
                  "seq", (json_int_t)sqlite3_column_int64(s, 3), "first",
                  (json_int_t)sqlite3_column_int64(s, 4), "last",
                  (json_int_t)sqlite3_column_int64(s, 5)));
  }
  sqlite3_finalize(s);
  if (c->json) {
    rc = cli_print_json(arr);
    json_decref(arr);
    return rc;
  }
  if (json_array_size(arr) == 0)
    printf("no alerts\n");
  json_array_foreach(arr, i, a) {
    char when[32];
    time_t t = (time_t)json_integer_value(json_object_get(a, "last"));
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", &tm);
    printf("%-15s last %s UTC", json_string_value(json_object_get(a, "kind")),
           when);
    if (json_object_get(a, "peer") != NULL)
      printf("  peer %s", json_string_value(json_object_get(a, "peer")));
    if (json_object_get(a, "origin") != NULL)
      printf("  log %s seq %lld",
             json_string_value(json_object_get(a, "origin")),
             (long long)json_integer_value(json_object_get(a, "seq")));
    putchar('\n');
  }
  json_decref(arr);
  return EXIT_OK;
}

static const cli_optdef_t ALERT_OPTS[] = {{"node", 1}, {NULL, 0}};

int cmd_alerts(cli_t *c, int argc, char **argv) {
  const char *node;
  uint8_t id[AYIL_ID_BYTES];
  int n = 0;
  int rc = cli_parse(c, argc, argv, c->first, ALERT_OPTS, "alerts");
  if (rc != 0)
    return rc;
  node = cli_opt(c, "node");
  if (c->npos == 0) {
    rc = cli_open(c, 0);
    if (rc == 0)
      rc = list(c);
    cli_close(c);
    return rc;
  }
  if (strcmp(c->pos[0], "clear") != 0 || c->npos != 2)
    return cli_err(EXIT_USAGE, "usage: ayil alerts [--json] | ayil alerts "
                               "clear KIND [--node ID]");
  if (!known_kind(c->pos[1]))
    return cli_err(EXIT_USAGE, "alerts clear: KIND is one of fork, revoked, "
                               "refused_by_hub, disk_full");
  if (node != NULL && ayil_id_from_text(node, id) != 0)
    return cli_err(EXIT_USAGE, "alerts clear: --node must be a node id");
  rc = cli_open(c, 0);
  if (rc != 0)
    return rc;
  rc = ayil_reg_alert_clear(c->store, c->pos[1], node != NULL ? id : NULL, &n);
  cli_close(c);
  if (rc != 0)
    return cli_err(EXIT_FAIL, "alerts clear: store: %s", ayil_strerror(rc));
  printf("cleared %d %s alert(s)%s\n", n, c->pos[1],
         strcmp(c->pos[1], "fork") == 0 && n > 0
             ? "; the forked log is accepted again from its own node"
             : "");
  return EXIT_OK;
}

/* ayil alerts [--json] | ayil alerts clear KIND [--node ID] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ayil/error.h"
#include "cli.h"
#include "registry.h"

static const char *const KINDS[] = {
    "fork",         "not_owner",    "bad_header",     "delete_burst",
    "revoked",      "replaced",     "refused_by_hub", "disk_full",
    "body_damaged", "body_missing", "bad_entry",      NULL};

static int known_kind(const char *k) {
  int i;
  for (i = 0; KINDS[i] != NULL; i++)
    if (strcmp(KINDS[i], k) == 0)
      return 1;
  return 0;
}

json_t *cli_alert_json(const ayil_node_alert_t *a) {
  char peer[AYIL_ID_TEXT], origin[AYIL_ID_TEXT], rec[AYIL_RECID_TEXT];
  if (a->has_peer)
    ayil_id_to_text(a->peer, peer);
  if (a->has_origin)
    ayil_id_to_text(a->origin, origin);
  if (a->has_record)
    ayil_recid_to_text(a->record, rec);
  return json_pack("{s:s, s:s?, s:s?, s:I, s:s?, s:I, s:I}", "kind", a->kind,
                   "peer", a->has_peer ? peer : NULL, "origin",
                   a->has_origin ? origin : NULL, "seq", (json_int_t)a->seq,
                   "record", a->has_record ? rec : NULL, "first",
                   (json_int_t)a->first, "last", (json_int_t)a->last);
}

static int list(cli_t *c) {
  ayil_node_alert_t *al = NULL;
  json_t *arr;
  size_t i, n = 0;
  json_t *a;
  int rc;
  if (ayil_node_alerts(c->node, &al, &n) != 0)
    return cli_node_fail(c);
  arr = json_array();
  for (i = 0; i < n; i++)
    json_array_append_new(arr, cli_alert_json(&al[i]));
  free(al);
  if (c->json) {
    rc = cli_print_json(arr);
    json_decref(arr);
    return rc;
  }
  if (json_array_size(arr) == 0)
    printf(_("no alerts\n"));
  json_array_foreach(arr, i, a) {
    char when[AYIL_TIME_TEXT];
    ayil_node_time_text(json_integer_value(json_object_get(a, "last")), when,
                        sizeof when);
    printf("%-15s last %s", json_string_value(json_object_get(a, "kind")),
           when);
    /* cli_alert_json() keeps absent fields as JSON null: show only what
     * the alert names (no "log (null) seq 0"). */
    if (json_is_string(json_object_get(a, "peer")))
      printf("  peer %s", json_string_value(json_object_get(a, "peer")));
    if (json_is_string(json_object_get(a, "origin")))
      printf("  log %s", json_string_value(json_object_get(a, "origin")));
    if (json_integer_value(json_object_get(a, "seq")) > 0)
      printf("  seq %lld",
             (long long)json_integer_value(json_object_get(a, "seq")));
    if (json_is_string(json_object_get(a, "record")))
      printf("  record %s", json_string_value(json_object_get(a, "record")));
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
    return cli_err(EXIT_USAGE,
                   "alerts clear: KIND is one of fork, "
                   "not_owner, bad_header, delete_burst, revoked, replaced, "
                   "refused_by_hub, "
                   "disk_full, bad_entry");
  rc = cli_open(c, 0);
  if (rc != 0)
    return rc;
  /* --node: a whole id, a unique prefix of one, or a committee's name */
  if (node != NULL && ayil_node_node_resolve(c->node, node, id) != 0) {
    rc = cli_node_fail(c);
    cli_close(c);
    return rc;
  }
  rc = ayil_node_alerts_clear(c->node, c->pos[1], node != NULL ? id : NULL, &n);
  if (rc != 0)
    rc = cli_node_fail(c);
  cli_close(c);
  if (rc != 0)
    return rc;
  printf(_("cleared %d %s alert(s)%s\n"), n, c->pos[1],
         strcmp(c->pos[1], "fork") == 0 && n > 0
             ? _("; the forked log is accepted again from its own node")
             : "");
  return EXIT_OK;
}

/* ayil bundle export|import: sync on a USB stick. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ayil/error.h"
#include "cli.h"

static int do_export(cli_t *c, const char *file) {
  ayil_node_bundle_out_t out;
  char rid[AYIL_ID_TEXT];
  int rc;
  if (ayil_node_bundle_export(c->node, cli_opt(c, "to"),
                              cli_opt(c, "all") != NULL, file, &out) != 0)
    return cli_node_fail(c);
  ayil_id_to_text(out.recipient, rid);
  if (c->json) {
    json_t *o =
        json_pack("{s:s, s:s, s:I, s:I}", "file", file, "for", rid, "entries",
                  (json_int_t)out.items, "bytes", (json_int_t)out.bytes);
    rc = cli_print_json(o);
    json_decref(o);
    return rc;
  }
  printf(_("%s: %llu entries, %llu bytes, sealed to %s\n"), file,
         (unsigned long long)out.items, (unsigned long long)out.bytes, rid);
  return EXIT_OK;
}

static int do_import(cli_t *c, const char *file) {
  ayil_bundle_stats_t stats;
  uint8_t sender[AYIL_ID_BYTES];
  char sid[AYIL_ID_TEXT] = "?", bad[AYIL_ID_TEXT];
  int rc = ayil_node_bundle_import(c->node, file, &stats, sender);
  if (stats.admitted)
    fprintf(stderr, _("ayil: bundle import: the sender was admitted with its "
                      "invite\n"));
  if (stats.pending)
    fprintf(stderr,
            _("ayil: bundle import: the sender presented a valid invite; it "
              "is admitted once you confirm the enrolment code its committee "
              "reads out (ayil admit --confirm CODE), then import the bundle "
              "again\n"));
  if (rc != 0)
    return cli_node_fail(c);
  ayil_id_to_text(sender, sid);
  if (stats.refused > 0) {
    ayil_id_to_text(stats.refused_origin, bad);
    fprintf(stderr,
            _("ayil: bundle import: refused %llu entries, first of log %s at "
              "seq %llu: %s\n"),
            (unsigned long long)stats.refused, bad,
            (unsigned long long)stats.refused_seq,
            stats.why[0] != '\0' ? stats.why
            : stats.refused_err == AYIL_EREPLACED
                ? _("node was replaced: its committee carries on with a new "
                    "node, and what the old one wrote after that is refused")
                : ayil_strerror(stats.refused_err));
  }
  if (stats.acks > 0)
    fprintf(stderr, _("ayil: bundle import: the hub acknowledged what it "
                      "holds of this node's log: the next export leaves "
                      "those entries out\n"));
  if (stats.acks_bad > 0)
    fprintf(stderr,
            _("ayil: bundle import: %llu acknowledgement(s) not "
              "signed by this node's hub were ignored\n"),
            (unsigned long long)stats.acks_bad);
  if (c->json) {
    json_t *o = json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "file", file, "from", sid,
        "entries", (json_int_t)stats.items, "added", (json_int_t)stats.added,
        "held", (json_int_t)stats.held, "refused", (json_int_t)stats.refused,
        "acks", (json_int_t)stats.acks);
    rc = cli_print_json(o);
    json_decref(o);
  } else {
    printf(_("%s from %s: %llu entries, %llu added, %llu already held, %llu "
             "refused\n"),
           file, sid, (unsigned long long)stats.items,
           (unsigned long long)stats.added, (unsigned long long)stats.held,
           (unsigned long long)stats.refused);
    rc = EXIT_OK;
  }
  return stats.refused > 0 ? EXIT_FAIL : rc;
}

static const cli_optdef_t BUNDLE_OPTS[] = {{"to", 1}, {"all", 0}, {NULL, 0}};

int cmd_bundle(cli_t *c, int argc, char **argv) {
  int rc = cli_parse(c, argc, argv, c->first, BUNDLE_OPTS, "bundle");
  if (rc != 0)
    return rc;
  if (c->npos != 2 ||
      (strcmp(c->pos[0], "export") != 0 && strcmp(c->pos[0], "import") != 0))
    return cli_err(EXIT_USAGE, "usage: ayil bundle export FILE [--to ID] "
                               "[--all] | ayil bundle import FILE");
  rc = cli_open(c, 1);
  if (rc != 0)
    return rc;
  rc = strcmp(c->pos[0], "export") == 0 ? do_export(c, c->pos[1])
                                        : do_import(c, c->pos[1]);
  cli_close(c);
  return rc;
}

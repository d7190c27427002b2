/* ayil bundle export|import: sync on a USB stick. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "ayil/error.h"
#include "bundle.h"
#include "cli.h"
#include "registry.h"

static int do_export(cli_t *c, const char *file) {
  uint8_t recipient[AYIL_ID_BYTES];
  uint8_t origins[65][AYIL_ID_BYTES];
  uint64_t from[65];
  size_t n = 0, i;
  int all = cli_opt(c, "all") != NULL;
  const char *to = cli_opt(c, "to");
  ayil_bundle_stats_t stats;
  char rid[AYIL_ID_TEXT];
  uint8_t token[16];
  int has_token = 0;
  int rc;
  if (strcmp(c->conf.role, "hub") == 0) {
    ayil_device_t dev;
    if (to == NULL || ayil_id_from_text(to, recipient) != 0)
      return cli_err(EXIT_USAGE, "bundle export: on a hub, --to NODE_ID "
                                 "names the committee node it is for");
    rc = ayil_reg_device(c->store, recipient, &dev);
    if (rc != 0)
      return cli_err(EXIT_USAGE,
                     "bundle export: node %s is not registered "
                     "here",
                     to);
    rc = ayil_reg_committee_devices(c->store, dev.committee, origins, 64, &n);
    if (rc != 0)
      return cli_err(EXIT_FAIL, "store: %s", ayil_strerror(rc));
    if (n > 64)
      n = 64;
    memcpy(origins[n++], c->ident.pk, AYIL_ID_BYTES);
  } else {
    if (to != NULL)
      return cli_err(EXIT_USAGE, "bundle export: a committee's bundles are "
                                 "for its hub; --to is for hubs");
    if (ayil_id_from_text(c->conf.hub_id, recipient) != 0)
      return cli_err(EXIT_USAGE, "bundle export: this node has no hub yet "
                                 "(ayil join CODE)");
    memcpy(origins[n++], c->ident.pk, AYIL_ID_BYTES);
  }
  has_token = strcmp(c->conf.role, "committee") == 0 &&
              ayil_reg_token_get(c->store, token) == 0;
  for (i = 0; i < n; i++) {
    from[i] = 1;
    if (!all &&
        ayil_reg_peer_acked(c->store, recipient, origins[i], &from[i]) == 0)
      from[i]++;
  }
  rc = ayil_bundle_export(c->store, c->ident.sk, recipient,
                          (const uint8_t(*)[AYIL_ID_BYTES])origins, from, n,
                          has_token ? token : NULL, file, &stats);
  sodium_memzero(token, sizeof token);
  if (rc == AYIL_EEXISTS)
    return cli_err(EXIT_USAGE, "bundle export: %s already exists", file);
  if (rc != 0)
    return cli_err(EXIT_FAIL, "bundle export: %s: %s", file, ayil_strerror(rc));
  ayil_id_to_text(recipient, rid);
  if (c->json) {
    json_t *o =
        json_pack("{s:s, s:s, s:I, s:I}", "file", file, "for", rid, "entries",
                  (json_int_t)stats.items, "bytes", (json_int_t)stats.bytes);
    rc = cli_print_json(o);
    json_decref(o);
    return rc;
  }
  printf("%s: %llu entries, %llu bytes, sealed to %s\n", file,
         (unsigned long long)stats.items, (unsigned long long)stats.bytes, rid);
  return EXIT_OK;
}

static int do_import(cli_t *c, const char *file) {
  uint8_t hub[AYIL_ID_BYTES];
  int has_hub = ayil_id_from_text(c->conf.hub_id, hub) == 0;
  ayil_bundle_stats_t stats;
  uint8_t sender[AYIL_ID_BYTES];
  char sid[AYIL_ID_TEXT] = "?", bad[AYIL_ID_TEXT];
  int rc = ayil_bundle_import(c->store, c->ident.sk,
                              strcmp(c->conf.role, "hub") == 0,
                              has_hub ? hub : NULL, file, &stats, sender);
  if (stats.admitted)
    fprintf(stderr, "ayil: bundle import: the sender was admitted with its "
                    "invite\n");
  if (rc == AYIL_ENOTFOUND || rc == AYIL_EPERM)
    return cli_err(EXIT_USAGE, "bundle import: cannot read %s", file);
  if (rc == AYIL_EAUTH)
    return cli_err(EXIT_USAGE, "bundle import: %s is sealed to another node",
                   file);
  if (rc != 0)
    return cli_err(rc == AYIL_EFULL ? EXIT_FAIL : EXIT_USAGE,
                   "bundle import: %s is damaged or not a bundle (%s); %llu "
                   "entries before the damage were verified and kept",
                   file, ayil_strerror(rc), (unsigned long long)stats.added);
  ayil_id_to_text(sender, sid);
  if (stats.refused > 0) {
    ayil_id_to_text(stats.refused_origin, bad);
    fprintf(stderr,
            "ayil: bundle import: refused %llu entries, first of log %s at "
            "seq %llu: %s\n",
            (unsigned long long)stats.refused, bad,
            (unsigned long long)stats.refused_seq,
            ayil_strerror(stats.refused_err));
  }
  if (c->json) {
    json_t *o = json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:I}", "file", file, "from", sid, "entries",
        (json_int_t)stats.items, "added", (json_int_t)stats.added, "held",
        (json_int_t)stats.held, "refused", (json_int_t)stats.refused);
    rc = cli_print_json(o);
    json_decref(o);
  } else {
    printf("%s from %s: %llu entries, %llu added, %llu already held, %llu "
           "refused\n",
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

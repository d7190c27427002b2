/* ayil web cert: the certificate of the committee's web app (ayil-web). */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ayil/error.h"
#include "cli.h"

void cli_web_fpr_say(const char *fpr) {
  fprintf(stderr,
          "ayil: web certificate SHA-256 %s\n"
          "ayil: the first time members open the web app, their browser "
          "warns about this certificate: check once that it shows this "
          "fingerprint, then accept it\n",
          fpr);
}

static const cli_optdef_t WEB_OPTS[] = {
    {"force", 0}, {"show", 0}, {"cert", 1}, {"key", 1}, {NULL, 0}};

int cmd_web(cli_t *c, int argc, char **argv) {
  char fpr[AYIL_NODE_FPR_TEXT];
  const char *cert, *key;
  int show, force, rc;
  rc = cli_parse(c, argc, argv, c->first, WEB_OPTS, "web");
  if (rc != 0)
    return rc;
  if (c->npos == 0 || strcmp(c->pos[0], "cert") != 0)
    return cli_err(EXIT_USAGE, "web: usage: ayil web cert [--force | --show | "
                               "--cert FILE --key FILE]");
  show = cli_opt(c, "show") != NULL;
  force = cli_opt(c, "force") != NULL;
  cert = cli_opt(c, "cert");
  key = cli_opt(c, "key");
  if (c->npos > 1)
    return cli_err(EXIT_USAGE, "web cert: unexpected argument");
  if ((cert == NULL) != (key == NULL))
    return cli_err(EXIT_USAGE, "web cert: --cert FILE and --key FILE go "
                               "together");
  if (show + force + (cert != NULL) > 1)
    return cli_err(EXIT_USAGE, "web cert: give one of --force, --show and "
                               "--cert/--key");
  /* Opening the node first also makes root the home's owner, so that the
   * key is the daemon's user's to read. */
  rc = cli_open(c, 0);
  if (rc != 0)
    return rc;
  if (show)
    rc = ayil_node_web_fingerprint(c->node, fpr);
  else if (cert != NULL)
    rc = ayil_node_web_cert_install(c->node, cert, key, fpr);
  else
    rc = ayil_node_web_cert(c->node, force, fpr);
  if (rc != 0) {
    rc = cli_node_fail(c);
    cli_close(c);
    return rc;
  }
  cli_close(c);
  if (c->json) {
    json_t *o = json_pack("{s:s}", "certificate_sha256", fpr);
    rc = cli_print_json(o);
    json_decref(o);
    return rc;
  }
  printf("%s\n", fpr);
  if (!show) {
    cli_web_fpr_say(fpr);
    fprintf(stderr, "ayil: restart ayil-web to serve it (systemctl restart "
                    "ayil-web)\n");
  }
  return EXIT_OK;
}

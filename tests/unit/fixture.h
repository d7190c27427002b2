/* Test fixture shared by unit tests that need a real node home: a
 * committee made through the service API, as `ayil init` makes it. Header
 * only (each test is one executable). */
#ifndef AYIL_TEST_FIXTURE_H
#define AYIL_TEST_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "node.h"

/* Creates a committee "Invented Committee" (talas) in `home` with
 * passphrase `pass` and its recovery kit at HOME.kit, enrolled with `inv`
 * when not NULL. 0 or the failing call's error. */
static inline int fixture_committee(const char *home, const char *pass,
                                    const ayil_invite_t *inv) {
  char kit[512], id[AYIL_ID_TEXT];
  ayil_config_t conf;
  ayil_node_create_t args;
  ayil_node_err_t err;
  int rc;
  ayil_config_defaults(&conf);
  snprintf(conf.role, sizeof conf.role, "committee");
  snprintf(conf.name, sizeof conf.name, "Invented Committee");
  snprintf(conf.oblast, sizeof conf.oblast, "talas");
  memset(&args, 0, sizeof args);
  args.conf = &conf;
  snprintf(kit, sizeof kit, "%s.kit", home);
  args.kit = kit;
  args.pass = pass;
  args.passlen = strlen(pass);
  args.invite = inv;
  rc = ayil_home_create(home);
  if (rc == 0)
    rc = ayil_node_create(home, &args, id, &err);
  return rc;
}

#endif

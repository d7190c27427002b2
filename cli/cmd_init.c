/* ayil init, id, passwd. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "ayil/error.h"
#include "ayil/schema.h"
#include "ayil/enrol.h"
#include "cli.h"

static const cli_optdef_t INIT_OPTS[] = {
    {"role", 1},   {"name", 1},   {"oblast", 1},    {"recovery-kit", 1},
    {"invite", 1}, {"listen", 1}, {"advertise", 1}, {NULL, 0}};

int cmd_init(cli_t *c, int argc, char **argv) {
  const char *role, *name, *oblast, *kit, *listen, *advertise;
  char idtext[AYIL_ID_TEXT];
  ayil_config_t conf;
  ayil_node_create_t args;
  ayil_node_err_t err;
  char fpr[AYIL_NODE_FPR_TEXT];
  char *pass = NULL;
  size_t plen = 0;
  ayil_invite_t inv;
  int has_invite = 0;
  int restore = 0;
  int rc = cli_parse(c, argc, argv, c->first, INIT_OPTS, "init");
  if (rc != 0)
    return rc;
  role = cli_opt(c, "role");
  name = cli_opt(c, "name");
  oblast = cli_opt(c, "oblast");
  kit = cli_opt(c, "recovery-kit");
  listen = cli_opt(c, "listen");
  advertise = cli_opt(c, "advertise");
  if (c->npos > 0)
    return cli_err(EXIT_USAGE, "init: unexpected argument");
  if (role == NULL)
    return cli_err(EXIT_USAGE, "init: --role committee|hub is required");
  ayil_config_defaults(&conf);
  memset(&inv, 0, sizeof inv);
  if (cli_opt(c, "invite") != NULL) {
    /* Check the code before anything is created. */
    if (strcmp(role, "committee") != 0)
      return cli_err(EXIT_USAGE, "init: --invite is for a committee node");
    rc = cli_invite_read(cli_opt(c, "invite"), "init", &inv);
    if (rc != 0)
      return rc;
    has_invite = 1;
    if (oblast != NULL && strcmp(oblast, inv.oblast) != 0) {
      sodium_memzero(&inv, sizeof inv);
      return cli_err(EXIT_USAGE,
                     "init: --oblast %s differs from the invite's oblast %s",
                     oblast, inv.oblast);
    }
    if (name == NULL)
      name = inv.name;
    if (oblast == NULL)
      oblast = inv.oblast;
  }
  if (name == NULL || !cli_valid_name(name))
    return cli_err(EXIT_USAGE, "init: --name is required (1-100 printable "
                               "characters, no quotes)");
  if (strcmp(role, "committee") == 0) {
    if (oblast == NULL || !ayil_oblast_valid(oblast))
      return cli_err(EXIT_USAGE,
                     "init: --oblast must be one of: batken, chui, issyk_kul, "
                     "jalal_abad, naryn, osh, talas, bishkek, osh_city");
    if (kit == NULL)
      return cli_err(EXIT_USAGE, "init: --recovery-kit FILE is required for "
                                 "a committee");
    restore = access(kit, F_OK) == 0;
    snprintf(conf.oblast, sizeof conf.oblast, "%s", oblast);
  } else if (strcmp(role, "hub") == 0) {
    if (listen == NULL || !cli_valid_addr(listen, 1))
      return cli_err(EXIT_USAGE, "init: --listen HOST:PORT is required for "
                                 "a hub");
    if (advertise != NULL && !cli_valid_addr(advertise, 1))
      return cli_err(EXIT_USAGE, "init: --advertise must be HOST:PORT");
    snprintf(conf.listen, sizeof conf.listen, "%s", listen);
    snprintf(conf.advertise, sizeof conf.advertise, "%s",
             advertise != NULL ? advertise : listen);
    if (cli_addr_unspecified(conf.advertise))
      fprintf(stderr,
              _("ayil: warning: invites would give the address %s, which no "
                "committee can dial (it means every address of this "
                "machine): pass --advertise with the hub's public name or "
                "address, or set [listen] advertise in ayil.conf later\n"),
              conf.advertise);
    /* ayil-web serves a hub's operator on loopback only (ssh -L). */
    snprintf(conf.web_listen, sizeof conf.web_listen, "127.0.0.1:8443");
  } else {
    return cli_err(EXIT_USAGE, "init: --role must be committee or hub");
  }
  snprintf(conf.role, sizeof conf.role, "%s", role);
  snprintf(conf.name, sizeof conf.name, "%s", name);

  rc = ayil_home_create(c->home);
  if (rc == AYIL_EEXISTS)
    return cli_err(EXIT_USAGE, "init: %s already holds a node", c->home);
  if (rc != 0)
    return cli_err(EXIT_USAGE, "init: cannot create home %s: %s", c->home,
                   ayil_strerror(rc));
  if (strcmp(role, "committee") == 0 && !restore) {
    int same = 0;
    rc = ayil_node_kit_place(c->home, kit, &same);
    if (rc == AYIL_EINVAL || rc == AYIL_ENOTFOUND) {
      return cli_err(EXIT_USAGE,
                     rc == AYIL_EINVAL
                         ? "init: --recovery-kit must not be inside the node's "
                           "home: name a file on removable media (a USB "
                           "stick); flash cannot be reliably erased"
                         : "init: --recovery-kit: its directory does not "
                           "exist");
    }
    if (same)
      fprintf(stderr,
              _("ayil: warning: the recovery kit goes to the node's own disk; "
                "on a Pi, write it to a USB stick instead (flash cannot be "
                "reliably erased, so shred may leave copies)\n"));
  }
  if (strcmp(role, "committee") == 0) {
    char prompt[256];
    cli_prompt_for(prompt, sizeof prompt, _("New passphrase for %s: "),
                   conf.name);
    rc = cli_passphrase(c, prompt, 1, &pass, &plen);
    if (rc != 0)
      return rc;
  }
  memset(&args, 0, sizeof args);
  args.conf = &conf;
  args.kit = kit;
  args.restore = restore;
  args.pass = pass;
  args.passlen = plen;
  args.invite = has_invite ? &inv : NULL;
  args.web_fpr = fpr;
  rc = ayil_node_create(c->home, &args, idtext, &err);
  if (rc != 0) {
    cli_node_err(&err);
    goto fail;
  }
  if (has_invite) {
    /* As the node wrote it. */
    snprintf(conf.hub_addr, sizeof conf.hub_addr, "%s", inv.addr);
  }
  cli_pass_free(pass, plen);
  sodium_memzero(&inv, sizeof inv);
  if (c->json) {
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?}", "role", role, "id",
                  idtext, "home", c->home, "recovery_kit", restore ? NULL : kit,
                  "hub", has_invite ? conf.hub_addr : NULL,
                  "web_certificate_sha256", fpr[0] != '\0' ? fpr : NULL);
    rc = cli_print_json(o);
    json_decref(o);
    return rc;
  }
  printf("%s\n", idtext);
  fprintf(stderr, _("ayil: created %s node in %s\n"), role, c->home);
  if (has_invite) {
    uint8_t id[AYIL_ID_BYTES];
    char ecode[AYIL_ENROL_TEXT];
    if (ayil_id_from_text(idtext, id) == 0) {
      ayil_enrol_code_text(id, ecode);
      fprintf(stderr,
              _("ayil: enrolment code %s: read it to the hub's operator by "
                "phone, who confirms it with `ayil admit --confirm %s`; ayild "
                "presents the invite to hub %s on its connections\n"),
              ecode, ecode, conf.hub_addr);
    }
  }
  if (strcmp(role, "committee") == 0 && !restore)
    fprintf(stderr,
            _("ayil: recovery kit written to %s: print it, keep it offline, "
              "and delete the file\n"),
            kit);
  if (fpr[0] != '\0')
    cli_web_fpr_say(fpr);
  else
    fprintf(stderr, "ayil: warning: the web app's certificate could not be "
                    "made; make it with `ayil web cert`\n");
  return EXIT_OK;
fail:
  cli_pass_free(pass, plen);
  sodium_memzero(&inv, sizeof inv);
  return rc == AYIL_EINVAL ? EXIT_USAGE : EXIT_FAIL;
}

static const cli_optdef_t ID_OPTS[] = {{"code", 0}, {NULL, 0}};

int cmd_id(cli_t *c, int argc, char **argv) {
  char idtext[AYIL_ID_TEXT], ecode[AYIL_ENROL_TEXT];
  int rc = cli_parse(c, argc, argv, c->first, ID_OPTS, "id");
  if (rc != 0)
    return rc;
  rc = cli_open(c, 1);
  if (rc != 0)
    return rc;
  ayil_id_to_text(ayil_node_id(c->node), idtext);
  ayil_enrol_code_text(ayil_node_id(c->node), ecode);
  if (c->json) {
    json_t *o = json_pack("{s:s, s:s}", "id", idtext, "enrol_code", ecode);
    rc = cli_print_json(o);
    json_decref(o);
  } else {
    printf("%s\n", cli_opt(c, "code") != NULL ? ecode : idtext);
  }
  cli_close(c);
  return rc;
}

static const cli_optdef_t PASSWD_OPTS[] = {
    {"recovery-kit", 1}, {"new-passphrase-file", 1}, {NULL, 0}};

/* The new passphrase: --new-passphrase-file, $AYIL_NEW_PASSPHRASE, or the
 * terminal. */
static int new_pass_get(void *ctx, ayil_node_key_t *key) {
  cli_t *c = ctx;
  const char *newfile = cli_opt(c, "new-passphrase-file");
  char *pass = NULL;
  size_t plen = 0;
  int rc;
  if (newfile != NULL) {
    c->passphrase_file = newfile;
    rc = cli_passphrase(c, "", 1, &pass, &plen);
  } else if (getenv("AYIL_NEW_PASSPHRASE") != NULL) {
    pass = strdup(getenv("AYIL_NEW_PASSPHRASE"));
    plen = pass != NULL ? strlen(pass) : 0;
    rc = pass == NULL ? cli_err(EXIT_FAIL, "out of memory")
         : ayil_passphrase_chars(pass, plen) < AYIL_PASSPHRASE_MIN_CHARS
             ? cli_err(EXIT_USAGE,
                       "the passphrase must have at least %d "
                       "characters",
                       AYIL_PASSPHRASE_MIN_CHARS)
             : 0;
  } else {
    /* The old passphrase may have come from the environment; the new one
     * must not silently be the same. */
    char prompt[256];
    c->passphrase_file = NULL;
    unsetenv("AYIL_PASSPHRASE");
    cli_prompt_for(prompt, sizeof prompt, _("New passphrase for %s: "),
                   c->conf.name);
    rc = cli_passphrase(c, prompt, 1, &pass, &plen);
  }
  key->pass = pass;
  key->passlen = plen;
  if (rc != 0) {
    c->unlock_exit = rc;
    return AYIL_EAUTH;
  }
  return 0;
}

static void new_pass_done(void *ctx, ayil_node_key_t *key) {
  (void)ctx;
  cli_pass_free((char *)key->pass, key->passlen);
  key->pass = NULL;
}

static const cli_optdef_t REKEY_OPTS[] = {
    {"new-kit", 1}, {"recovery-kit", 1}, {"new-passphrase-file", 1}, {NULL, 0}};

int cmd_rekey(cli_t *c, int argc, char **argv) {
  ayil_node_unlock_t np = {new_pass_get, new_pass_done, NULL};
  const char *kit;
  int rc = cli_parse(c, argc, argv, c->first, REKEY_OPTS, "rekey");
  if (rc != 0)
    return rc;
  kit = cli_opt(c, "new-kit");
  if (kit == NULL)
    return cli_err(EXIT_USAGE, "rekey: --new-kit FILE (the new recovery kit, "
                               "on removable media) is required");
  rc = cli_open(c, 0);
  if (rc != 0)
    return rc;
  np.ctx = c;
  /* Unlocked by the passphrase, or by the old kit (--recovery-kit). */
  rc = ayil_node_rekey(c->node, cli_unlock(c), &np, kit);
  if (rc != 0)
    rc = cli_node_fail(c);
  cli_close(c);
  if (rc == 0)
    fprintf(stderr,
            _("ayil: new reader key: new records are sealed to it, old ones "
              "still open. New recovery kit written to %s: print it and keep "
              "it offline; destroy the old kit and its printouts. Every "
              "other member's key slot held the old key and is gone: add "
              "them again (ayil member add)\n"),
            kit);
  return rc;
}

int cmd_passwd(cli_t *c, int argc, char **argv) {
  ayil_node_unlock_t np = {new_pass_get, new_pass_done, NULL};
  int rc = cli_parse(c, argc, argv, c->first, PASSWD_OPTS, "passwd");
  if (rc != 0)
    return rc;
  rc = cli_open(c, 0);
  if (rc != 0)
    return rc;
  np.ctx = c;
  rc = ayil_node_passwd(c->node, cli_unlock(c), &np);
  if (rc != 0)
    rc = cli_node_fail(c);
  cli_close(c);
  if (rc == 0)
    fprintf(stderr, _("ayil: passphrase changed\n"));
  return rc;
}

/* ---- members ---- */

static const cli_optdef_t MEMBER_OPTS[] = {{"role", 1},
                                           {"as", 1},
                                           {"recovery-kit", 1},
                                           {"new-passphrase-file", 1},
                                           {NULL, 0}};

int cmd_member(cli_t *c, int argc, char **argv) {
  ayil_node_unlock_t np = {new_pass_get, new_pass_done, NULL};
  const char *sub, *name;
  int rc;
  rc = cli_parse(c, argc, argv, c->first, MEMBER_OPTS, "member");
  if (rc != 0)
    return rc;
  sub = c->npos > 0 ? c->pos[0] : NULL;
  name = c->npos > 1 ? c->pos[1] : NULL;
  if (sub == NULL || (strcmp(sub, "list") != 0 && strcmp(sub, "add") != 0 &&
                      strcmp(sub, "remove") != 0 && strcmp(sub, "passwd") != 0))
    return cli_err(EXIT_USAGE, "member: list, add, remove or passwd?");
  if (strcmp(sub, "list") != 0 && (name == NULL || c->npos != 2))
    return cli_err(EXIT_USAGE, "member %s: give one NAME", sub);
  if (strcmp(sub, "add") == 0 && cli_opt(c, "role") == NULL)
    return cli_err(EXIT_USAGE, "member add: --role chair or --role member");
  rc = cli_open(c, 0);
  if (rc != 0)
    return rc;
  np.ctx = c;
  if (strcmp(sub, "list") == 0) {
    ayil_node_member_t *ms = NULL;
    size_t n = 0, i;
    rc = ayil_node_members(c->node, &ms, &n);
    if (rc != 0)
      rc = cli_node_fail(c);
    else if (c->json) {
      json_t *a = json_array();
      for (i = 0; i < n; i++)
        json_array_append_new(
            a, json_pack("{s:s, s:s}", "name", ms[i].name, "role", ms[i].role));
      rc = cli_print_json(a);
      json_decref(a);
    } else {
      for (i = 0; i < n; i++)
        printf("%-8s %s\n", ms[i].role, ms[i].name);
    }
    free(ms);
  } else if (strcmp(sub, "add") == 0) {
    rc = ayil_node_member_add(c->node, name, cli_opt(c, "role"), cli_unlock(c),
                              &np);
    if (rc != 0)
      rc = cli_node_fail(c);
    else
      fprintf(stderr, "%s", _("ayil: member added, with their own key slot\n"));
  } else if (strcmp(sub, "remove") == 0) {
    rc = ayil_node_member_remove(c->node, name);
    if (rc != 0)
      rc = cli_node_fail(c);
    else
      fprintf(stderr, "%s",
              _("ayil: member removed, and their key slot deleted. If they "
                "may have copied records or the reader key, run `ayil "
                "rekey` too.\n"));
  } else {
    rc = ayil_node_member_passwd(c->node, name, cli_unlock(c), &np);
    if (rc != 0)
      rc = cli_node_fail(c);
    else
      fprintf(stderr, "%s", _("ayil: password changed\n"));
  }
  cli_close(c);
  return rc;
}

static const cli_optdef_t AUDIT_OPTS[] = {{"limit", 1}, {NULL, 0}};

int cmd_audit(cli_t *c, int argc, char **argv) {
  ayil_node_audit_t *a = NULL;
  size_t n = 0, i;
  long limit = 100;
  const char *l;
  int rc = cli_parse(c, argc, argv, c->first, AUDIT_OPTS, "audit");
  if (rc != 0)
    return rc;
  if ((l = cli_opt(c, "limit")) != NULL) {
    char *end = NULL;
    limit = strtol(l, &end, 10);
    if (end == l || *end != '\0' || limit < 1 || limit > 100000)
      return cli_err(EXIT_USAGE, "audit: --limit is a number from 1 to 100000");
  }
  rc = cli_open(c, 0);
  if (rc != 0)
    return rc;
  rc = ayil_node_audit(c->node, (size_t)limit, &a, &n);
  if (rc != 0) {
    rc = cli_node_fail(c);
  } else if (c->json) {
    json_t *arr = json_array();
    for (i = 0; i < n; i++)
      json_array_append_new(
          arr, json_pack("{s:I, s:s, s:s, s:s, s:s?}", "at",
                         (json_int_t)a[i].at, "member", a[i].member, "addr",
                         a[i].addr, "action", a[i].action, "record",
                         a[i].idtext[0] ? a[i].idtext : NULL));
    rc = cli_print_json(arr);
    json_decref(arr);
  } else {
    for (i = 0; i < n; i++) {
      char when[32];
      ayil_node_time_text(a[i].at, when, sizeof when);
      printf("%s  %-8s %-32s %s  %s\n", when, a[i].action,
             a[i].idtext[0] ? a[i].idtext : "-", a[i].member, a[i].addr);
    }
  }
  free(a);
  cli_close(c);
  return rc;
}

/*
 * Enrollment and sync health: ayil admit, revoke, nodes (hub), join and
 * the invite side of init (committee), sync (both roles).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "ayil/error.h"
#include "ayil/schema.h"
#include "ayil/enrol.h"
#include "cli.h"
#include "ctl.h"
#include "registry.h"
#include "report.h"

#define DAY_S 86400

/* ---- small shared helpers ---- */

void cli_bytes_text(uint64_t n, char *out, size_t cap) {
  if (n < 1024)
    snprintf(out, cap, "%llu B", (unsigned long long)n);
  else if (n < 1024 * 1024)
    snprintf(out, cap, "%.1f KB", (double)n / 1024.0);
  else if (n < 1024ULL * 1024 * 1024)
    snprintf(out, cap, "%.1f MB", (double)n / (1024.0 * 1024.0));
  else
    snprintf(out, cap, "%.1f GB", (double)n / (1024.0 * 1024.0 * 1024.0));
}

void cli_day(int64_t t, char out[16]) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(out, 16, "%Y-%m-%d", &tm);
}

static int need_role(cli_t *c, const char *role, const char *cmd) {
  if (strcmp(c->conf.role, role) != 0)
    return cli_err(EXIT_USAGE, "%s: runs on a %s node; this is a %s", cmd, role,
                   c->conf.role);
  return 0;
}

/* ---- invites: decoding and enrolling (join, init --invite) ---- */

int cli_invite_read(const char *code, const char *cmd, ayil_invite_t *inv) {
  char buf[2 * AYIL_INVITE_MAX + 1];
  size_t i, n = 0, pos = 0;
  ayil_invite_why_t why = AYIL_INVITE_FIELDS;
  char bad = '?';
  char when[32];
  int rc;
  /* A code may come wrapped or with a newline from a mail or a chat. */
  for (i = 0; code[i] != '\0'; i++) {
    if (code[i] == ' ' || code[i] == '\n' || code[i] == '\r' || code[i] == '\t')
      continue;
    if (n + 1 >= sizeof buf)
      return cli_err(EXIT_USAGE, "%s: invite code is malformed (too long)",
                     cmd);
    buf[n++] = code[i];
  }
  buf[n] = '\0';
  rc = ayil_invite_decode_why(buf, inv, &why, &pos);
  if (why == AYIL_INVITE_ALPHABET)
    bad = buf[6 + pos]; /* after "ayilN-" */
  sodium_memzero(buf, sizeof buf);
  if (rc == 0 && (!cli_valid_addr(inv->addr, 0) || !cli_valid_name(inv->name) ||
                  !ayil_oblast_valid(inv->oblast))) {
    rc = AYIL_EFORMAT;
    why = AYIL_INVITE_FIELDS;
  }
  if (rc != 0)
    sodium_memzero(inv, sizeof *inv);
  /* Say which part is wrong: a person typed or copied it. */
  switch (rc == 0 ? AYIL_INVITE_OK : why) {
  case AYIL_INVITE_OK:
    break;
  case AYIL_INVITE_NOT_CODE:
    return cli_err(EXIT_USAGE,
                   "%s: invite code is malformed: it does not start with "
                   "ayil (is it an invite code?)",
                   cmd);
  case AYIL_INVITE_VERSION:
    return cli_err(EXIT_USAGE,
                   "%s: invite code is malformed (unsupported version; is "
                   "this ayil too old?)",
                   cmd);
  case AYIL_INVITE_ALPHABET:
    return cli_err(EXIT_USAGE,
                   "%s: invite code is malformed: character %zu after the "
                   "prefix ('%c') is not one of A-Z a-z 0-9 - _ (bad "
                   "base64)",
                   cmd, pos + 1, bad >= 0x21 && bad < 0x7f ? bad : '?');
  case AYIL_INVITE_TRUNCATED:
    return cli_err(EXIT_USAGE,
                   "%s: invite code is malformed: it is truncated, "
                   "characters are missing (copy the whole code, up to its "
                   "last character)",
                   cmd);
  case AYIL_INVITE_TOO_LONG:
    return cli_err(EXIT_USAGE,
                   "%s: invite code is malformed: it has characters too "
                   "many at the end",
                   cmd);
  case AYIL_INVITE_CHECKSUM:
    return cli_err(EXIT_USAGE,
                   "%s: invite code is malformed: checksum mismatch, a "
                   "character is mistyped (compare it character by "
                   "character; 0/O, 1/l/I, -/_ look alike)",
                   cmd);
  default:
    return cli_err(EXIT_USAGE,
                   "%s: invite code is malformed: its check is right but "
                   "its content is not an ayil invite",
                   cmd);
  }
  if (inv->expires != 0 && inv->expires < (uint64_t)time(NULL)) {
    ayil_node_time_text((int64_t)inv->expires, when, sizeof when);
    sodium_memzero(inv, sizeof *inv);
    return cli_err(EXIT_USAGE,
                   "%s: invite code expired on %s; ask the hub for a new "
                   "one",
                   cmd, when);
  }
  return 0;
}

static const cli_optdef_t JOIN_OPTS[] = {{"rehome", 0}, {NULL, 0}};

int cmd_join(cli_t *c, int argc, char **argv) {
  ayil_invite_t inv;
  int rehome;
  int rc = cli_parse(c, argc, argv, c->first, JOIN_OPTS, "join");
  if (rc != 0)
    return rc;
  if (c->npos != 1)
    return cli_err(EXIT_USAGE, "usage: ayil join CODE");
  rc = cli_open(c, 1); /* its id gives the enrolment code */
  if (rc != 0)
    return rc;
  if (strcmp(c->conf.role, "hub") != 0) {
    rc = need_role(c, "committee", "join");
    if (rc != 0)
      goto out;
  }
  rehome = cli_opt(c, "rehome") != NULL;
  if (rehome && c->conf.hub_id[0] == '\0') {
    rc = cli_err(EXIT_USAGE, "join --rehome: this node has no hub yet; use "
                             "ayil join CODE");
    goto out;
  }
  if (!rehome && (c->conf.hub_addr[0] != '\0' || c->conf.hub_id[0] != '\0')) {
    rc = cli_err(EXIT_USAGE,
                 "join: this node already has a hub (%s in ayil.conf); a "
                 "node joins once (to move to another hub, keeping its key "
                 "and log: ayil join --rehome CODE)",
                 c->conf.hub_addr[0] != '\0' ? c->conf.hub_addr : "[hub]");
    goto out;
  }
  rc = cli_invite_read(c->pos[0], "join", &inv);
  if (rc != 0)
    goto out;
  if (ayil_node_id(c->node) != NULL &&
      sodium_memcmp(inv.hub_id, ayil_node_id(c->node), AYIL_ID_BYTES) == 0) {
    rc = cli_err(EXIT_USAGE, "join: the invite is this node's own (a hub "
                             "joins the hub above it with that hub's "
                             "invite from `ayil admit --hub`)");
    goto out;
  }
  if (strcmp(c->conf.role, "hub") != 0 && !rehome &&
      strcmp(inv.oblast, c->conf.oblast) != 0) {
    rc = cli_err(EXIT_USAGE,
                 "join: the invite is for a committee in %s; this node is "
                 "in %s",
                 inv.oblast, c->conf.oblast);
    goto out;
  }
  if ((rehome ? ayil_node_rehome(c->node, &inv)
              : ayil_node_join(c->node, &inv)) != 0) {
    rc = cli_node_fail(c);
    goto out;
  }
  c->conf = *ayil_node_config(c->node);
  if (c->json) {
    json_t *o = json_pack("{s:s, s:s}", "hub_address", c->conf.hub_addr,
                          "hub_id", c->conf.hub_id);
    rc = cli_print_json(o);
    json_decref(o);
  } else {
    char ecode[32] = "(see ayil id --code)";
    if (ayil_node_id(c->node) != NULL)
      ayil_enrol_code_text(ayil_node_id(c->node), ecode);
    printf(_("joined hub %s (%s)\n"), c->conf.hub_addr, c->conf.hub_id);
    if (rehome)
      fprintf(stderr, _("ayil: restart ayild to dial the new hub\n"));
    fprintf(stderr,
            _("ayil: enrolment code %s: read it to the hub's operator by "
              "phone, who confirms it with `ayil admit --confirm %s`; ayild "
              "presents the invite on its connections and `ayil status` shows "
              "when it is admitted\n"),
            ecode, ecode);
    rc = EXIT_OK;
  }
out:
  sodium_memzero(&inv, sizeof inv);
  cli_close(c);
  return rc;
}

/* ---- admit ---- */

static const cli_optdef_t ADMIT_OPTS[] = {
    {"name", 1},         {"oblast", 1},  {"expires", 1}, {"advertise", 1},
    {"successor-of", 1}, {"confirm", 1}, {"qr", 0},      {"qr-png", 1},
    {"qr-svg", 1},       {"hub", 0},     {"rehome", 1},  {NULL, 0}};

/* 1 if HOST:PORT names no host: 0.0.0.0 or :: (listen on all addresses),
 * which a committee cannot dial. */
int cli_addr_unspecified(const char *addr) {
  return strncmp(addr, "0.0.0.0:", 8) == 0 || strncmp(addr, "[::]:", 5) == 0 ||
         strncmp(addr, ":::", 3) == 0;
}

/* --qr, --qr-png FILE, --qr-svg FILE: the invite as a QR code. */
static int admit_qr(cli_t *c, const char *code) {
  const char *png = cli_opt(c, "qr-png"), *svg = cli_opt(c, "qr-svg");
  FILE *out = c->json ? stderr : stdout;
  if (cli_opt(c, "qr") != NULL &&
      cli_qr_print(out, code, isatty(fileno(out))) != 0)
    return cli_err(EXIT_FAIL, "admit: the QR code could not be made");
  if (png != NULL && cli_qr_png(png, code) != 0)
    return cli_err(EXIT_FAIL,
                   "admit: --qr-png %s: %s (the invite above is valid; "
                   "name a new file)",
                   png, strerror(errno));
  if (svg != NULL && cli_qr_svg(svg, code) != 0)
    return cli_err(EXIT_FAIL,
                   "admit: --qr-svg %s: %s (the invite above is valid; "
                   "name a new file)",
                   svg, strerror(errno));
  return EXIT_OK;
}

/* ayil admit --confirm CODE: the second channel of an enrolment. */
static int admit_confirm(cli_t *c, const char *code) {
  uint8_t id[AYIL_ID_BYTES];
  char idtext[AYIL_ID_TEXT];
  int admitted = 0;
  int rc = cli_open(c, 1);
  if (rc != 0)
    return rc;
  rc = need_role(c, "hub", "admit --confirm");
  if (rc == 0 && ayil_node_confirm(c->node, code, id, &admitted) != 0)
    rc = cli_node_fail(c);
  cli_close(c);
  if (rc != 0)
    return rc;
  if (admitted)
    ayil_id_to_text(id, idtext);
  if (c->json) {
    json_t *o = json_pack("{s:b, s:s?}", "admitted", admitted, "node",
                          admitted ? idtext : NULL);
    rc = cli_print_json(o);
    json_decref(o);
    return rc;
  }
  if (admitted)
    printf(_("admitted node %s: it syncs on its next connection\n"), idtext);
  else
    printf(_("confirmed: the node showing this code is admitted when it "
             "presents its invite (within %d days)\n"),
           AYIL_INVITE_DAYS);
  return EXIT_OK;
}

int cmd_admit(cli_t *c, int argc, char **argv) {
  const char *name, *oblast, *exp, *adv, *succ;
  uint8_t pred[AYIL_ID_BYTES];
  char predtext[AYIL_ID_TEXT];
  ayil_node_admit_t args;
  char code[2 * AYIL_INVITE_MAX + 8];
  char when[32];
  ayil_invite_t inv;
  long days = AYIL_INVITE_DAYS;
  int rc = cli_parse(c, argc, argv, c->first, ADMIT_OPTS, "admit");
  if (rc != 0)
    return rc;
  name = cli_opt(c, "name");
  oblast = cli_opt(c, "oblast");
  exp = cli_opt(c, "expires");
  adv = cli_opt(c, "advertise");
  succ = cli_opt(c, "successor-of");
  if (cli_opt(c, "rehome") != NULL) {
    if (succ != NULL)
      return cli_err(EXIT_USAGE, "admit: --rehome and --successor-of "
                                 "exclude each other");
    succ = cli_opt(c, "rehome");
  }
  memset(&inv, 0, sizeof inv);
  if (c->npos > 0)
    return cli_err(EXIT_USAGE, "admit: unexpected argument (see ayil admit "
                               "--help)");
  if (cli_opt(c, "confirm") != NULL) {
    if (name != NULL || oblast != NULL || exp != NULL || adv != NULL ||
        succ != NULL)
      return cli_err(EXIT_USAGE, "admit: --confirm CODE takes no other "
                                 "option");
    return admit_confirm(c, cli_opt(c, "confirm"));
  }
  if (succ != NULL) {
    if (name != NULL || oblast != NULL || cli_opt(c, "hub") != NULL)
      return cli_err(EXIT_USAGE, "admit: --successor-of takes no --name, "
                                 "--oblast or --hub (the committee or hub "
                                 "stays the same)");
  } else {
    if (name == NULL || !cli_valid_name(name))
      return cli_err(EXIT_USAGE, "admit: --name is required (1-100 printable "
                                 "characters, no quotes)");
    if (oblast == NULL || !ayil_oblast_valid(oblast))
      return cli_err(EXIT_USAGE,
                     "admit: --oblast must be one of: batken, chui, "
                     "issyk_kul, jalal_abad, naryn, osh, talas, bishkek, "
                     "osh_city");
  }
  if (exp != NULL) {
    char *end = NULL;
    days = strtol(exp, &end, 10);
    if (end == exp || *end != '\0' || days < 1 || days > 3650)
      return cli_err(EXIT_USAGE, "admit: --expires must be a number of days "
                                 "1..3650");
  }
  if (adv != NULL && !cli_valid_addr(adv, 0))
    return cli_err(EXIT_USAGE, "admit: --advertise must be HOST:PORT");
  if ((cli_opt(c, "qr-png") != NULL &&
       access(cli_opt(c, "qr-png"), F_OK) == 0) ||
      (cli_opt(c, "qr-svg") != NULL && access(cli_opt(c, "qr-svg"), F_OK) == 0))
    return cli_err(EXIT_USAGE, "admit: the QR file exists already; name a "
                               "new file (the code is a secret: delete old "
                               "ones)");
  rc = cli_open(c, 1);
  if (rc != 0)
    return rc;
  rc = need_role(c, "hub", "admit");
  if (rc != 0)
    goto out;
  /* --successor-of: a whole id, a unique prefix of one, or the
   * committee's name */
  if (succ != NULL) {
    if (ayil_node_node_resolve(c->node, succ, pred) != 0) {
      rc = cli_node_fail(c);
      goto out;
    }
    ayil_id_to_text(pred, predtext);
    succ = predtext;
  }
  if (adv == NULL)
    adv = c->conf.advertise[0] != '\0' ? c->conf.advertise : c->conf.listen;
  if (!cli_valid_addr(adv, 0)) {
    rc = cli_err(EXIT_USAGE, "admit: the config has no advertise address "
                             "HOST:PORT; pass --advertise");
    goto out;
  }
  if (cli_addr_unspecified(adv))
    fprintf(stderr,
            _("ayil: warning: the invite gives the address %s, which no "
              "committee can dial (it means every address of this "
              "machine): pass --advertise with the hub's public name or "
              "address, or set [listen] advertise in ayil.conf\n"),
            adv);
  memset(&args, 0, sizeof args);
  args.name = name;
  args.oblast = oblast;
  args.successor_of = succ != NULL ? pred : NULL;
  args.expires_days = (unsigned)days;
  args.advertise = adv;
  args.hub = cli_opt(c, "hub") != NULL;
  args.rehome = cli_opt(c, "rehome") != NULL;
  if (ayil_node_admit(c->node, &args, &inv, code, sizeof code) != 0) {
    rc = cli_node_fail(c);
    goto out;
  }
  ayil_node_time_text((int64_t)inv.expires, when, sizeof when);
  if (c->json) {
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:s?}", "code", code, "name",
                  inv.name, "oblast", inv.oblast, "address", inv.addr,
                  "expires", (json_int_t)inv.expires, "successor_of", succ);
    rc = cli_print_json(o);
    json_decref(o);
  } else {
    printf("%s\n", code);
    if (succ != NULL)
      fprintf(stderr,
              _("ayil: replacement-node invite for \"%s\" (%s) dialing %s; "
                "single use, expires %s. Keep it secret: it carries the "
                "network key.\n"),
              inv.name, inv.oblast, inv.addr, when);
    else
      fprintf(stderr,
              _("ayil: invite for \"%s\" (%s) dialing %s; single use, "
                "expires %s. Keep it secret: it carries the network "
                "key.\n"),
              inv.name, inv.oblast, inv.addr, when);
    rc = EXIT_OK;
  }
  if (rc == EXIT_OK)
    rc = admit_qr(c, code);
out:
  sodium_memzero(code, sizeof code);
  sodium_memzero(&inv, sizeof inv);
  cli_close(c);
  return rc;
}

/* ---- revoke ---- */

static const cli_optdef_t REVOKE_OPTS[] = {{"after", 1}, {NULL, 0}};

int cmd_revoke(cli_t *c, int argc, char **argv) {
  uint8_t id[AYIL_ID_BYTES];
  char idtext[AYIL_ID_TEXT];
  ayil_node_revoked_t rv;
  ayil_device_t d;
  uint64_t after, cut = 0;
  const char *aopt;
  int rc = cli_parse(c, argc, argv, c->first, REVOKE_OPTS, "revoke");
  if (rc != 0)
    return rc;
  if (c->npos != 1)
    return cli_err(EXIT_USAGE, "usage: ayil revoke ID [--after SEQ]");
  aopt = cli_opt(c, "after");
  if (aopt != NULL) {
    char *end = NULL;
    unsigned long long v = strtoull(aopt, &end, 10);
    if (end == aopt || *end != '\0' || aopt[0] == '-')
      return cli_err(EXIT_USAGE, "revoke: --after must be a seq number "
                                 "(0 or more) of the node's log");
    cut = (uint64_t)v;
  }
  rc = cli_open(c, 1);
  if (rc != 0)
    return rc;
  rc = need_role(c, "hub", "revoke");
  if (rc != 0)
    goto out;
  /* a whole id, a unique prefix of one, or the committee's name */
  if (ayil_node_node_resolve(c->node, c->pos[0], id) != 0) {
    rc = cli_node_fail(c);
    goto out;
  }
  ayil_id_to_text(id, idtext);
  if (ayil_node_revoke(c->node, id, aopt != NULL ? &cut : NULL, &rv) != 0) {
    rc = cli_node_fail(c);
    goto out;
  }
  d = rv.device;
  after = d.revoked_after;
  if (!c->json && rv.changed && rv.rolled_back > 0)
    printf(_("revoked node %s of \"%s\" (%s): entries after seq %llu are "
             "refused; %llu entries it signed after that were rolled back "
             "(records it deleted or changed are restored)\n"),
           idtext, d.name, d.oblast, (unsigned long long)after,
           (unsigned long long)rv.rolled_back);
  else if (!c->json && rv.changed)
    printf(_("revoked node %s of \"%s\" (%s): entries after seq %llu are "
             "refused; ayild drops its connections within seconds\n"),
           idtext, d.name, d.oblast, (unsigned long long)after);
  else if (!c->json)
    printf(_("node %s of \"%s\" (%s) is already %s; nothing was changed\n"),
           idtext, d.name, d.oblast, d.state);
  if (c->json) {
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "id", idtext, "committee",
                  d.name, "oblast", d.oblast, "state", d.state, "revoked_after",
                  (json_int_t)after, "rolled_back", (json_int_t)rv.rolled_back);
    rc = cli_print_json(o);
    json_decref(o);
  } else {
    rc = EXIT_OK;
  }
out:
  cli_close(c);
  return rc;
}

/* ---- nodes ---- */

static json_t *int_or_null(int isnull, int64_t v) {
  return isnull ? json_null() : json_integer((json_int_t)v);
}

static json_t *device_json(const ayil_node_device_t *d) {
  char idtext[AYIL_ID_TEXT], succ[AYIL_ID_TEXT];
  if (d->invite) {
    if (d->has_successor_of)
      ayil_id_to_text(d->successor_of, succ);
    return json_pack("{s:n, s:s, s:I, s:I, s:b, s:s?}", "id", "state",
                     AYIL_DEV_INVITED, "created", (json_int_t)d->created,
                     "expires", (json_int_t)d->expires, "expired", d->expired,
                     "successor_of", d->has_successor_of ? succ : NULL);
  }
  ayil_id_to_text(d->id, idtext);
  return json_pack(
      "{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I}", "id", idtext,
      "state", d->state, "admitted", int_or_null(!d->has_admitted, d->admitted),
      "revoked", int_or_null(!d->has_revoked, d->revoked), "revoked_after",
      int_or_null(!d->has_revoked_after, d->revoked_after), "last_contact",
      int_or_null(!d->has_last_contact, d->last_contact), "last_ack",
      int_or_null(!d->has_last_ack, d->last_ack), "skew_ms",
      int_or_null(!d->has_skew, d->skew_ms), "entries", (json_int_t)d->entries,
      "last_seq", (json_int_t)d->last_seq, "rolled_back",
      (json_int_t)d->rolled_back);
}

static json_t *calert_json(const ayil_node_alert_t *a) {
  char idtext[AYIL_ID_TEXT];
  if (a->has_peer)
    ayil_id_to_text(a->peer, idtext);
  if (a->stored)
    return json_pack("{s:s, s:s, s:I, s:I, s:I}", "kind", a->kind, "node",
                     idtext, "seq", (json_int_t)a->seq, "first",
                     (json_int_t)a->first, "last", (json_int_t)a->last);
  if (a->has_peer)
    return json_pack("{s:s, s:s}", "kind", a->kind, "node", idtext);
  if (strcmp(a->kind, "silent") == 0)
    return json_pack("{s:s, s:I}", "kind", a->kind, "days",
                     (json_int_t)a->days);
  return json_pack("{s:s}", "kind", a->kind);
}

/* Builds one committee's JSON object. */
static json_t *committee_json(const ayil_node_committee_t *c) {
  json_t *o = json_object(), *nodes = json_array(), *alerts = json_array();
  json_t *series = json_array();
  int64_t ts = 0, tr = 0;
  size_t k;
  int i;
  for (k = 0; k < c->nnodes; k++)
    json_array_append_new(nodes, device_json(&c->nodes[k]));
  for (k = 0; k < c->nalerts; k++)
    json_array_append_new(alerts, calert_json(&c->alerts[k]));
  for (i = 0; i < 7; i++) {
    json_array_append_new(series,
                          json_pack("{s:s, s:I, s:I}", "day", c->days[i],
                                    "sent", (json_int_t)c->sent[i], "recv",
                                    (json_int_t)c->recv[i]));
    ts += c->sent[i];
    tr += c->recv[i];
  }
  json_object_set_new(o, "name", json_string(c->name));
  json_object_set_new(o, "oblast", json_string(c->oblast));
  json_object_set_new(o, "state", json_string(c->state));
  json_object_set_new(o, "kind", json_string(c->kind));
  json_object_set_new(o, "hub",
                      c->hub[0] != '\0' ? json_string(c->hub) : json_null());
  json_object_set_new(o, "last_written",
                      int_or_null(!c->has_written, c->written));
  json_object_set_new(o, "reached", int_or_null(!c->has_reached, c->reached));
  json_object_set_new(o, "reached_region",
                      int_or_null(!c->has_region, c->region));
  json_object_set_new(o, "nodes", nodes);
  json_object_set_new(o, "last_contact",
                      int_or_null(!c->has_last_contact, c->last_contact));
  json_object_set_new(o, "last_ack",
                      int_or_null(!c->has_last_ack, c->last_ack));
  json_object_set_new(o, "entries_held", json_integer(c->entries_held));
  json_object_set_new(o, "last_seq", json_integer(c->last_seq));
  json_object_set_new(o, "days_silent",
                      int_or_null(!c->has_last_contact, c->days_silent));
  json_object_set_new(o, "bytes_per_day_7d",
                      json_pack("{s:I, s:I}", "sent", (json_int_t)(ts / 7),
                                "recv", (json_int_t)(tr / 7)));
  json_object_set_new(o, "bytes_7d", series);
  json_object_set_new(o, "bytes_today",
                      json_pack("{s:I, s:I}", "sent", (json_int_t)c->sent[6],
                                "recv", (json_int_t)c->recv[6]));
  json_object_set_new(o, "skew_ms", int_or_null(!c->has_skew, c->skew_ms));
  json_object_set_new(o, "alerts", alerts);
  return o;
}

/* The display of one alert: "fork at seq 12", "silent 9 days". */
static void alert_text(const json_t *a, char *out, size_t cap) {
  const char *kind = json_string_value(json_object_get(a, "kind"));
  json_t *days = json_object_get(a, "days");
  json_t *seq = json_object_get(a, "seq");
  if (kind == NULL)
    kind = "?";
  if (strcmp(kind, "silent") == 0 && json_is_integer(days))
    snprintf(out, cap, "silent %lld days", (long long)json_integer_value(days));
  else if (strcmp(kind, "stale") == 0 && json_is_integer(days))
    snprintf(out, cap, "stale: newest entry %lld days old",
             (long long)json_integer_value(days));
  else if (strcmp(kind, "never_connected") == 0)
    snprintf(out, cap, "never connected");
  else if (strcmp(kind, "invite_expired") == 0)
    snprintf(out, cap, "invite expired");
  else if (strcmp(kind, "fork") == 0 && json_is_integer(seq))
    snprintf(out, cap, "FORK at seq %lld", (long long)json_integer_value(seq));
  else
    snprintf(out, cap, "%s", kind);
}

static void alerts_text(const json_t *alerts, char *out, size_t cap) {
  size_t i, n = 0;
  out[0] = '\0';
  for (i = 0; i < json_array_size(alerts) && n + 1 < cap; i++) {
    char one[64];
    alert_text(json_array_get(alerts, i), one, sizeof one);
    n += (size_t)snprintf(out + n, cap - n, "%s%s", i > 0 ? ", " : "", one);
  }
  if (out[0] == '\0')
    snprintf(out, cap, "-");
}

static void time_of(const json_t *v, char *out, size_t cap) {
  ayil_node_time_text(json_is_integer(v) ? (int64_t)json_integer_value(v) : 0,
                      out, cap);
}

static void skew_text(const json_t *v, char *out, size_t cap) {
  if (!json_is_integer(v))
    snprintf(out, cap, "-");
  else
    snprintf(out, cap, "%+.1fs", (double)json_integer_value(v) / 1000.0);
}

static void pair_bytes(const json_t *o, char *out, size_t cap) {
  char a[24], b[24];
  cli_bytes_text((uint64_t)json_integer_value(json_object_get(o, "sent")), a,
                 sizeof a);
  cli_bytes_text((uint64_t)json_integer_value(json_object_get(o, "recv")), b,
                 sizeof b);
  snprintf(out, cap, "%s/%s", a, b);
}

#define NCOLS 15
static const char *const COLS[NCOLS] = {
    "COMMITTEE", "OBLAST",         "STATE",   "LAST CONTACT", "LAST ACK",
    "WRITTEN",   "REGION",         "REACHED", "ENTRIES",      "SEQ",
    "SILENT",    "SENT/RECV /DAY", "TODAY",   "SKEW",         "ALERTS"};

/* One committee's cells for text and HTML. A regional hub (on a national
 * hub) is marked, and the committees it forwards follow it, indented. */
static void committee_cells(const json_t *o, char cells[NCOLS][512]) {
  json_t *ds = json_object_get(o, "days_silent");
  const char *kind = json_string_value(json_object_get(o, "kind"));
  snprintf(cells[0], 512, "%s%s",
           kind != NULL && strcmp(kind, "hub") == 0    ? "[hub] "
           : json_is_string(json_object_get(o, "hub")) ? "  "
                                                       : "",
           json_string_value(json_object_get(o, "name")));
  snprintf(cells[1], 512, "%s",
           json_string_value(json_object_get(o, "oblast")));
  snprintf(cells[2], 512, "%s", json_string_value(json_object_get(o, "state")));
  time_of(json_object_get(o, "last_contact"), cells[3], 512);
  time_of(json_object_get(o, "last_ack"), cells[4], 512);
  time_of(json_object_get(o, "last_written"), cells[5], 512);
  time_of(json_object_get(o, "reached_region"), cells[6], 512);
  time_of(json_object_get(o, "reached"), cells[7], 512);
  snprintf(cells[8], 512, "%lld",
           (long long)json_integer_value(json_object_get(o, "entries_held")));
  snprintf(cells[9], 512, "%lld",
           (long long)json_integer_value(json_object_get(o, "last_seq")));
  if (json_is_integer(ds))
    snprintf(cells[10], 512, "%lldd", (long long)json_integer_value(ds));
  else
    snprintf(cells[10], 512, "-");
  pair_bytes(json_object_get(o, "bytes_per_day_7d"), cells[11], 512);
  pair_bytes(json_object_get(o, "bytes_today"), cells[12], 512);
  skew_text(json_object_get(o, "skew_ms"), cells[13], 512);
  alerts_text(json_object_get(o, "alerts"), cells[14], 512);
}

static void node_line(const json_t *n, char *out, size_t cap) {
  const json_t *id = json_object_get(n, "id");
  const char *st = json_string_value(json_object_get(n, "state"));
  char t[32];
  if (json_is_string(id)) {
    time_of(json_object_get(n, "last_contact"), t, sizeof t);
    snprintf(out, cap, "%s  %s  (last contact %s)", json_string_value(id), st,
             t);
  } else {
    time_of(json_object_get(n, "expires"), t, sizeof t);
    snprintf(
        out, cap, "(invite not yet used, %s %s)%s",
        json_is_true(json_object_get(n, "expired")) ? "expired" : "expires", t,
        json_is_string(json_object_get(n, "successor_of"))
            ? ", for a replacement node"
            : "");
  }
}

/* Display width of UTF-8 text: one column per code point. */
static size_t width(const char *s) {
  size_t w = 0;
  for (; *s != '\0'; s++)
    if (((unsigned char)*s & 0xc0) != 0x80)
      w++;
  return w;
}

/* WRITTEN, REGION and REACHED are the tier's freshness: shown on a hub that has
 * a regional hub below it (elsewhere LAST ACK says when data arrived). */
static int tier_of(const json_t *doc) {
  const json_t *cs = json_object_get(doc, "committees");
  size_t i;
  for (i = 0; i < json_array_size(cs); i++) {
    const char *k =
        json_string_value(json_object_get(json_array_get(cs, i), "kind"));
    if (k != NULL && strcmp(k, "hub") == 0)
      return 1;
  }
  return 0;
}
#define COL_SHOWN(j, tier) ((tier) || (j) < 5 || (j) > 7)

static void print_nodes_text(const json_t *doc) {
  int tier = tier_of(doc);
  const json_t *cs = json_object_get(doc, "committees");
  size_t w[NCOLS], i, j, k;
  char cells[NCOLS][512];
  for (j = 0; j < NCOLS; j++)
    w[j] = width(COLS[j]);
  for (i = 0; i < json_array_size(cs); i++) {
    committee_cells(json_array_get(cs, i), cells);
    for (j = 0; j < NCOLS; j++)
      if (width(cells[j]) > w[j])
        w[j] = width(cells[j]);
  }
  for (j = 0; j < NCOLS; j++)
    if (COL_SHOWN(j, tier))
      printf("%s%*s", COLS[j],
             j + 1 < NCOLS ? (int)(w[j] - width(COLS[j]) + 2) : 0, "");
  printf("\n");
  for (i = 0; i < json_array_size(cs); i++) {
    const json_t *o = json_array_get(cs, i);
    const json_t *nodes = json_object_get(o, "nodes");
    committee_cells(o, cells);
    for (j = 0; j < NCOLS; j++)
      if (COL_SHOWN(j, tier))
        printf("%s%*s", cells[j],
               j + 1 < NCOLS ? (int)(w[j] - width(cells[j]) + 2) : 0, "");
    printf("\n");
    for (k = 0; k < json_array_size(nodes); k++) {
      char line[256];
      node_line(json_array_get(nodes, k), line, sizeof line);
      printf("  node %s\n", line);
    }
  }
  if (json_array_size(cs) == 0)
    printf(_("(no committees: register one with `ayil admit`)\n"));
}

/* A self-contained page: inline CSS, no script, no link, no resource. */
static int write_nodes_html(FILE *f, const json_t *doc, const char *hub) {
  const json_t *cs = json_object_get(doc, "committees");
  char cells[NCOLS][512];
  char gen[32];
  size_t i, j, k;
  int tier = tier_of(doc);
  ayil_node_time_text(
      (int64_t)json_integer_value(json_object_get(doc, "generated")), gen,
      sizeof gen);
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
        "charset=\"utf-8\">\n<title>ayil nodes: ",
        f);
  ayil_html_put(f, hub);
  fputs("</title>\n<style>\n"
        "body{font-family:sans-serif;margin:1em;color:#222}\n"
        "table{border-collapse:collapse;font-size:0.85em}\n"
        "th,td{border:1px solid #bbb;padding:0.25em 0.4em;text-align:left;"
        "vertical-align:top}\n"
        "td ul{overflow-wrap:anywhere}\n"
        "th{background:#eee}\n"
        "td.num{text-align:right}\n"
        "tr.alert td{background:#fde8e8}\n"
        "td.alerts{color:#a00;font-weight:bold}\n"
        "code{font-size:0.85em;word-break:break-all}\n"
        "ul{margin:0;padding-left:1.2em}\n"
        "td ul{min-width:13em}\n"
        /* Paper: one A4 landscape page wide, every column on it. */
        "@page{size:A4 landscape;margin:10mm}\n"
        "@media print{body{margin:0;font-size:8pt}"
        "table{font-size:7.5pt;width:100%}th,td{padding:1px 3px}"
        "th{white-space:nowrap}tr{break-inside:avoid}}\n"
        "</style>\n</head>\n<body>\n<h1>Committees of ",
        f);
  ayil_html_put(f, hub);
  fprintf(f,
          "</h1>\n<p>Generated %s. Silent: days since "
          "the last contact (alert after %lld days).</p>\n<table>\n<tr>",
          gen,
          (long long)json_integer_value(json_object_get(doc, "silent_days")));
  for (j = 0; j < NCOLS; j++) {
    if (!COL_SHOWN(j, tier))
      continue;
    fputs("<th>", f);
    ayil_html_put(f, COLS[j]);
    fputs("</th>", f);
    if (j == 2)
      fputs("<th>NODES</th>", f);
  }
  fputs("</tr>\n", f);
  for (i = 0; i < json_array_size(cs); i++) {
    const json_t *o = json_array_get(cs, i);
    const json_t *nodes = json_object_get(o, "nodes");
    int alert = json_array_size(json_object_get(o, "alerts")) > 0;
    committee_cells(o, cells);
    fprintf(f, "<tr%s>", alert ? " class=\"alert\"" : "");
    for (j = 0; j < NCOLS; j++) {
      if (!COL_SHOWN(j, tier))
        continue;
      fprintf(f, "<td%s>",
              j >= 8 && j <= 10  ? " class=\"num\""
              : j == 14 && alert ? " class=\"alerts\""
                                 : "");
      ayil_html_put(f, cells[j]);
      fputs("</td>", f);
      if (j == 2) {
        fputs("<td><ul>", f);
        for (k = 0; k < json_array_size(nodes); k++) {
          char line[256];
          const json_t *id = json_object_get(json_array_get(nodes, k), "id");
          node_line(json_array_get(nodes, k), line, sizeof line);
          fputs(json_is_string(id) ? "<li><code>" : "<li>", f);
          ayil_html_put(f, line);
          fputs(json_is_string(id) ? "</code></li>" : "</li>", f);
        }
        fputs("</ul></td>", f);
      }
    }
    fputs("</tr>\n", f);
  }
  fputs("</table>\n", f);
  if (json_array_size(cs) == 0)
    fputs("<p>No committees are registered.</p>\n", f);
  fputs("</body>\n</html>\n", f);
  return ferror(f) ? AYIL_EIO : 0;
}

static const cli_optdef_t NODES_OPTS[] = {
    {"html", 1}, {"silent-days", 1}, {NULL, 0}};

int cmd_nodes(cli_t *c, int argc, char **argv) {
  const char *html, *sd;
  ayil_node_committees_t all;
  long silent_days = 7;
  int64_t now;
  size_t k;
  json_t *doc = NULL, *cs;
  int rc = cli_parse(c, argc, argv, c->first, NODES_OPTS, "nodes");
  if (rc != 0)
    return rc;
  if (c->npos > 0)
    return cli_err(EXIT_USAGE, "usage: ayil nodes [--json] [--html FILE] "
                               "[--silent-days N]");
  html = cli_opt(c, "html");
  sd = cli_opt(c, "silent-days");
  if (sd != NULL) {
    char *end = NULL;
    silent_days = strtol(sd, &end, 10);
    if (end == sd || *end != '\0' || silent_days < 0 || silent_days > 3650)
      return cli_err(EXIT_USAGE, "nodes: --silent-days must be a number "
                                 "0..3650");
  }
  if (html != NULL && html[0] == '\0')
    return cli_err(EXIT_USAGE, "nodes: --html needs a file name");
  rc = cli_open(c, 0);
  if (rc != 0)
    return rc;
  rc = need_role(c, "hub", "nodes");
  if (rc != 0)
    goto out;
  now = (int64_t)time(NULL);
  doc = json_pack("{s:s, s:I, s:I, s:[]}", "hub", c->conf.name, "generated",
                  (json_int_t)now, "silent_days", (json_int_t)silent_days,
                  "committees");
  cs = json_object_get(doc, "committees");
  if (ayil_node_committees(c->node, now, silent_days, &all) != 0) {
    rc = cli_node_fail(c);
    goto out;
  }
  for (k = 0; k < all.n; k++)
    json_array_append_new(cs, committee_json(&all.c[k]));
  ayil_node_committees_free(&all);
  if (html != NULL) {
    FILE *f = fopen(html, "w");
    if (f == NULL) {
      rc = cli_err(EXIT_FAIL, "nodes: cannot write %s", html);
      goto out;
    }
    rc = write_nodes_html(f, doc, c->conf.name);
    if (fclose(f) != 0 || rc != 0) {
      rc = cli_err(EXIT_FAIL, "nodes: cannot write %s", html);
      goto out;
    }
  }
  rc = EXIT_OK;
  if (c->json)
    rc = cli_print_json(doc);
  else if (html == NULL)
    print_nodes_text(doc);
  else
    fprintf(stderr, _("ayil: wrote %s\n"), html);
out:
  json_decref(doc);
  cli_close(c);
  return rc;
}

/* ---- sync ---- */

/* Names what is outstanding in a status reply, for "not synced" errors. */
static void outstanding(const json_t *st, char *out, size_t cap) {
  const json_t *peers = json_object_get(st, "peers");
  size_t i;
  if (json_array_size(peers) == 0) {
    snprintf(out, cap, _("the daemon has no peer"));
    return;
  }
  for (i = 0; i < json_array_size(peers); i++) {
    const json_t *p = json_array_get(peers, i);
    json_int_t uo = json_integer_value(json_object_get(p, "unacked_out"));
    json_int_t ui = json_integer_value(json_object_get(p, "unacked_in"));
    const char *name = json_string_value(json_object_get(p, "name"));
    const char *id = json_string_value(json_object_get(p, "id"));
    const char *state = json_string_value(json_object_get(p, "state"));
    if (uo > 0 || ui > 0 || !json_is_true(json_object_get(p, "connected"))) {
      snprintf(out, cap,
               _("peer %s (%s) is %s, %lld entries not acknowledged out, %lld "
                 "in"),
               name != NULL && name[0] != '\0' ? name : "?",
               id != NULL ? id : "?", state != NULL ? state : "?",
               (long long)uo, (long long)ui);
      return;
    }
  }
  snprintf(out, cap, _("the daemon reports entries outstanding"));
}

static long long mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ctl_failed(const char *cmd, int rc, const char *sock) {
  if (rc == AYIL_ENOTFOUND)
    return cli_err(EXIT_FAIL, "ayild is not running (socket %s)", sock);
  if (rc == AYIL_EINVAL)
    return cli_err(EXIT_FAIL, "%s: the control socket path %s is too long", cmd,
                   sock);
  if (rc == AYIL_EPERM)
    return cli_err(EXIT_FAIL, "%s: control socket %s: permission denied", cmd,
                   sock);
  return cli_err(EXIT_FAIL, "%s: ayild (socket %s) did not answer: %s", cmd,
                 sock, ayil_strerror(rc));
}

static const cli_optdef_t SYNC_OPTS[] = {{"wait", 1}, {NULL, 0}};

int cmd_sync(cli_t *c, int argc, char **argv) {
  const char *w;
  long wait_s = -1;
  char sock[AYIL_PATH_MAX];
  json_t *req, *rep = NULL;
  long long deadline;
  int rc = cli_parse(c, argc, argv, c->first, SYNC_OPTS, "sync");
  if (rc != 0)
    return rc;
  if (c->npos > 0)
    return cli_err(EXIT_USAGE, "usage: ayil sync [--wait SECONDS]");
  w = cli_opt(c, "wait");
  if (w != NULL) {
    char *end = NULL;
    wait_s = strtol(w, &end, 10);
    if (end == w || *end != '\0' || wait_s < 0 || wait_s > 86400)
      return cli_err(EXIT_USAGE, "sync: --wait must be a number of seconds "
                                 "0..86400");
  }
  rc = ayil_home_check(c->home);
  if (rc == AYIL_ENOTFOUND)
    return cli_err(EXIT_USAGE,
                   "home directory %s does not exist (create a "
                   "node with `ayil init`, or pass --home)",
                   c->home);
  if (rc != 0)
    return cli_err(EXIT_USAGE, "home directory %s: %s", c->home,
                   ayil_strerror(rc));
  deadline = mono_ms() + (wait_s > 0 ? wait_s * 1000 : 0);
  req = json_pack("{s:s}", "cmd", "sync");
  rc = cli_ctl_request(c->home, req, CLI_CTL_TIMEOUT_MS, &rep, sock,
                       sizeof sock);
  json_decref(req);
  if (rc != 0)
    return ctl_failed("sync", rc, sock);
  if (!json_is_true(json_object_get(rep, "ok"))) {
    const char *e = json_string_value(json_object_get(rep, "error"));
    json_decref(rep);
    return cli_err(EXIT_FAIL, "sync: ayild refused: %s",
                   e != NULL ? e : "no reason given");
  }
  json_decref(rep);
  rep = NULL;
  if (wait_s < 0) {
    if (c->json) {
      json_t *o = json_pack("{s:b}", "ok", 1);
      rc = cli_print_json(o);
      json_decref(o);
      return rc;
    }
    fprintf(stderr, _("ayil: ayild is syncing\n"));
    return EXIT_OK;
  }
  req = json_pack("{s:s}", "cmd", "status");
  for (;;) {
    long long left = deadline - mono_ms();
    struct timespec pause = {0, 200 * 1000000L};
    json_decref(rep);
    rep = NULL;
    rc = cli_ctl_request(c->home, req,
                         left < CLI_CTL_TIMEOUT_MS
                             ? (left > 200 ? (int)left : 200)
                             : CLI_CTL_TIMEOUT_MS,
                         &rep, sock, sizeof sock);
    if (rc != 0) {
      json_decref(req);
      return ctl_failed("sync", rc, sock);
    }
    if (json_is_true(json_object_get(rep, "synced")))
      break;
    if (json_is_true(json_object_get(rep, "refused_by_hub"))) {
      /* Waiting longer changes nothing: say what is wrong and what to do. */
      json_decref(rep);
      json_decref(req);
      if (c->json) {
        json_t *o = json_pack("{s:b, s:b, s:b}", "ok", 1, "synced", 0,
                              "refused_by_hub", 1);
        cli_print_json(o);
        json_decref(o);
      }
      return cli_err(EXIT_FAIL,
                     "not synced: the hub refuses this node (it closes the "
                     "connection after authentication). It was revoked or "
                     "replaced, or its invite was already used: ask the "
                     "hub's sysadmin, who sees it in `ayil nodes` (this "
                     "node's id: `ayil id`); `ayil doctor` says more");
    }
    if (mono_ms() + 200 > deadline) {
      char what[512];
      outstanding(rep, what, sizeof what);
      json_decref(rep);
      json_decref(req);
      if (c->json) {
        json_t *o = json_pack("{s:b, s:b, s:s}", "ok", 1, "synced", 0,
                              "outstanding", what);
        cli_print_json(o);
        json_decref(o);
      }
      return cli_err(EXIT_FAIL, "not synced after %ld s: %s", wait_s, what);
    }
    nanosleep(&pause, NULL);
  }
  json_decref(rep);
  json_decref(req);
  if (c->json) {
    json_t *o = json_pack("{s:b, s:b}", "ok", 1, "synced", 1);
    rc = cli_print_json(o);
    json_decref(o);
    return rc;
  }
  fprintf(stderr, _("ayil: synced: every peer acknowledged everything\n"));
  return EXIT_OK;
}

/* Internal header of the `ayil` command line. */
#ifndef AYIL_CLI_H
#define AYIL_CLI_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "config.h"
#include "i18n.h"
#include "keys.h"
#include "node.h"
#include "registry.h"
#include "store.h"

/*
 * Messages for people in the language of the environment (LANGUAGE,
 * LC_ALL, LC_MESSAGES, LANG; ayil_i18n_env_lang, read once), from the
 * catalogue AYIL_DOMAIN_CLI (po/ayil-cli). Machine output (--json, ids,
 * the columns of tables that scripts read) stays as it is. cli_err
 * translates its format itself, so its callers pass a plain literal.
 * N_() marks a literal for xgettext where it is translated later.
 */
const char *cli_lang(void);
#define _(s) ayil_tr(cli_lang(), AYIL_DOMAIN_CLI, s)
#define N_(s) s

/* Exit codes of CLI.md. */
#define EXIT_OK 0
#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define CLI_MAX_POS 8
#define CLI_MAX_OPTS 24

/* has_arg: 0 a flag, 1 a value (--opt VALUE or --opt=VALUE),
 * CLI_ARG_OPTIONAL a value only as --opt=VALUE. */
#define CLI_ARG_OPTIONAL 2
typedef struct {
  const char *name; /* without the leading "--" */
  int has_arg;
} cli_optdef_t;

typedef struct {
  char home[AYIL_PATH_MAX];
  const char *home_opt;
  int json;
  /* The argument that followed a bare --json (record add's old
   * `--json FILE`), or NULL. */
  const char *json_next;
  int help;
  int first; /* argv index of the command's first argument */
  const char *passphrase_file;
  /* Parsed command options (name -> value, "" for flags) and positionals. */
  const char *opt_name[CLI_MAX_OPTS];
  const char *opt_val[CLI_MAX_OPTS];
  int nopts;
  const char *pos[CLI_MAX_POS];
  int npos;
  /* An opened node: the service API's handle, and copies of its config and
   * identity (doctor loads the identity itself, to check the key file). */
  ayil_node_t *node;
  ayil_node_unlock_t unlock;
  int unlock_exit; /* the exit code of a failed unlock callback */
  ayil_config_t conf;
  ayil_identity_t ident;
  int ident_loaded;
} cli_t;

/* HOST:PORT with a numeric port (0 allowed only with allow_zero, for a
 * listen address), at most 127 characters. */
int cli_valid_addr(const char *a, int allow_zero);
/* A committee or hub name: 1-100 printable characters, no quotes or
 * backslashes. */
int cli_valid_name(const char *n);

/* Prints "ayil: <msg>" on stderr, `fmt` translated (see _()), and returns
 * `code`. */
int cli_err(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Parses argv[first..] with getopt_long against `defs` plus the common
 * options (-h is --help); options and arguments may come in any order, and
 * `--` ends the options. Returns 0 or EXIT_USAGE after printing the
 * error. */
int cli_parse(cli_t *c, int argc, char **argv, int first,
              const cli_optdef_t *defs, const char *cmd);
/* The value of option `name`, or NULL if not given. */
const char *cli_opt(const cli_t *c, const char *name);

/* Opens the node at c->home: config, store (and identity if `ident`).
 * Prints an error and returns an exit code on failure. */
int cli_open(cli_t *c, int ident);
void cli_close(cli_t *c);
/* Prints a failed node call's error (ayil_node_error) and returns its exit
 * code: 2 when the input was at fault, else 1. */
int cli_node_fail(cli_t *c);
int cli_node_err(const ayil_node_err_t *e);
/* The unlock callback for node calls that open bodies (kit or passphrase). */
const ayil_node_unlock_t *cli_unlock(cli_t *c);
int cli_path(const cli_t *c, const char *name, char *out, size_t cap);

/*
 * Gets the passphrase: --passphrase-file, else $AYIL_PASSPHRASE, else the
 * terminal (asked twice when `confirm`). Returns 0 or an exit code after
 * printing the error. Free with cli_pass_free.
 */
int cli_passphrase(cli_t *c, const char *prompt, int confirm, char **out,
                   size_t *len);
void cli_pass_free(char *p, size_t len);
/* A prompt that names the node: `fmt` (translated, one %s) with the
 * committee's or hub's `name` (control characters shown as '?'). */
void cli_prompt_for(char *out, size_t cap, const char *fmt, const char *name);

/* Prints a JSON value (jansson) to stdout, one document. */
struct json_t;
/* A stored alert as `ayil alerts --json` and `ayil status --json` show it. */
struct json_t *cli_alert_json(const ayil_node_alert_t *a);
int cli_print_json(struct json_t *v);

typedef int (*cli_cmd_fn)(cli_t *c, int argc, char **argv);
typedef struct {
  const char *name;
  cli_cmd_fn fn;
  const char *usage;
  const char *help;
} cli_cmd_t;

/* Prints `ayil status` for an opened node. */
int cli_status(cli_t *c, const char *idtext);

int cmd_init(cli_t *c, int argc, char **argv);
int cmd_id(cli_t *c, int argc, char **argv);
int cmd_passwd(cli_t *c, int argc, char **argv);
int cmd_rekey(cli_t *c, int argc, char **argv);
int cmd_member(cli_t *c, int argc, char **argv);
int cmd_audit(cli_t *c, int argc, char **argv);
int cmd_record(cli_t *c, int argc, char **argv);
int cmd_schema(cli_t *c, int argc, char **argv);
int cmd_log(cli_t *c, int argc, char **argv);
int cmd_reindex(cli_t *c, int argc, char **argv);
int cmd_report(cli_t *c, int argc, char **argv);
int cmd_status(cli_t *c, int argc, char **argv);
int cmd_admit(cli_t *c, int argc, char **argv);
int cmd_revoke(cli_t *c, int argc, char **argv);
int cmd_nodes(cli_t *c, int argc, char **argv);
int cmd_join(cli_t *c, int argc, char **argv);
int cmd_sync(cli_t *c, int argc, char **argv);
int cmd_bundle(cli_t *c, int argc, char **argv);
int cmd_doctor(cli_t *c, int argc, char **argv);
int cmd_alerts(cli_t *c, int argc, char **argv);
int cmd_web(cli_t *c, int argc, char **argv);

/* Prints the web certificate's fingerprint on stderr with what a member
 * does with it (cmd_web.c). */
void cli_web_fpr_say(const char *fpr);

/* Enrollment (cmd_hub.c). Decodes an invite code given by the user (spaces
 * and newlines ignored) and checks it has not expired; returns 0, or an
 * exit code after printing the error. Wipe *inv after use. */
int cli_invite_read(const char *code, const char *cmd, ayil_invite_t *inv);
/* An invite code as a QR code (cli/qr.c): printed in UTF-8 half blocks
 * (`ansi`: black on white with ANSI colours, for a terminal), or written
 * to a new 0600 PNG or SVG file. 0, or -1 (errno says why for a file). */
int cli_qr_print(FILE *f, const char *text, int ansi);
int cli_qr_png(const char *path, const char *text);
int cli_qr_svg(const char *path, const char *text);
/* 1 if HOST:PORT is 0.0.0.0 or [::] (every address: no one can dial it). */
int cli_addr_unspecified(const char *addr);
/* Display helpers (cmd_hub.c): a byte count as "812 B", "12.3 KB"...; the
 * UTC day of t. A moment is shown with ayil_node_time_text (node.h). */
void cli_bytes_text(uint64_t n, char *out, size_t cap);
void cli_day(int64_t t, char out[16]);

#endif

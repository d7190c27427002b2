/*
 * ayil: the command line for committees and sysadmins. See
 * ../shared/CLI.md (the contract) and `ayil help`.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "ayil/error.h"
#include "cli.h"
#include "fsutil.h"

static const cli_cmd_t COMMANDS[] = {
    {"init", cmd_init,
     "init --role committee --name NAME --oblast OBLAST --recovery-kit FILE "
     "[--invite CODE]\n"
     "       ayil init --role hub --name NAME --listen HOST:PORT "
     "[--advertise HOST:PORT]",
     "Creates a node in the home directory: its identity, its store and, for "
     "a\ncommittee, the reader key wrapped by the passphrase, with the "
     "recovery kit\nwritten to FILE (print it and keep it offline). With "
     "--invite CODE (from\n`ayil admit` on the hub), the node is enrolled "
     "at the hub named in the code,\nand --name and --oblast may be left "
     "out: they come from the invite. A\ncommittee given an existing kit (a "
     "replacement node) restores the reader key\nfrom it."},
    {"id", cmd_id, "id", "Prints this node's id."},
    {"join", cmd_join, "join [--rehome] CODE",
     "Enrolls a committee node created without an invite at the hub named "
     "in\nthe invite CODE (from `ayil admit` on the hub): writes the network "
     "key and\nthe hub's address and id. ayild presents the code's one-time "
     "token on its\nfirst connection. A node joins once; an expired or "
     "malformed code is\nrefused (exit 2). On a regional hub, CODE comes "
     "from `ayil admit --hub` on the\nnational hub: ayild then dials it and "
     "forwards every log it holds.\n--rehome: a node that has a hub moves "
     "to the hub of CODE, keeping its key\nand its log (a committee that "
     "changes region, or whose regional hub was\nreplaced); restart ayild "
     "after."},
    {"status", cmd_status, "status [--json]",
     "Shows the role, id and name; whether ayild runs (and its live peers); "
     "each\npeer (a committee's hub, or every node registered at a hub) "
     "with its last\ncontact and last acknowledgement (local time), entries "
     "not "
     "yet acknowledged each\nway (\"in\" is known only while ayild runs), "
     "bytes sent and received today,\nclock skew; the records and entries "
     "held; and alerts (a fork, a revoked\npeer, a full disk: less than "
     "100 MB free in the home). In --json, times\nare unix seconds and null "
     "means never. ayild not running is not an error."},
    {"sync", cmd_sync, "sync [--wait SECONDS] [--json]",
     "Asks the running ayild to connect and sync now. Without --wait it "
     "returns 0\nonce ayild took the request. With --wait it returns 0 once "
     "every peer has\nacknowledged everything this node offers and nothing "
     "announced is\noutstanding, and 1 at the timeout, naming what is "
     "outstanding; at once when the hub refuses this node (revoked,\n"
     "replaced), saying so. Exits 1 when ayild is not running."},
    {"bundle", cmd_bundle,
     "bundle export FILE [--to ID] [--all] [--json]\n"
     "       ayil bundle import FILE [--json]",
     "Sync for links that never come up. export writes this node's entries "
     "that\nthe other side has not acknowledged (--all: every one), sealed "
     "to it, into\nFILE: a committee's bundle is for its hub; a hub's is for "
     "the committee node\n--to ID (its committee's history and the hub's "
     "log, and the hub's signed\nacknowledgement of that node's log: once "
     "imported, the committee's next\nexport leaves those entries out). "
     "import verifies and stores them exactly\nas a live sync would; "
     "importing twice changes nothing. Exits 1 if some\nentries were "
     "refused (a fork, a revoked or replaced node), naming the first."},
    {"record", cmd_record,
     "record add KIND [--file FILE|-] [--json]\n"
     "       ayil record update ID [--file FILE|-] [--json]\n"
     "       ayil record delete ID\n"
     "       ayil record show ID [--json]\n"
     "       ayil record list [--kind KIND] [--with-body] [--json]",
     "Enters and reads the committee's records. add at a terminal asks each "
     "field of\nthe kind (codes by number, y/n, dates YYYY-MM-DD; Enter skips "
     "an optional\nfield, Ctrl-D cancels; a refused answer is asked again). "
     "Otherwise the input\nis a JSON object with the fields of `ayil schema "
     "KIND`, from --file FILE or\nstandard input (`ayil record add appeal < "
     "appeal.json`); `--json FILE` still\nmeans --file FILE. add and update "
     "print the record's id, with --json as\n{\"id\": \"...\"}. Never put "
     "identifying values on a command line (echo\n'{...}' | keeps them in "
     "the shell's history). add needs no passphrase; show\nand --with-body "
     "do. update replaces the fields given (null removes an\noptional "
     "field); it needs the passphrase only when it changes an\nidentifying "
     "field. delete purges the record's bodies. ID is the\nrecord's id or a "
     "unique prefix of it (at least 4 hex characters, as git\ntakes a "
     "commit's)."},
    {"schema", cmd_schema, "schema [KIND] [--json]",
     "Lists the record kinds and, per field, its class, whether it is "
     "required,\nits type and its codes."},
    {"log", cmd_log, "log verify [--json]",
     "Checks every hash chain and signature in the store. Names the first "
     "bad\nentry and exits 1 if it finds one."},
    {"reindex", cmd_reindex, "reindex",
     "Rebuilds the records view from the signed logs."},
    {"report", cmd_report,
     "report [--from YYYY-MM] [--to YYYY-MM] [--oblast O]\n"
     "       [--format text|csv|json|md|html|xlsx|dhis2|adx] [--lang "
     "en|ru|ky]\n"
     "       [--suppress-below N] [--json] [--csv-sep ,|;|tab] "
     "[--layout long|wide]\n"
     "       [--output FILE] [--mapping FILE]",
     "Gives the indicators of RECORDS.md from the records' headers only.\n"
     "csv is for a spreadsheet: a UTF-8 BOM, labels in --lang beside the "
     "codes,\n--csv-sep ';' for a Russian locale, --layout wide for a row "
     "per committee.\nxlsx: a workbook with a sheet per scope, written to "
     "--output FILE.\ndhis2 (DHIS2 dataValueSets JSON) and adx (IHE ADX "
     "XML) are for the ministry's\nstatistics systems: they need --from, "
     "--to and --mapping FILE, which maps\nindicators to data elements and "
     "places to org units (example:\n"
     "/usr/share/doc/ayil/examples/report-mapping.example).\n"
     "Suppressed and unmapped cells are left out and counted on stderr."},
    {"admit", cmd_admit,
     "admit --name NAME --oblast OBLAST [--hub] [--expires DAYS] "
     "[--advertise HOST:PORT] [QR] [--json]\n"
     "       ayil admit --successor-of ID [--expires DAYS] "
     "[--advertise HOST:PORT] [QR] [--json]\n"
     "       ayil admit --rehome ID [--expires DAYS] [--advertise HOST:PORT] "
     "[QR] [--json]\n"
     "       ayil admit --confirm CODE [--json]\n"
     "       QR: [--qr] [--qr-png FILE] [--qr-svg FILE]",
     "Hub only. Registers a committee and prints a single-use invite code "
     "for its\nnode (`ayil init --role committee --invite CODE ...` or "
     "`ayil join CODE`).\nThe code carries the address committees dial "
     "(--advertise, else the\nconfig's), the hub's id, the network key and "
     "a one-time token; keep it\nsecret. The first node id that presents "
     "the token is bound to the committee.\nIt expires after DAYS (default "
     "30). With --successor-of ID, the invite is\nfor a replacement node of "
     "the committee of node ID: once admitted, the old\nnode is refused and "
     "the new one gets the committee's history back.\n--qr also draws the "
     "code as a QR code (UTF-8 half blocks; on stderr with\n--json), "
     "--qr-png/--qr-svg write it to a new file (mode 0600), for a phone\n"
     "camera or paper. An address of 0.0.0.0 or :: is warned about: no "
     "committee\ncan dial it. --rehome ID: an invite for node ID, already "
     "registered here\n(taken over from a replaced regional hub), to move "
     "to this hub with\n`ayil join --rehome CODE`. With --hub (a national "
     "hub), the invite is "
     "for a regional hub\nof OBLAST, which joins with `ayil join CODE` and "
     "then forwards every\ncommittee log it holds, byte for byte."},
    {"revoke", cmd_revoke, "revoke ID [--after SEQ] [--json]",
     "Hub only. Refuses node ID from now on: its connections, and any entries "
     "it\nwrites after the last one the hub holds. ayild drops a revoked "
     "node's\nconnection within seconds. To replace the node, use "
     "`ayil admit\n--successor-of ID`. ID is the node's id, a unique "
     "prefix of it (at least 4\ncharacters) or its committee's name."},
    {"nodes", cmd_nodes, "nodes [--json] [--html FILE] [--silent-days N]",
     "Hub only. One row per committee: name, oblast, state (invited, active, "
     "revoked,\nreplaced), its node ids (and invites not yet used), last "
     "contact, last\nacknowledgement (local time), entries held and the last "
     "sequence number held, days\nsilent, bytes sent/received per day over "
     "the last 7 days and today, clock\nskew, and alerts (fork, revoked, "
     "never connected, silent for more than N\ndays, default 7; invite "
     "expired). --html FILE writes a self-contained page\n(no script, no "
     "external resource). In --json, times are unix seconds."},
    {"alerts", cmd_alerts, "alerts [--json] | alerts clear KIND [--node ID]",
     "Lists the standing alerts (fork, revoked, replaced, refused_by_hub,\n"
     "disk_full), or clears those of one kind (for one peer with --node) "
     "once the\ncause is dealt with. A fork alert makes the hub refuse that "
     "log: clear it\nonly when you know which copy is genuine (usually: "
     "admit a successor\ninstead)."},
    {"doctor", cmd_doctor, "doctor [--quick] [--offline] [--json]",
     "Checks this node and prints, for each problem, the fix in one "
     "sentence:\nownership and modes of the home and the keys, the config, "
     "free disk, the\nclock (a Pi has no real-time clock), the store (SQLite's "
     "integrity check\nand every chain and signature; --quick skips the "
     "chains), whether ayild\nruns, whether the hub refuses this node (its "
     "alerts: then no `ok sync`),\nand (unless --offline) a TCP connection "
     "to the hub (a name is looked up),\nor on a hub to its listen address. "
     "Run as root on a home owned by another\nuser, it switches to that user "
     "first. Exits 1 if a check failed, 0 if there\nare only warnings."},
    {"passwd", cmd_passwd, "passwd [--recovery-kit FILE]",
     "Changes the passphrase. With --recovery-kit, sets a new one when the "
     "old one\nis forgotten."},
    {"member", cmd_member,
     "member list | member add NAME --role chair|member [--as CHAIR] | "
     "member remove NAME | member passwd NAME [--as NAME]",
     "The committee's members, each with a password that opens their own "
     "key slot\n(the reader key wrapped under it). add and passwd ask the "
     "password of a chair\n(--as NAME, default the first chair; or "
     "--recovery-kit FILE) and then the\nmember's new password "
     "(--new-passphrase-file FILE or $AYIL_NEW_PASSPHRASE\nwork as for "
     "passwd). remove deletes only that member's slot. The first chair\nis "
     "the node passphrase of a node from before members."},
    {"audit", cmd_audit, "audit [--limit N] [--json]",
     "Who opened which record's sealed fields, when and from where (the web "
     "app\nand the command line alike), newest first. The audit stays on "
     "this node."},
    {"rekey", cmd_rekey, "rekey --new-kit FILE [--recovery-kit OLDKIT]",
     "Makes a new reader key (a member left, a Pi or a backup was stolen): "
     "new\nrecords are sealed to it, old ones still open with the earlier "
     "keys,\nwhich stay only sealed to it. Asks the passphrase (or reads "
     "the old\nkit) and a new passphrase, and writes a new recovery kit to "
     "FILE (on a USB\nstick, never in the home). Destroy the old kit."},
    {"web", cmd_web,
     "web cert [--force] [--json]\n"
     "       ayil web cert --show [--json]\n"
     "       ayil web cert --cert FILE --key FILE [--json]",
     "The certificate ayil-web serves on the office LAN. Without options, "
     "makes a\nself-signed one (ayil init made one already: --force "
     "replaces it) and\nprints its SHA-256 fingerprint; --show prints the "
     "fingerprint of the one\nin place (also a sysadmin's own); --cert and "
     "--key install a PEM\ncertificate and its key of your own instead. "
     "Members check the fingerprint\nonce, when their browser first warns. "
     "Restart ayil-web to serve a new one."},
};
#define NCOMMANDS (sizeof COMMANDS / sizeof COMMANDS[0])

int cli_valid_addr(const char *a, int allow_zero) {
  const char *colon = strrchr(a, ':');
  char *end = NULL;
  long port;
  if (colon == NULL || colon == a || strlen(a) >= 128)
    return 0;
  port = strtol(colon + 1, &end, 10);
  return end != colon + 1 && *end == '\0' && port >= (allow_zero ? 0 : 1) &&
         port <= 65535;
}

int cli_valid_name(const char *n) {
  return ayil_node_name_ok(n); /* the registry's rule */
}

const char *cli_lang(void) {
  static const char *lang;
  if (lang == NULL)
    lang = ayil_i18n_env_lang();
  return lang;
}

/*
 * The last error told to the user, for the JSON error document that
 * `--json` prints on stdout when a command fails (see json_error), and
 * whether a JSON document was printed already.
 */
static struct {
  char code[32];
  char msg[640];
  int printed;
} last_err;

static void err_keep(const char *code, const char *msg) {
  snprintf(last_err.code, sizeof last_err.code, "%s", code);
  snprintf(last_err.msg, sizeof last_err.msg, "%s", msg);
}

int cli_err(int code, const char *fmt, ...) {
  va_list ap;
  char msg[640];
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, _(fmt), ap);
  va_end(ap);
  fprintf(stderr, "ayil: %s\n", msg);
  err_keep(code == EXIT_USAGE ? "usage" : "failed", msg);
  return code;
}

static const cli_optdef_t COMMON[] = {
    {"home", 1}, {"json", 0}, {"help", 0}, {"passphrase-file", 1}, {NULL, 0}};

static const cli_optdef_t *find_def(const cli_optdef_t *defs,
                                    const char *name) {
  int i;
  for (i = 0; defs != NULL && defs[i].name != NULL; i++)
    if (strcmp(defs[i].name, name) == 0)
      return &defs[i];
  return NULL;
}

/* getopt_long's value for the i-th long option (above every short one). */
#define OPT_BASE 0x100
#define MAX_LONGOPTS (CLI_MAX_OPTS + 8)

int cli_parse(cli_t *c, int argc, char **argv, int first,
              const cli_optdef_t *defs, const char *cmd) {
  struct option lo[MAX_LONGOPTS + 1];
  const cli_optdef_t *def[MAX_LONGOPTS];
  int nlo = 0, i, opt, sub_argc, bad = 0;
  const char *bad_opt = NULL;
  char **sub_argv;
  /* A command's own option wins: `record add --json=FILE` takes a value
   * where the common --json is a flag. */
  for (i = 0; defs != NULL && defs[i].name != NULL && nlo < MAX_LONGOPTS; i++)
    def[nlo++] = &defs[i];
  for (i = 0; COMMON[i].name != NULL && nlo < MAX_LONGOPTS; i++)
    if (find_def(defs, COMMON[i].name) == NULL)
      def[nlo++] = &COMMON[i];
  for (i = 0; i < nlo; i++) {
    lo[i].name = def[i]->name;
    lo[i].has_arg = def[i]->has_arg == CLI_ARG_OPTIONAL ? optional_argument
                    : def[i]->has_arg                   ? required_argument
                                                        : no_argument;
    lo[i].flag = NULL;
    lo[i].val = OPT_BASE + i;
  }
  memset(&lo[nlo], 0, sizeof lo[nlo]);
  /* getopt_long sees the command's arguments after argv[first - 1] (the
   * command's or subcommand's name, its argv[0]); it may reorder them. */
  if (first < 1 || first > argc)
    return cli_err(EXIT_USAGE, "%s: bad arguments", cmd);
  sub_argv = argv + first - 1;
  sub_argc = argc - first + 1;
  opterr = 0;
  optind = 0; /* a fresh scan (glibc): main has used getopt already */
  while ((opt = getopt_long(sub_argc, sub_argv, ":h", lo, NULL)) != -1) {
    const cli_optdef_t *d;
    const char *val;
    if (opt == 'h') {
      c->help = 1;
      continue;
    }
    if (opt == ':' || opt == '?' || opt < OPT_BASE || opt >= OPT_BASE + nlo) {
      /* The first error is told once the rest is parsed: a --json after
       * it still asks for the JSON error document. */
      if (bad == 0) {
        bad = opt == ':' ? ':' : '?';
        bad_opt = optopt >= OPT_BASE && optopt < OPT_BASE + nlo
                      ? def[optopt - OPT_BASE]->name
                      : NULL;
      }
      continue;
    }
    d = def[opt - OPT_BASE];
    val = optarg != NULL ? optarg : "";
    if (strcmp(d->name, "home") == 0)
      c->home_opt = val;
    else if (strcmp(d->name, "json") == 0 && optarg == NULL) {
      c->json = 1;
      /* `record add KIND --json FILE`, the old spelling of --file */
      c->json_next = optind < sub_argc ? sub_argv[optind] : NULL;
    } else if (strcmp(d->name, "help") == 0)
      c->help = 1;
    else if (strcmp(d->name, "passphrase-file") == 0)
      c->passphrase_file = val;
    if (c->nopts >= CLI_MAX_OPTS)
      return cli_err(EXIT_USAGE, "%s: too many options", cmd);
    c->opt_name[c->nopts] = d->name;
    c->opt_val[c->nopts++] = val;
  }
  /* What was typed is never echoed: it may be a name. */
  if (bad != 0 && bad_opt != NULL)
    return cli_err(EXIT_USAGE,
                   bad == ':' ? "%s: option --%s needs a value"
                              : "%s: option --%s takes no value",
                   cmd, bad_opt);
  if (bad != 0)
    return cli_err(EXIT_USAGE,
                   "%s: unknown option (it is not shown; see ayil %s --help)",
                   cmd, cmd);
  for (i = optind; i < sub_argc; i++) {
    if (c->npos >= CLI_MAX_POS)
      return cli_err(EXIT_USAGE, "%s: too many arguments", cmd);
    c->pos[c->npos++] = sub_argv[i];
  }
  ayil_home_resolve(c->home_opt, c->home, sizeof c->home);
  return 0;
}

const char *cli_opt(const cli_t *c, const char *name) {
  int i;
  for (i = c->nopts - 1; i >= 0; i--)
    if (strcmp(c->opt_name[i], name) == 0)
      return c->opt_val[i];
  return NULL;
}

int cli_path(const cli_t *c, const char *name, char *out, size_t cap) {
  return ayil_home_path(c->home, name, out, cap);
}

/*
 * Root working on a home that belongs to another user (the `ayil` system
 * user of the package) becomes that user first: files root would create
 * there (the store's -wal and -shm) would lock the daemon out.
 */
static int become_owner(const char *home) {
  struct stat st;
  struct passwd *pw;
  gid_t gid;
  if (geteuid() != 0 || stat(home, &st) != 0 || st.st_uid == 0)
    return 0;
  pw = getpwuid(st.st_uid);
  gid = pw != NULL ? pw->pw_gid : st.st_gid;
  if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(st.st_uid) != 0)
    return cli_err(EXIT_FAIL,
                   "cannot switch from root to the owner of %s: %s; run "
                   "the command as that user (sudo -u USER ayil ...)",
                   home, strerror(errno));
  return 0;
}

/* The node's message is in the CLI's language already
 * (ayil_node_set_lang in main). */
int cli_node_err(const ayil_node_err_t *e) {
  char code[32];
  size_t i;
  fprintf(stderr, "ayil: %s\n", e->msg);
  /* the code's name in lower case: "notfound", "passphrase", ... */
  snprintf(code, sizeof code, "%s",
           e->code < 0 ? ayil_err_name(e->code)
                       : (e->input ? "usage" : "failed"));
  for (i = 0; code[i] != '\0'; i++)
    if (code[i] >= 'A' && code[i] <= 'Z')
      code[i] = (char)(code[i] - 'A' + 'a');
  err_keep(code, e->msg);
  return e->input ? EXIT_USAGE : EXIT_FAIL;
}

int cli_node_fail(cli_t *c) {
  const ayil_node_err_t *e = ayil_node_error(c->node);
  if (e->msg[0] == '\0') /* the unlock callback told the user already */
    return c->unlock_exit != 0 ? c->unlock_exit : EXIT_FAIL;
  return cli_node_err(e);
}

int cli_open(cli_t *c, int ident) {
  ayil_node_err_t err;
  int rc = become_owner(c->home);
  if (rc != 0)
    return rc;
  rc = ayil_node_open(&c->node, c->home, ident ? AYIL_NODE_IDENTITY : 0, &err);
  if (rc != 0) {
    c->node = NULL;
    return cli_node_err(&err);
  }
  c->conf = *ayil_node_config(c->node);
  {
    /* the audit names the member who unlocks, from the command line */
    const char *m = cli_opt(c, "as");
    struct passwd *pw = getpwuid(geteuid());
    char addr[64];
    if (m == NULL && getenv("AYIL_MEMBER") != NULL &&
        getenv("AYIL_MEMBER")[0] != '\0')
      m = getenv("AYIL_MEMBER");
    snprintf(addr, sizeof addr, "cli:%s", pw != NULL ? pw->pw_name : "?");
    ayil_node_set_actor(c->node, m != NULL ? m : "cli", addr);
  }
  if (ident) {
    c->ident = *ayil_node_identity(c->node);
    c->ident_loaded = 1;
  }
  return 0;
}

void cli_close(cli_t *c) {
  if (c->node != NULL)
    ayil_node_close(c->node);
  c->node = NULL;
  if (c->ident_loaded)
    ayil_identity_wipe(&c->ident);
  c->ident_loaded = 0;
}

void cli_pass_free(char *p, size_t len) {
  if (p != NULL) {
    sodium_memzero(p, len);
    free(p);
  }
}

/*
 * While a passphrase is read, the terminal's echo is off; a signal that
 * ends the process (Ctrl-C, Ctrl-\, a kill, a hangup) must not leave it
 * off. The handler puts the terminal back, then lets the signal do what
 * it would have done (SA_RESETHAND: the default action, once the handler
 * returns). Ctrl-Z puts it back while stopped and turns echo off again on
 * `fg`.
 */
static const int TTY_SIGNALS[] = {SIGINT,  SIGTERM, SIGHUP,  SIGQUIT, SIGALRM,
                                  SIGUSR1, SIGUSR2, SIGPIPE, SIGXCPU, SIGVTALRM,
                                  SIGPROF, SIGTSTP, SIGTTIN, SIGTTOU};
#define NTTY_SIGNALS (sizeof TTY_SIGNALS / sizeof TTY_SIGNALS[0])
static volatile sig_atomic_t tty_fd = -1;
static struct termios tty_saved, tty_quiet;

static void tty_on_signal(int sig) {
  int saved_errno = errno;
  int fd = tty_fd;
  if (fd >= 0) {
    (void)tcsetattr(fd, TCSAFLUSH, &tty_saved);
    if (write(fd, "\n", 1) < 0) {
      /* cosmetic */
    }
  }
  if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
    (void)raise(SIGSTOP);
    if (fd >= 0)
      (void)tcsetattr(fd, TCSAFLUSH, &tty_quiet);
  } else {
    (void)raise(sig); /* delivered with the default action on return */
  }
  errno = saved_errno;
}

static int read_tty(const char *prompt, char **out, size_t *len) {
  struct sigaction sa, old_sa[NTTY_SIGNALS];
  char buf[1024];
  int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
  ssize_t n;
  size_t l = 0, i;
  if (fd < 0)
    return AYIL_ENOTFOUND;
  if (tcgetattr(fd, &tty_saved) != 0) {
    close(fd);
    return AYIL_ENOTFOUND;
  }
  tty_quiet = tty_saved;
  tty_quiet.c_lflag &= ~(tcflag_t)ECHO;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = tty_on_signal;
  sigemptyset(&sa.sa_mask);
  for (i = 0; i < NTTY_SIGNALS; i++) {
    sa.sa_flags = TTY_SIGNALS[i] == SIGTSTP || TTY_SIGNALS[i] == SIGTTIN ||
                          TTY_SIGNALS[i] == SIGTTOU
                      ? SA_RESTART
                      : SA_RESETHAND;
    sigaction(TTY_SIGNALS[i], &sa, &old_sa[i]);
  }
  tty_fd = fd;
  /* echo off before the prompt: nothing typed ahead is shown */
  tcsetattr(fd, TCSAFLUSH, &tty_quiet);
  if (write(fd, prompt, strlen(prompt)) >= 0) {
    while (l + 1 < sizeof buf) {
      n = read(fd, buf + l, 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0 || buf[l] == '\n')
        break;
      l++;
    }
  }
  tcsetattr(fd, TCSAFLUSH, &tty_saved);
  tty_fd = -1;
  for (i = 0; i < NTTY_SIGNALS; i++)
    sigaction(TTY_SIGNALS[i], &old_sa[i], NULL);
  if (write(fd, "\n", 1) < 0) {
    /* nothing to do: the newline is cosmetic */
  }
  close(fd);
  *out = malloc(l + 1);
  if (*out == NULL) {
    sodium_memzero(buf, sizeof buf);
    return AYIL_ENOMEM;
  }
  memcpy(*out, buf, l);
  (*out)[l] = '\0';
  *len = l;
  sodium_memzero(buf, sizeof buf);
  return 0;
}

/* Reads a passphrase file, which only its owner may read: a file that its
 * group or others can read is refused, naming its mode. */
static int read_pass_file(const char *path, uint8_t **buf, size_t *n) {
  struct stat st;
  int rc, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return cli_err(EXIT_USAGE, "passphrase file %s: %s", path,
                   ayil_strerror(errno == ENOENT   ? AYIL_ENOTFOUND
                                 : errno == EACCES ? AYIL_EPERM
                                                   : AYIL_EIO));
  if (fstat(fd, &st) != 0) {
    close(fd);
    return cli_err(EXIT_USAGE, "passphrase file %s: %s", path,
                   ayil_strerror(AYIL_EIO));
  }
  if (S_ISREG(st.st_mode) && (st.st_mode & 077) != 0) {
    close(fd);
    return cli_err(EXIT_USAGE,
                   "passphrase file %s has mode %04o: its group or others "
                   "may read it; make it the owner's alone (chmod 600 %s) "
                   "and choose a new passphrase if others could read it",
                   path, (unsigned)(st.st_mode & 07777), path);
  }
  rc = ayil_fs_read_fd(fd, 1024, buf, n);
  close(fd);
  if (rc != 0)
    return cli_err(EXIT_USAGE, "passphrase file %s: %s", path,
                   ayil_strerror(rc));
  return 0;
}

int cli_passphrase(cli_t *c, const char *prompt, int confirm, char **out,
                   size_t *len) {
  const char *env = getenv("AYIL_PASSPHRASE");
  int rc;
  if (c->passphrase_file != NULL) {
    uint8_t *buf = NULL;
    size_t n = 0;
    rc = read_pass_file(c->passphrase_file, &buf, &n);
    if (rc != 0)
      return rc;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
      buf[--n] = '\0';
    *out = (char *)buf;
    *len = n;
  } else if (env != NULL) {
    *out = strdup(env);
    if (*out == NULL)
      return cli_err(EXIT_FAIL, "out of memory");
    *len = strlen(env);
  } else {
    rc = read_tty(prompt, out, len);
    if (rc != 0)
      return cli_err(EXIT_USAGE, "a passphrase is needed and there is no "
                                 "terminal: use --passphrase-file FILE or "
                                 "AYIL_PASSPHRASE");
    if (confirm) {
      char *again = NULL;
      size_t alen = 0;
      rc = read_tty(_("Repeat the passphrase: "), &again, &alen);
      if (rc != 0 || alen != *len || sodium_memcmp(again, *out, alen) != 0) {
        cli_pass_free(again, alen);
        cli_pass_free(*out, *len);
        return cli_err(EXIT_USAGE, "the passphrases do not match");
      }
      cli_pass_free(again, alen);
    }
  }
  if (confirm &&
      ayil_passphrase_chars(*out, *len) < AYIL_PASSPHRASE_MIN_CHARS) {
    cli_pass_free(*out, *len);
    return cli_err(EXIT_USAGE,
                   "the passphrase must have at least %d characters",
                   AYIL_PASSPHRASE_MIN_CHARS);
  }
  return 0;
}

void cli_prompt_for(char *out, size_t cap, const char *fmt, const char *name) {
  char clean[128];
  size_t i;
  snprintf(clean, sizeof clean, "%s", name != NULL ? name : "");
  for (i = 0; clean[i] != '\0'; i++)
    if ((unsigned char)clean[i] < 0x20 || clean[i] == 0x7f)
      clean[i] = '?';
      /* fmt is a translation of a literal with one %s (msgfmt --check keeps
       * its conversions) */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  snprintf(out, cap, fmt, clean[0] != '\0' ? clean : "ayil");
#pragma GCC diagnostic pop
}

/* The node's unlock callback: the recovery kit if --recovery-kit, else
 * the passphrase (--passphrase-file, $AYIL_PASSPHRASE or the terminal). */
static int unlock_get(void *ctx, ayil_node_key_t *key) {
  cli_t *c = ctx;
  char prompt[256];
  char *pass = NULL;
  size_t plen = 0;
  int rc;
  key->kit = cli_opt(c, "recovery-kit");
  if (key->kit != NULL)
    return 0;
  /* whose key slot: --as NAME, else $AYIL_MEMBER, else the first chair */
  key->member = cli_opt(c, "as");
  if (key->member == NULL && getenv("AYIL_MEMBER") != NULL &&
      getenv("AYIL_MEMBER")[0] != '\0')
    key->member = getenv("AYIL_MEMBER");
  cli_prompt_for(prompt, sizeof prompt,
                 key->member != NULL ? _("Password for %s: ")
                                     : _("Passphrase for %s: "),
                 c->conf.name);
  rc = cli_passphrase(c, prompt, 0, &pass, &plen);
  if (rc != 0) {
    c->unlock_exit = rc;
    return AYIL_EAUTH;
  }
  key->pass = pass;
  key->passlen = plen;
  return 0;
}

static void unlock_done(void *ctx, ayil_node_key_t *key) {
  (void)ctx;
  cli_pass_free((char *)key->pass, key->passlen);
  key->pass = NULL;
  key->passlen = 0;
}

const ayil_node_unlock_t *cli_unlock(cli_t *c) {
  c->unlock.get = unlock_get;
  c->unlock.done = unlock_done;
  c->unlock.ctx = c;
  return &c->unlock;
}

int cli_print_json(json_t *v) {
  int rc = json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  last_err.printed = 1;
  fputc('\n', stdout);
  return rc == 0 ? EXIT_OK : EXIT_FAIL;
}

static void usage(FILE *f) {
  size_t i;
  fprintf(f, "%s",
          _("usage: ayil [--home DIR] [--json] COMMAND [OPTIONS]\n\n"
            "The home is --home, else $AYIL_HOME, else "
            "/var/lib/ayil.\n"
            "Commands:\n"));
  for (i = 0; i < NCOMMANDS; i++)
    fprintf(f, "  ayil %s\n", COMMANDS[i].usage);
  fprintf(f, "%s",
          _("\nCommon options, before or after the command: --home DIR, "
            "--json, --passphrase-file FILE (or $AYIL_PASSPHRASE).\n"
            "-h or --help: this help; --version: the version. With --json, "
            "a failure also prints\n{\"error\": {\"code\": ..., "
            "\"message\": ..., \"exit\": ...}} on stdout.\n"
            "ID: a record's or a node's whole id, or a unique prefix of at "
            "least 4 of its characters\n(as git takes a commit's); on a "
            "hub, a node also by its committee's name.\n"
            "`ayil COMMAND --help` explains a command. Exit codes: 0 ok, 2 "
            "usage or bad input, 1 other failure.\n"));
}

static int help_for(const char *name) {
  size_t i;
  for (i = 0; i < NCOMMANDS; i++)
    if (strcmp(COMMANDS[i].name, name) == 0) {
      printf("usage: ayil %s\n\n%s\n", COMMANDS[i].usage, COMMANDS[i].help);
      return EXIT_OK;
    }
  (void)name; /* what was typed is never echoed */
  return cli_err(EXIT_USAGE,
                 "unknown command (it is not shown; see ayil help)");
}

/* With --json, a failed command's error as one JSON document on stdout
 * (unless it printed its own), beside the line on stderr. */
static int json_error(const cli_t *c, int rc) {
  json_t *o;
  if (rc == EXIT_OK || !c->json || last_err.printed)
    return rc;
  o = json_pack("{s:{s:s, s:s, s:i}}", "error", "code",
                last_err.code[0] != '\0'
                    ? last_err.code
                    : (rc == EXIT_USAGE ? "usage" : "failed"),
                "message", last_err.msg, "exit", rc);
  if (o != NULL) {
    (void)cli_print_json(o);
    json_decref(o);
  }
  return rc;
}

/* `ayil COMMAND ... --help` or `-h` (before a `--`) asks for the
 * command's help instead of running it. */
static int wants_help(int argc, char **argv, int first) {
  int j;
  for (j = first; j < argc && strcmp(argv[j], "--") != 0; j++)
    if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0)
      return 1;
  return 0;
}

enum { G_HOME = 0x100, G_JSON, G_HELP, G_VERSION, G_PASSFILE };
static const struct option GLOBAL_OPTS[] = {
    {"home", required_argument, NULL, G_HOME},
    {"json", no_argument, NULL, G_JSON},
    {"help", no_argument, NULL, G_HELP},
    {"version", no_argument, NULL, G_VERSION},
    {"passphrase-file", required_argument, NULL, G_PASSFILE},
    {NULL, 0, NULL, 0}};

int main(int argc, char **argv) {
  cli_t c;
  int i, opt;
  size_t k;
  int rc;
  memset(&c, 0, sizeof c);
  /* Everything a node writes (store, WAL, keys) is for its owner only. */
  umask(077);
  /* Before anything allocates: no core dumps, wiping frees (keys.h). */
  if (ayil_keys_harden_process() != 0)
    return cli_err(EXIT_FAIL, "cannot make this process non-dumpable");
  /* Messages for people in the environment's language, node/'s too. */
  (void)ayil_i18n_init();
  ayil_node_set_lang(NULL, cli_lang());
  if (sodium_init() < 0)
    return cli_err(EXIT_FAIL, "libsodium failed to initialise");
  /* Options before the command ("+": the first argument that is not an
   * option is the command, and the rest is its own). */
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "+:h", GLOBAL_OPTS, NULL)) != -1) {
    switch (opt) {
    case G_HOME:
      c.home_opt = optarg;
      break;
    case G_JSON:
      c.json = 1;
      break;
    case G_PASSFILE:
      c.passphrase_file = optarg;
      break;
    case G_HELP:
    case 'h':
      usage(stdout);
      return EXIT_OK;
    case G_VERSION:
      if (c.json) {
        json_t *o = json_pack("{s:s}", "version", AYIL_VERSION);
        rc = cli_print_json(o);
        json_decref(o);
        return rc;
      }
      printf("ayil %s\n", AYIL_VERSION);
      return EXIT_OK;
    case ':':
      return json_error(&c, cli_err(EXIT_USAGE,
                                    "an option before the command needs a "
                                    "value (see ayil help)"));
    default:
      /* what was typed is not echoed: it may be a name */
      return json_error(&c, cli_err(EXIT_USAGE,
                                    "unknown option before the command (it "
                                    "is not shown; see ayil help)"));
    }
  }
  i = optind;
  if (i >= argc) {
    usage(stderr);
    err_keep("usage", _("no command given (see ayil help)"));
    return json_error(&c, EXIT_USAGE);
  }
  if (strcmp(argv[i], "help") == 0) {
    if (i + 1 < argc)
      return json_error(&c, help_for(argv[i + 1]));
    usage(stdout);
    return EXIT_OK;
  }
  for (k = 0; k < NCOMMANDS; k++) {
    if (strcmp(COMMANDS[k].name, argv[i]) == 0) {
      if (wants_help(argc, argv, i + 1))
        return help_for(argv[i]);
      c.first = i + 1;
      rc = COMMANDS[k].fn(&c, argc, argv);
      return json_error(&c, rc);
    }
  }
  return json_error(&c, cli_err(EXIT_USAGE, "unknown command (it is not "
                                            "shown; see ayil help)"));
}

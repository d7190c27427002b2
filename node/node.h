/*
 * The node's service API: the one door from the command line (cli/) and
 * the committee's web app to a node's data.
 *
 * A caller opens a node (its home directory: config, store, identity),
 * then calls one function per use case: add, update, delete, show and
 * list a record; status; alerts; the hub's view of its committees; the
 * data of a report; the store checks of `ayil doctor`. Each returns 0 or a
 * negative AYIL_E* code and, on failure, leaves a message in the node (see
 * ayil_node_errmsg) that names what was wrong -- a field, a file, an id --
 * and never identifying data. Nothing here prints, reads a terminal or
 * parses argv; the caller formats the typed results.
 *
 * The reader secret (needed to open a record's body) is never held by the
 * node. A function that needs it asks the caller's unlock callback for a
 * passphrase or a recovery kit only at the moment it needs it, unwraps the
 * secret, uses it and wipes it before it returns.
 *
 * One ayil_node_t per thread; it is not thread-safe.
 */
#ifndef AYIL_NODE_H
#define AYIL_NODE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bundle.h"
#include "ayil/entry.h"
#include "ayil/error.h"
#include "config.h"
#include "keys.h"
#include "record.h"
#include "registry.h"
#include "store.h"
#include "webcert.h"

typedef struct ayil_node_s ayil_node_t;

/* What went wrong in the last failed call: the code, whether the caller's
 * input was at fault (the CLI exits 2, a web app answers 400) and one line
 * for a person. */
typedef struct {
  int code;
  int input;
  char msg[640];
} ayil_node_err_t;

/* ---- opening ---- */

/* Load identity.key as well (for commands that sign or name the node). */
#define AYIL_NODE_IDENTITY 1

/*
 * Opens the node whose home is `home`: checks the home, loads the config,
 * opens the store and, with AYIL_NODE_IDENTITY, the identity. *out is set
 * only on success; on failure *err says why (err->input for a missing or
 * unusable home or config).
 */
int ayil_node_open(ayil_node_t **out, const char *home, int flags,
                   ayil_node_err_t *err);
/* Closes the store and wipes the identity; NULL is a no-op. */
void ayil_node_close(ayil_node_t *n);

/* The last failure of a call on `n`. */
const ayil_node_err_t *ayil_node_error(const ayil_node_t *n);
const char *ayil_node_errmsg(const ayil_node_t *n);
/*
 * The language ("ky", "ru" or "en"; anything else is "en", the default) of
 * the error messages of the calls that follow, ayil_node_open's and
 * ayil_node_create's included: the CLI sets its environment's, the web app
 * each request's. It holds for the process, not only for `n` (which may be
 * NULL): the programs have one thread.
 */
void ayil_node_set_lang(ayil_node_t *n, const char *lang);

const char *ayil_node_home(const ayil_node_t *n);
const ayil_config_t *ayil_node_config(const ayil_node_t *n);
/* 1 when this is a committee node, 0 for a hub. */
int ayil_node_is_committee(const ayil_node_t *n);
/* The node's public id, or NULL if opened without AYIL_NODE_IDENTITY. */
const uint8_t *ayil_node_id(const ayil_node_t *n);
/*
 * The store and the identity, for the commands that still reach them
 * directly (init, passwd, bundles, log verify, enrolment). Owned by `n`.
 * The identity is NULL without AYIL_NODE_IDENTITY.
 */
ayil_store_t *ayil_node_store(ayil_node_t *n);
const ayil_identity_t *ayil_node_identity(const ayil_node_t *n);

/* ---- unlocking the reader secret ---- */

/*
 * What the unlock callback gives: a passphrase (pass, passlen), or the path
 * of a recovery kit (kit). The node wipes nothing it did not allocate; the
 * callback's `done` is called afterwards so that it can wipe the
 * passphrase.
 */
typedef struct {
  const char *pass;
  size_t passlen;
  const char *kit;
  /* Whose key slot `pass` opens (see members below); NULL: the first
   * chair's, which is the node passphrase of a node from before members. */
  const char *member;
  /* An already unwrapped reader secret (an unlocked web session holds one),
   * used instead of pass or kit; the node copies and wipes its copy. */
  const uint8_t *sk;
} ayil_node_key_t;

/*
 * Called once, when a body must be opened. Returns 0 after filling *key,
 * or a negative AYIL_E* code that the node returns unchanged, with an empty
 * message in ayil_node_error (the callback has already told its user).
 */
typedef int (*ayil_node_unlock_cb)(void *ctx, ayil_node_key_t *key);
typedef void (*ayil_node_unlock_done_cb)(void *ctx, ayil_node_key_t *key);

typedef struct {
  ayil_node_unlock_cb get;
  ayil_node_unlock_done_cb done; /* may be NULL */
  void *ctx;
} ayil_node_unlock_t;

/* ---- creating and enrolling ---- */

/* What a new node is made of. conf holds the role, name and, for a
 * committee, the oblast; for a hub, listen and advertise. */
typedef struct {
  const ayil_config_t *conf;
  const char *kit;  /* committee: the recovery kit to write or read */
  int restore;      /* committee: restore the reader key from kit */
  const char *pass; /* committee: the new passphrase */
  size_t passlen;
  const ayil_invite_t *invite; /* committee: enrol at its hub, or NULL */
  /* Out, or NULL: the web certificate's fingerprint (AYIL_NODE_FPR_TEXT
   * bytes), "" if it could not be made (the node is made all the same;
   * ayil_node_web_cert makes it later). */
  char *web_fpr;
} ayil_node_create_t;

/*
 * Creates a node in `home`, which the caller created empty (see
 * ayil_home_create): its identity, for a committee the reader key (wrapped
 * by the passphrase, with the recovery kit) and for a hub the network key,
 * the store and the config; with an invite, the node is enrolled at the
 * hub; then the web app's certificate (see args->web_fpr). Writes the new
 * id as text. On failure, removes what it made.
 */
int ayil_node_create(const char *home, const ayil_node_create_t *args,
                     char idtext[AYIL_ID_TEXT], ayil_node_err_t *err);
/*
 * Where a new recovery kit may be written. Never into the node's home
 * (AYIL_EINVAL): the kit opens every record, and the SD card's flash cannot
 * be reliably erased once written (its controller remaps blocks, so shred
 * may leave copies). *same_disk says the kit would land on the home's
 * filesystem (the SD card on a Pi), which the caller should warn about:
 * name a file on a USB stick instead. ayil_node_create() refuses a kit the
 * same way. AYIL_ENOTFOUND if the kit's directory does not exist.
 */
int ayil_node_kit_place(const char *home, const char *kit, int *same_disk);
/* Committee (or a regional hub, at the hub above it): enrols at the
 * invite's hub (network key, token, config); on failure leaves the node as
 * it was. A regional hub also keeps the invite's oblast (the committees it
 * takes over from a predecessor are in it). */
int ayil_node_join(ayil_node_t *n, const ayil_invite_t *inv);
/* The same for a node that has a hub already and moves to another one: a
 * committee that changes region, or whose regional hub was replaced, and
 * keeps its key and its log (PROTOCOL.md, "National tier", moving). The
 * daemon must be restarted to dial the new hub. */
int ayil_node_rehome(ayil_node_t *n, const ayil_invite_t *inv);
/* Committee: re-wraps the reader secret, unlocked through `old`, under the
 * passphrase that `new_pass` gives. */
int ayil_node_passwd(ayil_node_t *n, const ayil_node_unlock_t *old,
                     const ayil_node_unlock_t *new_pass);
/* Committee: a new reader key pair (ayil rekey), for a member who left or a
 * stolen Pi or backup: new bodies are sealed to it; the earlier keys stay
 * in reader.key only sealed to it, so old bodies still open. The reader
 * secret is unlocked through `old` and the new one wrapped under the
 * passphrase `new_pass` gives; a new recovery kit (new recovery key) is
 * written at `kit` (not in the home, must not exist) before reader.key is
 * replaced. The old kit then opens only the old keys: destroy it. */
int ayil_node_rekey(ayil_node_t *n, const ayil_node_unlock_t *old,
                    const ayil_node_unlock_t *new_pass, const char *kit);

/* ---- the web app's certificate and address (both roles) ---- */

/* SHA-256 of the certificate's DER as "AB:CD:...", 95 characters + NUL. */
#define AYIL_NODE_FPR_TEXT AYIL_WEBCERT_FPR_TEXT

/*
 * Makes the self-signed certificate ayil-web serves (node/webcert.h) where
 * the config's [web] cert and key say; refuses to overwrite (AYIL_EEXISTS,
 * input) unless `force`. Writes the fingerprint. ayil-web serves it once
 * restarted.
 */
int ayil_node_web_cert(ayil_node_t *n, int force, char fpr[AYIL_NODE_FPR_TEXT]);
/* Installs the sysadmin's own certificate and key (PEM files) in place of
 * the self-signed one, after checking that they belong together. */
int ayil_node_web_cert_install(ayil_node_t *n, const char *cert_file,
                               const char *key_file,
                               char fpr[AYIL_NODE_FPR_TEXT]);
/* The fingerprint of the certificate ayil-web serves (AYIL_ENOTFOUND:
 * none yet; works for a sysadmin's own certificate too). */
int ayil_node_web_fingerprint(ayil_node_t *n, char fpr[AYIL_NODE_FPR_TEXT]);

/* Where members reach ayil-web. */
typedef struct {
  int tls;          /* [web] tls */
  char listen[128]; /* [web] listen */
  /* "https://ADDR:PORT/" for each address of ayil_webcert_hosts (the
   * machine's addresses, then 127.0.0.1 and the host name, for 0.0.0.0) */
  char urls[AYIL_WEBCERT_HOSTS_MAX][AYIL_WEBCERT_HOST_TEXT + 16];
  size_t nurls;
  int fpr_rc; /* 0: fpr is the certificate's; else why not (ENOTFOUND) */
  char fpr[AYIL_NODE_FPR_TEXT];
} ayil_node_web_t;

/* Fills *out from the config and the certificate file. Fails only for a
 * web_listen that is not HOST:PORT (AYIL_EINVAL). */
int ayil_node_web(ayil_node_t *n, ayil_node_web_t *out);

/* ---- members (committee) ---- */

/*
 * Each member of the committee has a name, a role and a key slot in
 * reader.key: the reader secret wrapped under the member's own password
 * (Argon2id + secretbox, as the passphrase). Removing a member removes only
 * that slot; the recovery kit still opens everything. A node from before
 * members has one slot, its passphrase: it becomes the first chair's slot,
 * named AYIL_MEMBER_FIRST, on the first change.
 *
 * Roles: a member enters records and reads bodies; the chair also manages
 * members and reads the audit.
 */
#define AYIL_MEMBER_NAME_MAX 64
#define AYIL_MEMBER_FIRST "chair"
#define AYIL_MEMBERS_MAX 32

typedef struct {
  char name[AYIL_MEMBER_NAME_MAX + 1];
  char role[16]; /* "chair" or "member" */
} ayil_node_member_t;

/* The members, in reader.key's order (*out freed by the caller). */
int ayil_node_members(ayil_node_t *n, ayil_node_member_t **out, size_t *count);
/*
 * Adds member `name` (1..AYIL_MEMBER_NAME_MAX bytes of UTF-8 letters,
 * digits, space, '.', '-', '_') with `role` and the password `pass` gives
 * (at least AYIL_PASSPHRASE_MIN_CHARS characters). The reader secret comes
 * through `by` (a chair's password, or the recovery kit). AYIL_EEXISTS for
 * a name taken, AYIL_EPERM when `by` opened a slot that is not a chair's.
 */
int ayil_node_member_add(ayil_node_t *n, const char *name, const char *role,
                         const ayil_node_unlock_t *by,
                         const ayil_node_unlock_t *pass);
/* Removes member `name` and its key slot (refuses to remove the last
 * chair: AYIL_EPERM). Needs no secret. */
int ayil_node_member_remove(ayil_node_t *n, const char *name);
/* Sets member `name`'s password: the slot is re-wrapped with the secret
 * from `by` (the member's old password, a chair's, or the kit). */
int ayil_node_member_passwd(ayil_node_t *n, const char *name,
                            const ayil_node_unlock_t *by,
                            const ayil_node_unlock_t *pass);
/*
 * Logs member `name` in: opens that member's slot with `pass` (one Argon2id)
 * and, on success, writes the member's role into `role` and, when `sk` is
 * not NULL, the reader secret into it (the caller wipes it). A wrong
 * password and an unknown name both give AYIL_EPASSPHRASE with the same
 * message, so that a guesser learns no names.
 */
int ayil_node_member_login(ayil_node_t *n, const char *name, const char *pass,
                           size_t passlen, char role[16],
                           uint8_t sk[AYIL_READER_SK_BYTES]);

/* ---- the audit of opened bodies (committee) ---- */

/*
 * Who the following calls act for: a member's name and the address they
 * came from ("cli" and the user for the command line). Every call that
 * opens a body (record get or list with unlock; a search; a print; an
 * export) writes one audit row per record: when, who, from where, which
 * record and what (AYIL_AUDIT_*). The audit lives only in the store on the
 * Pi; it is never replicated.
 */
#define AYIL_AUDIT_SHOW "show"
#define AYIL_AUDIT_LIST "list"
#define AYIL_AUDIT_SEARCH "search"
#define AYIL_AUDIT_PRINT "print"
#define AYIL_AUDIT_EXPORT "export"
int ayil_node_set_actor(ayil_node_t *n, const char *member, const char *addr);
/* The action the next body opens are audited as (default show, or list
 * for ayil_node_record_list). */
void ayil_node_set_audit_action(ayil_node_t *n, const char *action);

typedef struct {
  int64_t at; /* unix seconds */
  char member[AYIL_MEMBER_NAME_MAX + 1];
  char addr[64];
  char action[16];
  char idtext[AYIL_RECID_TEXT];
} ayil_node_audit_t;

/* The newest `limit` audit rows, newest first (*out freed by caller). */
int ayil_node_audit(ayil_node_t *n, size_t limit, ayil_node_audit_t **out,
                    size_t *count);

/* ---- records (committee) ---- */

/* A record as shown: header fields always, body fields only when opened
 * (an empty object when the record has no body or it was purged). */
typedef struct {
  uint8_t id[AYIL_RECID_BYTES];
  char idtext[AYIL_RECID_TEXT];
  char kind[32];
  char month[8];
  json_t *header; /* the header's fields, or JSON null if malformed */
  json_t *body;   /* NULL unless the body was asked for */
} ayil_node_record_t;

void ayil_node_record_clear(ayil_node_record_t *r);
/* A walk's callback: a non-zero return stops the walk and is returned. */
typedef int (*ayil_node_record_cb)(void *ctx, const ayil_node_record_t *r);

/*
 * Validates `input` (a JSON object of the fields of RECORDS.md) as a new
 * record of `kind`, seals its body to the reader key and writes it to this
 * node's log. Needs no passphrase. Writes the new id to `id`.
 */
int ayil_node_record_add(ayil_node_t *n, const char *kind, const json_t *input,
                         uint8_t id[AYIL_RECID_BYTES]);
/*
 * Every problem of `input` as a new record of `kind` (idtext NULL) or as an
 * update of record `idtext`, at once, for a form: the field rules of
 * RECORDS.md (ayil_record_problems), a date after today (the node's local
 * day), and a `case` that names no live appeal or family of this
 * committee. Writes up to `cap` into out and the total into *count; 0 when
 * the check ran (look at *count). record_add and record_update refuse
 * what this finds, with the first problem as their message.
 */
/* Today on this node's clock, local time, YYYY-MM-DD: the last day a
 * record's date may have. */
void ayil_node_today(char out[11]);
/* How every command and page shows a moment (Unix seconds) to a person:
 * local time (TZ, else /etc/localtime) with its offset from UTC,
 * "YYYY-MM-DD HH:MM +06" ("+05:30" when the offset has minutes, "+00" in
 * UTC); "never" for t <= 0. cap of AYIL_TIME_TEXT is always enough. JSON
 * keeps the Unix seconds (UTC) instead. */
#define AYIL_TIME_TEXT 32
void ayil_node_time_text(int64_t t, char *out, size_t cap);
typedef struct {
  char field[64]; /* RECORDS.md name; "" for an unknown field's key */
  ayil_prob_t what;
} ayil_node_problem_t;
int ayil_node_record_check(ayil_node_t *n, const char *kind,
                           const json_t *input, const char *idtext,
                           ayil_node_problem_t *out, size_t cap, size_t *count);

/*
 * Calls `cb` for each live record that belongs to case `idtext` (its
 * `case` field names it), in date order (then creation order), with the
 * bodies opened when `unlock` is given.
 */
int ayil_node_case_records(ayil_node_t *n, const char *idtext,
                           const ayil_node_unlock_t *unlock,
                           ayil_node_record_cb cb, void *ctx);

/*
 * Replaces the fields given in `input` (null removes an optional field) of
 * record `idtext`. Asks `unlock` only when an identifying field changes.
 */
int ayil_node_record_update(ayil_node_t *n, const char *idtext,
                            const json_t *input,
                            const ayil_node_unlock_t *unlock,
                            uint8_t id[AYIL_RECID_BYTES]);
/* Deletes record `idtext`: signs a delete, which purges its bodies. */
int ayil_node_record_delete(ayil_node_t *n, const char *idtext,
                            uint8_t id[AYIL_RECID_BYTES]);
/*
 * Reads record `idtext` into *out (clear it after). With `unlock`, the
 * body too; without, only the header. AYIL_ENOTFOUND (input) for an
 * unknown or deleted record.
 */
int ayil_node_record_get(ayil_node_t *n, const char *idtext,
                         const ayil_node_unlock_t *unlock,
                         ayil_node_record_t *out);
/*
 * Calls `cb` for each live record (of `kind`, or all when NULL) in creation
 * order. With `unlock`, each record's body is opened too (the secret is
 * unwrapped once). A non-zero return from `cb` stops the walk and is
 * returned.
 */
int ayil_node_record_list(ayil_node_t *n, const char *kind,
                          const ayil_node_unlock_t *unlock,
                          ayil_node_record_cb cb, void *ctx);

/* ---- ids a person can type ---- */

/* The fewest characters of an id that a prefix may have. */
#define AYIL_NODE_PREFIX_MIN 4

/*
 * Record `text`: its whole id (32 hex characters) or, as git takes a
 * commit's, a prefix of at least AYIL_NODE_PREFIX_MIN of them that only
 * one live record's id starts with (upper case too). An ambiguous prefix is
 * refused (AYIL_EINVAL, input) with a message naming the ids it starts,
 * one that matches nothing is AYIL_ENOTFOUND. The record calls below
 * (get, update, delete) take a prefix through this.
 */
int ayil_node_record_resolve(ayil_node_t *n, const char *text,
                             uint8_t id[AYIL_RECID_BYTES]);
/*
 * Node `text`: its whole id (44 base64 characters, taken as it is, known
 * here or not); on a hub, the name of a committee (its active node, else
 * the one admitted last; refused when committees of several oblasts have
 * that name); or a unique prefix of at least AYIL_NODE_PREFIX_MIN
 * characters of a node id known here (a hub's devices, the peers, the
 * nodes alerts name). Errors as for records; what was typed is never put
 * in a message.
 */
int ayil_node_node_resolve(ayil_node_t *n, const char *text,
                           uint8_t id[AYIL_ID_BYTES]);

/* ---- status and alerts (both roles) ---- */

/* An alert. Stored alerts have `stored` set and seq, first and last;
 * the others are derived (disk_full with free_bytes; on a hub's committee
 * view revoked, never_connected, silent with days, invite_expired). */
typedef struct {
  char kind[32];
  int stored;
  int has_peer;
  uint8_t peer[AYIL_ID_BYTES];
  int has_origin;
  uint8_t origin[AYIL_ID_BYTES];
  int has_record; /* not_owner: the record the entry tried to change */
  uint8_t record[AYIL_RECID_BYTES];
  int64_t seq, first, last;
  int64_t free_bytes;
  int64_t days;
} ayil_node_alert_t;

/* Below this much free space in the home, status raises a disk alert. */
#define AYIL_NODE_DISK_LOW (100ULL * 1024 * 1024)

/* One peer: a committee's hub, or a device registered at a hub. */
typedef struct {
  uint8_t id[AYIL_ID_BYTES];
  char name[128]; /* "hub", or the device's committee */
  char state[16]; /* the device's state; "" for a committee's hub */
  int has_last_contact, has_last_ack, has_skew, has_unacked_out;
  int64_t last_contact, last_ack, skew_ms;
  int64_t sent_today, recv_today;
  int64_t unacked_out; /* entries offered and not acknowledged */
} ayil_node_peer_t;

typedef struct {
  int64_t records; /* live records */
  int64_t entries; /* log entries held */
  int enrollment_pending;
  int disk_known;
  int64_t disk_free;
  ayil_node_peer_t *peers;
  size_t npeers;
  ayil_node_alert_t *alerts; /* stored alerts, then disk_full */
  size_t nalerts;
} ayil_node_status_t;

/* Fills *out (free with ayil_node_status_free); `now` in unix seconds
 * chooses the day whose bytes are counted. */
int ayil_node_status(ayil_node_t *n, int64_t now, ayil_node_status_t *out);
void ayil_node_status_free(ayil_node_status_t *s);

/* The stored alerts not cleared, oldest first (free the array). */
int ayil_node_alerts(ayil_node_t *n, ayil_node_alert_t **out, size_t *count);
/* Clears the standing alerts of `kind` (for one peer, or all when NULL);
 * *cleared says how many. */
int ayil_node_alerts_clear(ayil_node_t *n, const char *kind,
                           const uint8_t *peer, int *cleared);

/*
 * The one count of unacknowledged entries: entries of `origin` held in `st`
 * beyond what `peer` acknowledged -- the live session's acknowledgement
 * when `live_acked` is given (ayild), else the one the registry kept. Takes
 * the store so that ayild, which has no ayil_node_t, counts alike. With `v`,
 * the policy's view of `peer`, a log it takes sparse counts only the
 * entries it is to get (ayil_node_sparse_next()); NULL: every entry.
 */
uint64_t ayil_node_unacked(ayil_store_t *st, const uint8_t *peer,
                           const uint8_t *origin, const uint64_t *live_acked,
                           const ayil_policy_view_t *v);
/*
 * Entries this node holds that `peer` has not acknowledged: what it offers
 * the peer (a committee: its own log; a hub: its own log and the logs of
 * the peer's committee's other devices). `committee` is the peer's
 * committee at a hub (0 if none).
 */
int64_t ayil_node_unacked_out(ayil_node_t *n, const uint8_t *peer,
                              int64_t committee);

/* ---- the hub's committees ---- */

/* A device of a committee, or an invite not used yet (invite set, no id). */
typedef struct {
  int invite;
  uint8_t id[AYIL_ID_BYTES];
  char state[16];
  int has_admitted, has_revoked, has_revoked_after;
  int has_last_contact, has_last_ack, has_skew;
  int64_t admitted, revoked, revoked_after;
  int64_t last_contact, last_ack, skew_ms;
  int64_t entries, last_seq;
  int64_t rolled_back; /* entries a revoke --after rolled back */
  /* invites */
  int64_t created, expires;
  int expired;
  int has_successor_of;
  uint8_t successor_of[AYIL_ID_BYTES];
} ayil_node_device_t;

typedef struct {
  int64_t id;
  char name[128];
  char oblast[32];
  char state[16];
  /* "committee", or "hub": a regional hub admitted at this (national) hub.
   * A committee under one names it in `hub` (its registry name); it never
   * connects here, its logs come through that hub. */
  char kind[16];
  char hub[128];
  /* The newest entry of its logs held here: when it was written (the
   * node's clock), and when it reached this hub (from the peer's
   * acknowledgements). A committee whose newest entry was written more
   * than silent_days ago gets a stale alert, at every tier alike. */
  int has_written, has_reached, has_region;
  int64_t written, reached;
  /* On a national hub, a committee under a regional hub: when its newest
   * entries reached that hub, as that hub said (ARRIVED). */
  int64_t region;
  ayil_node_device_t *nodes;
  size_t nnodes;
  int has_last_contact, has_last_ack, has_skew;
  int64_t last_contact, last_ack, skew_ms;
  int64_t days_silent;
  int64_t entries_held, last_seq;
  char days[7][16]; /* the last 7 UTC days, oldest first; [6] is today */
  int64_t sent[7], recv[7];
  ayil_node_alert_t *alerts; /* has_peer names the device */
  size_t nalerts;
} ayil_node_committee_t;

typedef struct {
  ayil_node_committee_t *c;
  size_t n;
} ayil_node_committees_t;

/* Hub: every committee (by oblast and name) with its devices, invites,
 * traffic and alerts; a committee silent for more than `silent_days`
 * gets a silent alert. */
int ayil_node_committees(ayil_node_t *n, int64_t now, long silent_days,
                         ayil_node_committees_t *out);
void ayil_node_committees_free(ayil_node_committees_t *cs);
/* Whether `name` may name a committee or a hub (`ayil admit --name`, and
 * a hub below's NAMED): the registry's rule, ayil_reg_name_ok(). */
int ayil_node_name_ok(const char *name);
/* Hub: whether a committee of that name and oblast is registered (1/0). */
int ayil_node_committee_exists(ayil_node_t *n, const char *name,
                               const char *oblast, int *exists);

/* What a committee's invite is for: a new committee (name, oblast) or a
 * replacement device of the committee of `successor_of`. */
typedef struct {
  const char *name;
  const char *oblast;
  const uint8_t *successor_of;
  unsigned expires_days;
  const char *advertise; /* HOST:PORT committees dial */
  int hub; /* a hub of the tier below (a regional hub), not a committee */
  /* An invite for a node already registered here (taken over from a
   * replaced regional hub, or re-homing): its own committee, nothing
   * replaced. successor_of names that node. */
  int rehome;
} ayil_node_admit_t;

/* Hub: registers the committee (or the replacement) and writes its
 * single-use invite code into `code` (keep it secret: it carries the
 * network key). Fills *inv (wipe it after use). Needs the identity. */
int ayil_node_admit(ayil_node_t *n, const ayil_node_admit_t *a,
                    ayil_invite_t *inv, char *code, size_t cap);

typedef struct {
  ayil_device_t device; /* as it is now */
  int changed;          /* 0: it was already revoked or replaced */
  uint64_t rolled_back; /* entries rolled back (revoke --after) */
} ayil_node_revoked_t;

/* Hub: the operator confirms enrolment code `code` (as typed: 12 digits,
 * dashes or spaces allowed; ayil/enrol.h) that the new node's committee
 * read out. *admitted = 1 with its id in `id` when a node with that code
 * had presented a valid invite; else 0: it is admitted when it does
 * (within AYIL_INVITE_DAYS). */
int ayil_node_confirm(ayil_node_t *n, const char *code,
                      uint8_t id[AYIL_ID_BYTES], int *admitted);

/* Hub: refuses device `id` from now on and signs a revoke notice into the
 * hub's log, in one transaction (both or neither). With `after`, what the
 * device signed after that seq is refused and rolled back (its entries
 * leave the hub's log; records it deleted or changed come back, their
 * bodies from quarantine): for a stolen key, also on a device already
 * revoked or replaced. */
int ayil_node_revoke(ayil_node_t *n, const uint8_t id[AYIL_ID_BYTES],
                     const uint64_t *after, ayil_node_revoked_t *out);

/* ---- reports ---- */

struct ayil_report_s;
/*
 * Feeds the records this node counts into `r`: on a committee its own
 * records, the report made its own (ayil_report_set_own(): only this
 * committee is shown, headed with its name); on a hub every registered
 * committee (with zeros if it sent
 * nothing) and the live records of its devices. Records of unregistered
 * nodes and headers an indicator cannot read are skipped and counted in
 * *unknown and *malformed.
 */
int ayil_node_report(ayil_node_t *n, struct ayil_report_s *r, uint64_t *unknown,
                     uint64_t *malformed);

/* ---- bundles: sync on a USB stick (both roles) ---- */

typedef struct {
  uint8_t recipient[AYIL_ID_BYTES]; /* the node the bundle is sealed to */
  uint64_t items, bytes;
} ayil_node_bundle_out_t;

/*
 * Writes `path` (never overwrites it), sealed to its recipient: a
 * committee's bundle is for its hub (`to` NULL), a hub's for committee node
 * `to`. It carries the logs the replication policy offers the recipient,
 * from the entry after what the recipient acknowledged (from the first with
 * `all`), and a committee's unspent invite token.
 */
int ayil_node_bundle_export(ayil_node_t *n, const char *to, int all,
                            const char *path, ayil_node_bundle_out_t *out);
/*
 * Imports `path` (node/bundle.h, ayil_bundle_import): every entry verified,
 * accepted or refused by the replication policy as live sync from the
 * bundle's writer would be. *stats says what was added, held and refused
 * (also on failure: what was kept before the damage); `sender` is the
 * writer's id.
 */
int ayil_node_bundle_import(ayil_node_t *n, const char *path,
                            ayil_bundle_stats_t *stats,
                            uint8_t sender[AYIL_ID_BYTES]);

/* ---- the logs ---- */

/* Checks every hash chain, signature and body hash; 0 when it ran (look at
 * out->bad for the first bad entry). */
int ayil_node_log_verify(ayil_node_t *n, ayil_store_verify_t *out);
/* Rebuilds the records view from the logs; on failure the view is
 * unchanged. */
int ayil_node_reindex(ayil_node_t *n);

/* ---- doctor's store checks ---- */

/* ---- doctor: the store's health ---- */

/* What `ayil doctor` learns from the store (see ayil_node_health). */
typedef struct {
  int open_rc;      /* 0, or why ayil.db did not open (nothing below set) */
  int wal_damaged;  /* open_rc is AYIL_ECORRUPT for its write-ahead log */
  int integrity_rc; /* SQLite's integrity check: 0 or an error */
  int verified;     /* the chains were checked (not `quick`) */
  int verify_rc;    /* 0 when the check ran; then v says what it found */
  ayil_store_verify_t v;
  int64_t own_newest_s; /* newest timestamp in the node's own log, or 0 */
  int has_skew;         /* the clock skew at the latest contact is known */
  int64_t skew_ms;
  int has_contact; /* the peers table could be read */
  int64_t last_ack, last_contact;
  /* A standing refused_by_hub alert (the hub hangs up on this node after
   * authentication): its first and last time, else 0. */
  int refused_by_hub;
  int64_t refused_first, refused_last;
  /* This node's state as the hub's notices held here tell it: "revoked",
   * "replaced", or "" (nothing known). */
  char own_state[16];
} ayil_node_health_t;

/*
 * Opens the store in `home` on its own, without the config (doctor must
 * work when the config is what is broken), and checks it: SQLite's
 * integrity check, then, unless `quick` or the integrity check failed,
 * every chain, signature and body hash; and reads what the clock and sync
 * checks need. `own_id` (NULL: not known) names this node's log. Fills
 * *out; the store is closed again before it returns.
 */
void ayil_node_health(const char *home, const uint8_t *own_id, int quick,
                      ayil_node_health_t *out);

#endif

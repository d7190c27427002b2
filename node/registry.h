/*
 * The node's view of its peers, kept in the store (schema version 2):
 *
 * - On a hub, the registry of committees and their devices (node ids),
 *   invites (single-use tokens, kept only as hashes), revocations.
 * - On every node: per-peer contact times, acknowledged heads, bytes per
 *   day, clock skew, and alerts (fork, revoked peer, full disk).
 *
 * Used by the daemon and by the CLI's data commands (admit, revoke, nodes,
 * status), which open the store directly.
 */
#ifndef AYIL_REGISTRY_H
#define AYIL_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "ayil/entry.h"
#include "ayil/envelope.h" /* AYIL_TOKEN_BYTES */
#include "store.h"

#define AYIL_INVITE_MAX 512

/* What an invite code carries. */
typedef struct {
  char addr[128]; /* HOST:PORT the committee dials */
  uint8_t hub_id[AYIL_ID_BYTES];
  uint8_t netkey[32];
  uint8_t token[AYIL_TOKEN_BYTES];
  char name[128];
  char oblast[32];
  uint64_t expires; /* unix seconds, 0 = never */
} ayil_invite_t;

/* Encodes an invite as text: "ayil1-" + base64url(msgpack). */
int ayil_invite_encode(const ayil_invite_t *inv, char *out, size_t cap);
/* Decodes untrusted text; AYIL_EFORMAT/AYIL_EVERSION/AYIL_ETOOBIG. */
int ayil_invite_decode(const char *text, ayil_invite_t *inv);

/* Which part of a code is wrong, for a person who typed it. */
typedef enum {
  AYIL_INVITE_OK = 0,
  AYIL_INVITE_NOT_CODE,  /* does not start with "ayil" */
  AYIL_INVITE_VERSION,   /* "ayilN-" of a version this reader does not know */
  AYIL_INVITE_ALPHABET,  /* a character outside A-Z a-z 0-9 - _ (at pos) */
  AYIL_INVITE_TRUNCATED, /* characters missing (at the end, or one lost) */
  AYIL_INVITE_TOO_LONG,  /* characters added at the end */
  AYIL_INVITE_CHECKSUM,  /* the check does not match: a mistyped character */
  AYIL_INVITE_FIELDS     /* check right, content wrong: not made by ayil */
} ayil_invite_why_t;
/* As ayil_invite_decode; *why says which part is wrong, *pos (0-based,
 * in the text after the prefix) the character for AYIL_INVITE_ALPHABET. */
int ayil_invite_decode_why(const char *text, ayil_invite_t *inv,
                           ayil_invite_why_t *why, size_t *pos);

/*
 * Committee: the invite token this node presents until the hub admitted it
 * (kept in the store's settings). get: 0 and the token, or AYIL_ENOTFOUND
 * when there is none (never enrolled, or already spent). set with NULL
 * spends it.
 */
int ayil_reg_token_get(ayil_store_t *st, uint8_t token[AYIL_TOKEN_BYTES]);
int ayil_reg_token_set(ayil_store_t *st, const uint8_t *token);

/* Device states. */
#define AYIL_DEV_INVITED "invited"
#define AYIL_DEV_ACTIVE "active"
#define AYIL_DEV_REVOKED "revoked"
#define AYIL_DEV_REPLACED "replaced"

/* Registry row kinds: a committee, or a hub of the tier below. */
#define AYIL_KIND_COMMITTEE "committee"
#define AYIL_KIND_HUB "hub"

typedef struct {
  int64_t committee; /* registry row id */
  char kind[16];     /* AYIL_KIND_COMMITTEE or AYIL_KIND_HUB */
  int64_t parent;    /* the row of the hub below that admitted it, or 0 */
  char name[128];
  char oblast[32];
  char state[16];
  uint64_t revoked_after; /* last acknowledged seq at revocation */
  uint64_t rolled_back;   /* entries a revoke --after rolled back */
  int revoked;
} ayil_device_t;

/*
 * Hub: registers a committee (or, with successor_of, a replacement device
 * of an existing committee) and creates a single-use token that expires
 * after `expires_days` (0 = 30 days). Fills inv->token, name, oblast,
 * expires; the caller adds addr, hub_id and netkey.
 */
int ayil_reg_admit(ayil_store_t *st, const char *name, const char *oblast,
                   const char *kind, const uint8_t *successor_of,
                   unsigned expires_days, ayil_invite_t *inv);
/* Hub: an invite for `node`, already an active device here (taken over
 * from a replaced regional hub): bound to its own row, nothing replaced.
 * AYIL_ENOTFOUND, AYIL_ESTATE (not active). */
int ayil_reg_admit_rehome(ayil_store_t *st, const uint8_t node[AYIL_ID_BYTES],
                          unsigned expires_days, ayil_invite_t *inv);
/* Invites expire after this many days unless asked otherwise. */
#define AYIL_INVITE_DAYS 7
/* Deletes from one origin taken in on one UTC day (however they came:
 * connections, bundles) that raise a delete_burst alert. */
#define AYIL_DELETE_BURST 20
/* Counts one delete of `origin` (at seq) taken in from `sender` at `now`;
 * the AYIL_DELETE_BURST-th of the day raises delete_burst. *burst (may be
 * NULL) says it did. Call it in the transaction that stored the delete. */
int ayil_reg_count_delete(ayil_store_t *st, const uint8_t *sender,
                          const uint8_t origin[32], uint64_t seq, uint64_t now,
                          int *burst);
/* Nodes that may wait, with one invite, for the operator's confirmation. */
#define AYIL_CANDIDATES_MAX 16
/*
 * Hub: a node presents `token` in its handshake or its bundle. If the token
 * is valid, unused and unexpired and the operator confirmed the node's
 * enrolment code (ayil/enrol.h) already, binds `node` to the committee
 * (marking a predecessor replaced only now) and signs the "admit" notice
 * (with successor_of for a successor) into the hub's log, all in one
 * transaction; returns 0. Not confirmed yet: the node is kept as a
 * candidate of the invite and AYIL_EPENDING is returned (so a stolen code
 * neither enrols its holder nor locks out the right node). AYIL_EAUTH for
 * an invalid, used or expired token.
 */
int ayil_reg_redeem(ayil_store_t *st, const uint8_t hub_sk[64],
                    const uint8_t token[AYIL_TOKEN_BYTES],
                    const uint8_t node[AYIL_ID_BYTES]);
/*
 * Hub: the operator confirms enrolment code `code`, read out by the new
 * node's committee. A candidate with that code (a node that presented a
 * valid invite) is bound as ayil_reg_redeem() would: *admitted = 1 and its
 * id in `node`. None yet: the confirmation is kept for AYIL_INVITE_DAYS and
 * the node is admitted when it presents its invite (*admitted = 0).
 * AYIL_EEXISTS if two candidates show the code (neither is admitted).
 */
int ayil_reg_confirm(ayil_store_t *st, const uint8_t hub_sk[64], uint64_t code,
                     uint8_t node[AYIL_ID_BYTES], int *admitted);
/*
 * Hub: writes a signed notice into the hub's own log, which every committee
 * pulls: {"kind":"notice","action":ACTION,"node":ID[,"successor_of":ID]}
 * (ayil_hdr_notice()). Actions: "admit", "replace", "revoke". Runs in the
 * caller's transaction if one is open.
 */
int ayil_reg_notice(ayil_store_t *st, const uint8_t hub_sk[64],
                    const char *action, const uint8_t node[AYIL_ID_BYTES],
                    const uint8_t *successor_of);
/* Hub: looks a device up. AYIL_ENOTFOUND if unknown. */
int ayil_reg_device(ayil_store_t *st, const uint8_t node[AYIL_ID_BYTES],
                    ayil_device_t *out);
/* Hub: every device id of a committee (for offering its history); fills up
 * to cap, sets *n. */
int ayil_reg_committee_devices(ayil_store_t *st, int64_t committee,
                               uint8_t (*ids)[AYIL_ID_BYTES], size_t cap,
                               size_t *n);
/* Hub: revokes a device; entries it wrote after what the hub already holds
 * -- or, with `after`, after that seq: those the hub holds are rolled back
 * (ayil_store_rollback_after()) and *rolled_back says how many -- are
 * refused from now on. Works on a revoked or replaced device too (to roll
 * back). Signs the "revoke" notice in the same transaction. AYIL_ENOTFOUND
 * if unknown. */
int ayil_reg_revoke(ayil_store_t *st, const uint8_t hub_sk[64],
                    const uint8_t node[AYIL_ID_BYTES], const uint64_t *after,
                    uint64_t *rolled_back);

/* ---- the national tier (PROTOCOL.md, "National tier") ---- */

/* Hub: whether `id` is a hub's log here: this node, the hub above it
 * (ayil_store_set_hub()), or a device of a registry row of kind hub. */
int ayil_reg_is_hub(ayil_store_t *st, const uint8_t id[AYIL_ID_BYTES]);
/*
 * Hub: folds one notice of `origin`'s log, when `origin` is a hub admitted
 * below this one, into the registry: an admit makes the node a device of
 * a committee row whose parent is that hub's row (a new row, named by the
 * node id, in the hub's oblast; with successor_of, the predecessor's row);
 * a device admitted before by another hub below moves to this one (a
 * committee that changed region keeps its log and history). A revoke or
 * replace marks the device so, for `ayil nodes`: the hub below enforces it
 * (it forwards nothing past it), this hub cannot check its stop point.
 * Idempotent (the view may be folded again). 0 when `origin` is not a hub
 * below (nothing to do), or a store error.
 */
int ayil_reg_directory(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                       int action, const uint8_t node[AYIL_ID_BYTES],
                       const uint8_t *successor_of, int64_t at);
/*
 * Hub: every log under the hub below of registry row `row`: its own
 * devices (oldest first), then every device of a row whose parent it is
 * (by row, then oldest first). Uplink (row 0): every device of this hub's
 * own committees (rows of kind committee without a parent), the logs this
 * hub forwards to the hub above. Fills up to cap, sets *n to the count.
 */
int ayil_reg_below(ayil_store_t *st, int64_t row, uint8_t (*ids)[AYIL_ID_BYTES],
                   size_t cap, size_t *n);

/* A committee's or hub's name as registered (`ayil admit --name`, or a
 * hub below's NAMED message): 1..100 bytes of UTF-8, no control
 * character, no '"' or '\\'. */
int ayil_reg_name_ok(const char *name, size_t len);
/* National hub: the hub below `via` names the committee whose log is
 * `origin` (untrusted text). Renames that committee's row, if it is under
 * `via` and the name is valid and not another committee's of its oblast. */
int ayil_reg_named(ayil_store_t *st, const uint8_t via[AYIL_ID_BYTES],
                   const uint8_t origin[AYIL_ID_BYTES], const char *name,
                   size_t len);
/* Regional hub: the registered name of the committee whose log is
 * `origin`, if it is one of this hub's own, into buf (NUL-terminated): its
 * length, or 0. */
size_t ayil_reg_name_of(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                        char *buf, size_t cap);
/* National hub: the hub below `via` says that entries of `origin` up to
 * `seq` reached it at `at` (unix seconds, its clock): kept, newest only,
 * for `ayil nodes` (when a committee's data reached its region). */
int ayil_reg_arrived(ayil_store_t *st, const uint8_t via[AYIL_ID_BYTES],
                     const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                     uint64_t at);
/* Regional hub: when entries of `origin` last reached this hub from a
 * peer other than `except` (the hub above): *seq and *at, 0 if never. */
int ayil_reg_arrival(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                     const uint8_t except[AYIL_ID_BYTES], uint64_t *seq,
                     uint64_t *at);

/* Per-peer bookkeeping, on both roles. `now` is unix seconds. */
int ayil_reg_contact(ayil_store_t *st, const uint8_t peer[AYIL_ID_BYTES],
                     uint64_t now, int64_t skew_ms);
int ayil_reg_acked(ayil_store_t *st, const uint8_t peer[AYIL_ID_BYTES],
                   const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                   uint64_t now);
/* The peer's acknowledged head of origin (0 if never). */
int ayil_reg_peer_acked(ayil_store_t *st, const uint8_t peer[AYIL_ID_BYTES],
                        const uint8_t origin[AYIL_ID_BYTES], uint64_t *seq);
int ayil_reg_bytes(ayil_store_t *st, const uint8_t peer[AYIL_ID_BYTES],
                   uint64_t now, uint64_t sent, uint64_t recv);
/* Records an alert (kind: "fork", "revoked", "disk_full", ...); repeated
 * alerts of the same kind, peer and origin are kept once. */
int ayil_reg_alert(ayil_store_t *st, const char *kind, const uint8_t *peer,
                   const uint8_t *origin, uint64_t seq, uint64_t now);
/* The same for an alert about one record (kind "not_owner": an entry of
 * `origin` at `seq` tried to change `record`, which it does not own). */
int ayil_reg_alert_record(ayil_store_t *st, const char *kind,
                          const uint8_t *peer, const uint8_t *origin,
                          uint64_t seq, const uint8_t *record, uint64_t now);
/* Clears the standing alerts of `kind` (for `peer`, or all when NULL).
 * Returns how many were cleared through *n if given. */
int ayil_reg_alert_clear(ayil_store_t *st, const char *kind,
                         const uint8_t *peer, int *n);
/* Whether an uncleared fork, not_owner or bad_entry alert (an entry that a
 * hub below forwarded did not verify) stands for `origin`: its log is then
 * neither wanted nor accepted, until the alert is cleared. */
int ayil_reg_forked(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES]);

#endif

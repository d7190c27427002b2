/* The registry of committees, devices, invites, and per-peer bookkeeping. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>
#include <sodium.h>
#include <sqlite3.h>

#include "ayil/error.h"
#include "ayil/mp.h"
#include "record.h"
#include "ayil/enrol.h"
#include "ayil/header.h"
#include "registry.h"

#define INVITE_PREFIX "ayil1-"

/*
 * The one way registry SQL runs: the store's persistent statement for
 * `sql`, bound from `types` -- one letter per parameter ?1, ?2, ... in
 * order: 'i' an int64_t, 't' a text, 'k' a 32-byte id or hash, 'K' the
 * same or SQL NULL when the pointer is NULL -- and stepped once. Returns 0
 * (a row or done) or an AYIL_E* code. With `row`, *row is the statement
 * when a row came (read it, step on for more, then reg_end) or NULL;
 * without, the statement is reset at once.
 */
static int reg_run(ayil_store_t *st, const char *sql, sqlite3_stmt **row,
                   const char *types, ...) {
  sqlite3_stmt *s = NULL;
  va_list ap;
  int i, rc = ayil__store_stmt(st, sql, &s);
  if (row != NULL)
    *row = NULL;
  if (rc != 0)
    return rc;
  va_start(ap, types);
  for (i = 0; types[i] != '\0'; i++) {
    const uint8_t *k;
    switch (types[i]) {
    case 'i':
      sqlite3_bind_int64(s, i + 1, (sqlite3_int64)va_arg(ap, int64_t));
      break;
    case 't':
      sqlite3_bind_text(s, i + 1, va_arg(ap, const char *), -1,
                        SQLITE_TRANSIENT);
      break;
    case 'R': /* a record id, or NULL */
      k = va_arg(ap, const uint8_t *);
      if (k != NULL)
        sqlite3_bind_blob(s, i + 1, k, AYIL_RECID_BYTES, SQLITE_TRANSIENT);
      break;
    default: /* 'k', 'K': a node id ('K': or NULL) */
      k = va_arg(ap, const uint8_t *);
      if (k != NULL)
        sqlite3_bind_blob(s, i + 1, k, 32, SQLITE_TRANSIENT);
      break;
    }
  }
  va_end(ap);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW && row != NULL) {
    *row = s;
    return 0;
  }
  sqlite3_reset(s);
  sqlite3_clear_bindings(s);
  return (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0 : ayil__store_rc(rc);
}

/* Releases a statement reg_run left at a row. */
static void reg_end(sqlite3_stmt *s) {
  if (s != NULL) {
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
}

/* The node ids in column 0 of the rows from `s` (reg_run left at its first
 * row, or NULL): up to cap into ids, *n set to how many there are. */
static int ids_of(sqlite3_stmt *s, uint8_t (*ids)[AYIL_ID_BYTES], size_t cap,
                  size_t *n) {
  *n = 0;
  while (s != NULL) {
    if (*n < cap && sqlite3_column_bytes(s, 0) == AYIL_ID_BYTES)
      memcpy(ids[*n], sqlite3_column_blob(s, 0), AYIL_ID_BYTES);
    (*n)++;
    if (sqlite3_step(s) != SQLITE_ROW)
      break;
  }
  reg_end(s);
  return 0;
}

/* ---- invite codes ---- */

/*
 * Version 2 ("ayil2-", written): the fields side by side, nothing else --
 * hub id (32) || network key (32) || token (16) || be16 expiry day (unix
 * day, rounded up; 0 never) || u8 n + name || u8 n + oblast || u8 n +
 * address, then a 4-byte BLAKE2b check of all that. Version 1 ("ayil1-",
 * still read): a msgpack array of the same fields (PROTOCOL.md).
 */
#define V2_FIXED (32 + 32 + AYIL_TOKEN_BYTES + 2)
#define V2_PREFIX "ayil2-"

static int put_str(uint8_t *b, size_t *n, size_t cap, const char *s) {
  size_t l = strlen(s);
  if (l > 255 || *n + 1 + l > cap)
    return AYIL_ETOOBIG;
  b[(*n)++] = (uint8_t)l;
  memcpy(b + *n, s, l);
  *n += l;
  return 0;
}

int ayil_invite_encode(const ayil_invite_t *inv, char *out, size_t cap) {
  uint8_t b[AYIL_INVITE_MAX];
  size_t n = 0, plen = strlen(V2_PREFIX);
  uint64_t day = inv->expires == 0 ? 0 : (inv->expires + 86399) / 86400;
  int rc = 0;
  if (day > 0xffff)
    return AYIL_EINVAL;
  memcpy(b, inv->hub_id, 32);
  memcpy(b + 32, inv->netkey, 32);
  memcpy(b + 64, inv->token, AYIL_TOKEN_BYTES);
  n = 64 + AYIL_TOKEN_BYTES;
  b[n++] = (uint8_t)(day >> 8);
  b[n++] = (uint8_t)day;
  rc = put_str(b, &n, sizeof b - 4, inv->name);
  if (rc == 0)
    rc = put_str(b, &n, sizeof b - 4, inv->oblast);
  if (rc == 0)
    rc = put_str(b, &n, sizeof b - 4, inv->addr);
  if (rc == 0 &&
      cap < plen + sodium_base64_ENCODED_LEN(
                       n + 4, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
    rc = AYIL_ETOOBIG;
  if (rc == 0) {
    /* A 4-byte BLAKE2b check catches a mistyped character before a node
     * enrols with a wrong key. */
    crypto_generichash(b + n, 4, b, n, NULL, 0);
    memcpy(out, V2_PREFIX, plen);
    sodium_bin2base64(out + plen, cap - plen, b, n + 4,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  }
  /* It carries the network key and the token. */
  sodium_memzero(b, sizeof b);
  return rc;
}

/* A non-empty string of the code. An empty one is refused: no field of an
 * invite may be empty, and msgpack-c may hand an empty string with a NULL
 * pointer (memcpy(dst, NULL, 0) is undefined; a fuzzer found it). */
static int get_str(const msgpack_object *o, char *dst, size_t cap) {
  if (o->type != MSGPACK_OBJECT_STR || o->via.str.size == 0 ||
      o->via.str.size >= cap || o->via.str.ptr == NULL)
    return AYIL_EFORMAT;
  memcpy(dst, o->via.str.ptr, o->via.str.size);
  dst[o->via.str.size] = '\0';
  if (strlen(dst) != o->via.str.size)
    return AYIL_EFORMAT;
  return 0;
}

static int get_bin(const msgpack_object *o, uint8_t *dst, size_t n) {
  if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != n)
    return AYIL_EFORMAT;
  memcpy(dst, o->via.bin.ptr, n);
  return 0;
}

int ayil_invite_decode(const char *text, ayil_invite_t *inv) {
  ayil_invite_why_t why;
  size_t pos;
  return ayil_invite_decode_why(text, inv, &why, &pos);
}

static int b64url_char(char ch) {
  return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
         (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

/* The length a version 2 code of these bytes has, from its length bytes,
 * check included; 0 if they run past len (then it was cut). */
static size_t v2_len(const uint8_t *b, size_t len) {
  size_t n = V2_FIXED;
  int k;
  for (k = 0; k < 3; k++) {
    if (n >= len)
      return 0;
    n += 1 + b[n];
  }
  return n + 4;
}

/* The check failed: tell a cut code, or one with characters added, from a
 * mistyped one, by the length its own fields announce. */
static ayil_invite_why_t check_failed(int version, const uint8_t *raw,
                                      size_t len) {
  size_t used = 0, want;
  int rc;
  if (version == 2) {
    want = v2_len(raw, len);
    if (want == 0 || len < want)
      return AYIL_INVITE_TRUNCATED;
    return len > want ? AYIL_INVITE_TOO_LONG : AYIL_INVITE_CHECKSUM;
  }
  rc = ayil_mp_check(raw, len, 1, &used);
  if (rc == AYIL_ETRUNC || (rc == 0 && len - used < 4))
    return AYIL_INVITE_TRUNCATED;
  if (rc == 0 && len - used > 4)
    return AYIL_INVITE_TOO_LONG;
  return AYIL_INVITE_CHECKSUM;
}

static int take_str(const uint8_t *b, size_t *n, size_t len, char *dst,
                    size_t cap) {
  size_t l;
  if (*n >= len)
    return AYIL_EFORMAT;
  l = b[(*n)++];
  /* No field of an invite may be empty (as get_str() for version 1). */
  if (l == 0 || l >= cap || *n + l > len || memchr(b + *n, 0, l) != NULL)
    return AYIL_EFORMAT;
  memcpy(dst, b + *n, l);
  dst[l] = '\0';
  *n += l;
  return 0;
}

static int decode_v2(const uint8_t *b, size_t len, ayil_invite_t *inv) {
  size_t n = V2_FIXED;
  int rc;
  if (len < V2_FIXED)
    return AYIL_EFORMAT;
  memcpy(inv->hub_id, b, 32);
  memcpy(inv->netkey, b + 32, 32);
  memcpy(inv->token, b + 64, AYIL_TOKEN_BYTES);
  inv->expires = ((uint64_t)b[80] << 8 | b[81]) * 86400ULL;
  rc = take_str(b, &n, len, inv->name, sizeof inv->name);
  if (rc == 0)
    rc = take_str(b, &n, len, inv->oblast, sizeof inv->oblast);
  if (rc == 0)
    rc = take_str(b, &n, len, inv->addr, sizeof inv->addr);
  if (rc == 0 && n != len)
    rc = AYIL_ETRAILING;
  return rc;
}

static int decode_v1(const uint8_t *raw, size_t rlen, ayil_invite_t *inv,
                     ayil_invite_why_t *why) {
  size_t used = 0;
  msgpack_unpacked up;
  const msgpack_object *f;
  int rc = ayil_mp_check(raw, rlen, 1, &used);
  if (rc != 0)
    return rc;
  if (used != rlen)
    return AYIL_ETRAILING;
  msgpack_unpacked_init(&up);
  if (msgpack_unpack_next(&up, (const char *)raw, rlen, NULL) !=
          MSGPACK_UNPACK_SUCCESS ||
      up.data.type != MSGPACK_OBJECT_ARRAY || up.data.via.array.size != 8) {
    rc = AYIL_EFORMAT;
    goto out;
  }
  f = up.data.via.array.ptr;
  if (f[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER || f[0].via.u64 != 1) {
    *why = AYIL_INVITE_VERSION;
    rc = AYIL_EVERSION;
    goto out;
  }
  rc = get_str(&f[1], inv->addr, sizeof inv->addr);
  if (rc == 0)
    rc = get_bin(&f[2], inv->hub_id, AYIL_ID_BYTES);
  if (rc == 0)
    rc = get_bin(&f[3], inv->netkey, 32);
  if (rc == 0)
    rc = get_bin(&f[4], inv->token, AYIL_TOKEN_BYTES);
  if (rc == 0)
    rc = get_str(&f[5], inv->name, sizeof inv->name);
  if (rc == 0)
    rc = get_str(&f[6], inv->oblast, sizeof inv->oblast);
  if (rc == 0 && f[7].type != MSGPACK_OBJECT_POSITIVE_INTEGER)
    rc = AYIL_EFORMAT;
  if (rc == 0)
    inv->expires = f[7].via.u64;
out:
  msgpack_unpacked_destroy(&up);
  return rc;
}

int ayil_invite_decode_why(const char *text, ayil_invite_t *inv,
                           ayil_invite_why_t *why, size_t *pos) {
  uint8_t raw[AYIL_INVITE_MAX];
  size_t rlen = 0, plen = 6, i, tlen;
  const char *end = NULL;
  int rc, version;
  memset(inv, 0, sizeof *inv);
  *why = AYIL_INVITE_FIELDS;
  *pos = 0;
  if (text == NULL || strncmp(text, "ayil", 4) != 0) {
    *why = AYIL_INVITE_NOT_CODE;
    return AYIL_EFORMAT;
  }
  if (strncmp(text, V2_PREFIX, plen) == 0) {
    version = 2;
  } else if (strncmp(text, INVITE_PREFIX, plen) == 0) {
    version = 1;
  } else {
    *why = AYIL_INVITE_VERSION;
    return AYIL_EVERSION;
  }
  tlen = strlen(text + plen);
  if (tlen > 2 * AYIL_INVITE_MAX) {
    *why = AYIL_INVITE_TOO_LONG;
    return AYIL_ETOOBIG;
  }
  for (i = 0; i < tlen; i++)
    if (!b64url_char(text[plen + i])) {
      *why = AYIL_INVITE_ALPHABET;
      *pos = i;
      return AYIL_EFORMAT;
    }
  /* Every character is of the alphabet: a length base64 cannot have (4k+1)
   * lost or gained one. */
  if (sodium_base642bin(raw, sizeof raw, text + plen, tlen, NULL, &rlen, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      *end != '\0') {
    *why = AYIL_INVITE_TRUNCATED;
    return AYIL_EFORMAT;
  }
  if (rlen < 5) {
    *why = AYIL_INVITE_TRUNCATED;
    return AYIL_EFORMAT;
  }
  {
    uint8_t check[4];
    crypto_generichash(check, 4, raw, rlen - 4, NULL, 0);
    if (sodium_memcmp(check, raw + rlen - 4, 4) != 0) {
      *why = check_failed(version, raw, rlen);
      sodium_memzero(raw, sizeof raw);
      return AYIL_EFORMAT;
    }
  }
  rc = version == 2 ? decode_v2(raw, rlen - 4, inv)
                    : decode_v1(raw, rlen - 4, inv, why);
  sodium_memzero(raw, sizeof raw);
  /* Fields that the check vouches for but ayil did not write: a malformed
   * code, whatever the msgpack reader's word for it (ETRUNC, ENOTCANON,
   * ETRAILING...), as documented. */
  if (rc != 0 && rc != AYIL_EVERSION && rc != AYIL_ETOOBIG)
    rc = AYIL_EFORMAT;
  if (rc == 0)
    *why = AYIL_INVITE_OK;
  else
    sodium_memzero(inv, sizeof *inv);
  return rc;
}

int ayil_reg_token_get(ayil_store_t *st, uint8_t token[AYIL_TOKEN_BYTES]) {
  char *tok64 = NULL;
  size_t got = 0;
  int rc = ayil_store_meta_get(st, "invite_token", &tok64);
  if (rc != 0)
    return rc;
  if (sodium_base642bin(token, AYIL_TOKEN_BYTES, tok64, strlen(tok64), NULL,
                        &got, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      got != AYIL_TOKEN_BYTES)
    rc = AYIL_ENOTFOUND; /* spent: the value is empty */
  sodium_memzero(tok64, strlen(tok64));
  free(tok64);
  return rc;
}

int ayil_reg_token_set(ayil_store_t *st, const uint8_t *token) {
  char tok64[sodium_base64_ENCODED_LEN(AYIL_TOKEN_BYTES,
                                       sodium_base64_VARIANT_ORIGINAL)] = "";
  int rc;
  if (token != NULL)
    sodium_bin2base64(tok64, sizeof tok64, token, AYIL_TOKEN_BYTES,
                      sodium_base64_VARIANT_ORIGINAL);
  rc = ayil_store_meta_set(st, "invite_token", tok64);
  sodium_memzero(tok64, sizeof tok64);
  return rc;
}

/* ---- the hub's registry ---- */

static void token_hash(const uint8_t token[AYIL_TOKEN_BYTES], uint8_t h[32]) {
  crypto_generichash(h, 32, token, AYIL_TOKEN_BYTES, NULL, 0);
}

/* A single-use invite for registry row `committee`, in the caller's
 * transaction. */
static int invite_add(ayil_store_t *st, int64_t committee,
                      const uint8_t *successor_of, unsigned expires_days,
                      uint64_t now, ayil_invite_t *inv) {
  uint8_t h[32];
  randombytes_buf(inv->token, AYIL_TOKEN_BYTES);
  token_hash(inv->token, h);
  inv->expires =
      now + 86400ULL * (expires_days != 0 ? expires_days : AYIL_INVITE_DAYS);
  return reg_run(st,
                 "INSERT INTO invites(token_hash, committee, successor_of, "
                 "expires, created) VALUES(?1,?2,?3,?4,?5)",
                 NULL, "kiKii", h, committee, successor_of,
                 (int64_t)inv->expires, (int64_t)now);
}

int ayil_reg_admit(ayil_store_t *st, const char *name, const char *oblast,
                   const char *kind, const uint8_t *successor_of,
                   unsigned expires_days, ayil_invite_t *inv) {
  int64_t committee = 0;
  uint64_t now = (uint64_t)time(NULL);
  int rc = ayil_store_begin(st);
  if (rc != 0)
    return rc;
  if (successor_of != NULL) {
    ayil_device_t d;
    rc = ayil_reg_device(st, successor_of, &d);
    if (rc != 0)
      goto fail;
    committee = d.committee;
    snprintf(inv->name, sizeof inv->name, "%s", d.name);
    snprintf(inv->oblast, sizeof inv->oblast, "%s", d.oblast);
  } else {
    rc = reg_run(st,
                 "INSERT INTO committees(name, oblast, created, kind) "
                 "VALUES(?1,?2,?3,?4)",
                 NULL, "ttit", name, oblast, (int64_t)now,
                 kind != NULL ? kind : AYIL_KIND_COMMITTEE);
    if (rc != 0)
      goto fail;
    committee = sqlite3_last_insert_rowid(ayil__store_db(st));
    snprintf(inv->name, sizeof inv->name, "%s", name);
    snprintf(inv->oblast, sizeof inv->oblast, "%s", oblast);
  }
  rc = invite_add(st, committee, successor_of, expires_days, now, inv);
  if (rc != 0)
    goto fail;
  return ayil_store_commit(st);
fail:
  ayil_store_rollback(st);
  return rc;
}

int ayil_reg_admit_rehome(ayil_store_t *st, const uint8_t node[AYIL_ID_BYTES],
                          unsigned expires_days, ayil_invite_t *inv) {
  ayil_device_t d;
  int rc = ayil_store_begin(st);
  if (rc != 0)
    return rc;
  rc = ayil_reg_device(st, node, &d);
  if (rc == 0 && strcmp(d.state, AYIL_DEV_ACTIVE) != 0)
    rc = AYIL_ESTATE;
  if (rc == 0) {
    snprintf(inv->name, sizeof inv->name, "%s", d.name);
    snprintf(inv->oblast, sizeof inv->oblast, "%s", d.oblast);
    rc = invite_add(st, d.committee, NULL, expires_days, (uint64_t)time(NULL),
                    inv);
  }
  if (rc != 0) {
    ayil_store_rollback(st);
    return rc;
  }
  return ayil_store_commit(st);
}

/* Binds `node` to the invite `h` of `committee` (marking a predecessor
 * replaced only now) and signs the admit notice, in the caller's
 * transaction. */
static int bind_node(ayil_store_t *st, const uint8_t hub_sk[64],
                     const uint8_t h[32], int64_t committee,
                     const uint8_t *pred, const uint8_t node[AYIL_ID_BYTES],
                     uint64_t now) {
  int rc = reg_run(st, "UPDATE invites SET used_by=?1 WHERE token_hash=?2",
                   NULL, "kk", node, h);
  if (rc == 0) {
    ayil_device_t known;
    /* A node this hub holds already, active in that row (re-homing after
     * its regional hub was replaced): nothing to add. */
    if (pred == NULL && ayil_reg_device(st, node, &known) == 0 &&
        known.committee == committee &&
        strcmp(known.state, AYIL_DEV_ACTIVE) == 0)
      rc = 0;
    else
      rc = reg_run(st,
                   "INSERT INTO devices(id, committee, state, admitted) "
                   "VALUES(?1,?2,'active',?3)",
                   NULL, "kii", node, committee, (int64_t)now);
  }
  if (rc == AYIL_ESTORE || rc == AYIL_EEXISTS)
    rc = AYIL_EAUTH; /* this node id is already registered */
  if (rc == 0)
    ayil__store_policy_changed(st); /* a hub above now wants its log */
  if (rc == 0 && pred != NULL) {
    /* One device at a time: the predecessor is refused from now on, and
     * only now (a successor's invite locks nothing out until confirmed). */
    uint64_t pred_head = 0;
    uint8_t hh[AYIL_HASH_BYTES];
    rc = ayil_store_head(st, pred, &pred_head, hh);
    /* Its log ends at what the hub holds: the successor carries on. */
    if (rc == 0)
      rc = reg_run(st,
                   "UPDATE devices SET state='replaced', revoked=?2, "
                   "revoked_after=?3 WHERE id=?1 AND state='active'",
                   NULL, "kii", pred, (int64_t)now, (int64_t)pred_head);
    /* The predecessor's peers now see the successor's log. */
    ayil__store_policy_changed(st);
  }
  if (rc == 0)
    rc =
        reg_run(st, "DELETE FROM candidates WHERE token_hash=?1", NULL, "k", h);
  /* The admission and its signed notice are one transaction: a committee
   * learns its lineage (successor_of) only from the notice. */
  if (rc == 0)
    rc = ayil_reg_notice(st, hub_sk, "admit", node, pred);
  return rc;
}

/* The invite `h` if it is valid (unused, unexpired): its committee and
 * predecessor. AYIL_EAUTH otherwise. */
static int invite_open(ayil_store_t *st, const uint8_t h[32], uint64_t now,
                       int64_t *committee, uint8_t pred[AYIL_ID_BYTES],
                       int *has_pred) {
  sqlite3_stmt *s = NULL;
  int rc = reg_run(st,
                   "SELECT committee, successor_of, expires, used_by FROM "
                   "invites WHERE token_hash=?1",
                   &s, "k", h);
  if (rc != 0)
    return rc;
  if (s == NULL || sqlite3_column_type(s, 3) != SQLITE_NULL ||
      (uint64_t)sqlite3_column_int64(s, 2) < now) {
    reg_end(s);
    return AYIL_EAUTH;
  }
  *committee = sqlite3_column_int64(s, 0);
  *has_pred = sqlite3_column_bytes(s, 1) == AYIL_ID_BYTES;
  if (*has_pred)
    memcpy(pred, sqlite3_column_blob(s, 1), AYIL_ID_BYTES);
  reg_end(s);
  return 0;
}

int ayil_reg_redeem(ayil_store_t *st, const uint8_t hub_sk[64],
                    const uint8_t token[AYIL_TOKEN_BYTES],
                    const uint8_t node[AYIL_ID_BYTES]) {
  sqlite3_stmt *s = NULL;
  uint8_t h[32], pred[AYIL_ID_BYTES];
  int64_t committee = 0, ncand = 0;
  int has_pred = 0, confirmed;
  uint64_t now = (uint64_t)time(NULL);
  int rc;
  token_hash(token, h);
  rc = ayil_store_begin(st);
  if (rc != 0)
    return rc;
  rc = invite_open(st, h, now, &committee, pred, &has_pred);
  if (rc != 0)
    goto fail;
  /* Confirmed ahead by the operator (ayil_reg_confirm())? */
  rc = reg_run(st, "SELECT 1 FROM confirmations WHERE code=?1 AND expires>=?2",
               &s, "ii", (int64_t)ayil_enrol_code(node), (int64_t)now);
  if (rc != 0)
    goto fail;
  confirmed = s != NULL;
  reg_end(s);
  if (confirmed) {
    rc = reg_run(st, "DELETE FROM confirmations WHERE code=?1", NULL, "i",
                 (int64_t)ayil_enrol_code(node));
    if (rc == 0)
      rc = bind_node(st, hub_sk, h, committee, has_pred ? pred : NULL, node,
                     now);
    if (rc != 0)
      goto fail;
    return ayil_store_commit(st);
  }
  /* Not yet: the node is one candidate for the invite; a stolen code
   * neither completes the enrolment nor locks the right node out. */
  rc = reg_run(st, "SELECT count(*) FROM candidates WHERE token_hash=?1", &s,
               "k", h);
  if (rc == 0 && s != NULL)
    ncand = sqlite3_column_int64(s, 0);
  reg_end(s);
  if (rc == 0 && ncand < AYIL_CANDIDATES_MAX)
    rc = reg_run(st,
                 "INSERT INTO candidates(token_hash, node, first) "
                 "VALUES(?1,?2,?3) ON CONFLICT DO NOTHING",
                 NULL, "kki", h, node, (int64_t)now);
  if (rc != 0)
    goto fail;
  rc = ayil_store_commit(st);
  return rc != 0 ? rc : AYIL_EPENDING;
fail:
  ayil_store_rollback(st);
  return rc;
}

int ayil_reg_confirm(ayil_store_t *st, const uint8_t hub_sk[64], uint64_t code,
                     uint8_t node[AYIL_ID_BYTES], int *admitted) {
  sqlite3_stmt *s = NULL;
  uint8_t h[32], cand[AYIL_ID_BYTES], pred[AYIL_ID_BYTES];
  uint64_t now = (uint64_t)time(NULL);
  int64_t committee = 0;
  int found = 0, has_pred = 0, step, rc;
  *admitted = 0;
  rc = ayil_store_begin(st);
  if (rc != 0)
    return rc;
  /* A node that presented a valid invite and shows this code. */
  rc = ayil__store_stmt(st,
                        "SELECT c.token_hash, c.node FROM candidates c JOIN "
                        "invites i ON i.token_hash = c.token_hash WHERE "
                        "i.used_by IS NULL AND i.expires >= ?1",
                        &s);
  if (rc != 0)
    goto fail;
  sqlite3_bind_int64(s, 1, (sqlite3_int64)now);
  while ((step = sqlite3_step(s)) == SQLITE_ROW) {
    if (sqlite3_column_bytes(s, 0) != 32 ||
        sqlite3_column_bytes(s, 1) != AYIL_ID_BYTES)
      continue;
    memcpy(cand, sqlite3_column_blob(s, 1), AYIL_ID_BYTES);
    if (ayil_enrol_code(cand) == code) {
      memcpy(h, sqlite3_column_blob(s, 0), 32);
      memcpy(node, cand, AYIL_ID_BYTES);
      found++;
    }
  }
  sqlite3_reset(s);
  if (step != SQLITE_DONE && step != SQLITE_ROW) {
    rc = ayil__store_rc(step);
    goto fail;
  }
  if (found > 1) {
    rc = AYIL_EEXISTS; /* two candidates with one code: confirm neither */
    goto fail;
  }
  if (found == 1) {
    rc = invite_open(st, h, now, &committee, pred, &has_pred);
    if (rc == 0)
      rc = bind_node(st, hub_sk, h, committee, has_pred ? pred : NULL, node,
                     now);
    if (rc != 0)
      goto fail;
    *admitted = 1;
  } else {
    /* Ahead of the node's first connection (or bundle): it is admitted
     * when it presents a valid invite with this code. */
    rc = reg_run(st,
                 "INSERT INTO confirmations(code, expires) VALUES(?1,?2) "
                 "ON CONFLICT(code) DO UPDATE SET expires=excluded.expires",
                 NULL, "ii", (int64_t)code,
                 (int64_t)(now + 86400ULL * AYIL_INVITE_DAYS));
    if (rc != 0)
      goto fail;
  }
  return ayil_store_commit(st);
fail:
  ayil_store_rollback(st);
  return rc;
}

int ayil_reg_device(ayil_store_t *st, const uint8_t node[AYIL_ID_BYTES],
                    ayil_device_t *out) {
  sqlite3_stmt *s = NULL;
  int rc = reg_run(st,
                   "SELECT d.committee, c.name, c.oblast, d.state, "
                   "ifnull(d.revoked_after, 0), d.rolled_back, c.kind, "
                   "ifnull(c.parent, 0) FROM devices d JOIN committees c ON "
                   "c.id = d.committee WHERE d.id=?1",
                   &s, "k", node);
  memset(out, 0, sizeof *out);
  if (rc != 0)
    return rc;
  if (s == NULL)
    return AYIL_ENOTFOUND;
  out->committee = sqlite3_column_int64(s, 0);
  snprintf(out->name, sizeof out->name, "%s", sqlite3_column_text(s, 1));
  snprintf(out->oblast, sizeof out->oblast, "%s", sqlite3_column_text(s, 2));
  snprintf(out->state, sizeof out->state, "%s", sqlite3_column_text(s, 3));
  out->revoked_after = (uint64_t)sqlite3_column_int64(s, 4);
  out->rolled_back = (uint64_t)sqlite3_column_int64(s, 5);
  snprintf(out->kind, sizeof out->kind, "%s", sqlite3_column_text(s, 6));
  out->parent = sqlite3_column_int64(s, 7);
  out->revoked = strcmp(out->state, AYIL_DEV_ACTIVE) != 0;
  reg_end(s);
  return 0;
}

int ayil_reg_committee_devices(ayil_store_t *st, int64_t committee,
                               uint8_t (*ids)[AYIL_ID_BYTES], size_t cap,
                               size_t *n) {
  sqlite3_stmt *s = NULL;
  int rc = reg_run(st,
                   "SELECT id FROM devices WHERE committee=?1 ORDER BY "
                   "admitted",
                   &s, "i", committee);
  *n = 0;
  return rc != 0 ? rc : ids_of(s, ids, cap, n);
}

int ayil_reg_revoke(ayil_store_t *st, const uint8_t hub_sk[64],
                    const uint8_t node[AYIL_ID_BYTES], const uint64_t *after,
                    uint64_t *rolled_back) {
  uint64_t head = 0, cut, removed = 0;
  uint8_t hash[AYIL_HASH_BYTES];
  ayil_device_t d;
  int rc = ayil_reg_device(st, node, &d);
  if (rolled_back != NULL)
    *rolled_back = 0;
  if (rc != 0)
    return rc;
  rc = ayil_store_begin(st);
  if (rc != 0)
    return rc;
  /* What the hub holds now is the last acknowledged entry, unless the
   * operator names an earlier seq: what the node signed after it is
   * refused and rolled back (a stolen key's deletes). */
  rc = ayil_store_head(st, node, &head, hash);
  cut = after != NULL && *after < head ? *after : head;
  if (rc == 0 && cut < head)
    rc = ayil_store_rollback_after(st, node, cut, &removed);
  if (rc == 0)
    rc = reg_run(st,
                 "UPDATE devices SET state=CASE WHEN state='active' THEN "
                 "'revoked' ELSE state END, revoked=ifnull(revoked, ?2), "
                 "revoked_after=?3, rolled_back=rolled_back + ?4 WHERE id=?1",
                 NULL, "kiii", node, (int64_t)time(NULL), (int64_t)cut,
                 (int64_t)removed);
  /* The revocation and its notice are one transaction. */
  if (rc == 0)
    rc = ayil_reg_notice(st, hub_sk, "revoke", node, NULL);
  if (rc != 0) {
    ayil_store_rollback(st);
    return rc;
  }
  if (rolled_back != NULL)
    *rolled_back = removed;
  return ayil_store_commit(st);
}

int ayil_reg_notice(ayil_store_t *st, const uint8_t hub_sk[64],
                    const char *action, const uint8_t node[AYIL_ID_BYTES],
                    const uint8_t *successor_of) {
  char id[AYIL_ID_TEXT], pred[AYIL_ID_TEXT];
  uint8_t rec[AYIL_RECID_BYTES];
  uint8_t *hdr = NULL;
  size_t hlen = 0;
  json_t *h;
  int rc;
  ayil_id_to_text(node, id);
  h = json_pack("{s:s, s:s, s:s}", "kind", "notice", "action", action, "node",
                id);
  if (h != NULL && successor_of != NULL) {
    ayil_id_to_text(successor_of, pred);
    if (json_object_set_new(h, "successor_of", json_string(pred)) != 0) {
      json_decref(h);
      h = NULL;
    }
  }
  if (h == NULL)
    return AYIL_ENOMEM;
  rc = ayil_record_pack(h, &hdr, &hlen);
  json_decref(h);
  if (rc != 0)
    return rc;
  randombytes_buf(rec, sizeof rec);
  rc = ayil_store_write_local(st, hub_sk, AYIL_OP_NOTICE, rec, hdr, hlen, NULL,
                              0, NULL, NULL);
  free(hdr);
  return rc;
}

/* ---- the national tier ---- */

int ayil_reg_is_hub(ayil_store_t *st, const uint8_t id[AYIL_ID_BYTES]) {
  sqlite3_stmt *s = NULL;
  int is = 0;
  if (ayil_store_role(st) != AYIL_POLICY_HUB)
    return 0;
  if (ayil_store_is_hub_above(st, id) || ayil_store_in_lineage(st, id))
    return 1; /* the hub above, this hub, or a hub it replaced */
  if (reg_run(st,
              "SELECT 1 FROM devices d JOIN committees c ON c.id = "
              "d.committee WHERE d.id=?1 AND c.kind='hub'",
              &s, "k", id) != 0)
    return 0;
  is = s != NULL;
  reg_end(s);
  return is;
}

int ayil_reg_directory(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                       int action, const uint8_t node[AYIL_ID_BYTES],
                       const uint8_t *successor_of, int64_t at) {
  ayil_device_t hub, dev, pred;
  char name[AYIL_ID_TEXT];
  int64_t row = 0;
  int rc, known;
  if (ayil_store_role(st) != AYIL_POLICY_HUB)
    return 0;
  rc = ayil_reg_device(st, origin, &hub);
  if (rc == AYIL_ENOTFOUND && ayil_store_in_lineage(st, origin)) {
    /* A regional hub this one replaced: its committees become this hub's
     * own, in its oblast (kept at join), so that they can re-home here
     * with their keys and logs (ayil admit --rehome). */
    char *obl = NULL;
    memset(&hub, 0, sizeof hub);
    if (ayil_store_meta_get(st, "oblast", &obl) == 0) {
      snprintf(hub.oblast, sizeof hub.oblast, "%s", obl);
      free(obl);
    }
    snprintf(hub.kind, sizeof hub.kind, "%s", AYIL_KIND_HUB);
    rc = 0;
  } else if (rc == AYIL_ENOTFOUND ||
             (rc == 0 && strcmp(hub.kind, AYIL_KIND_HUB))) {
    return 0; /* not a hub below: its notices are only kept */
  }
  if (rc != 0)
    return rc;
  rc = ayil_reg_device(st, node, &dev);
  if (rc != 0 && rc != AYIL_ENOTFOUND)
    return rc;
  known = rc == 0;
  if (known && !strcmp(dev.kind, AYIL_KIND_HUB))
    return 0; /* a hub below cannot make another hub a committee */
  if (known && dev.parent == 0 && hub.committee != 0)
    return 0; /* nor take a committee that dials this hub itself */
  if (action != AYIL_NOTICE_ADMIT) {
    if (!known || dev.parent != hub.committee)
      return 0; /* another hub's device now, or never admitted */
    return reg_run(st, "UPDATE devices SET state=?2, revoked=?3 WHERE id=?1",
                   NULL, "kti", node,
                   action == AYIL_NOTICE_REVOKE ? AYIL_DEV_REVOKED
                                                : AYIL_DEV_REPLACED,
                   at);
  }
  if (successor_of != NULL && ayil_reg_device(st, successor_of, &pred) == 0 &&
      !strcmp(pred.kind, AYIL_KIND_COMMITTEE)) {
    row = pred.committee;
    rc = reg_run(st,
                 "UPDATE devices SET state='replaced', revoked=?2 WHERE "
                 "id=?1 AND state='active'",
                 NULL, "ki", successor_of, at);
  } else if (known) {
    row = dev.committee;
  } else {
    /* A placeholder, "~" and its first device's id's first 8 characters,
     * until the hub below names it (NAMED; ayil_reg_named()). */
    char idt[AYIL_ID_TEXT];
    ayil_id_to_text(node, idt);
    snprintf(name, sizeof name, "~%.8s", idt);
    rc = reg_run(st,
                 "INSERT INTO committees(name, oblast, created, kind, parent) "
                 "VALUES(?1,?2,?3,'committee',nullif(?4, 0))",
                 NULL, "ttii", name, hub.oblast, at, hub.committee);
    row = sqlite3_last_insert_rowid(ayil__store_db(st));
  }
  /* The committee now reports through this hub, in its oblast. */
  if (rc == 0)
    rc = reg_run(st,
                 "UPDATE committees SET parent=nullif(?2, 0), oblast=?3 "
                 "WHERE id=?1",
                 NULL, "iit", row, hub.committee, hub.oblast);
  if (rc == 0 && !known)
    rc = reg_run(st,
                 "INSERT INTO devices(id, committee, state, admitted) "
                 "VALUES(?1,?2,'active',?3)",
                 NULL, "kii", node, row, at);
  else if (rc == 0)
    rc = reg_run(st,
                 "UPDATE devices SET committee=?2, state='active' WHERE id=?1",
                 NULL, "ki", node, row);
  if (rc == 0)
    ayil__store_policy_changed(st);
  return rc;
}

int ayil_reg_below(ayil_store_t *st, int64_t row, uint8_t (*ids)[AYIL_ID_BYTES],
                   size_t cap, size_t *n) {
  sqlite3_stmt *s = NULL;
  int rc = row != 0
               ? reg_run(st,
                         "SELECT d.id FROM devices d JOIN committees c ON "
                         "c.id = d.committee WHERE c.id=?1 OR c.parent=?1 "
                         "ORDER BY c.id <> ?1, c.id, d.admitted, d.id",
                         &s, "i", row)
               : reg_run(st,
                         "SELECT d.id FROM devices d JOIN committees c ON "
                         "c.id = d.committee WHERE c.kind='committee' AND "
                         "c.parent IS NULL ORDER BY c.id, d.admitted, d.id",
                         &s, "");
  *n = 0;
  return rc != 0 ? rc : ids_of(s, ids, cap, n);
}

int ayil_reg_name_ok(const char *name, size_t len) {
  size_t i;
  if (len == 0 || len > 100 || !ayil_utf8_ok((const uint8_t *)name, len))
    return 0;
  for (i = 0; i < len; i++)
    if ((unsigned char)name[i] < 0x20 || name[i] == '"' || name[i] == '\\' ||
        name[i] == 0x7f)
      return 0;
  return 1;
}

int ayil_reg_named(ayil_store_t *st, const uint8_t via[AYIL_ID_BYTES],
                   const uint8_t origin[AYIL_ID_BYTES], const char *name,
                   size_t len) {
  ayil_device_t hub, dev;
  char text[101];
  sqlite3_stmt *s = NULL;
  int taken, rc;
  if (!ayil_reg_name_ok(name, len) || ayil_reg_device(st, via, &hub) != 0 ||
      strcmp(hub.kind, AYIL_KIND_HUB) != 0 ||
      ayil_reg_device(st, origin, &dev) != 0 ||
      strcmp(dev.kind, AYIL_KIND_COMMITTEE) != 0 || dev.parent != hub.committee)
    return 0; /* not a committee under `via`, or not a name: ignored */
  memcpy(text, name, len);
  text[len] = '\0';
  /* Two committees of one name in one oblast would be one in a report. */
  rc = reg_run(st,
               "SELECT 1 FROM committees WHERE name=?1 AND oblast=?2 AND "
               "id<>?3",
               &s, "tti", text, dev.oblast, dev.committee);
  if (rc != 0)
    return rc;
  taken = s != NULL;
  reg_end(s);
  if (taken)
    return 0;
  return reg_run(st, "UPDATE committees SET name=?2 WHERE id=?1", NULL, "it",
                 dev.committee, text);
}

size_t ayil_reg_name_of(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                        char *buf, size_t cap) {
  ayil_device_t d;
  size_t n;
  if (cap == 0 || ayil_reg_device(st, origin, &d) != 0 ||
      strcmp(d.kind, AYIL_KIND_COMMITTEE) != 0 || d.parent != 0)
    return 0;
  n = strlen(d.name);
  if (n == 0 || n >= cap || d.name[0] == '~')
    return 0; /* a placeholder (taken over, never named here) says nothing */
  memcpy(buf, d.name, n + 1);
  return n;
}

int ayil_reg_arrived(ayil_store_t *st, const uint8_t via[AYIL_ID_BYTES],
                     const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                     uint64_t at) {
  return reg_run(st,
                 "INSERT INTO arrivals(origin, via, seq, at) VALUES(?1,?2,?3,"
                 "?4) ON CONFLICT(origin) DO UPDATE SET via=excluded.via, "
                 "seq=excluded.seq, at=excluded.at WHERE excluded.seq >= seq",
                 NULL, "kkii", origin, via, (int64_t)seq, (int64_t)at);
}

int ayil_reg_arrival(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES],
                     const uint8_t except[AYIL_ID_BYTES], uint64_t *seq,
                     uint64_t *at) {
  sqlite3_stmt *s = NULL;
  int rc = reg_run(st,
                   "SELECT seq, at FROM peer_acks WHERE origin=?1 AND peer "
                   "<> ?2 AND at IS NOT NULL ORDER BY seq DESC LIMIT 1",
                   &s, "kk", origin, except);
  *seq = *at = 0;
  if (rc != 0)
    return rc;
  if (s != NULL) {
    *seq = (uint64_t)sqlite3_column_int64(s, 0);
    *at = (uint64_t)sqlite3_column_int64(s, 1);
  }
  reg_end(s);
  return 0;
}

/* ---- per-peer bookkeeping ---- */

int ayil_reg_contact(ayil_store_t *st, const uint8_t peer[AYIL_ID_BYTES],
                     uint64_t now, int64_t skew_ms) {
  return reg_run(st,
                 "INSERT INTO peers(id, last_contact, skew_ms) "
                 "VALUES(?1,?2,?3) ON CONFLICT(id) DO UPDATE SET "
                 "last_contact=excluded.last_contact, "
                 "skew_ms=excluded.skew_ms",
                 NULL, "kii", peer, (int64_t)now, skew_ms);
}

int ayil_reg_acked(ayil_store_t *st, const uint8_t peer[AYIL_ID_BYTES],
                   const uint8_t origin[AYIL_ID_BYTES], uint64_t seq,
                   uint64_t now) {
  int rc = reg_run(st,
                   "INSERT INTO peer_acks(peer, origin, seq, at) "
                   "VALUES(?1,?2,?3,?4) ON CONFLICT(peer, origin) DO UPDATE "
                   "SET at=CASE WHEN excluded.seq > seq THEN excluded.at "
                   "ELSE at END, seq=max(seq, excluded.seq)",
                   NULL, "kkii", peer, origin, (int64_t)seq, (int64_t)now);
  if (rc != 0)
    return rc;
  return reg_run(st,
                 "INSERT INTO peers(id, last_ack) VALUES(?1,?2) ON "
                 "CONFLICT(id) DO UPDATE SET last_ack=excluded.last_ack",
                 NULL, "ki", peer, (int64_t)now);
}

int ayil_reg_peer_acked(ayil_store_t *st, const uint8_t peer[AYIL_ID_BYTES],
                        const uint8_t origin[AYIL_ID_BYTES], uint64_t *seq) {
  sqlite3_stmt *s = NULL;
  int rc = reg_run(st, "SELECT seq FROM peer_acks WHERE peer=?1 AND origin=?2",
                   &s, "kk", peer, origin);
  *seq = 0;
  if (rc != 0)
    return rc;
  if (s != NULL)
    *seq = (uint64_t)sqlite3_column_int64(s, 0);
  reg_end(s);
  return 0;
}

int ayil_reg_bytes(ayil_store_t *st, const uint8_t peer[AYIL_ID_BYTES],
                   uint64_t now, uint64_t sent, uint64_t recv) {
  char day[16];
  time_t t = (time_t)now;
  struct tm tm;
  if (sent == 0 && recv == 0)
    return 0;
  gmtime_r(&t, &tm);
  strftime(day, sizeof day, "%Y-%m-%d", &tm);
  return reg_run(st,
                 "INSERT INTO peer_bytes(peer, day, sent, recv) "
                 "VALUES(?1,?2,?3,?4) ON CONFLICT(peer, day) DO UPDATE SET "
                 "sent=sent+excluded.sent, recv=recv+excluded.recv",
                 NULL, "ktii", peer, day, (int64_t)sent, (int64_t)recv);
}

int ayil_reg_count_delete(ayil_store_t *st, const uint8_t *sender,
                          const uint8_t origin[32], uint64_t seq, uint64_t now,
                          int *burst) {
  sqlite3_stmt *s = NULL;
  int64_t n = 0;
  int rc = reg_run(st,
                   "INSERT INTO delete_days(origin, day, n) VALUES(?1,?2,1) "
                   "ON CONFLICT DO UPDATE SET n=n+1 RETURNING n",
                   &s, "ki", origin, (int64_t)(now / 86400));
  if (burst != NULL)
    *burst = 0;
  if (rc != 0)
    return rc;
  if (s != NULL)
    n = sqlite3_column_int64(s, 0);
  reg_end(s);
  if (n != AYIL_DELETE_BURST)
    return 0;
  if (burst != NULL)
    *burst = 1;
  return ayil_reg_alert(st, "delete_burst", sender, origin, seq, now);
}

int ayil_reg_alert(ayil_store_t *st, const char *kind, const uint8_t *peer,
                   const uint8_t *origin, uint64_t seq, uint64_t now) {
  return ayil_reg_alert_record(st, kind, peer, origin, seq, NULL, now);
}

int ayil_reg_alert_record(ayil_store_t *st, const char *kind,
                          const uint8_t *peer, const uint8_t *origin,
                          uint64_t seq, const uint8_t *record, uint64_t now) {
  return reg_run(st,
                 "INSERT INTO alerts(kind, peer, origin, seq, first, last, "
                 "record) VALUES(?1,?2,?3,?4,?5,?5,?6) ON CONFLICT DO UPDATE "
                 "SET last=excluded.last",
                 NULL, "tKKiiR", kind, peer, origin, (int64_t)seq, (int64_t)now,
                 record);
}

int ayil_reg_alert_clear(ayil_store_t *st, const char *kind,
                         const uint8_t *peer, int *n) {
  int rc = reg_run(st,
                   "UPDATE alerts SET cleared=1 WHERE cleared=0 AND kind=?1 "
                   "AND (?2 IS NULL OR peer=?2)",
                   NULL, "tK", kind, peer);
  /* A log refused for a fork may be wanted again. */
  ayil__store_policy_changed(st);
  if (n != NULL)
    *n = sqlite3_changes(ayil__store_db(st));
  return rc;
}

int ayil_reg_forked(ayil_store_t *st, const uint8_t origin[AYIL_ID_BYTES]) {
  sqlite3_stmt *s = NULL;
  int forked;
  if (reg_run(st,
              "SELECT 1 FROM alerts WHERE kind IN ('fork', 'not_owner', "
              "'bad_entry') AND origin=?1 AND cleared=0",
              &s, "k", origin) != 0)
    return 0;
  forked = s != NULL;
  reg_end(s);
  return forked;
}

/*
 * Ids a person can type: a record id or a node id may be given whole or as
 * a unique prefix (as git takes a commit's), and a node also by its
 * committee's name (on a hub). What was typed is never put into a message
 * (a short hex string may still be a name); the ids it matches are.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "ayil/error.h"
#include "node_int.h"

/* At most this many candidates are named in an "ambiguous" message. */
#define SHOW_MAX 5

/* ---- records ---- */

int ayil_node_record_resolve(ayil_node_t *n, const char *text,
                             uint8_t id[AYIL_RECID_BYTES]) {
  char want[AYIL_RECID_TEXT], found[SHOW_MAX][AYIL_RECID_TEXT];
  char list[SHOW_MAX * (AYIL_RECID_TEXT + 2) + 8];
  sqlite3_stmt *s = NULL;
  size_t len = text != NULL ? strlen(text) : 0, i;
  int nfound = 0, rc;
  for (i = 0; i < len && i < AYIL_RECID_TEXT - 1; i++)
    if (!isxdigit((unsigned char)text[i]))
      break;
  if (len == 0 || i != len || len > AYIL_RECID_TEXT - 1)
    return ayil__node_fail(n, AYIL_EINVAL, 1,
                           "the record id must be 32 hex characters, or a "
                           "unique prefix of at least %d of them (the text "
                           "given is not shown)",
                           AYIL_NODE_PREFIX_MIN);
  for (i = 0; i < len; i++)
    want[i] = (char)tolower((unsigned char)text[i]);
  want[len] = '\0';
  if (len == AYIL_RECID_TEXT - 1) {
    if (ayil_recid_from_text(want, id) != 0)
      return ayil__node_fail(n, AYIL_EINVAL, 1,
                             "the record id must be 32 hex characters (the "
                             "text given is not shown)");
    return 0;
  }
  if (len < AYIL_NODE_PREFIX_MIN)
    return ayil__node_fail(n, AYIL_EINVAL, 1,
                           "the record id is too short: give at least %d of "
                           "its 32 hex characters (the text given is not "
                           "shown)",
                           AYIL_NODE_PREFIX_MIN);
  /* hex() is upper case; a prefix of live records only */
  if (sqlite3_prepare_v2(ayil__store_db(n->store),
                         "SELECT lower(hex(id)) FROM records WHERE deleted=0 "
                         "AND substr(lower(hex(id)), 1, ?2) = ?1 ORDER BY "
                         "created_n LIMIT ?3",
                         -1, &s, NULL) != SQLITE_OK)
    return ayil__node_fail(n, AYIL_ESTORE, 0, "store: %s",
                           ayil_strerror(AYIL_ESTORE));
  sqlite3_bind_text(s, 1, want, -1, SQLITE_STATIC);
  sqlite3_bind_int(s, 2, (int)len);
  sqlite3_bind_int(s, 3, SHOW_MAX + 1);
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    const char *t = (const char *)sqlite3_column_text(s, 0);
    if (nfound < SHOW_MAX && t != NULL)
      snprintf(found[nfound], sizeof found[nfound], "%s", t);
    nfound++;
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE)
    return ayil__node_fail(n, AYIL_ESTORE, 0, "store: %s",
                           ayil_strerror(AYIL_ESTORE));
  if (nfound == 0)
    return ayil__node_fail(n, AYIL_ENOTFOUND, 1,
                           "no live record's id starts with the prefix given "
                           "(it is not shown)");
  if (nfound > 1) {
    list[0] = '\0';
    for (i = 0; i < (size_t)nfound && i < SHOW_MAX; i++) {
      strcat(list, i > 0 ? ", " : "");
      strcat(list, found[i]);
    }
    if (nfound > SHOW_MAX)
      strcat(list, ", ...");
    return ayil__node_fail(n, AYIL_EINVAL, 1,
                           "the record id prefix is ambiguous: it matches %s; "
                           "give more of its characters",
                           list);
  }
  return ayil_recid_from_text(found[0], id) == 0
             ? 0
             : ayil__node_fail(n, AYIL_ESTORE, 0, "store: %s",
                               ayil_strerror(AYIL_ESTORE));
}

/* ---- nodes ---- */

static int is_b64(const char *t, size_t len) {
  size_t i;
  for (i = 0; i < len; i++)
    if (!isalnum((unsigned char)t[i]) && t[i] != '+' && t[i] != '/' &&
        t[i] != '=')
      return 0;
  return 1;
}

typedef struct {
  uint8_t id[SHOW_MAX + 1][AYIL_ID_BYTES];
  int n;
} found_t;

static void found_add(found_t *f, const uint8_t *id) {
  int i;
  for (i = 0; i < f->n && i < SHOW_MAX + 1; i++)
    if (memcmp(f->id[i], id, AYIL_ID_BYTES) == 0)
      return;
  if (f->n < SHOW_MAX + 1)
    memcpy(f->id[f->n], id, AYIL_ID_BYTES);
  f->n++;
}

static void found_list(const found_t *f, char *out, size_t cap) {
  char t[AYIL_ID_TEXT];
  size_t used = 0;
  int i;
  out[0] = '\0';
  for (i = 0; i < f->n && i < SHOW_MAX; i++) {
    ayil_id_to_text(f->id[i], t);
    used += (size_t)snprintf(out + used, used < cap ? cap - used : 0, "%s%s",
                             i > 0 ? ", " : "", t);
    if (used >= cap)
      return;
  }
  if (f->n > SHOW_MAX && used < cap)
    snprintf(out + used, cap - used, ", ...");
}

/* The node ids this node knows: a committee's hub, a hub's devices, the
 * peers, the peers alerts name. Those whose text starts with `prefix` go
 * into *f. */
static int by_prefix(ayil_node_t *n, const char *prefix, found_t *f) {
  sqlite3_stmt *s = NULL;
  size_t len = strlen(prefix);
  uint8_t hub[AYIL_ID_BYTES];
  int rc;
  if (ayil_id_from_text(n->conf.hub_id, hub) == 0 &&
      strncmp(n->conf.hub_id, prefix, len) == 0)
    found_add(f, hub);
  if (sqlite3_prepare_v2(ayil__store_db(n->store),
                         "SELECT id FROM devices UNION SELECT id FROM peers "
                         "UNION SELECT peer FROM alerts WHERE peer IS NOT "
                         "NULL",
                         -1, &s, NULL) != SQLITE_OK)
    return AYIL_ESTORE;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    char t[AYIL_ID_TEXT];
    if (sqlite3_column_bytes(s, 0) != AYIL_ID_BYTES)
      continue;
    ayil_id_to_text(sqlite3_column_blob(s, 0), t);
    if (strncmp(t, prefix, len) == 0)
      found_add(f, sqlite3_column_blob(s, 0));
  }
  sqlite3_finalize(s);
  return rc == SQLITE_DONE ? 0 : AYIL_ESTORE;
}

/* Hub: the node of committee `name`: its active device, else the one
 * admitted last. *ncomm says how many committees have that name (the
 * oblasts go into `oblasts`); *f gets the device when there is one. */
static int by_name(ayil_node_t *n, const char *name, found_t *f, int *ncomm,
                   char *oblasts, size_t cap) {
  sqlite3_stmt *s = NULL;
  sqlite3 *db = ayil__store_db(n->store);
  int64_t committee = 0;
  size_t used = 0;
  int rc;
  *ncomm = 0;
  oblasts[0] = '\0';
  if (sqlite3_prepare_v2(db,
                         "SELECT id, oblast FROM committees WHERE name=?1 "
                         "ORDER BY oblast",
                         -1, &s, NULL) != SQLITE_OK)
    return AYIL_ESTORE;
  sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step(s)) == SQLITE_ROW && *ncomm < 32) {
    const char *ob = (const char *)sqlite3_column_text(s, 1);
    committee = sqlite3_column_int64(s, 0);
    if (used < cap)
      used += (size_t)snprintf(oblasts + used, cap - used, "%s%s",
                               *ncomm > 0 ? ", " : "", ob != NULL ? ob : "?");
    (*ncomm)++;
  }
  sqlite3_finalize(s);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return AYIL_ESTORE;
  if (*ncomm != 1)
    return 0;
  if (sqlite3_prepare_v2(db,
                         "SELECT id FROM devices WHERE committee=?1 ORDER BY "
                         "state='active' DESC, ifnull(admitted, 0) DESC "
                         "LIMIT 1",
                         -1, &s, NULL) != SQLITE_OK)
    return AYIL_ESTORE;
  sqlite3_bind_int64(s, 1, committee);
  rc = sqlite3_step(s);
  if (rc == SQLITE_ROW && sqlite3_column_bytes(s, 0) == AYIL_ID_BYTES)
    found_add(f, sqlite3_column_blob(s, 0));
  sqlite3_finalize(s);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : AYIL_ESTORE;
}

int ayil_node_node_resolve(ayil_node_t *n, const char *text,
                           uint8_t id[AYIL_ID_BYTES]) {
  found_t f;
  char list[SHOW_MAX * (AYIL_ID_TEXT + 2) + 8], oblasts[256];
  size_t len = text != NULL ? strlen(text) : 0;
  int ncomm = 0, rc;
  memset(&f, 0, sizeof f);
  if (len == 0 || len > 200)
    return ayil__node_fail(n, AYIL_EINVAL, 1,
                           "a node is named by its id (44 base64 "
                           "characters), a unique prefix of at least %d of "
                           "them, or its committee's name (the text given is "
                           "not shown)",
                           AYIL_NODE_PREFIX_MIN);
  if (ayil_id_from_text(text, id) == 0)
    return 0;
  /* a committee's name first: a name may look like a prefix */
  rc = by_name(n, text, &f, &ncomm, oblasts, sizeof oblasts);
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "store: %s", ayil_strerror(rc));
  if (ncomm > 1)
    return ayil__node_fail(n, AYIL_EINVAL, 1,
                           "%d committees have that name (in %s): give the "
                           "node id instead (ayil nodes lists them)",
                           ncomm, oblasts);
  if (ncomm == 1 && f.n == 0)
    return ayil__node_fail(n, AYIL_ENOTFOUND, 1,
                           "that committee has no node yet (its invite was "
                           "not used)");
  if (ncomm == 0 && is_b64(text, len)) {
    if (len < AYIL_NODE_PREFIX_MIN)
      return ayil__node_fail(n, AYIL_EINVAL, 1,
                             "a node id prefix needs at least %d characters "
                             "(the text given is not shown)",
                             AYIL_NODE_PREFIX_MIN);
    rc = by_prefix(n, text, &f);
    if (rc != 0)
      return ayil__node_fail(n, rc, 0, "store: %s", ayil_strerror(rc));
    if (f.n > 1) {
      found_list(&f, list, sizeof list);
      return ayil__node_fail(n, AYIL_EINVAL, 1,
                             "the node id prefix is ambiguous: it matches %s; "
                             "give more of its characters",
                             list);
    }
  }
  if (f.n == 0)
    return ayil__node_fail(n, AYIL_ENOTFOUND, 1,
                           "no node known here has an id that starts so, and "
                           "no committee has that name (the text given is not "
                           "shown): give a node id (44 base64 characters), a "
                           "unique prefix of at least %d of them, or a "
                           "committee's name",
                           AYIL_NODE_PREFIX_MIN);
  memcpy(id, f.id[0], AYIL_ID_BYTES);
  return 0;
}

/*
 * Members of a committee and the audit of opened bodies (node.h). The key
 * slots live in reader.key (keys.h); the audit in the store.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ayil/error.h"
#include "node_int.h"

_Static_assert(AYIL_MEMBER_NAME_MAX == AYIL_READER_NAME_MAX,
               "node.h and keys.h agree on a member name's size");

static int reader_path(ayil_node_t *n, char path[AYIL_PATH_MAX]) {
  if (!ayil_node_is_committee(n))
    return ayil__node_fail(n, AYIL_ESTATE, 1,
                           "members: a hub has no members (members are a "
                           "committee's)");
  return ayil__node_path(n, "reader.key", path, AYIL_PATH_MAX);
}

/* A name a person can read and type: 1..64 bytes of UTF-8 letters,
 * digits, space, '.', '-', '_' (bytes >= 0x80 are taken as letters; the
 * form is checked for valid UTF-8 before). No leading or trailing space. */
static int name_ok(const char *s) {
  size_t i, l = s != NULL ? strlen(s) : 0;
  if (l == 0 || l > AYIL_MEMBER_NAME_MAX || s[0] == ' ' || s[l - 1] == ' ')
    return 0;
  for (i = 0; i < l; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!(c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || c == ' ' || c == '.' || c == '-' ||
          c == '_'))
      return 0;
  }
  return 1;
}

int ayil_node_members(ayil_node_t *n, ayil_node_member_t **out, size_t *count) {
  ayil_reader_member_t m[AYIL_READER_MEMBERS_MAX + 1];
  char path[AYIL_PATH_MAX];
  size_t k, i;
  int rc = reader_path(n, path);
  *out = NULL;
  *count = 0;
  if (rc != 0)
    return rc;
  rc = ayil_reader_members(path, m, AYIL_READER_MEMBERS_MAX + 1, &k);
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "reader key %s: %s", path,
                           ayil_strerror(rc));
  *out = calloc(k > 0 ? k : 1, sizeof **out);
  if (*out == NULL)
    return ayil__node_fail(n, AYIL_ENOMEM, 0, "out of memory");
  /* the same sizes (keys.h and node.h agree: 64 bytes + NUL, 16) */
  for (i = 0; i < k; i++) {
    memcpy((*out)[i].name, m[i].name, sizeof m[i].name);
    (*out)[i].name[sizeof m[i].name - 1] = '\0';
    memcpy((*out)[i].role, m[i].role, sizeof m[i].role);
    (*out)[i].role[sizeof m[i].role - 1] = '\0';
  }
  *count = k;
  return 0;
}

/* The secret through `by`, which must open a chair's slot (or the kit). */
static int chair_secret(ayil_node_t *n, const ayil_node_unlock_t *by,
                        uint8_t sk[AYIL_READER_SK_BYTES], int need_chair) {
  int rc = ayil__node_unlock(n, by, sk);
  if (rc != 0)
    return rc;
  if (need_chair && n->unlocked_role[0] != '\0' &&
      strcmp(n->unlocked_role, "chair") != 0) {
    sodium_memzero(sk, AYIL_READER_SK_BYTES);
    return ayil__node_fail(n, AYIL_EPERM, 1,
                           "only a chair (or the recovery kit) can do this");
  }
  return 0;
}

/* The new password, through the callback. */
static int new_password(ayil_node_t *n, const ayil_node_unlock_t *pass,
                        ayil_node_key_t *key) {
  int rc;
  memset(key, 0, sizeof *key);
  rc = pass->get(pass->ctx, key);
  if (rc != 0) {
    n->err.code = rc;
    n->err.input = 1;
    n->err.msg[0] = '\0';
    return rc;
  }
  if (key->pass == NULL || ayil_passphrase_chars(key->pass, key->passlen) <
                               AYIL_PASSPHRASE_MIN_CHARS) {
    if (pass->done != NULL)
      pass->done(pass->ctx, key);
    return ayil__node_fail(n, AYIL_EINVAL, 1,
                           "a password needs at least %d characters",
                           AYIL_PASSPHRASE_MIN_CHARS);
  }
  return 0;
}

static int set_slot(ayil_node_t *n, const char *name, const char *role,
                    const ayil_node_unlock_t *by,
                    const ayil_node_unlock_t *pass, int create) {
  char path[AYIL_PATH_MAX];
  uint8_t sk[AYIL_READER_SK_BYTES];
  ayil_node_key_t key;
  int rc = reader_path(n, path);
  if (rc != 0)
    return rc;
  if (!name_ok(name))
    return ayil__node_fail(n, AYIL_EINVAL, 1,
                           "a member's name is 1 to %d letters, digits, "
                           "spaces, '.', '-' or '_'",
                           AYIL_MEMBER_NAME_MAX);
  if (strcmp(role, "chair") != 0 && strcmp(role, "member") != 0)
    return ayil__node_fail(n, AYIL_EINVAL, 1,
                           "a member's role is chair or member");
  rc = new_password(n, pass, &key);
  if (rc != 0)
    return rc;
  rc = chair_secret(n, by, sk, create);
  if (rc == 0) {
    rc = ayil_reader_member_set(path, sk, name, role, key.pass, key.passlen,
                                create);
    if (rc == AYIL_EEXISTS)
      ayil__node_fail(n, rc, 1, "a member of that name exists already");
    else if (rc == AYIL_ENOTFOUND)
      ayil__node_fail(n, rc, 1, "no member of that name");
    else if (rc == AYIL_EPERM)
      ayil__node_fail(n, rc, 1, "the first chair stays a chair");
    else if (rc == AYIL_ETOOBIG)
      ayil__node_fail(n, rc, 1, "a committee has at most %d members",
                      AYIL_READER_MEMBERS_MAX + 1);
    else if (rc != 0)
      ayil__node_fail(n, rc, 0, "reader key %s: %s", path, ayil_strerror(rc));
  }
  sodium_memzero(sk, sizeof sk);
  if (pass->done != NULL)
    pass->done(pass->ctx, &key);
  return rc;
}

int ayil_node_member_add(ayil_node_t *n, const char *name, const char *role,
                         const ayil_node_unlock_t *by,
                         const ayil_node_unlock_t *pass) {
  return set_slot(n, name, role, by, pass, 1);
}

int ayil_node_member_passwd(ayil_node_t *n, const char *name,
                            const ayil_node_unlock_t *by,
                            const ayil_node_unlock_t *pass) {
  ayil_node_member_t *ms = NULL;
  size_t k = 0, i;
  const char *role = "member";
  int rc = ayil_node_members(n, &ms, &k);
  if (rc != 0)
    return rc;
  for (i = 0; i < k; i++)
    if (strcmp(ms[i].name, name) == 0)
      role = strcmp(ms[i].role, "chair") == 0 ? "chair" : "member";
  free(ms);
  return set_slot(n, name, role, by, pass, 0);
}

int ayil_node_member_remove(ayil_node_t *n, const char *name) {
  char path[AYIL_PATH_MAX];
  int rc = reader_path(n, path);
  if (rc != 0)
    return rc;
  rc = ayil_reader_member_remove(path, name);
  if (rc == AYIL_ENOTFOUND)
    return ayil__node_fail(n, rc, 1, "no member of that name");
  if (rc == AYIL_EPERM)
    return ayil__node_fail(n, rc, 1,
                           "the last chair cannot be removed: make another "
                           "member chair first");
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "reader key %s: %s", path,
                           ayil_strerror(rc));
  return 0;
}

int ayil_node_member_login(ayil_node_t *n, const char *name, const char *pass,
                           size_t passlen, char role[16],
                           uint8_t sk[AYIL_READER_SK_BYTES]) {
  char path[AYIL_PATH_MAX];
  uint8_t tmp[AYIL_READER_SK_BYTES];
  int rc = reader_path(n, path);
  if (rc != 0)
    return rc;
  rc = ayil_reader_unlock_member(path, name, pass, passlen, tmp, role);
  if (rc == 0 && sk != NULL)
    memcpy(sk, tmp, sizeof tmp);
  sodium_memzero(tmp, sizeof tmp);
  if (rc == AYIL_EPASSPHRASE)
    return ayil__node_fail(n, rc, 1, "wrong member name or password");
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "reader key %s: %s", path,
                           ayil_strerror(rc));
  return 0;
}

/* ---- the audit ---- */

int ayil_node_set_actor(ayil_node_t *n, const char *member, const char *addr) {
  snprintf(n->actor, sizeof n->actor, "%s", member != NULL ? member : "");
  snprintf(n->actor_addr, sizeof n->actor_addr, "%s", addr != NULL ? addr : "");
  return 0;
}

void ayil_node_set_audit_action(ayil_node_t *n, const char *action) {
  snprintf(n->audit_action, sizeof n->audit_action, "%s",
           action != NULL ? action : AYIL_AUDIT_SHOW);
}

/* The command line's actor: the Unix user. */
static void default_actor(ayil_node_t *n) {
  if (n->actor[0] == '\0') {
    struct passwd *pw = getpwuid(geteuid());
    snprintf(n->actor, sizeof n->actor, "cli");
    snprintf(n->actor_addr, sizeof n->actor_addr, "cli:%s",
             pw != NULL ? pw->pw_name : "?");
  }
  if (n->audit_action[0] == '\0')
    snprintf(n->audit_action, sizeof n->audit_action, AYIL_AUDIT_SHOW);
}

int ayil__node_audit(ayil_node_t *n, const uint8_t *record) {
  int rc;
  default_actor(n);
  rc = ayil_store_audit_add(n->store, (int64_t)time(NULL), n->actor,
                            n->actor_addr, n->audit_action, record);
  if (rc != 0)
    return ayil__node_fail(n, rc, 0,
                           "the audit could not be written (%s): the record "
                           "is not shown",
                           ayil_strerror(rc));
  return 0;
}

int ayil__node_audit_begin(ayil_node_t *n) {
  int rc = ayil_store_audit_begin(n->store);
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "the audit could not be written (%s)",
                           ayil_strerror(rc));
  return 0;
}

int ayil__node_audit_end(ayil_node_t *n, int ok) {
  int rc;
  if (!ok) {
    ayil_store_audit_rollback(n->store);
    return 0;
  }
  rc = ayil_store_audit_commit(n->store);
  if (rc != 0) {
    ayil_store_audit_rollback(n->store);
    return ayil__node_fail(n, rc, 0,
                           "the audit could not be written (%s): the records "
                           "are not shown",
                           ayil_strerror(rc));
  }
  return 0;
}

typedef struct {
  ayil_node_audit_t *v;
  size_t n;
} audit_acc_t;

static int audit_one(void *ctx, int64_t at, const char *member,
                     const char *addr, const char *action,
                     const uint8_t *record) {
  audit_acc_t *a = ctx;
  ayil_node_audit_t *r = &a->v[a->n++];
  memset(r, 0, sizeof *r);
  r->at = at;
  snprintf(r->member, sizeof r->member, "%s", member != NULL ? member : "");
  snprintf(r->addr, sizeof r->addr, "%s", addr != NULL ? addr : "");
  snprintf(r->action, sizeof r->action, "%s", action != NULL ? action : "");
  if (record != NULL)
    ayil_recid_to_text(record, r->idtext);
  return 0;
}

int ayil_node_audit(ayil_node_t *n, size_t limit, ayil_node_audit_t **out,
                    size_t *count) {
  audit_acc_t a;
  int rc;
  *out = NULL;
  *count = 0;
  if (limit == 0)
    limit = 1;
  if (limit > 100000)
    limit = 100000;
  a.v = calloc(limit, sizeof *a.v);
  a.n = 0;
  if (a.v == NULL)
    return ayil__node_fail(n, AYIL_ENOMEM, 0, "out of memory");
  rc = ayil_store_audit_list(n->store, limit, audit_one, &a);
  if (rc != 0) {
    free(a.v);
    return ayil__node_fail(n, rc, 0, "store: %s", ayil_strerror(rc));
  }
  *out = a.v;
  *count = a.n;
  return 0;
}

/* The service API: opening a node, its errors and unlocking its reader
 * secret. See node.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ayil/error.h"
#include "i18n.h"
#include "node_int.h"
#include "registry.h"

/* The language of the node's error messages (ayil_node_set_lang). One per
 * process: ayil's programs have one thread, and the web app sets it for
 * each request before its calls. */
static const char *g_lang = "en";

void ayil_node_set_lang(ayil_node_t *n, const char *lang) {
  const char *l = ayil_lang_valid(lang);
  (void)n;
  g_lang = l != NULL ? l : "en";
}

const char *ayil__node_lang(void) {
  return g_lang;
}

const char *ayil__node_tr(const char *msgid) {
  if (strcmp(g_lang, "en") == 0)
    return msgid;
  return ayil_tr(g_lang, AYIL_DOMAIN_CLI, msgid);
}

/* The one place where node/'s messages are translated: the format, in the
 * catalogue of AYIL_DOMAIN_CLI, keeps its conversions (msgfmt --check). */
int ayil__node_err(ayil_node_err_t *err, int code, int input, const char *fmt,
                   ...) {
  va_list ap;
  err->code = code;
  err->input = input;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, ayil__node_tr(fmt), ap);
  va_end(ap);
  return code;
}

/* A committee records its hub's id in the store: only that hub's notices
 * make its lineage (ayil_store_change_ok()). */
static int store_hub(ayil_store_t *st, const ayil_config_t *conf) {
  uint8_t hub[AYIL_ID_BYTES];
  if (ayil_id_from_text(conf->hub_id, hub) != 0)
    return 0; /* a node that has not joined a hub (above it) yet */
  return ayil_store_set_hub(st, hub);
}

int ayil_node_open(ayil_node_t **out, const char *home, int flags,
                   ayil_node_err_t *err) {
  char cerr[512];
  char path[AYIL_PATH_MAX];
  ayil_node_t *n;
  int rc;
  memset(err, 0, sizeof *err);
  rc = ayil_home_check(home);
  if (rc == AYIL_ENOTFOUND)
    return ayil__node_err(
        err, rc, 1,
        "home directory %s does not exist (create a node with "
        "`ayil init`, or pass --home)",
        home);
  if (rc != 0)
    return ayil__node_err(err, rc, 1, "home directory %s: %s", home,
                          rc == AYIL_EPERM ? ayil__node_tr("permission denied")
                                           : ayil_strerror(rc));
  n = calloc(1, sizeof *n);
  if (n == NULL)
    return ayil__node_err(err, AYIL_ENOMEM, 0, "out of memory");
  if (strlen(home) >= sizeof n->home) {
    rc = ayil__node_err(err, AYIL_EINVAL, 1, "home path too long");
    goto fail;
  }
  snprintf(n->home, sizeof n->home, "%s", home);
  rc = ayil_config_load(home, &n->conf, cerr, sizeof cerr);
  if (rc != 0) {
    ayil__node_err(err, rc, rc == AYIL_ENOTFOUND, "%s", cerr);
    goto fail;
  }
  if (ayil_home_path(home, "ayil.db", path, sizeof path) != 0) {
    rc = ayil__node_err(err, AYIL_EINVAL, 1, "home path too long");
    goto fail;
  }
  if (ayil_store_wal_check(path) == AYIL_ECORRUPT) {
    ayil__node_err(err, AYIL_ECORRUPT, 0,
                   "store %s is damaged: its write-ahead log has a damaged "
                   "frame before sound ones, which SQLite would drop; "
                   "nothing was written (see ayil doctor)",
                   path);
    rc = AYIL_ECORRUPT;
    goto fail;
  }
  rc = ayil_store_open(&n->store, path, 0);
  if (rc == 0)
    rc = store_hub(n->store, &n->conf);
  if (rc == AYIL_ECORRUPT) {
    ayil__node_err(err, rc, 0,
                   "store %s is damaged: it fails SQLite's quick_check; "
                   "nothing was written (see ayil doctor)",
                   path);
    goto fail;
  }
  if (rc == AYIL_EFULL) {
    /* Opening writes only to upgrade the store's schema. */
    ayil__node_err(err, rc, 0,
                   "store %s: disk full; nothing in it was lost. Opening a "
                   "store writes to it only when a newer ayil converts it "
                   "(on its first run), which needs free disk about the "
                   "store's size: free space and run the command again",
                   path);
    goto fail;
  }
  if (rc != 0) {
    ayil__node_err(err, rc, 0, "store %s: %s", path, ayil_strerror(rc));
    goto fail;
  }
  if (flags & AYIL_NODE_IDENTITY) {
    if (ayil_home_path(home, "identity.key", path, sizeof path) != 0) {
      rc = ayil__node_err(err, AYIL_EINVAL, 1, "home path too long");
      goto fail;
    }
    rc = ayil_identity_load(path, &n->ident);
    if (rc != 0) {
      ayil__node_err(
          err, rc, 0, "identity key %s: %s%s", path, ayil_strerror(rc),
          rc == AYIL_EPERM ? ayil__node_tr(" (the file must be mode 0600)")
                           : "");
      goto fail;
    }
    n->ident_loaded = 1;
  }
  *out = n;
  return 0;
fail:
  ayil_node_close(n);
  return rc;
}

void ayil_node_close(ayil_node_t *n) {
  if (n == NULL)
    return;
  ayil_store_close(n->store);
  if (n->ident_loaded)
    ayil_identity_wipe(&n->ident);
  sodium_memzero(n, sizeof *n);
  free(n);
}

const ayil_node_err_t *ayil_node_error(const ayil_node_t *n) {
  return &n->err;
}

const char *ayil_node_errmsg(const ayil_node_t *n) {
  return n->err.msg;
}

const char *ayil_node_home(const ayil_node_t *n) {
  return n->home;
}

const ayil_config_t *ayil_node_config(const ayil_node_t *n) {
  return &n->conf;
}

int ayil_node_is_committee(const ayil_node_t *n) {
  return strcmp(n->conf.role, "committee") == 0;
}

const uint8_t *ayil_node_id(const ayil_node_t *n) {
  return n->ident_loaded ? n->ident.pk : NULL;
}

ayil_store_t *ayil_node_store(ayil_node_t *n) {
  return n->store;
}

const ayil_identity_t *ayil_node_identity(const ayil_node_t *n) {
  return n->ident_loaded ? &n->ident : NULL;
}

int ayil__node_path(ayil_node_t *n, const char *name, char *out, size_t cap) {
  if (ayil_home_path(n->home, name, out, cap) != 0)
    return ayil__node_fail(n, AYIL_EINVAL, 1, "home path too long");
  return 0;
}

int ayil__node_grow(void **arr, size_t *cap, size_t n, size_t size) {
  void *na;
  size_t nc;
  if (n < *cap)
    return 0;
  nc = *cap != 0 ? *cap * 2 : 8;
  na = realloc(*arr, nc * size);
  if (na == NULL)
    return AYIL_ENOMEM;
  *arr = na;
  *cap = nc;
  return 0;
}

void ayil__node_day(int64_t t, char out[16]) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(out, 16, "%Y-%m-%d", &tm);
}

int ayil__node_unlock(ayil_node_t *n, const ayil_node_unlock_t *u,
                      uint8_t sk[AYIL_READER_SK_BYTES]) {
  char path[AYIL_PATH_MAX];
  ayil_node_key_t key;
  int rc;
  if (ayil__node_path(n, "reader.key", path, sizeof path) != 0)
    return n->err.code;
  memset(&key, 0, sizeof key);
  rc = u->get(u->ctx, &key);
  if (rc != 0) {
    n->err.code = rc;
    n->err.input = 1;
    n->err.msg[0] = '\0';
    if (u->done != NULL)
      u->done(u->ctx, &key);
    return rc;
  }
  n->unlocked_role[0] = '\0';
  n->unlocked_member[0] = '\0';
  if (key.sk != NULL) {
    /* a secret a web session unwrapped before: it must be this node's */
    uint8_t pk[AYIL_READER_PK_BYTES], derived[AYIL_READER_PK_BYTES];
    rc = ayil_reader_pk(path, pk);
    if (rc == 0) {
      memcpy(sk, key.sk, AYIL_READER_SK_BYTES);
      if (crypto_scalarmult_base(derived, sk) != 0 ||
          sodium_memcmp(derived, pk, sizeof pk) != 0) {
        sodium_memzero(sk, AYIL_READER_SK_BYTES);
        rc = AYIL_EAUTH;
      }
    }
    if (rc != 0)
      ayil__node_fail(n, rc, 0, "the session's reader key is not this node's");
  } else if (key.kit != NULL) {
    snprintf(n->unlocked_role, sizeof n->unlocked_role, "chair");
    rc = ayil_reader_unlock_kit(path, key.kit, sk);
    if (rc == AYIL_EAUTH)
      ayil__node_fail(n, rc, 1, "recovery kit %s belongs to another committee",
                      key.kit);
    else if (rc != 0)
      ayil__node_fail(n, rc, 1, "recovery kit %s: %s", key.kit,
                      ayil_strerror(rc));
  } else {
    if (key.member != NULL) {
      snprintf(n->unlocked_member, sizeof n->unlocked_member, "%s", key.member);
      rc = ayil_reader_unlock_member(
          path, key.member, key.pass != NULL ? key.pass : "",
          key.pass != NULL ? key.passlen : 0, sk, n->unlocked_role);
    } else {
      rc = ayil_reader_unlock(path, key.pass != NULL ? key.pass : "",
                              key.pass != NULL ? key.passlen : 0, sk);
      if (rc == 0)
        snprintf(n->unlocked_role, sizeof n->unlocked_role, "chair");
    }
    if (rc == AYIL_EPASSPHRASE && key.member != NULL)
      ayil__node_fail(n, rc, 1, "wrong member name or password");
    else if (rc == AYIL_EPASSPHRASE)
      ayil__node_fail(n, rc, 1, "wrong passphrase");
    else if (rc == AYIL_ENOTFOUND)
      ayil__node_fail(n, rc, 0, "%s: no reader key on this node", path);
    else if (rc == AYIL_ETOOBIG)
      ayil__node_fail(n, rc, 0,
                      "reader key %s: kdf_ops or kdf_mem is above its cap "
                      "(kdf_ops <= %llu, kdf_mem <= %llu); the file may have "
                      "been tampered with: restore it with the recovery kit",
                      path, (unsigned long long)AYIL_KDF_OPS_MAX,
                      (unsigned long long)AYIL_KDF_MEM_MAX);
    else if (rc != 0)
      ayil__node_fail(n, rc, 0, "reader key %s: %s", path, ayil_strerror(rc));
  }
  if (u->done != NULL)
    u->done(u->ctx, &key);
  if (rc != 0)
    sodium_memzero(sk, AYIL_READER_SK_BYTES);
  return rc;
}

int ayil_node_log_verify(ayil_node_t *n, ayil_store_verify_t *out) {
  size_t i;
  int rc = ayil_store_verify(n->store, out);
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "log verify: cannot read the store: %s",
                           ayil_strerror(rc));
  /* A damaged body is an alert that `status` and `doctor` show until a
   * verify finds none (the body came back from the hub). */
  for (i = 0; i < out->ndamage; i++)
    (void)ayil_reg_alert_record(n->store, "body_damaged", NULL,
                                out->damage[i].origin, out->damage[i].seq,
                                out->damage[i].record, (uint64_t)time(NULL));
  if (out->bodies_damaged == 0 && !out->bad)
    (void)ayil_reg_alert_clear(n->store, "body_damaged", NULL, NULL);
  return 0;
}

int ayil_node_reindex(ayil_node_t *n) {
  int rc = ayil_store_reindex(n->store);
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "reindex: %s; the view is unchanged",
                           ayil_strerror(rc));
  return 0;
}

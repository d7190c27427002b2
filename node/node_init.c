/* The service API: creating a node, enrolling it at a hub, and changing
 * the passphrase. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "ayil/error.h"
#include "node_int.h"
#include "registry.h"
#include "webcert.h"

static const char *const INIT_FILES[] = {
    "ayil.conf", "identity.key", "reader.key", "network.key",
    "ayil.db",   "ayil.db-wal",  "ayil.db-shm"};

/* Removes what a failed create made, so that it can simply be run again. */
static void create_cleanup(const char *home, const char *kit, int kit_created) {
  size_t i;
  char path[AYIL_PATH_MAX];
  for (i = 0; i < sizeof INIT_FILES / sizeof INIT_FILES[0]; i++)
    if (ayil_home_path(home, INIT_FILES[i], path, sizeof path) == 0)
      unlink(path);
  if (kit_created && kit != NULL)
    unlink(kit);
}

/* Only a path too long for the home is the caller's input. */
#define err_set(err, code, ...)                                                \
  ayil__node_err(err, code, (code) == AYIL_EINVAL, __VA_ARGS__)

/* Writes the invite's network key and token, and sets conf's hub. */
static int enroll(const char *home, ayil_store_t *st, ayil_config_t *conf,
                  const ayil_invite_t *inv) {
  char path[AYIL_PATH_MAX];
  int rc;
  /* A hub keeps its own network key; the one of the hub above is apart. */
  if (ayil_home_path(
          home, strcmp(conf->role, "hub") == 0 ? "uplink.key" : "network.key",
          path, sizeof path) != 0)
    return AYIL_EINVAL;
  rc = ayil_netkey_write(path, inv->netkey);
  if (rc != 0)
    return rc;
  /* ayild presents the token on its first connection and deletes it once
   * the hub admitted this node. */
  rc = ayil_reg_token_set(st, inv->token);
  if (rc == 0)
    rc = ayil_store_set_hub(st, inv->hub_id); /* only its notices count */
  if (rc != 0)
    return rc;
  snprintf(conf->hub_addr, sizeof conf->hub_addr, "%s", inv->addr);
  ayil_id_to_text(inv->hub_id, conf->hub_id);
  if (strcmp(conf->role, "hub") == 0) {
    /* The regional hub's oblast, as the hub above registered it. */
    snprintf(conf->oblast, sizeof conf->oblast, "%s", inv->oblast);
    rc = ayil_store_meta_set(st, "oblast", inv->oblast);
  }
  return rc;
}

int ayil_node_kit_place(const char *home, const char *kit, int *same_disk) {
  char dir[AYIL_PATH_MAX], rdir[PATH_MAX], rhome[PATH_MAX];
  struct stat sd, sh;
  const char *slash = strrchr(kit, '/');
  size_t hl;
  *same_disk = 0;
  if (slash == NULL)
    snprintf(dir, sizeof dir, ".");
  else if (slash == kit)
    snprintf(dir, sizeof dir, "/");
  else
    snprintf(dir, sizeof dir, "%.*s", (int)(slash - kit), kit);
  if (realpath(dir, rdir) == NULL || stat(rdir, &sd) != 0)
    return AYIL_ENOTFOUND;
  if (realpath(home, rhome) == NULL || stat(rhome, &sh) != 0)
    return AYIL_ENOTFOUND;
  hl = strlen(rhome);
  if (strcmp(rdir, rhome) == 0 ||
      (strncmp(rdir, rhome, hl) == 0 && rdir[hl] == '/'))
    return AYIL_EINVAL;
  *same_disk = sd.st_dev == sh.st_dev;
  return 0;
}

int ayil_node_create(const char *home, const ayil_node_create_t *a,
                     char idtext[AYIL_ID_TEXT], ayil_node_err_t *err) {
  char path[AYIL_PATH_MAX];
  ayil_identity_t ident;
  ayil_config_t conf = *a->conf;
  ayil_store_t *st = NULL;
  int committee = strcmp(conf.role, "committee") == 0;
  int kit_created = 0;
  int rc;
  memset(err, 0, sizeof *err);
  if (committee && !a->restore) {
    int same = 0;
    rc = ayil_node_kit_place(home, a->kit, &same);
    if (rc == AYIL_EINVAL) {
      err_set(err, rc,
              "init: the recovery kit must not be written into the node's "
              "home: name a file on removable media (a USB stick)");
      return rc;
    }
    if (rc != 0) {
      err_set(err, rc, "init: the recovery kit's directory does not exist");
      return rc;
    }
  }
  rc = ayil_home_path(home, "identity.key", path, sizeof path);
  if (rc == 0)
    rc = ayil_identity_create(path, &ident);
  if (rc != 0) {
    err_set(err, rc, "init: identity key: %s", ayil_strerror(rc));
    goto fail;
  }
  ayil_id_to_text(ident.pk, idtext);
  ayil_identity_wipe(&ident);
  if (committee) {
    ayil_home_path(home, "reader.key", path, sizeof path);
    if (a->restore)
      rc = ayil_reader_restore(path, a->kit, a->pass, a->passlen);
    else
      rc = ayil_reader_create(path, a->kit, a->pass, a->passlen, conf.name);
    if (rc != 0) {
      err_set(err, rc, "init: %s %s: %s",
              a->restore ? "recovery kit" : "reader key",
              a->restore ? a->kit : path, ayil_strerror(rc));
      goto fail;
    }
    kit_created = !a->restore;
  } else {
    uint8_t nk[AYIL_NETKEY_BYTES];
    ayil_home_path(home, "network.key", path, sizeof path);
    rc = ayil_netkey_create(path, nk);
    sodium_memzero(nk, sizeof nk);
    if (rc != 0) {
      err_set(err, rc, "init: network key: %s", ayil_strerror(rc));
      goto fail;
    }
  }
  ayil_home_path(home, "ayil.db", path, sizeof path);
  rc = ayil_store_open(&st, path, AYIL_STORE_CREATE);
  if (rc == 0)
    rc = ayil_store_meta_set(st, "role", conf.role);
  if (rc == 0)
    rc = ayil_store_meta_set(st, "node_id", idtext);
  if (rc == 0 && a->invite != NULL)
    rc = enroll(home, st, &conf, a->invite);
  ayil_store_close(st);
  if (rc != 0) {
    err_set(err, rc, "init: store %s: %s", path, ayil_strerror(rc));
    goto fail;
  }
  rc = ayil_config_save(home, &conf);
  if (rc != 0) {
    err_set(err, rc, "init: config: %s", ayil_strerror(rc));
    goto fail;
  }
  /* Last, and not needed by the rest: a node whose certificate could not
   * be made is still a node (`ayil web cert` makes it later). */
  {
    char fpr[AYIL_NODE_FPR_TEXT];
    if (ayil_webcert_create(home, &conf, 0, fpr) != 0)
      fpr[0] = '\0';
    if (a->web_fpr != NULL)
      memcpy(a->web_fpr, fpr, sizeof fpr);
  }
  return 0;
fail:
  create_cleanup(home, a->kit, kit_created);
  return rc;
}

int ayil_node_rehome(ayil_node_t *n, const ayil_invite_t *inv) {
  char path[AYIL_PATH_MAX], keep[AYIL_PATH_MAX];
  ayil_config_t conf = n->conf;
  const char *key =
      strcmp(conf.role, "hub") == 0 ? "uplink.key" : "network.key";
  int rc;
  /* The old key stays aside until the new one and the config are written. */
  if (ayil_home_path(n->home, key, path, sizeof path) != 0 ||
      snprintf(keep, sizeof keep, "%s.old", path) >= (int)sizeof keep)
    return ayil__node_fail(n, AYIL_EINVAL, 0, "join --rehome: path too long");
  if (rename(path, keep) != 0)
    return ayil__node_fail(n, AYIL_EIO, 0, "join --rehome: %s: %s", path,
                           strerror(errno));
  rc = enroll(n->home, n->store, &conf, inv);
  /* A committee that moved region is in the new hub's oblast now. */
  if (rc == 0 && inv->oblast[0] != '\0')
    snprintf(conf.oblast, sizeof conf.oblast, "%s", inv->oblast);
  if (rc == 0)
    rc = ayil_config_save(n->home, &conf);
  if (rc != 0) {
    rename(keep, path);
    if (n->conf.hub_id[0] != '\0') {
      uint8_t old[AYIL_ID_BYTES];
      if (ayil_id_from_text(n->conf.hub_id, old) == 0)
        ayil_store_set_hub(n->store, old);
    }
    ayil_reg_token_set(n->store, NULL);
    return ayil__node_fail(n, rc, 0, "join --rehome: %s", ayil_strerror(rc));
  }
  unlink(keep);
  n->conf = conf;
  return 0;
}

int ayil_node_join(ayil_node_t *n, const ayil_invite_t *inv) {
  char path[AYIL_PATH_MAX];
  ayil_config_t conf = n->conf;
  int rc = enroll(n->home, n->store, &conf, inv);
  if (rc == 0)
    rc = ayil_config_save(n->home, &conf);
  if (rc != 0) {
    /* Leave the node as it was: no hub, no key, no token. */
    if (ayil_home_path(n->home,
                       strcmp(conf.role, "hub") == 0 ? "uplink.key"
                                                     : "network.key",
                       path, sizeof path) == 0)
      unlink(path);
    ayil_reg_token_set(n->store, NULL);
    return ayil__node_fail(n, rc, 0, "join: %s", ayil_strerror(rc));
  }
  n->conf = conf;
  return 0;
}

/* Unlocks the reader secret through `old`, gets the new passphrase, and
 * re-wraps the same secret (passwd, kit NULL) or makes a new reader key and
 * kit (rekey). */
static int new_reader_pass(ayil_node_t *n, const ayil_node_unlock_t *old,
                           const ayil_node_unlock_t *new_pass,
                           const char *kit) {
  uint8_t sk[AYIL_READER_SK_BYTES];
  char path[AYIL_PATH_MAX];
  ayil_node_key_t key;
  const char *cmd = kit != NULL ? "rekey" : "passwd";
  int rc = ayil__node_unlock(n, old, sk);
  if (rc != 0)
    return rc;
  /* The first chair's slot (passwd) and a new reader key (rekey) are a
   * chair's to set, not any member's. */
  if (strcmp(n->unlocked_role, "member") == 0) {
    sodium_memzero(sk, sizeof sk);
    return ayil__node_fail(n, AYIL_EPERM, 1,
                           "%s: only a chair (or the recovery kit) can do "
                           "this; a member changes their own password with "
                           "ayil member passwd",
                           cmd);
  }
  memset(&key, 0, sizeof key);
  rc = new_pass->get(new_pass->ctx, &key);
  if (rc != 0) {
    n->err.code = rc;
    n->err.input = 1;
    n->err.msg[0] = '\0';
  } else {
    ayil_home_path(n->home, "reader.key", path, sizeof path);
    /* after a rekey the new slot is the rekeying chair's */
    rc = kit != NULL
             ? ayil_reader_rekey(
                   path, kit, sk, key.pass, key.passlen, n->conf.name,
                   n->unlocked_member[0] != '\0' ? n->unlocked_member : NULL)
             : ayil_reader_rewrap(path, sk, key.pass, key.passlen);
    if (rc != 0)
      ayil__node_fail(n, rc, rc == AYIL_EINVAL, "%s: %s: %s", cmd, path,
                      rc == AYIL_ETOOBIG ? "too many retired keys (16)"
                                         : ayil_strerror(rc));
  }
  if (new_pass->done != NULL)
    new_pass->done(new_pass->ctx, &key);
  sodium_memzero(sk, sizeof sk);
  return rc;
}

int ayil_node_rekey(ayil_node_t *n, const ayil_node_unlock_t *old,
                    const ayil_node_unlock_t *new_pass, const char *kit) {
  int rc, same = 0;
  if (!ayil_node_is_committee(n))
    return ayil__node_fail(n, AYIL_ESTATE, 1, "rekey: a hub has no reader key");
  rc = ayil_node_kit_place(n->home, kit, &same);
  if (rc == AYIL_EINVAL)
    return ayil__node_fail(n, rc, 1,
                           "rekey: the new kit must not be inside the node's "
                           "home: name a file on removable media");
  if (rc != 0)
    return ayil__node_fail(n, rc, 1,
                           "rekey: the new kit's directory does not exist");
  if (access(kit, F_OK) == 0)
    return ayil__node_fail(n, AYIL_EEXISTS, 1,
                           "rekey: %s already exists; name a new file for the "
                           "new kit",
                           kit);
  return new_reader_pass(n, old, new_pass, kit);
}

int ayil_node_passwd(ayil_node_t *n, const ayil_node_unlock_t *old,
                     const ayil_node_unlock_t *new_pass) {
  if (!ayil_node_is_committee(n))
    return ayil__node_fail(n, AYIL_ESTATE, 1,
                           "passwd: a hub has no passphrase");
  return new_reader_pass(n, old, new_pass, NULL);
}

/* ---- the web app's certificate ---- */

int ayil_node_web_cert(ayil_node_t *n, int force,
                       char fpr[AYIL_NODE_FPR_TEXT]) {
  int rc = ayil_webcert_create(n->home, &n->conf, force, fpr);
  if (rc == AYIL_EEXISTS)
    return ayil__node_fail(n, rc, 1,
                           "web cert: the certificate (%s) or its key (%s) "
                           "exists already; --force makes a new one, and "
                           "members then check a new fingerprint",
                           n->conf.web_cert, n->conf.web_key);
  if (rc == AYIL_EINVAL)
    return ayil__node_fail(n, rc, 1,
                           "web cert: [web] listen must be HOST:PORT and "
                           "[web] cert and key two different files");
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "web cert: %s or %s: %s", n->conf.web_cert,
                           n->conf.web_key, ayil_strerror(rc));
  return 0;
}

int ayil_node_web_cert_install(ayil_node_t *n, const char *cert_file,
                               const char *key_file,
                               char fpr[AYIL_NODE_FPR_TEXT]) {
  int rc = ayil_webcert_install(n->home, &n->conf, cert_file, key_file, fpr);
  if (rc == AYIL_EFORMAT)
    return ayil__node_fail(n, rc, 1,
                           "web cert: %s must be a PEM certificate and %s its "
                           "PEM private key",
                           cert_file, key_file);
  if (rc == AYIL_EINVAL)
    return ayil__node_fail(n, rc, 1,
                           "web cert: the key %s does not belong to the "
                           "certificate %s",
                           key_file, cert_file);
  if (rc == AYIL_ENOTFOUND || rc == AYIL_EPERM || rc == AYIL_ETOOBIG)
    return ayil__node_fail(n, rc, 1, "web cert: %s or %s: %s", cert_file,
                           key_file, ayil_strerror(rc));
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "web cert: %s or %s: %s", n->conf.web_cert,
                           n->conf.web_key, ayil_strerror(rc));
  return 0;
}

int ayil_node_web_fingerprint(ayil_node_t *n, char fpr[AYIL_NODE_FPR_TEXT]) {
  int rc = ayil_webcert_fingerprint(n->home, &n->conf, fpr);
  if (rc == AYIL_ENOTFOUND)
    return ayil__node_fail(n, rc, 0,
                           "web cert: no certificate at %s yet: make it with "
                           "`ayil web cert`",
                           n->conf.web_cert);
  if (rc == AYIL_EFORMAT)
    return ayil__node_fail(n, rc, 0, "web cert: %s is not a PEM certificate",
                           n->conf.web_cert);
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "web cert: %s: %s", n->conf.web_cert,
                           ayil_strerror(rc));
  return 0;
}

int ayil_node_web(ayil_node_t *n, ayil_node_web_t *out) {
  char hosts[AYIL_WEBCERT_HOSTS_MAX][AYIL_WEBCERT_HOST_TEXT], port[8];
  size_t i, nh = 0;
  int rc;
  memset(out, 0, sizeof *out);
  out->tls = n->conf.web_tls;
  snprintf(out->listen, sizeof out->listen, "%s", n->conf.web_listen);
  rc = ayil_webcert_hosts(n->conf.web_listen, hosts, &nh, port);
  if (rc != 0)
    return ayil__node_fail(n, rc, 1, "[web] listen must be HOST:PORT");
  for (i = 0; i < nh; i++)
    snprintf(out->urls[i], sizeof out->urls[i],
             strchr(hosts[i], ':') != NULL ? "%s://[%s]:%s/" : "%s://%s:%s/",
             out->tls ? "https" : "http", hosts[i], port);
  out->nurls = nh;
  out->fpr_rc = out->tls ? ayil_webcert_fingerprint(n->home, &n->conf, out->fpr)
                         : AYIL_ENOTFOUND;
  if (out->fpr_rc != 0)
    out->fpr[0] = '\0';
  return 0;
}

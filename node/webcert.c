/*
 * The web app's certificate: see webcert.h.
 *
 * GnuTLS is used here, and only here in node/, because libsodium has no
 * X.509 and the web app's TLS stack (libmicrohttpd) is GnuTLS anyway; the
 * rest of ayil's crypto stays libsodium's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>

#include "ayil/error.h"
#include "fsutil.h"
#include "webcert.h"

/* A certificate or key file is small; a chain of a few certificates too. */
#define PEM_MAX (256 * 1024)
#define VALID_DAYS 3650L

int ayil_webcert_path(const char *home, const char *name, char *out,
                      size_t cap) {
  int n;
  if (name[0] == '\0')
    return AYIL_EINVAL;
  if (name[0] == '/')
    n = snprintf(out, cap, "%s", name);
  else
    n = snprintf(out, cap, "%s/%s", home, name);
  return n < 0 || (size_t)n >= cap ? AYIL_EINVAL : 0;
}

static int gtls_rc(int grc) {
  return grc == GNUTLS_E_MEMORY_ERROR ? AYIL_ENOMEM : AYIL_EIO;
}

static void fpr_text(const uint8_t *der, size_t len,
                     char out[AYIL_WEBCERT_FPR_TEXT]) {
  uint8_t h[crypto_hash_sha256_BYTES];
  size_t i;
  crypto_hash_sha256(h, der, len);
  for (i = 0; i < sizeof h; i++)
    snprintf(out + 3 * i, 4, i + 1 < sizeof h ? "%02X:" : "%02X", h[i]);
}

static int crt_fpr(gnutls_x509_crt_t crt, char fpr[AYIL_WEBCERT_FPR_TEXT]) {
  gnutls_datum_t der = {NULL, 0};
  int grc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der);
  if (grc < 0)
    return gtls_rc(grc);
  fpr_text(der.data, der.size, fpr);
  gnutls_free(der.data);
  return 0;
}

/* Adds `h` unless it is there already. */
static void host_add(char hosts[][AYIL_WEBCERT_HOST_TEXT], size_t *n,
                     const char *h) {
  size_t i;
  if (*n >= AYIL_WEBCERT_HOSTS_MAX || strlen(h) >= AYIL_WEBCERT_HOST_TEXT)
    return;
  for (i = 0; i < *n; i++)
    if (strcmp(hosts[i], h) == 0)
      return;
  snprintf(hosts[(*n)++], AYIL_WEBCERT_HOST_TEXT, "%s", h);
}

/* The machine's addresses of `family`, loopback and IPv6 link-local left
 * out. */
static void ifaddrs_add(const struct ifaddrs *ifs, int family,
                        char hosts[][AYIL_WEBCERT_HOST_TEXT], size_t *n) {
  const struct ifaddrs *i;
  char text[INET6_ADDRSTRLEN];
  for (i = ifs; i != NULL; i = i->ifa_next) {
    if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family)
      continue;
    if (family == AF_INET) {
      const struct in_addr *a =
          &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
      if ((ntohl(a->s_addr) >> 24) == 127 ||
          inet_ntop(AF_INET, a, text, sizeof text) == NULL)
        continue;
    } else {
      const struct in6_addr *a =
          &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;
      if (IN6_IS_ADDR_LOOPBACK(a) || IN6_IS_ADDR_LINKLOCAL(a) ||
          inet_ntop(AF_INET6, a, text, sizeof text) == NULL)
        continue;
    }
    host_add(hosts, n, text);
  }
}

int ayil_webcert_hosts(
    const char *listen,
    char hosts[AYIL_WEBCERT_HOSTS_MAX][AYIL_WEBCERT_HOST_TEXT], size_t *count,
    char port[8]) {
  char host[128];
  unsigned p;
  *count = 0;
  if (ayil_hostport_split(listen, host, sizeof host, &p) != 0)
    return AYIL_EINVAL;
  snprintf(port, 8, "%u", p);
  if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0) {
    struct ifaddrs *ifs = NULL;
    char hn[AYIL_WEBCERT_HOST_TEXT];
    if (getifaddrs(&ifs) == 0) {
      ifaddrs_add(ifs, AF_INET, hosts, count);
      ifaddrs_add(ifs, AF_INET6, hosts, count);
      freeifaddrs(ifs);
    }
    host_add(hosts, count, "127.0.0.1");
    if (gethostname(hn, sizeof hn) == 0) {
      hn[sizeof hn - 1] = '\0';
      if (hn[0] != '\0')
        host_add(hosts, count, hn);
    }
  } else {
    host_add(hosts, count, host);
  }
  return 0;
}

/* subjectAltName: an IP address entry for what parses as one, else a DNS
 * name. */
static int add_sans(gnutls_x509_crt_t crt, const char *listen) {
  char hosts[AYIL_WEBCERT_HOSTS_MAX][AYIL_WEBCERT_HOST_TEXT], port[8];
  size_t i, n = 0;
  int rc = ayil_webcert_hosts(listen, hosts, &n, port);
  if (rc != 0)
    return rc;
  for (i = 0; i < n; i++) {
    uint8_t a[16];
    int grc;
    if (inet_pton(AF_INET, hosts[i], a) == 1)
      grc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, a,
                                                 4, GNUTLS_FSAN_APPEND);
    else if (inet_pton(AF_INET6, hosts[i], a) == 1)
      grc = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, a,
                                                 16, GNUTLS_FSAN_APPEND);
    else
      grc = gnutls_x509_crt_set_subject_alt_name(
          crt, GNUTLS_SAN_DNSNAME, hosts[i], (unsigned)strlen(hosts[i]),
          GNUTLS_FSAN_APPEND);
    if (grc < 0)
      return gtls_rc(grc);
  }
  return 0;
}

/* Writes the key first (private), then the certificate others may read,
 * each atomically. */
static int write_pair(const char *kpath, const void *key, size_t klen,
                      const char *cpath, const void *crt, size_t clen) {
  int rc = ayil_fs_write_atomic(kpath, key, klen, 0600);
  if (rc == 0)
    rc = ayil_fs_write_atomic(cpath, crt, clen, 0644);
  return rc;
}

static int make_crt(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key,
                    const ayil_config_t *c) {
  uint8_t serial[16];
  time_t now = time(NULL);
  const char *cn = c->name[0] != '\0' ? c->name : "ayil";
  int grc;
  randombytes_buf(serial, sizeof serial);
  serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x01); /* positive, 16 bytes */
  grc = gnutls_x509_crt_set_version(crt, 3);
  if (grc >= 0)
    grc = gnutls_x509_crt_set_serial(crt, serial, sizeof serial);
  /* A day back: a Pi without a real-time clock may run a little behind. */
  if (grc >= 0)
    grc = gnutls_x509_crt_set_activation_time(crt, now - 86400);
  if (grc >= 0)
    grc = gnutls_x509_crt_set_expiration_time(crt, now + VALID_DAYS * 86400);
  if (grc >= 0)
    grc = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                        (unsigned)strlen(cn));
  if (grc >= 0)
    grc = gnutls_x509_crt_set_key(crt, key);
  if (grc >= 0)
    grc = gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
  if (grc >= 0)
    grc = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
  if (grc >= 0)
    grc = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
  if (grc >= 0) {
    uint8_t kid[64];
    size_t klen = sizeof kid;
    grc = gnutls_x509_crt_get_key_id(crt, 0, kid, &klen);
    if (grc >= 0)
      grc = gnutls_x509_crt_set_subject_key_id(crt, kid, klen);
  }
  return grc < 0 ? gtls_rc(grc) : 0;
}

int ayil_webcert_create(const char *home, const ayil_config_t *c, int force,
                        char fpr[AYIL_WEBCERT_FPR_TEXT]) {
  char cpath[AYIL_PATH_MAX], kpath[AYIL_PATH_MAX];
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t kpem = {NULL, 0}, cpem = {NULL, 0};
  struct stat st;
  int grc, rc;
  if (ayil_webcert_path(home, c->web_cert, cpath, sizeof cpath) != 0 ||
      ayil_webcert_path(home, c->web_key, kpath, sizeof kpath) != 0 ||
      strcmp(cpath, kpath) == 0)
    return AYIL_EINVAL;
  if (!force && (stat(cpath, &st) == 0 || stat(kpath, &st) == 0))
    return AYIL_EEXISTS;
  grc = gnutls_x509_privkey_init(&key);
  if (grc >= 0)
    grc = gnutls_x509_privkey_generate(
        key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
        0);
  if (grc >= 0)
    grc = gnutls_x509_crt_init(&crt);
  if (grc < 0) {
    rc = gtls_rc(grc);
    goto fail;
  }
  rc = make_crt(crt, key, c);
  if (rc == 0)
    rc = add_sans(crt, c->web_listen);
  if (rc != 0)
    goto fail;
  grc = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
  if (grc >= 0)
    grc = gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kpem);
  if (grc >= 0)
    grc = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem);
  if (grc < 0) {
    rc = gtls_rc(grc);
    goto fail;
  }
  rc = write_pair(kpath, kpem.data, kpem.size, cpath, cpem.data, cpem.size);
  if (rc == 0)
    rc = crt_fpr(crt, fpr);
fail:
  if (kpem.data != NULL) {
    sodium_memzero(kpem.data, kpem.size);
    gnutls_free(kpem.data);
  }
  gnutls_free(cpem.data);
  if (crt != NULL)
    gnutls_x509_crt_deinit(crt);
  if (key != NULL)
    gnutls_x509_privkey_deinit(key); /* GnuTLS wipes the key's numbers */
  return rc;
}

/* The first certificate of a PEM file's bytes. */
static int crt_import(gnutls_x509_crt_t crt, const uint8_t *pem, size_t len) {
  gnutls_datum_t in;
  in.data = (unsigned char *)(uintptr_t)pem;
  in.size = (unsigned)len;
  return gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_PEM) < 0
             ? AYIL_EFORMAT
             : 0;
}

int ayil_webcert_fingerprint(const char *home, const ayil_config_t *c,
                             char fpr[AYIL_WEBCERT_FPR_TEXT]) {
  char path[AYIL_PATH_MAX];
  uint8_t *pem = NULL;
  size_t len = 0;
  gnutls_x509_crt_t crt = NULL;
  int rc;
  if (ayil_webcert_path(home, c->web_cert, path, sizeof path) != 0)
    return AYIL_EINVAL;
  rc = ayil_fs_read(path, PEM_MAX, &pem, &len);
  if (rc != 0)
    return rc;
  if (gnutls_x509_crt_init(&crt) < 0) {
    free(pem);
    return AYIL_ENOMEM;
  }
  rc = crt_import(crt, pem, len);
  if (rc == 0)
    rc = crt_fpr(crt, fpr);
  gnutls_x509_crt_deinit(crt);
  free(pem);
  return rc;
}

/* Whether `key` (PEM bytes) is the private key of `crt`: the same public
 * key id. */
static int key_matches(gnutls_x509_crt_t crt, const uint8_t *kpem,
                       size_t klen) {
  gnutls_x509_privkey_t key = NULL;
  gnutls_datum_t in;
  uint8_t a[64], b[64];
  size_t alen = sizeof a, blen = sizeof b;
  int rc = AYIL_EFORMAT;
  in.data = (unsigned char *)(uintptr_t)kpem;
  in.size = (unsigned)klen;
  if (gnutls_x509_privkey_init(&key) < 0)
    return AYIL_ENOMEM;
  if (gnutls_x509_privkey_import(key, &in, GNUTLS_X509_FMT_PEM) < 0)
    goto out;
  if (gnutls_x509_privkey_get_key_id(key, 0, a, &alen) < 0 ||
      gnutls_x509_crt_get_key_id(crt, 0, b, &blen) < 0)
    goto out;
  rc = alen == blen && memcmp(a, b, alen) == 0 ? 0 : AYIL_EINVAL;
out:
  gnutls_x509_privkey_deinit(key);
  return rc;
}

int ayil_webcert_install(const char *home, const ayil_config_t *c,
                         const char *cert_file, const char *key_file,
                         char fpr[AYIL_WEBCERT_FPR_TEXT]) {
  char cpath[AYIL_PATH_MAX], kpath[AYIL_PATH_MAX];
  uint8_t *cpem = NULL, *kpem = NULL;
  size_t clen = 0, klen = 0;
  gnutls_x509_crt_t crt = NULL;
  int rc;
  if (ayil_webcert_path(home, c->web_cert, cpath, sizeof cpath) != 0 ||
      ayil_webcert_path(home, c->web_key, kpath, sizeof kpath) != 0 ||
      strcmp(cpath, kpath) == 0)
    return AYIL_EINVAL;
  rc = ayil_fs_read(cert_file, PEM_MAX, &cpem, &clen);
  if (rc == 0)
    rc = ayil_fs_read(key_file, PEM_MAX, &kpem, &klen);
  if (rc != 0)
    goto out;
  if (gnutls_x509_crt_init(&crt) < 0) {
    rc = AYIL_ENOMEM;
    goto out;
  }
  rc = crt_import(crt, cpem, clen);
  if (rc == 0)
    rc = key_matches(crt, kpem, klen);
  if (rc == 0)
    rc = crt_fpr(crt, fpr);
  if (rc == 0)
    rc = write_pair(kpath, kpem, klen, cpath, cpem, clen);
out:
  if (crt != NULL)
    gnutls_x509_crt_deinit(crt);
  if (kpem != NULL) {
    sodium_memzero(kpem, klen);
    free(kpem);
  }
  free(cpem);
  return rc;
}

/* The web app's self-signed certificate: see webcert.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <sodium.h>

#include "ayil/error.h"
#include "fsutil.h"
#include "webcert.h"

int ayil_webcert_path(const char *home, const char *name, char *out,
                      size_t cap) {
  int n;
  if (name[0] == '/')
    n = snprintf(out, cap, "%s", name);
  else
    n = snprintf(out, cap, "%s/%s", home, name);
  return n < 0 || (size_t)n >= cap ? AYIL_EINVAL : 0;
}

static void fpr_text(const uint8_t *der, size_t len,
                     char out[AYIL_WEBCERT_FPR_TEXT]) {
  uint8_t h[crypto_hash_sha256_BYTES];
  size_t i;
  crypto_hash_sha256(h, der, len);
  for (i = 0; i < sizeof h; i++)
    snprintf(out + 3 * i, 4, i + 1 < sizeof h ? "%02X:" : "%02X", h[i]);
}

/* The addresses the certificate names: the listen address, or every
 * address of the machine when it listens on all; and loopback. */
static int add_sans(gnutls_x509_crt_t crt, const char *listen) {
  char host[128];
  const char *colon = strrchr(listen, ':');
  struct in_addr a4;
  struct in6_addr a6;
  char hn[256];
  int all = 0;
  size_t hl = colon != NULL ? (size_t)(colon - listen) : 0;
  if (colon == NULL || hl >= sizeof host)
    return AYIL_EINVAL;
  memcpy(host, listen, hl);
  host[hl] = '\0';
  if (host[0] == '[' && hl > 2) {
    memmove(host, host + 1, hl - 2);
    host[hl - 2] = '\0';
  }
  a4.s_addr = htonl(INADDR_LOOPBACK);
  gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, &a4, 4,
                                       GNUTLS_FSAN_APPEND);
  gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                       GNUTLS_FSAN_APPEND);
  if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)
    all = 1;
  else if (inet_pton(AF_INET, host, &a4) == 1) {
    if (ntohl(a4.s_addr) != INADDR_LOOPBACK)
      gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, &a4, 4,
                                           GNUTLS_FSAN_APPEND);
  } else if (inet_pton(AF_INET6, host, &a6) == 1)
    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, &a6, 16,
                                         GNUTLS_FSAN_APPEND);
  if (all) {
    struct ifaddrs *ifs = NULL, *i;
    if (getifaddrs(&ifs) == 0) {
      for (i = ifs; i != NULL; i = i->ifa_next) {
        if (i->ifa_addr == NULL)
          continue;
        if (i->ifa_addr->sa_family == AF_INET) {
          const struct in_addr *x =
              &((const struct sockaddr_in *)i->ifa_addr)->sin_addr;
          if (ntohl(x->s_addr) != INADDR_LOOPBACK)
            gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, x,
                                                 4, GNUTLS_FSAN_APPEND);
        } else if (i->ifa_addr->sa_family == AF_INET6) {
          const struct in6_addr *x =
              &((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
          if (!IN6_IS_ADDR_LOOPBACK(x) && !IN6_IS_ADDR_LINKLOCAL(x))
            gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, x,
                                                 16, GNUTLS_FSAN_APPEND);
        }
      }
      freeifaddrs(ifs);
    }
    if (gethostname(hn, sizeof hn) == 0 && hn[0] != '\0') {
      hn[sizeof hn - 1] = '\0';
      gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, hn,
                                           (unsigned)strlen(hn),
                                           GNUTLS_FSAN_APPEND);
    }
  }
  return 0;
}

int ayil_webcert_create(const char *home, const ayil_config_t *c, int force,
                        char fpr[AYIL_WEBCERT_FPR_TEXT]) {
  char cpath[AYIL_PATH_MAX], kpath[AYIL_PATH_MAX];
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  gnutls_datum_t kpem = {NULL, 0}, cpem = {NULL, 0}, der = {NULL, 0};
  uint8_t serial[16];
  struct stat st;
  time_t now = time(NULL);
  const char *cn = c->name[0] != '\0' ? c->name : "ayil";
  int rc = 0;
  if (ayil_webcert_path(home, c->web_cert, cpath, sizeof cpath) != 0 ||
      ayil_webcert_path(home, c->web_key, kpath, sizeof kpath) != 0)
    return AYIL_EINVAL;
  if (!force && (stat(cpath, &st) == 0 || stat(kpath, &st) == 0))
    return AYIL_EEXISTS;
  randombytes_buf(serial, sizeof serial);
  serial[0] &= 0x7f; /* a positive serial number */
  if (gnutls_x509_privkey_init(&key) < 0 ||
      gnutls_x509_privkey_generate(
          key, GNUTLS_PK_ECDSA,
          GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
      gnutls_x509_crt_init(&crt) < 0 || gnutls_x509_crt_set_version(crt, 3) ||
      gnutls_x509_crt_set_serial(crt, serial, sizeof serial) < 0 ||
      gnutls_x509_crt_set_activation_time(crt, now - 86400) < 0 ||
      gnutls_x509_crt_set_expiration_time(crt, now + 3650L * 86400) < 0 ||
      gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                    (unsigned)strlen(cn)) < 0 ||
      gnutls_x509_crt_set_key(crt, key) < 0 ||
      gnutls_x509_crt_set_basic_constraints(crt, 0, -1) < 0 ||
      gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
      gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0) <
          0) {
    rc = AYIL_ENOMEM;
    goto out;
  }
  rc = add_sans(crt, c->web_listen);
  if (rc != 0)
    goto out;
  if (gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0 ||
      gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kpem) < 0 ||
      gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem) < 0 ||
      gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0) {
    rc = AYIL_ENOMEM;
    goto out;
  }
  /* the key first, private; then the certificate others may read */
  rc = ayil_fs_write_atomic(kpath, kpem.data, kpem.size, 0600);
  if (rc == 0)
    rc = ayil_fs_write_atomic(cpath, cpem.data, cpem.size, 0644);
  if (rc == 0)
    fpr_text(der.data, der.size, fpr);
out:
  if (kpem.data != NULL) {
    sodium_memzero(kpem.data, kpem.size);
    gnutls_free(kpem.data);
  }
  gnutls_free(cpem.data);
  gnutls_free(der.data);
  if (crt != NULL)
    gnutls_x509_crt_deinit(crt);
  if (key != NULL)
    gnutls_x509_privkey_deinit(key);
  return rc;
}

int ayil_webcert_fingerprint(const char *home, const ayil_config_t *c,
                             char fpr[AYIL_WEBCERT_FPR_TEXT]) {
  char path[AYIL_PATH_MAX];
  uint8_t *pem = NULL;
  size_t len = 0;
  gnutls_datum_t in, der = {NULL, 0};
  int rc;
  if (ayil_webcert_path(home, c->web_cert, path, sizeof path) != 0)
    return AYIL_EINVAL;
  rc = ayil_fs_read(path, 65536, &pem, &len);
  if (rc != 0)
    return rc;
  in.data = pem;
  in.size = (unsigned)len;
  if (gnutls_pem_base64_decode2("CERTIFICATE", &in, &der) < 0)
    rc = AYIL_EFORMAT;
  else
    fpr_text(der.data, der.size, fpr);
  gnutls_free(der.data);
  free(pem);
  return rc;
}

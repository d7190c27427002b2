/* Tests for node/webcert.c: the web app's self-signed certificate, read
 * back with GnuTLS itself (key type, validity, names, signature), the key
 * file's mode, the fingerprint against GnuTLS's own SHA-256 of the DER,
 * refusals to overwrite, a sysadmin's own certificate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "ayil/error.h"
#include "config.h"
#include "fsutil.h"
#include "webcert.h"

static char home[64], other[64];

static void rm_dir(const char *dir) {
  static const char *const names[] = {"web.crt", "web.key", "own.crt",
                                      "own.key", "bad.crt", "ayil.conf"};
  char p[256];
  size_t i;
  for (i = 0; i < sizeof names / sizeof names[0]; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, names[i]);
    unlink(p);
  }
  rmdir(dir);
}

static int setup(void **state) {
  (void)state;
  snprintf(home, sizeof home, "/tmp/ayil-webcert-XXXXXX");
  snprintf(other, sizeof other, "/tmp/ayil-webcert-XXXXXX");
  return mkdtemp(home) == NULL || mkdtemp(other) == NULL ? -1 : 0;
}

static int teardown(void **state) {
  (void)state;
  rm_dir(home);
  rm_dir(other);
  return 0;
}

static void conf_for(ayil_config_t *c, const char *listen) {
  ayil_config_defaults(c);
  snprintf(c->role, sizeof c->role, "committee");
  snprintf(c->name, sizeof c->name, "Invented Committee");
  snprintf(c->web_listen, sizeof c->web_listen, "%s", listen);
}

static void path_in(const char *dir, const char *name, char *out, size_t cap) {
  assert_true((size_t)snprintf(out, cap, "%s/%s", dir, name) < cap);
}

/* The certificate file as GnuTLS reads it (deinit it after). */
static gnutls_x509_crt_t load_crt(const char *path) {
  gnutls_x509_crt_t crt;
  gnutls_datum_t d;
  uint8_t *pem = NULL;
  size_t len = 0;
  assert_int_equal(ayil_fs_read(path, 1 << 20, &pem, &len), 0);
  d.data = pem;
  d.size = (unsigned)len;
  assert_int_equal(gnutls_x509_crt_init(&crt), 0);
  assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
  free(pem);
  return crt;
}

/* GnuTLS's own SHA-256 of the DER, as colon-separated uppercase hex. */
static void gnutls_fpr(gnutls_x509_crt_t crt, char out[AYIL_WEBCERT_FPR_TEXT]) {
  uint8_t h[32];
  size_t hl = sizeof h, i;
  assert_int_equal(
      gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, h, &hl), 0);
  assert_int_equal(hl, 32);
  for (i = 0; i < hl; i++)
    snprintf(out + 3 * i, 4, i + 1 < hl ? "%02X:" : "%02X", h[i]);
}

/* Whether the certificate's subjectAltName holds IP address `ip` (4 or 16
 * bytes) or DNS name `dns`; counts the entries into *n. */
static int san_has(gnutls_x509_crt_t crt, const uint8_t *ip, size_t iplen,
                   const char *dns, unsigned *n) {
  unsigned i;
  int found = 0;
  *n = 0;
  for (i = 0; i < 64; i++) {
    char buf[256];
    size_t len = sizeof buf;
    int type = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &len, NULL);
    if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
      break;
    assert_true(type >= 0);
    (*n)++;
    if (ip != NULL && type == GNUTLS_SAN_IPADDRESS && len == iplen &&
        memcmp(buf, ip, iplen) == 0)
      found = 1;
    if (dns != NULL && type == GNUTLS_SAN_DNSNAME && len == strlen(dns) &&
        memcmp(buf, dns, len) == 0)
      found = 1;
  }
  return found;
}

static void test_create(void **state) {
  static const uint8_t lo[4] = {127, 0, 0, 1};
  ayil_config_t c;
  char fpr[AYIL_WEBCERT_FPR_TEXT], fpr2[AYIL_WEBCERT_FPR_TEXT];
  char want[AYIL_WEBCERT_FPR_TEXT], cpath[256], kpath[256], cn[256];
  char hn[256];
  gnutls_x509_crt_t crt;
  unsigned bits = 0, nsan = 0, status = 99;
  size_t cnlen = sizeof cn;
  struct stat st;
  time_t from, until;
  (void)state;
  conf_for(&c, "0.0.0.0:8443");
  memset(fpr, 0, sizeof fpr);
  assert_int_equal(ayil_webcert_create(home, &c, 0, fpr), 0);
  path_in(home, "web.crt", cpath, sizeof cpath);
  path_in(home, "web.key", kpath, sizeof kpath);
  assert_int_equal(stat(kpath, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(stat(cpath, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);

  crt = load_crt(cpath);
  /* the fingerprint: ours (libsodium) = GnuTLS's, and as read back */
  gnutls_fpr(crt, want);
  assert_string_equal(fpr, want);
  assert_int_equal(strlen(fpr), 95);
  assert_int_equal(ayil_webcert_fingerprint(home, &c, fpr2), 0);
  assert_string_equal(fpr2, want);
  /* ECDSA P-256, signed by itself with SHA-256 */
  assert_int_equal(gnutls_x509_crt_get_pk_algorithm(crt, &bits),
                   GNUTLS_PK_ECDSA);
  assert_int_equal(bits, 256);
  assert_int_equal(gnutls_x509_crt_get_signature_algorithm(crt),
                   GNUTLS_SIGN_ECDSA_SHA256);
  assert_int_equal(gnutls_x509_crt_verify(crt, &crt, 1, 0, &status), 0);
  assert_int_equal(status, 0);
  /* ten years from a day back */
  from = gnutls_x509_crt_get_activation_time(crt);
  until = gnutls_x509_crt_get_expiration_time(crt);
  assert_true(from <= time(NULL));
  assert_true(until - from >= 3650L * 86400);
  assert_true(until > time(NULL) + 3649L * 86400);
  /* CN: the node's name */
  assert_int_equal(gnutls_x509_crt_get_dn_by_oid(
                       crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &cnlen),
                   0);
  assert_string_equal(cn, "Invented Committee");
  /* SAN: 127.0.0.1 and the host name, and no other loopback address */
  assert_true(san_has(crt, lo, 4, NULL, &nsan));
  assert_true(nsan >= 1);
  assert_int_equal(gethostname(hn, sizeof hn), 0);
  hn[sizeof hn - 1] = '\0';
  assert_true(san_has(crt, NULL, 0, hn, &nsan));
  gnutls_x509_crt_deinit(crt);
}

static void test_key_matches(void **state) {
  ayil_config_t c;
  char fpr[AYIL_WEBCERT_FPR_TEXT], kpath[256], cpath[256];
  gnutls_x509_privkey_t key;
  gnutls_x509_crt_t crt;
  gnutls_datum_t d;
  uint8_t *pem = NULL, a[64], b[64];
  size_t len = 0, alen = sizeof a, blen = sizeof b;
  (void)state;
  conf_for(&c, "127.0.0.1:8443");
  assert_int_equal(ayil_webcert_create(home, &c, 0, fpr), 0);
  path_in(home, "web.key", kpath, sizeof kpath);
  path_in(home, "web.crt", cpath, sizeof cpath);
  assert_int_equal(ayil_fs_read(kpath, 1 << 16, &pem, &len), 0);
  assert_non_null(strstr((char *)pem, "PRIVATE KEY"));
  d.data = pem;
  d.size = (unsigned)len;
  assert_int_equal(gnutls_x509_privkey_init(&key), 0);
  assert_int_equal(gnutls_x509_privkey_import(key, &d, GNUTLS_X509_FMT_PEM), 0);
  crt = load_crt(cpath);
  assert_int_equal(gnutls_x509_privkey_get_key_id(key, 0, a, &alen), 0);
  assert_int_equal(gnutls_x509_crt_get_key_id(crt, 0, b, &blen), 0);
  assert_int_equal(alen, blen);
  assert_memory_equal(a, b, alen);
  gnutls_x509_crt_deinit(crt);
  gnutls_x509_privkey_deinit(key);
  free(pem);
}

static void test_no_overwrite(void **state) {
  ayil_config_t c;
  char fpr[AYIL_WEBCERT_FPR_TEXT], again[AYIL_WEBCERT_FPR_TEXT];
  char kpath[256];
  uint8_t *k1 = NULL, *k2 = NULL;
  size_t l1 = 0, l2 = 0;
  (void)state;
  conf_for(&c, "0.0.0.0:8443");
  assert_int_equal(ayil_webcert_create(home, &c, 0, fpr), 0);
  path_in(home, "web.key", kpath, sizeof kpath);
  assert_int_equal(ayil_fs_read(kpath, 1 << 16, &k1, &l1), 0);
  /* refused, and nothing changed */
  assert_int_equal(ayil_webcert_create(home, &c, 0, again), AYIL_EEXISTS);
  assert_int_equal(ayil_fs_read(kpath, 1 << 16, &k2, &l2), 0);
  assert_int_equal(l1, l2);
  assert_memory_equal(k1, k2, l1);
  assert_int_equal(ayil_webcert_fingerprint(home, &c, again), 0);
  assert_string_equal(again, fpr);
  free(k2);
  k2 = NULL;
  /* the key alone is enough to refuse */
  path_in(home, "web.crt", kpath, sizeof kpath);
  assert_int_equal(unlink(kpath), 0);
  assert_int_equal(ayil_webcert_create(home, &c, 0, again), AYIL_EEXISTS);
  assert_int_equal(ayil_webcert_fingerprint(home, &c, again), AYIL_ENOTFOUND);
  /* force: a new key and a new certificate */
  assert_int_equal(ayil_webcert_create(home, &c, 1, again), 0);
  assert_string_not_equal(again, fpr);
  path_in(home, "web.key", kpath, sizeof kpath);
  assert_int_equal(ayil_fs_read(kpath, 1 << 16, &k2, &l2), 0);
  assert_false(l1 == l2 && memcmp(k1, k2, l1) == 0);
  assert_int_equal(ayil_webcert_fingerprint(home, &c, fpr), 0);
  assert_string_equal(fpr, again);
  free(k1);
  free(k2);
}

static void test_listen(void **state) {
  static const uint8_t v4[4] = {192, 0, 2, 7};
  static const uint8_t v6[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                 0, 0, 0, 0, 0, 0, 0, 1};
  ayil_config_t c;
  char fpr[AYIL_WEBCERT_FPR_TEXT], cpath[256];
  char hosts[AYIL_WEBCERT_HOSTS_MAX][AYIL_WEBCERT_HOST_TEXT], port[8];
  gnutls_x509_crt_t crt;
  unsigned nsan = 0;
  size_t n = 0, i;
  struct stat st;
  (void)state;
  path_in(home, "web.crt", cpath, sizeof cpath);
  /* one address: only it */
  conf_for(&c, "192.0.2.7:9443");
  assert_int_equal(ayil_webcert_create(home, &c, 1, fpr), 0);
  crt = load_crt(cpath);
  assert_true(san_has(crt, v4, 4, NULL, &nsan));
  assert_int_equal(nsan, 1);
  gnutls_x509_crt_deinit(crt);
  conf_for(&c, "[::1]:8443");
  assert_int_equal(ayil_webcert_create(home, &c, 1, fpr), 0);
  crt = load_crt(cpath);
  assert_true(san_has(crt, v6, 16, NULL, &nsan));
  assert_int_equal(nsan, 1);
  gnutls_x509_crt_deinit(crt);
  /* every address of the machine: never a loopback one but 127.0.0.1 */
  assert_int_equal(ayil_webcert_hosts("0.0.0.0:8443", hosts, &n, port), 0);
  assert_string_equal(port, "8443");
  for (i = 0; i < n; i++)
    assert_true(
        strcmp(hosts[i], "127.0.0.1") == 0 ||
        (strncmp(hosts[i], "127.", 4) != 0 && strcmp(hosts[i], "::1") != 0));
  for (i = 0; i < n && strcmp(hosts[i], "127.0.0.1") != 0; i++)
    ;
  assert_true(i < n);
  /* a listen address that is not HOST:PORT writes nothing */
  rm_dir(home);
  assert_int_equal(mkdir(home, 0700), 0);
  conf_for(&c, "8443");
  assert_int_equal(ayil_webcert_create(home, &c, 0, fpr), AYIL_EINVAL);
  conf_for(&c, "0.0.0.0:");
  assert_int_equal(ayil_webcert_create(home, &c, 0, fpr), AYIL_EINVAL);
  conf_for(&c, "[::1:8443");
  assert_int_equal(ayil_webcert_create(home, &c, 0, fpr), AYIL_EINVAL);
  assert_int_equal(stat(cpath, &st), -1);
  /* cert and key may not be one file */
  conf_for(&c, "127.0.0.1:8443");
  snprintf(c.web_key, sizeof c.web_key, "web.crt");
  assert_int_equal(ayil_webcert_create(home, &c, 0, fpr), AYIL_EINVAL);
}

static void test_own_certificate(void **state) {
  ayil_config_t c, own;
  char fpr[AYIL_WEBCERT_FPR_TEXT], got[AYIL_WEBCERT_FPR_TEXT];
  char ocrt[256], okey[256], bad[256], kpath[256];
  struct stat st;
  FILE *f;
  (void)state;
  /* a "sysadmin's" pair, made elsewhere under absolute paths */
  conf_for(&own, "192.0.2.9:443");
  path_in(other, "own.crt", ocrt, sizeof ocrt);
  path_in(other, "own.key", okey, sizeof okey);
  snprintf(own.web_cert, sizeof own.web_cert, "%s", ocrt);
  snprintf(own.web_key, sizeof own.web_key, "%s", okey);
  assert_int_equal(ayil_webcert_create(home, &own, 0, fpr), 0);
  assert_int_equal(stat(ocrt, &st), 0);
  /* the config pointing at it: its fingerprint */
  assert_int_equal(ayil_webcert_fingerprint("/nonexistent", &own, got), 0);
  assert_string_equal(got, fpr);
  /* installed into the home over the self-signed one */
  conf_for(&c, "0.0.0.0:8443");
  assert_int_equal(ayil_webcert_create(home, &c, 0, got), 0);
  assert_string_not_equal(got, fpr);
  assert_int_equal(ayil_webcert_install(home, &c, ocrt, okey, got), 0);
  assert_string_equal(got, fpr);
  assert_int_equal(ayil_webcert_fingerprint(home, &c, got), 0);
  assert_string_equal(got, fpr);
  path_in(home, "web.key", kpath, sizeof kpath);
  assert_int_equal(stat(kpath, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  /* a key of another certificate is refused, and nothing changes */
  conf_for(&own, "0.0.0.0:8443");
  snprintf(own.web_cert, sizeof own.web_cert, "%s", ocrt);
  assert_int_equal(ayil_webcert_create(other, &own, 1, got), 0);
  assert_int_equal(ayil_webcert_install(home, &c, ocrt, kpath, got),
                   AYIL_EINVAL);
  assert_int_equal(ayil_webcert_fingerprint(home, &c, got), 0);
  assert_string_equal(got, fpr);
  /* not PEM */
  path_in(other, "bad.crt", bad, sizeof bad);
  f = fopen(bad, "w");
  assert_non_null(f);
  fputs("not a certificate\n", f);
  assert_int_equal(fclose(f), 0);
  assert_int_equal(ayil_webcert_install(home, &c, bad, okey, got),
                   AYIL_EFORMAT);
  snprintf(own.web_cert, sizeof own.web_cert, "%s", bad);
  assert_int_equal(ayil_webcert_fingerprint(home, &own, got), AYIL_EFORMAT);
  assert_int_equal(
      ayil_webcert_install(home, &c, "/nonexistent/x.crt", okey, got),
      AYIL_ENOTFOUND);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_create, setup, teardown),
      cmocka_unit_test_setup_teardown(test_key_matches, setup, teardown),
      cmocka_unit_test_setup_teardown(test_no_overwrite, setup, teardown),
      cmocka_unit_test_setup_teardown(test_listen, setup, teardown),
      cmocka_unit_test_setup_teardown(test_own_certificate, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

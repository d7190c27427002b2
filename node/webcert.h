/*
 * The web app's TLS certificate (ayil-web serves HTTPS on the office LAN).
 *
 * A self-signed certificate made on the node: ECDSA P-256 (what old
 * phones' browsers accept; Ed25519 certificates are not accepted by
 * Chromium), valid ten years, subject CN the node's name (a committee's or
 * hub's name, never a person's), subjectAltName every address the web app
 * listens on. Members check its SHA-256 fingerprint once, as `ayil status`
 * shows it, when their browser first warns. A sysadmin may install a
 * certificate of their own instead (ayil_webcert_install) or point [web]
 * cert and key at one.
 *
 * Made with GnuTLS's x509 API: ayil's crypto is otherwise libsodium only,
 * but the TLS stack (libmicrohttpd) is GnuTLS anyway, and libsodium has no
 * X.509. The fingerprint is libsodium's SHA-256 of the DER.
 */
#ifndef AYIL_WEBCERT_H
#define AYIL_WEBCERT_H

#include <stddef.h>

#include "config.h"

/* "AB:CD:..." : 32 bytes as 95 characters + NUL. */
#define AYIL_WEBCERT_FPR_TEXT 96
/* At most this many addresses (and the host name) in a certificate. */
#define AYIL_WEBCERT_HOSTS_MAX 32
/* An address as text (IPv6 without brackets) or the host name. */
#define AYIL_WEBCERT_HOST_TEXT 256

/*
 * Makes a new key pair and self-signed certificate and writes the key
 * (0600) and the certificate (0644), each atomically, where the config's
 * [web] key and cert say (relative to the home unless absolute).
 * AYIL_EEXISTS, writing nothing, if either exists and not `force`.
 * AYIL_EINVAL for a web_listen that is not HOST:PORT. Fills the
 * fingerprint of the new certificate.
 */
int ayil_webcert_create(const char *home, const ayil_config_t *c, int force,
                        char fpr[AYIL_WEBCERT_FPR_TEXT]);
/*
 * Installs a certificate of the sysadmin's own: reads the PEM certificate
 * (chain) `cert_file` and PEM key `key_file`, checks that the key belongs
 * to the (first) certificate (AYIL_EINVAL if not, AYIL_EFORMAT if either is
 * not PEM) and copies them where the config says, replacing what is there.
 * Fills the certificate's fingerprint.
 */
int ayil_webcert_install(const char *home, const ayil_config_t *c,
                         const char *cert_file, const char *key_file,
                         char fpr[AYIL_WEBCERT_FPR_TEXT]);
/*
 * The fingerprint of the (first) certificate in the file the config names,
 * made here or not. AYIL_ENOTFOUND if there is none, AYIL_EFORMAT if it is
 * not a PEM certificate.
 */
int ayil_webcert_fingerprint(const char *home, const ayil_config_t *c,
                             char fpr[AYIL_WEBCERT_FPR_TEXT]);
/* The path of [web] cert or key (`name`), resolved against the home. */
int ayil_webcert_path(const char *home, const char *name, char *out,
                      size_t cap);
/*
 * The hosts a certificate for `listen` (HOST:PORT, [V6]:PORT) names and
 * where members reach the web app: that host, or for 0.0.0.0 and :: every
 * non-loopback IPv4 and IPv6 address of the machine (getifaddrs; IPv6
 * link-local ones left out, a browser cannot use them), then 127.0.0.1 and
 * the host name. *port gets the port text. AYIL_EINVAL for a bad listen.
 */
int ayil_webcert_hosts(
    const char *listen,
    char hosts[AYIL_WEBCERT_HOSTS_MAX][AYIL_WEBCERT_HOST_TEXT], size_t *count,
    char port[8]);

#endif

/*
 * The web app's TLS certificate (ayil-web serves HTTPS on the office LAN).
 *
 * A self-signed certificate, made on the node: ECDSA P-256 (what old
 * phones' browsers accept), valid ten years, naming the node and every
 * address the web app listens on. Members check its SHA-256 fingerprint
 * once, as `ayil status` shows it, when their browser first warns. A
 * sysadmin may point [web] cert and key at a certificate of their own.
 *
 * Made with GnuTLS's x509 API: the TLS stack (libmicrohttpd) is GnuTLS
 * anyway; nothing else in ayil uses it. The fingerprint is libsodium's
 * SHA-256 of the DER.
 */
#ifndef AYIL_WEBCERT_H
#define AYIL_WEBCERT_H

#include "config.h"

/* "AB:CD:..." : 32 bytes as 95 characters + NUL. */
#define AYIL_WEBCERT_FPR_TEXT 96

/* Writes the key (0600) and the certificate (0644) where the config says
 * ([web] key, cert; relative to the home). AYIL_EEXISTS unless `force` if
 * either exists. Fills the fingerprint. */
int ayil_webcert_create(const char *home, const ayil_config_t *c, int force,
                        char fpr[AYIL_WEBCERT_FPR_TEXT]);
/* The fingerprint of the certificate the config names. AYIL_ENOTFOUND if
 * there is none, AYIL_EFORMAT if it is not a PEM certificate. */
int ayil_webcert_fingerprint(const char *home, const ayil_config_t *c,
                             char fpr[AYIL_WEBCERT_FPR_TEXT]);
/* The path of [web] cert or key (`name`), resolved against the home. */
int ayil_webcert_path(const char *home, const char *name, char *out,
                      size_t cap);

#endif

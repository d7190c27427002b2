/*
 * Client of ayild's control socket (HOME/ayild.sock): connect, write one
 * line of JSON, read one line of JSON back; the daemon then closes.
 */
#ifndef AYIL_CLI_CTL_H
#define AYIL_CLI_CTL_H

#include <stddef.h>

#include <jansson.h>

/* Every wait (connect, write, read) of one request is bounded by this. */
#define CLI_CTL_TIMEOUT_MS 5000
/* A reply longer than this is refused (a hub with many peers fits). */
#define CLI_CTL_REPLY_MAX (4 * 1024 * 1024)

/*
 * Sends `req` (one JSON object) to the daemon of `home` and parses its
 * reply into *reply (a new reference, set only on success). Waits at most
 * timeout_ms in all.
 *
 * Returns 0; AYIL_ENOTFOUND when the daemon is not running (no socket, or
 * the socket refuses); AYIL_EINVAL when the socket path is too long;
 * AYIL_ETIMEOUT; AYIL_ECLOSED when the daemon closed without a full line;
 * AYIL_EFORMAT when the reply is not a JSON object; AYIL_ETOOBIG; AYIL_EIO.
 * `sock`, if not NULL, receives the socket's path (for messages).
 */
int cli_ctl_request(const char *home, const json_t *req, int timeout_ms,
                    json_t **reply, char *sock, size_t sockcap);

#endif

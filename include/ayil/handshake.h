/*
 * The handshake: mutual authentication of two nodes by their Ed25519 ids,
 * with forward secrecy, gated by a deployment-wide network key, carrying
 * one application payload each way. See proto/PROTOCOL.md, "Handshake".
 *
 *   client                                   server
 *   hello      (48 bytes)           ->
 *                                   <-       hello (64 bytes)
 *   auth       (138 + payload)      ->       [embedder: accept or reject]
 *   [may send stream frames now]
 *                                   <-       accept (42 + payload)
 *
 * A server that does not see the network key in the client's hello fails
 * before it produces any output: the port answers nothing. The server's
 * hello proves both the network key and the server's id, so a client learns
 * it dialed the wrong node before it reveals its own id.
 *
 * Sans-I/O: the embedder feeds received bytes with ayil_hs_feed(), sends
 * whatever ayil_hs_output() returns, and watches ayil_hs_status(). When the
 * handshake is done it takes the transport halves with ayil_hs_take_tx()
 * and ayil_hs_take_rx() (ayil/transport.h); bytes that ayil_hs_feed() did
 * not consume belong to the transport and go to ayil_rx_feed() in order.
 */
#ifndef AYIL_HANDSHAKE_H
#define AYIL_HANDSHAKE_H

#include <stddef.h>
#include <stdint.h>

#include "ayil/error.h"
#include "ayil/transport.h"

#define AYIL_NETKEY_BYTES 32
#define AYIL_HS_PAYLOAD_MAX 16384 /* bytes of application payload each way */

#define AYIL_HS_CLIENT_HELLO_BYTES 48
#define AYIL_HS_SERVER_HELLO_BYTES 64
/* Wire bytes of the client's auth and the server's accept, given payload. */
#define AYIL_HS_CLIENT_AUTH_BYTES(payload_len) (138 + (size_t)(payload_len))
#define AYIL_HS_SERVER_ACCEPT_BYTES(payload_len) (42 + (size_t)(payload_len))

/* ayil_hs_status() values; failure is the sticky negative AYIL_E* code. */
enum {
  AYIL_HS_WANT_INPUT = 1, /* feed more bytes from the peer */
  AYIL_HS_DECIDE = 2,     /* server: the client is authenticated; call
                             ayil_hs_accept() or ayil_hs_reject() */
  AYIL_HS_DONE = 3,       /* both payloads delivered, keys ready */
};

typedef struct ayil_hs_s ayil_hs_t;

/*
 * Starts a client that dials the node `server_id`. `sk` is this node's
 * Ed25519 secret key (libsodium's 64-byte form, which holds the public key
 * too). `payload` (up to AYIL_HS_PAYLOAD_MAX bytes, may be NULL if len is 0)
 * is copied and sent, encrypted, in the auth message. The client hello is
 * ready in ayil_hs_output() at once. Keys are copied; the caller keeps its
 * own. Sets *out only on success. AYIL_EINVAL if server_id is not a valid
 * Ed25519 public key, AYIL_ETOOBIG, AYIL_ENOMEM, AYIL_EIO.
 */
int ayil_hs_client_new(ayil_hs_t **out, const uint8_t netkey[AYIL_NETKEY_BYTES],
                       const uint8_t sk[64], const uint8_t server_id[32],
                       const uint8_t *payload, size_t payload_len);

/* Starts a server with this node's Ed25519 secret key. Nothing to send yet. */
int ayil_hs_server_new(ayil_hs_t **out, const uint8_t netkey[AYIL_NETKEY_BYTES],
                       const uint8_t sk[64]);

/* Wipes every secret and frees, with any transport half not taken. */
void ayil_hs_free(ayil_hs_t *hs);

/* Heap bytes the handshake holds: well under 1 KiB until the peer's hello
 * proves the network key, then the buffers of one whole handshake. */
size_t ayil_hs_memory(const ayil_hs_t *hs);

/*
 * Feeds bytes received from the peer, in chunks of any size. Consumes them
 * while the status is AYIL_HS_WANT_INPUT and stops at the end of the message
 * that moves it on; *used says how many were consumed. The rest is stream
 * data for ayil_rx_feed() (a client may send frames right after its auth, so
 * a server keeps those bytes until it has decided).
 *
 * Errors are sticky and wipe every secret; the embedder then closes the
 * connection without sending anything more:
 *   AYIL_EAUTH         the network key is wrong (client hello at the server,
 *                      server hello at the client), or a peer key is
 *                      unusable (low order, not a valid Ed25519 key)
 *   AYIL_EUNKNOWN_NODE client: the server holds the network key but cannot
 *                      prove it is `server_id`
 *   AYIL_EFORMAT       auth/accept length below the minimum
 *   AYIL_ETOOBIG       auth/accept length above the maximum
 *   AYIL_EDECRYPT      auth/accept does not open (flipped byte, replay,
 *                      wrong keys)
 *   AYIL_ESIG          the client's signature over the transcript is bad
 * After a failure every call returns that error again. Feeding bytes while
 * AYIL_HS_DECIDE or AYIL_HS_DONE returns AYIL_ESTATE (not sticky) and
 * consumes nothing: those bytes belong to the transport.
 */
AYIL_WUR int ayil_hs_feed(ayil_hs_t *hs, const uint8_t *in, size_t len,
                          size_t *used);

/*
 * Tells the handshake the connection ended. Returns 0 if the handshake was
 * already done or awaiting a decision; otherwise AYIL_ECLOSED (the peer
 * closed between messages, e.g. a server that rejected or failed us) or
 * AYIL_ETRUNC (in the middle of a message). Sticky.
 */
int ayil_hs_eof(ayil_hs_t *hs);

/*
 * Returns the bytes to send now (*len may be 0). Each byte is returned
 * once; *buf stays valid until the next call on `hs`. After a failure there
 * is never anything to send.
 */
void ayil_hs_output(ayil_hs_t *hs, const uint8_t **buf, size_t *len);

/* AYIL_HS_WANT_INPUT, AYIL_HS_DECIDE, AYIL_HS_DONE or the sticky error. */
int ayil_hs_status(const ayil_hs_t *hs);

/*
 * The peer's id (32 bytes), once proven: for a client, after the server's
 * hello; for a server, in AYIL_HS_DECIDE and after. NULL before.
 */
const uint8_t *ayil_hs_peer_id(const ayil_hs_t *hs);

/*
 * The peer's payload, authenticated: a server's view of the client payload
 * from AYIL_HS_DECIDE on; a client's view of the server payload once
 * AYIL_HS_DONE. The bytes belong to `hs`. AYIL_ESTATE before.
 */
int ayil_hs_peer_payload(const ayil_hs_t *hs, const uint8_t **payload,
                         size_t *len);

/*
 * Server, in AYIL_HS_DECIDE: admits the client and queues the accept
 * message carrying `payload` (copied). Status becomes AYIL_HS_DONE.
 * AYIL_ESTATE in any other status, AYIL_ETOOBIG.
 */
int ayil_hs_accept(ayil_hs_t *hs, const uint8_t *payload, size_t payload_len);

/*
 * Server, in AYIL_HS_DECIDE: refuses the client. Wipes the secrets and
 * fails with AYIL_EPERM; nothing is sent, the embedder just closes.
 */
void ayil_hs_reject(ayil_hs_t *hs);

/*
 * Hands over the sending half; the caller owns it (ayil_tx_free). A client
 * may take it as soon as its auth message is in the output, i.e. while still
 * waiting for the server's accept, and send frames after the auth bytes; a
 * server once AYIL_HS_DONE. At most once. AYIL_ESTATE otherwise.
 */
int ayil_hs_take_tx(ayil_hs_t *hs, ayil_tx_t **out);

/* Hands over the receiving half once AYIL_HS_DONE. At most once. */
int ayil_hs_take_rx(ayil_hs_t *hs, ayil_rx_t **out);

#endif

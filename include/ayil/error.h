/*
 * ayil error codes.
 *
 * Every ayil function that can fail returns int: 0 on success or one of the
 * negative AYIL_E* codes below. Codes from SQLite, libsodium and the OS are
 * converted where they are called, so a caller only ever sees these.
 */
#ifndef AYIL_ERROR_H
#define AYIL_ERROR_H

#define AYIL_ERRNO_MAP(XX)                                                     \
  XX(NOMEM, "out of memory")                                                   \
  XX(INVAL, "invalid argument")                                                \
  XX(TRUNC, "input truncated")                                                 \
  XX(TOOBIG, "input exceeds size limit")                                       \
  XX(DEPTH, "nesting too deep")                                                \
  XX(FORMAT, "malformed encoding")                                             \
  XX(NOTCANON, "non-canonical encoding")                                       \
  XX(TRAILING, "trailing bytes after value")                                   \
  XX(VERSION, "unsupported format version")                                    \
  XX(SIG, "bad signature")                                                     \
  XX(CHAIN, "hash chain broken")                                               \
  XX(SEQ, "sequence number out of order")                                      \
  XX(FORK, "forked log: two different entries at one position")                \
  XX(DECRYPT, "decryption or authentication failed")                           \
  XX(PASSPHRASE, "wrong passphrase")                                           \
  XX(IO, "input/output error")                                                 \
  XX(STORE, "store error")                                                     \
  XX(CORRUPT, "store is corrupt")                                              \
  XX(FULL, "disk full")                                                        \
  XX(NOTFOUND, "not found")                                                    \
  XX(EXISTS, "already exists")                                                 \
  XX(PERM, "permission denied")                                                \
  XX(STATE, "operation not allowed in this state")                             \
  XX(PEER, "peer violated the protocol")                                       \
  XX(REVOKED, "node is revoked")                                               \
  XX(UNKNOWN_NODE, "unknown node")                                             \
  XX(AUTH, "authentication failed")                                            \
  XX(CLOSED, "connection closed")                                              \
  XX(TIMEOUT, "timed out")                                                     \
  XX(OWNER, "not the record's owner")                                          \
  XX(PENDING, "enrolment awaits the hub operator's confirmation")              \
  XX(REPLACED, "node was replaced: its committee carries on with a new node")  \
  XX(DAMAGED, "body does not match its hash")

enum {
  AYIL__E_BASE = -1000,
#define XX(name, msg) AYIL_E##name,
  AYIL_ERRNO_MAP(XX)
#undef XX
      AYIL__E_END
};

/* Returns a static, human-readable message for an AYIL_E* code. */
const char *ayil_strerror(int err);
/* Returns the code's name without the AYIL_E prefix, e.g. "SIG". */
const char *ayil_err_name(int err);

#if defined(__GNUC__)
#define AYIL_WUR __attribute__((warn_unused_result))
#else
#define AYIL_WUR
#endif

#endif

/* Internals shared by the node/node*.c files of the service API. */
#ifndef AYIL_NODE_INT_H
#define AYIL_NODE_INT_H

#include "keys.h"
#include "node.h"

struct ayil_node_s {
  char home[AYIL_PATH_MAX];
  ayil_config_t conf;
  ayil_store_t *store;
  ayil_identity_t ident;
  int ident_loaded;
  /* The reader's public key, read once (writing needs only it). */
  uint8_t reader_pk[AYIL_READER_PK_BYTES];
  int has_reader_pk;
  ayil_node_err_t err;
  /* Who the calls act for, and as what an opened body is audited
   * (node_member.c). */
  char actor[AYIL_MEMBER_NAME_MAX + 1];
  char actor_addr[64];
  char audit_action[16];
  /* The role of the slot the last unlock opened ("chair" for the first
   * chair's passphrase and the kit; "" for a session's secret). */
  char unlocked_role[16];
  /* The member whose slot the last unlock opened ("" for the first
   * chair's passphrase, the kit or a session's secret). */
  char unlocked_member[AYIL_MEMBER_NAME_MAX + 1];
};

/* Fills *err and returns `code`. `input` marks the caller's input as the
 * cause. ayil__node_fail does it for the node's last error. */
int ayil__node_err(ayil_node_err_t *err, int code, int input, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));
/* The language set by ayil_node_set_lang ("en" by default), and `msgid`
 * of AYIL_DOMAIN_CLI in it (ayil__node_err translates its format with it;
 * record.c its validation messages). */
const char *ayil__node_lang(void);
const char *ayil__node_tr(const char *msgid) __attribute__((format_arg(1)));
#define ayil__node_fail(n, code, input, ...)                                   \
  ayil__node_err(&(n)->err, code, input, __VA_ARGS__)
/* Makes room for one more element of `size` in *arr (holding n of *cap). */
int ayil__node_grow(void **arr, size_t *cap, size_t n, size_t size);
/* Unwraps the reader secret through the caller's unlock callback. */
int ayil__node_unlock(ayil_node_t *n, const ayil_node_unlock_t *u,
                      uint8_t sk[AYIL_READER_SK_BYTES]);
/* Writes the audit rows of bodies opened: one per record (action as set
 * by ayil_node_set_audit_action). begin/commit wrap a walk in one
 * transaction. Fails closed: the caller must not show the body then. */
int ayil__node_audit(ayil_node_t *n, const uint8_t *record);
int ayil__node_audit_begin(ayil_node_t *n);
int ayil__node_audit_end(ayil_node_t *n, int ok);
/* home/name into out, or an error set on the node. */
int ayil__node_path(ayil_node_t *n, const char *name, char *out, size_t cap);
/* Appends the uncleared alerts about device `id` (as peer or origin) to
 * *arr, marking each with has_peer = id (node_status.c). */
int ayil__node_device_alerts(ayil_node_t *n, const uint8_t *id,
                             ayil_node_alert_t **arr, size_t *count,
                             size_t *cap);
/* The UTC day of t as YYYY-MM-DD. */
void ayil__node_day(int64_t t, char out[16]);

#endif

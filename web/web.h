/*
 * ayil-web: the committee members' web app on the office LAN (and, on a
 * hub, the operator's pages on loopback). One libuv loop, one thread;
 * HTTP and TLS from libmicrohttpd (GnuTLS), driven from the loop through
 * its epoll descriptor. Every use case goes through node/node.h: web/ has
 * no SQL and no crypto of its own beyond session tokens.
 *
 *   main.c     options, the loop, signals, MHD inside the loop
 *   http.c     requests: forms, cookies, security headers, dispatch
 *   session.c  sessions, CSRF tokens, login throttling, the held secret
 *   html.c     an HTML buffer that escapes everything it is given
 *   pages.c    the committee's pages (home, lists, log-in, members, audit,
 *              report) and their routing
 *   records.c  a record's pages (new, edit, delete, one record or case,
 *              print, search)
 *   forms.c    record forms generated from proto/schema.c, and back to JSON
 *   hub.c      the hub operator's pages
 */
#ifndef AYIL_WEB_H
#define AYIL_WEB_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <microhttpd.h>
#include <uv.h>

#include "node.h"

/* ---- html.c ---- */

typedef struct {
  char *p;
  size_t len, cap;
  int oom;
} html_t;

void h_init(html_t *h);
void h_free(html_t *h); /* wipes: a page may hold a body */
/* Raw markup (a literal of this program, never data). */
void h_raw(html_t *h, const char *s);
void h_rawf(html_t *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Text, escaped for element content and quoted attribute values. */
void h_text(html_t *h, const char *s);
void h_textn(html_t *h, const char *s, size_t n);
/* A translated text with {n} replaced by a number. */
void h_textn_num(html_t *h, const char *tmpl, long long n);

/* ---- session.c ---- */

#define WEB_TOKEN_BYTES 32
#define WEB_TOKEN_TEXT 44 /* base64url, no padding, + NUL */
#define WEB_SESSIONS_MAX 64

typedef struct {
  int used;
  uint8_t token[WEB_TOKEN_BYTES];
  char csrf[WEB_TOKEN_TEXT];
  char member[AYIL_MEMBER_NAME_MAX + 1];
  char role[16];
  char addr[64];
  uint64_t last_ms;
  uint8_t *sk; /* sodium_malloc'ed reader secret while unlocked, or NULL */
} web_session_t;

typedef struct web_s web_t;

web_session_t *sess_find(web_t *w, const char *cookie, uint64_t now_ms);
web_session_t *sess_new(web_t *w, const char *member, const char *role,
                        const char *addr, uint64_t now_ms,
                        char token_text[WEB_TOKEN_TEXT]);
void sess_end(web_session_t *s);
int sess_unlock(web_session_t *s, const uint8_t sk[AYIL_READER_SK_BYTES]);
void sess_lock(web_session_t *s);
void sess_sweep(web_t *w, uint64_t now_ms);
/* Ends every session of `member` (removed, or password changed). */
void sess_end_member(web_t *w, const char *member);
void web_token_text(const uint8_t *b, char out[WEB_TOKEN_TEXT]);
void web_random_token(char out[WEB_TOKEN_TEXT]);
/* Constant-time equality of two token texts. */
int web_token_eq(const char *a, const char *b);

/* Login throttling: failures per member name and per address. */
#define WEB_THROTTLE_SLOTS 128
#define WEB_THROTTLE_FREE 3 /* failures before a wait is imposed */
typedef struct {
  uint8_t key[16]; /* generic hash of "m:"+name or "a:"+addr */
  int used;
  unsigned fails;
  uint64_t until_ms, last_ms;
} web_throttle_t;
/* Seconds to wait before `member` may try again from `addr` (0: may). */
unsigned throttle_wait(web_t *w, const char *member, const char *addr,
                       uint64_t now_ms);
void throttle_fail(web_t *w, const char *member, const char *addr,
                   uint64_t now_ms);
void throttle_ok(web_t *w, const char *member, const char *addr);

/* ---- http.c ---- */

#define WEB_BODY_MAX (256 * 1024) /* bytes of a POST */
#define WEB_FIELDS_MAX 128

typedef struct {
  char *key;
  char *val;
  size_t len;
} web_field_t;

typedef struct {
  web_t *w;
  struct MHD_Connection *conn;
  const char *method;
  const char *url;
  int post;
  struct MHD_PostProcessor *pp;
  web_field_t fields[WEB_FIELDS_MAX];
  size_t nfields;
  size_t body_bytes;
  int too_big, too_many;
  const char *lang;
  char addr[64];
  web_session_t *s;
  uint64_t now_ms;
  char cookie2[192]; /* a second Set-Cookie (the pre-session token) */
} web_req_t;

/* A form's fields as the post processor hands them over (untrusted): the
 * value's bytes `data` at offset `off` of field `key` (a field comes in
 * pieces; a key starting "__" is ignored; past WEB_FIELDS_MAX fields
 * r->too_many is set). 0, or -1 out of memory. */
int web_field_add(web_req_t *r, const char *key, const char *data, uint64_t off,
                  size_t size);
/* Whether every field's key and value is UTF-8 without NUL. */
int web_fields_valid(const web_req_t *r);
int web_valid_utf8(const char *s, size_t n);
/* Wipes and frees the fields. */
void web_fields_free(web_req_t *r);
/* The value of form field `key` (the first), or NULL. */
const char *req_field(const web_req_t *r, const char *key);
/* The value of query argument `key`, or NULL. */
const char *req_arg(const web_req_t *r, const char *key);
/* The page's words in the request's language (domain ayil-web). */
const char *W(const web_req_t *r, const char *msgid);
#define W_(s) W(r, s)
/* A dictionary label (domain ayil, with a context). */
const char *L(const web_req_t *r, const char *ctx, const char *msgid);

/* Responses. Each adds the security headers; html pages are no-store. */
int send_page(web_req_t *r, unsigned status, const char *title, html_t *body);
int send_redirect(web_req_t *r, const char *to, const char *cookie);
int send_error(web_req_t *r, unsigned status, const char *msg);

/* The page frame's start and end (header with language switch, nav). */
void page_nav(web_req_t *r, html_t *h);
/* A hidden CSRF field for the session's forms. */
void h_csrf(web_req_t *r, html_t *h);

struct web_s {
  uv_loop_t *loop;
  struct MHD_Daemon *mhd;
  uv_poll_t poll;
  uv_timer_t timer;
  uv_timer_t sweep;
  uv_signal_t sigterm, sigint, sighup;
  ayil_node_t *node;
  int committee;
  int tls;
  unsigned idle_s;
  char home[AYIL_PATH_MAX];
  web_session_t sessions[WEB_SESSIONS_MAX];
  web_throttle_t throttle[WEB_THROTTLE_SLOTS];
  uint64_t requests;
};

int web_dispatch(web_req_t *r);
/* Tells ayild (control socket) that new entries wait, so it syncs now.
 * Fire and forget: a daemon that is not running is not an error. */
void web_kick_ayild(web_t *w);

/* ---- pages.c, records.c, hub.c ---- */
int page_committee(web_req_t *r);
int page_hub(web_req_t *r);
/* pages.c's helpers for records.c: the session's unlock (NULL if locked),
 * the note that a page needs one, the member acting, a node error page, a
 * kind's label, a record id's form, a record's values as JSON, the open
 * cases for a pick-list, a list row. */
const ayil_node_unlock_t *web_unlock_of(web_req_t *r);
void web_unlock_note(web_req_t *r, html_t *h, const char *why);
void web_actor(web_req_t *r);
int web_node_error(web_req_t *r);
void web_kind_label(web_req_t *r, html_t *h, const char *kind);
int web_is_hex_id(const char *s);
json_t *web_values_of(const ayil_node_record_t *rec);
json_t *web_open_cases(web_req_t *r);
void web_record_row(web_req_t *r, html_t *h, const ayil_node_record_t *rec,
                    const char *date);
/* records.c: the record pages, routed by pages.c. */
int page_pick_kind(web_req_t *r);
int page_new(web_req_t *r, const char *kind);
int page_edit(web_req_t *r, const char *idtext);
int page_delete(web_req_t *r, const char *idtext);
int page_record(web_req_t *r, const char *idtext, int print);
int page_search(web_req_t *r);

/* ---- forms.c ---- */
typedef struct {
  char field[64];
  char msg[256];
} web_problem_t;
#define WEB_PROBLEMS_MAX 64
typedef struct {
  web_problem_t p[WEB_PROBLEMS_MAX];
  size_t n;
  char general[256];
} web_problems_t;

/* The form for a record of `kind`: values from `vals` (JSON object of field
 * names, NULL for a new record), errors from `probs`; action URL `action`.
 * `cases` is a JSON array of {id, label} of the open cases. */
void form_record(web_req_t *r, html_t *h, const ayil_kind_t *k,
                 const json_t *vals, const web_problems_t *probs,
                 const char *action, const json_t *cases, int update,
                 int unlocked);
/* The submitted form as record input: a new JSON object of the fields set
 * (update: fields emptied become null). Problems of form (a date that is not
 * a date, a count that is not a number, invalid UTF-8, an unknown field)
 * are added to probs. */
json_t *form_input(web_req_t *r, const ayil_kind_t *k, int update,
                   const json_t *old, web_problems_t *probs);
/* Adds the node's problem `what` with `field` of `k` to p, in words. */
void web_problem_add(web_req_t *r, web_problems_t *p, const ayil_kind_t *k,
                     const char *field, ayil_prob_t what);

#endif

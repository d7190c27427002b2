/*
 * Requests: libmicrohttpd parses HTTP, cookies, query strings and forms
 * (its post processor); this file gathers a request, bounds it, checks it
 * is UTF-8, and answers with the security headers every response carries.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sodium.h>

#include "i18n.h"
#include "web.h"

const char *req_field(const web_req_t *r, const char *key) {
  size_t i;
  for (i = 0; i < r->nfields; i++)
    if (strcmp(r->fields[i].key, key) == 0)
      return r->fields[i].val;
  return NULL;
}

const char *req_arg(const web_req_t *r, const char *key) {
  return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *W(const web_req_t *r, const char *msgid) {
  return ayil_tr(r->lang, AYIL_DOMAIN_WEB, msgid);
}

const char *L(const web_req_t *r, const char *ctx, const char *msgid) {
  return ayil_trc(r->lang, AYIL_DOMAIN, ctx, msgid);
}

/* The headers of every response. */
static void secure_headers(struct MHD_Response *resp, int nostore) {
  MHD_add_response_header(resp, "Content-Security-Policy",
                          "default-src 'self'; form-action 'self'; "
                          "frame-ancestors 'none'; base-uri 'none'");
  MHD_add_response_header(resp, "X-Frame-Options", "DENY");
  MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
  if (nostore) {
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "Pragma", "no-cache");
  }
}

static int queue(web_req_t *r, unsigned status, const char *type, char *buf,
                 size_t len, int nostore, const char *cookie,
                 const char *location) {
  struct MHD_Response *resp = MHD_create_response_from_buffer(
      len, buf, buf != NULL ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
  int rc;
  if (resp == NULL)
    return MHD_NO;
  secure_headers(resp, nostore);
  if (type != NULL)
    MHD_add_response_header(resp, "Content-Type", type);
  if (cookie != NULL)
    MHD_add_response_header(resp, "Set-Cookie", cookie);
  if (r->cookie2[0] != '\0')
    MHD_add_response_header(resp, "Set-Cookie", r->cookie2);
  if (location != NULL)
    MHD_add_response_header(resp, "Location", location);
  rc = MHD_queue_response(r->conn, status, resp);
  MHD_destroy_response(resp);
  return rc;
}

int send_page(web_req_t *r, unsigned status, const char *title, html_t *body) {
  html_t h;
  int rc;
  h_init(&h);
  h_rawf(&h,
         "<!doctype html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width, "
         "initial-scale=1\"><title>",
         r->lang);
  h_text(&h, title);
  h_raw(&h, " · ayil</title><link rel=\"stylesheet\" href=\"/app.css\">"
            "</head><body>");
  page_nav(r, &h);
  h_raw(&h, "<main>");
  if (body->p != NULL)
    h_raw(&h, body->p);
  h_raw(&h, "</main></body></html>\n");
  if (h.oom || body->oom) {
    h_free(&h);
    return queue(r, 500, "text/plain; charset=utf-8", (char *)"out of memory",
                 13, 1, NULL, NULL);
  }
  rc = queue(r, status, "text/html; charset=utf-8", h.p, h.len, 1, NULL, NULL);
  h_free(&h);
  return rc;
}

int send_redirect(web_req_t *r, const char *to, const char *cookie) {
  return queue(r, 303, NULL, NULL, 0, 1, cookie, to);
}

int send_error(web_req_t *r, unsigned status, const char *msg) {
  html_t h;
  int rc;
  h_init(&h);
  h_raw(&h, "<p class=\"error\" role=\"alert\">");
  h_text(&h, msg);
  h_raw(&h, "</p><p><a href=\"/\">");
  h_text(&h, W_("Back to the start page"));
  h_raw(&h, "</a></p>");
  rc = send_page(r, status, W_("Error"), &h);
  h_free(&h);
  return rc;
}

/* ---- gathering a request ---- */

int web_valid_utf8(const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    size_t len, k;
    unsigned cp;
    if (c == 0)
      return 0;
    if (c < 0x80) {
      i++;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return 0;
    }
    if (i + len > n)
      return 0;
    for (k = 1; k < len; k++) {
      unsigned char cc = (unsigned char)s[i + k];
      if ((cc & 0xC0) != 0x80)
        return 0;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return 0;
    i += len;
  }
  return 1;
}

int web_fields_valid(const web_req_t *r) {
  size_t i;
  for (i = 0; i < r->nfields; i++)
    if (!web_valid_utf8(r->fields[i].val, r->fields[i].len) ||
        !web_valid_utf8(r->fields[i].key, strlen(r->fields[i].key)))
      return 0;
  return 1;
}

int web_field_add(web_req_t *r, const char *key, const char *data, uint64_t off,
                  size_t size) {
  web_field_t *f = NULL;
  char *nv;
  if (key == NULL || strncmp(key, "__", 2) == 0)
    return 0; /* reserved for this program's own use */
  if (off > 0 && r->nfields > 0 &&
      strcmp(r->fields[r->nfields - 1].key, key) == 0) {
    f = &r->fields[r->nfields - 1];
  } else {
    if (r->nfields >= WEB_FIELDS_MAX) {
      r->too_many = 1;
      return 0;
    }
    f = &r->fields[r->nfields];
    f->key = strdup(key);
    f->val = NULL;
    f->len = 0;
    if (f->key == NULL)
      return -1;
    r->nfields++;
  }
  nv = malloc(f->len + size + 1);
  if (nv == NULL)
    return -1;
  if (f->val != NULL) {
    memcpy(nv, f->val, f->len);
    sodium_memzero(f->val, f->len);
    free(f->val);
  }
  memcpy(nv + f->len, data, size);
  f->len += size;
  nv[f->len] = '\0';
  f->val = nv;
  return 0;
}

static enum MHD_Result on_post(void *cls, enum MHD_ValueKind kind,
                               const char *key, const char *filename,
                               const char *ctype, const char *enc,
                               const char *data, uint64_t off, size_t size) {
  (void)kind;
  (void)filename;
  (void)ctype;
  (void)enc;
  return web_field_add(cls, key, data, off, size) == 0 ? MHD_YES : MHD_NO;
}

void web_fields_free(web_req_t *r) {
  size_t i;
  for (i = 0; i < r->nfields; i++) {
    if (r->fields[i].val != NULL) {
      sodium_memzero(r->fields[i].val, r->fields[i].len);
      free(r->fields[i].val);
    }
    free(r->fields[i].key);
  }
  r->nfields = 0;
}

static void req_free(web_req_t *r) {
  if (r->pp != NULL)
    MHD_destroy_post_processor(r->pp);
  web_fields_free(r);
  sodium_memzero(r, sizeof *r);
  free(r);
}

void web_request_completed(void *cls, struct MHD_Connection *c, void **ctx,
                           enum MHD_RequestTerminationCode toe);
void web_request_completed(void *cls, struct MHD_Connection *c, void **ctx,
                           enum MHD_RequestTerminationCode toe) {
  (void)cls;
  (void)c;
  (void)toe;
  if (*ctx != NULL)
    req_free(*ctx);
  *ctx = NULL;
}

static void client_addr(struct MHD_Connection *c, char out[64]) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  snprintf(out, 64, "?");
  if (ci == NULL || ci->client_addr == NULL)
    return;
  if (ci->client_addr->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr,
              out, 64);
  else if (ci->client_addr->sa_family == AF_INET6)
    inet_ntop(AF_INET6,
              &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, out,
              64);
}

static uint64_t now_ms(web_t *w) {
  uv_update_time(w->loop);
  return uv_now(w->loop);
}

enum MHD_Result web_access(void *cls, struct MHD_Connection *c, const char *url,
                           const char *method, const char *version,
                           const char *data, size_t *size, void **ctx);
enum MHD_Result web_access(void *cls, struct MHD_Connection *c, const char *url,
                           const char *method, const char *version,
                           const char *data, size_t *size, void **ctx) {
  web_t *w = cls;
  web_req_t *r = *ctx;
  const char *lang;
  (void)version;
  if (r == NULL) {
    r = calloc(1, sizeof *r);
    if (r == NULL)
      return MHD_NO;
    r->w = w;
    r->conn = c;
    r->method = method;
    r->url = url;
    r->post = strcmp(method, "POST") == 0;
    client_addr(c, r->addr);
    *ctx = r;
    if (r->post) {
      r->pp = MHD_create_post_processor(c, 16 * 1024, on_post, r);
      /* no form encoding we know (or none): the body is only counted */
    } else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
      r->lang = "en";
      return queue(r, 405, "text/plain; charset=utf-8",
                   (char *)"method not allowed", 18, 1, NULL, NULL);
    }
    return MHD_YES;
  }
  if (*size > 0) {
    r->body_bytes += *size;
    if (r->body_bytes > WEB_BODY_MAX)
      r->too_big = 1;
    else if (r->pp != NULL && MHD_post_process(r->pp, data, *size) != MHD_YES)
      r->too_many = 1;
    *size = 0;
    return MHD_YES;
  }
  /* the whole request is in */
  r->w->requests++;
  r->now_ms = now_ms(w);
  lang = MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "lang");
  r->lang = ayil_lang_valid(lang) != NULL ? ayil_lang_valid(lang) : "ky";
  ayil_node_set_lang(w->node, r->lang); /* node/'s messages, too */
  r->s = sess_find(w, MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "ayil_s"),
                   r->now_ms);
  if (r->too_big)
    return send_error(r, 413,
                      W_("The form is too large. Shorten the longest text "
                         "and send it again."));
  if (r->too_many || (r->post && r->pp == NULL && r->body_bytes > 0))
    return send_error(r, 400, W_("The form could not be read."));
  if (!web_fields_valid(r))
    return send_error(r, 400,
                      W_("The form holds text that is not valid UTF-8. "
                         "Type it again and send it."));
  if (r->post) {
    /* every POST carries the session's CSRF token, or (log-in) the token
     * of the pre-session cookie */
    const char *t = req_field(r, "csrf");
    const char *want =
        r->s != NULL
            ? r->s->csrf
            : MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "ayil_pre");
    if (!web_token_eq(t, want))
      return send_error(r, 403,
                        W_("This form has expired or did not come from this "
                           "app. Open the page again and resend it."));
  }
  return web_dispatch(r) == MHD_YES ? MHD_YES : MHD_NO;
}

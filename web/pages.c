/*
 * The committee's pages. Each handler does one use case through node.h and
 * renders the result; nothing here touches SQL or key files.
 *
 * URLs carry only codes and random record ids, never a name: a search is a
 * POST, filters are codes and months.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ayil/schema.h"
#include "i18n.h"
#include "report.h"
#include "web.h"

/* ---- the frame ---- */

void h_csrf(web_req_t *r, html_t *h) {
  const char *t = r->s != NULL ? r->s->csrf : NULL;
  char pre[WEB_TOKEN_TEXT];
  if (t == NULL) {
    /* before log-in: a pre-session token, also set as a cookie */
    const char *have =
        MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "ayil_pre");
    if (have != NULL && strlen(have) == WEB_TOKEN_TEXT - 1) {
      snprintf(pre, sizeof pre, "%s", have);
    } else {
      web_random_token(pre);
      snprintf(r->cookie2, sizeof r->cookie2,
               "ayil_pre=%s; Path=/; HttpOnly; Secure; SameSite=Strict", pre);
    }
    t = pre;
  }
  h_raw(h, "<input type=\"hidden\" name=\"csrf\" value=\"");
  h_text(h, t);
  h_raw(h, "\">");
}

void page_nav(web_req_t *r, html_t *h) {
  int i;
  h_raw(h, "<header><a class=\"brand\" href=\"/\">ayil</a><nav>");
  if (r->s != NULL && r->w->committee) {
    h_raw(h, "<a href=\"/records\">");
    h_text(h, W_("Records"));
    h_raw(h, "</a><a href=\"/new\">");
    h_text(h, W_("New record"));
    h_raw(h, "</a><a href=\"/search\">");
    h_text(h, W_("Search"));
    h_raw(h, "</a><a href=\"/report\">");
    h_text(h, W_("Report"));
    h_raw(h, "</a>");
    if (strcmp(r->s->role, "chair") == 0) {
      h_raw(h, "<a href=\"/members\">");
      h_text(h, W_("Members"));
      h_raw(h, "</a><a href=\"/audit\">");
      h_text(h, W_("Audit"));
      h_raw(h, "</a>");
    }
  }
  h_raw(h, "</nav><div class=\"langs\">");
  for (i = 0; i < AYIL_LANGS; i++) {
    if (strcmp(ayil_langs[i], r->lang) == 0)
      h_rawf(h, "<b>%s</b>", ayil_langs[i]);
    else {
      h_rawf(h, "<a href=\"/lang/%s?next=", ayil_langs[i]);
      h_text(h, r->post ? "/" : r->url);
      h_rawf(h, "\" hreflang=\"%s\">%s</a>", ayil_langs[i], ayil_langs[i]);
    }
  }
  h_raw(h, "</div>");
  if (r->s != NULL) {
    h_raw(h, "<div class=\"who\">");
    h_text(h, r->s->member);
    if (r->w->committee) {
      if (r->s->sk != NULL) {
        h_raw(h, " · <span class=\"unlocked\">");
        h_text(h, W_("unlocked"));
        h_raw(h, "</span> <form method=\"post\" action=\"/lock\">");
        h_csrf(r, h);
        h_raw(h, "<button>");
        h_text(h, W_("Lock"));
        h_raw(h, "</button></form>");
      } else {
        h_raw(h, " · <a href=\"/unlock\">");
        h_text(h, W_("Unlock"));
        h_raw(h, "</a>");
      }
    }
    h_raw(h, " <form method=\"post\" action=\"/logout\">");
    h_csrf(r, h);
    h_raw(h, "<button>");
    h_text(h, W_("Log out"));
    h_raw(h, "</button></form></div>");
  }
  h_raw(h, "</header>");
}

/* ---- helpers ---- */

static int sk_get(void *ctx, ayil_node_key_t *key) {
  key->sk = ctx;
  return 0;
}

/* The session's held secret as an unlock, or NULL when locked. One request
 * at a time (one thread), so one unlock serves them all. */
const ayil_node_unlock_t *web_unlock_of(web_req_t *r) {
  static ayil_node_unlock_t u;
  if (r->s == NULL || r->s->sk == NULL)
    return NULL;
  u.get = sk_get;
  u.done = NULL;
  u.ctx = r->s->sk;
  return &u;
}

/* A note with a link to Unlock, saying why. */
void web_unlock_note(web_req_t *r, html_t *h, const char *why) {
  h_raw(h, "<p class=\"note\">");
  h_text(h, why);
  h_raw(h, " <a href=\"/unlock\">");
  h_text(h, W_("Unlock"));
  h_raw(h, "</a></p>");
}

void web_actor(web_req_t *r) {
  ayil_node_set_actor(r->w->node, r->s != NULL ? r->s->member : "?", r->addr);
}

int web_node_error(web_req_t *r) {
  const ayil_node_err_t *e = ayil_node_error(r->w->node);
  return send_error(r, e->input ? 400 : 500, e->msg);
}

void web_kind_label(web_req_t *r, html_t *h, const char *kind) {
  h_text(h, L(r, "kind", kind));
}

static void code_label(web_req_t *r, html_t *h, const char *kind,
                       const char *field, const char *code) {
  char ctx[128];
  snprintf(ctx, sizeof ctx, "code.%s.%s", kind, field);
  h_text(h, L(r, ctx, code));
}

int web_is_hex_id(const char *s) {
  size_t i;
  if (s == NULL || strlen(s) != 32)
    return 0;
  for (i = 0; i < 32; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
      return 0;
  return 1;
}

static const char *status_of(const ayil_node_record_t *rec) {
  return json_string_value(json_object_get(rec->header, "status"));
}

/* A record as the values of its form: field names, header and body. */
json_t *web_values_of(const ayil_node_record_t *rec) {
  const ayil_kind_t *k = ayil_schema_kind(rec->kind);
  json_t *v = json_object();
  size_t i;
  if (k == NULL || v == NULL)
    return v;
  for (i = 0; i < k->nfields; i++) {
    const ayil_field_t *f = &k->fields[i];
    json_t *x =
        f->cls == AYIL_CLASS_A
            ? json_object_get(rec->header, f->hkey)
            : (rec->body != NULL ? json_object_get(rec->body, f->name) : NULL);
    if (x != NULL)
      json_object_set(v, f->name, x);
  }
  return v;
}

/* ---- the open cases, for the case pick-list ---- */

typedef struct {
  web_req_t *r;
  json_t *cases;
} cases_ctx_t;

static int case_one(void *ctx, const ayil_node_record_t *rec) {
  cases_ctx_t *c = ctx;
  const char *st = status_of(rec);
  html_t h;
  if (strcmp(rec->kind, "appeal") != 0 && strcmp(rec->kind, "family") != 0)
    return 0;
  if (st != NULL && (strcmp(st, "closed") == 0 || strcmp(st, "removed") == 0))
    return 0;
  h_init(&h);
  web_kind_label(c->r, &h, rec->kind);
  h_rawf(&h, " %s · ", rec->month);
  if (st != NULL)
    code_label(c->r, &h, rec->kind, "status", st);
  h_rawf(&h, " · %.8s", rec->idtext);
  json_array_append_new(c->cases, json_pack("{s:s, s:s}", "id", rec->idtext,
                                            "label", h.p != NULL ? h.p : ""));
  h_free(&h);
  return 0;
}

json_t *web_open_cases(web_req_t *r) {
  cases_ctx_t c = {r, json_array()};
  (void)ayil_node_record_list(r->w->node, NULL, NULL, case_one, &c);
  return c.cases;
}

/* ---- home ---- */

typedef struct {
  char month[8];
  int64_t by_kind[16];
  int64_t total;
} month_ctx_t;

static int count_month(void *ctx, const ayil_node_record_t *rec) {
  month_ctx_t *m = ctx;
  size_t i;
  if (strcmp(rec->month, m->month) != 0)
    return 0;
  m->total++;
  for (i = 0; i < ayil_schema_nkinds() && i < 16; i++)
    if (strcmp(ayil_schema_kind_at(i)->name, rec->kind) == 0)
      m->by_kind[i]++;
  return 0;
}

static void ago(web_req_t *r, html_t *h, int64_t secs) {
  if (secs < 120)
    h_text(h, W_("just now"));
  else if (secs < 7200)
    h_textn_num(h, W_("{n} minutes ago"), (long long)(secs / 60));
  else if (secs < 2 * 86400)
    h_textn_num(h, W_("{n} hours ago"), (long long)(secs / 3600));
  else
    h_textn_num(h, W_("{n} days ago"), (long long)(secs / 86400));
}

static int page_home(web_req_t *r) {
  month_ctx_t m;
  ayil_node_status_t st;
  time_t now = time(NULL);
  struct tm tm;
  html_t h;
  size_t i;
  int rc;
  memset(&m, 0, sizeof m);
  localtime_r(&now, &tm);
  strftime(m.month, sizeof m.month, "%Y-%m", &tm);
  h_init(&h);
  h_raw(&h, "<h1>");
  h_text(&h, ayil_node_config(r->w->node)->name);
  h_raw(&h, "</h1><section class=\"sync\"><h2>");
  h_text(&h, W_("Sync with the hub"));
  h_raw(&h, "</h2><p id=\"sync-state\">");
  memset(&st, 0, sizeof st);
  if (ayil_node_status(r->w->node, (int64_t)now, &st) == 0) {
    int64_t waiting = 0, last = 0;
    int known = 0;
    for (i = 0; i < st.npeers; i++) {
      if (st.peers[i].has_unacked_out)
        waiting += st.peers[i].unacked_out;
      if (st.peers[i].has_last_ack) {
        known = 1;
        if (st.peers[i].last_ack > last)
          last = st.peers[i].last_ack;
      }
    }
    if (st.enrollment_pending)
      h_text(&h, W_("Waiting for the hub operator to confirm this node"));
    else if (!known)
      h_text(&h, W_("Not synced with the hub yet"));
    else {
      h_text(&h, W_("Last synced with the hub"));
      h_raw(&h, " ");
      ago(r, &h, (int64_t)now - last / (last > 100000000000LL ? 1000 : 1));
    }
    h_raw(&h, "; ");
    if (waiting == 0)
      h_text(&h, W_("nothing waiting to be sent"));
    else
      h_textn_num(&h, W_("{n} records waiting to be sent"), (long long)waiting);
    h_raw(&h, ".");
    ayil_node_status_free(&st);
  }
  h_raw(&h, "</p></section><section><h2>");
  h_text(&h, W_("This month"));
  h_rawf(&h, " (%s)</h2>", m.month);
  rc = ayil_node_record_list(r->w->node, NULL, NULL, count_month, &m);
  if (rc != 0) {
    h_free(&h);
    return web_node_error(r);
  }
  h_raw(&h, "<table class=\"counts\" id=\"month-counts\">");
  for (i = 0; i < ayil_schema_nkinds() && i < 16; i++) {
    const char *kn = ayil_schema_kind_at(i)->name;
    h_raw(&h, "<tr><th>");
    web_kind_label(r, &h, kn);
    h_rawf(&h, "</th><td>%lld</td><td><a href=\"/new/%s\">+ ",
           (long long)m.by_kind[i], kn);
    h_text(&h, W_("add"));
    h_raw(&h, "</a></td></tr>");
  }
  h_rawf(&h, "<tr class=\"total\"><th>");
  h_text(&h, W_("All records"));
  h_rawf(&h, "</th><td>%lld</td><td></td></tr></table>", (long long)m.total);
  h_raw(&h, "<p><a href=\"/report\">");
  h_text(&h, W_("The committee's report"));
  h_raw(&h, "</a></p></section>");
  rc = send_page(r, 200, W_("Home"), &h);
  h_free(&h);
  return rc;
}

/* ---- lists ---- */

/* Rows per page of a list: a page stays small on a 2G phone. */
#define WEB_PAGE_ROWS 100

typedef struct {
  web_req_t *r;
  html_t *h;
  const char *kind, *month, *status;
  size_t matched, first, shown;
} list_ctx_t;

void web_record_row(web_req_t *r, html_t *h, const ayil_node_record_t *rec,
                    const char *date) {
  const char *st = status_of(rec);
  h_rawf(h, "<tr><td><a href=\"/r/%s\">", rec->idtext);
  web_kind_label(r, h, rec->kind);
  h_raw(h, "</a></td><td>");
  h_text(h, date != NULL ? date : rec->month);
  h_raw(h, "</td><td>");
  if (st != NULL)
    code_label(r, h, rec->kind, "status", st);
  h_rawf(h, "</td><td class=\"id\">%.8s</td></tr>", rec->idtext);
}

static int list_one(void *ctx, const ayil_node_record_t *rec) {
  list_ctx_t *c = ctx;
  const char *st = status_of(rec);
  if (c->month != NULL && c->month[0] != '\0' &&
      strcmp(rec->month, c->month) != 0)
    return 0;
  if (c->status != NULL && c->status[0] != '\0' &&
      (st == NULL || strcmp(st, c->status) != 0))
    return 0;
  if (c->matched++ < c->first || c->shown >= WEB_PAGE_ROWS)
    return 0;
  c->shown++;
  web_record_row(c->r, c->h, rec, NULL);
  return 0;
}

static void select_codes(web_req_t *r, html_t *h, const char *name,
                         const char *const *codes, size_t n, const char *cur,
                         const char *kind_ctx) {
  size_t i;
  h_rawf(h, "<select name=\"%s\" id=\"q-%s\"><option value=\"\">", name, name);
  h_text(h, W_("all"));
  h_raw(h, "</option>");
  for (i = 0; i < n; i++) {
    h_raw(h, "<option value=\"");
    h_text(h, codes[i]);
    h_raw(h,
          cur != NULL && strcmp(cur, codes[i]) == 0 ? "\" selected>" : "\">");
    if (kind_ctx != NULL)
      h_text(h, L(r, kind_ctx, codes[i]));
    else
      h_text(h, L(r, "kind", codes[i]));
    h_raw(h, "</option>");
  }
  h_raw(h, "</select>");
}

static const char *month_arg(const char *m) {
  if (m == NULL || strlen(m) != 7 || m[4] != '-')
    return NULL;
  return m;
}

static int page_list(web_req_t *r) {
  const char *kind = req_arg(r, "kind"), *status = req_arg(r, "status");
  const char *month = month_arg(req_arg(r, "month"));
  const char *kinds[16], *stat[16];
  const ayil_kind_t *k = NULL;
  list_ctx_t c;
  html_t h;
  size_t i, ns = 0;
  char ctx[64] = "";
  int rc;
  if (kind != NULL && kind[0] != '\0') {
    k = ayil_schema_kind(kind);
    if (k == NULL)
      return send_error(r, 400, W_("Unknown kind of record."));
    kind = k->name;
  } else {
    kind = NULL;
  }
  for (i = 0; i < ayil_schema_nkinds() && i < 16; i++)
    kinds[i] = ayil_schema_kind_at(i)->name;
  if (k != NULL) {
    const ayil_field_t *f = ayil_kind_field(k, "status");
    for (i = 0; f != NULL && i < f->ncodes && i < 16; i++)
      stat[ns++] = f->codes[i];
    snprintf(ctx, sizeof ctx, "code.%s.status", k->name);
    if (status != NULL && status[0] != '\0' &&
        (f == NULL || ayil_field_code_index(f, status) < 0))
      return send_error(r, 400, W_("Unknown status."));
  } else {
    status = NULL;
  }
  h_init(&h);
  h_raw(&h, "<h1>");
  h_text(&h, W_("Records"));
  h_raw(&h, "</h1><form method=\"get\" action=\"/records\" class=\"filters\">"
            "<label>");
  h_text(&h, W_("Kind"));
  h_raw(&h, " ");
  select_codes(r, &h, "kind", kinds, i < 16 ? ayil_schema_nkinds() : 16, kind,
               NULL);
  h_raw(&h, "</label><label>");
  h_text(&h, W_("Month"));
  h_raw(&h, " <input type=\"month\" name=\"month\" id=\"q-month\" value=\"");
  h_text(&h, month != NULL ? month : "");
  h_raw(&h, "\"></label>");
  if (ns > 0) {
    h_raw(&h, "<label>");
    h_text(&h, W_("Status"));
    h_raw(&h, " ");
    select_codes(r, &h, "status", stat, ns, status, ctx);
    h_raw(&h, "</label>");
  }
  h_raw(&h, "<button>");
  h_text(&h, W_("Show"));
  h_raw(&h, "</button></form><table class=\"list\" id=\"records\"><thead><tr>"
            "<th>");
  h_text(&h, W_("Kind"));
  h_raw(&h, "</th><th>");
  h_text(&h, W_("Month"));
  h_raw(&h, "</th><th>");
  h_text(&h, W_("Status"));
  h_raw(&h, "</th><th class=\"id\">");
  h_text(&h, W_("Id"));
  h_raw(&h, "</th></tr></thead><tbody>");
  memset(&c, 0, sizeof c);
  c.r = r;
  c.h = &h;
  c.kind = kind;
  c.month = month;
  c.status = status;
  {
    const char *pg = req_arg(r, "page");
    long p = pg != NULL ? strtol(pg, NULL, 10) : 1;
    if (p < 1 || p > 100000)
      p = 1;
    c.first = (size_t)(p - 1) * WEB_PAGE_ROWS;
  }
  rc = ayil_node_record_list(r->w->node, kind, NULL, list_one, &c);
  if (rc != 0) {
    h_free(&h);
    return web_node_error(r);
  }
  h_raw(&h, "</tbody></table>");
  if (c.matched == 0) {
    h_raw(&h, "<p class=\"empty\">");
    h_text(&h, W_("No records."));
    h_raw(&h, "</p>");
  } else {
    size_t page = c.first / WEB_PAGE_ROWS + 1;
    h_raw(&h, "<p class=\"pages\" id=\"pages\">");
    h_textn_num(&h, W_("{n} records"), (long long)c.matched);
    if (c.matched > WEB_PAGE_ROWS) {
      h_raw(&h, " · ");
      h_textn_num(&h, W_("page {n}"), (long long)page);
    }
    if (page > 1 || c.first + c.shown < c.matched) {
      const char *const dirs[2] = {"prev", "next"};
      int d;
      for (d = 0; d < 2; d++) {
        size_t to = d == 0 ? page - 1 : page + 1;
        if ((d == 0 && page <= 1) || (d == 1 && c.first + c.shown >= c.matched))
          continue;
        h_rawf(&h, " <a rel=\"%s\" href=\"/records?kind=", dirs[d]);
        h_text(&h, kind != NULL ? kind : "");
        h_raw(&h, "&amp;month=");
        h_text(&h, month != NULL ? month : "");
        h_raw(&h, "&amp;status=");
        h_text(&h, status != NULL ? status : "");
        h_rawf(&h, "&amp;page=%zu\">", to);
        h_text(&h, d == 0 ? W_("‹ previous") : W_("next ›"));
        h_raw(&h, "</a>");
      }
    }
    h_raw(&h, "</p>");
  }
  rc = send_page(r, 200, W_("Records"), &h);
  h_free(&h);
  return rc;
}

/* ---- log-in, unlock ---- */

static int login_form(web_req_t *r, unsigned status, const char *msg,
                      const char *action, int unlock) {
  html_t h;
  int rc;
  h_init(&h);
  h_raw(&h, "<h1>");
  h_text(&h, unlock ? W_("Unlock the records")
                    : ayil_node_config(r->w->node)->name);
  h_raw(&h, "</h1>");
  if (unlock) {
    h_raw(&h, "<p class=\"note\">");
    h_text(&h, W_("Your password opens the sealed fields (names, addresses, "
                  "stories) for this session. Lock when you are done."));
    h_raw(&h, "</p>");
  }
  if (msg != NULL) {
    h_raw(&h, "<p class=\"error\" role=\"alert\" id=\"login-error\">");
    h_text(&h, msg);
    h_raw(&h, "</p>");
  }
  h_raw(&h, "<form method=\"post\" class=\"login\" action=\"");
  h_text(&h, action);
  h_raw(&h, "\">");
  h_csrf(r, &h);
  if (!unlock) {
    h_raw(&h, "<label for=\"member\">");
    h_text(&h, W_("Your name"));
    h_raw(&h, "</label><input id=\"member\" name=\"member\" "
              "autocomplete=\"username\" required>");
  }
  h_raw(&h, "<label for=\"password\">");
  h_text(&h, W_("Password"));
  h_raw(&h, "</label><input id=\"password\" name=\"password\" "
            "type=\"password\" autocomplete=\"current-password\" required>"
            "<button type=\"submit\" class=\"primary\">");
  h_text(&h, unlock ? W_("Unlock") : W_("Log in"));
  h_raw(&h, "</button></form>");
  rc = send_page(r, status, unlock ? W_("Unlock") : W_("Log in"), &h);
  h_free(&h);
  return rc;
}

static int do_login(web_req_t *r, int unlock) {
  const char *member = unlock ? r->s->member : req_field(r, "member");
  const char *pass = req_field(r, "password");
  uint8_t sk[AYIL_READER_SK_BYTES];
  char role[16], token[WEB_TOKEN_TEXT], cookie[160];
  unsigned wait;
  web_session_t *s;
  int rc;
  const char *action = unlock ? "/unlock" : "/login";
  if (member == NULL || pass == NULL || member[0] == '\0')
    return login_form(r, 400, W_("Enter your name and password."), action,
                      unlock);
  wait = throttle_wait(r->w, member, r->addr, r->now_ms);
  if (wait > 0) {
    char msg[256];
    const char *t = W_("Too many wrong passwords. Try again in {n} seconds.");
    const char *at = strstr(t, "{n}");
    if (at != NULL)
      snprintf(msg, sizeof msg, "%.*s%u%s", (int)(at - t), t, wait, at + 3);
    else
      snprintf(msg, sizeof msg, "%s", t);
    return login_form(r, 429, msg, action, unlock);
  }
  rc = ayil_node_member_login(r->w->node, member, pass, strlen(pass), role,
                              unlock ? sk : NULL);
  if (rc != 0) {
    if (rc == AYIL_EPASSPHRASE) {
      throttle_fail(r->w, member, r->addr, r->now_ms);
      fprintf(stderr, "ayil-web: failed log-in from %s\n", r->addr);
      return login_form(r, 401, W_("Wrong name or password."), action, unlock);
    }
    return web_node_error(r);
  }
  throttle_ok(r->w, member, r->addr);
  if (unlock) {
    rc = sess_unlock(r->s, sk);
    sodium_memzero(sk, sizeof sk);
    if (rc != 0)
      return send_error(r, 500, W_("Out of memory."));
    return send_redirect(r, "/", NULL);
  }
  s = sess_new(r->w, member, role, r->addr, r->now_ms, token);
  snprintf(cookie, sizeof cookie,
           "ayil_s=%s; Path=/; HttpOnly; Secure; SameSite=Strict", token);
  sodium_memzero(token, sizeof token);
  (void)s;
  return send_redirect(r, "/", cookie);
}

/* ---- members and audit (chair) ---- */

static int pw_get(void *ctx, ayil_node_key_t *key) {
  const char *const *p = ctx;
  key->pass = *p;
  key->passlen = strlen(*p);
  return 0;
}

static int page_members(web_req_t *r, const char *sub) {
  ayil_node_member_t *ms = NULL;
  size_t n = 0, i;
  html_t h;
  const char *msg = NULL;
  int rc;
  if (r->post) {
    const char *name = req_field(r, "name");
    const char *pass = req_field(r, "password");
    const char *role = req_field(r, "role");
    if (name == NULL)
      return send_error(r, 400, W_("Enter the member's name."));
    if (strcmp(sub, "remove") == 0) {
      rc = ayil_node_member_remove(r->w->node, name);
      if (rc == 0)
        sess_end_member(r->w, name);
    } else if (r->s->sk == NULL) {
      return send_redirect(r, "/unlock", NULL);
    } else if (pass == NULL || (strcmp(sub, "add") == 0 && role == NULL)) {
      return send_error(r, 400, W_("Enter the member's name and password."));
    } else {
      /* the new password, through the node's unlock callback */
      ayil_node_unlock_t newpw;
      const char *pc = pass;
      newpw.get = pw_get;
      newpw.done = NULL;
      newpw.ctx = &pc;
      if (strcmp(sub, "add") == 0)
        rc = ayil_node_member_add(r->w->node, name, role, web_unlock_of(r),
                                  &newpw);
      else
        rc =
            ayil_node_member_passwd(r->w->node, name, web_unlock_of(r), &newpw);
      if (rc == 0 && strcmp(sub, "passwd") == 0)
        sess_end_member(r->w, name);
    }
    if (rc != 0)
      msg = ayil_node_errmsg(r->w->node);
    else
      return send_redirect(r, "/members", NULL);
  }
  rc = ayil_node_members(r->w->node, &ms, &n);
  if (rc != 0)
    return web_node_error(r);
  h_init(&h);
  h_raw(&h, "<h1>");
  h_text(&h, W_("Members"));
  h_raw(&h, "</h1>");
  if (msg != NULL) {
    h_raw(&h, "<p class=\"error\" role=\"alert\">");
    h_text(&h, msg);
    h_raw(&h, "</p>");
  }
  h_raw(&h, "<table class=\"list\" id=\"members\"><tbody>");
  for (i = 0; i < n; i++) {
    h_raw(&h, "<tr><td>");
    h_text(&h, ms[i].name);
    h_raw(&h, "</td><td>");
    h_text(&h, strcmp(ms[i].role, "chair") == 0 ? W_("chair") : W_("member"));
    h_raw(&h, "</td><td><form method=\"post\" action=\"/members/remove\">");
    h_csrf(r, &h);
    h_raw(&h, "<input type=\"hidden\" name=\"name\" value=\"");
    h_text(&h, ms[i].name);
    h_raw(&h, "\"><button class=\"danger\">");
    h_text(&h, W_("Remove"));
    h_raw(&h, "</button></form></td></tr>");
  }
  h_raw(&h, "</tbody></table>");
  free(ms);
  if (r->s->sk == NULL) {
    web_unlock_note(
        r, &h,
        W_("To add a member or set a password, unlock first: the new "
           "key slot is made from the unlocked key."));
  } else {
    h_raw(&h, "<h2>");
    h_text(&h, W_("Add a member"));
    h_raw(&h, "</h2><form method=\"post\" action=\"/members/add\" "
              "class=\"login\">");
    h_csrf(r, &h);
    h_raw(&h, "<label for=\"m-name\">");
    h_text(&h, W_("Name"));
    h_raw(&h, "</label><input id=\"m-name\" name=\"name\" required><label "
              "for=\"m-role\">");
    h_text(&h, W_("Role"));
    h_raw(&h, "</label><select id=\"m-role\" name=\"role\"><option "
              "value=\"member\">");
    h_text(&h, W_("member"));
    h_raw(&h, "</option><option value=\"chair\">");
    h_text(&h, W_("chair"));
    h_raw(&h, "</option></select><label for=\"m-pass\">");
    h_text(&h, W_("Password (at least 8 characters)"));
    h_raw(&h,
          "</label><input id=\"m-pass\" name=\"password\" type=\"password\" "
          "autocomplete=\"new-password\" required><button "
          "class=\"primary\">");
    h_text(&h, W_("Add"));
    h_raw(&h, "</button></form><h2>");
    h_text(&h, W_("Set a member's password"));
    h_raw(&h, "</h2><form method=\"post\" action=\"/members/passwd\" "
              "class=\"login\">");
    h_csrf(r, &h);
    h_raw(&h, "<label for=\"p-name\">");
    h_text(&h, W_("Name"));
    h_raw(&h, "</label><input id=\"p-name\" name=\"name\" required><label "
              "for=\"p-pass\">");
    h_text(&h, W_("New password"));
    h_raw(&h, "</label><input id=\"p-pass\" name=\"password\" "
              "type=\"password\" autocomplete=\"new-password\" required>"
              "<button>");
    h_text(&h, W_("Set"));
    h_raw(&h, "</button></form>");
  }
  rc = send_page(r, msg != NULL ? 400 : 200, W_("Members"), &h);
  h_free(&h);
  return rc;
}

/* An audit action (AYIL_AUDIT_*) in the member's words. */
static const char *audit_action(web_req_t *r, const char *a) {
  if (strcmp(a, AYIL_AUDIT_SHOW) == 0)
    return W_("opened");
  if (strcmp(a, AYIL_AUDIT_LIST) == 0)
    return W_("listed");
  if (strcmp(a, AYIL_AUDIT_SEARCH) == 0)
    return W_("searched");
  if (strcmp(a, AYIL_AUDIT_PRINT) == 0)
    return W_("printed");
  if (strcmp(a, AYIL_AUDIT_EXPORT) == 0)
    return W_("exported");
  return a;
}

static int page_audit(web_req_t *r) {
  ayil_node_audit_t *a = NULL;
  size_t n = 0, i;
  html_t h;
  int rc = ayil_node_audit(r->w->node, 500, &a, &n);
  if (rc != 0)
    return web_node_error(r);
  h_init(&h);
  h_raw(&h, "<h1>");
  h_text(&h, W_("Audit: who opened which record"));
  h_raw(&h, "</h1><table class=\"list\" id=\"audit\"><thead><tr><th>");
  h_text(&h, W_("When"));
  h_raw(&h, "</th><th>");
  h_text(&h, W_("Who"));
  h_raw(&h, "</th><th>");
  h_text(&h, W_("What"));
  h_raw(&h, "</th><th>");
  h_text(&h, W_("Record"));
  h_raw(&h, "</th></tr></thead><tbody>");
  for (i = 0; i < n; i++) {
    char when[AYIL_TIME_TEXT];
    ayil_node_time_text(a[i].at, when, sizeof when);
    h_rawf(&h, "<tr><td>%s</td><td>", when);
    h_text(&h, a[i].member);
    h_raw(&h, "<br><small class=\"id\">"); /* from where */
    h_text(&h, a[i].addr);
    h_raw(&h, "</small></td><td>");
    h_text(&h, audit_action(r, a[i].action));
    h_raw(&h, "</td><td>");
    if (web_is_hex_id(a[i].idtext))
      h_rawf(&h, "<a href=\"/r/%s\">%.8s</a>", a[i].idtext, a[i].idtext);
    h_raw(&h, "</td></tr>");
  }
  h_raw(&h, "</tbody></table>");
  free(a);
  rc = send_page(r, 200, W_("Audit"), &h);
  h_free(&h);
  return rc;
}

/* ---- the committee's own report ---- */

int web_report(web_req_t *r);
int web_report(web_req_t *r) {
  ayil_report_t *rep = NULL;
  uint64_t unknown = 0, bad = 0;
  char *buf = NULL;
  size_t len = 0;
  FILE *f;
  struct MHD_Response *resp;
  int rc = ayil_report_new(&rep, NULL, NULL, NULL);
  if (rc == 0)
    rc = ayil_node_report(r->w->node, rep, &unknown, &bad);
  if (rc != 0) {
    ayil_report_free(rep);
    return web_node_error(r);
  }
  f = open_memstream(&buf, &len);
  if (f == NULL) {
    ayil_report_free(rep);
    return send_error(r, 500, W_("Out of memory."));
  }
  rc = ayil_report_write(rep, f, "html", r->lang, AYIL_REPORT_SUPPRESS_DEFAULT);
  fclose(f);
  ayil_report_free(rep);
  if (rc != 0) {
    free(buf);
    return send_error(r, 500, W_("The report could not be made."));
  }
  resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
  if (resp == NULL) {
    free(buf);
    return MHD_NO;
  }
  /* The report page is one self-contained file with inline CSS and SVG
   * (it is also saved and mailed): styles inline, still no script. */
  MHD_add_response_header(resp, "Content-Security-Policy",
                          "default-src 'none'; style-src 'unsafe-inline'; "
                          "img-src data:; frame-ancestors 'none'; "
                          "base-uri 'none'; form-action 'none'");
  MHD_add_response_header(resp, "X-Frame-Options", "DENY");
  MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, "Cache-Control", "no-store");
  MHD_add_response_header(resp, "Content-Type", "text/html; charset=utf-8");
  rc = MHD_queue_response(r->conn, 200, resp);
  MHD_destroy_response(resp);
  return rc;
}

/* ---- routing ---- */

int page_committee(web_req_t *r) {
  const char *u = r->url;
  char id[40];
  if (strcmp(u, "/login") == 0) {
    if (r->post)
      return do_login(r, 0);
    if (r->s != NULL)
      return send_redirect(r, "/", NULL);
    return login_form(r, 200, NULL, "/login", 0);
  }
  if (r->s == NULL)
    return r->post ? send_error(r, 403, W_("Log in first."))
                   : send_redirect(r, "/login", NULL);
  if (strcmp(u, "/logout") == 0 && r->post) {
    sess_end(r->s);
    r->s = NULL;
    return send_redirect(r, "/login",
                         "ayil_s=; Path=/; HttpOnly; Secure; SameSite=Strict; "
                         "Max-Age=0");
  }
  if (strcmp(u, "/") == 0)
    return page_home(r);
  if (strcmp(u, "/unlock") == 0)
    return r->post ? do_login(r, 1) : login_form(r, 200, NULL, "/unlock", 1);
  if (strcmp(u, "/lock") == 0 && r->post) {
    sess_lock(r->s);
    return send_redirect(r, "/", NULL);
  }
  if (strcmp(u, "/records") == 0)
    return page_list(r);
  if (strcmp(u, "/new") == 0)
    return page_pick_kind(r);
  if (strncmp(u, "/new/", 5) == 0)
    return page_new(r, u + 5);
  if (strcmp(u, "/search") == 0)
    return page_search(r);
  if (strcmp(u, "/report") == 0)
    return web_report(r);
  if (strcmp(u, "/members") == 0 || strncmp(u, "/members/", 9) == 0) {
    if (strcmp(r->s->role, "chair") != 0)
      return send_error(r, 403, W_("Only the chair manages members."));
    if (r->post &&
        (strcmp(u, "/members/add") == 0 || strcmp(u, "/members/remove") == 0 ||
         strcmp(u, "/members/passwd") == 0))
      return page_members(r, u + 9);
    if (r->post)
      return send_error(r, 404, W_("There is no such page."));
    return page_members(r, "");
  }
  if (strcmp(u, "/audit") == 0) {
    if (strcmp(r->s->role, "chair") != 0)
      return send_error(r, 403, W_("Only the chair reads the audit."));
    return page_audit(r);
  }
  if (strncmp(u, "/r/", 3) == 0 && strlen(u) >= 35) {
    memcpy(id, u + 3, 32);
    id[32] = '\0';
    if (!web_is_hex_id(id))
      return send_error(r, 404, W_("There is no such page."));
    if (u[35] == '\0')
      return page_record(r, id, 0);
    if (strcmp(u + 35, "/edit") == 0)
      return page_edit(r, id);
    if (strcmp(u + 35, "/delete") == 0)
      return page_delete(r, id);
    if (strcmp(u + 35, "/print") == 0)
      return page_record(r, id, 1);
  }
  return send_error(r, 404, W_("There is no such page."));
}

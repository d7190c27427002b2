/*
 * The committee's record pages: a new record, editing and deleting one,
 * one record or case with its linked records (and its print form), and
 * the search of unlocked bodies. Each handler does one use case through
 * node.h; nothing here touches SQL or key files.
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

/* ---- new, edit ---- */

int page_pick_kind(web_req_t *r) {
  html_t h;
  size_t i;
  int rc;
  h_init(&h);
  h_raw(&h, "<h1>");
  h_text(&h, W_("New record"));
  h_raw(&h, "</h1><ul class=\"kinds\">");
  for (i = 0; i < ayil_schema_nkinds(); i++) {
    const char *kn = ayil_schema_kind_at(i)->name;
    h_rawf(&h, "<li><a href=\"/new/%s\">", kn);
    web_kind_label(r, &h, kn);
    h_raw(&h, "</a></li>");
  }
  h_raw(&h, "</ul>");
  rc = send_page(r, 200, W_("New record"), &h);
  h_free(&h);
  return rc;
}

/* The node's problems with `in` added to the form's. */
static int check_input(web_req_t *r, const ayil_kind_t *k, const json_t *in,
                       const char *idtext, web_problems_t *probs) {
  ayil_node_problem_t np[WEB_PROBLEMS_MAX];
  size_t n = 0, i;
  if (ayil_node_record_check(r->w->node, k->name, in, idtext, np,
                             WEB_PROBLEMS_MAX, &n) != 0)
    return -1;
  for (i = 0; i < n && i < WEB_PROBLEMS_MAX; i++)
    web_problem_add(r, probs, k, np[i].field, np[i].what);
  return 0;
}

static int form_page(web_req_t *r, unsigned status, const ayil_kind_t *k,
                     const json_t *vals, const web_problems_t *probs,
                     const char *action, int update, const char *back_id) {
  json_t *cases = ayil_kind_field(k, "case") != NULL ? web_open_cases(r) : NULL;
  html_t h;
  int rc;
  h_init(&h);
  h_raw(&h, "<h1>");
  web_kind_label(r, &h, k->name);
  h_raw(&h, "</h1>");
  if (back_id != NULL) {
    h_rawf(&h, "<p><a href=\"/r/%s\">", back_id);
    h_text(&h, W_("Back to the record"));
    h_raw(&h, "</a></p>");
  }
  if (update && (r->s == NULL || r->s->sk == NULL))
    web_unlock_note(r, &h, W_("Sealed fields are hidden until you unlock."));
  form_record(r, &h, k, vals, probs, action, cases, update,
              r->s != NULL && r->s->sk != NULL);
  json_decref(cases);
  rc = send_page(r, status, L(r, "kind", k->name), &h);
  h_free(&h);
  return rc;
}

int page_new(web_req_t *r, const char *kind) {
  const ayil_kind_t *k = ayil_schema_kind(kind);
  char action[64], idtext[AYIL_RECID_TEXT];
  uint8_t id[AYIL_RECID_BYTES];
  web_problems_t probs;
  json_t *in;
  int rc;
  if (k == NULL)
    return send_error(r, 404, W_("Unknown kind of record."));
  snprintf(action, sizeof action, "/new/%s", k->name);
  memset(&probs, 0, sizeof probs);
  if (!r->post) {
    json_t *vals = json_object();
    const char *c = req_arg(r, "case");
    if (web_is_hex_id(c) && ayil_kind_field(k, "case") != NULL)
      json_object_set_new(vals, "case", json_string(c));
    rc = form_page(r, 200, k, vals, NULL, action, 0, NULL);
    json_decref(vals);
    return rc;
  }
  in = form_input(r, k, 0, NULL, &probs);
  if (in == NULL)
    return send_error(r, 500, W_("Out of memory."));
  if (check_input(r, k, in, NULL, &probs) != 0) {
    json_decref(in);
    return web_node_error(r);
  }
  if (probs.n > 0 || probs.general[0] != '\0') {
    rc = form_page(r, 400, k, in, &probs, action, 0, NULL);
    json_decref(in);
    return rc;
  }
  rc = ayil_node_record_add(r->w->node, k->name, in, id);
  json_decref(in);
  if (rc != 0)
    return web_node_error(r);
  web_kick_ayild(r->w);
  ayil_recid_to_text(id, idtext);
  {
    char to[64];
    snprintf(to, sizeof to, "/r/%s", idtext);
    return send_redirect(r, to, NULL);
  }
}

static int load(web_req_t *r, const char *idtext, int with_body,
                ayil_node_record_t *rec) {
  web_actor(r);
  ayil_node_set_audit_action(r->w->node, AYIL_AUDIT_SHOW);
  return ayil_node_record_get(r->w->node, idtext,
                              with_body ? web_unlock_of(r) : NULL, rec);
}

int page_edit(web_req_t *r, const char *idtext) {
  ayil_node_record_t rec;
  const ayil_kind_t *k;
  web_problems_t probs;
  json_t *vals, *in;
  char action[64];
  uint8_t id[AYIL_RECID_BYTES];
  int rc = load(r, idtext, 1, &rec);
  if (rc != 0)
    return web_node_error(r);
  k = ayil_schema_kind(rec.kind);
  vals = web_values_of(&rec);
  snprintf(action, sizeof action, "/r/%s/edit", idtext);
  memset(&probs, 0, sizeof probs);
  if (!r->post) {
    rc = form_page(r, 200, k, vals, NULL, action, 1, idtext);
    goto out;
  }
  in = form_input(r, k, 1, vals, &probs);
  if (in != NULL && check_input(r, k, in, idtext, &probs) != 0) {
    json_decref(in);
    rc = web_node_error(r);
    goto out;
  }
  if (in == NULL || probs.n > 0 || probs.general[0] != '\0') {
    json_t *shown = json_deep_copy(vals);
    json_object_update(shown, in);
    rc = form_page(r, 400, k, shown, &probs, action, 1, idtext);
    json_decref(shown);
    json_decref(in);
    goto out;
  }
  if (json_object_size(in) == 0) {
    json_decref(in);
    char to[64];
    snprintf(to, sizeof to, "/r/%s", idtext);
    rc = send_redirect(r, to, NULL);
    goto out;
  }
  rc = ayil_node_record_update(r->w->node, idtext, in, web_unlock_of(r), id);
  json_decref(in);
  if (rc != 0) {
    rc = web_node_error(r);
    goto out;
  }
  web_kick_ayild(r->w);
  {
    char to[64];
    snprintf(to, sizeof to, "/r/%s", idtext);
    rc = send_redirect(r, to, NULL);
  }
out:
  json_decref(vals);
  ayil_node_record_clear(&rec);
  return rc;
}

int page_delete(web_req_t *r, const char *idtext) {
  ayil_node_record_t rec;
  uint8_t id[AYIL_RECID_BYTES];
  html_t h;
  int rc = load(r, idtext, 0, &rec);
  if (rc != 0)
    return web_node_error(r);
  if (r->post) {
    const char *back = json_string_value(json_object_get(rec.header, "case"));
    char to[64];
    if (back != NULL)
      snprintf(to, sizeof to, "/r/%s", back);
    else
      snprintf(to, sizeof to, "/records");
    rc = ayil_node_record_delete(r->w->node, idtext, id);
    ayil_node_record_clear(&rec);
    if (rc != 0)
      return web_node_error(r);
    web_kick_ayild(r->w);
    return send_redirect(r, to, NULL);
  }
  h_init(&h);
  h_raw(&h, "<h1>");
  h_text(&h, W_("Delete this record?"));
  h_raw(&h, "</h1><p>");
  web_kind_label(r, &h, rec.kind);
  h_rawf(&h, " · %s · %.8s</p><p class=\"warn\">", rec.month, rec.idtext);
  h_text(&h, W_("A deleted record cannot be brought back: its sealed fields "
                "are destroyed here and at the hub."));
  h_rawf(&h, "</p><form method=\"post\" action=\"/r/%s/delete\">", idtext);
  h_csrf(r, &h);
  h_raw(&h, "<button class=\"danger\" id=\"confirm-delete\">");
  h_text(&h, W_("Yes, delete it"));
  h_rawf(&h, "</button> <a href=\"/r/%s\">", idtext);
  h_text(&h, W_("No, keep it"));
  h_raw(&h, "</a></form>");
  ayil_node_record_clear(&rec);
  rc = send_page(r, 200, W_("Delete this record?"), &h);
  h_free(&h);
  return rc;
}

/* ---- one record, a case ---- */

static void value_text(web_req_t *r, html_t *h, const ayil_kind_t *k,
                       const ayil_field_t *f, const json_t *v) {
  char ctx[128];
  size_t i;
  snprintf(ctx, sizeof ctx, "code.%s.%s", k->name, f->name);
  if (json_is_string(v) && f->type == AYIL_FT_CODE)
    h_text(h, L(r, ctx, json_string_value(v)));
  else if (json_is_array(v)) {
    for (i = 0; i < json_array_size(v); i++) {
      if (i > 0)
        h_raw(h, ", ");
      h_text(h, L(r, ctx, json_string_value(json_array_get(v, i))));
    }
  } else if (json_is_boolean(v))
    h_text(h, L(r, "bool", json_is_true(v) ? "true" : "false"));
  else if (json_is_integer(v))
    h_rawf(h, "%lld", (long long)json_integer_value(v));
  else if (json_is_string(v) && f->type == AYIL_FT_CASE) {
    h_rawf(h, "<a href=\"/r/%s\">%.8s</a>", json_string_value(v),
           json_string_value(v));
  } else if (json_is_string(v))
    h_text(h, json_string_value(v));
}

static void fields_table(web_req_t *r, html_t *h, const ayil_node_record_t *rec,
                         int print) {
  const ayil_kind_t *k = ayil_schema_kind(rec->kind);
  char ctx[64];
  size_t i;
  if (k == NULL)
    return;
  snprintf(ctx, sizeof ctx, "field.%s", k->name);
  h_raw(h, "<table class=\"fields\" id=\"fields\">");
  for (i = 0; i < k->nfields; i++) {
    const ayil_field_t *f = &k->fields[i];
    const json_t *v =
        f->cls == AYIL_CLASS_A
            ? json_object_get(rec->header, f->hkey)
            : (rec->body != NULL ? json_object_get(rec->body, f->name) : NULL);
    if (v == NULL && (f->cls == AYIL_CLASS_A || rec->body != NULL))
      continue;
    h_rawf(h, "<tr class=\"%s\"><th>", f->cls == AYIL_CLASS_I ? "sealed" : "");
    h_text(h, L(r, ctx, f->name));
    if (f->cls == AYIL_CLASS_I && !print) {
      h_raw(h, "<span class=\"sealtag\">");
      h_text(h, W_("sealed"));
      h_raw(h, "</span>");
    }
    h_rawf(h, "</th><td data-field=\"%s\">", f->name);
    if (v == NULL && !print)
      h_raw(h, "<span class=\"locked\">••••</span>");
    else
      value_text(r, h, k, f, v);
    h_raw(h, "</td></tr>");
  }
  h_raw(h, "</table>");
}

typedef struct {
  web_req_t *r;
  html_t *h;
  size_t n;
  int print;
} linked_ctx_t;

static int linked_one(void *ctx, const ayil_node_record_t *rec) {
  linked_ctx_t *c = ctx;
  const char *date = rec->body != NULL
                         ? json_string_value(json_object_get(rec->body, "date"))
                         : NULL;
  c->n++;
  if (c->print) {
    h_raw(c->h, "<section class=\"linked\"><h3>");
    web_kind_label(c->r, c->h, rec->kind);
    h_raw(c->h, " · ");
    h_text(c->h, date != NULL ? date : rec->month);
    h_raw(c->h, "</h3>");
    fields_table(c->r, c->h, rec, 1);
    h_raw(c->h, "</section>");
  } else {
    web_record_row(c->r, c->h, rec, date);
  }
  return 0;
}

static const char *const linked_kinds[] = {
    "referral", "protection_order", "correction", "followup", "aid", "closure"};

int page_record(web_req_t *r, const char *idtext, int print) {
  ayil_node_record_t rec;
  html_t h;
  size_t i;
  int is_case, rc;
  const char *action = print ? AYIL_AUDIT_PRINT : AYIL_AUDIT_SHOW;
  if (print && (r->s == NULL || r->s->sk == NULL))
    return send_redirect(r, "/unlock", NULL);
  web_actor(r);
  ayil_node_set_audit_action(r->w->node, action);
  rc = ayil_node_record_get(r->w->node, idtext, web_unlock_of(r), &rec);
  if (rc != 0)
    return web_node_error(r);
  is_case = strcmp(rec.kind, "appeal") == 0 || strcmp(rec.kind, "family") == 0;
  h_init(&h);
  h_raw(&h, print ? "<article class=\"print\"><h1>" : "<h1>");
  web_kind_label(r, &h, rec.kind);
  h_rawf(&h, " <small class=\"id\">%.8s</small></h1>", rec.idtext);
  if (rec.body == NULL && !print)
    web_unlock_note(r, &h, W_("Sealed fields are hidden until you unlock."));
  fields_table(r, &h, &rec, print);
  if (!print) {
    h_rawf(&h, "<p class=\"actions\"><a class=\"button\" href=\"/r/%s/edit\">",
           idtext);
    h_text(&h, W_("Change"));
    h_rawf(&h, "</a> <a class=\"button\" href=\"/r/%s/delete\">", idtext);
    h_text(&h, W_("Delete"));
    h_raw(&h, "</a>");
    if (is_case && rec.body != NULL) {
      h_rawf(&h, " <a class=\"button\" href=\"/r/%s/print\">", idtext);
      h_text(&h, W_("Print the case"));
      h_raw(&h, "</a>");
    }
    h_raw(&h, "</p>");
  }
  if (is_case) {
    linked_ctx_t c = {r, &h, 0, print};
    h_raw(&h, "<section id=\"case\"><h2>");
    h_text(&h, strcmp(rec.kind, "family") == 0 ? W_("Follow-ups and work")
                                               : W_("The case"));
    h_raw(&h, "</h2>");
    if (!print)
      h_raw(&h, "<table class=\"list\" id=\"linked\"><tbody>");
    ayil_node_set_audit_action(r->w->node, action);
    rc = ayil_node_case_records(r->w->node, idtext, web_unlock_of(r),
                                linked_one, &c);
    if (!print)
      h_raw(&h, "</tbody></table>");
    if (rc != 0) {
      h_free(&h);
      ayil_node_record_clear(&rec);
      return web_node_error(r);
    }
    if (c.n == 0) {
      h_raw(&h, "<p class=\"empty\">");
      h_text(&h, W_("Nothing linked yet."));
      h_raw(&h, "</p>");
    }
    if (!print) {
      h_raw(&h, "<p class=\"add-linked\">");
      for (i = 0; i < sizeof linked_kinds / sizeof linked_kinds[0]; i++) {
        if (strcmp(rec.kind, "family") == 0 &&
            strcmp(linked_kinds[i], "followup") != 0 &&
            strcmp(linked_kinds[i], "aid") != 0)
          continue;
        h_rawf(&h, "<a class=\"button\" href=\"/new/%s?case=%s\">+ ",
               linked_kinds[i], idtext);
        web_kind_label(r, &h, linked_kinds[i]);
        h_raw(&h, "</a> ");
      }
      h_raw(&h, "</p>");
    }
    h_raw(&h, "</section>");
  }
  if (print)
    h_raw(&h, "</article>");
  rc = send_page(r, 200, L(r, "kind", rec.kind), &h);
  h_free(&h);
  ayil_node_record_clear(&rec);
  return rc;
}

/* ---- search (unlocked) ---- */

typedef struct {
  web_req_t *r;
  html_t *h;
  const char *q;
  size_t n;
} search_ctx_t;

/* Case-insensitive for ASCII; Cyrillic is matched as typed. */
static int contains(const char *hay, const char *needle) {
  size_t n = strlen(needle), i;
  if (n == 0)
    return 0;
  for (; *hay != '\0'; hay++) {
    for (i = 0; i < n && hay[i] != '\0'; i++) {
      char a = hay[i], b = needle[i];
      if (a >= 'A' && a <= 'Z')
        a = (char)(a - 'A' + 'a');
      if (b >= 'A' && b <= 'Z')
        b = (char)(b - 'A' + 'a');
      if (a != b)
        break;
    }
    if (i == n)
      return 1;
  }
  return 0;
}

static int search_one(void *ctx, const ayil_node_record_t *rec) {
  search_ctx_t *c = ctx;
  const char *key;
  json_t *v;
  if (rec->body == NULL)
    return 0;
  json_object_foreach(rec->body, key, v) {
    if (json_is_string(v) && contains(json_string_value(v), c->q)) {
      c->n++;
      web_record_row(c->r, c->h, rec,
                     json_string_value(json_object_get(rec->body, "date")));
      break;
    }
  }
  return 0;
}

int page_search(web_req_t *r) {
  html_t h;
  int rc;
  const char *q = req_field(r, "q");
  if (r->s->sk == NULL)
    return send_redirect(r, "/unlock", NULL);
  h_init(&h);
  h_raw(&h, "<h1>");
  h_text(&h, W_("Search by name"));
  h_raw(&h, "</h1><form method=\"post\" action=\"/search\" class=\"search\">");
  h_csrf(r, &h);
  h_raw(&h, "<input type=\"search\" name=\"q\" id=\"q\" autocomplete=\"off\" "
            "minlength=\"2\" value=\"");
  h_text(&h, q != NULL ? q : "");
  h_raw(&h, "\"><button>");
  h_text(&h, W_("Search"));
  h_raw(&h, "</button></form><p class=\"note\">");
  h_text(&h, W_("The search runs in memory and is not saved; each record it "
                "opens is written to the audit."));
  h_raw(&h, "</p>");
  if (r->post && q != NULL && strlen(q) >= 2) {
    search_ctx_t c = {r, &h, q, 0};
    h_raw(&h, "<table class=\"list\" id=\"results\"><tbody>");
    web_actor(r);
    ayil_node_set_audit_action(r->w->node, AYIL_AUDIT_SEARCH);
    rc = ayil_node_record_list(r->w->node, NULL, web_unlock_of(r), search_one,
                               &c);
    h_raw(&h, "</tbody></table>");
    if (rc != 0) {
      h_free(&h);
      return web_node_error(r);
    }
    if (c.n == 0) {
      h_raw(&h, "<p class=\"empty\">");
      h_text(&h, W_("Nothing found."));
      h_raw(&h, "</p>");
    }
  }
  rc = send_page(r, 200, W_("Search by name"), &h);
  h_free(&h);
  return rc;
}

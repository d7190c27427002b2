/*
 * Record forms, generated from the one dictionary (proto/schema.c): every
 * field of a kind becomes an input named by its RECORDS.md name; code
 * lists become pick-lists or checkboxes labelled in the member's language.
 * The submitted form goes back to the JSON input that node/ validates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ayil/schema.h"
#include "web.h"

static const char *problem_text(web_req_t *r, const ayil_field_t *f,
                                ayil_prob_t what) {
  switch (what) {
  case AYIL_PROB_REQUIRED:
    return W_("Required: fill this in.");
  case AYIL_PROB_CODE:
    return W_("Choose one of the options.");
  case AYIL_PROB_TOO_LONG:
    return W_("Too long: at most 16,384 bytes.");
  case AYIL_PROB_FUTURE:
    return W_("The date is after today.");
  case AYIL_PROB_CASE:
    return W_("Choose a case of this committee from the list.");
  case AYIL_PROB_FORMAT:
    if (f != NULL && f->type == AYIL_FT_DATE)
      return W_("Enter a date: day, month and year.");
    if (f != NULL && f->type == AYIL_FT_COUNT)
      return W_("Enter a whole number, 0 or more.");
    if (f != NULL && f->type == AYIL_FT_BOOL)
      return W_("Choose yes or no.");
    if (f != NULL && f->type == AYIL_FT_CASE)
      return W_("Choose a case of this committee from the list.");
    return W_("This value cannot be used here.");
  case AYIL_PROB_UNKNOWN:
  default:
    return W_("The form has a field that this record does not have.");
  }
}

void web_problem_add(web_req_t *r, web_problems_t *p, const ayil_kind_t *k,
                     const char *field, ayil_prob_t what) {
  const ayil_field_t *f =
      field != NULL && field[0] != '\0' ? ayil_kind_field(k, field) : NULL;
  size_t i;
  if (f == NULL) {
    snprintf(p->general, sizeof p->general, "%s", problem_text(r, f, what));
    return;
  }
  for (i = 0; i < p->n; i++)
    if (strcmp(p->p[i].field, f->name) == 0)
      return; /* the first problem of a field is enough */
  if (p->n >= WEB_PROBLEMS_MAX)
    return;
  snprintf(p->p[p->n].field, sizeof p->p[p->n].field, "%s", f->name);
  snprintf(p->p[p->n].msg, sizeof p->p[p->n].msg, "%s",
           problem_text(r, f, what));
  p->n++;
}

static const char *problem_of(const web_problems_t *p, const char *field) {
  size_t i;
  if (p == NULL)
    return NULL;
  for (i = 0; i < p->n; i++)
    if (strcmp(p->p[i].field, field) == 0)
      return p->p[i].msg;
  return NULL;
}

static int long_text(const char *name) {
  return strcmp(name, "narrative") == 0 || strcmp(name, "notes") == 0 ||
         strcmp(name, "members") == 0 || strcmp(name, "decisions") == 0;
}

static int has_code(const json_t *v, const char *code) {
  size_t i;
  if (json_is_string(v))
    return strcmp(json_string_value(v), code) == 0;
  for (i = 0; json_is_array(v) && i < json_array_size(v); i++)
    if (json_is_string(json_array_get(v, i)) &&
        strcmp(json_string_value(json_array_get(v, i)), code) == 0)
      return 1;
  return 0;
}

void form_record(web_req_t *r, html_t *h, const ayil_kind_t *k,
                 const json_t *vals, const web_problems_t *probs,
                 const char *action, const json_t *cases, int update,
                 int unlocked) {
  char ctx_field[64], ctx_hint[64], ctx_code[128], day[11];
  size_t i, j;
  ayil_node_today(day); /* the date input's max */
  snprintf(ctx_field, sizeof ctx_field, "field.%s", k->name);
  snprintf(ctx_hint, sizeof ctx_hint, "hint.%s", k->name);
  if (probs != NULL && (probs->n > 0 || probs->general[0] != '\0')) {
    h_raw(h, "<div class=\"error\" role=\"alert\" id=\"form-errors\">");
    h_text(h, W_("The record was not saved. Correct the fields marked "
                 "below."));
    if (probs->general[0] != '\0') {
      h_raw(h, " ");
      h_text(h, probs->general);
    }
    h_raw(h, "</div>");
  }
  h_raw(h, "<form method=\"post\" class=\"record\" action=\"");
  h_text(h, action);
  h_raw(h, "\" novalidate>");
  h_csrf(r, h);
  for (i = 0; i < k->nfields; i++) {
    const ayil_field_t *f = &k->fields[i];
    const json_t *v = vals != NULL ? json_object_get(vals, f->name) : NULL;
    const char *err = problem_of(probs, f->name);
    int locked = update && f->cls == AYIL_CLASS_I && !unlocked;
    snprintf(ctx_code, sizeof ctx_code, "code.%s.%s", k->name, f->name);
    h_rawf(h, "<div class=\"field%s%s\" id=\"f-%s\">", err ? " bad" : "",
           f->cls == AYIL_CLASS_I ? " sealed" : "", f->name);
    if (f->type != AYIL_FT_CODES)
      h_rawf(h, "<label for=\"i-%s\">", f->name);
    else
      h_raw(h, "<fieldset><legend>");
    h_text(h, L(r, ctx_field, f->name));
    if (f->required)
      h_raw(h, " <span class=\"req\">*</span>");
    if (f->cls == AYIL_CLASS_I) {
      h_raw(h, "<span class=\"sealtag\">");
      h_text(h, W_("sealed"));
      h_raw(h, "</span>");
    }
    h_raw(h, f->type != AYIL_FT_CODES ? "</label>" : "</legend>");
    {
      const char *hint = L(r, ctx_hint, f->name);
      if (hint != f->name) { /* no hint written: none shown */
        h_raw(h, "<small class=\"hint\">");
        h_text(h, hint);
        h_raw(h, "</small>");
      }
    }
    if (err != NULL) {
      h_rawf(h, "<p class=\"ferr\" id=\"e-%s\">", f->name);
      h_text(h, err);
      h_raw(h, "</p>");
    }
    if (locked) {
      h_raw(h, "<p class=\"locked\">");
      h_text(h, W_("Sealed. Unlock to see or change it."));
      h_raw(h, "</p></div>");
      continue;
    }
    switch (f->type) {
    case AYIL_FT_DATE:
      h_rawf(h, "<input type=\"date\" id=\"i-%s\" name=\"%s\" max=\"%s\"",
             f->name, f->name, day);
      if (json_is_string(v)) {
        h_raw(h, " value=\"");
        h_text(h, json_string_value(v));
        h_raw(h, "\"");
      }
      h_raw(h, f->required ? " required>" : ">");
      break;
    case AYIL_FT_CODE:
      h_rawf(h, "<select id=\"i-%s\" name=\"%s\"><option value=\"\">", f->name,
             f->name);
      h_text(h, W_("(choose)"));
      h_raw(h, "</option>");
      for (j = 0; j < f->ncodes; j++) {
        h_raw(h, "<option value=\"");
        h_text(h, f->codes[j]);
        h_raw(h, has_code(v, f->codes[j]) ? "\" selected>" : "\">");
        h_text(h, L(r, ctx_code, f->codes[j]));
        h_raw(h, "</option>");
      }
      h_raw(h, "</select>");
      break;
    case AYIL_FT_CODES:
      h_raw(h, "<div class=\"checks\">");
      for (j = 0; j < f->ncodes; j++) {
        h_rawf(h, "<label><input type=\"checkbox\" name=\"%s\" value=\"",
               f->name);
        h_text(h, f->codes[j]);
        h_raw(h, has_code(v, f->codes[j]) ? "\" checked> " : "\"> ");
        h_text(h, L(r, ctx_code, f->codes[j]));
        h_raw(h, "</label>");
      }
      h_raw(h, "</div></fieldset>");
      break;
    case AYIL_FT_BOOL:
      h_rawf(h, "<select id=\"i-%s\" name=\"%s\"><option value=\"\">", f->name,
             f->name);
      h_text(h, W_("(choose)"));
      h_rawf(h, "</option><option value=\"true\"%s>",
             json_is_true(v) ? " selected" : "");
      h_text(h, L(r, "bool", "true"));
      h_rawf(h, "</option><option value=\"false\"%s>",
             json_is_false(v) ? " selected" : "");
      h_text(h, L(r, "bool", "false"));
      h_raw(h, "</option></select>");
      break;
    case AYIL_FT_COUNT:
      h_rawf(h,
             "<input type=\"number\" id=\"i-%s\" name=\"%s\" min=\"0\" "
             "max=\"%d\" step=\"1\" inputmode=\"numeric\"",
             f->name, f->name, AYIL_COUNT_MAX);
      if (json_is_integer(v))
        h_rawf(h, " value=\"%lld\"", (long long)json_integer_value(v));
      else if (json_is_string(v)) { /* as typed, when it was refused */
        h_raw(h, " value=\"");
        h_text(h, json_string_value(v));
        h_raw(h, "\"");
      }
      h_raw(h, ">");
      break;
    case AYIL_FT_CASE: {
      const char *cur = json_string_value(v);
      h_rawf(h, "<select id=\"i-%s\" name=\"%s\"><option value=\"\">", f->name,
             f->name);
      h_text(h, W_("(choose a case)"));
      h_raw(h, "</option>");
      for (j = 0; json_is_array(cases) && j < json_array_size(cases); j++) {
        const json_t *c = json_array_get(cases, j);
        const char *id = json_string_value(json_object_get(c, "id"));
        if (id == NULL)
          continue;
        h_raw(h, "<option value=\"");
        h_text(h, id);
        h_raw(h, cur != NULL && strcmp(cur, id) == 0 ? "\" selected>" : "\">");
        h_text(h, json_string_value(json_object_get(c, "label")));
        h_raw(h, "</option>");
      }
      h_raw(h, "</select>");
      break;
    }
    case AYIL_FT_TEXT:
    default:
      if (long_text(f->name)) {
        h_rawf(h, "<textarea id=\"i-%s\" name=\"%s\" rows=\"4\">", f->name,
               f->name);
        if (json_is_string(v))
          h_text(h, json_string_value(v));
        h_raw(h, "</textarea>");
      } else {
        h_rawf(h,
               "<input type=\"text\" id=\"i-%s\" name=\"%s\" "
               "autocomplete=\"off\"%s",
               f->name, f->name,
               strstr(f->name, "phone") != NULL ? " inputmode=\"tel\"" : "");
        if (json_is_string(v)) {
          h_raw(h, " value=\"");
          h_text(h, json_string_value(v));
          h_raw(h, "\"");
        }
        h_raw(h, ">");
      }
      break;
    }
    h_raw(h, "</div>");
  }
  h_raw(h, "<p class=\"legend\"><span class=\"req\">*</span> ");
  h_text(h, W_("required"));
  h_raw(h, " · <span class=\"sealtag\">");
  h_text(h, W_("sealed"));
  h_raw(h, "</span> ");
  h_text(h, W_("only this committee can read it"));
  h_raw(h, "</p><button type=\"submit\" class=\"primary\">");
  h_text(h, W_("Save"));
  h_raw(h, "</button></form>");
}

/* Every value the form sent for `key`, into a new array. */
static json_t *all_values(web_req_t *r, const char *key) {
  json_t *a = json_array();
  size_t i;
  for (i = 0; a != NULL && i < r->nfields; i++)
    if (strcmp(r->fields[i].key, key) == 0 && r->fields[i].len > 0)
      json_array_append_new(a,
                            json_stringn(r->fields[i].val, r->fields[i].len));
  return a;
}

static int known_key(const ayil_kind_t *k, const char *key) {
  return strcmp(key, "csrf") == 0 || ayil_kind_field(k, key) != NULL;
}

json_t *form_input(web_req_t *r, const ayil_kind_t *k, int update,
                   const json_t *old, web_problems_t *probs) {
  json_t *in = json_object();
  size_t i;
  if (in == NULL)
    return NULL;
  for (i = 0; i < r->nfields; i++)
    if (!known_key(k, r->fields[i].key))
      web_problem_add(r, probs, k, NULL, AYIL_PROB_UNKNOWN);
  for (i = 0; i < k->nfields; i++) {
    const ayil_field_t *f = &k->fields[i];
    const json_t *ov = old != NULL ? json_object_get(old, f->name) : NULL;
    const char *s = req_field(r, f->name);
    json_t *nv = NULL;
    if (update && f->cls == AYIL_CLASS_I && (r->s == NULL || r->s->sk == NULL))
      continue; /* locked: the body stays as it is */
    if (f->type == AYIL_FT_CODES) {
      nv = all_values(r, f->name);
      if (nv != NULL && json_array_size(nv) == 0) {
        json_decref(nv);
        nv = NULL;
      }
    } else if (s != NULL && s[0] != '\0') {
      if (f->type == AYIL_FT_BOOL) {
        if (strcmp(s, "true") == 0)
          nv = json_true();
        else if (strcmp(s, "false") == 0)
          nv = json_false();
        else
          web_problem_add(r, probs, k, f->name, AYIL_PROB_FORMAT);
      } else if (f->type == AYIL_FT_COUNT) {
        char *end = NULL;
        long long n;
        errno = 0;
        n = strtoll(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || s[0] == '-' ||
            s[0] == '+' || n > AYIL_COUNT_MAX) {
          web_problem_add(r, probs, k, f->name, AYIL_PROB_FORMAT);
          /* keep what was typed, to show it again */
          json_object_set_new(in, f->name, json_string(s));
          continue;
        }
        nv = json_integer(n);
      } else {
        nv = json_string(s);
      }
    }
    if (!update) {
      if (nv != NULL)
        json_object_set_new(in, f->name, nv);
      continue;
    }
    /* an update sends what changed: a new value, or null for a removal */
    if (nv == NULL && ov != NULL)
      json_object_set_new(in, f->name, json_null());
    else if (nv != NULL && (ov == NULL || !json_equal(nv, (json_t *)ov)))
      json_object_set_new(in, f->name, nv);
    else
      json_decref(nv);
  }
  return in;
}

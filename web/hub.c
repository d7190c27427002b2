/*
 * The hub operator's pages, on loopback only (main.c refuses any other
 * address for a hub): sync health, what `ayil nodes` shows, and the report
 * in every language. A hub holds no body it could open; there is no
 * log-in because only who can already log in to the hub reaches loopback.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "i18n.h"
#include "web.h"

int web_report(web_req_t *r);

static void when(web_req_t *r, html_t *h, int has, int64_t t) {
  char buf[AYIL_TIME_TEXT];
  if (!has) {
    h_text(h, W_("never"));
    return;
  }
  ayil_node_time_text(t > 100000000000LL ? t / 1000 : t, buf, sizeof buf);
  h_text(h, buf);
}

static int hub_home(web_req_t *r) {
  ayil_node_committees_t cs;
  html_t h;
  size_t i, j;
  int rc, l;
  memset(&cs, 0, sizeof cs);
  rc = ayil_node_committees(r->w->node, (int64_t)time(NULL), 7, &cs);
  if (rc != 0)
    return send_error(r, 500, ayil_node_errmsg(r->w->node));
  h_init(&h);
  h_raw(&h, "<h1>");
  h_text(&h, ayil_node_config(r->w->node)->name);
  h_raw(&h, "</h1><p>");
  h_text(&h, W_("Reports:"));
  for (l = 0; l < AYIL_LANGS; l++)
    h_rawf(&h, " <a href=\"/lang/%s?next=/report\">%s</a>", ayil_langs[l],
           ayil_langs[l]);
  h_raw(&h, "</p><h2>");
  h_text(&h, W_("Committees and their sync"));
  h_raw(&h, "</h2><table class=\"list\" id=\"committees\"><thead><tr><th>");
  h_text(&h, W_("Committee"));
  h_raw(&h, "</th><th>");
  h_text(&h, W_("Oblast"));
  h_raw(&h, "</th><th>");
  h_text(&h, W_("State"));
  h_raw(&h, "</th><th>");
  h_text(&h, W_("Last contact"));
  h_raw(&h, "</th><th>");
  h_text(&h, W_("Entries held"));
  h_raw(&h, "</th><th>");
  h_text(&h, W_("Alerts"));
  h_raw(&h, "</th></tr></thead><tbody>");
  for (i = 0; i < cs.n; i++) {
    const ayil_node_committee_t *c = &cs.c[i];
    h_raw(&h, "<tr><td>");
    h_text(&h, c->name);
    h_raw(&h, "</td><td>");
    h_text(&h, L(r, "oblast", c->oblast));
    h_raw(&h, "</td><td>");
    h_text(&h, c->state);
    h_raw(&h, "</td><td>");
    when(r, &h, c->has_last_contact, c->last_contact);
    h_rawf(&h, "</td><td>%lld</td><td>", (long long)c->entries_held);
    for (j = 0; j < c->nalerts; j++) {
      if (j > 0)
        h_raw(&h, ", ");
      h_text(&h, c->alerts[j].kind);
    }
    h_raw(&h, "</td></tr>");
  }
  h_raw(&h, "</tbody></table>");
  ayil_node_committees_free(&cs);
  rc = send_page(r, 200, W_("Hub"), &h);
  h_free(&h);
  return rc;
}

int page_hub(web_req_t *r) {
  if (r->post)
    return send_error(r, 405, W_("There is nothing to send here."));
  if (strcmp(r->url, "/") == 0)
    return hub_home(r);
  if (strcmp(r->url, "/report") == 0)
    return web_report(r);
  return send_error(r, 404, W_("There is no such page."));
}

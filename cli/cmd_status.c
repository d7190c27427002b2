/* ayil status: the node's view (node.h) merged with the running daemon's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ayil/error.h"
#include "ayil/enrol.h"
#include "cli.h"
#include "ctl.h"
#include "registry.h"

static json_t *int_or_null(int isnull, int64_t v) {
  return isnull ? json_null() : json_integer((json_int_t)v);
}

/* The live daemon's view of one peer, or NULL. */
static const json_t *live_peer(const json_t *daemon, const char *idtext) {
  const json_t *peers = json_object_get(daemon, "peers");
  size_t i;
  for (i = 0; i < json_array_size(peers); i++) {
    const json_t *p = json_array_get(peers, i);
    const char *id = json_string_value(json_object_get(p, "id"));
    if (id != NULL && strcmp(id, idtext) == 0)
      return p;
  }
  return NULL;
}

static json_t *peer_json(const ayil_node_peer_t *p, const json_t *daemon) {
  char idtext[AYIL_ID_TEXT];
  const json_t *lp;
  json_t *o;
  ayil_id_to_text(p->id, idtext);
  lp = daemon != NULL ? live_peer(daemon, idtext) : NULL;
  o = json_pack("{s:s, s:s}", "id", idtext, "name", p->name);
  if (p->state[0] != '\0')
    json_object_set_new(o, "state", json_string(p->state));
  if (lp != NULL) {
    json_object_set_new(
        o, "connected",
        json_boolean(json_is_true(json_object_get(lp, "connected"))));
    json_object_set(o, "link", json_object_get(lp, "state"));
  } else {
    json_object_set_new(o, "connected", json_false());
  }
  json_object_set_new(o, "last_contact",
                      int_or_null(!p->has_last_contact, p->last_contact));
  json_object_set_new(o, "last_ack",
                      int_or_null(!p->has_last_ack, p->last_ack));
  json_object_set_new(o, "bytes_today",
                      json_pack("{s:I, s:I}", "sent", (json_int_t)p->sent_today,
                                "recv", (json_int_t)p->recv_today));
  json_object_set_new(o, "skew_ms", int_or_null(!p->has_skew, p->skew_ms));
  /* A node that was revoked or replaced is offered nothing any more. */
  json_object_set_new(o, "unacked_out",
                      int_or_null(!p->has_unacked_out, p->unacked_out));
  if (lp != NULL && json_is_integer(json_object_get(lp, "unacked_in")))
    json_object_set(o, "unacked_in", json_object_get(lp, "unacked_in"));
  else
    json_object_set_new(o, "unacked_in", json_string("unknown"));
  if (lp != NULL && json_is_integer(json_object_get(lp, "since_progress_ms")))
    json_object_set(o, "since_progress_ms",
                    json_object_get(lp, "since_progress_ms"));
  return o;
}

static json_t *alerts_json(const ayil_node_alert_t *al, size_t n) {
  json_t *a = json_array();
  size_t i;
  for (i = 0; i < n; i++) {
    if (!al[i].stored) {
      json_array_append_new(a, json_pack("{s:s, s:I}", "kind", al[i].kind,
                                         "free_bytes",
                                         (json_int_t)al[i].free_bytes));
      continue;
    }
    json_array_append_new(a, cli_alert_json(&al[i]));
  }
  return a;
}

/* Asks the daemon; fills the "daemon" object. Returns the live reply (a
 * new reference) or NULL when the daemon does not run or did not answer. */
static json_t *daemon_json(cli_t *c, json_t **out) {
  json_t *req = json_pack("{s:s}", "cmd", "status");
  json_t *rep = NULL;
  char sock[AYIL_PATH_MAX];
  int rc = cli_ctl_request(c->home, req, CLI_CTL_TIMEOUT_MS, &rep, sock,
                           sizeof sock);
  json_decref(req);
  if (rc == AYIL_ENOTFOUND) {
    *out = json_pack("{s:b, s:s}", "running", 0, "socket", sock);
    return NULL;
  }
  if (rc != 0 || !json_is_true(json_object_get(rep, "ok"))) {
    const char *e = rc != 0 ? ayil_strerror(rc)
                            : json_string_value(json_object_get(rep, "error"));
    *out = json_pack("{s:n, s:s, s:s}", "running", "socket", sock, "error",
                     e != NULL ? e : "the daemon refused");
    json_decref(rep);
    return NULL;
  }
  *out = json_pack("{s:b, s:s, s:O?, s:O?, s:O?, s:O?}", "running", 1, "socket",
                   sock, "pid", json_object_get(rep, "pid"), "uptime_s",
                   json_object_get(rep, "uptime_s"), "synced",
                   json_object_get(rep, "synced"), "connections",
                   json_object_get(rep, "connections"));
  return rep;
}

static void print_time(const char *label, const json_t *v) {
  char t[32];
  ayil_node_time_text(json_is_integer(v) ? (int64_t)json_integer_value(v) : 0,
                      t, sizeof t);
  printf("    %-18s%s\n", label, t);
}

/* The web app's addresses as members type them, and the fingerprint they
 * check once. */
static json_t *web_json(cli_t *c) {
  ayil_node_web_t w;
  json_t *urls;
  size_t i;
  if (ayil_node_web(c->node, &w) != 0)
    return json_pack("{s:s, s:b, s:[], s:n, s:s}", "listen", c->conf.web_listen,
                     "tls", c->conf.web_tls, "urls", "certificate_sha256",
                     "error", ayil_node_errmsg(c->node));
  urls = json_array();
  for (i = 0; i < w.nurls; i++)
    json_array_append_new(urls, json_string(w.urls[i]));
  return json_pack("{s:s, s:b, s:o, s:s?}", "listen", w.listen, "tls", w.tls,
                   "urls", urls, "certificate_sha256",
                   w.fpr_rc == 0 ? w.fpr : NULL);
}

/* One line: the first address and the fingerprint; then the machine's
 * other addresses, one a line (not 127.0.0.1 or the host name, which only
 * serve on the Pi itself). */
static void print_web(const json_t *w) {
  const json_t *urls = json_object_get(w, "urls");
  const json_t *fpr = json_object_get(w, "certificate_sha256");
  const char *first = json_string_value(json_array_get(urls, 0));
  size_t i;
  if (first == NULL) {
    printf("web       %s\n",
           json_is_string(json_object_get(w, "error"))
               ? json_string_value(json_object_get(w, "error"))
               : "no address");
    return;
  }
  if (!json_is_true(json_object_get(w, "tls")))
    printf("web       %s  plain HTTP, on this machine only\n", first);
  else if (json_is_string(fpr))
    printf("web       %s  certificate SHA-256 %s\n", first,
           json_string_value(fpr));
  else
    printf("web       %s  no certificate yet (ayil web cert)\n", first);
  for (i = 1; i < json_array_size(urls); i++) {
    const char *u = json_string_value(json_array_get(urls, i));
    const char *h = strstr(u, "://");
    h = h != NULL ? h + 3 : u;
    if (strncmp(h, "127.0.0.1:", 10) == 0 ||
        (h[0] != '[' && strspn(h, "0123456789.") != strcspn(h, ":")))
      continue;
    printf("          %s\n", u);
  }
}

static void print_status_text(const json_t *o) {
  const json_t *d = json_object_get(o, "daemon");
  const json_t *peers = json_object_get(o, "peers");
  const json_t *alerts = json_object_get(o, "alerts");
  const json_t *hub = json_object_get(o, "hub");
  const char *oblast = json_string_value(json_object_get(o, "oblast"));
  char b1[32], b2[32];
  size_t i;
  printf("role      %s\nid        %s\nname      %s\n",
         json_string_value(json_object_get(o, "role")),
         json_string_value(json_object_get(o, "id")),
         json_string_value(json_object_get(o, "name")));
  if (oblast != NULL && oblast[0] != '\0')
    printf("oblast    %s\n", oblast);
  if (json_is_object(hub))
    printf("hub       %s (%s)\n",
           json_string_value(json_object_get(hub, "address")),
           json_string_value(json_object_get(hub, "id")));
  else if (strcmp(json_string_value(json_object_get(o, "role")), "committee") ==
           0)
    printf("hub       none (enrol with `ayil join CODE`)\n");
  if (json_is_true(json_object_get(o, "enrollment_pending")))
    printf("enrolment pending: ayild presents the invite on its next "
           "connection; the hub's operator must confirm enrolment code %s "
           "(ayil admit --confirm CODE)\n",
           json_is_string(json_object_get(o, "enrol_code"))
               ? json_string_value(json_object_get(o, "enrol_code"))
               : "(ayil id --code)");
  if (json_is_true(json_object_get(d, "running"))) {
    long long up =
        (long long)json_integer_value(json_object_get(d, "uptime_s"));
    printf("daemon    running (pid %lld, up %lldd %02lld:%02lld), %s\n",
           (long long)json_integer_value(json_object_get(d, "pid")), up / 86400,
           up % 86400 / 3600, up % 3600 / 60,
           json_is_true(json_object_get(d, "synced")) ? "synced"
                                                      : "not synced");
    if (strcmp(json_string_value(json_object_get(o, "role")), "hub") == 0 &&
        json_is_object(json_object_get(d, "connections"))) {
      const json_t *k = json_object_get(d, "connections");
      cli_bytes_text(
          (uint64_t)json_integer_value(json_object_get(k, "memory_bytes")), b1,
          sizeof b1);
      printf(
          "          %lld connections (%lld unauthenticated), %s held; "
          "limit %lld\n",
          (long long)json_integer_value(json_object_get(k, "open")),
          (long long)json_integer_value(json_object_get(k, "unauthenticated")),
          b1, (long long)json_integer_value(json_object_get(k, "max")));
    }
  } else if (json_is_false(json_object_get(d, "running"))) {
    printf("daemon    not running\n");
  } else {
    printf("daemon    not answering (%s)\n",
           json_string_value(json_object_get(d, "error")));
  }
  printf("records   %lld\nentries   %lld\n",
         (long long)json_integer_value(json_object_get(o, "records")),
         (long long)json_integer_value(json_object_get(o, "entries")));
  if (json_is_integer(json_object_get(o, "disk_free_bytes"))) {
    cli_bytes_text(
        (uint64_t)json_integer_value(json_object_get(o, "disk_free_bytes")), b1,
        sizeof b1);
    printf("disk free %s\n", b1);
  }
  printf("peers     %s\n", json_array_size(peers) == 0 ? "none" : "");
  for (i = 0; i < json_array_size(peers); i++) {
    const json_t *p = json_array_get(peers, i);
    const json_t *st = json_object_get(p, "state");
    const json_t *link = json_object_get(p, "link");
    const json_t *uo = json_object_get(p, "unacked_out");
    const json_t *ui = json_object_get(p, "unacked_in");
    const json_t *bt = json_object_get(p, "bytes_today");
    const json_t *sk = json_object_get(p, "skew_ms");
    char out[32], in[32];
    printf("  %s  %s%s%s\n", json_string_value(json_object_get(p, "name")),
           json_string_value(json_object_get(p, "id")),
           json_is_string(st) ? "  " : "",
           json_is_string(st) ? json_string_value(st) : "");
    if (json_is_true(json_object_get(d, "running")))
      printf("    %-18s%s%s%s\n", "link",
             json_is_true(json_object_get(p, "connected")) ? "connected"
                                                           : "not connected",
             json_is_string(link) ? ", " : "",
             json_is_string(link) ? json_string_value(link) : "");
    print_time("last contact", json_object_get(p, "last_contact"));
    print_time("last ack", json_object_get(p, "last_ack"));
    if (json_is_integer(uo))
      snprintf(out, sizeof out, "%lld", (long long)json_integer_value(uo));
    else
      snprintf(out, sizeof out, "-");
    if (json_is_integer(ui))
      snprintf(in, sizeof in, "%lld", (long long)json_integer_value(ui));
    else
      snprintf(in, sizeof in, "unknown");
    printf("    %-18sout %s, in %s\n", "not acknowledged", out, in);
    cli_bytes_text((uint64_t)json_integer_value(json_object_get(bt, "sent")),
                   b1, sizeof b1);
    cli_bytes_text((uint64_t)json_integer_value(json_object_get(bt, "recv")),
                   b2, sizeof b2);
    printf("    %-18ssent %s, received %s\n", "today", b1, b2);
    if (json_is_integer(sk))
      printf("    %-18s%+.1f s\n", "clock skew",
             (double)json_integer_value(sk) / 1000.0);
    else
      printf("    %-18sunknown\n", "clock skew");
  }
  printf("alerts    %s\n", json_array_size(alerts) == 0 ? "none" : "");
  for (i = 0; i < json_array_size(alerts); i++) {
    const json_t *a = json_array_get(alerts, i);
    const char *kind = json_string_value(json_object_get(a, "kind"));
    const json_t *peer = json_object_get(a, "peer");
    const json_t *origin = json_object_get(a, "origin");
    char t[32], seq[48];
    if (strcmp(kind, "disk_full") == 0) {
      cli_bytes_text(
          (uint64_t)json_integer_value(json_object_get(a, "free_bytes")), b1,
          sizeof b1);
      printf("  DISK FULL: %s free in %s\n", b1,
             json_string_value(json_object_get(o, "home")));
      continue;
    }
    ayil_node_time_text((int64_t)json_integer_value(json_object_get(a, "last")),
                        t, sizeof t);
    snprintf(seq, sizeof seq, " at seq %lld",
             (long long)json_integer_value(json_object_get(a, "seq")));
    printf("  %s%s%s%s%s%s (last %s)\n",
           strcmp(kind, "fork") == 0 ? "FORK" : kind,
           json_is_string(peer) ? " peer " : "",
           json_is_string(peer) ? json_string_value(peer) : "",
           json_is_string(origin) ? " origin " : "",
           json_is_string(origin) ? json_string_value(origin) : "",
           json_integer_value(json_object_get(a, "seq")) > 0 ? seq : "", t);
  }
  print_web(json_object_get(o, "web"));
}

int cli_status(cli_t *c, const char *idtext) {
  ayil_node_status_t st;
  json_t *o, *daemon = NULL, *live, *peers;
  size_t i;
  int rc = EXIT_OK;
  if (ayil_node_status(c->node, (int64_t)time(NULL), &st) != 0)
    return cli_node_fail(c);
  live = daemon_json(c, &daemon);
  o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "role", c->conf.role, "id", idtext,
                "name", c->conf.name, "oblast", c->conf.oblast, "home",
                c->home);
  if (strcmp(c->conf.role, "committee") == 0) {
    if (c->conf.hub_addr[0] != '\0')
      json_object_set_new(o, "hub",
                          json_pack("{s:s, s:s}", "address", c->conf.hub_addr,
                                    "id", c->conf.hub_id));
    else
      json_object_set_new(o, "hub", json_null());
    json_object_set_new(o, "enrollment_pending",
                        json_boolean(st.enrollment_pending));
    {
      uint8_t id[AYIL_ID_BYTES];
      char ecode[AYIL_ENROL_TEXT];
      if (ayil_id_from_text(idtext, id) == 0) {
        ayil_enrol_code_text(id, ecode);
        json_object_set_new(o, "enrol_code", json_string(ecode));
      }
    }
  }
  json_object_set_new(o, "daemon", daemon);
  json_object_set_new(o, "records", json_integer(st.records));
  json_object_set_new(o, "entries", json_integer(st.entries));
  json_object_set_new(o, "disk_free_bytes",
                      int_or_null(!st.disk_known, st.disk_free));
  peers = json_array();
  for (i = 0; i < st.npeers; i++)
    json_array_append_new(peers, peer_json(&st.peers[i], live));
  json_object_set_new(o, "peers", peers);
  json_object_set_new(o, "alerts", alerts_json(st.alerts, st.nalerts));
  json_object_set_new(o, "web", web_json(c));
  if (c->json)
    rc = cli_print_json(o);
  else
    print_status_text(o);
  json_decref(live);
  json_decref(o);
  ayil_node_status_free(&st);
  return rc;
}

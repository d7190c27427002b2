/* The service API (node/node.h) driven directly, as the CLI and the web
 * app drive it: open, add, update, delete, list, show with and without the
 * passphrase, a fresh node's status, and a wrong passphrase that changes
 * nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "node.h"
#include "report.h"

#define PASS "test-passphrase-1"

static char dir[] = "/tmp/ayil-test-node-XXXXXX";
static char home[256], hubhome[256];

/* The unlock callback: counts its calls and gives `pass` (or fails). */
typedef struct {
  const char *pass;
  int calls;
  int done;
  int fail;
} key_ctx_t;

static int key_get(void *ctx, ayil_node_key_t *key) {
  key_ctx_t *k = ctx;
  k->calls++;
  if (k->fail)
    return AYIL_EAUTH;
  key->pass = k->pass;
  key->passlen = strlen(k->pass);
  return 0;
}

static void key_done(void *ctx, ayil_node_key_t *key) {
  key_ctx_t *k = ctx;
  (void)key;
  k->done++;
}

static ayil_node_unlock_t unlock_with(key_ctx_t *k, const char *pass) {
  ayil_node_unlock_t u;
  memset(k, 0, sizeof *k);
  k->pass = pass;
  u.get = key_get;
  u.done = key_done;
  u.ctx = k;
  return u;
}

static void make(const char *h, const char *role) {
  char kit[300], id[AYIL_ID_TEXT];
  ayil_config_t conf;
  ayil_node_create_t args;
  ayil_node_err_t err;
  ayil_config_defaults(&conf);
  snprintf(conf.role, sizeof conf.role, "%s", role);
  snprintf(conf.name, sizeof conf.name, "Invented Committee");
  memset(&args, 0, sizeof args);
  args.conf = &conf;
  if (strcmp(role, "committee") == 0) {
    snprintf(conf.oblast, sizeof conf.oblast, "talas");
    snprintf(kit, sizeof kit, "%s.kit", h);
    args.kit = kit;
    args.pass = PASS;
    args.passlen = strlen(PASS);
  } else {
    snprintf(conf.listen, sizeof conf.listen, "127.0.0.1:17999");
    snprintf(conf.advertise, sizeof conf.advertise, "127.0.0.1:17999");
  }
  assert_int_equal(ayil_home_create(h), 0);
  assert_int_equal(ayil_node_create(h, &args, id, &err), 0);
  assert_int_equal(strlen(id), AYIL_ID_TEXT - 1);
}

static int setup(void **state) {
  (void)state;
  if (sodium_init() < 0 || mkdtemp(dir) == NULL)
    return -1;
  snprintf(home, sizeof home, "%s/committee", dir);
  snprintf(hubhome, sizeof hubhome, "%s/hub", dir);
  make(home, "committee");
  make(hubhome, "hub");
  return 0;
}

static int teardown(void **state) {
  char cmd[300];
  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd);
}

static ayil_node_t *open_node(const char *h) {
  ayil_node_t *n = NULL;
  ayil_node_err_t err;
  assert_int_equal(ayil_node_open(&n, h, AYIL_NODE_IDENTITY, &err), 0);
  return n;
}

static json_t *appeal(const char *name, const char *status) {
  return json_pack("{s:s, s:s, s:[s], s:s, s:s, s:s, s:s}", "date",
                   "2026-03-14", "source", "police", "violence", "physical",
                   "survivor_sex", "female", "survivor_age", "26-40", "status",
                   status, "survivor_name", name);
}

static int64_t live_records(ayil_node_t *n, int64_t *entries) {
  ayil_node_status_t st;
  int64_t r;
  assert_int_equal(ayil_node_status(n, 1767225600, &st), 0);
  r = st.records;
  if (entries != NULL)
    *entries = st.entries;
  ayil_node_status_free(&st);
  return r;
}

static void test_open_missing_home(void **state) {
  ayil_node_t *n = NULL;
  ayil_node_err_t err;
  char missing[300];
  (void)state;
  snprintf(missing, sizeof missing, "%s/nothing-here", dir);
  assert_int_equal(ayil_node_open(&n, missing, 0, &err), AYIL_ENOTFOUND);
  assert_null(n);
  assert_int_equal(err.input, 1);
  assert_non_null(strstr(err.msg, "does not exist"));
}

static void test_fresh_status(void **state) {
  ayil_node_t *n = open_node(home);
  ayil_node_status_t st;
  size_t i;
  (void)state;
  assert_int_equal(ayil_node_status(n, 1767225600, &st), 0);
  assert_int_equal(st.records, 0);
  assert_int_equal(st.entries, 0);
  assert_int_equal(st.npeers, 0); /* no hub yet */
  assert_int_equal(st.enrollment_pending, 0);
  for (i = 0; i < st.nalerts; i++) /* only a full disk could raise one */
    assert_string_equal(st.alerts[i].kind, "disk_full");
  ayil_node_status_free(&st);
  ayil_node_close(n);

  n = open_node(hubhome);
  assert_int_equal(ayil_node_status(n, 1767225600, &st), 0);
  assert_int_equal(st.records, 0);
  assert_int_equal(st.npeers, 0);
  ayil_node_status_free(&st);
  ayil_node_close(n);
}

typedef struct {
  int count;
  int bodies;
  char last_name[64];
} list_t;

static int list_cb(void *ctx, const ayil_node_record_t *r) {
  list_t *l = ctx;
  const char *name;
  l->count++;
  if (r->body != NULL) {
    l->bodies++;
    name = json_string_value(json_object_get(r->body, "survivor_name"));
    snprintf(l->last_name, sizeof l->last_name, "%s", name ? name : "");
  }
  /* Nothing identifying is ever in a header. */
  assert_null(json_object_get(r->header, "survivor_name"));
  return 0;
}

static void test_add_show_list(void **state) {
  ayil_node_t *n = open_node(home);
  ayil_node_record_t r;
  ayil_node_unlock_t u;
  key_ctx_t k;
  list_t l;
  uint8_t id[AYIL_RECID_BYTES];
  char idtext[AYIL_RECID_TEXT];
  json_t *in = appeal("Aigul Inventova", "open");
  (void)state;
  assert_int_equal(ayil_node_record_add(n, "appeal", in, id), 0);
  json_decref(in);
  ayil_recid_to_text(id, idtext);
  assert_int_equal(live_records(n, NULL), 1);

  /* Without the passphrase: the header only. */
  assert_int_equal(ayil_node_record_get(n, idtext, NULL, &r), 0);
  assert_memory_equal(r.id, id, sizeof id);
  assert_string_equal(r.kind, "appeal");
  assert_string_equal(r.month, "2026-03");
  assert_string_equal(json_string_value(json_object_get(r.header, "status")),
                      "open");
  assert_null(r.body);
  ayil_node_record_clear(&r);

  /* With it: the body, and the callback is done with once. */
  u = unlock_with(&k, PASS);
  assert_int_equal(ayil_node_record_get(n, idtext, &u, &r), 0);
  assert_int_equal(k.calls, 1);
  assert_int_equal(k.done, 1);
  assert_string_equal(
      json_string_value(json_object_get(r.body, "survivor_name")),
      "Aigul Inventova");
  assert_string_equal(json_string_value(json_object_get(r.body, "date")),
                      "2026-03-14");
  ayil_node_record_clear(&r);

  memset(&l, 0, sizeof l);
  assert_int_equal(ayil_node_record_list(n, NULL, NULL, list_cb, &l), 0);
  assert_int_equal(l.count, 1);
  assert_int_equal(l.bodies, 0);
  memset(&l, 0, sizeof l);
  u = unlock_with(&k, PASS);
  assert_int_equal(ayil_node_record_list(n, "appeal", &u, list_cb, &l), 0);
  assert_int_equal(k.calls, 1);
  assert_int_equal(l.count, 1);
  assert_int_equal(l.bodies, 1);
  assert_string_equal(l.last_name, "Aigul Inventova");
  memset(&l, 0, sizeof l);
  assert_int_equal(ayil_node_record_list(n, "family", NULL, list_cb, &l), 0);
  assert_int_equal(l.count, 0);
  assert_int_equal(ayil_node_record_list(n, "nonsense", NULL, list_cb, &l),
                   AYIL_EINVAL);
  assert_int_equal(ayil_node_error(n)->input, 1);

  /* Bad input names the field and writes nothing. */
  in = json_pack("{s:s}", "date", "2026-03-14");
  assert_int_not_equal(ayil_node_record_add(n, "appeal", in, id), 0);
  assert_int_equal(ayil_node_error(n)->input, 1);
  assert_non_null(strstr(ayil_node_errmsg(n), "source"));
  json_decref(in);
  assert_int_equal(live_records(n, NULL), 1);
  ayil_node_close(n);
}

static void test_wrong_passphrase_changes_nothing(void **state) {
  ayil_node_t *n = open_node(home);
  ayil_node_record_t r;
  ayil_node_unlock_t u;
  key_ctx_t k;
  uint8_t id[AYIL_RECID_BYTES], id2[AYIL_RECID_BYTES];
  char idtext[AYIL_RECID_TEXT];
  int64_t entries, entries_after;
  json_t *in = appeal("Bermet Inventova", "open"), *upd;
  (void)state;
  assert_int_equal(ayil_node_record_add(n, "appeal", in, id), 0);
  json_decref(in);
  ayil_recid_to_text(id, idtext);
  live_records(n, &entries);

  u = unlock_with(&k, "not-the-passphrase");
  assert_int_equal(ayil_node_record_get(n, idtext, &u, &r), AYIL_EPASSPHRASE);
  assert_string_equal(ayil_node_errmsg(n), "wrong passphrase");
  assert_int_equal(ayil_node_error(n)->input, 1);
  assert_int_equal(k.done, 1);

  /* An update of an identifying field with the wrong passphrase. */
  upd = json_pack("{s:s}", "survivor_name", "Changed Inventova");
  u = unlock_with(&k, "not-the-passphrase");
  assert_int_equal(ayil_node_record_update(n, idtext, upd, &u, id2),
                   AYIL_EPASSPHRASE);
  /* Without any way to unlock, it is refused too. */
  assert_int_equal(ayil_node_record_update(n, idtext, upd, NULL, id2),
                   AYIL_EAUTH);
  /* A callback that fails is passed through with an empty message. */
  u = unlock_with(&k, PASS);
  k.fail = 1;
  assert_int_equal(ayil_node_record_update(n, idtext, upd, &u, id2),
                   AYIL_EAUTH);
  assert_string_equal(ayil_node_errmsg(n), "");
  json_decref(upd);

  live_records(n, &entries_after);
  assert_int_equal(entries_after, entries);
  u = unlock_with(&k, PASS);
  assert_int_equal(ayil_node_record_get(n, idtext, &u, &r), 0);
  assert_string_equal(
      json_string_value(json_object_get(r.body, "survivor_name")),
      "Bermet Inventova");
  ayil_node_record_clear(&r);
  ayil_node_close(n);
}

static void test_update_delete(void **state) {
  ayil_node_t *n = open_node(home);
  ayil_node_record_t r;
  ayil_node_unlock_t u;
  key_ctx_t k;
  uint8_t id[AYIL_RECID_BYTES], id2[AYIL_RECID_BYTES];
  char idtext[AYIL_RECID_TEXT];
  int64_t before, entries;
  json_t *in = appeal("Cholpon Inventova", "open"), *upd;
  (void)state;
  assert_int_equal(ayil_node_record_add(n, "appeal", in, id), 0);
  json_decref(in);
  ayil_recid_to_text(id, idtext);
  before = live_records(n, &entries);

  /* A header field: no passphrase asked. */
  upd = json_pack("{s:s}", "status", "closed");
  u = unlock_with(&k, PASS);
  assert_int_equal(ayil_node_record_update(n, idtext, upd, &u, id2), 0);
  json_decref(upd);
  assert_int_equal(k.calls, 0);
  assert_memory_equal(id2, id, sizeof id);
  assert_int_equal(ayil_node_record_get(n, idtext, NULL, &r), 0);
  assert_string_equal(json_string_value(json_object_get(r.header, "status")),
                      "closed");
  ayil_node_record_clear(&r);
  assert_int_equal(live_records(n, NULL), before);

  /* A body field: asked once, other body fields kept. */
  upd = json_pack("{s:s}", "survivor_phone", "+996 000 000 000");
  u = unlock_with(&k, PASS);
  assert_int_equal(ayil_node_record_update(n, idtext, upd, &u, id2), 0);
  json_decref(upd);
  assert_int_equal(k.calls, 1);
  u = unlock_with(&k, PASS);
  assert_int_equal(ayil_node_record_get(n, idtext, &u, &r), 0);
  assert_string_equal(
      json_string_value(json_object_get(r.body, "survivor_name")),
      "Cholpon Inventova");
  assert_non_null(json_object_get(r.body, "survivor_phone"));
  ayil_node_record_clear(&r);

  assert_int_equal(ayil_node_record_delete(n, idtext, id2), 0);
  assert_int_equal(live_records(n, NULL), before - 1);
  assert_int_equal(ayil_node_record_get(n, idtext, NULL, &r), AYIL_ENOTFOUND);
  assert_int_equal(ayil_node_error(n)->input, 1);
  assert_int_equal(ayil_node_record_delete(n, idtext, id2), AYIL_ENOTFOUND);
  assert_int_equal(ayil_node_record_get(n, "nothex", NULL, &r), AYIL_EINVAL);
  assert_non_null(
      strstr(ayil_node_errmsg(n), "record id must be 32 hex characters"));
  ayil_node_close(n);
}

static void test_passwd(void **state) {
  ayil_node_t *n = open_node(home);
  ayil_node_record_t r;
  ayil_node_unlock_t old, np;
  key_ctx_t ko, kn;
  char idtext[AYIL_RECID_TEXT];
  uint8_t id[AYIL_RECID_BYTES];
  json_t *in = appeal("Elmira Inventova", "open");
  (void)state;
  assert_int_equal(ayil_node_record_add(n, "appeal", in, id), 0);
  json_decref(in);
  ayil_recid_to_text(id, idtext);
  /* A wrong old passphrase: refused, the new one is never asked for. */
  old = unlock_with(&ko, "not-the-passphrase");
  np = unlock_with(&kn, "second-passphrase");
  assert_int_equal(ayil_node_passwd(n, &old, &np), AYIL_EPASSPHRASE);
  assert_int_equal(kn.calls, 0);
  old = unlock_with(&ko, PASS);
  assert_int_equal(ayil_node_record_get(n, idtext, &old, &r), 0);
  ayil_node_record_clear(&r);
  /* Changed: the new one opens bodies, the old one no longer does. */
  old = unlock_with(&ko, PASS);
  np = unlock_with(&kn, "second-passphrase");
  assert_int_equal(ayil_node_passwd(n, &old, &np), 0);
  assert_int_equal(kn.done, 1);
  old = unlock_with(&ko, PASS);
  assert_int_equal(ayil_node_record_get(n, idtext, &old, &r), AYIL_EPASSPHRASE);
  np = unlock_with(&kn, "second-passphrase");
  assert_int_equal(ayil_node_record_get(n, idtext, &np, &r), 0);
  assert_string_equal(
      json_string_value(json_object_get(r.body, "survivor_name")),
      "Elmira Inventova");
  ayil_node_record_clear(&r);
  /* And back, for the other tests. */
  old = unlock_with(&ko, "second-passphrase");
  np = unlock_with(&kn, PASS);
  assert_int_equal(ayil_node_passwd(n, &old, &np), 0);
  ayil_node_close(n);
}

static void test_hub_refuses_records(void **state) {
  ayil_node_t *n = open_node(hubhome);
  ayil_node_committees_t cs;
  uint8_t id[AYIL_RECID_BYTES];
  uint64_t unknown = 9, bad = 9;
  ayil_report_t *r = NULL;
  json_t *in = appeal("Dinara Inventova", "open");
  int exists = 1;
  (void)state;
  assert_int_equal(ayil_node_record_add(n, "appeal", in, id), AYIL_ESTATE);
  assert_int_equal(ayil_node_error(n)->input, 1);
  json_decref(in);
  assert_int_equal(ayil_node_committees(n, 1767225600, 7, &cs), 0);
  assert_int_equal(cs.n, 0);
  ayil_node_committees_free(&cs);
  assert_int_equal(
      ayil_node_committee_exists(n, "Invented Committee", "talas", &exists), 0);
  assert_int_equal(exists, 0);
  assert_int_equal(ayil_report_new(&r, NULL, NULL, NULL), 0);
  assert_int_equal(ayil_node_report(n, r, &unknown, &bad), 0);
  assert_int_equal(unknown, 0);
  assert_int_equal(bad, 0);
  ayil_report_free(r);
  ayil_node_close(n);
}

/* The recovery kit is never written into the node's home. */
static void test_kit_place(void **state) {
  char h[256], kit[300], id[AYIL_ID_TEXT];
  ayil_config_t conf;
  ayil_node_create_t args;
  ayil_node_err_t err;
  int same = -1;
  (void)state;
  snprintf(h, sizeof h, "%s/kitplace", dir);
  assert_int_equal(ayil_home_create(h), 0);
  snprintf(kit, sizeof kit, "%s/kit.txt", h);
  assert_int_equal(ayil_node_kit_place(h, kit, &same), AYIL_EINVAL);
  snprintf(kit, sizeof kit, "%s/../kitplace/kit.txt", h);
  assert_int_equal(ayil_node_kit_place(h, kit, &same), AYIL_EINVAL);
  snprintf(kit, sizeof kit, "%s/nodir/kit.txt", dir);
  assert_int_equal(ayil_node_kit_place(h, kit, &same), AYIL_ENOTFOUND);
  snprintf(kit, sizeof kit, "%s/kitplace.kit", dir);
  assert_int_equal(ayil_node_kit_place(h, kit, &same), 0);
  assert_int_equal(same, 1); /* beside the home: the same disk */
  /* The service API refuses it too, and creates nothing. */
  ayil_config_defaults(&conf);
  snprintf(conf.role, sizeof conf.role, "committee");
  snprintf(conf.name, sizeof conf.name, "Invented Committee");
  snprintf(conf.oblast, sizeof conf.oblast, "talas");
  memset(&args, 0, sizeof args);
  args.conf = &conf;
  snprintf(kit, sizeof kit, "%s/kit.txt", h);
  args.kit = kit;
  args.pass = PASS;
  args.passlen = strlen(PASS);
  assert_int_equal(ayil_node_create(h, &args, id, &err), AYIL_EINVAL);
  assert_non_null(strstr(err.msg, "must not be written into the node's home"));
  assert_int_equal(access(kit, F_OK), -1);
  snprintf(kit, sizeof kit, "%s/identity.key", h);
  assert_int_equal(access(kit, F_OK), -1);
  rmdir(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_open_missing_home),
      cmocka_unit_test(test_kit_place),
      cmocka_unit_test(test_fresh_status),
      cmocka_unit_test(test_add_show_list),
      cmocka_unit_test(test_wrong_passphrase_changes_nothing),
      cmocka_unit_test(test_update_delete),
      cmocka_unit_test(test_passwd),
      cmocka_unit_test(test_hub_refuses_records),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

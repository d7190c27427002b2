/*
 * Members' key slots and the audit (node.h), driven as the CLI and the web
 * app drive them: the first chair is the old passphrase's slot; a member
 * added with their own password logs in and opens bodies; an unknown name
 * and a wrong password fail alike; only a chair adds; removing a member
 * deletes their line from reader.key and their password opens nothing; the
 * last chair stays; a session's secret unlocks and a foreign one is
 * refused; every body opened is audited with who and what, a header-only
 * read is not; a rekey keeps only the rekeying chair's slot.
 */
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

#include "fixture.h"
#include "node.h"

#define PASS "chair-passphrase-1"

static char dir[] = "/tmp/ayil-test-members-XXXXXX";
static char home[256];

typedef struct {
  const char *pass;
  const char *member;
  const uint8_t *sk;
  const char *kit;
} key_ctx_t;

static int key_get(void *ctx, ayil_node_key_t *key) {
  key_ctx_t *k = ctx;
  key->pass = k->pass;
  key->passlen = k->pass != NULL ? strlen(k->pass) : 0;
  key->member = k->member;
  key->sk = k->sk;
  key->kit = k->kit;
  return 0;
}

static ayil_node_unlock_t unlock_of(key_ctx_t *k) {
  ayil_node_unlock_t u = {key_get, NULL, k};
  return u;
}

static int setup(void **state) {
  (void)state;
  if (sodium_init() < 0 || mkdtemp(dir) == NULL)
    return -1;
  snprintf(home, sizeof home, "%s/committee", dir);
  return fixture_committee(home, PASS, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state) {
  char cmd[300];
  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd);
}

static ayil_node_t *open_node(void) {
  ayil_node_t *n = NULL;
  ayil_node_err_t err;
  assert_int_equal(ayil_node_open(&n, home, AYIL_NODE_IDENTITY, &err), 0);
  return n;
}

static int reader_key_has(const char *needle) {
  char path[400], buf[40000];
  FILE *f;
  size_t n;
  snprintf(path, sizeof path, "%s/reader.key", home);
  f = fopen(path, "r");
  assert_non_null(f);
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return strstr(buf, needle) != NULL;
}

static const char *add_appeal(ayil_node_t *n, char idtext[AYIL_RECID_TEXT]) {
  uint8_t id[AYIL_RECID_BYTES];
  json_t *in =
      json_pack("{s:s, s:s, s:[s], s:s, s:s, s:s, s:s}", "date", "2026-03-14",
                "source", "police", "violence", "physical", "survivor_sex",
                "female", "survivor_age", "26-40", "status", "open",
                "survivor_name", "Aizada Inventedova");
  assert_int_equal(ayil_node_record_add(n, "appeal", in, id), 0);
  json_decref(in);
  ayil_recid_to_text(id, idtext);
  return idtext;
}

static void test_members(void **state) {
  ayil_node_t *n = open_node();
  ayil_node_member_t *ms = NULL;
  size_t count = 0;
  char role[16], idtext[AYIL_RECID_TEXT];
  uint8_t sk[AYIL_READER_SK_BYTES], other[AYIL_READER_SK_BYTES];
  key_ctx_t chair = {PASS, NULL, NULL, NULL},
            newpw = {"member-pass-1", NULL, NULL, NULL};
  key_ctx_t asmember = {"member-pass-1", "Nurlan", NULL, NULL};
  key_ctx_t bypw = {"nurlan-new-pass", NULL, NULL, NULL};
  ayil_node_unlock_t uc = unlock_of(&chair), un = unlock_of(&newpw),
                     um = unlock_of(&asmember), ub = unlock_of(&bypw);
  ayil_node_record_t rec;
  ayil_node_audit_t *a = NULL;
  (void)state;

  /* a node from before members: one chair, its passphrase */
  assert_int_equal(ayil_node_members(n, &ms, &count), 0);
  assert_int_equal(count, 1);
  assert_string_equal(ms[0].name, AYIL_MEMBER_FIRST);
  assert_string_equal(ms[0].role, "chair");
  free(ms);
  assert_int_equal(
      ayil_node_member_login(n, "chair", PASS, strlen(PASS), role, NULL), 0);
  assert_string_equal(role, "chair");

  /* a member with their own password */
  assert_int_equal(ayil_node_member_add(n, "Nurlan", "member", &uc, &un), 0);
  assert_true(reader_key_has("member="));
  assert_int_equal(ayil_node_member_add(n, "Nurlan", "member", &uc, &un),
                   AYIL_EEXISTS);
  assert_int_equal(ayil_node_member_add(n, "bad:name", "member", &uc, &un),
                   AYIL_EINVAL);
  assert_int_equal(
      ayil_node_member_login(n, "Nurlan", "member-pass-1", 13, role, sk), 0);
  assert_string_equal(role, "member");
  /* wrong password and unknown name: the same code and words */
  assert_int_equal(
      ayil_node_member_login(n, "Nurlan", "wrong-pass-1", 12, role, NULL),
      AYIL_EPASSPHRASE);
  assert_string_equal(ayil_node_errmsg(n), "wrong member name or password");
  assert_int_equal(
      ayil_node_member_login(n, "Nobody", "wrong-pass-1", 12, role, NULL),
      AYIL_EPASSPHRASE);
  assert_string_equal(ayil_node_errmsg(n), "wrong member name or password");
  /* only a chair adds */
  assert_int_equal(ayil_node_member_add(n, "Eve", "member", &um, &un),
                   AYIL_EPERM);
  /* a member's password opens bodies, and the opening is audited */
  add_appeal(n, idtext);
  assert_int_equal(ayil_node_set_actor(n, "Nurlan", "192.0.2.7"), 0);
  ayil_node_set_audit_action(n, AYIL_AUDIT_SHOW);
  assert_int_equal(ayil_node_record_get(n, idtext, &um, &rec), 0);
  assert_string_equal(
      json_string_value(json_object_get(rec.body, "survivor_name")),
      "Aizada Inventedova");
  ayil_node_record_clear(&rec);
  assert_int_equal(ayil_node_record_get(n, idtext, NULL, &rec), 0);
  ayil_node_record_clear(&rec);
  assert_int_equal(ayil_node_audit(n, 10, &a, &count), 0);
  assert_int_equal(count, 1); /* the header-only read is not audited */
  assert_string_equal(a[0].member, "Nurlan");
  assert_string_equal(a[0].addr, "192.0.2.7");
  assert_string_equal(a[0].action, "show");
  assert_string_equal(a[0].idtext, idtext);
  free(a);
  /* a session's secret unlocks; another committee's does not */
  {
    key_ctx_t ks = {NULL, NULL, sk, NULL};
    ayil_node_unlock_t us = unlock_of(&ks);
    ayil_node_set_audit_action(n, AYIL_AUDIT_SEARCH);
    assert_int_equal(ayil_node_record_get(n, idtext, &us, &rec), 0);
    ayil_node_record_clear(&rec);
    randombytes_buf(other, sizeof other);
    ks.sk = other;
    assert_int_equal(ayil_node_record_get(n, idtext, &us, &rec), AYIL_EAUTH);
    assert_int_equal(ayil_node_audit(n, 10, &a, &count), 0);
    assert_int_equal(count, 2);
    assert_string_equal(a[0].action, "search");
    free(a);
  }
  /* passwd by the member's old password */
  assert_int_equal(ayil_node_member_passwd(n, "Nurlan", &um, &ub), 0);
  assert_int_equal(
      ayil_node_member_login(n, "Nurlan", "member-pass-1", 13, role, NULL),
      AYIL_EPASSPHRASE);
  assert_int_equal(
      ayil_node_member_login(n, "Nurlan", "nurlan-new-pass", 15, role, NULL),
      0);
  /* removal: the line is gone, the password opens nothing */
  assert_int_equal(ayil_node_member_remove(n, "Nurlan"), 0);
  assert_false(reader_key_has("member="));
  assert_int_equal(
      ayil_node_member_login(n, "Nurlan", "nurlan-new-pass", 15, role, NULL),
      AYIL_EPASSPHRASE);
  assert_int_equal(ayil_node_member_remove(n, "Nurlan"), AYIL_ENOTFOUND);
  /* the last chair stays */
  assert_int_equal(ayil_node_member_remove(n, "chair"), AYIL_EPERM);
  /* a second chair takes over the first slot when the first leaves */
  assert_int_equal(ayil_node_member_add(n, "Second Chair", "chair", &uc, &un),
                   0);
  assert_int_equal(ayil_node_member_remove(n, "chair"), 0);
  assert_int_equal(ayil_node_members(n, &ms, &count), 0);
  assert_int_equal(count, 1);
  assert_string_equal(ms[0].name, "Second Chair");
  free(ms);
  assert_true(reader_key_has("first_member="));
  assert_int_equal(ayil_node_member_login(n, "Second Chair", "member-pass-1",
                                          13, role, NULL),
                   0);
  assert_int_equal(
      ayil_node_member_login(n, "chair", PASS, strlen(PASS), role, NULL),
      AYIL_EPASSPHRASE);
  sodium_memzero(sk, sizeof sk);
  ayil_node_close(n);
}

static void test_rekey_keeps_one_slot(void **state) {
  ayil_node_t *n = open_node();
  ayil_node_member_t *ms = NULL;
  size_t count = 0;
  char kit[300], role[16];
  key_ctx_t chair = {"member-pass-1", "Second Chair", NULL, NULL};
  key_ctx_t pw = {"other-member-1", NULL, NULL, NULL};
  key_ctx_t asaigul = {"other-member-1", "Aigul", NULL, NULL};
  key_ctx_t asthird = {"other-member-1", "Third Chair", NULL, NULL};
  key_ctx_t newchair = {"rekeyed-pass-1", NULL, NULL, NULL};
  ayil_node_unlock_t uc = unlock_of(&chair), up = unlock_of(&pw),
                     ua = unlock_of(&asaigul), ut = unlock_of(&asthird),
                     unew = unlock_of(&newchair);
  (void)state;
  assert_int_equal(ayil_node_member_add(n, "Aigul", "member", &uc, &up), 0);
  assert_int_equal(ayil_node_member_add(n, "Third Chair", "chair", &uc, &up),
                   0);
  snprintf(kit, sizeof kit, "%s/kit2.txt", dir);
  /* a member may not set the first chair's password nor rekey */
  assert_int_equal(ayil_node_passwd(n, &ua, &unew), AYIL_EPERM);
  assert_int_equal(ayil_node_rekey(n, &ua, &unew, kit), AYIL_EPERM);
  /* a rekey by the third chair: only that chair's new slot stays */
  assert_int_equal(ayil_node_rekey(n, &ut, &unew, kit), 0);
  assert_int_equal(ayil_node_members(n, &ms, &count), 0);
  assert_int_equal(count, 1);
  assert_string_equal(ms[0].name, "Third Chair");
  free(ms);
  assert_int_equal(
      ayil_node_member_login(n, "Aigul", "other-member-1", 14, role, NULL),
      AYIL_EPASSPHRASE);
  assert_int_equal(ayil_node_member_login(n, "Second Chair", "member-pass-1",
                                          13, role, NULL),
                   AYIL_EPASSPHRASE);
  assert_int_equal(ayil_node_member_login(n, "Third Chair", "rekeyed-pass-1",
                                          14, role, NULL),
                   0);
  ayil_node_close(n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_members),
      cmocka_unit_test(test_rekey_keeps_one_slot),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

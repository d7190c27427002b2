/* The registry (node/registry.c): invites, admission and succession,
 * revocation, per-peer bookkeeping and alerts, through its one bind/run
 * helper and the store's persistent statements. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "ayil/enrol.h"
#include "ayil/header.h"
#include "registry.h"
#include "store.h"

static char dir[] = "/tmp/ayil-test-registry-XXXXXX";

static int setup(void **state) {
  (void)state;
  return sodium_init() < 0 || mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state) {
  char cmd[300];
  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd);
}

static ayil_store_t *fresh(const char *name) {
  char path[300];
  ayil_store_t *st = NULL;
  snprintf(path, sizeof path, "%s/%s.db", dir, name);
  assert_int_equal(ayil_store_open(&st, path, AYIL_STORE_CREATE), 0);
  return st;
}

static void test_invite_code(void **state) {
  ayil_invite_t inv, back;
  char code[2 * AYIL_INVITE_MAX + 8];
  (void)state;
  memset(&inv, 0, sizeof inv);
  snprintf(inv.addr, sizeof inv.addr, "127.0.0.1:17000");
  memset(inv.hub_id, 1, sizeof inv.hub_id);
  memset(inv.netkey, 2, sizeof inv.netkey);
  memset(inv.token, 3, sizeof inv.token);
  snprintf(inv.name, sizeof inv.name, "Invented Committee");
  snprintf(inv.oblast, sizeof inv.oblast, "naryn");
  inv.expires = 1800000000;
  assert_int_equal(ayil_invite_encode(&inv, code, sizeof code), 0);
  assert_int_equal(strncmp(code, "ayil2-", 6), 0);
  assert_int_equal(ayil_invite_decode(code, &back), 0);
  /* The expiry travels as a day, rounded up. */
  assert_int_equal(back.expires, (1800000000ULL + 86399) / 86400 * 86400);
  back.expires = inv.expires;
  assert_memory_equal(&inv, &back, sizeof inv);
  {
    /* A code whose address, name or oblast is an empty string (its check
     * right) is refused, not read as an empty field. */
    ayil_invite_t e = inv;
    e.name[0] = '\0';
    assert_int_equal(ayil_invite_encode(&e, code, sizeof code), 0);
    assert_int_equal(ayil_invite_decode(code, &back), AYIL_EFORMAT);
    e = inv;
    e.oblast[0] = '\0';
    assert_int_equal(ayil_invite_encode(&e, code, sizeof code), 0);
    assert_int_equal(ayil_invite_decode(code, &back), AYIL_EFORMAT);
    e = inv;
    e.addr[0] = '\0';
    assert_int_equal(ayil_invite_encode(&e, code, sizeof code), 0);
    assert_int_equal(ayil_invite_decode(code, &back), AYIL_EFORMAT);
    assert_int_equal(ayil_invite_encode(&inv, code, sizeof code), 0);
  }
  /* A mistyped character is caught by the check. */
  code[20] = code[20] == 'A' ? 'B' : 'A';
  assert_int_equal(ayil_invite_decode(code, &back), AYIL_EFORMAT);
  assert_int_equal(ayil_invite_decode("ayil9-xyz", &back), AYIL_EVERSION);
  assert_int_equal(ayil_invite_decode("hello", &back), AYIL_EFORMAT);
  {
    /* A version 1 code (ayil before version 2) is still read. */
    static const char v1[] =
        "ayil1-mAGsMC4wLjAuMDo3NDQwxCDCzVIZBYXm5f-pwKx4d21COECNuGBEfC4qcCEkn1r"
        "WQMQgmH9rEnaf4IAnQAW7PCAhg6T5aY_16h8ndjwFgCxh5KPEEBj9foC4d5RIpfoZIJgh"
        "LwmySW52ZW50ZWQgQ29tbWl0dGVlpXRhbGFzzmsbmX2raG6b";
    ayil_invite_why_t why;
    size_t pos;
    char cut[sizeof v1];
    assert_int_equal(ayil_invite_decode_why(v1, &back, &why, &pos), 0);
    assert_int_equal(why, AYIL_INVITE_OK);
    assert_string_equal(back.addr, "0.0.0.0:7440");
    assert_string_equal(back.name, "Invented Committee");
    assert_string_equal(back.oblast, "talas");
    assert_int_equal(back.expires, 1796970877);
    /* Which part is wrong. */
    memcpy(cut, v1, sizeof v1);
    cut[sizeof v1 - 10] = '\0';
    assert_int_equal(ayil_invite_decode_why(cut, &back, &why, &pos),
                     AYIL_EFORMAT);
    assert_int_equal(why, AYIL_INVITE_TRUNCATED);
    assert_int_equal(ayil_invite_decode_why("ayil1-ab*d", &back, &why, &pos),
                     AYIL_EFORMAT);
    assert_int_equal(why, AYIL_INVITE_ALPHABET);
    assert_int_equal(pos, 2);
  }
  assert_int_equal(ayil_invite_encode(&inv, code, sizeof code), 0);
  {
    ayil_invite_why_t why;
    size_t pos, len = strlen(code);
    code[30] = code[30] == 'A' ? 'B' : 'A';
    assert_int_equal(ayil_invite_decode_why(code, &back, &why, &pos),
                     AYIL_EFORMAT);
    assert_int_equal(why, AYIL_INVITE_CHECKSUM);
    code[30] = code[30] == 'A' ? 'B' : 'A';
    code[len - 8] = '\0';
    assert_int_equal(ayil_invite_decode_why(code, &back, &why, &pos),
                     AYIL_EFORMAT);
    assert_int_equal(why, AYIL_INVITE_TRUNCATED);
  }
  {
    /* Fields with a right check that ayil did not write are a malformed
     * code (AYIL_EFORMAT, as documented), whatever is wrong in them: a byte
     * after a version 2 code's fields (was AYIL_ETRAILING), a version 1
     * array cut inside (was AYIL_ETRUNC). Found by tests/fuzz/fuzz_invite. */
    static const uint8_t v1cut[] = {0x98, 0x01, 0xa3, 'a', 'b'};
    uint8_t raw[AYIL_INVITE_MAX + 8];
    size_t rlen = 0;
    const char *prefix[2] = {"ayil2-", "ayil1-"};
    int k;
    assert_int_equal(ayil_invite_encode(&inv, code, sizeof code), 0);
    assert_int_equal(sodium_base642bin(
                         raw, sizeof raw, code + 6, strlen(code + 6), NULL,
                         &rlen, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    rlen -= 4;          /* the check */
    raw[rlen++] = 0x41; /* a byte after the fields */
    for (k = 0; k < 2; k++) {
      ayil_invite_why_t why;
      size_t pos;
      if (k == 1) {
        memcpy(raw, v1cut, sizeof v1cut);
        rlen = sizeof v1cut;
      }
      crypto_generichash(raw + rlen, 4, raw, rlen, NULL, 0);
      memcpy(code, prefix[k], 6);
      sodium_bin2base64(code + 6, sizeof code - 6, raw, rlen + 4,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING);
      assert_int_equal(ayil_invite_decode_why(code, &back, &why, &pos),
                       AYIL_EFORMAT);
      assert_int_equal(why, AYIL_INVITE_FIELDS);
    }
  }
}

static void test_token(void **state) {
  ayil_store_t *st = fresh("token");
  uint8_t tok[AYIL_TOKEN_BYTES], got[AYIL_TOKEN_BYTES];
  (void)state;
  assert_int_equal(ayil_reg_token_get(st, got), AYIL_ENOTFOUND);
  memset(tok, 7, sizeof tok);
  assert_int_equal(ayil_reg_token_set(st, tok), 0);
  assert_int_equal(ayil_reg_token_get(st, got), 0);
  assert_memory_equal(tok, got, sizeof tok);
  assert_int_equal(ayil_reg_token_set(st, NULL), 0); /* spent */
  assert_int_equal(ayil_reg_token_get(st, got), AYIL_ENOTFOUND);
  ayil_store_close(st);
}

static void test_admit_redeem_succeed_revoke(void **state) {
  ayil_store_t *st = fresh("admit");
  ayil_invite_t inv, inv2;
  ayil_device_t d;
  uint8_t a[AYIL_ID_BYTES], b[AYIL_ID_BYTES], c[AYIL_ID_BYTES];
  uint8_t ids[4][AYIL_ID_BYTES];
  uint8_t hpk[32], hsk[64], hh[AYIL_HASH_BYTES];
  uint64_t head = 0;
  size_t n = 0;
  (void)state;
  crypto_sign_keypair(hpk, hsk);
  memset(a, 0xa, sizeof a);
  memset(b, 0xb, sizeof b);
  memset(c, 0xc, sizeof c);
  memset(&inv, 0, sizeof inv);
  assert_int_equal(
      ayil_reg_admit(st, "Invented One", "talas", NULL, NULL, 3, &inv), 0);
  assert_string_equal(inv.name, "Invented One");
  assert_true(inv.expires > (uint64_t)time(NULL) + 2 * 86400);
  assert_int_equal(ayil_reg_device(st, a, &d), AYIL_ENOTFOUND);
  /* The code alone admits no one: a is a candidate until confirmed. */
  assert_int_equal(ayil_reg_redeem(st, hsk, inv.token, a), AYIL_EPENDING);
  assert_int_equal(ayil_reg_device(st, a, &d), AYIL_ENOTFOUND);
  {
    uint8_t got[AYIL_ID_BYTES];
    int admitted = 0;
    assert_int_equal(
        ayil_reg_confirm(st, hsk, ayil_enrol_code(a), got, &admitted), 0);
    assert_int_equal(admitted, 1);
    assert_memory_equal(got, a, AYIL_ID_BYTES);
  }
  /* A token is single-use: the first node id wins. */
  assert_int_equal(ayil_reg_redeem(st, hsk, inv.token, b), AYIL_EAUTH);
  assert_int_equal(ayil_reg_device(st, a, &d), 0);
  assert_string_equal(d.state, AYIL_DEV_ACTIVE);
  assert_string_equal(d.name, "Invented One");
  assert_string_equal(d.oblast, "talas");
  assert_int_equal(d.revoked, 0);

  /* A successor: the predecessor is replaced where the hub's copy ends. */
  memset(&inv2, 0, sizeof inv2);
  assert_int_equal(ayil_reg_admit(st, NULL, NULL, NULL, a, 0, &inv2), 0);
  assert_string_equal(inv2.name, "Invented One");
  /* Presented but not confirmed: the current device is not locked out. */
  assert_int_equal(ayil_reg_redeem(st, hsk, inv2.token, b), AYIL_EPENDING);
  assert_int_equal(ayil_reg_device(st, a, &d), 0);
  assert_string_equal(d.state, AYIL_DEV_ACTIVE);
  {
    /* Confirmed ahead of the next presentation. */
    uint8_t got[AYIL_ID_BYTES];
    int admitted = 1;
    assert_int_equal(
        ayil_reg_confirm(st, hsk, ayil_enrol_code(c), got, &admitted), 0);
    assert_int_equal(admitted, 0); /* c has not presented anything */
    assert_int_equal(
        ayil_reg_confirm(st, hsk, ayil_enrol_code(b), got, &admitted), 0);
    assert_int_equal(admitted, 1);
  }
  assert_int_equal(ayil_reg_device(st, a, &d), 0);
  assert_string_equal(d.state, AYIL_DEV_REPLACED);
  assert_int_equal(d.revoked, 1);
  assert_int_equal(d.revoked_after, 0);
  assert_int_equal(ayil_reg_committee_devices(st, d.committee, ids, 4, &n), 0);
  assert_int_equal(n, 2);
  assert_memory_equal(ids[0], a, AYIL_ID_BYTES);
  assert_memory_equal(ids[1], b, AYIL_ID_BYTES);

  /* Each admission signed its notice into the hub's log, in the same
   * transaction; the successor's names its predecessor. */
  assert_int_equal(ayil_store_head(st, hpk, &head, hh), 0);
  assert_int_equal(head, 2);
  {
    uint8_t *bytes = NULL;
    size_t len = 0;
    ayil_entry_t e;
    ayil_notice_t nt;
    assert_int_equal(ayil_store_entry(st, hpk, 2, &bytes, &len), 0);
    assert_int_equal(ayil_entry_decode(&e, bytes, len), 0);
    assert_int_equal(e.op, AYIL_OP_NOTICE);
    assert_int_equal(ayil_hdr_notice(e.header, e.header_len, &nt), 0);
    assert_int_equal(nt.action, AYIL_NOTICE_ADMIT);
    assert_memory_equal(nt.node, b, AYIL_ID_BYTES);
    assert_int_equal(nt.has_successor_of, 1);
    assert_memory_equal(nt.successor_of, a, AYIL_ID_BYTES);
    free(bytes);
  }

  assert_int_equal(ayil_reg_revoke(st, hsk, c, NULL, NULL), AYIL_ENOTFOUND);
  assert_int_equal(ayil_reg_revoke(st, hsk, b, NULL, NULL), 0);
  assert_int_equal(ayil_reg_device(st, b, &d), 0);
  assert_string_equal(d.state, AYIL_DEV_REVOKED);
  /* The revocation and its notice: both, or (unknown node) neither. */
  assert_int_equal(ayil_store_head(st, hpk, &head, hh), 0);
  assert_int_equal(head, 3);
  ayil_store_close(st);
}

/* Registers node `id` as a device of a new registry row (kind `kind`). */
static void bind_new(ayil_store_t *st, const uint8_t hsk[64], const char *name,
                     const char *oblast, const char *kind,
                     const uint8_t id[AYIL_ID_BYTES]) {
  ayil_invite_t inv;
  uint8_t got[AYIL_ID_BYTES];
  int admitted = 0;
  memset(&inv, 0, sizeof inv);
  assert_int_equal(ayil_reg_admit(st, name, oblast, kind, NULL, 0, &inv), 0);
  assert_int_equal(ayil_reg_redeem(st, hsk, inv.token, id), AYIL_EPENDING);
  assert_int_equal(
      ayil_reg_confirm(st, hsk, ayil_enrol_code(id), got, &admitted), 0);
  assert_int_equal(admitted, 1);
}

/* The national hub's directory: the committees that each regional hub's
 * signed notices admitted (ayil_reg_directory()), folded idempotently;
 * a committee that moves region keeps its row; a hub below cannot make a
 * hub a committee; a stranger's notices change nothing. */
static void test_national_directory(void **state) {
  ayil_store_t *st = fresh("national");
  uint8_t npk[32], nsk[64], r1[32], r2[32], x[32], y[32], z[32];
  uint8_t ids[8][AYIL_ID_BYTES];
  char text[AYIL_ID_TEXT];
  ayil_device_t d, h1, h2;
  size_t n = 0;
  int64_t rows = 0;
  (void)state;
  crypto_sign_keypair(npk, nsk);
  ayil_id_to_text(npk, text);
  assert_int_equal(ayil_store_meta_set(st, "role", "hub"), 0);
  assert_int_equal(ayil_store_meta_set(st, "node_id", text), 0);
  memset(r1, 0x11, sizeof r1);
  memset(r2, 0x22, sizeof r2);
  memset(x, 0x0a, sizeof x);
  memset(y, 0x0b, sizeof y);
  memset(z, 0x0c, sizeof z);
  bind_new(st, nsk, "Invented Chui hub", "chui", AYIL_KIND_HUB, r1);
  bind_new(st, nsk, "Invented Osh hub", "osh", AYIL_KIND_HUB, r2);
  bind_new(st, nsk, "Invented Own committee", "talas", NULL, z);
  assert_int_equal(ayil_reg_device(st, r1, &h1), 0);
  assert_int_equal(ayil_reg_device(st, r2, &h2), 0);
  assert_string_equal(h1.kind, AYIL_KIND_HUB);
  assert_int_equal(ayil_reg_is_hub(st, r1), 1);
  assert_int_equal(ayil_reg_is_hub(st, z), 0);
  assert_int_equal(ayil_reg_is_hub(st, npk), 0); /* no hub above, not meta */

  /* r1 admitted x: a committee under r1, in r1's oblast, named by its id. */
  assert_int_equal(ayil_reg_directory(st, r1, AYIL_NOTICE_ADMIT, x, NULL, 100),
                   0);
  assert_int_equal(ayil_reg_device(st, x, &d), 0);
  assert_string_equal(d.kind, AYIL_KIND_COMMITTEE);
  assert_string_equal(d.oblast, "chui");
  assert_int_equal(d.parent, h1.committee);
  assert_string_equal(d.state, AYIL_DEV_ACTIVE);
  {
    char want[16];
    ayil_id_to_text(x, text);
    snprintf(want, sizeof want, "~%.8s", text);
    assert_string_equal(d.name, want); /* until the hub names it */
  }
  /* The hub below names it; a bad or foreign name changes nothing. */
  assert_int_equal(ayil_reg_named(st, r1, x, "Invented Ak-Suu", 15), 0);
  assert_int_equal(ayil_reg_device(st, x, &d), 0);
  assert_string_equal(d.name, "Invented Ak-Suu");
  assert_int_equal(ayil_reg_named(st, r2, x, "Invented Other", 14), 0);
  assert_int_equal(ayil_reg_named(st, r1, x, "Bad\"name", 8), 0);
  assert_int_equal(ayil_reg_named(st, r1, x, "\xff\xfe", 2), 0);
  assert_int_equal(ayil_reg_device(st, x, &d), 0);
  assert_string_equal(d.name, "Invented Ak-Suu");
  {
    char nm[64];
    /* Not this hub's own committee: nothing to name upward. */
    assert_int_equal(ayil_reg_name_of(st, x, nm, sizeof nm), 0);
    assert_int_equal(ayil_reg_name_of(st, z, nm, sizeof nm), 22);
    assert_string_equal(nm, "Invented Own committee");
  }
  assert_int_equal(ayil_reg_is_hub(st, x), 0);
  rows = d.committee;
  /* Folding again changes nothing. */
  assert_int_equal(ayil_reg_directory(st, r1, AYIL_NOTICE_ADMIT, x, NULL, 100),
                   0);
  assert_int_equal(ayil_reg_device(st, x, &d), 0);
  assert_int_equal(d.committee, rows);
  /* Its successor y: the same row; x replaced. */
  assert_int_equal(ayil_reg_directory(st, r1, AYIL_NOTICE_ADMIT, y, x, 200), 0);
  assert_int_equal(ayil_reg_device(st, y, &d), 0);
  assert_int_equal(d.committee, rows);
  assert_int_equal(ayil_reg_device(st, x, &d), 0);
  assert_string_equal(d.state, AYIL_DEV_REPLACED);
  /* Every log under r1: r1's own row first, then its committees. */
  assert_int_equal(ayil_reg_below(st, h1.committee, ids, 8, &n), 0);
  assert_int_equal(n, 3);
  assert_memory_equal(ids[0], r1, 32);
  assert_memory_equal(ids[1], x, 32);
  assert_memory_equal(ids[2], y, 32);
  /* Not under r2; the uplink's own committees are z only. */
  assert_int_equal(ayil_reg_below(st, h2.committee, ids, 8, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(ayil_reg_below(st, 0, ids, 8, &n), 0);
  assert_int_equal(n, 1);
  assert_memory_equal(ids[0], z, 32);

  /* y moves to r2's region: the same row, now under r2, in osh. */
  assert_int_equal(ayil_reg_directory(st, r2, AYIL_NOTICE_ADMIT, y, NULL, 300),
                   0);
  assert_int_equal(ayil_reg_device(st, y, &d), 0);
  assert_int_equal(d.committee, rows);
  assert_int_equal(d.parent, h2.committee);
  assert_string_equal(d.oblast, "osh");
  /* r1's revoke of y, after the move, is not r1's to make any more. */
  assert_int_equal(ayil_reg_directory(st, r1, AYIL_NOTICE_REVOKE, y, NULL, 400),
                   0);
  assert_int_equal(ayil_reg_device(st, y, &d), 0);
  assert_string_equal(d.state, AYIL_DEV_ACTIVE);
  assert_int_equal(ayil_reg_directory(st, r2, AYIL_NOTICE_REVOKE, y, NULL, 400),
                   0);
  assert_int_equal(ayil_reg_device(st, y, &d), 0);
  assert_string_equal(d.state, AYIL_DEV_REVOKED);

  /* A hub below cannot make a hub, or this hub's own committee, its own
   * by a notice ... */
  assert_int_equal(ayil_reg_directory(st, r1, AYIL_NOTICE_ADMIT, r2, NULL, 500),
                   0);
  assert_int_equal(ayil_reg_device(st, r2, &d), 0);
  assert_string_equal(d.kind, AYIL_KIND_HUB);
  assert_int_equal(d.parent, 0);
  assert_int_equal(ayil_reg_directory(st, r1, AYIL_NOTICE_ADMIT, z, NULL, 500),
                   0);
  assert_int_equal(ayil_reg_device(st, z, &d), 0);
  assert_int_equal(d.parent, 0);
  assert_string_equal(d.oblast, "talas");
  /* ... and notices from a committee or a stranger change nothing. */
  {
    uint8_t stranger[32], w[32];
    memset(stranger, 0x77, sizeof stranger);
    memset(w, 0x0d, sizeof w);
    assert_int_equal(ayil_reg_directory(st, z, AYIL_NOTICE_ADMIT, w, NULL, 600),
                     0);
    assert_int_equal(
        ayil_reg_directory(st, stranger, AYIL_NOTICE_ADMIT, w, NULL, 600), 0);
    assert_int_equal(ayil_reg_device(st, w, &d), AYIL_ENOTFOUND);
  }
  ayil_store_close(st);
}

/* A stolen invite code: the thief presents it first, then the real device.
 * The operator confirms the code the committee reads out: the real device
 * is admitted, the thief never. A code confirmed ahead admits only the
 * node that shows it. */
static void test_stolen_code(void **state) {
  ayil_store_t *st = fresh("stolen");
  ayil_invite_t inv;
  ayil_device_t d;
  uint8_t hpk[32], hsk[64], thief[AYIL_ID_BYTES], real[AYIL_ID_BYTES];
  uint8_t got[AYIL_ID_BYTES];
  int admitted = 0;
  char text[AYIL_ENROL_TEXT];
  uint64_t v = 0;
  (void)state;
  crypto_sign_keypair(hpk, hsk);
  randombytes_buf(thief, sizeof thief);
  randombytes_buf(real, sizeof real);
  memset(&inv, 0, sizeof inv);
  assert_int_equal(
      ayil_reg_admit(st, "Invented Two", "naryn", NULL, NULL, 0, &inv), 0);
  /* Invites last 7 days unless asked. */
  assert_true(inv.expires <= (uint64_t)time(NULL) + 7 * 86400 + 5);
  assert_true(inv.expires >= (uint64_t)time(NULL) + 7 * 86400 - 5);
  assert_int_equal(ayil_reg_redeem(st, hsk, inv.token, thief), AYIL_EPENDING);
  assert_int_equal(ayil_reg_redeem(st, hsk, inv.token, real), AYIL_EPENDING);
  /* The code as the committee reads it out, with its dashes. */
  ayil_enrol_code_text(real, text);
  assert_int_equal(strlen(text), 14);
  assert_int_equal(ayil_enrol_code_parse(text, &v), 0);
  assert_int_equal(v, ayil_enrol_code(real));
  assert_int_equal(ayil_enrol_code_parse("1234-5678-901", &v), AYIL_EFORMAT);
  assert_int_equal(ayil_enrol_code_parse("1234-5678-901x", &v), AYIL_EFORMAT);
  assert_int_equal(ayil_reg_confirm(st, hsk, v, got, &admitted), 0);
  assert_int_equal(admitted, 1);
  assert_memory_equal(got, real, AYIL_ID_BYTES);
  assert_int_equal(ayil_reg_device(st, real, &d), 0);
  assert_string_equal(d.state, AYIL_DEV_ACTIVE);
  /* The invite is spent: the thief is refused for good. */
  assert_int_equal(ayil_reg_device(st, thief, &d), AYIL_ENOTFOUND);
  assert_int_equal(ayil_reg_redeem(st, hsk, inv.token, thief), AYIL_EAUTH);
  ayil_store_close(st);
}

static void test_bookkeeping_and_alerts(void **state) {
  ayil_store_t *st = fresh("book");
  uint8_t p[AYIL_ID_BYTES], q[AYIL_ID_BYTES], o[AYIL_ID_BYTES];
  uint64_t seq = 99;
  int n = -1;
  (void)state;
  memset(p, 1, sizeof p);
  memset(q, 2, sizeof q);
  memset(o, 3, sizeof o);
  assert_int_equal(ayil_reg_peer_acked(st, p, o, &seq), 0);
  assert_int_equal(seq, 0);
  assert_int_equal(ayil_reg_acked(st, p, o, 5, 1000), 0);
  /* An acknowledgement never goes back. */
  assert_int_equal(ayil_reg_acked(st, p, o, 3, 1001), 0);
  assert_int_equal(ayil_reg_peer_acked(st, p, o, &seq), 0);
  assert_int_equal(seq, 5);
  assert_int_equal(ayil_reg_peer_acked(st, q, o, &seq), 0);
  assert_int_equal(seq, 0);
  assert_int_equal(ayil_reg_contact(st, p, 1000, -250), 0);
  assert_int_equal(ayil_reg_bytes(st, p, 1000, 10, 20), 0);
  assert_int_equal(ayil_reg_bytes(st, p, 1000, 0, 0), 0);

  assert_int_equal(ayil_reg_forked(st, o), 0);
  assert_int_equal(ayil_reg_alert(st, "fork", p, o, 7, 1000), 0);
  assert_int_equal(ayil_reg_alert(st, "fork", p, o, 7, 2000), 0); /* once */
  assert_int_equal(ayil_reg_alert(st, "revoked", q, NULL, 0, 2000), 0);
  assert_int_equal(ayil_reg_forked(st, o), 1);
  assert_int_equal(ayil_reg_alert_clear(st, "fork", q, &n), 0);
  assert_int_equal(n, 0); /* another peer's: nothing */
  assert_int_equal(ayil_reg_forked(st, o), 1);
  assert_int_equal(ayil_reg_alert_clear(st, "fork", NULL, &n), 0);
  assert_int_equal(n, 1);
  assert_int_equal(ayil_reg_forked(st, o), 0);
  assert_int_equal(ayil_reg_alert_clear(st, "revoked", q, &n), 0);
  assert_int_equal(n, 1);
  ayil_store_close(st);
}

/* delete_burst counts per origin and day, however the deletes came: 19
 * spread over many peers raise nothing, the 20th does, once; another
 * origin, or the next day, counts from zero. */
static void test_delete_burst(void **state) {
  ayil_store_t *st = fresh("burst");
  uint8_t p[AYIL_ID_BYTES], q[AYIL_ID_BYTES], o[AYIL_ID_BYTES],
      o2[AYIL_ID_BYTES];
  uint64_t day = 20000ULL * 86400, i;
  int burst = -1, n = -1;
  (void)state;
  memset(p, 1, sizeof p);
  memset(q, 2, sizeof q);
  memset(o, 3, sizeof o);
  memset(o2, 4, sizeof o2);
  for (i = 1; i < AYIL_DELETE_BURST; i++) {
    assert_int_equal(
        ayil_reg_count_delete(st, i % 2 ? p : q, o, i, day + i * 60, &burst),
        0);
    assert_int_equal(burst, 0);
  }
  assert_int_equal(ayil_reg_count_delete(st, p, o2, 1, day + 3600, &burst), 0);
  assert_int_equal(burst, 0);
  /* The same origin on the next day: no burst yet. */
  assert_int_equal(
      ayil_reg_count_delete(st, p, o, 40, day + 86400 + 10, &burst), 0);
  assert_int_equal(burst, 0);
  assert_int_equal(ayil_reg_count_delete(st, q, o, 20, day + 7200, &burst), 0);
  assert_int_equal(burst, 1);
  assert_int_equal(ayil_reg_count_delete(st, q, o, 21, day + 7300, &burst), 0);
  assert_int_equal(burst, 0); /* raised once */
  assert_int_equal(ayil_reg_alert_clear(st, "delete_burst", NULL, &n), 0);
  assert_int_equal(n, 1);
  ayil_store_close(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_invite_code),
      cmocka_unit_test(test_token),
      cmocka_unit_test(test_admit_redeem_succeed_revoke),
      cmocka_unit_test(test_stolen_code),
      cmocka_unit_test(test_bookkeeping_and_alerts),
      cmocka_unit_test(test_delete_burst),
      cmocka_unit_test(test_national_directory),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}

/* The handshake payload envelope (proto/envelope.c): golden bytes, the
 * strict reader's refusals. PROTOCOL.md, "Handshake payload envelope". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ayil/envelope.h"
#include "ayil/sync.h"

static const uint8_t HAVE[3] = {0x92, 0x01, 0x90};
#define CLOCK 1764758400000ULL /* 2025-12-03T10:40:00Z */

/* A committee's first connection: clock, invite token 00..0f, a have. */
static const uint8_t GOLDEN_TOKEN[] = {
    0x94,                                                 /* array of 4 */
    0x01,                                                 /* version 1 */
    0xcf, 0x00, 0x00, 0x01, 0x9a, 0xe3, 0xcc, 0x2c, 0x00, /* clock ms */
    0xc4, 0x10, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
    0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, /* bin 16: the token */
    0xc4, 0x03, 0x92, 0x01, 0x90};                  /* bin 3: the have */
/* A hub, or a committee already admitted: no token. */
static const uint8_t GOLDEN_NIL[] = {0x94, 0x01, 0xcf, 0x00, 0x00, 0x01,
                                     0x9a, 0xe3, 0xcc, 0x2c, 0x00, 0xc0,
                                     0xc4, 0x03, 0x92, 0x01, 0x90};

static void fill(ayil_envelope_t *e, int token) {
  size_t i;
  memset(e, 0, sizeof *e);
  e->clock_ms = CLOCK;
  e->has_token = token;
  for (i = 0; i < AYIL_TOKEN_BYTES; i++)
    e->token[i] = (uint8_t)i;
  e->have = HAVE;
  e->have_len = sizeof HAVE;
}

static void test_golden(void **state) {
  ayil_envelope_t e;
  uint8_t out[128];
  size_t len = 0;
  (void)state;
  fill(&e, 1);
  assert_int_equal(ayil_envelope_pack(&e, out, sizeof out, &len), 0);
  assert_int_equal(len, sizeof GOLDEN_TOKEN);
  assert_memory_equal(out, GOLDEN_TOKEN, len);
  fill(&e, 0);
  assert_int_equal(ayil_envelope_pack(&e, out, sizeof out, &len), 0);
  assert_int_equal(len, sizeof GOLDEN_NIL);
  assert_memory_equal(out, GOLDEN_NIL, len);
  /* A small clock takes the shortest form. */
  e.clock_ms = 5;
  assert_int_equal(ayil_envelope_pack(&e, out, sizeof out, &len), 0);
  assert_int_equal(len, sizeof GOLDEN_NIL - 8);
  assert_int_equal(out[2], 0x05);
}

static void test_round_trip(void **state) {
  ayil_envelope_t e;
  (void)state;
  assert_int_equal(ayil_envelope_unpack(GOLDEN_TOKEN, sizeof GOLDEN_TOKEN,
                                        AYIL_SYNC_HAVE_MAX, &e),
                   0);
  assert_int_equal(e.clock_ms, CLOCK);
  assert_int_equal(e.has_token, 1);
  assert_int_equal(e.token[0], 0x00);
  assert_int_equal(e.token[15], 0x0f);
  assert_int_equal(e.have_len, 3);
  assert_ptr_equal(e.have, GOLDEN_TOKEN + sizeof GOLDEN_TOKEN - 3);
  assert_int_equal(ayil_envelope_unpack(GOLDEN_NIL, sizeof GOLDEN_NIL,
                                        AYIL_SYNC_HAVE_MAX, &e),
                   0);
  assert_int_equal(e.has_token, 0);
  assert_memory_equal(e.have, HAVE, 3);
}

static void test_every_truncation(void **state) {
  ayil_envelope_t e;
  size_t n;
  (void)state;
  for (n = 0; n < sizeof GOLDEN_TOKEN; n++) {
    int rc = ayil_envelope_unpack(GOLDEN_TOKEN, n, AYIL_SYNC_HAVE_MAX, &e);
    assert_int_not_equal(rc, 0);
    assert_int_equal(e.has_token, 0); /* nothing half read is left */
    assert_null(e.have);
  }
}

/* Unpacks a copy of GOLDEN_NIL with bytes [at, at+cut) replaced by rep. */
static int edited(size_t at, size_t cut, const uint8_t *rep, size_t rlen,
                  size_t have_max) {
  uint8_t buf[64];
  ayil_envelope_t e;
  size_t n = 0;
  memcpy(buf, GOLDEN_NIL, at);
  n = at;
  memcpy(buf + n, rep, rlen);
  n += rlen;
  memcpy(buf + n, GOLDEN_NIL + at + cut, sizeof GOLDEN_NIL - at - cut);
  n += sizeof GOLDEN_NIL - at - cut;
  return ayil_envelope_unpack(buf, n, have_max, &e);
}

static void test_refusals(void **state) {
  static const uint8_t arr16[] = {0xdc, 0x00, 0x04};
  static const uint8_t ver8[] = {0xcc, 0x01};
  static const uint8_t ver2[] = {0x02};
  static const uint8_t verstr[] = {0xa1, 0x31};
  static const uint8_t arr5v2[] = {0x95, 0x02};
  static const uint8_t arr3[] = {0x93};
  static const uint8_t clock32[] = {0xce, 0x00, 0x00, 0x00, 0x05};
  static const uint8_t clockneg[] = {0xff};
  static const uint8_t tok15[] = {0xc4, 0x0f, 0, 1,  2,  3,  4,  5, 6,
                                  7,    8,    9, 10, 11, 12, 13, 14};
  static const uint8_t tokstr[] = {0xa2, 0x61, 0x62};
  static const uint8_t have16[] = {0xc5, 0x00, 0x03};
  static const uint8_t havestr[] = {0xa3};
  static const uint8_t trailing[] = {0xc0};
  (void)state;
  assert_int_equal(edited(0, 1, arr16, sizeof arr16, 64), AYIL_ENOTCANON);
  assert_int_equal(edited(1, 1, ver8, sizeof ver8, 64), AYIL_ENOTCANON);
  assert_int_equal(edited(1, 1, ver2, sizeof ver2, 64), AYIL_EVERSION);
  assert_int_equal(edited(1, 1, verstr, sizeof verstr, 64), AYIL_EVERSION);
  /* A later version may change the rest: still told apart by version. */
  assert_int_equal(edited(0, 2, arr5v2, sizeof arr5v2, 64), AYIL_EVERSION);
  assert_int_equal(edited(0, 1, arr3, sizeof arr3, 64), AYIL_EFORMAT);
  assert_int_equal(edited(2, 9, clock32, sizeof clock32, 64), AYIL_ENOTCANON);
  assert_int_equal(edited(2, 9, clockneg, sizeof clockneg, 64), AYIL_EFORMAT);
  assert_int_equal(edited(11, 1, tok15, sizeof tok15, 64), AYIL_EFORMAT);
  assert_int_equal(edited(11, 1, tokstr, sizeof tokstr, 64), AYIL_EFORMAT);
  assert_int_equal(edited(12, 2, have16, sizeof have16, 64), AYIL_ENOTCANON);
  assert_int_equal(edited(12, 2, havestr, sizeof havestr, 64), AYIL_EFORMAT);
  assert_int_equal(edited(sizeof GOLDEN_NIL, 0, trailing, 1, 64),
                   AYIL_ETRAILING);
  /* A have larger than the receiver allows. */
  assert_int_equal(edited(0, 0, trailing, 0, 2), AYIL_ETOOBIG);
  assert_int_equal(edited(0, 0, trailing, 0, 3), 0);
}

static void test_pack_too_small_wipes(void **state) {
  ayil_envelope_t e;
  uint8_t out[20];
  size_t len = 99, i;
  (void)state;
  fill(&e, 1);
  assert_int_equal(ayil_envelope_pack(&e, out, sizeof out, &len), AYIL_ETOOBIG);
  assert_int_equal(len, 0);
  for (i = 0; i < sizeof out; i++)
    assert_int_equal(out[i], 0); /* no part of the token is left behind */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden),
      cmocka_unit_test(test_round_trip),
      cmocka_unit_test(test_every_truncation),
      cmocka_unit_test(test_refusals),
      cmocka_unit_test(test_pack_too_small_wipes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Fuzz target: invite codes (node/registry.c, ayil_invite_decode_why) and
 * enrolment codes (proto/enrol.c, ayil_enrol_code_parse) -- text a person
 * pastes or types. Byte 0 picks the mode:
 *   0  the rest is the code's text as typed;
 *   1  the rest is a version-2 code's bytes: the target adds the check and
 *      the base64 (so the fields' decoder runs, not only the check);
 *   2  the same for version 1 (msgpack);
 *   3  the rest is an enrolment code as typed.
 * A code is refused with a documented error and reason, or decoded to
 * fields that are NUL-terminated and re-encode to a code that decodes to
 * the same invite. A parsed enrolment code is below 10^12 and its text
 * form parses back to it.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ayil/enrol.h"
#include "registry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const uint8_t *fuzz_seed(size_t i, size_t *len);

#define TEXT_MAX (3 * AYIL_INVITE_MAX)

static int terminated(const char *s, size_t cap) {
  return memchr(s, '\0', cap) != NULL;
}

static void check_invite(const char *text) {
  ayil_invite_t inv, again;
  ayil_invite_why_t why = AYIL_INVITE_OK;
  size_t pos = 0;
  char code[TEXT_MAX];
  int rc = ayil_invite_decode_why(text, &inv, &why, &pos);
  if ((rc == 0) != (why == AYIL_INVITE_OK) || why > AYIL_INVITE_FIELDS)
    abort();
  if (rc != 0) {
    if (rc != AYIL_EFORMAT && rc != AYIL_EVERSION && rc != AYIL_ETOOBIG)
      abort();
    if (why == AYIL_INVITE_ALPHABET && pos >= strlen(text))
      abort();
    if (ayil_invite_decode(text, &again) != rc)
      abort();
    return;
  }
  if (!terminated(inv.addr, sizeof inv.addr) ||
      !terminated(inv.name, sizeof inv.name) ||
      !terminated(inv.oblast, sizeof inv.oblast))
    abort();
  rc = ayil_invite_encode(&inv, code, sizeof code);
  if (rc == AYIL_EINVAL && inv.expires / 86400 >= 0xffff)
    return; /* a version-1 expiry past what version 2 can say */
  if (rc != 0 || ayil_invite_decode(code, &again) != 0)
    abort(); /* a decoded invite that does not survive its own encoding */
  if (strcmp(inv.addr, again.addr) != 0 || strcmp(inv.name, again.name) != 0 ||
      strcmp(inv.oblast, again.oblast) != 0 ||
      memcmp(inv.hub_id, again.hub_id, sizeof inv.hub_id) != 0 ||
      memcmp(inv.netkey, again.netkey, sizeof inv.netkey) != 0 ||
      memcmp(inv.token, again.token, sizeof inv.token) != 0 ||
      again.expires != (inv.expires + 86399) / 86400 * 86400)
    abort();
}

/* "ayilN-" + base64url(bytes || check). */
static void wrap(const char *prefix, const uint8_t *b, size_t n) {
  uint8_t raw[AYIL_INVITE_MAX + 4];
  char text[TEXT_MAX];
  if (n > AYIL_INVITE_MAX)
    n = AYIL_INVITE_MAX;
  memcpy(raw, b, n);
  crypto_generichash(raw + n, 4, raw, n, NULL, 0);
  memcpy(text, prefix, 6);
  sodium_bin2base64(text + 6, sizeof text - 6, raw, n + 4,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  check_invite(text);
}

static void check_enrol(const char *text) {
  uint64_t code = 0, back = 0;
  char again[AYIL_ENROL_TEXT + 8];
  int rc = ayil_enrol_code_parse(text, &code);
  if (rc != 0) {
    if (rc != AYIL_EFORMAT)
      abort();
    return;
  }
  if (code >= 1000000000000ULL)
    abort();
  snprintf(again, sizeof again, "%04u-%04u-%04u", (unsigned)(code / 100000000),
           (unsigned)(code / 10000 % 10000), (unsigned)(code % 10000));
  if (ayil_enrol_code_parse(again, &back) != 0 || back != code)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char text[TEXT_MAX];
  size_t n;
  if (size < 1)
    return 0;
  if (sodium_init() < 0)
    abort();
  n = size - 1 < sizeof text - 1 ? size - 1 : sizeof text - 1;
  memcpy(text, data + 1, n);
  text[n] = '\0';
  switch (data[0] % 4) {
  case 0:
    check_invite(text);
    break;
  case 1:
    wrap("ayil2-", data + 1, size - 1);
    break;
  case 2:
    wrap("ayil1-", data + 1, size - 1);
    break;
  default:
    check_enrol(text);
    break;
  }
  return 0;
}

/* Seeds: a genuine code as text, its bytes for mode 1, a version-1 code's
 * msgpack for mode 2, an enrolment code. */
const uint8_t *fuzz_seed(size_t i, size_t *len) {
  static uint8_t s[4][AYIL_INVITE_MAX * 2];
  static size_t sl[4];
  if (sl[0] == 0) {
    ayil_invite_t inv;
    char code[TEXT_MAX];
    size_t rlen = 0;
    if (sodium_init() < 0)
      abort();
    memset(&inv, 0, sizeof inv);
    snprintf(inv.addr, sizeof inv.addr, "hub.example.org:7420");
    memset(inv.hub_id, 0x11, sizeof inv.hub_id);
    memset(inv.netkey, 0x22, sizeof inv.netkey);
    memset(inv.token, 0x33, sizeof inv.token);
    snprintf(inv.name, sizeof inv.name, "Test Committee");
    snprintf(inv.oblast, sizeof inv.oblast, "Chuy");
    inv.expires = 1767225600;
    if (ayil_invite_encode(&inv, code, sizeof code) != 0)
      abort();
    s[0][0] = 0;
    memcpy(s[0] + 1, code, strlen(code));
    sl[0] = 1 + strlen(code);
    s[1][0] = 1;
    if (sodium_base642bin(s[1] + 1, sizeof s[1] - 1, code + 6, strlen(code + 6),
                          NULL, &rlen, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
      abort();
    sl[1] = 1 + rlen - 4;
    {
      /* A version 1 code, as ayil wrote them before version 2. */
      static const char v1[] =
          "mAGsMC4wLjAuMDo3NDQwxCDCzVIZBYXm5f-pwKx4d21COECNuGBEfC4qcCEkn1r"
          "WQMQgmH9rEnaf4IAnQAW7PCAhg6T5aY_16h8ndjwFgCxh5KPEEBj9foC4d5RIpfoZ"
          "IJghLwmySW52ZW50ZWQgQ29tbWl0dGVlpXRhbGFzzmsbmX2raG6b";
      s[2][0] = 2;
      if (sodium_base642bin(s[2] + 1, sizeof s[2] - 1, v1, strlen(v1), NULL,
                            &rlen, NULL,
                            sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        abort();
      sl[2] = 1 + rlen - 4;
    }
    memcpy(s[3],
           "\x03"
           "1234-5678 9012",
           15);
    sl[3] = 15;
  }
  if (i >= 4)
    return NULL;
  *len = sl[i];
  return s[i];
}

/* The enrolment confirmation code: see include/ayil/enrol.h. */
#include <string.h>

#include <sodium.h>

#include "ayil/enrol.h"
#include "ayil/error.h"

#define ENROL_DOMAIN "ayil/enrol/v1"
#define ENROL_MOD 1000000000000ull /* 10^12 */

uint64_t ayil_enrol_code(const uint8_t id[AYIL_ID_BYTES]) {
  uint8_t h[32];
  uint64_t v = 0;
  crypto_generichash_state st;
  int i;
  crypto_generichash_init(&st, NULL, 0, sizeof h);
  crypto_generichash_update(&st, (const uint8_t *)ENROL_DOMAIN,
                            sizeof ENROL_DOMAIN); /* with its NUL */
  crypto_generichash_update(&st, id, AYIL_ID_BYTES);
  crypto_generichash_final(&st, h, sizeof h);
  for (i = 0; i < 8; i++)
    v = v << 8 | h[i];
  return v % ENROL_MOD;
}

void ayil_enrol_code_text(const uint8_t id[AYIL_ID_BYTES],
                          char out[AYIL_ENROL_TEXT]) {
  uint64_t v = ayil_enrol_code(id);
  int i, k = AYIL_ENROL_TEXT - 1;
  out[k] = '\0';
  for (i = 0; i < AYIL_ENROL_DIGITS; i++) {
    if (i > 0 && i % 4 == 0)
      out[--k] = '-';
    out[--k] = (char)('0' + v % 10);
    v /= 10;
  }
}

int ayil_enrol_code_parse(const char *text, uint64_t *code) {
  uint64_t v = 0;
  int digits = 0;
  size_t i;
  if (text == NULL)
    return AYIL_EFORMAT;
  for (i = 0; text[i] != '\0' && i < 64; i++) {
    char ch = text[i];
    if (ch >= '0' && ch <= '9') {
      if (++digits > AYIL_ENROL_DIGITS)
        return AYIL_EFORMAT;
      v = v * 10 + (uint64_t)(ch - '0');
    } else if (ch != '-' && ch != ' ') {
      return AYIL_EFORMAT;
    }
  }
  if (digits != AYIL_ENROL_DIGITS || text[i] != '\0')
    return AYIL_EFORMAT;
  *code = v;
  return 0;
}

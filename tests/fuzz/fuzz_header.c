/* Fuzz target: the record header readers (proto/header.c) -- headers come
 * from any peer's entries, and the report reads every one it counts with
 * ayil_hdr_read_lax. Bytes 0..3 are the report's `want` mask (the same for
 * every kind), the rest is the header. Every reader returns a documented
 * code, and they agree: a header the strict reader takes is taken by
 * ayil_hdr_check, by the lax reader with the same values, by
 * ayil_hdr_kind_month with its kind and month, and by ayil_record_unpack,
 * whose JSON packs back to the same bytes (one canonical form). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ayil/entry.h"
#include "ayil/header.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const uint8_t *fuzz_seed(size_t i, size_t *len);

static int known_err(int rc) {
  return rc == AYIL_EFORMAT || rc == AYIL_ENOTCANON || rc == AYIL_ETRUNC ||
         rc == AYIL_ETRAILING;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint32_t want[16], mask;
  ayil_hdr_t strict, lax;
  ayil_notice_t notice;
  const char *kind = NULL, *month = NULL;
  size_t kindn = 0, monthn = 0, k, nk = ayil_schema_nkinds();
  char why[128];
  int rc, rc2, rc3;
  if (size < 4)
    return 0;
  mask = (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
         (uint32_t)data[2] << 8 | data[3];
  if (nk > 16)
    abort();
  for (k = 0; k < nk; k++)
    want[k] = mask;
  data += 4;
  size -= 4;

  rc = ayil_hdr_read(data, size, &strict);
  rc2 = ayil_hdr_check(data, size, why, sizeof why);
  if (rc != rc2 || (rc != 0 && !known_err(rc)) ||
      memchr(why, '\0', sizeof why) == NULL)
    abort(); /* the checker and the reader disagree */
  rc2 = ayil_hdr_read_lax(data, size, mask == 0 ? NULL : want, &lax);
  if (rc2 != 0 && !known_err(rc2))
    abort();
  rc3 = ayil_hdr_kind_month(data, size, &kind, &kindn, &month, &monthn);
  if (rc3 != 0 && !known_err(rc3))
    abort();
  rc3 = ayil_hdr_notice(data, size, &notice);
  if (rc3 != 0 && !known_err(rc3))
    abort();
  if (rc3 == 0 && notice.action != AYIL_NOTICE_ADMIT &&
      notice.action != AYIL_NOTICE_REVOKE &&
      notice.action != AYIL_NOTICE_REPLACE)
    abort();
  if (rc == 0) {
    json_t *o = NULL;
    uint8_t *back = NULL;
    size_t blen = 0, f;
    if (rc2 != 0 || lax.kind != strict.kind || lax.month != strict.month)
      abort(); /* the report refuses a header the strict reader took */
    for (f = 0; f < strict.kind->nfields; f++) {
      if (mask != 0 && !(mask & (1u << f)))
        continue;
      if (lax.f[f].present != strict.f[f].present ||
          (strict.f[f].present && lax.f[f].u != strict.f[f].u))
        abort(); /* the report reads another value */
    }
    if (ayil_hdr_kind_month(data, size, &kind, &kindn, &month, &monthn) != 0 ||
        kindn != strlen(strict.kind->name) ||
        memcmp(kind, strict.kind->name, kindn) != 0 ||
        (month == NULL) != (strict.month < 0))
      abort();
    if (ayil_record_unpack(data, size, &o) != 0)
      abort(); /* a header the record decoder refuses */
    if (ayil_record_pack(o, &back, &blen) != 0 || blen != size ||
        memcmp(back, data, size) != 0)
      abort(); /* two encodings of one header */
    free(back);
    json_decref(o);
  }
  return 0;
}

/* Seeds: headers of several kinds, as ayil_record_pack writes them, and a
 * hub's notice. */
const uint8_t *fuzz_seed(size_t i, size_t *len) {
  static const char *const json[] = {
      "{\"kind\":\"session\",\"month\":\"2026-03\",\"cases_reviewed\":3,"
      "\"violence_related\":true}",
      "{\"kind\":\"appeal\",\"month\":\"2026-03\",\"source\":\"police\","
      "\"violence\":[\"physical\",\"sexual\"],\"survivor_sex\":\"female\","
      "\"survivor_age\":\"26-40\",\"status\":\"open\",\"consent_services\":"
      "true,\"reviewed_with\":[\"none\"]}",
      "{\"kind\":\"family\",\"month\":\"2025-11\",\"reason\":[\"alcohol\","
      "\"other\"],\"risk\":\"high\",\"children\":3,\"status\":\"removed\","
      "\"removed_month\":\"2026-04\"}",
      "{\"kind\":\"referral\",\"month\":\"2026-02\",\"case\":"
      "\"0123456789abcdef0123456789abcdef\",\"service\":\"crisis_centre\","
      "\"status\":\"referred\"}",
      NULL, /* the notice */
  };
  static uint8_t s[5][512];
  static size_t sl[5];
  if (i >= 5)
    return NULL;
  if (sl[i] == 0) {
    json_t *o;
    uint8_t *b = NULL, id[AYIL_ID_BYTES], id2[AYIL_ID_BYTES];
    char node[AYIL_ID_TEXT], succ[AYIL_ID_TEXT];
    size_t n = 0;
    if (json[i] != NULL) {
      o = json_loads(json[i], 0, NULL);
    } else {
      memset(id, 0x21, sizeof id);
      memset(id2, 0x42, sizeof id2);
      ayil_id_to_text(id, node);
      ayil_id_to_text(id2, succ);
      o = json_pack("{s:s, s:s, s:s, s:s}", "action", "admit", "kind", "notice",
                    "node", node, "successor_of", succ);
    }
    if (o == NULL || ayil_record_pack(o, &b, &n) != 0 || n + 4 > sizeof s[i])
      abort();
    memset(s[i], 0xff, 4);
    memcpy(s[i] + 4, b, n);
    sl[i] = n + 4;
    free(b);
    json_decref(o);
  }
  *len = sl[i];
  return s[i];
}

/* Fuzz target: record input (node/record.c) -- the path `ayil record add`
 * and `record edit` take from the JSON text a member typed (or a script
 * wrote) to a validated header and body. Byte 0 picks the kind, byte 1 the
 * mode; the rest is JSON text, read as cli/cmd_record.c reads it.
 *   mode even  add: the text is the input object;
 *   mode odd   update: the text is [OLD, CHANGE]; OLD is added, then CHANGE
 *              applied to it (its body given, or not when mode & 2).
 * ayil_record_build returns a documented code with a NUL-terminated error;
 * it succeeds exactly when ayil_record_problems finds none (add); what it
 * builds passes the encoder's guard and the strict header reader, and the
 * header and body unpack to what was packed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ayil/header.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const uint8_t *fuzz_seed(size_t i, size_t *len);

static void count_prob(void *ctx, const char *field, ayil_prob_t what) {
  (void)field;
  if (what < AYIL_PROB_UNKNOWN || what > AYIL_PROB_CASE)
    abort();
  ++*(size_t *)ctx;
}

static void packs_back(const json_t *o) {
  uint8_t *b = NULL;
  size_t n = 0;
  json_t *back = NULL;
  int rc = ayil_record_pack(o, &b, &n);
  if (rc == AYIL_ETOOBIG)
    return;
  if (rc != 0 || ayil_record_unpack(b, n, &back) != 0 || !json_equal(o, back))
    abort(); /* what was built does not survive its own encoding */
  json_decref(back);
  free(b);
}

static void built(const json_t *h, const json_t *b) {
  char err[256];
  uint8_t *hb = NULL;
  size_t hl = 0;
  ayil_hdr_t hdr;
  if (h == NULL || ayil_record_check_header(h, err, sizeof err) != 0)
    abort(); /* the builder made a header its own guard refuses */
  if (ayil_record_pack(h, &hb, &hl) != 0 || ayil_hdr_read(hb, hl, &hdr) != 0)
    abort(); /* ... or one that a peer's strict reader would refuse */
  free(hb);
  packs_back(h);
  if (b != NULL)
    packs_back(b);
}

static int build(const char *kind, const json_t *in, const json_t *oh,
                 const json_t *ob, json_t **h, json_t **b) {
  char err[256];
  int rc;
  memset(err, 'x', sizeof err);
  rc = ayil_record_build(kind, in, oh, ob, h, b, err, sizeof err);
  if (memchr(err, '\0', sizeof err) == NULL && rc != 0)
    abort();
  if (rc != 0 && rc != AYIL_EINVAL && rc != AYIL_ESTATE && rc != AYIL_ENOMEM)
    abort();
  if (rc != 0 && (*h != NULL || *b != NULL))
    abort();
  if (rc == AYIL_ESTATE && (oh == NULL || ob != NULL))
    abort();
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const ayil_kind_t *k;
  json_error_t jerr;
  json_t *in, *h = NULL, *b = NULL;
  int mode, rc;
  if (size < 2)
    return 0;
  k = ayil_schema_kind_at(data[0] % ayil_schema_nkinds());
  mode = data[1];
  in = json_loadb((const char *)data + 2, size - 2, JSON_REJECT_DUPLICATES,
                  &jerr);
  if (in == NULL)
    return 0;
  if (!(mode & 1)) {
    size_t probs = 0;
    if (json_is_object(in)) {
      rc = build(k->name, in, NULL, NULL, &h, &b);
      (void)ayil_record_touches_body(k->name, in);
      if (ayil_record_problems(k->name, in, NULL, count_prob, &probs) != probs)
        abort();
      if (rc == 0 && probs != 0)
        abort(); /* built, yet a form would show problems */
      if (rc == AYIL_EINVAL && probs == 0)
        abort(); /* refused, yet a form would show nothing wrong */
      if (rc == 0)
        built(h, b);
    }
  } else if (json_is_array(in) && json_array_size(in) == 2 &&
             json_is_object(json_array_get(in, 0)) &&
             json_is_object(json_array_get(in, 1)) &&
             build(k->name, json_array_get(in, 0), NULL, NULL, &h, &b) == 0) {
    json_t *h2 = NULL, *b2 = NULL;
    const json_t *change = json_array_get(in, 1);
    size_t probs = 0;
    rc = build(k->name, change, h, (mode & 2) ? NULL : b, &h2, &b2);
    (void)ayil_record_problems(k->name, change, h, count_prob, &probs);
    if (rc == 0) {
      built(h2, b2);
      if (b2 == NULL && ayil_record_touches_body(k->name, change))
        abort(); /* a change to the body that was dropped */
    }
    json_decref(h2);
    json_decref(b2);
  }
  json_decref(h);
  json_decref(b);
  json_decref(in);
  return 0;
}

/* Seeds: a valid input of each kind (add), and updates. */
#define CASE_ID "0123456789abcdef0123456789abcdef"
static const char *const inputs[][2] = {
    {"appeal",
     "{\"date\":\"2026-03-14\",\"source\":\"police\",\"violence\":[\"sexual\","
     "\"physical\"],\"survivor_sex\":\"female\",\"survivor_age\":\"26-40\","
     "\"status\":\"open\",\"consent_services\":true,\"reviewed_with\":"
     "[\"none\"],\"survivor_name\":\"Zhyldyz Inventedova\",\"narrative\":"
     "\"an invented story\"}"},
    {"referral", "{\"case\":\"" CASE_ID "\",\"date\":\"2026-02-28\","
                 "\"service\":\"crisis_centre\",\"status\":\"referred\","
                 "\"notes\":\"n\"}"},
    {"protection_order", "{\"case\":\"" CASE_ID "\",\"date\":\"2024-02-29\","
                         "\"days\":30,\"extended\":false,\"order_number\":"
                         "\"PO-17\"}"},
    {"correction", "{\"case\":\"" CASE_ID "\",\"date\":\"2026-01-05\","
                   "\"outcome\":\"ongoing\"}"},
    {"family", "{\"date\":\"2025-11-02\",\"reason\":[\"other\",\"alcohol\"],"
               "\"risk\":\"high\",\"children\":3,\"status\":\"removed\","
               "\"removed_date\":\"2026-04-01\",\"family_name\":"
               "\"Inventedovs\"}"},
    {"followup", "{\"case\":\"" CASE_ID "\",\"date\":\"2026-03-01\","
                 "\"action\":\"home_visit\",\"result\":\"done\"}"},
    {"session", "{\"date\":\"2026-03-10\",\"cases_reviewed\":4,\"violence_"
                "related\":true}"},
    {"prevention", "{\"date\":\"2026-03-08\",\"audience\":\"pupils_8_11\","
                   "\"participants_female\":40,\"participants_male\":0}"},
    {"training", "{\"date\":\"2026-03-20\",\"days\":2,\"participants_female\":"
                 "20,\"participants_male\":10,\"groups\":[\"police\","
                 "\"ngo\"],\"notes\":\"\"}"},
    {"aid", "{\"date\":\"2026-03-21\",\"kind\":\"money\",\"amount_som\":6500,"
            "\"recipient_name\":\"Zhyldyz Inventedova\"}"},
    {"closure", "{\"case\":\"" CASE_ID "\",\"date\":\"2026-03-30\","
                "\"reason\":\"resolved\"}"},
    {"family~", "[{\"date\":\"2025-11-02\",\"reason\":[\"alcohol\"],\"risk\":"
                "\"high\",\"children\":3,\"status\":\"active\",\"family_name\":"
                "\"Inventedovs\"},{\"status\":\"removed\",\"removed_date\":"
                "\"2026-04-01\",\"children\":null}]"},
    {"appeal~", "[{\"date\":\"2026-03-14\",\"source\":\"police\",\"violence\":"
                "[\"physical\"],\"survivor_sex\":\"female\",\"survivor_age\":"
                "\"26-40\",\"status\":\"open\",\"consent_services\":true,"
                "\"reviewed_with\":[\"none\"],\"survivor_name\":\"A B\"},"
                "{\"status\":\"closed\",\"narrative\":\"x\"}]"},
};

const uint8_t *fuzz_seed(size_t i, size_t *len) {
  static uint8_t s[sizeof inputs / sizeof inputs[0]][1024];
  size_t n = sizeof inputs / sizeof inputs[0], kx, kl;
  char name[32];
  if (i >= n)
    return NULL;
  kl = strcspn(inputs[i][0], "~");
  memcpy(name, inputs[i][0], kl);
  name[kl] = '\0';
  for (kx = 0; kx < ayil_schema_nkinds(); kx++)
    if (strcmp(ayil_schema_kind_at(kx)->name, name) == 0)
      break;
  s[i][0] = (uint8_t)kx;
  s[i][1] = inputs[i][0][kl] == '~' ? 1 : 0;
  *len = 2 + strlen(inputs[i][1]);
  memcpy(s[i] + 2, inputs[i][1], *len - 2);
  return s[i];
}

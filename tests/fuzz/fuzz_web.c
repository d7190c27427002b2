/* Fuzz target: ayil-web's reading of what a browser sends (web/http.c,
 * web/forms.c, web/session.c). libmicrohttpd splits the request and
 * decodes the form's urlencoding; this target plays its part and hands
 * the fields over as it does, in pieces. Byte 0 picks the record kind,
 * byte 1 the mode, bytes 2..3 seed the pieces:
 *   mode & 3 == 3  the rest is a cookie header's value: the session cookie
 *                  (ayil_s) finds the one open session exactly when it is
 *                  that session's token, and the language cookie is a known
 *                  language or none;
 *   otherwise      the rest is a form body, "key=value&..." with %XX
 *                  escapes (any bytes, NUL too). Fields are gathered, the
 *                  UTF-8 check runs, and a form that passes becomes record
 *                  input (form_input: add, or with mode & 1 an update of
 *                  the same form, unlocked when mode & 2), which the node's
 *                  validation then judges. Values are only strings, counts,
 *                  booleans, null or lists of strings.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "i18n.h"
#include "web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const uint8_t *fuzz_seed(size_t i, size_t *len);

/* web/main.c's, which this target does not link. */
int web_dispatch(web_req_t *r) {
  (void)r;
  return MHD_NO;
}
void web_kick_ayild(web_t *w) {
  (void)w;
}

static web_t web;
static char token_text[WEB_TOKEN_TEXT];
static uint8_t fake_sk[32];
static int ready;

static void setup(void) {
  if (ready)
    return;
  if (sodium_init() < 0)
    abort();
  web.idle_s = 900;
  memset(web.sessions[7].token, 0x7a, WEB_TOKEN_BYTES);
  web.sessions[7].used = 1;
  web.sessions[7].last_ms = 1000;
  web_token_text(web.sessions[7].token, token_text);
  ready = 1;
}

static uint32_t split_rng;
static size_t piece(size_t left) {
  size_t k;
  split_rng = split_rng * 1103515245u + 12345u;
  k = 1 + (split_rng >> 16) % 64;
  return k < left ? k : left;
}

static int hexval(uint8_t c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* URL-decodes d[0..n) into out (at most n bytes); returns the length. */
static size_t unescape(const uint8_t *d, size_t n, char *out) {
  size_t i, o = 0;
  for (i = 0; i < n; i++) {
    if (d[i] == '+') {
      out[o++] = ' ';
    } else if (d[i] == '%' && i + 2 < n + 0 && hexval(d[i + 1]) >= 0 &&
               hexval(d[i + 2]) >= 0) {
      out[o++] = (char)(hexval(d[i + 1]) << 4 | hexval(d[i + 2]));
      i += 2;
    } else {
      out[o++] = (char)d[i];
    }
  }
  return o;
}

static int value_ok(json_t *v) {
  size_t i;
  if (json_is_string(v) || json_is_integer(v) || json_is_boolean(v) ||
      json_is_null(v))
    return 1;
  if (!json_is_array(v))
    return 0;
  for (i = 0; i < json_array_size(v); i++)
    if (!json_is_string(json_array_get(v, i)))
      return 0;
  return 1;
}

static void count_prob(void *ctx, const char *field, ayil_prob_t what) {
  (void)field;
  (void)what;
  ++*(size_t *)ctx;
}

static void form(const ayil_kind_t *k, int mode, const uint8_t *d, size_t n) {
  web_req_t *r = calloc(1, sizeof *r);
  web_session_t s;
  char *key = malloc(n + 1), *val = malloc(n + 1);
  size_t i = 0, f;
  if (r == NULL || key == NULL || val == NULL)
    abort();
  memset(&s, 0, sizeof s);
  s.sk = (mode & 2) ? fake_sk : NULL;
  r->w = &web;
  r->lang = "en";
  r->post = 1;
  r->s = &s;
  while (i < n) {
    size_t end = i, eq, kl, vl, off = 0;
    while (end < n && d[end] != '&')
      end++;
    for (eq = i; eq < end && d[eq] != '='; eq++)
      ;
    kl = unescape(d + i, eq - i, key);
    key[kl] = '\0'; /* MHD hands the key as a C string */
    vl = eq < end ? unescape(d + eq + 1, end - eq - 1, val) : 0;
    do {
      size_t p = piece(vl - off);
      if (web_field_add(r, key, val + off, off, p) != 0)
        abort();
      off += p;
    } while (off < vl);
    i = end + 1;
  }
  if (r->nfields > WEB_FIELDS_MAX)
    abort();
  for (f = 0; f < r->nfields; f++)
    if (r->fields[f].val == NULL || r->fields[f].val[r->fields[f].len] != 0 ||
        strncmp(r->fields[f].key, "__", 2) == 0)
      abort();
  if (web_fields_valid(r) && !r->too_many) {
    web_problems_t probs;
    json_t *in, *again = NULL;
    const char *it;
    json_t *v;
    size_t np = 0;
    memset(&probs, 0, sizeof probs);
    in = form_input(r, k, 0, NULL, &probs);
    if (in == NULL || probs.n > WEB_PROBLEMS_MAX)
      abort();
    json_object_foreach(in, it, v) {
      if (ayil_kind_field(k, it) == NULL || !value_ok(v))
        abort(); /* record input the form does not have */
    }
    (void)ayil_record_problems(k->name, in, NULL, count_prob, &np);
    if ((mode & 1) && probs.n == 0 && probs.general[0] == '\0') {
      again = form_input(r, k, 1, in, &probs);
      if (again == NULL || probs.n > WEB_PROBLEMS_MAX)
        abort();
      json_object_foreach(again, it, v) {
        if (ayil_kind_field(k, it) == NULL || !value_ok(v))
          abort();
      }
      if (json_object_size(again) != 0)
        abort(); /* the same form again changes nothing */
    }
    json_decref(again);
    json_decref(in);
  }
  web_fields_free(r);
  free(r);
  free(key);
  free(val);
}

static void cookie(const uint8_t *d, size_t n) {
  char text[256];
  web_session_t *s;
  const char *lang;
  size_t l = n < sizeof text - 1 ? n : sizeof text - 1;
  memcpy(text, d, l);
  text[l] = '\0';
  web.sessions[7].used = 1;
  web.sessions[7].last_ms = 1000;
  s = sess_find(&web, text, 2000);
  if ((s != NULL) != (strcmp(text, token_text) == 0) ||
      (s != NULL && s != &web.sessions[7]))
    abort(); /* a session for a cookie that is not its token */
  if (web_token_eq(text, token_text) != (strcmp(text, token_text) == 0))
    abort();
  lang = ayil_lang_valid(text);
  if (lang != NULL && strcmp(lang, "ky") != 0 && strcmp(lang, "ru") != 0 &&
      strcmp(lang, "en") != 0)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const ayil_kind_t *k;
  if (size < 4)
    return 0;
  setup();
  k = ayil_schema_kind_at(data[0] % ayil_schema_nkinds());
  split_rng = (uint32_t)data[2] << 8 | data[3];
  if ((data[1] & 3) == 3)
    cookie(data + 4, size - 4);
  else
    form(k, data[1], data + 4, size - 4);
  return 0;
}

/* Seeds: forms of a session, an appeal and a family as a browser sends
 * them (kinds by their index), and the session cookie. */
const uint8_t *fuzz_seed(size_t i, size_t *len) {
  static const char *const forms[][2] = {
      {"session", "csrf=abc&date=2026-03-10&cases_reviewed=4&"
                  "violence_related=true"},
      {"appeal",
       "csrf=abc&date=2026-03-14&source=police&violence=sexual&violence="
       "physical&survivor_sex=female&survivor_age=26-40&status=open&"
       "consent_services=true&reviewed_with=none&survivor_name=Zhyldyz+"
       "Inventedova&narrative=an+invented+story%0D%0Awith+%D0%B0+line"},
      {"family", "date=2025-11-02&reason=alcohol&risk=high&children=3&status="
                 "removed&removed_date=2026-04-01&family_name=Inventedovs"},
  };
  static uint8_t s[4][512];
  size_t kx;
  if (i > 3)
    return NULL;
  setup();
  if (i == 3) {
    s[3][0] = 0;
    s[3][1] = 3;
    s[3][2] = s[3][3] = 0;
    memcpy(s[3] + 4, token_text, WEB_TOKEN_TEXT - 1);
    *len = 4 + WEB_TOKEN_TEXT - 1;
    return s[3];
  }
  for (kx = 0; kx < ayil_schema_nkinds(); kx++)
    if (strcmp(ayil_schema_kind_at(kx)->name, forms[i][0]) == 0)
      break;
  s[i][0] = (uint8_t)kx;
  s[i][1] = (uint8_t)(i == 2 ? 1 : 2);
  s[i][2] = 0x12;
  s[i][3] = (uint8_t)i;
  *len = 4 + strlen(forms[i][1]);
  memcpy(s[i] + 4, forms[i][1], *len - 4);
  return s[i];
}

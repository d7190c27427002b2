/*
 * Sessions, CSRF tokens and login throttling, in memory only: a restart
 * logs everyone out and forgets every held secret.
 *
 * A session is a random 256-bit token in a cookie (HttpOnly, Secure,
 * SameSite=Strict), found by a constant-time compare against every slot.
 * Its CSRF token is another random value, put in every form and checked on
 * every POST. While a member has unlocked, the session holds the reader
 * secret in sodium_malloc'ed memory (locked, guarded) and wipes it on lock,
 * log-out, idle time-out and exit.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "web.h"

void web_token_text(const uint8_t *b, char out[WEB_TOKEN_TEXT]) {
  sodium_bin2base64(out, WEB_TOKEN_TEXT, b, WEB_TOKEN_BYTES,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void web_random_token(char out[WEB_TOKEN_TEXT]) {
  uint8_t b[WEB_TOKEN_BYTES];
  randombytes_buf(b, sizeof b);
  web_token_text(b, out);
  sodium_memzero(b, sizeof b);
}

int web_token_eq(const char *a, const char *b) {
  char x[WEB_TOKEN_TEXT], y[WEB_TOKEN_TEXT];
  int eq;
  if (a == NULL || b == NULL || strlen(a) != WEB_TOKEN_TEXT - 1 ||
      strlen(b) != WEB_TOKEN_TEXT - 1)
    return 0;
  memcpy(x, a, WEB_TOKEN_TEXT);
  memcpy(y, b, WEB_TOKEN_TEXT);
  eq = sodium_memcmp(x, y, WEB_TOKEN_TEXT) == 0;
  return eq;
}

static int token_of(const char *text, uint8_t out[WEB_TOKEN_BYTES]) {
  size_t got = 0;
  if (text == NULL || strlen(text) != WEB_TOKEN_TEXT - 1)
    return -1;
  if (sodium_base642bin(out, WEB_TOKEN_BYTES, text, WEB_TOKEN_TEXT - 1, NULL,
                        &got, NULL,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      got != WEB_TOKEN_BYTES)
    return -1;
  return 0;
}

web_session_t *sess_find(web_t *w, const char *cookie, uint64_t now_ms) {
  uint8_t t[WEB_TOKEN_BYTES];
  web_session_t *found = NULL;
  size_t i;
  if (token_of(cookie, t) != 0)
    return NULL;
  for (i = 0; i < WEB_SESSIONS_MAX; i++) {
    web_session_t *s = &w->sessions[i];
    /* every slot compared, in constant time */
    int eq = sodium_memcmp(s->token, t, WEB_TOKEN_BYTES) == 0;
    if (eq && s->used)
      found = s;
  }
  sodium_memzero(t, sizeof t);
  if (found != NULL && now_ms - found->last_ms > (uint64_t)w->idle_s * 1000) {
    sess_end(found); /* expired */
    return NULL;
  }
  if (found != NULL)
    found->last_ms = now_ms;
  return found;
}

web_session_t *sess_new(web_t *w, const char *member, const char *role,
                        const char *addr, uint64_t now_ms,
                        char token_text[WEB_TOKEN_TEXT]) {
  web_session_t *s = NULL, *oldest = NULL;
  size_t i;
  sess_sweep(w, now_ms);
  for (i = 0; i < WEB_SESSIONS_MAX && s == NULL; i++)
    if (!w->sessions[i].used)
      s = &w->sessions[i];
  if (s == NULL) { /* full: the least recently used one goes */
    for (i = 0; i < WEB_SESSIONS_MAX; i++)
      if (oldest == NULL || w->sessions[i].last_ms < oldest->last_ms)
        oldest = &w->sessions[i];
    sess_end(oldest);
    s = oldest;
  }
  memset(s, 0, sizeof *s);
  s->used = 1;
  randombytes_buf(s->token, sizeof s->token);
  web_token_text(s->token, token_text);
  web_random_token(s->csrf);
  snprintf(s->member, sizeof s->member, "%s", member);
  snprintf(s->role, sizeof s->role, "%s", role);
  snprintf(s->addr, sizeof s->addr, "%s", addr);
  s->last_ms = now_ms;
  return s;
}

void sess_lock(web_session_t *s) {
  if (s->sk != NULL) {
    sodium_free(s->sk); /* wipes */
    s->sk = NULL;
  }
}

int sess_unlock(web_session_t *s, const uint8_t sk[AYIL_READER_SK_BYTES]) {
  sess_lock(s);
  s->sk = sodium_malloc(AYIL_READER_SK_BYTES);
  if (s->sk == NULL)
    return -1;
  memcpy(s->sk, sk, AYIL_READER_SK_BYTES);
  sodium_mprotect_readonly(s->sk);
  return 0;
}

void sess_end(web_session_t *s) {
  sess_lock(s);
  sodium_memzero(s, sizeof *s);
}

void sess_sweep(web_t *w, uint64_t now_ms) {
  size_t i;
  for (i = 0; i < WEB_SESSIONS_MAX; i++) {
    web_session_t *s = &w->sessions[i];
    if (s->used && now_ms - s->last_ms > (uint64_t)w->idle_s * 1000)
      sess_end(s);
  }
}

void sess_end_member(web_t *w, const char *member) {
  size_t i;
  for (i = 0; i < WEB_SESSIONS_MAX; i++)
    if (w->sessions[i].used && strcmp(w->sessions[i].member, member) == 0)
      sess_end(&w->sessions[i]);
}

/* ---- throttling ---- */

static void tkey(const char *prefix, const char *v, uint8_t out[16]) {
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, 16);
  crypto_generichash_update(&st, (const uint8_t *)prefix, strlen(prefix));
  crypto_generichash_update(&st, (const uint8_t *)v, strlen(v));
  crypto_generichash_final(&st, out, 16);
}

static web_throttle_t *tslot(web_t *w, const uint8_t key[16], int create,
                             uint64_t now_ms) {
  web_throttle_t *free_slot = NULL, *oldest = NULL;
  size_t i;
  for (i = 0; i < WEB_THROTTLE_SLOTS; i++) {
    web_throttle_t *t = &w->throttle[i];
    if (t->used && memcmp(t->key, key, 16) == 0)
      return t;
    if (!t->used && free_slot == NULL)
      free_slot = t;
    if (t->used && (oldest == NULL || t->last_ms < oldest->last_ms))
      oldest = t;
  }
  if (!create)
    return NULL;
  if (free_slot == NULL)
    free_slot = oldest;
  memset(free_slot, 0, sizeof *free_slot);
  free_slot->used = 1;
  memcpy(free_slot->key, key, 16);
  free_slot->last_ms = now_ms;
  return free_slot;
}

static unsigned wait_of(const web_throttle_t *t, uint64_t now_ms) {
  if (t == NULL || t->until_ms <= now_ms)
    return 0;
  return (unsigned)((t->until_ms - now_ms + 999) / 1000);
}

unsigned throttle_wait(web_t *w, const char *member, const char *addr,
                       uint64_t now_ms) {
  uint8_t km[16], ka[16];
  unsigned a, b;
  tkey("m:", member, km);
  tkey("a:", addr, ka);
  a = wait_of(tslot(w, km, 0, now_ms), now_ms);
  b = wait_of(tslot(w, ka, 0, now_ms), now_ms);
  return a > b ? a : b;
}

/* After WEB_THROTTLE_FREE failures, each one doubles the wait: 30 s, 60 s,
 * ... up to 15 minutes. A quiet hour forgets the failures. */
static void fail_one(web_throttle_t *t, uint64_t now_ms) {
  if (now_ms - t->last_ms > 3600 * 1000ULL)
    t->fails = 0;
  t->fails++;
  t->last_ms = now_ms;
  if (t->fails >= WEB_THROTTLE_FREE) {
    unsigned sh = t->fails - WEB_THROTTLE_FREE;
    uint64_t s = sh > 5 ? 900 : 30ULL << sh;
    if (s > 900)
      s = 900;
    t->until_ms = now_ms + s * 1000;
  }
}

void throttle_fail(web_t *w, const char *member, const char *addr,
                   uint64_t now_ms) {
  uint8_t km[16], ka[16];
  tkey("m:", member, km);
  tkey("a:", addr, ka);
  fail_one(tslot(w, km, 1, now_ms), now_ms);
  fail_one(tslot(w, ka, 1, now_ms), now_ms);
}

void throttle_ok(web_t *w, const char *member, const char *addr) {
  uint8_t km[16];
  web_throttle_t *t;
  (void)addr; /* other members may share the office's address */
  tkey("m:", member, km);
  t = tslot(w, km, 0, 0);
  if (t != NULL)
    memset(t, 0, sizeof *t);
}

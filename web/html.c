/* An HTML buffer. Data goes in only through h_text, which escapes it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "report.h"
#include "web.h"

void h_init(html_t *h) {
  memset(h, 0, sizeof *h);
}

void h_free(html_t *h) {
  if (h->p != NULL) {
    sodium_memzero(h->p, h->cap);
    free(h->p);
  }
  memset(h, 0, sizeof *h);
}

static int grow(html_t *h, size_t more) {
  size_t need = h->len + more + 1, cap;
  char *p;
  if (h->oom)
    return -1;
  if (need <= h->cap)
    return 0;
  cap = h->cap ? h->cap : 4096;
  while (cap < need)
    cap *= 2;
  /* never realloc: the old block may hold a body; copy and wipe it */
  p = malloc(cap);
  if (p == NULL) {
    h->oom = 1;
    return -1;
  }
  if (h->p != NULL) {
    memcpy(p, h->p, h->len + 1);
    sodium_memzero(h->p, h->cap);
    free(h->p);
  }
  h->p = p;
  h->cap = cap;
  return 0;
}

static void put(html_t *h, const char *s, size_t n) {
  if (grow(h, n) != 0)
    return;
  memcpy(h->p + h->len, s, n);
  h->len += n;
  h->p[h->len] = '\0';
}

void h_raw(html_t *h, const char *s) {
  put(h, s, strlen(s));
}

void h_rawf(html_t *h, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0)
    put(h, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

void h_textn(html_t *h, const char *s, size_t n) {
  size_t i, start = 0;
  for (i = 0; i < n; i++) {
    const char *rep = ayil_html_entity((unsigned char)s[i]);
    if (rep != NULL) {
      put(h, s + start, i - start);
      put(h, rep, strlen(rep));
      start = i + 1;
    }
  }
  put(h, s + start, n - start);
}

void h_text(html_t *h, const char *s) {
  if (s != NULL)
    h_textn(h, s, strlen(s));
}

void h_textn_num(html_t *h, const char *tmpl, long long n) {
  const char *at = strstr(tmpl, "{n}");
  char num[32];
  if (at == NULL) {
    h_text(h, tmpl);
    return;
  }
  h_textn(h, tmpl, (size_t)(at - tmpl));
  snprintf(num, sizeof num, "%lld", n);
  h_text(h, num);
  h_text(h, at + 3);
}

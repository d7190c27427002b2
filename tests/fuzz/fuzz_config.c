/* Fuzz target: the config file (node/config.c, ayil_config_parse, the one
 * parser ayil_config_load uses). The input is the file's text. A config
 * is refused with AYIL_EINVAL and a NUL-terminated "conf: ..." error, or
 * taken; what is taken is written back (ayil_config_format, what `ayil
 * init` saves) and parses to the same settings, or the writer refuses it
 * (AYIL_EINVAL: a value that would read back otherwise). Addresses go through
 * ayil_hostport_split as ayild and ayil-web do. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ayil/error.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const uint8_t *fuzz_seed(size_t i, size_t *len);

static void split(const char *hp) {
  char host[128];
  unsigned port = 99999;
  int rc = ayil_hostport_split(hp, host, sizeof host, &port);
  if (rc != 0 && rc != AYIL_EINVAL)
    abort();
  if (rc == 0 &&
      (port > 65535 || host[0] == '\0' || strlen(host) >= strlen(hp)))
    abort();
}

/* The settings ayil_config_format writes for c's role. */
static int same(const ayil_config_t *a, const ayil_config_t *b) {
  int hub = strcmp(a->role, "hub") == 0;
  return strcmp(a->role, b->role) == 0 && strcmp(a->name, b->name) == 0 &&
         strcmp(a->oblast, b->oblast) == 0 &&
         strcmp(a->log_level, b->log_level) == 0 &&
         (!hub || (strcmp(a->listen, b->listen) == 0 &&
                   strcmp(a->advertise, b->advertise) == 0 &&
                   a->quarantine_days == b->quarantine_days)) &&
         (hub || a->hub_addr[0] == '\0' ||
          (strcmp(a->hub_addr, b->hub_addr) == 0 &&
           strcmp(a->hub_id, b->hub_id) == 0)) &&
         a->poll_interval_s == b->poll_interval_s &&
         a->linger_s == b->linger_s && a->dead_after_s == b->dead_after_s &&
         a->backoff_max_s == b->backoff_max_s &&
         strcmp(a->web_listen, b->web_listen) == 0 &&
         strcmp(a->web_cert, b->web_cert) == 0 &&
         strcmp(a->web_key, b->web_key) == 0 && a->web_tls == b->web_tls &&
         a->web_idle_s == b->web_idle_s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text, err[256], again[4096];
  ayil_config_t c, d;
  int rc;
  if (size > AYIL_CONFIG_MAX)
    return 0;
  text = malloc(size + 1);
  if (text == NULL)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  memset(err, 'x', sizeof err);
  rc = ayil_config_parse(text, "conf", &c, err, sizeof err);
  free(text);
  if (rc != 0) {
    if (rc != AYIL_EINVAL || memchr(err, '\0', sizeof err) == NULL ||
        strncmp(err, "conf: ", 6) != 0)
      abort();
    return 0;
  }
  if (strcmp(c.role, "hub") != 0 && strcmp(c.role, "committee") != 0)
    abort();
  split(c.listen);
  split(c.advertise);
  split(c.hub_addr);
  split(c.web_listen);
  rc = ayil_config_format(&c, again, sizeof again);
  if (rc == AYIL_EINVAL)
    return 0; /* a value that would not read back: refused, not changed */
  if (rc != 0 || ayil_config_parse(again, "again", &d, err, sizeof err) != 0 ||
      !same(&c, &d))
    abort(); /* a config that does not survive `ayil init`'s writing */
  return 0;
}

/* Seeds: a committee's and a hub's config as ayil_config_format writes
 * them, and one with comments, odd spacing and every [web] key. */
const uint8_t *fuzz_seed(size_t i, size_t *len) {
  static char s[3][4096];
  if (i >= 3)
    return NULL;
  if (s[0][0] == '\0') {
    ayil_config_t c;
    ayil_config_defaults(&c);
    strcpy(c.role, "committee");
    strcpy(c.name, "Test Committee");
    strcpy(c.oblast, "Chuy");
    strcpy(c.hub_addr, "hub.example.org:7420");
    strcpy(c.hub_id, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    if (ayil_config_format(&c, s[0], sizeof s[0]) != 0)
      abort();
    ayil_config_defaults(&c);
    strcpy(c.role, "hub");
    strcpy(c.name, "Test Hub");
    strcpy(c.listen, "[::]:7420");
    strcpy(c.advertise, "hub.example.org:7420");
    c.quarantine_days = 14;
    if (ayil_config_format(&c, s[1], sizeof s[1]) != 0)
      abort();
    strcpy(s[2], "; comment\n[node]\n  role=committee\nname = A ; inline\n"
                 "[web]\nlisten=127.0.0.1:8080\ntls = off\nidle_timeout=60\n"
                 "cert=/etc/x.crt\nkey = k.pem\n[sync]\nlinger=0\n");
  }
  *len = strlen(s[i]);
  return (const uint8_t *)s[i];
}

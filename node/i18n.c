/*
 * gettext with the language chosen per call. glibc's gettext reads the
 * LANGUAGE variable on every lookup when the locale is not "C"; changing
 * it and bumping _nl_msg_cat_cntr (the documented way to tell gettext that
 * catalogues changed) makes the next lookup use that language. The
 * locale is C.UTF-8, which glibc always has, so no locale needs to be
 * generated on the Pi.
 */
#include <libintl.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"

extern int _nl_msg_cat_cntr;

#ifndef AYIL_LOCALEDIR
#define AYIL_LOCALEDIR "/usr/share/locale"
#endif

const char *const ayil_langs[AYIL_LANGS] = {"ky", "ru", "en"};

static char g_dir[PATH_MAX + 16];
static char g_lang[8];

const char *ayil_lang_valid(const char *lang) {
  int i;
  if (lang == NULL)
    return NULL;
  for (i = 0; i < AYIL_LANGS; i++)
    if (strcmp(lang, ayil_langs[i]) == 0)
      return ayil_langs[i];
  return NULL;
}

static int is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *ayil_i18n_init(void) {
  const char *env = getenv("AYIL_LOCALEDIR");
  if (g_dir[0] != '\0')
    return g_dir;
  if (env != NULL && env[0] != '\0') {
    snprintf(g_dir, sizeof g_dir, "%s", env);
  } else {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash;
    g_dir[0] = '\0';
    if (n > 0) {
      exe[n] = '\0';
      slash = strrchr(exe, '/');
      /* the build tree: build/locale beside build/ayil, or one up for the
       * test programs in build/tests/... */
      if (slash != NULL) {
        int up;
        *slash = '\0';
        for (up = 0; up < 4 && g_dir[0] == '\0'; up++) {
          char cand[PATH_MAX + 16];
          snprintf(cand, sizeof cand, "%s/locale/ky", exe);
          if (is_dir(cand))
            snprintf(g_dir, sizeof g_dir, "%s/locale", exe);
          else if ((slash = strrchr(exe, '/')) != NULL && slash != exe)
            *slash = '\0';
          else
            break;
        }
      }
    }
    if (g_dir[0] == '\0')
      snprintf(g_dir, sizeof g_dir, "%s", AYIL_LOCALEDIR);
  }
  /* LANGUAGE is honoured only when the locale is not "C". */
  if (setlocale(LC_MESSAGES, "C.UTF-8") == NULL)
    (void)setlocale(LC_MESSAGES, "");
  bindtextdomain(AYIL_DOMAIN, g_dir);
  bind_textdomain_codeset(AYIL_DOMAIN, "UTF-8");
  bindtextdomain(AYIL_DOMAIN_CLI, g_dir);
  bind_textdomain_codeset(AYIL_DOMAIN_CLI, "UTF-8");
  bindtextdomain(AYIL_DOMAIN_WEB, g_dir);
  bind_textdomain_codeset(AYIL_DOMAIN_WEB, "UTF-8");
  return g_dir;
}

/* The first ky/ru/en in a value such as "ru_RU.UTF-8" or "ky:ru". */
static const char *lang_of(const char *v) {
  const char *p = v;
  while (p != NULL && *p != '\0') {
    int i;
    for (i = 0; i < AYIL_LANGS; i++)
      if (strncmp(p, ayil_langs[i], 2) == 0 &&
          (p[2] == '\0' || p[2] == '_' || p[2] == '.' || p[2] == ':' ||
           p[2] == '@'))
        return ayil_langs[i];
    p = strchr(p, ':');
    if (p != NULL)
      p++;
  }
  return NULL;
}

const char *ayil_i18n_env_lang(void) {
  static const char *const vars[] = {"LANGUAGE", "LC_ALL", "LC_MESSAGES",
                                     "LANG"};
  size_t i;
  for (i = 0; i < sizeof vars / sizeof vars[0]; i++) {
    const char *v = getenv(vars[i]);
    const char *l;
    if (v == NULL || v[0] == '\0')
      continue;
    l = lang_of(v);
    if (l != NULL)
      return l;
    if (strcmp(vars[i], "LANGUAGE") != 0)
      break; /* a set locale of another language: English */
  }
  return "en";
}

static void use_lang(const char *lang) {
  if (strcmp(g_lang, lang) == 0)
    return;
  snprintf(g_lang, sizeof g_lang, "%s", lang);
  setenv("LANGUAGE", lang, 1);
  ++_nl_msg_cat_cntr;
}

const char *ayil_tr(const char *lang, const char *domain, const char *msgid) {
  if (ayil_lang_valid(lang) == NULL)
    return msgid;
  if (g_dir[0] == '\0')
    (void)ayil_i18n_init();
  use_lang(lang);
  return dgettext(domain, msgid);
}

const char *ayil_trc(const char *lang, const char *domain, const char *ctx,
                     const char *msgid) {
  char key[512];
  const char *r;
  int n;
  if (ctx == NULL)
    return ayil_tr(lang, domain, msgid);
  if (ayil_lang_valid(lang) == NULL)
    return msgid;
  n = snprintf(key, sizeof key, "%s\004%s", ctx, msgid);
  if (n < 0 || (size_t)n >= sizeof key)
    return msgid;
  if (g_dir[0] == '\0')
    (void)ayil_i18n_init();
  use_lang(lang);
  r = dgettext(domain, key);
  return r == key ? msgid : r;
}

int ayil_tr_has(const char *lang, const char *domain, const char *ctx,
                const char *msgid) {
  return ayil_trc(lang, domain, ctx, msgid) != msgid;
}

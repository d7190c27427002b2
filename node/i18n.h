/*
 * Messages for people, in Kyrgyz, Russian and English, from gettext
 * catalogues (po/DOMAIN/LANG.po, compiled to LOCALEDIR/LANG/LC_MESSAGES/
 * DOMAIN.mo). A plain msgid is the English text itself; the labels of the
 * record dictionary (below) are codes, so they have an en catalogue too.
 *
 * Domains (one catalogue, three files per language, so that each part can
 * be translated on its own):
 *   "ayil"      the labels of RECORDS.md's kinds, fields and codes (shared
 *               by the report and the web forms) and the report's labels;
 *   "ayil-cli"  the CLI's messages and prompts and node/'s error messages;
 *   "ayil-web"  the web app's pages.
 *
 * Labels of the record dictionary are looked up with a context, so that a
 * code that is also an English word elsewhere keeps its own translation:
 *   ctx "kind"             msgid KIND            ("appeal")
 *   ctx "field.KIND"       msgid FIELD           ("survivor_name")
 *   ctx "hint.KIND"        msgid FIELD           (a hint under the input)
 *   ctx "code.KIND.FIELD"  msgid CODE            ("physical")
 *   ctx "oblast"           msgid OBLAST          ("chui")
 *   ctx "bool"             msgid "true", "false" (Yes, No)
 *   ctx "report"           msgid KEY             ("title", "ind.appeals":
 *                          the report's own words, node/report_out.c)
 * Without a translation these return the msgid, so a missing label shows
 * the code (and the completeness test fails).
 *
 * The language is chosen per call, so that one process (the web app)
 * serves each member in their language; it is not thread-safe (ayil's
 * programs have one thread).
 */
#ifndef AYIL_I18N_H
#define AYIL_I18N_H

#define AYIL_DOMAIN "ayil"
#define AYIL_DOMAIN_CLI "ayil-cli"
#define AYIL_DOMAIN_WEB "ayil-web"

/* The languages, in the order a language switch shows them: ky (the
 * default), ru, en. */
#define AYIL_LANGS 3
extern const char *const ayil_langs[AYIL_LANGS];
/* `lang` if it is one of ayil_langs, else NULL. */
const char *ayil_lang_valid(const char *lang);

/*
 * Binds the domains: to $AYIL_LOCALEDIR if set, else to `locale/` beside
 * the running program when it exists (the build tree), else to the
 * installed LOCALEDIR. Idempotent. Returns the directory used.
 */
const char *ayil_i18n_init(void);
/* The language of the environment (LANGUAGE, LC_ALL, LC_MESSAGES, LANG:
 * the first of ky/ru/en found), or "en". For the CLI. */
const char *ayil_i18n_env_lang(void);

/* `msgid` of `domain` in `lang`; the msgid itself when missing. */
const char *ayil_tr(const char *lang, const char *domain, const char *msgid)
    __attribute__((format_arg(3)));
/* The same with a context (see above). `msgid` when missing. */
const char *ayil_trc(const char *lang, const char *domain, const char *ctx,
                     const char *msgid);
/* 1 if `msgid` (with `ctx`, may be NULL) has a translation in `lang`. */
int ayil_tr_has(const char *lang, const char *domain, const char *ctx,
                const char *msgid);

#endif

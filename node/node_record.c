/* The service API: adding, updating, deleting and reading records. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "ayil/error.h"
#include "node_int.h"
#include "record.h"

static int need_committee(ayil_node_t *n) {
  if (!ayil_node_is_committee(n))
    return ayil__node_fail(n, AYIL_ESTATE, 1,
                           "record: records are entered on a committee node; "
                           "this is a %s",
                           n->conf.role);
  return 0;
}

static int reader_pk(ayil_node_t *n, uint8_t pk[AYIL_READER_PK_BYTES]) {
  char path[AYIL_PATH_MAX];
  int rc;
  if (!n->has_reader_pk) {
    rc = ayil__node_path(n, "reader.key", path, sizeof path);
    if (rc != 0)
      return rc;
    rc = ayil_reader_pk(path, n->reader_pk);
    if (rc != 0)
      return ayil__node_fail(n, rc, 0, "reader key %s: %s", path,
                             ayil_strerror(rc));
    n->has_reader_pk = 1;
  }
  memcpy(pk, n->reader_pk, AYIL_READER_PK_BYTES);
  return 0;
}

/* Packs, checks and seals: header bytes into *hdr, sealed body into *sealed
 * (when body != NULL). */
static int encode_record(ayil_node_t *n, const json_t *header,
                         const json_t *body, uint8_t **hdr, size_t *hlen,
                         uint8_t **sealed, size_t *slen) {
  uint8_t pk[AYIL_READER_PK_BYTES];
  uint8_t *plain = NULL;
  size_t plen = 0;
  char err[256];
  int rc;
  *hdr = NULL;
  *sealed = NULL;
  /* The encoder's guard: nothing identifying ever reaches a header. */
  if (ayil_record_check_header(header, err, sizeof err) != 0)
    return ayil__node_fail(n, AYIL_EINVAL, 0, "internal: %s", err);
  rc = ayil_record_pack(header, hdr, hlen);
  if (rc == 0 && *hlen > AYIL_HEADER_MAX)
    rc = AYIL_ETOOBIG;
  if (rc != 0)
    return ayil__node_fail(n, rc, 1, "record header: %s", ayil_strerror(rc));
  if (body == NULL)
    return 0;
  rc = reader_pk(n, pk);
  if (rc != 0)
    return rc;
  rc = ayil_record_pack(body, &plain, &plen);
  if (rc == 0)
    rc = ayil_body_seal(plain, plen, pk, sealed, slen);
  if (plain != NULL) {
    sodium_memzero(plain, plen);
    free(plain);
  }
  if (rc != 0)
    return ayil__node_fail(n, rc, 1, "record body: %s", ayil_strerror(rc));
  return 0;
}

static int write_failed(ayil_node_t *n, int rc) {
  if (rc == AYIL_EFULL)
    return ayil__node_fail(n, rc, 0, "store: disk full; nothing was written");
  return ayil__node_fail(n, rc, 0, "store: %s; nothing was written",
                         ayil_strerror(rc));
}

static int need_identity(ayil_node_t *n) {
  if (!n->ident_loaded)
    return ayil__node_fail(n, AYIL_ESTATE, 0,
                           "record: the node was opened without its identity");
  return 0;
}

static int load_row(ayil_node_t *n, const char *text, ayil_store_row_t *row);

typedef struct {
  ayil_node_problem_t *out;
  size_t cap, n;
} probs_t;

static void prob_add(void *ctx, const char *field, ayil_prob_t what) {
  probs_t *p = ctx;
  if (p->n < p->cap) {
    /* an unknown key may be typed text: never kept */
    snprintf(p->out[p->n].field, sizeof p->out[p->n].field, "%s",
             what == AYIL_PROB_UNKNOWN ? "" : field);
    p->out[p->n].what = what;
  }
  p->n++;
}

void ayil_node_today(char out[11]) {
  time_t t = time(NULL);
  struct tm tm;
  if (localtime_r(&t, &tm) == NULL || strftime(out, 11, "%Y-%m-%d", &tm) != 10)
    snprintf(out, 11, "9999-12-31");
}

void ayil_node_time_text(int64_t t, char *out, size_t cap) {
  time_t tt = (time_t)t;
  struct tm tm;
  char day[24];
  long off, h, m;
  if (cap == 0)
    return;
  if (t <= 0 || localtime_r(&tt, &tm) == NULL ||
      strftime(day, sizeof day, "%Y-%m-%d %H:%M", &tm) == 0) {
    snprintf(out, cap, "%s", t <= 0 ? "never" : "?");
    return;
  }
  off = tm.tm_gmtoff;
  h = (off < 0 ? -off : off) / 3600;
  m = (off < 0 ? -off : off) % 3600 / 60;
  if (m != 0)
    snprintf(out, cap, "%s %c%02ld:%02ld", day, off < 0 ? '-' : '+', h, m);
  else
    snprintf(out, cap, "%s %c%02ld", day, off < 0 ? '-' : '+', h);
}

/* What only the node can tell: dates after today, cases that are not an
 * appeal or family of this committee. */
static void node_problems(ayil_node_t *n, const ayil_kind_t *k,
                          const json_t *input, probs_t *p) {
  char day[11];
  size_t i;
  ayil_node_today(day);
  for (i = 0; i < k->nfields; i++) {
    const ayil_field_t *f = &k->fields[i];
    const json_t *v = json_object_get(input, f->name);
    if (!json_is_string(v))
      continue;
    if (f->type == AYIL_FT_DATE && json_string_length(v) == 10 &&
        strcmp(json_string_value(v), day) > 0)
      prob_add(p, f->name, AYIL_PROB_FUTURE);
    if (f->type == AYIL_FT_CASE && json_string_length(v) == AYIL_CASE_LEN) {
      ayil_store_row_t row;
      ayil_node_err_t keep = n->err;
      json_t *h = NULL;
      const char *ck;
      int ok = 0;
      if (load_row(n, json_string_value(v), &row) == 0) {
        if (ayil_record_unpack(row.header, row.header_len, &h) == 0 &&
            (ck = json_string_value(json_object_get(h, "kind"))) != NULL)
          ok = strcmp(ck, "appeal") == 0 || strcmp(ck, "family") == 0;
        json_decref(h);
        ayil_store_row_clear(&row);
      }
      n->err = keep;
      if (!ok)
        prob_add(p, f->name, AYIL_PROB_CASE);
    }
  }
}

int ayil_node_record_check(ayil_node_t *n, const char *kind,
                           const json_t *input, const char *idtext,
                           ayil_node_problem_t *out, size_t cap,
                           size_t *count) {
  const ayil_kind_t *k = ayil_schema_kind(kind);
  probs_t p = {out, cap, 0};
  json_t *old_h = NULL;
  int rc = need_committee(n);
  *count = 0;
  if (rc != 0)
    return rc;
  if (k == NULL)
    return ayil__node_fail(n, AYIL_EINVAL, 1, "unknown record kind");
  if (!json_is_object(input))
    return ayil__node_fail(n, AYIL_EINVAL, 1,
                           "%s: record input must be a JSON object", k->name);
  if (idtext != NULL) {
    ayil_store_row_t row;
    rc = load_row(n, idtext, &row);
    if (rc != 0)
      return rc;
    rc = ayil_record_unpack(row.header, row.header_len, &old_h);
    ayil_store_row_clear(&row);
    if (rc != 0)
      return ayil__node_fail(n, AYIL_ECORRUPT, 0,
                             "record %s: stored header is malformed", idtext);
  }
  ayil_record_problems(kind, input, old_h, prob_add, &p);
  node_problems(n, k, input, &p);
  json_decref(old_h);
  *count = p.n;
  return 0;
}

/* Refuses what only the node can tell (see node_problems), naming the
 * field. */
static int node_refuse(ayil_node_t *n, const char *kind, const json_t *input) {
  const ayil_kind_t *k = ayil_schema_kind(kind);
  ayil_node_problem_t one;
  probs_t p = {&one, 1, 0};
  if (k == NULL || !json_is_object(input))
    return 0;
  node_problems(n, k, input, &p);
  if (p.n == 0)
    return 0;
  if (one.what == AYIL_PROB_FUTURE)
    return ayil__node_fail(n, AYIL_EINVAL, 1,
                           "%s: field \"%s\": the date is after today", k->name,
                           one.field);
  return ayil__node_fail(n, AYIL_EINVAL, 1,
                         "%s: field \"%s\": names no appeal or family of this "
                         "committee",
                         k->name, one.field);
}

int ayil_node_record_add(ayil_node_t *n, const char *kind, const json_t *input,
                         uint8_t id[AYIL_RECID_BYTES]) {
  json_t *header = NULL, *body = NULL;
  uint8_t *hdr = NULL, *sealed = NULL;
  size_t hlen = 0, slen = 0;
  char err[512];
  int rc = need_committee(n);
  if (rc == 0)
    rc = need_identity(n);
  if (rc != 0)
    return rc;
  rc = ayil_record_build(kind, input, NULL, NULL, &header, &body, err,
                         sizeof err);
  if (rc != 0)
    return ayil__node_fail(n, rc, 1, "%s", err);
  rc = node_refuse(n, kind, input);
  if (rc != 0) {
    json_decref(header);
    json_decref(body);
    return rc;
  }
  rc = encode_record(n, header, body, &hdr, &hlen, &sealed, &slen);
  if (rc == 0) {
    randombytes_buf(id, AYIL_RECID_BYTES);
    rc = ayil_store_write_local(n->store, n->ident.sk, AYIL_OP_PUT, id, hdr,
                                hlen, sealed, slen, NULL, NULL);
    if (rc != 0)
      write_failed(n, rc);
  }
  json_decref(header);
  json_decref(body);
  free(hdr);
  free(sealed);
  return rc;
}

/* The live row of record `text`. */
static int load_row(ayil_node_t *n, const char *text, ayil_store_row_t *row) {
  uint8_t id[AYIL_RECID_BYTES];
  char idtext[AYIL_RECID_TEXT];
  int rc;
  memset(row, 0, sizeof *row);
  if (ayil_node_record_resolve(n, text, id) != 0)
    return n->err.code;
  rc = ayil_store_record(n->store, id, row);
  if (rc == AYIL_ENOTFOUND || (rc == 0 && row->deleted)) {
    ayil_store_row_clear(row);
    ayil_recid_to_text(id, idtext);
    return ayil__node_fail(n, AYIL_ENOTFOUND, 1, "record %s not found", idtext);
  }
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "store: %s", ayil_strerror(rc));
  return 0;
}

/* The live row of record `text`, on a node that may write it. */
static int writable_row(ayil_node_t *n, const char *text,
                        ayil_store_row_t *row) {
  int rc = need_committee(n);
  memset(row, 0, sizeof *row);
  if (rc == 0)
    rc = need_identity(n);
  if (rc == 0)
    rc = load_row(n, text, row);
  return rc;
}

/* Unlocks every reader key: the current one through `u`, and the ones a
 * rekey retired (bodies sealed before it). Wipe with
 * ayil_reader_keys_wipe(). */
static int unlock_keys(ayil_node_t *n, const ayil_node_unlock_t *u,
                       ayil_reader_keys_t *keys) {
  uint8_t sk[AYIL_READER_SK_BYTES];
  char path[AYIL_PATH_MAX];
  int rc = ayil__node_unlock(n, u, sk);
  memset(keys, 0, sizeof *keys);
  if (rc != 0)
    return rc;
  ayil_home_path(n->home, "reader.key", path, sizeof path);
  rc = ayil_reader_keys(path, sk, keys);
  sodium_memzero(sk, sizeof sk);
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "reader key %s: retired keys: %s", path,
                           ayil_strerror(rc));
  return 0;
}

/* Opens a row's body into JSON (NULL when it has none), with the current
 * reader key or else a retired one. A live record's body that this node
 * lacks (damaged and not yet repaired, or never received) is an error
 * unless `missing_ok` (a list goes on without it): showing it as empty
 * would look like a purge, and an update built on it would drop its
 * fields. */
static int open_body(ayil_node_t *n, const ayil_store_row_t *row,
                     const ayil_reader_keys_t *keys, json_t **out,
                     int missing_ok) {
  uint8_t *sealed = NULL, *plain = NULL;
  size_t slen = 0, plen = 0, k;
  int rc;
  *out = NULL;
  if (!row->has_body)
    return 0;
  rc = ayil_store_body(n->store, row->id, row->body_hash, &sealed, &slen);
  if ((rc == AYIL_ENOTFOUND || rc == AYIL_EDAMAGED) && missing_ok)
    return 0;
  if (rc == AYIL_ENOTFOUND)
    return ayil__node_fail(n, rc, 0,
                           "this record's body is missing on this node; it "
                           "comes back from the hub if the hub holds it "
                           "(ayil status shows the alert)");
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "store: %s", ayil_strerror(rc));
  rc = AYIL_EDECRYPT;
  for (k = 0; k < keys->n && rc == AYIL_EDECRYPT; k++)
    rc = ayil_body_open(sealed, slen, keys->pk[k], keys->sk[k], &plain, &plen);
  free(sealed);
  if (rc == AYIL_EFORMAT)
    return ayil__node_fail(n, rc, 0,
                           "a record body opens but its padding is "
                           "malformed");
  if (rc != 0)
    return ayil__node_fail(n, rc, 0,
                           "a record body does not open with this "
                           "committee's reader key");
  rc = ayil_record_unpack(plain, plen, out);
  sodium_memzero(plain, plen);
  free(plain);
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "a record body is malformed: %s",
                           ayil_strerror(rc));
  return 0;
}

int ayil_node_record_update(ayil_node_t *n, const char *idtext,
                            const json_t *input,
                            const ayil_node_unlock_t *unlock,
                            uint8_t id[AYIL_RECID_BYTES]) {
  ayil_store_row_t row;
  json_t *old_h = NULL, *old_b = NULL, *header = NULL, *body = NULL;
  uint8_t *hdr = NULL, *sealed = NULL;
  size_t hlen = 0, slen = 0;
  ayil_reader_keys_t keys;
  char err[512];
  const char *kind;
  int rc = writable_row(n, idtext, &row);
  if (rc != 0)
    return rc;
  if (ayil_record_unpack(row.header, row.header_len, &old_h) != 0) {
    rc = ayil__node_fail(n, AYIL_ECORRUPT, 0,
                         "record %s: stored header is malformed", idtext);
    goto out;
  }
  kind = json_string_value(json_object_get(old_h, "kind"));
  if (ayil_record_touches_body(kind, input)) {
    if (unlock == NULL) {
      rc = ayil__node_fail(n, AYIL_EAUTH, 1,
                           "record %s: changing an identifying field needs "
                           "the passphrase",
                           idtext);
      goto out;
    }
    rc = unlock_keys(n, unlock, &keys);
    if (rc != 0)
      goto out;
    rc = open_body(n, &row, &keys, &old_b, 0);
    ayil_reader_keys_wipe(&keys);
    if (rc != 0)
      goto out;
    if (old_b == NULL)
      old_b = json_object();
  }
  rc = ayil_record_build(kind, input, old_h, old_b, &header, &body, err,
                         sizeof err);
  if (rc != 0) {
    ayil__node_fail(n, rc, 1, "%s", err);
    goto out;
  }
  rc = node_refuse(n, kind, input);
  if (rc != 0)
    goto out;
  rc = encode_record(n, header, body, &hdr, &hlen, &sealed, &slen);
  if (rc != 0)
    goto out;
  rc = ayil_store_write_local(
      n->store, n->ident.sk, AYIL_OP_PUT, row.id, hdr, hlen, sealed, slen,
      body == NULL && row.has_body ? row.body_hash : NULL, NULL);
  if (rc != 0)
    write_failed(n, rc);
  else
    memcpy(id, row.id, AYIL_RECID_BYTES);
out:
  json_decref(old_h);
  json_decref(old_b);
  json_decref(header);
  json_decref(body);
  free(hdr);
  free(sealed);
  ayil_store_row_clear(&row);
  return rc;
}

int ayil_node_record_delete(ayil_node_t *n, const char *idtext,
                            uint8_t id[AYIL_RECID_BYTES]) {
  ayil_store_row_t row;
  int rc = writable_row(n, idtext, &row);
  if (rc != 0)
    return rc;
  rc = ayil_store_write_local(n->store, n->ident.sk, AYIL_OP_DELETE, row.id,
                              NULL, 0, NULL, 0, NULL, NULL);
  if (rc != 0)
    write_failed(n, rc);
  else
    memcpy(id, row.id, AYIL_RECID_BYTES);
  ayil_store_row_clear(&row);
  return rc;
}

void ayil_node_record_clear(ayil_node_record_t *r) {
  if (r == NULL)
    return;
  json_decref(r->header);
  json_decref(r->body);
  sodium_memzero(r, sizeof *r);
}

/* Fills *out from a row; takes `body` (may be NULL). */
static int fill(const ayil_store_row_t *row, json_t *body,
                ayil_node_record_t *out) {
  memset(out, 0, sizeof *out);
  memcpy(out->id, row->id, AYIL_RECID_BYTES);
  ayil_recid_to_text(row->id, out->idtext);
  snprintf(out->kind, sizeof out->kind, "%s", row->kind);
  snprintf(out->month, sizeof out->month, "%s", row->month);
  if (ayil_record_unpack(row->header, row->header_len, &out->header) != 0)
    out->header = json_null();
  out->body = body;
  return out->header != NULL ? 0 : AYIL_ENOMEM;
}

int ayil_node_record_get(ayil_node_t *n, const char *idtext,
                         const ayil_node_unlock_t *unlock,
                         ayil_node_record_t *out) {
  ayil_store_row_t row;
  ayil_reader_keys_t keys;
  json_t *body = NULL;
  int rc = need_committee(n);
  memset(out, 0, sizeof *out);
  if (rc == 0)
    rc = load_row(n, idtext, &row);
  if (rc != 0)
    return rc;
  if (unlock != NULL) {
    rc = unlock_keys(n, unlock, &keys);
    if (rc == 0) {
      rc = open_body(n, &row, &keys, &body, 0);
      ayil_reader_keys_wipe(&keys);
    }
    if (rc == 0) /* audited before anyone sees it; fails closed */
      rc = ayil__node_audit(n, row.id);
    if (rc == 0 && body == NULL)
      body = json_object(); /* purged or none */
  }
  if (rc != 0) {
    json_decref(body);
  } else if (fill(&row, body, out) != 0) {
    ayil_node_record_clear(out);
    rc = ayil__node_fail(n, AYIL_ENOMEM, 0, "out of memory");
  }
  ayil_store_row_clear(&row);
  return rc;
}

typedef struct {
  ayil_node_t *n;
  int with_body;
  ayil_reader_keys_t keys;
  /* which records' bodies to open (NULL: all) */
  int (*want)(void *ctx, const ayil_node_record_t *r);
  void *want_ctx;
  ayil_node_record_cb cb;
  void *ctx;
  int err;
} list_ctx_t;

static int list_row(void *ctx, const ayil_store_row_t *row) {
  list_ctx_t *lc = ctx;
  ayil_node_record_t r;
  json_t *body = NULL;
  int rc;
  if (fill(row, NULL, &r) != 0) {
    ayil_node_record_clear(&r);
    lc->err = ayil__node_fail(lc->n, AYIL_ENOMEM, 0, "out of memory");
    return 1;
  }
  if (lc->want != NULL && !lc->want(lc->want_ctx, &r)) {
    ayil_node_record_clear(&r);
    return 0;
  }
  if (lc->with_body) {
    rc = open_body(lc->n, row, &lc->keys, &body, 1);
    /* every body opened is audited before anyone sees it */
    if (rc == 0)
      rc = ayil__node_audit(lc->n, row->id);
    if (rc != 0) {
      json_decref(body);
      ayil_node_record_clear(&r);
      lc->err = rc;
      return 1;
    }
    r.body = body != NULL ? body : json_object();
  }
  rc = lc->cb(lc->ctx, &r);
  ayil_node_record_clear(&r);
  return rc;
}

static int list_records(ayil_node_t *n, const char *kind,
                        const ayil_node_unlock_t *unlock,
                        int (*want)(void *, const ayil_node_record_t *),
                        void *want_ctx, ayil_node_record_cb cb, void *ctx) {
  list_ctx_t lc;
  int rc = need_committee(n);
  if (rc != 0)
    return rc;
  if (kind != NULL && ayil_schema_kind(kind) == NULL)
    return ayil__node_fail(n, AYIL_EINVAL, 1,
                           "unknown record kind (see ayil schema)");
  memset(&lc, 0, sizeof lc);
  lc.n = n;
  lc.cb = cb;
  lc.ctx = ctx;
  lc.want = want;
  lc.want_ctx = want_ctx;
  lc.with_body = unlock != NULL;
  if (lc.with_body) {
    rc = unlock_keys(n, unlock, &lc.keys);
    if (rc == 0)
      rc = ayil__node_audit_begin(n);
    if (rc != 0) {
      ayil_reader_keys_wipe(&lc.keys);
      return rc;
    }
  }
  rc = ayil_store_records(n->store, kind, list_row, &lc);
  ayil_reader_keys_wipe(&lc.keys);
  if (lc.with_body) {
    int arc = ayil__node_audit_end(n, lc.err == 0 && rc >= 0);
    if (lc.err == 0 && rc >= 0 && arc != 0)
      return arc;
  }
  if (lc.err != 0)
    return lc.err;
  if (rc < 0)
    return ayil__node_fail(n, rc, 0, "store: %s", ayil_strerror(rc));
  return rc;
}

int ayil_node_record_list(ayil_node_t *n, const char *kind,
                          const ayil_node_unlock_t *unlock,
                          ayil_node_record_cb cb, void *ctx) {
  if (unlock != NULL && n->audit_action[0] == '\0')
    ayil_node_set_audit_action(n, AYIL_AUDIT_LIST);
  return list_records(n, kind, unlock, NULL, NULL, cb, ctx);
}

/* ---- a case's records ---- */

typedef struct {
  const char *idtext;
  ayil_node_record_t *v;
  size_t n, cap;
  int oom;
} case_acc_t;

static int case_want(void *ctx, const ayil_node_record_t *r) {
  const case_acc_t *a = ctx;
  const char *c = json_string_value(json_object_get(r->header, "case"));
  return c != NULL && strcmp(c, a->idtext) == 0;
}

static int case_collect(void *ctx, const ayil_node_record_t *r) {
  case_acc_t *a = ctx;
  ayil_node_record_t *d;
  if (ayil__node_grow((void **)&a->v, &a->cap, a->n, sizeof *a->v) != 0) {
    a->oom = 1;
    return AYIL_ENOMEM;
  }
  d = &a->v[a->n++];
  *d = *r;
  d->header = json_incref(r->header);
  d->body = r->body != NULL ? json_incref(r->body) : NULL;
  return 0;
}

/* The day of a record for ordering: its date when the body is open, else
 * its month (YYYY-MM sorts before YYYY-MM-DD of the same month). */
static const char *case_day(const ayil_node_record_t *r) {
  const char *d = r->body != NULL
                      ? json_string_value(json_object_get(r->body, "date"))
                      : NULL;
  return d != NULL ? d : r->month;
}

int ayil_node_case_records(ayil_node_t *n, const char *idtext,
                           const ayil_node_unlock_t *unlock,
                           ayil_node_record_cb cb, void *ctx) {
  case_acc_t a;
  uint8_t id[AYIL_RECID_BYTES];
  size_t i, j;
  int rc;
  memset(&a, 0, sizeof a);
  a.idtext = idtext;
  if (ayil_recid_from_text(idtext, id) != 0)
    return ayil__node_fail(n, AYIL_EINVAL, 1,
                           "the case id must be 32 hex characters (the text "
                           "given is not shown)");
  rc = list_records(n, NULL, unlock, case_want, &a, case_collect, &a);
  if (rc == 0) {
    /* insertion sort, stable: a case has tens of records */
    for (i = 1; i < a.n; i++) {
      ayil_node_record_t t = a.v[i];
      for (j = i; j > 0 && strcmp(case_day(&a.v[j - 1]), case_day(&t)) > 0; j--)
        a.v[j] = a.v[j - 1];
      a.v[j] = t;
    }
    for (i = 0; i < a.n && rc == 0; i++)
      rc = cb(ctx, &a.v[i]);
  } else if (a.oom) {
    rc = ayil__node_fail(n, AYIL_ENOMEM, 0, "out of memory");
  }
  for (i = 0; i < a.n; i++)
    ayil_node_record_clear(&a.v[i]);
  free(a.v);
  return rc;
}

/* The simulator's in-memory node store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (p == NULL) {
    fprintf(stderr, "sim: out of memory\n");
    abort();
  }
  return p;
}

static uint8_t *dup_bytes(const uint8_t *p, size_t n) {
  uint8_t *d;
  if (p == NULL)
    return NULL;
  d = xmalloc(n);
  memcpy(d, p, n);
  return d;
}

sim_log_t *sim_log(sim_store_t *st, const uint8_t *id, int create) {
  size_t i;
  sim_log_t *l;
  for (i = 0; i < st->nlogs; i++)
    if (memcmp(st->logs[i].id, id, AYIL_ID_BYTES) == 0)
      return &st->logs[i];
  if (!create)
    return NULL;
  if (st->nlogs == st->cap) {
    size_t cap = st->cap ? st->cap * 2 : 4;
    sim_log_t *n = realloc(st->logs, cap * sizeof *n);
    if (n == NULL)
      abort();
    st->logs = n;
    st->cap = cap;
  }
  l = &st->logs[st->nlogs++];
  memset(l, 0, sizeof *l);
  memcpy(l->id, id, AYIL_ID_BYTES);
  return l;
}

void sim_log_append(sim_log_t *l, const uint8_t *entry, size_t elen,
                    const uint8_t *body, size_t blen, const uint8_t *proof,
                    size_t plen) {
  sim_ent_t *e;
  ayil_entry_t d;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 16;
    sim_ent_t *n = realloc(l->e, cap * sizeof *n);
    if (n == NULL)
      abort();
    l->e = n;
    l->cap = cap;
  }
  e = &l->e[l->n++];
  memset(e, 0, sizeof *e);
  if (entry == NULL)
    return; /* a hole */
  e->entry = dup_bytes(entry, elen);
  e->elen = elen;
  e->body = dup_bytes(body, blen);
  e->blen = body ? blen : 0;
  e->proof = dup_bytes(proof, plen);
  e->plen = proof ? plen : 0;
  ayil_entry_hash(entry, elen, e->hash);
  if (ayil_entry_decode(&d, entry, elen) == 0) {
    memcpy(e->record, d.record, AYIL_RECID_BYTES);
    e->op = d.op;
    e->has_bh = d.has_body;
    memcpy(e->bhash, d.body_hash, AYIL_HASH_BYTES);
  }
}

const sim_ent_t *sim_log_at(const sim_log_t *l, uint64_t seq) {
  if (seq == 0 || seq > l->n || l->e[seq - 1].entry == NULL)
    return NULL;
  return &l->e[seq - 1];
}

size_t sim_log_held_count(const sim_log_t *l) {
  size_t j, k = 0;
  for (j = 0; j < l->n; j++)
    k += l->e[j].entry != NULL;
  return k;
}

void sim_log_gap(sim_log_t *l, uint64_t seq) {
  while (l->n + 1 < seq)
    sim_log_append(l, NULL, 0, NULL, 0, NULL, 0);
}

const sim_ent_t *sim_body(const sim_store_t *st, const uint8_t *rec,
                          const uint8_t *bh) {
  size_t i, j;
  for (i = 0; i < st->nlogs; i++)
    for (j = 0; j < st->logs[i].n; j++) {
      const sim_ent_t *e = &st->logs[i].e[j];
      if (e->body != NULL && e->has_bh &&
          memcmp(e->record, rec, AYIL_RECID_BYTES) == 0 &&
          memcmp(e->bhash, bh, AYIL_HASH_BYTES) == 0)
        return e;
    }
  return NULL;
}

uint64_t sim_log_same_record(const sim_log_t *l, uint64_t seq) {
  size_t j;
  if (seq == 0 || seq > l->n || l->e[seq - 1].entry == NULL ||
      l->e[seq - 1].op == AYIL_OP_NOTICE)
    return 0;
  for (j = 0; j + 1 < seq; j++)
    if (l->e[j].entry != NULL &&
        memcmp(l->e[j].record, l->e[seq - 1].record, AYIL_RECID_BYTES) == 0)
      return j + 1;
  return 0;
}

uint64_t sim_log_held(const sim_log_t *l, uint64_t seq) {
  const sim_ent_t *x;
  size_t j;
  if (seq == 0 || seq > l->n)
    return 0;
  x = &l->e[seq - 1];
  if (!x->has_bh)
    return 0;
  for (j = 0; j + 1 < seq; j++) {
    const sim_ent_t *e = &l->e[j];
    if (e->body != NULL && e->has_bh &&
        memcmp(e->record, x->record, AYIL_RECID_BYTES) == 0 &&
        memcmp(e->bhash, x->bhash, AYIL_HASH_BYTES) == 0)
      return j + 1;
  }
  return 0;
}

void sim_store_append(sim_store_t *st, sim_log_t *l, const uint8_t *entry,
                      size_t elen, const uint8_t *body, size_t blen,
                      const uint8_t *proof, size_t plen) {
  sim_log_append(l, entry, elen, body, blen, proof, plen);
  l->e[l->n - 1].n = ++st->next_n;
}

sim_rec_t *sim_rec(sim_store_t *st, const uint8_t *rec, int create) {
  size_t i;
  for (i = 0; i < st->nrecs; i++)
    if (memcmp(st->recs[i].record, rec, AYIL_RECID_BYTES) == 0)
      return &st->recs[i];
  if (!create)
    return NULL;
  if (st->nrecs == st->rcap) {
    size_t cap = st->rcap ? st->rcap * 2 : 32;
    sim_rec_t *n = realloc(st->recs, cap * sizeof *n);
    if (n == NULL)
      abort();
    st->recs = n;
    st->rcap = cap;
  }
  memset(&st->recs[st->nrecs], 0, sizeof st->recs[0]);
  memcpy(st->recs[st->nrecs].record, rec, AYIL_RECID_BYTES);
  return &st->recs[st->nrecs++];
}

static void ent_free(sim_ent_t *e) {
  free(e->entry);
  free(e->body);
  free(e->proof);
  memset(e, 0, sizeof *e);
}

void sim_store_crash(sim_store_t *st) {
  size_t i;
  for (i = 0; i < st->nlogs; i++)
    sim_log_truncate(&st->logs[i], st->logs[i].durable);
}

void sim_log_truncate(sim_log_t *l, size_t n) {
  while (l->n > n)
    ent_free(&l->e[--l->n]);
  /* The head is the last entry held: no trailing hole. */
  while (l->n > 0 && l->e[l->n - 1].entry == NULL)
    l->n--;
  if (l->durable > l->n)
    l->durable = l->n;
}

void sim_log_purge(sim_log_t *l, const uint8_t *rec, uint64_t seq,
                   const uint8_t *del, size_t dlen) {
  size_t j;
  for (j = 0; j + 1 < seq && j < l->n; j++) {
    sim_ent_t *e = &l->e[j];
    if (e->body == NULL || memcmp(e->record, rec, AYIL_RECID_BYTES) != 0)
      continue;
    free(e->body);
    e->body = NULL;
    e->blen = 0;
    free(e->proof);
    e->proof = dup_bytes(del, dlen);
    e->plen = dlen;
  }
}

int sim_log_commit(sim_log_t *l) {
  size_t j, from = l->durable;
  if (l->durable == l->n)
    return 0;
  l->durable = l->n;
  for (j = from; j < l->n; j++)
    if (l->e[j].op == AYIL_OP_DELETE)
      sim_log_purge(l, l->e[j].record, j + 1, l->e[j].entry, l->e[j].elen);
  return 1;
}

void sim_store_copy(sim_store_t *dst, const sim_store_t *src) {
  size_t i, j;
  memset(dst, 0, sizeof *dst);
  for (i = 0; i < src->nlogs; i++) {
    const sim_log_t *s = &src->logs[i];
    sim_log_t *d = sim_log(dst, s->id, 1);
    for (j = 0; j < s->durable; j++) {
      sim_log_append(d, s->e[j].entry, s->e[j].elen, s->e[j].body, s->e[j].blen,
                     s->e[j].proof, s->e[j].plen);
      d->e[j].n = s->e[j].n;
    }
    d->durable = d->n;
    d->refused = s->refused;
    d->refused_seq = s->refused_seq;
  }
  dst->next_n = src->next_n;
}

void sim_store_free(sim_store_t *st) {
  size_t i, j;
  for (i = 0; i < st->nlogs; i++) {
    for (j = 0; j < st->logs[i].n; j++)
      ent_free(&st->logs[i].e[j]);
    free(st->logs[i].e);
  }
  free(st->logs);
  free(st->recs);
  memset(st, 0, sizeof *st);
}

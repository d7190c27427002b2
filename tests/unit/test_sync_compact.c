/* Sync: the compact header form on the wire (the dictionary, MORE and
 * its ts deltas), against hostile input too. */
#include "sync_fixture.h"

/* ---- compact headers ---------------------------------------------------- */

/* Checks that a canonical header has a compact form that rebuilds to the
 * very same bytes, and returns its size. */
static size_t compact_roundtrip(const uint8_t *hdr, size_t hlen) {
  uint8_t c[AYIL__DICT_MAX], back[AYIL_HEADER_MAX];
  size_t clen = 0, blen = 0;
  ayil_mp_t r;
  assert_int_equal(ayil__dict_encode(1, hdr, hlen, c, sizeof c, &clen), 1);
  assert_true(clen < hlen);
  r.p = c;
  r.end = c + clen;
  assert_int_equal(ayil__dict_decode(&r, 1, back, sizeof back, &blen), 0);
  assert_int_equal(ayil_mp_done(&r), 0);
  assert_int_equal(blen, hlen);
  assert_memory_equal(back, hdr, hlen);
  /* Another version's dictionary is not this one: raw. */
  assert_int_equal(ayil__dict_encode(2, hdr, hlen, c, sizeof c, &clen), 0);
  return clen;
}

/* A field's value for variant `v` of a record: cycles through every code,
 * list subsets, both bools, small and large counts. */
static json_t *field_value(const ayil_field_t *f, size_t v) {
  static const json_int_t counts[] = {0,   1,     127,   128,           255,
                                      256, 65535, 65536, AYIL_COUNT_MAX};
  static const char *const cases[] = {"00112233445566778899aabbccddeeff",
                                      "0f1e2d3c4b5a69788796a5b4c3d2e1f0"};
  json_t *a;
  size_t i;
  switch (f->type) {
  case AYIL_FT_DATE:
    return json_string(v % 2 ? "2031-12-31" : "2026-01-15");
  case AYIL_FT_CODE:
    return json_string(f->codes[v % f->ncodes]);
  case AYIL_FT_CODES:
    a = json_array();
    for (i = 0; i < f->ncodes; i++)
      if (((v * 5 + 1) >> (i % 8)) & 1 || (v == 3))
        json_array_append_new(a, json_string(f->codes[i]));
    if (json_array_size(a) == 0)
      json_array_append_new(a, json_string(f->codes[f->ncodes - 1]));
    return a;
  case AYIL_FT_BOOL:
    return json_boolean(v % 2);
  case AYIL_FT_COUNT:
    return json_integer(counts[v % (sizeof counts / sizeof counts[0])]);
  case AYIL_FT_CASE:
    return json_string(cases[v % 2]);
  default:
    return json_string("an invented text");
  }
}

/* Every kind of RECORDS.md, built with the record code the CLI uses, with
 * every code of every field, with and without its optional fields: each
 * header's compact form rebuilds it byte for byte. */
static void test_compact_every_kind(void **state) {
  size_t ki, v, f, ok = 0, raw = 0, small = 0;
  (void)state;
  for (ki = 0; ki < ayil_schema_nkinds(); ki++) {
    const ayil_kind_t *k = ayil_schema_kind_at(ki);
    size_t built = 0;
    for (v = 0; v < 20; v++) {
      json_t *in = json_object(), *hj = NULL, *bj = NULL;
      uint8_t *hdr = NULL;
      size_t hlen = 0;
      char err[200];
      for (f = 0; f < k->nfields; f++) {
        const ayil_field_t *fd = &k->fields[f];
        /* Optional fields: all in odd variants, none in every fourth. */
        if (!fd->required && (v % 4 == 0 || (v % 2 == 0 && f % 2 == 0)))
          continue;
        json_object_set_new(in, fd->name, field_value(fd, v + f));
      }
      if (ayil_record_build(k->name, in, NULL, NULL, &hj, &bj, err,
                            sizeof err) == 0) {
        assert_int_equal(ayil_record_pack(hj, &hdr, &hlen), 0);
        small += compact_roundtrip(hdr, hlen);
        raw += hlen;
        built++;
        ok++;
        free(hdr);
      }
      json_decref(hj);
      json_decref(bj);
      json_decref(in);
    }
    if (built < 10)
      fail_msg("kind %s: only %zu headers built", k->name, built);
  }
  /* Names and codes are gone: a fraction of the bytes. */
  assert_true(small * 4 < raw);
  if (getenv("AYIL_PRINT_GOLDEN"))
    printf("%zu headers: %zu raw bytes, %zu compact\n", ok, raw, small);
}

/* A notice, as the hub writes it. */
static void notice_header(uint8_t **hdr, size_t *hlen) {
  json_t *h = json_pack("{s:s, s:s, s:s}", "action", "admit", "kind", "notice",
                        "node", "ipmDzXQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=");
  assert_non_null(h);
  assert_int_equal(ayil_record_pack(h, hdr, hlen), 0);
  json_decref(h);
}

/* Headers the dictionary cannot express exactly go raw: each still
 * travels, and arrives byte-identical. */
static void test_compact_fallback(void **state) {
  static const char *const cases[] = {
      /* unknown key, unknown code, unknown kind */
      "{\"kind\":\"session\",\"month\":\"2026-03\",\"cases_reviewed\":1,"
      "\"violence_related\":true,\"venue\":\"school\"}",
      "{\"kind\":\"closure\",\"month\":\"2026-03\",\"case\":"
      "\"00112233445566778899aabbccddeeff\",\"reason\":\"emigrated\"}",
      "{\"kind\":\"meeting\",\"month\":\"2026-03\"}",
      /* a required field missing, no month, a month out of range */
      "{\"kind\":\"session\",\"month\":\"2026-03\",\"cases_reviewed\":1}",
      "{\"kind\":\"session\",\"cases_reviewed\":1,\"violence_related\":true}",
      "{\"kind\":\"session\",\"month\":\"1899-12\",\"cases_reviewed\":1,"
      "\"violence_related\":true}",
      "{\"kind\":\"session\",\"month\":\"2026-13\",\"cases_reviewed\":1,"
      "\"violence_related\":true}",
      /* a list out of code-list order, a duplicate, an empty one */
      "{\"kind\":\"training\",\"month\":\"2026-03\",\"days\":2,"
      "\"participants_female\":3,\"participants_male\":4,"
      "\"groups\":[\"ngo\",\"state\"]}",
      "{\"kind\":\"training\",\"month\":\"2026-03\",\"days\":2,"
      "\"participants_female\":3,\"participants_male\":4,"
      "\"groups\":[\"ngo\",\"ngo\"]}",
      "{\"kind\":\"training\",\"month\":\"2026-03\",\"days\":2,"
      "\"participants_female\":3,\"participants_male\":4,\"groups\":[]}",
      /* a count too large, an uppercase case id, a type mismatch */
      "{\"kind\":\"session\",\"month\":\"2026-03\",\"cases_reviewed\":"
      "1000000001,\"violence_related\":true}",
      "{\"kind\":\"referral\",\"month\":\"2026-03\",\"case\":"
      "\"00112233445566778899AABBCCDDEEFF\",\"service\":\"shelter\","
      "\"status\":\"referred\"}",
      "{\"kind\":\"session\",\"month\":\"2026-03\",\"cases_reviewed\":\"1\","
      "\"violence_related\":true}",
  };
  pair_t *p = pair_new();
  mlog_t *cl = find_log(&p->c, p->kc.pk, 0);
  uint8_t c[AYIL__DICT_MAX], *hdr = NULL;
  uint8_t nc[] = {0x82, 0xa4, 'k', 'i', 'n', 'd',  0xd9, 0x07, 's', 'e',
                  's',  's',  'i', 'o', 'n', 0xa5, 'm',  'o',  'n', 't',
                  'h',  0xa7, '2', '0', '2', '6',  '-',  '0',  '3'};
  size_t i, clen = 0, hlen = 0;
  conn_t cn;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    json_t *j = json_loads(cases[i], 0, NULL);
    assert_non_null(j);
    assert_int_equal(ayil_record_pack(j, &hdr, &hlen), 0);
    if (ayil__dict_encode(1, hdr, hlen, c, sizeof c, &clen) != 0)
      fail_msg("case %zu has a compact form", i);
    write_entry_h(cl, &p->kc, 30, (uint8_t)(i + 1), AYIL_OP_PUT, hdr, hlen);
    free(hdr);
    json_decref(j);
  }
  notice_header(&hdr, &hlen);
  assert_int_equal(ayil__dict_encode(1, hdr, hlen, c, sizeof c, &clen), 0);
  write_entry_h(cl, &p->kc, 0, 0x70, AYIL_OP_NOTICE, hdr, hlen);
  free(hdr);
  /* Bytes not in canonical form ("session" as a str8): raw. */
  assert_int_equal(ayil__dict_encode(1, nc, sizeof nc, c, sizeof c, &clen), 0);
  write_entry_h(cl, &p->kc, 0, 0x71, AYIL_OP_PUT, nc, sizeof nc);
  write_entry_h(cl, &p->kc, 0, 0x72, AYIL_OP_DELETE, NULL, 0);
  /* And a compact one among them. */
  appeal_header(&hdr, &hlen);
  write_entry_h(cl, &p->kc, 30, 0x73, AYIL_OP_PUT, hdr, hlen);
  free(hdr);
  conn_open(&cn, &p->c, &p->h);
  pump(&cn);
  assert_int_equal(cn.err[0], 0);
  assert_int_equal(cn.err[1], 0);
  assert_same_log(&p->c, &p->h, p->kc.pk);
  conn_close(&cn);
  pair_free(p);
}

/* Hostile compact headers: every one is refused with a clear error, none
 * crashes or delivers. The appeal of appeal_header() is
 * [0, 1514, 0, 3, 9, 0, 3, 0]: kind, month, optional fields, source,
 * violence, survivor_sex, survivor_age, status. */
static void test_compact_hostile(void **state) {
  static const struct {
    const char *hex;
    int rc;
  } cases[] = {
      {"9800cd05ea00030900030000", AYIL_EFORMAT}, /* sanity: see below */
      {"980bcd05ea000309000300", AYIL_EFORMAT},   /* kind 11 */
      {"98ffcd05ea000309000300", AYIL_EFORMAT},   /* kind -1 */
      {"9800cd096c000309000300", AYIL_EFORMAT},   /* month 2412 (2101-01) */
      {"9800cf0000000100000000000309000300", AYIL_EFORMAT}, /* huge month */
      {"9800cd05ea20030900030000", AYIL_EFORMAT},           /* optional bit 5 */
      {"9900cd05ea00030900030000", AYIL_EFORMAT}, /* a field too many */
      {"9700cd05ea0003090003", AYIL_EFORMAT},     /* a field too few */
      {"9800cd05ea01030900030000", AYIL_EFORMAT}, /* gbv_type, no room */
      {"9800cd05ea00090900030000", AYIL_EFORMAT}, /* source 9 */
      {"9800cd05ea000300000300", AYIL_EFORMAT},   /* no violence at all */
      {"9800cd05ea000320000300", AYIL_EFORMAT},   /* violence bit 5 */
      {"9800cd05ea000309020300", AYIL_EFORMAT},   /* survivor_sex 2 */
      {"9800cd05ea000309000700", AYIL_EFORMAT},   /* survivor_age 7 */
      {"9800cd05ea000309000303", AYIL_EFORMAT},   /* status 3 */
      {"9800cd05ea0003c3000300", AYIL_EFORMAT},   /* a bool for a list */
      {"9800cd05ea0003090003c0", AYIL_EFORMAT},   /* nil for a code */
      {"9800cd05ea00ff09000300", AYIL_EFORMAT},   /* a negative code */
      {"9800cc0500030900030000", AYIL_ENOTCANON}, /* 5 as a uint8 */
      {"9800cd05ea000309000300", 0},              /* the genuine one */
      {"9800cd05ea0003090003", AYIL_ETRUNC},      /* cut short */
      {"92", AYIL_ETRUNC},                        /* nothing */
      {"9200cd05ea", AYIL_EFORMAT},               /* kind and month only */
      {"dc00ff00", AYIL_ETRUNC},                  /* 255 fields claimed */
      /* session [6, m, 0, cases_reviewed, violence_related]: */
      {"9506cd05ea0001c3", 0},                    /* genuine */
      {"9506cd05ea00ce3b9aca01c3", AYIL_EFORMAT}, /* count over the max */
      {"9506cd05ea000101", AYIL_EFORMAT},         /* 1 for a bool */
      /* closure [10, m, 0, case, reason]: */
      {"950acd05ea00c410"
       "00112233445566778899aabbccddeeff"
       "00",
       0},
      {"950acd05ea00c40f"
       "00112233445566778899aabbccddee"
       "00",
       AYIL_EFORMAT},
      {"950acd05ea00c410"
       "00112233445566778899aabbccddeeff"
       "05",
       AYIL_EFORMAT},
      /* family [4, m, opt, reason, risk, status, (children), (removed)]: */
      {"9704cd05ea02010001cd0600", 0},            /* removed 2028-01 */
      {"9704cd05ea02010001cd096c", AYIL_EFORMAT}, /* removed 2101-01 */
      {"9704cd05ea04010001cd0600", AYIL_EFORMAT}, /* optional bit 2 */
  };
  uint8_t back[AYIL_HEADER_MAX], bin[128], *hdr = NULL;
  size_t i, blen = 0, hlen = 0, len = 0;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ayil_mp_t r;
    int rc;
    assert_int_equal(sodium_hex2bin(bin, sizeof bin, cases[i].hex,
                                    strlen(cases[i].hex), NULL, &len, NULL),
                     0);
    r.p = bin;
    r.end = bin + len;
    rc = ayil__dict_decode(&r, 1, back, sizeof back, &blen);
    if (rc == 0)
      rc = ayil_mp_done(&r) == 0 ? 0 : AYIL_ETRAILING;
    if (rc != cases[i].rc && !(i == 0 && rc == AYIL_ETRAILING))
      fail_msg("case %zu (%s): %s", i, cases[i].hex, ayil_err_name(rc));
  }
  /* The genuine appeal is the one appeal_header() builds; an unknown
   * code-list version has no dictionary. */
  appeal_header(&hdr, &hlen);
  assert_int_equal(sodium_hex2bin(bin, sizeof bin, "9800cd05ea000309000300", 22,
                                  NULL, &len, NULL),
                   0);
  {
    ayil_mp_t r = {bin, bin + len};
    assert_int_equal(ayil__dict_decode(&r, 1, back, sizeof back, &blen), 0);
    assert_int_equal(blen, hlen);
    assert_memory_equal(back, hdr, hlen);
    r.p = bin;
    assert_int_equal(ayil__dict_decode(&r, 2, back, sizeof back, &blen),
                     AYIL_EFORMAT);
    r.p = bin;
    assert_int_equal(ayil__dict_decode(&r, 0, back, sizeof back, &blen),
                     AYIL_EFORMAT);
    /* A rebuilt header larger than the room for it. */
    r.p = bin;
    assert_int_equal(ayil__dict_decode(&r, 1, back, hlen - 1, &blen),
                     AYIL_EFORMAT);
  }
  free(hdr);
}

/* A hostile compact header inside an ENTRIES message ends the connection
 * with AYIL_EFORMAT; the records before it were delivered, none after. */
static void tweak_compact(ayil__rec_t *rec, size_t i, uint8_t *scratch) {
  (void)scratch;
  rec->compact = 1;
  (void)i;
}

static void test_compact_hostile_in_message(void **state) {
  hostile_t t = hostile_new(5);
  uint8_t msg[8192], *hdr = NULL;
  size_t len, hlen = 0, j, k;
  mlog_t *cl = t.cl;
  (void)state;
  /* Entries 6..8 of the committee carry appeal headers: compact. */
  appeal_header(&hdr, &hlen);
  for (j = 0; j < 3; j++)
    write_entry_h(cl, &t.p->kc, 40, (uint8_t)(0x60 + j), AYIL_OP_PUT, hdr,
                  hlen);
  free(hdr);
  len = entries_msg(cl, 1, 8, NULL, tweak_compact, msg, sizeof msg);
  /* Find the third compact header (entry 8) and break its month. */
  for (j = 0, k = 0; j + 4 < len; j++)
    if (memcmp(msg + j, "\x98\x00\xcd\x05\xea", 5) == 0 && ++k == 3)
      break;
  assert_int_equal(k, 3);
  msg[j + 3] = 0x09;
  msg[j + 4] = 0x6c;
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), AYIL_EFORMAT);
  assert_int_equal(t.p->h.delivered, 7);
  hostile_free(&t);

  /* The same message unbroken goes through. */
  t = hostile_new(5);
  appeal_header(&hdr, &hlen);
  for (j = 0; j < 3; j++)
    write_entry_h(t.cl, &t.p->kc, 40, (uint8_t)(0x60 + j), AYIL_OP_PUT, hdr,
                  hlen);
  free(hdr);
  len = entries_msg(t.cl, 1, 8, NULL, tweak_compact, msg, sizeof msg);
  assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), 0);
  assert_int_equal(t.p->h.delivered, 8);
  assert_same_log(&t.p->c, &t.p->h, t.p->kc.pk);
  hostile_free(&t);
}

/* A MORE continues exactly where the stream stood: a record with a
 * timestamp earlier than the one before (a clock set back) goes as a
 * negative delta; a MORE after a cut-off stream is refused. */
static void test_more_and_deltas(void **state) {
  pair_t *p = pair_new();
  mlog_t *cl = find_log(&p->c, p->kc.pk, 0);
  uint8_t buf[AYIL_ENTRY_MAX];
  conn_t c;
  size_t j;
  (void)state;
  write_n(cl, &p->kc, 30, 900);
  /* Entry 31 is signed with a ts far earlier than entry 30's. */
  {
    ayil_entry_t e;
    size_t len = 0;
    static const uint8_t header[] = {0x81, 0xa1, 'k', 0x02};
    memset(&e, 0, sizeof e);
    memcpy(e.origin, p->kc.pk, 32);
    e.seq = 31;
    memcpy(e.prev, cl->e[29].hash, 32);
    e.ts_ms = 1000;
    memset(e.record, 0x31, sizeof e.record);
    e.op = AYIL_OP_PUT;
    e.codes_version = 1;
    e.header = header;
    e.header_len = sizeof header;
    assert_int_equal(ayil_entry_sign(&e, p->kc.sk, buf, sizeof buf, &len), 0);
    log_append(cl, buf, len, NULL, 0, NULL, 0);
    cl->durable = cl->n;
  }
  write_n(cl, &p->kc, 3, 900);
  conn_open(&c, &p->c, &p->h);
  pump(&c);
  assert_int_equal(c.err[0], 0);
  assert_int_equal(c.err[1], 0);
  assert_same_log(&p->c, &p->h, p->kc.pk);
  assert_true(c.more_msgs[0] > 0);
  assert_int_equal(c.more_msgs[0] + 1, c.data_msgs[0]);
  conn_close(&c);

  /* A MORE on a new connection has nothing to continue. */
  for (j = 0; j < 2; j++) {
    hostile_t t = hostile_new(4);
    uint8_t msg[4096];
    size_t len = entries_msg(t.cl, 1, 2, NULL, NULL, msg, sizeof msg);
    if (j == 1)
      assert_int_equal(ayil_sync_recv(t.h, msg, len, 1), 0);
    /* Entries 3..4 as a MORE: [8, 0, rec, rec], ts deltas throughout. */
    len = entries_msg(t.cl, 3, 2, t.cl->e[1].hash, NULL, msg, sizeof msg);
    {
      ayil_mp_wbuf_t w;
      ayil_entry_t e2;
      ayil_mp_t r = {msg, msg + len};
      uint8_t out[4096];
      size_t n = 0, i;
      uint64_t v;
      const uint8_t *pv;
      assert_int_equal(
          ayil_entry_decode(&e2, t.cl->e[1].entry, t.cl->e[1].elen), 0);
      assert_int_equal(ayil_mp_array(&r, &n), 0);
      assert_int_equal(ayil_mp_uint(&r, 255, &v), 0);
      assert_int_equal(ayil_mp_uint(&r, 255, &v), 0);
      assert_int_equal(ayil_mp_uint(&r, 255, &v), 0);
      assert_int_equal(ayil_mp_bin_n(&r, 32, &pv), 0);
      ayil_mp_wbuf_init(&w, out, sizeof out);
      msgpack_pack_array(&w.pk, 4);
      msgpack_pack_uint32(&w.pk, AYIL__SYNC_MORE);
      msgpack_pack_uint32(&w.pk, 0);
      for (i = 0; i < 2; i++) {
        ayil_entry_t e;
        ayil__rec_t rec;
        const ment_t *m = &t.cl->e[2 + i];
        assert_int_equal(ayil_entry_decode(&e, m->entry, m->elen), 0);
        memset(&rec, 0, sizeof rec);
        rec.ts_ms = e.ts_ms;
        rec.ts_rel = 1;
        rec.ts_base = i == 0 ? e2.ts_ms : e.ts_ms - 1000;
        rec.record = e.record;
        rec.op = e.op;
        rec.codes_version = e.codes_version;
        rec.header = e.header;
        rec.header_len = e.header_len;
        rec.body_kind = AYIL__BODY_INLINE;
        rec.body = m->body;
        rec.body_len = m->blen;
        rec.sig = e.sig;
        ayil__rec_write(&w.pk, &rec);
      }
      assert_false(w.overflow);
      assert_int_equal(ayil_sync_recv(t.h, out, w.len, 1),
                       j == 0 ? AYIL_EPEER : 0);
      assert_int_equal(t.p->h.delivered, j == 0 ? 0 : 4);
    }
    hostile_free(&t);
  }
  pair_free(p);
}

/* Hostile timestamps: a delta before 0 or past UINT64_MAX. */
static void test_ts_delta_bounds(void **state) {
  static const struct {
    const char *hex;
    uint64_t base;
    int rc;
    uint64_t want;
  } cases[] = {
      {"05", 10, 0, 15},
      {"f6", 10, 0, 0},                          /* -10 */
      {"f5", 10, AYIL_EFORMAT, 0},               /* -11 */
      {"d0df", 100, 0, 67},                      /* -33 */
      {"d0e0", 100, AYIL_ENOTCANON, 0},          /* -32 as an int8 */
      {"d1ff7f", 1000, 0, 871},                  /* -129 */
      {"d1ff80", 1000, AYIL_ENOTCANON, 0},       /* -128 as an int16 */
      {"d3ffffffff7fffffff", 0x80000005u, 0, 4}, /* -2^31 - 1 */
      {"d3ffffffff7fffffff", 0x80000000u, AYIL_EFORMAT, 0},
      {"d38000000000000000", UINT64_MAX, AYIL_EFORMAT, 0}, /* INT64_MIN */
      {"cf7fffffffffffffff", 1, 0, 0x8000000000000000u},
      {"cf7fffffffffffffff", 0x8000000000000001u, AYIL_EFORMAT, 0},
      {"cf8000000000000000", 0, AYIL_EFORMAT, 0}, /* over INT64_MAX */
      {"c3", 0, AYIL_EFORMAT, 0},
  };
  size_t i;
  (void)state;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    /* [ts, rec16, 1, 1, nil, nil, sig64] */
    uint8_t m[200], hbuf[AYIL_HEADER_MAX];
    size_t o = 0, n = 0;
    ayil__rec_t rec;
    ayil_mp_t r;
    int rc;
    m[o++] = 0x97;
    assert_int_equal(sodium_hex2bin(m + o, sizeof m - o, cases[i].hex,
                                    strlen(cases[i].hex), NULL, &n, NULL),
                     0);
    o += n;
    m[o++] = 0xc4;
    m[o++] = 16;
    memset(m + o, 1, 16);
    o += 16;
    m[o++] = 1;
    m[o++] = 1;
    m[o++] = 0xc0;
    m[o++] = 0xc0;
    m[o++] = 0xc4;
    m[o++] = 64;
    memset(m + o, 2, 64);
    o += 64;
    r.p = m;
    r.end = m + o;
    rc = ayil__rec_read(&r, &cases[i].base, 0, hbuf, &rec);
    if (rc != cases[i].rc)
      fail_msg("case %zu (%s): %s", i, cases[i].hex, ayil_err_name(rc));
    if (rc == 0 && cases[i].want != 0)
      assert_true(rec.ts_ms == cases[i].want);
  }
}

/* The v1 dictionary is frozen: its kinds, keys and code counts, in order.
 * A change to the schema tables that moves an index fails here, and must
 * come as a new code-list version that only appends. */
static void test_dictionary_v1_frozen(void **state) {
  static const char *const want =
      "appeal:source9,violence5,gbv_type7,survivor_sex2,survivor_age7,"
      "perpetrator_relation9,reviewed_with4,consent_services,"
      "consent_reporting,status3;referral:case,service9,status4;"
      "protection_order:case,days,extended,breached;correction:case,"
      "outcome3;family:reason7,risk3,children,status2,removed_month;"
      "followup:case,action6,result4;session:cases_reviewed,"
      "members_present,violence_related;prevention:audience9,"
      "participants_female,participants_male;training:days,"
      "participants_female,participants_male,groups7;aid:case,aid_kind3,"
      "amount_som;closure:case,reason5;";
  char got[2048];
  size_t ki, f, o = 0;
  (void)state;
  assert_int_equal(AYIL_CODES_VERSION, 1);
  for (ki = 0; ki < ayil_schema_nkinds(); ki++) {
    const ayil_kind_t *k = ayil_schema_kind_at(ki);
    int first = 1;
    o += (size_t)snprintf(got + o, sizeof got - o, "%s:", k->name);
    for (f = 0; f < k->nfields; f++) {
      const ayil_field_t *fd = &k->fields[f];
      const char *key = fd->hkey;
      if (fd->type == AYIL_FT_DATE && strcmp(fd->month_key, "month") != 0)
        key = fd->month_key;
      else if (fd->cls != AYIL_CLASS_A)
        continue;
      o += (size_t)snprintf(got + o, sizeof got - o, "%s%s", first ? "" : ",",
                            key);
      if (fd->ncodes > 0)
        o += (size_t)snprintf(got + o, sizeof got - o, "%zu", fd->ncodes);
      first = 0;
    }
    o += (size_t)snprintf(got + o, sizeof got - o, ";");
  }
  assert_string_equal(got, want);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_compact_every_kind),
      cmocka_unit_test(test_compact_fallback),
      cmocka_unit_test(test_compact_hostile),
      cmocka_unit_test(test_compact_hostile_in_message),
      cmocka_unit_test(test_more_and_deltas),
      cmocka_unit_test(test_ts_delta_bounds),
      cmocka_unit_test(test_dictionary_v1_frozen),
  };
  if (sodium_init() < 0)
    return 1;
  return cmocka_run_group_tests(tests, NULL, NULL);
}

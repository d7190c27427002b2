/*
 * Records as canonical msgpack: the JSON object of a header or body packed
 * into the one canonical encoding and unpacked back (record.h). Split from
 * record.c along its seam; the JSON validation stays there.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "ayil/header.h"

#include "record.h"
#include "record_int.h"

/* ---- canonical msgpack ---- */

static int cmp_keys(const void *a, const void *b) {
  /* strcmp compares as unsigned char: bytewise, a prefix sorts first. */
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int pack_str(msgpack_packer *pk, const json_t *s) {
  const char *p = json_string_value(s);
  size_t n = json_string_length(s);

  if (strlen(p) != n)
    return AYIL_EINVAL;
  if (msgpack_pack_str(pk, n) != 0 || msgpack_pack_str_body(pk, p, n) != 0)
    return AYIL_ENOMEM;
  return 0;
}

int ayil_record_pack(const json_t *obj, uint8_t **out, size_t *len) {
  const char *keys[MAP_MAX_KEYS];
  msgpack_sbuffer sb;
  msgpack_packer pk;
  const char *key;
  json_t *v;
  size_t n = 0, i, j;
  int rc;

  *out = NULL;
  *len = 0;
  if (!json_is_object(obj) || json_object_size(obj) > MAP_MAX_KEYS)
    return AYIL_EINVAL;
  json_object_foreach((json_t *)obj, key, v) {
    size_t kl = strlen(key);
    if (kl == 0 || kl > KEY_MAX || n >= MAP_MAX_KEYS)
      return AYIL_EINVAL;
    keys[n++] = key;
  }
  qsort(keys, n, sizeof(keys[0]), cmp_keys);

  msgpack_sbuffer_init(&sb);
  msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
  rc = AYIL_ENOMEM;
  if (msgpack_pack_map(&pk, n) != 0)
    goto fail;
  for (i = 0; i < n; i++) {
    size_t kl = strlen(keys[i]);
    v = json_object_get(obj, keys[i]);
    if (msgpack_pack_str(&pk, kl) != 0 ||
        msgpack_pack_str_body(&pk, keys[i], kl) != 0) {
      rc = AYIL_ENOMEM;
      goto fail;
    }
    switch (json_typeof(v)) {
    case JSON_STRING:
      rc = pack_str(&pk, v);
      break;
    case JSON_INTEGER:
      if (json_integer_value(v) < 0) {
        rc = AYIL_EINVAL;
        break;
      }
      rc = msgpack_pack_uint64(&pk, (uint64_t)json_integer_value(v)) == 0
               ? 0
               : AYIL_ENOMEM;
      break;
    case JSON_TRUE:
      rc = msgpack_pack_true(&pk) == 0 ? 0 : AYIL_ENOMEM;
      break;
    case JSON_FALSE:
      rc = msgpack_pack_false(&pk) == 0 ? 0 : AYIL_ENOMEM;
      break;
    case JSON_ARRAY:
      if (json_array_size(v) > ARRAY_MAX) {
        rc = AYIL_EINVAL;
        break;
      }
      rc = msgpack_pack_array(&pk, json_array_size(v)) == 0 ? 0 : AYIL_ENOMEM;
      for (j = 0; rc == 0 && j < json_array_size(v); j++) {
        const json_t *it = json_array_get(v, j);
        rc = json_is_string(it) ? pack_str(&pk, it) : AYIL_EINVAL;
      }
      break;
    default:
      rc = AYIL_EINVAL;
      break;
    }
    if (rc != 0)
      goto fail;
  }
  if (sb.size > AYIL_BODY_MAX) {
    rc = AYIL_ETOOBIG;
    goto fail;
  }
  *len = sb.size;
  *out = (uint8_t *)msgpack_sbuffer_release(&sb);
  return 0;

fail:
  msgpack_sbuffer_destroy(&sb);
  return rc;
}

/*
 * Unpacking is two steps. First a scan of the raw bytes, which allocates
 * nothing and checks every tag, length prefix and count against the limits
 * and the remaining input, the nesting, minimal encodings and key order.
 * Only bytes that passed it are handed to msgpack_unpack_next, so it never
 * sees a length it could over-allocate for.
 */
typedef struct {
  const uint8_t *p;
  size_t len;
  size_t off;
} scan_t;

static int take(scan_t *s, size_t n, const uint8_t **at) {
  if (s->len - s->off < n)
    return AYIL_ETRUNC;
  *at = s->p + s->off;
  s->off += n;
  return 0;
}

static int read_be(scan_t *s, size_t n, uint64_t *v) {
  const uint8_t *b;
  size_t i;
  int rc = take(s, n, &b);

  if (rc != 0)
    return rc;
  *v = 0;
  for (i = 0; i < n; i++)
    *v = (*v << 8) | b[i];
  return 0;
}

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
int ayil_utf8_ok(const uint8_t *p, size_t n) {
  size_t i = 0;

  while (i < n) {
    uint8_t c = p[i];
    size_t need;
    uint32_t cp, min;
    if (c < 0x80) {
      i++;
      continue;
    }
    if ((c & 0xe0) == 0xc0) {
      need = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      need = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      need = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return 0;
    }
    if (n - i - 1 < need)
      return 0;
    for (size_t j = 1; j <= need; j++) {
      if ((p[i + j] & 0xc0) != 0x80)
        return 0;
      cp = (cp << 6) | (p[i + j] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return 0;
    i += need + 1;
  }
  return 1;
}

/* Reads a string (tag already read); returns its bytes. */
static int scan_str(scan_t *s, uint8_t tag, const uint8_t **str, size_t *n) {
  uint64_t l;
  int rc = 0;

  if (tag >= 0xa0 && tag <= 0xbf) {
    l = tag & 0x1f;
  } else if (tag == 0xd9) {
    rc = read_be(s, 1, &l);
    if (rc == 0 && l < 32)
      rc = AYIL_ENOTCANON;
  } else if (tag == 0xda) {
    rc = read_be(s, 2, &l);
    if (rc == 0 && l < 256)
      rc = AYIL_ENOTCANON;
  } else if (tag == 0xdb) {
    rc = read_be(s, 4, &l);
    if (rc == 0 && l > AYIL_BODY_MAX)
      rc = AYIL_ETOOBIG;
    else if (rc == 0 && l < 65536)
      rc = AYIL_ENOTCANON;
  } else {
    return AYIL_EFORMAT;
  }
  if (rc != 0)
    return rc;
  rc = take(s, (size_t)l, str);
  if (rc != 0)
    return rc;
  *n = (size_t)l;
  if (memchr(*str, 0, *n) != NULL || !ayil_utf8_ok(*str, *n))
    return AYIL_EFORMAT;
  return 0;
}

static int is_str_tag(uint8_t t) {
  return (t >= 0xa0 && t <= 0xbf) || (t >= 0xd9 && t <= 0xdb);
}

static int is_container_tag(uint8_t t) {
  return (t >= 0x80 && t <= 0x9f) || (t >= 0xdc && t <= 0xdf);
}

/* Reads a container header (tag already read): its count, minimal. */
static int scan_count(scan_t *s, uint8_t tag, size_t max, size_t *count) {
  uint64_t n;
  size_t w = 0;
  int rc;

  if ((tag >= 0x80 && tag <= 0x8f) || (tag >= 0x90 && tag <= 0x9f)) {
    n = tag & 0x0f;
  } else {
    w = (tag == 0xdc || tag == 0xde) ? 2 : 4;
    rc = read_be(s, w, &n);
    if (rc != 0)
      return rc;
  }
  if (n > max)
    return AYIL_ETOOBIG;
  if ((w == 2 && n < 16) || (w == 4 && n < 65536))
    return AYIL_ENOTCANON;
  *count = (size_t)n;
  return 0;
}

static int scan_value(scan_t *s) {
  const uint8_t *b, *str;
  uint64_t v;
  size_t n, i;
  uint8_t t;
  int rc = take(s, 1, &b);

  if (rc != 0)
    return rc;
  t = b[0];
  if (t <= 0x7f || t == 0xc2 || t == 0xc3)
    return 0;
  if (t >= 0xcc && t <= 0xcf) {
    static const uint64_t min[] = {0x80, 0x100, 0x10000, 0x100000000};
    rc = read_be(s, (size_t)1 << (t - 0xcc), &v);
    if (rc != 0)
      return rc;
    if (v > (uint64_t)INT64_MAX)
      return AYIL_EFORMAT;
    return v < min[t - 0xcc] ? AYIL_ENOTCANON : 0;
  }
  if (is_str_tag(t))
    return scan_str(s, t, &str, &n);
  if ((t >= 0x90 && t <= 0x9f) || t == 0xdc || t == 0xdd) {
    rc = scan_count(s, t, ARRAY_MAX, &n);
    for (i = 0; rc == 0 && i < n; i++) {
      rc = take(s, 1, &b);
      if (rc != 0)
        break;
      if (is_container_tag(b[0]))
        return AYIL_EDEPTH;
      size_t sl;
      rc = scan_str(s, b[0], &str, &sl);
    }
    return rc;
  }
  if (is_container_tag(t))
    return AYIL_EDEPTH; /* a map as a value */
  return AYIL_EFORMAT;
}

static int scan_map(const uint8_t *buf, size_t len) {
  scan_t s = {buf, len, 0};
  const uint8_t *b, *key, *prev = NULL;
  size_t n, i, kl, prevl = 0;
  int rc = take(&s, 1, &b);

  if (rc != 0)
    return rc;
  if (!((b[0] >= 0x80 && b[0] <= 0x8f) || b[0] == 0xde || b[0] == 0xdf))
    return AYIL_EFORMAT;
  rc = scan_count(&s, b[0], MAP_MAX_KEYS, &n);
  for (i = 0; rc == 0 && i < n; i++) {
    rc = take(&s, 1, &b);
    if (rc != 0)
      break;
    if (is_container_tag(b[0]))
      return AYIL_EDEPTH;
    rc = scan_str(&s, b[0], &key, &kl);
    if (rc != 0)
      break;
    if (kl == 0)
      return AYIL_EFORMAT;
    if (kl > KEY_MAX)
      return AYIL_ETOOBIG;
    if (prev != NULL) {
      int c = memcmp(prev, key, prevl < kl ? prevl : kl);
      if (c > 0 || (c == 0 && prevl >= kl))
        return AYIL_ENOTCANON;
    }
    prev = key;
    prevl = kl;
    rc = scan_value(&s);
  }
  if (rc != 0)
    return rc;
  return s.off == len ? 0 : AYIL_ETRAILING;
}

static json_t *str_to_json(const msgpack_object_str *s) {
  return json_stringn_nocheck(s->ptr, s->size);
}

static int object_to_json(const msgpack_object *o, json_t **out) {
  json_t *obj, *v = NULL;
  uint32_t i, j;

  if (o->type != MSGPACK_OBJECT_MAP)
    return AYIL_EFORMAT;
  obj = json_object();
  if (obj == NULL)
    return AYIL_ENOMEM;
  for (i = 0; i < o->via.map.size; i++) {
    const msgpack_object_kv *kv = &o->via.map.ptr[i];
    char key[KEY_MAX + 1];
    if (kv->key.type != MSGPACK_OBJECT_STR || kv->key.via.str.size > KEY_MAX)
      goto format;
    memcpy(key, kv->key.via.str.ptr, kv->key.via.str.size);
    key[kv->key.via.str.size] = '\0';
    switch (kv->val.type) {
    case MSGPACK_OBJECT_STR:
      v = str_to_json(&kv->val.via.str);
      break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
      if (kv->val.via.u64 > (uint64_t)INT64_MAX)
        goto format;
      v = json_integer((json_int_t)kv->val.via.u64);
      break;
    case MSGPACK_OBJECT_BOOLEAN:
      v = json_boolean(kv->val.via.boolean);
      break;
    case MSGPACK_OBJECT_ARRAY:
      v = json_array();
      for (j = 0; v != NULL && j < kv->val.via.array.size; j++) {
        const msgpack_object *it = &kv->val.via.array.ptr[j];
        if (it->type != MSGPACK_OBJECT_STR) {
          json_decref(v);
          goto format;
        }
        if (json_array_append_new(v, str_to_json(&it->via.str)) != 0) {
          json_decref(v);
          v = NULL;
        }
      }
      break;
    default:
      goto format;
    }
    if (v == NULL || json_object_set_new(obj, key, v) != 0) {
      json_decref(obj);
      return AYIL_ENOMEM;
    }
  }
  *out = obj;
  return 0;

format:
  json_decref(obj);
  return AYIL_EFORMAT;
}

int ayil_record_unpack(const uint8_t *buf, size_t len, json_t **out) {
  msgpack_unpacked u;
  size_t off = 0;
  int rc;

  *out = NULL;
  if (len > AYIL_BODY_MAX)
    return AYIL_ETOOBIG;
  if (buf == NULL || len == 0)
    return AYIL_ETRUNC;
  rc = scan_map(buf, len);
  if (rc != 0)
    return rc;
  msgpack_unpacked_init(&u);
  switch (msgpack_unpack_next(&u, (const char *)buf, len, &off)) {
  case MSGPACK_UNPACK_SUCCESS:
    rc = off == len ? object_to_json(&u.data, out) : AYIL_ETRAILING;
    break;
  case MSGPACK_UNPACK_NOMEM_ERROR:
    rc = AYIL_ENOMEM;
    break;
  case MSGPACK_UNPACK_CONTINUE:
    rc = AYIL_ETRUNC;
    break;
  default:
    rc = AYIL_EFORMAT;
    break;
  }
  msgpack_unpacked_destroy(&u);
  return rc;
}

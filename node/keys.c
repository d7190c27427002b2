/*
 * Key files. All are small text files of `name=value` lines with base64
 * values, so a sysadmin can see what a file is without tools; secrets in
 * them are either wrapped or the file is 0600.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <jansson.h>
#include <sodium.h>

#include "ayil/error.h"
#include "fsutil.h"
#include "keys.h"

#define KEYFILE_MAX 32768
#define B64(n) sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL)

/* Finds the line `name=value` in a key file: returns the value and its
 * length up to the end of the line, or NULL. */
static const char *kv_find(const char *text, const char *name, size_t *vlen) {
  size_t nl = strlen(name);
  const char *p = text;
  while (p != NULL && *p != '\0') {
    if (strncmp(p, name, nl) == 0 && p[nl] == '=') {
      *vlen = strcspn(p + nl + 1, "\r\n");
      return p + nl + 1;
    }
    p = strchr(p, '\n');
    if (p != NULL)
      p++;
  }
  return NULL;
}

/* Decodes the base64 value of `name` into exactly `n` bytes. */
static int kv_get(const char *text, const char *name, uint8_t *out, size_t n) {
  size_t vl = 0, got = 0;
  const char *v = kv_find(text, name, &vl);
  if (v == NULL ||
      sodium_base642bin(out, n, v, vl, NULL, &got, NULL,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      got != n)
    return AYIL_EFORMAT;
  return 0;
}

static int kv_get_u64(const char *text, const char *name, uint64_t *out) {
  size_t vl = 0;
  const char *v = kv_find(text, name, &vl);
  char *end = NULL;
  unsigned long long n;
  if (v == NULL || vl == 0)
    return AYIL_EFORMAT;
  errno = 0;
  n = strtoull(v, &end, 10);
  if (errno != 0 || end != v + vl)
    return AYIL_EFORMAT;
  *out = (uint64_t)n;
  return 0;
}

static void b64(char *out, size_t cap, const uint8_t *in, size_t n) {
  sodium_bin2base64(out, cap, in, n, sodium_base64_VARIANT_ORIGINAL);
}

static int load_text(const char *path, char **out, int must_be_private) {
  uint8_t *buf = NULL;
  size_t len = 0;
  struct stat st;
  int rc;
  if (stat(path, &st) != 0)
    return ayil_fs_errno(errno);
  if (must_be_private && (st.st_mode & 077) != 0)
    return AYIL_EPERM;
  rc = ayil_fs_read(path, KEYFILE_MAX, &buf, &len);
  if (rc != 0)
    return rc;
  *out = (char *)buf;
  return 0;
}

static void free_text(char *t) {
  if (t != NULL) {
    sodium_memzero(t, strlen(t));
    free(t);
  }
}

/* The `retired=` lines of a key file, copied as they are (each the public
 * key and the secret sealed to the current reader key). */
#define RETIRED_TEXT 4096
static int retired_lines(const char *text, char out[RETIRED_TEXT]) {
  const char *p = text;
  size_t o = 0, n = 0;
  out[0] = '\0';
  while (p != NULL && *p != '\0') {
    if (strncmp(p, "retired=", 8) == 0) {
      size_t l = strcspn(p, "\r\n");
      if (o + l + 2 > RETIRED_TEXT || ++n > AYIL_READER_RETIRED_MAX)
        return AYIL_EFORMAT;
      memcpy(out + o, p, l);
      o += l;
      out[o++] = '\n';
      out[o] = '\0';
    }
    p = strchr(p, '\n');
    if (p != NULL)
      p++;
  }
  return 0;
}

/* Members' key slots: `first_member=NAME64` names the slot of `wrapped=`
 * (default AYIL_READER_FIRST_MEMBER), then one `member=NAME64:ROLE:WRAP64`
 * line per other member. */
#define MEMBERS_TEXT (AYIL_READER_MEMBERS_MAX * 320)

static void name64(const char *name, char out[B64(AYIL_READER_NAME_MAX)]) {
  b64(out, B64(AYIL_READER_NAME_MAX), (const uint8_t *)name, strlen(name));
}

/* The `member=` lines of a key file, copied as they are, but for member
 * `skip`'s (a name, or NULL); *found (may be NULL) says whether it was
 * there. */
static int member_lines(const char *text, char out[MEMBERS_TEXT],
                        const char *skip, int *found) {
  char n64[B64(AYIL_READER_NAME_MAX)];
  const char *p = text;
  size_t o = 0, n = 0, sl = 0;
  out[0] = '\0';
  if (found != NULL)
    *found = 0;
  if (skip != NULL) {
    name64(skip, n64);
    sl = strlen(n64);
  }
  while (p != NULL && *p != '\0') {
    size_t l = strcspn(p, "\r\n");
    if (strncmp(p, "member=", 7) == 0) {
      if (skip != NULL && strncmp(p + 7, n64, sl) == 0 && p[7 + sl] == ':') {
        if (found != NULL)
          *found = 1;
      } else {
        if (o + l + 2 > MEMBERS_TEXT || ++n > AYIL_READER_MEMBERS_MAX)
          return AYIL_ETOOBIG;
        memcpy(out + o, p, l);
        o += l;
        out[o++] = '\n';
        out[o] = '\0';
      }
    }
    p = strchr(p, '\n');
    if (p != NULL)
      p++;
  }
  return 0;
}

/* The `first_member=` line to write: naming `name` when given, else the
 * one of `text` as it is (text may be NULL), else none. */
#define FIRST_TEXT (B64(AYIL_READER_NAME_MAX) + 16)
static void first_line(const char *text, const char *name,
                       char out[FIRST_TEXT]) {
  out[0] = '\0';
  if (name != NULL) {
    char n64[B64(AYIL_READER_NAME_MAX)];
    name64(name, n64);
    snprintf(out, FIRST_TEXT, "first_member=%s\n", n64);
  } else if (text != NULL) {
    size_t vl = 0;
    const char *v = kv_find(text, "first_member", &vl);
    if (v != NULL && vl + 16 <= FIRST_TEXT)
      snprintf(out, FIRST_TEXT, "first_member=%.*s\n", (int)vl, v);
  }
}

static int rewrite_reader(const char *path, const char *text, const uint8_t *w,
                          const char *first, const char *members);

int ayil_identity_create(const char *path, ayil_identity_t *out) {
  char text[512];
  char pk64[B64(AYIL_ID_BYTES)];
  char sk64[B64(AYIL_SK_BYTES)];
  int n;
  int rc;
  crypto_sign_keypair(out->pk, out->sk);
  b64(pk64, sizeof pk64, out->pk, AYIL_ID_BYTES);
  b64(sk64, sizeof sk64, out->sk, AYIL_SK_BYTES);
  n = snprintf(text, sizeof text,
               "# ayil node identity (Ed25519). Secret: keep mode 0600.\n"
               "version=1\nid=%s\nsecret=%s\n",
               pk64, sk64);
  rc = ayil_fs_write_new(path, text, (size_t)n, 0600);
  sodium_memzero(text, sizeof text);
  sodium_memzero(sk64, sizeof sk64);
  return rc;
}

/* jansson's blocks carry their size in front, so free can wipe them. */
#define WIPE_HEAD 16 /* keeps the alignment malloc gives */

static void *wiping_malloc(size_t n) {
  unsigned char *p;
  if (n > SIZE_MAX - WIPE_HEAD)
    return NULL;
  p = malloc(n + WIPE_HEAD);
  if (p == NULL)
    return NULL;
  memcpy(p, &n, sizeof n);
  return p + WIPE_HEAD;
}

static void wiping_free(void *q) {
  unsigned char *p;
  size_t n;
  if (q == NULL)
    return;
  p = (unsigned char *)q - WIPE_HEAD;
  memcpy(&n, p, sizeof n);
  sodium_memzero(p, n + WIPE_HEAD);
  free(p);
}

int ayil_keys_harden_process(void) {
  struct rlimit none = {0, 0};
  json_set_alloc_funcs(wiping_malloc, wiping_free);
  (void)setrlimit(RLIMIT_CORE, &none);
  return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0 ? 0 : AYIL_EINVAL;
}

int ayil_identity_load(const char *path, ayil_identity_t *out) {
  char *text = NULL;
  uint8_t derived[AYIL_ID_BYTES];
  int rc = load_text(path, &text, 1);
  if (rc != 0)
    return rc;
  /* Out of swap and core dumps; best effort (RLIMIT_MEMLOCK may say no). */
  (void)sodium_mlock(out, sizeof *out);
  rc = kv_get(text, "id", out->pk, AYIL_ID_BYTES);
  if (rc == 0)
    rc = kv_get(text, "secret", out->sk, AYIL_SK_BYTES);
  free_text(text);
  if (rc != 0)
    return rc;
  /* The public half is stored three times (id, and the secret's seed and
   * its tail); derive it from the seed so a damaged seed is caught too. */
  {
    uint8_t seed[crypto_sign_SEEDBYTES], sk2[AYIL_SK_BYTES];
    crypto_sign_ed25519_sk_to_seed(seed, out->sk);
    crypto_sign_seed_keypair(derived, sk2, seed);
    if (sodium_memcmp(sk2, out->sk, AYIL_SK_BYTES) != 0)
      memset(derived, 0, sizeof derived);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk2, sizeof sk2);
  }
  if (sodium_memcmp(derived, out->pk, AYIL_ID_BYTES) != 0) {
    ayil_identity_wipe(out);
    return AYIL_ECORRUPT;
  }
  return 0;
}

void ayil_identity_wipe(ayil_identity_t *id) {
  /* Zeroes it and unlocks its pages (a no-op where they were not locked). */
  sodium_munlock(id, sizeof *id);
}

int ayil_netkey_write(const char *path, const uint8_t key[AYIL_NETKEY_BYTES]) {
  char text[256];
  char k64[B64(AYIL_NETKEY_BYTES)];
  int n;
  int rc;
  b64(k64, sizeof k64, key, AYIL_NETKEY_BYTES);
  n = snprintf(text, sizeof text,
               "# ayil deployment network key. Secret: keep mode 0600.\n"
               "version=1\nkey=%s\n",
               k64);
  rc = ayil_fs_write_atomic(path, text, (size_t)n, 0600);
  sodium_memzero(text, sizeof text);
  sodium_memzero(k64, sizeof k64);
  return rc;
}

int ayil_netkey_create(const char *path, uint8_t key[AYIL_NETKEY_BYTES]) {
  randombytes_buf(key, AYIL_NETKEY_BYTES);
  return ayil_netkey_write(path, key);
}

int ayil_netkey_load(const char *path, uint8_t key[AYIL_NETKEY_BYTES]) {
  char *text = NULL;
  int rc = load_text(path, &text, 1);
  if (rc != 0)
    return rc;
  rc = kv_get(text, "key", key, AYIL_NETKEY_BYTES);
  free_text(text);
  return rc;
}

/* Wraps sk under pass: salt || nonce || secretbox(sk). */
#define WRAP_BYTES                                                             \
  (crypto_pwhash_SALTBYTES + crypto_secretbox_NONCEBYTES +                     \
   crypto_secretbox_MACBYTES + AYIL_READER_SK_BYTES)

static int wrap(uint8_t out[WRAP_BYTES], const uint8_t sk[AYIL_READER_SK_BYTES],
                const char *pass, size_t passlen) {
  uint8_t key[crypto_secretbox_KEYBYTES];
  uint8_t *salt = out;
  uint8_t *nonce = out + crypto_pwhash_SALTBYTES;
  uint8_t *box = nonce + crypto_secretbox_NONCEBYTES;
  /* The one place the minimum is enforced, whoever sets a passphrase. */
  if (ayil_passphrase_chars(pass, passlen) < AYIL_PASSPHRASE_MIN_CHARS)
    return AYIL_EINVAL;
  randombytes_buf(salt, crypto_pwhash_SALTBYTES);
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  if (crypto_pwhash(key, sizeof key, pass, passlen, salt, AYIL_KDF_OPS,
                    (size_t)AYIL_KDF_MEM, crypto_pwhash_ALG_ARGON2ID13) != 0)
    return AYIL_ENOMEM;
  crypto_secretbox_easy(box, sk, AYIL_READER_SK_BYTES, nonce, key);
  sodium_memzero(key, sizeof key);
  return 0;
}

size_t ayil_passphrase_chars(const char *pass, size_t len) {
  size_t i, n = 0;
  for (i = 0; i < len; i++)
    if (((unsigned char)pass[i] & 0xC0) != 0x80) /* not a continuation */
      n++;
  return n;
}

static int unwrap(const uint8_t in[WRAP_BYTES], uint64_t ops, uint64_t mem,
                  const char *pass, size_t passlen,
                  uint8_t sk[AYIL_READER_SK_BYTES]) {
  uint8_t key[crypto_secretbox_KEYBYTES];
  const uint8_t *salt = in;
  const uint8_t *nonce = in + crypto_pwhash_SALTBYTES;
  const uint8_t *box = nonce + crypto_secretbox_NONCEBYTES;
  int rc = 0;
  /* Bound the parameters a (possibly tampered) file can ask for. */
  if (ops > AYIL_KDF_OPS_MAX || mem > AYIL_KDF_MEM_MAX)
    return AYIL_ETOOBIG;
  if (ops < crypto_pwhash_OPSLIMIT_MIN || mem < crypto_pwhash_MEMLIMIT_MIN)
    return AYIL_EFORMAT;
  if (crypto_pwhash(key, sizeof key, pass, passlen, salt, ops, (size_t)mem,
                    crypto_pwhash_ALG_ARGON2ID13) != 0)
    return AYIL_ENOMEM;
  if (crypto_secretbox_open_easy(
          sk, box, crypto_secretbox_MACBYTES + AYIL_READER_SK_BYTES, nonce,
          key) != 0)
    rc = AYIL_EPASSPHRASE;
  sodium_memzero(key, sizeof key);
  return rc;
}

#define SEALED_SK_BYTES (crypto_box_SEALBYTES + AYIL_READER_SK_BYTES)

static int write_reader(const char *path, const uint8_t pk[32],
                        const uint8_t wrapped[WRAP_BYTES],
                        const uint8_t recovery_pk[32],
                        const uint8_t sealed[SEALED_SK_BYTES],
                        const char *retired, const char *members, int fresh) {
  char text[1024 + RETIRED_TEXT + MEMBERS_TEXT];
  char pk64[B64(32)], w64[B64(WRAP_BYTES)], rpk64[B64(32)],
      s64[B64(SEALED_SK_BYTES)];
  int n, rc;
  b64(pk64, sizeof pk64, pk, 32);
  b64(w64, sizeof w64, wrapped, WRAP_BYTES);
  b64(rpk64, sizeof rpk64, recovery_pk, 32);
  b64(s64, sizeof s64, sealed, SEALED_SK_BYTES);
  n = snprintf(
      text, sizeof text,
      "# ayil committee reader key. The secret is stored only "
      "wrapped.\n"
      "version=1\nreader_pk=%s\nkdf=argon2id13\nkdf_ops=%llu\n"
      "kdf_mem=%llu\nwrapped=%s\nrecovery_pk=%s\nrecovery_sealed=%s\n%s%s",
      pk64, (unsigned long long)AYIL_KDF_OPS, (unsigned long long)AYIL_KDF_MEM,
      w64, rpk64, s64, retired, members);
  if (n < 0 || (size_t)n >= sizeof text)
    return AYIL_ETOOBIG;
  if (fresh)
    rc = ayil_fs_write_new(path, text, (size_t)n, 0600);
  else
    rc = ayil_fs_write_atomic(path, text, (size_t)n, 0600);
  sodium_memzero(text, sizeof text);
  return rc;
}

static int write_kit(const char *kit_path, const char *label,
                     const uint8_t reader_pk[32], const uint8_t rsk[32],
                     const uint8_t sealed[SEALED_SK_BYTES],
                     const char *retired) {
  char text[2048 + RETIRED_TEXT];
  char pk64[B64(32)], rsk64[B64(32)], s64[B64(SEALED_SK_BYTES)];
  int n;
  int rc;
  b64(pk64, sizeof pk64, reader_pk, 32);
  b64(rsk64, sizeof rsk64, rsk, 32);
  b64(s64, sizeof s64, sealed, SEALED_SK_BYTES);
  n = snprintf(
      text, sizeof text,
      "AYIL RECOVERY KIT\n"
      "=================\n"
      "Committee: %s\n\n"
      "This kit opens every record of the committee. Print it, keep it\n"
      "locked away offline, and delete this file from any computer.\n"
      "It is needed if the passphrase is forgotten or the node is replaced:\n"
      "  ayil passwd --recovery-kit FILE\n"
      "  ayil init --role committee --invite CODE --recovery-kit FILE\n\n"
      "version=1\nreader_pk=%s\nrecovery_sk=%s\nrecovery_sealed=%s\n%s",
      label, pk64, rsk64, s64, retired);
  rc = ayil_fs_write_new(kit_path, text, (size_t)n, 0600);
  sodium_memzero(text, sizeof text);
  sodium_memzero(rsk64, sizeof rsk64);
  return rc;
}

int ayil_reader_create(const char *path, const char *kit_path, const char *pass,
                       size_t passlen, const char *label) {
  uint8_t pk[32], sk[32], rpk[32], rsk[32];
  uint8_t wrapped[WRAP_BYTES];
  uint8_t sealed[SEALED_SK_BYTES];
  int rc;
  crypto_box_keypair(pk, sk);
  crypto_box_keypair(rpk, rsk);
  rc = wrap(wrapped, sk, pass, passlen);
  if (rc != 0)
    goto fail;
  crypto_box_seal(sealed, sk, sizeof sk, rpk);
  /* The kit first: a node must never hold a reader key it cannot recover. */
  rc = write_kit(kit_path, label, pk, rsk, sealed, "");
  if (rc != 0)
    goto fail;
  rc = write_reader(path, pk, wrapped, rpk, sealed, "", "", 1);
fail:
  sodium_memzero(sk, sizeof sk);
  sodium_memzero(rsk, sizeof rsk);
  return rc;
}

static int kit_open(const char *kit_path, uint8_t pk[32], uint8_t sk[32],
                    uint8_t rpk_out[32], uint8_t sealed_out[SEALED_SK_BYTES],
                    char retired[RETIRED_TEXT]) {
  char *text = NULL;
  uint8_t rsk[32], rpk[32];
  int rc = load_text(kit_path, &text, 0);
  if (rc != 0)
    return rc;
  rc = kv_get(text, "reader_pk", pk, 32);
  if (rc == 0)
    rc = kv_get(text, "recovery_sk", rsk, 32);
  if (rc == 0)
    rc = kv_get(text, "recovery_sealed", sealed_out, SEALED_SK_BYTES);
  if (rc == 0)
    rc = retired_lines(text, retired);
  free_text(text);
  if (rc != 0)
    goto fail;
  crypto_scalarmult_base(rpk, rsk);
  if (crypto_box_seal_open(sk, sealed_out, SEALED_SK_BYTES, rpk, rsk) != 0) {
    rc = AYIL_EDECRYPT;
    goto fail;
  }
  memcpy(rpk_out, rpk, 32);
fail:
  sodium_memzero(rsk, sizeof rsk);
  return rc;
}

int ayil_reader_restore(const char *path, const char *kit_path,
                        const char *pass, size_t passlen) {
  uint8_t pk[32], sk[32], rpk[32];
  uint8_t sealed[SEALED_SK_BYTES];
  uint8_t wrapped[WRAP_BYTES];
  char retired[RETIRED_TEXT];
  int rc = kit_open(kit_path, pk, sk, rpk, sealed, retired);
  if (rc == 0)
    rc = wrap(wrapped, sk, pass, passlen);
  if (rc == 0)
    rc = write_reader(path, pk, wrapped, rpk, sealed, retired, "", 1);
  sodium_memzero(sk, sizeof sk);
  return rc;
}

int ayil_reader_pk(const char *path, uint8_t pk[AYIL_READER_PK_BYTES]) {
  char *text = NULL;
  int rc = load_text(path, &text, 0);
  if (rc != 0)
    return rc;
  rc = kv_get(text, "reader_pk", pk, AYIL_READER_PK_BYTES);
  free_text(text);
  return rc;
}

int ayil_reader_unlock(const char *path, const char *pass, size_t passlen,
                       uint8_t sk[AYIL_READER_SK_BYTES]) {
  char *text = NULL;
  uint8_t wrapped[WRAP_BYTES];
  uint8_t pk[32], check[32];
  uint64_t ops = 0, mem = 0;
  int rc = load_text(path, &text, 1);
  if (rc != 0)
    return rc;
  rc = kv_get(text, "wrapped", wrapped, WRAP_BYTES);
  if (rc == 0)
    rc = kv_get(text, "reader_pk", pk, 32);
  if (rc == 0)
    rc = kv_get_u64(text, "kdf_ops", &ops);
  if (rc == 0)
    rc = kv_get_u64(text, "kdf_mem", &mem);
  free_text(text);
  if (rc != 0)
    return rc;
  rc = unwrap(wrapped, ops, mem, pass, passlen, sk);
  if (rc != 0)
    return rc;
  crypto_scalarmult_base(check, sk);
  if (sodium_memcmp(check, pk, 32) != 0) {
    sodium_memzero(sk, AYIL_READER_SK_BYTES);
    return AYIL_ECORRUPT;
  }
  return 0;
}

int ayil_reader_unlock_kit(const char *path, const char *kit_path,
                           uint8_t sk[AYIL_READER_SK_BYTES]) {
  uint8_t pk[32], node_pk[32], rpk[32];
  uint8_t sealed[SEALED_SK_BYTES];
  char retired[RETIRED_TEXT];
  int rc = kit_open(kit_path, pk, sk, rpk, sealed, retired);
  if (rc != 0)
    return rc;
  rc = ayil_reader_pk(path, node_pk);
  if (rc == 0 && sodium_memcmp(pk, node_pk, 32) != 0)
    rc = AYIL_EAUTH; /* a kit of another committee */
  if (rc != 0)
    sodium_memzero(sk, AYIL_READER_SK_BYTES);
  return rc;
}

int ayil_reader_rewrap(const char *path, const uint8_t sk[AYIL_READER_SK_BYTES],
                       const char *newpass, size_t newlen) {
  char *text = NULL;
  char members[MEMBERS_TEXT];
  uint8_t pk[32], derived[32];
  uint8_t wrapped[WRAP_BYTES];
  int rc = load_text(path, &text, 1);
  if (rc != 0)
    return rc;
  rc = kv_get(text, "reader_pk", pk, 32);
  /* The secret must be this file's: a wrong one would replace the only
   * passphrase-wrapped copy with one that opens nothing. */
  if (rc == 0 && (crypto_scalarmult_base(derived, sk) != 0 ||
                  sodium_memcmp(derived, pk, sizeof derived) != 0))
    rc = AYIL_EINVAL;
  sodium_memzero(derived, sizeof derived);
  if (rc == 0)
    rc = member_lines(text, members, NULL, NULL);
  if (rc == 0)
    rc = wrap(wrapped, sk, newpass, newlen);
  if (rc == 0) /* the other members' slots and the first chair's name stay */
    rc = rewrite_reader(path, text, wrapped, NULL, members);
  sodium_memzero(wrapped, sizeof wrapped);
  sodium_memzero(members, sizeof members);
  free_text(text);
  return rc;
}

int ayil_reader_keys(const char *path, const uint8_t sk[AYIL_READER_SK_BYTES],
                     ayil_reader_keys_t *out) {
  char *text = NULL;
  char retired[RETIRED_TEXT];
  const char *p;
  int rc = load_text(path, &text, 1);
  memset(out, 0, sizeof *out);
  /* Out of swap and core dumps; best effort (RLIMIT_MEMLOCK may say no). */
  (void)sodium_mlock(out, sizeof *out);
  if (rc != 0)
    return rc;
  rc = kv_get(text, "reader_pk", out->pk[0], 32);
  if (rc == 0)
    rc = retired_lines(text, retired);
  free_text(text);
  if (rc != 0)
    return rc;
  memcpy(out->sk[0], sk, 32);
  out->n = 1;
  for (p = retired; *p != '\0' && rc == 0; p = strchr(p, '\n') + 1) {
    const char *v = p + 8, *colon = strchr(v, ':');
    size_t got = 0, vl = strcspn(v, "\n");
    uint8_t sealed[SEALED_SK_BYTES], derived[32];
    uint8_t *rpk = out->pk[out->n], *rsk = out->sk[out->n];
    if (colon == NULL || colon > v + vl ||
        sodium_base642bin(rpk, 32, v, (size_t)(colon - v), NULL, &got, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        got != 32 ||
        sodium_base642bin(sealed, sizeof sealed, colon + 1,
                          vl - (size_t)(colon + 1 - v), NULL, &got, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        got != sizeof sealed) {
      rc = AYIL_EFORMAT;
      break;
    }
    if (crypto_box_seal_open(rsk, sealed, sizeof sealed, out->pk[0],
                             out->sk[0]) != 0 ||
        crypto_scalarmult_base(derived, rsk) != 0 ||
        sodium_memcmp(derived, rpk, 32) != 0) {
      rc = AYIL_ECORRUPT;
      break;
    }
    out->n++;
  }
  if (rc != 0)
    ayil_reader_keys_wipe(out);
  return rc;
}

void ayil_reader_keys_wipe(ayil_reader_keys_t *k) {
  sodium_munlock(k, sizeof *k); /* zeroes it, and unlocks its pages */
}

int ayil_reader_rekey(const char *path, const char *kit_path,
                      const uint8_t old_sk[AYIL_READER_SK_BYTES],
                      const char *pass, size_t passlen, const char *label,
                      const char *first_name_new) {
  ayil_reader_keys_t keys;
  uint8_t pk[32], sk[32], rpk[32], rsk[32];
  uint8_t wrapped[WRAP_BYTES];
  uint8_t sealed[SEALED_SK_BYTES];
  char retired[RETIRED_TEXT];
  size_t i, o = 0;
  int rc = ayil_reader_keys(path, old_sk, &keys);
  if (rc != 0)
    return rc;
  if (keys.n > AYIL_READER_RETIRED_MAX) {
    ayil_reader_keys_wipe(&keys);
    return AYIL_ETOOBIG;
  }
  crypto_box_keypair(pk, sk);
  crypto_box_keypair(rpk, rsk);
  /* Every earlier key, the one just retired first, sealed to the new one. */
  retired[0] = '\0';
  for (i = 0; i < keys.n; i++) {
    uint8_t s[SEALED_SK_BYTES];
    char pk64[B64(32)], s64[B64(SEALED_SK_BYTES)];
    crypto_box_seal(s, keys.sk[i], 32, pk);
    b64(pk64, sizeof pk64, keys.pk[i], 32);
    b64(s64, sizeof s64, s, sizeof s);
    o += (size_t)snprintf(retired + o, sizeof retired - o, "retired=%s:%s\n",
                          pk64, s64);
  }
  ayil_reader_keys_wipe(&keys);
  rc = wrap(wrapped, sk, pass, passlen);
  if (rc == 0) {
    crypto_box_seal(sealed, sk, sizeof sk, rpk);
    /* The new kit first: never a reader key that no kit recovers. */
    rc = write_kit(kit_path, label, pk, rsk, sealed, retired);
  }
  if (rc == 0) {
    /* Every other member's slot held the old secret: they are dropped (the
     * chair adds the members again). The first chair keeps the name. */
    char first[FIRST_TEXT];
    char *t = NULL;
    if (first_name_new == NULL && load_text(path, &t, 1) != 0)
      t = NULL;
    first_line(t, first_name_new, first);
    free_text(t);
    rc = write_reader(path, pk, wrapped, rpk, sealed, retired, first, 0);
  }
  sodium_memzero(sk, sizeof sk);
  sodium_memzero(rsk, sizeof rsk);
  sodium_memzero(retired, sizeof retired);
  return rc;
}

/* ---- members' key slots ---- */

/* The first chair's name (first_member=, or the default). */
static int first_name(const char *text, char out[AYIL_READER_NAME_MAX + 1]) {
  size_t vl = 0, got = 0;
  const char *v = kv_find(text, "first_member", &vl);
  if (v == NULL) {
    snprintf(out, AYIL_READER_NAME_MAX + 1, "%s", AYIL_READER_FIRST_MEMBER);
    return 0;
  }
  if (sodium_base642bin((uint8_t *)out, AYIL_READER_NAME_MAX, v, vl, NULL, &got,
                        NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
      got == 0)
    return AYIL_EFORMAT;
  out[got] = '\0';
  return 0;
}

/* Parses one `member=` line (p points at "member="): name, role, slot. */
static int member_parse(const char *p, char name[AYIL_READER_NAME_MAX + 1],
                        char role[16], uint8_t wrapped[WRAP_BYTES]) {
  const char *v = p + 7, *c1 = strchr(v, ':'), *c2;
  size_t l = strcspn(v, "\r\n"), got = 0;
  if (c1 == NULL || c1 > v + l || (c2 = strchr(c1 + 1, ':')) == NULL ||
      c2 > v + l || (size_t)(c2 - c1 - 1) >= 16)
    return AYIL_EFORMAT;
  if (sodium_base642bin((uint8_t *)name, AYIL_READER_NAME_MAX, v,
                        (size_t)(c1 - v), NULL, &got, NULL,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      got == 0)
    return AYIL_EFORMAT;
  name[got] = '\0';
  memcpy(role, c1 + 1, (size_t)(c2 - c1 - 1));
  role[c2 - c1 - 1] = '\0';
  if (strcmp(role, "chair") != 0 && strcmp(role, "member") != 0)
    return AYIL_EFORMAT;
  if (wrapped != NULL &&
      (sodium_base642bin(wrapped, WRAP_BYTES, c2 + 1, l - (size_t)(c2 + 1 - v),
                         NULL, &got, NULL,
                         sodium_base64_VARIANT_ORIGINAL) != 0 ||
       got != WRAP_BYTES))
    return AYIL_EFORMAT;
  return 0;
}

/* Finds member `name`'s line; NULL if none. */
static const char *member_find(const char *text, const char *name) {
  char n64[B64(AYIL_READER_NAME_MAX)];
  const char *p = text;
  size_t nl;
  name64(name, n64);
  nl = strlen(n64);
  while (p != NULL && *p != '\0') {
    if (strncmp(p, "member=", 7) == 0 && strncmp(p + 7, n64, nl) == 0 &&
        p[7 + nl] == ':')
      return p;
    p = strchr(p, '\n');
    if (p != NULL)
      p++;
  }
  return NULL;
}

int ayil_reader_members(const char *path, ayil_reader_member_t *out, size_t cap,
                        size_t *n) {
  char *text = NULL;
  const char *p;
  int rc = load_text(path, &text, 1);
  *n = 0;
  if (rc != 0)
    return rc;
  if (cap > 0) {
    rc = first_name(text, out[0].name);
    snprintf(out[0].role, sizeof out[0].role, "chair");
    *n = 1;
  }
  for (p = text; rc == 0 && p != NULL && *p != '\0';) {
    if (strncmp(p, "member=", 7) == 0 && *n < cap) {
      rc = member_parse(p, out[*n].name, out[*n].role, NULL);
      if (rc == 0)
        (*n)++;
    }
    p = strchr(p, '\n');
    if (p != NULL)
      p++;
  }
  free_text(text);
  return rc;
}

int ayil_reader_unlock_member(const char *path, const char *name,
                              const char *pass, size_t passlen,
                              uint8_t sk[AYIL_READER_SK_BYTES], char role[16]) {
  char *text = NULL, first[AYIL_READER_NAME_MAX + 1],
       mname[AYIL_READER_NAME_MAX + 1];
  uint8_t wrapped[WRAP_BYTES], pk[32], check[32];
  uint64_t ops = 0, mem = 0;
  const char *line;
  int rc = load_text(path, &text, 1), known = 1;
  if (rc != 0)
    return rc;
  rc = first_name(text, first);
  if (rc == 0)
    rc = kv_get(text, "reader_pk", pk, 32);
  if (rc == 0)
    rc = kv_get_u64(text, "kdf_ops", &ops);
  if (rc == 0)
    rc = kv_get_u64(text, "kdf_mem", &mem);
  if (rc == 0 && strcmp(name, first) == 0) {
    rc = kv_get(text, "wrapped", wrapped, WRAP_BYTES);
    snprintf(role, 16, "chair");
  } else if (rc == 0 && (line = member_find(text, name)) != NULL) {
    rc = member_parse(line, mname, role, wrapped);
  } else if (rc == 0) {
    /* no such member: the same work as a wrong password */
    randombytes_buf(wrapped, sizeof wrapped);
    known = 0;
  }
  free_text(text);
  if (rc != 0)
    return rc;
  rc = unwrap(wrapped, ops, mem, pass, passlen, sk);
  if (rc == 0 && !known)
    rc = AYIL_EPASSPHRASE;
  if (rc != 0) {
    sodium_memzero(sk, AYIL_READER_SK_BYTES);
    return rc;
  }
  crypto_scalarmult_base(check, sk);
  if (sodium_memcmp(check, pk, 32) != 0) {
    sodium_memzero(sk, AYIL_READER_SK_BYTES);
    return AYIL_ECORRUPT;
  }
  return 0;
}

/* Rewrites reader.key with the `wrapped=` slot `w` (NULL: as it is), the
 * first chair named `first` (NULL: as it is) and the member lines given. */
static int rewrite_reader(const char *path, const char *text, const uint8_t *w,
                          const char *first, const char *members) {
  uint8_t pk[32], rpk[32], wrapped[WRAP_BYTES];
  uint8_t sealed[SEALED_SK_BYTES];
  char retired[RETIRED_TEXT], all[MEMBERS_TEXT + FIRST_TEXT];
  int rc = kv_get(text, "reader_pk", pk, 32);
  if (rc == 0)
    rc = kv_get(text, "recovery_pk", rpk, 32);
  if (rc == 0)
    rc = kv_get(text, "recovery_sealed", sealed, SEALED_SK_BYTES);
  if (rc == 0)
    rc = retired_lines(text, retired);
  if (rc == 0 && w == NULL)
    rc = kv_get(text, "wrapped", wrapped, WRAP_BYTES);
  if (rc != 0)
    return rc;
  if (w != NULL)
    memcpy(wrapped, w, WRAP_BYTES);
  first_line(text, first, all);
  if (strlen(all) + strlen(members) + 1 > sizeof all)
    return AYIL_ETOOBIG;
  strcat(all, members);
  rc = write_reader(path, pk, wrapped, rpk, sealed, retired, all, 0);
  sodium_memzero(wrapped, sizeof wrapped);
  sodium_memzero(all, sizeof all);
  return rc;
}

int ayil_reader_member_set(const char *path,
                           const uint8_t sk[AYIL_READER_SK_BYTES],
                           const char *name, const char *role, const char *pass,
                           size_t passlen, int create) {
  char *text = NULL, first[AYIL_READER_NAME_MAX + 1];
  char others[MEMBERS_TEXT], n64[B64(AYIL_READER_NAME_MAX)];
  char w64[B64(WRAP_BYTES)];
  uint8_t pk[32], derived[32], wrapped[WRAP_BYTES];
  size_t n = 0;
  int rc, found = 0, is_first;
  if (strlen(name) == 0 || strlen(name) > AYIL_READER_NAME_MAX ||
      (strcmp(role, "chair") != 0 && strcmp(role, "member") != 0))
    return AYIL_EINVAL;
  rc = load_text(path, &text, 1);
  if (rc != 0)
    return rc;
  rc = first_name(text, first);
  if (rc == 0)
    rc = kv_get(text, "reader_pk", pk, 32);
  if (rc == 0 && (crypto_scalarmult_base(derived, sk) != 0 ||
                  sodium_memcmp(derived, pk, 32) != 0))
    rc = AYIL_EINVAL;
  if (rc == 0)
    rc = member_lines(text, others, name, &found);
  is_first = rc == 0 && strcmp(name, first) == 0;
  if (rc == 0 && create && (found || is_first))
    rc = AYIL_EEXISTS;
  if (rc == 0 && !create && !found && !is_first)
    rc = AYIL_ENOTFOUND;
  if (rc == 0 && is_first && strcmp(role, "chair") != 0)
    rc = AYIL_EPERM; /* the first chair stays a chair */
  if (rc == 0) {
    const char *p;
    for (p = others; *p != '\0'; p = strchr(p, '\n') + 1)
      n++;
    if (create && n + 1 > AYIL_READER_MEMBERS_MAX)
      rc = AYIL_ETOOBIG;
  }
  if (rc == 0)
    rc = wrap(wrapped, sk, pass, passlen);
  if (rc == 0 && is_first) {
    rc = rewrite_reader(path, text, wrapped, NULL, others);
  } else if (rc == 0) {
    size_t o = strlen(others);
    name64(name, n64);
    b64(w64, sizeof w64, wrapped, WRAP_BYTES);
    if (o + strlen(n64) + strlen(w64) + 32 > sizeof others)
      rc = AYIL_ETOOBIG;
    else {
      snprintf(others + o, sizeof others - o, "member=%s:%s:%s\n", n64, role,
               w64);
      rc = rewrite_reader(path, text, NULL, NULL, others);
    }
  }
  sodium_memzero(wrapped, sizeof wrapped);
  sodium_memzero(others, sizeof others);
  free_text(text);
  return rc;
}

int ayil_reader_member_remove(const char *path, const char *name) {
  char *text = NULL, first[AYIL_READER_NAME_MAX + 1];
  char others[MEMBERS_TEXT];
  int rc = load_text(path, &text, 1), found = 0;
  if (rc != 0)
    return rc;
  rc = first_name(text, first);
  if (rc == 0)
    rc = member_lines(text, others, name, &found);
  if (rc == 0 && strcmp(name, first) == 0) {
    /* the next chair takes the first slot */
    char nname[AYIL_READER_NAME_MAX + 1], nrole[16], rest[MEMBERS_TEXT];
    uint8_t w[WRAP_BYTES];
    const char *p;
    int promoted = 0;
    size_t o = 0;
    rest[0] = '\0';
    for (p = others; *p != '\0'; p = strchr(p, '\n') + 1) {
      size_t l = strcspn(p, "\n");
      if (!promoted && member_parse(p, nname, nrole, w) == 0 &&
          strcmp(nrole, "chair") == 0) {
        promoted = 1;
        continue;
      }
      memcpy(rest + o, p, l + 1);
      o += l + 1;
      rest[o] = '\0';
    }
    rc = promoted ? rewrite_reader(path, text, w, nname, rest) : AYIL_EPERM;
    sodium_memzero(w, sizeof w);
    sodium_memzero(rest, sizeof rest);
  } else if (rc == 0 && !found) {
    rc = AYIL_ENOTFOUND;
  } else if (rc == 0) {
    rc = rewrite_reader(path, text, NULL, NULL, others);
  }
  sodium_memzero(others, sizeof others);
  free_text(text);
  return rc;
}

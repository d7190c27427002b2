/* Tests for node/keys.c: file modes, passphrase wrapping, the recovery kit
 * and damaged key files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <sodium.h>

#include "ayil/error.h"
#include "keys.h"

static char dir[64], idp[128], rdp[128], kitp[128];

static int setup(void **state) {
  (void)state;
  if (sodium_init() < 0)
    return -1;
  snprintf(dir, sizeof dir, "/tmp/ayil-keys-XXXXXX");
  if (mkdtemp(dir) == NULL)
    return -1;
  snprintf(idp, sizeof idp, "%s/identity.key", dir);
  snprintf(rdp, sizeof rdp, "%s/reader.key", dir);
  snprintf(kitp, sizeof kitp, "%s/kit.txt", dir);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  unlink(idp);
  unlink(rdp);
  unlink(kitp);
  return rmdir(dir);
}

static size_t slurp(const char *p, char *buf, size_t cap) {
  FILE *f = fopen(p, "rb");
  size_t n;
  assert_non_null(f);
  n = fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

static void spit(const char *p, const char *buf, size_t n) {
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(buf, 1, n, f), n);
  fclose(f);
}

static void test_identity(void **state) {
  ayil_identity_t a, b;
  struct stat st;
  char text[1024];
  size_t n;
  (void)state;
  assert_int_equal(ayil_identity_create(idp, &a), 0);
  assert_int_equal(stat(idp, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(ayil_identity_create(idp, &b), AYIL_EEXISTS);
  assert_int_equal(ayil_identity_load(idp, &b), 0);
  assert_memory_equal(a.pk, b.pk, sizeof a.pk);
  assert_memory_equal(a.sk, b.sk, sizeof a.sk);
  assert_int_equal(chmod(idp, 0640), 0);
  assert_int_equal(ayil_identity_load(idp, &b), AYIL_EPERM);
  assert_int_equal(chmod(idp, 0604), 0);
  assert_int_equal(ayil_identity_load(idp, &b), AYIL_EPERM);
  assert_int_equal(chmod(idp, 0600), 0);

  /* Truncated at every length: an error, never a crash or a key. */
  n = slurp(idp, text, sizeof text);
  for (size_t cut = 0; cut < n - 1; cut++) {
    int rc;
    spit(idp, text, cut);
    rc = ayil_identity_load(idp, &b);
    assert_true(rc == AYIL_EFORMAT || rc == AYIL_ECORRUPT);
  }
  /* A flipped character in the secret: the stored public half disagrees. */
  {
    char *s = strstr(text, "secret=");
    assert_non_null(s);
    s[10] = s[10] == 'A' ? 'B' : 'A';
    spit(idp, text, n);
    assert_int_equal(ayil_identity_load(idp, &b), AYIL_ECORRUPT);
  }
  assert_int_equal(unlink(idp), 0);
  assert_int_equal(ayil_identity_load(idp, &b), AYIL_ENOTFOUND);
  ayil_identity_wipe(&a);
  ayil_identity_wipe(&b);
}

static void test_reader_wrap_and_kit(void **state) {
  uint8_t pk[32], sk[32], sk2[32], check[32];
  char before[4096], after[4096];
  size_t nb, na;
  struct stat st;
  (void)state;
  assert_int_equal(
      ayil_reader_create(rdp, kitp, "correct horse", 13, "Test Committee"), 0);
  assert_int_equal(stat(rdp, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(stat(kitp, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(
      ayil_reader_create(rdp, kitp, "correct horse", 13, "Test Committee"),
      AYIL_EEXISTS);
  assert_int_equal(ayil_reader_pk(rdp, pk), 0);
  assert_int_equal(ayil_reader_unlock(rdp, "correct horse", 13, sk), 0);
  crypto_scalarmult_base(check, sk);
  assert_memory_equal(check, pk, 32);

  /* A wrong passphrase: a clear error and the file untouched. */
  nb = slurp(rdp, before, sizeof before);
  assert_int_equal(ayil_reader_unlock(rdp, "wrong horse", 11, sk2),
                   AYIL_EPASSPHRASE);
  na = slurp(rdp, after, sizeof after);
  assert_int_equal(na, nb);
  assert_memory_equal(before, after, nb);

  /* A secret that is not this file's is refused, the file unchanged: it
   * would otherwise replace the only passphrase-wrapped copy. */
  {
    uint8_t other[32];
    randombytes_buf(other, sizeof other);
    assert_int_equal(ayil_reader_rewrap(rdp, other, "battery staple", 14),
                     AYIL_EINVAL);
    na = slurp(rdp, after, sizeof after);
    assert_int_equal(na, nb);
    assert_memory_equal(before, after, nb);
  }

  /* Passphrase change: the new one opens it, the old one no longer. */
  assert_int_equal(ayil_reader_rewrap(rdp, sk, "battery staple", 14), 0);
  assert_int_equal(ayil_reader_unlock(rdp, "correct horse", 13, sk2),
                   AYIL_EPASSPHRASE);
  assert_int_equal(ayil_reader_unlock(rdp, "battery staple", 14, sk2), 0);
  assert_memory_equal(sk, sk2, 32);

  /* Passphrase lost: the kit opens the same secret. */
  memset(sk2, 0, sizeof sk2);
  assert_int_equal(ayil_reader_unlock_kit(rdp, kitp, sk2), 0);
  assert_memory_equal(sk, sk2, 32);

  /* A damaged reader.key: errors, never a crash or a wrong key. */
  nb = slurp(rdp, before, sizeof before);
  /* Every 7th cut up to the end of `wrapped`; past it each cut costs a full
   * Argon2id (64 MiB), which under qemu and ASan is seconds: every 41st. */
  for (size_t cut = 0, hard = (size_t)(strstr(before, "recovery_pk=") - before);
       cut + 1 < nb; cut += cut < hard ? 7 : 41) {
    int rc;
    spit(rdp, before, cut);
    rc = ayil_reader_unlock(rdp, "battery staple", 14, sk2);
    /* Cut after the lines unlock needs: the right key or nothing. */
    if (rc == 0)
      assert_memory_equal(sk2, sk, 32);
    else
      assert_true(rc == AYIL_EFORMAT || rc == AYIL_EPASSPHRASE ||
                  rc == AYIL_ECORRUPT);
  }
  {
    char *w = strstr(before, "wrapped=");
    assert_non_null(w);
    w[30] = w[30] == 'A' ? 'B' : 'A';
    spit(rdp, before, nb);
    assert_int_equal(ayil_reader_unlock(rdp, "battery staple", 14, sk2),
                     AYIL_EPASSPHRASE);
  }
  /* Argon2id parameters above the caps: refused before any hashing. */
  spit(rdp, before, nb);
  {
    char *m = strstr(before, "kdf_mem=");
    char text[4096];
    int len;
    assert_non_null(m);
    len = snprintf(text, sizeof text, "%.*skdf_mem=1073741824%s",
                   (int)(m - before), before, strchr(m, '\n'));
    spit(rdp, text, (size_t)len);
    assert_int_equal(ayil_reader_unlock(rdp, "battery staple", 14, sk2),
                     AYIL_ETOOBIG);
    m = strstr(before, "kdf_ops=");
    assert_non_null(m);
    len = snprintf(text, sizeof text, "%.*skdf_ops=11%s", (int)(m - before),
                   before, strchr(m, '\n'));
    spit(rdp, text, (size_t)len);
    assert_int_equal(ayil_reader_unlock(rdp, "battery staple", 14, sk2),
                     AYIL_ETOOBIG);
    spit(rdp, before, nb);
  }
  /* The minimum counts characters: 7 Cyrillic letters (14 bytes) are too
   * few, 8 are enough; the file is unchanged by a refusal. */
  assert_int_equal(ayil_passphrase_chars("\xd0\xb0\xd0\xb1", 4), 2);
  assert_int_equal(ayil_reader_rewrap(rdp, sk,
                                      "\xd0\xb0\xd0\xb1\xd0\xb2\xd0\xb3"
                                      "\xd0\xb4\xd0\xb5\xd0\xb6",
                                      14),
                   AYIL_EINVAL);
  na = slurp(rdp, after, sizeof after);
  assert_int_equal(na, nb);
  assert_memory_equal(before, after, nb);
  assert_int_equal(ayil_reader_rewrap(rdp, sk,
                                      "\xd0\xb0\xd0\xb1\xd0\xb2\xd0\xb3"
                                      "\xd0\xb4\xd0\xb5\xd0\xb6\xd0\xb7",
                                      16),
                   0);
  assert_int_equal(ayil_reader_unlock(rdp,
                                      "\xd0\xb0\xd0\xb1\xd0\xb2\xd0\xb3"
                                      "\xd0\xb4\xd0\xb5\xd0\xb6\xd0\xb7",
                                      16, sk2),
                   0);
  assert_memory_equal(sk, sk2, 32);
  sodium_memzero(sk, sizeof sk);
  sodium_memzero(sk2, sizeof sk2);
}

/* The process that holds keys is not dumpable and jansson still works with
 * the wiping allocator. Last of the tests: the allocator is process-wide,
 * and nothing before it in this binary allocates with jansson. (Not in a
 * forked child: fork hangs under qemu-user with ASan.) */
static void test_harden(void **state) {
  struct rlimit rl;
  json_t *j;
  char *text;
  json_malloc_t m = NULL;
  json_free_t f = NULL;
  (void)state;
  assert_int_equal(ayil_keys_harden_process(), 0);
  assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
  assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
  assert_int_equal(rl.rlim_cur, 0);
  j = json_pack("{s:s}", "survivor_name", "Invented Testova");
  assert_non_null(j);
  text = json_dumps(j, 0);
  assert_non_null(text);
  assert_string_equal(text, "{\"survivor_name\": \"Invented Testova\"}");
  json_decref(j);
  json_get_alloc_funcs(&m, &f);
  assert_non_null(f);
  f(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
      cmocka_unit_test_setup_teardown(test_reader_wrap_and_kit, setup,
                                      teardown),
      cmocka_unit_test(test_harden), /* last: see there */
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

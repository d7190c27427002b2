/*
 * Keys on disk.
 *
 * identity.key  the node's Ed25519 key pair, mode 0600, text.
 * reader.key    the committee's reader key pair (X25519, for sealed bodies):
 *               the public key in clear, the secret only wrapped -- under
 *               the passphrase (Argon2id + secretbox) and sealed to the
 *               recovery key, whose secret lives only in the recovery kit.
 * network.key   the deployment's network key (hub: created; committee: from
 *               the invite), mode 0600.
 */
#ifndef AYIL_KEYS_H
#define AYIL_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "ayil/entry.h"

#define AYIL_READER_PK_BYTES 32
#define AYIL_READER_SK_BYTES 32
#define AYIL_NETKEY_BYTES 32

/* Argon2id parameters for wrapping the reader key. Stored in reader.key so
 * they can be raised later without breaking old files. 3 passes over 64 MiB:
 * within a few seconds on a Raspberry Pi 3 with 1 GB, and leaves RAM for the
 * daemon. */
#define AYIL_KDF_OPS 3ULL
#define AYIL_KDF_MEM (64ULL * 1024 * 1024)
/* What a reader.key may ask for at most: a tampered file must not make a
 * 1 GB Pi hash over 1 GiB (it would swap or be killed). Above the caps the
 * file is refused (AYIL_ETOOBIG), below libsodium's minimums too
 * (AYIL_EFORMAT). */
#define AYIL_KDF_OPS_MAX 10ULL
#define AYIL_KDF_MEM_MAX (256ULL * 1024 * 1024)

/* A new passphrase has at least this many characters (UTF-8 code points,
 * not bytes: a Kyrgyz or Russian letter is two bytes). */
#define AYIL_PASSPHRASE_MIN_CHARS 8
/* The characters (code points) of a UTF-8 passphrase. */
size_t ayil_passphrase_chars(const char *pass, size_t len);

typedef struct {
  uint8_t pk[AYIL_ID_BYTES];
  uint8_t sk[AYIL_SK_BYTES];
} ayil_identity_t;

/*
 * Hardens the process that holds keys or decrypted bodies; the first thing
 * main() does in ayil, ayild and the web app, before anything else
 * allocates. It makes the process non-dumpable (no core file, no ptrace by
 * other users; PR_SET_DUMPABLE) with a core size limit of 0, and makes
 * jansson wipe every block it frees (decrypted bodies live in jansson
 * strings). Secrets are also locked out of swap and core dumps where they
 * live (ayil_identity_load: sodium_mlock, which sets MADV_DONTDUMP).
 * Returns 0, or AYIL_EINVAL if the process could not be made non-dumpable.
 */
int ayil_keys_harden_process(void);

/* Creates identity.key at `path` (refuses to overwrite). */
int ayil_identity_create(const char *path, ayil_identity_t *out);
/* Loads it; AYIL_EPERM if the file is readable by group or others. */
int ayil_identity_load(const char *path, ayil_identity_t *out);
/* Wipes the secret. */
void ayil_identity_wipe(ayil_identity_t *id);

int ayil_netkey_create(const char *path, uint8_t key[AYIL_NETKEY_BYTES]);
int ayil_netkey_write(const char *path, const uint8_t key[AYIL_NETKEY_BYTES]);
int ayil_netkey_load(const char *path, uint8_t key[AYIL_NETKEY_BYTES]);

/*
 * Creates a reader key pair and a recovery key pair; writes reader.key at
 * `path` (secret wrapped by `pass` and sealed to the recovery key) and the
 * recovery kit at `kit_path` (refuses to overwrite either). The recovery
 * secret is never written anywhere else. `label` (the committee name) is
 * printed on the kit.
 */
int ayil_reader_create(const char *path, const char *kit_path, const char *pass,
                       size_t passlen, const char *label);
/* Restores reader.key from a recovery kit for a replacement node. */
int ayil_reader_restore(const char *path, const char *kit_path,
                        const char *pass, size_t passlen);
/* Reads the reader public key. */
int ayil_reader_pk(const char *path, uint8_t pk[AYIL_READER_PK_BYTES]);
/* Unwraps the reader secret with the passphrase; AYIL_EPASSPHRASE if wrong. */
AYIL_WUR int ayil_reader_unlock(const char *path, const char *pass,
                                size_t passlen,
                                uint8_t sk[AYIL_READER_SK_BYTES]);
/* Opens the reader secret with the recovery kit. */
AYIL_WUR int ayil_reader_unlock_kit(const char *path, const char *kit_path,
                                    uint8_t sk[AYIL_READER_SK_BYTES]);
/*
 * Retired reader keys. After `ayil rekey` new bodies are sealed to a new
 * reader key; each earlier key stays in reader.key (and in the new kit) as
 * a `retired=PK:SEALED` line, its secret sealed (crypto_box_seal) to the
 * current reader key, so the current secret (by passphrase or kit) opens
 * them all. At most AYIL_READER_RETIRED_MAX.
 */
#define AYIL_READER_RETIRED_MAX 16
typedef struct {
  size_t n; /* [0] is the current key, then the retired, newest first */
  uint8_t pk[AYIL_READER_RETIRED_MAX + 1][AYIL_READER_PK_BYTES];
  uint8_t sk[AYIL_READER_RETIRED_MAX + 1][AYIL_READER_SK_BYTES];
} ayil_reader_keys_t;
/* Every reader key pair, from the current secret. AYIL_ECORRUPT if a
 * retired line does not open with it. Wipe with ayil_reader_keys_wipe(). */
AYIL_WUR int ayil_reader_keys(const char *path,
                              const uint8_t sk[AYIL_READER_SK_BYTES],
                              ayil_reader_keys_t *out);
void ayil_reader_keys_wipe(ayil_reader_keys_t *k);
/* Makes a new reader key pair and a new recovery key pair: writes the new
 * kit at kit_path (which must not exist), then replaces reader.key with the
 * new key wrapped under `pass` and every earlier key retired. The members'
 * slots held the old secret: only the new `wrapped=` slot stays, named
 * `first` (the rekeying chair; NULL keeps the first chair's name). */
int ayil_reader_rekey(const char *path, const char *kit_path,
                      const uint8_t old_sk[AYIL_READER_SK_BYTES],
                      const char *pass, size_t passlen, const char *label,
                      const char *first);
/*
 * Members' key slots. Each member of the committee has the reader secret
 * wrapped under their own password (Argon2id + secretbox, as `wrapped=`).
 * The `wrapped=` slot is the first chair's (named by `first_member=`,
 * default AYIL_READER_FIRST_MEMBER: the node passphrase of a node from
 * before members); every other member is one `member=NAME:ROLE:WRAPPED`
 * line (name and slot in base64). ayil_reader_unlock() opens the first
 * chair's slot. At most AYIL_READER_MEMBERS_MAX other members.
 */
#define AYIL_READER_MEMBERS_MAX 32
#define AYIL_READER_FIRST_MEMBER "chair"
#define AYIL_READER_NAME_MAX 64
typedef struct {
  char name[AYIL_READER_NAME_MAX + 1];
  char role[16]; /* "chair" or "member" */
} ayil_reader_member_t;
/* The members, the first chair first; *n says how many (at most cap). */
int ayil_reader_members(const char *path, ayil_reader_member_t *out, size_t cap,
                        size_t *n);
/* Opens member `name`'s slot. An unknown name costs one Argon2id too and
 * gives AYIL_EPASSPHRASE, as a wrong password does. */
AYIL_WUR int ayil_reader_unlock_member(const char *path, const char *name,
                                       const char *pass, size_t passlen,
                                       uint8_t sk[AYIL_READER_SK_BYTES],
                                       char role[16]);
/* Writes member `name`'s slot (with `create`, a new member: AYIL_EEXISTS
 * if the name is taken; without, the member must exist: AYIL_ENOTFOUND).
 * `sk` must be this file's secret (else AYIL_EINVAL). Atomic replace. */
int ayil_reader_member_set(const char *path,
                           const uint8_t sk[AYIL_READER_SK_BYTES],
                           const char *name, const char *role, const char *pass,
                           size_t passlen, int create);
/* Removes member `name`'s slot. The first chair's slot passes to the next
 * chair; the last chair cannot go (AYIL_EPERM). AYIL_ENOTFOUND if none. */
int ayil_reader_member_remove(const char *path, const char *name);

/* Re-wraps the reader secret under a new passphrase (atomic replace).
 * AYIL_EINVAL, with the file unchanged, if `sk` is not this file's secret. */
int ayil_reader_rewrap(const char *path, const uint8_t sk[AYIL_READER_SK_BYTES],
                       const char *newpass, size_t newlen);

#endif

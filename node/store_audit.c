/* The store's audit of opened bodies: a local table (migration 7). */
#include <sqlite3.h>
#include <string.h>

#include "ayil/entry.h"
#include "ayil/error.h"
#include "store.h"
#include "store_int.h"

int ayil_store_audit_begin(ayil_store_t *st) {
  return ayil__store_rc(
      sqlite3_exec(ayil__store_db(st), "BEGIN IMMEDIATE", NULL, NULL, NULL));
}

int ayil_store_audit_commit(ayil_store_t *st) {
  return ayil__store_rc(
      sqlite3_exec(ayil__store_db(st), "COMMIT", NULL, NULL, NULL));
}

void ayil_store_audit_rollback(ayil_store_t *st) {
  (void)sqlite3_exec(ayil__store_db(st), "ROLLBACK", NULL, NULL, NULL);
}

int ayil_store_audit_add(ayil_store_t *st, int64_t at, const char *member,
                         const char *addr, const char *action,
                         const uint8_t *record) {
  sqlite3 *db = ayil__store_db(st);
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v2(db,
                              "INSERT INTO audit(at, member, addr, action, "
                              "record) VALUES(?, ?, ?, ?, ?)",
                              -1, &s, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(s, 1, at);
    sqlite3_bind_text(s, 2, member, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, addr, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, action, -1, SQLITE_STATIC);
    if (record != NULL)
      sqlite3_bind_blob(s, 5, record, AYIL_RECID_BYTES, SQLITE_STATIC);
    else
      sqlite3_bind_null(s, 5);
    rc = sqlite3_step(s);
  }
  sqlite3_finalize(s);
  return ayil__store_rc(rc);
}

int ayil_store_audit_list(ayil_store_t *st, size_t limit,
                          ayil_store_audit_cb cb, void *ctx) {
  sqlite3_stmt *s = NULL;
  int rc = sqlite3_prepare_v2(ayil__store_db(st),
                              "SELECT at, member, addr, action, record FROM "
                              "audit ORDER BY n DESC LIMIT ?",
                              -1, &s, NULL);
  int crc = 0;
  if (rc == SQLITE_OK) {
    sqlite3_bind_int64(s, 1, (sqlite3_int64)limit);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW && crc == 0) {
      const void *rec = sqlite3_column_blob(s, 4);
      int rl = sqlite3_column_bytes(s, 4);
      crc = cb(ctx, sqlite3_column_int64(s, 0),
               (const char *)sqlite3_column_text(s, 1),
               (const char *)sqlite3_column_text(s, 2),
               (const char *)sqlite3_column_text(s, 3),
               rl == AYIL_RECID_BYTES ? rec : NULL);
    }
  }
  sqlite3_finalize(s);
  if (crc != 0)
    return crc;
  return ayil__store_rc(rc);
}

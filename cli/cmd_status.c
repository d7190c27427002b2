/* ayil status, and the hub side of ayil report. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <sqlite3.h>

#include "ayil/error.h"
#include "cli.h"
#include "record.h"
#include "report.h"

static long long count(cli_t *c, const char *sql) {
  sqlite3_stmt *s = NULL;
  long long n = -1;
  if (sqlite3_prepare_v2(ayil__store_db(c->store), sql, -1, &s, NULL) ==
          SQLITE_OK &&
      sqlite3_step(s) == SQLITE_ROW)
    n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return n;
}

int cli_status(cli_t *c, const char *idtext) {
  long long records = count(c, "SELECT count(*) FROM records WHERE deleted=0");
  long long entries = count(c, "SELECT count(*) FROM entries");
  if (c->json) {
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I}", "role",
                          c->conf.role, "id", idtext, "name", c->conf.name,
                          "oblast", c->conf.oblast, "records",
                          (json_int_t)records, "entries", (json_int_t)entries);
    int rc = cli_print_json(o);
    json_decref(o);
    return rc;
  }
  printf("role     %s\nid       %s\nname     %s\n", c->conf.role, idtext,
         c->conf.name);
  if (c->conf.oblast[0] != '\0')
    printf("oblast   %s\n", c->conf.oblast);
  printf("records  %lld\nentries  %lld\n", records, entries);
  return EXIT_OK;
}

int cli_report_hub(cli_t *c, struct ayil_report_s *r) {
  (void)c;
  (void)r;
  return 0;
}

/* The service API on a hub: its committees with their devices, invites,
 * traffic and alerts, and the records a hub's report counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <sqlite3.h>

#include "ayil/entry.h"
#include "ayil/error.h"
#include "ayil/enrol.h"
#include "node_int.h"
#include "registry.h"
#include "report.h"

#define DAY_S 86400

static int need_hub(ayil_node_t *n, const char *cmd) {
  if (ayil_node_is_committee(n))
    return ayil__node_fail(n, AYIL_ESTATE, 1,
                           "%s: runs on a hub node; this is a %s", cmd,
                           n->conf.role);
  return 0;
}

int ayil_node_committee_exists(ayil_node_t *n, const char *name,
                               const char *oblast, int *exists) {
  sqlite3_stmt *s = NULL;
  int rc = need_hub(n, "admit");
  if (rc != 0)
    return rc;
  if (sqlite3_prepare_v2(ayil__store_db(n->store),
                         "SELECT 1 FROM committees WHERE name=?1 AND "
                         "oblast=?2",
                         -1, &s, NULL) != SQLITE_OK) {
    sqlite3_finalize(s);
    return ayil__node_fail(n, AYIL_ESTORE, 0,
                           "admit: store: cannot read the registry");
  }
  sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, oblast, -1, SQLITE_STATIC);
  *exists = sqlite3_step(s) == SQLITE_ROW;
  sqlite3_finalize(s);
  return 0;
}

static int64_t col_i64(sqlite3_stmt *s, int i, int *has) {
  *has = sqlite3_column_type(s, i) != SQLITE_NULL;
  return sqlite3_column_int64(s, i);
}

/* Sums peer_bytes of one device into the committee's 7-day series. */
static void device_bytes(sqlite3 *db, const uint8_t *id,
                         ayil_node_committee_t *c) {
  sqlite3_stmt *s = NULL;
  int i;
  if (sqlite3_prepare_v2(db,
                         "SELECT day, sent, recv FROM peer_bytes WHERE peer=?1"
                         " AND day>=?2",
                         -1, &s, NULL) != SQLITE_OK) {
    sqlite3_finalize(s);
    return;
  }
  sqlite3_bind_blob(s, 1, id, AYIL_ID_BYTES, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, c->days[0], -1, SQLITE_STATIC);
  while (sqlite3_step(s) == SQLITE_ROW) {
    const char *d = (const char *)sqlite3_column_text(s, 0);
    for (i = 0; i < 7 && d != NULL; i++)
      if (strcmp(d, c->days[i]) == 0) {
        c->sent[i] += sqlite3_column_int64(s, 1);
        c->recv[i] += sqlite3_column_int64(s, 2);
      }
  }
  sqlite3_finalize(s);
}

static ayil_node_alert_t *new_alert(ayil_node_committee_t *c, size_t *cap,
                                    const char *kind) {
  ayil_node_alert_t *a;
  if (ayil__node_grow((void **)&c->alerts, cap, c->nalerts, sizeof *a) != 0)
    return NULL;
  a = &c->alerts[c->nalerts++];
  memset(a, 0, sizeof *a);
  snprintf(a->kind, sizeof a->kind, "%s", kind);
  return a;
}

static ayil_node_device_t *new_device(ayil_node_committee_t *c, size_t *cap) {
  ayil_node_device_t *d;
  if (ayil__node_grow((void **)&c->nodes, cap, c->nnodes, sizeof *d) != 0)
    return NULL;
  d = &c->nodes[c->nnodes++];
  memset(d, 0, sizeof *d);
  return d;
}

/* Fills one committee: devices, invites, traffic, state and alerts. */
static int committee(ayil_node_t *n, int64_t now, long silent_days,
                     ayil_node_committee_t *c) {
  sqlite3 *db = ayil__store_db(n->store);
  sqlite3_stmt *s = NULL;
  size_t ncap = 0, acap = 0;
  int64_t last_seq_admitted = -1;
  int n_active = 0, n_invited = 0, n_revoked = 0, n_expired = 0, n_dev = 0;
  int rc = 0;

  /* Devices, with their peer bookkeeping and the entries the hub holds. */
  if (sqlite3_prepare_v2(
          db,
          "SELECT d.id, d.state, d.admitted, d.revoked, d.revoked_after,"
          " p.last_contact, p.last_ack, p.skew_ms, d.rolled_back,"
          " (SELECT count(*) FROM entries e WHERE e.origin=d.id),"
          " (SELECT max(seq) FROM entries e WHERE e.origin=d.id),"
          " NULL,"
          " (SELECT max(at) FROM peer_acks a WHERE a.origin=d.id),"
          " (SELECT max(at) FROM arrivals a WHERE a.origin=d.id)"
          " FROM devices d LEFT JOIN peers p ON p.id=d.id"
          " WHERE d.committee=?1 ORDER BY d.admitted",
          -1, &s, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(s, 1, c->id);
    while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
      const char *st = (const char *)sqlite3_column_text(s, 1);
      ayil_node_device_t *d;
      size_t before;
      int has_ls, has_sk, has_rev_alert = 0;
      int64_t ls;
      if (sqlite3_column_bytes(s, 0) != AYIL_ID_BYTES || st == NULL)
        continue;
      d = new_device(c, &ncap);
      if (d == NULL) {
        rc = AYIL_ENOMEM;
        break;
      }
      memcpy(d->id, sqlite3_column_blob(s, 0), AYIL_ID_BYTES);
      snprintf(d->state, sizeof d->state, "%s", st);
      d->admitted = col_i64(s, 2, &d->has_admitted);
      d->revoked = col_i64(s, 3, &d->has_revoked);
      d->revoked_after = col_i64(s, 4, &d->has_revoked_after);
      d->last_contact = col_i64(s, 5, &d->has_last_contact);
      d->last_ack = col_i64(s, 6, &d->has_last_ack);
      d->skew_ms = col_i64(s, 7, &has_sk);
      d->rolled_back = sqlite3_column_int64(s, 8);
      d->entries = sqlite3_column_int64(s, 9);
      ls = col_i64(s, 10, &has_ls);
      d->last_seq = has_ls ? ls : 0;
      {
        uint64_t ts = 0;
        if (ayil_store_head_ts(n->store, d->id, &ts) == 0 &&
            (!c->has_written || (int64_t)(ts / 1000) > c->written)) {
          c->written = (int64_t)(ts / 1000);
          c->has_written = 1;
        }
      }
      if (sqlite3_column_type(s, 12) == SQLITE_INTEGER &&
          (!c->has_reached || sqlite3_column_int64(s, 12) > c->reached)) {
        c->reached = sqlite3_column_int64(s, 12);
        c->has_reached = 1;
      }
      if (sqlite3_column_type(s, 13) == SQLITE_INTEGER &&
          (!c->has_region || sqlite3_column_int64(s, 13) > c->region)) {
        c->region = sqlite3_column_int64(s, 13);
        c->has_region = 1;
      }
      /* As shown: a contact at time 0 is no contact, and a skew is known
       * only with a contact. */
      d->has_skew = has_sk && d->has_last_contact;
      d->has_last_contact = d->has_last_contact && d->last_contact > 0;
      d->has_last_ack = d->has_last_ack && d->last_ack > 0;
      n_dev++;
      if (strcmp(st, AYIL_DEV_ACTIVE) == 0)
        n_active++;
      else if (strcmp(st, AYIL_DEV_REVOKED) == 0)
        n_revoked++;
      c->entries_held += d->entries;
      /* The last entry the hub holds of the committee's latest device that
       * wrote anything. */
      if (has_ls && (d->has_admitted ? d->admitted : 0) >= last_seq_admitted) {
        c->last_seq = ls;
        last_seq_admitted = d->has_admitted ? d->admitted : 0;
      }
      if (d->has_last_contact &&
          (!c->has_last_contact || d->last_contact >= c->last_contact)) {
        c->last_contact = d->last_contact;
        c->has_last_contact = 1;
        if (has_sk) {
          c->skew_ms = d->skew_ms;
          c->has_skew = 1;
        }
      }
      if (d->has_last_ack && (!c->has_last_ack || d->last_ack > c->last_ack)) {
        c->last_ack = d->last_ack;
        c->has_last_ack = 1;
      }
      device_bytes(db, d->id, c);
      before = c->nalerts;
      rc = ayil__node_device_alerts(n, d->id, &c->alerts, &c->nalerts, &acap);
      if (rc != 0 && rc != AYIL_ENOMEM)
        rc = 0; /* an unreadable alerts table shows no alerts */
      for (; before < c->nalerts; before++) {
        /* A replaced predecessor is no revoked node (alerts stored before
         * the daemon said "replaced" are shown as they are meant). */
        if (strcmp(c->alerts[before].kind, "revoked") == 0 &&
            strcmp(st, AYIL_DEV_REPLACED) == 0)
          snprintf(c->alerts[before].kind, sizeof c->alerts[before].kind, "%s",
                   "replaced");
        if (strcmp(c->alerts[before].kind, "revoked") == 0)
          has_rev_alert = 1;
      }
      if (rc == 0 && strcmp(st, AYIL_DEV_REVOKED) == 0 && !has_rev_alert) {
        ayil_node_alert_t *a = new_alert(c, &acap, "revoked");
        if (a == NULL) {
          rc = AYIL_ENOMEM;
        } else {
          a->has_peer = 1;
          memcpy(a->peer, d->id, AYIL_ID_BYTES);
        }
      }
    }
  }
  sqlite3_finalize(s);
  s = NULL;
  /* Invites not yet used: a node id appears only once one is redeemed. */
  if (rc == 0 && sqlite3_prepare_v2(db,
                                    "SELECT expires, created, successor_of "
                                    "FROM invites WHERE committee=?1 AND "
                                    "used_by IS NULL ORDER BY created",
                                    -1, &s, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(s, 1, c->id);
    while (sqlite3_step(s) == SQLITE_ROW) {
      ayil_node_device_t *d = new_device(c, &ncap);
      if (d == NULL) {
        rc = AYIL_ENOMEM;
        break;
      }
      d->invite = 1;
      snprintf(d->state, sizeof d->state, "%s", AYIL_DEV_INVITED);
      d->expires = sqlite3_column_int64(s, 0);
      d->created = sqlite3_column_int64(s, 1);
      d->expired = d->expires < now;
      d->has_successor_of = sqlite3_column_bytes(s, 2) == AYIL_ID_BYTES;
      if (d->has_successor_of)
        memcpy(d->successor_of, sqlite3_column_blob(s, 2), AYIL_ID_BYTES);
      if (d->expired)
        n_expired++;
      else
        n_invited++;
    }
  }
  sqlite3_finalize(s);
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "nodes: %s", ayil_strerror(rc));
  if (n_active > 0)
    snprintf(c->state, sizeof c->state, "%s", AYIL_DEV_ACTIVE);
  else if (n_invited > 0 || (n_dev == 0 && n_expired > 0))
    snprintf(c->state, sizeof c->state, "%s", AYIL_DEV_INVITED);
  else if (n_revoked > 0)
    snprintf(c->state, sizeof c->state, "%s", AYIL_DEV_REVOKED);
  else if (n_dev > 0)
    snprintf(c->state, sizeof c->state, "%s", AYIL_DEV_REPLACED);
  else
    snprintf(c->state, sizeof c->state, "%s", AYIL_DEV_INVITED);
  c->days_silent = c->has_last_contact ? (now - c->last_contact) / DAY_S : 0;
  if (c->has_written && (now - c->written) / DAY_S > silent_days &&
      strcmp(c->kind, AYIL_KIND_HUB) != 0) {
    /* Its newest data is old, whichever tier looks (a committee under a
     * regional hub never connects here: only this says it is behind). */
    ayil_node_alert_t *a = new_alert(c, &acap, "stale");
    if (a == NULL)
      rc = AYIL_ENOMEM;
    else
      a->days = (now - c->written) / DAY_S;
  }
  if (c->hub[0] != '\0') {
    /* Under a regional hub: contact is that hub's to watch. */
  } else if (!c->has_last_contact) {
    if (new_alert(c, &acap, "never_connected") == NULL)
      rc = AYIL_ENOMEM;
  } else if (c->days_silent > silent_days) {
    ayil_node_alert_t *a = new_alert(c, &acap, "silent");
    if (a == NULL)
      rc = AYIL_ENOMEM;
    else
      a->days = c->days_silent;
  }
  if (rc == 0 && n_active == 0 && n_invited == 0 && n_expired > 0 &&
      new_alert(c, &acap, "invite_expired") == NULL)
    rc = AYIL_ENOMEM;
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "nodes: %s", ayil_strerror(rc));
  return 0;
}

int ayil_node_name_ok(const char *name) {
  return name != NULL && ayil_reg_name_ok(name, strlen(name));
}

int ayil_node_committees(ayil_node_t *n, int64_t now, long silent_days,
                         ayil_node_committees_t *out) {
  sqlite3_stmt *s = NULL;
  size_t cap = 0;
  int rc = need_hub(n, "nodes"), i;
  memset(out, 0, sizeof *out);
  if (rc != 0)
    return rc;
  if (sqlite3_prepare_v2(ayil__store_db(n->store),
                         /* Hubs of the tier below, each followed by the
                          * committees it forwards; own committees first. */
                         "SELECT c.id, c.name, c.oblast, c.kind, p.name FROM "
                         "committees c LEFT JOIN committees p ON p.id = "
                         "c.parent ORDER BY CASE WHEN c.kind = 'hub' THEN "
                         "c.id ELSE ifnull(c.parent, 0) END, c.kind <> 'hub', "
                         "c.oblast, c.name, c.id",
                         -1, &s, NULL) != SQLITE_OK) {
    sqlite3_finalize(s);
    return ayil__node_fail(n, AYIL_ESTORE, 0,
                           "nodes: store: cannot read the registry");
  }
  while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(s, 1);
    const char *oblast = (const char *)sqlite3_column_text(s, 2);
    ayil_node_committee_t *c;
    if (ayil__node_grow((void **)&out->c, &cap, out->n, sizeof *c) != 0) {
      rc = ayil__node_fail(n, AYIL_ENOMEM, 0, "nodes: %s",
                           ayil_strerror(AYIL_ENOMEM));
      break;
    }
    c = &out->c[out->n++];
    memset(c, 0, sizeof *c);
    c->id = sqlite3_column_int64(s, 0);
    snprintf(c->name, sizeof c->name, "%s", name != NULL ? name : "");
    snprintf(c->oblast, sizeof c->oblast, "%s", oblast != NULL ? oblast : "");
    snprintf(c->kind, sizeof c->kind, "%s",
             sqlite3_column_text(s, 3) != NULL
                 ? (const char *)sqlite3_column_text(s, 3)
                 : AYIL_KIND_COMMITTEE);
    snprintf(c->hub, sizeof c->hub, "%s",
             sqlite3_column_text(s, 4) != NULL
                 ? (const char *)sqlite3_column_text(s, 4)
                 : "");
    for (i = 0; i < 7; i++)
      ayil__node_day(now - (int64_t)(6 - i) * DAY_S, c->days[i]);
    rc = committee(n, now, silent_days, c);
  }
  sqlite3_finalize(s);
  if (rc != 0)
    ayil_node_committees_free(out);
  return rc;
}

void ayil_node_committees_free(ayil_node_committees_t *cs) {
  size_t i;
  if (cs == NULL)
    return;
  for (i = 0; i < cs->n; i++) {
    free(cs->c[i].nodes);
    free(cs->c[i].alerts);
  }
  free(cs->c);
  memset(cs, 0, sizeof *cs);
}

/* ---- reports ---- */

/*
 * The hub's report reads every live record (about a million on a big hub),
 * so it takes the short way: the devices and their committees are loaded
 * once into a sorted array, the records view is scanned in storage order
 * (the counts do not depend on the order), and each header is counted
 * straight from its msgpack bytes by ayil_report_add_packed(), with no
 * per-record allocation or JSON object.
 */
typedef struct {
  uint8_t id[AYIL_ID_BYTES];
  char *name;
  char *oblast;
} hub_dev_t;

static int dev_cmp(const void *a, const void *b) {
  return memcmp(((const hub_dev_t *)a)->id, ((const hub_dev_t *)b)->id,
                AYIL_ID_BYTES);
}

static void devs_free(hub_dev_t *d, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    free(d[i].name);
    free(d[i].oblast);
  }
  free(d);
}

/* Every device the hub registered, with its committee, sorted by id. */
static int devs_load(sqlite3 *db, hub_dev_t **out, size_t *nout) {
  sqlite3_stmt *s = NULL;
  hub_dev_t *d = NULL;
  size_t n = 0, cap = 0;
  int rc = 0, step;
  if (sqlite3_prepare_v2(db,
                         "SELECT d.id, c.name, c.oblast FROM devices d JOIN "
                         "committees c ON c.id = d.committee",
                         -1, &s, NULL) != SQLITE_OK) {
    sqlite3_finalize(s);
    return AYIL_ESTORE;
  }
  while ((step = sqlite3_step(s)) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(s, 1);
    const char *oblast = (const char *)sqlite3_column_text(s, 2);
    if (sqlite3_column_bytes(s, 0) != AYIL_ID_BYTES || name == NULL ||
        oblast == NULL)
      continue;
    if (ayil__node_grow((void **)&d, &cap, n, sizeof *d) != 0) {
      rc = AYIL_ENOMEM;
      break;
    }
    memcpy(d[n].id, sqlite3_column_blob(s, 0), AYIL_ID_BYTES);
    d[n].name = strdup(name);
    d[n].oblast = strdup(oblast);
    n++;
    if (d[n - 1].name == NULL || d[n - 1].oblast == NULL) {
      rc = AYIL_ENOMEM;
      break;
    }
  }
  if (rc == 0 && step != SQLITE_DONE)
    rc = AYIL_ESTORE;
  sqlite3_finalize(s);
  if (rc != 0) {
    devs_free(d, n);
    return rc;
  }
  if (n > 1)
    qsort(d, n, sizeof *d, dev_cmp);
  *out = d;
  *nout = n;
  return 0;
}

/*
 * Tells the report when the hub last heard from each committee (report.h,
 * "Not synced for the period"): the latest sync contact of its devices and
 * the time of the newest entry of their logs, however it came (sync or
 * bundle). One row per device; a committee's latest wins.
 */
static int note_contacts(ayil_store_t *st, ayil_report_t *r) {
  sqlite3_stmt *s = NULL;
  int rc = 0;

  if (sqlite3_prepare_v2(ayil__store_db(st),
                         "SELECT c.name, c.oblast, d.id, p.last_contact FROM "
                         "committees c LEFT JOIN devices d ON d.committee = "
                         "c.id LEFT JOIN peers p ON p.id = d.id WHERE c.kind "
                         "= 'committee'",
                         -1, &s, NULL) != SQLITE_OK) {
    sqlite3_finalize(s);
    return AYIL_ESTORE;
  }
  while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(s, 0);
    const char *oblast = (const char *)sqlite3_column_text(s, 1);
    int64_t word = sqlite3_column_int64(s, 3);
    uint64_t ts = 0;
    if (name == NULL || oblast == NULL)
      continue;
    /* The newest entry of the device's log at this hub (its writer's
     * clock), however it came (sync or bundle). */
    if (sqlite3_column_bytes(s, 2) == AYIL_ID_BYTES &&
        ayil_store_head_ts(st, sqlite3_column_blob(s, 2), &ts) == 0 &&
        (int64_t)(ts / 1000) > word)
      word = (int64_t)(ts / 1000);
    rc = ayil_report_note_contact(r, name, oblast, word);
    if (rc == AYIL_EINVAL)
      rc = 0; /* a name the report refuses: its records fail alike */
  }
  sqlite3_finalize(s);
  return rc;
}

static int report_hub(ayil_node_t *n, ayil_report_t *r, uint64_t *unknown,
                      uint64_t *bad) {
  sqlite3 *db = ayil__store_db(n->store);
  sqlite3_stmt *s = NULL;
  hub_dev_t *devs = NULL, key;
  const hub_dev_t *last = NULL;
  size_t ndevs = 0;
  uint8_t self[AYIL_ID_BYTES], hbuf[AYIL_HEADER_MAX];
  int has_self = 0, step;
  char *selftext = NULL;
  int rc;
  if (ayil_store_meta_get(n->store, "node_id", &selftext) == 0)
    has_self = ayil_id_from_text(selftext, self) == 0;
  free(selftext);
  /* Every registered committee appears, with zeros if it sent nothing, and
   * with what revoke --after took back of its devices. */
  if (sqlite3_prepare_v2(db,
                         "SELECT c.name, c.oblast, (SELECT ifnull(sum("
                         "d.rolled_back), 0) FROM devices d WHERE d.committee "
                         "= c.id) FROM committees c WHERE c.kind = "
                         "'committee'",
                         -1, &s, NULL) != SQLITE_OK) {
    sqlite3_finalize(s);
    return AYIL_ESTORE;
  }
  rc = 0;
  while (rc == 0 && sqlite3_step(s) == SQLITE_ROW) {
    const char *name = (const char *)sqlite3_column_text(s, 0);
    const char *oblast = (const char *)sqlite3_column_text(s, 1);
    if (name == NULL || oblast == NULL)
      continue;
    rc = ayil_report_note_rollback(r, name, oblast, sqlite3_column_int64(s, 2));
    if (rc == AYIL_EINVAL)
      rc = 0; /* a name the report refuses: its records fail alike */
  }
  sqlite3_finalize(s);
  s = NULL;
  if (rc == 0)
    rc = note_contacts(n->store, r);
  if (rc != 0)
    return rc;
  rc = devs_load(db, &devs, &ndevs);
  if (rc != 0)
    return rc;
  if (sqlite3_prepare_v2(db,
                         "SELECT origin, entry FROM records WHERE deleted=0",
                         -1, &s, NULL) != SQLITE_OK) {
    sqlite3_finalize(s);
    devs_free(devs, ndevs);
    return AYIL_ESTORE;
  }
  while ((step = sqlite3_step(s)) == SQLITE_ROW) {
    const uint8_t *origin = sqlite3_column_blob(s, 0);
    const uint8_t *hdr = NULL;
    size_t len = 0;
    if (sqlite3_column_bytes(s, 0) != AYIL_ID_BYTES) {
      (*bad)++;
      continue;
    }
    if (has_self && memcmp(origin, self, AYIL_ID_BYTES) == 0)
      continue; /* the hub's own log holds no records */
    if (last == NULL || memcmp(last->id, origin, AYIL_ID_BYTES) != 0) {
      memcpy(key.id, origin, AYIL_ID_BYTES);
      last =
          ndevs > 0 ? bsearch(&key, devs, ndevs, sizeof *devs, dev_cmp) : NULL;
    }
    if (last == NULL) {
      (*unknown)++;
      continue;
    }
    if (sqlite3_column_type(s, 1) == SQLITE_BLOB &&
        ayil_entry_stored_header(sqlite3_column_blob(s, 1),
                                 (size_t)sqlite3_column_bytes(s, 1), hbuf, &hdr,
                                 &len) != 0)
      hdr = NULL; /* refused below, as a header that does not read */
    rc = ayil_report_add_packed(r, last->name, last->oblast, hdr, len);
    if (rc == AYIL_EINVAL) {
      /* A header an indicator cannot read counts nowhere; the rest go on. */
      (*bad)++;
      rc = 0;
    }
    if (rc != 0)
      break;
  }
  if (rc == 0 && step != SQLITE_DONE)
    rc = AYIL_ESTORE;
  sqlite3_finalize(s);
  devs_free(devs, ndevs);
  return rc;
}

/*
 * A committee's own records, read straight from their header bytes as on
 * a hub, in one pass in storage order: the counts do not depend on the
 * order, so the records view is not sorted (ayil_store_records() sorts by
 * creation and copies each header). A row ayil_store_records() would call
 * corrupt (an id or origin of the wrong length) fails the report alike,
 * and so does a header the report refuses: a committee's own report
 * counts all of its records or none.
 */
static int report_own(ayil_node_t *n, ayil_report_t *r) {
  sqlite3 *db = ayil__store_db(n->store);
  sqlite3_stmt *s = NULL;
  uint8_t hbuf[AYIL_HEADER_MAX];
  int rc = 0, step;
  if (sqlite3_prepare_v2(db,
                         "SELECT id, origin, entry FROM records WHERE "
                         "deleted=0",
                         -1, &s, NULL) != SQLITE_OK) {
    sqlite3_finalize(s);
    return AYIL_ESTORE;
  }
  while ((step = sqlite3_step(s)) == SQLITE_ROW) {
    const uint8_t *hdr = NULL;
    size_t len = 0;
    if (sqlite3_column_bytes(s, 0) != AYIL_RECID_BYTES ||
        sqlite3_column_bytes(s, 1) != AYIL_ID_BYTES) {
      rc = AYIL_ECORRUPT;
      break;
    }
    /* A header that is absent or does not read is refused, as
     * ayil_store_records() would give it: absent. */
    if (sqlite3_column_type(s, 2) != SQLITE_BLOB ||
        ayil_entry_stored_header(sqlite3_column_blob(s, 2),
                                 (size_t)sqlite3_column_bytes(s, 2), hbuf, &hdr,
                                 &len) != 0)
      hdr = NULL;
    rc = ayil_report_add_packed(r, n->conf.name, n->conf.oblast, hdr, len);
    if (rc != 0)
      break;
  }
  if (rc == 0 && step != SQLITE_DONE)
    rc = AYIL_ESTORE;
  sqlite3_finalize(s);
  return rc;
}

int ayil_node_report(ayil_node_t *n, struct ayil_report_s *r, uint64_t *unknown,
                     uint64_t *malformed) {
  int rc;
  *unknown = 0;
  *malformed = 0;
  if (ayil_node_is_committee(n)) {
    /* Its own report: this committee only, headed with its name. */
    rc = ayil_report_set_own(r, n->conf.name, n->conf.oblast);
    if (rc == 0)
      rc = report_own(n, r);
  } else {
    rc = report_hub(n, r, unknown, malformed);
  }
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "report: %s", ayil_strerror(rc));
  return 0;
}

/* ---- admitting and revoking ---- */

int ayil_node_admit(ayil_node_t *n, const ayil_node_admit_t *a,
                    ayil_invite_t *inv, char *code, size_t cap) {
  char path[AYIL_PATH_MAX], succ[AYIL_ID_TEXT];
  int rc = need_hub(n, "admit");
  memset(inv, 0, sizeof *inv);
  if (rc != 0)
    return rc;
  if (!n->ident_loaded)
    return ayil__node_fail(n, AYIL_ESTATE, 0,
                           "admit: the node was opened without its identity");
  if (a->successor_of != NULL) {
    ayil_device_t d;
    ayil_id_to_text(a->successor_of, succ);
    rc = ayil_reg_device(n->store, a->successor_of, &d);
    if (rc == AYIL_ENOTFOUND)
      return ayil__node_fail(n, rc, 1,
                             "admit: --successor-of: node %s is not "
                             "registered at this hub",
                             succ);
    if (rc != 0)
      return ayil__node_fail(n, rc, 0, "admit: store: %s", ayil_strerror(rc));
    if (a->rehome && strcmp(d.state, AYIL_DEV_ACTIVE) != 0)
      return ayil__node_fail(n, AYIL_ESTATE, 1,
                             "admit: --rehome: node %s is %s here; only an "
                             "active node is re-homed",
                             succ, d.state);
    if (strcmp(d.state, AYIL_DEV_REPLACED) == 0)
      return ayil__node_fail(n, AYIL_ESTATE, 1,
                             "admit: --successor-of: node %s was already "
                             "replaced; name the committee's current node",
                             succ);
  } else {
    int ex = 0;
    rc = ayil_node_committee_exists(n, a->name, a->oblast, &ex);
    if (rc != 0)
      return rc;
    if (ex)
      return ayil__node_fail(n, AYIL_EEXISTS, 1,
                             "admit: a committee named \"%s\" in %s is already "
                             "registered (for a replacement node use "
                             "--successor-of ID)",
                             a->name, a->oblast);
  }
  if (ayil_home_path(n->home, "network.key", path, sizeof path) != 0 ||
      ayil_netkey_load(path, inv->netkey) != 0)
    return ayil__node_fail(n, AYIL_EIO, 0,
                           "admit: cannot read the network key %s", path);
  rc = a->rehome ? ayil_reg_admit_rehome(n->store, a->successor_of,
                                         a->expires_days, inv)
                 : ayil_reg_admit(n->store, a->name, a->oblast,
                                  a->hub ? AYIL_KIND_HUB : AYIL_KIND_COMMITTEE,
                                  a->successor_of, a->expires_days, inv);
  if (rc != 0) {
    sodium_memzero(inv, sizeof *inv);
    return ayil__node_fail(n, rc, 0, "admit: store: %s; nothing was registered",
                           ayil_strerror(rc));
  }
  snprintf(inv->addr, sizeof inv->addr, "%s", a->advertise);
  memcpy(inv->hub_id, n->ident.pk, AYIL_ID_BYTES);
  rc = ayil_invite_encode(inv, code, cap);
  if (rc != 0) {
    /* The registry holds an invite nobody can use; it expires unused. */
    sodium_memzero(inv, sizeof *inv);
    return ayil__node_fail(n, rc, 0, "admit: cannot encode the invite: %s",
                           ayil_strerror(rc));
  }
  return 0;
}

int ayil_node_confirm(ayil_node_t *n, const char *code,
                      uint8_t id[AYIL_ID_BYTES], int *admitted) {
  uint64_t v = 0;
  int rc = need_hub(n, "admit --confirm");
  *admitted = 0;
  if (rc != 0)
    return rc;
  if (ayil_enrol_code_parse(code, &v) != 0)
    return ayil__node_fail(n, AYIL_EINVAL, 1,
                           "admit --confirm: the enrolment code is 12 digits "
                           "(dashes or spaces between them are fine)");
  if (!n->ident_loaded)
    return ayil__node_fail(n, AYIL_ESTATE, 0,
                           "admit --confirm: the node was opened without its "
                           "identity");
  rc = ayil_reg_confirm(n->store, n->ident.sk, v, id, admitted);
  if (rc == AYIL_EEXISTS)
    return ayil__node_fail(n, rc, 1,
                           "admit --confirm: two nodes that presented an "
                           "invite show this code; neither was admitted "
                           "(revoke the invite and issue a new one)");
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "admit --confirm: store: %s",
                           ayil_strerror(rc));
  return 0;
}

int ayil_node_revoke(ayil_node_t *n, const uint8_t id[AYIL_ID_BYTES],
                     const uint64_t *after, ayil_node_revoked_t *out) {
  char idtext[AYIL_ID_TEXT];
  int rc = need_hub(n, "revoke");
  memset(out, 0, sizeof *out);
  if (rc != 0)
    return rc;
  ayil_id_to_text(id, idtext);
  rc = ayil_reg_device(n->store, id, &out->device);
  if (rc == AYIL_ENOTFOUND)
    return ayil__node_fail(
        n, rc, 1, "revoke: node %s is not registered at this hub", idtext);
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "revoke: store: %s", ayil_strerror(rc));
  if (strcmp(out->device.state, AYIL_DEV_ACTIVE) != 0 &&
      (after == NULL || *after >= out->device.revoked_after))
    return 0; /* already revoked or replaced: nothing changes */
  if (!n->ident_loaded)
    return ayil__node_fail(n, AYIL_ESTATE, 0,
                           "revoke: the hub's identity key is not loaded; "
                           "nothing was changed");
  /* With its notice signed into the hub's log, which every committee
   * pulls, in one transaction. */
  rc = ayil_reg_revoke(n->store, n->ident.sk, id, after, &out->rolled_back);
  if (rc == 0)
    rc = ayil_reg_device(n->store, id, &out->device);
  if (rc != 0)
    return ayil__node_fail(n, rc, 0, "revoke: store: %s; nothing was changed",
                           ayil_strerror(rc));
  out->changed = 1;
  return 0;
}

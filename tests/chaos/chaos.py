#!/usr/bin/env python3
"""Helpers for tests/chaos/run.sh. Standard library only; every name invented.

  new KIND SEED [CASE]      a new record of KIND as JSON (CASE: a linked
                            record's appeal or family id)
  change KIND SEED          the fields an update replaces, as JSON
  ack NAME HOME ORIGINHEX   one line "NAME ORIGINHEX SEQ SHA256": the last
                            entry of ORIGIN's log that HOME recorded as
                            acknowledged by its hub, and its bytes' hash
  logs HOME                 one line per origin: "ORIGINHEX COUNT SHA256"
                            over every (seq, bytes) in order
  ackcheck ACKS HUB         every acknowledged entry in ACKS is at the hub,
                            byte for byte
  prefix HUB DEAD ORIGINHEX the hub's copy of ORIGIN is a prefix of the dead
                            node's, and reaches what the dead node saw acked
  records LIST.json OUT     a `record list --with-body --json` as the
                            records file of report_check.py expect
  model BASE OPS LIST.json  the records folded from BASE (a records file, or
                            -) and the operations in OPS equal the list
  integrity DB              PRAGMA integrity_check of a store
"""
import hashlib
import json
import random
import sqlite3
import sys

MONTHS = ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07"]
VIOLENCE = ["physical", "psychological", "sexual", "economic", "neglect"]
AGES = ["0-11", "12-17", "18-25", "26-40", "41-60", "61+", "unknown"]
SERVICES = ["crisis_centre", "shelter", "police", "aksakal_court", "legal_aid",
            "psychologist", "health", "social_protection", "other"]
ACTIONS = ["preventive_talk", "home_visit", "document_restoration",
           "correctional_session", "referral_followup", "other"]
NAMES = ["Aidana", "Bermet", "Cholpon", "Dinara", "Elnura", "Gulnara"]
FAILED = 0


def fail(msg):
    global FAILED
    FAILED += 1
    print("FAIL - " + msg)


def ok(msg):
    print("ok - " + msg)


def new(kind, seed, case=None):
    r = random.Random(int(seed))
    date = "%s-%02d" % (r.choice(MONTHS), r.randint(1, 28))
    person = "%s Chaosova-%d" % (r.choice(NAMES), r.randint(1, 9999))
    story = "Invented chaos narrative. " * r.randint(1, 60)
    if kind == "appeal":
        f = {"date": date, "source": r.choice(["survivor", "police", "neighbour", "school"]),
             "violence": r.sample(VIOLENCE, r.choice([1, 1, 2, 3])),
             "survivor_sex": r.choice(["female", "female", "male"]), "survivor_age": r.choice(AGES),
             "status": r.choice(["open", "in_progress", "closed"]), "survivor_name": person,
             "narrative": story}
    elif kind == "family":
        f = {"date": date, "reason": r.sample(["alcohol", "unemployment", "migration", "conflict"], 2),
             "risk": r.choice(["high", "medium", "low"]), "children": r.randint(0, 5),
             "status": "active", "family_name": person + " family"}
        if r.random() < 0.3:
            f["status"] = "removed"
            f["removed_date"] = max(date, "%s-%02d" % (r.choice(MONTHS), r.randint(1, 28)))
    elif kind == "referral":
        f = {"case": case, "date": date, "service": r.choice(SERVICES),
             "status": r.choice(["referred", "provided", "declined"])}
    elif kind == "protection_order":
        f = {"case": case, "date": date, "days": r.choice([15, 30]), "extended": r.random() < 0.3}
    elif kind == "followup":
        f = {"case": case, "date": date, "action": r.choice(ACTIONS), "result": "done"}
    elif kind == "session":
        f = {"date": date, "cases_reviewed": r.randint(0, 6), "violence_related": r.random() < 0.6}
    elif kind == "prevention":
        f = {"date": date, "audience": r.choice(["parents", "pupils_8_11", "community"]),
             "participants_female": r.randint(0, 40), "participants_male": r.randint(0, 30)}
    elif kind == "training":
        f = {"date": date, "days": r.choice([1, 1, 2]), "participants_female": r.randint(1, 25),
             "participants_male": r.randint(0, 15)}
    elif kind == "aid":
        k = r.choice(["money", "money", "housing", "in_kind"])
        f = {"case": case, "date": date, "kind": k, "recipient_name": person}
        if k == "money":
            f["amount_som"] = r.choice([1500, 3000, 6500, 10000])
    elif kind == "closure":
        f = {"case": case, "date": date, "reason": r.choice(["resolved", "moved", "other"])}
    else:
        sys.exit("unknown kind " + kind)
    print(json.dumps(f))


def change(kind, seed):
    r = random.Random(int(seed))
    date = "%s-%02d" % (r.choice(MONTHS), r.randint(1, 28))
    c = {"appeal": {"status": r.choice(["open", "in_progress", "closed"]), "survivor_age": r.choice(AGES)},
         "family": {"risk": r.choice(["high", "medium", "low"]), "children": r.randint(0, 5)},
         "referral": {"service": r.choice(SERVICES), "date": date},
         "protection_order": {"days": r.choice([10, 15, 30])},
         "followup": {"action": r.choice(ACTIONS)},
         "session": {"cases_reviewed": r.randint(0, 9), "date": date},
         "prevention": {"participants_female": r.randint(0, 50)},
         "training": {"days": r.choice([1, 2, 3]), "participants_male": r.randint(0, 20)},
         "aid": {"date": date},
         "closure": {"reason": r.choice(["resolved", "moved", "other"])}}[kind]
    print(json.dumps(c))


def db(path):
    c = sqlite3.connect(path, timeout=30)
    c.execute("PRAGMA query_only=1")
    return c


def ack(name, home, origin):
    c = db(home + "/ayil.db")
    row = c.execute("SELECT max(seq) FROM peer_acks WHERE origin=?", (bytes.fromhex(origin),)).fetchone()
    seq = row[0] or 0
    if seq == 0:
        return
    e = c.execute("SELECT packed FROM entries WHERE origin=? AND seq=?", (bytes.fromhex(origin), seq)).fetchone()
    h = hashlib.sha256(e[0]).hexdigest() if e else "missing-at-origin"
    print("%s %s %d %s" % (name, origin, seq, h))


def log_sums(path):
    c = db(path)
    out = {}
    cur = c.execute("SELECT origin, seq, packed FROM entries ORDER BY origin, seq")
    for origin, seq, b in cur:
        o = origin.hex().upper()
        h, n = out.get(o, (hashlib.sha256(), 0))
        h.update(b"%d:" % seq)
        h.update(hashlib.sha256(b).digest())
        out[o] = (h, n + 1)
    return {o: (n, h.hexdigest()) for o, (h, n) in out.items()}


def logs(home):
    for o, (n, h) in sorted(log_sums(home + "/ayil.db").items()):
        print(o, n, h)


def subset(hub, home, origin):
    """Exit 0 when every entry `home` holds of `origin`'s log is at the hub
    at the same position with the same entry hash: a committee holds its
    hub's notice log sparse (PROTOCOL.md, "Sparse logs"), so only the
    notices that name its devices."""
    o = bytes.fromhex(origin)
    q = "SELECT seq, hash FROM entries WHERE origin=? ORDER BY seq"
    h = dict(db(hub + "/ayil.db").execute(q, (o,)).fetchall())
    mine = db(home + "/ayil.db").execute(q, (o,)).fetchall()
    if not mine or any(h.get(seq) != hsh for seq, hsh in mine):
        sys.exit(1)


def ackcheck(acks, hub):
    c = db(hub + "/ayil.db")
    seen, bad = 0, 0
    best = {}
    for line in open(acks):
        name, origin, seq, h = line.split()
        seen += 1
        e = c.execute("SELECT packed FROM entries WHERE origin=? AND seq=?", (bytes.fromhex(origin), int(seq))).fetchone()
        got = hashlib.sha256(e[0]).hexdigest() if e else "absent"
        if got != h:
            bad += 1
            if bad <= 5:
                print("# %s: entry %s acknowledged, at the hub %s" % (name, seq, got[:16]))
        best[name] = max(best.get(name, 0), int(seq))
    if bad:
        fail("%d of %d acknowledged entries sampled are missing or different at the hub" % (bad, seen))
    else:
        ok("all %d acknowledged entries sampled are at the hub, byte for byte (highest: %s)"
           % (seen, ", ".join("%s %d" % kv for kv in sorted(best.items()))))


def prefix(hub, dead, origin):
    o = bytes.fromhex(origin)
    h = [b for (b,) in db(hub + "/ayil.db").execute("SELECT packed FROM entries WHERE origin=? ORDER BY seq", (o,))]
    dc = db(dead + "/ayil.db")
    d = [b for (b,) in dc.execute("SELECT packed FROM entries WHERE origin=? ORDER BY seq", (o,))]
    acked = dc.execute("SELECT ifnull(max(seq),0) FROM peer_acks WHERE origin=?", (o,)).fetchone()[0]
    if d[:len(h)] != h:
        fail("the hub's copy of the dead node's log (%d entries) is not a prefix of its own (%d)" % (len(h), len(d)))
    elif len(h) < acked:
        fail("the dead node saw %d entries acknowledged, the hub holds %d" % (acked, len(h)))
    else:
        ok("the dead node's log: the hub holds %d of its %d entries, byte for byte, and it saw %d acknowledged"
           % (len(h), len(d), acked))


def fields_of(r):
    f = dict(r.get("header") or {})
    f.update(r.get("body") or {})
    for k in ("kind", "month", "removed_month"):
        f.pop(k, None)
    if "aid_kind" in f:  # the aid's own field "kind", as the header names it
        f["kind"] = f.pop("aid_kind")
    return f


def records(listfile, out):
    recs = [{"id": r["id"], "kind": r["kind"], "deleted": False, "fields": fields_of(r)}
            for r in json.load(open(listfile))]
    json.dump({"records": recs}, open(out, "w"))


def norm(f):
    return {k: (sorted(v) if isinstance(v, list) else v) for k, v in f.items()}


def model(base, ops, listfile):
    m = {}
    if base != "-":
        for r in json.load(open(base))["records"]:
            m[r["id"]] = (r["kind"], r["fields"])
    n = 0
    for line in open(ops):
        op, rid, rest = (line.rstrip("\n").split(" ", 2) + ["", ""])[:3]
        n += 1
        if op == "add":
            kind, js = rest.split(" ", 1)
            m[rid] = (kind, json.loads(js))
        elif op == "update":
            m[rid][1].update(json.loads(rest))
        elif op == "delete":
            del m[rid]
    got = {r["id"]: (r["kind"], fields_of(r)) for r in json.load(open(listfile))}
    miss = sorted(set(m) - set(got))
    extra = sorted(set(got) - set(m))
    diff = [i for i in m if i in got and (m[i][0] != got[i][0] or norm(m[i][1]) != norm(got[i][1]))]
    if miss or extra or diff:
        fail("the committee's records differ from the operations it acknowledged: %d missing, %d extra, %d "
             "different (first: %s)" % (len(miss), len(extra), len(diff), (miss + extra + diff)[:1]))
    else:
        ok("the committee's %d records equal the fold of its %d operations" % (len(got), n))


def integrity(path):
    print(db(path).execute("PRAGMA integrity_check").fetchone()[0])


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    {"new": new, "change": change, "ack": ack, "logs": logs, "subset": subset, "ackcheck": ackcheck, "prefix": prefix,
     "records": records, "model": model, "integrity": integrity}[cmd](*a)
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()

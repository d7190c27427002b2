#!/usr/bin/env python3
"""Helpers for tests/e2e/report.sh. Standard library only.

  gen AYIL HOME SEED OUT.json     enter a varied, known set of records at a
                                  committee (adds, updates, deletes) and
                                  write their final states to OUT.json
  expect FROM TO COMMITTEES.json  print the expected report rows (JSON),
                                  computed from the inputs with the
                                  indicator definitions of RECORDS.md
  compare EXPECTED.json REPORT.json
  csv REPORT.json REPORT.csv      same rows and numbers (and suppression)
  md REPORT.json REPORT.md        the md tables show the same numbers
  labels LANG FILE...             no raw label key, no placeholder, the
                                  language's own words
  audit TRUTH.json SUPPRESSED.json N
                                  suppression: small cells hidden, no hidden
                                  cell recoverable from the sums (exact
                                  linear algebra over fractions, and integer
                                  bounds propagated to a fixpoint)
  audit-set N COMMITTEES.json NAT_TRUTH.json NAT.json
            [OBLAST TRUTH.json SUPPRESSED.json]...
                                  a national report and, per oblast, the
                                  report of its committees alone (--oblast,
                                  what its regional hub prints) read
                                  together: the oblast's and its committees'
                                  cells shown alike, and the audit above over
                                  all of them and their sums at once
  browser CHROMIUM PAGE.html OUTDIR WANT...
                                  open the page in headless chromium over
                                  the DevTools pipe: no console error, no
                                  request, the wanted texts in the DOM; save
                                  a screenshot and an A4 PDF

Each check prints "ok - ..." or "FAIL - ..." lines and exits 1 on failure.
All names are invented.
"""
import base64
import csv
import io
import json
import os
import random
import re
import subprocess
import sys
import time
from fractions import Fraction

# ---- RECORDS.md, written out here (not taken from the C code) ----
VIOLENCE = ["physical", "psychological", "sexual", "economic", "neglect"]
SEXES = ["female", "male"]
AGES = ["0-11", "12-17", "18-25", "26-40", "41-60", "61+", "unknown"]
SERVICES = ["crisis_centre", "shelter", "police", "aksakal_court", "legal_aid",
            "psychologist", "health", "social_protection", "other"]
ACTIONS = ["preventive_talk", "home_visit", "document_restoration",
           "correctional_session", "referral_followup", "other"]
OBLASTS = ["batken", "chui", "issyk_kul", "jalal_abad", "naryn", "osh", "talas",
           "bishkek", "osh_city"]
NORTH = {"chui", "talas", "issyk_kul", "naryn", "bishkek"}
REGION = {o: ("north" if o in NORTH else "south") for o in OBLASTS}

FAILED = 0


def ok(msg):
    print("ok - " + msg)


def fail(msg):
    global FAILED
    FAILED += 1
    print("FAIL - " + msg)


def check(cond, msg):
    (ok if cond else fail)(msg)
    return cond


# ---- gen: records at one committee ----

def gen(ayil, home, seed, out):
    rnd = random.Random(int(seed))
    months = ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05",
              "2026-06", "2026-07"]

    def date():
        return "%s-%02d" % (rnd.choice(months), rnd.randint(1, 28))

    cases = []  # ids of the appeals and families added so far

    def case():
        # a linked record names an appeal or family of this committee
        return rnd.choice(cases)

    def person():
        return rnd.choice(["Aidana", "Bermet", "Cholpon", "Dinara"]) + " Testova-%d" % rnd.randint(1, 999)

    def appeal():
        return {"date": date(), "source": rnd.choice(["survivor", "police", "neighbour", "school"]),
                "violence": rnd.sample(VIOLENCE, rnd.choice([1, 1, 2, 3])),
                "gbv_type": rnd.choice(["physical_assault", "psychological_abuse", "non_gbv"]),
                "survivor_sex": rnd.choice(["female", "female", "female", "male"]),
                "survivor_age": rnd.choice(AGES), "status": rnd.choice(["open", "in_progress", "closed"]),
                "survivor_name": person(), "narrative": "Invented story"}

    def family():
        f = {"date": date(), "reason": rnd.sample(["alcohol", "unemployment", "migration", "conflict"], 2),
             "risk": rnd.choice(["high", "medium", "low"]), "children": rnd.randint(0, 5),
             "status": "active", "family_name": person() + " family"}
        if rnd.random() < 0.4:
            f["status"] = "removed"
            f["removed_date"] = max(f["date"], date())
        return f

    makers = {
        "appeal": appeal,
        "referral": lambda: {"case": case(), "date": date(), "service": rnd.choice(SERVICES),
                             "status": rnd.choice(["referred", "provided", "declined"])},
        "protection_order": lambda: {"case": case(), "date": date(), "days": rnd.choice([15, 30]),
                                     "extended": rnd.random() < 0.3, "order_number": "PO-%d" % rnd.randint(1, 999)},
        "correction": lambda: {"case": case(), "date": date(), "outcome": rnd.choice(["ongoing", "completed"])},
        "family": family,
        "followup": lambda: {"case": case(), "date": date(), "action": rnd.choice(ACTIONS),
                             "result": rnd.choice(["done", "not_reached"])},
        "session": lambda: {"date": date(), "cases_reviewed": rnd.randint(0, 6), "members_present": rnd.randint(3, 9),
                            "violence_related": rnd.random() < 0.6},
        "prevention": lambda: {"date": date(), "audience": rnd.choice(["parents", "pupils_8_11", "community"]),
                               "participants_female": rnd.randint(0, 40), "participants_male": rnd.randint(0, 30)},
        "training": lambda: {"date": date(), "days": rnd.choice([1, 1, 2]), "participants_female": rnd.randint(1, 25),
                             "participants_male": rnd.randint(0, 15), "groups": ["police", "school"]},
        "aid": None,
        "closure": lambda: {"case": case(), "date": date(), "reason": rnd.choice(["resolved", "moved", "other"])},
    }

    def aid():
        k = rnd.choice(["money", "money", "housing", "in_kind"])
        a = {"case": case(), "date": date(), "kind": k, "recipient_name": person()}
        if k == "money":
            a["amount_som"] = rnd.choice([1500, 3000, 6500, 10000])
        return a
    makers["aid"] = aid
    counts = {"appeal": 22, "referral": 12, "protection_order": 4, "correction": 3, "family": 8,
              "followup": 10, "session": 5, "prevention": 5, "training": 6, "aid": 7, "closure": 4}
    plan = [k for k, n in counts.items() for _ in range(n)]
    rnd.shuffle(plan)
    # the cases first: a linked record must name one that exists
    plan = [k for k in plan if k in ("appeal", "family")] + \
        [k for k in plan if k not in ("appeal", "family")]
    recs = []

    def run(args, inp=None):
        p = subprocess.run([ayil, "--home", home] + args, input=inp, capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            sys.exit("ayil %s failed: %s" % (args[:2], p.stderr.strip()[:200]))
        return p.stdout.strip()

    for kind in plan:
        rec = makers[kind]()
        rid = run(["record", "add", kind], json.dumps(rec))
        recs.append({"id": rid, "kind": kind, "fields": rec, "deleted": False})
        if kind in ("appeal", "family"):
            cases.append(rid)
    # Updates: a changed code, amount, length, status or date.
    upd = []
    by = lambda k: [r for r in recs if r["kind"] == k]
    upd += [(r, {"survivor_age": rnd.choice(AGES), "violence": rnd.sample(VIOLENCE, 2)}) for r in by("appeal")[:3]]
    upd += [(r, {"survivor_sex": "male" if r["fields"]["survivor_sex"] == "female" else "female"}) for r in by("appeal")[3:5]]
    upd += [(r, {"service": rnd.choice(SERVICES)}) for r in by("referral")[:3]]
    upd += [(r, {"amount_som": 7777}) for r in by("aid") if r["fields"]["kind"] == "money"][:2]
    upd += [(r, {"days": 2, "participants_female": 9}) for r in by("training")[:2]]
    upd += [(r, {"status": "removed", "removed_date": "2026-04-15"}) for r in by("family")
            if r["fields"]["status"] == "active" and r["fields"]["date"] <= "2026-04-15"][:2]
    upd += [(r, {"date": "2026-03-03"}) for r in by("session")[:1]]       # moved into the period
    upd += [(r, {"date": "2025-11-30"}) for r in by("closure")[:1]]       # moved out of it
    upd += [(r, {"action": "home_visit"}) for r in by("followup")[:1]]
    for r, change in upd:
        run(["record", "update", r["id"]], json.dumps(change))
        r["fields"].update(change)
    # Deletes: they must no longer count.
    dels = [by("appeal")[5], by("appeal")[6], by("referral")[4], by("training")[3], by("aid")[0], by("family")[3]]
    for r in dels:
        run(["record", "delete", r["id"]])
        r["deleted"] = True
    json.dump({"records": recs, "updates": len(upd), "deletes": len(dels)}, open(out, "w"), indent=1)
    print("%d records added, %d updated, %d deleted" % (len(recs), len(upd), len(dels)))


# ---- expect: the report, computed from the inputs ----

def expect(frm, to, committees_file):
    """committees_file: [{"name", "oblast", "records": FILE}]"""
    coms = json.load(open(committees_file))
    fixed = (["appeals"] + ["appeals.violence." + c for c in VIOLENCE] + ["appeals.sex." + c for c in SEXES]
             + ["appeals.age." + c for c in AGES] + ["sessions", "sessions.violence_related",
                                                      "families.registered", "families.active", "referrals"]
             + ["referrals." + c for c in SERVICES] + ["referrals.crisis_or_shelter", "protection_orders",
                                                       "aid.money.people", "aid.money.som", "aid.housing",
                                                       "aid.in_kind", "prevention.events",
                                                       "prevention.participants", "training.events",
                                                       "training.participants"])
    tail = ["followups." + c for c in ACTIONS] + ["closures"]
    per = {}
    days_seen = set()
    for c in coms:
        v = {}
        inc = lambda k, n=1: v.__setitem__(k, v.get(k, 0) + n)
        for r in json.load(open(c["records"]))["records"]:
            if r["deleted"]:
                continue
            f, k = r["fields"], r["kind"]
            m = f["date"][:7]
            inp = frm <= m <= to
            if k == "family":
                if inp:
                    inc("families.registered")
                removed = f["status"] == "removed" and f["removed_date"][:7] <= to
                if m <= to and not removed:
                    inc("families.active")
                continue
            if not inp:
                continue
            if k == "appeal":
                inc("appeals")
                for code in set(f["violence"]):
                    inc("appeals.violence." + code)
                inc("appeals.sex." + f["survivor_sex"])
                inc("appeals.age." + f["survivor_age"])
            elif k == "session":
                inc("sessions")
                if f["violence_related"]:
                    inc("sessions.violence_related")
            elif k == "referral":
                inc("referrals")
                inc("referrals." + f["service"])
                if f["service"] in ("crisis_centre", "shelter"):
                    inc("referrals.crisis_or_shelter")
            elif k == "protection_order":
                inc("protection_orders")
            elif k == "aid":
                if f["kind"] == "money":
                    inc("aid.money.people")
                    inc("aid.money.som", f["amount_som"])
                else:
                    inc("aid." + f["kind"])
            elif k == "prevention":
                inc("prevention.events")
                inc("prevention.participants", f["participants_female"] + f["participants_male"])
            elif k == "training":
                n = f["participants_female"] + f["participants_male"]
                inc("training.events")
                inc("training.participants", n)
                inc("training.participants.days_%d" % f["days"], n)
                days_seen.add(f["days"])
            elif k == "followup":
                inc("followups." + f["action"])
            elif k == "closure":
                inc("closures")
        per[c["name"]] = (c["oblast"], v)
    inds = fixed + ["training.participants.days_%d" % d for d in sorted(days_seen)] + tail
    rows = []

    def emit(scope, name, vals):
        for i in inds:
            rows.append({"scope": scope, "name": name, "indicator": i, "value": vals.get(i, 0)})

    def add(into, v):
        for k, n in v.items():
            into[k] = into.get(k, 0) + n
    ob, rg, tot = {o: {} for o in OBLASTS}, {"north": {}, "south": {}}, {}
    for name in sorted(per, key=lambda n: (OBLASTS.index(per[n][0]), n.encode())):
        o, v = per[name]
        emit("committee", name, v)
        add(ob[o], v)
        add(rg[REGION[o]], v)
        add(tot, v)
    for o in OBLASTS:
        emit("oblast", o, ob[o])
    for r in ("north", "south"):
        emit("region", r, rg[r])
    emit("total", "total", tot)
    print(json.dumps({"from": frm, "to": to, "rows": rows}))


def key(r):
    return (r["scope"], r["name"], r["indicator"])


def compare(exp_file, rep_file):
    exp, rep = json.load(open(exp_file)), json.load(open(rep_file))
    e = {key(r): r["value"] for r in exp["rows"]}
    g = {key(r): r["value"] for r in rep["rows"]}
    check(len(rep["rows"]) == len(g), "report rows are unique (%d)" % len(g))
    missing = sorted(set(e) - set(g))
    extra = sorted(set(g) - set(e))
    check(not missing, "every expected row is in the report (%d rows; missing %s)" % (len(e), missing[:3]))
    check(not extra, "the report has no unexpected row (extra %s)" % extra[:3])
    bad = [(k, e[k], g[k]) for k in e if k in g and e[k] != g[k]]
    check(not bad, "every value equals the independent computation (%d differ%s)"
          % (len(bad), ": " + "; ".join("%s %s %s: want %s got %s" % (k + (a, b)) for k, a, b in bad[:5]) if bad else ""))
    check(rep["from"] == exp["from"] and rep["to"] == exp["to"], "the report names its period")
    for scope in ("committee", "oblast", "region", "total"):
        n = sum(1 for k in e if k[0] == scope)
        nz = sum(1 for k in e if k[0] == scope and e[k] != 0 and g.get(k) == e[k])
        ok("scope %s: %d rows, %d non-zero values matched" % (scope, n, nz))


def csv_check(rep_file, csv_file):
    rep = json.load(open(rep_file))
    raw = open(csv_file, newline="", encoding="utf-8").read()
    check(raw.startswith("\ufeff"), "csv starts with a UTF-8 byte order mark")
    raw = raw[1:]
    check(raw.startswith("scope,name,indicator,value,suppressed,name_label,indicator_label,note\r\n"),
          "csv header and CRLF line ends")
    rows = list(csv.DictReader(io.StringIO(raw, newline="")))
    check(len(rows) == len(rep["rows"]), "csv has as many rows as json (%d)" % len(rows))
    bad = 0
    for j, c in zip(rep["rows"], rows):
        if key(j) != (c["scope"], c["name"], c["indicator"]):
            bad += 1
        elif j["value"] is None:
            bad += c["suppressed"] != "1" or c["value"] != j["display"]
        else:
            bad += c["suppressed"] != "0" or c["value"] != str(j["value"])
    check(bad == 0, "csv rows equal json rows, suppressed cells marked alike (%d differ)" % bad)


EN_PLACES = {"Total": ("total", "total"), "North": ("region", "north"), "South": ("region", "south"),
             "Batken": ("oblast", "batken"), "Chui": ("oblast", "chui"), "Issyk-Kul": ("oblast", "issyk_kul"),
             "Jalal-Abad": ("oblast", "jalal_abad"), "Naryn": ("oblast", "naryn"), "Osh oblast": ("oblast", "osh"),
             "Talas": ("oblast", "talas"), "Bishkek city": ("oblast", "bishkek"), "Osh city": ("oblast", "osh_city")}


def md_cells(line):
    cells, cur, i = [], "", 0
    line = line.strip()[1:-1]
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line):
            cur += line[i + 1]
            i += 2
            continue
        if line[i] == "|":
            cells.append(cur.strip())
            cur = ""
        else:
            cur += line[i]
        i += 1
    cells.append(cur.strip())
    return cells


def md_check(rep_file, md_file):
    rep = json.load(open(rep_file))
    per = {}
    for r in rep["rows"]:
        per.setdefault((r["scope"], r["name"]), []).append(
            str(r["value"]) if r["value"] is not None else r["display"])
    lines = open(md_file).read().split("\n")
    seen, bad, tables = set(), 0, 0
    i = 0
    while i < len(lines):
        if lines[i].startswith("| ") and i + 1 < len(lines) and lines[i + 1].startswith("| :---"):
            head = md_cells(lines[i])[1:]
            body = []
            i += 2
            while i < len(lines) and lines[i].startswith("| "):
                body.append(md_cells(lines[i])[1:])
                i += 1
            tables += 1
            for j, h in enumerate(head):
                ent = EN_PLACES.get(h, ("committee", h))
                col = [row[j].replace(",", "") for row in body]
                if per.get(ent) != col:
                    bad += 1
                    print("# md column %r differs from json" % h)
                seen.add(ent)
        else:
            i += 1
    check(tables >= 4, "md has the tables (%d)" % tables)
    check(bad == 0 and seen == set(per), "md tables show the json numbers for all %d scopes (%d differ, %d missing)"
          % (len(per), bad, len(set(per) - seen)))


RAW_KEY = re.compile(r"(?<![\w.])(?:ind|grp|code|oblast|region|heading|chart|col|scope|legend|period|filter|title)"
                     r"\.[a-z_]|(?<![\w.])(?:appeals|referrals|training|followups|aid|prevention|sessions|families)"
                     r"\.[a-z_]|\{[a-z]+\}")
WORDS = {"en": ["Appeals", "Referrals to: crisis centre", "Training participants, 2-day trainings", "North", "Chui"],
         "ru": ["Обращения", "Направления: кризисный центр", "Участники обучений длительностью 2 дн.", "Север", "Чуй"],
         "ky": ["Кайрылуулар", "Жолдомолор: кризистик борбор", "2 күндүк окутуулардын катышуучулары", "Түндүк", "Чүй"]}
ENGLISH = ["Appeals", "Referrals", "Trainings", "Protection orders", "Cases closed", "Follow-ups", "physical",
           "Committee sessions", "Total, all committees", "Macro-regions", "Indicator"]


def labels(lang, files):
    for fn in files:
        text = open(fn, encoding="utf-8").read()
        if fn.endswith(".html"):
            text = re.sub(r"<style>.*?</style>", "", text, flags=re.S)
            text = re.sub(r"<[^>]*>", " ", text)
        m = RAW_KEY.search(text)
        check(m is None, "%s (%s): no raw label key or placeholder%s"
              % (os.path.basename(fn), lang, "" if m is None else ": found %r" % m.group(0)))
        miss = [w for w in WORDS[lang] if w not in text]
        check(not miss, "%s (%s): its own words are there (missing %s)" % (os.path.basename(fn), lang, miss))
        if lang != "en":
            eng = [w for w in ENGLISH if re.search(r"\b%s\b" % re.escape(w), text)]
            check(not eng, "%s (%s): no English label left (found %s)" % (os.path.basename(fn), lang, eng))


# ---- audit: can a reader recover a hidden cell? ----

def relations(rows):
    """The sums a reader of the report can see, as (total, [parts]) over
    (scope, name, indicator) keys."""
    ents = []
    for r in rows:
        e = (r["scope"], r["name"])
        if e not in ents:
            ents.append(e)
    inds = []
    for r in rows:
        if r["indicator"] not in inds:
            inds.append(r["indicator"])
    obl = {}
    for r in rows:
        if r["scope"] == "committee":
            obl[r["name"]] = None
    rels = []
    days = [i for i in inds if i.startswith("training.participants.days_")]
    for e in ents:
        k = lambda i: e + (i,)
        rels.append((k("appeals"), [k("appeals.sex." + c) for c in SEXES]))
        rels.append((k("appeals"), [k("appeals.age." + c) for c in AGES]))
        rels.append((k("referrals"), [k("referrals." + c) for c in SERVICES]))
        rels.append((k("referrals.crisis_or_shelter"), [k("referrals.crisis_centre"), k("referrals.shelter")]))
        if days:
            rels.append((k("training.participants"), [k(d) for d in days]))
    return ents, inds, rels


def hier_rels(keys, inds, oblast_of):
    """The sums across scopes among the rows keys (a report's (scope, name,
    indicator) keys): an oblast = its committees, a region = its oblasts,
    the total = the regions; those the report has."""
    ents = {k[:2] for k in keys}
    rels = []
    for i in inds:
        for o in OBLASTS:
            if ("oblast", o) in ents:
                rels.append((("oblast", o, i), [("committee", c, i) for c in sorted(oblast_of)
                                                if oblast_of[c] == o and ("committee", c) in ents]))
        for rg in ("north", "south"):
            if ("region", rg) in ents:
                rels.append((("region", rg, i), [("oblast", o, i) for o in OBLASTS
                                                 if REGION[o] == rg and ("oblast", o) in ents]))
        if ("total", "total") in ents:
            rels.append((("total", "total", i), [("region", rg, i) for rg in ("north", "south")
                                                 if ("region", rg) in ents]))
    return [(t, p) for t, p in rels if p]


def report_rels(rows, oblast_of):
    """Every sum a reader of one report can see."""
    ents, inds, rels = relations(rows)
    return rels + hier_rels({key(r) for r in rows}, inds, oblast_of)


def cell_checks(tv, sv, nb, what=""):
    """A report's cells against the truth: small counts hidden, only they
    "<N", shown values true, zeros never hidden, money of the few hidden."""
    hidden = [k for k in sv if sv[k]["value"] is None]
    ok("%s%d of %d cells hidden at --suppress-below %d" % (what, len(hidden), len(sv), nb))
    check(all(sv[k]["value"] == tv[k] for k in sv if sv[k]["value"] is not None),
          what + "shown values are the true ones")
    small = [k for k in tv if k[-1] != "aid.money.som" and 1 <= tv[k] < nb]
    # A small count shows "<N", or "x" where "<N" would let a reader pin a
    # hidden cell (a total "<N" over N-1 parts "<N").
    check(all(sv[k]["value"] is None and sv[k]["display"] in ("<%d" % nb, "x") for k in small),
          "%severy count 1..%d is hidden, as <%d or x (%d cells, %d as x)"
          % (what, nb - 1, nb, len(small), sum(sv[k]["display"] == "x" for k in small)))
    check(all(1 <= tv[k] < nb for k in hidden if sv[k]["display"].startswith("<")),
          "%sonly counts 1..%d show <%d" % (what, nb - 1, nb))
    check(all(tv[k] > 0 for k in hidden), what + "no zero is hidden")
    check(all(sv[k].get("suppressed") is True and sv[k]["display"] in ("<%d" % nb, "x") for k in hidden),
          what + "hidden cells are marked suppressed with a display")
    som_leak = [k for k in tv if k[-1] == "aid.money.people" and 1 <= tv[k] < nb
                and tv[k[:-1] + ("aid.money.som",)] > 0
                and sv[k[:-1] + ("aid.money.som",)]["value"] is not None]
    check(not som_leak, what + "the money of a hidden few is hidden too")
    return hidden


def attack(sv, rels, hidden, nb, what=""):
    """Can a reader recover a hidden cell from the shown ones, "<N" and "x",
    and the sums rels? Exact linear algebra, then integer bounds."""
    # 1. Exact: is a hidden cell a linear function of what is shown?
    var = {k: n for n, k in enumerate(hidden)}
    eqs = []
    for t, p in rels:
        row, const = {}, Fraction(0)
        for x, c in [(t, 1)] + [(x, -1) for x in p]:
            if x in var:
                row[var[x]] = row.get(var[x], 0) + c
            else:
                const -= c * sv[x]["value"]
        row = {a: Fraction(b) for a, b in row.items() if b}
        if row:
            eqs.append((row, const))
        elif const != 0:
            fail("%sa relation does not hold on the shown values: %s" % (what, t,))
    # Gaussian elimination to reduced row echelon form over fractions.
    piv = {}   # var -> row (dict)
    for row, const in eqs:
        row = dict(row)
        changed = True
        while changed:
            changed = False
            for v in list(row):
                if v in piv and row.get(v):
                    f = row[v]
                    prow = piv[v]
                    for a, b in prow.items():
                        row[a] = row.get(a, 0) - f * b
                        if row[a] == 0:
                            del row[a]
                    changed = True
        if not row:
            continue
        p = min(row)
        f = row[p]
        row = {a: b / f for a, b in row.items()}
        for v, prow in piv.items():   # keep it reduced
            if prow.get(p):
                g = prow[p]
                for a, b in row.items():
                    prow[a] = prow.get(a, 0) - g * b
                    if prow[a] == 0:
                        del prow[a]
        piv[p] = row
    determined = [hidden[p] for p, row in piv.items() if len(row) == 1]
    check(not determined, "%sexact: no hidden cell is determined by the %d sums (rank %d, %d unknowns)%s"
          % (what, len(eqs), len(piv), len(hidden), "; determined: %s" % determined[:4] if determined else ""))
    # 2. Bounds: "<N" is 1..N-1; "x" is >= 1 (zeros are never hidden, and
    # an "x" may be a small count). Propagate over every sum to a fixpoint.
    INF = float("inf")
    lo, hi = {}, {}
    for k in hidden:
        if sv[k]["display"].startswith("<"):
            lo[k], hi[k] = 1, nb - 1
        else:
            lo[k], hi[k] = 1, INF
    val = lambda x, b: (sv[x]["value"] if x not in lo else b[x])
    for it in range(2000):
        moved = False
        for t, p in rels:
            cells = [(t, 1)] + [(x, -1) for x in p]    # sum c*x = 0
            for x, c in cells:
                if x not in lo:
                    continue
                # c*x = -sum(others): bounds of the others' sum
                omin = omax = 0
                for y, d in cells:
                    if y == x:
                        continue
                    a, b = (val(y, lo), val(y, hi))
                    omin += d * a if d > 0 else d * b
                    omax += d * b if d > 0 else d * a
                nlo, nhi = (-omax, -omin) if c > 0 else (omin, omax)
                if nlo > lo[x]:
                    lo[x] = nlo
                    moved = True
                if nhi < hi[x]:
                    hi[x] = nhi
                    moved = True
                if lo[x] > hi[x]:
                    fail("%sbounds of %s crossed: the audit is wrong" % (what, x,))
                    return
        if not moved:
            break
    pinned = [(x, lo[x]) for x in hidden if lo[x] == hi[x]]
    check(not pinned, "%sbounds: no hidden cell is pinned to one value (%d rounds)%s"
          % (what, it + 1, "; pinned: %s" % pinned[:4] if pinned else ""))


def audit(truth_file, sup_file, nb, committees_file):
    nb = int(nb)
    truth, sup = json.load(open(truth_file)), json.load(open(sup_file))
    oblast_of = {c["name"]: c["oblast"] for c in json.load(open(committees_file))}
    tv = {key(r): r["value"] for r in truth["rows"]}
    sv = {key(r): r for r in sup["rows"]}
    check(set(tv) == set(sv), "suppressed report has the same rows")
    check(sup.get("suppress_below") == nb, "json says suppress_below %d" % nb)
    rels = report_rels(truth["rows"], oblast_of)
    # The sums hold on the true values.
    check(all(tv[t] == sum(tv[x] for x in p) for t, p in rels), "%d sum relations hold on the true values" % len(rels))
    hidden = cell_checks(tv, sv, nb)
    attack(sv, rels, hidden, nb)


def audit_set(nb, committees_file, nat_truth, nat_sup, *per_oblast):
    """The national report (every committee: NAT_TRUTH unsuppressed, NAT_SUP
    at N) and, per oblast O, the report of O's committees alone (O
    TRUTH.json SUP.json: `--oblast O`, what O's hub prints), read together
    by one reader: the cells of O's committees and of O are shown alike in
    the national report and in O's, and nothing hidden in any of them can
    be worked out from all of them together (each with its own sums, and
    the cells of O's committees and of O one number in both)."""
    nb = int(nb)
    oblast_of = {c["name"]: c["oblast"] for c in json.load(open(committees_file))}
    reps = [("national", None, nat_truth, nat_sup)]
    if len(per_oblast) % 3 != 0 or not per_oblast:
        sys.exit("audit-set: give OBLAST TRUTH.json SUPPRESSED.json per oblast")
    for j in range(0, len(per_oblast), 3):
        reps.append(("--oblast " + per_oblast[j], per_oblast[j]) + tuple(per_oblast[j + 1:j + 3]))
    tv, sv, rels = {}, {}, []
    nat = {}
    for tag, ob, tf, sf in reps:
        truth, sup = json.load(open(tf)), json.load(open(sf))
        t = {key(r): r["value"] for r in truth["rows"]}
        s = {key(r): r for r in sup["rows"]}
        check(set(t) == set(s) and sup.get("suppress_below") == nb,
              "%s: the same rows as its truth, at suppress_below %d" % (tag, nb))
        if ob is None:
            nat = s
        else:
            mine = [k for k in s if (k[0] == "committee" and oblast_of.get(k[1]) == ob)
                    or (k[0] == "oblast" and k[1] == ob)]
            diff = [k for k in mine if k not in nat or any(s[k].get(f) != nat[k].get(f)
                                                           for f in ("value", "display", "suppressed"))]
            check(mine and not diff, "%s: its %d cells of %s and its committees are shown as in the national "
                  "report%s" % (tag, len(mine), ob, "; differ: %s" % diff[:3] if diff else ""))
            only = [k for k in nat if ((k[0] == "committee" and oblast_of.get(k[1]) == ob)
                                       or (k[0] == "oblast" and k[1] == ob)) and k not in s
                    and nat[k]["value"] != 0]
            check(not only, "%s: the national report has no non-zero cell of %s it lacks" % (tag, ob))
            # One number in both reports.
            rels += [((tag,) + k, [("national",) + k]) for k in mine if k in nat]
        for k in t:
            tv[(tag,) + k] = t[k]
            sv[(tag,) + k] = s[k]
        rels += [((tag,) + a, [(tag,) + x for x in b]) for a, b in report_rels(truth["rows"], oblast_of)]
        cell_checks(t, s, nb, tag + ": ")
    check(all(tv[t] == sum(tv[x] for x in p) for t, p in rels),
          "%d sum relations of %d reports hold on the true values" % (len(rels), len(reps)))
    hidden = [k for k in sv if sv[k]["value"] is None]
    attack(sv, rels, hidden, nb, "all %d reports together: " % len(reps))


# ---- browser: the HTML page in headless chromium over the DevTools pipe ----

class Pipe:
    def __init__(self, chromium, userdir):
        r_cmd, w_cmd = os.pipe()      # we write commands, chromium reads fd 3
        r_ev, w_ev = os.pipe()        # chromium writes fd 4, we read
        args = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
                "--disable-extensions", "--disable-features=Translate,MediaRouter,OptimizationHints",
                "--user-data-dir=" + userdir, "--remote-debugging-pipe", "about:blank"]

        def child():
            os.dup2(r_cmd, 3)
            os.dup2(w_ev, 4)
        self.proc = subprocess.Popen(args, pass_fds=(3, 4), preexec_fn=child, stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(userdir, "..", "chromium.log"), "w"))
        os.close(r_cmd)
        os.close(w_ev)
        self.w, self.r = w_cmd, r_ev
        self.buf = b""
        self.n = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.n += 1
        msg = {"id": self.n, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.w, json.dumps(msg).encode() + b"\0")
        return self.n

    def read(self, deadline):
        import select
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("chromium did not answer")
            rd, _, _ = select.select([self.r], [], [], left)
            if rd:
                chunk = os.read(self.r, 1 << 20)
                if not chunk:
                    raise EOFError("chromium closed the pipe")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=30):
        n = self.send(method, params, session)
        deadline = time.time() + timeout
        while True:
            m = self.read(deadline)
            if m.get("id") == n:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, timeout=30):
        deadline = time.time() + timeout
        for m in self.events:
            if m.get("method") == method:
                return m
        while True:
            m = self.read(deadline)
            self.events.append(m)
            if m.get("method") == method:
                return m

    def close(self):
        try:
            self.send("Browser.close")
        except OSError:
            pass
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def browser(chromium, page, outdir, wants):
    page = os.path.abspath(page)
    url = "file://" + page
    userdir = os.path.join(outdir, "chromium-profile")
    os.makedirs(userdir, exist_ok=True)
    b = Pipe(chromium, userdir)
    try:
        ver = b.call("Browser.getVersion")
        ok("headless %s answers on the DevTools pipe" % ver.get("product"))
        tid = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        sid = b.call("Target.attachToTarget", {"targetId": tid, "flatten": True})["sessionId"]
        for m in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            b.call(m, session=sid)
        b.call("Emulation.setDeviceMetricsOverride", {"width": 900, "height": 1200, "deviceScaleFactor": 1,
                                                      "mobile": False}, session=sid)
        b.events.clear()
        b.call("Page.navigate", {"url": url}, session=sid)
        b.wait_event("Page.loadEventFired")
        time.sleep(0.5)   # late console messages or requests
        b.call("Runtime.evaluate", {"expression": "1"}, session=sid)
        errors, requests = [], []
        for m in b.events:
            meth, p = m.get("method"), m.get("params", {})
            if meth == "Runtime.consoleAPICalled" and p.get("type") in ("error", "warning", "assert"):
                errors.append(str(p.get("args"))[:200])
            elif meth == "Runtime.exceptionThrown":
                errors.append(str(p.get("exceptionDetails"))[:200])
            elif meth == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
                errors.append(p["entry"].get("text", "")[:200])
            elif meth == "Network.requestWillBeSent":
                requests.append(p.get("request", {}).get("url", ""))
            elif meth == "Network.loadingFailed" and p.get("blockedReason"):
                errors.append("blocked: " + p.get("blockedReason"))
        others = [u for u in requests if u != url]
        check(not errors, "the page renders with no console error (%s)" % ("; ".join(errors[:3]) or "none"))
        check(not others, "the page makes no network request besides itself (%s)" % (others[:3] or "none"))
        res = b.call("Runtime.evaluate", {"expression": "JSON.stringify({t: document.body.innerText, "
                                          "svg: document.querySelectorAll('svg').length, "
                                          "rect: document.querySelectorAll('svg rect').length, "
                                          "tables: document.querySelectorAll('table').length, "
                                          "scripts: document.scripts.length, "
                                          "w: document.documentElement.scrollWidth})",
                                          "returnByValue": True}, session=sid)
        dom = json.loads(res["result"]["value"])
        check(dom["svg"] == 3 and dom["rect"] > 0, "three SVG charts with bars (%d svg, %d bars)"
              % (dom["svg"], dom["rect"]))
        check(dom["tables"] >= 4 and dom["scripts"] == 0, "tables and no script (%d tables)" % dom["tables"])
        miss = [w for w in wants if w not in dom["t"]]
        check(not miss, "the rendered page shows the expected figures (%d checked; missing %s)"
              % (len(wants), miss[:5]))
        shot = b.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=sid)
        png = base64.b64decode(shot["data"])
        spath = os.path.join(outdir, "report-screenshot.png")
        open(spath, "wb").write(png)
        check(png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000, "screenshot saved: %s (%d bytes)"
              % (spath, len(png)))
        pdf = b.call("Page.printToPDF", {"paperWidth": 8.27, "paperHeight": 11.69, "printBackground": True,
                                         "preferCSSPageSize": True}, session=sid, timeout=60)
        data = base64.b64decode(pdf["data"])
        ppath = os.path.join(outdir, "report-a4.pdf")
        open(ppath, "wb").write(data)
        pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
        a4 = re.search(rb"/MediaBox\s*\[\s*0 0 (59[0-9](?:\.\d+)?) (84[0-9](?:\.\d+)?)", data)
        check(data[:5] == b"%PDF-" and pages >= 1 and a4 is not None,
              "prints to A4 PDF: %s (%d pages, media box %s)" % (ppath, pages, a4.group(0).decode() if a4 else "?"))
    finally:
        b.close()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "gen":
        gen(*args)
    elif cmd == "expect":
        expect(*args)
    elif cmd == "compare":
        compare(*args)
    elif cmd == "csv":
        csv_check(*args)
    elif cmd == "md":
        md_check(*args)
    elif cmd == "labels":
        labels(args[0], args[1:])
    elif cmd == "audit":
        audit(*args)
    elif cmd == "audit-set":
        audit_set(*args)
    elif cmd == "browser":
        browser(args[0], args[1], args[2], args[3:])
    else:
        sys.exit("unknown command " + cmd)
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Checks of `ayil report --format dhis2|adx` against the json report
(tests/e2e/export.sh). Prints "ok - ..." / "FAIL - ..." lines.

Every command takes last a json list of the committees, [{"name": N,
"oblast": O}, ...], for their mapping keys (committee.O.N).

  export_check.py dhis2 MAPPING REPORT.json OUT.json PERIOD [own]
      OUT.json is a DHIS2 dataValueSets document of the expected shape, and
      its values are exactly the json report's unsuppressed cells whose
      indicator and place the mapping gives (no more, no fewer), each with
      the mapping's ids; no suppressed cell is among them. OWN: the report is
      a committee's own (its rows have scope committee only).
  export_check.py adx MAPPING REPORT.json OUT.xml PERIOD
      the same for an ADX document (already validated by xmllint).
  export_check.py counts MAPPING REPORT.json STDERR
      the stderr lines give the number of unmapped and of suppressed cells
      that the json report and the mapping give.
  export_check.py suppressed_only MAPPING REPORT.json OUT_MAPPING
      writes a mapping of one suppressed cell only (to its committee or
      place and indicator), to show that nothing is exported then.
"""
import json
import re
import sys
import xml.etree.ElementTree as ET

ADX_NS = "urn:ihe:qrph:adx:2015"
ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def ok(msg):
    print("ok - " + msg)


def fail(msg):
    print("FAIL - " + msg)
    global FAILED
    FAILED = True


FAILED = False


def check(cond, msg):
    (ok if cond else fail)(msg)
    return cond


def load_mapping(path):
    """The mapping file read independently of inih: sections, KEY = VALUE,
    ';'/'#' comments at a line's start, ' ;' comments at its end."""
    m = {"dataset": {}, "data_elements": {}, "org_units": {}}
    sec = None
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        s = line.strip()
        if not s or s[0] in ";#":
            continue
        if s.startswith("["):
            sec = s[1:s.index("]")]
            continue
        k, v = line.split("=", 1)
        v = re.split(r"\s;", v)[0].strip()
        m[sec][k.strip()] = v.split()
    return m


def place_key(row, oblast_of):
    if row["scope"] == "committee":
        return "committee.%s.%s" % (oblast_of[row["name"]], row["name"])
    if row["scope"] == "total":
        return "total"
    return "%s.%s" % (row["scope"], row["name"])


def cells(mapping, report, oblast_of):
    """(exported, suppressed_mapped, unmapped): exported as a set of
    (dataElement, coc, orgUnit, value) and a set of suppressed
    (dataElement, coc, orgUnit)."""
    de, ou = mapping["data_elements"], mapping["org_units"]
    exp, sup, unmapped = set(), set(), 0
    for r in report["rows"]:
        k = place_key(r, oblast_of)
        if r["indicator"] not in de or k not in ou:
            unmapped += 1
            continue
        d = de[r["indicator"]]
        key = (d[0], d[1] if len(d) > 1 else None, ou[k][0])
        if r.get("suppressed"):
            sup.add(key)
        else:
            exp.add(key + (str(r["value"]),))
    return exp, sup, unmapped


def oblasts(path):
    return {c["name"]: c["oblast"] for c in json.load(open(path))}


def cmd_dhis2(mapping, report, out, period, own, oblast_of):
    m = load_mapping(mapping)
    rep = json.load(open(report))
    doc = json.load(open(out))
    exp, sup, _ = cells(m, rep, oblast_of)
    check(isinstance(doc, dict) and isinstance(doc.get("dataValues"), list),
          "dhis2: an object with a dataValues array")
    want_top = {"period", "dataValues"} | ({"dataSet"} if "id" in m["dataset"] else set())
    check(set(doc) == want_top, "dhis2: top-level keys %s" % sorted(doc))
    check(doc.get("period") == period, "dhis2: period %s" % doc.get("period"))
    if "id" in m["dataset"]:
        check(doc.get("dataSet") == m["dataset"]["id"][0], "dhis2: dataSet is the mapping's")
    got, bad = set(), []
    for dv in doc["dataValues"]:
        keys = set(dv)
        base = {"dataElement", "period", "orgUnit", "value"}
        if not (base <= keys <= base | {"categoryOptionCombo", "attributeOptionCombo"}):
            bad.append("keys %s" % sorted(keys))
        if not all(isinstance(dv[k], str) for k in dv):
            bad.append("a non-string member")
        if not re.fullmatch(r"\d+", str(dv.get("value"))):
            bad.append("value %r" % dv.get("value"))
        if dv.get("period") != period:
            bad.append("period %r" % dv.get("period"))
        if not all(ID.match(str(dv.get(k, "x"))) for k in keys - {"value", "period"}):
            bad.append("an id that is not one")
        got.add((dv.get("dataElement"), dv.get("categoryOptionCombo"), dv.get("orgUnit"), dv.get("value")))
    check(not bad, "dhis2: every data value has the DHIS2 members, strings, this period%s"
          % ("" if not bad else ": " + "; ".join(bad[:3])))
    check(len(got) == len(doc["dataValues"]), "dhis2: no data value twice (%d)" % len(got))
    check(got == exp, "dhis2: the values are exactly the json report's mapped, unsuppressed "
          "cells (%d; %d missing, %d extra)" % (len(exp), len(exp - got), len(got - exp)))
    nonzero = sum(1 for g in got if g[3] != "0")
    check(nonzero >= 5, "dhis2: %d of them are not 0" % nonzero)
    leaked = {g[:3] for g in got} & sup
    check(not leaked, "dhis2: none of the %d suppressed mapped cells is exported" % len(sup))
    if own:
        ous = {g[2] for g in got}
        check(len(ous) == 1 and all(r["scope"] == "committee" for r in rep["rows"]),
              "dhis2: a committee's own report gives its one org unit only (%s)" % sorted(ous))


def cmd_adx(mapping, report, out, period, oblast_of):
    m = load_mapping(mapping)
    rep = json.load(open(report))
    exp, sup, _ = cells(m, rep, oblast_of)
    root = ET.parse(out).getroot()
    check(root.tag == "{%s}adx" % ADX_NS, "adx: root adx in %s" % ADX_NS)
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", root.get("exported", "")) is not None,
          "adx: exported is a UTC time (%s)" % root.get("exported"))
    got, ous, bad = set(), [], []
    for g in root:
        if g.tag != "{%s}group" % ADX_NS:
            bad.append(g.tag)
            continue
        ous.append(g.get("orgUnit"))
        if g.get("period") != period or g.get("dataSet") != m["dataset"]["id"][0]:
            bad.append("group %s %s" % (g.get("period"), g.get("dataSet")))
        for dv in g:
            got.add((dv.get("dataElement"), dv.get("categoryOptionCombo"), g.get("orgUnit"), dv.get("value")))
    check(not bad, "adx: every group has period %s and the mapping's dataSet" % period)
    check(len(ous) == len(set(ous)), "adx: one group per org unit (%d)" % len(ous))
    check(got == exp, "adx: the values are exactly the json report's mapped, unsuppressed "
          "cells (%d; %d missing, %d extra)" % (len(exp), len(exp - got), len(got - exp)))
    check(not ({x[:3] for x in got} & sup), "adx: no suppressed cell is exported")


def cmd_counts(mapping, report, err, oblast_of):
    m = load_mapping(mapping)
    rep = json.load(open(report))
    _, sup, unmapped = cells(m, rep, oblast_of)
    text = open(err).read()
    u = re.findall(r"ayil: report: (\d+) cells left out: their indicator or place has no "
                   r"data element or org unit in the mapping", text)
    s = re.findall(r"ayil: report: (\d+) suppressed cells left out", text)
    check(unmapped > 0 and u == [str(unmapped)],
          "stderr: one line says %d cells were left unmapped (%s)" % (unmapped, u))
    check((s == [str(len(sup))]) if sup else not s,
          "stderr: %d suppressed cells left out (%s)" % (len(sup), s))


def cmd_suppressed_only(mapping, report, out, oblast_of):
    m = load_mapping(mapping)
    rep = json.load(open(report))
    for r in rep["rows"]:
        k = place_key(r, oblast_of)
        if r.get("suppressed") and k in m["org_units"] and r["indicator"] in m["data_elements"]:
            with open(out, "w") as f:
                f.write("[dataset]\nid = %s\n[data_elements]\n%s = %s\n[org_units]\n%s = %s\n" % (
                    m["dataset"]["id"][0], r["indicator"], " ".join(m["data_elements"][r["indicator"]]),
                    k, m["org_units"][k][0]))
            ok("a suppressed mapped cell to map alone: %s of a %s" % (r["indicator"], r["scope"]))
            return
    fail("the report has no suppressed mapped cell")


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    obl = oblasts(a.pop())  # the last argument: [{"name", "oblast"}...]
    if cmd == "dhis2":
        cmd_dhis2(a[0], a[1], a[2], a[3], len(a) > 4 and a[4] == "own", obl)
    elif cmd == "adx":
        cmd_adx(a[0], a[1], a[2], a[3], obl)
    elif cmd == "counts":
        cmd_counts(a[0], a[1], a[2], obl)
    elif cmd == "suppressed_only":
        cmd_suppressed_only(a[0], a[1], a[2], obl)
    else:
        sys.exit("unknown command " + cmd)
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Checks of the report's spreadsheet forms (tests/e2e/report_sheet.sh),
read back with other tools than the one that wrote them: Python's csv
module. Prints "ok - ..." and "FAIL - ..." lines; exits 1 on a failure.

  report_sheet.py csv JSON CSV SEP LANG LAYOUT PODIR
  report_sheet.py xlsx JSON XLSX LANG PODIR   (openpyxl: Debian's python3)
  report_sheet.py own NAME HUBJSON LANG PODIR DIR   (DIR/own.{json,csv,
      text,md,html,xlsx}: a committee's own report)
  report_sheet.py nosync LANG PODIR DIR MARKED...   (DIR/r.{json,csv,
      text,md,html,xlsx}: exactly the committees MARKED are marked not
      synced for the period, in every format)
  report_sheet.py print PDF BBOX CSV MINLINES   (BBOX: pdftotext -bbox-layout
      of PDF; CSV: the same report as csv, long, in the same language)
"""
import csv
import io
import json
import re
import sys

FAILED = 0


def check(cond, msg):
    global FAILED
    if cond:
        print("ok - " + msg)
    else:
        FAILED += 1
        print("FAIL - " + msg)


def po_labels(path):
    """{(msgctxt, msgid): msgstr} of a po file's one-line messages."""
    out, ctx, mid = {}, None, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r'^(msgctxt|msgid|msgstr) "(.*)"$', line.rstrip("\n"))
        if not m:
            if not line.strip():
                ctx = mid = None
            continue
        val = m.group(2).replace('\\"', '"').replace("\\\\", "\\")
        if m.group(1) == "msgctxt":
            ctx = val
        elif m.group(1) == "msgid":
            mid = val
        elif mid:
            out[(ctx, mid)] = val
    return out


def guarded(name):
    """A name as a spreadsheet-safe csv cell gives it."""
    return "'" + name if name[:1] in ("=", "+", "-", "@", "\t", "\r") else name


def sheet_csv(rep_file, csv_file, sep, lang, layout, podir):
    rep = json.load(open(rep_file))
    sep = "\t" if sep == "tab" else sep
    raw = open(csv_file, "rb").read()
    check(raw.startswith(b"\xef\xbb\xbf"), "%s: a UTF-8 byte order mark first" % csv_file)
    text = raw.decode("utf-8-sig")
    check("\r\n" in text and "\n" not in text.replace("\r\n", ""), "CRLF line ends")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    po = po_labels("%s/%s.po" % (podir, lang)) if lang != "en" else None
    want_total = po[("report", "scope.total")] if po else "Total"
    want_ind = po[("report", "ind.appeals")] if po else "Appeals"
    want_col = po[("report", "col.indicator")] if po else "Indicator"
    names = {r["name"] for r in rep["rows"]}
    if layout == "long":
        head = rows[0]
        check(head == ["scope", "name", "indicator", "value", "suppressed", "name_label",
                       "indicator_label", "note"], "long header: %s" % head)
        body = [dict(zip(head, r)) for r in rows[1:]]
        check(len(body) == len(rep["rows"]), "as many rows as the json (%d)" % len(body))
        bad = 0
        for j, c in zip(rep["rows"], body):
            v = j["display"] if j["value"] is None else str(j["value"])
            if (c["scope"], c["name"], c["indicator"], c["value"]) != (
                    j["scope"], guarded(j["name"]), j["indicator"], v):
                bad += 1
        check(bad == 0, "every cell equals the json's (%d differ)" % bad)
        labs = {c["indicator"]: c["indicator_label"] for c in body}
        check(labs.get("appeals") == want_ind, "indicator label of appeals in %s: %r" % (lang, labs.get("appeals")))
        check(all(labs[k] and labs[k] != k for k in labs), "every indicator has a label")
        tot = [c for c in body if c["scope"] == "total"]
        check(tot and all(c["name_label"] == want_total for c in tot), "the total is labelled %r" % want_total)
        if po:
            ob = {c["name"]: c["name_label"] for c in body if c["scope"] == "oblast"}
            check(ob and all(ob[k] == po[("oblast", k)] for k in ob), "oblasts labelled in %s" % lang)
            check(all(re.search("[\u0400-\u04ff]", v) for v in labs.values()),
                  "every indicator label is in Cyrillic")
        cells = [c["name"] for c in body]
    else:
        head, labs = rows[0], rows[1]
        inds = []
        for r in rep["rows"]:
            if r["indicator"] not in inds:
                inds.append(r["indicator"])
        check(head == ["scope", "name", "name_label", "note"] + inds,
              "wide header: scope, name, name_label, note, %d indicators" % len(inds))
        check(labs[:4] == ["", "", want_col, ""], "the labels row starts with %r" % want_col)
        check(labs[4 + inds.index("appeals")] == want_ind, "label of appeals in %s" % lang)
        check(all(x for x in labs[4:]), "every indicator column has a label")
        ents = []
        for r in rep["rows"]:
            if (r["scope"], r["name"]) not in ents:
                ents.append((r["scope"], r["name"]))
        body = rows[2:]
        check([(b[0], b[1]) for b in body] == [(s, guarded(n)) for s, n in ents],
              "a row per committee, oblast, region and the total, in order")
        val = {(r["scope"], r["name"], r["indicator"]): r["display"] if r["value"] is None else str(r["value"])
               for r in rep["rows"]}
        bad = 0
        for (s, n), b in zip(ents, body):
            for k, ind in enumerate(inds):
                bad += b[4 + k] != val[(s, n, ind)]
        check(bad == 0, "every cell equals the json's (%d differ)" % bad)
        tot = [b for b in body if b[0] == "total"]
        check(tot and tot[0][2] == want_total, "the total is labelled %r" % want_total)
        cells = [b[1] for b in body]
    evil = [n for n in names if n[:1] in ("=", "@")]
    check(len(evil) == 2, "two committees with a formula for a name")
    for n in evil:
        check(("'" + n) in cells and n not in cells, "the committee %r comes out as text ('%s)" % (n, n))
    bad = [c for row in rows for c in row if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    check(not bad, "no cell starts with = + - @ tab or CR (%d do)" % len(bad))


def sheet_name(label, taken):
    """The sheet name report_xlsx.c gives a label (report.h)."""
    def clean(s, mx):
        s = "".join("_" if (c in "[]:*?/\\" or ord(c) < 32 or ord(c) == 127) else c for c in s)[:mx]
        if s.startswith("'"):
            s = "_" + s[1:]
        if s.endswith("'"):
            s = s[:-1] + "_"
        return s or "_"
    name, i = clean(label, 31), 2
    while name.lower() in taken:
        suf = " (%d)" % i
        name, i = clean(label, 31 - len(suf)) + suf, i + 1
    taken.add(name.lower())
    return name


def sheet_xlsx(rep_file, xlsx_file, lang, podir):
    import openpyxl
    rep = json.load(open(rep_file))
    wb = openpyxl.load_workbook(xlsx_file)
    po = po_labels("%s/%s.po" % (podir, lang)) if lang != "en" else None
    en = po_labels("%s/en.po" % podir)
    lab = po if po else en

    def place(scope, name):
        if scope == "total":
            return lab[("report", "scope.total")]
        if scope == "region":
            return lab[("report", "region." + name)]
        if scope == "oblast":
            return lab[("oblast", name)]
        return name
    # the order of the human formats: total, regions, oblasts, committees by oblast
    ents = []
    for r in rep["rows"]:
        if (r["scope"], r["name"]) not in ents:
            ents.append((r["scope"], r["name"]))
    order = {"total": 0, "region": 1, "oblast": 2}
    obl = [n for s, n in ents if s == "oblast"]
    com_obl = {}
    for s, n in ents:
        if s == "committee":
            com_obl[n] = None
    ents_h = sorted([e for e in ents if e[0] != "committee"], key=lambda e: order[e[0]])
    ents_h += [e for e in ents if e[0] == "committee"]
    taken = set()
    want = [sheet_name(place(s, n), taken) for s, n in ents_h]
    check(wb.sheetnames == want, "%s: sheets %s" % (xlsx_file, wb.sheetnames))
    val = {(r["scope"], r["name"], r["indicator"]): r for r in rep["rows"]}
    bad = nums = formulas = 0
    for (s, n), ws in zip(ents_h, wb.worksheets):
        check(ws["A1"].value == lab[("report", "title")] and ws["B4"].value == s and ws["D4"].value == n,
              "sheet %r: the title, scope %s and name %r" % (ws.title, s, n))
        ns = any(r.get("not_synced") for r in rep["rows"] if (r["scope"], r["name"]) == (s, n))
        check(ws["B6"].value == lab[("report", "col.indicator")] and
              ws["C6"].value == place(s, n) + (" *" if ns else ""),
              "sheet %r: the column headers in %s" % (ws.title, lang))
        seen = 0
        for row in ws.iter_rows(min_row=7):
            a, b, c = row[0].value, row[1].value, row[2]
            j = val.get((s, n, a))
            seen += 1
            if j is None:
                bad += 1
            elif j["value"] is None:
                bad += c.value != j["display"] or c.data_type != "s"
            else:
                nums += 1
                bad += c.value != j["value"] or c.data_type != "n"
            if a == "appeals" and b != lab[("report", "ind.appeals")]:
                bad += 1
        bad += seen != len([k for k in val if k[:2] == (s, n)])
        for row in ws.iter_rows():
            for c in row:
                formulas += c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith("=")
                                                   and c.data_type != "s")
    check(bad == 0, "every cell equals the json's (%d numbers; %d differ)" % (nums, bad))
    check(formulas == 0, "no cell is a formula")
    names = {n for s, n in ents if s == "committee"}
    for n in names:
        if n[:1] in ("=", "@"):
            check(any(ws["D4"].value == n and ws["D4"].data_type == "s" for ws in wb.worksheets),
                  "the committee %r is a string" % n)
    p = wb.properties
    check(not p.creator and not p.lastModifiedBy, "no author in the workbook's properties")


def own(name, hub_json, lang, podir, d):
    """A committee's own report: only that committee, headed with its name."""
    import html as htmlmod
    lab = po_labels("%s/%s.po" % (podir, lang))
    rep = json.load(open(d + "/own.json"))
    hub = json.load(open(hub_json))
    check(rep.get("committee") == name, "json: \"committee\": %r" % rep.get("committee"))
    check(rep["rows"] and all(r["scope"] == "committee" and r["name"] == name for r in rep["rows"]),
          "json: only the committee's rows (%d)" % len(rep["rows"]))
    mine = [r for r in hub["rows"] if r["scope"] == "committee" and r["name"] == name]
    check(rep["rows"] == mine, "json: its rows are the hub's rows for it")
    rows = list(csv.reader(io.StringIO(open(d + "/own.csv", encoding="utf-8-sig").read(), newline="")))
    check(len(rows) == 1 + len(mine) and all(r[0] == "committee" and r[1] == name for r in rows[1:]),
          "csv: only the committee's rows")
    title = lab[("report", "title.committee")].replace("{committee}", name)
    places = [lab[("report", k)] for k in ("heading.total", "heading.regions", "heading.oblasts")]
    places += [lab[("oblast", "naryn")], lab[("report", "scope.total")]]
    for fmt in ("text", "md", "html"):
        t = open("%s/own.%s" % (d, fmt), encoding="utf-8").read()
        if fmt == "html":
            h1 = re.search(r"<h1>(.*?)</h1>", t)
            check(h1 and htmlmod.unescape(h1.group(1)) == title, "html: <h1> is %r" % title)
            t = htmlmod.unescape(re.sub(r"<[^>]+>", "\n", t[t.index("<body>"):]))
        if fmt == "md":
            t = t.replace("\\", "")
        first = [x for x in t.split("\n") if x.strip()][0]
        check(title in first, "%s: headed %r (%r)" % (fmt, title, first[:80]))
        check(not any(p in t for p in places), "%s: no total, region or oblast" % fmt)
        check(t.count(name) >= 2, "%s: the committee's table" % fmt)
    try:
        import openpyxl
    except ImportError:
        return
    wb = openpyxl.load_workbook(d + "/own.xlsx")
    check(wb.sheetnames == [name[:31]], "xlsx: one sheet, %s" % wb.sheetnames)
    vals = {ws_row[0].value: ws_row[2].value for ws_row in wb.worksheets[0].iter_rows(min_row=7)}
    check(vals == {r["indicator"]: r["value"] if r["value"] is not None else r["display"] for r in mine},
          "xlsx: the committee's cells")


def nosync(lang, podir, d, *marked):
    import html as htmlmod
    lab = po_labels("%s/%s.po" % (podir, lang))
    legend = lab[("report", "legend.not_synced")]
    note = lab[("report", "note.not_synced")]
    marked = set(marked)
    rep = json.load(open(d + "/r.json"))
    coms = {r["name"] for r in rep["rows"] if r["scope"] == "committee"}
    got = {r["name"] for r in rep["rows"] if r.get("not_synced") is True}
    check(got == marked, "json: not_synced on the rows of %s" % sorted(got))
    check(all(r.get("not_synced") is True for r in rep["rows"] if r["name"] in marked and r["scope"] == "committee"),
          "json: on every row of theirs")
    check(not any("not_synced" in r for r in rep["rows"] if r["scope"] != "committee"),
          "json: never on a total, region or oblast")
    body = list(csv.DictReader(io.StringIO(open(d + "/r.csv", encoding="utf-8-sig").read(), newline="")))
    got = {c["name"].lstrip("'") for c in body if c["note"]}
    check(got == marked and all(c["note"] == note for c in body if c["note"]),
          "csv: the note column says %r for %s" % (note, sorted(got)))
    for fmt in ("text", "md", "html"):
        t = open("%s/r.%s" % (d, fmt), encoding="utf-8").read()
        if fmt == "html":
            t = htmlmod.unescape(re.sub(r"<[^>]+>", "\n", t[t.index("<body>"):]))
        if fmt == "md":
            t = re.sub(r"\\(.)", r"\1", t)
        check(("* " + legend in t) == bool(marked), "%s: the legend line %s" % (fmt, "is there" if marked else "is not"))
        for n in coms:
            check((n + " *" in t) == (n in marked), "%s: %r %s" % (fmt, n, "marked *" if n in marked else "not marked"))
    try:
        import openpyxl
    except ImportError:
        return
    wb = openpyxl.load_workbook(d + "/r.xlsx")
    for ws in wb.worksheets:
        if ws["B4"].value != "committee":
            continue
        n = ws["D4"].value
        m = n in marked
        check((ws["C6"].value == n + " *") == m and (ws["A5"].value == "* " + legend) == m,
              "xlsx: sheet of %r %s" % (n, "marked, with the legend" if m else "not marked"))


def print_check(pdf, bbox, csv_file, minlines):
    """A printed report: A4 pages, none nearly empty, nothing past the
    right edge, every column header and row label on paper."""
    t = open(bbox, encoding="utf-8").read()
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', t, re.S)
    check(pages, "%s: %d pages" % (pdf, len(pages)))
    check(all(abs(float(w) - 595) < 2 and abs(float(h) - 842) < 2 for w, h, _ in pages), "every page is A4")
    lines = [len(re.findall(r"<line ", p)) for _, _, p in pages]
    check(all(n >= int(minlines) for n in lines),
          "no page with fewer than %s lines of text (lines per page: %s)" % (minlines, lines))
    over = []
    for w, _, p in pages:
        for x1, word in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)</word>', p):
            if float(x1) > float(w):
                over.append(word)
    check(not over, "nothing past the right edge (%s)" % over[:5])
    import html as htmlmod
    # A header wrapped over lines comes out interleaved with its
    # neighbour's: every word of it must be there.
    words = {htmlmod.unescape(x) for x in re.findall(r"<word [^>]*>([^<]*)</word>", t)}
    body = list(csv.DictReader(io.StringIO(open(csv_file, encoding="utf-8-sig").read(), newline="")))
    want = set()
    for c in body:
        want.add(c["indicator_label"])
        want.add(c["name_label"].lstrip("'") if c["scope"] == "committee" else c["name_label"])
    missing = [x for x in want if not all(w in words for w in x.split())]
    check(not missing, "every column header and row label is printed (%d; missing %s)" % (len(want), missing[:5]))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "csv":
        sheet_csv(*args)
    elif cmd == "xlsx":
        sheet_xlsx(*args)
    elif cmd == "own":
        own(*args)
    elif cmd == "nosync":
        nosync(*args)
    elif cmd == "print":
        print_check(*args)
    else:
        sys.exit("unknown check " + cmd)
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()

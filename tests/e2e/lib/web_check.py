"""Checks of ayil-web against a real server (tests/e2e/web.sh starts it).

usage: web_check.py PORT AYIL HOME CHAIR_PASS MEMBER MEMBER_PASS STEP
Each STEP prints `ok - ...` / `FAIL - ...` lines (the e2e convention) and
exits 1 when one failed. Test data is invented."""
import html
import json
import re
import subprocess
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from webclient import Client  # noqa: E402

PORT, AYIL, HOME, CHAIR_PASS, MEMBER, MEMBER_PASS, STEP = sys.argv[1:8]
PORT = int(PORT)
FAILED = 0
NAME = "Aizada Inventedova"


def check(cond, what):
    global FAILED
    print(("ok - " if cond else "FAIL - ") + what)
    if not cond:
        FAILED += 1


def client():
    c = Client("127.0.0.1", PORT, tls=__import__("os").environ.get("WEB_TLS", "1") == "1")
    c.cookies["lang"] = "en"  # the checks read English messages
    return c


def ayil(*args, inp=None):
    p = subprocess.run([AYIL, "--home", HOME] + list(args), input=inp, capture_output=True, text=True, timeout=60)
    return p


def nrecords():
    p = ayil("record", "list", "--json")
    return len(json.loads(p.stdout or "[]")) if p.returncode == 0 else -1


def add_appeal(c, name=NAME, **over):
    f = {"date": "2026-03-14", "source": "police", "violence": ["physical"], "survivor_sex": "female",
         "survivor_age": "26-40", "status": "open", "survivor_name": name}
    f.update(over)
    c.get("/new/appeal")
    r = c.post("/new/appeal", f)
    loc = r.header("location") or ""
    m = re.match(r"^/r/([0-9a-f]{32})$", loc)
    return r, (m.group(1) if m else None)


def step_headers():
    c = client()
    r = c.get("/login")
    check(r.status == 200, "GET /login answers 200 (%d)" % r.status)
    csp = r.header("content-security-policy") or ""
    check("default-src 'self'" in csp and "frame-ancestors 'none'" in csp, "CSP: default-src 'self', frame-ancestors 'none' (%s)" % csp)
    check(r.header("x-frame-options") == "DENY", "X-Frame-Options: DENY")
    check(r.header("referrer-policy") == "no-referrer", "Referrer-Policy: no-referrer")
    check(r.header("cache-control") == "no-store", "Cache-Control: no-store on a page")
    check("<script" not in r.text and "style=" not in r.text, "no script and no inline style in the page")
    check(not re.search(r'(src|href)="(https?:)?//', r.text), "no external resource in the page")
    pre = [v for v in r.all("set-cookie") if v.startswith("ayil_pre=")]
    check(pre and all(f in pre[0] for f in ("HttpOnly", "Secure", "SameSite=Strict")), "pre-session cookie is HttpOnly, Secure, SameSite=Strict")
    r = c.post("/login", {"member": MEMBER, "password": MEMBER_PASS})
    s = [v for v in r.all("set-cookie") if v.startswith("ayil_s=")]
    check(r.status == 303 and s, "log-in answers 303 with a session cookie (%d)" % r.status)
    check(s and all(f in s[0] for f in ("HttpOnly", "Secure", "SameSite=Strict")), "session cookie is HttpOnly, Secure, SameSite=Strict")
    r = c.get("/app.css")
    check(r.status == 200 and r.header("content-type").startswith("text/css"), "the stylesheet is served from the app itself")


def step_csrf():
    c = client()
    c.login(MEMBER, MEMBER_PASS)
    c.get("/new/appeal")
    before = nrecords()
    r = c.request("POST", "/new/appeal", {"date": "2026-03-14", "source": "police", "violence": "physical",
                                          "survivor_sex": "female", "survivor_age": "26-40", "status": "open"})
    check(r.status == 403, "a POST without the CSRF token is refused (%d)" % r.status)
    check(nrecords() == before, "... and nothing was stored (%d records)" % nrecords())
    other = client()
    other.login(MEMBER, MEMBER_PASS)
    other.get("/new/appeal")
    r = c.request("POST", "/new/appeal", {"csrf": other.last.csrf(), "date": "2026-03-14"})
    check(r.status == 403, "a POST with another session's token is refused (%d)" % r.status)
    anon = client()
    r = anon.request("POST", "/logout", {"csrf": "x" * 43})
    check(r.status == 403, "a POST with no session and a made-up token is refused (%d)" % r.status)


def step_body():
    c = client()
    c.login(MEMBER, MEMBER_PASS)
    r, rid = add_appeal(c)
    check(rid is not None, "an appeal is added through the form (%s)" % r.status)
    anon = client()
    r = anon.get("/r/%s" % rid)
    check(r.status == 303 and r.header("location") == "/login" and NAME not in r.text,
          "without a session the record page redirects to log-in and shows nothing")
    for path in ("/r/%s/edit" % rid, "/r/%s/print" % rid, "/records", "/search", "/audit", "/report"):
        r = anon.get(path)
        check(r.status in (303, 403) and NAME not in r.text, "without a session %s shows nothing (%d)" % (path, r.status))
    r = c.get("/r/%s" % rid)
    check(r.status == 200 and NAME not in r.text, "a locked session sees the record without its sealed fields")
    r = c.unlock(MEMBER_PASS)
    check(r.status == 303, "unlock with the member's password (%d)" % r.status)
    r = c.get("/r/%s" % rid)
    check(NAME in r.text, "an unlocked session sees the survivor's name")
    check(r.header("cache-control") == "no-store", "a page with a body is Cache-Control: no-store")
    a = ayil("audit", "--json")
    check(a.returncode == 0 and rid in a.stdout and MEMBER in a.stdout, "the opening is in the audit, with the member (`ayil audit`)")
    r = c.get("/r/%s/print" % rid)
    check(r.status == 200 and 'class="print"' in r.text and NAME in r.text, "the case prints (an A4 page, audited as print)")
    a = ayil("audit", "--json")
    check(a.returncode == 0 and '"print"' in a.stdout, "... and the print is in the audit")
    # web.sh runs ayil-web and this script with TZ=Asia/Bishkek (UTC+6):
    # the audit's times are local with the zone, on the page and in
    # `ayil audit`; --json keeps Unix seconds.
    ch = client()
    ch.login("chair", CHAIR_PASS)
    r = ch.get("/audit")
    check(r.status == 200 and re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d \+06</td>", r.text),
          "the audit page (the chair's) shows local time with its zone (+06) (%d)" % r.status)
    a = ayil("audit")
    check(a.returncode == 0 and re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d \+06  print ", a.stdout, re.M),
          "`ayil audit` shows local time with its zone (+06)")
    a = ayil("audit", "--json")
    check(a.returncode == 0 and "+06" not in a.stdout and re.search(r'"at": \d{10}', a.stdout),
          "`ayil audit --json` keeps Unix seconds (UTC)")
    r = c.get("/records?kind=appeal")
    check(r.status == 200 and 'id="pages"' in r.text and NAME not in r.text, "the list shows the count and no name")
    c.post("/lock", {})
    r = c.get("/r/%s" % rid)
    check(NAME not in r.text, "after Lock the name is gone again")
    _, gone = add_appeal(c, name="Deleted Inventedova")
    r = c.get("/r/%s/delete" % gone)
    check(r.status == 200 and 'id="confirm-delete"' in r.text, "a delete asks for confirmation first")
    check(nrecords() >= 2, "(both appeals stored)")
    n = nrecords()
    r = c.post("/r/%s/delete" % gone, {})
    check(r.status == 303 and nrecords() == n - 1, "after the confirmation the record is deleted")
    r = c.get("/r/%s" % gone)
    check(r.status == 400 or r.status == 404, "a deleted record's page is gone (%d)" % r.status)
    print("RID=%s" % rid)


def step_expire(idle):
    c = client()
    c.login(MEMBER, MEMBER_PASS)
    r = c.get("/")
    check(r.status == 200, "a fresh session is served (%d)" % r.status)
    time.sleep(idle + 2)
    r = c.get("/")
    check(r.status == 303 and r.header("location") == "/login", "after %d s idle the session is refused (%d)" % (idle, r.status))


def step_hostile():
    c = client()
    c.login(MEMBER, MEMBER_PASS)
    c.get("/new/appeal")
    tok = c.last.csrf()
    big = "csrf=%s&narrative=%s" % (tok, "a" * (300 * 1024))
    r = c.request("POST", "/new/appeal", raw=big.encode(), ctype="application/x-www-form-urlencoded")
    check(r.status == 413 and "too large" in r.text, "an oversized form is refused with 413 and says so (%d)" % r.status)
    r = c.get("/")
    check(r.status == 200, "the server keeps serving after it")
    body = b"csrf=" + tok.encode() + b"&date=2026-03-14&survivor_name=%C3%28bad"
    r = c.request("POST", "/new/appeal", raw=body, ctype="application/x-www-form-urlencoded")
    check(r.status == 400 and "UTF-8" in r.text, "invalid UTF-8 is refused with 400 and says so (%d)" % r.status)
    before = nrecords()
    r = c.post("/new/appeal", {"date": "2026-03-14", "source": "police", "violence": "physical", "survivor_sex": "female",
                              "survivor_age": "26-40", "status": "open", "favourite_colour": "green", "csrf": tok})
    check(r.status == 400 and "does not have" in r.text, "an unknown field is refused with a clear error (%d)" % r.status)
    r = c.post("/new/referral", {"case": "0123456789abcdef0123456789abcdef", "date": "2026-03-15", "service": "police",
                                "status": "referred", "csrf": tok})
    check(r.status == 400 and "Choose a case of this committee" in r.text, "a case id of another committee is refused (%d)" % r.status)
    r = c.post("/new/appeal", {"date": "2099-01-01", "source": "nonsense", "survivor_name": NAME, "csrf": tok})
    errs = re.findall(r'class="ferr" id="e-([a-z_]+)"', r.text)
    check(r.status == 400 and {"date", "source", "violence", "survivor_sex", "survivor_age", "status"} <= set(errs),
          "every error is shown at once, next to its field (%s)" % errs)
    check(NAME in r.text, "... and the fields typed are kept")
    check(nrecords() == before, "none of them stored a record")
    r = c.request("PUT", "/")
    check(r.status == 405, "a method other than GET and POST is refused (%d)" % r.status)
    r = c.get("/r/../../etc/passwd")
    check(r.status == 404, "a path outside the app is 404 (%d)" % r.status)
    r = c.get("/lang/ru?next=//evil.example/")
    check(r.status == 303 and r.header("location") == "/", "the language switch never redirects off the site")
    r = c.get("/")
    check(r.status == 200, "the server still serves")


def form_value(text, name):
    """The values a form shows for input `name`."""
    vals = []
    for m in re.finditer(r'<input[^>]*name="%s"[^>]*>' % name, text):
        tag = m.group(0)
        v = re.search(r'value="([^"]*)"', tag)
        if 'type="checkbox"' in tag:
            if " checked" in tag and v:
                vals.append(html.unescape(v.group(1)))
        elif v:
            vals.append(html.unescape(v.group(1)))
    m = re.search(r'<select[^>]*name="%s"[^>]*>(.*?)</select>' % name, text, re.S)
    if m:
        vals += [html.unescape(x) for x in re.findall(r'<option value="([^"]*)" selected>', m.group(1))]
    m = re.search(r'<textarea[^>]*name="%s"[^>]*>(.*?)</textarea>' % name, text, re.S)
    if m:
        vals.append(html.unescape(m.group(1)))
    return vals


def step_roundtrip():
    schema = json.loads(ayil("schema", "--json").stdout)
    c = client()
    c.login(MEMBER, MEMBER_PASS)
    c.unlock(MEMBER_PASS)
    _, case = add_appeal(c, name="Case Inventedova")
    nfields = 0
    for k in schema["kinds"]:
        kind = k["name"]
        fields, want = [], {}
        for f in k["fields"]:
            t, n = f["type"], f["name"]
            if t == "date":
                v = "2026-01-15"
            elif t == "code":
                v = f["codes"][-1]
                if kind == "aid" and n == "kind":
                    v = "money"
            elif t == "codes":
                v = f["codes"][:2]
            elif t == "bool":
                v = "true"
            elif t == "count":
                v = "7"
            elif t == "case":
                v = case
            else:
                v = "Invented %s text" % n
            want[n] = v
            if isinstance(v, list):
                fields += [(n, x) for x in v]
            else:
                fields.append((n, v))
        c.get("/new/%s" % kind)
        r = c.post("/new/%s" % kind, fields)
        loc = r.header("location") or ""
        rid = loc[3:] if loc.startswith("/r/") else None
        check(rid is not None, "%s: the form with every field is stored (%d)" % (kind, r.status))
        if rid is None:
            print("# " + " ".join(re.findall(r'class="ferr" id="e-([a-z_]+)"', r.text)))
            continue
        r = c.get("/r/%s/edit" % rid)
        bad = []
        for n, v in want.items():
            shown = form_value(r.text, n)
            exp = v if isinstance(v, list) else [v]
            if sorted(shown) != sorted(exp):
                bad.append((n, shown, exp))
            nfields += 1
        check(not bad, "%s: every field comes back in its edit form (%s)" % (kind, bad))
        show = json.loads(ayil("record", "show", rid, "--json").stdout or "{}")
        merged = dict(show.get("header", {}))
        merged.update(show.get("body", {}))
        if kind == "aid":
            merged["kind"] = merged.pop("aid_kind", None)
        diff = []
        for n, v in want.items():
            got = merged.get(n)
            if isinstance(got, bool):
                got = "true" if got else "false"
            elif isinstance(got, int):
                got = str(got)
            if (sorted(got) if isinstance(got, list) else got) != (sorted(v) if isinstance(v, list) else v):
                diff.append(n)
        check(not diff, "%s: `ayil record show` has what the form sent (%s)" % (kind, diff))
    n_schema = sum(len(k["fields"]) for k in schema["kinds"])
    check(nfields == n_schema, "the walk covered every field of the dictionary (%d of %d)" % (nfields, n_schema))


def step_throttle():
    c = client()
    codes = []
    for i in range(5):
        c.get("/login")
        r = c.post("/login", {"member": MEMBER, "password": "wrong-password-%d" % i})
        codes.append(r.status)
    # (the address may already have one failure from an earlier step)
    check(codes[:2] == [401, 401] and codes[3:] == [429, 429] and codes[2] in (401, 429),
          "wrong passwords are throttled after three (%s)" % codes)
    c.get("/login")
    r = c.post("/login", {"member": MEMBER, "password": MEMBER_PASS})
    check(r.status == 429 and "Try again in" in r.text, "while throttled even the right password waits (%d)" % r.status)
    other = client()
    other.get("/login")
    r = other.post("/login", {"member": "Someone Else", "password": "whatever-1"})
    check(r.status == 429, "the address is throttled too, whatever the name (%d)" % r.status)


steps = {"headers": step_headers, "csrf": step_csrf, "body": step_body, "hostile": step_hostile,
         "roundtrip": step_roundtrip, "throttle": step_throttle}
if STEP.startswith("expire:"):
    step_expire(int(STEP.split(":")[1]))
else:
    steps[STEP]()
sys.exit(1 if FAILED else 0)

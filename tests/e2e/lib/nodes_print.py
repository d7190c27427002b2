"""The hub's nodes page (ayil nodes --html) as an operator sees it:
on a 1,200-pixel screen nothing is wider than the window, and printed
(chromium's PDF, read back with pdftotext -bbox-layout) every page is
A4 landscape, nothing runs past the right edge, and every column header
and committee is on paper.
usage: nodes_print.py width PAGE.html
       nodes_print.py print PDF BBOX.html NAME...
Prints "ok - ..." / "FAIL - ..." lines; exits 1 on a failure."""
import html as htmlmod
import re
import sys

FAILED = 0


def check(cond, what):
    global FAILED
    print(("ok - " if cond else "FAIL - ") + what)
    if not cond:
        FAILED += 1


def width(page):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,900"):
        o.add_argument(a)
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    try:
        d.get("file://" + page)
        inner = d.execute_script("return window.innerWidth")
        scroll = d.execute_script("return document.documentElement.scrollWidth")
        check(scroll <= inner, "the nodes page fits a 1,200-pixel window (content %d px, window %d px)" % (scroll, inner))
    finally:
        d.quit()


def printed(pdf, bbox, names):
    t = open(bbox, encoding="utf-8").read()
    pages = re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', t, re.S)
    check(pages, "%s: %d page(s)" % (pdf, len(pages)))
    check(all(abs(float(w) - 842) < 2 and abs(float(h) - 595) < 2 for w, h, _ in pages),
          "every page is A4 landscape (%s)" % [(w, h) for w, h, _ in pages])
    over = [word for w, _, p in pages
            for x1, word in re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)</word>', p)
            if float(x1) > float(w)]
    check(not over, "nothing past the right edge (%s)" % over[:5])
    words = {htmlmod.unescape(x) for x in re.findall(r"<word [^>]*>([^<]*)</word>", t)}
    # Whole words: a header broken mid-word ("ENTRI ES") is missing.
    want = ["COMMITTEE", "OBLAST", "STATE", "NODES", "LAST CONTACT", "LAST ACK", "ENTRIES",
            "SEQ", "SILENT", "TODAY", "SKEW", "ALERTS"] + names
    missing = [x for x in want if not all(w in words for w in x.split())]
    check(not missing, "every column header and committee is printed (missing %s)" % missing)


if __name__ == "__main__":
    if sys.argv[1] == "width":
        width(sys.argv[2])
    else:
        printed(sys.argv[2], sys.argv[3], sys.argv[4:])
    sys.exit(1 if FAILED else 0)

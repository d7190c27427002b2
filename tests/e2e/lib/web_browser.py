"""A member's session in a real browser: headless Chromium driven by
Selenium (Debian's python3-selenium and chromium-driver), in Kyrgyz, at a
360-pixel-wide window. tests/e2e/web_browser.sh starts the processes.

usage: web_browser.py URL MEMBER MEMBER_PASS CHAIR CHAIR_PASS NAME SHOTS_DIR
Prints ok/FAIL lines; the last line is `APPEAL=<id>`."""
import os
import re
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

URL, MEMBER, MPASS, CHAIR, CPASS, NAME, SHOTS = sys.argv[1:8]
FAILED = 0


def check(cond, what):
    global FAILED
    print(("ok - " if cond else "FAIL - ") + what, flush=True)
    if not cond:
        FAILED += 1


def browser():
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-dev-shm-usage", "--window-size=360,800", "--lang=ky"):
        o.add_argument(a)
    o.add_argument("--user-data-dir=" + os.path.join(SHOTS, ".profile-%d" % os.getpid()))
    o.accept_insecure_certs = True  # the Pi's self-signed certificate
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.set_window_size(360, 800)
    d.set_page_load_timeout(60)
    return d


def shot(d, name):
    d.save_screenshot(os.path.join(SHOTS, name + ".png"))


def login(d, who, pw):
    d.get(URL + "/login")
    d.find_element(By.ID, "member").send_keys(who)
    d.find_element(By.ID, "password").send_keys(pw)
    d.find_element(By.CSS_SELECTOR, "form.login button").click()
    # a log-in runs one Argon2id: wait for the home page
    try:
        WebDriverWait(d, 30).until(lambda x: x.current_url.rstrip("/") == URL)
    except Exception:
        pass


def set_date(d, name, value):
    el = d.find_element(By.NAME, name)
    d.execute_script("arguments[0].value = arguments[1]", el, value)


def choose(d, name, code):
    Select(d.find_element(By.NAME, name)).select_by_value(code)


def tick(d, name, code):
    d.find_element(By.CSS_SELECTOR, 'input[name="%s"][value="%s"]' % (name, code)).click()


def save(d):
    d.find_element(By.CSS_SELECTOR, "form.record button.primary").click()


def wait_url(d, pattern, secs=20):
    """Waits for the page at a URL matching `pattern`; the match or None."""
    try:
        WebDriverWait(d, secs).until(lambda x: re.search(pattern, x.current_url))
    except Exception:
        return None
    return re.search(pattern, d.current_url)


def main():
    d = browser()
    try:
        login(d, MEMBER, MPASS)
        check(d.current_url.rstrip("/") == URL, "the member logs in (at %s)" % d.current_url)
        check(d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "ky", "the pages are in Kyrgyz by default")
        check("Жазуулар" in d.page_source, "the menu speaks Kyrgyz (Жазуулар)")
        width = d.execute_script("return document.documentElement.scrollWidth")
        check(width <= 360, "the home page fits 360 px without scrolling sideways (%d)" % width)
        shot(d, "01-home")

        # an appeal, first with a bad date
        d.get(URL + "/new/appeal")
        set_date(d, "date", "2099-01-01")
        choose(d, "source", "police")
        tick(d, "violence", "physical")
        tick(d, "violence", "psychological")
        choose(d, "survivor_sex", "female")
        choose(d, "survivor_age", "26-40")
        choose(d, "status", "open")
        d.find_element(By.NAME, "survivor_name").send_keys(NAME)
        d.find_element(By.NAME, "narrative").send_keys("Invented narrative for the browser test.")
        save(d)
        try:
            WebDriverWait(d, 20).until(lambda x: x.find_elements(By.ID, "e-date"))
        except Exception:
            pass
        err = d.find_elements(By.ID, "e-date")
        check(err and "бүгүнкүдөн кийин" in err[0].text, "a date after today shows its error in Kyrgyz next to the field (%s)"
              % (err[0].text if err else "none"))
        check(d.find_element(By.NAME, "survivor_name").get_attribute("value") == NAME, "the other fields are kept")
        check(d.find_element(By.CSS_SELECTOR, 'input[name="violence"][value="psychological"]').is_selected(), "... checkboxes too")
        width = d.execute_script("return document.documentElement.scrollWidth")
        check(width <= 360, "the form fits 360 px (%d)" % width)
        shot(d, "02-appeal-error")
        set_date(d, "date", "2026-03-14")
        save(d)
        m = wait_url(d, r"/r/([0-9a-f]{32})$")
        check(m is not None, "the appeal is saved and its case page opens")
        appeal = m.group(1) if m else ""
        shot(d, "03-case")

        # a referral and a follow-up from the case page
        for kind, fill in (("referral", lambda: (choose(d, "service", "crisis_centre"), choose(d, "status", "referred"),
                                                 set_date(d, "date", "2026-03-15"))),
                           ("followup", lambda: (choose(d, "action", "home_visit"), choose(d, "result", "done"),
                                                 set_date(d, "date", "2026-03-20")))):
            d.get(URL + "/r/" + appeal)
            d.find_element(By.CSS_SELECTOR, 'a[href="/new/%s?case=%s"]' % (kind, appeal)).click()
            sel = Select(d.find_element(By.NAME, "case")).first_selected_option.get_attribute("value")
            check(sel == appeal, "%s: the case is set from the case page" % kind)
            fill()
            save(d)
            m2 = wait_url(d, r"/r/([0-9a-f]{32})$")
            check(m2 is not None and m2.group(1) != appeal, "%s is saved" % kind)
        d.get(URL + "/r/" + appeal)
        rows = d.find_elements(By.CSS_SELECTOR, "#linked tr")
        check(len(rows) == 2, "the case page lists the referral and the follow-up (%d rows)" % len(rows))
        width = d.execute_script("return document.documentElement.scrollWidth")
        check(width <= 360, "the case page fits 360 px (%d)" % width)
        shot(d, "04-case-linked")

        # unlock, find by name, open
        d.find_element(By.CSS_SELECTOR, 'a[href="/unlock"]').click()
        d.find_element(By.ID, "password").send_keys(MPASS)
        d.find_element(By.CSS_SELECTOR, "form.login button").click()
        try:
            WebDriverWait(d, 30).until(lambda x: x.find_elements(By.CSS_SELECTOR, ".unlocked"))
        except Exception:
            pass
        check(d.find_elements(By.CSS_SELECTOR, ".unlocked"), "the session is unlocked")
        d.get(URL + "/search")
        d.find_element(By.ID, "q").send_keys(NAME.split()[1][:6])
        d.find_element(By.CSS_SELECTOR, "form.search button").click()
        try:  # the search opens every body: wait for its answer
            WebDriverWait(d, 30).until(lambda x: x.find_elements(By.CSS_SELECTOR, "#results, .empty"))
        except Exception:
            pass
        links = d.find_elements(By.CSS_SELECTOR, '#results a[href="/r/%s"]' % appeal)
        check(len(links) == 1, "a search by the invented name finds the appeal")
        check("/search" == d.current_url[len(URL):] and NAME not in d.current_url, "the name is not in the URL")
        shot(d, "05-search")
        if links:
            links[0].click()
            wait_url(d, r"/r/%s$" % appeal)
        shown = d.find_elements(By.CSS_SELECTOR, 'td[data-field="survivor_name"]')
        check(shown and shown[0].text == NAME, "the appeal opens with the survivor's name")
        shot(d, "06-appeal-open")
        d.find_element(By.CSS_SELECTOR, 'form[action="/logout"] button').click()
        wait_url(d, r"/login$")
        d.delete_all_cookies()

        # the chair sees the opening in the audit
        login(d, CHAIR, CPASS)
        d.get(URL + "/audit")
        rows = [r.text for r in d.find_elements(By.CSS_SELECTOR, "#audit tbody tr")]
        hit = [r for r in rows if MEMBER in r and appeal[:8] in r]
        check(hit, "the chair sees the member's opening of the appeal in the audit (%d rows)" % len(rows))
        shot(d, "07-audit")
    finally:
        d.quit()
    print("APPEAL=" + appeal)


main()
sys.exit(1 if FAILED else 0)

"""Shared by the Selenium scripts (tests/admin_browser.py, tests/sandbox_browser.py):
headless Chromium under chromedriver, TAP lines ("ok - ..." / "not ok - ..."),
full-page screenshots and bounded waits.

A script subclasses Browser, names its steps in STEPS ((name, description, ...)
tuples; step "foo-bar" is the method step_foo_bar) and calls main(). A step
that raises is reported "not ok - DESCRIPTION: why"; where a step says
anything "not ok", its screenshot and page source are left in the output
folder (NN-step-FAILED.png and .html). Exits 2 when Selenium is missing.
"""
import base64, os, sys, time, traceback

sys.dont_write_bytecode = True
try:
    from selenium import webdriver
    from selenium.common.exceptions import (NoAlertPresentException, NoSuchElementException,
                                            StaleElementReferenceException, TimeoutException,
                                            WebDriverException)
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
except ImportError as e:
    print(f"not ok - {os.path.splitext(os.path.basename(sys.argv[0]))[0]}: Selenium is missing ({e}); "
          "install python3-selenium (make deps)")
    sys.exit(2)

WAIT = 10                   # seconds, the longest a page load or (by default) a wait may take
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,900")


class Fail(Exception):
    pass


def xq(s):
    """s as an XPath string literal."""
    if "'" not in s:
        return f"'{s}'"
    return "concat(" + ", \"'\", ".join(f"'{p}'" for p in s.split("'")) + ")"


class Browser:
    POLL = 0.1              # seconds between two looks in until()
    LOGGING_PREFS = None    # Chromium's goog:loggingPrefs, when the script reads its logs
    STEPS = []

    def __init__(self, a):
        self.a = a          # the parsed arguments: chromium, chromedriver, out, ...
        self.shots = self.failed = 0
        self.passed = set()     # the steps that got through (raised nothing)
        self.broken = None      # the first step that raised
        self.d = None

    # -- TAP --
    def ok(self, desc):
        print(f"ok - {desc}", flush=True)

    def nok(self, desc):
        self.failed += 1
        print(f"not ok - {desc}", flush=True)

    def check(self, desc, cond, why=""):
        if cond:
            self.ok(desc)
        else:
            self.nok(desc + (f" ({why})" if why else ""))
        return cond

    def note(self, text):
        for line in str(text).splitlines() or [""]:
            print(f"# {line}", flush=True)

    # -- browser --
    def start(self):
        o = webdriver.ChromeOptions()
        o.binary_location = self.a.chromium
        for f in FLAGS:
            o.add_argument(f)
        profile = os.path.join(self.a.out, "chromium-profile")   # fresh: the test's folder is new
        os.makedirs(profile, exist_ok=True)
        o.add_argument(f"--user-data-dir={profile}")
        if self.LOGGING_PREFS:
            o.set_capability("goog:loggingPrefs", self.LOGGING_PREFS)
        svc = Service(executable_path=self.a.chromedriver,
                      log_path=os.path.join(self.a.out, "chromedriver.log"))
        self.d = webdriver.Chrome(service=svc, options=o)
        self.d.set_page_load_timeout(WAIT)
        self.d.set_script_timeout(WAIT)
        self.d.implicitly_wait(0)
        self.note(f"Chromium {self.d.capabilities.get('browserVersion', '?')}, "
                  f"Selenium {webdriver.__version__}")

    def shot(self, name):
        self.shots += 1
        path = os.path.join(self.a.out, f"{self.shots:02d}-{name}.png")
        try:   # the whole page, not just the window
            w, h = self.d.execute_script("return [document.documentElement.scrollWidth, "
                                         "document.documentElement.scrollHeight]")
            png = self.d.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": w, "height": min(h, 8000), "scale": 1}})["data"]
            with open(path, "wb") as f:
                f.write(base64.b64decode(png))
        except WebDriverException:
            try:
                self.d.save_screenshot(path)
            except WebDriverException as e:
                self.note(f"screenshot {path} failed: {e.msg}")
        return path

    def until(self, cond, what, timeout=WAIT):
        """Polls cond(driver) until truthy; Fail(what) after timeout seconds."""
        def safe(d):
            try:
                return cond(d)
            except (NoSuchElementException, StaleElementReferenceException):
                return False
        try:
            return WebDriverWait(self.d, timeout, poll_frequency=self.POLL).until(safe)
        except TimeoutException:
            raise Fail(f"{what} (waited {timeout} s; at {self.d.current_url})") from None

    def find(self, xpath, what, root=None):
        els = (root or self.d).find_elements(By.XPATH, xpath)
        if not els:
            raise Fail(f"no {what} on the page ({self.d.current_url})")
        return els[0]

    def button(self, text, root=None):
        t = xq(text)
        # From the document itself, not from an <html> element found first:
        # a handle to that element goes stale if the page is replaced between
        # the two lookups ("Node ... does not belong to the document").
        return self.find(f".//button[normalize-space()={t}] | .//input[@type='submit' and @value={t}]",
                         f'button "{text}"', root)

    def page_ok(self, what, *how):
        """Fails (Fail) when the page loaded last is not the one wanted."""
        raise NotImplementedError

    def go(self, url, what, *how):
        self.d.get(url)
        self.page_ok(what, *how)

    def submit(self, el, what):
        """Clicks el and waits for the next page (accepting a confirmation dialog)."""
        old = self.d.find_element(By.TAG_NAME, "html")
        el.click()

        def loaded(d):
            try:
                al = d.switch_to.alert
                self.note(f"accepted a dialog: {al.text}")
                al.accept()
                return False
            except NoAlertPresentException:
                pass
            try:
                old.is_enabled()
                return False
            except StaleElementReferenceException:
                return d.execute_script("return document.readyState") == "complete"
        try:
            self.until(loaded, f"{what}: no new page after the click")
        except Fail as e:
            bad = self.d.execute_script(
                "return Array.from(document.querySelectorAll(':invalid')).filter(e => e.name)"
                ".map(e => e.name + ': ' + e.validationMessage).join('; ')")
            raise Fail(f"{e} (invalid fields: {bad})" if bad else str(e)) from None

    # -- the steps --
    def blocked(self, step):
        """What keeps step (an entry of STEPS) from running, or "": by default each
        step needs all those before it."""
        return self.broken or ""

    def finish(self):
        """Runs after the steps, the browser still open."""

    def run(self):
        try:
            self.start()
        except WebDriverException as e:
            self.nok(f"Chromium starts under chromedriver: {e.msg}")
            return 2
        try:
            for step in self.STEPS:
                name, desc = step[:2]
                missing = self.blocked(step)
                if missing:
                    self.nok(f"{desc}: not run ({missing} did not get through)")
                    continue
                before = self.failed
                try:
                    getattr(self, "step_" + name.replace("-", "_"))()
                except Exception as e:      # one step's failure must not hide the others
                    msg = str(e) if isinstance(e, Fail) else \
                        f"{type(e).__name__}: {getattr(e, 'msg', None) or e}"
                    self.nok(f"{desc}: {msg}")
                    if not isinstance(e, Fail):
                        traceback.print_exc()
                    self.broken = self.broken or name
                else:
                    self.passed.add(name)   # it got through: what it set up is there
                if self.failed != before:
                    self.evidence(name)
            self.finish()
        finally:
            try:
                self.d.quit()
            except Exception:
                pass
        return 1 if self.failed else 0

    def evidence(self, name):
        self.shot(name + "-FAILED")
        try:
            with open(os.path.join(self.a.out, f"{self.shots:02d}-{name}-FAILED.html"), "w") as f:
                f.write(f"<!-- {self.d.current_url} -->\n{self.d.page_source}")
        except WebDriverException:
            pass


def main(cls, p, name):
    """Adds --chromium and --chromedriver to the argparse parser p, parses the
    command line and runs cls's steps; returns the exit status."""
    p.add_argument("--chromium", default="/usr/bin/chromium")
    p.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    a = p.parse_args()
    t0 = time.time()
    rc = cls(a).run()
    print(f"# {name}: {time.time() - t0:.1f} s", flush=True)
    return rc

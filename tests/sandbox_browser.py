#!/usr/bin/env python3
"""Walks a newcomer's `make run` story in headless Chromium (Selenium) for
tests/t0017-sandbox.sh; prints TAP lines ("ok - ..." / "not ok - ...").

  sandbox_browser.py --lever URL --cg URL --candidate NAME --email EMAIL --out DIR
                     [--stage ID] [--stage-text TEXT] [--score N]
                     [--chromium PATH] [--chromedriver PATH]

--lever and --cg are the simulators' pages for people (http://127.0.0.1:P/ui),
as `make run` prints them. The story: on the Lever page, move the candidate to
the rule's stage (click "Move to stage"); the CodinGame page lists her test
(polled, <= 10 s); click "Complete with score" (the default score); back on the
Lever page, the result note ("CodinGame result", "Score: N%") is on her
timeline (polled, <= 15 s). A PNG screenshot of every step goes to DIR
(NN-step.png; NN-step-FAILED.png and .html where a step fails). Each step
needs the one before: after a failure the rest are reported "not ok ... not
run". Exit status: 0 when every line is "ok", 1 otherwise, 2 when Selenium
is missing or Chromium does not start.
"""
import argparse, os, re, sys, time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser_common import WAIT, Browser, By, Fail, Select, main, xq

RESULT_WAIT = 15            # seconds: the result note on the Lever timeline (WAIT: the rest)


class Run(Browser):
    POLL = 0.2              # each look may reload the page

    def __init__(self, a):
        super().__init__(a)
        self.lever, self.cg = a.lever, a.cg
        self.test_id = None

    # -- browser --
    def page_ok(self, what, want_title):
        """The page loaded is the simulator's page (not an error page, no JavaScript)."""
        title = self.d.title or ""
        if want_title not in title:
            body = self.d.find_element(By.TAG_NAME, "body").text[:300]
            raise Fail(f"{what}: the page is '{title}', not '{want_title}...': {body}")
        n = self.d.execute_script("return document.scripts.length")
        if n:
            raise Fail(f"{what}: the page has {n} script(s); it should be plain HTML")

    def candidate_section(self):
        return self.find(f"//section[h2[normalize-space()={xq(self.a.candidate)}]]",
                         f"section for {self.a.candidate}")

    def test_row(self):
        """The CodinGame page's row of the candidate's test, or None."""
        for r in self.d.find_elements(By.XPATH, "//tr[starts-with(@id, 'test-')]"):
            if self.a.email in r.text:
                return r
        return None

    def recent(self):
        """The page's "Recent ..." list (deliveries, completions), one line."""
        return " | ".join(e.text for e in self.d.find_elements(By.XPATH, "//h2[starts-with(., 'Recent')]"
                                                                        "/following-sibling::ol/li"))

    # -- the steps --
    def step_lever_page(self):
        a = self.a
        self.go(self.lever, "the Lever page", "Lever")
        self.shot("lever-page")
        sec = self.candidate_section()
        text = sec.text
        self.note(f"Lever: {' | '.join(text.splitlines()[:4])}")
        self.ok(f"the Lever page lists {a.candidate}")
        self.check("with her email and tags", a.email in text and "java" in text, text)
        self.check("and her stage, Applied", re.search(r"Stage: Applied\b", text), text)
        self.check("and the form 'Move to' + 'Move to stage'",
                   sec.find_elements(By.XPATH, ".//form[@method='post' and contains(@action, '/ui/move')]")
                   and sec.find_elements(By.XPATH, ".//select[@name='stage']"))

    def step_move(self):
        a = self.a
        sec = self.candidate_section()
        sel = Select(self.find(".//select[@name='stage']", "stage drop-down", sec))
        vals = [o.get_attribute("value") for o in sel.options]
        if a.stage not in vals:
            raise Fail(f"the stage drop-down has no {a.stage} (has {vals})")
        sel.select_by_value(a.stage)
        self.shot("lever-move-chosen")
        self.submit(self.button("Move to stage", sec), "Move to stage")       # click
        self.page_ok("after Move to stage", "Lever")
        self.check("Move to stage leads back to the Lever page",
                   self.d.current_url.rstrip("/") == self.lever.rstrip("/"), self.d.current_url)
        text = self.candidate_section().text
        self.shot("lever-moved")
        if f"Stage: {a.stage_text}" not in text:
            raise Fail(f"{a.candidate}'s stage is not '{a.stage_text}' after the move: {text}")
        self.ok(f"{a.candidate} is in '{a.stage_text}' now")
        log = self.recent()
        self.note(f"deliveries: {log}")
        self.check("Lever's webhook went to cglever, answered 200",
                   re.search(r"webhook\.fcgi/lever/\S+: HTTP 200", log), log)

    def step_cg_listed(self):
        a = self.a
        self.go(self.cg, "the CodinGame page", "CodinGame")

        def listed(d):
            r = self.test_row()
            if r is None:
                d.refresh()         # cglever's runner sends the test just after the webhook
            return r
        t0 = time.monotonic()
        row = self.until(listed, f"the CodinGame page lists no test for {a.email}", WAIT)
        self.page_ok("the CodinGame page", "CodinGame")
        row = self.test_row()
        text = row.text
        self.test_id = row.get_attribute("id")[len("test-"):]
        self.note(f"CodinGame row: {text}")
        self.shot("codingame-listed")
        self.ok(f"the CodinGame page lists {a.candidate}'s test {self.test_id} "
                f"(after {time.monotonic() - t0:.1f} s)")
        self.check("for campaign 1, Java backend developer, waiting",
                   "Java backend developer" in text and "waiting" in text, text)
        inp = self.find(f".//input[@id={xq('score-' + self.test_id)}]", f"score-{self.test_id} input", row)
        self.check(f"its score input defaults to {a.score}", inp.get_attribute("value") == str(a.score),
                   inp.get_attribute("value"))

    def step_complete(self):
        a = self.a
        row = self.test_row()
        if row is None:
            raise Fail(f"the test of {a.email} is gone from the CodinGame page")
        self.submit(self.button("Complete with score", row), "Complete with score")   # click
        self.page_ok("after Complete with score", "CodinGame")
        self.check("Complete with score leads back to the CodinGame page",
                   self.d.current_url.rstrip("/") == self.cg.rstrip("/"), self.d.current_url)
        row = self.test_row()
        text = row.text if row else ""
        self.shot("codingame-completed")
        if not re.search(rf"\bcompleted\b.*\b{a.score}%", text):
            raise Fail(f"the test is not 'completed' with {a.score}%: {text}")
        self.ok(f"the test is completed with {a.score}%")
        self.check("and no form is left on its row", not row.find_elements(By.TAG_NAME, "form"))
        log = self.recent()
        self.note(f"completions: {log}")
        self.check("CodinGame called cglever back, answered 200",
                   re.search(rf"test {self.test_id} completed .*callback: HTTP 200", log), log)

    def step_result(self):
        a = self.a
        self.go(self.lever, "the Lever page", "Lever")
        want = ("CodinGame result", f"Score: {a.score}%")

        def noted(d):
            notes = [n.text for n in self.candidate_section().find_elements(By.XPATH, ".//ol[@class='notes']/li")]
            if any(all(w in n for w in want) for n in notes):
                return notes
            d.refresh()             # cglever's runner posts the note just after the callback
            return None
        t0 = time.monotonic()
        notes = self.until(noted, f"no note with {' and '.join(want)} on {a.candidate}'s timeline", RESULT_WAIT)
        self.page_ok("the Lever page", "Lever")
        self.shot("lever-result")
        self.note("notes: " + " || ".join(n.replace("\n", " / ") for n in notes))
        self.ok(f"the result note ({', '.join(want)}) is on {a.candidate}'s timeline "
                f"(after {time.monotonic() - t0:.1f} s)")
        self.check("after the 'test sent' note (newest last)",
                   len(notes) >= 2 and "CodinGame test sent" in notes[-2] and "CodinGame result" in notes[-1],
                   f"{len(notes)} notes")
        self.check("once", sum("CodinGame result" in n for n in notes) == 1, f"{len(notes)} notes")

    STEPS = [("lever-page", "open the Lever page"),
             ("move", "move the candidate to the rule's stage"),
             ("cg-listed", "the CodinGame page lists the test"),
             ("complete", "complete the test with the default score"),
             ("result", "the result note is on the Lever timeline")]


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for k in ("lever", "cg", "candidate", "email", "out"):
        p.add_argument("--" + k, required=True)
    p.add_argument("--stage", default="stage-screen")
    p.add_argument("--stage-text", default="Phone screen")
    p.add_argument("--score", type=int, default=75)
    sys.exit(main(Run, p, "sandbox_browser"))

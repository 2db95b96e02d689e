#!/usr/bin/env python3
"""Drives cglever's admin pages in headless Chromium (Selenium) for
tests/t0014-admin-browser.sh; prints TAP lines ("ok - ..." / "not ok - ...").

  admin_browser.py --base URL --user U --password P --lever URL --cg URL
                   --cg-key KEY --opportunity ID --candidate NAME --email EMAIL
                   --ctl CGLEVER_CTL --out DIR [--chromium PATH] [--chromedriver PATH]

Signs in with the web server's basic auth, creates account "acme" with the
form, opens it, connects Lever through the simulator's consent page, saves
the CodinGame key, adds a rule from the live drop-downs, has the Lever
simulator deliver a stage change, sees the candidate in Activity, edits the
rule (campaign 2), deletes it, switches the CodinGame callback on and off,
opens Campaigns and disconnects Lever. A PNG screenshot of every step goes to
DIR (NN-step.png; NN-step-FAILED.png and .html where a step fails). A step
that cannot go on stops there; the steps needing it are reported "not ok ...
not run". Leaves
DIR/account-id and DIR/rule-id for the shell test. Every wait is <= 10 s.
Exit status: 0 when every line is "ok", 1 otherwise, 2 when Chromium does
not start.
"""
import argparse, base64, json, os, re, subprocess, sys, urllib.error, urllib.parse, urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser_common import WAIT, Browser, By, Fail, Select, WebDriverException, main, xq


class Run(Browser):
    # performance: DevTools network events, for the HTTP status of each page.
    LOGGING_PREFS = {"browser": "ALL", "performance": "ALL"}

    def __init__(self, a):
        super().__init__(a)
        self.admin = a.base.rstrip("/") + "/admin.fcgi/"
        self.acc = self.rid = None
        self.failed_requests = []    # "STATUS TYPE URL" of answers >= 400 (favicon aside)
        self.console_log = []
        self.last_warning = []

    # -- simulators (their control APIs, no auth) --
    def call(self, method, url, body=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=WAIT) as r:
                raw = r.read()
                return r.status, (json.loads(raw) if raw else None)
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                return e.code, json.loads(raw)
            except ValueError:
                return e.code, raw.decode(errors="replace")

    # -- browser --
    def by_id(self, eid, what=None):
        return self.find(f"//*[@id={xq(eid)}]", what or f'element id="{eid}"')

    def has_button(self, text):
        t = xq(text)
        return bool(self.d.find_elements(
            By.XPATH, f"//button[normalize-space()={t}] | //input[@type='submit' and @value={t}]"))

    def link(self, text, root=None):
        return self.find(f".//a[normalize-space()={xq(text)}]", f'link "{text}"',
                         root or self.d.find_element(By.TAG_NAME, "html"))

    def messages(self, kind):
        return [e.text.strip() for e in self.d.find_elements(By.CSS_SELECTOR, f"p.msg.{kind}")]

    def drain_logs(self):
        """Drains the browser's logs; returns [(status, url)] of the documents loaded."""
        docs = []
        for e in self.d.get_log("performance"):
            try:
                m = json.loads(e["message"])["message"]
            except (KeyError, ValueError):
                continue
            if m.get("method") == "Network.loadingFailed" and m["params"].get("type") == "Document":
                docs.append((0, m["params"].get("errorText", "the load failed")))
            if m.get("method") != "Network.responseReceived":
                continue
            typ, r = m["params"].get("type"), m["params"].get("response", {})
            st, url = r.get("status", 0), r.get("url", "")
            if typ == "Document":
                docs.append((st, url))
            if st >= 400 and not url.endswith("/favicon.ico"):
                self.failed_requests.append(f"{st} {typ} {url}")
        self.console_log += self.d.get_log("browser")
        return docs

    def page_ok(self, what):
        """Fails when the page loaded last is an error: an HTTP status >= 400 (cglever's
        error pages, the web server's) or, failing a status, a lighttpd error title.
        cglever's warnings (p.msg.error on a 200 page) are only shown as comments."""
        docs = self.drain_logs()
        errs = self.messages("error")
        said = f"; the page says '{' | '.join(errs)}'" if errs else ""
        if docs and docs[-1][0] == 0:
            raise Fail(f"{what}: {docs[-1][1]} ({self.d.current_url})")
        if docs and docs[-1][0] >= 400:
            raise Fail(f"{what}: HTTP {docs[-1][0]} for {docs[-1][1]}{said}")
        title = self.d.title or ""
        if re.match(r"\d{3} [A-Z]", title):
            raise Fail(f"{what}: the web server answered '{title}' ({self.d.current_url})")
        if errs and errs != self.last_warning:     # said once while it lasts
            self.note(f"{what}: the page warns: {' | '.join(errs)}")
        self.last_warning = errs

    def select(self, eid):
        el = self.by_id(eid, f'drop-down id="{eid}"')
        if el.tag_name.lower() != "select":
            raise Fail(f'id="{eid}" is a <{el.tag_name}>, not a drop-down')
        return Select(el)

    def options(self, eid):
        return [o.get_attribute("value") for o in self.select(eid).options]

    def choose(self, eid, value):
        s = self.select(eid)
        vals = [o.get_attribute("value") for o in s.options]
        if value not in vals:
            raise Fail(f'drop-down "{eid}" has no option {value!r} (has {vals})')
        s.select_by_value(value)

    def chosen(self, eid):
        return self.select(eid).first_selected_option.get_attribute("value")

    def fill(self, eid, value):
        el = self.by_id(eid, f'input id="{eid}"')
        el.clear()
        el.send_keys(value)
        return el

    def value(self, eid):
        return self.by_id(eid, f'input id="{eid}"').get_attribute("value")

    def store_rule(self, rid):
        """(tag, stage, campaign) of rule rid per `cglever-ctl rule list`, or None."""
        out = subprocess.run([self.a.ctl, "rule", "list"], capture_output=True, text=True,
                             timeout=WAIT).stdout
        for line in out.splitlines()[1:]:
            f = line.split()
            if len(f) >= 5 and f[0] == rid:
                return tuple(f[2:5])
        return None

    def account_url(self, suffix=""):
        return f"{self.admin}account/{self.acc}{suffix}"

    def open_account(self):
        """Loads the account page afresh (never trusts a page already shown)."""
        self.go(self.account_url(), "the account page")

    def rule_rows(self):
        return self.d.find_elements(By.XPATH, "//tr[starts-with(@id, 'rule-')]")

    # -- the steps --
    def step_sign_in(self):
        a = self.a
        u = urllib.parse.urlsplit(self.admin)
        cred = f"{urllib.parse.quote(a.user, safe='')}:{urllib.parse.quote(a.password, safe='')}"
        how = "credentials in the URL"
        self.d.get(u._replace(netloc=f"{cred}@{u.netloc}").geturl())
        try:
            self.page_ok("the accounts page with the admin's credentials in the URL")
        except Fail as e:
            # Chromium may refuse userinfo in URLs: send the header on every request instead.
            self.note(f"{e}; signing in with an Authorization header (DevTools) instead")
            how = "an Authorization header set through DevTools"
            self.failed_requests.clear()    # the refused attempt's 401
            tok = base64.b64encode(f"{a.user}:{a.password}".encode()).decode()
            self.d.execute_cdp_cmd("Network.enable", {})
            self.d.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": "Basic " + tok}})
            self.go(self.admin, "the accounts page with an Authorization header")
        self.shot("signed-in")
        self.ok(f"signed in with basic auth ({how})")
        # Later requests carry no credentials in the URL: the browser must stay signed in.
        self.go(self.admin, "the accounts page without credentials in the URL")
        self.by_id("name", 'the "New account" form\'s input id="name"')
        self.button("Create account")
        self.ok("the accounts page offers a New account form")

    def step_create_account(self):
        self.go(self.admin, "the accounts page")
        self.fill("name", "acme")
        self.submit(self.button("Create account"), "Create account")
        self.page_ok("after Create account")
        self.shot("account-created")
        self.go(self.admin, "the accounts page")
        ln = self.link("acme")
        href = ln.get_attribute("href") or ""
        m = re.search(r"/admin\.fcgi/account/(\d+)/?$", href)
        if not m:
            raise Fail(f"the link 'acme' goes to {href!r}, not account/ID")
        self.acc = m.group(1)
        with open(os.path.join(self.a.out, "account-id"), "w") as f:
            f.write(self.acc + "\n")
        self.ok(f"account acme created with the form; the list links it to account/{self.acc}")
        self.submit(ln, "the link 'acme'")
        self.page_ok("the account page")
        self.check("the link opens the account page",
                   self.d.current_url.split("?")[0].rstrip("/") == self.account_url(),
                   f"at {self.d.current_url}")
        self.shot("account-page")

    def step_connect_lever(self):
        self.open_account()
        lever = self.a.lever.rstrip("/")
        btn = self.button("Connect Lever") if self.has_button("Connect Lever") else self.button("Reconnect Lever")
        self.submit(btn, "Connect Lever")
        self.until(lambda d: d.current_url.startswith(lever + "/authorize"),
                   "Connect Lever did not lead to Lever's consent page")
        self.shot("lever-consent")
        self.ok("Connect Lever leads to Lever's consent page")
        allow = self.find("//form[.//input[@name='decision' and @value='allow']]"
                          "//*[self::button or self::input][@type='submit']", "the Allow button")
        self.submit(allow, "Allow")
        self.until(lambda d: d.current_url.startswith(self.admin) and d.execute_script(
            "return document.readyState") == "complete", "Allow did not lead back to the admin pages")
        self.page_ok("back from Lever")
        oks = self.messages("ok")
        self.shot("lever-connected")
        self.check("back on the admin page, it says Lever is connected",
                   any(re.search(r"\bconnected\b", m, re.I) for m in oks), f"messages: {oks}")
        st, hooks = self.call("GET", lever + "/_sim/webhooks")
        urls = [w.get("url") for w in hooks] if isinstance(hooks, list) else hooks
        want = f"{self.a.base.rstrip('/')}/webhook.fcgi/lever/{self.acc}"
        if urls != [want, want]:   # candidateStageChange and candidateDeleted
            raise Fail(f"Lever's webhooks are {urls}, want [{want}] twice")
        self.ok("Lever holds cglever's webhook for this account")
        self.open_account()
        self.check("the account page now offers Reconnect Lever and Disconnect",
                   self.has_button("Reconnect Lever") and self.has_button("Disconnect"))

    def step_codingame_key(self):
        self.open_account()
        key = self.a.cg_key
        el = self.by_id("codingame_key", 'the CodinGame key input id="codingame_key"')
        self.check("the CodinGame key input is a password field",
                   (el.get_attribute("type") or "").lower() == "password", f"type={el.get_attribute('type')}")
        self.fill("codingame_key", key)
        self.shot("codingame-key-typed")
        self.submit(self.button("Save key"), "Save key")
        self.page_ok("after Save key")
        self.shot("codingame-key-saved")
        self.open_account()
        text = self.d.find_element(By.TAG_NAME, "body").text
        if f"ending in {key[-4:]}" not in text:
            raise Fail(f"the account page does not say 'ending in {key[-4:]}'")
        self.ok(f"the account page shows the key 'ending in {key[-4:]}'")
        self.check("and never the key itself", key not in self.d.page_source)
        self.check("the key input is left empty", self.value("codingame_key") in ("", None))

    def step_add_rule(self):
        self.open_account()
        errs = self.messages("error")
        self.check("with Lever connected and the key saved, the account page warns of nothing", not errs,
                   " | ".join(errs))
        tags, stages, camps = self.options("tag"), self.options("stage"), self.options("campaign")
        self.note(f"tags {tags}, stages {stages}, campaigns {camps}")
        self.check("the tag drop-down lists Lever's tags (java, python, senior)",
                   {"java", "python", "senior"} <= set(tags), f"has {tags}")
        self.check("the stage drop-down lists Lever's stages by id",
                   {"stage-applied", "stage-screen", "stage-onsite"} <= set(stages), f"has {stages}")
        self.check("the campaign drop-down lists CodinGame's live campaigns (1, 2)",
                   {"1", "2"} <= set(camps), f"has {camps}")
        ps = self.options("pass_stage")
        self.check("the pass-stage drop-down starts with 'none' (value \"\")", ps[:1] == [""], f"has {ps}")
        for f in ("pass", "fail", "pass_tag", "fail_tag", "review_tag"):
            self.by_id(f, f'input id="{f}"')
        self.choose("tag", "java")
        self.choose("stage", "stage-screen")
        self.choose("campaign", "1")
        self.fill("pass", "70")
        self.fill("fail", "40")
        self.choose("pass_stage", "stage-onsite")
        self.shot("rule-form")
        before = {r.get_attribute("id") for r in self.rule_rows()}
        self.submit(self.button("Add rule"), "Add rule")
        self.page_ok("after Add rule")
        self.open_account()
        rows = [r for r in self.rule_rows() if r.get_attribute("id") not in before]
        if len(rows) != 1:
            raise Fail(f"{len(rows)} new rule rows after Add rule, want 1")
        row = rows[0]
        self.rid = row.get_attribute("id")[len("rule-"):]
        with open(os.path.join(self.a.out, "rule-id"), "w") as f:
            f.write(self.rid + "\n")
        self.note(f"rule row: {row.text}")
        self.shot("rule-added")
        self.ok(f"the rule is added from the drop-downs (row rule-{self.rid})")
        self.check("its row names the tag java", "java" in row.text, row.text)
        got = self.store_rule(self.rid)
        self.check("the store holds it: java, stage-screen, campaign 1",
                   got == ("java", "stage-screen", "1"), f"cglever-ctl rule list: {got}")

    def step_deliver(self):
        a, base = self.a, self.a.base.rstrip("/")
        st, rep = self.call("POST", a.lever.rstrip("/") + "/_sim/deliver", {
            "url": f"{base}/webhook.fcgi/lever/{self.acc}", "opportunityId": a.opportunity,
            "toStageId": "stage-screen", "fromStageId": "stage-applied"})
        got = rep.get("status") if isinstance(rep, dict) else rep
        if got != 200:
            raise Fail(f"the stage change delivery (signed with the OAuth-registered webhook's token) "
                       f"got {got}, want 200: {rep}")
        self.ok("Lever's simulator delivers the stage change: 200")

        def sent(_):
            st, s = self.call("GET", a.cg.rstrip("/") + "/_sim/sends")
            return [x for x in (s or {}).get("sends", []) if x.get("candidate_email") == a.email]
        s = self.until(sent, f"no CodinGame test sent to {a.email}")
        self.check(f"a CodinGame test goes to {a.email}, campaign 1",
                   len(s) == 1 and s[0].get("campaign_id") == 1, f"sends {s}")

    def step_activity(self):
        a = self.a
        self.open_account()
        self.submit(self.link("Activity"), "the Activity link")
        self.page_ok("the Activity page")
        url = self.d.current_url
        self.check("the Activity link opens account/ID/activity",
                   url.split("?")[0].rstrip("/") == self.account_url("/activity"), f"at {url}")

        def row(d):
            for r in d.find_elements(By.TAG_NAME, "tr"):
                t = r.text
                if a.candidate in t and a.email in t:
                    return r
            d.refresh()       # the invitation is recorded just after the send
            return None
        r = self.until(row, f"no Activity row with {a.candidate} and {a.email}")
        text = r.text
        self.note(f"activity row: {text}")
        self.shot("activity")
        self.ok(f"Activity lists {a.candidate} <{a.email}>")
        self.check("with the status 'sent'", re.search(r"\bsent\b", text, re.I), text)

    def step_edit_rule(self):
        self.open_account()
        row = self.by_id(f"rule-{self.rid}", f"the rules table row rule-{self.rid}")
        self.submit(self.link("Edit", row), "Edit")
        self.page_ok("the rule edit page")
        pre = {"tag": self.chosen("tag"), "stage": self.chosen("stage"), "campaign": self.chosen("campaign"),
               "pass": self.value("pass"), "fail": self.value("fail"), "pass_stage": self.chosen("pass_stage")}
        want = {"tag": "java", "stage": "stage-screen", "campaign": "1", "pass": "70", "fail": "40",
                "pass_stage": "stage-onsite"}
        self.shot("rule-edit")
        self.check("the edit page is pre-filled with the rule", pre == want, f"got {pre}, want {want}")
        self.choose("campaign", "2")
        self.shot("rule-edit-campaign-2")
        self.submit(self.button("Save rule"), "Save rule")
        self.page_ok("after Save rule")
        self.open_account()
        rows = self.rule_rows()
        if len(rows) != 1:
            raise Fail(f"{len(rows)} rule rows after Save rule, want 1")
        rid = rows[0].get_attribute("id")[len("rule-"):]
        self.check("the rule keeps its id", rid == self.rid, f"rule-{rid}, was rule-{self.rid}")
        self.rid = rid
        text = rows[0].text
        self.note(f"rule row: {text}")
        self.shot("rule-saved")
        # The table may show the campaign by name (simulator: "Python data engineer") or id.
        self.check("the rules table shows campaign 2",
                   "Python data engineer" in text or re.search(r"(?<![\d.])2(?![\d.%])", text)
                   and "Java backend developer" not in text, text)
        got = self.store_rule(self.rid)
        self.check("the store holds campaign 2 now", got == ("java", "stage-screen", "2"),
                   f"cglever-ctl rule list: {got}")

    def step_delete_rule(self):
        self.open_account()
        row = self.by_id(f"rule-{self.rid}", f"the rules table row rule-{self.rid}")
        self.submit(self.button("Delete", row), "Delete")
        self.page_ok("after Delete")
        self.open_account()
        self.shot("rule-deleted")
        self.check("the rule's row is gone", not self.d.find_elements(By.ID, f"rule-{self.rid}"))
        self.check("and the rule is gone from the store", self.store_rule(self.rid) is None)

    def step_callback(self):
        a = self.a
        wh = a.cg.rstrip("/") + "/assessment/api/v1.1/webhook"
        self.open_account()
        self.submit(self.button("Turn callback on"), "Turn callback on")
        self.page_ok("after Turn callback on")
        self.open_account()
        self.shot("callback-on")
        st, w = self.call("GET", wh, headers={"API-Key": a.cg_key})
        url = w.get("url", "") if isinstance(w, dict) else ""
        pre = f"{a.base.rstrip('/')}/webhook.fcgi/codingame/{self.acc}/"
        self.check("Turn callback on registers this account's callback in CodinGame",
                   st == 200 and url.startswith(pre), f"{st} {w}")
        self.check("the page offers 'Turn callback off'", self.has_button("Turn callback off"))
        if self.has_button("Turn callback on"):
            self.note("the page offers 'Turn callback on' too: it does not show the switch's state")
        self.submit(self.button("Turn callback off"), "Turn callback off")
        self.page_ok("after Turn callback off")
        self.open_account()
        self.shot("callback-off")
        st, w = self.call("GET", wh, headers={"API-Key": a.cg_key})
        self.check("Turn callback off removes it", st == 404, f"{st} {w}")
        self.check("the page offers 'Turn callback on' again", self.has_button("Turn callback on"))

    def step_campaigns(self):
        self.open_account()
        self.submit(self.link("Campaigns"), "the Campaigns link")
        self.page_ok("the Campaigns page")
        self.shot("campaigns")
        url = self.d.current_url.split("?")[0].rstrip("/")
        self.check("the Campaigns link opens account/ID/campaigns", url == self.account_url("/campaigns"),
                   f"at {url}")
        h1 = [e.text for e in self.d.find_elements(By.TAG_NAME, "h1")]
        self.check("the page is headed Campaigns", any("Campaigns" in t for t in h1), f"h1: {h1}")

    def step_disconnect(self):
        self.open_account()
        self.submit(self.button("Disconnect"), "Disconnect")
        self.page_ok("after Disconnect")
        oks = self.messages("ok")
        self.shot("disconnected")
        self.check("the page confirms the disconnection",
                   any(re.search(r"\bdisconnected\b", m, re.I) for m in oks), f"messages: {oks}")
        st, hooks = self.call("GET", self.a.lever.rstrip("/") + "/_sim/webhooks")
        self.check("cglever's webhooks are gone from Lever", hooks == [], f"{hooks}")
        self.open_account()
        self.check("the account page offers to connect Lever again",
                   self.has_button("Reconnect Lever") or self.has_button("Connect Lever"))

    STEPS = [  # (name, description, prerequisites)
        ("sign-in", "sign in", ()),
        ("create-account", "create account acme with the form and open it", ("sign-in",)),
        ("connect-lever", "connect Lever through the consent page", ("create-account",)),
        ("codingame-key", "save the CodinGame key", ("create-account",)),
        ("add-rule", "add a rule from the drop-downs", ("connect-lever", "codingame-key")),
        ("deliver", "a stage change sends a test", ("add-rule",)),
        ("activity", "the candidate shows in Activity", ("deliver",)),
        ("edit-rule", "edit the rule: campaign 2", ("add-rule",)),
        ("delete-rule", "delete the rule", ("add-rule",)),
        ("callback", "switch the CodinGame callback on and off", ("codingame-key",)),
        ("campaigns", "open Campaigns", ("codingame-key",)),
        ("disconnect", "disconnect Lever", ("connect-lever",)),
    ]

    def blocked(self, step):
        return ", ".join(n for n in step[2] if n not in self.passed)

    def finish(self):
        self.console()

    def console(self):
        try:
            self.drain_logs()
        except WebDriverException as e:
            self.note(f"no browser log: {e.msg}")
            return
        with open(os.path.join(self.a.out, "console.log"), "w") as f:
            for e in self.console_log:
                f.write(f"{e.get('level')} {e.get('message')}\n")
        csp = [e["message"] for e in self.console_log if "Content Security Policy" in e.get("message", "")]
        self.check("the browser console shows no Content-Security-Policy violation", not csp,
                   "; ".join(csp)[:500])
        self.check("no request failed (HTTP >= 400) along the way", not self.failed_requests,
                   "; ".join(self.failed_requests)[:500])


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for k in ("base", "user", "password", "lever", "cg", "cg-key", "opportunity", "candidate",
              "email", "out"):
        p.add_argument("--" + k, required=True)
    p.add_argument("--ctl", required=True, help="cglever-ctl (CGLEVER_CONFIG set)")
    sys.exit(main(Run, p, "admin_browser"))

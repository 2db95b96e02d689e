#!/usr/bin/env python3
"""Strict CodinGame assessment API v1.1 simulator for cglever tests; stdlib only.

  python3 codingame_sim.py --port P [--host 127.0.0.1] [--verbose]  (prints "listening on HOST:PORT")
Under /assessment/api/v1.1, "API-Key: <key>" required (else 401). Errors {"code","message"}:
400 InvalidParameter|InvalidCampaignId|CandidateNameTooLong|InvalidTestId, 404 NotFoundTestId.
GET campaigns (bare array); POST campaigns/{id}/actions/send (tags: ONE string);
GET tests/{id} (tags: array; report once completed); GET tests?campaignId&candidateEmail&
status&tag&from&to (send_time ms)&start&limit (1..50, default 50); POST tests/{id}/actions/
cancel|resend (204 while waiting, else 400 InvalidTestId); DELETE tests/{id} (204; then
404 NotFoundTestId); GET tests/{id}/report?report_type=full|simplified (required here) ->
application/pdf (a one-page PDF), 400 InvalidTestId until completed or aborted;
GET|POST|DELETE webhook (POST body: a bare JSON string). Tests carry last_activity_time.
No rate limit (undocumented): use faults for 429s.

Control API (no auth; JSON; any Content-Type; empty body = {}):
  POST /_sim/reset; POST /_sim/keys {"key","revoke"?}
  POST /_sim/campaigns {"campaigns":[{id,name,archived?,languages?,pinned?}]}  replace
       (seeded: 1, 2 live, 3 archived)
  GET  /_sim/sends -> {"sends":[{test_id,campaign_id,candidate_email,candidate_name,
       recruiter_email,tags (string as sent),send_invitation_email,time_ms}]}
  GET  /_sim/tests/ID -> the test, with "resends" and "reports" (counts of API calls)
  POST /_sim/tests/ID/expire {"as"?: "expired" (default: status "expired") | "waiting"
       (stays waiting, "send_time": MS required)}  only a waiting test -> {"test"}
  GET  /_sim/deleted -> {"deleted":[ids deleted through DELETE tests/{id}]}
  POST /_sim/tests/ID {"status"?=completed,"score"?,"points"?,"total_points"?,"duration"?,
       "total_duration"?,"comparative_score"?,"technologies"?,"start_time"?,"end_time"?,
       "report"?,"callback"?: bool,"callback_body"?} sets status (completed: end_time and
       report); callback POSTs callback_body (default {"test_id","status"}) to the webhook
       -> {"test","callback"}
  GET  /ui     a plain HTML page for people (no auth, no JavaScript): the tests sent (id,
       candidate, email, campaign, status, score once completed); a waiting or in-progress
       test has a form (number input "score-ID", default 75, "Complete with score") posting
       (form-encoded) test + score to
  POST /ui/complete  completes the test as POST /_sim/tests/ID {"status":"completed",
       "score":S,"callback":true} does -> 303 /ui (the page lists recent callbacks)
  POST|DELETE /_sim/faults (see simcommon.py; also "status_after", "drop_after");
  GET /_sim/stats, GET /_sim/requests (as in lever_sim.py)
"""
import copy, html, os, re, secrets, sys, urllib.parse

sys.dont_write_bytecode = True          # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simcommon import (ApiError, Handler, Sim, COMMON_ROUTES, bad, need, is_int, is_num,  # noqa: E402
                       now_ms, post_json, serve)

P = "/assessment/api/v1.1"
CAMPAIGNS = [{"id": 1, "name": "Java backend developer", "languages": ["Java"]},
             {"id": 2, "name": "Python data engineer", "languages": ["Python", "SQL"]},
             {"id": 3, "name": "Old C++ test", "languages": ["C++"], "archived": True}]
IP = "InvalidParameter"
STATUSES = ("waiting", "in_progress", "completed", "aborted", "cancelled")
EXPIRED = "expired"                 # never seen documented: one of the two ways an expiry may show
FINISHED = ("completed", "aborted")  # a report exists
SIM_ONLY = ("resends", "reports")     # the simulator's counters, not CodinGame's
EMAIL = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]+")
URL = re.compile(r"https?://[^\s/?#]+[^\s]*")
SEND_FIELDS = ("candidate_email", "candidate_name", "recruiter_email", "tags", "send_invitation_email")

def campaign(c):
    need(isinstance(c, dict) and is_int(c.get("id")) and isinstance(c.get("name"), str),
         "campaign needs an integer id and a name")
    return {"id": c["id"], "name": c["name"], "languages": list(c.get("languages", [])),
            "pinned": bool(c.get("pinned", False)), "archived": bool(c.get("archived", False))}

class CGSim(Sim):
    FAULT_ACTIONS = Sim.FAULT_ACTIONS + ("status_after", "drop_after")

    def reset(self):
        super().reset()
        self.campaigns = {c["id"]: campaign(c) for c in CAMPAIGNS}
        self.tests, self.sends, self.webhook, self.next_id = {}, [], None, 1001
        self.deleted = []           # ids of the tests deleted through the API
        self.ui_log = []            # the /ui page's recent completions (newest last)

    def test(self, tid):
        t = self.tests.get(int(tid)) if tid.isdigit() else None
        if t is None:
            raise ApiError(404, "NotFoundTestId", f"no test {tid}")
        return t

S = CGSim()

def test_view(t, sim=False):
    return {k: copy.deepcopy(v) for k, v in t.items() if sim or k not in SIM_ONLY}

def pdf_escape(s):
    return s.encode("ascii", "replace").decode().replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

def report_pdf(t, kind):
    """A small, well-formed one-page PDF 1.4 (correct xref offsets) naming the test."""
    r = t.get("report") or {}
    lines = [f"CodinGame report ({kind})", f"Test {t['id']}, campaign {t['campaign_id']}",
             f"Candidate: {t['candidate_name'] or ''} <{t['candidate_email'] or ''}>", f"Status: {t['status']}"]
    if "score" in r:
        lines.append(f"Score: {r['score']:g}% ({r.get('points')}/{r.get('total_points')} points)")
    text = "BT /F1 12 Tf 14 TL 72 720 Td " + " ".join(f"({pdf_escape(x)}) '" for x in lines) + " ET"
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> "
            "/Contents 5 0 R >>", "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            f"<< /Length {len(text)} >>\nstream\n{text}\nendstream"]
    out, offs = b"%PDF-1.4\n", []
    for i, o in enumerate(objs, 1):
        offs.append(len(out))
        out += f"{i} 0 obj\n{o}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offs)
    return out + f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()

def set_test(tid, b):
    """POST /_sim/tests/ID's work (also /ui/complete's) -> {"test","callback"}."""
    st = b.get("status", "completed")
    need(st in STATUSES, f"status must be one of {', '.join(STATUSES)}")
    for k in ("score", "points", "total_points", "duration", "total_duration", "comparative_score"):
        need(k not in b or is_num(b[k]), f"{k} must be a number")
    now, dur = now_ms(), b.get("duration", 1500000)
    score, total = b.get("score", 100.0), b.get("total_points", 400)
    pts = b.get("points", round(total * score / 100))
    tech = {"score": score, "points": pts, "total_points": total}
    with S.lock:
        t = S.test(tid)
        t["status"] = st
        if st != "waiting":
            t["last_activity_time"] = now
        if st != "waiting" and t["start_time"] is None:
            t["start_time"] = now if st == "in_progress" else now - int(dur)
        if st in ("completed", "aborted"):
            t["end_time"] = now
        if st == "completed":
            langs = S.campaigns[t["campaign_id"]]["languages"] if t["campaign_id"] in S.campaigns else []
            t["report"] = dict(tech, duration=dur, total_duration=b.get("total_duration", 3600000),
                               comparative_score=b.get("comparative_score", 50.0),
                               technologies=b.get("technologies") or {
                                   lang: dict(tech, skills={"Problem solving": tech}) for lang in langs[:1] or ["Java"]})
        t.update({k: b[k] for k in ("start_time", "end_time", "report") if k in b})
        view, url = test_view(t, True), S.webhook
    cb = None
    if b.get("callback"):
        s, text, ms = post_json(url, b.get("callback_body", {"test_id": t["id"], "status": st})) if url \
            else (0, "no webhook registered", 0)
        cb = {"status": s, "body": text, "elapsed_ms": ms}
    return {"test": view, "callback": cb}

class CGHandler(Handler):
    sim, prefix, bad_code = S, P, "InvalidParameter"
    routes = [
        ("GET", P + "/campaigns", "campaigns"), ("POST", P + r"/campaigns/([^/]+)/actions/send", "send"),
        ("GET", P + "/tests", "tests_list"), ("GET", P + r"/tests/([^/]+)", "test_get"),
        ("DELETE", P + r"/tests/([^/]+)", "test_del"), ("GET", P + r"/tests/([^/]+)/report", "test_report"),
        ("POST", P + r"/tests/([^/]+)/actions/(cancel|resend)", "test_action"),
        ("GET", P + "/webhook", "wh_get"), ("POST", P + "/webhook", "wh_set"), ("DELETE", P + "/webhook", "wh_del"),
    ] + COMMON_ROUTES + [
        ("POST", "/_sim/campaigns", "sim_campaigns"), ("GET", "/_sim/sends", "sim_sends"),
        ("GET", r"/_sim/tests/([^/]+)", "sim_test_get"), ("POST", r"/_sim/tests/([^/]+)", "sim_test_set"),
        ("POST", r"/_sim/tests/([^/]+)/expire", "sim_test_expire"), ("GET", r"/_sim/deleted", "sim_deleted"),
        ("GET", r"/ui", "ui_page"), ("POST", r"/ui/complete", "ui_complete"),
    ]
    extra_paths = ("/ui", "/ui/complete")

    def authenticate(self):
        key = self.headers.get("API-Key")
        self.auth_kind = "api-key" if key is not None else "none"
        with S.lock:
            ok = key in S.keys
        if not ok:
            raise ApiError(401, "Unauthorized", "missing or invalid API-Key")
        S.admit("key:" + key)              # never limits (RATE None): feeds the stats

    def campaigns(self):
        self.locked(lambda: copy.deepcopy(list(S.campaigns.values())))

    def send(self, cid):
        b = self.json_obj()
        for k in ("candidate_email", "recruiter_email"):
            need(k not in b or isinstance(b[k], str) and EMAIL.fullmatch(b[k]), f"{k} is not an email address", IP)
        need(isinstance(b.get("candidate_name", ""), str), "candidate_name must be a string", IP)
        need(len(b.get("candidate_name", "")) <= 100, "candidate_name is longer than 100 characters",
             "CandidateNameTooLong")
        need(isinstance(b.get("tags", ""), str), "tags must be ONE comma-separated string", IP)
        for k in ("send_invitation_email", "send_notification_email_on_bounce"):
            need(k not in b or isinstance(b[k], bool), f"{k} must be a boolean", IP)
        t0 = now_ms()
        with S.lock:
            c = S.campaigns.get(int(cid)) if cid.isdigit() else None
            need(c and not c["archived"], f"campaign {cid} does not exist or is archived", "InvalidCampaignId")
            tid, S.next_id = S.next_id, S.next_id + 1
            test_url = f"https://www.codingame.com/evaluate/?id={secrets.token_hex(20)}"
            S.tests[tid] = {
                "id": tid, "campaign_id": c["id"], "status": "waiting",
                "candidate_name": b.get("candidate_name"), "candidate_email": b.get("candidate_email"),
                "recruiter_email": b.get("recruiter_email"),
                "tags": [x.strip() for x in b.get("tags", "").split(",") if x.strip()],
                "send_time": t0, "start_time": None, "end_time": None,
                "url": f"https://www.codingame.com/work/assessments/tests/{tid}/report",
                "test_url": test_url, "last_activity_time": None, "resends": 0, "reports": 0}
            S.sends.append(dict({k: b.get(k) for k in SEND_FIELDS}, test_id=tid, campaign_id=c["id"], time_ms=t0))
        self.send_json(200, {"id": tid, "test_url": test_url})

    def tests_list(self):
        cid = self.q_int("campaignId", 0, 2 ** 53, None)
        email, status, tag = self.q("candidateEmail"), self.q("status"), self.q("tag")
        frm, to = self.q_int("from", 0, 2 ** 53, None), self.q_int("to", 0, 2 ** 53, None)
        start, limit = self.q_int("start", 0, 2 ** 31, 0), self.q_int("limit", 1, 50, 50)
        need(status in STATUSES + (EXPIRED, None), f"status must be one of {', '.join(STATUSES)}", IP)
        with S.lock:
            ts = [test_view(t) for _, t in sorted(S.tests.items())
                  if (cid is None or t["campaign_id"] == cid)
                  and (email is None or (t["candidate_email"] or "").lower() == email.lower())
                  and (status is None or t["status"] == status)
                  and (tag is None or tag in t["tags"])
                  and (frm is None or t["send_time"] >= frm) and (to is None or t["send_time"] <= to)]
        more = start + limit < len(ts)
        self.send_json(200, {"tests": ts[start:start + limit], "pagination": {
            "start": start, "limit": limit, "total": len(ts), "has_more_items": more,
            "next_start": start + limit if more else None}})

    def test_get(self, tid):
        self.locked(lambda: test_view(S.test(tid)))

    def test_del(self, tid):
        def delete():
            S.deleted.append(S.tests.pop(S.test(tid)["id"])["id"])
        self.locked(delete, 204)

    def test_report(self, tid):
        """The PDF, once finished (completed or aborted); else 400 InvalidTestId.
        report_type is required here: the docs name full|simplified and no default."""
        kind = self.q("report_type")
        need(set(self.query) <= {"report_type"} and all(len(v) == 1 for v in self.query.values()),
             "report takes one report_type parameter", IP)
        with S.lock:
            t = S.test(tid)
            need(kind in ("full", "simplified"), "report_type must be full or simplified", IP)
            need(t["status"] in FINISHED, f"test {tid} is {t['status']}: no report before it is finished",
                 "InvalidTestId")
            t["reports"] += 1
            body = report_pdf(t, kind)
        self.send_json(200, None, {"Content-Disposition": f'attachment; filename="report-{t["id"]}.pdf"'},
                       body, "application/pdf")

    def test_action(self, tid, action):
        with S.lock:
            t = S.test(tid)
            need(t["status"] == "waiting", f"test {tid} is {t['status']}, not waiting", "InvalidTestId")
            if action == "cancel":
                t["status"] = "cancelled"
            else:
                t["resends"] += 1
        self.send_json(204)

    def wh_get(self):
        with S.lock:
            url = S.webhook
        if url is None:
            raise ApiError(404, "NotFound", "no webhook")
        self.send_json(200, {"url": url})

    def wh_set(self):
        url = self.json_body()
        need(isinstance(url, str) and URL.fullmatch(url), "body must be a JSON string holding an http(s) URL", IP)
        self.locked(lambda: setattr(S, "webhook", url), 204)

    def wh_del(self):
        self.locked(lambda: setattr(S, "webhook", None), 204)

    # -- control API --
    def sim_campaigns(self):
        cs = self.json_obj(False).get("campaigns")
        need(isinstance(cs, list), "campaigns must be a list")
        cs = {c["id"]: c for c in map(campaign, cs)}
        self.locked(lambda: setattr(S, "campaigns", cs) or {"ok": True})

    def sim_sends(self):
        self.locked(lambda: {"sends": copy.deepcopy(S.sends)})

    def sim_test_get(self, tid):
        self.locked(lambda: test_view(S.test(tid), True))

    def sim_test_set(self, tid):
        self.send_json(200, set_test(tid, self.json_obj(False)))

    def sim_test_expire(self, tid):
        """A waiting test's invitation expires, shown either way API-NOTES.md
        allows: {"as":"expired"} (default) the status becomes "expired";
        {"as":"waiting","send_time":MS} it stays waiting, sent at MS (past
        whatever expiry the caller counts with)."""
        b = self.json_obj(False)
        how, sent = b.get("as", "expired"), b.get("send_time")
        need(how in ("expired", "waiting"), "as must be expired or waiting")
        need((sent is None) if how == "expired" else is_int(sent) and 0 <= sent <= now_ms(),
             "send_time (ms, not future) goes with as=waiting only, and is required there")
        with S.lock:
            t = S.test(tid)
            need(t["status"] == "waiting", f"test {tid} is {t['status']}: only a waiting test expires")
            if how == "expired":
                t["status"] = EXPIRED
            else:
                t["send_time"] = sent
            v = test_view(t, True)
        self.send_json(200, {"test": v})

    def sim_deleted(self):
        self.locked(lambda: {"deleted": list(S.deleted)})

    # -- /ui: a page for people trying the sandbox --
    def reply_error(self, e):
        if self.upath in self.extra_paths:
            self.send_html(e.status, "Error", f"<p>{html.escape(e.message)}</p>"
                           '<p><a href="/ui">Back to the tests</a></p>', e.headers)
        else:
            super().reply_error(e)

    def send_html(self, status, title, body, headers=None):
        page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>"
                f"<body><h1>{title}</h1>{body}</body></html>\n").encode()
        self.send_json(status, None, {"Cache-Control": "no-store", **(headers or {})}, page,
                       "text/html; charset=utf-8")

    def ui_page(self):
        e = html.escape
        with S.lock:
            tests = [copy.deepcopy(t) for _, t in sorted(S.tests.items())]
            names = {c["id"]: c["name"] for c in S.campaigns.values()}
            hook, log = S.webhook, list(S.ui_log)
        parts = ["<p>Completing a test calls the callback registered with CodinGame: " +
                 (f"<code>{e(hook)}</code>" if hook else "none is registered (cglever polls instead, "
                  "every minute)") + ".</p>"]
        rows = []
        for t in tests:
            tid, st = t["id"], t["status"]
            score = t.get("report", {}).get("score") if st == "completed" and t.get("report") else None
            act = ""
            if st in ("waiting", "in_progress"):
                act = (f'<form method="post" action="/ui/complete"><input type="hidden" name="test" value="{tid}">'
                       f'<label for="score-{tid}">Score</label> <input type="number" name="score" id="score-{tid}" '
                       f'value="75" min="0" max="100" step="any"> <button type="submit">Complete with score</button>'
                       f'</form>')
            camp = names.get(t["campaign_id"])
            rows.append(f'<tr id="test-{tid}"><td>{tid}</td><td>{e(t["candidate_name"] or "")}</td>'
                        f'<td>{e(t["candidate_email"] or "")}</td>'
                        f'<td>{e(camp) + " " if camp else ""}({t["campaign_id"]})</td>'
                        f'<td class="status">{e(st)}</td>'
                        f'<td class="score">{"" if score is None else e(f"{score:g}%")}</td><td>{act}</td></tr>')
        if rows:
            parts.append('<table border="1" cellpadding="4"><thead><tr><th>Test</th><th>Candidate</th>'
                         '<th>Email</th><th>Campaign</th><th>Status</th><th>Score</th><th></th></tr></thead>'
                         f'<tbody>{"".join(rows)}</tbody></table>')
        else:
            parts.append("<p>No tests sent yet. Reload once a candidate reaches a rule's stage.</p>")
        parts.append("<h2>Recent completions</h2>" + (
            "<ol>" + "".join(f"<li>{e(x)}</li>" for x in log) + "</ol>" if log else "<p>None yet.</p>"))
        self.send_html(200, "CodinGame (simulated): tests sent", "".join(parts))

    def ui_complete(self):
        ct = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        need(ct == "application/x-www-form-urlencoded", "Content-Type must be application/x-www-form-urlencoded")
        try:
            pairs = urllib.parse.parse_qsl(self.body.decode(), keep_blank_values=True, strict_parsing=True)
        except (ValueError, UnicodeDecodeError):
            raise bad("malformed form body")
        f = dict(pairs)
        need(len(f) == len(pairs) and set(f) == {"test", "score"}, "the form takes test and score, once each")
        try:
            score = float(f["score"])
        except ValueError:
            raise bad(f"score must be a number, not {f['score']!r}")
        need(0 <= score <= 100, "score must be 0..100")
        score = int(score) if score.is_integer() else score
        with S.lock:
            st = S.test(f["test"])["status"]
        need(st in ("waiting", "in_progress"), f"test {f['test']} is {st}: only a waiting or in-progress test "
             "can be completed here")
        r = set_test(f["test"], {"status": "completed", "score": score, "callback": True})
        cb = r["callback"]
        line = f"test {f['test']} completed with {score:g}%; callback: " + (
            f"HTTP {cb['status']}" if cb["status"] else cb["body"])
        with S.lock:
            S.ui_log = (S.ui_log + [line])[-20:]
        self.send_json(303, None, {"Location": "/ui", "Cache-Control": "no-store"}, b"")


if __name__ == "__main__":
    serve(CGHandler, "CodinGame assessment API simulator")

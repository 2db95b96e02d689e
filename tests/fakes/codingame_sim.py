#!/usr/bin/env python3
"""Strict simulator of the CodinGame (CoderPad Screen) assessment API v1.1. Stdlib only.

  python3 codingame_sim.py --port P [--host 127.0.0.1] [--verbose]
Prints "listening on HOST:PORT" once bound (--port 0: the actual port).

API under /assessment/api/v1.1 (per /work/shared/API-NOTES.md): header
"API-Key: <key>" on every request (else 401); errors {"code","message"}, 400
for API errors (InvalidParameter, InvalidCampaignId, CandidateNameTooLong,
InvalidTestId), 404 NotFoundTestId. No rate limit unless set via /_sim/config.
GET campaigns (bare array); POST campaigns/{id}/actions/send (JSON object;
tags ONE comma-separated string); GET tests/{id} (tags an array, report once
completed); GET tests?campaignId&candidateEmail&status&tag&from&to (on
send_time, ms)&start&limit (1..50, default 50); GET tests/{id}/report (PDF);
POST tests/{id}/actions/cancel|resend (204 while waiting, else 400
InvalidTestId); DELETE tests/{id}; GET/POST/DELETE webhook (POST body: a bare
JSON string, the URL).

Control API (no auth; JSON in/out, any Content-Type, empty body = {}):
  POST /_sim/reset            forget everything, re-seed campaigns 1, 2 (3 archived)
  POST /_sim/keys    {"key", "revoke"?: bool}
  POST /_sim/config  {"rate"?: r|null, "burst"?: b}     per-key token bucket
  POST /_sim/campaigns {"campaigns":[{id, name, archived?, languages?, pinned?}]} replace
  GET  /_sim/sends -> {"sends":[{test_id, campaign_id, candidate_email, candidate_name,
        recruiter_email, tags (the string sent), send_invitation_email, time_ms}]}
  GET  /_sim/tests -> {"tests":[..]}; GET /_sim/tests/ID (with "resends")
  POST /_sim/tests/ID {"status"?="completed", "score"?, "points"?, "total_points"?,
        "duration"?, "total_duration"?, "comparative_score"?, "technologies"?,
        "start_time"?, "end_time"?, "report"?, "callback"?: bool, "callback_body"?}
        completed fills end_time and report; callback POSTs callback_body (default
        {"test_id","status"}) to the registered webhook -> {"test", "callback"}
  GET  /_sim/webhook -> {"url": url|null}
  POST /_sim/faults {...}; GET, DELETE /_sim/faults  (see simcommon.py; also
        "status_after" / "drop_after": act, then answer the status / drop)
  GET  /_sim/stats; GET /_sim/requests (as in lever_sim.py)
"""
import copy, os, re, secrets, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simcommon import (ApiError, Handler, Sim, COMMON_ROUTES, bad, is_int, is_num,  # noqa: E402
                       now_ms, post_json, serve)

P = "/assessment/api/v1.1"
CAMPAIGNS = [{"id": 1, "name": "Java backend developer", "languages": ["Java"]},
             {"id": 2, "name": "Python data engineer", "languages": ["Python", "SQL"]},
             {"id": 3, "name": "Old C++ test", "languages": ["C++"], "archived": True}]
STATUSES = ("waiting", "in_progress", "completed", "aborted", "cancelled")
EMAIL = re.compile(r"[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]+")
URL = re.compile(r"https?://[^\s/?#]+[^\s]*")
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]"
       b"/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def invalid(msg):
    return bad(msg, "InvalidParameter")


def campaign(c):
    if not isinstance(c, dict) or not is_int(c.get("id")) or not isinstance(c.get("name"), str):
        raise bad("campaign needs an integer id and a name")
    return {"id": c["id"], "name": c["name"], "languages": list(c.get("languages", [])),
            "pinned": bool(c.get("pinned", False)), "archived": bool(c.get("archived", False))}


class CGSim(Sim):
    FAULT_ACTIONS = Sim.FAULT_ACTIONS + ("status_after", "drop_after")

    def reset(self):
        super().reset()
        self.campaigns = {c["id"]: campaign(c) for c in CAMPAIGNS}
        self.tests, self.sends, self.webhook, self.next_id = {}, [], None, 1001

    def test(self, tid):
        t = self.tests.get(int(tid)) if tid.isdigit() else None
        if t is None:
            raise ApiError(404, "NotFoundTestId", f"no test {tid}")
        return t


S = CGSim()


def test_view(t, sim=False):
    return {k: copy.deepcopy(v) for k, v in t.items() if sim or k != "resends"}


class CGHandler(Handler):
    sim, prefix, bad_code = S, P, "InvalidParameter"
    routes = [
        ("GET", P + "/campaigns", "campaigns"),
        ("POST", P + r"/campaigns/([^/]+)/actions/send", "send"),
        ("GET", P + "/tests", "tests_list"),
        ("GET", P + r"/tests/([^/]+)", "test_get"),
        ("DELETE", P + r"/tests/([^/]+)", "test_del"),
        ("GET", P + r"/tests/([^/]+)/report", "test_report"),
        ("POST", P + r"/tests/([^/]+)/actions/(cancel|resend)", "test_action"),
        ("GET", P + "/webhook", "wh_get"), ("POST", P + "/webhook", "wh_set"),
        ("DELETE", P + "/webhook", "wh_del"),
    ] + COMMON_ROUTES + [
        ("POST", "/_sim/campaigns", "sim_campaigns"),
        ("GET", "/_sim/sends", "sim_sends"),
        ("GET", "/_sim/tests", "sim_tests"),
        ("GET", r"/_sim/tests/([^/]+)", "sim_test_get"),
        ("POST", r"/_sim/tests/([^/]+)", "sim_test_set"),
        ("GET", "/_sim/webhook", "sim_webhook"),
    ]

    def authenticate(self):
        key = self.headers.get("API-Key")
        self.auth_kind = "api-key" if key is not None else "none"
        with S.lock:
            ok = key in S.keys
        if not ok:
            raise ApiError(401, "Unauthorized", "missing or invalid API-Key")
        if not S.admit("key:" + key):
            raise ApiError(429, "TooManyRequests", "rate limit exceeded")

    def campaigns(self):
        with S.lock:
            r = [dict(c, languages=list(c["languages"])) for c in S.campaigns.values()]
        self.send_json(200, r)

    def send(self, cid):
        b = self.json_obj()
        for k in ("candidate_email", "recruiter_email"):
            if k in b and not (isinstance(b[k], str) and EMAIL.fullmatch(b[k])):
                raise invalid(f"{k} is not an email address")
        if "candidate_name" in b:
            if not isinstance(b["candidate_name"], str):
                raise invalid("candidate_name must be a string")
            if len(b["candidate_name"]) > 100:
                raise bad("candidate_name is longer than 100 characters", "CandidateNameTooLong")
        if "tags" in b and not isinstance(b["tags"], str):
            raise invalid("tags must be ONE comma-separated string")
        for k in ("send_invitation_email", "send_notification_email_on_bounce"):
            if k in b and not isinstance(b[k], bool):
                raise invalid(f"{k} must be a boolean")
        t0 = now_ms()
        with S.lock:
            c = S.campaigns.get(int(cid)) if cid.isdigit() else None
            if c is None or c["archived"]:
                raise bad(f"campaign {cid} does not exist or is archived", "InvalidCampaignId")
            tid, S.next_id = S.next_id, S.next_id + 1
            test_url = f"https://www.codingame.com/evaluate/?id={secrets.token_hex(20)}"
            S.tests[tid] = {
                "id": tid, "campaign_id": c["id"], "status": "waiting",
                "candidate_name": b.get("candidate_name"), "candidate_email": b.get("candidate_email"),
                "recruiter_email": b.get("recruiter_email"),
                "tags": [x.strip() for x in b.get("tags", "").split(",") if x.strip()],
                "send_time": t0, "start_time": None, "end_time": None,
                "url": f"https://www.codingame.com/work/assessments/tests/{tid}/report",
                "test_url": test_url, "resends": 0}
            S.sends.append({"test_id": tid, "campaign_id": c["id"], "time_ms": t0,
                            "candidate_email": b.get("candidate_email"),
                            "candidate_name": b.get("candidate_name"),
                            "recruiter_email": b.get("recruiter_email"), "tags": b.get("tags"),
                            "send_invitation_email": b.get("send_invitation_email")})
        self.send_json(200, {"id": tid, "test_url": test_url})

    def tests_list(self):
        cid = self.q_int("campaignId", 0, 2 ** 53, None)
        email, status, tag = self.q("candidateEmail"), self.q("status"), self.q("tag")
        frm, to = self.q_int("from", 0, 2 ** 53, None), self.q_int("to", 0, 2 ** 53, None)
        start, limit = self.q_int("start", 0, 2 ** 31, 0), self.q_int("limit", 1, 50, 50)
        if status is not None and status not in STATUSES:
            raise invalid(f"status must be one of {', '.join(STATUSES)}")
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
        with S.lock:
            r = test_view(S.test(tid))
        self.send_json(200, r)

    def test_del(self, tid):
        with S.lock:
            del S.tests[S.test(tid)["id"]]
        self.send_json(204)

    def test_report(self, tid):
        if self.q("report_type") not in (None, "full", "simplified"):
            raise invalid("report_type must be full or simplified")
        with S.lock:
            done = S.test(tid)["status"] == "completed"
        if not done:
            raise bad(f"test {tid} is not completed", "InvalidTestId")
        self.send_json(200, raw=PDF, ctype="application/pdf")

    def test_action(self, tid, action):
        with S.lock:
            t = S.test(tid)
            if t["status"] != "waiting":
                raise bad(f"test {tid} is {t['status']}, not waiting", "InvalidTestId")
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
        if not isinstance(url, str) or not URL.fullmatch(url):
            raise invalid("body must be a JSON string holding an http(s) URL")
        with S.lock:
            S.webhook = url
        self.send_json(204)

    def wh_del(self):
        with S.lock:
            S.webhook = None
        self.send_json(204)

    # -- control API --
    def sim_campaigns(self):
        cs = self.json_obj(False).get("campaigns")
        if not isinstance(cs, list):
            raise bad("campaigns must be a list")
        cs = [campaign(c) for c in cs]
        with S.lock:
            S.campaigns = {c["id"]: c for c in cs}
        self.send_json(200, {"ok": True})

    def sim_sends(self):
        with S.lock:
            r = copy.deepcopy(S.sends)
        self.send_json(200, {"sends": r})

    def sim_tests(self):
        with S.lock:
            r = [test_view(t, True) for _, t in sorted(S.tests.items())]
        self.send_json(200, {"tests": r})

    def sim_test_get(self, tid):
        with S.lock:
            r = test_view(S.test(tid), True)
        self.send_json(200, r)

    def sim_test_set(self, tid):
        b = self.json_obj(False)
        st = b.get("status", "completed")
        if st not in STATUSES:
            raise bad(f"status must be one of {', '.join(STATUSES)}")
        for k in ("score", "points", "total_points", "duration", "total_duration", "comparative_score"):
            if k in b and not is_num(b[k]):
                raise bad(f"{k} must be a number")
        now = now_ms()
        with S.lock:
            t = S.test(tid)
            t["status"] = st
            dur = b.get("duration", 1500000)
            if st != "waiting" and t["start_time"] is None:
                t["start_time"] = now if st == "in_progress" else now - int(dur)
            if st in ("completed", "aborted"):
                t["end_time"] = now
            if st == "completed":
                score, total = b.get("score", 100.0), b.get("total_points", 400)
                pts = b.get("points", round(total * score / 100))
                langs = S.campaigns[t["campaign_id"]]["languages"] if t["campaign_id"] in S.campaigns else []
                tech = {"score": score, "points": pts, "total_points": total}
                t["report"] = {
                    "score": score, "points": pts, "total_points": total, "duration": dur,
                    "total_duration": b.get("total_duration", 3600000),
                    "comparative_score": b.get("comparative_score", 50.0),
                    "technologies": b.get("technologies") or {
                        lang: dict(tech, skills={"Problem solving": dict(tech)}) for lang in langs[:1] or ["Java"]}}
            for k in ("start_time", "end_time", "report"):
                if k in b:
                    t[k] = b[k]
            view, url = test_view(t, True), S.webhook if b.get("callback") else None
        cb = None
        if b.get("callback"):
            if url is None:
                cb = {"status": 0, "body": "no webhook registered", "elapsed_ms": 0}
            else:
                s, text, ms = post_json(url, b.get("callback_body", {"test_id": t["id"], "status": st}))
                cb = {"status": s, "body": text, "elapsed_ms": ms}
        self.send_json(200, {"test": view, "callback": cb})

    def sim_webhook(self):
        with S.lock:
            url = S.webhook
        self.send_json(200, {"url": url})


if __name__ == "__main__":
    serve(CGHandler, "CodinGame assessment API simulator")

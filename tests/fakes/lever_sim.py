#!/usr/bin/env python3
"""Strict Lever API simulator (/v1) for cglever tests; stdlib only. See API-NOTES.md.

  python3 lever_sim.py --port P [--host 127.0.0.1] [--verbose]   (prints "listening on HOST:PORT")
Auth: Basic (API key, EMPTY password) or Bearer token, else 401. 10 req/s, burst 20 per
key/token, else 429. Lists {"data","hasNext","next" (only when hasNext)}; limit 1..100;
offset only as issued (else 400). Endpoints: GET opportunities/:id[?expand=stage],
POST opportunities/:id/notes, PUT|DELETE .../notes/:noteId, POST .../addTags|removeTags,
PUT .../stage, GET stages|tags|users, GET|POST webhooks, DELETE webhooks/:id.

Control API (no auth; JSON; any Content-Type; empty body = {}):
  POST /_sim/reset     forget all; re-seed stages stage-applied, -screen, -onsite, -offer,
                       -hired and user user-admin
  POST /_sim/keys {"key","revoke"?}; POST /_sim/tokens {"token","expires_in"?,"revoke"?}
  POST /_sim/config {"page_size": N}   max items per list page (default 100)
  POST /_sim/opportunities {"id"?,"name","emails","tags","stage","archived": bool|obj,
       "contact",..} create/replace -> {"id"}; POST /_sim/opportunities/ID {partial};
       GET /_sim/opportunities/ID
  POST /_sim/stages {"stages":[{"id","text"}]}        replace
  GET  /_sim/notes[?opportunity=ID] -> {"notes":[{opportunity,noteId,value,secret,score,
       notifyFollowers,createdAt,performAs,updated}]}
  GET  /_sim/webhooks -> [webhooks, with configuration.signatureToken]
  POST /_sim/deliver {"url","event"?=candidateStageChange,"opportunityId","toStageId"?
       (default: its stage),"fromStageId"?,"signatureToken"? (default: the webhook's for
       url+event),"token"?,"triggeredAt"?,"data"?,"badSignature"?,"omitId"?}
       -> {"status" (0: no connection),"body","payload","elapsed_ms"}
  POST|DELETE /_sim/faults (see simcommon.py); GET /_sim/stats -> {"requests",
       "by_status","rate_limited","max_1s","max_10s_avg"}; GET /_sim/requests -> [{method,
       path,query,status,auth_kind,time_ms}]
"""
import base64, collections, copy, hashlib, hmac, json, os, secrets, sys, time, urllib.parse

sys.dont_write_bytecode = True          # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simcommon import (ApiError, Handler, Sim, COMMON_ROUTES, bad, need, is_int, new_uuid,  # noqa: E402
                       now_ms, post_json, rand_token, serve)

STAGES = [("stage-applied", "Applied"), ("stage-screen", "Phone screen"),
          ("stage-onsite", "On-site interview"), ("stage-offer", "Offer"), ("stage-hired", "Hired")]
USER = {"id": "user-admin", "name": "Ada Admin", "username": "ada", "email": "ada@example.com",
        "accessRole": "super admin", "photo": None, "createdAt": 1577836800000,
        "deactivatedAt": None, "externalDirectoryId": None}
EVENTS = ("applicationCreated", "candidateHired", "candidateStageChange", "candidateArchiveChange",
          "candidateDeleted", "interviewCreated", "interviewUpdated", "interviewDeleted",
          "contactCreated", "contactUpdated")
ORIGINS = ("agency", "applied", "internal", "referred", "sourced", "university")
EXPANDS = ("applications", "stage", "owner", "followers", "sourcedBy", "contact")
ID = r"([^/]+)"

def not_found(what):
    return ApiError(404, "ResourceNotFound", f"{what} not found")

def valid_url(u):
    try:
        p = urllib.parse.urlsplit(u)
        p.port
    except ValueError:
        return False
    if not p.hostname or any(c.isspace() for c in u):
        return False
    return p.scheme == "https" or (p.scheme == "http" and p.hostname in ("127.0.0.1", "localhost", "::1"))

def str_list(v):
    return isinstance(v, list) and all(isinstance(x, str) and x for x in v)

class LeverSim(Sim):
    RATE, BURST = 10, 20

    def reset(self):
        super().reset()
        self.tokens, self.opps, self.notes, self.webhooks, self.offsets = {}, {}, {}, {}, {}
        self.stages = [{"id": i, "text": t} for i, t in STAGES]
        self.users = [dict(USER)]
        self.page_size = 100

    def stage_text(self, sid):
        return next((s["text"] for s in self.stages if s["id"] == sid), None)

    def apply_opp(self, o, b):
        for k, v in b.items():
            if k == "archived":
                if v is True:
                    v = {"archivedAt": now_ms(), "reason": "archive-reason-other"}
                elif v is False:
                    v = None
                elif v is not None and not isinstance(v, dict):
                    raise bad("archived must be a bool, null or an object")
            elif k in ("emails", "tags", "phones", "followers"):
                need(str_list(v), f"{k} must be a list of strings")
            elif k == "stage":
                need(v is None or self.stage_text(v) is not None, f"unknown stage {v!r}")
            elif k in ("createdAt", "lastAdvancedAt", "lastInteractionAt"):
                need(is_int(v), f"{k} must be ms")
            elif k in ("id", "name", "contact", "confidentiality", "headline", "origin", "owner"):
                need(isinstance(v, str) and (k != "id" or v and "/" not in v), f"{k} must be a string")
            else:
                raise bad(f"unknown opportunity field {k!r}")
            o[k] = v
        o["updatedAt"] = now_ms()

    def new_opp(self):
        t = now_ms()
        return {"id": new_uuid(), "name": "", "headline": "", "contact": new_uuid(), "emails": [],
                "phones": [], "tags": [], "stage": self.stages[0]["id"] if self.stages else None,
                "confidentiality": "non-confidential", "location": "", "origin": "applied",
                "sources": [], "owner": USER["id"], "followers": [], "applications": [],
                "archived": None, "isAnonymized": False, "dataProtection": None,
                "createdAt": t, "updatedAt": t, "lastInteractionAt": t, "lastAdvancedAt": t,
                "snoozedUntil": None}

    def opp_view(self, o, expand=False):
        d = copy.deepcopy(o)
        if expand and o["stage"] is not None:
            d["stage"] = {"id": o["stage"], "text": self.stage_text(o["stage"]) or ""}
        d["urls"] = {"list": "https://hire.lever.co/candidates",
                     "show": f"https://hire.lever.co/candidates/{o['id']}"}
        return d

    def opp(self, oid):
        if oid not in self.opps:
            raise not_found(f"opportunity {oid}")
        return self.opps[oid]

S = LeverSim()

def wh_view(w, secret):
    d = copy.deepcopy(w)
    if not secret:
        d["configuration"].pop("signatureToken", None)
    return d

class LeverHandler(Handler):
    sim, prefix, not_found_code = S, "/v1", "ResourceNotFound"
    O = r"/v1/opportunities/" + ID
    routes = [
        ("GET", O, "opp_get"), ("POST", O + "/notes", "note_add"), ("PUT", O + "/notes/" + ID, "note_put"),
        ("DELETE", O + "/notes/" + ID, "note_del"), ("POST", O + "/(addTags|removeTags)", "opp_tags"),
        ("PUT", O + "/stage", "opp_stage"),
        ("GET", r"/v1/stages", "stages"), ("GET", r"/v1/tags", "tags"), ("GET", r"/v1/users", "users"),
        ("GET", r"/v1/webhooks", "wh_list"), ("POST", r"/v1/webhooks", "wh_add"),
        ("DELETE", r"/v1/webhooks/" + ID, "wh_del"),
    ] + COMMON_ROUTES + [
        ("POST", r"/_sim/tokens", "sim_tokens"), ("POST", r"/_sim/stages", "sim_stages"),
        ("POST", r"/_sim/config", "sim_config"), ("POST", r"/_sim/opportunities", "sim_opp_put"),
        ("GET", r"/_sim/opportunities/" + ID, "sim_opp_get"),
        ("POST", r"/_sim/opportunities/" + ID, "sim_opp_put"),
        ("GET", r"/_sim/notes", "sim_notes"), ("GET", r"/_sim/webhooks", "sim_webhooks"),
        ("POST", r"/_sim/deliver", "sim_deliver"),
    ]

    def authenticate(self):
        scheme, _, cred = self.headers.get("Authorization", "").strip().partition(" ")
        scheme, cred, who = scheme.lower(), cred.strip(), None
        with S.lock:
            if scheme == "basic":
                self.auth_kind = "basic"
                try:
                    user, sep, pw = base64.b64decode(cred, validate=True).decode().partition(":")
                except ValueError:
                    user = sep = pw = ""
                if sep and not pw and user in S.keys:
                    who = "key:" + user
            elif scheme == "bearer":
                self.auth_kind = "bearer"
                if cred in S.tokens and (S.tokens[cred] is None or S.tokens[cred] > time.time()):
                    who = "token:" + cred
        if not who:
            raise ApiError(401, "Unauthorized", "missing, invalid or expired credentials")
        if not S.admit(who):
            raise ApiError(429, "TooManyRequests", "rate limit exceeded (10 requests/s, burst 20)")

    def page(self, kind, items):
        """Caller holds the lock."""
        n = min(self.q_int("limit", 1, 100, 100), S.page_size)
        off = self.q("offset")
        start = 0
        if off is not None:
            cur = S.offsets.get(off)
            need(cur and cur[0] == kind, "invalid offset")
            start = cur[1]
        res = {"data": items[start:start + n], "hasNext": start + n < len(items)}
        if res["hasNext"]:
            cur = json.dumps({"k": kind, "i": start + n, "r": secrets.token_hex(6)}).encode()
            tok = base64.urlsafe_b64encode(cur).decode().rstrip("=")
            S.offsets[tok] = (kind, start + n)
            res["next"] = tok
        return res

    def perform_as(self):
        u = self.q("perform_as")
        need(u is None or any(x["id"] == u and not x["deactivatedAt"] for x in S.users),
             f"perform_as: unknown user {u!r}")
        return u

    def opp_get(self, oid):
        ex = [e for v in self.query.get("expand", []) for e in v.split(",")]
        need(all(e in EXPANDS for e in ex), "invalid expand")
        self.locked(lambda: {"data": S.opp_view(S.opp(oid), "stage" in ex)})

    def note_fields(self, b):
        need(isinstance(b, dict), "body must be a JSON object")
        v = b.get("value")
        need(isinstance(v, str) and v.strip(), "value is required and must be a non-empty string")
        for k in ("secret", "notifyFollowers"):
            need(k not in b or isinstance(b[k], bool), f"{k} must be a boolean")
        need("score" not in b or is_int(b["score"]) and 1 <= b["score"] <= 4, "score must be an integer 1..4")
        need("createdAt" not in b or is_int(b["createdAt"]) and 0 <= b["createdAt"] <= now_ms(),
             "createdAt must be a ms timestamp not in the future")
        return {"value": v, "secret": b.get("secret", False), "score": b.get("score"),
                "notifyFollowers": b.get("notifyFollowers", False),
                "createdAt": b.get("createdAt", now_ms())}

    def note_add(self, oid):
        b = self.json_body()
        with S.lock:
            S.opp(oid)
            n = self.note_fields(b)
            n.update(opportunity=oid, noteId=new_uuid(), performAs=self.perform_as(), updated=False)
            S.notes.setdefault(oid, []).append(n)
        self.send_json(201, {"data": {"noteId": n["noteId"]}})

    def find_note(self, oid, nid):
        S.opp(oid)
        n = next((n for n in S.notes.get(oid, []) if n["noteId"] == nid), None)
        if not n:
            raise not_found(f"note {nid}")
        return n

    def note_put(self, oid, nid):
        b = self.json_body()
        with S.lock:
            n, f = self.find_note(oid, nid), self.note_fields(b)
            if "createdAt" not in b:
                del f["createdAt"]
            n.update(f, updated=True)
        self.send_json(200, {"data": {"noteId": nid}})

    def note_del(self, oid, nid):
        self.locked(lambda: S.notes[oid].remove(self.find_note(oid, nid)), 204)

    def opp_tags(self, oid, op):
        b = self.json_obj()
        need(str_list(b.get("tags")), "tags must be a list of non-empty strings")
        with S.lock:
            o = S.opp(oid)
            self.perform_as()
            if op == "addTags":
                o["tags"] += [t for t in dict.fromkeys(b["tags"]) if t not in o["tags"]]
            else:
                o["tags"] = [t for t in o["tags"] if t not in b["tags"]]
            o["updatedAt"] = now_ms()
            d = S.opp_view(o)
        self.send_json(200, {"data": d})

    def opp_stage(self, oid):
        b = self.json_obj()
        with S.lock:
            o = S.opp(oid)
            self.perform_as()
            need(isinstance(b.get("stage"), str) and S.stage_text(b["stage"]) is not None,
                 f"unknown stage {b.get('stage')!r}")
            o["stage"] = b["stage"]
            o["updatedAt"] = o["lastAdvancedAt"] = now_ms()
            d = S.opp_view(o)
        self.send_json(200, {"data": d})

    def stages(self):
        self.locked(lambda: self.page("stages", copy.deepcopy(S.stages)))

    def tags(self):
        def tags():
            c = collections.Counter(t for o in S.opps.values() for t in o["tags"])
            return self.page("tags", [{"text": t, "count": n} for t, n in sorted(c.items())])
        self.locked(tags)

    def users(self):
        self.locked(lambda: self.page("users", copy.deepcopy(S.users)))

    def wh_list(self):
        self.locked(lambda: self.page("webhooks", [wh_view(w, False) for w in S.webhooks.values()]))

    def wh_add(self):
        b = self.json_obj()
        url, ev, conf = b.get("url"), b.get("event"), b.get("configuration")
        need(isinstance(url, str) and valid_url(url), "url must be an https URL")
        need(ev in EVENTS, f"event must be one of {', '.join(EVENTS)}")
        need(conf is None or isinstance(conf, dict), "configuration must be an object")
        conds = (conf or {}).get("conditions")
        need(conds is None or isinstance(conds, dict), "configuration.conditions must be an object")
        origins = (conds or {}).get("origins")
        need(origins is None or str_list(origins) and set(origins) <= set(ORIGINS),
             f"configuration.conditions.origins must be a list of {', '.join(ORIGINS)}")
        t = now_ms()
        c = {"conditions": conds} if conds is not None else {}
        c["signatureToken"] = rand_token(48)
        w = {"id": new_uuid(), "event": ev, "url": url, "configuration": c, "createdAt": t, "updatedAt": t}
        self.locked(lambda: S.webhooks.update({w["id"]: w}) or {"data": {"data": wh_view(w, True)}}, 201)

    def wh_del(self, wid):
        with S.lock:
            if S.webhooks.pop(wid, None) is None:
                raise not_found(f"webhook {wid}")
        self.send_json(204)

    # -- control API --
    def sim_tokens(self):
        b = self.json_obj(False)
        tok, exp = b.get("token"), b.get("expires_in")
        need(isinstance(tok, str) and tok and (exp is None or is_int(exp)),
             "token must be a non-empty string, expires_in seconds")
        with S.lock:
            if b.get("revoke"):
                S.tokens.pop(tok, None)
            else:
                S.tokens[tok] = None if exp is None else time.time() + exp
        self.send_json(200, {"ok": True})

    def sim_config(self):
        v = self.json_obj(False).get("page_size")
        need(is_int(v) and 1 <= v <= 100, "page_size must be 1..100")
        self.locked(lambda: setattr(S, "page_size", v) or {"ok": True})

    def sim_opp_get(self, oid):
        self.locked(lambda: S.opp_view(S.opp(oid)))

    def sim_opp_put(self, oid=None):
        b = self.json_obj(False)
        with S.lock:
            if oid is None:
                o = S.new_opp()
                S.apply_opp(o, b)
            else:
                o = copy.deepcopy(S.opp(oid))
                S.apply_opp(o, b)
                if o["id"] != oid:
                    del S.opps[oid]
            S.opps[o["id"]] = o
        self.send_json(200, {"id": o["id"]})

    def sim_stages(self):
        st = self.json_obj(False).get("stages")
        need(isinstance(st, list) and all(isinstance(s, dict) and isinstance(s.get("id"), str) and s["id"]
             and "/" not in s["id"] and isinstance(s.get("text"), str) for s in st),
             "stages must be a list of {id, text}")
        self.locked(lambda: setattr(S, "stages", [{"id": s["id"], "text": s["text"]} for s in st]) or {"ok": True})

    def sim_notes(self):
        oid = self.q("opportunity")
        self.locked(lambda: {"notes": [copy.deepcopy(n) for k, v in S.notes.items() if oid in (None, k) for n in v]})

    def sim_webhooks(self):
        self.locked(lambda: [wh_view(w, True) for w in S.webhooks.values()])

    def sim_deliver(self):
        b = self.json_obj(False)
        url, ev = b.get("url"), b.get("event", "candidateStageChange")
        oid = b.get("opportunityId")
        need(isinstance(url, str) and isinstance(ev, str), "url and event must be strings")
        need("data" in b or isinstance(oid, str), "opportunityId is required unless data is given")
        with S.lock:
            key = b.get("signatureToken")
            if key is None:
                hooks = [w for w in S.webhooks.values() if w["url"] == url and w["event"] == ev]
                need(hooks, f"no webhook registered for {url} / {ev}; pass signatureToken")
                key = hooks[-1]["configuration"]["signatureToken"]
            o = S.opps.get(oid)
            contact, stage = (o["contact"], o["stage"]) if o else (new_uuid(), None)
        data = b.get("data")
        if "data" not in b:
            data = {"opportunityId": oid, "candidateId": oid, "contactId": contact}
            if ev == "candidateStageChange":
                data.update(fromStageId=b.get("fromStageId"), toStageId=b.get("toStageId", stage))
        token, trig = b.get("token", rand_token(48)), b.get("triggeredAt", now_ms())
        need(isinstance(key, str) and isinstance(token, str) and is_int(trig),
             "signatureToken and token must be strings, triggeredAt ms")
        sig = hmac.new(key.encode(), (token + str(trig)).encode(), hashlib.sha256).hexdigest()
        if b.get("badSignature"):
            sig = sig[:-1] + ("1" if sig[-1] == "0" else "0")
        env = {"id": new_uuid(), "event": ev, "triggeredAt": trig, "token": token,
               "signature": sig, "data": data}
        if b.get("omitId"):
            del env["id"]
        status, text, ms = post_json(url, env, {"User-Agent": "Lever-Webhooks"})
        self.send_json(200, {"status": status, "body": text, "payload": env, "elapsed_ms": ms})

if __name__ == "__main__":
    serve(LeverHandler, "Lever API simulator")

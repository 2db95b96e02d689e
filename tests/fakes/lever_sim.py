#!/usr/bin/env python3
"""Strict simulator of Lever's API (/v1) for cglever tests. Standard library only.

  python3 lever_sim.py --port P [--host 127.0.0.1] [--verbose]
Prints "listening on HOST:PORT" once bound (--port 0: the actual port).

API (per /work/shared/API-NOTES.md): auth on every /v1 request, HTTP Basic
(API key as user name, EMPTY password) or "Bearer <token>"; 401 otherwise.
Token bucket per key/token: 10 req/s, burst 20, then 429. Errors are
{"code","message"}. Lists are {"data","hasNext"[,"next"]} ("next" only when
hasNext), limit 1..100, offset only as issued by the server (else 400).
Endpoints: GET opportunities/:id[?expand=stage]; GET/POST opportunities/:id/notes;
GET/PUT/DELETE opportunities/:id/notes/:noteId; POST opportunities/:id/addTags
and /removeTags; PUT opportunities/:id/stage; GET stages[/:id], tags, users[/:id];
GET/POST webhooks, DELETE webhooks/:id. Unknown route 404, wrong method 405.

Control API (no auth; JSON in/out, any Content-Type, empty body = {}):
  POST /_sim/reset            forget everything, re-seed default stages and user
  POST /_sim/keys    {"key", "revoke"?: bool}                     API keys (Basic)
  POST /_sim/tokens  {"token", "expires_in"?: s, "revoke"?: bool} bearer tokens
  POST /_sim/config  {"page_size"?: N (max items per page, default 100),
                      "rate"?: r|null, "burst"?: b}               (null: no limit)
  POST /_sim/opportunities {"id"?, "name", "emails", "tags", "stage",
        "archived": bool|null|{archivedAt,reason}, "contact", ...} create or
        replace -> {"id"}; POST /_sim/opportunities/ID {partial} updates;
        GET /_sim/opportunities -> [..]; GET /_sim/opportunities/ID -> {..}
  POST /_sim/stages {"stages":[{"id","text"}]}   replace (seeded: stage-applied,
        stage-screen, stage-onsite, stage-offer, stage-hired); user: user-admin
  GET  /_sim/notes[?opportunity=ID] -> {"notes":[{opportunity, noteId, value,
        secret, score, notifyFollowers, createdAt, performAs, updated}]}
  GET  /_sim/webhooks -> [webhook with configuration.signatureToken]
  POST /_sim/deliver {"url", "event"?="candidateStageChange", "opportunityId",
        "toStageId"? (default: the opp's stage), "fromStageId"?,
        "signatureToken"? (default: the webhook registered for url+event),
        "token"?, "triggeredAt"?, "data"?, "badSignature"?, "omitId"?}
        -> {"status" (0: no connection), "body", "payload", "elapsed_ms"}
  POST /_sim/faults {...}; GET, DELETE /_sim/faults      (see simcommon.py)
  GET  /_sim/stats -> {"requests","by_status","rate_limited","max_1s","max_10s_avg"}
  GET  /_sim/requests -> [{method, path, query, status, auth_kind, time_ms}]
"""
import base64, collections, copy, hashlib, hmac, json, os, secrets, sys, time, urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simcommon import (ApiError, Handler, Sim, COMMON_ROUTES, bad, is_int, new_uuid,  # noqa: E402
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

    def configure(self, b):
        if "page_size" in b:
            v = b.pop("page_size")
            if not is_int(v) or not 1 <= v <= 100:
                raise bad("page_size must be 1..100")
            self.page_size = v
        super().configure(b)

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
                if not str_list(v):
                    raise bad(f"{k} must be a list of strings")
            elif k == "stage":
                if v is not None and self.stage_text(v) is None:
                    raise bad(f"unknown stage {v!r}")
            elif k in ("createdAt", "lastAdvancedAt", "lastInteractionAt"):
                if not is_int(v):
                    raise bad(f"{k} must be ms")
            elif k in ("id", "name", "contact", "confidentiality", "headline", "origin", "owner"):
                if not isinstance(v, str) or (k == "id" and (not v or "/" in v)):
                    raise bad(f"{k} must be a string")
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


def note_view(n):
    return {"id": n["noteId"], "text": n["value"], "title": None, "user": n["performAs"] or USER["id"],
            "secret": n["secret"], "score": n["score"], "completedAt": n["createdAt"],
            "createdAt": n["createdAt"], "deletedAt": None,
            "fields": [{"type": "note", "text": "note", "value": n["value"]}]}


def wh_view(w, secret):
    d = copy.deepcopy(w)
    if not secret:
        d["configuration"].pop("signatureToken", None)
    return d


class LeverHandler(Handler):
    sim, prefix, not_found_code = S, "/v1", "ResourceNotFound"
    routes = [
        ("GET", r"/v1/opportunities/" + ID, "opp_get"),
        ("GET", r"/v1/opportunities/" + ID + "/notes", "notes_list"),
        ("POST", r"/v1/opportunities/" + ID + "/notes", "note_add"),
        ("GET", r"/v1/opportunities/" + ID + "/notes/" + ID, "note_get"),
        ("PUT", r"/v1/opportunities/" + ID + "/notes/" + ID, "note_put"),
        ("DELETE", r"/v1/opportunities/" + ID + "/notes/" + ID, "note_del"),
        ("POST", r"/v1/opportunities/" + ID + "/(addTags|removeTags)", "opp_tags"),
        ("PUT", r"/v1/opportunities/" + ID + "/stage", "opp_stage"),
        ("GET", r"/v1/stages", "stages"), ("GET", r"/v1/stages/" + ID, "stage_get"),
        ("GET", r"/v1/tags", "tags"),
        ("GET", r"/v1/users", "users"), ("GET", r"/v1/users/" + ID, "user_get"),
        ("GET", r"/v1/webhooks", "wh_list"), ("POST", r"/v1/webhooks", "wh_add"),
        ("DELETE", r"/v1/webhooks/" + ID, "wh_del"),
    ] + COMMON_ROUTES + [
        ("POST", r"/_sim/tokens", "sim_tokens"),
        ("GET", r"/_sim/opportunities", "sim_opps"),
        ("POST", r"/_sim/opportunities", "sim_opp_put"),
        ("GET", r"/_sim/opportunities/" + ID, "sim_opp_get"),
        ("POST", r"/_sim/opportunities/" + ID, "sim_opp_put"),
        ("POST", r"/_sim/stages", "sim_stages"),
        ("GET", r"/_sim/notes", "sim_notes"),
        ("GET", r"/_sim/webhooks", "sim_webhooks"),
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
            if not cur or cur[0] != kind:
                raise bad("invalid offset")
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
        if u is not None and not any(x["id"] == u and not x["deactivatedAt"] for x in S.users):
            raise bad(f"perform_as: unknown user {u!r}")
        return u

    def opp_get(self, oid):
        ex = [e for v in self.query.get("expand", []) for e in v.split(",")]
        if any(e not in EXPANDS for e in ex):
            raise bad("invalid expand")
        with S.lock:
            d = S.opp_view(S.opp(oid), "stage" in ex)
        self.send_json(200, {"data": d})

    def note_fields(self, b):
        if not isinstance(b, dict):
            raise bad("body must be a JSON object")
        v = b.get("value")
        if not isinstance(v, str) or not v.strip():
            raise bad("value is required and must be a non-empty string")
        for k in ("secret", "notifyFollowers"):
            if k in b and not isinstance(b[k], bool):
                raise bad(f"{k} must be a boolean")
        if "score" in b and not (is_int(b["score"]) and 1 <= b["score"] <= 4):
            raise bad("score must be an integer 1..4")
        if "createdAt" in b and not (is_int(b["createdAt"]) and 0 <= b["createdAt"] <= now_ms()):
            raise bad("createdAt must be a ms timestamp not in the future")
        return {"value": v, "secret": b.get("secret", False), "score": b.get("score"),
                "notifyFollowers": b.get("notifyFollowers", False),
                "createdAt": b.get("createdAt", now_ms())}

    def notes_list(self, oid):
        with S.lock:
            S.opp(oid)
            r = self.page("notes:" + oid, [note_view(n) for n in S.notes.get(oid, [])])
        self.send_json(200, r)

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

    def note_get(self, oid, nid):
        with S.lock:
            d = note_view(self.find_note(oid, nid))
        self.send_json(200, {"data": d})

    def note_put(self, oid, nid):
        b = self.json_body()
        with S.lock:
            n, f = self.find_note(oid, nid), self.note_fields(b)
            if "createdAt" not in b:
                del f["createdAt"]
            n.update(f, updated=True)
        self.send_json(200, {"data": {"noteId": nid}})

    def note_del(self, oid, nid):
        with S.lock:
            S.notes[oid].remove(self.find_note(oid, nid))
        self.send_json(204)

    def opp_tags(self, oid, op):
        b = self.json_obj()
        if not str_list(b.get("tags")):
            raise bad("tags must be a list of non-empty strings")
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
            if not isinstance(b.get("stage"), str) or S.stage_text(b["stage"]) is None:
                raise bad(f"unknown stage {b.get('stage')!r}")
            o["stage"] = b["stage"]
            o["updatedAt"] = o["lastAdvancedAt"] = now_ms()
            d = S.opp_view(o)
        self.send_json(200, {"data": d})

    def stages(self):
        with S.lock:
            r = self.page("stages", copy.deepcopy(S.stages))
        self.send_json(200, r)

    def stage_get(self, sid):
        with S.lock:
            text = S.stage_text(sid)
        if text is None:
            raise not_found(f"stage {sid}")
        self.send_json(200, {"data": {"id": sid, "text": text}})

    def tags(self):
        with S.lock:
            c = collections.Counter(t for o in S.opps.values() for t in o["tags"])
            r = self.page("tags", [{"text": t, "count": c[t]} for t in sorted(c)])
        self.send_json(200, r)

    def users(self):
        with S.lock:
            r = self.page("users", copy.deepcopy(S.users))
        self.send_json(200, r)

    def user_get(self, uid):
        with S.lock:
            u = next((copy.deepcopy(u) for u in S.users if u["id"] == uid), None)
        if not u:
            raise not_found(f"user {uid}")
        self.send_json(200, {"data": u})

    def wh_list(self):
        with S.lock:
            r = self.page("webhooks", [wh_view(w, False) for w in S.webhooks.values()])
        self.send_json(200, r)

    def wh_add(self):
        b = self.json_obj()
        url, ev, conf = b.get("url"), b.get("event"), b.get("configuration")
        if not isinstance(url, str) or not valid_url(url):
            raise bad("url must be an https URL")
        if ev not in EVENTS:
            raise bad(f"event must be one of {', '.join(EVENTS)}")
        if conf is not None and not isinstance(conf, dict):
            raise bad("configuration must be an object")
        conds = (conf or {}).get("conditions")
        if conds is not None and not isinstance(conds, dict):
            raise bad("configuration.conditions must be an object")
        origins = (conds or {}).get("origins")
        if origins is not None and not (str_list(origins) and set(origins) <= set(ORIGINS)):
            raise bad(f"configuration.conditions.origins must be a list of {', '.join(ORIGINS)}")
        t = now_ms()
        c = {"conditions": conds} if conds is not None else {}
        c["signatureToken"] = rand_token(48)
        w = {"id": new_uuid(), "event": ev, "url": url, "configuration": c, "createdAt": t, "updatedAt": t}
        with S.lock:
            S.webhooks[w["id"]] = w
            d = wh_view(w, True)
        self.send_json(201, {"data": {"data": d}})

    def wh_del(self, wid):
        with S.lock:
            if S.webhooks.pop(wid, None) is None:
                raise not_found(f"webhook {wid}")
        self.send_json(204)

    # -- control API --
    def sim_tokens(self):
        b = self.json_obj(False)
        tok, exp = b.get("token"), b.get("expires_in")
        if not isinstance(tok, str) or not tok or (exp is not None and not is_int(exp)):
            raise bad("token must be a non-empty string, expires_in seconds")
        with S.lock:
            if b.get("revoke"):
                S.tokens.pop(tok, None)
            else:
                S.tokens[tok] = None if exp is None else time.time() + exp
        self.send_json(200, {"ok": True})

    def sim_opps(self):
        with S.lock:
            r = [S.opp_view(o) for o in S.opps.values()]
        self.send_json(200, r)

    def sim_opp_get(self, oid):
        with S.lock:
            r = S.opp_view(S.opp(oid))
        self.send_json(200, r)

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
        if not isinstance(st, list) or not all(
                isinstance(s, dict) and isinstance(s.get("id"), str) and s["id"] and "/" not in s["id"]
                and isinstance(s.get("text"), str) for s in st):
            raise bad("stages must be a list of {id, text}")
        with S.lock:
            S.stages = [{"id": s["id"], "text": s["text"]} for s in st]
        self.send_json(200, {"ok": True})

    def sim_notes(self):
        oid = self.q("opportunity")
        with S.lock:
            ns = [copy.deepcopy(n) for k, v in S.notes.items() if oid in (None, k) for n in v]
        self.send_json(200, {"notes": ns})

    def sim_webhooks(self):
        with S.lock:
            r = [wh_view(w, True) for w in S.webhooks.values()]
        self.send_json(200, r)

    def sim_deliver(self):
        b = self.json_obj(False)
        url, ev = b.get("url"), b.get("event", "candidateStageChange")
        oid = b.get("opportunityId")
        if not isinstance(url, str) or not isinstance(ev, str):
            raise bad("url and event must be strings")
        if "data" not in b and not isinstance(oid, str):
            raise bad("opportunityId is required unless data is given")
        with S.lock:
            key = b.get("signatureToken")
            if key is None:
                hooks = [w for w in S.webhooks.values() if w["url"] == url and w["event"] == ev]
                if not hooks:
                    raise bad(f"no webhook registered for {url} / {ev}; pass signatureToken")
                key = hooks[-1]["configuration"]["signatureToken"]
            o = S.opps.get(oid)
            contact, stage = (o["contact"], o["stage"]) if o else (new_uuid(), None)
        data = b.get("data")
        if "data" not in b:
            data = {"opportunityId": oid, "candidateId": oid, "contactId": contact}
            if ev == "candidateStageChange":
                data.update(fromStageId=b.get("fromStageId"), toStageId=b.get("toStageId", stage))
        token, trig = b.get("token", rand_token(48)), b.get("triggeredAt", now_ms())
        if not isinstance(key, str) or not isinstance(token, str) or not is_int(trig):
            raise bad("signatureToken and token must be strings, triggeredAt ms")
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

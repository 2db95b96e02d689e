#!/usr/bin/env python3
"""Strict Lever API simulator (/v1) for cglever tests; stdlib only. See API-NOTES.md.

  python3 lever_sim.py --port P [--host 127.0.0.1] [--verbose]   (prints "listening on HOST:PORT")
Auth: Basic (API key, EMPTY password) or Bearer token, else 401. 10 req/s, burst 20 per
key/token (an OAuth grant's tokens share one bucket), else 429. Lists {"data","hasNext","next" (only when hasNext)}; limit 1..100;
offset only as issued, for the same list and filters (else 400). Endpoints:
GET opportunities/:id[?expand=stage], GET opportunities (filters: tag, stage_id, posting_id,
email, contact_id, each repeatable = any of; updated_at_, created_at_, advanced_at_,
archived_at_ start|end (ms, inclusive); archived=true|false (unset: both);
confidentiality=non-confidential (default)|all; expand; an unknown or repeated single
parameter is a 400), POST|GET opportunities/:id/notes, PUT|DELETE .../notes/:noteId,
POST .../addTags|removeTags, PUT .../stage, POST .../files?perform_as= (required;
multipart/form-data with one part named "file" with a filename, 1 byte..30 MB; 400 for a
bad multipart; reply a file object {id,downloadUrl,ext,name,uploadedAt,size}, 200 under
"data" unless /_sim/config says otherwise), GET .../files, GET stages|tags|users,
GET|POST webhooks, DELETE webhooks/:id.
Opportunities carry stageChanges [{toStageId,toStageIndex,userId,updatedAt}] (oldest first):
a stage change (PUT .../stage, /ui/move, _sim) appends one and sets lastAdvancedAt.
OAuth tokens need the scope (notes, opportunities, stages, tags, users, webhooks, files):
X:read:admin for GET, X:write:admin (covers read) otherwise, else 403 Forbidden.

OAuth 2.0 code flow (Auth0 style; audience http://127.0.0.1:PORT/v1/):
  GET /authorize?client_id&redirect_uri&response_type=code&state&audience&scope[&prompt=consent]
       unknown client, redirect_uri != registered, duplicate parameter: 400 HTML page;
       other errors redirect (?error=invalid_request|unsupported_response_type|invalid_scope,
       access_denied for a wrong audience); else 200 consent page, two forms posting
       txn + decision=allow|deny to POST /authorize/decision -> 302 redirect_uri?code&state
       (code: single use, 10 min, bound to client and redirect_uri) or
       ?error=access_denied&error_description=The+user+denied+access&state
  POST /oauth/token (form body only, nothing else; logged and faultable, not rate limited):
       grant_type=authorization_code client_id client_secret code redirect_uri, or
       grant_type=refresh_token client_id client_secret refresh_token -> {"access_token"
       (JWT-like, ~1 KB),"refresh_token" (only with offline_access; rotated: the old one
       is spent),"token_type":"Bearer","scope","expires_in"}. Errors {"error",
       "error_description"}: 400 invalid_request|unsupported_grant_type, 401
       invalid_client, 403 invalid_grant. Refresh tokens die unused after
       refresh_unused_ttl, and 1 year after the authorization.

Control API (no auth; JSON; any Content-Type; empty body = {}):
  POST /_sim/reset     forget all; re-seed stages stage-applied, -screen, -onsite, -offer,
                       -hired and user user-admin
  POST /_sim/keys {"key","revoke"?}; POST /_sim/tokens {"token","expires_in"?,"revoke"?}
  POST /_sim/config {"page_size"?: N (max items per list page, default 100),
       "files_status"?: 2xx (default 200), "files_envelope"?: bool (default true: {"data":{..}})}
  POST /_sim/opportunities {"id"?,"name","emails","tags","stage","archived": bool|obj,
       "contact","createdAt","updatedAt","lastAdvancedAt","stageChanges",..} create/replace
       -> {"id"}; POST /_sim/opportunities/ID {partial}; GET /_sim/opportunities/ID.
       A new opportunity, or a new stage, gets a stageChanges entry at lastAdvancedAt
       (given, else now; createdAt for a new one), unless stageChanges is given:
       [{toStageId,updatedAt,toStageIndex?,userId?}] replaces the history. updatedAt:
       now unless given.
  POST /_sim/stages {"stages":[{"id","text"}]}        replace
  GET  /_sim/notes[?opportunity=ID] -> {"notes":[{opportunity,noteId,value,secret,score,
       notifyFollowers,createdAt,performAs,updated}]}
  GET  /_sim/webhooks -> [webhooks (whoever made them), with configuration.signatureToken]
  DELETE /_sim/webhooks/ID   someone deletes the webhook in Lever (not logged, no auth)
  GET  /_sim/files[?opportunity=ID] -> {"files":[{id,downloadUrl,ext,name,uploadedAt,size,
       opportunity,performAs,contentType (the part's),sha256,content (base64)}]}
  GET  /_sim/deleted -> {"deleted":[{id,contact,deletedAt}]} (see deliver's "delete")
  POST /_sim/oauth/client {"client_id","client_secret","redirect_uri"}   add/replace an app
  POST /_sim/oauth/config {"access_ttl"?=3600,"refresh_unused_ttl"?=7776000} (s, >= 1)
  POST /_sim/oauth/revoke {"client_id"?}  the Super Admin revokes the app (default: all):
       its access tokens -> 401, refresh tokens and pending codes -> invalid_grant
  POST /_sim/oauth/expire {}  every OAuth access token expires now
  GET  /_sim/oauth/stats -> {"authorizations","code_exchanges","refreshes","invalid_grants"}
  GET  /_sim/oauth/tokens -> [every access and refresh token issued] (tests grep for leaks)
  POST /_sim/deliver {"url","event"?=candidateStageChange,"opportunityId","toStageId"?
       (default: its stage),"fromStageId"?,"signatureToken"? (default: the webhook's for
       url+event),"token"?,"triggeredAt"?,"data"?,"badSignature"?,"omitId"?,
       "ids"? (which of opportunityId, candidateId, contactId the default data carries:
       candidateDeleted's data is undocumented; default all three),"delete"? (bool: the
       opportunity is deleted in Lever first: GET -> 404, listed in /_sim/deleted)}
       -> {"status" (0: no connection),"body","payload","elapsed_ms"}
  GET  /ui     a plain HTML page for people (no auth, no JavaScript): the candidates with
       emails, tags, stage and the notes on their timeline (newest last), each with a
       "Move to stage" form posting (form-encoded) opportunity + stage to
  POST /ui/move  sets the stage (and lastAdvancedAt) and delivers a signed
       candidateStageChange (fromStageId: the old stage) to every webhook registered for
       that event, as /_sim/deliver does -> 303 /ui (the page lists recent deliveries)
  POST|DELETE /_sim/faults (see simcommon.py; also "status_after", "drop_after": e.g. a
       note is posted and its reply lost); GET /_sim/stats -> {"requests",
       "by_status","rate_limited","max_1s","max_10s_avg"}; GET /_sim/requests -> [{method,
       path,query,status,auth_kind,time_ms}] (POST /oauth/token too: auth_kind "client")
"""
import base64, collections, copy, hashlib, hmac, html, json, os, re, secrets, sys, time, urllib.parse

sys.dont_write_bytecode = True          # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simcommon import (ApiError, Handler, Sim, COMMON_ROUTES, MAX_BODY, bad, need, is_int,  # noqa: E402
                       new_uuid, now_ms, parse_multipart, post_json, rand_token, serve)

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
SCOPES = ("offline_access opportunities:read:admin opportunities:write:admin notes:write:admin "
          "notes:read:admin stages:read:admin tags:read:admin webhooks:read:admin "
          "webhooks:write:admin users:read:admin confidential:access:admin files:read:admin "
          "files:write:admin").split()
SCOPED = ("opportunities", "notes", "stages", "tags", "users", "webhooks", "files")
# GET /opportunities: filters that may repeat (any of them matches), ms ranges
# (inclusive) over a field, and the single-valued ones.
LIST_MULTI = ("tag", "stage_id", "posting_id", "email", "contact_id", "expand")
LIST_RANGES = {"updated_at": "updatedAt", "created_at": "createdAt", "advanced_at": "lastAdvancedAt",
               "archived_at": "archivedAt"}
LIST_ONE = ("archived", "confidentiality", "limit", "offset") + tuple(
    f"{r}_{e}" for r in LIST_RANGES for e in ("start", "end"))
FILE_MAX = 30 * 1024 * 1024         # "at most 30 MB"
ID_KEYS = ("opportunityId", "candidateId", "contactId")
AUTHZ_PARAMS = ("client_id", "redirect_uri", "response_type", "state", "audience", "scope", "prompt")
TOKEN_PATH, CODE_TTL, REFRESH_MAX_TTL = "/oauth/token", 600, 365 * 86400

def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")

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
    FAULT_ACTIONS = Sim.FAULT_ACTIONS + ("status_after", "drop_after")

    def reset(self):
        super().reset()
        self.tokens, self.opps, self.notes, self.webhooks, self.offsets = {}, {}, {}, {}, {}
        self.files, self.deleted = [], []
        self.files_reply = {"status": 200, "envelope": True}
        self.stages = [{"id": i, "text": t} for i, t in STAGES]
        self.users = [dict(USER)]
        self.page_size = 100
        self.clients, self.txns, self.codes, self.grants, self.access, self.refresh = {}, {}, {}, {}, {}, {}
        self.oauth_cfg = {"access_ttl": 3600, "refresh_unused_ttl": 90 * 86400}
        self.ostats = dict.fromkeys(("authorizations", "code_exchanges", "refreshes", "invalid_grants"), 0)
        self.ui_log = []            # the /ui page's recent webhook deliveries (newest last)

    def issue(self, gid, aud):
        """New tokens of grant gid -> the token reply. Caller holds the lock."""
        g, t, ttl = self.grants[gid], int(time.time()), self.oauth_cfg["access_ttl"]
        claims = {"iss": "https://auth.lever.co/", "sub": "auth0|" + USER["id"], "aud": [aud],
                  "iat": t, "exp": t + ttl, "azp": g["client_id"], "scope": " ".join(g["scope"]),
                  "gty": "authorization_code", "https://lever.co/nonce": rand_token(300)}
        at = ".".join(b64url(json.dumps(x).encode()) for x in ({"alg": "RS256", "typ": "JWT"}, claims))
        at += "." + b64url(secrets.token_bytes(256))
        self.access[at] = {"grant": gid, "exp": time.time() + ttl}
        r = {"access_token": at, "token_type": "Bearer", "scope": claims["scope"], "expires_in": ttl}
        if "offline_access" in g["scope"]:
            r["refresh_token"] = "v1." + secrets.token_urlsafe(96)
            self.refresh[r["refresh_token"]] = {"grant": gid, "issued": time.time(), "spent": False}
        return r

    def grant_error(self, why):
        """Caller holds the lock."""
        self.ostats["invalid_grants"] += 1
        return ApiError(403, "invalid_grant", why)

    def stage_text(self, sid):
        return next((s["text"] for s in self.stages if s["id"] == sid), None)

    def change(self, to, user, t):
        """One stageChanges entry. Caller holds the lock."""
        ids = [s["id"] for s in self.stages]
        need(to in ids, f"unknown stage {to!r}")
        return {"toStageId": to, "toStageIndex": ids.index(to), "userId": user, "updatedAt": t}

    def move(self, o, to, user):
        """A stage change made in Lever: the stage, lastAdvancedAt and a new
        stageChanges entry (none when the stage stays). Caller holds the lock."""
        t = now_ms()
        if o["stage"] != to:
            o["stageChanges"].append(self.change(to, user, t))
            o["stage"], o["lastAdvancedAt"] = to, t
        o["updatedAt"] = t

    def stage_changes(self, v):
        """An explicit stageChanges history (_sim): toStageIndex and userId may be left out."""
        need(isinstance(v, list) and all(isinstance(c, dict) for c in v), "stageChanges must be a list of objects")
        out = []
        for c in v:
            need(set(c) <= {"toStageId", "toStageIndex", "userId", "updatedAt"},
                 "a stageChanges entry takes toStageId, toStageIndex, userId, updatedAt")
            need(is_int(c.get("updatedAt")), "stageChanges[].updatedAt must be ms")
            need(c.get("userId") is None or isinstance(c["userId"], str), "stageChanges[].userId must be a string")
            if "toStageIndex" in c:
                need(isinstance(c.get("toStageId"), str) and c["toStageId"] and is_int(c["toStageIndex"]),
                     "stageChanges[]: toStageId must be a string, toStageIndex an integer")
                out.append({"toStageId": c["toStageId"], "toStageIndex": c["toStageIndex"],
                            "userId": c.get("userId", USER["id"]), "updatedAt": c["updatedAt"]})
            else:
                out.append(self.change(c.get("toStageId"), c.get("userId", USER["id"]), c["updatedAt"]))
        return out

    def apply_opp(self, o, b, new=False):
        """_sim's create (new) or change. A new stage (or a new opportunity)
        gets a stageChanges entry at lastAdvancedAt (given, else now; createdAt
        for a new one), unless b sets stageChanges itself."""
        old = None if new else o["stage"]
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
            elif k in ("createdAt", "lastAdvancedAt", "lastInteractionAt", "updatedAt"):
                need(is_int(v), f"{k} must be ms")
            elif k == "stageChanges":
                v = self.stage_changes(v)
            elif k in ("id", "name", "contact", "confidentiality", "headline", "origin", "owner"):
                need(isinstance(v, str) and (k != "id" or v and "/" not in v), f"{k} must be a string")
            else:
                raise bad(f"unknown opportunity field {k!r}")
            o[k] = v
        if new or o["stage"] != old:
            if "lastAdvancedAt" not in b:
                o["lastAdvancedAt"] = o["createdAt"] if new else now_ms()
            if "stageChanges" not in b and o["stage"] is not None:
                o["stageChanges"].append(self.change(o["stage"], USER["id"], o["lastAdvancedAt"]))
        if "updatedAt" not in b:
            o["updatedAt"] = now_ms()

    def new_opp(self):
        t = now_ms()
        return {"id": new_uuid(), "name": "", "headline": "", "contact": new_uuid(), "emails": [],
                "phones": [], "tags": [], "stage": self.stages[0]["id"] if self.stages else None,
                "confidentiality": "non-confidential", "location": "", "origin": "applied",
                "sources": [], "owner": USER["id"], "followers": [], "applications": [],
                "archived": None, "isAnonymized": False, "dataProtection": None,
                "createdAt": t, "updatedAt": t, "lastInteractionAt": t, "lastAdvancedAt": t,
                "snoozedUntil": None, "stageChanges": []}

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

def deliver(b):
    """POST /_sim/deliver's work (also /ui/move's): signs and POSTs one webhook
    envelope -> {"status" (0: no connection),"body","payload","elapsed_ms"}."""
    url, ev = b.get("url"), b.get("event", "candidateStageChange")
    oid, ids = b.get("opportunityId"), b.get("ids", list(ID_KEYS))
    need(isinstance(url, str) and isinstance(ev, str), "url and event must be strings")
    need("data" in b or isinstance(oid, str), "opportunityId is required unless data is given")
    need(isinstance(ids, list) and set(ids) <= set(ID_KEYS), f"ids must be a list of {', '.join(ID_KEYS)}")
    with S.lock:
        key = b.get("signatureToken")
        if key is None:
            hooks = [w for w in S.webhooks.values() if w["url"] == url and w["event"] == ev]
            need(hooks, f"no webhook registered for {url} / {ev}; pass signatureToken")
            key = hooks[-1]["configuration"]["signatureToken"]
        o = S.opps.get(oid)
        contact, stage = (o["contact"], o["stage"]) if o else (new_uuid(), None)
        if b.get("delete"):         # the candidate is deleted in Lever before the event goes out
            need(o, f"delete: no opportunity {oid}")
            del S.opps[oid]
            S.notes.pop(oid, None)
            S.deleted.append({"id": oid, "contact": contact, "deletedAt": now_ms()})
    data = b.get("data")
    if "data" not in b:
        data = {k: v for k, v in (("opportunityId", oid), ("candidateId", oid), ("contactId", contact))
                if k in ids}
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
    return {"status": status, "body": text, "payload": env, "elapsed_ms": ms}

def when(ms):
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ms / 1000)) if is_int(ms) else ""

class LeverHandler(Handler):
    sim, prefix, not_found_code = S, "/v1", "ResourceNotFound"
    O = r"/v1/opportunities/" + ID
    routes = [
        ("GET", r"/v1/opportunities", "opp_list"),
        ("GET", O, "opp_get"), ("POST", O + "/notes", "note_add"), ("GET", O + "/notes", "note_list"), ("PUT", O + "/notes/" + ID, "note_put"),
        ("DELETE", O + "/notes/" + ID, "note_del"), ("POST", O + "/(addTags|removeTags)", "opp_tags"),
        ("PUT", O + "/stage", "opp_stage"), ("POST", O + "/files", "file_add"), ("GET", O + "/files", "file_list"),
        ("GET", r"/v1/stages", "stages"), ("GET", r"/v1/tags", "tags"), ("GET", r"/v1/users", "users"),
        ("GET", r"/v1/webhooks", "wh_list"), ("POST", r"/v1/webhooks", "wh_add"),
        ("DELETE", r"/v1/webhooks/" + ID, "wh_del"),
    ] + COMMON_ROUTES + [
        ("POST", r"/_sim/tokens", "sim_tokens"), ("POST", r"/_sim/stages", "sim_stages"),
        ("POST", r"/_sim/config", "sim_config"), ("POST", r"/_sim/opportunities", "sim_opp_put"),
        ("GET", r"/_sim/opportunities/" + ID, "sim_opp_get"),
        ("POST", r"/_sim/opportunities/" + ID, "sim_opp_put"),
        ("GET", r"/_sim/notes", "sim_notes"), ("GET", r"/_sim/webhooks", "sim_webhooks"),
        ("DELETE", r"/_sim/webhooks/" + ID, "sim_webhook_del"), ("GET", r"/_sim/files", "sim_files"),
        ("GET", r"/_sim/deleted", "sim_deleted"),
        ("POST", r"/_sim/deliver", "sim_deliver"),
        ("GET", r"/authorize", "oa_authorize"), ("POST", r"/authorize/decision", "oa_decision"),
        ("POST", TOKEN_PATH, "oa_token"), ("POST", r"/_sim/oauth/client", "sim_oa_client"),
        ("POST", r"/_sim/oauth/config", "sim_oa_config"), ("POST", r"/_sim/oauth/revoke", "sim_oa_revoke"),
        ("POST", r"/_sim/oauth/expire", "sim_oa_expire"), ("GET", r"/_sim/oauth/stats", "sim_oa_stats"),
        ("GET", r"/_sim/oauth/tokens", "sim_oa_tokens"),
        ("GET", r"/ui", "ui_page"), ("POST", r"/ui/move", "ui_move"),
    ]
    extra_paths = ("/authorize", "/authorize/decision", TOKEN_PATH, "/ui", "/ui/move")

    def api_path(self, p):
        return super().api_path(p) or p == TOKEN_PATH     # logged and faultable, no auth

    def body_limit(self):       # a file upload: 30 MB and the multipart framing
        return FILE_MAX + 65536 if self.command == "POST" and self.upath.endswith("/files") else MAX_BODY

    def audience(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1/"

    def reply_error(self, e):
        if self.upath == TOKEN_PATH:        # Auth0's envelope
            err = e.code if re.fullmatch(r"[a-z_]+", e.code) else \
                "too_many_requests" if e.status == 429 else "invalid_request" if e.status < 500 else "server_error"
            self.send_json(e.status, {"error": err, "error_description": e.message}, e.headers)
        elif self.upath in self.extra_paths:
            title = "Error" if self.upath.startswith("/ui") else "Authorization error"
            back = '<p><a href="/ui">Back to the candidates</a></p>' if self.upath.startswith("/ui") else ""
            self.send_html(e.status, title, f"<p>{html.escape(e.message)}</p>{back}", e.headers)
        else:
            super().reply_error(e)

    def authenticate(self):
        if self.upath == TOKEN_PATH:
            self.auth_kind = "client"
            return
        scheme, _, cred = self.headers.get("Authorization", "").strip().partition(" ")
        scheme, cred, who, scope = scheme.lower(), cred.strip(), None, None
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
                a = S.access.get(cred)
                if cred in S.tokens and (S.tokens[cred] is None or S.tokens[cred] > time.time()):
                    who = "token:" + cred
                elif a and a["exp"] > time.time() and not S.grants[a["grant"]]["revoked"]:
                    who, scope = "grant:" + a["grant"], S.grants[a["grant"]]["scope"]
        if not who:
            raise ApiError(401, "Unauthorized", "missing, invalid or expired credentials")
        if not S.admit(who):
            raise ApiError(429, "TooManyRequests", "rate limit exceeded (10 requests/s, burst 20)")
        parts = self.upath.split("/") + ["", ""]
        res = parts[4] if parts[2] == "opportunities" and parts[4] in ("notes", "files") else parts[2]
        rw = "read" if self.command == "GET" else "write"
        if scope is not None and res in SCOPED and not {f"{res}:{rw}:admin", f"{res}:write:admin"} & set(scope):
            raise ApiError(403, "Forbidden", f"the token lacks the scope {res}:{rw}:admin")

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

    def opp_list(self):
        """GET /opportunities with the filters of API-NOTES.md: tag (case
        sensitive), stage_id, posting_id, email, contact_id (each repeatable:
        any of them), X_at_start / X_at_end (ms, inclusive), archived,
        confidentiality, expand. Stricter than Lever, which ignores what it
        does not know: an unknown or repeated single parameter is a 400 (a
        misspelt filter would list every candidate)."""
        q = self.query
        unknown = sorted(set(q) - set(LIST_MULTI) - set(LIST_ONE))
        need(not unknown, f"unknown parameter(s): {', '.join(unknown)}")
        dup = sorted(k for k in LIST_ONE if len(q.get(k, [])) > 1)
        need(not dup, f"parameter(s) given more than once: {', '.join(dup)}")
        ex = [e for v in q.get("expand", []) for e in v.split(",")]
        need(all(e in EXPANDS for e in ex), "invalid expand")
        need(self.q("archived") in (None, "true", "false"), "archived must be true or false")
        need(self.q("confidentiality") in (None, "non-confidential", "all"),
             "confidentiality must be non-confidential or all")
        rng = {}
        for r, field in LIST_RANGES.items():
            lo, hi = self.q_int(r + "_start", 0, 2 ** 53, None), self.q_int(r + "_end", 0, 2 ** 53, None)
            if lo is not None or hi is not None:
                rng[field] = (0 if lo is None else lo, 2 ** 53 if hi is None else hi)
        any_of = {k: q[k] for k in ("tag", "stage_id", "posting_id", "email", "contact_id") if k in q}

        def fits(o):
            arch = o["archived"]
            vals = {"updatedAt": o["updatedAt"], "createdAt": o["createdAt"],
                    "lastAdvancedAt": o["lastAdvancedAt"], "archivedAt": arch and arch.get("archivedAt")}
            have = {"tag": o["tags"], "stage_id": [o["stage"]], "contact_id": [o["contact"]],
                    "email": [e.lower() for e in o["emails"]], "posting_id": []}   # no postings here
            want = {k: [x.lower() for x in v] if k == "email" else v for k, v in any_of.items()}
            return (all(set(v) & set(have[k]) for k, v in want.items())
                    and all(is_int(vals[f]) and lo <= vals[f] <= hi for f, (lo, hi) in rng.items())
                    and self.q("archived") in (None, "true" if arch else "false")
                    and (self.q("confidentiality") == "all" or o["confidentiality"] != "confidential"))
        kind = "opps:" + json.dumps(sorted((k, v) for k, v in q.items() if k not in ("limit", "offset")))
        with S.lock:
            r = self.page(kind, [S.opp_view(o, "stage" in ex) for o in S.opps.values() if fits(o)])
        self.send_json(200, r)

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

    def note_list(self, oid):
        """Lever's note objects: the text sits in fields[].value."""
        def view(n):
            return {"id": n["noteId"], "text": "Note", "secret": n["secret"], "createdAt": n["createdAt"],
                    "fields": [{"type": "note", "text": "Note", "value": n["value"]}]}
        self.locked(lambda: self.page("notes:" + S.opp(oid)["id"], [view(n) for n in S.notes.get(oid, [])]))

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
            S.move(o, b["stage"], self.perform_as() or USER["id"])
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

    def file_add(self, oid):
        """POST /opportunities/:id/files?perform_as=: one binary part named
        "file" (with a filename), at most 30 MB; the reply's status and
        envelope as POST /_sim/config's files_status / files_envelope say."""
        with S.lock:
            S.opp(oid)
            user = self.perform_as()
        need(user is not None, "perform_as is required")
        parts = parse_multipart(self.headers.get("Content-Type", ""), self.body)
        files = [p for p in parts if p["name"] == "file"]
        need(len(files) == 1 and files[0]["filename"], "exactly one part named file, with a filename, is required")
        f = files[0]
        need(f["data"], "the file is empty")
        if len(f["data"]) > FILE_MAX:
            raise ApiError(413, "PayloadTooLarge", "a file may hold at most 30 MB")
        name = os.path.basename(f["filename"].replace("\\", "/"))
        fid, ext = new_uuid(), name.rpartition(".")[2].lower() if "." in name else ""
        obj = {"id": fid, "downloadUrl": f"https://api.lever.co/v1/opportunities/{oid}/files/{fid}/download",
               "ext": ext, "name": name, "uploadedAt": now_ms(), "size": len(f["data"])}
        with S.lock:
            S.opp(oid)                  # still there
            S.files.append(dict(obj, opportunity=oid, performAs=user, contentType=f["content_type"],
                                sha256=hashlib.sha256(f["data"]).hexdigest(),
                                content=base64.b64encode(f["data"]).decode()))
            st, env = S.files_reply["status"], S.files_reply["envelope"]
        self.send_json(st, {"data": obj} if env else obj)

    def file_list(self, oid):
        keys = ("id", "downloadUrl", "ext", "name", "uploadedAt", "size")
        self.locked(lambda: self.page("files:" + S.opp(oid)["id"], [
            {k: f[k] for k in keys} for f in S.files if f["opportunity"] == oid]))

    # -- control API --
    def sim_files(self):
        oid = self.q("opportunity")
        self.locked(lambda: {"files": [copy.deepcopy(f) for f in S.files if oid in (None, f["opportunity"])]})

    def sim_deleted(self):
        self.locked(lambda: {"deleted": copy.deepcopy(S.deleted)})

    def sim_webhook_del(self, wid):
        """Someone deletes a webhook in Lever (no auth, not logged)."""
        with S.lock:
            if S.webhooks.pop(wid, None) is None:
                raise not_found(f"webhook {wid}")
        self.send_json(200, {"ok": True})

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
        b = self.json_obj(False)
        need(b and set(b) <= {"page_size", "files_status", "files_envelope"},
             "config takes page_size, files_status, files_envelope")
        v, st, env = b.get("page_size", 100), b.get("files_status", 200), b.get("files_envelope", True)
        need(is_int(v) and 1 <= v <= 100, "page_size must be 1..100")
        need(is_int(st) and 200 <= st <= 299, "files_status must be a 2xx status")
        need(isinstance(env, bool), "files_envelope must be a boolean")

        def apply():
            if "page_size" in b:
                S.page_size = v
            S.files_reply.update({k: x for k, x in (("status", st), ("envelope", env)) if "files_" + k in b})
            return {"ok": True}
        self.locked(apply)

    def sim_opp_get(self, oid):
        self.locked(lambda: S.opp_view(S.opp(oid)))

    def sim_opp_put(self, oid=None):
        b = self.json_obj(False)
        with S.lock:
            if oid is None:
                o = S.new_opp()
                S.apply_opp(o, b, new=True)
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
        self.send_json(200, deliver(self.json_obj(False)))

    # -- OAuth 2.0 authorization code flow --
    def send_html(self, status, title, body, headers=None):
        page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>"
                f"<body><h1>{title}</h1>{body}</body></html>\n").encode()
        self.send_json(status, None, {"Cache-Control": "no-store", **(headers or {})}, page,
                       "text/html; charset=utf-8")

    def redirect(self, uri, params):
        loc = uri + ("&" if "?" in uri else "?") + urllib.parse.urlencode(params)
        self.send_json(302, None, {"Location": loc, "Cache-Control": "no-store"}, b"")

    def form(self, allowed, code):
        """The form-encoded body as a dict: no duplicates, only allowed names."""
        ct = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        need(ct == "application/x-www-form-urlencoded",
             "Content-Type must be application/x-www-form-urlencoded", code)
        try:
            pairs = urllib.parse.parse_qsl(self.body.decode(), keep_blank_values=True, strict_parsing=True)
        except ValueError:
            raise bad("malformed form body", code)
        f = dict(pairs)
        need(len(f) == len(pairs), "duplicate parameter", code)
        need(set(f) <= set(allowed), f"unexpected parameter(s): {', '.join(sorted(set(f) - set(allowed)))}", code)
        return f

    def oa_authorize(self):
        dup = [k for k, v in self.query.items() if len(v) > 1]
        need(not dup, f"duplicate parameter(s): {', '.join(dup)}")
        p = {k: v[0] for k, v in self.query.items()}
        with S.lock:
            c = copy.deepcopy(S.clients.get(p.get("client_id", "")))
        need(c, "unknown client_id")
        need(p.get("redirect_uri") == c["redirect_uri"], "redirect_uri is not the app's registered callback URL")
        extra, scopes = set(p) - set(AUTHZ_PARAMS), list(dict.fromkeys(p.get("scope", "").split()))
        unknown = [x for x in scopes if x not in SCOPES]
        errs = [(extra, "invalid_request", f"unexpected parameter(s): {', '.join(sorted(extra))}"),
                (p.get("response_type") != "code", "unsupported_response_type", "response_type must be code"),
                (not p.get("state"), "invalid_request", "state is required"),
                (p.get("prompt", "consent") != "consent", "invalid_request", "prompt must be consent"),
                (p.get("audience") != self.audience(), "access_denied",
                 f"Service not found: {p.get('audience', '')}"),
                (not scopes, "invalid_scope", "scope is required"),
                (unknown, "invalid_scope", f"unknown scope(s): {' '.join(unknown)}")]
        err = next(((e, d) for bad_, e, d in errs if bad_), None)
        if err:
            return self.redirect(c["redirect_uri"], {"error": err[0], "error_description": err[1],
                                                     **({"state": p["state"]} if p.get("state") else {})})
        txn = secrets.token_urlsafe(16)
        with S.lock:
            S.txns[txn] = {"client_id": p["client_id"], "redirect_uri": c["redirect_uri"], "state": p["state"],
                           "scope": scopes, "exp": time.time() + CODE_TTL}
        li = "".join(f"<li>{html.escape(x)}</li>" for x in scopes)
        forms = "".join(f'<form method="post" action="/authorize/decision"><input type="hidden" name="txn" '
                        f'value="{txn}"><input type="hidden" name="decision" value="{d}">'
                        f'<button type="submit">{d.title()}</button></form>' for d in ("allow", "deny"))
        self.send_html(200, "Authorize application", f"<p>The application <b>{html.escape(p['client_id'])}"
                       f"</b> asks for access to your Lever account:</p><ul>{li}</ul>{forms}")

    def oa_decision(self):
        f = self.form(("txn", "decision"), "BadRequest")
        need(f.get("decision") in ("allow", "deny"), "decision must be allow or deny")
        with S.lock:
            t = S.txns.pop(f.get("txn", ""), None)
            need(t and t["exp"] > time.time(), "unknown, used or expired authorization request")
            if f["decision"] == "allow":
                code = secrets.token_urlsafe(24)
                S.codes[code] = {"client_id": t["client_id"], "redirect_uri": t["redirect_uri"],
                                 "scope": t["scope"], "exp": time.time() + CODE_TTL, "used": False}
                S.ostats["authorizations"] += 1
                q = {"code": code, "state": t["state"]}
            else:
                q = {"error": "access_denied", "error_description": "The user denied access", "state": t["state"]}
        self.redirect(t["redirect_uri"], q)

    def oa_token(self):
        ir = "invalid_request"
        need(not self.rawquery, "parameters belong in the form-encoded body, not the URL", ir)
        f = self.form(("grant_type", "client_id", "client_secret", "code", "redirect_uri", "refresh_token"), ir)
        gt = f.get("grant_type")
        want = {"authorization_code": ("code", "redirect_uri"), "refresh_token": ("refresh_token",)}.get(gt)
        if want is None:
            raise ApiError(400, "unsupported_grant_type" if gt else ir, f"unsupported grant_type {gt!r}")
        want = ("grant_type", "client_id", "client_secret") + want
        need(set(f) <= set(want), f"unexpected parameter(s) for {gt}: {', '.join(sorted(set(f) - set(want)))}", ir)
        missing = [k for k in want if not f.get(k)]
        need(not missing, f"missing parameter(s): {', '.join(missing)}", ir)
        with S.lock:
            c, now = S.clients.get(f["client_id"]), time.time()
            if not c or not hmac.compare_digest(c["secret"].encode(), f["client_secret"].encode()):
                raise ApiError(401, "invalid_client", "Client authentication failed")
            if gt == "authorization_code":
                k = S.codes.get(f["code"])
                if not k or k["client_id"] != f["client_id"]:
                    raise S.grant_error("Invalid authorization code")
                if k["used"] or k["exp"] <= now:
                    raise S.grant_error("Authorization code already used" if k["used"] else "Authorization code expired")
                if k["redirect_uri"] != f["redirect_uri"]:
                    raise S.grant_error("redirect_uri does not match the one of the authorization request")
                k["used"], gid = True, new_uuid()
                S.grants[gid] = {"client_id": f["client_id"], "scope": k["scope"], "born": now, "revoked": False}
                S.ostats["code_exchanges"] += 1
            else:
                r = S.refresh.get(f["refresh_token"])
                g = r and S.grants[r["grant"]]
                if not r or g["client_id"] != f["client_id"]:
                    raise S.grant_error("Unknown or invalid refresh token.")
                if r["spent"] or g["revoked"]:
                    raise S.grant_error("Refresh token already used (rotated)" if r["spent"] else "Grant revoked")
                if now > r["issued"] + S.oauth_cfg["refresh_unused_ttl"] or now > g["born"] + REFRESH_MAX_TTL:
                    raise S.grant_error("Refresh token expired")
                r["spent"], gid = True, r["grant"]
                S.ostats["refreshes"] += 1
            reply = S.issue(gid, self.audience())
        self.send_json(200, reply, {"Cache-Control": "no-store", "Pragma": "no-cache"})

    def sim_oa_client(self):
        b = self.json_obj(False)
        need(all(isinstance(b.get(k), str) and b[k] for k in ("client_id", "client_secret", "redirect_uri")),
             "client_id, client_secret and redirect_uri must be non-empty strings")
        need(valid_url(b["redirect_uri"]), "redirect_uri must be an https (or loopback http) URL")
        c = {"secret": b["client_secret"], "redirect_uri": b["redirect_uri"]}
        self.locked(lambda: S.clients.update({b["client_id"]: c}) or {"ok": True})

    def sim_oa_config(self):
        b = self.json_obj(False)
        need(set(b) <= set(S.oauth_cfg) and all(is_int(v) and v >= 1 for v in b.values()),
             "access_ttl and refresh_unused_ttl must be seconds >= 1")
        self.locked(lambda: S.oauth_cfg.update(b) or dict(S.oauth_cfg))

    def sim_oa_revoke(self):
        cid = self.json_obj(False).get("client_id")

        def revoke():
            for g in S.grants.values():
                g["revoked"] |= cid in (None, g["client_id"])
            S.codes = {k: v for k, v in S.codes.items() if cid not in (None, v["client_id"])}
            return {"ok": True}
        self.locked(revoke)

    def sim_oa_expire(self):
        def expire():
            for a in S.access.values():
                a["exp"] = min(a["exp"], time.time())
            return {"ok": True}
        self.locked(expire)

    def sim_oa_stats(self):
        self.locked(lambda: dict(S.ostats))

    def sim_oa_tokens(self):
        """Every access and refresh token issued: tests grep for leaks."""
        self.locked(lambda: sorted(S.access) + sorted(S.refresh))

    # -- /ui: a page for people trying the sandbox --
    def ui_page(self):
        e = html.escape
        with S.lock:
            opps = sorted(S.opps.values(), key=lambda o: (o["createdAt"], o["name"]))
            opps = [(copy.deepcopy(o), copy.deepcopy(S.notes.get(o["id"], []))) for o in opps]
            stages = copy.deepcopy(S.stages)
            nhooks = sum(w["event"] == "candidateStageChange" for w in S.webhooks.values())
            log = list(S.ui_log)
        ids = [s["id"] for s in stages]
        parts = [f"<p>Moving a candidate sends Lever's signed <code>candidateStageChange</code> webhook to "
                 f"every webhook registered for it ({nhooks} now). Reload to see new notes.</p>"]
        if not opps:
            parts.append("<p>No candidates.</p>")
        for o, notes in opps:
            oid, cur = o["id"], o["stage"]
            nxt = ids[min(ids.index(cur) + 1, len(ids) - 1)] if cur in ids else (ids[0] if ids else None)
            opts = "".join(f'<option value="{e(s["id"])}"{" selected" if s["id"] == nxt else ""}>'
                           f'{e(s["text"])} ({e(s["id"])})</option>' for s in stages)
            stage = f'{e(S.stage_text(cur) or cur)} ({e(cur)})' if cur else "none"
            notes = sorted(notes, key=lambda n: n["createdAt"])     # stable: newest last
            nl = "".join(f'<li><small>{e(when(n["createdAt"]))}</small>'
                         f'<pre style="white-space:pre-wrap">{e(n["value"])}</pre></li>' for n in notes)
            parts.append(
                f'<section class="opportunity" id="opp-{e(oid)}"><h2>{e(o["name"] or "(no name)")}</h2>'
                f'<p>Emails: {e(", ".join(o["emails"])) or "none"}<br>Tags: {e(", ".join(o["tags"])) or "none"}'
                f'<br>Stage: <b class="stage">{stage}</b>{" (archived)" if o["archived"] else ""}'
                f'<br><small>Opportunity {e(oid)}</small></p>'
                f'<form method="post" action="/ui/move"><input type="hidden" name="opportunity" value="{e(oid)}">'
                f'<label for="stage-{e(oid)}">Move to</label> <select name="stage" id="stage-{e(oid)}">{opts}'
                f'</select> <button type="submit">Move to stage</button></form>'
                f'<h3>Notes</h3>' + (f'<ol class="notes">{nl}</ol>' if nl else "<p>No notes yet.</p>") +
                '</section><hr>')
        parts.append("<h2>Recent webhook deliveries</h2>" + (
            "<ol>" + "".join(f"<li>{e(x)}</li>" for x in log) + "</ol>" if log else "<p>None yet.</p>"))
        self.send_html(200, "Lever (simulated): candidates", "".join(parts))

    def ui_move(self):
        f = self.form(("opportunity", "stage"), "BadRequest")
        oid, to = f.get("opportunity", ""), f.get("stage", "")
        with S.lock:
            o = S.opp(oid)
            need(S.stage_text(to) is not None, f"unknown stage {to!r}")
            old = o["stage"]
            S.move(o, to, USER["id"])
            hooks = [(w["url"], w["configuration"]["signatureToken"]) for w in S.webhooks.values()
                     if w["event"] == "candidateStageChange"]
            name = o["name"] or oid
        lines = [f"{name}: {old} -> {to}"]
        if not hooks:
            lines.append("no webhook is registered for candidateStageChange: nothing delivered")
        for url, key in hooks:          # outside the lock: the receiver may call back
            r = deliver({"url": url, "opportunityId": oid, "fromStageId": old, "toStageId": to,
                         "signatureToken": key})
            lines.append(f"webhook {url}: " + (f"HTTP {r['status']}" if r["status"] else r["body"]))
        with S.lock:
            S.ui_log = (S.ui_log + ["; ".join(lines)])[-20:]
        self.send_json(303, None, {"Location": "/ui", "Cache-Control": "no-store"}, b"")

if __name__ == "__main__":
    serve(LeverHandler, "Lever API simulator")

"""Shared machinery of the cglever test simulators (lever_sim.py, codingame_sim.py).

Sim: the state, ONE lock, API keys, fault queue, stats, request log, a per-key
token bucket. Handler: HTTP/1.1 keep-alive, route tables, 1 MiB body cap, strict
JSON, {"code","message"} errors (reply_error: per-path override), fault injection,
the common /_sim/ endpoints. Logs never show code/token/secret parameter values.

Faults (POST /_sim/faults, queued; DELETE /_sim/faults clears): {"method"?,
"path"? (regex, re.search on the path without query), "action", "status"?=500,
"retry_after"? (s), "delay_ms"?=1000, "count"?=1 (-1: forever), "probability"?=1
(a matching request meets this fault with that probability, else the next one
is tried)}. An API request consumes one count of the first matching fault it meets: "status" answers the status
(error envelope, Retry-After if given) without acting; "delay" sleeps, then
handles normally; "hold" waits (before the credentials are checked) until
POST /_sim/release (at most 120 s), then handles normally, so a test can
change the world while a program's request is in flight (GET /_sim/held ->
{"held": N} says how many wait); "drop" closes the connection unanswered;
"status_after" / "drop_after" (the simulators that list them) act, then answer the status / drop.
parse_multipart: a strict multipart/form-data reader (RFC 7578) for upload endpoints.
"""
import argparse, bisect, copy, email.message, email.utils, http.client, json, random, re, secrets, signal, socket, string
import sys, threading, time, traceback, urllib.parse, uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1 << 20
ALNUM = string.ascii_letters + string.digits

def now_ms():
    return int(time.time() * 1000)

def rand_token(n=48):
    return "".join(secrets.choice(ALNUM) for _ in range(n))

def new_uuid():
    return str(uuid.uuid4())

def redact(s):
    """Hide credentials (code=, *token*=, *secret*= values) in text bound for a log."""
    return re.sub(r"((?:code|token|secret)\w*=)[^&\s\"]+", r"\1***", s)

def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)

def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)

def status_code_name(status):
    try:
        return "".join(HTTPStatus(status).phrase.split())  # 429 -> TooManyRequests
    except ValueError:
        return "Error"

class ApiError(Exception):
    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

def bad(message, code="BadRequest"):
    return ApiError(400, code, message)

def need(ok, message, code="BadRequest"):
    if not ok:
        raise bad(message, code)

def _header_params(name, value):
    """(main value, params) of a header such as Content-Type or Content-Disposition."""
    m = email.message.Message()
    m[name] = value
    params = m.get_params(header=name) or [("", "")]
    return params[0][0].lower(), {k.lower(): email.utils.collapse_rfc2231_value(v)
                                  for k, v in params[1:]}

BCHARS = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")

def parse_multipart(ctype, body, code="BadRequest"):
    """A multipart/form-data body -> [{"name","filename" (None: a plain field),
    "content_type","data"}]; raises 400 (code) on anything RFC 7578 / 2046 would
    not parse: another Content-Type, a missing or malformed boundary, a part
    without Content-Disposition: form-data; name=..., a missing close delimiter."""
    main, params = _header_params("Content-Type", ctype)
    need(main == "multipart/form-data", f"Content-Type must be multipart/form-data, not {main or 'none'!r}", code)
    b = params.get("boundary")
    need(b is not None and BCHARS.fullmatch(b), "multipart/form-data needs a valid boundary parameter", code)
    delim = b"\r\n--" + b.encode()
    segs = (b"\r\n" + body).split(delim)
    need(len(segs) >= 2 and segs[0] == b"", "the body does not start with the boundary", code)
    need(len(segs) >= 3 or not segs[1].startswith(b"--"), "the body has no part", code)
    need(len(segs) >= 3 and segs[-1].startswith(b"--"),
         "the body does not end with the close delimiter (--boundary--)", code)
    parts = []
    for seg in segs[1:-1]:
        need(seg.startswith(b"\r\n"), "a boundary line must end with CRLF", code)
        head, sep, data = seg[2:].partition(b"\r\n\r\n")
        need(sep, "a part has no blank line after its headers", code)
        hdrs = {}
        for line in head.decode("utf-8", "replace").split("\r\n") if head else []:
            k, colon, v = line.partition(":")
            need(colon and k.strip() and k == k.strip(), f"malformed part header {line!r}", code)
            hdrs[k.lower()] = v.strip()
        cd, cdp = _header_params("Content-Disposition", hdrs.get("content-disposition", ""))
        need(cd == "form-data" and cdp.get("name"), "each part needs Content-Disposition: form-data; name=...", code)
        parts.append({"name": cdp["name"], "filename": cdp.get("filename"),
                      "content_type": hdrs.get("content-type", "text/plain"), "data": data})
    return parts

def _no_constant(name):
    raise ValueError(f"{name} is not JSON")

class Sim:
    FAULT_ACTIONS = ("status", "delay", "hold", "drop")
    HOLD_LIMIT_S = 120
    RATE, BURST = None, None        # requests/s and bucket size; None = no limit

    def __init__(self):
        self.lock = threading.Lock()
        self.released = threading.Condition(self.lock)
        self.held, self.release_gen = 0, 0
        self.rng = random.Random()
        self.reset()

    def reset(self):                # caller holds the lock (or is __init__)
        self.keys, self.faults, self.log, self.by_status = set(), [], [], {}
        self.nreq = self.n429 = self.max_1s = 0
        self.max_10s = 0.0
        self.seen, self.buckets = {}, {}

    def parse_fault(self, b):
        need(isinstance(b, dict) and b.get("action") in self.FAULT_ACTIONS,
             f"action must be one of {list(self.FAULT_ACTIONS)}")
        m, p = b.get("method"), b.get("path") or ""
        need(m is None or isinstance(m, str), "method must be a string")
        try:
            rx = re.compile(p)
        except (re.error, TypeError) as e:
            raise bad(f"bad path regex: {e}")
        f = {"method": m.upper() if m else None, "path": p, "action": b["action"],
             "status": b.get("status", 500), "retry_after": b.get("retry_after"),
             "delay_ms": b.get("delay_ms", 1000), "count": b.get("count", 1),
             "probability": b.get("probability", 1)}
        need(is_int(f["status"]) and 100 <= f["status"] <= 599, "status must be an integer 100..599")
        need(f["retry_after"] is None or is_num(f["retry_after"]) and f["retry_after"] >= 0,
             "retry_after must be a number of seconds")
        need(is_num(f["delay_ms"]) and f["delay_ms"] >= 0, "delay_ms must be a number >= 0")
        need(is_int(f["count"]) and (f["count"] >= 1 or f["count"] == -1), "count must be >= 1 or -1")
        need(is_num(f["probability"]) and 0 < f["probability"] <= 1, "probability must be in (0, 1]")
        f["re"] = rx
        return f

    def take_fault(self, method, path):
        with self.lock:
            for f in self.faults:
                if f["method"] in (None, method) and f["re"].search(path):
                    if f["probability"] < 1 and self.rng.random() >= f["probability"]:
                        continue
                    if f["count"] > 0:
                        f["count"] -= 1
                        if f["count"] == 0:
                            self.faults.remove(f)
                    return f
        return None

    def hold(self):
        """A "hold" fault: wait for the next POST /_sim/release."""
        with self.lock:
            gen = self.release_gen
            self.held += 1
            try:
                self.released.wait_for(lambda: self.release_gen != gen, self.HOLD_LIMIT_S)
            finally:
                self.held -= 1

    def release(self):
        """Caller holds the lock."""
        self.release_gen += 1
        self.released.notify_all()
        return {"ok": True}

    def admit(self, who):
        """Account one request of a key/token; False when the bucket is empty."""
        t = time.monotonic()
        with self.lock:
            ts = self.seen.setdefault(who, [])
            ts.append(t)
            cut = bisect.bisect_right(ts, t - 10)
            if cut:
                del ts[:cut]
            self.max_1s = max(self.max_1s, len(ts) - bisect.bisect_right(ts, t - 1))
            self.max_10s = max(self.max_10s, len(ts) / 10)
            if self.RATE is None:
                return True
            tokens, last = self.buckets.get(who, (self.BURST, t))
            tokens = min(self.BURST, tokens + (t - last) * self.RATE)
            ok = tokens >= 1
            self.buckets[who] = (tokens - 1 if ok else tokens, t)
            if not ok:
                self.n429 += 1
            return ok

    def record(self, entry):
        with self.lock:
            self.nreq += 1
            k = str(entry["status"])
            self.by_status[k] = self.by_status.get(k, 0) + 1
            self.log.append(entry)
            if len(self.log) > 20000:
                del self.log[:5000]

    def stats(self):
        with self.lock:
            return {"requests": self.nreq, "by_status": dict(self.by_status),
                    "rate_limited": self.n429, "max_1s": self.max_1s,
                    "max_10s_avg": self.max_10s}

def fault_view(f):
    return {k: v for k, v in f.items() if k != "re"}

COMMON_ROUTES = [
    ("POST", "/_sim/reset", "sim_reset"), ("POST", "/_sim/keys", "sim_keys"),
    ("POST", "/_sim/faults", "sim_faults_add"), ("DELETE", "/_sim/faults", "sim_faults_clear"),
    ("GET", "/_sim/stats", "sim_stats"), ("GET", "/_sim/requests", "sim_requests"),
    ("POST", "/_sim/release", "sim_release"), ("GET", "/_sim/held", "sim_held"),
]

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True      # headers and body are separate writes
    timeout = 120
    verbose = False
    sim = None                  # the Sim instance
    prefix = "/api"             # auth, faults, stats and the log apply below it (api_path)
    extra_paths = ()            # routed paths outside prefix and /_sim/
    routes = []                 # (method, regex on the path, handler method name)
    not_found_code = "NotFound"
    bad_code = "BadRequest"     # code of 400s for bad parameters / JSON

    def body_limit(self):       # the largest body this request may carry (413 above)
        return MAX_BODY

    def log_message(self, fmt, *args):
        if self.verbose:
            sys.stderr.write("%s - %s\n" % (self.address_string(), redact(fmt % args)))

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def dispatch(self):
        u = urllib.parse.urlsplit(self.path)
        self.upath, self.rawquery = u.path, u.query
        self.query = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        self.after, self.auth_kind, self.replied, self.t0 = None, "none", False, now_ms()
        self.is_api = self.api_path(self.upath)
        self.want_close = self.close_connection
        try:
            self.body = self.read_body()
            if self.is_api:
                f = self.sim.take_fault(self.command, self.upath)
                if f and f["action"] == "drop":
                    return self.drop()
                if f and f["action"] == "status":
                    raise self.fault_error(f)
                if f and f["action"] == "delay":
                    time.sleep(f["delay_ms"] / 1000)
                elif f and f["action"] == "hold":
                    self.sim.hold()
                elif f:
                    self.after = f
                self.authenticate()
            self.route()
        except ApiError as e:
            if not self.replied:
                self.reply_error(e)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:
            traceback.print_exc()
            if not self.replied:
                self.close_connection = True
                self.reply_error(ApiError(500, "InternalError", repr(e)))

    def api_path(self, p):
        return p == self.prefix or p.startswith(self.prefix + "/")

    def reply_error(self, e):
        self.send_json(e.status, {"code": e.code, "message": e.message}, e.headers)

    def authenticate(self):     # subclasses: set auth_kind, raise 401/429
        pass

    def route(self):
        if not (self.is_api or self.upath.startswith("/_sim/") or self.upath in self.extra_paths):
            raise ApiError(404, self.not_found_code, f"no such path {self.upath}")
        allowed = []
        for meth, rx, name in self.routes:
            m = re.fullmatch(rx, self.upath)
            if m:
                if meth == self.command:
                    return getattr(self, name)(*[urllib.parse.unquote(g) for g in m.groups()])
                allowed.append(meth)
        if allowed:
            raise ApiError(405, "MethodNotAllowed", f"{self.command} not allowed on {self.upath}",
                           {"Allow": ", ".join(allowed)})
        raise ApiError(404, self.not_found_code, f"no such resource {self.upath}")

    def fault_error(self, f):
        h = {}
        if f["retry_after"] is not None:
            ra = f["retry_after"]
            h["Retry-After"] = str(int(ra)) if float(ra).is_integer() else str(ra)
        return ApiError(f["status"], status_code_name(f["status"]), "injected fault", h)

    def read_body(self):
        """The whole body (Content-Length or chunked), at most body_limit() bytes."""
        self.close_connection = True        # until the body is read: a failure leaves the stream unusable
        limit = self.body_limit()
        too_big = ApiError(413, "PayloadTooLarge", f"body over {limit} bytes")
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = b""
            while True:
                try:
                    n = int(self.rfile.readline(100).split(b";")[0], 16)
                except ValueError:
                    raise bad("bad chunked encoding", self.bad_code)
                if n == 0:
                    break
                if len(data) + n > limit:
                    raise too_big
                data += self.rfile.read(n)
                self.rfile.readline(100)            # the CRLF after the chunk
            while self.rfile.readline(1000).strip():
                pass
        else:
            cl = self.headers.get("Content-Length", "0").strip()
            need(re.fullmatch(r"\d{1,12}", cl), "bad Content-Length", self.bad_code)
            if int(cl) > limit:
                raise too_big
            data = self.rfile.read(int(cl))
        self.close_connection = self.want_close
        return data

    def json_body(self, strict=True):
        """strict: Content-Type application/json and a body required (the API);
        otherwise (control API) any Content-Type, and an empty body is {}."""
        if strict:
            ct = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
            if ct != "application/json":
                raise ApiError(415, "UnsupportedMediaType", "Content-Type must be application/json")
        elif not self.body.strip():
            return {}
        try:
            return json.loads(self.body.decode("utf-8"), parse_constant=_no_constant)
        except ValueError as e:
            raise bad(f"malformed JSON body: {e}", self.bad_code)

    def json_obj(self, strict=True):
        b = self.json_body(strict)
        need(isinstance(b, dict), "body must be a JSON object", self.bad_code)
        return b

    def q(self, name):
        v = self.query.get(name)
        return v[0] if v else None

    def q_int(self, name, lo, hi, default):
        v = self.q(name)
        if v is None:
            return default
        need(re.fullmatch(r"-?\d{1,16}", v) and lo <= int(v) <= hi,
             f"{name} must be an integer in {lo}..{hi}", self.bad_code)
        return int(v)

    def send_json(self, status, obj=None, headers=None, raw=None, ctype="application/json; charset=utf-8"):
        if self.after:          # status_after / drop_after: acted on, the reply is lost
            f, self.after = self.after, None
            if f["action"] == "drop_after":
                return self.drop()
            return self.reply_error(self.fault_error(f))
        body = b"" if status == 204 else raw if raw is not None else json.dumps(obj).encode()
        self.replied = True
        self.note(status)
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if status != 204:
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def drop(self):
        self.close_connection, self.replied = True, True
        self.note(0)
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def note(self, status):
        if self.is_api:
            self.sim.record({"method": self.command, "path": self.upath, "query": redact(self.rawquery),
                             "status": status, "auth_kind": self.auth_kind, "time_ms": self.t0})

    # -- control API common to both simulators --
    def locked(self, fn, status=200):
        """Reply with fn() computed under the lock (never held while writing)."""
        with self.sim.lock:
            r = fn()
        self.send_json(status, r)

    def sim_reset(self):
        self.locked(lambda: self.sim.reset() or {"ok": True})

    def sim_keys(self):
        b = self.json_obj(False)
        need(isinstance(b.get("key"), str) and b["key"], "key must be a non-empty string")
        self.locked(lambda: (self.sim.keys.discard if b.get("revoke") else self.sim.keys.add)(b["key"])
                    or {"ok": True})

    def sim_faults_add(self):
        f = self.sim.parse_fault(self.json_obj(False))
        self.locked(lambda: self.sim.faults.append(f) or {"ok": True, "fault": fault_view(f)})

    def sim_faults_clear(self):
        self.locked(lambda: self.sim.faults.clear() or {"ok": True})

    def sim_release(self):
        self.locked(self.sim.release)

    def sim_held(self):
        self.locked(lambda: {"held": self.sim.held})

    def sim_stats(self):
        self.send_json(200, self.sim.stats())

    def sim_requests(self):
        self.locked(lambda: copy.deepcopy(self.sim.log))


def post_json(url, payload, headers=None, timeout=30):
    """POST payload as JSON; never follows redirects. -> (status or 0, body text, ms)."""
    t0 = time.monotonic()
    try:
        u = urllib.parse.urlsplit(url)
        cls = http.client.HTTPSConnection if u.scheme == "https" else http.client.HTTPConnection
        conn = cls(u.hostname, u.port, timeout=timeout)
        try:
            conn.request("POST", (u.path or "/") + ("?" + u.query if u.query else ""),
                         json.dumps(payload).encode(),
                         {"Content-Type": "application/json", **(headers or {})})
            r = conn.getresponse()
            status, text = r.status, r.read().decode("utf-8", "replace")
        finally:
            conn.close()
    except (OSError, ValueError, http.client.HTTPException) as e:
        status, text = 0, f"{type(e).__name__}: {e}"
    return status, text, round((time.monotonic() - t0) * 1000, 3)

def serve(handler_cls, description):
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--verbose", action="store_true", help="log requests to stderr")
    a = ap.parse_args()
    handler_cls.verbose = a.verbose
    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.request_queue_size = 128   # bursts of concurrent clients in the load tests
    srv = ThreadingHTTPServer((a.host, a.port), handler_cls)
    srv.daemon_threads = True
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)   # inherited: only sigwait() sees them
    threading.Thread(target=srv.serve_forever, args=(0.05,), daemon=True).start()
    print(f"listening on {a.host}:{srv.server_address[1]}", flush=True)
    signal.sigwait(stop)
    srv.shutdown()
    srv.server_close()

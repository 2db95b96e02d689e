#!/usr/bin/env python3
"""Formats make bench's figures as markdown (bench/results.md).

  report.py MACHINE.txt RESULTS.txt [E2E.json] > results.md

MACHINE.txt: key=value lines. RESULTS.txt: lines "<kind> key=value ...",
written by bench/run.sh. E2E.json: bench/e2e.py's output."""
import json, os, statistics, sys

def kv(words):
    d = {}
    for w in words:
        k, sep, v = w.partition("=")
        if sep:
            try:
                d[k] = float(v) if any(ch in v for ch in ".e") or v.lstrip("-").isdigit() else v
            except ValueError:
                d[k] = v
    return d

machine = {}
with open(sys.argv[1]) as f:
    for line in f:
        k, _, v = line.rstrip("\n").partition("=")
        machine[k] = v
rows = []
with open(sys.argv[2]) as f:
    for line in f:
        parts = line.split()
        if parts:
            rows.append((parts[0], kv(parts[1:])))
e2e = None
if len(sys.argv) > 3 and os.path.exists(sys.argv[3]):
    with open(sys.argv[3]) as f:
        e2e = json.load(f)

def find(kind, **want):
    for k, d in rows:
        if k == kind and all(str(d.get(a)) == str(b) or d.get(a) == b for a, b in want.items()):
            return d
    return None

def pt(server, what, runner, conns):
    return find("point", server=server, what=what, runner=runner, conns=float(conns))

def num(v, fmt="{:,.0f}"):
    return "n/a" if v is None else fmt.format(v)

def ratio(a, b):
    return None if a is None or not b else a / b

procs = int(float(machine.get("procs", 4)))
servers = [s for s in ("lighttpd", "apache") if find("point", server=s)]
has_peer = find("point", server="peer") is not None
conns = sorted({int(d["conns"]) for k, d in rows if k == "point" and d.get("what") == "valid"})
probe_n = find("probe", mode="store", procs=float(procs))
probe_1 = find("probe", mode="store", procs=1.0)
fsync = find("probe", mode="fsync")
out = []
w = out.append

w("# cglever benchmark (make bench)")
w("")
w(f"Run {machine.get('date', '?')} on: {machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, "
  f"{machine.get('ram', '?')} RAM, {machine.get('kernel', '?')}; disk {machine.get('disk', '?')}; "
  f"load average before the run {machine.get('load', '?')}.")
w(f"Software: {machine.get('lighttpd', '?')}, {machine.get('apache', '?')} (mod_fcgid, mpm_event), "
  f"{machine.get('bdb', '?')}, Node.js {machine.get('node', '?')}, {machine.get('wrk', '?')}. "
  f"wrk: {machine.get('seconds', '?')} s per point, keep-alive, 1 thread at 1 connection, else 2. "
  f"{procs} webhook.fcgi processes per server.")
w("Method: each request is a Lever candidateStageChange signed with a fresh random token "
  "(bench/sign.lua); its stage matches no rule, so the queue runner finishes each job without "
  "calling Lever, as fast as the store lets it (the most a runner can compete with intake). "
  "Runner off: the bench holds the account's runner lock, so webhook.fcgi starts no runner and the "
  "jobs wait; runner on: the lock is let go and the runner works that backlog while deliveries keep "
  "coming. Under Apache, mod_fcgid parks a request for 1 s whenever all its processes are busy, "
  "which is what its p99 at 8 and 32 connections shows.")
pts = [d for k, d in rows if k == "point"]
if pts:
    fo = max(int(d.get("foreign", 0)) for d in pts)
    ld = max(float(d.get("load1", 0)) for d in pts)
    w(f"Other work on the machine during the wrk points: up to {fo} cglever programs, test scripts "
      f"or fuzzers not started by the bench; 1-minute load average up to {ld:.2f} "
      f"(after the run: {machine.get('load_after', '?')}).")
w("")

# ---- limits
w("## Limits")
w("")
w("| limit | rate/s | p50 ms | p99 ms |")
w("|---|---:|---:|---:|")
if fsync:
    w(f"| disk: append 256 B + fdatasync, 1 process | {num(fsync['per_s'])} | "
      f"{num(fsync['p50_ms'], '{:.2f}')} | {num(fsync['p99_ms'], '{:.2f}')} |")
for p in (probe_1, probe_n):
    if p:
        w(f"| store: delivery + job, 1 durable transaction each, {int(p['procs'])} process"
          f"{'es' if p['procs'] > 1 else ''} (commitprobe) | {num(p['per_s'])} | "
          f"{num(p['p50_ms'], '{:.2f}')} | {num(p['p99_ms'], '{:.2f}')} |")
for s in servers:
    t = pt(s, "trivial", "-", 32)
    if t:
        w(f"| trivial.fcgi under {s}, 32 connections | {num(t['rps'])} | "
          f"{num(t['p50_ms'], '{:.2f}')} | {num(t['p99_ms'], '{:.2f}')} |")
w("")

# ---- intake
w("## Webhook intake (signed, distinct tokens, stage changes that match no rule)")
w("")
w("| receiver | queue runner | connections | requests/s | p50 ms | p99 ms | non-2xx |")
w("|---|---|---:|---:|---:|---:|---:|")
for s in servers:
    for runner in ("off", "on"):
        for c in conns:
            d = pt(s, "valid", runner, c)
            if d:
                w(f"| {s} + webhook.fcgi | {runner} | {c} | {num(d['rps'])} | "
                  f"{num(d['p50_ms'], '{:.2f}')} | {num(d['p99_ms'], '{:.2f}')} | "
                  f"{int(d['non2xx'] + d['connect'] + d['read'] + d['write'] + d['timeout'])} |")
if has_peer:
    pw = find("peer")
    for c in conns:
        d = pt("peer", "valid", "-", c)
        if d:
            w(f"| Node.js peer ({int(pw['workers']) if pw and 'workers' in pw else '?'} workers) | - | {c} | "
              f"{num(d['rps'])} | {num(d['p50_ms'], '{:.2f}')} | {num(d['p99_ms'], '{:.2f}')} | "
              f"{int(d['non2xx'] + d['connect'] + d['read'] + d['write'] + d['timeout'])} |")
w("")
w("## Invalid signatures (32 connections; every answer must be 401)")
w("")
w("| receiver | requests/s | p50 ms | p99 ms | answered 401 |")
w("|---|---:|---:|---:|---:|")
for s in servers + (["peer"] if has_peer else []):
    d = find("point", server=s, what="invalid", conns=32.0)
    if d:
        w(f"| {s} | {num(d['rps'])} | {num(d['p50_ms'], '{:.2f}')} | {num(d['p99_ms'], '{:.2f}')} | "
          f"{'all' if d['non2xx'] == d['requests'] else '%d of %d' % (d['non2xx'], d['requests'])} |")
w("")

# ---- end to end
if e2e:
    w(f"## End to end: {e2e['n']:,} stage changes for distinct candidates (lighttpd, runner on)")
    w("")
    w("| measure | value |")
    w("|---|---:|")
    w(f"| deliveries answered | {', '.join(f'{v} x {k}' for k, v in sorted(e2e['deliveries_status'].items()))} "
      f"in {e2e['delivery_seconds']} s |")
    w(f"| time from the first delivery to the last CodinGame send | {e2e['seconds_to_last_send']} s"
      f"{'' if e2e['complete'] else ' (INCOMPLETE: timed out)'} |")
    if "longest_gap_between_sends_s" in e2e:
        w(f"| longest pause between two sends (a runner killed from outside shows here) | "
          f"{e2e['longest_gap_between_sends_s']} s |")
    w(f"| sends / distinct candidates / duplicates | {e2e['sends']:,} / {e2e['distinct_candidates']:,} / "
      f"{e2e['duplicates']} |")
    w(f"| Lever requests (mean rate) | {e2e['lever_requests']:,} ({e2e['lever_mean_per_s']}/s) |")
    w(f"| Lever: highest requests in one calendar second / sliding 1 s / best 10 s average | "
      f"{e2e['lever_max_per_second_bucket']} / {e2e['lever_sim_max_1s_sliding']} / "
      f"{e2e['lever_sim_max_10s_avg']} |")
    w(f"| Lever 429 answers | {e2e['lever_429']} |")
    w("")

# ---- memory
w("## Memory and size")
w("")
w("| measure | value |")
w("|---|---:|")
for s in servers + ["e2e"]:
    m = [d for k, d in rows if k == "mem" and d.get("server") == s]
    if m:
        h = [d["vmhwm_kb"] for d in m]
        anon = [d.get("rssanon_kb", 0) for d in m]
        shm = [d.get("rssshmem_kb", 0) for d in m]
        w(f"| webhook.fcgi peak RSS (VmHWM) under {s if s != 'e2e' else 'lighttpd, end to end'}, "
          f"{len(m)} processes | max {max(h) / 1024:.1f} MiB; of the RSS at the end, private (heap) "
          f"{statistics.mean(anon) / 1024:.1f} MiB and Berkeley DB's shared regions "
          f"{statistics.mean(shm) / 1024:.1f} MiB, the rest shared libraries |")
dbs = find("dbsize")
if dbs and e2e and e2e["sends"]:
    n = e2e["sends"]
    scale = 10000 / n
    w(f"| db_home after the end-to-end run ({n:,} invitations, deliveries, jobs done) | "
      f"{dbs['du_bytes'] / 2**20:.1f} MiB: databases {dbs['db_files_bytes'] / 2**20:.1f} MiB, "
      f"logs {dbs['log_bytes'] / 2**20:.1f} MiB |")
    w(f"| databases per 10,000 invitations (scaled; the logs are bounded by checkpoints, not by the data) | "
      f"{dbs['db_files_bytes'] * scale / 2**20:.1f} MiB |")
w("")

# ---- ratios
w("## Ratios against the targets")
w("")
hdr = "| ratio | " + " | ".join(servers) + " | target | met |"
w(hdr)
w("|---|" + "---:|" * len(servers) + "---|---|")

def line(name, vals, target, ok, fmt="{:.3g}"):
    cells = [num(v, fmt) for v in vals]
    met = "n/a" if any(v is None for v in vals) else ("yes" if all(ok(v) for v in vals) else "NO")
    w(f"| {name} | " + " | ".join(cells) + f" | {target} | {met} |")

pn = probe_n["per_s"] if probe_n else None
peer32 = pt("peer", "valid", "-", 32)
line(f"intake (32 conn, runner on) / store commit rate ({procs} processes)",
     [ratio((pt(s, "valid", "on", 32) or {}).get("rps"), pn) for s in servers], ">= 0.8",
     lambda v: v >= 0.8)
line("intake (32 conn, runner off) / store commit rate",
     [ratio((pt(s, "valid", "off", 32) or {}).get("rps"), pn) for s in servers], "(>= 0.8)",
     lambda v: v >= 0.8)
line("intake (32 conn, runner on) / Node.js peer (32 conn)",
     [ratio((pt(s, "valid", "on", 32) or {}).get("rps"), (peer32 or {}).get("rps")) for s in servers],
     ">= 2", lambda v: v >= 2)
line("intake (32 conn, runner off) / Node.js peer (32 conn)",
     [ratio((pt(s, "valid", "off", 32) or {}).get("rps"), (peer32 or {}).get("rps")) for s in servers],
     "(>= 2)", lambda v: v >= 2)
line("invalid signatures / trivial.fcgi (32 conn)",
     [ratio((find("point", server=s, what="invalid", conns=32.0) or {}).get("rps"),
            (pt(s, "trivial", "-", 32) or {}).get("rps")) for s in servers], ">= 0.8",
     lambda v: v >= 0.8)
line("p99 latency at 32 conn, runner on (ms)",
     [(pt(s, "valid", "on", 32) or {}).get("p99_ms") for s in servers], "< 20", lambda v: v < 20,
     "{:.1f}")
line("p99 latency at 32 conn, runner off (ms)",
     [(pt(s, "valid", "off", 32) or {}).get("p99_ms") for s in servers], "(< 20)", lambda v: v < 20,
     "{:.1f}")
if e2e:
    ok = (e2e["lever_429"] == 0 and e2e["sends"] == e2e["n"] and e2e["duplicates"] == 0
          and e2e["lever_max_per_second_bucket"] <= 20 and e2e["lever_mean_per_s"] <= 10.05)
    w(f"| end to end: Lever max in one second, mean rate, 429s, sends, duplicates | "
      f"{e2e['lever_max_per_second_bucket']}, {e2e['lever_mean_per_s']}/s, {e2e['lever_429']}, "
      f"{e2e['sends']:,}, {e2e['duplicates']} (lighttpd)" + " |" * (len(servers) - 1) +
      f" | <= 20, <= 10, 0, {e2e['n']:,}, 0 | {'yes' if ok else 'NO'} |")
w("")
el = find("elapsed")
if el:
    w(f"bench/run.sh took {int(el['seconds'])} s.")
print("\n".join(out))

#!/usr/bin/env python3
"""End to end for make bench: N stage changes for distinct candidates.

  BENCH_HOOK_URL=WEBHOOK_URL e2e.py LEVER_PORT CG_PORT N OUT.json [TIMEOUT_S]

(The URL comes from the environment: a command line naming webhook.fcgi
would be fair game for test scripts that kill webhook.fcgi processes by
name, as tests/faults/chaos.sh does.)

Creates N opportunities in the Lever simulator (tag java, stage
stage-screen, one email each: the rule of the bench account matches them),
has the simulator deliver one signed candidateStageChange for each (32 at
a time), then waits until the CodinGame simulator lists N sends (or the
timeout), waits 3 s more for duplicates, and writes what it saw:
time until the last send, sends and distinct candidates, the Lever
simulator's request rate (per-second buckets since the first delivery, its
sliding 1 s maximum and 10 s average) and its 429 count."""
import collections, concurrent.futures, http.client, json, os, sys, time

lp, cp, n, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
timeout = float(sys.argv[5]) if len(sys.argv) > 5 else 900
url = os.environ["BENCH_HOOK_URL"]

def call(port, method, path, body=None, conn=None):
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request(method, path, json.dumps(body).encode() if body is not None else None,
              {"Content-Type": "application/json"})
    r = c.getresponse()
    data = json.loads(r.read() or b"null")
    if not conn:
        c.close()
    return data

conn = http.client.HTTPConnection("127.0.0.1", lp, timeout=120)
opps = [call(lp, "POST", "/_sim/opportunities",
             {"name": f"Bench Candidate {i}", "emails": [f"bench{i}@example.com"],
              "tags": ["java"], "stage": "stage-screen"}, conn)["id"] for i in range(n)]
conn.close()
print(f"e2e: {n} opportunities created; delivering", flush=True)

def deliver(o):
    return call(lp, "POST", "/_sim/deliver", {"url": url, "opportunityId": o,
                "toStageId": "stage-screen", "fromStageId": "stage-applied"})

t0 = time.time()
with concurrent.futures.ThreadPoolExecutor(32) as ex:
    reps = list(ex.map(deliver, opps))
t_delivered = time.time()
codes = collections.Counter(r["status"] for r in reps)
lat = sorted(r["elapsed_ms"] for r in reps)
print(f"e2e: {n} deliveries in {t_delivered - t0:.1f} s, statuses {dict(codes)}; "
      f"waiting for {n} sends", flush=True)

def sends():
    return call(cp, "GET", "/_sim/sends")["sends"]

deadline = t0 + timeout
last_print = 0
while True:
    s = sends()
    now = time.time()
    if len(s) >= n or now > deadline:
        break
    if now - last_print >= 30:
        print(f"e2e: {len(s)}/{n} sent after {now - t0:.0f} s", flush=True)
        last_print = now
    time.sleep(1)
complete = len(s) >= n
time.sleep(3)                      # anything sent twice shows up now
s = sends()
emails = collections.Counter(x["candidate_email"] for x in s)
last_ms = max((x["time_ms"] for x in s), default=t0 * 1000)
reqs = [r for r in call(lp, "GET", "/_sim/requests") if r["time_ms"] >= t0 * 1000 - 1]
buckets = collections.Counter(int(r["time_ms"] // 1000) for r in reqs)
stats = call(lp, "GET", "/_sim/stats")
res = {
    "n": n, "complete": complete, "deliveries_status": {str(k): v for k, v in codes.items()},
    "delivery_seconds": round(t_delivered - t0, 3),
    "delivery_p50_ms": lat[len(lat) // 2] if lat else None,
    "delivery_p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else None,
    "sends": len(s), "distinct_candidates": len(emails),
    "duplicates": sum(v - 1 for v in emails.values() if v > 1),
    "seconds_to_last_send": round(last_ms / 1000 - t0, 1),
    # a runner that dies (killed from outside) leaves its leased job until
    # the lease ends and cron's sweep comes: it shows as a long gap
    "longest_gap_between_sends_s": round(max((b - a for a, b in zip(
        sorted(x["time_ms"] for x in s), sorted(x["time_ms"] for x in s)[1:])), default=0) / 1000, 1),
    "lever_requests": len(reqs),
    "lever_max_per_second_bucket": max(buckets.values(), default=0),
    "lever_sim_max_1s_sliding": stats["max_1s"],
    "lever_sim_max_10s_avg": stats["max_10s_avg"],
    "lever_429": stats["rate_limited"],
    "lever_429_in_run": sum(1 for r in reqs if r["status"] == 429),
    # (requests - 1) / (last - first): the rate the runner kept between its first and last call
    "lever_mean_per_s": round((len(reqs) - 1) / max(1e-9, (max(r["time_ms"] for r in reqs) -
                                                         min(r["time_ms"] for r in reqs)) / 1000), 2)
    if len(reqs) > 1 else 0,
}
with open(out, "w") as f:
    json.dump(res, f, indent=1)
print("e2e: " + json.dumps(res), flush=True)

#!/bin/bash
# The Campaigns page as a picture (issue 16 item 6): tests sent through the
# real path and finished in the CodinGame simulator (scores, start and end
# times, technologies); the page's figures and charts (funnel sent ->
# started -> completed -> passed, the score histogram, the median time to
# complete, the average per technology) equal what the tests give; a
# campaign with nothing completed says "No results yet" and, without a pass
# mark, passed "n/a"; names with <script> are text. Then headless Chromium,
# page scripts off, at desktop and phone width: screenshots not blank, no
# horizontal overflow, charts within the window (tests/campaigns_browser.py;
# screenshots in tests/tmp/t0043-campaigns/NN-*.png).
. "$(dirname "$0")/lib.sh"
need chromium chromedriver timeout
need_selenium
setup
EVIL='<script>alert(1)</script>'
sim CG POST /_sim/campaigns "{\"campaigns\":[{\"id\":1,\"name\":\"Java $EVIL & co\",\"languages\":[\"Java\"]},{\"id\":2,\"name\":\"Python\",\"languages\":[\"Python\"]}]}" >/dev/null
ACC=$(add_account acme)
ctl rule add "$ACC" --tag java --stage stage-screen --campaign 1 --pass 70 --fail 40 >/dev/null
ctl rule add "$ACC" --tag python --stage stage-screen --campaign 2 >/dev/null
for c in c1:java c2:java c3:java c4:java c5:java c6:java c7:java c8:java p1:python p2:python; do
	O=$(opportunity "{\"name\":\"${c%%:*}\",\"emails\":[\"${c%%:*}@example.com\"],\"tags\":[\"${c#*:}\"],\"stage\":\"stage-screen\"}")
	deliver "$ACC" "$O" stage-screen >/dev/null
done
wait_until 60 sends_ge 10 || die "the 10 tests did not go out ($(sends) sent)"
settle

# Six finish (score, minutes taken + 30 s, technologies), one gives up,
# c8 and the two Python ones never start.
T0=1700000000000
finish() {  # finish NAME SCORE MINUTES TECHNOLOGIES_JSON
	tid=$(sim CG GET /_sim/sends | jget "[s['test_id'] for s in d['sends'] if s['candidate_email']=='$1@example.com'][0]")
	sim CG POST "/_sim/tests/$tid" "{\"status\":\"completed\",\"score\":$2,\"start_time\":$T0,\"end_time\":$((T0 + $3 * 60000 + 30000)),\"technologies\":$4}" >/dev/null
}
tech() { printf '{"score":%s,"points":1,"total_points":1,"skills":{}}' "$1"; }
finish c1 95 20 "{\"Java\":$(tech 90),\"SQL\":$(tech 100)}"
finish c2 72 30 "{\"Java\":$(tech 70)}"
finish c3 12 45 "{\"Java\":$(tech 10),\"$EVIL\":$(tech 20)}"
finish c4 100 12 "{\"Java\":$(tech 100)}"
finish c5 69.99 25 "{\"SQL\":$(tech 55.5)}"
finish c6 80 50 "{\"Java\":$(tech 80)}"
tid=$(sim CG GET /_sim/sends | jget "[s['test_id'] for s in d['sends'] if s['candidate_email']=='c7@example.com'][0]")
sim CG POST "/_sim/tests/$tid" '{"status":"aborted"}' >/dev/null
# Done when the seven result notes are on the Lever timelines.
finished() { [ "$(sim LEVER GET /_sim/notes | jget "len([n for n in d['notes'] if '[cglever:result:' in n['value'] or 'CodinGame result' in n['value']])")" -ge 7 ]; }
swept() { ctl sweep 2>>"$T/sweep.err"; settle; finished; }
check "the sweep reads the seven results" wait_until 120 swept

BASE="http://127.0.0.1:$HTTP_PORT/admin.fcgi"
URL="$BASE/account/$ACC/campaigns"
curl -sS -u "admin:pw-$$" -D "$T/camp.hdr" "$URL" >"$T/camp.html"
is "the Campaigns page answers 200" "$(head -1 "$T/camp.hdr" | tr -d '\r' | awk '{print $2}')" 200

# The page's figures, parsed from its HTML and SVG, against those of the
# tests in the simulator (what the invitations were told).
sim CG GET /_sim/sends >"$T/sends.json"
for tid in $(jget '" ".join(str(s["test_id"]) for s in d["sends"])' <"$T/sends.json"); do
	sim CG GET "/_sim/tests/$tid"; echo
done >"$T/tests.jsonl"
python3 - "$T/camp.html" "$T/tests.jsonl" >"$T/camp.txt" <<'PY'
import html, json, math, re, sys
page = open(sys.argv[1]).read()
tests = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
def section(c):
    m = re.search(r'<section class="campaign" data-campaign="%d">(.*?)</section>' % c, page, re.S)
    return m.group(1) if m else ""
def cell(sec, cls):
    m = re.search(r'<td class="%s"[^>]*>([^<]*)<' % cls, sec)
    return html.unescape(m.group(1)) if m else None
def seen(c):
    s = section(c)
    funnel = {m[0]: int(m[1]) for m in re.findall(r'data-step="(\w+)" data-n="(-?\d+)"', s)}
    notes = re.findall(r'data-step="\w+" data-n="-?\d+"><title>[^<]*</title></rect>\n<text[^>]*>([^<]*)<', s)
    bins = [int(x) for x in re.findall(r'data-bin="\d+" data-count="(\d+)"', s)]
    tm = re.search(r'data-minutes="([^"]*)">([^<]*)<', s)
    techs = sorted((html.unescape(t).rsplit(": ", 1)[0], a, int(n)) for a, n, t in
                   re.findall(r'data-avg="([\d.]+)" data-n="(\d+)"><title>([^<]*)</title>', s))
    return [[cell(s, k) for k in ("sent", "started", "completed", "waiting", "passed", "median")],
            funnel, [html.unescape(n) for n in notes], bins, tm and [tm.group(1), html.unescape(tm.group(2))],
            techs, "No results yet" in s]
def want(c, pass_mark):
    ts = [t for t in tests if t["campaign_id"] == c]
    done = [t for t in ts if t["status"] == "completed"]
    sc = sorted(math.floor(round(t["report"]["score"] * 100, 6)) for t in done)   # hundredths
    started = [t for t in ts if t["start_time"]]
    passed = [s for s in sc if pass_mark is not None and s >= pass_mark * 100]
    sent = len(ts)
    pct = lambda n: "%d (%.0f%%)" % (n, 100.0 * n / sent)
    med = "%.1f%%" % ((sc[(len(sc) - 1) // 2] + sc[len(sc) // 2]) / 200) if sc else "-"
    fig = [str(sent), str(len(started)), str(len(done)), str(len([t for t in ts if t["status"] == "waiting"])),
           str(len(passed)) if pass_mark is not None else "n/a (no pass mark)", med]
    funnel = {"sent": sent, "started": len(started), "completed": len(done),
              "passed": len(passed) if pass_mark is not None else -1}
    notes = [pct(sent), pct(len(started)), pct(len(done)),
             pct(len(passed)) if pass_mark is not None else "n/a (no pass mark)"]
    bins = [0] * 10
    for s in sc: bins[min(s // 1000, 9)] += 1
    mins = sorted((t["end_time"] - t["start_time"]) // 60000 for t in done)
    tm = None
    if mins:
        m2 = mins[(len(mins) - 1) // 2] + mins[len(mins) // 2]
        h, m = m2 // 120, (m2 % 120) / 2
        tm = ["%g" % (m2 / 2), ("%d h %g min" % (h, m) if h else "%g min" % m) + " (of %d, to the minute)" % len(mins)]
    per = {}
    for t in done:
        for name, v in t["report"]["technologies"].items():
            per.setdefault(name, []).append(round(v["score"] * 100))
    techs = sorted((n, "%.2f" % (sum(v) / len(v) / 100), len(v)) for n, v in per.items())
    return [fig, funnel, notes, bins if done else [], tm, techs, not done]
for c, pm in ((1, 70), (2, None)):
    for what, a, b in zip(("figures", "funnel", "funnel notes", "histogram", "median time",
                           "technologies", "no results yet"), seen(c), want(c, pm)):
        print("campaign %d %s: page %s | tests %s" % (c, what, json.dumps(a), json.dumps(b)))
PY
while IFS= read -r line; do
	what=${line%%: page *}; rest=${line#*: page }
	is "$what matches the tests" "${rest%% | tests *}" "${rest#* | tests }"
done <"$T/camp.txt"
check "the figures were read (7 per campaign)" test "$(wc -l <"$T/camp.txt")" -eq 14
is "campaign 1: 8 sent, 7 started, 6 completed, 4 passed" \
	"$(grep -o 'funnel: page {[^}]*}' "$T/camp.txt" | head -1)" \
	'funnel: page {"sent": 8, "started": 7, "completed": 6, "passed": 4}'
is "campaign 1: the median time to complete is 27.5 min" \
	"$(grep -o 'median time: page \[[^]]*\]' "$T/camp.txt" | head -1)" \
	'median time: page ["27.5", "27.5 min (of 6, to the minute)"]'

# Escaping and the page's own rules: no script, no inline style, no
# outside resource; the CSP is the usual one.
is "no <script in the page (names with it are escaped)" "$(grep -ci '<script' "$T/camp.html")" 0
check "the campaign's name is shown escaped" grep -qF 'Java &lt;script&gt;alert(1)&lt;/script&gt; &amp; co' "$T/camp.html"
check "and the technology's" grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;: 20.0% (1)' "$T/camp.html"
is "no style attribute, no external reference" "$(grep -ciE ' style=|href="http[^"]*//[^1]|xlink:href|<image|<foreignObject' "$T/camp.html")" 0
check "the CSP is unchanged (default-src 'none'; style-src 'self')" \
	grep -q "^Content-Security-Policy: default-src 'none'; style-src 'self'; frame-ancestors 'none'" "$T/camp.hdr"
is "each chart has a title, a description and a viewBox, drawn at the page's width" \
	"$(grep -c '<svg class="chart" width="100%" viewBox="0 0 360 [0-9]*" role="img"' "$T/camp.html") $(grep -c '<desc>' "$T/camp.html")" "4 4"

run_browser 180 campaigns_browser.py --url "$URL" --user admin --password "pw-$$"
shots=$(ls "$T"/[0-9][0-9]-*.png 2>/dev/null | wc -l)
check "the browser left its screenshots ($shots) in $T" test "$shots" -ge 2
wait_runners
done_testing

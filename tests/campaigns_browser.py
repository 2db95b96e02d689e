#!/usr/bin/env python3
"""The Campaigns page in headless Chromium (Selenium) for tests/t0043-campaigns.sh;
prints TAP lines ("ok - ..." / "not ok - ...").

  campaigns_browser.py --url URL --user U --password P --out DIR
                       [--chromium PATH] [--chromedriver PATH]

With page scripts switched off (DevTools: Emulation.setScriptExecutionDisabled),
loads the page at desktop width (1280 px) and at phone width (390 px, mobile
emulation) and at each: takes a full-page screenshot (DIR/NN-*.png) and checks
it is not blank (pixels of the bars' colour are painted), that nothing is
wider than the window (no horizontal scrolling), that every chart lies within
the window, and that the charts' text is at least 9 CSS pixels tall. Also that
a campaign named with <script> shows it as text (no script element).
Exit status: 0 when every line is "ok", 1 otherwise, 2 when Chromium does not start.
"""
import argparse, base64, os, struct, sys, zlib

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from browser_common import Browser, Fail, main

BAR = (0x24, 0x52, 0x7a)    # admin_svg.c's FILL


def png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of an 8-bit, non-interlaced PNG."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Fail(f"{path} is not a PNG")
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, lace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or lace:
                raise Fail(f"{path}: PNG kind {depth}/{ctype}/{lace} not handled")
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


class Run(Browser):
    STEPS = [("sign-in", "the Campaigns page loads with page scripts off"),
             ("desktop", "at desktop width (1280 px) the charts are drawn and fit"),
             ("phone", "at phone width (390 px) the charts are drawn, fit and stay readable"),
             ("escaping", "a campaign named with <script> shows it as text")]

    def page_ok(self, what):
        if "Campaigns" not in (self.d.title or ""):
            raise Fail(f"{what}: the page is '{self.d.title}' ({self.d.current_url})")

    def step_sign_in(self):
        tok = base64.b64encode(f"{self.a.user}:{self.a.password}".encode()).decode()
        self.d.execute_cdp_cmd("Network.enable", {})
        self.d.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Authorization": "Basic " + tok}})
        self.d.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        self.go(self.a.url, "the Campaigns page")
        self.ok("the Campaigns page loads (basic auth through DevTools, page scripts off)")

    def bar_pixels(self, path):
        w, h, bpp, rows = png_pixels(path)
        n = sum(1 for r in rows for x in range(0, w * bpp, bpp)
                if abs(r[x] - BAR[0]) < 8 and abs(r[x + 1] - BAR[1]) < 8 and abs(r[x + 2] - BAR[2]) < 8)
        return w, h, n

    def layout(self, width, name):
        self.go(self.a.url, f"the Campaigns page at {width} px")
        path = self.shot(name)
        w, h, n = self.bar_pixels(path)
        self.note(f"{name}: screenshot {path}: {w}x{h} px, {n} px of the bars' colour")
        self.check(f"{name}: the screenshot is not blank: the bars are painted ({n} px)", n >= 500)
        m = self.d.execute_script(
            "const svgs = [...document.querySelectorAll('svg.chart')];"
            "const texts = [...document.querySelectorAll('svg.chart text')];"
            "return {inner: window.innerWidth, scroll: document.documentElement.scrollWidth,"
            " svgs: svgs.length,"
            " out: svgs.filter(s => { const r = s.getBoundingClientRect();"
            "   return r.left < 0 || r.right > window.innerWidth || r.width < 100; }).length,"
            " minText: Math.min(...texts.map(t => t.getBoundingClientRect().height)),"
            " scripts: document.scripts.length}")
        self.note(f"{name}: {m}")
        self.check(f"{name}: the window is {width} px wide", m["inner"] == width, f"{m['inner']}")
        self.check(f"{name}: no horizontal overflow (scrollWidth {m['scroll']} <= innerWidth {m['inner']})",
                   m["scroll"] <= m["inner"])
        self.check(f"{name}: the page has its 4 charts, each within the window and at least 100 px wide",
                   m["svgs"] == 4 and m["out"] == 0, f"{m['svgs']} charts, {m['out']} outside or too narrow")
        self.check(f"{name}: the charts' text is at least 9 px tall (smallest {m['minText']:.1f} px)",
                   m["minText"] >= 9)
        return m

    def step_desktop(self):
        self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        self.layout(1280, "desktop")

    def step_phone(self):
        self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
        self.layout(390, "phone")

    def step_escaping(self):
        h2 = self.d.execute_script("return [...document.querySelectorAll('h2')].map(e => e.textContent)")
        self.check("the campaign's name shows <script> as text", any("<script>" in t for t in h2), f"{h2}")
        tech = self.d.execute_script(
            "return [...document.querySelectorAll('svg.chart text.label')].map(e => e.textContent)")
        self.check("so does the technology's", any("<script>" in t for t in tech), f"{tech}")
        self.check("and the page holds no script element",
                   self.d.execute_script("return document.scripts.length") == 0)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for k in ("url", "user", "password", "out"):
        p.add_argument("--" + k, required=True)
    sys.exit(main(Run, p, "campaigns_browser"))

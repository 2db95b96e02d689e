#!/usr/bin/env python3
"""The layering check (DESIGN.md, "Layers"): reads the #include lines of
lib/, cgi-bin/ and bin/ and fails when a file includes a higher layer,
names a header without its folder, or when modules include each other
(a circle of any length), and when a file is longer than the house
allows (lib/: 800 lines; a program, cgi-bin/ or bin/: under 300).
A module is lib/FOLDER/NAME.c with its .h.

Usage: layers.py [TOP]   (exit 0: clean; 1: each violation on stderr)
"""
import os, re, sys

# Bottom to top; folders on one rank are one layer of DESIGN.md.
RANK = {"base": 0, "store": 1, "net": 1, "web": 1, "clients": 2,
        "domain": 3, "admin": 4, "programs": 5}
MAX_LINES = {"programs": 299}   # every other folder: 800
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources(top):
    for d in sorted(os.listdir(os.path.join(top, "lib"))):
        full = os.path.join(top, "lib", d)
        if os.path.isdir(full):
            for f in sorted(os.listdir(full)):
                if f.endswith((".c", ".h")):
                    yield "lib/%s/%s" % (d, f), d
    for d in ("cgi-bin", "bin"):
        for f in sorted(os.listdir(os.path.join(top, d))):
            if f.endswith(".c"):
                yield "%s/%s" % (d, f), "programs"


def module(path):
    return os.path.splitext(path)[0]


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else "."
    bad, edges = [], {}
    for path, folder in sources(top):
        if folder not in RANK:
            bad.append("%s: folder lib/%s/ is no layer (scripts/layers.py RANK)" % (path, folder))
            continue
        with open(os.path.join(top, path), encoding="utf-8") as fh:
            text = fh.read()
        me = module(path)
        limit = MAX_LINES.get(folder, 800)
        if text.count("\n") > limit:
            bad.append("%s: %d lines, over the house's %d" % (path, text.count("\n"), limit))
        for inc in INCLUDE.findall(text):
            if "/" not in inc:
                bad.append('%s: #include "%s" names no folder (write "FOLDER/%s")' % (path, inc, inc))
                continue
            target = "lib/" + inc
            if not os.path.exists(os.path.join(top, target)):
                bad.append('%s: #include "%s": no such file %s' % (path, inc, target))
                continue
            tfolder = inc.split("/")[0]
            if RANK.get(tfolder, 99) > RANK[folder]:
                bad.append('%s: #include "%s" reaches up from %s/ (layer %d) to %s/ (layer %d)'
                           % (path, inc, folder, RANK[folder], tfolder, RANK.get(tfolder, 99)))
            them = module(target)
            if them != me:
                edges.setdefault(me, set()).add(them)
    # Circles: a depth-first search over the module graph.
    state, stack = {}, []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for n in sorted(edges.get(m, ())):
            if state.get(n) == 1:
                cyc = stack[stack.index(n):] + [n]
                bad.append("circle: " + " -> ".join(cyc))
            elif n not in state:
                visit(n)
        stack.pop()
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m)
    for b in bad:
        print(b, file=sys.stderr)
    print("layers: %d files, %d violations" % (sum(1 for _ in sources(top)), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

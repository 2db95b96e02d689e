#!/bin/bash
# The house (issue 15, DESIGN.md "Layers"): lib/ has one folder per
# layer; a file includes only its own or lower layers, names each header
# with its folder, and no modules include each other; no file of lib/ is
# over 800 lines, no program file 300 or more (scripts/layers.py).
# The check is shown to fail once on a copy of the tree with a deliberate
# upward include, and once with two modules including each other.
. "$(dirname "$0")/lib.sh"
CGLEVER_CONFIG=$T/none.conf # read by lib.sh's cleanup; no config here

python3 "$TOP/scripts/layers.py" "$TOP" >"$T/tree.out" 2>"$T/tree.err"
rc=$?
is "the tree passes the layering check" "$rc" 0
[ $rc -ne 0 ] && sed 's/^/# /' "$T/tree.err"

copy() { rm -rf "$T/copy"; mkdir -p "$T/copy"; cp -r "$TOP/lib" "$TOP/cgi-bin" "$TOP/bin" "$T/copy/"; }

copy
sed -i '0,/#include "base\/log.h"/s//#include "base\/log.h"\n#include "domain\/queue.h"/' "$T/copy/lib/base/log.c"
python3 "$TOP/scripts/layers.py" "$T/copy" >/dev/null 2>"$T/up.err"
is "an upward include (base/log.c -> domain/queue.h) fails the check" "$?" 1
check "and the message names it" grep -q 'lib/base/log.c: #include "domain/queue.h" reaches up' "$T/up.err"

copy
printf '#include "base/crypto.h"\n' >>"$T/copy/lib/base/conf.h"
printf '#include "base/conf.h"\n' >>"$T/copy/lib/base/crypto.h"
python3 "$TOP/scripts/layers.py" "$T/copy" >/dev/null 2>"$T/circle.err"
is "two modules including each other fail the check" "$?" 1
check "and the message names the circle" grep -q 'circle: lib/base/con.* -> lib/base/cr.*' "$T/circle.err"

copy
printf '#include "log.h"\n' >>"$T/copy/lib/base/num.c"
python3 "$TOP/scripts/layers.py" "$T/copy" >/dev/null 2>"$T/bare.err"
is "a header named without its folder fails the check" "$?" 1

copy
yes '/* filler */' | head -n 801 >>"$T/copy/lib/base/num.c"
python3 "$TOP/scripts/layers.py" "$T/copy" >/dev/null 2>"$T/long.err"
is "a lib/ file over 800 lines fails the check" "$?" 1
check "and the message names it" grep -q 'lib/base/num.c: .* lines, over the house.s 800' "$T/long.err"
rm -rf "$T/copy"
done_testing

#!/usr/bin/env bash
# kfr.sh: Kalles Fraktaler locations (params.location, docs/deep-zoom.md): a .kfr with
# CRLF lines renders the bytes of the same view written out by hand, its scale computed
# here independently (python3's decimal: 4 width / (height Zoom), 20 digits); --dry-run
# shows the resolved center, scale and max_iter and the file read; a job's own
# max_iter wins over Iterations; the path is relative to the config's folder (and to the
# current one from --set); a PNG re-runs without the .kfr; a deep location (Zoom 1E60)
# runs to the hand-written job's bytes; a location with a zoom sequence, or an output
# over the .kfr, is refused. The error messages of bad files are in config_errors.sh.
# configs/location.json, the example, runs from another folder. Tiny images: about a
# second of forkband, plus a few python3 starts.
# usage: kfr.sh FORKBAND SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
. "$(dirname "$0")/lib.sh"
w=32
h=24

# scale ZOOM: the view's width for a w x h image, as forkband writes it.
scale() {
	python3 - "$1" $w $h <<'EOF'
import sys
from decimal import Context, Decimal, ROUND_HALF_EVEN
zoom, w, h = Decimal(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
wide = Context(prec=200)
x = Context(prec=20, rounding=ROUND_HALF_EVEN).plus(
    wide.divide(Decimal(4 * w), wide.multiply(Decimal(h), zoom)))
d = ''.join(map(str, x.as_tuple().digits)).rstrip('0') or '0'
print(d[0] + ('.' + d[1:] if len(d) > 1 else '') + 'e' + str(x.adjusted()))
EOF
}
# kfr FILE RE IM ZOOM [ITERATIONS]: a location as Kalles Fraktaler writes one (CRLF,
# keys forkband passes over among those it reads).
kfr() {
	{
		printf 'Re: %s\r\nIm: %s\r\nZoom: %s\r\n' "$2" "$3" "$4"
		[ -n "${5:-}" ] && printf 'Iterations: %s\r\n' "$5"
		printf 'IterDiv: 0.010000\r\nSmoothMethod: 0\r\nColorMethod: 7\r\nRotate: 0.000000\r\n'
		printf 'Ratio: 360.000000\r\nColors: 0,0,0,41,35,190,132,225,108,\r\nSmooth: 1\r\n'
		printf 'Power: 2\r\nFractalType: 0\r\nSlopes: 0\r\n'
	} >"$1"
}
# json FILE PARAMS: a mandelbrot job of w x h with those params.
json() {
	printf '{ "kernel": "mandelbrot", "width": %d, "height": %d, "params": { %s } }\n' \
		$w $h "$2" >"$1"
}
# field NAME: the resolved job's params.NAME (or "reads") from the dry run in $dir/stdout,
# as the JSON text cJSON printed it (its lines are "\t\t\t\t"NAME":\tVALUE,").
field() {
	sed -n "s/^[[:space:]]*\"$1\":[[:space:]]*\(.*\)/\1/p" "$dir/stdout" | head -1 | sed 's/,$//'
}

mkdir -p "$dir/cfg" "$dir/elsewhere"
re=-0.7436438870371587047521911506114774
im=0.1318259042053119704931323563851391
zoom=2.5E3
kfr "$dir/cfg/loc.kfr" $re $im $zoom 300
json "$dir/cfg/loc.json" '"location": "loc.kfr"'
want=$(scale $zoom)
[ "$want" = 2.1333333333333333333e-3 ] || bad "the test's own scale: $want"
json "$dir/cfg/hand.json" "\"center\": [\"$re\", \"$im\"], \"scale\": \"$want\", \"max_iter\": 300"
cd "$dir/elsewhere" || exit 1

# ---- the location's view is the hand-written one ----
expect 0 "--dry-run of a location" -- "$bin" run --dry-run ../cfg/loc.json
[ "$(field center)" = "[\"$re\", \"$im\"]" ] && ok "center: Re and Im as written" ||
	bad "center: $(field center)"
[ "$(field scale)" = "\"$want\"" ] && ok "scale: 4 width / (height Zoom) = $want" ||
	bad "scale: $(field scale), expected \"$want\""
[ "$(field max_iter)" = 300 ] && ok "max_iter: Iterations" || bad "max_iter: $(field max_iter)"
[ "$(field reads)" = '"../cfg/loc.kfr"' ] && ok "reads: the .kfr, relative to the config's folder" ||
	bad "reads: $(field reads)"
expect 0 "a location runs" -- "$bin" run -q ../cfg/loc.json -o loc.png \
	--set output.iterations=loc.npy
expect 0 "the hand-written view runs" -- "$bin" run -q ../cfg/hand.json -o hand.png \
	--set output.iterations=hand.npy
cmp -s loc.npy hand.npy && [ -s loc.npy ] && ok "the same counts as the hand-written view" ||
	bad "the location's counts differ from the hand-written view's"
cmp -s loc.png hand.png && ok "the same PNG, stored job included" ||
	bad "the location's PNG differs from the hand-written view's"
expect 0 "a job's max_iter wins over Iterations" -- "$bin" run --dry-run ../cfg/loc.json \
	--set params.max_iter=50
[ "$(field max_iter)" = 50 ] && ok "... max_iter 50" || bad "max_iter with the job's own: $(field max_iter)"
kfr "$dir/cfg/noiter.kfr" $re $im $zoom
expect 0 "a location without Iterations" -- "$bin" run --dry-run ../cfg/loc.json \
	--set params.location=../cfg/noiter.kfr
[ "$(field max_iter)" = 1000 ] && ok "... keeps max_iter's default" ||
	bad "max_iter without Iterations: $(field max_iter)"
[ "$(field reads)" = '"../cfg/noiter.kfr"' ] && ok "--set params.location is relative to the current folder" ||
	bad "reads with --set: $(field reads)"

# ---- a PNG re-run needs no .kfr: its stored job holds the view ----
mv "$dir/cfg/loc.kfr" "$dir/cfg/moved.kfr"
expect 0 "the PNG re-runs without its .kfr" -- "$bin" run -q loc.png -o again.png
cmp -s loc.png again.png && ok "... to the same bytes" || bad "the re-run wrote other bytes"
mv "$dir/cfg/moved.kfr" "$dir/cfg/loc.kfr"

# ---- deep: Zoom 1E60 at c = i (Re, Im as long decimals; a byte order mark) ----
deep_im=1.0000000000000000000000000000000000000000000000000000000000000000000000000000
{ printf '\xef\xbb\xbf'; kfr /dev/stdout 0 $deep_im 1E60 500; } >"$dir/cfg/deep.kfr"
json "$dir/cfg/deep.json" '"location": "deep.kfr"'
want=$(scale 1E60)
json "$dir/cfg/deep-hand.json" "\"center\": [\"0\", \"$deep_im\"], \"scale\": \"$want\", \"max_iter\": 500"
expect 0 "--dry-run of a deep location" -- "$bin" run --dry-run ../cfg/deep.json
[ "$(field scale)" = "\"$want\"" ] && ok "deep scale: $want" || bad "deep scale: $(field scale)"
expect 0 "a deep location runs" -- "$bin" run -q ../cfg/deep.json --set output.iterations=deep.npy
expect 0 "the hand-written deep view runs" -- "$bin" run -q ../cfg/deep-hand.json \
	--set output.iterations=deep-hand.npy
cmp -s deep.npy deep-hand.npy && [ -s deep.npy ] &&
	ok "the deep location's counts are the hand-written view's" ||
	bad "the deep location's counts differ from the hand-written view's"
distinct=$(python3 -c 'import sys
d = open(sys.argv[1], "rb").read()
off = 10 + int.from_bytes(d[8:10], "little")
print(len({d[i:i + 4] for i in range(off, len(d), 4)}))' deep.npy 2>/dev/null)
[ "${distinct:-0}" -ge 5 ] && ok "... $distinct different counts" ||
	bad "the deep view has only ${distinct:-no} different counts"

# ---- the example: configs/location.json reads configs/location.kfr from anywhere ----
expect 0 "--dry-run of configs/location.json" -- "$bin" run --dry-run "$src/configs/location.json"
[ "$(field reads)" = "\"$src/configs/location.kfr\"" ] && ok "... reads configs/location.kfr" ||
	bad "configs/location.json reads $(field reads)"
expect 0 "configs/location.json runs (64x36)" -- "$bin" run -q "$src/configs/location.json" \
	--set width=64 --set height=36 -o example.png

# ---- refused ----
expect 2 "an output over the .kfr" -- "$bin" run -q ../cfg/loc.json --report ../cfg/loc.kfr
grep -qF "would replace params.location" "$dir/stderr" && ok "... names params.location" ||
	bad "output over the .kfr: $(cat "$dir/stderr")"
printf '{ "kernel": "mandelbrot", "width": 8, "height": 8, "params": { "location": "loc.kfr" },
  "zoom": { "frames": 3, "to": "1e-10", "png": "z_%%d.png" } }\n' >"$dir/cfg/zoom.json"
expect 2 "a zoom sequence with a location" -- "$bin" run -q ../cfg/zoom.json
grep -qF "zoom: a zoom sequence runs from params.scale at params.center" "$dir/stderr" &&
	ok "... says to give center and scale" || bad "zoom with location: $(cat "$dir/stderr")"

exit $fail

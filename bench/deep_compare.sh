#!/usr/bin/env bash
# deep_compare.sh: the cost of an iteration deep (perturbation, configs/deep.json's view
# 1e-100 wide) against shallow (double, the same pixels and max_iter at a view 1e-4
# wide), and of a pixel in forkband against the same pixel computed directly in MPFR.
#
# usage: bench/deep_compare.sh [-n RUNS] [-s WxH] [FORKBAND [TEST_DEEP]]
#
# Defaults: 3 runs of each, alternated, at 320x180; build/bench/forkband and
# build/bench/tests/test_deep (or the build/strict ones). Per-iteration time is the
# compute phase (--report) over the kernel's iteration total; the ratio is deep over
# shallow (the issue's goal: at most 2). The MPFR line runs test_deep on 200 sampled
# pixels of the deep view, which times its own work, against forkband's time for the
# whole view scaled to 200 pixels of the same mean iterations.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=3 size=320x180
while getopts n:s: o; do
	case $o in
	n) runs=$OPTARG ;;
	s) size=$OPTARG ;;
	*) echo "usage: $0 [-n RUNS] [-s WxH] [FORKBAND [TEST_DEEP]]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
bin=${1:-$here/build/bench/forkband}
[ -x "$bin" ] || bin=$here/build/strict/forkband
td=${2:-$(dirname "$bin")/tests/test_deep}
w=${size%x*} h=${size#*x}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
deep=$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["params"]))' \
	"$here/configs/deep.json")
python3 - "$dir" "$w" "$h" "$deep" <<'PY'
import json, sys
d, w, h, p = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
job = {"kernel": "mandelbrot", "width": w, "height": h, "params": p}
json.dump(job, open(d + "/deep.json", "w"))
s = dict(p, center=[-0.743643887, 0.131825904], scale=1e-4)
json.dump(dict(job, params=s), open(d + "/shallow.json", "w"))
PY
per_iter() {	# REPORT: ns per iteration of the compute phase
	python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))["jobs"][0]
print(1e9 * j["phases_s"]["compute"] / j["totals"]["iterations"])' "$1"
}
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-), $(nproc) CPUs; $w x $h"
for r in $(seq "$runs"); do
	"$bin" run -q "$dir/shallow.json" --report "$dir/s.json"
	"$bin" run -q "$dir/deep.json" --report "$dir/d.json" --set output.iterations="$dir/d.npy"
	s=$(per_iter "$dir/s.json") d=$(per_iter "$dir/d.json")
	echo "run $r: shallow $s ns/iteration, deep $d ns/iteration, deep/shallow $(python3 -c "print('%.1f' % ($d / $s))")"
done
if [ -x "$td" ]; then
	read -r cx cy scale max_iter <<<"$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["params"]
print(p["center"][0], p["center"][1], p["scale"], p["max_iter"])' "$here/configs/deep.json")"
	t0=$(date +%s.%N)
	"$td" "$dir/d.npy" "$w" "$h" "$cx" "$cy" "$scale" 2 "$max_iter" 200 >"$dir/mpfr.out" || true
	t1=$(date +%s.%N)
	fb=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1]))["jobs"][0]
print(j["phases_s"]["compute"] * 200 / (j["totals"]["escaped"] + j["totals"]["inside"]))' "$dir/d.json")
	echo "per-pixel MPFR: 200 pixels in $(python3 -c "print('%.2f' % ($t1 - $t0))") s; forkband" \
	     "$(python3 -c "print('%.4f' % $fb)") s for as many (2 workers): speedup" \
	     "$(python3 -c "print('%.0f' % (($t1 - $t0) / $fb))"); $(tail -1 "$dir/mpfr.out")"
fi

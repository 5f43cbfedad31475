#!/usr/bin/env bash
# stream_compare.sh: streaming against the whole-image path, end to end, in one run.
#
#  1. The default job and an 8000x8000 Mandelbrot: the whole-image path
#     (FORKBAND_TEST_WHOLE_IMAGE=1: compute, colour and encode as passes over the whole
#     image), the default budget (one strip: colour fused into the compute), and a
#     budget that cuts the image into strips (encode overlapped with the next strip),
#     alternated by hyperfine; median times and ratios to the whole-image path.
#  2. With -g SIZE: a SIZExSIZE Mandelbrot (100000 for the 10-gigapixel goal) at the
#     default budget: wall time, the largest resident set of any process (GNU time),
#     the file's size, and its pixel rate against a 4000x4000 run's, measured just
#     before and just after it.
#
# usage: bench/stream_compare.sh [-n RUNS] [-j WORKERS] [-m SMALL_BUDGET] [-g SIZE] [FORKBAND]
set -euo pipefail

runs=5 workers=2 small=64M giga=""
while getopts "n:j:m:g:h" opt; do
	case $opt in
	n) runs=$OPTARG ;;
	j) workers=$OPTARG ;;
	m) small=$OPTARG ;;
	g) giga=$OPTARG ;;
	*) sed -n '2,/^set -e/p' "$0" | sed '$d' | cut -c3-; exit 0 ;;
	esac
done
shift $((OPTIND - 1))
bin=$(realpath "${1:-build/release/forkband}")
command -v hyperfine >/dev/null || { echo "stream_compare.sh: hyperfine is missing" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

for size in default 8000; do
	args=(-q -j "$workers" -o out.png)
	[ "$size" = default ] || args+=(--set width="$size" --set height="$size")
	echo "== $size: whole image / default budget / --memory $small, $workers workers"
	hyperfine -N -r "$runs" -w 1 --export-json "h-$size.json" \
		-n whole "env FORKBAND_TEST_WHOLE_IMAGE=1 $bin run ${args[*]}" \
		-n default "$bin run ${args[*]}" \
		-n "memory-$small" "$bin run ${args[*]} --memory $small" >/dev/null
	python3 - "h-$size.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
base = r[0]["median"]
for x in r:
    print("  %-14s median %7.3f s   ratio to whole %.3f" % (x["command"][:14], x["median"], x["median"] / base))
PY
	"$bin" run "${args[@]}" --memory "$small" --report r.json
	python3 -c "import json; m=json.load(open('r.json'))['jobs'][0]['memory']; print('  --memory $small: %d strips of %d rows' % (m['strips'], m['strip_rows']))"
done

if [ -n "$giga" ]; then
	rate() {	# a 4000x4000 run's pixels per second
		"$bin" run -q -j "$workers" --set width=4000 --set height=4000 -o r4k.png --report r4k.json
		python3 -c "import json; print(16e6 / json.load(open('r4k.json'))['jobs'][0]['wall_s'])"
	}
	before=$(rate)
	/usr/bin/time -f "%e %M" -o t "$bin" run -q -j "$workers" --set width="$giga" \
		--set height="$giga" -o giga.png --report giga.json
	after=$(rate)
	read -r wall rss <t
	python3 - "$giga" "$wall" "$rss" "$before" "$after" "$(stat -c %s giga.png)" <<'PY'
import json, sys
n, wall, rss, before, after, size = sys.argv[1:]
n, wall, rss, before, after, size = int(n), float(wall), int(rss), float(before), float(after), int(size)
m = json.load(open("giga.json"))["jobs"][0]["memory"]
rate = n * n / wall
print("== %dx%d: %.0f s, %d strips of %d rows, largest process %.0f MiB, file %.2f GB" %
      (n, n, wall, m["strips"], m["strip_rows"], rss / 1024, size / 1e9))
print("  pixel rate %.2f Mpx/s; 4000x4000 before %.2f, after %.2f; ratio to their mean %.3f" %
      (rate / 1e6, before / 1e6, after / 1e6, rate / ((before + after) / 2)))
PY
fi

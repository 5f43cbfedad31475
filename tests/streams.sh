#!/usr/bin/env bash
# streams.sh: a job streamed in strips makes the bytes of the whole-image run, whatever
# the strip height, worker count or schedule; it stays within its memory budget; a
# worker killed mid-stream is recovered with the same bytes.
# usage: streams.sh FORKBAND PNGSUITE [rss|quick]   (PNGSUITE: the folder of PngSuite
# images; rss: also check the resident sets, which a sanitizer's or valgrind's own
# memory would swamp; quick: for those builds, fewer combinations, every code path)
set -u
bin=$(realpath "$1")
suite_dir=$(realpath "$2")
mode=${3:-}	# rss: also the resident sets; quick: a sanitizer build, fewer runs
check_rss=$([ "$mode" = rss ] && echo rss || true)
quick=$([ "$mode" = quick ] && echo 1 || true)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

# 2000 pixels a row: 6000 bytes of RGB, so a PNG group is 43 rows and its dictionary
# reaches 6 rows back; 100 rows make 3 groups, which strips of 1, 7 and 64 rows cut
# everywhere: inside groups, inside dictionaries, at group boundaries.
cat >m.json <<'JSON'
{"kernel": "mandelbrot", "width": 2000, "height": 100,
 "params": {"center": [-0.74, 0.12], "scale": 0.9, "max_iter": 60}}
JSON
cat >j.json <<'JSON'
{"kernel": "julia", "width": 2000, "height": 100,
 "params": {"c": [-0.123, 0.745], "max_iter": 60}}
JSON

# ---- 1. the same bytes as the whole image ----
for job in m j; do
	for coloring in smooth histogram bands; do
		[ "$job" = j ] && [ "$coloring" = histogram ] && continue	# same code as m
		ref="$job-$coloring-whole"
		FORKBAND_TEST_WHOLE_IMAGE=1 "$bin" run "$job.json" -q -j 2 \
			--set params.coloring="$coloring" -o "$ref.png" --set output.iterations="$ref.npy" ||
			{ bad "$job $coloring: the whole-image run failed"; continue; }
		n=0
		for rows in 1 7 64; do
			for j in 1 2 3; do
				for s in static cyclic dynamic guided; do
					# Every schedule at every height across the worker counts,
					# not every triple (each strip forks its workers: a pass per
					# row forks them 100 times).
					# A sanitizer build: one height inside groups and dictionaries,
					# one across groups (strips of one row come in section 2).
					case "$rows$j$s" in
					73guided | 641static) ;;
					1[12]dynamic | 13static | 71static | 72cyclic | \
						641dynamic | 642guided | 643cyclic) [ -z "$quick" ] || continue ;;
					*) continue ;;
					esac
					out="$job-$coloring-$rows-$j-$s"
					rm -f "$out.png" "$out.npy"
					FORKBAND_TEST_STRIP_ROWS=$rows "$bin" run "$job.json" -q -j "$j" \
						--schedule "$s" --set params.coloring="$coloring" \
						-o "$out.png" --set output.iterations="$out.npy" ||
						{ bad "$out: the run failed"; continue; }
					cmp -s "$ref.png" "$out.png" || bad "$out: the PNG differs from the whole image's"
					cmp -s "$ref.npy" "$out.npy" || bad "$out: the .npy differs from the whole image's"
					rm -f "$out.png" "$out.npy"
					n=$((n + 1))
				done
			done
		done
		echo "  $job $coloring: $n streamed runs (strips of 1, 7 and 64 rows, -j 1 to 3) = the whole image"
	done
done

# Budgets rather than fixed heights: the planner's strips, PNG only and .npy only.
ref=m-smooth-whole
for budget in 2200K 2500K 20M; do
	"$bin" run m.json -q --memory "$budget" -o b.png --report "b$budget.json" ||
		{ bad "--memory $budget: the run failed"; continue; }
	cmp -s "$ref.png" b.png || bad "--memory $budget: the PNG differs"
	"$bin" run m.json -q --memory "$budget" --set output.iterations=b.npy ||
		bad "--memory $budget, .npy only: the run failed"
	cmp -s "$ref.npy" b.npy || bad "--memory $budget: the .npy differs"
	rm -f b.png b.npy
done
grep -Eq '"strips":[[:space:]]*([2-9]|[1-9][0-9]+),' b2200K.json || bad "--memory 2200K did not cut the image in strips"

# An image shorter than a strip, one row high, one pixel wide.
for size in "width=1 height=1" "width=5000 height=1" "width=1 height=300"; do
	set -- $size
	FORKBAND_TEST_WHOLE_IMAGE=1 "$bin" run m.json -q --set "$1" --set "$2" -o w.png ||
		bad "$size: the whole-image run failed"
	FORKBAND_TEST_STRIP_ROWS=7 "$bin" run m.json -q -j 3 --set "$1" --set "$2" -o s.png ||
		bad "$size: the streamed run failed"
	cmp -s w.png s.png || bad "$size: streamed and whole differ"
done
echo "  budgets, tiny images: the same bytes"

# ---- 2. filters: every op and edge mode, chains, every input layout ----
# Each strip's window holds its rows and the halo its ops reach (their reaches added
# up); the wrap edge reads the other end's rows. The reference is the whole image.
suite=$suite_dir
"$bin" run m.json -q --set params.coloring=bands --set height=120 -o rgb.png ||
	bad "cannot make the filter input"
chains=(
	'[{"op": "gaussian", "sigma": 1.5}]'
	'[{"op": "box", "radius": 2}]'
	'[{"op": "unsharp", "sigma": 1, "amount": 1.5, "threshold": 2}]'
	'[{"op": "sobel"}]'
	'[{"op": "median", "radius": 1}]'
	'[{"op": "convolve", "matrix": [[0, -1, 0], [-1, 5, -1], [0, -1, 0]], "bias": 3}]'
	'[{"op": "gray"}, {"op": "gaussian", "sigma": 0.8}]'
	'[{"op": "invert"}]'
	'[{"op": "gaussian", "sigma": 1}, {"op": "sobel"}, {"op": "box", "radius": 1}, {"op": "invert"}, {"op": "median", "radius": 1}]'
)
scheds=(static cyclic dynamic guided)
# filt INPUT OPS EDGE ROWS J SCHED: the streamed run against the whole image's.
filt() {
	local in=$1 ops=$2 edge=$3 rows=$4 j=$5 sched=$6 ref out
	printf '{"kernel": "filter", "input": "%s", "params": {"ops": %s, "edge": "%s"}}' \
		"$in" "$ops" "$edge" >f.json
	ref=$(printf '%s %s %s' "$in" "$ops" "$edge" | cksum | cut -d' ' -f1)
	if [ ! -e "ref-$ref.png" ]; then
		FORKBAND_TEST_WHOLE_IMAGE=1 "$bin" run f.json -q -j 2 -o "ref-$ref.png" ||
			{ bad "filter $in $ops $edge: the whole-image run failed"; return; }
	fi
	out="s-$ref-$rows-$j.png"
	FORKBAND_TEST_STRIP_ROWS=$rows "$bin" run f.json -q -j "$j" --schedule "$sched" -o "$out" ||
		{ bad "filter $in $ops $edge, strips of $rows: the run failed"; return; }
	cmp -s "ref-$ref.png" "$out" ||
		bad "filter $(basename "$in") $ops edge $edge, strips of $rows, -j $j $sched: differs from the whole image"
	rm -f "$out"
	nf=$((nf + 1))
}
nf=0
i=0
# Each op alone, under the edges that read beyond the image differently (a pass per
# op and strip forks its workers: the matrix is kept to what finds a wrong window).
long=${chains[8]}
for ops in "${chains[@]}"; do
	for edge in mirror wrap; do
		i=$((i + 1))
		# A sanitizer build runs each op once, under alternating edges.
		[ -n "$quick" ] && [ $(((i + ${#ops}) % 2)) = 0 ] && continue
		filt "$dir/rgb.png" "$ops" "$edge" 64 $((i % 3 + 1)) "${scheds[$((i % 4))]}"
	done
done
for edge in clamp mirror wrap zero; do
	filt "$dir/rgb.png" "$long" "$edge" 7 3 dynamic
done
filt "$dir/rgb.png" "${chains[0]}" zero 64 2 static
filt "$dir/rgb.png" "${chains[0]}" wrap 1 2 static
# Every layout the reader normalises (16-bit, gray+alpha, palette, 1-bit gray,
# interlaced), 32 rows: strips of 7, and a halo wider than the image.
# A sanitizer build: one of the two per layout.
k=0
for png in basn6a16 basn0g16 basn4a08 basn3p08 basn0g01 basn6a08 ibasn2c08 ibasn6a16; do
	k=$((k + 1))
	[ -n "$quick" ] && [ $((k % 2)) = 0 ] ||
		filt "$suite/$png.png" "$long" wrap 7 3 guided
	[ -n "$quick" ] && [ $((k % 2)) = 1 ] ||
		filt "$suite/$png.png" '[{"op": "box", "radius": 20}]' mirror 7 2 dynamic
done
filt "$suite/basn6a16.png" '[{"op": "gaussian", "sigma": 12}]' wrap 5 3 static
[ -n "$quick" ] || filt "$suite/basn6a16.png" "$long" clamp 1 2 dynamic
echo "  filter: $nf streamed runs (every op, edge and layout; strips of 1, 5, 7, 64) = the whole image"

# ---- 3. a worker killed mid-stream: recovered, the same bytes ----
for fault in crash:chunk=9 kill-in-lock:chunk=5 crash:chunk=30,sig=KILL \
	crash:chunk=1,pass=encode; do
	out=f.png
	rm -f "$out"
	FORKBAND_FAULT=$fault FORKBAND_TEST_STRIP_ROWS=64 "$bin" run m.json -j 3 --chunk 1 \
		-o "$out" 2>f.err || { bad "$fault: the run failed: $(cat f.err)"; continue; }
	grep -q "^forkband: recovered: worker" f.err || bad "$fault: no recovery reported: $(cat f.err)"
	cmp -s m-smooth-whole.png "$out" || bad "$fault: the recovered PNG differs"
done
echo "  workers killed mid-stream: recovered, the same bytes"

# ---- 4. the memory budget holds ----
# A 4000x3000 image (36 MB of RGB, 48 MB of counts) under an 8 MiB budget: every
# process's largest resident set stays under the budget plus what a process holds
# whatever its job (measured here on a job of 8x8 pixels) and 4 MiB of slack.
if [ "$check_rss" = rss ]; then
	"$bin" run m.json -q --set width=8 --set height=8 -o tiny.png --report tiny.json ||
		bad "the tiny run failed"
	"$bin" run m.json -q --set width=4000 --set height=3000 --memory 8M \
		--set output.iterations=big.npy -o big.png --report big.json ||
		bad "the budgeted run failed"
	python3 - tiny.json big.json <<'PY' || fail=1
import json, sys
tiny = json.load(open(sys.argv[1]))["jobs"][0]["memory"]
big = json.load(open(sys.argv[2]))["jobs"][0]["memory"]
budget = 8 << 20
for who in ("parent", "worker"):
    base = tiny["peak_rss_%s_bytes" % who]
    peak = big["peak_rss_%s_bytes" % who]
    bound = budget + base + (4 << 20)
    mb = lambda b: "%.1f MiB" % (b / 2**20)
    if peak > bound:
        print("FAIL: %s peak %s above the bound %s (budget 8 MiB + %s)"
              % (who, mb(peak), mb(bound), mb(base)))
        sys.exit(1)
    print("  %s: peak %s under the bound %s (%d strips of %d rows)"
          % (who, mb(peak), mb(bound), big["strips"], big["strip_rows"]))
PY
fi

exit $fail

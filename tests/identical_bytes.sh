#!/usr/bin/env bash
# identical_bytes.sh: the PNG and .npy bytes do not depend on the worker count, the
# schedule or the chunk. usage: identical_bytes.sh FORKBAND [quick]
# quick (sanitizer builds): -j 1, 3 and 16 only (1 and 3 for the encoder and filter
# checks; chunks at 3), julia in one colouring; every schedule, chunk and code path still.
set -u
bin=$(realpath "$1")
quick=${2:-}
counts="1 2 3 7 16 64" few="1 2 3 7 16"
[ "$quick" = quick ] && counts="1 3 16" few="1 3"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0

cat >"$dir/job.json" <<'JSON'
{"kernel": "mandelbrot", "width": 241, "height": 135,
 "params": {"center": [-0.74, 0.12], "scale": 0.9, "max_iter": 400}}
JSON

cat >"$dir/julia.json" <<'JSON'
{"kernel": "julia", "width": 150, "height": 100,
 "params": {"c": [-0.123, 0.745], "max_iter": 400}}
JSON

for job in job julia; do
for coloring in smooth histogram bands; do
	[ "$quick" = quick ] && [ $job = julia ] && [ $coloring != smooth ] && continue
	first=""
	for j in $counts; do
		for s in static cyclic dynamic guided; do
			for chunk in default 1 1000; do
				args=(-j "$j" --schedule "$s")
				[ "$chunk" = default ] || args+=(--chunk "$chunk")
				# Two chunk variants on every schedule would be slow under a sanitizer
				# build; cover them at a few worker counts only. 64 workers (more
				# than half the rows): the static and the shared-cursor schedule.
				[ "$chunk" != default ] && [ "$j" != 3 ] && [ "$j" != 16 ] && continue
				[ "$chunk" != default ] && [ "$quick" = quick ] && [ "$j" != 3 ] && continue
				[ "$j" = 64 ] && [ "$s" != static ] && [ "$s" != dynamic ] && continue
				out="$dir/$job-$coloring-$j-$s-$chunk"
				if ! "$bin" run "$dir/$job.json" -q "${args[@]}" --set params.coloring="$coloring" \
					-o "$out.png" --set output.iterations="$out.npy"; then
					echo "FAIL: forkband failed for $job $coloring ${args[*]}"
					fail=1
					continue
				fi
				if [ -z "$first" ]; then
					first=$out
				elif ! cmp -s "$first.png" "$out.png" || ! cmp -s "$first.npy" "$out.npy"; then
					echo "FAIL: $job $coloring ${args[*]}: output differs from $(basename "$first")"
					fail=1
				fi
			done
		done
	done
	echo "$job $coloring: every worker count, schedule and chunk gave the same bytes as $(basename "$first")"
done
done

# same_at_every_j LABEL CONFIG [ARGS...]: runs CONFIG (with ARGS) at -j 1, 2, 3, 7 and 16
# (quick: 1, 3, 16) under every schedule, and checks that every PNG is the first one's bytes.
same_at_every_j() {
	local label=$1 config=$2 first="" out j s
	shift 2
	for j in $few; do
		for s in static cyclic dynamic guided; do
			out="$dir/$label-$j-$s.png"
			"$bin" run "$config" -q -j "$j" --schedule "$s" -o "$out" "$@" ||
				{ echo "FAIL: $label -j $j $s failed"; fail=1; continue; }
			if [ -z "$first" ]; then
				first=$out
			elif ! cmp -s "$first" "$out"; then
				echo "FAIL: $label -j $j $s differs from $(basename "$first")"
				fail=1
			fi
		done
	done
	echo "$label: every worker count and schedule gave the same bytes as $(basename "$first")"
}

# The PNG encoder's row groups: a 640x480 image is four groups of 256 KiB, which the
# workers compress side by side; at the default settings, at libdeflate's fastest and
# smallest, and with zlib.
cat >"$dir/groups.json" <<'JSON'
{"kernel": "mandelbrot", "width": 640, "height": 480, "params": {"max_iter": 60}}
JSON
for settings in "7 adaptive libdeflate" "1 none libdeflate" "12 paeth libdeflate" \
	"6 adaptive zlib"; do
	set -- $settings
	same_at_every_j "groups-$1-$2-$3" "$dir/groups.json" --set output.png_level="$1" \
		--set output.png_filter="$2" --set output.png_deflate="$3"
done
# A filmed heat run: frames of two groups each, encoded by the workers.
cat >"$dir/heat.json" <<JSON
{"kernel": "heat", "width": 400, "height": 240,
 "params": {"steps": 60, "sources": [{"x": 100, "y": 100, "radius": 20, "value": 100}]},
 "output": {"frames": {"every": 20, "png": "$dir/frame-J-%d.png"}}}
JSON
for j in 1 3 16; do
	sed "s/frame-J-/frame-$j-/" "$dir/heat.json" >"$dir/heat-$j.json"
	"$bin" run "$dir/heat-$j.json" -q -j "$j" || { echo "FAIL: heat frames -j $j failed"; fail=1; }
done
n=0
for f in "$dir"/frame-1-*.png; do
	n=$((n + 1))
	for j in 3 16; do
		cmp -s "$f" "${f/frame-1-/frame-$j-}" ||
			{ echo "FAIL: $(basename "$f") differs at -j $j"; fail=1; }
	done
done
[ "$n" -ge 3 ] || { echo "FAIL: heat wrote $n frames, expected 3 or more"; fail=1; }
echo "heat: $n frames, the same bytes at -j 1, 3 and 16"

# The filter kernel: every op's passes, on a PNG forkband made.
"$bin" run -q --set width=97 --set height=61 --set params.max_iter=200 -o "$dir/in.png" ||
	{ echo "FAIL: cannot render the filter input"; exit 1; }
cat >"$dir/filter.json" <<JSON
{"kernel": "filter", "input": "$dir/in.png",
 "params": {"ops": [{"op": "gaussian", "sigma": 1.2}, {"op": "unsharp", "sigma": 1, "amount": 1.5},
                    {"op": "median", "radius": 2}, {"op": "sobel"}], "edge": "mirror"}}
JSON
same_at_every_j filter "$dir/filter.json"
exit $fail

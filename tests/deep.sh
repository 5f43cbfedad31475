#!/usr/bin/env bash
# deep.sh: deep zoom end to end: forkband's escape counts at widths 1e-20, 1e-50, 1e-150
# and 1e-400 against every pixel computed in GNU MPFR (test_deep), the same bytes at any
# worker count, and a view that glitches without rebasing: it must fail the comparison
# under FORKBAND_TEST_NO_REBASE=1 and pass with rebasing. Each view has at least 5
# different counts (one flat count would prove little).
# Also: arithmetic "fast" (double) against MPFR; BLA's steps against the iterations, and
# the counts without BLA; the reference orbit's progress line and report phase.
# usage: deep.sh FORKBAND TEST_DEEP [quick]
# quick (the sanitizer builds): 128 samples of each view instead of every pixel.
set -u
bin=$(realpath "$1")
test_deep=$(realpath "$2")
samples=0
[ "${3:-}" = quick ] && samples=128
. "$(dirname "$0")/lib.sh"
w=32
h=24

# render NAME CX CY SCALE BAILOUT MAX_ITER [forkband options]: NAME.npy, the view's counts.
render() {
	local name=$1 cx=$2 cy=$3 scale=$4 bailout=$5 max_iter=$6
	shift 6
	cat >"$dir/$name.json" <<EOF
{ "kernel": "mandelbrot", "width": $w, "height": $h,
  "params": { "center": ["$cx", "$cy"], "scale": "$scale", "bailout": $bailout,
              "max_iter": $max_iter, "arithmetic": "${arith:-exact}" },
  "output": { "iterations": "$dir/$name.npy" } }
EOF
	"$bin" run -q "$@" "$dir/$name.json" 2>"$dir/err" ||
		{ bad "$name: forkband failed: $(head -c 300 "$dir/err")"; return 1; }
}

# compare NAME CX CY SCALE BAILOUT MAX_ITER: test_deep's verdict on NAME.npy; its
# status is test_deep's, and its figures line is in $dir/NAME.out.
compare() {
	local name=$1
	shift
	"$test_deep" "$dir/$name.npy" $w $h "$@" $samples >"$dir/$name.out" 2>&1
}

# view NAME CX CY SCALE BAILOUT MAX_ITER: rendered, compared, and at least 5 counts.
view() {
	local name=$1 t0 t1 distinct
	t0=$(date +%s.%N)
	render "$@" -j 2 || return
	t1=$(date +%s.%N)
	if compare "$@"; then
		ok "$name: $(tail -1 "$dir/$name.out")" "$(awk -v a="$t0" -v b="$t1" \
			-v c="$(date +%s.%N)" 'BEGIN { printf "(forkband %.2f s, mpfr %.2f s)", b - a, c - b }')"
	else
		bad "$name: $(cat "$dir/$name.out")"
	fi
	distinct=$(sed -n 's/.* distinct=\([0-9]*\) .*/\1/p' "$dir/$name.out")
	[ "${distinct:-0}" -ge 5 ] || bad "$name: only ${distinct:-no} different counts"
}

# Misiurewicz points show structure at every depth, with exact decimal coordinates:
# c = i (orbit i, -1 + i, -i, -1 + i, ...: counts grow by ~2 log(1/width) / log(4 sqrt 2))
# and c = -2 (its orbit sits at |z| = 2 forever, so its views use bailout 4: at bailout 2
# every pixel's escape would be decided by |z|^2 against 4 within the pixel spacing).
# The seahorse-valley classic has the longest orbits (counts 8978 to 9971 at 1e-20).
view seahorse_1e-20 -0.743643887037158704752191506114774 0.131825904205311970493132056385139 \
	1e-20 2 12000
view tip_1e-20 -2 0 1e-20 4 200
view i_1e-50 0 1 1e-50 2 400
view i_1e-150 0 1 1e-150 2 1000
view tip_1e-150 -2 0 1e-150 4 700
view i_1e-400 0 1 1e-400 2 2000
view tip_1e-400 -2 0 1e-400 4 1000

# The deep path's bytes at any worker count and schedule.
render i_1e-400_j1 0 1 1e-400 2 2000 -j 1 &&
	render i_1e-400_j3 0 1 1e-400 2 2000 -j 3 --schedule cyclic &&
	cmp -s "$dir/i_1e-400.npy" "$dir/i_1e-400_j1.npy" &&
	cmp -s "$dir/i_1e-400.npy" "$dir/i_1e-400_j3.npy" &&
	ok "1e-400: the same counts at -j 1, 2 and 3 cyclic" ||
	bad "1e-400: the counts differ between worker counts or schedules"

# test_deep itself notices one wrong pixel (the first, set to 0: its counts are
# 1065 and more) and a .npy of another shape.
cp "$dir/i_1e-400.npy" "$dir/one_wrong.npy"
printf '\0\0\0\0' | dd of="$dir/one_wrong.npy" bs=1 seek=128 conv=notrunc status=none
compare one_wrong 0 1 1e-400 2 2000
[ $? = 1 ] && grep -q " worse=1 " "$dir/one_wrong.out" && ok "test_deep fails one wrong pixel" ||
	bad "test_deep on one wrong pixel: $(cat "$dir/one_wrong.out")"
"$test_deep" "$dir/i_1e-400.npy" 24 32 0 1 1e-400 2 2000 >"$dir/out" 2>&1
[ $? = 2 ] && grep -q "expected" "$dir/out" && ok "test_deep refuses a .npy of another shape" ||
	bad "test_deep on a .npy of another shape: $(cat "$dir/out")"

# A view that glitches without rebasing: 2.3e-27 off the nucleus of a period-37 minibrot
# near c = i (size about 2.4e-27) in the direction (1, 0.61), at width 1e-26. The
# reference (the center) escapes after 341 iterations while pixels in and around the
# minibrot iterate for thousands; without rebasing when a pixel's orbit passes nearer 0
# than its difference from the reference, the difference loses its precision there and
# blobs of pixels get wrong counts (seen: 159 of 768 off by more than 1, runs of 19).
glitch=(-0.000000000000038210969880746190678699687901647922986360684
	0.999999999999987228615374771440098450133157514 1e-26 2 3000)
view glitch "${glitch[@]}"
if FORKBAND_TEST_NO_REBASE=1 render glitch "${glitch[@]}" -j 2; then
	compare glitch "${glitch[@]}"
	status=$?
	if [ $status = 1 ]; then
		ok "without rebasing the glitch view fails: $(tail -1 "$dir/glitch.out")"
	else
		bad "without rebasing the glitch view: status $status, $(cat "$dir/glitch.out")"
	fi
fi

# Arithmetic "fast" perturbs in double (escape_deep.h), down to pixels of 2^-960 (1e-400
# stays in long double): rounding at 53 bits instead of 64 moves the odd pixel, so its bar
# is 99% of pixels identical (docs/deep-zoom.md).
# fast NAME CX CY SCALE BAILOUT MAX_ITER: rendered with "fast", at least 99% identical.
fast() {
	local name=$1 out
	arith=fast render "$@" || return
	samples=128 compare "$@"	# (sampled: the bar is 99%, not every pixel)
	out=$(tail -1 "$dir/$name.out")
	out=${out% *}	# test_deep's own verdict is for the 99.9% bar
	python3 -c 'import re,sys; f=dict(re.findall(r"(\w+)=(\w+)", sys.argv[1]))
assert int(f["identical"]) >= 0.99 * int(f["samples"])' "$out" && ok "$name: $out" ||
		bad "$name: $(cat "$dir/$name.out")"
}
seahorse=(-0.743643887037158704752191506114774 0.131825904205311970493132056385139 1e-20 2 12000)
fast seahorse_fast "${seahorse[@]}"
if [ $samples = 0 ]; then	# (the sanitizer builds: the loops are the same)
	fast i_fast_1e-150 0 1 1e-150 2 1000
	fast glitch_fast "${glitch[@]}"
fi
# Bilinear approximation skips iterations: a view at 1e-150 takes under a quarter of its
# iterations as steps (steps = iterations without it), in both arithmetics, and its
# counts without it are the same.
steps() {	# NAME: "STEPS ITERATIONS" from NAME's report
	python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["jobs"][0]["totals"]
print(t["steps"], t["iterations"])' "$dir/$1.report.json"
}
for a in $([ $samples = 0 ] && echo exact) fast; do
	arith=$a render bla_$a 0 1 1e-150 2 1000 --report "$dir/bla_$a.report.json" || continue
	FORKBAND_TEST_NO_BLA=1 arith=$a render nobla_$a 0 1 1e-150 2 1000 \
		--report "$dir/nobla_$a.report.json" || continue
	read -r s1 i1 <<<"$(steps bla_$a)"
	read -r s0 i0 <<<"$(steps nobla_$a)"
	[ "$i0" -gt 0 ] && [ "$s0" = "$i0" ] && [ $((4 * s1)) -lt "$i1" ] &&
		ok "$a: BLA takes $s1 steps for $i1 iterations (without: $s0 for $i0)" ||
		bad "$a: BLA took $s1 steps for $i1 iterations, without it $s0 for $i0"
	cmp -s "$dir/bla_$a.npy" "$dir/nobla_$a.npy" && ok "$a: the same counts without BLA" ||
		bad "$a: BLA changed counts at 1e-150"
done
# On AVX-512, "fast" takes its plain steps eight pixels a vector (escape_deep_plain.h):
# the same counts and |z|^2 as the scalar loop (--isa avx2), bit for bit, with BLA, with
# rebasing at the orbit's end (the glitch view's reference escapes at 341) and without
# rebasing, without BLA (every step in lanes; the glitch view's inside pixels run to
# max_iter there), and in rows narrower than the lanes.
if "$bin" version | grep -q "^isa: avx512"; then
	lanes() {	# NAME CX CY SCALE BAILOUT MAX_ITER [options]: avx512 against avx2
		local name=$1
		shift
		arith=fast render "${name}_v" "$@" --isa avx512 &&
			arith=fast render "${name}_s" "$@" --isa avx2 || return
		cmp -s "$dir/${name}_v.npy" "$dir/${name}_s.npy" &&
			ok "lanes: $name: the scalar loop's counts" ||
			bad "lanes: $name: counts differ from the scalar loop's"
	}
	lanes l_glitch "${glitch[@]}"
	FORKBAND_TEST_NO_BLA=1 lanes l_inside "${glitch[@]}"
	w=7 h=5 lanes l_narrow 0 1 1e-50 2 400
	w=32 h=24
	if [ $samples = 0 ]; then	# (the sanitizer builds: the three above)
		lanes l_seahorse "${seahorse[@]}" --set output.png="\"$dir/l_seahorse.png\""
		FORKBAND_TEST_NO_REBASE=1 lanes l_norebase "${glitch[@]}"
		FORKBAND_TEST_NO_BLA=1 lanes l_nobla 0 1 1e-150 2 1000
	fi
	# Any worker count and schedule: the lanes take a row's pixels in its order.
	arith=fast render l_glitch_j3 "${glitch[@]}" --isa avx512 -j 3 --schedule cyclic &&
		cmp -s "$dir/l_glitch_v.npy" "$dir/l_glitch_j3.npy" &&
		ok "lanes: the same counts at -j 2 and -j 3 cyclic" ||
		bad "lanes: counts differ between worker counts or schedules"
	# The PNG too: smooth colouring reads |z|^2, which the lanes compute.
	[ $samples != 0 ] || { arith=fast render l_seahorse_s "${seahorse[@]}" --isa avx2 \
		--set output.png="\"$dir/l_seahorse_s.png\"" &&
		cmp -s "$dir/l_seahorse.png" "$dir/l_seahorse_s.png" &&
		ok "lanes: the same PNG (smooth colouring from |z|^2)" ||
		bad "lanes: the PNG differs from the scalar loop's"; }
else
	echo "note: no AVX-512 here: the lanes' comparison is skipped"
fi
# The reference orbit is computed before the workers start, with its own progress line
# and phase: a center inside the set (its orbit never escapes) at max_iter 150000.
cat >"$dir/ref.json" <<EOF
{ "kernel": "mandelbrot", "width": 16, "height": 12,
  "params": { "center": ["-0.5", "0.1"], "scale": "1e-30", "max_iter": 150000 },
  "output": { "iterations": "$dir/ref.npy" } }
EOF
env -u COLUMNS TERM=xterm script -qfec "'$bin' run '$dir/ref.json' --report '$dir/ref.report.json'" \
	/dev/null >"$dir/ref.raw" 2>&1 </dev/null ||
	bad "the reference-orbit job failed: $(tail -c 300 "$dir/ref.raw")"
tr '\r' '\n' <"$dir/ref.raw" | grep -aq "reference orbit .* iterations" &&
	ok "the reference orbit has its progress line" ||
	bad "no reference-orbit progress line: $(tr '\r' '\n' <"$dir/ref.raw" | head -c 400)"
python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["jobs"][0]["phases_s"]
assert p["reference"] > 0, p' "$dir/ref.report.json" && ok "the report has a reference phase" ||
	bad "no reference phase in the report"
# configs/zoom.json, the example sequence, is a valid job of 60 frames.
"$bin" run --dry-run "$(dirname "$0")/../configs/zoom.json" >"$dir/zoom_dry.json" &&
	python3 -c 'import json,sys; assert len(json.load(open(sys.argv[1]))["jobs"]) == 60' \
		"$dir/zoom_dry.json" && ok "configs/zoom.json: 60 frames" ||
	bad "configs/zoom.json: $(head -c 300 "$dir/zoom_dry.json")"
# A zoom sequence: 6 frames from 3 to 1e-20 (shallow to deep), log-spaced at the same
# center, each the bytes of the same job run alone at that frame's scale.
mkdir "$dir/zoom"
cat >"$dir/zoom/z.json" <<'EOF'
{ "kernel": "mandelbrot", "width": 32, "height": 24,
  "params": { "center": ["-0.743643887037158704752191506114774",
                         "0.131825904205311970493132056385139"], "scale": 3, "max_iter": 1500 },
  "zoom": { "frames": 6, "to": "1e-20", "png": "f_%02d.png" } }
EOF
(cd "$dir/zoom" && "$bin" run -q z.json) || bad "the zoom sequence failed"
[ "$(ls "$dir/zoom" | grep -c '^f_0[0-5].png$')" = 6 ] && ok "a zoom writes its 6 frames" ||
	bad "zoom frames: $(ls "$dir/zoom")"
(cd "$dir/zoom" && "$bin" run z.json --dry-run >dry.json) &&
	python3 - "$dir/zoom/dry.json" <<'PY' || bad "zoom frames' scales: see above"
import json, math, sys
jobs = json.load(open(sys.argv[1]))["jobs"]
scales = [j["job"]["params"]["scale"] for j in jobs]
assert len(scales) == 6 and scales[0] == 3 and scales[-1] == "1e-20", scales
for f, s in enumerate(scales):
    want = math.log10(3) + (-20 - math.log10(3)) * f / 5
    assert abs(math.log10(float(s)) - want) < 1e-12, (f, s, want)
assert [j["writes"] for j in jobs] == [["f_%02d.png" % f] for f in range(6)]
PY
for f in 0 3 5; do
	scale=$(python3 -c "import json,sys; print(json.dumps(json.load(open(sys.argv[1]))['jobs'][$f]['job']['params']['scale']))" "$dir/zoom/dry.json")
	python3 - "$dir/zoom/z.json" "$scale" "$dir/zoom/alone.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); del j["zoom"]
j["params"]["scale"] = json.loads(sys.argv[2]); j["output"] = {"png": "alone.png"}
json.dump(j, open(sys.argv[3], "w"))
PY
	(cd "$dir/zoom" && "$bin" run -q alone.json) &&
		cmp -s "$dir/zoom/alone.png" "$dir/zoom/f_0$f.png" && ok "zoom frame $f is the job run alone" ||
		bad "zoom frame $f differs from the job run alone at scale $scale"
done

exit $fail

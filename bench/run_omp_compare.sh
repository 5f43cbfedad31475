#!/usr/bin/env bash
# run_omp_compare.sh: times forkband against the OpenMP baseline on the default job.
#
# usage: bench/run_omp_compare.sh [-n RUNS] [-j "1 2 ..."] [-i ISA] [-s WxH] [-v]
#                                 [FORKBAND [OMP_MANDELBROT]]
#
# Builds nothing: the binaries default to build/bench/forkband and
# build/bench/bench/omp_mandelbrot (cmake -DFORKBAND_BENCH=ON). For each worker count
# (default: 1 and the online CPU count) it runs both programs RUNS times (default 7)
# after one untimed warm-up of each, alternating them and swapping which goes first
# every run (so neither always inherits the other's cache and clock state), and takes
# medians of
#   compute     forkband's phases_s.compute from its --report; omp_mandelbrot's compute_s
#   end-to-end  wall time of the whole process, exec to exit, taken here
# then prints both medians and forkband/OpenMP ratios (below 1: forkband is faster):
# "ratio" is the ratio of the medians, "paired" the median of the per-run ratios of
# each forkband run to the OpenMP run next to it (steadier on a machine with other load).
# -i ISA runs forkband with --isa ISA: `-i scalar` compares the runtimes alone (the
# OpenMP program runs the scalar loop); without it forkband runs its default, the best
# vector loop the CPU has, and the comparison is of the two programs as users get them.
# -s WxH renders the default job's view at another size (issue 15's goal is at 2048x2048).
# -v also prints every run's "compute end-to-end" seconds. Before each pair of runs it
# waits until the CPUs are idle (bench/quiet.sh; QUIET=0 turns that off), and says how
# many pairs started on a busy machine anyway.
# Both programs get the same job (configs/mandelbrot.json with every field it sets
# repeated as a --set, so an edited config cannot make them differ), and before timing
# the script checks that their totals are identical, and their PNG image data when
# omp_mandelbrot writes with forkband's encoder (--check; the timed runs use libpng).
#
# Needs bash, GNU coreutils (date +%N, mktemp), grep, awk and sort; not Python.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/quiet.sh
. "$here/bench/quiet.sh"
busy=0
runs=7
jobs=""
verbose=0
isa=()
size=1920x1080
while getopts "n:j:i:s:vh" opt; do
	case $opt in
	n) runs=$OPTARG ;;
	j) jobs=$OPTARG ;;
	i) isa=(--isa "$OPTARG") ;;
	s) size=$OPTARG ;;
	v) verbose=1 ;;
	h) sed -n '2,/^set -e/p' "$0" | sed '$d' | cut -c3-; exit 0 ;;
	*) echo "usage: $0 [-n RUNS] [-j \"1 2 ...\"] [-i ISA] [-s WxH] [-v] [FORKBAND [OMP_MANDELBROT]]" >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
fb=${1:-$here/build/bench/forkband}
omp=${2:-$here/build/bench/bench/omp_mandelbrot}
if [ -z "$jobs" ]; then
	jobs="1 $(nproc)"
	[ "$(nproc)" = 1 ] && jobs=1
fi
for b in "$fb" "$omp"; do
	[ -x "$b" ] || { echo "$0: $b: not an executable (build with -DFORKBAND_BENCH=ON)" >&2; exit 2; }
done
case $runs in
'' | *[!0-9]* | 0) echo "$0: -n: expected a positive integer, got '$runs'" >&2; exit 2 ;;
esac
case $size in
[1-9]*x[1-9]*) W=${size%x*} H=${size#*x} ;;
*) echo "$0: -s: expected WIDTHxHEIGHT, got '$size'" >&2; exit 2 ;;
esac
case $W$H in *[!0-9]*) echo "$0: -s: expected WIDTHxHEIGHT, got '$size'" >&2; exit 2 ;; esac

# The default job, spelled out for both programs.
MAX_ITER=1000 CX=-0.65 CY=0 SCALE=4.3
config=$here/configs/mandelbrot.json
fb_job=(--set "width=$W" --set "height=$H" --set "params.max_iter=$MAX_ITER"
	--set "params.center=[$CX,$CY]" --set "params.scale=$SCALE" --set params.bailout=2
	--set params.coloring=smooth --set params.palette=classic)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now_ns() { date +%s%N; }

# The value of "key" in a report (the first occurrence: phases_s comes before passes,
# totals after; none of these names repeats as a key).
report_value() {
	awk -v k="\"$1\":" '$1 == k { sub(/,$/, "", $2); print $2; exit }' "$2"
}

# The value of key=... on omp_mandelbrot's output line.
omp_value() {
	tr ' ' '\n' <"$2" | awk -F= -v k="$1" '$1 == k { print $2; exit }'
}

median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) exit 1
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# run_fb J: one forkband run; appends "compute e2e" to $tmp/fb.J
run_fb() {
	local t0 t1
	t0=$(now_ns)
	"$fb" run "$config" "${fb_job[@]}" ${isa[@]+"${isa[@]}"} -j "$1" -q -o "$tmp/fb.png" \
		--report "$tmp/fb.json"
	t1=$(now_ns)
	echo "$(report_value compute "$tmp/fb.json") $(((t1 - t0) / 1000))e-6" >>"$tmp/fb.$1"
}

# run_omp J [--check]: one OpenMP run; appends "compute e2e" to $tmp/omp.J
run_omp() {
	local t0 t1
	t0=$(now_ns)
	"$omp" ${2:-} $W $H $MAX_ITER $CX $CY $SCALE "$tmp/omp.png" "$1" >"$tmp/omp.out"
	t1=$(now_ns)
	echo "$(omp_value compute_s "$tmp/omp.out") $(((t1 - t0) / 1000))e-6" >>"$tmp/omp.$1"
}

# The PNG from the first IDAT chunk to the end: everything but the tEXt chunks.
image_data() {
	local at
	at=$(grep -obUa IDAT "$1" | head -n 1 | cut -d: -f1)
	tail -c +$((at + 1)) "$1"
}

# Same job, same answer: the comparison means nothing otherwise.
first=${jobs%% *}
run_fb "$first"
run_omp "$first" --check
for t in inside escaped iterations; do
	a=$(report_value "$t" "$tmp/fb.json")
	b=$(omp_value "$t" "$tmp/omp.out")
	if [ "$a" != "$b" ]; then
		echo "$0: the programs disagree: $t is $a in forkband, $b in omp_mandelbrot" >&2
		exit 1
	fi
done
if ! cmp -s <(image_data "$tmp/fb.png") <(image_data "$tmp/omp.png"); then
	echo "$0: the programs wrote different image data" >&2
	exit 1
fi
echo "check: same totals and identical PNG image data (IDAT) from both programs"
echo "job: ${W}x${H} max_iter $MAX_ITER center [$CX, $CY] scale $SCALE; $runs runs each, medians"
echo "forkband's escape loop: $(awk -F'"' '$2 == "isa" { print $4; exit }' "$tmp/fb.json")"
echo

printf '%4s  %12s %12s %6s %6s  %12s %12s %6s %6s\n' "-j" "fb compute" "omp compute" \
	"ratio" "paired" "fb e2e" "omp e2e" "ratio" "paired"
for j in $jobs; do
	rm -f "$tmp/fb.$j" "$tmp/omp.$j"
	run_fb "$j"	# warm-up, not counted
	run_omp "$j"
	rm -f "$tmp/fb.$j" "$tmp/omp.$j"
	for ((i = 0; i < runs; i++)); do
		wait_quiet || busy=$((busy + 1))
		if ((i % 2 == 0)); then
			run_fb "$j"
			run_omp "$j"
		else
			run_omp "$j"
			run_fb "$j"
		fi
	done
	fc=$(awk '{ print $1 }' "$tmp/fb.$j" | median)
	oc=$(awk '{ print $1 }' "$tmp/omp.$j" | median)
	fe=$(awk '{ print $2 }' "$tmp/fb.$j" | median)
	oe=$(awk '{ print $2 }' "$tmp/omp.$j" | median)
	# Paired: the median of each run's ratio to the other program's run beside it,
	# which a burst of load from elsewhere, hitting both, mostly cancels out of.
	pc=$(paste "$tmp/fb.$j" "$tmp/omp.$j" | awk '{ print $1 / $3 }' | median)
	pe=$(paste "$tmp/fb.$j" "$tmp/omp.$j" | awk '{ print $2 / $4 }' | median)
	awk -v j="$j" -v fc="$fc" -v oc="$oc" -v fe="$fe" -v oe="$oe" -v pc="$pc" -v pe="$pe" \
		'BEGIN { printf "%4s  %10.3f s %10.3f s %6.3f %6.3f  %10.3f s %10.3f s %6.3f %6.3f\n",
			j, fc, oc, fc / oc, pc, fe, oe, fe / oe, pe }'
	if ((verbose)); then
		echo "      forkband runs (compute e2e): $(awk '{ printf "%.3f/%.3f ", $1, $2 }' "$tmp/fb.$j")"
		echo "      OpenMP runs (compute e2e):   $(awk '{ printf "%.3f/%.3f ", $1, $2 }' "$tmp/omp.$j")"
	fi
done
if ((busy)); then
	echo "warning: $busy pair(s) of runs started while other processes were using the CPUs"
fi

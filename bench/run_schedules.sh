#!/usr/bin/env bash
# run_schedules.sh: times forkband's four schedules on the default job, interleaved.
#
# usage: bench/run_schedules.sh [-n RUNS] [-j "2 ..."] [FORKBAND]
#
# Builds nothing: FORKBAND defaults to build/bench/forkband. For each worker count
# (default: the online CPU count) it runs the default job (configs/mandelbrot.json)
# RUNS times (default 7) with each of --schedule static, cyclic, dynamic and guided at
# its default chunk, rotating the order every run, and prints the median compute time
# (the report's phases_s.compute), its ratio to dynamic, and the median imbalance:
# the busiest worker's busy time over the least busy one's (1: perfectly even).
# Waits for idle CPUs before each run (bench/quiet.sh; QUIET=0 turns that off).
#
# Needs bash, awk and sort; not Python.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/quiet.sh
. "$here/bench/quiet.sh"
runs=7
jobs=""
while getopts "n:j:h" opt; do
	case $opt in
	n) runs=$OPTARG ;;
	j) jobs=$OPTARG ;;
	h) sed -n '2,/^set -e/p' "$0" | sed '$d' | cut -c3-; exit 0 ;;
	*) echo "usage: $0 [-n RUNS] [-j \"2 ...\"] [FORKBAND]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
fb=${1:-$here/build/bench/forkband}
jobs=${jobs:-$(nproc)}
[ -x "$fb" ] || { echo "$0: $fb: not an executable" >&2; exit 2; }
case $runs in
'' | *[!0-9]* | 0) echo "$0: -n: expected a positive integer, got '$runs'" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
schedules=(static cyclic dynamic guided)
busy=0

median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# "compute imbalance" from a report: the first "compute" key is phases_s's; the
# busy_s values up to the second pass's name are the compute pass's workers.
from_report() {
	awk '$1 == "\"compute\":" && c == "" { c = $2; sub(/,$/, "", c) }
	     $1 == "\"name\":" && $2 ~ /colour/ { done = 1 }
	     $1 == "\"busy_s\":" && !done { b = $2 + 0
		if (n++ == 0 || b > hi) hi = b
		if (n == 1 || b < lo) lo = b }
	     END { print c, (lo > 0 ? hi / lo : 0) }' "$1"
}

printf '%4s  %-8s %12s %8s %10s\n' "-j" "schedule" "compute" "/dynamic" "imbalance"
for j in $jobs; do
	for s in "${schedules[@]}"; do rm -f "$tmp/$s"; done
	for ((r = 0; r < runs; r++)); do
		for ((i = 0; i < ${#schedules[@]}; i++)); do
			s=${schedules[(i + r) % ${#schedules[@]}]}
			wait_quiet || busy=$((busy + 1))
			"$fb" run "$here/configs/mandelbrot.json" -j "$j" --schedule "$s" -q \
				-o "$tmp/out.png" --report "$tmp/report.json"
			from_report "$tmp/report.json" >>"$tmp/$s"
		done
	done
	dyn=$(awk '{ print $1 }' "$tmp/dynamic" | median)
	for s in "${schedules[@]}"; do
		c=$(awk '{ print $1 }' "$tmp/$s" | median)
		im=$(awk '{ print $2 }' "$tmp/$s" | median)
		awk -v j="$j" -v s="$s" -v c="$c" -v d="$dyn" -v im="$im" \
			'BEGIN { printf "%4s  %-8s %10.3f s %8.2f %10.2f\n", j, s, c, c / d, im }'
	done
done
if ((busy)); then
	echo "warning: $busy run(s) started while other processes were using the CPUs"
fi

#!/usr/bin/env bash
# scaling.sh: strong scaling of the Mandelbrot compute phase across worker counts and
# schedules, the numbers behind "dynamic is the default" in docs/performance.md.
#
# usage: bench/scaling.sh [FORKBAND] [MAX_WORKERS] [REPEATS]
# The job is the reference: 2048x2048, max_iter 1000, the default view
# (center [-0.75, 0], scale 3). No PNG is written: this measures the passes. Each
# point is the median of REPEATS runs of the compute phase from forkband's report;
# T1 is the median -j 1 time (the schedules are identical on one worker).
set -euo pipefail
bin=${1:-build/release/forkband}
max=${2:-$(nproc)}
reps=${3:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
job=(--set width=2048 --set height=2048 --set params.center=[-0.75,0] --set params.scale=3
	--set params.max_iter=1000 --set output={} -q)

# The compute phase of one run, in seconds, from its report.
compute() {
	"$bin" run "${job[@]}" "$@" --report "$tmp/r.json"
	tr -d ' \n\t' <"$tmp/r.json" | grep -o '"phases_s":{[^}]*}' | grep -o '"compute":[0-9.e+-]*' |
		cut -d: -f2
}
# The median of REPS runs of compute with the given options; stops the script (the
# command substitution's failure, under set -e) if a run fails or reports nothing.
median_of() {
	local r t times=()
	for ((r = 0; r < reps; r++)); do
		t=$(compute "$@")
		[ -n "$t" ] || { echo "scaling.sh: no compute time from forkband $*" >&2; return 1; }
		times+=("$t")
	done
	printf '%s\n' "${times[@]}" | sort -g |
		awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'
}

counts=(1)
for ((n = 2; n < max; n *= 2)); do counts+=("$n"); done
[ "$max" -gt 1 ] && counts+=("$max")

t1=$(median_of -j 1)
printf "machine: %s, %s cpus\n" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" "$(nproc)"
printf "T1 (-j 1) = %.3f s, median of %d\n\n" "$t1" "$reps"
printf "%-8s %7s %9s %8s %10s\n" schedule workers compute_s speedup efficiency
for s in static cyclic dynamic guided; do
	for n in "${counts[@]}"; do
		[ "$n" = 1 ] && continue
		t=$(median_of -j "$n" --schedule "$s")
		awk -v s="$s" -v n="$n" -v t="$t" -v t1="$t1" \
			'BEGIN {printf "%-8s %7d %9.3f %8.2f %10.2f\n", s, n, t, t1/t, t1/t/n}'
	done
done

#!/usr/bin/env bash
# run_lock_bench.sh: runs every lock_bench variant, interleaved, and prints a table per scenario.
#
# usage: bench/run_lock_bench.sh [-t SECONDS] [-r ROUNDS] [-p "2 8 16"]
#                                [-s "0/0 3000/0 3000/3000"] [DIR]
#
# Builds nothing: DIR (default build/bench/bench) holds lock_bench_spin16, _spin256,
# _spin1024, _spin16384 and _c11 (cmake -DFORKBAND_BENCH=ON), the same lock with
# FB_SPIN_LIMIT 16 ... 16384, and the C11 variant with the default 1024.
#
# Scenarios, WORK/HOLD: WORK empty loop iterations between a release and the next
# acquire, HOLD more inside the lock, on top of the pool-like five updates. The
# defaults are 0/0 (full contention), 3000/0 (about a microsecond here between
# acquisitions) and 3000/3000 (as long again inside the lock, so that with more
# processes than CPUs holders are often preempted while holding it: the case
# FB_SPIN_LIMIT exists for). Process counts: -p, default 2, 8 and 16.
#
# Each of ROUNDS rounds (default 7) runs every variant once for SECONDS (default 0.3)
# per process count, in a rotating order, so that load from elsewhere falls on all the
# variants alike; a cell is the median over the rounds of "ns per acquisition" and,
# in brackets, of the fairness (the fewest acquisitions any process made over the mean;
# 0: some process never got the lock). Lower ns is more throughput. Before each run it
# waits for idle CPUs (bench/quiet.sh; QUIET=0 turns that off).
#
# Needs bash and awk (any: mawk is fine); not Python.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/quiet.sh
. "$here/bench/quiet.sh"
secs=0.3
rounds=7
procs="2 8 16"
scenarios="0/0 3000/0 3000/3000"
while getopts "t:r:p:s:h" opt; do
	case $opt in
	t) secs=$OPTARG ;;
	r) rounds=$OPTARG ;;
	p) procs=$OPTARG ;;
	s) scenarios=$OPTARG ;;
	h) sed -n '2,/^set -e/p' "$0" | sed '$d' | cut -c3-; exit 0 ;;
	*) echo "usage: $0 [-t SECONDS] [-r ROUNDS] [-p \"2 8 16\"] [-s \"WORK/HOLD ...\"] [DIR]" >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
dir=${1:-$here/build/bench/bench}
variants=(spin16 spin256 spin1024 spin16384 c11)
for v in "${variants[@]}"; do
	[ -x "$dir/lock_bench_$v" ] || {
		echo "$0: $dir/lock_bench_$v: not an executable (build with -DFORKBAND_BENCH=ON)" >&2
		exit 2
	}
done
case $rounds in
'' | *[!0-9]* | 0) echo "$0: -r: expected a positive integer, got '$rounds'" >&2; exit 2 ;;
esac

busy=0
nv=${#variants[@]}
for sc in $scenarios; do
	w=${sc%/*}
	hold=${sc#*/}
	out=""
	for ((r = 0; r < rounds; r++)); do
		for ((i = 0; i < nv; i++)); do
			v=${variants[(i + r) % nv]}
			wait_quiet || busy=$((busy + 1))
			# shellcheck disable=SC2086 # procs is a list
			out+=$("$dir/lock_bench_$v" -t "$secs" -r 1 -w "$w" -c "$hold" $procs)$'\n'
		done
	done
	printf '%s' "$out" | awk -v procs="$procs" -v sc="$sc" -v order="${variants[*]}" '
		function median(key,    n, i, j, t, v) {
			n = split(vals[key], v, " ")
			for (i = 2; i <= n; i++)	# insertion sort: mawk has no asort
				for (j = i; j > 1 && v[j - 1] + 0 > v[j] + 0; j--) {
					t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
				}
			return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		}
		# One calibration line: the default lock, first round.
		/^# .*FB_SPIN_LIMIT 1024:/ && !/C11/ && !cal {
			sub(/^# .*FB_SPIN_LIMIT 1024: /, ""); cal = $0
		}
		/^lock=/ {
			for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
			row = f["lock"] == "c11" ? "c11" : "spin" f["spin_limit"]
			label[row] = f["lock"] " " f["spin_limit"]
			vals[row, f["procs"]] = vals[row, f["procs"]] " " f["ns_per_acq"]
			vals[row, f["procs"], "fair"] = vals[row, f["procs"], "fair"] " " f["fairness"]
		}
		END {
			print "WORK/HOLD " sc ": " cal
			np = split(procs, p, " ")
			nr = split(order, rows, " ")
			printf "%-16s", "lock, spin limit"
			for (i = 1; i <= np; i++) printf "  %16s", p[i] " procs"
			printf "\n"
			for (r = 1; r <= nr; r++) {
				printf "%-16s", label[rows[r]]
				for (i = 1; i <= np; i++)
					printf "  %16s", sprintf("%.1f (%.2f)", median(rows[r] SUBSEP p[i]),
						median(rows[r] SUBSEP p[i] SUBSEP "fair"))
				printf "\n"
			}
			printf "\n"
		}'
done
if ((busy)); then
	echo "warning: $busy run(s) started while other processes were using the CPUs"
fi

#!/usr/bin/env bash
# mpi_scaling.sh: a study across rank counts: mpirun at 1, 2, 4 ranks (-R to change),
# each rank with the workers that fit the machine's cores (cores / ranks, at least 1;
# -j to fix it), RUNS runs each, interleaved; the median of the reports' wall time (the
# job, without Open MPI's start and finish), the speedup against one
# rank and the efficiency (the speedup over the growth in workers, ranks x workers:
# on one machine the cores stay the same, so 1.0 is ideal), the per-rank busy times and
# their imbalance (the largest over the mean), and a check that every run wrote the
# bytes of the first.
#
# usage: bench/mpi_scaling.sh [-n RUNS] [-R "1 2 4"] [-j WORKERS] [-H HOSTFILE]
#                             [BUILD_DIR] [CONFIG]
set -euo pipefail

runs=3 rank_counts="1 2 4" fixed="" hostfile=""
while getopts "n:R:j:H:h" opt; do
	case $opt in
	n) runs=$OPTARG ;;
	R) rank_counts=$OPTARG ;;
	j) fixed=$OPTARG ;;
	H) hostfile=$(realpath "$OPTARG") ;;
	*) sed -n '2,/^set -e/p' "$0" | sed '$d' | cut -c3-; exit 0 ;;
	esac
done
shift $((OPTIND - 1))
build=$(realpath "${1:-build/release}")
config=${2:+$(realpath "$2")}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
cores=$(nproc)
where=(--oversubscribe --bind-to none)
[ -z "$hostfile" ] || where=(--hostfile "$hostfile" --bind-to none)
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $cores cores"
echo "job: ${config:-the default job}; $runs runs a rank count, interleaved"
for i in $(seq "$runs"); do
	for r in $rank_counts; do
		j=${fixed:-$((cores / r > 0 ? cores / r : 1))}
		mpirun -q "${where[@]}" -np "$r" "$build/forkband-mpi" run $config -q -j "$j" \
			-o "out-$r.png" --report "r-$r-$i.json"
	done
done
python3 - "$rank_counts" "$runs" <<'PY'
import json, statistics, sys, filecmp
counts = [int(x) for x in sys.argv[1].split()]
runs = int(sys.argv[2])
base = None
print("%6s %8s %9s %8s %10s %10s %s" % ("ranks", "workers", "median_s", "speedup",
                                         "efficiency", "imbalance", "same bytes"))
for r in counts:
    reps = [json.load(open("r-%d-%d.json" % (r, i + 1)))["jobs"][0] for i in range(runs)]
    t = statistics.median(x["wall_s"] for x in reps)
    w = reps[0]["workers"] * r
    if base is None:
        base, base_w = t, w
    busy = [p["busy_s"] for p in reps[0].get("mpi", {}).get("per_rank", [])]
    imb = max(busy) / statistics.mean(busy) if busy and statistics.mean(busy) > 0 else 1.0
    same = filecmp.cmp("out-%d.png" % counts[0], "out-%d.png" % r, shallow=False)
    print("%6d %8d %9.3f %8.2f %10.2f %10.2f %s" % (r, reps[0]["workers"], t, base / t,
          base / t / (w / base_w), imb, "yes" if same else "NO"))
PY

#!/usr/bin/env bash
# mpi_compare.sh: forkband-mpi against forkband on one machine, in one run: R ranks of W
# workers (mpirun -np R forkband-mpi run -j W) against one process of R x W workers
# (forkband run -j RW), alternated by hyperfine; median times, their ratio (the goal:
# at most 1.05), the same for the job alone (the reports' wall_s: without Open MPI's
# start and finish, mpirun's own cost), and the bytes rank 0 received against the
# image's.
# Jobs: the default job and an 8000x8000 Mandelbrot (-s SIZE to change it).
#
# usage: bench/mpi_compare.sh [-n RUNS] [-r RANKS] [-j WORKERS] [-s SIZE] [BUILD_DIR]
set -euo pipefail

runs=5 ranks=2 workers=1 size=8000
while getopts "n:r:j:s:h" opt; do
	case $opt in
	n) runs=$OPTARG ;;
	r) ranks=$OPTARG ;;
	j) workers=$OPTARG ;;
	s) size=$OPTARG ;;
	*) sed -n '2,/^set -e/p' "$0" | sed '$d' | cut -c3-; exit 0 ;;
	esac
done
shift $((OPTIND - 1))
build=$(realpath "${1:-build/release}")
command -v hyperfine >/dev/null || { echo "mpi_compare.sh: hyperfine is missing" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
all=$((ranks * workers))
# --bind-to none: each rank's workers may use every core (Open MPI binds a rank to one
# core by default at two ranks or fewer).
mpirun=(mpirun -q --oversubscribe --bind-to none -np "$ranks")

for job in default "$size"; do
	args=(-q -o out.png)
	[ "$job" = default ] || args+=(--set width="$job" --set height="$job")
	echo "== $job: $ranks ranks x $workers workers against 1 process x $all workers"
	hyperfine -N -r "$runs" -w 1 --export-json "h-$job.json" \
		-n local "$build/forkband run ${args[*]} -j $all" \
		-n mpi "${mpirun[*]} $build/forkband-mpi run ${args[*]} -j $workers" >/dev/null
	python3 - "h-$job.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
for x in r:
    print("  %-6s median %7.3f s" % (x["command"], x["median"]))
print("  ratio mpi/local %.3f (goal <= 1.05)" % (r[1]["median"] / r[0]["median"]))
PY
	# The job alone, without Open MPI's start and finish: the reports' wall_s, alternated.
	for i in $(seq "$runs"); do
		"$build/forkband" run "${args[@]}" -j "$all" --report "l-$i.json"
		"${mpirun[@]}" "$build/forkband-mpi" run "${args[@]}" -j "$workers" --report "m-$i.json"
	done
	python3 - "$runs" <<'PY'
import json, statistics, sys
n = int(sys.argv[1])
wall = lambda f: json.load(open(f))["jobs"][0]["wall_s"]
l = statistics.median(wall("l-%d.json" % (i + 1)) for i in range(n))
m = statistics.median(wall("m-%d.json" % (i + 1)) for i in range(n))
print("  the job alone (reports' wall_s): local %.3f s, mpi %.3f s, ratio %.3f" % (l, m, m / l))
PY
	cp "m-$runs.json" r.json
	python3 -c "
import json; m = json.load(open('r.json'))['jobs'][0]['mpi']
print('  %d bands; rank 0 received %d bytes = %.1f%% of the %d bytes of unencoded rows' % (
    m['bands'], m['bytes_received'], 100.0 * m['bytes_received'] / m['bytes_unencoded'],
    m['bytes_unencoded']))
print('  busy s per rank: ' + ' '.join('%.2f' % r['busy_s'] for r in m['per_rank']))"
done

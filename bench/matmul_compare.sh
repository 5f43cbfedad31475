#!/usr/bin/env bash
# matmul_compare.sh: forkband's matmul compute phase against OpenBLAS's threaded
# cblas_dgemm on the same generated N x N matrices, at the same thread counts,
# alternating runs, medians, ratio forkband / OpenBLAS.
# usage: bench/matmul_compare.sh [-n RUNS] [-j "1 2"] [-s N] [-e ENGINE] [FORKBAND [MATMUL_BLAS]]
# -e: forkband's matmul engine, blas (the default) or exact.
# Both programs take OPENBLAS_CORETYPE from the environment: set it where Debian's
# OpenBLAS 0.3.21 picks slow kernels for the CPU (forkband --version names them).
# Needs libopenblas-pthread-dev (cmake --preset bench builds build/bench/bench/matmul_blas).
set -euo pipefail
runs=3 jobs="1 $(nproc)" n=2048 engine=blas
while getopts "n:j:s:e:h" opt; do
	case $opt in
	n) runs=$OPTARG ;;
	j) jobs=$OPTARG ;;
	s) n=$OPTARG ;;
	e) engine=$OPTARG ;;
	*) sed -n '2,/^set -e/p' "$0" | sed '$d' | cut -c3-; exit 0 ;;
	esac
done
shift $((OPTIND - 1))
fb=$(realpath "${1:-build/bench/forkband}")
blas=$(realpath "${2:-build/bench/bench/matmul_blas}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/mm.json" <<JSON
{"kernel": "matmul", "params": {"a": {"generate": "random", "rows": $n, "cols": $n, "seed": 1},
 "b": {"generate": "random", "rows": $n, "cols": $n, "seed": 2}, "engine": "$engine"}}
JSON
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
printf "%3s %14s %14s %10s   (n = %d, %d runs, engine %s, %s)\n" -j forkband openblas fb/blas \
	"$n" "$runs" "$engine" "$("$fb" --version | sed -n 's/^blas: //p')"
for j in $jobs; do
	: >"$tmp/f" && : >"$tmp/b"
	for ((r = 0; r < runs; r++)); do
		"$fb" run -q -j "$j" "$tmp/mm.json" --report "$tmp/r.json"
		tr -d ' \n\t' <"$tmp/r.json" | grep -o '"compute":[0-9.e+-]*' | head -1 | cut -d: -f2 >>"$tmp/f"
		OPENBLAS_NUM_THREADS=$j "$blas" "$n" | grep dgemm_s | cut -d= -f2 >>"$tmp/b"
	done
	f=$(median <"$tmp/f") b=$(median <"$tmp/b")
	awk -v j="$j" -v f="$f" -v b="$b" 'BEGIN { printf "%3d %13.3fs %13.3fs %10.2f\n", j, f, b, f / b }'
done

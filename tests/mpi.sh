#!/usr/bin/env bash
# mpi.sh: forkband-mpi on loopback makes the bytes of `forkband run` (PNG, .npy, heat's
# frames and the report's totals) for every kernel, at 1 to 4 ranks and several
# workers a rank, over the shared-memory and the TCP transports; a worker killed inside
# one rank (in a band, in a heat step) is recovered with the same bytes; a rank killed ends the run quickly with
# nothing left behind; a bad config is one line and exit 2.
# usage: mpi.sh FORKBAND FORKBAND_MPI [quick]   (quick: a sanitizer build, fewer runs)
set -u
bin=$(realpath "$1")
mpi=$(realpath "$2")
quick=$([ "${3:-}" = quick ] && echo 1 || true)
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}
# Root in a container, more ranks than cores: what Open MPI needs told (docs/mpi.md).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Sanitizer builds: Open MPI's own allocations at exit are not this program's leaks.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
run_mpi() {	# run_mpi NP BTL ARGS...: forkband-mpi under mpirun on this host
	local np=$1 btl=$2
	shift 2
	timeout 120 mpirun -q --oversubscribe --bind-to none --mca mpi_yield_when_idle 1 --mca btl "$btl" -np "$np" "$mpi" "$@"
}

# An input for the filters, made by forkband itself: 640x480 RGB.
"$bin" run -q -o in.png --set width=640 --set height=480 --set params.max_iter=80 ||
	bad "cannot make the filters' input"

# 1500 pixels a row: a PNG group is 58 rows, its dictionary reaches 8 rows back.
cat >m.json <<'JSON'
{"kernel": "mandelbrot", "width": 1500, "height": 700,
 "params": {"center": [-0.74, 0.12], "scale": 0.9, "max_iter": 300},
 "output": {"png": "out.png", "iterations": "out.npy"}}
JSON
cat >mh.json <<'JSON'
{"kernel": "mandelbrot", "width": 1500, "height": 700,
 "params": {"center": [-0.74, 0.12], "scale": 0.9, "max_iter": 300, "coloring": "histogram"},
 "output": {"png": "out.png", "iterations": "out.npy"}}
JSON
cat >mb.json <<'JSON'
{"kernel": "mandelbrot", "width": 1500, "height": 700,
 "params": {"center": [-0.74, 0.12], "scale": 0.9, "max_iter": 300, "coloring": "bands"},
 "output": {"png": "out.png"}}
JSON
cat >j.json <<'JSON'
{"kernel": "julia", "width": 1500, "height": 700,
 "params": {"c": [-0.123, 0.745], "max_iter": 200},
 "output": {"png": "out.png", "iterations": "out.npy"}}
JSON
cat >fb.json <<'JSON'
{"kernel": "filter", "input": "in.png",
 "params": {"ops": [{"op": "gaussian", "sigma": 3.0}], "edge": "mirror"},
 "output": {"png": "out.png"}}
JSON
cat >fw.json <<'JSON'
{"kernel": "filter", "input": "in.png",
 "params": {"ops": [{"op": "gray"}, {"op": "median", "radius": 2}, {"op": "sobel"}],
            "edge": "wrap"},
 "output": {"png": "out.png"}}
JSON

# Deep views (perturbation: every rank computes the reference orbit in its kernel's
# prepare()), in both arithmetics.
for a in exact fast; do
	cat >"d${a:0:1}.json" <<JSON
{"kernel": "mandelbrot", "width": 48, "height": 20,
 "params": {"center": ["-0.743643887037158704752191506114774",
                       "0.131825904205311970493132056385139"], "scale": "1e-20",
            "max_iter": 12000, "arithmetic": "$a"},
 "output": {"png": "out.png", "iterations": "out.npy"}}
JSON
done

totals() {	# the report's totals, one line
	python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["jobs"][0]["totals"], sort_keys=True))' "$1"
}

# ---- 1. the bytes of forkband run ----
# The eight jobs as one batch (one Open MPI start a combination: a start costs about a
# second of CPU here), each writing NAME.png and NAME.npy.
jobs="m mh mb j fb fw de df"
[ -n "$quick" ] && jobs="mh fw de"
python3 - "$dir" $jobs >batch.json <<'PY'
import json, sys
folder, names = sys.argv[1], sys.argv[2:]
jobs = []
for name in names:
    job = json.load(open("%s/%s.json" % (folder, name)))
    out = {"png": name + ".png"}
    if "iterations" in job["output"]:
        out["iterations"] = name + ".npy"
    job["output"] = out
    if "input" in job:
        job["input"] = "%s/%s" % (folder, job["input"])
    jobs.append(job)
print(json.dumps({"jobs": jobs}))
PY
all_totals() {	# every job's totals, one line each
	python3 -c 'import json,sys; [print(json.dumps(j["totals"], sort_keys=True)) for j in json.load(open(sys.argv[1]))["jobs"]]' "$1"
}
mkdir ref && (cd ref && "$bin" run ../batch.json -q -j 2 --report ../ref.json) ||
	bad "the batch: forkband run failed"
# Ranks x workers a rank x strip height (FORKBAND_TEST_STRIP_ROWS caps a band: 70 rows
# make bands of one group, so that a slow band holds the window back). One rank is the
# local pipeline itself: not run here.
for combo in 2:3:0 3:2:70 4:1:70; do
	IFS=: read -r np j rows <<<"$combo"
	[ -n "$quick" ] && [ "$combo" != 3:2:70 ] && continue
	mkdir "c$combo"
	# One combination over TCP, the transport between hosts; the rest shared memory.
	btl=self,vader
	[ "$combo" = 4:1:70 ] && btl=self,tcp
	(cd "c$combo" && FORKBAND_TEST_STRIP_ROWS=${rows/#0/} run_mpi "$np" "$btl" run \
		../batch.json -q -j "$j" --report ../mpi.json 2>../err.txt) ||
		{ bad "-np $np -j $j (strips $rows): forkband-mpi failed: $(head -3 err.txt)"; continue; }
	for f in ref/*; do
		cmp -s "$f" "c$combo/${f#ref/}" || bad "-np $np -j $j (strips $rows): ${f#ref/} differs"
	done
	[ "$(all_totals mpi.json)" = "$(all_totals ref.json)" ] ||
		bad "-np $np -j $j: totals differ: $(all_totals mpi.json) vs $(all_totals ref.json)"
done
[ "$(ls ref | wc -l)" -ge "$(echo $jobs | wc -w)" ] || bad "the batch wrote $(ls ref | wc -l) files"

# The whole-image kernels: each rank a block of rows; heat exchanges its halo rows and
# its largest change every step (to the same step count, the same grid, every frame).
cat >h.json <<'JSON'
{"kernel": "heat", "width": 90, "height": 61,
 "params": {"alpha": 0.24, "steps": 3000, "tolerance": 0.002, "initial": 20,
            "boundary": {"top": 90, "bottom": 10, "left": 20, "right": 50},
            "sources": [{"x": 30, "y": 30, "radius": 8, "value": 100}]},
 "output": {"png": "out.png", "npy": "out.npy", "frames": {"every": 700, "png": "f-%05d.png"}}}
JSON
cat >mm.json <<'JSON'
{"kernel": "matmul",
 "params": {"a": {"generate": "random", "rows": 300, "cols": 60, "seed": 3},
            "b": {"generate": "random", "rows": 60, "cols": 141, "seed": 4}},
 "output": {"png": "out.png", "npy": "out.npy"}}
JSON
# The exact engine too (rows in any grouping); the blas engine above is cut into bands
# of 256 rows.
sed 's/"seed": 4}/"seed": 4}, "engine": "exact"/' mm.json >mme.json
for job in h mm mme; do
	[ -n "$quick" ] && continue	# a sanitizer build: the streamed kernels only
	rm -f out.png out.npy f-*.png
	"$bin" run "$job.json" -q -j 2 --report ref.json 2>err.txt ||
		{ bad "$job: forkband run failed: $(head -2 err.txt)"; continue; }
	mv out.png ref.png
	mv out.npy ref.npy
	mkdir -p ref-frames && rm -f ref-frames/* && { mv f-*.png ref-frames/ 2>/dev/null || true; }
	[ "$job" != h ] || [ -n "$(ls ref-frames)" ] || bad "heat: no frames were written to compare"
	ref_totals=$(totals ref.json)
	for combo in 2:1 3:2; do
		IFS=: read -r np j <<<"$combo"
		[ -n "$quick" ] && [ "$combo" != 3:2 ] && continue
		# matmul's 300 rows are two bands: at 3 ranks one band each and an empty rank.
		[ "$job" != h ] && [ "$combo" != 3:2 ] && continue
		rm -f out.png out.npy f-*.png mpi.json
		run_mpi "$np" self,vader run "$job.json" -q -j "$j" --report mpi.json 2>err.txt ||
			{ bad "$job at $combo: forkband-mpi failed: $(head -3 err.txt)"; continue; }
		cmp -s ref.png out.png && cmp -s ref.npy out.npy ||
			bad "$job at -np $np -j $j: outputs differ"
		for f in ref-frames/*; do
			[ -e "$f" ] || continue
			cmp -s "$f" "${f#ref-frames/}" || bad "$job at -np $np -j $j: frame $f differs"
		done
		[ "$(totals mpi.json)" = "$ref_totals" ] ||
			bad "$job at -np $np -j $j: totals differ: $(totals mpi.json) vs $ref_totals"
	done
done
# Not in a sanitizer build (Open MPI's start is slow there): the rest of section 1.
if [ -z "$quick" ]; then
	# A worker killed in a step of rank 1: the step is redone there, the same grid.
	rm -f out.png out.npy f-*.png
	timeout 120 mpirun -q --oversubscribe --bind-to none --mca btl self,vader \
		-np 1 "$mpi" run h.json -j 2 : \
		-np 1 env FORKBAND_FAULT=crash:chunk=2,sig=KILL,pass=step,every=500 "$mpi" run h.json -j 2 \
		2>hk.err || bad "heat, a worker killed in rank 1: the run failed: $(head -3 hk.err)"
	"$bin" run h.json -q -j 2 && cp out.npy ref.npy
	cmp -s ref.npy out.npy || bad "heat, a worker killed in rank 1: the grid differs"
	grep -q "rank 1 (.*): worker" hk.err || bad "heat, a worker killed in rank 1: not said: $(cat hk.err)"

	# ---- a scaling study across ranks: the same CRCs as forkband scale, the ranks and
	# their busy times recorded, and its output check still catching a difference ----
	"$bin" scale m.json --workers 1 --repeat 1 --warmup 0 --csv ls.csv >/dev/null ||
		bad "forkband scale failed"
	run_mpi 2 self,vader scale m.json --workers 1,2 --repeat 1 --warmup 0 --csv ms.csv \
		--json ms.json >/dev/null 2>ms.err || bad "forkband-mpi scale failed: $(head -3 ms.err)"
	[ "$(cut -d, -f13,14 ls.csv | sed -n 2p)" = "$(cut -d, -f13,14 ms.csv | sed -n 2p)" ] &&
		[ "$(cut -d, -f13,14 ms.csv | sed -n 2p)" = "$(cut -d, -f13,14 ms.csv | sed -n 3p)" ] ||
		bad "scale across ranks: CRCs differ: $(cut -d, -f2,13,14 ls.csv ms.csv | tr '\n' ' ')"
	[ "$(cut -d, -f15 ms.csv | sed -n 2p)" = 2 ] && [ -n "$(cut -d, -f16 ms.csv | sed -n 2p)" ] ||
		bad "scale across ranks: ranks and imbalance not in the CSV: $(cat ms.csv)"
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["machine"]["ranks"] == 2 and len(d["machine"]["hosts"].split(",")) == 2 and len(d["runs"][0]["rank_busy_s"]) == 2' ms.json ||
		bad "scale across ranks: the JSON lacks ranks, hosts or busy times"
	FORKBAND_TEST_CORRUPT=2 run_mpi 2 self,vader scale m.json --workers 1,2 --repeat 1 \
		--warmup 0 >/dev/null 2>mc.err
	rc=$?
	[ "$rc" = 1 ] && grep -q "differ" mc.err || bad "scale across ranks: a corrupt run: exit $rc: $(cat mc.err)"
fi

# ---- 2. a worker killed inside one rank: recovered, the same bytes ----
# Rank 1 alone gets the fault (the second application context of mpirun).
rm -f out.png out.npy
"$bin" run m.json -q -j 1 && mv out.png ref.png && mv out.npy ref.npy
timeout 120 mpirun --oversubscribe --bind-to none --mca btl self,vader \
	-np 1 "$mpi" run m.json -j 2 : \
	-np 1 env FORKBAND_FAULT=crash:chunk=1,sig=KILL "$mpi" run m.json -j 2 2>kill.err ||
	bad "a worker killed in rank 1: the run failed: $(head -3 kill.err)"
cmp -s ref.png out.png && cmp -s ref.npy out.npy || bad "a worker killed in rank 1: outputs differ"
grep -q "rank 1 (.*): worker .* killed by SIGKILL" kill.err ||
	bad "a worker killed in rank 1: not said: $(cat kill.err)"

# Not in a sanitizer build either.
if [ -z "$quick" ]; then
	# A worker killed holding the lock while rank 1 counts a later band of the histogram:
	# the rerun restores that rank's earlier counts (it must not clear them).
	rm -f out.png out.npy
	"$bin" run mh.json -q -j 2 && mv out.png ref.png && mv out.npy ref.npy
	timeout 120 mpirun -q --oversubscribe --bind-to none --mca btl self,vader \
		-np 1 "$mpi" run mh.json -j 2 : \
		-np 1 env FORKBAND_FAULT=kill-in-lock:chunk=40,pass=histogram "$mpi" run mh.json -j 2 \
		2>hl.err || bad "histogram, death in the lock on rank 1: failed: $(head -3 hl.err)"
	cmp -s ref.png out.png || bad "histogram, death in the lock on rank 1: the PNG differs"
	grep -q "rank 1 .*holding the lock" hl.err || bad "histogram, death in the lock: not said: $(cat hl.err)"

	# A job that fails on rank 0 only (its outputs cannot be written: a file size limit
	# there): one line, exit 1, and the other rank does not wait for the next job.
	cat >two.json <<'JSON'
{"defaults": {"kernel": "mandelbrot", "width": 200, "height": 100},
 "jobs": [{"output": {"png": "a.png", "report": "ra.json"}},
          {"output": {"png": "b.png", "report": "rb.json"}}]}
JSON
	cat >limit.sh <<'SH'
#!/bin/bash
trap '' XFSZ
[ "$OMPI_COMM_WORLD_RANK" = 0 ] && ulimit -f 1
exec "$@"
SH
	chmod +x limit.sh
	timeout 60 mpirun -q --oversubscribe --bind-to none -np 2 ./limit.sh "$mpi" run two.json -q \
		2>lim.err
	rc=$?
	[ "$rc" = 1 ] && [ "$(wc -l <lim.err)" = 1 ] && grep -q "File too large" lim.err ||
		bad "a failure on rank 0 only: exit $rc (124: it hung): $(cat lim.err)"
fi

# ---- 3. a rank killed: the run ends within seconds, nothing left behind ----
if [ -z "$quick" ]; then
	cat >slow.json <<'JSON'
{"kernel": "mandelbrot", "width": 2000, "height": 2000,
 "params": {"center": [-0.74, 0.12], "scale": 0.01, "max_iter": 20000},
 "output": {"png": "slow.png"}}
JSON
	set -m	# the background job's own process group: signals reach it as a user's would
	timeout 120 mpirun --oversubscribe --bind-to none -np 2 "$mpi" run slow.json -q -j 1 \
		2>slow.err &
	launcher=$!
	set +m
	victim=
	for _ in $(seq 100); do
		# Rank 1 itself, not one of its workers (which share its command line and
		# environment): the one whose parent is not forkband-mpi.
		for p in $(pgrep -f "$mpi run slow.json"); do
			parent=$(ps -o ppid= -p "$p" | tr -d ' ')
			[ "$(ps -o comm= -p "$parent")" = forkband-mpi ] && continue
			grep -qa "OMPI_COMM_WORLD_RANK=1" "/proc/$p/environ" 2>/dev/null && victim=$p
		done
		[ -n "$victim" ] && break
		sleep 0.1
	done
	if [ -z "$victim" ]; then
		bad "rank 1 never started"
	else
		sleep 1
		t0=$(date +%s.%N)
		kill -KILL "$victim"
		wait "$launcher"
		rc=$?
		t1=$(date +%s.%N)
		[ "$rc" -ne 0 ] || bad "rank killed: exit status 0"
		python3 -c "import sys; sys.exit(0 if $t1 - $t0 < 10 else 1)" ||
			bad "rank killed: the run took $(python3 -c "print($t1 - $t0)") s to end"
		grep -q "rank 1" slow.err || bad "rank killed: no line names rank 1: $(cat slow.err)"
		[ ! -e slow.png ] || bad "rank killed: slow.png was left"
		ls -a | grep -q "^\.slow\|slow.*tmp" && bad "rank killed: a temporary file was left"
		sleep 0.5
		pgrep -f "$mpi run slow.json" >/dev/null && bad "rank killed: processes left: $(pgrep -af "$mpi run slow.json")"
	fi
fi

# ---- 4. bad input: one line, exit 2 ----
echo '{"kernel": "mandelbrot", "width": -5}' >bad.json
run_mpi 3 self,vader run bad.json -q 2>bad.err
rc=$?
[ "$rc" = 2 ] || bad "bad config: exit status $rc, expected 2"
[ "$(wc -l <bad.err)" = 1 ] || bad "bad config: $(wc -l <bad.err) lines: $(cat bad.err)"
grep -q "^forkband-mpi: bad.json: width" bad.err || bad "bad config: message: $(cat bad.err)"
# Pipes that mpirun cannot carry (docs/mpi.md): refused in one line, nothing run.
run_mpi 2 self,vader run - -q <m.json 2>pipe.err >/dev/null
rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <pipe.err)" = 1 ] && grep -q "reaches only rank 0" pipe.err ||
	bad "a config on stdin: exit $rc: $(cat pipe.err)"
run_mpi 2 self,vader run m.json -q -o - 2>pipe.err >pipe.out
rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <pipe.err)" = 1 ] && grep -q "give a file" pipe.err && [ ! -s pipe.out ] ||
	bad "-o - under mpirun: exit $rc: $(cat pipe.err)"
# Fewer rows than the ranks can share: said, not run.
if [ -z "$quick" ]; then
	printf '{"kernel": "heat", "width": 64, "height": 5, "params": {"steps": 10}}' >heat.json
	run_mpi 3 self,vader run heat.json -q 2>heat.err
	rc=$?
	[ "$rc" = 2 ] && [ "$(wc -l <heat.err)" = 1 ] && grep -q "at least 2 rows a rank" heat.err ||
		bad "heat of 5 rows on 3 ranks: exit $rc: $(cat heat.err)"
fi

[ "$fail" = 0 ] && echo "ok: forkband-mpi makes forkband's bytes at every ranks x workers tried"
exit "$fail"

#!/usr/bin/env bash
# recovery.sh: forkband's reliability guarantees, from the outside (docs/reliability.md).
#   usage: recovery.sh FORKBAND SRCDIR [KILLS]
# 1. every injected fault (FORKBAND_FAULT) on every kernel, and in the PNG encode pass:
#    the run succeeds, its PNG, .npy and report totals equal a clean run's, and the
#    recovery is reported;
# 2. rows that crash every time fail the run (exit 1) naming the rows and the signal;
#    a hung worker is stopped by --timeout; a bad FORKBAND_FAULT is refused;
# 3. KILLS (default 30) runs in a row with a random worker SIGKILLed from outside:
#    identical output, no hang;
# 4. a parent killed by SIGKILL leaves no worker behind;
# 5. SIGINT, SIGTERM, SIGHUP: exit 130, 143, 129 within a second, no worker left, no
#    temporary file, an existing output untouched (also while the PNG is being written);
# 6. a full disk (ENOSPC, a small tmpfs): exit 1, a clear message, nothing left behind;
# 7. the memory check against MemAvailable, and --force.
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
kills=${3:-30}
dir=$(mktemp -d)
cd "$dir" || exit 1
mnt=""
cleanup() {
	[ -n "$mnt" ] && umount "$mnt" 2>/dev/null
	cd / && rm -rf "$dir"
}
trap cleanup EXIT
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

# The totals of a report, for comparison (the report's other fields hold times).
totals() {
	sed -n '/"totals"/,/}/p' "$1" | tr -d ' \n\t'
}

# Children of a process, from /proc (no procps needed).
children() {
	local p=$1 kids=""
	for t in /proc/"$p"/task/*/children; do
		[ -r "$t" ] && kids="$kids $(cat "$t" 2>/dev/null)"
	done
	echo $kids
}

# True while a pid is a process that has not exited (a zombie counts as gone).
running() {
	local st
	st=$(awk '{print $3}' /proc/"$1"/stat 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# ---- 1. injected faults, each kernel ----
cp "$src/docs/mandelbrot.png" in.png
cat >mandel.json <<'JSON'
{"kernel": "mandelbrot", "width": 400, "height": 240, "params": {"max_iter": 3000},
 "output": {"png": "OUT.png", "iterations": "OUT.npy"}}
JSON
# Histogram colouring: its totals are restored by clearing, not from a copy.
cat >hist.json <<'JSON'
{"kernel": "mandelbrot", "width": 300, "height": 200,
 "params": {"max_iter": 2000, "coloring": "histogram"},
 "output": {"png": "OUT.png", "iterations": "OUT.npy"}}
JSON
cat >heat.json <<'JSON'
{"kernel": "heat", "width": 160, "height": 90,
 "params": {"steps": 300, "sources": [{"x": 40, "y": 45, "radius": 8, "value": 100}]},
 "output": {"png": "OUT.png", "npy": "OUT.npy"}}
JSON
cat >filter.json <<'JSON'
{"kernel": "filter", "input": "in.png",
 "params": {"ops": [{"op": "gaussian", "sigma": 2}, {"op": "sobel"}]},
 "output": {"png": "OUT.png"}}
JSON
cat >matmul.json <<'JSON'
{"kernel": "matmul",
 "params": {"a": {"generate": "random", "rows": 300, "cols": 200, "seed": 1},
            "b": {"generate": "random", "rows": 200, "cols": 250, "seed": 2}},
 "output": {"png": "OUT.png", "npy": "OUT.npy"}}
JSON

run_job() {	# job out [env...]: runs the job writing out.png/.npy/.json, stderr in out.err
	local job=$1 out=$2
	shift 2
	sed "s/OUT/$out/g" "$job.json" >"$out.cfg.json"
	# A hang is a failure too (exit 124), not a stuck test.
	env "$@" timeout 60 "$bin" run "$out.cfg.json" -j 3 --chunk 4 --report "$out.json" \
		2>"$out.err"
}

same_outputs() {	# a b: PNG, .npy (if any) and totals equal
	cmp -s "$1.png" "$2.png" || return 1
	if [ -e "$1.npy" ]; then cmp -s "$1.npy" "$2.npy" || return 1; fi
	[ "$(totals "$1.json")" = "$(totals "$2.json")" ]
}

for job in mandel hist heat filter matmul; do
	run_job "$job" "$job-clean" || bad "$job: clean run failed: $(cat "$job-clean.err")"
	n=0
	for fault in crash:chunk=5 crash:chunk=9,sig=KILL crash:chunk=2,sig=BUS \
		exit:chunk=4,code=7 exit:worker=0 kill-in-lock:worker=0 kill-in-lock:chunk=3 \
		kill-in-lock:chunk=20 crash:chunk=30,sig=TERM; do
		n=$((n + 1))
		out="$job-f$n"
		if ! run_job "$job" "$out" FORKBAND_FAULT="$fault"; then
			bad "$job $fault: run failed: $(cat "$out.err")"
			continue
		fi
		grep -q "^forkband: recovered: worker [0-9]* (pid [0-9]*) " "$out.err" ||
			bad "$job $fault: no recovery reported: $(cat "$out.err")"
		grep -q '"recoveries":[1-9]' <(tr -d ' \n\t' <"$out.json") ||
			bad "$job $fault: the report counts no recovery"
		same_outputs "$job-clean" "$out" || bad "$job $fault: outputs differ from a clean run"
	done
done
# The PNG encode is a pass too: a 640x480 image is four groups, a chunk each.
cat >groups.json <<'JSON'
{"kernel": "mandelbrot", "width": 640, "height": 480, "params": {"max_iter": 100},
 "output": {"png": "OUT.png"}}
JSON
run_job groups groups-clean || bad "groups: clean run failed: $(cat groups-clean.err)"
n=0
for fault in crash:chunk=2,pass=encode exit:chunk=3,code=3,pass=encode \
	kill-in-lock:chunk=1,pass=encode; do
	n=$((n + 1))
	if ! run_job groups "groups-f$n" FORKBAND_FAULT="$fault"; then
		bad "groups $fault: run failed: $(cat "groups-f$n.err")"
		continue
	fi
	# The encode's tasks are the image's row groups, and say so.
	grep -q "^forkband: recovered: worker [0-9]* (pid [0-9]*) .* in group [0-9]*" \
		"groups-f$n.err" || bad "groups $fault: no recovery reported: $(cat "groups-f$n.err")"
	same_outputs groups-clean "groups-f$n" || bad "groups $fault: the PNG differs from a clean run"
done
grep -h "recovered:" mandel-f1.err mandel-f4.err mandel-f7.err heat-f1.err groups-f1.err |
	sed 's/^/  /'

# ---- 2. faults that must fail the run ----
cat >kill.json <<'JSON'
{"kernel": "mandelbrot", "width": 480, "height": 360, "params": {"max_iter": 20000},
 "output": {"png": "kill.png"}}
JSON
FORKBAND_FAULT=crash:chunk=5,times=0 "$bin" run kill.json -j 3 --chunk 4 -q -o rep.png 2>rep.err
rc=$?
[ $rc -eq 1 ] || bad "a deterministic crash: exit $rc, not 1"
grep -Eq "^forkband: rows [0-9]+-[0-9]+ of pass 'compute' killed their worker 3 times .*SIGSEGV" rep.err ||
	bad "a deterministic crash: message: $(cat rep.err)"
[ ! -e rep.png ] || bad "a failed run wrote its PNG"
echo "  $(cat rep.err)"

FORKBAND_FAULT=kill-in-lock:worker=1,times=2 "$bin" run kill.json -j 3 -q -o lock.png 2>lock.err
rc=$?
[ $rc -eq 1 ] && grep -q "already rerun once" lock.err ||
	bad "a second dead lock holder: exit $rc, $(cat lock.err)"

t0=$(date +%s%N)
FORKBAND_FAULT=hang:chunk=3 timeout 30 "$bin" run kill.json -j 2 -q -o hang.png --timeout 1 \
	2>hang.err
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc -eq 1 ] || bad "a hung worker with --timeout 1: exit $rc, not 1"
grep -Eq "^forkband: the run took longer than --timeout 1 s: worker [0-9]+ \(pid [0-9]+\) was still in rows [0-9]+-[0-9]+ of pass 'compute'" hang.err ||
	bad "timeout message: $(cat hang.err)"
[ "$ms" -lt 5000 ] || bad "--timeout 1 took $ms ms"
[ ! -e hang.png ] || bad "a timed-out run wrote its PNG"
echo "  $(cat hang.err) ($ms ms)"

# The whole run, not only its passes: a job whose PNG takes seconds to encode stops at
# the deadline (in a pass, or after it by the SIGALRM backstop) and writes nothing. No
# bound on the time: under valgrind everything takes far longer; the message and the
# missing output show that the deadline, not the end of the job, stopped it.
t0=$(date +%s%N)
"$bin" run kill.json -q --set width=10000 --set height=10000 --set params.max_iter=2 \
	-o late.png --timeout 1 2>late.err
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
[ $rc -eq 1 ] && grep -q "^forkband: .*the run took longer than --timeout 1 s" late.err ||
	bad "--timeout on a long encode: exit $rc, $(cat late.err)"
[ ! -e late.png ] && ! compgen -G '.late.png.*' >/dev/null || bad "--timeout on a long encode: an output was left"
echo "  $(cat late.err) ($ms ms)"

for spec in "explode:chunk=1" "crash" "crash:chunk=x" "exit:code=300,worker=1" \
	"crash:chunk=1,sig=NOPE" "hang:chunk=1,worker=1" "crash:chunk=1,colour=red" \
	"crash:worker=1,sig=STOP"; do
	FORKBAND_FAULT=$spec "$bin" run kill.json -q -o x.png 2>spec.err
	rc=$?
	[ $rc -eq 2 ] && [ "$(wc -l <spec.err)" -eq 1 ] && grep -q "^forkband: FORKBAND_FAULT: " spec.err ||
		bad "FORKBAND_FAULT=$spec: exit $rc, $(cat spec.err)"
done

# ---- 3. random workers SIGKILLed from outside ----
"$bin" run kill.json -j 3 --chunk 2 -q -o kill-clean.png || bad "kill job: clean run failed"
landed=0 tries=0
while [ $landed -lt "$kills" ] && [ $tries -lt $((kills * 3)) ]; do
	tries=$((tries + 1))
	rm -f kill.png
	"$bin" run kill.json -j 3 --chunk 2 -q -o kill.png 2>kill.err &
	pid=$!
	sleep "0.0$((RANDOM % 10))"
	victim=""
	for _ in $(seq 200); do
		set -- $(children $pid)
		if [ $# -gt 0 ]; then
			shift $((RANDOM % $#))
			victim=$1
			break
		fi
		running $pid || break
		sleep 0.005
	done
	[ -n "$victim" ] && kill -KILL "$victim" 2>/dev/null
	if ! timeout 60 tail --pid=$pid -f /dev/null; then
		bad "run $tries hung after a worker was killed"
		kill -KILL $pid
	fi
	wait $pid
	rc=$?
	if [ $rc -ne 0 ]; then
		bad "run $tries: exit $rc after worker $victim was killed: $(cat kill.err)"
		continue
	fi
	cmp -s kill.png kill-clean.png || bad "run $tries: output differs after worker $victim was killed"
	grep -q "recovered:" kill.err && landed=$((landed + 1))
done
[ $landed -ge "$kills" ] || bad "only $landed of $tries runs had a worker killed mid-run"
echo "  $landed runs with a worker SIGKILLed mid-run ($tries tries): every output identical"

# Waits (up to ~2 s) for the pids to be gone; prints the survivors.
survivors() {
	local left
	for _ in $(seq 40); do
		left=""
		for p in "$@"; do running "$p" && left="$left $p"; done
		[ -z "$left" ] && return
		sleep 0.05
	done
	echo "$left"
}

# Starts a long job in the background ($pid) and waits for its workers ($workers);
# $launch, if set, goes in front (setsid). A non-interactive shell starts background
# jobs with SIGINT ignored, and forkband leaves an ignored signal ignored (as nohup
# expects): give it the default back.
start_long() {	# extra args...
	${launch:-} env --default-signal=INT,HUP "$bin" run kill.json -j 3 --chunk 1 -q \
		--set params.max_iter=200000 "$@" 2>long.err &
	pid=$!
	workers=""
	for _ in $(seq 400); do
		workers=$(children $pid)
		[ -n "$workers" ] && break
		sleep 0.005
	done
	[ -n "$workers" ] || bad "the long job started no workers"
}

# ---- 4. the parent SIGKILLed ----
start_long -o orphan.png
kill -KILL $pid
wait $pid 2>/dev/null
left=$(survivors $workers)
[ -z "$left" ] || bad "the parent was SIGKILLed and workers$left survived"
compgen -G '.orphan.png.*' >/dev/null && bad "a temporary file was made while workers ran"

# ---- 5. interrupts ----
for sig in INT TERM HUP; do
	case $sig in INT) want=130 ;; TERM) want=143 ;; HUP) want=129 ;; esac
	echo "previous contents" >keep.png
	start_long -o keep.png
	sleep 0.2
	t0=$(date +%s%N)
	kill -$sig $pid
	wait $pid
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ $rc -eq $want ] || bad "SIG$sig: exit $rc, not $want"
	[ "$ms" -lt 1000 ] || bad "SIG$sig: took $ms ms to exit"
	left=$(survivors $workers)
	[ -z "$left" ] || bad "SIG$sig: workers$left survived"
	[ "$(cat keep.png)" = "previous contents" ] || bad "SIG$sig: the existing output was changed"
	ls -a | grep -q '^\.keep\.png\.' && bad "SIG$sig: a temporary file was left"
	grep -q "interrupted" long.err || bad "SIG$sig: no message: $(cat long.err)"
	echo "  SIG$sig: exit $rc in $ms ms, workers gone, keep.png untouched"
done
# Ctrl-C at a terminal signals the whole process group.
launch=setsid start_long -o grp.png
kill -INT -- -$pid
wait $pid
rc=$?
[ $rc -eq 130 ] || bad "SIGINT to the group: exit $rc, not 130 ($(cat long.err))"
left=$(survivors $workers)
[ -z "$left" ] || bad "SIGINT to the group: workers$left survived"
[ ! -e grp.png ] || bad "SIGINT to the group: an output was written"
# While the outputs are being written: a streamed job writes its PNG and .npy from its
# first strip on, into files that have no name until they are finished (O_TMPFILE), so
# a SIGTERM mid-stream leaves nothing, and the message says the partial output went.
echo "previous contents" >big.npy
start_long --set width=3000 --set height=3000 --set output.iterations=big.npy -o big.png \
	--memory 8M
sleep 0.3
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 143 ] || bad "SIGTERM mid-stream: exit $rc"
compgen -G '.big.*' >/dev/null && bad "SIGTERM mid-stream: a temporary file was left"
[ "$(cat big.npy)" = "previous contents" ] || bad "SIGTERM mid-stream: big.npy changed"
[ ! -e big.png ] || bad "SIGTERM mid-stream: big.png was written"
grep -q "partial output removed" long.err || bad "SIGTERM mid-stream: message: $(cat long.err)"
echo "  SIGTERM mid-stream: exit $rc, nothing left, big.npy untouched"
rm -f big.npy big.png

# ---- 6. a full disk ----
mkdir small
if mount -t tmpfs -o size=64k tmpfs small 2>/dev/null; then
	mnt=$dir/small
	"$bin" run kill.json -q --set params.max_iter=50 -o small/full.png 2>full.err
	rc=$?
	[ $rc -eq 1 ] || bad "ENOSPC: exit $rc, not 1"
	grep -q "small/full.png.*No space left on device" full.err || bad "ENOSPC: message: $(cat full.err)"
	[ "$(wc -l <full.err)" -eq 1 ] || bad "ENOSPC: more than one line: $(cat full.err)"
	[ -z "$(ls -A small)" ] || bad "ENOSPC: left behind: $(ls -A small)"
	echo "  $(cat full.err)"
	umount small && mnt=""
else
	echo "  SKIPPED the full-disk check: cannot mount a tmpfs here (needs root)"
fi

# ---- 7. the memory check ----
FORKBAND_TEST_MEMAVAILABLE=1000000 "$bin" run kill.json -q -o mem.png 2>mem.err
rc=$?
[ $rc -eq 2 ] || bad "memory check: exit $rc, not 2"
grep -Eq "^forkband: kill.json: job needs [0-9.]+ MiB of memory; 976.6 KiB is available \(--force runs it anyway\)$" mem.err ||
	bad "memory check: message: $(cat mem.err)"
[ ! -e mem.png ] || bad "memory check: an output was written"
FORKBAND_TEST_MEMAVAILABLE=1000000 "$bin" run kill.json -q --set params.max_iter=50 --force -o mem.png ||
	bad "--force did not run the job"
echo "  $(cat mem.err)"

[ $fail -eq 0 ] && echo "recovery: all checks passed"
exit $fail

#!/usr/bin/env bash
# files.sh: no file lost or clobbered by surprise, and an exit status that tells the
# truth about the files (docs/reliability.md, "Files"). What a config check refuses is
# in config_errors.sh; this script covers what needs a run: modes kept, the windows
# after mkstemp() and after a rename made deterministic with FORKBAND_FAULT, scale's
# own outputs, --timeout over loading and FIFOs, an input's size checked from its
# header, validation linear in the batch, chance deaths over many steps, and a SIGTERM
# ignored at start staying ignored in the workers.
# usage: files.sh FORKBAND
set -u
bin=$(realpath "$1")
. "$(dirname "$0")/lib.sh"
trap 'chmod -R u+rwx "$dir" 2>/dev/null; rm -rf "$dir"' EXIT	# read-only folders too
cd "$dir" || exit 2
small=(--set width=24 --set height=16 -q)
# No temporary file (.NAME.XXXXXX) may be left in the folder.
no_temp() { ! compgen -G '.*.??????' >/dev/null; }
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ]; }

# ---- replacing a file keeps its mode ----
for mode in 600 640 604; do
	printf old >m$mode.png
	chmod $mode m$mode.png
	if "$bin" run "${small[@]}" -o m$mode.png && is_png m$mode.png &&
		[ "$(stat -c %a m$mode.png)" = $mode ]; then ok "a $mode file stays $mode when replaced"
	else bad "a $mode file became $(stat -c %a m$mode.png) when replaced"; fi
done
(umask 027 && "$bin" run "${small[@]}" -o fresh.png)
[ "$(stat -c %a fresh.png)" = 640 ] && ok "a new file follows the umask (027: 640)" ||
	bad "a new file under umask 027 is $(stat -c %a fresh.png)"
printf old >ro.png
chmod 444 ro.png
"$bin" run "${small[@]}" -o ro.png 2>ro.err
rc=$?
[ $rc = 2 ] && [ "$(cat ro.png)" = old ] && grep -q "read-only" ro.err &&
	ok "a read-only output is refused" || bad "read-only output: exit $rc, $(cat ro.err)"
if "$bin" run "${small[@]}" -o ro.png --force && is_png ro.png && [ "$(stat -c %a ro.png)" = 444 ]; then
	ok "--force replaces a read-only file and keeps it read-only"
else bad "--force on a read-only file: mode $(stat -c %a ro.png)"; fi

# ---- the exit status tells the truth about the files ----
# A signal right after the rename: the file is in place, the run did what it was asked.
for sig in TERM INT HUP; do
	rm -f late.png
	FORKBAND_FAULT=signal:at=after-rename,sig=$sig "$bin" run "${small[@]}" -o late.png 2>late.err
	rc=$?
	if [ $rc = 0 ] && is_png late.png && no_temp; then ok "SIG$sig after the rename: exit 0, file in place"
	else bad "SIG$sig after the rename: exit $rc, $(cat late.err)"; fi
done
# In a batch it lands after the job's output step: the first job's files are in place,
# the second job never ran, and the message says so.
cat >two.json <<'EOF'
{ "defaults": { "kernel": "mandelbrot", "width": 24, "height": 16 },
  "jobs": [ { "output": { "png": "j1.png" } }, { "output": { "png": "j2.png" } } ] }
EOF
FORKBAND_FAULT=signal:at=after-rename "$bin" run two.json -q 2>two.err
rc=$?
if [ $rc = 143 ] && is_png j1.png && [ ! -e j2.png ] && no_temp &&
	grep -q "the outputs of 1 of 2 jobs are in place" two.err; then
	ok "SIGTERM between two jobs: 143, the first job's files in place and said so"
else bad "SIGTERM between two jobs: exit $rc, $(cat two.err); $(ls)"; fi
# Right after mkstemp(): the temporary file is recorded before the signal lands.
for sig in TERM INT; do
	printf precious >keep.png
	FORKBAND_FAULT=signal:at=after-mkstemp,sig=$sig "$bin" run "${small[@]}" -o keep.png 2>mk.err
	rc=$?
	want=$((128 + $(kill -l $sig)))
	if [ $rc = $want ] && [ "$(cat keep.png)" = precious ] && no_temp &&
		grep -q "partial output removed" mk.err; then
		ok "SIG$sig after mkstemp: $want, no temporary file, the old file intact"
	else bad "SIG$sig after mkstemp: exit $rc, $(cat mk.err); $(ls -a)"; fi
done

# ---- scale's own outputs are checked like every other ----
printf '{ "kernel": "mandelbrot", "width": 24, "height": 16 }\n' >s.json
scale_refused() {
	local what=$1 want=$2
	shift 2
	"$bin" scale s.json --workers 1 --repeat 1 --warmup 0 -q "$@" >scale.out 2>scale.err
	local rc=$?
	if [ $rc = 2 ] && grep -qF -- "$want" scale.err && [ "$(cat s.json | head -c 1)" = "{" ]; then
		ok "scale: $what refused"
	else bad "scale: $what: exit $rc, $(cat scale.err)"; fi
}
scale_refused "--csv, --json and --plot on one file" "--json: 'same.svg' is also written by --csv" \
	--csv same.svg --json same.svg --plot same.svg
[ ! -e same.svg ] || bad "scale wrote same.svg though it refused"
ln -s a.csv l.svg
scale_refused "--plot through a link to --csv" "--plot: 'l.svg' is also written by --csv ('a.csv')" \
	--csv a.csv --plot l.svg
scale_refused "--json over the config" "--json: 's.json' would replace the config file" --json s.json
# --keep-outputs names every run's files: each is checked like --csv.
printf '{ "kernel": "mandelbrot", "width": 24, "height": 16, "output": { "png": "k.png" } }\n' >k.json
printf old >k.dynamic-j1-w1.png
chmod 444 k.dynamic-j1-w1.png
"$bin" scale k.json --workers 1 --repeat 1 --warmup 1 -q --keep-outputs >scale.out 2>scale.err
rc=$?
[ $rc = 2 ] && [ "$(cat k.dynamic-j1-w1.png)" = old ] &&
	grep -q -- "--keep-outputs: 'k.dynamic-j1-w1.png' is read-only" scale.err &&
	ok "scale --keep-outputs: a read-only kept name is refused" ||
	bad "scale --keep-outputs over a read-only file: exit $rc, $(cat scale.err)"
"$bin" scale k.json --workers 1 --repeat 1 --warmup 0 -q --keep-outputs --csv k.dynamic-j1-r1.png \
	>scale.out 2>scale.err
rc=$?
[ $rc = 2 ] && grep -q -- "'k.dynamic-j1-r1.png' is also written by" scale.err &&
	ok "scale --keep-outputs: a kept name against --csv is refused" ||
	bad "scale --keep-outputs against --csv: exit $rc, $(cat scale.err)"

# The other signals whose default would end the run (QUIT, USR1, USR2, ALRM without
# --timeout, PIPE) clean up as an interrupt does.
for sig in QUIT USR1 USR2 ALRM PIPE; do
	printf precious >keep.png
	FORKBAND_FAULT=signal:at=after-mkstemp,sig=$sig "$bin" run "${small[@]}" -o keep.png 2>mk.err
	rc=$?
	want=$((128 + $(kill -l $sig)))
	if [ $rc = $want ] && [ "$(cat keep.png)" = precious ] && no_temp; then
		ok "SIG$sig after mkstemp: $want, no temporary file, the old file intact"
	else bad "SIG$sig after mkstemp: exit $rc, $(cat mk.err); $(ls -a)"; fi
done

# scale --keep-outputs renames many runs' outputs: an interrupt between them still lands.
printf '{ "kernel": "mandelbrot", "width": 800, "height": 600, "params": { "max_iter": 2000 },
  "output": { "png": "ks.png" } }\n' >ks.json
set -m
"$bin" scale ks.json --workers 1 --repeat 40 --warmup 0 -q --keep-outputs >/dev/null 2>ks.err &
pid=$!
set +m
for _ in $(seq 200); do
	compgen -G 'ks.dynamic-j1-r2.png' >/dev/null && break
	sleep 0.05
done
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] && no_temp && ok "scale --keep-outputs: SIGINT between runs stops the study (130)" ||
	bad "scale --keep-outputs interrupted: exit $rc, $(cat ks.err)"

# A config reached through 20 symbolic links (the kernel follows 40) is read and run.
printf '{ "kernel": "mandelbrot", "width": 8, "height": 8 }\n' >l0
for i in $(seq 1 20); do ln -s l$((i - 1)) l$i; done
"$bin" run l20 -q -o chain.png 2>chain.err && is_png chain.png && ok "a config behind 20 links runs" ||
	bad "a config behind 20 links: $(cat chain.err)"

# ---- --timeout covers the whole run ----
mkfifo cfg.fifo
start=$(date +%s%N)
timeout 30 "$bin" run cfg.fifo --timeout 0.5 -q 2>fifo.err
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
if [ $rc = 1 ] && grep -q "took longer than --timeout 0.5 s" fifo.err; then
	ok "a config FIFO nobody writes: --timeout 0.5 stops the run (exit 1, $ms ms)"
else bad "a config FIFO under --timeout: exit $rc after $ms ms, $(cat fifo.err)"; fi
# A stored job whose config chunk holds a NUL byte (which would hide what follows it).
"$bin" run "${small[@]}" -o stored.png
python3 - <<'EOF'
import struct, zlib
d = open('stored.png', 'rb').read(); out = d[:8]; i = 8
while i < len(d):
    n = struct.unpack('>I', d[i:i + 4])[0]; t = d[i + 4:i + 8]; b = d[i + 8:i + 8 + n]; i += 12 + n
    if t == b'tEXt' and b.startswith(b'forkband:config\0'):
        b = b'forkband:config\0{"kernel":"mandelbrot","width":8,"height":8}\0{"x":1}'
    out += struct.pack('>I', len(b)) + t + b + struct.pack('>I', zlib.crc32(t + b) & 0xffffffff)
open('nul.png', 'wb').write(out)
EOF
"$bin" run nul.png -q -o from-nul.png 2>nul.err
rc=$?
[ $rc = 2 ] && grep -q "nul.png: the forkband:config text chunk holds a NUL byte" nul.err &&
	[ ! -e from-nul.png ] && ok "a stored config with a NUL byte is refused" ||
	bad "stored config with a NUL: exit $rc, $(cat nul.err)"
# A stored job whose input is a FIFO is refused, not opened.
"$bin" run "${small[@]}" -o src.png
printf '{"kernel":"filter","input":"src.png","params":{"ops":[{"op":"gray"}]}}' >f.json
"$bin" run f.json -q -o filt.png
mv src.png src.real && mkfifo src.png
timeout 30 "$bin" run filt.png -o again.png --timeout 5 2>in.err
rc=$?
if [ $rc = 2 ] && grep -q "'src.png' is not a regular file" in.err; then
	ok "a stored job whose input is now a FIFO: refused at once"
else bad "stored job with a FIFO input: exit $rc, $(cat in.err)"; fi
rm -f src.png && mv src.real src.png
# A job that needs longer than --timeout fails and writes nothing, however close.
printf precious >slow.png
"$bin" run --set width=1200 --set height=900 --set params.max_iter=100000 -j 1 -q \
	--timeout 0.3 -o slow.png 2>slow.err
rc=$?
if [ $rc = 1 ] && [ "$(cat slow.png)" = precious ] && no_temp; then
	ok "a run longer than --timeout 0.3: exit 1, the old file intact"
else bad "a run longer than --timeout: exit $rc, $(cat slow.err)"; fi

# ---- an input's size is checked from its header, before it is decoded ----
# A 20000x20000 RGB PNG whose pixel data is cut short: decoding it would fail (or take
# gigabytes); the memory check must refuse it first, from IHDR alone.
python3 - <<'EOF'
import struct, zlib
def chunk(t, d):
    return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
idat = zlib.compress(b'\0' * 1000)
open('huge.png', 'wb').write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', idat) + chunk(b'IEND', b''))
EOF
printf '{"kernel":"filter","input":"huge.png","params":{"ops":[{"op":"gray"}]}}' >huge.json
# The filter streams its input: a 20000x20000 claim fits its strips, and the cut data is
# found as the rows are read: bad input (exit 2), one line naming the field, no file.
for force in "" --force; do
	FORKBAND_TEST_MEMAVAILABLE=2000000000 "$bin" run huge.json -o h.png $force 2>huge.err
	rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <huge.err)" = 1 ] && [ ! -e h.png ] &&
		grep -q "^forkband: huge.json: input: huge.png: Not enough image data" huge.err; then
		ok "an input whose data is cut short is bad input, found as it streams ${force:-}"
	else
		bad "huge input ${force:-}: exit $rc, $(cat huge.err)"
	fi
done

# ---- environment variables are parsed strictly ----
for v in FORKBAND_TEST_MEMAVAILABLE=1e9 FORKBAND_TEST_MEMAVAILABLE=-1 FORKBAND_TEST_ISA_MAX=avx9 \
	FORKBAND_FAULT=crash:chunk=99999999999999999999 FORKBAND_FAULT=crash:chunk=1,chunk=2 \
	FORKBAND_FAULT=crash:chunk=1, FORKBAND_FAULT=crash:,chunk=1 FORKBAND_FAULT=crash:chunk=1,code=4 \
	FORKBAND_FAULT=signal:at=after-rename,sig=SEGV FORKBAND_FAULT=signal:at=after-rename,chunk=1; do
	env "$v" "$bin" run -q -o env.png 2>env.err
	rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <env.err)" = 1 ] && grep -q "^forkband: ${v%%=*}: expected" env.err &&
		[ ! -e env.png ]; then ok "$v refused"
	else bad "$v: exit $rc, $(cat env.err)"; fi
done

# ---- validation is linear in the batch ----
# System calls made to validate a batch of N jobs and of 10 N, stopped before anything
# runs (FORKBAND_TEST_MEMAVAILABLE=1 fails the memory check that follows validation):
# linear work makes about 10 times as many; the pairwise check of old made 50 times.
if command -v strace >/dev/null; then
	mkdir out
	count() {
		python3 -c "import json,sys; n=int(sys.argv[1]); print(json.dumps({'defaults': {'kernel': 'mandelbrot', 'width': 4, 'height': 4}, 'jobs': [{'output': {'png': 'out/%d.png' % i}} for i in range(n)]}))" "$1" >batch$1.json
		FORKBAND_TEST_MEMAVAILABLE=1 strace -f -c -o calls$1.txt "$bin" run batch$1.json 2>/dev/null
		awk '$NF == "total" { print $4 }' calls$1.txt	# % seconds usecs/call calls
	}
	c1=$(count 1000)
	c10=$(count 10000)
	if [ -n "$c1" ] && [ -n "$c10" ] && [ $((c10 * 10)) -le $((c1 * 115)) ]; then
		ok "validating 10,000 jobs takes $c10 system calls, 1,000 jobs $c1: linear"
	else bad "validation not linear: 1,000 jobs $c1 system calls, 10,000 jobs $c10"; fi
	[ -z "$(ls out)" ] || bad "validation alone wrote files"
else
	echo "skip: validation linearity (no strace)"
fi

# ---- chance deaths spread over many steps never fail a stencil ----
cat >heat.json <<'EOF'
{ "kernel": "heat", "width": 48, "height": 32,
  "params": { "steps": 240, "sources": [ { "x": 10, "y": 10, "radius": 4, "value": 1 } ] } }
EOF
"$bin" run heat.json -q -j 2 --schedule static -o heat-ref.png
FORKBAND_FAULT=crash:worker=0,every=20,times=10,sig=KILL \
	"$bin" run heat.json -j 2 --schedule static -o heat-killed.png 2>heat.err
rc=$?
deaths=$(grep -c "recovered: worker 0" heat.err)
if [ $rc = 0 ] && [ "$deaths" -ge 8 ] && cmp -s heat-ref.png heat-killed.png; then
	ok "heat with worker 0 killed in $deaths different steps: identical output"
else bad "heat with deaths over many steps: exit $rc, $deaths deaths, $(tail -2 heat.err)"; fi
# The same rows dying three times in the same step still fail the pass.
FORKBAND_FAULT=crash:worker=0,times=0,sig=KILL timeout 60 "$bin" run heat.json -j 2 -q \
	--schedule static -o heat-fail.png 2>heat.err
rc=$?
[ $rc = 1 ] && grep -q "killed their worker 3 times" heat.err && [ ! -e heat-fail.png ] &&
	ok "the same rows dying three times in one step fail the run" ||
	bad "deterministic deaths: exit $rc, $(tail -1 heat.err)"

# ---- a SIGTERM ignored at start stays ignored in the workers ----
set -m
(trap '' TERM && exec "$bin" run --set width=1600 --set height=1200 --set params.max_iter=2000 \
	-j 2 -o term.png) 2>term.err &
pid=$!
set +m
for _ in $(seq 100); do
	[ "$(pgrep -c -P $pid)" -ge 2 ] && break
	sleep 0.05
done
kill -TERM -- -$pid 2>/dev/null
wait $pid
rc=$?
if [ $rc = 0 ] && is_png term.png && ! grep -q "recovered" term.err; then
	ok "SIGTERM to the group of a run started with it ignored: no worker died"
else bad "SIGTERM ignored at start: exit $rc, $(cat term.err)"; fi

exit $fail

#!/usr/bin/env bash
# cli.sh: the command line as a user meets it: help, version, the default job, batches,
# reproducing a PNG from its own tEXt chunk, outputs left alone on errors, the progress
# bar on a terminal, and docs/config.md agreeing with the parameter tables.
# usage: cli.sh FORKBAND SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
. "$(dirname "$0")/lib.sh"

expect 0 "--help" -- "$bin" --help
grep -q "usage: forkband" "$dir/stdout" || bad "--help does not print usage"
expect 0 "run --help" -- "$bin" run --help
grep -q -- "--schedule" "$dir/stdout" || bad "run --help does not list --schedule"
expect 0 "--version" -- "$bin" --version
grep -q "^lock: " "$dir/stdout" || bad "--version does not name the lock variant"
grep -q "^compiler: " "$dir/stdout" || bad "--version does not name the compiler"
grep -q "^isa: [a-z0-9]* (auto" "$dir/stdout" || bad "--version does not name the instruction set"

# --isa: a name that is not an instruction set is a usage error of one line; every set
# this CPU runs writes the same bytes (exact arithmetic is bit-identical on each).
for cmd in run scale; do
	expect 2 "$cmd --isa bogus" -- "$bin" $cmd -q --isa bogus
	[ "$(wc -l <"$dir/stderr")" = 1 ] && grep -q -- "--isa: expected scalar, sse2, avx2, avx512 or auto, got 'bogus'" "$dir/stderr" ||
		bad "$cmd --isa bogus: not one line naming --isa: $(cat "$dir/stderr")"
done
# A CPU without AVX2 (FORKBAND_TEST_ISA_MAX, tests only): --isa avx2 is refused in one
# line naming what the CPU has, and auto falls back to a loop that writes the same bytes.
FORKBAND_TEST_ISA_MAX=sse2 expect 2 "--isa avx2 on a CPU without it" -- "$bin" run -q --isa avx2
[ "$(wc -l <"$dir/stderr")" = 1 ] && grep -q -- "--isa: this CPU cannot run avx2 (it has scalar, sse2)" "$dir/stderr" ||
	bad "--isa avx2 without AVX2: $(cat "$dir/stderr")"
FORKBAND_TEST_ISA_MAX=avx2 expect 2 "--isa avx512 on a CPU without it" -- "$bin" run -q --isa avx512
grep -q -- "--isa: this CPU cannot run avx512 (it has scalar, sse2" "$dir/stderr" ||
	bad "--isa avx512 without AVX-512: $(cat "$dir/stderr")"
FORKBAND_TEST_ISA_MAX=scalar "$bin" --version | grep -q "^isa: scalar (auto" ||
	bad "--version on a scalar-only CPU does not say auto picks scalar"
isa_job=(--set width=61 --set height=37 --set params.max_iter=300)
FORKBAND_TEST_ISA_MAX=scalar "$bin" run -q "${isa_job[@]}" -o "$dir/isa-limited.png" ||
	bad "run on a scalar-only CPU failed"
"$bin" run -q "${isa_job[@]}" --isa scalar -o "$dir/isa-scalar.png" || bad "run --isa scalar failed"
for isa in sse2 avx2 avx512 auto; do
	if ! "$bin" run -q "${isa_job[@]}" --isa $isa -o "$dir/isa-$isa.png" 2>"$dir/stderr"; then
		grep -q "this CPU cannot run $isa" "$dir/stderr" && echo "note: --isa $isa skipped: $(cat "$dir/stderr")" ||
			bad "run --isa $isa failed: $(cat "$dir/stderr")"
	elif cmp -s "$dir/isa-scalar.png" "$dir/isa-$isa.png"; then ok "--isa $isa writes scalar's bytes"
	else bad "--isa $isa writes other bytes than --isa scalar"; fi
done
cmp -s "$dir/isa-scalar.png" "$dir/isa-limited.png" ||
	bad "auto on a scalar-only CPU writes other bytes than --isa scalar"
expect 2 "no command" -- "$bin"
expect 2 "unknown command" -- "$bin" bogus
expect 0 "kernels" -- "$bin" kernels
grep -q "max_iter" "$dir/stdout" || bad "kernels does not list max_iter"

# docs/config.md embeds `forkband kernels --markdown` between two markers.
"$bin" kernels --markdown >"$dir/kernels.md"
sed -n '/<!-- kernels:begin -->/,/<!-- kernels:end -->/p' "$src/docs/config.md" |
	sed '1d;$d' >"$dir/doc-kernels.md"
if diff -u "$dir/doc-kernels.md" "$dir/kernels.md" >"$dir/diff"; then
	ok "docs/config.md matches the parameter tables"
else
	bad "docs/config.md is out of date (regenerate with forkband kernels --markdown):"
	head -20 "$dir/diff"
fi

# The default job is configs/mandelbrot.json, built in: same bytes either way.
mkdir "$dir/default" "$dir/file"
(cd "$dir/default" && "$bin" run -q) || bad "default run failed"
(cd "$dir/file" && "$bin" run -q "$src/configs/mandelbrot.json") || bad "config run failed"
if cmp -s "$dir/default/mandelbrot.png" "$dir/file/mandelbrot.png"; then
	ok "built-in default job equals configs/mandelbrot.json"
else
	bad "built-in default differs from configs/mandelbrot.json"
fi
if ls -A "$dir/default" | grep -q '^\.'; then bad "temporary file left behind"; fi

# A PNG carries its job: running the PNG reproduces it byte for byte.
"$bin" run -q "$dir/default/mandelbrot.png" -o "$dir/again.png" -j 3 --schedule guided ||
	bad "run on a PNG failed"
cmp -s "$dir/default/mandelbrot.png" "$dir/again.png" && ok "PNG reproduces itself from its tEXt chunk" ||
	bad "PNG rerun from its tEXt chunk differs"

# The image in the README is what the current code renders from its own tEXt chunk.
"$bin" run -q "$src/docs/mandelbrot.png" -o "$dir/doc.png" || bad "rerun of docs/mandelbrot.png failed"
cmp -s "$src/docs/mandelbrot.png" "$dir/doc.png" && ok "docs/mandelbrot.png is up to date" ||
	bad "docs/mandelbrot.png differs from a rerun: regenerate it with forkband run docs/mandelbrot.png -o docs/mandelbrot.png"

# A config can come through a pipe.
echo '{"kernel": "mandelbrot", "width": 16, "height": 8}' |
	"$bin" run -q /dev/stdin -o "$dir/pipe.png" && [ -s "$dir/pipe.png" ] && ok "config from a pipe" ||
	bad "config from a pipe failed"

# SIGTERM mid-run: exit 143, nothing written, no temporary file, no process left.
mkdir "$dir/term"
(cd "$dir/term" && exec "$bin" run -q --set width=3000 --set height=3000 \
	--set params.max_iter=10000 -o t.png) &
pid=$!
sleep 0.5
kill -TERM "$pid"
wait "$pid"
rc=$?
sleep 0.2
[ "$rc" = 143 ] && ok "SIGTERM exits 143" || bad "SIGTERM: exit $rc"
[ -z "$(ls -A "$dir/term")" ] && ok "SIGTERM leaves no file" || bad "SIGTERM left: $(ls -A "$dir/term")"
pgrep -f "width=3000 --set height=3000" >/dev/null && bad "workers survived SIGTERM" ||
	ok "no worker survives SIGTERM"

# Summary on stderr when it is not a terminal; -q silences it.
small=(--set width=64 --set height=36)
"$bin" run "${small[@]}" -o "$dir/s.png" 2>"$dir/stderr" >/dev/null
grep -q "^wrote $dir/s.png: 64x36 mandelbrot" "$dir/stderr" && ok "summary line" ||
	bad "no summary line: $(cat "$dir/stderr")"
# The summary breaks between items to fit 100 columns; nothing else is printed.
awk 'length($0) > 100 { exit 1 }' "$dir/stderr" || bad "a summary line longer than 100 columns"
[ "$(grep -vc '^wrote \|^  ' "$dir/stderr")" = 0 ] || bad "more than the summary on a non-terminal"
"$bin" run -q "${small[@]}" -o "$dir/s.png" 2>"$dir/stderr"
[ -s "$dir/stderr" ] && bad "-q still printed: $(cat "$dir/stderr")" || ok "-q is quiet"

# On a terminal, a progress bar (drawn with \r) precedes the summary.
if command -v script >/dev/null; then
	script -qec "'$bin' run '${small[0]}' '${small[1]}' '${small[2]}' '${small[3]}' -o '$dir/t.png'" \
		/dev/null >"$dir/tty" 2>&1 </dev/null	# script needs a stdin, even an empty one
	if grep -q "rows/s" "$dir/tty" && grep -q "ETA" "$dir/tty"; then ok "progress bar on a terminal"; else
		bad "no progress bar on a terminal: $(head -c 300 "$dir/tty")"; fi
else
	echo "skip: no 'script' command to give forkband a terminal"
fi

# A batch runs every job; the whole-run report lists them all.
mkdir "$dir/batch"
(cd "$dir/batch" && "$bin" run -q "$src/configs/batch.json" --set width=96 --set height=54 \
	--report "$dir/batch/all.json") || bad "batch run failed"
n=$(ls "$dir/batch"/*.png 2>/dev/null | wc -l)
[ "$n" = 3 ] && ok "batch wrote 3 PNGs" || bad "batch wrote $n PNGs, expected 3"
[ "$(grep -c '"kernel":' "$dir/batch/all.json")" = 3 ] && ok "report lists 3 jobs" ||
	bad "report does not list 3 jobs"

# Filters read a PNG; a broken one is a config error that names the file.
filter_job() {	# filter_job INPUT OPS-JSON [EXTRA-JSON]: a filter config in $dir/filter.json
	printf '{"kernel": "filter", "input": "%s", "params": {"ops": %s}%s}\n' "$1" "$2" "${3:-}" \
		>"$dir/filter.json"
}
printf '' >"$dir/empty.png"
printf '\377\330\377\340 not a png' >"$dir/photo.png"
for bad in empty.png photo.png missing.png; do
	filter_job "$dir/$bad" '[{"op": "invert"}]'
	expect 2 "filter input $bad" -- "$bin" run -q "$dir/filter.json" -o "$dir/f.png"
	grep -q "input: .*$bad" "$dir/stderr" || bad "message for $bad: $(cat "$dir/stderr")"
	[ -e "$dir/f.png" ] && bad "a filter of $bad wrote output"
done
"$bin" run -q --set width=40 --set height=30 -o "$dir/in.png"
filter_job "$dir/in.png" '[{"op": "invert"}]' ', "width": 5'
expect 2 "filter with a width" -- "$bin" run -q "$dir/filter.json" -o "$dir/f.png"
grep -q "width: the input image sets the size" "$dir/stderr" || bad "width message: $(cat "$dir/stderr")"
filter_job "$dir/in.png" '[{"op": "gaussian", "sigma": 2}, {"op": "gray"}]'
expect 0 "filter of a forkband PNG" -- "$bin" run -q "$dir/filter.json" -o "$dir/f.png" \
	--report "$dir/f.json"
[ "$(tr -d ' \t\n' <"$dir/f.json" | grep -o '"luma_histogram":\[[0-9,]*\]' | tr ',' '\n' | wc -l)" = 256 ] &&
	ok "the filter's report holds a 256-bin luma histogram" || bad "no luma histogram in the report"
"$bin" run -q "$dir/f.png" -o "$dir/f2.png" && cmp -s "$dir/f.png" "$dir/f2.png" &&
	ok "a filtered PNG reruns its job byte for byte" || bad "filtered PNG rerun differs"
# A batch cannot chain filters: inputs are read before any job runs.
cp "$dir/in.png" "$dir/c1.png"
printf '{"defaults": {"kernel": "filter", "params": {"ops": [{"op": "invert"}]}}, "jobs": [
 {"input": "%s", "output": {"png": "%s"}}, {"input": "%s", "output": {"png": "%s"}}]}\n' \
	"$dir/in.png" "$dir/c1.png" "$dir/c1.png" "$dir/c2.png" >"$dir/chain.json"
expect 2 "a batch whose job reads another's output" -- "$bin" run -q "$dir/chain.json"
grep -q "jobs\[1\].input: .* is written by jobs\[0\].output.png" "$dir/stderr" ||
	bad "chain message: $(cat "$dir/stderr")"

# Filming heat: a frame every K steps, the same bytes at any -j, and the final image
# the same as an unfilmed run's.
heat='{"kernel": "heat", "width": 40, "height": 24, "params": {"steps": 90, "sources": [{"x": 10, "y": 12, "radius": 3, "value": 9}]}}'
echo "$heat" >"$dir/heat.json"
mkdir "$dir/f1" "$dir/f3"
"$bin" run -q "$dir/heat.json" -j 1 -o "$dir/h1.png" --set "output.frames={\"every\": 40, \"png\": \"$dir/f1/h_%03d.png\"}" &&
	"$bin" run -q "$dir/heat.json" -j 3 --schedule static -o "$dir/h3.png" \
		--set "output.frames={\"every\": 40, \"png\": \"$dir/f3/h_%03d.png\"}" &&
	"$bin" run -q "$dir/heat.json" -o "$dir/h0.png" || bad "filmed heat runs failed"
[ "$(ls "$dir/f1" | tr '\n' ' ')" = "h_040.png h_080.png h_090.png " ] && ok "frames at steps 40, 80, 90" ||
	bad "frames: $(ls "$dir/f1" | tr '\n' ' ')"
for f in "$dir"/f1/*; do cmp -s "$f" "$dir/f3/$(basename "$f")" || bad "frame $(basename "$f") differs at -j 3"; done
cmp -s "$dir/h1.png" "$dir/h0.png" && cmp -s "$dir/h1.png" "$dir/h3.png" &&
	ok "filming does not change the final image" || bad "filmed final image differs"

# A config error leaves an existing output as it was.
echo "precious" >"$dir/keep.png"
expect 2 "bad config with an existing output" -- "$bin" run -q --set params.max_iter=0 -o "$dir/keep.png"
[ "$(cat "$dir/keep.png")" = precious ] && ok "existing output untouched" || bad "existing output was changed"

# Control characters from the command line or the environment never reach the terminal
# raw: every message is one line with them escaped (\x1b, \n), whatever quotes them.
esc=$'\x1b[2J' nl=$'a\nb'
raw_ctl() { LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n' <"$dir/stderr"); }
check_escaped() {
	local what=$1 lines=${2:-1}
	if [ "$(wc -l <"$dir/stderr")" != "$lines" ] || raw_ctl || ! grep -qF -e '\x1b' -e '\n' "$dir/stderr"; then
		bad "$what: not $lines line(s) with escapes: $(od -c "$dir/stderr" | head -3)"
	else ok "$what: one escaped line"; fi
}
printf '{"kernel": "mandelbrot", "width": 4, "height": 4}\n' >"$dir/c${esc}.json"
(cd "$dir" && "$bin" run "c${esc}.json" >"$dir/stdout" 2>"$dir/stderr")
check_escaped "summary of a config whose name holds ESC" 3	# time; run and totals; -o hint
expect 2 "config name with ESC" -- "$bin" run "${esc}clear.json"
check_escaped "config name with ESC"
expect 2 "config name with a newline" -- "$bin" run "$nl.json"
check_escaped "config name with a newline"
expect 2 "command with ESC" -- "$bin" "$esc"
check_escaped "command with ESC"
expect 2 "unknown option with ESC" -- "$bin" run "--$esc"
check_escaped "unknown option with ESC"
expect 2 "--set with a newline" -- "$bin" run --set "$nl=1"
check_escaped "--set with a newline"
expect 2 "--isa with ESC" -- "$bin" run --isa "$esc"
check_escaped "--isa with ESC"
expect 2 "--timeout with a newline" -- "$bin" run --timeout "1$nl"
check_escaped "--timeout with a newline"
expect 2 "scale --workers with ESC" -- "$bin" scale --workers "$esc"
check_escaped "scale --workers with ESC"
expect 2 "kernels with ESC" -- "$bin" kernels "$esc"
check_escaped "kernels with ESC"
FORKBAND_FAULT="$esc" expect 2 "FORKBAND_FAULT with ESC" -- "$bin" run -q
check_escaped "FORKBAND_FAULT with ESC"
# A byte that is not UTF-8 (0x9b is CSI on some terminals) is escaped; UTF-8 is not.
expect 2 "config name with a raw 0x9b and UTF-8" -- "$bin" run $'a\x9b\xc3\xa9.json'
grep -qF "'a\x9b"$'\xc3\xa9'".json'" "$dir/stderr" && ok "0x9b escaped, UTF-8 kept" ||
	bad "0x9b and UTF-8 in a name: $(od -c "$dir/stderr" | head -3)"

exit $fail

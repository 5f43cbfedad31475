#!/usr/bin/env bash
# scale.sh: `forkband scale` end to end: a tiny study's CSV, JSON, Markdown and SVG; an
# output on stdout; weak scaling; kept outputs; the output check failing on a (forced)
# mismatch; bad arguments. usage: scale.sh FORKBAND JSON_COUNT
set -u
bin=$(realpath "$1")
json_count=$(realpath "$2")
. "$(dirname "$0")/lib.sh"
small=(--set width=96 --set height=54 --set params.max_iter=200 -q)

# A tiny strong-scaling study of two schedules.
if "$bin" scale "${small[@]}" --workers 1,2 --repeat 2 --schedule static,dynamic \
	--csv "$dir/s.csv" --json "$dir/s.json" --markdown "$dir/s.md" --plot "$dir/s.svg" \
	>"$dir/out" 2>"$dir/err"; then
	ok "tiny study ran"
else
	bad "tiny study failed: $(cat "$dir/err")"
fi
header="schedule,workers,run,height,wall_s,setup_s,compute_s,colour_s,write_s,imbalance,zscore,outlier,raw_crc32,png_crc32,ranks,rank_imbalance"
[ "$(head -1 "$dir/s.csv")" = "$header" ] && ok "CSV columns" || bad "CSV header: $(head -1 "$dir/s.csv")"
rows=$(($(wc -l <"$dir/s.csv") - 1))
[ "$rows" = 8 ] && ok "CSV has 8 runs (2 schedules x 2 counts x 2)" || bad "CSV has $rows rows"
# Every run of the study produced the same raw grid and PNG.
[ "$(tail -n +2 "$dir/s.csv" | cut -d, -f13,14 | sort -u | wc -l)" = 1 ] &&
	ok "one output hash across all runs" || bad "hashes differ in the CSV"
counts=$("$json_count" "$dir/s.json" runs points) && ok "JSON parses" || bad "JSON does not parse"
echo "$counts" | grep -qx "runs=8" && echo "$counts" | grep -qx "points=4" &&
	ok "JSON holds 8 runs and 4 points" || bad "JSON counts: $counts"
if command -v xmllint >/dev/null; then
	xmllint --noout "$dir/s.svg" && ok "SVG is well-formed XML" || bad "SVG is not well-formed"
	grep -q "<svg" "$dir/s.svg" && grep -q "static" "$dir/s.svg" && grep -q "dynamic" "$dir/s.svg" &&
		ok "SVG names both series" || bad "SVG lacks a series"
else
	bad "xmllint is missing (scripts/deps installs libxml2-utils)"
fi
grep -q "^static  *1 " "$dir/out" && grep -q "^dynamic  *2 " "$dir/out" && ok "table on stdout" ||
	bad "table: $(cat "$dir/out")"
# The Markdown table: a header, the separator (as many cells, numbers right-aligned),
# and one row per point with as many cells, in the order studied (an oversubscribed
# count is marked 2*, on a machine of one CPU, and explained below the table).
grep '^|' "$dir/s.md" >"$dir/table.md"
md_cells() { awk -F'|' '{ print NF }' "$dir/table.md" | sort -u | tr '\n' ' '; }
head -1 "$dir/s.md" | grep -q '^| Schedule | Workers | Wall median ± MAD \[[m]*s\] | Min' &&
	ok "Markdown header" || bad "Markdown header: $(head -1 "$dir/s.md")"
sed -n 2p "$dir/s.md" | grep -Eq '^\|:---(\|---:)+\|$' && ok "Markdown separator" ||
	bad "Markdown separator: $(sed -n 2p "$dir/s.md")"
[ "$(tail -n +3 "$dir/table.md" | cut -d'|' -f2,3 | tr -d ' *' | tr '\n' ' ')" = \
	"static|1 static|2 dynamic|1 dynamic|2 " ] && ok "Markdown has a row per point" ||
	bad "Markdown rows: $(tail -n +3 "$dir/s.md")"
[ "$(md_cells)" = "12 " ] && ok "every Markdown row has the header's cells" ||
	bad "Markdown cell counts: $(md_cells)"
tail -n +3 "$dir/table.md" | grep -Evq '^\| [a-z]+ \| [0-9]+\*? \| [0-9.]+ ± [0-9.]+ \| [0-9.]+ \| [0-9.]+ \| [0-9.]+ ± [0-9.]+ \|( [0-9.]+ \|){4}$' &&
	bad "a Markdown row is not figures: $(tail -n +3 "$dir/table.md")" || ok "Markdown rows hold figures"

# An output on stdout ('-'), for a pipe: the CSV alone there, the table on stderr.
"$bin" scale "${small[@]}" --workers 1,2 --repeat 1 --csv - >"$dir/out" 2>"$dir/err" ||
	bad "--csv - failed: $(cat "$dir/err")"
[ "$(head -1 "$dir/out")" = "$header" ] && [ "$(wc -l <"$dir/out")" = 3 ] &&
	ok "--csv - writes the CSV alone to stdout" || bad "--csv - stdout: $(cat "$dir/out")"
grep -q "^dynamic  *2 " "$dir/err" && ok "with --csv -, the table goes to stderr" ||
	bad "no table on stderr: $(cat "$dir/err")"
[ ! -e ./- ] || bad "--csv - created a file named '-'"

# Without a 1-worker point there is no T1: times only.
"$bin" scale "${small[@]}" --workers 2 --repeat 1 >"$dir/out" 2>&1
grep -q "no 1-worker point" "$dir/out" && ok "says when T1 is missing" || bad "no T1 note: $(cat "$dir/out")"

# --pin: pinned workers give the same output, and the JSON records the choice.
"$bin" scale "${small[@]}" --pin --workers 1,3 --repeat 1 --json "$dir/p.json" >/dev/null 2>"$dir/err" &&
	ok "pinned study ran" || bad "pinned study failed: $(cat "$dir/err")"
tr -d ' \t\n' <"$dir/p.json" | grep -q '"pin":true' && ok "JSON records --pin" || bad "JSON lacks pin: true"

# Weak scaling: the height grows with the workers.
"$bin" scale "${small[@]}" --weak --workers 1,2 --repeat 1 --csv "$dir/w.csv" >/dev/null 2>"$dir/err" ||
	bad "weak study failed: $(cat "$dir/err")"
[ "$(tail -n +2 "$dir/w.csv" | cut -d, -f2,4 | tr '\n' ' ')" = "1,54 2,108 " ] &&
	ok "weak scaling doubles the height" || bad "weak heights: $(cut -d, -f2,4 "$dir/w.csv" | tr '\n' ' ')"

# Studied runs write nothing unless asked; --keep-outputs names each run's file.
mkdir "$dir/keep"
(cd "$dir/keep" && "$bin" scale "${small[@]}" --workers 1 --repeat 1 --warmup 0 --set output.png=m.png >/dev/null 2>&1) ||
	bad "study with an output failed"
[ -z "$(ls -A "$dir/keep")" ] && ok "no outputs written by default" || bad "wrote: $(ls -A "$dir/keep")"
(cd "$dir/keep" && "$bin" scale "${small[@]}" --workers 1 --repeat 2 --warmup 0 --keep-outputs \
	--set output.png=m.png >/dev/null 2>&1) || bad "--keep-outputs failed"
[ -f "$dir/keep/m.dynamic-j1-r1.png" ] && [ -f "$dir/keep/m.dynamic-j1-r2.png" ] &&
	ok "--keep-outputs writes each run" || bad "--keep-outputs wrote: $(ls -A "$dir/keep")"

# The output check: a forced mismatch at 2 workers fails the study, naming the point.
FORKBAND_TEST_CORRUPT=2 "$bin" scale "${small[@]}" --workers 1,2 --repeat 1 >/dev/null 2>"$dir/err"
rc=$?
[ "$rc" = 1 ] && ok "mismatch fails with exit 1" || bad "mismatch exit $rc"
grep -q "dynamic -j 2 warm-up 1.*differs" "$dir/err" && ok "mismatch names the point" ||
	bad "mismatch message: $(cat "$dir/err")"

# Bad arguments: exit 2, one line.
while IFS='|' read -r args want; do
	# shellcheck disable=SC2086
	"$bin" scale $args >"$dir/out" 2>"$dir/err"
	rc=$?
	if [ "$rc" = 2 ] && [ "$(wc -l <"$dir/err")" = 1 ] && grep -q -- "$want" "$dir/err"; then
		ok "scale $args"
	else
		bad "scale $args: exit $rc, stderr: $(cat "$dir/err")"
	fi
done <<'CASES'
--workers 0|--workers: expected a whole number from 1 to 4096, got '0'
--workers 4..2|the range 4..2 runs backwards
--workers 1..8:x1|--workers step: expected a whole number from 2
--workers a|--workers: expected a whole number
--repeat 0|--repeat: expected a whole number from 1 to 10000, got '0'
--warmup -1|--warmup: expected a whole number from 0
--schedule bogus|--schedule: expected static, cyclic, dynamic or guided, got 'bogus'
--bogus|unknown option '--bogus'
--repeat|--repeat needs a value
--set params.max_iter=0|--set params.max_iter: expected an integer from 1
--weak --workers 1,30000 --set height=100|--workers: expected a whole number from 1 to 4096
--weak --workers 1,4000 --set height=1000|--weak: 4000 workers need a height of 4000000
--plot p.png|scale: --plot: 'p.png': forkband writes SVG; name it .svg
--csv - --markdown -|one output at most may be '-' (standard output)
CASES

exit $fail

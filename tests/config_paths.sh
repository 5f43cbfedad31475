#!/usr/bin/env bash
# config_paths.sh: where a job's input paths point (docs/config.md, "Paths"), and --set
# on list items: a config's inputs are relative to its own folder, its outputs to the
# current directory; a PNG re-run finds its input as stored or in the PNG's folder;
# --set params.ops[i].x and a trimmed --set give the bytes the same job written out
# in a file gives. Tiny images: the whole script takes a second or two.
# usage: config_paths.sh FORKBAND SOURCE_DIR
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
. "$(dirname "$0")/lib.sh"

# The image data of a PNG, from its first IDAT on: the same pixels make the same data,
# whatever input path the job stored in its tEXt chunk (which comes before).
idat() {
	local at
	at=$(grep -boa IDAT "$1" | head -1 | cut -d: -f1)
	[ -n "$at" ] && tail -c +$((at - 3)) "$1"
}
# run DESCRIPTION -- COMMAND...: runs it in the current folder, which must succeed.
run() {
	local what=$1
	shift 2
	if "$@" >"$dir/stdout" 2>"$dir/stderr"; then ok "$what"; else
		bad "$what: exit $?; stderr: $(head -c 300 "$dir/stderr")"; return 1; fi
}

mkdir -p "$dir/cfg/sub" "$dir/elsewhere"
"$bin" run -q --set width=24 --set height=16 -o "$dir/cfg/in.png" || bad "making in.png failed"
cp "$dir/cfg/in.png" "$dir/cfg/sub/in2.png"
filter() {	# filter FILE INPUT SIGMA: a two-op filter job
	printf '{"kernel": "filter", "input": "%s", "params": {"ops": [{"op": "gray"}, {"op": "gaussian", "sigma": %s}]}}\n' \
		"$2" "$3" >"$1"
}
filter "$dir/cfg/s1.json" in.png 1
filter "$dir/cfg/s2.json" in.png 2

# ---- --set on a list item, and around '=' ----
cd "$dir/elsewhere" || exit 1
run "--set params.ops[1].sigma" -- "$bin" run -q ../cfg/s1.json --set 'params.ops[1].sigma=2' -o set.png
run "the same job from a file" -- "$bin" run -q ../cfg/s2.json -o file.png
run "the job before the --set" -- "$bin" run -q ../cfg/s1.json -o before.png
cmp -s set.png file.png && ok "--set params.ops[1].sigma=2 writes the bytes of sigma 2 in the file" ||
	bad "--set params.ops[1].sigma=2 and a file with sigma 2 differ"
cmp -s set.png before.png && bad "--set params.ops[1].sigma=2 changed nothing"
run "--set with spaces around '=' and the value" -- "$bin" run -q --set ' width = 20 ' --set 'height= 10' -o trim.png
run "--set without spaces" -- "$bin" run -q --set width=20 --set height=10 -o notrim.png
cmp -s trim.png notrim.png && ok "--set ' width = 20 ' is width=20" || bad "a trimmed --set wrote other bytes"

# ---- a config's inputs: relative to its folder; its outputs: to the current one ----
filter "$dir/cfg/out.json" sub/in2.png 1
printf '%s\n' '{"kernel": "filter", "input": "sub/in2.png", "params": {"ops": [{"op": "invert"}]}, "output": {"png": "inv.png"}}' \
	>"$dir/cfg/inv.json"
run "a config's input from another folder" -- "$bin" run -q ../cfg/inv.json
[ -f inv.png ] && [ ! -e "$dir/cfg/inv.png" ] && ok "its output is in the current folder" ||
	bad "output.png not written relative to the current folder"
run "the same with an absolute config path" -- "$bin" run -q "$dir/cfg/inv.json" -o abs.png
cmp -s <(idat inv.png) <(idat abs.png) || bad "relative and absolute config paths wrote other pixels"
# A path from the command line is the user's: relative to the current folder.
cp "$dir/cfg/in.png" here.png
run "--set input is relative to the current folder" -- "$bin" run -q ../cfg/inv.json --set input=here.png -o set-in.png
printf '%s\n' '{"kernel": "filter", "input": "nope.png", "params": {"ops": [{"op": "invert"}]}}' >"$dir/cfg/nope.json"
"$bin" run -q ../cfg/nope.json -o n.png 2>"$dir/stderr" && bad "a missing input ran"
grep -qF "../cfg/nope.json: input: cannot open '../cfg/nope.png': No such file or directory ('nope.png' as written, relative to the config's folder)" \
	"$dir/stderr" && ok "a missing input is named as written and as resolved" ||
	bad "missing input message: $(cat "$dir/stderr")"
# matmul's .npy operands too.
printf '%s\n' '{"kernel": "matmul", "params": {"a": {"generate": "ones", "rows": 2, "cols": 3},
  "b": {"generate": "ones", "rows": 3, "cols": 2}}, "output": {"npy": "sub/c.npy"}}' >"$dir/cfg/mk.json"
(cd "$dir/cfg" && "$bin" run -q mk.json) || bad "making c.npy failed"
printf '%s\n' '{"kernel": "matmul", "params": {"a": {"npy": "sub/c.npy"}, "b": {"npy": "sub/c.npy"}}}' >"$dir/cfg/mm.json"
run "matmul's npy operands from another folder" -- "$bin" run -q ../cfg/mm.json -o mm.png

# ---- a PNG re-run: its input as stored, else in the PNG's folder ----
mkdir "$dir/a" "$dir/b" "$dir/b/sub" "$dir/c"
cp "$dir/cfg/in.png" "$dir/a/in.png"
mkdir "$dir/a/sub" && cp "$dir/cfg/in.png" "$dir/a/sub/in.png"
filter "$dir/a/job.json" in.png 1
filter "$dir/a/deep.json" sub/in.png 1
(cd "$dir/a" && "$bin" run -q job.json -o out.png && "$bin" run -q deep.json -o deep.png) ||
	bad "the filter runs in a/ failed"
cd "$dir/c" || exit 1
run "a re-run where the stored input is found as stored" -- "$bin" run -q ../a/out.png -o rerun0.png
mv "$dir/a/out.png" "$dir/a/in.png" "$dir/b/"
run "a PNG moved with its input re-runs" -- "$bin" run -q ../b/out.png -o rerun1.png
mv "$dir/a/deep.png" "$dir/b/" && mv "$dir/a/sub/in.png" "$dir/b/sub/"
run "a PNG moved with its input's folder re-runs" -- "$bin" run -q ../b/deep.png -o rerun2.png
cmp -s rerun0.png rerun1.png && [ -s rerun0.png ] &&
	ok "the moved PNG's re-run writes the same bytes (its job stored as it was)" ||
	bad "the moved PNG's re-run wrote other bytes"
cmp -s "$dir/b/out.png" rerun1.png && ok "... the bytes of the PNG it re-ran" ||
	bad "the moved PNG's re-run differs from the PNG"
rm "$dir/b/in.png"
"$bin" run -q ../b/out.png -o rerun3.png 2>"$dir/stderr" && bad "a re-run without its input ran"
grep -qF "not in the PNG's folder '../b' either" "$dir/stderr" &&
	ok "a re-run without its input says where it looked" || bad "missing stored input: $(cat "$dir/stderr")"

# ---- the example configs run from any folder (installed, they keep the same layout:
# configs/ beside docs/mandelbrot.png) ----
cd "$dir/elsewhere" || exit 1
for c in blur edges; do
	run "configs/$c.json from another folder" -- "$bin" run -q "$src/configs/$c.json" \
		--set 'params.ops[0].sigma=0.5'
	[ -f "$c.png" ] && ok "configs/$c.json writes $c.png here" || bad "configs/$c.json wrote no $c.png here"
done

exit $fail

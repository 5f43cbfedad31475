#!/usr/bin/env bash
# usage.sh: the command line a daily user meets: pipes (a config from stdin, the PNG
# and the report to stdout, devices as outputs), --dry-run, output names, notes, the
# summary, help for each command, "did you mean", the kernel tables, the manual page
# and the shell completions.
# usage: usage.sh FORKBAND SOURCE_DIR [MANPAGE]
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
man=${3:+$(realpath "$3")}
. "$(dirname "$0")/lib.sh"
cd "$dir" || exit 1
exec </dev/null	# no command reads the script's stdin unless given $stdin

# has FILE TEXT: FILE holds TEXT (fixed string).
has() { grep -qF -- "$2" "$1" || bad "$(basename "$1") lacks '$2': $(head -c 300 "$1")"; }
one_line() { [ "$(wc -l <"$dir/stderr")" = 1 ] || bad "$1: not one line: $(cat "$dir/stderr")"; }
png_ok() {	# FILE: a whole PNG, read back by forkband itself (it reruns its job)
	head -c 8 "$1" | od -An -c | grep -q 'P   N   G' || { bad "$1 is not a PNG"; return; }
	"$bin" run -q "$1" -o "$dir/back.png" || bad "$1: forkband cannot read it back"
}

job='{"kernel": "julia", "width": 48, "height": 32, "params": {"c": [-0.8, 0.156]}}'
echo "$job" >job.json
"$bin" run -q job.json -o ref.png || bad "the reference run failed"

# ---- pipes ----
echo "$job" >in.json
stdin=in.json expect 0 "config from stdin, PNG to stdout" -- "$bin" run - -o - -q
cp stdout piped.png
cmp -s piped.png ref.png && ok "the piped PNG is the file's bytes" || bad "piped PNG differs"
png_ok piped.png
"$bin" run -q job.json -o - | cat >cat.png
cmp -s cat.png ref.png && ok "-o - through a pipe" || bad "-o - through a pipe differs"
"$bin" run -q job.json -o /dev/stdout | cat >dev.png
cmp -s dev.png ref.png && ok "-o /dev/stdout" || bad "-o /dev/stdout differs"
expect 0 "-o /dev/null" -- "$bin" run -q job.json -o /dev/null
expect 0 "every output to /dev/null" -- "$bin" run -q job.json -o /dev/null --report /dev/null
mkfifo fifo.png
(timeout 20 cat fifo.png >fifo.out) &	# a reader that gives up if forkband never opens it
expect 0 "-o to a FIFO" -- "$bin" run -q job.json -o fifo.png
wait
cmp -s fifo.out ref.png && ok "the FIFO got the PNG" || bad "the FIFO got other bytes"
[ -p fifo.png ] && ok "the FIFO is still a FIFO" || bad "the FIFO was replaced"
expect 0 "--report -" -- "$bin" run -q job.json --report -
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["jobs"][0]["config"]["kernel"] == "julia"' \
	stdout && ok "--report - is JSON on stdout" || bad "--report - is not the report"
"$bin" run -q job.json --report /dev/stdout | python3 -c 'import json,sys; json.load(sys.stdin)' &&
	ok "--report /dev/stdout through a pipe" || bad "--report /dev/stdout through a pipe"
expect 2 "-o - and --report - both" -- "$bin" run -q job.json -o - --report -
has stderr "'-' is also written by"
stdin=ref.png expect 2 "a PNG on stdin" -- "$bin" run - -q
has stderr "stdin: a PNG, not a JSON config"
echo '{"kernel": "julia", "width": 0}' >in.json
stdin=in.json expect 2 "a bad config on stdin" -- "$bin" run - -q
has stderr "forkband: stdin: width"
one_line "a bad config on stdin"
# A binary PNG is not written to a terminal.
if command -v script >/dev/null; then
	script -qec "'$bin' run -q '$dir/job.json' -o -; echo \"rc=\$?\"" /dev/null >tty.out 2>&1 </dev/null
	grep -q "standard output, a terminal here" tty.out && grep -q "rc=2" tty.out &&
		ok "-o - on a terminal is refused" || bad "-o - on a terminal: $(head -c 300 tty.out)"
	# The same for a device that is standard output, or another terminal.
	script -qec "'$bin' run -q '$dir/job.json' -o /dev/stdout; echo \"rc=\$?\";
		'$bin' run -q '$dir/job.json' -o /dev/tty; echo \"rc=\$?\"" /dev/null >tty.out 2>&1 </dev/null
	grep -q "'/dev/stdout' is standard output, a terminal here" tty.out &&
		grep -q "'/dev/tty' is a terminal" tty.out && [ "$(grep -c "rc=2" tty.out)" = 2 ] &&
		ok "/dev/stdout and /dev/tty on a terminal are refused" ||
		bad "a terminal device: $(head -c 400 tty.out)"
fi

# ---- output names ----
expect 2 "-o x.jpg" -- "$bin" run -q job.json -o x.jpg
has stderr "-o: 'x.jpg': forkband writes PNG; name it .png"
one_line "-o x.jpg"
expect 0 "-o X.PNG (any case)" -- "$bin" run -q job.json -o X.PNG
[ ! -e x.jpg ] || bad "x.jpg written"

# ---- --dry-run ----
rm -f dry.png
expect 0 "--dry-run" -- "$bin" run job.json --dry-run -o dry.png -j 3
[ ! -e dry.png ] && ok "--dry-run writes nothing" || bad "--dry-run wrote dry.png"
[ ! -s stderr ] || bad "--dry-run printed on stderr: $(cat stderr)"
python3 - stdout <<'PY' && ok "--dry-run JSON has every default" || bad "--dry-run JSON: see above"
import json, sys
d = json.load(open(sys.argv[1]))
j = d["jobs"][0]
job = j["job"]
assert job["kernel"] == "julia", job
p = job["params"]
# julia's defaults, filled in: every param of `forkband kernels --json` is there
assert p["max_iter"] == 1000 and p["coloring"] == "smooth" and p["arithmetic"] == "exact", p
assert job["run"]["workers"] == 3 and job["run"]["schedule"] == "dynamic", job["run"]
assert job["run"]["chunk"] >= 1, job["run"]
assert job["output"]["png"] == "dry.png" and job["output"]["png_level"] == 7, job["output"]
assert j["writes"] == ["dry.png"], j["writes"]
assert j["memory"]["bytes"] > 48 * 32 * 3, j["memory"]
PY
"$bin" kernels julia --json >julia.json
python3 - stdout julia.json <<'PY' || bad "--dry-run params differ from the kernel table"
import json, sys
params = json.load(open(sys.argv[1]))["jobs"][0]["job"]["params"]
table = json.load(open(sys.argv[2]))["params"]
for p in table:
    assert p["name"] in params, p["name"]
    if "default" in p and p["name"] != "c":
        assert params[p["name"]] == p["default"], (p["name"], params[p["name"]], p["default"])
PY
expect 2 "--dry-run of a bad config" -- "$bin" run --dry-run --set width=-1 job.json
one_line "--dry-run of a bad config"
expect 0 "--dry-run of a batch" -- "$bin" run --dry-run "$src/configs/batch.json"
python3 -c 'import json,sys; assert len(json.load(open(sys.argv[1]))["jobs"]) == 3' stdout ||
	bad "--dry-run of the batch does not list 3 jobs"

expect 0 "scale --dry-run" -- "$bin" scale job.json --dry-run --workers 1,3 --repeat 2 --csv s.csv
[ ! -e s.csv ] || bad "scale --dry-run wrote its CSV"
python3 - stdout <<'PY' && ok "scale --dry-run JSON" || bad "scale --dry-run JSON: see above"
import json, sys
d = json.load(open(sys.argv[1]))
s = d["study"]
assert s["workers"] == [1, 3] and s["repeat"] == 2 and s["warmup"] == 1 and s["runs"] == 6, s
assert d["writes"] == ["s.csv"], d["writes"]
assert d["jobs"][0]["job"]["params"]["max_iter"] == 1000, d["jobs"][0]
PY

# ---- notes and the summary ----
many=$(($(nproc) + 1))
expect 0 "more workers than CPUs" -- "$bin" run job.json -o n.png -j $many
has stderr "note: $many workers on $(nproc) usable CPU"
expect 0 "a chunk bigger than the image" -- "$bin" run job.json -o n.png --chunk 500
has stderr "note: chunk 500 is more rows than the image's 32"
expect 0 "-q silences notes" -- "$bin" run -q job.json -o n.png -j $many --chunk 500
[ ! -s stderr ] || bad "-q printed: $(cat stderr)"
mat='{"kernel": "matmul", "params": {"a": {"generate": "random", "rows": 20, "cols": 8, "seed": 1},
      "b": {"generate": "random", "rows": 8, "cols": 30, "seed": 2}}}'
echo "$mat" >mat.json
expect 0 "only an .npy" -- "$bin" run mat.json --set output.npy=c.npy
has stderr "wrote c.npy: 30x20 matmul"
expect 0 "a PNG and an .npy" -- "$bin" run mat.json --set output.npy=c.npy -o c.png
has stderr "wrote c.png and c.npy:"
awk 'length($0) > 100 { exit 1 }' stderr || bad "a summary line over 100 columns"
heat='{"kernel": "heat", "width": 16, "height": 16, "params": {"steps": 4},
       "output": {"report": "h.json", "frames": {"every": 2, "png": "h_%d.png"}}}'
echo "$heat" >heat.json
expect 0 "frames and a report only" -- "$bin" run heat.json
has stderr "wrote h.json and frames h_%d.png: 16x16 heat"
grep -q "no output asked for" stderr && bad "a job that wrote frames is told it asked for no output"
printf '{"defaults": %s, "jobs": [{}, {}]}\n' "$job" >batch.json
expect 0 "a batch without outputs" -- "$bin" run batch.json
grep -q -- "-o FILE" stderr && bad "a batch is told about -o, which it refuses"
has stderr "(no output asked for)"

# ---- help ----
for c in run scale kernels help; do
	expect 0 "help $c" -- "$bin" help $c
	has stdout "usage: forkband $c"
done
expect 0 "help version" -- "$bin" help version
has stdout "usage: forkband --version"
expect 0 "help --help" -- "$bin" help --help
has stdout "usage: forkband help"
expect 2 "help rnu" -- "$bin" help rnu
has stderr "'rnu' is not a command; did you mean 'run'?"
expect 2 "a mistyped command" -- "$bin" rnu
has stderr "'rnu' is not a command; did you mean 'run'?"
one_line "a mistyped command"
expect 2 "a mistyped top-level option" -- "$bin" --versoin
has stderr "unknown option '--versoin'; did you mean '--version'?"
expect 2 "a mistyped run option" -- "$bin" run --scheduel static
has stderr "run: unknown option '--scheduel'; did you mean '--schedule'?"
expect 2 "a mistyped scale option" -- "$bin" scale --repaet 2
has stderr "scale: unknown option '--repaet'; did you mean '--repeat'?"
expect 2 "a mistyped scale schedule" -- "$bin" scale --schedule statik
has stderr "got 'statik'; did you mean 'static'?"
expect 2 "a mistyped --isa" -- "$bin" run --isa avx25
has stderr "got 'avx25'; did you mean 'avx2'?"

# ---- kernels ----
expect 0 "kernels" -- "$bin" kernels
awk 'length($0) > 80 { print; bad = 1 } END { exit bad }' stdout >long.txt &&
	ok "the kernels table fits 80 columns" || bad "kernels lines over 80 columns: $(head -3 long.txt)"
for k in mandelbrot julia filter matmul heat; do has stdout "$k: "; done
expect 0 "kernels filter" -- "$bin" kernels filter
has stdout "filter: "
grep -q "^mandelbrot:" stdout && bad "kernels filter lists mandelbrot too"
has stdout '{"op": "gaussian"}'
expect 2 "kernels mandelbort" -- "$bin" kernels mandelbort
has stderr "did you mean 'mandelbrot'?"
expect 0 "kernels --json" -- "$bin" kernels --json
python3 - stdout <<'PY' && ok "kernels --json" || bad "kernels --json: see above"
import json, sys
ks = json.load(open(sys.argv[1]))
assert [k["name"] for k in ks] == ["mandelbrot", "julia", "filter", "matmul", "heat"], ks
m = ks[0]["params"]
mi = [p for p in m if p["name"] == "max_iter"][0]
assert mi["type"] == "integer" and mi["default"] == 1000 and mi["min"] == 1, mi
col = [p for p in m if p["name"] == "coloring"][0]
assert "histogram" in col["choices"], col
f = [p for p in ks[2]["params"] if p["name"] == "ops"][0]
assert any(o["op"] == "gaussian" for o in f["ops"]), f
PY
expect 2 "kernels --jsno" -- "$bin" kernels --jsno
has stderr "did you mean '--json'?"

# ---- the manual page: generated by the build, renders without warnings ----
"$bin" help --man >forkband.1
if [ -n "$man" ]; then
	cmp -s "$man" forkband.1 && ok "the built forkband.1 is the program's" ||
		bad "$man differs from 'forkband help --man'"
fi
if command -v groff >/dev/null; then
	groff -man -ww -z forkband.1 2>groff.err && [ ! -s groff.err ] &&
		ok "groff renders forkband.1 without warnings" || bad "groff: $(head -3 groff.err)"
fi
if command -v man >/dev/null; then
	MANWIDTH=80 man -l forkband.1 >man.txt 2>man.err || bad "man -l failed: $(head -3 man.err)"
	for want in "forkband run" "--dry-run" "max_iter" "EXIT STATUS" "gaussian"; do
		grep -qF -- "$want" man.txt || bad "the manual page lacks '$want'"
	done
	ok "man -l renders forkband.1"
else
	echo "skip: no man (scripts/deps installs man-db)"
fi

# ---- completions ----
comp() {	# WORDS...: what the bash completion offers for the last word
	bash -c '
		source "$1"; shift
		forkband() { "$FB" "$@"; }
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		_forkband
		printf "%s\n" "${COMPREPLY[@]}"' _ "$src/completions/forkband.bash" "$@"
}
export FB=$bin
out=$(bash -c "source '$src/completions/forkband.bash'" 2>&1) && [ -z "$out" ] &&
	ok "the bash completion loads cleanly" || bad "the bash completion: $out"
[ "$(comp forkband ru)" = run ] && ok "completes a command" || bad "command: $(comp forkband ru)"
comp "$bin" run --sch | grep -qx -- --schedule && ok "completes an option from --help" ||
	bad "option: $(comp "$bin" run --sch)"
comp "$bin" run --dry | grep -qx -- --dry-run || bad "--dry-run not completed"
comp "$bin" kernels ma | grep -qx mandelbrot && comp "$bin" kernels ma | grep -qx matmul ||
	bad "kernel names: $(comp "$bin" kernels ma)"
# The values the completion lists by hand: the program's own, every one of them.
[ "$(comp "$bin" run --schedule '' | sort | tr '\n' ' ')" = "cyclic dynamic guided static " ] ||
	bad "--schedule values: $(comp "$bin" run --schedule '')"
[ "$(comp "$bin" run --isa '' | sort | tr '\n' ' ')" = "auto avx2 avx512 scalar sse2 " ] ||
	bad "--isa values: $(comp "$bin" run --isa '')"
for s in $(comp "$bin" run --schedule ''); do
	"$bin" run -q --dry-run --schedule "$s" job.json >/dev/null || bad "completion offers schedule $s"
done
for i in $(comp "$bin" run --isa ''); do
	"$bin" run -q --dry-run --isa "$i" job.json >/dev/null 2>isa.err ||
		grep -q "this CPU cannot run" isa.err || bad "completion offers --isa $i"
done
if command -v zsh >/dev/null; then
	zsh -n "$src/completions/_forkband" && ok "the zsh completion parses" ||
		bad "the zsh completion does not parse"
	zsh -fc "fpath=('$src/completions' \$fpath); autoload -U compinit; compinit -u -d '$dir/zcd';
		autoload -U _forkband; (( \$+functions[_forkband] ))" &&
		ok "zsh loads _forkband" || bad "zsh cannot load _forkband"
else
	echo "skip: no zsh (scripts/deps installs it)"
fi

exit $fail

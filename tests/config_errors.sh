#!/usr/bin/env bash
# config_errors.sh: bad configs and bad command lines, one table row each. A row writes
# its config to bad.json in a fresh folder, runs `forkband run bad.json ARGS` there and
# checks what docs/config.md promises for every error: exit status 2, exactly one line
# on stderr, matching the row's pattern, nothing on stdout, and no new file in the
# folder (no PNG, no .npy, no report, no hidden temporary file).
#
# usage: config_errors.sh FORKBAND
# CONFIG_ERRORS_WRAP, if set, is put before the command: for example
#   CONFIG_ERRORS_WRAP="valgrind -q --leak-check=full --error-exitcode=9" config_errors.sh ...
# (a leak then shows as exit 9 and extra lines on stderr).
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 FORKBAND" >&2
	exit 2
fi
case $1 in
/*) bin=$1 ;;
*) bin=$PWD/$1 ;;
esac
if [ ! -x "$bin" ]; then
	echo "$0: '$1' is not an executable" >&2
	exit 2
fi
read -r -a wrap <<<"${CONFIG_ERRORS_WRAP:-}"

top=$(mktemp -d)
trap 'chmod -R u+rwx "$top" 2>/dev/null; rm -rf "$top"' EXIT
n=0 failed=0 skipped=0

# Every file and folder under $1, hidden ones too, one path a line, sorted.
# list_files DIR: every file and folder under DIR, one a line, in C order (what comm
# wants). In this shell, not a subshell and a sort: twice a case, that was a tenth of
# the test's time.
shopt -s globstar dotglob nullglob
list_files() {
	local here=$PWD LC_COLLATE=C f

	cd "$1" || return
	for f in **; do
		printf '%s\n' "$f"
	done
	cd "$here" || exit 2
}

# t NAME PATTERN [ARG...] <<'EOF' CONFIG EOF
# Runs `forkband run bad.json ARG...` with CONFIG (stdin) in bad.json. PATTERN is a
# fixed string the stderr line must contain, or, after a leading '~', an extended
# regular expression it must match. Variables set on the call:
#   SETUP=CMD    shell code run in the folder after bad.json is written
#   NOCONF=1     pass no config path (the arguments give one, or none)
#   SKIP=WHY     skip the case, saying why
#   AS_NOBODY=1  run forkband as the user nobody (when root: root may write anywhere)
#   STACK=KIB    run it under `ulimit -s KIB` (a small stack must not crash it)
#   CHECK=CMD    shell code run in the folder afterwards that must succeed (a file the
#                case must leave unchanged, say); $errfile is the stderr it printed
#   NLINES=N     stderr has N lines, not one (several errors at once: each its line);
#                PATTERN must match one of them, CHECK can look at the others
t() {
	local name=$1 pattern=$2
	shift 2
	local dir=$top/$((n + 1)) got lines new line why=""
	local -a args=("$@")

	n=$((n + 1))
	if [ -n "${SKIP:-}" ]; then
		cat >/dev/null
		skipped=$((skipped + 1))
		echo "skip $name: $SKIP"
		return
	fi
	mkdir "$dir" "$dir.out"
	cat >"$dir/bad.json"
	if [ -n "${SETUP:-}" ] && ! (cd "$dir" && eval "$SETUP"); then
		failed=$((failed + 1))
		echo "FAIL $name: setup failed: $SETUP"
		return
	fi
	[ -n "${NOCONF:-}" ] || args=(bad.json "${args[@]}")
	list_files "$dir" >"$dir.out/before"
	local -a as=()
	if [ -n "${AS_NOBODY:-}" ]; then
		as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
		chmod 755 "$top" "$dir"
		chmod 644 "$dir/bad.json"
	fi
	(cd "$dir" && { [ -z "${STACK:-}" ] || ulimit -s "$STACK"; } &&
		exec timeout 60 "${as[@]}" "${wrap[@]}" "$bin" run "${args[@]}") \
		>"$dir.out/stdout" 2>"$dir.out/stderr" </dev/null
	got=$?
	list_files "$dir" >"$dir.out/after"

	lines=$(wc -l <"$dir.out/stderr")
	local errfile=$dir.out/stderr want_lines=${NLINES:-1}
	new=$(LC_ALL=C comm -13 "$dir.out/before" "$dir.out/after" | tr '\n' ' ')
	if [ "$got" = 124 ]; then
		why="timed out after 60 s"
	elif [ "$got" != 2 ]; then
		why="exit status $got, expected 2"
	fi
	if [ "$lines" != "$want_lines" ] || [ -n "$(tail -c 1 "$dir.out/stderr")" ]; then
		why="${why:+$why; }stderr has $lines lines, expected exactly $want_lines"
	elif [ "${pattern:0:1}" = "~" ]; then
		grep -Eq -- "${pattern:1}" "$dir.out/stderr" ||
			why="${why:+$why; }stderr does not match /${pattern:1}/"
	else
		grep -Fq -- "$pattern" "$dir.out/stderr" ||
			why="${why:+$why; }stderr does not contain '$pattern'"
	fi
	[ -s "$dir.out/stdout" ] && why="${why:+$why; }stdout is not empty"
	[ -n "$new" ] && why="${why:+$why; }new files: $new"
	if [ -n "${CHECK:-}" ] && ! (cd "$dir" && eval "$CHECK"); then
		why="${why:+$why; }check failed: $CHECK"
	fi
	if [ -z "$why" ]; then
		echo "ok   $name"
	else
		failed=$((failed + 1))
		echo "FAIL $name: $why"
		head -5 "$dir.out/stderr" | while IFS= read -r line; do echo "     stderr: $line"; done
	fi
}

# A small valid job: every case below breaks one thing in it or around it.
J='"kernel": "mandelbrot", "width": 8, "height": 8'

# ---- JSON syntax: line and column ----
t syntax-bad-token "bad.json:3:14: invalid JSON near ']'" <<EOF
{
  $J,
  "params": 5]
}
EOF
t syntax-missing-value '~^forkband: bad\.json:3:[0-9]+: invalid JSON' <<EOF
{
  $J,
  "params": ,
}
EOF
t syntax-end-of-file 'bad.json:3:1: invalid JSON: unexpected end of file' <<EOF
{
  $J,
EOF
t syntax-comment-one-line 'bad.json:1:1: invalid JSON: JSON has no comments' <<EOF
// a comment, then the job on the next line
{ $J }
EOF
t syntax-comment-block 'bad.json:2:10: invalid JSON: JSON has no comments' <<EOF
{ $J,
  "x": 1 /* why */
}
EOF
# Reported at the comma, not at the bracket on the next line.
t syntax-trailing-comma "bad.json:2:50: invalid JSON: trailing comma before '}'" <<EOF
{
  $J,
}
EOF
t syntax-trailing-comma-array "bad.json:1:62: invalid JSON: trailing comma before ']'" <<EOF
{ $J, "x": [1, 2,
  ] }
EOF
t syntax-unquoted-key "bad.json:2:3: invalid JSON: keys must be quoted strings, got 'width'" <<EOF
{ "kernel": "mandelbrot",
  width: 8 }
EOF
t syntax-single-quotes "bad.json:1:13: invalid JSON: strings take double quotes, not single" <<EOF
{ "kernel": 'mandelbrot' }
EOF
t syntax-missing-comma "bad.json:2:3: invalid JSON near '\"width\": 8 }': expected ',' or '}'" <<EOF
{ "kernel": "mandelbrot"
  "width": 8 }
EOF
t syntax-trailing-garbage "bad.json:1:53: invalid JSON near 'x'" <<EOF
{ $J } x
EOF
t syntax-two-values 'bad.json:2:1: invalid JSON' <<EOF
{ $J }
{ $J }
EOF
t syntax-empty-file 'bad.json:1:1: invalid JSON: unexpected end of file' </dev/null
SETUP='printf "{\"kernel\": \"mandelbrot\", \"width\": 8, \"height\": 8}\\0" >bad.json' \
	t syntax-nul-byte 'bad.json:1:50: invalid JSON: a NUL byte' </dev/null
# cJSON ends a string at \u0000 and would hide the rest from every check.
SETUP='echo notes >notes.txt' CHECK='[ "$(cat notes.txt)" = notes ]' \
	t nul-in-output-path 'a string holds \u0000 (a NUL character)' <<EOF
{ $J, "output": { "png": "notes.txt\u0000.png" } }
EOF
t nul-in-key 'a string holds \u0000' <<<"{ $J, \"width\u0000evil\": 9 }"
t nul-in-set-value '--set output.png: a string holds \u0000' \
	--set 'output.png="bad.json\u0000.png"' <<<"{ $J }"
t nul-escaped-backslash-is-not-nul 'unknown key' <<<"{ $J, \"params\": { \"x\\\\u0000\": 1 } }"
# Nesting is bounded before anything recurses: no stack, however small, runs out.
STACK=256 t nested-999-deep-small-stack 'nested deeper than 32 levels' \
	<<<"{ $J, \"params\": $(printf '%0.s[' {1..999})$(printf '%0.s]' {1..999}) }"
STACK=256 t nested-999-deep-in-set '--set params: nested deeper than 32 levels' \
	--set "params=$(printf '%0.s{"a":' {1..999})1$(printf '%0.s}' {1..999})" <<<"{ $J }"
t top-level-array 'bad.json: expected a JSON object' <<EOF
[{ $J }]
EOF
t top-level-string 'bad.json: expected a JSON object' <<<'"mandelbrot"'

# ---- keys ----
t kernel-missing 'bad.json: kernel: expected one of mandelbrot, julia, filter, matmul, heat, got nothing' <<<'{ "width": 8 }'
t kernel-unknown "bad.json: kernel: expected one of mandelbrot, julia, filter, matmul, heat, got \"mandelbrott\" (did you mean 'mandelbrot'?)" <<<'{ "kernel": "mandelbrott" }'
t kernel-not-string 'bad.json: kernel: expected one of mandelbrot, julia, filter, matmul, heat, got 5' <<<'{ "kernel": 5 }'
t unknown-key "bad.json: widht: unknown key (did you mean 'width'?)" <<EOF
{ "kernel": "mandelbrot", "widht": 8, "height": 8 }
EOF
# Every unknown key of a job at once, each on its line with its did-you-mean; no other
# error (a param under a misspelt name is also missing, say) is told meanwhile.
NLINES=4 CHECK='grep -qx "forkband: bad.json: widht: unknown key (did you mean '"'width'"'?)" $errfile &&
	grep -qx "forkband: bad.json: params.max_iters: unknown key (did you mean '"'max_iter'"'?)" $errfile &&
	grep -qx "forkband: bad.json: output.pgn: unknown key (did you mean '"'png'"'?)" $errfile' \
	t unknown-keys-together "bad.json: run.worker: unknown key (did you mean 'workers'?)" <<EOF
{ "kernel": "mandelbrot", "widht": 8, "params": { "max_iters": 5, "scale": 0 },
  "run": { "worker": 2 }, "output": { "pgn": "x.png" } }
EOF
NLINES=6 CHECK='[ "$(grep -c ": unknown key$" $errfile)" = 5 ]' \
	t unknown-keys-at-most-5 "bad.json: and 2 more unknown keys" <<EOF
{ $J, "a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7 }
EOF
NLINES=2 t unknown-keys-in-a-batch "bad.json: jbos: unknown key in a batch" <<EOF
{ "defaults": { $J }, "jobs": [ {} ], "jbos": [ {} ], "x": 1 }
EOF
t unknown-param "bad.json: params.max_iters: unknown key (did you mean 'max_iter'?)" <<EOF
{ $J, "params": { "max_iters": 100 } }
EOF
t unknown-run-key "bad.json: run.worker: unknown key (did you mean 'workers'?)" <<EOF
{ $J, "run": { "worker": 2 } }
EOF
t unknown-output-key "bad.json: output.pgn: unknown key (did you mean 'png'?)" <<EOF
{ $J, "output": { "pgn": "x.png" } }
EOF
t png-level-range "bad.json: output.png_level: expected an integer from 0 to 12, got 13" <<EOF
{ $J, "output": { "png": "x.png", "png_level": 13 } }
EOF
t png-level-zlib "bad.json: output.png_level: expected an integer from 0 to 9 with png_deflate zlib, got 10" <<EOF
{ $J, "output": { "png": "x.png", "png_level": 10, "png_deflate": "zlib" } }
EOF
t png-deflate-choice "bad.json: output.png_deflate: expected one of libdeflate, zlib, got \"zlb\" (did you mean 'zlib'?)" <<EOF
{ $J, "output": { "png": "x.png", "png_deflate": "zlb" } }
EOF
t png-filter-choice "bad.json: output.png_filter: expected one of none, sub, up, avg, paeth, adaptive, got \"pareth\" (did you mean 'paeth'?)" <<EOF
{ $J, "output": { "png": "x.png", "png_filter": "pareth" } }
EOF
t misspelt-batch-key "bad.json: defalts: unknown key (did you mean 'defaults'?)" <<EOF
{ $J, "defalts": {} }
EOF
t duplicate-key 'bad.json: width: duplicate key' <<EOF
{ $J, "width": 16 }
EOF
t duplicate-nested-key 'bad.json: params.scale: duplicate key' <<EOF
{ $J, "params": { "scale": 1, "scale": 2 } }
EOF

# ---- types, one per param type ----
t int-as-string 'bad.json: params.max_iter: expected an integer from 1 to 1000000000, got "1000"' <<EOF
{ $J, "params": { "max_iter": "1000" } }
EOF
t real-as-string 'bad.json: params.scale: expected a number, or a decimal number as a string ("-0.74364388703715870475", "1e-300"), got "big"' <<EOF
{ $J, "params": { "scale": "big" } }
EOF
t point-one-number 'bad.json: params.center: expected [re, im], two numbers or decimal strings, got [1]' <<EOF
{ $J, "params": { "center": [1] } }
EOF
t point-as-string 'bad.json: params.center: expected [re, im], two numbers or decimal strings, got "0,0"' <<EOF
{ $J, "params": { "center": "0,0" } }
EOF
t point-string-inside 'bad.json: params.center[1]: expected a number, or a decimal number as a string ("-0.74364388703715870475", "1e-300"), got "1e"' <<EOF
{ $J, "params": { "center": [0, "1e"] } }
EOF
# Deep zoom's decimal strings: JSON's number syntax exactly, within long double's range.
for bad in '"nan"' '"inf"' '"0x1p3"' '" 1"' '"+1"' '"01"' '"1."' '"-"'; do
	t "decimal-$bad" "bad.json: params.center[0]: expected a number, or a decimal number as a string" \
		<<<"{ $J, \"params\": { \"center\": [$bad, \"0\"] } }"
done
t scale-string-zero 'bad.json: params.scale: expected a number greater than 0 (below about 1e-4931 is out of range), got "0"' \
	<<<"{ $J, \"params\": { \"scale\": \"0\" } }"
t scale-string-underflow 'bad.json: params.scale: expected a number greater than 0 (below about 1e-4931 is out of range), got "1e-5000"' \
	<<<"{ $J, \"params\": { \"scale\": \"1e-5000\" } }"
t scale-string-overflow 'bad.json: params.scale: expected a scale of at most 1.7e308 (double'"'"'s largest), got "1e400"' \
	<<<"{ $J, \"params\": { \"scale\": \"1e400\" } }"
t scale-string-negative 'bad.json: params.scale: expected a number greater than 0 (below about 1e-4931 is out of range), got "-1e-300"' \
	<<<"{ $J, \"params\": { \"scale\": \"-1e-300\" } }"
# Kalles Fraktaler locations (config_location.c): the file's mistakes name it, its line
# and what a location holds; the view comes from the location or from center and scale.
K='Re: -0.75\r\nIm: 0.1\r\nZoom: 1.5\r\nIterations: 200\r\n'
# kfr NAME PATTERN TEXT: the job of params.location "x.kfr", the file holding TEXT (a
# printf format: \r\n line ends, as KF writes them).
kfr() {
	SETUP="printf '$3' >x.kfr" t "$1" "$2" <<<"{ $J, \"params\": { \"location\": \"x.kfr\" } }"
}
kfr kfr-no-zoom 'bad.json: params.location: "x.kfr" has no Zoom line (expected a Kalles Fraktaler location with Re, Im and Zoom)' \
	'Re: -0.75\r\nIm: 0.1\r\nIterations: 200\r\n'
kfr kfr-zoom-0 'bad.json: params.location: "x.kfr" line 3: Zoom is "0", expected a number above 0' \
	'Re: -0.75\r\nIm: 0.1\r\nZoom: 0\r\n'
kfr kfr-zoom-tiny 'bad.json: params.location: "x.kfr" line 3: Zoom is "1e-400", expected one whose view is within range at' \
	'Re: -0.75\r\nIm: 0.1\r\nZoom: 1e-400\r\n'
kfr kfr-garbage-re 'bad.json: params.location: "x.kfr" line 1: Re is "0x1p3", expected a decimal number' \
	'Re: 0x1p3\r\nIm: 0.1\r\nZoom: 1\r\n'
kfr kfr-not-a-location 'bad.json: params.location: "x.kfr" has no Re line (expected a Kalles Fraktaler location' \
	'{}\n'
t kfr-missing "bad.json: params.location: cannot open 'nope.kfr': No such file or directory" \
	<<<"{ $J, \"params\": { \"location\": \"nope.kfr\" } }"
SETUP="printf '$K' >x.kfr" \
	t kfr-and-center 'bad.json: params.center: params.location sets the view: leave center out (or location)' \
	<<<"{ $J, \"params\": { \"center\": [0, 0], \"location\": \"x.kfr\" } }"
SETUP="printf '$K' >x.kfr" \
	t kfr-and-scale 'bad.json: params.scale: params.location sets the view: leave scale out (or location)' \
	<<<"{ $J, \"params\": { \"location\": \"x.kfr\", \"scale\": 1 } }"
kfr kfr-iterations-0 'bad.json: params.max_iter: expected an integer from 1 to 1000000000, got 0 (Iterations, line 4 of params.location "x.kfr")' \
	'Re: 0\r\nIm: 0\r\nZoom: 1\r\nIterations: 0\r\n'
kfr kfr-burning-ship 'bad.json: params.location: "x.kfr" line 4: FractalType is "1", expected 0' \
	'Re: 0\r\nIm: 0\r\nZoom: 1\r\nFractalType: 1\r\n'
SETUP="printf '$K' >x.kfr" \
	t kfr-julia 'bad.json: params.location: unknown key' \
	<<<'{ "kernel": "julia", "width": 8, "height": 8, "params": { "c": [0, 1], "location": "x.kfr" } }'
# Zoom sequences (config_zoom.c).
Z='"kernel": "mandelbrot", "width": 8, "height": 8'
t zoom-not-object 'bad.json: zoom: expected {"frames": N, "to": SCALE, "png": PATTERN}, got 5' <<<"{ $Z, \"zoom\": 5 }"
t zoom-frames-one 'bad.json: zoom.frames: expected a whole number of frames from 2 to 100000, got 1' \
	<<<"{ $Z, \"zoom\": { \"frames\": 1, \"to\": \"1e-20\", \"png\": \"z_%d.png\" } }"
t zoom-to-zero 'bad.json: zoom.to: expected the last frame' \
	<<<"{ $Z, \"zoom\": { \"frames\": 3, \"to\": 0, \"png\": \"z_%d.png\" } }"
t zoom-png-pattern 'bad.json: zoom.png: expected a file name with one %d or %04d for the frame number, ending in .png' \
	<<<"{ $Z, \"zoom\": { \"frames\": 3, \"to\": \"1e-20\", \"png\": \"z.png\" } }"
t zoom-unknown-key 'bad.json: zoom.frame: unknown key (expected frames, to and png)' \
	<<<"{ $Z, \"zoom\": { \"frame\": 3, \"to\": \"1e-20\", \"png\": \"z_%d.png\" } }"
t zoom-and-png 'bad.json: output: a zoom writes its frames to zoom.png; leave output.png and output.iterations out' \
	<<<"{ $Z, \"output\": { \"png\": \"a.png\" }, \"zoom\": { \"frames\": 3, \"to\": \"1e-20\", \"png\": \"z_%d.png\" } }"
t zoom-in-defaults 'bad.json: defaults.zoom: unknown key (in jobs[0])' \
	<<<"{ \"defaults\": { $Z, \"zoom\": {} }, \"jobs\": [ {} ] }"
# A frame is named as its user sees it (its number and scale, the zoom's jobs[k]), not
# by its place in the batch the zoom became; the jobs after a zoom keep their jobs[k].
# Frame 3 of 5 from 3 to 1e-6 is at 3 x (1e-6 / 3)^(3/4) = 4.16e-05.
ZF='"zoom": { "frames": 5, "to": "1e-6", "png": "z_%d.png" }'
SETUP='echo precious >z_3.png && chmod 444 z_3.png' CHECK='[ "$(cat z_3.png)" = precious ]' \
	t zoom-frame-read-only "bad.json: zoom frame 3 (scale 4.16e-05): zoom.png: 'z_3.png' is read-only" \
	<<<"{ $Z, $ZF }"
t zoom-frame-clash "bad.json: jobs[1].output.png: 'z_3.png' is also written by zoom.png of jobs[0] (zoom frame 3, scale 4.16e-05)" \
	<<<"{ \"defaults\": { $Z }, \"jobs\": [ { $ZF }, { \"output\": { \"png\": \"z_3.png\" } } ] }"
t zoom-frame-clash-after "bad.json: jobs[1] (zoom frame 3, scale 4.16e-05): zoom.png: 'z_3.png' is also written by jobs[0].output.png" \
	<<<"{ \"defaults\": { $Z }, \"jobs\": [ { \"output\": { \"png\": \"z_3.png\" } }, { $ZF } ] }"
t zoom-frame-defaults "bad.json: jobs[0] (zoom frame 0, scale 3): defaults.params.max_iter: expected an integer" \
	<<<"{ \"defaults\": { $Z, \"params\": { \"max_iter\": 0 } }, \"jobs\": [ { $ZF } ] }"
t zoom-then-not-object 'bad.json: jobs[1]: expected an object, got 7' \
	<<<"{ \"defaults\": { $Z }, \"jobs\": [ { $ZF }, 7 ] }"
t zoom-with-o '-o: the config holds a zoom sequence, whose frames are written to its zoom.png; leave -o out' \
	-o a.png <<<"{ $Z, $ZF }"
FORKBAND_TEST_MEMAVAILABLE=1000 \
	t zoom-frame-memory 'bad.json: zoom frame 0 (scale 3): job needs' <<<"{ $Z, $ZF }"
t julia-deep 'bad.json: params.scale: expected a pixel size (scale / width) of at least 2^-48 times the center' \
	<<<'{ "kernel": "julia", "width": 8, "height": 8, "params": { "c": [0, 1], "scale": "1e-30" } }'
t choice-as-number 'bad.json: params.coloring: expected one of smooth, histogram, bands, got 1' <<EOF
{ $J, "params": { "coloring": 1 } }
EOF
t choice-typo "bad.json: params.palette: expected one of classic, fire, ocean, gray, viridis, got \"grey\" (did you mean 'gray'?)" <<EOF
{ $J, "params": { "palette": "grey" } }
EOF
t params-not-object 'bad.json: params: expected an object, got []' <<EOF
{ $J, "params": [] }
EOF
t width-as-string 'bad.json: width: expected an integer from 1 to 1000000, got "8"' <<EOF
{ "kernel": "mandelbrot", "width": "8", "height": 8 }
EOF

# ---- ranges ----
for v in 0 -5 2.5 1e10; do
	shown=$v
	[ "$v" = 1e10 ] && shown=10000000000
	t "max-iter-$v" "bad.json: params.max_iter: expected an integer from 1 to 1000000000, got $shown" <<EOF
{ $J, "params": { "max_iter": $v } }
EOF
done
t scale-0 'bad.json: params.scale: expected a finite number greater than 0, got 0' <<EOF
{ $J, "params": { "scale": 0 } }
EOF
t scale-negative 'bad.json: params.scale: expected a finite number greater than 0, got -1' <<EOF
{ $J, "params": { "scale": -1 } }
EOF
t bailout-0 'bad.json: params.bailout: expected a number greater than 0 and at most 1e+64, got 0' <<EOF
{ $J, "params": { "bailout": 0 } }
EOF
t width-0 'bad.json: width: expected an integer from 1 to 1000000, got 0' <<EOF
{ "kernel": "mandelbrot", "width": 0, "height": 8 }
EOF
t height-too-big 'bad.json: height: expected an integer from 1 to 1000000, got 1000001' <<EOF
{ "kernel": "mandelbrot", "width": 8, "height": 1000001 }
EOF
t scale-1e999 'bad.json: params.scale: expected a finite number greater than 0, got a number too large' <<EOF
{ $J, "params": { "scale": 1e999 } }
EOF
t max-iter-1e999 'bad.json: params.max_iter: expected an integer from 1 to 1000000000, got a number too large' <<EOF
{ $J, "params": { "max_iter": 1e999 } }
EOF
t center-minus-1e999 'bad.json: params.center[0]: expected a finite number, got a number too large for a double' <<EOF
{ $J, "params": { "center": [-1e999, 0] } }
EOF
t histogram-max-iter 'bad.json: params.max_iter: expected at most 16777216 with histogram coloring, got 16777217' <<EOF
{ $J, "params": { "coloring": "histogram", "max_iter": 16777217 } }
EOF
t workers-0 'bad.json: run.workers: expected an integer from 1 to 4096, got 0' <<EOF
{ $J, "run": { "workers": 0 } }
EOF
t workers-5000 'bad.json: run.workers: expected an integer from 1 to 4096, got 5000' <<EOF
{ $J, "run": { "workers": 5000 } }
EOF
t choice-wrong-case "bad.json: params.engine: expected one of blas, exact, got \"BLAS\" (did you mean 'blas'?)" <<EOF
{ "kernel": "matmul", "params": { "engine": "BLAS", "a": { "generate": "ones", "rows": 2, "cols": 2 },
  "b": { "generate": "ones", "rows": 2, "cols": 2 } } }
EOF
SETUP='"$bin" run -q --set width=8 --set height=8 -o in.png' \
	t op-wrong-case "bad.json: params.ops[0].op: expected one of gaussian, box, unsharp, sobel, median, convolve, gray, invert, got \"Gaussian\" (did you mean 'gaussian'?)" \
	<<<'{ "kernel": "filter", "input": "in.png", "params": { "ops": [ { "op": "Gaussian" } ] } }'
t schedule-typo "bad.json: run.schedule: expected one of static, cyclic, dynamic, guided, got \"dynamc\" (did you mean 'dynamic'?)" <<EOF
{ $J, "run": { "schedule": "dynamc" } }
EOF
t chunk-0 'bad.json: run.chunk: expected an integer from 1 to 1000000000, got 0' <<EOF
{ $J, "run": { "chunk": 0 } }
EOF
M='expected a size from 1M to 1P, such as 512M or 2G (a number is bytes), got'
t memory-unit "bad.json: run.memory: $M \"12X\"" <<<"{ $J, \"run\": { \"memory\": \"12X\" } }"
t memory-negative "bad.json: run.memory: $M -5" <<<"{ $J, \"run\": { \"memory\": -5 } }"
t memory-fraction "bad.json: run.memory: $M 1.5" <<<"{ $J, \"run\": { \"memory\": 1.5 } }"
t memory-tiny "bad.json: run.memory: $M \"512K\"" <<<"{ $J, \"run\": { \"memory\": \"512K\" } }"
t memory-huge "bad.json: run.memory: $M \"2P\"" <<<"{ $J, \"run\": { \"memory\": \"2P\" } }"
t memory-option "--memory: $M \"lots\"" --memory lots <<<"{ $J }"
# A budget that cannot hold one row of a wide image (and the rows its PNG groups reach
# back to): refused before anything runs, naming the least budget that would do.
t memory-below-one-strip '~^forkband: bad\.json: the smallest strip \(one row, .*\) needs [0-9.]+ MiB of memory, more than the budget of 1\.0 MiB: run\.memory or --memory must be at least [0-9]+K$' \
	<<<'{ "kernel": "mandelbrot", "width": 100000, "height": 10, "run": { "memory": "1M" }, "output": { "png": "w.png" } }'
t memory-below-one-strip-force '~the smallest strip .* must be at least [0-9]+K$' --force \
	<<<'{ "kernel": "mandelbrot", "width": 100000, "height": 10, "run": { "memory": "1M" }, "output": { "png": "w.png" } }'

# ---- sizes that cannot be mapped: refused at once, not after a hang or a crash ----
# Kernels that stream (mandelbrot, julia) take any size their strips fit; heat holds
# its grid whole.
t huge-image '~^forkband: bad\.json: width: expected a size whose (buffers can be mapped|buffers fit in memory).* got 1000000x1000000' <<'EOF'
{ "kernel": "heat", "width": 1000000, "height": 1000000, "output": { "png": "huge.png" } }
EOF
t huge-image-in-batch '~^forkband: bad\.json: jobs\[1\]\.width: expected a size whose .* got 1000000x1000000' <<EOF
{ "defaults": { $J },
  "jobs": [ { "output": { "png": "a.png" } },
            { "kernel": "heat", "width": 1000000, "height": 1000000, "output": { "png": "b.png" } } ] }
EOF

# ---- output paths ----
t output-missing-folder "bad.json: output.png: cannot write 'nosuch/x.png': folder 'nosuch' does not exist" <<EOF
{ $J, "output": { "png": "nosuch/x.png" } }
EOF
SETUP='mkdir pic.png' t output-is-folder "bad.json: output.png: 'pic.png' is a folder, expected a file path" <<EOF
{ $J, "output": { "png": "pic.png" } }
EOF
t output-trailing-slash "bad.json: output.png: 'nosuch/' ends in '/', expected a file path" <<EOF
{ $J, "output": { "png": "nosuch/" } }
EOF
t output-under-a-file "bad.json: output.png: cannot write 'bad.json/x.png': 'bad.json' is not a folder" <<EOF
{ $J, "output": { "png": "bad.json/x.png" } }
EOF
t output-empty 'bad.json: output.png: expected a file path, got ""' <<EOF
{ $J, "output": { "png": "" } }
EOF
# Root may write anywhere: as root, run this case as nobody (setpriv, util-linux).
unwritable_skip="" as_nobody=""
if [ "$(id -u)" = 0 ]; then
	# nobody must also be able to reach the binary (a clone under /root is not).
	if command -v setpriv >/dev/null &&
		setpriv --reuid=nobody --regid=nogroup --clear-groups "$bin" --version >/dev/null 2>&1; then
		as_nobody=1
	else
		unwritable_skip="running as root, and user nobody cannot run $bin (or no setpriv)"
	fi
fi
AS_NOBODY=$as_nobody SKIP=$unwritable_skip SETUP='mkdir ro && chmod 555 ro' \
	t output-unwritable-folder "bad.json: output.png: cannot write 'ro/x.png': Permission denied" <<EOF
{ $J, "output": { "png": "ro/x.png" } }
EOF
t output-wrong-extension "bad.json: output.png: 'x.jpg': forkband writes PNG; name it .png" <<EOF
{ $J, "output": { "png": "x.jpg" } }
EOF
t output-npy-extension "bad.json: output.iterations: 'x.png': forkband writes NPY; name it .npy" <<EOF
{ $J, "output": { "png": "y.png", "iterations": "x.png" } }
EOF
t output-control-character "bad.json: output.png: expected a file path without control characters, got one with byte 0x0a at offset 1" <<EOF
{ $J, "output": { "png": "a\\nb.png" } }
EOF
t set-batch-key "--set jobs: unknown key in a job (jobs belongs at the top of a batch file)" --set 'jobs=[]' <<EOF
{ $J }
EOF
t set-creates-defaults "--set defaults.width: defaults: unknown key in a job" --set defaults.width=5 <<EOF
{ $J }
EOF
t heat-alpha-unstable 'bad.json: params.alpha: expected a number greater than 0 and at most 0.25, got 0.3' <<EOF
{ "kernel": "heat", "width": 8, "height": 8, "params": { "alpha": 0.3 } }
EOF
t heat-range-backwards "bad.json: params.range: expected [lo, hi] with lo below hi, got [5,1]" <<EOF
{ "kernel": "heat", "width": 8, "height": 8, "params": { "range": [5, 1] } }
EOF
t heat-frames-bad-pattern 'bad.json: output.frames.png: expected a file name with one %d or %05d for the step' <<EOF
{ "kernel": "heat", "width": 8, "height": 8, "output": { "frames": { "every": 5, "png": "f%s.png" } } }
EOF
t frames-on-matmul "bad.json: output.frames: unknown key: matmul takes no steps to film" <<EOF
{ "kernel": "matmul", "params": { "a": { "generate": "ones", "rows": 2, "cols": 2 },
  "b": { "generate": "ones", "rows": 2, "cols": 2 } }, "output": { "frames": { "every": 1, "png": "f%d.png" } } }
EOF
t heat-source-without-value "bad.json: params.sources[0].value: missing" <<EOF
{ "kernel": "heat", "width": 8, "height": 8, "params": { "sources": [ { "x": 1, "y": 2 } ] } }
EOF
t heat-boundary-typo "bad.json: params.boundary.lft: unknown key (did you mean 'left'?)" <<EOF
{ "kernel": "heat", "width": 8, "height": 8, "params": { "boundary": { "lft": 1 } } }
EOF
t matmul-inner-dimensions "a is 3x4 but b is 5x2: inner dimensions differ" <<EOF
{ "kernel": "matmul", "params": { "a": { "generate": "ones", "rows": 3, "cols": 4 },
  "b": { "generate": "ones", "rows": 5, "cols": 2 } } }
EOF
t julia-without-c "bad.json: params.c: missing; julia needs it" <<EOF
{ "kernel": "julia", "width": 8, "height": 8 }
EOF
t julia-bad-c 'bad.json: params.c: expected [re, im], two finite numbers, got [1]' <<EOF
{ "kernel": "julia", "width": 8, "height": 8, "params": { "c": [1] } }
EOF
t mandelbrot-has-no-c "bad.json: params.c: unknown key" <<EOF
{ $J, "params": { "c": [0, 1] } }
EOF
t bailout-overflows 'bad.json: params.bailout: expected a number greater than 0 and at most 1e+64, got 1e+70' <<EOF
{ $J, "params": { "bailout": 1e70 } }
EOF
t output-same-path-in-job "bad.json: output.iterations: '-' is also written by output.png" <<EOF
{ $J, "output": { "png": "-", "iterations": "-" } }
EOF
t output-same-path-across-jobs "bad.json: jobs[1].output.png: 'a.png' is also written by jobs[0].output.png" <<EOF
{ "defaults": { $J },
  "jobs": [ { "output": { "png": "a.png" } }, { "output": { "png": "a.png" } } ] }
EOF
t output-same-path-from-defaults "bad.json: defaults.output.png: 'a.png' is also written by jobs[0].output.png (in jobs[1])" <<EOF
{ "defaults": { $J, "output": { "png": "a.png" } }, "jobs": [ {}, {} ] }
EOF

# ---- batches: every job is checked before the first one runs ----
t batch-empty-jobs 'bad.json: jobs: expected a non-empty array of jobs, got []' <<EOF
{ "defaults": { $J }, "jobs": [] }
EOF
t batch-jobs-not-array 'bad.json: jobs: expected a non-empty array of jobs, got {}' <<EOF
{ "defaults": { $J }, "jobs": {} }
EOF
t batch-no-jobs 'bad.json: jobs: expected a non-empty array of jobs, got nothing' <<EOF
{ "defaults": { $J } }
EOF
t batch-misspelt-jobs "bad.json: jbos: unknown key in a batch (expected defaults and jobs) (did you mean 'jobs'?)" <<EOF
{ "defaults": { $J }, "jbos": [ {} ] }
EOF
t batch-job-not-object 'bad.json: jobs[1]: expected an object, got 5' <<EOF
{ "defaults": { $J }, "jobs": [ {}, 5 ] }
EOF
# jobs[0] and jobs[1] are fine and write a PNG each: neither may appear.
t batch-bad-third-job 'bad.json: jobs[2].params.scale: expected a finite number greater than 0, got 0' <<EOF
{ "defaults": { $J },
  "jobs": [ { "output": { "png": "a.png" } },
            { "output": { "png": "b.png", "report": "b.json" } },
            { "params": { "scale": 0 }, "output": { "png": "c.png" } } ] }
EOF
t batch-error-in-defaults 'bad.json: defaults.params.max_iter: expected an integer from 1 to 1000000000, got 0 (in jobs[0])' <<EOF
{ "defaults": { $J, "params": { "max_iter": 0 } },
  "jobs": [ { "output": { "png": "a.png" } } ] }
EOF
t batch-unknown-key-in-defaults "bad.json: defaults.widht: unknown key (did you mean 'width'?) (in jobs[0])" <<EOF
{ "defaults": { $J, "widht": 8 }, "jobs": [ { "output": { "png": "a.png" } } ] }
EOF

# ---- the command line: errors name the option ----
t set-bad-value '--set params.max_iter: expected an integer from 1 to 1000000000, got 0' \
	--set params.max_iter=0 <<<"{ $J }"
t set-not-all-json '--set params.max_iter: expected an integer from 1 to 1000000000, got "5x"' \
	--set params.max_iter=5x <<<"{ $J }"
t set-without-equals "--set: expected PATH=VALUE, got 'params.max_iter'" \
	--set params.max_iter <<<"{ $J }"
t set-unknown-field "--set params.maxiter: unknown key (did you mean 'max_iter'?)" \
	--set params.maxiter=5 <<<"{ $J }"
t set-duplicate-key '--set params: max_iter: duplicate key' \
	--set 'params={"max_iter": 5, "max_iter": 6}' <<<"{ $J }"
t set-in-batch '--set params.scale: expected a finite number greater than 0, got -1' \
	--set params.scale=-1 <<EOF
{ "defaults": { $J }, "jobs": [ { "output": { "png": "a.png" } }, {} ] }
EOF
# List items are addressable (params.ops[0].sigma); an index names an item that exists.
IN='"$bin" run -q --set width=8 --set height=8 -o in.png'
F='"kernel": "filter", "input": "in.png"'
SETUP=$IN t set-index-bad-value '--set params.ops[0].sigma: expected a number greater than 0 and at most 100, got 0' \
	--set 'params.ops[0].sigma=0' <<<"{ $F, \"params\": { \"ops\": [ { \"op\": \"gaussian\", \"sigma\": 1 } ] } }"
SETUP=$IN t set-index-unknown-key "--set params.ops[1].sigam: unknown key (did you mean 'sigma'?)" \
	--set 'params.ops[1].sigam=2' <<<"{ $F, \"params\": { \"ops\": [ { \"op\": \"gray\" }, { \"op\": \"gaussian\" } ] } }"
SETUP=$IN t set-index-out-of-range '--set params.ops[2].sigma: index 2 is out of range: params.ops holds 2 items' \
	--set 'params.ops[2].sigma=2' <<<"{ $F, \"params\": { \"ops\": [ { \"op\": \"gray\" }, { \"op\": \"gaussian\" } ] } }"
SETUP=$IN t set-index-negative "--set params.ops[-1].sigma: expected a list index of 0 or more in [], got '[-1]'" \
	--set 'params.ops[-1].sigma=2' <<<"{ $F, \"params\": { \"ops\": [ { \"op\": \"gaussian\" } ] } }"
SETUP=$IN t set-index-unset-list '--set params.ops[0].op: params.ops is not set: there is no list to take an item of' \
	--set 'params.ops[0].op=gray' <<<"{ $F }"
t set-index-not-a-list "--set params.max_iter[0]: cannot take an item of 'params.max_iter', which is 5, not a list" \
	--set 'params.max_iter[0]=1' <<<"{ $J, \"params\": { \"max_iter\": 5 } }"
t set-index-into-a-number "--set params.center[0].x: cannot set a field inside 'params.center[0]', which is 0, not an object" \
	--set 'params.center[0].x=1' <<<"{ $J, \"params\": { \"center\": [0, 0] } }"
# An empty list of ops would only copy the input: refused, from the file or from --set.
SETUP=$IN t ops-empty 'bad.json: params.ops: expected at least one operation, such as [{"op": "gaussian"}], got []' \
	<<<"{ $F, \"params\": { \"ops\": [] } }"
SETUP=$IN t set-ops-empty '--set params.ops: expected at least one operation' \
	--set 'params.ops=[]' <<<"{ $F, \"params\": { \"ops\": [ { \"op\": \"gray\" } ] } }"
# White space around '=' and the value is trimmed: the label names the bare path, and
# the value is the number 0, not the string " 0 ".
t set-trimmed '--set params.max_iter: expected an integer from 1 to 1000000000, got 0' \
	--set ' params.max_iter = 0 ' <<<"{ $J }"
t workers-option-0 '-j: expected an integer from 1 to 4096, got 0' -j 0 <<<"{ $J }"
t workers-option-abc '-j: expected an integer from 1 to 4096, got "abc"' -j abc <<<"{ $J }"
t workers-option-1e999 '-j: expected an integer from 1 to 4096, got a number too large' -j 1e999 <<<"{ $J }"
t schedule-option-bogus '--schedule: expected one of static, cyclic, dynamic, guided, got "bogus"' \
	--schedule bogus <<<"{ $J }"
t schedule-option-typo "--schedule: expected one of static, cyclic, dynamic, guided, got \"statik\" (did you mean 'static'?)" \
	--schedule statik <<<"{ $J }"
t chunk-option-0 '--chunk: expected an integer from 1 to 1000000000, got 0' --chunk 0 <<<"{ $J }"
t output-option-missing-folder "-o: cannot write 'nosuch/x.png': folder 'nosuch' does not exist" \
	-o nosuch/x.png <<<"{ $J }"
t output-option-batch '-o: the config holds 2 jobs; give each its output.png instead' -o x.png <<EOF
{ "defaults": { $J }, "jobs": [ {}, {} ] }
EOF
t report-option-missing-folder "--report: cannot write 'nosuch/r.json': folder 'nosuch' does not exist" \
	--report nosuch/r.json <<<"{ $J }"
t report-option-is-output "--report: 'x.png' is also written by output.png" \
	--report x.png <<<"{ $J, \"output\": { \"png\": \"x.png\" } }"
# Without a value, -j must stop the run, not run the built-in job (mandelbrot.png here).
t option-without-value 'run: -j needs a value' -j <<<"{ $J }"
t unknown-option "run: unknown option '--bogus'" --bogus <<<"{ $J }"
t unknown-short-option "run: unknown option '-x'" -x <<<"{ $J }"
t two-configs "run: one config file at a time, got 'other.json' too" other.json <<<"{ $J }"
NOCONF=1 t config-missing "cannot open 'missing.json': No such file or directory" \
	missing.json </dev/null
NOCONF=1 SETUP='mkdir folder.json' \
	t config-is-folder "cannot read 'folder.json': it is a folder, expected a JSON file" \
	folder.json </dev/null

# ---- one notion of "the same file": every alias is refused before anything runs ----
# Each case leaves keep.png (and every other file it made) as it was.
KEEP='printf precious >keep.png'
KEPT='[ "$(cat keep.png)" = precious ]'
# A real PNG where a filter reads it; kept.png is its copy to compare with.
KEEP_PNG='"$bin" run -q --set width=8 --set height=8 -o keep.png && cp keep.png kept.png'
KEPT_PNG='cmp -s keep.png kept.png'
SETUP="$KEEP && ln -s keep.png link.png" CHECK="$KEPT" \
	t alias-report-symlink-to-png "--report: 'link.png' is also written by output.png ('keep.png')" \
	-o keep.png --report link.png <<<"{ $J }"
SETUP="$KEEP && ln -s keep.png link.png" CHECK="$KEPT" \
	t alias-png-symlink-to-report "--report: 'keep.png' is also written by output.png ('link.png')" \
	-o link.png --report keep.png <<<"{ $J }"
SETUP="$KEEP && ln keep.png hard.png" CHECK="$KEPT" \
	t alias-report-hard-link "--report: 'hard.png' is also written by output.png ('keep.png')" \
	-o keep.png --report hard.png <<<"{ $J }"
SETUP="$KEEP" CHECK="$KEPT" \
	t alias-dot-slash "output.report: './keep.png' is also written by output.png ('keep.png')" <<EOF
{ $J, "output": { "png": "keep.png", "report": "./keep.png" } }
EOF
# A dangling link names the file it would create.
SETUP="ln -s new.png dangling.png" CHECK='[ ! -e new.png ] && [ -L dangling.png ]' \
	t alias-dangling-symlink "output.report: 'new.png' is also written by output.png ('dangling.png')" <<EOF
{ $J, "output": { "png": "dangling.png", "report": "new.png" } }
EOF
SETUP="$KEEP && ln -s keep.png link.npy" CHECK="$KEPT" \
	t alias-npy-symlink-to-png "output.npy: 'link.npy' is also written by output.png ('keep.png')" <<EOF
{ "kernel": "matmul", "params": { "a": { "generate": "ones", "rows": 2, "cols": 2 },
  "b": { "generate": "ones", "rows": 2, "cols": 2 } },
  "output": { "png": "keep.png", "npy": "link.npy" } }
EOF
SETUP="$KEEP_PNG && ln -s keep.png link.png" CHECK="$KEPT_PNG" \
	t alias-batch-input-symlink-to-output "jobs[1].input: 'link.png' is written by jobs[0].output.png ('keep.png'), but inputs are read before any job runs" <<EOF
{ "jobs": [ { $J, "output": { "png": "keep.png" } },
            { "kernel": "filter", "input": "link.png", "params": { "ops": [ { "op": "gray" } ] } } ] }
EOF
SETUP="$KEEP_PNG" CHECK="$KEPT_PNG" \
	t alias-output-over-own-input "-o: 'keep.png' would replace input, which the run reads: write to another file" \
	-o keep.png <<<'{ "kernel": "filter", "input": "keep.png", "params": { "ops": [ { "op": "gray" } ] } }'
SETUP="$KEEP_PNG && ln -s keep.png link.png" CHECK="$KEPT_PNG" \
	t alias-output-symlink-to-own-input "-o: 'link.png' would replace input ('keep.png'), which the run reads" \
	-o link.png <<<'{ "kernel": "filter", "input": "keep.png", "params": { "ops": [ { "op": "gray" } ] } }'
CHECK='grep -q kernel bad.json' \
	t alias-output-over-config "--report: 'bad.json' would replace the config file" --report bad.json <<<"{ $J }"
SETUP='ln -s bad.json cfg.png' CHECK='grep -q kernel bad.json' \
	t alias-output-symlink-to-config "-o: 'cfg.png' would replace the config file ('bad.json')" \
	-o cfg.png <<<"{ $J }"
SETUP='ln -s bad.json r.json' CHECK='grep -q kernel bad.json' \
	t alias-report-symlink-to-config "--report: 'r.json' would replace the config file ('bad.json')" \
	--report r.json <<<"{ $J }"
# Frames: a pattern clashes with any name it can produce, and with another pattern.
H='"kernel": "heat", "width": 8, "height": 8, "params": { "steps": 20 }'
t frames-extension "bad.json: output.frames.png: 'h_%d.jpg': forkband writes PNG; name it .png" \
	<<<"{ $H, \"output\": { \"frames\": { \"every\": 2, \"png\": \"h_%d.jpg\" } } }"
SETUP="$KEEP" CHECK="$KEPT" \
	t alias-output-is-a-frame "-o: 'f_00010.png' is a frame name that output.frames.png ('f_%05d.png') can write" \
	-o f_00010.png <<<"{ $H, \"output\": { \"frames\": { \"every\": 10, \"png\": \"f_%05d.png\" } } }"
SETUP="ln -s f_123456.png link.png" \
	t alias-symlink-to-a-frame "-o: 'link.png' is a frame name that output.frames.png ('f_%05d.png') can write" \
	-o link.png <<<"{ $H, \"output\": { \"frames\": { \"every\": 10, \"png\": \"f_%05d.png\" } } }"
t alias-report-is-a-frame "--report: 'f_7.png' is a frame name that output.frames.png ('f_%d.png') can write" \
	--report f_7.png <<<"{ $H, \"output\": { \"frames\": { \"every\": 10, \"png\": \"f_%d.png\" } } }"
t alias-frames-of-two-jobs "jobs[1].output.frames.png: can name the same frame files as jobs[0].output.frames.png" <<EOF
{ "defaults": { $H }, "jobs": [ { "output": { "frames": { "every": 10, "png": "f_%05d.png" } } },
                                { "output": { "frames": { "every": 5, "png": "f_0%04d.png" } } } ] }
EOF
t frames-step-in-folder 'output.frames.png: expected the step in the file name, not in a folder' <<EOF
{ $H, "output": { "frames": { "every": 10, "png": "f%d/x.png" } } }
EOF
# Files already at names a frame pattern will produce are outputs too.
SETUP='ln -s bad.json h_2.png' CHECK='grep -q kernel bad.json' \
	t frames-existing-link-to-config "output.frames.png: 'h_2.png' would replace the config file ('bad.json')" \
	<<<"{ $H, \"output\": { \"frames\": { \"every\": 2, \"png\": \"h_%d.png\" } } }"
SETUP="$KEEP && ln -s keep.png h_4.png" CHECK="$KEPT" \
	t frames-existing-link-to-output "-o: 'keep.png' is also written by output.frames.png ('h_4.png')" \
	-o keep.png <<<"{ $H, \"output\": { \"frames\": { \"every\": 2, \"png\": \"h_%d.png\" } } }"
SETUP="$KEEP && chmod 444 keep.png && mv keep.png h_4.png" CHECK='[ "$(cat h_4.png)" = precious ]' \
	t frames-existing-read-only "output.frames.png: a frame would replace 'h_4.png': 'h_4.png' is read-only" \
	<<<"{ $H, \"output\": { \"frames\": { \"every\": 2, \"png\": \"h_%d.png\" } } }"
SETUP='mkfifo h_2.png' CHECK='[ -p h_2.png ]' \
	t frames-existing-fifo "output.frames.png: a frame would replace 'h_2.png': 'h_2.png' is not a regular file" \
	<<<"{ $H, \"output\": { \"frames\": { \"every\": 2, \"png\": \"h_%d.png\" } } }"
STACK=256 t set-path-10000-parts "--set a.a.a" --set "$(printf 'a.%.0s' {1..9999})a=1" <<<"{ $J }"
# Read-only files are refused, not replaced (root included: judged by the mode bits).
SETUP="$KEEP && chmod 0444 keep.png" CHECK="$KEPT" \
	t output-read-only "-o: 'keep.png' is read-only: forkband does not replace it (--force does)" \
	-o keep.png <<<"{ $J }"
SETUP="$KEEP && chmod 0444 keep.png && ln -s keep.png link.json" CHECK="$KEPT" \
	t report-symlink-to-read-only "--report: 'link.json' is read-only" --report link.json <<<"{ $J }"
# The temporary file is named after the file a symbolic link points at: that name must
# fit too, and is checked before the run.
SETUP="ln -s $(printf '%0.sx' {1..250}).png long.png" \
	t output-symlink-to-long-name "-o: cannot write 'long.png': the file name it links to is longer than 247 bytes" \
	-o long.png <<<"{ $J }"
# Inputs are files: a FIFO would block the open (and a pipe cannot be read twice).
SETUP='mkfifo in.png' \
	t input-fifo "input: 'in.png' is not a regular file (a pipe or a device)" \
	<<<'{ "kernel": "filter", "input": "in.png", "params": { "ops": [ { "op": "gray" } ] } }'
SETUP='mkfifo a.npy' \
	t npy-input-fifo "params.a.npy: 'a.npy' is not a regular file (a pipe or a device)" <<EOF
{ "kernel": "matmul", "params": { "a": { "npy": "a.npy" }, "b": { "generate": "ones", "rows": 2, "cols": 2 } } }
EOF
t force-with-value "run: --force takes no value" --force=1 <<<"{ $J }"

echo "$n cases: $((n - failed - skipped)) passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]

#!/usr/bin/env bash
# run.sh: the bad-input corpus. Every file under configs/ (bad configs) and files/
# (bad PNG and .npy files) is one case, with one line in expected.tsv:
#
#   PATH <tab> STATUS <tab> PATTERN [<tab> FLAGS]
#
# PATH is relative to tests/bad; STATUS the exit status forkband must give (2: bad
# input); PATTERN a fixed string the one line on stderr must contain or, after a
# leading '~', an extended regular expression (bytes, LC_ALL=C) it must match. FLAGS,
# comma-separated:
#   no-o     do not pass -o (the case is about output paths or a batch: -o would
#            replace output.png, or be refused for a batch of several jobs)
#   no-j     do not pass -j (the case is about run.workers or the run object)
#   rerun    run the PNG itself (`forkband run FILE.png`: the job stored in it)
#   known=N  a known problem, item N of the report: the case may fail its status,
#            pattern or files without failing the test (it is listed as xfail, or
#            XPASS once fixed: then drop the mark), but it must still not hang or die
#            by a signal.
#
# Each case runs in a fresh folder holding the case's file, the valid inputs of good/
# (input.png, m2x3.npy) and, for files/, a config that uses the file:
#   .png, .jpg: {"kernel": "filter", "input": FILE, "params": {"ops": [{"op": "gray"}]}}
#   .npy:       {"kernel": "matmul", "params": {"a": {"npy": FILE},
#                                               "b": {"generate": "ones", ...}}}
# as job.json; it runs `forkband run CONFIG -o out.png -j 2` there under `timeout 20`
# and checks the exit status, that stderr is exactly one line and matches, that
# stdout is empty, and that no file appeared in the folder (no output, no hidden
# .name.XXXXXX temporary file). It also checks that expected.tsv and the folders
# agree, file for file, and that the corpus holds at least 40 configs and 30 bad
# image or .npy files.
#
# usage: run.sh FORKBAND SRCDIR
#   SRCDIR is the source tree's root (the corpus is SRCDIR/tests/bad).
# BAD_WRAP, if set, is put before the command, for example
#   BAD_WRAP="valgrind -q --leak-check=full --error-exitcode=99 --child-silent-after-fork=yes"
# BAD_ONLY, if set, is an extended regular expression: only cases whose PATH matches.
set -u
export LC_ALL=C

if [ $# -ne 2 ]; then
	echo "usage: $0 FORKBAND SRCDIR" >&2
	exit 2
fi
case $1 in
/*) bin=$1 ;;
*) bin=$PWD/$1 ;;
esac
corpus=$2/tests/bad
if [ ! -x "$bin" ]; then
	echo "$0: '$1' is not an executable" >&2
	exit 2
fi
if [ ! -f "$corpus/expected.tsv" ]; then
	echo "$0: no $corpus/expected.tsv" >&2
	exit 2
fi
read -r -a wrap <<<"${BAD_WRAP:-}"
min_configs=40 min_files=30
timeout_s=20

top=$(mktemp -d)
trap 'rm -rf "$top"' EXIT
n=0 passed=0 failed=0 xfail=0 xpass=0

fail() {
	failed=$((failed + 1))
	echo "FAIL $*"
}

# Every file and folder under $1, hidden ones too, one path a line, sorted.
list_files() {
	(cd "$1" && shopt -s globstar dotglob nullglob && printf '%s\n' **) | sort
}

# ---- the manifest and the folders must agree ----
grep -v -e '^#' -e '^$' "$corpus/expected.tsv" | cut -f1 | sort >"$top/listed"
(cd "$corpus" && find configs files -type f | sort) >"$top/present"
dups=$(uniq -d "$top/listed")
[ -z "$dups" ] || fail "manifest: listed more than once: $(echo $dups)"
missing=$(comm -13 "$top/listed" "$top/present")
[ -z "$missing" ] || fail "manifest: files with no line in expected.tsv: $(echo $missing)"
stale=$(comm -23 "$top/listed" "$top/present")
[ -z "$stale" ] || fail "manifest: lines for files that do not exist: $(echo $stale)"
configs=$(grep -c '^configs/.*\.json$' "$top/present")
files=$(grep -Ec '^files/.*\.(png|jpg|npy)$' "$top/present")
[ "$configs" -ge $min_configs ] || fail "corpus: $configs configs, expected at least $min_configs"
[ "$files" -ge $min_files ] || fail "corpus: $files image and .npy files, expected at least $min_files"
others=$(grep -v -E '^configs/.*\.json$|^files/.*\.(png|jpg|npy)$' "$top/present")
[ -z "$others" ] || fail "corpus: files of no known kind: $(echo $others)"

# ---- the cases ----
# case PATH STATUS PATTERN FLAGS
run_case() {
	local path=$1 want=$2 pattern=$3 flags=$4
	local name=${path#*/} dir out got lines new why="" known="" config
	local -a args

	n=$((n + 1))
	dir=$top/case$n
	out=$top/case$n.out
	mkdir "$dir" "$out"
	cp "$corpus"/good/* "$dir"/
	cp "$corpus/$path" "$dir/$name"
	case ,$flags, in *,known=*) known=${flags#*known=} known=${known%%,*} ;; esac
	case $path,$flags in
	configs/*) config=$name ;;
	files/*,*rerun*) config=$name ;;
	files/*.png,* | files/*.jpg,*)
		config=job.json
		printf '{ "kernel": "filter", "input": "%s", "params": { "ops": [ { "op": "gray" } ] } }\n' \
			"$name" >"$dir/job.json"
		;;
	files/*.npy,*)
		config=job.json
		printf '{ "kernel": "matmul", "params": { "a": { "npy": "%s" }, %s } }\n' "$name" \
			'"b": { "generate": "ones", "rows": 3, "cols": 2 }' >"$dir/job.json"
		;;
	*)
		fail "$path: no way to run it"
		return
		;;
	esac
	args=("$config")
	case ,$flags, in *,no-o,*) ;; *) args+=(-o out.png) ;; esac
	case ,$flags, in *,no-j,*) ;; *) args+=(-j 2) ;; esac

	list_files "$dir" >"$out/before"
	(cd "$dir" && exec timeout -k 5 $timeout_s "${wrap[@]}" "$bin" run "${args[@]}") \
		>"$out/stdout" 2>"$out/stderr" </dev/null
	got=$?
	list_files "$dir" >"$out/after"

	lines=$(wc -l <"$out/stderr")
	new=$(comm -13 "$out/before" "$out/after" | tr '\n' ' ')
	if [ "$got" = 124 ] || [ "$got" = 137 ]; then
		fail "$path: timed out after $timeout_s s (forkband run ${args[*]})"
		return
	fi
	if [ -n "$known" ] && [ "$got" -gt 128 ]; then
		fail "$path: killed by signal $((got - 128)) (forkband run ${args[*]})"
		return
	fi
	[ "$got" = "$want" ] || why="exit status $got, expected $want"
	if [ "$lines" != 1 ] || [ -n "$(tail -c 1 "$out/stderr")" ]; then
		why="${why:+$why; }stderr has $lines lines, expected exactly one"
	elif [ "${pattern:0:1}" = "~" ]; then
		grep -Eq -- "${pattern:1}" "$out/stderr" ||
			why="${why:+$why; }stderr does not match /${pattern:1}/"
	else
		grep -Fq -- "$pattern" "$out/stderr" ||
			why="${why:+$why; }stderr does not contain '$pattern'"
	fi
	[ -s "$out/stdout" ] && why="${why:+$why; }stdout is not empty"
	[ -n "$new" ] && why="${why:+$why; }new files: $new"

	if [ -z "$why" ] && [ -z "$known" ]; then
		passed=$((passed + 1))
		return
	fi
	if [ -z "$why" ]; then
		xpass=$((xpass + 1))
		echo "XPASS $path: known problem $known no longer shows: drop its known= mark"
		return
	fi
	if [ -n "$known" ]; then
		xfail=$((xfail + 1))
		echo "xfail $path (known problem $known): $why"
	else
		fail "$path: $why (forkband run ${args[*]})"
	fi
	head -5 "$out/stderr" | cat -v | while IFS= read -r line; do echo "      stderr: $line"; done
}

while IFS=$'\t' read -r path want pattern flags; do
	case $path in '' | '#'*) continue ;; esac
	[ -f "$corpus/$path" ] || continue # reported above
	if [ -n "${BAD_ONLY:-}" ] && ! [[ $path =~ $BAD_ONLY ]]; then
		continue
	fi
	if [ -z "$want" ] || [ -z "$pattern" ]; then
		fail "manifest: $path: expected PATH, STATUS and PATTERN separated by tabs"
		continue
	fi
	run_case "$path" "$want" "$pattern" "${flags:-}"
done <"$corpus/expected.tsv"

summary="bad corpus: $n cases ($configs configs, $files image and .npy files): $passed passed,"
summary+=" $failed failed, $xfail known problems"
[ "$xpass" = 0 ] || summary+=", $xpass known problems fixed"
echo "$summary"
[ "$failed" = 0 ]

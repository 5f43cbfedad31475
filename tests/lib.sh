# lib.sh: what the test scripts share; sourced (after `set -u`) by those that check a
# command's results one by one:
#   $dir       a scratch folder, removed at exit (a script may set its own EXIT trap)
#   $fail      1 once anything failed: the script ends with `exit $fail`
#   ok, bad    one line each: "ok: ..." or "FAIL: ..." (bad also sets $fail)
#   expect STATUS DESCRIPTION -- COMMAND...
#              runs COMMAND (stdin from the file named by $stdin when that is set) with
#              its stdout and stderr in $dir/stdout and $dir/stderr, and checks its
#              exit status
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0

ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fail=1; }

expect() {
	local want=$1 what=$2 got
	shift 3
	if [ -n "${stdin:-}" ]; then
		"$@" >"$dir/stdout" 2>"$dir/stderr" <"$stdin"
	else
		"$@" >"$dir/stdout" 2>"$dir/stderr"
	fi
	got=$?
	if [ "$got" = "$want" ]; then ok "$what (exit $got)"; else
		bad "$what: exit $got, expected $want; stderr: $(head -c 300 "$dir/stderr")"; fi
}

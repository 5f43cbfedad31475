#!/usr/bin/env bash
# library.sh: libforkband as a user gets it. `cmake --install` the build into a
# temporary prefix, then build examples/sum_squares.c against what was installed, shared
# and static, once through pkg-config and once through find_package(forkband)
# (examples/CMakeLists.txt), and run each program. Also: every installed header compiles
# on its own under -std=c11 -Wpedantic, and the lock variant the headers pick without
# any -D is the one forkband itself was built with.
# usage: library.sh BUILD_DIR SOURCE_DIR CC CMAKE
set -u
build=$(realpath "$1")
src=$(realpath "$2")
cc=$3
cmake=$4
. "$(dirname "$0")/lib.sh"

# The flags a careful user builds with: if the installed headers warn, this fails.
cflags="-std=c11 -Wall -Wextra -Wpedantic -Werror -O2"

prefix=$dir/prefix
if ! "$cmake" --install "$build" --prefix "$prefix" >"$dir/install.log" 2>&1; then
	bad "cmake --install: $(tail -5 "$dir/install.log")"
	exit 1
fi
pc=$(find "$prefix" -name forkband.pc)
[ -n "$pc" ] || { bad "no forkband.pc installed"; exit 1; }
libdir=$(dirname "$(dirname "$pc")")
inc=$prefix/include/forkband
for f in "$inc/pool.h" "$inc/spinlock.h" "$inc/shared_mem.h" "$inc/forkband_config.h" \
	"$libdir/libforkband.a" "$libdir/cmake/forkband/forkbandConfig.cmake"; do
	[ -f "$f" ] || bad "not installed: ${f#"$prefix"/}"
done
[ -e "$inc/fault.h" ] && bad "fault.h (test machinery) is installed"
soname=$(readelf -d "$libdir/libforkband.so" 2>/dev/null | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
case $soname in
libforkband.so.[0-9]*) [ -e "$libdir/$soname" ] && ok "shared library, SONAME $soname" ||
	bad "SONAME $soname, but no such file" ;;
*) bad "libforkband.so has no versioned SONAME: '$soname'" ;;
esac
# Only the API's names are exported.
other=$(nm -D --defined-only "$libdir/libforkband.so" | awk '{print $3}' | grep -v '^fb_\|^shared_')
[ -z "$other" ] && ok "exports only fb_* and shared_*" || bad "exports $(echo $other)"

# Each installed header on its own (the two lock primitives refuse to be included
# directly: spinlock.h includes them).
for h in "$inc"/*.h; do
	case ${h##*/} in spinlock_c11.h | spinlock_x86_64.h) continue ;; esac
	printf '#include <forkband/%s>\nint main(void) { return 0; }\n' "${h##*/}" >"$dir/h.c"
	$cc $cflags -fsyntax-only -I"$prefix/include" "$dir/h.c" 2>"$dir/h.err" ||
		bad "<forkband/${h##*/}> alone: $(head -3 "$dir/h.err")"
done

# The lock variant: the installed headers, without -D, against forkband --version.
printf '#include <forkband/spinlock.h>\n#include <stdio.h>\nint main(void) { puts(FB_LOCK_VARIANT); return 0; }\n' >"$dir/lock.c"
if $cc $cflags -I"$prefix/include" "$dir/lock.c" -o "$dir/lock"; then
	want=$("$prefix/bin/forkband" --version | sed -n 's/^lock: //p')
	got=$("$dir/lock")
	[ -n "$want" ] && [ "$got" = "$want" ] && ok "installed headers pick the library's lock ($got)" ||
		bad "installed headers pick lock '$got', forkband was built with '$want'"
else
	bad "a program including <forkband/spinlock.h> does not build"
fi

# check NAME PROGRAM LINKAGE: runs PROGRAM with 3 workers; its three sums must agree and
# it must exit 0. LINKAGE shared: it needs libforkband.so; static: it does not.
check() {
	local name=$1 prog=$2 linkage=$3
	local rc sums
	"$prog" 3 >"$dir/out" 2>"$dir/err"
	rc=$?
	if [ "$rc" != 0 ]; then
		bad "$name: exit $rc: $(cat "$dir/out" "$dir/err" | head -5)"
		return
	fi
	# The first number on each line: the serial sum and the two parallel ones.
	sums=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) { print $i; break } }' \
		"$dir/out" | sort -u | wc -l)
	if [ "$(wc -l <"$dir/out")" = 3 ] && [ "$sums" = 1 ] && [ "$(grep -c ' ok$' "$dir/out")" = 2 ]; then
		ok "$name runs and agrees with the serial loop"
	else
		bad "$name: $(cat "$dir/out")"
	fi
	if readelf -d "$prog" | grep -q 'NEEDED.*libforkband'; then
		[ "$linkage" = shared ] || bad "$name links libforkband.so, expected the static library"
	else
		[ "$linkage" = static ] || bad "$name does not link libforkband.so"
	fi
}

# Through pkg-config, as docs/library.md says.
export PKG_CONFIG_PATH=$libdir/pkgconfig
case " $(pkg-config --cflags forkband) " in
*" -I$prefix/include "*) ok "pkg-config --cflags names the prefix" ;;
*) bad "pkg-config --cflags forkband: '$(pkg-config --cflags forkband)'" ;;
esac
[ "$(pkg-config --modversion forkband)" = "$("$prefix/bin/forkband" --version | sed -n '1s/.* //p')" ] ||
	bad "pkg-config version $(pkg-config --modversion forkband) is not forkband's"
# shellcheck disable=SC2046
if $cc $cflags "$src/examples/sum_squares.c" $(pkg-config --cflags --libs forkband) \
	-Wl,-rpath,"$libdir" -o "$dir/pc_shared" 2>"$dir/err"; then
	check "pkg-config, shared" "$dir/pc_shared" shared
else
	bad "pkg-config, shared: does not build: $(head -5 "$dir/err")"
fi
# shellcheck disable=SC2046
if $cc $cflags "$src/examples/sum_squares.c" $(pkg-config --cflags forkband) \
	-Wl,-Bstatic $(pkg-config --libs forkband) -Wl,-Bdynamic -o "$dir/pc_static" 2>"$dir/err"; then
	check "pkg-config, static" "$dir/pc_static" static
else
	bad "pkg-config, static: does not build: $(head -5 "$dir/err")"
fi

# Through find_package(forkband): examples/CMakeLists.txt, as it stands.
if "$cmake" -S "$src/examples" -B "$dir/ex" -DCMAKE_PREFIX_PATH="$prefix" \
	-DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="-Wall -Wextra -Wpedantic -Werror" \
	-DCMAKE_BUILD_TYPE=Release >"$dir/ex.log" 2>&1 &&
	"$cmake" --build "$dir/ex" >>"$dir/ex.log" 2>&1; then
	grep -q "forkband_DIR:PATH=$libdir/cmake/forkband" "$dir/ex/CMakeCache.txt" ||
		bad "find_package found another forkband: $(grep forkband_DIR "$dir/ex/CMakeCache.txt")"
	check "find_package, shared" "$dir/ex/sum_squares" shared
	check "find_package, static" "$dir/ex/sum_squares_static" static
else
	bad "examples/CMakeLists.txt with find_package(forkband): $(tail -8 "$dir/ex.log")"
fi

exit $fail

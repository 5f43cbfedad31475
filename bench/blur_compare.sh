#!/usr/bin/env bash
# blur_compare.sh: Gaussian blur (sigma 3) of a large RGB PNG, end to end (decode, blur,
# encode), forkband against libvips (`vips gaussblur`), and ImageMagick (`convert -blur
# 0x3`) when it is installed, at the same thread counts: alternating runs, medians of
# the wall time and of the peak resident set (the largest process's, from GNU time),
# ratios. Also prints the median of each forkband phase, to say which one dominates.
#
# usage: bench/blur_compare.sh [-n RUNS] [-j "1 2"] [-s SIZE] [-m MEMORY] [FORKBAND]
# Needs Debian's libvips-tools (and imagemagick for its column). ImageMagick's default
# policy caps its pixel cache far below an 8000x8000 image; the script gives it a policy
# of its own (MAGICK_CONFIGURE_PATH) with room for it. Output settings match: zlib level
# 6 and adaptive row filters for all three (vips: filter=all; ImageMagick and forkband:
# libpng's defaults). -m passes --memory to forkband (default: its own default budget).
set -euo pipefail

runs=3 jobs="1 2" size=8000 memory=""
while getopts "n:j:s:m:h" opt; do
	case $opt in
	n) runs=$OPTARG ;;
	j) jobs=$OPTARG ;;
	s) size=$OPTARG ;;
	m) memory=$OPTARG ;;
	*) sed -n '2,/^set -e/p' "$0" | sed '$d' | cut -c3-; exit 0 ;;
	esac
done
shift $((OPTIND - 1))
bin=$(realpath "${1:-build/release/forkband}")
im=$(command -v convert-im6.q16 || command -v convert || true)
[ -n "$im" ] && ! "$im" -version 2>/dev/null | grep -q ImageMagick && im=""
command -v vips >/dev/null || { echo "blur_compare.sh: vips is missing (libvips-tools)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "blur_compare.sh: GNU time is missing (time)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/policy.xml" <<'XML'
<policymap>
  <policy domain="resource" name="memory" value="8GiB"/>
  <policy domain="resource" name="map" value="8GiB"/>
  <policy domain="resource" name="disk" value="16GiB"/>
  <policy domain="resource" name="area" value="1GP"/>
</policymap>
XML
echo "making a ${size}x${size} RGB PNG with forkband (not timed)"
"$bin" run -q --set width="$size" --set height="$size" --set params.max_iter=200 -o "$tmp/in.png"
cat >"$tmp/blur.json" <<JSON
{"kernel": "filter", "input": "$tmp/in.png",
 "params": {"ops": [{"op": "gaussian", "sigma": 3}]}, "output": {"png": "$tmp/fb.png"}}
JSON
mem=()
[ -n "$memory" ] && mem=(--memory "$memory")

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
phase() { tr -d ' \n\t' <"$tmp/r.json" | grep -o "\"$1\":[0-9.e+-]*" | head -1 | cut -d: -f2; }
# timed NAME CMD...: appends "seconds maxrss_kib" to $tmp/NAME.
timed() {
	local name=$1
	shift
	/usr/bin/time -f "%e %M" -o "$tmp/t" "$@" >/dev/null
	cat "$tmp/t" >>"$tmp/$name"
}

printf "\n%3s %9s %9s %8s %9s %9s %8s" -j forkband vips fb/vips "fb MiB" "vips MiB" fb/vips
[ -n "$im" ] && printf " %9s %7s" imagemagick im/fb
printf "   forkband phases (median s): read compute colour encode write\n"
for j in $jobs; do
	: >"$tmp/fb" && : >"$tmp/vips" && : >"$tmp/im" && : >"$tmp/ph"
	for ((r = 0; r < runs; r++)); do
		timed fb "$bin" run -q -j "$j" "${mem[@]}" "$tmp/blur.json" --report "$tmp/r.json"
		VIPS_CONCURRENCY=$j timed vips vips gaussblur "$tmp/in.png" "$tmp/vips.png[filter=all]" 3
		[ -n "$im" ] && MAGICK_CONFIGURE_PATH=$tmp timed im "$im" -limit thread "$j" \
			"$tmp/in.png" -blur 0x3 "$tmp/im.png"
		echo "$(phase read) $(phase compute) $(phase colour) $(phase encode) $(phase write)" >>"$tmp/ph"
	done
	fb=$(cut -d' ' -f1 "$tmp/fb" | median) vi=$(cut -d' ' -f1 "$tmp/vips" | median)
	fbm=$(cut -d' ' -f2 "$tmp/fb" | median) vim=$(cut -d' ' -f2 "$tmp/vips" | median)
	printf "%3d %8.2fs %8.2fs %8.2f %9.0f %9.0f %8.2f" "$j" "$fb" "$vi" \
		"$(echo "$fb / $vi" | bc -l)" "$(echo "$fbm / 1024" | bc -l)" \
		"$(echo "$vim / 1024" | bc -l)" "$(echo "$fbm / $vim" | bc -l)"
	if [ -n "$im" ]; then
		imm=$(cut -d' ' -f1 "$tmp/im" | median)
		printf " %8.2fs %7.2f" "$imm" "$(echo "$imm / $fb" | bc -l)"
	fi
	printf "   "
	for k in 1 2 3 4 5; do
		printf "%.2f " "$(cut -d' ' -f$k "$tmp/ph" | sed 's/^$/0/' | median)"
	done
	echo
done

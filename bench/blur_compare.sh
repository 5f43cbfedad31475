#!/usr/bin/env bash
# blur_compare.sh: Gaussian blur (sigma 3) of a large RGB PNG, end to end (decode, blur,
# encode), forkband against libvips (`vips gaussblur`) and ImageMagick (`convert -blur
# 0x3`) at the same thread counts: alternating runs, medians, ratios. Also prints the
# median of each forkband phase, to say which one dominates.
#
# usage: bench/blur_compare.sh [-n RUNS] [-j "1 2"] [-s SIZE] [FORKBAND]
# Needs Debian's libvips-tools and imagemagick (apt-get install libvips-tools
# imagemagick). ImageMagick's default policy caps its pixel cache far below an
# 8000x8000 image; the script gives it a policy of its own (MAGICK_CONFIGURE_PATH) with
# room for it. Output settings match: zlib level 6 and adaptive row filters for all
# three (vips: filter=all; ImageMagick and forkband: libpng's defaults).
set -euo pipefail

runs=3 jobs="1 2" size=8000
while getopts "n:j:s:h" opt; do
	case $opt in
	n) runs=$OPTARG ;;
	j) jobs=$OPTARG ;;
	s) size=$OPTARG ;;
	*) sed -n '2,/^set -e/p' "$0" | sed '$d' | cut -c3-; exit 0 ;;
	esac
done
shift $((OPTIND - 1))
bin=$(realpath "${1:-build/release/forkband}")
im=$(command -v convert-im6.q16 || echo /usr/bin/convert)
command -v vips >/dev/null || { echo "blur_compare.sh: vips is missing (libvips-tools)" >&2; exit 2; }
[ -x "$im" ] || { echo "blur_compare.sh: ImageMagick is missing (imagemagick)" >&2; exit 2; }

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

now() { date +%s%N; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
phase() { tr -d ' \n\t' <"$tmp/r.json" | grep -o "\"$1\":[0-9.e+-]*" | head -1 | cut -d: -f2; }

printf "\n%3s %10s %10s %10s %12s %12s   forkband phases (median s): %s\n" -j forkband vips \
	imagemagick fb/vips im/fb "compute colour write, decode = the rest"
for j in $jobs; do
	: >"$tmp/fb" && : >"$tmp/vips" && : >"$tmp/im" && : >"$tmp/ph"
	for ((r = 0; r < runs; r++)); do
		t0=$(now)
		"$bin" run -q -j "$j" "$tmp/blur.json" --report "$tmp/r.json"
		t1=$(now)
		VIPS_CONCURRENCY=$j vips gaussblur "$tmp/in.png" "$tmp/vips.png[filter=all]" 3
		t2=$(now)
		MAGICK_CONFIGURE_PATH=$tmp "$im" -limit thread "$j" "$tmp/in.png" -blur 0x3 "$tmp/im.png"
		t3=$(now)
		echo "$(((t1 - t0) / 1000))" >>"$tmp/fb"
		echo "$(((t2 - t1) / 1000))" >>"$tmp/vips"
		echo "$(((t3 - t2) / 1000))" >>"$tmp/im"
		echo "$(phase compute) $(phase colour) $(phase write)" >>"$tmp/ph"
	done
	fb=$(median <"$tmp/fb") vi=$(median <"$tmp/vips") imm=$(median <"$tmp/im")
	pc=$(cut -d' ' -f1 "$tmp/ph" | median) pl=$(cut -d' ' -f2 "$tmp/ph" | median)
	pw=$(cut -d' ' -f3 "$tmp/ph" | median)
	awk -v j="$j" -v fb="$fb" -v vi="$vi" -v im="$imm" -v pc="$pc" -v pl="$pl" -v pw="$pw" \
		'BEGIN { printf "%3d %9.2fs %9.2fs %9.2fs %12.2f %12.2f   %.2f %.2f %.2f, %.2f\n",
			j, fb / 1e6, vi / 1e6, im / 1e6, fb / vi, im / fb, pc, pl, pw,
			fb / 1e6 - pc - pl - pw }'
done

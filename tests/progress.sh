#!/usr/bin/env bash
# progress.sh: the progress bar on a terminal (a pseudo-terminal from util-linux
# `script`), split into its redraws (at each \r): at 40, 80 and 200 columns, from
# COLUMNS or from the terminal's own width, every redraw shows a percent and an ETA and
# is narrower than the width, and the rate gives way before the rows; TERM=dumb gets no
# escape codes; a batch shows `job 2/3`;
# a stepped job with a tolerance shows its change against it and its ETA only as an
# upper bound; `forkband scale` shows the study's `run K/N`; a zoom sequence shows one
# bar for all its frames, `frame K/N`, and one summary, and in a batch beside other
# jobs those keep their `job K/N` (counted as the file has them). Each job runs about half a
# second at -j 1, so that the bar (at most 10 redraws a second) draws a few times; in
# quick mode (a sanitizer build, whose loops run several times slower) a third of that.
# usage: progress.sh FORKBAND [quick]
set -u
bin=$(realpath "$1")
div=1 hw=128 hh=96
[ "${2:-}" = quick ] && div=3 hw=96 hh=72	# heat's steps to converge grow with the grid
. "$(dirname "$0")/lib.sh"
export LC_ALL=C		# lengths in bytes, as forkband counts them

if ! command -v script >/dev/null; then
	echo "FAIL: no 'script' command to give forkband a terminal (scripts/deps installs bsdutils)"
	exit 1
fi

# onterm NAME SHELL-COMMAND: runs it on a pseudo-terminal of no set width (COLUMNS
# unset, TERM xterm unless the command says otherwise); the redraws, one a line, with
# the erase-to-end-of-line codes taken out, into $dir/NAME, and the raw bytes into
# $dir/NAME.raw. script needs a stdin, even an empty one.
onterm() {
	env -u COLUMNS TERM=xterm script -qfec "$2" /dev/null >"$dir/$1.raw" 2>&1 </dev/null ||
		bad "$1: exit $? on a terminal: $(tr '\r' '\n' <"$dir/$1.raw" | tail -3)"
	tr '\r' '\n' <"$dir/$1.raw" | sed 's/\x1b\[K//g' | grep '%' >"$dir/$1"
}

# fits NAME WIDTH: every redraw has a percent and an ETA and at most WIDTH - 1 bytes.
fits() {
	local n long
	n=$(wc -l <"$dir/$1")
	long=$(awk -v w="$2" 'length($0) > w - 1 || !/[0-9]%/ || !/ETA/' "$dir/$1" | head -2)
	if [ "$n" -ge 2 ] && [ -z "$long" ]; then
		ok "$1: $n redraws, each with a percent and an ETA, none over $(($2 - 1)) columns"
	else
		bad "$1: $n redraws at $2 columns; wrong: $long"
	fi
}

job="'$bin' run -j 1 --set width=64 --set height=48 --set params.max_iter=$((2000000 / div)) -o '$dir/m.png'"

# The terminal's own width (no COLUMNS): 40 and 80 columns.
onterm tty40 "stty cols 40; $job"
fits tty40 40
onterm tty80 "stty cols 80; $job"
fits tty80 80
# What gives way first: at 80 columns nothing (the bar shrinks), at 60 the rate, at 40
# the rows too.
grep -v 'rows/s' "$dir/tty80" | head -1 | grep . && bad "80 columns lost the rate" ||
	ok "80 columns: every redraw has the rows and the rate"
onterm tty60 "stty cols 60; $job"
fits tty60 60
grep -v '/48 rows' "$dir/tty60" | head -1 | grep . && bad "60 columns lost the rows" ||
	ok "60 columns: every redraw has the rows"
grep -q 'rows/s' "$dir/tty60" && bad "60 columns kept the rate: $(grep -m1 rows/s "$dir/tty60")" ||
	ok "60 columns: the rate gave way first"
grep -q 'rows' "$dir/tty40" && bad "40 columns kept the rows: $(grep -m1 rows "$dir/tty40")" ||
	ok "40 columns: the rows gave way too"
grep -q $'\x1b\\[K' "$dir/tty80.raw" && ok "an xterm's redraws erase with ESC [K" ||
	bad "no ESC [K on an xterm"

# A batch whose label (the config's path) is long: `job 2/3` before the bar. COLUMNS
# wins over the terminal's width: 200 columns on an 80-column terminal.
mkdir -p "$dir/a-folder-with-a-rather-long-name"
batch="$dir/a-folder-with-a-rather-long-name/batch.json"
cat >"$batch" <<EOF
{ "defaults": { "kernel": "mandelbrot", "width": 64, "height": 48,
                "params": { "max_iter": $((600000 / div)) } },
  "jobs": [ { "output": { "png": "$dir/b1.png" } }, { "output": { "png": "$dir/b2.png" } },
            { "output": { "png": "$dir/b3.png" } } ] }
EOF
onterm batch200 "stty cols 80; COLUMNS=200 '$bin' run -j 1 '$batch'"
fits batch200 200
grep -qF "job 2/3 $batch: jobs[1] " "$dir/batch200" && ok "a batch shows 'job 2/3 LABEL'" ||
	bad "no 'job 2/3 LABEL': $(head -3 "$dir/batch200")"
awk 'length($0) > 79 { found = 1 } END { exit !found }' "$dir/batch200" &&
	ok "COLUMNS=200 wins over an 80-column terminal" || bad "lines cut to 80 under COLUMNS=200"

# The same at 40 columns on a dumb terminal: the label gives way to the percent and the
# ETA, and the line is redrawn and erased with spaces, no escape codes.
onterm batch40 "TERM=dumb COLUMNS=40 '$bin' run -j 1 '$batch'"
fits batch40 40
grep -q "^job 2/3 " "$dir/batch40" && ok "at 40 columns the batch still shows 'job 2/3'" ||
	bad "no 'job 2/3' at 40 columns: $(head -3 "$dir/batch40")"
grep -q $'\x1b' "$dir/batch40.raw" && bad "TERM=dumb got an escape code" ||
	ok "TERM=dumb: no escape codes"

# Heat with a tolerance: the change against it, and no ETA but an upper bound (it
# stops when the change falls below the tolerance, which no rate predicts).
cat >"$dir/heat.json" <<EOF
{ "kernel": "heat", "width": $hw, "height": $hh,
  "params": { "alpha": 0.24, "steps": 200000, "tolerance": 1e-6, "initial": 20,
              "sources": [ { "x": 20, "y": 20, "radius": 5, "value": 100 } ] },
  "output": { "png": "$dir/h.png" } }
EOF
onterm heat "COLUMNS=80 '$bin' run -j 1 '$dir/heat.json'"
fits heat 80
grep '^step ' "$dir/heat" >"$dir/steps"
grep -Eq "change [0-9][0-9.e+-]* > 1e-06" "$dir/steps" && ok "a tolerance shows the change against it" ||
	bad "no change against the tolerance: $(head -3 "$dir/steps")"
grep -q "ETA <= [0-9]" "$dir/steps" && ok "its ETA is an upper bound (ETA <=)" ||
	bad "no 'ETA <=': $(head -3 "$dir/steps")"
grep -q "ETA [0-9]" "$dir/steps" && bad "a false ETA: $(grep -m1 "ETA [0-9]" "$dir/steps")" ||
	ok "no ETA to the step count"

# A zoom sequence of 5 frames (shallow: no MPFR): one bar for the sequence, `frame K/5`
# and the frame's file before it, for K = 1 to 5, its percent never going back from
# one redraw to the next (across frames too) and ending at 100%; one summary for the
# sequence, none per frame.
cat >"$dir/zoom.json" <<EOF
{ "kernel": "mandelbrot", "width": 32, "height": 24,
  "params": { "center": [-0.75, 0], "scale": 3.0, "max_iter": $((1000000 / div)) },
  "zoom": { "frames": 5, "to": "1e-6", "png": "$dir/z_%d.png" } }
EOF
onterm zoom "COLUMNS=100 '$bin' run -j 1 '$dir/zoom.json'"
fits zoom 100
grep -v '^frame [1-5]/5 ' "$dir/zoom" | head -1 | grep . && bad "a redraw without 'frame K/5'" ||
	ok "every redraw of the sequence shows 'frame K/5'"
for k in 1 2 3 4 5; do
	grep -qF "frame $k/5 $dir/z_$((k - 1)).png stream " "$dir/zoom" ||
		bad "no 'frame $k/5 $dir/z_$((k - 1)).png stream': $(head -3 "$dir/zoom")"
done
awk '{ match($0, /[0-9]+%/); p = substr($0, RSTART, RLENGTH - 1) + 0
       if (p < last) { print "back from " last "% to " p "%: " $0; exit 1 } last = p }
     END { if (last != 100) { print "ends at " last "%"; exit 1 } }' "$dir/zoom" >"$dir/back" &&
	ok "the sequence's percent never goes back, over $(wc -l <"$dir/zoom") redraws, and ends at 100%" ||
	bad "the sequence's percent: $(cat "$dir/back")"
# A sequence whose last frame is deep: its reference orbit's progress line is the
# frame's serial start, not a share of it: the sequence's percent stays below 100%
# there, and reaches 100% only when the frame's pixels are done.
cat >"$dir/dzoom.json" <<EOF
{ "kernel": "mandelbrot", "width": 16, "height": 4,
  "params": { "center": ["-0.75", "0.1"], "scale": 1e-5, "max_iter": $((300000 / div)) },
  "zoom": { "frames": 2, "to": "1e-20", "png": "$dir/d_%d.png" } }
EOF
onterm dzoom "COLUMNS=120 '$bin' run -j 1 '$dir/dzoom.json'"
grep -q 'reference orbit' "$dir/dzoom" || bad "no reference-orbit redraw in a deep frame"
awk '/reference orbit/ { match($0, /[0-9]+%/); if (substr($0, RSTART, RLENGTH - 1) + 0 >= 100) {
       print; exit 1 } }' "$dir/dzoom" >"$dir/dback" &&
	ok "a deep frame's reference orbit does not count as the frame done" ||
	bad "the reference orbit drew the sequence at 100%: $(cat "$dir/dback")"
tr '\r' '\n' <"$dir/zoom.raw" | sed 's/\x1b\[K//g' | grep '^wrote ' >"$dir/zoom.sum"
grep -qF "wrote $dir/z_0.png to $dir/z_4.png (5 frames):" "$dir/zoom.sum" &&
	[ "$(wc -l <"$dir/zoom.sum")" = 1 ] && ok "one summary for the sequence" ||
	bad "the sequence's summaries: $(cat "$dir/zoom.sum")"

# A batch of a job, a zoom of 2 frames and a job: the jobs keep `job K/3` (the zoom is
# jobs[1] of 3, whatever frames it makes), the frames share a bar.
cat >"$dir/mixed.json" <<EOF
{ "defaults": { "kernel": "mandelbrot", "width": 32, "height": 24,
                "params": { "center": [-0.75, 0], "max_iter": 1000 } },
  "jobs": [ { "output": { "png": "$dir/x0.png" } },
            { "zoom": { "frames": 2, "to": "1e-3", "png": "$dir/y_%d.png" } },
            { "output": { "png": "$dir/x2.png" } } ] }
EOF
onterm mixed "COLUMNS=100 '$bin' run -j 1 '$dir/mixed.json'"
awk '{ print $1, $2 }' "$dir/mixed" | uniq | tr '\n' ' ' >"$dir/mixed.seen"
[ "$(cat "$dir/mixed.seen")" = "job 1/3 frame 1/2 frame 2/2 job 3/3 " ] &&
	ok "a batch with a zoom: 'job 1/3', 'frame 1/2', 'frame 2/2', 'job 3/3'" ||
	bad "a batch with a zoom showed: $(cat "$dir/mixed.seen")"

# A study: the whole study's run K/N, percent and ETA.
onterm scale "COLUMNS=80 '$bin' scale --set width=64 --set height=48 \
	--set params.max_iter=300000 --workers 1,2 --repeat 1 --warmup 0"
fits scale 80
grep -q "^run 2/2 -j 2 dynamic " "$dir/scale" && ok "scale shows 'run 2/2 -j 2 dynamic'" ||
	bad "no 'run 2/2': $(head -3 "$dir/scale")"

exit $fail

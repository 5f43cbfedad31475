# quiet.sh: sourced by the bench scripts; wait_quiet waits until the CPUs are idle.
# shellcheck shell=bash
#
# Timings on a machine that something else is using measure that something as much as
# the program: one busy CPU out of two doubles a two-worker run. wait_quiet samples the
# CPU counters in /proc/stat over QUIET_SAMPLE_S seconds (default 0.3) until the CPUs
# were at least 95% idle, and gives up after QUIET_MAX_S seconds (default 120),
# returning 1 so that the caller can say its numbers are suspect. Without /proc/stat
# (not Linux) it returns 0 at once. QUIET=0 turns the wait off.

# Prints "busy total" jiffies summed over all CPUs.
cpu_jiffies() {
	awk '$1 == "cpu" { busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6; exit }' \
		/proc/stat
}

wait_quiet() {
	local start b0 t0 b1 t1
	[ "${QUIET:-1}" = 0 ] && return 0
	[ -r /proc/stat ] || return 0
	start=$SECONDS
	while :; do
		read -r b0 t0 < <(cpu_jiffies)
		sleep "${QUIET_SAMPLE_S:-0.3}"
		read -r b1 t1 < <(cpu_jiffies)
		# Busy below 5% of the CPU time that passed (integer maths: 20 * busy < all).
		if ((t1 > t0 && 20 * (b1 - b0) < t1 - t0)); then
			return 0
		fi
		if ((SECONDS - start >= ${QUIET_MAX_S:-120})); then
			return 1
		fi
	done
}

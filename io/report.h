/* report.h: the JSON report of a run: what ran, where the time went, what it found. */
#ifndef FORKBAND_REPORT_H
#define FORKBAND_REPORT_H

#include "runtime/compat.h"

#include "config.h"
#include "kernels/kernel.h"
#include "runtime/pool.h"

#define FB_MAX_PHASES 8
#define FB_MAX_PASSES 64
#define FB_MAX_TOTALS 16

struct fb_phase {
	const char *name;	/* "setup", "compute", "colour", "write" */
	double seconds;
};

/* Everything known about one finished job. */
struct fb_job_result {
	const struct fb_job *job;
	unsigned workers;
	enum fb_schedule schedule;
	double total_s;
	struct fb_phase phase[FB_MAX_PHASES];
	size_t n_phases;
	const char *pass_name[FB_MAX_PASSES];
	const char *pass_phase[FB_MAX_PASSES];	/* the phase each pass counts toward */
	struct fb_pass_stats pass[FB_MAX_PASSES];
	size_t n_passes;
	struct fb_total total[FB_MAX_TOTALS];	/* arrays malloc()ed, owned here */
	size_t n_totals;
	/* CRC-32s of the raw grid and the PNG bytes, when the driver was asked for them. */
	bool has_raw_hash, has_png_hash;
	uint32_t raw_hash, png_hash;
	/* Workers that died and were recovered from, in every pass (the events of the
	 * first FB_MAX_PASSES passes are in pass[].events). */
	unsigned recoveries;
	/* Streamed jobs: rows per strip, strips, the memory budget (0: a whole-image job). */
	uint32_t strip_height, strips;
	uint64_t budget;
	/* Jobs run across MPI ranks (forkband-mpi; ranks 0: one process): the bands the
	 * rows were shared out in, the bytes rank 0 received from the others and the
	 * image's bytes unencoded (PNG rows and raw grid) to compare them with, and per
	 * rank ([ranks], malloc()ed) its bands and seconds spent computing them. */
	unsigned ranks;
	uint32_t bands;
	uint64_t bytes_received, bytes_unencoded;
	uint32_t *rank_bands;
	double *rank_busy_s;
	/* The largest resident set of this process and of any worker so far, in bytes. */
	uint64_t peak_parent, peak_worker;
};

/* Writes {"forkband": version, "host": {...}, "jobs": [...]} for results[0..n), whole
 * or not at all. Returns 0, or -1 after reporting. */
int fb_report_write(const char *path, const struct fb_job_result *results, size_t n);

#endif

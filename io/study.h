/* study.h: the results of a scaling study (`forkband scale`) and their file formats.
 *
 * A study runs one job at several worker counts and schedules, `repeat` timed runs per
 * point. Runs keep raw times; points keep the statistics over their runs and the
 * figures derived from them. app/scale.c fills the structs; this module only writes
 * them: CSV (one row per run), Markdown (a table of the points), JSON (everything) and
 * an SVG plot.
 */
#ifndef FORKBAND_STUDY_H
#define FORKBAND_STUDY_H

#include "runtime/compat.h"

#include "runtime/schedule.h"

/* Times kept per run: end to end, then each phase. */
enum fb_study_time { FB_T_WALL, FB_T_SETUP, FB_T_COMPUTE, FB_T_COLOUR, FB_T_WRITE, FB_T_COUNT };

/* "wall", "setup", "compute", "colour", "write" */
extern const char *const fb_study_time_names[FB_T_COUNT];

/* Derived figures are given for two times: end to end and the compute phase. */
enum fb_study_basis { FB_B_WALL, FB_B_COMPUTE, FB_B_COUNT };

struct fb_study_run {
	enum fb_schedule schedule;
	unsigned workers;
	unsigned index;			/* 0-based among the point's timed runs */
	uint32_t height;		/* the job's height (differs per N with --weak) */
	double t[FB_T_COUNT];		/* seconds */
	double imbalance;		/* max / mean of the workers' compute busy times */
	bool outlier;			/* wall time flagged by the modified z-score */
	double zscore;			/* modified z-score of the wall time (0 if undefined) */
	uint32_t raw_hash, png_hash;	/* CRC-32 of the raw grid and of the PNG bytes */
	bool has_raw, has_png;
	/* Across MPI ranks (streamed kernels): each rank's seconds computing its bands
	 * ([ranks of the study], malloc()ed; NULL otherwise), and their largest over their
	 * mean. */
	double *rank_busy_s;
	double rank_imbalance;
};

struct fb_stat {
	double median, min, max, mad;
};

struct fb_study_point {
	enum fb_schedule schedule;
	unsigned workers;
	uint32_t height;
	bool oversubscribed;		/* workers > cpus */
	struct fb_stat t[FB_T_COUNT];
	double imbalance;		/* median over the runs */
	unsigned outliers;		/* runs flagged */
	/* From medians; NAN where undefined (no 1-worker point of the same schedule;
	 * Karp-Flatt at N = 1 or with --weak). With --weak, speedup is the scaled
	 * speedup N * T1 / TN and efficiency T1 / TN. */
	double speedup[FB_B_COUNT];
	double efficiency[FB_B_COUNT];
	double karp_flatt[FB_B_COUNT];
};

struct fb_study {
	const char *config;		/* the config's path as given */
	char *pixels_json;		/* the job that determines the pixels (JSON text) */
	unsigned cpus;			/* CPUs the study could use (affinity); of rank 0 */
	unsigned ranks;			/* MPI ranks each run used (1: one process) */
	const char *hosts;		/* their hosts, comma-separated, rank by rank */
	char cpu_model[128];		/* from /proc/cpuinfo, or "" */
	bool weak, pin;
	unsigned repeat, warmup;
	const unsigned *workers;
	size_t n_workers;
	const enum fb_schedule *schedules;
	size_t n_schedules;
	struct fb_study_run *runs;	/* in the order they ran */
	size_t n_runs;
	struct fb_study_point *points;	/* schedule-major, in --workers order */
	size_t n_points;
};

/* Each writes whole or not at all (io/outfile.h), or straight to standard output for
 * "-" (and to a device as it is); 0, or -1 after reporting. */
int fb_study_write_csv(const char *path, const struct fb_study *s);
int fb_study_write_json(const char *path, const struct fb_study *s);
/* One row per point: the wall time's median ± MAD, min and max, the compute phase's
 * median ± MAD, speedup and efficiency of both; times in ms when all are under 1 s. */
int fb_study_write_markdown(const char *path, const struct fb_study *s);
int fb_study_write_svg(const char *path, const struct fb_study *s);

#endif

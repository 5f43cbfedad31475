/* progress.h: the live progress bar on stderr, and the summary after it.
 *
 * The bar is drawn only when stderr is a terminal and not silenced, redrawn at most 10
 * times a second on one line, erased before the summary. Without a terminal only the
 * summary is printed; -q prints neither.
 *
 * The line fits the terminal: it is never longer than its width less one column (a
 * full line would wrap, and a wrapped line cannot be redrawn in place). The width is
 * COLUMNS when that is a positive number, else the terminal's (asked at each redraw: the
 * window may be resized mid-run), else 80. At its widest the line reads
 *
 *   job 2/3 NAME compute [######..................]  23%  690/3000 rows  2136 rows/s  0:01  ETA 0:03
 *
 * and as the width shrinks it shortens the bar to 16 cells, drops the rate, then the
 * elapsed time, then the rows, then shortens the bar to 10 cells, drops a stepped
 * pass's change (below), shortens the label (elided in the middle, down to 12 columns),
 * drops the bar and the pass's name, and last elides the label further: the percent
 * and the ETA show at any width from 40 columns up (below that the line is cut).
 * Widths are counted in bytes (one column or more each), so a label in UTF-8 is
 * shortened early rather than late, and is cut between characters only.
 *
 * A stepped pass shows `step K/N` for its rows; one that ends when a value falls below
 * a target (struct fb_pass.converge: heat's residual under its tolerance) shows
 * `change 2.3e-05 > 1e-05` and its ETA as an upper bound, `ETA <= 1:20`, the time to
 * the last step it may take: it stops when the change falls below the target, which
 * no rate predicts.
 *
 * A study (`forkband scale`: one job run many times) shows the study instead of the
 * run: `run 7/24 -j 4 dynamic [###...] 29%  0:12  ETA 0:41`, its percent and ETA over
 * every run (fb_progress_study_start()).
 *
 * A zoom sequence (a job's "zoom": its frames are jobs of the batch) shows the sequence
 * instead of the frame: `frame 12/60 zoom_0011.png stream [##......] 18%  0:12  ETA
 * 2:41`, its percent over the whole sequence, frames counted alike, and its ETA the
 * frames left at the time the last finished frame took (fb_progress_frame()).
 *
 * The bar is redrawn with `\r` and erased with `\033[K` (erase to end of line), or,
 * when TERM is unset, empty or `dumb` (Emacs' shell, a plain serial console), with
 * spaces over the last line drawn: no escape codes at all.
 */
#ifndef FORKBAND_PROGRESS_H
#define FORKBAND_PROGRESS_H

#include "runtime/compat.h"

#include "runtime/pool.h"

struct fb_progress {
	bool bar;		/* draw the bar */
	bool quiet;		/* no bar, no summary */
	bool plain;		/* TERM is dumb: no escape codes */
	/* Shown before the bar: `job K/N LABEL` (fb_progress_set_job()), a study's
	 * `run K/N LABEL` (fb_progress_study_run()), or a zoom sequence's `frame K/N
	 * LABEL` (fb_progress_frame()). */
	const char *job;	/* the job's label; NULL: none */
	size_t job_k, job_n;	/* job_k of job_n, 1-based; job_n 0: no count */
	bool study;		/* the line shows a study's progress, not the pass's */
	double study_total;	/* the weight of all the study's runs */
	double study_done;	/* of the runs finished */
	double run_weight;	/* of the run under way */
	uint64_t study_start_ns, run_start_ns;
	double done_s;		/* the study's seconds when the last run finished */
	bool seq;		/* the line shows a zoom sequence's progress */
	bool serial;		/* fb_progress_serial() is drawing */
	uint64_t seq_start_ns, frame_start_ns;
	double last_frame_s;	/* the seconds the last finished frame took; 0: none */
	double frame_frac;	/* of the frame under way: the most its passes showed */
	uint64_t pass_start_ns;
	uint64_t last_draw_ns;
	bool drawn;		/* something is on the line that needs erasing */
};

/* Decides from isatty(stderr), TERM and quiet. */
void fb_progress_init(struct fb_progress *p, bool quiet);

/* Stderr reaches a terminal through a relay (mpirun forwards a rank's stderr through a
 * pipe): draw the bar as if it were one. */
void fb_progress_assume_terminal(void);

/* Job k (1-based) of a batch of n: the line starts `job k/n LABEL` when n > 1 (label
 * may be NULL), and with nothing when n <= 1. label must outlive the job. */
void fb_progress_set_job(struct fb_progress *p, size_t k, size_t n, const char *label);

/* Frame k (1-based) of a zoom sequence of n frames begins: the line shows `frame k/n
 * LABEL` (label, the frame's file, must outlive the frame), the pass's name, and the
 * sequence's percent, elapsed time and ETA. k = 1 starts the sequence and its clock;
 * a later k counts the frame before it done, and its time as what a frame takes.
 *
 * The percent counts frames alike: (frames done + the share of the frame under way
 * that its passes have shown) / n, so it never goes back and is 100% at the end of the
 * last frame. Frames do not cost alike (a deeper one iterates more), so the ETA is
 * not the percent's rate: it is the rest of the frame under way at the pace of the last
 * finished frame (the deepest so far: the average of the shallower ones before it would
 * promise too early an end), and each frame after it at the time the last one took,
 * or, once the frame under way is known to take longer (its time so far and that
 * rest), at that. Before a frame has finished, the first one's own rate stands in. */
void fb_progress_frame(struct fb_progress *p, size_t k, size_t n, const char *label);

/* A study of runs weighing `total` in all (a run's weight: its expected time in any
 * unit, e.g. rows over the CPUs it may use): from now on the line shows the study, its
 * percent and ETA over all the runs. The study's clock starts now. */
void fb_progress_study_start(struct fb_progress *p, double total);

/* Run k (1-based) of n of the study begins, weighing `weight`; label (`-j 4 dynamic`)
 * follows `run k/n` and must outlive the run. The run before it, if any, is counted
 * done. Within a run the study's progress moves with the time spent, against the time
 * per unit of weight that the finished runs took (with the run's pass before any run
 * finished). */
void fb_progress_study_run(struct fb_progress *p, size_t k, size_t n, const char *label,
			   double weight);

/* The pool's progress callback (struct fb_pass.progress); pctx is a fb_progress. */
void fb_progress_update(void *pctx, const struct fb_pass *pass, uint64_t done);

/* The same for serial work of the parent's before a job's passes (a kernel's prepare():
 * deep zoom's reference orbit): drawn alike, but in a zoom sequence not counted as a
 * share of the frame, whose pixels are still to come. */
void fb_progress_serial(void *pctx, const struct fb_pass *pass, uint64_t done);

/* Marks the start of a pass (for its rate and ETA). */
void fb_progress_pass_start(struct fb_progress *p);

/* Erases the bar, if drawn. */
void fb_progress_clear(struct fb_progress *p);

/* Erases the bar, if one is drawn, with write(2) alone: async-signal-safe, for a
 * handler that prints its last words over it. */
void fb_progress_erase_now(void);

/* A pass's notice (a worker died and was dealt with): `forkband: recovered: MSG` on
 * stderr, over the progress bar, which the next update redraws. Printed even when
 * quiet: it is news about the machine, not progress. */
void fb_progress_notice(void *pctx, const char *msg);

#endif

/* progress.c: drawing the bar, fitted to the terminal's width. */
#include "runtime/compat.h"

#include "progress.h"

#include "runtime/error.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define REDRAW_NS (100 * 1000 * 1000)	/* at most 10 redraws a second */
#define BAR_WIDTH 24		/* where there is room */
#define BAR_FIT 16		/* the cells it gives up first: then an 80-column line of a
				 * 4-digit row count keeps the rate */
#define BAR_MIN 10		/* the bar's cells before the label is shortened */
#define LABEL_MIN 12		/* the label's columns (after `job K/N `) before the bar
				 * is dropped */
#define LINE_MAX 1024

static bool assume_terminal;

/* What is on the terminal's line now, for fb_progress_erase_now() in a signal handler:
 * the bytes drawn (0: nothing), and whether to erase them with spaces. */
static volatile sig_atomic_t drawn_len;
static volatile sig_atomic_t drawn_plain;

void fb_progress_assume_terminal(void)
{
	assume_terminal = true;
}

/* TERM unset, empty or "dumb": a terminal that may not know \033[K. */
static bool plain_terminal(void)
{
	const char *term = getenv("TERM");

	return !term || !*term || strcmp(term, "dumb") == 0;
}

void fb_progress_init(struct fb_progress *p, bool quiet)
{
	*p = (struct fb_progress){ .quiet = quiet,
				   .bar = !quiet && (assume_terminal || isatty(STDERR_FILENO)),
				   .plain = plain_terminal() };
}

void fb_progress_set_job(struct fb_progress *p, size_t k, size_t n, const char *label)
{
	p->job = n > 1 ? label : NULL;
	p->job_k = k;
	p->job_n = n > 1 ? n : 0;
	p->seq = false;
}

void fb_progress_frame(struct fb_progress *p, size_t k, size_t n, const char *label)
{
	uint64_t now = fb_now_ns();

	if (k <= 1 || !p->seq) {
		p->seq_start_ns = now;
		p->last_frame_s = 0;
	} else {
		p->last_frame_s = (double)(now - p->frame_start_ns) / 1e9;
	}
	p->seq = true;
	p->frame_start_ns = now;
	p->frame_frac = 0;
	p->job = label;
	p->job_k = k;
	p->job_n = n;
}

void fb_progress_study_start(struct fb_progress *p, double total)
{
	p->study = true;
	p->study_total = total;
	p->study_done = 0;
	p->run_weight = 0;
	p->done_s = 0;
	p->study_start_ns = p->run_start_ns = fb_now_ns();
}

void fb_progress_study_run(struct fb_progress *p, size_t k, size_t n, const char *label,
			   double weight)
{
	uint64_t now = fb_now_ns();

	if (k > 1) {
		p->study_done += p->run_weight;
		p->done_s = (double)(now - p->study_start_ns) / 1e9;
	}
	p->run_weight = weight;
	p->run_start_ns = now;
	p->job = label;
	p->job_k = k;
	p->job_n = n;
}

/* The width to fit: COLUMNS when a positive number (a user's or a test's choice wins),
 * else the terminal's, else 80. Asked at each redraw: the window may be resized. */
static unsigned columns(void)
{
	const char *env = getenv("COLUMNS");
	struct winsize ws;

	if (env && *env) {
		char *end;
		long v = strtol(env, &end, 10);

		if (*end == '\0' && v > 0)
			return v < LINE_MAX ? (unsigned)v : LINE_MAX;
	}
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col < LINE_MAX ? ws.ws_col : LINE_MAX;
	return 80;
}

void fb_progress_pass_start(struct fb_progress *p)
{
	p->pass_start_ns = fb_now_ns();
}

static void clock_text(char *buf, size_t len, double s)
{
	unsigned long t = (unsigned long)(s + 0.5);

	if (t >= 3600)
		snprintf(buf, len, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(buf, len, "%lu:%02lu", t / 60, t % 60);
}

/* A byte that continues a UTF-8 character: never cut before one. */
static bool continues(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

/* Appends at most max bytes of s to out (of size len, holding *n), eliding the middle
 * as "..." when s is longer, and cutting between characters only. */
static void put_elided(char *out, size_t len, size_t *n, const char *s, size_t max)
{
	size_t l = strlen(s), head, tail;

	if (l <= max) {
		fb_appendf(out, len, n, "%s", s);
		return;
	}
	if (max < 5) {		/* no room for "..." and something either side */
		head = max;
		tail = 0;
	} else {		/* the end (a file name) says more than the start */
		head = (max - 3) / 2;
		tail = max - 3 - head;
	}
	while (head > 0 && continues(s[head]))
		head--;
	while (tail > 0 && continues(s[l - tail]))
		tail--;
	fb_appendf(out, len, n, "%.*s%s%s", (int)head, s, tail || max >= 5 ? "..." : "",
	    s + l - tail);
}

/* The pieces of one line, and which of them are shown. */
struct line {
	char prefix[48];	/* "job 2/3", "run 7/24"; "" without a count */
	const char *label;	/* the job's label, or NULL */
	size_t label_max;	/* the label's bytes, prefix included, at most */
	const char *name;	/* the pass's name, or NULL */
	double frac;
	unsigned cells;		/* of the bar; 0: no bar */
	char count[64];		/* "690/3000 rows", "step 4000/40000" */
	char change[64];	/* "change 2.3e-05 > 1e-05" */
	char rate[48];		/* "2136 rows/s" */
	char elapsed[24];
	char eta[40];		/* "ETA 0:03", "ETA <= 1:20", "ETA ?" */
	bool show_count, show_change, show_rate, show_elapsed;
};

static size_t label_len(const struct line *l)
{
	return strlen(l->prefix) + (l->label ? strlen(l->label) + (*l->prefix ? 1 : 0) : 0);
}

/* Renders the line as its flags say; returns its length in bytes. */
static size_t render(const struct line *l, char *out, size_t len)
{
	size_t n = 0, pl = strlen(l->prefix), lmax = l->label_max;
	char bar[BAR_WIDTH + 1];

	out[0] = '\0';
	if (lmax > 0 && label_len(l) > 0) {
		if (l->label && *l->prefix && pl + 6 <= lmax) {
			fb_appendf(out, len, &n, "%s ", l->prefix);
			put_elided(out, len, &n, l->label, lmax - pl - 1);
		} else if (*l->prefix) {
			/* The count stays whole after the label is gone. */
			put_elided(out, len, &n, l->prefix, lmax);
		} else {
			put_elided(out, len, &n, l->label, lmax);
		}
		fb_appendf(out, len, &n, " ");
	}
	if (l->name)
		fb_appendf(out, len, &n, "%-7s ", l->name);
	if (l->cells) {
		unsigned fill = (unsigned)(l->frac * l->cells);

		for (unsigned i = 0; i < l->cells; i++)
			bar[i] = i < fill ? '#' : '.';
		bar[l->cells] = '\0';
		fb_appendf(out, len, &n, "[%s] ", bar);
	}
	fb_appendf(out, len, &n, "%3.0f%%", l->frac * 100);
	if (l->show_count && *l->count)
		fb_appendf(out, len, &n, "  %s", l->count);
	if (l->show_change && *l->change)
		fb_appendf(out, len, &n, "  %s", l->change);
	if (l->show_rate && *l->rate)
		fb_appendf(out, len, &n, "  %s", l->rate);
	if (l->show_elapsed)
		fb_appendf(out, len, &n, "  %s", l->elapsed);
	fb_appendf(out, len, &n, "  %s", l->eta);
	return n;
}

/* v less over, but not below floor (nor raised to it: a v already below stays). */
static size_t shrink(size_t v, size_t over, size_t floor)
{
	if (v <= floor)
		return v;
	return v - floor > over ? v - over : floor;
}

/* Renders the line at most max bytes long, giving up pieces in the order the header
 * gives; the percent and the ETA last of all. */
static size_t fit(struct line *l, char *out, size_t len, size_t max)
{
	size_t n;

	for (int step = 0;; step++) {
		size_t over;

		n = render(l, out, len);
		if (n <= max)
			return n;
		over = n - max;
		switch (step) {
		case 0:
			l->cells = (unsigned)shrink(l->cells, over, BAR_FIT);
			break;
		case 1:
			l->show_rate = false;
			break;
		case 2:
			l->show_elapsed = false;
			break;
		case 3:
			l->show_count = false;
			break;
		case 4:
			l->cells = (unsigned)shrink(l->cells, over, BAR_MIN);
			break;
		case 5:
			l->show_change = false;
			break;
		case 6:
			l->label_max = shrink(l->label_max, over,
					      (*l->prefix ? strlen(l->prefix) + 1 : 0) + LABEL_MIN);
			break;
		case 7:
			l->cells = 0;
			break;
		case 8:
			l->name = NULL;
			break;
		case 9:
			/* The label and its space give way to the percent and the ETA. */
			l->label_max = shrink(l->label_max, over, 0);
			break;
		default:	/* narrower than 40 columns: cut, between characters */
			while (max > 0 && continues(out[max]))
				max--;
			out[max] = '\0';
			return max;
		}
	}
}

/* The study's fraction done and its ETA; the pass's fraction stands in for the run's
 * until a run has finished and given the time a unit of weight takes. */
static double study_frac(const struct fb_progress *p, uint64_t now, double pass_frac,
			 double *eta)
{
	double run_s = (double)(now - p->run_start_ns) / 1e9, run_frac = pass_frac, done;
	double elapsed = (double)(now - p->study_start_ns) / 1e9;

	if (p->study_done > 0 && p->done_s > 0) {
		double expect = p->done_s / p->study_done * p->run_weight;

		run_frac = expect > 0 ? run_s / expect : 0;
		if (run_frac > 0.99)	/* it runs longer than expected: not done yet */
			run_frac = 0.99;
	}
	done = p->study_done + p->run_weight * run_frac;
	*eta = done > 0 && elapsed > 0 ? elapsed / done * (p->study_total - done) : -1;
	return p->study_total > 0 ? done / p->study_total : 0;
}

/* The zoom sequence's fraction done and its ETA (fb_progress_frame()), from the share
 * of the frame under way that its pass shows (pass_frac). */
static double seq_frac(struct fb_progress *p, uint64_t now, double pass_frac, double *eta)
{
	double frame_s = (double)(now - p->frame_start_ns) / 1e9;
	double after = (double)(p->job_n - p->job_k);	/* frames after this one */

	/* A frame of several passes (encoding after the rows) shows each from 0: the
	 * most any has shown is the frame's share. */
	if (pass_frac > p->frame_frac)
		p->frame_frac = pass_frac;
	if (p->last_frame_s > 0) {
		/* The rest of this frame at the last one's pace; this frame, and each after
		 * it (deeper), at least as long as the last, longer when this one has run
		 * longer. No jump when it passes the last one's time: its rows do not cost
		 * alike (the set's inside costs max_iter), so its own rate, early on, could
		 * say anything. */
		double rest = (1 - p->frame_frac) * p->last_frame_s, frame = frame_s + rest;

		if (frame < p->last_frame_s)
			frame = p->last_frame_s;
		*eta = rest + after * frame;
	} else {	/* the first frame: its own rate is all there is */
		*eta = p->frame_frac > 0 ? frame_s / p->frame_frac * (after + 1 - p->frame_frac)
					 : -1;
	}
	return ((double)(p->job_k - 1) + p->frame_frac) / (double)p->job_n;
}

/* Writes the line over the one drawn: \r, the line, and the erase of what is left of
 * the longer line before (spaces on a plain terminal, at most to the width). */
static void draw(struct fb_progress *p, const char *text, size_t n, size_t max)
{
	size_t pad = 0;

	if (p->plain && p->drawn && (size_t)drawn_len > n)
		pad = ((size_t)drawn_len < max ? (size_t)drawn_len : max) - n;
	fprintf(stderr, "\r%s", text);
	if (p->plain)
		fprintf(stderr, "%*s", (int)pad, "");
	else
		fputs("\033[K", stderr);
	fflush(stderr);
	drawn_plain = p->plain;
	drawn_len = (sig_atomic_t)(n + pad);
	p->drawn = true;
}

void fb_progress_serial(void *pctx, const struct fb_pass *pass, uint64_t done)
{
	struct fb_progress *p = pctx;

	p->serial = true;
	fb_progress_update(pctx, pass, done);
	p->serial = false;
}

void fb_progress_update(void *pctx, const struct fb_pass *pass, uint64_t done)
{
	struct fb_progress *p = pctx;
	uint64_t now = fb_now_ns();
	const char *unit = pass->unit ? pass->unit : "rows";
	double elapsed, rate, eta_s;
	struct line l = { .show_count = true, .show_change = true, .show_rate = true,
			  .show_elapsed = true, .cells = BAR_WIDTH };
	char text[LINE_MAX + 256];
	unsigned cols;
	size_t n;

	/* The end of a sequence's last frame is drawn however soon after the last redraw:
	 * its 100% is the one that says the sequence is done. */
	bool seq_end = p->seq && !p->serial && p->job_k == p->job_n && done >= pass->rows &&
		       p->frame_frac < 1;

	if (!p->bar || (p->drawn && now - p->last_draw_ns < REDRAW_NS && !seq_end) ||
	    pass->rows == 0)
		return;
	p->last_draw_ns = now;
	elapsed = (double)(now - p->pass_start_ns) / 1e9;
	l.frac = (double)done / pass->rows;
	if (l.frac > 1)
		l.frac = 1;
	rate = elapsed > 0 ? (double)done / elapsed : 0;
	eta_s = rate > 0 ? (double)(pass->rows - (done < pass->rows ? done : pass->rows)) / rate
			 : -1;
	l.label = p->job;
	if (p->job_n)
		snprintf(l.prefix, sizeof(l.prefix), "%s %zu/%zu",
			 p->study ? "run" : p->seq ? "frame" : "job", p->job_k, p->job_n);
	cols = columns();
	/* No label is worth more than the width (a path may be kilobytes long). */
	l.label_max = label_len(&l) < cols ? label_len(&l) : cols;
	if (p->study) {
		/* The whole study, not the run: its runs are too short to watch one by one. */
		l.frac = study_frac(p, now, l.frac, &eta_s);
		elapsed = (double)(now - p->study_start_ns) / 1e9;
	} else if (p->seq) {
		/* The whole sequence, not the frame; a frame's rows and rate would read
		 * as the sequence's. */
		l.frac = seq_frac(p, now, p->serial ? 0 : l.frac, &eta_s);
		elapsed = (double)(now - p->seq_start_ns) / 1e9;
		l.name = pass->name;
	} else {
		l.name = pass->name;
		if (pass->steps > 1)	/* done is in rows of one step: rows x steps over all */
			snprintf(l.count, sizeof(l.count), "step %llu/%u",
				 (unsigned long long)(done * pass->steps / pass->rows), pass->steps);
		else
			snprintf(l.count, sizeof(l.count), "%llu/%u %s", (unsigned long long)done,
				 pass->rows, unit);
		if (pass->steps <= 1)
			snprintf(l.rate, sizeof(l.rate), "%.0f %s/s", rate, unit);
	}
	clock_text(l.elapsed, sizeof(l.elapsed), elapsed);
	if (eta_s >= 0)
		clock_text(l.eta + 4, sizeof(l.eta) - 4, eta_s);
	else
		snprintf(l.eta + 4, sizeof(l.eta) - 4, "?");
	memcpy(l.eta, "ETA ", 4);
	if (pass->converge && !p->study && !p->seq) {
		double v;

		/* Written by the worker that ends a step, in shared memory: one load. */
		__atomic_load(pass->converge, &v, __ATOMIC_RELAXED);
		if (v > 0)
			snprintf(l.change, sizeof(l.change), "change %.2g %s %.2g", v,
				 v < pass->converge_target ? "<" : ">", pass->converge_target);
		else
			snprintf(l.change, sizeof(l.change), "change - > %.2g",
				 pass->converge_target);
		/* It stops when the change falls below the target: the steps left are at
		 * most, not exactly, what the rate says. */
		if (eta_s >= 0) {
			char bound[32];

			clock_text(bound, sizeof(bound), eta_s);
			snprintf(l.eta, sizeof(l.eta), "ETA <= %s", bound);
		}
	}
	/* Leave the last column free: a full line wraps, and cannot be redrawn with \r. */
	n = fit(&l, text, sizeof(text), cols > 1 ? cols - 1 : 1);
	draw(p, text, n, cols > 1 ? cols - 1 : 1);
}

void fb_progress_clear(struct fb_progress *p)
{
	if (p->drawn) {
		if (p->plain)
			fprintf(stderr, "\r%*s\r", (int)drawn_len, "");
		else
			fputs("\r\033[K", stderr);
		fflush(stderr);
		drawn_len = 0;
		p->drawn = false;
	}
}

static void say(const char *s, size_t n)
{
	ssize_t unused = write(STDERR_FILENO, s, n);

	(void)unused;
}

void fb_progress_erase_now(void)
{
	static const char spaces[64] = "                                                               ";
	size_t left = (size_t)drawn_len;

	if (left == 0)
		return;
	say("\r", 1);
	if (!drawn_plain) {
		say("\033[K", 3);
		return;
	}
	for (; left > 0; left -= left < 63 ? left : 63)
		say(spaces, left < 63 ? left : 63);
	say("\r", 1);
}

void fb_progress_notice(void *pctx, const char *msg)
{
	struct fb_progress *p = pctx;

	if (p)
		fb_progress_clear(p);
	fprintf(stderr, "%s: recovered: %s\n", fb_error_program(), msg);
	fflush(stderr);
}

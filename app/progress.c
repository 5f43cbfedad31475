/* progress.c: drawing the bar. */
#include "runtime/compat.h"

#include "progress.h"

#include "runtime/error.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define REDRAW_NS (100 * 1000 * 1000)	/* at most 10 redraws a second */
#define BAR_WIDTH 24

static bool assume_terminal;

void fb_progress_assume_terminal(void)
{
	assume_terminal = true;
}

void fb_progress_init(struct fb_progress *p, bool quiet)
{
	*p = (struct fb_progress){ .quiet = quiet,
				   .bar = !quiet && (assume_terminal || isatty(STDERR_FILENO)) };
}

/* The terminal's width, so the bar never wraps (a wrapped line cannot be redrawn in
 * place with \r). Asked at each redraw: the window may be resized mid-run. */
static unsigned columns(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
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

void fb_progress_update(void *pctx, const struct fb_pass *pass, uint64_t done)
{
	struct fb_progress *p = pctx;
	uint64_t now = fb_now_ns();
	double elapsed, rate, frac;
	char bar[BAR_WIDTH + 1], el[48], eta[48], line[512];
	const char *unit = pass->unit ? pass->unit : "rows";
	unsigned fill, cols;

	if (!p->bar || (p->drawn && now - p->last_draw_ns < REDRAW_NS) || pass->rows == 0)
		return;
	p->last_draw_ns = now;
	elapsed = (double)(now - p->pass_start_ns) / 1e9;
	frac = (double)done / pass->rows;
	rate = elapsed > 0 ? (double)done / elapsed : 0;
	fill = (unsigned)(frac * BAR_WIDTH);
	for (unsigned i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[BAR_WIDTH] = '\0';
	clock_text(el, sizeof(el), elapsed);
	if (rate > 0)
		clock_text(eta, sizeof(eta), (double)(pass->rows - done) / rate);
	else
		snprintf(eta, sizeof(eta), "?");
	if (pass->steps > 1)	/* done is in rows of one step: rows x steps over all */
		snprintf(line, sizeof(line), "%s%s%-7s [%s] %3.0f%%  step %llu/%u  %s  ETA %s",
			 p->job ? p->job : "", p->job ? " " : "", pass->name, bar, frac * 100,
			 (unsigned long long)(done * pass->steps / pass->rows), pass->steps, el, eta);
	else
		snprintf(line, sizeof(line),
			 "%s%s%-7s [%s] %3.0f%%  %llu/%u %s  %.0f %s/s  %s  ETA %s",
			 p->job ? p->job : "", p->job ? " " : "", pass->name, bar, frac * 100,
			 (unsigned long long)done, pass->rows, unit, rate, unit, el, eta);
	cols = columns();
	if (strlen(line) >= cols)	/* leave the last column free: no automatic wrap */
		line[cols - 1] = '\0';
	/* \r and erase-to-end-of-line redraw the one line in place. */
	fprintf(stderr, "\r%s\033[K", line);
	fflush(stderr);
	p->drawn = true;
}

void fb_progress_clear(struct fb_progress *p)
{
	if (p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		p->drawn = false;
	}
}

void fb_progress_notice(void *pctx, const char *msg)
{
	struct fb_progress *p = pctx;

	if (p)
		fb_progress_clear(p);
	fprintf(stderr, "%s: recovered: %s\n", fb_error_program(), msg);
	fflush(stderr);
}

/* heat.c: explicit 2-D heat diffusion on a grid of doubles, workers kept across steps.
 *
 * Each step computes, for every cell not held fixed,
 *   u'[i][j] = u[i][j] + alpha * (u[i-1][j] + u[i+1][j] + u[i][j-1] + u[i][j+1] - 4 u[i][j])
 * from the previous step's grid (two shared grids, swapped each step); the outermost
 * rows and columns (the boundary) and the source discs are held at their values. The
 * workers are forked once for all steps and meet at the runtime's process barrier
 * after each (struct fb_pass.steps); the worker that ends a step swaps the grids and
 * decides, from the step's largest |change| (a max, reduced under the spinlock, so the
 * same for any workers), whether to stop. Every cell's update reads only the previous
 * grid, so the field is the same bit for bit for any -j and schedule. Then a pass
 * gathers min, max and per-row sums (folded in row order: the mean), and a last pass
 * colours the field on the perceptual "viridis" scale from min to max.
 */
#include "runtime/compat.h"

#include "colormap.h"
#include "kernel.h"
#include "runtime/error.h"
#include "runtime/shared_mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct boundary {
	double top, bottom, left, right;
};

struct source {
	double x, y, radius, value;
};

struct heat_params {
	double alpha;
	int64_t steps;
	double tolerance;
	double initial;
	struct boundary boundary;
	struct fb_op_list sources;
	double range[2];	/* NAN: the field's min and max */
};

static const struct fb_param boundary_params[] = {
	{ "top", FB_PARAM_REAL, offsetof(struct boundary, top), "value of the top row",
	  .min = -1e300, .max = 1e300, .def = { 0 } },
	{ "bottom", FB_PARAM_REAL, offsetof(struct boundary, bottom), "value of the bottom row",
	  .min = -1e300, .max = 1e300, .def = { 0 } },
	{ "left", FB_PARAM_REAL, offsetof(struct boundary, left), "value of the left column",
	  .min = -1e300, .max = 1e300, .def = { 0 } },
	{ "right", FB_PARAM_REAL, offsetof(struct boundary, right), "value of the right column",
	  .min = -1e300, .max = 1e300, .def = { 0 } },
};

static const struct fb_param source_params[] = {
	{ "x", FB_PARAM_REAL, offsetof(struct source, x), "centre column", .min = -1e9,
	  .max = 1e9, .required = true },
	{ "y", FB_PARAM_REAL, offsetof(struct source, y), "centre row", .min = -1e9, .max = 1e9,
	  .required = true },
	{ "radius", FB_PARAM_REAL, offsetof(struct source, radius),
	  "cells within this distance of the centre are held", .min = 0, .max = 1e9,
	  .def = { 1 } },
	{ "value", FB_PARAM_REAL, offsetof(struct source, value), "the value they are held at",
	  .min = -1e300, .max = 1e300, .required = true },
};

static const struct fb_op_def boundary_def = {
	"boundary", "the outermost rows and columns, held fixed (rows win the corners)",
	boundary_params, FB_ARRAY_LEN(boundary_params), sizeof(struct boundary)
};

static const struct fb_op_def source_def = {
	"source", "a disc of cells held at a value (sources win over the boundary)",
	source_params, FB_ARRAY_LEN(source_params), sizeof(struct source)
};

static const struct fb_param params[] = {
	{ "alpha", FB_PARAM_REAL, offsetof(struct heat_params, alpha),
	  "diffusion per step; at most 0.25 keeps the explicit scheme stable", .min = 0,
	  .max = 0.25, .min_open = true, .def = { 0.2 } },
	{ "steps", FB_PARAM_INT, offsetof(struct heat_params, steps), "the most steps to take",
	  .min = 1, .max = 100000000, .def = { 1000 } },
	{ "tolerance", FB_PARAM_REAL, offsetof(struct heat_params, tolerance),
	  "stop once a step's largest change is below this; 0: take every step", .min = 0,
	  .max = 1e300, .def = { 0 } },
	{ "initial", FB_PARAM_REAL, offsetof(struct heat_params, initial),
	  "the starting value of every cell not held fixed", .min = -1e300, .max = 1e300,
	  .def = { 0 } },
	{ "boundary", FB_PARAM_OBJECT, offsetof(struct heat_params, boundary),
	  "{top, bottom, left, right}: the border's values", .ops = &boundary_def, .n_ops = 1 },
	{ "sources", FB_PARAM_LIST, offsetof(struct heat_params, sources),
	  "[{x, y, radius, value}, ...]: discs held fixed", .ops = &source_def, .n_ops = 1 },
	{ "range", FB_PARAM_POINT, offsetof(struct heat_params, range),
	  "[lo, hi]: the values the colour scale spans (beyond: clamped)", .optional = true,
	  .def_text = "the final field's min and max" },
};

static int check(const void *vp, uint32_t w, uint32_t h, const char **field, char *expected,
		 size_t len)
{
	const struct heat_params *p = vp;

	(void)w;
	(void)h;
	if (!isnan(p->range[0]) && !(p->range[0] < p->range[1])) {
		*field = "range";
		snprintf(expected, len, "[lo, hi] with lo below hi");
		return -1;
	}
	return 0;
}

/* What the workers share besides the grids. */
struct control {
	unsigned cur;			/* grid holding the latest step */
	unsigned steps;			/* steps taken */
	bool stopped;			/* the tolerance was reached */
	double step_max;		/* largest |change| of the step under way */
	double residual;		/* largest |change| of the last step taken */
	struct fb_range range;		/* of the field as it stands */
};

struct partial {
	double max_change;
	struct fb_range range;
};

struct state {
	struct heat_params p;
	uint32_t w, h;
	size_t cells;
	double *grid[2];		/* shared */
	double *rowsum;			/* shared, one per row */
	uint8_t *rgb;			/* shared */
	struct control *ctl;		/* shared */
	uint8_t *fixed;			/* private: 1 where held; made before the fork */
	double mean;
	size_t grid_size, row_size, rgb_size;
	/* The passes: step segments of `every` steps (all steps when not filmed), each
	 * followed by stats and colour; `next` is the next one to describe. */
	unsigned every;
	enum { NEXT_STEP, NEXT_STATS, NEXT_COLOUR, NEXT_DONE } next;
	bool held;		/* hold() has set the grids */
};

static void destroy(void *vs)
{
	struct state *s = vs;

	if (!s)
		return;
	shared_free(s->grid[0], s->grid_size);
	shared_free(s->grid[1], s->grid_size);
	shared_free(s->rowsum, s->row_size);
	shared_free(s->rgb, s->rgb_size);
	shared_free(s->ctl, sizeof(*s->ctl));
	free(s->fixed);
	free(s);
}

/* Marks and sets the cells held fixed, in both grids: the border, then the sources. */
static void hold(struct state *s)
{
	const struct heat_params *p = &s->p;

	for (uint32_t i = 0; i < s->h; i++) {
		for (uint32_t j = 0; j < s->w; j++) {
			size_t c = (size_t)i * s->w + j;
			double v = p->initial;
			bool f = true;

			if (i == 0)
				v = p->boundary.top;
			else if (i == s->h - 1)
				v = p->boundary.bottom;
			else if (j == 0)
				v = p->boundary.left;
			else if (j == s->w - 1)
				v = p->boundary.right;
			else
				f = false;
			for (size_t k = 0; k < p->sources.n; k++) {
				const struct source *src = p->sources.op[k].params;
				double dx = j - src->x, dy = i - src->y;

				if (dx * dx + dy * dy <= src->radius * src->radius) {
					v = src->value;
					f = true;
				}
			}
			s->fixed[c] = f;
			s->grid[0][c] = s->grid[1][c] = v;
		}
	}
}

static int create(void **out, const void *vp, uint32_t w, uint32_t h,
		  const struct fb_image *input)
{
	struct state *s = calloc(1, sizeof(*s));

	(void)input;
	if (!s)
		return fb_error("out of memory");
	s->p = *(const struct heat_params *)vp;
	s->w = w;
	s->h = h;
	if (!fb_size_mul(w, h, &s->cells) || !fb_size_mul(s->cells, sizeof(double), &s->grid_size) ||
	    !fb_size_mul(s->cells, 3, &s->rgb_size) || !fb_size_mul(h, sizeof(double), &s->row_size)) {
		free(s);
		return fb_error("a %ux%u grid is too large for this machine's address space", w, h);
	}
	s->grid[0] = shared_malloc_or_error(s->grid_size);
	s->grid[1] = s->grid[0] ? shared_malloc_or_error(s->grid_size) : NULL;
	s->rowsum = s->grid[1] ? shared_malloc_or_error(s->row_size) : NULL;
	s->rgb = s->rowsum ? shared_malloc_or_error(s->rgb_size) : NULL;
	s->ctl = s->rgb ? shared_malloc_or_error(sizeof(*s->ctl)) : NULL;
	s->fixed = s->ctl ? malloc(s->cells) : NULL;
	if (!s->fixed) {
		if (s->ctl)
			fb_error("out of memory");
		destroy(s);
		return -1;
	}
	/* hold() writes every cell: it waits for the first pass, so that creating the
	 * state to size it (validation, the memory check) touches no page. */
	*out = s;
	return 0;
}

static void step_rows(void *vs, uint32_t y0, uint32_t y1, void *vpart)
{
	const struct state *s = vs;
	struct partial *part = vpart;
	const double *u = s->grid[s->ctl->cur];
	double *o = s->grid[s->ctl->cur ^ 1], a = s->p.alpha, most = 0;
	size_t w = s->w;

	for (size_t i = y0; i < y1; i++) {
		for (size_t j = 0; j < w; j++) {
			size_t c = i * w + j;
			double v = u[c], d;

			if (s->fixed[c]) {
				o[c] = v;
				continue;
			}
			/* The border is held, so a free cell always has four neighbours. */
			o[c] = v + a * (u[c - w] + u[c + w] + u[c - 1] + u[c + 1] - 4 * v);
			d = fabs(o[c] - v);
			most = d > most ? d : most;
		}
	}
	part->max_change = most;
}

/* Under the lock: a max, the same in any order. */
static void step_fold(void *vs, const void *vpart)
{
	struct state *s = vs;
	const struct partial *p = vpart;

	if (p->max_change > s->ctl->step_max)
		s->ctl->step_max = p->max_change;
}

/* In the worker that ends the step, while the others wait at the barrier. */
static bool step_end(void *vs, unsigned step)
{
	struct state *s = vs;
	struct control *c = s->ctl;

	(void)step;	/* counted across the segments of a filmed run instead */
	c->residual = c->step_max;
	c->step_max = 0;
	c->steps++;
	c->cur ^= 1;
	c->stopped = s->p.tolerance > 0 && c->residual < s->p.tolerance;
	return c->stopped;
}

static void stats_rows(void *vs, uint32_t y0, uint32_t y1, void *vpart)
{
	const struct state *s = vs;
	struct partial *part = vpart;
	const double *u = s->grid[s->ctl->cur];

	for (size_t i = y0; i < y1; i++) {
		double sum = 0;

		for (size_t j = 0; j < s->w; j++) {
			double v = u[i * s->w + j];

			sum += v;
			fb_range_add(&part->range, v);
		}
		s->rowsum[i] = sum;
	}
}

static void stats_fold(void *vs, const void *vpart)
{
	struct state *s = vs;
	const struct partial *p = vpart;

	fb_range_merge(&s->ctl->range, &p->range);
}

static void colour_rows(void *vs, uint32_t y0, uint32_t y1, void *unused)
{
	const struct state *s = vs;
	const double *u = s->grid[s->ctl->cur];
	bool fixed = !isnan(s->p.range[0]);
	double lo = fixed ? s->p.range[0] : s->ctl->range.min;
	double span = (fixed ? s->p.range[1] : s->ctl->range.max) - lo;

	(void)unused;
	for (size_t c = (size_t)y0 * s->w; c < (size_t)y1 * s->w; c++)
		fb_palette_linear(FB_PALETTE_VIRIDIS, span > 0 ? (u[c] - lo) / span : 0,
				  s->rgb + 3 * c);
}

static unsigned steps_left(const struct state *s)
{
	return s->ctl->stopped ? 0 : (unsigned)s->p.steps - s->ctl->steps;
}

static bool pass(void *vs, unsigned i, struct fb_pass *out)
{
	struct state *s = vs;
	unsigned left = steps_left(s);

	(void)i;
	if (!s->held) {
		hold(s);
		s->held = true;
	}
	*out = (struct fb_pass){ .rows = s->h, .ctx = s, .partial_size = sizeof(struct partial),
				 .state = { { s->ctl, sizeof(*s->ctl), false } } };
	switch (s->next) {
	case NEXT_STEP:
		out->name = "step";
		out->phase = "compute";
		out->compute = step_rows;
		out->fold = step_fold;
		out->steps = s->every && s->every < left ? s->every : left;
		out->step_end = step_end;
		if (s->p.tolerance > 0) {	/* progress shows the change, not a false ETA */
			out->converge = &s->ctl->residual;
			out->converge_target = s->p.tolerance;
		}
		/* A step writes the grid that is not current, reading a row's neighbours. */
		out->out_rows[0] = (struct fb_rowbuf){ s->grid[0], s->w * sizeof(double) };
		out->out_rows[1] = (struct fb_rowbuf){ s->grid[1], s->w * sizeof(double) };
		out->halo = 1;
		return true;
	case NEXT_STATS:
		out->name = "stats";
		out->phase = "colour";
		out->compute = stats_rows;
		out->fold = stats_fold;
		out->out_rows[0] = (struct fb_rowbuf){ s->rowsum, sizeof(double) };
		return true;
	case NEXT_COLOUR:
		out->name = "colour";
		out->phase = "colour";
		out->compute = colour_rows;
		out->partial_size = 0;
		out->frame = s->every > 0;
		out->out_rows[0] = (struct fb_rowbuf){ s->rgb, s->w * 3 };
		return true;
	default:
		return false;
	}
}

/* In the parent, after each pass: the mean from the row sums (in row order) after a
 * stats pass, and which pass comes next. */
static int after_pass(void *vs, unsigned i)
{
	struct state *s = vs;
	double sum = 0;

	(void)i;
	switch (s->next) {
	case NEXT_STEP:
		s->next = NEXT_STATS;
		s->ctl->range.any = false;	/* fresh min and max for this field */
		break;
	case NEXT_STATS:
		for (uint32_t r = 0; r < s->h; r++)
			sum += s->rowsum[r];
		s->mean = sum / (double)s->cells;
		s->next = NEXT_COLOUR;
		break;
	default:
		s->next = steps_left(s) ? NEXT_STEP : NEXT_DONE;
		break;
	}
	return 0;
}

static void frames(void *vs, unsigned every)
{
	((struct state *)vs)->every = every;
}

static uint64_t frame_step(void *vs)
{
	return ((struct state *)vs)->ctl->steps;
}

static void output(void *vs, struct fb_kernel_output *out)
{
	struct state *s = vs;

	*out = (struct fb_kernel_output){ .rgb = s->rgb, .raw = s->grid[s->ctl->cur],
					  .raw_descr = "<f8", .raw_elem_size = 8 };
}

static size_t totals(void *vs, struct fb_total *out, size_t max)
{
	struct state *s = vs;
	const struct control *c = s->ctl;
	struct fb_total all[] = {
		{ "steps", false, c->steps, 0, NULL, 0 },
		{ "residual", true, 0, c->residual, NULL, 0 },
		{ "min", true, 0, c->range.min, NULL, 0 },
		{ "max", true, 0, c->range.max, NULL, 0 },
		{ "mean", true, 0, s->mean, NULL, 0 },
	};
	size_t n = FB_ARRAY_LEN(all) < max ? FB_ARRAY_LEN(all) : max;

	memcpy(out, all, n * sizeof(*out));
	return n;
}

static size_t footprint(void *vs)
{
	const struct state *s = vs;

	return 2 * s->grid_size + s->row_size + s->rgb_size + s->cells;
}

const struct fb_kernel fb_kernel_heat = {
	.name = "heat",
	.summary = "explicit 2-D heat diffusion, workers kept across steps at a process barrier",
	.params = params,
	.n_params = FB_ARRAY_LEN(params),
	.params_size = sizeof(struct heat_params),
	.rows_declared = true,
	.raw_output = "npy",
	.raw_help = "the final field as a .npy file ('<f8', shape (height, width))",
	.frames = frames,
	.frame_step = frame_step,
	.check = check,
	.create = create,
	.pass = pass,
	.after_pass = after_pass,
	.output = output,
	.totals = totals,
	.footprint = footprint,
	.destroy = destroy,
};

/* escape.c: the machinery of the escape-time kernels (mandelbrot.c, julia.c).
 *
 * The arithmetic follows the spec in docs/config.md exactly (tests compare it with a
 * plain reference): pixel (x, y) maps to the point p = (cx + (x + 0.5 - W/2) d,
 * cy + (H/2 - (y + 0.5)) d) with d = scale / W; Mandelbrot iterates from z0 = 0 with
 * c = p, Julia from z0 = p with the param c (fb_escape_count() in escape.h); the count
 * is the first k with |z_k|^2 > R^2, or 0.
 *
 * Pass 0 (compute) writes the counts and, for smooth and histogram colouring, the
 * fractional escape value; each chunk folds inside/escaped/iterations and its part of
 * the histogram. A
 * row's counts and |z|^2 come from the row loop of the chosen instruction set
 * (escape_row.h: scalar, SSE2 or AVX2, bit-identical in exact arithmetic); everything
 * after them (totals, the smooth value, the histogram) is this file's one loop, so
 * instruction sets can only differ where fast arithmetic changes counts or |z|^2.
 * Pass 1 (colour) maps counts to RGB; histogram colouring needs the whole histogram,
 * which is why colouring is a pass of its own.
 *
 * Strips (create_strips): a row is counted and coloured in one visit (smooth and bands
 * need nothing beyond the row), into rings of rows; the counts and the smooth offsets of
 * a row stay private unless the raw grid is asked for. Histogram colouring computes
 * twice: a first pass over the whole image folds only the histogram, keeping no row,
 * and the strips then count again and colour (docs/decisions.md says why).
 */
#include "runtime/compat.h"

#include "escape.h"

#include "escape_deep.h"
#include "escape_row.h"
#include "colormap.h"
#include "kernel.h"
#include "runtime/error.h"
#include "runtime/shared_mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const fb_escape_coloring_names[] = { "smooth", "histogram", "bands", NULL };
const char *const fb_escape_arithmetic_names[] = { "exact", "fast", NULL };

_Static_assert(sizeof(float) == sizeof(uint32_t), "frac is sized like counts");

struct state;

/* The strip being made: its state and first row (strip_pass()). */
struct strip_ctx {
	struct state *s;
	uint32_t y0;
};

struct partial {
	uint64_t inside, escaped, iterations, steps;
	uint32_t kmin, kmax;	/* range of escaped counts in the chunk (histogram) */
};

/* Totals, in shared memory: folded under the pool's lock. */
struct totals {
	uint64_t inside, escaped, iterations;
	uint64_t steps;		/* deep views: the steps taken (escape_deep.h) */
};

struct state {
	struct escape_params p;
	uint32_t w, h;
	double d, r2, log_r;
	size_t pixels;
	bool julia;
	fb_escape_row_fn *row_fn;	/* chosen at create, from the process-wide ISA */
	struct fb_escape_deep *deep;	/* a deep view: perturbation (escape_deep.h) */

	/* Shared (mapped before the passes). */
	uint32_t *counts;
	float *frac;		/* smooth and histogram: k - mu, the potential's offset */
	uint8_t *rgb;
	struct totals *totals;
	uint64_t *hist;		/* histogram only: [max_iter + 1] */

	/* Private to each process (copied on fork). */
	uint64_t *chunk_hist;	/* histogram only: one chunk's counts, zero between chunks */
	uint64_t *cum;		/* histogram only: prefix sums of hist, built between passes */
	double *row_mag2;	/* one row's |z|^2 at escape, from row_fn */

	size_t counts_size, frac_size, rgb_size, hist_size;

	/* Strips: rows in rings (0: the whole image); a private row of counts and of smooth
	 * offsets where a row is not kept. */
	uint32_t ring, raw_ring;
	uint32_t *row_counts;
	float *row_frac;
	struct strip_ctx strip;
};

int fb_escape_check(const void *vp, uint32_t w, uint32_t h, const char **field,
		 char *expected, size_t len)
{
	const struct escape_params *p = vp;
	long double d = fb_escape_pixel_size(p, w);

	(void)h;
	if (p->coloring == MB_HISTOGRAM && p->max_iter > MB_HISTOGRAM_MAX_ITER) {
		*field = "max_iter";
		snprintf(expected, len, "at most %d with histogram coloring",
			 MB_HISTOGRAM_MAX_ITER);
		return -1;
	}
	if (!isfinite(p->scale)) {
		/* A decimal string above double's range: the double path's offsets. */
		*field = "scale";
		snprintf(expected, len, "a scale of at most 1.7e308 (double's largest)");
		return -1;
	}
	if (!(d > 0)) {
		/* scale / width underflowed to 0: every pixel would be the same point. */
		*field = "scale";
		snprintf(expected, len, "a scale whose pixel size (scale / width) is above 0");
		return -1;
	}
	return 0;
}

void fb_escape_destroy(void *vs)
{
	struct state *s = vs;

	if (!s)
		return;
	shared_free(s->counts, s->counts_size);
	shared_free(s->frac, s->frac_size);
	shared_free(s->rgb, s->rgb_size);
	shared_free(s->totals, sizeof(*s->totals));
	shared_free(s->hist, s->hist_size);
	fb_escape_deep_destroy(s->deep);
	free(s->chunk_hist);
	free(s->cum);
	free(s->row_mag2);
	free(s->row_counts);
	free(s->row_frac);
	free(s);
}

/* create() and create_strips(): rows for the image from rgb_rows rows of RGB and
 * count_rows rows of counts (0: a private row); the smooth offsets of every pixel
 * unless in strips. */
static int create(struct state **out, const void *vp, uint32_t w, uint32_t h, bool julia,
		  uint32_t rgb_rows, uint32_t count_rows, bool strips)
{
	struct state *s = calloc(1, sizeof(*s));
	size_t bins, count_px, rgb_px;

	if (!s)
		return fb_error("out of memory");
	s->p = *(const struct escape_params *)vp;
	s->julia = julia;
	s->w = w;
	s->h = h;
	s->d = s->p.scale / w;
	s->r2 = s->p.bailout * s->p.bailout;
	s->log_r = log(s->p.bailout);
	s->row_fn = fb_escape_row_for(fb_isa_current(), s->p.arithmetic == MB_FAST);
	if (!fb_size_mul(w, h, &s->pixels) || !fb_size_mul(w, rgb_rows, &rgb_px) ||
	    !fb_size_mul(w, count_rows, &count_px) ||
	    !fb_size_mul(count_px, sizeof(uint32_t), &s->counts_size) ||
	    !fb_size_mul(rgb_px, 3, &s->rgb_size)) {
		free(s);
		return fb_error("a %ux%u image is too large for this machine's address space", w, h);
	}
	s->rgb = shared_malloc_or_error(s->rgb_size);
	s->counts = s->rgb && count_rows ? shared_malloc_or_error(s->counts_size) : NULL;
	s->totals = s->rgb && (s->counts || !count_rows) ?
		    shared_malloc_or_error(sizeof(*s->totals)) : NULL;
	if (!s->totals)
		goto fail;
	if (!(s->row_mag2 = calloc(w, sizeof(*s->row_mag2))) ||
	    !(s->row_counts = malloc((size_t)w * sizeof(*s->row_counts))) ||
	    !(s->row_frac = malloc((size_t)w * sizeof(*s->row_frac)))) {
		fb_error("out of memory");
		goto fail;
	}
	if (!julia && fb_escape_is_deep(&s->p, w) &&
	    fb_escape_deep_create(&s->deep, &s->p, w, h, s->r2) < 0)
		goto fail;
	if (s->p.coloring != MB_BANDS && !strips) {
		s->frac_size = s->counts_size;	/* a float per pixel, as a uint32_t count */
		if (!(s->frac = shared_malloc_or_error(s->frac_size)))
			goto fail;
	}
	if (s->p.coloring == MB_HISTOGRAM) {
		bins = (size_t)s->p.max_iter + 1;	/* capped by check(): no overflow */
		s->hist_size = bins * sizeof(uint64_t);
		s->hist = shared_malloc_or_error(s->hist_size);
		s->chunk_hist = calloc(bins, sizeof(*s->chunk_hist));
		s->cum = calloc(bins, sizeof(uint64_t));
		if (!s->hist)
			goto fail;
		if (!s->chunk_hist || !s->cum) {
			fb_error("out of memory for a histogram of %zu bins", bins);
			goto fail;
		}
	}
	*out = s;
	return 0;
fail:
	fb_escape_destroy(s);
	return -1;
}

int fb_escape_create(void **out, const void *vp, uint32_t w, uint32_t h, bool julia)
{
	return create((struct state **)out, vp, w, h, julia, h, h, false);
}

int fb_escape_create_strips(void **out, const void *vp, uint32_t w, uint32_t h,
			    const struct fb_strip_shape *shape, bool julia)
{
	struct state *s;

	if (shape->ring == 0 || shape->ring > h || shape->raw_ring > h)
		FB_BUG("escape strips: ring %u, raw ring %u for %u rows", shape->ring,
		       shape->raw_ring, h);
	if (create(&s, vp, w, h, julia, shape->ring, shape->raw_ring, true) < 0)
		return -1;
	s->ring = shape->ring;
	s->raw_ring = shape->raw_ring;
	*out = s;
	return 0;
}

/* The scalar row loop, fb_escape_count() pixel by pixel, for every machine: the
 * reference that the vector loops (escape_lanes.h) must equal bit for bit. */
void fb_escape_row_scalar(const struct fb_escape_row *r, uint32_t x0, uint32_t n,
			  uint32_t *count, double *mag2)
{
	for (uint32_t i = 0; i < n; i++) {
		/* The pixel's point: c for Mandelbrot, z0 for Julia. */
		uint32_t x = x0 + i;
		double re = r->center_re + (x + 0.5 - r->half_w) * r->d;

		mag2[i] = 0;
		count[i] = r->julia ? fb_escape_count(re, r->im, r->cr, r->ci, r->max_iter, r->r2,
						      &mag2[i])
				    : fb_escape_count(0, 0, re, r->im, r->max_iter, r->r2, &mag2[i]);
	}
}

bool fb_escape_row_has_fast(enum fb_isa isa)
{
#if defined(__x86_64__)
	if (isa == FB_ISA_AUTO)
		isa = fb_isa_best();
	return isa == FB_ISA_AVX512 || (isa == FB_ISA_AVX2 && fb_isa_has_fma());
#else
	(void)isa;
	return false;
#endif
}

fb_escape_row_fn *fb_escape_row_for(enum fb_isa isa, bool fast)
{
	if (isa == FB_ISA_AUTO)
		isa = fb_isa_best();
#if defined(__x86_64__)
	if (isa == FB_ISA_AVX512)
		return fast ? fb_escape_row_avx512_fast : fb_escape_row_avx512;
	if (isa == FB_ISA_AVX2)
		return fast && fb_escape_row_has_fast(isa) ? fb_escape_row_avx2_fast
							   : fb_escape_row_avx2;
	if (isa == FB_ISA_SSE2)
		return fb_escape_row_sse2;
#else
	(void)fast;
#endif
	return fb_escape_row_scalar;
}

/* Counts row y into row (and, where frac is not NULL, the smooth offsets into it),
 * adding to the chunk's totals and, when hist, to its histogram. The offset is computed
 * here from |z|^2 alone, whichever row loop ran, so every instruction set that gives
 * the same |z|^2 gives the same offsets, and both colourings that use it see one
 * value. */
static void count_row(struct state *s, uint32_t y, uint32_t *row, float *frac, bool hist,
		      struct partial *part)
{
	uint32_t max_iter = (uint32_t)s->p.max_iter;
	struct fb_escape_row r = {
		.center_re = s->p.center[0], .half_w = s->w / 2.0, .d = s->d,
		.cr = s->p.c[0], .ci = s->p.c[1], .r2 = s->r2, .max_iter = max_iter,
		.julia = s->julia,
	};

	r.im = s->p.center[1] + (s->h / 2.0 - (y + 0.5)) * s->d;
	if (s->deep)
		part->steps += fb_escape_deep_row(s->deep, y, row, s->row_mag2);
	else
		s->row_fn(&r, 0, s->w, row, s->row_mag2);
	for (uint32_t x = 0; x < s->w; x++) {
		uint32_t k = row[x];

		if (k == 0) {
			part->inside++;
			part->iterations += max_iter;
			continue;
		}
		part->escaped++;
		part->iterations += k;
		if (frac) {
			/* Continuous potential: mu = k - log2(log|z_k| / log R), which is k
			 * minus a value >= 0 (|z_k| > R); store that value. A radius <= 1 has
			 * no such potential: keep the integer count. */
			double f = 0;

			if (s->log_r > 0)
				f = log2(0.5 * log(s->row_mag2[x]) / s->log_r);
			frac[x] = (float)(f > 0 ? f : 0);
		}
		if (hist) {
			s->chunk_hist[k]++;
			if (k < part->kmin)
				part->kmin = k;
			if (k > part->kmax)
				part->kmax = k;
		}
	}
}

static void compute_rows(void *vs, uint32_t y0, uint32_t y1, void *vpart)
{
	struct state *s = vs;
	struct partial *part = vpart;

	part->kmin = UINT32_MAX;
	part->kmax = 0;
	for (uint32_t y = y0; y < y1; y++)
		count_row(s, y, s->counts + (size_t)y * s->w,
			  s->frac ? s->frac + (size_t)y * s->w : NULL, s->hist != NULL, part);
}

/* The folds run under the lock. */
static void fold_totals(void *vs, const void *vpart)
{
	struct state *s = vs;
	const struct partial *part = vpart;

	s->totals->inside += part->inside;
	s->totals->escaped += part->escaped;
	s->totals->iterations += part->iterations;
	s->totals->steps += part->steps;
}

/* The histogram part touches bins kmin..kmax only: at most kmax bins, and some pixel of
 * the chunk iterated kmax times, so the fold never costs more than one pixel of the chunk
 * did (in practice a tiny fraction of the chunk's work). */
static void histogram_fold(void *vs, const void *vpart)
{
	struct state *s = vs;
	const struct partial *part = vpart;

	for (uint32_t k = part->kmin; k <= part->kmax && part->kmin <= part->kmax; k++) {
		s->hist[k] += s->chunk_hist[k];
		s->chunk_hist[k] = 0;
	}
}

static void compute_fold(void *vs, const void *vpart)
{
	fold_totals(vs, vpart);
	histogram_fold(vs, vpart);
}

double fb_escape_histogram_level(const uint64_t *cum, double escaped, uint32_t k, float frac)
{
	/* |z_k| <= R^2 + |c| can pass R^2 a little: the offset then passes 1. */
	double f = frac < 1 ? frac : 1;
	/* In counts of pixels, exact at both ends (integers below 2^53): offset 1 gives
	 * exactly cum[k - 1], the level of count k - 1 at offset 0. */
	double below = (double)cum[k] - (double)(cum[k] - cum[k - 1]) * f;

	return below / escaped;
}

/* Colours one row of counts (and smooth offsets) into px. */
static void colour_row(const struct state *s, const uint32_t *counts, const float *frac,
		       uint8_t *px)
{
	static const uint8_t black[3] = { 0, 0, 0 };
	/* Histogram colouring: the escaped pixels, all of them in the histogram (in strips
	 * the totals are still being folded while rows are coloured). */
	double escaped = s->cum ? (double)s->cum[s->p.max_iter] : 0;

	for (uint32_t x = 0; x < s->w; x++, px += 3) {
		uint32_t k = counts[x];

		if (k == 0) {
			memcpy(px, black, 3);
			continue;
		}
		switch (s->p.coloring) {
		case MB_SMOOTH:
			/* Cycle the palette once per doubling of the potential: evenly
			 * spaced bands near the set and far from it. */
			fb_palette_cyclic(s->p.palette, log2((double)k - frac[x] + 1) * 0.5, px);
			break;
		case MB_HISTOGRAM:
			fb_palette_linear(s->p.palette,
					  fb_escape_histogram_level(s->cum, escaped, k, frac[x]), px);
			break;
		default:
			fb_palette_band(s->p.palette, k, px);
			break;
		}
	}
}

static void colour_rows(void *vs, uint32_t y0, uint32_t y1, void *unused)
{
	struct state *s = vs;

	(void)unused;
	for (uint32_t y = y0; y < y1; y++) {
		size_t base = (size_t)y * s->w;

		colour_row(s, s->counts + base, s->frac ? s->frac + base : NULL,
			   s->rgb + 3 * base);
	}
}

/* Strips: the histogram pass counts rows it does not keep (nor their offsets: the
 * strips compute them again). */
static void histogram_rows(void *vs, uint32_t y0, uint32_t y1, void *vpart)
{
	struct state *s = vs;
	struct partial *part = vpart;

	part->kmin = UINT32_MAX;
	part->kmax = 0;
	for (uint32_t y = y0; y < y1; y++)
		count_row(s, y, s->row_counts, NULL, true, part);
}

/* Strips: rows counted and coloured in one visit, into the rings. The histogram (when
 * coloured by it) is complete: it was the pass before the strips. */
static void strip_rows(void *vs, uint32_t y0, uint32_t y1, void *vpart)
{
	struct state *s = vs;
	struct partial *part = vpart;

	part->kmin = UINT32_MAX;
	part->kmax = 0;
	for (uint32_t y = y0; y < y1; y++) {
		uint32_t *counts = s->counts ? s->counts + (size_t)(y % s->raw_ring) * s->w
					     : s->row_counts;

		count_row(s, y, counts, s->p.coloring != MB_BANDS ? s->row_frac : NULL, false,
			  part);
		colour_row(s, counts, s->row_frac, s->rgb + (size_t)(y % s->ring) * s->w * 3);
	}
}

/* A strip's rows, offset from the strip's first. */
static void strip_rows_at(void *vc, uint32_t y0, uint32_t y1, void *vpart)
{
	struct strip_ctx *c = vc;

	strip_rows(c->s, c->y0 + y0, c->y0 + y1, vpart);
}

static void strip_fold_at(void *vc, const void *vpart)
{
	fold_totals(((struct strip_ctx *)vc)->s, vpart);
}

bool fb_escape_strip_pass(void *vs, unsigned i, uint32_t y0, uint32_t y1, struct fb_pass *out)
{
	struct state *s = vs;

	if (i > 0)
		return false;
	s->strip = (struct strip_ctx){ s, y0 };
	*out = (struct fb_pass){
		.name = "compute", .phase = "compute", .rows = y1 - y0, .ctx = &s->strip,
		.compute = strip_rows_at, .partial_size = sizeof(struct partial),
		.fold = strip_fold_at,
		/* Copied, not zeroed: earlier strips have folded into it. */
		.state = { { s->totals, sizeof(*s->totals), false } },
	};
	return true;
}

bool fb_escape_pass(void *vs, unsigned i, struct fb_pass *out)
{
	struct state *s = vs;

	if (s->ring) {
		/* Strips: only the histogram comes before them. */
		if (i > 0 || !s->hist)
			return false;
		*out = (struct fb_pass){
			.name = "histogram", .phase = "compute", .rows = s->h, .ctx = s,
			.compute = histogram_rows, .partial_size = sizeof(struct partial),
			.fold = histogram_fold,
			.state = { { s->hist, s->hist_size, true } },
		};
		return true;
	}
	if (i > 1)
		return false;
	*out = (struct fb_pass){ .rows = s->h, .ctx = s };
	if (i == 0) {
		out->name = "compute";
		out->phase = "compute";
		out->compute = compute_rows;
		out->partial_size = sizeof(struct partial);
		out->fold = compute_fold;
		/* Both zero until this first pass folds into them. */
		out->state[0] = (struct fb_region){ s->totals, sizeof(*s->totals), true };
		out->state[1] = (struct fb_region){ s->hist, s->hist ? s->hist_size : 0, true };
	} else {
		out->name = "colour";
		out->phase = "colour";
		out->compute = colour_rows;
	}
	return true;
}

/* Between the passes, in the parent: prefix sums of the histogram (max_iter + 1 adds,
 * no more than one inside pixel's iterations); the colour workers inherit them. */
/* A deep view's reference orbit (escape_deep.h); nothing for others. */
int fb_escape_prepare(void *vs, struct fb_pass *shown)
{
	struct state *s = vs;

	return s->deep ? fb_escape_deep_prepare(s->deep, shown) : 0;
}

int fb_escape_after_pass(void *vs, unsigned i)
{
	struct state *s = vs;
	uint64_t sum = 0;

	if (i != 0 || !s->hist)
		return 0;
	for (int64_t k = 0; k <= s->p.max_iter; k++) {
		sum += s->hist[k];
		s->cum[k] = sum;
	}
	return 0;
}

void fb_escape_output(void *vs, struct fb_kernel_output *out)
{
	struct state *s = vs;

	*out = (struct fb_kernel_output){
		.rgb = s->rgb, .raw = s->counts, .raw_descr = "<u4", .raw_elem_size = 4,
	};
}

size_t fb_escape_totals(void *vs, struct fb_total *out, size_t max)
{
	struct state *s = vs;
	const struct totals *t = s->totals;
	struct fb_total all[] = {
		{ "inside", false, t->inside, 0, NULL, 0 },
		{ "escaped", false, t->escaped, 0, NULL, 0 },
		{ "iterations", false, t->iterations, 0, NULL, 0 },
		{ "area", true, 0, (double)t->inside * s->d * s->d, NULL, 0 },
		{ "steps", false, t->steps, 0, NULL, 0 },	/* deep views only */
	};
	size_t have = FB_ARRAY_LEN(all) - (s->deep ? 0 : 1);
	size_t n = have < max ? have : max;

	memcpy(out, all, n * sizeof(*out));
	return have;
}

/* Shared buffers, plus the private histogram arrays and row buffer (each worker may touch its own
 * chunk histogram: counted once, as the parent's, since bins are touched sparsely). */
size_t fb_escape_footprint(void *vs)
{
	const struct state *s = vs;
	size_t bins = s->hist ? (size_t)s->p.max_iter + 1 : 0;

	return s->counts_size + s->frac_size + s->rgb_size + s->hist_size +
	       (s->deep ? fb_escape_deep_footprint(&s->p, s->w) : 0) +
	       bins * (sizeof(*s->chunk_hist) + sizeof(*s->cum)) +
	       (size_t)s->w * (sizeof(*s->row_mag2) + sizeof(*s->row_counts) +
			       sizeof(*s->row_frac));
}

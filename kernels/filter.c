/* filter.c: image filters on a PNG: Gaussian, box, unsharp mask, Sobel, median, custom
 * convolution, gray and invert, in sequence, each parallel over row bands.
 *
 * The input image (decoded by io/ in the parent, inherited by the workers) is loaded
 * into a float buffer with colour premultiplied by alpha, so that transparent pixels
 * carry no colour into their neighbours. Each op is one or more passes: a pass reads
 * the whole previous buffer (rows above and below its band included: the halo) and
 * writes the next one, so every worker finishes an op before the next starts. The last
 * pass divides the alpha back out, rounds to nearest, clamps to the channel's range
 * and writes the output image in the input's layout (Sobel and gray change it), folding
 * per-channel min, max and sum and a 256-bin luma histogram per chunk. Every output
 * value is computed from complete buffers in a fixed order, so the result does not
 * depend on the bands.
 */
#include "runtime/compat.h"

#include "io/image.h"
#include "kernel.h"
#include "runtime/error.h"
#include "runtime/shared_mem.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum op_kind { OP_GAUSSIAN, OP_BOX, OP_UNSHARP, OP_SOBEL, OP_MEDIAN, OP_CONVOLVE, OP_GRAY,
	       OP_INVERT };
enum edge_mode { EDGE_CLAMP, EDGE_MIRROR, EDGE_WRAP, EDGE_ZERO };

struct op_sigma { double sigma; };
struct op_radius { int64_t radius; };
struct op_unsharp { double sigma, amount, threshold; };
struct op_convolve {
	struct fb_matrix matrix;
	double divisor, bias;
};

struct filter_params {
	struct fb_op_list ops;
	int edge;
};

/* sigma at most 100: a radius of 300 rows of halo is already far past any use. */
static const struct fb_param sigma_param[] = {
	{ "sigma", FB_PARAM_REAL, offsetof(struct op_sigma, sigma),
	  "standard deviation in pixels; radius ceil(3 sigma)", .min = 0, .max = 100,
	  .min_open = true, .def = { 1.0 } },
};
static const struct fb_param box_params[] = {
	{ "radius", FB_PARAM_INT, offsetof(struct op_radius, radius),
	  "the window is (2 radius + 1) pixels square", .min = 1, .max = 300, .def = { 1 } },
};
static const struct fb_param median_params[] = {
	{ "radius", FB_PARAM_INT, offsetof(struct op_radius, radius),
	  "the window is (2 radius + 1) pixels square", .min = 1, .max = 7, .def = { 1 } },
};
static const struct fb_param unsharp_params[] = {
	{ "sigma", FB_PARAM_REAL, offsetof(struct op_unsharp, sigma),
	  "the blur that finds the detail", .min = 0, .max = 100, .min_open = true,
	  .def = { 1.0 } },
	{ "amount", FB_PARAM_REAL, offsetof(struct op_unsharp, amount),
	  "how much of the detail to add back", .min = 0, .max = 100, .def = { 1.0 } },
	{ "threshold", FB_PARAM_REAL, offsetof(struct op_unsharp, threshold),
	  "leave differences up to this (in 8-bit units) alone", .min = 0, .max = 255,
	  .def = { 0 } },
};
static const struct fb_param convolve_params[] = {
	{ "matrix", FB_PARAM_MATRIX, offsetof(struct op_convolve, matrix),
	  "the kernel, an odd-sized square list of rows, up to 15x15", .required = true },
	{ "divisor", FB_PARAM_REAL, offsetof(struct op_convolve, divisor),
	  "the sum is divided by it", .min = -1e30, .max = 1e30, .optional = true,
	  .def_text = "the sum of the entries, or 1 if that is 0" },
	{ "bias", FB_PARAM_REAL, offsetof(struct op_convolve, bias),
	  "added to colour channels after dividing (8-bit units)", .min = -1e6, .max = 1e6,
	  .def = { 0 } },
};

static const struct fb_op_def ops[] = {
	[OP_GAUSSIAN] = { "gaussian", "Gaussian blur, separable", sigma_param, 1,
			  sizeof(struct op_sigma) },
	[OP_BOX] = { "box", "mean over a square window, separable", box_params, 1,
		     sizeof(struct op_radius) },
	[OP_UNSHARP] = { "unsharp", "in + amount (in - gaussian(in)) where the difference "
			 "exceeds threshold", unsharp_params, FB_ARRAY_LEN(unsharp_params),
			 sizeof(struct op_unsharp) },
	[OP_SOBEL] = { "sobel", "gradient magnitude of luma, scaled so the largest possible "
		       "is white; gray output", NULL, 0, 0 },
	[OP_MEDIAN] = { "median", "per-channel median of a square window", median_params, 1,
			sizeof(struct op_radius) },
	[OP_CONVOLVE] = { "convolve", "custom convolution", convolve_params,
			  FB_ARRAY_LEN(convolve_params), sizeof(struct op_convolve) },
	[OP_GRAY] = { "gray", "luma 0.2126 R + 0.7152 G + 0.0722 B; keeps alpha", NULL, 0, 0 },
	[OP_INVERT] = { "invert", "max - value for colour channels; keeps alpha", NULL, 0, 0 },
};

static const char *const edge_names[] = { "clamp", "mirror", "wrap", "zero", NULL };

static const struct fb_param params[] = {
	{ "ops", FB_PARAM_OPS, offsetof(struct filter_params, ops),
	  "the operations, applied in order: [{\"op\": \"gaussian\", \"sigma\": 2}, ...]",
	  .ops = ops, .n_ops = FB_ARRAY_LEN(ops), .required = true },
	{ "edge", FB_PARAM_CHOICE, offsetof(struct filter_params, edge),
	  "beyond the border: clamp (repeat the edge pixel), mirror (reflect, not repeating "
	  "it), wrap, zero", .choices = edge_names, .def_choice = EDGE_CLAMP },
};

enum step_kind { S_LOAD, S_HCONV, S_VCONV, S_UNSHARP, S_SOBEL, S_MEDIAN, S_CONV2D, S_GRAY,
		 S_INVERT, S_STORE };

struct state;

/* One pass: reads buffer src (channels cin), writes dst (channels cout). */
struct step {
	struct state *s;
	enum step_kind kind;
	unsigned src, dst, aux;		/* buffer indexes; aux: unsharp's original */
	unsigned cin, cout;
	int radius;
	int reach;			/* rows above and below its own that it reads */
	int64_t lo;			/* strips: the first row of its window (row 0 of the
					 * pass); 0 on the whole image */
	float *w;			/* HCONV/VCONV: 2 radius + 1 weights */
	const struct op_unsharp *unsharp;
	const struct op_convolve *conv;
	float *weight;			/* CONV2D: matrix / divisor, divided in double */
};

/* At most 20 ops of at most 3 passes each, plus loading and storing. */
#define MAX_OPS 20
#define MAX_STEPS (3 * MAX_OPS + 2)

struct partial {
	uint32_t min[4], max[4];
	uint64_t sum[4];
	uint64_t hist[256];
};

struct totals {
	uint32_t min[4], max[4];
	uint64_t sum[4];
	uint64_t hist[256];
};

struct state {
	uint32_t w, h;
	unsigned depth;
	float max;			/* 255 or 65535 */
	int edge;
	const struct fb_image *in;
	float *buf[3];			/* shared */
	size_t buf_size;
	unsigned n_bufs;
	struct fb_image out;		/* data shared */
	size_t out_size;
	struct totals *totals;		/* shared */
	struct step step[MAX_STEPS];
	unsigned n_steps;

	/* Strips: each buffer holds a window of rows, row y at (y - lo[b]); the input's
	 * rows are the read stage's (in_rows[y - in_lo]); the output is a ring of `ring`
	 * rows. With the wrap edge, rows are virtual: y outside [0, h) is row y mod h, so
	 * that a window never needs rows of the other end of a buffer. */
	bool strips;
	uint32_t ring, strip;
	int64_t lo[3], in_lo;
	const void **in_rows;
	uint32_t halo;			/* rows above and below a strip the first step reads */
	struct fb_image in_hdr;
};

/* The index that pixel i (possibly outside [0, n)) reads under the edge mode; -1 for
 * "zero" outside the image. Mirror reflects about the border pixel without repeating
 * it (-1 reads 1), repeatedly for windows larger than the image. */
static inline long edge_index(long i, long n, int mode)
{
	if (i >= 0 && i < n)
		return i;
	switch (mode) {
	case EDGE_CLAMP:
		return i < 0 ? 0 : n - 1;
	case EDGE_WRAP:
		return ((i % n) + n) % n;
	case EDGE_MIRROR:
		if (n == 1)
			return 0;
		for (;;) {
			if (i < 0)
				i = -i;
			else if (i >= n)
				i = 2 * (n - 1) - i;
			else
				return i;
		}
	default:
		return -1;
	}
}

/* vrow()'s answer for a row outside the image under the "zero" edge. */
#define NO_ROW LONG_MIN

/* The row that reading row y means: through the edge mode, except for strips that wrap,
 * whose windows hold the wrapped rows under their virtual numbers (negative ones too);
 * NO_ROW for "zero" outside the image. */
static inline long vrow(const struct state *s, long y)
{
	long r;

	if (s->strips && s->edge == EDGE_WRAP)
		return y;
	r = edge_index(y, s->h, s->edge);
	return r < 0 ? NO_ROW : r;
}

/* Row y of buffer b, of c channels. */
static inline float *brow(const struct state *s, unsigned b, long y, unsigned c)
{
	return s->buf[b] + (size_t)(y - s->lo[b]) * s->w * c;
}

static inline float px(const struct state *s, unsigned b, unsigned c, long y, long x,
		       unsigned ch)
{
	long yy = vrow(s, y), xx = edge_index(x, s->w, s->edge);

	if (yy == NO_ROW || xx < 0)
		return 0;
	return brow(s, b, yy, c)[(size_t)xx * c + ch];
}

/* Row y of the input image, and of the output image. */
static inline const void *in_row(const struct state *s, long y)
{
	if (s->strips)
		return s->in_rows[y - s->in_lo];
	return (const uint8_t *)s->in->data + (size_t)y * s->w * s->in->channels * (s->depth / 8);
}

static inline void *out_row(const struct state *s, long y)
{
	return (uint8_t *)s->out.data +
	       (size_t)(s->strips ? y % s->ring : y) * s->w * s->out.channels * (s->depth / 8);
}

/* Colour channels of a layout: all but the last when it has alpha (2 or 4). */
static inline unsigned colour_channels(unsigned c)
{
	return c == 2 || c == 4 ? c - 1 : c;
}

static void run_load(const struct step *st, long y0, long y1)
{
	const struct state *s = st->s;
	unsigned c = st->cout, cc = colour_channels(c);

	for (long y = y0; y < y1; y++) {
		const void *in = in_row(s, y);
		float *dst = brow(s, st->dst, y, c);

		for (uint32_t x = 0; x < s->w; x++) {
			size_t i = (size_t)x * c;
			float a = s->max, v[4];

			for (unsigned ch = 0; ch < c; ch++)
				v[ch] = s->depth == 16 ? ((const uint16_t *)in)[i + ch]
						       : ((const uint8_t *)in)[i + ch];
			if (cc < c)
				a = v[c - 1];
			for (unsigned ch = 0; ch < c; ch++)
				dst[i + ch] = ch < cc ? v[ch] * (a / s->max) : v[ch];
		}
	}
}

/* Vertical pass: each output row is a weighted sum of whole input rows, added in tap
 * order (the same arithmetic as tap-by-tap per pixel), over contiguous memory so the
 * compiler vectorises it. The edge mode only picks which rows; "zero" rows add 0. */
static void run_vconv(const struct step *st, long y0, long y1)
{
	const struct state *s = st->s;
	size_t n = (size_t)s->w * st->cin;
	int r = st->radius;

	for (long y = y0; y < y1; y++) {
		float *o = brow(s, st->dst, y, st->cin);

		memset(o, 0, n * sizeof(*o));
		for (int k = -r; k <= r; k++) {
			long yy = vrow(s, y + k);
			const float *row;
			float wk = st->w[k + r];

			if (yy == NO_ROW)
				continue;
			row = brow(s, st->src, yy, st->cin);
			for (size_t i = 0; i < n; i++)
				o[i] += wk * row[i];
		}
	}
}

/* Horizontal pass: in the interior each tap is added to the whole row at once, as in
 * the vertical pass (tap order, contiguous, vectorised); only the r pixels at each end
 * go through the edge mode. */
static void run_hconv(const struct step *st, long y0, long y1)
{
	const struct state *s = st->s;
	unsigned c = st->cin;
	int r = st->radius;
	long w = s->w, lo = r, hi = w - r;	/* interior pixels [lo, hi) */

	for (long y = y0; y < y1; y++) {
		const float *row = brow(s, st->src, y, c);
		float *o = brow(s, st->dst, y, c);

		if (lo < hi) {
			size_t from = (size_t)lo * c, to = (size_t)hi * c;

			memset(o + from, 0, (to - from) * sizeof(*o));
			for (int k = -r; k <= r; k++) {
				const float *p = row + (long)k * (long)c;
				float wk = st->w[k + r];

				for (size_t i = from; i < to; i++)
					o[i] += wk * p[i];
			}
		}
		for (long x = 0; x < w; x++) {
			float acc[4] = { 0, 0, 0, 0 };

			if (x == lo && lo < hi)
				x = hi;		/* the interior is done */
			if (x >= w)
				break;
			for (int k = -r; k <= r; k++)
				for (unsigned ch = 0; ch < c; ch++)
					acc[ch] += st->w[k + r] * px(s, st->src, c, y, x + k, ch);
			for (unsigned ch = 0; ch < c; ch++)
				o[x * (long)c + ch] = acc[ch];
		}
	}
}

static void run_unsharp(const struct step *st, long y0, long y1)
{
	const struct state *s = st->s;
	float amount = (float)st->unsharp->amount;
	float thr = (float)st->unsharp->threshold * (s->max / 255);
	size_t n = (size_t)s->w * st->cin;

	for (long y = y0; y < y1; y++) {
		const float *orig = brow(s, st->aux, y, st->cin), *blur = brow(s, st->src, y, st->cin);
		float *dst = brow(s, st->dst, y, st->cin);

		for (size_t i = 0; i < n; i++) {
			float d = orig[i] - blur[i];

			dst[i] = fabsf(d) > thr ? orig[i] + amount * d : orig[i];
		}
	}
}

static inline float luma(const float *v, unsigned c)
{
	return c >= 3 ? 0.2126f * v[0] + 0.7152f * v[1] + 0.0722f * v[2] : v[0];
}

static void run_sobel(const struct step *st, long y0, long y1)
{
	static const int kx[3][3] = { { -1, 0, 1 }, { -2, 0, 2 }, { -1, 0, 1 } };
	const struct state *s = st->s;
	unsigned c = st->cin;
	/* The largest magnitude: |Gx| = 4 max needs one whole side column at max and the
	 * other at 0, which leaves |Gy| at most 2 max (and the other way round); so it is
	 * sqrt(4^2 + 2^2) max = 2 sqrt(5) max (tests/test_filter.c builds that case). */
	float scale = 1 / (2 * sqrtf(5));

	for (long y = y0; y < y1; y++) {
		float *dst = brow(s, st->dst, y, 1);

		for (uint32_t x = 0; x < s->w; x++) {
			float gx = 0, gy = 0;

			for (int j = -1; j <= 1; j++) {
				for (int i = -1; i <= 1; i++) {
					float v[4];

					for (unsigned ch = 0; ch < c; ch++)
						v[ch] = px(s, st->src, c, y + j, (long)x + i, ch);
					gx += (float)kx[j + 1][i + 1] * luma(v, c);
					gy += (float)kx[i + 1][j + 1] * luma(v, c);
				}
			}
			dst[x] = sqrtf(gx * gx + gy * gy) * scale;
		}
	}
}

/* The median of n values (n odd), by partial selection sort: n is at most 225. */
static float median_of(float *v, int n)
{
	int k = n / 2;

	for (int i = 0; i <= k; i++) {
		int m = i;

		for (int j = i + 1; j < n; j++)
			if (v[j] < v[m])
				m = j;
		if (m != i) {
			float t = v[i];

			v[i] = v[m];
			v[m] = t;
		}
	}
	return v[k];
}

static void run_median(const struct step *st, long y0, long y1)
{
	const struct state *s = st->s;
	unsigned c = st->cin;
	int r = st->radius;
	float win[15 * 15];

	for (long y = y0; y < y1; y++) {
		float *dst = brow(s, st->dst, y, c);

		for (uint32_t x = 0; x < s->w; x++) {
			for (unsigned ch = 0; ch < c; ch++) {
				int n = 0;

				for (int j = -r; j <= r; j++)
					for (int i = -r; i <= r; i++)
						win[n++] = px(s, st->src, c, y + j, (long)x + i, ch);
				dst[(size_t)x * c + ch] = median_of(win, n);
			}
		}
	}
}

static void run_conv2d(const struct step *st, long y0, long y1)
{
	const struct state *s = st->s;
	unsigned c = st->cin, cc = colour_channels(c);
	int n = (int)st->conv->matrix.n, h = n / 2;
	float bias = (float)st->conv->bias * (s->max / 255);

	for (long y = y0; y < y1; y++) {
		float *dst = brow(s, st->dst, y, c);

		for (uint32_t x = 0; x < s->w; x++) {
			float *o = dst + (size_t)x * c;

			/* Alpha first (when there is one): the bias is added to colour as it
			 * will be stored, so to premultiplied colour it is bias x alpha / max. */
			for (unsigned k = 0; k < c; k++) {
				unsigned ch = cc < c ? (k + c - 1) % c : k;
				float acc = 0;

				for (int j = -h; j <= h; j++)
					for (int i = -h; i <= h; i++)
						acc += st->weight[(j + h) * n + i + h] *
						       px(s, st->src, c, y + j, (long)x + i, ch);
				if (ch < cc)
					acc += bias * (cc < c ? o[c - 1] / s->max : 1);
				o[ch] = acc;
			}
		}
	}
}

static void run_pointwise(const struct step *st, long y0, long y1)
{
	const struct state *s = st->s;
	unsigned ci = st->cin, co = st->cout, cc = colour_channels(ci);
	bool alpha = cc < ci;

	for (long y = y0; y < y1; y++) {
		const float *src = brow(s, st->src, y, ci);
		float *dst = brow(s, st->dst, y, co);

		for (size_t p = 0; p < s->w; p++) {
			const float *v = src + p * ci;
			float *o = dst + p * co;
			float a = alpha ? v[ci - 1] : s->max;

			if (st->kind == S_GRAY) {
				o[0] = luma(v, ci);
				if (alpha)
					o[1] = a;
			} else {	/* invert: premultiplied, so a - c rather than max - c */
				for (unsigned ch = 0; ch < cc; ch++)
					o[ch] = a - v[ch];
				if (alpha)
					o[ci - 1] = a;
			}
		}
	}
}

/* Rounds to nearest and clamps to [0, max]; NaN (from an op that overflowed) is 0. */
static inline uint32_t quantise(float v, float max)
{
	float r = floorf(v + 0.5f);

	if (!(r > 0))
		return 0;
	return r >= max ? (uint32_t)max : (uint32_t)r;
}

static void run_store(const struct step *st, long y0, long y1, struct partial *part)
{
	const struct state *s = st->s;
	unsigned c = st->cin, cc = colour_channels(c);

	for (unsigned ch = 0; ch < c; ch++)
		part->min[ch] = UINT32_MAX;
	for (long y = y0; y < y1; y++) {
		const float *src = brow(s, st->src, y, c);
		void *out = out_row(s, y);

		for (size_t p = 0; p < s->w; p++) {
			const float *v = src + p * c;
			uint32_t q[4] = { 0, 0, 0, 0 };
			float a = cc < c ? v[c - 1] : s->max, lum;

			if (cc < c)
				q[c - 1] = quantise(a, s->max);
			/* A pixel stored fully transparent is stored black too. */
			for (unsigned ch = 0; ch < cc; ch++)
				q[ch] = cc == c		  ? quantise(v[ch], s->max)
					: q[c - 1] > 0 && a > 0 ? quantise(v[ch] * (s->max / a), s->max)
								: 0;
			for (unsigned ch = 0; ch < c; ch++) {
				if (s->depth == 16)
					((uint16_t *)out)[p * c + ch] = (uint16_t)q[ch];
				else
					((uint8_t *)out)[p * c + ch] = (uint8_t)q[ch];
				part->sum[ch] += q[ch];
				part->min[ch] = q[ch] < part->min[ch] ? q[ch] : part->min[ch];
				part->max[ch] = q[ch] > part->max[ch] ? q[ch] : part->max[ch];
			}
			{
				float f[3] = { (float)q[0], (float)q[cc >= 3 ? 1 : 0], (float)q[cc >= 3 ? 2 : 0] };

				lum = luma(f, cc) * (255 / s->max);
				part->hist[quantise(lum, 255)]++;
			}
		}
	}
}

static void step_rows(void *ctx, uint32_t r0, uint32_t r1, void *partial)
{
	const struct step *st = ctx;
	long y0 = (long)(st->lo + r0), y1 = (long)(st->lo + r1);

	switch (st->kind) {
	case S_LOAD:
		run_load(st, y0, y1);
		break;
	case S_HCONV:
		run_hconv(st, y0, y1);
		break;
	case S_VCONV:
		run_vconv(st, y0, y1);
		break;
	case S_UNSHARP:
		run_unsharp(st, y0, y1);
		break;
	case S_SOBEL:
		run_sobel(st, y0, y1);
		break;
	case S_MEDIAN:
		run_median(st, y0, y1);
		break;
	case S_CONV2D:
		run_conv2d(st, y0, y1);
		break;
	case S_GRAY:
	case S_INVERT:
		run_pointwise(st, y0, y1);
		break;
	case S_STORE:
		run_store(st, y0, y1, partial);
		break;
	}
}

/* Under the lock: integers only, so the totals do not depend on the order. */
static void store_fold(void *ctx, const void *vpart)
{
	const struct step *st = ctx;
	const struct partial *p = vpart;
	struct totals *t = st->s->totals;

	for (unsigned ch = 0; ch < st->cin; ch++) {
		t->sum[ch] += p->sum[ch];
		t->min[ch] = p->min[ch] < t->min[ch] ? p->min[ch] : t->min[ch];
		t->max[ch] = p->max[ch] > t->max[ch] ? p->max[ch] : t->max[ch];
	}
	for (int i = 0; i < 256; i++)
		t->hist[i] += p->hist[i];
}

static int check(const void *vp, uint32_t w, uint32_t h, const char **field, char *expected,
		 size_t len)
{
	const struct filter_params *p = vp;
	static char name[64];

	(void)w;
	(void)h;
	if (p->ops.n > MAX_OPS) {
		*field = "ops";
		snprintf(expected, len, "at most %d operations", MAX_OPS);
		return -1;
	}
	for (size_t i = 0; i < p->ops.n; i++) {
		const struct op_convolve *cv = p->ops.op[i].params;

		if (p->ops.op[i].kind == OP_CONVOLVE && cv->divisor == 0) {
			snprintf(name, sizeof(name), "ops[%zu].divisor", i);
			*field = name;
			snprintf(expected, len, "a divisor other than 0");
			return -1;
		}
	}
	return 0;
}

static void destroy(void *vs)
{
	struct state *s = vs;

	if (!s)
		return;
	for (unsigned i = 0; i < s->n_bufs; i++)
		shared_free(s->buf[i], s->buf_size);
	shared_free(s->out.data, s->out_size);
	shared_free(s->totals, sizeof(*s->totals));
	free(s->in_rows);
	for (unsigned i = 0; i < s->n_steps; i++) {
		free(s->step[i].w);
		free(s->step[i].weight);
	}
	free(s);
}

static struct step *add_step(struct state *s, enum step_kind kind, unsigned src, unsigned dst,
			     unsigned cin, unsigned cout)
{
	struct step *st;

	if (s->n_steps == MAX_STEPS)
		return NULL;
	st = &s->step[s->n_steps++];
	*st = (struct step){ .s = s, .kind = kind, .src = src, .dst = dst, .cin = cin,
			     .cout = cout };
	return st;
}

/* A buffer other than a and b. */
static unsigned other(unsigned a, unsigned b)
{
	for (unsigned i = 0;; i++)
		if (i != a && i != b)
			return i;
}

static float *weights(int r, double sigma)
{
	float *w = malloc((size_t)(2 * r + 1) * sizeof(*w));
	double sum = 0, *d = malloc((size_t)(2 * r + 1) * sizeof(*d));

	if (!w || !d) {
		free(w);
		free(d);
		return NULL;
	}
	for (int i = -r; i <= r; i++)
		sum += d[i + r] = sigma > 0 ? exp(-(double)i * i / (2 * sigma * sigma)) : 1;
	for (int i = 0; i < 2 * r + 1; i++)
		w[i] = (float)(d[i] / sum);
	free(d);
	return w;
}

/* Horizontal then vertical passes of a separable kernel: cur -> t -> a third buffer,
 * or back into cur when keep_cur is false. Returns the buffer holding the result. */
static int separable(struct state *s, unsigned cur, unsigned c, int r, double sigma,
		     bool keep_cur, unsigned *out)
{
	unsigned t = other(cur, cur), to = keep_cur ? other(cur, t) : cur;
	struct step *h = add_step(s, S_HCONV, cur, t, c, c);
	struct step *v = h ? add_step(s, S_VCONV, t, to, c, c) : NULL;

	if (!v)
		return fb_error("too many filter operations (at most %d passes)", MAX_STEPS);
	h->radius = v->radius = r;
	h->w = weights(r, sigma);
	v->w = weights(r, sigma);
	if (!h->w || !v->w)
		return fb_error("out of memory");
	*out = to;
	return 0;
}

static int plan(struct state *s, const struct filter_params *p)
{
	unsigned cur = 0, c = s->in->channels;

	add_step(s, S_LOAD, 0, 0, c, c);
	for (size_t i = 0; i < p->ops.n; i++) {
		const void *op = p->ops.op[i].params;
		unsigned t = other(cur, cur);
		struct step *st = NULL;

		switch ((enum op_kind)p->ops.op[i].kind) {
		case OP_GAUSSIAN: {
			double sigma = ((const struct op_sigma *)op)->sigma;

			if (separable(s, cur, c, (int)ceil(3 * sigma), sigma, false, &cur) < 0)
				return -1;
			continue;
		}
		case OP_BOX:
			if (separable(s, cur, c, (int)((const struct op_radius *)op)->radius, 0, false,
				      &cur) < 0)
				return -1;
			continue;
		case OP_UNSHARP: {
			const struct op_unsharp *u = op;
			unsigned blurred;

			if (separable(s, cur, c, (int)ceil(3 * u->sigma), u->sigma, true, &blurred) < 0)
				return -1;
			st = add_step(s, S_UNSHARP, blurred, other(cur, blurred), c, c);
			if (st) {
				st->aux = cur;
				st->unsharp = u;
				cur = st->dst;
			}
			break;
		}
		case OP_SOBEL:
			st = add_step(s, S_SOBEL, cur, t, c, 1);
			c = 1;
			break;
		case OP_MEDIAN:
			st = add_step(s, S_MEDIAN, cur, t, c, c);
			if (st)
				st->radius = (int)((const struct op_radius *)op)->radius;
			break;
		case OP_CONVOLVE: {
			const struct op_convolve *cv = op;
			double sum = 0;

			for (unsigned k = 0; k < cv->matrix.n * cv->matrix.n; k++)
				sum += cv->matrix.v[k];
			double div = !isnan(cv->divisor) ? cv->divisor : sum != 0 ? sum : 1;

			st = add_step(s, S_CONV2D, cur, t, c, c);
			if (st) {
				unsigned nn = cv->matrix.n * cv->matrix.n;

				/* Dividing each entry in double, once, keeps huge or tiny entries
				 * with a matching divisor exact ([[1e300]] is the identity). */
				st->conv = cv;
				st->weight = malloc(nn * sizeof(*st->weight));
				if (!st->weight)
					return fb_error("out of memory");
				for (unsigned k = 0; k < nn; k++)
					st->weight[k] = (float)(cv->matrix.v[k] / div);
			}
			break;
		}
		case OP_GRAY:
			if (c < 3)	/* already gray */
				continue;
			st = add_step(s, S_GRAY, cur, t, c, c - 2);
			c -= 2;
			break;
		case OP_INVERT:
			st = add_step(s, S_INVERT, cur, t, c, c);
			break;
		}
		if (!st)
			return fb_error("too many filter operations (at most %d passes)", MAX_STEPS);
		if (st->kind != S_UNSHARP)
			cur = t;
	}
	if (!add_step(s, S_STORE, cur, cur, c, c))
		return fb_error("too many filter operations (at most %d passes)", MAX_STEPS);
	s->out.channels = c;
	return 0;
}

static bool uses_unsharp(const struct filter_params *p)
{
	for (size_t i = 0; i < p->ops.n; i++)
		if (p->ops.op[i].kind == OP_UNSHARP)
			return true;
	return false;
}

/* Rows above and below its own that a step reads in the buffer before it. */
static int step_reach(const struct step *st)
{
	switch (st->kind) {
	case S_VCONV:
	case S_MEDIAN:
		return st->radius;
	case S_SOBEL:
		return 1;
	case S_CONV2D:
		return (int)st->conv->matrix.n / 2;
	default:
		return 0;
	}
}

/* create() and create_strips(): buffers of buf_rows rows, an output of out_rows. */
static int create_state(struct state *s, const struct filter_params *p, uint32_t buf_rows,
			uint32_t out_rows)
{
	size_t px;

	if (plan(s, p) < 0)
		return -1;
	for (unsigned i = 0; i < s->n_steps; i++)
		s->step[i].reach = step_reach(&s->step[i]);
	if (!fb_size_mul3(s->w, buf_rows, s->in->channels, &px) ||
	    !fb_size_mul(px, sizeof(float), &s->buf_size) ||
	    !fb_image_sizes(s->w, out_rows, s->out.channels, s->in->depth, NULL, &s->out_size))
		return fb_error("a %ux%u image is too large for this machine's address space",
				s->w, s->h);
	for (unsigned i = 0; i < s->n_bufs; i++)
		if (!(s->buf[i] = shared_malloc_or_error(s->buf_size)))
			return -1;
	s->out = (struct fb_image){ .width = s->w, .height = s->h, .channels = s->out.channels,
				    .depth = s->in->depth };
	s->out.data = shared_malloc_or_error(s->out_size);
	s->totals = s->out.data ? shared_malloc_or_error(sizeof(*s->totals)) : NULL;
	if (!s->totals)
		return -1;
	for (unsigned ch = 0; ch < 4; ch++)
		s->totals->min[ch] = UINT32_MAX;
	return 0;
}

static struct state *new_state(const struct filter_params *p, uint32_t w, uint32_t h,
			       const struct fb_image *in)
{
	struct state *s = calloc(1, sizeof(*s));

	if (!s) {
		fb_error("out of memory");
		return NULL;
	}
	*s = (struct state){ .w = w, .h = h, .depth = in->depth, .edge = p->edge, .in = in,
			     .max = in->depth == 16 ? 65535.0f : 255.0f,
			     .n_bufs = uses_unsharp(p) ? 3 : 2 };
	return s;
}

static int create(void **out, const void *vp, uint32_t w, uint32_t h,
		  const struct fb_image *in)
{
	struct state *s = new_state(vp, w, h, in);

	if (!s)
		return -1;
	if (create_state(s, vp, h, h) < 0) {
		destroy(s);
		return -1;
	}
	*out = s;
	return 0;
}

/* Strips: the buffers hold a strip's rows and the halo the ops reach (the sum of their
 * reaches), the output a ring. */
static int create_strips(void **out, const void *vp, uint32_t w, uint32_t h,
			 const struct fb_image *in, const struct fb_strip_shape *shape)
{
	struct state *s = new_state(vp, w, h, in);
	uint64_t rows;

	if (!s)
		return -1;
	s->in_hdr = *in;
	s->in_hdr.data = NULL;
	s->in = &s->in_hdr;
	s->strips = true;
	s->ring = shape->ring;
	s->strip = shape->strip;
	if (plan(s, vp) < 0)
		goto fail;
	for (unsigned i = 0; i < s->n_steps; i++)
		s->halo += (uint32_t)step_reach(&s->step[i]);
	/* plan() runs again in create_state(): start from no steps. */
	for (unsigned i = 0; i < s->n_steps; i++) {
		free(s->step[i].w);
		free(s->step[i].weight);
	}
	s->n_steps = 0;
	rows = (uint64_t)shape->strip + 2 * (uint64_t)s->halo;
	if (rows > UINT32_MAX) {
		fb_error("a filter reaching %u rows is too large for this machine", s->halo);
		goto fail;
	}
	s->in_rows = calloc((size_t)rows, sizeof(*s->in_rows));
	if (!s->in_rows) {
		fb_error("out of memory");
		goto fail;
	}
	if (create_state(s, vp, (uint32_t)rows, shape->ring) < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	destroy(s);
	return -1;
}

/* The window of step i for the strip of rows [y0, y1): its rows and what the steps after
 * it reach; within the image unless it wraps. */
static void window(const struct state *s, unsigned i, uint32_t y0, uint32_t y1, int64_t *lo,
		   int64_t *hi)
{
	int64_t reach = 0;

	for (unsigned k = i + 1; k < s->n_steps; k++)
		reach += s->step[k].reach;
	*lo = (int64_t)y0 - reach;
	*hi = (int64_t)y1 + reach;
	if (s->edge != EDGE_WRAP) {
		*lo = *lo < 0 ? 0 : *lo;
		*hi = *hi > s->h ? s->h : *hi;
	}
}

static void strip_input(void *vs, uint32_t y0, uint32_t y1, struct fb_strip_input *in)
{
	struct state *s = vs;

	window(s, 0, y0, y1, &in->lo, &in->hi);
	in->halo = s->halo;
	in->wrap = s->edge == EDGE_WRAP;
	in->rows = s->in_rows;
	s->in_lo = in->lo;
}

static const char *const step_names[] = {
	[S_LOAD] = "load", [S_HCONV] = "blur-h", [S_VCONV] = "blur-v", [S_UNSHARP] = "unsharp",
	[S_SOBEL] = "sobel", [S_MEDIAN] = "median", [S_CONV2D] = "convolve", [S_GRAY] = "gray",
	[S_INVERT] = "invert", [S_STORE] = "store",
};

static bool pass(void *vs, unsigned i, struct fb_pass *out)
{
	struct state *s = vs;

	if (i >= s->n_steps || s->strips)
		return false;
	/* Loading and the ops are the compute phase; the store, which turns the result into
	 * output samples and totals, is this kernel's colour phase. */
	*out = (struct fb_pass){ .name = step_names[s->step[i].kind], .rows = s->h,
				 .ctx = &s->step[i], .compute = step_rows,
				 .phase = s->step[i].kind == S_STORE ? "colour" : "compute" };
	if (s->step[i].kind == S_STORE) {
		out->partial_size = sizeof(struct partial);
		out->fold = store_fold;
		out->state[0] = (struct fb_region){ s->totals, sizeof(*s->totals), false };
	}
	return true;
}

static bool strip_pass(void *vs, unsigned i, uint32_t y0, uint32_t y1, struct fb_pass *out)
{
	struct state *s = vs;
	struct step *st = &s->step[i];
	int64_t lo, hi;

	if (i >= s->n_steps)
		return false;
	s->strips = false;	/* pass() describes the step; the strip sets its rows */
	pass(vs, i, out);
	s->strips = true;
	window(s, i, y0, y1, &lo, &hi);
	st->lo = lo;
	if (st->kind != S_STORE)
		s->lo[st->dst] = lo;
	out->rows = (uint32_t)(hi - lo);
	return true;
}

static void output(void *vs, struct fb_kernel_output *out)
{
	struct state *s = vs;

	*out = (struct fb_kernel_output){ .image = &s->out };
}

static size_t totals(void *vs, struct fb_total *out, size_t max)
{
	static const char *const names[4][4][3] = {
		{ { "min_y", "max_y", "mean_y" } },
		{ { "min_y", "max_y", "mean_y" }, { "min_a", "max_a", "mean_a" } },
		{ { "min_r", "max_r", "mean_r" }, { "min_g", "max_g", "mean_g" },
		  { "min_b", "max_b", "mean_b" } },
		{ { "min_r", "max_r", "mean_r" }, { "min_g", "max_g", "mean_g" },
		  { "min_b", "max_b", "mean_b" }, { "min_a", "max_a", "mean_a" } },
	};
	struct state *s = vs;
	const struct totals *t = s->totals;
	unsigned c = s->out.channels;
	double n = (double)s->w * s->h;
	size_t k = 0;

	for (unsigned ch = 0; ch < c; ch++) {
		const char *const *nm = names[c - 1][ch];
		struct fb_total three[3] = {
			{ nm[0], false, t->min[ch], 0, NULL, 0 },
			{ nm[1], false, t->max[ch], 0, NULL, 0 },
			{ nm[2], true, 0, (double)t->sum[ch] / n, NULL, 0 },
		};

		for (int j = 0; j < 3; j++)
			if (k < max)
				out[k++] = three[j];
	}
	if (k < max)
		out[k++] = (struct fb_total){ "luma_histogram", false, 0, 0, t->hist, 256 };
	return k;
}

static size_t footprint(void *vs)
{
	const struct state *s = vs;
	size_t in = 0;

	if (s->strips)	/* the input's rows are the read stage's */
		in = (s->strip + 2 * (size_t)s->halo) * sizeof(*s->in_rows);
	else
		fb_image_sizes(s->w, s->h, s->in->channels, s->in->depth, NULL, &in);
	return s->n_bufs * s->buf_size + s->out_size + in;
}

const struct fb_kernel fb_kernel_filter = {
	.name = "filter",
	.summary = "filters a PNG: gaussian, box, unsharp, sobel, median, convolve, gray, invert",
	.params = params,
	.n_params = FB_ARRAY_LEN(params),
	.params_size = sizeof(struct filter_params),
	.input = true,
	.check = check,
	.create = create,
	.pass = pass,
	.output = output,
	.totals = totals,
	.footprint = footprint,
	.destroy = destroy,
	.create_strips = create_strips,
	.strip_pass = strip_pass,
	.strip_input = strip_input,
};

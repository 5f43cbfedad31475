/* filter_ref.c: the serial reference of the filter ops (filter_ref.h). */
#include "runtime/compat.h"

#include "filter_ref.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct img {
	long w, h;
	int c;		/* channels */
	double *v;	/* premultiplied colour, in the channel's own units */
};

static long edge(long i, long n, enum ref_edge e)
{
	if (i >= 0 && i < n)
		return i;
	if (e == R_CLAMP)
		return i < 0 ? 0 : n - 1;
	if (e == R_WRAP)
		return ((i % n) + n) % n;
	if (e == R_MIRROR) {
		if (n == 1)
			return 0;
		while (i < 0 || i >= n)
			i = i < 0 ? -i : 2 * (n - 1) - i;
		return i;
	}
	return -1;
}

static double at(const struct img *m, long y, long x, int ch, enum ref_edge e)
{
	long yy = edge(y, m->h, e), xx = edge(x, m->w, e);

	return yy < 0 || xx < 0 ? 0 : m->v[(yy * m->w + xx) * m->c + ch];
}

static struct img blank(long w, long h, int c)
{
	struct img m = { w, h, c, calloc((size_t)(w * h * c), sizeof(double)) };

	return m;
}

static int colours(int c)
{
	return c == 2 || c == 4 ? c - 1 : c;
}

/* Separable: a horizontal pass then a vertical one, weights wt[-r..r]. */
static struct img separable(const struct img *in, const double *wt, int r, enum ref_edge e)
{
	struct img t = blank(in->w, in->h, in->c), o = blank(in->w, in->h, in->c);

	for (long y = 0; y < in->h; y++)
		for (long x = 0; x < in->w; x++)
			for (int ch = 0; ch < in->c; ch++) {
				double s = 0;

				for (int k = -r; k <= r; k++)
					s += wt[k + r] * at(in, y, x + k, ch, e);
				t.v[(y * in->w + x) * in->c + ch] = s;
			}
	for (long y = 0; y < in->h; y++)
		for (long x = 0; x < in->w; x++)
			for (int ch = 0; ch < in->c; ch++) {
				double s = 0;

				for (int k = -r; k <= r; k++)
					s += wt[k + r] * at(&t, y + k, x, ch, e);
				o.v[(y * in->w + x) * in->c + ch] = s;
			}
	free(t.v);
	return o;
}

static struct img gaussian(const struct img *in, double sigma, enum ref_edge e)
{
	int r = (int)ceil(3 * sigma);
	double *wt = malloc((size_t)(2 * r + 1) * sizeof(double)), sum = 0;
	struct img o;

	for (int i = -r; i <= r; i++)
		sum += wt[i + r] = exp(-(double)(i * i) / (2 * sigma * sigma));
	for (int i = 0; i <= 2 * r; i++)
		wt[i] /= sum;
	o = separable(in, wt, r, e);
	free(wt);
	return o;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double luma(const double *v, int c)
{
	return c >= 3 ? 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2] : v[0];
}

int ref_filter(const struct fb_image *in, const struct ref_filter_op *ops, size_t n,
	       enum ref_edge e, struct fb_image *out)
{
	double max = in->depth == 16 ? 65535 : 255;
	struct img cur = blank(in->width, in->height, (int)in->channels);
	long px = cur.w * cur.h;

	/* Load, premultiplying colour by alpha / max. */
	for (long p = 0; p < px; p++) {
		int c = cur.c, cc = colours(c);
		double a = max;

		for (int ch = 0; ch < c; ch++)
			cur.v[p * c + ch] = in->depth == 16 ? ((const uint16_t *)in->data)[p * c + ch]
							    : ((const uint8_t *)in->data)[p * c + ch];
		if (cc < c)
			a = cur.v[p * c + c - 1];
		for (int ch = 0; ch < cc; ch++)
			cur.v[p * c + ch] *= a / max;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ref_filter_op *op = &ops[i];
		int c = cur.c, cc = colours(c);
		struct img o;

		switch (op->op) {
		case R_GAUSSIAN:
			o = gaussian(&cur, op->a, e);
			break;
		case R_BOX: {
			int r = (int)op->a;
			double wt[601];

			for (int k = 0; k <= 2 * r; k++)
				wt[k] = 1.0 / (2 * r + 1);
			o = separable(&cur, wt, r, e);
			break;
		}
		case R_UNSHARP: {
			struct img g = gaussian(&cur, op->a, e);

			o = blank(cur.w, cur.h, c);
			for (long k = 0; k < px * c; k++) {
				double d = cur.v[k] - g.v[k];

				o.v[k] = fabs(d) > op->c * max / 255 ? cur.v[k] + op->b * d : cur.v[k];
			}
			free(g.v);
			break;
		}
		case R_SOBEL: {
			static const int kx[3][3] = { { -1, 0, 1 }, { -2, 0, 2 }, { -1, 0, 1 } };

			o = blank(cur.w, cur.h, 1);
			for (long y = 0; y < cur.h; y++)
				for (long x = 0; x < cur.w; x++) {
					double gx = 0, gy = 0;

					for (int j = -1; j <= 1; j++)
						for (int k = -1; k <= 1; k++) {
							double v[4];

							for (int ch = 0; ch < c; ch++)
								v[ch] = at(&cur, y + j, x + k, ch, e);
							gx += kx[j + 1][k + 1] * luma(v, c);
							gy += kx[k + 1][j + 1] * luma(v, c);
						}
					o.v[y * cur.w + x] = sqrt(gx * gx + gy * gy) / (2 * sqrt(5));
				}
			break;
		}
		case R_MEDIAN: {
			int r = (int)op->a, w = 2 * r + 1;
			double win[225];

			o = blank(cur.w, cur.h, c);
			for (long y = 0; y < cur.h; y++)
				for (long x = 0; x < cur.w; x++)
					for (int ch = 0; ch < c; ch++) {
						int k = 0;

						for (int j = -r; j <= r; j++)
							for (int q = -r; q <= r; q++)
								win[k++] = at(&cur, y + j, x + q, ch, e);
						qsort(win, (size_t)(w * w), sizeof(double), cmp);
						o.v[(y * cur.w + x) * c + ch] = win[w * w / 2];
					}
			break;
		}
		case R_CONVOLVE: {
			int h = op->n / 2;
			double sum = 0, div;

			for (int k = 0; k < op->n * op->n; k++)
				sum += op->m[k];
			div = op->divisor != 0 ? op->divisor : sum != 0 ? sum : 1;
			o = blank(cur.w, cur.h, c);
			for (long y = 0; y < cur.h; y++)
				for (long x = 0; x < cur.w; x++)
					for (int ch = 0; ch < c; ch++) {
						double s = 0;

						for (int j = -h; j <= h; j++)
							for (int q = -h; q <= h; q++)
								s += op->m[(j + h) * op->n + q + h] *
								     at(&cur, y + j, x + q, ch, e);
						s /= div;
						o.v[(y * cur.w + x) * c + ch] = s;
					}
			/* The bias lands on colour as stored: premultiplied, bias x alpha. */
			for (long p = 0; p < px; p++)
				for (int ch = 0; ch < cc; ch++) {
					double a = cc < c ? o.v[p * c + c - 1] / max : 1;

					o.v[p * c + ch] += op->bias * max / 255 * a;
					}
			break;
		}
		case R_GRAY:
			if (c < 3) {
				o = blank(cur.w, cur.h, c);
				memcpy(o.v, cur.v, (size_t)(px * c) * sizeof(double));
				break;
			}
			o = blank(cur.w, cur.h, c - 2);
			for (long p = 0; p < px; p++) {
				o.v[p * o.c] = luma(cur.v + p * c, c);
				if (c == 4)
					o.v[p * o.c + 1] = cur.v[p * c + 3];
			}
			break;
		case R_INVERT:
			o = blank(cur.w, cur.h, c);
			for (long p = 0; p < px; p++) {
				double a = cc < c ? cur.v[p * c + c - 1] : max;

				for (int ch = 0; ch < cc; ch++)
					o.v[p * c + ch] = a - cur.v[p * c + ch];
				if (cc < c)
					o.v[p * c + c - 1] = a;
			}
			break;
		default:
			free(cur.v);
			return -1;
		}
		free(cur.v);
		cur = o;
	}
	/* Store: divide the alpha back out, round to nearest, clamp. */
	*out = (struct fb_image){ in->width, in->height, (unsigned)cur.c, in->depth,
				  malloc((size_t)(px * cur.c) * (in->depth / 8)) };
	for (long p = 0; p < px; p++) {
		int c = cur.c, cc = colours(c);
		double a = cc < c ? cur.v[p * c + c - 1] : max;
		/* Alpha as stored: a pixel that ends up transparent is stored black. */
		bool clear = cc < c && floor(a + 0.5) <= 0;

		for (int ch = 0; ch < c; ch++) {
			double v = cur.v[p * c + ch];

			if (ch < cc && cc < c)
				v = a > 0 && !clear ? v * max / a : 0;
			v = floor(v + 0.5);
			v = v < 0 ? 0 : v > max ? max : v;
			if (in->depth == 16)
				((uint16_t *)out->data)[p * c + ch] = (uint16_t)v;
			else
				((uint8_t *)out->data)[p * c + ch] = (uint8_t)v;
		}
	}
	free(cur.v);
	return 0;
}

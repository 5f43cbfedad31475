/* reference.c: the serial reference of the Mandelbrot and Julia spec (reference.h). */
#include "runtime/compat.h"

#include "reference.h"

#include "kernels/colormap.h"

#include <math.h>
#include <stdlib.h>

void ref_escape_mag2(const struct ref_view *v, uint32_t *counts, double *mag2,
		     struct ref_totals *t)
{
	double d = v->scale / v->w;

	*t = (struct ref_totals){ 0 };
	for (uint32_t y = 0; y < v->h; y++) {
		for (uint32_t x = 0; x < v->w; x++) {
			double pr = v->cx + (x + 0.5 - v->w / 2.0) * d;
			double pi = v->cy + (v->h / 2.0 - (y + 0.5)) * d;
			double zr = v->julia ? pr : 0, zi = v->julia ? pi : 0;
			double cr = v->julia ? v->jr : pr, ci = v->julia ? v->ji : pi;
			uint32_t count = 0;
			double m2 = 0;

			for (uint32_t k = 1; k <= v->max_iter; k++) {
				double nzr = zr * zr - zi * zi + cr;
				double nzi = 2 * zr * zi + ci;

				zr = nzr;
				zi = nzi;
				if (zr * zr + zi * zi > v->bailout * v->bailout) {
					count = k;
					m2 = zr * zr + zi * zi;
					break;
				}
			}
			counts[(size_t)y * v->w + x] = count;
			if (mag2)
				mag2[(size_t)y * v->w + x] = m2;
			if (count) {
				t->escaped++;
				t->iterations += count;
			} else {
				t->inside++;
				t->iterations += v->max_iter;
			}
		}
	}
}

void ref_escape(const struct ref_view *v, uint32_t *counts, struct ref_totals *t)
{
	ref_escape_mag2(v, counts, NULL, t);
}

/* The continuous potential of an escaped pixel: mu = k - log2(log|z_k| / log R), at
 * most k; R <= 1 has none and gives k. */
static double potential(const struct ref_view *v, uint32_t k, double mag2)
{
	double nu;

	if (!(v->bailout > 1))
		return k;
	nu = log2(log(sqrt(mag2)) / log(v->bailout));
	return nu > 0 ? k - nu : k;
}

void ref_escape_rgb(const struct ref_view *v, int coloring, int palette,
		    const uint32_t *counts, const double *mag2, uint8_t *rgb)
{
	size_t px = (size_t)v->w * v->h;
	uint64_t *below = calloc((size_t)v->max_iter + 1, sizeof(*below));
	double escaped = 0;

	/* below[k]: escaped pixels with a count of k or less. */
	for (size_t i = 0; i < px; i++)
		if (counts[i]) {
			below[counts[i]]++;
			escaped++;
		}
	for (uint32_t k = 1; k <= v->max_iter; k++)
		below[k] += below[k - 1];
	for (size_t i = 0; i < px; i++) {
		uint32_t k = counts[i];
		uint8_t *out = rgb + 3 * i;
		double mu, lo, hi;

		if (k == 0) {
			out[0] = out[1] = out[2] = 0;
			continue;
		}
		mu = potential(v, k, mag2[i]);
		if (coloring == 0) {
			fb_palette_cyclic(palette, log2(mu + 1) / 2, out);
		} else if (coloring == 1) {
			/* mu lies in [k - 1, k]: the level of count k - 1 at k - 1, of k at k. */
			if (mu < k - 1.0)
				mu = k - 1.0;
			lo = below[k - 1] / escaped;
			hi = below[k] / escaped;
			fb_palette_linear(palette, lo + (hi - lo) * (mu - (k - 1.0)), out);
		} else {
			fb_palette_band(palette, k, out);
		}
	}
	free(below);
}

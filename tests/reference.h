/* reference.h: plain serial Mandelbrot and Julia sets, written straight from the spec
 * (docs/config.md), that the tests compare the kernels against. Deliberately naive: no
 * reuse of squares, no passes, no processes. */
#ifndef FORKBAND_TEST_REFERENCE_H
#define FORKBAND_TEST_REFERENCE_H

#include "runtime/compat.h"

struct ref_view {
	uint32_t w, h;
	double cx, cy, scale, bailout;
	uint32_t max_iter;
	bool julia;		/* z0 = the pixel's point and c = (jr, ji), else z0 = 0 */
	double jr, ji;
};

struct ref_totals {
	uint64_t inside, escaped, iterations;
};

/* Fills counts[h * w] and *t. */
void ref_escape(const struct ref_view *v, uint32_t *counts, struct ref_totals *t);

/* ref_escape(), and mag2[h * w] (when not NULL) gets |z_k|^2 at escape (0 inside). */
void ref_escape_mag2(const struct ref_view *v, uint32_t *counts, double *mag2,
		     struct ref_totals *t);

/* The picture's pixels rgb[3 * h * w] from ref_escape_mag2()'s counts and mag2, for
 * coloring 0 smooth, 1 histogram, 2 bands (enum escape_coloring) and a palette id of
 * kernels/colormap.h: the potential mu and the ramp positions computed plainly from the
 * spec, the palette's colours by colormap.h (the palettes are data, not maths under
 * test). The kernel keeps the smooth offset as a float and orders its operations
 * otherwise, so a channel may differ from this by 1. */
void ref_escape_rgb(const struct ref_view *v, int coloring, int palette,
		    const uint32_t *counts, const double *mag2, uint8_t *rgb);

#endif

/* reference.h: plain serial Mandelbrot and Julia sets, written straight from the spec,
 * that the tests compare the kernels against. Deliberately naive: no reuse of squares,
 * no passes, no processes. */
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

#endif

/* filter_ref.h: a plain serial implementation of the filter kernel's ops, written from
 * docs/filters.md in doubles and without passes or processes, that test_filter compares
 * the kernel against. */
#ifndef FORKBAND_TEST_FILTER_REF_H
#define FORKBAND_TEST_FILTER_REF_H

#include "runtime/compat.h"

#include "io/image.h"

enum ref_op { R_GAUSSIAN, R_BOX, R_UNSHARP, R_SOBEL, R_MEDIAN, R_CONVOLVE, R_GRAY, R_INVERT };
enum ref_edge { R_CLAMP, R_MIRROR, R_WRAP, R_ZERO };

struct ref_filter_op {
	enum ref_op op;
	double a, b, c;		/* sigma or radius; amount; threshold (unsharp) */
	int n;			/* convolve: matrix size */
	double m[225];
	double divisor;		/* convolve: 0 = the default */
	double bias;
};

/* Applies ops[0..n) to in with the edge mode; fills *out (data malloc()ed). */
int ref_filter(const struct fb_image *in, const struct ref_filter_op *ops, size_t n,
	       enum ref_edge edge, struct fb_image *out);

#endif

/* escape_row.h: the escape kernels' inner loop, one run of pixels of a row at a time,
 * in one variant per instruction set (kernels/isa.h).
 *
 * Every exact variant computes, per pixel, the same IEEE operations in the same order
 * as fb_escape_count() (escape.h), so counts and |z|^2 are bit-identical whichever
 * runs: the vector loops keep -ffp-contract=off and use only separate multiply, add and
 * subtract, and compute the pixel's point with the same expression as the scalar code.
 * The fast variants (AVX2 with FMA, AVX-512) fuse multiplies and adds: not the spec's
 * arithmetic, so their counts differ from the exact ones on some pixels; they are still
 * a function of the pixel alone, so results do not depend on the worker count or
 * schedule, and the two compute the same fused operations, so they agree bit for bit.
 *
 * The variants live in files of their own, each compiled with its own target flags
 * (escape_sse2.c, escape_avx2.c with -mavx2, escape_avx2_fast.c with -mavx2 -mfma,
 * escape_avx512.c and escape_avx512_fast.c with -mavx512f), and
 * are called only when the CPU has the instructions: fb_escape_row_for() picks them.
 */
#ifndef FORKBAND_ESCAPE_ROW_H
#define FORKBAND_ESCAPE_ROW_H

#include "runtime/compat.h"

#include "isa.h"

/* What a row needs: pixel x of the row is the point (center_re + (x + 0.5 - half_w) * d,
 * im). Mandelbrot iterates from z0 = 0 with c = that point; Julia from z0 = the point
 * with c = (cr, ci). */
struct fb_escape_row {
	double center_re, half_w, d;
	double im;
	double cr, ci;		/* julia only */
	double r2;		/* bailout squared */
	uint32_t max_iter;
	bool julia;
};

/* Computes pixels x0 .. x0 + n - 1 of the row: count[i] is the escape count of pixel
 * x0 + i (0: inside) and mag2[i] its |z_k|^2 at escape (0 for inside pixels). */
typedef void fb_escape_row_fn(const struct fb_escape_row *r, uint32_t x0, uint32_t n,
			      uint32_t *count, double *mag2);

fb_escape_row_fn fb_escape_row_scalar;
#if defined(__x86_64__)
fb_escape_row_fn fb_escape_row_sse2;
fb_escape_row_fn fb_escape_row_avx2;
fb_escape_row_fn fb_escape_row_avx2_fast;
fb_escape_row_fn fb_escape_row_avx512;
fb_escape_row_fn fb_escape_row_avx512_fast;
#endif

/* The loop for isa (AUTO: fb_isa_best()), exact or fast. Fast arithmetic exists for
 * AVX-512, and AVX2 on a CPU with FMA; elsewhere fast is the isa's exact loop. isa must be
 * supported (fb_isa_supported()). */
fb_escape_row_fn *fb_escape_row_for(enum fb_isa isa, bool fast);

/* Whether fb_escape_row_for(isa, true) is a fast loop rather than the exact one. */
bool fb_escape_row_has_fast(enum fb_isa isa);

#endif

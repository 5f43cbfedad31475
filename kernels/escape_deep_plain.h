/* escape_deep_plain.h: deep zoom's plain stretches in double, 16 pixels at a time.
 *
 * With arithmetic "fast", a deep pixel spends most of its steps past BLA's reach: its dz
 * has grown beyond every step's radius (or it was rebased to iteration 0), and each step
 * is a plain perturbation step. Those steps are the same for every pixel but for where
 * it is on the reference (m), so pixels can take them side by side in AVX-512 lanes,
 * each lane reading its own Z_m (a gather): two vectors of eight, stepped in turn so
 * that the latency of one's chain hides behind the other's work. The lanes do the scalar step's
 * arithmetic operation for operation (separate multiplies and adds, in the same order;
 * the project builds with -ffp-contract=off), the same escape test and the same
 * rebasing, so every pixel's count and |z|^2 are those of the scalar loop, bit for bit
 * (tests compare the two). A pixel leaves its lane when it is done, and steps out of it
 * where a BLA step is valid (level 1's at its m holds its dz: the search of the scalar
 * loop, escape_deep_loop.h, starts there and takes it from there).
 */
#ifndef FORKBAND_ESCAPE_DEEP_PLAIN_H
#define FORKBAND_ESCAPE_DEEP_PLAIN_H

#include "runtime/compat.h"

/* A pixel of the double path on its way: dz, dc, its place on the reference (m) and in
 * its count (k), and its column. */
struct fb_deep_px {
	double zr, zi, dcr, dci;
	uint32_t m, k, x;
};

/* What the plain steps read: the reference orbit Z[0 .. len], max_iter, the bailout's
 * R^2, whether to rebase at all (FORKBAND_TEST_NO_REBASE), and the BLA table's level 1
 * (steps of 2 iterations from reference iteration 1 + 2i, i < n1; n1 = 0: no table):
 * its radii^2 at r2_1[BLA_STRIDE i]. */
struct fb_deep_plain {
	const double (*Z)[2];
	uint32_t len, max_iter;
	double r2;
	bool rebase;
	const double *r2_1;
	uint32_t n1;
	double r2max;		/* the largest radius^2 of the table's levels 1 and up */
};

/* Doubles from one BLA entry's r2 to the next's (struct bla_d: ar, ai, br, bi, r2). */
#define FB_DEEP_BLA_STRIDE 5

/* Whether |f| < |dz| without squaring into underflow (escape_deep_loop.h's test, in
 * double): the lanes call it where the max norms alone do not decide. */
bool fb_deep_nearer_d(double fr, double fi, double zr, double zi);

/* Takes pixel p through the steps that are not the lanes' (its BLA steps), from where p
 * says, adding them to *steps: true when it is done (its count and |z|^2 written),
 * false when its next step is a plain one, for the lanes (p updated). */
typedef bool fb_deep_advance_fn(void *ctx, struct fb_deep_px *p, uint64_t *steps);

/* Computes the pixels px[0 .. n), set at dz = 0, m = k = 0: each goes through advance()
 * first and again wherever a BLA step is valid, and through its plain stretches in the
 * lanes; a lane
 * whose pixel is done takes the next. Writes count[x] (0: inside) and mag2[x] of each
 * and adds the steps taken to *steps. x86-64 with AVX-512F only (fb_isa_supported()). */
void fb_deep_plain_avx512(const struct fb_deep_plain *pl, struct fb_deep_px *px, uint32_t n,
			  fb_deep_advance_fn *advance, void *ctx, uint32_t *count,
			  double *mag2, uint64_t *steps);

#endif

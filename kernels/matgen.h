/* matgen.h: matrices made from a formula, for matmul jobs and tests.
 *
 * random:    splitmix64 seeded with `seed`, one 64-bit draw per entry in row-major
 *            order, mapped to a uniform double in [-1, 1) as (draw >> 11) * 2^-52 - 1.
 *            splitmix64: state += 0x9E3779B97F4A7C15; z = state;
 *            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z >> 27)) *
 *            0x94D049BB133111EB; draw = z ^ (z >> 31).
 * identity:  1 where row == col, else 0.
 * hilbert:   1 / (row + col + 1), rows and columns counted from 0.
 * ones:      1 everywhere.
 * zoneplate: cos(64 pi (x^2 + y^2)) with x = (row + 0.5) / rows - 0.5 and
 *            y = (col + 0.5) / cols - 0.5: a Fresnel zone plate, rings around the
 *            matrix's centre, 8 of them to the middle of an edge (finer than a cell
 *            near the edges below 64 rows or columns: aliased). The product of two
 *            (R x K by K x C) is (K / 2) cos(64 pi (x^2 - y^2)), x along C's rows and
 *            y along its columns, plus rings of amplitude |S| / 2, S the sum of
 *            e^(i 128 pi t^2) over t = (k + 0.5) / K - 0.5, k < K: under K / 20 from
 *            K = 64 on. So its
 *            heat map draws hyperbolae around a saddle, where a product of random
 *            matrices is noise. The phase is computed as written, in double, and
 *            cos() is the C library's.
 * seed matters to random only. Anyone can regenerate them from that description.
 */
#ifndef FORKBAND_MATGEN_H
#define FORKBAND_MATGEN_H

#include "runtime/compat.h"

enum fb_matgen { FB_MAT_RANDOM, FB_MAT_IDENTITY, FB_MAT_HILBERT, FB_MAT_ONES, FB_MAT_ZONEPLATE };

/* "random", "identity", "hilbert", "ones", "zoneplate", NULL: indexed by enum fb_matgen. */
extern const char *const fb_matgen_names[];

/* Fills out[rows * cols]. */
void fb_matgen_fill(enum fb_matgen kind, uint64_t rows, uint64_t cols, uint64_t seed,
		    double *out);

#endif

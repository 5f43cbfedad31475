/* escape_lanes.h: the vector row loop of the escape kernels, written once and included
 * by each instruction set's file (escape_sse2.c, escape_avx2.c, escape_avx2_fast.c,
 * escape_avx512.c, escape_avx512_fast.c) after it defines the vector type and
 * operations below. Not a header to include anywhere else.
 *
 * The includer defines:
 *   LANES_FN            the function's name (an fb_escape_row_fn, escape_row.h)
 *   VEC, VW             the vector type and its number of doubles
 *   NVEC                how many vectors one group iterates side by side
 *   V_SET1(a)           every lane a
 *   V_IOTA              lanes 0, 1, ..., VW - 1 as doubles
 *   V_ADD, V_SUB, V_MUL  lane-wise, each rounded on its own (no fusing)
 *   V_GT_MASK(a, b)     a bit per lane of a > b (ordered: false for NaN)
 *   V_STOREU(p, a)      store the lanes to p
 *   V_FMADD(a, b, c), V_FMSUB(a, b, c)  optional: a * b + c and a * b - c rounded
 *                       once; when defined, the loop takes the fused step below (fast
 *                       arithmetic), else the exact one
 *
 * How it runs: pixels are taken in groups of NVEC * VW. Each vector is one chain of
 * dependent operations (a multiply, a subtract, an add per step, about 12 cycles of
 * latency), so one vector alone would leave the FP units idle most of the time;
 * NVEC independent vectors fill them. All vectors of a group take the same number of
 * steps: a lane that escaped keeps being computed but is masked off (its count and
 * |z|^2 were recorded when it escaped), and the group stops once every lane has
 * escaped, or at max_iter. A row whose width is not a multiple of the group ends with a
 * group whose spare lanes start masked off: they compute points past the row's end,
 * which nobody reads.
 *
 * Lanes that escaped are not refilled with the row's next pixels: on the default job
 * (1920x1080, max_iter 1000) the lanes of 12-pixel groups do useful work 94% of the
 * steps (inside pixels, the bulk of the work, sit in runs), so refilling could win at
 * most 6%, while per-lane counters and max_iter tests would add two vector operations
 * to the nine of every step (not measured: the bound alone made it not worth trying).
 *
 * Recording an escape is a rare, branchy path (a lane escapes once); the common path
 * per step is the arithmetic, a compare, a movemask and an integer test per vector.
 */
#include "escape_row.h"

#ifdef V_FMADD
/* Fast arithmetic, one definition for every ISA that fuses (so their pixels agree):
 * six operations a step instead of eight, and a chain of two instead of three:
 * y = fma(x + x, y, ci), x = fms(x, x, y2) + cr, y2 = y*y, mag = fma(x, x, y2).
 * x2 is not carried (the fused forms take x itself); the compiler drops it. */
#define V_STEP(x, y, x2, y2, mag, cr, ci)                                              \
	do {                                                                           \
		VEC y_ = V_FMADD(V_ADD((x), (x)), (y), (ci));                           \
		(x) = V_ADD(V_FMSUB((x), (x), (y2)), (cr));                            \
		(y) = y_;                                                              \
		(y2) = V_MUL((y), (y));                                                \
		(mag) = V_FMADD((x), (x), (y2));                                       \
		(void)(x2);                                                            \
	} while (0)
#else
/* fb_escape_count()'s step, operation for operation: y = (2*x)*y + ci, x = (x2-y2) + cr,
 * x2 = x*x, y2 = y*y, mag = x2 + y2. */
#define V_STEP(x, y, x2, y2, mag, cr, ci)                                              \
	do {                                                                           \
		(y) = V_ADD(V_MUL(V_MUL(V_SET1(2.0), (x)), (y)), (ci));                \
		(x) = V_ADD(V_SUB((x2), (y2)), (cr));                                  \
		(x2) = V_MUL((x), (x));                                                \
		(y2) = V_MUL((y), (y));                                                \
		(mag) = V_ADD((x2), (y2));                                             \
	} while (0)
#endif

#define LANES_GROUP (NVEC * VW)

void LANES_FN(const struct fb_escape_row *r, uint32_t x0, uint32_t n, uint32_t *count,
	      double *mag2)
{
	const VEC center = V_SET1(r->center_re), half = V_SET1(0.5);
	const VEC half_w = V_SET1(r->half_w), d = V_SET1(r->d), r2 = V_SET1(r->r2);
	const VEC iota = V_IOTA;
	const unsigned all = (1u << VW) - 1;

	for (uint32_t i = 0; i < n; i += LANES_GROUP) {
		uint32_t m = n - i < LANES_GROUP ? n - i : LANES_GROUP;
		VEC x[NVEC], y[NVEC], x2[NVEC], y2[NVEC], cr[NVEC], ci[NVEC];
		unsigned active[NVEC], left = 0;

		for (uint32_t j = 0; j < m; j++) {
			count[i + j] = 0;
			mag2[i + j] = 0;
		}
		for (int v = 0; v < NVEC; v++) {
			/* The scalar code's (x + 0.5 - half_w) * d with x converted to double:
			 * x0 + i + v * VW and the lane number add exactly (integers far below
			 * 2^53), so the lanes hold the very doubles the scalar code converts. */
			VEC px = V_ADD(V_SET1((double)(x0 + i + (uint32_t)v * VW)), iota);
			VEC re = V_ADD(center, V_MUL(V_SUB(V_ADD(px, half), half_w), d));
			uint32_t first = (uint32_t)v * VW;
			uint32_t lanes = m > first ? m - first : 0;

			active[v] = lanes >= VW ? all : (1u << lanes) - 1;
			left |= active[v];
			if (r->julia) {
				x[v] = re;
				y[v] = V_SET1(r->im);
				cr[v] = V_SET1(r->cr);
				ci[v] = V_SET1(r->ci);
			} else {
				x[v] = V_SET1(0.0);
				y[v] = V_SET1(0.0);
				cr[v] = re;
				ci[v] = V_SET1(r->im);
			}
			x2[v] = V_MUL(x[v], x[v]);
			y2[v] = V_MUL(y[v], y[v]);
		}
		for (uint32_t k = 1; k <= r->max_iter && left; k++) {
			VEC mag[NVEC];
			unsigned esc[NVEC], any = 0;

			for (int v = 0; v < NVEC; v++) {
				V_STEP(x[v], y[v], x2[v], y2[v], mag[v], cr[v], ci[v]);
				esc[v] = V_GT_MASK(mag[v], r2) & active[v];
				any |= esc[v];
			}
			if (!any)
				continue;
			left = 0;
			for (int v = 0; v < NVEC; v++) {
				if (esc[v]) {
					double lane[VW];

					V_STOREU(lane, mag[v]);
					for (int l = 0; l < VW; l++)
						if (esc[v] >> l & 1) {
							count[i + (uint32_t)(v * VW + l)] = k;
							mag2[i + (uint32_t)(v * VW + l)] = lane[l];
						}
					active[v] &= ~esc[v];
				}
				left |= active[v];
			}
		}
	}
}

#undef LANES_GROUP

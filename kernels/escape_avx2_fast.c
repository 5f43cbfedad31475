/* escape_avx2_fast.c: the escape row loop in fast arithmetic ("arithmetic": "fast"):
 * AVX2 with fused multiply-add, built with -mavx2 -mfma. Not the spec's arithmetic:
 * each fused operation rounds once where the exact loop rounds twice, so orbits drift
 * apart in the last bits and counts differ on some pixels near the set's boundary.
 * Still one function of the pixel, so the image does not depend on the workers. Runs
 * only where fb_isa_has_fma(). */
#include "runtime/compat.h"

#include "escape_row.h"

#if defined(__x86_64__)
#include "escape_avx2.h"

#define LANES_FN fb_escape_row_avx2_fast

/* Six operations a step instead of eight, and a chain of two instead of three:
 * y = fma(x + x, y, ci), x = fms(x, x, y2) + cr, y2 = y*y, mag = fma(x, x, y2).
 * x2 is not carried (the fused forms take x itself); escape_lanes.h still sets it,
 * and the compiler drops it. */
#define V_STEP(x, y, x2, y2, mag, cr, ci)                                              \
	do {                                                                           \
		VEC y_ = _mm256_fmadd_pd(V_ADD((x), (x)), (y), (ci));                   \
		(x) = V_ADD(_mm256_fmsub_pd((x), (x), (y2)), (cr));                    \
		(y) = y_;                                                              \
		(y2) = V_MUL((y), (y));                                                \
		(mag) = _mm256_fmadd_pd((x), (x), (y2));                               \
		(void)(x2);                                                            \
	} while (0)

#include "escape_lanes.h"
#endif

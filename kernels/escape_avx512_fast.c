/* escape_avx512_fast.c: the escape row loop in fast arithmetic on AVX-512 (fused
 * multiply-add is part of AVX-512F). The same fused step as escape_avx2_fast.c, lane for
 * lane, so its counts and |z|^2 equal the AVX2 fast loop's bit for bit: fast arithmetic
 * gives one image whichever of the two runs. Runs only where fb_isa_supported(AVX512). */
#include "runtime/compat.h"

#include "escape_row.h"

#if defined(__x86_64__)
#include "escape_avx512.h"

#define LANES_FN fb_escape_row_avx512_fast

/* As escape_avx2_fast.c: y = fma(x + x, y, ci), x = fms(x, x, y2) + cr, y2 = y*y,
 * mag = fma(x, x, y2). */
#define V_STEP(x, y, x2, y2, mag, cr, ci)                                              \
	do {                                                                           \
		VEC y_ = _mm512_fmadd_pd(V_ADD((x), (x)), (y), (ci));                   \
		(x) = V_ADD(_mm512_fmsub_pd((x), (x), (y2)), (cr));                    \
		(y) = y_;                                                              \
		(y2) = V_MUL((y), (y));                                                \
		(mag) = _mm512_fmadd_pd((x), (x), (y2));                               \
		(void)(x2);                                                            \
	} while (0)

#include "escape_lanes.h"
#endif

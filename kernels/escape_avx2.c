/* escape_avx2.c: the exact escape row loop on AVX2, 4 doubles a vector (escape_lanes.h).
 * Built with -mavx2 and nothing more: no FMA instructions exist for the compiler to
 * fuse with, on top of -ffp-contract=off. Runs only where fb_isa_supported(AVX2). */
#include "runtime/compat.h"

#include "escape_row.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define LANES_FN fb_escape_row_avx2
#define VEC __m256d
#define VW 4
/* Vectors per group: the step is a chain of three dependent operations (about 12
 * cycles) and 9 vector operations wide, so one chain leaves the FP ports mostly idle.
 * bench/escape_rate on the default job (2-core x86-64 VM, gcc 12), lane-iterations
 * against scalar, medians of 7 rounds: 2 vectors 7.1x, 3 vectors 8.7x, 4 vectors
 * 8.6x. 3: as fast as 4, and a group of 12 pixels wastes fewer lanes at a row's end
 * and beside a slow pixel than one of 16 (see escape_lanes.h). */
#ifndef FB_AVX2_NVEC
#define FB_AVX2_NVEC 3
#endif
#define NVEC FB_AVX2_NVEC
#define V_SET1(a) _mm256_set1_pd(a)
#define V_IOTA _mm256_set_pd(3.0, 2.0, 1.0, 0.0)
#define V_ADD _mm256_add_pd
#define V_SUB _mm256_sub_pd
#define V_MUL _mm256_mul_pd
#define V_GT_MASK(a, b) (unsigned)_mm256_movemask_pd(_mm256_cmp_pd((a), (b), _CMP_GT_OQ))
#define V_STOREU _mm256_storeu_pd

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

#include "escape_lanes.h"
#endif

/* escape_sse2.c: the exact escape row loop on SSE2, 2 doubles a vector (escape_lanes.h
 * with its exact step). SSE2 is part of every x86-64 CPU: this is the vector loop for
 * CPUs without AVX2. */
#include "runtime/compat.h"

#include "escape_row.h"

#if defined(__x86_64__)
#include <emmintrin.h>

#define LANES_FN fb_escape_row_sse2
#define VEC __m128d
#define VW 2
/* Vectors per group, measured like AVX2's (escape_avx2.h): 2 vectors 3.7x scalar,
 * 3 vectors 4.4x, 4 vectors 4.1x. */
#ifndef FB_SSE2_NVEC
#define FB_SSE2_NVEC 3
#endif
#define NVEC FB_SSE2_NVEC
#define V_SET1(a) _mm_set1_pd(a)
#define V_IOTA _mm_set_pd(1.0, 0.0)
#define V_ADD _mm_add_pd
#define V_SUB _mm_sub_pd
#define V_MUL _mm_mul_pd
#define V_GT_MASK(a, b) (unsigned)_mm_movemask_pd(_mm_cmpgt_pd((a), (b)))
#define V_STOREU _mm_storeu_pd

#include "escape_lanes.h"
#endif

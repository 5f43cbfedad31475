/* escape_avx512.h: AVX-512's vector type and operations for escape_lanes.h, shared by
 * the exact loop (escape_avx512.c) and the fast one (escape_avx512_fast.c). Included
 * only by those two files, which are built with -mavx512f.
 *
 * A compare writes a mask register (__mmask8, a bit a lane) directly: V_GT_MASK is the
 * compare alone, where AVX2 needs a compare and a movemask. */
#include <immintrin.h>

#define VEC __m512d
#define VW 8
/* Vectors per group, measured as for AVX2 (escape_avx2.h): bench/escape_rate 5 on the
 * default job (2-core AMD EPYC VM with AVX-512, gcc 12), exact G lane-iterations/s with
 * 2, 3, 4, 5, 6 vectors: 4.63, 5.54, 6.18, 6.88, 6.84 (AVX2's 3.2). 4, not 5: it holds 24
 * of the 32 vector registers (5 leave two for constants and spill on other compilers),
 * and a group of 32 pixels wastes fewer lanes at a row's end than one of 40. */
#ifndef FB_AVX512_NVEC
#define FB_AVX512_NVEC 4
#endif
#define NVEC FB_AVX512_NVEC
#define V_SET1(a) _mm512_set1_pd(a)
#define V_IOTA _mm512_set_pd(7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0)
#define V_ADD _mm512_add_pd
#define V_SUB _mm512_sub_pd
#define V_MUL _mm512_mul_pd
#define V_GT_MASK(a, b) (unsigned)_mm512_cmp_pd_mask((a), (b), _CMP_GT_OQ)
#define V_STOREU _mm512_storeu_pd

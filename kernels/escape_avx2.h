/* escape_avx2.h: AVX2's vector type and operations for escape_lanes.h, shared by the
 * exact loop (escape_avx2.c) and the fast one (escape_avx2_fast.c). Included only by
 * those two files, which are built with -mavx2 (and -mfma for the fast one). */
#include <immintrin.h>

#define VEC __m256d
#define VW 4
/* Vectors per group: the step is a chain of three dependent operations (about 12
 * cycles) and 9 vector operations wide, so one chain leaves the FP ports mostly idle.
 * bench/escape_rate on the default job (2-core x86-64 VM, gcc 12), lane-iterations
 * against scalar, medians of 7 rounds: exact 7.1x with 2 vectors, 8.7x with 3, 8.6x
 * with 4; fast 7.5x, 10.8x, 10.0x. 3: as fast as 4, and a group of 12 pixels wastes
 * fewer lanes at a row's end and beside a slow pixel than one of 16 (escape_lanes.h). */
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

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

/* The fused step of escape_lanes.h. */
#define V_FMADD _mm256_fmadd_pd
#define V_FMSUB _mm256_fmsub_pd

#include "escape_lanes.h"
#endif

/* escape_avx512_fast.c: the escape row loop in fast arithmetic on AVX-512 (fused
 * multiply-add is part of AVX-512F). The same fused step as escape_avx2_fast.c, lane for
 * lane, so its counts and |z|^2 equal the AVX2 fast loop's bit for bit: fast arithmetic
 * gives one image whichever of the two runs. Runs only where fb_isa_supported(AVX512). */
#include "runtime/compat.h"

#include "escape_row.h"

#if defined(__x86_64__)
#include "escape_avx512.h"

#define LANES_FN fb_escape_row_avx512_fast

/* The fused step of escape_lanes.h, as escape_avx2_fast.c takes it. */
#define V_FMADD _mm512_fmadd_pd
#define V_FMSUB _mm512_fmsub_pd

#include "escape_lanes.h"
#endif

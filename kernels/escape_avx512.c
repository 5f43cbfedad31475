/* escape_avx512.c: the exact escape row loop on AVX-512, 8 doubles a vector
 * (escape_lanes.h with its exact step). Built with -mavx512f, whose fused multiply-adds
 * the compiler may not use: the project builds with -ffp-contract=off, and the exact
 * step names only separate multiplies, adds and subtracts. Runs only where
 * fb_isa_supported(AVX512). */
#include "runtime/compat.h"

#include "escape_row.h"

#if defined(__x86_64__)
#include "escape_avx512.h"

#define LANES_FN fb_escape_row_avx512

#include "escape_lanes.h"
#endif

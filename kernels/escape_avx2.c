/* escape_avx2.c: the exact escape row loop on AVX2, 4 doubles a vector (escape_lanes.h
 * with its exact step). Built with -mavx2 and nothing more: no FMA instructions exist
 * for the compiler to fuse with, on top of -ffp-contract=off. Runs only where
 * fb_isa_supported(AVX2). */
#include "runtime/compat.h"

#include "escape_row.h"

#if defined(__x86_64__)
#include "escape_avx2.h"

#define LANES_FN fb_escape_row_avx2

#include "escape_lanes.h"
#endif

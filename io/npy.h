/* npy.h: NumPy .npy output (format version 1.0). */
#ifndef FORKBAND_NPY_H
#define FORKBAND_NPY_H

#include "runtime/compat.h"

/* Writes a 2-D C-order array of rows x cols elements of `elem_size` bytes, dtype
 * `descr` ("<u4", "<f8"), given in host order (converted to little-endian), whole or
 * not at all. Returns 0, or -1 after reporting. */
int fb_npy_write(const char *path, const char *descr, size_t elem_size, uint64_t rows,
		 uint64_t cols, const void *data);

#endif

/* npy.h: NumPy .npy files: 2-D float matrices in, any 2-D array out (version 1.0). */
#ifndef FORKBAND_NPY_H
#define FORKBAND_NPY_H

#include "runtime/compat.h"

struct fb_outfile;

/* As fb_npy_write(), into a temporary file left in *out for fb_outfile_rename() (or
 * fb_outfile_abort()). */
int fb_npy_prepare(struct fb_outfile *out, const char *path, const char *descr,
		   size_t elem_size, uint64_t rows, uint64_t cols, const void *data);

/* Streaming: begin() opens the temporary file for path and writes the header of a
 * rows x cols array of descr (0, or -1 after reporting); append() adds n elements
 * (host order, as above) and returns 0, or -1 on a write error, which it does not
 * report: fb_outfile_finish() does (the error is sticky), and removes the file. */
int fb_npy_begin(struct fb_outfile *out, const char *path, const char *descr, uint64_t rows,
		 uint64_t cols);
int fb_npy_append(struct fb_outfile *out, size_t elem_size, uint64_t n, const void *data);

/* Writes a 2-D C-order array of rows x cols elements of `elem_size` bytes, dtype
 * `descr` ("<u4", "<f8"), given in host order (converted to little-endian), whole or
 * not at all. Returns 0, or -1 after reporting. */
int fb_npy_write(const char *path, const char *descr, size_t elem_size, uint64_t rows,
		 uint64_t cols, const void *data);

/* A matrix read from a .npy file: rows x cols doubles, row-major. */
struct fb_matrix_file {
	uint64_t rows, cols;
	double *data;		/* malloc()ed; fb_matrix_file_free() */
};

/* Reads a 2-D, C-order array of '<f8' or '<f4' (converted to double) from a .npy file
 * of format version 1.0, 2.0 or 3.0. Anything else (Fortran order, big-endian or other
 * dtypes, another rank, a header that does not parse, data shorter or longer than the
 * shape says, more than max_bytes of doubles) is refused with one line naming the file
 * and the reason. Returns 0, or -1 after reporting. */
int fb_npy_read_matrix(const char *path, uint64_t max_bytes, struct fb_matrix_file *out);

void fb_matrix_file_free(struct fb_matrix_file *m);

#endif

/* npy.c: the .npy header and data. Format: magic "\x93NUMPY", version 1.0, a
 * little-endian uint16 header length, then a Python dict literal padded with spaces
 * and ending in '\n' so that the data starts on a 64-byte boundary. */
#include "runtime/compat.h"

#include "npy.h"

#include "outfile.h"
#include "runtime/error.h"

#include <string.h>

int fb_npy_write(const char *path, const char *descr, size_t elem_size, uint64_t rows,
		 uint64_t cols, const void *data)
{
	struct fb_outfile out;
	char header[256];
	size_t len, total;
	int n;

	n = snprintf(header, sizeof(header),
		     "{'descr': '%s', 'fortran_order': False, 'shape': (%llu, %llu), }", descr,
		     (unsigned long long)rows, (unsigned long long)cols);
	if (n < 0 || (size_t)n + 64 > sizeof(header))
		FB_BUG("npy header too long");
	len = (size_t)n;
	/* 10 bytes of magic, version and length come first; pad so that the data starts at
	 * a multiple of 64, with the newline last. */
	total = (10 + len + 1 + 63) / 64 * 64;
	memset(header + len, ' ', total - 10 - len - 1);
	header[total - 10 - 1] = '\n';
	len = total - 10;

	if (fb_outfile_open(&out, path) < 0)
		return -1;
	fwrite("\x93NUMPY\x01\x00", 1, 8, out.f);
	fputc((int)(len & 0xff), out.f);
	fputc((int)(len >> 8), out.f);
	fwrite(header, 1, len, out.f);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	fwrite(data, elem_size, rows * cols, out.f);
#else
	for (uint64_t i = 0; i < rows * cols; i++)
		for (size_t b = elem_size; b-- > 0;)
			fputc(((const unsigned char *)data)[i * elem_size + b], out.f);
#endif
	return fb_outfile_commit(&out);
}

/* fuzz_npy.c: libFuzzer target for the .npy reader, as matmul's {"npy": path} reads it.
 *
 * The matrix is capped at 64 MiB of doubles (config.c allows 8 GiB): a 128-byte header
 * may claim a 100000x100000 matrix, and the reader must refuse or report a short file
 * without the fuzzer counting a legitimate 8 GiB allocation as running out of memory.
 */
#include "runtime/compat.h"

#include "fuzz_input.h"
#include "io/npy.h"
#include "runtime/error.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t max_bytes = (uint64_t)64 << 20;
	const char *path = fuzz_input_path(data, size);
	struct fb_error_capture cap;
	struct fb_matrix_file m;
	volatile double sink = 0;
	int rc;

	fb_error_capture_begin(&cap);
	rc = fb_npy_read_matrix(path, max_bytes, &m);
	fb_error_capture_end(&cap);
	if (rc == 0) {
		if (!m.data || !m.rows || !m.cols || m.rows * m.cols > max_bytes / sizeof(double))
			fuzz_fail("fb_npy_read_matrix", "returned a matrix outside its promises");
		sink = m.data[0] + m.data[m.rows * m.cols - 1];	/* both ends are there */
		(void)sink;
		fb_matrix_file_free(&m);
	} else {
		fuzz_check_message("fb_npy_read_matrix", cap.msg);
		if (m.data || m.rows || m.cols)
			fuzz_fail("fb_npy_read_matrix", "failed but left the matrix filled in");
	}
	return 0;
}

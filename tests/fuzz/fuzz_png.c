/* fuzz_png.c: libFuzzer target for the PNG reader: the image, as `forkband run` and the
 * filter kernel read it, and the forkband:config text, as `forkband run x.png` reads it.
 *
 * The decoded size is capped at 64 MiB (the program's default is 2 GiB): a 100-byte
 * file may declare a 1000000x1000000 image, and the reader's job is to refuse that
 * before allocating, which a small cap tests as well as a big one, without the fuzzer
 * counting a legitimate 2 GiB image as running out of memory.
 */
#include "runtime/compat.h"

#include "fuzz_input.h"
#include "io/png_read.h"
#include "runtime/error.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fb_png_limits limits = { .max_bytes = (uint64_t)64 << 20 };
	const char *path = fuzz_input_path(data, size);
	struct fb_error_capture cap;
	struct fb_image img;
	size_t row, total;
	char *text;
	int rc;

	fb_error_capture_begin(&cap);
	rc = fb_png_read_image(path, &limits, &img);
	fb_error_capture_end(&cap);
	if (rc == 0) {
		if (!img.data || !img.width || !img.height || img.channels < 1 ||
		    img.channels > 4 || (img.depth != 8 && img.depth != 16) ||
		    !fb_image_sizes(img.width, img.height, img.channels, img.depth, &row, &total) ||
		    total > limits.max_bytes)
			fuzz_fail("fb_png_read_image", "returned an image outside its promises");
		/* Every byte is there (ASan checks the ends) and was written (MSan would say). */
		if (((volatile uint8_t *)img.data)[0] + ((volatile uint8_t *)img.data)[total - 1] > 510)
			abort();
		fb_image_free(&img);
	} else {
		fuzz_check_message("fb_png_read_image", cap.msg);
		if (img.data || img.width || img.height)
			fuzz_fail("fb_png_read_image", "failed but left the image filled in");
	}

	fb_error_capture_begin(&cap);
	rc = fb_png_read_text(path, "forkband:config", &text);
	fb_error_capture_end(&cap);
	if (rc == 0) {
		if (!text)
			fuzz_fail("fb_png_read_text", "succeeded with no text");
		free(text);
	} else {
		fuzz_check_message("fb_png_read_text", cap.msg);
		if (text)
			fuzz_fail("fb_png_read_text", "failed but returned text");
	}
	return 0;
}

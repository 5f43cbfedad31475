/* mandelbrot.c: the Mandelbrot set: z0 = 0, c = the pixel's point (escape.h). */
#include "runtime/compat.h"

#include "escape.h"
#include "io/colormap.h"

#include <math.h>

static const struct fb_param params[] = {
	FB_ESCAPE_PARAMS(-0.75, 0, "set"),
};

static int create(void **state, const void *params_, uint32_t width, uint32_t height,
		  const struct fb_image *input)
{
	(void)input;
	return fb_escape_create(state, params_, width, height, false);
}

const struct fb_kernel fb_kernel_mandelbrot = {
	.name = "mandelbrot",
	.summary = "escape-time Mandelbrot set, coloured smooth, by histogram or in bands",
	.params = params,
	.n_params = FB_ARRAY_LEN(params),
	.params_size = sizeof(struct escape_params),
	.raw_output = "iterations",
	.raw_help = "escape counts as a .npy file (uint32, shape (height, width); 0 = inside)",
	.check = fb_escape_check,
	.create = create,
	.pass = fb_escape_pass,
	.after_pass = fb_escape_after_pass,
	.output = fb_escape_output,
	.totals = fb_escape_totals,
	.footprint = fb_escape_footprint,
	.destroy = fb_escape_destroy,
};

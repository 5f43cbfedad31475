/* julia.c: filled Julia sets: z0 = the pixel's point, c = the param c (escape.h). */
#include "runtime/compat.h"

#include "escape.h"
#include "colormap.h"
#include "escape_deep.h"

#include <stdio.h>

#include <math.h>

static const struct fb_param params[] = {
	{ "c", FB_PARAM_POINT, offsetof(struct escape_params, c),
	  "the constant c of z' = z^2 + c, [re, im]: which Julia set", .required = true },
	FB_ESCAPE_PARAMS(0, 0, "filled Julia set"),
};

/* Deep zoom (perturbation from a reference orbit, escape_deep.h) is the Mandelbrot
 * set's: a Julia view that deep would be drawn in blocks, so it is refused. */
static int check(const void *vp, uint32_t w, uint32_t h, const char **field, char *expected,
		 size_t len)
{
	if (fb_escape_check(vp, w, h, field, expected, len) < 0)
		return -1;
	if (fb_escape_is_deep(vp, w)) {
		*field = "scale";
		snprintf(expected, len, "a pixel size (scale / width) of at least 2^-48 times the "
			 "center's magnitude (deep zoom is mandelbrot's)");
		return -1;
	}
	return 0;
}

static int create(void **state, const void *params_, uint32_t width, uint32_t height,
		  const struct fb_image *input)
{
	(void)input;
	return fb_escape_create(state, params_, width, height, true);
}

static int create_strips(void **state, const void *params_, uint32_t width, uint32_t height,
			 const struct fb_image *input, const struct fb_strip_shape *shape)
{
	(void)input;
	return fb_escape_create_strips(state, params_, width, height, shape, true);
}

const struct fb_kernel fb_kernel_julia = {
	.name = "julia",
	.summary = "escape-time filled Julia set of z^2 + c, coloured as mandelbrot",
	.params = params,
	.n_params = FB_ARRAY_LEN(params),
	.create = create,
	.create_strips = create_strips,
	.check = check,
	FB_ESCAPE_KERNEL_COMMON,
};

/* mandelbrot.c: the Mandelbrot set: z0 = 0, c = the pixel's point (escape.h). */
#include "runtime/compat.h"

#include "escape.h"
#include "colormap.h"

#include <math.h>

static const struct fb_param params[] = {
	FB_ESCAPE_PARAMS(-0.75, 0, "set"),
	{ "location", FB_PARAM_LOCATION, offsetof(struct escape_params, location),
	  "a Kalles Fraktaler location file (.kfr) that sets center, scale and (unless the "
	  "job gives it) max_iter: docs/deep-zoom.md; relative to the config file's folder",
	  .def_text = "none" },
};

static int create(void **state, const void *params_, uint32_t width, uint32_t height,
		  const struct fb_image *input)
{
	(void)input;
	return fb_escape_create(state, params_, width, height, false);
}

static int create_strips(void **state, const void *params_, uint32_t width, uint32_t height,
			 const struct fb_image *input, const struct fb_strip_shape *shape)
{
	(void)input;
	return fb_escape_create_strips(state, params_, width, height, shape, false);
}

const struct fb_kernel fb_kernel_mandelbrot = {
	.name = "mandelbrot",
	.summary = "escape-time Mandelbrot set, coloured smooth, by histogram or in bands",
	.params = params,
	.n_params = FB_ARRAY_LEN(params),
	.create = create,
	.create_strips = create_strips,
	.check = fb_escape_check,
	FB_ESCAPE_KERNEL_COMMON,
};

/* escape.h: what the escape-time kernels (mandelbrot, julia) share: their parameters,
 * their exact arithmetic, and the machinery of kernels/escape.c.
 *
 * Both iterate z' = z^2 + c from z0 and count the first k with |z_k|^2 > R^2 (0: never
 * within max_iter). Mandelbrot starts at z0 = 0 with c the pixel's point; Julia starts
 * at the pixel's point with a fixed c. Everything else (pixel mapping, totals,
 * colourings, palettes, raw output) is the same code.
 */
#ifndef FORKBAND_ESCAPE_H
#define FORKBAND_ESCAPE_H

#include "runtime/compat.h"

#include "kernel.h"

enum escape_coloring { MB_SMOOTH, MB_HISTOGRAM, MB_BANDS };

/* exact: the spec's arithmetic (fb_escape_count()), bit for bit on every instruction set;
 * fast: fused multiply-add where the CPU has it (kernels/escape_row.h). */
enum escape_arithmetic { MB_EXACT, MB_FAST };

/* The params struct of both kernels; mandelbrot has no `c`. */
struct escape_params {
	double center[2];
	double scale;
	int64_t max_iter;
	double bailout;
	int coloring;
	int palette;
	double c[2];		/* julia only */
	int arithmetic;		/* enum escape_arithmetic */
	/* center and scale as written, when given as decimal strings ("" for numbers):
	 * deep zoom (kernels/escape_deep.h) reads its view from these. */
	char center_text[2][FB_DECIMAL_MAX + 1];
	char scale_text[FB_DECIMAL_MAX + 1];
	/* mandelbrot's params.location: the .kfr file the config read center, scale and
	 * max_iter from (the path as opened), or NULL. The kernel does not use it. */
	char *location;
};

/* Histogram colouring keeps a histogram (and its prefix sums) of max_iter + 1 bins. */
#define MB_HISTOGRAM_MAX_ITER (1 << 24)

/* Escape count from z0 = (zr, zi) under z' = z^2 + (cr, ci): the first k >= 1 with
 * |z_k|^2 > r2, or 0; *mag2 gets |z_k|^2. Each step is zr' = (zr*zr - zi*zi) + cr,
 * zi' = (2*zr)*zi + ci in IEEE double, never fused (the build uses -ffp-contract=off).
 * The loop keeps x*x and y*y from the escape test for the next step: the same products
 * the formula computes. In the header so that the OpenMP peer in bench/ runs this very
 * loop, and the comparison measures only the runtimes. */
static inline uint32_t fb_escape_count(double zr, double zi, double cr, double ci,
				       uint32_t max_iter, double r2, double *mag2)
{
	double x = zr, y = zi, x2 = x * x, y2 = y * y;

	for (uint32_t k = 1; k <= max_iter; k++) {
		y = (2 * x) * y + ci;
		x = (x2 - y2) + cr;
		x2 = x * x;
		y2 = y * y;
		if (x2 + y2 > r2) {
			*mag2 = x2 + y2;
			return k;
		}
	}
	return 0;
}

/* Histogram colouring's ramp position for an escaped pixel of count k >= 1 whose smooth
 * offset (k - mu, count_row() in escape.c) is frac; cum[] holds the histogram's prefix
 * sums (cum[0] = 0: inside pixels are not in it) and escaped = cum[max_iter]. mu lies in
 * [k - 1, k) (|z_{k-1}| <= R < |z_k|), so the position runs linearly from the level of
 * count k, cum[k] / escaped (offset 0), down to that of k - 1 (offset 1; larger offsets
 * count as 1). Count k at offset 0 and count k + 1 at offset 1 meet at the same level:
 * the picture has no steps where counts change. */
double fb_escape_histogram_level(const uint64_t *cum, double escaped, uint32_t k, float frac);

extern const char *const fb_escape_coloring_names[];
extern const char *const fb_escape_arithmetic_names[];

/* The parameters both kernels share, for their tables: center (with the kernel's
 * default), scale, max_iter, bailout, coloring, palette, arithmetic. bailout is at most 1e64:
 * |z|^2 at escape can reach about R^4, which must stay finite for the smooth
 * colouring's logarithms (R^4 overflows a double from about 1e77). */
#define FB_ESCAPE_PARAMS(center_re, center_im, what)                                     \
	{ "center", FB_PARAM_POINT, offsetof(struct escape_params, center),                \
	  "centre of the view in the complex plane, [re, im]; numbers, or decimal strings " \
	  "of any length for deep zooms", .def = { center_re, center_im }, .decimal = true, \
	  .text_offset = offsetof(struct escape_params, center_text) },                     \
	{ "scale", FB_PARAM_REAL, offsetof(struct escape_params, scale),                   \
	  "width of the view in the complex plane; a number, or a decimal string such as " \
	  "\"1e-300\"", .min = 0, .max = HUGE_VAL, .min_open = true, .def = { 3.0 },        \
	  .decimal = true, .text_offset = offsetof(struct escape_params, scale_text) },    \
	{ "max_iter", FB_PARAM_INT, offsetof(struct escape_params, max_iter),              \
	  "iterations before a point counts as inside the " what, .min = 1,                \
	  .max = 1000000000, .def = { 1000 } },                                            \
	{ "bailout", FB_PARAM_REAL, offsetof(struct escape_params, bailout),               \
	  "escape radius R: a point escapes once the magnitude of z exceeds R", .min = 0,  \
	  .max = 1e64, .min_open = true, .def = { 2.0 } },                                 \
	{ "coloring", FB_PARAM_CHOICE, offsetof(struct escape_params, coloring),           \
	  "smooth: continuous potential; histogram: equalised over all counts; "           \
	  "bands: count modulo the palette",                                               \
	  .choices = fb_escape_coloring_names, .def_choice = MB_SMOOTH },                  \
	{ "palette", FB_PARAM_CHOICE, offsetof(struct escape_params, palette),             \
	  "colour palette", .choices = fb_palette_names, .def_choice = FB_PALETTE_DEFAULT }, \
	{ "arithmetic", FB_PARAM_CHOICE, offsetof(struct escape_params, arithmetic),       \
	  "exact: the spec's arithmetic, identical on every CPU (deep views: long "        \
	  "double); fast: fused multiply-add on CPUs with AVX-512, or AVX2 and FMA, "     \
	  "and deep views in double (faster; some pixels differ)",                        \
	  .choices = fb_escape_arithmetic_names, .def_choice = MB_EXACT }

/* The members of struct fb_kernel both kernels share; each adds its name, summary,
 * params and create. */
#define FB_ESCAPE_KERNEL_COMMON                                                             \
	.params_size = sizeof(struct escape_params), .raw_output = "iterations",            \
	.raw_help = "escape counts as a .npy file (uint32, shape (height, width); 0 = inside)", \
	.pass = fb_escape_pass, .after_pass = fb_escape_after_pass,                         \
	.prepare = fb_escape_prepare,                                                        \
	.output = fb_escape_output, .totals = fb_escape_totals,                             \
	.footprint = fb_escape_footprint, .destroy = fb_escape_destroy,                      \
	.strip_pass = fb_escape_strip_pass

/* The kernel functions both share (kernel.h); create takes whether it is Julia. */
int fb_escape_check(const void *params, uint32_t width, uint32_t height, const char **field,
		    char *expected, size_t expected_len);
int fb_escape_create(void **state, const void *params, uint32_t width, uint32_t height,
		     bool julia);
bool fb_escape_pass(void *state, unsigned i, struct fb_pass *pass);
int fb_escape_prepare(void *state, struct fb_pass *shown);
int fb_escape_after_pass(void *state, unsigned i);
void fb_escape_output(void *state, struct fb_kernel_output *out);
size_t fb_escape_totals(void *state, struct fb_total *out, size_t max);
size_t fb_escape_footprint(void *state);
int fb_escape_create_strips(void **state, const void *params, uint32_t width, uint32_t height,
			    const struct fb_strip_shape *shape, bool julia);
bool fb_escape_strip_pass(void *state, unsigned i, uint32_t y0, uint32_t y1,
			  struct fb_pass *pass);
void fb_escape_destroy(void *state);

#endif

/* colormap.c: palette stops and the ramps over them. */
#include "runtime/compat.h"

#include "colormap.h"

#include <math.h>

struct palette {
	unsigned n;
	uint8_t stop[8][3];
	/* Whether the last stop blends into the first as a colour of the palette's own
	 * (classic's near-black into its deep blue). Where it does not (fire's white into
	 * black would pass through mid grey; viridis' yellow into purple through brown),
	 * the cyclic ramp runs there and back instead of wrapping. */
	bool wraps;
};

const char *const fb_palette_names[] = { "classic", "fire", "ocean", "gray", "viridis", NULL };

static const struct palette palettes[] = {
	/* Deep blue through white to orange and near-black: the usual fractal ramp. */
	{ 5, { { 0, 7, 100 }, { 32, 107, 203 }, { 237, 255, 255 }, { 255, 170, 0 }, { 0, 2, 0 } },
	  true },
	/* Black body: black, dark red, orange, yellow, white. */
	{ 5, { { 0, 0, 0 }, { 128, 0, 0 }, { 255, 72, 0 }, { 255, 200, 0 }, { 255, 255, 255 } },
	  false },
	/* Navy to teal to white. */
	{ 5, { { 0, 0, 40 }, { 0, 64, 128 }, { 0, 160, 192 }, { 128, 224, 224 }, { 255, 255, 255 } },
	  false },
	/* Grayscale. */
	{ 5, { { 0, 0, 0 }, { 64, 64, 64 }, { 128, 128, 128 }, { 192, 192, 192 }, { 255, 255, 255 } },
	  false },
	/* Perceptually uniform (matplotlib's viridis, sampled at 0, 1/4, ..., 1): lightness
	 * rises steadily, so equal steps of a field look equal, also in gray. */
	{ 5, { { 68, 1, 84 }, { 59, 82, 139 }, { 33, 145, 140 }, { 94, 201, 98 }, { 253, 231, 37 } },
	  false },
};

_Static_assert(FB_ARRAY_LEN(palettes) + 1 == FB_ARRAY_LEN(fb_palette_names),
	       "every palette has a name");

/* lround(x) for 0 <= x < 2^52, without the libm call (which the compiler may not
 * inline: no SSE2 instruction rounds half away from zero): x - trunc(x) is exact in
 * that range, so comparing it with 0.5 rounds exactly as lround does. The colouring of
 * every pixel goes through here. */
static inline uint8_t round_byte(double x)
{
	uint64_t r;

	if (!(x >= 0 && x < 4503599627370496.0))	/* not expected: blends stay in 0..255 */
		return (uint8_t)lround(x);
	r = (uint64_t)x;
	return (uint8_t)(r + (x - (double)r >= 0.5));
}

void fb_blend_rgb(const uint8_t a[3], const uint8_t b[3], double f, uint8_t rgb[3])
{
	for (int c = 0; c < 3; c++)
		rgb[c] = round_byte(a[c] + (b[c] - a[c]) * f);
}

void fb_palette_linear(int palette, double t, uint8_t rgb[3])
{
	const struct palette *p = &palettes[palette];
	double pos;
	unsigned i;

	if (!(t > 0))	/* also catches NaN */
		t = 0;
	if (t > 1)
		t = 1;
	pos = t * (p->n - 1);
	i = (unsigned)pos;
	if (i >= p->n - 1) {
		fb_blend_rgb(p->stop[p->n - 1], p->stop[p->n - 1], 0, rgb);
		return;
	}
	fb_blend_rgb(p->stop[i], p->stop[i + 1], pos - i, rgb);
}

void fb_palette_cyclic(int palette, double t, uint8_t rgb[3])
{
	const struct palette *p = &palettes[palette];
	double pos;
	unsigned i;

	if (!isfinite(t))
		t = 0;
	t -= floor(t);
	if (!p->wraps) {
		/* First stop to last over the first half of the period, back over the
		 * second: the same colours at t and 1 - t, continuous at 0 and 1/2. */
		fb_palette_linear(palette, t < 0.5 ? 2 * t : 2 - 2 * t, rgb);
		return;
	}
	pos = t * p->n;
	i = (unsigned)pos;
	if (i >= p->n)	/* t just below 1 can round up */
		i = p->n - 1;
	fb_blend_rgb(p->stop[i], p->stop[(i + 1) % p->n], pos - i, rgb);
}

void fb_palette_band(int palette, uint64_t k, uint8_t rgb[3])
{
	const struct palette *p = &palettes[palette];
	const uint8_t *s = p->stop[k % p->n];

	rgb[0] = s[0];
	rgb[1] = s[1];
	rgb[2] = s[2];
}

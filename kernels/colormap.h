/* colormap.h: the named palettes kernels colour with.
 *
 * A palette is a short list of colour stops, evenly spaced. Kernels use it three ways:
 * a linear ramp over t in [0, 1] (first stop to last), a cyclic ramp (t wraps: the last
 * stop blends back into the first where that blend stays in the palette's colours, as
 * classic's does; the other palettes run first to last and back, so no colour of the
 * blend between their ends, such as fire's grey, appears), and as discrete bands (stop
 * i mod count). All arithmetic is in double with one final rounding, so colours are the
 * same on every run and every worker count.
 */
#ifndef FORKBAND_COLORMAP_H
#define FORKBAND_COLORMAP_H

#include "runtime/compat.h"

/* NULL-terminated; an index into it is a palette id. One of them ("gray") is grayscale. */
extern const char *const fb_palette_names[];

/* The id of the default palette, "classic", and of the perceptual "viridis". */
#define FB_PALETTE_DEFAULT 0
#define FB_PALETTE_VIRIDIS 4

/* Linear ramp: t <= 0 gives the first stop, t >= 1 the last. */
void fb_palette_linear(int palette, double t, uint8_t rgb[3]);

/* Cyclic ramp with period 1: t and t + 1 give the same colour; continuous in t. classic
 * wraps its last stop into its first; the others are the linear ramp at 2t on
 * [0, 1/2] and at 2 - 2t on [1/2, 1). */
void fb_palette_cyclic(int palette, double t, uint8_t rgb[3]);

/* Discrete bands: stop (k mod number of stops). */
void fb_palette_band(int palette, uint64_t k, uint8_t rgb[3]);

/* rgb = a + (b - a) f per channel, rounded half away from zero (f in [0, 1]). */
void fb_blend_rgb(const uint8_t a[3], const uint8_t b[3], double f, uint8_t rgb[3]);

#endif

/* image.h: an image in memory, as forkband reads and writes it.
 *
 * Every PNG is normalised on reading to one of eight layouts: 1 to 4 channels (gray,
 * gray+alpha, RGB, RGBA) of 8 or 16 bits. Palettes expand to RGB or RGBA (RGBA when
 * the palette has transparency), bit depths below 8 expand to 8, a tRNS chunk on gray
 * or RGB images becomes an alpha channel, and 16-bit samples stay 16-bit. Samples are
 * the values stored in the file: no gamma or colour-space conversion is applied, so
 * that an image read and written back unchanged keeps its pixel values.
 */
#ifndef FORKBAND_IMAGE_H
#define FORKBAND_IMAGE_H

#include "runtime/compat.h"

struct fb_image {
	uint32_t width, height;
	unsigned channels;	/* 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA */
	unsigned depth;		/* 8 or 16 bits per sample */
	/* width * height * channels samples, row-major; uint8_t for depth 8, uint16_t in
	 * host order for depth 16. Owned by whoever filled the struct: see the reader. */
	void *data;
};

/* Bytes per row and in all (either may be NULL), for a layout; false if they overflow
 * size_t. */
static inline bool fb_image_sizes(uint32_t width, uint32_t height, unsigned channels,
				  unsigned depth, size_t *row, size_t *total)
{
	size_t r;

	if (__builtin_mul_overflow((size_t)width, (size_t)channels * (depth / 8), &r))
		return false;
	size_t t;

	if (row)
		*row = r;
	if (__builtin_mul_overflow(r, (size_t)height, &t))
		return false;
	if (total)
		*total = t;
	return true;
}

#endif

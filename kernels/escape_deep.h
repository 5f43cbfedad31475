/* escape_deep.h: the Mandelbrot set beyond double precision, by perturbation.
 *
 * A view is deep when its pixel size d = scale / width is below 2^-48 times the larger
 * of 1, |re| and |im| of its center: there double can no longer tell neighbouring
 * pixels apart well (16 units in the last place of the center per pixel and fewer), so
 * the old path would draw blocks. Shallower views take the double path as before, to
 * the same bytes.
 *
 * The spec of a deep pixel (x, y) of a W x H view, as tests/test_deep.c checks it:
 * d = strtold(scale) / W and the offsets dr = (x + 0.5 - W/2) d, di = (H/2 - (y + 0.5)) d
 * are computed in long double (x87 80-bit on x86-64: 64-bit mantissa, exponent to
 * 1e-4931); the pixel's point is c = C + (dr, di) exactly, with C the center's decimal
 * value; its count is the first k >= 1 with |z_k|^2 > R^2 (z_0 = 0, z_k+1 = z_k^2 + c),
 * or 0.
 *
 * How: the parent iterates the center's orbit Z_n (Z_0 = 0, Z_n+1 = Z_n^2 + C) once in
 * GNU MPFR, at the precision the view needs, and stores it rounded to the view's number
 * type in shared memory, read by every worker: long double with arithmetic "exact",
 * double with "fast" (views whose pixel is 2^-960 and larger). A pixel iterates only
 * its difference from it, dz' = (2 Z_m + dz) dz + dc, and tests z = Z_m+1 + dz. When
 * |z| < |dz| (the pixel's orbit passed nearer 0 than the reference's difference: where
 * plain perturbation glitches) or the stored orbit ends, it rebases: dz := z, m := 0
 * (Zhuoran, 2021), so one reference serves every pixel. While dz is small next to Z, a
 * table of bilinear approximations (BLA, escape_deep_loop.h) takes up to 2^j steps at
 * once; with "fast" on AVX-512 the plain steps run in vector lanes
 * (escape_deep_plain.h), to the scalar loop's bits. The result approximates the spec:
 * tests allow 0.1% of pixels one count off with "exact", 1% with "fast". Julia sets
 * are not deep.
 */
#ifndef FORKBAND_ESCAPE_DEEP_H
#define FORKBAND_ESCAPE_DEEP_H

#include "runtime/compat.h"

struct escape_params;
struct fb_escape_deep;
struct fb_pass;

/* The pixel size of the view: scale (its decimal text when given) / w, in long double. */
long double fb_escape_pixel_size(const struct escape_params *p, uint32_t w);

/* Whether the view of p at width w is deep (above). */
bool fb_escape_is_deep(const struct escape_params *p, uint32_t w);

/* The bytes the reference orbit of p takes in shared memory. */
size_t fb_escape_deep_footprint(const struct escape_params *p, uint32_t w);

/* The state of a deep view of p (kept by the caller for the state's life). 0, or -1
 * after reporting. */
int fb_escape_deep_create(struct fb_escape_deep **out, const struct escape_params *p,
			  uint32_t w, uint32_t h, double r2);

/* Computes the reference orbit in MPFR into shared memory (or takes the run's last one,
 * if it is the same) and the view's BLA table: in the parent, after the memory check
 * and before any worker forks (the kernel's prepare(), kernel.h), its progress shown
 * through shown. 0, or -1 after reporting. */
int fb_escape_deep_prepare(struct fb_escape_deep *dp, struct fb_pass *shown);

/* Row y: count[x] and mag2[x] (|z_k|^2 at escape, 0 inside) of every pixel. Returns the
 * steps its pixels took: plain iterations and BLA steps, each one (the counts' sum less
 * what BLA skipped). */
uint64_t fb_escape_deep_row(const struct fb_escape_deep *dp, uint32_t y, uint32_t *count,
			    double *mag2);

void fb_escape_deep_destroy(struct fb_escape_deep *dp);

#endif

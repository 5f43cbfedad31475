/* mandelbrot.h: the escape-time kernel's exact arithmetic, shared with nothing else.
 *
 * Exposed so that tests and benchmarks can name the parameter struct; the kernel
 * itself is reached through the registry (kernel.h).
 */
#ifndef FORKBAND_MANDELBROT_H
#define FORKBAND_MANDELBROT_H

#include "runtime/compat.h"

enum mandelbrot_coloring { MB_SMOOTH, MB_HISTOGRAM, MB_BANDS };

struct mandelbrot_params {
	double center[2];
	double scale;
	int64_t max_iter;
	double bailout;
	int coloring;
	int palette;
};

/* Histogram colouring keeps a histogram (and its prefix sums) of max_iter + 1 bins. */
#define MB_HISTOGRAM_MAX_ITER (1 << 24)

/* Escape count of c = (cr, ci): the first k with |z_k|^2 > r2, or 0; *mag2 gets |z_k|^2.
 * The loop keeps x*x and y*y from the escape test for the next step: the same products
 * the spec's formula computes. In the header so that the OpenMP peer in bench/ runs
 * this very loop, and the comparison measures only the runtimes. */
static inline uint32_t mb_escape(double cr, double ci, uint32_t max_iter, double r2,
				 double *mag2)
{
	double x = 0, y = 0, x2 = 0, y2 = 0;

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

#endif

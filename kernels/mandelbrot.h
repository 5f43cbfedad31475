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

#endif

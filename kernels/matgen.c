/* matgen.c: the generated matrices of matgen.h. */
#include "runtime/compat.h"

#include "matgen.h"

#include <math.h>

const char *const fb_matgen_names[] = { "random", "identity", "hilbert", "ones", "zoneplate",
				       NULL };

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

void fb_matgen_fill(enum fb_matgen kind, uint64_t rows, uint64_t cols, uint64_t seed,
		    double *out)
{
	uint64_t state = seed;

	for (uint64_t i = 0; i < rows; i++) {
		for (uint64_t j = 0; j < cols; j++) {
			double v;

			switch (kind) {
			case FB_MAT_RANDOM:
				/* 53 bits in [0, 2): exact, then shifted to [-1, 1). */
				v = (double)(splitmix64(&state) >> 11) * 0x1p-52 - 1.0;
				break;
			case FB_MAT_IDENTITY:
				v = i == j;
				break;
			case FB_MAT_HILBERT:
				v = 1.0 / (double)(i + j + 1);
				break;
			case FB_MAT_ZONEPLATE: {
				double x = ((double)i + 0.5) / (double)rows - 0.5;
				double y = ((double)j + 0.5) / (double)cols - 0.5;

				v = cos(64 * M_PI * (x * x + y * y));
				break;
			}
			case FB_MAT_ONES:
			default:
				v = 1;
				break;
			}
			out[i * cols + j] = v;
		}
	}
}

/* reference.c: the serial reference of the Mandelbrot spec (see reference.h). */
#include "runtime/compat.h"

#include "reference.h"

void ref_mandelbrot(const struct ref_view *v, uint32_t *counts, struct ref_totals *t)
{
	double d = v->scale / v->w;

	*t = (struct ref_totals){ 0 };
	for (uint32_t y = 0; y < v->h; y++) {
		for (uint32_t x = 0; x < v->w; x++) {
			double cr = v->cx + (x + 0.5 - v->w / 2.0) * d;
			double ci = v->cy + (v->h / 2.0 - (y + 0.5)) * d;
			double zr = 0, zi = 0;
			uint32_t count = 0;

			for (uint32_t k = 1; k <= v->max_iter; k++) {
				double nzr = zr * zr - zi * zi + cr;
				double nzi = 2 * zr * zi + ci;

				zr = nzr;
				zi = nzi;
				if (zr * zr + zi * zi > v->bailout * v->bailout) {
					count = k;
					break;
				}
			}
			counts[(size_t)y * v->w + x] = count;
			if (count) {
				t->escaped++;
				t->iterations += count;
			} else {
				t->inside++;
				t->iterations += v->max_iter;
			}
		}
	}
}

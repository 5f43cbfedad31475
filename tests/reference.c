/* reference.c: the serial reference of the Mandelbrot and Julia spec (reference.h). */
#include "runtime/compat.h"

#include "reference.h"

void ref_escape(const struct ref_view *v, uint32_t *counts, struct ref_totals *t)
{
	double d = v->scale / v->w;

	*t = (struct ref_totals){ 0 };
	for (uint32_t y = 0; y < v->h; y++) {
		for (uint32_t x = 0; x < v->w; x++) {
			double pr = v->cx + (x + 0.5 - v->w / 2.0) * d;
			double pi = v->cy + (v->h / 2.0 - (y + 0.5)) * d;
			double zr = v->julia ? pr : 0, zi = v->julia ? pi : 0;
			double cr = v->julia ? v->jr : pr, ci = v->julia ? v->ji : pi;
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

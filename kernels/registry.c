/* registry.c: the list of kernels, and helpers over their parameter tables. */
#include "runtime/compat.h"

#include "kernel.h"

#include <string.h>

extern const struct fb_kernel fb_kernel_mandelbrot;
extern const struct fb_kernel fb_kernel_julia;

const struct fb_kernel *const fb_kernels[] = {
	&fb_kernel_mandelbrot,
	&fb_kernel_julia,
};

const size_t fb_kernel_count = FB_ARRAY_LEN(fb_kernels);

const struct fb_kernel *fb_kernel_find(const char *name)
{
	for (size_t i = 0; i < fb_kernel_count; i++)
		if (strcmp(fb_kernels[i]->name, name) == 0)
			return fb_kernels[i];
	return NULL;
}

void fb_kernel_defaults(const struct fb_kernel *k, void *params)
{
	memset(params, 0, k->params_size);
	for (size_t i = 0; i < k->n_params; i++) {
		const struct fb_param *p = &k->params[i];
		char *at = (char *)params + p->offset;

		switch (p->type) {
		case FB_PARAM_INT: {
			int64_t v = (int64_t)p->def[0];

			memcpy(at, &v, sizeof(v));
			break;
		}
		case FB_PARAM_REAL:
			memcpy(at, &p->def[0], sizeof(double));
			break;
		case FB_PARAM_POINT:
			memcpy(at, p->def, 2 * sizeof(double));
			break;
		case FB_PARAM_CHOICE:
			memcpy(at, &p->def_choice, sizeof(int));
			break;
		}
	}
}

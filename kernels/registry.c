/* registry.c: the list of kernels, and helpers over their parameter tables. */
#include "runtime/compat.h"

#include "kernel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

extern const struct fb_kernel fb_kernel_mandelbrot;
extern const struct fb_kernel fb_kernel_julia;
extern const struct fb_kernel fb_kernel_filter;
extern const struct fb_kernel fb_kernel_matmul;
extern const struct fb_kernel fb_kernel_heat;

const struct fb_kernel *const fb_kernels[] = {
	&fb_kernel_mandelbrot,
	&fb_kernel_julia,
	&fb_kernel_filter,
	&fb_kernel_matmul,
	&fb_kernel_heat,
};

const size_t fb_kernel_count = FB_ARRAY_LEN(fb_kernels);

const struct fb_kernel *fb_kernel_find(const char *name)
{
	for (size_t i = 0; i < fb_kernel_count; i++)
		if (strcmp(fb_kernels[i]->name, name) == 0)
			return fb_kernels[i];
	return NULL;
}

void fb_params_defaults(const struct fb_param *table, size_t n, void *params)
{
	for (size_t i = 0; i < n; i++) {
		const struct fb_param *p = &table[i];
		char *at = (char *)params + p->offset;

		switch (p->type) {
		case FB_PARAM_INT: {
			int64_t v = (int64_t)p->def[0];

			memcpy(at, &v, sizeof(v));
			break;
		}
		case FB_PARAM_REAL: {
			double v = p->optional ? NAN : p->def[0];

			memcpy(at, &v, sizeof(v));
			break;
		}
		case FB_PARAM_POINT: {
			double none[2] = { NAN, NAN };

			memcpy(at, p->optional ? none : p->def, 2 * sizeof(double));
			break;
		}
		case FB_PARAM_CHOICE:
			memcpy(at, &p->def_choice, sizeof(int));
			break;
		case FB_PARAM_MATRIX: {
			/* The identity of size 1: a matrix param is required in practice. */
			struct fb_matrix m = { .n = 1, .v = { 1 } };

			memcpy(at, &m, sizeof(m));
			break;
		}
		case FB_PARAM_OPS: {
			struct fb_op_list none = { 0 };

			memcpy(at, &none, sizeof(none));
			break;
		}
		case FB_PARAM_MATSRC: {
			struct fb_matsrc none = { 0 };

			memcpy(at, &none, sizeof(none));
			break;
		}
		case FB_PARAM_OBJECT:
			fb_params_defaults(p->ops->params, p->ops->n_params, at);
			break;
		case FB_PARAM_LIST: {
			struct fb_op_list none = { 0 };

			memcpy(at, &none, sizeof(none));
			break;
		}
		case FB_PARAM_LOCATION: {
			char *none = NULL;

			memcpy(at, &none, sizeof(none));
			break;
		}
		}
	}
}

void fb_kernel_defaults(const struct fb_kernel *k, void *params)
{
	memset(params, 0, k->params_size);
	fb_params_defaults(k->params, k->n_params, params);
}

void fb_params_free(const struct fb_param *table, size_t n, void *params)
{
	for (size_t i = 0; params && i < n; i++) {
		struct fb_op_list *list;

		if (table[i].type == FB_PARAM_MATSRC) {
			struct fb_matsrc *m = (void *)((char *)params + table[i].offset);

			free(m->npy);
			free(m->data);
			m->npy = NULL;
			m->data = NULL;
			continue;
		}
		if (table[i].type == FB_PARAM_LOCATION) {
			char **path = (void *)((char *)params + table[i].offset);

			free(*path);
			*path = NULL;
			continue;
		}
		if (table[i].type != FB_PARAM_OPS && table[i].type != FB_PARAM_LIST)
			continue;
		list = (struct fb_op_list *)(void *)((char *)params + table[i].offset);
		for (size_t j = 0; j < list->n; j++) {
			const struct fb_op_def *d = &table[i].ops[list->op[j].kind];

			fb_params_free(d->params, d->n_params, list->op[j].params);
			free(list->op[j].params);
		}
		free(list->op);
		list->op = NULL;
		list->n = 0;
	}
}

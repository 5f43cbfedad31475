/* config_params.c: a kernel's parameter table applied to a job's "params": every type of
 * param (numbers, points, choices, matrices, op lists, matrix operands). */
#include "runtime/compat.h"

#include "config_internal.h"

#include "kernels/matgen.h"
#include "npy.h"
#include "runtime/error.h"

#include <cJSON.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An odd-sized square matrix of finite numbers, [[...], [...], ...]. */
static int get_matrix(const struct ctx *c, const cJSON *v, const char *path,
		      struct fb_matrix *m)
{
	int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
	unsigned k = 0;

	if (n < 1 || n > FB_MATRIX_MAX || n % 2 == 0)
		return cfg_error(c, path, "expected an odd-sized square matrix of numbers, 1x1 to "
				 "%dx%d, got %s", FB_MATRIX_MAX, FB_MATRIX_MAX, cfg_show(v));
	for (const cJSON *row = v->child; row; row = row->next) {
		if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != n)
			return cfg_error(c, path, "expected %d rows of %d numbers, got a row %s", n,
					 n, cfg_show(row));
		for (const cJSON *x = row->child; x; x = x->next) {
			if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
				return cfg_error(c, path, "expected finite numbers, got %s in a row",
						 cfg_show(x));
			m->v[k++] = x->valuedouble;
		}
	}
	m->n = (unsigned)n;
	return 0;
}

static int get_params(const struct ctx *c, const cJSON *obj, const char *prefix,
		      const char *owner, const struct fb_param *table, size_t n,
		      const char *extra, void *params);

static void free_ops(const struct fb_param *p, struct fb_op_list *list)
{
	fb_params_free(p, 1, (char *)list - p->offset);
}

/* A list of operations: [{"op": "gaussian", "sigma": 2}, ...], each checked against
 * its own parameter table. */
static int get_ops(const struct ctx *c, const struct fb_param *p, const cJSON *v,
		   const char *path, struct fb_op_list *list)
{
	const char *names[32];
	size_t i = 0;

	if (p->n_ops > FB_ARRAY_LEN(names) - 1)
		FB_BUG("too many ops in %s", p->name);
	for (size_t k = 0; k < p->n_ops; k++)
		names[k] = p->ops[k].name;
	names[p->n_ops] = NULL;
	if (!cJSON_IsArray(v) && p->type == FB_PARAM_LIST)
		return cfg_error(c, path, "expected a list of objects, got %s", cfg_show(v));
	if (!cJSON_IsArray(v))
		return cfg_error(c, path, "expected a list of operations such as "
				 "[{\"op\": \"%s\"}], got %s", names[0], cfg_show(v));
	/* An empty list would only copy the input: ops are required, and a filter that
	 * does nothing is a mistake. */
	if (p->type == FB_PARAM_OPS && !v->child)
		return cfg_error(c, path, "expected at least one operation, such as "
				 "[{\"op\": \"%s\"}], got []", names[0]);
	list->op = calloc((size_t)cJSON_GetArraySize(v) + 1, sizeof(*list->op));
	if (!list->op)
		return fb_error("out of memory");
	for (const cJSON *o = v->child; o; o = o->next, i++) {
		const struct fb_op_def *d;
		char at[256], opath[256];
		int kind = -1;

		snprintf(at, sizeof(at), "%s[%zu]", path, i);
		if (!cJSON_IsObject(o)) {
			free_ops(p, list);
			return cfg_error(c, at, "expected an operation {\"op\": ...}, got %s", cfg_show(o));
		}
		cfg_join(opath, sizeof(opath), at, "op");
		if (p->type == FB_PARAM_LIST)
			kind = 0;	/* one kind of item, and no "op" key */
		else if (cfg_get_choice(c, cJSON_GetObjectItemCaseSensitive(o, "op"), opath, names, &kind) < 0 ||
		    kind < 0) {
			if (kind < 0 && !cJSON_GetObjectItemCaseSensitive(o, "op"))
				cfg_error(c, opath, "missing; every operation names its op");
			free_ops(p, list);
			return -1;
		}
		d = &p->ops[kind];
		list->op[list->n].kind = (unsigned)kind;
		list->op[list->n].params = calloc(1, d->params_size ? d->params_size : 1);
		if (!list->op[list->n].params) {
			free_ops(p, list);
			return fb_error("out of memory");
		}
		list->n++;
		fb_params_defaults(d->params, d->n_params, list->op[list->n - 1].params);
		if (get_params(c, o, at, d->name, d->params, d->n_params,
			       p->type == FB_PARAM_LIST ? NULL : "op", list->op[list->n - 1].params) < 0) {
			free_ops(p, list);
			return -1;
		}
	}
	return 0;
}

/* The keys of a matrix operand: one or the other form. */
static const char *const npy_keys[] = { "npy" };
static const char *const gen_keys[] = { "generate", "rows", "cols", "seed" };

/* Matrices read or generated for a job: at most this many bytes each. */
#define MAX_MATRIX_BYTES ((uint64_t)8 << 30)

/* A matrix operand: {"npy": path}, read now, or {"generate": kind, "rows": R, "cols": C,
 * "seed": S}, made now (kernels/matgen.h), so that the kernel gets numbers, not files. */
static int get_matsrc(const struct ctx *c, const cJSON *v, const char *path,
		      struct fb_matsrc *m)
{
	const cJSON *npy = cJSON_GetObjectItemCaseSensitive(v, "npy");
	char sub[256];
	int64_t rows = 0, cols = 0, seed = 0;
	int kind = -1;

	if (!cJSON_IsObject(v) || (!npy && !cJSON_GetObjectItemCaseSensitive(v, "generate")))
		return cfg_error(c, path, "expected {\"npy\": path} or {\"generate\": \"random\", "
				 "\"rows\": R, \"cols\": C}, got %s", cfg_show(v));
	if (npy) {
		struct fb_error_capture cap;
		struct fb_matrix_file f;
		int rc;

		cfg_join(sub, sizeof(sub), path, "npy");
		if (cfg_check_object(c, v, path, npy_keys, 1) < 0)
			return -1;
		if (!cJSON_IsString(npy) || !*npy->valuestring || cfg_control_char(npy->valuestring))
			return cfg_error(c, sub, "expected the path of a .npy file, got %s", cfg_show(npy));
		if (cfg_input_path(c, sub, npy->valuestring, &m->npy) < 0)
			return -1;
		fb_error_capture_begin(&cap);
		rc = cfg_check_input(m->npy);
		if (rc == 0)
			rc = fb_npy_read_matrix(m->npy, MAX_MATRIX_BYTES, &f);
		fb_error_capture_end(&cap);
		if (rc < 0) {
			char note[PATH_MAX + 100];

			cfg_input_note(c, npy->valuestring, m->npy, note, sizeof(note));
			return cfg_error(c, sub, "%s%s", cap.msg, note);
		}
		m->rows = f.rows;
		m->cols = f.cols;
		m->data = f.data;
		return 0;
	}
	if (cfg_check_object(c, v, path, gen_keys, FB_ARRAY_LEN(gen_keys)) < 0)
		return -1;
	cfg_join(sub, sizeof(sub), path, "generate");
	if (cfg_get_choice(c, cJSON_GetObjectItemCaseSensitive(v, "generate"), sub, fb_matgen_names,
		       &kind) < 0)
		return -1;
	for (int k = 0; k < 2; k++) {
		const char *key = k ? "cols" : "rows";
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(v, key);

		cfg_join(sub, sizeof(sub), path, key);
		if (!x)
			return cfg_error(c, sub, "missing; a generated matrix needs rows and cols");
		if (cfg_get_int(c, x, sub, 1, FB_MAX_DIMENSION, k ? &cols : &rows) < 0)
			return -1;
	}
	cfg_join(sub, sizeof(sub), path, "seed");
	if (cfg_get_int(c, cJSON_GetObjectItemCaseSensitive(v, "seed"), sub, 0,
		    (int64_t)1 << 53, &seed) < 0)
		return -1;
	if ((uint64_t)rows * (uint64_t)cols > MAX_MATRIX_BYTES / sizeof(double))
		return cfg_error(c, path, "expected at most %llu values, got %lldx%lld",
				 (unsigned long long)(MAX_MATRIX_BYTES / sizeof(double)),
				 (long long)rows, (long long)cols);
	m->data = malloc((size_t)rows * (size_t)cols * sizeof(double));
	if (!m->data)
		return fb_error("out of memory for a %lldx%lld matrix", (long long)rows,
				(long long)cols);
	m->generate = kind;
	m->rows = (uint64_t)rows;
	m->cols = (uint64_t)cols;
	m->seed = (uint64_t)seed;
	fb_matgen_fill((enum fb_matgen)kind, m->rows, m->cols, m->seed, m->data);
	return 0;
}

bool cfg_decimal_syntax(const char *s)
{
	if (*s == '-')
		s++;
	if (!isdigit((unsigned char)*s))
		return false;
	if (*s == '0' && isdigit((unsigned char)s[1]))
		return false;
	while (isdigit((unsigned char)*s))
		s++;
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdigit((unsigned char)*s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

/* A decimal string for param p (its text kept at text + FB_DECIMAL_MAX + 1 times
 * slot), or a number (its text cleared). *value gets it in long double, which holds
 * views far deeper than double's range. */
static int get_decimal(const struct ctx *c, const struct fb_param *p, const cJSON *v,
		       const char *path, void *params, int slot, long double *value)
{
	char *text = (char *)params + p->text_offset + (size_t)slot * (FB_DECIMAL_MAX + 1);

	if (cJSON_IsNumber(v)) {
		text[0] = '\0';
		*value = v->valuedouble;
		return isfinite(v->valuedouble) ? 0 :
		       cfg_error(c, path, "expected a finite number, got %s", cfg_show(v));
	}
	if (!cJSON_IsString(v) || !cfg_decimal_syntax(v->valuestring))
		return cfg_error(c, path, "expected a number, or a decimal number as a string "
				 "(\"-0.74364388703715870475\", \"1e-300\"), got %s", cfg_show(v));
	if (strlen(v->valuestring) > FB_DECIMAL_MAX)
		return cfg_error(c, path, "expected a decimal string of at most %d characters, "
				 "got one of %zu", FB_DECIMAL_MAX, strlen(v->valuestring));
	*value = strtold(v->valuestring, NULL);
	if (!isfinite(*value))
		return cfg_error(c, path, "expected a decimal number within long double's range "
				 "(about 1e-4931 to 1e4932), got %s", cfg_show(v));
	strcpy(text, v->valuestring);
	return 0;
}

static int get_decimal_real(const struct ctx *c, const struct fb_param *p, const cJSON *v,
			    const char *path, void *params)
{
	long double x;
	double d;

	if (get_decimal(c, p, v, path, params, 0, &x) < 0)
		return -1;
	if ((p->min_open ? !(x > p->min) : !(x >= p->min)) || x > p->max) {
		memset((char *)params + p->text_offset, 0, 1);
		if (isinf(p->max))
			return cfg_error(c, path, "expected a number %s %.15g (below about 1e-4931 "
					 "is out of range), got %s", p->min_open ? "greater than" :
					 "of at least", p->min, cfg_show(v));
		return cfg_error(c, path, "expected a number greater than %.15g and at most "
				 "%.15g, got %s", p->min, p->max, cfg_show(v));
	}
	d = (double)x;
	memcpy((char *)params + p->offset, &d, sizeof(d));
	return 0;
}

static int get_decimal_point(const struct ctx *c, const struct fb_param *p, const cJSON *v,
			     const char *path, void *params)
{
	double xy[2];

	if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2)
		return cfg_error(c, path, "expected [re, im], two numbers or decimal strings, got "
				 "%s", cfg_show(v));
	for (int i = 0; i < 2; i++) {
		long double x;
		char sub[300];

		snprintf(sub, sizeof(sub), "%s[%d]", path, i);
		if (get_decimal(c, p, cJSON_GetArrayItem(v, i), sub, params, i, &x) < 0)
			return -1;
		xy[i] = (double)x;
		if (!isfinite(xy[i]))
			return cfg_error(c, sub, "expected a number within double's range, got %s",
					 cfg_show(cJSON_GetArrayItem(v, i)));
	}
	memcpy((char *)params + p->offset, xy, sizeof(xy));
	return 0;
}

static int get_param(const struct ctx *c, const struct fb_param *p, const cJSON *v,
		     const char *path, void *params)
{
	char *at = (char *)params + p->offset;

	if (!v)
		return 0;
	switch (p->type) {
	case FB_PARAM_INT: {
		int64_t x = 0;

		if (cfg_get_int(c, v, path, (int64_t)p->min, (int64_t)p->max, &x) < 0)
			return -1;
		memcpy(at, &x, sizeof(x));
		return 0;
	}
	case FB_PARAM_REAL: {
		double x = cJSON_IsNumber(v) ? v->valuedouble : NAN;

		if (p->decimal && cJSON_IsString(v))
			return get_decimal_real(c, p, v, path, params);
		if (p->decimal)
			memset((char *)params + p->text_offset, 0, 1);

		if (!isfinite(x) || (p->min_open ? !(x > p->min) : !(x >= p->min)) || x > p->max) {
			if (isinf(p->max))
				return cfg_error(c, path, "expected a finite number %s %.15g, got %s",
						 p->min_open ? "greater than" : "of at least",
						 p->min, cfg_show(v));
			if (p->min_open)
				return cfg_error(c, path, "expected a number greater than %.15g and at "
						 "most %.15g, got %s", p->min, p->max, cfg_show(v));
			return cfg_error(c, path, "expected a number from %.15g to %.15g, got %s",
					 p->min, p->max, cfg_show(v));
		}
		memcpy(at, &x, sizeof(x));
		return 0;
	}
	case FB_PARAM_POINT: {
		double xy[2];

		if (p->decimal)
			return get_decimal_point(c, p, v, path, params);
		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2 ||
		    !cJSON_IsNumber(v->child) || !cJSON_IsNumber(v->child->next) ||
		    !isfinite(xy[0] = v->child->valuedouble) ||
		    !isfinite(xy[1] = v->child->next->valuedouble))
			return cfg_error(c, path, "expected [%s], two finite numbers, got %s",
					 p->def_text && p->optional ? "lo, hi" : "re, im", cfg_show(v));
		memcpy(at, xy, sizeof(xy));
		return 0;
	}
	case FB_PARAM_CHOICE: {
		int x;

		if (cfg_get_choice(c, v, path, p->choices, &x) < 0)
			return -1;
		memcpy(at, &x, sizeof(x));
		return 0;
	}
	case FB_PARAM_MATRIX:
		return get_matrix(c, v, path, (struct fb_matrix *)(void *)at);
	case FB_PARAM_OPS:
		return get_ops(c, p, v, path, (struct fb_op_list *)(void *)at);
	case FB_PARAM_MATSRC:
		return get_matsrc(c, v, path, (struct fb_matsrc *)(void *)at);
	case FB_PARAM_OBJECT:
		if (!cJSON_IsObject(v))
			return cfg_error(c, path, "expected an object, got %s", cfg_show(v));
		return get_params(c, v, path, p->name, p->ops->params, p->ops->n_params, NULL, at);
	case FB_PARAM_LIST:
		return get_ops(c, p, v, path, (struct fb_op_list *)(void *)at);
	case FB_PARAM_LOCATION:
		return 0;	/* read by cfg_validate_params(): it needs the job's size */
	}
	FB_BUG("parameter type %d", (int)p->type);
}

/* Checks obj (may be NULL) against a parameter table and fills params, which holds
 * the defaults already. prefix names obj in messages ("params", "params.ops[1]");
 * extra is one more key allowed in obj (an op's "op"), or NULL. */
static int get_params(const struct ctx *c, const cJSON *obj, const char *prefix,
		      const char *owner, const struct fb_param *table, size_t n,
		      const char *extra, void *params)
{
	const char *names[65] = { NULL };
	char path[256];
	size_t k = 0;

	if (n + 1 > FB_ARRAY_LEN(names))
		FB_BUG("%s has too many params", owner);
	for (size_t i = 0; i < n; i++)
		names[k++] = table[i].name;
	if (extra)
		names[k++] = extra;
	if (obj && cfg_check_object(c, obj, prefix, names, k) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, table[i].name);

		cfg_join(path, sizeof(path), prefix, table[i].name);
		if (!v && table[i].required)
			return cfg_error(c, path, "missing; %s needs it (%s)", owner, table[i].help);
		if (get_param(c, &table[i], v, path, params) < 0)
			return -1;
	}
	return 0;
}

/* The keys of obj against a table (extra: one more allowed key, or NULL), then those of
 * the objects inside it that the table describes. Values of another shape are passed
 * over: get_params() reports them. */
static void param_keys(const struct ctx *c, const cJSON *obj, const char *prefix,
		       const struct fb_param *table, size_t n, const char *extra)
{
	const char *names[65];
	char path[256], at[256];
	size_t k = 0;

	if (!cJSON_IsObject(obj) || n + 1 > FB_ARRAY_LEN(names))
		return;
	for (size_t i = 0; i < n; i++)
		names[k++] = table[i].name;
	if (extra)
		names[k++] = extra;
	cfg_check_object(c, obj, prefix, names, k);
	for (size_t i = 0; i < n; i++) {
		const struct fb_param *p = &table[i];
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, p->name);
		size_t j = 0;

		cfg_join(path, sizeof(path), prefix, p->name);
		if (p->type == FB_PARAM_OBJECT)
			param_keys(c, v, path, p->ops->params, p->ops->n_params, NULL);
		if (p->type == FB_PARAM_MATSRC && cJSON_IsObject(v)) {
			/* One mistake, not one per key of the other form. */
			if (cJSON_GetObjectItemCaseSensitive(v, "npy") &&
			    cJSON_GetObjectItemCaseSensitive(v, "generate"))
				cfg_unknown_key(c, path, "expected npy or generate, not both");
			else if (cJSON_GetObjectItemCaseSensitive(v, "npy"))
				cfg_check_object(c, v, path, npy_keys, FB_ARRAY_LEN(npy_keys));
			else if (cJSON_GetObjectItemCaseSensitive(v, "generate"))
				cfg_check_object(c, v, path, gen_keys, FB_ARRAY_LEN(gen_keys));
		}
		if ((p->type != FB_PARAM_OPS && p->type != FB_PARAM_LIST) || !cJSON_IsArray(v))
			continue;
		for (const cJSON *o = v->child; o; o = o->next, j++) {
			const cJSON *op = cJSON_GetObjectItemCaseSensitive(o, "op");

			snprintf(at, sizeof(at), "%s[%zu]", path, j);
			if (p->type == FB_PARAM_LIST)
				param_keys(c, o, at, p->ops[0].params, p->ops[0].n_params, NULL);
			for (size_t kind = 0; p->type == FB_PARAM_OPS && kind < p->n_ops; kind++)
				if (cJSON_IsString(op) && strcmp(op->valuestring, p->ops[kind].name) == 0)
					param_keys(c, o, at, p->ops[kind].params, p->ops[kind].n_params,
						   "op");
		}
	}
}

void cfg_check_param_keys(const struct ctx *c, const cJSON *obj, const struct fb_kernel *k)
{
	param_keys(c, obj, "params", k->params, k->n_params, NULL);
}

int cfg_validate_params(const struct ctx *c, const cJSON *obj, struct fb_job *job)
{
	const struct fb_kernel *k = job->kernel;
	char path[256], expected[256], from[PATH_MAX + 64] = "";
	const char *field = NULL;

	if (get_params(c, obj, "params", k->name, k->params, k->n_params, NULL, job->params) < 0)
		return -1;
	for (size_t i = 0; i < k->n_params; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, k->params[i].name);

		if (k->params[i].type == FB_PARAM_LOCATION && v &&
		    cfg_apply_location(c, obj, &k->params[i], v, job) < 0)
			return -1;
	}
	if (k->check && k->check(job->params, job->width, job->height, &field, expected,
				 sizeof(expected)) < 0) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);

		cfg_join(path, sizeof(path), "params", field);
		if (v)	/* else it was left at its default, or a location set it */
			return cfg_error(c, path, "expected %s, got %s", expected, cfg_show(v));
		cfg_location_note(obj, k, field, from, sizeof(from));
		return cfg_error(c, path, "expected %s%s", expected, from);
	}
	return 0;
}


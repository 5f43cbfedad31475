/* config_json.c: a typed job back to JSON: its pixels (the forkband:config chunk) and
 * the whole resolved job (reports). */
#include "runtime/compat.h"

#include "config_internal.h"

#include "kernels/matgen.h"

#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static cJSON *params_object(const struct fb_param *table, size_t n, const void *params);

/* at: the value in the params struct; text: its decimal text (p->decimal only). */
static cJSON *param_value(const struct fb_param *p, const char *at, const char *text)
{
	switch (p->type) {
	case FB_PARAM_INT: {
		int64_t x;

		memcpy(&x, at, sizeof(x));
		return cJSON_CreateNumber((double)x);
	}
	case FB_PARAM_REAL: {
		double x;

		memcpy(&x, at, sizeof(x));
		if (p->decimal && *text)	/* as written: its digits are the view */
			return cJSON_CreateString(text);
		return isnan(x) ? cJSON_CreateNull() : cJSON_CreateNumber(x);
	}
	case FB_PARAM_POINT: {
		double xy[2];
		cJSON *a;

		memcpy(xy, at, sizeof(xy));
		if (isnan(xy[0]))
			return cJSON_CreateNull();
		if (!p->decimal || (!text[0] && !text[FB_DECIMAL_MAX + 1]))
			return cJSON_CreateDoubleArray(xy, 2);
		a = cJSON_CreateArray();
		for (int i = 0; a && i < 2; i++) {
			const char *t = text + (size_t)i * (FB_DECIMAL_MAX + 1);

			cJSON_AddItemToArray(a, *t ? cJSON_CreateString(t) : cJSON_CreateNumber(xy[i]));
		}
		return a;
	}
	case FB_PARAM_CHOICE: {
		int x;

		memcpy(&x, at, sizeof(x));
		return cJSON_CreateString(p->choices[x]);
	}
	case FB_PARAM_MATRIX: {
		const struct fb_matrix *m = (const void *)at;
		cJSON *rows = cJSON_CreateArray();

		for (unsigned r = 0; rows && r < m->n; r++) {
			cJSON *row = cJSON_CreateDoubleArray(m->v + r * m->n, (int)m->n);

			if (!row || !cJSON_AddItemToArray(rows, row)) {
				cJSON_Delete(row);
				cJSON_Delete(rows);
				return NULL;
			}
		}
		return rows;
	}
	case FB_PARAM_MATSRC: {
		const struct fb_matsrc *m = (const void *)at;
		cJSON *o = cJSON_CreateObject();

		if (!o)
			return NULL;
		if (m->npy) {
			cJSON_AddStringToObject(o, "npy", m->npy);
			return o;
		}
		cJSON_AddStringToObject(o, "generate", fb_matgen_names[m->generate]);
		cJSON_AddNumberToObject(o, "rows", (double)m->rows);
		cJSON_AddNumberToObject(o, "cols", (double)m->cols);
		cJSON_AddNumberToObject(o, "seed", (double)m->seed);
		return o;
	}
	case FB_PARAM_OBJECT:
		return params_object(p->ops->params, p->ops->n_params, at);
	case FB_PARAM_LOCATION:
		/* Left out: the view it set is in center, scale and max_iter, as read, so a
		 * PNG re-runs without the file (and a job never holds both). */
		return cJSON_CreateNull();
	case FB_PARAM_LIST:
	case FB_PARAM_OPS: {
		const struct fb_op_list *list = (const void *)at;
		cJSON *ops = cJSON_CreateArray();

		for (size_t i = 0; ops && i < list->n; i++) {
			const struct fb_op_def *d = &p->ops[list->op[i].kind];
			cJSON *ps = params_object(d->params, d->n_params, list->op[i].params);
			cJSON *o = cJSON_CreateObject();

			/* "op" first, as people write it, then the op's params. */
			if (!ps || !o ||
			    (p->type == FB_PARAM_OPS && !cJSON_AddStringToObject(o, "op", d->name)) ||
			    !cJSON_AddItemToArray(ops, o)) {
				cJSON_Delete(ps);
				cJSON_Delete(o);
				cJSON_Delete(ops);
				return NULL;
			}
			while (ps->child) {
				cJSON *it = cJSON_DetachItemViaPointer(ps, ps->child);

				cJSON_AddItemToObject(o, it->string, it);
			}
			cJSON_Delete(ps);
		}
		return ops;
	}
	}
	return NULL;
}

/* Every param of a table, defaults spelled out, as a JSON object. Optional params left
 * out stay out (null would not load back). */
static cJSON *params_object(const struct fb_param *table, size_t n, const void *params)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; o && i < n; i++) {
		const struct fb_param *p = &table[i];
		cJSON *v = param_value(p, (const char *)params + p->offset,
				       p->decimal ? (const char *)params + p->text_offset : NULL);

		if (v && cJSON_IsNull(v)) {
			cJSON_Delete(v);
			continue;
		}
		if (!v || !cJSON_AddItemToObject(o, p->name, v)) {
			cJSON_Delete(v);
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

static cJSON *params_json(const struct fb_job *job)
{
	return params_object(job->kernel->params, job->kernel->n_params, job->params);
}

/* stored: the input as a PNG stores it (a re-run's as its PNG had it), else as opened. */
static cJSON *pixels_object(const struct fb_job *job, bool stored)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *params = params_json(job);
	const char *input = stored && job->input_stored ? job->input_stored : job->input;

	/* A filter's size is its input's: naming the input says it. */
	if (!o || !params || !cJSON_AddStringToObject(o, "kernel", job->kernel->name) ||
	    (input && !cJSON_AddStringToObject(o, "input", input)) ||
	    (!job->input && !job->kernel->size &&
	     (!cJSON_AddNumberToObject(o, "width", job->width) ||
	      !cJSON_AddNumberToObject(o, "height", job->height)))) {
		cJSON_Delete(o);
		cJSON_Delete(params);
		return NULL;
	}
	cJSON_AddItemToObject(o, "params", params);
	return o;
}

char *fb_job_pixels_json(const struct fb_job *job)
{
	cJSON *o = pixels_object(job, true);
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	return s;
}

void *fb_job_to_json(const struct fb_job *job)
{
	cJSON *o = pixels_object(job, false);
	cJSON *run, *outp;

	if (!o)
		return NULL;
	run = cJSON_AddObjectToObject(o, "run");
	outp = cJSON_AddObjectToObject(o, "output");
	if (!run || !outp) {
		cJSON_Delete(o);
		return NULL;
	}
	if (job->workers)
		cJSON_AddNumberToObject(run, "workers", job->workers);
	cJSON_AddStringToObject(run, "schedule", fb_schedule_name(job->schedule));
	if (job->chunk)
		cJSON_AddNumberToObject(run, "chunk", job->chunk);
	if (job->memory)
		cJSON_AddNumberToObject(run, "memory", (double)job->memory);
	if (job->png)
		cJSON_AddStringToObject(outp, "png", job->png);
	cJSON_AddNumberToObject(outp, "png_level", job->png_set.level);
	cJSON_AddStringToObject(outp, "png_filter", fb_png_filter_names[job->png_set.filter]);
	cJSON_AddStringToObject(outp, "png_deflate", fb_png_deflate_names[job->png_set.deflate]);
	if (job->raw)
		cJSON_AddStringToObject(outp, job->kernel->raw_output, job->raw);
	if (job->report)
		cJSON_AddStringToObject(outp, "report", job->report);
	if (job->frames_png) {
		cJSON *f = cJSON_AddObjectToObject(outp, "frames");

		if (f) {
			cJSON_AddNumberToObject(f, "every", job->frames_every);
			cJSON_AddStringToObject(f, "png", job->frames_png);
		}
	}
	return o;
}

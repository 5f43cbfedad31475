/* config_zoom.c: zoom sequences. A job with "zoom": {"frames": N, "to": SCALE, "png":
 * "zoom_%04d.png"} stands for N jobs, one a frame, whose scales run from the job's own
 * (params.scale, default 3) to SCALE, log-spaced, at the same center, each written to
 * the pattern's name for its frame number (0 to N - 1). The expansion is done on the
 * JSON, before any job is validated: the frames are then a batch like any other, whose
 * jobs keep, beside the JSON, where they came from (struct fb_job_origin: the user's
 * jobs[k], which sequence, which frame), so that messages name a frame as its user
 * sees it and the run shows a sequence as one. */
#include "runtime/compat.h"

#include "config_internal.h"

#include "pathset.h"
#include "runtime/error.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FRAMES 100000

/* A scale as JSON holds it (a number or a decimal string) in long double, or NAN. */
static long double scale_of(const cJSON *v)
{
	if (cJSON_IsNumber(v))
		return v->valuedouble;
	if (cJSON_IsString(v))
		return strtold(v->valuestring, NULL);
	return NAN;
}

/* Sets obj[key] to item (replacing it), obj[key] made an object first if need be. */
static cJSON *object_at(cJSON *obj, const char *key)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (cJSON_IsObject(o))
		return o;
	if (o)	/* not an object: validation reports it, on the frame's copy */
		return NULL;
	return cJSON_AddObjectToObject(obj, key);
}

/* The origins of the batch being made, one a job (config_internal.h). */
struct origins {
	struct fb_job_origin *o;
	size_t n, cap;
	unsigned seqs;		/* zoom sequences so far */
};

static int add_origin(struct origins *list, struct fb_job_origin o)
{
	if (list->n == list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 16;
		struct fb_job_origin *bigger = realloc(list->o, cap * sizeof(*bigger));

		if (!bigger)
			return fb_error("out of memory");
		list->o = bigger;
		list->cap = cap;
	}
	list->o[list->n++] = o;
	return 0;
}

/* The frames of one zoom job, appended to out (a JSON array) and their origins to
 * list; index is the job's place in the file's jobs (-1: the file is the job). where
 * names the job in messages ("deep.json", "deep.json: jobs[2]"). 0, or -1 after
 * reporting. */
static int expand_one(const char *where, long index, const cJSON *job, const cJSON *zoom,
		      cJSON *out, struct origins *list)
{
	static const char *const keys[] = { "frames", "to", "png" };
	const cJSON *frames = cJSON_GetObjectItemCaseSensitive(zoom, "frames");
	const cJSON *to = cJSON_GetObjectItemCaseSensitive(zoom, "to");
	const cJSON *png = cJSON_GetObjectItemCaseSensitive(zoom, "png");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(job, "params");
	const cJSON *from = cJSON_IsObject(params) ? cJSON_GetObjectItemCaseSensitive(params, "scale")
						  : NULL;
	const cJSON *output = cJSON_GetObjectItemCaseSensitive(job, "output");
	long double s0 = from ? scale_of(from) : 3.0L, s1 = scale_of(to), e0, e1;
	long n;

	if (!cJSON_IsObject(zoom))
		return fb_error("%s: zoom: expected {\"frames\": N, \"to\": SCALE, \"png\": "
				"PATTERN}, got %s", where, cfg_show(zoom));
	for (const cJSON *it = zoom->child; it; it = it->next) {
		bool known = false;

		for (size_t i = 0; i < FB_ARRAY_LEN(keys); i++)
			known |= strcmp(it->string, keys[i]) == 0;
		if (!known)
			return fb_error("%s: zoom.%s: unknown key (expected frames, to and png)", where,
					it->string);
	}
	if (!cJSON_IsNumber(frames) || frames->valuedouble != floor(frames->valuedouble) ||
	    frames->valuedouble < 2 || frames->valuedouble > MAX_FRAMES)
		return fb_error("%s: zoom.frames: expected a whole number of frames from 2 to %d, "
				"got %s", where, MAX_FRAMES, cfg_show(frames));
	n = (long)frames->valuedouble;
	if (!(s1 > 0) || !isfinite(s1))
		return fb_error("%s: zoom.to: expected the last frame's scale, a number or decimal "
				"string above 0, got %s", where, cfg_show(to));
	if (!(s0 > 0) || !isfinite(s0))
		return fb_error("%s: params.scale: expected the first frame's scale above 0, got %s",
				where, cfg_show(from));
	if (!cJSON_IsString(png) || fb_frame_conversion(png->valuestring) < 0 ||
	    !cfg_has_extension(png->valuestring, ".png"))
		return fb_error("%s: zoom.png: expected a file name with one %%d or %%04d for the "
				"frame number, ending in .png, such as \"zoom_%%04d.png\", got %s",
				where, cfg_show(png));
	/* Its frames would each hold the location and a scale, which cannot go together. */
	if (cJSON_IsObject(params) && cJSON_GetObjectItemCaseSensitive(params, "location"))
		return fb_error("%s: zoom: a zoom sequence runs from params.scale at "
				"params.center: give those instead of params.location", where);
	if (cJSON_IsObject(output) && (cJSON_GetObjectItemCaseSensitive(output, "png") ||
				       cJSON_GetObjectItemCaseSensitive(output, "iterations")))
		return fb_error("%s: output: a zoom writes its frames to zoom.png; leave "
				"output.png and output.iterations out", where);
	e0 = log10l(s0);
	e1 = log10l(s1);
	list->seqs++;
	for (long f = 0; f < n; f++) {
		cJSON *frame = cJSON_Duplicate(job, true), *p, *o, *scale;
		struct fb_job_origin origin = { .index = index, .seq = list->seqs,
						.frame = (uint32_t)f, .frames = (uint32_t)n };
		long double at;
		char text[64], name[4096];
		bool ok;

		if (!frame)
			return fb_error("out of memory");
		cJSON_DeleteItemFromObjectCaseSensitive(frame, "zoom");
		/* The ends as written; between them, log-spaced to long double's digits. */
		if (f == 0 && from) {
			scale = cJSON_Duplicate(from, true);
			at = s0;
		} else if (f == n - 1) {
			scale = cJSON_Duplicate(to, true);
			at = s1;
		} else {
			at = powl(10.0L, e0 + (e1 - e0) * (long double)f / (long double)(n - 1));
			snprintf(text, sizeof(text), "%.21Lg", at);
			scale = cJSON_CreateString(text);
		}
		snprintf(origin.scale, sizeof(origin.scale), "%.3Lg", at);
		fb_frame_path(png->valuestring, (uint64_t)f, name, sizeof(name));
		p = object_at(frame, "params");
		o = object_at(frame, "output");
		ok = scale != NULL;
		if (ok && p) {	/* p NULL: params is no object, which the frame's check says */
			ok = cJSON_HasObjectItem(p, "scale") ?
			     cJSON_ReplaceItemInObjectCaseSensitive(p, "scale", scale) :
			     cJSON_AddItemToObject(p, "scale", scale);
			if (!ok)
				cJSON_Delete(scale);
		} else {
			cJSON_Delete(scale);
		}
		if (!ok || (o && !cJSON_AddStringToObject(o, "png", name)) ||
		    !cJSON_AddItemToArray(out, frame)) {
			cJSON_Delete(frame);
			return fb_error("out of memory");
		}
		if (add_origin(list, origin) < 0)
			return -1;
	}
	return 0;
}

int cfg_expand_zoom(const char *source, cJSON **doc, struct fb_job_origin **origin)
{
	cJSON *jobs = cJSON_GetObjectItemCaseSensitive(*doc, "jobs"), *out, *batch;
	struct origins list = { 0 };
	bool any = false;
	long i = 0;

	*origin = NULL;
	if (cJSON_IsArray(jobs)) {
		for (const cJSON *it = jobs->child; it; it = it->next)
			any |= cJSON_IsObject(it) && cJSON_HasObjectItem(it, "zoom");
	} else {
		any = cJSON_HasObjectItem(*doc, "zoom");
	}
	if (!any)
		return 0;
	if (!(out = cJSON_CreateArray()))
		return fb_error("out of memory");
	if (cJSON_IsArray(jobs)) {
		for (const cJSON *it = jobs->child; it; it = it->next, i++) {
			const cJSON *zoom = cJSON_IsObject(it) ? cJSON_GetObjectItemCaseSensitive(it, "zoom")
							      : NULL;
			char where[512];
			int rc;

			snprintf(where, sizeof(where), "%s: jobs[%ld]", source, i);
			if (zoom)
				rc = expand_one(where, i, it, zoom, out, &list);
			else if (!cJSON_AddItemToArray(out, cJSON_Duplicate(it, true)))
				rc = fb_error("out of memory");
			else	/* a job as written, at its place in the file */
				rc = add_origin(&list, (struct fb_job_origin){ .index = i });
			if (rc < 0) {
				cJSON_Delete(out);
				free(list.o);
				return -1;
			}
		}
		cJSON_ReplaceItemInObjectCaseSensitive(*doc, "jobs", out);
		*origin = list.o;
		return 0;
	}
	if (expand_one(source, -1, *doc, cJSON_GetObjectItemCaseSensitive(*doc, "zoom"), out,
		       &list) < 0 ||
	    !(batch = cJSON_CreateObject())) {
		cJSON_Delete(out);
		free(list.o);
		return -1;
	}
	cJSON_AddItemToObject(batch, "jobs", out);
	cJSON_Delete(*doc);
	*doc = batch;
	*origin = list.o;
	return 0;
}

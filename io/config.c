/* config.c: read, merge, override and validate job files (see config.h). */
#include "runtime/compat.h"

#include "config_internal.h"

#include "kernels/matgen.h"
#include "npy.h"
#include "outfile.h"
#include "pathset.h"
#include "png_read.h"
#include "runtime/error.h"
#include "runtime/pool.h"
#include "runtime/shared_mem.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/sysinfo.h>
#endif
#include <unistd.h>

static const char *const job_keys[] = { "kernel", "input", "width", "height", "params", "run",
					 "output" };
static const char *const run_keys[] = { "workers", "schedule", "chunk", "memory" };

/* The keys of "output" for a kernel: names[7]; returns how many. */
static size_t output_keys(const struct fb_kernel *k, const char *names[7])
{
	static const char *const common[6] = { "png", "png_level", "png_filter", "png_deflate",
					       "report", "frames" };

	memcpy(names, common, sizeof(common));
	names[6] = k->raw_output;
	return k->raw_output ? 7 : 6;
}

/* The keys of every object of a job whose kernel is known, before any value is judged:
 * every unknown key is reported at once (config_internal.h). */
static void check_keys(const struct ctx *c, const cJSON *obj, const struct fb_kernel *k)
{
	static const char *const frames_keys[] = { "every", "png" };
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(obj, "run");
	const cJSON *out = cJSON_GetObjectItemCaseSensitive(obj, "output");
	const cJSON *frames = cJSON_GetObjectItemCaseSensitive(out, "frames");
	const char *names[7];

	if (cJSON_IsObject(run))
		cfg_check_object(c, run, "run", run_keys, FB_ARRAY_LEN(run_keys));
	if (cJSON_IsObject(out))
		cfg_check_object(c, out, "output", names, output_keys(k, names));
	if (k->frames && cJSON_IsObject(frames))
		cfg_check_object(c, frames, "output.frames", frames_keys, 2);
	cfg_check_param_keys(c, cJSON_GetObjectItemCaseSensitive(obj, "params"), k);
}

static int validate_output(const struct ctx *c, const cJSON *obj, struct fb_job *job)
{
	const char *names[7];
	size_t n = output_keys(job->kernel, names);
	char path[256];
	int64_t level = job->png_set.level;
	int filter = (int)job->png_set.filter, deflate = (int)job->png_set.deflate;

	if (cfg_check_object(c, obj, "output", names, n) < 0 ||
	    cfg_get_output(c, cJSON_GetObjectItemCaseSensitive(obj, "png"), "output.png", ".png",
			   &job->png) < 0 ||
	    cfg_get_choice(c, cJSON_GetObjectItemCaseSensitive(obj, "png_deflate"),
			   "output.png_deflate", fb_png_deflate_names, &deflate) < 0 ||
	    cfg_get_int(c, cJSON_GetObjectItemCaseSensitive(obj, "png_level"), "output.png_level", 0,
			fb_png_max_level(FB_PNG_DEFLATE_LIBDEFLATE), &level) < 0 ||
	    cfg_get_choice(c, cJSON_GetObjectItemCaseSensitive(obj, "png_filter"), "output.png_filter",
		       fb_png_filter_names, &filter) < 0 ||
	    cfg_get_path(c, cJSON_GetObjectItemCaseSensitive(obj, "report"), "output.report",
		     &job->report) < 0)
		return -1;
	/* libdeflate's levels 10-12 have no zlib counterpart. */
	if (level > fb_png_max_level((enum fb_png_deflate)deflate))
		return cfg_error(c, "output.png_level", "expected an integer from 0 to %d with "
				 "png_deflate %s, got %lld",
				 fb_png_max_level((enum fb_png_deflate)deflate),
				 fb_png_deflate_names[deflate], (long long)level);
	job->png_set.level = (int)level;
	job->png_set.filter = (enum fb_png_filter)filter;
	job->png_set.deflate = (enum fb_png_deflate)deflate;
	if (n == 7) {
		cfg_join(path, sizeof(path), "output", names[6]);
		/* The raw grid is a .npy file, whatever its key ("iterations", "npy"). */
		if (cfg_get_output(c, cJSON_GetObjectItemCaseSensitive(obj, names[6]), path, ".npy",
				   &job->raw) < 0)
			return -1;
	}
	if (cJSON_GetObjectItemCaseSensitive(obj, "frames") &&
	    cfg_get_frames(c, cJSON_GetObjectItemCaseSensitive(obj, "frames"), job) < 0)
		return -1;
	return 0;
}

/* Memory plus swap in bytes, or SIZE_MAX when unknown. */
static size_t memory_bytes(void)
{
#ifdef __linux__
	struct sysinfo si;
	size_t ram, swap, sum;

	if (sysinfo(&si) == 0 && fb_size_mul(si.totalram, si.mem_unit, &ram) &&
	    fb_size_mul(si.totalswap, si.mem_unit, &swap) && fb_size_add(ram, swap, &sum))
		return sum;
#endif
	return SIZE_MAX;
}

/* Creates the kernel's state and destroys it at once, so that a size whose buffers
 * cannot be mapped is a config error, found before the first job of a batch runs and
 * writes its outputs, not a failure halfway through the batch. Mapping pages that
 * nothing touches costs next to nothing. */
static int check_size(const struct ctx *c, struct fb_job *job)
{
	const char *field = job->height > job->width ? "height" : "width";
	struct fb_error_capture cap;
	void *state = NULL;
	size_t need, mem;
	int rc;

	fb_error_capture_begin(&cap);
	if (job->kernel->create_strips) {
		/* It streams: its smallest strip is what must fit (app/strips.h plans the
		 * strips from the budget before it runs). */
		struct fb_strip_shape one = { 1, 1, job->raw ? 1 : 0 };

		rc = job->kernel->create_strips(&state, job->params, job->width, job->height,
						job->kernel->input ? &job->input_image : NULL, &one);
	} else {
		rc = job->kernel->create(&state, job->params, job->width, job->height,
					 job->kernel->input ? &job->input_image : NULL);
	}
	fb_error_capture_end(&cap);
	if (rc < 0)
		return cfg_error(c, field, "expected a size whose buffers can be mapped, got %ux%u (%s)",
				 job->width, job->height, cap.msg);
	need = job->kernel->footprint(state);
	job->kernel->destroy(state);
	if (job->kernel->create_strips) {
		job->footprint = need;
		return 0;
	}
	/* The PNG encode holds the compressed image twice at most (the groups' output and
	 * the file), each no larger than 8-bit RGB pixels in practice. */
	if (job->png || job->frames_png) {
		size_t rgb;

		if (!fb_size_mul3(job->width, job->height, 6, &rgb) || !fb_size_add(need, rgb, &need))
			need = SIZE_MAX;
	}
	job->footprint = need;
	/* The kernel commits to mappings that are each accepted on their own, and where
	 * the system overcommits memory even 4 TB maps: a job whose buffers together
	 * exceed memory and swap could only end in the OOM killer, after a long wait. */
	mem = memory_bytes();
	if (need > mem)
		return cfg_error(c, field, "expected a size whose buffers fit in memory and swap "
				 "(%.1f GiB), got %ux%u, which needs %.1f GiB",
				 (double)mem / (1 << 30), job->width, job->height,
				 (double)need / (1 << 30));
	return 0;
}

/* The input image of a filtering kernel, its header only: its size is the job's. Its
 * pixels are decoded by decode_input(), once the job is known to fit. */
static int get_input(const struct ctx *c, const cJSON *obj, struct fb_job *job)
{
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(obj, "input");
	const struct fb_png_limits header = { .header_only = true };
	struct fb_error_capture cap;
	char note[PATH_MAX + 100];
	int rc;

	if (!in)
		return cfg_error(c, "input", "missing; %s filters the PNG file named here",
				 job->kernel->name);
	if (!cJSON_IsString(in) || !*in->valuestring || cfg_control_char(in->valuestring))
		return cfg_error(c, "input", "expected the path of a PNG file, got %s", cfg_show(in));
	for (const char *k = "width"; k; k = strcmp(k, "width") == 0 ? "height" : NULL)
		if (cJSON_GetObjectItemCaseSensitive(obj, k))
			return cfg_error(c, k, "the input image sets the size: leave %s out", k);
	if (cfg_input_path(c, "input", in->valuestring, &job->input) < 0)
		return -1;
	if (c->stored && strcmp(job->input, in->valuestring) != 0 &&
	    !(job->input_stored = strdup(in->valuestring)))
		return fb_error("out of memory");
	fb_error_capture_begin(&cap);
	rc = cfg_check_input(job->input);
	if (rc == 0)
		rc = fb_png_read_image(job->input, &header, &job->input_image);
	fb_error_capture_end(&cap);
	if (rc < 0) {
		cfg_input_note(c, in->valuestring, job->input, note, sizeof(note));
		return cfg_error(c, "input", "%s%s", cap.msg, note);
	}
	job->width = job->input_image.width;
	job->height = job->input_image.height;
	return 0;
}

/* Decodes the input image whose header get_input() read: now, so that a broken PNG
 * is a config error found before any job of a batch runs, but only once the whole job
 * is known to fit the memory the policy allows (a small file may claim a huge image). */
static int decode_input(const struct ctx *c, struct fb_job *job)
{
	struct fb_png_limits lim = { 0 };
	struct fb_error_capture cap;
	uint64_t t0;
	int rc;

	if (cfg_policy.input_budget && job->footprint > cfg_policy.input_budget) {
		char a[32], b[32];

		fb_format_size(a, sizeof(a), (double)job->footprint);
		fb_format_size(b, sizeof(b), (double)cfg_policy.input_budget);
		return cfg_error(c, "input", "'%s' is a %ux%u image: the job needs %s of memory; "
				 "%s is available (--force runs it anyway)", job->input,
				 job->width, job->height, a, b);
	}
	t0 = fb_now_ns();
	fb_error_capture_begin(&cap);
	rc = fb_png_read_image(job->input, &lim, &job->input_image);
	fb_error_capture_end(&cap);
	job->read_s = (double)(fb_now_ns() - t0) / 1e9;
	if (rc < 0)
		return cfg_error(c, "input", "%s", cap.msg);
	return 0;
}

/* run.memory: a size in bytes, as a number or as text with a unit ("512M", "2G"). */
static int get_memory(const struct ctx *c, const cJSON *v, struct fb_job *job)
{
	uint64_t bytes = 0;
	bool ok;

	if (!v)
		return 0;
	if (cJSON_IsNumber(v))
		ok = v->valuedouble >= 0 && v->valuedouble < 1.8e19 &&
		     v->valuedouble == (double)(uint64_t)v->valuedouble &&
		     ((bytes = (uint64_t)v->valuedouble), true);
	else
		ok = cJSON_IsString(v) && fb_parse_size(v->valuestring, &bytes) == 0;
	if (!ok || bytes < FB_MIN_MEMORY || bytes > FB_MAX_MEMORY)
		return cfg_error(c, "run.memory", "expected a size from 1M to 1P, such as 512M or "
				 "2G (a number is bytes), got %s", cfg_show(v));
	job->memory = bytes;
	return 0;
}

static int validate_job(const struct ctx *c, const cJSON *obj, struct fb_job *job)
{
	const cJSON *kernel = cJSON_GetObjectItemCaseSensitive(obj, "kernel");
	const cJSON *run, *v;
	int64_t x;

	if (cfg_check_object(c, obj, "", job_keys, FB_ARRAY_LEN(job_keys)) < 0)
		return -1;
	if (!cJSON_IsString(kernel) || !(job->kernel = fb_kernel_find(kernel->valuestring))) {
		char list[256] = "";
		const char *names[32];
		const char *hint = NULL;

		for (size_t i = 0; i < fb_kernel_count && i < FB_ARRAY_LEN(names); i++) {
			names[i] = fb_kernels[i]->name;
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", names[i]);
		}
		if (cJSON_IsString(kernel))
			hint = fb_suggest(kernel->valuestring, names, fb_kernel_count);
		if (hint)
			return cfg_error(c, "kernel", "expected one of %s, got %s (did you mean '%s'?)",
					 list, cfg_show(kernel), hint);
		return cfg_error(c, "kernel", "expected one of %s, got %s", list, cfg_show(kernel));
	}
	check_keys(c, obj, job->kernel);
	if (c->unknown && c->unknown->n > 0)
		return -1;

	if (job->kernel->input) {
		if (get_input(c, obj, job) < 0)
			return -1;
	} else if (job->kernel->size) {
		for (const char *k = "width"; k; k = strcmp(k, "width") == 0 ? "height" : NULL)
			if (cJSON_GetObjectItemCaseSensitive(obj, k))
				return cfg_error(c, k, "%s's params set the size: leave %s out",
						 job->kernel->name, k);
	} else {
		if (cJSON_GetObjectItemCaseSensitive(obj, "input") &&
		    cfg_unknown_key(c, "input", "unknown key: %s makes its image from nothing",
				    job->kernel->name) < 0)
			return -1;
		x = FB_DEFAULT_WIDTH;
		if (cfg_get_int(c, cJSON_GetObjectItemCaseSensitive(obj, "width"), "width", 1,
			    FB_MAX_DIMENSION, &x) < 0)
			return -1;
		job->width = (uint32_t)x;
		x = FB_DEFAULT_HEIGHT;
		if (cfg_get_int(c, cJSON_GetObjectItemCaseSensitive(obj, "height"), "height", 1,
			    FB_MAX_DIMENSION, &x) < 0)
			return -1;
		job->height = (uint32_t)x;
	}

	job->params = malloc(job->kernel->params_size);
	if (!job->params)
		return fb_error("out of memory");
	fb_kernel_defaults(job->kernel, job->params);
	if (cfg_validate_params(c, cJSON_GetObjectItemCaseSensitive(obj, "params"), job) < 0)
		return -1;
	if (job->kernel->size)
		job->kernel->size(job->params, &job->width, &job->height);

	job->schedule = FB_SCHED_DYNAMIC;
	job->png_set = (struct fb_png_settings)FB_PNG_DEFAULTS;
	run = cJSON_GetObjectItemCaseSensitive(obj, "run");
	if (run) {
		int s = (int)job->schedule;

		if (cfg_check_object(c, run, "run", run_keys, FB_ARRAY_LEN(run_keys)) < 0)
			return -1;
		v = cJSON_GetObjectItemCaseSensitive(run, "workers");
		x = 0;
		if (cfg_get_int(c, v, "run.workers", 1, FB_POOL_MAX_WORKERS, &x) < 0)
			return -1;
		job->workers = (unsigned)x;
		x = 0;
		if (cfg_get_int(c, cJSON_GetObjectItemCaseSensitive(run, "chunk"), "run.chunk", 1,
			    FB_MAX_CHUNK, &x) < 0)
			return -1;
		job->chunk = (uint32_t)x;
		if (cfg_get_choice(c, cJSON_GetObjectItemCaseSensitive(run, "schedule"), "run.schedule",
			       fb_schedule_names, &s) < 0)
			return -1;
		job->schedule = (enum fb_schedule)s;
		if (get_memory(c, cJSON_GetObjectItemCaseSensitive(run, "memory"), job) < 0)
			return -1;
	}
	v = cJSON_GetObjectItemCaseSensitive(obj, "output");
	if (v && validate_output(c, v, job) < 0)
		return -1;
	/* Every unknown key is reported by now: nothing of a job that holds one is used. */
	if (c->unknown && c->unknown->n > 0)
		return -1;
	if (check_size(c, job) < 0)
		return -1;
	/* A kernel that streams reads its input row by row as it runs (app/instream.h):
	 * here only the header. */
	return job->kernel->input && !job->kernel->create_strips ? decode_input(c, job) : 0;
}


static void job_free(struct fb_job *job)
{
	free(job->label);
	if (job->kernel)
		fb_params_free(job->kernel->params, job->kernel->n_params, job->params);
	free(job->params);
	free(job->input);
	free(job->input_stored);
	free(job->frames_png);
	fb_image_free(&job->input_image);
	free(job->png);
	free(job->raw);
	free(job->report);
}

void fb_job_release_data(struct fb_job *job)
{
	fb_image_free(&job->input_image);
	for (size_t i = 0; job->kernel && i < job->kernel->n_params; i++) {
		const struct fb_param *p = &job->kernel->params[i];
		struct fb_matsrc *m;

		if (p->type != FB_PARAM_MATSRC)
			continue;
		m = (void *)((char *)job->params + p->offset);
		free(m->data);
		m->data = NULL;
	}
}

void fb_batch_free(struct fb_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		job_free(&b->job[i]);
	free(b->job);
	fb_pathset_free(b->paths);
	b->job = NULL;
	b->n = 0;
	b->paths = NULL;
}

struct fb_config_policy cfg_policy;

void fb_config_set_policy(const struct fb_config_policy *p)
{
	cfg_policy = *p;
}

static int build_job(const struct ctx *c, const cJSON *defaults, const cJSON *job_obj,
		     struct fb_job *job)
{
	cJSON *merged = defaults ? cJSON_Duplicate(defaults, true) : cJSON_CreateObject();
	int rc = -1;

	if (!merged)
		return fb_error("out of memory");
	if (cfg_merge(merged, job_obj) < 0)
		goto out;
	for (size_t i = 0; i < c->n_ov; i++)
		if (cfg_apply_override(&c->ov[i], merged) < 0)
			goto out;
	rc = validate_job(c, merged, job);
out:
	cJSON_Delete(merged);
	return rc;
}

/* The folder that relative input paths of the jobs in file start from
 * (cfg_input_path()): file's, or NULL (the current directory) for a file in it, for no
 * file, and for one that is not a regular file (/dev/stdin, a pipe from <(...)), which
 * says nothing of where its paths point. malloc()ed; NULL also when out of memory,
 * which only keeps paths as written. */
static char *input_base(const char *file)
{
	struct stat st;
	char *copy, *dir;

	if (!file || stat(file, &st) < 0 || !S_ISREG(st.st_mode) || !strchr(file, '/'))
		return NULL;
	copy = strdup(file);
	dir = copy ? strdup(dirname(copy)) : NULL;
	free(copy);
	return dir;
}

/* file: the file the text came from (a config, or a PNG holding a job), NULL if none. */
static int parse(const char *source, const char *file, const char *text, size_t len,
		 const struct fb_override *ov, size_t n_ov, bool pixels_only, struct fb_batch *out)
{
	cJSON *doc;
	const cJSON *jobs, *defaults, *item;
	struct cfg_unknown unknown = { 0, false };
	char *base = input_base(file);
	struct ctx c = { .source = source, .origin = { .index = -1 }, .ov = ov, .n_ov = n_ov,
			 .unknown = &unknown, .base = base, .stored = pixels_only };
	struct fb_job_origin *origin = NULL;	/* the jobs' as written; NULL: no zoom */
	size_t n;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (cfg_parse_text(source, text, len, &doc) < 0)
		return -1;
	if (!cJSON_IsObject(doc)) {
		rc = fb_error("%s: expected a JSON object (a job, or {\"defaults\", \"jobs\"}), got %s",
			      source, cfg_show(doc));
		goto out;
	}
	if (pixels_only) {
		static const char *const pixel_keys[] = { "kernel", "input", "width", "height",
							   "params" };

		for (const cJSON *it = doc->child; it; it = it->next) {
			bool ok = false;

			for (size_t i = 0; i < FB_ARRAY_LEN(pixel_keys); i++)
				ok |= strcmp(it->string, pixel_keys[i]) == 0;
			if (!ok) {
				rc = fb_error("%s: %s: a stored job may hold only kernel, input, width, "
					      "height and params", source, it->string);
				goto out;
			}
		}
	}

	/* A zoom sequence is a batch of its frames. */
	if (!pixels_only && cfg_expand_zoom(source, &doc, &origin) < 0)
		goto out;
	/* Either key makes a batch: {"defaults": ..., "jbos": ...} is a misspelt batch,
	 * not a job with two unknown keys. */
	jobs = cJSON_GetObjectItemCaseSensitive(doc, "jobs");
	defaults = cJSON_GetObjectItemCaseSensitive(doc, "defaults");
	if (jobs || defaults) {
		for (const cJSON *it = doc->child; it; it = it->next)
			if (strcmp(it->string, "defaults") && strcmp(it->string, "jobs") &&
			    ++unknown.n <= CFG_MAX_UNKNOWN) {
				const char *hint = fb_suggest(it->string, cfg_batch_keys, 2);

				fb_error("%s: %s: unknown key in a batch (expected defaults and jobs)%s%s%s",
					 source, it->string, hint ? " (did you mean '" : "",
					 hint ? hint : "", hint ? "'?)" : "");
			}
		if (unknown.n > 0)
			goto out;
		if (defaults && !cJSON_IsObject(defaults)) {
			rc = fb_error("%s: defaults: expected an object, got %s", source, cfg_show(defaults));
			goto out;
		}
		if (!cJSON_IsArray(jobs) || cJSON_GetArraySize(jobs) == 0) {
			rc = fb_error("%s: jobs: expected a non-empty array of jobs, got %s", source,
				      cfg_show(jobs));
			goto out;
		}
	}
	n = jobs ? (size_t)cJSON_GetArraySize(jobs) : 1;
	for (size_t i = 0; i < n_ov; i++) {
		if (ov[i].single_job && n > 1) {
			/* Not "the config holds 60 jobs": its user wrote one, a zoom. */
			if (origin)
				rc = fb_error("%s: the config holds a zoom sequence, whose frames are "
					      "written to its zoom.png; leave %s out", ov[i].label,
					      ov[i].label);
			else
				rc = fb_error("%s: the config holds %zu jobs; give each its %s instead",
					      ov[i].label, n, ov[i].path);
			goto out;
		}
	}
	out->job = calloc(n, sizeof(*out->job));
	if (!out->job) {
		rc = fb_error("out of memory");
		goto out;
	}
	out->n = n;
	/* The jobs are walked as the list they are: cJSON_GetArrayItem() starts from the
	 * head each time, which made a 100,000-job batch quadratic. */
	item = jobs ? jobs->child : doc;
	for (size_t i = 0; i < out->n; i++, item = item->next) {
		struct fb_job *job = &out->job[i];
		const cJSON *obj = item;
		char *shown, name[96];
		size_t label_len;

		job->origin = origin ? origin[i] : (struct fb_job_origin){ .index = jobs ? (long)i : -1 };
		c.origin = job->origin;
		c.job = obj;
		c.defaults = defaults;
		cfg_job_name(&job->origin, name, sizeof(name));
		if (!cJSON_IsObject(obj)) {
			rc = fb_error("%s: %s: expected an object, got %s", source, name, cfg_show(obj));
			goto out;
		}
		shown = fb_escape_dup(source);	/* labels reach the terminal */
		label_len = shown ? strlen(shown) + strlen(name) + 3 : 0;
		job->label = shown ? malloc(label_len) : NULL;
		if (!job->label) {
			free(shown);
			rc = fb_error("out of memory");
			goto out;
		}
		snprintf(job->label, label_len, "%s%s%s", shown, *name ? ": " : "", name);
		free(shown);
		if (build_job(&c, defaults, obj, job) < 0)
			goto out;
	}
	rc = cfg_check_collisions(out, &c, file, doc, jobs);
out:
	if (unknown.n > CFG_MAX_UNKNOWN)
		fb_error("%s: and %u more unknown key%s", source, unknown.n - CFG_MAX_UNKNOWN,
			 unknown.n - CFG_MAX_UNKNOWN > 1 ? "s" : "");
	free(base);
	free(origin);
	cJSON_Delete(doc);
	if (rc < 0)
		fb_batch_free(out);
	return rc;
}

int fb_config_parse(const char *source, const char *text, size_t len,
		    const struct fb_override *ov, size_t n_ov, struct fb_batch *out)
{
	return parse(source, NULL, text, len, ov, n_ov, false, out);
}

int fb_config_parse_pixels(const char *png_path, const char *text, size_t len,
			   const struct fb_override *ov, size_t n_ov, struct fb_batch *out)
{
	char *source = malloc(strlen(png_path) + 32);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!source)
		return fb_error("out of memory");
	sprintf(source, "%s (forkband:config)", png_path);
	rc = parse(source, png_path, text, len, ov, n_ov, true, out);
	free(source);
	return rc;
}

int fb_config_load(const char *path, const struct fb_override *ov, size_t n_ov,
		   struct fb_batch *out)
{
	char *text = NULL;
	size_t len = 0, cap = 0;
	struct stat st;
	int fd, rc;

	/* "-": the config comes from standard input, named "stdin" in messages; it is no
	 * file that an output could replace. */
	bool in = strcmp(path, "-") == 0;
	const char *file = in ? NULL : path;

	memset(out, 0, sizeof(*out));
	if (in)
		path = "stdin";
	fd = in ? fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fb_error_errno("cannot open '%s'", path);
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		return fb_error("cannot read '%s': it is a folder, expected a JSON file", path);
	}
	for (;;) {
		ssize_t got;

		if (len == cap) {
			char *bigger;

			cap = cap ? cap * 2 : 4096;
			if (cap > MAX_CONFIG_BYTES + 1)
				cap = MAX_CONFIG_BYTES + 1;
			if (len == cap) {
				free(text);
				close(fd);
				return fb_error("%s: larger than %u MiB; is it a config file?", path,
						MAX_CONFIG_BYTES >> 20);
			}
			bigger = realloc(text, cap);
			if (!bigger) {
				free(text);
				close(fd);
				return fb_error("out of memory");
			}
			text = bigger;
		}
		got = read(fd, text + len, cap - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			fb_error_errno("cannot read '%s'", path);
			free(text);
			close(fd);
			return -1;
		}
		if (got == 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	/* A PNG arrives here only from a pipe (fb_is_png_file() sees regular files): its
	 * job is read back from a file, which can be read twice. */
	if (len >= 8 && memcmp(text, "\x89PNG\r\n\x1a\n", 8) == 0) {
		free(text);
		return fb_error("%s: a PNG, not a JSON config: to run the job a PNG holds again, "
				"give the PNG's path", path);
	}
	rc = parse(path, file, text ? text : "", len, ov, n_ov, false, out);
	free(text);
	return rc;
}

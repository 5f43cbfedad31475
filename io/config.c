/* config.c: read, merge, override and validate job files (see config.h). */
#include "runtime/compat.h"

#include "config.h"

#include "outfile.h"
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

/* Config files are small; a bigger "config" is almost certainly the wrong file. */
#define MAX_CONFIG_BYTES (16u << 20)

/* What an error message needs to say where a field came from. */
struct ctx {
	const char *source;		/* file name */
	int index;			/* job index in a batch, -1 for a single job */
	const cJSON *job;		/* the job as written in the file */
	const cJSON *defaults;		/* the batch's defaults, or NULL */
	const struct fb_override *ov;
	size_t n_ov;
};

static bool path_has_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '.');
}

/* The value at a dotted path inside obj, or NULL. */
static const cJSON *lookup(const cJSON *obj, const char *path)
{
	char key[256];

	while (obj && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key) || !cJSON_IsObject(obj))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		obj = cJSON_GetObjectItemCaseSensitive(obj, key);
		path += n + (path[n] == '.');
	}
	return obj;
}

/* Reports "<where>: <path>: <message>", naming the override, the job or the defaults
 * that the value at path came from. Returns -1. */
FB_PRINTF(3, 4) static int cfg_error(const struct ctx *c, const char *path, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	for (size_t i = c->n_ov; i-- > 0;) {
		if (path_has_prefix(path, c->ov[i].path)) {
			if (strcmp(path, c->ov[i].path) == 0)
				return fb_error("%s: %s", c->ov[i].label, msg);
			return fb_error("%s: %s: %s", c->ov[i].label, path, msg);
		}
		/* The override created the object the error is about (--set defaults.x=1
		 * made "defaults"): it is the override's doing too. */
		if (path_has_prefix(c->ov[i].path, path) && !lookup(c->job, path))
			return fb_error("%s: %s: %s", c->ov[i].label, path, msg);
	}
	if (c->index < 0)
		return fb_error("%s: %s: %s", c->source, path, msg);
	if (!lookup(c->job, path) && c->defaults && lookup(c->defaults, path))
		return fb_error("%s: defaults.%s: %s (in jobs[%d])", c->source, path, msg, c->index);
	return fb_error("%s: jobs[%d].%s: %s", c->source, c->index, path, msg);
}

/* True if v is or holds a number that is not finite: cJSON reads 1e999 as infinity,
 * and would print it as null. */
static bool has_nonfinite(const cJSON *v)
{
	if (cJSON_IsNumber(v))
		return !isfinite(v->valuedouble);
	if (!cJSON_IsArray(v) && !cJSON_IsObject(v))
		return false;
	for (const cJSON *it = v->child; it; it = it->next)
		if (has_nonfinite(it))
			return true;
	return false;
}

/* A short rendering of a JSON value for "got ..." (static buffer). */
static const char *show(const cJSON *v)
{
	static char buf[64];
	char *s;

	if (!v)
		return "nothing";
	if (has_nonfinite(v))
		return cJSON_IsNumber(v) ? "a number too large for a double" :
		       cJSON_IsArray(v) ? "an array holding a number too large for a double" :
		       "an object holding a number too large for a double";
	s = cJSON_PrintUnformatted(v);
	if (!s)
		return "a value";
	if (strlen(s) > 40)
		snprintf(buf, sizeof(buf), "%.37s...", s);
	else
		snprintf(buf, sizeof(buf), "%s", s);
	cJSON_free(s);
	return buf;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];

	if (la >= 63 || lb >= 63)
		return SIZE_MAX;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = j;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

/* The closest of names[0..n) to word, if close enough to be a likely typo. */
static const char *suggest(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;

	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, names[i]);

		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	return best && best_d <= 2 && best_d < strlen(word) ? best : NULL;
}

static void join(char *buf, size_t len, const char *prefix, const char *key)
{
	if (*prefix)
		snprintf(buf, len, "%s.%s", prefix, key);
	else
		snprintf(buf, len, "%s", key);
}

static const char *const batch_keys[] = { "defaults", "jobs" };

/* Checks that obj is an object with no keys outside names. */
static int check_object(const struct ctx *c, const cJSON *obj, const char *path,
			const char *const *names, size_t n)
{
	char sub[256];

	if (!cJSON_IsObject(obj))
		return cfg_error(c, path, "expected an object, got %s", show(obj));
	for (const cJSON *it = obj->child; it; it = it->next) {
		const char *hint;
		bool known = false;

		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(names[i], it->string) == 0;
		if (known)
			continue;
		join(sub, sizeof(sub), path, it->string);
		hint = suggest(it->string, names, n);
		/* A batch's keys cannot be set on a job (--set jobs=[] arrives here). */
		if (!*path && (strcmp(it->string, "jobs") == 0 || strcmp(it->string, "defaults") == 0))
			return cfg_error(c, sub, "unknown key in a job (%s belongs at the top of a "
				      "batch file)", it->string);
		/* The top level of a lone job may be a batch with a misspelt key ("defalts"). */
		if (!hint && !*path && c->index < 0)
			hint = suggest(it->string, batch_keys, FB_ARRAY_LEN(batch_keys));
		if (hint)
			return cfg_error(c, sub, "unknown key (did you mean '%s'?)", hint);
		return cfg_error(c, sub, "unknown key");
	}
	return 0;
}

/* Reads an integer field within [min, max]; leaves *out alone when absent. */
static int get_int(const struct ctx *c, const cJSON *v, const char *path, int64_t min,
		   int64_t max, int64_t *out)
{
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble != floor(v->valuedouble) || v->valuedouble < (double)min ||
	    v->valuedouble > (double)max)
		return cfg_error(c, path, "expected an integer from %lld to %lld, got %s",
				 (long long)min, (long long)max, show(v));
	*out = (int64_t)v->valuedouble;
	return 0;
}

static int get_choice(const struct ctx *c, const cJSON *v, const char *path,
		      const char *const *choices, int *out)
{
	char list[256] = "";
	size_t n = 0;
	const char *hint;

	if (!v)
		return 0;
	for (; choices[n]; n++) {
		if (cJSON_IsString(v) && strcmp(v->valuestring, choices[n]) == 0) {
			*out = (int)n;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 n ? ", " : "", choices[n]);
	}
	hint = cJSON_IsString(v) ? suggest(v->valuestring, choices, n) : NULL;
	if (hint)
		return cfg_error(c, path, "expected one of %s, got %s (did you mean '%s'?)", list,
				 show(v), hint);
	return cfg_error(c, path, "expected one of %s, got %s", list, show(v));
}

int fb_config_check_output(const char *path)
{
	size_t len = strlen(path);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	char *target, *copy, *dir;
	struct stat st, dst;
	bool exists;
	int rc = 0, err;

	if (len == 0)
		return fb_error("expected a file path, got an empty string");
	/* A newline in a name would also break every one-line message that quotes it. */
	for (const char *p = path; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return fb_error("expected a file path without control characters, got one "
					"with byte 0x%02x at offset %zu", (unsigned char)*p,
					(size_t)(p - path));
	/* "x/" names a folder even when there is none: dirname() would check ".", and the
	 * rename into place would fail only after the whole run. */
	if (path[len - 1] == '/')
		return fb_error("'%s' ends in '/', expected a file path", path);
	/* The output is written to ".<name>.XXXXXX" first: that name must fit too. */
	if (strlen(base) > NAME_MAX - 8)
		return fb_error("cannot write '%s': file name longer than %d bytes", path,
				NAME_MAX - 8);
	target = fb_output_target(path);
	if (!target)
		return -1;
	exists = stat(target, &st) == 0;
	if (exists && S_ISDIR(st.st_mode))
		rc = fb_error("'%s' is a folder, expected a file path", path);
	else if (exists && !S_ISREG(st.st_mode))
		rc = fb_error("'%s' is not a regular file: outputs are written whole and renamed "
			      "into place, which would replace it", path);
	copy = strdup(target);
	if (rc == 0 && !copy)
		rc = fb_error("out of memory");
	if (rc == 0) {
		dir = dirname(copy);
		err = stat(dir, &dst) < 0 ? errno : 0;
		if (err == ENOENT)
			rc = fb_error("cannot write '%s': folder '%s' does not exist", path, dir);
		else if (!err && !S_ISDIR(dst.st_mode))
			rc = fb_error("cannot write '%s': '%s' is not a folder", path, dir);
		else if (err || access(dir, W_OK | X_OK) < 0) {
			if (err)
				errno = err;
			rc = fb_error_errno("cannot write '%s'", path);
		} else if (exists && (dst.st_mode & S_ISVTX) && geteuid() != 0 &&
			   st.st_uid != geteuid() && dst.st_uid != geteuid()) {
			/* In /tmp and the like, only a file's owner may replace it: the final
			 * rename would fail after the whole run. */
			rc = fb_error("cannot replace '%s': another user owns it, in a folder where "
				      "only owners may replace files", path);
		}
	}
	free(copy);
	free(target);
	return rc;
}

/* An output path: a non-empty string naming a file in a writable folder. */
static int get_path(const struct ctx *c, const cJSON *v, const char *path, char **out)
{
	struct fb_error_capture cap;
	int rc;

	if (!v)
		return 0;
	if (!cJSON_IsString(v) || !*v->valuestring)
		return cfg_error(c, path, "expected a file path, got %s", show(v));
	fb_error_capture_begin(&cap);
	rc = fb_config_check_output(v->valuestring);
	fb_error_capture_end(&cap);
	if (rc < 0)
		return cfg_error(c, path, "%s", cap.msg);
	if (!(*out = strdup(v->valuestring)))
		return fb_error("out of memory");
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

		if (get_int(c, v, path, (int64_t)p->min, (int64_t)p->max, &x) < 0)
			return -1;
		memcpy(at, &x, sizeof(x));
		return 0;
	}
	case FB_PARAM_REAL: {
		double x = cJSON_IsNumber(v) ? v->valuedouble : NAN;

		if (!isfinite(x) || (p->min_open ? !(x > p->min) : !(x >= p->min)) || x > p->max) {
			if (isinf(p->max))
				return cfg_error(c, path, "expected a finite number %s %.15g, got %s",
						 p->min_open ? "greater than" : "of at least",
						 p->min, show(v));
			if (p->min_open)
				return cfg_error(c, path, "expected a number greater than %.15g and at "
						 "most %.15g, got %s", p->min, p->max, show(v));
			return cfg_error(c, path, "expected a number from %.15g to %.15g, got %s",
					 p->min, p->max, show(v));
		}
		memcpy(at, &x, sizeof(x));
		return 0;
	}
	case FB_PARAM_POINT: {
		double xy[2];

		if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2 ||
		    !cJSON_IsNumber(v->child) || !cJSON_IsNumber(v->child->next) ||
		    !isfinite(xy[0] = v->child->valuedouble) ||
		    !isfinite(xy[1] = v->child->next->valuedouble))
			return cfg_error(c, path, "expected [re, im], two finite numbers, got %s",
					 show(v));
		memcpy(at, xy, sizeof(xy));
		return 0;
	}
	case FB_PARAM_CHOICE: {
		int x;

		if (get_choice(c, v, path, p->choices, &x) < 0)
			return -1;
		memcpy(at, &x, sizeof(x));
		return 0;
	}
	}
	FB_BUG("parameter type %d", (int)p->type);
}

static const char *const job_keys[] = { "kernel", "width", "height", "params", "run", "output" };
static const char *const run_keys[] = { "workers", "schedule", "chunk" };

static int validate_params(const struct ctx *c, const cJSON *obj, struct fb_job *job)
{
	const struct fb_kernel *k = job->kernel;
	const char *names[64];
	char path[256], expected[256];
	const char *field = NULL;

	if (k->n_params > FB_ARRAY_LEN(names))
		FB_BUG("kernel %s has too many params", k->name);
	for (size_t i = 0; i < k->n_params; i++)
		names[i] = k->params[i].name;
	if (obj && check_object(c, obj, "params", names, k->n_params) < 0)
		return -1;
	for (size_t i = 0; i < k->n_params; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, k->params[i].name);

		join(path, sizeof(path), "params", k->params[i].name);
		if (!v && k->params[i].required)
			return cfg_error(c, path, "missing; %s needs it (%s)", k->name,
					 k->params[i].help);
		if (get_param(c, &k->params[i], v, path, job->params) < 0)
			return -1;
	}
	if (k->check && k->check(job->params, job->width, job->height, &field, expected,
				 sizeof(expected)) < 0) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);

		join(path, sizeof(path), "params", field);
		if (v)	/* else it was left at its default: nothing to show */
			return cfg_error(c, path, "expected %s, got %s", expected, show(v));
		return cfg_error(c, path, "expected %s", expected);
	}
	return 0;
}

static int validate_output(const struct ctx *c, const cJSON *obj, struct fb_job *job)
{
	const char *names[3] = { "png", "report", job->kernel->raw_output };
	size_t n = job->kernel->raw_output ? 3 : 2;
	char path[256];

	if (check_object(c, obj, "output", names, n) < 0 ||
	    get_path(c, cJSON_GetObjectItemCaseSensitive(obj, "png"), "output.png", &job->png) < 0 ||
	    get_path(c, cJSON_GetObjectItemCaseSensitive(obj, "report"), "output.report",
		     &job->report) < 0)
		return -1;
	if (n == 3) {
		join(path, sizeof(path), "output", names[2]);
		if (get_path(c, cJSON_GetObjectItemCaseSensitive(obj, names[2]), path, &job->raw) < 0)
			return -1;
	}
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
static int check_size(const struct ctx *c, const struct fb_job *job)
{
	const char *field = job->height > job->width ? "height" : "width";
	struct fb_error_capture cap;
	void *state = NULL;
	size_t need, mem;
	int rc;

	fb_error_capture_begin(&cap);
	rc = job->kernel->create(&state, job->params, job->width, job->height);
	fb_error_capture_end(&cap);
	if (rc < 0)
		return cfg_error(c, field, "expected a size whose buffers can be mapped, got %ux%u (%s)",
				 job->width, job->height, cap.msg);
	need = job->kernel->footprint(state);
	job->kernel->destroy(state);
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

static int validate_job(const struct ctx *c, const cJSON *obj, struct fb_job *job)
{
	const cJSON *kernel = cJSON_GetObjectItemCaseSensitive(obj, "kernel");
	const cJSON *run, *v;
	int64_t x;

	if (check_object(c, obj, "", job_keys, FB_ARRAY_LEN(job_keys)) < 0)
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
			hint = suggest(kernel->valuestring, names, fb_kernel_count);
		if (hint)
			return cfg_error(c, "kernel", "expected one of %s, got %s (did you mean '%s'?)",
					 list, show(kernel), hint);
		return cfg_error(c, "kernel", "expected one of %s, got %s", list, show(kernel));
	}

	x = FB_DEFAULT_WIDTH;
	if (get_int(c, cJSON_GetObjectItemCaseSensitive(obj, "width"), "width", 1,
		    FB_MAX_DIMENSION, &x) < 0)
		return -1;
	job->width = (uint32_t)x;
	x = FB_DEFAULT_HEIGHT;
	if (get_int(c, cJSON_GetObjectItemCaseSensitive(obj, "height"), "height", 1,
		    FB_MAX_DIMENSION, &x) < 0)
		return -1;
	job->height = (uint32_t)x;

	job->params = malloc(job->kernel->params_size);
	if (!job->params)
		return fb_error("out of memory");
	fb_kernel_defaults(job->kernel, job->params);
	if (validate_params(c, cJSON_GetObjectItemCaseSensitive(obj, "params"), job) < 0)
		return -1;

	job->schedule = FB_SCHED_DYNAMIC;
	run = cJSON_GetObjectItemCaseSensitive(obj, "run");
	if (run) {
		int s = (int)job->schedule;

		if (check_object(c, run, "run", run_keys, FB_ARRAY_LEN(run_keys)) < 0)
			return -1;
		v = cJSON_GetObjectItemCaseSensitive(run, "workers");
		x = 0;
		if (get_int(c, v, "run.workers", 1, FB_POOL_MAX_WORKERS, &x) < 0)
			return -1;
		job->workers = (unsigned)x;
		x = 0;
		if (get_int(c, cJSON_GetObjectItemCaseSensitive(run, "chunk"), "run.chunk", 1,
			    FB_MAX_CHUNK, &x) < 0)
			return -1;
		job->chunk = (uint32_t)x;
		if (get_choice(c, cJSON_GetObjectItemCaseSensitive(run, "schedule"), "run.schedule",
			       fb_schedule_names, &s) < 0)
			return -1;
		job->schedule = (enum fb_schedule)s;
	}
	v = cJSON_GetObjectItemCaseSensitive(obj, "output");
	if (v && validate_output(c, v, job) < 0)
		return -1;
	return check_size(c, job);
}

static int check_duplicates(const char *source, const cJSON *v, const char *path);

/* Sets the value at a dotted path, creating objects on the way. */
static int apply_override(const struct fb_override *o, cJSON *job)
{
	char key[256];
	const char *path = o->path;
	cJSON *obj = job, *value;

	/* The whole value must be JSON: "5x" is the string "5x", not 5 and some junk. */
	value = o->literal ? NULL : cJSON_ParseWithOpts(o->value, NULL, true);
	if (!value)	/* not JSON: take it as a string, so --set x=histogram works */
		value = cJSON_CreateString(o->value);
	if (!value)
		return fb_error("out of memory");
	if (check_duplicates(o->label, value, "") < 0) {
		cJSON_Delete(value);
		return -1;
	}
	for (;;) {
		size_t n = strcspn(path, ".");
		cJSON *next;

		if (n == 0 || n >= sizeof(key)) {
			cJSON_Delete(value);
			return fb_error("%s: expected a field path such as params.max_iter",
					o->label);
		}
		memcpy(key, path, n);
		key[n] = '\0';
		if (path[n] == '\0') {
			if (cJSON_GetObjectItemCaseSensitive(obj, key))
				cJSON_ReplaceItemInObjectCaseSensitive(obj, key, value);
			else
				cJSON_AddItemToObject(obj, key, value);
			return 0;
		}
		next = cJSON_GetObjectItemCaseSensitive(obj, key);
		if (!next) {
			next = cJSON_AddObjectToObject(obj, key);
		} else if (!cJSON_IsObject(next)) {
			cJSON_Delete(value);
			return fb_error("%s: cannot set a field inside '%s', which is %s, not an object",
					o->label, key, show(next));
		}
		obj = next;
		path += n + 1;
	}
}

/* Deep merge: keys of over replace those of base, objects merge recursively. */
static int merge(cJSON *base, const cJSON *over)
{
	for (const cJSON *it = over->child; it; it = it->next) {
		cJSON *old = cJSON_GetObjectItemCaseSensitive(base, it->string);
		cJSON *copy;

		if (old && cJSON_IsObject(old) && cJSON_IsObject(it)) {
			if (merge(old, it) < 0)
				return -1;
			continue;
		}
		copy = cJSON_Duplicate(it, true);
		if (!copy)
			return fb_error("out of memory");
		if (old)
			cJSON_ReplaceItemInObjectCaseSensitive(base, it->string, copy);
		else
			cJSON_AddItemToObject(base, it->string, copy);
	}
	return 0;
}

/* cJSON keeps both copies of a repeated key and lookups see the first, so a repeat
 * would silently lose a value: refuse it, anywhere in the file, before merging. */
static int check_duplicates(const char *source, const cJSON *v, const char *path)
{
	char sub[256];
	int i = 0;

	for (const cJSON *it = v->child; it; it = it->next, i++) {
		if (cJSON_IsObject(v)) {
			for (const cJSON *o = v->child; o != it; o = o->next)
				if (strcmp(o->string, it->string) == 0)
					return fb_error("%s: %s%s%s: duplicate key", source, path,
							*path ? "." : "", it->string);
			join(sub, sizeof(sub), path, it->string);
		} else {
			snprintf(sub, sizeof(sub), "%s[%d]", path, i);
		}
		if ((cJSON_IsObject(it) || cJSON_IsArray(it)) &&
		    check_duplicates(source, it, sub) < 0)
			return -1;
	}
	return 0;
}

/* cJSON reports running out of input at the last byte, where it cannot be told from an
 * error at that byte. Parse again with a byte appended that no JSON text may hold
 * there: if the parser now stops at that byte, the text merely ended too soon. */
static bool ends_too_soon(const char *text, size_t len)
{
	char *copy = malloc(len + 1);
	cJSON *doc;
	bool eof;

	if (!copy)
		return false;
	memcpy(copy, text, len);
	copy[len] = '\x01';
	doc = cJSON_ParseWithLengthOpts(copy, len + 1, NULL, false);
	eof = !doc && cJSON_GetErrorPtr() == copy + len;
	cJSON_Delete(doc);
	free(copy);
	return eof;
}

static int syntax_error(const char *source, const char *text, size_t len, const char *at)
{
	size_t line = 1, col = 1, n = 0;
	char near[16];

	if (!at || at < text || at > text + len)
		at = text + len;
	if (len > 0 && at == text + len - 1 && *at != '\0' && ends_too_soon(text, len))
		at = text + len;
	for (const char *p = text; p < at; p++) {
		if (*p == '\n') {
			line++;
			col = 1;
		} else if ((*p & 0xc0) != 0x80) {	/* a character, not inside one */
			col++;
		}
	}
	if (at == text + len)
		return fb_error("%s:%zu:%zu: invalid JSON: unexpected end of file", source, line, col);
	if (*at == '\0')
		return fb_error("%s:%zu:%zu: invalid JSON: a NUL byte", source, line, col);
	/* Quote the rest of the line, up to 12 bytes: the message must stay one line. */
	for (const char *p = at; p < text + len && n < 12 && *p != '\n' && *p != '\r'; p++)
		near[n++] = (unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p;
	near[n] = '\0';
	if (n == 0)
		return fb_error("%s:%zu:%zu: invalid JSON at the end of the line", source, line, col);
	return fb_error("%s:%zu:%zu: invalid JSON near '%s'", source, line, col, near);
}

/* Two outputs of the run must not be one file: the second would overwrite the first.
 * The later output is named as its field (so, in a batch, as the job or the defaults
 * that set it); jobs is the batch's array, or NULL for a lone job (doc). */
static int check_collisions(const struct fb_batch *b, const struct ctx *base,
			    const cJSON *doc, const cJSON *jobs)
{
	struct out {
		const char *path;
		size_t job;
		const char *key;	/* in "output" */
	} *all;
	size_t n = 0;
	int rc = 0;

	all = calloc(b->n * 3 + 1, sizeof(*all));
	if (!all)
		return fb_error("out of memory");
	for (size_t j = 0; j < b->n; j++) {
		const struct fb_job *job = &b->job[j];

		if (job->png)
			all[n++] = (struct out){ job->png, j, "png" };
		if (job->raw)
			all[n++] = (struct out){ job->raw, j, job->kernel->raw_output };
		if (job->report)
			all[n++] = (struct out){ job->report, j, "report" };
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		for (size_t k = 0; k < i; k++) {
			struct ctx c = *base;
			char field[256], first[300];

			if (!fb_same_file_path(all[i].path, all[k].path))
				continue;
			c.index = jobs ? (int)all[i].job : -1;
			c.job = jobs ? cJSON_GetArrayItem(jobs, (int)all[i].job) : doc;
			join(field, sizeof(field), "output", all[i].key);
			if (jobs)
				snprintf(first, sizeof(first), "jobs[%zu].output.%s", all[k].job,
					 all[k].key);
			else
				snprintf(first, sizeof(first), "output.%s", all[k].key);
			rc = cfg_error(&c, field, "'%s' is also written by %s", all[i].path, first);
			break;
		}
	}
	free(all);
	return rc;
}

bool fb_same_file_path(const char *a, const char *b)
{
	char *ca = strdup(a), *cb = strdup(b);
	char ra[PATH_MAX], rb[PATH_MAX];
	bool same;

	if (!ca || !cb) {
		free(ca);
		free(cb);
		return strcmp(a, b) == 0;
	}
	/* Compare the real folders plus the base names: "./x.png" is "x.png". */
	same = realpath(dirname(ca), ra) && realpath(dirname(cb), rb) && strcmp(ra, rb) == 0;
	free(ca);
	free(cb);
	if (!same)
		return false;
	ca = strdup(a);
	cb = strdup(b);
	same = ca && cb && strcmp(basename(ca), basename(cb)) == 0;
	free(ca);
	free(cb);
	return same;
}

static void job_free(struct fb_job *job)
{
	free(job->label);
	free(job->params);
	free(job->png);
	free(job->raw);
	free(job->report);
}

void fb_batch_free(struct fb_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		job_free(&b->job[i]);
	free(b->job);
	b->job = NULL;
	b->n = 0;
}

static int build_job(const struct ctx *c, const cJSON *defaults, const cJSON *job_obj,
		     struct fb_job *job)
{
	cJSON *merged = defaults ? cJSON_Duplicate(defaults, true) : cJSON_CreateObject();
	int rc = -1;

	if (!merged)
		return fb_error("out of memory");
	if (merge(merged, job_obj) < 0)
		goto out;
	for (size_t i = 0; i < c->n_ov; i++)
		if (apply_override(&c->ov[i], merged) < 0)
			goto out;
	rc = validate_job(c, merged, job);
out:
	cJSON_Delete(merged);
	return rc;
}

static int parse(const char *source, const char *text, size_t len,
		 const struct fb_override *ov, size_t n_ov, bool pixels_only, struct fb_batch *out)
{
	const char *end = NULL, *nul = memchr(text, '\0', len);
	cJSON *doc;
	const cJSON *jobs, *defaults;
	struct ctx c = { .source = source, .index = -1, .ov = ov, .n_ov = n_ov };
	size_t n;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	/* cJSON would end a string at a NUL byte and read on after it. */
	if (nul)
		return syntax_error(source, text, len, nul);
	doc = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!doc)
		return syntax_error(source, text, len, cJSON_GetErrorPtr());
	/* Anything after the value but white space is an error too. */
	while (end && end < text + len && memchr(" \t\r\n", *end, 4))
		end++;
	if (end && end < text + len) {
		cJSON_Delete(doc);
		return syntax_error(source, text, len, end);
	}
	if (!cJSON_IsObject(doc)) {
		rc = fb_error("%s: expected a JSON object (a job, or {\"defaults\", \"jobs\"}), got %s",
			      source, show(doc));
		goto out;
	}
	if (check_duplicates(source, doc, "") < 0)
		goto out;
	if (pixels_only) {
		static const char *const pixel_keys[] = { "kernel", "width", "height", "params" };

		for (const cJSON *it = doc->child; it; it = it->next) {
			bool ok = false;

			for (size_t i = 0; i < FB_ARRAY_LEN(pixel_keys); i++)
				ok |= strcmp(it->string, pixel_keys[i]) == 0;
			if (!ok) {
				rc = fb_error("%s: %s: a stored job may hold only kernel, width, height "
					      "and params", source, it->string);
				goto out;
			}
		}
	}

	/* Either key makes a batch: {"defaults": ..., "jbos": ...} is a misspelt batch,
	 * not a job with two unknown keys. */
	jobs = cJSON_GetObjectItemCaseSensitive(doc, "jobs");
	defaults = cJSON_GetObjectItemCaseSensitive(doc, "defaults");
	if (jobs || defaults) {
		for (const cJSON *it = doc->child; it; it = it->next)
			if (strcmp(it->string, "defaults") && strcmp(it->string, "jobs")) {
				const char *hint = suggest(it->string, batch_keys,
							   FB_ARRAY_LEN(batch_keys));

				rc = fb_error("%s: %s: unknown key in a batch (expected defaults and jobs)%s%s%s",
					      source, it->string, hint ? " (did you mean '" : "",
					      hint ? hint : "", hint ? "'?)" : "");
				goto out;
			}
		if (defaults && !cJSON_IsObject(defaults)) {
			rc = fb_error("%s: defaults: expected an object, got %s", source, show(defaults));
			goto out;
		}
		if (!cJSON_IsArray(jobs) || cJSON_GetArraySize(jobs) == 0) {
			rc = fb_error("%s: jobs: expected a non-empty array of jobs, got %s", source,
				      show(jobs));
			goto out;
		}
	}
	n = jobs ? (size_t)cJSON_GetArraySize(jobs) : 1;
	for (size_t i = 0; i < n_ov; i++) {
		if (ov[i].single_job && n > 1) {
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
	for (size_t i = 0; i < out->n; i++) {
		struct fb_job *job = &out->job[i];
		const cJSON *obj = jobs ? cJSON_GetArrayItem(jobs, (int)i) : doc;
		size_t label_len = strlen(source) + 32;

		c.index = jobs ? (int)i : -1;
		c.job = obj;
		c.defaults = defaults;
		if (!cJSON_IsObject(obj)) {
			rc = fb_error("%s: jobs[%zu]: expected an object, got %s", source, i, show(obj));
			goto out;
		}
		job->label = malloc(label_len);
		if (!job->label) {
			rc = fb_error("out of memory");
			goto out;
		}
		if (jobs)
			snprintf(job->label, label_len, "%s: jobs[%zu]", source, i);
		else
			snprintf(job->label, label_len, "%s", source);
		if (build_job(&c, defaults, obj, job) < 0)
			goto out;
	}
	rc = check_collisions(out, &c, doc, jobs);
out:
	cJSON_Delete(doc);
	if (rc < 0)
		fb_batch_free(out);
	return rc;
}

int fb_config_parse(const char *source, const char *text, size_t len,
		    const struct fb_override *ov, size_t n_ov, struct fb_batch *out)
{
	return parse(source, text, len, ov, n_ov, false, out);
}

int fb_config_parse_pixels(const char *source, const char *text, size_t len,
			   const struct fb_override *ov, size_t n_ov, struct fb_batch *out)
{
	return parse(source, text, len, ov, n_ov, true, out);
}

int fb_config_load(const char *path, const struct fb_override *ov, size_t n_ov,
		   struct fb_batch *out)
{
	char *text = NULL;
	size_t len = 0, cap = 0;
	struct stat st;
	int fd, rc;

	memset(out, 0, sizeof(*out));
	fd = open(path, O_RDONLY | O_CLOEXEC);
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
	rc = fb_config_parse(path, text ? text : "", len, ov, n_ov, out);
	free(text);
	return rc;
}

static cJSON *params_json(const struct fb_job *job)
{
	const struct fb_kernel *k = job->kernel;
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; o && i < k->n_params; i++) {
		const struct fb_param *p = &k->params[i];
		const char *at = (const char *)job->params + p->offset;
		cJSON *v = NULL;

		switch (p->type) {
		case FB_PARAM_INT: {
			int64_t x;

			memcpy(&x, at, sizeof(x));
			v = cJSON_CreateNumber((double)x);
			break;
		}
		case FB_PARAM_REAL: {
			double x;

			memcpy(&x, at, sizeof(x));
			v = cJSON_CreateNumber(x);
			break;
		}
		case FB_PARAM_POINT: {
			double xy[2];

			memcpy(xy, at, sizeof(xy));
			v = cJSON_CreateDoubleArray(xy, 2);
			break;
		}
		case FB_PARAM_CHOICE: {
			int x;

			memcpy(&x, at, sizeof(x));
			v = cJSON_CreateString(p->choices[x]);
			break;
		}
		}
		if (!v || !cJSON_AddItemToObject(o, p->name, v)) {
			cJSON_Delete(v);
			cJSON_Delete(o);
			return NULL;
		}
	}
	return o;
}

static cJSON *pixels_object(const struct fb_job *job)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *params = params_json(job);

	if (!o || !params || !cJSON_AddStringToObject(o, "kernel", job->kernel->name) ||
	    !cJSON_AddNumberToObject(o, "width", job->width) ||
	    !cJSON_AddNumberToObject(o, "height", job->height)) {
		cJSON_Delete(o);
		cJSON_Delete(params);
		return NULL;
	}
	cJSON_AddItemToObject(o, "params", params);
	return o;
}

char *fb_job_pixels_json(const struct fb_job *job)
{
	cJSON *o = pixels_object(job);
	char *s = o ? cJSON_PrintUnformatted(o) : NULL;

	cJSON_Delete(o);
	return s;
}

void *fb_job_to_json(const struct fb_job *job)
{
	cJSON *o = pixels_object(job);
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
	if (job->png)
		cJSON_AddStringToObject(outp, "png", job->png);
	if (job->raw)
		cJSON_AddStringToObject(outp, job->kernel->raw_output, job->raw);
	if (job->report)
		cJSON_AddStringToObject(outp, "report", job->report);
	return o;
}

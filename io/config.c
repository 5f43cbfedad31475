/* config.c: read, merge, override and validate job files (see config.h). */
#include "runtime/compat.h"

#include "config.h"

#include "matgen.h"
#include "npy.h"
#include "outfile.h"
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

/* Field paths for messages ("params.ops[2].sigma") are built in fixed buffers. gcc
 * cannot bound them through the recursion of nested params and warns; a path cut
 * short (only possible with absurd nesting) is harmless in a message. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wformat-truncation"
#endif

/* Config files are small; a bigger "config" is almost certainly the wrong file. */
#define MAX_CONFIG_BYTES (16u << 20)

/* Keys in one object: four times the most any object of a job may hold (a kernel's
 * params, 64), so that no valid file meets it. */
#define MAX_OBJECT_KEYS 256

/* What an error message needs to say where a field came from. */
struct ctx {
	const char *source;		/* file name */
	int index;			/* job index in a batch, -1 for a single job */
	const cJSON *job;		/* the job as written in the file */
	const cJSON *defaults;		/* the batch's defaults, or NULL */
	const struct fb_override *ov;
	size_t n_ov;
};

/* The first control character in s, or NULL. */
static const char *control_char(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return s;
	return NULL;
}

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

/* An odd-sized square matrix of finite numbers, [[...], [...], ...]. */
static int get_matrix(const struct ctx *c, const cJSON *v, const char *path,
		      struct fb_matrix *m)
{
	int n = cJSON_IsArray(v) ? cJSON_GetArraySize(v) : 0;
	unsigned k = 0;

	if (n < 1 || n > FB_MATRIX_MAX || n % 2 == 0)
		return cfg_error(c, path, "expected an odd-sized square matrix of numbers, 1x1 to "
				 "%dx%d, got %s", FB_MATRIX_MAX, FB_MATRIX_MAX, show(v));
	for (const cJSON *row = v->child; row; row = row->next) {
		if (!cJSON_IsArray(row) || cJSON_GetArraySize(row) != n)
			return cfg_error(c, path, "expected %d rows of %d numbers, got a row %s", n,
					 n, show(row));
		for (const cJSON *x = row->child; x; x = x->next) {
			if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
				return cfg_error(c, path, "expected finite numbers, got %s in a row",
						 show(x));
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
		return cfg_error(c, path, "expected a list of objects, got %s", show(v));
	if (!cJSON_IsArray(v))
		return cfg_error(c, path, "expected a list of operations such as "
				 "[{\"op\": \"%s\"}], got %s", names[0], show(v));
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
			return cfg_error(c, at, "expected an operation {\"op\": ...}, got %s", show(o));
		}
		join(opath, sizeof(opath), at, "op");
		if (p->type == FB_PARAM_LIST)
			kind = 0;	/* one kind of item, and no "op" key */
		else if (get_choice(c, cJSON_GetObjectItemCaseSensitive(o, "op"), opath, names, &kind) < 0 ||
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

/* Matrices read or generated for a job: at most this many bytes each. */
#define MAX_MATRIX_BYTES ((uint64_t)8 << 30)

/* A matrix operand: {"npy": path}, read now, or {"generate": kind, "rows": R, "cols": C,
 * "seed": S}, made now (io/matgen.h), so that the kernel gets numbers, not files. */
static int get_matsrc(const struct ctx *c, const cJSON *v, const char *path,
		      struct fb_matsrc *m)
{
	static const char *const npy_keys[] = { "npy" };
	static const char *const gen_keys[] = { "generate", "rows", "cols", "seed" };
	const cJSON *npy = cJSON_GetObjectItemCaseSensitive(v, "npy");
	char sub[256];
	int64_t rows = 0, cols = 0, seed = 0;
	int kind = -1;

	if (!cJSON_IsObject(v) || (!npy && !cJSON_GetObjectItemCaseSensitive(v, "generate")))
		return cfg_error(c, path, "expected {\"npy\": path} or {\"generate\": \"random\", "
				 "\"rows\": R, \"cols\": C}, got %s", show(v));
	if (npy) {
		struct fb_error_capture cap;
		struct fb_matrix_file f;
		int rc;

		join(sub, sizeof(sub), path, "npy");
		if (check_object(c, v, path, npy_keys, 1) < 0)
			return -1;
		if (!cJSON_IsString(npy) || !*npy->valuestring || control_char(npy->valuestring))
			return cfg_error(c, sub, "expected the path of a .npy file, got %s", show(npy));
		fb_error_capture_begin(&cap);
		rc = fb_npy_read_matrix(npy->valuestring, MAX_MATRIX_BYTES, &f);
		fb_error_capture_end(&cap);
		if (rc < 0)
			return cfg_error(c, sub, "%s", cap.msg);
		m->npy = strdup(npy->valuestring);
		if (!m->npy) {
			fb_matrix_file_free(&f);
			return fb_error("out of memory");
		}
		m->rows = f.rows;
		m->cols = f.cols;
		m->data = f.data;
		return 0;
	}
	if (check_object(c, v, path, gen_keys, FB_ARRAY_LEN(gen_keys)) < 0)
		return -1;
	join(sub, sizeof(sub), path, "generate");
	if (get_choice(c, cJSON_GetObjectItemCaseSensitive(v, "generate"), sub, fb_matgen_names,
		       &kind) < 0)
		return -1;
	for (int k = 0; k < 2; k++) {
		const char *key = k ? "cols" : "rows";
		const cJSON *x = cJSON_GetObjectItemCaseSensitive(v, key);

		join(sub, sizeof(sub), path, key);
		if (!x)
			return cfg_error(c, sub, "missing; a generated matrix needs rows and cols");
		if (get_int(c, x, sub, 1, FB_MAX_DIMENSION, k ? &cols : &rows) < 0)
			return -1;
	}
	join(sub, sizeof(sub), path, "seed");
	if (get_int(c, cJSON_GetObjectItemCaseSensitive(v, "seed"), sub, 0,
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
			return cfg_error(c, path, "expected [%s], two finite numbers, got %s",
					 p->def_text && p->optional ? "lo, hi" : "re, im", show(v));
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
	case FB_PARAM_MATRIX:
		return get_matrix(c, v, path, (struct fb_matrix *)(void *)at);
	case FB_PARAM_OPS:
		return get_ops(c, p, v, path, (struct fb_op_list *)(void *)at);
	case FB_PARAM_MATSRC:
		return get_matsrc(c, v, path, (struct fb_matsrc *)(void *)at);
	case FB_PARAM_OBJECT:
		if (!cJSON_IsObject(v))
			return cfg_error(c, path, "expected an object, got %s", show(v));
		return get_params(c, v, path, p->name, p->ops->params, p->ops->n_params, NULL, at);
	case FB_PARAM_LIST:
		return get_ops(c, p, v, path, (struct fb_op_list *)(void *)at);
	}
	FB_BUG("parameter type %d", (int)p->type);
}

static const char *const job_keys[] = { "kernel", "input", "width", "height", "params", "run",
					 "output" };
static const char *const run_keys[] = { "workers", "schedule", "chunk" };

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
	if (obj && check_object(c, obj, prefix, names, k) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, table[i].name);

		join(path, sizeof(path), prefix, table[i].name);
		if (!v && table[i].required)
			return cfg_error(c, path, "missing; %s needs it (%s)", owner, table[i].help);
		if (get_param(c, &table[i], v, path, params) < 0)
			return -1;
	}
	return 0;
}

static int validate_params(const struct ctx *c, const cJSON *obj, struct fb_job *job)
{
	const struct fb_kernel *k = job->kernel;
	char path[256], expected[256];
	const char *field = NULL;

	if (get_params(c, obj, "params", k->name, k->params, k->n_params, NULL, job->params) < 0)
		return -1;
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

/* A frame file name pattern: one %d or %0Nd (N 1-9) for the frame's step, %% for a
 * percent sign, nothing else after a %. Returns the index of the conversion or -1. */
static long frame_conversion(const char *pat)
{
	long at = -1;

	for (const char *p = pat; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '%') {
			p++;
			continue;
		}
		if (at >= 0)
			return -1;
		at = p - pat;
		if (p[1] == '0' && p[2] >= '1' && p[2] <= '9' && p[3] == 'd')
			p += 3;
		else if (p[1] == 'd')
			p += 1;
		else
			return -1;
	}
	return at;
}

/* output.frames: {"every": K, "png": "out/heat_%05d.png"}, for kernels that step. */
static int get_frames(const struct ctx *c, const cJSON *v, struct fb_job *job)
{
	static const char *const keys[] = { "every", "png" };
	const cJSON *png = cJSON_GetObjectItemCaseSensitive(v, "png");
	char first[4096];
	int64_t every = 0;

	if (!job->kernel->frames)
		return cfg_error(c, "output.frames", "unknown key: %s takes no steps to film",
				 job->kernel->name);
	if (check_object(c, v, "output.frames", keys, 2) < 0 ||
	    get_int(c, cJSON_GetObjectItemCaseSensitive(v, "every"), "output.frames.every", 1,
		    1000000000, &every) < 0)
		return -1;
	if (!every)
		return cfg_error(c, "output.frames.every", "missing; expected steps between frames");
	if (!cJSON_IsString(png) || frame_conversion(png->valuestring) < 0)
		return cfg_error(c, "output.frames.png", "expected a file name with one %%d or "
				 "%%05d for the step, such as \"out/heat_%%05d.png\", got %s", show(png));
	job->frames_every = (uint32_t)every;
	job->frames_png = strdup(png->valuestring);
	if (!job->frames_png)
		return fb_error("out of memory");
	/* Every frame lands in the same folder: check it with the first name. */
	fb_frame_path(job->frames_png, 0, first, sizeof(first));
	{
		struct fb_error_capture cap;
		int rc;

		fb_error_capture_begin(&cap);
		rc = fb_config_check_output(first);
		fb_error_capture_end(&cap);
		if (rc < 0)
			return cfg_error(c, "output.frames.png", "%s", cap.msg);
	}
	return 0;
}

void fb_frame_path(const char *pattern, uint64_t step, char *out, size_t len)
{
	long at = frame_conversion(pattern);
	int width = pattern[at + 1] == '0' ? pattern[at + 2] - '0' : 0;
	size_t n = 0;

	/* Built by hand rather than by printf with the user's pattern as the format. */
	for (const char *p = pattern; *p && n + 1 < len; p++) {
		if (p - pattern == at) {
			n += (size_t)snprintf(out + n, len - n, "%0*llu", width, (unsigned long long)step);
			p += width ? 3 : 1;
		} else {
			out[n++] = *p;
			if (*p == '%')
				p++;	/* %% */
		}
		if (n >= len)
			n = len - 1;
	}
	out[n] = '\0';
}

static int validate_output(const struct ctx *c, const cJSON *obj, struct fb_job *job)
{
	const char *names[6] = { "png", "png_level", "png_filter", "report", "frames",
				 job->kernel->raw_output };
	size_t n = job->kernel->raw_output ? 6 : 5;
	char path[256];
	int64_t level = job->png_set.level;
	int filter = (int)job->png_set.filter;

	if (check_object(c, obj, "output", names, n) < 0 ||
	    get_path(c, cJSON_GetObjectItemCaseSensitive(obj, "png"), "output.png", &job->png) < 0 ||
	    get_int(c, cJSON_GetObjectItemCaseSensitive(obj, "png_level"), "output.png_level", 0,
		    9, &level) < 0 ||
	    get_choice(c, cJSON_GetObjectItemCaseSensitive(obj, "png_filter"), "output.png_filter",
		       fb_png_filter_names, &filter) < 0 ||
	    get_path(c, cJSON_GetObjectItemCaseSensitive(obj, "report"), "output.report",
		     &job->report) < 0)
		return -1;
	job->png_set.level = (int)level;
	job->png_set.filter = (enum fb_png_filter)filter;
	if (n == 6) {
		join(path, sizeof(path), "output", names[5]);
		if (get_path(c, cJSON_GetObjectItemCaseSensitive(obj, names[5]), path, &job->raw) < 0)
			return -1;
	}
	if (cJSON_GetObjectItemCaseSensitive(obj, "frames") &&
	    get_frames(c, cJSON_GetObjectItemCaseSensitive(obj, "frames"), job) < 0)
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
	rc = job->kernel->create(&state, job->params, job->width, job->height,
				 job->kernel->input ? &job->input_image : NULL);
	fb_error_capture_end(&cap);
	if (rc < 0)
		return cfg_error(c, field, "expected a size whose buffers can be mapped, got %ux%u (%s)",
				 job->width, job->height, cap.msg);
	need = job->kernel->footprint(state);
	job->kernel->destroy(state);
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

/* The input image of a filtering kernel: decoded now, so that a broken PNG is a config
 * error found before any job of a batch runs; its size is the job's. */
static int get_input(const struct ctx *c, const cJSON *obj, struct fb_job *job)
{
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(obj, "input");
	struct fb_error_capture cap;
	int rc;

	if (!in)
		return cfg_error(c, "input", "missing; %s filters the PNG file named here",
				 job->kernel->name);
	if (!cJSON_IsString(in) || !*in->valuestring || control_char(in->valuestring))
		return cfg_error(c, "input", "expected the path of a PNG file, got %s", show(in));
	for (const char *k = "width"; k; k = strcmp(k, "width") == 0 ? "height" : NULL)
		if (cJSON_GetObjectItemCaseSensitive(obj, k))
			return cfg_error(c, k, "the input image sets the size: leave %s out", k);
	fb_error_capture_begin(&cap);
	rc = fb_png_read_image(in->valuestring, NULL, &job->input_image);
	fb_error_capture_end(&cap);
	if (rc < 0)
		return cfg_error(c, "input", "%s", cap.msg);
	job->input = strdup(in->valuestring);
	if (!job->input)
		return fb_error("out of memory");
	job->width = job->input_image.width;
	job->height = job->input_image.height;
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

	if (job->kernel->input) {
		if (get_input(c, obj, job) < 0)
			return -1;
	} else if (job->kernel->size) {
		for (const char *k = "width"; k; k = strcmp(k, "width") == 0 ? "height" : NULL)
			if (cJSON_GetObjectItemCaseSensitive(obj, k))
				return cfg_error(c, k, "%s's params set the size: leave %s out",
						 job->kernel->name, k);
	} else {
		if (cJSON_GetObjectItemCaseSensitive(obj, "input"))
			return cfg_error(c, "input", "unknown key: %s makes its image from nothing",
					 job->kernel->name);
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
	}

	job->params = malloc(job->kernel->params_size);
	if (!job->params)
		return fb_error("out of memory");
	fb_kernel_defaults(job->kernel, job->params);
	if (validate_params(c, cJSON_GetObjectItemCaseSensitive(obj, "params"), job) < 0)
		return -1;
	if (job->kernel->size)
		job->kernel->size(job->params, &job->width, &job->height);

	job->schedule = FB_SCHED_DYNAMIC;
	job->png_set = (struct fb_png_settings){ FB_PNG_DEFAULT_LEVEL, FB_PNG_DEFAULT_FILTER };
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

	/* The check below and merge() are quadratic in an object's keys: a 2 MB file of
	 * distinct keys kept them busy for over ten minutes. No object of a job has more
	 * than 64. */
	if (cJSON_IsObject(v) && cJSON_GetArraySize(v) > MAX_OBJECT_KEYS)
		return fb_error("%s: %s%sexpected an object of at most %d keys, got %d", source,
				path, *path ? ": " : "", MAX_OBJECT_KEYS, cJSON_GetArraySize(v));
	for (const cJSON *it = v->child; it; it = it->next, i++) {
		if (cJSON_IsObject(v)) {
			const char *bad = control_char(it->string);

			/* Messages quote keys as they are: a newline would break the line. */
			if (bad)
				return fb_error("%s: %s%sexpected field names without control "
						"characters, got a key with byte 0x%02x", source, path,
						*path ? ": " : "", (unsigned char)*bad);
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
	/* Inputs are read while the config is checked, before any job runs: a job cannot
	 * read what another job of the batch writes (it would get the old file). Its own
	 * output may be its input: filtering in place. */
	for (size_t j = 0; j < b->n && rc == 0 && jobs; j++) {
		for (size_t i = 0; i < n && b->job[j].input; i++) {
			struct ctx c = *base;

			if (all[i].job == j || !fb_same_file_path(b->job[j].input, all[i].path))
				continue;
			c.index = (int)j;
			c.job = cJSON_GetArrayItem(jobs, (int)j);
			rc = cfg_error(&c, "input", "'%s' is written by jobs[%zu].output.%s, but inputs "
				       "are read before any job runs: run them as two batches",
				       b->job[j].input, all[i].job, all[i].key);
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
	if (job->kernel)
		fb_params_free(job->kernel->params, job->kernel->n_params, job->params);
	free(job->params);
	free(job->input);
	free(job->frames_png);
	fb_image_free(&job->input_image);
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

static cJSON *params_object(const struct fb_param *table, size_t n, const void *params);

static cJSON *param_value(const struct fb_param *p, const char *at)
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
		return isnan(x) ? cJSON_CreateNull() : cJSON_CreateNumber(x);
	}
	case FB_PARAM_POINT: {
		double xy[2];

		memcpy(xy, at, sizeof(xy));
		return isnan(xy[0]) ? cJSON_CreateNull() : cJSON_CreateDoubleArray(xy, 2);
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
		cJSON *v = param_value(p, (const char *)params + p->offset);

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

static cJSON *pixels_object(const struct fb_job *job)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *params = params_json(job);

	/* A filter's size is its input's: naming the input says it. */
	if (!o || !params || !cJSON_AddStringToObject(o, "kernel", job->kernel->name) ||
	    (job->input && !cJSON_AddStringToObject(o, "input", job->input)) ||
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
	cJSON_AddNumberToObject(outp, "png_level", job->png_set.level);
	cJSON_AddStringToObject(outp, "png_filter", fb_png_filter_names[job->png_set.filter]);
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

/* config_fields.c: the checks every config field goes through: where a field came from
 * (cfg_error), how a value is shown, unknown keys with a did-you-mean, integers and
 * choices. */
#include "runtime/compat.h"

#include "config_internal.h"

#include "runtime/error.h"

#include <cJSON.h>
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first control character in s, or NULL. */
const char *cfg_control_char(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return s;
	return NULL;
}

static bool path_has_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(path, prefix, n) == 0 &&
	       (path[n] == '\0' || path[n] == '.' || path[n] == '[');
}

bool cfg_from_override(const struct ctx *c, const char *path)
{
	for (size_t i = 0; i < c->n_ov; i++)
		if (path_has_prefix(path, c->ov[i].path))
			return true;
	return false;
}

/* The value at a path of keys and list indexes ("params.ops[1].sigma") inside obj, or
 * NULL. */
static const cJSON *lookup(const cJSON *obj, const char *path)
{
	char key[256];

	while (obj && *path) {
		size_t n = strcspn(path, ".[");

		if (*path == '[') {
			char *end;
			unsigned long i = strtoul(path + 1, &end, 10);

			if (!cJSON_IsArray(obj) || *end != ']' || i > INT_MAX)
				return NULL;
			obj = cJSON_GetArrayItem(obj, (int)i);
			path = end + 1;
		} else {
			if (n >= sizeof(key) || !cJSON_IsObject(obj))
				return NULL;
			memcpy(key, path, n);
			key[n] = '\0';
			obj = cJSON_GetObjectItemCaseSensitive(obj, key);
			path += n;
		}
		path += *path == '.';
	}
	return obj;
}

void cfg_job_name(const struct fb_job_origin *o, char *buf, size_t len)
{
	if (o->seq && o->index >= 0)
		snprintf(buf, len, "jobs[%ld] (zoom frame %" PRIu32 ", scale %s)", o->index,
			 o->frame, o->scale);
	else if (o->seq)
		snprintf(buf, len, "zoom frame %" PRIu32 " (scale %s)", o->frame, o->scale);
	else if (o->index >= 0)
		snprintf(buf, len, "jobs[%ld]", o->index);
	else if (len > 0)
		buf[0] = '\0';
}

/* A frame's field as its user wrote it: its output.png is the zoom's png pattern. */
static const char *frame_field(const struct fb_job_origin *o, const char *field)
{
	return o->seq && strcmp(field, "output.png") == 0 ? "zoom.png" : field;
}

void cfg_field_name(const struct fb_job_origin *o, const char *field, char *buf, size_t len)
{
	char name[96];

	cfg_job_name(o, name, sizeof(name));
	if (o->seq)
		snprintf(buf, len, "%s of %s", frame_field(o, field), name);
	else if (*name)
		snprintf(buf, len, "%s.%s", name, field);
	else
		snprintf(buf, len, "%s", field);
}

FB_PRINTF(3, 4) int cfg_error(const struct ctx *c, const char *path, const char *fmt, ...)
{
	char msg[768], name[96];
	bool from_defaults;
	va_list ap;

	/* After an unknown key, only other unknown keys are worth a line (config_internal.h). */
	if (c->unknown && c->unknown->n > 0 && !c->unknown->reporting)
		return -1;
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
	cfg_job_name(&c->origin, name, sizeof(name));
	if (!*name)
		return fb_error("%s: %s: %s", c->source, path, msg);
	from_defaults = !lookup(c->job, path) && c->defaults && lookup(c->defaults, path);
	/* A frame is named first: a name of its own in brackets reads badly after a field. */
	if (c->origin.seq)
		return fb_error("%s: %s: %s%s: %s", c->source, name, from_defaults ? "defaults." : "",
				from_defaults ? path : frame_field(&c->origin, path), msg);
	if (from_defaults)
		return fb_error("%s: defaults.%s: %s (in %s)", c->source, path, msg, name);
	return fb_error("%s: %s.%s: %s", c->source, name, path, msg);
}

FB_PRINTF(3, 4) int cfg_unknown_key(const struct ctx *c, const char *path, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!c->unknown)
		return cfg_error(c, path, "%s", msg);
	if (++c->unknown->n <= CFG_MAX_UNKNOWN) {
		c->unknown->reporting = true;
		cfg_error(c, path, "%s", msg);
		c->unknown->reporting = false;
	}
	return 0;
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
const char *cfg_show(const cJSON *v)
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

/* Levenshtein distance, blind to ASCII case: "BLAS" is 'blas' typed with caps lock,
 * not four typos away from it. */
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
			size_t sub = prev[j - 1] + (tolower((unsigned char)a[i - 1]) !=
						    tolower((unsigned char)b[j - 1]));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof(size_t));
	}
	return prev[lb];
}

/* The closest of names[0..n) to word, if close enough to be a likely typo. */
const char *fb_suggest(const char *word, const char *const *names, size_t n)
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
	/* The word itself (a name valid elsewhere, such as "version") is no suggestion. */
	return best && strcmp(best, word) != 0 && best_d <= 2 && best_d < strlen(word) ? best :
										    NULL;
}

void cfg_join(char *buf, size_t len, const char *prefix, const char *key)
{
	if (*prefix)
		snprintf(buf, len, "%s.%s", prefix, key);
	else
		snprintf(buf, len, "%s", key);
}

const char *const cfg_batch_keys[2] = { "defaults", "jobs" };

/* Checks that obj is an object with no keys outside names. */
int cfg_check_object(const struct ctx *c, const cJSON *obj, const char *path,
			const char *const *names, size_t n)
{
	char sub[256];
	int rc;

	if (!cJSON_IsObject(obj))
		return cfg_error(c, path, "expected an object, got %s", cfg_show(obj));
	for (const cJSON *it = obj->child; it; it = it->next) {
		const char *hint;
		bool known = false;

		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(names[i], it->string) == 0;
		if (known)
			continue;
		cfg_join(sub, sizeof(sub), path, it->string);
		hint = fb_suggest(it->string, names, n);
		/* A batch's keys cannot be set on a job (--set jobs=[] arrives here). */
		if (!*path && (strcmp(it->string, "jobs") == 0 || strcmp(it->string, "defaults") == 0))
			rc = cfg_unknown_key(c, sub, "unknown key in a job (%s belongs at the top of "
					     "a batch file)", it->string);
		else if (hint || (!*path && c->origin.index < 0 &&
				  /* A lone job's top may be a misspelt batch ("defalts"). */
				  (hint = fb_suggest(it->string, cfg_batch_keys, 2))))
			rc = cfg_unknown_key(c, sub, "unknown key (did you mean '%s'?)", hint);
		else
			rc = cfg_unknown_key(c, sub, "unknown key");
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Reads an integer field within [min, max]; leaves *out alone when absent. */
int cfg_get_int(const struct ctx *c, const cJSON *v, const char *path, int64_t min,
		   int64_t max, int64_t *out)
{
	if (!v)
		return 0;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble != floor(v->valuedouble) || v->valuedouble < (double)min ||
	    v->valuedouble > (double)max)
		return cfg_error(c, path, "expected an integer from %lld to %lld, got %s",
				 (long long)min, (long long)max, cfg_show(v));
	*out = (int64_t)v->valuedouble;
	return 0;
}

int cfg_get_choice(const struct ctx *c, const cJSON *v, const char *path,
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
	hint = cJSON_IsString(v) ? fb_suggest(v->valuestring, choices, n) : NULL;
	if (hint)
		return cfg_error(c, path, "expected one of %s, got %s (did you mean '%s'?)", list,
				 cfg_show(v), hint);
	return cfg_error(c, path, "expected one of %s, got %s", list, cfg_show(v));
}


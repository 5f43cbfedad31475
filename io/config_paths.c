/* config_paths.c: every path a run reads or writes: output checks, frame name
 * patterns, and the collisions between outputs and inputs. */
#include "runtime/compat.h"

#include "config_internal.h"

#include "outfile.h"
#include "runtime/error.h"

#include <cJSON.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
int cfg_get_path(const struct ctx *c, const cJSON *v, const char *path, char **out)
{
	struct fb_error_capture cap;
	int rc;

	if (!v)
		return 0;
	if (!cJSON_IsString(v) || !*v->valuestring)
		return cfg_error(c, path, "expected a file path, got %s", cfg_show(v));
	fb_error_capture_begin(&cap);
	rc = fb_config_check_output(v->valuestring);
	fb_error_capture_end(&cap);
	if (rc < 0)
		return cfg_error(c, path, "%s", cap.msg);
	if (!(*out = strdup(v->valuestring)))
		return fb_error("out of memory");
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
int cfg_get_frames(const struct ctx *c, const cJSON *v, struct fb_job *job)
{
	static const char *const keys[] = { "every", "png" };
	const cJSON *png = cJSON_GetObjectItemCaseSensitive(v, "png");
	char first[4096];
	int64_t every = 0;

	if (!job->kernel->frames)
		return cfg_error(c, "output.frames", "unknown key: %s takes no steps to film",
				 job->kernel->name);
	if (cfg_check_object(c, v, "output.frames", keys, 2) < 0 ||
	    cfg_get_int(c, cJSON_GetObjectItemCaseSensitive(v, "every"), "output.frames.every", 1,
		    1000000000, &every) < 0)
		return -1;
	if (!every)
		return cfg_error(c, "output.frames.every", "missing; expected steps between frames");
	if (!cJSON_IsString(png) || frame_conversion(png->valuestring) < 0)
		return cfg_error(c, "output.frames.png", "expected a file name with one %%d or "
				 "%%05d for the step, such as \"out/heat_%%05d.png\", got %s", cfg_show(png));
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

/* Two outputs of the run must not be one file: the second would overwrite the first.
 * The later output is named as its field (so, in a batch, as the job or the defaults
 * that set it); jobs is the batch's array, or NULL for a lone job (doc). */
int cfg_check_collisions(const struct fb_batch *b, const struct ctx *base,
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
			cfg_join(field, sizeof(field), "output", all[i].key);
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

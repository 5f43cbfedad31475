/* config_paths.c: every path a run reads or writes: output checks, frame name
 * patterns, and the clashes between outputs, inputs and the config file (through
 * io/pathset.h). */
#include "runtime/compat.h"

#include "config_internal.h"

#include "outfile.h"
#include "pathset.h"
#include "runtime/error.h"

#include <cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether this process may write the existing file st describes, judged by its mode
 * bits for root too (root may write anything; a file without write bits is still one
 * its owner marked read-only). */
static bool writable(const char *path, const struct stat *st)
{
	if (geteuid() == 0)
		return (st->st_mode & 0222) != 0;
	return access(path, W_OK) == 0;
}

/* dir/name, or name alone when dir is NULL. malloc()ed; NULL when out of memory. */
static char *join(const char *dir, const char *name)
{
	size_t n = dir ? strlen(dir) : 0;
	char *s = malloc(n + strlen(name) + 2);

	if (s)
		sprintf(s, "%s%s%s", dir ? dir : "", n && dir[n - 1] != '/' ? "/" : "", name);
	return s;
}

int cfg_input_path(const struct ctx *c, const char *field, const char *written, char **out)
{
	struct stat st;
	const char *slash = strrchr(written, '/');

	*out = NULL;
	if (!c->base || written[0] == '/' || cfg_from_override(c, field) ||
	    (c->stored && stat(written, &st) == 0))
		*out = strdup(written);
	else if (!c->stored)
		*out = join(c->base, written);
	else {
		/* Stored: moved with its input, the PNG's folder holds the input where it
		 * was (a/in.png under the PNG's folder) or beside the PNG (in.png). */
		for (int i = 0; i < 2 && !*out; i++) {
			char *p = join(c->base, i == 0 ? written : slash ? slash + 1 : written);

			if (!p)
				return fb_error("out of memory");
			if (stat(p, &st) == 0)
				*out = p;
			else
				free(p);
		}
		if (!*out)
			*out = strdup(written);
	}
	return *out ? 0 : fb_error("out of memory");
}

void cfg_input_note(const struct ctx *c, const char *written, const char *resolved,
		    char *buf, size_t len)
{
	*buf = '\0';
	if (strcmp(written, resolved) != 0)
		snprintf(buf, len, " ('%s' as %s, relative to %s folder)", written,
			 c->stored ? "stored" : "written", c->stored ? "the PNG's" : "the config's");
	else if (c->stored && c->base && written[0] != '/')
		snprintf(buf, len, " (as stored; not in the PNG's folder '%s' either)", c->base);
}

int cfg_check_input(const char *path)
{
	struct stat st;

	/* stat() does not open: a FIFO cannot block here, as open() would. */
	if (stat(path, &st) < 0)
		return fb_error_errno("cannot open '%s'", path);
	if (S_ISDIR(st.st_mode))
		return fb_error("'%s' is a folder, expected a file", path);
	if (!S_ISREG(st.st_mode))
		return fb_error("'%s' is not a regular file (a pipe or a device): inputs are read "
				"more than once and must be files", path);
	return 0;
}

/* A file name must leave room for the temporary file's, ".<name>.XXXXXX". */
static int check_name_length(const char *path, const char *name)
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;

	if (strlen(base) > NAME_MAX - 8)
		return fb_error("cannot write '%s': %s longer than %d bytes", path,
				name == path ? "file name" : "the file name it links to is",
				NAME_MAX - 8);
	return 0;
}

int fb_config_check_output(const char *path)
{
	size_t len = strlen(path);
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
	if (strcmp(path, "-") == 0)	/* standard output */
		return 0;
	/* A device or a FIFO (/dev/stdout, /dev/null): written in place (outfile.h). Asked
	 * of path itself, as stat() follows links: /dev/stdout links to /proc/self/fd/1,
	 * which may link to "pipe:[...]", a name that is not a file. */
	if (fb_output_is_direct(path))
		return access(path, W_OK) < 0 ? fb_error_errno("cannot write '%s'", path) : 0;
	/* "x/" names a folder even when there is none: dirname() would check ".", and the
	 * rename into place would fail only after the whole run. */
	if (path[len - 1] == '/')
		return fb_error("'%s' ends in '/', expected a file path", path);
	if (check_name_length(path, path) < 0)
		return -1;
	target = fb_output_target(path);
	if (!target)
		return -1;
	/* Through a symbolic link, the file written is the one it names. */
	if (strcmp(target, path) != 0 && check_name_length(path, target) < 0) {
		free(target);
		return -1;
	}
	exists = stat(target, &st) == 0;
	if (exists && S_ISDIR(st.st_mode))
		rc = fb_error("'%s' is a folder, expected a file path", path);
	else if (exists && !cfg_policy.force && !writable(target, &st))
		rc = fb_error("'%s' is read-only: forkband does not replace it (--force does)",
			      path);
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

bool cfg_has_extension(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);

	return n > e && strcasecmp(name + n - e, ext) == 0;
}

/* An output in one format: "-" only to a pipe or a file, a name that says the format.
 * A binary image on a terminal is noise and can upset it; a wrong extension is a
 * mistake the user would find only when another program opens the file. */
/* Whether name is this process's standard output: "-", or a direct output that is the
 * same file as descriptor 1 (/dev/stdout, /dev/fd/1, the terminal's own device). */
static bool is_stdout(const char *name)
{
	struct stat a, b;

	return strcmp(name, "-") == 0 ||
	       (fb_output_is_direct(name) && stat(name, &a) == 0 &&
		fstat(STDOUT_FILENO, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino);
}

/* Whether name is a terminal (/dev/tty, /dev/pts/3): a character device that says so
 * when opened, without waiting and without becoming the controlling terminal. */
static bool is_terminal(const char *name)
{
	struct stat st;
	bool tty = false;
	int fd;

	if (stat(name, &st) < 0 || !S_ISCHR(st.st_mode))
		return false;
	fd = open(name, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		tty = isatty(fd);
		close(fd);
	}
	return tty;
}

int fb_config_check_format(const char *name, const char *ext)
{
	bool direct = fb_output_is_direct(name), out = is_stdout(name);
	char format[8];
	size_t i;

	for (i = 0; ext[i + 1] && i + 1 < sizeof(format); i++)
		format[i] = (char)toupper((unsigned char)ext[i + 1]);
	format[i] = '\0';
	if (direct && !out && is_terminal(name))
		return fb_error("'%s' is a terminal: forkband does not write %s to a terminal",
				name, format);
	if (out) {
		if (cfg_policy.stdout_relayed)
			return fb_error("'%s': mpirun relays standard output through a terminal, "
					"which may alter a binary %s; give a file", name, format);
		if (isatty(STDOUT_FILENO))
			return fb_error("'%s' is standard output, a terminal here: forkband does "
					"not write %s to a terminal (redirect or pipe it)", name, format);
		return 0;
	}
	if (!direct && !cfg_has_extension(name, ext))
		return fb_error("'%s': forkband writes %s; name it %s", name, format, ext);
	return 0;
}

int cfg_get_output(const struct ctx *c, const cJSON *v, const char *path, const char *ext,
		   char **out)
{
	struct fb_error_capture cap;
	int rc;

	if (cfg_get_path(c, v, path, out) < 0)
		return -1;
	if (!*out)
		return 0;
	fb_error_capture_begin(&cap);
	rc = fb_config_check_format(*out, ext);
	fb_error_capture_end(&cap);
	if (rc == 0)
		return 0;
	free(*out);
	*out = NULL;
	return cfg_error(c, path, "%s", cap.msg);
}

/* output.frames: {"every": K, "png": "out/heat_%05d.png"}, for kernels that step. */
int cfg_get_frames(const struct ctx *c, const cJSON *v, struct fb_job *job)
{
	static const char *const keys[] = { "every", "png" };
	const cJSON *png = cJSON_GetObjectItemCaseSensitive(v, "png");
	const char *slash;
	char first[4096];
	int64_t every = 0;
	long at;

	if (!job->kernel->frames)
		return cfg_unknown_key(c, "output.frames", "unknown key: %s takes no steps to film",
				       job->kernel->name) < 0 ? -1 : 0;
	if (cfg_check_object(c, v, "output.frames", keys, 2) < 0 ||
	    cfg_get_int(c, cJSON_GetObjectItemCaseSensitive(v, "every"), "output.frames.every", 1,
		    1000000000, &every) < 0)
		return -1;
	if (!every)
		return cfg_error(c, "output.frames.every", "missing; expected steps between frames");
	if (!cJSON_IsString(png) || (at = fb_frame_conversion(png->valuestring)) < 0)
		return cfg_error(c, "output.frames.png", "expected a file name with one %%d or "
				 "%%05d for the step, such as \"out/heat_%%05d.png\", got %s", cfg_show(png));
	if (!cfg_has_extension(png->valuestring, ".png"))
		return cfg_error(c, "output.frames.png", "'%s': forkband writes PNG; name it .png",
				 png->valuestring);
	slash = strrchr(png->valuestring, '/');
	if (slash && slash - png->valuestring > at)
		return cfg_error(c, "output.frames.png", "expected the step in the file name, not "
				 "in a folder, got %s", cfg_show(png));
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
	long at = fb_frame_conversion(pattern);
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



/* Says, into msg, how the use of path (use) clashes with the earlier use k. */
static void describe_clash(char *msg, size_t len, const char *path, enum fb_use use,
			   const struct fb_pathset_clash *k)
{
	char as[PATH_MAX + 16] = "";

	if (strcmp(path, k->path) != 0)
		snprintf(as, sizeof(as), " ('%s')", k->path);
	if (k->frames)
		snprintf(msg, len, "'%s' is a frame name that %s%s can write", path, k->what, as);
	else if (use == FB_USE_READ)
		snprintf(msg, len, "'%s' is written by %s%s, but inputs are read before any job "
			 "runs: run them as two batches", path, k->what, as);
	else if (k->use == FB_USE_READ && strcmp(k->what, "the config file") == 0)
		snprintf(msg, len, "'%s' would replace the config file%s", path, as);
	else if (k->use == FB_USE_READ)
		snprintf(msg, len, "'%s' would replace %s%s, which the run reads: write to another "
			 "file", path, k->what, as);
	else
		snprintf(msg, len, "'%s' is also written by %s%s", path, k->what, as);
}

/* Reports a clash of the use `field` of path (in the job that c names) with an earlier
 * use; returns -1. */
static int clash_error(const struct ctx *c, const char *field, const char *path,
		       enum fb_use use, const struct fb_pathset_clash *k)
{
	char msg[2 * PATH_MAX + 400];

	describe_clash(msg, sizeof(msg), path, use, k);
	return cfg_error(c, field, "%s", msg);
}

/* The files already in a frame pattern's folder under names it can produce: each will
 * be replaced by a frame, so each is an output, checked as one (a read-only or special
 * file is refused) and added to the set as the file it resolves to (a symbolic link
 * there to the config, an input or another output is an alias). One pass over the
 * folder. */
static int check_existing_frames(struct fb_pathset *set, const struct ctx *c, const char *what,
				 const char *pattern)
{
	const char *slash = strrchr(pattern, '/');
	char *folder = slash ? strndup(pattern, (size_t)(slash - pattern) + 1) : strdup("");
	const char *base = slash ? slash + 1 : pattern;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (!folder)
		return fb_error("out of memory");
	d = opendir(*folder ? folder : ".");
	while (d && rc == 0 && (e = readdir(d))) {
		struct fb_pathset_clash k;
		struct fb_error_capture cap;
		char *name;

		if (!fb_frame_name_matches(base, e->d_name))
			continue;
		name = malloc(strlen(folder) + strlen(e->d_name) + 1);
		if (!name) {
			rc = fb_error("out of memory");
			break;
		}
		sprintf(name, "%s%s", folder, e->d_name);
		fb_error_capture_begin(&cap);
		/* Frames are a numbered series of files: a device or a FIFO among them is a
		 * mistake, not a place to stream to (and a FIFO would block the run). */
		rc = fb_output_is_direct(name) ?
		     fb_error("'%s' is not a regular file", name) : fb_config_check_output(name);
		fb_error_capture_end(&cap);
		if (rc < 0)
			rc = cfg_error(c, "output.frames.png", "a frame would replace '%s': %s", name,
				       cap.msg);
		else if ((rc = fb_pathset_add(set, name, FB_USE_FRAME, what, &k)) > 0)
			rc = clash_error(c, "output.frames.png", name, FB_USE_WRITE, &k);
		free(name);
	}
	if (d)
		closedir(d);
	free(folder);
	return rc;
}

/* Adds one use of a file by the job c names; -1 after reporting a clash or a
 * failure. */
static int add_use(struct fb_pathset *set, const struct ctx *c, const char *field,
		   const char *path, enum fb_use use)
{
	struct fb_pathset_clash k;
	char what[300];
	int rc;

	/* "jobs[3].output.png", "zoom.png of zoom frame 3 (scale 4.16e-05)" */
	cfg_field_name(&c->origin, field, what, sizeof(what));
	rc = fb_pathset_add(set, path, use, what, &k);
	if (rc < 0)
		return -1;	/* out of memory: reported */
	return rc ? clash_error(c, field, path, use, &k) : 0;
}

int cfg_check_collisions(struct fb_batch *b, const struct ctx *base, const char *config_file,
			 const cJSON *doc, const cJSON *jobs)
{
	struct fb_pathset *set = fb_pathset_new();
	struct fb_pathset_clash k;
	const char *pa, *pb;
	const cJSON *item;
	char what[300];

	if (!set)
		return -1;
	b->paths = set;
	/* Frames first: each name added after them is checked against every pattern. */
	for (size_t j = 0; j < b->n; j++) {
		if (!b->job[j].frames_png)
			continue;
		cfg_field_name(&b->job[j].origin, "output.frames.png", what, sizeof(what));
		if (fb_pathset_add_frames(set, b->job[j].frames_png, what) < 0)
			return -1;
	}
	if (fb_pathset_check_frames(set, &pa, &pb)) {
		struct ctx c = *base;

		c.origin = (struct fb_job_origin){ .index = -1 };
		return cfg_error(&c, pb, "can name the same frame files as %s", pa);
	}
	if (config_file) {
		int rc = fb_pathset_add(set, config_file, FB_USE_READ, "the config file", &k);
		struct ctx c = *base;

		if (rc < 0)
			return -1;
		/* Only a frame pattern can clash here: nothing else was added yet. */
		c.origin = (struct fb_job_origin){ .index = -1 };
		if (rc > 0)
			return cfg_error(&c, "output.frames.png", "%s ('%s') can write over the "
					 "config file", k.what, k.path);
	}
	item = jobs ? jobs->child : doc;
	for (size_t j = 0; j < b->n; j++, item = item->next) {
		struct ctx c = *base;

		if (!b->job[j].frames_png)
			continue;
		c.origin = b->job[j].origin;
		c.job = item;
		cfg_field_name(&c.origin, "output.frames.png", what, sizeof(what));
		if (check_existing_frames(set, &c, what, b->job[j].frames_png) < 0)
			return -1;
	}
	/* Reads before writes: an output over an input is reported at the output, an
	 * input that another job writes at the input. */
	item = jobs ? jobs->child : doc;
	for (size_t j = 0; j < b->n; j++, item = item->next) {
		const struct fb_job *job = &b->job[j];
		const struct fb_kernel *kern = job->kernel;
		struct ctx c = *base;
		char field[300];

		c.origin = job->origin;
		c.job = item;
		if (job->input && add_use(set, &c, "input", job->input, FB_USE_READ) < 0)
			return -1;
		for (size_t i = 0; i < kern->n_params; i++) {
			const struct fb_param *p = &kern->params[i];
			const struct fb_matsrc *m;

			if (p->type == FB_PARAM_LOCATION) {
				const char *const *loc = (const void *)((const char *)job->params +
									p->offset);

				snprintf(field, sizeof(field), "params.%s", p->name);
				if (*loc && add_use(set, &c, field, *loc, FB_USE_READ) < 0)
					return -1;
			}
			if (p->type != FB_PARAM_MATSRC)
				continue;
			m = (const void *)((const char *)job->params + p->offset);
			snprintf(field, sizeof(field), "params.%s.npy", p->name);
			if (m->npy && add_use(set, &c, field, m->npy, FB_USE_READ) < 0)
				return -1;
		}
		if (job->png && add_use(set, &c, "output.png", job->png, FB_USE_WRITE) < 0)
			return -1;
		snprintf(field, sizeof(field), "output.%s", kern->raw_output ? kern->raw_output : "");
		if (job->raw && add_use(set, &c, field, job->raw, FB_USE_WRITE) < 0)
			return -1;
		if (job->report &&
		    add_use(set, &c, "output.report", job->report, FB_USE_WRITE) < 0)
			return -1;
	}
	return 0;
}

int fb_config_add_output(struct fb_batch *b, const char *option, const char *path)
{
	struct fb_pathset_clash k;
	struct fb_error_capture cap;
	char msg[2 * PATH_MAX + 400];
	int rc;

	fb_error_capture_begin(&cap);
	rc = fb_config_check_output(path);
	fb_error_capture_end(&cap);
	if (rc < 0)
		return fb_error("%s: %s", option, cap.msg);
	if (!b->paths && !(b->paths = fb_pathset_new()))
		return -1;
	rc = fb_pathset_add(b->paths, path, FB_USE_WRITE, option, &k);
	if (rc <= 0)
		return rc;
	describe_clash(msg, sizeof(msg), path, FB_USE_WRITE, &k);
	return fb_error("%s: %s", option, msg);
}

/* config_internal.h: what the files of the config reader share (io/config*.c); not for
 * use outside io/.
 *
 * The reader is split by concern: config_syntax.c (text to a cJSON tree and what cJSON
 * lets through), config_override.c (--set and batch merges), config_fields.c (messages
 * and the plain field checks), config_params.c (kernel parameter tables),
 * config_paths.c (output checks and collisions), config_json.c (a job back to JSON),
 * and config.c (a job: kernel, size, run, output; the whole parse).
 */
#ifndef FORKBAND_CONFIG_INTERNAL_H
#define FORKBAND_CONFIG_INTERNAL_H

#include "runtime/compat.h"

#include "config.h"

struct cJSON;

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

/* Unknown keys are reported together: a job's every unknown key (the first
 * CFG_MAX_UNKNOWN of them, one line each, then a count), rather than one per run.
 * Checking goes on after the first, so that the others are found; any other error
 * met meanwhile is held back, as it may only follow from a misspelt key (a required
 * param under the wrong name is also "missing"). */
#define CFG_MAX_UNKNOWN 5
struct cfg_unknown {
	unsigned n;		/* unknown keys found so far */
	bool reporting;		/* cfg_error() is reporting one of them */
};

/* What an error message needs to say where a field came from. */
struct ctx {
	const char *source;		/* file name */
	struct fb_job_origin origin;	/* the job as its user wrote it (.index -1: a
					 * single job, or no job named) */
	const struct cJSON *job;	/* the job as written in the file */
	const struct cJSON *defaults;	/* the batch's defaults, or NULL */
	const struct fb_override *ov;
	size_t n_ov;
	struct cfg_unknown *unknown;	/* NULL: report the first unknown key and stop */
	const char *base;		/* the folder relative input paths start from;
					 * NULL: the current directory (cfg_input_path()) */
	bool stored;			/* the job was stored in the PNG in base */
};

/* The keys of a batch file. */
extern const char *const cfg_batch_keys[2];

/* The one name of a job in messages, after its source, into buf: "" (the file is the
 * job), "jobs[2]", a zoom's frame "zoom frame 3 (scale 4.16e-05)", or "jobs[1] (zoom
 * frame 3, scale 4.16e-05)" when the zoom job was in a "jobs" array. A frame is named
 * by its number as its file name has it (0 to frames - 1), never by its place in the
 * batch the zoom became, which its user never wrote. */
void cfg_job_name(const struct fb_job_origin *o, char *buf, size_t len);

/* A field of a job, named for messages that name a job's file (a clash of outputs):
 * "output.png", "jobs[2].output.png"; a frame's output.png is its zoom.png, "zoom.png
 * of zoom frame 3 (scale 4.16e-05)". */
void cfg_field_name(const struct fb_job_origin *o, const char *field, char *buf, size_t len);

/* Reports "<where>: <path>: <message>", naming the override, the job or the defaults
 * that the value at path came from (a frame: "<source>: zoom frame 3 (scale ...):
 * zoom.png: <message>", cfg_job_name()). Returns -1. */
FB_PRINTF(3, 4) int cfg_error(const struct ctx *c, const char *path, const char *fmt, ...);

/* The first control character in s, or NULL. */
const char *cfg_control_char(const char *s);

/* Reports an unknown key as cfg_error() does and counts it. Returns 0 while
 * c->unknown collects them (the caller goes on checking), else -1. */
FB_PRINTF(3, 4) int cfg_unknown_key(const struct ctx *c, const char *path, const char *fmt, ...);

/* Whether the value at path was set by an override (or inside one). */
bool cfg_from_override(const struct ctx *c, const char *path);

/* A short rendering of a JSON value for "got ..." (static buffer). */
const char *cfg_show(const struct cJSON *v);

/* The closest of names[0..n) to word, if close enough to be a likely typo (case aside:
 * "BLAS" finds "blas"), or NULL. */
const char *fb_suggest(const char *word, const char *const *names, size_t n);

/* buf = "prefix.key", or "key" when prefix is empty. */
void cfg_join(char *buf, size_t len, const char *prefix, const char *key);

/* Checks that obj is an object with no keys outside names[0..n). */
int cfg_check_object(const struct ctx *c, const struct cJSON *obj, const char *path,
		     const char *const *names, size_t n);

/* Reads an integer field within [min, max]; leaves *out alone when v is NULL. */
int cfg_get_int(const struct ctx *c, const struct cJSON *v, const char *path, int64_t min,
		int64_t max, int64_t *out);

/* Reads a string that must be one of choices (NULL-terminated) into *out, its index. */
int cfg_get_choice(const struct ctx *c, const struct cJSON *v, const char *path,
		   const char *const *choices, int *out);

/* Only the keys of a job's params (obj, may be NULL) and of the objects in them, each
 * unknown one reported through cfg_unknown_key(): the first pass of a job's check. */
void cfg_check_param_keys(const struct ctx *c, const struct cJSON *obj,
			  const struct fb_kernel *k);

/* The job's params against its kernel's table, then the kernel's cross-field check. */
int cfg_validate_params(const struct ctx *c, const struct cJSON *obj, struct fb_job *job);

/* A decimal number as JSON writes one, with any number of digits: an optional minus,
 * digits (one at least, no leading zero before others), an optional fraction, an
 * optional exponent. strtold() alone would also take "inf", "nan", hex and spaces. */
bool cfg_decimal_syntax(const char *s);

/* A location param p (FB_PARAM_LOCATION) of the job's params obj, whose value is v:
 * the .kfr file it names (relative to the config's folder, as inputs are) read into
 * the table's center, scale (from Zoom and the job's size) and max_iter (unless obj
 * gives it) params, and its path as opened kept in the params (config_location.c).
 * center or scale in obj beside it is an error. 0, or -1 after reporting. */
int cfg_apply_location(const struct ctx *c, const struct cJSON *obj, const struct fb_param *p,
		       const struct cJSON *v, struct fb_job *job);

/* The note for a message about the param called field of kernel k (at most len bytes
 * into buf): where its value came from when a location in obj set it, else "". */
void cfg_location_note(const struct cJSON *obj, const struct fb_kernel *k, const char *field,
		       char *buf, size_t len);

/* An output path field: a string naming a file that can be created (see
 * fb_config_check_output()); *out gets a copy. Absent (v NULL) is fine. */
int cfg_get_path(const struct ctx *c, const struct cJSON *v, const char *path, char **out);
/* Replaces, in *doc, every job with a "zoom" by the jobs of its frames (config_zoom.c);
 * a single job becomes a batch. *origin gets, for each job of the batch it makes, where
 * the job came from (malloc()ed, one a job), or NULL when *doc holds no zoom (its jobs
 * are then as written). 0, or -1 after reporting (source names the config). */
int cfg_expand_zoom(const char *source, struct cJSON **doc, struct fb_job_origin **origin);

/* Whether name ends in ext, in any case ("x.PNG" is a PNG too). */
bool cfg_has_extension(const char *name, const char *ext);

/* cfg_get_path() for a file of one format (ext: ".png", ".npy"): the name must end in
 * ext (any case) unless it is a device or "-"; "-" (standard output) is refused when
 * standard output is a terminal. */
int cfg_get_output(const struct ctx *c, const struct cJSON *v, const char *path,
		   const char *ext, char **out);

/* An input file (a filter's PNG, a .npy operand): it exists and is a regular file, so
 * that reading it cannot block. 0, or -1 after reporting. */
int cfg_check_input(const char *path);

/* Where an input path of a job (a filter's input, a .npy operand) is, as written:
 * relative to the config file's folder (c->base), so that a config runs from any
 * folder; for a job stored in a PNG, as stored (relative to the current directory, as
 * it was resolved when the PNG was written) or, when nothing is there, in the PNG's
 * folder: the stored path under it, then its file name alone. Absolute paths, paths
 * given on the command line (an override of field) and jobs from no file (the
 * built-in job, standard input) use the path as written. *out gets a malloc()ed path,
 * to be opened as it is; 0, or -1 when out of memory. */
int cfg_input_path(const struct ctx *c, const char *field, const char *written, char **out);

/* The note to add to an error about an input (at most len bytes into buf): where the
 * path as written was looked for, when that is not the path itself; "" otherwise. */
void cfg_input_note(const struct ctx *c, const char *written, const char *resolved,
		    char *buf, size_t len);

/* output.frames of a stepping kernel. */
int cfg_get_frames(const struct ctx *c, const struct cJSON *v, struct fb_job *job);

/* No output of the run may be another output, an input, a frame name or the config
 * file (config_file, NULL when the jobs come from no file). Builds b->paths, to which
 * the command line adds its own outputs (fb_config_add_output()). */
int cfg_check_collisions(struct fb_batch *b, const struct ctx *base, const char *config_file,
			 const struct cJSON *doc, const struct cJSON *jobs);

/* The policy the command line set (fb_config_set_policy()). */
extern struct fb_config_policy cfg_policy;

/* Arrays and objects nest at most this deep in a config (a job needs 5:
 * params.ops[i].matrix[r]); deeper is refused before cJSON parses it. */
#define FB_CONFIG_MAX_DEPTH 32

/* Parses text (len bytes) read from source into *out: syntax errors with line and
 * column, and what cJSON would let through refused (NUL in strings, nesting deeper
 * than FB_CONFIG_MAX_DEPTH, repeated keys). 0, or -1 after reporting. */
int cfg_parse_text(const char *source, const char *text, size_t len, struct cJSON **out);

/* An override's value: *out gets the parsed JSON, or NULL when text is not JSON (the
 * caller takes it as a string). -1 after reporting a value that is JSON but holds what
 * cfg_parse_text() refuses. */
int cfg_parse_value(const char *label, const char *text, struct cJSON **out);

/* Refuses repeated keys and keys with control characters anywhere in v; source and
 * path name it in messages. */
int cfg_check_duplicates(const char *source, const struct cJSON *v, const char *path);

/* Reports a JSON syntax error at `at` (NULL: the end) as "source:line:col: ...". */
int cfg_syntax_error(const char *source, const char *text, size_t len, const char *at);

/* Sets the value at an override's path in job: keys and list indexes
 * ("params.ops[0].sigma"), creating objects on the way; an index must name an item
 * that exists (0 to length - 1). */
int cfg_apply_override(const struct fb_override *o, struct cJSON *job);

/* Deep merge: keys of over replace those of base, objects merge recursively. */
int cfg_merge(struct cJSON *base, const struct cJSON *over);

#endif

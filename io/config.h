/* config.h: JSON job files -> validated, typed jobs.
 *
 * A file holds one job, or a batch `{"defaults": {...}, "jobs": [{...}, ...]}` in which
 * each job is merged over the defaults (objects merge key by key; anything else is
 * replaced). Overrides (`--set PATH=VALUE`, and -j/--schedule/--chunk/-o, which the
 * command line turns into overrides) are applied to every job after that merge.
 *
 * Everything is checked before anything runs: every field of every job (type, range,
 * unknown keys with a did-you-mean), duplicate keys, the kernel's cross-field rules,
 * that each job's buffers can be mapped (the kernel creates and destroys its state
 * once, touching no page), every output path (its folder exists and is writable; a
 * read-only file is not replaced unless the policy forces), and that no two uses of
 * a file alias (io/pathset.h: outputs, inputs, frame names, the config itself; only
 * two reads may share a file). Each problem is reported through fb_error() as one
 * line naming the source and the field: `configs/x.json: params.max_iter: expected an
 * integer from 1 to 1000000000, got -5`. A field set from the command line is named
 * by its option instead of the file (`--set params.max_iter: ...`, `-j: ...`).
 *
 * Relative output paths are relative to the current directory, not to the config file,
 * like every other command-line tool's output options. Relative input paths (a
 * filter's input, .npy operands) are relative to the config file's folder, and a PNG
 * re-run looks for its input in the PNG's folder too (docs/config.md, "Paths").
 *
 * Every unknown key of a job is reported (one line each, the first five, then a
 * count); any other problem stops the check at the first, reported in one line.
 */
#ifndef FORKBAND_CONFIG_H
#define FORKBAND_CONFIG_H

#include "runtime/compat.h"

#include "io/png_write.h"
#include "kernels/kernel.h"
#include "runtime/schedule.h"

struct fb_pathset;

/* Picture size used when a job gives none. */
#define FB_DEFAULT_WIDTH 1920
#define FB_DEFAULT_HEIGHT 1080
/* libpng's default limit on either dimension; also keeps width * height * 4 in range. */
#define FB_MAX_DIMENSION 1000000
#define FB_MAX_CHUNK 1000000000
/* run.memory: from 1 MiB to 1 PiB. */
#define FB_MIN_MEMORY ((uint64_t)1 << 20)
#define FB_MAX_MEMORY ((uint64_t)1 << 50)

struct fb_override {
	const char *path;	/* dotted field path: "params.max_iter" */
	const char *value;	/* JSON text, or a bare string */
	const char *label;	/* how errors name it: "--set params.max_iter", "-j" */
	bool literal;		/* value is a plain string, never parsed as JSON */
	bool single_job;	/* refused for a batch of more than one job (-o: one file
				 * cannot hold every job's picture) */
};

/* Where a job is in its file, as its user wrote it: for messages (one name for every
 * message about the job: its label, config errors, clashes of its files) and for the
 * run's progress line, which shows a zoom sequence's frames as one sequence. */
struct fb_job_origin {
	long index;		/* the job's place in the file's "jobs" array; -1: the
				 * file is one job (or, in a message, no job is named) */
	unsigned seq;		/* a frame of the batch's seq-th zoom sequence (1, 2, ...:
				 * io/config_zoom.c); 0: not a frame */
	uint32_t frame;		/* its frame number, 0 to frames - 1 (its file name's) */
	uint32_t frames;	/* the sequence's frame count */
	char scale[16];		/* its scale to 3 digits ("4.16e-05"), for its name */
};

struct fb_job {
	/* How messages name the job, as its user wrote it: "configs/x.json",
	 * "configs/b.json: jobs[2]", a zoom's frame "deep.json: zoom frame 3 (scale
	 * 4.16e-05)", or "b.json: jobs[1] (zoom frame 3, scale 4.16e-05)" when the zoom
	 * job was in a "jobs" array. */
	char *label;
	struct fb_job_origin origin;
	const struct fb_kernel *kernel;
	uint32_t width, height;
	void *params;		/* the kernel's params struct, every field set */
	unsigned workers;	/* 0: not set (the caller picks the CPU count) */
	enum fb_schedule schedule;
	uint32_t chunk;		/* 0: the schedule's default */
	char *input;		/* the input PNG's path, for kernels with input, as opened
				 * (resolved: see docs/config.md, "Paths") */
	char *input_stored;	/* a re-run's input as its PNG stored it, when found
				 * elsewhere (NULL: input): stored again as it was, so that
				 * the re-run writes the same bytes */
	struct fb_image input_image;	/* decoded during validation; freed with the batch */
	uint32_t frames_every;	/* output.frames: a frame every this many steps (0: none) */
	char *frames_png;	/* its file name pattern (fb_frame_path()) */
	struct fb_png_settings png_set;	/* output.png_level, output.png_filter (frames too) */
	char *png;		/* output paths; NULL when not asked for */
	char *raw;
	char *report;
	size_t footprint;	/* bytes its buffers take (the kernel's footprint()); for a
				 * kernel that streams, those of its smallest strip */
	uint64_t memory;	/* run.memory: the budget of a streamed job; 0: default */
	double read_s;		/* seconds spent decoding the input image */
};

struct fb_batch {
	struct fb_job *job;
	size_t n;
	struct fb_pathset *paths;	/* every file the jobs read or write (io/pathset.h) */
};

/* What the command line decides about checks that a config cannot. */
struct fb_config_policy {
	bool force;		/* --force: replace read-only outputs */
	uint64_t input_budget;	/* the most bytes a decoded input image may need (from the
				 * memory available); 0: no limit but the reader's own */
	bool stdout_relayed;	/* standard output is mpirun's relay (forkband-mpi), which
				 * passes it through a terminal: no PNG or .npy to "-" */
};

/* The closest of names[0..n) to word, if close enough to be a likely typo, or NULL
 * (config keys and values, and the command line's commands and options). */
const char *fb_suggest(const char *word, const char *const *names, size_t n);

/* Sets the policy for the parses that follow (default: all false and 0). */
void fb_config_set_policy(const struct fb_config_policy *p);

/* Parses and validates `text` (len bytes) as read from `source` (no file: input paths
 * are relative to the current directory). Returns 0 with *out filled, or -1 after
 * reporting the first problem (or the unknown keys). */
int fb_config_parse(const char *source, const char *text, size_t len,
		    const struct fb_override *ov, size_t n_ov, struct fb_batch *out);

/* As fb_config_parse(), for a job read back from the forkband:config chunk of the PNG
 * at png_path: it may hold only the fields that determine pixels (kernel, width,
 * height, params), so that a PNG from elsewhere cannot choose output paths or run
 * settings; no output may replace the PNG. */
int fb_config_parse_pixels(const char *png_path, const char *text, size_t len,
			   const struct fb_override *ov, size_t n_ov, struct fb_batch *out);

/* Reads the file at path, then as fb_config_parse(); no output may replace the file. */
int fb_config_load(const char *path, const struct fb_override *ov, size_t n_ov,
		   struct fb_batch *out);

void fb_batch_free(struct fb_batch *b);

/* Frees what a job holds for its run only (the decoded input image, matrix operands'
 * values), keeping what describes it (paths, params): for a batch, once the job has
 * run, so that the parent the later jobs fork from does not grow with the jobs done. */
void fb_job_release_data(struct fb_job *job);

/* Checks that path can be created: not a folder (nor "x/"), a name that leaves room
 * for the temporary file's (the name a final symbolic link points at too), in an
 * existing writable folder, and not a read-only file unless the policy forces.
 * "-" (standard output) passes; an existing device or FIFO must be writable
 * (io/outfile.h: such outputs are written in place). Returns 0, or -1 after
 * reporting. */
int fb_config_check_output(const char *path);

/* An output in one format (ext: ".png", ".npy", ".svg"): a name ending in ext, any
 * case, unless it is "-" or a device; not a terminal (standard output "-" included),
 * nor standard output under mpirun's relay. 0, or -1 after reporting. */
int fb_config_check_format(const char *path, const char *ext);

/* An output that the command line adds to the run (--report, scale's --csv): checked
 * as fb_config_check_output() does, then against every file the batch reads or
 * writes, and added to it. 0, or -1 after reporting "OPTION: ...". */
int fb_config_add_output(struct fb_batch *b, const char *option, const char *path);

/* The file name of the frame at `step` from an output.frames pattern (already checked:
 * one %d or %0Nd). */
void fb_frame_path(const char *pattern, uint64_t step, char *out, size_t len);

/* The fields of a job that determine its pixels (kernel, width, height, every param) as
 * compact JSON, the same for any run settings or output paths. malloc()ed. */
char *fb_job_pixels_json(const struct fb_job *job);

/* The whole resolved job (pixels plus run and output) as a cJSON object; the caller
 * owns it. Returned as void * so that this header does not drag in cJSON. */
void *fb_job_to_json(const struct fb_job *job);

#endif

/* driver.h: one job, end to end: kernel -> pool passes -> outputs. */
#ifndef FORKBAND_DRIVER_H
#define FORKBAND_DRIVER_H

#include "runtime/compat.h"

#include "io/config.h"
#include "io/report.h"
#include "progress.h"

struct fb_backend;

enum fb_drive_status {
	FB_DRIVE_OK,
	FB_DRIVE_SETUP_FAILED,	/* nothing ran (buffers too large or unmappable), or the
				 * input file turned out broken as a streamed job read it:
				 * bad input, exit status 2 */
	FB_DRIVE_RUN_FAILED,	/* a worker failed, or an output could not be written */
};

struct fb_drive_options {
	/* Encode the PNG in memory but write no file (scaling studies: the encode is
	 * still timed, as the "write" phase). */
	bool no_files;
	/* Fill res->raw_hash and res->png_hash. */
	bool hash;
	/* Pin workers to CPUs (struct fb_pool_options.pin). */
	bool pin;
	/* A test-only fault: flip one bit of the raw grid before hashing and encoding,
	 * to prove that a study's output check fails. */
	bool corrupt;
	/* --timeout: the passes stop and the job fails at this fb_now_ns() (0: never). */
	uint64_t deadline_ns;
	double timeout_s;
	/* What runs the passes (NULL: the local pool). */
	const struct fb_backend *backend;
};

/* Runs job with its run settings (workers 0: the CPUs this process may use) and writes its
 * outputs. opt may be NULL (write files, no hashes). Fills *res (free with
 * fb_job_result_free()) on FB_DRIVE_OK. */
enum fb_drive_status fb_drive_job(const struct fb_job *job, const struct fb_drive_options *opt,
				  struct fb_progress *prog, struct fb_job_result *res);

void fb_job_result_free(struct fb_job_result *res);

/* For the stages of a job (driver.c, pipeline.c): adds s seconds to the phase called
 * name (a new phase if it is new); keeps a pass's name, phase and stats for the report
 * (the first FB_MAX_PASSES; the stats of the rest are freed). */
void fb_result_add_phase(struct fb_job_result *res, const char *name, double s);

/* For the stages of a job: the kernel's prepare() (if any) on state, shown in prog and
 * timed in its phase. 0, or -1 after reporting. */
int fb_kernel_prepare(const struct fb_kernel *k, void *state, struct fb_progress *prog,
		      struct fb_job_result *res);
void fb_result_record_pass(struct fb_job_result *res, const struct fb_pass *pass,
			   struct fb_pass_stats *st);

struct fb_outfile;

/* The end of a job's output step: unless the --timeout deadline has passed, renames the
 * finished temporary files (either may be released) into place, together; else
 * removes them. 0, or -1 after reporting. */
int fb_outputs_commit(const struct fb_job *job, const struct fb_drive_options *opt,
		      struct fb_outfile *png_out, struct fb_outfile *raw_out);

/* The memory check before anything runs: every job's buffers (the kernel's footprint;
 * for a job that streams, that of its strips as planned from its budget) against the
 * memory the machine has available now (MemAvailable in /proc/meminfo), unless force.
 * Returns 0, or -1 after reporting `CONFIG: job needs 38.2 GiB of memory; 21.7 GiB is
 * available (--force runs it anyway)`, or a budget too small for one strip (whatever
 * force says: strips.h). The environment variable FORKBAND_TEST_MEMAVAILABLE (bytes)
 * stands in for MemAvailable, for the tests. */
int fb_check_memory(const struct fb_batch *batch, bool force);

struct fb_strip_plan;

/* The bytes job needs while it runs (its footprint, or that of its strips as planned
 * from its budget), and *plan (zeroed for a job that does not stream). 0, or -1 after
 * reporting a budget too small for one strip. */
int fb_job_needs(const struct fb_job *job, size_t *need, struct fb_strip_plan *plan);

/* MemAvailable in bytes, lowered to what the cgroup limits leave; SIZE_MAX when it
 * cannot be read (no check then). FORKBAND_TEST_MEMAVAILABLE stands in for it. */
size_t fb_available_memory(void);

/* The policy the config checks follow (io/config.h): --force, the memory available as
 * the budget of input images, and whether be's standard output is mpirun's relay. */
void fb_set_config_policy(bool force, const struct fb_backend *be);

/* crc (a running CRC-32, from crc32(0, NULL, 0)) continued over len bytes of data, of
 * any length (zlib's crc32() takes at most UINT_MAX bytes at a time). */
unsigned long fb_crc32_more(unsigned long crc, const void *data, uint64_t len);

/* The summary of a finished job on stderr: the files written, the time and its phases,
 * the run settings and the kernel's totals, in lines of at most 100 columns (breaking
 * between items). in_batch: the job is one of several (no hint about -o, which a batch
 * refuses). */
void fb_print_summary(const struct fb_job_result *res, bool in_batch);

/* A zoom sequence's frames (struct fb_job_origin.seq) are summed up in one summary
 * rather than a summary each: the files from the first to the last, the time in all
 * and the quickest and slowest frame's, the phases' times and the kernel's counts
 * added up (a real total, such as an area, does not add up and is left out), the last
 * frame's run settings. Zero it, add each frame's result as it finishes
 * (fb_sequence_add(): it keeps nothing of res but the names of its phases and totals,
 * which are static, and its job), and print it after the last frame, or after the
 * frame the run stopped at (`(3 of 60 frames)`); nothing is printed before a frame is
 * done. */
struct fb_sequence_summary {
	struct fb_job_result sum;	/* the frames' results added up (no passes) */
	const struct fb_job *first;	/* the first frame done */
	size_t done;			/* frames done */
	double min_s, max_s;		/* the quickest and the slowest frame's time */
	uint32_t chunk;			/* the chunk their passes used */
};

void fb_sequence_add(struct fb_sequence_summary *seq, const struct fb_job_result *res);
void fb_print_sequence_summary(const struct fb_sequence_summary *seq);

#endif

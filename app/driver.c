/* driver.c: glue between the typed job, the kernel, the pool and the writers. */
#include "runtime/compat.h"

#include "driver.h"

#include "backend.h"
#include "pipeline.h"
#include "strips.h"

#include "io/npy.h"
#include "io/outfile.h"
#include "io/png_encode.h"
#include "io/png_read.h"
#include "io/png_write.h"
#include "runtime/error.h"
#include "runtime/shared_mem.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <zlib.h>

static double seconds_since(uint64_t t0)
{
	return (double)(fb_now_ns() - t0) / 1e9;
}

/* Adds s seconds to the phase called name, starting it if it is new: a kernel's many
 * passes (a filter's) add up into its few phases. */
void fb_result_add_phase(struct fb_job_result *res, const char *name, double s)
{
	for (size_t i = 0; i < res->n_phases; i++) {
		if (strcmp(res->phase[i].name, name) == 0) {
			res->phase[i].seconds += s;
			return;
		}
	}
	if (res->n_phases < FB_MAX_PHASES)
		res->phase[res->n_phases++] = (struct fb_phase){ name, s };
}

unsigned long fb_crc32_more(unsigned long crc, const void *data, uint64_t len)
{
	const uint8_t *p = data;

	while (len > 0) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;

		crc = crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
}

int fb_kernel_prepare(const struct fb_kernel *k, void *state, struct fb_progress *prog,
		      struct fb_job_result *res)
{
	struct fb_pass shown = { .progress = fb_progress_serial, .pctx = prog };
	uint64_t t0 = fb_now_ns();
	int rc;

	if (!k->prepare)
		return 0;
	fb_progress_pass_start(prog);
	rc = k->prepare(state, &shown);
	if (shown.name)
		fb_result_add_phase(res, shown.phase ? shown.phase : shown.name,
				    seconds_since(t0));
	return rc;
}

static uint32_t crc32_of(const void *data, size_t len)
{
	return (uint32_t)fb_crc32_more(crc32(0L, Z_NULL, 0), data, len);
}

/* Keeps a pass's name, phase and worker stats for the report, the first FB_MAX_PASSES
 * of them (a filmed job can have thousands); frees the stats of the rest. */
void fb_result_record_pass(struct fb_job_result *res, const struct fb_pass *pass,
			   struct fb_pass_stats *st)
{
	res->recoveries += st->n_events;	/* printed as they happened */
	if (res->n_passes < FB_MAX_PASSES) {
		res->pass[res->n_passes] = *st;
		res->pass_name[res->n_passes] = pass->name;
		res->pass_phase[res->n_passes] = pass->phase ? pass->phase : pass->name;
		res->n_passes++;
	} else {
		fb_pass_stats_free(st);
	}
}

static void encode_groups(void *ctx, uint32_t g0, uint32_t g1, void *unused)
{
	(void)unused;
	fb_png_groups_encode(ctx, g0, g1);
}

/* Encodes img as a PNG with the job's settings: the row groups (io/png_encode.h) are
 * a pass of their own on the job's workers, a group per chunk, or are encoded here when
 * there is one worker or one group. The bytes are the same either way. */
static int encode_png(const struct fb_job *job, const struct fb_pool_options *popt,
		      struct fb_progress *prog, struct fb_job_result *res, const char *what,
		      const struct fb_image *img, const struct fb_png_text *text, size_t n_text,
		      struct fb_bytes *out)
{
	struct fb_png_groups e;
	struct fb_pool_options opt = *popt;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (fb_png_groups_init(&e, what, img, &job->png_set) < 0)
		return -1;
	opt.schedule = FB_SCHED_DYNAMIC;
	opt.chunk = 1;
	if (opt.workers > e.n)
		opt.workers = e.n;
	if (opt.workers <= 1) {
		fb_png_groups_encode(&e, 0, e.n);
	} else {
		struct fb_pass pass = {
			.name = "encode", .phase = "encode", .rows = e.n, .unit = "groups",
			.ctx = &e, .compute = encode_groups, .progress = fb_progress_update,
			.notice = fb_progress_notice, .pctx = prog,
		};
		struct fb_pass_stats st;

		fb_progress_pass_start(prog);
		rc = fb_pool_run(&opt, &pass, &st);
		fb_progress_clear(prog);
		if (rc == 0)
			fb_result_record_pass(res, &pass, &st);
	}
	if (rc == 0)
		rc = fb_png_groups_finish(&e, what, text, n_text, out);
	fb_png_groups_free(&e);
	return rc;
}

/* One frame of a filmed job: the image as it stands, named by the kernel's step count.
 * No forkband:config chunk: the job in it would make the final image, not this one. */
static int write_frame(const struct fb_job *job, const struct fb_pool_options *popt,
		       struct fb_progress *prog, struct fb_job_result *res, void *state)
{
	struct fb_kernel_output out;
	struct fb_png_text text[] = { { "Software", "forkband " FORKBAND_VERSION } };
	struct fb_image rgb = { job->width, job->height, 3, 8, NULL };
	struct fb_bytes png;
	char path[4096], what[4200];
	int rc;

	job->kernel->output(state, &out);
	rgb.data = (void *)out.rgb;
	fb_frame_path(job->frames_png, job->kernel->frame_step(state), path, sizeof(path));
	snprintf(what, sizeof(what), "'%s'", path);
	if (encode_png(job, popt, prog, res, what, &rgb, text, FB_ARRAY_LEN(text), &png) < 0)
		return -1;
	rc = fb_write_bytes(path, png.data, png.len);
	free(png.data);
	/* A frame is news on the way, not the job's result: an interrupt may land now. */
	fb_outfile_release();
	return rc;
}

/* Encodes the job's outputs and writes each to its temporary file; then, if the
 * --timeout deadline has not passed, renames them all into place, so that they appear
 * together (the terminating signals are blocked from the first rename on:
 * fb_outfile_rename()). *encode_s gets the seconds spent encoding the PNG (the "encode"
 * phase; the rest is "write"). */
static int write_outputs(const struct fb_job *job, const struct fb_drive_options *opt,
			 const struct fb_pool_options *popt, struct fb_progress *prog, void *state,
			 struct fb_job_result *res, double *encode_s)
{
	struct fb_kernel_output out;
	struct fb_outfile png_out = { 0 }, raw_out = { 0 };
	size_t raw_size = (size_t)job->width * job->height;	/* mapped: cannot overflow */
	int rc = 0;

	job->kernel->output(state, &out);
	raw_size *= out.raw_elem_size;
	if (opt->corrupt && out.raw)
		((uint8_t *)out.raw)[0] ^= 1;
	if (opt->hash && out.raw) {
		res->raw_hash = crc32_of(out.raw, raw_size);
		res->has_raw_hash = true;
	}
	if (job->png) {
		char *pixels = fb_job_pixels_json(job);
		struct fb_image rgb = { job->width, job->height, 3, 8, (void *)out.rgb };
		struct fb_png_text text[] = {
			{ "forkband:config", pixels },
			{ "Software", "forkband " FORKBAND_VERSION },
		};
		struct fb_bytes png;
		char what[600];
		uint64_t t0 = fb_now_ns();

		if (!pixels)
			return fb_error("out of memory");
		snprintf(what, sizeof(what), "'%s'", job->png);
		rc = encode_png(job, popt, prog, res, what, out.image ? out.image : &rgb, text,
				FB_ARRAY_LEN(text), &png);
		*encode_s = seconds_since(t0);
		free(pixels);
		if (rc < 0)
			return -1;
		if (opt->hash) {
			res->png_hash = crc32_of(png.data, png.len);
			res->has_png_hash = true;
		}
		rc = opt->no_files ? 0 :
		     fb_outfile_prepare_bytes(&png_out, job->png, png.data, png.len);
		free(png.data);
		if (rc < 0)
			return -1;
	}
	if (job->raw && out.raw && !opt->no_files &&
	    fb_npy_prepare(&raw_out, job->raw, out.raw_descr, out.raw_elem_size, job->height,
			   job->width, out.raw) < 0) {
		fb_outfile_abort(&png_out);
		return -1;
	}
	return fb_outputs_commit(job, opt, &png_out, &raw_out);
}

int fb_outputs_commit(const struct fb_job *job, const struct fb_drive_options *opt,
		      struct fb_outfile *png_out, struct fb_outfile *raw_out)
{
	/* The last moment the deadline is looked at: past it, nothing is renamed. */
	if (opt->deadline_ns && fb_now_ns() >= opt->deadline_ns) {
		fb_outfile_abort(png_out);
		fb_outfile_abort(raw_out);
		return fb_error("%s: the run took longer than --timeout %g s; the job's outputs "
				"were not written", job->label, opt->timeout_s);
	}
	if (png_out->path && fb_outfile_rename(png_out) < 0) {
		fb_outfile_abort(raw_out);
		return -1;
	}
	return raw_out->path ? fb_outfile_rename(raw_out) : 0;
}

/* The largest resident sets so far: this process's, and its largest worker's
 * (getrusage() keeps the maximum over every child waited for). */
static void peak_memory(struct fb_job_result *res)
{
	struct rusage self, children;

	if (getrusage(RUSAGE_SELF, &self) == 0)
		res->peak_parent = (uint64_t)self.ru_maxrss * 1024;
	if (getrusage(RUSAGE_CHILDREN, &children) == 0)
		res->peak_worker = (uint64_t)children.ru_maxrss * 1024;
}

enum fb_drive_status fb_drive_job(const struct fb_job *job, const struct fb_drive_options *dopt,
				  struct fb_progress *prog, struct fb_job_result *res)
{
	static const struct fb_drive_options defaults = { 0 };
	const struct fb_kernel *k = job->kernel;
	struct fb_pool_options opt = {
		.workers = job->workers ? job->workers : fb_usable_cpus(),
		.schedule = job->schedule,
		.chunk = job->chunk,
		.pin = dopt && dopt->pin,
		.deadline_ns = dopt ? dopt->deadline_ns : 0,
		.timeout_s = dopt ? dopt->timeout_s : 0,
	};
	uint64_t start = fb_now_ns(), setup_from = start, t;
	double encode_s = 0;
	void *state = NULL;
	struct fb_image input = { 0 };
	struct fb_pass pass;
	const struct fb_backend *be = dopt && dopt->backend ? dopt->backend : &fb_backend_local;

	memset(res, 0, sizeof(*res));
	res->job = job;
	res->workers = opt.workers;
	res->schedule = opt.schedule;
	if (job->read_s > 0) {
		/* An input decoded when the config was checked (a kernel that does not
		 * stream): its time is the job's. */
		fb_result_add_phase(res, "read", job->read_s);
		start -= (uint64_t)(job->read_s * 1e9);
	}
	if (fb_job_streams(job)) {
		struct fb_strip_plan plan;
		int rc;

		if (fb_strip_plan(job, opt.workers,
				  k->raw_output && (job->raw || (dopt && dopt->hash)), &plan) < 0)
			return FB_DRIVE_SETUP_FAILED;
		res->strip_height = plan.height;
		res->strips = plan.strips;
		res->budget = plan.budget;
		rc = be->stream ? be->stream(be, job, dopt ? dopt : &defaults, &opt, &plan, prog,
					     res, &state)
				: fb_pipeline_run(job, dopt ? dopt : &defaults, &opt, be, &plan, prog,
						  res, &state);
		if (rc == -2) {
			fb_job_result_free(res);
			return FB_DRIVE_SETUP_FAILED;
		}
		if (rc < 0)
			goto failed;
		goto totals;
	}
	if (k->input && !job->input_image.data) {
		/* The whole-image path of a kernel that streams: its input is decoded here. */
		t = fb_now_ns();
		if (fb_png_read_image(job->input, NULL, &input) < 0)
			return FB_DRIVE_RUN_FAILED;
		fb_result_add_phase(res, "read", seconds_since(t));
		setup_from = fb_now_ns();
	}
	if (k->create(&state, job->params, job->width, job->height,
		      !k->input ? NULL : input.data ? &input : &job->input_image) < 0) {
		fb_image_free(&input);
		return FB_DRIVE_SETUP_FAILED;
	}
	fb_result_add_phase(res, "setup", seconds_since(setup_from));

	if (job->frames_every && k->frames)
		k->frames(state, job->frames_every);
	if (fb_kernel_prepare(k, state, prog, res) < 0)
		goto failed;
	for (unsigned i = 0; k->pass(state, i, &pass); i++) {
		/* Every pass's time counts in its phase. */
		struct fb_pass_stats st;

		pass.progress = fb_progress_update;
		pass.notice = fb_progress_notice;
		pass.pctx = prog;
		fb_progress_pass_start(prog);
		t = fb_now_ns();
		if (be->run(be, &opt, &pass, &st) < 0)
			goto failed;
		fb_result_record_pass(res, &pass, &st);
		if (k->after_pass && k->after_pass(state, i) < 0)
			goto failed;
		fb_result_add_phase(res, pass.phase ? pass.phase : pass.name, seconds_since(t));
		if (pass.frame && job->frames_png && !(dopt && dopt->no_files) &&
		    fb_backend_leader(be)) {
			t = fb_now_ns();
			if (write_frame(job, &opt, prog, res, state) < 0)
				goto failed;
			fb_result_add_phase(res, "frames", seconds_since(t));
		}
	}
	fb_progress_clear(prog);

	t = fb_now_ns();
	/* The outputs are one process's to write (rank 0 of an MPI run: the backend has
	 * brought every row to each). */
	if (fb_backend_leader(be) &&
	    write_outputs(job, dopt ? dopt : &defaults, &opt, prog, state, res, &encode_s) < 0)
		goto failed;
	if (job->png)
		fb_result_add_phase(res, "encode", encode_s);
	fb_result_add_phase(res, "write", seconds_since(t) - encode_s);
totals:
	peak_memory(res);
	res->n_totals = k->totals(state, res->total, FB_MAX_TOTALS);
	if (res->n_totals > FB_MAX_TOTALS)
		res->n_totals = FB_MAX_TOTALS;
	/* Array totals point into the kernel's memory, which goes with it: keep copies. */
	for (size_t i = 0; i < res->n_totals; i++) {
		struct fb_total *tot = &res->total[i];
		uint64_t *copy;

		if (!tot->array)
			continue;
		copy = malloc(tot->array_len * sizeof(*copy));
		if (!copy) {
			for (size_t j = i; j < res->n_totals; j++)
				res->total[j].array = NULL;	/* not ours to free */
			fb_error("out of memory");
			goto failed;
		}
		memcpy(copy, tot->array, tot->array_len * sizeof(*copy));
		tot->array = copy;
	}
	res->total_s = seconds_since(start);
	k->destroy(state);
	fb_image_free(&input);
	return FB_DRIVE_OK;
failed:
	fb_progress_clear(prog);
	k->destroy(state);
	fb_image_free(&input);
	fb_job_result_free(res);
	return FB_DRIVE_RUN_FAILED;
}

void fb_job_result_free(struct fb_job_result *res)
{
	for (size_t i = 0; i < res->n_passes; i++)
		fb_pass_stats_free(&res->pass[i]);
	res->n_passes = 0;
	for (size_t i = 0; i < res->n_totals; i++) {
		free((void *)res->total[i].array);
		res->total[i].array = NULL;
	}
	res->n_totals = 0;
	free(res->rank_bands);
	free(res->rank_busy_s);
	res->rank_bands = NULL;
	res->rank_busy_s = NULL;
}

/* The summary's lines break between items to stay within this many columns. */
#define SUMMARY_COLS 100

struct summary {
	char line[1024];
	size_t n;
	bool fresh;	/* nothing on the line yet but its indent: no separator */
};

/* Ends the line so far; what follows starts an indented line. */
static void summary_break(struct summary *s)
{
	fprintf(stderr, "%.*s\n", (int)s->n, s->line);
	s->n = 0;
	fb_appendf(s->line, sizeof(s->line), &s->n, "  ");
	s->fresh = true;
}

/* Appends one item, after sep, or on a new indented line when it would pass
 * SUMMARY_COLS; the line so far goes to stderr. */
FB_PRINTF(3, 4) static void summary_add(struct summary *s, const char *sep, const char *fmt, ...)
{
	char item[512];
	va_list ap;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(item, sizeof(item), fmt, ap);
	va_end(ap);
	len = strlen(item);
	if (!s->fresh && s->n + strlen(sep) + len > SUMMARY_COLS)
		summary_break(s);
	fb_appendf(s->line, sizeof(s->line), &s->n, "%s%s", s->fresh ? "" : sep, item);
	s->fresh = false;
}

static const char *output_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "standard output" : path;
}

/* A job's summary, or with seq a zoom sequence's (res then adds up its frames; chunk is
 * the chunk its passes used). */
static void print_summary(const struct fb_job_result *res, bool in_batch, uint32_t chunk,
			  const struct fb_sequence_summary *seq)
{
	const struct fb_job *job = res->job;
	struct summary s = { .n = 0, .fresh = true };
	char phases[256];
	size_t n = 0;
	const char *files[4];
	size_t n_files = 0;

	/* Every file the job wrote: the PNG, the raw grid, its report, its frames. */
	if (seq) {
		/* A frame writes its PNG alone (config_zoom.c refuses the others). */
		if (seq->done > 1)
			summary_add(&s, "", "wrote %s", output_name(seq->first->png));
		summary_add(&s, seq->done > 1 ? " to " : "", "%s%s", seq->done > 1 ? "" : "wrote ",
			    output_name(job->png));
		if (seq->done < job->origin.frames)	/* the run stopped in the sequence */
			summary_add(&s, " ", "(%zu of %" PRIu32 " frames):", seq->done,
				    job->origin.frames);
		else
			summary_add(&s, " ", "(%zu frames):", seq->done);
		n_files = 1;
	} else {
		if (job->png)
			files[n_files++] = output_name(job->png);
		if (job->raw)
			files[n_files++] = output_name(job->raw);
		if (job->report)
			files[n_files++] = output_name(job->report);
		if (job->frames_png)
			files[n_files++] = job->frames_png;
		for (size_t i = 0; i < n_files; i++)
			summary_add(&s, i == 0 ? "" : i + 1 < n_files ? ", " : " and ", "%s%s%s%s",
				    i == 0 ? "wrote " : "", files[i] == job->frames_png ? "frames " : "",
				    files[i], i + 1 == n_files ? ":" : "");
	}
	if (!n_files)
		summary_add(&s, "", "%s:", job->label);
	summary_add(&s, " ", "%ux%u %s in %.2f s", job->width, job->height, job->kernel->name,
		    res->total_s);
	/* Phases that took under 5 ms would show as 0.00: the report has them. */
	phases[0] = '\0';
	for (size_t i = 0; i < res->n_phases; i++)
		if (res->phase[i].seconds >= 0.005)
			fb_appendf(phases, sizeof(phases), &n, "%s%s %.2f", n ? ", " : "",
				   res->phase[i].name, res->phase[i].seconds);
	if (n)
		summary_add(&s, " ", "(%s)", phases);
	/* How it ran and what it found, on a line of their own. */
	summary_break(&s);
	if (res->ranks > 1)
		summary_add(&s, ", ", "%u ranks x %u worker%s, %.1f%% of the unencoded image sent to "
			    "rank 0", res->ranks, res->workers, res->workers == 1 ? "" : "s",
			    res->bytes_unencoded ? 100.0 * (double)res->bytes_received /
						   (double)res->bytes_unencoded : 0.0);
	else
		summary_add(&s, ", ", "%u worker%s", res->workers, res->workers == 1 ? "" : "s");
	summary_add(&s, ", ", "%s chunk %u", fb_schedule_name(res->schedule), chunk);
	if (seq && seq->done > 1)
		summary_add(&s, "; ", "%.2f to %.2f s a frame", seq->min_s, seq->max_s);
	for (size_t i = 0; i < res->n_totals; i++) {
		const struct fb_total *t = &res->total[i];
		const char *sep = i ? ", " : "; ";

		if (t->array)	/* lists are for the report */
			continue;
		if (t->is_real)
			summary_add(&s, sep, "%s %.6g", t->name, t->d);
		else	/* a sequence's: its frames' added up */
			summary_add(&s, sep, "%s%s %llu", seq && i == 0 ? "in all: " : "", t->name,
				    (unsigned long long)t->u);
	}
	if (res->recoveries)
		summary_add(&s, "; ", "%u worker failure%s recovered", res->recoveries,
			    res->recoveries == 1 ? "" : "s");
	/* A batch refuses -o (one file cannot hold several jobs' pictures). */
	if (!n_files)
		summary_add(&s, " ", "%s", in_batch ? "(no output asked for)" :
			    "(no output asked for: -o FILE writes the PNG)");
	fprintf(stderr, "%.*s\n", (int)s.n, s.line);
}

void fb_print_summary(const struct fb_job_result *res, bool in_batch)
{
	print_summary(res, in_batch, res->n_passes ? res->pass[0].chunk : 0, NULL);
}

void fb_sequence_add(struct fb_sequence_summary *seq, const struct fb_job_result *res)
{
	struct fb_job_result *sum = &seq->sum;

	if (seq->done == 0) {
		seq->first = res->job;
		seq->min_s = seq->max_s = res->total_s;
	}
	seq->done++;
	if (res->total_s < seq->min_s)
		seq->min_s = res->total_s;
	if (res->total_s > seq->max_s)
		seq->max_s = res->total_s;
	/* The frames share their settings: the last one's stand for all. */
	sum->job = res->job;
	sum->workers = res->workers;
	sum->schedule = res->schedule;
	sum->ranks = res->ranks;
	if (res->n_passes)
		seq->chunk = res->pass[0].chunk;
	sum->total_s += res->total_s;
	sum->recoveries += res->recoveries;
	sum->bytes_received += res->bytes_received;
	sum->bytes_unencoded += res->bytes_unencoded;
	for (size_t i = 0; i < res->n_phases; i++)
		fb_result_add_phase(sum, res->phase[i].name, res->phase[i].seconds);
	/* Counts add up (pixels, iterations); a real (an area, a mean) does not, and a
	 * list is the report's. */
	for (size_t i = 0; i < res->n_totals; i++) {
		const struct fb_total *t = &res->total[i];
		size_t j = 0;

		if (t->is_real || t->array)
			continue;
		while (j < sum->n_totals && strcmp(sum->total[j].name, t->name) != 0)
			j++;
		if (j == sum->n_totals) {
			if (j == FB_MAX_TOTALS)
				continue;
			sum->total[sum->n_totals++] = (struct fb_total){ .name = t->name };
		}
		sum->total[j].u += t->u;
	}
}

void fb_print_sequence_summary(const struct fb_sequence_summary *seq)
{
	if (seq->done)
		print_summary(&seq->sum, true, seq->chunk, seq);
}

/* The first number in a file, or false (also for "max", no limit). */
static bool read_number(const char *path, unsigned long long *out)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%llu", out) == 1;
	fclose(f);
	return ok;
}

/* Lowers *avail to the room left under the memory limits of this process's cgroup and
 * its ancestors: cgroup v2 (memory.max - memory.current) and v1's memory controller
 * (memory.limit_in_bytes - memory.usage_in_bytes; that usage counts page cache too, so
 * the room is understated there). In a container MemAvailable is the host's. */
static void cgroup_room(size_t *avail)
{
	char line[4096];
	FILE *f = fopen("/proc/self/cgroup", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *ctrl = strchr(line, ':'), *path = ctrl ? strchr(ctrl + 1, ':') : NULL;
		const char *base, *max_name, *cur_name;
		bool v2;

		if (!path)
			continue;
		*ctrl = '\0';
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		v2 = strcmp(line, "0") == 0 && ctrl[1] == '\0';
		if (!v2 && !strstr(ctrl + 1, "memory"))
			continue;
		base = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
		max_name = v2 ? "memory.max" : "memory.limit_in_bytes";
		cur_name = v2 ? "memory.current" : "memory.usage_in_bytes";
		/* This cgroup, then each parent up to the root. */
		for (;;) {
			char file[4400];
			unsigned long long limit, used;

			snprintf(file, sizeof(file), "%s%s/%s", base, path, max_name);
			if (read_number(file, &limit) && limit < (1ull << 60)) {
				snprintf(file, sizeof(file), "%s%s/%s", base, path, cur_name);
				if (read_number(file, &used)) {
					unsigned long long room = limit > used ? limit - used : 0;

					if (room < *avail)
						*avail = (size_t)room;
				}
			}
			if (!*path || strcmp(path, "/") == 0)
				break;
			*strrchr(path, '/') = '\0';
		}
	}
	fclose(f);
}

size_t fb_available_memory(void)
{
	const char *fake = getenv("FORKBAND_TEST_MEMAVAILABLE");
	unsigned long long kib;
	size_t bytes = SIZE_MAX;
	char line[256];
	FILE *f;

	if (fake && *fake)
		return (size_t)strtoull(fake, NULL, 10);
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return SIZE_MAX;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1 &&
		    kib < SIZE_MAX / 1024) {
			bytes = (size_t)kib * 1024;
			break;
		}
	fclose(f);
	if (bytes != SIZE_MAX)
		cgroup_room(&bytes);
	return bytes;
}

int fb_job_needs(const struct fb_job *job, size_t *need, struct fb_strip_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	*need = job->footprint;
	if (!fb_job_streams(job))
		return 0;
	/* The strips the budget allows; refused if not even one row fits. */
	if (fb_strip_plan(job, job->workers ? job->workers : fb_usable_cpus(), job->raw != NULL,
			  plan) < 0)
		return -1;
	*need = plan->footprint;
	return 0;
}

int fb_check_memory(const struct fb_batch *batch, bool force)
{
	size_t avail = fb_available_memory();

	for (size_t j = 0; j < batch->n; j++) {
		const struct fb_job *job = &batch->job[j];
		struct fb_strip_plan plan;
		size_t need;

		if (fb_job_needs(job, &need, &plan) < 0)
			return -1;
		if (!force && avail != SIZE_MAX && need > avail) {
			char a[32], b[32];

			fb_format_size(a, sizeof(a), (double)need);
			fb_format_size(b, sizeof(b), (double)avail);
			return fb_error("%s: job needs %s of memory; %s is available (--force "
					"runs it anyway)", job->label, a, b);
		}
	}
	return 0;
}

void fb_set_config_policy(bool force, const struct fb_backend *be)
{
	size_t avail = force ? SIZE_MAX : fb_available_memory();
	struct fb_config_policy p = {
		.force = force,
		.input_budget = avail == SIZE_MAX ? 0 : (uint64_t)avail,
		/* Several processes (MPI ranks): rank 0's stdout is mpirun's relay. */
		.stdout_relayed = be && be->agree,
	};

	fb_config_set_policy(&p);
}

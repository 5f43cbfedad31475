/* pipeline.c: a job as stages over strips (pipeline.h says which and why). */
#include "runtime/compat.h"

#include "pipeline.h"

#include "instream.h"

#include "io/npy.h"
#include "io/outfile.h"
#include "io/png_encode.h"
#include "runtime/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* One streamed job: what every stage shares. Copied into each worker at fork. */
struct stream {
	const struct fb_job *job;
	void *state;
	struct fb_pass kpass;		/* the kernel's pass that carries the tasks */
	struct fb_png_groups enc;	/* the PNG's groups (png only) */
	bool png;
	uint32_t first_group;		/* the group of this pass's task 0 */
	struct fb_instream *in;		/* the read stage (input kernels), and the row */
	uint32_t ahead_to;		/* it decodes up to while the strip's passes run */

	/* Parent only: the one progress bar of the whole job, counted in rows of work
	 * (each row is made once, encoded once and, with a histogram, counted before) and
	 * shown as the image's rows. */
	struct fb_progress *prog;
	struct fb_pass shown;
	uint64_t done_before;		/* rows of work of the passes before this one */
	uint64_t pass_units;		/* rows of work of this pass */
	uint64_t units;			/* rows of work of the whole job */
	FILE *png_f, *raw_f;		/* the outputs being appended to, flushed before a
					 * pass forks */
};

static void strip_compute(void *ctx, uint32_t y0, uint32_t y1, void *partial)
{
	struct stream *st = ctx;

	st->kpass.compute(st->kpass.ctx, y0, y1, partial);
}

static void strip_fold(void *ctx, const void *partial)
{
	struct stream *st = ctx;

	st->kpass.fold(st->kpass.ctx, partial);
}

static void encode_task(void *ctx, uint32_t i)
{
	struct stream *st = ctx;

	fb_png_groups_encode(&st->enc, st->first_group + i, st->first_group + i + 1);
}

static void progress(void *pctx, const struct fb_pass *pass, uint64_t done)
{
	struct stream *st = pctx;
	uint64_t all = (uint64_t)pass->rows + pass->tasks;

	/* Shown in rows of the image: the share of all the work done, times the height. */
	if (all && st->units)
		fb_progress_update(st->prog, &st->shown,
				   (st->done_before + st->pass_units * done / all) * st->shown.rows /
					   st->units);
}

/* The parent's work during a strip's passes: the next strip's input rows. */
static bool read_ahead(void *pctx)
{
	struct stream *st = pctx;

	return fb_instream_ahead(st->in, st->ahead_to, 8);
}

static void notice(void *pctx, const char *msg)
{
	struct stream *st = pctx;

	fb_progress_notice(st->prog, msg);
}

/* Runs one pass on the backend and counts its time in its phase. */
static int run_pass(struct stream *st, const struct fb_backend *be,
		    const struct fb_pool_options *popt, struct fb_pass *pass, uint64_t units,
		    struct fb_job_result *res)
{
	struct fb_pass_stats stats;
	uint64_t t0 = fb_now_ns();

	pass->progress = progress;
	pass->notice = notice;
	pass->pctx = st;
	/* No unwritten bytes of an output may be inherited by the workers: a child that
	 * flushed its stdio on exit (valgrind's freeres does) would write them twice. */
	if ((st->png_f && fflush(st->png_f) != 0) || (st->raw_f && fflush(st->raw_f) != 0))
		return fb_error_errno("cannot write the output of '%s'", st->job->label);
	st->pass_units = units;
	if (be->run(be, popt, pass, &stats) < 0)
		return -1;
	fb_result_record_pass(res, pass, &stats);
	fb_result_add_phase(res, pass->phase ? pass->phase : pass->name,
			    (double)(fb_now_ns() - t0) / 1e9);
	st->done_before += units;
	return 0;
}

/* The groups whose rows all lie above row y. */
static uint32_t groups_before(const struct fb_png_groups *e, uint32_t y)
{
	return y >= e->img->height ? e->n : y / e->group_rows;
}

/* A broken input, found as it is read, is bad input like a config error: one line that
 * names the job's field. */
static int input_error(const struct fb_job *job, const struct fb_error_capture *cap)
{
	return fb_error("%s: input: %s", job->label, cap->msg);
}

/* Points the kernel at the input rows strip [y0, y1) reads, decoding them. */
static int feed_strip(struct stream *st, struct fb_instream *in, uint32_t y0, uint32_t y1,
		      struct fb_job_result *res)
{
	const struct fb_kernel *k = st->job->kernel;
	struct fb_strip_input want;
	int64_t h = st->job->height;
	double before = in->seconds;

	k->strip_input(st->state, y0, y1, &want);
	for (int64_t v = want.lo; v < want.hi; v++) {
		const void *row = fb_instream_row(in, (uint32_t)(((v % h) + h) % h));

		if (!row)
			return -1;	/* a broken file: reported by fb_instream_row() */
		want.rows[v - want.lo] = row;
	}
	fb_result_add_phase(res, "read", in->seconds - before);
	return 0;
}

/* Strip [y0, y1): the kernel's passes over its rows; the first also compresses, as
 * tasks, the groups the strips before completed (up to g1). */
static int run_strip(struct stream *st, const struct fb_backend *be,
		     const struct fb_pool_options *popt, const struct fb_strip_plan *plan,
		     uint32_t y0, uint32_t y1, uint32_t g1, struct fb_job_result *res)
{
	const struct fb_kernel *k = st->job->kernel;
	uint32_t g0 = st->first_group;
	unsigned passes = 0;
	struct fb_pass pass;

	if (st->png && g1 > g0) {
		/* Every row the groups read, and the strip's rows, fit the ring at once; and
		 * every group has a slot. The planner sized both for this. */
		if (y1 - fb_png_group_first_row(&st->enc, g0) > plan->shape.ring ||
		    g1 - g0 > plan->slots)
			FB_BUG("strip %u-%u: groups %u-%u overrun the ring of %u rows or %u slots",
			       y0, y1, g0, g1, plan->shape.ring, plan->slots);
	}
	while (k->strip_pass(st->state, passes, y0, y1, &pass))
		passes++;
	for (unsigned i = 0; i < passes && k->strip_pass(st->state, i, y0, y1, &pass); i++) {
		/* Its work in rows of the image: the strip's rows shared among its passes,
		 * and the groups' rows. */
		uint64_t units = (uint64_t)(y1 - y0) * (i + 1) / passes -
				 (uint64_t)(y1 - y0) * i / passes;

		if (i == 0 && st->png && g1 > g0) {
			st->kpass = pass;
			pass.ctx = st;
			pass.compute = strip_compute;
			pass.fold = st->kpass.fold ? strip_fold : NULL;
			pass.tasks = g1 - g0;
			pass.task = encode_task;
			pass.task_unit = "group";
			pass.task_origin = g0;
			units += fb_png_group_end_row(&st->enc, g1 - 1) -
				 (uint64_t)g0 * st->enc.group_rows;
		}
		pass.row_origin = y0;
		if (st->in)
			pass.parent_work = read_ahead;
		if (!pass.phase)
			pass.phase = "compute";
		/* Default chunks are sized from the pass's rows, as a whole image's are. */
		if (run_pass(st, be, popt, &pass, units, res) < 0)
			return -1;
	}
	return 0;
}

static int put_bytes(void *vo, const void *p, size_t n)
{
	struct fb_stream_out *o = vo;

	if (o->hash)
		o->crc = crc32(o->crc, p, (uInt)n);	/* n is at most an IDAT chunk or a header */
	if (o->png.path && fwrite(p, 1, n, o->png.f) != n)
		return fb_error_errno("cannot write '%s'", o->png.path);
	return 0;
}

int fb_stream_out_open(struct fb_stream_out *o, const struct fb_job *job,
		       const struct fb_drive_options *dopt, const struct fb_png_groups *enc,
		       const char *what, const struct fb_kernel_output *out)
{
	memset(o, 0, sizeof(*o));
	o->hash = dopt->hash;
	o->crc = crc32(0L, Z_NULL, 0);
	if (enc) {
		struct fb_png_text text[] = {
			{ "forkband:config", NULL },
			{ "Software", "forkband " FORKBAND_VERSION },
		};

		if (!(o->pixels = fb_job_pixels_json(job)))
			return fb_error("out of memory");
		text[0].text = o->pixels;
		if (!dopt->no_files && fb_outfile_open(&o->png, job->png) < 0)
			return -1;
		if (fb_png_stream_begin(&o->ps, enc, what, text, FB_ARRAY_LEN(text), put_bytes,
					o) < 0)
			return -1;
	}
	if (out && job->raw && !dopt->no_files &&
	    fb_npy_begin(&o->raw, job->raw, out->raw_descr, job->height, job->width) < 0)
		return -1;
	return 0;
}

int fb_stream_out_commit(struct fb_stream_out *o, const struct fb_job *job,
			 const struct fb_drive_options *dopt)
{
	if ((o->ps.e && fb_png_stream_end(&o->ps) < 0) ||
	    (o->png.path && fb_outfile_finish(&o->png) < 0) ||
	    (o->raw.path && fb_outfile_finish(&o->raw) < 0))
		return -1;
	return fb_outputs_commit(job, dopt, &o->png, &o->raw);
}

void fb_stream_out_close(struct fb_stream_out *o)
{
	fb_png_stream_free(&o->ps);
	free(o->pixels);
	o->pixels = NULL;
	fb_outfile_abort(&o->png);
	fb_outfile_abort(&o->raw);
}

int fb_pipeline_run(const struct fb_job *job, const struct fb_drive_options *dopt,
		    const struct fb_pool_options *popt, const struct fb_backend *be,
		    const struct fb_strip_plan *plan, struct fb_progress *prog,
		    struct fb_job_result *res, void **state_out)
{
	const struct fb_kernel *k = job->kernel;
	struct stream st = { .job = job, .prog = prog };
	struct fb_kernel_output out;
	struct fb_image img;
	struct fb_stream_out o;
	struct fb_instream input = { 0 };
	uLong raw_crc = crc32(0L, Z_NULL, 0);
	bool raw, raw_file = job->raw && !dopt->no_files;
	char what[600];
	uint64_t t0 = fb_now_ns(), t_prep, hist_rows = 0;
	double write_s = 0;
	struct fb_pass pass;
	bool bad_input = false;
	uint32_t want_halo = 0;
	struct fb_error_capture cap;
	int rc = -1;

	*state_out = NULL;
	if (k->create_strips(&st.state, job->params, job->width, job->height,
			     k->input ? &job->input_image : NULL, &plan->shape) < 0)
		return -1;
	k->output(st.state, &out);
	raw = plan->shape.raw_ring != 0 && out.raw;	/* a filter has no raw grid */
	st.png = job->png != NULL;
	snprintf(what, sizeof(what), "'%s'", job->png ? job->png : job->label);
	img = out.image ? *out.image : (struct fb_image){ job->width, job->height, 3, 8,
							  (void *)out.rgb };
	if (st.png && fb_png_groups_init_ring(&st.enc, what, &img, &job->png_set,
					      plan->shape.ring, plan->slots) < 0)
		goto out;
	for (unsigned i = 0; k->pass(st.state, i, &pass); i++)
		hist_rows += pass.rows;
	st.shown = (struct fb_pass){ .name = "stream", .rows = job->height };
	st.units = hist_rows + (st.png ? 2 : 1) * (uint64_t)job->height;

	/* The kernel's serial work (deep zoom's reference orbit), before any output is
	 * opened: a failure there leaves nothing half-written, not even on stdout. Its
	 * time is its own phase's, not setup's. */
	t_prep = fb_now_ns();
	if (fb_kernel_prepare(k, st.state, prog, res) < 0)
		goto out;
	t0 += fb_now_ns() - t_prep;
	/* The outputs' temporary files, from the first byte. */
	if (fb_stream_out_open(&o, job, dopt, st.png ? &st.enc : NULL, what,
			       raw ? &out : NULL) < 0)
		goto out;
	st.png_f = o.png.f;
	st.raw_f = o.raw.f;
	if (k->strip_input) {
		/* The read stage: a window of the strip's rows and their halo. */
		struct fb_strip_input want;

		k->strip_input(st.state, 0, plan->height, &want);
		fb_error_capture_begin(&cap);
		st.in = &input;
		want_halo = want.halo;
		bad_input = fb_instream_open(&input, job->input, &job->input_image,
					     2 * plan->height + 2 * want.halo, want.halo,
					     want.wrap, plan->budget) < 0;
		fb_error_capture_end(&cap);
		if (bad_input) {
			input_error(job, &cap);
			goto out;
		}
		fb_result_add_phase(res, "read", input.seconds);
	}
	fb_result_add_phase(res, "setup", (double)(fb_now_ns() - t0) / 1e9 - input.seconds);
	input.seconds = 0;

	fb_progress_pass_start(prog);
	/* Before the strips: the passes over the whole image that keep no rows. */
	for (unsigned i = 0; k->pass(st.state, i, &pass); i++) {
		if (run_pass(&st, be, popt, &pass, pass.rows, res) < 0 ||
		    (k->after_pass && k->after_pass(st.state, i) < 0))
			goto out;
	}
	for (uint32_t y0 = 0; y0 < job->height; y0 += plan->height) {
		uint32_t y1 = job->height - y0 > plan->height ? y0 + plan->height : job->height;
		uint32_t g1 = st.png ? groups_before(&st.enc, y0) : 0;
		uint64_t tw;

		if (k->strip_input) {
			fb_error_capture_begin(&cap);
			bad_input = feed_strip(&st, &input, y0, y1, res) < 0;
			fb_error_capture_end(&cap);
			if (bad_input) {
				input_error(job, &cap);
				goto out;
			}
		}
		/* While the strip's passes run, the parent decodes the next strip's rows (a
		 * ring of two strips and the halo has room for them). */
		st.ahead_to = (uint32_t)((uint64_t)y1 + plan->height + want_halo < job->height
					 ? y1 + plan->height + want_halo : job->height);
		if (run_strip(&st, be, popt, plan, y0, y1, g1, res) < 0)
			goto out;
		/* Append what the pass finished: the groups, then the strip's raw rows. */
		tw = fb_now_ns();
		if (st.png && fb_png_stream_append(&o.ps, g1) < 0)
			goto out;
		st.first_group = g1;
		if (raw) {
			const uint8_t *rows = (const uint8_t *)out.raw +
					      (size_t)(y0 % plan->shape.raw_ring) * job->width *
						      out.raw_elem_size;
			size_t n = (size_t)(y1 - y0) * job->width;

			if (dopt->corrupt && y0 == 0)
				((uint8_t *)out.raw)[0] ^= 1;
			if (dopt->hash)
				raw_crc = fb_crc32_more(raw_crc, rows, (uint64_t)n * out.raw_elem_size);
			if (raw_file && fb_npy_append(&o.raw, out.raw_elem_size, n, rows) < 0) {
				fb_outfile_finish(&o.raw);	/* reports the write error */
				goto out;
			}
		}
		write_s += (double)(fb_now_ns() - tw) / 1e9;
	}
	if (st.png) {
		/* The groups of the last strip: a pass of tasks only. */
		struct fb_pass last = {
			.name = "encode", .phase = "encode", .unit = "groups", .ctx = &st,
			.compute = strip_compute, .tasks = st.enc.n - st.first_group,
			.task = encode_task, .task_unit = "group", .task_origin = st.first_group,
		};
		struct fb_pool_options opt = *popt;
		uint64_t tw;

		if (last.tasks && run_pass(&st, be, &opt, &last,
					   job->height - st.first_group * st.enc.group_rows, res) < 0)
			goto out;
		tw = fb_now_ns();
		if (fb_png_stream_append(&o.ps, st.enc.n) < 0)
			goto out;
		write_s += (double)(fb_now_ns() - tw) / 1e9;
	}
	fb_progress_clear(prog);
	t0 = fb_now_ns();
	rc = fb_stream_out_commit(&o, job, dopt);
	fb_result_add_phase(res, "write", write_s + (double)(fb_now_ns() - t0) / 1e9);
	if (dopt->hash) {
		res->png_hash = (uint32_t)o.crc;
		res->has_png_hash = st.png;
		res->raw_hash = (uint32_t)raw_crc;
		res->has_raw_hash = raw;
	}
out:
	fb_progress_clear(prog);
	fb_instream_close(&input);
	fb_stream_out_close(&o);
	fb_png_groups_free(&st.enc);
	if (rc < 0) {
		k->destroy(st.state);
		return bad_input ? -2 : -1;
	}
	*state_out = st.state;
	return 0;
}

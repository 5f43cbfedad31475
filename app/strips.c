/* strips.c: the strip planner (strips.h says what a strip holds). */
#include "runtime/compat.h"

#include "strips.h"

#include "driver.h"
#include "io/png_encode.h"
#include "runtime/error.h"
#include "runtime/shared_mem.h"

#include <stdlib.h>
#include <string.h>

bool fb_job_streams(const struct fb_job *job)
{
	const char *whole = getenv("FORKBAND_TEST_WHOLE_IMAGE");

	return job->kernel->create_strips && !(whole && *whole == '1');
}

/* The default budget: FB_DEFAULT_MEMORY, or half the memory available if less. */
static uint64_t default_budget(void)
{
	size_t avail = fb_available_memory();

	if (avail != SIZE_MAX && avail / 2 < FB_DEFAULT_MEMORY)
		return avail / 2;
	return FB_DEFAULT_MEMORY;
}

/* The rows of the image ring for strips of h rows: the strip being computed, the one
 * before it, and the most a group still to be encoded reaches back beyond that (a group
 * that started in the strip before last, and the 32 KiB before it). See pipeline.c. */
static uint32_t ring_rows(uint32_t h, uint32_t height, uint32_t group_rows, uint32_t dict_rows)
{
	uint64_t r = 2 * (uint64_t)h + group_rows + dict_rows + 1;

	return r < height ? (uint32_t)r : height;
}

struct cost {
	const struct fb_job *job;
	const struct fb_image *input;	/* the input's header, or NULL */
	size_t image_row, in_row;
	size_t slot;		/* one compressed group */
	size_t per_worker;	/* a worker's encoder scratch */
	uint32_t group_rows, dict_rows;
	unsigned workers;
	bool raw, png;
};

/* Bytes of a plan with strips of h rows; SIZE_MAX when that overflows or cannot be
 * mapped. The kernel's own buffers come from creating its state for that shape (which
 * maps memory without touching it). */
static size_t plan_bytes(const struct cost *c, uint32_t h, struct fb_strip_plan *out)
{
	const struct fb_job *job = c->job;
	const struct fb_kernel *k = job->kernel;
	uint32_t ring = ring_rows(h, job->height, c->group_rows, c->dict_rows);
	uint64_t slots = (uint64_t)h / c->group_rows + 2, groups;
	struct fb_strip_shape shape = { h, ring, c->raw ? h : 0 };
	size_t sum, part;
	void *state;

	struct fb_error_capture cap;
	int rc;

	fb_error_capture_begin(&cap);	/* a size that cannot be mapped is just too big */
	rc = k->create_strips(&state, job->params, job->width, job->height, c->input, &shape);
	fb_error_capture_end(&cap);
	if (rc < 0)
		return SIZE_MAX;
	sum = k->footprint(state);
	if (k->strip_input) {
		/* The input rows a strip reads, decoded and held by the read stage; where
		 * the kernel wraps, also the rows it wraps to at each end. */
		struct fb_strip_input in;
		uint64_t rows;

		k->strip_input(state, 0, h < job->height ? h : job->height, &in);
		/* A window, a strip's rows more to decode the next strip's meanwhile, and
		 * the ends kept for wrap. */
		rows = 2 * (uint64_t)h + 2 * (uint64_t)in.halo + (in.wrap ? 2 * (uint64_t)in.halo : 0);
		if (!fb_size_mul((size_t)rows, c->in_row + sizeof(void *), &part) ||
		    !fb_size_add(sum, part, &sum))
			sum = SIZE_MAX;
	}
	k->destroy(state);
	groups = job->height / c->group_rows + 1;
	if (c->png &&
	    (!fb_size_mul((size_t)slots, c->slot, &part) || !fb_size_add(sum, part, &sum) ||
	     !fb_size_mul(c->workers, c->per_worker, &part) || !fb_size_add(sum, part, &sum) ||
	     !fb_size_add(sum, (size_t)groups * sizeof(struct fb_png_group), &sum)))
		return SIZE_MAX;
	if (out) {
		out->height = h;
		out->strips = (uint32_t)(((uint64_t)job->height + h - 1) / h);
		out->shape = shape;
		out->slots = (uint32_t)slots;
		out->footprint = sum;
	}
	return sum;
}

int fb_strip_plan(const struct fb_job *job, unsigned workers, bool raw,
		  struct fb_strip_plan *plan)
{
	const struct fb_kernel *k = job->kernel;
	uint64_t budget = job->memory;
	struct fb_strip_shape one = { 1, 1, raw ? 1 : 0 };
	struct cost c = { .job = job, .workers = workers, .raw = raw, .png = job->png != NULL,
			  .input = k->input ? &job->input_image : NULL };
	struct fb_kernel_output o;
	size_t stride;
	void *state;
	uint32_t lo = 1, hi = job->height;
	const char *forced = getenv("FORKBAND_TEST_STRIP_ROWS");

	memset(plan, 0, sizeof(*plan));
	/* The output's row: from a state of one-row strips. */
	if (k->create_strips(&state, job->params, job->width, job->height, c.input, &one) < 0)
		return -1;
	k->output(state, &o);
	if (o.image)
		fb_image_sizes(o.image->width, 1, o.image->channels, o.image->depth, &c.image_row,
			       NULL);
	else
		c.image_row = (size_t)job->width * 3;
	k->destroy(state);
	if (c.input)
		fb_image_sizes(c.input->width, 1, c.input->channels, c.input->depth, &c.in_row,
			       NULL);
	fb_png_group_shape(c.image_row, &c.group_rows, &c.dict_rows);
	c.slot = fb_png_slot_bytes(c.image_row);
	stride = c.image_row + 1;
	/* A worker encodes from a group's rows filtered (or the 32 KiB before it), two
	 * swapped rows and the adaptive filter's five trial rows, and zlib's state. */
	c.per_worker = (size_t)(c.group_rows > c.dict_rows ? c.group_rows : c.dict_rows) * stride +
		       8 * c.image_row + FB_STRIP_ZLIB_BYTES;
	plan->minimum = plan_bytes(&c, 1, NULL);
	/* The default never refuses a job that one row could run: the memory check
	 * (driver.h) then says whether the machine has that much. */
	if (!budget) {
		budget = default_budget();
		if (budget < plan->minimum)
			budget = plan->minimum;
	}
	if (plan->minimum == SIZE_MAX || plan->minimum > budget) {
		char need[32], have[32];

		fb_format_size(need, sizeof(need), (double)plan->minimum);
		fb_format_size(have, sizeof(have), (double)budget);
		if (plan->minimum == SIZE_MAX)
			return fb_error("%s: a %ux%u image is too large for this machine's "
					"address space", job->label, job->width, job->height);
		return fb_error("%s: the smallest strip (one row, with the rows its PNG groups "
				"and filters reach to) needs %s of memory, more than the budget of "
				"%s: run.memory or --memory must be at least %lluK", job->label,
				need, have, (unsigned long long)((plan->minimum + 1023) / 1024));
	}
	/* The tallest strip that fits: the bytes grow with the height. (The tests may fix
	 * the height instead, to cut the same image in strips of 1, 7 or 64 rows.) */
	if (forced && *forced) {
		lo = (uint32_t)strtoul(forced, NULL, 10);
		hi = lo = lo < job->height ? lo : job->height;
	}
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo + 1) / 2;

		if (plan_bytes(&c, mid, NULL) <= budget)
			lo = mid;
		else
			hi = mid - 1;
	}
	if (plan_bytes(&c, lo, plan) == SIZE_MAX)
		return fb_error("%s: cannot map the buffers of strips of %u rows", job->label, lo);
	plan->budget = budget;
	plan->minimum = plan_bytes(&c, 1, NULL);
	return 0;
}

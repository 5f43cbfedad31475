/* pipeline.h: a job as a pipeline of stages over strips of rows.
 *
 * For kernels that can make rows strip by strip (kernel.h: create_strips), the image is
 * never whole in memory. The strip planner (strips.h) sizes the strips from the budget;
 * then, on the backend's workers:
 *
 *   before   the kernel's passes over the whole image that keep no rows (a histogram);
 *   strip k  one pass: the rows of strip k are computed and coloured into the ring, and,
 *            as tasks of the same pass, the PNG groups that the strips before k completed
 *            are filtered and compressed: strip k is computed while strip k-1 is
 *            encoded;
 *   append   between passes the parent appends those groups to the PNG's temporary
 *            file and strip k's raw rows to the .npy's;
 *   after    one pass of tasks encodes the groups of the last strip; the files are
 *            finished and renamed into place together, as a whole-image job's are.
 *
 * State that crosses strips is named: the kernel's totals (folded strip after strip, in
 * the pass's copied state), its histogram (made before the strips), the PNG stream's
 * Adler-32 and IDAT chunk (carried by the parent), and the rows a group reaches back to
 * (kept in the ring until the group is encoded). The bytes do not depend on the strip
 * height: the PNG groups are cut by bytes of the whole image, the .npy is rows in order.
 */
#ifndef FORKBAND_PIPELINE_H
#define FORKBAND_PIPELINE_H

#include "runtime/compat.h"

#include "backend.h"
#include "driver.h"
#include "strips.h"

#include "io/outfile.h"
#include "io/png_encode.h"

/* A streamed job's outputs, appended in row order: the PNG's temporary file, fed by a
 * stream over the groups of an encoder, and the .npy's (both unnamed until committed).
 * Shared by this pipeline and the MPI backend's rank 0. */
struct fb_stream_out {
	struct fb_outfile png, raw;
	struct fb_png_stream ps;
	bool hash;		/* keep the CRC-32 of the PNG's bytes */
	unsigned long crc;
	char *pixels;		/* the PNG's forkband:config text */
};

/* Opens the outputs (none when dopt->no_files) and writes the PNG's header: a PNG when
 * enc is not NULL, a .npy when out is not NULL and the job asks for one. 0, or -1 after
 * reporting. */
int fb_stream_out_open(struct fb_stream_out *o, const struct fb_job *job,
		       const struct fb_drive_options *dopt, const struct fb_png_groups *enc,
		       const char *what, const struct fb_kernel_output *out);

/* Once every group is appended (fb_png_stream_append(&o->ps, ...)) and every raw row
 * (fb_npy_append(&o->raw, ...)): ends the PNG, finishes both files and renames them into
 * place (fb_outputs_commit()). 0, or -1 after reporting. */
int fb_stream_out_commit(struct fb_stream_out *o, const struct fb_job *job,
			 const struct fb_drive_options *dopt);

/* Frees; removes what was not committed. */
void fb_stream_out_close(struct fb_stream_out *o);

/* Runs job as planned, writing its outputs (unless dopt->no_files). On success *state is
 * the kernel's state, for its totals (the caller destroys it). 0, or after reporting
 * (nothing is left at the output paths) -2 when the input file turned out broken as it
 * was read (bad input, as a config error is), else -1. */
int fb_pipeline_run(const struct fb_job *job, const struct fb_drive_options *dopt,
		    const struct fb_pool_options *popt, const struct fb_backend *be,
		    const struct fb_strip_plan *plan, struct fb_progress *prog,
		    struct fb_job_result *res, void **state);

#endif

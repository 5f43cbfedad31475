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

/* Runs job as planned, writing its outputs (unless dopt->no_files). On success *state is
 * the kernel's state, for its totals (the caller destroys it). 0, or after reporting
 * (nothing is left at the output paths) -2 when the input file turned out broken as it
 * was read (bad input, as a config error is), else -1. */
int fb_pipeline_run(const struct fb_job *job, const struct fb_drive_options *dopt,
		    const struct fb_pool_options *popt, const struct fb_backend *be,
		    const struct fb_strip_plan *plan, struct fb_progress *prog,
		    struct fb_job_result *res, void **state);

#endif

/* backend_mpi.h: jobs across MPI ranks (forkband-mpi only; docs/mpi.md).
 *
 * Every rank runs the same command line on the same config. The whole-image kernels
 * (matmul, heat) run each pass on one block of rows a rank, then gather the rows and
 * the chunk partials on every rank (heat also swaps halo rows and its largest change
 * after every step). A streamed job's rows are
 * cut into bands of whole PNG groups; rank 0 hands the bands out one at a time to the
 * ranks that ask (itself included), like the local `dynamic` schedule one level up.
 * A rank computes its band on its own pool of fork()ed workers (its local schedule
 * shares the band's rows among them), together with the rows before the band that the
 * band's first group reaches back to (the 32 KiB deflate dictionary and the row above:
 * recomputed, never sent), then filters and deflates the band's groups on the same
 * workers and sends rank 0 the compressed groups, the raw grid's rows when a .npy is
 * asked for, and the partial totals of its chunks. Rank 0 appends the bands in order
 * (a window of bands ahead of the last one appended bounds what it holds), folds the
 * partials (integers and ranges: the order does not matter) and writes the outputs as
 * a one-process run does: the same bytes for any ranks x workers.
 *
 * Histogram colouring's counting pass runs the same way, band by band; each rank's
 * counts are then summed across ranks (MPI_Allreduce: integers) before the strips.
 *
 * Workers never call MPI: they are fork()ed after MPI_Init by the rank's parent, touch
 * only the shared memory it mapped and leave by _exit(), which runs none of MPI's exit
 * handlers (docs/decisions.md).
 */
#ifndef FORKBAND_BACKEND_MPI_H
#define FORKBAND_BACKEND_MPI_H

#include "runtime/compat.h"

#include "backend.h"

/* MPI_Init; this rank's number, the number of ranks and this host's name. Returns 0,
 * or -1 after reporting. */
int fb_mpi_init(int *argc, char ***argv);

/* MPI_Finalize, once; also run at exit. */
void fb_mpi_finalize(void);

int fb_mpi_rank(void);
int fb_mpi_size(void);

extern const struct fb_backend fb_backend_mpi;

#endif

/* main_mpi.c: forkband-mpi, the forkband command line with jobs across MPI ranks
 * (`mpirun -np R forkband-mpi run JOB.json`; docs/mpi.md). */
#include "runtime/compat.h"

#include "backend_mpi.h"
#include "main.h"
#include "progress.h"

#include "runtime/error.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Whether this rank's stderr is a pipe to the local mpirun whose own stderr is a
 * terminal: mpirun relays what the rank writes there, so the progress bar can be
 * drawn (a rank on another host has orted, not a terminal, behind its pipe). */
static bool relays_to_terminal(void)
{
	char path[64], target[256];
	ssize_t n;

	if (isatty(STDERR_FILENO))
		return true;
	snprintf(path, sizeof(path), "/proc/%ld/fd/2", (long)getppid());
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	return strncmp(target, "/dev/pts/", 9) == 0 || strncmp(target, "/dev/tty", 8) == 0;
}

int main(int argc, char **argv)
{
	int status;

	fb_error_set_program("forkband-mpi");
	if (fb_mpi_init(&argc, &argv) < 0)
		return 1;
	/* Listings and help once, from rank 0. */
	if (fb_mpi_rank() != 0 && !freopen("/dev/null", "w", stdout))
		return 1;
	if (fb_mpi_rank() == 0 && relays_to_terminal())
		fb_progress_assume_terminal();
	status = fb_main(argc, argv, &fb_backend_mpi, "forkband-mpi");
	fb_mpi_finalize();
	/* Every rank has agreed on the status (the backend's agree()); rank 0 returns it.
	 * Another rank's failure would have mpirun kill the ranks still finishing. */
	return fb_mpi_rank() == 0 ? status : 0;
}

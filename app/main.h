/* main.h: the command line, shared by the two programs: forkband (app/main_local.c)
 * runs jobs on the local pool, forkband-mpi (app/main_mpi.c) on MPI ranks. */
#ifndef FORKBAND_MAIN_H
#define FORKBAND_MAIN_H

#include "runtime/compat.h"

struct fb_backend;

/* Runs the command in argv with jobs on be; name prefixes messages. Returns the exit
 * status. */
int fb_main(int argc, char **argv, const struct fb_backend *be, const char *name);

#endif

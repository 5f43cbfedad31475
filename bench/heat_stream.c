/* heat_stream.c: the memory bandwidth the heat kernel achieves against a STREAM-style
 * triad (a[i] = b[i] + s c[i]) run by the same number of forked workers on shared
 * arrays, in the same run. A heat step reads the previous grid and the held-cell mask
 * and writes the next grid: 17 bytes per cell when the neighbours come from cache.
 *
 * usage: heat_stream FORKBAND WORKERS [SIZE [STEPS]]  (default 4096, 50)
 * The grid (SIZE^2 doubles, 2 grids) should be much larger than the caches. */
#include "runtime/compat.h"

#include "runtime/barrier.h"
#include "runtime/pool.h"
#include "runtime/shared_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Triad over n doubles by w processes, each on its slice: a pass to fault the pages
 * into the worker's own page tables (heat's workers, kept across steps, pay that once
 * too), then reps timed passes between two barriers. Returns bytes per second, counting
 * 24 bytes per element as STREAM does. */
static double triad(size_t n, unsigned w, unsigned reps)
{
	double *a = shared_malloc(n * sizeof(double)), *b = shared_malloc(n * sizeof(double));
	double *c = shared_malloc(n * sizeof(double));
	struct {
		struct fb_barrier bar;
		uint64_t t0, t1;
	} *sync = shared_malloc(sizeof(*sync));
	double bw;

	if (!a || !b || !c || !sync)
		return 0;
	fb_barrier_init(&sync->bar, w);
	for (unsigned p = 0; p < w; p++) {
		if (fork() == 0) {
			struct fb_barrier_local me = { 0 };
			size_t lo = n * p / w, hi = n * (p + 1) / w;

			for (size_t i = lo; i < hi; i++) {
				b[i] = 1;
				c[i] = 2;
			}
			fb_barrier_wait(&sync->bar, &me);
			if (p == 0)
				sync->t0 = fb_now_ns();
			for (unsigned r = 0; r < reps; r++)
				for (size_t i = lo; i < hi; i++)
					a[i] = b[i] + 3.0 * c[i];
			fb_barrier_wait(&sync->bar, &me);
			if (p == 0)
				sync->t1 = fb_now_ns();
			_exit(0);
		}
	}
	for (unsigned p = 0; p < w; p++)
		wait(NULL);
	bw = 3.0 * (double)n * sizeof(double) * reps / ((double)(sync->t1 - sync->t0) / 1e9);
	shared_free(a, n * sizeof(double));
	shared_free(b, n * sizeof(double));
	shared_free(c, n * sizeof(double));
	shared_free(sync, sizeof(*sync));
	return bw;
}

int main(int argc, char **argv)
{
	const char *fb = argc > 2 ? argv[1] : NULL;
	unsigned w = argc > 2 ? (unsigned)atoi(argv[2]) : 0;
	unsigned size = argc > 3 ? (unsigned)atoi(argv[3]) : 4096;
	unsigned steps = argc > 4 ? (unsigned)atoi(argv[4]) : 50;
	char cmd[1024], line[4096], report[] = "/tmp/heat-stream-XXXXXX";
	double compute = 0, heat_bw, tri;
	FILE *p;
	int fd = mkstemp(report);

	if (fd >= 0)
		close(fd);
	if (!fb || w < 1 || fd < 0) {
		fprintf(stderr, "usage: heat_stream FORKBAND WORKERS [SIZE [STEPS]]\n");
		return 2;
	}
	snprintf(cmd, sizeof(cmd),
		 "%s run -q -j %u --set kernel=heat --set width=%u --set height=%u "
		 "--set 'params={\"steps\":%u}' --set output={} --report %s",
		 fb, w, size, size, steps, report);
	if (system(cmd) != 0) {
		fprintf(stderr, "heat_stream: forkband failed: %s\n", cmd);
		unlink(report);
		return 1;
	}
	p = fopen(report, "r");
	if (!p)
		return 2;
	while (fgets(line, sizeof(line), p)) {
		const char *at = strstr(line, "\"compute\":");

		if (at && compute == 0)
			compute = atof(at + 10);
	}
	fclose(p);
	unlink(report);
	if (compute <= 0) {
		fprintf(stderr, "heat_stream: no compute time in the report\n");
		return 1;
	}
	heat_bw = 17.0 * size * (double)size * steps / compute;
	tri = triad((size_t)size * size * 2, w, 5);
	printf("workers %u, %ux%u grid, %u steps: heat %.2f GB/s, triad %.2f GB/s, ratio %.2f\n",
	       w, size, size, steps, heat_bw / 1e9, tri / 1e9, heat_bw / tri);
	return 0;
}

/* png_encode.c: forkband's PNG encoder (io/png_encode.h) against a serial libpng write
 * of the same image at the same level and filter.
 *
 * usage: png_encode [-n ROUNDS] [-j "1 2 ..."] [-d DEFLATE] [-l LEVEL] [-f FILTER] IMAGE.png
 *        png_encode --sweep [-n ROUNDS] IMAGE.png
 *        png_encode --deflate [-n ROUNDS] [-f FILTER] [-c "zlib:6 libdeflate:7 ..."] IMAGE.png
 *
 * The image is read once. Each round encodes it with libpng (png_write_row, one deflate
 * stream) and with forkband's encoder at each worker count: in this process for one
 * worker, else as a pass of the worker pool, a group per chunk, as `forkband run` does.
 * The programs alternate within each round, so drift in the machine's speed falls on
 * all of them alike. Printed per encoder: the median seconds, libpng's median divided by
 * it (the speed-up), the file size and its ratio to libpng's. Every forkband encode must
 * give the same bytes: the program fails if one differs.
 *
 * --sweep prints, for every level 0-9 and filter, the median seconds and size of
 * forkband's encoder in one process (zlib) and libpng's size: the measurements behind
 * the filter and level defaults (docs/performance.md).
 *
 * --deflate compares deflates and levels, forkband's encoder in one process (so the
 * time is per core): the first candidate (by default zlib:6, the encoder before
 * libdeflate) is the baseline, and every candidate's median seconds and bytes are
 * printed with their ratios to it; the candidates alternate within each round. The
 * table behind the default deflate and level (docs/performance.md, "Deflate").
 */
#include "runtime/compat.h"

#include "io/png_encode.h"
#include "io/png_read.h"
#include "io/png_write.h"
#include "runtime/error.h"
#include "runtime/pool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RUNS 64
#define MAX_WORKERS 16

static double median(double *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void encode_groups(void *ctx, uint32_t g0, uint32_t g1, void *unused)
{
	(void)unused;
	fb_png_groups_encode(ctx, g0, g1);
}

/* forkband's encode with `workers` workers; returns the seconds, or -1. */
static double forkband_encode(const struct fb_image *img, const struct fb_png_settings *set,
			      unsigned workers, struct fb_bytes *out)
{
	uint64_t t0 = fb_now_ns();
	struct fb_png_groups e;
	int rc = 0;

	if (fb_png_groups_init(&e, "image", img, set) < 0)
		return -1;
	if (workers > e.n)
		workers = e.n;
	if (workers <= 1) {
		fb_png_groups_encode(&e, 0, e.n);
	} else {
		struct fb_pool_options opt = { .workers = workers, .schedule = FB_SCHED_DYNAMIC,
					       .chunk = 1 };
		struct fb_pass pass = { .name = "encode", .rows = e.n, .ctx = &e,
					.compute = encode_groups };
		struct fb_pass_stats st;

		rc = fb_pool_run(&opt, &pass, &st);
		if (rc == 0)
			fb_pass_stats_free(&st);
	}
	if (rc == 0)
		rc = fb_png_groups_finish(&e, "image", NULL, 0, out);
	fb_png_groups_free(&e);
	return rc < 0 ? -1 : (double)(fb_now_ns() - t0) / 1e9;
}

static double libpng_encode(const struct fb_image *img, const struct fb_png_settings *set,
			    struct fb_bytes *out)
{
	uint64_t t0 = fb_now_ns();

	if (fb_png_encode_libpng("image", img, NULL, 0, set, out) < 0)
		return -1;
	return (double)(fb_now_ns() - t0) / 1e9;
}

static int sweep(const struct fb_image *img, int rounds)
{
	printf("%-5s %-8s %10s %12s %12s %8s\n", "level", "filter", "seconds", "bytes",
	       "libpng", "ratio");
	for (int level = 0; level <= 9; level++) {
		for (int f = FB_PNG_FILTER_NONE; f <= FB_PNG_FILTER_ADAPTIVE; f++) {
			struct fb_png_settings set = { level, (enum fb_png_filter)f,
						       FB_PNG_DEFLATE_ZLIB };
			double t[MAX_RUNS];
			size_t ours = 0, theirs;
			struct fb_bytes png;

			for (int r = 0; r < rounds; r++) {
				if ((t[r] = forkband_encode(img, &set, 1, &png)) < 0)
					return -1;
				ours = png.len;
				free(png.data);
			}
			if (libpng_encode(img, &set, &png) < 0)
				return -1;
			theirs = png.len;
			free(png.data);
			printf("%-5d %-8s %10.4f %12zu %12zu %8.4f\n", level, fb_png_filter_names[f],
			       median(t, rounds), ours, theirs, (double)ours / (double)theirs);
			fflush(stdout);
		}
	}
	return 0;
}

/* The index of the first len bytes of name in the NULL-terminated names, or -1. */
static int name_index(const char *const *names, const char *name, size_t len)
{
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
			return i;
	return -1;
}

/* "zlib:6" or "libdeflate:7" into set (filter kept); false if not one. */
static bool parse_candidate(const char *s, struct fb_png_settings *set)
{
	const char *colon = strchr(s, ':');
	int d = colon ? name_index(fb_png_deflate_names, s, (size_t)(colon - s)) : -1;
	char *end;
	long level;

	if (d < 0)
		return false;
	level = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || *end || level < 0 ||
	    level > fb_png_max_level((enum fb_png_deflate)d))
		return false;
	set->deflate = (enum fb_png_deflate)d;
	set->level = (int)level;
	return true;
}

#define MAX_CANDIDATES 32

static int deflate_table(const struct fb_image *img, int rounds, enum fb_png_filter filter,
			 const char *list)
{
	struct fb_png_settings set[MAX_CANDIDATES];
	double t[MAX_CANDIDATES][MAX_RUNS], ratio[MAX_CANDIDATES][MAX_RUNS];
	size_t len[MAX_CANDIDATES];
	char buf[1024], *save = NULL;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", list);
	for (char *tok = strtok_r(buf, " ,", &save); tok; tok = strtok_r(NULL, " ,", &save)) {
		set[n].filter = filter;
		if (n == MAX_CANDIDATES || !parse_candidate(tok, &set[n])) {
			fprintf(stderr, "png_encode: -c: '%s' is not DEFLATE:LEVEL (zlib:0-9, "
				"libdeflate:0-12), or more than %d\n", tok, MAX_CANDIDATES);
			return -1;
		}
		n++;
	}
	for (int r = 0; r < rounds; r++) {
		for (int k = 0; k < n; k++) {
			int c = (r + k) % n;
			struct fb_bytes png;

			if ((t[c][r] = forkband_encode(img, &set[c], 1, &png)) < 0)
				return -1;
			len[c] = png.len;
			free(png.data);
		}
		for (int c = 0; c < n; c++)
			ratio[c][r] = t[0][r] / t[c][r];
	}
	printf("%-14s %10s %9s %12s %9s\n", "deflate:level", "median s", "speed-up", "bytes",
	       "size");
	for (int c = 0; c < n; c++) {
		char name[32];

		snprintf(name, sizeof(name), "%s:%d", fb_png_deflate_names[set[c].deflate],
			 set[c].level);
		printf("%-14s %10.4f %9.2f %12zu %9.4f\n", name, median(t[c], rounds),
		       median(ratio[c], rounds), len[c], (double)len[c] / (double)len[0]);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct fb_png_settings set = FB_PNG_DEFAULTS;
	unsigned workers[MAX_WORKERS] = { 1, 2 };
	int n_workers = 2, rounds = 7, a = 1;
	bool do_sweep = false, do_table = false;
	const char *candidates = "zlib:6 zlib:4 zlib:5 libdeflate:4 libdeflate:5 libdeflate:6 "
				 "libdeflate:7 libdeflate:8 libdeflate:9";
	struct fb_image img;
	double t_lib[MAX_RUNS], t_fb[MAX_WORKERS][MAX_RUNS];
	size_t lib_len = 0, fb_len = 0;
	uint8_t *first = NULL;
	int rc = 1;

	fb_error_set_program("png_encode");
	for (; a < argc && argv[a][0] == '-'; a++) {
		if (strcmp(argv[a], "--sweep") == 0) {
			do_sweep = true;
		} else if (strcmp(argv[a], "--deflate") == 0) {
			do_table = true;
		} else if (a + 1 < argc && strcmp(argv[a], "-c") == 0) {
			candidates = argv[++a];
		} else if (a + 1 < argc && strcmp(argv[a], "-d") == 0) {
			const char *name = argv[++a];
			int d = name_index(fb_png_deflate_names, name, strlen(name));

			if (d < 0) {
				fprintf(stderr, "png_encode: unknown deflate '%s'\n", name);
				return 2;
			}
			set.deflate = (enum fb_png_deflate)d;
		} else if (a + 1 < argc && strcmp(argv[a], "-n") == 0) {
			rounds = atoi(argv[++a]);
		} else if (a + 1 < argc && strcmp(argv[a], "-l") == 0) {
			set.level = atoi(argv[++a]);
		} else if (a + 1 < argc && strcmp(argv[a], "-f") == 0) {
			const char *name = argv[++a];
			int f = name_index(fb_png_filter_names, name, strlen(name));

			if (f < 0) {
				fprintf(stderr, "png_encode: unknown filter '%s'\n", name);
				return 2;
			}
			set.filter = (enum fb_png_filter)f;
		} else if (a + 1 < argc && strcmp(argv[a], "-j") == 0) {
			char *s = argv[++a], *end;

			for (n_workers = 0; *s && n_workers < MAX_WORKERS; n_workers++, s = end) {
				workers[n_workers] = (unsigned)strtoul(s, &end, 10);
				if (end == s || !workers[n_workers])
					break;
			}
		} else {
			break;
		}
	}
	if (a + 1 != argc || rounds < 1 || rounds > MAX_RUNS || !n_workers || set.level < 0 ||
	    set.level > fb_png_max_level(set.deflate)) {
		fprintf(stderr, "usage: png_encode [-n ROUNDS (1-%d)] [-j \"1 2 ...\"] "
			"[-d DEFLATE] [-l LEVEL] [-f FILTER] IMAGE.png\n"
			"       png_encode --sweep [-n ROUNDS] IMAGE.png\n"
			"       png_encode --deflate [-n ROUNDS] [-f FILTER] "
			"[-c \"zlib:6 libdeflate:7 ...\"] IMAGE.png\n", MAX_RUNS);
		return 2;
	}
	if (fb_png_read_image(argv[a], NULL, &img) < 0)
		return 1;
	printf("image: %s, %ux%u, %u channels of %u bits; %s level %d, filter %s; %d rounds\n",
	       argv[a], img.width, img.height, img.channels, img.depth,
	       fb_png_deflate_names[set.deflate], set.level, fb_png_filter_names[set.filter],
	       rounds);
	if (do_table) {
		rc = deflate_table(&img, rounds, set.filter, candidates) < 0;
		fb_image_free(&img);
		return rc;
	}
	if (do_sweep) {
		rc = sweep(&img, rounds) < 0;
		fb_image_free(&img);
		return rc;
	}
	for (int r = 0; r < rounds; r++) {
		struct fb_bytes png;

		if ((t_lib[r] = libpng_encode(&img, &set, &png)) < 0)
			goto out;
		lib_len = png.len;
		free(png.data);
		for (int w = 0; w < n_workers; w++) {
			if ((t_fb[w][r] = forkband_encode(&img, &set, workers[w], &png)) < 0)
				goto out;
			if (!first) {
				first = png.data;
				fb_len = png.len;
				continue;
			}
			if (png.len != fb_len || memcmp(png.data, first, fb_len) != 0) {
				fprintf(stderr, "png_encode: %u workers gave other bytes\n",
					workers[w]);
				free(png.data);
				goto out;
			}
			free(png.data);
		}
	}
	{
		double lib = median(t_lib, rounds);

		printf("%-22s %10s %9s %12s %9s\n", "encoder", "median s", "speed-up", "bytes",
		       "size");
		printf("%-22s %10.4f %9.2f %12zu %9.4f\n", "libpng (serial)", lib, 1.0, lib_len,
		       1.0);
		for (int w = 0; w < n_workers; w++) {
			double m = median(t_fb[w], rounds);
			char name[64];

			snprintf(name, sizeof(name), "forkband -j %u", workers[w]);
			printf("%-22s %10.4f %9.2f %12zu %9.4f\n", name, m, lib / m, fb_len,
			       (double)fb_len / (double)lib_len);
		}
	}
	rc = 0;
out:
	free(first);
	fb_image_free(&img);
	return rc;
}

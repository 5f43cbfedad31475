/* replay.c: runs files through a fuzz target's LLVMFuzzerTestOneInput without
 * libFuzzer, so that a corpus (the seeds and every input that once found a bug) is an
 * ordinary test, built by any compiler and run under the sanitizer builds.
 *
 * Usage: replay FILE_OR_FOLDER...; a folder's files are run in name order (not its
 * subfolders, nor names starting with '.'). Exits 0 when every input ran, 1 if one
 * could not be read; a target that finds a bug aborts, as under libFuzzer.
 */
#include "runtime/compat.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional, as for libFuzzer: a target that needs set-up defines it. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

struct list {
	char **path;
	size_t n, cap;
};

static int add(struct list *l, const char *dir, const char *name)
{
	char *p;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **bigger = realloc(l->path, cap * sizeof(*bigger));

		if (!bigger)
			return -1;
		l->path = bigger;
		l->cap = cap;
	}
	p = malloc(strlen(dir) + strlen(name) + 2);
	if (!p)
		return -1;
	sprintf(p, "%s%s%s", dir, *name ? "/" : "", name);
	l->path[l->n++] = p;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds arg, or the regular files in it; paths are made absolute first, because a
 * target may change folders around each input. */
static int collect(struct list *l, const char *arg)
{
	char real[PATH_MAX];
	struct stat st;
	struct dirent *e;
	size_t first = l->n;
	DIR *d;

	if (!realpath(arg, real) || stat(real, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", arg, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return add(l, real, "");
	d = opendir(real);
	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", arg, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		char p[PATH_MAX + 256];

		snprintf(p, sizeof(p), "%s/%s", real, e->d_name);
		if (e->d_name[0] == '.' || stat(p, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (add(l, real, e->d_name) < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	qsort(l->path + first, l->n - first, sizeof(*l->path), by_name);
	return 0;
}

static int run_one(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *data = NULL;
	size_t len = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "replay: cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (len == cap) {
			unsigned char *bigger = realloc(data, cap = cap ? cap * 2 : 4096);

			if (!bigger) {
				fprintf(stderr, "replay: out of memory reading '%s'\n", path);
				free(data);
				fclose(f);
				return -1;
			}
			data = bigger;
		}
		size_t n = fread(data + len, 1, cap - len, f);

		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* A copy of exactly len bytes, as libFuzzer gives: ASan sees a read past the end. */
	unsigned char *exact = malloc(len ? len : 1);

	if (!exact) {
		free(data);
		return -1;
	}
	memcpy(exact, data, len);
	free(data);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	return 0;
}

int main(int argc, char **argv)
{
	struct list l = { 0 };
	int rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE_OR_FOLDER...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (collect(&l, argv[i]) < 0)
			rc = 1;
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (size_t i = 0; i < l.n; i++) {
		if (run_one(l.path[i]) < 0)
			rc = 1;
		free(l.path[i]);
	}
	free(l.path);
	printf("replay: %zu input%s run\n", l.n, l.n == 1 ? "" : "s");
	if (l.n == 0) {
		fprintf(stderr, "replay: no inputs: is the corpus folder missing?\n");
		rc = 1;
	}
	return rc;
}

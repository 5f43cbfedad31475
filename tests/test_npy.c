/* test_npy.c: the .npy reader takes versions 1.0, 2.0 and 3.0 of 2-D C-order '<f8' and
 * '<f4' matrices, and refuses everything else with one line naming the file and why. */
#include "runtime/compat.h"

#include "check.h"
#include "io/npy.h"
#include "runtime/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/fb-npy-XXXXXX";
static char msg[512];

static void capture(const char *m, void *ctx)
{
	(void)ctx;
	snprintf(msg, sizeof(msg), "%s", m);
}

/* Writes a .npy by hand: magic, version, header length (2 or 4 bytes), the dict padded
 * with spaces and a newline to a multiple of 64, then len bytes of data. */
static const char *make(const char *name, int major, const char *dict, const void *data,
			size_t len)
{
	static char path[256];
	size_t pre = major == 1 ? 10 : 12, dl = strlen(dict);
	size_t total = (pre + dl + 1 + 63) / 64 * 64, hlen = total - pre;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	fwrite("\x93NUMPY", 1, 6, f);
	fputc(major, f);
	fputc(0, f);
	for (size_t b = 0; b < pre - 8; b++)
		fputc((int)(hlen >> (8 * b)) & 0xff, f);
	fputs(dict, f);
	for (size_t i = dl; i < hlen - 1; i++)
		fputc(' ', f);
	fputc('\n', f);
	fwrite(data, 1, len, f);
	fclose(f);
	return path;
}

static void accepts(const char *path, uint64_t rows, uint64_t cols, const double *want)
{
	struct fb_matrix_file m;

	msg[0] = '\0';
	CHECK(fb_npy_read_matrix(path, 1 << 20, &m) == 0, "%s refused: %s", path, msg);
	CHECK(m.rows == rows && m.cols == cols, "%s: %llux%llu", path,
	      (unsigned long long)m.rows, (unsigned long long)m.cols);
	for (uint64_t i = 0; m.data && i < rows * cols; i++)
		CHECK(m.data[i] == want[i], "%s: value %llu is %g, expected %g", path,
		      (unsigned long long)i, m.data[i], want[i]);
	fb_matrix_file_free(&m);
}

static void refuses(const char *path, const char *want)
{
	struct fb_matrix_file m;

	msg[0] = '\0';
	CHECK(fb_npy_read_matrix(path, 1 << 20, &m) == -1, "%s accepted", path);
	CHECK(strstr(msg, want) != NULL, "message '%s' lacks '%s'", msg, want);
	CHECK(strstr(msg, path) != NULL, "message '%s' does not name the file", msg);
	CHECK(m.data == NULL, "data left behind");
}

int main(void)
{
	double d[6] = { 1.5, -2.25, 0, 1e300, -0.0, 3 };
	float fl[6] = { 1.5f, -2.25f, 0, 1e30f, -0.0f, 3 };
	double fd[6] = { 1.5, -2.25, 0, (double)1e30f, -0.0, 3 };
	char path[256];

	if (!mkdtemp(dir))
		return 2;
	fb_error_set_sink(capture, NULL);

	/* What forkband itself writes reads back exactly. */
	snprintf(path, sizeof(path), "%s/own.npy", dir);
	CHECK(fb_npy_write(path, "<f8", 8, 2, 3, d) == 0, "write: %s", msg);
	accepts(path, 2, 3, d);
	accepts(make("v2.npy", 2, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), }",
		     d, sizeof(d)), 3, 2, d);
	accepts(make("v3f4.npy", 3, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
		     fl, sizeof(fl)), 2, 3, fd);
	accepts(make("order.npy", 1, "{'shape':(6,1),'fortran_order':False,'descr':'<f8'}", d,
		     sizeof(d)), 6, 1, d);

	snprintf(path, sizeof(path), "%s/text.npy", dir);
	{
		FILE *f = fopen(path, "w");

		fputs("rows,cols\n1,2\n", f);
		fclose(f);
	}
	refuses(path, "not a .npy file");
	snprintf(path, sizeof(path), "%s/own.npy", dir);
	{
		char *p = (char *)make("v4.npy", 1, "{'descr': '<f8', 'fortran_order': False, "
					  "'shape': (2, 3), }", d, sizeof(d));
		FILE *f = fopen(p, "r+b");

		fseek(f, 6, SEEK_SET);
		fputc(4, f);
		fclose(f);
		refuses(p, "format version 4.0");
	}
	refuses(make("fortran.npy", 1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }",
		     d, sizeof(d)), "Fortran");
	refuses(make("big.npy", 1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }",
		     d, sizeof(d)), "dtype '>f8'");
	refuses(make("int.npy", 1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }",
		     d, 24), "dtype '<i4'");
	refuses(make("rank1.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (6,), }",
		     d, sizeof(d)), "1 dimensions");
	refuses(make("rank3.npy", 1, "{'descr': '<f8', 'fortran_order': False, "
			 "'shape': (1, 2, 3), }", d, sizeof(d)), "3 dimensions");
	refuses(make("empty.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 3), }",
		     d, 0), "0x3 matrix");
	refuses(make("short.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }",
		     d, sizeof(d) - 8), "data ends after 5 of 6 values");
	refuses(make("long.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }",
		     d, sizeof(d)), "bytes after the data");
	refuses(make("huge.npy", 1, "{'descr': '<f8', 'fortran_order': False, "
			"'shape': (1099511627776, 1099511627776), }", d, sizeof(d)), "matrix, expected");
	refuses(make("noshape.npy", 1, "{'descr': '<f8', 'fortran_order': False, }", d,
		     sizeof(d)), "no shape");
	{
		/* A header length that runs past the end of the file. */
		const char *p = make("hlen.npy", 2, "{}", d, 0);
		FILE *f = fopen(p, "r+b");

		fseek(f, 8, SEEK_SET);
		fputc(0, f);
		fputc(0x10, f);
		fclose(f);
		refuses(p, "truncated header");
	}
	{
		struct fb_matrix_file m;

		CHECK(fb_npy_read_matrix(path, 16, &m) == -1 && strstr(msg, "expected one of 1 to 2"),
		      "max_bytes not applied: %s", msg);
	}
	snprintf(path, sizeof(path), "%s/missing.npy", dir);
	refuses(path, "No such file");
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	return check_exit("test_npy");
}

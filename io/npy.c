/* npy.c: the .npy header and data. Format: magic "\x93NUMPY", version 1.0, a
 * little-endian uint16 header length, then a Python dict literal padded with spaces
 * and ending in '\n' so that the data starts on a 64-byte boundary. */
#include "runtime/compat.h"

#include "npy.h"

#include "outfile.h"
#include "runtime/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fb_npy_begin(struct fb_outfile *out, const char *path, const char *descr, uint64_t rows,
		 uint64_t cols)
{
	char header[256];
	size_t len, total;
	int n;

	n = snprintf(header, sizeof(header),
		     "{'descr': '%s', 'fortran_order': False, 'shape': (%llu, %llu), }", descr,
		     (unsigned long long)rows, (unsigned long long)cols);
	if (n < 0 || (size_t)n + 64 > sizeof(header))
		FB_BUG("npy header too long");
	len = (size_t)n;
	/* 10 bytes of magic, version and length come first; pad so that the data starts at
	 * a multiple of 64, with the newline last. */
	total = (10 + len + 1 + 63) / 64 * 64;
	memset(header + len, ' ', total - 10 - len - 1);
	header[total - 10 - 1] = '\n';
	len = total - 10;

	if (fb_outfile_open(out, path) < 0)
		return -1;
	fwrite("\x93NUMPY\x01\x00", 1, 8, out->f);
	fputc((int)(len & 0xff), out->f);
	fputc((int)(len >> 8), out->f);
	fwrite(header, 1, len, out->f);
	return 0;
}

int fb_npy_append(struct fb_outfile *out, size_t elem_size, uint64_t n, const void *data)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (fwrite(data, elem_size, n, out->f) != n)
		return -1;
#else
	for (uint64_t i = 0; i < n; i++)
		for (size_t b = elem_size; b-- > 0;)
			fputc(((const unsigned char *)data)[i * elem_size + b], out->f);
	if (ferror(out->f))
		return -1;
#endif
	return 0;
}

int fb_npy_prepare(struct fb_outfile *out, const char *path, const char *descr,
		   size_t elem_size, uint64_t rows, uint64_t cols, const void *data)
{
	if (fb_npy_begin(out, path, descr, rows, cols) < 0)
		return -1;
	/* Write errors are sticky: fb_outfile_finish() checks ferror() and reports. */
	fb_npy_append(out, elem_size, rows * cols, data);
	return fb_outfile_finish(out);
}

int fb_npy_write(const char *path, const char *descr, size_t elem_size, uint64_t rows,
		 uint64_t cols, const void *data)
{
	struct fb_outfile out;

	if (fb_npy_prepare(&out, path, descr, elem_size, rows, cols, data) < 0)
		return -1;
	return fb_outfile_commit(&out);
}

/* ---- reading ---- */

/* dict_value()'s answer for a key the header holds twice. */
static const char DUPLICATE[] = "";

/* The first 'key' or "key" in s, as a pointer just past its closing quote; NULL if none. */
static const char *find_key(const char *s, const char *key)
{
	char q1[32], q2[32];
	const char *a, *b;

	snprintf(q1, sizeof(q1), "'%s'", key);
	snprintf(q2, sizeof(q2), "\"%s\"", key);
	a = strstr(s, q1);
	b = strstr(s, q2);
	if (!a || (b && b < a))
		a = b;
	return a ? a + strlen(q1) : NULL;
}

/* The value of key in a header dict such as {'descr': '<f8', 'fortran_order': False,
 * 'shape': (3, 4), }: a pointer just past "'key':" and its spaces; NULL if absent;
 * DUPLICATE if the key is there twice (Python keeps the last, a reader of the first
 * would disagree with it: neither is safe to guess). */
static const char *dict_value(const char *dict, const char *key)
{
	const char *at = find_key(dict, key);

	if (!at)
		return NULL;
	while (*at == ' ')
		at++;
	if (*at != ':')
		return NULL;
	if (find_key(at, key))
		return DUPLICATE;
	at++;
	while (*at == ' ')
		at++;
	return at;
}

/* Parses "(R, C)" (spaces allowed, a trailing comma allowed); counts the dimensions.
 * -1: not a shape; -2: a dimension beyond 64 bits. */
static int parse_shape(const char *v, uint64_t dims[3], int *rank)
{
	*rank = 0;
	if (*v++ != '(')
		return -1;
	for (;;) {
		char *end;
		unsigned long long d;

		while (*v == ' ')
			v++;
		if (*v == ')')
			return 0;
		if (*v < '0' || *v > '9')
			return -1;
		errno = 0;
		d = strtoull(v, &end, 10);
		if (errno == ERANGE)
			return -2;
		if (*rank < 3)
			dims[*rank] = d;
		(*rank)++;
		v = end;
		while (*v == ' ')
			v++;
		if (*v == ',')
			v++;
		else if (*v != ')')
			return -1;
	}
}

/* How much of a header value to quote: up to the next ',' or '}', and never a control
 * character, which would break the message's one line. */
static int quote_len(const char *v)
{
	size_t n = 0;

	while (v[n] && v[n] != ',' && v[n] != '}' && (unsigned char)v[n] >= 0x20 && v[n] != 0x7f)
		n++;
	return (int)n;	/* the header is at most 1 MiB */
}

static int refuse(const char *path, const char *why)
{
	return fb_error("%s: %s", path, why);
}

int fb_npy_read_matrix(const char *path, uint64_t max_bytes, struct fb_matrix_file *out)
{
	unsigned char pre[12];
	char *header = NULL;
	const char *v;
	uint64_t dims[3] = { 0, 0, 0 }, n, want;
	size_t hlen, item, got;
	int rank, rc = -1, rc_shape;
	bool f4;
	FILE *f;

	memset(out, 0, sizeof(*out));
	f = fopen(path, "rb");
	if (!f)
		return fb_error_errno("cannot open '%s'", path);
	got = fread(pre, 1, 10, f);
	if (got < 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
		refuse(path, "not a .npy file");
		goto out;
	}
	if (pre[6] < 1 || pre[6] > 3 || pre[7] != 0) {
		fb_error("%s: .npy format version %u.%u, expected 1.0, 2.0 or 3.0", path, pre[6], pre[7]);
		goto out;
	}
	/* Version 1 has a 2-byte header length, versions 2 and 3 a 4-byte one. */
	hlen = (size_t)pre[8] | (size_t)pre[9] << 8;
	if (pre[6] >= 2) {
		if (fread(pre + 10, 1, 2, f) != 2) {
			refuse(path, "truncated header");
			goto out;
		}
		hlen |= (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
	}
	if (hlen > (1u << 20)) {
		fb_error("%s: a header of %zu bytes; is it a .npy file?", path, hlen);
		goto out;
	}
	header = malloc(hlen + 1);
	if (!header) {
		fb_error("out of memory");
		goto out;
	}
	if (fread(header, 1, hlen, f) != hlen) {
		refuse(path, "truncated header");
		goto out;
	}
	header[hlen] = '\0';
	if (strlen(header) != hlen || header[0] != '{') {
		refuse(path, "the header is not a dict");
		goto out;
	}
	for (const char *const *k = (const char *const[]){ "descr", "fortran_order", "shape",
							   NULL }; *k; k++) {
		if (dict_value(header, *k) == DUPLICATE) {
			fb_error("%s: the header names '%s' twice", path, *k);
			goto out;
		}
	}
	v = dict_value(header, "descr");
	if (!v) {
		refuse(path, "the header has no 'descr'");
		goto out;
	}
	if (strncmp(v, "'<f8'", 5) == 0 || strncmp(v, "\"<f8\"", 5) == 0) {
		f4 = false;
	} else if (strncmp(v, "'<f4'", 5) == 0 || strncmp(v, "\"<f4\"", 5) == 0) {
		f4 = true;
	} else {
		fb_error("%s: dtype %.*s, expected '<f8' or '<f4' (little-endian floats)", path,
			 quote_len(v), v);
		goto out;
	}
	v = dict_value(header, "fortran_order");
	if (!v || (strncmp(v, "False", 5) != 0 && strncmp(v, "True", 4) != 0)) {
		refuse(path, "the header has no fortran_order");
		goto out;
	}
	if (*v == 'T') {
		refuse(path, "Fortran (column-major) order, expected C order");
		goto out;
	}
	v = dict_value(header, "shape");
	rc_shape = v ? parse_shape(v, dims, &rank) : -1;
	if (rc_shape == -2) {
		fb_error("%s: shape %.*s: expected dimensions that fit in 64 bits", path,
			 quote_len(v) > 60 ? 60 : quote_len(v), v);
		goto out;
	}
	if (rc_shape < 0) {
		refuse(path, "the header has no shape such as (rows, cols)");
		goto out;
	}
	if (rank != 2) {
		fb_error("%s: an array of %d dimensions, expected a 2-D matrix", path, rank);
		goto out;
	}
	item = f4 ? 4 : 8;
	if (dims[0] == 0 || dims[1] == 0 || __builtin_mul_overflow(dims[0], dims[1], &n) ||
	    __builtin_mul_overflow(n, (uint64_t)item, &want) || n > max_bytes / sizeof(double)) {
		fb_error("%s: a %llux%llu matrix, expected one of 1 to %llu values", path,
			 (unsigned long long)dims[0], (unsigned long long)dims[1],
			 (unsigned long long)(max_bytes / sizeof(double)));
		goto out;
	}
	out->data = malloc((size_t)n * sizeof(double));
	if (!out->data) {
		fb_error("out of memory for a %llux%llu matrix", (unsigned long long)dims[0],
			 (unsigned long long)dims[1]);
		goto out;
	}
	/* Read in blocks, converting as we go; then the file must end exactly there. */
	for (uint64_t i = 0; i < n;) {
		unsigned char buf[1 << 15];
		size_t k = (size_t)((n - i) * item < sizeof(buf) ? (n - i) * item : sizeof(buf));

		size_t r = fread(buf, 1, k, f);

		if (r != k) {
			fb_error("%s: the data ends after %llu of %llu values (truncated, or the header "
				 "overstates the shape)", path, (unsigned long long)(i + r / item),
				 (unsigned long long)n);
			goto out;
		}
		for (size_t j = 0; j < k; j += item, i++) {
			uint64_t bits = 0;

			for (size_t b = item; b-- > 0;)	/* little-endian on any host */
				bits = bits << 8 | buf[j + b];
			if (f4) {
				uint32_t u = (uint32_t)bits;
				float x;

				memcpy(&x, &u, sizeof(x));
				out->data[i] = x;
			} else {
				memcpy(&out->data[i], &bits, sizeof(double));
			}
		}
	}
	if (fgetc(f) != EOF) {
		refuse(path, "bytes after the data (the header understates the shape)");
		goto out;
	}
	out->rows = dims[0];
	out->cols = dims[1];
	rc = 0;
out:
	if (rc < 0)
		fb_matrix_file_free(out);
	free(header);
	fclose(f);
	return rc;
}

void fb_matrix_file_free(struct fb_matrix_file *m)
{
	free(m->data);
	memset(m, 0, sizeof(*m));
}

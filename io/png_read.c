/* png_read.c: PNG images and text chunks, with libpng errors turned into messages.
 *
 * libpng reports a fatal problem by calling the error callback, which longjmp()s back
 * to the setjmp() in the function that called into libpng; everything that has to be
 * freed on that path lives in struct reader, whose address libpng holds, so that no
 * local variable read on that path changes between setjmp() and longjmp().
 */
#include "runtime/compat.h"

#include "png_read.h"

#include "png_error.h"

#include "runtime/error.h"
#include "runtime/shared_mem.h"

#include <errno.h>
#include <inttypes.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The most libpng may allocate for an ancillary chunk it keeps (unknown chunks, the
 * decompressed text of zTXt, iTXt and iCCP): libpng's own default, set explicitly so
 * that a libpng built with another default reads the same files. libpng 1.6 does not
 * apply it to the length of a tEXt, zTXt or iTXt chunk, which it reads whole: the
 * text reader checks those itself (follow_chunks()), and the image reader skips every
 * ancillary chunk but tRNS. The image data is streamed, limited by the image size. */
#define CHUNK_MALLOC_MAX 8000000

#ifndef PNG_USER_WIDTH_MAX	/* pnglibconf.h's defaults for fb_png_limits' zeros */
#define PNG_USER_WIDTH_MAX 1000000
#endif
#ifndef PNG_USER_HEIGHT_MAX
#define PNG_USER_HEIGHT_MAX 1000000
#endif

/* libpng's error and I/O pointer: the error text first (struct fb_png_error). */
struct reader {
	struct fb_png_error err;
	const char *path;
	FILE *f;
	char msg[256];		/* a message of our own, for png_error() */
	char warnings[256];	/* what libpng warned about, "; "-separated */
	void *data;		/* the pixels being read */
	/* The chunks going by (after the signature), for text_guard. */
	bool text_guard;	/* refuse text chunks over CHUNK_MALLOC_MAX */
	unsigned char head[8];	/* a chunk's length and type, as they arrive */
	unsigned head_len;
	uint64_t chunk_left;	/* bytes of the current chunk's data and CRC to come */
	uint32_t text_len[64];	/* the lengths of the first tEXt chunks, in order */
	unsigned n_text;
};

bool fb_is_png_file(const char *path)
{
	unsigned char sig[8];
	struct stat st;
	FILE *f = stat(path, &st) == 0 && S_ISREG(st.st_mode) ? fopen(path, "rb") : NULL;
	bool is = f && fread(sig, 1, 8, f) == 8 && png_sig_cmp(sig, 0, 8) == 0;

	if (f)
		fclose(f);
	return is;
}

/* Follows the chunks in the bytes read. libpng 1.6 reads a whole tEXt, zTXt or iTXt
 * chunk into memory (zeroed) before looking at it, whatever its length, and
 * png_set_chunk_malloc_max() does not stop that: a 60-byte file claiming a 1 GiB
 * tEXt chunk would make it allocate and clear 1 GiB. */
static void follow_chunks(png_structp png, struct reader *r, const unsigned char *p,
			  size_t len)
{
	static const char *const text_chunks[] = { "tEXt", "zTXt", "iTXt" };

	while (len) {
		uint32_t length;

		if (r->chunk_left) {
			size_t k = len < r->chunk_left ? len : (size_t)r->chunk_left;

			p += k;
			len -= k;
			r->chunk_left -= k;
			continue;
		}
		r->head[r->head_len++] = *p++;
		len--;
		if (r->head_len < 8)
			continue;
		r->head_len = 0;
		length = (uint32_t)r->head[0] << 24 | (uint32_t)r->head[1] << 16 |
			 (uint32_t)r->head[2] << 8 | r->head[3];
		r->chunk_left = (uint64_t)length + 4;
		if (memcmp(r->head + 4, "tEXt", 4) == 0 && r->n_text < FB_ARRAY_LEN(r->text_len))
			r->text_len[r->n_text++] = length;
		if (length <= CHUNK_MALLOC_MAX)
			continue;
		for (size_t i = 0; i < FB_ARRAY_LEN(text_chunks); i++) {
			if (memcmp(r->head + 4, text_chunks[i], 4) == 0) {
				snprintf(r->msg, sizeof(r->msg), "%s: chunk data is too large",
					 text_chunks[i]);
				png_error(png, r->msg);
			}
		}
	}
}

/* libpng's read callback, on a FILE*: so that pipes work, and a short read says
 * whether the file ended early or could not be read. */
static void on_read(png_structp png, png_bytep data, size_t len)
{
	struct reader *r = png_get_io_ptr(png);

	if (fread(data, 1, len, r->f) != len) {
		if (ferror(r->f)) {
			snprintf(r->msg, sizeof(r->msg), "read error: %s", strerror(errno));
			png_error(png, r->msg);
		}
		png_error(png, "truncated file");
	}
	if (r->text_guard)
		follow_chunks(png, r, data, len);
}

/* Warnings are recoverable and otherwise dropped, but kept here: when the header is
 * refused, libpng's error ("Invalid IHDR data") is general and its warnings say why. */
static void on_warning(png_structp png, png_const_charp msg)
{
	struct reader *r = png_get_error_ptr(png);
	size_t n = strlen(r->warnings);

	if (n + 2 < sizeof(r->warnings))
		snprintf(r->warnings + n, sizeof(r->warnings) - n, "%s%s", n ? "; " : "", msg);
}

/* Opens path and checks the signature ourselves, for clear words on a file that is
 * not a PNG at all. Returns 0 with r->f open after the signature, or -1 after
 * reporting. */
static int open_png(struct reader *r, const char *path)
{
	unsigned char sig[8];
	size_t n;

	r->path = path;
	r->f = fopen(path, "rb");
	if (!r->f)
		return fb_error_errno("cannot open '%s'", path);
	n = fread(sig, 1, sizeof(sig), r->f);
	if (n < sizeof(sig) && ferror(r->f)) {
		fb_error_errno("cannot read '%s'", path);
	} else if (n == 0) {
		fb_error("%s: empty file", path);
	} else if (png_sig_cmp(sig, 0, n) != 0) {
		fb_error("%s: not a PNG file", path);
	} else if (n < sizeof(sig)) {
		fb_error("%s: truncated file", path);
	} else {
		return 0;
	}
	fclose(r->f);
	r->f = NULL;
	return -1;
}

/* A read struct after open_png(), reading on from the signature; NULL after
 * reporting (and closing the file) if out of memory. */
static png_structp new_read_struct(struct reader *r, png_infop *info)
{
	png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, r, fb_png_on_error,
						 on_warning);

	*info = png ? png_create_info_struct(png) : NULL;
	if (!*info) {
		png_destroy_read_struct(&png, NULL, NULL);
		fclose(r->f);
		r->f = NULL;
		fb_error("out of memory reading '%s'", r->path);
		return NULL;
	}
	png_set_read_fn(png, r, on_read);
	png_set_sig_bytes(png, 8);
	png_set_chunk_malloc_max(png, CHUNK_MALLOC_MAX);
	return png;
}

/* After libpng's longjmp(): the one line that says what was wrong. */
static int report(const struct reader *r)
{
	if (r->warnings[0] && strcmp(r->err.msg, "Invalid IHDR data") == 0)
		return fb_error("%s: %s (%s)", r->path, r->err.msg, r->warnings);
	return fb_error("%s: %s", r->path, r->err.msg);
}

/* Refuses, through png_error(), an image over the byte limit. */
static void check_size(png_structp png, struct reader *r, uint32_t width, uint32_t height,
		       unsigned channels, unsigned depth, uint64_t max_bytes)
{
	double need = (double)width * height * channels * (depth / 8);
	char a[32], b[32];
	size_t total;

	if (fb_image_sizes(width, height, channels, depth, NULL, &total) &&
	    (uint64_t)total <= max_bytes)
		return;
	fb_format_size(a, sizeof(a), need);
	fb_format_size(b, sizeof(b), (double)max_bytes);
	if (strcmp(a, b) == 0) {	/* just over: say by how much */
		snprintf(a, sizeof(a), "%.0f bytes", need);
		snprintf(b, sizeof(b), "%llu bytes", (unsigned long long)max_bytes);
	}
	snprintf(r->msg, sizeof(r->msg),
		 "a %" PRIu32 "x%" PRIu32 " image needs %s decoded, above the limit of %s", width,
		 height, a, b);
	png_error(png, r->msg);
}

/* The transformations to io/image.h's layouts, then the pixels (unless rows_only: the
 * caller reads them row by row); errors longjmp(). Returns the passes of interlacing. */
static int decode(png_structp png, png_infop info, struct reader *r,
		  const struct fb_png_limits *limits, struct fb_image *out, bool rows_only)
{
	uint32_t width, height;
	int bit_depth, color_type, passes;
	unsigned channels, depth;
	size_t row, total;

	png_read_info(png, info);
	width = png_get_image_width(png, info);
	height = png_get_image_height(png, info);
	bit_depth = png_get_bit_depth(png, info);
	color_type = png_get_color_type(png, info);

	if (color_type == PNG_COLOR_TYPE_PALETTE)
		png_set_palette_to_rgb(png);	/* and its tRNS to alpha */
	if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8)
		png_set_expand_gray_1_2_4_to_8(png);
	if (png_get_valid(png, info, PNG_INFO_tRNS))
		png_set_tRNS_to_alpha(png);	/* of the image's depth, 16-bit included */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (bit_depth == 16)
		png_set_swap(png);
#endif
	passes = png_set_interlace_handling(png);
	/* No png_set_gamma() or png_set_alpha_mode(): libpng converts nothing (and the
	 * gAMA, sRGB, iCCP and cHRM chunks are skipped unread anyway). */
	png_read_update_info(png, info);

	channels = png_get_channels(png, info);
	depth = png_get_bit_depth(png, info);
	if (channels < 1 || channels > 4 || (depth != 8 && depth != 16))
		png_error(png, "unexpected layout after expansion");	/* a libpng bug */
	if (rows_only) {
		fb_image_sizes(width, 1, channels, depth, &row, &total);
		if (png_get_rowbytes(png, info) != row)
			png_error(png, "unexpected row size after expansion");
		*out = (struct fb_image){ width, height, channels, depth, NULL };
		return passes;
	}
	check_size(png, r, width, height, channels, depth, limits->max_bytes);
	if (limits->header_only) {
		*out = (struct fb_image){ width, height, channels, depth, NULL };
		return passes;
	}
	fb_image_sizes(width, height, channels, depth, &row, &total);
	if (png_get_rowbytes(png, info) != row)
		png_error(png, "unexpected row size after expansion");
	r->data = malloc(total ? total : 1);
	if (!r->data) {
		char need[32];

		fb_format_size(need, sizeof(need), (double)total);
		snprintf(r->msg, sizeof(r->msg), "out of memory for a %" PRIu32 "x%" PRIu32
			 " image (%s)", width, height, need);
		png_error(png, r->msg);
	}
	/* Row by row rather than png_read_image(): no array of row pointers, which for a
	 * tall narrow image could outweigh the pixels. Each pass of an interlaced image
	 * fills in its pixels of every row. */
	for (int pass = 0; pass < passes; pass++)
		for (uint32_t y = 0; y < height; y++)
			png_read_row(png, (png_bytep)r->data + (size_t)y * row, NULL);
	png_read_end(png, NULL);	/* the CRCs and chunks after the image data */

	out->width = width;
	out->height = height;
	out->channels = channels;
	out->depth = depth;
	out->data = r->data;
	r->data = NULL;
	return passes;
}

int fb_png_read_image(const char *path, const struct fb_png_limits *limits,
		      struct fb_image *out)
{
	struct fb_png_limits lim = limits ? *limits : (struct fb_png_limits){ 0 };
	struct reader r = { .err = { "" } };
	png_structp png;
	png_infop info;

	memset(out, 0, sizeof(*out));
	if (!lim.max_bytes)
		lim.max_bytes = FB_PNG_DEFAULT_MAX_BYTES;
	if (!lim.max_width)
		lim.max_width = PNG_USER_WIDTH_MAX;
	if (!lim.max_height)
		lim.max_height = PNG_USER_HEIGHT_MAX;
	if (open_png(&r, path) < 0)
		return -1;
	png = new_read_struct(&r, &info);
	if (!png)
		return -1;
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_read_struct(&png, &info, NULL);
		fclose(r.f);
		free(r.data);
		memset(out, 0, sizeof(*out));
		return report(&r);
	}
	png_set_user_limits(png, lim.max_width, lim.max_height);
	/* The pixels need only IHDR, PLTE, tRNS, IDAT and IEND, which libpng handles
	 * whatever this says: every other chunk is skipped as it is read (its CRC still
	 * checked), never held in memory. libpng 1.6 buffers a whole tEXt, iTXt or sPLT
	 * chunk, however long it claims to be, before checking it. */
	png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
	decode(png, info, &r, &lim, out, false);
	png_destroy_read_struct(&png, &info, NULL);
	fclose(r.f);
	return 0;
}

/* ---- row by row ---- */

struct fb_png_rows {
	struct reader r;
	png_structp png;
	png_infop info;
	uint32_t next;		/* the next row to read */
	uint32_t height;
};

int fb_png_rows_open(const char *path, struct fb_png_rows **out, struct fb_image *header,
		     bool *interlaced)
{
	struct fb_png_rows *pr = calloc(1, sizeof(*pr));
	int passes;

	*out = NULL;
	if (!pr)
		return fb_error("out of memory");
	if (open_png(&pr->r, path) < 0) {
		free(pr);
		return -1;
	}
	/* Unbuffered: the reader lives across the forks of a streamed job, and a child
	 * that cleaned up stdio on exit would move the shared offset back by what a buffer
	 * held. libpng reads whole chunks' worth at a time anyway. */
	setvbuf(pr->r.f, NULL, _IONBF, 0);
	pr->png = new_read_struct(&pr->r, &pr->info);
	if (!pr->png) {
		free(pr);
		return -1;
	}
	if (setjmp(png_jmpbuf(pr->png))) {
		int rc = report(&pr->r);

		fb_png_rows_close(pr);
		return rc;
	}
	png_set_user_limits(pr->png, PNG_USER_WIDTH_MAX, PNG_USER_HEIGHT_MAX);
	png_set_keep_unknown_chunks(pr->png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
	passes = decode(pr->png, pr->info, &pr->r, NULL, header, true);
	pr->height = header->height;
	*interlaced = passes > 1;
	*out = pr;
	return 0;
}

int fb_png_rows_read(struct fb_png_rows *pr, void *row)
{
	if (pr->next >= pr->height)
		FB_BUG("row %u of a %u-row PNG", pr->next, pr->height);
	if (setjmp(png_jmpbuf(pr->png)))
		return report(&pr->r);
	png_read_row(pr->png, row, NULL);
	if (++pr->next == pr->height)
		png_read_end(pr->png, NULL);	/* the CRCs and chunks after the image data */
	return 0;
}

void fb_png_rows_close(struct fb_png_rows *pr)
{
	if (!pr)
		return;
	png_destroy_read_struct(&pr->png, &pr->info, NULL);
	if (pr->r.f)
		fclose(pr->r.f);
	free(pr);
}

void fb_image_free(struct fb_image *img)
{
	free(img->data);
	memset(img, 0, sizeof(*img));
}

int fb_png_read_text(const char *path, const char *key, char **out)
{
	struct reader r = { .err = { "" } };
	png_structp png;
	png_infop info;
	png_textp text;
	int n = 0, rc;
	bool found = false;

	*out = NULL;
	if (open_png(&r, path) < 0)
		return -1;
	png = new_read_struct(&r, &info);
	if (!png)
		return -1;
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_read_struct(&png, &info, NULL);
		fclose(r.f);
		free(*out);
		*out = NULL;
		return report(&r);
	}
	/* Only the text chunks are kept; the rest are skipped as they are read. */
	png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
	/* libpng drops an ancillary chunk with a bad CRC with a warning, and the text would
	 * then seem absent ("not written by forkband"): a damaged chunk is an error. */
	png_set_crc_action(png, PNG_CRC_DEFAULT, PNG_CRC_ERROR_QUIT);
	png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_AS_DEFAULT,
				    (png_const_bytep) "tEXt\0zTXt\0iTXt", 3);
	r.text_guard = true;
	png_read_info(png, info);
	png_get_text(png, info, &text, &n);
	for (int i = 0, t = 0; i < n; i++) {
		/* libpng ends a tEXt chunk's text at a NUL byte, which would hide the rest:
		 * its key, a NUL and its text must be the whole chunk. */
		bool cut = false, untold = false;

		if (text[i].compression == PNG_TEXT_COMPRESSION_NONE) {
			/* past the lengths kept: cannot tell, so not taken on trust */
			untold = (unsigned)t >= r.n_text;
			cut = !untold && strlen(text[i].key) + 1 +
					 strlen(text[i].text ? text[i].text : "") != r.text_len[t++];
		}
		if (strcmp(text[i].key, key) == 0) {
			found = true;
			if (cut || untold) {
				png_destroy_read_struct(&png, &info, NULL);
				fclose(r.f);
				if (untold)
					return fb_error("%s: more than %zu tEXt chunks before the %s "
							"chunk", path, FB_ARRAY_LEN(r.text_len), key);
				return fb_error("%s: the %s text chunk holds a NUL byte", path, key);
			}
			*out = strdup(text[i].text ? text[i].text : "");
			break;
		}
	}
	if (!found)
		rc = fb_error("%s: no %s text chunk (was it written by forkband?)", path, key);
	else if (!*out)
		rc = fb_error("out of memory");
	else
		rc = 0;
	png_destroy_read_struct(&png, &info, NULL);
	fclose(r.f);
	return rc;
}

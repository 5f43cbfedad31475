/* test_png_io.c: the PNG reader and writer (io/png_read.h, io/png_write.h).
 *
 * usage: test_png_io CORPUS_DIR
 *
 * 1. Every layout of io/image.h survives encoding, writing and reading back exactly,
 *    also through a pipe. No corpus needed.
 * 2. The corpus (CORPUS_DIR/README.md; skipped with a message when the folder is
 *    absent): every PNG under pngsuite/ and testpngs/ decodes, to the pixels libpng's
 *    simplified API gives (see compare_simplified() for how that is made exact); PngSuite
 *    files whose names start with 'x' (the suite's intentionally broken ones) are
 *    refused; every file under testpngs/crashers/ and testpngs/badpal/ decodes or is
 *    refused with one line.
 * 3. Broken inputs made here: an empty file, a JPEG called .png, truncations at every
 *    length, a bad CRC, a header claiming 100000x100000 pixels, tight limits.
 * 4. forkband's encoder in row groups (io/png_encode.h): every level and filter, every
 *    layout, rows longer than a group, decodes to the pixels it was given, as one valid
 *    zlib stream in chunks with good CRCs; the filter asked for is the one used; the
 *    size is within 1% of libpng's at the same level and filter; and the bytes are the
 *    same whether one process encodes every group or 2, 3, 7 or 16 workers of the pool
 *    share them out under any schedule.
 */
#include "runtime/compat.h"

#include "check.h"
#include "io/png_encode.h"
#include "io/png_read.h"
#include "io/png_write.h"
#include "runtime/error.h"
#include "runtime/pool.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

/* ---- messages, files ------------------------------------------------------------ */

static char msg[1024];
static int n_msgs;

static void sink(const char *m, void *ctx)
{
	(void)ctx;
	n_msgs++;
	snprintf(msg, sizeof(msg), "%s", m);
}

static void reset_msgs(void)
{
	n_msgs = 0;
	msg[0] = '\0';
}

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
	static char path[4][512];
	static unsigned next;
	char *p = path[next++ % FB_ARRAY_LEN(path)];

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	return p;
}

static void remove_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlink(tmp_path(e->d_name));
	}
	if (d)
		closedir(d);
	rmdir(tmpdir);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long n;

	*len = 0;
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		data = malloc((size_t)n + 1);
		if (data && fread(data, 1, (size_t)n, f) == (size_t)n) {
			*len = (size_t)n;
		} else {
			free(data);
			data = NULL;
		}
	}
	fclose(f);
	return data;
}

static void spit(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

static bool same_image(const struct fb_image *a, const struct fb_image *b)
{
	size_t total;

	return a->width == b->width && a->height == b->height && a->channels == b->channels &&
	       a->depth == b->depth &&
	       fb_image_sizes(a->width, a->height, a->channels, a->depth, NULL, &total) &&
	       memcmp(a->data, b->data, total) == 0;
}

/* Reads path expecting a refusal: -1, a zeroed image, exactly one message, one line,
 * naming the file first; and containing want, if given. */
static void expect_refused(const char *path, const struct fb_png_limits *limits,
			   const char *want, const char *what)
{
	struct fb_image img;
	char prefix[600];
	int rc;

	reset_msgs();
	rc = fb_png_read_image(path, limits, &img);
	snprintf(prefix, sizeof(prefix), "%s: ", path);
	CHECK(rc == -1, "%s: accepted", what);
	CHECK(img.data == NULL && img.width == 0 && img.channels == 0, "%s: image not zeroed",
	      what);
	CHECK(n_msgs == 1, "%s: %d messages (last '%s')", what, n_msgs, msg);
	CHECK(strchr(msg, '\n') == NULL, "%s: message has a newline: '%s'", what, msg);
	CHECK(strncmp(msg, prefix, strlen(prefix)) == 0 && msg[strlen(prefix)],
	      "%s: message '%s' does not start with '%s'", what, msg, prefix);
	CHECK(!want || strstr(msg, want), "%s: message '%s' lacks '%s'", what, msg, want);
	if (rc == 0)
		fb_image_free(&img);
}

/* ---- 1. round trips -------------------------------------------------------------- */

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* An image of the layout with varied samples: the extremes often, the rest random. */
static struct fb_image make_image(uint32_t w, uint32_t h, unsigned channels, unsigned depth)
{
	struct fb_image img = { w, h, channels, depth, NULL };
	size_t n = (size_t)w * h * channels;
	uint32_t max = depth == 8 ? 0xff : 0xffff;

	img.data = malloc(n * (depth / 8));
	for (size_t i = 0; i < n; i++) {
		uint32_t r = rng(), v = r % 7 == 0 ? 0 : r % 7 == 1 ? max : (r >> 8) & max;

		if (depth == 8)
			((uint8_t *)img.data)[i] = (uint8_t)v;
		else
			((uint16_t *)img.data)[i] = (uint16_t)v;
	}
	return img;
}

static void round_trip(uint32_t w, uint32_t h, unsigned channels, unsigned depth)
{
	static const int color_type[] = { 0, 4, 2, 6 };
	struct fb_image img = make_image(w, h, channels, depth), back;
	char what[64], label[64];
	struct fb_png_text text[] = { { "forkband:test", label } };
	struct fb_bytes png, again;
	const char *path = tmp_path("round.png");
	uint8_t *file;
	size_t len;
	char *s;

	snprintf(what, sizeof(what), "%ux%u, %u channels of %u bits", w, h, channels, depth);
	snprintf(label, sizeof(label), "layout %u/%u", channels, depth);
	reset_msgs();
	CHECK(fb_png_encode_image(what, &img, text, 1, &png) == 0, "%s: %s", what, msg);
	CHECK(png.len > 33 && png.data[24] == depth && png.data[25] == color_type[channels - 1],
	      "%s: IHDR says depth %u, colour type %u", what, png.data[24], png.data[25]);
	CHECK(fb_png_write_image(path, &img, text, 1) == 0, "%s: %s", what, msg);
	file = slurp(path, &len);
	CHECK(file && len == png.len && memcmp(file, png.data, len) == 0,
	      "%s: the file differs from the encoding in memory", what);
	free(file);

	CHECK(fb_png_read_image(path, NULL, &back) == 0, "%s: %s", what, msg);
	CHECK(back.data && same_image(&img, &back), "%s: read back as %ux%u, %u channels of "
	      "%u bits, or other samples", what, back.width, back.height, back.channels,
	      back.depth);
	if (back.data) {	/* and encodes to the same bytes again */
		CHECK(fb_png_encode_image(what, &back, text, 1, &again) == 0, "%s", msg);
		CHECK(again.len == png.len && memcmp(again.data, png.data, png.len) == 0,
		      "%s: re-encoding gives other bytes", what);
		free(again.data);
	}
	fb_image_free(&back);
	CHECK(back.data == NULL, "fb_image_free leaves data");
	CHECK(fb_png_read_text(path, "forkband:test", &s) == 0 && strcmp(s, label) == 0,
	      "%s: text chunk '%s'", what, s ? s : msg);
	free(s);
	free(png.data);
	free(img.data);
}

/* A pipe is read like a file (and fb_is_png_file() does not read it). */
static void read_from_pipe(void)
{
	struct fb_image img = make_image(33, 17, 4, 16), back;
	const char *fifo = tmp_path("pipe.png");
	struct fb_bytes png;
	pid_t pid;
	int status;

	CHECK(fb_png_encode_image("pipe", &img, NULL, 0, &png) == 0, "%s", msg);
	if (mkfifo(fifo, 0600) != 0) {
		printf("png: cannot make a FIFO (%s): pipe test skipped\n", strerror(errno));
		free(png.data);
		free(img.data);
		return;
	}
	CHECK(!fb_is_png_file(fifo), "a FIFO counts as a PNG file");
	pid = fork();
	if (pid == 0) {
		FILE *f = fopen(fifo, "wb");

		_exit(f && fwrite(png.data, 1, png.len, f) == png.len && fclose(f) == 0 ? 0 : 1);
	}
	CHECK(fb_png_read_image(fifo, NULL, &back) == 0, "pipe: %s", msg);
	CHECK(back.data && same_image(&img, &back), "pipe: other pixels");
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "pipe writer failed");
	fb_image_free(&back);
	free(png.data);
	free(img.data);
}

static void round_trips(void)
{
	static const uint32_t size[][2] = { { 1, 1 }, { 7, 3 }, { 33, 17 }, { 1, 40 }, { 40, 1 } };
	struct fb_image img = make_image(7, 3, 3, 8), bad;
	struct fb_bytes a, b;
	int n = 0;

	for (unsigned depth = 8; depth <= 16; depth += 8)
		for (unsigned c = 1; c <= 4; c++)
			for (size_t i = 0; i < FB_ARRAY_LEN(size); i++, n++)
				round_trip(size[i][0], size[i][1], c, depth);

	/* fb_png_encode_rgb() is fb_png_encode_image() of 8-bit RGB */
	CHECK(fb_png_encode_rgb("rgb", 7, 3, img.data, NULL, 0, &a) == 0, "%s", msg);
	CHECK(fb_png_encode_image("rgb", &img, NULL, 0, &b) == 0, "%s", msg);
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0, "rgb: other bytes");
	free(a.data);
	free(b.data);

	bad = img;
	bad.channels = 5;
	reset_msgs();
	CHECK(fb_png_encode_image("'five.png'", &bad, NULL, 0, &a) == -1 && n_msgs == 1 &&
	      strstr(msg, "cannot encode 'five.png'") && a.data == NULL, "5 channels: '%s'", msg);
	bad = img;
	bad.width = 0;
	reset_msgs();
	CHECK(fb_png_encode_image("'empty.png'", &bad, NULL, 0, &a) == -1 && n_msgs == 1 &&
	      strstr(msg, "cannot encode 'empty.png'") && a.data == NULL, "0 wide: '%s'", msg);
	free(img.data);

	read_from_pipe();
	printf("png: %d round trips of every layout\n", n);
}

/* ---- 2. the corpus --------------------------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A copy of the PNG without its gAMA, cHRM, sRGB and iCCP chunks (each chunk stands
 * alone, with its own CRC, so dropping some leaves a valid file). A chunk that runs
 * past the end is copied as it is, with the rest. */
static uint8_t *strip_colour_chunks(const uint8_t *p, size_t len, size_t *out_len)
{
	static const char *const drop[] = { "gAMA", "cHRM", "sRGB", "iCCP" };
	uint8_t *o = malloc(len ? len : 1);
	size_t i = len < 8 ? len : 8, n = i;

	memcpy(o, p, i);
	while (len - i >= 12 && be32(p + i) <= len - i - 12) {
		size_t chunk = (size_t)be32(p + i) + 12;
		bool keep = true;

		for (size_t k = 0; k < FB_ARRAY_LEN(drop); k++)
			keep = keep && memcmp(p + i + 4, drop[k], 4) != 0;
		if (keep) {
			memcpy(o + n, p + i, chunk);
			n += chunk;
		}
		i += chunk;
	}
	memcpy(o + n, p + i, len - i);
	*out_len = n + len - i;
	return o;
}

/* The data of the first chunk of the type, or NULL. */
static const uint8_t *find_chunk(const uint8_t *p, size_t len, const char *type, uint32_t *n)
{
	for (size_t i = 8; len >= 12 && i <= len - 12 && be32(p + i) <= len - i - 12;
	     i += (size_t)be32(p + i) + 12) {
		if (memcmp(p + i + 4, type, 4) == 0) {
			*n = be32(p + i);
			return p + i + 8;
		}
	}
	return NULL;
}

enum verdict { SAME, DIFFERENT, UNCOMPARED };

/* Colour samples of 16-bit images with an alpha channel below 65535, which the
 * simplified API lets us check in full only premultiplied (see below); interlaced
 * 16-bit files, checked without the 8-bit comparison. */
static size_t premultiplied_only;
static int interlaced_16;

/* The simplified API's decoding of the PNG in memory, in the format, or NULL after
 * saying why. Checks the size and, from the file's own format, our layout. */
static void *simplified(const char *name, const uint8_t *png, size_t len,
			const struct fb_image *img, png_uint_32 format, png_uint_32 flags)
{
	png_image im = { .version = PNG_IMAGE_VERSION };
	unsigned c = img->channels;
	void *buf;

	if (!png_image_begin_read_from_memory(&im, png, len)) {
		printf("png:   %s: the simplified API refuses it: %s\n", name, im.message);
		return NULL;
	}
	CHECK(!!(im.format & PNG_FORMAT_FLAG_ALPHA) == (c % 2 == 0) &&
	      !!(im.format & PNG_FORMAT_FLAG_COLOR) == (c >= 3) &&
	      !!(im.format & PNG_FORMAT_FLAG_LINEAR) == (img->depth == 16),
	      "%s: %u channels of %u bits, but the file's format is %#x", name, c, img->depth,
	      (unsigned)im.format);
	if (im.width != img->width || im.height != img->height) {
		CHECK(false, "%s: %ux%u, simplified %ux%u", name, img->width, img->height,
		      im.width, im.height);
		png_image_free(&im);
		return NULL;
	}
	im.format = format;
	im.flags |= flags;
	buf = malloc(PNG_IMAGE_SIZE(im));
	if (!png_image_finish_read(&im, NULL, buf, 0, NULL)) {
		printf("png:   %s: the simplified API fails: %s\n", name, im.message);
		free(buf);
		return NULL;
	}
	return buf;
}

/* Compares our decoding of the file with libpng's simplified API's.
 *
 * The simplified API converts: it reads gAMA, sRGB, iCCP and cHRM and converts the
 * samples to sRGB (8-bit output) or linear (16-bit output), which a raw decoding
 * rightly does not. With those chunks gone, libpng 1.6 assumes an 8-bit file is sRGB
 * and a 16-bit file linear, unless the caller sets PNG_IMAGE_FLAG_16BIT_sRGB
 * (png_image_read_direct(): PNG_GAMMA_LINEAR for 16-bit input without that flag,
 * PNG_DEFAULT_sRGB otherwise). So:
 *   - An 8-bit image (palette and gray below 8 bits included: they expand to 8) asked
 *     for in the 8-bit format of our layout (PNG_FORMAT_GRAY, GA, RGB, RGBA) is sRGB
 *     in and sRGB out: no conversion, and 8-bit alpha is not premultiplied, so every
 *     sample must be equal.
 *   - A 16-bit image asked for in the linear (16-bit) format of our layout
 *     (PNG_FORMAT_LINEAR_Y, _Y_ALPHA, _RGB, _RGB_ALPHA) is linear in and linear out: no
 *     conversion either, but linear formats are premultiplied by alpha. So alpha must
 *     be equal, and each colour sample c of ours must give theirs as
 *     (c * a + 32767) / 65535, libpng's png_composite_16() over a black background.
 *     Where a is 65535 that is c itself: an exact comparison. Where the alpha comes
 *     from tRNS it is 0 or 65535, and a transparent pixel's colour is checked against
 *     the tRNS chunk instead (alpha 0 exactly where the colour is the tRNS colour).
 *   - That leaves the colour of 16-bit pixels with a real alpha below 65535 (counted
 *     in premultiplied_only), compared above only premultiplied (for alpha 0, not at
 *     all). The same 16-bit image is also asked for in the 8-bit format of our layout
 *     with PNG_IMAGE_FLAG_16BIT_sRGB: sRGB in, sRGB out, no conversion and no
 *     premultiplication, only png_set_scale_16(), so every sample s of ours, colour
 *     at any alpha included, must give (s * 255 + 32767) / 65535, s/257 rounded.
 *     Those colour samples are thus checked to 8 bits unpremultiplied and to 16 bits
 *     premultiplied, not to all 16 bits on their own: the simplified API has no
 *     output that is 16-bit and not premultiplied. (Asking for 8 bits without the
 *     flag would convert linear to sRGB: not comparable.)
 *     Not for Adam7-interlaced files: there the simplified API's 16-to-8-bit path
 *     (png_image_read_direct_scaled()) gets about half the samples wrong, a libpng
 *     bug (github.com/pnggroup/libpng/issues/853; Debian's libpng 1.6.39 has it); the
 *     interlaced PngSuite files are instead checked equal to their non-interlaced
 *     twins (interlaced_pairs()), which pass both comparisons.
 * These rules were found by reasoning and confirmed by experiment: the whole corpus
 * compares equal under them, and without stripping the four chunks 65 of its files
 * differ.
 */
static enum verdict compare_simplified(const char *name, const uint8_t *file, size_t len,
				       const struct fb_image *img)
{
	static const png_uint_32 fmt8[] = { PNG_FORMAT_GRAY, PNG_FORMAT_GA, PNG_FORMAT_RGB,
					    PNG_FORMAT_RGBA };
	static const png_uint_32 fmt16[] = { PNG_FORMAT_LINEAR_Y, PNG_FORMAT_LINEAR_Y_ALPHA,
					     PNG_FORMAT_LINEAR_RGB,
					     PNG_FORMAT_LINEAR_RGB_ALPHA };
	unsigned c = img->channels;
	bool alpha = c % 2 == 0, wide = img->depth == 16, interlaced = len > 28 && file[28];
	size_t stripped_len, n = (size_t)img->width * img->height, bad = 0;
	uint8_t *stripped = strip_colour_chunks(file, len, &stripped_len), *buf, *buf8 = NULL;
	const uint8_t *trns = NULL;
	uint32_t trns_len = 0;

	/* a 16-bit gray or RGB file whose alpha comes from tRNS: 2 bytes per channel */
	if (wide && alpha && len > 25 && (file[25] == 0 || file[25] == 2)) {
		trns = find_chunk(file, len, "tRNS", &trns_len);
		CHECK(trns && trns_len == 2 * (c - 1), "%s: alpha but no tRNS chunk", name);
		if (!trns || trns_len != 2 * (c - 1))
			trns = NULL;
	}
	buf = simplified(name, stripped, stripped_len, img, (wide ? fmt16 : fmt8)[c - 1], 0);
	interlaced_16 += wide && interlaced;
	if (buf && wide && !interlaced)
		buf8 = simplified(name, stripped, stripped_len, img, fmt8[c - 1],
				  PNG_IMAGE_FLAG_16BIT_sRGB);
	free(stripped);
	if (!buf || (wide && !interlaced && !buf8)) {
		free(buf);
		return UNCOMPARED;
	}
	for (size_t p = 0; p < n && wide; p++) {
		const uint16_t *px = (const uint16_t *)img->data + p * c;
		const uint16_t *lin = (const uint16_t *)(void *)buf + p * c;
		uint32_t a = alpha ? px[c - 1] : 65535;

		if (trns) {	/* alpha 0 exactly on the tRNS colour, else 65535 */
			bool on_trns = true;

			for (unsigned k = 0; k + 1 < c; k++)
				on_trns = on_trns && px[k] == (trns[2 * k] << 8 | trns[2 * k + 1]);
			if (((a == 0) != on_trns || (a != 0 && a != 65535)) && bad++ == 0)
				fprintf(stderr, "%s: pixel (%zu, %zu): alpha %u, %s the tRNS "
					"colour\n", name, p % img->width, p / img->width, a,
					on_trns ? "on" : "off");
		}
		for (unsigned k = 0; k < c; k++) {
			bool colour = alpha && k != c - 1;
			uint32_t ours = colour ? (px[k] * a + 32767) / 65535 : px[k];
			uint32_t ours8 = (px[k] * 255u + 32767) / 65535;

			premultiplied_only += colour && !trns && a != 65535 && buf8;
			if ((ours != lin[k] || (buf8 && ours8 != buf8[p * c + k])) && bad++ == 0)
				fprintf(stderr, "%s: pixel (%zu, %zu) channel %u: %u, simplified "
					"%u linear, %d 8-bit\n", name, p % img->width,
					p / img->width, k, px[k], lin[k],
					buf8 ? buf8[p * c + k] : -1);
		}
	}
	for (size_t i = 0; i < n * c && !wide; i++) {
		if (((const uint8_t *)img->data)[i] != buf[i] && bad++ == 0)
			fprintf(stderr, "%s: pixel (%zu, %zu) channel %zu: %u, simplified %u\n",
				name, i / c % img->width, i / c / img->width, i % c,
				((const uint8_t *)img->data)[i], buf[i]);
	}
	free(buf);
	free(buf8);
	CHECK(!bad, "%s: %zu samples differ from the simplified API's", name, bad);
	return bad ? DIFFERENT : SAME;
}

static int png_name(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 4 && strcmp(e->d_name + n - 4, ".png") == 0;
}

struct tally {
	int decoded, same, refused, uncompared;
};

/* Every *.png in dir (sorted): decoded and compared, or, for PngSuite's x*.png,
 * refused. must_decode: a refusal is a failure (else it is counted, with its message). */
static void corpus_folder(const char *root, const char *sub, bool must_decode, bool x_invalid,
			  struct tally *t)
{
	char dir[512], path[1024], name[512];
	struct dirent **list;
	int n;

	snprintf(dir, sizeof(dir), "%s/%s", root, sub);
	n = scandir(dir, &list, png_name, alphasort);
	CHECK(n > 0, "%s: no PNG files (%s)", dir, n < 0 ? strerror(errno) : "empty");
	for (int i = 0; i < n; i++) {
		struct fb_image img;
		uint8_t *file;
		size_t len;
		int rc;

		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		snprintf(name, sizeof(name), "%s/%s", sub, list[i]->d_name);
		if (x_invalid && list[i]->d_name[0] == 'x') {
			expect_refused(path, NULL, NULL, name);
			t->refused++;
			free(list[i]);
			continue;
		}
		reset_msgs();
		rc = fb_png_read_image(path, NULL, &img);
		if (rc == 0) {
			t->decoded++;
			file = slurp(path, &len);
			CHECK(file, "%s: cannot read it", name);
			switch (file ? compare_simplified(name, file, len, &img) : DIFFERENT) {
			case SAME:
				t->same++;
				break;
			case UNCOMPARED:
				t->uncompared++;
				break;
			case DIFFERENT:
				break;
			}
			free(file);
			fb_image_free(&img);
		} else {
			CHECK(!must_decode, "%s: refused: %s", name, msg);
			if (!must_decode) {
				expect_refused(path, NULL, NULL, name);
				printf("png:   %s: refused: %s\n", name, msg);
			}
			t->refused++;
		}
		free(list[i]);
	}
	free(list);
}

/* PngSuite's i*.png are the same pixels as its *.png, interlaced. */
static int interlaced_pairs(const char *root)
{
	static const char *const dirs[] = { "pngsuite", "pngsuite/interlaced" };
	char dir[512], path[1024], plain[1024];
	int pairs = 0;

	for (size_t d = 0; d < FB_ARRAY_LEN(dirs); d++) {
		struct dirent **list;
		int n;

		snprintf(dir, sizeof(dir), "%s/%s", root, dirs[d]);
		n = scandir(dir, &list, png_name, alphasort);
		for (int i = 0; i < n; i++) {
			struct fb_image a, b;
			struct stat st;

			snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
			snprintf(plain, sizeof(plain), "%s/pngsuite/%s", root, list[i]->d_name + 1);
			if (list[i]->d_name[0] == 'i' && stat(plain, &st) == 0) {
				CHECK(fb_png_read_image(path, NULL, &a) == 0, "%s", msg);
				CHECK(fb_png_read_image(plain, NULL, &b) == 0, "%s", msg);
				CHECK(a.data && b.data && same_image(&a, &b),
				      "%s: other pixels than %s", path, plain);
				fb_image_free(&a);
				fb_image_free(&b);
				pairs++;
			}
			free(list[i]);
		}
		if (n > 0)
			free(list);
	}
	return pairs;
}

static void corpus(const char *root)
{
	struct tally good = { 0 }, bad = { 0 };
	struct stat st;
	int pairs;

	if (stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
		printf("png: SKIPPED the corpus tests: no folder %s (CI has it beside the clone, "
		       "as ../shared/testdata/png)\n", root);
		return;
	}
	corpus_folder(root, "pngsuite", true, true, &good);
	corpus_folder(root, "pngsuite/interlaced", true, true, &good);
	corpus_folder(root, "testpngs", true, false, &good);
	printf("png: corpus: %d files decoded, %d equal to what libpng's simplified API gives, "
	       "%d not comparable, %d refused as intended (PngSuite x*.png)\n", good.decoded,
	       good.same, good.uncompared, good.refused);
	printf("png: corpus: of their samples, %zu (colour, 16-bit, alpha below 65535) checked "
	       "to 16 bits premultiplied and to 8 bits as they are, the rest exactly; %d "
	       "interlaced 16-bit files without the 8-bit check\n", premultiplied_only,
	       interlaced_16);
	CHECK(good.same == good.decoded, "%d decoded files differ from the simplified API",
	      good.decoded - good.same - good.uncompared);
	pairs = interlaced_pairs(root);
	CHECK(pairs > 0, "no interlaced PngSuite pairs");
	printf("png: corpus: %d interlaced files decode to the pixels of their non-interlaced "
	       "twins\n", pairs);

	corpus_folder(root, "testpngs/crashers", false, false, &bad);
	corpus_folder(root, "testpngs/badpal", false, false, &bad);
	printf("png: crashers and badpal: %d decoded (%d of them equal to the simplified API, %d "
	       "not comparable), %d refused with one line\n", bad.decoded, bad.same,
	       bad.uncompared, bad.refused);
}

/* ---- 3. broken inputs ------------------------------------------------------------ */

static void put_chunk(uint8_t *p, size_t *len, const char *type, const uint8_t *data,
		      uint32_t n)
{
	put_be32(p + *len, n);
	memcpy(p + *len + 4, type, 4);
	if (n)
		memcpy(p + *len + 8, data, n);
	put_be32(p + *len + 8 + n, (uint32_t)crc32(crc32(0, NULL, 0), p + *len + 4, n + 4));
	*len += n + 12;
}

/* A PNG whose header claims width x height RGBA, with one tiny IDAT. */
static size_t claim_png(uint8_t *p, uint32_t width, uint32_t height)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	uint8_t ihdr[13] = { 0 }, raw[4 * 17] = { 0 }, z[128];	/* 4 rows of 4 pixels */
	uLongf zlen = sizeof(z);
	size_t len = 8;

	memcpy(p, sig, 8);
	put_be32(ihdr, width);
	put_be32(ihdr + 4, height);
	ihdr[8] = 8;
	ihdr[9] = 6;
	put_chunk(p, &len, "IHDR", ihdr, 13);
	compress(z, &zlen, raw, sizeof(raw));
	put_chunk(p, &len, "IDAT", z, (uint32_t)zlen);
	put_chunk(p, &len, "IEND", NULL, 0);
	return len;
}

/* The 100000x100000 header is refused before the pixels are allocated: in a child
 * that could not allocate them (address space limited to 1 GiB), the message is still
 * the limit's. Not under AddressSanitizer, whose shadow memory needs more room. */
static void refused_before_allocating(const char *path, const char *want)
{
#if defined(__SANITIZE_ADDRESS__)
	(void)path;
	(void)want;
#else
	struct rlimit lim = { (rlim_t)1 << 30, (rlim_t)1 << 30 };
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct fb_image img;

		reset_msgs();
		if (setrlimit(RLIMIT_AS, &lim) != 0)
			_exit(3);
		_exit(fb_png_read_image(path, NULL, &img) == -1 && strstr(msg, want) ? 0 : 1);
	}
	CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "with 1 GiB of address space, the 100000x100000 "
	      "header is not refused by the limit (status %#x)", status);
#endif
}

static void broken_inputs(const char *root)
{
	static const uint8_t jpeg[] = { 0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F',
					0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00,
					0x00, 0xff, 0xd9 };
	struct fb_image img = make_image(33, 17, 4, 8), back;
	struct fb_png_text text[] = { { "Comment", "a text chunk before the image data" } };
	struct fb_png_limits lim = { 0 };
	const char *path = tmp_path("bad.png");
	char want[600];
	uint8_t huge[256], *p;
	struct fb_bytes png;
	size_t len;
	int truncated = 0;

	spit(path, "", 0);
	snprintf(want, sizeof(want), "%s: empty file", path);
	expect_refused(path, NULL, want, "empty file");

	spit(path, jpeg, sizeof(jpeg));
	snprintf(want, sizeof(want), "%s: not a PNG file", path);
	expect_refused(path, NULL, want, "JPEG");
	spit(path, "hello, world\n", 13);
	expect_refused(path, NULL, want, "text file");
	reset_msgs();
	CHECK(fb_png_read_text(path, "forkband:config", &(char *){ NULL }) == -1 &&
	      strcmp(msg, want) == 0, "fb_png_read_text of a text file: '%s'", msg);

	reset_msgs();
	CHECK(fb_png_read_image(tmp_path("nosuch.png"), NULL, &back) == -1 && n_msgs == 1 &&
	      strncmp(msg, "cannot open '", 13) == 0 && strstr(msg, "No such file"),
	      "missing file: '%s'", msg);
	reset_msgs();
	CHECK(fb_png_read_image(tmpdir, NULL, &back) == -1 && n_msgs == 1 && strstr(msg, tmpdir),
	      "a folder: '%s'", msg);

	/* every truncation of a valid file */
	CHECK(fb_png_encode_image("truncated", &img, text, 1, &png) == 0, "%s", msg);
	for (len = 0; len < png.len; len++) {
		char what[64];

		snprintf(what, sizeof(what), "truncated at %zu of %zu bytes", len, png.len);
		spit(path, png.data, len);
		expect_refused(path, NULL, NULL, what);
		truncated += strstr(msg, ": truncated file") != NULL;
	}
	CHECK(truncated >= (int)png.len - 16, "only %d of %zu truncations say 'truncated file'",
	      truncated, png.len);
	printf("png: %zu truncations refused (%d saying 'truncated file')\n", png.len, truncated);

	/* a bad CRC on the image data */
	p = malloc(png.len);
	memcpy(p, png.data, png.len);
	for (size_t i = 8; i + 12 <= png.len; i += be32(p + i) + 12) {
		if (memcmp(p + i + 4, "IDAT", 4) == 0) {
			p[i + 8 + be32(p + i) + 3] ^= 1;
			break;
		}
	}
	spit(path, p, png.len);
	snprintf(want, sizeof(want), "%s: IDAT: CRC error", path);
	expect_refused(path, NULL, want, "IDAT CRC");
	CHECK(strcmp(msg, want) == 0, "IDAT CRC: '%s'", msg);
	free(p);

	/* limits: a normal image over a tiny max_bytes, and just over or at it */
	spit(path, png.data, png.len);
	lim.max_bytes = 100;
	snprintf(want, sizeof(want),
		 "%s: a 33x17 image needs 2.2 KiB decoded, above the limit of 100 bytes", path);
	expect_refused(path, &lim, want, "max_bytes 100");
	CHECK(strcmp(msg, want) == 0, "max_bytes 100: '%s'", msg);
	lim.max_bytes = 33 * 17 * 4 - 1;
	snprintf(want, sizeof(want), "%s: a 33x17 image needs 2244 bytes decoded, above the "
		 "limit of 2243 bytes", path);
	expect_refused(path, &lim, want, "max_bytes 2243");
	CHECK(strcmp(msg, want) == 0, "max_bytes 2243: '%s'", msg);
	lim.max_bytes = 33 * 17 * 4;
	CHECK(fb_png_read_image(path, &lim, &back) == 0 && same_image(&img, &back),
	      "max_bytes 2244: %s", msg);
	fb_image_free(&back);
	lim = (struct fb_png_limits){ .max_width = 32 };
	expect_refused(path, &lim, "width exceeds user limit", "max_width 32");
	lim = (struct fb_png_limits){ .max_height = 16 };
	expect_refused(path, &lim, "height exceeds user limit", "max_height 16");
	lim = (struct fb_png_limits){ .max_width = 33, .max_height = 17 };
	CHECK(fb_png_read_image(path, &lim, &back) == 0, "max 33x17: %s", msg);
	fb_image_free(&back);

	/* a header claiming 100000x100000 */
	len = claim_png(huge, 100000, 100000);
	spit(path, huge, len);
	snprintf(want, sizeof(want), "%s: a 100000x100000 image needs 37.3 GiB decoded, above "
		 "the limit of 2.0 GiB", path);
	expect_refused(path, NULL, want, "100000x100000");
	CHECK(strcmp(msg, want) == 0, "100000x100000: '%s'", msg);
	refused_before_allocating(path, "above the limit of 2.0 GiB");
	lim = (struct fb_png_limits){ .max_width = 50000 };
	expect_refused(path, &lim, "width exceeds user limit", "100000 wide, max_width 50000");
	/* and past libpng's own default of 1000000 */
	len = claim_png(huge, 2000000, 1);
	spit(path, huge, len);
	expect_refused(path, NULL, "width exceeds user limit", "2000000 wide");
	/* the tiny header is otherwise fine: a 4x4 one decodes its one IDAT */
	len = claim_png(huge, 4, 4);
	spit(path, huge, len);
	CHECK(fb_png_read_image(path, NULL, &back) == 0 && back.channels == 4, "4x4: %s", msg);
	fb_image_free(&back);

	/* a text chunk claiming 1 GiB (the file ends after a few bytes of it): skipped by
	 * the image reader, refused by the text reader, held in memory by neither */
	len = claim_png(huge, 4, 4);
	memmove(huge + 33 + 20, huge + 33, len - 33);
	memcpy(huge + 33, "\x3f\xff\xff\xfftEXtComment\0abcdefgh", 20);
	spit(path, huge, 53);
	snprintf(want, sizeof(want), "%s: truncated file", path);
	expect_refused(path, NULL, want, "1 GiB tEXt chunk");
	reset_msgs();
	snprintf(want, sizeof(want), "%s: tEXt: chunk data is too large", path);
	CHECK(fb_png_read_text(path, "Comment", &(char *){ NULL }) == -1 && n_msgs == 1 &&
	      strcmp(msg, want) == 0, "1 GiB tEXt chunk, text reader: '%s'", msg);

	/* an interlaced file truncated: the passes must not read past what there is */
	if (root) {
		char src[1024];
		uint8_t *file;

		snprintf(src, sizeof(src), "%s/pngsuite/ibasn6a16.png", root);
		file = slurp(src, &len);
		if (file) {
			for (size_t cut = 0; cut < len; cut += 7) {
				spit(path, file, cut);
				expect_refused(path, NULL, NULL, "interlaced, truncated");
			}
			free(file);
		}
	}
	free(png.data);
	free(img.data);
}

/* ---- 4. forkband's encoder ------------------------------------------------------- */

/* An image that compresses like a render: smooth waves with a little texture. */
static struct fb_image make_smooth(uint32_t w, uint32_t h, unsigned channels, unsigned depth)
{
	struct fb_image img = { w, h, channels, depth, NULL };
	uint32_t max = depth == 8 ? 0xff : 0xffff;

	img.data = malloc((size_t)w * h * channels * (depth / 8));
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			for (unsigned c = 0; c < channels; c++) {
				double t = sin(x * 0.021 * (c + 1) + 3 * sin(y * 0.013)) * 0.45 + 0.5;
				uint32_t v = (uint32_t)(t * max) ^ (rng() & 3);
				size_t i = ((size_t)y * w + x) * channels + c;

				if (depth == 8)
					((uint8_t *)img.data)[i] = (uint8_t)(v > max ? max : v);
				else
					((uint16_t *)img.data)[i] = (uint16_t)(v > max ? max : v);
			}
	return img;
}

/* Checks what a decoder checks, independently of libpng: the chunk CRCs, IHDR first and
 * IEND last, and the IDAT data inflating (zlib checks its header and Adler-32) to
 * exactly height rows of a filter byte and the row; then libpng decodes it to img's
 * pixels. Returns the filtered data (malloc()ed), or NULL. */
static uint8_t *check_decodes(const char *what, const struct fb_bytes *png,
			      const struct fb_image *img)
{
	size_t row = 0, total, stride, idat_len = 0, pos = 8;
	uint8_t *idat = malloc(png->len), *raw;
	uLongf raw_len;
	struct fb_image back;
	const char *path = tmp_path("enc.png");
	bool iend = false;

	fb_image_sizes(img->width, img->height, img->channels, img->depth, &row, &total);
	stride = row + 1;
	CHECK(png->len > 8 && memcmp(png->data, "\x89PNG\r\n\x1a\n", 8) == 0, "%s: signature",
	      what);
	while (idat && pos + 12 <= png->len && !iend) {
		uint32_t n = be32(png->data + pos);
		const uint8_t *type = png->data + pos + 4;

		if (pos + 12 + (size_t)n > png->len)
			break;
		CHECK(be32(type + 4 + n) == (uint32_t)crc32(0, type, n + 4), "%s: bad CRC of %.4s",
		      what, (const char *)type);
		CHECK(pos != 8 || memcmp(type, "IHDR", 4) == 0, "%s: IHDR is not first", what);
		if (memcmp(type, "IDAT", 4) == 0) {
			CHECK(n <= FB_PNG_IDAT_BYTES, "%s: an IDAT of %u bytes", what, n);
			memcpy(idat + idat_len, type + 4, n);
			idat_len += n;
		}
		iend = memcmp(type, "IEND", 4) == 0;
		pos += 12 + (size_t)n;
	}
	CHECK(iend && pos == png->len, "%s: IEND missing or not last", what);
	raw_len = (uLongf)(stride * img->height + 1);
	raw = malloc(raw_len);
	CHECK(idat && raw && uncompress(raw, &raw_len, idat, (uLong)idat_len) == Z_OK &&
	      raw_len == stride * img->height,
	      "%s: the image data is not one zlib stream of %zu bytes", what,
	      stride * img->height);
	free(idat);

	spit(path, png->data, png->len);
	reset_msgs();
	CHECK(fb_png_read_image(path, NULL, &back) == 0 && same_image(img, &back),
	      "%s: decodes to other pixels (%s)", what, msg);
	fb_image_free(&back);
	return raw;
}

static void encode_groups(void *ctx, uint32_t g0, uint32_t g1, void *unused)
{
	(void)unused;
	fb_png_groups_encode(ctx, g0, g1);
}

/* img encoded on the pool as app/driver.c does it, the groups shared out by schedule. */
static int encode_on_pool(const struct fb_image *img, unsigned workers, enum fb_schedule s,
			  struct fb_bytes *out)
{
	static const struct fb_png_settings set = FB_PNG_DEFAULTS;
	struct fb_png_groups e;
	struct fb_pool_options opt = { .workers = workers, .schedule = s, .chunk = 1 };
	struct fb_pass pass = { .name = "encode", .compute = encode_groups };
	struct fb_pass_stats st;
	int rc;

	if (fb_png_groups_init(&e, "pool", img, &set) < 0)
		return -1;
	pass.rows = e.n;
	pass.ctx = &e;
	if (opt.workers > e.n)
		opt.workers = e.n;
	rc = fb_pool_run(&opt, &pass, &st);
	if (rc == 0) {
		fb_pass_stats_free(&st);
		rc = fb_png_groups_finish(&e, "pool", NULL, 0, out);
	}
	fb_png_groups_free(&e);
	return rc;
}

/* Every deflate, level and filter: the pixels come back and the rows carry the filter
 * asked for. zlib: the size is within 1% of libpng's at the same level. libdeflate (no
 * dictionary, its own match finder): level 1 compresses what level 0 stores, its top
 * level is not larger than level 1 by more than 2% (on noisy rows it can be a little
 * larger), and the default level is within 5% of libpng at zlib's level 6. (On rendered
 * images it is within 1%, mostly smaller: docs/performance.md, "Deflate"; on this
 * synthetic gradient, libdeflate's weakest case, 1.5% to 4% larger.) */
static void encoder_settings(void)
{
	struct fb_image img = make_smooth(200, 800, 3, 8);
	size_t stride = 200 * 3 + 1, size[13][6];
	struct fb_png_groups e;
	int n = 0;

	CHECK(fb_png_groups_init(&e, "plan", &img, &(struct fb_png_settings)FB_PNG_DEFAULTS) == 0 &&
	      e.n == 2, "a 200x800 RGB image is not two groups");
	fb_png_groups_free(&e);
	for (int d = FB_PNG_DEFLATE_LIBDEFLATE; d <= FB_PNG_DEFLATE_ZLIB; d++) {
		int top = fb_png_max_level((enum fb_png_deflate)d);

		for (int level = 0; level <= top; level++)
			for (int f = FB_PNG_FILTER_NONE; f <= FB_PNG_FILTER_ADAPTIVE; f++, n++) {
				struct fb_png_settings set = { level, (enum fb_png_filter)f,
							       (enum fb_png_deflate)d };
				struct fb_png_settings lib_set = { d == FB_PNG_DEFLATE_ZLIB ? level : 6,
								   (enum fb_png_filter)f,
								   FB_PNG_DEFLATE_ZLIB };
				bool sized = d == FB_PNG_DEFLATE_ZLIB || level == FB_PNG_DEFAULT_LEVEL;
				struct fb_bytes ours, lib;
				char what[80];
				uint8_t *raw;
				unsigned used = 0;

				snprintf(what, sizeof(what), "%s level %d, filter %s",
					 fb_png_deflate_names[d], level, fb_png_filter_names[f]);
				reset_msgs();
				CHECK(fb_png_encode(what, &img, NULL, 0, &set, &ours) == 0, "%s: %s",
				      what, msg);
				CHECK(fb_png_encode_libpng(what, &img, NULL, 0, &lib_set, &lib) == 0,
				      "%s: %s", what, msg);
				raw = check_decodes(what, &ours, &img);
				for (uint32_t y = 0; raw && y < img.height; y++)
					used |= 1u << raw[y * stride];
				CHECK(f == FB_PNG_FILTER_ADAPTIVE ? used > 1 && used < 32
								  : used == 1u << f,
				      "%s: rows filtered with types 0x%x", what, used);
				CHECK(!sized || ours.len <= lib.len + lib.len /
									(d == FB_PNG_DEFLATE_ZLIB ? 100 : 20),
				      "%s: %zu bytes, libpng at zlib level %d %zu", what, ours.len,
				      lib_set.level, lib.len);
				size[level][f] = ours.len;
				free(raw);
				free(ours.data);
				free(lib.data);
			}
		for (int f = FB_PNG_FILTER_NONE; f <= FB_PNG_FILTER_ADAPTIVE; f++)
			CHECK(size[1][f] < size[0][f] && size[top][f] <= size[1][f] + size[1][f] / 50,
			      "%s, filter %s: level 0, 1, %d give %zu, %zu, %zu bytes",
			      fb_png_deflate_names[d], fb_png_filter_names[f], top, size[0][f],
			      size[1][f], size[top][f]);
	}
	free(img.data);
	printf("png: forkband's encoder at %d deflates x levels x filters decodes; zlib within "
	       "1%% of libpng, libdeflate's default within 5%% of libpng's level 6\n", n);
}

/* Every layout, one group or several, rows longer than a group. */
static void encoder_layouts(void)
{
	static const uint32_t size[][2] = { { 1, 1 }, { 3, 700 }, { 701, 150 }, { 90000, 3 } };
	int n = 0;

	for (unsigned depth = 8; depth <= 16; depth += 8)
		for (unsigned c = 1; c <= 4; c++)
			for (size_t i = 0; i < FB_ARRAY_LEN(size); i++, n++) {
				struct fb_image img = make_smooth(size[i][0], size[i][1], c, depth);
				struct fb_bytes png;
				char what[64];

				snprintf(what, sizeof(what), "%ux%u, %u channels of %u bits",
					 size[i][0], size[i][1], c, depth);
				reset_msgs();
				CHECK(fb_png_encode_image(what, &img, NULL, 0, &png) == 0, "%s: %s",
				      what, msg);
				free(check_decodes(what, &png, &img));
				free(png.data);
				free(img.data);
			}
	printf("png: forkband's encoder decodes in %d layouts and sizes\n", n);
}

/* The same bytes from one process and from any number of workers and schedule. */
static void encoder_workers(void)
{
	static const unsigned workers[] = { 1, 2, 3, 7, 16 };
	static const enum fb_schedule sched[] = { FB_SCHED_STATIC, FB_SCHED_CYCLIC,
						  FB_SCHED_DYNAMIC, FB_SCHED_GUIDED };
	struct fb_image imgs[] = { make_smooth(800, 400, 3, 16), make_image(640, 480, 3, 8) };
	int n = 0;

	for (size_t k = 0; k < FB_ARRAY_LEN(imgs); k++) {
		struct fb_bytes one;

		CHECK(fb_png_encode_image("one", &imgs[k], NULL, 0, &one) == 0, "%s", msg);
		for (size_t w = 0; w < FB_ARRAY_LEN(workers); w++)
			for (size_t s = 0; s < FB_ARRAY_LEN(sched); s++, n++) {
				struct fb_bytes many;

				reset_msgs();
				CHECK(encode_on_pool(&imgs[k], workers[w], sched[s], &many) == 0,
				      "%u workers: %s", workers[w], msg);
				CHECK(many.len == one.len && memcmp(many.data, one.data, one.len) == 0,
				      "image %zu, %u workers, %s: other bytes than in one process", k,
				      workers[w], fb_schedule_name(sched[s]));
				free(many.data);
			}
		free(one.data);
		free(imgs[k].data);
	}
	printf("png: %d encodes on the pool gave the bytes of one process\n", n);
}

static void encoder_refuses(void)
{
	struct fb_image img = make_image(4, 4, 3, 8);
	struct fb_bytes png;

	reset_msgs();
	CHECK(fb_png_encode("'x.png'", &img, NULL, 0,
			    &(struct fb_png_settings){ 10, 5, FB_PNG_DEFLATE_ZLIB }, &png) == -1 &&
	      n_msgs == 1 && strstr(msg, "cannot encode 'x.png'") && png.data == NULL,
	      "zlib level 10: '%s'", msg);
	reset_msgs();
	CHECK(fb_png_encode("'x.png'", &img, NULL, 0,
			    &(struct fb_png_settings){ 13, 5, FB_PNG_DEFLATE_LIBDEFLATE }, &png) == -1 &&
	      n_msgs == 1 && strstr(msg, "cannot encode 'x.png'") && png.data == NULL,
	      "libdeflate level 13: '%s'", msg);
	free(img.data);
}

int main(int argc, char **argv)
{
	const char *root = argc > 1 ? argv[1] : NULL;
	const char *t = getenv("TMPDIR");
	struct stat st;

	if (argc != 2) {
		fprintf(stderr, "usage: test_png_io CORPUS_DIR\n");
		return 2;
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/fbpngXXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "cannot make a temporary folder: %s\n", strerror(errno));
		return 1;
	}
	fb_error_set_sink(sink, NULL);
	round_trips();
	encoder_settings();
	encoder_layouts();
	encoder_workers();
	encoder_refuses();
	corpus(root);
	broken_inputs(stat(root, &st) == 0 ? root : NULL);
	remove_tmpdir();
#if !defined(__SANITIZE_ADDRESS__)
	{
		struct rusage ru;

		/* no file, however large it claims to be, made the reader hold much */
		CHECK(getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_maxrss < 256 * 1024,
		      "peak memory %ld KiB", ru.ru_maxrss);
	}
#endif
	return check_exit("test_png_io");
}

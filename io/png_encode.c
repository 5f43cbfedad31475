/* png_encode.c: forkband's PNG encoder in row groups (png_encode.h says how and why).
 *
 * The PNG facts used here (PNG specification, sections 9 and 10): every row of the image
 * data starts with a filter type byte (0 none, 1 sub, 2 up, 3 average, 4 Paeth) and
 * holds its bytes minus a prediction from the byte bpp to the left (a), the byte above
 * (b) and the one above-left (c), all zero off the image; 16-bit samples are
 * big-endian. The data is one zlib stream (RFC 1950: a 2-byte header, deflate data, the
 * Adler-32 of the uncompressed bytes, big-endian), cut into IDAT chunks in any sizes.
 */
#include "runtime/compat.h"

#include "png_encode.h"

#include "deflate_blocks.h"
#include "runtime/error.h"
#include "runtime/shared_mem.h"

#include <inttypes.h>
#include <libdeflate.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* Deflate's window: a group's dictionary is the filtered bytes this far back. */
#define WINDOW 32768u

/* A row longer than this is refused (zlib takes a group's bytes in one call). */
#define MAX_ROW_BYTES (1u << 30)

static bool settings_ok(const struct fb_png_settings *set)
{
	return (set->deflate == FB_PNG_DEFLATE_LIBDEFLATE || set->deflate == FB_PNG_DEFLATE_ZLIB) &&
	       set->level >= 0 && set->level <= fb_png_max_level(set->deflate) &&
	       set->filter >= FB_PNG_FILTER_NONE && set->filter <= FB_PNG_FILTER_ADAPTIVE;
}

void fb_png_group_shape(size_t row_bytes, uint32_t *group_rows, uint32_t *dict_rows)
{
	size_t stride = row_bytes + 1;

	*group_rows = stride >= FB_PNG_GROUP_BYTES ? 1 : (uint32_t)(FB_PNG_GROUP_BYTES / stride);
	*dict_rows = (uint32_t)((WINDOW + stride - 1) / stride);
}

size_t fb_png_slot_bytes(size_t row_bytes)
{
	uint32_t rows, dict;

	fb_png_group_shape(row_bytes, &rows, &dict);
	size_t in = (size_t)rows * (row_bytes + 1);
	size_t zb = deflateBound(NULL, (uLong)in);
	size_t lb = libdeflate_deflate_compress_bound(NULL, in);

	/* A bound for any level and strategy of either deflate, plus the sync flush's
	 * empty stored block and slack. */
	return (zb > lb ? zb : lb) + 64;
}

uint32_t fb_png_group_first_row(const struct fb_png_groups *e, uint32_t g)
{
	uint32_t y0 = g * e->group_rows;

	return y0 > e->dict_rows ? y0 - e->dict_rows - 1 : 0;
}

uint32_t fb_png_group_end_row(const struct fb_png_groups *e, uint32_t g)
{
	return g + 1 < e->n ? (g + 1) * e->group_rows : e->img->height;
}

int fb_png_groups_init(struct fb_png_groups *e, const char *what, const struct fb_image *img,
		       const struct fb_png_settings *set)
{
	return fb_png_groups_init_ring(e, what, img, set, 0, 0);
}

int fb_png_groups_init_ring(struct fb_png_groups *e, const char *what,
			    const struct fb_image *img, const struct fb_png_settings *set,
			    uint32_t ring_rows, uint32_t slots)
{
	size_t total;

	memset(e, 0, sizeof(*e));
	if (!settings_ok(set))
		return fb_error("cannot encode %s: deflate %d, level %d or filter %d out of range",
				what, (int)set->deflate, set->level, (int)set->filter);
	if (img->channels < 1 || img->channels > 4 || (img->depth != 8 && img->depth != 16))
		return fb_error("cannot encode %s: unsupported layout (%u channels of %u bits)",
				what, img->channels, img->depth);
	if (!img->width || !img->height || img->width > 0x7fffffffu ||
	    img->height > 0x7fffffffu)
		return fb_error("cannot encode %s: a PNG cannot be %" PRIu32 "x%" PRIu32
				" pixels", what, img->width, img->height);
	if (!fb_image_sizes(img->width, img->height, img->channels, img->depth, &e->row_bytes,
			    &total) || e->row_bytes >= MAX_ROW_BYTES)
		return fb_error("cannot encode %s: image too large", what);
	e->img = img;
	e->set = *set;
	e->bpp = img->channels * (img->depth / 8);
	e->strategy = set->filter == FB_PNG_FILTER_NONE ? Z_DEFAULT_STRATEGY : Z_FILTERED;
	e->ring_rows = ring_rows;
	fb_png_group_shape(e->row_bytes, &e->group_rows, &e->dict_rows);
	e->n = (uint32_t)((img->height + (uint64_t)e->group_rows - 1) / e->group_rows);
	e->slots = slots && slots < e->n ? slots : 0;
	e->slot_cap = fb_png_slot_bytes(e->row_bytes);
	if (!fb_size_mul(e->slot_cap, e->slots ? e->slots : e->n, &e->zbuf_size))
		return fb_error("cannot encode %s: image too large", what);
	e->group_size = e->n * sizeof(*e->group);
	e->group = shared_malloc_or_error(e->group_size);
	e->zbuf = e->group ? shared_malloc_or_error(e->zbuf_size) : NULL;
	if (!e->zbuf) {
		fb_png_groups_free(e);
		return -1;
	}
	return 0;
}

void fb_png_groups_free(struct fb_png_groups *e)
{
	shared_free(e->zbuf, e->zbuf_size);
	shared_free(e->group, e->group_size);
	memset(e, 0, sizeof(*e));
}

/* Where group g's compressed bytes go. */
uint8_t *fb_png_group_slot(const struct fb_png_groups *e, uint32_t g)
{
	return e->zbuf + (size_t)(e->slots ? g % e->slots : g) * e->slot_cap;
}

/* ---- filtering ------------------------------------------------------------------- */

/* Per-process buffers for one group. */
struct scratch {
	uint8_t *buf;		/* filtered rows: the group, or the dictionary's rows */
	uint8_t *swapped[2];	/* 16-bit rows in PNG (big-endian) byte order */
	uint8_t *zero;		/* the row above the first */
	struct libdeflate_compressor *ld;	/* libdeflate at the settings' level */
};

/* The filters, each as one loop that either writes the filtered bytes to out or, with
 * out NULL, only adds up their cost: the bytes read as signed magnitudes (|(int8_t)v|),
 * libpng's measure for choosing a filter. Written without branches in the loops (the
 * Paeth choice as selects), on restrict pointers, so that the compiler vectorises them
 * (built for AVX2 and for baseline x86-64; the loader picks by CPU): the adaptive
 * filter runs the five costs over every row, then filters it once. */
#define FILTER_LOOP(from, pred)                                                        \
	do {                                                                           \
		if (out) {                                                             \
			for (size_t i = (from); i < n; i++)                            \
				out[i] = (uint8_t)(cur[i] - (pred));                   \
		} else {                                                               \
			for (size_t i = (from); i < n; i++)                            \
				sum += (unsigned)abs((int8_t)(uint8_t)(cur[i] - (pred))); \
		}                                                                      \
	} while (0)

/* Paeth's predictor of a (left), b (above) and c (above left): of a, b, c the one
 * nearest p = a + b - c, a then b on ties. |p - a| = |b - c|, |p - b| = |a - c|. Only
 * selects, so that the loop calling it vectorises. */
static inline int paeth(int a, int b, int c)
{
	int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
	int ab = pa <= pb ? a : b, pab = pa <= pb ? pa : pb;

	return pab <= pc ? ab : c;
}

/* Filters n bytes of cur (prev: the row above) with type into out, or with out NULL
 * returns their cost only. The first bpp bytes have no left neighbour (a = c = 0). */
#if defined(__x86_64__)
__attribute__((target_clones("avx2", "default")))
#endif
static uint64_t filter(int type, const uint8_t *restrict cur, const uint8_t *restrict prev,
		       size_t n, size_t bpp, uint8_t *restrict out)
{
	uint64_t sum = 0;
	size_t head = bpp < n ? bpp : n;

	switch (type) {
	case FB_PNG_FILTER_NONE:
		if (out)
			memcpy(out, cur, n);
		else
			for (size_t i = 0; i < n; i++)
				sum += (unsigned)abs((int8_t)cur[i]);
		break;
	case FB_PNG_FILTER_SUB:
		for (size_t i = 0; i < head; i++) {
			if (out)
				out[i] = cur[i];
			else
				sum += (unsigned)abs((int8_t)cur[i]);
		}
		FILTER_LOOP(bpp, cur[i - bpp]);
		break;
	case FB_PNG_FILTER_UP:
		FILTER_LOOP(0, prev[i]);
		break;
	case FB_PNG_FILTER_AVG:
		for (size_t i = 0; i < head; i++) {
			uint8_t v = (uint8_t)(cur[i] - (prev[i] >> 1));

			if (out)
				out[i] = v;
			else
				sum += (unsigned)abs((int8_t)v);
		}
		FILTER_LOOP(bpp, (cur[i - bpp] + prev[i]) >> 1);
		break;
	default:
		for (size_t i = 0; i < head; i++) {
			uint8_t v = (uint8_t)(cur[i] - prev[i]);	/* a = c = 0: predicts b */

			if (out)
				out[i] = v;
			else
				sum += (unsigned)abs((int8_t)v);
		}
		FILTER_LOOP(bpp, paeth(cur[i - bpp], prev[i], prev[i - bpp]));
		break;
	}
	return sum;
}

/* Row y as the PNG stores it: the image's bytes, or for 16-bit samples on a
 * little-endian host a byte-swapped copy in `into`. */
static const uint8_t *png_row(const struct fb_png_groups *e, uint32_t y, uint8_t *into)
{
	size_t at = e->ring_rows ? y % e->ring_rows : y;
	const uint8_t *row = (const uint8_t *)e->img->data + at * e->row_bytes;

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (e->img->depth == 16) {
		for (size_t i = 0; i < e->row_bytes; i += 2) {
			into[i] = row[i + 1];
			into[i + 1] = row[i];
		}
		return into;
	}
#else
	(void)into;
#endif
	return row;
}

/* Filters rows [y0, y1) into out, each as its type byte and its bytes. */
static void filter_rows(const struct fb_png_groups *e, struct scratch *sc, uint32_t y0,
			uint32_t y1, uint8_t *out)
{
	size_t n = e->row_bytes, stride = n + 1;
	const uint8_t *prev = y0 ? png_row(e, y0 - 1, sc->swapped[1]) : sc->zero;

	for (uint32_t y = y0; y < y1; y++, out += stride) {
		/* The swapped copy of the row above is still in the other buffer. */
		const uint8_t *cur = png_row(e, y, sc->swapped[(y - y0) & 1]);
		int type = e->set.filter;

		if (type == FB_PNG_FILTER_ADAPTIVE) {
			uint64_t best = UINT64_MAX;

			for (int t = FB_PNG_FILTER_NONE; t <= FB_PNG_FILTER_PAETH; t++) {
				uint64_t sum = filter(t, cur, prev, n, e->bpp, NULL);

				if (sum < best) {	/* the first of equal sums */
					best = sum;
					type = t;
				}
			}
		}
		filter(type, cur, prev, n, e->bpp, out + 1);
		out[0] = (uint8_t)type;
		prev = cur;
	}
}

/* ---- encoding -------------------------------------------------------------------- */

static void scratch_free(struct scratch *sc)
{
	free(sc->buf);
	free(sc->swapped[0]);
	free(sc->swapped[1]);
	free(sc->zero);
	libdeflate_free_compressor(sc->ld);
}

static bool scratch_alloc(const struct fb_png_groups *e, struct scratch *sc)
{
	size_t stride = e->row_bytes + 1;
	size_t rows = e->group_rows > e->dict_rows ? e->group_rows : e->dict_rows;
	bool ok;

	memset(sc, 0, sizeof(*sc));
	sc->buf = malloc(rows * stride);
	sc->zero = calloc(1, e->row_bytes);
	ok = sc->buf && sc->zero;
	if (e->img->depth == 16) {
		sc->swapped[0] = malloc(e->row_bytes);
		sc->swapped[1] = malloc(e->row_bytes);
		ok = ok && sc->swapped[0] && sc->swapped[1];
	}
	if (e->set.deflate == FB_PNG_DEFLATE_LIBDEFLATE)
		ok = ok && (sc->ld = libdeflate_alloc_compressor(e->set.level)) != NULL;
	if (!ok)
		scratch_free(sc);
	return ok;
}

/* zlib: rows [y0, y1) (filtered into sc->buf) as a raw deflate stream primed with the
 * 32 KiB of filtered bytes before y0, ended by a sync flush (Z_FINISH when last), into
 * out (cap bytes). Z_OK with *len set, or a zlib error code. */
static int deflate_zlib(struct fb_png_groups *e, struct scratch *sc, uint32_t y0, uint32_t y1,
			bool last, uint8_t *out, size_t cap, size_t *len)
{
	size_t stride = e->row_bytes + 1;
	z_stream z;
	int rc;

	memset(&z, 0, sizeof(z));
	rc = deflateInit2(&z, e->set.level, Z_DEFLATED, -15, 8, e->strategy);
	if (rc != Z_OK)
		return rc;
	if (y0 > 0) {
		/* The filtered bytes just before the group, as one stream would have them
		 * in its window. */
		uint32_t rows = e->dict_rows;
		size_t have, use;

		if (rows > y0)
			rows = y0;
		filter_rows(e, sc, y0 - rows, y0, sc->buf);
		have = (size_t)rows * stride;
		use = have < WINDOW ? have : WINDOW;
		rc = deflateSetDictionary(&z, sc->buf + have - use, (uInt)use);
	}
	if (rc == Z_OK) {
		filter_rows(e, sc, y0, y1, sc->buf);
		z.next_in = sc->buf;
		z.avail_in = (uInt)((size_t)(y1 - y0) * stride);
		z.next_out = out;
		z.avail_out = (uInt)cap;
		rc = deflate(&z, last ? Z_FINISH : Z_SYNC_FLUSH);
		if (last)
			rc = rc == Z_STREAM_END ? Z_OK : (rc == Z_OK ? Z_BUF_ERROR : rc);
		else if (rc == Z_OK && (z.avail_in || !z.avail_out))
			rc = Z_BUF_ERROR;	/* the bound was too small: never expected */
	}
	*len = cap - z.avail_out;
	deflateEnd(&z);
	return rc;
}

/* libdeflate writes whole streams: its last block is marked final (BFINAL, the block
 * header's first bit), so a decoder would stop there. To continue the PNG's stream
 * with the next group, the block is made not final and the stream ended as zlib's sync
 * flush ends it: an empty stored block (three zero header bits, zero bits to the byte
 * boundary, then LEN 0x0000 and NLEN 0xffff). fb_deflate_last_block() finds where the
 * last block starts and ends. Returns the new length (at most n + 5 bytes), or 0 if
 * the stream is not what libdeflate should have written. */
static size_t unfinal(uint8_t *out, size_t n)
{
	uint64_t last, end;
	size_t at;

	if (fb_deflate_last_block(out, n, &last, &end) < 0)
		return 0;
	out[last / 8] &= (uint8_t) ~(1u << (last % 8));
	at = (size_t)(end / 8);
	out[at] &= (uint8_t)((1u << (end % 8)) - 1);	/* zero from the end code on */
	end += 3;					/* the stored block's header */
	for (at++; at < (end + 7) / 8; at++)
		out[at] = 0;
	memcpy(out + at, "\x00\x00\xff\xff", 4);
	return at + 4;
}

/* libdeflate: rows [y0, y1) as a raw deflate stream of their own (libdeflate takes no
 * dictionary), made to continue unless last, into out. Z_OK with *len set, or a zlib
 * error code. */
static int deflate_libdeflate(struct fb_png_groups *e, struct scratch *sc, uint32_t y0,
			      uint32_t y1, bool last, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = (size_t)(y1 - y0) * (e->row_bytes + 1);

	filter_rows(e, sc, y0, y1, sc->buf);
	*len = libdeflate_deflate_compress(sc->ld, sc->buf, n, out, cap - 5);
	if (*len == 0)
		return Z_BUF_ERROR;	/* the bound was too small: never expected */
	if (!last && (*len = unfinal(out, *len)) == 0)
		return Z_DATA_ERROR;
	return Z_OK;
}

/* Group g into its slot: 1, or a zlib error code. */
static int encode_group(struct fb_png_groups *e, struct scratch *sc, uint32_t g)
{
	uint32_t y0 = g * e->group_rows;
	uint32_t y1 = g + 1 < e->n ? y0 + e->group_rows : e->img->height;
	size_t len = (size_t)(y1 - y0) * (e->row_bytes + 1), out;
	bool last = g + 1 == e->n;
	int rc = e->set.deflate == FB_PNG_DEFLATE_ZLIB
			 ? deflate_zlib(e, sc, y0, y1, last, fb_png_group_slot(e, g), e->slot_cap, &out)
			 : deflate_libdeflate(e, sc, y0, y1, last, fb_png_group_slot(e, g),
					      e->slot_cap, &out);

	if (rc != Z_OK)
		return rc;
	e->group[g].len = out;
	e->group[g].adler = libdeflate_adler32(1, sc->buf, len);
	return 1;
}

void fb_png_groups_encode(struct fb_png_groups *e, uint32_t g0, uint32_t g1)
{
	struct scratch sc;

	if (!scratch_alloc(e, &sc)) {
		for (uint32_t g = g0; g < g1; g++)
			e->group[g].status = Z_MEM_ERROR;
		return;
	}
	for (uint32_t g = g0; g < g1; g++)
		e->group[g].status = encode_group(e, &sc, g);
	scratch_free(&sc);
}

/* ---- the file -------------------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The IDAT chunk being filled is put whole when full or at the end: its length comes
 * first in the file. */
static int chunk_flush(struct fb_png_stream *s)
{
	uLong crc;

	if (!s->in_chunk)
		return 0;
	put32(s->chunk, (uint32_t)s->in_chunk);
	crc = crc32(crc32(0L, Z_NULL, 0), s->chunk + 4, (uInt)(4 + s->in_chunk));
	put32(s->chunk + 8 + s->in_chunk, (uint32_t)crc);
	if (s->put(s->sink, s->chunk, s->in_chunk + 12) < 0)
		return -1;
	s->written += s->in_chunk + 12;
	s->in_chunk = 0;
	return 0;
}

/* Appends n bytes of the zlib stream. */
static int stream_put(struct fb_png_stream *s, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t k = FB_PNG_IDAT_BYTES - s->in_chunk;

		if (k > n)
			k = n;
		memcpy(s->chunk + 8 + s->in_chunk, p, k);
		s->in_chunk += k;
		p += k;
		n -= k;
		if (s->in_chunk == FB_PNG_IDAT_BYTES && chunk_flush(s) < 0)
			return -1;
	}
	return 0;
}

int fb_png_stream_begin(struct fb_png_stream *s, const struct fb_png_groups *e, const char *what,
			const struct fb_png_text *text, size_t n_text,
			int (*put)(void *sink, const void *p, size_t n), void *sink)
{
	struct fb_bytes head;
	uint8_t zh[2];
	int rc;

	memset(s, 0, sizeof(*s));
	s->e = e;
	s->what = what;
	s->put = put;
	s->sink = sink;
	s->adler = adler32(0L, Z_NULL, 0);
	s->chunk = malloc(FB_PNG_IDAT_BYTES + 12);
	if (!s->chunk)
		return fb_error("out of memory encoding %s", what);
	memcpy(s->chunk + 4, "IDAT", 4);
	if (fb_png_encode_header(what, e->img, text, n_text, &head) < 0)
		return -1;
	rc = put(sink, head.data, head.len);
	s->written = head.len;
	free(head.data);
	if (rc < 0)
		return -1;
	/* The zlib header: 32 KiB window, deflate, the level class zlib itself would
	 * write, and the check bits that make it a multiple of 31. */
	zh[0] = 0x78;
	zh[1] = (uint8_t)((e->set.level < 2 ? 0 : e->set.level < 6 ? 1 : e->set.level == 6 ? 2 : 3)
			  << 6);
	zh[1] = (uint8_t)(zh[1] + (31 - (zh[0] * 256u + zh[1]) % 31) % 31);
	return stream_put(s, zh, sizeof(zh));
}

int fb_png_stream_append(struct fb_png_stream *s, uint32_t g1)
{
	const struct fb_png_groups *e = s->e;
	size_t stride = e->row_bytes + 1;

	for (; s->next < g1; s->next++) {
		uint32_t g = s->next;
		uint32_t rows = fb_png_group_end_row(e, g) - g * e->group_rows;

		if (e->group[g].status != 1)
			return fb_error("cannot encode %s: %s", s->what,
					e->group[g].status ? zError(e->group[g].status)
							   : "rows left unencoded");
		s->adler = adler32_combine(s->adler, e->group[g].adler,
					   (z_off_t)((size_t)rows * stride));
		if (stream_put(s, fb_png_group_slot(e, g), e->group[g].len) < 0)
			return -1;
	}
	return 0;
}

int fb_png_stream_end(struct fb_png_stream *s)
{
	static const uint8_t iend[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82 };
	uint8_t tail[4];

	if (s->next != s->e->n)
		FB_BUG("PNG stream ended after %u of %u groups", s->next, s->e->n);
	put32(tail, (uint32_t)s->adler);
	if (stream_put(s, tail, sizeof(tail)) < 0 || chunk_flush(s) < 0 ||
	    s->put(s->sink, iend, sizeof(iend)) < 0)
		return -1;
	s->written += sizeof(iend);
	return 0;
}

void fb_png_stream_free(struct fb_png_stream *s)
{
	free(s->chunk);
	s->chunk = NULL;
}

/* A sink that grows a buffer. */
static int put_memory(void *sink, const void *p, size_t n)
{
	struct fb_bytes *b = sink;

	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 1u << 16;
		uint8_t *bigger;

		while (cap - b->len < n)
			cap *= 2;
		bigger = realloc(b->data, cap);
		if (!bigger)
			return fb_error("out of memory");
		b->data = bigger;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int fb_png_groups_finish(const struct fb_png_groups *e, const char *what,
			 const struct fb_png_text *text, size_t n_text, struct fb_bytes *out)
{
	struct fb_png_stream s;
	size_t stream = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	/* Sized for the whole file at once: the stream, its chunks' 12 bytes each, and
	 * a few KiB of header and text. */
	for (uint32_t g = 0; g < e->n; g++)
		stream += e->group[g].status == 1 ? e->group[g].len : 0;
	out->cap = stream + 12 * (stream / FB_PNG_IDAT_BYTES + 2) + 8192;
	out->data = malloc(out->cap);
	if (!out->data) {
		out->cap = 0;
		return fb_error("out of memory encoding %s", what);
	}
	rc = fb_png_stream_begin(&s, e, what, text, n_text, put_memory, out);
	if (rc == 0)
		rc = fb_png_stream_append(&s, e->n);
	if (rc == 0)
		rc = fb_png_stream_end(&s);
	fb_png_stream_free(&s);
	if (rc < 0) {
		free(out->data);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

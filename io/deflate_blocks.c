/* deflate_blocks.c: a walk over a raw deflate stream's blocks (deflate_blocks.h).
 *
 * The format facts used (RFC 1951, section 3.2): bits are read from each byte's least
 * significant bit up; Huffman codes are packed starting with their most significant
 * bit, other fields least significant bit first. A block starts with BFINAL (1 bit) and
 * BTYPE (2 bits: 0 stored, 1 fixed codes, 2 dynamic codes, 3 invalid). A stored block
 * skips to the next byte, then holds LEN, NLEN (its complement) and LEN bytes. A coded
 * block is literal/length symbols until 256 (end of block); a length symbol 257-285 has
 * 0-5 extra bits and is followed by a distance symbol 0-29 with 0-13 extra bits. A
 * dynamic block's header holds HLIT - 257 (5 bits), HDIST - 1 (5), HCLEN - 4 (4), then
 * HCLEN code-length code lengths (3 bits each, in a fixed order), then the literal/
 * length and distance code lengths coded with them (16: repeat the previous 3-6 times,
 * 2 extra bits; 17: 3-10 zeros, 3 bits; 18: 11-138 zeros, 7 bits). Fixed codes: literal/
 * length lengths 8 (0-143), 9 (144-255), 7 (256-279), 8 (280-287); distances 5 bits.
 * Codes of each length are consecutive, assigned in symbol order, shorter lengths first.
 */
#include "runtime/compat.h"

#include "deflate_blocks.h"

#include <string.h>

#define MAX_BITS 15
/* Codes up to this long decode with one table look-up; longer ones (rare symbols) bit
 * by bit. tests/ builds this file once more with a short table, so that the bit-by-bit
 * path decodes most codes there. */
#ifdef FB_DEFLATE_FAST_BITS
#define FAST_BITS FB_DEFLATE_FAST_BITS
#else
#define FAST_BITS 10
#endif

struct huff {
	uint16_t fast[1u << FAST_BITS];	/* next FAST_BITS bits -> symbol << 4 | length; 0: longer */
	uint16_t count[MAX_BITS + 1];	/* codes of each length */
	uint16_t sym[288];		/* symbols in code order */
};

/* The bit reader. Past the end it reads zeros; pos counts every bit taken, so a walk
 * that ran past the end is caught by comparing pos with the stream's length. */
struct in {
	const uint8_t *p, *end;
	uint64_t buf;		/* the next cnt bits, the next one lowest */
	unsigned cnt;
	uint64_t pos;		/* bits taken since the stream's start */
};

static inline void refill(struct in *s)
{
	while (s->cnt <= 56) {
		if (s->p < s->end)
			s->buf |= (uint64_t)*s->p++ << s->cnt;
		s->cnt += 8;
	}
}

/* Takes k bits (k <= 32; at least k must be buffered). */
static inline uint32_t take(struct in *s, unsigned k)
{
	uint32_t v = (uint32_t)(s->buf & ((1ull << k) - 1));

	s->buf >>= k;
	s->cnt -= k;
	s->pos += k;
	return v;
}

/* Starts reading data[0, n) again at byte `at` (at <= n). */
static void seek(struct in *s, const uint8_t *data, size_t n, size_t at)
{
	s->p = data + at;
	s->end = data + n;
	s->buf = 0;
	s->cnt = 0;
	s->pos = (uint64_t)at * 8;
}

static unsigned reverse(unsigned code, unsigned len)
{
	unsigned r = 0;

	for (unsigned i = 0; i < len; i++, code >>= 1)
		r = r << 1 | (code & 1);
	return r;
}

/* The code for symbols 0..n-1 of the given lengths (0: unused): 0, or -1 if they
 * over-subscribe the code space. Incomplete codes are allowed; their unused codes fail
 * to decode. */
static int build(struct huff *h, const uint8_t *len, unsigned n)
{
	uint16_t offs[MAX_BITS + 2], next[MAX_BITS + 1];
	int left = 1;
	unsigned code = 0;

	memset(h->count, 0, sizeof(h->count));
	for (unsigned s = 0; s < n; s++)
		h->count[len[s]]++;
	h->count[0] = 0;
	for (unsigned l = 1; l <= MAX_BITS; l++) {
		left = left * 2 - h->count[l];
		if (left < 0)
			return -1;
	}
	offs[1] = 0;
	for (unsigned l = 1; l <= MAX_BITS; l++) {
		offs[l + 1] = (uint16_t)(offs[l] + h->count[l]);
		code = (code + h->count[l - 1]) << 1;
		next[l] = (uint16_t)code;
	}
	memset(h->fast, 0, sizeof(h->fast));
	for (unsigned s = 0; s < n; s++) {
		unsigned l = len[s];

		if (!l)
			continue;
		h->sym[offs[l]++] = (uint16_t)s;
		if (l <= FAST_BITS) {
			for (unsigned i = reverse(next[l], l); i < (1u << FAST_BITS); i += 1u << l)
				h->fast[i] = (uint16_t)(s << 4 | l);
		}
		next[l]++;
	}
	return 0;
}

/* The next symbol of code h, or -1 if the bits are no code of it. */
static inline int decode(struct in *s, const struct huff *h)
{
	unsigned e, code = 0, first = 0, index = 0;

	refill(s);
	e = h->fast[s->buf & ((1u << FAST_BITS) - 1)];
	if (e) {
		take(s, e & 15);
		return (int)(e >> 4);
	}
	/* Longer than FAST_BITS: walk the lengths, a bit at a time. */
	for (unsigned l = 1; l <= MAX_BITS; l++) {
		unsigned count = h->count[l];

		code |= (unsigned)(s->buf >> (l - 1)) & 1;
		if (code - first < count) {
			take(s, l);
			return h->sym[index + code - first];
		}
		index += count;
		first = (first + count) << 1;
		code <<= 1;
	}
	return -1;
}

/* A dynamic block's two codes, from its header. */
static int read_dynamic(struct in *s, struct huff *lit, struct huff *dist)
{
	static const uint8_t order[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3,
					   13, 2, 14, 1, 15 };
	uint8_t len[286 + 30] = { 0 }, clen[19] = { 0 };
	unsigned nlit, ndist, ncode, i = 0;
	struct huff *lens = lit;	/* the code-length code, in lit's place until read */

	refill(s);
	nlit = take(s, 5) + 257;
	ndist = take(s, 5) + 1;
	ncode = take(s, 4) + 4;
	if (nlit > 286 || ndist > 30)
		return -1;
	for (unsigned k = 0; k < ncode; k++) {
		refill(s);
		clen[order[k]] = (uint8_t)take(s, 3);
	}
	if (build(lens, clen, 19) < 0)
		return -1;
	while (i < nlit + ndist) {
		int sym = decode(s, lens);
		unsigned rep;
		uint8_t v = 0;

		if (sym < 0)
			return -1;
		if (sym < 16) {
			len[i++] = (uint8_t)sym;
			continue;
		}
		if (sym == 16) {
			if (i == 0)
				return -1;
			v = len[i - 1];
			rep = 3 + take(s, 2);
		} else if (sym == 17) {
			rep = 3 + take(s, 3);
		} else {
			rep = 11 + take(s, 7);
		}
		if (i + rep > nlit + ndist)
			return -1;
		while (rep--)
			len[i++] = v;
	}
	if (len[256] == 0)
		return -1;	/* no end-of-block code: the block could never end */
	return build(lit, len, nlit) < 0 || build(dist, len + nlit, ndist) < 0 ? -1 : 0;
}

static void fixed_codes(struct huff *lit, struct huff *dist)
{
	uint8_t len[288];

	memset(len, 8, 144);
	memset(len + 144, 9, 112);
	memset(len + 256, 7, 24);
	memset(len + 280, 8, 8);
	build(lit, len, 288);
	memset(len, 5, 30);
	build(dist, len, 30);
}

/* A coded block's symbols, up to and including its end-of-block code. */
static int walk_symbols(struct in *s, const struct huff *lit, const struct huff *dist,
			uint64_t limit)
{
	static const uint8_t len_extra[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
					       2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
	static const uint8_t dist_extra[30] = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6,
						6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13,
						13 };

	for (;;) {
		int sym = decode(s, lit);

		if (sym < 256) {
			if (sym < 0)
				return -1;
		} else if (sym == 256) {
			return 0;
		} else {
			int d;

			if (sym > 285)
				return -1;
			take(s, len_extra[sym - 257]);	/* decode() left >= 41 bits */
			d = decode(s, dist);
			if (d < 0 || d > 29)
				return -1;
			take(s, dist_extra[d]);
		}
		if (s->pos > limit)
			return -1;	/* ran past the end: not a complete stream */
	}
}

int fb_deflate_last_block(const uint8_t *data, size_t n, uint64_t *last, uint64_t *end)
{
	struct huff lit, dist;
	struct in s;
	uint64_t limit = (uint64_t)n * 8;
	bool fixed_built = false;

	seek(&s, data, n, 0);
	for (;;) {
		uint64_t header = s.pos;
		unsigned final, type;

		if (s.pos >= limit)
			return -1;
		refill(&s);
		final = take(&s, 1);
		type = take(&s, 2);
		if (type == 0) {
			size_t at = (size_t)((s.pos + 7) / 8), len;

			if (at + 4 > n)
				return -1;
			len = (size_t)data[at] | (size_t)data[at + 1] << 8;
			if ((len ^ ((size_t)data[at + 2] | (size_t)data[at + 3] << 8)) != 0xffff ||
			    len > n - at - 4)
				return -1;
			seek(&s, data, n, at + 4 + len);
		} else if (type == 3) {
			return -1;
		} else {
			if (type == 1 && !fixed_built) {
				fixed_codes(&lit, &dist);
				fixed_built = true;
			} else if (type == 2) {
				fixed_built = false;	/* lit and dist are overwritten */
				if (read_dynamic(&s, &lit, &dist) < 0)
					return -1;
			}
			if (walk_symbols(&s, &lit, &dist, limit) < 0)
				return -1;
		}
		if (final) {
			*last = header;
			*end = s.pos;
			return s.pos <= limit ? 0 : -1;
		}
	}
}

/* test_deflate_blocks.c: fb_deflate_last_block() (io/deflate_blocks.h) against zlib's
 * inflate, which finds the same two positions its own way: streams of libdeflate at
 * every level and of zlib with fixed codes, Huffman only, stored and small blocks, over
 * smooth rows, noise, skewed bytes (codes up to 15 bits long) and short inputs. Every
 * stream, and every truncation of it, is walked from a buffer of exactly its size, so
 * that a sanitizer build catches a read past the end; truncations must be refused, and
 * garbage must be answered without a crash.
 *
 * Built twice (tests/CMakeLists.txt): as forkband has it, and with a 4-bit look-up
 * table, so that the bit-by-bit path for long codes decodes most symbols. */
#include "runtime/compat.h"

#include "check.h"
#include "io/deflate_blocks.h"

#include <libdeflate.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

/* The reference: zlib inflates with Z_BLOCK, which stops after each block's end code
 * with the bit position in data_type (bit 7 at a block boundary, bit 6 while in the
 * final block, bits 0-2 the unused bits of the last byte read). -1 if zlib finds the
 * stream bad or incomplete. */
static int zlib_last_block(const uint8_t *data, size_t n, uint64_t *last, uint64_t *end)
{
	static uint8_t sink[1 << 16];
	z_stream z;
	int rc = -1;

	*last = 0;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, -15) != Z_OK)
		return -1;
	z.next_in = (uint8_t *)data;
	z.avail_in = (uInt)n;
	for (;;) {
		z.next_out = sink;
		z.avail_out = sizeof(sink);
		if (inflate(&z, Z_BLOCK) != Z_OK)
			break;
		if (z.data_type & 128) {
			uint64_t bit = (uint64_t)(n - z.avail_in) * 8 - (unsigned)(z.data_type & 7);

			if (z.data_type & 64) {
				*end = bit;
				rc = 0;
				break;
			}
			*last = bit;
		}
	}
	inflateEnd(&z);
	return rc;
}

/* fb_deflate_last_block() on a copy of data[0, n) in a block of exactly n bytes. */
static int walk_exact(const uint8_t *data, size_t n, uint64_t *last, uint64_t *end)
{
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	if (!copy) {
		CHECK(0, "out of memory");
		return -1;
	}
	memcpy(copy, data, n);
	rc = fb_deflate_last_block(copy, n, last, end);
	free(copy);
	return rc;
}

/* One stream: the walk agrees with zlib, and every truncation is refused. */
static void walk_one(const char *what, const uint8_t *z, size_t n, unsigned *streams)
{
	uint64_t last = 0, end = 0, zlast = 0, zend = 0;

	CHECK(zlib_last_block(z, n, &zlast, &zend) == 0, "%s: zlib cannot inflate it", what);
	CHECK(walk_exact(z, n, &last, &end) == 0 && last == zlast && end == zend,
	      "%s: walk says last block at bit %llu, end %llu; zlib %llu, %llu", what,
	      (unsigned long long)last, (unsigned long long)end, (unsigned long long)zlast,
	      (unsigned long long)zend);
	for (size_t cut = 0; cut < n; cut += 1 + cut / 3)
		CHECK(walk_exact(z, cut, &last, &end) < 0,
		      "%s: cut to %zu of %zu bytes, the walk found a whole stream", what, cut, n);
	(*streams)++;
}

int main(void)
{
	enum { N = 300000 };
	size_t cap = 2 * N + 1024;
	uint8_t *smooth = malloc(N), *noise = malloc(N), *skewed = malloc(N), *z = malloc(cap);
	const struct { const uint8_t *p; size_t n; const char *name; } in[] = {
		{ smooth, N, "smooth" }, { noise, 70000, "noise" }, { skewed, N, "skewed" },
		{ smooth, 1, "1 byte" }, { noise, 0, "empty" }, { smooth, 300, "300 bytes" },
	};
	unsigned streams = 0, seed = 12345;

	if (!smooth || !noise || !skewed || !z)
		return 2;
	for (size_t i = 0; i < N; i++) {
		seed = seed * 1103515245u + 12345u;
		noise[i] = (uint8_t)(seed >> 23);
		smooth[i] = (uint8_t)(127 + 120 * sin((double)i * 0.0021) + (seed >> 30));
		/* Byte k with probability about 2^-(k+1): Huffman codes of 1 to 15 bits. */
		skewed[i] = (uint8_t)__builtin_ctz((seed >> 8) | 1u << 20);
	}
	for (size_t k = 0; k < FB_ARRAY_LEN(in); k++) {
		char what[96];

		for (int level = 0; level <= 12; level++) {
			struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
			size_t n = c ? libdeflate_deflate_compress(c, in[k].p, in[k].n, z, cap) : 0;

			snprintf(what, sizeof(what), "%s, libdeflate level %d", in[k].name, level);
			CHECK(n > 0, "%s: libdeflate failed", what);
			if (n)
				walk_one(what, z, n, &streams);
			libdeflate_free_compressor(c);
		}
		for (int strategy = Z_FILTERED; strategy <= Z_FIXED; strategy++)
			for (int level = 0; level <= 9; level += 3) {
				z_stream zs;

				memset(&zs, 0, sizeof(zs));
				/* memLevel 1: small buffers, so many blocks. */
				CHECK(deflateInit2(&zs, level, Z_DEFLATED, -15, 1, strategy) == Z_OK,
				      "deflateInit2");
				zs.next_in = (uint8_t *)in[k].p;
				zs.avail_in = (uInt)in[k].n;
				zs.next_out = z;
				zs.avail_out = (uInt)cap;
				CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END, "zlib deflate");
				snprintf(what, sizeof(what), "%s, zlib level %d strategy %d",
					 in[k].name, level, strategy);
				walk_one(what, z, zs.total_out, &streams);
				deflateEnd(&zs);
			}
	}
	/* Garbage: answered (almost always "not a stream"), from exact-size copies. */
	for (size_t off = 0; off + 4096 <= 70000; off += 997) {
		uint64_t last, end;

		(void)walk_exact(noise + off, 4096, &last, &end);
	}
	free(smooth);
	free(noise);
	free(skewed);
	free(z);
	printf("deflate walk: agrees with zlib on %u streams and refuses their truncations\n",
	       streams);
	return check_exit("test_deflate_blocks");
}

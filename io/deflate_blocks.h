/* deflate_blocks.h: where the last block of a raw deflate stream (RFC 1951) lies.
 *
 * The PNG encoder (io/png_encode.c) compresses each row group with libdeflate, which
 * writes whole streams: their last block is marked final, and a decoder stops there. To
 * let the next group's stream follow, the encoder needs the bit where that block's
 * header starts (its first bit is the final flag) and the bit after its end-of-block
 * code. Finding them means walking every block's symbols: the Huffman codes say where
 * a block ends, nothing else does. This walk reads the codes and skips the extra bits
 * without producing a byte of output, so it costs in proportion to the compressed size,
 * where inflating (zlib's Z_BLOCK) costs in proportion to the uncompressed size and
 * copies every match.
 */
#ifndef FORKBAND_DEFLATE_BLOCKS_H
#define FORKBAND_DEFLATE_BLOCKS_H

#include "runtime/compat.h"

/* Walks the raw deflate stream in data[0, n): 0 with *last the bit offset of the final
 * block's header and *end the bit offset just after that block's end-of-block code (or
 * after a stored block's last byte), counting bits from the first byte's least
 * significant bit; -1 if the data is not a complete, valid stream. Reads nothing past n. */
int fb_deflate_last_block(const uint8_t *data, size_t n, uint64_t *last, uint64_t *end);

#endif

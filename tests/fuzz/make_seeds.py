#!/usr/bin/env python3
"""make_seeds.py: writes the hand-made seeds of corpus/png/ and corpus/npy/.

Small files, each reaching a different path of the reader: every PNG colour type and
bit depth, palettes with and without transparency, tRNS on gray and RGB, interlacing,
text chunks (the forkband:config one included), and .npy files of versions 1 to 3,
both dtypes, both quote styles. Standard library only; rerun it to rebuild the seeds
(the files it writes are committed, so the tests do not need Python).
"""
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def bits_per_pixel(color, depth):
    return {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color] * depth


def pack_rows(rows, w, color, depth):
    """rows: lists of samples; returns filtered scanlines (filter type per row varies)."""
    out = []
    for y, row in enumerate(rows):
        if depth < 8:
            acc, n, line = 0, 0, bytearray()
            for s in row:
                acc = acc << depth | s
                n += depth
                if n == 8:
                    line.append(acc)
                    acc, n = 0, 0
            if n:
                line.append(acc << (8 - n))
        elif depth == 8:
            line = bytearray(row)
        else:
            line = bytearray(b"".join(struct.pack(">H", s) for s in row))
        out.append(bytes([y % 5 and 0]) + bytes(line))  # filter 0 (none) keeps it simple
    return b"".join(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def png(w, h, color, depth, interlace=False, plte=None, trns=None, texts=(), ztext=None):
    spp = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]
    top = (1 << depth) - 1
    pix = [[[(x * 7 + y * 13 + c * 5) % (top + 1) if color == 3 and plte is None else
             (x * 7 + y * 13 + c * 5) % (len(plte) if color == 3 else top + 1)
             for c in range(spp)] for x in range(w)] for y in range(h)]
    if interlace:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            sub = [[s for x in range(x0, w, dx) for s in pix[y][x]] for y in range(y0, h, dy)]
            if sub and sub[0]:
                raw += pack_rows(sub, len(sub[0]) // spp, color, depth)
    else:
        raw = pack_rows([[s for p in r for s in p] for r in pix], w, color, depth)
    out = b"\x89PNG\r\n\x1a\n"
    out += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, int(interlace)))
    for key, text in texts:
        out += chunk(b"tEXt", key + b"\0" + text)
    if ztext:
        out += chunk(b"zTXt", ztext[0] + b"\0\0" + zlib.compress(ztext[1]))
    if plte is not None:
        out += chunk(b"PLTE", b"".join(bytes(c) for c in plte))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    data = zlib.compress(raw, 9)
    # Two IDAT chunks: the reader must join them.
    out += chunk(b"IDAT", data[: len(data) // 2]) + chunk(b"IDAT", data[len(data) // 2:])
    return out + chunk(b"IEND", b"")


def npy(major, dict_text, payload):
    pre = 10 if major == 1 else 12
    total = (pre + len(dict_text) + 1 + 63) // 64 * 64
    hlen = total - pre
    head = b"\x93NUMPY" + bytes([major, 0])
    head += struct.pack("<H" if major == 1 else "<I", hlen)
    body = dict_text.encode() + b" " * (hlen - len(dict_text) - 1) + b"\n"
    return head + body + payload


def write(folder, name, data):
    with open(os.path.join(HERE, "corpus", folder, name), "wb") as f:
        f.write(data)


def main():
    pal = [(i * 40 % 256, i * 90 % 256, 255 - i * 30 % 256) for i in range(7)]
    job = b'{"kernel":"mandelbrot","width":4,"height":3,"params":{"max_iter":50}}'
    write("png", "gray-1.png", png(9, 5, 0, 1))
    write("png", "gray-2-trns.png", png(7, 3, 0, 2, trns=b"\0\1"))
    write("png", "gray-4-interlaced.png", png(11, 9, 0, 4, interlace=True))
    write("png", "gray-8.png", png(5, 4, 0, 8))
    write("png", "gray-16-trns.png", png(4, 4, 0, 16, trns=b"\x01\x02"))
    write("png", "gray-alpha-8.png", png(3, 5, 4, 8))
    write("png", "gray-alpha-16-interlaced.png", png(9, 9, 4, 16, interlace=True))
    write("png", "rgb-8-trns.png", png(6, 2, 2, 8, trns=b"\0\1\0\2\0\3"))
    write("png", "rgb-16.png", png(3, 3, 2, 16))
    write("png", "rgba-8-interlaced.png", png(10, 10, 6, 8, interlace=True))
    write("png", "rgba-16.png", png(2, 3, 6, 16))
    write("png", "palette-1.png", png(17, 2, 3, 1, plte=pal[:2]))
    write("png", "palette-4-trns.png", png(5, 5, 3, 4, plte=pal, trns=b"\0\x80\xff"))
    write("png", "palette-8.png", png(4, 4, 3, 8, plte=pal))
    write("png", "text-config.png", png(4, 3, 2, 8, texts=[(b"Software", b"forkband"),
                                                            (b"forkband:config", job)]))
    write("png", "ztxt-config.png", png(2, 2, 0, 8, ztext=(b"forkband:config", job)))

    f8 = struct.pack("<6d", 0.0, -1.5, 2.25, 1e300, -0.0, 3.0)
    f4 = struct.pack("<6f", 0.5, -1.0, 2.0, 1e30, -0.0, 7.0)
    write("npy", "f8-2x3.npy", npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", f8))
    write("npy", "f4-3x2.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", f4))
    write("npy", "f8-1x1-v2.npy", npy(2, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", f8[:8]))
    write("npy", "f4-6x1-v3.npy", npy(3, '{"descr": "<f4", "fortran_order": false, "shape": (6,1)}'.replace("false", "False"), f4))
    write("npy", "fortran.npy", npy(1, "{'descr': '<f8', 'fortran_order': True, 'shape': (2, 3), }", f8))
    write("npy", "big-endian.npy", npy(1, "{'descr': '>f8', 'fortran_order': False, 'shape': (2, 3), }", f8))
    write("npy", "rank-3.npy", npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2, 3), }", f8))
    write("npy", "short.npy", npy(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 3), }", f8))


if __name__ == "__main__":
    main()

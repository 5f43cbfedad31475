#!/usr/bin/env python3
"""make-files.py: writes the bad PNG and .npy files of tests/bad/files/, the configs
of tests/bad/configs/ that are not plain text (binary garbage, invalid UTF-8, deep
nesting, huge numbers), and the valid inputs of tests/bad/good/ that some bad configs
name (input.png, m2x3.npy).

The text configs are written by hand. Run once (python3 tests/bad/make-files.py) and commit what it writes: the test reads
these fixed bytes, not this script. Every file is deterministic and at most a few KiB.
Each case breaks one thing in an otherwise valid small file; tests/bad/expected.tsv
says what forkband must answer for it.
"""
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "files")
SIG = b"\x89PNG\r\n\x1a\n"


def chunk(kind, data, crc=None):
    if crc is None:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def ihdr(w=4, h=4, depth=8, ctype=2, comp=0, filt=0, interlace=0):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, comp, filt, interlace))


def rows(w=4, h=4, channels=3, filt=0, depth=8):
    """Raw scanlines: a filter byte then the samples, a small gradient."""
    out = b""
    per_row = (w * channels * depth + 7) // 8
    for y in range(h):
        out += bytes([filt]) + bytes((x * 37 + y * 11) & 0xFF for x in range(per_row))
    return out


def idat(raw=None):
    return chunk(b"IDAT", zlib.compress(rows() if raw is None else raw, 9))


IEND = chunk(b"IEND", b"")
GOOD = SIG + ihdr() + idat() + IEND


def text(key, value):
    return chunk(b"tEXt", key + b"\0" + value)


def npy(header, data=b"", version=(1, 0), pad=True, hlen=None):
    """A .npy file: magic, version, header length, the header, the data."""
    if isinstance(header, str):
        header = header.encode("latin-1")
    lenfmt = "<H" if version[0] == 1 else "<I"
    pre = 6 + 2 + struct.calcsize(lenfmt)
    if pad:
        total = (pre + len(header) + 1 + 63) // 64 * 64
        header = header + b" " * (total - pre - len(header) - 1) + b"\n"
    n = len(header) if hlen is None else hlen
    return b"\x93NUMPY" + bytes(version) + struct.pack(lenfmt, n) + header + data


def f8(n):
    return b"".join(struct.pack("<d", i + 0.5) for i in range(n))


def hdr(descr="'<f8'", fortran="False", shape="(2, 3)"):
    return "{'descr': %s, 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)


def main():
    files = {}

    # ---- PNG: the container ----
    files["empty.png"] = b""
    files["signature-only.png"] = SIG
    files["signature-truncated.png"] = SIG[:5]
    files["text-file.png"] = b"this is a text file, not a PNG\n"
    # A JPEG's first bytes: SOI, APP0 'JFIF', then an end.
    files["jpeg-named-png.png"] = (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01"
                                   b"\x00\x00\xff\xd9")
    files["jpeg-file.jpg"] = files["jpeg-named-png.png"]
    files["ihdr-truncated.png"] = SIG + ihdr()[:15]
    files["ihdr-bad-crc.png"] = SIG + ihdr()[:-4] + b"\xde\xad\xbe\xef" + idat() + IEND
    files["ihdr-not-first.png"] = SIG + idat() + ihdr() + IEND
    files["chunk-length-past-eof.png"] = SIG + ihdr() + struct.pack(">I", 0x7FFFFFF0) + b"IDAT" + b"\0" * 16
    files["critical-chunk-unknown.png"] = SIG + ihdr() + chunk(b"QXYZ", b"1234") + idat() + IEND

    # ---- PNG: the header's values ----
    files["ihdr-zero-width.png"] = SIG + ihdr(w=0) + idat() + IEND
    files["ihdr-zero-height.png"] = SIG + ihdr(h=0) + idat() + IEND
    files["ihdr-width-2pow31.png"] = SIG + ihdr(w=0x80000000) + idat() + IEND
    files["ihdr-100000x100000.png"] = SIG + ihdr(w=100000, h=100000) + idat() + IEND
    files["ihdr-rgb-depth-4.png"] = SIG + ihdr(depth=4, ctype=2) + idat() + IEND
    files["ihdr-gray-depth-3.png"] = SIG + ihdr(depth=3, ctype=0) + idat() + IEND
    files["ihdr-palette-depth-16.png"] = SIG + ihdr(depth=16, ctype=3) + idat() + IEND
    files["ihdr-colour-type-5.png"] = SIG + ihdr(ctype=5) + idat() + IEND
    files["ihdr-compression-1.png"] = SIG + ihdr(comp=1) + idat() + IEND
    files["ihdr-filter-method-1.png"] = SIG + ihdr(filt=1) + idat() + IEND
    files["ihdr-interlace-2.png"] = SIG + ihdr(interlace=2) + idat() + IEND
    files["palette-missing.png"] = (SIG + ihdr(ctype=3) + idat(rows(channels=1)) + IEND)
    files["palette-length-not-3n.png"] = (SIG + ihdr(ctype=3) + chunk(b"PLTE", b"\0" * 7)
                                          + idat(rows(channels=1)) + IEND)

    # ---- PNG: the image data ----
    files["idat-missing.png"] = SIG + ihdr() + IEND
    files["idat-bad-crc.png"] = SIG + ihdr() + chunk(b"IDAT", zlib.compress(rows(), 9), crc=0) + IEND
    files["idat-bad-zlib.png"] = SIG + ihdr() + chunk(b"IDAT", b"\x78\x9c" + b"\xff" * 40) + IEND
    files["idat-not-zlib.png"] = SIG + ihdr() + chunk(b"IDAT", b"hello, world, not zlib") + IEND
    good_z = zlib.compress(rows(), 9)
    bad_adler = good_z[:-4] + bytes(b ^ 0xFF for b in good_z[-4:])
    files["idat-bad-adler32.png"] = SIG + ihdr() + chunk(b"IDAT", bad_adler) + IEND
    # A whole, valid zlib stream holding only 2 of the 4 rows.
    files["idat-too-few-rows.png"] = SIG + ihdr() + idat(rows(h=2)) + IEND
    files["idat-row-filter-7.png"] = SIG + ihdr() + idat(rows(filt=7)) + IEND
    # The file stops in the middle of the IDAT chunk: no CRC, no IEND.
    files["idat-truncated-no-iend.png"] = (SIG + ihdr() + idat())[:-12]
    # Only the first half of the zlib stream, in a complete chunk, then IEND.
    files["idat-stream-cut.png"] = SIG + ihdr() + chunk(b"IDAT", good_z[: len(good_z) // 2]) + IEND
    files["iend-missing.png"] = SIG + ihdr() + idat()

    # ---- PNG: a job stored in the file (forkband run FILE.png) ----
    files["rerun-no-config-chunk.png"] = GOOD
    files["rerun-config-not-json.png"] = (SIG + ihdr() + text(b"forkband:config", b"{\"kernel\": ")
                                          + idat() + IEND)
    files["rerun-config-width-zero.png"] = (SIG + ihdr() + text(
        b"forkband:config", b'{"kernel": "mandelbrot", "width": 0, "height": 4}') + idat() + IEND)

    # ---- .npy: the preamble ----
    files["empty.npy"] = b""
    files["text-file.npy"] = b"1.0 2.0\n3.0 4.0\n"
    files["bad-magic.npy"] = b"\x93NUMPZ" + npy(hdr(), f8(6))[6:]
    files["magic-only.npy"] = b"\x93NUMPY"
    files["version-4.npy"] = npy(hdr(), f8(6), version=(4, 0))
    files["version-1-1.npy"] = npy(hdr(), f8(6), version=(1, 1))
    files["v2-length-truncated.npy"] = b"\x93NUMPY\x02\x00\x40\x00"
    files["header-length-past-eof.npy"] = npy(hdr(), b"", hlen=500)
    files["header-length-4gib.npy"] = npy(hdr(), f8(6), version=(2, 0), hlen=0xFFFFFFFF)

    # ---- .npy: the header dict ----
    files["header-not-dict.npy"] = npy("['<f8', False, (2, 3)]", f8(6))
    files["header-nul-byte.npy"] = npy("{'descr': '<f8',\0 'fortran_order': False, 'shape': (2, 3), }", f8(6))
    files["descr-missing.npy"] = npy("{'fortran_order': False, 'shape': (2, 3), }", f8(6))
    files["descr-i4.npy"] = npy(hdr(descr="'<i4'"), b"\0" * 24)
    files["descr-big-endian-f8.npy"] = npy(hdr(descr="'>f8'"), f8(6))
    files["descr-bool.npy"] = npy(hdr(descr="'|b1'"), b"\1" * 6)
    files["descr-f2.npy"] = npy(hdr(descr="'<f2'"), b"\0" * 12)
    files["descr-complex.npy"] = npy(hdr(descr="'<c16'"), b"\0" * 96)
    files["fortran-order-true.npy"] = npy(hdr(fortran="True"), f8(6))
    files["fortran-order-missing.npy"] = npy("{'descr': '<f8', 'shape': (2, 3), }", f8(6))
    files["shape-missing.npy"] = npy("{'descr': '<f8', 'fortran_order': False, }", f8(6))
    files["shape-3-dims.npy"] = npy(hdr(shape="(2, 3, 1)"), f8(6))
    files["shape-1-dim.npy"] = npy(hdr(shape="(6,)"), f8(6))
    files["shape-scalar.npy"] = npy(hdr(shape="()"), f8(1))
    files["shape-list.npy"] = npy(hdr(shape="[2, 3]"), f8(6))
    files["shape-negative.npy"] = npy(hdr(shape="(-2, 3)"), f8(6))
    files["shape-zero-rows.npy"] = npy(hdr(shape="(0, 3)"), b"")
    files["shape-huge.npy"] = npy(hdr(shape="(4294967296, 4294967296)"), f8(6))
    files["shape-overflows-u64.npy"] = npy(hdr(shape="(99999999999999999999999, 2)"), f8(6))

    # ---- .npy: the data ----
    files["data-short.npy"] = npy(hdr(shape="(4, 3)"), f8(6))
    files["data-long.npy"] = npy(hdr(), f8(8))
    files["data-partial-value.npy"] = npy(hdr(), f8(6)[:-3])
    files["data-missing.npy"] = npy(hdr(), b"")

    # ---- configs that are not plain text ----
    job = b'{ "kernel": "mandelbrot", "width": 8, "height": 8 }\n'
    configs = {}
    # Deterministic noise (a linear congruential generator), with a '{' in front.
    x, noise = 12345, bytearray(b"{")
    for _ in range(600):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        noise.append(x >> 16 & 0xFF)
    configs["binary-garbage.json"] = bytes(noise)
    # The same noise without NUL bytes (a NUL is refused before any parsing).
    configs["binary-garbage-no-nul.json"] = bytes(b or 1 for b in noise)
    configs["binary-png-as-config.json"] = GOOD
    configs["invalid-utf8-in-string.json"] = b'{ "kernel": "mandel\xff\xfebrot", "width": 8, "height": 8 }\n'
    configs["invalid-utf8-in-key.json"] = b'{ "kernel": "mandelbrot", "wid\xc3th": 8, "height": 8 }\n'
    configs["utf16-le.json"] = job.decode().encode("utf-16-le")
    configs["nul-in-middle.json"] = job[:20] + b"\0" + job[20:]
    configs["deep-nesting-arrays.json"] = (b'{ "kernel": "mandelbrot", "params": { "center": '
                                           + b"[" * 2000 + b"]" * 2000 + b" } }\n")
    configs["deep-nesting-objects.json"] = (b'{ "kernel": "mandelbrot", "params": '
                                            + b'{"a": ' * 1100 + b"1" + b"}" * 1100 + b" }\n")
    configs["number-huge-digits.json"] = (b'{ "kernel": "mandelbrot", "width": 1' + b"0" * 400
                                          + b', "height": 8 }\n')
    configs["number-1e400.json"] = (b'{ "kernel": "heat", "width": 8, "height": 8, '
                                    b'"params": { "initial": 1e400 } }\n')
    configs["number-tiny-scale.json"] = (b'{ "kernel": "mandelbrot", "width": 8, "height": 8, '
                                         b'"params": { "scale": 1e-400 } }\n')
    configs["control-char-in-string.json"] = b'{ "kernel": "mandel\x1b[31mbrot", "width": 8, "height": 8 }\n'

    good = {
        "input.png": GOOD,
        "m2x3.npy": npy(hdr(), f8(6)),
    }

    for folder, group in (("files", files), ("configs", configs), ("good", good)):
        os.makedirs(os.path.join(HERE, folder), exist_ok=True)
        for name, data in sorted(group.items()):
            assert len(data) <= 8192, name
            with open(os.path.join(HERE, folder, name), "wb") as f:
                f.write(data)
        print("wrote %d files to %s" % (len(group), os.path.join(HERE, folder)), file=sys.stderr)


if __name__ == "__main__":
    main()

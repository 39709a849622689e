#!/usr/bin/env python3
"""Print the width, height and number of distinct colours of a PNG (8-bit
greyscale, RGB or RGBA, not interlaced), and the share of non-white
pixels in percent. Standard library only."""
import struct
import sys
import zlib


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def main(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    assert depth == 8 and interlace == 0 and ctype in (0, 2, 6), "unsupported PNG"
    bpp = {0: 1, 2: 3, 6: 4}[ctype]
    raw, stride = zlib.decompress(idat), w * bpp
    prev, colours, ink, i = bytearray(stride), set(), 0, 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            line[x] = (line[x] + (0, a, b, (a + b) // 2, paeth(a, b, c))[f]) & 0xff
        for x in range(0, stride, bpp):
            px = bytes(line[x:x + min(bpp, 3)])
            colours.add(px)
            if px != b"\xff" * len(px):
                ink += 1
        prev = line
    print(w, h, len(colours), round(100.0 * ink / (w * h), 2))


main(sys.argv[1])

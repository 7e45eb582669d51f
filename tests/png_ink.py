"""How much of a PNG screenshot is drawn: prints the share of pixels that are not the
background (the top-left pixel's colour) and the number of distinct colours. Reads 8-bit
RGB and RGBA PNGs, as Chromium writes them, with the standard library only.

Usage: python3 tests/png_ink.py <file.png>
"""
import struct
import sys
import zlib


def pixels(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("png_ink: %s is not a PNG" % path)
    at, idat, width = 8, b"", 0
    while at < len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour not in (2, 6) or body[12] != 0:
                sys.exit("png_ink: only 8-bit RGB(A), non-interlaced PNGs")
            bpp = 4 if colour == 6 else 3
        elif kind == b"IDAT":
            idat += body
        at += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return [row[x * bpp:x * bpp + 3] for row in rows for x in range(width)]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    px = pixels(sys.argv[1])
    background = px[0]
    ink = sum(1 for p in px if p != background)
    print("%.4f %d" % (ink / len(px), len(set(px))))


if __name__ == "__main__":
    main()

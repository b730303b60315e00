#!/usr/bin/env python3
"""Draw the sample picture used by the layout templates (our own artwork:
a terraced rice valley under mountains, 960x540), so no photo of unknown
origin ends up in the repository. Writes PNG with the standard library;
convert with: ffmpeg -i out.png -q:v 4 layouts/templates/media/ruong-bac-thang.jpg
"""
import math, struct, sys, zlib

W, H = 960, 540

def lerp(a, b, t):
    return tuple(int(a[i] + (b[i] - a[i]) * t) for i in range(3))

def ridge(x, base, amp, f1, f2, ph):
    return base + amp * (0.6 * math.sin(x * f1 + ph) + 0.4 * math.sin(x * f2 + ph * 1.7))

rows = []
for y in range(H):
    row = bytearray()
    for x in range(W):
        # sky
        c = lerp((120, 178, 228), (236, 244, 250), min(1, y / 300))
        # sun
        d = math.hypot(x - 760, y - 110)
        if d < 46:
            c = (255, 236, 170)
        elif d < 90:
            c = lerp((255, 236, 170), c, (d - 46) / 44)
        # far mountains
        if y > ridge(x, 230, 40, 0.011, 0.027, 0.5):
            c = lerp((112, 150, 170), (150, 180, 190), (y - 190) / 120 if y < 310 else 1)
        # near mountains
        if y > ridge(x, 285, 35, 0.008, 0.021, 2.1):
            c = (74, 120, 96)
        # terraces: curved bands
        if y > 330:
            k = (y - 330) / 210
            wave = 10 * math.sin(x * 0.012 + k * 6) * (1 - k)
            band = int((y + wave) / (14 + 22 * k))
            shade = band % 3
            greens = [(126, 184, 72), (104, 164, 58), (150, 198, 90)]
            c = greens[shade]
            edge = (y + wave) % (14 + 22 * k)
            if edge < 1.6 + 1.2 * k:
                c = (86, 124, 52)
        row += bytes(c)
    rows.append(b"\x00" + bytes(row))

def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")
open(sys.argv[1] if len(sys.argv) > 1 else "sample.png", "wb").write(png)

#!/usr/bin/env python3
"""Turns a QR code that `ayil admit` drew back into an image zbarimg reads.

  qr_grid.py text FILE OUT.pgm   UTF-8 half blocks (--qr; lines of other
                                 characters are skipped)
  qr_grid.py svg FILE OUT.pgm    the SVG of --qr-svg (its path of runs)
"""
import re
import sys

HALF = " \u2580\u2584\u2588"


def text_grid(path):
    rows = []
    for line in open(path, encoding="utf-8").read().split("\n"):
        line = re.sub(r"\x1b\[[0-9;]*m", "", line)
        if not line or set(line) - set(HALF):
            continue
        rows.append([c in "\u2580\u2588" for c in line])
        rows.append([c in "\u2584\u2588" for c in line])
    return rows


def svg_grid(path):
    s = open(path, encoding="utf-8").read()
    w = int(re.search(r'viewBox="0 0 (\d+) ', s).group(1))
    g = [[False] * w for _ in range(w)]
    for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", s):
        for i in range(int(n)):
            g[int(y)][int(x) + i] = True
    return g


def main():
    g = text_grid(sys.argv[2]) if sys.argv[1] == "text" else svg_grid(sys.argv[2])
    if not g:
        sys.exit("no QR code found")
    w, s = max(len(r) for r in g), 6
    with open(sys.argv[3], "wb") as f:
        f.write(b"P5 %d %d 255\n" % (w * s, len(g) * s))
        for r in g:
            line = bytes(0 if x < len(r) and r[x] else 255 for x in range(w) for _ in range(s))
            f.write(line * s)


main()

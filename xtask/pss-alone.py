#!/usr/bin/env python3
"""PSS of a running process as measured, and as on a board where nothing but the X
server maps the same files: pages of files it shares with other programs (a manager
or a second player started by another benchmark, which map the same FFmpeg
libraries) counted in full. PSS splits a shared page among its mappers, so it
drops while such a program runs beside the one measured.
    python3 xtask/pss-alone.py PID
"""
import sys, os, glob
pid = sys.argv[1]
def files_of(p):
    s = set()
    try:
        for line in open(f"/proc/{p}/maps"):
            f = line.split()
            if len(f) > 5 and f[5].startswith('/'): s.add(f[5])
    except OSError: pass
    return s
x = set()
for p in os.listdir('/proc'):
    if p.isdigit():
        try:
            if open(f'/proc/{p}/comm').read().strip() == 'Xvfb': x |= files_of(p)
        except OSError: pass
pss = rss = extra = 0; cur = None
for line in open(f"/proc/{pid}/smaps"):
    f = line.split()
    if '-' in f[0] and not f[0].endswith(':'):
        cur = f[5] if len(f) > 5 and f[5].startswith('/') else None; r = 0
    elif f[0] == 'Rss:': r = int(f[1])
    elif f[0] == 'Pss:':
        p_ = int(f[1]); pss += p_
        if cur and cur not in x: extra += r - p_
print(f"PSS {pss/1024:.1f} MiB; shared with programs other than the X server {extra/1024:.1f} MiB; as if alone {(pss+extra)/1024:.1f} MiB")

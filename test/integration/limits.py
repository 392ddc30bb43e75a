#!/usr/bin/env python3
"""On-disk limits, probed the same way on xfsfuse and on the kernel's XFS:
xattr name and value sizes, name length, symlink target length.  Prints one
result per probe (ok or the errno name); the two outputs must be equal.
    limits.py DIR
"""
import os, errno, sys
d = sys.argv[1]
p = os.path.join(d, 'lim'); open(p, 'w').close()
out = []
def t(f):
    try:
        f(); out.append('ok')
    except OSError as e:
        out.append(errno.errorcode[e.errno])
t(lambda: os.setxattr(p, 'user.' + 'n' * 250, b'v'))
t(lambda: os.setxattr(p, 'user.' + 'n' * 251, b'v'))
t(lambda: os.setxattr(p, 'user.big', b'v' * 65536))
t(lambda: os.setxattr(p, 'user.big2', b'v' * 65537))
t(lambda: open(os.path.join(d, 'n' * 255), 'w').close())
t(lambda: open(os.path.join(d, 'n' * 256), 'w').close())
t(lambda: os.symlink('t' * 1023, os.path.join(d, 's1')))
t(lambda: os.symlink('t' * 1024, os.path.join(d, 's2')))
t(lambda: os.mkdir(os.path.join(d, 'x' * 255)))
print(' '.join(out))

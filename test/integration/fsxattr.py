#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""FS_IOC_FSGETXATTR / FS_IOC_FSSETXATTR from a test, on any file system.

xfs_io marks files outside a kernel XFS mount "foreign" and refuses its
extsize/cowextsize commands on them, so test_inode_flags.sh uses this on
both the kernel's XFS and xfsfuse.

usage: fsxattr.py get FILE...
       fsxattr.py set FILE [+FLAGS|-FLAGS] [extsize=N] [cowextsize=N] [projid=N]
FLAGS are xfs_io's letters (iasAdtPneEfSxC).  Prints the attributes, or
"FILE: ERRNO" when the ioctl fails (exit status 1).
"""
import errno
import fcntl
import os
import struct
import sys

FSGETXATTR = 0x801C581F  # _IOR('X', 31, struct fsxattr)
FSSETXATTR = 0x401C5820  # _IOW('X', 32, struct fsxattr)
FMT = "=IIIII8x"
LETTERS = {"r": 0x1, "p": 0x2, "i": 0x8, "a": 0x10, "s": 0x20, "A": 0x40,
           "d": 0x80, "t": 0x100, "P": 0x200, "n": 0x400, "e": 0x800,
           "E": 0x1000, "f": 0x2000, "S": 0x4000, "x": 0x8000, "C": 0x10000}


def letters(xflags):
    return "".join(c if xflags & bit else "-" for c, bit in LETTERS.items())


def get(fd):
    buf = fcntl.ioctl(fd, FSGETXATTR, bytes(struct.calcsize(FMT)))
    return list(struct.unpack(FMT, buf))


def main():
    op, files = sys.argv[1], sys.argv[2:]
    if op == "set":
        files, args = files[:1], files[1:]
    status = 0
    for name in files:
        fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK)
        try:
            xflags, extsize, nextents, projid, cowext = get(fd)
            if op == "set":
                for a in args:
                    if a[0] in "+-":
                        bits = sum(LETTERS[c] for c in a[1:])
                        xflags = xflags | bits if a[0] == "+" else xflags & ~bits
                    elif a.startswith("extsize="):
                        extsize = int(a[8:])
                    elif a.startswith("cowextsize="):
                        cowext = int(a[11:])
                    elif a.startswith("projid="):
                        projid = int(a[7:])
                fcntl.ioctl(fd, FSSETXATTR,
                            struct.pack(FMT, xflags, extsize, 0, projid, cowext))
                xflags, extsize, nextents, projid, cowext = get(fd)
            print(f"{name}: {letters(xflags)} extsize={extsize} projid={projid} "
                  f"cowextsize={cowext}")
        except OSError as e:
            print(f"{name}: {errno.errorcode[e.errno]}")
            status = 1
        finally:
            os.close(fd)
    return status


if __name__ == "__main__":
    sys.exit(main())

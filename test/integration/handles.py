#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""File handles on a mount, for test_handles.sh: name_to_handle_at and
open_by_handle_at through ctypes (Python has neither).

  handles.py MNT
prints one "name: result" line per case; the script compares them with the
expected lines.  The kernel caches are dropped between making a handle and
opening it, so the opens reach the daemon for inodes the kernel forgot.
"""
import ctypes
import os
import struct
import sys

LIBC = ctypes.CDLL(None, use_errno=True)
MAX_BYTES = 128


def name_to_handle(path):
    buf = ctypes.create_string_buffer(8 + MAX_BYTES)
    struct.pack_into("Ii", buf, 0, MAX_BYTES, 0)
    mount_id = ctypes.c_int()
    if LIBC.name_to_handle_at(-100, path.encode(), buf, ctypes.byref(mount_id), 0):
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))
    return buf


def open_handle(mnt, buf, flags=os.O_RDONLY):
    mfd = os.open(mnt, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fd = LIBC.open_by_handle_at(mfd, buf, flags)
        err = ctypes.get_errno()
    finally:
        os.close(mfd)
    if fd < 0:
        raise OSError(err, os.strerror(err))
    return fd


def forget():
    """Drop dentries and inodes: the kernel sends FORGET for them."""
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("2")


def attempt(name, fn):
    try:
        print(f"{name}: {fn()}")
    except OSError as e:
        print(f"{name}: {e.strerror}")


def main(mnt):
    os.makedirs(f"{mnt}/d/e", exist_ok=True)
    with open(f"{mnt}/d/e/f", "w") as f:
        f.write("hello")
    hf, hd = name_to_handle(f"{mnt}/d/e/f"), name_to_handle(f"{mnt}/d/e")
    forget()

    def read_file():
        fd = open_handle(mnt, hf)
        try:
            return os.read(fd, 16).decode()
        finally:
            os.close(fd)

    def dir_path():
        fd = open_handle(mnt, hd, os.O_RDONLY | os.O_DIRECTORY)
        try:
            # The kernel reconnects the directory through LOOKUP "..".
            return os.readlink(f"/proc/self/fd/{fd}").replace(mnt, "MNT") + \
                " " + ",".join(sorted(os.listdir(f"/proc/self/fd/{fd}")))
        finally:
            os.close(fd)

    attempt("open file by handle", read_file)
    attempt("open directory by handle", dir_path)
    os.unlink(f"{mnt}/d/e/f")
    forget()
    attempt("open unlinked file by handle", read_file)
    # Forged inode numbers: beyond the filesystem, inside it but no inode
    # chunk there, and a number no inode can have.
    for ino in (1 << 40, 99999999, 5):
        struct.pack_into("Q", hf, 8, ino)
        attempt(f"open forged handle {ino}", read_file)
    # A directory recreated under the same name is a different inode or
    # generation: the old handle is stale.
    os.rmdir(f"{mnt}/d/e")
    os.makedirs(f"{mnt}/d/e")
    forget()
    attempt("open removed directory by handle", dir_path)


if __name__ == "__main__":
    main(sys.argv[1])

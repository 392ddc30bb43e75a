#!/usr/bin/env python3
"""POSIX ACL answers, probed the same way on xfsfuse and on the kernel's XFS:
raw "system.posix_acl_*" values through setxattr(2) -- well-formed,
malformed, equivalent to the mode, too many entries -- and what
getxattr/listxattr/stat say afterwards.  Prints one result per probe (ok,
an errno name, or a value); the outputs of the two must be equal.
    acl_probe.py DIR [--big]
--big adds the probe whose answer differs on purpose: 600 entries fit XFS
(5461 do) but not FUSE, which passes ACLs in one page (E2BIG).
"""
import errno, os, struct, sys

d = sys.argv[1]
UO, U, GO, G, M, O = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
ACCESS, DEFAULT = 'system.posix_acl_access', 'system.posix_acl_default'
out = []


def acl(entries, version=2):
    b = struct.pack('<I', version)
    for tag, perm, uid in entries:
        b += struct.pack('<HHI', tag, perm, uid & 0xffffffff)
    return b


BASIC = [(UO, 7, -1), (GO, 5, -1), (O, 5, -1)]


def t(f):
    try:
        r = f()
        out.append('ok' if r is None else str(r))
    except OSError as e:
        out.append(errno.errorcode[e.errno])


def fresh(name, mode=0o644):
    p = os.path.join(d, name)
    open(p, 'w').close()
    os.chmod(p, mode)
    return p


def state(p):
    """mode and attribute names: what a set left behind."""
    return '%o:%s' % (os.stat(p).st_mode & 0o7777, ','.join(sorted(os.listxattr(p))))


p = fresh('probe')
# Equivalent to a mode: the mode changes, no attribute is stored.
t(lambda: os.setxattr(p, ACCESS, acl(BASIC)))
t(lambda: state(p))
# Named entries with a mask: stored, the group bits are the mask's.
named = [(UO, 6, -1), (U, 0, 65534), (GO, 4, -1), (G, 6, 1), (M, 6, -1), (O, 4, -1)]
t(lambda: os.setxattr(p, ACCESS, acl(named)))
t(lambda: state(p))
t(lambda: os.getxattr(p, ACCESS).hex())
# Setting an equivalent ACL over a stored one removes the attribute.
t(lambda: os.setxattr(p, ACCESS, acl([(UO, 6, -1), (GO, 0, -1), (O, 0, -1)])))
t(lambda: state(p))
# Accepted oddities: duplicate and unsorted named entries, create flag ignored.
t(lambda: os.setxattr(p, ACCESS, acl([(UO, 7, -1), (U, 7, 1000), (U, 5, 1000), (GO, 5, -1),
                                      (M, 7, -1), (O, 5, -1)])))
t(lambda: os.setxattr(p, ACCESS, acl([(UO, 7, -1), (U, 7, 1001), (U, 5, 1000), (GO, 5, -1),
                                      (M, 7, -1), (O, 5, -1)])))
t(lambda: os.getxattr(p, ACCESS).hex())
t(lambda: os.setxattr(p, ACCESS, acl(BASIC), os.XATTR_CREATE))
# Refused: short, wrong version, unknown tag, two OTHERs, bad permission,
# invalid id, named entry without mask, trailing byte.
t(lambda: os.setxattr(p, ACCESS, b'\x02\x00'))
t(lambda: os.setxattr(p, ACCESS, acl([(UO, 7, -1)], version=1)))
t(lambda: os.setxattr(p, ACCESS, acl([(UO, 7, -1), (0x40, 5, -1), (O, 5, -1)])))
t(lambda: os.setxattr(p, ACCESS, acl(BASIC + [(O, 5, -1)])))
t(lambda: os.setxattr(p, ACCESS, acl([(UO, 8, -1), (GO, 5, -1), (O, 5, -1)])))
t(lambda: os.setxattr(p, ACCESS, acl([(UO, 7, -1), (U, 7, -1), (GO, 5, -1), (M, 7, -1),
                                      (O, 5, -1)])))
t(lambda: os.setxattr(p, ACCESS, acl([(UO, 7, -1), (U, 7, 5), (GO, 5, -1), (O, 5, -1)])))
t(lambda: os.setxattr(p, ACCESS, acl(BASIC) + b'\x00'))
# Too many for XFS (more than XFS_ACL_MAX_ENTRIES, 5461 on v5).
many = [(UO, 7, -1)] + [(U, 7, 1000 + i) for i in range(6000)] + [(GO, 5, -1), (M, 7, -1),
                                                                  (O, 5, -1)]
t(lambda: os.setxattr(p, ACCESS, acl(many)))
# The most FUSE passes (one page: 511 entries), read back whole.
fits = [(UO, 7, -1)] + [(U, 7, 1000 + i) for i in range(507)] + [(GO, 5, -1), (M, 7, -1),
                                                                 (O, 5, -1)]
t(lambda: os.setxattr(p, ACCESS, acl(fits)))
t(lambda: len(os.getxattr(p, ACCESS)))
# An empty value removes, so does removexattr, twice.
t(lambda: os.setxattr(p, ACCESS, b''))
t(lambda: state(p))
t(lambda: os.setxattr(p, ACCESS, acl(named)))
t(lambda: os.removexattr(p, ACCESS))
t(lambda: os.removexattr(p, ACCESS))
t(lambda: state(p))
t(lambda: os.getxattr(p, ACCESS))
# Default ACLs: refused on files, removing one there is fine.
t(lambda: os.setxattr(p, DEFAULT, acl(BASIC)))
t(lambda: os.removexattr(p, DEFAULT))
t(lambda: os.getxattr(p, DEFAULT))
# ... stored on directories even when equivalent, and listed.
q = os.path.join(d, 'probedir')
os.mkdir(q, 0o755)
t(lambda: os.setxattr(q, DEFAULT, acl(BASIC)))
t(lambda: state(q))
t(lambda: os.getxattr(q, DEFAULT).hex())
t(lambda: os.removexattr(q, DEFAULT))
t(lambda: state(q))
if '--big' in sys.argv:
    b = fresh('probebig')
    t(lambda: os.setxattr(b, ACCESS, acl([(UO, 7, -1)] + [(U, 7, 1000 + i) for i in range(600)]
                                         + [(GO, 5, -1), (M, 7, -1), (O, 5, -1)])))
    os.unlink(b)
print('\n'.join(out))

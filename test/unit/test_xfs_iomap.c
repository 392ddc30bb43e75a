// SPDX-License-Identifier: GPL-2.0
/*
 * The XFS side of the iomap engine on real images (no FUSE): delalloc
 * reservation and its accounting, ENOSPC at write time, punching, writeback
 * conversion delalloc -> unwritten -> written with the on-disk size, the
 * validity cookie, truncate, EOF preallocation trimming; then xfs_repair -n
 * and the kernel (read-only loop mount) read the bytes back.  1 KiB and
 * 4 KiB blocks.
 */
#include "xb_internal.h"
#include "harness.h"

#include <sys/mount.h>

static struct page_cache pc;

/* ---- peeking at the incore inode and superblock (under the libxfs lock) ---- */
struct snap {
	uint64_t fdblocks, delayed, reserved, seq, disk_size, nblocks;
};

static struct snap snap(struct xb_inode *xi)
{
	struct snap s;

	xb_lock();
	s.fdblocks = xi->m->mp->m_sb.sb_fdblocks;
	s.delayed = xi->ip->i_delayed_blks;
	s.reserved = xfs_inode_delalloc_reserved(xi->ip);
	s.seq = xi->ip->i_df.if_seq;
	s.disk_size = xi->ip->i_disk_size;
	s.nblocks = xi->ip->i_nblocks;
	xb_unlock();
	return s;
}

/* The state of file block @fsb: 'H'ole, 'D'elalloc, 'U'nwritten, 'W'ritten. */
static char block_state(struct xb_inode *xi, uint64_t fsb)
{
	struct xfs_bmbt_irec map;
	int n = 1;
	char c = '?';

	xb_lock();
	if (!libxfs_bmapi_read(xi->ip, fsb, 1, &map, &n, 0) && n == 1) {
		if (map.br_startblock == HOLESTARTBLOCK)
			c = 'H';
		else if (map.br_startblock == DELAYSTARTBLOCK ||
			 isnullstartblock(map.br_startblock))
			c = 'D';
		else
			c = map.br_state == XFS_EXT_UNWRITTEN ? 'U' : 'W';
	}
	xb_unlock();
	return c;
}

static uint64_t statfs_bfree(struct xb_mount *m)
{
	struct statvfs st;

	xb_statfs(m, &st);
	return st.f_bfree;
}

static void test_evict(struct vfs_inode *v, bool unlinked, void *arg)
{
	(void) unlinked;
	(void) arg;
	inode_lock(v);
	filemap_invalidate_lock(v);
	truncate_inode_pages_range(&v->i_mapping, 0, UINT64_MAX);
	filemap_invalidate_unlock(v);
	inode_unlock(v);
}

static const struct xb_engine_ops test_engine_ops = {.evict = test_evict};

static struct xb_inode *create_file(struct xb_mount *m, const char *name)
{
	struct xb_cred cr = {.uid = 0, .gid = 0};
	struct xb_inode *root, *xi = NULL;

	CHECK_EQ(xb_iget(m, xb_root_ino(m), &root), 0);
	CHECK_EQ(xb_create(root, name, S_IFREG | 0644, 0, &cr, &xi), 0);
	xb_iput(root);
	CHECK(xi && xb_vfs_inode(xi));
	return xi;
}

static void fill_pattern(unsigned char *buf, size_t len, uint64_t off, unsigned int salt)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char) (((off + i) * 131 + salt + (off + i) / 4093) & 0xff);
}

static ssize_t write_file(struct xb_inode *xi, const void *buf, size_t len, uint64_t off)
{
	struct vfs_inode *v = xb_vfs_inode(xi);
	ssize_t n;

	inode_lock(v);
	n = iomap_file_buffered_write(v, buf, len, (loff_t) off, &xfs_buffered_write_iomap_ops);
	inode_unlock(v);
	return n;
}

static ssize_t read_file(struct xb_inode *xi, void *buf, size_t len, uint64_t off)
{
	struct vfs_inode *v = xb_vfs_inode(xi);
	ssize_t n;

	inode_lock_shared(v);
	n = iomap_file_buffered_read(v, buf, len, (loff_t) off, &xfs_read_iomap_ops);
	inode_unlock(v);
	return n;
}

static struct writeback_stats wbs;

/* Write back every dirty folio of the file; ioends complete inline. */
static int writeback_file(struct xb_inode *xi)
{
	struct vfs_inode *v = xb_vfs_inode(xi);
	struct writeback_control wbc = {0, UINT64_MAX, true, false, -1};
	struct iomap_writepage_ctx wpc;
	int error;

	memset(&wpc, 0, sizeof(wpc));
	wpc.ops = &xfs_writeback_ops;
	wpc.stats = &wbs;
	error = iomap_writepages(&v->i_mapping, &wbc, &wpc, &xfs_writeback_ops);
	filemap_fdatawait_range(&v->i_mapping, 0, UINT64_MAX);
	return error;
}

static void drop_cache(struct xb_inode *xi)
{
	struct vfs_inode *v = xb_vfs_inode(xi);

	inode_lock(v);
	filemap_invalidate_lock(v);
	truncate_inode_pages_range(&v->i_mapping, 0, UINT64_MAX);
	filemap_invalidate_unlock(v);
	inode_unlock(v);
}

static int setsize(struct xb_inode *xi, uint64_t size)
{
	struct vfs_inode *v = xb_vfs_inode(xi);
	int error;

	inode_lock(v);
	filemap_invalidate_lock(v);
	error = xfs_setattr_size(xi, size);
	filemap_invalidate_unlock(v);
	inode_unlock(v);
	return error;
}

static uint64_t delalloc_total(struct xb_mount *m)
{
	uint64_t n;

	xb_lock();
	n = xb_delalloc_blocks_locked(m);
	xb_unlock();
	return n;
}

/*
 * 1. Reservation: blocks and indirect blocks leave sb_fdblocks (and statfs),
 * i_delayed_blks counts the blocks, the cookie moves; the punch of a failed
 * write gives everything back and moves the cookie again.
 */
static void test_reserve_punch(struct xb_mount *m, unsigned int bs)
{
	struct xb_inode *xi = create_file(m, "reserve");
	struct vfs_inode *v = xb_vfs_inode(xi);
	struct iomap im, im2, src;
	uint64_t len = 64 * 1024, bfree0 = statfs_bfree(m), punched0;
	struct snap s0 = snap(xi), s1, s2;

	memset(&src, 0, sizeof(src));
	CHECK_EQ(xfs_buffered_write_iomap_ops.iomap_begin(v, 0, (loff_t) len, IOMAP_WRITE, &im,
							  &src),
		 0);
	s1 = snap(xi);
	CHECK_EQ(im.type, IOMAP_DELALLOC);
	CHECK(im.flags & IOMAP_F_NEW);
	CHECK_EQ(im.offset, 0);
	CHECK_EQ(im.length, len); /* empty file: no speculative preallocation */
	CHECK(im.addr == IOMAP_NULL_ADDR);
	CHECK(im.folio_ops == &xfs_iomap_folio_ops);
	CHECK_EQ(s1.delayed, len / bs);
	CHECK(s1.reserved > s1.delayed); /* indirect blocks too */
	CHECK_EQ(s0.fdblocks - s1.fdblocks, s1.reserved);
	CHECK_EQ(bfree0 - statfs_bfree(m), s1.reserved);
	CHECK(s1.seq != s0.seq);
	CHECK_EQ(im.validity_cookie, s1.seq); /* sampled after our own change */
	CHECK(im.folio_ops->iomap_valid(v, &im));

	/* Mapping it again finds the delalloc: not new, same cookie. */
	CHECK_EQ(xfs_buffered_write_iomap_ops.iomap_begin(v, 4096, 4096, IOMAP_WRITE, &im2, &src),
		 0);
	CHECK_EQ(im2.type, IOMAP_DELALLOC);
	CHECK(!(im2.flags & IOMAP_F_NEW));
	CHECK_EQ(im2.validity_cookie, s1.seq);
	CHECK_EQ(snap(xi).fdblocks, s1.fdblocks);

	/* The read and seek ops report it as delalloc without allocating. */
	CHECK_EQ(xfs_read_iomap_ops.iomap_begin(v, 0, 4096, 0, &im2, &src), 0);
	CHECK_EQ(im2.type, IOMAP_DELALLOC);
	CHECK_EQ(xfs_seek_iomap_ops.iomap_begin(v, (loff_t) len, 1 << 20, IOMAP_REPORT, &im2, &src),
		 0);
	CHECK_EQ(im2.type, IOMAP_HOLE);
	CHECK_EQ(im2.offset, (loff_t) len);

	/* A write that failed after 8 KiB + 1: the rest is punched. */
	inode_lock(v);
	CHECK_EQ(xfs_buffered_write_iomap_ops.iomap_end(v, 0, (loff_t) len, 8193, IOMAP_WRITE, &im),
		 0);
	inode_unlock(v);
	s2 = snap(xi);
	CHECK_EQ(s2.delayed, (8193 + bs - 1) / bs);
	CHECK(s2.seq != s1.seq);
	CHECK(!im.folio_ops->iomap_valid(v, &im)); /* the old mapping is stale now */
	CHECK_EQ(s2.fdblocks + s2.reserved, s0.fdblocks);

	/* A fault never punches. */
	CHECK_EQ(xfs_buffered_write_iomap_ops.iomap_end(v, 0, (loff_t) len, 0,
							IOMAP_WRITE | IOMAP_FAULT, &im),
		 0);
	CHECK_EQ(snap(xi).delayed, s2.delayed);

	/* Punch the rest: everything back, exactly. */
	punched0 = xfs_iomap_stats.delalloc_punched_blocks;
	xb_lock();
	CHECK_EQ(xfs_bmap_punch_delalloc_range(xi, 0, len), s2.delayed);
	xb_unlock();
	CHECK_EQ(xfs_iomap_stats.delalloc_punched_blocks - punched0, s2.delayed);
	s2 = snap(xi);
	CHECK_EQ(s2.delayed, 0);
	CHECK_EQ(s2.fdblocks, s0.fdblocks);
	CHECK_EQ(statfs_bfree(m), bfree0);
	CHECK_EQ(block_state(xi, 0), 'H');
	xb_iput(xi);
}

/*
 * 2. Writeback by hand: map_blocks converts delalloc to unwritten (cookie
 * moves, cached mapping reused while valid, found stale after a change),
 * end_io converts to written and moves the on-disk size.
 */
static void test_map_blocks(struct xb_mount *m, unsigned int bs)
{
	struct xb_inode *xi = create_file(m, "mapblocks");
	struct vfs_inode *v = xb_vfs_inode(xi);
	struct iomap im, src;
	struct iomap_writepage_ctx wpc;
	struct writeback_stats st;
	struct iomap_ioend io;
	uint64_t len = 16 * (uint64_t) bs, conv0 = xfs_iomap_stats.delalloc_converted_blocks;
	struct snap s0 = snap(xi), s1, s2, s3;

	memset(&src, 0, sizeof(src));
	memset(&wpc, 0, sizeof(wpc));
	memset(&st, 0, sizeof(st));
	wpc.ops = &xfs_writeback_ops;
	wpc.stats = &st;
	CHECK_EQ(xfs_buffered_write_iomap_ops.iomap_begin(v, 0, (loff_t) len, IOMAP_WRITE, &im,
							  &src),
		 0);
	s1 = snap(xi);
	CHECK_EQ(s1.delayed, 16);

	CHECK_EQ(xfs_writeback_ops.map_blocks(&wpc, v, 0, bs), 0);
	s2 = snap(xi);
	CHECK_EQ(wpc.iomap.type, IOMAP_UNWRITTEN);
	CHECK(wpc.iomap.addr != IOMAP_NULL_ADDR);
	CHECK_EQ(wpc.iomap.offset, 0);
	CHECK_EQ(wpc.iomap.length, len);
	CHECK_EQ(s2.delayed, 0);
	CHECK_EQ(xfs_iomap_stats.delalloc_converted_blocks - conv0, 16);
	CHECK(s2.seq != s1.seq);
	CHECK_EQ(wpc.data_seq, s2.seq);
	CHECK(!im.folio_ops->iomap_valid(v, &im)); /* the writer's delalloc map is stale */
	/* Indirect-block reservation not used is given back: only real blocks remain out. */
	CHECK_EQ(s0.fdblocks - s2.fdblocks, s2.nblocks);
	CHECK_EQ(block_state(xi, 0), 'U');

	/* Next block: the cached mapping is still valid. */
	CHECK_EQ(xfs_writeback_ops.map_blocks(&wpc, v, bs, bs), 0);
	CHECK_EQ(st.map_revalidated, 1);
	CHECK_EQ(st.map_invalidated, 0);
	CHECK_EQ(snap(xi).seq, s2.seq);

	/*
	 * A MAPPED ioend only moves the on-disk size, never past i_size, and
	 * converts nothing.
	 */
	memset(&io, 0, sizeof(io));
	io.io_inode = v;
	io.io_type = IOMAP_MAPPED;
	io.io_offset = 0;
	io.io_size = 100;
	vfs_i_size_write(v, 50);
	CHECK_EQ(xfs_writeback_ops.end_io(v, &io), 0);
	CHECK_EQ(snap(xi).disk_size, 50);
	vfs_i_size_write(v, len);
	CHECK_EQ(xfs_writeback_ops.end_io(v, &io), 0);
	CHECK_EQ(snap(xi).disk_size, 100);
	CHECK_EQ(block_state(xi, 0), 'U');
	CHECK_EQ(snap(xi).seq, s2.seq);

	/* I/O completion of block 0 as unwritten: converted, size moves. */
	io.io_type = IOMAP_UNWRITTEN;
	io.io_offset = 0;
	io.io_size = bs;
	io.io_addr = wpc.iomap.addr;
	CHECK_EQ(xfs_writeback_ops.end_io(v, &io), 0);
	s3 = snap(xi);
	CHECK(s3.seq != s2.seq);
	CHECK_EQ(s3.disk_size, bs);
	CHECK_EQ(block_state(xi, 0), 'W');
	CHECK_EQ(block_state(xi, 1), 'U');

	/* The cached mapping still covers block 2 but the fork moved: looked up again. */
	CHECK_EQ(xfs_writeback_ops.map_blocks(&wpc, v, 2 * bs, bs), 0);
	CHECK_EQ(st.map_revalidated, 2);
	CHECK_EQ(st.map_invalidated, 1);
	CHECK_EQ(wpc.data_seq, s3.seq);
	CHECK_EQ(wpc.iomap.type, IOMAP_UNWRITTEN);
	CHECK_EQ(wpc.iomap.offset, bs);

	/* A failed data write converts nothing. */
	io.io_offset = bs;
	io.io_error = -EIO;
	CHECK_EQ(xfs_writeback_ops.end_io(v, &io), -EIO);
	CHECK_EQ(block_state(xi, 1), 'U');
	CHECK_EQ(snap(xi).disk_size, bs);

	/*
	 * A dirty block past every extent (a hole): reported as a hole the
	 * length of the gap (xfs_map_blocks), not an error that would make
	 * writeback punch and drop the rest of the folio.
	 */
	memset(&wpc, 0, sizeof(wpc));
	wpc.ops = &xfs_writeback_ops;
	CHECK_EQ(xfs_writeback_ops.map_blocks(&wpc, v, (loff_t) (20 * (uint64_t) bs), bs), 0);
	CHECK_EQ(wpc.iomap.type, IOMAP_HOLE);
	CHECK_EQ(wpc.iomap.offset, 20 * (loff_t) bs);
	CHECK(wpc.iomap.length >= bs);

	/* Truncate to zero through the engine frees everything. */
	CHECK_EQ(setsize(xi, 0), 0);
	s3 = snap(xi);
	CHECK_EQ(s3.nblocks, 0);
	CHECK_EQ(s3.delayed, 0);
	CHECK_EQ(s3.disk_size, 0);
	CHECK_EQ(s3.fdblocks, s0.fdblocks);
	xb_iput(xi);
}

/* Find the largest reservation the set-aside still allows. */
static uint64_t space_left(struct xb_mount *m)
{
	uint64_t lo = 0, hi;

	xb_lock();
	hi = m->mp->m_sb.sb_fdblocks;
	while (lo < hi) {
		uint64_t mid = (lo + hi + 1) / 2;

		if (xb_space_available(m, mid))
			lo = mid;
		else
			hi = mid - 1;
	}
	xb_unlock();
	return lo;
}

/* 3. A nearly full filesystem: the write fails with ENOSPC, nothing leaks. */
static void test_enospc(struct xb_mount *m, unsigned int bs)
{
	struct xb_inode *filler = create_file(m, "filler"), *xi = create_file(m, "full");
	struct vfs_inode *v = xb_vfs_inode(xi);
	unsigned char buf[8192];
	struct iomap im, src;
	uint64_t end = 0, left;
	struct snap s0, s1;
	int i;

	for (i = 0; i < 20 && (left = space_left(m)) > 40; i++) {
		end += (left - 30) * bs;
		xb_prealloc(filler, 0, end, true);
	}
	left = space_left(m);
	CHECK(left <= 40 && left >= 8);
	s0 = snap(xi);
	memset(&src, 0, sizeof(src));
	CHECK_EQ(xfs_buffered_write_iomap_ops.iomap_begin(v, 0, 200 * (loff_t) bs, IOMAP_WRITE, &im,
							  &src),
		 -ENOSPC);
	s1 = snap(xi);
	CHECK_EQ(s1.delayed, 0);
	CHECK_EQ(s1.fdblocks, s0.fdblocks);
	CHECK_EQ(s1.seq, s0.seq);

	/*
	 * The set-aside: a reservation libxfs alone would grant (sb_fdblocks
	 * covers it) is refused when it would eat into the set-aside, and
	 * the largest one that fits is granted.
	 */
	{
		uint64_t want = left, fit = left;

		xb_lock();
		CHECK(m->mp->m_sb.sb_fdblocks > want + xfs_bmap_worst_indlen(xi->ip, want));
		while (fit && fit + xfs_bmap_worst_indlen(xi->ip, fit) > left)
			fit--;
		xb_unlock();
		CHECK_EQ(xfs_buffered_write_iomap_ops.iomap_begin(v, 0, (loff_t) (want * bs),
								  IOMAP_WRITE, &im, &src),
			 -ENOSPC);
		CHECK_EQ(snap(xi).fdblocks, s0.fdblocks);
		CHECK_EQ(xfs_buffered_write_iomap_ops.iomap_begin(v, 0, (loff_t) (fit * bs),
								  IOMAP_WRITE, &im, &src),
			 0);
		s1 = snap(xi);
		CHECK_EQ(s1.delayed, fit);
		CHECK_EQ(s0.fdblocks - s1.fdblocks, s1.reserved);
		CHECK_EQ(space_left(m), left - s1.reserved);
		xb_lock();
		CHECK_EQ(xfs_bmap_punch_delalloc_range(xi, 0, fit * bs), fit);
		xb_unlock();
		CHECK_EQ(snap(xi).fdblocks, s0.fdblocks);
	}

	/* Through the engine: write() itself reports it, nothing is left behind. */
	memset(buf, 0x5a, sizeof(buf));
	CHECK_EQ(write_file(xi, buf, sizeof(buf), 300 * (uint64_t) bs), sizeof(buf)); /* fits */
	{
		static unsigned char big[1 << 20];
		ssize_t n = write_file(xi, big, sizeof(big), 1 << 20);

		CHECK(n == -ENOSPC || (n >= 0 && (size_t) n < sizeof(big)));
	}
	CHECK_EQ(writeback_file(xi), 0);
	s1 = snap(xi);
	CHECK_EQ(s1.delayed, 0);
	CHECK_EQ(delalloc_total(m), 0);

	/* Space comes back when the filler goes: a write fits again. */
	CHECK_EQ(setsize(filler, 0), 0);
	CHECK(space_left(m) > 1000);
	xb_iput(filler);
	xb_iput(xi);
}

#define BIG    (200 * 1024 + 77)
#define APPEND (64 * 1024)

static unsigned char expect[BIG + APPEND];

/*
 * 4. The whole cycle through the engine: buffered write (delalloc), EOF
 * preallocation on append, writeback (unwritten, then written at
 * completion, on-disk size), read back from disk, trim at last close,
 * truncate down and up.
 */
static void test_cycle(struct xb_mount *m, unsigned int bs)
{
	struct xb_inode *xi = create_file(m, "cycle");
	struct vfs_inode *v = xb_vfs_inode(xi);
	static unsigned char got[BIG + APPEND];
	uint64_t trimmed0, wblocks = (BIG + APPEND + bs - 1) / bs;
	struct snap s;
	uint64_t b;

	fill_pattern(expect, sizeof(expect), 0, bs);
	CHECK_EQ(write_file(xi, expect, BIG, 0), BIG);
	s = snap(xi);
	CHECK_EQ(vfs_i_size_read(v), BIG);
	CHECK_EQ(s.delayed, (BIG + bs - 1) / bs);
	CHECK_EQ(s.disk_size, 0);
	CHECK_EQ(writeback_file(xi), 0);
	s = snap(xi);
	CHECK_EQ(s.delayed, 0);
	CHECK_EQ(s.disk_size, BIG);
	for (b = 0; b < (BIG + bs - 1) / bs; b++)
		if (block_state(xi, b) != 'W')
			break;
	CHECK_EQ(b, (BIG + bs - 1) / bs);

	/* An append past a big file gets speculative preallocation. */
	CHECK_EQ(write_file(xi, expect + BIG, APPEND, BIG), APPEND);
	s = snap(xi);
	CHECK(s.delayed > wblocks - (BIG + bs - 1) / bs); /* plus speculative preallocation */
	trimmed0 = xfs_iomap_stats.eofblocks_trimmed_blocks;
	inode_lock(v);
	CHECK_EQ(xfs_free_eofblocks(xi, NULL), 0);
	inode_unlock(v);
	s = snap(xi);
	CHECK(xfs_iomap_stats.eofblocks_trimmed_blocks > trimmed0);
	CHECK_EQ(s.delayed, wblocks - (BIG + bs - 1) / bs);
	CHECK_EQ(block_state(xi, wblocks), 'H');
	CHECK_EQ(writeback_file(xi), 0);
	s = snap(xi);
	CHECK_EQ(s.delayed, 0);
	CHECK_EQ(s.disk_size, BIG + APPEND);
	CHECK_EQ(s.nblocks >= wblocks, 1);

	/* Read back from disk, not from the cache. */
	drop_cache(xi);
	memset(got, 0, sizeof(got));
	CHECK_EQ(read_file(xi, got, sizeof(got), 0), sizeof(got));
	CHECK(memcmp(got, expect, sizeof(got)) == 0);

	/* Truncate down to the middle of a block, then up: the tail reads zero. */
	CHECK_EQ(setsize(xi, 5000), 0);
	s = snap(xi);
	CHECK_EQ(s.disk_size, 5000);
	CHECK_EQ(vfs_i_size_read(v), 5000);
	CHECK_EQ(block_state(xi, (5000 + bs - 1) / bs), 'H');
	CHECK_EQ(setsize(xi, 9000), 0);
	memset(expect + 5000, 0, sizeof(expect) - 5000);
	memset(got, 0xee, sizeof(got));
	CHECK_EQ(read_file(xi, got, 9000, 0), 9000);
	CHECK(memcmp(got, expect, 9000) == 0);
	CHECK_EQ(writeback_file(xi), 0);
	drop_cache(xi);
	memset(got, 0xee, sizeof(got));
	CHECK_EQ(read_file(xi, got, 9000, 0), 9000);
	CHECK(memcmp(got, expect, 9000) == 0);
	s = snap(xi);
	CHECK_EQ(s.delayed, 0);
	xb_iput(xi);
}

/* The kernel reads the file the engine wrote. */
static void kernel_oracle(const char *img, const char *name, const unsigned char *data, size_t len)
{
	char dir[] = "/tmp/xfs_iomap_mnt.XXXXXX", cmd[512], path[600];
	unsigned char *buf = malloc(len + 1);
	FILE *f;
	size_t n;

	if (!mkdtemp(dir) || !buf)
		return;
	snprintf(cmd, sizeof(cmd), "mount -o loop,ro,norecovery %s %s 2>/dev/null", img, dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "kernel oracle skipped (no loop mount)\n");
		rmdir(dir);
		free(buf);
		return;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	CHECK(f != NULL);
	if (f) {
		n = fread(buf, 1, len + 1, f);
		CHECK_EQ(n, len);
		CHECK(memcmp(buf, data, len) == 0);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "umount %s", dir);
	CHECK_EQ(system(cmd), 0);
	rmdir(dir);
	free(buf);
}

static void run(unsigned int bs)
{
	char opts[64];
	char *img;
	struct xb_mount *m;

	snprintf(opts, sizeof(opts), "-b size=%u", bs);
	img = th_mkfs(opts, 512);
	m = th_mount(img, false);
	if (!m)
		return;
	xb_engine_attach(m, &pc, &test_engine_ops, NULL);

	test_reserve_punch(m, bs);
	test_map_blocks(m, bs);
	test_cycle(m, bs);
	test_enospc(m, bs);
	CHECK_EQ(delalloc_total(m), 0);

	th_umount(m);
	CHECK(th_repair_clean(img));
	kernel_oracle(img, "cycle", expect, 9000);
}

int main(void)
{
	CHECK_EQ(page_cache_init(&pc, 4096, 64ULL << 20), 0);
	run(4096);
	run(1024);
	th_cleanup();
	return th_done("test_xfs_iomap");
}

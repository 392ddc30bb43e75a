// SPDX-License-Identifier: GPL-2.0
/*
 * Direct I/O on real images through the running engine (no FUSE):
 * xf_file_dio_read / xf_file_dio_write (src/file_dio.c) over iomap_dio_rw
 * and the XFS direct-write ops (doc/engine.md "Direct I/O").  A write into
 * a hole allocates unwritten blocks, written at completion; holes and
 * unwritten read as zeroes; dirty page cache is written back before a
 * direct read and dropped by a direct write; sub-block writes zero the rest
 * of a new block; EINVAL off the sector size; extending writes move i_size
 * and the on-disk size.  Then xfs_repair -n.  512-byte sectors, 4 KiB and
 * 1 KiB blocks.
 */
#include "xb_internal.h"
#include "harness.h"

#include <stdlib.h>

#include "file_ops.h"
#include "iomap_dio.h"
#include "xfs_direct.h"

#define HOUR_MS 3600000u

static struct xf_engine eng;

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

static uint64_t disk_size(struct xb_inode *xi)
{
	uint64_t s;

	xb_lock();
	s = (uint64_t) xi->ip->i_disk_size;
	xb_unlock();
	return s;
}

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

static void fill(unsigned char *buf, size_t len, unsigned int salt)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char) ((i * 131 + salt) % 251 + 1); /* never 0 */
}

static bool all_zero(const unsigned char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[i])
			return false;
	return true;
}

/* Wrap the XFS completion to see the extent state before it runs. */
static struct xb_inode *peek_xi;
static char peek_state;
static int peek_end_io(struct vfs_inode *inode, loff_t pos, ssize_t size, int error,
		       unsigned int flags)
{
	peek_state = block_state(peek_xi, (uint64_t) pos >> inode->i_blkbits);
	return xfs_dio_write_ops.end_io(inode, pos, size, error, flags);
}

/*
 * 1. An aligned write into a hole: unwritten blocks allocated (IOMAP_F_NEW),
 * the data written, unwritten -> written at completion; i_size and the
 * on-disk size move to its end.
 */
static void test_hole_write(struct xb_mount *m, unsigned int bs)
{
	static const struct iomap_dio_ops peek_ops = {.end_io = peek_end_io};
	struct xb_inode *xi = create_file(m, "hole");
	struct vfs_inode *v = xb_vfs_inode(xi);
	unsigned char *w = malloc(4 * bs), *r = malloc(4 * bs);
	uint64_t alloc0 = xfs_dio_stats.allocated_blocks;
	uint64_t conv0 = xfs_dio_stats.unwritten_converted_bytes;
	struct iomap_dio_req req = {
		.inode = v,
		.bdi = eng.bdi,
		.pos = 0,
		.len = 2 * bs,
		.buf = w,
		.write = true,
		.align = xfs_dio_alignment(xi),
	};

	fill(w, 4 * bs, 1);
	CHECK_EQ(block_state(xi, 0), 'H');
	peek_xi = xi;
	peek_state = '?';
	inode_lock_shared(v);
	CHECK_EQ(iomap_dio_rw(&req, &xfs_direct_write_iomap_ops, &peek_ops), 2 * bs);
	inode_unlock(v);
	CHECK_EQ(peek_state, 'U'); /* allocated unwritten, data written, not converted yet */
	CHECK_EQ(block_state(xi, 0), 'W');
	CHECK_EQ(block_state(xi, 1), 'W');
	CHECK_EQ(xfs_dio_stats.allocated_blocks - alloc0, 2);
	CHECK_EQ(xfs_dio_stats.unwritten_converted_bytes - conv0, 2 * bs);
	CHECK_EQ(vfs_i_size_read(v), 2 * bs);
	CHECK_EQ(disk_size(xi), 2 * bs);
	/* Through the file level: one more block past EOF, extending again. */
	CHECK_EQ(xf_file_dio_write(&eng, xi, w + 2 * bs, bs, 2 * bs), bs);
	CHECK_EQ(vfs_i_size_read(v), 3 * bs);
	CHECK_EQ(disk_size(xi), 3 * bs);
	memset(r, 0xaa, 4 * bs);
	CHECK_EQ(xf_file_dio_read(&eng, xi, r, 4 * bs, 0), 3 * bs); /* short at EOF */
	CHECK(!memcmp(r, w, 3 * bs));
	xb_iput(xi);
	free(w);
	free(r);
}

/* 2. Holes, unwritten (fallocate) and the part past EOF read as zeroes. */
static void test_read_zeroes(struct xb_mount *m, unsigned int bs)
{
	struct xb_inode *xi = create_file(m, "zeroes");
	unsigned char *w = malloc(bs), *r = malloc(8 * bs);

	fill(w, bs, 2);
	CHECK_EQ(xf_file_fallocate(&eng, xi, 2 * bs, 2 * bs, false), 0); /* unwritten [2, 4) */
	CHECK_EQ(block_state(xi, 2), 'U');
	CHECK_EQ(xf_file_dio_write(&eng, xi, w, bs, 5 * bs), bs); /* hole [0, 2) and 4 */
	memset(r, 0xaa, 8 * bs);
	CHECK_EQ(xf_file_dio_read(&eng, xi, r, 8 * bs, 0), 6 * bs);
	CHECK(all_zero(r, 5 * bs));
	CHECK(!memcmp(r + 5 * bs, w, bs));
	CHECK_EQ(block_state(xi, 2), 'U');			/* a read converts nothing */
	CHECK_EQ(xf_file_dio_read(&eng, xi, r, bs, 6 * bs), 0); /* at EOF */
	xb_iput(xi);
	free(w);
	free(r);
}

/*
 * 3. Page cache coherence: a direct read sees dirty buffered data (written
 * back first); a direct write drops cached folios, so a buffered read
 * afterwards sees its bytes, also over dirty data written before it.
 */
static void test_coherence(struct xb_mount *m, unsigned int bs)
{
	struct xb_inode *xi = create_file(m, "coherent");
	struct vfs_inode *v = xb_vfs_inode(xi);
	size_t len = 16384;
	unsigned char *a = malloc(len), *b = malloc(len), *r = malloc(len);

	(void) bs;
	fill(a, len, 3);
	fill(b, len, 4);
	CHECK_EQ(xf_file_write(&eng, xi, a, len, 0, false), (ssize_t) len); /* dirty, delalloc */
	CHECK(v->i_mapping.nrpages > 0);
	memset(r, 0, len);
	CHECK_EQ(xf_file_dio_read(&eng, xi, r, len, 0), (ssize_t) len);
	CHECK(!memcmp(r, a, len));
	CHECK_EQ(block_state(xi, 0), 'W'); /* written back and converted first */
	/* Cache it clean, then overwrite directly: the buffered read sees b. */
	CHECK_EQ(xf_file_read(&eng, xi, r, len, 0, false), (ssize_t) len);
	CHECK_EQ(xf_file_dio_write(&eng, xi, b, len, 0), (ssize_t) len);
	CHECK_EQ(v->i_mapping.nrpages, 0);
	memset(r, 0, len);
	CHECK_EQ(xf_file_read(&eng, xi, r, len, 0, false), (ssize_t) len);
	CHECK(!memcmp(r, b, len));
	/* Dirty over the range, then a direct write: its bytes win. */
	CHECK_EQ(xf_file_write(&eng, xi, a, len, 0, false), (ssize_t) len);
	CHECK_EQ(xf_file_dio_write(&eng, xi, b, 4096, 4096), 4096);
	memset(r, 0, len);
	CHECK_EQ(xf_file_read(&eng, xi, r, len, 0, false), (ssize_t) len);
	CHECK(!memcmp(r, a, 4096));
	CHECK(!memcmp(r + 4096, b, 4096));
	CHECK(!memcmp(r + 8192, a + 8192, len - 8192));
	xb_iput(xi);
	free(a);
	free(b);
	free(r);
}

/*
 * 4. Sub-block writes (sector-aligned, not block-aligned): a new block is
 * zeroed around the data on disk.  The blocks come from a freed file full
 * of non-zero bytes, so a missing zeroing would show them.
 */
static void test_subblock(struct xb_mount *m, unsigned int bs)
{
	struct xb_inode *junk = create_file(m, "junk"), *xi;
	size_t jl = 4 << 20;
	unsigned char *j = malloc(jl), *w = malloc(512), *r = malloc(2 * bs);
	uint64_t zeroed0 = iomap_dio_stats.zeroed_bytes;

	fill(j, jl, 5);
	CHECK_EQ(xf_file_dio_write(&eng, junk, j, jl, 0), (ssize_t) jl);
	CHECK_EQ(xf_file_setsize(&eng, junk, 0), 0);
	xb_iput(junk);
	xi = create_file(m, "subblock");
	fill(w, 512, 6);
	/* 512 bytes at 512 of block 1 (past EOF: i_size becomes bs + 1024). */
	CHECK_EQ(xf_file_dio_write(&eng, xi, w, 512, bs + 512), 512);
	CHECK_EQ(vfs_i_size_read(xb_vfs_inode(xi)), bs + 1024);
	CHECK_EQ(disk_size(xi), bs + 1024);
	CHECK_EQ(block_state(xi, 1), 'W');
	CHECK_EQ(iomap_dio_stats.zeroed_bytes - zeroed0, bs - 512);
	/* Extend so the whole block is inside EOF, then read it from disk. */
	CHECK_EQ(xf_file_setsize(&eng, xi, 2 * bs), 0);
	memset(r, 0xaa, 2 * bs);
	CHECK_EQ(xf_file_dio_read(&eng, xi, r, 2 * bs, 0), 2 * bs);
	CHECK(all_zero(r, bs + 512));
	CHECK(!memcmp(r + bs + 512, w, 512));
	CHECK(all_zero(r + bs + 1024, bs - 1024));
	/* Into an unwritten block: zeroed around too, then written. */
	CHECK_EQ(xf_file_fallocate(&eng, xi, 4 * bs, bs, false), 0);
	CHECK_EQ(xf_file_dio_write(&eng, xi, w, 512, 4 * bs), 512);
	CHECK_EQ(block_state(xi, 4), 'W');
	memset(r, 0xaa, bs);
	CHECK_EQ(xf_file_dio_read(&eng, xi, r, bs, 4 * bs), bs);
	CHECK(!memcmp(r, w, 512));
	CHECK(all_zero(r + 512, bs - 512));
	xb_iput(xi);
	free(j);
	free(w);
	free(r);
}

/* 5. Off the sector size: EINVAL, nothing written; reads of holes are not checked (XFS). */
static void test_einval(struct xb_mount *m, unsigned int bs)
{
	struct xb_inode *xi = create_file(m, "einval");
	unsigned char *w = malloc(2 * bs), *r = malloc(2 * bs);

	fill(w, 2 * bs, 7);
	CHECK_EQ(xf_file_dio_write(&eng, xi, w, 512, 100), -EINVAL);
	CHECK_EQ(xf_file_dio_write(&eng, xi, w, 100, 0), -EINVAL);
	CHECK_EQ(vfs_i_size_read(xb_vfs_inode(xi)), 0);
	CHECK_EQ(block_state(xi, 0), 'H');
	CHECK_EQ(xf_file_dio_write(&eng, xi, w, bs, 0), bs);
	CHECK_EQ(xf_file_dio_read(&eng, xi, r, 100, 0), -EINVAL);
	CHECK_EQ(xf_file_dio_read(&eng, xi, r, 512, 7), -EINVAL);
	CHECK_EQ(xf_file_dio_read(&eng, xi, r, bs, 0), bs);
	CHECK_EQ(xf_file_setsize(&eng, xi, 4 * bs), 0); /* a hole after block 0 */
	CHECK_EQ(xf_file_dio_read(&eng, xi, r, 100, 2 * bs + 3), 100);
	xb_iput(xi);
	free(w);
	free(r);
}

static void mount_engine(struct xb_mount *m)
{
	struct xf_engine_opts *eo = &eng.opts;

	memset(&eng, 0, sizeof(eng));
	xf_engine_default_opts(eo);
	eo->bdi.writeback_interval_ms = HOUR_MS; /* only the direct path writes back */
	eo->bdi.dirty_expire_ms = HOUR_MS;
	eo->reclaim.interval_ms = HOUR_MS;
	CHECK_EQ(xf_engine_start(&eng, m), 0);
}

static void run(unsigned int bs)
{
	char opts[64];
	char *img;
	struct xb_mount *m;

	snprintf(opts, sizeof(opts), "-b size=%u -s size=512", bs);
	img = th_mkfs(opts, 512);
	m = th_mount(img, false);
	mount_engine(m);
	test_hole_write(m, bs);
	test_read_zeroes(m, bs);
	test_coherence(m, bs);
	test_subblock(m, bs);
	test_einval(m, bs);
	CHECK_EQ(xf_engine_stop(&eng), 0);
	th_umount(m);
	xf_engine_destroy(&eng);
	CHECK(th_repair_clean(img));
	free(img);
}

int main(void)
{
	run(4096);
	run(1024);
	th_cleanup();
	return th_done("test_dio");
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of src/iomap against a FAKE filesystem (no libxfs): a memfd is
 * the disk, each file has a per-block extent map (HOLE / DELALLOC /
 * UNWRITTEN / MAPPED) under a fake ILOCK with a sequence counter bumped on
 * every change, and fake iomap ops / iomap_valid / punch / writeback built
 * on it.  The page cache is the real one (src/pagecache).
 *
 * Block b of a file lives at DISK_BASE + b * blocksize on the disk, whose
 * initial bytes are a non-zero pattern (disk_byte), so "zeroed" and "read
 * from disk" are told apart.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "iomap.h"

#define MAXBLK	  512
#define DISK_BASE (1ULL << 20)
#define DISK_SIZE (DISK_BASE + MAXBLK * 16384ULL)

struct fake_file {
	struct vfs_inode inode;
	pthread_mutex_t ilock; /* the fake ILOCK: type[], new[], seq */
	int type[MAXBLK];
	bool mapped_new[MAXBLK]; /* report MAPPED blocks as F_NEW */
	bool bad[MAXBLK];	 /* a medium error: mapped past the end of the disk */
	_Atomic uint64_t seq;
	/* a log of the engine's calls */
	int nr_begin, nr_end;
	loff_t begin_pos[64];
	ssize_t end_written[64];
	unsigned int end_flags[64];
	uint64_t punched_blocks;
};

static struct page_cache pc;
static int disk_fd = -1;

static unsigned char disk_byte(uint64_t addr)
{
	return (unsigned char) (0x80 | ((addr * 31 + addr / 977) & 0x7f));
}

static void disk_fill(void)
{
	static unsigned char chunk[65536];
	uint64_t a, i;

	for (a = 0; a < DISK_SIZE; a += sizeof(chunk)) {
		for (i = 0; i < sizeof(chunk); i++)
			chunk[i] = disk_byte(a + i);
		if (pwrite(disk_fd, chunk, sizeof(chunk), (off_t) a) != (ssize_t) sizeof(chunk))
			abort();
	}
}

static struct fake_file *FF(struct vfs_inode *inode)
{
	return (struct fake_file *) inode;
}

static unsigned int bsz(struct fake_file *ff)
{
	return 1U << ff->inode.i_blkbits;
}

/* ---- the fake filesystem's iomap ops ---- */

static bool fake_iomap_valid(struct vfs_inode *inode, const struct iomap *iomap)
{
	return iomap->validity_cookie == atomic_load(&FF(inode)->seq);
}

static const struct iomap_folio_ops fake_folio_ops = {
	.iomap_valid = fake_iomap_valid,
};

static void fake_log_begin(struct fake_file *ff, loff_t pos)
{
	if (ff->nr_begin < 64)
		ff->begin_pos[ff->nr_begin] = pos;
	ff->nr_begin++;
}

static int fake_iomap_begin(struct vfs_inode *inode, loff_t pos, loff_t length, unsigned int flags,
			    struct iomap *iomap, struct iomap *srcmap)
{
	struct fake_file *ff = FF(inode);
	unsigned int bits = inode->i_blkbits;
	uint64_t b = (uint64_t) pos >> bits,
		 end = ((uint64_t) (pos + length) + bsz(ff) - 1) >> bits;
	uint64_t n;
	bool new = false;
	int type;

	(void) srcmap;
	if (b >= MAXBLK)
		return -EFBIG;
	if (end > MAXBLK)
		end = MAXBLK;
	pthread_mutex_lock(&ff->ilock);
	fake_log_begin(ff, pos);
	type = ff->type[b];
	if ((flags & IOMAP_WRITE) && type == IOMAP_HOLE) {
		/* reserve delalloc for the hole part of the write */
		for (n = 0; b + n < end && ff->type[b + n] == IOMAP_HOLE; n++)
			ff->type[b + n] = IOMAP_DELALLOC;
		atomic_fetch_add(&ff->seq, 1);
		type = IOMAP_DELALLOC;
		new = true;
	} else {
		for (n = 1;
		     b + n < end && ff->type[b + n] == type &&
		     ff->mapped_new[b + n] == ff->mapped_new[b] && ff->bad[b + n] == ff->bad[b];
		     n++)
			;
	}
	memset(iomap, 0, sizeof(*iomap));
	iomap->offset = (loff_t) (b << bits);
	iomap->length = n << bits;
	iomap->type = (uint16_t) type;
	if (new || (type == IOMAP_MAPPED && ff->mapped_new[b]))
		iomap->flags |= IOMAP_F_NEW;
	if (type == IOMAP_MAPPED || type == IOMAP_UNWRITTEN)
		iomap->addr = (ff->bad[b] ? DISK_SIZE : DISK_BASE) + (b << bits);
	else
		iomap->addr = IOMAP_NULL_ADDR;
	iomap->validity_cookie = atomic_load(&ff->seq);
	iomap->folio_ops = &fake_folio_ops;
	pthread_mutex_unlock(&ff->ilock);
	return 0;
}

static int fake_punch(struct vfs_inode *inode, loff_t off, loff_t len)
{
	struct fake_file *ff = FF(inode);
	uint64_t b;

	CHECK(off % bsz(ff) == 0 && len % bsz(ff) == 0);
	pthread_mutex_lock(&ff->ilock);
	for (b = (uint64_t) off / bsz(ff); b < (uint64_t) (off + len) / bsz(ff) && b < MAXBLK;
	     b++) {
		if (ff->type[b] == IOMAP_DELALLOC) {
			ff->type[b] = IOMAP_HOLE;
			ff->punched_blocks++;
		}
	}
	atomic_fetch_add(&ff->seq, 1);
	pthread_mutex_unlock(&ff->ilock);
	return 0;
}

static int fake_iomap_end(struct vfs_inode *inode, loff_t pos, loff_t length, ssize_t written,
			  unsigned int flags, struct iomap *iomap)
{
	struct fake_file *ff = FF(inode);

	if (ff->nr_end < 64) {
		ff->end_written[ff->nr_end] = written;
		ff->end_flags[ff->nr_end] = flags;
	}
	ff->nr_end++;
	if (flags & IOMAP_FAULT) /* page faults never punch */
		return 0;
	if (flags & IOMAP_WRITE)
		return iomap_file_buffered_write_punch_delalloc(inode, iomap, pos, length, written,
								fake_punch);
	return 0;
}

static const struct iomap_ops fake_ops = {
	.iomap_begin = fake_iomap_begin,
	.iomap_end = fake_iomap_end,
};

/* ---- fake writeback: dirty blocks to disk, delalloc -> unwritten -> written ---- */

static void fake_writeback_folio(struct fake_file *ff, struct folio *f)
{
	unsigned int nb = folio_nr_blocks(&ff->inode.i_mapping), i, bs = bsz(ff);
	uint64_t b;

	folio_clear_dirty_for_io(f);
	for (i = 0; i < nb; i++) {
		if (!ifs_block_is_dirty(f, i))
			continue;
		ifs_clear_range_dirty(f, (size_t) i * bs, bs);
		b = f->index * nb + i;
		pthread_mutex_lock(&ff->ilock);
		if (ff->type[b] == IOMAP_DELALLOC) {
			ff->type[b] = IOMAP_UNWRITTEN;
			atomic_fetch_add(&ff->seq, 1);
		}
		pthread_mutex_unlock(&ff->ilock);
		if (pwrite(disk_fd, f->data + (size_t) i * bs, bs, (off_t) (DISK_BASE + b * bs)) !=
		    (ssize_t) bs)
			abort();
		pthread_mutex_lock(&ff->ilock);
		if (ff->type[b] == IOMAP_UNWRITTEN) {
			ff->type[b] = IOMAP_MAPPED;
			atomic_fetch_add(&ff->seq, 1);
		}
		pthread_mutex_unlock(&ff->ilock);
	}
}

static void fake_writeback(struct fake_file *ff, bool evict)
{
	struct address_space *m = &ff->inode.i_mapping;
	struct folio *batch[32];
	uint64_t start = 0;
	unsigned int n, i;

	while ((n = filemap_get_folios_tag(m, start, 1ULL << 40, PC_TAG_DIRTY, batch, 32))) {
		for (i = 0; i < n; i++) {
			folio_lock(batch[i]);
			if (batch[i]->mapping && folio_test_dirty(batch[i]))
				fake_writeback_folio(ff, batch[i]);
			folio_unlock(batch[i]);
			start = batch[i]->index + 1;
			folio_put(batch[i]);
		}
	}
	if (!evict)
		return;
	start = 0;
	while ((n = filemap_get_folios(m, start, 1ULL << 40, batch, 32))) {
		for (i = 0; i < n; i++) {
			folio_try_evict(batch[i]);
			start = batch[i]->index + 1;
			folio_put(batch[i]);
		}
	}
}

/* ---- setup ---- */

static void fake_setup(struct fake_file *ff, unsigned int blkbits, size_t folio_size,
		       uint64_t isize)
{
	memset(ff, 0, sizeof(*ff));
	disk_fill();
	CHECK_EQ(page_cache_init(&pc, folio_size, 1ULL << 30), 0);
	ff->inode.i_ino = 131;
	ff->inode.i_blkbits = blkbits;
	ff->inode.bdev_fd = disk_fd;
	pthread_rwlock_init(&ff->inode.i_rwsem, NULL);
	pthread_rwlock_init(&ff->inode.invalidate_lock, NULL);
	vfs_i_size_write(&ff->inode, isize);
	mapping_init(&ff->inode.i_mapping, &pc, &ff->inode, blkbits);
	pthread_mutex_init(&ff->ilock, NULL);
	memset(&iomap_stats, 0, sizeof(iomap_stats));
	atomic_store(&iomap_tunables.validate, true);
	atomic_store(&iomap_tunables.legacy_punch, false);
	atomic_store(&iomap_tunables.short_copy_at, -1);
	iomap_set_inject_hook(NULL, NULL);
}

static void fake_teardown(struct fake_file *ff)
{
	truncate_inode_pages_range(&ff->inode.i_mapping, 0, UINT64_MAX);
	mapping_destroy(&ff->inode.i_mapping);
	page_cache_destroy(&pc);
	iomap_set_inject_hook(NULL, NULL);
}

static void set_blocks(struct fake_file *ff, uint64_t first, uint64_t nr, int type)
{
	pthread_mutex_lock(&ff->ilock);
	for (uint64_t b = first; b < first + nr; b++)
		ff->type[b] = type;
	atomic_fetch_add(&ff->seq, 1);
	pthread_mutex_unlock(&ff->ilock);
}

static int get_type(struct fake_file *ff, uint64_t b)
{
	int t;

	pthread_mutex_lock(&ff->ilock);
	t = ff->type[b];
	pthread_mutex_unlock(&ff->ilock);
	return t;
}

static void fill_buf(unsigned char *buf, size_t len, unsigned char seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char) (seed + i * 7 + 1) | 1; /* never 0 */
}

/* Do bytes [off, off+len) of the file read back as @exp?  First mismatch or -1. */
static long read_cmp(struct fake_file *ff, loff_t off, size_t len, const unsigned char *exp)
{
	unsigned char *got = malloc(len);
	ssize_t n = iomap_file_buffered_read(&ff->inode, got, len, off, &fake_ops);
	long bad = -1;

	if (n != (ssize_t) len) {
		fprintf(stderr, "read_cmp: read %zd of %zu at %lld\n", n, len, (long long) off);
		free(got);
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		if (got[i] != exp[i]) {
			bad = (long) i;
			fprintf(stderr, "read_cmp: at %lld got %#x want %#x\n",
				(long long) (off + (loff_t) i), got[i], exp[i]);
			break;
		}
	}
	free(got);
	return bad;
}

/* read_cmp without the message: first mismatch or -1. */
static long read_cmp_quiet(struct fake_file *ff, loff_t off, size_t len, const unsigned char *exp)
{
	unsigned char *got = malloc(len);
	ssize_t n = iomap_file_buffered_read(&ff->inode, got, len, off, &fake_ops);
	long bad = -1;

	for (size_t i = 0; n == (ssize_t) len && i < len; i++) {
		if (got[i] != exp[i]) {
			bad = (long) i;
			break;
		}
	}
	free(got);
	return n == (ssize_t) len ? bad : 0;
}

static bool range_is(const char *p, size_t len, int c)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char) p[i] != (unsigned char) c)
			return false;
	return true;
}

static bool range_is_disk(const char *p, size_t len, uint64_t addr)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char) p[i] != disk_byte(addr + i))
			return false;
	return true;
}

/* =================================================================== */
/* 1. iomap_iter: advance, end, remap on STALE                          */
/* =================================================================== */

struct iter_log {
	int nr_begin, nr_end;
	loff_t begin_pos[16];
	loff_t end_pos[16];
	loff_t end_len[16];
	ssize_t end_written[16];
	int end_ret;
};
static struct iter_log ilog;

static int chunk_begin(struct vfs_inode *inode, loff_t pos, loff_t length, unsigned int flags,
		       struct iomap *iomap, struct iomap *srcmap)
{
	(void) inode;
	(void) length;
	(void) flags;
	(void) srcmap;
	ilog.begin_pos[ilog.nr_begin++ & 15] = pos;
	/* 4096-aligned chunks */
	iomap->offset = pos & ~4095LL;
	iomap->length = 4096;
	iomap->type = IOMAP_MAPPED;
	iomap->addr = 0;
	return 0;
}

static int chunk_end(struct vfs_inode *inode, loff_t pos, loff_t length, ssize_t written,
		     unsigned int flags, struct iomap *iomap)
{
	(void) inode;
	(void) flags;
	(void) iomap;
	ilog.end_pos[ilog.nr_end & 15] = pos;
	ilog.end_len[ilog.nr_end & 15] = length;
	ilog.end_written[ilog.nr_end++ & 15] = written;
	return ilog.end_ret;
}

static const struct iomap_ops chunk_ops = {.iomap_begin = chunk_begin, .iomap_end = chunk_end};

static void test_iter(void)
{
	struct vfs_inode inode = {.i_blkbits = 12};
	struct iomap_iter iter;
	int ret, loops;

	/* plain advance over three mappings: [1000,4096) [4096,8192) [8192,11000) */
	memset(&ilog, 0, sizeof(ilog));
	memset(&iomap_stats, 0, sizeof(iomap_stats));
	iter = (struct iomap_iter){.inode = &inode, .pos = 1000, .len = 10000};
	loops = 0;
	while ((ret = iomap_iter(&iter, &chunk_ops)) > 0) {
		loops++;
		iter.processed =
			(int64_t) (iter.iomap.offset + (loff_t) iter.iomap.length) - iter.pos;
		if ((uint64_t) iter.processed > iter.len)
			iter.processed = (int64_t) iter.len;
	}
	CHECK_EQ(ret, 0);
	CHECK_EQ(loops, 3);
	CHECK_EQ(ilog.nr_begin, 3);
	CHECK_EQ(ilog.begin_pos[1], 4096);
	CHECK_EQ(ilog.begin_pos[2], 8192);
	CHECK_EQ(ilog.nr_end, 3);
	CHECK_EQ(ilog.end_pos[0], 1000);
	CHECK_EQ(ilog.end_len[0], 3096);
	CHECK_EQ(ilog.end_written[0], 3096);
	CHECK_EQ(ilog.end_len[2], 11000 - 8192);
	CHECK_EQ(iter.pos, 11000);
	CHECK_EQ(iter.len, 0);

	/* STALE with nothing written: end(0), remap from the same position */
	memset(&ilog, 0, sizeof(ilog));
	iter = (struct iomap_iter){.inode = &inode, .pos = 100, .len = 200};
	loops = 0;
	while ((ret = iomap_iter(&iter, &chunk_ops)) > 0) {
		if (loops++ == 0) {
			iter.iomap.flags |= IOMAP_F_STALE;
			iter.processed = 0;
		} else {
			iter.processed = (int64_t) iter.len;
		}
	}
	CHECK_EQ(ret, 0);
	CHECK_EQ(loops, 2);
	CHECK_EQ(ilog.begin_pos[0], 100);
	CHECK_EQ(ilog.begin_pos[1], 100);
	CHECK_EQ(ilog.end_written[0], 0);
	CHECK_EQ(ilog.end_written[1], 200);
	CHECK_EQ(iomap_stats.remaps, 1);

	/* STALE after a partial write: end(written), remap from pos + written */
	memset(&ilog, 0, sizeof(ilog));
	iter = (struct iomap_iter){.inode = &inode, .pos = 100, .len = 2000};
	loops = 0;
	while ((ret = iomap_iter(&iter, &chunk_ops)) > 0) {
		if (loops++ == 0) {
			iter.iomap.flags |= IOMAP_F_STALE;
			iter.processed = 300;
		} else {
			iter.processed = (int64_t) iter.len;
		}
	}
	CHECK_EQ(ret, 0);
	CHECK_EQ(ilog.begin_pos[1], 400);
	CHECK_EQ(ilog.end_written[0], 300);
	CHECK_EQ(ilog.end_len[0], 2000);
	CHECK_EQ(iter.pos, 2100);
	CHECK_EQ(iomap_stats.remaps, 2);

	/* nothing processed, not stale: done, with length left */
	memset(&ilog, 0, sizeof(ilog));
	iter = (struct iomap_iter){.inode = &inode, .pos = 0, .len = 9000};
	loops = 0;
	while ((ret = iomap_iter(&iter, &chunk_ops)) > 0) {
		loops++;
		iter.processed = 0;
	}
	CHECK_EQ(ret, 0);
	CHECK_EQ(loops, 1);
	CHECK_EQ(iter.len, 9000);
	CHECK_EQ(ilog.nr_end, 1);

	/* an error from the actor: end(0), the error comes back */
	memset(&ilog, 0, sizeof(ilog));
	iter = (struct iomap_iter){.inode = &inode, .pos = 0, .len = 9000};
	while ((ret = iomap_iter(&iter, &chunk_ops)) > 0)
		iter.processed = -EIO;
	CHECK_EQ(ret, -EIO);
	CHECK_EQ(ilog.nr_end, 1);
	CHECK_EQ(ilog.end_written[0], 0);

	/* an error from ->iomap_end with nothing processed is returned */
	memset(&ilog, 0, sizeof(ilog));
	ilog.end_ret = -ENOSPC;
	iter = (struct iomap_iter){.inode = &inode, .pos = 0, .len = 9000};
	loops = 0;
	while ((ret = iomap_iter(&iter, &chunk_ops)) > 0) {
		loops++;
		iter.processed = 0;
	}
	CHECK_EQ(ret, -ENOSPC);
	/* ... but ignored when something was processed */
	memset(&ilog, 0, sizeof(ilog));
	ilog.end_ret = -ENOSPC;
	iter = (struct iomap_iter){.inode = &inode, .pos = 0, .len = 5000};
	while ((ret = iomap_iter(&iter, &chunk_ops)) > 0)
		iter.processed = (int64_t) (iter.len < 4096 ? iter.len : 4096);
	CHECK_EQ(ret, 0);
	CHECK_EQ(ilog.nr_begin, 2);
	CHECK_EQ(ilog.nr_end, 2);
	CHECK_EQ(iter.pos, 5000);
}

/* =================================================================== */
/* 2. the zeroing rule of __iomap_write_begin                           */
/* =================================================================== */

/*
 * Write 10 bytes into the middle of block 1 of folio 1 (a fresh folio), and
 * look at the rest of block 1 in the cache: zeroes or the disk's bytes.
 */
static void zeroing_case(unsigned int blkbits, size_t fsize, int type, bool mapped_new,
			 uint64_t isize, bool expect_zero, const char *what)
{
	struct fake_file ff;
	unsigned int bs = 1U << blkbits, nb = (unsigned int) (fsize / bs);
	loff_t fpos = (loff_t) fsize, bpos = fpos + bs;
	loff_t pos = bpos + bs / 2;
	unsigned char data[10];
	struct folio *f;
	uint64_t b = (uint64_t) bpos / bs;
	ssize_t n;

	fake_setup(&ff, blkbits, fsize, isize);
	set_blocks(&ff, 0, MAXBLK, type);
	ff.mapped_new[b] = mapped_new;
	fill_buf(data, sizeof(data), 3);
	n = iomap_file_buffered_write(&ff.inode, data, sizeof(data), pos, &fake_ops);
	CHECK_EQ(n, sizeof(data));
	f = filemap_get_folio(&ff.inode.i_mapping, 1);
	CHECK(f != NULL);
	if (!f) {
		fake_teardown(&ff);
		return;
	}
	CHECK(memcmp(f->data + bs + bs / 2, data, sizeof(data)) == 0);
	CHECK(ifs_block_is_uptodate(f, 1));
	CHECK(ifs_block_is_dirty(f, 1));
	CHECK(folio_test_dirty(f));
	/* only the written block was made valid */
	CHECK(!ifs_block_is_uptodate(f, 0));
	if (nb > 2)
		CHECK(!ifs_block_is_uptodate(f, 2));
	if (expect_zero) {
		if (!range_is(f->data + bs, bs / 2, 0) ||
		    !range_is(f->data + bs + bs / 2 + sizeof(data), bs / 2 - sizeof(data), 0)) {
			fprintf(stderr, "zeroing case '%s' bs %u folio %zu: not zeroed\n", what, bs,
				fsize);
			CHECK(0);
		}
		CHECK_EQ(iomap_stats.folios_zeroed, 1);
		CHECK_EQ(iomap_stats.folios_read, 0);
	} else {
		if (!range_is_disk(f->data + bs, bs / 2, DISK_BASE + (uint64_t) bpos) ||
		    !range_is_disk(f->data + bs + bs / 2 + sizeof(data), bs / 2 - sizeof(data),
				   DISK_BASE + (uint64_t) pos + sizeof(data))) {
			fprintf(stderr, "zeroing case '%s' bs %u folio %zu: not read\n", what, bs,
				fsize);
			CHECK(0);
		}
		CHECK_EQ(iomap_stats.folios_zeroed, 0);
		CHECK_EQ(iomap_stats.folios_read, 1);
	}
	folio_put(f);
	fake_teardown(&ff);
}

static void test_zeroing_rule(void)
{
	static const struct {
		unsigned int blkbits;
		size_t fsize;
	} geo[] = {
		{10, 4096},
		{12, 16384},
	};

	for (unsigned int g = 0; g < 2; g++) {
		unsigned int bits = geo[g].blkbits;
		size_t fs = geo[g].fsize;
		uint64_t big = 1ULL << 20;
		uint64_t bpos = fs + (1U << bits);

		zeroing_case(bits, fs, IOMAP_MAPPED, false, big, false, "mapped: read");
		zeroing_case(bits, fs, IOMAP_UNWRITTEN, false, big, true, "unwritten");
		zeroing_case(bits, fs, IOMAP_DELALLOC, false, big, true, "delalloc");
		zeroing_case(bits, fs, IOMAP_HOLE, false, big, true, "hole (new delalloc)");
		zeroing_case(bits, fs, IOMAP_MAPPED, true, big, true, "mapped F_NEW");
		zeroing_case(bits, fs, IOMAP_MAPPED, false, bpos, true, "mapped at EOF");
		zeroing_case(bits, fs, IOMAP_MAPPED, false, 100, true, "mapped past EOF");
		zeroing_case(bits, fs, IOMAP_MAPPED, false, bpos + 1, false,
			     "mapped, EOF inside the block: read");
	}
}

/* Whole-block writes read or zero nothing; a fully uptodate folio neither. */
static void test_no_zeroing_needed(void)
{
	struct fake_file ff;
	unsigned char buf[2048];

	fake_setup(&ff, 10, 4096, 1 << 20);
	set_blocks(&ff, 0, MAXBLK, IOMAP_MAPPED);
	fill_buf(buf, sizeof(buf), 9);
	CHECK_EQ(iomap_file_buffered_write(&ff.inode, buf, 2048, 1024, &fake_ops), 2048);
	CHECK_EQ(iomap_stats.folios_read + iomap_stats.folios_zeroed, 0);
	/* a read fills blocks 0 and 3 from disk and keeps the dirty 1, 2 */
	{
		unsigned char exp[4096];

		for (int i = 0; i < 4096; i++)
			exp[i] = disk_byte(DISK_BASE + (uint64_t) i);
		memcpy(exp + 1024, buf, 2048);
		CHECK_EQ(read_cmp(&ff, 0, 4096, exp), -1);
	}
	/* now uptodate: a partial write reads nothing */
	CHECK_EQ(iomap_file_buffered_write(&ff.inode, buf, 5, 3000, &fake_ops), 5);
	CHECK_EQ(iomap_stats.folios_read + iomap_stats.folios_zeroed, 0);
	fake_teardown(&ff);
}

/* =================================================================== */
/* 2b. batched fills (iomap_readahead)                                  */
/* =================================================================== */

/* Is the folio at @index cached and wholly uptodate? */
static bool cached_uptodate(struct fake_file *ff, uint64_t index)
{
	struct folio *f = filemap_get_folio(&ff->inode.i_mapping, index);
	bool up = f && folio_test_uptodate(f);

	if (f)
		folio_put(f);
	return up;
}

/* Per block of the cached folio at @index: 'u'ptodate, 'd'irty too, '-' neither. */
static void folio_blocks(struct fake_file *ff, uint64_t index, char *out)
{
	struct folio *f = filemap_get_folio(&ff->inode.i_mapping, index);
	unsigned int i, nb = folio_nr_blocks(&ff->inode.i_mapping);

	for (i = 0; i < nb; i++)
		out[i] = !f			       ? 'x'
			 : ifs_block_is_dirty(f, i)    ? 'd'
			 : ifs_block_is_uptodate(f, i) ? 'u'
						       : '-';
	out[nb] = 0;
	if (f)
		folio_put(f);
}

/*
 * One READ over 1 KiB blocks in 4 KiB folios: a partly uptodate folio, an
 * uptodate one (which splits the batch), a hole, an unwritten and a
 * delalloc extent, EOF in the middle of the last folio.  Every byte as the
 * per-folio fill would give it, one preadv per run contiguous in the image.
 */
static void test_readahead_batch(void)
{
	struct fake_file ff;
	const uint64_t isize = 15 * 4096 + 1500;
	unsigned char *exp = malloc(isize), w1[1024], w2[4096];
	char blocks[8];

	fake_setup(&ff, 10, 4096, isize);
	set_blocks(&ff, 0, 64, IOMAP_MAPPED);
	set_blocks(&ff, 16, 4, IOMAP_HOLE);	 /* folio 4 */
	set_blocks(&ff, 20, 8, IOMAP_UNWRITTEN); /* folios 5-6 */
	set_blocks(&ff, 48, 4, IOMAP_DELALLOC);	 /* folio 12 */
	for (uint64_t i = 0; i < isize; i++)
		exp[i] = disk_byte(DISK_BASE + i);
	memset(exp + 16 * 1024, 0, 12 * 1024);
	memset(exp + 48 * 1024, 0, 4 * 1024);
	fill_buf(w1, sizeof(w1), 3); /* folio 1: block 5 written, dirty */
	CHECK_EQ(iomap_file_buffered_write(&ff.inode, w1, 1024, 5 * 1024, &fake_ops), 1024);
	memcpy(exp + 5 * 1024, w1, 1024);
	fill_buf(w2, sizeof(w2), 5); /* folio 2: wholly uptodate */
	CHECK_EQ(iomap_file_buffered_write(&ff.inode, w2, 4096, 2 * 4096, &fake_ops), 4096);
	memcpy(exp + 2 * 4096, w2, 4096);
	CHECK_EQ(iomap_stats.read_preadvs, 0);

	CHECK_EQ(read_cmp(&ff, 0, isize, exp), -1);
	/*
	 * Folios 0-1: blocks 0-4, then 6-7 (5 is uptodate): 2 preadvs.
	 * Folios 3-15: blocks 12-15, 28-47, 52-61 (62-63 are past EOF): 3.
	 */
	CHECK_EQ(iomap_stats.read_preadvs, 5);
	for (uint64_t i = 0; i < 16; i++)
		CHECK(cached_uptodate(&ff, i));
	folio_blocks(&ff, 1, blocks);
	CHECK(strcmp(blocks, "uduu") == 0);
	CHECK_EQ(read_cmp(&ff, 0, isize, exp), -1); /* all cached now */
	CHECK_EQ(iomap_stats.read_preadvs, 5);
	free(exp);
	fake_teardown(&ff);
}

/* A folio another thread holds locked is skipped, not waited for. */
static void test_readahead_busy_folio(void)
{
	struct fake_file ff;
	struct folio *busy;
	unsigned char exp[8 * 4096];

	fake_setup(&ff, 12, 4096, sizeof(exp));
	set_blocks(&ff, 0, 8, IOMAP_MAPPED);
	for (size_t i = 0; i < sizeof(exp); i++)
		exp[i] = disk_byte(DISK_BASE + i);
	busy = filemap_grab_folio(&ff.inode.i_mapping, 2);
	CHECK(busy != NULL);
	CHECK_EQ(iomap_readahead(&ff.inode, 0, sizeof(exp), &fake_ops), 0);
	CHECK_EQ(iomap_stats.read_preadvs, 2); /* folios 0-1 and 3-7 */
	for (uint64_t i = 0; i < 8; i++)
		CHECK_EQ(cached_uptodate(&ff, i), i != 2);
	folio_unlock(busy);
	folio_put(busy);
	CHECK_EQ(read_cmp(&ff, 0, sizeof(exp), exp), -1);
	CHECK_EQ(iomap_stats.read_preadvs, 3);
	fake_teardown(&ff);
}

/*
 * A medium error in the second extent of a batch: the first extent's
 * folios are uptodate, none of the failed extent's blocks is (but a dirty
 * block there keeps its data), the rest of the batch stays unread; reads
 * then return what is good and the error where it is.
 */
static void test_readahead_error(void)
{
	struct fake_file ff;
	unsigned char exp[10 * 4096], w[1024], got[10 * 4096];
	char blocks[8];

	fake_setup(&ff, 10, 4096, sizeof(exp));
	set_blocks(&ff, 0, 40, IOMAP_MAPPED);
	set_blocks(&ff, 24, 8, IOMAP_HOLE);    /* folios 6-7 */
	for (unsigned int b = 16; b < 24; b++) /* folios 4-5 */
		ff.bad[b] = true;
	for (size_t i = 0; i < sizeof(exp); i++)
		exp[i] = disk_byte(DISK_BASE + i);
	memset(exp + 24 * 1024, 0, 8 * 1024);
	fill_buf(w, sizeof(w), 7); /* block 21 (folio 5) written, dirty */
	CHECK_EQ(iomap_file_buffered_write(&ff.inode, w, 1024, 21 * 1024, &fake_ops), 1024);

	CHECK_EQ(iomap_readahead(&ff.inode, 0, sizeof(exp), &fake_ops), -EIO);
	CHECK_EQ(iomap_stats.read_preadvs, 2); /* blocks 0-15 ok, 16-20 failed */
	for (uint64_t i = 0; i < 4; i++)
		CHECK(cached_uptodate(&ff, i));
	folio_blocks(&ff, 4, blocks);
	CHECK(strcmp(blocks, "----") == 0);
	folio_blocks(&ff, 5, blocks);
	CHECK(strcmp(blocks, "-d--") == 0);
	for (uint64_t i = 6; i < 10; i++) {
		folio_blocks(&ff, i, blocks);
		CHECK(strcmp(blocks, "----") == 0);
	}

	/* a READ of everything: short, up to the bad folio */
	CHECK_EQ(iomap_file_buffered_read(&ff.inode, got, sizeof(got), 0, &fake_ops), 4 * 4096);
	CHECK(memcmp(got, exp, 4 * 4096) == 0);
	CHECK_EQ(iomap_file_buffered_read(&ff.inode, got, 4096, 4 * 4096, &fake_ops), -EIO);
	CHECK_EQ(iomap_file_buffered_read(&ff.inode, got, 1024, 21 * 1024, &fake_ops), 1024);
	CHECK(memcmp(got, w, 1024) == 0);
	CHECK_EQ(iomap_file_buffered_read(&ff.inode, got, 4 * 4096, 6 * 4096, &fake_ops), 4 * 4096);
	CHECK(memcmp(got, exp + 6 * 4096, 4 * 4096) == 0);
	folio_blocks(&ff, 4, blocks);
	CHECK(strcmp(blocks, "----") == 0);
	fake_teardown(&ff);
}

/* The bytes under the pinned iovecs, gathered. */
static size_t pins_gather(const struct iomap_read_pins *pins, unsigned char *out)
{
	size_t n = 0;

	for (unsigned int i = 0; i < pins->nr_iov; i++) {
		memcpy(out + n, pins->iov[i].iov_base, pins->iov[i].iov_len);
		n += pins->iov[i].iov_len;
	}
	return n;
}

/*
 * Zero-copy reads: the iovecs show what a copying read returns (a partly
 * uptodate folio, EOF inside a folio), every folio locked after phase 2;
 * a folio truncated between the phases sends the caller back to the copy;
 * a size shrunk between them clips the reply; too many folios: -EAGAIN.
 */
static void test_read_pin(void)
{
	struct fake_file ff;
	struct iomap_read_pins pins;
	const uint64_t isize = 5 * 4096 + 100;
	unsigned char exp[6 * 4096], got[6 * 4096], w[1024];

	fake_setup(&ff, 10, 4096, isize);
	set_blocks(&ff, 0, 64, IOMAP_MAPPED);
	for (size_t i = 0; i < sizeof(exp); i++)
		exp[i] = disk_byte(DISK_BASE + i);
	fill_buf(w, sizeof(w), 11);
	CHECK_EQ(iomap_file_buffered_write(&ff.inode, w, 1024, 6 * 1024, &fake_ops), 1024);
	memcpy(exp + 6 * 1024, w, 1024);

	CHECK_EQ(iomap_read_pin(&ff.inode, sizeof(got), 1000, &fake_ops, &pins),
		 (ssize_t) (isize - 1000));
	CHECK_EQ(pins.nr, 6);
	CHECK_EQ(pins.nr_locked, 0);
	CHECK_EQ(iomap_read_pin_lock(&ff.inode, &pins), (ssize_t) (isize - 1000));
	CHECK_EQ(pins.nr_locked, 6);
	for (unsigned int i = 0; i < pins.nr; i++)
		CHECK(!folio_trylock(pins.folio[i]));
	CHECK_EQ(pins_gather(&pins, got), isize - 1000);
	CHECK(memcmp(got, exp + 1000, isize - 1000) == 0);
	iomap_read_unpin(&pins);
	CHECK_EQ(pins.nr, 0);

	/* folio 2 truncated between the phases */
	CHECK_EQ(iomap_read_pin(&ff.inode, 4 * 4096, 0, &fake_ops, &pins), 4 * 4096);
	filemap_invalidate_lock(&ff.inode);
	truncate_inode_pages_range(&ff.inode.i_mapping, 2 * 4096, 3 * 4096 - 1);
	filemap_invalidate_unlock(&ff.inode);
	CHECK_EQ(iomap_read_pin_lock(&ff.inode, &pins), -EAGAIN);
	iomap_read_unpin(&pins);

	/* the size shrunk between the phases: the reply ends at the new EOF */
	CHECK_EQ(iomap_read_pin(&ff.inode, 4 * 4096, 0, &fake_ops, &pins), 4 * 4096);
	vfs_i_size_write(&ff.inode, 4096 + 10);
	CHECK_EQ(iomap_read_pin_lock(&ff.inode, &pins), 4096 + 10);
	CHECK_EQ(pins.nr_iov, 2);
	CHECK_EQ(pins_gather(&pins, got), 4096 + 10);
	CHECK(memcmp(got, exp, 4096 + 10) == 0);
	iomap_read_unpin(&pins);

	/* more folios than a pin set holds */
	fake_teardown(&ff);
	fake_setup(&ff, 12, 4096, (IOMAP_PIN_MAX + 2) * 4096ULL);
	CHECK_EQ(iomap_read_pin(&ff.inode, (IOMAP_PIN_MAX + 1) * 4096ULL, 0, &fake_ops, &pins),
		 -EAGAIN);
	CHECK_EQ(pins.nr, 0);
	fake_teardown(&ff);
}

static void test_readahead(void)
{
	test_readahead_batch();
	test_readahead_busy_folio();
	test_readahead_error();
	test_read_pin();
}

/* =================================================================== */
/* 3. write/read against a model                                        */
/* =================================================================== */

#define MODEL_MAX (MAXBLK * 1024)

/* xfs_file_write_checks: zero the gap between EOF and a write beyond it. */
static ssize_t model_write(struct fake_file *ff, const void *buf, size_t len, loff_t pos)
{
	uint64_t isize = vfs_i_size_read(&ff->inode);

	if ((uint64_t) pos > isize)
		CHECK_EQ(iomap_zero_range(&ff->inode, (loff_t) isize, pos - (loff_t) isize, NULL,
					  &fake_ops),
			 0);
	return iomap_file_buffered_write(&ff->inode, buf, len, pos, &fake_ops);
}

static void model_run(unsigned int blkbits, size_t fsize, unsigned int seed, bool prealloc)
{
	struct fake_file ff;
	static unsigned char model[MODEL_MAX], buf[20000];
	uint64_t msize = 0;
	unsigned int bs = 1U << blkbits;
	uint64_t max = (uint64_t) (MAXBLK / 2) * bs;
	int op, bad = 0;

	if (max > MODEL_MAX)
		max = MODEL_MAX;
	srandom(seed);
	fake_setup(&ff, blkbits, fsize, 0);
	memset(model, 0, sizeof(model));
	if (prealloc) {
		/* unwritten and (garbage-holding) mapped extents, also past EOF */
		set_blocks(&ff, 4, 20, IOMAP_UNWRITTEN);
		set_blocks(&ff, 30, 10, IOMAP_MAPPED);
		set_blocks(&ff, 60, 30, IOMAP_UNWRITTEN);
	}
	for (op = 0; op < 400 && !bad; op++) {
		int r = (int) (random() % 10);

		if (r < 6) {
			loff_t pos = random() % (long) (max - 1);
			size_t len = 1 + (size_t) (random() % (long) sizeof(buf));

			if ((uint64_t) pos + len > max)
				len = (size_t) (max - (uint64_t) pos);
			fill_buf(buf, len, (unsigned char) op);
			CHECK_EQ(model_write(&ff, buf, len, pos), len);
			memcpy(model + pos, buf, len);
			if ((uint64_t) pos + len > msize)
				msize = (uint64_t) pos + len;
		} else if (r < 8) {
			loff_t pos = random() % (long) (msize + 1);
			size_t len = (size_t) (random() % 30000);
			static unsigned char got[30000];
			size_t exp = msize > (uint64_t) pos ? (size_t) (msize - (uint64_t) pos) : 0;
			ssize_t n;

			if (exp > len)
				exp = len;
			n = iomap_file_buffered_read(&ff.inode, got, len, pos, &fake_ops);
			CHECK_EQ(n, exp);
			if (n > 0 && memcmp(got, model + pos, (size_t) n)) {
				fprintf(stderr, "model: seed %u op %d read mismatch at %lld\n",
					seed, op, (long long) pos);
				CHECK(0);
				bad = 1;
			}
		} else if (r < 9) {
			fake_writeback(&ff, random() % 2);
		} else {
			fake_writeback(&ff, true);
		}
		CHECK_EQ(vfs_i_size_read(&ff.inode), msize);
	}
	/* everything, after writeback and a dropped cache too */
	CHECK_EQ(read_cmp(&ff, 0, msize, model), -1);
	fake_writeback(&ff, true);
	CHECK_EQ(pc.nr_folios, 0);
	CHECK_EQ(read_cmp(&ff, 0, msize, model), -1);
	fake_teardown(&ff);
}

static void test_model(void)
{
	unsigned char buf[5000], exp[20000];
	struct fake_file ff;

	/* directed: unaligned, overlapping, sparse, beyond EOF */
	fake_setup(&ff, 10, 4096, 0);
	memset(exp, 0, sizeof(exp));
	fill_buf(buf, 5000, 1);
	CHECK_EQ(model_write(&ff, buf, 3000, 777), 3000);
	memcpy(exp + 777, buf, 3000);
	CHECK_EQ(vfs_i_size_read(&ff.inode), 3777);
	fill_buf(buf, 5000, 2);
	CHECK_EQ(model_write(&ff, buf, 1500, 3000), 1500); /* overlaps and extends */
	memcpy(exp + 3000, buf, 1500);
	fill_buf(buf, 5000, 3);
	CHECK_EQ(model_write(&ff, buf, 10, 15000), 10); /* sparse, past EOF */
	memcpy(exp + 15000, buf, 10);
	CHECK_EQ(vfs_i_size_read(&ff.inode), 15010);
	CHECK_EQ(read_cmp(&ff, 0, 15010, exp), -1);
	CHECK_EQ(get_type(&ff, 8), IOMAP_HOLE); /* the gap stays a hole */
	{
		unsigned char got[100];

		CHECK_EQ(iomap_file_buffered_read(&ff.inode, got, 100, 15000, &fake_ops), 10);
		CHECK_EQ(iomap_file_buffered_read(&ff.inode, got, 100, 15010, &fake_ops), 0);
		CHECK_EQ(iomap_file_buffered_read(&ff.inode, got, 100, 99999, &fake_ops), 0);
	}
	fake_writeback(&ff, true);
	CHECK_EQ(read_cmp(&ff, 0, 15010, exp), -1);
	fake_teardown(&ff);

	for (unsigned int seed = 1; seed <= 4; seed++) {
		model_run(10, 4096, seed, seed % 2);
		model_run(12, 16384, seed + 100, seed % 2);
		model_run(9, 4096, seed + 200, !(seed % 2));
	}
}

/* =================================================================== */
/* 4. a mapping going stale under a write (DESIGN.md race 1)            */
/* =================================================================== */

struct stale_hook_arg {
	struct fake_file *ff;
	loff_t at; /* fire before the folio at this offset */
	bool fired;
};

/*
 * W1's data in folio 2 was written back and the completion converted the
 * extent to written; reclaim evicted the folio.  Done here, between W2's
 * ->iomap_begin and its reaching folio 2.
 */
static void stale_hook(enum iomap_inject_point point, struct vfs_inode *inode, loff_t pos,
		       void *arg)
{
	struct stale_hook_arg *a = arg;
	unsigned int nb;

	(void) inode;
	if (point != INJECT_WRITE_BEFORE_FOLIO || pos != a->at || a->fired)
		return;
	a->fired = true;
	nb = folio_nr_blocks(&a->ff->inode.i_mapping);
	set_blocks(a->ff, (uint64_t) a->at / bsz(a->ff), nb, IOMAP_MAPPED);
}

static void stale_case(unsigned int blkbits, size_t fsize, bool validate)
{
	struct fake_file ff;
	struct stale_hook_arg arg = {.ff = &ff, .at = 2 * (loff_t) fsize};
	unsigned int bs = 1U << blkbits;
	size_t wlen = 2 * fsize + bs / 2;
	unsigned char *buf = malloc(wlen), *exp = malloc(fsize);
	bool tail_zero;
	int i;

	fake_setup(&ff, blkbits, fsize, 1 << 20);
	atomic_store(&iomap_tunables.validate, validate);
	set_blocks(&ff, 0, MAXBLK, IOMAP_UNWRITTEN);
	iomap_set_inject_hook(stale_hook, &arg);
	fill_buf(buf, wlen, 5);
	CHECK_EQ(iomap_file_buffered_write(&ff.inode, buf, wlen, 0, &fake_ops), wlen);
	iomap_set_inject_hook(NULL, NULL);
	CHECK(arg.fired);

	/* folio 2: the write's head, then W1's data (on disk) */
	memcpy(exp, buf + 2 * fsize, bs / 2);
	for (i = bs / 2; i < (int) fsize; i++)
		exp[i] = disk_byte(DISK_BASE + 2 * fsize + (uint64_t) i);
	if (validate) {
		CHECK_EQ(iomap_stats.stale_iomaps, 1);
		CHECK_EQ(iomap_stats.remaps, 1);
		/* the first mapping ended with the two folios written, the remap began at folio 2
		 */
		CHECK_EQ(ff.nr_begin, 2);
		CHECK_EQ(ff.end_written[0], 2 * fsize);
		CHECK_EQ(ff.begin_pos[1], 2 * fsize);
		CHECK_EQ(read_cmp(&ff, 2 * (loff_t) fsize, fsize, exp), -1);
		fake_writeback(&ff, true);
		CHECK_EQ(read_cmp(&ff, 2 * (loff_t) fsize, fsize, exp), -1);
	} else {
		unsigned char *got = malloc(fsize);

		CHECK_EQ(iomap_stats.stale_iomaps, 0);
		CHECK_EQ(ff.nr_begin, 1);
		fake_writeback(&ff, true); /* the zeroes reach the disk */
		CHECK_EQ(iomap_file_buffered_read(&ff.inode, got, fsize, 2 * (loff_t) fsize,
						  &fake_ops),
			 fsize);
		/* the bug: the rest of the written block reads as zeroes, not W1's data */
		tail_zero = range_is((char *) got + bs / 2, bs / 2, 0);
		CHECK(tail_zero);
		CHECK(memcmp(got + bs / 2, exp + bs / 2, bs / 2) != 0);
		/* blocks the write did not touch are intact */
		CHECK(memcmp(got + bs, exp + bs, fsize - bs) == 0);
		free(got);
	}
	free(buf);
	free(exp);
	fake_teardown(&ff);
}

/* A stale mapping seen on the very first folio: nothing written, remap at pos. */
static void test_stale_first_folio(void)
{
	struct fake_file ff;
	struct stale_hook_arg arg = {.ff = &ff, .at = 0};
	unsigned char buf[100], exp[1024];

	fake_setup(&ff, 10, 4096, 1 << 20);
	set_blocks(&ff, 0, MAXBLK, IOMAP_UNWRITTEN);
	iomap_set_inject_hook(stale_hook, &arg);
	fill_buf(buf, 100, 8);
	CHECK_EQ(iomap_file_buffered_write(&ff.inode, buf, 100, 0, &fake_ops), 100);
	iomap_set_inject_hook(NULL, NULL);
	CHECK_EQ(iomap_stats.stale_iomaps, 1);
	CHECK_EQ(ff.nr_begin, 2);
	CHECK_EQ(ff.begin_pos[1], 0);
	CHECK_EQ(ff.end_written[0], 0);
	memcpy(exp, buf, 100);
	for (int i = 100; i < 1024; i++)
		exp[i] = disk_byte(DISK_BASE + (uint64_t) i);
	CHECK_EQ(read_cmp(&ff, 0, 1024, exp), -1);
	fake_teardown(&ff);
}

static void test_stale(void)
{
	stale_case(10, 4096, true);
	stale_case(10, 4096, false);
	stale_case(12, 16384, true);
	stale_case(12, 16384, false);
	test_stale_first_folio();
}

/* =================================================================== */
/* 5. short-write delalloc punch (DESIGN.md race 3)                     */
/* =================================================================== */

struct mmap_hook_arg {
	struct fake_file *ff;
	loff_t store_pos;
	size_t store_len;
	bool fired;
};

/* After the write reserved its delalloc, an mmap store lands in the range. */
static void mmap_hook(enum iomap_inject_point point, struct vfs_inode *inode, loff_t pos, void *arg)
{
	struct mmap_hook_arg *a = arg;
	unsigned char store[16384];

	(void) pos;
	if (point != INJECT_WRITE_AFTER_BEGIN || a->fired)
		return;
	a->fired = true;
	memset(store, 'M', sizeof(store));
	CHECK_EQ(iomap_fault_write(inode, store, a->store_len, a->store_pos, &fake_ops),
		 a->store_len);
}

/*
 * A sparse 16 KiB file (1 KiB blocks, 4 KiB folios); a write of all of it
 * whose copy faults at 5000; an mmap store at @store_pos meanwhile.
 */
static void punch_case(bool legacy, loff_t store_pos, size_t store_len)
{
	struct fake_file ff;
	struct mmap_hook_arg arg = {.ff = &ff, .store_pos = store_pos, .store_len = store_len};
	static unsigned char buf[16384], exp[16384];
	uint64_t b, sb = (uint64_t) store_pos / 1024, se = sb + store_len / 1024;

	fake_setup(&ff, 10, 4096, 16384);
	atomic_store(&iomap_tunables.legacy_punch, legacy);
	atomic_store(&iomap_tunables.short_copy_at, 5000);
	iomap_set_inject_hook(mmap_hook, &arg);
	fill_buf(buf, sizeof(buf), 11);
	CHECK_EQ(iomap_file_buffered_write(&ff.inode, buf, sizeof(buf), 0, &fake_ops), 5000);
	iomap_set_inject_hook(NULL, NULL);
	atomic_store(&iomap_tunables.short_copy_at, -1);
	CHECK(arg.fired);
	CHECK_EQ(iomap_stats.short_writes, 1);
	CHECK_EQ(vfs_i_size_read(&ff.inode), 16384); /* the fault did not move it */
	/* the fault's ->iomap_end saw IOMAP_FAULT */
	CHECK(ff.end_flags[0] & IOMAP_FAULT);

	/* the written blocks keep their delalloc */
	for (b = 0; b < 5; b++)
		CHECK_EQ(get_type(&ff, b), IOMAP_DELALLOC);
	memset(exp, 0, sizeof(exp));
	memcpy(exp, buf, 5000);
	if (!legacy) {
		for (b = 5; b < 16; b++)
			CHECK_EQ(get_type(&ff, b), b >= sb && b < se ? IOMAP_DELALLOC : IOMAP_HOLE);
		CHECK_EQ(iomap_stats.delalloc_punched, (11 - (se - sb)) * 1024);
		memset(exp + store_pos, 'M', store_len);
	} else {
		/* pre-6.2: the store's folio was truncated, its delalloc punched */
		for (b = 5; b < 16; b++)
			CHECK_EQ(get_type(&ff, b), IOMAP_HOLE);
		CHECK_EQ(iomap_stats.delalloc_punched, 11 * 1024);
	}
	CHECK_EQ(read_cmp(&ff, 0, sizeof(exp), exp), -1);
	/* and it survives writeback and a dropped cache */
	fake_writeback(&ff, true);
	CHECK_EQ(read_cmp(&ff, 0, sizeof(exp), exp), -1);
	if (legacy) {
		unsigned char got[1024];

		/* assert the loss itself: the store reads back as zeroes */
		CHECK_EQ(iomap_file_buffered_read(&ff.inode, got, 1024, store_pos, &fake_ops),
			 1024);
		CHECK(range_is((char *) got, 1024, 0));
	}
	fake_teardown(&ff);
}

/* A write that copies nothing punches its whole reservation (rounded down). */
static void test_punch_nothing_written(void)
{
	struct fake_file ff;
	unsigned char buf[3000];

	fake_setup(&ff, 10, 4096, 0);
	atomic_store(&iomap_tunables.short_copy_at, 1500);
	fill_buf(buf, sizeof(buf), 1);
	CHECK_EQ(iomap_file_buffered_write(&ff.inode, buf, 3000, 1500, &fake_ops), -EFAULT);
	CHECK_EQ(get_type(&ff, 1), IOMAP_HOLE);
	CHECK_EQ(get_type(&ff, 2), IOMAP_HOLE);
	CHECK_EQ(get_type(&ff, 3), IOMAP_HOLE);
	CHECK_EQ(get_type(&ff, 4), IOMAP_HOLE);
	CHECK_EQ(iomap_stats.delalloc_punched, 4 * 1024);
	CHECK_EQ(vfs_i_size_read(&ff.inode), 0);
	/* a short copy into an existing write: written = the bytes copied */
	atomic_store(&iomap_tunables.short_copy_at, 2100);
	CHECK_EQ(iomap_file_buffered_write(&ff.inode, buf, 3000, 1500, &fake_ops), 600);
	CHECK_EQ(vfs_i_size_read(&ff.inode), 2100);
	CHECK_EQ(get_type(&ff, 1), IOMAP_DELALLOC);
	CHECK_EQ(get_type(&ff, 2), IOMAP_DELALLOC);
	CHECK_EQ(get_type(&ff, 3), IOMAP_HOLE);
	{
		unsigned char exp[2100];

		memset(exp, 0, sizeof(exp));
		memcpy(exp + 1500, buf, 600);
		CHECK_EQ(read_cmp(&ff, 0, 2100, exp), -1);
	}
	atomic_store(&iomap_tunables.short_copy_at, -1);
	fake_teardown(&ff);
}

/*
 * A short copy into a folio that __iomap_write_begin made wholly uptodate
 * (one 4 KiB block per folio, the write covers it in part): write_end takes
 * it, so the bytes the copy did not reach must read as zeroes -- the folio
 * reuses the pool slot of a folio full of other bytes (LIFO), which the race
 * harness's mmap workload once read back (doc/engine.md, "Folio memory").
 */
static void test_short_copy_recycled_folio(void)
{
	struct fake_file ff;
	static unsigned char buf[4096], exp[4096];

	fake_setup(&ff, 12, 4096, 16384);
	fill_buf(buf, sizeof(buf), 3);
	/* a folio full of data, then gone: its slot is the next one handed out */
	CHECK_EQ(iomap_file_buffered_write(&ff.inode, buf, 4096, 8192, &fake_ops), 4096);
	truncate_inode_pages_range(&ff.inode.i_mapping, 8192, 12287);
	atomic_store(&iomap_tunables.short_copy_at, 2000);
	CHECK_EQ(iomap_file_buffered_write(&ff.inode, buf, 3900, 100, &fake_ops), 1900);
	atomic_store(&iomap_tunables.short_copy_at, -1);
	memset(exp, 0, sizeof(exp));
	memcpy(exp + 100, buf, 1900);
	CHECK_EQ(read_cmp(&ff, 0, sizeof(exp), exp), -1);
	fake_writeback(&ff, true);
	CHECK_EQ(read_cmp(&ff, 0, sizeof(exp), exp), -1);
	fake_teardown(&ff);
}

static void test_punch(void)
{
	punch_case(false, 12288, 4096); /* a whole folio stored */
	punch_case(true, 12288, 4096);
	punch_case(false, 13312, 1024); /* one block: the rest of its folio is punched */
	punch_case(true, 13312, 1024);
	test_punch_nothing_written();
	test_short_copy_recycled_folio();
}

/* =================================================================== */
/* 6. fault writes                                                      */
/* =================================================================== */

static void test_fault_write(void)
{
	struct fake_file ff;
	unsigned char buf[4096], exp[6000];

	fake_setup(&ff, 10, 4096, 6000);
	set_blocks(&ff, 0, MAXBLK, IOMAP_MAPPED);
	fill_buf(buf, sizeof(buf), 4);
	/* a page-sized store straddling EOF is clipped */
	CHECK_EQ(iomap_fault_write(&ff.inode, buf, 4096, 4096, &fake_ops), 6000 - 4096);
	CHECK_EQ(vfs_i_size_read(&ff.inode), 6000);
	CHECK_EQ(iomap_fault_write(&ff.inode, buf, 4096, 8192, &fake_ops), 0);
	CHECK(filemap_get_folio(&ff.inode.i_mapping, 2) == NULL);
	CHECK(ff.nr_end >= 1 &&
	      (ff.end_flags[0] & (IOMAP_WRITE | IOMAP_FAULT)) == (IOMAP_WRITE | IOMAP_FAULT));
	for (int i = 0; i < 4096; i++)
		exp[i] = disk_byte(DISK_BASE + (uint64_t) i);
	memcpy(exp + 4096, buf, 6000 - 4096);
	CHECK_EQ(read_cmp(&ff, 0, 6000, exp), -1);
	fake_teardown(&ff);
}

/* =================================================================== */
/* 7. zero_range / truncate_page                                        */
/* =================================================================== */

static void test_zero(void)
{
	struct fake_file ff;
	unsigned char exp[16384], buf[3000];
	bool did_zero;
	int i;

	/* truncate_page over written blocks: zero to the block's end via the cache */
	fake_setup(&ff, 10, 4096, 10000);
	set_blocks(&ff, 0, 16, IOMAP_MAPPED);
	did_zero = false;
	CHECK_EQ(iomap_truncate_page(&ff.inode, 5000, &did_zero, &fake_ops), 0);
	CHECK(did_zero);
	{
		struct folio *f = filemap_get_folio(&ff.inode.i_mapping, 1);

		CHECK(f && folio_test_dirty(f));
		CHECK(f && ifs_block_is_dirty(f, 0) && !ifs_block_is_dirty(f, 1));
		if (f)
			folio_put(f);
	}
	for (i = 0; i < 10000; i++)
		exp[i] = i >= 5000 && i < 5120 ? 0 : disk_byte(DISK_BASE + (uint64_t) i);
	CHECK_EQ(read_cmp(&ff, 0, 10000, exp), -1);
	fake_writeback(&ff, true);
	CHECK_EQ(read_cmp(&ff, 0, 10000, exp), -1);
	/* block boundary: nothing to do */
	did_zero = false;
	CHECK_EQ(iomap_truncate_page(&ff.inode, 6144, &did_zero, &fake_ops), 0);
	CHECK(!did_zero);
	fake_teardown(&ff);

	/* holes and unwritten extents are skipped: no folio, no did_zero */
	fake_setup(&ff, 10, 4096, 16384);
	set_blocks(&ff, 4, 4, IOMAP_UNWRITTEN);
	did_zero = false;
	CHECK_EQ(iomap_zero_range(&ff.inode, 100, 16000, &did_zero, &fake_ops), 0);
	CHECK(!did_zero);
	CHECK_EQ(pc.nr_folios, 0);
	CHECK_EQ(get_type(&ff, 0), IOMAP_HOLE); /* zeroing never allocates */
	fake_teardown(&ff);

	/* delalloc with dirty data: zeroed through the cache, dirty */
	fake_setup(&ff, 10, 4096, 0);
	fill_buf(buf, sizeof(buf), 6);
	CHECK_EQ(iomap_file_buffered_write(&ff.inode, buf, 3000, 0, &fake_ops), 3000);
	did_zero = false;
	CHECK_EQ(iomap_zero_range(&ff.inode, 1000, 1500, &did_zero, &fake_ops), 0);
	CHECK(did_zero);
	memcpy(exp, buf, 3000);
	memset(exp + 1000, 0, 1500);
	CHECK_EQ(read_cmp(&ff, 0, 3000, exp), -1);
	fake_writeback(&ff, true);
	CHECK_EQ(read_cmp(&ff, 0, 3000, exp), -1);
	fake_teardown(&ff);

	/* 4 KiB blocks in 16 KiB folios, mapped blocks, zero across folios */
	fake_setup(&ff, 12, 16384, 40000);
	set_blocks(&ff, 0, 16, IOMAP_MAPPED);
	CHECK_EQ(iomap_zero_range(&ff.inode, 10000, 10000, &did_zero, &fake_ops), 0);
	{
		static unsigned char e2[40000];

		for (i = 0; i < 40000; i++)
			e2[i] = i >= 10000 && i < 20000 ? 0 : disk_byte(DISK_BASE + (uint64_t) i);
		CHECK_EQ(read_cmp(&ff, 0, 40000, e2), -1);
		fake_writeback(&ff, true);
		CHECK_EQ(read_cmp(&ff, 0, 40000, e2), -1);
	}
	fake_teardown(&ff);
}

/* =================================================================== */
/* 8. SEEK_DATA / SEEK_HOLE                                             */
/* =================================================================== */

static void test_seek(void)
{
	struct fake_file ff;
	unsigned char buf[10], got[4096];
	struct vfs_inode *in = &ff.inode;

	/* 0-3 mapped, 4-7 hole, 8-11 unwritten, 12-15 delalloc, 16-19 unwritten */
	fake_setup(&ff, 10, 4096, 20 * 1024);
	set_blocks(&ff, 0, 4, IOMAP_MAPPED);
	set_blocks(&ff, 8, 4, IOMAP_UNWRITTEN);
	set_blocks(&ff, 12, 4, IOMAP_DELALLOC);
	set_blocks(&ff, 16, 4, IOMAP_UNWRITTEN);

	CHECK_EQ(iomap_seek_data(in, 0, &fake_ops), 0);
	CHECK_EQ(iomap_seek_data(in, 100, &fake_ops), 100);
	CHECK_EQ(iomap_seek_hole(in, 0, &fake_ops), 4096);
	CHECK_EQ(iomap_seek_data(in, 4096, &fake_ops), 12 * 1024); /* unwritten, no cache: hole */
	CHECK_EQ(iomap_seek_hole(in, 12 * 1024, &fake_ops), 16 * 1024);
	CHECK_EQ(iomap_seek_data(in, 16 * 1024, &fake_ops), -ENXIO);
	CHECK_EQ(iomap_seek_hole(in, 16 * 1024, &fake_ops), 16 * 1024);
	CHECK_EQ(iomap_seek_hole(in, 9000, &fake_ops), 9000);
	CHECK_EQ(iomap_seek_data(in, 20 * 1024, &fake_ops), -ENXIO);
	CHECK_EQ(iomap_seek_hole(in, 20 * 1024, &fake_ops), -ENXIO);

	/* dirty cache over unwritten is data */
	fill_buf(buf, sizeof(buf), 2);
	CHECK_EQ(iomap_file_buffered_write(in, buf, 10, 9 * 1024 + 5, &fake_ops), 10);
	CHECK_EQ(iomap_seek_data(in, 4096, &fake_ops), 9 * 1024);
	CHECK_EQ(iomap_seek_hole(in, 9 * 1024, &fake_ops), 10 * 1024);
	CHECK_EQ(iomap_seek_data(in, 9 * 1024 + 100, &fake_ops), 9 * 1024 + 100);
	/* uptodate (read) cache over unwritten is data too */
	CHECK_EQ(iomap_file_buffered_read(in, got, 1024, 17 * 1024, &fake_ops), 1024);
	CHECK(range_is((char *) got, 1024, 0));
	CHECK_EQ(iomap_seek_data(in, 16 * 1024, &fake_ops), 16 * 1024);
	CHECK_EQ(iomap_seek_hole(in, 16 * 1024, &fake_ops), 20 * 1024);
	fake_teardown(&ff);
}

/* =================================================================== */
/* 9. concurrent writeback + eviction vs a writer, validation on        */
/* =================================================================== */

struct wb_thread_arg {
	struct fake_file *ff;
	_Atomic bool stop;
	unsigned long passes;
};

static void *wb_thread(void *p)
{
	struct wb_thread_arg *a = p;

	while (!atomic_load(&a->stop)) {
		fake_writeback(a->ff, true);
		a->passes++;
		usleep(5);
	}
	return NULL;
}

/* Widen the windows: writeback and eviction get to run between map and folio. */
static void delay_hook(enum iomap_inject_point point, struct vfs_inode *inode, loff_t pos,
		       void *arg)
{
	(void) inode;
	(void) arg;
	if (point == INJECT_WRITE_AFTER_BEGIN || (pos >> 10) % 3 == 0)
		usleep(30);
}

static void concurrent_run(unsigned int blkbits, size_t fsize, unsigned int seed, bool validate)
{
	struct fake_file ff;
	struct wb_thread_arg arg = {.ff = &ff};
	static unsigned char model[MODEL_MAX], buf[9000];
	uint64_t msize = 0, max = (uint64_t) 64 << blkbits;
	pthread_t th;
	long corrupted = -1;
	int op;

	srandom(seed);
	fake_setup(&ff, blkbits, fsize, 0);
	memset(model, 0, sizeof(model));
	set_blocks(&ff, 0, 64, IOMAP_UNWRITTEN);
	atomic_store(&iomap_tunables.validate, validate);
	iomap_set_inject_hook(delay_hook, NULL);
	pthread_create(&th, NULL, wb_thread, &arg);
	for (op = 0; op < 1500; op++) {
		loff_t pos = random() % (long) (max - 1);
		size_t len = 1 + (size_t) (random() % (long) (random() % 4 ? 600 : sizeof(buf)));

		if ((uint64_t) pos + len > max)
			len = (size_t) (max - (uint64_t) pos);
		fill_buf(buf, len, (unsigned char) op);
		inode_lock(&ff.inode);
		CHECK_EQ(model_write(&ff, buf, len, pos), len);
		inode_unlock(&ff.inode);
		memcpy(model + pos, buf, len);
		if ((uint64_t) pos + len > msize)
			msize = (uint64_t) pos + len;
	}
	atomic_store(&arg.stop, true);
	pthread_join(th, NULL);
	iomap_set_inject_hook(NULL, NULL);
	fake_writeback(&ff, true);
	if (validate) {
		CHECK_EQ(read_cmp(&ff, 0, msize, model), -1);
		CHECK(atomic_load(&iomap_stats.stale_iomaps) > 0);
	} else {
		corrupted = read_cmp_quiet(&ff, 0, msize, model);
	}
	printf("concurrent bs %u folio %zu validate %d: %lu writeback passes, %llu stale iomaps, "
	       "%llu remaps%s\n",
	       1U << blkbits, fsize, validate, arg.passes,
	       (unsigned long long) atomic_load(&iomap_stats.stale_iomaps),
	       (unsigned long long) atomic_load(&iomap_stats.remaps),
	       validate		? ""
	       : corrupted >= 0 ? ", data corrupted (expected without validation)"
				: ", no corruption this time");
	fake_teardown(&ff);
}

static void test_concurrent(void)
{
	concurrent_run(10, 4096, 7, true);
	concurrent_run(12, 16384, 8, true);
	concurrent_run(10, 4096, 7, false); /* informational: the 2022 bug */
}

int main(void)
{
	disk_fd = memfd_create("iomap-disk", 0);
	if (disk_fd < 0 || ftruncate(disk_fd, (off_t) DISK_SIZE))
		return 2;
	radix_tree_init();

	test_iter();
	test_zeroing_rule();
	test_no_zeroing_needed();
	test_readahead();
	test_model();
	test_stale();
	test_punch();
	test_fault_write();
	test_zero();
	test_seek();
	test_concurrent();
	close(disk_fd);
	return th_done("test_iomap");
}

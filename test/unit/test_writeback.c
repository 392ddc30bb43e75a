// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of src/writeback with a FAKE filesystem (no libxfs): the
 * "image" is a memfd, map_blocks hands out MAPPED/UNWRITTEN extents from a
 * fixed per-file layout with a sequence counter, end_io records what it was
 * asked to convert and the size it would log.
 *
 * Layout of file F: extents of FAKE_EXT bytes; extent k lives at
 * F->disk_base + k * FAKE_EXT (contiguous) or + k * 2 * FAKE_EXT (gappy: no
 * two extents are adjacent on disk, so ioends must split at extent ends).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "fault.h"
#include "writeback.h"
#include "vfs_inode.h"

#include "check.h"

#define FAKE_EXT  (16 * 1024)
#define FILE_SPAN (8ULL << 20) /* disk bytes reserved per file */
#define FILE_MAX  (1U << 20)   /* model size per file */

/* ---------------- the fake filesystem ---------------- */
struct fake_file {
	bool gappy;	      /* extents not adjacent on disk */
	bool unwritten;	      /* map as UNWRITTEN (else MAPPED) */
	int64_t fail_map_at;  /* map_blocks fails at this offset (-1: never) */
	int64_t hole_at;      /* map_blocks finds a one-block hole here (-1: none) */
	uint64_t disk_size;   /* what end_io "logged" */
	uint64_t converted;   /* unwritten bytes converted by end_io */
	int64_t last_map_off; /* to check index order within one writepages */
	bool order_ok;
	unsigned int discards;
	unsigned char *model; /* expected file bytes */
};

struct ioend_rec {
	uint64_t ino;
	int64_t offset;
	uint64_t size, disk_len, addr;
	unsigned int type, nr_vecs;
	pthread_t tid;
	bool wb_ok; /* every folio still under writeback at end_io */
	int error;
};

static struct {
	pthread_mutex_t lock;
	_Atomic uint64_t seq;
	struct ioend_rec recs[4096];
	unsigned int nr_recs;
	_Atomic unsigned int end_io_sleep_us;
	_Atomic uint64_t map_calls;
} fake = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int disk_fd;
static struct page_cache pc;

static struct fake_file *FF(struct vfs_inode *inode)
{
	return inode->i_private;
}

static uint64_t fake_disk_base(struct vfs_inode *inode)
{
	return inode->i_ino * FILE_SPAN;
}

static uint64_t fake_ext_addr(struct vfs_inode *inode, uint64_t k)
{
	return fake_disk_base(inode) + k * FAKE_EXT * (FF(inode)->gappy ? 2 : 1);
}

/* The extent has a one-block hole: map only the side of it @offset is on. */
static void fake_trim_around_hole(struct iomap_writepage_ctx *wpc, loff_t offset, int64_t hole,
				  uint64_t bs)
{
	uint64_t end = (uint64_t) wpc->iomap.offset + wpc->iomap.length;

	if (offset < hole) {
		wpc->iomap.length = (uint64_t) (hole - wpc->iomap.offset);
		return;
	}
	wpc->iomap.addr += (uint64_t) hole + bs - (uint64_t) wpc->iomap.offset;
	wpc->iomap.offset = hole + (loff_t) bs;
	wpc->iomap.length = end - (uint64_t) wpc->iomap.offset;
}

static int fake_map_blocks(struct iomap_writepage_ctx *wpc, struct vfs_inode *inode, loff_t offset,
			   unsigned int len)
{
	struct fake_file *ff = FF(inode);
	uint64_t k = (uint64_t) offset / FAKE_EXT;

	(void) len;
	atomic_fetch_add(&fake.map_calls, 1);
	pthread_mutex_lock(&fake.lock); /* flusher and fsync may both be here */
	if (offset < ff->last_map_off)
		ff->order_ok = false;
	ff->last_map_off = offset;
	pthread_mutex_unlock(&fake.lock);
	if (ff->fail_map_at >= 0 && offset <= ff->fail_map_at &&
	    ff->fail_map_at < offset + (loff_t) len)
		return -EIO;
	if (ff->hole_at >= 0 && offset == ff->hole_at) {
		wpc->iomap.offset = offset;
		wpc->iomap.length = 1ULL << inode->i_blkbits;
		wpc->iomap.addr = IOMAP_NULL_ADDR;
		wpc->iomap.type = IOMAP_HOLE;
		wpc->iomap.flags = 0;
		return 0;
	}

	/* xfs_imap_valid: the cached mapping covers offset and the seq matches. */
	if (wpc->iomap.type != IOMAP_HOLE && offset >= wpc->iomap.offset &&
	    (uint64_t) offset < wpc->iomap.offset + wpc->iomap.length) {
		if (wpc->stats)
			atomic_fetch_add(&wpc->stats->map_revalidated, 1);
		if (wpc->data_seq == atomic_load(&fake.seq))
			return 0;
		if (wpc->stats)
			atomic_fetch_add(&wpc->stats->map_invalidated, 1);
	}
	wpc->iomap.offset = (loff_t) (k * FAKE_EXT);
	wpc->iomap.length = FAKE_EXT;
	wpc->iomap.addr = fake_ext_addr(inode, k);
	wpc->iomap.type = ff->unwritten ? IOMAP_UNWRITTEN : IOMAP_MAPPED;
	wpc->iomap.flags = 0;
	wpc->data_seq = atomic_load(&fake.seq);
	if (ff->hole_at >= 0 && (uint64_t) ff->hole_at / FAKE_EXT == k)
		fake_trim_around_hole(wpc, offset, ff->hole_at, 1ULL << inode->i_blkbits);
	return 0;
}

static int fake_end_io(struct vfs_inode *inode, struct iomap_ioend *ioend)
{
	struct fake_file *ff = FF(inode);
	struct ioend_rec r = {
		.ino = inode->i_ino,
		.offset = ioend->io_offset,
		.size = ioend->io_size,
		.disk_len = ioend->io_disk_len,
		.addr = ioend->io_addr,
		.type = ioend->io_type,
		.nr_vecs = ioend->io_nr_vecs,
		.tid = pthread_self(),
		.wb_ok = true,
		.error = ioend->io_error,
	};
	unsigned int i, us = atomic_load(&fake.end_io_sleep_us);
	uint64_t end, isize = vfs_i_size_read(inode);

	if (us)
		usleep(us);
	for (i = 0; i < ioend->io_nr_vecs; i++)
		if (!folio_test_writeback(ioend->io_vec_folio[i]))
			r.wb_ok = false;
	pthread_mutex_lock(&fake.lock);
	if (!ioend->io_error) {
		if (ioend->io_type == IOMAP_UNWRITTEN)
			ff->converted += ioend->io_size;
		end = (uint64_t) ioend->io_offset + ioend->io_size;
		if (end > isize)
			end = isize;
		if (end > ff->disk_size)
			ff->disk_size = end;
	}
	if (fake.nr_recs < sizeof(fake.recs) / sizeof(fake.recs[0]))
		fake.recs[fake.nr_recs++] = r;
	pthread_mutex_unlock(&fake.lock);
	return 0;
}

static void fake_discard_folio(struct folio *folio, loff_t pos)
{
	struct vfs_inode *inode = folio->mapping->host;

	(void) pos;
	FF(inode)->discards++;
}

static const struct iomap_writeback_ops fake_ops = {
	.map_blocks = fake_map_blocks,
	.end_io = fake_end_io,
	.discard_folio = fake_discard_folio,
};

/* XFS's rule (xfs_ioend_needs_wq_completion): overwrites inside disk_size need no ->end_io. */
static int fake_prepare_ioend(struct iomap_ioend *ioend)
{
	struct fake_file *ff = FF(ioend->io_inode);

	pthread_mutex_lock(&fake.lock);
	if (ioend->io_type == IOMAP_MAPPED &&
	    (uint64_t) ioend->io_offset + ioend->io_size <= ff->disk_size)
		ioend->io_fs_end_io = false;
	pthread_mutex_unlock(&fake.lock);
	return 0;
}

static const struct iomap_writeback_ops fake_inline_ops = {
	.map_blocks = fake_map_blocks,
	.end_io = fake_end_io,
	.prepare_ioend = fake_prepare_ioend,
	.discard_folio = fake_discard_folio,
};

static void fake_reset_recs(void)
{
	pthread_mutex_lock(&fake.lock);
	fake.nr_recs = 0;
	pthread_mutex_unlock(&fake.lock);
}

static unsigned int fake_nr_recs(void)
{
	unsigned int n;

	pthread_mutex_lock(&fake.lock);
	n = fake.nr_recs;
	pthread_mutex_unlock(&fake.lock);
	return n;
}

/* ---------------- files ---------------- */
static struct vfs_inode *new_file(uint64_t ino, unsigned int blkbits)
{
	struct vfs_inode *inode = calloc(1, sizeof(*inode));
	struct fake_file *ff = calloc(1, sizeof(*ff));

	ff->fail_map_at = -1;
	ff->hole_at = -1;
	ff->last_map_off = -1;
	ff->order_ok = true;
	ff->model = calloc(1, FILE_MAX);
	inode->i_ino = ino;
	inode->i_blkbits = blkbits;
	inode->bdev_fd = disk_fd;
	pthread_rwlock_init(&inode->i_rwsem, NULL);
	pthread_rwlock_init(&inode->invalidate_lock, NULL);
	inode->i_private = ff;
	mapping_init(&inode->i_mapping, &pc, inode, blkbits);
	return inode;
}

static void free_file(struct vfs_inode *inode)
{
	struct fake_file *ff = FF(inode);

	truncate_inode_pages_range(&inode->i_mapping, 0, UINT64_MAX);
	CHECK_EQ(inode->i_mapping.nrpages, 0);
	mapping_destroy(&inode->i_mapping);
	pthread_rwlock_destroy(&inode->i_rwsem);
	pthread_rwlock_destroy(&inode->invalidate_lock);
	free(ff->model);
	free(ff);
	memset(inode, 0x6b, sizeof(*inode)); /* poison: a late user would crash */
	free(inode);
}

static unsigned char pattern(uint64_t ino, uint64_t off, unsigned int gen)
{
	return (unsigned char) ((ino * 131 + off * 7 + gen * 29 + (off >> 10)) | 1);
}

/*
 * A buffered write, reduced: copy into the folios, mark the touched blocks
 * uptodate and dirty, dirty the folio, move i_size, tell the bdi.  Partial
 * blocks are fine here: the test never reads back through the cache.
 */
static void dirty_range(struct bdi *bdi, struct vfs_inode *inode, uint64_t pos, uint64_t len,
			unsigned int gen)
{
	struct fake_file *ff = FF(inode);
	uint64_t end = pos + len;

	while (pos < end) {
		uint64_t fpos = pos & ~(uint64_t) (pc.folio_size - 1);
		size_t off = (size_t) (pos - fpos);
		size_t n = pc.folio_size - off;
		struct folio *folio;
		size_t i;

		if (n > end - pos)
			n = (size_t) (end - pos);
		folio = filemap_grab_folio(&inode->i_mapping, pos >> pc.folio_shift);
		for (i = 0; i < n; i++) {
			folio->data[off + i] = pattern(inode->i_ino, pos + i, gen);
			ff->model[pos + i] = folio->data[off + i];
		}
		ifs_set_range_uptodate(folio, off, n);
		ifs_set_range_dirty(folio, off, n);
		filemap_dirty_folio(folio);
		/* The size moves before the folio is unlocked (iomap_write_end):
		 * a flusher seeing the folio past EOF would drop it. */
		if (pos + n > vfs_i_size_read(inode))
			vfs_i_size_write(inode, pos + n);
		folio_unlock(folio);
		folio_put(folio);
		pos += n;
	}
	if (bdi)
		bdi_mark_inode_dirty(bdi, inode);
}

/* Put garbage in the cached folio without dirtying anything (an mmap store past EOF). */
static void scribble(struct vfs_inode *inode, uint64_t pos, size_t len)
{
	struct folio *folio = filemap_lock_folio(&inode->i_mapping, pos >> pc.folio_shift);

	memset(folio->data + (pos & (pc.folio_size - 1)), 0xEE, len);
	folio_unlock(folio);
	folio_put(folio);
}

/* The fake disk holds the model's bytes for file offsets [pos, pos+len)? */
static bool disk_matches(struct vfs_inode *inode, uint64_t pos, uint64_t len, bool zero)
{
	struct fake_file *ff = FF(inode);
	unsigned char buf[FAKE_EXT];
	uint64_t done = 0;

	while (done < len) {
		uint64_t off = pos + done;
		uint64_t k = off / FAKE_EXT;
		uint64_t in = off - k * FAKE_EXT;
		uint64_t n = FAKE_EXT - in;

		if (n > len - done)
			n = len - done;
		if (pread(disk_fd, buf, n, (off_t) (fake_ext_addr(inode, k) + in)) != (ssize_t) n)
			return false;
		for (uint64_t i = 0; i < n; i++) {
			unsigned char want = zero ? 0 : ff->model[off + i];

			if (buf[i] != want) {
				fprintf(stderr, "ino %llu off %llu: disk %02x want %02x\n",
					(unsigned long long) inode->i_ino,
					(unsigned long long) (off + i), buf[i], want);
				return false;
			}
		}
		done += n;
	}
	return true;
}

static unsigned int count_tagged(struct vfs_inode *inode, unsigned int tag)
{
	struct folio *batch[64];
	unsigned int n, i, total = 0;
	uint64_t index = 0;

	while ((n = filemap_get_folios_tag(&inode->i_mapping, index, UINT64_MAX, tag, batch, 64))) {
		for (i = 0; i < n; i++) {
			index = batch[i]->index + 1;
			folio_put(batch[i]);
		}
		total += n;
	}
	return total;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

/* Wait (generously) until @inode has no dirty and no writeback folio. */
static bool wait_clean(struct vfs_inode *inode, unsigned int ms)
{
	uint64_t deadline = now_ms() + ms;

	while (now_ms() < deadline) {
		if (!count_tagged(inode, PC_TAG_DIRTY) && !count_tagged(inode, PC_TAG_WRITEBACK))
			return true;
		usleep(2000);
	}
	return false;
}

static void pc_setup(size_t folio_size, uint64_t limit)
{
	CHECK_EQ(page_cache_init(&pc, folio_size, limit), 0);
}

static void disk_reset(void)
{
	CHECK_EQ(ftruncate(disk_fd, 0), 0);
	CHECK_EQ(ftruncate(disk_fd, 1ULL << 30), 0);
}

static int writepages_inline(struct vfs_inode *inode, struct writeback_stats *st)
{
	struct iomap_writepage_ctx wpc = {.stats = st};
	struct writeback_control wbc = {0, UINT64_MAX, true, false, -1};

	FF(inode)->last_map_off = -1;
	return iomap_writepages(&inode->i_mapping, &wbc, &wpc, &fake_ops);
}

/* ---------------- tests ---------------- */

/* 4 KiB folios, 1 KiB blocks: partial runs, merging, splitting, EOF. */
static void test_small_folios(void)
{
	struct writeback_stats st = {0};
	struct vfs_inode *a, *b;
	struct ioend_rec *r;

	pc_setup(4096, 64 << 20);
	disk_reset();
	a = new_file(1, 10);
	b = new_file(2, 10);
	FF(b)->gappy = true;
	FF(b)->unwritten = true;

	/* a: blocks 1-2 of folio 0, block 4, folios 2-3 whole. */
	dirty_range(NULL, a, 1024, 2048, 1);
	dirty_range(NULL, a, 4096, 1024, 1);
	dirty_range(NULL, a, 8192, 8192, 1);
	fake_reset_recs();
	CHECK_EQ(writepages_inline(a, &st), 0);
	CHECK_EQ(fake_nr_recs(), 3);
	r = fake.recs;
	CHECK_EQ(r[0].offset, 1024);
	CHECK_EQ(r[0].size, 2048);
	CHECK_EQ(r[0].addr, fake_disk_base(a) + 1024);
	CHECK_EQ(r[1].offset, 4096);
	CHECK_EQ(r[1].size, 1024);
	CHECK_EQ(r[2].offset, 8192);
	CHECK_EQ(r[2].size, 8192); /* merged across folios 2 and 3 */
	CHECK_EQ(r[2].nr_vecs, 2);
	CHECK_EQ(r[2].type, IOMAP_MAPPED);
	CHECK(r[0].wb_ok && r[1].wb_ok && r[2].wb_ok);
	CHECK(pthread_equal(r[0].tid, pthread_self())); /* no bdi: inline completion */
	CHECK(FF(a)->order_ok);
	CHECK(disk_matches(a, 1024, 2048, false));
	CHECK(disk_matches(a, 4096, 1024, false));
	CHECK(disk_matches(a, 8192, 8192, false));
	CHECK(disk_matches(a, 0, 1024, true)); /* never dirty */
	CHECK(disk_matches(a, 3072, 1024, true));
	CHECK(disk_matches(a, 5120, 3072, true));
	CHECK_EQ(FF(a)->disk_size, 16384);
	CHECK_EQ(count_tagged(a, PC_TAG_DIRTY), 0);
	CHECK_EQ(count_tagged(a, PC_TAG_WRITEBACK), 0);
	CHECK_EQ(atomic_load(&st.ioends), 3);
	CHECK_EQ(atomic_load(&st.bytes_written), 2048 + 1024 + 8192);
	CHECK_EQ(atomic_load(&st.folios_written), 4);

	/* b: gappy + unwritten, a run across an extent end splits the ioend;
	 * EOF at 20000 inside block 19 of folio 4; folio 6 wholly past EOF. */
	dirty_range(NULL, b, 12288, 8192, 2); /* 12288..20480 */
	dirty_range(NULL, b, 24576, 1024, 2); /* folio 6, later past EOF */
	vfs_i_size_write(b, 20000);
	scribble(b, 20000, 480); /* garbage past EOF in folio 4 */
	memset(FF(b)->model + 20000, 0, 480);
	fake_reset_recs();
	CHECK_EQ(writepages_inline(b, &st), 0);
	CHECK_EQ(fake_nr_recs(), 2);
	r = fake.recs;
	CHECK_EQ(r[0].offset, 12288);
	CHECK_EQ(r[0].size, 4096);
	CHECK_EQ(r[0].addr, fake_ext_addr(b, 0) + 12288);
	CHECK_EQ(r[1].offset, 16384);
	CHECK_EQ(r[1].size, 20000 - 16384); /* clamped to EOF */
	CHECK_EQ(r[1].disk_len, 4096);	    /* whole blocks written */
	CHECK_EQ(r[1].addr, fake_ext_addr(b, 1));
	CHECK_EQ(r[1].type, IOMAP_UNWRITTEN);
	CHECK_EQ(FF(b)->converted, 4096 + 20000 - 16384);
	CHECK_EQ(FF(b)->disk_size, 20000);
	CHECK(disk_matches(b, 12288, 20480 - 12288, false)); /* incl. zeroes past EOF */
	CHECK(disk_matches(b, 24576, 1024, true));	     /* past EOF: dropped */
	CHECK_EQ(count_tagged(b, PC_TAG_DIRTY), 0);
	CHECK_EQ(count_tagged(b, PC_TAG_WRITEBACK), 0);
	CHECK_EQ(atomic_load(&pc.nr_dirty), 0);
	CHECK_EQ(atomic_load(&pc.nr_writeback), 0);

	free_file(a);
	free_file(b);
	CHECK_EQ(atomic_load(&pc.nr_folios), 0);
	page_cache_destroy(&pc);
}

/* Count revalidations; the hook bumps the fork sequence before folio 2. */
static void bump_seq_hook(enum iomap_inject_point point, struct vfs_inode *inode, loff_t pos,
			  void *arg)
{
	(void) inode;
	(void) arg;
	if (point == INJECT_WB_BEFORE_MAP && pos == 8192)
		atomic_fetch_add(&fake.seq, 1);
}

static void test_revalidation(void)
{
	struct writeback_stats st = {0};
	struct vfs_inode *a;

	pc_setup(4096, 64 << 20);
	disk_reset();
	a = new_file(3, 12);
	dirty_range(NULL, a, 0, 16384, 3); /* one extent, four folios */
	iomap_set_inject_hook(bump_seq_hook, NULL);
	fake_reset_recs();
	CHECK_EQ(writepages_inline(a, &st), 0);
	iomap_set_inject_hook(NULL, NULL);
	CHECK_EQ(atomic_load(&st.map_revalidated), 3); /* folios 1, 2, 3 */
	CHECK_EQ(atomic_load(&st.map_invalidated), 1); /* folio 2 */
	CHECK_EQ(fake_nr_recs(), 1);		       /* same extent: still one ioend */
	CHECK(disk_matches(a, 0, 16384, false));
	free_file(a);
	page_cache_destroy(&pc);
}

/*
 * 64 KiB folios, 1 KiB blocks, with the bdi: several dirty runs in a folio,
 * one run across an extent end (gappy) so that the folio is in several
 * ioends; completion on the worker; PG_writeback held until the last one.
 */
static void test_large_folios_bdi(void)
{
	struct bdi_config cfg = {.writeback_interval_ms = 60000,
				 .dirty_expire_ms = 60000,
				 .dirty_background_pct = 100};
	struct bdi *bdi;
	struct vfs_inode *a, *b;
	unsigned int i, n;

	pc_setup(65536, 256 << 20);
	disk_reset();
	CHECK_EQ(bdi_start(&bdi, &pc, &cfg, &fake_ops), 0);
	a = new_file(4, 10);
	b = new_file(5, 10);
	FF(a)->gappy = true;
	FF(a)->unwritten = true;
	dirty_range(bdi, a, 0, 4096, 4);	    /* blocks 0-3 */
	dirty_range(bdi, a, 10240, 2048, 4);	    /* blocks 10-11 */
	dirty_range(bdi, a, 14336, 5120, 4);	    /* blocks 14-18: crosses 16 KiB */
	dirty_range(bdi, a, 61440, 4096, 4);	    /* blocks 60-63 */
	dirty_range(bdi, a, 65536 + 1000, 3000, 4); /* second folio, partial blocks */
	dirty_range(bdi, b, 0, 3 * 65536, 5);	    /* three whole folios */
	atomic_store(&fake.end_io_sleep_us, 5000);
	fake_reset_recs();
	CHECK_EQ(filemap_write_and_wait_range(bdi, a, 0, UINT64_MAX), 0);
	/* fsync waited for every ioend of a: all completions recorded. */
	n = fake_nr_recs();
	CHECK_EQ(n, 6);
	CHECK_EQ(count_tagged(a, PC_TAG_WRITEBACK), 0);
	for (i = 0; i < n; i++) {
		CHECK(!pthread_equal(fake.recs[i].tid, pthread_self()));
		CHECK(fake.recs[i].wb_ok);
	}
	CHECK_EQ(fake.recs[2].offset, 14336);
	CHECK_EQ(fake.recs[2].size, 2048);
	CHECK_EQ(fake.recs[3].offset, 16384);
	CHECK_EQ(fake.recs[3].size, 3072);
	/* blocks 60-63 are extent 3, the next folio's blocks 0-3 extent 4: split */
	CHECK_EQ(fake.recs[4].offset, 61440);
	CHECK_EQ(fake.recs[5].offset, 65536);
	CHECK_EQ(fake.recs[5].size, 4000); /* 65536 .. EOF 69536 */
	CHECK_EQ(fake.recs[5].disk_len, 4096);
	CHECK(disk_matches(a, 0, 4096, false));
	CHECK(disk_matches(a, 4096, 6144, true));
	CHECK(disk_matches(a, 10240, 2048, false));
	CHECK(disk_matches(a, 14336, 5120, false));
	CHECK(disk_matches(a, 61440, 4096, false));
	CHECK(disk_matches(a, 65536, 4096, false)); /* blocks 64-67, zero head kept */
	CHECK_EQ(FF(a)->disk_size, 65536 + 4000);

	/* b is left to bdi_stop, which must write everything. */
	atomic_store(&fake.end_io_sleep_us, 0);
	CHECK(count_tagged(b, PC_TAG_DIRTY) == 3);
	bdi_stop(bdi);
	CHECK_EQ(count_tagged(b, PC_TAG_DIRTY), 0);
	CHECK_EQ(count_tagged(b, PC_TAG_WRITEBACK), 0);
	CHECK(disk_matches(b, 0, 3 * 65536, false));
	free_file(a);
	free_file(b);
	page_cache_destroy(&pc);
}

/*
 * Ioends the filesystem clears io_fs_end_io on complete where they were
 * written, without ->end_io and without the worker; the others still go to
 * the worker.  Either way fsync returns with the data on disk and no folio
 * under writeback.
 */
static void test_inline_completion(void)
{
	struct bdi_config cfg = {.writeback_interval_ms = 60000,
				 .dirty_expire_ms = 60000,
				 .dirty_background_pct = 100};
	struct bdi *bdi;
	struct vfs_inode *a, *u;
	uint64_t inline_before;
	unsigned int i;

	pc_setup(4096, 64 << 20);
	disk_reset();
	CHECK_EQ(bdi_start(&bdi, &pc, &cfg, &fake_inline_ops), 0);
	a = new_file(6, 12);
	u = new_file(7, 12);
	FF(u)->unwritten = true;

	/* First pass: appends (past disk_size) go through ->end_io on the worker. */
	dirty_range(bdi, a, 0, 16 * 4096, 1);
	fake_reset_recs();
	CHECK_EQ(filemap_write_and_wait_range(bdi, a, 0, UINT64_MAX), 0);
	CHECK(fake_nr_recs() > 0);
	for (i = 0; i < fake_nr_recs(); i++)
		CHECK(!pthread_equal(fake.recs[i].tid, pthread_self()));
	CHECK_EQ(FF(a)->disk_size, 16 * 4096);

	/* Overwrites inside disk_size: no ->end_io at all, data on disk. */
	inline_before = atomic_load(&bdi_stats(bdi)->ioends_inline);
	for (i = 0; i < 16; i += 3)
		dirty_range(bdi, a, (uint64_t) i * 4096, 4096, 2);
	fake_reset_recs();
	CHECK_EQ(filemap_write_and_wait_range(bdi, a, 0, UINT64_MAX), 0);
	CHECK_EQ(fake_nr_recs(), 0);
	CHECK_EQ(atomic_load(&bdi_stats(bdi)->ioends_inline) - inline_before, 6);
	CHECK_EQ(count_tagged(a, PC_TAG_WRITEBACK), 0);
	CHECK(disk_matches(a, 0, 16 * 4096, false));

	/* Unwritten extents always need their conversion. */
	dirty_range(bdi, u, 0, 4 * 4096, 1);
	CHECK_EQ(filemap_write_and_wait_range(bdi, u, 0, UINT64_MAX), 0);
	dirty_range(bdi, u, 4096, 4096, 2);
	fake_reset_recs();
	CHECK_EQ(filemap_write_and_wait_range(bdi, u, 0, UINT64_MAX), 0);
	CHECK_EQ(fake_nr_recs(), 1);
	CHECK_EQ(FF(u)->converted, 5 * 4096);
	CHECK(disk_matches(u, 0, 4 * 4096, false));

	bdi_stop(bdi);
	free_file(a);
	free_file(u);
	page_cache_destroy(&pc);
}

/* Expiry and the periodic flusher; then the background threshold. */
static void test_expire_and_background(void)
{
	struct bdi_config cfg = {
		.writeback_interval_ms = 10, .dirty_expire_ms = 1500, .dirty_background_pct = 10};
	struct bdi *bdi;
	struct vfs_inode *a, *b;

	pc_setup(4096, 4 << 20);
	disk_reset();
	CHECK_EQ(bdi_start(&bdi, &pc, &cfg, &fake_ops), 0);
	a = new_file(6, 12);
	dirty_range(bdi, a, 0, 8192, 6);
	usleep(100 * 1000);
	CHECK_EQ(count_tagged(a, PC_TAG_DIRTY), 2); /* not expired yet */
	CHECK(wait_clean(a, 20000));		    /* expired: written by the flusher */
	CHECK(disk_matches(a, 0, 8192, false));
	bdi_stop(bdi);

	/* Background: expiry and interval far away, the threshold is 400 KiB. */
	cfg.writeback_interval_ms = 60000;
	cfg.dirty_expire_ms = 60000;
	CHECK_EQ(bdi_start(&bdi, &pc, &cfg, &fake_ops), 0);
	b = new_file(7, 12);
	dirty_range(bdi, b, 0, 64 * 1024, 7); /* under the threshold */
	usleep(100 * 1000);
	CHECK_EQ(count_tagged(b, PC_TAG_DIRTY), 16);
	dirty_range(bdi, b, 64 * 1024, 512 * 1024, 7); /* over it: kicked */
	CHECK(wait_clean(b, 20000));
	CHECK(disk_matches(b, 0, 576 * 1024, false));

	/* bdi_kick and bdi_sync_all */
	dirty_range(bdi, a, 8192, 4096, 8);
	bdi_kick(bdi);
	CHECK(wait_clean(a, 20000));
	CHECK(disk_matches(a, 0, 12288, false));
	dirty_range(bdi, a, 100, 5000, 9);
	dirty_range(bdi, b, 4000, 100, 9);
	CHECK_EQ(bdi_sync_all(bdi), 0);
	CHECK_EQ(count_tagged(a, PC_TAG_DIRTY) + count_tagged(a, PC_TAG_WRITEBACK), 0);
	CHECK_EQ(count_tagged(b, PC_TAG_DIRTY) + count_tagged(b, PC_TAG_WRITEBACK), 0);
	CHECK(disk_matches(a, 0, 12288, false));
	CHECK(disk_matches(b, 0, 8192, false));
	bdi_stop(bdi);
	free_file(a);
	free_file(b);
	page_cache_destroy(&pc);
}

/*
 * The default thresholds (doc/engine.md, "Decisions that differ"): background
 * writeback starts at 40 % of the cache, not the kernel's 10 %, so a
 * rewritten file set of a quarter of the cache stays dirty until it expires.
 */
static void test_default_thresholds(void)
{
	struct bdi_config cfg = {.writeback_interval_ms = 60000, .dirty_expire_ms = 60000};
	struct bdi *bdi;
	struct vfs_inode *a;

	pc_setup(4096, 2 << 20); /* background at 819 KiB, the kernel's 10 % at 204 KiB */
	disk_reset();
	CHECK_EQ(bdi_start(&bdi, &pc, &cfg, &fake_ops), 0);
	a = new_file(21, 12);
	dirty_range(bdi, a, 0, 576 * 1024, 3); /* 28 %: under the threshold */
	bdi_balance_dirty_pages(bdi);
	usleep(200 * 1000);
	CHECK_EQ(count_tagged(a, PC_TAG_DIRTY), 144);
	CHECK_EQ(atomic_load(&bdi_stats(bdi)->dirty_throttled), 0);
	dirty_range(bdi, a, 576 * 1024, 384 * 1024, 3); /* 47 %: over it, kicked */
	CHECK(wait_clean(a, 20000));
	CHECK(disk_matches(a, 0, 960 * 1024, false));
	bdi_stop(bdi);
	free_file(a);
	page_cache_destroy(&pc);
}

/*
 * balance_dirty_pages: a writer that dirties far more than dirty_pct of the
 * cache, with slow I/O completion, is held near the limit -- dirty plus
 * writeback never runs away -- and a writer under the limit never waits.
 */
static void test_dirty_throttle(void)
{
	/*
	 * 1 MiB cache, 4 KiB folios: limit 20% = 51 folios.  Background
	 * writeback starts at the limit too: with it at 10% the flusher could
	 * drain whole ioends while a slow writer (TSan on a loaded machine)
	 * dirtied its way up, and the writer was then never throttled.
	 */
	struct bdi_config cfg = {.writeback_interval_ms = 60000,
				 .dirty_expire_ms = 60000,
				 .dirty_background_pct = 20,
				 .dirty_pct = 20};
	const uint64_t limit = (1u << 20) / 100 * 20 / 4096, chunk = 16 * 1024;
	const struct writeback_stats *st;
	uint64_t pos, worst = 0, n;
	struct bdi *bdi;
	struct vfs_inode *a;

	pc_setup(4096, 1 << 20);
	disk_reset();
	CHECK_EQ(bdi_start(&bdi, &pc, &cfg, &fake_ops), 0);
	st = bdi_stats(bdi);
	a = new_file(20, 12);

	dirty_range(bdi, a, 0, 64 * 1024, 1); /* 16 folios: under the limit */
	bdi_balance_dirty_pages(bdi);
	CHECK_EQ(atomic_load(&st->dirty_throttled), 0);

	atomic_store(&fake.end_io_sleep_us, 20000);	      /* slow completions */
	for (pos = 64 * 1024; pos < FILE_MAX; pos += chunk) { /* 240 folios more */
		dirty_range(bdi, a, pos, chunk, 1);
		bdi_balance_dirty_pages(bdi);
		n = atomic_load(&pc.nr_dirty) + atomic_load(&pc.nr_writeback);
		if (n > worst)
			worst = n;
	}
	atomic_store(&fake.end_io_sleep_us, 0);
	/* After each return the writer is under the limit (one chunk of slack
	 * for dirtying between the last check and the sample). */
	CHECK(worst <= limit + chunk / 4096);
	CHECK(atomic_load(&st->dirty_throttled) > 0);
	CHECK_EQ(bdi_sync_all(bdi), 0);
	CHECK(disk_matches(a, 0, FILE_MAX, false));
	if (worst > limit + chunk / 4096)
		fprintf(stderr, "dirty throttle: worst %llu folios, limit %llu\n",
			(unsigned long long) worst, (unsigned long long) limit);
	bdi_stop(bdi);
	free_file(a);
	page_cache_destroy(&pc);
}

/* A data write error and a map error reach fsync, once each. */
static void test_errors(void)
{
	struct bdi_config cfg = {.writeback_interval_ms = 60000,
				 .dirty_expire_ms = 60000,
				 .dirty_background_pct = 100};
	char path[64];
	struct bdi *bdi;
	struct vfs_inode *a;
	int rofd;

	pc_setup(4096, 64 << 20);
	disk_reset();
	CHECK_EQ(bdi_start(&bdi, &pc, &cfg, &fake_ops), 0);
	a = new_file(8, 12);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", disk_fd);
	rofd = open(path, O_RDONLY);
	CHECK(rofd >= 0);
	a->bdev_fd = rofd; /* pwrite fails: EBADF -> EIO */
	dirty_range(bdi, a, 0, 8192, 10);
	CHECK_EQ(filemap_write_and_wait_range(bdi, a, 0, UINT64_MAX), -EIO);
	CHECK_EQ(filemap_write_and_wait_range(bdi, a, 0, UINT64_MAX), 0); /* once */
	CHECK(atomic_load(&bdi_stats(bdi)->write_errors) >= 1);
	CHECK_EQ(count_tagged(a, PC_TAG_DIRTY) + count_tagged(a, PC_TAG_WRITEBACK), 0);
	CHECK(disk_matches(a, 0, 8192, true)); /* nothing reached the disk */

	a->bdev_fd = disk_fd;
	FF(a)->fail_map_at = 4096 + 512;
	dirty_range(bdi, a, 0, 12288, 11);
	CHECK_EQ(filemap_write_and_wait_range(bdi, a, 0, UINT64_MAX), -EIO);
	CHECK_EQ(FF(a)->discards, 1);
	CHECK_EQ(filemap_write_and_wait_range(bdi, a, 0, UINT64_MAX), 0);
	CHECK_EQ(count_tagged(a, PC_TAG_DIRTY) + count_tagged(a, PC_TAG_WRITEBACK), 0);
	CHECK(disk_matches(a, 0, 4096, false)); /* other folios still written */
	CHECK(disk_matches(a, 8192, 4096, false));
	CHECK(disk_matches(a, 4096, 4096, true));
	bdi_stop(bdi);
	close(rofd);
	free_file(a);
	page_cache_destroy(&pc);
}

/*
 * Issue 12: a dirty block over a hole is skipped (the file gets EIO), not a
 * reason to discard the rest of its folio; an ioend that cannot be
 * allocated leaves the folio dirty (fsync gets ENOMEM, the next one writes
 * everything), it loses nothing.
 */
static void test_hole_and_enomem(void)
{
	struct bdi_config cfg = {.writeback_interval_ms = 60000,
				 .dirty_expire_ms = 60000,
				 .dirty_background_pct = 100};
	struct bdi *bdi;
	struct vfs_inode *a;

	pc_setup(16384, 64 << 20);
	disk_reset();
	CHECK_EQ(bdi_start(&bdi, &pc, &cfg, &fake_ops), 0);
	a = new_file(9, 12); /* four 4 KiB blocks per folio */

	FF(a)->hole_at = 4096;
	dirty_range(bdi, a, 0, 16384, 12);
	CHECK_EQ(filemap_write_and_wait_range(bdi, a, 0, UINT64_MAX), -EIO);
	CHECK_EQ(FF(a)->discards, 0);
	CHECK_EQ(atomic_load(&bdi_stats(bdi)->hole_blocks), 1);
	CHECK(disk_matches(a, 0, 4096, false));
	CHECK(disk_matches(a, 4096, 4096, true)); /* the hole block only */
	CHECK(disk_matches(a, 8192, 8192, false));
	CHECK_EQ(count_tagged(a, PC_TAG_DIRTY), 0);
	CHECK_EQ(filemap_write_and_wait_range(bdi, a, 0, UINT64_MAX), 0);
	FF(a)->hole_at = -1;

	xf_fault_set_nth(XF_FAULT_IOEND_ALLOC, 1);
	dirty_range(bdi, a, 0, 32768, 13);
	CHECK_EQ(filemap_write_and_wait_range(bdi, a, 0, UINT64_MAX), -ENOMEM);
	CHECK_EQ(xf_fault_get_nth(XF_FAULT_IOEND_ALLOC), 0);
	CHECK_EQ(FF(a)->discards, 0);
	CHECK_EQ(atomic_load(&bdi_stats(bdi)->redirtied), 1);
	CHECK_EQ(count_tagged(a, PC_TAG_DIRTY), 1);  /* the first folio waits */
	CHECK(disk_matches(a, 16384, 16384, false)); /* the second one went */
	CHECK_EQ(filemap_write_and_wait_range(bdi, a, 0, UINT64_MAX), 0);
	CHECK_EQ(count_tagged(a, PC_TAG_DIRTY), 0);
	CHECK(disk_matches(a, 0, 32768, false)); /* nothing lost */
	CHECK_EQ(filemap_write_and_wait_range(bdi, a, 0, UINT64_MAX), 0);
	bdi_stop(bdi);
	free_file(a);
	page_cache_destroy(&pc);
}

/* bdi_forget_inode against a busy flusher: the inode is freed right after. */
static void test_forget_race(void)
{
	struct bdi_config cfg = {
		.writeback_interval_ms = 1, .dirty_expire_ms = 1, .dirty_background_pct = 100};
	struct bdi *bdi;
	unsigned int i, bad = 0;

	pc_setup(4096, 64 << 20);
	disk_reset();
	CHECK_EQ(bdi_start(&bdi, &pc, &cfg, &fake_ops), 0);
	for (i = 0; i < 3000; i++) {
		struct vfs_inode *a = new_file(10 + (i % 50), 10);
		struct vfs_inode *b = new_file(60 + (i % 50), 12);
		uint64_t len = 4096 * (1 + i % 7) + (i % 3) * 1000;

		FF(a)->gappy = i & 1;
		/* Sometimes slow completions, mostly none: the flusher's tail races us. */
		atomic_store(&fake.end_io_sleep_us, i % 4 == 0 ? 50 : 0);
		dirty_range(bdi, a, 0, len, i);
		dirty_range(bdi, b, 0, 8192, i);
		if (i % 3 == 0)
			bdi_kick(bdi);
		if (i % 5 == 0)
			usleep(i % 400);
		if (bdi_forget_inode(bdi, a, false) != 0)
			bad++;
		if (count_tagged(a, PC_TAG_DIRTY) + count_tagged(a, PC_TAG_WRITEBACK))
			bad++;
		if (!disk_matches(a, 0, len, false))
			bad++;
		free_file(a);
		if (bdi_forget_inode(bdi, b, false) != 0)
			bad++;
		free_file(b);
	}
	atomic_store(&fake.end_io_sleep_us, 0);
	CHECK_EQ(bad, 0);
	bdi_stop(bdi);
	page_cache_destroy(&pc);
}

/* Writers keep dirtying while the flusher runs and fsync is called. */
struct stress_arg {
	struct bdi *bdi;
	struct vfs_inode *inode;
	pthread_mutex_t *lock;
	unsigned int rounds;
};

static void *stress_writer(void *p)
{
	struct stress_arg *arg = p;
	unsigned int i;

	for (i = 0; i < arg->rounds; i++) {
		uint64_t pos = (i * 7919ULL) % (200 * 1024);

		inode_lock(arg->inode);
		dirty_range(arg->bdi, arg->inode, pos, 1 + (i * 131) % 9000, i);
		inode_unlock(arg->inode);
		if (i % 16 == 0)
			CHECK_EQ(filemap_write_and_wait_range(arg->bdi, arg->inode, 0, UINT64_MAX),
				 0);
	}
	return NULL;
}

static void test_stress(void)
{
	struct bdi_config cfg = {
		.writeback_interval_ms = 1, .dirty_expire_ms = 2, .dirty_background_pct = 5};
	struct stress_arg args[3];
	pthread_t tids[3];
	struct bdi *bdi;
	unsigned int i;

	pc_setup(16384, 1 << 20);
	disk_reset();
	CHECK_EQ(bdi_start(&bdi, &pc, &cfg, &fake_ops), 0);
	for (i = 0; i < 3; i++) {
		args[i].bdi = bdi;
		args[i].inode = new_file(200 + i, 10);
		FF(args[i].inode)->gappy = i == 1;
		FF(args[i].inode)->unwritten = i == 2;
		args[i].rounds = 1500;
		pthread_create(&tids[i], NULL, stress_writer, &args[i]);
	}
	for (i = 0; i < 3; i++)
		pthread_join(tids[i], NULL);
	bdi_stop(bdi);
	for (i = 0; i < 3; i++) {
		struct vfs_inode *inode = args[i].inode;

		CHECK_EQ(count_tagged(inode, PC_TAG_DIRTY) + count_tagged(inode, PC_TAG_WRITEBACK),
			 0);
		CHECK(disk_matches(inode, 0, vfs_i_size_read(inode), false));
		CHECK_EQ(FF(inode)->disk_size, vfs_i_size_read(inode));
		free_file(inode);
	}
	page_cache_destroy(&pc);
}

int main(void)
{
	radix_tree_init();
	disk_fd = memfd_create("fake-disk", 0);
	if (disk_fd < 0) {
		perror("memfd_create");
		return 1;
	}
	test_small_folios();
	test_revalidation();
	test_large_folios_bdi();
	test_inline_completion();
	test_expire_and_background();
	test_default_thresholds();
	test_dirty_throttle();
	test_errors();
	test_hole_and_enomem();
	test_forget_race();
	test_stress();
	printf("test_writeback: %d checks, %d failed\n", th_checks, th_failures);
	return th_failures ? 1 : 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * xfsfuse.bmap: a regular file's extent map (delalloc / unwritten /
 * written / holes, from the backend's xb_bmap_report) and, per extent, the
 * state of the page cache over it.  The two halves are sampled one after
 * the other, not atomically: on a busy file they may disagree for a moment
 * (a folio written back between them shows clean over DELALLOC).
 *
 *   # ino=131 size=5000 disk_size=0 blocksize=4096 folio_size=4096 ...
 *   offset=0 length=65536 type=DELALLOC addr=- fsblock=- folios=2 uptodate=1
 *     dirty=2 writeback=0 uptodate_blocks=2 dirty_blocks=2      (one line)
 *
 * folios/uptodate/dirty/writeback count the cached folios overlapping the
 * extent and their PG_* flags; *_blocks count the extent's blocks by the
 * per-block state (block size < folio size: the folio flags are not enough).
 */
#include "control.h"

#include <errno.h>
#include <stdlib.h>

#include "xfs_bmap_report.h"

#define XF_BMAP_MAX_RECS 4096 /* more would not fit in 64 KiB anyway */
#define XF_BMAP_BATCH	 16

struct xf_bmap_recs {
	struct xb_bmap_rec *r;
	size_t n, cap;
	bool truncated;
};

struct xf_cache_state {
	unsigned int folios, uptodate, dirty, writeback;
	uint64_t uptodate_blocks, dirty_blocks;
};

/* Runs under the libxfs lock: copy only. */
static int xf_bmap_collect(void *arg, const struct xb_bmap_rec *rec)
{
	struct xf_bmap_recs *recs = arg;
	struct xb_bmap_rec *nr;

	if (recs->n == XF_BMAP_MAX_RECS) {
		recs->truncated = true;
		return 1;
	}
	if (recs->n == recs->cap) {
		size_t cap = recs->cap ? recs->cap * 2 : 64;

		nr = realloc(recs->r, cap * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		recs->r = nr;
		recs->cap = cap;
	}
	recs->r[recs->n++] = *rec;
	return 0;
}

static const char *xf_bmap_type_name(enum xb_bmap_type type)
{
	switch (type) {
	case XB_BMAP_HOLE:
		return "HOLE";
	case XB_BMAP_DELALLOC:
		return "DELALLOC";
	case XB_BMAP_UNWRITTEN:
		return "UNWRITTEN";
	case XB_BMAP_WRITTEN:
		return "WRITTEN";
	}
	return "?";
}

/* The per-block state of the blocks of [start, end) that @f holds. */
static void xf_bmap_folio_blocks(struct folio *f, struct page_cache *pc, uint64_t start,
				 uint64_t end, struct xf_cache_state *cs)
{
	uint64_t fpos = folio_pos(f, pc), fend = fpos + pc->folio_size;
	unsigned int b, first, last;

	if (start < fpos)
		start = fpos;
	if (end > fend)
		end = fend;
	first = (unsigned int) ((start - fpos) >> f->blkbits);
	last = (unsigned int) ((end - 1 - fpos) >> f->blkbits);
	for (b = first; b <= last && b < f->nr_blocks; b++) {
		cs->uptodate_blocks += ifs_block_is_uptodate(f, b);
		cs->dirty_blocks += ifs_block_is_dirty(f, b);
	}
}

static void xf_bmap_cache_range(struct address_space *m, uint64_t off, uint64_t len,
				struct xf_cache_state *cs)
{
	struct page_cache *pc = m->pc;
	uint64_t index = off >> pc->folio_shift, last = (off + len - 1) >> pc->folio_shift;
	struct folio *batch[XF_BMAP_BATCH];
	unsigned int n, i;

	while (index <= last) {
		n = filemap_get_folios(m, index, last, batch, XF_BMAP_BATCH);
		if (!n)
			break;
		for (i = 0; i < n; i++) {
			struct folio *f = batch[i];

			cs->folios++;
			cs->uptodate += folio_test_uptodate(f);
			cs->dirty += folio_test_dirty(f);
			cs->writeback += folio_test_writeback(f);
			xf_bmap_folio_blocks(f, pc, off, off + len, cs);
			index = f->index + 1;
			folio_put(f);
		}
	}
}

static void xf_bmap_print_rec(struct xf_text *t, struct vfs_inode *v, const struct xb_bmap_rec *r)
{
	struct xf_cache_state cs = {0};
	char addr[32] = "-", fsb[32] = "-";

	if (r->addr != XB_BMAP_NO_ADDR) {
		snprintf(addr, sizeof(addr), "%llu", (unsigned long long) r->addr);
		snprintf(fsb, sizeof(fsb), "%llu", (unsigned long long) r->fsblock);
	}
	xf_text_printf(t, "offset=%llu length=%llu type=%s addr=%s fsblock=%s",
		       (unsigned long long) r->offset, (unsigned long long) r->length,
		       xf_bmap_type_name(r->type), addr, fsb);
	if (!v || !r->length) {
		xf_text_printf(t, "\n");
		return;
	}
	xf_bmap_cache_range(&v->i_mapping, r->offset, r->length, &cs);
	xf_text_printf(t,
		       " folios=%u uptodate=%u dirty=%u writeback=%u uptodate_blocks=%llu "
		       "dirty_blocks=%llu\n",
		       cs.folios, cs.uptodate, cs.dirty, cs.writeback,
		       (unsigned long long) cs.uptodate_blocks,
		       (unsigned long long) cs.dirty_blocks);
}

int xf_control_bmap(struct xf_engine *e, struct xb_inode *ip, struct xf_text *t)
{
	struct vfs_inode *v = xb_vfs_inode(ip);
	struct xf_bmap_recs recs = {0};
	struct xb_bmap_info info;
	size_t i;
	int error;

	error = xb_bmap_report(ip, &info, xf_bmap_collect, &recs);
	if (error < 0) {
		free(recs.r);
		return error == -EINVAL ? -ENODATA : error; /* not a regular file */
	}
	xf_text_printf(t,
		       "# ino=%llu size=%llu disk_size=%llu blocksize=%u folio_size=%zu "
		       "extents=%llu delayed_blocks=%llu data_seq=%llu\n",
		       (unsigned long long) xb_ino(ip), (unsigned long long) info.size,
		       (unsigned long long) info.disk_size, info.blocksize, e->pc.folio_size,
		       (unsigned long long) info.nextents, (unsigned long long) info.delayed_blocks,
		       (unsigned long long) info.data_seq);
	for (i = 0; i < recs.n; i++)
		xf_bmap_print_rec(t, v, &recs.r[i]);
	if (recs.truncated)
		t->truncated = true;
	free(recs.r);
	return 0;
}

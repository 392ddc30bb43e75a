// SPDX-License-Identifier: GPL-2.0
/* The race harness's image, engine, files and threads: see race_fs.h. */
#include "xb_internal.h"

#include "race_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "xfs_iomap.h"

#define RACE_JOIN_TIMEOUT_S 30
#define RACE_HOUR_MS	    3600000u

void race_fs_mkfs(struct race_fs *rf, const struct race_geom *g)
{
	char opts[64];

	memset(rf, 0, sizeof(*rf));
	rf->g = *g;
	snprintf(opts, sizeof(opts), "-b size=%u", g->bs);
	rf->img = th_mkfs(opts, 512);
}

void race_fs_mount(struct race_fs *rf, const struct race_mount_opts *o)
{
	struct xf_engine_opts *eo = &rf->e.opts;
	int error;

	rf->m = th_mount(rf->img, false);
	xf_engine_default_opts(eo);
	eo->folio_size = rf->g.fsize;
	eo->cache_size = 256ull << 20;
	eo->bdi.writeback_interval_ms = RACE_HOUR_MS;
	eo->bdi.dirty_expire_ms = RACE_HOUR_MS;
	eo->bdi.dirty_background_pct = 50;
	eo->reclaim.interval_ms = RACE_HOUR_MS;
	eo->reclaim.aggressive = false;
	eo->validate = o->validate;
	eo->legacy_punch = o->legacy_punch;
	eo->rfc_remedy = o->rfc;
	eo->prealloc = o->prealloc;
	error = xf_engine_start(&rf->e, rf->m);
	if (error) {
		fprintf(stderr, "race: xf_engine_start: %s\n", strerror(-error));
		exit(2);
	}
	error = xb_iget(rf->m, xb_root_ino(rf->m), &rf->root);
	if (error) {
		fprintf(stderr, "race: root: %s\n", strerror(-error));
		exit(2);
	}
}

void race_fs_unmount(struct race_fs *rf)
{
	xb_iput(rf->root);
	rf->root = NULL;
	CHECK_EQ(xf_engine_stop(&rf->e), 0);
	th_umount(rf->m);
	rf->m = NULL;
	xf_engine_destroy(&rf->e);
	/* The next mount's options go through xf_engine_start again. */
	atomic_store(&iomap_tunables.short_copy_at, -1);
}

struct xb_inode *race_create(struct race_fs *rf, const char *name)
{
	struct xb_cred cred = {.uid = 0, .gid = 0};
	struct xb_inode *ip = NULL;
	int error = xb_create(rf->root, name, S_IFREG | 0644, 0, &cred, &ip);

	if (error) {
		fprintf(stderr, "race: create %s: %s\n", name, strerror(-error));
		exit(2);
	}
	return ip;
}

struct xb_inode *race_lookup(struct race_fs *rf, const char *name)
{
	struct xb_inode *ip = NULL;
	int error = xb_lookup(rf->root, name, &ip);

	if (error) {
		fprintf(stderr, "race: lookup %s: %s\n", name, strerror(-error));
		exit(2);
	}
	return ip;
}

void race_read(struct race_fs *rf, struct xb_inode *ip, unsigned char *buf, size_t len)
{
	ssize_t n = xf_file_read(&rf->e, ip, buf, len, 0, false);

	CHECK_EQ(n, (long long) len);
}

void race_fill(unsigned char *buf, size_t len, uint64_t off, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char) (1 + ((off + i) * 31 + seed * 97 + (off + i) / 251) % 251);
}

long long race_first_diff(const unsigned char *a, const unsigned char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return (long long) i;
	return -1;
}

bool race_all_zero(const unsigned char *buf, size_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (buf[off + i])
			return false;
	return true;
}

/* The incore extent record at @off (libxfs_bmapi_read), under ILOCK. */
static bool race_bmap(struct xb_inode *ip, uint64_t off, struct xfs_bmbt_irec *map)
{
	struct xfs_mount *mp = ip->m->mp;
	int n = 1;
	bool ok;

	xb_lock();
	ok = ip->ip && !libxfs_bmapi_read(ip->ip, XFS_B_TO_FSBT(mp, off), 1, map, &n, 0) && n == 1;
	xb_unlock();
	return ok;
}

char race_block_state(struct xb_inode *ip, uint64_t off)
{
	struct xfs_bmbt_irec map;

	if (!race_bmap(ip, off, &map))
		return '?';
	if (map.br_startblock == HOLESTARTBLOCK)
		return 'H';
	if (map.br_startblock == DELAYSTARTBLOCK || isnullstartblock(map.br_startblock))
		return 'D';
	return map.br_state == XFS_EXT_UNWRITTEN ? 'U' : 'W';
}

uint64_t race_block_addr(struct xb_inode *ip, uint64_t off)
{
	struct xfs_mount *mp = ip->m->mp;
	struct xfs_bmbt_irec map;

	if (!race_bmap(ip, off, &map) || map.br_startblock == HOLESTARTBLOCK ||
	    map.br_startblock == DELAYSTARTBLOCK || isnullstartblock(map.br_startblock))
		return UINT64_MAX;
	/* libxfs_bmapi_read trims the record to start at @off's block */
	return BBTOB(XFS_FSB_TO_DADDR(mp, map.br_startblock)) +
	       XFS_FSB_TO_B(mp, XFS_B_TO_FSBT(mp, off) - map.br_startoff) +
	       (off & (mp->m_sb.sb_blocksize - 1));
}

uint32_t race_data_seq(struct xb_inode *ip)
{
	uint32_t seq;

	xb_lock();
	seq = ip->ip ? (uint32_t) ip->ip->i_df.if_seq : 0;
	xb_unlock();
	return seq;
}

int race_kernel_check(const char *img, const char *name, const unsigned char *expect, size_t len)
{
	char dir[] = "/tmp/xfsfuse-race-mnt.XXXXXX", cmd[600], path[700];
	unsigned char *buf;
	long long diff;
	FILE *f;
	size_t n;

	if (!mkdtemp(dir))
		return 0;
	snprintf(cmd, sizeof(cmd), "mount -o loop,ro,norecovery %s %s 2>/dev/null", img, dir);
	if (system(cmd) != 0) {
		rmdir(dir);
		return 0;
	}
	buf = calloc(1, len + 1);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	CHECK(f != NULL);
	if (f && buf) {
		n = fread(buf, 1, len + 1, f);
		CHECK_EQ(n, len);
		diff = race_first_diff(buf, expect, len);
		if (diff >= 0)
			fprintf(stderr, "kernel reads %s differently at %lld\n", name, diff);
		CHECK_EQ(diff, -1);
	}
	if (f)
		fclose(f);
	free(buf);
	snprintf(cmd, sizeof(cmd), "umount %s", dir);
	CHECK_EQ(system(cmd), 0);
	rmdir(dir);
	return 1;
}

static void *race_thread_main(void *arg)
{
	struct race_thread *t = arg;
	struct race_fs *rf = t->rf;

	switch (t->op) {
	case RACE_WRITE:
		t->ret = xf_file_write(&rf->e, t->ip, t->buf, t->len, t->off, false);
		break;
	case RACE_MMAP_STORE:
		t->ret = xf_file_write(&rf->e, t->ip, t->buf, t->len, t->off, true);
		break;
	case RACE_WRITEBACK:
		t->ret = filemap_write_and_wait_range(rf->e.bdi, xb_vfs_inode(t->ip),
						      (uint64_t) t->off,
						      (uint64_t) t->off + t->len - 1);
		break;
	case RACE_FN:
		t->ret = t->fn(t->arg);
		break;
	}
	return NULL;
}

void race_thread_start(struct race_thread *t)
{
	t->ret = -EINPROGRESS;
	if (pthread_create(&t->tid, NULL, race_thread_main, t)) {
		fprintf(stderr, "race: pthread_create failed\n");
		exit(2);
	}
	t->started = true;
}

long race_thread_join(struct race_thread *t)
{
	struct timespec ts;

	if (!t->started)
		return t->ret;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += RACE_JOIN_TIMEOUT_S;
	if (pthread_timedjoin_np(t->tid, NULL, &ts)) {
		/* A thread stuck in the engine: no later check could be trusted. */
		fprintf(stderr, "race: a thread did not finish in %d s: hang\n",
			RACE_JOIN_TIMEOUT_S);
		exit(1);
	}
	t->started = false;
	return t->ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * xfsfuse: mount an XFS v5 image read-write through libxfs and FUSE.
 *
 * Order matters so that mount(8) and scripts see every refusal:
 *   1. parse the options and create the FUSE session (unknown options fail
 *      here, before anything touches the image);
 *   2. mount the backend (a refused image prints "xfsfuse: <reason>");
 *   3. fuse_session_mount, then fuse_daemonize: only now does the parent
 *      exit 0 and the mount command return;
 *   4. session loop until umount / fusermount3 -u / SIGTERM / SIGINT;
 *   5. fuse unmount, write everything back, print the engine's counters
 *      (src/control), stop the engine, then xb_unmount, which clears the
 *      "being modified" mark.  The image's flock is held until the process
 *      exits: `flock IMAGE true` waits for a clean image.
 * A trace= file is opened before the mount (a bad path refuses it) and
 * closed last, so that the final writeback is in it.
 */
#include "control.h"
#include "fuse_ops.h"
#include "options.h"
#include "remount.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void xf_usage(const char *prog)
{
	printf("usage: %s [options] IMAGE MOUNTPOINT\n"
	       "       %s --recover IMAGE   (replay the log of a crashed mount, do not mount)\n\n"
	       "Mount the XFS filesystem in IMAGE (a file or block device) at MOUNTPOINT.\n"
	       "Options may come anywhere, so that mount -t fuse.xfsfuse works.\n\n",
	       prog, prog);
	xf_print_options_help();
	printf("FUSE options:\n");
	fuse_cmdline_help();
	fuse_lowlevel_help();
}

static void xf_version(void)
{
	printf("xfsfuse version %s\n", XFSFUSE_VERSION);
	printf("libxfs from xfsprogs 6.1.0\n");
	printf("FUSE library version %s\n", fuse_pkgversion());
	fflush(stdout);
	fuse_lowlevel_version();
}

static int xf_mount_backend(const struct xf_options *o, bool quiet, struct xf_fs *fs)
{
	struct xb_mount_opts mo = {.image = o->image, .readonly = o->readonly, .quiet = quiet};
	char why[512];
	int error;

	if (xf_log_options(o, &mo.log_interval_ms) ||
	    xf_inode_cache_option(o, &mo.inode_cache_set, &mo.inode_cache))
		return -1;
	error = xb_mount(&mo, &fs->m, why, sizeof(why));
	if (error) {
		fprintf(stderr, "xfsfuse: %s\n", why[0] ? why : strerror(-error));
		return -1;
	}
	fs->root_ino = xb_root_ino(fs->m);
	return 0;
}

static int xf_loop(struct fuse_session *se, const struct fuse_cmdline_opts *co)
{
	struct fuse_loop_config *cfg;
	int ret;

	if (co->singlethread)
		return fuse_session_loop(se);
	cfg = fuse_loop_cfg_create();
	if (!cfg)
		return -1;
	fuse_loop_cfg_set_clone_fd(cfg, co->clone_fd);
	/* libfuse 3.12+ defaults to "unlimited" idle threads: keep ~10. */
	fuse_loop_cfg_set_idle_threads(
		cfg, co->max_idle_threads == UINT_MAX ? 10 : co->max_idle_threads);
	fuse_loop_cfg_set_max_threads(cfg, co->max_threads);
	ret = fuse_session_loop_mt(se, cfg);
	fuse_loop_cfg_destroy(cfg);
	return ret;
}

/*
 * Unmount: write everything back first so that the counters include the
 * last writeback, print them while the bdi and reclaimer still exist, then
 * stop the engine.
 */
static int xf_engine_finish(struct xf_engine *e, bool foreground)
{
	if (e->running) {
		bdi_sync_all(e->bdi);
		xf_counters_print(e, foreground);
	}
	return xf_engine_stop(e);
}

/* Mounted: serve until unmounted, then write the image back. */
static int xf_serve(struct fuse_session *se, struct xf_fs *fs, const struct fuse_cmdline_opts *co,
		    const struct xf_control_opts *copts)
{
	int ret, error;

	if (fuse_daemonize(co->foreground) != 0) {
		fuse_session_unmount(se);
		ret = 1;
		goto out_unmount;
	}
	if (!co->foreground)
		xf_log_to_syslog();
	/* Threads do not survive fuse_daemonize's fork: start the engine now. */
	error = xf_engine_start(&fs->engine, fs->m);
	if (error) {
		xf_log("cannot start the page cache engine: %s", strerror(-error));
		fuse_session_unmount(se);
		ret = 1;
		goto out_unmount;
	}
	xf_control_start(&fs->engine, copts);
	/* > 0: the signal that stopped us (a clean exit); < 0: an error */
	ret = xf_loop(se, co) < 0 ? 1 : 0;
	fuse_session_unmount(se);
out_unmount:
	fuse_remove_signal_handlers(se);
	fuse_session_destroy(se);
	/* Write back all data, stop flusher, completion worker and reclaim. */
	error = xf_engine_finish(&fs->engine, co->foreground);
	xf_control_stop();
	if (error) {
		xf_log("writeback at unmount: %s", strerror(-error));
		ret = 1;
	}
	error = xb_unmount(fs->m);
	xf_engine_destroy(&fs->engine);
	if (error) {
		xf_log("unmount: %s; the next mount replays the log (or: xfsfuse --recover IMAGE)",
		       strerror(-error));
		ret = 1;
	}
	return ret;
}

/*
 * xfsfuse --recover IMAGE: replay the log a crashed read-write mount left
 * (doc/log.md), leave the image clean, do not mount.
 */
static int xf_recover(const char *image)
{
	uint64_t nbufs = 0;
	char why[512];
	int error = xb_recover(image, true, &nbufs, why, sizeof(why));

	if (error) {
		fprintf(stderr, "xfsfuse: %s\n", why[0] ? why : strerror(-error));
		return 1;
	}
	printf("xfsfuse: %s: %s\n", image,
	       nbufs ? "log replayed, image clean" : "log was clean, nothing to replay");
	if (nbufs)
		printf("xfsfuse: %llu buffers replayed\n", (unsigned long long) nbufs);
	return 0;
}

/*
 * Two malloc arenas, not glibc's eight per core: every FUSE worker thread
 * otherwise gets an arena of its own whose freed memory stays resident
 * (issue 10's memory target).  Measured on 4 cycles of 20,000 files created
 * and removed: 91 MiB RSS with the default, 68 MiB with two, for the same
 * 35 MB in use (doc/performance.md, "Memory").  Folio data does not come from
 * malloc (src/pagecache/folio_pool.c).  MALLOC_ARENA_MAX still overrides.
 */
static void xf_malloc_policy(void)
{
	if (!getenv("MALLOC_ARENA_MAX"))
		mallopt(M_ARENA_MAX, 2);
}

int main(int argc, char *argv[])
{
	struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
	struct fuse_cmdline_opts co = {0};
	struct xf_control_opts copts;
	struct xf_fs fs = {0};
	struct fuse_session *se;
	struct xf_options o;
	int ret = 1, error;

	xf_malloc_policy();
	if (argc == 3 && !strcmp(argv[1], "--recover"))
		return xf_recover(argv[2]);
	if (xf_is_remount(argc, argv))
		return xf_remount(argc, argv);
	if (xf_parse_options(&args, &o) || fuse_parse_cmdline(&args, &co))
		goto out_args;
	if (co.show_help) {
		xf_usage(argv[0]);
		ret = 0;
		goto out_args;
	}
	if (co.show_version) {
		xf_version();
		ret = 0;
		goto out_args;
	}
	if (!o.image || !co.mountpoint) {
		fprintf(stderr, "xfsfuse: missing %s (usage: xfsfuse [options] IMAGE MOUNTPOINT)\n",
			o.image ? "MOUNTPOINT" : "IMAGE and MOUNTPOINT");
		goto out_args;
	}
	fs.cache_none = o.cache_none;
	fs.direct_io_buffered = o.direct_io_buffered;
	fs.io_uring = o.io_uring;
	fs.writeback_cache = o.writeback_cache;
	if (xf_engine_options(&o, &fs.engine.opts) || xf_control_options(&o, &copts) ||
	    xf_cache_options(&o, &fs.attr_timeout, &fs.entry_timeout))
		goto out_args;
	fs.debug = co.debug;
	fs.conn_opts = fuse_parse_conn_info_opts(&args);
	if (!fs.conn_opts)
		goto out_args;

	se = fuse_session_new(&args, &xf_ops, sizeof(xf_ops), &fs);
	fs.se = se;
	xf_fs_init_hooks(&fs);
	if (!se) {
		fprintf(stderr, "xfsfuse: see xfsfuse --help\n");
		goto out_conn;
	}
	if (xf_mount_backend(&o, !co.debug, &fs))
		goto out_session;
	error = xf_control_init(&copts, co.mountpoint);
	if (error) {
		fprintf(stderr, "xfsfuse: -o trace=%s: %s\n", copts.trace,
			error == -EINVAL ? "not inside the mount point" : strerror(-error));
		goto out_backend;
	}
	if (fuse_set_signal_handlers(se) != 0)
		goto out_control;
	if (fuse_session_mount(se, co.mountpoint) != 0) {
		fuse_remove_signal_handlers(se);
		goto out_control;
	}
	ret = xf_serve(se, &fs, &co, &copts); /* consumes se and the backend */
	goto out_conn;

out_control:
	xf_control_stop();
out_backend:
	xb_unmount(fs.m);
out_session:
	fuse_session_destroy(se);
out_conn:
	free(fs.conn_opts);
out_args:
	free(co.mountpoint);
	xf_free_options(&o);
	fuse_opt_free_args(&args);
	return ret;
}

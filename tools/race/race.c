// SPDX-License-Identifier: GPL-2.0
/*
 * xfsfuse-race: the 2022 stale-iomap corruption, end to end, on a fresh
 * image (doc/race.md).
 *
 *   xfsfuse-race --mode=merged|rfc|none --seconds N [--workload=unwritten|delalloc|mmap] [--keep]
 *
 * mkfs.xfs (1 KiB blocks) -> mount with xfsfuse (4 KiB folios, aggressive
 * reclaim, 1 ms writeback, injected delays) -> the stress workload, every
 * byte checked as it goes -> the engine's counters -> unmount (the daemon
 * exits) -> remount and check every recorded byte again -> unmount ->
 * xfs_repair -n.  The last line is always
 *
 *   race: corrupt_blocks=N checked_bytes=M stale_iomaps=K repair=clean|dirty
 *
 * Exit status: 0 when the run worked (corruption with --validate=off or
 * --punch=legacy is the expected result), 1 when both fixes were on
 * (validation, safe punch) and data was corrupted, or the image needs
 * repair, or I/O failed; 2 when the run itself could not be made.
 */
#include "stress.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

/* short_copy_at for the mmap workload: inside the first file's extent, unaligned */
#define RACE_SHORT_COPY_AT (1048576 + 1000)

struct race_opts {
	bool validate;
	double seconds;
	enum stress_workload workload;
	bool keep, legacy_punch, no_delays, stop_at_first, quiet;
	const char *mode;	/* --mode=none|merged|rfc (stale_remedy=), or NULL */
	const char *xfsfuse;	/* the daemon binary */
	const char *work;	/* work directory (default: mkdtemp) */
	const char *extra_opts; /* more -o options for the daemon */
	const char *trace;	/* trace=PATH for the daemon */
	unsigned int block_size, folio_kib, delay_ms, pairs;
	uint64_t image_size, seed;
	int verbose;
};

struct race_run {
	const struct race_opts *o;
	char work[PATH_MAX], img[PATH_MAX + 16], mnt[PATH_MAX + 16], log[PATH_MAX + 16];
	char xfsfuse[PATH_MAX + 64];
	bool made_work;
	pid_t daemon;
	bool has_inject; /* the daemon knows inject_*_delay_ms */
	uint64_t stale_xattr, stale_unmount;
	bool have_xattr, have_unmount;
	/* stale_remedy=rfc's bookkeeping at the first unmount (doc/race.md) */
	uint64_t kept, kept_reclaimed, new_inherited;
	char counters[8192]; /* last xfsfuse.counters read */
};

static struct race_run *race_current; /* for the signal handler */

static void say(const struct race_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (o->quiet)
		return;
	va_start(ap, fmt);
	fputs("race: ", stdout);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* ---- running programs ---- */

/* fork + exec, stdout/stderr to @out (or inherited); returns the exit status or -1. */
static int run_prog(const char *out, char *const argv[])
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (out) {
			int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);

			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
				close(fd);
			}
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The daemon: --xfsfuse, else next to us (build tree or install), else PATH. */
static int find_xfsfuse(struct race_run *rr, const char *argv0)
{
	char self[PATH_MAX], cand[PATH_MAX + 32];
	ssize_t n;

	if (rr->o->xfsfuse) {
		snprintf(rr->xfsfuse, sizeof(rr->xfsfuse), "%s", rr->o->xfsfuse);
		return access(rr->xfsfuse, X_OK) ? -errno : 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		dirname(self);
		const char *rel[] = {"xfsfuse", "../src/xfsfuse"};

		for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			snprintf(cand, sizeof(cand), "%s/%s", self, rel[i]);
			if (!access(cand, X_OK)) {
				snprintf(rr->xfsfuse, sizeof(rr->xfsfuse), "%s", cand);
				return 0;
			}
		}
	}
	(void) argv0;
	snprintf(rr->xfsfuse, sizeof(rr->xfsfuse), "xfsfuse"); /* PATH */
	return 0;
}

/* Does `xfsfuse --help` mention @word? (the injection options came later) */
static bool daemon_knows(struct race_run *rr, const char *word)
{
	char out[PATH_MAX + 32], line[512];
	char *argv[] = {rr->xfsfuse, "--help", NULL};
	bool found = false;
	FILE *f;

	snprintf(out, sizeof(out), "%s/help.txt", rr->work);
	unlink(out);
	run_prog(out, argv);
	f = fopen(out, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = strstr(line, word) != NULL;
	fclose(f);
	return found;
}

/* ---- the image and the mount ---- */

static int make_image(struct race_run *rr)
{
	const struct race_opts *o = rr->o;
	char bsopt[32], log[PATH_MAX + 32];
	int fd = open(rr->img, O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, (off_t) o->image_size)) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	close(fd);
	snprintf(bsopt, sizeof(bsopt), "size=%u", o->block_size);
	snprintf(log, sizeof(log), "%s/mkfs.log", rr->work);
	char *argv[] = {"mkfs.xfs", "-q", "-f", "-b", bsopt, rr->img, NULL};

	return run_prog(log, argv) == 0 ? 0 : -EIO;
}

static bool is_mounted(const char *mnt)
{
	struct stat a, b;
	char parent[PATH_MAX + 8];

	snprintf(parent, sizeof(parent), "%s/..", mnt);
	if (stat(mnt, &a) || stat(parent, &b))
		return false;
	return a.st_dev != b.st_dev;
}

/* The -o string: the race knobs, per workload and switch. */
static void mount_opts(struct race_run *rr, bool first, char *buf, size_t len)
{
	const struct race_opts *o = rr->o;
	size_t n;

	if (o->mode) /* the three switches in one (the daemon checks the name) */
		n = (size_t) snprintf(buf, len, "stale_remedy=%s,", o->mode);
	else
		n = (size_t) snprintf(buf, len, "iomap_validate=%s,delalloc_punch=%s,",
				      o->validate ? "on" : "off",
				      o->legacy_punch ? "legacy" : "safe");
	n += (size_t) snprintf(buf + n, len - n,
			       "folio_size=%uk,reclaim=aggressive,writeback_interval=1,"
			       "dirty_expire=1,cache=%s",
			       o->folio_kib, o->workload == WL_MMAP ? "kernel" : "none");
	/* mmap: writer B's O_DIRECT write is a short buffered write in the daemon
	 * (FOPEN_DIRECT_IO only keeps the kernel's cache out of its way). */
	if (o->workload == WL_MMAP)
		n += (size_t) snprintf(buf + n, len - n, ",direct_io=buffered");
	/* The second mount only reads back: no delays, no injected errors. */
	if (first && rr->has_inject && !o->no_delays) {
		if (o->workload == WL_MMAP)
			n += (size_t) snprintf(buf + n, len - n,
					       ",inject_write_delay_ms=%u,short_copy_at=%d",
					       o->delay_ms, RACE_SHORT_COPY_AT);
		else
			n += (size_t) snprintf(
				buf + n, len - n,
				",inject_write_delay_ms=%u,inject_folio_delay_ms=1,inject_jitter=1",
				o->delay_ms);
	} else if (first && o->workload == WL_MMAP) {
		n += (size_t) snprintf(buf + n, len - n, ",short_copy_at=%d", RACE_SHORT_COPY_AT);
	}
	if (first && o->trace)
		n += (size_t) snprintf(buf + n, len - n, ",trace=%s", o->trace);
	if (o->extra_opts && *o->extra_opts)
		snprintf(buf + n, len - n, ",%s", o->extra_opts);
}

static int mount_fs(struct race_run *rr, bool first)
{
	char opts[1024];
	int i;

	mount_opts(rr, first, opts, sizeof(opts));
	if (rr->o->verbose)
		say(rr->o, "mount -o %s\n", opts);
	rr->daemon = fork();
	if (rr->daemon < 0)
		return -errno;
	if (rr->daemon == 0) {
		int fd = open(rr->log, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execlp(rr->xfsfuse, rr->xfsfuse, "-f", "-o", opts, rr->img, rr->mnt, (char *) NULL);
		_exit(127);
	}
	for (i = 0; i < 200; i++) {
		int status;

		if (is_mounted(rr->mnt))
			return 0;
		if (waitpid(rr->daemon, &status, WNOHANG) == rr->daemon) {
			rr->daemon = 0;
			fprintf(stderr, "race: xfsfuse exited before mounting; see %s\n", rr->log);
			return -EIO;
		}
		usleep(50000);
	}
	fprintf(stderr, "race: %s did not mount in 10 s\n", rr->mnt);
	return -ETIMEDOUT;
}

/* Unmount and wait for the daemon: it writes everything back before exiting. */
static int unmount_fs(struct race_run *rr)
{
	int status, i;

	for (i = 0; i < 100 && is_mounted(rr->mnt); i++) {
		if (!umount2(rr->mnt, 0))
			break;
		if (errno != EBUSY)
			break;
		usleep(100000);
	}
	if (is_mounted(rr->mnt) && umount2(rr->mnt, MNT_DETACH))
		fprintf(stderr, "race: umount %s: %s\n", rr->mnt, strerror(errno));
	if (rr->daemon <= 0)
		return -EIO;
	while (waitpid(rr->daemon, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	rr->daemon = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "race: xfsfuse did not exit cleanly (status %#x); see %s\n", status,
			rr->log);
		return -EIO;
	}
	return 0;
}

/* ---- counters ---- */

/* "stale_iomaps 12" (or "stale_iomaps=12", "stale_iomaps: 12") in @text */
static bool find_counter(const char *text, const char *name, uint64_t *v)
{
	const char *p = text;
	size_t n = strlen(name);

	while ((p = strstr(p, name))) {
		const char *q = p + n;

		if ((p == text || p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\t' || p[-1] == ',') &&
		    (*q == ' ' || *q == '=' || *q == ':' || *q == '\t')) {
			while (*q == ' ' || *q == '=' || *q == ':' || *q == '\t')
				q++;
			if (*q >= '0' && *q <= '9') {
				*v = strtoull(q, NULL, 10);
				return true;
			}
		}
		p = q;
	}
	return false;
}

static void read_counters_xattr(struct race_run *rr)
{
	ssize_t n = getxattr(rr->mnt, "xfsfuse.counters", rr->counters, sizeof(rr->counters) - 1);

	if (n < 0) {
		rr->counters[0] = 0;
		return;
	}
	rr->counters[n] = 0;
	rr->have_xattr = find_counter(rr->counters, "stale_iomaps", &rr->stale_xattr);
}

/* The daemon's unmount report, the last "stale_iomaps" in its log. */
static void read_counters_log(struct race_run *rr)
{
	char *text;
	long size;
	FILE *f = fopen(rr->log, "r");
	const char *p, *last = NULL;

	if (!f)
		return;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t) size + 1);
	if (text && fread(text, 1, (size_t) size, f) == (size_t) size) {
		for (p = text; (p = strstr(p, "stale_iomaps")); p++)
			last = p;
		if (last) {
			rr->have_unmount = find_counter(last, "stale_iomaps", &rr->stale_unmount);
			find_counter(last, "stale_kept_blocks", &rr->kept);
			find_counter(last, "stale_kept_reclaimed_blocks", &rr->kept_reclaimed);
			find_counter(last, "stale_new_inherited", &rr->new_inherited);
		}
	}
	free(text);
	fclose(f);
}

/* ---- the phases ---- */

static void stress_opts_for(const struct race_run *rr, struct stress_opts *so)
{
	const struct race_opts *o = rr->o;

	stress_default_opts(so);
	so->dir = rr->mnt;
	so->workload = o->workload;
	so->seconds = o->seconds;
	so->block_size = o->block_size;
	so->pairs = o->pairs;
	so->seed = o->seed;
	so->stop_at_first = o->stop_at_first;
	so->verbose = o->verbose;
	so->log = stdout;
	if (o->workload == WL_MMAP) {
		so->short_copy_at = RACE_SHORT_COPY_AT;
		so->file_size = 2 << 20;
		so->mmap_delay_us = o->delay_ms * 1000 * 3 / 4;
	}
}

struct race_totals {
	struct stress_result online, remount;
	uint64_t corrupt_blocks, checked_bytes;
	bool repair_clean;
	bool broke; /* something other than corruption failed */
};

static int phase_run(struct race_run *rr, struct stress_manifest *m, struct race_totals *t)
{
	struct stress_opts so;
	int error;

	stress_opts_for(rr, &so);
	say(rr->o, "stress: workload=%s validate=%s for %.0f s on %s\n",
	    stress_workload_name(rr->o->workload), rr->o->validate ? "on" : "off", rr->o->seconds,
	    rr->mnt);
	error = stress_run(&so, m, &t->online);
	if (error) {
		fprintf(stderr, "race: stress: %s\n", strerror(-error));
		return error;
	}
	say(rr->o,
	    "online: rounds=%lu corrupt_blocks=%lu checked_bytes=%lu first_corruption_s=%.3f "
	    "short_writes=%lu errors=%lu\n",
	    (unsigned long) t->online.rounds, (unsigned long) t->online.corrupt_blocks,
	    (unsigned long) t->online.checked_bytes, t->online.first_corruption_s,
	    (unsigned long) t->online.short_writes, (unsigned long) t->online.errors);
	read_counters_xattr(rr);
	if (rr->counters[0] && rr->o->verbose)
		printf("%s", rr->counters);
	return 0;
}

static int phase_recheck(struct race_run *rr, struct stress_manifest *m, struct race_totals *t)
{
	struct stress_opts so;
	uint64_t kept_online = 0;
	size_t i;
	int error;

	stress_opts_for(rr, &so);
	error = stress_verify(&so, m, &t->remount);
	if (error)
		return error;
	/*
	 * Each block counted once: the rounds whose files were rotated away
	 * count as the online check saw them, the kept ones as the worse of
	 * the two looks.
	 */
	for (i = 0; i < m->nr; i++)
		kept_online += m->r[i].corrupt;
	t->corrupt_blocks = t->online.corrupt_blocks - kept_online + t->remount.corrupt_union;
	t->checked_bytes = t->online.checked_bytes + t->remount.checked_bytes;
	say(rr->o, "after remount: rounds=%lu corrupt_blocks=%lu checked_bytes=%lu errors=%lu\n",
	    (unsigned long) t->remount.rounds, (unsigned long) t->remount.corrupt_blocks,
	    (unsigned long) t->remount.checked_bytes, (unsigned long) t->remount.errors);
	return 0;
}

static bool repair_clean(struct race_run *rr)
{
	char log[PATH_MAX + 32];
	char *argv[] = {"xfs_repair", "-n", rr->img, NULL};

	snprintf(log, sizeof(log), "%s/repair.log", rr->work);
	return run_prog(log, argv) == 0;
}

static int setup(struct race_run *rr, const char *argv0)
{
	int error;

	if (rr->o->work) {
		snprintf(rr->work, sizeof(rr->work), "%s", rr->o->work);
		if (mkdir(rr->work, 0755) && errno != EEXIST)
			return -errno;
	} else {
		snprintf(rr->work, sizeof(rr->work), "/tmp/xfsfuse-race-XXXXXX");
		if (!mkdtemp(rr->work))
			return -errno;
		rr->made_work = true;
	}
	snprintf(rr->img, sizeof(rr->img), "%s/race.img", rr->work);
	snprintf(rr->mnt, sizeof(rr->mnt), "%s/mnt", rr->work);
	snprintf(rr->log, sizeof(rr->log), "%s/xfsfuse.log", rr->work);
	unlink(rr->log);
	if (mkdir(rr->mnt, 0755) && errno != EEXIST)
		return -errno;
	error = find_xfsfuse(rr, argv0);
	if (error) {
		fprintf(stderr, "race: %s: %s\n", rr->xfsfuse, strerror(-error));
		return error;
	}
	rr->has_inject = daemon_knows(rr, "inject_write_delay_ms");
	if (!rr->has_inject)
		say(rr->o,
		    "note: %s has no inject_*_delay_ms options: running without injected delays\n",
		    rr->xfsfuse);
	error = make_image(rr);
	if (error)
		fprintf(stderr, "race: mkfs.xfs failed; see %s/mkfs.log\n", rr->work);
	return error;
}

static void cleanup(struct race_run *rr)
{
	char *argv[] = {"rm", "-rf", rr->work, NULL};

	if (is_mounted(rr->mnt))
		unmount_fs(rr);
	if (!rr->o->keep && rr->made_work)
		run_prog(NULL, argv);
	else
		say(rr->o, "kept %s (image race.img, daemon log xfsfuse.log)\n", rr->work);
}

static void on_signal(int sig)
{
	struct race_run *rr = race_current;

	if (rr && rr->mnt[0])
		umount2(rr->mnt, MNT_DETACH);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Mount, stress, counters, unmount; remount, recheck, unmount; repair. */
static int race(struct race_run *rr, struct race_totals *t)
{
	struct stress_manifest m;
	int error;

	stress_manifest_init(&m);
	error = mount_fs(rr, true);
	if (error)
		goto out;
	error = phase_run(rr, &m, t);
	if (unmount_fs(rr))
		t->broke = true;
	read_counters_log(rr);
	if (error)
		goto out;
	error = mount_fs(rr, false);
	if (error)
		goto out;
	error = phase_recheck(rr, &m, t);
	if (unmount_fs(rr))
		t->broke = true;
	if (error)
		goto out;
	t->repair_clean = repair_clean(rr);
	if (!t->repair_clean)
		say(rr->o, "xfs_repair -n found problems: see %s/repair.log\n", rr->work);
out:
	stress_manifest_free(&m);
	return error;
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xfsfuse-race --validate=on|off --seconds N "
		"[--workload=unwritten|delalloc|mmap] [--keep]\n"
		"  --mode=merged|rfc|none  stale_remedy: Linux 6.2's fix (default), the Sept. "
		"2022 RFC's,\n"
		"                        or none (the 2022 bug); doc/race.md\n"
		"  --validate=on|off     iomap_validate alone (on: the Linux 6.2 fix; off: the "
		"2022 bug)\n"
		"  --seconds N           stress time (default 30)\n"
		"  --workload=W          unwritten (default), delalloc, or mmap (generic/346 "
		"style)\n"
		"  --punch=safe|legacy   delalloc_punch (default safe)\n"
		"  --keep                keep the work directory (image, logs)\n"
		"  --work DIR            work directory (default: a new /tmp/xfsfuse-race-*)\n"
		"  --xfsfuse PATH        the daemon (default: next to this program, else PATH)\n"
		"  --block-size N        filesystem block size (default 1024)\n"
		"  --folio-size KIB      page cache folio size in KiB: 4, 16, 64 (default 4)\n"
		"  --delay-ms N          inject_write_delay_ms (default 4; mmap 6)\n"
		"  --no-delays           no injected delays\n"
		"  --pairs N             writer pairs (default 2)\n"
		"  --seed N              workload seed (default: time)\n"
		"  --trace PATH          the daemon's event trace (trace=PATH)\n"
		"  -o OPTS               more xfsfuse options\n"
		"  --stop-at-first       stop at the first corruption (time-to-corruption runs)\n"
		"  -v                    each corrupt block, mount options, counters\n"
		"  -q                    only the last line\n");
}

enum {
	OPT_VALIDATE = 256,
	OPT_SECONDS,
	OPT_WORKLOAD,
	OPT_PUNCH,
	OPT_KEEP,
	OPT_WORK,
	OPT_XFSFUSE,
	OPT_BS,
	OPT_FOLIO,
	OPT_DELAY,
	OPT_NO_DELAYS,
	OPT_PAIRS,
	OPT_SEED,
	OPT_TRACE,
	OPT_STOP_FIRST,
	OPT_MODE,
};

static const struct option long_opts[] = {
	{"validate", required_argument, NULL, OPT_VALIDATE},
	{"seconds", required_argument, NULL, OPT_SECONDS},
	{"workload", required_argument, NULL, OPT_WORKLOAD},
	{"punch", required_argument, NULL, OPT_PUNCH},
	{"keep", no_argument, NULL, OPT_KEEP},
	{"work", required_argument, NULL, OPT_WORK},
	{"xfsfuse", required_argument, NULL, OPT_XFSFUSE},
	{"block-size", required_argument, NULL, OPT_BS},
	{"folio-size", required_argument, NULL, OPT_FOLIO},
	{"delay-ms", required_argument, NULL, OPT_DELAY},
	{"no-delays", no_argument, NULL, OPT_NO_DELAYS},
	{"pairs", required_argument, NULL, OPT_PAIRS},
	{"seed", required_argument, NULL, OPT_SEED},
	{"trace", required_argument, NULL, OPT_TRACE},
	{"stop-at-first", no_argument, NULL, OPT_STOP_FIRST},
	{"mode", required_argument, NULL, OPT_MODE},
	{"stale-remedy", required_argument, NULL, OPT_MODE},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static int parse_onoff(const char *name, const char *v, const char *yes, const char *no, bool *out)
{
	if (!strcmp(v, yes))
		*out = true;
	else if (!strcmp(v, no))
		*out = false;
	else {
		fprintf(stderr, "xfsfuse-race: --%s=%s: expected %s or %s\n", name, v, yes, no);
		return -1;
	}
	return 0;
}

/* --mode: the same three switches as the daemon's stale_remedy= (src/iomap/remedy.c). */
static int parse_mode(struct race_opts *o, const char *arg)
{
	if (!strcmp(arg, "none")) {
		o->validate = false;
		o->legacy_punch = true;
	} else if (!strcmp(arg, "merged")) {
		o->validate = true;
		o->legacy_punch = false;
	} else if (!strcmp(arg, "rfc")) {
		o->validate = true;
		o->legacy_punch = true;
	} else {
		fprintf(stderr, "xfsfuse-race: --mode=%s: expected merged, rfc or none\n", arg);
		return -1;
	}
	o->mode = arg;
	return 0;
}

static int parse_one(struct race_opts *o, int ch, const char *arg)
{
	switch (ch) {
	case OPT_VALIDATE:
		return parse_onoff("validate", arg, "on", "off", &o->validate);
	case OPT_PUNCH:
		return parse_onoff("punch", arg, "legacy", "safe", &o->legacy_punch);
	case OPT_MODE:
		return parse_mode(o, arg);
	case OPT_WORKLOAD:
		if (stress_parse_workload(arg, &o->workload)) {
			fprintf(stderr, "xfsfuse-race: unknown workload %s\n", arg);
			return -1;
		}
		return 0;
	case OPT_SECONDS:
		o->seconds = atof(arg);
		return o->seconds > 0 ? 0 : -1;
	case OPT_KEEP:
		o->keep = true;
		return 0;
	case OPT_WORK:
		o->work = arg;
		return 0;
	case OPT_XFSFUSE:
		o->xfsfuse = arg;
		return 0;
	case OPT_BS:
		o->block_size = (unsigned int) strtoul(arg, NULL, 0);
		return 0;
	case OPT_FOLIO:
		o->folio_kib = (unsigned int) strtoul(arg, NULL, 0);
		return 0;
	case OPT_DELAY:
		o->delay_ms = (unsigned int) strtoul(arg, NULL, 0);
		return 0;
	case OPT_NO_DELAYS:
		o->no_delays = true;
		return 0;
	case OPT_PAIRS:
		o->pairs = (unsigned int) strtoul(arg, NULL, 0);
		return 0;
	case OPT_SEED:
		o->seed = strtoull(arg, NULL, 0);
		return 0;
	case OPT_TRACE:
		o->trace = arg;
		return 0;
	case OPT_STOP_FIRST:
		o->stop_at_first = true;
		return 0;
	case 'o':
		o->extra_opts = arg;
		return 0;
	case 'v':
		o->verbose++;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	case 'h':
		usage(stdout);
		exit(0);
	default:
		return -1;
	}
}

static int parse(int argc, char **argv, struct race_opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->validate = true;
	o->seconds = 30;
	o->block_size = 1024;
	o->folio_kib = 4;
	o->pairs = 2;
	o->image_size = 1ull << 30;
	o->seed = (uint64_t) time(NULL);
	while ((ch = getopt_long(argc, argv, "o:vqh", long_opts, NULL)) != -1)
		if (parse_one(o, ch, optarg)) {
			usage(stderr);
			return -1;
		}
	if (optind != argc) {
		usage(stderr);
		return -1;
	}
	if (!o->delay_ms)
		o->delay_ms = o->workload == WL_MMAP ? 6 : 4;
	return 0;
}

int main(int argc, char **argv)
{
	struct race_opts o;
	struct race_run rr;
	struct race_totals t;
	uint64_t stale;
	int error, status;

	if (parse(argc, argv, &o))
		return 2;
	memset(&rr, 0, sizeof(rr));
	memset(&t, 0, sizeof(t));
	rr.o = &o;
	race_current = &rr;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);

	error = setup(&rr, argv[0]);
	if (!error)
		error = race(&rr, &t);
	cleanup(&rr);
	if (error) {
		fprintf(stderr, "race: the run failed: %s\n", strerror(-error));
		return 2;
	}

	stale = rr.have_xattr ? rr.stale_xattr : 0;
	if (rr.have_unmount && rr.stale_unmount > stale)
		stale = rr.stale_unmount;
	status = 0;
	/* corruption is a failure only when both fixes were on */
	if (o.validate && !o.legacy_punch && t.corrupt_blocks)
		status = 1;
	if (!t.repair_clean || t.broke || t.online.errors || t.remount.errors)
		status = 1;
	printf("race: corrupt_blocks=%lu checked_bytes=%lu stale_iomaps=%lu repair=%s",
	       (unsigned long) t.corrupt_blocks, (unsigned long) t.checked_bytes,
	       (unsigned long) stale, t.repair_clean ? "clean" : "dirty");
	if (o.mode && !strcmp(o.mode, "rfc"))
		printf(" stale_kept_blocks=%lu kept_reclaimed_blocks=%lu new_inherited=%lu",
		       (unsigned long) rr.kept, (unsigned long) rr.kept_reclaimed,
		       (unsigned long) rr.new_inherited);
	printf("\n");
	return status;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * xfsfuse-mkimage: make a reproducible XFS test image in one step.
 *
 *   xfsfuse-mkimage [options] IMAGE [SPEC]        mkfs.xfs + populate via our backend
 *   xfsfuse-mkimage --verify [options] DIR SPEC   check a mounted tree
 *   xfsfuse-mkimage --populate [options] DIR SPEC build the tree with syscalls
 *
 * The image is made under a temporary name next to IMAGE and renamed into
 * place only when complete, so a failure (or a signal, or a libxfs assert)
 * never leaves a half-made image that looks valid.  See doc/mkimage.md.
 */
#include "mkimage.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_TIME 1700000000 /* 2023-11-14T22:13:20Z */
#define MAX_ARGS     128

enum mode { MODE_BUILD, MODE_VERIFY, MODE_POPULATE };

struct opts {
	enum mode mode;
	uint64_t size;
	unsigned int block_size, sector_size, ag_count;
	const char *features;
	const char *mkfs_opts[32];
	int nmkfs_opts;
	const char *mkfs;
	bool force, quiet, keep_failed;
	bool has_owner; /* --owner: the root directory's uid and gid */
	uint32_t owner_uid, owner_gid;
	struct verify_opts vo;
};

static char tmp_image[4096]; /* removed by the signal handler */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xfsfuse-mkimage [options] IMAGE [SPEC]\n"
		"       xfsfuse-mkimage --verify [--seed N] [--time T] DIR SPEC\n"
		"       xfsfuse-mkimage --populate [--seed N] [--time T] DIR SPEC\n"
		"\n"
		"Image options:\n"
		"  --size SIZE          image size (default 512M; mkfs.xfs needs >= 300M)\n"
		"  --block-size N       filesystem block size (1024, 2048, 4096, ...)\n"
		"  --sector-size N      sector size (512, 4096)\n"
		"  --ag-count N         allocation groups\n"
		"  --features LIST      mkfs features, e.g. reflink=0,rmapbt=1,sparse=0,ftype=1\n"
		"  --mkfs-opt STR       extra mkfs.xfs arguments, e.g. \"-m reflink=0\" "
		"(repeatable)\n"
		"  --mkfs PROGRAM       mkfs program (default mkfs.xfs, or $XFSFUSE_MKFS)\n"
		"  --owner UID:GID      the root directory belongs to UID:GID (e.g. $(id -u):$(id "
		"-g):\n"
		"                       a user can then mount and fill the image without root)\n"
		"  --force              replace IMAGE if it exists\n"
		"  --keep-failed        on failure keep the partial image as IMAGE.failed\n"
		"Contents:\n"
		"  --seed N             seed of file contents (default 0)\n"
		"  --time SEC[.NS]|now  every atime/mtime/ctime (default %d; now: leave them)\n"
		"Verify options:\n"
		"  --allow-extra        ignore entries and xattrs the spec does not name\n"
		"  --no-times           do not compare mtimes\n"
		"  --max-reports N      print at most N mismatches (default 100)\n"
		"  -q, --quiet          no progress messages\n",
		DEFAULT_TIME);
}

static void on_signal(int sig)
{
	if (tmp_image[0])
		unlink(tmp_image);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_signals(void)
{
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGABRT, SIGSEGV, SIGBUS};
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], on_signal);
}

/* ---- mkfs.xfs command line ---- */

struct argv {
	char *v[MAX_ARGS + 1];
	int n;
};

static int add_arg(struct argv *a, const char *s)
{
	if (a->n == MAX_ARGS) {
		fprintf(stderr, "xfsfuse-mkimage: too many mkfs arguments\n");
		return -1;
	}
	a->v[a->n++] = strdup(s);
	a->v[a->n] = NULL;
	return a->v[a->n - 1] ? 0 : -1;
}

/* Which mkfs.xfs section (-m, -i, -n) each feature belongs to. */
static char feature_section(const char *name, size_t len)
{
	static const struct {
		const char *name;
		char sect;
	} map[] = {
		{"crc", 'm'},	  {"finobt", 'm'},     {"uuid", 'm'},	     {"rmapbt", 'm'},
		{"reflink", 'm'}, {"inobtcount", 'm'}, {"bigtime", 'm'},     {"sparse", 'i'},
		{"nrext64", 'i'}, {"attr", 'i'},       {"projid32bit", 'i'}, {"align", 'i'},
		{"maxpct", 'i'},  {"size", 'i'},       {"perblock", 'i'},    {"ftype", 'n'},
		{"version", 'n'},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strlen(map[i].name) == len && !strncmp(map[i].name, name, len))
			return map[i].sect;
	return 0;
}

static int add_features(struct argv *a, const char *list)
{
	static const char sections[] = "min";
	char buf[3][512] = {"", "", ""};
	const char *p = list;
	int i;

	while (*p) {
		const char *e = strchrnul(p, ','), *eq = memchr(p, '=', e - p);
		size_t namelen = eq ? (size_t) (eq - p) : (size_t) (e - p);
		char sect = feature_section(p, namelen);
		char *b;

		if (!sect) {
			fprintf(stderr,
				"xfsfuse-mkimage: unknown feature \"%.*s\" (known: crc finobt "
				"uuid rmapbt reflink inobtcount bigtime sparse nrext64 attr "
				"projid32bit "
				"align maxpct size perblock ftype version)\n",
				(int) namelen, p);
			return -1;
		}
		b = buf[strchr(sections, sect) - sections];
		if (strlen(b) + (e - p) + 2 > sizeof(buf[0]))
			return -1;
		if (*b)
			strcat(b, ",");
		strncat(b, p, e - p);
		p = *e ? e + 1 : e;
	}
	for (i = 0; i < 3; i++) {
		char flag[3] = {'-', sections[i], '\0'};

		if (buf[i][0] && (add_arg(a, flag) || add_arg(a, buf[i])))
			return -1;
	}
	return 0;
}

static int mkfs_argv(const struct opts *o, const char *image, struct argv *a)
{
	char buf[64];
	int i;

	a->n = 0;
	if (add_arg(a, o->mkfs) || add_arg(a, "-f") || add_arg(a, "-q"))
		return -1;
	if (o->block_size) {
		snprintf(buf, sizeof(buf), "size=%u", o->block_size);
		if (add_arg(a, "-b") || add_arg(a, buf))
			return -1;
	}
	if (o->sector_size) {
		snprintf(buf, sizeof(buf), "size=%u", o->sector_size);
		if (add_arg(a, "-s") || add_arg(a, buf))
			return -1;
	}
	if (o->ag_count) {
		snprintf(buf, sizeof(buf), "agcount=%u", o->ag_count);
		if (add_arg(a, "-d") || add_arg(a, buf))
			return -1;
	}
	if (o->features && add_features(a, o->features))
		return -1;
	for (i = 0; i < o->nmkfs_opts; i++) {
		char *copy = strdup(o->mkfs_opts[i]), *save = NULL, *t;
		int error = 0;

		for (t = strtok_r(copy, " \t", &save); t && !error;
		     t = strtok_r(NULL, " \t", &save))
			error = add_arg(a, t);
		free(copy);
		if (error)
			return -1;
	}
	return add_arg(a, image);
}

static void free_argv(struct argv *a)
{
	int i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

/* fork + exec, no shell: arguments reach mkfs.xfs exactly as given. */
static int run_mkfs(const struct opts *o, const char *image)
{
	struct argv a = {0};
	int status, error = -1;
	pid_t pid;

	if (mkfs_argv(o, image, &a))
		goto out;
	pid = fork();
	if (pid < 0) {
		perror("xfsfuse-mkimage: fork");
		goto out;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		execvp(a.v[0], a.v);
		fprintf(stderr, "xfsfuse-mkimage: cannot run %s: %s\n", a.v[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			perror("xfsfuse-mkimage: waitpid");
			goto out;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		error = 0;
	} else {
		int i;

		fprintf(stderr, "xfsfuse-mkimage: mkfs failed (%s %d):",
			WIFEXITED(status) ? "exit status" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		for (i = 0; i < a.n; i++)
			fprintf(stderr, " %s", a.v[i]);
		fputc('\n', stderr);
	}
out:
	free_argv(&a);
	return error;
}

/* ---- the image file ---- */

static int make_tmp_image(const char *image, uint64_t size)
{
	char *d = strdup(image), *b = strdup(image);
	mode_t um;
	int fd, error = -1;

	if (!d || !b)
		goto out;
	if ((size_t) snprintf(tmp_image, sizeof(tmp_image), "%s/.%s.mkimage-XXXXXX", dirname(d),
			      basename(b)) >= sizeof(tmp_image)) {
		fprintf(stderr, "xfsfuse-mkimage: path too long\n");
		tmp_image[0] = '\0';
		goto out;
	}
	fd = mkstemp(tmp_image);
	if (fd < 0) {
		fprintf(stderr, "xfsfuse-mkimage: cannot create a file next to %s: %s\n", image,
			strerror(errno));
		tmp_image[0] = '\0';
		goto out;
	}
	um = umask(0);
	umask(um);
	if (fchmod(fd, 0666 & ~um) < 0 || ftruncate(fd, size) < 0) {
		fprintf(stderr, "xfsfuse-mkimage: %s: %s\n", tmp_image, strerror(errno));
		close(fd);
		goto out;
	}
	error = close(fd) < 0 ? -1 : 0;
out:
	free(d);
	free(b);
	return error;
}

static int check_target(const char *image, bool force)
{
	struct stat st;

	if (lstat(image, &st) < 0)
		return errno == ENOENT ? 0 : (perror(image), -1);
	if (!force) {
		fprintf(stderr, "xfsfuse-mkimage: %s exists (use --force to replace it)\n", image);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		fprintf(stderr, "xfsfuse-mkimage: %s is not a regular file; not replacing it\n",
			image);
		return -1;
	}
	return 0;
}

static int install_image(const char *image, bool force)
{
	int r = force ? rename(tmp_image, image)
		      : renameat2(AT_FDCWD, tmp_image, AT_FDCWD, image, RENAME_NOREPLACE);

	if (r < 0) {
		fprintf(stderr, "xfsfuse-mkimage: cannot rename %s to %s: %s\n", tmp_image, image,
			strerror(errno));
		return -1;
	}
	tmp_image[0] = '\0';
	return 0;
}

static void discard_image(const char *image, bool keep)
{
	char kept[4200];

	if (!tmp_image[0])
		return;
	snprintf(kept, sizeof(kept), "%s.failed", image);
	if (keep && rename(tmp_image, kept) == 0) {
		fprintf(stderr,
			"xfsfuse-mkimage: partial image kept as %s (not a valid test image)\n",
			kept);
	} else if (unlink(tmp_image) < 0) {
		fprintf(stderr,
			"xfsfuse-mkimage: WARNING: cannot remove the partial image %s: %s\n",
			tmp_image, strerror(errno));
	} else {
		fprintf(stderr, "xfsfuse-mkimage: no image made\n");
	}
	tmp_image[0] = '\0';
}

static int do_build(struct opts *o, struct spec *s, const char *image, const char *specfile)
{
	if (check_target(image, o->force))
		return 1;
	if (specfile ? spec_parse_file(s, specfile) : (spec_init(s), 0))
		return 2;
	if (o->has_owner) { /* over the spec's own "dir ." line, if any */
		s->objs[0]->uid = o->owner_uid;
		s->objs[0]->gid = o->owner_gid;
	}
	catch_signals();
	if (make_tmp_image(image, o->size))
		goto fail;
	if (run_mkfs(o, tmp_image))
		goto fail;
	if ((specfile || o->has_owner) && build_image(s, tmp_image))
		goto fail;
	if (install_image(image, o->force))
		goto fail;
	if (!o->quiet)
		printf("%s: %zu objects\n", image, specfile ? s->nobjs : (size_t) 0);
	return 0;
fail:
	discard_image(image, o->keep_failed);
	return 1;
}

/* ---- options ---- */

enum {
	OPT_SIZE = 256,
	OPT_BSIZE,
	OPT_SSIZE,
	OPT_AGCOUNT,
	OPT_FEATURES,
	OPT_MKFSOPT,
	OPT_MKFS,
	OPT_SEED,
	OPT_TIME,
	OPT_FORCE,
	OPT_KEEP,
	OPT_VERIFY,
	OPT_POPULATE,
	OPT_EXTRA,
	OPT_NOTIMES,
	OPT_MAXREP,
	OPT_VERSION,
	OPT_OWNER,
};

static const struct option longopts[] = {
	{"size", required_argument, NULL, OPT_SIZE},
	{"block-size", required_argument, NULL, OPT_BSIZE},
	{"sector-size", required_argument, NULL, OPT_SSIZE},
	{"ag-count", required_argument, NULL, OPT_AGCOUNT},
	{"features", required_argument, NULL, OPT_FEATURES},
	{"mkfs-opt", required_argument, NULL, OPT_MKFSOPT},
	{"mkfs", required_argument, NULL, OPT_MKFS},
	{"seed", required_argument, NULL, OPT_SEED},
	{"time", required_argument, NULL, OPT_TIME},
	{"force", no_argument, NULL, OPT_FORCE},
	{"keep-failed", no_argument, NULL, OPT_KEEP},
	{"verify", no_argument, NULL, OPT_VERIFY},
	{"populate", no_argument, NULL, OPT_POPULATE},
	{"allow-extra", no_argument, NULL, OPT_EXTRA},
	{"no-times", no_argument, NULL, OPT_NOTIMES},
	{"max-reports", required_argument, NULL, OPT_MAXREP},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, OPT_VERSION},
	{"owner", required_argument, NULL, OPT_OWNER},
	{NULL, 0, NULL, 0},
};

static int parse_uint_opt(const char *name, const char *val, unsigned int *out)
{
	uint64_t v;

	if (parse_size(val, &v) || v == 0 || v > UINT32_MAX) {
		fprintf(stderr, "xfsfuse-mkimage: bad %s %s\n", name, val);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_opt(int c, const char *arg, struct opts *o, struct spec *s)
{
	uint64_t v;

	switch (c) {
	case OPT_SIZE:
		if (parse_size(arg, &o->size) || !o->size) {
			fprintf(stderr, "xfsfuse-mkimage: bad size %s\n", arg);
			return -1;
		}
		return 0;
	case OPT_BSIZE:
		return parse_uint_opt("block size", arg, &o->block_size);
	case OPT_SSIZE:
		return parse_uint_opt("sector size", arg, &o->sector_size);
	case OPT_AGCOUNT:
		return parse_uint_opt("AG count", arg, &o->ag_count);
	case OPT_FEATURES:
		o->features = arg;
		return 0;
	case OPT_MKFSOPT:
		if (o->nmkfs_opts == (int) (sizeof(o->mkfs_opts) / sizeof(o->mkfs_opts[0])))
			return -1;
		o->mkfs_opts[o->nmkfs_opts++] = arg;
		return 0;
	case OPT_MKFS:
		o->mkfs = arg;
		return 0;
	case OPT_SEED:
		if (parse_size(arg, &s->seed)) {
			fprintf(stderr, "xfsfuse-mkimage: bad seed %s\n", arg);
			return -1;
		}
		return 0;
	case OPT_TIME:
		s->fixed_time = strcmp(arg, "now") != 0;
		if (s->fixed_time && parse_time(arg, &s->time)) {
			fprintf(stderr,
				"xfsfuse-mkimage: bad time %s (SECONDS[.FRACTION] or now)\n", arg);
			return -1;
		}
		return 0;
	case OPT_FORCE:
		o->force = true;
		return 0;
	case OPT_OWNER:
		if (sscanf(arg, "%u:%u", &o->owner_uid, &o->owner_gid) != 2) {
			fprintf(stderr, "xfsfuse-mkimage: bad owner %s (UID:GID, numbers)\n", arg);
			return -1;
		}
		o->has_owner = true;
		return 0;
	case OPT_KEEP:
		o->keep_failed = true;
		return 0;
	case OPT_VERIFY:
		o->mode = MODE_VERIFY;
		return 0;
	case OPT_POPULATE:
		o->mode = MODE_POPULATE;
		return 0;
	case OPT_EXTRA:
		o->vo.allow_extra = true;
		return 0;
	case OPT_NOTIMES:
		o->vo.check_times = false;
		return 0;
	case OPT_MAXREP:
		if (parse_size(arg, &v) || v > 1000000000)
			return -1;
		o->vo.max_reports = v;
		return 0;
	case 'q':
		o->quiet = true;
		return 0;
	case 'h':
		usage(stdout);
		exit(0);
	case OPT_VERSION:
		printf("xfsfuse-mkimage %s\n", XFSFUSE_VERSION);
		exit(0);
	default:
		return -1;
	}
}

int main(int argc, char **argv)
{
	struct opts o = {.size = 512ULL << 20, .vo = {.check_times = true, .max_reports = 100}};
	struct spec s = {.fixed_time = true, .time = {.tv_sec = DEFAULT_TIME}};
	int c, nargs, ret;

	o.mkfs = getenv("XFSFUSE_MKFS") ? getenv("XFSFUSE_MKFS") : "mkfs.xfs";
	while ((c = getopt_long(argc, argv, "qh", longopts, NULL)) != -1) {
		if (parse_opt(c, optarg, &o, &s)) {
			usage(stderr);
			return 2;
		}
	}
	nargs = argc - optind;
	if (o.mode == MODE_BUILD ? (nargs < 1 || nargs > 2) : nargs != 2) {
		usage(stderr);
		return 2;
	}
	if (o.mode == MODE_BUILD) {
		ret = do_build(&o, &s, argv[optind], nargs == 2 ? argv[optind + 1] : NULL);
	} else if (spec_parse_file(&s, argv[optind + 1])) {
		ret = 2;
	} else if (o.mode == MODE_VERIFY) {
		ret = verify_tree(&s, argv[optind], &o.vo);
	} else {
		ret = populate_dir(&s, argv[optind]) ? 1 : 0;
	}
	spec_free(&s);
	return ret;
}

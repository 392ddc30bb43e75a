// SPDX-License-Identifier: GPL-2.0
/*
 * xfsfuse-stress: the 2022 stale-iomap workload on any mounted directory
 * (doc/race.md).  xfsfuse-race runs the same code on its own image.
 *
 *   xfsfuse-stress [options] DIR                    run, check online
 *   xfsfuse-stress --manifest FILE [options] DIR    ... and record the rounds
 *   xfsfuse-stress --verify FILE DIR                check them again (after a remount)
 *
 * Exit status: 0 no corruption, 1 corruption found, 2 could not run.
 */
#include "stress.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: xfsfuse-stress [options] DIR\n"
		   "       xfsfuse-stress --verify MANIFEST [options] DIR\n"
		   "  --workload=unwritten|delalloc|mmap   (default unwritten)\n"
		   "  --seconds N          run time (default 10)\n"
		   "  --pairs N            writer pairs, one file each (default 2)\n"
		   "  --block-size N       filesystem block size (default: statvfs)\n"
		   "  --region N           bytes per round (default 65536)\n"
		   "  --file-size N        bytes per file before the next one (default 16 MiB)\n"
		   "  --keep-files N       files kept per pair for --verify (default 4)\n"
		   "  --seed N             random seed (default 2022)\n"
		   "  --short-copy-at OFF  mmap: the offset where the daemon cuts writes short\n"
		   "  --mmap-delay-us N    mmap: the store waits up to N us (default 3000)\n"
		   "  --stop-at-first      stop at the first corruption\n"
		   "  --manifest FILE      record the rounds still on disk\n"
		   "  --verify FILE        only check the rounds recorded in FILE\n"
		   "  -v                   print each corrupt block (twice: each round)\n");
}

enum {
	OPT_WORKLOAD = 256,
	OPT_SECONDS,
	OPT_PAIRS,
	OPT_BS,
	OPT_REGION,
	OPT_FILE_SIZE,
	OPT_KEEP,
	OPT_SEED,
	OPT_SHORT,
	OPT_MMAP_DELAY,
	OPT_STOP_FIRST,
	OPT_MANIFEST,
	OPT_VERIFY,
};

static const struct option long_opts[] = {
	{"workload", required_argument, NULL, OPT_WORKLOAD},
	{"seconds", required_argument, NULL, OPT_SECONDS},
	{"pairs", required_argument, NULL, OPT_PAIRS},
	{"block-size", required_argument, NULL, OPT_BS},
	{"region", required_argument, NULL, OPT_REGION},
	{"file-size", required_argument, NULL, OPT_FILE_SIZE},
	{"keep-files", required_argument, NULL, OPT_KEEP},
	{"seed", required_argument, NULL, OPT_SEED},
	{"short-copy-at", required_argument, NULL, OPT_SHORT},
	{"mmap-delay-us", required_argument, NULL, OPT_MMAP_DELAY},
	{"stop-at-first", no_argument, NULL, OPT_STOP_FIRST},
	{"manifest", required_argument, NULL, OPT_MANIFEST},
	{"verify", required_argument, NULL, OPT_VERIFY},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct cli {
	struct stress_opts o;
	const char *manifest, *verify;
};

static int parse(int argc, char **argv, struct cli *c)
{
	int ch;

	stress_default_opts(&c->o);
	while ((ch = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
		switch (ch) {
		case OPT_WORKLOAD:
			if (stress_parse_workload(optarg, &c->o.workload)) {
				fprintf(stderr, "xfsfuse-stress: unknown workload %s\n", optarg);
				return -1;
			}
			break;
		case OPT_SECONDS:
			c->o.seconds = atof(optarg);
			break;
		case OPT_PAIRS:
			c->o.pairs = (unsigned int) strtoul(optarg, NULL, 0);
			break;
		case OPT_BS:
			c->o.block_size = (unsigned int) strtoul(optarg, NULL, 0);
			break;
		case OPT_REGION:
			c->o.region = (unsigned int) strtoul(optarg, NULL, 0);
			break;
		case OPT_FILE_SIZE:
			c->o.file_size = strtoull(optarg, NULL, 0);
			break;
		case OPT_KEEP:
			c->o.keep_files = (unsigned int) strtoul(optarg, NULL, 0);
			break;
		case OPT_SEED:
			c->o.seed = strtoull(optarg, NULL, 0);
			break;
		case OPT_SHORT:
			c->o.short_copy_at = strtoll(optarg, NULL, 0);
			break;
		case OPT_MMAP_DELAY:
			c->o.mmap_delay_us = (unsigned int) strtoul(optarg, NULL, 0);
			break;
		case OPT_STOP_FIRST:
			c->o.stop_at_first = true;
			break;
		case OPT_MANIFEST:
			c->manifest = optarg;
			break;
		case OPT_VERIFY:
			c->verify = optarg;
			break;
		case 'v':
			c->o.verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return -1;
	}
	c->o.dir = argv[optind];
	return 0;
}

static void print_result(const struct cli *c, const struct stress_result *r)
{
	printf("stress: workload=%s mode=%s rounds=%lu corrupt_blocks=%lu checked_bytes=%lu "
	       "first_corruption_s=%.3f short_writes=%lu errors=%lu\n",
	       stress_workload_name(c->o.workload), c->verify ? "verify" : "run",
	       (unsigned long) r->rounds, (unsigned long) r->corrupt_blocks,
	       (unsigned long) r->checked_bytes, r->first_corruption_s,
	       (unsigned long) r->short_writes, (unsigned long) r->errors);
}

int main(int argc, char **argv)
{
	struct stress_manifest m;
	struct stress_result r;
	struct cli c = {0};
	int error;

	if (parse(argc, argv, &c))
		return 2;
	stress_manifest_init(&m);
	if (c.verify) {
		error = stress_manifest_load(&m, c.verify);
		if (!error)
			error = stress_verify(&c.o, &m, &r);
	} else {
		error = stress_run(&c.o, &m, &r);
		if (!error && c.manifest)
			error = stress_manifest_save(&m, c.manifest);
	}
	stress_manifest_free(&m);
	if (error) {
		fprintf(stderr, "xfsfuse-stress: %s\n", strerror(-error));
		return 2;
	}
	print_result(&c, &r);
	return r.corrupt_blocks ? 1 : r.errors ? 2 : 0;
}

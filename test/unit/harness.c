// SPDX-License-Identifier: GPL-2.0
#include "harness.h"

#include <stdlib.h>
#include <unistd.h>

static char th_dir[64];
static int th_seq;

char *th_mkfs(const char *mkfs_opts, unsigned int size_mb)
{
	char cmd[1024], *path;

	if (!th_dir[0]) {
		strcpy(th_dir, "/tmp/xfsfuse-unit-XXXXXX");
		if (!mkdtemp(th_dir)) {
			perror("mkdtemp");
			exit(2);
		}
	}
	if (asprintf(&path, "%s/img%d", th_dir, th_seq++) < 0)
		exit(2);
	snprintf(cmd, sizeof(cmd), "truncate -s %uM %s && mkfs.xfs -q -f %s %s",
		 size_mb ? size_mb : 512, path, mkfs_opts ? mkfs_opts : "", path);
	if (system(cmd) != 0) {
		fprintf(stderr, "harness: %s failed\n", cmd);
		exit(2);
	}
	return path;
}

struct xb_mount *th_mount(const char *image, bool readonly)
{
	struct xb_mount_opts o = {.image = image, .readonly = readonly, .quiet = true};
	struct xb_mount *m;
	char why[512];
	int error = xb_mount(&o, &m, why, sizeof(why));

	if (error) {
		fprintf(stderr, "harness: mount %s: %s\n", image, why);
		exit(2);
	}
	return m;
}

void th_umount(struct xb_mount *m)
{
	int error = xb_unmount(m);

	CHECK_EQ(error, 0);
}

bool th_repair_clean(const char *image)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "xfs_repair -n %s >/dev/null 2>&1 || xfs_repair -n %s", image,
		 image);
	return system(cmd) == 0;
}

void th_cleanup(void)
{
	char cmd[256];

	if (!th_dir[0] || getenv("XFSFUSE_KEEP_TEST_IMAGES"))
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", th_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "harness: cannot remove %s\n", th_dir);
}

int th_done(const char *name)
{
	th_cleanup();
	return th_report(name);
}

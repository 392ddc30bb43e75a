// SPDX-License-Identifier: GPL-2.0
/*
 * Power-cut recorder: LD_PRELOAD this into the daemon and every write that
 * reaches the image file, and every flush of it, is appended to a log, in
 * the order the system calls completed -- the technique of fstests'
 * dm-log-writes tests (generic/455, 482), for a machine without
 * device-mapper.  test/crash/powercut.py rebuilds the image as a power cut
 * at any point of that log would leave it.
 *
 *   XFSFUSE_IOLOG=/path/to/log XFSFUSE_IOLOG_IMAGE=/abs/path/to/image \
 *   LD_PRELOAD=libxfsfuse-iolog.so xfsfuse ...
 *
 * Record: u32 type (1 write, 2 flush), u32 0, u64 CLOCK_MONOTONIC ns at
 * completion, u64 offset, u64 length, then length bytes for a write.
 * Test code only; never linked into xfsfuse.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
/* Both pwrite and pwrite64 are defined here: no redirection of one to the other. */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 65536

static pthread_mutex_t iolog_lock = PTHREAD_MUTEX_INITIALIZER;
static int iolog_fd = -1;
static dev_t image_dev;
static ino_t image_ino;
static unsigned char image_fds[MAX_FDS];

struct iolog_rec {
	uint32_t type, pad;
	uint64_t t_ns, off, len;
};

static ssize_t (*real_pwrite64)(int, const void *, size_t, off_t);
static ssize_t (*real_pwritev64)(int, const struct iovec *, int, off_t);
static ssize_t (*real_write)(int, const void *, size_t);

__attribute__((constructor)) static void iolog_init(void)
{
	const char *log = getenv("XFSFUSE_IOLOG"), *img = getenv("XFSFUSE_IOLOG_IMAGE");
	struct stat st;

	real_pwrite64 = dlsym(RTLD_NEXT, "pwrite64");
	real_pwritev64 = dlsym(RTLD_NEXT, "pwritev64");
	real_write = dlsym(RTLD_NEXT, "write");
	if (!log || !img || stat(img, &st))
		return;
	image_dev = st.st_dev;
	image_ino = st.st_ino;
	iolog_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/* Is @fd the image?  Decided once per descriptor number, by inode. */
static int iolog_is_image(int fd)
{
	struct stat st;

	if (iolog_fd < 0 || fd < 0 || fd >= MAX_FDS)
		return 0;
	if (image_fds[fd] == 0)
		image_fds[fd] =
			(!fstat(fd, &st) && st.st_dev == image_dev && st.st_ino == image_ino) ? 2
											      : 1;
	return image_fds[fd] == 2;
}

static void iolog_forget(int fd)
{
	if (fd >= 0 && fd < MAX_FDS)
		image_fds[fd] = 0;
}

static uint64_t iolog_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

/* Append one record; the caller holds iolog_lock. */
static void iolog_append(uint32_t type, uint64_t off, const struct iovec *iov, int iovcnt,
			 uint64_t len)
{
	struct iolog_rec r = {.type = type, .t_ns = iolog_now(), .off = off, .len = len};
	struct iovec v[1 + 64];
	int i, n = 0;

	v[n++] = (struct iovec){&r, sizeof(r)};
	for (i = 0; i < iovcnt && n < 65; i++)
		v[n++] = iov[i];
	/* writev on an O_APPEND file: the record lands in one piece. */
	if (writev(iolog_fd, v, n) < 0)
		abort();
}

/* Record what a completed write put at @off: @done bytes of @iov. */
static void iolog_write(const struct iovec *iov, int iovcnt, off_t off, ssize_t done)
{
	struct iovec cut[64];
	ssize_t left = done;
	int i, n = 0;

	if (done <= 0)
		return;
	for (i = 0; i < iovcnt && left > 0 && n < 64; i++, n++) {
		cut[n] = iov[i];
		if ((ssize_t) cut[n].iov_len > left)
			cut[n].iov_len = (size_t) left;
		left -= (ssize_t) cut[n].iov_len;
	}
	iolog_append(1, (uint64_t) off, cut, n, (uint64_t) done);
}

/*
 * The real call happens under the lock: records are then in the order the
 * writes reached the file, which is what a power cut would see.
 */
ssize_t pwrite64(int fd, const void *buf, size_t len, off_t off)
{
	struct iovec iov = {(void *) buf, len};
	ssize_t n;

	if (!iolog_is_image(fd))
		return real_pwrite64(fd, buf, len, off);
	pthread_mutex_lock(&iolog_lock);
	n = real_pwrite64(fd, buf, len, off);
	iolog_write(&iov, 1, off, n);
	pthread_mutex_unlock(&iolog_lock);
	return n;
}

ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
	return pwrite64(fd, buf, len, off);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	ssize_t n;

	if (!iolog_is_image(fd))
		return real_pwritev64(fd, iov, iovcnt, off);
	pthread_mutex_lock(&iolog_lock);
	n = real_pwritev64(fd, iov, iovcnt, off);
	iolog_write(iov, iovcnt, off, n);
	pthread_mutex_unlock(&iolog_lock);
	return n;
}

ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t off)
{
	return pwritev64(fd, iov, iovcnt, off);
}

ssize_t write(int fd, const void *buf, size_t len)
{
	/* Nobody writes the image at its file offset; say so loudly if one does. */
	if (iolog_is_image(fd))
		abort();
	return real_write(fd, buf, len);
}

static int iolog_flush(int fd, int (*real)(int))
{
	int ret;

	if (!iolog_is_image(fd))
		return real(fd);
	pthread_mutex_lock(&iolog_lock);
	ret = real(fd);
	if (!ret)
		iolog_append(2, 0, NULL, 0, 0);
	pthread_mutex_unlock(&iolog_lock);
	return ret;
}

int fdatasync(int fd)
{
	static int (*real)(int);

	if (!real)
		real = dlsym(RTLD_NEXT, "fdatasync");
	return iolog_flush(fd, real);
}

int fsync(int fd)
{
	static int (*real)(int);

	if (!real)
		real = dlsym(RTLD_NEXT, "fsync");
	return iolog_flush(fd, real);
}

int close(int fd)
{
	static int (*real)(int);

	if (!real)
		real = dlsym(RTLD_NEXT, "close");
	iolog_forget(fd);
	return real(fd);
}

int dup2(int old, int new)
{
	static int (*real)(int, int);

	if (!real)
		real = dlsym(RTLD_NEXT, "dup2");
	iolog_forget(new);
	return real(old, new);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * An AIO O_DIRECT write racing a buffered reader of the same file, the way
 * fstests' generic/451 races them, made deterministic by the daemon's
 * injected write delay (test_fuse_basic.sh sets it): submit the write,
 * wait while it sits in the delay, read the whole file through the kernel's
 * page cache (old data gets cached), then reap the write.  The caller
 * compares the file afterwards: a stale cache shows the old bytes.
 *
 *   aio_dio_race FILE PATCH OFFSET DELAY_MS
 *
 * Raw io_setup/io_submit syscalls: no libaio needed.
 */
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define LEN 8192

static int die(const char *what)
{
	perror(what);
	return 2;
}

int main(int argc, char **argv)
{
	aio_context_t ctx = 0;
	struct iocb cb, *cbs[1] = {&cb};
	struct io_event ev;
	struct timespec nap;
	char *buf, rbuf[65536];
	long long off;
	int fd, pfd, rfd;

	if (argc != 5) {
		fprintf(stderr, "usage: aio_dio_race FILE PATCH OFFSET DELAY_MS\n");
		return 2;
	}
	off = atoll(argv[3]);
	nap.tv_sec = atoi(argv[4]) / 3000; /* a third of the delay */
	nap.tv_nsec = (long) (atoi(argv[4]) % 3000) * 1000000 / 3;
	if (posix_memalign((void **) &buf, 4096, LEN))
		return die("posix_memalign");
	pfd = open(argv[2], O_RDONLY);
	if (pfd < 0 || read(pfd, buf, LEN) != LEN)
		return die(argv[2]);
	fd = open(argv[1], O_RDWR | O_DIRECT);
	if (fd < 0)
		return die(argv[1]);
	if (syscall(SYS_io_setup, 1, &ctx))
		return die("io_setup");
	memset(&cb, 0, sizeof(cb));
	cb.aio_fildes = (unsigned int) fd;
	cb.aio_lio_opcode = IOCB_CMD_PWRITE;
	cb.aio_buf = (unsigned long) buf;
	cb.aio_nbytes = LEN;
	cb.aio_offset = off;
	if (syscall(SYS_io_submit, ctx, 1, cbs) != 1)
		return die("io_submit");
	nanosleep(&nap, NULL); /* the write is in the daemon's injected delay */
	rfd = open(argv[1], O_RDONLY);
	if (rfd < 0)
		return die("open for the buffered read");
	while (read(rfd, rbuf, sizeof(rbuf)) > 0)
		;
	close(rfd);
	if (syscall(SYS_io_getevents, ctx, 1, 1, &ev, NULL) != 1)
		return die("io_getevents");
	if (ev.res != LEN) {
		fprintf(stderr, "aio_dio_race: the write returned %lld\n", (long long) ev.res);
		return 1;
	}
	syscall(SYS_io_destroy, ctx);
	close(fd);
	return 0;
}

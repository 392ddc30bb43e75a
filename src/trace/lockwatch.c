// SPDX-License-Identifier: GPL-2.0
/*
 * Lock watch (lockwatch.h): per-thread slots of held and awaited locks.
 */
#include "lockwatch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct xf_lw_slot xf_lw_slots[XF_LW_MAX_SLOTS];
int xf_lw_nslots; /* slots ever used: gdb prints no further */

static _Atomic int xf_lw_claim_tid[XF_LW_MAX_SLOTS];
static __thread struct xf_lw_slot *xf_lw_self;
static __thread bool xf_lw_full; /* no slot left: this thread goes unwatched */
static pthread_key_t xf_lw_key;
static pthread_once_t xf_lw_once = PTHREAD_ONCE_INIT;

/*
 * Empty @s for its next owner.  waiting and wait_ino are read by other
 * threads (xf_lw_waits_on) while a slot changes hands: atomic stores.
 */
static void xf_lw_reset(struct xf_lw_slot *s, int tid)
{
	__atomic_store_n(&s->waiting, -1, __ATOMIC_RELEASE);
	__atomic_store_n(&s->wait_ino, 0, __ATOMIC_RELAXED);
	s->wait_index = 0;
	s->wait_since_ms = 0;
	memset(s->held, 0, sizeof(s->held));
	memset(s->held_ino, 0, sizeof(s->held_ino));
	memset(s->held_excl, 0, sizeof(s->held_excl));
	s->tid = tid;
}

static void xf_lw_thread_exit(void *arg)
{
	struct xf_lw_slot *s = arg;
	size_t i = (size_t) (s - xf_lw_slots);

	xf_lw_reset(s, 0);
	atomic_store(&xf_lw_claim_tid[i], 0);
}

static void xf_lw_key_create(void)
{
	pthread_key_create(&xf_lw_key, xf_lw_thread_exit);
}

static struct xf_lw_slot *xf_lw_claim(void)
{
	int tid = (int) syscall(SYS_gettid);
	int i;

	pthread_once(&xf_lw_once, xf_lw_key_create);
	for (i = 0; i < XF_LW_MAX_SLOTS; i++) {
		int free_tid = 0;
		struct xf_lw_slot *s = &xf_lw_slots[i];

		if (!atomic_compare_exchange_strong(&xf_lw_claim_tid[i], &free_tid, tid))
			continue;
		xf_lw_reset(s, tid);
		if (i >= __atomic_load_n(&xf_lw_nslots, __ATOMIC_RELAXED))
			__atomic_store_n(&xf_lw_nslots, i + 1, __ATOMIC_RELAXED);
		pthread_setspecific(xf_lw_key, s);
		return s;
	}
	xf_lw_full = true;
	return NULL;
}

static struct xf_lw_slot *xf_lw_slot(void)
{
	if (!xf_lw_self && !xf_lw_full)
		xf_lw_self = xf_lw_claim();
	return xf_lw_self;
}

static uint64_t xf_lw_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

void xf_lw_wait(enum xf_lw_kind k, uint64_t ino, uint64_t index)
{
	struct xf_lw_slot *s = xf_lw_slot();

	if (!s)
		return;
	__atomic_store_n(&s->wait_ino, ino, __ATOMIC_RELAXED);
	s->wait_index = index;
	s->wait_since_ms = xf_lw_now_ms();
	__atomic_store_n(&s->waiting, (int) k, __ATOMIC_RELEASE);
}

void xf_lw_got(enum xf_lw_kind k, uint64_t ino, bool excl)
{
	struct xf_lw_slot *s = xf_lw_slot();

	if (!s)
		return;
	__atomic_store_n(&s->waiting, -1, __ATOMIC_RELEASE);
	s->held[k]++;
	s->held_ino[k] = ino;
	s->held_excl[k] = excl;
}

void xf_lw_put(enum xf_lw_kind k)
{
	struct xf_lw_slot *s = xf_lw_slot();

	if (s && s->held[k] > 0)
		s->held[k]--;
}

bool xf_lw_waits_on(enum xf_lw_kind k, uint64_t ino)
{
	int i, n = __atomic_load_n(&xf_lw_nslots, __ATOMIC_ACQUIRE);

	for (i = 0; i < n; i++) {
		struct xf_lw_slot *s = &xf_lw_slots[i];

		if (__atomic_load_n(&s->waiting, __ATOMIC_ACQUIRE) == (int) k &&
		    __atomic_load_n(&s->wait_ino, __ATOMIC_RELAXED) == ino)
			return true;
	}
	return false;
}

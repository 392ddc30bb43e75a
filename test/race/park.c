// SPDX-License-Identifier: GPL-2.0
/*
 * Park points: see park.h.  One mutex (park_lock) protects the whole table
 * and is a leaf: it is never held while calling into the engine, and the
 * engine calls the hook with whatever locks its caller holds (a folio lock
 * in writeback, i_rwsem in a write), which the parked thread keeps -- that
 * is the point: the test decides what may run meanwhile.
 */
#include "park.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "harness.h"

#define PARK_MAX 16

struct park {
	bool in_use;
	enum iomap_inject_point point;
	struct vfs_inode *inode;
	loff_t pos;
	bool arrived; /* a thread got there (and is parked until released) */
	bool released;
	bool hold_timed_out; /* the test never released it */
	pthread_t who;
};

static pthread_mutex_t park_lock = PTHREAD_MUTEX_INITIALIZER; /* protects park_table */
static pthread_cond_t park_cond;			      /* any change of a park */
static struct park park_table[PARK_MAX];
static _Atomic(park_observer_t) park_observer;
static void *_Atomic park_observer_arg;

static const char *const park_names[INJECT_NR_POINTS] = {
	[INJECT_WRITE_AFTER_BEGIN] = "WRITE_AFTER_BEGIN",
	[INJECT_WRITE_BEFORE_FOLIO] = "WRITE_BEFORE_FOLIO",
	[INJECT_WB_BEFORE_MAP] = "WB_BEFORE_MAP",
	[INJECT_IOEND_BEFORE_COMPLETE] = "IOEND_BEFORE_COMPLETE",
	[INJECT_AFTER_EVICT] = "AFTER_EVICT",
	[INJECT_LOG_FLUSH] = "LOG_FLUSH",
	[INJECT_DIO_AFTER_PREPARE] = "DIO_AFTER_PREPARE",
};

const char *park_point_name(enum iomap_inject_point point)
{
	return point < INJECT_NR_POINTS ? park_names[point] : "?";
}

static void deadline_ms(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long) (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* The armed, not yet reached park matching this call.  park_lock held. */
static struct park *park_match(enum iomap_inject_point point, struct vfs_inode *inode, loff_t pos)
{
	unsigned int i;

	for (i = 0; i < PARK_MAX; i++) {
		struct park *p = &park_table[i];

		if (p->in_use && !p->arrived && !p->released && p->point == point &&
		    p->inode == inode && (p->pos == PARK_ANY_POS || p->pos == pos))
			return p;
	}
	return NULL;
}

/* The engine's injection hook: park here if armed. */
static void park_hook(enum iomap_inject_point point, struct vfs_inode *inode, loff_t pos, void *arg)
{
	park_observer_t observer;
	struct timespec ts;
	struct park *p;

	(void) arg;
	pthread_mutex_lock(&park_lock);
	p = park_match(point, inode, pos);
	if (!p) {
		pthread_mutex_unlock(&park_lock);
		goto out_observe;
	}
	p->arrived = true;
	p->who = pthread_self();
	pthread_cond_broadcast(&park_cond);
	deadline_ms(&ts, PARK_HOLD_TIMEOUT_MS);
	while (!p->released) {
		if (pthread_cond_timedwait(&park_cond, &park_lock, &ts) == ETIMEDOUT) {
			p->hold_timed_out = true;
			fprintf(stderr, "park: %s at %lld never released; going on\n",
				park_point_name(point), (long long) pos);
			break;
		}
	}
	pthread_mutex_unlock(&park_lock);
out_observe:
	observer = atomic_load(&park_observer);
	if (observer)
		observer(point, inode, pos, atomic_load(&park_observer_arg));
}

void park_install(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&park_cond, &attr);
	pthread_condattr_destroy(&attr);
	iomap_set_inject_hook(park_hook, NULL);
}

void park_uninstall(void)
{
	iomap_set_inject_hook(NULL, NULL);
}

void park_set_observer(park_observer_t fn, void *arg)
{
	atomic_store(&park_observer_arg, arg);
	atomic_store(&park_observer, fn);
}

struct park *park_arm(enum iomap_inject_point point, struct vfs_inode *inode, loff_t pos)
{
	unsigned int i;

	pthread_mutex_lock(&park_lock);
	for (i = 0; i < PARK_MAX; i++) {
		struct park *p = &park_table[i];

		if (p->in_use)
			continue;
		*p = (struct park){.in_use = true, .point = point, .inode = inode, .pos = pos};
		pthread_mutex_unlock(&park_lock);
		return p;
	}
	pthread_mutex_unlock(&park_lock);
	fprintf(stderr, "park: table full\n");
	abort();
}

bool park_wait(struct park *p)
{
	struct timespec ts;
	bool arrived;

	deadline_ms(&ts, PARK_ARRIVE_TIMEOUT_MS);
	pthread_mutex_lock(&park_lock);
	while (!p->arrived)
		if (pthread_cond_timedwait(&park_cond, &park_lock, &ts) == ETIMEDOUT)
			break;
	arrived = p->arrived;
	pthread_mutex_unlock(&park_lock);
	if (!arrived)
		fprintf(stderr, "park: nobody reached %s at %lld\n", park_point_name(p->point),
			(long long) p->pos);
	return arrived;
}

void park_release(struct park *p)
{
	pthread_mutex_lock(&park_lock);
	p->released = true;
	pthread_cond_broadcast(&park_cond);
	pthread_mutex_unlock(&park_lock);
}

bool park_reached(struct park *p, pthread_t *who)
{
	bool arrived;

	pthread_mutex_lock(&park_lock);
	arrived = p->arrived;
	if (arrived && who)
		*who = p->who;
	pthread_mutex_unlock(&park_lock);
	return arrived;
}

void park_check_all(const char *scenario)
{
	unsigned int i;

	pthread_mutex_lock(&park_lock);
	for (i = 0; i < PARK_MAX; i++) {
		struct park *p = &park_table[i];

		if (!p->in_use)
			continue;
		if (!p->arrived || p->hold_timed_out)
			fprintf(stderr, "%s: park point %s at %lld %s\n", scenario,
				park_point_name(p->point), (long long) p->pos,
				p->arrived ? "held past its timeout" : "never reached");
		CHECK(p->arrived);
		CHECK(!p->hold_timed_out);
		p->released = true;
		p->in_use = false;
	}
	pthread_cond_broadcast(&park_cond);
	pthread_mutex_unlock(&park_lock);
}

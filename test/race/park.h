/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Named park points for the race harness (DESIGN.md §4, issue 6).
 *
 * The engine calls iomap_inject(point, inode, pos) at a few named places
 * (src/iomap/iomap.h).  park_install() hooks them: a point armed with
 * park_arm() for one (point, inode, pos) stops the first thread that gets
 * there -- whatever thread that is: a writer, the flusher, the completion
 * worker, reclaim -- until the test calls park_release().  The test waits
 * for the arrival with park_wait(), so every interleaving is forced, never
 * hoped for.  Timeouts exist only to turn a hang into a failure.
 *
 * One-shot: a park point catches exactly one arrival.  park_check_all()
 * fails the test for every point that was armed and never reached, so a
 * scenario can never pass without having run the sequence it claims.
 */
#ifndef XFSFUSE_RACE_PARK_H
#define XFSFUSE_RACE_PARK_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "iomap.h"

#define PARK_ANY_POS ((loff_t) -1)
/* Failure detectors only: nothing waits for time to pass to be correct. */
#define PARK_ARRIVE_TIMEOUT_MS 10000
#define PARK_HOLD_TIMEOUT_MS   30000

struct park;

/*
 * Called (by whichever thread hits a point) for EVERY injection call, park
 * armed or not, after the park (if any) was released: scenarios use it to
 * tamper with state only the engine's thread can reach, at the moment the
 * engine resumes (scenario 4 forces writeback's cookie).
 */
typedef void (*park_observer_t)(enum iomap_inject_point point, struct vfs_inode *inode, loff_t pos,
				void *arg);

void park_install(void);
void park_uninstall(void);
void park_set_observer(park_observer_t fn, void *arg);

/* Arm a one-shot park point; @pos PARK_ANY_POS matches any offset. */
struct park *park_arm(enum iomap_inject_point point, struct vfs_inode *inode, loff_t pos);
/* Wait until a thread is parked there (false on timeout: CHECK it). */
bool park_wait(struct park *p);
/* Let the parked thread go on (or disarm a point nobody reached). */
void park_release(struct park *p);
/* Was it reached?  The parked thread's id is in *@who when so. */
bool park_reached(struct park *p, pthread_t *who);
/* CHECK that every armed point was reached, then forget them all. */
void park_check_all(const char *scenario);

const char *park_point_name(enum iomap_inject_point point);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * The log's timer: a checkpoint every interval_ms while anything is dirty
 * (-o log_interval, doc/log.md), so that a change nobody fsyncs is durable
 * within one interval, as XFS's log worker (xfs_log_worker) makes it.
 */
#include "xlog.h"

static void xb_abstime_after_ms(struct timespec *ts, unsigned int ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long) (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *xb_log_timer_main(void *arg)
{
	struct xb_log *log = arg;
	struct timespec ts;

	xb_lock();
	while (!log->timer_stop) {
		xb_abstime_after_ms(&ts, log->interval_ms);
		xb_lock_timedwait(&log->timer_cond, &ts);
		if (log->timer_stop)
			break;
		if ((log->dirty_bytes || log->free_seq > log->committed_seq) && !log->m->shutdown)
			xb_log_force_seq(log, log->open_seq, NULL);
	}
	xb_unlock();
	return NULL;
}

int xb_log_start_timer(struct xb_log *log)
{
	if (!log->interval_ms || log->timer_running)
		return 0;
	pthread_cond_init(&log->timer_cond, NULL);
	log->timer_stop = false;
	if (pthread_create(&log->timer, NULL, xb_log_timer_main, log))
		return -EAGAIN;
	pthread_setname_np(log->timer, "xf-log-timer");
	log->timer_running = true;
	return 0;
}

/* Caller holds xb_lock; the timer thread needs it to finish. */
void xb_log_stop_timer(struct xb_log *log)
{
	if (!log->timer_running)
		return;
	log->timer_stop = true;
	pthread_cond_signal(&log->timer_cond);
	xb_unlock();
	pthread_join(log->timer, NULL);
	xb_lock();
	log->timer_running = false;
	pthread_cond_destroy(&log->timer_cond);
}

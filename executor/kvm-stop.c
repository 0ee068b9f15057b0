/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stopping a running vCPU: kicks, the time slice and the gate.
 *
 * A host thread is never held by a realm: a run returns REC_EVENT_IRQ when
 * the host kicks the REC or when the REC_ENTER's time slice ends. Both are
 * one signal (KVM_EXEC_SIGNAL): the kick sends it to the thread in the run,
 * the slice is a per-thread POSIX timer aimed at that thread. A thread that
 * runs RECs keeps the signal blocked from its first run on (it must not be
 * a signal the host uses), except inside KVM_RUN (KVM_SET_SIGNAL_MASK), so
 * one sent just before KVM_RUN makes KVM_RUN return EINTR at once instead of
 * being lost, and none ever interrupts the host's own code. The gate stops
 * every vCPU of a realm while its memslots change. System calls count here:
 * ~11 us each in the devbox, timer_settime ~20 us.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "executor/kvm-internal.h"
#include "rmmemu/log.h"
#include "rmmemu/realm.h"

/* glibc 2.36 has the field but not its name. */
#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id	_sigev_un._tid
#endif

/* The kick and time-slice signal (kvm.h). */
#define KVM_EXEC_SIGNAL		(SIGRTMIN + 2)

/*
 * A host thread that runs RECs, from its first run until it ends: the
 * signal stays blocked in it (so a kick or a slice never interrupts the
 * host's own system calls) except inside KVM_RUN, and its slice timer. A
 * signal that arrives outside KVM_RUN waits, makes the next KVM_RUN return
 * EINTR at once, and is consumed then.
 */
struct kvm_thread {
	uint64_t kvm_mask;	/* its signal mask without the signal: in KVM_RUN */
	timer_t timer;
	bool has_timer;
	uint64_t expiry_ns;	/* when the armed timer fires; 0: not armed */
	unsigned int poll_us;	/* its period; 0: one shot */
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_key;
static int init_error;

static void kick_handler(int sig)
{
	(void)sig;
}

static void thread_free(void *p)
{
	struct kvm_thread *th = p;

	if (th->has_timer)
		timer_delete(th->timer);
	free(th);
}

static void init_once_fn(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(KVM_EXEC_SIGNAL, &sa, NULL) != 0)
		init_error = -errno;
	else if (pthread_key_create(&thread_key, thread_free) != 0)
		init_error = -ENOMEM;
}

int kvm_run_init(void)
{
	pthread_once(&init_once, init_once_fn);
	return init_error;
}

static void signal_set(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, KVM_EXEC_SIGNAL);
}

/* This thread's state, made on first use; NULL when out of memory. Without
 * a timer the slice is not enforced (logged). */
static struct kvm_thread *thread_state(void)
{
	struct kvm_thread *th = pthread_getspecific(thread_key);
	struct sigevent sev;
	sigset_t block, old;

	if (th != NULL)
		return th;
	th = calloc(1, sizeof(*th));
	if (th == NULL || pthread_setspecific(thread_key, th) != 0) {
		free(th);
		return NULL;
	}
	signal_set(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	memcpy(&th->kvm_mask, &old, sizeof(th->kvm_mask));	/* signals 1..64 */
	th->kvm_mask &= ~(1ULL << (KVM_EXEC_SIGNAL - 1));
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = KVM_EXEC_SIGNAL;
	sev.sigev_notify_thread_id = gettid();
	th->has_timer = timer_create(CLOCK_MONOTONIC, &sev, &th->timer) == 0;
	if (!th->has_timer)
		rmm_log(RMM_LOG_WARN, "kvm executor: no time-slice timer: %s",
			strerror(errno));
	return th;
}

static void timer_arm(struct kvm_thread *th, uint64_t first_ns, unsigned int poll_us)
{
	struct itimerspec its;

	th->expiry_ns = first_ns;
	th->poll_us = poll_us;
	if (!th->has_timer)
		return;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = (time_t)(first_ns / 1000000000ULL);
	its.it_value.tv_nsec = (long)(first_ns % 1000000000ULL);
	its.it_interval.tv_sec = (time_t)(poll_us / 1000000U);
	its.it_interval.tv_nsec = (long)(poll_us % 1000000U) * 1000L;
	/* It cannot fail with a valid timer and time: then the run still
	 * ends at the first EINTR after its end. */
	(void)timer_settime(th->timer, TIMER_ABSTIME, &its, NULL);
}

/*
 * The thread's timer for a run that ends at *deadline_ns. Without poll_us
 * it is re-armed only when it is not pending or would fire too late (then
 * the run ends when it fires: *deadline_ns moves earlier), so that a stream
 * of short REC_ENTERs costs no timer call. With poll_us it fires first at
 * the sooner of the end and one period from now, then every period until
 * kvm_slice_end.
 */
int kvm_slice_start(uint64_t *deadline_ns, unsigned int poll_us)
{
	struct kvm_thread *th = thread_state();
	uint64_t now = kvm_now_ns(), end = *deadline_ns;
	uint64_t poll_ns = (uint64_t)poll_us * 1000ULL;

	if (th == NULL)
		return -ENOMEM;
	if (poll_us != 0) {
		timer_arm(th, now + poll_ns < end ? now + poll_ns : end, poll_us);
		return 0;
	}
	if (th->poll_us == 0 && th->expiry_ns > now && th->expiry_ns <= end) {
		*deadline_ns = th->expiry_ns;
		return 0;
	}
	timer_arm(th, end, 0);
	return 0;
}

void kvm_slice_end(void)
{
	struct kvm_thread *th = pthread_getspecific(thread_key);

	if (th == NULL || th->poll_us == 0)
		return;
	th->expiry_ns = 0;
	th->poll_us = 0;
	if (th->has_timer) {
		struct itimerspec off;

		memset(&off, 0, sizeof(off));
		(void)timer_settime(th->timer, 0, &off, NULL);
	}
}

void kvm_signals_consume(void)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;

	signal_set(&set);
	while (sigtimedwait(&set, NULL, &zero) > 0)
		;
}

/* Inside KVM_RUN the thread's mask without the signal. */
int kvm_vcpu_sigmask(struct kvm_vcpu *v)
{
	struct kvm_thread *th = thread_state();
	uint64_t buf[2], mask;
	struct kvm_signal_mask *m = (struct kvm_signal_mask *)buf;

	if (th == NULL)
		return -ENOMEM;
	mask = th->kvm_mask;
	if (v->sigmask_set && v->sigmask == mask)
		return 0;
	m->len = sizeof(mask);
	memcpy(m->sigset, &mask, sizeof(mask));
	if (ioctl(v->fd, KVM_SET_SIGNAL_MASK, m) != 0)
		return -errno;
	v->sigmask = mask;
	v->sigmask_set = true;
	return 0;
}

/* ---- the gate (kvm-internal.h) -------------------------------------------------- */

/*
 * Inside the gate, with the memslots mirroring the realm's current stage 2.
 * Returns false (not inside) if they do not: the caller syncs them first.
 * The generation is read under the gate lock, after any s2_changed call
 * that looked at the gate (kvm_exec_s2_changed).
 */
bool kvm_gate_enter(struct kvm_vcpu *v)
{
	struct kvm_realm *kr = v->kr;
	bool in;

	pthread_mutex_lock(&kr->gate_lock);
	while (kr->gate_closed)
		pthread_cond_wait(&kr->gate_cond, &kr->gate_lock);
	v->run_gen = __atomic_load_n(&kr->r->s2_gen, __ATOMIC_ACQUIRE);
	in = v->run_gen == __atomic_load_n(&kr->mem.gen, __ATOMIC_ACQUIRE);
	if (in) {
		kr->in_kvm++;
		__atomic_store_n(&v->thread, pthread_self(), __ATOMIC_SEQ_CST);
		__atomic_store_n(&v->in_run, true, __ATOMIC_SEQ_CST);
	}
	pthread_mutex_unlock(&kr->gate_lock);
	return in;
}

void kvm_gate_leave(struct kvm_vcpu *v)
{
	struct kvm_realm *kr = v->kr;

	pthread_mutex_lock(&kr->gate_lock);
	__atomic_store_n(&v->in_run, false, __ATOMIC_SEQ_CST);
	if (--kr->in_kvm == 0)
		pthread_cond_broadcast(&kr->gate_cond);
	pthread_mutex_unlock(&kr->gate_lock);
}

/*
 * A vCPU inside the gate either has not called KVM_RUN yet (the signal waits,
 * blocked, and KVM_RUN returns EINTR at once), is in it (EINTR), or is about
 * to leave: one signal each is enough.
 */
void kvm_gate_close(struct kvm_realm *kr)
{
	pthread_mutex_lock(&kr->gate_lock);
	kr->gate_closed = true;
	if (kr->in_kvm > 0) {
		pthread_mutex_lock(&kr->lock);
		for (unsigned int i = 0; i < kr->nvcpus; i++) {
			struct kvm_vcpu *v = kr->vcpus[i];

			if (v != NULL && __atomic_load_n(&v->in_run, __ATOMIC_SEQ_CST))
				pthread_kill(__atomic_load_n(&v->thread, __ATOMIC_SEQ_CST),
					     KVM_EXEC_SIGNAL);
		}
		pthread_mutex_unlock(&kr->lock);
	}
	while (kr->in_kvm > 0)
		pthread_cond_wait(&kr->gate_cond, &kr->gate_lock);
	pthread_mutex_unlock(&kr->gate_lock);
}

void kvm_gate_open(struct kvm_realm *kr)
{
	pthread_mutex_lock(&kr->gate_lock);
	kr->gate_closed = false;
	pthread_cond_broadcast(&kr->gate_cond);
	pthread_mutex_unlock(&kr->gate_lock);
}

bool kvm_gate_busy(struct kvm_realm *kr)
{
	bool busy;

	pthread_mutex_lock(&kr->gate_lock);
	busy = kr->in_kvm > 0;
	pthread_mutex_unlock(&kr->gate_lock);
	return busy;
}

/* The REC is inside REC_ENTER (rmm_rec_kick): its run returns an IRQ event
 * now, or its next run does at once. */
void kvm_exec_kick(void *ctx, struct rec *rec)
{
	struct kvm_vcpu *v = rec->exec;

	(void)ctx;
	if (v == NULL)
		return;
	__atomic_store_n(&v->kicked, true, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&v->in_run, __ATOMIC_SEQ_CST))
		pthread_kill(__atomic_load_n(&v->thread, __ATOMIC_SEQ_CST), KVM_EXEC_SIGNAL);
}

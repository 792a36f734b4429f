/* SPDX-License-Identifier: GPL-2.0 */
/* Shared by procmon.bpf.c and its loader (userspace/heald/bpfmon.c). */
#ifndef __HEAL_PROCMON_H
#define __HEAL_PROCMON_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PROCMON_NSIG		32	/* crash counters, indexed by signal number */
#define PROCMON_COMM_LEN	16	/* TASK_COMM_LEN */

enum procmon_kind {
	PROCMON_OOM_KILL = 1,	/* chosen by the OOM killer (then SIGKILLed) */
	PROCMON_CRASH = 2,	/* died of SIGSEGV, SIGBUS, SIGILL, SIGABRT or SIGFPE */
};

enum procmon_flag {
	PROCMON_F_CORE = 1 << 0,	/* a core was dumped */
	/*
	 * OOM kill on a kernel whose mark_victim gives only the pid: comm
	 * and cgroup are the OOM-invoking task's (in a memcg OOM, a task of
	 * the same memory cgroup), not the victim's.
	 */
	PROCMON_F_INVOKER = 1 << 1,
};

/* One kill, through the "procmon_events" ring buffer. */
struct procmon_event {
	__u64 ts_ns;		/* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 cgroup_id;	/* cgroup v2 id (inode of its directory) */
	__u32 pid;		/* thread-group id */
	__u32 kind;		/* enum procmon_kind */
	__u32 sig;		/* PROCMON_CRASH: the signal; OOM: 9 */
	__u32 uid;		/* OOM on newer kernels: victim's uid, else -1 */
	__u32 flags;		/* enum procmon_flag */
	char comm[PROCMON_COMM_LEN];
};

/* Per cgroup, in the "procmon_cgroups" hash. */
struct procmon_cg_val {
	__u64 oom_kills;
	__u64 crashes[PROCMON_NSIG];	/* by signal number */
};

#endif /* __HEAL_PROCMON_H */

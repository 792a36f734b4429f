// SPDX-License-Identifier: GPL-2.0
/*
 * procmon: processes the OOM killer chose, and processes that died of a
 * crash signal (SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGFPE), per cgroup v2 id.
 * Each kill goes through the ring buffer and counts in a hash; both are rare
 * events, so a shared map with atomic adds is cheap enough.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "procmon.h"

#define SIGILL	4
#define SIGABRT	6
#define SIGBUS	7
#define SIGFPE	8
#define SIGKILL	9
#define SIGSEGV	11
#define MAX_CGROUPS	4096

char LICENSE[] SEC("license") = "GPL";

/*
 * LRU: cgroups come and go (a scope per login, per systemd-run, per
 * container exec), and any user can make new ones that crash; a plain hash
 * full of them would count no new cgroup's kills again.  heald keeps the
 * counts of an entry that was evicted and made anew (src_bpf.c).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_CGROUPS);
	__type(key, u64);	/* cgroup id */
	__type(value, struct procmon_cg_val);
} procmon_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} procmon_events SEC(".maps");

/* Events the ring buffer had no room for; the counters still have them. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} procmon_lost SEC(".maps");

static __always_inline u64 task_cgroup_id(struct task_struct *task)
{
	/* What bpf_get_current_cgroup_id() returns, for any task. */
	return BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
}

static __always_inline void count(u64 cgid, u32 sig, bool oom)
{
	struct procmon_cg_val *val, zero = {};

	val = bpf_map_lookup_elem(&procmon_cgroups, &cgid);
	if (!val) {
		bpf_map_update_elem(&procmon_cgroups, &cgid, &zero, BPF_NOEXIST);
		val = bpf_map_lookup_elem(&procmon_cgroups, &cgid);
		if (!val)
			return;
	}
	if (oom)
		__sync_fetch_and_add(&val->oom_kills, 1);
	else if (sig < PROCMON_NSIG)
		__sync_fetch_and_add(&val->crashes[sig], 1);
}

static __always_inline void emit(u64 cgid, u32 pid, u32 kind, u32 sig, u32 uid,
				 u32 flags, const char *comm)
{
	struct procmon_event *e;

	e = bpf_ringbuf_reserve(&procmon_events, sizeof(*e), 0);
	if (!e) {
		u32 zero = 0;
		u64 *lost = bpf_map_lookup_elem(&procmon_lost, &zero);

		if (lost)
			(*lost)++;
		return;
	}
	e->ts_ns = bpf_ktime_get_ns();
	e->cgroup_id = cgid;
	e->pid = pid;
	e->kind = kind;
	e->sig = sig;
	e->uid = uid;
	e->flags = flags;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), comm);
	bpf_ringbuf_submit(e, 0);
}

/*
 * Crashes are taken at exit, not at signal delivery (signal_deliver): JVMs,
 * Go and others catch SIGSEGV on purpose and live on, so only a process the
 * signal actually killed counts.  sched_process_exit runs once per thread
 * after do_exit() stored the exit code (signal in the low 7 bits, 0x80 for a
 * core); counting the group leader only counts each process once, and every
 * process has one that goes through do_exit().
 */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(procmon_exit, struct task_struct *task)
{
	u32 pid = BPF_CORE_READ(task, pid);
	u32 tgid = BPF_CORE_READ(task, tgid);
	int code = BPF_CORE_READ(task, exit_code);
	u32 sig = code & 0x7f;
	u64 cgid;

	if (pid != tgid)
		return 0;
	if (sig != SIGSEGV && sig != SIGBUS && sig != SIGILL && sig != SIGABRT &&
	    sig != SIGFPE)
		return 0;
	cgid = task_cgroup_id(task);
	count(cgid, sig, false);
	emit(cgid, tgid, PROCMON_CRASH, sig, (u32)-1,
	     (code & 0x80) ? PROCMON_F_CORE : 0, task->comm);
	return 0;
}

/*
 * mark_victim: commit "mm: update mark_victim tracepoints fields" (Carlos
 * Galo, 2024) changed its arguments from (int pid) to (struct task_struct *,
 * uid_t), and stable kernels took it (Debian's 6.1.0-57 has the new form).
 * Both programs are built; the loader reads the tracepoint's BTF and loads
 * the one that fits (bpfmon.c, mark_victim_takes_task()).
 */
SEC("tp_btf/mark_victim")
int BPF_PROG(procmon_oom_task, struct task_struct *task, u32 uid)
{
	u64 cgid = task_cgroup_id(task);

	count(cgid, SIGKILL, true);
	emit(cgid, BPF_CORE_READ(task, tgid), PROCMON_OOM_KILL, SIGKILL, uid, 0,
	     task->comm);
	return 0;
}

SEC("tp_btf/mark_victim")
int BPF_PROG(procmon_oom_pid, int pid)
{
	struct task_struct *cur = bpf_get_current_task_btf();
	u32 flags = 0;
	u64 cgid;

	/*
	 * Only the pid: the OOM killer runs in the task whose allocation
	 * failed, for a memcg OOM one charged to the same memory cgroup.
	 * Unless that task is the victim, say so.
	 */
	if (BPF_CORE_READ(cur, tgid) != (u32)pid)
		flags |= PROCMON_F_INVOKER;
	cgid = task_cgroup_id(cur);
	count(cgid, SIGKILL, true);
	emit(cgid, pid, PROCMON_OOM_KILL, SIGKILL, (u32)-1, flags, cur->comm);
	return 0;
}

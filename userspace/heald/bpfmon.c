// SPDX-License-Identifier: GPL-2.0
/*
 * bpfmon: loads bpf/{iomon,netmon,procmon}.bpf.o (libbpf skeletons) and turns
 * their maps and ring buffers into plain C structs for heald.
 *
 * libbpf loads an object all or nothing, and one program the kernel refuses
 * (a tracepoint it lacks, a verifier that is older) must not take the others
 * with it: when an object fails, each of its programs is tried alone to name
 * the culprits, and the object is loaded again without them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "iomon.h"
#include "netmon.h"
#include "procmon.h"
#include "iomon.skel.h"
#include "netmon.skel.h"
#include "procmon.skel.h"
#include "bpfmon.h"

_Static_assert(BPFMON_HIST_SLOTS == IOMON_HIST_SLOTS, "histogram slots");
_Static_assert(BPFMON_NSIG == PROCMON_NSIG, "signal slots");
_Static_assert((int)BPFMON_OP_NR == (int)IOMON_OP_NR, "ops");

#define MAX_PROGS	16
#define WHY_LEN		200

struct prog_state {
	char name[64];
	struct bpf_link *link;
	char why[WHY_LEN];	/* empty when attached */
};

struct bpfmon {
	struct iomon *io;
	struct netmon *net;
	struct procmon *proc;
	struct prog_state progs[MAX_PROGS];
	int nprogs;
	struct ring_buffer *rb;
	struct btf *vmlinux_btf;	/* while opening: tracepoint shapes, reason names */
	/*
	 * skb_drop_reason names, copied out of the kernel's BTF at open: the
	 * parsed BTF is several MiB that heald would otherwise keep resident.
	 */
	char **reasons;
	unsigned int nreasons;
	int ncpus;
	int zone_resource;		/* kernel < 6.5: old BLK_STS_* numbers */
	/* set for the duration of bpfmon_consume() */
	const struct bpfmon_handlers *h;
	void *hctx;
};

/*
 * libbpf's print callback has no context pointer: while this thread loads,
 * keep its first warning (the reason a program failed) here, per thread so
 * that two instances opened by two threads do not mix their reasons.
 */
static __thread char *load_warn;
static __thread size_t load_warn_len;
static __thread libbpf_print_fn_t prev_print;

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && load_warn && !load_warn[0]) {
		va_list aq;
		char *nl;

		va_copy(aq, ap);
		vsnprintf(load_warn, load_warn_len, fmt, aq);
		va_end(aq);
		nl = strchr(load_warn, '\n');
		if (nl)
			*nl = '\0';
	}
	return prev_print ? prev_print(level, fmt, ap) : 0;
}

static struct prog_state *prog_add(struct bpfmon *m, const char *name)
{
	struct prog_state *p;

	if (m->nprogs == MAX_PROGS)
		return NULL;
	p = &m->progs[m->nprogs++];
	snprintf(p->name, sizeof(p->name), "%s", name);
	return p;
}

static void prog_fail(struct bpfmon *m, const char *name, const char *fmt, ...)
{
	struct prog_state *p = prog_add(m, name);
	va_list ap;

	if (!p)
		return;
	va_start(ap, fmt);
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
	va_end(ap);
	if (!p->why[0])
		snprintf(p->why, sizeof(p->why), "failed");
}

/* The typed skeleton functions behind one generic loader. */
struct skel_ops {
	const char *name;
	void *(*open)(void);
	int (*load)(void *skel);
	void (*destroy)(void *skel);
	struct bpf_object *(*obj)(void *skel);
};

#define SKEL_OPS(X)							\
	static void *X##_open_v(void) { return X##__open(); }		\
	static int X##_load_v(void *s) { return X##__load(s); }		\
	static void X##_destroy_v(void *s) { X##__destroy(s); }		\
	static struct bpf_object *X##_obj_v(void *s)			\
	{ return ((struct X *)s)->obj; }				\
	static const struct skel_ops X##_ops = {			\
		#X, X##_open_v, X##_load_v, X##_destroy_v, X##_obj_v,	\
	}

SKEL_OPS(iomon);
SKEL_OPS(netmon);
SKEL_OPS(procmon);

static const struct btf_type *skip_mods(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	return t;
}

/*
 * mark_victim's first argument: a task (1), an int pid (0), or no such
 * tracepoint (-1).  Its BTF is typedef btf_trace_mark_victim: a pointer to
 * void (*)(void *, <args>).
 */
static int mark_victim_takes_task(const struct btf *btf)
{
	const struct btf_type *t;
	const struct btf_param *p;
	int id;

	if (!btf)
		return -1;
	id = btf__find_by_name_kind(btf, "btf_trace_mark_victim", BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = skip_mods(btf, id);
	if (!t || !btf_is_ptr(t))
		return -1;
	t = skip_mods(btf, t->type);
	if (!t || !btf_is_func_proto(t) || btf_vlen(t) < 2)
		return -1;
	p = btf_params(t);
	t = skip_mods(btf, p[1].type);
	return t && btf_is_ptr(t);
}

/* Programs this kernel cannot have, decided before loading anything. */
static void choose_autoload(struct bpfmon *m, struct bpf_object *obj, int record)
{
	struct bpf_program *prog;
	int task = mark_victim_takes_task(m->vmlinux_btf);

	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);
		int off = 0;

		if (!strcmp(name, "procmon_oom_task"))
			off = task != 1;
		else if (!strcmp(name, "procmon_oom_pid"))
			off = task != 0;
		else
			continue;
		if (!off)
			continue;
		bpf_program__set_autoload(prog, false);
		/* The variant for other kernels is not a failure; no tracepoint is. */
		if (record && task < 0 && !strcmp(name, "procmon_oom_task"))
			prog_fail(m, name, "no mark_victim tracepoint in this kernel's BTF");
	}
}

static int prog_listed(const struct bpfmon *m, const char *name)
{
	for (int i = 0; i < m->nprogs; i++)
		if (!strcmp(m->progs[i].name, name))
			return 1;
	return 0;
}

static void set_only(struct bpf_object *obj, const char *only)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, !strcmp(bpf_program__name(prog), only));
}

/* Turns off every program already recorded as failed; returns how many remain. */
static int drop_failed(struct bpfmon *m, struct bpf_object *obj)
{
	struct bpf_program *prog;
	int left = 0;

	bpf_object__for_each_program(prog, obj) {
		if (prog_listed(m, bpf_program__name(prog)))
			bpf_program__set_autoload(prog, false);
		else if (bpf_program__autoload(prog))
			left++;
	}
	return left;
}

/*
 * Open and load one skeleton with every program this kernel takes.  Failed
 * programs are recorded in m->progs; returns the loaded skeleton or NULL.
 */
static void *load_skel(struct bpfmon *m, const struct skel_ops *ops)
{
	char warn[WHY_LEN] = "";
	char names[MAX_PROGS][64];
	struct bpf_program *prog;
	void *skel;
	int err, n = 0;

	load_warn = warn;
	load_warn_len = sizeof(warn);
	skel = ops->open();
	if (!skel) {
		prog_fail(m, ops->name, "open: %s%s%s", strerror(errno),
			  warn[0] ? ": " : "", warn);
		goto out;
	}
	choose_autoload(m, ops->obj(skel), 1);
	if (!drop_failed(m, ops->obj(skel)))
		goto fail;
	err = ops->load(skel);
	if (!err)
		goto out;

	/* Which ones?  Each alone, in a fresh object. */
	bpf_object__for_each_program(prog, ops->obj(skel))
		if (bpf_program__autoload(prog) && n < MAX_PROGS)
			snprintf(names[n++], sizeof(names[0]), "%s", bpf_program__name(prog));
	ops->destroy(skel);
	skel = NULL;
	for (int i = 0; i < n; i++) {
		void *one = ops->open();

		if (!one)
			break;
		set_only(ops->obj(one), names[i]);
		warn[0] = '\0';
		err = ops->load(one);
		if (err)
			prog_fail(m, names[i], "load: %s%s%s", strerror(-err),
				  warn[0] ? ": " : "", warn);
		ops->destroy(one);
	}

	skel = ops->open();
	if (!skel)
		goto out;
	choose_autoload(m, ops->obj(skel), 0);
	if (!drop_failed(m, ops->obj(skel)))
		goto fail;
	warn[0] = '\0';
	err = ops->load(skel);
	if (!err)
		goto out;
	/* Each loads alone but not together (map limits?): all failed. */
	bpf_object__for_each_program(prog, ops->obj(skel))
		if (bpf_program__autoload(prog))
			prog_fail(m, bpf_program__name(prog), "load with the others: %s%s%s",
				  strerror(-err), warn[0] ? ": " : "", warn);
fail:
	ops->destroy(skel);
	skel = NULL;
out:
	load_warn = NULL;
	return skel;
}

static void attach_all(struct bpfmon *m, struct bpf_object *obj)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj) {
		const char *name = bpf_program__name(prog);
		struct prog_state *p;

		if (!bpf_program__autoload(prog) || prog_listed(m, name))
			continue;
		p = prog_add(m, name);
		if (!p)
			return;
		p->link = bpf_program__attach(prog);
		if (!p->link)
			snprintf(p->why, sizeof(p->why), "attach: %s", strerror(errno));
	}
}

static int attached_count(const struct bpfmon *m)
{
	int n = 0;

	for (int i = 0; i < m->nprogs; i++)
		n += m->progs[i].link != NULL;
	return n;
}

/* Statuses 14-17 were renumbered by the removal of BLK_STS_ZONE_RESOURCE in v6.5. */
static int kernel_has_zone_resource(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;
	return major < 6 || (major == 6 && minor < 5);
}

static int on_io_error(void *ctx, void *data, size_t len);
static int on_kill(void *ctx, void *data, size_t len);

static int add_ring(struct bpfmon *m, struct bpf_map *map, ring_buffer_sample_fn fn)
{
	if (!m->rb) {
		m->rb = ring_buffer__new(bpf_map__fd(map), fn, m, NULL);
		return m->rb ? 0 : -errno;
	}
	return ring_buffer__add(m->rb, bpf_map__fd(map), fn, m);
}

static void copy_reasons(struct bpfmon *m)
{
	static const char prefix[] = "SKB_DROP_REASON_";
	const struct btf_type *t;
	const struct btf_enum *e;
	unsigned int max = 0;
	int id, i;

	if (!m->vmlinux_btf)
		return;
	id = btf__find_by_name_kind(m->vmlinux_btf, "skb_drop_reason", BTF_KIND_ENUM);
	t = id > 0 ? btf__type_by_id(m->vmlinux_btf, id) : NULL;
	if (!t)
		return;
	e = btf_enum(t);
	/* Core reasons are small numbers; subsystem ones (top 16 bits) are named by number. */
	for (i = 0; i < btf_vlen(t); i++)
		if (e[i].val >= 0 && e[i].val < 4096 && (unsigned int)e[i].val >= max)
			max = (unsigned int)e[i].val + 1;
	m->reasons = calloc(max, sizeof(*m->reasons));
	if (!m->reasons)
		return;
	m->nreasons = max;
	for (i = 0; i < btf_vlen(t); i++) {
		const char *name = btf__name_by_offset(m->vmlinux_btf, e[i].name_off);

		if (!name || e[i].val < 0 || (unsigned int)e[i].val >= max)
			continue;
		if (!strncmp(name, prefix, sizeof(prefix) - 1))
			name += sizeof(prefix) - 1;
		if (!m->reasons[e[i].val])
			m->reasons[e[i].val] = strdup(name);
	}
}

struct bpfmon *bpfmon_open_only(unsigned int parts, char *err, size_t errlen)
{
	struct bpfmon *m = calloc(1, sizeof(*m));
	int ret;

	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->ncpus = libbpf_num_possible_cpus();
	if (m->ncpus <= 0) {
		snprintf(err, errlen, "cannot count possible CPUs: %s", strerror(-m->ncpus));
		free(m);
		return NULL;
	}
	m->zone_resource = kernel_has_zone_resource();
	m->vmlinux_btf = btf__load_vmlinux_btf();
	if (!m->vmlinux_btf)
		m->vmlinux_btf = NULL;	/* names fall back to numbers */

	prev_print = libbpf_set_print(capture_print);
	if (parts & BPFMON_IO)
		m->io = load_skel(m, &iomon_ops);
	if (parts & BPFMON_NET)
		m->net = load_skel(m, &netmon_ops);
	if (parts & BPFMON_PROC)
		m->proc = load_skel(m, &procmon_ops);
	libbpf_set_print(prev_print);

	if (m->io)
		attach_all(m, m->io->obj);
	if (m->net)
		attach_all(m, m->net->obj);
	if (m->proc)
		attach_all(m, m->proc->obj);
	if (!attached_count(m)) {
		int off = snprintf(err, errlen, "no BPF program attached");

		for (int i = 0; i < m->nprogs && off > 0 && (size_t)off < errlen; i++)
			off += snprintf(err + off, errlen - off, "; %s: %s",
					m->progs[i].name, m->progs[i].why);
		bpfmon_close(m);
		return NULL;
	}

	copy_reasons(m);
	btf__free(m->vmlinux_btf);
	m->vmlinux_btf = NULL;

	ret = 0;
	if (m->io && !ret)
		ret = add_ring(m, m->io->maps.iomon_errors, on_io_error);
	if (m->proc && !ret)
		ret = add_ring(m, m->proc->maps.procmon_events, on_kill);
	if (ret) {
		snprintf(err, errlen, "ring buffer: %s", strerror(-ret));
		bpfmon_close(m);
		return NULL;
	}
	return m;
}

struct bpfmon *bpfmon_open(char *err, size_t errlen)
{
	return bpfmon_open_only(BPFMON_ALL, err, errlen);
}

void bpfmon_close(struct bpfmon *m)
{
	if (!m)
		return;
	ring_buffer__free(m->rb);
	for (int i = 0; i < m->nprogs; i++)
		bpf_link__destroy(m->progs[i].link);
	iomon__destroy(m->io);
	netmon__destroy(m->net);
	procmon__destroy(m->proc);
	btf__free(m->vmlinux_btf);
	for (unsigned int i = 0; i < m->nreasons; i++)
		free(m->reasons[i]);
	free(m->reasons);
	free(m);
}

int bpfmon_status(struct bpfmon *m,
		  void (*cb)(void *ctx, const char *prog, int attached, const char *why),
		  void *ctx)
{
	int failed = 0;

	for (int i = 0; i < m->nprogs; i++) {
		const struct prog_state *p = &m->progs[i];

		failed += !p->link;
		if (cb)
			cb(ctx, p->name, p->link != NULL, p->link ? "" : p->why);
	}
	return failed;
}

int bpfmon_fd(struct bpfmon *m)
{
	return m->rb ? ring_buffer__epoll_fd(m->rb) : -ENOENT;
}

static int on_io_error(void *ctx, void *data, size_t len)
{
	const struct iomon_error_event *ev = data;
	struct bpfmon *m = ctx;
	struct bpfmon_io_error e = { 0 };

	if (len < sizeof(*ev) || !m->h || !m->h->io_error)
		return 0;
	e.ts_ns = ev->ts_ns;
	e.major = ev->major;
	e.minor = ev->minor;
	e.sector = ev->sector;
	e.nr_sectors = ev->nr_sectors;
	e.op = ev->op < IOMON_OP_NR ? (enum bpfmon_op)ev->op : BPFMON_OP_OTHER;
	/* See iomon_complete(): negative is an errno, positive a blk_status_t. */
	if (ev->status < 0) {
		e.err = -ev->status;
		e.blk_status = -1;
	} else {
		e.err = bpfmon_blk_status_errno(ev->status, m->zone_resource);
		e.blk_status = ev->status;
	}
	m->h->io_error(m->hctx, &e);
	return 0;
}

static int on_kill(void *ctx, void *data, size_t len)
{
	const struct procmon_event *ev = data;
	struct bpfmon *m = ctx;
	struct bpfmon_kill k = { 0 };

	if (len < sizeof(*ev) || !m->h || !m->h->kill)
		return 0;
	k.ts_ns = ev->ts_ns;
	k.cgroup_id = ev->cgroup_id;
	k.pid = (pid_t)ev->pid;
	k.oom = ev->kind == PROCMON_OOM_KILL;
	k.sig = (int)ev->sig;
	k.core_dumped = !!(ev->flags & PROCMON_F_CORE);
	k.invoker = !!(ev->flags & PROCMON_F_INVOKER);
	k.uid = (uid_t)ev->uid;
	memcpy(k.comm, ev->comm, sizeof(k.comm));
	k.comm[sizeof(k.comm) - 1] = '\0';
	m->h->kill(m->hctx, &k);
	return 0;
}

int bpfmon_consume(struct bpfmon *m, const struct bpfmon_handlers *h, void *ctx)
{
	int n;

	if (!m->rb)
		return 0;
	m->h = h;
	m->hctx = ctx;
	n = ring_buffer__consume(m->rb);
	m->h = NULL;
	m->hctx = NULL;
	return n;
}

int bpfmon_disks(struct bpfmon *m,
		 void (*cb)(void *ctx, const struct bpfmon_disk *d), void *ctx)
{
	struct iomon_key key, next;
	struct iomon_val *vals;
	void *prev = NULL;
	int fd, n = 0;

	if (!m->io)
		return -ENOENT;
	fd = bpf_map__fd(m->io->maps.iomon_disks);
	vals = calloc(m->ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct bpfmon_disk d = { 0 };

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, vals))
			continue;	/* deleted meanwhile */
		d.major = key.major;
		d.minor = key.minor;
		d.op = key.op < IOMON_OP_NR ? (enum bpfmon_op)key.op : BPFMON_OP_OTHER;
		for (int c = 0; c < m->ncpus; c++) {
			d.count += vals[c].count;
			d.bytes += vals[c].bytes;
			d.errors += vals[c].errors;
			for (int s = 0; s < IOMON_HIST_SLOTS; s++)
				d.hist[s] += vals[c].hist[s];
		}
		cb(ctx, &d);
		n++;
	}
	free(vals);
	return n;
}

/* "NETFILTER_DROP" for SKB_DROP_REASON_NETFILTER_DROP, from the running kernel. */
static const char *drop_reason_name(const struct bpfmon *m, unsigned int reason,
				    char *buf, size_t len)
{
	if (reason < m->nreasons && m->reasons[reason]) {
		snprintf(buf, len, "%s", m->reasons[reason]);
		return buf;
	}
	/* Subsystem reasons (mac80211, openvswitch, ...) carry it in the top 16 bits. */
	if (reason >> 16)
		snprintf(buf, len, "SUBSYS_%u_%u", reason >> 16, reason & 0xffff);
	else
		snprintf(buf, len, "REASON_%u", reason);
	return buf;
}

int bpfmon_net(struct bpfmon *m,
	       void (*retrans)(void *ctx, const struct bpfmon_retrans *r),
	       void (*drop)(void *ctx, const struct bpfmon_drop *d), void *ctx)
{
	struct netmon_retrans_key rk, rnext;
	struct netmon_drop_key dk, dnext;
	void *prev = NULL;
	uint64_t *vals;
	int fd, n = 0;

	if (!m->net)
		return -ENOENT;
	fd = bpf_map__fd(m->net->maps.netmon_retrans);
	while (retrans && !bpf_map_get_next_key(fd, prev, &rnext)) {
		struct bpfmon_retrans r = { 0 };
		uint64_t v;

		rk = rnext;
		prev = &rk;
		if (bpf_map_lookup_elem(fd, &rk, &v))
			continue;
		r.netns = rk.netns;
		r.ifindex = (int)rk.ifindex;
		r.family = rk.family;
		memcpy(r.addr, rk.addr, sizeof(r.addr));
		r.count = v;
		retrans(ctx, &r);
		n++;
	}

	vals = calloc(m->ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	fd = bpf_map__fd(m->net->maps.netmon_drops);
	prev = NULL;
	while (drop && !bpf_map_get_next_key(fd, prev, &dnext)) {
		struct bpfmon_drop d = { 0 };
		char name[96];

		dk = dnext;
		prev = &dk;
		if (bpf_map_lookup_elem(fd, &dk, vals))
			continue;
		d.netns = dk.netns;
		d.ifindex = (int)dk.ifindex;
		d.reason = dk.reason;
		d.reason_name = drop_reason_name(m, dk.reason, name, sizeof(name));
		for (int c = 0; c < m->ncpus; c++)
			d.count += vals[c];
		drop(ctx, &d);
		n++;
	}
	free(vals);
	return n;
}

int bpfmon_procs(struct bpfmon *m,
		 void (*cb)(void *ctx, const struct bpfmon_cgroup *c), void *ctx)
{
	struct procmon_cg_val v;
	uint64_t key, next;
	void *prev = NULL;
	int fd, n = 0;

	if (!m->proc)
		return -ENOENT;
	fd = bpf_map__fd(m->proc->maps.procmon_cgroups);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		struct bpfmon_cgroup c = { 0 };

		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v))
			continue;
		c.cgroup_id = key;
		c.oom_kills = v.oom_kills;
		memcpy(c.crashes, v.crashes, sizeof(c.crashes));
		cb(ctx, &c);
		n++;
	}
	return n;
}

static uint64_t percpu_sum(int fd, uint32_t idx, int ncpus)
{
	uint64_t *vals = calloc(ncpus, sizeof(*vals)), sum = 0;

	if (vals && !bpf_map_lookup_elem(fd, &idx, vals))
		for (int c = 0; c < ncpus; c++)
			sum += vals[c];
	free(vals);
	return sum;
}

int bpfmon_lost(struct bpfmon *m, struct bpfmon_lost *out)
{
	memset(out, 0, sizeof(*out));
	if (m->io) {
		int fd = bpf_map__fd(m->io->maps.iomon_stats);

		out->io_untimed = percpu_sum(fd, IOMON_STAT_UNTIMED, m->ncpus);
		out->io_errors_lost = percpu_sum(fd, IOMON_STAT_RINGBUF_FULL, m->ncpus);
	}
	if (m->proc)
		out->kills_lost = percpu_sum(bpf_map__fd(m->proc->maps.procmon_lost), 0,
					     m->ncpus);
	return 0;
}

/* Pure helpers. */

double bpfmon_hist_pct(const uint64_t *hist, int n, double pct)
{
	uint64_t total = 0;
	double want, seen = 0;

	if (!hist || n <= 0 || !(pct > 0))
		return 0;
	if (pct > 100)
		pct = 100;
	for (int i = 0; i < n; i++)
		total += hist[i];
	if (!total)
		return 0;
	want = (double)total * pct / 100.0;
	for (int i = 0; i < n; i++) {
		/* Slot i spans [2^i, 2^(i+1)) us; slot 0 starts at 0. */
		double lo = i ? (double)(1ULL << i) : 0, hi = (double)(2ULL << i);

		if (!hist[i])
			continue;
		if (seen + (double)hist[i] >= want)
			return lo + (hi - lo) * (want - seen) / (double)hist[i];
		seen += (double)hist[i];
	}
	return (double)(2ULL << (n - 1));
}

int bpfmon_blk_status_errno(int status, int zone_resource)
{
	/* include/linux/blk_types.h and block/blk-core.c blk_errors[]. */
	static const int common[] = {
		[0] = 0,		[1] = EOPNOTSUPP,	[2] = ETIMEDOUT,
		[3] = ENOSPC,		[4] = ENOLINK,		[5] = EREMOTEIO,
		[6] = EBADE,		[7] = ENODATA,		[8] = EILSEQ,
		[9] = ENOMEM,		[10] = EIO,		[11] = EREMCHG,
		[12] = EAGAIN,		[13] = EBUSY,
	};
	/* Before v6.5: 14 ZONE_RESOURCE, 15 ZONE_OPEN_RESOURCE, 16 ZONE_ACTIVE, 17 OFFLINE */
	static const int old[] = { EBUSY, ETOOMANYREFS, EOVERFLOW, ENODEV };
	/* Since: 14 ZONE_OPEN_RESOURCE, 15 ZONE_ACTIVE, 16 OFFLINE, 17 DURATION_LIMIT */
	static const int new[] = { ETOOMANYREFS, EOVERFLOW, ENODEV, ETIME };

	if (status >= 0 && status < (int)(sizeof(common) / sizeof(common[0])))
		return common[status];
	if (status >= 14 && status <= 17)
		return zone_resource ? old[status - 14] : new[status - 14];
	if (status == 19 && !zone_resource)
		return EINVAL;	/* BLK_STS_INVAL */
	return EIO;		/* as blk_status_to_errno() for unknown ones */
}

const char *bpfmon_op_name(enum bpfmon_op op)
{
	static const char *const names[] = {
		[BPFMON_OP_READ] = "read",	[BPFMON_OP_WRITE] = "write",
		[BPFMON_OP_FLUSH] = "flush",	[BPFMON_OP_DISCARD] = "discard",
		[BPFMON_OP_OTHER] = "other",
	};

	return (unsigned int)op < BPFMON_OP_NR ? names[op] : "?";
}

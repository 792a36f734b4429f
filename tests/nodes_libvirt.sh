#!/usr/bin/env bash
# libvirt on the two nodes of tests/nodes.sh, and a small VM to move
# between them; sourced after nodes.sh (which gives NSA, NSB, PEER,
# SCRATCH, peer_exec, fail, log, skip):
#
#   each node runs its own libvirtd (QEMU driver, TCG), started here
#   without systemd: its /etc/libvirt, /run/libvirt, /var/lib/libvirt,
#   /var/log/libvirt and /var/cache/libvirt are directories of this test
#   bound over them in a mount namespace, its libvirtd.conf has a host_uuid
#   of its own (libvirt refuses to migrate a domain to the host it runs
#   on), and it listens on nothing but its Unix sockets.  The source's
#   libvirtd is in network namespace $NSA and a mount namespace of its own
#   (its socket: $LV_SOCK_A); the peer's in the peer node's namespaces, so
#   that the peer's sshd (where the source's libvirtd reaches it, through
#   virt-ssh-helper) sees its socket;
#   the VM: a Debian kernel (/boot/vmlinuz-*) with a busybox initramfs
#   whose init writes block N of its virtio disk (raw, on the node's own
#   copy of $VMDIR: the peer binds a directory of its own over it) with
#   fsync, then prints "heal-vm TOKEN N SHA256" (the sha256 of the block
#   read back from the disk with O_DIRECT) on
#   its serial console, $VMDIR/console.log, every 0.2 s.  TOKEN is drawn
#   at boot: a restart would show a new one, and N from 1 again.  With
#   VM_APPEND="heal_dirty=MIB" it also rewrites MIB MiB of its memory in a
#   loop (a guest dirtying memory faster than a slow link copies it).
#
# Block N is "heal block N" padded with spaces to 4095 bytes and a newline
# (vm_block prints it), so the test can check every block the guest wrote
# on either node's disk.
# shellcheck disable=SC2034  # constants are for the tests that source this

VMDIR=$SCRATCH/vm		# the VM's disk and console (the peer's own copy there)
LV_A=$SCRATCH/lv-a LV_B=$PEER/lv-b	# each libvirtd's directories
LV_SOCK_A=$LV_A/run/libvirt-sock
LV_URI_A="qemu:///system?socket=$LV_SOCK_A"
VM=healvm$$
VM_KERNEL=""
VM_APPEND=""			# more words for the guest's command line (heal_dirty=MIB)
PY=${PY:-/usr/bin/python3}	# vm_moved_intact's checker
_lv_a_pid=""

lv_cleanup() {
	local d f
	# The VM's qemu on either node, then the daemons.
	for d in "$LV_A" "$LV_B"; do
		[ -d "$d/run/qemu" ] || continue
		for f in "$d"/run/qemu/*.pid; do
			[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
		done
	done
	[ -n "$_lv_a_pid" ] && kill -9 "$_lv_a_pid" 2>/dev/null
	[ -f "$LV_B/run/libvirtd.pid" ] && kill -9 "$(cat "$LV_B/run/libvirtd.pid")" 2>/dev/null
	pkill_qemu_of "$VM"
	# Until they are gone: the mount namespace of the source's libvirtd holds
	# what was mounted when it started (in the VM a healblk device's file
	# system, which cleanup must be able to unmount and destroy).
	for ((d = 0; d < 50; d++)); do
		{ [ -z "$_lv_a_pid" ] || ! kill -0 "$_lv_a_pid" 2>/dev/null; } && ! pgrep -f "guest=$VM," > /dev/null && break
		sleep 0.1
	done
}

# Any qemu still running this test's VM (by its unique name; the pid files may be gone).
pkill_qemu_of() {
	local p
	for p in $(pgrep -f "guest=$1,"); do kill -9 "$p" 2>/dev/null; done
}

lv_setup() {
	command -v libvirtd > /dev/null || [ -x /usr/sbin/libvirtd ] || skip "no libvirtd (libvirt-daemon)"
	command -v virt-ssh-helper > /dev/null || skip "no virt-ssh-helper (libvirt-daemon)"
	[ -x /usr/bin/qemu-system-x86_64 ] || skip "no qemu-system-x86_64"
	[ -x /bin/busybox ] || skip "no busybox (busybox-static)"
	VM_KERNEL=$(find /boot -name 'vmlinuz-*' | sort -V | head -1)
	[ -n "$VM_KERNEL" ] || skip "no Debian kernel in /boot"
	vm_initramfs "${VM_KERNEL#/boot/vmlinuz-}"
	trap 'lv_cleanup; nodes_cleanup; cleanup' EXIT
}

# The guest's initramfs: busybox, virtio's modules of kernel $1, the init.
vm_initramfs() {
	local root=$SCRATCH/initramfs m
	mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules} || fail "mkdir initramfs"
	cp /bin/busybox "$root/bin/" || fail "busybox"
	for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
		cp "$(modinfo -k "$1" -n "$m")" "$root/lib/modules/" || fail "module $m of $1"
	done
	# shellcheck disable=SC2016  # the guest's shell expands these
	cat > "$root/init" <<-'EOF'
	#!/bin/busybox sh
	/bin/busybox --install -s /bin
	mount -t proc proc /proc
	mount -t sysfs sys /sys
	mount -t devtmpfs dev /dev
	for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
		insmod /lib/modules/$m.ko
	done
	while [ ! -b /dev/vda ]; do sleep 0.1; done
	# heal_dirty=MIB on the command line: dd reads a file of MIB MiB into a
	# buffer as fast as it can, over and over, a guest dirtying memory faster
	# than a slow link copies it.  Not zeros: QEMU sends a page of zeros as
	# a mark, and such a guest converges at any speed.
	for w in $(cat /proc/cmdline); do
		case $w in
		heal_dirty=*)
			yes heal | head -c $((${w#*=} << 20)) > /tmp/dirty
			(while :; do dd if=/tmp/dirty of=/dev/null bs="${w#*=}M" 2>/dev/null; done) & ;;
		esac
	done
	token=$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
	n=$(($(blockdev --getsize64 /dev/vda) / 4096))
	i=0
	while :; do
		i=$((i + 1))
		if [ $i -lt $n ]; then
			printf '%-4095s\n' "heal block $i" > /tmp/b
			dd if=/tmp/b of=/dev/vda bs=4096 seek=$i count=1 conv=notrunc,fsync 2>/dev/null
			# Read back from the disk (O_DIRECT: past the guest's page cache).
			s=$(dd if=/dev/vda bs=4096 skip=$i count=1 iflag=direct 2>/dev/null | sha256sum)
		fi
		echo "heal-vm $token $i ${s%% *}" > /dev/ttyS0
		sleep 0.2
	done
	EOF
	chmod +x "$root/init"
	(cd "$root" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$SCRATCH/initramfs.gz" ||
		fail "cpio initramfs"
}

# Block N of the guest's disk as the guest writes it.
vm_block() { printf '%-4095s\n' "heal block $1"; }

# The config of node directory $1 with host UUID $2, listening on $3 for migrations.
lv_conf() {
	mkdir -p "$1"/{etc,run,lib,log,cache} || fail "mkdir $1"
	cat > "$1/etc/libvirtd.conf" <<-EOF
	host_uuid = "$2"
	unix_sock_rw_perms = "0700"
	auth_unix_rw = "none"
	log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
	EOF
	# Root's qemu, no labels, no cgroups or namespaces of its own: the test's
	# disks are plain files; virtlogd is not started here (stdio to a file).
	cat > "$1/etc/qemu.conf" <<-EOF
	user = "root"
	group = "root"
	dynamic_ownership = 0
	remember_owner = 0
	security_driver = "none"
	stdio_handler = "file"
	namespaces = [ ]
	cgroup_controllers = [ ]
	migration_address = "$3"
	migration_host = "$3"
	EOF
}

# libvirtd's dirs bound over the system's, then libvirtd (a script for sh, run where it must).
# Debian's libvirtd looks its qemu user up even when qemu.conf says root:
# libvirt-daemon-system makes it; here a copy of passwd and group has it.
lv_script() {	# lv_script DIR
	cp /etc/passwd "$1/passwd" || fail "passwd"
	cp /etc/group "$1/group" || fail "group"
	grep -q '^libvirt-qemu:' /etc/group || echo "libvirt-qemu:x:64055:" >> "$1/group"
	grep -q '^kvm:' /etc/group || echo "kvm:x:64056:" >> "$1/group"
	grep -q '^libvirt-qemu:' /etc/passwd ||
		echo "libvirt-qemu:x:64055:64055::/nonexistent:/usr/sbin/nologin" >> "$1/passwd"
	cat > "$1/node.sh" <<-EOF
	mount --bind "$1/passwd" /etc/passwd && mount --bind "$1/group" /etc/group || exit 1
	for d in etc:/etc/libvirt run:/run/libvirt lib:/var/lib/libvirt log:/var/log/libvirt cache:/var/cache/libvirt; do
		mkdir -p "\${d#*:}" && mount --bind "$1/\${d%%:*}" "\${d#*:}" || exit 1
	done
	exec /usr/sbin/libvirtd --pid-file /run/libvirt/libvirtd.pid
	EOF
}

lv_wait() {	# lv_wait SOCKET NAME
	local i
	for ((i = 0; i < 300; i++)); do
		virsh -c "qemu:///system?socket=$1" version > /dev/null 2>&1 && return 0
		sleep 0.1
	done
	tail -20 "$(dirname "$1")/../log/libvirtd.log" 2>/dev/null
	fail "$2's libvirtd did not start"
}

# Both libvirtds: the source's in $NSA and its own mount namespace, the peer's in the peer node.
lv_start() {
	lv_conf "$LV_A" "$(cat /proc/sys/kernel/random/uuid)" "$ADDR_A"
	lv_conf "$LV_B" "$(cat /proc/sys/kernel/random/uuid)" "$ADDR_B"
	lv_script "$LV_A"
	lv_script "$LV_B"
	in_source
	"${IN_SOURCE[@]}" unshare --mount --propagation private \
		sh "$LV_A/node.sh" >> "$LV_A/stderr.log" 2>&1 &
	_lv_a_pid=$!
	# Killed by lv_cleanup: without the shell's "Killed" notice in the test's output.
	disown "$_lv_a_pid"
	_pids+=("$_lv_a_pid")
	# In the peer node's own mount namespace: sshd's sessions see its socket.
	mkdir -p "$PEER/vm" || fail "mkdir $PEER/vm"
	peer_exec sh -c "mkdir -p '$VMDIR' && mount --bind '$PEER/vm' '$VMDIR'" || fail "peer's $VMDIR"
	peer_exec sh -c "sh '$LV_B/node.sh' >> '$LV_B/stderr.log' 2>&1 &" || fail "the peer's libvirtd"
	lv_wait "$LV_SOCK_A" source
	lv_wait "$LV_B/run/libvirt-sock" peer
}

# virsh on the source's libvirtd, and on the peer's.
vs() { virsh -q -c "$LV_URI_A" "$@"; }
vp() { virsh -q -c "qemu:///system?socket=$LV_B/run/libvirt-sock" "$@"; }

# The VM on the source: MiB of memory, a raw disk of 32 MiB, running.
vm_start() {	# vm_start MIB
	mkdir -p "$VMDIR" || fail "mkdir $VMDIR"
	truncate -s 32M "$VMDIR/disk.raw" || fail "disk"
	cat > "$SCRATCH/$VM.xml" <<-EOF
	<domain type='qemu'>
	  <name>$VM</name>
	  <memory unit='MiB'>$1</memory>
	  <vcpu>1</vcpu>
	  <os>
	    <type arch='x86_64' machine='pc'>hvm</type>
	    <kernel>$VM_KERNEL</kernel>
	    <initrd>$SCRATCH/initramfs.gz</initrd>
	    <cmdline>console=ttyS0 quiet panic=-1${VM_APPEND:+ $VM_APPEND}</cmdline>
	  </os>
	  <on_reboot>destroy</on_reboot>
	  <devices>
	    <emulator>/usr/bin/qemu-system-x86_64</emulator>
	    <disk type='file' device='disk'>
	      <driver name='qemu' type='raw' cache='none'/>
	      <source file='$VMDIR/disk.raw'/>
	      <target dev='vda' bus='virtio'/>
	    </disk>
	    <serial type='file'>
	      <source path='$VMDIR/console.log' append='on'/>
	      <target port='0'/>
	    </serial>
	    <memballoon model='none'/>
	  </devices>
	</domain>
	EOF
	vs define "$SCRATCH/$VM.xml" > /dev/null || fail "virsh define"
	vs start "$VM" > /dev/null || fail "virsh start: $(tail -5 "$LV_A/log/qemu/$VM.log" 2>/dev/null)"
}

# The guest's last console line on the source or the peer: TOKEN N SHA.
vm_last() {	# vm_last source|peer
	if [ "$1" = peer ]; then
		peer_exec cat "$VMDIR/console.log" 2>/dev/null
	else
		cat "$VMDIR/console.log" 2>/dev/null
	fi | grep -a '^heal-vm ' | tail -1 | cut -d' ' -f2-
}

# Until the guest printed its count on the source, up to $1 s.
vm_wait_count() {	# vm_wait_count SECONDS
	local i
	for ((i = 0; i < $1 * 5; i++)); do
		[ -n "$(vm_last source)" ] && return 0
		sleep 0.2
	done
	tail -5 "$VMDIR/console.log" 2>/dev/null
	fail "the guest printed no count within $1 s"
}

# The two nodes with libvirt and the VM counting on the source, as the
# migration tests and scripts/bench/migrate.sh all want them: namespaces,
# the peer (sshd and heald, PEER_CONF for its heald.conf), both libvirtds,
# the peer's storage pool over the VM's directory (libvirt makes the disk
# there before it copies it: it makes none outside a pool), the VM with
# MIB MiB, and its first count within SECONDS.
lv_nodes_up() {	# lv_nodes_up MIB SECONDS
	lv_setup
	nodes_setup
	peer_start
	lv_start
	vp pool-define-as heal-vm dir --target "$VMDIR" > /dev/null || fail "the peer's storage pool"
	vp pool-start heal-vm > /dev/null || fail "the peer's storage pool: start"
	vm_start "$1"
	vm_wait_count "$2"
}

# The VM's workload ([workload vm]) as the source's heald shows it.
wl() { hs status --json | jq -c '.heald.migration.workloads[] | select(.name == "vm")'; }
# Until that status passes jq test JQ_TEST, SECONDS (30) at most.
wl_wait() {	# wl_wait JQ_TEST [SECONDS]
	local i
	for ((i = 0; i < ${2:-30} * 5; i++)); do
		jq -e "$1" <<< "$(wl)" > /dev/null 2>&1 && return 0
		sleep 0.2
	done
	nodes_fail "workload vm: not $1: $(wl | cut -c1-600)"
}
# The guest's count on the source (or the peer) now: its last console line's.
count() { vm_last "${1:-source}" | cut -d' ' -f2; }

# Until the guest's count on the peer passes N + 5, SECONDS at most (false then).
vm_wait_count_there() {	# vm_wait_count_there N SECONDS
	local i
	for ((i = 0; i < $2 * 5; i++)); do
		[ "$(count peer)" -gt "$(($1 + 5))" ] 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# The VM runs on the peer's libvirtd, is defined here no more, and one qemu
# of it runs on the machine (nothing runs twice).
vm_runs_only_there() {
	local n
	[ "$(vp domstate "$VM")" = running ] || fail "the VM does not run on the peer: $(vp domstate "$VM" 2>&1)"
	vs dominfo "$VM" > /dev/null 2>&1 && fail "the VM is still defined here: $(vs dominfo "$VM")"
	n=$(pgrep -fc "guest=$VM,")
	[ "$n" = 1 ] || fail "$n qemu processes of the VM"
}

# vm_moved_intact BEFORE LAST_HERE TOKEN, once the guest counts on at the
# peer: it went on there from where it was here (BEFORE at the move's start,
# LAST_HERE its last count here) under the same TOKEN, and every block it
# printed, here and there, is on the peer's disk with its sha256.
vm_moved_intact() {
	local before=$1 last_here=$2 token=$3 first_there t_peer n_peer
	first_there=$(peer_exec grep -a -m1 '^heal-vm ' "$VMDIR/console.log" | cut -d' ' -f3)
	read -r t_peer n_peer _ < <(vm_last peer)
	log "count: $before before the move, $last_here last here, $first_there first there, $n_peer now"
	[ "$t_peer" = "$token" ] || fail "the guest restarted on the peer: token $t_peer, was $token"
	if [ "$first_there" -le "$before" ] || [ "$first_there" -gt "$((last_here + 1))" ]; then
		fail "the count there starts at $first_there, here it was $before..$last_here"
	fi
	[ "$n_peer" -gt "$((last_here + 5))" ] || fail "the guest does not count on the peer: $n_peer"
	# Every block the guest wrote (here and there) is on the peer's disk, as it printed it.
	"$PY" - "$PEER/vm/disk.raw" "$VMDIR/console.log" "$PEER/vm/console.log" <<-'EOF' || fail "the peer's disk"
		import hashlib, sys
		disk = open(sys.argv[1], "rb")
		sums = {}
		for log in sys.argv[2:]:
		    for line in open(log, errors="replace"):
		        f = line.split()
		        if len(f) == 4 and f[0] == "heal-vm":
		            if int(f[2]) in sums and sums[int(f[2])] != f[3]:
		                print("# block %s printed twice, different sums" % f[2]); sys.exit(1)
		            sums[int(f[2])] = f[3]
		top = max(sums)
		bad = 0
		for n in range(1, top):		# the last block may be under way
		    disk.seek(n * 4096)
		    b = disk.read(4096)
		    want = ("heal block %d" % n).ljust(4095).encode() + b"\n"
		    if b != want or (n in sums and hashlib.sha256(b).hexdigest() != sums[n]):
		        bad += 1
		print("# peer's disk: blocks 1..%d checked, %d sums printed, %d bad" % (top - 1, len(sums), bad))
		sys.exit(1 if bad or len(sums) < top - 3 else 0)
		EOF
}

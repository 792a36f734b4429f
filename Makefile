# SPDX-License-Identifier: GPL-2.0
# heal: `make` builds what exists; `make check` sets up, builds and runs every
# test (host, then the kernel tests in virtme-ng on Debian's 6.1 and 6.12);
# `make demo` shows healblk healing a failing leg; `make bench` measures it;
# `make check-debug` runs the kernel tests in a 6.1 kernel with KASAN and
# lockdep (Documentation/check-debug.md).
#   make kmod [KDIR=/lib/modules/<kver>/build] [W=1] [C=1]
#       -> build/kmod/<kver>/kmod/healblk.ko
TOP	:= $(CURDIR)
BUILD	:= $(TOP)/build
VNG	:= /opt/heal/venv/bin/vng
# Debian 12's two kernels, newest of each series.
K61	:= $(notdir $(lastword $(sort $(wildcard /lib/modules/6.1.*-amd64))))
K612	:= $(notdir $(lastword $(sort $(wildcard /lib/modules/6.12.*-amd64))))
KVERS	:= $(strip $(K61) $(K612))
# The module for the running kernel if it has headers, else the newest Debian one.
KDIR	?= $(if $(wildcard /lib/modules/$(shell uname -r)/build),/lib/modules/$(shell uname -r)/build,$(firstword $(foreach k,$(K612) $(K61),/lib/modules/$(k)/build)))
# The kernel release a KDIR builds for: /lib/modules/<kver>/build or
# linux-headers-<kver> by name (Debian's kernel.release in the 6.1 headers
# says 6.1.<upstream>, not the package's release), else the tree's own.
KVER_OF	= $(or $(patsubst /lib/modules/%/build,%,$(filter /lib/modules/%/build,$(1))),$(patsubst linux-headers-%,%,$(filter linux-headers-%,$(notdir $(abspath $(1))))),$(shell cat $(1)/include/config/kernel.release 2>/dev/null),$(notdir $(abspath $(1))))
KVER	:= $(if $(KDIR),$(call KVER_OF,$(KDIR)))

all: kmod bpf userspace tui

# Cheap when everything is there (a stamp and a few probes), else the
# idempotent scripts/setup.sh, which needs root.
SETUP_STAMP := $(BUILD)/deps/setup.stamp
SETUP_TOOLS := gcc pkg-config fio jq dmsetup mdadm qemu-system-x86_64 shellcheck cppcheck sparse
setup:
	@if [ ! -f $(SETUP_STAMP) ] || [ scripts/setup.sh -nt $(SETUP_STAMP) ] || \
	    [ ! -x $(VNG) ] || [ -z "$(K61)" ] || [ -z "$(K612)" ] || \
	    [ ! -f $(BUILD)/deps/linux-source.stamp ] || \
	    ! command -v $(SETUP_TOOLS) > /dev/null; then \
		scripts/setup.sh && touch $(SETUP_STAMP); \
	fi

# Each kernel builds in its own copy of the sources, out of the tree: kbuild
# writes its objects next to them.  $(1): kernel release, $(2): its KDIR.
define build_kmod
	@test -n "$(1)" -a -d "$(2)" || { echo "no kernel headers at '$(2)': make setup, or KDIR=" >&2; exit 1; }
	@rm -rf $(BUILD)/kmod/$(1) && mkdir -p $(BUILD)/kmod/$(1)
	@cp -a kmod include $(BUILD)/kmod/$(1)/
	$(MAKE) -C $(BUILD)/kmod/$(1)/kmod KDIR=$(2) $(if $(W),W=$(W)) $(if $(C),C=$(C))
endef

kmod:
	$(call build_kmod,$(KVER),$(KDIR))

kmod-%:
	$(call build_kmod,$*,/lib/modules/$*/build)

# Both Debian kernels, as make check and the VM scripts want them.
kmods: $(addprefix kmod-,$(KVERS))
	@test -n "$(K61)" -a -n "$(K612)" || { echo "Debian's 6.1 and 6.12 kernels are not both in /lib/modules: make setup" >&2; exit 1; }

# The eBPF monitors: vmlinux.h from this kernel's BTF, objects, skeletons.
bpf:
	$(MAKE) -C bpf BUILD=$(BUILD)

userspace: bpf
	@if [ -f userspace/Makefile ]; then \
		$(MAKE) -C userspace BUILD=$(BUILD); \
	else \
		echo "userspace: no userspace/Makefile yet, skipped"; \
	fi

# The kernel tests' C program (tests/kmod/nl_test.c): on kselftest's
# harness, which only setup extracts, so not part of make userspace.
test-progs: userspace
	$(MAKE) -C userspace BUILD=$(BUILD) nl_test

check: setup
	@scripts/check.sh

# Every kernel test on every kernel (make check shares them between the
# kernels to stay inside CI's 90 minutes): not timed whole yet; its kernel
# part is about twice make check's.
check-all: setup
	@HEAL_CHECK_FULL=1 scripts/check.sh

# Targets that need what setup installs go through a second make: this
# one computed K61 and K612 when it read this file, before setup could
# install the kernels; the second reads /lib/modules afresh.
demo: setup
	@$(MAKE) --no-print-directory kmods userspace tui
	@scripts/demo.sh

bench: setup
	@$(MAKE) --no-print-directory kmods userspace tui
	@scripts/bench/blk.sh
	@scripts/bench/sync.sh
	@$(MAKE) -s -C tests/bpf BUILD=$(BUILD)
	@scripts/bench/bpf.sh
	@scripts/bench/heald.sh
	@scripts/bench/net.sh
	@scripts/bench/healtop.sh
	@scripts/bench/migrate.sh

# The randomized torture test (tests/torture.py) in a VM of Debian's 6.1
# kernel: make torture SEED=1234 STEPS=500.  Without SEED, one from the
# clock (printed: the same SEED and STEPS replay the run).  About 6 s a
# step under TCG; the log goes to build/results/torture-SEED.log.
SEED	?= $(shell date +%s)
SEED	:= $(SEED)
STEPS	?= 200
torture: setup
	@$(MAKE) --no-print-directory torture-run SEED=$(SEED)

torture-run: kmod-$(K61) userspace
	@test -n "$(K61)" || { echo "no Debian 6.1 kernel in /lib/modules: make setup" >&2; exit 1; }
	@mkdir -p $(BUILD)/results
	@{ HEAL_RESULTS=$(BUILD)/results HEAL_VM_TIMEOUT=$$(($(STEPS) * 15 + 600)) \
		scripts/vm.sh $(K61) env TORTURE_SEED=$(SEED) TORTURE_STEPS=$(STEPS) \
		tests/kmod/test_torture_01.sh; echo $$? > $(BUILD)/results/torture.rc; } 2>&1 | \
		tee $(BUILD)/results/torture-$(SEED).log
	@exit $$(cat $(BUILD)/results/torture.rc)

# The kernel tests, test_torture_01 among them, in Debian's 6.1 kernel
# built with KASAN, lockdep, DEBUG_ATOMIC_SLEEP and a hung-task panic
# (scripts/debug-kernel.sh: built once into build/deps/debug-kernel, which
# make clean keeps).  Fails on a failing test and on any KASAN report,
# lockdep splat, "sleeping function called from invalid context", hung task
# or WARNING.  Not part of make check: the first build takes hours on 2
# cores.  HEAL_TESTS="test_a_01 test_b_01" runs only those; results in
# build/check-debug/.  Documentation/check-debug.md says more.
check-debug: setup
	@scripts/check-debug.sh

# libFuzzer harnesses (tests/fuzz/fuzz_*.c): each for FUZZ_SECONDS (60).
fuzz:
	$(MAKE) -C tests/fuzz BUILD=$(BUILD) fuzz

# healtop, the console: a client of heald's socket.
tui:
	$(MAKE) -C tui BUILD=$(BUILD)

# heald and healctl in /usr/local/sbin (heal-vmmove beside heald, where it
# looks for it), the example configuration (kept if one is there) and the
# systemd unit.
install: userspace tui
	install -D -m 0755 $(BUILD)/bin/heald $(DESTDIR)/usr/local/sbin/heald
	install -D -m 0755 $(BUILD)/bin/heal-vmmove $(DESTDIR)/usr/local/sbin/heal-vmmove
	install -D -m 0755 $(BUILD)/bin/healctl $(DESTDIR)/usr/local/sbin/healctl
	install -D -m 0755 $(BUILD)/bin/healtop $(DESTDIR)/usr/local/bin/healtop
	install -D -m 0644 userspace/heald/heald.conf.example $(DESTDIR)/usr/local/share/doc/heal/heald.conf.example
	test -e $(DESTDIR)/etc/heal/heald.conf || \
		install -D -m 0644 userspace/heald/heald.conf.example $(DESTDIR)/etc/heal/heald.conf
	install -d $(DESTDIR)/etc/systemd/system
	sed 's|/usr/sbin/heald|/usr/local/sbin/heald|' system/heald.service > $(DESTDIR)/etc/systemd/system/heald.service

# Debian packages heal and healblk-dkms (debian/) from an export of the
# tree, into build/deb/, checked by lintian (scripts/deb.sh).
deb:
	@scripts/deb.sh
.PHONY: deb

clean:
	rm -rf $(BUILD)/kmod $(BUILD)/obj $(BUILD)/lib $(BUILD)/bin $(BUILD)/tests \
		$(BUILD)/results $(BUILD)/check $(BUILD)/check-debug $(BUILD)/bpf $(BUILD)/asan $(BUILD)/fuzz

.PHONY: all setup kmod kmods bpf userspace test-progs tui fuzz torture torture-run check check-all check-debug demo bench install clean

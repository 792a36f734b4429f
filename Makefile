# SPDX-License-Identifier: GPL-2.0
# heal: `make` builds what exists; `make check` sets up, builds and runs every
# test (host, then the kernel tests in virtme-ng on Debian's 6.1 and 6.12);
# `make demo` shows healblk healing a failing leg; `make bench` measures it.
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

# The eBPF monitors: vmlinux.h from this kernel's BTF, objects, skeletons.
bpf:
	$(MAKE) -C bpf BUILD=$(BUILD)

userspace: bpf
	@if [ -f userspace/Makefile ]; then \
		$(MAKE) -C userspace BUILD=$(BUILD); \
	else \
		echo "userspace: no userspace/Makefile yet, skipped"; \
	fi

check: setup
	@scripts/check.sh

demo: setup kmods userspace tui
	@scripts/demo.sh

bench: setup kmods userspace tui
	@scripts/bench/blk.sh
	@scripts/bench/sync.sh
	@$(MAKE) -s -C tests/bpf BUILD=$(BUILD)
	@scripts/bench/bpf.sh
	@scripts/bench/heald.sh
	@scripts/bench/net.sh
	@scripts/bench/healtop.sh

# healtop, the console: a client of heald's socket.
tui:
	$(MAKE) -C tui BUILD=$(BUILD)

# heald and healctl in /usr/local/sbin, the example configuration (kept if
# one is there) and the systemd unit.
install: userspace tui
	install -D -m 0755 $(BUILD)/bin/heald $(DESTDIR)/usr/local/sbin/heald
	install -D -m 0755 $(BUILD)/bin/healctl $(DESTDIR)/usr/local/sbin/healctl
	install -D -m 0755 $(BUILD)/bin/healtop $(DESTDIR)/usr/local/bin/healtop
	install -D -m 0644 userspace/heald/heald.conf.example $(DESTDIR)/usr/local/share/doc/heal/heald.conf.example
	test -e $(DESTDIR)/etc/heal/heald.conf || \
		install -D -m 0644 userspace/heald/heald.conf.example $(DESTDIR)/etc/heal/heald.conf
	install -D -m 0644 userspace/heald/heald.service $(DESTDIR)/etc/systemd/system/heald.service

clean:
	rm -rf $(BUILD)/kmod $(BUILD)/obj $(BUILD)/lib $(BUILD)/bin $(BUILD)/tests \
		$(BUILD)/results $(BUILD)/check $(BUILD)/bpf

.PHONY: all setup kmod kmods bpf userspace tui check demo bench install clean

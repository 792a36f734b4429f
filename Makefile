# SPDX-License-Identifier: GPL-2.0
# heal: `make` builds what exists; `make check` sets up, builds and runs every
# test (host, then the kernel tests in virtme-ng on Debian's 6.1 and 6.12);
# `make demo` shows healblk healing a failing leg.
TOP	:= $(CURDIR)
BUILD	:= $(TOP)/build
# Debian 12's two kernels, newest of each series.
K61	:= $(notdir $(lastword $(sort $(wildcard /lib/modules/6.1.*-amd64))))
K612	:= $(notdir $(lastword $(sort $(wildcard /lib/modules/6.12.*-amd64))))
KVERS	:= $(strip $(K61) $(K612))
# The module for the running kernel if it has headers, else the newest Debian one.
KDIR	?= $(if $(wildcard /lib/modules/$(shell uname -r)/build),/lib/modules/$(shell uname -r)/build,$(firstword $(foreach k,$(K612) $(K61),/lib/modules/$(k)/build)))
KVER_OF	= $(notdir $(patsubst %/build,%,$(1)))

all: kmod userspace

setup:
	@scripts/setup.sh

# Each kernel builds in its own copy of the sources: kbuild writes objects in place.
kmod-%:
	@rm -rf $(BUILD)/kmod/$* && mkdir -p $(BUILD)/kmod/$*
	@cp -a kmod include $(BUILD)/kmod/$*/
	$(MAKE) -C $(BUILD)/kmod/$*/kmod KDIR=/lib/modules/$*/build $(if $(W),W=$(W)) $(if $(C),C=$(C))

kmod: kmod-$(call KVER_OF,$(KDIR))

kmods: $(addprefix kmod-,$(KVERS))

userspace:
	$(MAKE) -C userspace BUILD=$(BUILD)

check: setup
	@scripts/check.sh

demo: setup kmods userspace
	@scripts/demo.sh

bench: setup kmods userspace
	@scripts/bench/blk.sh

clean:
	rm -rf $(BUILD)/kmod $(BUILD)/obj $(BUILD)/lib $(BUILD)/bin $(BUILD)/tests $(BUILD)/results

.PHONY: all setup kmod kmods userspace check demo bench clean

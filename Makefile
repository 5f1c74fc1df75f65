# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree build of mynetdrv.ko, plus the lab targets (see README.md).

# KDIR: an explicit KDIR= wins; then KVER=<release>; then the running
# kernel's build dir when it exists; else the newest installed one.
ifeq ($(origin KDIR),undefined)
  ifneq ($(KVER),)
    KDIR := /lib/modules/$(KVER)/build
  else ifneq ($(wildcard /lib/modules/$(shell uname -r)/build),)
    KDIR := /lib/modules/$(shell uname -r)/build
  else
    KDIR := $(lastword $(shell ls -d /lib/modules/*/build 2>/dev/null | sort -V))
  endif
endif

PWD := $(shell pwd)

.PHONY: all modules clean setup lab-build check run lint

all: modules

modules:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "mynetdrv: no kernel build dir (KDIR='$(KDIR)');" \
		       "install linux-headers or run scripts/setup.sh" >&2; exit 1; }
	@echo "mynetdrv: building against $(KDIR)"
	$(MAKE) -C $(KDIR) M=$(PWD) modules

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean

# ---------------------------------------------------------------- lab
# The host never loads the module: `check` and `run` boot a QEMU guest on
# an installed Debian kernel (scripts/vm.sh) and load it there.
#   make setup                  install what the lab needs (scripts/setup.sh)
#   make check [KVER=...] [TESTS="01 05"]
#                               build module + plugin, run tests/run.sh in
#                               the VM, print KTAP and "N passed, N failed"
#   make run [KVER=...]         build, then run scripts/demo.sh in the VM
#   make lint                   shellcheck the lab scripts
# KVER defaults to the kernel of linux-image-amd64 (scripts/vm.sh --default-kver).
# (recursive '=': evaluated after `setup` ran, so a fresh machine works)
LAB_KVER = $(or $(KVER),$(shell scripts/vm.sh --default-kver 2>/dev/null))
TESTS ?=

setup:
	@scripts/setup.sh

lab-build: setup
	@test -n "$(LAB_KVER)" || { echo "no guest kernel with headers found" >&2; exit 1; }
	$(MAKE) --no-print-directory modules KVER=$(LAB_KVER)
	@if [ -f iproute2/Makefile ]; then $(MAKE) --no-print-directory -C iproute2; fi

check: lab-build
	@scripts/check.sh --kver $(LAB_KVER) $(TESTS)

run: lab-build
	@scripts/vm.sh --kver $(LAB_KVER) -- scripts/demo.sh

lint:
	shellcheck scripts/*.sh tests/*.sh .ci/run

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

.PHONY: all modules clean

all: modules

modules:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "mynetdrv: no kernel build dir (KDIR='$(KDIR)');" \
		       "install linux-headers or run scripts/setup.sh" >&2; exit 1; }
	@echo "mynetdrv: building against $(KDIR)"
	$(MAKE) -C $(KDIR) M=$(PWD) modules

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean

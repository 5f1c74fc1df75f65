# SPDX-License-Identifier: GPL-2.0
#
# Out-of-tree build and install of mynetdrv.ko (and, with it, of the
# iproute2 plugin), its DKMS and Debian packaging, plus the lab targets
# (Documentation/lab.rst).  This file is also the Makefile of the DKMS
# source tree (/usr/src/mynetdrv-<version>), where only the module's build
# and install targets exist (no scripts/ nor iproute2/ there).

# The version has one source: MYNET_DRV_VERSION in mynetdrv.h (modinfo,
# ethtool -i).  dkms.conf and the Debian package take it from here.
MYNET_VERSION := $(shell sed -n 's/^\#define[[:space:]]*MYNET_DRV_VERSION[[:space:]]*"\([^"]*\)".*/\1/p' mynetdrv.h)

# KERNELRELEASE=, dkms's name for the target kernel, is taken as KVER=.
KVER ?= $(KERNELRELEASE)

# KDIR: an explicit KDIR= wins; then KVER=<release or alias>, which
# scripts/kernels.sh resolves (6.1, 6.12, 7: see `scripts/kernels.sh --help`;
# a 7.x kernel lives in a sid chroot and is built in it; without scripts/,
# as in the DKMS tree, KVER is a release); then the running kernel's build
# dir when it exists; else the newest installed one.
ifeq ($(origin KDIR),undefined)
  ifneq ($(KVER),)
    ifneq ($(wildcard scripts/kernels.sh),)
      VIA_KERNELS_SH := 1
    else
      KDIR := /lib/modules/$(KVER)/build
    endif
  else ifneq ($(wildcard /lib/modules/$(shell uname -r)/build),)
    KDIR := /lib/modules/$(shell uname -r)/build
  else
    KDIR := $(lastword $(shell ls -d /lib/modules/*/build 2>/dev/null | sort -V))
  endif
endif

PWD := $(shell pwd)

# make install: modules_install into
# $(INSTALL_MOD_PATH)/lib/modules/<release>/$(INSTALL_MOD_DIR), then depmod.
# "updates" on every kernel (6.1 would say "extra"): depmod prefers it to
# the kernel's own directory, and dkms installs to updates/dkms.
# In the repository it also installs the iproute2 plugin where ip looks,
# $(DESTDIR)/usr/lib/<multiarch>/ip/link_mynetdrv.so (make -C iproute2
# install).  DESTDIR and INSTALL_MOD_PATH are both a staging root: either
# one stages everything (the module under INSTALL_MOD_PATH, else DESTDIR;
# the plugin under DESTDIR, else INSTALL_MOD_PATH), so that staging the
# module never writes the plugin into the live system.
INSTALL_MOD_DIR ?= updates
# The kernel's Makefile runs in KDIR: a relative path would land there.
override INSTALL_MOD_PATH := $(abspath $(or $(INSTALL_MOD_PATH),$(DESTDIR)))
PLUGIN_DESTDIR := $(abspath $(or $(DESTDIR),$(INSTALL_MOD_PATH)))

.PHONY: all modules clean install install-plugin

all: modules

# Passed on to the kernel's make when it runs in the sid chroot.
KBUILD_ARGS = $(foreach v,W C V,$(if $($(v)),$(v)=$($(v))))

ifdef VIA_KERNELS_SH
modules:
	@scripts/kernels.sh prepare $(KVER)
	@echo "mynetdrv: building against $(KVER) ($$(scripts/kernels.sh resolve $(KVER)))"
	@scripts/kernels.sh kbuild $(KVER) $(PWD) modules $(KBUILD_ARGS)

clean:
	@scripts/kernels.sh kbuild $(KVER) $(PWD) clean

install: modules
	@scripts/kernels.sh install $(KVER) $(PWD) $(INSTALL_MOD_DIR) $(INSTALL_MOD_PATH)
else
modules:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "mynetdrv: no kernel build dir (KDIR='$(KDIR)');" \
		       "install linux-headers or run scripts/setup.sh" >&2; exit 1; }
	@echo "mynetdrv: building against $(KDIR)"
	$(MAKE) -C $(KDIR) M=$(PWD) modules

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean

# The release comes from the headers' utsrelease.h, what vermagic says:
# Debian's 6.1 headers have the upstream 6.1.N in kernel.release, so
# modules_install must be told, as dkms does.  The kernel's depmod step
# needs a System.map in KDIR (Debian's headers have none) and is skipped:
# depmod runs here, checking symbols and CRCs against Module.symvers.
INSTALL_KREL = $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h)

install: modules
	@test -n "$(INSTALL_KREL)" || \
		{ echo "mynetdrv: no UTS_RELEASE in $(KDIR)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(PWD) KERNELRELEASE=$(INSTALL_KREL) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		$(if $(INSTALL_MOD_PATH),INSTALL_MOD_PATH=$(INSTALL_MOD_PATH)) \
		modules_install
	depmod -b $(or $(INSTALL_MOD_PATH),/) -e -E $(KDIR)/Module.symvers \
		$(INSTALL_KREL)
endif

# Builds the plugin if needed (make -C iproute2: once per iproute2
# version, it fetches that version's source), then installs it.
ifneq ($(wildcard iproute2/Makefile),)
install: install-plugin
endif

install-plugin:
	$(MAKE) --no-print-directory -C iproute2
	$(MAKE) --no-print-directory -C iproute2 install \
		$(if $(PLUGIN_DESTDIR),DESTDIR=$(PLUGIN_DESTDIR))

# ---------------------------------------------------------------- packages
# Only in the repository (the DKMS tree has no scripts/).
ifneq ($(wildcard scripts/pkg.sh),)

#   make dkms-install [KVER=...]
#                       register the sources with dkms (/usr/src/mynetdrv-
#                       <version>), build and install the module for the
#                       running kernel, or KVER/KERNELRELEASE (a release,
#                       or 6.1, 6.12); reinstalls if registered already
#   make dkms-remove    remove every mynetdrv version from dkms: modules,
#                       dkms tree, /usr/src sources (depmod included)
#   make deb            build/deb/mynetdrv-dkms_<version>_all.deb and
#                       build/deb/mynetdrv-iproute2_<version>_<arch>.deb
#                       (the plugin, for the installed iproute2) with
#                       dpkg-buildpackage, then lintian (scripts/pkg.sh)
.PHONY: dkms-install dkms-remove deb

dkms-install:
	@scripts/pkg.sh dkms-install $(KVER)

dkms-remove:
	@scripts/pkg.sh dkms-remove

DEB := build/deb/mynetdrv-dkms_$(MYNET_VERSION)_all.deb
# dpkg's list of iproute2's files changes when iproute2 is upgraded: the
# plugin must then be built again, for the new version.
DEB_INPUTS := Kbuild Makefile dkms.conf uapi/linux/mynetdrv.h \
	$(filter-out %.mod.c,$(wildcard *.c)) $(wildcard *.h) \
	$(wildcard debian/* debian/source/*) scripts/pkg.sh \
	iproute2/Makefile iproute2/link_mynetdrv.c \
	$(wildcard /var/lib/dpkg/info/iproute2.list)

deb: $(DEB)

$(DEB): $(DEB_INPUTS)
	@scripts/pkg.sh deb build/deb

# ---------------------------------------------------------------- lab
# The host never loads the module: `check` and `run` boot a QEMU guest on
# an installed Debian kernel (scripts/vm.sh) and load it there.  The lab
# and its targets are described in Documentation/lab.rst.
#   make setup                  install what the lab needs (scripts/setup.sh)
#   make check [KVER=...] [TESTS="01 05"]
#                               build module + plugin, run tests/run.sh in
#                               the VM, print one line per test (the tests'
#                               output: build/vm/check/console.txt; all of
#                               it on the terminal with LAB_VERBOSE=1) and
#                               "N passed, N failed"
#                               (KVER: a release or 6.1, 6.12, 7)
#   make check-matrix [MATRIX="6.1 6.12 7"] [DEBUG_TESTS="09 11"]
#                               W=1 C=2 build + make check on each kernel
#                               (and DEBUG_TESTS on the debug kernel),
#                               MATRIX_JOBS (default: the CPUs) at once,
#                               then one summary table (scripts/matrix.sh)
#   make check-debug [TESTS=...]
#                               make check on the debug kernel (KASAN,
#                               lockdep, kmemleak, UBSAN, fault injection),
#                               built once and cached by
#                               scripts/debugkernel.sh (= make check
#                               KVER=debug: test timeouts x4, 3 GB guest)
#   make run [KVER=...]         build, then run scripts/demo.sh in the VM:
#                               a guided tour of a pair
#   make bench [KVER=...]       mynetdrv against veth, alternating runs in
#                               one VM (scripts/bench.sh, bench/run.sh):
#                               bench/results/results.md, raw.csv,
#                               chart.png, and the tables of
#                               Documentation/bench.rst
#   make bench-smoke            the same, one short run per figure, into
#                               build/bench/smoke/ (checks the harness)
#   make lint [MATRIX=...]      the static checks: checkpatch, kernel-doc,
#                               coccicheck, shellcheck, the documentation
#                               (docs-check), and W=1 C=2 builds on each
#                               kernel; findings not accepted in
#                               scripts/lint-allow.txt fail (scripts/lint.sh)
#   make docs-check             render Documentation/*.rst with docutils,
#                               warnings as errors (HTML in build/doc/),
#                               and check them against the sources and
#                               each other (scripts/check-doc.py;
#                               Documentation/lab.rst, "Documentation
#                               checks")
# KVER defaults to the kernel of linux-image-amd64 (scripts/vm.sh --default-kver).
# (recursive '=': evaluated after `setup` and `lab-kernel` ran, so a fresh
# machine works; lab-kernel creates the sid chroot when KVER needs it)
.PHONY: setup lab-kernel lab-build lab-pkg check check-debug check-kcsan \
	check-matrix run lint mutants docs-check bench bench-smoke

LAB_KVER = $(shell scripts/kernels.sh resolve $(KVER))
TESTS ?=
MATRIX ?= 6.1 6.12 7

setup:
	@scripts/setup.sh

lab-kernel: setup
	@scripts/kernels.sh prepare $(KVER)

# The tests' BPF programs, from C with clang (setup.sh installs it); the
# UAPI headers (linux-libc-dev) need the host's multiarch include dir.
# -g: BTF, which libbpf (ip, tc, bpftool) needs for maps defined in
# SEC(".maps"), and which lets bpftool print their values.
LAB_BPF := $(patsubst %.c,%.o,$(wildcard tests/bpf/*.c))
BPF_CFLAGS := -O2 -g -Wall -target bpf -I/usr/include/$(shell gcc -print-multiarch 2>/dev/null)

tests/bpf/%.o: tests/bpf/%.c $(wildcard tests/bpf/*.h)
	clang $(BPF_CFLAGS) -c $< -o $@

lab-build: lab-kernel $(LAB_BPF)
	@test -n "$(LAB_KVER)" || { echo "no guest kernel with headers found" >&2; exit 1; }
	$(MAKE) --no-print-directory modules KVER=$(LAB_KVER)
	@if [ -f iproute2/Makefile ]; then $(MAKE) --no-print-directory -C iproute2; fi


# What tests/27-dkms.sh checks in the guest: the .debs, and `make install`
# of this build (module and plugin) into build/install/<release> (a few
# seconds).
lab-pkg: lab-build
	@rm -rf build/install/$(LAB_KVER)
	$(MAKE) --no-print-directory install KVER=$(LAB_KVER) \
		DESTDIR=build/install/$(LAB_KVER)
	$(MAKE) --no-print-directory deb

# LAB_PKG= skips the package (make mutants: no mutant needs test 27).
LAB_PKG ?= lab-pkg
check: lab-build $(LAB_PKG)
	@scripts/check.sh --kver $(LAB_KVER) $(TESTS)

# KASAN + lockdep + kmemleak under TCG: several times slower than 6.1,
# so make check KVER=debug (also from check-matrix) gets longer timeouts;
# so does KCSAN, whose watchpoints delay every instrumented access.
ifneq ($(filter debug kcsan,$(KVER)),)
check: export LAB_TIMEOUT_SCALE ?= 4
check: export VM_TIMEOUT ?= 7200
check: export VM_MEM ?= 3072
# TCG's -cpu max has 5-level paging. Linux 6.1's identify_cpu() clears
# the CPU feature bits for a moment, LA57 included; an interrupt then
# makes KASAN compute its shadow bounds for 4-level paging and report a
# "wild-memory-access" at boot (seen once in ~20 boots). Not ours.
check: export VM_CPU ?= max,la57=off
endif
ifeq ($(KVER),debug)
# Without it KASAN prints only the first report of a boot.
check: export VM_APPEND ?= kasan_multi_shot
endif

check-debug:
	@$(MAKE) --no-print-directory check KVER=debug

# KCSAN (data races; it cannot share a kernel with KASAN): the tests that
# change rings and channels under traffic, stop and wake queues, and run
# every control operation at random. The kernel build: ~15 min, cached.
KCSAN_TESTS ?= 07 16 17 24 30
check-kcsan:
	@$(MAKE) --no-print-directory check KVER=kcsan TESTS="$(KCSAN_TESTS)"

DEBUG_TESTS ?=
check-matrix: setup
	@scripts/matrix.sh $(if $(strip $(DEBUG_TESTS)),--debug "$(DEBUG_TESTS)") \
		$(MATRIX)

run: lab-build
	@scripts/vm.sh --kver $(LAB_KVER) -- scripts/demo.sh

bench: lab-build
	@scripts/bench.sh --kver $(LAB_KVER)

bench-smoke: lab-build
	@scripts/bench.sh --kver $(LAB_KVER) --quick

lint: setup
	@scripts/lint.sh $(MATRIX)

# Break the driver one contract at a time (tests/mutants/*.patch) and
# check that the tests named in each patch catch it.
mutants: setup
	@scripts/mutants.sh $(MUTANTS)

# ---------------------------------------------------------------- docs
# Debian's docutils (python3-docutils, installed by scripts/setup.sh), not
# whatever python3 comes first in PATH.
DOCS_PYTHON ?= /usr/bin/python3

docs-check:
	@$(DOCS_PYTHON) -c 'import docutils' 2>/dev/null || \
		{ echo "mynetdrv: $(DOCS_PYTHON) has no docutils; run make setup" \
		       "(python3-docutils)" >&2; exit 1; }
	@mkdir -p build/doc
	@for f in Documentation/*.rst; do \
		echo "docutils $$f"; \
		$(DOCS_PYTHON) -m docutils --halt=warning \
			"$$f" "build/doc/$$(basename "$$f" .rst).html" || exit 1; \
	done
	$(DOCS_PYTHON) scripts/check-doc.py

endif # scripts/pkg.sh

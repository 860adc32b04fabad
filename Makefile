# Top-level build: each part has its own Makefile; this one only delegates.
# Everything lands in build/ (gitignored).
#
#   make all                  module (with BTF), userspace core library, BPF
#                             objects, in-guest test tools, the bundled agent
#   make KDIR=... VMLINUX=... against another kernel: its build tree, and the
#                             vmlinux (ELF or raw BTF) the module's BTF and
#                             the BPF programs' vmlinux.h are generated from
#
# Both default to the running kernel's: /lib/modules/$(uname -r)/build and
# /sys/kernel/btf/vmlinux (kmod/Makefile and bpf/Makefile say how). Without
# that build tree (no linux-headers package) and no KDIR given, the module
# is left out with a note; a KDIR given that holds no tree fails. The test
# bench builds for its guest kernels by passing both:
# make $(test/vm/kernel.sh make-vars).

ROOT := $(abspath .)
BUILD := $(ROOT)/build
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
export ROOT BUILD KVER KDIR

PARTS := kmod kmod/user bpf test/kernel cuda test/cuda

.PHONY: all agent $(PARTS) clean
all: $(PARTS) agent

# The agent bundled into one file (build/agent/gdl.mjs): the test guest runs
# it, because compiling hundreds of TypeScript files under emulation is slow.
agent:
	GDL_BUILD=$(BUILD) node agent/bundle.mjs

kmod/user:
	$(MAKE) -C $@ lib
bpf test/kernel cuda test/cuda:
	$(MAKE) -C $@

# A KDIR given on the command line or in the environment must hold a tree
# (kmod/Makefile says so); only the default one may be missing.
ifeq ($(wildcard $(KDIR)/Makefile)$(filter-out file,$(origin KDIR)),)
kmod:
	@echo "skip kmod: no kernel build tree in $(KDIR) (install linux-headers-$(KVER), or pass KDIR=)"
else
kmod:
	$(MAKE) -C $@
endif

bpf test/kernel: kmod/user
test/kernel: kmod

clean:
	rm -rf $(BUILD)

# Top-level build: each part has its own Makefile; this one only delegates.
# Everything lands in build/ (gitignored).
#
#   make all        module (with BTF when a vmlinux is at hand), userspace
#                   core library, BPF objects, in-guest test tools, the
#                   bundled agent
#   make KDIR=...   build the module against another kernel tree
#
# KDIR defaults to the Debian test kernel's headers (test/vm/kernel.sh; with
# GDL_KERNEL=backports, the privately unpacked 6.12 line, built into
# BUILD=build/k/<version> by test/vm/run.sh --kernel backports),
# falling back to the running kernel's.

ROOT := $(abspath .)
BUILD := $(ROOT)/build
KVER ?= $(shell $(ROOT)/test/vm/kernel.sh version 2>/dev/null || uname -r)
KDIR ?= $(if $(wildcard /lib/modules/$(KVER)/build),/lib/modules/$(KVER)/build,$(shell $(ROOT)/test/vm/kernel.sh kdir))
export ROOT BUILD KVER KDIR

PARTS := kmod kmod/user bpf test/kernel cuda test/cuda

.PHONY: all agent $(PARTS) clean
all: $(PARTS) agent

# The agent bundled into one file (build/agent/gdl.mjs): the test guest runs
# it, because compiling hundreds of TypeScript files under emulation is slow.
agent:
	node agent/bundle.mjs

kmod/user:
	$(MAKE) -C $@ lib
kmod bpf test/kernel cuda test/cuda:
	@if [ -f $@/Makefile ]; then $(MAKE) -C $@; else echo "skip $@ (no Makefile yet)"; fi

bpf test/kernel: kmod/user
test/kernel: kmod

# The module's BTF and the BPF programs' vmlinux.h are generated from the test
# kernel's uncompressed image: extract it (once, cached) before either.
.PHONY: vmlinux
vmlinux:
	@$(ROOT)/test/vm/kernel.sh vmlinux >/dev/null
kmod bpf: vmlinux

clean:
	rm -rf $(BUILD)
	for p in $(PARTS); do [ -f $$p/Makefile ] && $(MAKE) -C $$p clean || true; done

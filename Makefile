# vnetkit - top-level build.
#   make            BPF objects, skeletons, the vnetkit binary
#   make demo       the main job on the built-in testbed
#   make check      every host test (installs what is missing first)
#   make bench      benchmarks (ratios against baselines in the same run)
#   make install    vnetkit and its BPF objects under $(DESTDIR)$(PREFIX)
# Areas add targets through their own fragments (loader/*.mk, scripts/*.mk,
# selftests/*.mk) so the layout stays one folder per concern.

CLANG    ?= clang-19
LLVM_STRIP ?= llvm-strip-19
BPFTOOL  ?= bpftool
CC       ?= gcc
BUILD    := build
Q        := $(if $(V),,@)

ARCH_BPF := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
CFLAGS   ?= -O2 -g
CFLAGS   += -Wall -Wextra -Wno-unused-parameter -std=gnu11 -D_GNU_SOURCE \
	    -Iinclude -I$(BUILD)/skel -Iloader
LDLIBS   += -lbpf -lelf -lz -lpthread -lm
BPF_CFLAGS := -O2 -g -Wall -target bpf -D__TARGET_ARCH_$(ARCH_BPF) \
	      -Iinclude -I$(BUILD) -mcpu=v3

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/skel/%.skel.h,$(BPF_SRCS))
LOADER_SRCS := $(wildcard loader/*.c)
LOADER_OBJS := $(patsubst loader/%.c,$(BUILD)/loader/%.o,$(LOADER_SRCS))
LOADER_EXTRA_OBJS :=
LOADER_DYN_OBJS :=
LOADER_STATIC_OBJS :=
DYN_LDLIBS :=
CHECK_DEPS :=
BENCH_DEPS :=

.PHONY: all
all: $(BUILD)/vnetkit

-include $(wildcard loader/*.mk scripts/*.mk selftests/*.mk)
# A fragment may append guest programs to GUEST_BINS after scripts/kernel.mk
# has read its rules (whose prerequisites make expands at once): every
# target that packs the guest depends on the complete list here.
kernel-check kernel-harness kernel-bench kernel-cost kernel-cost-check: $(GUEST_BINS)
kernel-bisect: $(if $(filter 1,$(BOOT)),$(GUEST_BINS))


.PHONY: setup demo check bench clean install uninstall

setup:
	$(Q)scripts/setup.sh

# CO-RE: compile against the running kernel's BTF; relocations make the
# objects load on other kernels (the 6.12 test guest included).
$(BUILD)/vmlinux.h:
	$(Q)command -v $(CLANG) >/dev/null && command -v $(BPFTOOL) >/dev/null || { echo "vnetkit: build: $(CLANG) or $(BPFTOOL) not found (run 'make setup' to install the build dependencies)" >&2; exit 1; }
	$(Q)mkdir -p $(@D)
	$(Q)test -r /sys/kernel/btf/vmlinux || { echo "vnetkit: build: /sys/kernel/btf/vmlinux missing (a kernel with CONFIG_DEBUG_INFO_BTF is needed)" >&2; exit 1; }
	$(Q)$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h $(wildcard include/*.h bpf/*.h)
	$(Q)mkdir -p $(@D)
	@echo "  BPF      $@"
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@ 2>/dev/null || true

$(BUILD)/skel/%.skel.h: $(BUILD)/bpf/%.bpf.o
	$(Q)mkdir -p $(@D)
	@echo "  SKEL     $@"
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp && mv $@.tmp $@

# Named here so make treats the skeletons as real targets, not intermediates.
$(LOADER_OBJS): $(SKELS)

$(BUILD)/loader/%.o: loader/%.c $(SKELS) $(wildcard include/*.h loader/*.h)
	$(Q)mkdir -p $(@D)
	@echo "  CC       $@"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/vnetkit: $(LOADER_OBJS) $(LOADER_DYN_OBJS) $(LOADER_EXTRA_OBJS) $(BPF_OBJS)
	@echo "  LD       $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(LOADER_OBJS) $(LOADER_DYN_OBJS) $(LOADER_EXTRA_OBJS) $(LDLIBS) $(DYN_LDLIBS)

# Static build for the QEMU guest initramfs (no shared libraries there).
$(BUILD)/vnetkit-static: $(LOADER_OBJS) $(LOADER_STATIC_OBJS) $(LOADER_EXTRA_OBJS) $(BPF_OBJS)
	@echo "  LD       $@"
	$(Q)$(CC) -static $(LDFLAGS) -o $@ $(LOADER_OBJS) $(LOADER_STATIC_OBJS) $(LOADER_EXTRA_OBJS) $(LDLIBS)

# The README's commands install what they need first (scripts/setup.sh names
# the set per command), then build in a sub-make, so that nothing is built
# before its compiler is there, even with -j.
demo:
	$(Q)scripts/setup.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

check:
	$(Q)scripts/setup.sh check
	$(Q)$(MAKE) --no-print-directory all $(CHECK_DEPS)
	$(Q)selftests/run.sh $(T)

bench:
	$(Q)scripts/setup.sh
	$(Q)$(MAKE) --no-print-directory all $(BENCH_DEPS)
	$(Q)scripts/bench.sh

# make install [PREFIX=/usr/local] [DESTDIR=]: the CLI goes to sbin (it needs
# CAP_BPF/CAP_NET_ADMIN, like bpftool and xdp-loader), the BPF objects to
# lib/vnetkit/bpf, where the CLI also looks for them (../lib/vnetkit/bpf
# relative to itself) and where bpftool users find them.
PREFIX   ?= /usr/local
SBINDIR  := $(PREFIX)/sbin
BPFDIR   := $(PREFIX)/lib/vnetkit/bpf
INSTALL_FILES = $(SBINDIR)/vnetkit $(patsubst $(BUILD)/bpf/%,$(BPFDIR)/%,$(BPF_OBJS))

install: all
	$(Q)install -D -m 0755 $(BUILD)/vnetkit $(DESTDIR)$(SBINDIR)/vnetkit
	$(Q)install -d $(DESTDIR)$(BPFDIR)
	$(Q)install -m 0644 $(BPF_OBJS) $(DESTDIR)$(BPFDIR)/
	@echo "installed $(DESTDIR)$(SBINDIR)/vnetkit and $(words $(BPF_OBJS)) BPF objects in $(DESTDIR)$(BPFDIR)"

# Removes exactly what install put there; the directories only when empty.
uninstall:
	$(Q)rm -f $(addprefix $(DESTDIR),$(INSTALL_FILES))
	$(Q)rmdir --ignore-fail-on-non-empty $(DESTDIR)$(BPFDIR) $(DESTDIR)$(PREFIX)/lib/vnetkit 2>/dev/null || true
	@echo "removed vnetkit from $(DESTDIR)$(PREFIX)"

clean:
	rm -rf $(BUILD)

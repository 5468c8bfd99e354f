# Kernel workflow (scripts/kernel.sh, scripts/qemu.sh).
#   make kernel [BASE=1] [DEBUG=1|KCSAN=1|VIRTIO_TEST=1]   build the 6.12 test kernel (+ series)
#   make kernel-check [BASE=1] [DEBUG=1|KCSAN=1|VIRTIO_TEST=1] [T=word]   boot it, run the guest suite
#                    (VIRTIO_TEST=1: a kernel with modules, upstream's
#                    tools/virtio/virtio_test with the vhost_test module)
#   make kernel-bisect [BOOT=1] [FROM=P] [TO=P] [T=word]   build every prefix of
#                                         the series (P: a position or patch number);
#                                         BOOT=1: boot each, run the guest suite
#   make kernel-mutants [KCSAN=1] [M="mutant ..."]   the ptr_ring suite must
#                                         fail on every known-bad batched produce
#   make kernel-vhost-mutants [M="mutant ..."]   the guest tests must fail on
#                                         every known-bad 0009 (avail read-ahead)
#   make kernel-kunit-uml                 the ptr_ring suite through the kernel's
#                                         kunit.py run on UML (one CPU)
#   make kernel-bench                     base vs patched guest benchmarks
#   make kernel-cost [W=workload,...] [FRAMES=N] [RUNS=n] [A=base|DIR|image:DIR] [B=DIR|image:DIR]
#                    [NAME=name]          exact per-frame counts, A vs B (in build/cost/NAME/)
#   make kernel-cost-check                the cost instrument's proofs
# Areas that need more programs in the guest append their paths to
# GUEST_BINS in their own .mk fragment (shared libraries come along):
#   GUEST_BINS += build/selftests/ptr_ring_stress

GUEST_BINS ?=
KERNEL_FLAGS := $(if $(filter 1,$(BASE)),--base) $(if $(filter 1,$(DEBUG)),--debug) \
	$(if $(filter 1,$(KCSAN)),--kcsan) $(if $(filter 1,$(VIRTIO_TEST)),--virtio-test)
GUEST_DEPS = $(BUILD)/vnetkit-static $(BPF_OBJS) $(GUEST_BINS)

.PHONY: kernel kernel-check kernel-bisect kernel-bench kernel-harness \
	kernel-cost kernel-cost-check kernel-mutants kernel-kunit-uml kernel-vhost-mutants
COST_DEPS = $(GUEST_DEPS) $(BUILD)/cost/vk_cost.so

kernel:
	$(Q)scripts/setup.sh kernel
	$(Q)scripts/kernel.sh build $(KERNEL_FLAGS)

# kernel-check boots the kernel built last; it builds it first so one
# command goes from a fresh clone to guest results. Without T, the harness
# self-tests (a panicking, a failing and a hanging guest) and the cost
# plugin's smoke run (vhost-tx under -icount; T=cost: that alone) run
# afterwards.
kernel-check: kernel $(COST_DEPS)
	$(Q)$(if $(filter cost,$(T)),true,GUEST_BINS="$(abspath $(GUEST_BINS))" scripts/qemu.sh check $(KERNEL_FLAGS) \
		$(if $(T),--filter $(T)))
	$(Q)$(if $(T)$(filter 1,$(BASE) $(DEBUG) $(KCSAN) $(VIRTIO_TEST)),true,GUEST_BINS="$(abspath $(GUEST_BINS))" scripts/qemu.sh harness)
	$(Q)$(if $(filter-out cost,$(T))$(filter 1,$(BASE) $(DEBUG) $(KCSAN) $(VIRTIO_TEST)),true,GUEST_BINS="$(abspath $(GUEST_BINS))" scripts/cost.sh smoke)

kernel-harness: kernel $(GUEST_DEPS)
	$(Q)GUEST_BINS="$(abspath $(GUEST_BINS))" scripts/qemu.sh harness

kernel-bisect: $(if $(filter 1,$(BOOT)),$(GUEST_DEPS))
	$(Q)scripts/setup.sh kernel
	$(Q)BISECT_BOOT=$(BOOT) BISECT_FROM=$(FROM) BISECT_TO=$(TO) BISECT_FILTER=$(T) \
		GUEST_BINS="$(abspath $(GUEST_BINS))" scripts/kernel.sh bisect

kernel-bench: $(GUEST_DEPS)
	$(Q)scripts/setup.sh kernel
	$(Q)scripts/kernel.sh build --base
	$(Q)scripts/kernel.sh build
	$(Q)GUEST_BINS="$(abspath $(GUEST_BINS))" scripts/qemu.sh bench

# Kernel command-line variables (W, A, B...) must not reach the kernel's
# own make (W= is kbuild's warning level): scripts/cost.sh clears them.
kernel-cost: $(COST_DEPS)
	$(Q)scripts/setup.sh kernel
	$(Q)GUEST_BINS="$(abspath $(GUEST_BINS))" W="$(W)" FRAMES="$(FRAMES)" RUNS="$(RUNS)" \
		A="$(A)" B="$(B)" COST_NAME="$(NAME)" scripts/cost.sh run

kernel-cost-check: $(COST_DEPS)
	$(Q)scripts/setup.sh kernel
	$(Q)GUEST_BINS="$(abspath $(GUEST_BINS))" scripts/cost.sh check

kernel-mutants:
	$(Q)scripts/setup.sh kernel
	$(Q)scripts/mutants.sh $(if $(filter 1,$(KCSAN)),--kcsan) $(M)

kernel-vhost-mutants: $(GUEST_DEPS)
	$(Q)scripts/setup.sh kernel
	$(Q)GUEST_BINS="$(abspath $(GUEST_BINS))" scripts/vhost-mutants.sh $(M)

kernel-kunit-uml:
	$(Q)scripts/setup.sh kernel
	$(Q)scripts/kunit-uml.sh

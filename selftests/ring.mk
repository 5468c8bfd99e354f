# Correctness suite of the ring lab (selftests/test_ring.sh runs it): the
# same ring objects as the vnetkit binary, plus the kernel header anchor.
RING_TEST := $(BUILD)/selftests/ring_test
RING_TEST_OBJS := $(BUILD)/loader/ring_ops.o $(BUILD)/loader/ring_bench.o \
	$(RING_KERNEL_OBJ)

CHECK_DEPS += $(RING_TEST)

$(RING_TEST): selftests/ring_test.c loader/ring.h $(RING_TEST_OBJS)
	$(Q)mkdir -p $(@D)
	@echo "  CC       $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $< $(RING_TEST_OBJS) -lpthread

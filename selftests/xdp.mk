# Unit tests of the XDP programs (BPF_PROG_TEST_RUN).
$(BUILD)/selftests/xdp_unit: selftests/xdp_unit.c selftests/xdp_harness.c selftests/xdp_harness.h selftests/tap.h $(BUILD)/loader/xdp_obj.o $(BUILD)/loader/gen_frame.o $(BUILD)/loader/util.o
	$(Q)mkdir -p $(@D)
	@echo "  CC       $@"
	$(Q)$(CC) $(CFLAGS) -Iselftests -o $@ $(filter %.c %.o,$^) $(LDLIBS)
CHECK_DEPS += $(BUILD)/selftests/xdp_unit

# Unit tests of the netlink module (loader/nl.c).
$(BUILD)/selftests/nl_unit: selftests/nl_unit.c selftests/tap.h $(BUILD)/loader/nl.o $(BUILD)/loader/netns.o $(BUILD)/loader/netdev.o $(BUILD)/loader/util.o
	$(Q)mkdir -p $(@D)
	@echo "  CC       $@"
	$(Q)$(CC) $(CFLAGS) -Iselftests -o $@ $(filter %.c %.o,$^) $(LDLIBS)
CHECK_DEPS += $(BUILD)/selftests/nl_unit

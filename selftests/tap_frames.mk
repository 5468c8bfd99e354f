# Guest program that writes, sends and reads frames whose lengths lie
# (selftests/guest/test_tap_mb_lies.sh): static, into the guest's initramfs
# through GUEST_BINS.
TAP_FRAMES := $(BUILD)/selftests/tap_frames
GUEST_BINS += $(TAP_FRAMES)

$(TAP_FRAMES): selftests/tap_frames.c
	$(Q)mkdir -p $(@D)
	@echo "  CC       $@"
	$(Q)$(CC) $(CFLAGS) -static -o $@ $<
CHECK_DEPS += $(TAP_FRAMES)

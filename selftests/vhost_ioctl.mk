# Guest program for the VHOST_{SET,GET}_VRING_BUSYLOOP_ADAPTIVE misuse checks
# (selftests/guest/test_vhost_adaptive.sh): static, copied into the guest's
# initramfs through GUEST_BINS.
VHOST_IOCTL_TEST := $(BUILD)/selftests/vhost_busyloop_ioctl
GUEST_BINS += $(VHOST_IOCTL_TEST)

$(VHOST_IOCTL_TEST): selftests/vhost_busyloop_ioctl.c
	$(Q)mkdir -p $(@D)
	@echo "  CC       $@"
	$(Q)$(CC) $(CFLAGS) -static -o $@ $<

# Upstream's tools/virtio/vhost_net_test from the pristine 6.12 tree
# (scripts/kernel.sh vhost-net-test), static, copied into the guest's
# initramfs through GUEST_BINS for selftests/guest/test_vhost_net_test.sh.
VHOST_NET_TEST := $(BUILD)/virtio-tools/vhost_net_test
GUEST_BINS += $(VHOST_NET_TEST)

$(VHOST_NET_TEST): scripts/kernel.sh
	$(Q)scripts/kernel.sh vhost-net-test $@

# vk_cost TCG plugin (scripts/cost/vk_cost.c) and its host test programs.
# The plugin API header comes from Debian's qemu source package of the
# installed QEMU (scripts/cost/qemu-plugin-header.sh); an upgrade of the
# QEMU packages re-fetches it.
COST_DIR    := $(BUILD)/cost
COST_HDR    := $(COST_DIR)/include/qemu/qemu-plugin.h
COST_PLUGIN := $(COST_DIR)/vk_cost.so
COST_PROGS  := $(patsubst selftests/cost/%.c,$(COST_DIR)/%,$(wildcard selftests/cost/*.c)) \
	       $(patsubst selftests/cost/%.S,$(COST_DIR)/%.elf,$(wildcard selftests/cost/*.S))
COST_QEMU_PKGS := $(wildcard /var/lib/dpkg/info/qemu-system-x86.list /var/lib/dpkg/info/qemu-user.list)

CHECK_DEPS += $(COST_PLUGIN) $(COST_PROGS)

.PHONY: cost-plugin
cost-plugin: $(COST_PLUGIN)

$(COST_HDR): scripts/cost/qemu-plugin-header.sh $(COST_QEMU_PKGS)
	$(Q)scripts/cost/qemu-plugin-header.sh $@ $(COST_DIR)/qemu-src

$(COST_PLUGIN): scripts/cost/vk_cost.c $(COST_HDR)
	@echo "  CC       $@"
	$(Q)$(CC) -O2 -g -Wall -Wextra -Wno-unused-parameter -std=gnu11 -shared -fPIC \
		-fvisibility=hidden -I$(COST_DIR)/include -o $@ $< -lpthread

# static: qemu-x86_64 runs them without a guest sysroot; non-PIE so that
# `nm` addresses are the run-time addresses (sym=, region=)
$(COST_DIR)/%: selftests/cost/%.c include/vk_cost_mark.h
	$(Q)mkdir -p $(@D)
	@echo "  CC       $@"
	$(Q)$(CC) -O2 -g -Wall -Wextra -std=gnu11 -static -no-pie -Iinclude -o $@ $< -lpthread

# multiboot guests for qemu-system-x86_64 -kernel (32-bit ELF, no libc)
$(COST_DIR)/%.elf: selftests/cost/%.S include/vk_cost_mark.h
	$(Q)mkdir -p $(@D)
	@echo "  AS       $@"
	$(Q)$(CC) -m32 -nostdlib -static -no-pie -Wl,--build-id=none -Wl,-Ttext=0x100000 \
		-Iinclude -o $@ $<

# vnetkit ring: the kernel ptr_ring.h anchor is its own object, built with
# the header taken from the pristine 6.12 tree at build time (never copied
# into the repository). Its #includes of kernel headers resolve to empty
# generated files; loader/ring/kernel_ptr_ring.c defines what they would.
RING_SHIM_DIR := $(BUILD)/ring/shim
RING_SHIM_HDRS := $(addprefix $(RING_SHIM_DIR)/,linux/spinlock.h linux/cache.h \
	linux/types.h linux/compiler.h linux/slab.h linux/mm.h)
RING_SHIM_ERRNO := $(RING_SHIM_DIR)/asm/errno.h
RING_KERNEL_OBJ := $(BUILD)/ring/kernel_ptr_ring.o

LOADER_EXTRA_OBJS += $(RING_KERNEL_OBJ)

$(RING_SHIM_HDRS):
	$(Q)mkdir -p $(@D)
	$(Q)echo '/* empty: loader/ring/kernel_ptr_ring.c defines what ptr_ring.h needs */' > $@

# Error numbers are the same in the UAPI header: use the system's.
$(RING_SHIM_ERRNO):
	$(Q)mkdir -p $(@D)
	$(Q)echo '#include_next <asm/errno.h>' > $@

# The kernel builds its headers without these two warnings.
RING_KERNEL_CFLAGS = $(CFLAGS) -Wno-sign-compare -Wno-type-limits

# The tree is found (and extracted on first use) by scripts/kernel-src.sh
# when Debian's linux-source-6.12 is installed; without it the anchor
# reports "unavailable (<reason>)" instead of breaking the build (and the
# build does not go installing packages).
$(RING_KERNEL_OBJ): loader/ring/kernel_ptr_ring.c loader/ring.h $(RING_SHIM_HDRS) $(RING_SHIM_ERRNO)
	$(Q)mkdir -p $(@D)
	@echo "  CC       $@"
	$(Q)tree=; \
	if [ -r /usr/src/linux-source-6.12.tar.xz ] || \
	   [ -e $(BUILD)/src/linux-source-6.12/.vnetkit-extracted ]; then \
		tree=$$(scripts/kernel-src.sh 2>/dev/null); \
	fi; \
	hdr=$$tree/include/linux/ptr_ring.h; \
	if [ -n "$$tree" ] && [ -r "$$hdr" ]; then \
		$(CC) $(RING_KERNEL_CFLAGS) -I$(RING_SHIM_DIR) -DVK_KERNEL_PTR_RING_H="\"$$hdr\"" -c $< -o $@; \
	else \
		echo "  ring: kernel ptr_ring.h anchor unavailable (no linux-source-6.12 tree)" >&2; \
		$(CC) $(CFLAGS) -DVK_KERNEL_UNAVAILABLE='"linux-source-6.12 not installed: apt-get install linux-source-6.12"' -c $< -o $@; \
	fi

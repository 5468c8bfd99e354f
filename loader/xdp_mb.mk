# The multi-buffer XDP objects (bpf/xdp_*_mb.bpf.c) compile the
# single-buffer source with VK_XDP_FRAGS: rebuild them when it changes.
$(BUILD)/bpf/%_mb.bpf.o: bpf/%.bpf.c

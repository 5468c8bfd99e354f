# Netlink (loader/nl.c, export_collect.c): libnl-3 route + genl, in both
# builds (Debian ships the static libraries: vnetkit-static links them too).
CFLAGS += $(shell pkg-config --cflags libnl-genl-3.0 libnl-route-3.0 2>/dev/null)
LDLIBS += $(shell pkg-config --libs libnl-route-3.0 libnl-genl-3.0 2>/dev/null)

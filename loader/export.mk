# vnetkit export: libnl (route + genl) in both builds; the HTTP server
# (libmicrohttpd) only in the dynamic one, since Debian's libmicrohttpd cannot
# be linked statically (GnuTLS -> p11-kit has no static library). The static
# guest binary gets export_http_none.o instead: --textfile only.
# pkg-config runs when a recipe needs it, after `make setup` installed it.
EXPORT_HTTP_OBJ := $(BUILD)/loader/export_http.o
EXPORT_NOHTTP_OBJ := $(BUILD)/loader/export_http_none.o
LOADER_OBJS := $(filter-out $(EXPORT_HTTP_OBJ) $(EXPORT_NOHTTP_OBJ),$(LOADER_OBJS))
LOADER_DYN_OBJS += $(EXPORT_HTTP_OBJ)
LOADER_STATIC_OBJS += $(EXPORT_NOHTTP_OBJ)
CFLAGS += $(shell pkg-config --cflags libnl-genl-3.0 libnl-route-3.0 2>/dev/null)
LDLIBS += $(shell pkg-config --libs libnl-route-3.0 libnl-genl-3.0 2>/dev/null)
DYN_LDLIBS += $(shell pkg-config --libs libmicrohttpd 2>/dev/null)

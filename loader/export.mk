# vnetkit export: libnl (loader/nl.mk) in both builds; the HTTP server
# (libmicrohttpd) only in the dynamic one, since Debian's libmicrohttpd cannot
# be linked statically (GnuTLS -> p11-kit has no static library). The static
# guest binary gets export_http_none.o instead: --textfile only.
# pkg-config runs when a recipe needs it, after `make setup` installed it.
EXPORT_HTTP_OBJ := $(BUILD)/loader/export_http.o
EXPORT_NOHTTP_OBJ := $(BUILD)/loader/export_http_none.o
LOADER_OBJS := $(filter-out $(EXPORT_HTTP_OBJ) $(EXPORT_NOHTTP_OBJ),$(LOADER_OBJS))
LOADER_DYN_OBJS += $(EXPORT_HTTP_OBJ)
LOADER_STATIC_OBJS += $(EXPORT_NOHTTP_OBJ)
DYN_LDLIBS += $(shell pkg-config --libs libmicrohttpd 2>/dev/null)

# make install also installs export's deployment files:
#   $(PREFIX)/share/vnetkit/export/  the systemd unit (ExecStart pointing at
#       the installed vnetkit), prometheus.yml, the rules and their promtool
#       tests: examples to copy and adapt;
#   $(PREFIX)/share/doc/vnetkit/README.md  the unit's Documentation=;
#   $(SYSTEMDUNITDIR)/vnetkit-export.service  only when asked for with
#       SYSTEMDUNITDIR=DIR, or by default when staging into a DESTDIR (a
#       package, whose manager owns lib/systemd/system). A plain
#       `make install` does not put a unit where a running systemd picks it
#       up: that would change the system behind the operator's back.
# make uninstall removes exactly these (with the same PREFIX, DESTDIR and
# SYSTEMDUNITDIR), and their directories when they are left empty.
SYSTEMDUNITDIR ?= $(if $(DESTDIR),$(PREFIX)/lib/systemd/system)
EXPORT_SHAREDIR = $(PREFIX)/share/vnetkit/export
EXPORT_DOCDIR = $(PREFIX)/share/doc/vnetkit
EXPORT_EXAMPLES := prometheus.yml prometheus-federate.yml vnetkit-rules.yml vnetkit-rules.test.yml
EXPORT_UNIT := scripts/export/vnetkit-export.service
EXPORT_INSTALL_FILES = $(addprefix $(EXPORT_SHAREDIR)/,$(EXPORT_EXAMPLES) vnetkit-export.service) \
	$(EXPORT_DOCDIR)/README.md $(if $(SYSTEMDUNITDIR),$(SYSTEMDUNITDIR)/vnetkit-export.service)
# The unit's paths follow PREFIX.
EXPORT_UNIT_SED = -e 's|/usr/local/sbin/vnetkit|$(SBINDIR)/vnetkit|' \
	-e 's|file:/usr/local/share/doc/vnetkit/|file:$(EXPORT_DOCDIR)/|'

.PHONY: install-export uninstall-export
install: install-export
uninstall: uninstall-export

install-export:
	$(Q)install -d $(DESTDIR)$(EXPORT_SHAREDIR) $(DESTDIR)$(EXPORT_DOCDIR)
	$(Q)install -m 0644 $(addprefix scripts/export/,$(EXPORT_EXAMPLES)) $(DESTDIR)$(EXPORT_SHAREDIR)/
	$(Q)sed $(EXPORT_UNIT_SED) $(EXPORT_UNIT) >$(DESTDIR)$(EXPORT_SHAREDIR)/vnetkit-export.service
	$(Q)chmod 0644 $(DESTDIR)$(EXPORT_SHAREDIR)/vnetkit-export.service
	$(Q)install -m 0644 README.md $(DESTDIR)$(EXPORT_DOCDIR)/README.md
	$(Q)$(if $(SYSTEMDUNITDIR),install -D -m 0644 $(DESTDIR)$(EXPORT_SHAREDIR)/vnetkit-export.service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/vnetkit-export.service)
	@echo "installed the vnetkit export unit and example configs in $(DESTDIR)$(EXPORT_SHAREDIR)"
	@echo "$(if $(SYSTEMDUNITDIR),installed $(DESTDIR)$(SYSTEMDUNITDIR)/vnetkit-export.service,unit not installed for systemd (SYSTEMDUNITDIR=/etc/systemd/system to do so))"

uninstall-export:
	$(Q)rm -f $(addprefix $(DESTDIR),$(EXPORT_INSTALL_FILES))
	$(Q)rmdir --ignore-fail-on-non-empty $(DESTDIR)$(EXPORT_SHAREDIR) $(DESTDIR)$(PREFIX)/share/vnetkit \
		$(DESTDIR)$(EXPORT_DOCDIR) 2>/dev/null || true
	$(Q)$(if $(SYSTEMDUNITDIR),rmdir --ignore-fail-on-non-empty $(DESTDIR)$(SYSTEMDUNITDIR) 2>/dev/null || true)

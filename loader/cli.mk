# The command layer (loader/cli.c, loader/vjson.c): JSON through jansson,
# man pages and bash completion generated from the option tables.
LDLIBS += -ljansson

# Man pages vnetkit(8), vnetkit-<command>(8) and the bash completion, written
# by the built vnetkit from the same option tables as its --help.
DOC_CMDS  := $(patsubst loader/cmd_%.c,%,$(wildcard loader/cmd_*.c))
MAN_PAGES := vnetkit.8 $(patsubst %,vnetkit-%.8,$(DOC_CMDS))
MAN8DIR   = $(PREFIX)/share/man/man8
COMPDIR   = $(PREFIX)/share/bash-completion/completions

$(BUILD)/man/vnetkit.8: $(BUILD)/vnetkit
	@echo "  MAN      $(@D)"
	$(Q)rm -rf $(@D) && $(BUILD)/vnetkit __gen man $(@D)

$(BUILD)/vnetkit.bash: $(BUILD)/vnetkit
	@echo "  GEN      $@"
	$(Q)$(BUILD)/vnetkit __gen completion >$@.tmp && mv $@.tmp $@

.PHONY: docs install-docs uninstall-docs
docs: $(BUILD)/man/vnetkit.8 $(BUILD)/vnetkit.bash

install: install-docs
install-docs: docs
	$(Q)install -d $(DESTDIR)$(MAN8DIR) $(DESTDIR)$(COMPDIR)
	$(Q)install -m 0644 $(addprefix $(BUILD)/man/,$(MAN_PAGES)) $(DESTDIR)$(MAN8DIR)/
	$(Q)install -m 0644 $(BUILD)/vnetkit.bash $(DESTDIR)$(COMPDIR)/vnetkit
	@echo "installed $(words $(MAN_PAGES)) man pages in $(DESTDIR)$(MAN8DIR) and the bash completion"

# Only our files; share/man/man8 and the completions directory are shared
# with other packages and stay.
uninstall: uninstall-docs
uninstall-docs:
	$(Q)rm -f $(addprefix $(DESTDIR)$(MAN8DIR)/,$(MAN_PAGES)) $(DESTDIR)$(COMPDIR)/vnetkit

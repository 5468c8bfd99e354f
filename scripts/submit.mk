# make submit [TREE=path] [TARGET=net-next|vhost] [V=n] [KEEP_GOING=1]
#             [ACCEPT=check,...] [JSON=1] [VERIFY=dir]
#   Run netdev's per-patch checks on the patches of TARGET in patches/series
#   and write the posting to build/submit/TARGET/vN/ (cover letter, To/Cc,
#   send-email dry run). Never sends.
#   TREE: a Linux git tree to post against (default: the pristine 6.12 tree,
#   made into a git repository once under build/submit/tree).
#   KEEP_GOING=1: run the build checks even when a cheaper check failed.
#   ACCEPT: warnings the author confirms (named by check); they go into the
#   cover letter's notes. A failure cannot be accepted.
#   JSON=1: the report as JSON on stdout (progress on stderr).
#   VERIFY=dir: only check the mails of a written posting (cc_maintainers).
.PHONY: submit
submit:
	$(Q)scripts/setup.sh submit
	$(Q)scripts/submit.sh $(if $(VERIFY),--verify $(VERIFY)) $(if $(TREE),--tree $(TREE)) \
		$(if $(VERIFY),,$(if $(TARGET),--target $(TARGET)) $(if $(V),--version $(V)) \
		$(if $(KEEP_GOING),--keep-going)) $(if $(ACCEPT),--accept $(ACCEPT)) $(if $(JSON),--json)

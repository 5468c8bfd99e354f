# make submit [TREE=path] [TARGET=net-next|vhost] [V=n] [KEEP_GOING=1]
#   Check patches/series against the netdev rules and write the posting to
#   build/submit/vN/ (cover letter, To/Cc, send-email dry run). Never sends.
#   TREE: a Linux git tree to post against (default: the pristine 6.12 tree,
#   made into a git repository once under build/submit/tree).
#   KEEP_GOING=1: run the build checks even when a cheaper check failed.
.PHONY: submit
submit:
	$(Q)scripts/setup.sh submit
	$(Q)scripts/submit.sh $(if $(TREE),--tree $(TREE)) $(if $(TARGET),--target $(TARGET)) \
		$(if $(V),--version $(V)) $(if $(KEEP_GOING),--keep-going)

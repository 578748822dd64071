# manifests: the connector's manifest, which the App Marketplace reads without
# loading code. configure does not substitute it (so a version bump needs no
# re-configure of unrelated files); this rule does, into the build tree.
connector_DATA += manifests/tiktok_connector.json
EXTRA_DIST += manifests/tiktok_connector.json.in
CLEANFILES += manifests/tiktok_connector.json

manifests/tiktok_connector.json: $(top_srcdir)/manifests/tiktok_connector.json.in Makefile
	$(AM_V_GEN)$(MKDIR_P) manifests && \
	$(SED) -e 's|@PACKAGE_VERSION[@]|$(PACKAGE_VERSION)|g' \
	    $(top_srcdir)/manifests/tiktok_connector.json.in > $@.tmp && \
	mv -f $@.tmp $@

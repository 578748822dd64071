# plugin identifier pipeline, spool, settings, manifest (owned by the plugin-core work)
plugin_libtt_core_la_SOURCES += \
	plugin/tt_ident.c plugin/tt_ident.h \
	plugin/tt_email.c plugin/tt_email.h
plugin_libtt_core_la_SOURCES += plugin/tt_spool.c plugin/tt_spool.h
plugin_libtt_core_la_SOURCES += plugin/tt_settings.c plugin/tt_settings.h
plugin_libtt_core_la_SOURCES += plugin/tt_manifest.c plugin/tt_manifest.h

# describe() returns the manifest the App Marketplace reads: the installed
# file and the compiled-in text come from the same generated .json, so they
# cannot differ. The C source is generated in the build tree.
nodist_plugin_libtt_core_la_SOURCES = plugin/tt_manifest_text.c
BUILT_SOURCES += plugin/tt_manifest_text.c
CLEANFILES += plugin/tt_manifest_text.c

plugin/tt_manifest_text.c: manifests/tiktok_connector.json
	$(AM_V_GEN)$(MKDIR_P) plugin && { \
	  echo '/* Generated from manifests/tiktok_connector.json by plugin/core.mk; do not edit. */'; \
	  echo '#if defined(__GNUC__)'; \
	  echo '#pragma GCC diagnostic ignored "-Woverlength-strings"'; \
	  echo '#endif'; \
	  echo 'extern const char tt_manifest_text[];'; \
	  echo 'const char tt_manifest_text[] ='; \
	  $(SED) -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' \
	      manifests/tiktok_connector.json; \
	  echo '    ;'; \
	} > $@.tmp && mv -f $@.tmp $@
plugin_libtt_core_la_SOURCES += plugin/tt_ident_report.c plugin/tt_ident_report.h

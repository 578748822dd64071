# plugin/settings: quick settings (parse, structural and remote validation)
# and the manifest the App Marketplace reads.
plugin_libtt_core_la_SOURCES += \
	plugin/settings/tt_settings.c plugin/settings/tt_settings.h \
	plugin/settings/tt_settings_check.c plugin/settings/tt_settings_check.h \
	plugin/settings/tt_validate.c plugin/settings/tt_validate.h \
	plugin/settings/tt_fit.c plugin/settings/tt_fit.h \
	plugin/settings/tt_manifest.c plugin/settings/tt_manifest.h

# describe() returns the manifest the App Marketplace reads: the installed
# file and the compiled-in text come from the same generated .json, so they
# cannot differ. The C source is generated in the build tree.
nodist_plugin_libtt_core_la_SOURCES = plugin/settings/tt_manifest_text.c
BUILT_SOURCES += plugin/settings/tt_manifest_text.c
CLEANFILES += plugin/settings/tt_manifest_text.c

plugin/settings/tt_manifest_text.c: manifests/tiktok_connector.json
	$(AM_V_GEN)$(MKDIR_P) plugin/settings && { \
	  echo '/* Generated from manifests/tiktok_connector.json by plugin/settings/local.mk; do not edit. */'; \
	  echo '#if defined(__GNUC__)'; \
	  echo '#pragma GCC diagnostic ignored "-Woverlength-strings"'; \
	  echo '#endif'; \
	  echo 'extern const char tt_manifest_text[];'; \
	  echo 'const char tt_manifest_text[] ='; \
	  $(SED) -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$$/\\n"/' \
	      manifests/tiktok_connector.json; \
	  echo '    ;'; \
	} > $@.tmp && mv -f $@.tmp $@

# plugin/common: what every layer of the plugin uses: JSON values in the
# host's state store, secrets that wipe themselves, the version, JSON
# readers and setters, strdup and hex.
plugin_libtt_core_la_SOURCES += \
	plugin/common/tt_jstrict.c plugin/common/tt_jstrict.h \
	plugin/common/tt_json.c plugin/common/tt_json.h \
	plugin/common/tt_util.c plugin/common/tt_util.h \
	plugin/common/tt_kv.c plugin/common/tt_kv.h \
	plugin/common/tt_secret.c plugin/common/tt_secret.h \
	plugin/common/tt_version.c plugin/common/tt_version.h

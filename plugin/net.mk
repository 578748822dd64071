# plugin HTTP, TikTok API, OAuth (owned by the plugin-net work)
plugin_libtt_core_la_SOURCES += \
	plugin/tt_status.c plugin/tt_status.h \
	plugin/tt_secret.c plugin/tt_secret.h \
	plugin/tt_state.c plugin/tt_state.h

# plugin HTTP, TikTok API, OAuth (owned by the plugin-net work)
plugin_libtt_core_la_SOURCES += \
	plugin/tt_status.c plugin/tt_status.h \
	plugin/tt_secret.c plugin/tt_secret.h \
	plugin/tt_state.c plugin/tt_state.h
plugin_libtt_core_la_SOURCES += \
	plugin/tt_http.c plugin/tt_http.h plugin/tt_http_xfer.h \
	plugin/tt_http_retry.c
plugin_libtt_core_la_SOURCES += plugin/tt_api.c plugin/tt_api.h
plugin_libtt_core_la_SOURCES += \
	plugin/tt_accounts.c plugin/tt_accounts.h \
	plugin/tt_oauth.c plugin/tt_oauth.h

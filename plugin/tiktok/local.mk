# plugin/tiktok: talking to TikTok's Marketing API: HTTP with retries, the
# response envelope and its status classification, the typed endpoint
# calls, and an authenticated session for one entry-point call.
plugin_libtt_core_la_SOURCES += \
	plugin/tiktok/tt_status.c plugin/tiktok/tt_status.h plugin/tiktok/tt_status_class.c \
	plugin/tiktok/tt_backoff.c plugin/tiktok/tt_backoff.h \
	plugin/tiktok/tt_http.c plugin/tiktok/tt_http.h plugin/tiktok/tt_http_url.c \
	plugin/tiktok/tt_http_envelope.c plugin/tiktok/tt_http_xfer.c plugin/tiktok/tt_http_xfer.h \
	plugin/tiktok/tt_http_retry.c plugin/tiktok/tt_pace.c plugin/tiktok/tt_pace.h \
	plugin/tiktok/tt_api.c plugin/tiktok/tt_api.h plugin/tiktok/tt_api_int.h \
	plugin/tiktok/tt_api_account.c plugin/tiktok/tt_api_audience.c plugin/tiktok/tt_api_file.c \
	plugin/tiktok/tt_api_state.c \
	plugin/tiktok/tt_session.c plugin/tiktok/tt_session.h \
	plugin/tiktok/tt_url.c plugin/tiktok/tt_url.h

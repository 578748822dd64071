# plugin identifier pipeline, spool, settings, manifest (owned by the plugin-core work)
plugin_libtt_core_la_SOURCES += \
	plugin/tt_ident.c plugin/tt_ident.h \
	plugin/tt_email.c plugin/tt_email.h
plugin_libtt_core_la_SOURCES += plugin/tt_spool.c plugin/tt_spool.h
plugin_libtt_core_la_SOURCES += plugin/tt_settings.c plugin/tt_settings.h

# plugin: delivery (run pump, apply, budget, report) and settings validation.
plugin_libtt_core_la_SOURCES += \
	plugin/tt_apply.c plugin/tt_apply.h \
	plugin/tt_budget.c plugin/tt_budget.h \
	plugin/tt_conn.c plugin/tt_conn.h \
	plugin/tt_deliver.c plugin/tt_deliver.h \
	plugin/tt_dest.h \
	plugin/tt_kv.c plugin/tt_kv.h \
	plugin/tt_report.c plugin/tt_report.h \
	plugin/tt_session.c plugin/tt_session.h \
	plugin/tt_validate.c plugin/tt_validate.h

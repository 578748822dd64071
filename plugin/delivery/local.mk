# plugin/delivery: the deliver_batch entry point: a run's records hashed
# and spooled once, uploaded to every Ad Account, applied with the fewest
# operations, exactly once in effect, within TikTok's budgets; the report.
plugin_libtt_core_la_SOURCES += \
	plugin/delivery/tt_spool.c plugin/delivery/tt_spool.h \
	plugin/delivery/tt_budget.c plugin/delivery/tt_budget.h \
	plugin/delivery/tt_replace.c plugin/delivery/tt_replace.h \
	plugin/delivery/tt_dest.h \
	plugin/delivery/tt_conn.c plugin/delivery/tt_conn.h \
	plugin/delivery/tt_report.c plugin/delivery/tt_report.h \
	plugin/delivery/tt_apply.c plugin/delivery/tt_apply.h \
	plugin/delivery/tt_deliver.c plugin/delivery/tt_deliver.h

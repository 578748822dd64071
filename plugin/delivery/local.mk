# plugin/delivery: the deliver_batch entry point: a run's records hashed
# and spooled once, uploaded to every Ad Account, applied with the fewest
# operations, exactly once in effect, within TikTok's budgets; the report.
plugin_libtt_core_la_SOURCES += \
	plugin/delivery/tt_spool.c plugin/delivery/tt_spool.h \
	plugin/delivery/tt_spool_net.c plugin/delivery/tt_spool_net.h \
	plugin/delivery/tt_optout.c plugin/delivery/tt_optout.h \
	plugin/delivery/tt_budget.c plugin/delivery/tt_budget.h \
	plugin/delivery/tt_replace.c plugin/delivery/tt_replace.h \
	plugin/delivery/tt_dest.h \
	plugin/delivery/tt_conn.c plugin/delivery/tt_conn.h \
	plugin/delivery/tt_report.c plugin/delivery/tt_report.h \
	plugin/delivery/tt_dkeys.c plugin/delivery/tt_dkeys.h \
	plugin/delivery/tt_apply_ctx.h \
	plugin/delivery/tt_runrec.c plugin/delivery/tt_runrec.h \
	plugin/delivery/tt_health.c plugin/delivery/tt_health.h \
	plugin/delivery/tt_targets.c plugin/delivery/tt_targets.h \
	plugin/delivery/tt_upload.c plugin/delivery/tt_upload.h \
	plugin/delivery/tt_early.c plugin/delivery/tt_early.h \
	plugin/delivery/tt_create.c plugin/delivery/tt_create.h \
	plugin/delivery/tt_update.c plugin/delivery/tt_update.h \
	plugin/delivery/tt_apply.c plugin/delivery/tt_apply.h \
	plugin/delivery/tt_relay.c plugin/delivery/tt_relay.h \
	plugin/delivery/tt_par.c plugin/delivery/tt_par.h \
	plugin/delivery/tt_deliver.c plugin/delivery/tt_deliver.h \
	plugin/delivery/tt_inspect.c plugin/delivery/tt_inspect.h

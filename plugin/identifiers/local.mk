# plugin/identifiers: Rosetta Stone attributes to TikTok identifiers (the
# mapping table, digest validation, clear-text email normalisation), and
# the per-reason counts of a run.
plugin_libtt_core_la_SOURCES += \
	plugin/identifiers/tt_ident.c plugin/identifiers/tt_ident.h \
	plugin/identifiers/tt_email.c plugin/identifiers/tt_email.h \
	plugin/identifiers/tt_ident_report.c plugin/identifiers/tt_ident_report.h

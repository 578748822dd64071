# host: the reference connector host, connector-host.

EXTRA_DIST += host/README.md

# The reference host: all logic in a convenience library so the tests can
# link it; connector-host is only main().
noinst_LTLIBRARIES += host/libch.la
host_libch_la_SOURCES = \
	host/ch_arena.c host/ch_arena.h \
	host/ch_audiences.c \
	host/ch_buf.c host/ch_buf.h \
	host/ch_cli.c host/ch_cli.h host/ch_cli_setup.c host/ch_cli_state.c \
	host/ch_commands.c host/ch_cmd.h host/ch_cmd_validate.c host/ch_cmd_connect.c \
	host/ch_cmd_deliver.c host/ch_cmd_secret.c host/ch_relink.c host/ch_show.c \
	host/ch_show_fail.c host/ch_show.h \
	host/ch_dataset.c host/ch_dataset.h host/ch_dataset_impl.h host/ch_dataset_record.c \
	host/ch_jfast.c host/ch_jfast.h \
	host/ch_file.c host/ch_file.h \
	host/ch_fprint.c host/ch_fprint.h \
	plugin/common/tt_jstrict.c plugin/common/tt_jstrict.h \
	host/ch_home.c host/ch_home.h \
	host/ch_listen.c host/ch_listen.h \
	host/ch_plugin.c host/ch_plugin.h \
	host/ch_prefetch.c host/ch_prefetch.h \
	host/ch_report.c host/ch_report.h \
	host/ch_run.c host/ch_run.h host/ch_run_impl.h host/ch_run_deliver.c host/ch_run_current.c \
	host/ch_secrets.c host/ch_secrets.h \
	host/ch_services.c host/ch_services.h \
	host/ch_state.c host/ch_state.h host/ch_state_impl.h host/ch_state_run.c \
	host/ch_store.c host/ch_store.h host/ch_store_sqlite.c \
	host/ch_lease.c host/ch_lease.h host/ch_pace.c host/ch_held.c host/ch_held.h host/ch_worker.c host/ch_cmd_life.c \
	host/ch_vault.c host/ch_vault.h \
	host/ch_utf8.c host/ch_utf8.h \
	host/ch_util.c host/ch_util.h
if HAVE_LIBPQ
host_libch_la_SOURCES += host/ch_store_pg.c
endif
host_libch_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugin \
	-DCH_CONNECTOR_DIR='"$(connectordir)"'
host_libch_la_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(LIBPQ_CFLAGS) $(JSON_C_CFLAGS) \
	$(OPENSSL_CFLAGS) $(CURL_CFLAGS) $(MHD_CFLAGS)
# libmicrohttpd: authorize --listen's loopback redirect server (ch_listen.c).
host_libch_la_LIBADD = $(LIBLTDL) $(SQLITE_LIBS) $(LIBPQ_LIBS) $(JSON_C_LIBS) \
	$(OPENSSL_LIBS) $(CURL_LIBS) $(MHD_LIBS)

bin_PROGRAMS += host/connector-host
host_connector_host_SOURCES = host/connector-host.c
host_connector_host_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JSON_C_CFLAGS)
host_connector_host_LDADD = host/libch.la $(LIBLTDL) $(SQLITE_LIBS) $(LIBPQ_LIBS) \
	$(JSON_C_LIBS) $(OPENSSL_LIBS) $(CURL_LIBS) $(MHD_LIBS)

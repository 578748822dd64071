# host-api: the public ABI header, its pkg-config file, and the reference host.

acondir = $(includedir)/aconn
acon_HEADERS = host-api/aconn.h

pkgconfigdir = $(libdir)/pkgconfig
pkgconfig_DATA = host-api/aconn.pc

EXTRA_DIST += host-api/aconn.pc.in host-api/README.md

# The reference host: all logic in a convenience library so the tests can
# link it; connector-host is only main().
noinst_LTLIBRARIES += host-api/libch.la
host_api_libch_la_SOURCES = \
	host-api/host/ch_arena.c host-api/host/ch_arena.h \
	host-api/host/ch_buf.c host-api/host/ch_buf.h \
	host-api/host/ch_cli.c host-api/host/ch_cli.h \
	host-api/host/ch_commands.c \
	host-api/host/ch_dataset.c host-api/host/ch_dataset.h \
	host-api/host/ch_home.c host-api/host/ch_home.h \
	host-api/host/ch_plugin.c host-api/host/ch_plugin.h \
	host-api/host/ch_report.c host-api/host/ch_report.h \
	host-api/host/ch_run.c host-api/host/ch_run.h \
	host-api/host/ch_secrets.c host-api/host/ch_secrets.h \
	host-api/host/ch_services.c host-api/host/ch_services.h \
	host-api/host/ch_state.c host-api/host/ch_state.h \
	host-api/host/ch_utf8.c host-api/host/ch_utf8.h \
	host-api/host/ch_util.c host-api/host/ch_util.h
host_api_libch_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DCH_CONNECTOR_DIR='"$(connectordir)"'
host_api_libch_la_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS) $(JSON_C_CFLAGS) \
	$(OPENSSL_CFLAGS) $(CURL_CFLAGS)
host_api_libch_la_LIBADD = $(LIBLTDL) $(SQLITE_LIBS) $(JSON_C_LIBS) \
	$(OPENSSL_LIBS) $(CURL_LIBS)

bin_PROGRAMS += host-api/connector-host
host_api_connector_host_SOURCES = host-api/host/connector-host.c
host_api_connector_host_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JSON_C_CFLAGS)
host_api_connector_host_LDADD = host-api/libch.la $(LIBLTDL) $(SQLITE_LIBS) \
	$(JSON_C_LIBS) $(OPENSSL_LIBS) $(CURL_LIBS)

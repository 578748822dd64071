# plugin: the TikTok connector module. All logic lives in the convenience
# library libtt_core.la so the unit tests can link it; the module itself is
# only the ABI adapter (tiktok_connector.c) and exports exactly one symbol.
# Each folder below adds its own sources to libtt_core.la in its local.mk;
# the folders are layered (docs/ARCHITECTURE.md): a file includes only from
# its own folder and the folders below it.

noinst_LTLIBRARIES += plugin/libtt_core.la
plugin_libtt_core_la_SOURCES =
plugin_libtt_core_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugin
plugin_libtt_core_la_CFLAGS = $(AM_CFLAGS) $(TT_VISIBILITY_CFLAGS) \
	$(CURL_CFLAGS) $(JSON_C_CFLAGS) $(OPENSSL_CFLAGS)
plugin_libtt_core_la_LIBADD = $(CURL_LIBS) $(JSON_C_LIBS) $(OPENSSL_LIBS)

connector_LTLIBRARIES += plugin/tiktok_connector.la
plugin_tiktok_connector_la_SOURCES = plugin/tiktok_connector.c
plugin_tiktok_connector_la_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugin
plugin_tiktok_connector_la_CFLAGS = $(AM_CFLAGS) $(TT_VISIBILITY_CFLAGS) \
	$(CURL_CFLAGS) $(JSON_C_CFLAGS) $(OPENSSL_CFLAGS)
plugin_tiktok_connector_la_LDFLAGS = -module -avoid-version -shared -no-undefined \
	-export-symbols-regex '^aconn_plugin_entry$$'
plugin_tiktok_connector_la_LIBADD = plugin/libtt_core.la

# Bottom to top.
include plugin/common/local.mk
include plugin/identifiers/local.mk
include plugin/tiktok/local.mk
include plugin/profile/local.mk
include plugin/settings/local.mk
include plugin/delivery/local.mk

# tests for plugin/net.mk: HTTP, classification, TikTok API, OAuth.
# mock_host is an in-memory aconn_host shared by these programs.
check_LTLIBRARIES += tests/plugin/libmock_host.la
tests_plugin_libmock_host_la_SOURCES = tests/plugin/mock_host.c tests/plugin/mock_host.h
tests_plugin_libmock_host_la_CFLAGS = $(AM_CFLAGS)


TT_NET_TEST_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/plugin -I$(top_srcdir)/tests/plugin \
	$(CURL_CFLAGS) $(JSON_C_CFLAGS) $(OPENSSL_CFLAGS) $(MHD_CFLAGS)
TT_NET_TEST_LIBS = plugin/libtt_core.la tests/plugin/libmock_host.la $(TEST_LIBS) \
	$(CURL_LIBS) $(JSON_C_LIBS) $(OPENSSL_LIBS)

check_PROGRAMS += tests/plugin/test_status tests/plugin/test_oauth_state tests/plugin/test_http tests/plugin/test_oauth \
	tests/plugin/test_http_transport
TESTS += tests/plugin/test_status tests/plugin/test_oauth_state tests/plugin/test_http tests/plugin/test_oauth \
	tests/plugin/test_http_transport

tests_plugin_test_status_SOURCES = tests/plugin/test_status.c
tests_plugin_test_status_CFLAGS = $(TT_NET_TEST_CFLAGS)
tests_plugin_test_status_LDADD = $(TT_NET_TEST_LIBS)

tests_plugin_test_oauth_state_SOURCES = tests/plugin/test_oauth_state.c
tests_plugin_test_oauth_state_CFLAGS = $(TT_NET_TEST_CFLAGS)
tests_plugin_test_oauth_state_LDADD = $(TT_NET_TEST_LIBS)

tests_plugin_test_http_SOURCES = tests/plugin/test_http.c
tests_plugin_test_http_CFLAGS = $(TT_NET_TEST_CFLAGS)
tests_plugin_test_http_LDADD = $(TT_NET_TEST_LIBS)

tests_plugin_test_oauth_SOURCES = tests/plugin/test_oauth.c
tests_plugin_test_oauth_CFLAGS = $(TT_NET_TEST_CFLAGS)
tests_plugin_test_oauth_LDADD = $(TT_NET_TEST_LIBS)

tests_plugin_test_http_transport_SOURCES = tests/plugin/test_http_transport.c
tests_plugin_test_http_transport_CFLAGS = $(TT_NET_TEST_CFLAGS)
tests_plugin_test_http_transport_LDADD = $(TT_NET_TEST_LIBS) $(MHD_LIBS)

# tests/plugin: unit tests of the plugin, linked against libtt_core.la.
check_PROGRAMS += tests/plugin/test_ident
TESTS += tests/plugin/test_ident
tests_plugin_test_ident_SOURCES = tests/plugin/test_ident.c
tests_plugin_test_ident_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugin
tests_plugin_test_ident_CFLAGS = $(TEST_CFLAGS) $(OPENSSL_CFLAGS) $(JSON_C_CFLAGS) $(TS_CFLAGS)
tests_plugin_test_ident_LDADD = plugin/libtt_core.la $(TEST_LIBS) $(OPENSSL_LIBS) $(JSON_C_LIBS) $(TS_LIBS)

check_PROGRAMS += tests/plugin/test_spool
TESTS += tests/plugin/test_spool
tests_plugin_test_spool_SOURCES = tests/plugin/test_spool.c
tests_plugin_test_spool_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugin
tests_plugin_test_spool_CFLAGS = $(TEST_CFLAGS) $(OPENSSL_CFLAGS) $(TS_CFLAGS)
tests_plugin_test_spool_LDADD = plugin/libtt_core.la $(TEST_LIBS) $(OPENSSL_LIBS) $(TS_LIBS)

check_PROGRAMS += tests/plugin/test_settings
TESTS += tests/plugin/test_settings
tests_plugin_test_settings_SOURCES = tests/plugin/test_settings.c
tests_plugin_test_settings_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugin
tests_plugin_test_settings_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS) $(TS_CFLAGS)
tests_plugin_test_settings_LDADD = plugin/libtt_core.la $(TEST_LIBS) $(TS_LIBS)

# Loads the uninstalled plugin ($TT_PLUGIN) with libltdl, like a host.
check_PROGRAMS += tests/plugin/test_manifest
TESTS += tests/plugin/test_manifest
tests_plugin_test_manifest_SOURCES = tests/plugin/test_manifest.c
tests_plugin_test_manifest_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugin
tests_plugin_test_manifest_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS) $(TS_CFLAGS)
tests_plugin_test_manifest_LDADD = plugin/libtt_core.la $(TEST_LIBS) $(JSON_C_LIBS) $(LIBLTDL) $(TS_LIBS)
EXTRA_tests_plugin_test_manifest_DEPENDENCIES = plugin/tiktok_connector.la manifests/tiktok_connector.json

# Schema and C validator must agree on every example settings file.
TEST_EXTENSIONS = .py
PY_LOG_COMPILER = python3
check_PROGRAMS += tests/plugin/test_manifest_check
tests_plugin_test_manifest_check_SOURCES = tests/plugin/test_manifest_check.c
tests_plugin_test_manifest_check_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugin
tests_plugin_test_manifest_check_CFLAGS = $(AM_CFLAGS) $(JSON_C_CFLAGS)
tests_plugin_test_manifest_check_LDADD = plugin/libtt_core.la $(JSON_C_LIBS)
TESTS += tests/plugin/test_manifest_schema.py
EXTRA_DIST += tests/plugin/test_manifest_schema.py tests/plugin/data

# docs/ARCHITECTURE.md's layer picture against the #include lines.
TESTS += tests/plugin/test_layers.py
EXTRA_DIST += tests/plugin/test_layers.py

# HTTP, status classification, TikTok API and OAuth. mock_host is an
# in-memory aconn_host shared by these programs.
check_LTLIBRARIES += tests/plugin/libmock_host.la
tests_plugin_libmock_host_la_SOURCES = tests/plugin/mock_host.c tests/plugin/mock_host.h
tests_plugin_libmock_host_la_CFLAGS = $(AM_CFLAGS)


TT_NET_TEST_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/plugin -I$(top_srcdir)/tests/plugin \
	$(CURL_CFLAGS) $(JSON_C_CFLAGS) $(OPENSSL_CFLAGS) $(MHD_CFLAGS) $(TS_CFLAGS)
TT_NET_TEST_LIBS = plugin/libtt_core.la tests/plugin/libmock_host.la $(TEST_LIBS) \
	$(CURL_LIBS) $(JSON_C_LIBS) $(OPENSSL_LIBS) $(TS_LIBS)

check_PROGRAMS += tests/plugin/test_status tests/plugin/test_oauth_state tests/plugin/test_http tests/plugin/test_oauth \
	tests/plugin/test_http_transport tests/plugin/test_http_retry
TESTS += tests/plugin/test_status tests/plugin/test_oauth_state tests/plugin/test_http tests/plugin/test_oauth \
	tests/plugin/test_http_transport tests/plugin/test_http_retry

check_PROGRAMS += tests/plugin/test_backoff
TESTS += tests/plugin/test_backoff
tests_plugin_test_backoff_SOURCES = tests/plugin/test_backoff.c
tests_plugin_test_backoff_CFLAGS = $(TT_NET_TEST_CFLAGS)
tests_plugin_test_backoff_LDADD = $(TT_NET_TEST_LIBS)

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

# tt_http against a loopback server in the test process: its transport's
# edges (test_http_transport) and its statuses and retries (test_http_retry).
TT_HTTP_FIXTURE = tests/plugin/http_fixture.c tests/plugin/http_fixture.h
tests_plugin_test_http_transport_SOURCES = tests/plugin/test_http_transport.c $(TT_HTTP_FIXTURE)
tests_plugin_test_http_transport_CFLAGS = $(TT_NET_TEST_CFLAGS)
tests_plugin_test_http_transport_LDADD = $(TT_NET_TEST_LIBS) $(MHD_LIBS)
tests_plugin_test_http_retry_SOURCES = tests/plugin/test_http_retry.c $(TT_HTTP_FIXTURE)
tests_plugin_test_http_retry_CFLAGS = $(TT_NET_TEST_CFLAGS)
tests_plugin_test_http_retry_LDADD = $(TT_NET_TEST_LIBS) $(MHD_LIBS)

# The delivery half: budget, run record, create intent and adoption, report
# (mock host for the store, the sandbox for TikTok).
check_PROGRAMS += tests/plugin/test_delivery
TESTS += tests/plugin/test_delivery
TT_DELIVERY_FIXTURE = tests/plugin/delivery_fixture.c tests/plugin/delivery_fixture.h
tests_plugin_test_delivery_SOURCES = tests/plugin/test_delivery.c $(TT_DELIVERY_FIXTURE)
tests_plugin_test_delivery_CFLAGS = $(TT_NET_TEST_CFLAGS)
tests_plugin_test_delivery_LDADD = $(TT_NET_TEST_LIBS)
EXTRA_tests_plugin_test_delivery_DEPENDENCIES = $(TT_SANDBOX_DEP)

# The plan (tt_targets.c): new and existing targets, the per-type layout,
# dead and behind targets, a deleted audience (same fixture).
check_PROGRAMS += tests/plugin/test_plan
TESTS += tests/plugin/test_plan
tests_plugin_test_plan_SOURCES = tests/plugin/test_plan.c $(TT_DELIVERY_FIXTURE)
tests_plugin_test_plan_CFLAGS = $(TT_NET_TEST_CFLAGS)
tests_plugin_test_plan_LDADD = $(TT_NET_TEST_LIBS)
EXTRA_tests_plugin_test_plan_DEPENDENCIES = $(TT_SANDBOX_DEP)

# Several Ad Accounts at once (delivery/tt_par.c) on the mock host.
check_PROGRAMS += tests/plugin/test_par
TESTS += tests/plugin/test_par
tests_plugin_test_par_SOURCES = tests/plugin/test_par.c
tests_plugin_test_par_CFLAGS = $(TT_NET_TEST_CFLAGS) $(TS_CFLAGS)
tests_plugin_test_par_LDADD = $(TT_NET_TEST_LIBS) $(TS_LIBS)

# The early uploads' thread relays its host calls (delivery/tt_early.c); sandbox.
check_PROGRAMS += tests/plugin/test_early_relay
TESTS += tests/plugin/test_early_relay
tests_plugin_test_early_relay_SOURCES = tests/plugin/test_early_relay.c $(TT_DELIVERY_FIXTURE)
tests_plugin_test_early_relay_CFLAGS = $(TT_NET_TEST_CFLAGS) $(TS_CFLAGS)
tests_plugin_test_early_relay_LDADD = $(TT_NET_TEST_LIBS) $(TS_LIBS)
EXTRA_tests_plugin_test_early_relay_DEPENDENCIES = $(TT_SANDBOX_DEP)

# The relay of the plugin's threads' host calls (cancelled() without a round trip).
check_PROGRAMS += tests/plugin/test_relay
TESTS += tests/plugin/test_relay
tests_plugin_test_relay_SOURCES = tests/plugin/test_relay.c
tests_plugin_test_relay_CFLAGS = $(TT_NET_TEST_CFLAGS)
tests_plugin_test_relay_LDADD = $(TT_NET_TEST_LIBS)

# The update budget and the one-REPLACE-a-day rule, on the mock host's store.
check_PROGRAMS += tests/plugin/test_budget tests/plugin/test_replace
TESTS += tests/plugin/test_budget tests/plugin/test_replace

tests_plugin_test_budget_SOURCES = tests/plugin/test_budget.c
tests_plugin_test_budget_CFLAGS = $(TT_NET_TEST_CFLAGS)
tests_plugin_test_budget_LDADD = $(TT_NET_TEST_LIBS)

tests_plugin_test_replace_SOURCES = tests/plugin/test_replace.c
tests_plugin_test_replace_CFLAGS = $(TT_NET_TEST_CFLAGS)
tests_plugin_test_replace_LDADD = $(TT_NET_TEST_LIBS)

# validate --remote's fit checks (room under 400, existing audiences).
check_PROGRAMS += tests/plugin/test_fit
TESTS += tests/plugin/test_fit
tests_plugin_test_fit_SOURCES = tests/plugin/test_fit.c
tests_plugin_test_fit_CFLAGS = $(TT_NET_TEST_CFLAGS)
tests_plugin_test_fit_LDADD = $(TT_NET_TEST_LIBS)

# inspect (ABI 1.1) without a network.
check_PROGRAMS += tests/plugin/test_inspect
TESTS += tests/plugin/test_inspect
tests_plugin_test_inspect_SOURCES = tests/plugin/test_inspect.c
tests_plugin_test_inspect_CFLAGS = $(TT_NET_TEST_CFLAGS)
tests_plugin_test_inspect_LDADD = $(TT_NET_TEST_LIBS)

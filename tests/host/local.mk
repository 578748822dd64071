# reference host tests

# A connector that exercises every host service; and the same source built
# for ABI major 2, with a too-small descriptor, and without teardown, which
# the host must all refuse.
TEST_PLUGIN_LDFLAGS = -module -avoid-version -shared -rpath /nowhere -no-undefined
check_LTLIBRARIES += tests/host/test_plugin.la tests/host/test_plugin_abi2.la
tests_host_test_plugin_la_SOURCES = tests/host/test_plugin.c
tests_host_test_plugin_la_CFLAGS = $(AM_CFLAGS) $(TT_VISIBILITY_CFLAGS) $(JSON_C_CFLAGS)
tests_host_test_plugin_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_host_test_plugin_la_LIBADD = $(JSON_C_LIBS)
tests_host_test_plugin_abi2_la_SOURCES = tests/host/test_plugin.c
tests_host_test_plugin_abi2_la_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_ABI_MAJOR=2
tests_host_test_plugin_abi2_la_CFLAGS = $(AM_CFLAGS) $(TT_VISIBILITY_CFLAGS) $(JSON_C_CFLAGS)
tests_host_test_plugin_abi2_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_host_test_plugin_abi2_la_LIBADD = $(JSON_C_LIBS)
check_LTLIBRARIES += tests/host/test_plugin_small.la tests/host/test_plugin_noteardown.la
tests_host_test_plugin_small_la_SOURCES = tests/host/test_plugin.c
tests_host_test_plugin_small_la_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_SMALL_DESCRIPTOR
tests_host_test_plugin_small_la_CFLAGS = $(AM_CFLAGS) $(TT_VISIBILITY_CFLAGS) $(JSON_C_CFLAGS)
tests_host_test_plugin_small_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_host_test_plugin_small_la_LIBADD = $(JSON_C_LIBS)
tests_host_test_plugin_noteardown_la_SOURCES = tests/host/test_plugin.c
tests_host_test_plugin_noteardown_la_CPPFLAGS = $(AM_CPPFLAGS) -DTEST_NO_TEARDOWN
tests_host_test_plugin_noteardown_la_CFLAGS = $(AM_CFLAGS) $(TT_VISIBILITY_CFLAGS) $(JSON_C_CFLAGS)
tests_host_test_plugin_noteardown_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_host_test_plugin_noteardown_la_LIBADD = $(JSON_C_LIBS)

TEST_HOST_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/host -I$(top_srcdir)/tests/host \
	-I$(top_srcdir)/tests/support
TEST_HOST_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS) $(SQLITE_CFLAGS)
TEST_HOST_LIBS = host/libch.la tests/support/libts.la $(TEST_LIBS) $(LIBLTDL) $(SQLITE_LIBS) $(LIBPQ_LIBS) \
	$(JSON_C_LIBS) $(OPENSSL_LIBS) $(CURL_LIBS)
TEST_HOST_UTIL = tests/host/test_util.c tests/host/test_util.h

check_PROGRAMS += tests/host/test_abi tests/host/test_state tests/host/test_secrets \
	tests/host/test_dataset tests/host/test_cli tests/host/test_cli_runs \
	tests/host/test_ops tests/host/test_ops_state tests/host/test_file \
	tests/host/test_wipe tests/host/test_duration \
	tests/host/test_inputs tests/host/test_prefetch
TESTS += tests/host/test_abi tests/host/test_state tests/host/test_secrets \
	tests/host/test_dataset tests/host/test_cli tests/host/test_cli_runs \
	tests/host/test_ops tests/host/test_ops_state tests/host/test_file \
	tests/host/test_wipe tests/host/test_duration \
	tests/host/test_inputs tests/host/test_prefetch

tests_host_test_prefetch_SOURCES = tests/host/test_prefetch.c $(TEST_HOST_UTIL)
tests_host_test_prefetch_CPPFLAGS = $(TEST_HOST_CPPFLAGS)
tests_host_test_prefetch_CFLAGS = $(TEST_HOST_CFLAGS)
tests_host_test_prefetch_LDADD = $(TEST_HOST_LIBS)

tests_host_test_abi_SOURCES = tests/host/test_abi.c $(TEST_HOST_UTIL)
tests_host_test_abi_CPPFLAGS = $(TEST_HOST_CPPFLAGS)
tests_host_test_abi_CFLAGS = $(TEST_HOST_CFLAGS)
tests_host_test_abi_LDADD = $(TEST_HOST_LIBS)

# The store the state programs test, SQLite or (-DTEST_STATE_PG) PostgreSQL.
TEST_STATE_FIXTURE = tests/host/state_fixture.c tests/host/state_fixture.h
tests_host_test_state_SOURCES = tests/host/test_state.c tests/host/test_state_crash.c tests/host/test_state.h \
	$(TEST_STATE_FIXTURE) $(TEST_HOST_UTIL)
tests_host_test_state_CPPFLAGS = $(TEST_HOST_CPPFLAGS)
tests_host_test_state_CFLAGS = $(TEST_HOST_CFLAGS) $(TS_CFLAGS)
tests_host_test_state_LDADD = $(TEST_HOST_LIBS) $(TS_LIBS)

# Secrets sealed in the state (AES-256-GCM under a key file).
check_PROGRAMS += tests/host/test_vault
TESTS += tests/host/test_vault
tests_host_test_vault_SOURCES = tests/host/test_vault.c $(TEST_HOST_UTIL)
tests_host_test_vault_CPPFLAGS = $(TEST_HOST_CPPFLAGS)
tests_host_test_vault_CFLAGS = $(TEST_HOST_CFLAGS)
tests_host_test_vault_LDADD = $(TEST_HOST_LIBS)

# The same suite on a throwaway PostgreSQL cluster (SKIP without one).
check_PROGRAMS += tests/host/test_state_pg
TESTS += tests/host/test_state_pg
tests_host_test_state_pg_SOURCES = tests/host/test_state.c tests/host/test_state_crash.c tests/host/test_state.h \
	$(TEST_STATE_FIXTURE) $(TEST_HOST_UTIL)
tests_host_test_state_pg_CPPFLAGS = $(TEST_HOST_CPPFLAGS) -DTEST_STATE_PG
tests_host_test_state_pg_CFLAGS = $(TEST_HOST_CFLAGS) $(TS_CFLAGS)
tests_host_test_state_pg_LDADD = $(TEST_HOST_LIBS) $(TS_LIBS)

# The shared request budget (aconn_host.pace), on both backends.
check_PROGRAMS += tests/host/test_pace tests/host/test_pace_pg
TESTS += tests/host/test_pace tests/host/test_pace_pg
tests_host_test_pace_SOURCES = tests/host/test_pace.c $(TEST_STATE_FIXTURE) $(TEST_HOST_UTIL)
tests_host_test_pace_CPPFLAGS = $(TEST_HOST_CPPFLAGS)
tests_host_test_pace_CFLAGS = $(TEST_HOST_CFLAGS) $(TS_CFLAGS)
tests_host_test_pace_LDADD = $(TEST_HOST_LIBS) $(TS_LIBS)
tests_host_test_pace_pg_SOURCES = tests/host/test_pace.c $(TEST_STATE_FIXTURE) $(TEST_HOST_UTIL)
tests_host_test_pace_pg_CPPFLAGS = $(TEST_HOST_CPPFLAGS) -DTEST_STATE_PG
tests_host_test_pace_pg_CFLAGS = $(TEST_HOST_CFLAGS) $(TS_CFLAGS)
tests_host_test_pace_pg_LDADD = $(TEST_HOST_LIBS) $(TS_LIBS)

tests_host_test_secrets_SOURCES = tests/host/test_secrets.c $(TEST_HOST_UTIL)
tests_host_test_secrets_CPPFLAGS = $(TEST_HOST_CPPFLAGS)
tests_host_test_secrets_CFLAGS = $(TEST_HOST_CFLAGS)
tests_host_test_secrets_LDADD = $(TEST_HOST_LIBS)

# The reader's fast path against its full path (#14 point 2).
check_PROGRAMS += tests/host/test_jfast
TESTS += tests/host/test_jfast
tests_host_test_jfast_SOURCES = tests/host/test_jfast.c $(TEST_HOST_UTIL)
tests_host_test_jfast_CPPFLAGS = $(TEST_HOST_CPPFLAGS)
tests_host_test_jfast_CFLAGS = $(TEST_HOST_CFLAGS)
tests_host_test_jfast_LDADD = $(TEST_HOST_LIBS)

tests_host_test_dataset_SOURCES = tests/host/test_dataset.c $(TEST_HOST_UTIL)
tests_host_test_dataset_CPPFLAGS = $(TEST_HOST_CPPFLAGS)
tests_host_test_dataset_CFLAGS = $(TEST_HOST_CFLAGS)
tests_host_test_dataset_LDADD = $(TEST_HOST_LIBS)

tests_host_test_inputs_SOURCES = tests/host/test_inputs.c $(TEST_HOST_UTIL)
tests_host_test_inputs_CPPFLAGS = $(TEST_HOST_CPPFLAGS)
tests_host_test_inputs_CFLAGS = $(TEST_HOST_CFLAGS)
tests_host_test_inputs_LDADD = $(TEST_HOST_LIBS)

# The commands (test_cli) and the delivery runs (test_cli_runs) as a user
# runs them; one fixture.
# home_fixture: the temporary --home all four run connector-host in.
TEST_HOME_FIXTURE = tests/host/home_fixture.c tests/host/home_fixture.h
TEST_CLI_FIXTURE = tests/host/cli_fixture.c tests/host/cli_fixture.h $(TEST_HOME_FIXTURE)
tests_host_test_cli_SOURCES = tests/host/test_cli.c $(TEST_CLI_FIXTURE) $(TEST_HOST_UTIL)
tests_host_test_cli_CPPFLAGS = $(TEST_HOST_CPPFLAGS)
tests_host_test_cli_CFLAGS = $(TEST_HOST_CFLAGS)
tests_host_test_cli_LDADD = $(TEST_HOST_LIBS)
tests_host_test_cli_runs_SOURCES = tests/host/test_cli_runs.c $(TEST_CLI_FIXTURE) $(TEST_HOST_UTIL)
tests_host_test_cli_runs_CPPFLAGS = $(TEST_HOST_CPPFLAGS)
tests_host_test_cli_runs_CFLAGS = $(TEST_HOST_CFLAGS)
tests_host_test_cli_runs_LDADD = $(TEST_HOST_LIBS)

# Day-to-day use (test_ops) and the state you can see (test_ops_state);
# one fixture.
TEST_OPS_FIXTURE = tests/host/ops_fixture.c tests/host/ops_fixture.h $(TEST_HOME_FIXTURE)
tests_host_test_ops_SOURCES = tests/host/test_ops.c $(TEST_OPS_FIXTURE) $(TEST_HOST_UTIL)
tests_host_test_ops_CPPFLAGS = $(TEST_HOST_CPPFLAGS)
tests_host_test_ops_CFLAGS = $(TEST_HOST_CFLAGS)
tests_host_test_ops_LDADD = $(TEST_HOST_LIBS)
tests_host_test_ops_state_SOURCES = tests/host/test_ops_state.c $(TEST_OPS_FIXTURE) $(TEST_HOST_UTIL)
tests_host_test_ops_state_CPPFLAGS = $(TEST_HOST_CPPFLAGS)
tests_host_test_ops_state_CFLAGS = $(TEST_HOST_CFLAGS)
tests_host_test_ops_state_LDADD = $(TEST_HOST_LIBS)

# The attacks on the host's files (issue #21); interposes fsync() and
# rename() to force write failures.
tests_host_test_file_SOURCES = tests/host/test_file.c $(TEST_HOST_UTIL)
tests_host_test_file_CPPFLAGS = $(TEST_HOST_CPPFLAGS)
tests_host_test_file_CFLAGS = $(TEST_HOST_CFLAGS)
tests_host_test_file_LDADD = $(TEST_HOST_LIBS)

# The freed-memory scan (issue #21): an LD_PRELOAD shim searching every
# freed block for marker secrets while test_wipe drives the host.
check_LTLIBRARIES += tests/host/free_scan.la
tests_host_free_scan_la_SOURCES = tests/host/free_scan.c
tests_host_free_scan_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_host_test_wipe_SOURCES = tests/host/test_wipe.c $(TEST_HOST_UTIL)
tests_host_test_wipe_CPPFLAGS = $(TEST_HOST_CPPFLAGS)
tests_host_test_wipe_CFLAGS = $(TEST_HOST_CFLAGS)
tests_host_test_wipe_LDADD = $(TEST_HOST_LIBS)

tests_host_test_duration_SOURCES = tests/host/test_duration.c
tests_host_test_duration_CPPFLAGS = $(TEST_HOST_CPPFLAGS)
tests_host_test_duration_CFLAGS = $(TEST_HOST_CFLAGS)
tests_host_test_duration_LDADD = $(TEST_HOST_LIBS)

# examples/minimal_connector.c, the reference a connector author copies:
# built with the project's warning flags, driven through a full deliver by
# the reference host (test_example).
check_LTLIBRARIES += examples/minimal_connector.la
examples_minimal_connector_la_SOURCES = examples/minimal_connector.c
examples_minimal_connector_la_CFLAGS = $(AM_CFLAGS) $(TT_VISIBILITY_CFLAGS)
examples_minimal_connector_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
check_PROGRAMS += tests/host/test_example
TESTS += tests/host/test_example
tests_host_test_example_SOURCES = tests/host/test_example.c $(TEST_HOST_UTIL)
tests_host_test_example_CPPFLAGS = $(TEST_HOST_CPPFLAGS)
tests_host_test_example_CFLAGS = $(TEST_HOST_CFLAGS)
tests_host_test_example_LDADD = $(TEST_HOST_LIBS)
EXTRA_tests_host_test_example_DEPENDENCIES = examples/minimal_connector.la

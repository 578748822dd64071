# tests/e2e: connector-host + plugin + sandbox over HTTPS, as a user runs them.
E2E_SOURCES = tests/e2e/e2e.c tests/e2e/e2e_ctl.c tests/e2e/e2e.h

# Deliveries: members (test_delivery), TikTok's limits, faults and kill -9;
# their shared steps and checks in e2e_delivery.c.
E2E_DELIVERY_SOURCES = $(E2E_SOURCES) tests/e2e/e2e_delivery.c tests/e2e/e2e_delivery.h
check_PROGRAMS += tests/e2e/test_delivery
TESTS += tests/e2e/test_delivery
tests_e2e_test_delivery_SOURCES = tests/e2e/test_delivery.c $(E2E_DELIVERY_SOURCES)
tests_e2e_test_delivery_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_delivery_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_delivery_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)

check_PROGRAMS += tests/e2e/test_delivery_limits
TESTS += tests/e2e/test_delivery_limits
tests_e2e_test_delivery_limits_SOURCES = tests/e2e/test_delivery_limits.c $(E2E_DELIVERY_SOURCES)
tests_e2e_test_delivery_limits_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_delivery_limits_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_delivery_limits_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)

check_PROGRAMS += tests/e2e/test_delivery_faults
TESTS += tests/e2e/test_delivery_faults
tests_e2e_test_delivery_faults_SOURCES = tests/e2e/test_delivery_faults.c $(E2E_DELIVERY_SOURCES)
tests_e2e_test_delivery_faults_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_delivery_faults_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_delivery_faults_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)

# Upload while spooling (#14 point 4): several small spool files.
check_PROGRAMS += tests/e2e/test_early
TESTS += tests/e2e/test_early
tests_e2e_test_early_SOURCES = tests/e2e/test_early.c tests/e2e/e2e.c tests/e2e/e2e_ctl.c tests/e2e/e2e.h
tests_e2e_test_early_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_early_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_early_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)

# Targets: one broken Ad Account never blocks the others; adoption after
# a lost create; behind targets between runs (no new rows, no access).
check_PROGRAMS += tests/e2e/test_targets_idle
TESTS += tests/e2e/test_targets_idle
tests_e2e_test_targets_idle_SOURCES = tests/e2e/test_targets_idle.c tests/e2e/e2e.c tests/e2e/e2e_ctl.c tests/e2e/e2e.h
tests_e2e_test_targets_idle_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_targets_idle_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_targets_idle_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)

check_PROGRAMS += tests/e2e/test_targets
TESTS += tests/e2e/test_targets
tests_e2e_test_targets_SOURCES = tests/e2e/test_targets.c tests/e2e/e2e.c tests/e2e/e2e_ctl.c tests/e2e/e2e.h
tests_e2e_test_targets_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_targets_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS) $(SQLITE_CFLAGS)
tests_e2e_test_targets_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS) $(SQLITE_LIBS)

# Profiles, settings and secrets: the authorize flow and its accounts, every
# OAuth error, validate (structure, immutability; --remote against TikTok),
# the secrets scan; their shared steps in e2e_profiles.c.
E2E_PROFILES_SOURCES = $(E2E_SOURCES) tests/e2e/e2e_profiles.c tests/e2e/e2e_profiles.h
check_PROGRAMS += tests/e2e/test_oauth
TESTS += tests/e2e/test_oauth
tests_e2e_test_oauth_SOURCES = tests/e2e/test_oauth.c $(E2E_PROFILES_SOURCES)
tests_e2e_test_oauth_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_oauth_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS) $(CURL_CFLAGS)
tests_e2e_test_oauth_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS) $(CURL_LIBS)

check_PROGRAMS += tests/e2e/test_oauth_errors
TESTS += tests/e2e/test_oauth_errors
tests_e2e_test_oauth_errors_SOURCES = tests/e2e/test_oauth_errors.c $(E2E_PROFILES_SOURCES)
tests_e2e_test_oauth_errors_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_oauth_errors_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS) $(CURL_CFLAGS)
tests_e2e_test_oauth_errors_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS) $(CURL_LIBS)

check_PROGRAMS += tests/e2e/test_validate
TESTS += tests/e2e/test_validate
tests_e2e_test_validate_SOURCES = tests/e2e/test_validate.c $(E2E_PROFILES_SOURCES)
tests_e2e_test_validate_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_validate_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS) $(CURL_CFLAGS)
tests_e2e_test_validate_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS) $(CURL_LIBS)

check_PROGRAMS += tests/e2e/test_validate_remote
TESTS += tests/e2e/test_validate_remote
tests_e2e_test_validate_remote_SOURCES = tests/e2e/test_validate_remote.c $(E2E_PROFILES_SOURCES)
tests_e2e_test_validate_remote_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_validate_remote_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS) $(CURL_CFLAGS)
tests_e2e_test_validate_remote_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS) $(CURL_LIBS)

check_PROGRAMS += tests/e2e/test_secrets
TESTS += tests/e2e/test_secrets
tests_e2e_test_secrets_SOURCES = tests/e2e/test_secrets.c $(E2E_PROFILES_SOURCES)
tests_e2e_test_secrets_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_secrets_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS) $(CURL_CFLAGS)
tests_e2e_test_secrets_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS) $(CURL_LIBS)

# Secrets wiped through the TikTok plugin (#21): the OAuth exchange, a
# token replacement, secret set and a delivery under tests/host/free_scan.so.
check_PROGRAMS += tests/e2e/test_wipe_tiktok
TESTS += tests/e2e/test_wipe_tiktok
tests_e2e_test_wipe_tiktok_SOURCES = tests/e2e/test_wipe_tiktok.c tests/e2e/e2e.c tests/e2e/e2e_ctl.c tests/e2e/e2e.h
tests_e2e_test_wipe_tiktok_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_wipe_tiktok_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_wipe_tiktok_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)
EXTRA_tests_e2e_test_wipe_tiktok_DEPENDENCIES = tests/host/free_scan.la

# Operating the host: connections and runs after failed and good deliveries.
check_PROGRAMS += tests/e2e/test_ops
TESTS += tests/e2e/test_ops
tests_e2e_test_ops_SOURCES = tests/e2e/test_ops.c tests/e2e/e2e.c tests/e2e/e2e_ctl.c tests/e2e/e2e.h
tests_e2e_test_ops_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_ops_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_ops_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)

# Profiles when people and roles change (#19): other users, old links,
# roles changed mid-test through the sandbox's control API; their shared
# steps in e2e_changes.c.
E2E_CHANGES_SOURCES = $(E2E_SOURCES) tests/e2e/e2e_changes.c tests/e2e/e2e_changes.h
check_PROGRAMS += tests/e2e/test_profile_changes
TESTS += tests/e2e/test_profile_changes
tests_e2e_test_profile_changes_SOURCES = tests/e2e/test_profile_changes.c $(E2E_CHANGES_SOURCES)
tests_e2e_test_profile_changes_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_profile_changes_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_profile_changes_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)

# Point 1 of #19 end to end: a target the re-authorized user does not reach
# falls behind alone (plugin/delivery scopes TikTok's 40106 to it with
# tt_coverage_scope()); the profile and the other connection keep working.
check_PROGRAMS += tests/e2e/test_profile_targets
TESTS += tests/e2e/test_profile_targets
tests_e2e_test_profile_targets_SOURCES = tests/e2e/test_profile_targets.c $(E2E_CHANGES_SOURCES)
tests_e2e_test_profile_targets_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_profile_targets_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_profile_targets_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)

# Reliability: faults (the soak), crashes and concurrency end to end; their
# shared steps and checks in e2e_reliability.c.
E2E_RELIABILITY_SOURCES = $(E2E_SOURCES) tests/e2e/e2e_reliability.c \
	tests/e2e/e2e_reliability.h
check_PROGRAMS += tests/e2e/test_reliability
TESTS += tests/e2e/test_reliability
tests_e2e_test_reliability_SOURCES = tests/e2e/test_reliability.c $(E2E_RELIABILITY_SOURCES)
tests_e2e_test_reliability_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_reliability_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_reliability_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)

check_PROGRAMS += tests/e2e/test_crash_resume
TESTS += tests/e2e/test_crash_resume
tests_e2e_test_crash_resume_SOURCES = tests/e2e/test_crash_resume.c $(E2E_RELIABILITY_SOURCES)
tests_e2e_test_crash_resume_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_crash_resume_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_crash_resume_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)

check_PROGRAMS += tests/e2e/test_concurrent
TESTS += tests/e2e/test_concurrent
tests_e2e_test_concurrent_SOURCES = tests/e2e/test_concurrent.c $(E2E_RELIABILITY_SOURCES)
tests_e2e_test_concurrent_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_concurrent_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_concurrent_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)

# Workers over a throwaway PostgreSQL cluster (issue #12; SKIP without one).
check_PROGRAMS += tests/e2e/test_worker
TESTS += tests/e2e/test_worker
tests_e2e_test_worker_SOURCES = tests/e2e/test_worker.c tests/e2e/e2e.c tests/e2e/e2e_ctl.c \
	tests/e2e/e2e.h tests/e2e/e2e_worker.c tests/e2e/e2e_worker.h
tests_e2e_test_worker_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_worker_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_worker_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)

# Issue #12's scale test and #14's fan-out at the sandbox's --qps 10.
check_PROGRAMS += tests/e2e/test_scale
TESTS += tests/e2e/test_scale
tests_e2e_test_scale_SOURCES = tests/e2e/test_scale.c tests/e2e/e2e.c tests/e2e/e2e_ctl.c \
	tests/e2e/e2e.h tests/e2e/e2e_worker.c tests/e2e/e2e_worker.h
tests_e2e_test_scale_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_scale_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_scale_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)

# make soak: the long fault soak (1 million identifiers to three Ad
# Accounts, more seeds) and the rest of the reliability suite. Not part of
# make check: it runs for a long time.
soak: $(check_PROGRAMS) all
	@$(AM_TESTS_ENVIRONMENT) REL_SOAK=1; export REL_SOAK; \
	  for p in test_reliability test_crash_resume test_concurrent; do \
	    $(LIBTOOL) --mode=execute ./tests/e2e/$$p || exit 1; \
	  done

# make check-valgrind: the unit-level test programs (host, plugin, sandbox)
# under valgrind memcheck, through the libtool wrapper so the real binary
# (not the wrapper script) is checked. Any memory error or definite /
# indirect leak fails the program. tests/valgrind.supp only silences
# third-party libraries, each entry explained there. Child processes (the
# sandbox, connector-host) are not traced. Each program's valgrind log is
# left beside it as <program>.valgrind.log.
RELIABILITY_VG_FLAGS = --error-exitcode=1 --leak-check=full \
	--errors-for-leak-kinds=definite,indirect \
	--suppressions=$(abs_top_srcdir)/tests/valgrind.supp
check-valgrind: $(check_PROGRAMS) all
	@$(AM_TESTS_ENVIRONMENT) ran=0; failed=0; \
	for p in $(filter tests/host/% tests/plugin/% tests/sandbox/%,$(filter $(check_PROGRAMS),$(TESTS))); do \
	  ran=$$((ran + 1)); \
	  if $(LIBTOOL) --mode=execute valgrind $(RELIABILITY_VG_FLAGS) \
	       --log-file=$$p.valgrind.log ./$$p >$$p.valgrind.out 2>&1; then \
	    echo "PASS: valgrind $$p"; \
	  elif grep -q 'ERROR SUMMARY: 0 errors' $$p.valgrind.log; then \
	    failed=$$((failed + 1)); \
	    echo "FAIL: valgrind $$p: memcheck clean, but the test failed (see $$p.valgrind.out)"; \
	  else \
	    failed=$$((failed + 1)); \
	    echo "FAIL: valgrind $$p: memory errors or leaks (see $$p.valgrind.log)"; \
	  fi; \
	done; \
	echo "check-valgrind: $$ran programs, $$failed failed"; \
	test $$failed -eq 0

.PHONY: soak check-valgrind

# TikTok's answers as TikTok gives them (issue #22), through /sandbox/inject.
check_PROGRAMS += tests/e2e/test_answers
TESTS += tests/e2e/test_answers
tests_e2e_test_answers_SOURCES = tests/e2e/test_answers.c tests/e2e/e2e.c tests/e2e/e2e_ctl.c tests/e2e/e2e.h
tests_e2e_test_answers_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_answers_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_answers_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)

# Rewritten datasets (issue 17): refused, or replaced with --resync.
check_PROGRAMS += tests/e2e/test_rewrite
TESTS += tests/e2e/test_rewrite
tests_e2e_test_rewrite_SOURCES = tests/e2e/test_rewrite.c tests/e2e/e2e.c tests/e2e/e2e_ctl.c tests/e2e/e2e.h
tests_e2e_test_rewrite_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_rewrite_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_rewrite_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)

# TikTok's budgets (issue 11): the rolling update window, the legacy
# per-day counter carried over, one REPLACE a day.
check_PROGRAMS += tests/e2e/test_budget
TESTS += tests/e2e/test_budget
tests_e2e_test_budget_SOURCES = tests/e2e/test_budget.c tests/e2e/e2e.c tests/e2e/e2e_ctl.c tests/e2e/e2e.h
tests_e2e_test_budget_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_budget_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS) $(SQLITE_CFLAGS)
tests_e2e_test_budget_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS) $(SQLITE_LIBS)

# Signing in (issue 15): no token in clear text; authorize --listen.
check_PROGRAMS += tests/e2e/test_listen
TESTS += tests/e2e/test_listen
tests_e2e_test_listen_SOURCES = tests/e2e/test_listen.c tests/e2e/e2e.c tests/e2e/e2e_ctl.c \
	tests/e2e/e2e.h
tests_e2e_test_listen_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_listen_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS) $(CURL_CFLAGS)
tests_e2e_test_listen_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS) $(CURL_LIBS)

# Audience status (issue 15): audiences through inspect() (ABI 1.1); the
# example connector as it is (examples/minimal_connector.la, built once by
# tests/host/local.mk), and as a true ABI 1.0 binary, still load.
check_LTLIBRARIES += tests/e2e/plugin_abi10.la
tests_e2e_plugin_abi10_la_SOURCES = tests/e2e/plugin_abi10.c
tests_e2e_plugin_abi10_la_CFLAGS = $(AM_CFLAGS) $(TT_VISIBILITY_CFLAGS)
tests_e2e_plugin_abi10_la_LDFLAGS = -module -avoid-version -shared -rpath /nowhere \
	-no-undefined -export-symbols-regex '^aconn_plugin_entry$$'
EXTRA_DIST += tests/e2e/plugin_abi10.c
check_PROGRAMS += tests/e2e/test_audiences
TESTS += tests/e2e/test_audiences
tests_e2e_test_audiences_SOURCES = tests/e2e/test_audiences.c tests/e2e/e2e.c \
	tests/e2e/e2e_ctl.c tests/e2e/e2e.h
tests_e2e_test_audiences_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_audiences_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_audiences_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)
EXTRA_tests_e2e_test_audiences_DEPENDENCIES = examples/minimal_connector.la \
	tests/e2e/plugin_abi10.la

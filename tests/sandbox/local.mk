# tests/sandbox: tiktok-sandbox, a local TikTok Marketing API v1.3 server,
# and the CUnit tests that drive it over HTTPS.

# Installed too: a person can drive the sandbox by hand (README).
bin_PROGRAMS += tests/sandbox/tiktok-sandbox
tests_sandbox_tiktok_sandbox_SOURCES = \
	tests/sandbox/sb.h \
	tests/sandbox/sb_main.c \
	tests/sandbox/sb_server.c \
	tests/sandbox/sb_world.c \
	tests/sandbox/sb_state.c \
	tests/sandbox/sb_types.c \
	tests/sandbox/sb_json.c \
	tests/sandbox/sb_oauth.c \
	tests/sandbox/sb_bc.c \
	tests/sandbox/sb_upload.c \
	tests/sandbox/sb_audience.c \
	tests/sandbox/sb_files.c \
	tests/sandbox/sb_audience_get.c \
	tests/sandbox/sb_members.c \
	tests/sandbox/sb_faults.c \
	tests/sandbox/sb_inject.c \
	tests/sandbox/sb_clock.c \
	tests/sandbox/sb_control.c \
	tests/sandbox/sb_world_ctl.c \
	tests/sandbox/sb_world_seed.c
tests_sandbox_tiktok_sandbox_CFLAGS = $(AM_CFLAGS) $(MHD_CFLAGS) $(JSON_C_CFLAGS) \
	$(OPENSSL_CFLAGS) $(CURL_CFLAGS) -pthread
tests_sandbox_tiktok_sandbox_LDADD = $(MHD_LIBS) $(JSON_C_LIBS) $(OPENSSL_LIBS) \
	$(CURL_LIBS) -lpthread

EXTRA_DIST += tests/sandbox/README.md tests/sandbox/bench-rps.sh
# The previous-release fixture (issue #11): test_sandbox_api loads its world.
EXTRA_DIST += tests/e2e/data/prev-release/make-fixture.sh \
	tests/e2e/data/prev-release/README.md tests/e2e/data/prev-release/FIXTURE.txt \
	tests/e2e/data/prev-release/state.db tests/e2e/data/prev-release/secrets.json \
	tests/e2e/data/prev-release/world.json tests/e2e/data/prev-release/settings.json \
	tests/e2e/data/prev-release/dataset-8000.jsonl

# ---- tests ----------------------------------------------------------------
TSB_TEST_CFLAGS = $(TEST_CFLAGS) $(TS_CFLAGS)
TSB_TEST_LIBS = $(TS_LIBS) $(TEST_LIBS)
TSB_COMMON = tests/sandbox/test_sb_common.c tests/sandbox/test_sb_common.h

check_PROGRAMS += tests/sandbox/test_sandbox_api
tests_sandbox_test_sandbox_api_SOURCES = tests/sandbox/test_sandbox_api.c \
	tests/sandbox/test_sandbox_api_world.c $(TSB_COMMON)
tests_sandbox_test_sandbox_api_CFLAGS = $(TSB_TEST_CFLAGS) \
	-DTSB_PREV_RELEASE_DIR='"$(abs_top_srcdir)/tests/e2e/data/prev-release"'
tests_sandbox_test_sandbox_api_LDADD = $(TSB_TEST_LIBS)
TESTS += tests/sandbox/test_sandbox_api

check_PROGRAMS += tests/sandbox/test_sandbox_rules
tests_sandbox_test_sandbox_rules_SOURCES = tests/sandbox/test_sandbox_rules.c \
	tests/sandbox/test_sandbox_rules_multi.c $(TSB_COMMON)
tests_sandbox_test_sandbox_rules_CFLAGS = $(TSB_TEST_CFLAGS)
tests_sandbox_test_sandbox_rules_LDADD = $(TSB_TEST_LIBS)
TESTS += tests/sandbox/test_sandbox_rules

check_PROGRAMS += tests/sandbox/test_sandbox_inject
tests_sandbox_test_sandbox_inject_SOURCES = tests/sandbox/test_sandbox_inject.c $(TSB_COMMON)
tests_sandbox_test_sandbox_inject_CFLAGS = $(TSB_TEST_CFLAGS)
tests_sandbox_test_sandbox_inject_LDADD = $(TSB_TEST_LIBS)
TESTS += tests/sandbox/test_sandbox_inject

check_PROGRAMS += tests/sandbox/test_sandbox_cli
tests_sandbox_test_sandbox_cli_SOURCES = tests/sandbox/test_sandbox_cli.c $(TSB_COMMON)
tests_sandbox_test_sandbox_cli_CFLAGS = $(TSB_TEST_CFLAGS) -pthread
tests_sandbox_test_sandbox_cli_LDADD = $(TSB_TEST_LIBS) -lpthread
TESTS += tests/sandbox/test_sandbox_cli

check_PROGRAMS += tests/sandbox/test_sandbox_control
tests_sandbox_test_sandbox_control_SOURCES = tests/sandbox/test_sandbox_control.c $(TSB_COMMON)
tests_sandbox_test_sandbox_control_CFLAGS = $(TSB_TEST_CFLAGS) -pthread
tests_sandbox_test_sandbox_control_LDADD = $(TSB_TEST_LIBS) -lpthread
TESTS += tests/sandbox/test_sandbox_control

check_PROGRAMS += tests/sandbox/test_sb_members
tests_sandbox_test_sb_members_SOURCES = tests/sandbox/test_sb_members.c \
	tests/sandbox/sb_members.c tests/sandbox/sb_faults.c tests/sandbox/sb_types.c \
	tests/sandbox/sb_clock.c tests/sandbox/sb.h
tests_sandbox_test_sb_members_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS) -pthread \
	-I$(top_srcdir)/tests/support
tests_sandbox_test_sb_members_LDADD = $(TS_LIBS) $(TEST_LIBS) $(JSON_C_LIBS) -lpthread
TESTS += tests/sandbox/test_sb_members

# Building any sandbox test builds the server it starts. Other test
# fragments that start the sandbox can add $(TT_SANDBOX_DEP) the same way.
TT_SANDBOX_DEP = tests/sandbox/tiktok-sandbox
EXTRA_tests_sandbox_test_sandbox_api_DEPENDENCIES = $(TT_SANDBOX_DEP)
EXTRA_tests_sandbox_test_sandbox_rules_DEPENDENCIES = $(TT_SANDBOX_DEP)
EXTRA_tests_sandbox_test_sandbox_cli_DEPENDENCIES = $(TT_SANDBOX_DEP)
EXTRA_tests_sandbox_test_sandbox_control_DEPENDENCIES = $(TT_SANDBOX_DEP)

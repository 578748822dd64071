# tests/e2e: profiles tests (owned by the profiles work)
check_PROGRAMS += tests/e2e/test_profiles
TESTS += tests/e2e/test_profiles
tests_e2e_test_profiles_SOURCES = tests/e2e/test_profiles.c tests/e2e/e2e.c tests/e2e/e2e.h
tests_e2e_test_profiles_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_profiles_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS) $(CURL_CFLAGS)
tests_e2e_test_profiles_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS) $(CURL_LIBS)

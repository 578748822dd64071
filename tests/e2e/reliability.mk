# tests/e2e: reliability tests (owned by the reliability work): faults,
# crashes and concurrency end to end, the long soak, and valgrind.
check_PROGRAMS += tests/e2e/test_reliability
TESTS += tests/e2e/test_reliability
tests_e2e_test_reliability_SOURCES = tests/e2e/test_reliability.c tests/e2e/e2e.c \
	tests/e2e/e2e.h
tests_e2e_test_reliability_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_reliability_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_reliability_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)

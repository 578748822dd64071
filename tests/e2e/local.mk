# tests/e2e: connector-host + plugin + sandbox over HTTPS, as a user runs them.
check_PROGRAMS += tests/e2e/test_delivery
TESTS += tests/e2e/test_delivery
tests_e2e_test_delivery_SOURCES = tests/e2e/test_delivery.c tests/e2e/e2e.c tests/e2e/e2e.h
tests_e2e_test_delivery_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/support
tests_e2e_test_delivery_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS)
tests_e2e_test_delivery_LDADD = tests/support/libts.la $(TEST_LIBS) $(JSON_C_LIBS)

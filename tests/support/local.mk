# tests/support: libts, the test support library every test program may
# link: sandbox launcher, throwaway CA, HTTP helpers, process helpers, the
# CUnit runner.
# Link with: tests/support/libts.la $(TS_LIBS)

check_LTLIBRARIES += tests/support/libts.la
tests_support_libts_la_SOURCES = \
	tests/support/ts.h \
	tests/support/ts_proc.c \
	tests/support/ts_certs.c \
	tests/support/ts_sandbox.c \
	tests/support/ts_http.c \
	tests/support/ts_json.c \
	tests/support/ts_pg.c \
	tests/support/ts_cunit.c tests/support/ts_cunit.h
tests_support_libts_la_CFLAGS = $(AM_CFLAGS) $(CURL_CFLAGS) $(JSON_C_CFLAGS) $(OPENSSL_CFLAGS) \
	$(CUNIT_CFLAGS)
tests_support_libts_la_LIBADD = $(CURL_LIBS) $(JSON_C_LIBS) $(OPENSSL_LIBS) $(CUNIT_LIBS)

# What a test program using libts adds to its CFLAGS / LDADD.
TS_CFLAGS = -I$(top_srcdir)/tests/support $(CURL_CFLAGS) $(JSON_C_CFLAGS) $(OPENSSL_CFLAGS)
TS_LIBS = $(top_builddir)/tests/support/libts.la $(CURL_LIBS) $(JSON_C_LIBS) $(OPENSSL_LIBS)

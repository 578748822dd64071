# tests: shared environment for every test program. The fragments included
# after this one add the programs.
#
# Tests find the parts they drive through these variables, so they run the
# same from a VPATH build and from make distcheck.
AM_TESTS_ENVIRONMENT = \
	TT_SRCDIR='$(abs_top_srcdir)'; export TT_SRCDIR; \
	TT_BUILDDIR='$(abs_top_builddir)'; export TT_BUILDDIR; \
	TT_PLUGIN='$(abs_top_builddir)/plugin/tiktok_connector.la'; export TT_PLUGIN; \
	TT_HOST='$(abs_top_builddir)/host/connector-host'; export TT_HOST; \
	TT_SANDBOX='$(abs_top_builddir)/tests/sandbox/tiktok-sandbox'; export TT_SANDBOX; \
	TT_OPENSSL='$(OPENSSL_BIN)'; export TT_OPENSSL;

# Every CUnit test program links these.
TEST_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
TEST_LIBS = $(CUNIT_LIBS)

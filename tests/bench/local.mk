# tests/bench: `make bench` (not part of make check). Built on demand.
EXTRA_PROGRAMS = tests/bench/bench-pipeline tests/bench/bench-email
tests_bench_bench_email_SOURCES = tests/bench/bench_email.c \
	tests/bench/bench_util.c tests/bench/bench_util.h
tests_bench_bench_email_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugin
tests_bench_bench_email_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_bench_bench_email_LDADD = plugin/libtt_core.la $(OPENSSL_LIBS)
tests_bench_bench_pipeline_SOURCES = tests/bench/bench_pipeline.c \
	tests/bench/bench_util.c tests/bench/bench_util.h
tests_bench_bench_pipeline_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_bench_bench_pipeline_LDADD = $(LIBLTDL) $(OPENSSL_LIBS)
CLEANFILES += $(EXTRA_PROGRAMS)

BENCH_RECORDS ?= 10000000
BENCH_RUNS ?= 3
bench: all $(EXTRA_PROGRAMS)
	@mkdir -p bench-results
	$(top_builddir)/tests/bench/bench-pipeline \
		'$(abs_top_builddir)/plugin/tiktok_connector.la' \
		--records $(BENCH_RECORDS) --runs $(BENCH_RUNS) --json bench-results/pipeline.json
	$(top_builddir)/tests/bench/bench-email --emails $(BENCH_RECORDS) --runs $(BENCH_RUNS) \
		--json bench-results/email.json
PHONY_TARGETS += bench

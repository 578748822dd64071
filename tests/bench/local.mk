# tests/bench: `make bench` (not part of make check). Built on demand.
EXTRA_PROGRAMS = tests/bench/bench-pipeline tests/bench/bench-email tests/bench/bench-reader \
	tests/bench/bench-e2e tests/bench/bench-summary tests/bench/bench-fprint \
	tests/bench/bench-state tests/bench/bench-ops
tests_bench_bench_email_SOURCES = tests/bench/bench_email.c \
	tests/bench/bench_util.c tests/bench/bench_util.h
tests_bench_bench_email_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugin
tests_bench_bench_email_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_bench_bench_email_LDADD = plugin/libtt_core.la $(OPENSSL_LIBS)
tests_bench_bench_pipeline_SOURCES = tests/bench/bench_pipeline.c \
	tests/bench/bench_util.c tests/bench/bench_util.h
tests_bench_bench_pipeline_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
tests_bench_bench_pipeline_LDADD = $(LIBLTDL) $(OPENSSL_LIBS)
tests_bench_bench_e2e_SOURCES = tests/bench/bench_e2e.c \
	tests/bench/bench_hostread.c tests/bench/bench_hostread.h \
	tests/bench/bench_session.c tests/bench/bench_session.h \
	tests/bench/bench_baseline.c tests/bench/bench_baseline.h \
	tests/bench/bench_sandbox.c tests/bench/bench_sandbox.h \
	tests/bench/bench_proc.c tests/bench/bench_proc.h \
	tests/bench/bench_util.c tests/bench/bench_util.h
tests_bench_bench_e2e_CFLAGS = $(AM_CFLAGS) $(JSON_C_CFLAGS) $(CURL_CFLAGS) $(OPENSSL_CFLAGS)
tests_bench_bench_e2e_LDADD = host/libch.la $(LIBLTDL) $(SQLITE_LIBS) \
	$(JSON_C_LIBS) $(CURL_LIBS) $(OPENSSL_LIBS)
tests_bench_bench_ops_SOURCES = tests/bench/bench_ops.c \
	tests/bench/bench_session.c tests/bench/bench_session.h \
	tests/bench/bench_sandbox.c tests/bench/bench_sandbox.h \
	tests/bench/bench_proc.c tests/bench/bench_proc.h \
	tests/bench/bench_util.c tests/bench/bench_util.h
tests_bench_bench_ops_CFLAGS = $(AM_CFLAGS) $(JSON_C_CFLAGS) $(CURL_CFLAGS)
tests_bench_bench_ops_LDADD = $(JSON_C_LIBS) $(CURL_LIBS)
tests_bench_bench_reader_SOURCES = tests/bench/bench_reader.c \
	tests/bench/bench_baseline.c tests/bench/bench_baseline.h \
	tests/bench/bench_proc.c tests/bench/bench_proc.h \
	tests/bench/bench_util.c tests/bench/bench_util.h
tests_bench_bench_reader_CFLAGS = $(AM_CFLAGS) $(JSON_C_CFLAGS) $(OPENSSL_CFLAGS)
tests_bench_bench_reader_LDADD = host/libch.la $(LIBLTDL) $(SQLITE_LIBS) \
	$(JSON_C_LIBS) $(OPENSSL_LIBS) $(CURL_LIBS)
tests_bench_bench_fprint_SOURCES = tests/bench/bench_fprint.c \
	tests/bench/bench_util.c tests/bench/bench_util.h
tests_bench_bench_fprint_CFLAGS = $(AM_CFLAGS) $(JSON_C_CFLAGS) $(OPENSSL_CFLAGS)
tests_bench_bench_fprint_LDADD = host/libch.la $(LIBLTDL) $(SQLITE_LIBS) \
	$(JSON_C_LIBS) $(OPENSSL_LIBS) $(CURL_LIBS)
# The state backend's cost per run (issue #12): bench-state sqlite:FILE,
# bench-state --throwaway-pg, or a postgresql:// URL.
tests_bench_bench_state_SOURCES = tests/bench/bench_state.c
tests_bench_bench_state_CFLAGS = $(AM_CFLAGS) $(JSON_C_CFLAGS) $(TS_CFLAGS)
tests_bench_bench_state_LDADD = host/libch.la $(TS_LIBS) $(LIBLTDL) $(SQLITE_LIBS) \
	$(LIBPQ_LIBS) $(JSON_C_LIBS) $(OPENSSL_LIBS) $(CURL_LIBS)
tests_bench_bench_summary_SOURCES = tests/bench/bench_summary.c
tests_bench_bench_summary_CFLAGS = $(AM_CFLAGS) $(JSON_C_CFLAGS)
tests_bench_bench_summary_LDADD = $(JSON_C_LIBS)
CLEANFILES += $(EXTRA_PROGRAMS)
# bench-plot.sh: make bench's plot; alt/alt_reader.c: a measurement of
# another JSON parser, built by hand (see tests/bench/README.md).
EXTRA_DIST += tests/bench/bench-plot.sh tests/bench/alt/alt_reader.c

# make bench: every figure is a median of BENCH_RUNS runs (10M records) or
# BENCH_SMALL_RUNS runs (1M records), each against its baseline measured in
# the same run. Results: bench-results/*.json and bench-results/summary.json.
BENCH_RECORDS ?= 10000000
BENCH_RUNS ?= 3
BENCH_SMALL_RECORDS ?= 1000000
BENCH_SMALL_RUNS ?= 3
BENCH_WORK = $(abs_top_builddir)/bench-results/work
bench: all $(EXTRA_PROGRAMS)
	@mkdir -p bench-results/work
	@date +%s > bench-results/started
	$(top_builddir)/tests/bench/bench-pipeline \
		'$(abs_top_builddir)/plugin/tiktok_connector.la' \
		--records $(BENCH_RECORDS) --runs $(BENCH_RUNS) --json bench-results/pipeline.json
	$(top_builddir)/tests/bench/bench-email --emails $(BENCH_RECORDS) --runs $(BENCH_RUNS) \
		--json bench-results/email.json
	test -f '$(BENCH_WORK)/dataset-$(BENCH_SMALL_RECORDS).jsonl' || \
		$(top_builddir)/tests/tools/tt-gen-dataset --records $(BENCH_SMALL_RECORDS) --seed 42 \
		--out '$(BENCH_WORK)/dataset-$(BENCH_SMALL_RECORDS).jsonl'
	$(top_builddir)/tests/bench/bench-reader '$(BENCH_WORK)/dataset-$(BENCH_SMALL_RECORDS).jsonl' \
		--runs $(BENCH_RUNS) --json bench-results/reader.json
	test -f '$(BENCH_WORK)/dataset-$(BENCH_RECORDS).jsonl' || \
		$(top_builddir)/tests/tools/tt-gen-dataset --records $(BENCH_RECORDS) --seed 42 \
		--out '$(BENCH_WORK)/dataset-$(BENCH_RECORDS).jsonl'
	$(top_builddir)/tests/bench/bench-fprint '$(BENCH_WORK)/dataset-$(BENCH_RECORDS).jsonl' \
		--runs $(BENCH_RUNS) --json bench-results/fprint.json
	$(top_builddir)/tests/bench/bench-e2e \
		--host '$(abs_top_builddir)/host/connector-host' \
		--sandbox '$(abs_top_builddir)/tests/sandbox/tiktok-sandbox' \
		--plugin '$(abs_top_builddir)/plugin/tiktok_connector.la' \
		--gen '$(abs_top_builddir)/tests/tools/tt-gen-dataset' \
		--curl '$(CURL_BIN)' --work '$(BENCH_WORK)' \
		--records $(BENCH_RECORDS) --runs $(BENCH_RUNS) \
		--small-records $(BENCH_SMALL_RECORDS) --small-runs $(BENCH_SMALL_RUNS) \
		--json bench-results/e2e.json
	$(top_builddir)/tests/bench/bench-ops \
		--host '$(abs_top_builddir)/host/connector-host' \
		--sandbox '$(abs_top_builddir)/tests/sandbox/tiktok-sandbox' \
		--plugin '$(abs_top_builddir)/plugin/tiktok_connector.la' \
		--gen '$(abs_top_builddir)/tests/tools/tt-gen-dataset' \
		--work '$(BENCH_WORK)' --json bench-results/ops.json
	-$(SHELL) $(top_srcdir)/tests/bench/bench-plot.sh bench-results
	@echo
	$(top_builddir)/tests/bench/bench-summary --out bench-results/summary.json \
		--started "$$(cat bench-results/started)" \
		--command 'make bench BENCH_RECORDS=$(BENCH_RECORDS) BENCH_RUNS=$(BENCH_RUNS) BENCH_SMALL_RECORDS=$(BENCH_SMALL_RECORDS) BENCH_SMALL_RUNS=$(BENCH_SMALL_RUNS)' \
		bench-results/pipeline.json bench-results/email.json bench-results/reader.json \
		bench-results/fprint.json bench-results/e2e.json bench-results/ops.json
PHONY_TARGETS += bench

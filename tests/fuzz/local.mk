# tests/fuzz: libFuzzer targets for hostile input. `make fuzz` builds every
# target with clang and runs each for FUZZ_SECONDS on its committed seed
# corpus; `make fuzz-smoke` is the 5 s version. Neither is part of make
# check or distcheck. make check runs test_fuzz_regressions instead, which
# replays the seed corpora and every saved crash through the same harness
# code, built normally.
#
# libtool objects are built by gcc without coverage instrumentation, so
# each target compiles the harness and the sources it needs directly.

FUZZ_TARGETS = settings dataset envelope api state manifest ident email oauth
FUZZ_SECONDS = 60
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FZ_CFLAGS = -std=c11 $(TT_WARN_CFLAGS) $(AM_CPPFLAGS) -I$(top_srcdir) -I$(top_srcdir)/plugin -I$(top_srcdir)/tests/fuzz \
	$(JSON_C_CFLAGS) $(CURL_CFLAGS) $(OPENSSL_CFLAGS)
FZ_LIBS = $(JSON_C_LIBS) $(CURL_LIBS) $(OPENSSL_LIBS)
FZ_BUILD = $(AM_V_GEN)$(MKDIR_P) tests/fuzz && \
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FZ_CFLAGS) -o $@

fz_dir = $(top_srcdir)/tests/fuzz
fz_plugin = $(top_srcdir)/plugin
fz_host = $(top_srcdir)/host
FZ_HDRS = $(fz_dir)/fz.h $(fz_dir)/fz_transport.h $(fz_dir)/fz_manifest_check.h config.h
FZ_COMMON = $(fz_dir)/fuzz_main.c $(fz_dir)/fz_util.c

# The harness and the sources under test, per target. A split of a plugin
# file must be followed here (the sets below name every file of a layer).
FZ_UTIL = $(fz_plugin)/common/tt_util.c
FZ_HTTP = $(fz_plugin)/tiktok/tt_http.c $(fz_plugin)/tiktok/tt_http_url.c $(fz_plugin)/tiktok/tt_url.c \
	$(fz_plugin)/tiktok/tt_http_envelope.c $(fz_plugin)/tiktok/tt_http_xfer.c \
	$(fz_plugin)/tiktok/tt_status.c $(fz_plugin)/tiktok/tt_status_class.c \
	$(fz_plugin)/tiktok/tt_backoff.c $(fz_plugin)/tiktok/tt_pace.c $(fz_plugin)/common/tt_kv.c \
	$(fz_plugin)/common/tt_secret.c $(FZ_UTIL)
FZ_API = $(fz_plugin)/tiktok/tt_api.c $(fz_plugin)/tiktok/tt_api_account.c \
	$(fz_plugin)/tiktok/tt_api_audience.c $(fz_plugin)/tiktok/tt_api_file.c \
	$(fz_plugin)/tiktok/tt_api_state.c $(fz_plugin)/tiktok/tt_session.c \
	$(fz_plugin)/common/tt_json.c $(FZ_HTTP)
FZ_SRC_settings = $(fz_dir)/fz_settings.c $(fz_plugin)/settings/tt_settings.c $(fz_plugin)/settings/tt_settings_check.c \
	$(fz_plugin)/common/tt_jstrict.c \
	$(fz_plugin)/identifiers/tt_ident.c $(fz_plugin)/identifiers/tt_email.c $(FZ_UTIL)
FZ_SRC_dataset = $(fz_dir)/fz_dataset.c $(fz_host)/ch_dataset.c $(fz_host)/ch_dataset_record.c \
	$(fz_host)/ch_jfast.c $(fz_host)/ch_arena.c \
	$(fz_host)/ch_utf8.c $(fz_host)/ch_util.c $(fz_plugin)/common/tt_jstrict.c
FZ_SRC_envelope = $(fz_dir)/fz_envelope.c $(FZ_HTTP)
# tt_http_retry.c is left out on purpose: fz_transport.c replaces its
# network calls (see fz_transport.h).
FZ_SRC_api = $(fz_dir)/fz_api.c $(fz_dir)/fz_transport.c $(FZ_API)
FZ_SRC_state = $(fz_dir)/fz_state.c $(fz_plugin)/profile/tt_state.c $(FZ_UTIL)
FZ_SRC_manifest = $(fz_dir)/fz_manifest.c $(fz_dir)/fz_manifest_check.c \
	plugin/settings/tt_manifest_text.c
FZ_SRC_ident = $(fz_dir)/fz_ident.c $(fz_plugin)/identifiers/tt_ident.c $(fz_plugin)/identifiers/tt_email.c \
	$(FZ_UTIL)
FZ_SRC_email = $(fz_dir)/fz_email.c $(fz_plugin)/identifiers/tt_email.c $(FZ_UTIL)
# tt_oauth.c brings the API client with it; the fake transport stands in for
# the network as in the api target.
FZ_SRC_oauth = $(fz_dir)/fz_oauth.c $(fz_dir)/fz_transport.c $(fz_plugin)/profile/tt_oauth.c \
	$(fz_plugin)/profile/tt_grant.c $(fz_plugin)/profile/tt_profile.c \
	$(fz_plugin)/profile/tt_state.c $(fz_plugin)/profile/tt_accounts.c $(FZ_API)

FUZZ_BINS = tests/fuzz/fuzz-settings tests/fuzz/fuzz-dataset tests/fuzz/fuzz-envelope \
	tests/fuzz/fuzz-api tests/fuzz/fuzz-state tests/fuzz/fuzz-manifest \
	tests/fuzz/fuzz-ident tests/fuzz/fuzz-email tests/fuzz/fuzz-oauth

tests/fuzz/fuzz-settings: $(FZ_COMMON) $(FZ_SRC_settings) $(FZ_HDRS)
	$(FZ_BUILD) -DFZ_ENTRY=fz_settings $(FZ_COMMON) $(FZ_SRC_settings) $(FZ_LIBS)
tests/fuzz/fuzz-dataset: $(FZ_COMMON) $(FZ_SRC_dataset) $(FZ_HDRS)
	$(FZ_BUILD) -DFZ_ENTRY=fz_dataset $(FZ_COMMON) $(FZ_SRC_dataset) $(FZ_LIBS)
tests/fuzz/fuzz-envelope: $(FZ_COMMON) $(FZ_SRC_envelope) $(FZ_HDRS)
	$(FZ_BUILD) -DFZ_ENTRY=fz_envelope $(FZ_COMMON) $(FZ_SRC_envelope) $(FZ_LIBS)
tests/fuzz/fuzz-api: $(FZ_COMMON) $(FZ_SRC_api) $(FZ_HDRS)
	$(FZ_BUILD) -DFZ_ENTRY=fz_api $(FZ_COMMON) $(FZ_SRC_api) $(FZ_LIBS)
tests/fuzz/fuzz-state: $(FZ_COMMON) $(FZ_SRC_state) $(FZ_HDRS)
	$(FZ_BUILD) -DFZ_ENTRY=fz_state $(FZ_COMMON) $(FZ_SRC_state) $(FZ_LIBS)
tests/fuzz/fuzz-manifest: $(FZ_COMMON) $(FZ_SRC_manifest) $(FZ_HDRS)
	$(FZ_BUILD) -DFZ_ENTRY=fz_manifest $(FZ_COMMON) $(FZ_SRC_manifest) $(FZ_LIBS)
tests/fuzz/fuzz-ident: $(FZ_COMMON) $(FZ_SRC_ident) $(FZ_HDRS)
	$(FZ_BUILD) -DFZ_ENTRY=fz_ident $(FZ_COMMON) $(FZ_SRC_ident) $(FZ_LIBS)
tests/fuzz/fuzz-email: $(FZ_COMMON) $(FZ_SRC_email) $(FZ_HDRS)
	$(FZ_BUILD) -DFZ_ENTRY=fz_email $(FZ_COMMON) $(FZ_SRC_email) $(FZ_LIBS)
tests/fuzz/fuzz-oauth: $(FZ_COMMON) $(FZ_SRC_oauth) $(FZ_HDRS)
	$(FZ_BUILD) -DFZ_ENTRY=fz_oauth $(FZ_COMMON) $(FZ_SRC_oauth) $(FZ_LIBS)

if HAVE_FUZZ_CC
fuzz: $(FUZZ_BINS)
	FUZZ_SECONDS='$(FUZZ_SECONDS)' $(SHELL) '$(fz_dir)/run-fuzz' '$(fz_dir)' tests/fuzz \
	    $(FUZZ_TARGETS)
else
fuzz:
	@echo "make fuzz needs clang with libFuzzer; configure found none (set FUZZ_CC)." >&2
	@exit 1
endif
fuzz-smoke:
	$(MAKE) $(AM_MAKEFLAGS) fuzz FUZZ_SECONDS=5
PHONY_TARGETS += fuzz fuzz-smoke

CLEANFILES += $(FUZZ_BINS)
# The scratch corpora and crash artifacts of make fuzz.
clean-local:
	-rm -rf tests/fuzz/work

# Replays the seed corpora and saved crashes through the harnesses (make
# check, normal gcc build; CI runs it under ASan + UBSan).
check_PROGRAMS += tests/fuzz/test_fuzz_regressions
TESTS += tests/fuzz/test_fuzz_regressions
tests_fuzz_test_fuzz_regressions_SOURCES = tests/fuzz/test_fuzz_regressions.c \
	tests/fuzz/fz.h tests/fuzz/fz_util.c \
	tests/fuzz/fz_settings.c tests/fuzz/fz_dataset.c tests/fuzz/fz_envelope.c \
	tests/fuzz/fz_api.c tests/fuzz/fz_transport.c tests/fuzz/fz_transport.h \
	tests/fuzz/fz_state.c tests/fuzz/fz_manifest.c tests/fuzz/fz_manifest_check.c \
	tests/fuzz/fz_manifest_check.h tests/fuzz/fz_ident.c tests/fuzz/fz_email.c \
	tests/fuzz/fz_oauth.c
tests_fuzz_test_fuzz_regressions_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugin \
	-I$(top_srcdir)/tests/fuzz
tests_fuzz_test_fuzz_regressions_CFLAGS = $(TEST_CFLAGS) $(JSON_C_CFLAGS) $(CURL_CFLAGS) \
	$(OPENSSL_CFLAGS) $(TS_CFLAGS)
# fz_transport.o precedes the static libtt_core archive, so the archive's
# tt_http_retry.o is never linked (see fz_transport.h).
tests_fuzz_test_fuzz_regressions_LDADD = plugin/libtt_core.la host/libch.la \
	$(TEST_LIBS) $(JSON_C_LIBS) $(CURL_LIBS) $(OPENSSL_LIBS) $(TS_LIBS)

EXTRA_DIST += tests/fuzz/README.md tests/fuzz/fuzz_main.c tests/fuzz/run-fuzz tests/fuzz/corpus \
	tests/fuzz/dict tests/fuzz/regressions

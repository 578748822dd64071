# make analyze: clang's static analyzer (its default checkers) over the
# host and the plugin, file by file; any finding fails the target. An
# accepted false positive is annotated in the code with why (for example
# an assertion the analyzer can use), never silenced here. CI runs it.
# CLANG=clang-17 make analyze picks another clang.
CLANG = clang
ANALYZE_FILES = $(host_libch_la_SOURCES) $(plugin_libtt_core_la_SOURCES) \
	$(examples_minimal_connector_la_SOURCES) \
	$(plugin_tiktok_connector_la_SOURCES)
ANALYZE_FLAGS = $(DEFS) $(AM_CPPFLAGS) -I$(top_srcdir)/host -I$(top_srcdir)/plugin \
	-DCH_CONNECTOR_DIR='"$(connectordir)"' $(CPPFLAGS) -std=c11 \
	$(JSON_C_CFLAGS) $(CURL_CFLAGS) $(OPENSSL_CFLAGS) $(SQLITE_CFLAGS) $(LIBPQ_CFLAGS)
analyze: $(BUILT_SOURCES)
	@n=0; failed=0; for f in $(ANALYZE_FILES); do \
	  case "$$f" in *.c) ;; *) continue ;; esac; \
	  n=$$((n + 1)); \
	  if test -f "$$f"; then src="$$f"; else src="$(srcdir)/$$f"; fi; \
	  out=`$(CLANG) --analyze -Xanalyzer -analyzer-output=text $(ANALYZE_FLAGS) \
	       -o /dev/null "$$src" 2>&1`; \
	  if test -n "$$out"; then printf '%s\n' "$$out"; failed=$$((failed + 1)); fi; \
	done; \
	echo "analyze: $$n files, $$failed with findings"; \
	test $$failed -eq 0
PHONY_TARGETS += analyze

# tests/marketplace: the manifest as the App Marketplace renders it, in
# headless Chromium. The form library and the browser driver come from npm,
# pinned by package-lock.json, and are installed with `npm ci` into the build
# tree (never the source tree); Chromium, node and npm are Debian packages
# (tools/install-deps). A missing tool is a failure naming install-deps.
# playwright-core stays at 1.61.1, the last release that runs on Debian 12's
# Node.js 18 (1.62 and later exit at start on Node < 20); tested with
# Debian's nodejs 18.20.4 and chromium 156.
MKT_NPM_DIR = tests/marketplace/npm
TEST_EXTENSIONS += .js
JS_LOG_COMPILER = $(SHELL) $(top_srcdir)/tests/marketplace/run-node
TESTS += tests/marketplace/test_marketplace.js
EXTRA_DIST += tests/marketplace/test_marketplace.js tests/marketplace/server.js \
	tests/marketplace/index.html tests/marketplace/marketplace.js \
	tests/marketplace/marketplace.css tests/marketplace/package.json \
	tests/marketplace/package-lock.json tests/marketplace/run-node

$(MKT_NPM_DIR)/.installed: $(top_srcdir)/tests/marketplace/package.json \
		$(top_srcdir)/tests/marketplace/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "npm is not installed: run tools/install-deps (Debian's nodejs and npm)" >&2; exit 1; }
	$(AM_V_GEN)$(MKDIR_P) $(MKT_NPM_DIR) && \
	cp $(top_srcdir)/tests/marketplace/package.json \
	   $(top_srcdir)/tests/marketplace/package-lock.json $(MKT_NPM_DIR)/ && \
	chmod u+w $(MKT_NPM_DIR)/package.json $(MKT_NPM_DIR)/package-lock.json && \
	(cd $(MKT_NPM_DIR) && npm ci --no-audit --no-fund --loglevel=error) && \
	touch $@

tests/marketplace/test_marketplace.log: $(MKT_NPM_DIR)/.installed

clean-local: clean-marketplace
clean-marketplace:
	-rm -rf $(MKT_NPM_DIR) tests/marketplace/*.png tests/marketplace/validate-*
PHONY_TARGETS += clean-marketplace

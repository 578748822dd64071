# man: connector-host(1) and tiktok-sandbox(1), installed by make install
# and in the tarball. tests/man/check-man.sh (make check) renders them with
# groff -ww (no warning allowed) and compares their options, commands, exit
# codes and environment with the programs' --help and the host's source.
dist_man1_MANS = man/connector-host.1 man/tiktok-sandbox.1

TEST_EXTENSIONS += .sh
SH_LOG_COMPILER = $(SHELL)
TESTS += tests/man/check-man.sh
EXTRA_DIST += tests/man/check-man.sh

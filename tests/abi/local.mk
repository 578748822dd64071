# tests/abi: a host written in Python with ctypes only drives the built
# plugin through the whole ABI against the sandbox (test_python_host.py).
# abi_layout prints the C layout of every public struct so the test can prove
# the ctypes mirror (aconn.py) equals it.
check_PROGRAMS += tests/abi/abi_layout
tests_abi_abi_layout_SOURCES = tests/abi/abi_layout.c
TESTS += tests/abi/test_python_host.py
EXTRA_tests_abi_abi_layout_DEPENDENCIES = plugin/tiktok_connector.la tests/sandbox/tiktok-sandbox
EXTRA_DIST += tests/abi/test_python_host.py tests/abi/aconn.py tests/abi/pyhost.py \
	tests/abi/sandbox.py
# -B: no __pycache__ in the source tree (read-only under distcheck).
AM_PY_LOG_FLAGS = -B

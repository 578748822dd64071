# tests/tools: programs the demo, the tests and the benchmarks share.
# Installed too: it makes the datasets of the README walkthrough.
bin_PROGRAMS += tests/tools/tt-gen-dataset
tests_tools_tt_gen_dataset_SOURCES = tests/tools/gen_dataset.c

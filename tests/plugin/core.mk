# tests for plugin/core.mk

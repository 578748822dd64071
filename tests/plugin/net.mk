# tests for plugin/net.mk

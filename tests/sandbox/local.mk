# tests/sandbox rules

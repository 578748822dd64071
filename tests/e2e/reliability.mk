# tests/e2e: reliability tests (owned by the reliability work)

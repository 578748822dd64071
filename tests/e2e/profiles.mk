# tests/e2e: profiles tests (owned by the profiles work)

#!/usr/bin/env python3
"""The manifest's quick_settings_schema and the C validator (tt_settings) give
the same verdict on every example in tests/plugin/data/settings/, and the C
validator reports exactly the expected (field, code) pairs.

expected.json lists every example: "valid", "errors" (C field paths and
codes) and, for a rule JSON Schema cannot express, "schema_gap" (then the
schema must accept the file and C must refuse it; if the schema ever refuses
it, the marker is stale and the test says so).

Needs Debian's python3-jsonschema (tools/install-deps installs it): a missing
module is a failure, never a skip.
"""
import json
import os
import subprocess
import sys
from collections import Counter

try:
    import jsonschema
except ImportError:
    print("FAIL: python3-jsonschema is missing; run tools/install-deps")
    print("0 passed, 1 failed")
    sys.exit(1)


def main():
    srcdir = os.environ["TT_SRCDIR"]
    builddir = os.environ["TT_BUILDDIR"]
    data = os.path.join(srcdir, "tests", "plugin", "data", "settings")
    checker = os.path.join(builddir, "tests", "plugin", "test_manifest_check")
    with open(os.path.join(builddir, "manifests", "tiktok_connector.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    with open(os.path.join(data, "expected.json"), encoding="utf-8") as f:
        expected = json.load(f)

    schema = manifest["quick_settings_schema"]
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    passed = failed = 0

    def verdict(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL: " + what)

    files = sorted(n for n in os.listdir(data) if n.endswith(".json") and n != "expected.json")
    verdict(sorted(expected) == files,
            "expected.json and the example files differ: %s" % sorted(set(files) ^ set(expected)))
    verdict(any(expected[n]["valid"] for n in expected) and
            any(not expected[n]["valid"] for n in expected), "need valid and invalid examples")

    paths = [os.path.join(data, n) for n in files]
    out = subprocess.run([checker] + paths, capture_output=True, text=True, check=True, timeout=60)
    c_results = {os.path.basename(r["file"]): r for r in map(json.loads, out.stdout.splitlines())}

    for name in files:
        exp = expected.get(name)
        if exp is None:
            continue
        with open(os.path.join(data, name), encoding="utf-8") as f:
            text = f.read()
        try:
            doc = json.loads(text)
            schema_errors = [e.message for e in validator.iter_errors(doc)]
        except json.JSONDecodeError as e:
            schema_errors = ["not JSON: %s" % e]
        schema_valid = not schema_errors
        c = c_results[name]
        c_pairs = Counter((e[0], e[1]) for e in c["errors"])
        exp_pairs = Counter(tuple(e) for e in exp["errors"])

        verdict(c["valid"] == exp["valid"],
                "%s: C says valid=%s, expected %s" % (name, c["valid"], exp["valid"]))
        verdict(c_pairs == exp_pairs,
                "%s: C reported %s, expected %s" % (name, sorted(c_pairs), sorted(exp_pairs)))
        verdict(all(len(e[2]) > 20 for e in c["errors"]), "%s: a C message is too short" % name)
        if "schema_gap" in exp:
            verdict(schema_valid and not c["valid"],
                    "%s: schema_gap marker is stale (schema valid=%s, C valid=%s)"
                    % (name, schema_valid, c["valid"]))
        else:
            verdict(schema_valid == c["valid"],
                    "%s: schema says valid=%s (%s) but C says valid=%s"
                    % (name, schema_valid, "; ".join(schema_errors[:3]), c["valid"]))
        print("%s: %s" % ("ok" if schema_valid == c["valid"] or "schema_gap" in exp else "MISMATCH",
                          name))

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A host written in Python with ctypes only drives the built plugin through
the whole ABI against the sandbox over HTTPS: layouts equal C's, ABI
negotiation, describe, validate_settings with a caller-owned error list,
authorize (begin, consent, complete, status), two delivery runs of two
batches with its own state and secrets, teardown, the audience's members in
the sandbox, and ABI 1.1's inspect (read-only). Every check counts; any
failure exits non-zero.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aconn as A        # noqa: E402
import pyhost            # noqa: E402
import sandbox           # noqa: E402

PASSED, FAILED = [], []


def check(name, ok, detail=""):
    (PASSED if ok else FAILED).append(name)
    print("%s: %s%s" % ("PASS" if ok else "FAIL", name, "" if ok else " -- %s" % (detail,)))
    return ok


def preload_sanitizer(so):
    """A plugin built with ASan (CI's sanitizer run) loads into python only
    when the ASan runtime comes first: re-run this script with it preloaded."""
    if os.environ.get("TT_PYHOST_PRELOADED"):
        return
    out = subprocess.run(["ldd", so], capture_output=True, text=True).stdout
    libs = [ln.split("=>")[1].split()[0] for ln in out.splitlines()
            if "=>" in ln and ("libasan" in ln or "libubsan" in ln) and "/" in ln]
    if not libs:
        return
    env = dict(os.environ, TT_PYHOST_PRELOADED="1", PYTHONDONTWRITEBYTECODE="1",
               LD_PRELOAD=" ".join(libs + [os.environ.get("LD_PRELOAD", "")]).strip(),
               ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def check_layouts(builddir):
    out = subprocess.run([os.path.join(builddir, "tests", "abi", "abi_layout")],
                         capture_output=True, text=True, check=True).stdout
    c = json.loads(out)
    check("ABI version of aconn.py equals the header's",
          (c["abi_major"], c["abi_minor"]) == (A.ABI_MAJOR, A.ABI_MINOR), c)
    check("every public struct is mirrored", set(c["structs"]) == set(A.STRUCTS),
          set(c["structs"]) ^ set(A.STRUCTS))
    for name, py in A.STRUCTS.items():
        cs = c["structs"].get(name, {"size": None, "fields": {}})
        pyf = {f[0]: getattr(py, f[0]).offset for f in py._fields_}
        check("%s layout equals C's" % name,
              cs["size"] == ctypes_sizeof(py) and cs["fields"] == pyf,
              "C %s vs ctypes size %d %s" % (cs, ctypes_sizeof(py), pyf))


def ctypes_sizeof(t):
    import ctypes
    return ctypes.sizeof(t)


def check_negotiation(host, plugin_so):
    d = host.describe()
    check("describe: id", d["id"] == "tiktok-audience", d["id"])
    check("describe: manifest id", d["manifest"]["id"] == d["id"])
    check("plugin ABI major", host.plugin.abi_major == A.ABI_MAJOR, host.plugin.abi_major)
    check("plugin struct_size covers ABI 1.0", A.has(host.plugin, "teardown"))
    _, entry = A.load_entry(plugin_so)
    other = entry(A.ABI_MAJOR + 98, 0).contents
    check("a foreign major still gets a descriptor naming the plugin's own",
          other.abi_major == A.ABI_MAJOR, other.abi_major)


def check_validate(host, acct):
    good = {"connection_type": "new", "audience_name": "py host", "create_new_for": [acct[0]]}
    st, n, _ = host.validate(good)
    check("validate: good settings", st == A.OK and n == 0, (st, n))
    both = {"connection_type": "both", "audience_name": "py host", "create_new_for": [acct[0]],
            "existing_audiences": {acct[0]: ["7200000000000000001"]}}
    st, n, items = host.validate(both)
    check("validate: an account in both lists is refused", st == A.ERR_INVALID and n >= 1,
          (st, n))
    check("validate: error items carry field, code, message and struct_size",
          n >= 1 and items[0].field and items[0].code and len(items[0].message) > 20
          and items[0].struct_size == ctypes_sizeof(A.Error)
          and items[0].status == A.ERR_INVALID, [i.text() for i in items])
    bad = {"connection_type": "new", "audience_name": "", "create_new_for": ["0x"],
           "membership_duration_days": 0, "existing_audiences": {}}
    st, n, items = host.validate(bad, capacity=1)
    check("validate: count exceeds a capacity of 1, one item written",
          st == A.ERR_INVALID and n > 1 and len(items) == 1, (st, n))


def check_authorize(host, sb, profile):
    st, begin, err = host.authorize(A.AUTHORIZE_BEGIN, profile)
    if not check("authorize begin", st == A.OK and begin and "url" in begin, err.text()):
        return False
    url = urllib.parse.urlsplit(begin["url"])
    status, headers, _ = sb.request("GET", url.path + "?" + url.query)
    location = headers.get("Location", "")
    check("consent redirects with an auth_code", status == 302 and "auth_code=" in location,
          (status, location))
    st, done, err = host.authorize(A.AUTHORIZE_COMPLETE, profile, location)
    check("authorize complete: connected", st == A.OK and done and done.get("status") == "connected",
          (st, done, err.text()))
    check("the token went to secret_put", "token/%s" % profile in host.secrets, list(host.secrets))
    st, again, err = host.authorize(A.AUTHORIZE_COMPLETE, profile, location)
    check("the same redirect twice is refused", st != A.OK and err.code, (st, err.text()))
    st, status_json, err = host.authorize(A.AUTHORIZE_STATUS, profile)
    return check("authorize status: connected",
                 st == A.OK and status_json and status_json.get("status") == "connected",
                 (st, status_json, err.text()))


def audience_members(sb, auds):
    members = []
    for aud in auds:
        _, _, body = sb.request("GET", "/sandbox/audience/members?audience_id=%s"
                                % aud["audience_id"])
        members += body.decode().split()
    return sorted(members)


def check_first_run(host, sb, acct, profile, spool, settings):
    """Returns the digests delivered and the audiences made."""
    digests = []
    records = []
    # 1,010 identifiers: TikTok (and the sandbox) refuse an update that would
    # leave an audience below 1,000 members, and the second run updates it.
    for i in range(1, 1011):
        if i % 4 == 0:
            d = hashlib.sha256(b"+1555000%04d" % i).hexdigest()
            attrs = [("sha256_hashed_phone_number", "", d)]
        else:
            d = hashlib.sha256(b"user%d@example.com" % i).hexdigest()
            attrs = [("sha256_hashed_email", "", d.upper() if i == 1 else d)]
        digests.append(d)
        records.append((i, A.RECORD_ADD, attrs))
    records.append((1011, A.RECORD_ADD, [("sha256_hashed_email", "", "not-a-digest")]))
    statuses, report, errors = host.deliver(records, settings, profile, spool, batches=2)
    check("two batches delivered", statuses == [A.OK, A.OK],
          (statuses, [e.text() for e in errors]))
    check("the END batch wrote a report", isinstance(report, dict), report)
    check("the bad identifier was rejected with a reason",
          [r[0] for r in host.rejects] == [1011] and host.rejects[0][2], host.rejects)
    check("the plugin kept state through state_cas", len(host.state) > 0, host.state.keys())
    # One audience per Ad Account (MULTIPLE_TYPES) or, in releases before
    # 0.2 and with audience_per_identifier_type, one per identifier type.
    auds = sb.get_json("/sandbox/audiences?advertiser_id=%s" % acct[0])["audiences"]
    check("the run made its audiences in the Ad Account", 1 <= len(auds) <= 2, auds)
    members = audience_members(sb, auds)
    check("the audiences hold exactly the delivered identifiers",
          members == sorted(digests), (len(members), len(digests)))
    return digests, auds


def check_second_run(host, sb, acct, profile, spool, settings, digests, auds):
    # A second run reads the plugin's state back from this host's store and
    # updates it with compare-and-set on the versions it got: one identifier
    # leaves, one joins.
    versions = {k: v[0] for k, v in host.state.items()}
    gone = hashlib.sha256(b"user2@example.com").hexdigest()
    new = hashlib.sha256(b"newcomer@example.com").hexdigest()
    second = [(1012, A.RECORD_REMOVE, [("sha256_hashed_email", "", gone)]),
              (1013, A.RECORD_ADD, [("sha256_hashed_email", "", new)])]
    statuses, report, errors = host.deliver(second, settings, profile, spool, batches=2,
                                            run_id="py-run-2")
    check("second run: two batches delivered", statuses == [A.OK, A.OK],
          (statuses, [e.text() for e in errors], report))
    check("the plugin replaced state at the version it had read (compare-and-set)",
          any(exp > 0 and st == A.OK for _, exp, st in host.cas_log), host.cas_log)
    check("second run: no state key the first run wrote was lost or made anew",
          all(host.state[k][0] >= v for k, v in versions.items() if k in host.state)
          and "conn/py-conn-1/layout" in host.state, host.state.keys())
    auds2 = sb.get_json("/sandbox/audiences?advertiser_id=%s" % acct[0])["audiences"]
    check("second run: no new audience was made",
          sorted(a["audience_id"] for a in auds2) == sorted(a["audience_id"] for a in auds),
          auds2)
    members = audience_members(sb, auds2)
    want = sorted([d for d in digests if d != gone] + [new])
    check("second run: the removed identifier left, the added one joined",
          members == want, (len(members), len(want)))
    return report


def check_inspect(host, acct, profile, settings, report, auds):
    """ABI 1.1's optional inspect(): the targets as they stand, read-only."""
    cas_before, secrets_before = len(host.cas_log), dict(host.secrets)
    st, got, err = host.inspect("py-conn-1", settings, profile, report)
    if not check("inspect (ABI 1.1) is there and answers OK", st == A.OK,
                 (st, err.text() if err else None)):
        return
    targets = (got or {}).get("targets", [])
    print("inspect: %s" % json.dumps(targets))
    t = targets[0] if len(targets) == 1 else {}
    check("inspect: one target, the audience the runs made, in its Ad Account",
          t.get("audience_id") == auds[0]["audience_id"] and t.get("account") == acct[0], got)
    # The sandbox processes at once here (no --processing-delay-ms).
    check("inspect: ready, the size TikTok shows, the last run applied",
          t.get("status") == "ready" and t.get("size") == 1010
          and t.get("last_outcome") == "applied", t)
    check("inspect changed nothing (no state_cas, no secret_put)",
          len(host.cas_log) == cas_before and host.secrets == secrets_before,
          host.cas_log[cas_before:])


def check_guard(host):
    before = len(host.callback_errors)
    st = host.host.secret_put(None, None, None, 0)   # name NULL: the service raises
    check("an exception in a service reaches C as ACONN_ERR_FATAL, not 0",
          st == A.ERR_FATAL and len(host.callback_errors) == before + 1, st)
    del host.callback_errors[before:]


def main():
    for var in ("TT_PLUGIN", "TT_SANDBOX", "TT_BUILDDIR", "TT_OPENSSL"):
        if not os.environ.get(var):
            print("FAIL: %s is not set; run through make check" % var)
            return 1
    so = pyhost.so_path(os.environ["TT_PLUGIN"])
    preload_sanitizer(so)
    check_layouts(os.environ["TT_BUILDDIR"])
    with sandbox.Sandbox(os.environ["TT_SANDBOX"], os.environ["TT_OPENSSL"]) as sb, \
            tempfile.TemporaryDirectory(prefix="pyhost-home-") as home:
        app = sb.world["apps"][0]
        acct = [a["advertiser_id"] for a in sb.world["advertisers"]]
        host = pyhost.PyHost(so, {"api_base": sb.base_url, "ca_file": sb.ca_file,
                                  "redirect_uri": "https://127.0.0.1/callback", "home": home})
        host.secrets["app_id"] = app["app_id"].encode()
        host.secrets["app_secret"] = app["secret"].encode()
        check_negotiation(host, so)
        check_validate(host, acct)
        check_guard(host)
        if check_authorize(host, sb, "py-profile"):
            spool = os.path.join(home, "spool")
            os.makedirs(spool)
            settings = {"connection_type": "new", "audience_name": "Python host audience",
                        "create_new_for": [acct[0]]}
            digests, auds = check_first_run(host, sb, acct, "py-profile", spool, settings)
            report = check_second_run(host, sb, acct, "py-profile", spool, settings, digests,
                                      auds)
            check_inspect(host, acct, "py-profile", settings, report, auds)
        check("no service raised", not host.callback_errors, host.callback_errors)
        logs = "\n".join(m for _, m in host.logs)
        check("no secret in the plugin's logs",
              app["secret"] not in logs and all(v.decode(errors="replace") not in logs
                                                for v in host.secrets.values()))
    print("%d passed, %d failed" % (len(PASSED), len(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())

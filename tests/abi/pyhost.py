"""pyhost.py - a minimal connector host in Python, ctypes only.

Loads a plugin by path, negotiates the ABI, and implements every host service
of aconn.h in Python: options, clock, secrets and a versioned key-value store
(compare-and-set) in dicts, and the dataset as a list of records handed out
in batches. What it has to take care of from a foreign runtime is commented
where it happens and summarised in docs/ABI.md, "Hosts in other languages".
"""
import ctypes
import json
import re
import threading
import time
import traceback

import aconn as A


def so_path(la_or_so):
    """ctypes cannot read a libtool .la: the real object is .libs/<dlname>."""
    if not la_or_so.endswith(".la"):
        return la_or_so
    with open(la_or_so, encoding="utf-8") as f:
        dlname = re.search(r"^dlname='([^']+)'", f.read(), re.M).group(1)
    return la_or_so.rsplit("/", 1)[0] + "/.libs/" + dlname


def guarded(fail_value):
    """A Python exception inside a ctypes callback is printed and the C caller
    gets 0, which here means ACONN_OK: every service catches and answers
    ACONN_ERR_FATAL (or fail_value) instead, and remembers the exception."""
    def wrap(fn):
        def inner(self, *args):
            try:
                return fn(self, *args)
            except Exception:  # noqa: BLE001 - any error must reach C as a status
                self.callback_errors.append(traceback.format_exc())
                return fail_value
        return inner
    return wrap


class Collector:
    """An aconn_output collecting the bytes the plugin writes."""

    def __init__(self):
        self.chunks = []
        self._fn = A.WRITE_FN(self._write)   # kept alive as long as self
        self.output = A.Output(struct_size=ctypes.sizeof(A.Output), write=self._fn)

    def _write(self, _ctx, data, n):
        try:
            self.chunks.append(ctypes.string_at(data, n))   # not NUL-terminated
            return A.OK
        except Exception:  # noqa: BLE001
            return A.ERR_FATAL

    def json(self):
        return json.loads(b"".join(self.chunks))


class PyHost:
    def __init__(self, plugin_path, options):
        self.lib, entry = A.load_entry(so_path(plugin_path))
        self.plugin = entry(A.ABI_MAJOR, A.ABI_MINOR).contents
        self.options = {k: ctypes.create_string_buffer(v.encode()) for k, v in options.items()}
        self.secrets = {}
        self.state = {}          # key -> (version, bytes)
        self.lock = threading.Lock()
        self.logs = []
        self.rejects = []
        self.catch_ups = []      # (from_seq, reason) asked for by the plugin
        self.callback_errors = []
        self.records = []        # the dataset: (seq, op, [(name, type, value)])
        self._cursor = None
        self.chunk = 100         # records per batch_next(): several calls per batch
        self.cas_log = []        # (key, expected version, status) of every state_cas()
        self._keep = []          # C memory handed out by batch_next
        self._fns = [A.LOG_FN(self._log), A.OPTION_FN(self._option), A.NOW_FN(self._now),
                     A.CANCELLED_FN(self._cancelled), A.SECRET_GET_FN(self._secret_get),
                     A.SECRET_PUT_FN(self._secret_put), A.STATE_GET_FN(self._state_get),
                     A.STATE_CAS_FN(self._state_cas), A.BATCH_NEXT_FN(self._batch_next),
                     A.REJECT_FN(self._reject), A.CATCH_UP_FN(self._request_catch_up)]
        # The CFUNCTYPE objects above must outlive every call: ctypes frees the
        # trampoline when the Python object goes, and the plugin would jump
        # into freed memory.
        names = [f[0] for f in A.Host._fields_[5:]]
        self.host = A.Host(struct_size=ctypes.sizeof(A.Host), abi_major=A.ABI_MAJOR,
                           abi_minor=A.ABI_MINOR,
                           **dict(zip(names, self._fns)))
        self.hostp = ctypes.pointer(self.host)

    # ---- host services ----
    def _log(self, _ctx, level, msg):
        self.logs.append((level, (msg or b"").decode(errors="replace")))

    @guarded(None)
    def _option(self, _ctx, name):
        buf = self.options.get(name.decode())
        # The address of a buffer this host keeps: static for the table's life.
        return ctypes.addressof(buf) if buf is not None else None

    @guarded(0)
    def _now(self, _ctx):
        return int(time.time() * 1000)

    def _cancelled(self, _ctx):
        return 0

    @guarded(A.ERR_FATAL)
    def _secret_get(self, _ctx, name, buf, buflen, lenp):
        value = self.secrets.get(name.decode())
        if value is None:
            return A.ERR_NOT_FOUND
        lenp[0] = len(value)
        if buflen <= len(value):
            return A.ERR_TOO_SMALL
        ctypes.memmove(buf, value + b"\0", len(value) + 1)
        return A.OK

    @guarded(A.ERR_FATAL)
    def _secret_put(self, _ctx, name, value, n):
        if value is None:
            self.secrets.pop(name.decode(), None)
        else:
            self.secrets[name.decode()] = ctypes.string_at(value, n)
        return A.OK

    @guarded(A.ERR_FATAL)
    def _state_get(self, _ctx, key, buf, buflen, lenp, versionp):
        with self.lock:
            entry = self.state.get(key.decode())
        if entry is None:
            versionp[0] = 0
            return A.ERR_NOT_FOUND
        version, value = entry
        lenp[0] = len(value)
        versionp[0] = version
        if buflen <= len(value):
            return A.ERR_TOO_SMALL
        ctypes.memmove(buf, value + b"\0", len(value) + 1)
        return A.OK

    @guarded(A.ERR_FATAL)
    def _state_cas(self, _ctx, key, expected, value, n, new_versionp):
        k = key.decode()
        with self.lock:
            version = self.state.get(k, (0, b""))[0]
            if version != expected:
                self.cas_log.append((k, expected, A.ERR_CONFLICT))
                return A.ERR_CONFLICT
            self.cas_log.append((k, expected, A.OK))
            if value is None:
                self.state.pop(k, None)
                new_versionp[0] = 0
            else:
                self.state[k] = (version + 1, ctypes.string_at(value, n))
                new_versionp[0] = version + 1
        return A.OK

    @guarded(A.ERR_FATAL)
    def _batch_next(self, _ctx, _batch, recordsp, countp):
        chunk = self._cursor[:self.chunk]
        del self._cursor[:self.chunk]
        self._keep = []
        arr = (ctypes.POINTER(A.Record) * max(len(chunk), 1))()
        for i, (seq, op, attrs) in enumerate(chunk):
            a = (A.Attr * len(attrs))()
            for j, (name, typ, value) in enumerate(attrs):
                a[j] = A.Attr(name.encode(), typ.encode(), value.encode(), len(value.encode()))
            rec = A.Record(struct_size=ctypes.sizeof(A.Record), op=op, seq=seq,
                           nattrs=len(attrs), attrs=a)
            self._keep += [a, rec]
            arr[i] = ctypes.pointer(rec)
        # Borrowed by the plugin until the next batch_next(): keep it alive.
        self._keep.append(arr)
        recordsp[0] = arr
        countp[0] = len(chunk)
        return A.OK

    def _reject(self, _ctx, _batch, seq, attr_index, reason, detail):
        self.rejects.append((seq, attr_index, reason.decode(), (detail or b"").decode()))

    def _request_catch_up(self, _ctx, _batch, from_seq, reason):
        # This host runs no catch-up runs; it records what was asked.
        self.catch_ups.append((from_seq, (reason or b"").decode(errors="replace")))

    # ---- entry points ----
    def describe(self):
        info = self.plugin.describe().contents
        return {"id": info.id.decode(), "name": info.name.decode(),
                "version": info.version.decode(), "manifest": json.loads(info.manifest_json)}

    def validate(self, settings, capacity=8):
        items = (A.Error * capacity)()      # zeroed; list_add sets struct_size
        lst = A.ErrorList(struct_size=ctypes.sizeof(A.ErrorList),
                          item_size=ctypes.sizeof(A.Error), capacity=capacity,
                          items=ctypes.cast(items, ctypes.POINTER(A.Error)))
        req = A.ValidateRequest(struct_size=ctypes.sizeof(A.ValidateRequest),
                                settings_json=json.dumps(settings).encode())
        st = self.plugin.validate_settings(self.hostp, ctypes.byref(req), ctypes.byref(lst))
        return st, lst.count, [items[i] for i in range(min(lst.count, capacity))]

    def authorize(self, phase, profile, callback_url=None):
        out = Collector()
        err = A.Error.new()
        req = A.AuthorizeRequest(struct_size=ctypes.sizeof(A.AuthorizeRequest), phase=phase,
                                 profile=profile.encode(),
                                 callback_url=callback_url.encode() if callback_url else None)
        st = self.plugin.authorize(self.hostp, ctypes.byref(req), ctypes.byref(out.output),
                                   ctypes.byref(err))
        return st, (out.json() if out.chunks else None), err

    def inspect(self, connection_id, settings, profile, last_report=None):
        """ABI 1.1, optional: (status, targets JSON, error); (None, ...) when
        the plugin has no inspect."""
        if not A.has(self.plugin, "inspect") or not self.plugin.inspect:
            return None, None, None
        out = Collector()
        err = A.Error.new()
        req = A.InspectRequest(struct_size=ctypes.sizeof(A.InspectRequest),
                               connection_id=connection_id.encode(), profile=profile.encode(),
                               settings_json=json.dumps(settings).encode(),
                               last_report_json=json.dumps(last_report).encode()
                               if last_report is not None else None)
        st = self.plugin.inspect(self.hostp, ctypes.byref(req), ctypes.byref(out.output),
                                 ctypes.byref(err))
        return st, (out.json() if out.chunks else None), err

    def deliver(self, records, settings, profile, spool_dir, batches=2, run_id="py-run-1"):
        """One run of len(records) records in `batches` batches; returns
        (statuses, report JSON, errors)."""
        slot = ctypes.c_void_p(None)
        per = -(-len(records) // batches)
        statuses, errors, report = [], [], Collector()
        settings_b = json.dumps(settings).encode()
        try:
            for b in range(batches):
                self._cursor = list(records[b * per:(b + 1) * per])
                flags = (A.BATCH_RUN_BEGIN if b == 0 else 0) | \
                        (A.BATCH_RUN_END if b == batches - 1 else 0)
                batch = A.Batch(struct_size=ctypes.sizeof(A.Batch), flags=flags,
                                connection_id=b"py-conn-1", run_id=run_id.encode(),
                                profile=profile.encode(), settings_json=settings_b,
                                spool_dir=spool_dir.encode(), run_first_seq=records[0][0],
                                run_last_seq=records[-1][0], run_attempt=1,
                                report=ctypes.pointer(report.output))
                err = A.Error.new()
                st = self.plugin.deliver_batch(self.hostp, ctypes.byref(slot),
                                               ctypes.byref(batch), ctypes.byref(err))
                statuses.append(st)
                errors.append(err)
                if not A.status_is_ok(st):
                    break
        finally:
            self._keep = []
            self.plugin.teardown(self.hostp, slot)
        return statuses, (report.json() if report.chunks else None), errors

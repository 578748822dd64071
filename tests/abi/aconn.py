"""aconn.py - include/aconn/aconn.h as Python ctypes sees it (ABI 1.1).

Only ctypes: no compiled glue. Every struct mirrors the header member for
member; tests/abi/abi_layout.c prints the C compiler's sizeof/offsetof of each
so test_python_host.py can prove the two agree. See docs/ABI.md, "Hosts in
other languages", for what a foreign host must watch out for.
"""
import ctypes
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char, c_char_p, c_int32, c_int64,
                    c_size_t, c_uint32, c_uint64, c_void_p)

ABI_MAJOR = 1
ABI_MINOR = 2
ENTRY_SYMBOL = "aconn_plugin_entry"

OK = 0
OK_PARTIAL = 1      # ABI 1.1: success band 0-99
RETRY = 100
REAUTHORIZE = 200
ERR_INVALID = 300
ERR_NOT_FOUND = 302
ERR_CONFLICT = 307
ERR_TOO_SMALL = 308
ERR_FATAL = 400

RECORD_ADD = 0
RECORD_REMOVE = 1
BATCH_RUN_BEGIN = 1 << 0
BATCH_RUN_END = 1 << 1
BATCH_FULL_REFRESH = 1 << 2
BATCH_CATCH_UP = 1 << 3    # ABI 1.1
VALIDATE_REMOTE = 1 << 0
AUTHORIZE_BEGIN = 1
AUTHORIZE_COMPLETE = 2
AUTHORIZE_STATUS = 3

aconn_status = c_int32


class Error(Structure):
    _fields_ = [("struct_size", c_uint32), ("status", aconn_status),
                ("retry_after_ms", c_int64), ("http_status", c_int32),
                ("reserved0", c_uint32), ("code", c_char * 48), ("field", c_char * 256),
                ("remote_code", c_char * 24), ("request_id", c_char * 72),
                ("profile", c_char * 128), ("message", c_char * 1024)]

    @classmethod
    def new(cls):
        # ctypes zeroes new structs; the caller only sets struct_size.
        e = cls()
        e.struct_size = ctypes.sizeof(cls)
        return e

    def text(self):
        return "%s (%s) at %r: %s" % (self.code.decode(), self.status, self.field.decode(),
                                      self.message.decode(errors="replace"))


class ErrorList(Structure):
    _fields_ = [("struct_size", c_uint32), ("item_size", c_uint32), ("capacity", c_uint32),
                ("count", c_uint32), ("items", POINTER(Error))]


# write() gets bytes that are NOT NUL-terminated: c_void_p, never c_char_p
# (ctypes would read a c_char_p up to a NUL that is not there).
WRITE_FN = CFUNCTYPE(aconn_status, c_void_p, c_void_p, c_size_t)


class Output(Structure):
    _fields_ = [("struct_size", c_uint32), ("reserved0", c_uint32), ("ctx", c_void_p),
                ("write", WRITE_FN)]


class Attr(Structure):
    _fields_ = [("name", c_char_p), ("type", c_char_p), ("value", c_char_p),
                ("value_len", c_size_t)]


class Record(Structure):
    _fields_ = [("struct_size", c_uint32), ("op", c_uint32), ("seq", c_uint64),
                ("nattrs", c_uint32), ("reserved0", c_uint32), ("attrs", POINTER(Attr))]


class Batch(Structure):
    _fields_ = [("struct_size", c_uint32), ("flags", c_uint32), ("connection_id", c_char_p),
                ("run_id", c_char_p), ("profile", c_char_p), ("settings_json", c_char_p),
                ("spool_dir", c_char_p), ("run_first_seq", c_uint64),
                ("run_last_seq", c_uint64), ("run_attempt", c_uint32),
                ("reserved0", c_uint32), ("report", POINTER(Output))]


LOG_FN = CFUNCTYPE(None, c_void_p, c_int32, c_char_p)
# option() returns a pointer the plugin may keep for the life of the table:
# a c_char_p restype in a callback would hand out a temporary, so it is
# declared c_void_p and the host returns the address of a buffer it keeps.
OPTION_FN = CFUNCTYPE(c_void_p, c_void_p, c_char_p)
NOW_FN = CFUNCTYPE(c_int64, c_void_p)
CANCELLED_FN = CFUNCTYPE(c_int32, c_void_p)
SECRET_GET_FN = CFUNCTYPE(aconn_status, c_void_p, c_char_p, c_void_p, c_size_t,
                          POINTER(c_size_t))
SECRET_PUT_FN = CFUNCTYPE(aconn_status, c_void_p, c_char_p, c_void_p, c_size_t)
STATE_GET_FN = CFUNCTYPE(aconn_status, c_void_p, c_char_p, c_void_p, c_size_t,
                         POINTER(c_size_t), POINTER(c_uint64))
STATE_CAS_FN = CFUNCTYPE(aconn_status, c_void_p, c_char_p, c_uint64, c_void_p, c_size_t,
                         POINTER(c_uint64))
BATCH_NEXT_FN = CFUNCTYPE(aconn_status, c_void_p, POINTER(Batch),
                          POINTER(POINTER(POINTER(Record))), POINTER(c_size_t))
REJECT_FN = CFUNCTYPE(None, c_void_p, POINTER(Batch), c_uint64, c_uint32, c_char_p, c_char_p)
CATCH_UP_FN = CFUNCTYPE(None, c_void_p, POINTER(Batch), c_uint64, c_char_p)   # ABI 1.1
PACE_FN = CFUNCTYPE(aconn_status, c_void_p, c_char_p, c_uint32, c_uint32,
                    POINTER(c_int64))   # ABI 1.2


class Host(Structure):
    _fields_ = [("struct_size", c_uint32), ("abi_major", c_uint32), ("abi_minor", c_uint32),
                ("reserved0", c_uint32), ("ctx", c_void_p), ("log", LOG_FN),
                ("option", OPTION_FN), ("now_ms", NOW_FN), ("cancelled", CANCELLED_FN),
                ("secret_get", SECRET_GET_FN), ("secret_put", SECRET_PUT_FN),
                ("state_get", STATE_GET_FN), ("state_cas", STATE_CAS_FN),
                ("batch_next", BATCH_NEXT_FN), ("reject", REJECT_FN),
                # ABI 1.1
                ("request_catch_up", CATCH_UP_FN),
                # ABI 1.2, optional: this host leaves it NULL (no shared
                # request budget), and the plugin sends unpaced
                ("pace", PACE_FN)]


class Info(Structure):
    _fields_ = [("struct_size", c_uint32), ("reserved0", c_uint32), ("id", c_char_p),
                ("name", c_char_p), ("version", c_char_p), ("manifest_json", c_char_p)]


class ValidateRequest(Structure):
    _fields_ = [("struct_size", c_uint32), ("flags", c_uint32), ("settings_json", c_char_p),
                ("profile", c_char_p), ("current_settings_json", c_char_p),
                # ABI 1.1: what the host must know of valid settings (NULL: not asked)
                ("facts", c_void_p)]


class AuthorizeRequest(Structure):
    _fields_ = [("struct_size", c_uint32), ("phase", c_uint32), ("profile", c_char_p),
                ("callback_url", c_char_p)]


class InspectRequest(Structure):   # ABI 1.1
    _fields_ = [("struct_size", c_uint32), ("flags", c_uint32), ("connection_id", c_char_p),
                ("profile", c_char_p), ("settings_json", c_char_p),
                ("last_report_json", c_char_p)]


DESCRIBE_FN = CFUNCTYPE(POINTER(Info))
VALIDATE_FN = CFUNCTYPE(aconn_status, POINTER(Host), POINTER(ValidateRequest),
                        POINTER(ErrorList))
AUTHORIZE_FN = CFUNCTYPE(aconn_status, POINTER(Host), POINTER(AuthorizeRequest),
                         POINTER(Output), POINTER(Error))
DELIVER_FN = CFUNCTYPE(aconn_status, POINTER(Host), POINTER(c_void_p), POINTER(Batch),
                       POINTER(Error))
TEARDOWN_FN = CFUNCTYPE(None, POINTER(Host), c_void_p)
INSPECT_FN = CFUNCTYPE(aconn_status, POINTER(Host), POINTER(InspectRequest),
                       POINTER(Output), POINTER(Error))   # ABI 1.1, optional


class Plugin(Structure):
    _fields_ = [("struct_size", c_uint32), ("abi_major", c_uint32), ("abi_minor", c_uint32),
                ("reserved0", c_uint32), ("describe", DESCRIBE_FN),
                ("validate_settings", VALIDATE_FN), ("authorize", AUTHORIZE_FN),
                ("deliver_batch", DELIVER_FN), ("teardown", TEARDOWN_FN),
                # ABI 1.1
                ("inspect", INSPECT_FN)]


# Every public struct, for the layout check against abi_layout.c.
STRUCTS = {"aconn_error": Error, "aconn_error_list": ErrorList, "aconn_output": Output,
           "aconn_attr": Attr, "aconn_record": Record, "aconn_batch": Batch,
           "aconn_host": Host, "aconn_info": Info, "aconn_validate_request": ValidateRequest,
           "aconn_authorize_request": AuthorizeRequest, "aconn_plugin": Plugin,
           "aconn_inspect_request": InspectRequest}


def status_is_ok(s):
    """ACONN_STATUS_IS_OK(): the whole success band, 0-99 (ABI 1.1)."""
    return 0 <= s < 100


def has(struct, name):
    """ACONN_HAS(): struct_size covers member `name`."""
    f = getattr(type(struct), name)
    return struct.struct_size >= f.offset + f.size


def load_entry(so_path):
    """Loads the plugin and returns (CDLL, entry function) with its restype set:
    the default restype is int, which would cut the returned pointer to 32 bits."""
    lib = ctypes.CDLL(so_path)
    entry = getattr(lib, ENTRY_SYMBOL)
    entry.argtypes = [c_uint32, c_uint32]
    entry.restype = POINTER(Plugin)
    return lib, entry

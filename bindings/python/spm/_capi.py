"""ctypes declarations of the libspm C API (include/spm/*.h).

Internal: the public Python API is in spm/__init__.py. Every prototype is
declared so that ctypes converts arguments and results exactly (int64_t,
size_t, borrowed const char *).
"""
import ctypes
import ctypes.util
import os
from ctypes import (CFUNCTYPE, POINTER, Structure, c_char_p, c_int, c_int32,
                    c_int64, c_size_t, c_ubyte, c_uint, c_uint32, c_uint64, c_void_p)

# Status codes (error.h); fixed values.
OK = 0
ERROR = -1
EINVAL = -2
ENOMEM = -3
ENOTFOUND = -4
EEXISTS = -5
ESTORAGE = -6
EBUSY = -7
EPERM = -8
ECONFLICT = -9
EVERSION = -10
EOVERFLOW = -11
ERANGE = -12
ECURRENCY = -13
EUSER = -14
ECORRUPT = -15
ELIMIT = -16
EGATE = -17
EAPPROVAL = -18
ITEROVER = -31

OPEN_CREATE = 0x1
OPEN_READONLY = 0x2

FIELD_CUSTOM = 0x1
FIELD_REQUIRED = 0x2
FIELD_INDEXED = 0x4
FIELD_READONLY = 0x8

FIELD_TEXT, FIELD_INTEGER, FIELD_MONEY, FIELD_DATE, FIELD_BOOLEAN, FIELD_ENUM, \
    FIELD_TIME = range(1, 8)

MONEY_FORMAT_MAX = 32
DATE_FORMAT_MAX = 11
DB_OPTIONS_VERSION = 2
FIELD_OPTIONS_VERSION = 1


def _load():
    path = os.environ.get("SPM_LIBRARY") or ctypes.util.find_library("spm")
    if not path:
        raise ImportError("libspm not found: set SPM_LIBRARY to the path of libspm.so")
    return ctypes.CDLL(path)


lib = _load()

clock_cb = CFUNCTYPE(c_int64, c_void_p)
field_cb = None  # defined below, after spm_field_info
kind_cb = CFUNCTYPE(c_int, c_char_p, c_void_p)
record_cb = CFUNCTYPE(c_int, c_void_p, c_void_p)


class DbOptions(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("backend", c_char_p),
        ("path", c_char_p),
        ("flags", c_uint),
        ("busy_timeout_ms", c_int),
        ("actor", c_int64),
        ("clock", clock_cb),
        ("clock_payload", c_void_p),
        ("malloc_fn", c_void_p),
        ("realloc_fn", c_void_p),
        ("free_fn", c_void_p),
        ("alloc_payload", c_void_p),
        ("storage_ops", c_void_p),
        ("storage_self", c_void_p),
        ("storage_wrap", c_void_p),
        ("storage_wrap_payload", c_void_p),
    ]


class FieldOptions(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("flags", c_uint),
        ("choices", POINTER(c_char_p)),
        ("nchoices", c_size_t),
        ("label", c_char_p),
        ("max_length", c_size_t),
    ]


class FieldInfo(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("kind", c_char_p),
        ("name", c_char_p),
        ("type", c_int),
        ("flags", c_uint),
        ("choices", POINTER(c_char_p)),
        ("nchoices", c_size_t),
        ("label", c_char_p),
        ("max_length", c_size_t),
    ]


class AuditEntry(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("id", c_int64),
        ("change_seq", c_int64),
        ("at", c_int64),
        ("actor", c_int64),
        ("op", c_int),
        ("kind", c_char_p),
        ("entity_id", c_int64),
        ("field", c_char_p),
        ("old_value", c_char_p),
        ("new_value", c_char_p),
    ]


class Event(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("seq", c_int64),
        ("change_seq", c_int64),
        ("at", c_int64),
        ("actor", c_int64),
        ("type", c_int),
        ("kind", c_char_p),
        ("entity_id", c_int64),
        ("payload", c_char_p),
    ]


AUDIT_ANCHOR_VERSION = 1


class AuditAnchor(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("id", c_int64),
        ("hash", c_ubyte * 32),
    ]


field_cb = CFUNCTYPE(c_int, POINTER(FieldInfo), c_void_p)
audit_cb = CFUNCTYPE(c_int, POINTER(AuditEntry), c_void_p)
event_cb = CFUNCTYPE(c_int, POINTER(Event), c_void_p)

P = c_void_p  # opaque handles
_I64P = POINTER(c_int64)

_PROTOS = {
    # common.h, error.h
    "spm_version": (c_int, [POINTER(c_int), POINTER(c_int), POINTER(c_int)]),
    "spm_version_string": (c_char_p, []),
    "spm_result_name": (c_char_p, [c_int]),
    "spm_error_message": (c_char_p, []),
    "spm_error_code": (c_int, []),
    "spm_error_clear": (None, []),
    # money.h
    "spm_currency_valid": (c_int, [c_char_p]),
    "spm_currency_exponent": (c_int, [POINTER(c_int), c_char_p]),
    "spm_money_parse": (c_int, [_I64P, c_char_p, c_char_p]),
    "spm_money_format": (c_int, [c_char_p, c_size_t, c_int64, c_char_p]),
    "spm_money_split": (c_int, [_I64P, c_int64, _I64P, c_size_t]),
    # calendar.h
    "spm_date_parse": (c_int, [POINTER(c_int32), c_char_p]),
    "spm_date_format": (c_int, [c_char_p, c_size_t, c_int32]),
    # db.h
    "spm_db_options_init": (c_int, [POINTER(DbOptions), c_uint]),
    "spm_db_open": (c_int, [POINTER(P), POINTER(DbOptions)]),
    "spm_db_close": (None, [P]),
    "spm_db_set_actor": (c_int, [P, c_int64]),
    "spm_db_actor": (c_int64, [P]),
    "spm_db_now": (c_int64, [P]),
    "spm_db_schema_version": (c_int, [POINTER(c_int), P]),
    "spm_schema_version_supported": (c_int, []),
    "spm_db_tick": (c_int, [P, c_int64]),
    # org.h
    "spm_org_scope": (c_int, [POINTER(c_int), P]),
    "spm_org_can": (c_int, [POINTER(c_int), P, c_char_p]),
    "spm_org_visible": (c_int, [POINTER(c_int), P, c_char_p, c_int64]),
    "spm_org_team_of": (c_int, [POINTER(c_int64), P, c_int64, c_int32]),
    "spm_org_available": (c_int, [POINTER(c_int), P, c_int64, c_int32]),
    # lead.h
    "spm_lead_claim": (c_int, [P, c_int64]),
    "spm_lead_release": (c_int, [P, c_int64, c_char_p]),
    "spm_lead_assign_pool": (c_int, [POINTER(c_size_t), P]),
    "spm_org_handover": (c_int, [POINTER(c_size_t), P, c_int64, c_int64, c_char_p]),
    # customer.h
    "spm_lead_convert": (c_int, [POINTER(c_int64), POINTER(c_int64), P, c_int64]),
    "spm_record_merge": (c_int, [P, c_char_p, c_int64, c_int64]),
    # schema.h
    "spm_field_options_init": (c_int, [POINTER(FieldOptions), c_uint]),
    "spm_field_add": (c_int, [P, c_char_p, c_char_p, c_int, POINTER(FieldOptions)]),
    "spm_field_drop": (c_int, [P, c_char_p, c_char_p]),
    "spm_field_foreach": (c_int, [P, c_char_p, field_cb, c_void_p]),
    "spm_kind_foreach": (c_int, [P, kind_cb, c_void_p]),
    "spm_field_type_name": (c_char_p, [c_int]),
    "spm_field_type_parse": (c_int, [POINTER(c_int), c_char_p]),
    # record.h
    "spm_record_new": (c_int, [POINTER(P), P, c_char_p]),
    "spm_record_get": (c_int, [POINTER(P), P, c_char_p, c_int64]),
    "spm_record_free": (None, [P]),
    "spm_record_kind": (c_char_p, [P]),
    "spm_record_id": (c_int64, [P]),
    "spm_record_seq": (c_int64, [P]),
    "spm_record_set_text": (c_int, [P, c_char_p, c_char_p]),
    "spm_record_set_int": (c_int, [P, c_char_p, c_int64]),
    "spm_record_set_money": (c_int, [P, c_char_p, c_int64, c_char_p]),
    "spm_record_set_date": (c_int, [P, c_char_p, c_int32]),
    "spm_record_set_bool": (c_int, [P, c_char_p, c_int]),
    "spm_record_set_time": (c_int, [P, c_char_p, c_int64]),
    "spm_record_set_null": (c_int, [P, c_char_p]),
    "spm_record_set_from_text": (c_int, [P, c_char_p, c_char_p]),
    "spm_record_is_null": (c_int, [POINTER(c_int), P, c_char_p]),
    "spm_record_get_text": (c_int, [POINTER(c_char_p), P, c_char_p]),
    "spm_record_get_int": (c_int, [_I64P, P, c_char_p]),
    "spm_record_get_money": (c_int, [_I64P, POINTER(c_char_p), P, c_char_p]),
    "spm_record_get_date": (c_int, [POINTER(c_int32), P, c_char_p]),
    "spm_record_get_bool": (c_int, [POINTER(c_int), P, c_char_p]),
    "spm_record_get_time": (c_int, [_I64P, P, c_char_p]),
    "spm_record_get_as_text": (c_int, [POINTER(c_char_p), P, c_char_p]),
    "spm_record_to_json": (c_int, [POINTER(c_char_p), P]),
    "spm_record_save": (c_int, [P, P]),
    "spm_record_delete": (c_int, [P, c_char_p, c_int64]),
    "spm_record_is_deleted": (c_int, [P]),
    "spm_record_dup": (c_int, [POINTER(P), P]),
    "spm_batch_new": (c_int, [POINTER(P), P]),
    "spm_batch_save": (c_int, [P, P]),
    "spm_batch_delete": (c_int, [P, c_char_p, c_int64]),
    "spm_batch_count": (c_size_t, [P]),
    "spm_batch_commit": (c_int, [P, c_char_p]),
    "spm_batch_id": (c_int, [_I64P, P, c_size_t]),
    "spm_batch_replayed": (c_int, [P]),
    "spm_batch_free": (None, [P]),
    "spm_query_new": (c_int, [POINTER(P), P, c_char_p]),
    "spm_query_where_int": (c_int, [P, c_char_p, c_int, c_int64]),
    "spm_query_where_text": (c_int, [P, c_char_p, c_int, c_char_p]),
    "spm_query_changed_since": (c_int, [P, c_int64]),
    "spm_query_limit": (c_int, [P, c_size_t]),
    "spm_query_free": (None, [P]),
    "spm_query_foreach": (c_int, [P, record_cb, c_void_p]),
    "spm_record_iter_new": (c_int, [POINTER(P), P]),
    "spm_record_iter_next": (c_int, [POINTER(P), P]),
    "spm_record_iter_free": (None, [P]),
    # audit.h
    "spm_audit_foreach": (c_int, [P, c_char_p, c_int64, audit_cb, c_void_p]),
    "spm_audit_head": (c_int, [POINTER(AuditAnchor), P]),
    "spm_audit_verify": (c_int, [P, POINTER(AuditAnchor)]),
    # events.h
    "spm_event_type_name": (c_char_p, [c_int]),
    "spm_listener_add": (c_int, [POINTER(c_int), P, c_uint64, event_cb, c_void_p]),
    "spm_listener_remove": (c_int, [P, c_int]),
    "spm_outbox_foreach": (c_int, [P, c_int64, c_size_t, event_cb, c_void_p]),
    "spm_outbox_last": (c_int, [_I64P, P]),
    "spm_consumer_position": (c_int, [_I64P, P, c_char_p]),
    "spm_consumer_ack": (c_int, [P, c_char_p, c_int64]),
    "spm_consumer_poll": (c_int, [P, c_char_p, c_size_t, event_cb, c_void_p]),
}

for _name, (_res, _args) in _PROTOS.items():
    _fn = getattr(lib, _name)
    _fn.restype = _res
    _fn.argtypes = _args

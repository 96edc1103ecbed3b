"""Importing opportunities, stage history and line items from CSV
(spm_opp_import), a Salesforce export by default, and exporting them in the
same layout (spm_opp_export).

    import spm
    from spm.import_opps import import_opportunities, export_opportunities

    report = import_opportunities(db, open("Opportunity.csv", "rb").read(),
                                  history=open("OpportunityHistory.csv", "rb").read(),
                                  pipeline=1, currency="USD", dates="mdy")
    report.counts["history"]["created"]     # 48
    report.id("006bm00000LKJNNAA5")         # the libspm id

A failed import raises the exception of its code (spm.Invalid for bad rows
in all-or-nothing mode) with the report as .report, so the bad rows and
their lines can be listed.
"""
from ctypes import (CFUNCTYPE, POINTER, Structure, byref, c_char_p, c_int, c_int64,
                    c_size_t, c_uint, c_uint32, c_uint64, c_void_p, string_at)
from typing import NamedTuple

from . import Invalid, _b, _c, _check, _Child, _error, _int64, _Trap
from ._capi import lib as _lib

__all__ = ["import_opportunities", "export_opportunities", "ImportReport", "Problem", "FILES"]

FILES = ("opportunities", "history", "line_items")
_COUNTS = ("rows", "bad", "created", "updated", "unchanged")
_DATES = {"iso": 0, "mdy": 1, "dmy": 2}
_CREATE_STAGES = 0x1
_LENIENT_REFS = 0x2
_OPTIONS_VERSION = 1


class _Options(Structure):
    _fields_ = [
        ("version", c_uint32),
        ("pipeline_id", c_int64),
        ("mode", c_int),
        ("dry_run", c_int),
        ("flags", c_uint),
        ("currency", c_char_p),
        ("date_order", c_int),
        ("mapping", POINTER(c_char_p) * 3),
        ("nmapping", c_size_t * 3),
        ("external_id_field", c_char_p),
        ("customer_key_field", c_char_p),
        ("user_key_field", c_char_p),
        ("max_rows", c_uint64),
        ("max_bytes", c_uint64),
    ]


_write_cb = CFUNCTYPE(c_int, c_void_p, c_size_t, c_void_p)
_P = c_void_p
for _name, (_res, _args) in {
    "spm_opp_import_options_init": (c_int, [POINTER(_Options), c_uint]),
    "spm_opp_import": (c_int, [POINTER(_P), _P, c_char_p, c_size_t, c_char_p, c_size_t,
                               c_char_p, c_size_t, POINTER(_Options)]),
    "spm_opp_import_report_count": (c_size_t, [_P, c_int, c_int]),
    "spm_opp_import_report_stages_created": (c_size_t, [_P]),
    "spm_opp_import_report_problems": (c_size_t, [_P]),
    "spm_opp_import_report_problem": (c_int, [POINTER(c_char_p), POINTER(c_int),
                                              POINTER(c_size_t), POINTER(c_char_p),
                                              POINTER(c_int), _P, c_size_t]),
    "spm_opp_import_report_id": (c_int, [POINTER(c_int64), _P, c_char_p]),
    "spm_opp_import_report_stored": (c_int, [POINTER(c_char_p), POINTER(c_int64), _P,
                                             c_size_t]),
    "spm_opp_import_report_message": (c_char_p, [_P]),
    "spm_opp_import_report_status": (c_int, [_P]),
    "spm_opp_import_report_free": (None, [_P]),
    "spm_opp_export": (c_int, [_P, c_int64, c_int, POINTER(_Options), _write_cb, c_void_p]),
}.items():
    _fn = getattr(_lib, _name)
    _fn.restype = _res
    _fn.argtypes = _args


class Problem(NamedTuple):
    """A bad row, a refused header or a warning (the row was stored)."""
    file: str
    line: int
    column: object  # the CSV header, or None for the whole row
    message: str
    warning: bool


class ImportReport(_Child):
    """What an import did: .counts[file][count], .stages_created, .problems,
    .ids ({source Id: libspm id} of the stored opportunities), .message,
    .status; .id(external_id) while it is open (closed with its Database at
    the latest)."""

    _free_fn = _lib.spm_opp_import_report_free

    def __init__(self, db, ptr):
        super().__init__(db, ptr)
        self.counts = {f: {c: _lib.spm_opp_import_report_count(ptr, i, k)
                           for k, c in enumerate(_COUNTS)} for i, f in enumerate(FILES)}
        self.stages_created = _lib.spm_opp_import_report_stages_created(ptr)
        self.problems = []
        for i in range(_lib.spm_opp_import_report_problems(ptr)):
            msg, col = c_char_p(), c_char_p()
            file, warning, line = c_int(), c_int(), c_size_t()
            _check(_lib.spm_opp_import_report_problem(byref(msg), byref(file), byref(line),
                                                      byref(col), byref(warning), ptr, i))
            self.problems.append(Problem(FILES[file.value], line.value,
                                         None if col.value is None else col.value.decode(),
                                         msg.value.decode(), bool(warning.value)))
        self.ids = {}
        stored = sum(self.counts["opportunities"][k] for k in ("created", "updated", "unchanged"))
        for i in range(stored):
            ext, oid = c_char_p(), c_int64()
            _check(_lib.spm_opp_import_report_stored(byref(ext), byref(oid), ptr, i))
            self.ids[ext.value.decode()] = oid.value
        self.message = _lib.spm_opp_import_report_message(ptr).decode()
        self.status = _lib.spm_opp_import_report_status(ptr)

    def id(self, external_id):
        """The libspm id of the opportunity stored under this source Id."""
        out = c_int64()
        _check(_lib.spm_opp_import_report_id(byref(out), self._p, _b(external_id, "external_id")))
        return out.value


def _data(value, what):
    if value is None:
        return None, 0
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not isinstance(value, (bytes, bytearray)):
        raise TypeError("%s must be str or bytes, not %s" % (what, type(value).__name__))
    return bytes(value), len(value)


def _options(pipeline, currency, dates, create_stages, lenient, dry_run, skip_bad_rows,
             mappings, external_id_field, customer_key_field, user_key_field, keep):
    o = _Options()
    _check(_lib.spm_opp_import_options_init(byref(o), _OPTIONS_VERSION))
    o.pipeline_id = _int64(pipeline, "pipeline")
    o.mode = 1 if skip_bad_rows else 0
    o.dry_run = 1 if dry_run else 0
    o.flags = (_CREATE_STAGES if create_stages else 0) | (_LENIENT_REFS if lenient else 0)
    o.currency = None if currency is None else _b(currency, "currency")
    if dates not in _DATES:
        raise _c_invalid("dates is 'iso', 'mdy' or 'dmy', not %r" % (dates,))
    o.date_order = _DATES[dates]
    for f, mapping in (mappings or {}).items():
        if f not in FILES:
            raise _c_invalid("mappings has no file %r (%s)" % (f, ", ".join(FILES)))
        pairs = list(mapping.items()) if isinstance(mapping, dict) else list(mapping)
        arr = (c_char_p * (2 * len(pairs) + 1))()
        for k, (header, target) in enumerate(pairs):
            arr[2 * k] = _b(header, "a mapped header")
            arr[2 * k + 1] = None if target is None else _b(target, "a mapping target")
        keep.append(arr)
        o.mapping[FILES.index(f)] = arr
        o.nmapping[FILES.index(f)] = len(pairs)
    for name, value in (("external_id_field", external_id_field),
                        ("customer_key_field", customer_key_field),
                        ("user_key_field", user_key_field)):
        if value is not None:
            setattr(o, name, _b(value, name))
    return o


def _c_invalid(message):
    return Invalid(message, _c.EINVAL)


def import_opportunities(db, opportunities, history=None, line_items=None, *, pipeline,
                         currency=None, dates="iso", create_stages=False, lenient=False,
                         dry_run=False, skip_bad_rows=False, mappings=None,
                         external_id_field=None, customer_key_field=None,
                         user_key_field=None):
    """Imports opportunities (required), their stage history and line items
    (CSV text or bytes) into pipeline; returns an ImportReport. mappings:
    {"opportunities"|"history"|"line_items": {CSV header: target}} replacing
    the Salesforce headers of that file (docs/import-opportunities.md)."""
    keep = []
    o = _options(pipeline, currency, dates, create_stages, lenient, dry_run, skip_bad_rows,
                 mappings, external_id_field, customer_key_field, user_key_field, keep)
    opps, opps_len = _data(opportunities, "opportunities")
    if opps is None:
        raise TypeError("opportunities is required")
    hist, hist_len = _data(history, "history")
    items, items_len = _data(line_items, "line_items")
    h = c_void_p()
    rc = _lib.spm_opp_import(byref(h), db._p, opps, opps_len, hist, hist_len, items,
                             items_len, byref(o))
    if h.value is None:
        _check(rc)
    exc = _error(rc) if rc < 0 else None
    report = ImportReport(db, h.value)
    if exc is not None:
        exc.report = report
        raise exc
    return report


def export_opportunities(db, pipeline, which="opportunities", *, external_id_field=None,
                         customer_key_field=None, user_key_field=None):
    """The opportunities of pipeline, or their stage history (which="history"),
    as CSV text in the Salesforce layout that import_opportunities reads."""
    if which not in ("opportunities", "history"):
        raise _c_invalid("which is 'opportunities' or 'history', not %r" % (which,))
    keep = []
    o = _options(pipeline, None, "iso", False, False, False, False, None, external_id_field,
                 customer_key_field, user_key_field, keep)
    chunks = []
    trap = _Trap()

    def write(data, length, _payload):
        return trap.call(chunks.append, string_at(data, length))

    cb = _write_cb(write)
    rc = _lib.spm_opp_export(db._p, _int64(pipeline, "pipeline"), FILES.index(which), byref(o),
                             cb, None)
    if trap.exc is not None:
        raise trap.exc
    _check(rc)
    return b"".join(chunks).decode("utf-8")

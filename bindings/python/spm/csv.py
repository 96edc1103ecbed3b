"""CSV import and export (include/spm/csv.h; docs/csv.md).

import_csv() reads CSV text into records of a kind through one batch, so
visibility, validation, audit and events apply; export_csv() renders a
query (or a whole kind) as CSV text, holding only what the actor may see.
"""
from ctypes import (CFUNCTYPE, POINTER, Structure, byref, c_char, c_char_p, c_int, c_int64,
                    c_size_t, c_uint, c_uint32, c_uint64, c_void_p, string_at)
from typing import NamedTuple, Optional, Tuple

import spm
from spm import _capi as _c

_lib = _c.lib
_P = c_void_p

ALL_OR_NOTHING = "all_or_nothing"
SKIP_BAD_ROWS = "skip_bad_rows"
_MODES = {ALL_OR_NOTHING: 0, SKIP_BAD_ROWS: 1}
_IGNORE_UNMAPPED = 0x1
_IGNORE_READONLY = 0x2


class _ImportOptions(Structure):
    _fields_ = [("version", c_uint32), ("mode", c_int), ("dry_run", c_int), ("flags", c_uint),
                ("mapping", POINTER(c_char_p)), ("nmapping", c_size_t),
                ("idempotency_key", c_char_p), ("max_rows", c_uint64),
                ("max_bytes", c_uint64)]


_write_cb = CFUNCTYPE(c_int, POINTER(c_char), c_size_t, c_void_p)

_PROTOS = {
    "spm_csv_import": (c_int, [POINTER(_P), _P, c_char_p, c_char_p, c_size_t,
                               POINTER(_ImportOptions)]),
    "spm_csv_report_free": (None, [_P]),
    "spm_csv_report_rows": (c_size_t, [_P]),
    "spm_csv_report_stored": (c_size_t, [_P]),
    "spm_csv_report_bad": (c_size_t, [_P]),
    "spm_csv_report_errors": (c_size_t, [_P]),
    "spm_csv_report_error": (c_int, [POINTER(c_char_p), POINTER(c_size_t), POINTER(c_char_p),
                                     _P, c_size_t]),
    "spm_csv_report_id": (c_int, [POINTER(c_int64), POINTER(c_size_t), _P, c_size_t]),
    "spm_csv_report_message": (c_char_p, [_P]),
    "spm_csv_report_status": (c_int, [_P]),
    "spm_csv_report_replayed": (c_int, [_P]),
    "spm_csv_export": (c_int, [_P, c_char_p, _P, POINTER(c_char_p), c_size_t, _write_cb,
                               c_void_p]),
}
for _name, (_res, _args) in _PROTOS.items():
    _fn = getattr(_lib, _name)
    _fn.restype = _res
    _fn.argtypes = _args


class RowError(NamedTuple):
    """A refused row (or header problem, line 1): where and why."""
    line: int
    column: Optional[str]
    message: str


class Report(NamedTuple):
    """What an import did."""
    rows: int                       # data rows read, bad ones included
    stored: int                     # records stored
    bad: int                        # bad data rows
    errors: Tuple[RowError, ...]    # in input order
    ids: Tuple[Tuple[int, int], ...]  # (record id, line) per stored record
    message: str                    # why nothing was stored; "" on success
    replayed: bool                  # an earlier import under the same key


def _report(r):
    errors, ids = [], []
    for i in range(_lib.spm_csv_report_errors(r)):
        msg, line, col = c_char_p(), c_size_t(), c_char_p()
        spm._check(_lib.spm_csv_report_error(byref(msg), byref(line), byref(col), r, i))
        errors.append(RowError(line.value, spm._s(col.value), spm._s(msg.value)))
    for i in range(_lib.spm_csv_report_stored(r)):
        rid, line = c_int64(), c_size_t()
        spm._check(_lib.spm_csv_report_id(byref(rid), byref(line), r, i))
        ids.append((rid.value, line.value))
    return Report(_lib.spm_csv_report_rows(r), _lib.spm_csv_report_stored(r),
                  _lib.spm_csv_report_bad(r), tuple(errors), tuple(ids),
                  spm._s(_lib.spm_csv_report_message(r)),
                  bool(_lib.spm_csv_report_replayed(r)))


def import_csv(db, kind, data, *, mode=ALL_OR_NOTHING, dry_run=False, mapping=None,
               ignore_unmapped=False, ignore_readonly=False, idempotency_key=None,
               max_rows=0, max_bytes=0):
    """Imports CSV text (str or UTF-8 bytes) into records of kind; the first
    row is the header. mapping is {CSV header: field name or None (ignored)}.
    Returns a Report; when the import fails the exception carries the Report
    as .report (None when it failed before reading)."""
    if mode not in _MODES:
        raise spm.Invalid("mode is %s or %s" % (ALL_OR_NOTHING, SKIP_BAD_ROWS), _c.EINVAL)
    raw = data.encode() if isinstance(data, str) else data
    if not isinstance(raw, (bytes, bytearray)):
        raise spm.Invalid("CSV data is str or bytes", _c.EINVAL)
    raw = bytes(raw)
    opts = _ImportOptions(1, _MODES[mode], 1 if dry_run else 0, 0, None, 0, None,
                          spm._size(max_rows, "max_rows"), spm._size(max_bytes, "max_bytes"))
    opts.flags = (_IGNORE_UNMAPPED if ignore_unmapped else 0) | \
        (_IGNORE_READONLY if ignore_readonly else 0)
    keep = []
    if mapping:
        flat = []
        for header, field in mapping.items():
            flat += [spm._b(header, "header"), spm._opt_b(field, "field")]
        arr = (c_char_p * len(flat))(*flat)
        keep.append(arr)
        opts.mapping = arr
        opts.nmapping = len(mapping)
    if idempotency_key is not None:
        opts.idempotency_key = spm._b(idempotency_key, "idempotency_key")
    r = c_void_p()
    rc = _lib.spm_csv_import(byref(r), db._p, spm._b(kind, "kind"), raw, len(raw),
                             byref(opts))
    report = None
    try:
        if r.value:
            report = _report(r)
    finally:
        _lib.spm_csv_report_free(r)
    try:
        db._finish(rc)
    except spm.SpmError as exc:
        exc.report = report
        raise
    return report


def export_csv(db, kind, query=None, fields=None):
    """The records of a query (default: every record of kind the actor sees)
    as CSV text, CRLF line ends; fields picks and orders the columns."""
    chunks = []
    own = query is None
    q = db.query(kind) if own else query
    names = None
    if fields is not None:
        names = (c_char_p * max(len(fields), 1))(*[spm._b(f, "field") for f in fields])

    def write(data, length, _payload):
        chunks.append(string_at(data, length))
        return 0
    try:
        db._foreach(_lib.spm_csv_export, _write_cb, write, db._p, spm._b(kind, "kind"), q._p,
                    names, len(fields) if fields is not None else 0)
    finally:
        if own:
            q.close()
    return b"".join(chunks).decode()

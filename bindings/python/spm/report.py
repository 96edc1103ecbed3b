"""Analytics (include/spm/report.h): run queries and saved reports, get typed
result sets back.

    import spm
    with spm.open("crm.db", actor=7) as db:
        res = spm.report.run(db, {"query": "win_rate", "group_by": "owner"})
        for row in res.rows:          # list of dicts
            print(row["owner_id"], row["win_rate"])
        res.to_csv()                  # text; res.to_json(), res.write(path, "csv")
        res.to_pandas()               # when pandas is installed

Cells: integers are int; ratios are decimal.Decimal (exact: the library keeps
parts per million); money is spm.Money; dates are datetime.date; text is str;
an empty cell is None (distinct from 0).
"""
import ctypes
import datetime
import decimal
import json
from ctypes import CFUNCTYPE, POINTER, byref, c_char_p, c_int, c_int64, c_size_t, c_void_p

from . import _capi as _c
from ._capi import lib as _lib

__all__ = ["run", "run_saved", "save", "reports", "dashboard", "Result"]

COLUMN_TEXT, COLUMN_INTEGER, COLUMN_MONEY, COLUMN_RATIO, COLUMN_DATE = range(1, 6)
_TYPE_NAMES = {COLUMN_TEXT: "text", COLUMN_INTEGER: "integer", COLUMN_MONEY: "money",
               COLUMN_RATIO: "ratio", COLUMN_DATE: "date"}

write_cb = CFUNCTYPE(c_int, c_void_p, c_size_t, c_void_p)
report_cb = CFUNCTYPE(c_int, c_char_p, c_char_p, c_void_p)

_lib.spm_report_run.argtypes = [POINTER(c_void_p), c_void_p, c_char_p]
_lib.spm_report_run.restype = c_int
_lib.spm_report_save.argtypes = [c_void_p, c_char_p, c_char_p]
_lib.spm_report_save.restype = c_int
_lib.spm_report_run_saved.argtypes = [POINTER(c_void_p), c_void_p, c_char_p]
_lib.spm_report_run_saved.restype = c_int
_lib.spm_report_foreach.argtypes = [c_void_p, report_cb, c_void_p]
_lib.spm_report_foreach.restype = c_int
_lib.spm_report_dashboard_item.argtypes = [POINTER(c_void_p), POINTER(c_void_p), c_void_p,
                                           c_char_p, c_size_t]
_lib.spm_report_dashboard_item.restype = c_int
_lib.spm_report_text_free.argtypes = [c_void_p, c_void_p]
_lib.spm_report_text_free.restype = None
_lib.spm_result_free.argtypes = [c_void_p]
_lib.spm_result_free.restype = None
_lib.spm_result_column_count.argtypes = [c_void_p]
_lib.spm_result_column_count.restype = c_size_t
_lib.spm_result_row_count.argtypes = [c_void_p]
_lib.spm_result_row_count.restype = c_size_t
_lib.spm_result_column_name.argtypes = [c_void_p, c_size_t]
_lib.spm_result_column_name.restype = c_char_p
_lib.spm_result_column_type.argtypes = [c_void_p, c_size_t]
_lib.spm_result_column_type.restype = c_int
_lib.spm_result_is_null.argtypes = [c_void_p, c_size_t, c_size_t]
_lib.spm_result_is_null.restype = c_int
_lib.spm_result_int.argtypes = [POINTER(c_int64), c_void_p, c_size_t, c_size_t]
_lib.spm_result_int.restype = c_int
_lib.spm_result_money.argtypes = [POINTER(c_int64), POINTER(c_char_p), c_void_p, c_size_t,
                                  c_size_t]
_lib.spm_result_money.restype = c_int
_lib.spm_result_text.argtypes = [POINTER(c_char_p), c_void_p, c_size_t, c_size_t]
_lib.spm_result_text.restype = c_int
_lib.spm_result_row_ids.argtypes = [POINTER(POINTER(c_int64)), POINTER(c_size_t), c_void_p,
                                    c_size_t]
_lib.spm_result_row_ids.restype = c_int
_lib.spm_result_csv.argtypes = [c_void_p, write_cb, c_void_p]
_lib.spm_result_csv.restype = c_int
_lib.spm_result_json.argtypes = [c_void_p, write_cb, c_void_p]
_lib.spm_result_json.restype = c_int
_lib.spm_result_write_file.argtypes = [c_void_p, c_char_p, c_char_p]
_lib.spm_result_write_file.restype = c_int


def _definition(definition):
    if isinstance(definition, dict):
        return json.dumps(definition).encode()
    if isinstance(definition, str):
        return definition.encode()
    raise TypeError("a report definition is a dict or JSON text")


def _name(name):
    if not isinstance(name, str):
        raise TypeError("a report name is a str")
    return name.encode()


class Result:
    """A result set, read into Python on creation (the C result is freed).

    columns: list of (name, type name); rows: list of dicts; ids(i): the
    record ids behind row i when the query ran with "drill": true."""

    def __init__(self, db, ptr):
        import spm
        self._db = db
        self._ids = None
        try:
            ncols = _lib.spm_result_column_count(ptr)
            nrows = _lib.spm_result_row_count(ptr)
            self.columns = [(_lib.spm_result_column_name(ptr, c).decode(),
                             _TYPE_NAMES[_lib.spm_result_column_type(ptr, c)])
                            for c in range(ncols)]
            self.rows = []
            for r in range(nrows):
                row = {}
                for c, (name, kind) in enumerate(self.columns):
                    row[name] = self._cell(spm, ptr, r, c, kind)
                self.rows.append(row)
            self._csv = self._stream(_lib.spm_result_csv, ptr)
            self._json = self._stream(_lib.spm_result_json, ptr)
            ids = []
            out, n = POINTER(c_int64)(), c_size_t()
            for r in range(nrows):
                if _lib.spm_result_row_ids(byref(out), byref(n), ptr, r) != _c.OK:
                    ids = None
                    break
                ids.append([out[k] for k in range(n.value)])
            self._ids = ids
        finally:
            _lib.spm_result_free(ptr)

    def _cell(self, spm, ptr, r, c, kind):
        if _lib.spm_result_is_null(ptr, r, c):
            return None
        if kind == "text":
            out = c_char_p()
            self._db._finish(_lib.spm_result_text(byref(out), ptr, r, c))
            return out.value.decode()
        if kind == "money":
            v, cur = c_int64(), c_char_p()
            self._db._finish(_lib.spm_result_money(byref(v), byref(cur), ptr, r, c))
            return spm.Money(v.value, cur.value.decode())
        v = c_int64()
        self._db._finish(_lib.spm_result_int(byref(v), ptr, r, c))
        if kind == "ratio":
            return decimal.Decimal(v.value).scaleb(-6)
        if kind == "date":
            return datetime.date(1970, 1, 1) + datetime.timedelta(days=v.value)
        return v.value

    def _stream(self, fn, ptr):
        chunks = []

        def take(data, size, _payload):
            chunks.append(ctypes.string_at(data, size))
            return 0
        cb = write_cb(take)
        self._db._finish(fn(ptr, cb, None))
        return b"".join(chunks).decode()

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, i):
        return self.rows[i]

    def ids(self, row):
        """Ids of the records behind a row (the query needs "drill": true)."""
        import spm
        if self._ids is None:
            raise spm.Invalid("the query ran without \"drill\": true", _c.EINVAL)
        return list(self._ids[row])

    def to_csv(self):
        """The result as CSV text (money as "12.50 CNY", ratios as decimals)."""
        return self._csv

    def to_json(self):
        """The result as JSON text (see report.h)."""
        return self._json

    def write(self, path, fmt="csv"):
        """Writes the CSV or JSON text to a file."""
        if fmt not in ("csv", "json"):
            import spm
            raise spm.Invalid("unknown format '%s' (csv or json)" % fmt, _c.EINVAL)
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(self._csv if fmt == "csv" else self._json)

    def to_pandas(self):
        """A pandas.DataFrame of the rows (pandas must be installed)."""
        import pandas
        return pandas.DataFrame(self.rows, columns=[name for name, _ in self.columns])


def run(db, definition):
    """Runs a query given as a dict or JSON text (docs/reports.md)."""
    out = c_void_p()
    db._finish(_lib.spm_report_run(byref(out), db._p, _definition(definition)))
    return Result(db, out.value)


def save(db, name, definition):
    """Stores a report or dashboard definition under a name (replacing it)."""
    db._finish(_lib.spm_report_save(db._p, _name(name), _definition(definition)))


def run_saved(db, name):
    """Runs a saved report by name."""
    out = c_void_p()
    db._finish(_lib.spm_report_run_saved(byref(out), db._p, _name(name)))
    return Result(db, out.value)


def reports(db):
    """The saved reports and dashboards the actor may see: {name: definition dict}."""
    found = {}

    def each(name, definition, _payload):
        found[name.decode()] = json.loads(definition.decode())
        return 0
    db._finish(_lib.spm_report_foreach(db._p, report_cb(each), None))
    return found


def dashboard(db, name):
    """Runs every item of a saved dashboard: a list of (Result, layout dict)."""
    items = []
    i = 0
    while True:
        out, layout = c_void_p(), c_void_p()
        rc = _lib.spm_report_dashboard_item(byref(out), byref(layout), db._p, _name(name), i)
        if rc == _c.ITEROVER:
            return items
        db._finish(rc)
        try:
            text = ctypes.string_at(layout.value).decode()
        finally:
            _lib.spm_report_text_free(db._p, layout.value)
        items.append((Result(db, out.value), json.loads(text)))
        i += 1

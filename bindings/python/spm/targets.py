"""Targets (include/spm/target.h): exact splits, decomposition over time and
over the org, progress of one node or of every node, JSON and CSV.

    import spm, spm.targets as targets
    parts, imbalance = targets.decompose(db, 1, "headcount", reason="plan")
    for p in targets.progress_all(db, 1, datetime.date(2026, 3, 20)):
        print(p["owner_kind"], p["owner_ref"], p["pace_ppm"])

Rates are parts per million (1_000_000 = 100%); values are int minor units
for money metrics and counts otherwise.
"""
import ctypes
from ctypes import (CFUNCTYPE, POINTER, Structure, byref, c_char, c_char_p, c_int, c_int32,
                    c_int64, c_size_t, c_uint32, c_void_p)

from . import _check, _date_to_days, _days_to_date, _b, _int64, _Trap
from ._capi import lib as _lib

__all__ = ["METHODS", "PERIODS", "split", "decompose", "decompose_tree", "progress", "progress_all",
           "progress_csv", "export_json", "import_json", "plan_from_json", "plan_to_json"]

METHODS = {"equal_days": 1, "equal_periods": 2, "working_days": 3, "seasonality": 4,
           "last_year": 5, "equal_members": 6, "weights": 7, "headcount": 8,
           "last_period": 9, "manual": 10}
PERIODS = {"week": 2, "month": 3, "quarter": 4, "year": 5}
_PLAN_VERSION = 1
_PROGRESS_VERSION = 1


class _Plan(Structure):
    _fields_ = [("version", c_uint32), ("method", c_int), ("child_period", c_int),
                ("weights", POINTER(c_int64)), ("nweights", c_size_t),
                ("ramp_ppm", POINTER(c_int64)), ("nramp", c_size_t),
                ("keep_total", c_int), ("dry_run", c_int)]


class _Part(Structure):
    _fields_ = [("version", c_uint32), ("target_id", c_int64), ("owner_kind", c_char_p),
                ("owner_ref", c_int64), ("period_start", c_int32), ("weight", c_int64),
                ("value", c_int64)]


class _Progress(Structure):
    _fields_ = [("version", c_uint32), ("target_id", c_int64), ("owner_kind", c_char_p),
                ("owner_ref", c_int64), ("period_start", c_int32), ("period_end", c_int32),
                ("target", c_int64), ("attained", c_int64), ("attainment_ppm", c_int64),
                ("elapsed_ppm", c_int64), ("expected", c_int64), ("pace_ppm", c_int64),
                ("projection", c_int64), ("gap", c_int64), ("pipeline", c_int64),
                ("coverage_ppm", c_int64), ("currency", c_char * 4)]


_part_cb = CFUNCTYPE(c_int, POINTER(_Part), c_void_p)
_progress_cb = CFUNCTYPE(c_int, POINTER(_Progress), c_void_p)
_write_cb = CFUNCTYPE(c_int, c_void_p, c_size_t, c_void_p)

_lib.spm_target_split.argtypes = [POINTER(c_int64), c_int64, POINTER(c_int64), c_size_t]
_lib.spm_target_split.restype = c_int
_lib.spm_target_decompose.argtypes = [POINTER(c_int64), c_void_p, c_int64, POINTER(_Plan),
                                      c_char_p, _part_cb, c_void_p]
_lib.spm_target_decompose.restype = c_int
_lib.spm_target_decompose_tree.argtypes = [POINTER(c_size_t), c_void_p, c_int64, POINTER(_Plan),
                                           c_char_p, _part_cb, c_void_p]
_lib.spm_target_decompose_tree.restype = c_int
_lib.spm_target_progress_get.argtypes = [POINTER(_Progress), c_void_p, c_int64, c_int32]
_lib.spm_target_progress_get.restype = c_int
_lib.spm_target_progress_foreach.argtypes = [c_void_p, c_int64, c_int32, _progress_cb, c_void_p]
_lib.spm_target_progress_foreach.restype = c_int
_lib.spm_target_progress_csv.argtypes = [c_void_p, c_int64, c_int32, _write_cb, c_void_p]
_lib.spm_target_progress_csv.restype = c_int
_lib.spm_target_export_json.argtypes = [c_void_p, _write_cb, c_void_p]
_lib.spm_target_export_json.restype = c_int
_lib.spm_target_import_json.argtypes = [POINTER(c_size_t), c_void_p, c_char_p, c_char_p]
_lib.spm_target_import_json.restype = c_int
_lib.spm_target_plan_from_json.argtypes = [POINTER(_Plan), POINTER(c_int64), c_size_t,
                                           POINTER(c_int64), c_size_t, c_char_p]
_lib.spm_target_plan_from_json.restype = c_int
_lib.spm_target_plan_to_json.argtypes = [POINTER(_Plan), _write_cb, c_void_p]
_lib.spm_target_plan_to_json.restype = c_int


def _ints(values, what):
    values = [_int64(v, what) for v in (values or [])]
    return (c_int64 * max(len(values), 1))(*values), len(values)


def split(total, weights):
    """Splits total by weights exactly (largest remainder): the parts sum to total."""
    w, n = _ints(weights, "weight")
    out = (c_int64 * max(n, 1))()
    _check(_lib.spm_target_split(out, _int64(total, "total"), w, n))
    return list(out[:n])


def _plan(method, child_period, weights, ramp_ppm, keep_total, dry_run):
    if method not in METHODS:
        raise ValueError("method must be one of %s" % ", ".join(METHODS))
    if child_period not in PERIODS:
        raise ValueError("child_period must be week, month, quarter or year")
    w, nw = _ints(weights, "weight")
    r, nr = _ints(ramp_ppm, "ramp_ppm")
    plan = _Plan(_PLAN_VERSION, METHODS[method], PERIODS[child_period],
                 ctypes.cast(w, POINTER(c_int64)), nw, ctypes.cast(r, POINTER(c_int64)), nr,
                 int(bool(keep_total)), int(bool(dry_run)))
    return plan, (w, r)  # keep the arrays alive with the plan


def _part(p):
    c = p.contents
    return {"target_id": c.target_id, "owner_kind": c.owner_kind.decode(),
            "owner_ref": c.owner_ref, "period_start": _days_to_date(c.period_start),
            "weight": c.weight, "value": c.value}


def decompose(db, target, method, reason, child_period="month", weights=None,
              ramp_ppm=None, keep_total=False, dry_run=False):
    """Decomposes a target; returns (parts, imbalance). parts are dicts in
    the children's order (sub-teams, then members; or by date)."""
    plan, _keep = _plan(method, child_period, weights, ramp_ppm, keep_total, dry_run)
    parts, imbalance, trap = [], c_int64(), _Trap()
    cb = _part_cb(lambda p, _payload: trap.call(lambda: parts.append(_part(p))))
    db._finish(_lib.spm_target_decompose(byref(imbalance), db._p, _int64(target, "target"),
                                         byref(plan), _b(reason, "reason"), cb, None), trap)
    return parts, imbalance.value


def decompose_tree(db, target, method, reason, ramp_ppm=None, dry_run=False):
    """Decomposes a team's target down the whole org tree in one transaction
    (equal_members, headcount or last_period); returns (parts, decomposed):
    the parts of every level, top first, and how many targets were split."""
    plan, _keep = _plan(method, "month", None, ramp_ppm, False, dry_run)
    parts, decomposed, trap = [], c_size_t(), _Trap()
    cb = _part_cb(lambda p, _payload: trap.call(lambda: parts.append(_part(p))))
    db._finish(_lib.spm_target_decompose_tree(byref(decomposed), db._p,
                                              _int64(target, "target"), byref(plan),
                                              _b(reason, "reason"), cb, None), trap)
    return parts, decomposed.value


def _progress(p):
    return {"target_id": p.target_id, "owner_kind": p.owner_kind.decode(),
            "owner_ref": p.owner_ref, "period_start": _days_to_date(p.period_start),
            "period_end": _days_to_date(p.period_end), "target": p.target,
            "attained": p.attained, "attainment_ppm": p.attainment_ppm,
            "elapsed_ppm": p.elapsed_ppm, "expected": p.expected, "pace_ppm": p.pace_ppm,
            "projection": p.projection, "gap": p.gap, "pipeline": p.pipeline,
            "coverage_ppm": p.coverage_ppm, "currency": p.currency.decode() or None}


def progress(db, target, as_of):
    """The progress of one target as of a date, as a dict."""
    out = _Progress()
    out.version = _PROGRESS_VERSION
    db._finish(_lib.spm_target_progress_get(byref(out), db._p, _int64(target, "target"),
                                            _date_to_days(as_of)))
    return _progress(out)


def progress_all(db, target, as_of):
    """The progress of every node under a target: its node, teams, users."""
    out, trap = [], _Trap()
    cb = _progress_cb(lambda p, _payload: trap.call(lambda: out.append(_progress(p.contents))))
    db._finish(_lib.spm_target_progress_foreach(db._p, _int64(target, "target"),
                                                _date_to_days(as_of), cb, None), trap)
    return out


def _collect(call, *args, db=None):
    chunks = []
    cb = _write_cb(lambda data, n, _payload: chunks.append(ctypes.string_at(data, n)) or 0)
    rc = call(*args, cb, None)
    if db is not None:
        db._finish(rc)
    else:
        _check(rc)
    return b"".join(chunks).decode("utf-8")


def progress_csv(db, target, as_of):
    """The progress of every node under a target as CSV text."""
    return _collect(_lib.spm_target_progress_csv, db._p, _int64(target, "target"),
                    _date_to_days(as_of), db=db)


def export_json(db):
    """Every target the actor sees, as JSON text."""
    return _collect(_lib.spm_target_export_json, db._p, db=db)


def import_json(db, text, reason):
    """Creates the targets of a JSON document in one transaction; returns how many."""
    n = c_size_t()
    db._finish(_lib.spm_target_import_json(byref(n), db._p, _b(text, "json"),
                                           _b(reason, "reason")))
    return n.value


_NAMES = {v: k for k, v in METHODS.items()}
_PERIOD_NAMES = {v: k for k, v in PERIODS.items()}


def plan_from_json(text, capacity=1024):
    """Parses a plan; returns a dict of decompose()'s keyword arguments."""
    plan = _Plan()
    w, r = (c_int64 * capacity)(), (c_int64 * capacity)()
    _check(_lib.spm_target_plan_from_json(byref(plan), w, capacity, r, capacity,
                                          _b(text, "json")))
    return {"method": _NAMES[plan.method], "child_period": _PERIOD_NAMES[plan.child_period],
            "weights": list(w[:plan.nweights]), "ramp_ppm": list(r[:plan.nramp]),
            "keep_total": bool(plan.keep_total), "dry_run": bool(plan.dry_run)}


def plan_to_json(method, child_period="month", weights=None, ramp_ppm=None,
                 keep_total=False, dry_run=False):
    """A plan as JSON text."""
    plan, _keep = _plan(method, child_period, weights, ramp_ppm, keep_total, dry_run)
    return _collect(_lib.spm_target_plan_to_json, byref(plan))

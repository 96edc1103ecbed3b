"""Pipelines, opportunities and stage gates (include/spm/pipeline.h).

    import spm
    pid = spm.pipeline.load(db, {"name": "New business", "stages": [...]})
    text = spm.pipeline.export(db, pid)
    try:
        spm.pipeline.move(db, deal_id, stage_id)
    except spm.pipeline.GateError as e:
        for c in e.unmet:
            print(c.name, c.rule, c.why)
    spm.pipeline.move(db, deal_id, stage_id, override="customer asked")

Pipelines, stages, opportunities, line items and stage history are records
(db.new_record("opportunity", ...)); docs/pipelines.md describes them.
"""
import ctypes
import json
from ctypes import CFUNCTYPE, POINTER, byref, c_char_p, c_int, c_int64, c_size_t, c_void_p
from typing import NamedTuple

from . import _capi as _c
from . import SpmError, _CLASSES, _b, _int64
from ._capi import lib as _lib

__all__ = ["GateError", "Criterion", "load", "export", "move", "check_gate",
           "ACTION_OVERRIDE_GATE"]

ACTION_OVERRIDE_GATE = "override_gate"

_write_cb = CFUNCTYPE(c_int, c_void_p, c_size_t, c_void_p)
_P = c_void_p
for _name, (_res, _args) in {
    "spm_pipeline_load": (c_int, [POINTER(c_int64), _P, c_char_p]),
    "spm_pipeline_export": (c_int, [_P, c_int64, _write_cb, c_void_p]),
    "spm_opportunity_move": (c_int, [POINTER(_P), _P, c_int64, c_int64, c_char_p]),
    "spm_opportunity_check_gate": (c_int, [POINTER(_P), _P, c_int64]),
    "spm_gate_report_free": (None, [_P]),
    "spm_gate_report_count": (c_size_t, [_P]),
    "spm_gate_report_item": (c_int, [POINTER(c_char_p), POINTER(c_char_p), POINTER(c_char_p),
                                     _P, c_size_t]),
}.items():
    _fn = getattr(_lib, _name)
    _fn.restype = _res
    _fn.argtypes = _args


class Criterion(NamedTuple):
    """An unmet criterion of a stage gate."""
    name: str   # the criterion's name, or "required: FIELD"
    rule: str   # the rule's canonical text
    why: str    # the rule engine's explanation


class GateError(SpmError):
    """SPM_EGATE: exit criteria of the stage being left are not met (.unmet)."""

    def __init__(self, message, code=_c.EGATE, name=None):
        super().__init__(message, code, name)
        self.unmet = []


_CLASSES[_c.EGATE] = GateError


def _take_report(ptr):
    """Copies a gate report into a list of Criterion and frees it."""
    if not ptr:
        return []
    try:
        out = []
        for i in range(_lib.spm_gate_report_count(ptr)):
            n, r, w = c_char_p(), c_char_p(), c_char_p()
            _lib.spm_gate_report_item(byref(n), byref(r), byref(w), ptr, i)
            out.append(Criterion(n.value.decode(), r.value.decode(), w.value.decode()))
        return out
    finally:
        _lib.spm_gate_report_free(ptr)


def load(db, document):
    """Creates a pipeline and its stages from a JSON document (text or a
    dict), in one transaction; returns the pipeline's id. A bad document
    raises spm.Invalid with its path and changes nothing."""
    if not isinstance(document, (str, bytes)):
        document = json.dumps(document)
    out = c_int64()
    db._finish(_lib.spm_pipeline_load(byref(out), db._p, _b(document, "document")))
    return out.value


def export(db, pipeline):
    """The pipeline as a JSON document (text) that load() accepts."""
    parts = []

    def write(data, length, _payload):
        parts.append(ctypes.string_at(data, length))
        return 0
    db._finish(_lib.spm_pipeline_export(db._p, _int64(pipeline, "pipeline"), _write_cb(write),
                                        None))
    return b"".join(parts).decode()


def move(db, opportunity, stage, override=None):
    """Moves a deal to a stage. Unmet criteria raise GateError (.unmet);
    with override (a reason) and the override_gate action the move happens
    and the overridden criteria are returned (else an empty list)."""
    rep = c_void_p()
    rc = _lib.spm_opportunity_move(byref(rep), db._p, _int64(opportunity, "opportunity"),
                                   _int64(stage, "stage"),
                                   None if override is None else _b(override, "override"))
    unmet = _take_report(rep.value)
    try:
        db._finish(rc)
    except GateError as e:
        e.unmet = unmet
        raise
    return unmet


def check_gate(db, opportunity):
    """The unmet criteria of a deal's current stage (an empty list: none)."""
    rep = c_void_p()
    rc = _lib.spm_opportunity_check_gate(byref(rep), db._p, _int64(opportunity, "opportunity"))
    unmet = _take_report(rep.value)
    db._finish(rc)
    return unmet

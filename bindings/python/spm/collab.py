"""Quotes, contracts and collections, comments and approvals (include/spm/collab.h).

    import spm
    from spm import collab
    q2 = collab.quote_revise(db, q1)
    try:
        collab.quote_send(db, q2)
    except spm.ApprovalNeeded as e:
        print("waiting for request", e.request)
    collab.contract_set_plan(db, contract, [(datetime.date(2026, 4, 1), 5000), ...])

Tasks, payments, credit notes and complaints are plain records
(db.new_record("payment", ...)); the library applies their rules.
"""
import ctypes
from ctypes import POINTER, byref, c_char_p, c_int, c_int32, c_int64, c_size_t, c_void_p

from . import ApprovalNeeded, _b, _date_to_days, _int64, _opt_b, _size
from ._capi import lib as _lib

__all__ = ["QUOTE_DISCOUNT", "quote_revise", "quote_send", "installment_split",
           "contract_set_plan", "comment_add", "approval_submit", "approval_approve",
           "approval_reject", "approval_cancel"]

#: The action of the approval flows that guard sending a quote.
QUOTE_DISCOUNT = "quote_discount"

_P = c_void_p
for _name, (_res, _args) in {
    "spm_quote_revise": (c_int, [POINTER(c_int64), _P, c_int64]),
    "spm_quote_send": (c_int, [POINTER(c_int64), _P, c_int64]),
    "spm_installment_split": (c_int, [POINTER(c_int64), c_int64, c_size_t]),
    "spm_contract_set_plan": (c_int, [_P, c_int64, POINTER(c_int64), POINTER(c_int32),
                                      c_size_t]),
    "spm_comment_add": (c_int, [POINTER(c_int64), _P, c_char_p, c_int64, c_char_p]),
    "spm_approval_submit": (c_int, [POINTER(c_int64), _P, c_char_p, c_char_p, c_int64,
                                    c_char_p]),
    "spm_approval_approve": (c_int, [_P, c_int64, c_char_p]),
    "spm_approval_reject": (c_int, [_P, c_int64, c_char_p]),
    "spm_approval_cancel": (c_int, [_P, c_int64]),
}.items():
    _fn = getattr(_lib, _name)
    _fn.restype = _res
    _fn.argtypes = _args


def quote_revise(db, quote):
    """A new draft version copying the latest version quote; returns its id."""
    out = c_int64()
    db._finish(_lib.spm_quote_revise(byref(out), db._p, _int64(quote, "quote")))
    return out.value


def quote_send(db, quote):
    """Sends a draft quote. Raises spm.ApprovalNeeded (with .request, the
    pending request's id) when its discount needs an approval first."""
    out = c_int64()
    try:
        db._finish(_lib.spm_quote_send(byref(out), db._p, _int64(quote, "quote")))
    except ApprovalNeeded as e:
        e.request = out.value
        raise


def installment_split(amount, n):
    """Splits int minor units into n installments that sum to it exactly."""
    _size(n, "n")
    out = (c_int64 * max(n, 1))()
    rc = _lib.spm_installment_split(out, _int64(amount, "amount"), n)
    if rc < 0:
        from . import _error
        raise _error(rc)
    return list(out[:n])


def contract_set_plan(db, contract, plan):
    """Replaces a contract's payment plan: plan is [(datetime.date due, int
    minor units), ...], summing exactly to the contract amount."""
    plan = list(plan)
    due = (c_int32 * max(len(plan), 1))(*[_date_to_days(d) for d, _ in plan])
    amounts = (c_int64 * max(len(plan), 1))(*[_int64(a, "amount") for _, a in plan])
    db._finish(_lib.spm_contract_set_plan(db._p, _int64(contract, "contract"), amounts, due,
                                          len(plan)))


def comment_add(db, kind, id, text):
    """Comments on a record; @[12] or @[Name] mentions a user. Returns the id."""
    out = c_int64()
    db._finish(_lib.spm_comment_add(byref(out), db._p, _b(kind, "kind"), _int64(id, "id"),
                                    _b(text)))
    return out.value


def approval_submit(db, action, kind, id, detail=None):
    """Submits (or resubmits) an approval request; returns its id."""
    out = c_int64()
    db._finish(_lib.spm_approval_submit(byref(out), db._p, _b(action, "action"),
                                        _b(kind, "kind"), _int64(id, "id"),
                                        _opt_b(detail, "detail")))
    return out.value


def approval_approve(db, request, comment=None):
    """Approves the current step of a request as the acting user."""
    db._finish(_lib.spm_approval_approve(db._p, _int64(request, "request"),
                                         _opt_b(comment, "comment")))


def approval_reject(db, request, comment=None):
    """Rejects a request as one of its current step's approvers."""
    db._finish(_lib.spm_approval_reject(db._p, _int64(request, "request"),
                                        _opt_b(comment, "comment")))


def approval_cancel(db, request):
    """Withdraws a pending request (its submitter)."""
    db._finish(_lib.spm_approval_cancel(db._p, _int64(request, "request")))

"""Leads and customers beyond the core Database methods: conversion with an
opportunity, seeded pool assignment, ownership history, tags and the
customer-360 view (include/spm/customer.h, include/spm/lead.h).

Every function takes an open spm.Database as its first argument.
"""
import json
from ctypes import (POINTER, Structure, byref, c_char_p, c_int, c_int64, c_size_t,
                    c_uint, c_uint32, c_uint64, c_void_p)

import spm
from spm import _capi as _c

_lib = _c.lib
_P = c_void_p


class _ConvertOptions(Structure):
    _fields_ = [("version", c_uint32), ("pipeline_id", c_int64), ("stage_id", c_int64),
                ("opportunity_name", c_char_p), ("amount_minor", c_int64),
                ("amount_currency", c_char_p)]


class _AssignOptions(Structure):
    _fields_ = [("version", c_uint32), ("seed", c_uint64)]


_PROTOS = {
    "spm_lead_convert2": (c_int, [POINTER(c_int64), POINTER(c_int64), POINTER(c_int64), _P,
                                  c_int64, POINTER(_ConvertOptions)]),
    "spm_lead_assign_pool2": (c_int, [POINTER(c_size_t), _P, POINTER(_AssignOptions)]),
    "spm_ownership_history": (c_int, [_P, c_char_p, c_int64, _c.record_cb, c_void_p]),
    "spm_customer_foreach_tagged": (c_int, [_P, c_char_p, _c.record_cb, c_void_p]),
    "spm_customer_360": (c_int, [POINTER(_P), _P, c_int64]),
    "spm_customer_view_json": (c_char_p, [_P]),
    "spm_customer_view_free": (None, [_P]),
}
for _name, (_res, _args) in _PROTOS.items():
    _fn = getattr(_lib, _name)
    _fn.restype = _res
    _fn.argtypes = _args


def convert_lead(db, lead, *, pipeline=None, stage=None, name=None, amount=None):
    """Converts a lead into a customer, a contact (when it names a person) and,
    when pipeline is given, an open opportunity in stage (default: the
    pipeline's first stage) — one transaction. amount is spm.Money or
    "12.50 CNY". Returns (customer_id, contact_id or 0, opportunity_id or 0)."""
    opts = _ConvertOptions(1, 0, 0, None, 0, None)
    if pipeline is not None:
        opts.pipeline_id = spm._int64(pipeline, "pipeline")
    if stage is not None:
        opts.stage_id = spm._int64(stage, "stage")
    if name is not None:
        opts.opportunity_name = spm._b(name, "name")
    if amount is not None:
        if isinstance(amount, str):
            amount = spm.Money.parse(amount)
        if not isinstance(amount, spm.Money):
            raise spm.Invalid("amount is spm.Money or text like '12.50 CNY', not %r"
                              % (amount,), _c.EINVAL)
        opts.amount_minor = spm._int64(amount.minor, "amount")
        opts.amount_currency = spm._b(amount.currency, "currency")
    customer, contact, opportunity = c_int64(), c_int64(), c_int64()
    db._finish(_lib.spm_lead_convert2(byref(customer), byref(contact), byref(opportunity),
                                      db._p, spm._int64(lead, "lead"), byref(opts)))
    return customer.value, contact.value, opportunity.value


def assign_pool(db, seed=None):
    """Assigns the pool by the assignment rules; with a seed, ties among
    least-busy users are broken by it (fair and repeatable). Returns the
    number of leads assigned."""
    out = c_size_t()
    if seed is None:
        db._finish(_lib.spm_lead_assign_pool2(byref(out), db._p, None))
    else:
        if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2 ** 64:
            raise spm.Invalid("seed is an int in 0 .. 2**64-1", _c.EINVAL)
        opts = _AssignOptions(1, seed)
        db._finish(_lib.spm_lead_assign_pool2(byref(out), db._p, byref(opts)))
    return out.value


def _records(db, cfn, *args):
    out = []

    def each(p, _payload):
        rec = spm._dup(db, p)
        with rec:
            out.append(rec.to_dict())
        return 0
    db._foreach(cfn, _c.record_cb, each, *args)
    return out


def ownership_history(db, kind, id):
    """Every change of owner of a lead, customer or opportunity, oldest first,
    as dicts (kind, entity_id, from_owner, to_owner, at, actor, via, reason)."""
    return _records(db, _lib.spm_ownership_history, db._p, spm._b(kind, "kind"),
                    spm._int64(id, "id"))


def customers_tagged(db, tag):
    """The customers (as dicts) the actor sees that carry a tag."""
    return _records(db, _lib.spm_customer_foreach_tagged, db._p, spm._b(tag, "tag"))


def customer_360(db, customer):
    """Everything about one customer as a dict: customer, tags, contacts,
    activities (newest first), ownership_history, opportunities and
    opportunity_totals (amounts in minor units per currency), and contracts,
    contract_totals and collection_totals when those kinds exist."""
    view = c_void_p()
    db._finish(_lib.spm_customer_360(byref(view), db._p, spm._int64(customer, "customer")))
    try:
        return json.loads(_lib.spm_customer_view_json(view).decode())
    finally:
        _lib.spm_customer_view_free(view)

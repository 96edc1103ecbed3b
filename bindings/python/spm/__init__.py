"""Python bindings for libspm, a thin ctypes layer over libspm.so.

    import spm
    with spm.open("crm.db", actor=7) as db:
        db.add_field("customer", "grade", "enum", choices=["A", "B", "C"])
        rec = db.new_record("customer", name="Acme", grade="B")
        rec.save()
        for r in db.query("customer").where("name", "=", "Acme"):
            print(r.to_dict())

The library is found through the SPM_LIBRARY environment variable (the path
of libspm.so), else ctypes.util.find_library("spm").

Conventions:
- C status codes become exceptions: SpmError(.code, .name) and one subclass
  per code (NotFound, Invalid, Conflict, …); SPM_ITEROVER is StopIteration.
- Children (records, batches, queries, iterators) keep their Database alive;
  closing the Database frees them, and using them afterwards raises Closed.
- An exception raised in a Python callback (listener, clock, foreach) is
  stored, the C call is stopped with SPM_EUSER, and the exception is raised
  again once the C call has returned: it never crosses C frames. A callback
  that returns spm.STOP stops the operation without an error.
- Money is never a float: amounts are int minor units (spm.Money(minor,
  currency)) or text parsed by the C parser ("12.50 EUR").
- Dates are datetime.date; times are int UTC seconds.
"""
import ctypes
import datetime
import json
from ctypes import byref, c_char_p, c_int, c_int32, c_int64, c_size_t, c_void_p
from typing import NamedTuple

from . import _capi as _c
from ._capi import lib as _lib

__all__ = [
    "open", "Database", "Record", "Query", "RecordIterator", "Batch", "Consumer",
    "Money", "Field", "AuditEntry", "AuditAnchor", "Event", "STOP",
    "SpmError", "Invalid", "NoMemory", "NotFound", "Exists", "StorageError", "Busy",
    "Permission", "Conflict", "VersionError", "Overflow", "RangeError",
    "CurrencyError", "UserStop", "Corrupt", "Limit", "Closed", "ApprovalNeeded",
    "version", "version_string", "schema_version_supported",
    "money_parse", "money_format", "money_split", "date_parse", "date_format",
]

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()


class _Stop:
    """Return spm.STOP from a callback to stop the operation without an error."""

    def __repr__(self):
        return "spm.STOP"


STOP = _Stop()


# ---------------------------------------------------------------- errors

class SpmError(Exception):
    """A libspm failure. .code is the negative status code, .name its name
    ("SPM_ENOTFOUND"), .message the library's message."""

    def __init__(self, message, code=_c.ERROR, name=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.name = name or _lib.spm_result_name(code).decode()

    def __repr__(self):
        return "%s(%r, %d, %r)" % (type(self).__name__, self.message, self.code, self.name)


class Invalid(SpmError, ValueError):
    """SPM_EINVAL: invalid argument or input."""


class NoMemory(SpmError, MemoryError):
    """SPM_ENOMEM."""


class NotFound(SpmError, LookupError):
    """SPM_ENOTFOUND: no such record, field, kind or consumer."""


class Exists(SpmError):
    """SPM_EEXISTS."""


class StorageError(SpmError):
    """SPM_ESTORAGE: the storage backend failed."""


class Busy(SpmError):
    """SPM_EBUSY."""


class Permission(SpmError):
    """SPM_EPERM: the actor or handle may not do this."""


class Conflict(SpmError):
    """SPM_ECONFLICT: a concurrent change won."""


class VersionError(SpmError):
    """SPM_EVERSION."""


class Overflow(SpmError, OverflowError):
    """SPM_EOVERFLOW: arithmetic overflow (money never wraps)."""


class RangeError(SpmError, ValueError):
    """SPM_ERANGE: a value out of its range."""


class CurrencyError(SpmError, ValueError):
    """SPM_ECURRENCY: currencies mixed without a rate."""


class UserStop(SpmError):
    """SPM_EUSER reported without a stored Python exception."""


class Corrupt(SpmError):
    """SPM_ECORRUPT."""


class Limit(SpmError):
    """SPM_ELIMIT: a configured limit refuses it (capacity, daily limit, cooldown, lock)."""


class ApprovalNeeded(SpmError):
    """SPM_EAPPROVAL: the action needs an approval first; a request was
    created or is pending (.request is its id when the call tells it)."""
    request = 0


class Closed(Invalid):
    """The handle (or its Database) is closed."""

    def __init__(self, message="the handle is closed"):
        super().__init__(message, _c.EINVAL)


_CLASSES = {
    _c.EINVAL: Invalid, _c.ENOMEM: NoMemory, _c.ENOTFOUND: NotFound,
    _c.EEXISTS: Exists, _c.ESTORAGE: StorageError, _c.EBUSY: Busy,
    _c.EPERM: Permission, _c.ECONFLICT: Conflict, _c.EVERSION: VersionError,
    _c.EOVERFLOW: Overflow, _c.ERANGE: RangeError, _c.ECURRENCY: CurrencyError,
    _c.EUSER: UserStop, _c.ECORRUPT: Corrupt, _c.ELIMIT: Limit,
    _c.EAPPROVAL: ApprovalNeeded,
}


def _error(rc):
    """The exception for a failed call; reads the thread-local message now."""
    message = _lib.spm_error_message().decode("utf-8", "replace")
    name = _lib.spm_result_name(rc).decode()
    return _CLASSES.get(rc, SpmError)(message or name, rc, name)


def _check(rc):
    if rc < 0:
        raise _error(rc)
    return rc


class _Trap:
    """Runs Python callbacks for C: stores the first exception instead of
    letting it reach ctypes, and remembers a request to stop."""

    def __init__(self):
        self.exc = None
        self.stopped = False

    def call(self, fn, *args):
        if self.exc is not None:
            return _c.EUSER
        try:
            result = fn(*args)
        except BaseException as exc:  # noqa: B902 - everything, KeyboardInterrupt too
            self.exc = exc
            return _c.EUSER
        if result is STOP:
            self.stopped = True
            return _c.EUSER
        return 0


# ---------------------------------------------------------------- conversions

def _b(value, what="text"):
    """str (or bytes, passed through for the library to validate) as a C string."""
    if isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
    elif isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    else:
        raise TypeError("%s must be str, not %s" % (what, type(value).__name__))
    if b"\0" in data:
        raise Invalid("%s contains a NUL byte" % what, _c.EINVAL)
    return data


def _opt_b(value, what="text"):
    return None if value is None else _b(value, what)


def _s(data):
    return None if data is None else data.decode("utf-8", "replace")


def _int64(value, what="value"):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be int, not %s" % (what, type(value).__name__))
    if not INT64_MIN <= value <= INT64_MAX:
        raise Overflow("%s does not fit in 64 bits" % what, _c.EOVERFLOW)
    return value


def _size(value, what="value"):
    _int64(value, what)
    if value < 0:
        raise Invalid("%s must not be negative" % what, _c.EINVAL)
    return value


def _date_to_days(d):
    if isinstance(d, datetime.datetime) or not isinstance(d, datetime.date):
        raise TypeError("expected datetime.date, not %s" % type(d).__name__)
    return d.toordinal() - _EPOCH_ORDINAL


def _days_to_date(days):
    return datetime.date.fromordinal(days + _EPOCH_ORDINAL)


# ---------------------------------------------------------------- helpers

def version():
    """(major, minor, patch) of the linked library."""
    major, minor, patch = c_int(), c_int(), c_int()
    _lib.spm_version(byref(major), byref(minor), byref(patch))
    return (major.value, minor.value, patch.value)


def version_string():
    """The linked library's version as text, e.g. "0.1.0"."""
    return _lib.spm_version_string().decode()


__version__ = version_string()


def schema_version_supported():
    """The schema version this library writes."""
    return _lib.spm_schema_version_supported()


class Money(NamedTuple):
    """An exact amount: int minor units and an ISO 4217 code."""
    minor: int
    currency: str

    def __str__(self):
        return "%s %s" % (money_format(self.minor, self.currency), self.currency)

    @classmethod
    def parse(cls, text, currency=None):
        """Money.parse("12.50 EUR") or Money.parse("12.50", "EUR")."""
        if currency is None:
            amount, sep, currency = _s(_b(text)).rpartition(" ")
            if not sep:
                raise Invalid("'%s' is not money: write it as '12.50 EUR'" % text,
                              _c.EINVAL)
            text = amount
        return cls(money_parse(text, currency), currency)


def money_parse(text, currency):
    """Parses decimal text strictly into int minor units ("12.50", "EUR" → 1250)."""
    out = c_int64()
    _check(_lib.spm_money_parse(byref(out), _b(text), _b(currency, "currency")))
    return out.value


def money_format(amount, currency):
    """Formats int minor units as plain decimal text (1250, "EUR" → "12.50")."""
    buf = ctypes.create_string_buffer(_c.MONEY_FORMAT_MAX)
    _check(_lib.spm_money_format(buf, len(buf), _int64(amount, "amount"),
                                 _b(currency, "currency")))
    return buf.value.decode()


def money_split(amount, weights):
    """Splits int minor units into parts proportional to int weights that sum
    to the amount exactly (largest remainder)."""
    ws = [_int64(w, "weight") for w in weights]
    arr = (c_int64 * max(len(ws), 1))(*ws)
    out = (c_int64 * max(len(ws), 1))()
    _check(_lib.spm_money_split(out, _int64(amount, "amount"), arr, len(ws)))
    return list(out[:len(ws)])


def date_parse(text):
    """Parses "YYYY-MM-DD" strictly into a datetime.date."""
    out = c_int32()
    _check(_lib.spm_date_parse(byref(out), _b(text)))
    return _days_to_date(out.value)


def date_format(d):
    """Formats a datetime.date as "YYYY-MM-DD"."""
    buf = ctypes.create_string_buffer(_c.DATE_FORMAT_MAX)
    _check(_lib.spm_date_format(buf, len(buf), _date_to_days(d)))
    return buf.value.decode()


def _type_code(t):
    if isinstance(t, str):
        out = c_int()
        _check(_lib.spm_field_type_parse(byref(out), _b(t, "type")))
        return out.value
    return _int64(t, "type")


def _type_name(code):
    name = _lib.spm_field_type_name(code)
    return name.decode() if name else str(code)


def _event_type_code(t):
    if isinstance(t, str):
        for code in range(1, 64):
            name = _lib.spm_event_type_name(code)
            if name is not None and name.decode() == t:
                return code
        raise Invalid("unknown event type '%s'" % t, _c.EINVAL)
    return _int64(t, "event type")


# ---------------------------------------------------------------- value types

class Field(NamedTuple):
    """A field of a kind, as reported by Database.fields()."""
    kind: str
    name: str
    type: str
    custom: bool
    required: bool
    indexed: bool
    readonly: bool
    choices: tuple
    label: object
    max_length: int


_AUDIT_OPS = {1: "create", 2: "update", 3: "delete", 4: "schema"}


class AuditEntry(NamedTuple):
    """One audit entry; op is "create", "update", "delete" or "schema"."""
    id: int
    change_seq: int
    at: int
    actor: int
    op: str
    kind: str
    entity_id: int
    field: object
    old_value: object
    new_value: object


class AuditAnchor(NamedTuple):
    """The head of the audit log's hash chain: the newest row's id and its
    32-byte SHA-256 hash (id 0 and zero bytes for an empty log). Keep it
    outside the database and pass it to Database.audit_verify() later."""
    id: int
    hash: bytes

    @property
    def hex(self):
        """The hash as 64 lower-case hex digits."""
        return self.hash.hex()


class Event(NamedTuple):
    """One event of the outbox; type is its name ("record.created")."""
    seq: int
    change_seq: int
    at: int
    actor: int
    type: str
    kind: str
    entity_id: int
    payload: str

    @property
    def data(self):
        """The payload parsed from JSON."""
        return json.loads(self.payload)


def _event(p):
    e = p.contents
    name = _lib.spm_event_type_name(e.type)
    return Event(e.seq, e.change_seq, e.at, e.actor, name.decode() if name else str(e.type),
                 _s(e.kind), e.entity_id, _s(e.payload))


# ---------------------------------------------------------------- database

_CMP = {"=": 1, "==": 1, "eq": 1, "!=": 2, "ne": 2, "<": 3, "lt": 3, "<=": 4, "le": 4,
        ">": 5, "gt": 5, ">=": 6, "ge": 6}


class Database:
    """An open dataset (spm_db). Prefer spm.open(...) and a with block."""

    def __init__(self, path=":memory:", *, actor=0, clock=None, create=True,
                 readonly=False, busy_timeout_ms=5000):
        self._h = None
        self._live = {}          # child handle -> its C free function
        self._trap = _Trap()     # listeners and the clock
        self._listeners = {}     # id -> ctypes callback (kept alive)
        self._fields = {}        # kind -> {name: type code}
        opts = _c.DbOptions()
        _check(_lib.spm_db_options_init(byref(opts), _c.DB_OPTIONS_VERSION))
        opts.path = _b(path, "path")
        opts.flags = (_c.OPEN_CREATE if create else 0) | (_c.OPEN_READONLY if readonly else 0)
        opts.busy_timeout_ms = _int64(busy_timeout_ms, "busy_timeout_ms")
        opts.actor = _int64(actor, "actor")
        self._clock = None
        if clock is not None:
            if not callable(clock):
                raise TypeError("clock must be callable")
            self._clock = _c.clock_cb(self._make_clock(clock))
            opts.clock = self._clock
        h = c_void_p()
        rc = _lib.spm_db_open(byref(h), byref(opts))
        self._finish(rc)
        self._h = h.value

    def _make_clock(self, clock):
        trap = self._trap

        def tick(_payload):
            if trap.exc is not None:
                return 0
            try:
                now = clock()
                return _int64(now, "the clock's result")
            except BaseException as exc:  # noqa: B902
                trap.exc = exc
                return 0
        return tick

    def _finish(self, rc, trap=None):
        """After a C call: re-raise an exception stored by a callback (the
        call's own trap first, then the listeners' and clock's), treat a
        requested stop as success, raise for other errors."""
        exc, stopped = None, False
        for t in (self._trap,) if trap is None else (trap, self._trap):
            if exc is None:
                exc = t.exc
            stopped = stopped or t.stopped
            t.exc, t.stopped = None, False
        if exc is not None:
            raise exc
        if rc == _c.EUSER and stopped:
            return _c.OK
        return _check(rc)

    @property
    def _p(self):
        if self._h is None:
            raise Closed("the database is closed")
        return self._h

    def _adopt(self, ptr, free):
        self._live[ptr] = free
        return ptr

    def _release(self, ptr):
        free = self._live.pop(ptr, None)
        if free is not None:
            free(ptr)

    # lifetime
    def close(self):
        """Frees every child handle still open, then closes. Idempotent."""
        if self._h is None:
            return
        for ptr, free in list(self._live.items()):
            del self._live[ptr]
            free(ptr)
        _lib.spm_db_close(self._h)
        self._h = None
        self._listeners.clear()

    @property
    def closed(self):
        return self._h is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    # handle properties
    @property
    def actor(self):
        """The acting user (0 is the system); assign to change it."""
        return _lib.spm_db_actor(self._p)

    @actor.setter
    def actor(self, value):
        self._finish(_lib.spm_db_set_actor(self._p, _int64(value, "actor")))

    def now(self):
        """The handle's notion of now (its clock), UTC seconds."""
        t = _lib.spm_db_now(self._p)
        self._finish(0)
        return t

    @property
    def schema_version(self):
        out = c_int()
        self._finish(_lib.spm_db_schema_version(byref(out), self._p))
        return out.value

    def tick(self, now):
        """Runs the time-driven work due at now (UTC seconds)."""
        self._finish(_lib.spm_db_tick(self._p, _int64(now, "now")))

    # org
    def scope(self):
        """The acting user's data scope: "own", "team" or "all"."""
        out = c_int()
        self._finish(_lib.spm_org_scope(byref(out), self._p))
        return {1: "own", 2: "team", 3: "all"}[out.value]

    def can(self, action):
        """Whether the acting user's role grants an action ("org", "schema", "pool", …)."""
        out = c_int()
        self._finish(_lib.spm_org_can(byref(out), self._p, _b(action, "action")))
        return bool(out.value)

    def visible(self, kind, id):
        """Whether the acting user may see a record."""
        out = c_int()
        self._finish(_lib.spm_org_visible(byref(out), self._p, _b(kind, "kind"),
                                          _int64(id, "id")))
        return bool(out.value)

    def team_of(self, user, on):
        """The team a user was in on a date (datetime.date), or None."""
        out = c_int64()
        rc = _lib.spm_org_team_of(byref(out), self._p, _int64(user, "user"),
                                  _date_to_days(on))
        if rc == _c.ENOTFOUND:
            self._finish(0)
            return None
        self._finish(rc)
        return out.value

    def available(self, user, on):
        """Whether a user is active and not on leave on a date."""
        out = c_int()
        self._finish(_lib.spm_org_available(byref(out), self._p, _int64(user, "user"),
                                            _date_to_days(on)))
        return bool(out.value)

    # leads
    def claim_lead(self, lead):
        """The acting user claims a lead from the pool (spm.Conflict when it is taken)."""
        self._finish(_lib.spm_lead_claim(self._p, _int64(lead, "lead")))

    def assign_pool(self):
        """Assigns the pool by the assignment rules; returns how many leads moved."""
        out = c_size_t()
        self._finish(_lib.spm_lead_assign_pool(byref(out), self._p))
        return out.value

    def convert_lead(self, lead):
        """Turns a lead into a customer (and a contact); returns (customer_id, contact_id or 0)."""
        customer, contact = c_int64(), c_int64()
        self._finish(_lib.spm_lead_convert(byref(customer), byref(contact), self._p,
                                           _int64(lead, "lead")))
        return customer.value, contact.value

    def merge(self, kind, survivor, other):
        """Merges other into survivor (two leads or two customers)."""
        self._finish(_lib.spm_record_merge(self._p, _b(kind, "kind"), _int64(survivor, "survivor"),
                                           _int64(other, "other")))

    def handover(self, from_user, to_user, reason):
        """Moves a leaving user's open leads, customers and open opportunities to
        to_user (0: the pool); returns how many records moved."""
        out = c_size_t()
        self._finish(_lib.spm_org_handover(byref(out), self._p, _int64(from_user, "from_user"),
                                           _int64(to_user, "to_user"), _b(reason, "reason")))
        return out.value

    def release_lead(self, lead, reason):
        """Sends a lead back to the pool with a reason."""
        self._finish(_lib.spm_lead_release(self._p, _int64(lead, "lead"), _b(reason, "reason")))

    # schema
    def add_field(self, kind, name, type, *, choices=None, label=None, required=False,
                  indexed=False, max_length=0):
        """Defines a custom field; type is a name ("text", "money", "enum", …)."""
        opts = _c.FieldOptions()
        _check(_lib.spm_field_options_init(byref(opts), _c.FIELD_OPTIONS_VERSION))
        opts.flags = (_c.FIELD_REQUIRED if required else 0) | (_c.FIELD_INDEXED if indexed else 0)
        keep = None
        if choices is not None:
            if isinstance(choices, (str, bytes)):
                raise TypeError("choices must be a sequence of str")
            keep = [_b(c, "choice") for c in choices]
            opts.choices = (c_char_p * max(len(keep), 1))(*keep)
            opts.nchoices = len(keep)
        opts.label = _opt_b(label, "label")
        opts.max_length = _size(max_length, "max_length")
        code = _type_code(type)
        try:
            self._finish(_lib.spm_field_add(self._p, _b(kind, "kind"), _b(name, "name"), code,
                                            byref(opts)))
        finally:
            self._fields.pop(kind, None)

    def drop_field(self, kind, name):
        """Drops a custom field and erases its values."""
        try:
            self._finish(_lib.spm_field_drop(self._p, _b(kind, "kind"), _b(name, "name")))
        finally:
            self._fields.pop(kind, None)

    def fields(self, kind=None):
        """The fields of a kind (or of every kind), core fields first."""
        out = []

        def each(p, _payload):
            f = p.contents
            out.append(Field(
                _s(f.kind), _s(f.name), _type_name(f.type), bool(f.flags & _c.FIELD_CUSTOM),
                bool(f.flags & _c.FIELD_REQUIRED), bool(f.flags & _c.FIELD_INDEXED),
                bool(f.flags & _c.FIELD_READONLY),
                tuple(_s(f.choices[i]) for i in range(f.nchoices)) if f.choices else (),
                _s(f.label), f.max_length))
        self._foreach(_lib.spm_field_foreach, _c.field_cb, each, self._p,
                      _opt_b(kind, "kind"))
        return out

    def kinds(self):
        """The entity kinds records can be written to."""
        out = []
        self._foreach(_lib.spm_kind_foreach, _c.kind_cb, lambda k, _p: out.append(_s(k)),
                      self._p)
        return out

    def _foreach(self, cfn, cbtype, fn, *args):
        """Calls a C foreach with fn as its callback; fn's exceptions are
        re-raised after the C call, spm.STOP stops quietly."""
        trap = _Trap()
        cb = cbtype(lambda *a: trap.call(fn, *a))
        self._finish(cfn(*args, cb, None), trap)

    def _field_type(self, kind, name):
        types = self._fields.get(kind)
        if types is None or name not in types:
            types = {}

            def each(p, _payload):
                types[_s(p.contents.name)] = p.contents.type
                return 0
            rc = _lib.spm_field_foreach(self._p, _b(kind, "kind"), _c.field_cb(each), None)
            if rc < 0:
                return None
            self._fields[kind] = types
        return types.get(name)

    # records
    def new_record(self, kind, values=None, **fields):
        """A new, unsaved record, with fields set from values and keywords."""
        h = c_void_p()
        self._finish(_lib.spm_record_new(byref(h), self._p, _b(kind, "kind")))
        rec = Record(self, h.value)
        try:
            rec.update(values or {}, **fields)
        except BaseException:
            rec.close()
            raise
        return rec

    def get(self, kind, id):
        """Reads a stored record; NotFound when it does not exist."""
        h = c_void_p()
        self._finish(_lib.spm_record_get(byref(h), self._p, _b(kind, "kind"), _int64(id, "id")))
        return Record(self, h.value)

    def save(self, record):
        """Same as record.save()."""
        return record.save()

    def delete(self, kind, id):
        """Deletes a record (a tombstone keeps its id and change sequence)."""
        self._finish(_lib.spm_record_delete(self._p, _b(kind, "kind"), _int64(id, "id")))

    def query(self, kind):
        """A query over the live records of a kind, in id order."""
        return Query(self, kind)

    def batch(self):
        """An empty batch of writes committed together."""
        return Batch(self)

    # audit and events
    def audit(self, kind=None, entity_id=0):
        """Audit entries of one record, one kind, or all, oldest first."""
        out = []

        def each(p, _payload):
            e = p.contents
            out.append(AuditEntry(e.id, e.change_seq, e.at, e.actor,
                                  _AUDIT_OPS.get(e.op, str(e.op)), _s(e.kind), e.entity_id,
                                  _s(e.field), _s(e.old_value), _s(e.new_value)))
        self._foreach(_lib.spm_audit_foreach, _c.audit_cb, each, self._p,
                      _opt_b(kind, "kind"), _int64(entity_id, "entity_id"))
        return out

    def audit_head(self):
        """The head of the audit chain (an AuditAnchor), to keep outside the
        database; needs an actor who sees everything (Permission otherwise)."""
        a = _c.AuditAnchor()
        self._finish(_lib.spm_audit_head(byref(a), self._p))
        return AuditAnchor(a.id, bytes(a.hash))

    def audit_verify(self, anchor=None):
        """Recomputes the audit chain from the first row; with an anchor
        (an AuditAnchor or an (id, 32 bytes) pair) also checks that the chain
        still holds it. Raises Corrupt naming the first entry that does not
        match; needs an actor who sees everything."""
        if anchor is None:
            self._finish(_lib.spm_audit_verify(self._p, None))
            return
        try:
            aid, ahash = anchor
        except (TypeError, ValueError):
            raise TypeError("anchor must be an AuditAnchor or an (id, hash) pair") from None
        if not isinstance(ahash, (bytes, bytearray)) or len(ahash) != 32:
            raise TypeError("an anchor's hash is 32 bytes")
        a = _c.AuditAnchor(_c.AUDIT_ANCHOR_VERSION, _int64(aid, "anchor id"),
                           (ctypes.c_ubyte * 32)(*ahash))
        self._finish(_lib.spm_audit_verify(self._p, byref(a)))

    def add_listener(self, callback, types=None):
        """Calls callback(event) after each commit for the given event types
        (names or numbers; None for all). Returns the listener's id.

        An exception from the callback is re-raised by the writing call (the
        write is committed); returning spm.STOP skips the later listeners."""
        if not callable(callback):
            raise TypeError("callback must be callable")
        if types is None:
            mask = (1 << 64) - 1
        else:
            if isinstance(types, (str, int)):
                types = [types]
            mask = 0
            for t in types:
                code = _event_type_code(t)
                if not 0 <= code < 64:
                    raise Invalid("unknown event type %d" % code, _c.EINVAL)
                mask |= 1 << code
        trap = self._trap
        cb = _c.event_cb(lambda p, _payload: trap.call(callback, _event(p)))
        out = c_int()
        self._finish(_lib.spm_listener_add(byref(out), self._p, mask, cb, None))
        self._listeners[out.value] = cb
        return out.value

    def remove_listener(self, listener_id):
        self._finish(_lib.spm_listener_remove(self._p, _int64(listener_id, "listener id")))
        self._listeners.pop(listener_id, None)

    def outbox(self, after=0, limit=0):
        """Up to limit (0: all) outbox events with a sequence above after."""
        out = []
        self._foreach(_lib.spm_outbox_foreach, _c.event_cb,
                      lambda p, _payload: out.append(_event(p)), self._p,
                      _int64(after, "after"), _size(limit, "limit"))
        return out

    def outbox_last(self):
        """The sequence of the newest outbox event (0 when empty)."""
        out = c_int64()
        self._finish(_lib.spm_outbox_last(byref(out), self._p))
        return out.value

    def consumer(self, name):
        """A named durable consumer of the outbox."""
        return Consumer(self, name)


def open(path=":memory:", **options):  # noqa: A001 - spm.open mirrors spm_db_open
    """Opens (and by default creates) a dataset. Options: actor (int), clock
    (a callable returning UTC seconds), create, readonly, busy_timeout_ms."""
    return Database(path, **options)


class _Child:
    """A handle made from a Database; freed with it at the latest."""

    _free_fn = None

    def __init__(self, db, ptr):
        self._db = db
        self._h = db._adopt(ptr, type(self)._free_fn)

    @property
    def _p(self):
        if self._h is None or self._h not in self._db._live:
            raise Closed("%s is closed" % type(self).__name__)
        return self._h

    @property
    def database(self):
        return self._db

    def close(self):
        h, self._h = self._h, None
        if h is not None:
            self._db._release(h)

    @property
    def closed(self):
        return self._h is None or self._h not in self._db._live

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


def _dup(db, borrowed):
    h = c_void_p()
    _check(_lib.spm_record_dup(byref(h), borrowed))
    return Record(db, h.value)


class Record(_Child):
    """A private, in-memory copy of a record. Item access reads and writes
    fields with Python types; save() writes the changed fields."""

    _free_fn = staticmethod(_lib.spm_record_free)

    @property
    def kind(self):
        return _s(_lib.spm_record_kind(self._p))

    @property
    def id(self):
        return _lib.spm_record_id(self._p)

    @property
    def seq(self):
        return _lib.spm_record_seq(self._p)

    @property
    def deleted(self):
        """True for a tombstone returned by a changed-since query."""
        return bool(_lib.spm_record_is_deleted(self._p))

    def _type(self, field):
        return self._db._field_type(self.kind, field)

    def __getitem__(self, field):
        p = self._p
        fb = _b(field, "field")
        t = self._type(field)
        null = c_int()
        self._db._finish(_lib.spm_record_is_null(byref(null), p, fb))
        if null.value:
            return None
        if t in (_c.FIELD_TEXT, _c.FIELD_ENUM):
            out = c_char_p()
            self._db._finish(_lib.spm_record_get_text(byref(out), p, fb))
            return _s(out.value)
        if t == _c.FIELD_MONEY:
            minor, cur = c_int64(), c_char_p()
            self._db._finish(_lib.spm_record_get_money(byref(minor), byref(cur), p, fb))
            return Money(minor.value, _s(cur.value))
        if t == _c.FIELD_DATE:
            d = c_int32()
            self._db._finish(_lib.spm_record_get_date(byref(d), p, fb))
            return _days_to_date(d.value)
        if t == _c.FIELD_BOOLEAN:
            v = c_int()
            self._db._finish(_lib.spm_record_get_bool(byref(v), p, fb))
            return bool(v.value)
        if t == _c.FIELD_TIME:
            v = c_int64()
            self._db._finish(_lib.spm_record_get_time(byref(v), p, fb))
            return v.value
        v = c_int64()
        self._db._finish(_lib.spm_record_get_int(byref(v), p, fb))
        return v.value

    def get(self, field, default=None):
        """The field's value, or default when it has none."""
        value = self[field]
        return default if value is None else value

    def get_text(self, field):
        """The field rendered as text (the form set_text() parses), or None."""
        out = c_char_p()
        self._db._finish(_lib.spm_record_get_as_text(byref(out), self._p, _b(field, "field")))
        return _s(out.value)

    def set_text(self, field, text):
        """Sets a field from text parsed by the field's type ("12.50 EUR",
        "2026-03-05", "true", …); None clears it."""
        self._db._finish(_lib.spm_record_set_from_text(self._p, _b(field, "field"),
                                                        _opt_b(text)))

    def __setitem__(self, field, value):
        p = self._p
        fb = _b(field, "field")
        if isinstance(value, float):
            raise TypeError("%s: floats are refused (money is int minor units, or text)"
                            % field)
        if value is None:
            return self._db._finish(_lib.spm_record_set_null(p, fb))
        t = self._type(field)
        if t is None:
            # Unknown field: let the library report it.
            null = c_int()
            return self._db._finish(_lib.spm_record_is_null(byref(null), p, fb))
        if isinstance(value, (bytes, bytearray)) and t in (_c.FIELD_TEXT, _c.FIELD_ENUM):
            return self._db._finish(_lib.spm_record_set_text(p, fb, _b(value)))
        if isinstance(value, str):
            if t in (_c.FIELD_TEXT, _c.FIELD_ENUM):
                return self._db._finish(_lib.spm_record_set_text(p, fb, _b(value)))
            return self._db._finish(_lib.spm_record_set_from_text(p, fb, _b(value)))
        if t == _c.FIELD_MONEY:
            if not isinstance(value, Money):
                raise TypeError("%s is money: use spm.Money(minor, currency) or text "
                                "such as '12.50 EUR', not %s" % (field, type(value).__name__))
            return self._db._finish(_lib.spm_record_set_money(
                p, fb, _int64(value.minor, "minor"), _b(value.currency, "currency")))
        if t == _c.FIELD_DATE:
            return self._db._finish(_lib.spm_record_set_date(p, fb, _date_to_days(value)))
        if t == _c.FIELD_BOOLEAN:
            if not isinstance(value, bool):
                raise TypeError("%s is boolean, not %s" % (field, type(value).__name__))
            return self._db._finish(_lib.spm_record_set_bool(p, fb, int(value)))
        if t == _c.FIELD_TIME:
            return self._db._finish(_lib.spm_record_set_time(p, fb, _int64(value, field)))
        if t == _c.FIELD_INTEGER:
            return self._db._finish(_lib.spm_record_set_int(p, fb, _int64(value, field)))
        raise TypeError("%s is %s, not %s" % (field, _type_name(t), type(value).__name__))

    def __delitem__(self, field):
        self[field] = None

    def update(self, values=(), **fields):
        """Sets several fields, like dict.update()."""
        items = values.items() if hasattr(values, "items") else values
        for k, v in items:
            self[k] = v
        for k, v in fields.items():
            self[k] = v

    def to_json(self):
        """The record as one JSON object: id, seq and every field with a value."""
        out = c_char_p()
        self._db._finish(_lib.spm_record_to_json(byref(out), self._p))
        return _s(out.value)

    def to_dict(self):
        """The record as a dict shaped like to_json(): kind, id, seq, and
        fields (every field with a value, in Python types: Money,
        datetime.date, bool, int, str). dict(record) gives the fields alone."""
        raw = json.loads(self.to_json())
        fields = {}
        for k, v in raw.get("fields", {}).items():
            t = self._type(k)
            if t == _c.FIELD_MONEY:
                v = Money(v["minor"], v["currency"])
            elif t == _c.FIELD_DATE:
                v = date_parse(v)
            fields[k] = v
        raw["fields"] = fields
        return raw

    def keys(self):
        """The fields that have a value."""
        return list(json.loads(self.to_json()).get("fields", {}))

    def __contains__(self, field):
        return field in self.keys()

    def save(self):
        """Creates (id 0) or updates the record in one transaction. Raises
        Conflict when another writer changed it since it was read."""
        self._db._finish(_lib.spm_record_save(self._db._p, self._p))
        return self

    def delete(self):
        self._db.delete(self.kind, self.id)

    def copy(self):
        return _dup(self._db, self._p)

    def __repr__(self):
        if self.closed:
            return "<spm.Record closed>"
        return "<spm.Record %s %d seq %d>" % (self.kind, self.id, self.seq)


class Query(_Child):
    """A filter over the records of one kind; iterate it for Records."""

    _free_fn = staticmethod(_lib.spm_query_free)

    def __init__(self, db, kind):
        h = c_void_p()
        db._finish(_lib.spm_query_new(byref(h), db._p, _b(kind, "kind")))
        super().__init__(db, h.value)

    def where(self, field, op, value):
        """Adds a condition on an indexed field: op is one of = != < <= > >=."""
        cmp = _CMP.get(op)
        if cmp is None:
            raise Invalid("unknown comparison '%s'" % (op,), _c.EINVAL)
        fb = _b(field, "field")
        if isinstance(value, str):
            rc = _lib.spm_query_where_text(self._p, fb, cmp, _b(value))
        elif isinstance(value, bool):
            rc = _lib.spm_query_where_int(self._p, fb, cmp, int(value))
        elif isinstance(value, datetime.date):
            rc = _lib.spm_query_where_int(self._p, fb, cmp, _date_to_days(value))
        else:
            if isinstance(value, float):
                raise TypeError("floats are refused")
            rc = _lib.spm_query_where_int(self._p, fb, cmp, _int64(value))
        self._db._finish(rc)
        return self

    def changed_since(self, seq):
        """Only records changed after seq, in change order, tombstones included."""
        self._db._finish(_lib.spm_query_changed_since(self._p, _int64(seq, "seq")))
        return self

    def limit(self, n):
        self._db._finish(_lib.spm_query_limit(self._p, _size(n, "limit")))
        return self

    def __iter__(self):
        return RecordIterator(self)

    def foreach(self, callback):
        """Calls callback(record) per match; return spm.STOP to stop. The
        record is borrowed: copy() it to keep it."""
        db = self._db

        def each(p, _payload):
            rec = _dup(db, p)
            try:
                return callback(rec)
            finally:
                rec.close()
        trap = _Trap()
        cb = _c.record_cb(lambda p, payload: trap.call(each, p, payload))
        db._finish(_lib.spm_query_foreach(self._p, cb, None), trap)

    def to_list(self):
        """Every matching record as a dict."""
        out = []
        for rec in self:
            with rec:
                out.append(rec.to_dict())
        return out


class RecordIterator(_Child):
    """Iterates the records a query matches (spm_record_iter)."""

    _free_fn = staticmethod(_lib.spm_record_iter_free)

    def __init__(self, query):
        h = c_void_p()
        query._db._finish(_lib.spm_record_iter_new(byref(h), query._p))
        super().__init__(query._db, h.value)

    def __iter__(self):
        return self

    def __next__(self):
        if self.closed:
            raise StopIteration
        out = c_void_p()
        rc = _lib.spm_record_iter_next(byref(out), self._p)
        if rc == _c.ITEROVER:
            self.close()
            raise StopIteration
        self._db._finish(rc)
        return _dup(self._db, out.value)


class Batch(_Child):
    """Writes committed together, optionally under an idempotency key."""

    _free_fn = staticmethod(_lib.spm_batch_free)

    def __init__(self, db):
        h = c_void_p()
        db._finish(_lib.spm_batch_new(byref(h), db._p))
        super().__init__(db, h.value)

    def save(self, record):
        """Adds a create or update of record (copied now)."""
        if not isinstance(record, Record):
            raise TypeError("expected spm.Record")
        self._db._finish(_lib.spm_batch_save(self._p, record._p))
        return self

    def delete(self, kind, id):
        self._db._finish(_lib.spm_batch_delete(self._p, _b(kind, "kind"), _int64(id, "id")))
        return self

    def __len__(self):
        return _lib.spm_batch_count(self._p)

    def commit(self, key=None):
        """Commits all writes or none; returns their ids. A key used before
        for the same batch replays the first commit (see .replayed)."""
        self._db._finish(_lib.spm_batch_commit(self._p, _opt_b(key, "key")))
        return self.ids

    @property
    def ids(self):
        out = []
        for i in range(len(self)):
            v = c_int64()
            self._db._finish(_lib.spm_batch_id(byref(v), self._p, i))
            out.append(v.value)
        return out

    @property
    def replayed(self):
        return bool(_lib.spm_batch_replayed(self._p))


class Consumer:
    """A named durable consumer of the outbox: poll, process, ack."""

    def __init__(self, db, name):
        self._db = db
        self.name = name
        self._nb = _b(name, "consumer name")

    @property
    def position(self):
        out = c_int64()
        self._db._finish(_lib.spm_consumer_position(byref(out), self._db._p, self._nb))
        return out.value

    def poll(self, limit=0):
        """Up to limit (0: all) events after the position; does not ack."""
        out = []
        self._db._foreach(_lib.spm_consumer_poll, _c.event_cb,
                          lambda p, _payload: out.append(_event(p)), self._db._p, self._nb,
                          _size(limit, "limit"))
        return out

    def ack(self, seq):
        """Records durably that every event up to seq is processed."""
        if isinstance(seq, Event):
            seq = seq.seq
        self._db._finish(_lib.spm_consumer_ack(self._db._p, self._nb, _int64(seq, "seq")))


from . import pipeline  # noqa: E402,F401 - the pipeline area (spm.pipeline)
from . import import_opps  # noqa: E402,F401 - an area module, after the core
# Each area's module (imported last: they build on the names above).
from . import customers  # noqa: E402,F401
from . import csv  # noqa: E402,F401
from . import collab  # noqa: E402,F401 - quotes, contracts, comments, approvals
from . import targets  # noqa: E402,F401  (spm.targets)
from . import report  # noqa: E402,F401  (analytics: spm.report.run(db, ...))

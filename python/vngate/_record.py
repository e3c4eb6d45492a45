"""The base of every result record in :mod:`vngate._models` (generated): frozen, attributes
named as the vocabulary, ``to_dict()`` / ``to_log_dict()``, equality by value, and a ``repr``
that shows no card PIN, no token and no raw body. Each generated class says which fields it has
(``_fields``) and which are masked, raw, enums or nested records (``_masked``, ``_raw``,
``_enums``, ``_nested``), from the schema.

Records are plain classes rather than dataclasses: ``import vngate`` is then ~15 ms faster
(no ``dataclasses``/``inspect`` import, no class generation per record). The native module
makes them (``_from``, and every call and callback directly), from a plan made once per class
(``_plan``)."""

from __future__ import annotations

import enum
from typing import Any, ClassVar, Dict, Mapping, NoReturn, Optional, Tuple, Type, TypeVar

from . import _vngate
from ._errors import InternalError


def mask(secret: str) -> str:
    """Only the last two characters of a PIN stay (none of a short one), as the core masks."""
    return "***" if len(secret) <= 4 else "***" + secret[-2:]


_R = TypeVar("_R", bound="Record")


class Record:
    _fields: ClassVar[Tuple[str, ...]] = ()
    _enums: ClassVar[Dict[str, Any]] = {}
    _nested: ClassVar[Dict[str, Any]] = {}
    _masked: ClassVar[Tuple[str, ...]] = ()
    _raw: ClassVar[Tuple[str, ...]] = ()

    def __init__(self, **fields: Any) -> None:
        """A record from its fields, all of them (as a test double, say)."""
        if set(fields) != set(self._fields):
            raise TypeError(f"{type(self).__name__} takes exactly the fields {list(self._fields)}")
        self.__dict__.update(fields)

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot set {name}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"{type(self).__name__} is frozen: cannot delete {name}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, name) for name in self._fields))

    def to_dict(self) -> Dict[str, Any]:
        """Every field, as stored: card codes and tokens and the provider's body (``raw``) in
        clear. For storage, not for logs: log :meth:`to_log_dict` instead."""
        return self._plain(redact=False)

    def to_log_dict(self) -> Dict[str, Any]:
        """Every field, safe to log: card codes and tokens masked as in ``repr`` (``***81``)
        and ``raw`` replaced by its length."""
        return self._plain(redact=True)

    def _plain(self, redact: bool) -> Dict[str, Any]:
        def plain(value: Any) -> Any:
            if isinstance(value, Record):
                return value._plain(redact)
            if isinstance(value, list):
                return [plain(v) for v in value]
            if isinstance(value, enum.Enum):
                return value.value
            return value

        out = {}
        for name in self._fields:
            value = plain(getattr(self, name))
            if redact and name in self._raw and isinstance(value, str):
                value = f"<{len(value.encode())} bytes>"
            elif redact and name in self._masked and isinstance(value, str):
                value = mask(value)
            out[name] = value
        return out

    def __repr__(self) -> str:
        shown = []
        for name in self._fields:
            value = getattr(self, name)
            if name in self._raw:
                continue
            if name in self._masked and isinstance(value, str):
                value = mask(value)
            shown.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    @classmethod
    def _from(cls: Type[_R], data: Mapping[str, Any]) -> _R:
        """The record of a dict of its fields (which it keeps as its own: no copy). Built by the
        native module, which makes the records of calls and callbacks the same way directly."""
        made: _R = _vngate._record(_plan(cls), data if type(data) is dict else dict(data))
        return made


# Plans by class (a dict lookup: cheaper than reading the class's own __dict__, and a subclass
# never inherits its parent's plan).
_PLANS: Dict[type, Tuple[Any, ...]] = {}


def _plan(cls: Type[Record]) -> Tuple[Any, ...]:
    """How the native module makes a record of ``cls``, made once per class: the class, its
    field names, its enum fields with their members by value, its nested records' plans."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = (
            cls,
            frozenset(cls._fields),
            tuple(_members(cls).items()),
            tuple((name, _plan(record)) for name, record in cls._nested.items()),
        )
        _PLANS[cls] = plan
    return plan


def _disagree(cls: Type[Record], data: Any) -> InternalError:
    """What a dict with other fields than the record's raises (raised by the native module)."""
    names = sorted(cls._fields)
    given = sorted(data) if isinstance(data, Mapping) else repr(type(data))
    # Not BadReply: after a money call that went through, that would invite a resend.
    return InternalError(
        f"vngate: {cls.__name__} fields {given} differ from {names}: the package and its native module disagree",
        {"kind": "internal"},
    )


def _members(cls: Type[Record]) -> Dict[str, Dict[Any, Any]]:
    """Each enum field's members by value, made once per class: a dict lookup per field
    instead of a call of the enum class."""
    members = cls.__dict__.get("_members")
    if members is None:
        members = {name: {member.value: member for member in kind} for name, kind in cls._enums.items()}
        type.__setattr__(cls, "_members", members)
    return members

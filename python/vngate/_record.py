"""The base of every result record in :mod:`vngate._models` (generated): frozen, attributes
named as the vocabulary, ``to_dict()`` / ``to_log_dict()``, equality by value, and a ``repr``
that shows no card PIN, no token and no raw body. Each generated class says which fields it has
(``_fields``) and which are masked, raw, enums or nested records (``_masked``, ``_raw``,
``_enums``, ``_nested``), from the schema.

Records are plain classes rather than dataclasses: ``import vngate`` is then ~15 ms faster
(no ``dataclasses``/``inspect`` import, no class generation per record)."""

from __future__ import annotations

import enum
from typing import Any, ClassVar, Dict, Mapping, NoReturn, Tuple, Type, TypeVar

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
        names = cls.__dict__.get("_names")
        if names is None:
            names = frozenset(cls._fields)
            type.__setattr__(cls, "_names", names)
        if data.keys() != names:
            # Not BadReply: after a money call that went through, that would invite a resend.
            raise InternalError(
                f"vngate: {cls.__name__} fields {sorted(data)} differ from {sorted(names)}: the package and its native module disagree",
                {"kind": "internal"},
            )
        # The native module hands over a fresh dict: no copy of it.
        values: Dict[str, Any] = data if isinstance(data, dict) else dict(data)
        for name, members in _members(cls).items():
            value = values[name]
            if value is not None:
                try:
                    values[name] = members.get(value, value)  # an unknown code is kept as sent
                except TypeError:  # unhashable: not a code
                    pass
        for name, record in cls._nested.items():
            value = values[name]
            if isinstance(value, list):
                values[name] = [record._from(v) for v in value]
            elif value is not None:
                values[name] = record._from(value)
        record_ = object.__new__(cls)
        record_.__dict__.update(values)
        return record_


def _members(cls: Type[Record]) -> Dict[str, Dict[Any, Any]]:
    """Each enum field's members by value, made once per class: a dict lookup per field
    instead of a call of the enum class."""
    members = cls.__dict__.get("_members")
    if members is None:
        members = {name: {member.value: member for member in kind} for name, kind in cls._enums.items()}
        type.__setattr__(cls, "_members", members)
    return members

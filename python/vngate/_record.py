"""The base of every result record in :mod:`vngate._models` (generated): frozen, attributes
named as the vocabulary, ``to_dict()`` / ``to_log_dict()``, and a ``repr`` that shows no card
PIN, no token and no raw body. Which fields are masked, raw, enums or nested records is said by
each generated class (``_masked``, ``_raw``, ``_enums``, ``_nested``), from the schema."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, ClassVar, Dict, Mapping, Tuple, Type, TypeVar

from ._errors import InternalError


def mask(secret: str) -> str:
    """Only the last two characters of a PIN stay (none of a short one), as the core masks."""
    return "***" if len(secret) <= 4 else "***" + secret[-2:]


_R = TypeVar("_R", bound="Record")


class Record:
    _enums: ClassVar[Dict[str, Any]] = {}
    _nested: ClassVar[Dict[str, Any]] = {}
    _masked: ClassVar[Tuple[str, ...]] = ()
    _raw: ClassVar[Tuple[str, ...]] = ()

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
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = plain(getattr(self, f.name))
            if redact and f.name in self._raw and isinstance(value, str):
                value = f"<{len(value.encode())} bytes>"
            elif redact and f.name in self._masked and isinstance(value, str):
                value = mask(value)
            out[f.name] = value
        return out

    def __repr__(self) -> str:
        shown = []
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if f.name in self._raw:
                continue
            if f.name in self._masked and isinstance(value, str):
                value = mask(value)
            shown.append(f"{f.name}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"

    @classmethod
    def _from(cls: Type[_R], data: Mapping[str, Any]) -> _R:
        names = cls.__dict__.get("_names")
        if names is None:
            names = frozenset(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
            setattr(cls, "_names", names)
        if data.keys() != names:
            # Not BadReply: after a money call that went through, that would invite a resend.
            raise InternalError(
                f"vngate: {cls.__name__} fields {sorted(data)} differ from {sorted(names)}: the package and its native module disagree",
                {"kind": "internal"},
            )
        values = dict(data)
        for name, kind in cls._enums.items():
            values[name] = _enum(kind, values[name])
        for name, record in cls._nested.items():
            value = values[name]
            if isinstance(value, list):
                values[name] = [record._from(v) for v in value]
            elif value is not None:
                values[name] = record._from(value)
        # What the frozen dataclass's __init__ would store, without its per-field
        # object.__setattr__ calls (the record's fields are all there, checked above).
        record_ = object.__new__(cls)
        record_.__dict__.update(values)
        return record_


def _enum(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        return value  # an unknown code is kept as sent

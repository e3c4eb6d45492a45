"""vngate's exceptions. The native module raises them, converting each core error in one place."""

from __future__ import annotations

from typing import Any, Dict, Optional


class Error(Exception):
    """Every vngate failure. ``details`` holds the error's fields; ``kind`` names its kind."""

    kind: str = "error"

    def __init__(self, message: str, details: Optional[Dict[str, Any]] = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: Dict[str, Any] = dict(details or {})


class InvalidInput(Error, ValueError):
    """The input or config breaks a rule; nothing was sent. ``field`` names it."""

    kind = "invalid_input"

    @property
    def field(self) -> str:
        return str(self.details.get("field", ""))

    @property
    def reason(self) -> str:
        return str(self.details.get("reason", ""))


class TransportError(Error):
    """Nothing changed at the provider (not sent, or a read-only call): safe to retry."""

    kind = "transport"


class OutcomeUnknown(Error):
    """A money-moving call may have reached the provider and no usable answer came back.

    Do NOT send it again: ``next_step`` says how to learn the outcome of ``reference`` (your
    ``request_id``, ``partner_ref_id``, ``order_id``, ``client_trans_id`` or card ``serial``,
    as ``reference_field`` says).
    """

    kind = "outcome_unknown"

    @property
    def operation(self) -> str:
        return str(self.details.get("operation", ""))

    @property
    def reference_field(self) -> str:
        return str(self.details.get("reference_field", ""))

    @property
    def reference(self) -> str:
        return str(self.details.get("reference", ""))

    @property
    def request_id(self) -> str:
        """Your id for the call (the same as ``reference``)."""
        return self.reference

    @property
    def next_step(self) -> str:
        return str(self.details.get("next_step", ""))


class BadReply(Error):
    """The provider's reply (or a callback) could not be read."""

    kind = "bad_reply"

    @property
    def http_status(self) -> Optional[int]:
        status = self.details.get("http_status")
        return int(status) if status is not None else None

    @property
    def excerpt(self) -> str:
        return str(self.details.get("excerpt", ""))


class SignatureMismatch(Error):
    """A callback or webhook signature is missing or wrong: reject it."""

    kind = "signature_mismatch"

    @property
    def field(self) -> str:
        return str(self.details.get("field", ""))


class CallbackMismatch(Error):
    """A verified callback does not match the stored request (or the provider's own record)."""

    kind = "callback_mismatch"

    @property
    def field(self) -> str:
        return str(self.details.get("field", ""))

    @property
    def expected(self) -> str:
        return str(self.details.get("expected", ""))

    @property
    def received(self) -> str:
        return str(self.details.get("received", ""))


class AuthError(Error):
    """The provider refused the credentials."""

    kind = "auth"


class InternalError(Error):
    """This package and its native module disagree about a result's shape: a bug in vngate,
    never the provider's answer. The call itself went through and its outcome is known to the
    core: do not resend a money-moving call; report the bug."""

    kind = "internal"


ERRORS = {cls.kind: cls for cls in (InvalidInput, TransportError, OutcomeUnknown, BadReply, SignatureMismatch, CallbackMismatch, AuthError)}

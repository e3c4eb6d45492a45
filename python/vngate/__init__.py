"""vngate: Vietnamese card and payout provider APIs.

One class per provider (``ChargingWs``, ``OpenCard``, ``AppotaPay``, ``Esms``, ``Topup``),
built with keyword arguments named as the core's config fields; methods and keywords named as
its vocabulary; results as frozen objects with the same attribute names, plus ``raw`` and
``to_dict()``. Network calls release the GIL; clients may be shared across threads.

A provider's business answer (wrong card, pending, refused) is a result. Errors are
exceptions under :class:`vngate.Error`; :class:`vngate.OutcomeUnknown` means a money-moving
call may have gone through: never resend it, follow its ``next_step``.

Signals: on the main thread a call waits in short steps and runs Python's signal handlers
between them, so Ctrl-C or a SIGTERM handler that raises ends the wait at once. When the
interrupted call moves money, the exception that propagates (``KeyboardInterrupt``, your
handler's) has an :class:`OutcomeUnknown` as ``__cause__`` with your reference and the call
that resolves it: do not resend.
"""

from __future__ import annotations

import json
import os
from typing import Any, ClassVar, Dict, Mapping, Optional, Type, TypeVar, Union

from . import _models, _vngate
from ._models import *  # noqa: F403 - the generated model: records, enums, TypedDicts
from ._models import (
    AccessToken,
    ApiToken,
    Balance,
    BankAccount,
    BankTransfer,
    BuyResult,
    Callback,
    CardOrder,
    CardProducts,
    CardResult,
    DataPackages,
    DecryptedCode,
    Disbursement,
    EsmsCallback,
    Fees,
    MobileTopup,
    OpenCardResult,
    OpenCardWebhook,
    Products,
    ReconcileReport,
    RecipientCheck,
    Settlement,
    ShopBalance,
    Stock,
    TopupBalance,
    TopupOrder,
    TopupProducts,
    TopupResult,
    TransferIpn,
)
from ._record import Record, _plan
from . import _operations  # the generated methods of every provider
from ._errors import (
    AuthError,
    BadReply,
    CallbackMismatch,
    Error,
    InternalError,
    InvalidInput,
    OutcomeUnknown,
    SignatureMismatch,
    TransportError,
)

__version__: str = _vngate.__version__

# A forked child (gunicorn --preload, multiprocessing, celery prefork) must not touch the
# parent's pooled connections: each client starts a fresh pool there. The core also notices a
# new process id by itself; this covers a process id that repeats.
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_vngate._after_fork_in_child)

__all__ = [
    "AppotaPay", "AuthError", "BadReply", "CallbackMismatch", "ChargingWs", "Error", "Esms", "InternalError",
    "InvalidInput", "OpenCard", "OutcomeUnknown", "SignatureMismatch", "Topup", "TransportError",
    "new_request_id", "reset_logging", "Record",
    *_models.__all__,
]

_R = TypeVar("_R", bound=Record)


def reset_logging() -> None:
    """vngate logs to the ``logging`` logger ``"vngate"``: one INFO line per call (provider,
    operation, the money call's reference, HTTP status or error kind, latency), and at DEBUG the
    request with card PINs masked and secrets removed, and the reply excerpt. Levels are read
    once and cached; call this after changing the logger's level or handlers."""
    _vngate._reset_logging()


def new_request_id() -> str:
    """A fresh, time-ordered, unique id made of ``[0-9a-f]``. Store it before sending."""
    return _vngate.new_request_id()


CallbackData = Union[bytes, str, Mapping[str, Any]]

# The config keys a client's repr shows: an allow-list, so a new secret option stays hidden.
_SHOWN_CONFIG = ("base_url", "partner_id", "partner_code", "username", "email")


def _callback_bytes(data: CallbackData) -> bytes:
    """A callback as the body or query string: ``bytes``, ``str`` (best: the raw
    ``request.query_string``), or a mapping of query parameters (``request.args``; single-item
    lists are unwrapped, and every value of a multi-dict is kept)."""
    if isinstance(data, bytes):
        return data
    if isinstance(data, str):
        return data.encode("utf-8")
    # A multi-dict (Flask's request.args, Starlette's query_params) shows one value per key
    # through items(): take every value, so that a repeated key reaches the core and is refused.
    if hasattr(data, "multi_items"):
        items = list(data.multi_items())
    elif hasattr(data, "getlist"):
        items = [(key, value) for key in data.keys() for value in data.getlist(key)]
    else:
        items = list(data.items())
    pairs = []
    for key, value in items:
        if isinstance(value, (list, tuple)):
            if len(value) != 1:
                raise InvalidInput(f"invalid {key}: given {len(value)} times", {"kind": "invalid_input", "field": key})
            value = value[0]
        pairs.append((key, "" if value is None else str(value)))
    # Imported here: only mappings need it, and it is 2 ms of `import vngate` (with ipaddress).
    from urllib.parse import urlencode

    return urlencode(pairs).encode("utf-8")




class _Provider(_operations._Calls):
    _provider: ClassVar[str]

    def __init__(self, **config: Any) -> None:
        config = {k: v for k, v in config.items() if v is not None}
        self._client = _vngate.Client(self._provider, json.dumps(config))
        self._shown = {k: v for k, v in config.items() if k in _SHOWN_CONFIG}

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self._shown.items())
        return f"{type(self).__name__}({shown})"

    def _call(self, operation: str, result: Type[_R], **request: Any) -> _R:
        # For the methods written by hand: what a generated one does itself. The native client
        # reads the request from the values, and for vngate.aio sends it only if the awaiting
        # task was not cancelled.
        return self._client.run(operation, result, tuple(request), *request.values())

    def _parse(self, data: CallbackData, result: Type[_R], expected: Optional[Mapping[str, Any]] = None) -> _R:
        # The bytes go to the core exactly as received: nothing is decoded or replaced first.
        stored = None if expected is None else json.dumps(dict(expected))
        made: _R = self._client.parse_callback(_callback_bytes(data), stored, _plan(result))
        return made

    def settle(self, reference: str) -> Settlement:
        """With a ``journal`` option: whether the money-moving call ``reference`` is final, and
        whether this is the first time anyone (in any process) asked since it became final.
        Credit or refund the customer when ``first`` is true, and only then."""
        return Settlement._from(self._client.settle(reference))

    def reconcile(self) -> ReconcileReport:
        """With a ``journal`` option: asks about this account's pending and unknown money-moving
        calls with their resolving calls (never resending one, never reading "no answer" as
        failed). Run it from a periodic task."""
        return ReconcileReport._from(self._client.reconcile())


class ChargingWs(_Provider, _operations._ChargingWsOperations):
    """Card charging (đổi thẻ cào) over ``chargingws/v2``.

    Options: ``path``, ``sign_scheme`` (``"s1"`` | ``"s2"``), ``transport`` (``"form"`` |
    ``"json"`` | ``"get"``), ``timeout_ms``, ``connect_timeout_ms``, ``max_reply_bytes``,
    ``proxy``.
    """

    _provider = "chargingws"

    def __init__(self, *, base_url: str, partner_id: str, partner_key: str, **options: Any) -> None:
        super().__init__(base_url=base_url, partner_id=partner_id, partner_key=partner_key, **options)

    def parse_callback(self, data: CallbackData, expected: Optional[Mapping[str, Any]] = None) -> Callback:
        """Verifies a callback (POST body, GET query string, or its parameters). With
        ``expected`` (the card you stored: telco, code, serial, amount, request_id) it also
        checks the fields the signature does not cover, raising :class:`CallbackMismatch`."""
        return self._parse(data, Callback, expected)


class OpenCard(_Provider, _operations._OpenCardOperations):
    """OpenCard card charging. Options: ``base_url``, ``path``, ``sign_order`` and
    ``webhook_sign_order`` (``"ksort"`` | ``"prose"``), HTTP options."""

    _provider = "opencard"

    def __init__(self, *, partner_id: str, partner_key: str, **options: Any) -> None:
        super().__init__(partner_id=partner_id, partner_key=partner_key, **options)

    def parse_callback(self, data: CallbackData, expected: Optional[Mapping[str, Any]] = None) -> OpenCardWebhook:
        """Verifies a webhook. The signature covers ``request_id``, ``status``, ``amount`` and
        ``trans_id``; the rest is in ``unverified``. With ``expected`` (the charge you stored:
        OpenCard's ``request_id`` from the charge reply, and optionally ``amount`` and ``telco``)
        it also checks the webhook is about that card, raising :class:`CallbackMismatch`."""
        return self._parse(data, OpenCardWebhook, expected)

    def parse_webhook(self, data: CallbackData, expected: Optional[Mapping[str, Any]] = None) -> OpenCardWebhook:
        """The same as :meth:`parse_callback`, by OpenCard's own word for it."""
        return self.parse_callback(data, expected)


class AppotaPay(_Provider, _operations._AppotaPayOperations):
    """Buying card codes (mua mã thẻ), mobile top-up, data packages, bank transfers and the
    account check. Options: ``private_key_pem``, ``base_url``, ``padding`` (``"oaep_sha1"`` |
    ``"pkcs1v15"``), ``bearer``, ``jwt_lifetime_secs``, ``topup_api`` (``"v2"`` | ``"v1"``),
    ``sign_absent_as_empty``, ``transfer_sign`` (``"given"`` | ``"all"``),
    ``verify_response_signature``, HTTP options."""

    _provider = "appotapay"

    def __init__(self, *, partner_code: str, api_key: str, secret_key: str, **options: Any) -> None:
        super().__init__(partner_code=partner_code, api_key=api_key, secret_key=secret_key, **options)

    def parse_callback(self, data: CallbackData) -> TransferIpn:
        """Verifies a bank transfer's IPN (the raw POST body). Answer AppotaPay with
        ``reply_body`` once recorded, and confirm with :meth:`transfer_transaction` before you
        credit or refund."""
        return self._parse(data, TransferIpn)

    def parse_transfer_ipn(self, data: CallbackData) -> TransferIpn:
        """The same as :meth:`parse_callback`, by AppotaPay's own word for it."""
        return self.parse_callback(data)


class Esms(_Provider, _operations._EsmsOperations):
    """Payouts to MoMo / ZaloPay (chi hộ) through eSMS. Give ``api_token``, or ``email`` and
    ``password``. Options: ``base_url``, ``signature_encoding`` (``"hex"`` | ``"base64"``),
    HTTP options."""

    _provider = "esms"

    def __init__(self, *, secret_key: str, **options: Any) -> None:
        super().__init__(secret_key=secret_key, **options)

    def parse_callback(self, data: CallbackData) -> EsmsCallback:
        """Reads a callback. It is unconfirmed: eSMS does not sign callbacks."""
        return self._parse(data, EsmsCallback)

    def confirm_callback(self, data: CallbackData) -> Disbursement:
        """Confirms a callback with a signed query; :class:`CallbackMismatch` if they differ."""
        text = _callback_bytes(data).decode("utf-8", errors="replace")
        return self._call("confirm_callback", Disbursement, data=text)


class Topup(_Provider, _operations._TopupOperations):
    """Mobile top-up (nạp tiền điện thoại), kenhthanhtoan. Options: ``base_url``, ``digest``
    (``"sha256"`` | ``"sha1"``), HTTP options."""

    _provider = "topup"

    def __init__(self, *, username: str, private_key: str, **options: Any) -> None:
        super().__init__(username=username, private_key=private_key, **options)

"""vngate for asyncio (FastAPI, Starlette, aiohttp): the same clients, every method awaitable.

Each call runs on a worker thread (the default executor) with the GIL released, so the event
loop keeps serving other requests while a provider answers::

    client = vngate.aio.ChargingWs(base_url="https://thesieure.com", partner_id="1", partner_key="KEY")
    result = await client.charge(**card)

Cancellation never loses a money outcome. A call the provider may have received is not
stopped: it runs to its end on its thread, and what reaches you is the
:class:`vngate.OutcomeUnknown` itself, with your reference and the call that resolves it
(``check``, ``transaction``, ``query``, ``recheck``): do not resend. So the idiomatic time
limit needs nothing of its own::

    try:
        result = await asyncio.wait_for(client.charge(**card), 10)   # or `async with asyncio.timeout(10)`
    except vngate.OutcomeUnknown as unknown:
        ...  # keep unknown.reference; resolve it with unknown.next_step, never charge again
    except TimeoutError:
        ...  # cancelled before it was sent: nothing was sent

A call cancelled before it was sent is not sent: the cancellation (``TimeoutError`` under a
time limit) goes on as asyncio's own.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from . import (
    AppotaPay as _AppotaPay,
    Callback,
    CallbackData,
    ChargingWs as _ChargingWs,
    Disbursement,
    Esms as _Esms,
    EsmsCallback,
    OpenCard as _OpenCard,
    OpenCardWebhook,
    ReconcileReport,
    Settlement,
    Topup as _Topup,
    TransferIpn,
)

# How a call runs on a worker thread (``_Guard`` decides between sending and a cancellation),
# and the generated awaitable methods.
from ._async import _Guard, _run  # noqa: F401 - _Guard: vngate.aio's own since the start
from ._operations import (
    _AppotaPayAsyncOperations,
    _ChargingWsAsyncOperations,
    _EsmsAsyncOperations,
    _OpenCardAsyncOperations,
    _TopupAsyncOperations,
)

__all__ = ["AppotaPay", "ChargingWs", "Esms", "OpenCard", "Topup"]


class _Journaled:
    """``settle`` and ``reconcile`` of a client with a ``journal`` option, awaitable."""

    sync: Any

    async def settle(self, reference: str) -> Settlement:
        return await _run(self.sync.settle, reference)

    async def reconcile(self) -> ReconcileReport:
        return await _run(self.sync.reconcile)


class ChargingWs(_Journaled, _ChargingWsAsyncOperations):
    """:class:`vngate.ChargingWs`, awaitable."""

    def __init__(self, *, partner_id: str, partner_key: str, **options: Any) -> None:
        self.sync = _ChargingWs(partner_id=partner_id, partner_key=partner_key, **options)

    def __repr__(self) -> str:
        return f"aio.{self.sync!r}"

    async def parse_callback(self, data: CallbackData, expected: Optional[Mapping[str, Any]] = None) -> Callback:
        return await _run(self.sync.parse_callback, data, expected)


class OpenCard(_Journaled, _OpenCardAsyncOperations):
    """:class:`vngate.OpenCard`, awaitable."""

    def __init__(self, *, partner_id: str, partner_key: str, **options: Any) -> None:
        self.sync = _OpenCard(partner_id=partner_id, partner_key=partner_key, **options)

    def __repr__(self) -> str:
        return f"aio.{self.sync!r}"

    async def parse_callback(self, data: CallbackData, expected: Optional[Mapping[str, Any]] = None) -> OpenCardWebhook:
        return await _run(self.sync.parse_callback, data, expected)

    async def parse_webhook(self, data: CallbackData, expected: Optional[Mapping[str, Any]] = None) -> OpenCardWebhook:
        """The same as :meth:`parse_callback`."""
        return await _run(self.sync.parse_callback, data, expected)


class AppotaPay(_Journaled, _AppotaPayAsyncOperations):
    """:class:`vngate.AppotaPay`, awaitable."""

    def __init__(self, *, partner_code: str, api_key: str, secret_key: str, **options: Any) -> None:
        self.sync = _AppotaPay(partner_code=partner_code, api_key=api_key, secret_key=secret_key, **options)

    def __repr__(self) -> str:
        return f"aio.{self.sync!r}"

    async def parse_callback(self, data: CallbackData) -> TransferIpn:
        return await _run(self.sync.parse_callback, data)

    async def parse_transfer_ipn(self, data: CallbackData) -> TransferIpn:
        return await _run(self.sync.parse_callback, data)


class Esms(_Journaled, _EsmsAsyncOperations):
    """:class:`vngate.Esms`, awaitable."""

    def __init__(self, *, secret_key: str, **options: Any) -> None:
        self.sync = _Esms(secret_key=secret_key, **options)

    def __repr__(self) -> str:
        return f"aio.{self.sync!r}"

    async def parse_callback(self, data: CallbackData) -> EsmsCallback:
        return await _run(self.sync.parse_callback, data)

    async def confirm_callback(self, data: CallbackData) -> Disbursement:
        return await _run(self.sync.confirm_callback, data)


class Topup(_Journaled, _TopupAsyncOperations):
    """:class:`vngate.Topup`, awaitable."""

    def __init__(self, *, username: str, private_key: str, **options: Any) -> None:
        self.sync = _Topup(username=username, private_key=private_key, **options)

    def __repr__(self) -> str:
        return f"aio.{self.sync!r}"

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

import asyncio
import functools
import threading
from typing import Any, Callable, Mapping, Optional, TypeVar

from . import (
    _ASYNC_CALL,
    AppotaPay as _AppotaPay,
    Balance,
    BankAccount,
    BankTransfer,
    BuyResult,
    CardOrder,
    CardProducts,
    Callback,
    CallbackData,
    CardResult,
    ChargingWs as _ChargingWs,
    DataPackages,
    Disbursement,
    Esms as _Esms,
    EsmsCallback,
    Fees,
    MobileTopup,
    OpenCard as _OpenCard,
    OpenCardResult,
    OpenCardWebhook,
    Products,
    ReconcileReport,
    RecipientCheck,
    Settlement,
    ShopBalance,
    Stock,
    Topup as _Topup,
    TopupBalance,
    TopupOrder,
    TopupProducts,
    TopupResult,
    TransferIpn,
)

__all__ = ["AppotaPay", "ChargingWs", "Esms", "OpenCard", "Topup"]

_T = TypeVar("_T")


class _Guard:
    """Decides, under one lock, whether a call is sent or the task's cancellation wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self.sent = False
        self.abandoned: Optional[BaseException] = None

    def about_to_send(self, abandoned: Optional[BaseException]) -> None:
        with self._lock:
            if self._cancelled:
                raise asyncio.CancelledError("cancelled before the request was sent")
            self.sent = True
            self.abandoned = abandoned

    def cancel(self) -> bool:
        """Marks the task cancelled; whether the request had already gone."""
        with self._lock:
            self._cancelled = True
            return self.sent


async def _run(method: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    guard = _Guard()

    def work() -> _T:
        _ASYNC_CALL.guard = guard
        try:
            return method(*args, **kwargs)
        finally:
            _ASYNC_CALL.guard = None

    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(None, functools.partial(work))
    # Once the task is cancelled nobody awaits the thread's result: taken here, so that asyncio
    # does not log "Future exception was never retrieved" for a call that was never sent.
    future.add_done_callback(lambda done: done.cancelled() or done.exception())
    try:
        # Shielded: cancelling the task must not pretend the thread's call stopped.
        return await asyncio.shield(future)
    except asyncio.CancelledError as cancelled:
        if guard.cancel() and guard.abandoned is not None:
            # The request may have reached the provider: the truth is "outcome unknown", and
            # asyncio's time limits (wait_for, timeout) let it through as it is, where a
            # CancelledError would have become a TimeoutError with this two causes deep.
            raise guard.abandoned from cancelled
        raise cancelled


class _Journaled:
    """``settle`` and ``reconcile`` of a client with a ``journal`` option, awaitable."""

    sync: Any

    async def settle(self, reference: str) -> Settlement:
        return await _run(self.sync.settle, reference)

    async def reconcile(self) -> ReconcileReport:
        return await _run(self.sync.reconcile)


class ChargingWs(_Journaled):
    """:class:`vngate.ChargingWs`, awaitable."""

    def __init__(self, *, partner_id: str, partner_key: str, **options: Any) -> None:
        self.sync = _ChargingWs(partner_id=partner_id, partner_key=partner_key, **options)

    def __repr__(self) -> str:
        return f"aio.{self.sync!r}"

    async def charge(self, *, telco: str, code: str, serial: str, amount: int, request_id: str) -> CardResult:
        return await _run(self.sync.charge, telco=telco, code=code, serial=serial, amount=amount, request_id=request_id)

    async def check(self, *, telco: str, code: str, serial: str, amount: int, request_id: str) -> CardResult:
        return await _run(self.sync.check, telco=telco, code=code, serial=serial, amount=amount, request_id=request_id)

    async def fees(self) -> Fees:
        return await _run(self.sync.fees)

    async def buy_cards(self, *, service_code: str, value: int, qty: int, request_id: str) -> CardOrder:
        return await _run(self.sync.buy_cards, service_code=service_code, value=value, qty=qty, request_id=request_id)

    async def redownload(self, request_id: str, order_code: Optional[str] = None) -> CardOrder:
        return await _run(self.sync.redownload, request_id, order_code)

    async def wallet_balance(self, service: str = "shop") -> ShopBalance:
        return await _run(self.sync.wallet_balance, service)

    async def stock(self, *, service_code: str, value: int, qty: int) -> Stock:
        return await _run(self.sync.stock, service_code=service_code, value=value, qty=qty)

    async def card_products(self) -> CardProducts:
        return await _run(self.sync.card_products)

    async def topup_order(self, *, service_code: str, amount: int, phone: str, request_id: str) -> TopupOrder:
        return await _run(self.sync.topup_order, service_code=service_code, amount=amount, phone=phone, request_id=request_id)

    async def topup_status(self, request_id: str, order_code: Optional[str] = None) -> TopupOrder:
        return await _run(self.sync.topup_status, request_id, order_code)

    async def topup_products(self) -> TopupProducts:
        return await _run(self.sync.topup_products)

    async def parse_callback(self, data: CallbackData, expected: Optional[Mapping[str, Any]] = None) -> Callback:
        return await _run(self.sync.parse_callback, data, expected)


class OpenCard(_Journaled):
    """:class:`vngate.OpenCard`, awaitable."""

    def __init__(self, *, partner_id: str, partner_key: str, **options: Any) -> None:
        self.sync = _OpenCard(partner_id=partner_id, partner_key=partner_key, **options)

    def __repr__(self) -> str:
        return f"aio.{self.sync!r}"

    async def charge(self, *, telco: str, code: str, serial: str, amount: int) -> OpenCardResult:
        return await _run(self.sync.charge, telco=telco, code=code, serial=serial, amount=amount)

    async def parse_callback(self, data: CallbackData, expected: Optional[Mapping[str, Any]] = None) -> OpenCardWebhook:
        return await _run(self.sync.parse_callback, data, expected)

    async def parse_webhook(self, data: CallbackData, expected: Optional[Mapping[str, Any]] = None) -> OpenCardWebhook:
        """The same as :meth:`parse_callback`."""
        return await _run(self.sync.parse_callback, data, expected)


class AppotaPay(_Journaled):
    """:class:`vngate.AppotaPay`, awaitable."""

    def __init__(self, *, partner_code: str, api_key: str, secret_key: str, **options: Any) -> None:
        self.sync = _AppotaPay(partner_code=partner_code, api_key=api_key, secret_key=secret_key, **options)

    def __repr__(self) -> str:
        return f"aio.{self.sync!r}"

    async def buy_cards(
        self,
        *,
        partner_ref_id: str,
        product_code: str,
        quantity: int,
        type: Optional[str] = None,  # noqa: A002 - the provider's name for it
        customer_phone: Optional[str] = None,
    ) -> BuyResult:
        return await _run(
            self.sync.buy_cards,
            partner_ref_id=partner_ref_id,
            product_code=product_code,
            quantity=quantity,
            type=type,
            customer_phone=customer_phone,
        )

    async def transaction(self, partner_ref_id: str) -> BuyResult:
        return await _run(self.sync.transaction, partner_ref_id)

    async def products(self) -> Products:
        return await _run(self.sync.products)

    async def balance(self) -> Balance:
        return await _run(self.sync.balance)

    async def decrypt_code(self, serial: str, encrypted_code: str) -> str:
        return await _run(self.sync.decrypt_code, serial, encrypted_code)

    async def mobile_topup(
        self,
        *,
        partner_ref_id: str,
        phone_number: str,
        product_code: Optional[str] = None,
        amount: Optional[int] = None,
        telco: Optional[str] = None,
        telco_service_type: Optional[str] = None,
    ) -> MobileTopup:
        return await _run(
            self.sync.mobile_topup, partner_ref_id=partner_ref_id, phone_number=phone_number,
            product_code=product_code, amount=amount, telco=telco, telco_service_type=telco_service_type,
        )

    async def topup_transaction(self, partner_ref_id: str) -> MobileTopup:
        return await _run(self.sync.topup_transaction, partner_ref_id)

    async def data_packages(
        self, phone_number: str, telco_service_type: Optional[str] = None, value: Optional[int] = None
    ) -> DataPackages:
        return await _run(self.sync.data_packages, phone_number, telco_service_type, value)

    async def bank_transfer(
        self,
        *,
        partner_ref_id: str,
        bank_code: str,
        account_no: str,
        account_name: str,
        amount: int,
        fee_type: str,
        message: str,
        account_type: Optional[str] = None,
        customer_phone_number: Optional[str] = None,
        contract_number: Optional[str] = None,
        channel: Optional[str] = None,
        bank_id: Optional[str] = None,
    ) -> BankTransfer:
        return await _run(
            self.sync.bank_transfer, partner_ref_id=partner_ref_id, bank_code=bank_code,
            account_no=account_no, account_name=account_name, amount=amount, fee_type=fee_type,
            message=message, account_type=account_type, customer_phone_number=customer_phone_number,
            contract_number=contract_number, channel=channel, bank_id=bank_id,
        )

    async def transfer_transaction(self, partner_ref_id: str) -> BankTransfer:
        return await _run(self.sync.transfer_transaction, partner_ref_id)

    async def bank_account_info(
        self, bank_code: str, account_no: str, account_type: Optional[str] = None,
        partner_ref_id: Optional[str] = None,
    ) -> BankAccount:
        return await _run(self.sync.bank_account_info, bank_code, account_no, account_type, partner_ref_id)

    async def parse_callback(self, data: CallbackData) -> TransferIpn:
        return await _run(self.sync.parse_callback, data)

    async def parse_transfer_ipn(self, data: CallbackData) -> TransferIpn:
        return await _run(self.sync.parse_callback, data)


class Esms(_Journaled):
    """:class:`vngate.Esms`, awaitable."""

    def __init__(self, *, secret_key: str, **options: Any) -> None:
        self.sync = _Esms(secret_key=secret_key, **options)

    def __repr__(self) -> str:
        return f"aio.{self.sync!r}"

    async def login(self) -> str:
        return await _run(self.sync.login)

    async def generate_api_token(self, access_token: str) -> str:
        return await _run(self.sync.generate_api_token, access_token)

    async def disburse(
        self,
        *,
        amount: int,
        channel: str,
        phone: str,
        order_id: str,
        description: str,
        callback_url: Optional[str] = None,
    ) -> Disbursement:
        return await _run(
            self.sync.disburse,
            amount=amount,
            channel=channel,
            phone=phone,
            order_id=order_id,
            description=description,
            callback_url=callback_url,
        )

    async def verify_recipient(self, *, channel: str, phone: str) -> RecipientCheck:
        return await _run(self.sync.verify_recipient, channel=channel, phone=phone)

    async def query(self, order_id: str) -> Disbursement:
        return await _run(self.sync.query, order_id)

    async def parse_callback(self, data: CallbackData) -> EsmsCallback:
        return await _run(self.sync.parse_callback, data)

    async def confirm_callback(self, data: CallbackData) -> Disbursement:
        return await _run(self.sync.confirm_callback, data)


class Topup(_Journaled):
    """:class:`vngate.Topup`, awaitable."""

    def __init__(self, *, username: str, private_key: str, **options: Any) -> None:
        self.sync = _Topup(username=username, private_key=private_key, **options)

    def __repr__(self) -> str:
        return f"aio.{self.sync!r}"

    async def topup(
        self,
        *,
        phone: str,
        amount: int,
        client_trans_id: Optional[str] = None,
        gateway: Optional[str] = None,
    ) -> TopupResult:
        return await _run(self.sync.topup, phone=phone, amount=amount, client_trans_id=client_trans_id, gateway=gateway)

    async def recheck(self, *, id_transaction: Optional[str] = None, client_trans_id: Optional[str] = None) -> TopupResult:
        return await _run(self.sync.recheck, id_transaction=id_transaction, client_trans_id=client_trans_id)

    async def balance(self) -> TopupBalance:
        return await _run(self.sync.balance)

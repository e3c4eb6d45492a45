# Generated from schema/vngate.json by `VNGATE_WRITE_GENERATED=1 cargo test -p vngate-tests --test generated`: do not edit.
"""Every operation that passes its request through, as a method: one mixin per provider for
the sync clients (``vngate.ChargingWs`` …) and one for the async ones (``vngate.aio``), made
from the operation registry and the schema. The few methods that are not pass-throughs
(callbacks) are written by hand in ``__init__.py`` and ``aio.py``."""

from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional

from . import _vngate
from ._async import _run
from ._models import (
    AccessToken,
    ApiToken,
    Balance,
    BankAccount,
    BankTransfer,
    BuyResult,
    CardOrder,
    CardProducts,
    CardResult,
    DataPackages,
    DecryptedCode,
    Disbursement,
    Fees,
    MobileTopup,
    OpenCardResult,
    Products,
    RecipientCheck,
    ShopBalance,
    Stock,
    TopupBalance,
    TopupOrder,
    TopupProducts,
    TopupResult,
)


class _Calls:
    """What the generated methods call: the native client's ``run`` (the operation, its
    result's record class, the request's field names, then their values)."""

    _client: _vngate.Client


class _ChargingWsOperations(_Calls):
    """ChargingWs's operations (generated)."""

    def charge(self, *, telco: str, code: str, serial: str, amount: int, request_id: str) -> CardResult:
        """Submit a card (command=charging). Moves money, never retried: on
        :class:`OutcomeUnknown` (or a status that says unknown), call check with the same
        request_id (or wait for the callback)."""
        return self._client.run("charge", CardResult, ("telco", "code", "serial", "amount", "request_id"), telco, code, serial, amount, request_id)

    def check(self, *, telco: str, code: str, serial: str, amount: int, request_id: str) -> CardResult:
        """A card's current status (command=check)."""
        return self._client.run("check", CardResult, ("telco", "code", "serial", "amount", "request_id"), telco, code, serial, amount, request_id)

    def fees(self) -> Fees:
        """The site's fee table."""
        return self._client.run("fees", Fees, ())

    def buy_cards(self, *, service_code: str, value: int, qty: int, request_id: str) -> CardOrder:
        """Buy card codes from the site's card shop (cardws buycard). Moves money, never
        retried: on :class:`OutcomeUnknown` (or a status that says unknown), call redownload
        with the same request_id; never buy again (if it cannot tell, check the site's order
        history)."""
        return self._client.run("buy_cards", CardOrder, ("service_code", "value", "qty", "request_id"), service_code, value, qty, request_id)

    def redownload(self, request_id: str, order_code: Optional[str] = None) -> CardOrder:
        """A bought order's cards again (cardws redownload, no new transaction)."""
        return self._client.run("redownload", CardOrder, ("request_id", "order_code"), request_id, order_code)

    def wallet_balance(self, service: Optional[Literal["shop", "topup"]] = None) -> ShopBalance:
        """A wallet's balance: the card shop's (cardws getbalance) or the top-up service's
        (rechargews)."""
        return self._client.run("wallet_balance", ShopBalance, ("service",), service)

    def stock(self, *, service_code: str, value: int, qty: int) -> Stock:
        """Whether cards are in stock (cardws checkavailable)."""
        return self._client.run("stock", Stock, ("service_code", "value", "qty"), service_code, value, qty)

    def card_products(self) -> CardProducts:
        """The card shop's products and face values."""
        return self._client.run("card_products", CardProducts, ())

    def topup_order(self, *, service_code: str, amount: int, phone: str, request_id: str) -> TopupOrder:
        """Top up a phone through the site's top-up service (rechargews topup). Moves money,
        never retried: on :class:`OutcomeUnknown` (or a status that says unknown), call
        topup_status with the same request_id (and order_code if you have it); never top up
        again (if it cannot tell, check the site's order history)."""
        return self._client.run("topup_order", TopupOrder, ("service_code", "amount", "phone", "request_id"), service_code, amount, phone, request_id)

    def topup_status(self, request_id: str, order_code: Optional[str] = None) -> TopupOrder:
        """A top-up order's status (rechargews getstatus)."""
        return self._client.run("topup_status", TopupOrder, ("request_id", "order_code"), request_id, order_code)

    def topup_products(self) -> TopupProducts:
        """The top-up service's products (rechargews productlist)."""
        return self._client.run("topup_products", TopupProducts, ())


class _ChargingWsAsyncOperations:
    """ChargingWs's operations, awaitable (generated)."""

    sync: _ChargingWsOperations

    async def charge(self, *, telco: str, code: str, serial: str, amount: int, request_id: str) -> CardResult:
        """Submit a card (command=charging). Moves money, never retried: on
        :class:`OutcomeUnknown` (or a status that says unknown), call check with the same
        request_id (or wait for the callback)."""
        return await _run(self.sync.charge, telco=telco, code=code, serial=serial, amount=amount, request_id=request_id)

    async def check(self, *, telco: str, code: str, serial: str, amount: int, request_id: str) -> CardResult:
        """A card's current status (command=check)."""
        return await _run(self.sync.check, telco=telco, code=code, serial=serial, amount=amount, request_id=request_id)

    async def fees(self) -> Fees:
        """The site's fee table."""
        return await _run(self.sync.fees)

    async def buy_cards(self, *, service_code: str, value: int, qty: int, request_id: str) -> CardOrder:
        """Buy card codes from the site's card shop (cardws buycard). Moves money, never
        retried: on :class:`OutcomeUnknown` (or a status that says unknown), call redownload
        with the same request_id; never buy again (if it cannot tell, check the site's order
        history)."""
        return await _run(self.sync.buy_cards, service_code=service_code, value=value, qty=qty, request_id=request_id)

    async def redownload(self, request_id: str, order_code: Optional[str] = None) -> CardOrder:
        """A bought order's cards again (cardws redownload, no new transaction)."""
        return await _run(self.sync.redownload, request_id, order_code)

    async def wallet_balance(self, service: Optional[Literal["shop", "topup"]] = None) -> ShopBalance:
        """A wallet's balance: the card shop's (cardws getbalance) or the top-up service's
        (rechargews)."""
        return await _run(self.sync.wallet_balance, service)

    async def stock(self, *, service_code: str, value: int, qty: int) -> Stock:
        """Whether cards are in stock (cardws checkavailable)."""
        return await _run(self.sync.stock, service_code=service_code, value=value, qty=qty)

    async def card_products(self) -> CardProducts:
        """The card shop's products and face values."""
        return await _run(self.sync.card_products)

    async def topup_order(self, *, service_code: str, amount: int, phone: str, request_id: str) -> TopupOrder:
        """Top up a phone through the site's top-up service (rechargews topup). Moves money,
        never retried: on :class:`OutcomeUnknown` (or a status that says unknown), call
        topup_status with the same request_id (and order_code if you have it); never top up
        again (if it cannot tell, check the site's order history)."""
        return await _run(self.sync.topup_order, service_code=service_code, amount=amount, phone=phone, request_id=request_id)

    async def topup_status(self, request_id: str, order_code: Optional[str] = None) -> TopupOrder:
        """A top-up order's status (rechargews getstatus)."""
        return await _run(self.sync.topup_status, request_id, order_code)

    async def topup_products(self) -> TopupProducts:
        """The top-up service's products (rechargews productlist)."""
        return await _run(self.sync.topup_products)


class _OpenCardOperations(_Calls):
    """OpenCard's operations (generated)."""

    def charge(self, *, telco: str, code: str, serial: str, amount: int) -> OpenCardResult:
        """Submit a card; OpenCard assigns the request_id. Moves money, never retried: on
        :class:`OutcomeUnknown` (or a status that says unknown), OpenCard has no status
        query: wait for the webhook for this card, or ask OpenCard."""
        return self._client.run("charge", OpenCardResult, ("telco", "code", "serial", "amount"), telco, code, serial, amount)


class _OpenCardAsyncOperations:
    """OpenCard's operations, awaitable (generated)."""

    sync: _OpenCardOperations

    async def charge(self, *, telco: str, code: str, serial: str, amount: int) -> OpenCardResult:
        """Submit a card; OpenCard assigns the request_id. Moves money, never retried: on
        :class:`OutcomeUnknown` (or a status that says unknown), OpenCard has no status
        query: wait for the webhook for this card, or ask OpenCard."""
        return await _run(self.sync.charge, telco=telco, code=code, serial=serial, amount=amount)


class _AppotaPayOperations(_Calls):
    """AppotaPay's operations (generated)."""

    def buy_cards(self, *, partner_ref_id: str, product_code: str, quantity: int, customer_phone: Optional[str] = None, type: Optional[Literal["normal", "sms"]] = None) -> BuyResult:
        """Buy card codes (decrypted with private_key_pem). Moves money, never retried: on
        :class:`OutcomeUnknown` (or a status that says unknown), call transaction with the
        same partner_ref_id; never buy again."""
        return self._client.run("buy_cards", BuyResult, ("partner_ref_id", "product_code", "quantity", "customer_phone", "type"), partner_ref_id, product_code, quantity, customer_phone, type)

    def transaction(self, partner_ref_id: str) -> BuyResult:
        """A purchase again, codes re-delivered."""
        return self._client.run("transaction", BuyResult, ("partner_ref_id",), partner_ref_id)

    def products(self) -> Products:
        """The products on sale."""
        return self._client.run("products", Products, ())

    def balance(self) -> Balance:
        """The partner's balance."""
        return self._client.run("balance", Balance, ())

    def decrypt_code(self, serial: str, encrypted_code: str) -> str:
        """Decrypt one card code with the configured key."""
        return self._client.run("decrypt_code", DecryptedCode, ("serial", "encrypted_code"), serial, encrypted_code).code

    def mobile_topup(self, *, partner_ref_id: str, phone_number: str, amount: Optional[int] = None, product_code: Optional[str] = None, telco: Optional[str] = None, telco_service_type: Optional[Literal["prepaid", "postpaid"]] = None) -> MobileTopup:
        """Top up a phone or buy a data package (v2; v1 with topup_api). Moves money, never
        retried: on :class:`OutcomeUnknown` (or a status that says unknown), call
        topup_transaction with the same partner_ref_id; never top up again (not_found means
        not executed only when it is still the answer minutes later)."""
        return self._client.run("mobile_topup", MobileTopup, ("partner_ref_id", "phone_number", "amount", "product_code", "telco", "telco_service_type"), partner_ref_id, phone_number, amount, product_code, telco, telco_service_type)

    def topup_transaction(self, partner_ref_id: str) -> MobileTopup:
        """A top-up's state (reply signature verified)."""
        return self._client.run("topup_transaction", MobileTopup, ("partner_ref_id",), partner_ref_id)

    def data_packages(self, phone_number: str, telco_service_type: Optional[Literal["prepaid", "postpaid"]] = None, value: Optional[int] = None) -> DataPackages:
        """The data packages a phone can buy with mobile_topup."""
        return self._client.run("data_packages", DataPackages, ("phone_number", "telco_service_type", "value"), phone_number, telco_service_type, value)

    def bank_transfer(self, *, partner_ref_id: str, bank_code: str, account_no: str, account_name: str, amount: int, fee_type: Literal["payer", "receiver"], message: str, account_type: Optional[Literal["account", "card"]] = None, bank_id: Optional[str] = None, channel: Optional[str] = None, contract_number: Optional[str] = None, customer_phone_number: Optional[str] = None) -> BankTransfer:
        """Send money to a bank account or card (firm banking). Moves money, never retried: on
        :class:`OutcomeUnknown` (or a status that says unknown), call transfer_transaction
        with the same partner_ref_id (or wait for the transfer IPN); never transfer again."""
        return self._client.run("bank_transfer", BankTransfer, ("partner_ref_id", "bank_code", "account_no", "account_name", "amount", "fee_type", "message", "account_type", "bank_id", "channel", "contract_number", "customer_phone_number"), partner_ref_id, bank_code, account_no, account_name, amount, fee_type, message, account_type, bank_id, channel, contract_number, customer_phone_number)

    def transfer_transaction(self, partner_ref_id: str) -> BankTransfer:
        """A bank transfer's state (reply signature verified)."""
        return self._client.run("transfer_transaction", BankTransfer, ("partner_ref_id",), partner_ref_id)

    def bank_account_info(self, bank_code: str, account_no: str, account_type: Optional[Literal["account", "card"]] = None, partner_ref_id: Optional[str] = None) -> BankAccount:
        """Who holds a bank account (reply signature verified)."""
        return self._client.run("bank_account_info", BankAccount, ("bank_code", "account_no", "account_type", "partner_ref_id"), bank_code, account_no, account_type, partner_ref_id)


class _AppotaPayAsyncOperations:
    """AppotaPay's operations, awaitable (generated)."""

    sync: _AppotaPayOperations

    async def buy_cards(self, *, partner_ref_id: str, product_code: str, quantity: int, customer_phone: Optional[str] = None, type: Optional[Literal["normal", "sms"]] = None) -> BuyResult:
        """Buy card codes (decrypted with private_key_pem). Moves money, never retried: on
        :class:`OutcomeUnknown` (or a status that says unknown), call transaction with the
        same partner_ref_id; never buy again."""
        return await _run(self.sync.buy_cards, partner_ref_id=partner_ref_id, product_code=product_code, quantity=quantity, customer_phone=customer_phone, type=type)

    async def transaction(self, partner_ref_id: str) -> BuyResult:
        """A purchase again, codes re-delivered."""
        return await _run(self.sync.transaction, partner_ref_id)

    async def products(self) -> Products:
        """The products on sale."""
        return await _run(self.sync.products)

    async def balance(self) -> Balance:
        """The partner's balance."""
        return await _run(self.sync.balance)

    async def decrypt_code(self, serial: str, encrypted_code: str) -> str:
        """Decrypt one card code with the configured key."""
        return await _run(self.sync.decrypt_code, serial, encrypted_code)

    async def mobile_topup(self, *, partner_ref_id: str, phone_number: str, amount: Optional[int] = None, product_code: Optional[str] = None, telco: Optional[str] = None, telco_service_type: Optional[Literal["prepaid", "postpaid"]] = None) -> MobileTopup:
        """Top up a phone or buy a data package (v2; v1 with topup_api). Moves money, never
        retried: on :class:`OutcomeUnknown` (or a status that says unknown), call
        topup_transaction with the same partner_ref_id; never top up again (not_found means
        not executed only when it is still the answer minutes later)."""
        return await _run(self.sync.mobile_topup, partner_ref_id=partner_ref_id, phone_number=phone_number, amount=amount, product_code=product_code, telco=telco, telco_service_type=telco_service_type)

    async def topup_transaction(self, partner_ref_id: str) -> MobileTopup:
        """A top-up's state (reply signature verified)."""
        return await _run(self.sync.topup_transaction, partner_ref_id)

    async def data_packages(self, phone_number: str, telco_service_type: Optional[Literal["prepaid", "postpaid"]] = None, value: Optional[int] = None) -> DataPackages:
        """The data packages a phone can buy with mobile_topup."""
        return await _run(self.sync.data_packages, phone_number, telco_service_type, value)

    async def bank_transfer(self, *, partner_ref_id: str, bank_code: str, account_no: str, account_name: str, amount: int, fee_type: Literal["payer", "receiver"], message: str, account_type: Optional[Literal["account", "card"]] = None, bank_id: Optional[str] = None, channel: Optional[str] = None, contract_number: Optional[str] = None, customer_phone_number: Optional[str] = None) -> BankTransfer:
        """Send money to a bank account or card (firm banking). Moves money, never retried: on
        :class:`OutcomeUnknown` (or a status that says unknown), call transfer_transaction
        with the same partner_ref_id (or wait for the transfer IPN); never transfer again."""
        return await _run(self.sync.bank_transfer, partner_ref_id=partner_ref_id, bank_code=bank_code, account_no=account_no, account_name=account_name, amount=amount, fee_type=fee_type, message=message, account_type=account_type, bank_id=bank_id, channel=channel, contract_number=contract_number, customer_phone_number=customer_phone_number)

    async def transfer_transaction(self, partner_ref_id: str) -> BankTransfer:
        """A bank transfer's state (reply signature verified)."""
        return await _run(self.sync.transfer_transaction, partner_ref_id)

    async def bank_account_info(self, bank_code: str, account_no: str, account_type: Optional[Literal["account", "card"]] = None, partner_ref_id: Optional[str] = None) -> BankAccount:
        """Who holds a bank account (reply signature verified)."""
        return await _run(self.sync.bank_account_info, bank_code, account_no, account_type, partner_ref_id)


class _EsmsOperations(_Calls):
    """Esms's operations (generated)."""

    def login(self) -> str:
        """A 24 h access token from email and password."""
        return self._client.run("login", AccessToken, ()).access_token

    def generate_api_token(self, access_token: str) -> str:
        """A non-expiring API token (obtain once, store, configure api_token)."""
        return self._client.run("generate_api_token", ApiToken, ("access_token",), access_token).api_token

    def disburse(self, *, amount: int, channel: Literal["momo", "zalopay"], phone: str, order_id: str, description: str, callback_url: Optional[str] = None) -> Disbursement:
        """Pay out to a MoMo or ZaloPay wallet. Moves money, never retried: on
        :class:`OutcomeUnknown` (or a status that says unknown), call query with the same
        order_id; never disburse it again."""
        return self._client.run("disburse", Disbursement, ("amount", "channel", "phone", "order_id", "description", "callback_url"), amount, channel, phone, order_id, description, callback_url)

    def verify_recipient(self, *, channel: Literal["momo", "zalopay"], phone: str) -> RecipientCheck:
        """Whether a wallet can receive."""
        return self._client.run("verify_recipient", RecipientCheck, ("channel", "phone"), channel, phone)

    def query(self, order_id: str) -> Disbursement:
        """A payout's state."""
        return self._client.run("query", Disbursement, ("order_id",), order_id)


class _EsmsAsyncOperations:
    """Esms's operations, awaitable (generated)."""

    sync: _EsmsOperations

    async def login(self) -> str:
        """A 24 h access token from email and password."""
        return await _run(self.sync.login)

    async def generate_api_token(self, access_token: str) -> str:
        """A non-expiring API token (obtain once, store, configure api_token)."""
        return await _run(self.sync.generate_api_token, access_token)

    async def disburse(self, *, amount: int, channel: Literal["momo", "zalopay"], phone: str, order_id: str, description: str, callback_url: Optional[str] = None) -> Disbursement:
        """Pay out to a MoMo or ZaloPay wallet. Moves money, never retried: on
        :class:`OutcomeUnknown` (or a status that says unknown), call query with the same
        order_id; never disburse it again."""
        return await _run(self.sync.disburse, amount=amount, channel=channel, phone=phone, order_id=order_id, description=description, callback_url=callback_url)

    async def verify_recipient(self, *, channel: Literal["momo", "zalopay"], phone: str) -> RecipientCheck:
        """Whether a wallet can receive."""
        return await _run(self.sync.verify_recipient, channel=channel, phone=phone)

    async def query(self, order_id: str) -> Disbursement:
        """A payout's state."""
        return await _run(self.sync.query, order_id)


class _TopupOperations(_Calls):
    """Topup's operations (generated)."""

    def topup(self, *, phone: str, amount: int, client_trans_id: Optional[str] = None, gateway: Optional[str] = None) -> TopupResult:
        """Top up a phone. Moves money, never retried: on :class:`OutcomeUnknown` (or a status
        that says unknown), call recheck with this client_trans_id; do not top up again or
        refund yet."""
        return self._client.run("topup", TopupResult, ("phone", "amount", "client_trans_id", "gateway"), phone, amount, client_trans_id, gateway)

    def recheck(self, *, client_trans_id: Optional[str] = None, id_transaction: Optional[str] = None) -> TopupResult:
        """A top-up's outcome."""
        return self._client.run("recheck", TopupResult, ("client_trans_id", "id_transaction"), client_trans_id, id_transaction)

    def balance(self) -> TopupBalance:
        """The account balance."""
        return self._client.run("balance", TopupBalance, ())


class _TopupAsyncOperations:
    """Topup's operations, awaitable (generated)."""

    sync: _TopupOperations

    async def topup(self, *, phone: str, amount: int, client_trans_id: Optional[str] = None, gateway: Optional[str] = None) -> TopupResult:
        """Top up a phone. Moves money, never retried: on :class:`OutcomeUnknown` (or a status
        that says unknown), call recheck with this client_trans_id; do not top up again or
        refund yet."""
        return await _run(self.sync.topup, phone=phone, amount=amount, client_trans_id=client_trans_id, gateway=gateway)

    async def recheck(self, *, client_trans_id: Optional[str] = None, id_transaction: Optional[str] = None) -> TopupResult:
        """A top-up's outcome."""
        return await _run(self.sync.recheck, client_trans_id=client_trans_id, id_transaction=id_transaction)

    async def balance(self) -> TopupBalance:
        """The account balance."""
        return await _run(self.sync.balance)

# Generated from schema/vngate.json by `VNGATE_WRITE_GENERATED=1 cargo test -p vngate-tests --test generated`: do not edit.
"""vngate's model, from the Rust types: the result records and their status enums, and
the request and config ``TypedDict``s (``client.charge(**card)`` type-checks)."""

from __future__ import annotations

import enum
from typing import Any, Dict, List, Literal, Optional, TypedDict, Union

from ._record import Record


class TransactionStatus(str, enum.Enum):
    """What AppotaPay's `errorCode` on a top-up or a bank transfer means for the money."""

    SUCCESS = "success"
    UNKNOWN = "unknown"
    DUPLICATE = "duplicate"
    NOT_FOUND = "not_found"
    FAILED = "failed"


class PurchaseStatus(str, enum.Enum):
    """What AppotaPay's `errorCode` means for your money."""

    SUCCESS = "success"
    UNKNOWN = "unknown"
    DUPLICATE = "duplicate"
    NOT_FOUND = "not_found"
    FAILED = "failed"


class OrderStatus(str, enum.Enum):
    """What an answer about a card order means for the money."""

    DELIVERED = "delivered"
    PAID_PENDING = "paid_pending"
    FAILED = "failed"
    DUPLICATE = "duplicate"
    UNKNOWN = "unknown"
    UNRESOLVED = "unresolved"


class CardStatus(enum.IntEnum):
    """A card's status (chargingws, OpenCard). Codes outside this list stay plain ``int``."""

    SUCCESS = 1
    WRONG_VALUE = 2
    CARD_ERROR = 3
    MAINTENANCE = 4
    PENDING = 99
    REJECTED = 100


class TopupOrderStatus(str, enum.Enum):
    """What an answer about a top-up order means for the money."""

    PENDING = "pending"
    COMPLETED = "completed"
    CANCELED = "canceled"
    FAILED = "failed"
    UNRESOLVED = "unresolved"


class DisbursementStatus(enum.IntEnum):
    """An eSMS payout's state. Codes outside this list stay plain ``int``."""

    FAILED = -1
    INITIAL = 0
    WAITING = 1
    PROCESSING = 2
    SUCCESS = 3


class TopupOutcome(str, enum.Enum):
    """What a reply code means for the money."""

    SUCCESS = "success"
    UNKNOWN = "unknown"
    FAILED_REFUNDABLE = "failed_refundable"
    DUPLICATE_CLIENT_ID = "duplicate_client_id"
    FAILED = "failed"
    NOT_FOUND = "not_found"


class JournalState(str, enum.Enum):
    """Where a journaled money-moving call stands."""

    INTENT = "intent"
    SENT = "sent"
    PENDING = "pending"
    UNKNOWN = "unknown"
    NOT_FOUND = "not_found"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    NOT_SENT = "not_sent"
    ATTENTION = "attention"


class Balance(Record):
    """The account balance."""

    _fields = ("error_code", "message", "balance", "raw",)
    _raw = ("raw",)

    #: AppotaPay's `errorCode`.
    error_code: int
    #: AppotaPay's message.
    message: str
    #: The balance, when `error_code` is 0.
    balance: Optional[int]
    #: The reply body as received.
    raw: str


class BankAccount(Record):
    """A bank account, from `bank_account_info`."""

    _fields = ("error_code", "message", "partner_ref_id", "account_no", "account_name", "bank_code", "account_type", "signature_verified", "raw",)
    _raw = ("raw",)

    #: AppotaPay's `errorCode`: 0 when the account was found.
    error_code: int
    #: AppotaPay's message.
    message: str
    #: The reference the check was made under.
    partner_ref_id: str
    #: The account number, as sent (its digits, even when sent as a JSON number).
    account_no: Optional[str]
    #: The holder's name.
    account_name: Optional[str]
    #: The bank.
    bank_code: Optional[str]
    #: `account` or `card`.
    account_type: Optional[str]
    #: Whether the reply's signature was checked and matched.
    signature_verified: bool
    #: The reply body as received.
    raw: str


class BankTransfer(Record):
    """A bank transfer, from `bank_transfer` or `transfer_transaction`."""

    _fields = ("status", "error_code", "message", "partner_ref_id", "appotapay_trans_id", "amount", "transfer_amount", "account_no", "account_name", "time", "time_unix", "balance", "signature_verified", "raw",)
    _enums = {"status": TransactionStatus}
    _raw = ("raw",)

    #: What it means for the money.
    status: TransactionStatus
    #: AppotaPay's `errorCode`.
    error_code: int
    #: AppotaPay's message.
    message: str
    #: Your reference.
    partner_ref_id: str
    #: AppotaPay's transaction id.
    appotapay_trans_id: Optional[str]
    #: What your account paid, VND.
    amount: Optional[int]
    #: What the receiver gets, VND (less than `amount` when the receiver pays the fee).
    transfer_amount: Optional[int]
    #: The receiving account (status replies).
    account_no: Optional[str]
    #: The receiving account's holder (status replies).
    account_name: Optional[str]
    #: When, as sent (RFC 3339, `d-m-Y H:i:s` or unix seconds).
    time: Optional[str]
    #: `time` as unix seconds, when it is in one of those forms.
    time_unix: Optional[int]
    #: Your balance after it.
    balance: Optional[int]
    #: Whether the reply's signature was checked and matched.
    signature_verified: bool
    #: The reply body as received.
    raw: str


class CodeError(Record):
    """A card code that could not be decrypted. The card was bought: keep its serial and the
    encrypted code, and decrypt it later with `decrypt_code`."""

    _fields = ("serial", "reason",)

    #: The card's serial.
    serial: str
    #: Why the code could not be read.
    reason: str


class BoughtCard(Record):
    """One bought card."""

    _fields = ("serial", "code", "code_error", "encrypted_code", "vendor", "value", "expiry",)
    _nested = {"code_error": CodeError}
    _masked = ("code", "encrypted_code",)

    #: The serial.
    serial: str
    #: The PIN, decrypted; `None` when it could not be (see `code_error`).
    code: Optional[str]
    #: Why `code` is `None`.
    code_error: Optional[CodeError]
    #: The PIN as AppotaPay sent it (base64 RSA ciphertext).
    encrypted_code: str
    #: The card's vendor.
    vendor: Optional[str]
    #: The face value.
    value: Optional[int]
    #: Expiry as `YYYY-MM-DD` (AppotaPay sends d-m-Y or Y-m-d); as sent if neither.
    expiry: Optional[str]


class BuyResult(Record):
    """The answer to `buy_cards` or `transaction`."""

    _fields = ("status", "error_code", "message", "cards", "appotapay_trans_id", "amount", "time", "balance", "raw",)
    _enums = {"status": PurchaseStatus}
    _nested = {"cards": BoughtCard}
    _raw = ("raw",)

    #: What it means.
    status: PurchaseStatus
    #: AppotaPay's `errorCode`.
    error_code: int
    #: AppotaPay's message.
    message: str
    #: The cards (empty for `sms`, or when nothing was bought).
    cards: List[BoughtCard]
    #: AppotaPay's transaction id.
    appotapay_trans_id: Optional[str]
    #: The amount charged.
    amount: Optional[int]
    #: When, as sent (d-m-Y H:i:s).
    time: Optional[str]
    #: Your balance after the purchase.
    balance: Optional[int]
    #: The reply body as received.
    raw: str


class DataPackage(Record):
    """One data package."""

    _fields = ("product_code", "amount", "type", "telco", "description",)

    #: The code `mobile_topup` takes.
    product_code: str
    #: Its price, VND.
    amount: Optional[int]
    #: AppotaPay's kind (`topup_data`).
    type: Optional[str]
    #: The network (`mobifone_data`).
    telco: Optional[str]
    #: What it gives.
    description: Optional[str]


class DataPackages(Record):
    """The data packages of a phone."""

    _fields = ("error_code", "message", "packages", "raw",)
    _nested = {"packages": DataPackage}
    _raw = ("raw",)

    #: AppotaPay's `errorCode` (91: busy, ask again later).
    error_code: int
    #: AppotaPay's message.
    message: str
    #: The packages, in the order sent.
    packages: List[DataPackage]
    #: The reply body as received.
    raw: str


class DecryptedCode(Record):
    """AppotaPay `decrypt_code`'s result."""

    _fields = ("serial", "code",)
    _masked = ("code",)

    #: The card's serial.
    serial: str
    #: The card's PIN.
    code: str


class MobileTopup(Record):
    """A mobile top-up, from `mobile_topup` or `topup_transaction`."""

    _fields = ("status", "error_code", "message", "partner_ref_id", "appotapay_trans_id", "phone_number", "product_code", "amount", "topup_amount", "telco", "telco_service_type", "time", "time_unix", "balance", "signature_verified", "raw",)
    _enums = {"status": TransactionStatus}
    _raw = ("raw",)

    #: What it means for the money.
    status: TransactionStatus
    #: AppotaPay's `errorCode`.
    error_code: int
    #: AppotaPay's message.
    message: str
    #: Your reference.
    partner_ref_id: str
    #: AppotaPay's transaction id.
    appotapay_trans_id: Optional[str]
    #: The phone topped up.
    phone_number: Optional[str]
    #: The product (v2 replies).
    product_code: Optional[str]
    #: What your account paid, VND.
    amount: Optional[int]
    #: What the phone received, VND.
    topup_amount: Optional[int]
    #: The network, as the telco recorded it (may differ from the request).
    telco: Optional[str]
    #: `prepaid` or `postpaid`, as the telco recorded it.
    telco_service_type: Optional[str]
    #: When, as sent (RFC 3339, `d-m-Y H:i:s` or unix seconds).
    time: Optional[str]
    #: `time` as unix seconds, when it is in one of those forms (`d-m-Y` is Vietnam time).
    time_unix: Optional[int]
    #: Your balance after it.
    balance: Optional[int]
    #: Whether the reply's signature was checked and matched. Replies with a non-zero
    #: `errorCode` are unsigned, and `verify_response_signature: false` checks none.
    signature_verified: bool
    #: The reply body as received.
    raw: str


class TransferIpn(Record):
    """A transfer IPN: AppotaPay's word on a transfer that was pending (35). Verified; confirm
    it with `transfer_transaction` before you credit or refund."""

    _fields = ("status", "error_code", "message", "partner_ref_id", "appotapay_trans_id", "amount", "transfer_amount", "transfer_status", "time", "time_unix", "reply_body", "raw",)
    _enums = {"status": TransactionStatus}
    _raw = ("raw",)

    #: `success` (errorCode 0, transferStatus `success`), `failed` (transferStatus `error`),
    #: else `unknown`.
    status: TransactionStatus
    #: AppotaPay's `errorCode`.
    error_code: int
    #: AppotaPay's message.
    message: str
    #: Your reference.
    partner_ref_id: str
    #: AppotaPay's transaction id.
    appotapay_trans_id: str
    #: What your account paid, VND.
    amount: Optional[int]
    #: What the receiver gets, VND.
    transfer_amount: Optional[int]
    #: AppotaPay's word: `success` or `error`.
    transfer_status: str
    #: When, as sent.
    time: Optional[str]
    #: `time` as unix seconds, when readable.
    time_unix: Optional[int]
    #: The body to answer AppotaPay with (HTTP 200) once you have recorded the IPN; unanswered
    #: IPNs are sent again up to 3 times, 5 minutes apart.
    reply_body: str
    #: The body as received.
    raw: str


class Product(Record):
    """One product."""

    _fields = ("product_type", "code", "name", "value",)

    #: The group, e.g. `APPOTA`, `VIETTEL`.
    product_type: str
    #: The product code to buy.
    code: str
    #: Its name.
    name: str
    #: Its face value.
    value: Optional[int]


class Products(Record):
    """The product list."""

    _fields = ("error_code", "message", "products", "raw",)
    _nested = {"products": Product}
    _raw = ("raw",)

    #: AppotaPay's `errorCode`.
    error_code: int
    #: AppotaPay's message.
    message: str
    #: Every product, in the order sent.
    products: List[Product]
    #: The reply body as received.
    raw: str


class ShopCard(Record):
    """A bought card."""

    _fields = ("name", "serial", "code", "expired",)
    _masked = ("code",)

    #: The product's name, as the site gives it.
    name: Optional[str]
    #: The serial.
    serial: str
    #: The PIN (the site sends it in clear: a secret from here on).
    code: str
    #: When the card expires, as sent.
    expired: Optional[str]


class CardOrder(Record):
    """A site's answer about a card order (`buy_cards`, `redownload`)."""

    _fields = ("status", "site_status", "message", "cards", "request_id", "order_code", "time", "raw",)
    _enums = {"status": OrderStatus}
    _nested = {"cards": ShopCard}
    _raw = ("raw",)

    #: What it means for the money.
    status: OrderStatus
    #: The site's own status code.
    site_status: int
    #: The site's message, as sent.
    message: str
    #: The cards (empty unless `delivered`).
    cards: List[ShopCard]
    #: The order's `request_id`, echoed.
    request_id: Optional[str]
    #: The site's reference for the order.
    order_code: Optional[str]
    #: When, as sent.
    time: Optional[str]
    #: The reply body as received.
    raw: str


class CardValue(Record):
    """One face value of a product on sale."""

    _fields = ("value", "discount",)

    #: The face value, VND.
    value: int
    #: The discount in percent, when given.
    discount: Optional[float]


class CardProduct(Record):
    """A product on sale in the card shop."""

    _fields = ("name", "service_code", "values",)
    _nested = {"values": CardValue}

    #: Its name.
    name: str
    #: The code `buy_cards` takes.
    service_code: str
    #: Its face values.
    values: List[CardValue]


class CardProducts(Record):
    """The card shop's products (`GET …/products`)."""

    _fields = ("products", "raw",)
    _nested = {"products": CardProduct}
    _raw = ("raw",)

    #: Every product, in the order sent.
    products: List[CardProduct]
    #: The reply body as received.
    raw: str


class CardResult(Record):
    """A site's answer to `charge` or `check`."""

    _fields = ("status", "message", "request_id", "trans_id", "telco", "code", "serial", "declared_value", "value", "amount", "raw",)
    _enums = {"status": CardStatus}
    _masked = ("code",)
    _raw = ("raw",)

    #: The card's status; unknown codes are kept.
    status: Union[CardStatus, int]
    #: The site's message, as sent.
    message: str
    #: Your request id, echoed.
    request_id: Optional[str]
    #: The site's transaction id.
    trans_id: Optional[str]
    #: The telco, echoed.
    telco: Optional[str]
    #: The card PIN, echoed.
    code: Optional[str]
    #: The card serial, echoed.
    serial: Optional[str]
    #: The face value you declared.
    declared_value: Optional[int]
    #: The face value billed; `None` while pending.
    value: Optional[int]
    #: The money you receive after fees (not the face value).
    amount: Optional[int]
    #: The reply body as received.
    raw: str


class Fee(Record):
    """One row of the fee table."""

    _fields = ("telco", "value", "fees", "penalty",)

    #: The telco, as the site names it in its fee table (may be an alias such as `VNMOBI`).
    telco: str
    #: The face value.
    value: int
    #: The fee in percent for a card of the right value.
    fees: float
    #: The extra penalty in percent for a card of the wrong value.
    penalty: Optional[float]


class Fees(Record):
    """The fee table."""

    _fields = ("fees", "skipped", "raw",)
    _nested = {"fees": Fee}
    _raw = ("raw",)

    #: Every usable row, in the order the site sent them.
    fees: List[Fee]
    #: Rows left out, each with why (a row whose `fees` is null: the site does not take that
    #: card now). One unusable row does not cost the whole table.
    skipped: List[str]
    #: The reply body as received.
    raw: str


class Callback(Record):
    """A callback whose `callback_sign` matched."""

    _fields = ("status", "message", "request_id", "trans_id", "telco", "code", "serial", "declared_value", "card_value", "value", "amount", "raw",)
    _enums = {"status": CardStatus}
    _masked = ("code",)
    _raw = ("raw",)

    #: The card's final (or, rarely, pending) status.
    status: Union[CardStatus, int]
    #: The site's message, percent-decoded.
    message: str
    #: Your request id.
    request_id: str
    #: The site's transaction id.
    trans_id: Optional[str]
    #: The telco.
    telco: Optional[str]
    #: The card PIN (covered by the signature).
    code: str
    #: The card serial (covered by the signature).
    serial: str
    #: The face value you declared.
    declared_value: Optional[int]
    #: The card's real face value (GET callbacks only).
    card_value: Optional[int]
    #: The face value billed.
    value: Optional[int]
    #: The money you receive after fees.
    amount: Optional[int]
    #: The callback as received.
    raw: str


class Stock(Record):
    """The shop's answer to a stock check."""

    _fields = ("in_stock", "site_status", "message", "raw",)
    _raw = ("raw",)

    #: In stock: the reply's `stock_available` when present, else status 1.
    in_stock: bool
    #: The site's own status, as sent (`None` when the reply has none): "not in stock" with 118
    #: is out of stock, with 116 a refused signature, with 108 no card shop.
    site_status: Optional[str]
    #: The site's message, as sent.
    message: str
    #: The reply body as received.
    raw: str


class TopupOrder(Record):
    """A site's answer about a top-up order."""

    _fields = ("status", "site_status", "order_status", "message", "order_code", "request_id", "pay_amount", "amount", "raw",)
    _enums = {"status": TopupOrderStatus}
    _raw = ("raw",)

    #: What it means for the money.
    status: TopupOrderStatus
    #: The site's own `status` word.
    site_status: str
    #: The order's own status word (`data.status`: `completed`, `canceled`, `pending`, or a word
    #: no source documents, which is `unresolved`), as sent.
    order_status: Optional[str]
    #: The site's message, as sent.
    message: str
    #: The site's reference for the order.
    order_code: Optional[str]
    #: The order's `request_id`, echoed.
    request_id: Optional[str]
    #: What the wallet paid, VND.
    pay_amount: Optional[int]
    #: The amount topped up, VND.
    amount: Optional[int]
    #: The reply body as received.
    raw: str


class TopupServiceProduct(Record):
    """One product of the top-up service."""

    _fields = ("service_code", "values",)
    _nested = {"values": CardValue}

    #: The code `topup_order` takes.
    service_code: str
    #: Its amounts and discounts.
    values: List[CardValue]


class TopupProducts(Record):
    """The top-up service's products (`command=productlist`)."""

    _fields = ("products", "raw",)
    _nested = {"products": TopupServiceProduct}
    _raw = ("raw",)

    #: Every product, in the order sent.
    products: List[TopupServiceProduct]
    #: The reply body as received.
    raw: str


class ShopBalance(Record):
    """A wallet's balance (`command=getbalance`)."""

    _fields = ("balance", "currency", "site_status", "message", "raw",)
    _raw = ("raw",)

    #: The balance in VND, when the site gave one (`balance`, `data.balance` or `amount`).
    balance: Optional[int]
    #: The currency, when the site names it (`currency_code`, `data.currency`).
    currency: Optional[str]
    #: The site's own status, as sent (a number on the card shop, a word on the top-up service;
    #: `None` when the reply has none): a refused signature (116) or an account without the
    #: service (108) is told apart from a balance of 0 here and in `message`.
    site_status: Optional[str]
    #: The site's message (108: the account has no card shop).
    message: str
    #: The reply body as received.
    raw: str


class Disbursement(Record):
    """eSMS's answer to `disburse` or `query`."""

    _fields = ("code", "message", "status", "transaction_id", "order_id", "amount", "channel", "result_code", "channel_message", "timestamp", "raw",)
    _enums = {"status": DisbursementStatus}
    _raw = ("raw",)

    #: eSMS's code: 0 accepted; -12 duplicate `order_id`; -9 bad signature; -11 balance; …
    code: int
    #: eSMS's message.
    message: str
    #: The payout's state, when eSMS returned one.
    status: Optional[Union[DisbursementStatus, int]]
    #: eSMS's transaction id.
    transaction_id: Optional[str]
    #: Your order id, echoed.
    order_id: Optional[str]
    #: The amount.
    amount: Optional[int]
    #: The channel number (1 MoMo, 2 ZaloPay).
    channel: Optional[int]
    #: The wallet network's own code (MoMo: 0 success; ZaloPay: 1 success).
    result_code: Optional[str]
    #: The wallet network's message.
    channel_message: Optional[str]
    #: eSMS's timestamp.
    timestamp: Optional[int]
    #: The reply body as received.
    raw: str


class ApiToken(Record):
    """eSMS `generate_api_token`'s result: a token that does not expire."""

    _fields = ("api_token",)
    _masked = ("api_token",)

    #: The token (configure it as `api_token`). A secret.
    api_token: str


class AccessToken(Record):
    """eSMS `login`'s result: a token of 24 h."""

    _fields = ("access_token",)
    _masked = ("access_token",)

    #: The token. A secret.
    access_token: str


class EsmsCallback(Record):
    """A callback as received. eSMS does not sign callbacks: this is a hint until
    `confirm_callback` confirms it."""

    _fields = ("confirmed", "order_id", "status", "transaction_id", "amount", "channel", "result_code", "message", "raw",)
    _enums = {"status": DisbursementStatus}
    _raw = ("raw",)

    #: Always `false`: nothing vouches for an eSMS callback.
    confirmed: bool
    #: Your order id.
    order_id: str
    #: The claimed state.
    status: Union[DisbursementStatus, int]
    #: eSMS's transaction id.
    transaction_id: Optional[str]
    #: The claimed amount.
    amount: Optional[int]
    #: The channel number.
    channel: Optional[int]
    #: The wallet network's code.
    result_code: Optional[str]
    #: The message.
    message: str
    #: The callback as received.
    raw: str


class RecipientCheck(Record):
    """eSMS's answer to `verify_recipient`."""

    _fields = ("code", "message", "result_code", "result_message", "raw",)
    _raw = ("raw",)

    #: eSMS's code (0: the check ran).
    code: int
    #: eSMS's message.
    message: str
    #: The wallet network's verdict code.
    result_code: Optional[str]
    #: The wallet network's verdict.
    result_message: Optional[str]
    #: The reply body as received.
    raw: str


class OpenCardResult(Record):
    """OpenCard's answer to `charge`."""

    _fields = ("status", "message", "request_id", "raw",)
    _enums = {"status": CardStatus}
    _raw = ("raw",)

    #: Usually 99 (processing); the result comes by webhook.
    status: Union[CardStatus, int]
    #: OpenCard's message.
    message: str
    #: OpenCard's id for this card: store it, the webhook carries it.
    request_id: Optional[str]
    #: The reply body as received.
    raw: str


class OpenCardUnverified(Record):
    """What an OpenCard webhook carries outside its signature: informative only. Never credit
    from these; match the card with `check_against`."""

    _fields = ("message", "telco", "declared_value", "actual_amount", "notified_at",)

    #: OpenCard's message.
    message: str
    #: The telco.
    telco: Optional[str]
    #: The face value declared.
    declared_value: Optional[int]
    #: "Số tiền thực nhận", the money received (its meaning on failure is undocumented).
    actual_amount: Optional[int]
    #: When OpenCard sent it, as sent.
    notified_at: Optional[str]


class OpenCardWebhook(Record):
    """A webhook whose `sign` matched. The signature covers `request_id`, `status`, `amount` and
    `trans_id` only; everything else OpenCard sends is kept apart in `unverified`: anyone can
    change it without breaking the signature."""

    _fields = ("request_id", "trans_id", "status", "amount", "unverified", "raw",)
    _enums = {"status": CardStatus}
    _nested = {"unverified": OpenCardUnverified}
    _raw = ("raw",)

    #: The id from the charge reply (signed).
    request_id: str
    #: OpenCard's transaction id (signed).
    trans_id: str
    #: The card's status: 1, 2, 3, 4 (signed).
    status: Union[CardStatus, int]
    #: The amount (signed).
    amount: Optional[int]
    #: The fields the signature does not cover.
    unverified: OpenCardUnverified
    #: The webhook body as received.
    raw: str


class TopupBalance(Record):
    """The answer to `balance`."""

    _fields = ("balance", "code", "message", "raw",)
    _raw = ("raw",)

    #: The balance, or `None` with `code` -6 (wrong checksum) or -302 (no such user).
    balance: Optional[int]
    #: The error code, when there is no balance.
    code: Optional[int]
    #: What the code means.
    message: str
    #: The reply body as received.
    raw: str


class TopupResult(Record):
    """The answer to `topup` or `recheck`."""

    _fields = ("status", "code", "message", "id_transaction", "client_trans_id", "raw",)
    _enums = {"status": TopupOutcome}
    _raw = ("raw",)

    #: What the code means for the money (the name every provider's results use).
    status: TopupOutcome
    #: The provider's code.
    code: int
    #: The code's meaning, from the provider's document.
    message: str
    #: The provider's id (may be empty on a refusal).
    id_transaction: Optional[str]
    #: Your id (given or made by vngate).
    client_trans_id: Optional[str]
    #: The reply body as received.
    raw: str


class Settlement(Record):
    """The answer to `settle`."""

    _fields = ("reference", "operation", "state", "first", "amount", "settled_by", "answer",)
    _enums = {"state": JournalState}

    #: The reference.
    reference: str
    #: The money-moving operation.
    operation: str
    #: Where it stands.
    state: JournalState
    #: Whether this call is the first, in any process, to see it final: credit (or refund) when
    #: this is `true`, and only then.
    first: bool
    #: Once final: the money that moved, as the answer that settled the record states it (for a
    #: card, what the partner receives for it: after the site's fee and the penalty of a wrong
    #: face value). Credit this, never an amount from an earlier answer. `None` while the record
    #: is open, and where that answer states none.
    amount: Optional[int]
    #: Once final: what settled it: `answer` (the call's own reply), `resolve` (a resolving
    #: call: `check`, `transaction`, …) or `callback` (a callback whose signature covers its
    #: status and amount). `None` while open, or for a record settled before vngate kept it.
    settled_by: Optional[str]
    #: Once final, the answer that settled it (its result JSON: the call's, the resolving call's
    #: or the callback's, as `settled_by` says); while open, the last answer recorded.
    answer: Optional[Dict[str, Any]]


class Reconciled(Record):
    """One line of a reconcile."""

    _fields = ("provider", "operation", "reference", "before", "after", "note",)
    _enums = {"before": JournalState, "after": JournalState}

    #: The provider.
    provider: str
    #: The operation.
    operation: str
    #: The reference.
    reference: str
    #: The state before.
    before: JournalState
    #: The state after.
    after: JournalState
    #: What happened.
    note: str


class ReconcileReport(Record):
    """What `reconcile` did."""

    _fields = ("checked", "resolved", "still_open", "not_sent", "awaiting_callback", "errors", "not_ours", "attention", "lines",)
    _nested = {"lines": Reconciled}

    #: Records looked at.
    checked: int
    #: Records that became final.
    resolved: int
    #: Records still open after their resolving call.
    still_open: int
    #: Intents found abandoned (written by an earlier vngate, which committed "intent" and then
    #: "sent"): closed as never sent.
    not_sent: int
    #: Records with no resolving call (OpenCard): waiting for their callback.
    awaiting_callback: int
    #: Resolving calls that failed (the record stays as it was).
    errors: int
    #: Records another client identity made (another site or partner id filed under the same
    #: account): left alone, never asked about with this client's credentials.
    not_ours: int
    #: Records in the `attention` state after this run (unresolved past `attention_after_secs`,
    #: or after `max_attempts`): a person must look (`vngate journal list --attention`).
    attention: int
    #: Each record's line.
    lines: List[Reconciled]


class HttpOptions(TypedDict, total=False):
    """HTTP settings shared by every client. In a JSON config these keys sit beside the
    provider's own keys. Clients built with the same settings in one process share one
    keep-alive pool."""

    #: Allow a plain `http://` base URL for a provider whose documents use HTTPS (its calls
    #: carry keys, tokens or card PINs in clear text then). Default `false`; loopback URLs are
    #: always allowed.
    allow_insecure_http: bool
    #: A PEM file of certificate authorities to trust instead of `tls_roots` (a company CA in a
    #: container without a system store). Read when a client is built (once per process while
    #: the file is unchanged).
    ca_file: Optional[str]
    #: Opening the connection (and the TLS handshake). Default 10 000 ms.
    connect_timeout_ms: int
    #: How long a provider host's addresses are kept, in seconds, by a cache every client of the
    #: process shares. Default 60: a provider that moves its servers is followed within a
    #: minute, and a call costs no DNS query (nor a thread) in between. When a lookup fails, the
    #: addresses last seen are used. 0 looks the name up for every new connection (a kept-alive
    #: one stays with the address it was opened to).
    dns_cache_secs: int
    #: Idle keep-alive connections kept per host for read-only calls. Default 16: one client is
    #: typically shared by a worker's threads (gunicorn threads, a C daemon's pool), and with
    #: fewer, threads that finish together open new connections (a TLS handshake each).
    max_idle_connections_per_host: int
    #: The largest reply body read; a larger reply is a bad reply. Default 1 MiB.
    max_reply_bytes: int
    #: An HTTP(S) CONNECT proxy URL (`http://user:password@host:3128`). Default none: vngate
    #: ignores `HTTP_PROXY` and friends, so a stray environment variable cannot route card PINs
    #: through an unknown host.
    proxy: Optional[str]
    #: Let money-moving calls (charge, buy, disburse, top-up) reuse pooled keep-alive
    #: connections. Default `false`: each opens a connection of its own and closes it after the
    #: reply, so a stray or late reply left on a pooled connection can never be read as its
    #: answer, and a pooled connection the server closed while idle can never turn a request
    #: that was not sent into "outcome unknown". `true` saves a TCP (and TLS) handshake per
    #: money call at the cost of both risks; read-only calls always use the pool. With `true` a
    #: journal's resolving calls use the pool too, and their answers settle a record only when
    #: they name it or agree with its stored request (a failure reply that names nothing leaves
    #: it open, and in time in `attention`).
    reuse_connections_for_money: bool
    #: The whole call, from connecting to the last byte of the reply. Default 30 000 ms.
    timeout_ms: int
    #: Which certificate authorities HTTPS trusts. Default `Bundled`.
    tls_roots: Literal["bundled", "system"]


class _AppotaPayConfigRequired(TypedDict):
    #: Your partner code (the JWT's `iss`).
    partner_code: str
    #: Your API key.
    api_key: str
    #: Your secret key: signs the JWT and the requests.
    secret_key: str


class AppotaPayConfig(_AppotaPayConfigRequired, HttpOptions, total=False):
    """Everything an `AppotaPay` client needs. In JSON the HTTP options sit beside these
    keys."""

    #: Default `https://gateway.appotapay.com` (sandbox `https://gateway.dev.appotapay.com`).
    base_url: str
    #: Send `Bearer <jwt>` (default, what every integrator does) or the bare token.
    bearer: bool
    #: JWT lifetime in seconds. Default 300.
    jwt_lifetime_secs: int
    #: Card code padding. Default OAEP-SHA1.
    padding: Literal["oaep_sha1", "pkcs1v15"]
    #: Your RSA private key, PEM (PKCS#1 or PKCS#8), to decrypt card codes. Without it, codes
    #: stay encrypted and each card says why.
    private_key_pem: Optional[str]
    #: Send and sign a top-up's absent `telco` as an empty value. Default `false`: an absent
    #: telco is neither sent nor signed.
    sign_absent_as_empty: bool
    #: The top-up API `mobile_topup` calls: `v2` (default, a `product_code`) or `v1` (an
    #: `amount` and the `telco`).
    topup_api: Literal["v2", "v1"]
    #: Which fields a bank transfer sends and signs: `given` (default, the documented fields the
    #: request carries) or `all` (the twelve, absent ones empty).
    transfer_sign: Literal["given", "all"]
    #: Check the signature of the replies AppotaPay signs (top-up, transfer, account check).
    #: Default `true`; a success reply that fails it is never a success.
    verify_response_signature: bool


class NoInput(TypedDict):
    """The input of an operation that takes none (`fees`, `products`, `balance`, `login`):
    `{}`."""

    pass


class _BankAccountRequestRequired(TypedDict):
    #: The bank, by AppotaPay's code.
    bank_code: str
    #: The account or card number (4–22 characters).
    account_no: str


class BankAccountRequest(_BankAccountRequestRequired, total=False):
    """A bank account check (`bank_account_info`)."""

    #: `account` (default) or `card`.
    account_type: Literal["account", "card"]
    #: A reference for the check; vngate makes one when you give none.
    partner_ref_id: Optional[str]


class _BankTransferRequestRequired(TypedDict):
    #: Your unique id for this transfer (at most 50 characters). Store it first.
    partner_ref_id: str
    #: The bank, by AppotaPay's code (`TPBANK`, `VCB`, …).
    bank_code: str
    #: The account or card number (3–22 characters).
    account_no: str
    #: The holder's name as the bank has it (letters, digits, spaces and `.-,_&`); see
    #: `bank_account_info`.
    account_name: str
    #: VND.
    amount: int
    #: Who pays the fee: `payer` or `receiver`.
    fee_type: Literal["payer", "receiver"]
    #: The transfer note: at most 100 unaccented letters, digits and spaces.
    message: str


class BankTransferRequest(_BankTransferRequestRequired, total=False):
    """A bank transfer (`bank_transfer`, firm banking)."""

    #: `account` (default) or `card`.
    account_type: Literal["account", "card"]
    #: The Citad branch code, with `channel: citad`.
    bank_id: Optional[str]
    #: `citad` for a Citad transfer (then `bank_id` is required).
    channel: Optional[str]
    #: A contract number, if you send it.
    contract_number: Optional[str]
    #: The customer's phone, if you send it.
    customer_phone_number: Optional[str]


class _BuyRequestRequired(TypedDict):
    #: Your unique id for this purchase.
    partner_ref_id: str
    #: The product, e.g. `VT10` (see `products`).
    product_code: str
    #: How many cards: 1–100 (`normal`), exactly 1 (`sms`).
    quantity: int


class BuyRequest(_BuyRequestRequired, total=False):
    """A purchase."""

    #: The phone that receives the code, for `sms` only.
    customer_phone: Optional[str]
    #: `normal` (default) or `sms`.
    type: Literal["normal", "sms"]


class _DataPackagesRequestRequired(TypedDict):
    #: The phone (`09…`).
    phone_number: str


class DataPackagesRequest(_DataPackagesRequestRequired, total=False):
    """The data packages a phone can buy (`data_packages`)."""

    #: `prepaid` (default) or `postpaid`.
    telco_service_type: Literal["prepaid", "postpaid"]
    #: Only packages of this price, VND.
    value: Optional[int]


class DecryptCodeRequest(TypedDict):
    """AppotaPay `decrypt_code`'s input: one bought card's encrypted code."""

    #: The card's serial.
    serial: str
    #: The card's `encrypted_code`, as the purchase returned it.
    encrypted_code: str


class _MobileTopupRequestRequired(TypedDict):
    #: Your unique id for this top-up (at most 50 characters). Store it first.
    partner_ref_id: str
    #: The phone to top up (`09…`).
    phone_number: str


class MobileTopupRequest(_MobileTopupRequestRequired, total=False):
    """A mobile top-up (`mobile_topup`)."""

    #: How much, VND, with the v1 API (`topup_api: v1`).
    amount: Optional[int]
    #: What to top up with the v2 API (default): `viettel_10`, or a data package's code from
    #: `data_packages`.
    product_code: Optional[str]
    #: The network, lowercase (`viettel`, `vinaphone`, `mobifone`, …): optional with v2
    #: (AppotaPay finds it from the number), required with v1.
    telco: Optional[str]
    #: `prepaid` (default) or `postpaid`.
    telco_service_type: Literal["prepaid", "postpaid"]


class _CallbackInputRequired(TypedDict):
    #: The raw POST body or GET query string.
    data: str


class CallbackInput(_CallbackInputRequired, total=False):
    """`parse_callback`'s input: the callback exactly as received, and optionally the request
    you stored, to match it against."""

    #: The stored request: the card you sent (`CardRequest`) for chargingws, the charge you
    #: stored (`StoredCharge`) for OpenCard. Refused for eSMS, whose callbacks are unsigned.
    #: Kept as JSON here so its errors name `expected.<field>`.
    expected: Optional[Dict[str, Any]]


class TransactionRequest(TypedDict):
    """AppotaPay `transaction`, `topup_transaction` and `transfer_transaction`'s input."""

    #: The `partner_ref_id` of the purchase, top-up or transfer.
    partner_ref_id: str


class _ChargingWsConfigRequired(TypedDict):
    #: The site, e.g. `https://thesieure.com`.
    base_url: str
    #: The partner id the site issued.
    partner_id: str
    #: The partner key the site issued.
    partner_key: str


class ChargingWsConfig(_ChargingWsConfigRequired, HttpOptions, total=False):
    """Everything a `ChargingWs` client needs. In JSON the HTTP options sit beside these
    keys."""

    #: Face values accepted per telco, replacing the defaults for the telcos named (`{"VIETTEL":
    #: [10000, 20000]}`). Default: 10 000 … 1 000 000 (VCOIN and GATE up to 10 000 000, GARENA
    #: 20 000 … 500 000).
    face_values: Dict[str, List[int]]
    #: Take the face values from the site's own fee table instead (read once, on the first
    #: charge, and kept): the amounts that site really takes. Default `false`.
    face_values_from_fees: bool
    #: The API path on that site. Default `/chargingws/v2`.
    path: str
    #: The partner id the site issued for its card shop, when it differs from `partner_id`.
    shop_partner_id: Optional[str]
    #: The partner key for the card shop, when it differs from `partner_key`.
    shop_partner_key: Optional[str]
    #: The card shop's path on the site (`buy_cards`, `redownload`, `wallet_balance`). Default
    #: `/api/cardws`.
    shop_path: str
    #: How card shop requests are encoded: `json` (default), `form` or `query` (a POST with the
    #: fields in the query string). The top-up service takes JSON only.
    shop_transport: Literal["json", "form", "query"]
    #: How the site signs requests. Default S1.
    sign_scheme: Literal["s1", "s2"]
    #: How the site signs `stock` (checkavailable). Default C1 with no request id.
    stock_sign: Literal["service", "none", "service_value_qty"]
    #: Send a top-up's `amount` and `qty` as JSON numbers. Default `false`: as text, as the
    #: documentation's example does (the sign covers neither).
    topup_amount_as_number: bool
    #: The partner id the site issued for top-up, when it differs from `partner_id`.
    topup_partner_id: Optional[str]
    #: The partner key for top-up, when it differs from `partner_key`.
    topup_partner_key: Optional[str]
    #: The top-up service's path (`topup_order`, `topup_status`, `topup_products`). Default
    #: `/api/rechargews`.
    topup_path: str
    #: How requests travel. Default form.
    transport: Literal["form", "json", "get"]
    #: The site's e-wallet number, sent with `buy_cards` and `wallet_balance` when set.
    wallet_number: Optional[str]


class BuyCardsRequest(TypedDict):
    """Card codes to buy (`command=buycard`)."""

    #: The product's `service_code`, as the site's product list gives it (`VIETTEL`, …).
    service_code: str
    #: The face value of each card, VND.
    value: int
    #: How many cards (1–100).
    qty: int
    #: Your unique id for this order; see `new_request_id`. Store it first.
    request_id: str


class CardRequest(TypedDict):
    """A card to charge, or to check. `check` takes the same fields, since S1 signs the card."""

    #: The network: `VIETTEL`, `VINAPHONE`, `MOBIFONE`, `VIETNAMOBILE` (or `VNMOBI`, `VNMB`),
    #: `ZING`, `GATE`, `GARENA`, `VCOIN`, `APPOTA`. Sent upper-case.
    telco: str
    #: The card PIN, as printed (leading zeros matter).
    code: str
    #: The card serial, as printed.
    serial: str
    #: The declared face value in VND.
    amount: int
    #: Your unique id for this card; see `new_request_id`.
    request_id: str


class _RedownloadRequestRequired(TypedDict):
    #: The order's `request_id`.
    request_id: str


class RedownloadRequest(_RedownloadRequestRequired, total=False):
    """An order to download again (`command=redownload`): the resolving call of `buy_cards`. It
    creates no new transaction."""

    #: The site's `order_code`, when you have it (sent as well).
    order_code: Optional[str]


class StockRequest(TypedDict):
    """A stock check (`command=checkavailable`)."""

    #: The product's `service_code`.
    service_code: str
    #: The face value, VND.
    value: int
    #: How many cards.
    qty: int


class TopupOrderRequest(TypedDict):
    """A phone top-up order (`command=topup`)."""

    #: The product's `service_code`, from `topup_products` (e.g. `vinatt`).
    service_code: str
    #: The amount, VND.
    amount: int
    #: The phone to top up (`09…`).
    phone: str
    #: Your unique id for this order; see `new_request_id`. Store it first.
    request_id: str


class _TopupStatusRequestRequired(TypedDict):
    #: The order's `request_id`.
    request_id: str


class TopupStatusRequest(_TopupStatusRequestRequired, total=False):
    """A top-up order's status (`command=getstatus`): the resolving call of `topup_order`."""

    #: The site's `order_code`, when you have it (after a lost reply you do not: it is sent
    #: empty, and the site may not find the order; that answer is `unresolved`).
    order_code: Optional[str]


class WalletBalanceRequest(TypedDict, total=False):
    """A wallet balance request (`command=getbalance`)."""

    #: The service whose wallet: `shop` (default) or `topup`.
    service: Literal["shop", "topup"]


class _EsmsConfigRequired(TypedDict):
    #: The key that signs requests.
    secret_key: str


class EsmsConfig(_EsmsConfigRequired, HttpOptions, total=False):
    """Everything an `Esms` client needs. Give `api_token`, or `email` and `password` to obtain
    one on first use (`login` then `generate_api_token`)."""

    #: An API token from `generate_api_token`, sent as the `token` header.
    api_token: Optional[str]
    #: Default `https://api.vihatsoftware.com` (sandbox `http://sb-disbursement.esms.center`).
    base_url: str
    #: Your eSMS login, to obtain a token when `api_token` is not given.
    email: Optional[str]
    #: Your eSMS password.
    password: Optional[str]
    #: Signature printing. Default hex.
    signature_encoding: Literal["hex", "base64"]


class RawCallback(TypedDict):
    """`confirm_callback`'s input: an eSMS callback exactly as received."""

    #: The raw POST body or GET query string.
    data: str


class _DisburseRequestRequired(TypedDict):
    #: VND, at least 10 000 and a multiple of 1 000.
    amount: int
    #: `momo` or `zalopay`.
    channel: Literal["momo", "zalopay"]
    #: The wallet's phone number (`0912345678`).
    phone: str
    #: Your unique id, at most 50 characters.
    order_id: str
    #: The transfer note, at most 255 characters.
    description: str


class DisburseRequest(_DisburseRequestRequired, total=False):
    """A payout."""

    #: Where eSMS posts the result.
    callback_url: Optional[str]


class AccessTokenRequest(TypedDict):
    """eSMS `generate_api_token`'s input."""

    #: A token from `login`.
    access_token: str


class QueryRequest(TypedDict):
    """eSMS `query`'s input."""

    #: The `order_id` of the payout.
    order_id: str


class RecipientRequest(TypedDict):
    """eSMS `verify_recipient`'s input."""

    #: The wallet: `momo` or `zalopay`.
    channel: Literal["momo", "zalopay"]
    #: The wallet's phone number.
    phone: str


class _OpenCardConfigRequired(TypedDict):
    #: Your partner id.
    partner_id: str
    #: Your partner key.
    partner_key: str


class OpenCardConfig(_OpenCardConfigRequired, HttpOptions, total=False):
    """Everything an `OpenCard` client needs. In JSON the HTTP options sit beside these keys."""

    #: Default `https://api.opencard.vn`.
    base_url: str
    #: Face values accepted per telco, replacing the defaults for the telcos named (`{"VIETTEL":
    #: [10000, 20000]}`). Default: 10 000 … 1 000 000 (VCOIN and GATE up to 10 000 000, GARENA
    #: 20 000 … 500 000).
    face_values: Dict[str, List[int]]
    #: Default `/chargingws/v0`, as OpenCard's PHP sample posts (the heading may read v2).
    path: str
    #: Order of the request signature. Default ksort.
    sign_order: Literal["ksort", "prose"]
    #: Order of the webhook signature. Default ksort.
    webhook_sign_order: Literal["ksort", "prose"]


class OpenCardRequest(TypedDict):
    """A card to charge. OpenCard takes no request id of yours."""

    #: `VIETTEL`, `MOBIFONE`, `VINAPHONE`, `ZING`, `VCOIN` or `GARENA`.
    telco: str
    #: The card PIN.
    code: str
    #: The card serial.
    serial: str
    #: The declared face value in VND.
    amount: int


class _TopupConfigRequired(TypedDict):
    #: Your username.
    username: str
    #: Your private key.
    private_key: str


class TopupConfig(_TopupConfigRequired, HttpOptions, total=False):
    """Everything a `Topup` client needs. In JSON the HTTP options sit beside these keys."""

    #: Default `http://210.211.109.117/apipayment`.
    base_url: str
    #: The checksum digest. Default SHA-256.
    digest: Literal["sha256", "sha1"]


class RecheckRequest(TypedDict, total=False):
    """Which top-up to recheck: the provider's id, your id, or both."""

    #: Your id.
    client_trans_id: Optional[str]
    #: The provider's id from the top-up reply.
    id_transaction: Optional[str]


class _TopupRequestRequired(TypedDict):
    #: The phone to top up, starting with 0.
    phone: str
    #: VND, a multiple of 10 000 (the wire's `sotien`).
    amount: int


class TopupRequest(_TopupRequestRequired, total=False):
    """A top-up."""

    #: Your id for this top-up (the wire's `transidclient`). vngate makes one when you give
    #: none, so that an unknown outcome can always be rechecked.
    client_trans_id: Optional[str]
    #: The network: `VMS` (MobiFone), `VTL` (Viettel), `VNP` (VinaPhone), `VNB` (Vietnamobile),
    #: `GTEL` (Gmobile). Optional.
    gateway: Optional[str]


__all__ = [
    "AccessToken",
    "AccessTokenRequest",
    "ApiToken",
    "AppotaPayConfig",
    "Balance",
    "BankAccount",
    "BankAccountRequest",
    "BankTransfer",
    "BankTransferRequest",
    "BoughtCard",
    "BuyCardsRequest",
    "BuyRequest",
    "BuyResult",
    "Callback",
    "CallbackInput",
    "CardOrder",
    "CardProduct",
    "CardProducts",
    "CardRequest",
    "CardResult",
    "CardStatus",
    "CardValue",
    "ChargingWsConfig",
    "CodeError",
    "DataPackage",
    "DataPackages",
    "DataPackagesRequest",
    "DecryptCodeRequest",
    "DecryptedCode",
    "DisburseRequest",
    "Disbursement",
    "DisbursementStatus",
    "EsmsCallback",
    "EsmsConfig",
    "Fee",
    "Fees",
    "HttpOptions",
    "JournalState",
    "MobileTopup",
    "MobileTopupRequest",
    "NoInput",
    "OpenCardConfig",
    "OpenCardRequest",
    "OpenCardResult",
    "OpenCardUnverified",
    "OpenCardWebhook",
    "OrderStatus",
    "Product",
    "Products",
    "PurchaseStatus",
    "QueryRequest",
    "RawCallback",
    "RecheckRequest",
    "RecipientCheck",
    "RecipientRequest",
    "ReconcileReport",
    "Reconciled",
    "RedownloadRequest",
    "Settlement",
    "ShopBalance",
    "ShopCard",
    "Stock",
    "StockRequest",
    "TopupBalance",
    "TopupConfig",
    "TopupOrder",
    "TopupOrderRequest",
    "TopupOrderStatus",
    "TopupOutcome",
    "TopupProducts",
    "TopupRequest",
    "TopupResult",
    "TopupServiceProduct",
    "TopupStatusRequest",
    "TransactionRequest",
    "TransactionStatus",
    "TransferIpn",
    "WalletBalanceRequest",
]

//! Every operation of every provider, declared once (the [`operations`] table): its name, what
//! it takes and returns, whether it moves money, and for those that do, the caller's reference
//! and the call that resolves an unknown outcome; an example request; the function that runs
//! it. The entries here, the dispatcher ([`crate::api`]), the schema's types, the fronts'
//! generated methods, the tests' rows and `docs/operations.md` are all written from it; a
//! test fails when a generated file or page is stale.

/// What a money-moving operation needs when its outcome cannot be known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Money {
    /// The caller's field that identifies the attempt (`request_id`, `serial`, …).
    pub reference_field: &'static str,
    /// The operation that learns the outcome, if the provider has one.
    pub resolved_by: Option<&'static str>,
    /// What the caller should do, as the error says it.
    pub next_step: &'static str,
    /// vngate makes the reference when the caller gives none (topup's `client_trans_id`).
    pub made_if_missing: bool,
    /// The resolving call's input: these fields, from the original request or else from its
    /// answer (a site's `order_code`, topup's `id_transaction`). See [`Money::resolving_input`].
    pub resolve_with: &'static [&'static str],
    /// `(request field, result field)` pairs that must agree between the stored request and a
    /// resolving call's answer wherever the answer carries them: what ties an answer to its
    /// record where the reply does not echo the reference (AppotaPay's transfers and top-ups).
    /// A journal settles nothing from an answer that contradicts one.
    pub bound_by: &'static [(&'static str, &'static str)],
}

impl Money {
    /// The resolving call's JSON input for a request (and its answer, when one came): the
    /// fields of `resolve_with` that either carries. `None` when the provider has no
    /// resolving call or the request is not a JSON object.
    #[must_use]
    pub fn resolving_input(&self, request_json: &str, answer_json: Option<&str>) -> Option<String> {
        use serde_json::{Map, Value};
        self.resolved_by?;
        let object = |json: &str| match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        };
        let request = object(request_json)?;
        let answer = answer_json.and_then(object).unwrap_or_default();
        let mut input = Map::new();
        for field in self.resolve_with {
            let value = [&request, &answer]
                .into_iter()
                .find_map(|m| m.get(*field).filter(|v| !v.is_null()));
            if let Some(value) = value {
                input.insert((*field).to_owned(), value.clone());
            }
        }
        Some(Value::Object(input).to_string())
    }
}

/// Where an operation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// Moves money at the provider: never retried; see [`Operation::money`].
    MovesMoney,
    /// Asks the provider, changes nothing there.
    ReadOnly,
    /// Runs locally (verifies a callback, decrypts a code): no request of its own, except
    /// `confirm_callback`'s signed query.
    Local,
}

/// One operation of one provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// The provider, as [`crate::api::Client::new`] takes it.
    pub provider: &'static str,
    /// The operation's one name on every front.
    pub name: &'static str,
    /// Other names accepted for it (documented, kept for compatibility).
    pub aliases: &'static [&'static str],
    /// Where it runs.
    pub kind: Kind,
    /// For a money-moving operation: its reference and how to resolve an unknown outcome.
    pub money: Option<Money>,
    /// The request's type (in `schema/` and the fronts' generated types).
    pub request: &'static str,
    /// The result's type (in `schema/` and the fronts' generated types).
    pub result: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// A request it takes, as JSON (one the simulator's test accounts answer): the docs show
    /// it, and the tests run every network operation's example against the simulator. `None`
    /// for a callback and `decrypt_code`, whose input comes from elsewhere.
    pub example: Option<&'static str>,
}

impl Operation {
    /// Whether it moves money.
    #[must_use]
    pub fn moves_money(&self) -> bool {
        self.money.is_some()
    }
}

const fn money(
    reference_field: &'static str,
    resolved_by: Option<&'static str>,
    next_step: &'static str,
) -> Money {
    Money {
        reference_field,
        resolved_by,
        next_step,
        made_if_missing: false,
        resolve_with: &[],
        bound_by: &[],
    }
}

impl Money {
    const fn resolved_with(mut self, fields: &'static [&'static str]) -> Self {
        self.resolve_with = fields;
        self
    }

    const fn bound_by(mut self, pairs: &'static [(&'static str, &'static str)]) -> Self {
        self.bound_by = pairs;
        self
    }

    /// The first of `bound_by`'s fields on which `answer_json` contradicts
    /// `request_json` (both carry it, not null, and they differ), as `(request field, the
    /// answer's value)`. Numbers and their text agree (`10000` and `"10000"`).
    #[must_use]
    pub fn contradiction(
        &self,
        request_json: &str,
        answer_json: &str,
    ) -> Option<(&'static str, String)> {
        self.bound_pairs(request_json, answer_json)
            .into_iter()
            .find(|(_, ours, theirs)| ours != theirs)
            .map(|(field, _, theirs)| (field, theirs))
    }

    /// Whether `answer_json` agrees with `request_json` on at least one of
    /// `bound_by`'s fields and contradicts none: what ties an answer that names no
    /// reference to its record.
    #[must_use]
    pub fn agrees(&self, request_json: &str, answer_json: &str) -> bool {
        let pairs = self.bound_pairs(request_json, answer_json);
        !pairs.is_empty() && pairs.iter().all(|(_, ours, theirs)| ours == theirs)
    }

    /// The bound fields both carry (not null): (request field, its text, the answer's text).
    fn bound_pairs(
        &self,
        request_json: &str,
        answer_json: &str,
    ) -> Vec<(&'static str, String, String)> {
        use serde_json::Value;
        let (Ok(Value::Object(request)), Ok(Value::Object(answer))) = (
            serde_json::from_str::<Value>(request_json),
            serde_json::from_str::<Value>(answer_json),
        ) else {
            return Vec::new();
        };
        let text = |value: &Value| match value {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        self.bound_by
            .iter()
            .filter_map(|(ours, theirs)| {
                let ours_value = request.get(*ours).filter(|v| !v.is_null())?;
                let theirs_value = answer.get(*theirs).filter(|v| !v.is_null())?;
                Some((*ours, text(ours_value), text(theirs_value)))
            })
            .collect()
    }
}

use Kind::{Local, MovesMoney, ReadOnly};

/// Every operation, declared once: its provider and name, kind, request and result types,
/// summary, money facts, an example request (one the simulator's test accounts take), the
/// check a money-moving request passes before anything is written, and the function that runs
/// it. The table is a macro that hands its lines to another (`$then`): [`declare_entries`]
/// writes this module's entries from them, `crate::api` the dispatcher (`Client::call`,
/// `Client::validate`) and, with the `schema` feature, the list of types the schema holds.
/// Nothing else names an operation's types or function. `run:` is `settled` (the result says
/// where the money stands: [`crate::outcome::MoneyOutcome`]), `output` (it does not), or
/// `callback` (a callback's raw bytes, read by `Client::parse_callback_into`).
macro_rules! operations {
    ($then:ident) => {
        $crate::registry::normalize_operations! { $then;
            /// chargingws `charge`.
            CHARGINGWS_CHARGE: ChargingWs "charge" MovesMoney, CardRequest -> CardResult {
                summary: "submit a card (command=charging)",
                money: money(
                    "request_id",
                    Some("check"),
                    "call check with the same request_id (or wait for the callback)",
                )
                .resolved_with(&["telco", "code", "serial", "amount", "request_id"])
                .bound_by(&[("serial", "serial"), ("amount", "declared_value")]),
                example: r#"{"telco": "VIETTEL", "code": "312821445892981", "serial": "10004783347874", "amount": 50000, "request_id": "order-1001"}"#,
                validate: |_, request| crate::chargingws::validate(&request).map(drop),
                run: settled |c, request| c.charge(&request),
            }
            /// chargingws `check`.
            CHARGINGWS_CHECK: ChargingWs "check" ReadOnly, CardRequest -> CardResult {
                summary: "a card's current status (command=check)",
                example: r#"{"telco": "VIETTEL", "code": "312821445892981", "serial": "10004783347874", "amount": 50000, "request_id": "order-1001"}"#,
                run: settled |c, request| c.check(&request),
            }
            /// chargingws `fees`.
            CHARGINGWS_FEES: ChargingWs "fees" ReadOnly, NoInput -> Fees {
                summary: "the site's fee table",
                example: "{}",
                run: output |c, _| c.fees(),
            }
            /// chargingws `parse_callback`.
            CHARGINGWS_PARSE_CALLBACK: ChargingWs "parse_callback" Local, CallbackInput -> Callback {
                summary: "verify a callback (callback_sign) and match it to the stored card",
                run: callback,
            }
            /// chargingws `buy_cards`.
            CHARGINGWS_BUY_CARDS: ChargingWs "buy_cards" MovesMoney, BuyCardsRequest -> CardOrder {
                summary: "buy card codes from the site's card shop (cardws buycard)",
                money: money(
                    "request_id",
                    Some("redownload"),
                    "call redownload with the same request_id; never buy again (if it cannot tell, check the site's order history)",
                )
                .resolved_with(&["request_id", "order_code"]),
                example: r#"{"service_code": "VIETTEL", "value": 10000, "qty": 1, "request_id": "buy-1001"}"#,
                validate: |_, request| crate::chargingws::validate_buy_cards(&request),
                run: settled |c, request| c.buy_cards(&request),
            }
            /// chargingws `redownload`.
            CHARGINGWS_REDOWNLOAD: ChargingWs "redownload" ReadOnly, RedownloadRequest -> CardOrder {
                summary: "a bought order's cards again (cardws redownload, no new transaction)",
                example: r#"{"request_id": "buy-1001"}"#,
                run: settled |c, request| c.redownload(&request),
            }
            /// chargingws `wallet_balance`.
            CHARGINGWS_WALLET_BALANCE: ChargingWs "wallet_balance" ReadOnly, WalletBalanceRequest -> ShopBalance {
                summary: "a wallet's balance: the card shop's (cardws getbalance) or the top-up service's (rechargews)",
                example: r#"{"service": "shop"}"#,
                run: output |c, request| c.wallet_balance(&request),
            }
            /// chargingws `stock`.
            CHARGINGWS_STOCK: ChargingWs "stock" ReadOnly, StockRequest -> Stock {
                summary: "whether cards are in stock (cardws checkavailable)",
                example: r#"{"service_code": "VIETTEL", "value": 10000, "qty": 1}"#,
                run: output |c, request| c.stock(&request),
            }
            /// chargingws `card_products`.
            CHARGINGWS_CARD_PRODUCTS: ChargingWs "card_products" ReadOnly, NoInput -> CardProducts {
                summary: "the card shop's products and face values",
                example: "{}",
                run: output |c, _| c.card_products(),
            }
            /// chargingws `topup_order`.
            CHARGINGWS_TOPUP_ORDER: ChargingWs "topup_order" MovesMoney, TopupOrderRequest -> TopupOrder {
                summary: "top up a phone through the site's top-up service (rechargews topup)",
                money: money(
                    "request_id",
                    Some("topup_status"),
                    "call topup_status with the same request_id (and order_code if you have it); never top up again (if it cannot tell, check the site's order history)",
                )
                .resolved_with(&["request_id", "order_code"]),
                example: r#"{"service_code": "vinatt", "amount": 10000, "phone": "0912345671", "request_id": "top-1001"}"#,
                validate: |_, request| crate::chargingws::validate_topup_order(&request),
                run: settled |c, request| c.topup_order(&request),
            }
            /// chargingws `topup_status`.
            CHARGINGWS_TOPUP_STATUS: ChargingWs "topup_status" ReadOnly, TopupStatusRequest -> TopupOrder {
                summary: "a top-up order's status (rechargews getstatus)",
                example: r#"{"request_id": "top-1001"}"#,
                run: settled |c, request| c.topup_status(&request),
            }
            /// chargingws `topup_products`.
            CHARGINGWS_TOPUP_PRODUCTS: ChargingWs "topup_products" ReadOnly, NoInput -> TopupProducts {
                summary: "the top-up service's products (rechargews productlist)",
                example: "{}",
                run: output |c, _| c.topup_products(),
            }
            /// OpenCard `charge`.
            OPENCARD_CHARGE: OpenCard "charge" MovesMoney, OpenCardRequest -> OpenCardResult {
                summary: "submit a card; OpenCard assigns the request_id",
                money: money(
                    "serial",
                    None,
                    "OpenCard has no status query: wait for the webhook for this card, or ask OpenCard",
                ),
                example: r#"{"telco": "VIETTEL", "code": "123456789012340", "serial": "10000000000001", "amount": 10000}"#,
                validate: |_, request| crate::opencard::validate(&request).map(drop),
                run: settled |c, request| c.charge(&request),
            }
            /// OpenCard `parse_callback` (alias `parse_webhook`).
            OPENCARD_PARSE_CALLBACK: OpenCard "parse_callback" Local, CallbackInput -> OpenCardWebhook {
                aliases: &["parse_webhook"],
                summary: "verify a webhook (sign) and match it to the stored charge",
                run: callback,
            }
            /// AppotaPay `buy_cards`.
            APPOTAPAY_BUY_CARDS: AppotaPay "buy_cards" MovesMoney, BuyRequest -> BuyResult {
                summary: "buy card codes (decrypted with private_key_pem)",
                money: money(
                    "partner_ref_id",
                    Some("transaction"),
                    "call transaction with the same partner_ref_id; never buy again",
                )
                .resolved_with(&["partner_ref_id"]),
                example: r#"{"partner_ref_id": "buy-1001", "product_code": "VT10", "quantity": 1}"#,
                validate: |_, request| crate::appotapay::validate_buy(&request).map(drop),
                run: settled |c, request| c.buy_cards(&request),
            }
            /// AppotaPay `transaction`.
            APPOTAPAY_TRANSACTION: AppotaPay "transaction" ReadOnly, TransactionRequest -> BuyResult {
                summary: "a purchase again, codes re-delivered",
                example: r#"{"partner_ref_id": "buy-1001"}"#,
                run: settled |c, request| c.transaction(&request.partner_ref_id),
            }
            /// AppotaPay `products`.
            APPOTAPAY_PRODUCTS: AppotaPay "products" ReadOnly, NoInput -> Products {
                summary: "the products on sale",
                example: "{}",
                run: output |c, _| c.products(),
            }
            /// AppotaPay `balance`.
            APPOTAPAY_BALANCE: AppotaPay "balance" ReadOnly, NoInput -> Balance {
                summary: "the partner's balance",
                example: "{}",
                run: output |c, _| c.balance(),
            }
            /// AppotaPay `decrypt_code`.
            APPOTAPAY_DECRYPT_CODE: AppotaPay "decrypt_code" Local, DecryptCodeRequest -> DecryptedCode {
                summary: "decrypt one card code with the configured key",
                run: output |c, request| c.decrypt(&request),
            }
            /// AppotaPay `mobile_topup`.
            APPOTAPAY_MOBILE_TOPUP: AppotaPay "mobile_topup" MovesMoney, MobileTopupRequest -> MobileTopup {
                summary: "top up a phone or buy a data package (v2; v1 with topup_api)",
                money: money(
                    "partner_ref_id",
                    Some("topup_transaction"),
                    "call topup_transaction with the same partner_ref_id; never top up again (not_found means not executed only when it is still the answer minutes later)",
                )
                .resolved_with(&["partner_ref_id"])
                .bound_by(&[("phone_number", "phone_number"), ("product_code", "product_code"), ("amount", "topup_amount")]),
                example: r#"{"partner_ref_id": "tu-1001", "phone_number": "0912345678", "product_code": "viettel_10"}"#,
                validate: |c, request| c.validate_mobile_topup(&request),
                run: settled |c, request| c.mobile_topup(&request),
            }
            /// AppotaPay `topup_transaction`.
            APPOTAPAY_TOPUP_TRANSACTION: AppotaPay "topup_transaction" ReadOnly, TransactionRequest -> MobileTopup {
                summary: "a top-up's state (reply signature verified)",
                example: r#"{"partner_ref_id": "tu-1001"}"#,
                run: settled |c, request| c.topup_transaction(&request.partner_ref_id),
            }
            /// AppotaPay `data_packages`.
            APPOTAPAY_DATA_PACKAGES: AppotaPay "data_packages" ReadOnly, DataPackagesRequest -> DataPackages {
                summary: "the data packages a phone can buy with mobile_topup",
                example: r#"{"phone_number": "0912345678"}"#,
                run: output |c, request| c.data_packages(&request),
            }
            /// AppotaPay `bank_transfer`.
            APPOTAPAY_BANK_TRANSFER: AppotaPay "bank_transfer" MovesMoney, BankTransferRequest -> BankTransfer {
                summary: "send money to a bank account or card (firm banking)",
                money: money(
                    "partner_ref_id",
                    Some("transfer_transaction"),
                    "call transfer_transaction with the same partner_ref_id (or wait for the transfer IPN); never transfer again",
                )
                .resolved_with(&["partner_ref_id"])
                .bound_by(&[("account_no", "account_no"), ("amount", "transfer_amount")]),
                example: r#"{"partner_ref_id": "bt-1001", "bank_code": "TPBANK", "account_no": "0123456789", "account_name": "NGUYEN VAN A", "amount": 10000, "fee_type": "payer", "message": "refund 1001"}"#,
                validate: |_, request| crate::appotapay::validate_transfer(&request),
                run: settled |c, request| c.bank_transfer(&request),
            }
            /// AppotaPay `transfer_transaction`.
            APPOTAPAY_TRANSFER_TRANSACTION: AppotaPay "transfer_transaction" ReadOnly, TransactionRequest -> BankTransfer {
                summary: "a bank transfer's state (reply signature verified)",
                example: r#"{"partner_ref_id": "bt-1001"}"#,
                run: settled |c, request| c.transfer_transaction(&request.partner_ref_id),
            }
            /// AppotaPay `bank_account_info`.
            APPOTAPAY_BANK_ACCOUNT_INFO: AppotaPay "bank_account_info" ReadOnly, BankAccountRequest -> BankAccount {
                summary: "who holds a bank account (reply signature verified)",
                example: r#"{"bank_code": "TPBANK", "account_no": "0123456789"}"#,
                run: output |c, request| c.bank_account_info(&request),
            }
            /// AppotaPay `parse_callback` (alias `parse_transfer_ipn`).
            APPOTAPAY_PARSE_CALLBACK: AppotaPay "parse_callback" Local, CallbackInput -> TransferIpn {
                aliases: &["parse_transfer_ipn"],
                summary: "verify a bank transfer's IPN (signature) and read it",
                run: callback,
            }
            /// eSMS `login`.
            ESMS_LOGIN: Esms "login" ReadOnly, NoInput -> AccessToken {
                summary: "a 24 h access token from email and password",
                example: "{}",
                run: output |c, _| Ok(AccessToken { access_token: c.login()? }),
            }
            /// eSMS `generate_api_token`.
            ESMS_GENERATE_API_TOKEN: Esms "generate_api_token" ReadOnly, AccessTokenRequest -> ApiToken {
                summary: "a non-expiring API token (obtain once, store, configure api_token)",
                example: r#"{"access_token": "sim-access-from-login"}"#,
                run: output |c, request| Ok(ApiToken { api_token: c.generate_api_token(&request.access_token)? }),
            }
            /// eSMS `disburse`.
            ESMS_DISBURSE: Esms "disburse" MovesMoney, DisburseRequest -> Disbursement {
                summary: "pay out to a MoMo or ZaloPay wallet",
                money: money(
                    "order_id",
                    Some("query"),
                    "call query with the same order_id; never disburse it again",
                )
                .resolved_with(&["order_id"])
                .bound_by(&[("amount", "amount")]),
                example: r#"{"amount": 10000, "channel": "momo", "phone": "0912345671", "order_id": "payout-1001", "description": "refund 1001"}"#,
                validate: |_, request| crate::esms::validate_disburse(&request),
                run: settled |c, request| c.disburse(&request),
            }
            /// eSMS `verify_recipient`.
            ESMS_VERIFY_RECIPIENT: Esms "verify_recipient" ReadOnly, RecipientRequest -> RecipientCheck {
                summary: "whether a wallet can receive",
                example: r#"{"channel": "momo", "phone": "0912345671"}"#,
                run: output |c, request| c.verify_recipient(request.channel, &request.phone),
            }
            /// eSMS `query`.
            ESMS_QUERY: Esms "query" ReadOnly, QueryRequest -> Disbursement {
                summary: "a payout's state",
                example: r#"{"order_id": "payout-1001"}"#,
                run: settled |c, request| c.query(&request.order_id),
            }
            /// eSMS `parse_callback`.
            ESMS_PARSE_CALLBACK: Esms "parse_callback" Local, CallbackInput -> EsmsCallback {
                summary: "read an (unsigned) callback: confirmed false",
                run: callback,
            }
            /// eSMS `confirm_callback`.
            ESMS_CONFIRM_CALLBACK: Esms "confirm_callback" Local, RawCallback -> Disbursement {
                summary: "confirm a callback with a signed query",
                run: settled |c, request| c.confirm_callback(&c.parse_callback(request.data.as_bytes())?),
            }
            /// topup `topup`.
            TOPUP_TOPUP: Topup "topup" MovesMoney, TopupRequest -> TopupResult {
                summary: "top up a phone",
                money: Money {
                    made_if_missing: true,
                    ..money(
                        "client_trans_id",
                        Some("recheck"),
                        "call recheck with this client_trans_id; do not top up again or refund yet",
                    )
                }
                .resolved_with(&["client_trans_id", "id_transaction"]),
                example: r#"{"phone": "0912345671", "amount": 10000, "client_trans_id": "tu-1001"}"#,
                validate: |_, request| crate::topup::validate_topup(&request),
                run: settled |c, request| c.topup(&request),
            }
            /// topup `recheck`.
            TOPUP_RECHECK: Topup "recheck" ReadOnly, RecheckRequest -> TopupResult {
                summary: "a top-up's outcome",
                example: r#"{"client_trans_id": "tu-1001"}"#,
                run: settled |c, request| c.recheck(&request),
            }
            /// topup `balance`.
            TOPUP_BALANCE: Topup "balance" ReadOnly, NoInput -> TopupBalance {
                summary: "the account balance",
                example: "{}",
                run: output |c, _| c.balance(),
            }
        }
    };
}
pub(crate) use operations;

/// Reads the table's lines (the grammar above, read here once) and hands them to `$then`,
/// one tuple each: `(attributes, constant, client, name, kind, request, result, [aliases],
/// summary, [money], [example], [validate], how, [run])`, the bracketed parts maybe empty.
macro_rules! normalize_operations {
    ($then:ident; $(
        $(#[$attr:meta])*
        $konst:ident: $variant:ident $name:literal $kind:ident, $request:ident -> $result:ident {
            $(aliases: $aliases:expr,)?
            summary: $summary:literal,
            $(money: $money:expr,)?
            $(example: $example:literal,)?
            $(validate: $validate:expr,)?
            run: $how:ident $($run:expr)?,
        }
    )*) => {
        $then! { $(
            ([$(#[$attr])*] $konst $variant $name $kind $request $result [$($aliases)?] $summary
             [$($money)?] [$($example)?] [$($validate)?] $how [$($run)?])
        )* }
    };
}
pub(crate) use normalize_operations;

/// Writes the registry's entries and [`OPERATIONS`] from the table (see [`operations`]).
macro_rules! declare_entries {
    (@provider ChargingWs) => { "chargingws" };
    (@provider OpenCard) => { "opencard" };
    (@provider AppotaPay) => { "appotapay" };
    (@provider Esms) => { "esms" };
    (@provider Topup) => { "topup" };
    (@or [] $default:expr) => { $default };
    (@or [$value:expr] $default:expr) => { $value };
    (@some []) => { None };
    (@some [$value:expr]) => { Some($value) };
    ($(([$(#[$attr:meta])*] $konst:ident $variant:ident $name:literal $kind:ident
        $request:ident $result:ident $aliases:tt $summary:literal $money:tt $example:tt
        $validate:tt $how:ident $run:tt))*) => {
        $(
            $(#[$attr])*
            pub const $konst: Operation = Operation {
                provider: declare_entries!(@provider $variant),
                name: $name,
                aliases: declare_entries!(@or $aliases &[]),
                kind: $kind,
                money: declare_entries!(@some $money),
                request: stringify!($request),
                result: stringify!($result),
                summary: $summary,
                example: declare_entries!(@some $example),
            };
        )*

        /// Every operation, by provider, in the order the docs list them.
        pub const OPERATIONS: &[Operation] = &[$($konst),*];
    };
}

operations!(declare_entries);

/// A provider's operation by its name or an alias.
#[must_use]
pub fn find(provider: &str, name: &str) -> Option<&'static Operation> {
    OPERATIONS
        .iter()
        .find(|op| op.provider == provider && (op.name == name || op.aliases.contains(&name)))
}

/// A provider's operations, in order.
pub fn of(provider: &str) -> impl Iterator<Item = &'static Operation> + '_ {
    OPERATIONS.iter().filter(move |op| op.provider == provider)
}

/// The page `docs/operations.md`, generated from [`OPERATIONS`].
#[must_use]
pub fn operations_page() -> String {
    use std::fmt::Write as _;
    let mut page = String::from(
        "# Operations\n\n\
         Generated from the operations' declarations in `core/src/registry.rs` (a test fails \
         while this page is stale; \
         `VNGATE_WRITE_DOCS=1 cargo test -p vngate registry` rewrites it). Every name is the \
         same on every front: the Rust method, `vngate_client_call`'s operation, the Python and \
         PHP methods.\n\n\
         | provider | operation | kind | request | result | if the outcome is unknown | what it does |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for op in OPERATIONS {
        let kind = match op.kind {
            MovesMoney => "**moves money**",
            ReadOnly => "read-only",
            Local => "local",
        };
        let unknown = op.money.map_or_else(
            || "—".to_owned(),
            |m| format!("`{}`: {}", m.reference_field, m.next_step),
        );
        let name = if op.aliases.is_empty() {
            format!("`{}`", op.name)
        } else {
            format!("`{}` (alias `{}`)", op.name, op.aliases.join("`, `"))
        };
        let _ = writeln!(
            page,
            "| {} | {name} | {kind} | `{}` | `{}` | {unknown} | {} |",
            op.provider, op.request, op.result, op.summary
        );
    }
    page.push_str(
        "\n## Example requests\n\n\
         One request per operation, as JSON (`vngate_client_call`'s input; the Python and PHP \
         methods take the same fields). Each is answered by the simulator's test accounts \
         (`vngate sim`): the tests send every one of them.\n\n",
    );
    for op in OPERATIONS {
        if let Some(example) = op.example {
            let _ = writeln!(page, "- {} `{}`: `{example}`", op.provider, op.name);
        }
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_per_provider_and_money_is_described() {
        for (i, a) in OPERATIONS.iter().enumerate() {
            for b in &OPERATIONS[i + 1..] {
                if a.provider == b.provider {
                    assert!(
                        a.name != b.name
                            && !b.aliases.contains(&a.name)
                            && !a.aliases.contains(&b.name),
                        "{} {}",
                        a.provider,
                        a.name
                    );
                }
            }
            assert_eq!(a.kind == MovesMoney, a.money.is_some(), "{}", a.name);
            if let Some(resolver) = a.money.and_then(|m| m.resolved_by) {
                assert!(
                    find(a.provider, resolver).is_some(),
                    "{}: {resolver}",
                    a.name
                );
            }
        }
    }

    #[test]
    fn the_operations_page_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/operations.md");
        let page = operations_page();
        if std::env::var_os("VNGATE_WRITE_DOCS").is_some() {
            std::fs::write(path, &page).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == page,
            "docs/operations.md is stale: run `VNGATE_WRITE_DOCS=1 cargo test -p vngate registry` and commit it"
        );
    }
}

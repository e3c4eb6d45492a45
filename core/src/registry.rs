//! Every operation of every provider, described once: its name, what it takes and returns,
//! whether it moves money, and for those that do, the caller's reference and the call that
//! resolves an unknown outcome. The dispatcher ([`crate::api`]), `operations()`, the error for
//! an unknown outcome, the interrupted-call report, the hostile matrix's money column and
//! `docs/operations.md` all read it; a test fails when an entry has no implementation or the
//! generated page is stale.

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
}

impl Operation {
    const fn new(
        provider: &'static str,
        name: &'static str,
        kind: Kind,
        request: &'static str,
        result: &'static str,
        summary: &'static str,
    ) -> Self {
        Self {
            provider,
            name,
            aliases: &[],
            kind,
            money: None,
            request,
            result,
            summary,
        }
    }

    const fn moving_money(mut self, money: Money) -> Self {
        self.money = Some(money);
        self
    }

    const fn aliases(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }

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

/// chargingws `charge`.
pub const CHARGINGWS_CHARGE: Operation = Operation::new(
    "chargingws",
    "charge",
    MovesMoney,
    "CardRequest",
    "CardResult",
    "submit a card (command=charging)",
)
.moving_money(
    money(
        "request_id",
        Some("check"),
        "call check with the same request_id (or wait for the callback)",
    )
    .resolved_with(&["telco", "code", "serial", "amount", "request_id"])
    .bound_by(&[("serial", "serial"), ("amount", "declared_value")]),
);
/// chargingws `check`.
pub const CHARGINGWS_CHECK: Operation = Operation::new(
    "chargingws",
    "check",
    ReadOnly,
    "CardRequest",
    "CardResult",
    "a card's current status (command=check)",
);
/// chargingws `fees`.
pub const CHARGINGWS_FEES: Operation = Operation::new(
    "chargingws",
    "fees",
    ReadOnly,
    "NoInput",
    "Fees",
    "the site's fee table",
);
/// chargingws `parse_callback`.
pub const CHARGINGWS_PARSE_CALLBACK: Operation = Operation::new(
    "chargingws",
    "parse_callback",
    Local,
    "CallbackInput",
    "Callback",
    "verify a callback (callback_sign) and match it to the stored card",
);
/// chargingws `buy_cards`.
pub const CHARGINGWS_BUY_CARDS: Operation = Operation::new(
    "chargingws",
    "buy_cards",
    MovesMoney,
    "BuyCardsRequest",
    "CardOrder",
    "buy card codes from the site's card shop (cardws buycard)",
)
.moving_money(money(
    "request_id",
    Some("redownload"),
    "call redownload with the same request_id; never buy again (if it cannot tell, check the site's order history)",
).resolved_with(&["request_id", "order_code"]));
/// chargingws `redownload`.
pub const CHARGINGWS_REDOWNLOAD: Operation = Operation::new(
    "chargingws",
    "redownload",
    ReadOnly,
    "RedownloadRequest",
    "CardOrder",
    "a bought order's cards again (cardws redownload, no new transaction)",
);
/// chargingws `wallet_balance`.
pub const CHARGINGWS_WALLET_BALANCE: Operation = Operation::new(
    "chargingws",
    "wallet_balance",
    ReadOnly,
    "WalletBalanceRequest",
    "ShopBalance",
    "a wallet's balance: the card shop's (cardws getbalance) or the top-up service's (rechargews)",
);
/// chargingws `stock`.
pub const CHARGINGWS_STOCK: Operation = Operation::new(
    "chargingws",
    "stock",
    ReadOnly,
    "StockRequest",
    "Stock",
    "whether cards are in stock (cardws checkavailable)",
);
/// chargingws `card_products`.
pub const CHARGINGWS_CARD_PRODUCTS: Operation = Operation::new(
    "chargingws",
    "card_products",
    ReadOnly,
    "NoInput",
    "CardProducts",
    "the card shop's products and face values",
);
/// chargingws `topup_order`.
pub const CHARGINGWS_TOPUP_ORDER: Operation = Operation::new(
    "chargingws",
    "topup_order",
    MovesMoney,
    "TopupOrderRequest",
    "TopupOrder",
    "top up a phone through the site's top-up service (rechargews topup)",
)
.moving_money(money(
    "request_id",
    Some("topup_status"),
    "call topup_status with the same request_id (and order_code if you have it); never top up again (if it cannot tell, check the site's order history)",
).resolved_with(&["request_id", "order_code"]));
/// chargingws `topup_status`.
pub const CHARGINGWS_TOPUP_STATUS: Operation = Operation::new(
    "chargingws",
    "topup_status",
    ReadOnly,
    "TopupStatusRequest",
    "TopupOrder",
    "a top-up order's status (rechargews getstatus)",
);
/// chargingws `topup_products`.
pub const CHARGINGWS_TOPUP_PRODUCTS: Operation = Operation::new(
    "chargingws",
    "topup_products",
    ReadOnly,
    "NoInput",
    "TopupProducts",
    "the top-up service's products (rechargews productlist)",
);
/// OpenCard `charge`.
pub const OPENCARD_CHARGE: Operation = Operation::new(
    "opencard",
    "charge",
    MovesMoney,
    "OpenCardRequest",
    "OpenCardResult",
    "submit a card; OpenCard assigns the request_id",
)
.moving_money(money(
    "serial",
    None,
    "OpenCard has no status query: wait for the webhook for this card, or ask OpenCard",
));
/// OpenCard `parse_callback` (alias `parse_webhook`).
pub const OPENCARD_PARSE_CALLBACK: Operation = Operation::new(
    "opencard",
    "parse_callback",
    Local,
    "CallbackInput",
    "OpenCardWebhook",
    "verify a webhook (sign) and match it to the stored charge",
)
.aliases(&["parse_webhook"]);
/// AppotaPay `buy_cards`.
pub const APPOTAPAY_BUY_CARDS: Operation = Operation::new(
    "appotapay",
    "buy_cards",
    MovesMoney,
    "BuyRequest",
    "BuyResult",
    "buy card codes (decrypted with private_key_pem)",
)
.moving_money(
    money(
        "partner_ref_id",
        Some("transaction"),
        "call transaction with the same partner_ref_id; never buy again",
    )
    .resolved_with(&["partner_ref_id"]),
);
/// AppotaPay `transaction`.
pub const APPOTAPAY_TRANSACTION: Operation = Operation::new(
    "appotapay",
    "transaction",
    ReadOnly,
    "TransactionRequest",
    "BuyResult",
    "a purchase again, codes re-delivered",
);
/// AppotaPay `products`.
pub const APPOTAPAY_PRODUCTS: Operation = Operation::new(
    "appotapay",
    "products",
    ReadOnly,
    "NoInput",
    "Products",
    "the products on sale",
);
/// AppotaPay `balance`.
pub const APPOTAPAY_BALANCE: Operation = Operation::new(
    "appotapay",
    "balance",
    ReadOnly,
    "NoInput",
    "Balance",
    "the partner's balance",
);
/// AppotaPay `decrypt_code`.
pub const APPOTAPAY_DECRYPT_CODE: Operation = Operation::new(
    "appotapay",
    "decrypt_code",
    Local,
    "DecryptCodeRequest",
    "DecryptedCode",
    "decrypt one card code with the configured key",
);
/// AppotaPay `mobile_topup`.
pub const APPOTAPAY_MOBILE_TOPUP: Operation = Operation::new(
    "appotapay",
    "mobile_topup",
    MovesMoney,
    "MobileTopupRequest",
    "MobileTopup",
    "top up a phone or buy a data package (v2; v1 with topup_api)",
)
.moving_money(money(
    "partner_ref_id",
    Some("topup_transaction"),
    "call topup_transaction with the same partner_ref_id; never top up again (not_found means not executed only when it is still the answer minutes later)",
).resolved_with(&["partner_ref_id"])
.bound_by(&[("phone_number", "phone_number"), ("product_code", "product_code"), ("amount", "topup_amount")]));
/// AppotaPay `topup_transaction`.
pub const APPOTAPAY_TOPUP_TRANSACTION: Operation = Operation::new(
    "appotapay",
    "topup_transaction",
    ReadOnly,
    "TransactionRequest",
    "MobileTopup",
    "a top-up's state (reply signature verified)",
);
/// AppotaPay `data_packages`.
pub const APPOTAPAY_DATA_PACKAGES: Operation = Operation::new(
    "appotapay",
    "data_packages",
    ReadOnly,
    "DataPackagesRequest",
    "DataPackages",
    "the data packages a phone can buy with mobile_topup",
);
/// AppotaPay `bank_transfer`.
pub const APPOTAPAY_BANK_TRANSFER: Operation = Operation::new(
    "appotapay",
    "bank_transfer",
    MovesMoney,
    "BankTransferRequest",
    "BankTransfer",
    "send money to a bank account or card (firm banking)",
)
.moving_money(money(
    "partner_ref_id",
    Some("transfer_transaction"),
    "call transfer_transaction with the same partner_ref_id (or wait for the transfer IPN); never transfer again",
).resolved_with(&["partner_ref_id"])
.bound_by(&[("account_no", "account_no"), ("amount", "transfer_amount")]));
/// AppotaPay `transfer_transaction`.
pub const APPOTAPAY_TRANSFER_TRANSACTION: Operation = Operation::new(
    "appotapay",
    "transfer_transaction",
    ReadOnly,
    "TransactionRequest",
    "BankTransfer",
    "a bank transfer's state (reply signature verified)",
);
/// AppotaPay `bank_account_info`.
pub const APPOTAPAY_BANK_ACCOUNT_INFO: Operation = Operation::new(
    "appotapay",
    "bank_account_info",
    ReadOnly,
    "BankAccountRequest",
    "BankAccount",
    "who holds a bank account (reply signature verified)",
);
/// AppotaPay `parse_callback` (alias `parse_transfer_ipn`).
pub const APPOTAPAY_PARSE_CALLBACK: Operation = Operation::new(
    "appotapay",
    "parse_callback",
    Local,
    "CallbackInput",
    "TransferIpn",
    "verify a bank transfer's IPN (signature) and read it",
)
.aliases(&["parse_transfer_ipn"]);
/// eSMS `login`.
pub const ESMS_LOGIN: Operation = Operation::new(
    "esms",
    "login",
    ReadOnly,
    "NoInput",
    "AccessToken",
    "a 24 h access token from email and password",
);
/// eSMS `generate_api_token`.
pub const ESMS_GENERATE_API_TOKEN: Operation = Operation::new(
    "esms",
    "generate_api_token",
    ReadOnly,
    "AccessTokenRequest",
    "ApiToken",
    "a non-expiring API token (obtain once, store, configure api_token)",
);
/// eSMS `disburse`.
pub const ESMS_DISBURSE: Operation = Operation::new(
    "esms",
    "disburse",
    MovesMoney,
    "DisburseRequest",
    "Disbursement",
    "pay out to a MoMo or ZaloPay wallet",
)
.moving_money(
    money(
        "order_id",
        Some("query"),
        "call query with the same order_id; never disburse it again",
    )
    .resolved_with(&["order_id"])
    .bound_by(&[("amount", "amount")]),
);
/// eSMS `verify_recipient`.
pub const ESMS_VERIFY_RECIPIENT: Operation = Operation::new(
    "esms",
    "verify_recipient",
    ReadOnly,
    "RecipientRequest",
    "RecipientCheck",
    "whether a wallet can receive",
);
/// eSMS `query`.
pub const ESMS_QUERY: Operation = Operation::new(
    "esms",
    "query",
    ReadOnly,
    "QueryRequest",
    "Disbursement",
    "a payout's state",
);
/// eSMS `parse_callback`.
pub const ESMS_PARSE_CALLBACK: Operation = Operation::new(
    "esms",
    "parse_callback",
    Local,
    "CallbackInput",
    "EsmsCallback",
    "read an (unsigned) callback: confirmed false",
);
/// eSMS `confirm_callback`.
pub const ESMS_CONFIRM_CALLBACK: Operation = Operation::new(
    "esms",
    "confirm_callback",
    Local,
    "RawCallback",
    "Disbursement",
    "confirm a callback with a signed query",
);
/// topup `topup`.
pub const TOPUP_TOPUP: Operation = Operation::new(
    "topup",
    "topup",
    MovesMoney,
    "TopupRequest",
    "TopupResult",
    "top up a phone",
)
.moving_money(
    Money {
        made_if_missing: true,
        ..money(
            "client_trans_id",
            Some("recheck"),
            "call recheck with this client_trans_id; do not top up again or refund yet",
        )
    }
    .resolved_with(&["client_trans_id", "id_transaction"]),
);
/// topup `recheck`.
pub const TOPUP_RECHECK: Operation = Operation::new(
    "topup",
    "recheck",
    ReadOnly,
    "RecheckRequest",
    "TopupResult",
    "a top-up's outcome",
);
/// topup `balance`.
pub const TOPUP_BALANCE: Operation = Operation::new(
    "topup",
    "balance",
    ReadOnly,
    "NoInput",
    "TopupBalance",
    "the account balance",
);

/// Every operation, by provider, in the order the docs list them.
pub const OPERATIONS: &[Operation] = &[
    CHARGINGWS_CHARGE,
    CHARGINGWS_CHECK,
    CHARGINGWS_FEES,
    CHARGINGWS_PARSE_CALLBACK,
    CHARGINGWS_BUY_CARDS,
    CHARGINGWS_REDOWNLOAD,
    CHARGINGWS_WALLET_BALANCE,
    CHARGINGWS_STOCK,
    CHARGINGWS_CARD_PRODUCTS,
    CHARGINGWS_TOPUP_ORDER,
    CHARGINGWS_TOPUP_STATUS,
    CHARGINGWS_TOPUP_PRODUCTS,
    OPENCARD_CHARGE,
    OPENCARD_PARSE_CALLBACK,
    APPOTAPAY_BUY_CARDS,
    APPOTAPAY_TRANSACTION,
    APPOTAPAY_PRODUCTS,
    APPOTAPAY_BALANCE,
    APPOTAPAY_DECRYPT_CODE,
    APPOTAPAY_MOBILE_TOPUP,
    APPOTAPAY_TOPUP_TRANSACTION,
    APPOTAPAY_DATA_PACKAGES,
    APPOTAPAY_BANK_TRANSFER,
    APPOTAPAY_TRANSFER_TRANSACTION,
    APPOTAPAY_BANK_ACCOUNT_INFO,
    APPOTAPAY_PARSE_CALLBACK,
    ESMS_LOGIN,
    ESMS_GENERATE_API_TOKEN,
    ESMS_DISBURSE,
    ESMS_VERIFY_RECIPIENT,
    ESMS_QUERY,
    ESMS_PARSE_CALLBACK,
    ESMS_CONFIRM_CALLBACK,
    TOPUP_TOPUP,
    TOPUP_RECHECK,
    TOPUP_BALANCE,
];

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
         Generated from `core/src/registry.rs` (a test fails while this page is stale; \
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

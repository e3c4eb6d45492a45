//! # vngate
//!
//! One library for the APIs of Vietnamese card and payout providers: it validates, signs,
//! sends (blocking HTTP with explicit timeouts, never retrying anything that moves money),
//! reads replies into typed results and verifies callbacks in constant time.
//!
//! | module | provider | operations |
//! |---|---|---|
//! | [`chargingws`] | the `chargingws/v2` card-exchange protocol (đổi thẻ cào), and the same sites' card shop and top-up service | `charge`, `check`, `fees`, `parse_callback`, `buy_cards`, `redownload`, `wallet_balance`, `stock`, `card_products`, `topup_order`, `topup_status`, `topup_products` |
//! | [`opencard`] | OpenCard card charging | `charge`, `parse_callback` (alias `parse_webhook`) |
//! | [`appotapay`] | AppotaPay: buying card codes (mua mã thẻ), mobile top-up, data packages, bank transfers | `buy_cards`, `transaction`, `products`, `balance`, `decrypt_code`, `mobile_topup`, `topup_transaction`, `data_packages`, `bank_transfer`, `transfer_transaction`, `bank_account_info`, `parse_callback` (alias `parse_transfer_ipn`) |
//! | [`esms`] | eSMS: payouts to MoMo / ZaloPay (chi hộ) | `login`, `generate_api_token`, `disburse`, `verify_recipient`, `query`, `parse_callback`, `confirm_callback` |
//! | [`topup`] | kenhthanhtoan mobile top-up (nạp tiền điện thoại) | `topup`, `recheck`, `balance` |
//!
//! Every operation is described once in [`registry`]: whether it moves money, its reference
//! and the call that resolves an unknown outcome (`docs/operations.md` is generated from it).
//!
//! ## Results and errors
//!
//! A provider's business answer (wrong card, maintenance, pending, rejected) is a **result**
//! with a typed status; unknown status codes are kept. An [`Error`] is a call that could not be
//! made ([`Error::InvalidInput`], [`Error::Transport`]), a call whose outcome cannot be known
//! ([`Error::OutcomeUnknown`]: do not resend, resolve it first), an unreadable reply
//! ([`Error::BadReply`]) or a message that cannot be trusted ([`Error::SignatureMismatch`],
//! [`Error::CallbackMismatch`]), or refused credentials ([`Error::Auth`]).
//!
//! ## The vocabulary
//!
//! Every operation and field has one `snake_case` name, used as the Rust method and field, the
//! C JSON key, the Python keyword and attribute, and the PHP array key.
//!
//! | name | where | meaning |
//! |---|---|---|
//! | `base_url`, `path` | config | the provider's site and API path |
//! | `partner_id`, `partner_key` | config | the credentials a card site issues |
//! | `sign_scheme` | chargingws config | `s1` (default) or `s2` |
//! | `transport` | chargingws config | `form` (default), `json` or `get` |
//! | `sign_order`, `webhook_sign_order` | opencard config | `ksort` (default) or `prose` |
//! | `timeout_ms`, `connect_timeout_ms`, `max_reply_bytes`, `proxy` | every config | HTTP limits |
//! | `telco` | requests, results | network name, upper case (`VIETTEL`, `VNMOBI`, …) |
//! | `code` | requests, results | the card PIN (masked in `Debug`) |
//! | `serial` | requests, results | the card serial |
//! | `amount` | card requests | **request**: declared face value; **result/callback**: money received after fees; payouts and top-ups: the amount sent |
//! | `request_id` | requests, results | the caller's id (chargingws) or OpenCard's id (opencard results) |
//! | `trans_id` | results | the provider's transaction id |
//! | `declared_value` | results | the declared face value, echoed |
//! | `value` | results | the face value billed (`None` while pending) |
//! | `card_value` | chargingws GET callbacks | the card's real face value |
//! | `actual_amount`, `notified_at` | opencard webhooks | as OpenCard sends them |
//! | `message` | results | the provider's message, as sent |
//! | `fees`, `penalty` | fee rows | percentages |
//! | `partner_code`, `api_key`, `secret_key`, `private_key_pem`, `jwt_lifetime_secs`, `padding` (`oaep_sha1`, `pkcs1v15`), `bearer` | appotapay config | credentials and the card-code padding |
//! | `partner_ref_id`, `product_code`, `quantity`, `type` (`normal`, `sms`), `customer_phone` | appotapay requests | a purchase |
//! | `error_code`, `cards`, `encrypted_code`, `code_error`, `vendor`, `expiry`, `appotapay_trans_id`, `time`, `balance`, `products`, `product_type`, `name` | appotapay results | as AppotaPay sends them, in `snake_case` |
//! | `api_token`, `email`, `password`, `signature_encoding` (`hex`, `base64`) | esms config | credentials |
//! | `channel` (`momo`, `zalopay`), `phone`, `order_id`, `description`, `callback_url` | esms requests | a payout |
//! | `code`, `transaction_id`, `result_code`, `channel_message`, `result_message`, `timestamp`, `confirmed` | esms results | eSMS's and the wallet network's answers |
//! | `username`, `private_key`, `digest` (`sha256`, `sha1`) | topup config | credentials |
//! | `client_trans_id`, `id_transaction`, `gateway` | topup requests, results | your id (`transidclient`), the provider's id (`idtransaction`), the network |
//! | `status` | results | what the provider's code means: a [`CardStatus`] (chargingws, OpenCard), a string class for the money (AppotaPay `success`/`unknown`/…, topup `success`/`unknown`/`failed_refundable`/…), a payout state (eSMS) |
//! | `raw` | results | the reply body as received |
//!
//! Error fields: `kind`, `field` (invalid input), `reference_field` and `reference`
//! (outcome unknown), `http_status` and `excerpt` (bad reply).

#![forbid(unsafe_code)]

pub mod api;
pub mod appotapay;
mod callback_json;
mod card;
pub mod chargingws;
mod digest;
mod error;
pub mod esms;
mod fields;
mod flat_json;
mod net;
pub mod opencard;
mod outcome;
mod php;
pub mod registry;
mod request_id;
#[cfg(feature = "schema")]
mod schema;
pub mod schema_json;
mod secret;
mod telco;
pub mod topup;

// The network's one door for the providers (`crate::http`), and the interrupt hook the fronts
// install.
use net::http;
pub use net::interrupt;

pub use card::CardStatus;
pub use digest::hex;
pub use error::Error;
pub use http::{HttpOptions, TlsRoots, after_fork_in_child, this_process, trusted_roots};
pub use outcome::{MoneyOutcome, Outcome};
pub use secret::{CardCode, Raw, Secret, constant_time_eq, mask_pin};
pub use telco::Telco;

pub use request_id::new_request_id;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<chargingws::ChargingWs>();
        assert_send_sync::<opencard::OpenCard>();
        assert_send_sync::<appotapay::AppotaPay>();
        assert_send_sync::<esms::Esms>();
        assert_send_sync::<topup::Topup>();
    }
}

/// The README's Rust examples, compiled as doctests so that they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;

/// `docs/rust.md`'s examples, compiled as doctests like the README's.
#[cfg(doctest)]
#[doc = include_str!("../../docs/rust.md")]
struct RustGuideExamples;

/// `docs/provider-notes.md`'s examples, compiled as doctests like the README's.
#[cfg(doctest)]
#[doc = include_str!("../../docs/provider-notes.md")]
struct ProviderNotesExamples;

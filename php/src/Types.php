<?php

// Generated from schema/vngate.json by `VNGATE_WRITE_GENERATED=1 cargo test -p vngate-tests --test generated`: do not edit.

declare(strict_types=1);

namespace Vngate;

/**
 * The array shape of every config, request and result, for PHPStan and Psalm. Import one
 * where you use it: `@psalm-import-type CardResult from \Vngate\Types` (PHPStan reads the
 * `@psalm-` tags too). Status codes are in `CardStatus`, `DisbursementStatus`,
 * `PurchaseStatus` and `TopupOutcome`.
 *
 * @psalm-type HttpOptions = array{allow_insecure_http?: bool, ca_file?: string|null, connect_timeout_ms?: int, dns_cache_secs?: int, max_idle_connections_per_host?: int, max_reply_bytes?: int, proxy?: string|null, reuse_connections_for_money?: bool, timeout_ms?: int, tls_roots?: 'bundled'|'system'}
 *
 * @psalm-type AppotaPayConfig = array{partner_code: string, api_key: string, secret_key: string, allow_insecure_http?: bool, base_url?: string, bearer?: bool, ca_file?: string|null, connect_timeout_ms?: int, dns_cache_secs?: int, jwt_lifetime_secs?: int, max_idle_connections_per_host?: int, max_reply_bytes?: int, padding?: 'oaep_sha1'|'pkcs1v15', private_key_pem?: string|null, proxy?: string|null, reuse_connections_for_money?: bool, sign_absent_as_empty?: bool, timeout_ms?: int, tls_roots?: 'bundled'|'system', topup_api?: 'v2'|'v1', transfer_sign?: 'given'|'all', verify_response_signature?: bool}
 *
 * @psalm-type NoInput = array{}
 *
 * @psalm-type BankAccountRequest = array{bank_code: string, account_no: string, account_type?: 'account'|'card', partner_ref_id?: string|null}
 *
 * @psalm-type BankTransferRequest = array{partner_ref_id: string, bank_code: string, account_no: string, account_name: string, amount: int, fee_type: 'payer'|'receiver', message: string, account_type?: 'account'|'card', bank_id?: string|null, channel?: string|null, contract_number?: string|null, customer_phone_number?: string|null}
 *
 * @psalm-type BuyRequest = array{partner_ref_id: string, product_code: string, quantity: int, customer_phone?: string|null, type?: 'normal'|'sms'}
 *
 * @psalm-type DataPackagesRequest = array{phone_number: string, telco_service_type?: 'prepaid'|'postpaid', value?: int|null}
 *
 * @psalm-type DecryptCodeRequest = array{serial: string, encrypted_code: string}
 *
 * @psalm-type MobileTopupRequest = array{partner_ref_id: string, phone_number: string, amount?: int|null, product_code?: string|null, telco?: string|null, telco_service_type?: 'prepaid'|'postpaid'}
 *
 * @psalm-type CallbackInput = array{data: string, expected?: array<string, mixed>|null}
 *
 * @psalm-type TransactionRequest = array{partner_ref_id: string}
 *
 * @psalm-type ChargingWsConfig = array{base_url: string, partner_id: string, partner_key: string, allow_insecure_http?: bool, ca_file?: string|null, connect_timeout_ms?: int, dns_cache_secs?: int, face_values?: array<string, list<int>>, face_values_from_fees?: bool, max_idle_connections_per_host?: int, max_reply_bytes?: int, path?: string, proxy?: string|null, reuse_connections_for_money?: bool, shop_partner_id?: string|null, shop_partner_key?: string|null, shop_path?: string, shop_transport?: 'json'|'form'|'query', sign_scheme?: 's1'|'s2', stock_sign?: 'service'|'none'|'service_value_qty', timeout_ms?: int, tls_roots?: 'bundled'|'system', topup_amount_as_number?: bool, topup_partner_id?: string|null, topup_partner_key?: string|null, topup_path?: string, transport?: 'form'|'json'|'get', wallet_number?: string|null}
 *
 * @psalm-type BuyCardsRequest = array{service_code: string, value: int, qty: int, request_id: string}
 *
 * @psalm-type CardRequest = array{telco: string, code: string, serial: string, amount: int, request_id: string}
 *
 * @psalm-type RedownloadRequest = array{request_id: string, order_code?: string|null}
 *
 * @psalm-type StockRequest = array{service_code: string, value: int, qty: int}
 *
 * @psalm-type TopupOrderRequest = array{service_code: string, amount: int, phone: string, request_id: string}
 *
 * @psalm-type TopupStatusRequest = array{request_id: string, order_code?: string|null}
 *
 * @psalm-type WalletBalanceRequest = array{service?: 'shop'|'topup'}
 *
 * @psalm-type EsmsConfig = array{secret_key: string, allow_insecure_http?: bool, api_token?: string|null, base_url?: string, ca_file?: string|null, connect_timeout_ms?: int, dns_cache_secs?: int, email?: string|null, max_idle_connections_per_host?: int, max_reply_bytes?: int, password?: string|null, proxy?: string|null, reuse_connections_for_money?: bool, signature_encoding?: 'hex'|'base64', timeout_ms?: int, tls_roots?: 'bundled'|'system'}
 *
 * @psalm-type RawCallback = array{data: string}
 *
 * @psalm-type DisburseRequest = array{amount: int, channel: 'momo'|'zalopay', phone: string, order_id: string, description: string, callback_url?: string|null}
 *
 * @psalm-type AccessTokenRequest = array{access_token: string}
 *
 * @psalm-type QueryRequest = array{order_id: string}
 *
 * @psalm-type RecipientRequest = array{channel: 'momo'|'zalopay', phone: string}
 *
 * @psalm-type OpenCardConfig = array{partner_id: string, partner_key: string, allow_insecure_http?: bool, base_url?: string, ca_file?: string|null, connect_timeout_ms?: int, dns_cache_secs?: int, face_values?: array<string, list<int>>, max_idle_connections_per_host?: int, max_reply_bytes?: int, path?: string, proxy?: string|null, reuse_connections_for_money?: bool, sign_order?: 'ksort'|'prose', timeout_ms?: int, tls_roots?: 'bundled'|'system', webhook_sign_order?: 'ksort'|'prose'}
 *
 * @psalm-type OpenCardRequest = array{telco: string, code: string, serial: string, amount: int}
 *
 * @psalm-type TopupConfig = array{username: string, private_key: string, allow_insecure_http?: bool, base_url?: string, ca_file?: string|null, connect_timeout_ms?: int, digest?: 'sha256'|'sha1', dns_cache_secs?: int, max_idle_connections_per_host?: int, max_reply_bytes?: int, proxy?: string|null, reuse_connections_for_money?: bool, timeout_ms?: int, tls_roots?: 'bundled'|'system'}
 *
 * @psalm-type RecheckRequest = array{client_trans_id?: string|null, id_transaction?: string|null}
 *
 * @psalm-type TopupRequest = array{phone: string, amount: int, client_trans_id?: string|null, gateway?: string|null}
 *
 * @psalm-type Balance = array{error_code: int, message: string, balance: int|null, raw: string}
 *
 * @psalm-type BankAccount = array{error_code: int, message: string, partner_ref_id: string, account_no: string|null, account_name: string|null, bank_code: string|null, account_type: string|null, signature_verified: bool, raw: string}
 *
 * @psalm-type BankTransfer = array{status: 'success'|'unknown'|'duplicate'|'not_found'|'failed', error_code: int, message: string, partner_ref_id: string, appotapay_trans_id: string|null, amount: int|null, transfer_amount: int|null, account_no: string|null, account_name: string|null, time: string|null, time_unix: int|null, balance: int|null, signature_verified: bool, raw: string}
 *
 * @psalm-type CodeError = array{serial: string, reason: string}
 *
 * @psalm-type BoughtCard = array{serial: string, code: string|null, code_error: CodeError|null, encrypted_code: string, vendor: string|null, value: int|null, expiry: string|null}
 *
 * @psalm-type BuyResult = array{status: 'success'|'unknown'|'duplicate'|'not_found'|'failed', error_code: int, message: string, cards: list<BoughtCard>, appotapay_trans_id: string|null, amount: int|null, time: string|null, balance: int|null, raw: string}
 *
 * @psalm-type DataPackage = array{product_code: string, amount: int|null, type: string|null, telco: string|null, description: string|null}
 *
 * @psalm-type DataPackages = array{error_code: int, message: string, packages: list<DataPackage>, raw: string}
 *
 * @psalm-type DecryptedCode = array{serial: string, code: string}
 *
 * @psalm-type MobileTopup = array{status: 'success'|'unknown'|'duplicate'|'not_found'|'failed', error_code: int, message: string, partner_ref_id: string, appotapay_trans_id: string|null, phone_number: string|null, product_code: string|null, amount: int|null, topup_amount: int|null, telco: string|null, telco_service_type: string|null, time: string|null, time_unix: int|null, balance: int|null, signature_verified: bool, raw: string}
 *
 * @psalm-type TransferIpn = array{status: 'success'|'unknown'|'duplicate'|'not_found'|'failed', error_code: int, message: string, partner_ref_id: string, appotapay_trans_id: string, amount: int|null, transfer_amount: int|null, transfer_status: string, time: string|null, time_unix: int|null, reply_body: string, raw: string}
 *
 * @psalm-type Product = array{product_type: string, code: string, name: string, value: int|null}
 *
 * @psalm-type Products = array{error_code: int, message: string, products: list<Product>, raw: string}
 *
 * @psalm-type ShopCard = array{name: string|null, serial: string, code: string, expired: string|null}
 *
 * @psalm-type CardOrder = array{status: 'delivered'|'paid_pending'|'failed'|'duplicate'|'unknown'|'unresolved', site_status: int, message: string, cards: list<ShopCard>, request_id: string|null, order_code: string|null, time: string|null, raw: string}
 *
 * @psalm-type CardValue = array{value: int, discount: float|null}
 *
 * @psalm-type CardProduct = array{name: string, service_code: string, values: list<CardValue>}
 *
 * @psalm-type CardProducts = array{products: list<CardProduct>, raw: string}
 *
 * @psalm-type CardResult = array{status: int, message: string, request_id: string|null, trans_id: string|null, telco: string|null, code: string|null, serial: string|null, declared_value: int|null, value: int|null, amount: int|null, raw: string}
 *
 * @psalm-type Fee = array{telco: string, value: int, fees: float, penalty: float|null}
 *
 * @psalm-type Fees = array{fees: list<Fee>, skipped: list<string>, raw: string}
 *
 * @psalm-type Callback = array{status: int, message: string, request_id: string, trans_id: string|null, telco: string|null, code: string, serial: string, declared_value: int|null, card_value: int|null, value: int|null, amount: int|null, raw: string}
 *
 * @psalm-type Stock = array{in_stock: bool, site_status: string|null, message: string, raw: string}
 *
 * @psalm-type TopupOrder = array{status: 'pending'|'completed'|'canceled'|'failed'|'unresolved', site_status: string, order_status: string|null, message: string, order_code: string|null, request_id: string|null, pay_amount: int|null, amount: int|null, raw: string}
 *
 * @psalm-type TopupServiceProduct = array{service_code: string, values: list<CardValue>}
 *
 * @psalm-type TopupProducts = array{products: list<TopupServiceProduct>, raw: string}
 *
 * @psalm-type ShopBalance = array{balance: int|null, currency: string|null, site_status: string|null, message: string, raw: string}
 *
 * @psalm-type Disbursement = array{code: int, message: string, status: int|null, transaction_id: string|null, order_id: string|null, amount: int|null, channel: int|null, result_code: string|null, channel_message: string|null, timestamp: int|null, raw: string}
 *
 * @psalm-type ApiToken = array{api_token: string}
 *
 * @psalm-type AccessToken = array{access_token: string}
 *
 * @psalm-type EsmsCallback = array{confirmed: bool, order_id: string, status: int, transaction_id: string|null, amount: int|null, channel: int|null, result_code: string|null, message: string, raw: string}
 *
 * @psalm-type RecipientCheck = array{code: int, message: string, result_code: string|null, result_message: string|null, raw: string}
 *
 * @psalm-type OpenCardResult = array{status: int, message: string, request_id: string|null, raw: string}
 *
 * @psalm-type OpenCardUnverified = array{message: string, telco: string|null, declared_value: int|null, actual_amount: int|null, notified_at: string|null}
 *
 * @psalm-type OpenCardWebhook = array{request_id: string, trans_id: string, status: int, amount: int|null, unverified: OpenCardUnverified, raw: string}
 *
 * @psalm-type TopupBalance = array{balance: int|null, code: int|null, message: string, raw: string}
 *
 * @psalm-type TopupResult = array{status: 'success'|'unknown'|'failed_refundable'|'duplicate_client_id'|'failed'|'not_found', code: int, message: string, id_transaction: string|null, client_trans_id: string|null, raw: string}
 *
 * @psalm-type Settlement = array{reference: string, operation: string, state: 'intent'|'sent'|'pending'|'unknown'|'not_found'|'succeeded'|'failed'|'not_sent'|'attention', first: bool, amount: int|null, settled_by: string|null, answer: array<string, mixed>|null}
 *
 * @psalm-type Reconciled = array{provider: string, operation: string, reference: string, before: 'intent'|'sent'|'pending'|'unknown'|'not_found'|'succeeded'|'failed'|'not_sent'|'attention', after: 'intent'|'sent'|'pending'|'unknown'|'not_found'|'succeeded'|'failed'|'not_sent'|'attention', note: string}
 *
 * @psalm-type ReconcileReport = array{checked: int, resolved: int, still_open: int, not_sent: int, awaiting_callback: int, errors: int, not_ours: int, attention: int, lines: list<Reconciled>}
 */
final class Types
{
    private function __construct()
    {
    }
}

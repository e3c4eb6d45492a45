<?php

declare(strict_types=1);

namespace Vngate;

/**
 * Buying card codes (mua mã thẻ), mobile top-up, data packages, bank transfers and the account
 * check. Config keys: partner_code, api_key, secret_key, private_key_pem, padding
 * (oaep_sha1|pkcs1v15), bearer, jwt_lifetime_secs, topup_api (v2|v1), sign_absent_as_empty,
 * transfer_sign (given|all), verify_response_signature, base_url, …
 *
 * @psalm-import-type BuyRequest from Types
 * @psalm-import-type BuyResult from Types
 * @psalm-import-type Products from Types
 * @psalm-import-type Balance from Types
 * @psalm-import-type MobileTopupRequest from Types
 * @psalm-import-type MobileTopup from Types
 * @psalm-import-type DataPackagesRequest from Types
 * @psalm-import-type DataPackages from Types
 * @psalm-import-type BankTransferRequest from Types
 * @psalm-import-type BankTransfer from Types
 * @psalm-import-type BankAccountRequest from Types
 * @psalm-import-type BankAccount from Types
 * @psalm-import-type TransferIpn from Types
 */
final class AppotaPay extends Client
{
    protected static function provider(): string
    {
        return 'appotapay';
    }

    /**
     * Buys cards. Each card's `expiry` is rewritten to `Y-m-d` (AppotaPay sends `29-09-2030` or
     * `2030-09-29`; text in neither form is kept as sent); amounts are whole VND.
     *
     * @param BuyRequest $purchase
     * @return BuyResult
     */
    public function buyCards(array $purchase): array
    {
        return $this->call('buy_cards', $purchase);
    }

    /** @return BuyResult */
    public function transaction(string $partner_ref_id): array
    {
        return $this->call('transaction', ['partner_ref_id' => $partner_ref_id]);
    }

    /** @return Products */
    public function products(): array
    {
        return $this->call('products');
    }

    /** @return Balance */
    public function balance(): array
    {
        return $this->call('balance');
    }

    /** Decrypts one card code with the configured key: the PIN, as Python's decrypt_code returns it. */
    public function decryptCode(string $serial, #[\SensitiveParameter] string $encrypted_code): string
    {
        return (string)$this->call('decrypt_code', ['serial' => $serial, 'encrypted_code' => $encrypted_code])['code'];
    }

    /**
     * Tops up a phone (or buys a data package by its product_code). Moves money: on
     * OutcomeUnknownException or status `unknown`, call topupTransaction() with the same
     * partner_ref_id; never top up again.
     *
     * @param MobileTopupRequest $topup
     * @return MobileTopup
     */
    public function mobileTopup(array $topup): array
    {
        return $this->call('mobile_topup', $topup);
    }

    /**
     * A top-up's state; `not_found` means not executed only minutes after the request.
     *
     * @return MobileTopup
     */
    public function topupTransaction(string $partner_ref_id): array
    {
        return $this->call('topup_transaction', ['partner_ref_id' => $partner_ref_id]);
    }

    /**
     * @param DataPackagesRequest $request
     * @return DataPackages
     */
    public function dataPackages(array $request): array
    {
        return $this->call('data_packages', $request);
    }

    /**
     * Sends money to a bank account or card. Moves money: on OutcomeUnknownException or status
     * `unknown`, call transferTransaction() (or wait for the IPN); never transfer again.
     *
     * @param BankTransferRequest $transfer
     * @return BankTransfer
     */
    public function bankTransfer(array $transfer): array
    {
        return $this->call('bank_transfer', $transfer);
    }

    /** @return BankTransfer */
    public function transferTransaction(string $partner_ref_id): array
    {
        return $this->call('transfer_transaction', ['partner_ref_id' => $partner_ref_id]);
    }

    /**
     * @param BankAccountRequest $request
     * @return BankAccount
     */
    public function bankAccountInfo(array $request): array
    {
        return $this->call('bank_account_info', $request);
    }

    /**
     * Verifies a bank transfer's IPN (the raw POST body, php://input). Answer AppotaPay with
     * `reply_body` once recorded; confirm with transferTransaction() before you credit or refund.
     *
     * @return TransferIpn
     */
    public function parseCallback(#[\SensitiveParameter] string $body): array
    {
        return $this->verify($body);
    }

    /**
     * The same as parseCallback(), by AppotaPay's own word for it.
     *
     * @return TransferIpn
     */
    public function parseTransferIpn(#[\SensitiveParameter] string $body): array
    {
        return $this->verify($body);
    }
}

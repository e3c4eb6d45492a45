<?php

// Generated from schema/vngate.json by `VNGATE_WRITE_GENERATED=1 cargo test -p vngate-tests --test generated`: do not edit.

declare(strict_types=1);

namespace Vngate;

/**
 * AppotaPay's operations that pass their request through, generated from the operation
 * registry and the schema; AppotaPay adds the few written by hand (callbacks).
 *
 * @psalm-import-type Balance from Types
 * @psalm-import-type BankAccount from Types
 * @psalm-import-type BankAccountRequest from Types
 * @psalm-import-type BankTransfer from Types
 * @psalm-import-type BankTransferRequest from Types
 * @psalm-import-type BuyRequest from Types
 * @psalm-import-type BuyResult from Types
 * @psalm-import-type DataPackages from Types
 * @psalm-import-type DataPackagesRequest from Types
 * @psalm-import-type MobileTopup from Types
 * @psalm-import-type MobileTopupRequest from Types
 * @psalm-import-type Products from Types
 */
trait AppotaPayOperations
{
    /**
     * @param array<string, mixed> $request
     * @return array<string, mixed>
     */
    abstract protected function call(string $operation, #[\SensitiveParameter] array $request = []): array;

    /**
     * Buy card codes (decrypted with private_key_pem). Moves money, never retried: on
     * OutcomeUnknownException (or a status that says unknown), call transaction with the same
     * partner_ref_id; never buy again.
     *
     * @param BuyRequest $request
     * @return BuyResult
     */
    public function buyCards(array $request): array
    {
        return $this->call('buy_cards', $request);
    }

    /**
     * A purchase again, codes re-delivered.
     *
     * @return BuyResult
     */
    public function transaction(string $partner_ref_id): array
    {
        return $this->call('transaction', ['partner_ref_id' => $partner_ref_id]);
    }

    /**
     * The products on sale.
     *
     * @return Products
     */
    public function products(): array
    {
        return $this->call('products');
    }

    /**
     * The partner's balance.
     *
     * @return Balance
     */
    public function balance(): array
    {
        return $this->call('balance');
    }

    /**
     * Decrypt one card code with the configured key.
     */
    public function decryptCode(string $serial, #[\SensitiveParameter] string $encrypted_code): string
    {
        return (string)$this->call('decrypt_code', ['serial' => $serial, 'encrypted_code' => $encrypted_code])['code'];
    }

    /**
     * Top up a phone or buy a data package (v2; v1 with topup_api). Moves money, never retried:
     * on OutcomeUnknownException (or a status that says unknown), call topup_transaction with
     * the same partner_ref_id; never top up again (not_found means not executed only when it is
     * still the answer minutes later).
     *
     * @param MobileTopupRequest $request
     * @return MobileTopup
     */
    public function mobileTopup(array $request): array
    {
        return $this->call('mobile_topup', $request);
    }

    /**
     * A top-up's state (reply signature verified).
     *
     * @return MobileTopup
     */
    public function topupTransaction(string $partner_ref_id): array
    {
        return $this->call('topup_transaction', ['partner_ref_id' => $partner_ref_id]);
    }

    /**
     * The data packages a phone can buy with mobile_topup.
     *
     * @param DataPackagesRequest $request
     * @return DataPackages
     */
    public function dataPackages(array $request): array
    {
        return $this->call('data_packages', $request);
    }

    /**
     * Send money to a bank account or card (firm banking). Moves money, never retried: on
     * OutcomeUnknownException (or a status that says unknown), call transfer_transaction with
     * the same partner_ref_id (or wait for the transfer IPN); never transfer again.
     *
     * @param BankTransferRequest $request
     * @return BankTransfer
     */
    public function bankTransfer(array $request): array
    {
        return $this->call('bank_transfer', $request);
    }

    /**
     * A bank transfer's state (reply signature verified).
     *
     * @return BankTransfer
     */
    public function transferTransaction(string $partner_ref_id): array
    {
        return $this->call('transfer_transaction', ['partner_ref_id' => $partner_ref_id]);
    }

    /**
     * Who holds a bank account (reply signature verified).
     *
     * @param BankAccountRequest $request
     * @return BankAccount
     */
    public function bankAccountInfo(array $request): array
    {
        return $this->call('bank_account_info', $request);
    }

    /**
     * The money-moving operations, by method: the operation's name and the request field
     * that is its reference (what settle() takes).
     *
     * @return array<string, array{string, string}>
     */
    public static function moneyMovingCalls(): array
    {
        return [
            'buyCards' => ['buy_cards', 'partner_ref_id'],
            'mobileTopup' => ['mobile_topup', 'partner_ref_id'],
            'bankTransfer' => ['bank_transfer', 'partner_ref_id'],
        ];
    }
}

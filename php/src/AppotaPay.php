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
    use AppotaPayOperations;

    protected static function provider(): string
    {
        return 'appotapay';
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

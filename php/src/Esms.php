<?php

declare(strict_types=1);

namespace Vngate;

/**
 * Payouts to MoMo / ZaloPay wallets (chi hộ) through eSMS. Config keys: api_token (or email
 * and password), secret_key, signature_encoding (hex|base64), base_url, …
 *
 * @psalm-import-type DisburseRequest from Types
 * @psalm-import-type Disbursement from Types
 * @psalm-import-type RecipientCheck from Types
 * @psalm-import-type EsmsCallback from Types
 */
final class Esms extends Client
{
    use EsmsOperations;

    protected static function provider(): string
    {
        return 'esms';
    }

    /**
     * Reads a callback body. It is UNCONFIRMED: eSMS does not sign callbacks.
     *
     * @return EsmsCallback
     */
    public function parseCallback(#[\SensitiveParameter] string $body): array
    {
        return $this->verify($body);
    }

    /**
     * Confirms a callback body with a signed query; throws CallbackMismatchException if they differ.
     *
     * @return Disbursement
     */
    public function confirmCallback(#[\SensitiveParameter] string $body): array
    {
        return $this->call('confirm_callback', ['data' => $body]);
    }
}

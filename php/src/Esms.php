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
    protected static function provider(): string
    {
        return 'esms';
    }

    /** A 24 h access token. */
    public function login(): string
    {
        return (string)$this->call('login')['access_token'];
    }

    /** A non-expiring API token: obtain it once, store it, configure it as api_token. */
    public function generateApiToken(#[\SensitiveParameter] string $access_token): string
    {
        return (string)$this->call('generate_api_token', ['access_token' => $access_token])['api_token'];
    }

    /**
     * @param DisburseRequest $payout
     * @return Disbursement
     */
    public function disburse(array $payout): array
    {
        return $this->call('disburse', $payout);
    }

    /** @return RecipientCheck */
    public function verifyRecipient(string $channel, string $phone): array
    {
        return $this->call('verify_recipient', ['channel' => $channel, 'phone' => $phone]);
    }

    /** @return Disbursement */
    public function query(string $order_id): array
    {
        return $this->call('query', ['order_id' => $order_id]);
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

<?php

declare(strict_types=1);

namespace Vngate;

/**
 * OpenCard card charging. Config keys: partner_id, partner_key, sign_order, webhook_sign_order, …
 *
 * @psalm-import-type OpenCardRequest from Types
 * @psalm-import-type OpenCardResult from Types
 * @psalm-import-type StoredCharge from Types
 * @psalm-import-type OpenCardWebhook from Types
 */
final class OpenCard extends Client
{
    use OpenCardOperations;

    protected static function provider(): string
    {
        return 'opencard';
    }

    /**
     * Verifies a webhook: the raw POST body. The signature covers request_id, status, amount
     * and trans_id; the other fields are under `unverified`. With `$expected` (the charge you
     * stored: OpenCard's request_id from the charge reply, and optionally amount and telco) it
     * also checks the webhook is about that card, throwing CallbackMismatchException.
     *
     * @param StoredCharge|null $expected
     * @return OpenCardWebhook
     */
    public function parseCallback(#[\SensitiveParameter] string $body, ?array $expected = null): array
    {
        return $this->verify($body, $expected);
    }

    /**
     * The same as parseCallback(), by OpenCard's own word for it.
     *
     * @param StoredCharge|null $expected
     * @return OpenCardWebhook
     */
    public function parseWebhook(#[\SensitiveParameter] string $body, ?array $expected = null): array
    {
        return $this->verify($body, $expected);
    }
}

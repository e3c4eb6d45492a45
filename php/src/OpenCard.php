<?php

declare(strict_types=1);

namespace Vngate;

/** OpenCard card charging. Config keys: partner_id, partner_key, sign_order, webhook_sign_order, … */
final class OpenCard extends Client
{
    protected static function provider(): string
    {
        return 'opencard';
    }

    /** @param array{telco: string, code: string, serial: string, amount: int} $card */
    public function charge(#[\SensitiveParameter] array $card): array
    {
        return $this->call('charge', $card);
    }

    /**
     * Verifies a webhook: the raw POST body. The signature covers request_id, status, amount
     * and trans_id; the other fields are under `unverified`. With `$expected` (the charge you
     * stored: OpenCard's request_id from the charge reply, and optionally amount and telco) it
     * also checks the webhook is about that card, throwing CallbackMismatchException.
     *
     * @param array{request_id: string, amount?: int, telco?: string}|null $expected
     */
    public function parseCallback(#[\SensitiveParameter] string $body, ?array $expected = null): array
    {
        return $this->verify($body, $expected);
    }

    /** The same as parseCallback(), by OpenCard's own word for it. */
    public function parseWebhook(#[\SensitiveParameter] string $body, ?array $expected = null): array
    {
        return $this->verify($body, $expected);
    }
}

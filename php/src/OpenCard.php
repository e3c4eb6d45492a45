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
    public function charge(array $card): array
    {
        return $this->call('charge', $card);
    }

    /** Verifies a webhook: the raw POST body. */
    public function parse_webhook(string $body): array
    {
        return $this->verify($body);
    }
}

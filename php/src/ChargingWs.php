<?php

declare(strict_types=1);

namespace Vngate;

/**
 * Card charging (đổi thẻ cào) over chargingws/v2. Config keys: base_url, partner_id,
 * partner_key, sign_scheme (s1|s2), transport (form|json|get), timeout_ms, …
 *
 * @psalm-import-type CardRequest from Types
 * @psalm-import-type CardResult from Types
 * @psalm-import-type Fees from Types
 * @psalm-import-type Callback from Types
 * @psalm-import-type BuyCardsRequest from Types
 * @psalm-import-type CardOrder from Types
 * @psalm-import-type ShopBalance from Types
 * @psalm-import-type StockRequest from Types
 * @psalm-import-type Stock from Types
 * @psalm-import-type CardProducts from Types
 * @psalm-import-type TopupOrderRequest from Types
 * @psalm-import-type TopupOrder from Types
 * @psalm-import-type TopupProducts from Types
 */
final class ChargingWs extends Client
{
    use ChargingWsOperations;

    protected static function provider(): string
    {
        return 'chargingws';
    }

    /**
     * Verifies a callback: the raw POST body or GET query string. With `$expected` (the card you
     * stored), also checks request_id, telco, serial and declared value.
     *
     * @param CardRequest|null $expected
     * @return Callback
     */
    public function parseCallback(#[\SensitiveParameter] string $data, #[\SensitiveParameter] ?array $expected = null): array
    {
        return $this->verify($data, $expected);
    }
}

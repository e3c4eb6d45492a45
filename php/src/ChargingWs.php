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
    protected static function provider(): string
    {
        return 'chargingws';
    }

    /**
     * @param CardRequest $card
     * @return CardResult
     */
    public function charge(#[\SensitiveParameter] array $card): array
    {
        return $this->call('charge', $card);
    }

    /**
     * @param CardRequest $card
     * @return CardResult
     */
    public function check(#[\SensitiveParameter] array $card): array
    {
        return $this->call('check', $card);
    }

    /** @return Fees */
    public function fees(): array
    {
        return $this->call('fees');
    }

    /**
     * Buys card codes from the site's card shop. Moves money: on OutcomeUnknownException or
     * status `unknown`, call redownload() with the same request_id; never buy again.
     *
     * @param BuyCardsRequest $order
     * @return CardOrder
     */
    public function buyCards(array $order): array
    {
        return $this->call('buy_cards', $order);
    }

    /**
     * A bought order's cards again (no new transaction); status `unresolved` when the site
     * cannot tell: check its order history, never read it as failed.
     *
     * @return CardOrder
     */
    public function redownload(string $request_id, ?string $order_code = null): array
    {
        return $this->call('redownload', array_filter(['request_id' => $request_id, 'order_code' => $order_code], fn ($v) => $v !== null));
    }

    /**
     * A wallet's balance: the card shop's ('shop', the default) or the top-up service's ('topup').
     *
     * @return ShopBalance
     */
    public function walletBalance(string $service = 'shop'): array
    {
        return $this->call('wallet_balance', ['service' => $service]);
    }

    /**
     * @param StockRequest $request
     * @return Stock
     */
    public function stock(array $request): array
    {
        return $this->call('stock', $request);
    }

    /** @return CardProducts */
    public function cardProducts(): array
    {
        return $this->call('card_products');
    }

    /**
     * Tops up a phone through the site's top-up service. Moves money: on
     * OutcomeUnknownException, call topupStatus() with the same request_id; never top up again.
     *
     * @param TopupOrderRequest $order
     * @return TopupOrder
     */
    public function topupOrder(array $order): array
    {
        return $this->call('topup_order', $order);
    }

    /**
     * A top-up order's status; `unresolved` when the site cannot tell: check its order
     * history, never read it as failed.
     *
     * @return TopupOrder
     */
    public function topupStatus(string $request_id, ?string $order_code = null): array
    {
        return $this->call('topup_status', array_filter(['request_id' => $request_id, 'order_code' => $order_code], fn ($v) => $v !== null));
    }

    /** @return TopupProducts */
    public function topupProducts(): array
    {
        return $this->call('topup_products');
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

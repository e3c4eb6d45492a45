<?php

// Generated from schema/vngate.json by `VNGATE_WRITE_GENERATED=1 cargo test -p vngate-tests --test generated`: do not edit.

declare(strict_types=1);

namespace Vngate;

/**
 * ChargingWs's operations that pass their request through, generated from the operation
 * registry and the schema; ChargingWs adds the few written by hand (callbacks).
 *
 * @psalm-import-type BuyCardsRequest from Types
 * @psalm-import-type CardOrder from Types
 * @psalm-import-type CardProducts from Types
 * @psalm-import-type CardRequest from Types
 * @psalm-import-type CardResult from Types
 * @psalm-import-type Fees from Types
 * @psalm-import-type ShopBalance from Types
 * @psalm-import-type Stock from Types
 * @psalm-import-type StockRequest from Types
 * @psalm-import-type TopupOrder from Types
 * @psalm-import-type TopupOrderRequest from Types
 * @psalm-import-type TopupProducts from Types
 */
trait ChargingWsOperations
{
    /**
     * @param array<string, mixed> $request
     * @return array<string, mixed>
     */
    abstract protected function call(string $operation, #[\SensitiveParameter] array $request = []): array;

    /**
     * Submit a card (command=charging). Moves money, never retried: on OutcomeUnknownException
     * (or a status that says unknown), call check with the same request_id (or wait for the
     * callback).
     *
     * @param CardRequest $request
     * @return CardResult
     */
    public function charge(#[\SensitiveParameter] array $request): array
    {
        return $this->call('charge', $request);
    }

    /**
     * A card's current status (command=check).
     *
     * @param CardRequest $request
     * @return CardResult
     */
    public function check(#[\SensitiveParameter] array $request): array
    {
        return $this->call('check', $request);
    }

    /**
     * The site's fee table.
     *
     * @return Fees
     */
    public function fees(): array
    {
        return $this->call('fees');
    }

    /**
     * Buy card codes from the site's card shop (cardws buycard). Moves money, never retried: on
     * OutcomeUnknownException (or a status that says unknown), call redownload with the same
     * request_id; never buy again (if it cannot tell, check the site's order history).
     *
     * @param BuyCardsRequest $request
     * @return CardOrder
     */
    public function buyCards(array $request): array
    {
        return $this->call('buy_cards', $request);
    }

    /**
     * A bought order's cards again (cardws redownload, no new transaction).
     *
     * @return CardOrder
     */
    public function redownload(string $request_id, ?string $order_code = null): array
    {
        return $this->call('redownload', array_filter(['request_id' => $request_id, 'order_code' => $order_code], fn ($v) => $v !== null));
    }

    /**
     * A wallet's balance: the card shop's (cardws getbalance) or the top-up service's
     * (rechargews).
     *
     * @return ShopBalance
     */
    public function walletBalance(string $service = 'shop'): array
    {
        return $this->call('wallet_balance', ['service' => $service]);
    }

    /**
     * Whether cards are in stock (cardws checkavailable).
     *
     * @param StockRequest $request
     * @return Stock
     */
    public function stock(array $request): array
    {
        return $this->call('stock', $request);
    }

    /**
     * The card shop's products and face values.
     *
     * @return CardProducts
     */
    public function cardProducts(): array
    {
        return $this->call('card_products');
    }

    /**
     * Top up a phone through the site's top-up service (rechargews topup). Moves money, never
     * retried: on OutcomeUnknownException (or a status that says unknown), call topup_status
     * with the same request_id (and order_code if you have it); never top up again (if it
     * cannot tell, check the site's order history).
     *
     * @param TopupOrderRequest $request
     * @return TopupOrder
     */
    public function topupOrder(array $request): array
    {
        return $this->call('topup_order', $request);
    }

    /**
     * A top-up order's status (rechargews getstatus).
     *
     * @return TopupOrder
     */
    public function topupStatus(string $request_id, ?string $order_code = null): array
    {
        return $this->call('topup_status', array_filter(['request_id' => $request_id, 'order_code' => $order_code], fn ($v) => $v !== null));
    }

    /**
     * The top-up service's products (rechargews productlist).
     *
     * @return TopupProducts
     */
    public function topupProducts(): array
    {
        return $this->call('topup_products');
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
            'charge' => ['charge', 'request_id'],
            'buyCards' => ['buy_cards', 'request_id'],
            'topupOrder' => ['topup_order', 'request_id'],
        ];
    }
}

<?php

declare(strict_types=1);

namespace Vngate\Laravel\Facades;

use Illuminate\Support\Facades\Facade;

/**
 * `Vngate::account('payouts')->disburse($payout)`, or the default account's operations
 * directly: `Vngate::charge($card)`.
 *
 * @method static \Vngate\Laravel\Account account(?string $name = null)
 * @method static void callbackReferenceUsing(string $account, callable $reference)
 * @method static array settle(string $reference)
 * @method static array reconcile()
 *
 * @see \Vngate\Laravel\VngateManager
 */
final class Vngate extends Facade
{
    protected static function getFacadeAccessor(): string
    {
        return 'vngate';
    }
}

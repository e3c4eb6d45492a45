<?php

declare(strict_types=1);

namespace Vngate\Laravel\Events;

/**
 * A payout (eSMS disburse, AppotaPay bank_transfer) is final: `succeeded()` says whether the money
 * left; on failure, refund the balance you took for it.
 */
final class PayoutSettled extends Settled
{
}

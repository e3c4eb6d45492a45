<?php

declare(strict_types=1);

namespace Vngate\Laravel\Events;

/**
 * A card charge failed for good: nothing to credit; tell the customer.
 */
final class CardFailed extends Settled
{
}

<?php

declare(strict_types=1);

namespace Vngate\Laravel\Events;

/**
 * A card charge succeeded: credit `$amount` (what the answer that settled it says the card
 * was worth to you; a card declared at the wrong value settles for less).
 */
final class CardCharged extends Settled
{
}

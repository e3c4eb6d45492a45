<?php

declare(strict_types=1);

namespace Vngate\Laravel\Events;

/**
 * A journaled money-moving call became final and this is the one time it is told: credit or
 * refund on it. Dispatched once per record, whichever of the callback route, vngate:reconcile
 * or the call itself saw it final first (the journal's `first`, across workers and servers).
 * CardCharged, CardFailed and PayoutSettled are this event for their operations; other
 * operations (buying cards, top-ups) dispatch it as it is.
 *
 * @psalm-import-type Settlement from \Vngate\Types
 */
class Settled
{
    /**
     * @param string $account the account's name in config/vngate.php
     * @param Settlement $settlement what settle() said: state, amount, the answer that settled it
     */
    public function __construct(
        public readonly string $account,
        public readonly string $provider,
        public readonly string $operation,
        public readonly string $reference,
        public readonly string $state,
        public readonly ?int $amount,
        public readonly array $settlement,
    ) {
    }

    public function succeeded(): bool
    {
        return $this->state === \Vngate\JournalState::SUCCEEDED;
    }
}

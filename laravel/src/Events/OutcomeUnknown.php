<?php

declare(strict_types=1);

namespace Vngate\Laravel\Events;

/**
 * Nobody can say yet whether a money-moving call happened: never send it again. Dispatched
 * when a call through the facade ends in OutcomeUnknownException (the journal and
 * vngate:reconcile resolve it later, and Settled follows), and when vngate:reconcile gives up
 * on a record (`attention`: a person must look, with `$nextStep`).
 */
final class OutcomeUnknown
{
    public function __construct(
        public readonly string $account,
        public readonly string $provider,
        public readonly string $operation,
        public readonly string $reference,
        public readonly string $nextStep,
        /** true when vngate:reconcile gave up on it (state `attention`). */
        public readonly bool $needsAttention = false,
    ) {
    }
}

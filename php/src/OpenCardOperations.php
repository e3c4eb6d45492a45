<?php

// Generated from schema/vngate.json by `VNGATE_WRITE_GENERATED=1 cargo test -p vngate-tests --test generated`: do not edit.

declare(strict_types=1);

namespace Vngate;

/**
 * OpenCard's operations that pass their request through, generated from the operation
 * registry and the schema; OpenCard adds the few written by hand (callbacks).
 *
 * @psalm-import-type OpenCardRequest from Types
 * @psalm-import-type OpenCardResult from Types
 */
trait OpenCardOperations
{
    /**
     * @param array<string, mixed> $request
     * @return array<string, mixed>
     */
    abstract protected function call(string $operation, #[\SensitiveParameter] array $request = []): array;

    /**
     * Submit a card; OpenCard assigns the request_id. Moves money, never retried: on
     * OutcomeUnknownException (or a status that says unknown), OpenCard has no status query:
     * wait for the webhook for this card, or ask OpenCard.
     *
     * @param OpenCardRequest $request
     * @return OpenCardResult
     */
    public function charge(#[\SensitiveParameter] array $request): array
    {
        return $this->call('charge', $request);
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
            'charge' => ['charge', 'serial'],
        ];
    }
}

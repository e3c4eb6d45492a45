<?php

// Generated from schema/vngate.json by `VNGATE_WRITE_GENERATED=1 cargo test -p vngate-tests --test generated`: do not edit.

declare(strict_types=1);

namespace Vngate;

/**
 * Topup's operations that pass their request through, generated from the operation
 * registry and the schema; Topup adds the few written by hand (callbacks).
 *
 * @psalm-import-type RecheckRequest from Types
 * @psalm-import-type TopupBalance from Types
 * @psalm-import-type TopupRequest from Types
 * @psalm-import-type TopupResult from Types
 */
trait TopupOperations
{
    /**
     * @param array<string, mixed> $request
     * @return array<string, mixed>
     */
    abstract protected function call(string $operation, #[\SensitiveParameter] array $request = []): array;

    /**
     * Top up a phone. Moves money, never retried: on OutcomeUnknownException (or a status that
     * says unknown), call recheck with this client_trans_id; do not top up again or refund yet.
     *
     * @param TopupRequest $request
     * @return TopupResult
     */
    public function topup(array $request): array
    {
        return $this->call('topup', $request);
    }

    /**
     * A top-up's outcome.
     *
     * @param RecheckRequest $request
     * @return TopupResult
     */
    public function recheck(array $request): array
    {
        return $this->call('recheck', $request);
    }

    /**
     * The account balance.
     *
     * @return TopupBalance
     */
    public function balance(): array
    {
        return $this->call('balance');
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
            'topup' => ['topup', 'client_trans_id'],
        ];
    }
}

<?php

// Generated from schema/vngate.json by `VNGATE_WRITE_GENERATED=1 cargo test -p vngate-tests --test generated`: do not edit.

declare(strict_types=1);

namespace Vngate;

/**
 * Esms's operations that pass their request through, generated from the operation
 * registry and the schema; Esms adds the few written by hand (callbacks).
 *
 * @psalm-import-type DisburseRequest from Types
 * @psalm-import-type Disbursement from Types
 * @psalm-import-type RecipientCheck from Types
 */
trait EsmsOperations
{
    /**
     * @param array<string, mixed> $request
     * @return array<string, mixed>
     */
    abstract protected function call(string $operation, #[\SensitiveParameter] array $request = []): array;

    /**
     * A 24 h access token from email and password.
     */
    public function login(): string
    {
        return (string)$this->call('login')['access_token'];
    }

    /**
     * A non-expiring API token (obtain once, store, configure api_token).
     */
    public function generateApiToken(#[\SensitiveParameter] string $access_token): string
    {
        return (string)$this->call('generate_api_token', ['access_token' => $access_token])['api_token'];
    }

    /**
     * Pay out to a MoMo or ZaloPay wallet. Moves money, never retried: on
     * OutcomeUnknownException (or a status that says unknown), call query with the same
     * order_id; never disburse it again.
     *
     * @param DisburseRequest $request
     * @return Disbursement
     */
    public function disburse(array $request): array
    {
        return $this->call('disburse', $request);
    }

    /**
     * Whether a wallet can receive.
     *
     * @return RecipientCheck
     */
    public function verifyRecipient(string $channel, string $phone): array
    {
        return $this->call('verify_recipient', ['channel' => $channel, 'phone' => $phone]);
    }

    /**
     * A payout's state.
     *
     * @return Disbursement
     */
    public function query(string $order_id): array
    {
        return $this->call('query', ['order_id' => $order_id]);
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
            'disburse' => ['disburse', 'order_id'],
        ];
    }
}

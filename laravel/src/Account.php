<?php

declare(strict_types=1);

namespace Vngate\Laravel;

use Illuminate\Contracts\Events\Dispatcher;
use Vngate\Client;
use Vngate\Exception\OutcomeUnknownException;
use Vngate\Exception\VngateException;
use Vngate\JournalState;
use Vngate\Laravel\Events\CardCharged;
use Vngate\Laravel\Events\CardFailed;
use Vngate\Laravel\Events\OutcomeUnknown;
use Vngate\Laravel\Events\PayoutSettled;
use Vngate\Laravel\Events\Settled;

/**
 * One account of config/vngate.php: its client's operations (`charge`, `disburse`, …) called
 * through, and, when it is journaled, the events: a money-moving call that ends final here,
 * a verified callback, or a reconcile that settles a record dispatches Settled (CardCharged,
 * CardFailed, PayoutSettled) exactly once per record; an unknown outcome dispatches
 * OutcomeUnknown. `client()` is the bare client (no events).
 *
 * @mixin Client
 * @psalm-import-type Settlement from \Vngate\Types
 * @psalm-import-type ReconcileReport from \Vngate\Types
 */
final class Account
{
    /** @var (callable(array<string, mixed>): ?string)|null */
    private $callbackReference = null;

    public function __construct(
        private readonly string $name,
        private readonly string $provider,
        private readonly Client $client,
        private readonly bool $journaled,
        private readonly Dispatcher $events,
    ) {
    }

    public function name(): string
    {
        return $this->name;
    }

    public function provider(): string
    {
        return $this->provider;
    }

    public function journaled(): bool
    {
        return $this->journaled;
    }

    public function client(): Client
    {
        return $this->client;
    }

    /** What var_dump and print_r show: no credential. */
    public function __debugInfo(): array
    {
        return ['name' => $this->name, 'provider' => $this->provider, 'journaled' => $this->journaled];
    }

    /**
     * An operation of the account's client; a money-moving one is settled right after it
     * (a final answer dispatches its event here), and an unknown outcome dispatches
     * OutcomeUnknown before the exception goes on.
     *
     * @param list<mixed> $arguments
     */
    public function __call(string $method, #[\SensitiveParameter] array $arguments): mixed
    {
        $money = $this->client::moneyMovingCalls()[$method] ?? null;
        try {
            $result = $this->client->$method(...$arguments);
        } catch (OutcomeUnknownException $e) {
            $this->events->dispatch(new OutcomeUnknown($this->name, $this->provider, $money[0] ?? $method, $e->reference(), $e->nextStep()));
            throw $e;
        }
        if ($money !== null && $this->journaled) {
            [, $field] = $money;
            $request = $arguments[0] ?? null;
            $reference = (is_array($request) ? ($request[$field] ?? null) : null) ?? (is_array($result) ? ($result[$field] ?? null) : null);
            if (is_string($reference) && $reference !== '') {
                try {
                    $this->settle($reference);
                } catch (VngateException) {
                    // The call's answer stands and goes back to the caller (throwing here would
                    // read as a failed charge). The event waits for the next settle() of this
                    // reference: the callback route's, vngate:reconcile's while it is open, or
                    // the app's own Vngate::account(...)->settle().
                }
            }
        }
        return $result;
    }

    /**
     * Where the journaled call `$reference` stands; the first caller to see it final (in any
     * worker or server) also dispatches its event.
     *
     * @return Settlement
     */
    public function settle(string $reference): array
    {
        $settlement = $this->client->settle($reference);
        if ($settlement['first'] && in_array($settlement['state'], [JournalState::SUCCEEDED, JournalState::FAILED], true)) {
            $this->events->dispatch($this->settledEvent($settlement));
        }
        return $settlement;
    }

    /**
     * Asks about this account's pending and unknown calls (vngate:reconcile runs it): each
     * record it settles dispatches its event once; each it gives up on, OutcomeUnknown.
     *
     * @return ReconcileReport
     */
    public function reconcile(): array
    {
        $report = $this->client->reconcile();
        foreach ($report['lines'] as $line) {
            if ($line['provider'] !== $this->provider) {
                continue;
            }
            if (in_array($line['after'], [JournalState::SUCCEEDED, JournalState::FAILED], true)) {
                $this->settle($line['reference']);
            } elseif ($line['after'] === JournalState::ATTENTION && $line['before'] !== JournalState::ATTENTION) {
                $this->events->dispatch(new OutcomeUnknown($this->name, $this->provider, $line['operation'], $line['reference'], $line['note'], true));
            }
        }
        return $report;
    }

    /**
     * Names the reference (your request's) of a verified OpenCard webhook, which carries only
     * OpenCard's own request_id: look it up where you stored the charge reply.
     *
     * @param callable(array<string, mixed>): ?string $reference
     */
    public function callbackReferenceUsing(callable $reference): self
    {
        $this->callbackReference = $reference;
        return $this;
    }

    /**
     * A callback as received (the raw POST body, or the GET query string): verified, bound to
     * its journaled request (which it settles, or, where the provider does not sign the
     * status, has confirmed by the resolving call), then settled here: the event is dispatched
     * once. Returns the callback and what to answer the provider.
     *
     * @return array{callback: array<string, mixed>, settlement: Settlement|null, reply: string}
     * @throws VngateException a callback that is not genuine (signature_mismatch, …)
     */
    public function takeCallback(#[\SensitiveParameter] string $data): array
    {
        $client = $this->client;
        [$callback, $reference] = match (true) {
            $client instanceof \Vngate\ChargingWs => [$c = $client->parseCallback($data), $c['request_id']],
            $client instanceof \Vngate\OpenCard => [$c = $client->parseWebhook($data), $this->callbackReference === null ? null : ($this->callbackReference)($c)],
            $client instanceof \Vngate\AppotaPay => [$c = $client->parseTransferIpn($data), $c['partner_ref_id']],
            // eSMS does not sign callbacks: a signed query confirms what the body says.
            $client instanceof \Vngate\Esms => [$c = $client->confirmCallback($data), $c['order_id']],
            default => throw new \LogicException("vngate: {$this->provider} sends no callbacks"),
        };
        $settlement = $this->journaled && is_string($reference) && $reference !== '' ? $this->settle($reference) : null;
        $reply = is_string($callback['reply_body'] ?? null) ? $callback['reply_body'] : '{"success":true}';
        return ['callback' => $callback, 'settlement' => $settlement, 'reply' => $reply];
    }

    /** @param Settlement $settlement */
    private function settledEvent(array $settlement): Settled
    {
        $class = match (true) {
            $settlement['operation'] === 'charge' && $settlement['state'] === JournalState::SUCCEEDED => CardCharged::class,
            $settlement['operation'] === 'charge' => CardFailed::class,
            in_array($settlement['operation'], ['disburse', 'bank_transfer'], true) => PayoutSettled::class,
            default => Settled::class,
        };
        return new $class($this->name, $this->provider, $settlement['operation'], $settlement['reference'], $settlement['state'], $settlement['amount'], $settlement);
    }
}

<?php

/*
 * A Laravel-shaped controller for card charging: `charge` submits a card and stores it before
 * sending; `callback` verifies the site's callback against the stored card, confirms it with
 * check and credits it once. In a Laravel app, bind ChargingWs in a service provider, route
 * POST /charge and ANY /charge/callback here, and replace CardStore with your Eloquent model.
 * examples/php/laravel.php serves it under php-fpm for the tests (tests/php/fpm.py).
 */

declare(strict_types=1);

namespace App\Http\Controllers;

use Vngate\ChargingWs;
use Vngate\Exception\InvalidInputException;
use Vngate\Exception\OutcomeUnknownException;
use Vngate\Exception\VngateException;

/** Where cards and credits live: a JSON file here, your database in an app. */
final class CardStore
{
    public function __construct(private readonly string $path)
    {
    }

    /** @return array<string, mixed> */
    private function all(): array
    {
        return is_file($this->path) ? (json_decode((string)file_get_contents($this->path), true) ?: []) : [];
    }

    /** @param array<string, mixed> $card */
    public function put(array $card): void
    {
        $this->locked(function () use ($card): bool {
            $all = $this->all();
            $all['cards'][$card['request_id']] = $card;
            $this->save($all);
            return true;
        });
    }

    /** Runs `$change` under the store's lock: one php-fpm worker at a time. */
    private function locked(callable $change): bool
    {
        $handle = fopen($this->path . '.lock', 'c');
        flock($handle, LOCK_EX);
        try {
            return $change();
        } finally {
            flock($handle, LOCK_UN);
            fclose($handle);
        }
    }

    /**
     * Written aside and renamed: a reader (another worker) sees the old file or the new one,
     * never half of one.
     *
     * @param array<string, mixed> $all
     */
    private function save(array $all): void
    {
        $aside = $this->path . '.' . getmypid();
        file_put_contents($aside, json_encode($all));
        rename($aside, $this->path);
    }

    /** @return array<string, mixed>|null */
    public function card(string $requestId): ?array
    {
        return $this->all()['cards'][$requestId] ?? null;
    }

    /** Credits once per request_id; false when it was credited before. */
    public function creditOnce(string $requestId, int $amount): bool
    {
        return $this->locked(function () use ($requestId, $amount): bool {
            $all = $this->all();
            if (isset($all['credited'][$requestId])) {
                return false;
            }
            $all['credited'][$requestId] = $amount;
            $this->save($all);
            return true;
        });
    }
}

final class CardController
{
    public function __construct(private readonly ChargingWs $client, private readonly CardStore $store)
    {
    }

    /**
     * POST /charge {telco, code, serial, amount}
     *
     * @param array<string, mixed> $input
     * @return array{int, array<string, mixed>} HTTP status and JSON body
     */
    public function charge(#[\SensitiveParameter] array $input): array
    {
        $card = $input + ['request_id' => ChargingWs::newRequestId()];
        $this->store->put($card); // stored before sending
        try {
            $result = $this->client->charge($card);
            return [200, ['request_id' => $card['request_id'], 'status' => $result['status']]];
        } catch (OutcomeUnknownException $e) {
            // The card may have reached the site: never resend it; check later.
            return [202, ['request_id' => $e->reference(), 'next_step' => $e->nextStep()]];
        } catch (InvalidInputException $e) {
            return [422, ['error' => 'invalid ' . $e->field()]];
        } catch (VngateException $e) {
            // Not sent (transport) or refused credentials: safe to try again later.
            return [502, ['error' => $e->kind(), 'message' => $e->getMessage()]];
        }
    }

    /**
     * ANY /charge/callback: the raw body (POST JSON) or query string (GET), as received.
     *
     * @return array{int, array<string, mixed>}
     */
    public function callback(#[\SensitiveParameter] string $data, string $requestId): array
    {
        $stored = $this->store->card($requestId);
        if ($stored === null) {
            return [404, ['success' => false]];
        }
        try {
            $this->client->parseCallback($data, $stored);      // signature + stored card
            $confirmed = $this->client->check($stored);          // the sign does not cover status
        } catch (VngateException $e) {
            return [400, ['success' => false, 'kind' => $e->kind()]];
        }
        if (in_array($confirmed['status'], [1, 2], true)) {
            $this->store->creditOnce($requestId, (int)$confirmed['amount']);
        }
        return [200, ['success' => true]];
    }
}

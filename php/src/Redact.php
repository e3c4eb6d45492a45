<?php

declare(strict_types=1);

namespace Vngate;

/**
 * Results are plain arrays, complete for storage: a chargingws result or callback carries the
 * card PIN (`code`), an AppotaPay purchase the bought codes, and `raw` the provider's body as
 * received. Log them through `Redact::forLog()`, never as they are.
 */
final class Redact
{
    /** Keys whose values are card codes: masked to their last two characters. */
    private const CODES = ['code', 'encrypted_code'];

    /**
     * A copy of a result (or request) safe to log: card codes masked as `***81`, `raw`
     * replaced by its length, tokens and keys (`*_token`, `*_key`, `password`, `*_pem`) hidden.
     *
     * @param array<mixed> $value
     * @return array<mixed>
     */
    public static function forLog(#[\SensitiveParameter] array $value): array
    {
        $out = [];
        foreach ($value as $key => $item) {
            $name = is_string($key) ? strtolower($key) : '';
            if (is_array($item)) {
                $out[$key] = self::forLog($item);
            } elseif (!is_string($item)) {
                $out[$key] = $item;
            } elseif ($name === 'raw') {
                $out[$key] = '<' . strlen($item) . ' bytes>';
            } elseif (in_array($name, self::CODES, true)) {
                $out[$key] = self::mask($item);
            } elseif (preg_match('/token|secret|password|_key$|^key$|_pem$/', $name) === 1) {
                $out[$key] = '***';
            } else {
                $out[$key] = $item;
            }
        }
        return $out;
    }

    /** A card PIN as support staff may see it: the last two characters, like the core's. */
    public static function mask(#[\SensitiveParameter] string $pin): string
    {
        return strlen($pin) <= 4 ? '***' : '***' . substr($pin, -2);
    }
}

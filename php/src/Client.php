<?php

declare(strict_types=1);

namespace Vngate;

use FFI;
use FFI\CData;
use Vngate\Exception\InvalidInputException;
use Vngate\Exception\VngateException;

/**
 * One provider client over libvngate: built from a config array, immutable, freed when the
 * object is destroyed. Requests and results are arrays keyed by the vocabulary's names.
 *
 * Secrets: every parameter that can carry a key, token, password, PEM, card PIN or raw
 * callback is `#[\SensitiveParameter]`, so PHP's traces (with `zend.exception_ignore_args=0`,
 * PHP's default) show a placeholder instead; the client keeps no credential in PHP memory
 * (the config goes to the library at once) and dumps as its provider's name only.
 *
 * A `journal` entry in the config (`['path' => ..., 'key_env' => ...]`) journals every
 * money-moving call in a SQLite file the php-fpm workers share: recorded before it is sent,
 * never sent twice; `settle()` and `reconcile()` then work.
 *
 * @psalm-import-type Settlement from Types
 * @psalm-import-type ReconcileReport from Types
 */
abstract class Client
{
    private FFI $ffi;
    private ?CData $handle;
    private ?\Psr\Log\LoggerInterface $logger;

    /** The provider's name in libvngate. */
    abstract protected static function provider(): string;

    /**
     * @param array<string, mixed> $config
     * @param \Psr\Log\LoggerInterface|null $logger receives vngate's lines for each call: one at
     *        info (provider, operation, your reference, HTTP status, latency) and, at debug, the
     *        request and reply with card PINs masked and keys removed. PSR-3 (`psr/log`):
     *        Monolog, Laravel's `Log::channel(...)`.
     */
    public function __construct(#[\SensitiveParameter] array $config, ?\Psr\Log\LoggerInterface $logger = null)
    {
        $this->logger = $logger;
        $this->ffi = Library::ffi();
        $out = $this->ffi->new('vngate_client*');
        $result = $this->ffi->vngate_client_new(static::provider(), self::encode($config, ''), FFI::addr($out));
        if ($result !== 0) {
            throw $this->error($result);
        }
        $this->handle = $out;
    }

    /** What var_dump and print_r show: the provider, nothing of the handle or the library. */
    public function __debugInfo(): array
    {
        return ['provider' => static::provider()];
    }

    public function __destruct()
    {
        if ($this->handle !== null) {
            $this->ffi->vngate_client_free($this->handle);
            $this->handle = null;
        }
    }

    /** A fresh, time-ordered, unique request id. Store it with the order before sending. */
    public static function newRequestId(): string
    {
        $ffi = Library::ffi();
        $out = $ffi->new('char*');
        $result = $ffi->vngate_new_request_id(FFI::addr($out));
        if ($result !== 0) {
            throw VngateException::fromResult($result, (string)$ffi->vngate_last_error_message(), '');
        }
        try {
            return FFI::string($out);
        } finally {
            $ffi->vngate_string_free($out);
        }
    }

    /** libvngate's version. */
    public static function version(): string
    {
        return (string)Library::ffi()->vngate_version();
    }

    /**
     * Runs an operation by its vocabulary name.
     *
     * @param array<string, mixed> $request
     * @return array<string, mixed>
     */
    protected function call(string $operation, #[\SensitiveParameter] array $request = []): array
    {
        $out = $this->ffi->new('char*');
        if ($this->logger === null) {
            $result = $this->ffi->vngate_client_call($this->handle, $operation, self::encode($request, ''), FFI::addr($out));
            return $this->take($result, $out);
        }
        // No callbacks across FFI: the library hands the call's lines back with its result.
        $lines = $this->ffi->new('char*');
        $result = $this->ffi->vngate_client_call_logged($this->handle, $operation, self::encode($request, ''), 'debug', FFI::addr($out), FFI::addr($lines));
        $this->forward($lines, $operation);
        return $this->take($result, $out);
    }

    /**
     * With a `journal` in the config: whether the money-moving call `$reference` is final, and
     * whether this is the first time anyone (any php-fpm worker, any server sharing the journal)
     * asked since it became final. Credit or refund the customer when `first` is true, and only
     * then.
     *
     * @return Settlement
     */
    public function settle(string $reference): array
    {
        $out = $this->ffi->new('char*');
        $result = $this->ffi->vngate_client_settle($this->handle, $reference, FFI::addr($out));
        return $this->take($result, $out);
    }

    /**
     * With a `journal` in the config: asks about this account's pending and unknown money-moving
     * calls with their resolving calls (never resending one, never reading "no answer" as failed).
     * Run it from a cron job or a queue worker.
     *
     * @return ReconcileReport
     */
    public function reconcile(): array
    {
        $out = $this->ffi->new('char*');
        $result = $this->ffi->vngate_client_reconcile($this->handle, FFI::addr($out));
        return $this->take($result, $out);
    }

    /** Gives the library's lines of one call to the PSR-3 logger, and frees them. */
    private function forward(CData $lines, string $operation): void
    {
        if (FFI::isNull($lines)) {
            return;
        }
        try {
            $decoded = json_decode(FFI::string($lines), true);
        } finally {
            $this->ffi->vngate_string_free($lines);
        }
        foreach (is_array($decoded) ? $decoded : [] as $line) {
            $this->logger?->log((string)$line['level'], (string)$line['message'], ['provider' => static::provider(), 'operation' => $operation]);
        }
    }

    /**
     * Verifies a raw callback or webhook, the POST body or the GET query string, exactly as
     * received; with `$expected` (the request you stored) also matches it.
     *
     * @param array<string, mixed>|null $expected
     * @return array<string, mixed>
     */
    protected function verify(#[\SensitiveParameter] string $data, #[\SensitiveParameter] ?array $expected = null): array
    {
        $out = $this->ffi->new('char*');
        $stored = $expected === null ? null : self::encode($expected, 'expected');
        $result = $this->ffi->vngate_client_parse_callback_expected($this->handle, $data, strlen($data), $stored, FFI::addr($out));
        return $this->take($result, $out);
    }

    /** @return array<string, mixed> */
    private function take(int $result, CData $out): array
    {
        if ($result !== 0) {
            throw $this->error($result);
        }
        try {
            return json_decode(FFI::string($out), true, 512, JSON_THROW_ON_ERROR);
        } finally {
            $this->ffi->vngate_string_free($out);
        }
    }

    private function error(int $result): VngateException
    {
        return VngateException::fromResult(
            $result,
            (string)$this->ffi->vngate_last_error_message(),
            (string)$this->ffi->vngate_last_error_json(),
        );
    }

    /**
     * The JSON the library takes. Text that is not UTF-8 is refused here, naming the field,
     * as the library would (json_encode's own JsonException would carry the whole array in
     * its trace).
     *
     * @param array<string, mixed> $value
     */
    private static function encode(#[\SensitiveParameter] array $value, string $path): string
    {
        // An empty PHP array is `[]` in JSON; the library wants an object.
        if ($value === []) {
            return '{}';
        }
        $json = json_encode($value, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
        if ($json === false) {
            // json_encode refuses text that is not UTF-8 (keys too): find the field and name it.
            // Only on failure: a regex per field on every call cost more than the encoding.
            self::checkUtf8($value, $path);
            $field = $path === '' ? 'request' : $path;
            throw new InvalidInputException("invalid $field: " . json_last_error_msg(), 1, ['kind' => 'invalid_input', 'field' => $field, 'reason' => json_last_error_msg()]);
        }
        return $json;
    }

    /** @param array<mixed> $value */
    private static function checkUtf8(#[\SensitiveParameter] array $value, string $path): void
    {
        foreach ($value as $key => $item) {
            $field = $path === '' ? (string)$key : "$path.$key";
            if (is_string($key) && preg_match('//u', $key) !== 1) {
                $field = $path === '' ? 'request' : $path;
                throw new InvalidInputException("invalid $field: a key is not valid UTF-8", 1, ['kind' => 'invalid_input', 'field' => $field, 'reason' => 'a key is not valid UTF-8']);
            }
            if (is_string($item) && preg_match('//u', $item) !== 1) {
                throw new InvalidInputException("invalid $field: is not valid UTF-8", 1, ['kind' => 'invalid_input', 'field' => $field, 'reason' => 'is not valid UTF-8']);
            }
            if (is_array($item)) {
                self::checkUtf8($item, $field);
            }
        }
    }
}

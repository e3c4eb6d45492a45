<?php

declare(strict_types=1);

namespace Vngate;

use FFI;
use FFI\CData;
use Vngate\Exception\VngateException;

/**
 * One provider client over libvngate: built from a config array, immutable, freed when the
 * object is destroyed. Requests and results are arrays keyed by the vocabulary's names.
 */
abstract class Client
{
    private FFI $ffi;
    private ?CData $handle;

    /** The provider's name in libvngate. */
    abstract protected static function provider(): string;

    /** @param array<string, mixed> $config */
    public function __construct(array $config)
    {
        $this->ffi = Library::ffi();
        $out = $this->ffi->new('vngate_client*');
        $result = $this->ffi->vngate_client_new(static::provider(), self::encode($config), FFI::addr($out));
        if ($result !== 0) {
            throw $this->error($result);
        }
        $this->handle = $out;
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
    protected function call(string $operation, array $request = []): array
    {
        $out = $this->ffi->new('char*');
        $result = $this->ffi->vngate_client_call($this->handle, $operation, self::encode($request), FFI::addr($out));
        return $this->take($result, $out);
    }

    /**
     * Verifies a raw callback or webhook: the POST body, or the GET query string.
     *
     * @return array<string, mixed>
     */
    protected function verify(string $data): array
    {
        $out = $this->ffi->new('char*');
        $result = $this->ffi->vngate_client_parse_callback($this->handle, $data, strlen($data), FFI::addr($out));
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

    /** @param array<string, mixed> $value */
    private static function encode(array $value): string
    {
        // An empty PHP array is `[]` in JSON; the library wants an object.
        return $value === [] ? '{}' : json_encode($value, JSON_THROW_ON_ERROR | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
    }
}

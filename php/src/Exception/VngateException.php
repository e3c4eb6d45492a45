<?php

declare(strict_types=1);

namespace Vngate\Exception;

/**
 * Every vngate failure. `details` holds the error's fields as the C library reports them
 * (`kind`, `message`, `field`, `reference`, `next_step`, `http_status`, `excerpt`, …).
 */
class VngateException extends \RuntimeException
{
    /** @param array<string, mixed> $details */
    public function __construct(string $message, public readonly int $result, public readonly array $details = [])
    {
        parent::__construct($message, $result);
    }

    public function kind(): string
    {
        return (string)($this->details['kind'] ?? '');
    }

    /**
     * Builds the exception class that matches a vngate_result code. The numbers are the C
     * header's own (read through FFI), never a copy of them.
     */
    public static function fromResult(int $result, string $message, string $json): self
    {
        $details = $json === '' ? [] : (json_decode($json, true) ?: []);
        $ffi = \Vngate\Library::ffi();
        return match ($result) {
            $ffi->VNGATE_RESULT_INVALID_INPUT, $ffi->VNGATE_RESULT_NULL_ARGUMENT, $ffi->VNGATE_RESULT_INVALID_UTF8
                => new InvalidInputException($message, $result, $details),
            $ffi->VNGATE_RESULT_TRANSPORT => new TransportException($message, $result, $details),
            $ffi->VNGATE_RESULT_OUTCOME_UNKNOWN => new OutcomeUnknownException($message, $result, $details),
            $ffi->VNGATE_RESULT_BAD_REPLY => new BadReplyException($message, $result, $details),
            $ffi->VNGATE_RESULT_SIGNATURE_MISMATCH => new SignatureMismatchException($message, $result, $details),
            $ffi->VNGATE_RESULT_CALLBACK_MISMATCH => new CallbackMismatchException($message, $result, $details),
            $ffi->VNGATE_RESULT_AUTH => new AuthException($message, $result, $details),
            default => new self($message, $result, $details),
        };
    }
}

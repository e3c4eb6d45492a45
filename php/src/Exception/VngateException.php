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

    /** Builds the exception class that matches a vngate_result code. */
    public static function fromResult(int $result, string $message, string $json): self
    {
        $details = $json === '' ? [] : (json_decode($json, true) ?: []);
        return match ($result) {
            1, 100, 101 => new InvalidInputException($message, $result, $details),
            2 => new TransportException($message, $result, $details),
            3 => new OutcomeUnknownException($message, $result, $details),
            4 => new BadReplyException($message, $result, $details),
            5 => new SignatureMismatchException($message, $result, $details),
            6 => new CallbackMismatchException($message, $result, $details),
            7 => new AuthException($message, $result, $details),
            default => new self($message, $result, $details),
        };
    }
}

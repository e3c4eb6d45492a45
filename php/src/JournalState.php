<?php

// Generated from schema/vngate.json by `VNGATE_WRITE_GENERATED=1 cargo test -p vngate-tests --test generated`: do not edit.

declare(strict_types=1);

namespace Vngate;

/**
 * Where a journaled money-moving call stands. The values of a result's `status`.
 */
final class JournalState
{
    public const INTENT = 'intent';
    public const SENT = 'sent';
    public const PENDING = 'pending';
    public const UNKNOWN = 'unknown';
    public const NOT_FOUND = 'not_found';
    public const SUCCEEDED = 'succeeded';
    public const FAILED = 'failed';
    public const NOT_SENT = 'not_sent';
    public const ATTENTION = 'attention';

    private function __construct()
    {
    }
}

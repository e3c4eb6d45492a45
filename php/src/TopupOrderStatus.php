<?php

// Generated from schema/vngate.json by `VNGATE_WRITE_GENERATED=1 cargo test -p vngate-tests --test generated`: do not edit.

declare(strict_types=1);

namespace Vngate;

/**
 * What an answer about a top-up order means for the money. The values of a result's `status`.
 */
final class TopupOrderStatus
{
    public const PENDING = 'pending';
    public const COMPLETED = 'completed';
    public const CANCELED = 'canceled';
    public const FAILED = 'failed';
    public const UNRESOLVED = 'unresolved';

    private function __construct()
    {
    }
}

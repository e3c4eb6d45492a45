<?php

// Generated from schema/vngate.json by `VNGATE_WRITE_GENERATED=1 cargo test -p vngate-tests --test generated`: do not edit.

declare(strict_types=1);

namespace Vngate;

/**
 * What an answer about a card order means for the money. The values of a result's `status`.
 */
final class OrderStatus
{
    public const DELIVERED = 'delivered';
    public const PAID_PENDING = 'paid_pending';
    public const FAILED = 'failed';
    public const DUPLICATE = 'duplicate';
    public const UNKNOWN = 'unknown';
    public const UNRESOLVED = 'unresolved';

    private function __construct()
    {
    }
}

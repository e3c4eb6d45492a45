<?php

// Generated from schema/vngate.json by `VNGATE_WRITE_GENERATED=1 cargo test -p vngate-tests --test generated`: do not edit.

declare(strict_types=1);

namespace Vngate;

/**
 * What AppotaPay's `errorCode` on a top-up or a bank transfer means for the money. The values of a
 * result's `status`.
 */
final class TransactionStatus
{
    public const SUCCESS = 'success';
    public const UNKNOWN = 'unknown';
    public const DUPLICATE = 'duplicate';
    public const NOT_FOUND = 'not_found';
    public const FAILED = 'failed';

    private function __construct()
    {
    }
}

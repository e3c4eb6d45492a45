<?php

// Generated from schema/vngate.json by `VNGATE_WRITE_GENERATED=1 cargo test -p vngate-tests --test generated`: do not edit.

declare(strict_types=1);

namespace Vngate;

/**
 * An eSMS payout's state. The values of a result's `status`; other codes are kept as sent.
 */
final class DisbursementStatus
{
    public const FAILED = -1;
    public const INITIAL = 0;
    public const WAITING = 1;
    public const PROCESSING = 2;
    public const SUCCESS = 3;

    private function __construct()
    {
    }
}

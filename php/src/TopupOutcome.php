<?php

// Generated from schema/vngate.json by `VNGATE_WRITE_GENERATED=1 cargo test -p vngate-tests --test generated`: do not edit.

declare(strict_types=1);

namespace Vngate;

/**
 * What a reply code means for the money. The values of a result's `status`.
 */
final class TopupOutcome
{
    public const SUCCESS = 'success';
    public const UNKNOWN = 'unknown';
    public const FAILED_REFUNDABLE = 'failed_refundable';
    public const DUPLICATE_CLIENT_ID = 'duplicate_client_id';
    public const FAILED = 'failed';
    public const NOT_FOUND = 'not_found';

    private function __construct()
    {
    }
}

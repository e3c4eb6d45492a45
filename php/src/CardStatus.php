<?php

// Generated from schema/vngate.json by `VNGATE_WRITE_GENERATED=1 cargo test -p vngate-tests --test generated`: do not edit.

declare(strict_types=1);

namespace Vngate;

/**
 * A card's status (chargingws, OpenCard). The values of a result's `status`; other codes are kept
 * as sent.
 */
final class CardStatus
{
    public const SUCCESS = 1;
    public const WRONG_VALUE = 2;
    public const CARD_ERROR = 3;
    public const MAINTENANCE = 4;
    public const PENDING = 99;
    public const REJECTED = 100;

    private function __construct()
    {
    }
}

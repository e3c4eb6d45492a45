<?php

declare(strict_types=1);

namespace Vngate;

/**
 * Mobile top-up (nạp tiền điện thoại), kenhthanhtoan. Config keys: username, private_key, digest (sha256|sha1), base_url, …
 *
 * @psalm-import-type TopupRequest from Types
 * @psalm-import-type TopupResult from Types
 * @psalm-import-type RecheckRequest from Types
 * @psalm-import-type TopupBalance from Types
 */
final class Topup extends Client
{
    use TopupOperations;

    protected static function provider(): string
    {
        return 'topup';
    }
}

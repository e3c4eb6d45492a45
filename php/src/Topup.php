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
    protected static function provider(): string
    {
        return 'topup';
    }

    /**
     * @param TopupRequest $request
     * @return TopupResult
     */
    public function topup(array $request): array
    {
        return $this->call('topup', $request);
    }

    /**
     * @param RecheckRequest $request
     * @return TopupResult
     */
    public function recheck(array $request): array
    {
        return $this->call('recheck', $request);
    }

    /** @return TopupBalance */
    public function balance(): array
    {
        return $this->call('balance');
    }
}

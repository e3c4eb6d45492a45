<?php

declare(strict_types=1);

namespace Vngate;

/** Mobile top-up (nạp tiền điện thoại), kenhthanhtoan. Config keys: username, private_key, digest (sha256|sha1), base_url, … */
final class Topup extends Client
{
    protected static function provider(): string
    {
        return 'topup';
    }

    /** @param array{phone: string, amount: int, client_trans_id?: string, gateway?: string} $request */
    public function topup(array $request): array
    {
        return $this->call('topup', $request);
    }

    /** @param array{id_transaction?: string, client_trans_id?: string} $request */
    public function recheck(array $request): array
    {
        return $this->call('recheck', $request);
    }

    public function balance(): array
    {
        return $this->call('balance');
    }
}

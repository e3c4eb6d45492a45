<?php

declare(strict_types=1);

namespace Vngate;

/**
 * Buying card codes (mua mã thẻ). Config keys: partner_code, api_key, secret_key,
 * private_key_pem, padding (oaep_sha1|pkcs1v15), bearer, jwt_lifetime_secs, base_url, …
 *
 * @psalm-import-type BuyRequest from Types
 * @psalm-import-type BuyResult from Types
 * @psalm-import-type Products from Types
 * @psalm-import-type Balance from Types
 */
final class AppotaPay extends Client
{
    protected static function provider(): string
    {
        return 'appotapay';
    }

    /**
     * Buys cards. Each card's `expiry` is rewritten to `Y-m-d` (AppotaPay sends `29-09-2030` or
     * `2030-09-29`; text in neither form is kept as sent); amounts are whole VND.
     *
     * @param BuyRequest $purchase
     * @return BuyResult
     */
    public function buyCards(array $purchase): array
    {
        return $this->call('buy_cards', $purchase);
    }

    /** @return BuyResult */
    public function transaction(string $partner_ref_id): array
    {
        return $this->call('transaction', ['partner_ref_id' => $partner_ref_id]);
    }

    /** @return Products */
    public function products(): array
    {
        return $this->call('products');
    }

    /** @return Balance */
    public function balance(): array
    {
        return $this->call('balance');
    }

    /** Decrypts one card code with the configured key: the PIN, as Python's decrypt_code returns it. */
    public function decryptCode(string $serial, #[\SensitiveParameter] string $encrypted_code): string
    {
        return (string)$this->call('decrypt_code', ['serial' => $serial, 'encrypted_code' => $encrypted_code])['code'];
    }
}

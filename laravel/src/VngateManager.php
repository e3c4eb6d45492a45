<?php

declare(strict_types=1);

namespace Vngate\Laravel;

use Illuminate\Contracts\Events\Dispatcher;
use Psr\Log\LoggerInterface;
use Vngate\Client;

/**
 * The accounts of config/vngate.php, each built on first use and kept for the request (or
 * the worker, under Octane or a queue worker). What the Vngate facade calls: `account($name)`,
 * and any operation of the default account (`Vngate::charge($card)`).
 *
 * @mixin Account
 */
final class VngateManager
{
    /** The provider names of config/vngate.php, and their PHP clients. */
    private const CLIENTS = [
        'chargingws' => \Vngate\ChargingWs::class,
        'opencard' => \Vngate\OpenCard::class,
        'appotapay' => \Vngate\AppotaPay::class,
        'esms' => \Vngate\Esms::class,
        'topup' => \Vngate\Topup::class,
    ];

    /** @var array<string, Account> */
    private array $accounts = [];

    /** @var array<string, callable(array<string, mixed>): ?string> */
    private array $callbackReferences = [];

    /**
     * @param array<string, mixed> $config config('vngate')
     * @param array<string, array<string, mixed>> $connections config('database.connections')
     */
    public function __construct(
        #[\SensitiveParameter] private readonly array $config,
        #[\SensitiveParameter] private readonly array $connections,
        private readonly Dispatcher $events,
        private readonly ?LoggerInterface $logger,
    ) {
    }

    /** What var_dump and print_r show: account names, no credential. */
    public function __debugInfo(): array
    {
        return ['accounts' => $this->names()];
    }

    /** @return list<string> */
    public function names(): array
    {
        return array_keys((array)($this->config['accounts'] ?? []));
    }

    public function account(?string $name = null): Account
    {
        $name ??= (string)($this->config['default'] ?? '');
        if (isset($this->accounts[$name])) {
            return $this->accounts[$name];
        }
        $settings = $this->config['accounts'][$name] ?? null;
        if (!is_array($settings)) {
            throw new \InvalidArgumentException("vngate: no account '$name' in config/vngate.php (accounts: " . implode(', ', $this->names()) . ')');
        }
        $provider = (string)($settings['provider'] ?? '');
        $class = self::CLIENTS[$provider] ?? throw new \InvalidArgumentException(
            "vngate: account '$name' has provider '$provider'; it must be one of " . implode(', ', array_keys(self::CLIENTS)));
        $journal = ($settings['journal'] ?? true) === false ? null : $this->journal();
        $clientConfig = self::clientConfig($name, $settings);
        if ($journal !== null) {
            $clientConfig['journal'] = $journal;
        }
        /** @var Client $client */
        $client = new $class($clientConfig, $this->logger);
        $account = new Account($name, $provider, $client, $journal !== null, $this->events);
        if (isset($this->callbackReferences[$name])) {
            $account->callbackReferenceUsing($this->callbackReferences[$name]);
        }
        return $this->accounts[$name] = $account;
    }

    /** The first account of a provider, for the container's client bindings. */
    public function accountOf(string $provider): Account
    {
        foreach ((array)($this->config['accounts'] ?? []) as $name => $settings) {
            if (is_array($settings) && ($settings['provider'] ?? null) === $provider) {
                return $this->account((string)$name);
            }
        }
        throw new \InvalidArgumentException("vngate: no $provider account in config/vngate.php");
    }

    /**
     * How the callback route finds the reference of an OpenCard webhook (which names only
     * OpenCard's own request_id): call it from a service provider's boot().
     *
     * @param callable(array<string, mixed>): ?string $reference
     */
    public function callbackReferenceUsing(string $account, callable $reference): void
    {
        $this->callbackReferences[$account] = $reference;
        if (isset($this->accounts[$account])) {
            $this->accounts[$account]->callbackReferenceUsing($reference);
        }
    }

    /** @param list<mixed> $arguments */
    public function __call(string $method, #[\SensitiveParameter] array $arguments): mixed
    {
        return $this->account()->$method(...$arguments);
    }

    /**
     * An account's client config: the keys of config/vngate.php but `provider` and `journal`,
     * each `<field>_file` read into `<field>` (`ca_file` is a path the library reads itself).
     *
     * @param array<string, mixed> $settings
     * @return array<string, mixed>
     */
    private static function clientConfig(string $name, #[\SensitiveParameter] array $settings): array
    {
        unset($settings['provider'], $settings['journal']);
        $config = [];
        foreach ($settings as $key => $value) {
            if ($value === null || $value === '') {
                continue; // an .env variable that is not set
            }
            $field = $key !== 'ca_file' && str_ends_with((string)$key, '_file') ? substr((string)$key, 0, -5) : null;
            if ($field === null) {
                $config[$key] = $value;
                continue;
            }
            if (($settings[$field] ?? null) !== null && $settings[$field] !== '') {
                throw new \InvalidArgumentException("vngate: account '$name' gives $field twice, as $field and as $key: keep one");
            }
            $text = @file_get_contents((string)$value);
            if ($text === false) {
                throw new \InvalidArgumentException("vngate: account '$name': cannot read $key ($value)");
            }
            // A key file ends with a newline that is not part of the key (a PEM keeps its own).
            $config[$field] = str_contains($text, '-----BEGIN') ? $text : rtrim($text, "\r\n");
        }
        return $config;
    }

    /**
     * The client config's `journal`: where it is (the app's connection, or `url`), its key,
     * its options; null when config/vngate.php turns it off.
     *
     * @return array<string, mixed>|null
     */
    private function journal(): ?array
    {
        $settings = (array)($this->config['journal'] ?? []);
        $url = $settings['url'] ?? null;
        $connection = $settings['connection'] ?? null;
        if (($url === null || $url === '') && ($connection === null || $connection === '')) {
            return null;
        }
        $path = $url !== null && $url !== ''
            ? (string)$url
            : JournalPath::of((string)$connection, $this->connections[$connection] ?? null);
        $journal = ['path' => $path] + (array)($settings['options'] ?? []);
        if (($settings['key_file'] ?? null) !== null && $settings['key_file'] !== '') {
            $journal['key_file'] = (string)$settings['key_file'];
        } elseif (($settings['key'] ?? null) !== null && $settings['key'] !== '') {
            // The library reads its key from the environment or a file. A key from .env (or
            // a cached config) is put where it looks, unless the environment already has it.
            if (getenv('VNGATE_JOURNAL_KEY') !== $settings['key']) {
                putenv('VNGATE_JOURNAL_KEY=' . $settings['key']);
            }
            $journal['key_env'] = 'VNGATE_JOURNAL_KEY';
        } else {
            throw new \InvalidArgumentException('vngate: the journal needs its key: set VNGATE_JOURNAL_KEY (openssl rand -hex 32) or VNGATE_JOURNAL_KEY_FILE');
        }
        return $journal;
    }
}

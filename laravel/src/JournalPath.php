<?php

declare(strict_types=1);

namespace Vngate\Laravel;

/**
 * The journal's path for one of the app's database connections (config/database.php): the
 * same database, reached by the library's own connection (it runs in native code, not over
 * PDO). SQLite: the file. MySQL / MariaDB: a mysql:// URL, its TLS from the PDO options.
 * PostgreSQL: a postgresql:// URL with the connection's sslmode.
 */
final class JournalPath
{
    /** @param array<string, mixed>|null $db */
    public static function of(string $name, #[\SensitiveParameter] ?array $db): string
    {
        if ($db === null) {
            throw new \InvalidArgumentException("vngate: the journal's connection '$name' is not in config/database.php");
        }
        $driver = (string)($db['driver'] ?? '');
        if (($db['url'] ?? null) !== null && $db['url'] !== '') {
            return self::fromUrl($name, (string)$db['url']);
        }
        $host = is_array($db['host'] ?? null) ? (string)reset($db['host']) : (string)($db['host'] ?? '127.0.0.1');
        $auth = rawurlencode((string)($db['username'] ?? '')) . ':' . rawurlencode((string)($db['password'] ?? ''));
        $database = rawurlencode((string)($db['database'] ?? ''));
        switch ($driver) {
            case 'sqlite':
                $file = (string)($db['database'] ?? '');
                if ($file === '' || $file === ':memory:') {
                    throw new \InvalidArgumentException("vngate: the journal's connection '$name' is an in-memory SQLite: it needs a file");
                }
                return $file;
            case 'mysql':
            case 'mariadb':
                $query = [];
                if (($db['unix_socket'] ?? '') !== '') {
                    $query['socket'] = (string)$db['unix_socket'];
                }
                $ca = $db['options'][\PDO::MYSQL_ATTR_SSL_CA] ?? null;
                if (is_string($ca) && $ca !== '') {
                    $query['ssl-mode'] = 'VERIFY_CA';
                    $query['ssl-ca'] = $ca;
                }
                return "mysql://$auth@$host:" . (int)($db['port'] ?? 3306) . "/$database" . self::query($query);
            case 'pgsql':
                $query = ['sslmode' => (string)($db['sslmode'] ?? 'prefer')];
                if (($db['sslrootcert'] ?? '') !== '') {
                    $query['sslrootcert'] = (string)$db['sslrootcert'];
                }
                return "postgresql://$auth@$host:" . (int)($db['port'] ?? 5432) . "/$database" . self::query($query);
            default:
                throw new \InvalidArgumentException("vngate: the journal keeps to sqlite, mysql (MariaDB) and pgsql; connection '$name' is $driver (set vngate.journal.url)");
        }
    }

    /** A DATABASE_URL-style `url` (Laravel's names: mysql:, mariadb:, pgsql:, postgres:, sqlite:). */
    private static function fromUrl(string $name, #[\SensitiveParameter] string $url): string
    {
        [$scheme, $rest] = array_pad(explode('://', $url, 2), 2, '');
        return match ($scheme) {
            'mysql', 'mariadb' => "mysql://$rest",
            'pgsql', 'postgres', 'postgresql' => "postgresql://$rest",
            'sqlite' => '/' . ltrim($rest, '/'),
            default => throw new \InvalidArgumentException("vngate: the url of connection '$name' is not mysql, pgsql or sqlite"),
        };
    }

    /** @param array<string, string> $query */
    private static function query(array $query): string
    {
        return $query === [] ? '' : '?' . http_build_query($query, '', '&', PHP_QUERY_RFC3986);
    }
}

<?php

declare(strict_types=1);

namespace Vngate;

use FFI;
use FFI\Exception as FFIException;

/**
 * Loads libvngate once per process. Tries, in order:
 *  1. FFI::scope('vngate'): the library preloaded by preload.php (the php-fpm way);
 *  2. FFI::cdef() with the header and the library found from VNGATE_LIB, then this package's
 *     lib/PLATFORM/ directory (the release package carries one per platform: x86_64 and
 *     aarch64, glibc and musl), then lib/, then a source checkout's target/{release,debug},
 *     then the system loader.
 */
final class Library
{
    private static ?FFI $ffi = null;

    public static function ffi(): FFI
    {
        return self::$ffi ??= self::checked(self::load());
    }

    /**
     * Refuses a library whose version is not the one the header was made for: a mismatched
     * pair would read each other's structures wrongly.
     */
    private static function checked(FFI $ffi): FFI
    {
        $library = (string)$ffi->vngate_version();
        try {
            $header = self::headerPath();
        } catch (FFIException) {
            return $ffi; // preloaded with a scope header we cannot see: ffi.preload checked it
        }
        if (preg_match('/vngate_php\.h for libvngate (\S+) \*\//', (string)file_get_contents($header), $m) === 1
            && $m[1] !== $library) {
            throw new FFIException("vngate: the library is version $library but $header was made for {$m[1]}: "
                . 'install the two from the same release (set VNGATE_LIB and VNGATE_PHP_HEADER to a matching pair)');
        }
        return $ffi;
    }

    /** The header PHP's FFI reads: no preprocessor lines. */
    public static function headerPath(): string
    {
        $candidates = array_filter([
            getenv('VNGATE_PHP_HEADER') ?: null,
            __DIR__ . '/../include/vngate_php.h',
            __DIR__ . '/../../include/vngate_php.h',
        ]);
        foreach ($candidates as $path) {
            if (is_file($path)) {
                return $path;
            }
        }
        throw new FFIException('vngate: cannot find vngate_php.h; set VNGATE_PHP_HEADER to its path (tried: '
            . implode(', ', $candidates) . ')');
    }

    /** The shared library to open. */
    public static function libraryPath(): string
    {
        $env = getenv('VNGATE_LIB');
        if ($env !== false && $env !== '') {
            if (!is_file($env)) {
                throw new FFIException("vngate: VNGATE_LIB points to $env, which does not exist");
            }
            return $env;
        }
        $platform = self::platform();
        $lib = __DIR__ . '/../lib';
        foreach (["$lib/$platform", $lib, __DIR__ . '/../../target/release', __DIR__ . '/../../target/debug'] as $dir) {
            if (is_file("$dir/libvngate.so")) {
                return realpath("$dir/libvngate.so");
            }
        }
        // A release package carries its platforms' libraries in lib/PLATFORM/: this one is not
        // among them.
        $carried = array_map('basename', glob("$lib/*-linux-*", GLOB_ONLYDIR) ?: []);
        if ($carried !== []) {
            throw new FFIException("vngate: this package has no library for this platform ($platform); it carries "
                . implode(', ', $carried) . '. Set VNGATE_LIB to a libvngate.so built for it (docs/platforms.md)');
        }
        return 'libvngate.so'; // the system loader's search path (ldconfig, LD_LIBRARY_PATH)
    }

    /**
     * This PHP's platform as the package's lib/ names it: the machine (x86_64, aarch64) and
     * the C library PHP itself runs on (musl when its process maps musl's loader, as on
     * Alpine; glibc otherwise).
     */
    public static function platform(): string
    {
        $machine = php_uname('m');
        $machine = $machine === 'arm64' ? 'aarch64' : $machine;
        $maps = @file_get_contents('/proc/self/maps');
        $libc = is_string($maps) && str_contains($maps, '/ld-musl-') ? 'musl' : 'gnu';
        return "$machine-linux-$libc";
    }

    private static function load(): FFI
    {
        $preloaded = self::preloaded();
        if ($preloaded !== null) {
            return $preloaded;
        }
        if (!extension_loaded('ffi')) {
            throw new FFIException('vngate: PHP\'s FFI extension is not loaded; install or enable ext-ffi');
        }
        $enabled = strtolower((string)ini_get('ffi.enable'));
        if (!in_array($enabled, ['1', 'on', 'true', 'yes'], true) && PHP_SAPI !== 'cli') {
            // FFI::cdef() is refused here, whatever the library: say which setting to change.
            $ini = php_ini_loaded_file() ?: 'php.ini';
            throw new FFIException('vngate: this PHP (' . PHP_SAPI . ") allows FFI only for preloaded code "
                . "(ffi.enable=$enabled). Either preload vngate (run vendor/bin/vngate-setup and add the lines it prints to $ini), "
                . 'set php_admin_value[ffi.enable] = 1 in the php-fpm pool, or start `php -S` with -d ffi.enable=1.');
        }
        $header = file_get_contents(self::headerPath());
        $library = self::libraryPath();
        try {
            return FFI::cdef($header, $library);
        } catch (FFIException $e) {
            // Required from the source repository (Composer's vcs or path repository), the
            // package has PHP and headers but no compiled library: say where one comes from.
            $where = is_dir(__DIR__ . '/../../core')
                ? 'This is vngate\'s source repository, which holds no compiled library: build it with '
                    . '`cargo build --release -p vngate-ffi` in ' . realpath(__DIR__ . '/../..') . ' (needs Rust), '
                    . 'or require the vngate-php-VERSION package of a release instead (its lib/ holds the library)'
                : 'The vngate-php package carries it in lib/; reinstall it';
            throw new FFIException("vngate: cannot load $library: {$e->getMessage()}. $where, or set VNGATE_LIB "
                . 'to a libvngate.so. Under php-fpm, preload it (see preload.php) or set ffi.enable=1.', 0, $e);
        }
    }

    private static function preloaded(): ?FFI
    {
        try {
            return FFI::scope('vngate');
        } catch (FFIException) {
            return null;
        }
    }
}

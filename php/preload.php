<?php

/*
 * opcache.preload script for php-fpm: compiles the package's classes once, so that requests
 * use the library through FFI::scope('vngate') under ffi.enable=preload (the default).
 *
 * The library itself is preloaded by ffi.preload: run `vendor/bin/vngate-setup`, which writes
 * the scope header and prints the ini lines (ffi.preload, opcache.preload, preload_user).
 * Without ffi.preload and without opcache.preload_user (a master that does not start as
 * root), this script loads the library itself, as before.
 */

declare(strict_types=1);

require_once __DIR__ . '/src/Library.php';

if (ini_get('ffi.preload') === '' || ini_get('ffi.preload') === false) {
    if ((string)ini_get('opcache.preload_user') !== '') {
        // FFI::load() is refused here: say what to do instead of dying at start-up.
        throw new RuntimeException('vngate: with opcache.preload_user, preload the library with ffi.preload: run vendor/bin/vngate-setup and add the lines it prints to php.ini');
    }
    $header = "#define FFI_SCOPE \"vngate\"\n#define FFI_LIB \"" . addslashes(Vngate\Library::libraryPath()) . "\"\n"
        . file_get_contents(Vngate\Library::headerPath());
    $file = sys_get_temp_dir() . '/vngate_preload_' . md5($header) . '.h';
    if (!is_file($file)) {
        file_put_contents($file, $header);
    }
    FFI::load($file);
}

// Every class but the ones this script already loaded (Library.php): compiling a declared
// class again made PHP warn "Can't preload already declared class" at every start.
$loaded = array_flip(array_map('realpath', get_included_files()));
foreach (glob(__DIR__ . '/src/{,Exception/}*.php', GLOB_BRACE) as $class) {
    if (!isset($loaded[realpath($class)])) {
        opcache_compile_file($class);
    }
}

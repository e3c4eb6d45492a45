<?php

/*
 * opcache.preload script for php-fpm: loads libvngate once, in the scope "vngate", so that
 * requests use it through FFI::scope() with ffi.enable=preload (the default).
 *
 *   opcache.preload=/path/to/vendor/vngate/vngate/preload.php
 *   opcache.preload_user=www-data
 *   ; and VNGATE_LIB in the environment if libvngate.so is not in the package or the system path
 */

declare(strict_types=1);

require_once __DIR__ . '/src/Library.php';

$header = "#define FFI_SCOPE \"vngate\"\n#define FFI_LIB \"" . addslashes(Vngate\Library::libraryPath()) . "\"\n"
    . file_get_contents(Vngate\Library::headerPath());
$file = sys_get_temp_dir() . '/vngate_preload_' . md5($header) . '.h';
if (!is_file($file)) {
    file_put_contents($file, $header);
}
FFI::load($file);

foreach (glob(__DIR__ . '/src/{,Exception/}*.php', GLOB_BRACE) as $class) {
    opcache_compile_file($class);
}

<?php

// Laravel itself comes from Debian's php-laravel-framework (/usr/share/php), not from
// vendor/: Composer's autoloader loads this file (composer.json's autoload.files).
require_once 'Illuminate/autoload.php';

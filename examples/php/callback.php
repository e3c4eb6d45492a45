<?php

/*
 * A shop's callback page, as php-fpm serves it (tests/php/fpm.py runs it under both php-fpm
 * recipes): verifies the chargingws callback (the raw POST
 * body or GET query string) against the stored card and answers the provider. The stored card
 * is the file $VNGATE_FPM_STORE (a shop's database row).
 */

declare(strict_types=1);

if (!class_exists(Vngate\ChargingWs::class, false)) {
    // Without opcache.preload the classes are loaded here.
    spl_autoload_register(function (string $class): void {
        $path = __DIR__ . '/../../php/src/' . str_replace(['Vngate\\', '\\'], ['', '/'], $class) . '.php';
        if (is_file($path)) {
            require $path;
        }
    });
}

header('Content-Type: application/json');
$stored = json_decode((string)file_get_contents((string)getenv('VNGATE_FPM_STORE')), true);
$data = $_SERVER['REQUEST_METHOD'] === 'POST' ? (string)file_get_contents('php://input') : (string)($_SERVER['QUERY_STRING'] ?? '');
try {
    $client = new Vngate\ChargingWs(['base_url' => getenv('VNGATE_SIM_URL'), 'partner_id' => '10001', 'partner_key' => 'sim-s1-partner-key']);
    $callback = $client->parseCallback($data, $stored);
    file_put_contents((string)getenv('VNGATE_FPM_STORE') . '.credited', json_encode(['status' => $callback['status'], 'amount' => $callback['amount'], 'ffi' => ini_get('ffi.enable')]));
    echo json_encode(['success' => true]);
} catch (Vngate\Exception\VngateException $e) {
    http_response_code(400);
    echo json_encode(['success' => false, 'kind' => $e->kind()]);
}

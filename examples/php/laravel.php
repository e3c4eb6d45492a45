<?php

/*
 * The front controller that routes to CardController, as Laravel's router would: POST /charge
 * and /charge/callback. Served by php-fpm in tests/php/fpm.py; the store is $VNGATE_FPM_STORE.
 */

declare(strict_types=1);

if (!class_exists(Vngate\ChargingWs::class, false)) {
    spl_autoload_register(function (string $class): void {
        $path = __DIR__ . '/../../php/src/' . str_replace(['Vngate\\', '\\'], ['', '/'], $class) . '.php';
        if (is_file($path)) {
            require $path;
        }
    });
}
require_once __DIR__ . '/CardController.php';

use App\Http\Controllers\CardController;
use App\Http\Controllers\CardStore;

$controller = new CardController(
    new Vngate\ChargingWs(['base_url' => getenv('VNGATE_SIM_URL'), 'partner_id' => '10001', 'partner_key' => 'sim-s1-partner-key']),
    new CardStore((string)getenv('VNGATE_FPM_STORE') . '.laravel'),
);
$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH);
$post = $_SERVER['REQUEST_METHOD'] === 'POST';
$body = (string)file_get_contents('php://input');
if ($path === '/charge' && $post) {
    [$status, $reply] = $controller->charge(json_decode($body, true) ?: []);
} elseif ($path === '/charge/callback') {
    $data = $post ? $body : (string)($_SERVER['QUERY_STRING'] ?? '');
    $fields = $post ? (json_decode($body, true) ?: []) : $_GET;
    [$status, $reply] = $controller->callback($data, (string)($fields['request_id'] ?? ''));
} else {
    [$status, $reply] = [404, ['error' => 'no route']];
}
http_response_code($status);
header('Content-Type: application/json');
echo json_encode($reply);

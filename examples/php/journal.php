<?php

/*
 * A journaled shop page under php-fpm: every worker opens the same SQLite journal, so a card is
 * charged once whichever worker gets the request, and credited once whichever worker (or the
 * callback page, or a cron reconcile) first sees it final. POST a card; the answer says whether
 * this request is the one that credits. Served by php-fpm in tests/php/fpm.py.
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

use Vngate\Exception\OutcomeUnknownException;

$client = new Vngate\ChargingWs([
    'base_url' => getenv('VNGATE_SIM_URL'),
    'partner_id' => '10001',
    'partner_key' => 'sim-s1-partner-key',
    // One file for every worker of the host: PostgreSQL (`postgresql://…`) for several hosts.
    'journal' => ['path' => getenv('VNGATE_JOURNAL_PATH'), 'key_file' => getenv('VNGATE_JOURNAL_KEY_FILE')],
]);
$card = json_decode((string)file_get_contents('php://input'), true) ?: [];
try {
    // Recorded before it is sent; a request_id already journaled is answered by check instead.
    $client->charge($card);
} catch (OutcomeUnknownException $e) {
    // Another worker is sending this very card right now, or nobody can say yet: the journal
    // resolves it (check, the callback, reconcile). Never charge it again.
}
$settlement = $client->settle((string)($card['request_id'] ?? ''));
if ($settlement['first'] && $settlement['state'] === Vngate\JournalState::SUCCEEDED) {
    // Credit the customer $settlement['amount'] here (what the answer that settled the card
    // says: a card worth less than declared settles for less): exactly one request, in any
    // worker, gets here per card.
}
header('Content-Type: application/json');
echo json_encode(['first' => $settlement['first'], 'state' => $settlement['state'], 'pid' => getmypid()]);

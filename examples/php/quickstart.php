<?php
require 'vendor/autoload.php';           // composer require vngate/vngate

use Vngate\ChargingWs;
use Vngate\Exception\OutcomeUnknownException;

$client = new ChargingWs([
    'base_url' => getenv('VNGATE_BASE_URL') ?: 'https://thesieure.com',
    'partner_id' => getenv('VNGATE_PARTNER_ID') ?: '1',
    'partner_key' => getenv('VNGATE_PARTNER_KEY') ?: 'KEY',
]);
$card = ['telco' => 'VIETTEL', 'code' => '312821445892981', 'serial' => '10004783347874',
         'amount' => 50000, 'request_id' => ChargingWs::newRequestId()];   // store it first
try {
    $result = $client->charge($card);    // ['status' => 99, 'message' => 'PENDING', …]
    echo "status {$result['status']} {$result['message']}\n";
} catch (OutcomeUnknownException $e) {
    // Do not resend. $e->reference() is your request_id; $e->nextStep() says: call check.
    echo "outcome unknown: {$e->nextStep()}\n";
}

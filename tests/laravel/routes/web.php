<?php

use Illuminate\Http\Request;
use Illuminate\Support\Facades\Route;
use Vngate\Exception\InvalidInputException;
use Vngate\Exception\OutcomeUnknownException;
use Vngate\Laravel\Facades\Vngate;

// A card from the customer: journaled, sent once; its event credits it (AppServiceProvider).
Route::post('/charge', function (Request $request) {
    $card = $request->json()->all() + ['request_id' => \Vngate\Client::newRequestId()];
    try {
        $result = Vngate::charge($card);
        return response()->json(['request_id' => $card['request_id'], 'status' => $result['status']]);
    } catch (OutcomeUnknownException $e) {
        // Never charge it again: the callback or vngate:reconcile settles it.
        return response()->json(['request_id' => $e->reference(), 'next_step' => $e->nextStep()], 202);
    } catch (InvalidInputException $e) {
        return response()->json(['error' => 'invalid ' . $e->field()], 422);
    }
});

// A payout, through the alias package discovery registers (\Vngate, the facade).
Route::post('/payout', function (Request $request) {
    $result = \Vngate::account('payouts')->disburse($request->json()->all());
    return response()->json(['order_id' => $result['order_id'], 'status' => $result['status']]);
});

Route::vngateCallback('cards');
Route::vngateCallback('payouts');

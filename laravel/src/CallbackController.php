<?php

declare(strict_types=1);

namespace Vngate\Laravel;

use Illuminate\Http\Request;
use Illuminate\Http\Response;
use Vngate\Exception\VngateException;

/**
 * The route `Route::vngateCallback($account)` registers: the provider's callback, taken as
 * received (the raw POST body, or the GET query string), verified and settled by the account
 * (Account::takeCallback), which dispatches the event once. A callback that is not genuine
 * gets 400 and changes nothing.
 */
final class CallbackController
{
    public function __invoke(Request $request, VngateManager $vngate): Response
    {
        $name = (string)$request->route()?->getAction('vngate_account');
        $data = $request->isMethod('POST') ? (string)$request->getContent() : (string)$request->server('QUERY_STRING', '');
        try {
            $taken = $vngate->account($name)->takeCallback($data);
        } catch (VngateException $e) {
            return new Response((string)json_encode(['success' => false, 'kind' => $e->kind()]), 400, ['Content-Type' => 'application/json']);
        }
        return new Response($taken['reply'], 200, ['Content-Type' => 'application/json']);
    }
}

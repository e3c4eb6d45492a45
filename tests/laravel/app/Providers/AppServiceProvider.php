<?php

namespace App\Providers;

use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Event;
use Illuminate\Support\ServiceProvider;
use Vngate\Laravel\Events\CardCharged;
use Vngate\Laravel\Events\CardFailed;
use Vngate\Laravel\Events\OutcomeUnknown;
use Vngate\Laravel\Events\PayoutSettled;
use Vngate\Laravel\Events\Settled;

/** The shop's side of vngate's events: credit on a charged card, note the rest. */
class AppServiceProvider extends ServiceProvider
{
    public function boot(): void
    {
        $note = function (string $event, array $fields): void {
            // Every dispatch, for the test to count: one line per event.
            file_put_contents(storage_path('events.log'), json_encode(['event' => $event, 'pid' => getmypid()] + $fields) . "\n", FILE_APPEND | LOCK_EX);
        };
        $settled = function (Settled $e) use ($note): void {
            $note(class_basename($e), ['account' => $e->account, 'reference' => $e->reference, 'operation' => $e->operation,
                                       'state' => $e->state, 'amount' => $e->amount]);
            if ($e->succeeded()) {
                // The shop's credit, keyed on the reference: the event comes once, and the
                // primary key would refuse a second one anyway.
                DB::table('credits')->insert(['reference' => $e->reference, 'kind' => class_basename($e), 'amount' => $e->amount]);
            }
        };
        foreach ([CardCharged::class, CardFailed::class, PayoutSettled::class, Settled::class] as $event) {
            Event::listen($event, $settled);
        }
        Event::listen(OutcomeUnknown::class, function (OutcomeUnknown $e) use ($note): void {
            $note('OutcomeUnknown', ['account' => $e->account, 'reference' => $e->reference, 'operation' => $e->operation,
                                     'next_step' => $e->nextStep, 'attention' => $e->needsAttention]);
        });
    }
}

<?php

use Illuminate\Support\Facades\Artisan;
use Illuminate\Support\Facades\DB;

// The shop's own table, in the database the journal shares.
Artisan::command('shop:install', function () {
    DB::statement('CREATE TABLE IF NOT EXISTS credits (reference VARCHAR(64) PRIMARY KEY, kind VARCHAR(32) NOT NULL, amount BIGINT NULL)');
    $this->info('credits table ready');
});

// What the shop credited, by reference, as JSON (the test reads it).
Artisan::command('shop:credits', function () {
    $this->line(json_encode(DB::table('credits')->pluck('amount', 'reference')->map(fn ($a) => (int)$a)));
});

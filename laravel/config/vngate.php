<?php

/*
 * vngate's Laravel configuration: publish it with
 *   php artisan vendor:publish --tag=vngate-config
 * Every value comes from .env, so `php artisan config:cache` keeps working.
 */

return [
    // The account Vngate::charge(...) and the other facade calls use when none is named.
    'default' => env('VNGATE_ACCOUNT', 'cards'),

    /*
     * Your provider accounts, by a name of your choosing. `provider` is chargingws, opencard,
     * appotapay, esms or topup; the other keys are that provider's client config (docs/php.md).
     * A secret comes from .env, or from a file: any `<field>_file` is read into `<field>`
     * (its trailing newline dropped), e.g. partner_key_file=/run/secrets/partner_key.
     * `'journal' => false` keeps an account out of the journal.
     */
    'accounts' => [
        'cards' => [
            'provider' => 'chargingws',
            'base_url' => env('VNGATE_CHARGINGWS_URL', 'https://thesieure.com'),
            'partner_id' => env('VNGATE_CHARGINGWS_PARTNER_ID'),
            'partner_key' => env('VNGATE_CHARGINGWS_PARTNER_KEY'),
            'partner_key_file' => env('VNGATE_CHARGINGWS_PARTNER_KEY_FILE'),
        ],
        // 'payouts' => [
        //     'provider' => 'esms',
        //     'api_token' => env('VNGATE_ESMS_API_TOKEN'),
        //     'secret_key' => env('VNGATE_ESMS_SECRET_KEY'),
        // ],
    ],

    /*
     * The journal (money calls recorded before they are sent, never sent twice, credited
     * once) keeps its vngate_ tables in one of the app's database connections
     * (config/database.php): sqlite, mysql (MariaDB too) or pgsql. null turns it off, and
     * with it the callback routes' crediting and vngate:reconcile. `url` overrides the
     * connection with a journal path of its own (a SQLite file, mysql:// or postgresql://).
     */
    'journal' => [
        'connection' => env('VNGATE_JOURNAL_CONNECTION', env('DB_CONNECTION')),
        'url' => env('VNGATE_JOURNAL_URL'),
        // The 32-byte sealing key (`openssl rand -hex 32`): in .env, or a file.
        'key' => env('VNGATE_JOURNAL_KEY'),
        'key_file' => env('VNGATE_JOURNAL_KEY_FILE'),
        // Any other journal option (min_age_secs, max_attempts, …), as docs/journal.md lists.
        'options' => [],
    ],

    // The log channel vngate's lines go to (one per call; masked request and reply at debug).
    // A `vngate` channel (storage/logs/vngate.log) is added when config/logging.php has none.
    'log_channel' => env('VNGATE_LOG_CHANNEL', 'vngate'),

    // How often the scheduler runs vngate:reconcile (a Schedule frequency method), or false.
    'reconcile_schedule' => env('VNGATE_RECONCILE_SCHEDULE', 'everyFiveMinutes'),
];

<?php

/*
 * The PHP front of `make bench` (scripts/bench.sh): prints calls (or verifications) per second.
 *   php bench.php call URL SECS     chargingws check through the library (FFI)
 *   php bench.php money URL SECS    chargingws charge (a connection of its own per call)
 *   php bench.php verify FILE SECS  the signed callback in FILE, verified
 *   php bench.php curl URL SECS     the peer: the same request with curl, its handle reused
 *   php bench.php curl-money URL SECS  the peer of `money`: a new curl handle (a new connection)
 *                                   per call, TLS sessions shared between them (a share handle)
 * VNGATE_BENCH_CA names a CA file to trust (the bench's TLS server), for vngate and curl alike.
 *   php bench.php memory URL FILE N RSS over N pooled checks, then N verifications of FILE
 */

declare(strict_types=1);

spl_autoload_register(function (string $class): void {
    $path = __DIR__ . '/../src/' . str_replace(['Vngate\\', '\\'], ['', '/'], $class) . '.php';
    if (is_file($path)) {
        require $path;
    }
});

/** RSS in KiB, from /proc/self/statm (pages). */
function rss_kib(): int
{
    return (int)explode(' ', (string)file_get_contents('/proc/self/statm'))[1] * 4;
}

/** RSS after 10 000 warm-up calls, halfway through $n and after them, as a/b/c. */
function memory(callable $call, int $n): string
{
    for ($i = 0; $i < 10000; $i++) {
        $call();
    }
    [$before, $halfway] = [rss_kib(), 0];
    for ($i = 0; $i < $n; $i++) {
        if ($i === intdiv($n, 2)) {
            $halfway = rss_kib();
        }
        $call();
    }
    return "$before/$halfway/" . rss_kib();
}

if ($argv[1] === 'memory') {
    [, , $url, $file, $n] = $argv;
    $client = new Vngate\ChargingWs(['base_url' => $url, 'partner_id' => '10001', 'partner_key' => 'sim-s1-partner-key']);
    $card = ['telco' => 'VIETTEL', 'code' => '312821445892980', 'serial' => '10004783347874', 'amount' => 10000, 'request_id' => 'bench-1'];
    $body = (string)file_get_contents($file);
    echo memory(fn () => $client->check($card), (int)$n), ' ', memory(fn () => $client->parseCallback($body), (int)$n), "\n";
    exit(0);
}

[, $mode, $target, $secs] = $argv;
$card = ['telco' => 'VIETTEL', 'code' => '312821445892980', 'serial' => '10004783347874', 'amount' => 10000, 'request_id' => 'bench-1'];
$config = ['base_url' => $mode === 'verify' ? 'http://127.0.0.1:9' : $target, 'partner_id' => '10001', 'partner_key' => 'sim-s1-partner-key'];
$ca = getenv('VNGATE_BENCH_CA');
if ($ca !== false) {
    $config['ca_file'] = $ca;
}

if ($mode === 'curl' || $mode === 'curl-money') {
    $form = http_build_query($card + ['partner_id' => '10001', 'sign' => md5('sim-s1-partner-key' . '312821445892980' . '10004783347874'), 'command' => $mode === 'curl' ? 'check' : 'charging']);
    $options = [CURLOPT_POST => true, CURLOPT_POSTFIELDS => $form, CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT_MS => 30000, CURLOPT_CONNECTTIMEOUT_MS => 10000];
    if ($ca !== false) {
        $options[CURLOPT_CAINFO] = $ca;
    }
    $check = function (string|bool $reply): void {
        $reply = json_decode((string)$reply, true, 512, JSON_THROW_ON_ERROR);
        if ($reply['request_id'] !== 'bench-1') {
            throw new RuntimeException('unexpected reply');
        }
    };
    if ($mode === 'curl') {
        $handle = curl_init($target . '/chargingws/v2');
        curl_setopt_array($handle, $options);
        $call = fn () => $check(curl_exec($handle));
    } else {
        $share = curl_share_init();
        curl_share_setopt($share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
        $options += [CURLOPT_SHARE => $share, CURLOPT_FORBID_REUSE => true];
        $call = function () use ($target, $options, $check): void {
            $handle = curl_init($target . '/chargingws/v2');
            curl_setopt_array($handle, $options);
            $check(curl_exec($handle));
            curl_close($handle);
        };
    }
} else {
    $client = new Vngate\ChargingWs($config);
    $body = $mode === 'verify' ? file_get_contents($target) : '';
    $call = match ($mode) {
        'call' => fn () => $client->check($card),
        'money' => fn () => $client->charge($card),
        'verify' => fn () => $client->parseCallback($body),
    };
}

$n = 0;
$started = hrtime(true);
$deadline = $started + (int)((float)$secs * 1e9);
while (hrtime(true) < $deadline) {
    for ($i = 0; $i < 16; $i++) {
        $call();
    }
    $n += 16;
}
printf("%.0f\n", $n / ((hrtime(true) - $started) / 1e9));

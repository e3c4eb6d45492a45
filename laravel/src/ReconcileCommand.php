<?php

declare(strict_types=1);

namespace Vngate\Laravel;

use Illuminate\Console\Command;

/**
 * `php artisan vngate:reconcile [account…]`: asks about every journaled account's pending and
 * unknown money calls with their resolving calls (never resending one), and dispatches the
 * events of what it settles. The scheduler runs it (config vngate.reconcile_schedule).
 */
final class ReconcileCommand extends Command
{
    /** @var string */
    protected $signature = 'vngate:reconcile {account?* : the accounts (default: every journaled one)}';

    /** @var string */
    protected $description = "Resolve vngate's pending and unknown money calls, and dispatch their events";

    public function handle(VngateManager $vngate): int
    {
        $names = (array)$this->argument('account') ?: $vngate->names();
        $status = self::SUCCESS;
        foreach ($names as $name) {
            $account = $vngate->account((string)$name);
            if (!$account->journaled()) {
                continue;
            }
            $report = $account->reconcile();
            $this->line(sprintf('%s: checked %d, resolved %d, still open %d, not sent %d, awaiting callback %d, attention %d, errors %d',
                $name, $report['checked'], $report['resolved'], $report['still_open'], $report['not_sent'],
                $report['awaiting_callback'], $report['attention'], $report['errors']));
            if ($report['errors'] > 0) {
                $status = self::FAILURE;
            }
        }
        return $status;
    }
}

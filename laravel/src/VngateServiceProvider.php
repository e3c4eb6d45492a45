<?php

declare(strict_types=1);

namespace Vngate\Laravel;

use Illuminate\Console\Scheduling\Schedule;
use Illuminate\Contracts\Foundation\Application;
use Illuminate\Routing\Route as RouteDefinition;
use Illuminate\Routing\Router;
use Illuminate\Support\ServiceProvider;

/**
 * Discovered by Laravel's package discovery (composer.json's extra.laravel). Binds the
 * VngateManager (`vngate`, the facade's) and each provider's client (its first account), adds
 * the `vngate` log channel, the vngate:reconcile command and its schedule, and the
 * `Route::vngateCallback($account, $uri)` route macro.
 */
final class VngateServiceProvider extends ServiceProvider
{
    public function register(): void
    {
        $this->mergeConfigFrom(__DIR__ . '/../config/vngate.php', 'vngate');
        $config = $this->app->make('config');
        if ($config->get('logging.channels.vngate') === null) {
            $config->set('logging.channels.vngate', [
                'driver' => 'single',
                'path' => $this->app->storagePath() . '/logs/vngate.log',
                'level' => 'info',
            ]);
        }
        $this->app->singleton(VngateManager::class, function (Application $app): VngateManager {
            $channel = $app->make('config')->get('vngate.log_channel');
            return new VngateManager(
                (array)$app->make('config')->get('vngate'),
                (array)$app->make('config')->get('database.connections'),
                $app->make('events'),
                $channel === null || $channel === '' ? null : $app->make('log')->channel((string)$channel),
            );
        });
        $this->app->alias(VngateManager::class, 'vngate');
        foreach ([\Vngate\ChargingWs::class => 'chargingws', \Vngate\OpenCard::class => 'opencard', \Vngate\AppotaPay::class => 'appotapay',
                  \Vngate\Esms::class => 'esms', \Vngate\Topup::class => 'topup'] as $class => $provider) {
            $this->app->bind($class, fn (Application $app) => $app->make(VngateManager::class)->accountOf($provider)->client());
        }
    }

    public function boot(): void
    {
        $this->publishes([__DIR__ . '/../config/vngate.php' => $this->app->configPath('vngate.php')], 'vngate-config');
        if ($this->app->runningInConsole()) {
            $this->commands([ReconcileCommand::class]);
        }
        $this->callAfterResolving(Schedule::class, function (Schedule $schedule): void {
            $frequency = $this->app->make('config')->get('vngate.reconcile_schedule');
            if (is_string($frequency) && $frequency !== '' && $frequency !== 'false') {
                // Two runs at once are safe (the journal lets one process resolve a record).
                $schedule->command(ReconcileCommand::class)->{$frequency}();
            }
        });
        Router::macro('vngateCallback', function (string $account, ?string $uri = null): RouteDefinition {
            /** @var Router $this */
            return $this->match(['GET', 'POST'], $uri ?? "vngate/callback/$account", [
                'uses' => CallbackController::class,
                'vngate_account' => $account,
                'as' => "vngate.callback.$account",
            ]);
        });
    }
}

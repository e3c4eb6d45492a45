<?php

namespace App\Providers;

use Illuminate\Foundation\Support\Providers\RouteServiceProvider as ServiceProvider;
use Illuminate\Support\Facades\Route;

class RouteServiceProvider extends ServiceProvider
{
    public function boot(): void
    {
        // No `web` group: no sessions or CSRF here. A shop with them registers the callback
        // routes in routes/api.php (or excludes them from VerifyCsrfToken).
        $this->routes(function (): void {
            Route::middleware('api')->group(base_path('routes/web.php'));
        });
    }
}

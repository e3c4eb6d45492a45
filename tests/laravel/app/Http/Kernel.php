<?php

namespace App\Http;

use Illuminate\Foundation\Http\Kernel as HttpKernel;

class Kernel extends HttpKernel
{
    /** @var array<int, class-string> */
    protected $middleware = [];

    /** @var array<string, array<int, class-string>> */
    protected $middlewareGroups = ['api' => []];

    /** @var array<string, class-string> */
    protected $routeMiddleware = [];
}

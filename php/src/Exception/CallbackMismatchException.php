<?php

declare(strict_types=1);

namespace Vngate\Exception;

/** A verified callback does not match the stored request: reject it. */
class CallbackMismatchException extends VngateException
{
    public function field(): ?string
    {
        return isset($this->details['field']) ? (string)$this->details['field'] : null;
    }
}

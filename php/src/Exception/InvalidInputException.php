<?php

declare(strict_types=1);

namespace Vngate\Exception;

/** The input or config breaks a rule; nothing was sent. `field()` names it. */
class InvalidInputException extends VngateException
{
    public function field(): ?string
    {
        return isset($this->details['field']) ? (string)$this->details['field'] : null;
    }
}

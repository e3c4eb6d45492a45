<?php

declare(strict_types=1);

namespace Vngate\Exception;

/** The provider refused the credentials. */
class AuthException extends VngateException
{
    public function field(): ?string
    {
        return isset($this->details['field']) ? (string)$this->details['field'] : null;
    }
}

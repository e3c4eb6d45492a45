<?php

declare(strict_types=1);

namespace Vngate\Exception;

/** The provider's reply could not be read. */
class BadReplyException extends VngateException
{
    public function field(): ?string
    {
        return isset($this->details['field']) ? (string)$this->details['field'] : null;
    }
}

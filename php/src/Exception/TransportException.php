<?php

declare(strict_types=1);

namespace Vngate\Exception;

/** Nothing changed at the provider (not sent, or a read-only call): safe to retry. */
class TransportException extends VngateException
{
    public function field(): ?string
    {
        return isset($this->details['field']) ? (string)$this->details['field'] : null;
    }
}

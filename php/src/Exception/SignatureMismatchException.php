<?php

declare(strict_types=1);

namespace Vngate\Exception;

/** A callback or webhook signature is missing or wrong: reject it. */
class SignatureMismatchException extends VngateException
{
    public function field(): ?string
    {
        return isset($this->details['field']) ? (string)$this->details['field'] : null;
    }
}

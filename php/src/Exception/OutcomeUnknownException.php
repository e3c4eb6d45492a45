<?php

declare(strict_types=1);

namespace Vngate\Exception;

/**
 * A money-moving call may have reached the provider, and no usable answer came back.
 * Do NOT send it again: `nextStep()` says how to learn the outcome, for `reference()`.
 */
class OutcomeUnknownException extends VngateException
{
    /** Which of your fields identifies the attempt: request_id, serial, partner_ref_id, order_id, client_trans_id. */
    public function referenceField(): string
    {
        return (string)($this->details['reference_field'] ?? '');
    }

    /** Its value: your id for the call. */
    public function reference(): string
    {
        return (string)($this->details['reference'] ?? '');
    }

    public function nextStep(): string
    {
        return (string)($this->details['next_step'] ?? '');
    }
}

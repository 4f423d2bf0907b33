"""Ledger ids: the one place they are made.

A movement's id is derived from what caused it, so a retried or redelivered
movement lands on the same row and is applied once (the row may not exist yet
when it is written).
"""
from __future__ import annotations

import hashlib


def signup(user_id: str) -> str:
    return f"signup:{user_id}"


def reserve(video_id: str) -> str:
    """The credit reserved when a video is submitted."""
    return f"reserve:{video_id}"


def usage(video_id: str) -> str:
    """The rest of a video's price, charged once its duration is known."""
    return f"usage:{video_id}"


def refund(video_id: str) -> str:
    """A failed or cancelled video's charge given back."""
    return f"refund:{video_id}"


def purchase(payment_id: str) -> str:
    """One id per Stripe payment for all three paid events (a Checkout payment and
    its PaymentIntent event land on the same row)."""
    return f"stripe:{payment_id}"


def stripe_refund(charge_id: str, slot: int) -> str:
    """The `slot`-th refund event of one charge (partial refunds take a slot each)."""
    return f"stripe-refund:{charge_id}:{slot}"


def adjustment(user_id: str, reference: str) -> str:
    """An operator's grant or correction (`make credits`, local stage); `reference`
    names the one act, so re-running the same act lands on the same row."""
    return f"adjustment:{user_id}:{reference}"


def signup_claim(normalised_email: str) -> str:
    """The record that one person's sign-up bonus was granted: keyed by the
    normalised email (chalicelib.accounts.emails), and never deleted with the account
    (docs/DESIGN.md section 5). Hashed, so the record that outlives an account does not
    keep its address."""
    digest = hashlib.sha256(normalised_email.encode()).hexdigest()
    return f"signup-claim:{digest}"


def dispute(dispute_id: str) -> str:
    """A Stripe dispute's take-back (created, funds withdrawn or lost: one row)."""
    return f"dispute:{dispute_id}"


def dispute_return(dispute_id: str) -> str:
    """A Stripe dispute's credits given back (won, or funds reinstated: one row)."""
    return f"dispute-return:{dispute_id}"


def stripe_refund_failed(charge_id: str, slot: int) -> str:
    """The `slot`-th failed refund of one charge given back (each names its refund)."""
    return f"stripe-refund-failed:{charge_id}:{slot}"


def uncredited(payment_id: str) -> str:
    """A paid Stripe payment that could not be credited, recorded for the operator."""
    return f"uncredited:{payment_id}"

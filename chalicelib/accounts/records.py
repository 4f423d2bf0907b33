"""The user record: one item of the users table (Cognito holds the credentials).

A TypedDict, so it stays the plain item DynamoDB reads and writes. Written by
chalicelib.accounts.users (profile) and chalicelib.ledger.movements (the balance, in
the same transaction as its ledger row).
"""
from __future__ import annotations

from typing import NotRequired, TypedDict


class Preferences(TypedDict, total=False):
    language: str
    note_style: str  # "concise" | "detailed"
    include_questions: bool
    default_subject: str | None
    # Reviews (docs/DESIGN.md section 12; checked by chalicelib.api.profile).
    desired_retention: float  # 0.70-0.97
    new_cards_per_day: int
    reviews_per_day: int
    timezone: str  # an IANA name: when the student's day starts


class User(TypedDict):
    user_id: str  # the Cognito sub
    email: str
    name: str
    credits: int
    created_at: str
    updated_at: str
    preferences: NotRequired[Preferences]
    signup_bonus_pending: NotRequired[bool]

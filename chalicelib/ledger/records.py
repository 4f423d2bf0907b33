"""The ledger row: one item of the credit_transactions table (append-only).

Every row is written by chalicelib.ledger.movements, in the same transaction as the
balance it changes; its id comes from chalicelib.ledger.ids. A TypedDict, so it stays
the plain item DynamoDB reads and writes.
"""
from __future__ import annotations

from typing import Any, Literal, TypedDict

TransactionType = Literal["signup_bonus", "purchase", "usage", "refund", "dispute",
                          "adjustment"]


class Transaction(TypedDict):
    transaction_id: str
    user_id: str
    type: str  # a TransactionType, or an internal kind (claims, uncredited records)
    amount: int  # signed: what the balance moved by
    balance_after: int
    metadata: dict[str, Any]
    created_at: str

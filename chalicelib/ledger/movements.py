"""Every credit movement, and nothing else, changes a user's balance.

A movement is one DynamoDB transaction: the balance update, conditioned on the
balance it was computed from, plus a ledger row whose id comes from what caused
it (made only by chalicelib.ledger.ids) and that may not exist yet. So a retried
movement is recognised and applied once, the balance never goes below zero, and the
ledger always adds up.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from chalicelib.core import aws, config, db
from chalicelib.ledger import ids
from chalicelib.ledger.records import Transaction

MAX_ATTEMPTS = 60
# A conflicting writer's wait before trying again (chalicelib.core.db.back_off).
RETRY_BASE_SECONDS = 0.005
RETRY_CAP_SECONDS = 0.2
TYPES = ("signup_bonus", "purchase", "usage", "refund", "dispute", "adjustment")


@dataclass(frozen=True)
class Movement:
    transaction_id: str
    user_id: str
    amount: int
    type: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Applied:
    transaction: Transaction
    duplicate: bool  # True when this movement had been applied before

    @property
    def balance_after(self) -> int:
        return int(self.transaction["balance_after"])


class InsufficientCredits(Exception):
    """The balance cannot cover the movement."""

    def __init__(self, balance: int, needed: int) -> None:
        super().__init__(
            f"Not enough credits: this needs {needed} and your balance is {balance}. "
            "Buy a credit package to continue.")
        self.balance = balance
        self.needed = needed


class ConditionFailed(Exception):
    """One of the caller's extra transaction items failed its condition."""

    def __init__(self, index: int) -> None:
        super().__init__(f"extra transaction item {index} failed its condition")
        self.index = index


class AccountMissing(LookupError):
    """The user has no record yet (it is created on first sight of a token)."""


def balance(user_id: str) -> int:
    user = db.get(config.users_table(), {"user_id": user_id}, consistent=True)
    if user is None:
        raise AccountMissing(user_id)
    return int(user.get("credits", 0))


def ledger_row(transaction_id: str) -> Transaction | None:
    return cast(Transaction | None, db.get(config.transactions_table(),
                                           {"transaction_id": transaction_id},
                                           consistent=True))


def _ledger_put(movement: Movement, balance_after: int, created_at: str) -> dict[str, Any]:
    row = {
        "transaction_id": movement.transaction_id,
        "user_id": movement.user_id,
        "type": movement.type,
        "amount": movement.amount,
        "balance_after": balance_after,
        "metadata": movement.metadata,
        "created_at": created_at,
    }
    return {"Put": {
        "TableName": config.transactions_table(),
        "Item": db.to_item(row),
        "ConditionExpression": "attribute_not_exists(transaction_id)",
    }}


def _claim_put(claim_id: str, user_id: str, now: str) -> dict[str, Any]:
    """The record that this person's sign-up bonus is granted: no user_id or type,
    so it is in no user's history and no type's listing; it outlives the account."""
    return {"Put": {
        "TableName": config.transactions_table(),
        "Item": db.to_item({"transaction_id": claim_id, "claimed_by": user_id,
                            "created_at": now}),
        "ConditionExpression": "attribute_not_exists(transaction_id)",
    }}


def _signup_movement(user_id: str, bonus: int) -> Movement:
    return Movement(ids.signup(user_id), user_id, bonus, "signup_bonus",
                    {"reason": "Sign-up bonus"})


def open_account(user: dict[str, Any], *, claim_id: str | None = None,
                 bonus: str = "grant") -> bool:
    """Create the user's record, exactly once, with the sign-up bonus as `bonus` says.

    "grant": the bonus, and with claim_id (ids.signup_claim) only if no one claimed
    that person's bonus before (else the account opens without it); "pending": no
    bonus yet (the email is not verified), grant_pending_bonus may give it later;
    "none": no bonus. Returns False when the record existed already (a concurrent
    first request).
    """
    amount = config.signup_credits() if bonus == "grant" else 0
    now = db.now_iso()
    record = {**user, "credits": amount, "created_at": now, "updated_at": now}
    if bonus == "pending":
        record["signup_bonus_pending"] = True
    items: list[dict[str, Any]] = [{"Put": {
        "TableName": config.users_table(),
        "Item": db.to_item(record),
        "ConditionExpression": "attribute_not_exists(user_id)",
    }}]
    if amount:
        items.append(_ledger_put(_signup_movement(user["user_id"], amount), amount, now))
        if claim_id is not None:
            items.append(_claim_put(claim_id, user["user_id"], now))
    try:
        db.transact(items)
    except Exception as exc:  # only a cancelled transaction is expected
        codes = db.cancellation_codes(exc) \
            if aws.is_error(exc, aws.TRANSACTION_CANCELLED) else []
        if codes[:1] == ["ConditionalCheckFailed"]:
            return False
        if "ConditionalCheckFailed" in codes[1:]:
            # This person's bonus was granted before (another account, or this one's
            # record was deleted and is opening again).
            return open_account(user, bonus="none")
        raise
    return True


def grant_pending_bonus(user_id: str, claim_id: str, *, grant: bool = True) -> bool:
    """Grant the sign-up bonus held back while the user's email was unverified, once,
    and only if no one claimed that person's bonus before (grant=False: the caller
    knows it was; the hold is just cleared). Returns True if granted."""
    bonus = config.signup_credits() if grant else 0
    dynamo = aws.client("dynamodb")
    for attempt in range(MAX_ATTEMPTS):
        user = db.get(config.users_table(), {"user_id": user_id}, consistent=True)
        if user is None or not user.get("signup_bonus_pending"):
            return False
        current, now = int(user.get("credits", 0)), db.now_iso()
        update = {"Update": {
            "TableName": config.users_table(),
            "Key": db.to_item({"user_id": user_id}),
            "UpdateExpression": "SET credits = :new, updated_at = :now "
                                "REMOVE signup_bonus_pending",
            "ConditionExpression": "credits = :old AND signup_bonus_pending = :yes",
            "ExpressionAttributeValues": db.values(new=current + bonus, old=current,
                                                   now=now, yes=True),
        }}
        items = [update]
        if bonus:
            items += [_ledger_put(_signup_movement(user_id, bonus), current + bonus, now),
                      _claim_put(claim_id, user_id, now)]
        try:
            dynamo.transact_write_items(TransactItems=items)
            return bool(bonus)
        except Exception as exc:  # classified below
            if not aws.is_error(exc, aws.TRANSACTION_CANCELLED):
                raise
            codes = db.cancellation_codes(exc)
        if "ConditionalCheckFailed" in codes[1:]:
            # Granted before, or this person's bonus went to another account: no bonus.
            try:
                dynamo.update_item(
                    TableName=config.users_table(), Key=db.to_item({"user_id": user_id}),
                    UpdateExpression="REMOVE signup_bonus_pending",
                    ConditionExpression="attribute_exists(user_id)")
            except Exception as exc:  # the record is gone: nothing to do
                if not aws.is_error(exc, aws.CONDITION_FAILED):
                    raise
            return False
        db.back_off(attempt, base=RETRY_BASE_SECONDS, cap=RETRY_CAP_SECONDS)
    raise RuntimeError(f"sign-up bonus of {user_id} did not settle")


def apply(
    movement: Movement,
    *,
    extra: Sequence[dict[str, Any]] = (),
    floor_at_zero: bool = False,
) -> Applied:
    """Apply a movement once, with `extra` transaction items in the same transaction.

    A debit larger than the balance raises InsufficientCredits, unless
    floor_at_zero, which takes what is there and records the shortfall in the
    ledger row's metadata. If an extra item's condition fails, ConditionFailed
    says which; nothing was written.
    """
    if movement.type not in TYPES:
        raise ValueError(f"unknown transaction type {movement.type!r}")
    dynamo = aws.client("dynamodb")
    for attempt in range(MAX_ATTEMPTS):
        current = balance(movement.user_id)
        amount = movement.amount
        metadata: dict[str, Any] = dict(movement.metadata)
        if current + amount < 0:
            if not floor_at_zero:
                existing = ledger_row(movement.transaction_id)
                if existing is not None:
                    return Applied(existing, duplicate=True)
                raise InsufficientCredits(current, -amount)
            metadata["shortfall"] = -(current + amount)
            amount = -current
        applied = Movement(movement.transaction_id, movement.user_id, amount,
                           movement.type, metadata)
        now = db.now_iso()
        ledger = _ledger_put(applied, current + amount, now)
        update = {"Update": {
            "TableName": config.users_table(),
            "Key": db.to_item({"user_id": movement.user_id}),
            "UpdateExpression": "SET credits = :new, updated_at = :now",
            "ConditionExpression": "credits = :old",
            "ExpressionAttributeValues": db.values(new=current + amount, old=current, now=now),
        }}
        try:
            dynamo.transact_write_items(TransactItems=[update, ledger, *extra])
            return Applied(cast(Transaction, db.from_item(ledger["Put"]["Item"])),
                           duplicate=False)
        except Exception as exc:  # classified below
            if not aws.is_error(exc, aws.TRANSACTION_CANCELLED):
                raise
            codes = db.cancellation_codes(exc)
        if len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
            existing = ledger_row(movement.transaction_id)
            if existing is not None:
                return Applied(existing, duplicate=True)
        for index, code in enumerate(codes[2:]):
            if code == "ConditionalCheckFailed":
                raise ConditionFailed(index)
        # The balance moved under us, or a concurrent transaction conflicted: retry.
        db.back_off(attempt, base=RETRY_BASE_SECONDS, cap=RETRY_CAP_SECONDS)
    raise RuntimeError(f"credit movement {movement.transaction_id} did not settle")

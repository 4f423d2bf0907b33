"""A user's credit history, newest first, through UserTransactionsIndex."""
from __future__ import annotations

from typing import Any, cast

from chalicelib.core import config, db
from chalicelib.ledger.records import Transaction


def page(user_id: str, *, limit: int,
         last_key: str | None) -> tuple[list[Transaction], str | None]:
    """One page of the user's ledger rows and the cursor for the next."""
    rows, cursor = db.query_page(
        table=config.transactions_table(), index="UserTransactionsIndex",
        key_name="user_id", key_value=user_id, user_id=user_id,
        scope="credits-history", limit=limit, last_key=last_key)
    return cast(list[Transaction], rows), cursor


def public_transaction(row: Transaction) -> dict[str, Any]:
    return {key: row.get(key) for key in
            ("transaction_id", "type", "amount", "balance_after", "metadata", "created_at")}

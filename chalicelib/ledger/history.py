"""A user's credit history, newest first, through UserTransactionsIndex."""
from __future__ import annotations

from chalicelib.core import config, db
from chalicelib.http import validation


def history(user_id: str, params: dict | None) -> dict:
    params = validation.query_params(params, ("limit", "last_key"))
    rows, cursor = db.query_page(
        table=config.transactions_table(), index="UserTransactionsIndex",
        key_name="user_id", key_value=user_id, user_id=user_id,
        scope="credits-history", limit=validation.page_size(params),
        last_key=params.get("last_key"))
    transactions = [public_transaction(row) for row in rows]
    return {"transactions": transactions, "count": len(transactions), "last_key": cursor}


def public_transaction(row: dict) -> dict:
    return {key: row.get(key) for key in
            ("transaction_id", "type", "amount", "balance_after", "metadata", "created_at")}

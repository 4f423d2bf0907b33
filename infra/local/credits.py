"""`make credits EMAIL=... CREDITS=n`: grant (or, negative, take) credits locally.

The local stage only (docs/DESIGN.md section 10): it reads the running stack's
.local/outputs.json, refuses any endpoint that is not on this machine, finds the user
by email (UsersTable's EmailIndex) and applies one `adjustment` movement through the
ledger (chalicelib.ledger.movements, its id from chalicelib.ledger.ids), so the
history still adds up to the balance.

Only a live account gets credits. An account is deleted with its Cognito user, and
its users record (whose user_id is that user's `sub`) may remain on the EmailIndex
beside the account opened again with the same email; so a record whose Cognito user
is gone is skipped. If more than one live account holds the email (the pool's
username is the email, so only an unusual state allows it: say, a federated sign-in
with the same address), nothing is granted: the message names them, and --user-id
picks one. Guessing (say, the newest) could hand credits to the wrong person.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_DIR = Path(__file__).resolve().parents[2]
MAX_CREDITS = 10_000
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class CreditsError(Exception):
    """What to tell the operator (one line, no traceback)."""


def users_with_email(email: str) -> list[dict]:
    """Every users record on the EmailIndex under exactly this email, all pages."""
    from chalicelib.core import aws, config, db

    query = {"TableName": config.users_table(), "IndexName": "EmailIndex",
             "KeyConditionExpression": "email = :e",
             "ExpressionAttributeValues": db.values(e=email)}
    records: list[dict] = []
    while True:
        page = aws.client("dynamodb").query(**query)
        records += [db.from_item(item) for item in page.get("Items", [])]
        if not page.get("LastEvaluatedKey"):
            return records
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def is_live(user_id: str) -> bool:
    """Whether the account's Cognito user (user_id is its `sub`) still exists."""
    from chalicelib.core import aws, config

    if '"' in user_id or "\\" in user_id:
        return False  # no Cognito sub looks like this (and it would break the filter)
    found = aws.client("cognito-idp").list_users(
        UserPoolId=config.user_pool_id(), Filter=f'sub = "{user_id}"', Limit=1)
    return bool(found.get("Users"))


def find_user(email: str, user_id: str | None = None) -> dict:
    """The one live account with this email (as typed, else in lower case); with
    user_id, that one of them."""
    wanted, deleted = email.strip(), []
    for candidate in dict.fromkeys((wanted, wanted.lower())):
        records = [record for record in users_with_email(candidate)
                   if user_id in (None, record["user_id"])]
        live = [record for record in records if is_live(record["user_id"])]
        if len(live) > 1:
            listed = ", ".join(f"{record['user_id']} (opened {record.get('created_at')})"
                               for record in live)
            raise CreditsError(f"{len(live)} live accounts have email {candidate}: {listed}; "
                               "nothing granted: choose one with --user-id")
        if live:
            return live[0]
        deleted += [record["user_id"] for record in records]
    if deleted:
        raise CreditsError(f"the account with email {email} was deleted (user "
                           f"{', '.join(deleted)}): nothing granted; if it was opened "
                           "again, make one authenticated call with it first")
    whose = f"user {user_id} with email {email}" if user_id else f"user with email {email}"
    raise CreditsError(f"no {whose} has used the API yet: register or sign in, make one "
                       "authenticated call (e.g. GET /user), then run this again")


def grant(email: str, amount: int, reason: str,
          user_id: str | None = None) -> Mapping[str, Any]:
    """Apply the adjustment to the live account with this email; returns the ledger row."""
    from chalicelib.ledger import ids, movements

    user = find_user(email, user_id)
    movement = movements.Movement(
        ids.adjustment(user["user_id"], uuid.uuid4().hex), user["user_id"], amount,
        "adjustment", {"reason": reason})
    try:
        return movements.apply(movement).transaction
    except movements.InsufficientCredits as exc:
        raise CreditsError(f"{email} has {exc.balance} credits: cannot take {-amount}") from exc


def use_stack(outputs: dict) -> None:
    """Point chalicelib at the running local stack, and nowhere else."""
    from infra.template import app_environment

    endpoint = str(outputs.get("AwsEndpointUrl", ""))
    if urlsplit(endpoint).hostname not in LOCAL_HOSTS:
        raise CreditsError(f"refused: {endpoint or 'no endpoint'} is not the local emulator "
                           "(make credits is for the local stage only)")
    os.environ.update({"STAGE": "local", "AWS_ENDPOINT_URL": endpoint,
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                       "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                       **app_environment(outputs)})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--email", required=True)
    parser.add_argument("--credits", required=True)
    parser.add_argument("--user-id", help="which account, if two live ones share the email")
    parser.add_argument("--reason", default="Granted with make credits")
    parser.add_argument("--state-dir", type=Path,
                        default=Path(os.environ.get("LOCAL_STATE_DIR", PROJECT_DIR / ".local")))
    args = parser.parse_args(argv)
    try:
        amount = int(args.credits)
    except ValueError:
        amount = 0
    if amount == 0 or abs(amount) > MAX_CREDITS:
        print(f"make credits: CREDITS must be a whole number between -{MAX_CREDITS} and "
              f"{MAX_CREDITS}, not 0 (got {args.credits!r})", file=sys.stderr)
        return 2
    outputs_file = args.state_dir / "outputs.json"
    if not outputs_file.exists():
        print(f"make credits: no local stack found ({outputs_file} is missing): start it "
              "with `make run` in another shell first", file=sys.stderr)
        return 1
    try:
        use_stack(json.loads(outputs_file.read_text()))
        row = grant(args.email, amount, args.reason[:200], args.user_id)
    except CreditsError as exc:
        print(f"make credits: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - say what to do, not a traceback
        print(f"make credits: could not reach the local stack ({type(exc).__name__}): is "
              "`make run` still going?", file=sys.stderr)
        return 1
    print(f"{args.email}: {amount:+d} credits (adjustment); balance {row['balance_after']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
